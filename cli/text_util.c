/* text_util.c - JSON strings, a bounded top-level JSON string reader and an image
 * signature check for the CLI. Fuzzed by fuzz/fuzz_scan_json.c, which compiles this file into
 * its target. */
#include "text_util.h"

#include "datavet.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct jp {
    const uint8_t *p;
    size_t n, i;
} jp;

static void ws(jp *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' ||
                           j->p[j->i] == '\r'))
        j->i++;
}

static size_t put_utf8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (uint8_t)(0xC0 | (c >> 6));
        o[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (c >> 12));
        o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (c >> 18));
    o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

static int hex4(jp *j, uint32_t *v)
{
    *v = 0;
    if (j->n - j->i < 4) return -1;
    for (int k = 0; k < 4; k++) {
        uint8_t c = j->p[j->i++];
        *v <<= 4;
        if (c >= '0' && c <= '9') *v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') *v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') *v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    return 0;
}

/* A string at j->i (the opening quote), decoded into o when o is non-NULL (o holds at least
 * 3 bytes per input byte + 1: U+FFFD for one bad byte is the worst case). */
static int scan_string(jp *j, uint8_t *o)
{
    size_t on = 0;
    if (j->i >= j->n || j->p[j->i] != '"') return -1;
    j->i++;
    for (;;) {
        uint32_t c;
        size_t k;
        if (j->i >= j->n) goto bad;
        if (j->p[j->i] == '"') {
            j->i++;
            break;
        }
        if (j->p[j->i] < 0x20) goto bad;
        if (j->p[j->i] == '\\') {
            if (++j->i >= j->n) goto bad;
            switch (j->p[j->i++]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = 8; break;
            case 'f': c = 12; break;
            case 'n': c = 10; break;
            case 'r': c = 13; break;
            case 't': c = 9; break;
            case 'u':
                if (hex4(j, &c) != 0) goto bad;
                if (c >= 0xD800 && c <= 0xDBFF) {
                    uint32_t lo;
                    size_t save = j->i;
                    if (j->n - j->i >= 6 && j->p[j->i] == '\\' && j->p[j->i + 1] == 'u') {
                        j->i += 2;
                        if (hex4(j, &lo) != 0) goto bad;
                        if (lo >= 0xDC00 && lo <= 0xDFFF) {
                            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                        } else {
                            c = 0xFFFD;
                            j->i = save; /* the second escape is decoded on its own */
                        }
                    } else {
                        c = 0xFFFD;
                    }
                } else if ((c >= 0xDC00 && c <= 0xDFFF) || c == 0) {
                    c = 0xFFFD;
                }
                break;
            default: goto bad;
            }
            if (o != NULL) on += put_utf8(o + on, c);
            continue;
        }
        k = dv_utf8_next(j->p + j->i, j->n - j->i, &c);
        if (o != NULL) {
            if (c == DV_UTF8_BAD) {
                on += put_utf8(o + on, 0xFFFD);
            } else {
                memcpy(o + on, j->p + j->i, k);
                on += k;
            }
        }
        j->i += k;
    }
    if (o != NULL) o[on] = '\0';
    return 0;
bad:
    return -1;
}

/* A string at j->i; with out non-NULL, decoded into a malloc'd buffer sized by a first pass. */
static int string(jp *j, char **out)
{
    size_t start = j->i, raw;
    uint8_t *o;
    if (scan_string(j, NULL) != 0) return -1;
    if (out == NULL) return 0;
    raw = j->i - start;
    if (raw > (SIZE_MAX - 1) / 3) return -2;
    o = malloc(raw * 3 + 1);
    if (o == NULL) return -2;
    j->i = start;
    if (scan_string(j, o) != 0) { /* cannot happen: the first pass accepted it */
        free(o);
        return -1;
    }
    *out = (char *)o;
    return 0;
}

