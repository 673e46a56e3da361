/* knn_internal.h - what the embedding search shares with its SIMD kernels and unit tests.
 * Every kernel has a scalar twin here that the SIMD versions must match bit for bit. */
#ifndef DV_KNN_INTERNAL_H
#define DV_KNN_INTERNAL_H

#include "../common/common.h"

#include <math.h>
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
/* VPDPBUSD adds four u8 x s8 products into int32 exactly, so next to it seeds use the full
 * [-127, 127]. */
#define DV_KNN_SEED_QMAX_VNNI 127
/* With few seeds (at most DV_KNN_FEW_SEEDS) the AVX2 kernel takes seeds in [-64, 64]: twice
 * the work per step, far fewer pairs to rescore (docs/knn.md) */
#define DV_KNN_SEED_QMAX_FEW 64
#define DV_KNN_FEW_SEEDS 32
/* The float16 int8 pass (dv__knn_f16q_fn) works on rows of a multiple of 32 dims. */
#define DV_KNN_F16Q_DIMS 32

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

/* The int8 pass straight from float16 rows (docs/knn.md, "int8 from float16"). h: nrows
 * rows of d float16 values (d a multiple of 32); sp, ngroups, corr: the seed groups as for
 * dv__knn_i8_fn, seeds quantized to [-127, 127]. Row i is scaled by inv = 127 / max|x|
 * (a float): q_e = x_e inv rounded once to the nearest integer (ties to even), so
 * |q_e| <= 127 (dv__knn_f16_row_params). Out: out[i * ldo + j] = sum_e q_e s_j,e for
 * j < 16 ngroups, rscale[i] = fl(1 / inv), rnorm[i] >= max(||x||, ||q / inv||),
 * rerr[i] >= ||x - q / inv||. An all-zero or non-finite row gets rscale NaN and
 * rnorm = rerr = 0 (its out values are unspecified): the caller rescores it against every
 * seed. sqd_ub >= sqrt(d). scratch: 16 d + 4096 bytes. */
typedef void (*dv__knn_f16q_fn)(const uint16_t *h, size_t nrows, size_t d, const int8_t *sp,
                                size_t ngroups, const int32_t *corr, float sqd_ub, int32_t *out,
                                size_t ldo, float *rscale, float *rnorm, float *rerr,
                                uint8_t *scratch);

/* The rows of an int8 block where some seed j < nseeds may reach its threshold:
 * !((float)ic[i * ldo + j] * rscale[i] < thr[j]) (a NaN rscale passes). Writes their indexes
 * to rows (capacity n), in order, and returns how many. */
typedef size_t (*dv__knn_i8_rows_fn)(const int32_t *ic, size_t n, size_t ldo, size_t nseeds,
                                     const float *rscale, const float *thr, uint32_t *rows);

/* out[p] = the canonical dot product of x[p] and y[p] (dpad floats each) for p < n, the pairs
 * scored side by side so that their FMA chains overlap. */
typedef void (*dv__knn_pairs_fn)(const float *const *x, const float *const *y, size_t n,
                                 size_t dpad, float *out);

/* The float16 rows of the int8 pass quantized to u8 (q + 128) as dv__knn_f16q_fn does, with
 * the same rscale, rnorm and rerr, for an i8 kernel to score (CPUs without VNNI). The bytes
 * of a row the pass cannot take are 128 (rscale NaN: the caller rescores the row). */
typedef void (*dv__knn_f16quant_fn)(const uint16_t *h, size_t nrows, size_t d, float sqd_ub,
                                    uint8_t *xu, float *rscale, float *rnorm, float *rerr);

