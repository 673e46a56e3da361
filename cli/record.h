/* record.h - a growable string for output records and the TSV/CSV/JSONL field writer of
 * `datavet hash` and `datavet fetch` (one definition for every command). */
#ifndef DV_CLI_RECORD_H
#define DV_CLI_RECORD_H

#include <stddef.h>

/* Zero-initialise; free p. oom is set (and later appends ignored) when memory runs out. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One text field: TSV escapes \t \n \r \\; CSV quotes per RFC 4180 (both keep the bytes as
 * found: a record names its file or URL exactly); JSONL a JSON string, valid UTF-8 (an
 * ill-formed sequence as U+FFFD). put_url: a URL, in JSONL by DV_TEXT_URL (dv_text_utf8:
 * bytes that cannot stand in a URL percent-encoded), as every UTF-8 output writes URLs. */
enum { FMT_TSV, FMT_CSV, FMT_JSONL };
void put_text(sbuf *b, int fmt, const char *s);
void put_url(sbuf *b, int fmt, const char *s);
void put_sep(sbuf *b, int fmt);

#endif
