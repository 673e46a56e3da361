/* pdq_avx2.c - the cache-friendly PDQ downsample built for AVX2 (8 lanes).
 * Compiled with -mavx2 only; selected at run time by pdq.c. */
#include "pdq_internal.h"
#define KLANES 8
#define KSTRIPS 2
#define KNAME dv__pdq_downsample_avx2
#include "pdq_kernel.h"

#include <immintrin.h>

void dv__pdq_sparse_row_avx2(const uint8_t *const *rows, const float *w, int n, int W,
                             int channels, float *row)
{
    int x = 0;
    if (channels == 1) {
        for (; x + 8 <= W; x += 8) {
            __m256 acc = _mm256_setzero_ps();
            for (int k = 0; k < n; k++) {
                __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(rows[k] + x));
                __m256 v = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(w[k]), v));
            }
            _mm256_storeu_ps(row + x, acc);
        }
    }
    /* the rest, and colour (greyscale is what hash --fast decodes JPEGs to) */
    dv__pdq_sparse_cols(rows, w, n, x, W, channels, row);
}
