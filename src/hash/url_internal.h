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

/* s (n bytes) with each run of base64 of an image that starts at or after from (dv_url_redact's
 * rule) replaced by "<N bytes withheld>", into out (written whole, with its NUL, only when it
 * fits in cap; n + 1 always does): the length of the result without its NUL, 0 when s holds
 * no such run (out untouched). */
size_t dv__b64_image_redact(const char *s, size_t n, size_t from, char *out, size_t cap);
/* The same for a text cut at n (a message at its cap, which may quote a URL): a run that
 * reaches n is withheld when its first digits show an image signature, however short. */
size_t dv__b64_image_redact_cut(const char *s, size_t n, char *out, size_t cap);
/* dv_url_redact for a data: URI only; any other URL is returned as it is (what a scan keeps
 * of an item's URL to fetch it and to look it up in URL lists). */
const char *dv__url_redact_data(const char *url, char *out, size_t cap);

#endif
