/* fuzz_webp.c - libFuzzer target for the WebP adapter (libwebp): lossy, alpha, lossless, VP8X.
 * Decodes with a 16M-pixel limit, PDQ-hashes what decodes; a broken API promise aborts. */
#define FUZZ_FORMAT DV_FMT_WEBP
#include "image_target.h"
