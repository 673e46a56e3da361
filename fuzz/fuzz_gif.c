/* fuzz_gif.c - libFuzzer target for the GIF adapter (giflib): first frame, maps, interlace.
 * Decodes with a 16M-pixel limit, PDQ-hashes what decodes; a broken API promise aborts. */
#define FUZZ_FORMAT DV_FMT_GIF
#include "image_target.h"
