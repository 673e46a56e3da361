/* net_internal.h - the small parsers of the fetcher, exposed to unit tests and the fuzz target:
 * Retry-After values and the host:port key that per-host limits count by. */
#ifndef DV_NET_INTERNAL_H
#define DV_NET_INTERNAL_H

#include "datavet.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A Retry-After header value (RFC 9110 10.2.3): delta-seconds or an HTTP-date, surrounding
 * blanks allowed. now is the current time (for dates). Returns 0 with *secs_out (dates in
 * the past give 0; huge values are capped at 1e9), or -1 if the value is neither. */
int dv__retry_after_parse(const char *s, size_t len, time_t now, uint32_t *secs_out);

/* The per-host key of an absolute http(s) URL: lowercased host plus port (explicit or the
 * scheme's default), userinfo dropped, "[v6]" kept in brackets. Writes at most cap-1 bytes
 * plus NUL. Returns 1 for http, 2 for https, 0 for another scheme or no scheme, -1 when
 * there is no host or it does not fit. */
int dv__url_host_key(const char *url, size_t len, char *out, size_t cap);

/* The URL as it is requested (docs/fetch.md, "URLs as a browser requests them"): leading and
 * trailing C0 controls and spaces stripped, tabs and line breaks removed, and after the host
 * C0 controls, space, '"', '<', '>', '`', DEL and bytes from 0x80 written %XX. A new string
 * (dv__free with a), or NULL: with *same set when it would equal url, else out of memory. */
char *dv__url_wire(const dv_alloc *a, const char *url, int *same);

#endif
