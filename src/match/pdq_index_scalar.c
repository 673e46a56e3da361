/* pdq_index_scalar.c - portable twin of the PDQ matcher's kernels (prefilter/compare, probe).
 * Every SIMD kernel must give exactly what these give; tests hold them to it. */
#include "pdq_match_internal.h"

/* Portable: without -mpopcnt __builtin_popcount is a call into libgcc. */
static inline int popcount32(uint32_t x)
{
    x = x - (x >> 1 & 0x55555555u);
    x = (x & 0x33333333u) + (x >> 2 & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)(x * 0x01010101u >> 24);
}

size_t dv__pdq_kernel_scalar(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                             size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                             uint32_t *out, size_t cap)
{
    size_t n = 0, j = *jpos;
    assert(k >= 1 && k <= 8 && cap >= nx && nx <= DV__PDQ_TILE && ny <= DV__PDQ_TILE);
    for (; j < ny; j++) {
        uint32_t yk[8];
        if (cap - n < nx) break;
        for (int w = 0; w < k; w++) yk[w] = y[(size_t)w * ldy + j * ys];
        for (size_t i = 0; i < nx; i++) {
            int d = 0;
            for (int w = 0; w < k; w++) d += popcount32(x[(size_t)w * ldx + i] ^ yk[w]);
            if (d <= r) out[n++] = (uint32_t)(j << 16 | i);
        }
    }
    *jpos = j;
    return n;
}

size_t dv__pdq_probe_scalar(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                            const dv_pdq_hash *q, int r, uint32_t *pos_out, uint8_t *dist_out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = dv__pdq_dist(&codes[ids[i]], q);
        if (d <= r) {
            pos_out[m] = (uint32_t)i;
            dist_out[m++] = (uint8_t)d;
        }
    }
    return m;
}
