/* mbhash_avx512.c - the MD5, SHA-1 and SHA-256 block functions for 16 messages at once, one
 * per 32-bit lane of a ZMM register: VPTERNLOGD computes each round function (and the
 * three-way XORs) in one instruction, VPROLD/VPRORD the rotations. Compiled with the
 * AVX-512 flags; mbhash.c calls them only where the CPU has them. */
#include "mbhash.h"

#include <immintrin.h>


/* Word w of the 16 lanes' blocks into m[w]: a 16x16 transpose of 32-bit words. */
static inline void load_transposed(const uint8_t *const *p, size_t off, __m512i m[16])
{
    __m512i r[16], a[16], b[16];
    for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_si512((const void *)(p[j] + off));
    for (int j = 0; j < 16; j += 2) {
        a[j] = _mm512_unpacklo_epi32(r[j], r[j + 1]);
        a[j + 1] = _mm512_unpackhi_epi32(r[j], r[j + 1]);
    }
    /* b[4g + t]: 128-bit chunk q holds word 4q + t of lanes 4g .. 4g + 3 */
    for (int g = 0; g < 4; g++) {
        b[4 * g + 0] = _mm512_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 1] = _mm512_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 2] = _mm512_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
        b[4 * g + 3] = _mm512_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
    }
    for (int t = 0; t < 4; t++) {
        __m512i u = _mm512_shuffle_i32x4(b[t], b[4 + t], 0x88);  /* chunks 0, 2 | 0, 2 */
        __m512i v = _mm512_shuffle_i32x4(b[t], b[4 + t], 0xdd);  /* chunks 1, 3 | 1, 3 */
        __m512i u2 = _mm512_shuffle_i32x4(b[8 + t], b[12 + t], 0x88);
        __m512i v2 = _mm512_shuffle_i32x4(b[8 + t], b[12 + t], 0xdd);
        m[t] = _mm512_shuffle_i32x4(u, u2, 0x88);
        m[8 + t] = _mm512_shuffle_i32x4(u, u2, 0xdd);
        m[4 + t] = _mm512_shuffle_i32x4(v, v2, 0x88);
        m[12 + t] = _mm512_shuffle_i32x4(v, v2, 0xdd);
    }
}

/* a = b + rol(a + f(b, c, d) + K[i] + m[g], s); the ternary-logic immediates, with b, c, d
 * as operands A, B, C: F = A ? B : C (0xCA), G = C ? A : B (0xE4), H = A ^ B ^ C (0x96),
 * I = B ^ (A | ~C) (0x39). */
#define STEP(imm, a, b, c, d, i, g, s)                                                         \
    do {                                                                                       \
        __m512i t_ = _mm512_add_epi32(_mm512_add_epi32(a, _mm512_set1_epi32((int)dv__md5_k[i])), m[g]); \
        t_ = _mm512_add_epi32(t_, _mm512_ternarylogic_epi32(b, c, d, imm));                    \
        a = _mm512_add_epi32(b, _mm512_rol_epi32(t_, s));                                      \
    } while (0)

#define ROUND4(imm, i, g0, g1, g2, g3, s0, s1, s2, s3)                                         \
    do {                                                                                       \
        STEP(imm, A, B, C, D, i, g0, s0);                                                      \
        STEP(imm, D, A, B, C, i + 1, g1, s1);                                                  \
        STEP(imm, C, D, A, B, i + 2, g2, s2);                                                  \
        STEP(imm, B, C, D, A, i + 3, g3, s3);                                                  \
    } while (0)

