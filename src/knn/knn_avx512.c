/* knn_avx512.c - AVX-512 kernels of the embedding search: the canonical float32 dot product
 * (the 16 canonical lanes in one register) and the int8 pass with VPDPBUSD (AVX512_VNNI,
 * enabled per function and checked at run time by the dispatcher). */
#include "knn_internal.h"

#include <immintrin.h>

static inline float reduce16(__m512 a)
{
    __m256 v8 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 v4 = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
    __m128 v2 = _mm_add_ps(v4, _mm_movehl_ps(v4, v4));
    __m128 v1 = _mm_add_ss(v2, _mm_shuffle_ps(v2, v2, 1));
    return _mm_cvtss_f32(v1);
}

float dv__knn_dot1_avx512(const float *x, const float *y,
                                                                size_t dpad)
{
    __m512 a = _mm512_setzero_ps();
    for (size_t e = 0; e < dpad; e += 16)
        a = _mm512_fmadd_ps(_mm512_loadu_ps(x + e), _mm512_loadu_ps(y + e), a);
    return reduce16(a);
}

static inline __attribute__((always_inline)) void tile(const float *x, size_t R, const float *y,
                                                       size_t S, size_t dpad, float *out,
                                                       size_t ldo)
{
    __m512 acc[4][4];
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++) acc[r][s] = _mm512_setzero_ps();
    for (size_t e = 0; e < dpad; e += 16) {
        __m512 xv[4];
        for (size_t r = 0; r < R; r++) xv[r] = _mm512_loadu_ps(x + r * dpad + e);
        for (size_t s = 0; s < S; s++) {
            __m512 yv = _mm512_loadu_ps(y + s * dpad + e);
            for (size_t r = 0; r < R; r++) acc[r][s] = _mm512_fmadd_ps(xv[r], yv, acc[r][s]);
        }
    }
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++) out[r * ldo + s] = reduce16(acc[r][s]);
}

void dv__knn_dot_avx512(const float *x, size_t nrows,
                                                             const float *y, size_t nseeds,
                                                             size_t dpad, float *out, size_t ldo)
{
    size_t i = 0;
    for (; i + 4 <= nrows; i += 4) {
        size_t j = 0;
        for (; j + 4 <= nseeds; j += 4)
            tile(x + i * dpad, 4, y + j * dpad, 4, dpad, out + i * ldo + j, ldo);
        for (; j < nseeds; j++) tile(x + i * dpad, 4, y + j * dpad, 1, dpad, out + i * ldo + j, ldo);
    }
    for (; i < nrows; i++) {
        size_t j = 0;
        for (; j + 4 <= nseeds; j += 4)
            tile(x + i * dpad, 1, y + j * dpad, 4, dpad, out + i * ldo + j, ldo);
        for (; j < nseeds; j++) tile(x + i * dpad, 1, y + j * dpad, 1, dpad, out + i * ldo + j, ldo);
    }
}

static inline __attribute__((always_inline, target("avx512vnni"))) void
i8_tile(const uint8_t *xu, size_t R, const int8_t *s, const int32_t *corr, size_t dpad,
        int32_t *out, size_t ldo)
{
    __m512i acc[8];
    for (size_t r = 0; r < R; r++) acc[r] = _mm512_setzero_si512();
    for (size_t kb = 0; kb < dpad / 4; kb++) {
        __m512i sv = _mm512_loadu_si512((const void *)(s + kb * 64));
        for (size_t r = 0; r < R; r++) {
            int32_t w;
            __builtin_memcpy(&w, xu + r * dpad + kb * 4, 4);
            acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(w), sv);
        }
    }
    __m512i c = _mm512_loadu_si512((const void *)corr);
    for (size_t r = 0; r < R; r++)
        _mm512_storeu_si512((void *)(out + r * ldo), _mm512_sub_epi32(acc[r], c));
}

__attribute__((target("avx512vnni"))) void dv__knn_i8_vnni(const uint8_t *xu, size_t nrows,
                                                            const int8_t *sp, size_t ngroups,
                                                            const int32_t *corr, size_t dpad,
                                                            int32_t *out, size_t ldo)
{
    /* rows in chunks that stay in L1 while every seed group passes over them */
    for (size_t i0 = 0; i0 < nrows; i0 += 32) {
        size_t i1 = nrows - i0 < 32 ? nrows : i0 + 32;
        for (size_t g = 0; g < ngroups; g++) {
            const int8_t *s = sp + g * dpad * DV_KNN_SEED_GROUP;
            const int32_t *c = corr + g * DV_KNN_SEED_GROUP;
            size_t i = i0;
            for (; i + 8 <= i1; i += 8)
                i8_tile(xu + i * dpad, 8, s, c, dpad, out + i * ldo + g * DV_KNN_SEED_GROUP, ldo);
            for (; i < i1; i++)
                i8_tile(xu + i * dpad, 1, s, c, dpad, out + i * ldo + g * DV_KNN_SEED_GROUP, ldo);
        }
    }
}
