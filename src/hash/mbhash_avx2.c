/* mbhash_avx2.c - the MD5, SHA-1 and SHA-256 block functions for 8 messages at once, one per
 * 32-bit lane of a YMM register (AVX2 has no ternary logic or rotate: each takes two or
 * three instructions). Compiled with -mavx2; mbhash.c calls them only where the CPU has
 * AVX2. */
#include "mbhash.h"

#include <immintrin.h>


/* Words 8h .. 8h + 7 of the 8 lanes' blocks into m[8h ..]: an 8x8 transpose. */
static inline void load_half(const uint8_t *const *p, size_t off, __m256i *m)
{
    __m256i r[8], a[8], b[8];
    for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_si256((const void *)(p[j] + off));
    for (int j = 0; j < 8; j += 2) {
        a[j] = _mm256_unpacklo_epi32(r[j], r[j + 1]);
        a[j + 1] = _mm256_unpackhi_epi32(r[j], r[j + 1]);
    }
    for (int g = 0; g < 2; g++) {
        b[4 * g + 0] = _mm256_unpacklo_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 1] = _mm256_unpackhi_epi64(a[4 * g], a[4 * g + 2]);
        b[4 * g + 2] = _mm256_unpacklo_epi64(a[4 * g + 1], a[4 * g + 3]);
        b[4 * g + 3] = _mm256_unpackhi_epi64(a[4 * g + 1], a[4 * g + 3]);
    }
    for (int t = 0; t < 4; t++) {
        m[t] = _mm256_permute2x128_si256(b[t], b[4 + t], 0x20);
        m[4 + t] = _mm256_permute2x128_si256(b[t], b[4 + t], 0x31);
    }
}

#define ROL(x, s) _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
#define FF(b, c, d) _mm256_or_si256(_mm256_and_si256(b, c), _mm256_andnot_si256(b, d))
#define GG(b, c, d) _mm256_or_si256(_mm256_and_si256(d, b), _mm256_andnot_si256(d, c))
#define HH(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define II(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones)))

#define STEP(f, a, b, c, d, i, g, s)                                                           \
    do {                                                                                       \
        __m256i t_ = _mm256_add_epi32(_mm256_add_epi32(a, _mm256_set1_epi32((int)dv__md5_k[i])), m[g]); \
        t_ = _mm256_add_epi32(t_, f(b, c, d));                                                 \
        a = _mm256_add_epi32(b, ROL(t_, s));                                                   \
    } while (0)

#define ROUND4(f, i, g0, g1, g2, g3, s0, s1, s2, s3)                                           \
    do {                                                                                       \
        STEP(f, A, B, C, D, i, g0, s0);                                                        \
        STEP(f, D, A, B, C, i + 1, g1, s1);                                                    \
        STEP(f, C, D, A, B, i + 2, g2, s2);                                                    \
        STEP(f, B, C, D, A, i + 3, g3, s3);                                                    \
    } while (0)

void dv__md5x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    const __m256i ones = _mm256_set1_epi32(-1);
    __m256i A = _mm256_loadu_si256((const void *)s[0]), B = _mm256_loadu_si256((const void *)s[1]);
    __m256i C = _mm256_loadu_si256((const void *)s[2]), D = _mm256_loadu_si256((const void *)s[3]);
    for (size_t k = 0; k < nb; k++) {
        __m256i m[16];
        const __m256i A0 = A, B0 = B, C0 = C, D0 = D;
        load_half(p, 64 * k, m);
        load_half(p, 64 * k + 32, m + 8);
        ROUND4(FF, 0, 0, 1, 2, 3, 7, 12, 17, 22);
        ROUND4(FF, 4, 4, 5, 6, 7, 7, 12, 17, 22);
        ROUND4(FF, 8, 8, 9, 10, 11, 7, 12, 17, 22);
        ROUND4(FF, 12, 12, 13, 14, 15, 7, 12, 17, 22);
        ROUND4(GG, 16, 1, 6, 11, 0, 5, 9, 14, 20);
        ROUND4(GG, 20, 5, 10, 15, 4, 5, 9, 14, 20);
        ROUND4(GG, 24, 9, 14, 3, 8, 5, 9, 14, 20);
        ROUND4(GG, 28, 13, 2, 7, 12, 5, 9, 14, 20);
        ROUND4(HH, 32, 5, 8, 11, 14, 4, 11, 16, 23);
        ROUND4(HH, 36, 1, 4, 7, 10, 4, 11, 16, 23);
        ROUND4(HH, 40, 13, 0, 3, 6, 4, 11, 16, 23);
        ROUND4(HH, 44, 9, 12, 15, 2, 4, 11, 16, 23);
        ROUND4(II, 48, 0, 7, 14, 5, 6, 10, 15, 21);
        ROUND4(II, 52, 12, 3, 10, 1, 6, 10, 15, 21);
        ROUND4(II, 56, 8, 15, 6, 13, 6, 10, 15, 21);
        ROUND4(II, 60, 4, 11, 2, 9, 6, 10, 15, 21);
        A = _mm256_add_epi32(A, A0);
        B = _mm256_add_epi32(B, B0);
        C = _mm256_add_epi32(C, C0);
        D = _mm256_add_epi32(D, D0);
    }
    _mm256_storeu_si256((void *)s[0], A);
    _mm256_storeu_si256((void *)s[1], B);
    _mm256_storeu_si256((void *)s[2], C);
    _mm256_storeu_si256((void *)s[3], D);
}

/* ---------------------------------------------------------------- SHA-256 */

#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define XOR3(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)

/* ---------------------------------------------------------------- SHA-1 */

