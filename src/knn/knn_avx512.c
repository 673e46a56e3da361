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

/* VPDPBUSD through asm: GCC 12 compiles _mm512_dpbusd_epi32 with a register copy of every
 * accumulator at each step, which halves the kernel's speed. */
static inline __attribute__((always_inline)) __m512i dpbusd(__m512i acc, __m512i u, __m512i s)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
    return acc;
}

/* One group of 16 seeds against R (1 or 8) quantized rows: out[r * ldo + j] */
static inline __attribute__((always_inline)) void
i8_tile(const uint8_t *xu, size_t R, const int8_t *s, const int32_t *corr, size_t dpad,
        int32_t *out, size_t ldo)
{
    __m512i acc[8];
#pragma GCC unroll 8
    for (size_t r = 0; r < R; r++) acc[r] = _mm512_setzero_si512();
    for (size_t kb = 0; kb < dpad / 4; kb++) {
        __m512i sv = _mm512_loadu_si512((const void *)(s + kb * 64));
#pragma GCC unroll 8
        for (size_t r = 0; r < R; r++) {
            int32_t w;
            __builtin_memcpy(&w, xu + r * dpad + kb * 4, 4);
            acc[r] = dpbusd(acc[r], _mm512_set1_epi32(w), sv);
        }
    }
    __m512i c = _mm512_loadu_si512((const void *)corr);
#pragma GCC unroll 8
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

/* ---------------------------------------------------------------- int8 from float16 */

#define F16Q_ROWS 8 /* rows per tile */
/* Rows are read into L2 this far ahead (bytes): the hardware prefetchers alone leave the
 * kernel waiting on memory at every 4 KiB page. Prefetches never fault, so running past the
 * end of the rows is harmless. */
#define F16Q_PREFETCH 16384
/* tile B starts this far past tile A, so that loads from one and stores to the other are not
 * 4 KiB apart */
#define F16Q_GAP 1088
static const float f16q_magic = 0x1.8p23f + 128.0f;

/* rscale, rnorm and rerr of a row from its 32 lane maxima of |x| (float16 bits); returns the
 * row's inv (0 for a row the pass cannot take) */
static inline float row_params(__m512i mx, size_t d, float sqd, float *rscale, float *rnorm,
                                 float *rerr)
{
    __m512i m32 = _mm512_max_epu32(_mm512_and_si512(mx, _mm512_set1_epi32(0xffff)),
                                   _mm512_srli_epi32(mx, 16));
    uint32_t mh = (uint32_t)_mm512_reduce_max_epu32(m32);
    __m512 lo = _mm512_cvtph_ps(_mm512_castsi512_si256(mx));
    __m512 hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(mx, 1));
    float s = reduce16(_mm512_fmadd_ps(hi, hi, _mm512_mul_ps(lo, lo)));
    float m = _mm512_cvtss_f32(_mm512_cvtph_ps(_mm256_set1_epi16((short)mh)));
    return dv__knn_f16_row_params(mh, m, s, d, sqd, rscale, rnorm, rerr);
}

static inline __m512i absmax32(__m512i mx, const uint16_t *x)
{
    return _mm512_max_epu16(mx, _mm512_and_si512(_mm512_loadu_si512((const void *)x),
                                                 _mm512_set1_epi16(0x7fff)));
}

/* 16 values to 16 bytes q + 128: fma(x, inv, 1.5 2^23 + 128) rounds x inv to the nearest
 * integer once (ties to even) and leaves 128 + q in the low byte */
static inline __m128i conv16(const uint16_t *x, __m512 vinv)
{
    __m512 f = _mm512_cvtph_ps(_mm256_loadu_si256((const void *)x));
    __m512 t = _mm512_fmadd_ps(f, vinv, _mm512_set1_ps(f16q_magic));
    return _mm512_cvtepi32_epi8(_mm512_castps_si512(t));
}

static void conv_row(const uint16_t *x, size_t d, float inv, uint8_t *q)
{
    __m512 vinv = _mm512_set1_ps(inv);
    for (size_t e = 0; e < d; e += 16) _mm_storeu_si128((void *)(q + e), conv16(x + e, vinv));
}

