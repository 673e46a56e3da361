/* knn_avx2.c - AVX2 + FMA kernels of the embedding search: the canonical float32 dot product
 * (two 8-lane halves of the 16 canonical lanes) and the int8 pass with VPMADDUBSW. */
#include "knn_internal.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

static inline float reduce16(__m256 lo, __m256 hi)
{
    __m256 v8 = _mm256_add_ps(lo, hi);
    __m128 v4 = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
    __m128 v2 = _mm_add_ps(v4, _mm_movehl_ps(v4, v4));
    __m128 v1 = _mm_add_ss(v2, _mm_shuffle_ps(v2, v2, 1));
    return _mm_cvtss_f32(v1);
}

float dv__knn_dot1_avx2(const float *x, const float *y, size_t dpad)
{
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (size_t e = 0; e < dpad; e += 16) {
        lo = _mm256_fmadd_ps(_mm256_loadu_ps(x + e), _mm256_loadu_ps(y + e), lo);
        hi = _mm256_fmadd_ps(_mm256_loadu_ps(x + e + 8), _mm256_loadu_ps(y + e + 8), hi);
    }
    return reduce16(lo, hi);
}

/* R rows x S seeds at a time; R, S are constants after inlining, so acc stays in registers. */
static inline __attribute__((always_inline)) void tile(const float *x, size_t R, const float *y,
                                                       size_t S, size_t dpad, float *out,
                                                       size_t ldo)
{
    __m256 acc[2][3][2];
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++) acc[r][s][0] = acc[r][s][1] = _mm256_setzero_ps();
    for (size_t e = 0; e < dpad; e += 16) {
        __m256 xv[2][2];
        for (size_t r = 0; r < R; r++) {
            xv[r][0] = _mm256_loadu_ps(x + r * dpad + e);
            xv[r][1] = _mm256_loadu_ps(x + r * dpad + e + 8);
        }
        for (size_t s = 0; s < S; s++) {
            __m256 y0 = _mm256_loadu_ps(y + s * dpad + e);
            __m256 y1 = _mm256_loadu_ps(y + s * dpad + e + 8);
            for (size_t r = 0; r < R; r++) {
                acc[r][s][0] = _mm256_fmadd_ps(xv[r][0], y0, acc[r][s][0]);
                acc[r][s][1] = _mm256_fmadd_ps(xv[r][1], y1, acc[r][s][1]);
            }
        }
    }
    for (size_t r = 0; r < R; r++)
        for (size_t s = 0; s < S; s++) out[r * ldo + s] = reduce16(acc[r][s][0], acc[r][s][1]);
}

void dv__knn_dot_avx2(const float *x, size_t nrows, const float *y, size_t nseeds, size_t dpad,
                      float *out, size_t ldo)
{
    size_t i = 0;
    for (; i + 2 <= nrows; i += 2) {
        size_t j = 0;
        for (; j + 3 <= nseeds; j += 3)
            tile(x + i * dpad, 2, y + j * dpad, 3, dpad, out + i * ldo + j, ldo);
        for (; j < nseeds; j++) tile(x + i * dpad, 2, y + j * dpad, 1, dpad, out + i * ldo + j, ldo);
    }
    for (; i < nrows; i++) {
        size_t j = 0;
        for (; j + 3 <= nseeds; j += 3)
            tile(x + i * dpad, 1, y + j * dpad, 3, dpad, out + i * ldo + j, ldo);
        for (; j < nseeds; j++) tile(x + i * dpad, 1, y + j * dpad, 1, dpad, out + i * ldo + j, ldo);
    }
}

/* R rows x one group of 16 seeds. Each 32-bit lane of a seed vector holds 4 dims of one seed;
 * the row's 4 bytes are broadcast; VPMADDUBSW (u8 x s8 -> pairs of s16, no saturation at
 * these ranges) then VPMADDWD by 1 gives the 4-term sums as s32. Seeds in [-32, 32] (fine
 * 0): two 4-dim steps are added in 16 bits before widening, |pair sum| <= 2 * 255 * 32, so
 * two of them stay below 2^15. Seeds in [-64, 64] (fine 1): each step is widened on its
 * own, |pair sum| <= 2 * 255 * 64 < 2^15. */
