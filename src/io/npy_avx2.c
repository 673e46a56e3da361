/* npy_avx2.c - float16 -> float32 with the F16C instruction (VCVTPH2PS), eight at a time.
 * Built with -mavx2 -mfma; F16C is enabled per function and checked at run time by npy.c. */
#include "io_readers.h"

#include <immintrin.h>
#include <string.h>

__attribute__((target("avx2,f16c"))) void dv__f16_to_f32_f16c(const uint16_t *in, float *out,
                                                                size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    }
    if (i < n) {
        /* the tail goes through the same instruction, so NaNs come out the same */
        uint16_t th[8] = {0};
        float tf[8];
        memcpy(th, in + i, (n - i) * sizeof(uint16_t));
        _mm256_storeu_ps(tf, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)th)));
        memcpy(out + i, tf, (n - i) * sizeof(float));
    }
}
