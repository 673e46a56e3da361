/* fuzz_png.c - libFuzzer target for the PNG adapter (libpng): every colour type, tRNS, Adam7.
 * Decodes with a 16M-pixel limit, PDQ-hashes what decodes; a broken API promise aborts. */
#define FUZZ_FORMAT DV_FMT_PNG
#include "image_target.h"