static inline __attribute__((always_inline)) void i8_tile(const uint8_t *xu, size_t R,
                                                          const int8_t *s, const int32_t *corr,
                                                          size_t dpad, int32_t *out, size_t ldo,
                                                          int fine)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[4][2];
    for (size_t r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (size_t kb = 0; kb < dpad / 4; kb += 2) {
        __m256i s0 = _mm256_loadu_si256((const __m256i *)(const void *)(s + kb * 64));
        __m256i s1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + kb * 64 + 32));
        __m256i t0 = _mm256_loadu_si256((const __m256i *)(const void *)(s + kb * 64 + 64));
        __m256i t1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + kb * 64 + 96));
        for (size_t r = 0; r < R; r++) {
            int32_t w0, w1;
            __builtin_memcpy(&w0, xu + r * dpad + kb * 4, 4);
            __builtin_memcpy(&w1, xu + r * dpad + kb * 4 + 4, 4);
            __m256i xa = _mm256_set1_epi32(w0), xb = _mm256_set1_epi32(w1);
            __m256i a0 = _mm256_maddubs_epi16(xa, s0), b0 = _mm256_maddubs_epi16(xb, t0);
            __m256i a1 = _mm256_maddubs_epi16(xa, s1), b1 = _mm256_maddubs_epi16(xb, t1);
            if (fine) {
                acc[r][0] = _mm256_add_epi32(acc[r][0],
                                             _mm256_add_epi32(_mm256_madd_epi16(a0, ones),
                                                              _mm256_madd_epi16(b0, ones)));
                acc[r][1] = _mm256_add_epi32(acc[r][1],
                                             _mm256_add_epi32(_mm256_madd_epi16(a1, ones),
                                                              _mm256_madd_epi16(b1, ones)));
            } else {
                acc[r][0] = _mm256_add_epi32(acc[r][0],
                                             _mm256_madd_epi16(_mm256_add_epi16(a0, b0), ones));
                acc[r][1] = _mm256_add_epi32(acc[r][1],
                                             _mm256_madd_epi16(_mm256_add_epi16(a1, b1), ones));
            }
        }
    }
    __m256i c0 = _mm256_loadu_si256((const __m256i *)(const void *)corr);
    __m256i c1 = _mm256_loadu_si256((const __m256i *)(const void *)(corr + 8));
    for (size_t r = 0; r < R; r++) {
        _mm256_storeu_si256((__m256i *)(void *)(out + r * ldo), _mm256_sub_epi32(acc[r][0], c0));
        _mm256_storeu_si256((__m256i *)(void *)(out + r * ldo + 8),
                            _mm256_sub_epi32(acc[r][1], c1));
    }
}

/* rows in chunks that stay in L1 while every seed group passes over them */
static inline __attribute__((always_inline)) void i8_run(const uint8_t *xu, size_t nrows,
                                                         const int8_t *sp, size_t ngroups,
                                                         const int32_t *corr, size_t dpad,
                                                         int32_t *out, size_t ldo, int fine)
{
    for (size_t i0 = 0; i0 < nrows; i0 += 32) {
        size_t i1 = nrows - i0 < 32 ? nrows : i0 + 32;
        for (size_t g = 0; g < ngroups; g++) {
            const int8_t *s = sp + g * dpad * DV_KNN_SEED_GROUP;
            const int32_t *c = corr + g * DV_KNN_SEED_GROUP;
            int32_t *o = out + g * DV_KNN_SEED_GROUP;
            size_t i = i0;
            for (; i + 4 <= i1; i += 4) i8_tile(xu + i * dpad, 4, s, c, dpad, o + i * ldo, ldo, fine);
            for (; i < i1; i++) i8_tile(xu + i * dpad, 1, s, c, dpad, o + i * ldo, ldo, fine);
        }
    }
}

void dv__knn_i8_avx2(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                     const int32_t *corr, size_t dpad, int32_t *out, size_t ldo)
{
    i8_run(xu, nrows, sp, ngroups, corr, dpad, out, ldo, 0);
}

