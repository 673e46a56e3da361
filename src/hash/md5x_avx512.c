/* md5x_avx512.c - the MD5 block function for 16 messages at once, one per 32-bit lane of a
 * ZMM register: VPTERNLOGD computes each round function in one instruction and VPROLD the
 * rotation. Compiled with the AVX-512 flags; md5x.c calls it only where the CPU has them. */
#include "md5x.h"

#include <immintrin.h>

#define K dv__md5_k

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
        __m512i t_ = _mm512_add_epi32(_mm512_add_epi32(a, _mm512_set1_epi32((int)K[i])), m[g]); \
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

void dv__md5x_blocks_avx512(uint32_t (*s)[DV_MD5X_LANES], const uint8_t *const *p, size_t nb)
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