/* Skip one value without decoding it. Containers are matched with an explicit stack. */
static int skip_value(jp *j)
{
    char stack[CLI_JSON_MAX_DEPTH];
    int depth = 0;
    ws(j);
    if (j->i >= j->n) return -1;
    if (j->p[j->i] == '"') return string(j, NULL);
    if (j->p[j->i] != '{' && j->p[j->i] != '[') {
        size_t s = j->i;
        while (j->i < j->n && j->p[j->i] != ',' && j->p[j->i] != '}' && j->p[j->i] != ']' &&
               j->p[j->i] != ' ' && j->p[j->i] != '\t' && j->p[j->i] != '\n' &&
               j->p[j->i] != '\r' && j->p[j->i] != '"' && j->p[j->i] != '{' &&
               j->p[j->i] != '[')
            j->i++;
        return j->i > s ? 0 : -1;
    }
    while (j->i < j->n) {
        uint8_t c = j->p[j->i];
        if (c == '"') {
            if (string(j, NULL) != 0) return -1;
            continue;
        }
        j->i++;
        if (c == '{' || c == '[') {
            if (depth == CLI_JSON_MAX_DEPTH) return -1;
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[depth - 1] != (char)c) return -1;
            if (--depth == 0) return 0;
        }
    }
    return -1;
}

int cli_json_top_raw(const char *buf, size_t len, const char *key, const char **val,
                     size_t *vlen)
{
    jp j = {(const uint8_t *)buf, len, 0};
    *val = NULL;
    *vlen = 0;
    if (buf == NULL || key == NULL) return -1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) j.i = 3; /* BOM */
    ws(&j);
    if (j.i >= j.n || j.p[j.i] != '{') return -1;
    j.i++;
    ws(&j);
    if (j.i < j.n && j.p[j.i] == '}') return 0;
    for (;;) {
        char *k = NULL;
        int rc, match;
        size_t start;
        ws(&j);
        rc = string(&j, &k);
        if (rc != 0) return rc;
        match = strcmp(k, key) == 0;
        free(k);
        ws(&j);
        if (j.i >= j.n || j.p[j.i] != ':') return -1;
        j.i++;
        ws(&j);
        start = j.i;
        if (skip_value(&j) != 0) return -1;
        if (match) {
            *val = buf + start;
            *vlen = j.i - start;
            return 1;
        }
        ws(&j);
        if (j.i >= j.n) return -1;
        if (j.p[j.i] == '}') return 0;
        if (j.p[j.i] != ',') return -1;
        j.i++;
    }
}

int cli_json_top_string(const char *buf, size_t len, const char *key, char **out)
{
    const char *v;
    size_t vlen;
    int rc = cli_json_top_raw(buf, len, key, &v, &vlen);
    *out = NULL;
    if (rc != 1) return rc;
    if (vlen == 0 || v[0] != '"') return 0; /* present but not a string */
    {
        jp j = {(const uint8_t *)v, vlen, 0};
        rc = string(&j, out);
    }
    return rc == 0 ? 1 : rc;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The image whose signature the base64 text p[0..n) starts with: its first 64 digits (up to
 * the first other character; line breaks skipped, as MIME wraps base64), decoded by the
 * library's data: URI decoder into 48 bytes, enough for every signature dv_image_kind tests.
 * A bare JPEG XL codestream (FF 0A) is not taken: two bytes are "/wo" in base64, the start of
 * many a path and word. */
/* A digit of base64, standard or URL-safe. */
static int is_b64(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '-' || c == '_';
}

static const char *b64_image_kind(const uint8_t *p, size_t n)
{
    static const char *const names[][2] = {
        {"jpeg", "base64 jpeg"}, {"png", "base64 png"},   {"webp", "base64 webp"},
        {"gif", "base64 gif"},   {"tiff", "base64 tiff"}, {"heif", "base64 heif"},
        {"jxl", "base64 jxl"},   {"bmp", "base64 bmp"}};
    char uri[13 + 64 + 1] = "data:;base64,";
    uint8_t buf[48];
    size_t nd = 0, nb = 0;
    const char *k;
    for (size_t i = 0; i < n && nd < 64; i++) {
        if (is_b64(p[i])) uri[13 + nd++] = (char)p[i];
        else if (p[i] != '\n' && p[i] != '\r') break;
    }
    nd -= nd % 4; /* whole groups: a partial one could be a word's letters */
    if (nd == 0 || dv_data_uri_decode(uri, 13 + nd, buf, sizeof buf, &nb, NULL, NULL) != DV_OK)
        return NULL;
    if (nb >= 2 && buf[0] == 0xFF && buf[1] == 0x0A) return NULL;
    k = dv_image_kind(buf, nb);
    if (k != NULL)
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(k, names[i][0]) == 0) return names[i][1];
    return NULL;
}

