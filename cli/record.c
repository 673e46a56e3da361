/* record.c - the growable string and the TSV/CSV/JSONL field writer shared by the
 * commands that print hash records (hash, fetch) and by inspect. */
#include "record.h"

#include "datavet.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        char *np;
        while (ncap < b->len + n + 1) ncap *= 2;
        np = realloc(b->p, ncap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) sb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A field in the chosen format: TSV escapes \t \n \r \\; CSV quotes per RFC 4180. */
void put_text(sbuf *b, int fmt, const char *s)
{
    if (fmt == FMT_TSV) {
        for (; *s; s++) {
            switch (*s) {
            case '\t': sb_puts(b, "\\t"); break;
            case '\n': sb_puts(b, "\\n"); break;
            case '\r': sb_puts(b, "\\r"); break;
            case '\\': sb_puts(b, "\\\\"); break;
            default: sb_putn(b, s, 1);
            }
        }
    } else if (fmt == FMT_CSV) {
        if (strpbrk(s, ",\"\r\n") == NULL) {
            sb_puts(b, s);
            return;
        }
        sb_puts(b, "\"");
        for (; *s; s++) {
            if (*s == '"') sb_puts(b, "\"\"");
            else sb_putn(b, s, 1);
        }
        sb_puts(b, "\"");
    } else {
        /* JSON is UTF-8: an ill-formed sequence is U+FFFD (dv_utf8_next), as in every JSON
         * output of datavet */
        size_t n = strlen(s);
        sb_puts(b, "\"");
        for (size_t i = 0; i < n;) {
            unsigned char c = (unsigned char)s[i];
            uint32_t cp;
            size_t k;
            if (c >= 0x80) {
                k = dv_utf8_next(s + i, n - i, &cp);
                if (cp == DV_UTF8_BAD) sb_puts(b, "\xEF\xBF\xBD");
                else sb_putn(b, s + i, k);
                i += k;
                continue;
            }
            if (c == '"') sb_puts(b, "\\\"");
            else if (c == '\\') sb_puts(b, "\\\\");
            else if (c == '\n') sb_puts(b, "\\n");
            else if (c == '\t') sb_puts(b, "\\t");
            else if (c == '\r') sb_puts(b, "\\r");
            else if (c < 0x20) sb_printf(b, "\\u%04x", c);
            else sb_putn(b, s + i, 1);
            i++;
        }
        sb_puts(b, "\"");
    }
}

void put_url(sbuf *b, int fmt, const char *s)
{
    char buf[1024], *t = buf;
    size_t n = strlen(s), need;
    if (fmt != FMT_JSONL) {
        put_text(b, fmt, s);
        return;
    }
    need = dv_text_utf8(DV_TEXT_URL, s, n, NULL, 0) + 1;
    if (need > sizeof buf && (t = malloc(need)) == NULL) {
        b->oom = 1;
        return;
    }
    dv_text_utf8(DV_TEXT_URL, s, n, t, need);
    put_text(b, fmt, t);
    if (t != buf) free(t);
}

void put_sep(sbuf *b, int fmt) { sb_puts(b, fmt == FMT_TSV ? "\t" : ","); }
