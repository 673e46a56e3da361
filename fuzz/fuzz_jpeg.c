/* fuzz_jpeg.c - libFuzzer target for the JPEG adapter (libjpeg-turbo): CMYK, progressive, scaling.
 * Decodes with a 16M-pixel limit, PDQ-hashes what decodes; a broken API promise aborts. */
#define FUZZ_FORMAT DV_FMT_JPEG
#include "image_target.h"