typedef struct dv__knn_kernels {
    dv_simd simd;
    dv__knn_dot_fn dot;
    dv__knn_dot1_fn dot1;
    dv__knn_i8_fn i8;
    void (*quant)(const float *x, size_t dpad, uint8_t *u, float *scale, float *norm_ub,
                  float *err_ub);
    const char *i8_name; /* "scalar", "avx2-vpmaddubsw", "avx512-vnni" */
    int seed_qmax;       /* what the i8 kernel takes: 32 (VPMADDUBSW) or 127 */
    dv__knn_i8_fn i8_few; /* for at most DV_KNN_FEW_SEEDS seeds, with seeds in */
    int seed_qmax_few;    /* [-seed_qmax_few, seed_qmax_few] (the same as i8 where no better) */
    dv__knn_f16q_fn f16q; /* NULL where the CPU has no AVX512-VNNI */
    dv__knn_f16quant_fn f16quant; /* with i8, where f16q is NULL (AVX2 + F16C), else NULL */
    dv__knn_i8_rows_fn i8_rows;
    dv__knn_pairs_fn pairs; /* NULL: one dot1 after another */
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
void dv__knn_pairs_avx2(const float *const *x, const float *const *y, size_t n, size_t dpad,
                        float *out);
void dv__knn_quant_row_avx2(const float *x, size_t dpad, uint8_t *u, float *scale,
                            float *norm_ub, float *err_ub);
void dv__knn_i8_avx2_s64(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                         const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
void dv__knn_i8_avx2(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                     const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
void dv__knn_dot_avx512(const float *x, size_t nrows, const float *y, size_t nseeds,
                        size_t dpad, float *out, size_t ldo);
float dv__knn_dot1_avx512(const float *x, const float *y, size_t dpad);
void dv__knn_i8_vnni(const uint8_t *xu, size_t nrows, const int8_t *sp, size_t ngroups,
                     const int32_t *corr, size_t dpad, int32_t *out, size_t ldo);
void dv__knn_f16q_vnni(const uint16_t *h, size_t nrows, size_t d, const int8_t *sp,
                       size_t ngroups, const int32_t *corr, float sqd_ub, int32_t *out,
                       size_t ldo, float *rscale, float *rnorm, float *rerr, uint8_t *scratch);
#endif
void dv__knn_pairs_scalar(const float *const *x, const float *const *y, size_t n, size_t dpad,
                          float *out);
#if defined(DV_HAVE_X86_SIMD)
void dv__knn_pairs_avx512(const float *const *x, const float *const *y, size_t n, size_t dpad,
                          float *out);
#endif
size_t dv__knn_i8_rows_scalar(const int32_t *ic, size_t n, size_t ldo, size_t nseeds,
                              const float *rscale, const float *thr, uint32_t *rows);
#if defined(DV_HAVE_X86_SIMD)
size_t dv__knn_i8_rows_avx512(const int32_t *ic, size_t n, size_t ldo, size_t nseeds,
                              const float *rscale, const float *thr, uint32_t *rows);
#endif
void dv__knn_f16quant_scalar(const uint16_t *h, size_t nrows, size_t d, float sqd_ub,
                             uint8_t *xu, float *rscale, float *rnorm, float *rerr);
#if defined(DV_HAVE_X86_SIMD)
void dv__knn_f16quant_avx2(const uint16_t *h, size_t nrows, size_t d, float sqd_ub, uint8_t *xu,
                           float *rscale, float *rnorm, float *rerr);
#endif
void dv__knn_f16q_scalar(const uint16_t *h, size_t nrows, size_t d, const int8_t *sp,
                         size_t ngroups, const int32_t *corr, float sqd_ub, int32_t *out,
                         size_t ldo, float *rscale, float *rnorm, float *rerr, uint8_t *scratch);

/* Row parameters of the float16 int8 pass. mh: the largest |x_e| as float16 bits, m: its
 * value (the caller converts it, by whatever exact means it has); lanesum:
 * the sum over the 32 lanes l of m_l^2, m_l = max |x_e| over e = l mod 32, in float, as
 * fmaf(m_(l+16), m_(l+16), m_l * m_l) for l < 16 and then the canonical 16-lane reduction.
 * Returns inv = 127 / max|x| (rounded to float), or 0 for a row the pass cannot take: an
 * all-zero row or one with an infinity or NaN. */
static inline float dv__knn_f16_row_params(uint32_t mh, float m, float lanesum, size_t d,
                                           float sqd_ub, float *rscale, float *rnorm,
                                           float *rerr)
{
    if (mh >= 0x7c00u || mh == 0) {
        *rscale = nanf("");
        *rnorm = 0.0f;
        *rerr = 0.0f;
        return 0.0f;
    }
    /* m >= 2^-24, so inv <= 127 2^24 and |x_e inv| <= 127 (1 + 2^-24): it rounds to at most
     * 127. With s = 1 / inv (a real), |x_e - s q_e| <= s / 2, and rscale >= s (1 - 2^-24). */
    float inv = 127.0f / m;
    *rscale = 1.0f / inv;
    *rerr = sqd_ub * *rscale * 0.5f * (1.0f + 0x1p-20f);
    /* ||x||^2 <= (d / 32) sum_l m_l^2; lanesum is within 8u of that sum (six roundings a term)
     * and the product, root and sums below add four more: 2^-20 covers them all. The bound
     * on ||q / inv|| is ||x|| + rerr. */
    *rnorm = (sqrtf((float)(d / 32) * lanesum) + *rerr) * (1.0f + 0x1p-20f);
    return inv;
}

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
