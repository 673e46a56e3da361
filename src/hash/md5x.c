/* md5x.c - multi-buffer MD5: the lane scheduler and the scalar twin of the block function.
 *
 * The scheduler keeps up to 16 messages in flight. Each lane reads its message's whole
 * blocks in place, then one or two blocks of a small tail buffer (the last partial block,
 * the 0x80 byte, zeros and the length in bits, RFC 1321 section 3). A run of the kernel
 * covers as many blocks as the shortest region in flight has left; a lane that is idle
 * reads what a busy one reads, so every pointer stays valid, and its result is ignored.
 * As a lane's message ends, the next message takes the lane. */
#include "md5x.h"

#include <string.h>

const uint32_t dv__md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
#define K dv__md5_k
static const uint8_t R[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
static const uint32_t IV[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

static inline uint32_t rol(uint32_t x, unsigned s) { return (x << s) | (x >> (32 - s)); }

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void block1(uint32_t st[4], const uint8_t *blk)
{
    uint32_t m[16], a = st[0], b = st[1], c = st[2], d = st[3];
    for (int w = 0; w < 16; w++) m[w] = le32(blk + 4 * w);
    for (int i = 0; i < 64; i++) {
        uint32_t f, t;
        int g;
        switch (i >> 4) {
        case 0: f = (b & c) | (~b & d); g = i; break;
        case 1: f = (b & d) | (c & ~d); g = (5 * i + 1) & 15; break;
        case 2: f = b ^ c ^ d; g = (3 * i + 5) & 15; break;
        default: f = c ^ (b | ~d); g = (7 * i) & 15; break;
        }
        t = d;
        d = c;
        c = b;
        b = b + rol(a + f + K[i] + m[g], R[i >> 4][i & 3]);
        a = t;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
}

void dv__md5x_blocks_scalar(uint32_t (*s)[DV_MD5X_LANES], const uint8_t *const *p, size_t nb,
                            unsigned lanes)
{
    for (unsigned j = 0; j < lanes; j++) {
        uint32_t st[4] = {s[0][j], s[1][j], s[2][j], s[3][j]};
        for (size_t k = 0; k < nb; k++) block1(st, p[j] + 64 * k);
        for (int w = 0; w < 4; w++) s[w][j] = st[w];
    }
}

typedef struct lane {
    size_t job;
    const uint8_t *p; /* next block */
    size_t left;      /* blocks left in this region */
    int in_tail;
    unsigned tail_blocks;
    uint8_t tail[128];
} lane;

static void lane_start(lane *ln, const uint8_t *m, size_t len, size_t job)
{
    size_t full = len / 64, rem = len % 64;
    uint64_t bits = (uint64_t)len << 3; /* the length modulo 2^64 bits, as RFC 1321 says */
    memset(ln->tail, 0, sizeof(ln->tail));
    if (rem) memcpy(ln->tail, m + full * 64, rem);
    ln->tail[rem] = 0x80;
    ln->tail_blocks = rem < 56 ? 1 : 2;
    for (int i = 0; i < 8; i++) ln->tail[64 * ln->tail_blocks - 8 + i] = (uint8_t)(bits >> (8 * i));
    ln->job = job;
    ln->in_tail = full == 0;
    ln->p = full ? m : ln->tail;
    ln->left = full ? full : ln->tail_blocks;
}

unsigned dv__md5x_lanes(dv_simd simd)
{
    simd = dv__simd_resolve(simd);
#if defined(DV_HAVE_X86_SIMD)
    if (simd == DV_SIMD_AVX512) return 16;
    if (simd == DV_SIMD_AVX2) return 8;
#endif
    return 1;
}

static void emit(uint32_t (*s)[DV_MD5X_LANES], unsigned j, uint8_t *out)
{
    for (int w = 0; w < 4; w++)
        for (int b = 0; b < 4; b++) out[4 * w + b] = (uint8_t)(s[w][j] >> (8 * b));
}

void dv__md5_many(const uint8_t *const *msg, const size_t *len, size_t n, dv_simd simd,
                  const size_t *order, uint8_t *out, size_t stride)
{
    lane ln[DV_MD5X_LANES];
    int busy[DV_MD5X_LANES] = {0};
    uint32_t s[4][DV_MD5X_LANES];
    const uint8_t *ptr[DV_MD5X_LANES];
    unsigned lanes;
    size_t next = 0;

    simd = dv__simd_resolve(simd);
    lanes = dv__md5x_lanes(simd);
    /* the scalar twin runs one lane at a time anyway: give it the widest schedule, so the
     * tests exercise the same refills and idle lanes */
    if (lanes == 1) lanes = DV_MD5X_LANES;
    for (;;) {
        size_t nb = SIZE_MAX;
        int first = -1;
        for (unsigned j = 0; j < lanes; j++) {
            if (!busy[j] && next < n) {
                size_t m = order ? order[next] : next;
                lane_start(&ln[j], msg[m], len[m], m);
                for (int w = 0; w < 4; w++) s[w][j] = IV[w];
                busy[j] = 1;
                next++;
            }
            if (busy[j]) {
                if (first < 0) first = (int)j;
                if (ln[j].left < nb) nb = ln[j].left;
            }
        }
        if (first < 0) break;
        if (simd != DV_SIMD_SCALAR && next >= n) {
            /* one message left in flight (a long one, as they go first): one lane of the
             * vector kernel is slower than the plain block function */
            unsigned nbusy = 0;
            for (unsigned j = 0; j < lanes; j++) nbusy += (unsigned)busy[j];
            if (nbusy == 1) {
                lane *l = &ln[first];
                uint32_t st[4] = {s[0][first], s[1][first], s[2][first], s[3][first]};
                for (;;) {
                    for (size_t k = 0; k < l->left; k++) block1(st, l->p + 64 * k);
                    if (l->in_tail) break;
                    l->in_tail = 1;
                    l->p = l->tail;
                    l->left = l->tail_blocks;
                }
                for (int w = 0; w < 4; w++) s[w][first] = st[w];
                emit(s, (unsigned)first, out + l->job * stride);
                break;
            }
        }
        for (unsigned j = 0; j < lanes; j++) ptr[j] = busy[j] ? ln[j].p : ln[first].p;
#if defined(DV_HAVE_X86_SIMD)
        if (simd == DV_SIMD_AVX512) dv__md5x_blocks_avx512(s, ptr, nb);
        else if (simd == DV_SIMD_AVX2) dv__md5x_blocks_avx2(s, ptr, nb);
        else
#endif
            dv__md5x_blocks_scalar(s, ptr, nb, lanes);
        for (unsigned j = 0; j < lanes; j++) {
            lane *l = &ln[j];
            if (!busy[j]) continue;
            l->left -= nb;
            l->p += 64 * nb;
            if (l->left > 0) continue;
            if (!l->in_tail) {
                l->in_tail = 1;
                l->p = l->tail;
                l->left = l->tail_blocks;
                continue;
            }
            emit(s, j, out + l->job * stride);
            busy[j] = 0;
        }
    }
}
