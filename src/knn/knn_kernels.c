/* knn_kernels.c - scalar twins of the embedding-search kernels, quantization, the top-k heap
 * and the dispatcher. The SIMD files must reproduce these results exactly. */
#include "knn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float dv__knn_dot1_scalar(const float *x, const float *y, size_t dpad)
{
    float a[DV_KNN_LANES] = {0};
    float t[8];
    for (size_t e = 0; e < dpad; e += DV_KNN_LANES)
        for (int l = 0; l < DV_KNN_LANES; l++) a[l] = fmaf(x[e + l], y[e + l], a[l]);
    for (int l = 0; l < 8; l++) t[l] = a[l] + a[l + 8];
    for (int l = 0; l < 4; l++) t[l] = t[l] + t[l + 4];
    for (int l = 0; l < 2; l++) t[l] = t[l] + t[l + 2];
    return t[0] + t[1];
}

void dv__knn_dot_scalar(const float *x, size_t nrows, const float *y, size_t nseeds, size_t dpad,
                        float *out, size_t ldo)
{
    for (size_t i = 0; i < nrows; i++)
        for (size_t j = 0; j < nseeds; j++)
            out[i * ldo + j] = dv__knn_dot1_scalar(x + i * dpad, y + j * dpad, dpad);
}

void dv__knn_i8_scalar(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                       const int32_t *corr, size_t dpad, int32_t *out, size_t ldo)
{
    for (size_t i = 0; i < nrows; i++) {
        const uint8_t *x = xu + i * dpad;
        for (size_t g = 0; g < ngroups; g++) {
            const int8_t *s = sp + g * dpad * DV_KNN_SEED_GROUP;
            int32_t acc[DV_KNN_SEED_GROUP] = {0};
            for (size_t kb = 0; kb < dpad / 4; kb++)
                for (int j = 0; j < DV_KNN_SEED_GROUP; j++)
                    for (int b = 0; b < 4; b++)
                        acc[j] += (int32_t)x[kb * 4 + b] * (int32_t)s[kb * 64 + j * 4 + b];
            for (int j = 0; j < DV_KNN_SEED_GROUP; j++)
                out[i * ldo + g * DV_KNN_SEED_GROUP + j] =
                    acc[j] - corr[g * DV_KNN_SEED_GROUP + j];
        }
    }
}

void dv__knn_pairs_scalar(const float *const *x, const float *const *y, size_t n, size_t dpad,
                          float *out)
{
    for (size_t p = 0; p < n; p++) out[p] = dv__knn_dot1_scalar(x[p], y[p], dpad);
}

size_t dv__knn_i8_rows_scalar(const int32_t *ic, size_t n, size_t ldo, size_t nseeds,
                              const float *rscale, const float *thr, uint32_t *rows)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int any = 0;
        for (size_t j = 0; j < nseeds; j++) any |= !((float)ic[i * ldo + j] * rscale[i] < thr[j]);
        if (any) rows[m++] = (uint32_t)i;
    }
    return m;
}

/* The float16 rows quantized, row by row (the SIMD versions do the same steps). */
void dv__knn_f16quant_scalar(const uint16_t *h, size_t nrows, size_t d, float sqd_ub,
                             uint8_t *xu, float *rscale, float *rnorm, float *rerr)
{
    for (size_t i = 0; i < nrows; i++) {
        const uint16_t *x = h + i * d;
        uint8_t *u = xu + i * d;
        uint16_t m[32] = {0};
        uint32_t mh = 0;
        float t[16];
        for (size_t e = 0; e < d; e++) {
            uint16_t a = (uint16_t)(x[e] & 0x7fffu);
            if (a > m[e % 32]) m[e % 32] = a;
        }
        for (int l = 0; l < 32; l++) mh = m[l] > mh ? m[l] : mh;
        for (int l = 0; l < 16; l++) {
            float lo = dv_f16_to_f32_scalar(m[l]), hi = dv_f16_to_f32_scalar(m[l + 16]);
            t[l] = fmaf(hi, hi, lo * lo);
        }
        for (int l = 0; l < 8; l++) t[l] = t[l] + t[l + 8];
        for (int l = 0; l < 4; l++) t[l] = t[l] + t[l + 4];
        for (int l = 0; l < 2; l++) t[l] = t[l] + t[l + 2];
        float inv = dv__knn_f16_row_params(mh, dv_f16_to_f32_scalar((uint16_t)mh), t[0] + t[1],
                                           d, sqd_ub, &rscale[i], &rnorm[i], &rerr[i]);
        if (inv == 0.0f) {
            memset(u, 128, d);
            continue;
        }
        for (size_t e = 0; e < d; e++) {
            /* one rounding of x inv to an integer: 1.5 2^23 + x inv, |x inv| <= 127 */
            float t8 = fmaf(dv_f16_to_f32_scalar(x[e]), inv, 0x1.8p23f);
            u[e] = (uint8_t)((int)(t8 - 0x1.8p23f) + 128);
        }
    }
}