/* Whether p (n bytes) starts with a data: URI of an image: data:image/..., or a base64 one
 * whatever its media type says (octet-stream, none): the first 48 bytes of its content,
 * decoded as a scan decodes them, tell. */
static int data_uri_image(const uint8_t *p, size_t n)
{
    uint8_t buf[48];
    size_t nb = 0;
    int rc;
    if (n >= 11 && strncasecmp((const char *)p, "data:image/", 11) == 0) return 1;
    if (n < 5 || strncasecmp((const char *)p, "data:", 5) != 0) return 0;
    rc = dv_data_uri_decode((const char *)p, n, buf, sizeof buf, &nb, NULL, NULL);
    if (rc == DV_ETOOBIG) nb = sizeof buf;
    return (rc == DV_OK || rc == DV_ETOOBIG) && dv_image_kind(buf, nb) != NULL;
}

/* An image inside other text (a JSON column {"img": "/9j/4AAQ..."}, an HTML caption with
 * <img src="data:image/png;base64,...">): a data: URI of one anywhere, or a run of at least
 * 64 base64 characters, starting after a character that is not one, that decodes to an image
 * signature. Short runs are words, paths or ids. */
#define EMBEDDED_B64_MIN 64
static const char *embedded_image_kind(const uint8_t *p, size_t n)
{
    size_t i = 1;
    if (n < 11) return NULL; /* the shortest: "data:image/" */
    while (i < n) {
        uint8_t run[EMBEDDED_B64_MIN + 4];
        size_t j = i, nr = 0;
        if (!is_b64(p[i]) || is_b64(p[i - 1])) {
            i++;
            continue;
        }
        if ((p[i] == 'd' || p[i] == 'D') && data_uri_image(p + i, n - i)) return "data URI";
        /* the run, its first digits kept: JSON may write '/' as "\/" (PHP's json_encode) */
        while (j < n) {
            uint8_t ch = p[j];
            if (ch == '\\' && j + 1 < n && p[j + 1] == '/') ch = p[++j];
            else if (!is_b64(ch)) break;
            if (nr < sizeof run) run[nr] = ch;
            nr++;
            j++;
        }
        if (nr >= EMBEDDED_B64_MIN) {
            const char *k = b64_image_kind(run, nr < sizeof run ? nr : sizeof run);
            if (k) return k;
        }
        i = j;
    }
    return NULL;
}

const char *cli_image_kind(const uint8_t *p, size_t n)
{
    const char *k = dv_image_kind(p, n);
    if (k) return k;
    while (n > 0 && is_space(*p)) {
        p++;
        n--;
    }
    if (n >= 5 && strncasecmp((const char *)p, "data:", 5) == 0)
        return data_uri_image(p, n) ? "data URI" : embedded_image_kind(p, n);
    k = b64_image_kind(p, n);
    return k ? k : embedded_image_kind(p, n);
}

char *cli_url_shown(const char *url)
{
    size_t cap;
    char *red, *out;
    const char *u;
    if (url == NULL) return NULL;
    cap = DV_URL_REDACT_BOUND(strlen(url));
    if ((red = malloc(cap)) == NULL) return NULL;
    u = dv_url_redact(url, red, cap);
    if (u == red) return red;
    out = malloc(strlen(u) + 1);
    if (out != NULL) memcpy(out, u, strlen(u) + 1);
    free(red);
    return out;
}

/* ---------------------------------------------------------------- JSON strings */

/* (text_util.h) A JSON string: valid UTF-8 kept as it is, ill-formed bytes as U+FFFD, controls escaped as
 * DuckDB (yyjson) escapes them. Runs of bytes kept as they are go out in one put. */
