/* pdq_portable.c - the cache-friendly PDQ downsample with the compiler's baseline vectors.
 * Used where no wider instruction set is available. */
#include "pdq_internal.h"
#define KLANES 4
#define KSTRIPS 2
#define KNAME dv__pdq_downsample_portable
#include "pdq_kernel.h"