/* seeds in [-64, 64]: the kernel for few seeds (DV_KNN_FEW_SEEDS) */
void dv__knn_i8_avx2_s64(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                         const int32_t *corr, size_t dpad, int32_t *out, size_t ldo)
{
    i8_run(xu, nrows, sp, ngroups, corr, dpad, out, ldo, 1);
}

/* out[p] = dot1(x[p], y[p]) for p < n, four pairs side by side so that their FMA chains
 * overlap (each pair's lanes are added exactly as dv__knn_dot1_avx2 adds them). */
void dv__knn_pairs_avx2(const float *const *x, const float *const *y, size_t n, size_t dpad,
                        float *out)
{
    size_t p = 0;
    for (; p + 4 <= n; p += 4) {
        __m256 lo[4], hi[4];
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) lo[r] = hi[r] = _mm256_setzero_ps();
        for (size_t e = 0; e < dpad; e += 16) {
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                lo[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x[p + r] + e),
                                        _mm256_loadu_ps(y[p + r] + e), lo[r]);
                hi[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x[p + r] + e + 8),
                                        _mm256_loadu_ps(y[p + r] + e + 8), hi[r]);
            }
        }
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) out[p + r] = reduce16(lo[r], hi[r]);
    }
    for (; p < n; p++) out[p] = dv__knn_dot1_avx2(x[p], y[p], dpad);
}

