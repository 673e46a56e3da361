/* pdq_avx2.c - the cache-friendly PDQ downsample built for AVX2 (8 lanes).
 * Compiled with -mavx2 only; selected at run time by pdq.c. */
#include "pdq_internal.h"
#define KLANES 8
#define KSTRIPS 2
#define KNAME dv__pdq_downsample_avx2
#include "pdq_kernel.h"
