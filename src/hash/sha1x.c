/* sha1x.c - SHA-1's block function for one message (the scalar twin of the multi-buffer
 * kernels, FIPS 180-4 6.1.2) and its description for the lane scheduler. */
#include "mbhash.h"

const uint32_t dv__sha1_k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
static const uint32_t IV[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

static inline uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void block1(uint32_t *st, const uint8_t *blk)
{
    uint32_t w[80], a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)blk[4 * t] << 24 | (uint32_t)blk[4 * t + 1] << 16 |
               (uint32_t)blk[4 * t + 2] << 8 | (uint32_t)blk[4 * t + 3];
    for (int t = 16; t < 80; t++) w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    for (int t = 0; t < 80; t++) {
        uint32_t f = t < 20   ? (b & c) | (~b & d)
                     : t < 40 ? b ^ c ^ d
                     : t < 60 ? (b & c) | (b & d) | (c & d)
                              : b ^ c ^ d;
        uint32_t tmp = rol(a, 5) + f + e + dv__sha1_k[t / 20] + w[t];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = tmp;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
}

const dv__mb_algo dv__mb_sha1 = {5, IV, 1, block1,
#if defined(DV_HAVE_X86_SIMD)
                                 dv__sha1x_blocks_avx2, dv__sha1x_blocks_avx512
#else
                                 NULL, NULL
#endif
};
