/* url_internal.h - what url.c shares with its AVX2 twin and the tests. */
#ifndef DV_URL_INTERNAL_H
#define DV_URL_INTERNAL_H

#include "../common/common.h"

/* URL parts, in the order of url.c's tables */
enum { DV__URL_USERINFO, DV__URL_HOST, DV__URL_PATH, DV__URL_QUERY };

/* How many bytes from s on stay as they are in part (a multiple of 32 up to the first that
 * does not, or that byte's place): the caller goes on byte by byte from there. AVX2 only. */
size_t dv__url_raw_run_avx2(const char *s, size_t n, int part);
/* The same, byte by byte to the end (the scalar twin; what url.c uses without AVX2). */
size_t dv__url_raw_run_scalar(const char *s, size_t n, int part);

#endif