void dv__md5x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    __m512i A = _mm512_loadu_si512((const void *)s[0]), B = _mm512_loadu_si512((const void *)s[1]);
    __m512i C = _mm512_loadu_si512((const void *)s[2]), D = _mm512_loadu_si512((const void *)s[3]);
    for (size_t k = 0; k < nb; k++) {
        __m512i m[16];
        const __m512i A0 = A, B0 = B, C0 = C, D0 = D;
        load_transposed(p, 64 * k, m);
        ROUND4(0xCA, 0, 0, 1, 2, 3, 7, 12, 17, 22);
        ROUND4(0xCA, 4, 4, 5, 6, 7, 7, 12, 17, 22);
        ROUND4(0xCA, 8, 8, 9, 10, 11, 7, 12, 17, 22);
        ROUND4(0xCA, 12, 12, 13, 14, 15, 7, 12, 17, 22);
        ROUND4(0xE4, 16, 1, 6, 11, 0, 5, 9, 14, 20);
        ROUND4(0xE4, 20, 5, 10, 15, 4, 5, 9, 14, 20);
        ROUND4(0xE4, 24, 9, 14, 3, 8, 5, 9, 14, 20);
        ROUND4(0xE4, 28, 13, 2, 7, 12, 5, 9, 14, 20);
        ROUND4(0x96, 32, 5, 8, 11, 14, 4, 11, 16, 23);
        ROUND4(0x96, 36, 1, 4, 7, 10, 4, 11, 16, 23);
        ROUND4(0x96, 40, 13, 0, 3, 6, 4, 11, 16, 23);
        ROUND4(0x96, 44, 9, 12, 15, 2, 4, 11, 16, 23);
        ROUND4(0x39, 48, 0, 7, 14, 5, 6, 10, 15, 21);
        ROUND4(0x39, 52, 12, 3, 10, 1, 6, 10, 15, 21);
        ROUND4(0x39, 56, 8, 15, 6, 13, 6, 10, 15, 21);
        ROUND4(0x39, 60, 4, 11, 2, 9, 6, 10, 15, 21);
        A = _mm512_add_epi32(A, A0);
        B = _mm512_add_epi32(B, B0);
        C = _mm512_add_epi32(C, C0);
        D = _mm512_add_epi32(D, D0);
    }
    _mm512_storeu_si512((void *)s[0], A);
    _mm512_storeu_si512((void *)s[1], B);
    _mm512_storeu_si512((void *)s[2], C);
    _mm512_storeu_si512((void *)s[3], D);
}

/* ---------------------------------------------------------------- SHA-1 */

#define XOR3(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)

/* W[t] for t >= 16, in place of W[t - 16]: rol(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16], 1) */
static inline __m512i sha1_w(__m512i *w, int t)
{
    if (t < 16) return w[t];
    w[t & 15] = _mm512_rol_epi32(
        XOR3(w[(t - 3) & 15], w[(t - 8) & 15], _mm512_xor_si512(w[(t - 14) & 15], w[t & 15])), 1);
    return w[t & 15];
}

/* e += rol(a, 5) + f(b, c, d) + K + W[t]; b = rol(b, 30): the round with the five words
 * renamed instead of moved. f: Ch = b ? c : d (0xCA), Parity (0x96), Maj (0xE8). */
#define SHA1_R(imm, kv, a, b, c, d, e, t)                                                      \
    do {                                                                                       \
        __m512i w_ = _mm512_add_epi32(sha1_w(w, t), kv);                                       \
        e = _mm512_add_epi32(_mm512_add_epi32(e, _mm512_rol_epi32(a, 5)),                      \
                             _mm512_add_epi32(_mm512_ternarylogic_epi32(b, c, d, imm), w_));   \
        b = _mm512_rol_epi32(b, 30);                                                           \
    } while (0)

#define SHA1_R20(imm, q)                                                                       \
    do {                                                                                       \
        const __m512i kv_ = _mm512_set1_epi32((int)dv__sha1_k[q]);                             \
        for (int t = 20 * (q); t < 20 * (q) + 20; t += 5) {                                    \
            SHA1_R(imm, kv_, A, B, C, D, E, t);                                                \
            SHA1_R(imm, kv_, E, A, B, C, D, t + 1);                                            \
            SHA1_R(imm, kv_, D, E, A, B, C, t + 2);                                            \
            SHA1_R(imm, kv_, C, D, E, A, B, t + 3);                                            \
            SHA1_R(imm, kv_, B, C, D, E, A, t + 4);                                            \
        }                                                                                      \
    } while (0)