void cli_json_escape(void (*put)(void *ctx, const char *s, size_t n), void *ctx, const char *s,
                     size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, run = 0;
    put(ctx, "\"", 1);
    while (i < n) {
        uint32_t cp;
        size_t k;
        uint8_t c = p[i];
        const char *esc = NULL;
        char u[8];
        if (c < 0x80) {
            switch (c) {
            case '"': esc = "\\\""; break;
            case '\\': esc = "\\\\"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            default:
                if (c < 0x20) {
                    snprintf(u, sizeof u, "\\u%04x", c);
                    esc = u;
                }
            }
            k = 1;
        } else {
            k = dv_utf8_next(p + i, n - i, &cp);
            if (cp == DV_UTF8_BAD) esc = "\xef\xbf\xbd";
        }
        if (esc != NULL) {
            if (i > run) put(ctx, s + run, i - run);
            put(ctx, esc, strlen(esc));
            run = i + k;
        }
        i += k;
    }
    if (i > run) put(ctx, s + run, i - run);
    put(ctx, "\"", 1);
}

static void put_file(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, (FILE *)ctx); }

void cli_json_strn(FILE *f, const char *s, size_t n) { cli_json_escape(put_file, f, s, n); }

void cli_json_str(FILE *f, const char *s) { cli_json_strn(f, s ? s : "", s ? strlen(s) : 0); }

/* ---------------------------------------------------------------- text for a terminal */

/* 1 when the code point c may reach a terminal as it is (text_util.h, cli_put_safe): the
 * characters DV_TEXT_URL keeps, and the space. */
static int term_shown(uint32_t c)
{
    if (c == DV_UTF8_BAD || c < 0x20 || (c >= 0x7F && c <= 0x9F)) return 0;
    if (c == 0x061C || c == 0x200E || c == 0x200F) return 0;
    if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) return 0;
    if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFEu) == 0xFFFEu) return 0;
    return 1;
}

/* The next unit of s[0..n) (n > 0): its length in *k, and 1 when it is written as \xHH. */
static int term_unit(const char *s, size_t n, size_t *k)
{
    uint32_t c;
    uint8_t b = (uint8_t)s[0];
    if (b >= 0x20 && b < 0x7F) { /* printable ASCII: the common case, no decoding */
        *k = 1;
        return 0;
    }
    *k = dv_utf8_next(s, n, &c);
    return !term_shown(c);
}

size_t cli_safe_len(const char *s, size_t n)
{
    size_t len = 0;
    for (size_t i = 0, k; i < n; i += k)
        len += term_unit(s + i, n - i, &k) ? 4 * k : s[i] == '\\' ? 2 : k;
    return len;
}

void cli_put_safe(FILE *f, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i = 0, run = 0, k;
    while (i < n) {
        int esc = term_unit(s + i, n - i, &k);
        if (esc || s[i] == '\\') {
            if (i > run) fwrite(s + run, 1, i - run, f);
            if (esc) {
                for (size_t j = 0; j < k; j++) {
                    char e[4] = {'\\', 'x', hx[(uint8_t)s[i + j] >> 4], hx[(uint8_t)s[i + j] & 15]};
                    fwrite(e, 1, 4, f);
                }
            } else {
                fwrite("\\\\", 1, 2, f);
            }
            run = i + k;
        }
        i += k;
    }
    if (i > run) fwrite(s + run, 1, i - run, f);
}

void cli_put_escaped(FILE *f, const char *s, size_t n)
{
    size_t i = 0, run = 0, k;
    while (i < n) {
        if (term_unit(s + i, n - i, &k)) {
            if (i > run) fwrite(s + run, 1, i - run, f);
            cli_put_safe(f, s + i, k);
            run = i + k;
        }
        i += k;
    }
    if (i > run) fwrite(s + run, 1, i - run, f);
}

void cli_err_line(const char *prefix, const char *s, size_t n)
{
    cli_err("%s", prefix);
    cli_put_escaped(stderr, s, n);
    fputc('\n', stderr);
}

/* One %s or %c argument: s[0..n) safe, padded with spaces to width (on the right: left). */
static void put_arg(FILE *f, const char *s, size_t n, long width, int left)
{
    size_t len = width > 0 ? cli_safe_len(s, n) : 0;
    long pad = width > 0 && (size_t)width > len ? width - (long)len : 0;
    for (long i = 0; !left && i < pad; i++) fputc(' ', f);
    cli_put_safe(f, s, n);
    for (long i = 0; left && i < pad; i++) fputc(' ', f);
}