/* W[t] for t >= 16, in place of W[t - 16]: rol(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16], 1) */
static inline __m256i sha1_w(__m256i *w, int t)
{
    __m256i x;
    if (t < 16) return w[t];
    x = XOR3(w[(t - 3) & 15], w[(t - 8) & 15], _mm256_xor_si256(w[(t - 14) & 15], w[t & 15]));
    w[t & 15] = ROL(x, 1);
    return w[t & 15];
}

/* Ch = d ^ (b & (c ^ d)), Parity, Maj = (b & c) | (d & (b | c)) */
#define SHA1_CH(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define SHA1_PAR(b, c, d) XOR3(b, c, d)
#define SHA1_MAJ(b, c, d)                                                                      \
    _mm256_or_si256(_mm256_and_si256(b, c), _mm256_and_si256(d, _mm256_or_si256(b, c)))

/* e += rol(a, 5) + f(b, c, d) + K + W[t]; b = rol(b, 30), the five words renamed */
#define SHA1_R(f, kv, a, b, c, d, e, t)                                                        \
    do {                                                                                       \
        __m256i w_ = _mm256_add_epi32(sha1_w(w, t), kv);                                       \
        e = _mm256_add_epi32(_mm256_add_epi32(e, ROL(a, 5)), _mm256_add_epi32(f(b, c, d), w_)); \
        b = ROL(b, 30);                                                                        \
    } while (0)

#define SHA1_R20(f, q)                                                                         \
    do {                                                                                       \
        const __m256i kv_ = _mm256_set1_epi32((int)dv__sha1_k[q]);                             \
        for (int t = 20 * (q); t < 20 * (q) + 20; t += 5) {                                    \
            SHA1_R(f, kv_, A, B, C, D, E, t);                                                  \
            SHA1_R(f, kv_, E, A, B, C, D, t + 1);                                              \
            SHA1_R(f, kv_, D, E, A, B, C, t + 2);                                              \
            SHA1_R(f, kv_, C, D, E, A, B, t + 3);                                              \
            SHA1_R(f, kv_, B, C, D, E, A, t + 4);                                              \
        }                                                                                      \
    } while (0)

void dv__sha1x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    const __m256i bswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                           3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m256i A = _mm256_loadu_si256((const void *)s[0]), B = _mm256_loadu_si256((const void *)s[1]);
    __m256i C = _mm256_loadu_si256((const void *)s[2]), D = _mm256_loadu_si256((const void *)s[3]);
    __m256i E = _mm256_loadu_si256((const void *)s[4]);
    for (size_t k = 0; k < nb; k++) {
        __m256i w[16];
        const __m256i A0 = A, B0 = B, C0 = C, D0 = D, E0 = E;
        load_half(p, 64 * k, w);
        load_half(p, 64 * k + 32, w + 8);
        for (int t = 0; t < 16; t++) w[t] = _mm256_shuffle_epi8(w[t], bswap);
        SHA1_R20(SHA1_CH, 0);
        SHA1_R20(SHA1_PAR, 1);
        SHA1_R20(SHA1_MAJ, 2);
        SHA1_R20(SHA1_PAR, 3);
        A = _mm256_add_epi32(A, A0);
        B = _mm256_add_epi32(B, B0);
        C = _mm256_add_epi32(C, C0);
        D = _mm256_add_epi32(D, D0);
        E = _mm256_add_epi32(E, E0);
    }
    _mm256_storeu_si256((void *)s[0], A);
    _mm256_storeu_si256((void *)s[1], B);
    _mm256_storeu_si256((void *)s[2], C);
    _mm256_storeu_si256((void *)s[3], D);
    _mm256_storeu_si256((void *)s[4], E);
}

/* ---------------------------------------------------------------- SHA-256 */

void dv__sha256x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb)
{
    const __m256i bswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                           3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    __m256i st[8];
    for (int w = 0; w < 8; w++) st[w] = _mm256_loadu_si256((const void *)s[w]);
    for (size_t k = 0; k < nb; k++) {
        __m256i w[16];
        __m256i a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
                h = st[7];
        load_half(p, 64 * k, w);
        load_half(p, 64 * k + 32, w + 8);
        for (int t = 0; t < 16; t++) w[t] = _mm256_shuffle_epi8(w[t], bswap);
        for (int t = 0; t < 64; t++) {
            __m256i wt, t1, t2, ch, maj;
            if (t < 16) {
                wt = w[t];
            } else {
                __m256i x2 = w[(t - 2) & 15], x15 = w[(t - 15) & 15];
                __m256i s0 = XOR3(ROR(x15, 7), ROR(x15, 18), _mm256_srli_epi32(x15, 3));
                __m256i s1 = XOR3(ROR(x2, 17), ROR(x2, 19), _mm256_srli_epi32(x2, 10));
                wt = _mm256_add_epi32(_mm256_add_epi32(w[t & 15], s0),
                                      _mm256_add_epi32(w[(t - 7) & 15], s1));
                w[t & 15] = wt;
            }
            ch = _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g));
            maj = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)));
            t1 = _mm256_add_epi32(
                _mm256_add_epi32(h, XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25))),
                _mm256_add_epi32(ch, _mm256_add_epi32(wt, _mm256_set1_epi32((int)dv__sha256_k[t]))));
            t2 = _mm256_add_epi32(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)), maj);
            h = g;
            g = f;
            f = e;
            e = _mm256_add_epi32(d, t1);
            d = c;
            c = b;
            b = a;
            a = _mm256_add_epi32(t1, t2);
        }
        for (int i = 0; i < 8; i++) {
            const __m256i v[8] = {a, b, c, d, e, f, g, h};
            st[i] = _mm256_add_epi32(st[i], v[i]);
        }
    }
    for (int w = 0; w < 8; w++) _mm256_storeu_si256((void *)s[w], st[w]);
}
