/* pdq_avx512.c - the cache-friendly PDQ downsample built for AVX-512 (16 lanes).
 * Compiled with -mavx512f -mavx512bw -mavx512vl only; selected at run time by pdq.c. */
#include "pdq_internal.h"
#define KLANES 16
#define KSTRIPS 2
#define KNAME dv__pdq_downsample_avx512
#include "pdq_kernel.h"