static float row_setup(const uint16_t *x, size_t d, float sqd, float *rscale, float *rnorm,
                         float *rerr)
{
    __m512i mx = _mm512_setzero_si512();
    for (size_t e = 0; e < d; e += 32) mx = absmax32(mx, x + e);
    return row_params(mx, d, sqd, rscale, rnorm, rerr);
}

/* One tile step, interleaved so that the VNNI units (scoring tile A) and the conversion units
 * (quantizing tile B, scanning tile C for its scales) work at the same time:
 * out[r] = qa row r . seeds - corr; qb = tile B quantized with its rows' inv kb; tile C's row
 * parameters, and its inv in kc. */
static void f16q_step(const uint8_t *qa, const int8_t *sp, const int32_t *corr, int32_t *out,
                      size_t ldo, const uint16_t *hb, const float *kb, uint8_t *qb,
                      const uint16_t *hc, size_t d, float sqd, float *kc, float *rscale,
                      float *rnorm, float *rerr)
{
    __m512i acc[F16Q_ROWS];
    const size_t chunks = d / 32;
#pragma GCC unroll 8
    for (int r = 0; r < F16Q_ROWS; r++) acc[r] = _mm512_setzero_si512();
    __m512i mxs[F16Q_ROWS];
    for (size_t rr = 0; rr < F16Q_ROWS; rr++) {
        const uint16_t *xb = hb + rr * d, *xc = hc + rr * d;
        uint8_t *qo = qb + rr * d;
        __m512 vk = _mm512_set1_ps(kb[rr]);
        __m512i mx = _mm512_setzero_si512();
        for (size_t c = 0; c < chunks; c++) {
            size_t step = rr * chunks + c; /* dims 4 step .. 4 step + 3 of tile A */
            __m512i sv = _mm512_loadu_si512((const void *)(sp + step * 64));
            const uint8_t *q = qa + step * 4;
#pragma GCC unroll 8
            for (int r = 0; r < F16Q_ROWS; r++) {
                int32_t w;
                __builtin_memcpy(&w, q + (size_t)r * d, 4);
                acc[r] = dpbusd(acc[r], _mm512_set1_epi32(w), sv);
            }
            _mm_storeu_si128((void *)(qo + c * 32), conv16(xb + c * 32, vk));
            _mm_storeu_si128((void *)(qo + c * 32 + 16), conv16(xb + c * 32 + 16, vk));
            _mm_prefetch((const char *)((uintptr_t)(xc + c * 32) + F16Q_PREFETCH), _MM_HINT_T1);
            mx = absmax32(mx, xc + c * 32);
        }
        mxs[rr] = mx;
    }
    /* tile C's row parameters after the loop: their chains of divisions and reductions do not
     * hold up the VNNI work (9% faster than row by row inside it, in an ad hoc harness) */
    for (size_t rr = 0; rr < F16Q_ROWS; rr++)
        kc[rr] = row_params(mxs[rr], d, sqd, &rscale[rr], &rnorm[rr], &rerr[rr]);
    __m512i cv = _mm512_loadu_si512((const void *)corr);
#pragma GCC unroll 8
    for (int r = 0; r < F16Q_ROWS; r++)
        _mm512_storeu_si512((void *)(out + r * ldo), _mm512_sub_epi32(acc[r], cv));
}