/* The float16 int8 pass, row by row (the AVX-512 kernel pipelines the same steps). */
void dv__knn_f16q_scalar(const uint16_t *h, size_t nrows, size_t d, const int8_t *sp,
                         size_t ngroups, const int32_t *corr, float sqd_ub, int32_t *out,
                         size_t ldo, float *rscale, float *rnorm, float *rerr, uint8_t *scratch)
{
    for (size_t i = 0; i < nrows; i++) {
        dv__knn_f16quant_scalar(h + i * d, 1, d, sqd_ub, scratch, &rscale[i], &rnorm[i],
                                &rerr[i]);
        if (rscale[i] != rscale[i]) continue;
        dv__knn_i8_scalar(scratch, 1, sp, ngroups, corr, d, out + i * ldo, ldo);
    }
}

/* Bounds below: float sums of n terms are within gamma_n = n u / (1 - n u) (u = 2^-24) of
 * the real sums; DV_KNN_SLACK (n + 8) u covers that, the square root and the final product.
 * Squares that underflow lose at most 2^-149 each, covered by the absolute term. */
static float norm_slack(size_t n) { return 1.0f + (float)(2 * (n + 8)) * 0x1p-24f; }

float dv__knn_norm_ub(const float *x, size_t dpad)
{
    float s = 0.0f;
    for (size_t e = 0; e < dpad; e++) s += x[e] * x[e];
    return sqrtf(s + (float)dpad * 0x1p-149f + 0x1p-126f) * norm_slack(dpad);
}

void dv__knn_quant_row(const float *x, size_t dpad, uint8_t *u, float *scale, float *norm_ub,
                       float *err_ub)
{
    float m = 0.0f, inv, sc, es = 0.0f;
    for (size_t e = 0; e < dpad; e++) {
        float a = fabsf(x[e]);
        m = a > m ? a : m;
        if (a != a) m = a; /* NaN stays */
    }
    *norm_ub = dv__knn_norm_ub(x, dpad);
    if (!(m > 0.0f) || !isfinite(m)) {
        /* zero row: exact; non-finite: everything is unbounded and the row is rescored */
        memset(u, 128, dpad);
        *scale = 0.0f;
        *err_ub = m == 0.0f ? 0.0f : INFINITY;
        if (m != 0.0f) *norm_ub = INFINITY;
        return;
    }
    if (m < 0x1p-100f) {
        /* too small to scale safely: taken as zero, the whole row is the error */
        memset(u, 128, dpad);
        *scale = 0.0f;
        *err_ub = *norm_ub;
        return;
    }
    sc = m / (float)DV_KNN_ROW_QMAX;
    inv = (float)DV_KNN_ROW_QMAX / m;
    for (size_t e = 0; e < dpad; e++) {
        float q = nearbyintf(x[e] * inv);
        float r;
        if (q > (float)DV_KNN_ROW_QMAX) q = (float)DV_KNN_ROW_QMAX;
        if (q < -(float)DV_KNN_ROW_QMAX) q = -(float)DV_KNN_ROW_QMAX;
        u[e] = (uint8_t)((int)q + 128);
        /* fmaf rounds once: r is within u |r| of x - sc q */
        r = fmaf(-sc, q, x[e]);
        es += r * r;
    }
    *scale = sc;
    *err_ub = sqrtf(es + (float)dpad * 0x1p-149f + 0x1p-126f) * norm_slack(dpad + 2);
}