/* A number of digits in fmt at *p (at most INT_MAX), *p moved past them. */
static long fmt_digits(const char **p)
{
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        if (v < 100000000) v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

void cli_vfmt(FILE *f, const char *fmt, va_list ap)
{
    va_list aq;
    const char *p = fmt;
    va_copy(aq, ap);
    while (*p) {
        const char *pct = strchr(p, '%');
        char spec[64], len[3] = "";
        size_t k = 0;
        long width = -1, prec = -1;
        int left = 0;
        if (pct == NULL) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(pct - p), f);
        p = pct + 1;
        if (*p == '%') {
            fputc('%', f);
            p++;
            continue;
        }
        /* the conversion, rebuilt with '*' resolved, for the conversions printf writes */
        spec[k++] = '%';
        while (*p && strchr("-+ #0", *p)) {
            if (*p == '-') left = 1;
            if (k < 8) spec[k++] = *p;
            p++;
        }
        if (*p == '*') {
            int w = va_arg(aq, int);
            p++;
            if (w < 0) {
                left = 1;
                spec[k++] = '-';
                width = w == INT_MIN ? INT_MAX : -w;
            } else {
                width = w;
            }
        } else if (*p >= '0' && *p <= '9') {
            width = fmt_digits(&p);
        }
        if (width >= 0) k += (size_t)snprintf(spec + k, sizeof spec - k, "%ld", width);
        if (*p == '.') {
            p++;
            if (*p == '*') {
                int q = va_arg(aq, int);
                p++;
                prec = q < 0 ? -1 : q;
            } else {
                prec = fmt_digits(&p);
            }
            if (prec >= 0) k += (size_t)snprintf(spec + k, sizeof spec - k, ".%ld", prec);
        }
        for (size_t m = 0; m < 2 && *p && strchr("hljztL", *p); m++) {
            len[m] = *p;
            spec[k++] = *p++;
        }
        if (*p == '\0') break;
        spec[k++] = *p;
        spec[k] = '\0';
        switch (*p++) {
        case 's': {
            const char *s = va_arg(aq, const char *);
            if (s == NULL) s = "(null)";
            put_arg(f, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s), width, left);
            break;
        }
        case 'c': {
            char c = (char)va_arg(aq, int);
            put_arg(f, &c, 1, width, left);
            break;
        }
        case 'd':
        case 'i':
            if (len[0] == 'l' && len[1] == 'l') fprintf(f, spec, va_arg(aq, long long));
            else if (len[0] == 'l') fprintf(f, spec, va_arg(aq, long));
            else if (len[0] == 'z' || len[0] == 't') fprintf(f, spec, va_arg(aq, ptrdiff_t));
            else if (len[0] == 'j') fprintf(f, spec, va_arg(aq, intmax_t));
            else fprintf(f, spec, va_arg(aq, int));
            break;
        case 'o':
        case 'u':
        case 'x':
        case 'X':
            if (len[0] == 'l' && len[1] == 'l') fprintf(f, spec, va_arg(aq, unsigned long long));
            else if (len[0] == 'l') fprintf(f, spec, va_arg(aq, unsigned long));
            else if (len[0] == 'z' || len[0] == 't') fprintf(f, spec, va_arg(aq, size_t));
            else if (len[0] == 'j') fprintf(f, spec, va_arg(aq, uintmax_t));
            else fprintf(f, spec, va_arg(aq, unsigned));
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (len[0] == 'L') fprintf(f, spec, va_arg(aq, long double));
            else fprintf(f, spec, va_arg(aq, double));
            break;
        case 'p': fprintf(f, spec, va_arg(aq, void *)); break;
        case 'n': (void)va_arg(aq, void *); break; /* writes nothing, and stores nothing */
        default: fputs(spec, f); break;             /* not a conversion: as it stands */
        }
    }
    va_end(aq);
}

void cli_fmt(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vfmt(f, fmt, ap);
    va_end(ap);
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vfmt(stderr, fmt, ap);
    va_end(ap);
}

void cli_fmt_eta(char *out, size_t cap, const char *lead, double s)
{
    long long t;
    if (cap == 0) return;
    out[0] = '\0';
    if (!(s >= 0 && s < 1e8)) return;
    t = (long long)s;
    snprintf(out, cap, "%sETA %02lld:%02lld:%02lld", lead, t / 3600, t / 60 % 60, t % 60);
}