__attribute__((target("avx512vnni"))) void
dv__knn_f16q_vnni(const uint16_t *h, size_t nrows, size_t d, const int8_t *sp,
                  size_t ngroups, const int32_t *corr, float sqd_ub, int32_t *out, size_t ldo,
                  float *rscale, float *rnorm, float *rerr, uint8_t *scratch)
{
    const size_t T = nrows / F16Q_ROWS, tile = F16Q_ROWS * d;
    uint8_t *qa = scratch, *qb = scratch + tile + F16Q_GAP;
    float kb[F16Q_ROWS], kc[F16Q_ROWS]; /* the rows' inv */
    float dummy[3][F16Q_ROWS];
    if (T > 0) {
        /* prologue: tile 0 scaled and quantized, tile 1 scaled */
        for (size_t r = 0; r < F16Q_ROWS; r++) {
            float inv = row_setup(h + r * d, d, sqd_ub, &rscale[r], &rnorm[r], &rerr[r]);
            conv_row(h + r * d, d, inv, qa + r * d);
        }
        for (size_t r = 0; T > 1 && r < F16Q_ROWS; r++)
            kb[r] = row_setup(h + tile + r * d, d, sqd_ub, &rscale[F16Q_ROWS + r],
                              &rnorm[F16Q_ROWS + r], &rerr[F16Q_ROWS + r]);
        for (size_t t = 0; t < T; t++) {
            /* past the last tiles, the step converts and scans tile t again for nothing */
            const uint16_t *hb = h + (t + 1 < T ? t + 1 : t) * tile;
            const uint16_t *hc = h + (t + 2 < T ? t + 2 : t) * tile;
            size_t r2 = (t + 2) * F16Q_ROWS;
            int has2 = t + 2 < T;
            int32_t *o = out + t * F16Q_ROWS * ldo;
            f16q_step(qa, sp, corr, o, ldo, hb, kb, qb, hc, d, sqd_ub, kc,
                      has2 ? rscale + r2 : dummy[0], has2 ? rnorm + r2 : dummy[1],
                      has2 ? rerr + r2 : dummy[2]);
            /* more seeds: the tile is in L1, its other groups one after another */
            if (ngroups > 1)
                dv__knn_i8_vnni(qa, F16Q_ROWS, sp + d * DV_KNN_SEED_GROUP, ngroups - 1,
                                corr + DV_KNN_SEED_GROUP, d, o + DV_KNN_SEED_GROUP, ldo);
            uint8_t *tq = qa;
            qa = qb;
            qb = tq;
            __builtin_memcpy(kb, kc, sizeof(kb));
        }
    }
    /* the last rows, one at a time */
    for (size_t i = T * F16Q_ROWS; i < nrows; i++) {
        float inv = row_setup(h + i * d, d, sqd_ub, &rscale[i], &rnorm[i], &rerr[i]);
        conv_row(h + i * d, d, inv, qa);
        dv__knn_i8_vnni(qa, 1, sp, ngroups, corr, d, out + i * ldo, ldo);
    }
}

size_t dv__knn_i8_rows_avx512(const int32_t *ic, size_t n, size_t ldo, size_t nseeds,
                              const float *rscale, const float *thr, uint32_t *rows)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const __m512 rs = _mm512_set1_ps(rscale[i]);
        __mmask16 any = 0;
        for (size_t j = 0; j < nseeds; j += 16) {
            __mmask16 live = nseeds - j >= 16 ? (__mmask16)0xffff
                                               : (__mmask16)((1u << (nseeds - j)) - 1);
            __m512 a = _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(live, ic + i * ldo + j)), rs);
            /* not less than (unordered counts: a NaN scale passes) */
            any |= _mm512_mask_cmp_ps_mask(live, a, _mm512_maskz_loadu_ps(live, thr + j),
                                           _CMP_NLT_UQ);
        }
        rows[m] = (uint32_t)i;
        m += any != 0;
    }
    return m;
}

void dv__knn_pairs_avx512(const float *const *x, const float *const *y, size_t n, size_t dpad,
                          float *out)
{
    size_t p = 0;
    for (; p + 8 <= n; p += 8) {
        __m512 a[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) a[r] = _mm512_setzero_ps();
        for (size_t e = 0; e < dpad; e += 16) {
#pragma GCC unroll 8
            for (int r = 0; r < 8; r++)
                a[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x[p + r] + e), _mm512_loadu_ps(y[p + r] + e),
                                       a[r]);
        }
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) out[p + r] = reduce16(a[r]);
    }
    for (; p < n; p++) out[p] = dv__knn_dot1_avx512(x[p], y[p], dpad);
}
