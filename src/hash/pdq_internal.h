/* pdq_internal.h - what pdq.c shares with its per-ISA downsampling kernels.
 * A kernel turns a decoded image into the 64x64 PDQ downsample, bit-exact with the reference. */
#ifndef DV_PDQ_INTERNAL_H
#define DV_PDQ_INTERNAL_H

#include "../common/common.h"

/* Working memory for one hasher, grown on demand and reused. */
typedef struct dv__pdq_work {
    float *buf1; /* scalar twin: H x W; kernels: dv__pdq_kernel_floats() */
    float *buf2; /* scalar twin only: H x W */
    size_t cap_hw, cap_cols;
} dv__pdq_work;

/* Jarosz window size for shrinking old_dim to new_dim (the reference's rounding). */
static inline int dv__jarosz_window(int old_dim, int new_dim)
{
    return (old_dim + 2 * new_dim - 1) / (2 * new_dim);
}

/* Rows a streaming kernel filters per block (KLANES x KSTRIPS), at most. */
#define DV_PDQ_MAXBLOCK 32

/* Floats of working memory the streaming kernels need for a W x H image. */
static inline size_t dv__pdq_kernel_floats(size_t W, size_t H, int wc)
{
    const size_t B = DV_PDQ_MAXBLOCK;
    size_t ring = 1;
    while (ring < (size_t)wc + 2 * B + 2) ring *= 2;
    /* strips 2xBW, ring A, ring B BW, luma BW, sums and outrow max(W,64) each,
     * cols 64H+64, mask W/4, slack, 16 to align the strips on a cache line */
    return 2 * B * W + ring * W + B * W + B * W + 2 * (W > 64 ? W : 64) + 64 * H + 64 + W / 4 +
           64 + 16;
}

/* Centre sample of output cell i (of 64) in a dimension of n, as the reference decimates. */
static inline int dv__decimate_index(int i, int n) { return (int)(((i + 0.5) * n) / 64); }

/* The two passes of X,Y box filters then 64x64 decimation, into out[64*64].
 * img has a side >= 5 and is not exactly 64x64 (those are handled by the caller). */
typedef void (*dv__pdq_downsample_fn)(const dv_image *img, dv__pdq_work *w, float *out);

void dv__pdq_downsample_portable(const dv_image *img, dv__pdq_work *w, float *out);
#if defined(DV_HAVE_X86_SIMD)
void dv__pdq_downsample_avx2(const dv_image *img, dv__pdq_work *w, float *out);
void dv__pdq_downsample_avx512(const dv_image *img, dv__pdq_work *w, float *out);
#endif

/* hash --fast's sparse filter, one filtered row: row[x] = the sum over k < n, in that
 * order, of w[k] times the luma of rows[k][x] (0.299 R + 0.587 G + 0.114 B, or the grey
 * value), each product rounded and then added, as the scalar twin does: the SIMD version
 * gives the same bits. */
typedef void (*dv__pdq_sparse_row_fn)(const uint8_t *const *rows, const float *w, int n, int W,
                                      int channels, float *row);
/* The scalar sums for columns x0 .. W-1 only (the SIMD version's tail). */
static inline void dv__pdq_sparse_cols(const uint8_t *const *rows, const float *w, int n, int x0,
                                       int W, int channels, float *row)
{
    for (int x = x0; x < W; x++) row[x] = 0.0f;
    for (int k = 0; k < n; k++) {
        const uint8_t *p = rows[k];
        const float wk = w[k];
        if (channels == 3) {
            for (int x = x0; x < W; x++)
                row[x] += wk * (0.299f * p[3 * x] + 0.587f * p[3 * x + 1] + 0.114f * p[3 * x + 2]);
        } else {
            for (int x = x0; x < W; x++) row[x] += wk * (float)p[x];
        }
    }
}
void dv__pdq_sparse_row_scalar(const uint8_t *const *rows, const float *w, int n, int W,
                               int channels, float *row);
#if defined(DV_HAVE_X86_SIMD)
void dv__pdq_sparse_row_avx2(const uint8_t *const *rows, const float *w, int n, int W,
                             int channels, float *row);
#endif

/* For tests: run one downsampling path (0 scalar twin, 1 portable, 2 avx2, 3 avx512,
 * 4 hash --fast's sparse filter with the scalar row sums, 5 the same with AVX2's) on img
 * into out[64*64]. DV_EINVAL if that path is not built or not supported here. */
int dv__pdq_downsample_path(dv_pdq_hasher *h, int path, const dv_image *img, float *out);
#endif
