/* knn_internal.h - what the embedding search shares with its SIMD kernels and unit tests.
 * Every kernel has a scalar twin here that the SIMD versions must match bit for bit. */
#ifndef DV_KNN_INTERNAL_H
#define DV_KNN_INTERNAL_H

#include "../common/common.h"

#include <stddef.h>
#include <stdint.h>

/* Canonical float32 dot product: dims (a multiple of DV_KNN_LANES) split into 16 lanes,
 * element e accumulated into lane e % 16 with a fused multiply-add, in order; the lanes are
 * then added as (l, l+8), (l, l+4), (l, l+2), (0, 1). The scalar, AVX2 and AVX-512 kernels all
 * compute exactly this, so every path and thread count returns the same float. */
#define DV_KNN_LANES 16
/* Seeds are packed for the int8 kernels in groups of 16. */
#define DV_KNN_SEED_GROUP 16
/* Rows are quantized to q in [-127, 127], stored as u = q + 128; seeds to [-32, 32], so that
 * two AVX2 VPMADDUBSW pair sums added in 16 bits (at most 4 * 255 * 32 = 32640) never
 * saturate or wrap. */
#define DV_KNN_ROW_QMAX 127
#define DV_KNN_SEED_QMAX 32

/* out[i * ldo + j] = dot(x + i * dpad, y + j * dpad) for i < nrows, j < nseeds. */
typedef void (*dv__knn_dot_fn)(const float *x, size_t nrows, const float *y, size_t nseeds,
                               size_t dpad, float *out, size_t ldo);
/* One pair (the same value as the block kernel gives for it). */
typedef float (*dv__knn_dot1_fn)(const float *x, const float *y, size_t dpad);
/* out[i * ldo + j] = sum_e xu[i * dpad + e] * q_j[e] - corr[j] for the packed seeds:
 * sp holds ngroups groups, group g at sp + g * dpad * 16: for every 4 dims, 16 seeds x 4
 * bytes. corr[j] = 128 * sum_e q_j[e], so the result is sum_e (u - 128) * q = qx . qy. */
typedef void (*dv__knn_i8_fn)(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                              const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);

typedef struct dv__knn_kernels {
    dv_simd simd;
    dv__knn_dot_fn dot;
    dv__knn_dot1_fn dot1;
    dv__knn_i8_fn i8;
    void (*quant)(const float *x, size_t dpad, uint8_t *u, float *scale, float *norm_ub,
                  float *err_ub);
    const char *i8_name; /* "scalar", "avx2-vpmaddubsw", "avx512-vnni" */
} dv__knn_kernels;

/* Kernels for a path (resolved: AUTO and unavailable paths give the best available). */
void dv__knn_get_kernels(dv_simd simd, dv__knn_kernels *out);

void dv__knn_dot_scalar(const float *x, size_t nrows, const float *y, size_t nseeds, size_t dpad,
                        float *out, size_t ldo);
float dv__knn_dot1_scalar(const float *x, const float *y, size_t dpad);
void dv__knn_i8_scalar(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                       const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
#if defined(DV_HAVE_X86_SIMD)
void dv__knn_dot_avx2(const float *x, size_t nrows, const float *y, size_t nseeds, size_t dpad,
                      float *out, size_t ldo);
float dv__knn_dot1_avx2(const float *x, const float *y, size_t dpad);
void dv__knn_quant_row_avx2(const float *x, size_t dpad, uint8_t *u, float *scale,
                            float *norm_ub, float *err_ub);
void dv__knn_i8_avx2(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                     const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
void dv__knn_dot_avx512(const float *x, size_t nrows, const float *y, size_t nseeds,
                        size_t dpad, float *out, size_t ldo);
float dv__knn_dot1_avx512(const float *x, const float *y, size_t dpad);
void dv__knn_i8_vnni(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                     const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
#endif

/* Quantize one row (dpad floats, zero padded) to u8 (q + 128): *scale = max|x| / 127
 * (0 for an all-zero row), and upper bounds on ||x|| and ||x - scale * q|| that hold for the
 * real numbers (docs/knn.md). Non-finite input gives non-finite bounds. */
void dv__knn_quant_row(const float *x, size_t dpad, uint8_t *u, float *scale, float *norm_ub,
                       float *err_ub);
/* Upper bound on ||x|| (real), from float arithmetic. */
float dv__knn_norm_ub(const float *x, size_t dpad);

/* Top-k heap of (score, row): a row is better when its score is higher, or equal with a
 * lower row id. The root is the worst kept entry. NaN scores are never admitted. */
typedef struct dv__knn_ent {
    float score;
    uint32_t seed; /* used in merged lists */
    uint64_t row;
} dv__knn_ent;

static inline int dv__knn_better(float s, uint64_t r, const dv__knn_ent *e)
{
    return s > e->score || (s == e->score && r < e->row);
}
/* Offer (s, r) to heap h of size *n and capacity k. Returns 1 if it was kept. */
int dv__knn_heap_push(dv__knn_ent *h, size_t *n, size_t k, float s, uint64_t r);
/* Sort entries best first (score descending, row ascending). */
void dv__knn_sort(dv__knn_ent *e, size_t n);

#endif