/* ---------------------------------------------------------------- heap */

static int worse(const dv__knn_ent *a, const dv__knn_ent *b)
{
    /* a is worse than b */
    return a->score < b->score || (a->score == b->score && a->row > b->row);
}

static void sift_down(dv__knn_ent *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(&h[l], &h[w])) w = l;
        if (r < n && worse(&h[r], &h[w])) w = r;
        if (w == i) return;
        dv__knn_ent t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

int dv__knn_heap_push(dv__knn_ent *h, size_t *n, size_t k, float s, uint64_t r)
{
    if (s != s || k == 0) return 0;
    if (*n < k) {
        size_t i = (*n)++;
        h[i].score = s;
        h[i].row = r;
        h[i].seed = 0;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!worse(&h[i], &h[p])) break;
            dv__knn_ent t = h[i];
            h[i] = h[p];
            h[p] = t;
            i = p;
        }
        return 1;
    }
    if (!dv__knn_better(s, r, &h[0])) return 0;
    h[0].score = s;
    h[0].row = r;
    sift_down(h, *n, 0);
    return 1;
}

static int cmp_ent(const void *pa, const void *pb)
{
    const dv__knn_ent *a = pa, *b = pb;
    if (a->seed != b->seed) return a->seed < b->seed ? -1 : 1;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    return 0;
}

void dv__knn_sort(dv__knn_ent *e, size_t n)
{
    if (n > 1) qsort(e, n, sizeof(*e), cmp_ent);
}

/* ---------------------------------------------------------------- dispatch */

void dv__knn_get_kernels(dv_simd simd, dv__knn_kernels *out)
{
    dv_simd s = dv__simd_resolve(simd);
    out->simd = DV_SIMD_SCALAR;
    out->dot = dv__knn_dot_scalar;
    out->dot1 = dv__knn_dot1_scalar;
    out->i8 = dv__knn_i8_scalar;
    out->i8_name = "scalar";
    out->quant = dv__knn_quant_row;
    out->seed_qmax = DV_KNN_SEED_QMAX_VNNI;
    out->i8_few = dv__knn_i8_scalar;
    out->seed_qmax_few = DV_KNN_SEED_QMAX_VNNI;
    out->f16q = NULL;
    out->f16quant = NULL;
    out->i8_rows = dv__knn_i8_rows_scalar;
    out->pairs = dv__knn_pairs_scalar;
#if defined(DV_HAVE_X86_SIMD)
    if (s == DV_SIMD_AVX2 || s == DV_SIMD_AVX512) {
        out->simd = DV_SIMD_AVX2;
        out->pairs = dv__knn_pairs_avx2;
        out->dot = dv__knn_dot_avx2;
        out->dot1 = dv__knn_dot1_avx2;
        out->i8 = dv__knn_i8_avx2;
        out->i8_name = "avx2-vpmaddubsw";
        out->quant = dv__knn_quant_row_avx2;
        out->seed_qmax = DV_KNN_SEED_QMAX;
        out->i8_few = dv__knn_i8_avx2_s64;
        out->seed_qmax_few = DV_KNN_SEED_QMAX_FEW;
        if (dv__cpu_has_f16c()) out->f16quant = dv__knn_f16quant_avx2;
    }
    if (s == DV_SIMD_AVX512) {
        out->simd = DV_SIMD_AVX512;
        out->dot = dv__knn_dot_avx512;
        out->dot1 = dv__knn_dot1_avx512;
        out->i8_rows = dv__knn_i8_rows_avx512;
        out->pairs = dv__knn_pairs_avx512;
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512vnni")) {
            out->i8 = dv__knn_i8_vnni;
            out->i8_name = "avx512-vnni";
            out->seed_qmax = DV_KNN_SEED_QMAX_VNNI;
            out->i8_few = dv__knn_i8_vnni;
            out->seed_qmax_few = DV_KNN_SEED_QMAX_VNNI;
            out->f16q = dv__knn_f16q_vnni;
            out->f16quant = NULL;
        }
    }
#else
    (void)s;
#endif
}
