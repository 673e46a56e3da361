/* pdq_internal.h - what pdq.c shares with its per-ISA downsampling kernels.
 * A kernel turns a decoded image into the 64x64 PDQ downsample, bit-exact with the reference. */
#ifndef DV_PDQ_INTERNAL_H
#define DV_PDQ_INTERNAL_H

#include "../common/common.h"

/* Working memory for one hasher, grown on demand and reused. */
typedef struct dv__pdq_work {
    float *buf1; /* H x W */
    float *buf2; /* H x W */
    float *cols; /* H x 64: second row pass, sampled columns only */
    float *strip; /* transposed strip: W x 16 lanes, twice */
    size_t cap_hw, cap_cols, cap_strip;
} dv__pdq_work;

/* Jarosz window size for shrinking old_dim to new_dim (the reference's rounding). */
static inline int dv__jarosz_window(int old_dim, int new_dim)
{
    return (old_dim + 2 * new_dim - 1) / (2 * new_dim);
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

/* For tests: run one downsampling path (0 scalar twin, 1 portable, 2 avx2, 3 avx512)
 * on img into out[64*64]. DV_EINVAL if that path is not built or not supported here. */
int dv__pdq_downsample_path(dv_pdq_hasher *h, int path, const dv_image *img, float *out);
#endif