static inline float hsum8(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

/* The same quantization as dv__knn_quant_row (same scale, same q); the norm sums are added in
 * another order, which the bounds allow (they hold for any order). */
void dv__knn_quant_row_avx2(const float *x, size_t dpad, uint8_t *u, float *scale,
                            float *norm_ub, float *err_ub)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 mv = _mm256_setzero_ps(), nv = _mm256_setzero_ps();
    int nan = 0;
    for (size_t e = 0; e < dpad; e += 8) {
        __m256 v = _mm256_loadu_ps(x + e);
        nan |= _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        mv = _mm256_max_ps(mv, _mm256_and_ps(v, absmask));
        nv = _mm256_fmadd_ps(v, v, nv);
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float m = _mm_cvtss_f32(m4);
    const float slack = 1.0f + (float)(2 * (dpad + 8)) * 0x1p-24f;
    *norm_ub = sqrtf(hsum8(nv) + (float)dpad * 0x1p-149f + 0x1p-126f) * slack;
    if (nan || !(m > 0.0f) || !(m <= 3.4e38f) || m < 0x1p-100f) {
        /* zero, tiny or non-finite rows: the scalar twin's special cases */
        dv__knn_quant_row(x, dpad, u, scale, norm_ub, err_ub);
        return;
    }
    const float sc = m / (float)DV_KNN_ROW_QMAX, inv = (float)DV_KNN_ROW_QMAX / m;
    const __m256 vinv = _mm256_set1_ps(inv), vnsc = _mm256_set1_ps(-sc);
    const __m256 qmax = _mm256_set1_ps((float)DV_KNN_ROW_QMAX);
    const __m256 qmin = _mm256_set1_ps(-(float)DV_KNN_ROW_QMAX);
    __m256 ev = _mm256_setzero_ps();
    for (size_t e = 0; e < dpad; e += 8) {
        __m256 v = _mm256_loadu_ps(x + e);
        __m256 q = _mm256_round_ps(_mm256_mul_ps(v, vinv),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm256_min_ps(_mm256_max_ps(q, qmin), qmax);
        __m256 r = _mm256_fmadd_ps(vnsc, q, v);
        ev = _mm256_fmadd_ps(r, r, ev);
        __m256i qi = _mm256_add_epi32(_mm256_cvtps_epi32(q), _mm256_set1_epi32(128));
        /* 8 x int32 in [1, 255] -> 8 bytes */
        __m128i lo = _mm256_castsi256_si128(qi), hi = _mm256_extracti128_si256(qi, 1);
        __m128i w16 = _mm_packus_epi32(lo, hi);
        __m128i b8 = _mm_packus_epi16(w16, w16);
        _mm_storel_epi64((__m128i *)(void *)(u + e), b8);
    }
    *scale = sc;
    *err_ub = sqrtf(hsum8(ev) + (float)dpad * 0x1p-149f + 0x1p-126f) *
              (1.0f + (float)(2 * (dpad + 10)) * 0x1p-24f);
}

/* The float16 rows of the int8 pass quantized straight from the mapping (AVX2 + F16C), the
 * same bytes and row parameters as dv__knn_f16quant_scalar: for CPUs without VNNI, whose
 * int8 kernel (VPMADDUBSW) then scores them. */
__attribute__((target("f16c"))) void dv__knn_f16quant_avx2(const uint16_t *h, size_t nrows,
                                                            size_t d, float sqd_ub, uint8_t *xu,
                                                            float *rscale, float *rnorm,
                                                            float *rerr)
{
    const __m256i m7 = _mm256_set1_epi16(0x7fff);
    const __m256 magic = _mm256_set1_ps(0x1.8p23f + 128.0f);
    const __m256i mbits = _mm256_set1_epi32(0x4B400000);
    const __m256i unlane = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t i = 0; i < nrows; i++) {
        const uint16_t *x = h + i * d;
        uint8_t *u = xu + i * d;
        __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
        for (size_t e = 0; e < d; e += 32) {
            m0 = _mm256_max_epu16(m0, _mm256_and_si256(_mm256_loadu_si256((const void *)(x + e)), m7));
            m1 = _mm256_max_epu16(m1,
                                  _mm256_and_si256(_mm256_loadu_si256((const void *)(x + e + 16)), m7));
        }
        /* the largest value, and the lane sum in the scalar twin's order */
        __m256i mm = _mm256_max_epu16(m0, m1);
        __m128i m8 = _mm_max_epu16(_mm256_castsi256_si128(mm), _mm256_extracti128_si256(mm, 1));
        m8 = _mm_max_epu16(m8, _mm_srli_si128(m8, 8));
        m8 = _mm_max_epu16(m8, _mm_srli_si128(m8, 4));
        m8 = _mm_max_epu16(m8, _mm_srli_si128(m8, 2));
        uint32_t mh = (uint32_t)_mm_extract_epi16(m8, 0);
        __m256 lo_a = _mm256_cvtph_ps(_mm256_castsi256_si128(m0));
        __m256 lo_b = _mm256_cvtph_ps(_mm256_extracti128_si256(m0, 1));
        __m256 hi_a = _mm256_cvtph_ps(_mm256_castsi256_si128(m1));
        __m256 hi_b = _mm256_cvtph_ps(_mm256_extracti128_si256(m1, 1));
        __m256 t_a = _mm256_fmadd_ps(hi_a, hi_a, _mm256_mul_ps(lo_a, lo_a));
        __m256 t_b = _mm256_fmadd_ps(hi_b, hi_b, _mm256_mul_ps(lo_b, lo_b));
        float m = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128((int)mh)));
        float inv = dv__knn_f16_row_params(mh, m, reduce16(t_a, t_b), d, sqd_ub, &rscale[i],
                                           &rnorm[i], &rerr[i]);
        if (inv == 0.0f) {
            memset(u, 128, d);
            continue;
        }
        const __m256 vinv = _mm256_set1_ps(inv);
        for (size_t e = 0; e < d; e += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const void *)(x + e + 8 * k)));
                /* one rounding of x inv; the bits less 1.5 2^23 are 128 + q in [1, 255] */
                q[k] = _mm256_sub_epi32(_mm256_castps_si256(_mm256_fmadd_ps(f, vinv, magic)),
                                        mbits);
            }
            /* 32 values to bytes: the packs work within 128-bit lanes, leaving dwords in the
             * order 0l 1l 2l 3l | 0h 1h 2h 3h (l, h: first, last 4 values of q[k]) */
            __m256i b = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]),
                                            _mm256_packus_epi32(q[2], q[3]));
            b = _mm256_permutevar8x32_epi32(b, unlane);
            _mm256_storeu_si256((__m256i *)(void *)(u + e), b);
        }
    }
}