void dv__sha1x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    /* each 32-bit word's bytes reversed: the message is big-endian */
    const __m512i bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
    __m512i A = _mm512_loadu_si512((const void *)s[0]), B = _mm512_loadu_si512((const void *)s[1]);
    __m512i C = _mm512_loadu_si512((const void *)s[2]), D = _mm512_loadu_si512((const void *)s[3]);
    __m512i E = _mm512_loadu_si512((const void *)s[4]);
    for (size_t k = 0; k < nb; k++) {
        __m512i w[16];
        const __m512i A0 = A, B0 = B, C0 = C, D0 = D, E0 = E;
        load_transposed(p, 64 * k, w);
        for (int t = 0; t < 16; t++) w[t] = _mm512_shuffle_epi8(w[t], bswap);
        SHA1_R20(0xCA, 0);
        SHA1_R20(0x96, 1);
        SHA1_R20(0xE8, 2);
        SHA1_R20(0x96, 3);
        A = _mm512_add_epi32(A, A0);
        B = _mm512_add_epi32(B, B0);
        C = _mm512_add_epi32(C, C0);
        D = _mm512_add_epi32(D, D0);
        E = _mm512_add_epi32(E, E0);
    }
    _mm512_storeu_si512((void *)s[0], A);
    _mm512_storeu_si512((void *)s[1], B);
    _mm512_storeu_si512((void *)s[2], C);
    _mm512_storeu_si512((void *)s[3], D);
    _mm512_storeu_si512((void *)s[4], E);
}

/* ---------------------------------------------------------------- SHA-256 */

#define ROR(x, n) _mm512_ror_epi32(x, n)

void dv__sha256x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    /* each 32-bit word's bytes reversed: the message is big-endian */
    const __m512i bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
    __m512i st[8];
    for (int w = 0; w < 8; w++) st[w] = _mm512_loadu_si512((const void *)s[w]);
    for (size_t k = 0; k < nb; k++) {
        __m512i w[16];
        __m512i a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
                h = st[7];
        load_transposed(p, 64 * k, w);
        for (int t = 0; t < 16; t++) w[t] = _mm512_shuffle_epi8(w[t], bswap);
        for (int t = 0; t < 64; t++) {
            __m512i wt, t1, t2;
            if (t < 16) {
                wt = w[t];
            } else {
                /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], in place of W[t-16] */
                __m512i x2 = w[(t - 2) & 15], x15 = w[(t - 15) & 15];
                __m512i s0 = XOR3(ROR(x15, 7), ROR(x15, 18), _mm512_srli_epi32(x15, 3));
                __m512i s1 = XOR3(ROR(x2, 17), ROR(x2, 19), _mm512_srli_epi32(x2, 10));
                wt = _mm512_add_epi32(_mm512_add_epi32(w[t & 15], s0),
                                      _mm512_add_epi32(w[(t - 7) & 15], s1));
                w[t & 15] = wt;
            }
            t1 = _mm512_add_epi32(
                _mm512_add_epi32(h, XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25))),
                _mm512_add_epi32(_mm512_ternarylogic_epi32(e, f, g, 0xCA),
                                 _mm512_add_epi32(wt, _mm512_set1_epi32((int)dv__sha256_k[t]))));
            t2 = _mm512_add_epi32(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)),
                                  _mm512_ternarylogic_epi32(a, b, c, 0xE8));
            h = g;
            g = f;
            f = e;
            e = _mm512_add_epi32(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm512_add_epi32(t1, t2);
        }
        st[0] = _mm512_add_epi32(st[0], a);
        st[1] = _mm512_add_epi32(st[1], b);
        st[2] = _mm512_add_epi32(st[2], c);
        st[3] = _mm512_add_epi32(st[3], d);
        st[4] = _mm512_add_epi32(st[4], e);
        st[5] = _mm512_add_epi32(st[5], f);
        st[6] = _mm512_add_epi32(st[6], g);
        st[7] = _mm512_add_epi32(st[7], h);
    }
    for (int w = 0; w < 8; w++) _mm512_storeu_si512((void *)s[w], st[w]);
}
