/* text.c - the one UTF-8 decoder, and how outputs write strings whose bytes came from a
 * dataset or a list: valid UTF-8 always, URLs percent-encoded, other text with U+FFFD. */
#include "common.h"

#include <string.h>
#include <strings.h>

size_t dv_utf8_next(const void *s, size_t n, uint32_t *cp)
{
    const uint8_t *p = s;
    uint8_t b = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t c;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        c = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        c = b & 0x0Fu;
        if (b == 0xE0) lo = 0xA0;      /* overlong */
        else if (b == 0xED) hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        c = b & 0x07u;
        if (b == 0xF0) lo = 0x90;      /* overlong */
        else if (b == 0xF4) hi = 0x8F; /* over U+10FFFF */
    } else {
        *cp = DV_UTF8_BAD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *cp = DV_UTF8_BAD; /* the maximal subpart: the bytes that could still begin one */
            return i;
        }
        c = (c << 6) | (p[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = c;
    return need + 1;
}

int dv__text_shown(uint32_t c)
{
    if (c == DV_UTF8_BAD) return 0;
    if (c < 0x20) return c == '\t' || c == '\n';
    if (c >= 0x7F && c <= 0x9F) return 0;
    if (c == 0x061C || c == 0x200E || c == 0x200F) return 0;
    if (c >= 0x202A && c <= 0x202E) return 0;
    if (c >= 0x2066 && c <= 0x2069) return 0;
    if (c >= 0xFDD0 && c <= 0xFDEF) return 0;
    if ((c & 0xFFFEu) == 0xFFFEu) return 0;
    return 1;
}

/* A data: URI is shown redacted (dv_url_redact: "data:image/png;base64,<96 bytes withheld>"),
 * which is a description, not a URL to copy: it is written as text. So is a URL with base64
 * of an image in its path or query withheld ("https://a.example/?img=<96 bytes withheld>"), whose
 * spaces would otherwise read "<96%20bytes%20withheld>". */
static dv_text_kind kind_of(dv_text_kind kind, const char *s, size_t n)
{
    static const char mark[] = " bytes withheld>";
    if (kind != DV_TEXT_URL || s == NULL) return kind;
    if (n >= 5 && strncasecmp(s, "data:", 5) == 0) return DV_TEXT_PLAIN;
    for (size_t i = 0; i + sizeof mark - 1 <= n; i++)
        if (s[i] == ' ' && memcmp(s + i, mark, sizeof mark - 1) == 0) return DV_TEXT_PLAIN;
    return kind;
}

size_t dv__text_unit(dv_text_kind kind, const char *s, size_t n, char rep[DV__TEXT_UNIT_MAX],
                     const char **out, size_t *olen)
{
    static const char hx[] = "0123456789ABCDEF";
    uint32_t c;
    size_t k = dv_utf8_next(s, n, &c);
    int keep = kind == DV_TEXT_URL ? c > 0x20 && dv__text_shown(c) : c != DV_UTF8_BAD && c != 0;
    if (keep) {
        *out = s;
        *olen = k;
    } else if (kind == DV_TEXT_URL) {
        for (size_t i = 0; i < k; i++) {
            rep[3 * i] = '%';
            rep[3 * i + 1] = hx[(uint8_t)s[i] >> 4];
            rep[3 * i + 2] = hx[(uint8_t)s[i] & 15];
        }
        *out = rep;
        *olen = 3 * k;
    } else {
        memcpy(rep, "\xEF\xBF\xBD", 3);
        *out = rep;
        *olen = 3;
    }
    return k;
}

size_t dv_text_utf8(dv_text_kind kind, const char *s, size_t len, char *out, size_t cap)
{
    size_t total = 0, w = 0;
    int full = 0;
    if (s == NULL) len = 0;
    kind = kind_of(kind, s, len);
    for (size_t i = 0; i < len;) {
        char rep[DV__TEXT_UNIT_MAX];
        const char *u;
        size_t ul;
        i += dv__text_unit(kind, s + i, len - i, rep, &u, &ul);
        /* whole units only: a cut never leaves half a character or half an escape */
        if (!full && out != NULL && w + ul < cap) {
            memcpy(out + w, u, ul);
            w += ul;
        } else {
            full = 1;
        }
        total += ul;
    }
    if (out != NULL && cap > 0) out[w] = '\0';
    return total;
}

int dv__text_clean(dv_text_kind kind, const char *s, size_t len)
{
    kind = kind_of(kind, s, len);
    for (size_t i = 0; i < len;) {
        uint8_t b = (uint8_t)s[i];
        char rep[DV__TEXT_UNIT_MAX];
        const char *u;
        size_t ul;
        if (b > 0x20 && b < 0x7F) { /* printable ASCII stands as it is in every kind */
            i++;
            continue;
        }
        i += dv__text_unit(kind, s + i, len - i, rep, &u, &ul);
        if (u == rep) return 0;
    }
    return 1;
}

void dv__text_fputs(FILE *f, dv_text_kind kind, const char *s)
{
    size_t n = strlen(s);
    kind = kind_of(kind, s, n);
    for (size_t i = 0; i < n;) {
        char rep[DV__TEXT_UNIT_MAX];
        const char *u;
        size_t ul;
        i += dv__text_unit(kind, s + i, n - i, rep, &u, &ul);
        fwrite(u, 1, ul, f);
    }
}

void dv__json_strn(FILE *f, dv_text_kind kind, const char *s, size_t n)
{
    kind = kind_of(kind, s, n);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        char rep[DV__TEXT_UNIT_MAX];
        const char *u;
        size_t ul, j = i;
        /* a run of printable ASCII but the quote and backslash stands as it is, in every kind */
        while (j < n && (uint8_t)s[j] > 0x20 && (uint8_t)s[j] < 0x7F && s[j] != '"' &&
               s[j] != '\\')
            j++;
        if (j > i) {
            fwrite(s + i, 1, j - i, f);
            i = j;
            continue;
        }
        i += dv__text_unit(kind, s + i, n - i, rep, &u, &ul);
        if (ul == 1) {
            unsigned c = (uint8_t)u[0];
            switch (c) {
            case '"': fputs("\\\"", f); continue;
            case '\\': fputs("\\\\", f); continue;
            case '\n': fputs("\\n", f); continue;
            case '\t': fputs("\\t", f); continue;
            case '\r': fputs("\\r", f); continue;
            default:
                if (c < 0x20) {
                    fprintf(f, "\\u%04x", c);
                    continue;
                }
            }
        }
        fwrite(u, 1, ul, f);
    }
    fputc('"', f);
}

size_t dv__text_escape(const char *s, size_t n, char *out, size_t cap)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t total = 0, w = 0;
    int full = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = (uint8_t)s[i];
        char rep[DV__TEXT_UNIT_MAX];
        const char *u = s + i;
        size_t k = 1, ul = 1;
        if (b == '\\') {
            u = "\\\\";
            ul = 2;
        } else if (b < 0x20 || b >= 0x7F) {
            uint32_t c;
            k = dv_utf8_next(s + i, n - i, &c);
            ul = k;
            if (c < 0x20 || !dv__text_shown(c)) { /* k <= 3 bytes of a bad unit, 4 of a char */
                for (size_t j = 0; j < k; j++) {
                    rep[3 * j] = 'x';
                    rep[3 * j + 1] = hx[(uint8_t)s[i + j] >> 4];
                    rep[3 * j + 2] = hx[(uint8_t)s[i + j] & 15];
                }
                u = rep;
                ul = 3 * k;
            }
        }
        if (u == rep) { /* each byte is \xHH: a backslash before each 'x' */
            size_t need = ul / 3 * 4;
            if (!full && out != NULL && w + need < cap)
                for (size_t j = 0; j < ul; j += 3) {
                    out[w++] = '\\';
                    memcpy(out + w, rep + j, 3);
                    w += 3;
                }
            else
                full = 1;
            total += need;
        } else {
            if (!full && out != NULL && w + ul < cap) {
                memcpy(out + w, u, ul);
                w += ul;
            } else {
                full = 1;
            }
            total += ul;
        }
        i += k;
    }
    if (out != NULL && cap > 0) out[w] = '\0';
    return total;
}

size_t dv__text_vline(char *out, size_t cap, const char *fmt, va_list ap)
{
    char raw[2048];
    size_t fl = strlen(fmt), w;
    int n, nl = fl > 0 && fmt[fl - 1] == '\n';
    if (cap == 0) return 0;
    n = vsnprintf(raw, sizeof raw, fmt, ap);
    if (n < 0) n = 0;
    /* the line feed that ends fmt is the line's end; any other one is a name's */
    if ((size_t)n >= sizeof raw) n = sizeof raw - 1;
    else if (nl) n--;
    w = dv__text_escape(raw, (size_t)n, out, cap - (nl && cap > 1));
    if (w > cap - 1 - (nl && cap > 1)) w = strlen(out);
    if (nl && cap > 1) {
        out[w++] = '\n';
        out[w] = '\0';
    }
    return w;
}

size_t dv__text_line(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t w;
    va_start(ap, fmt);
    w = dv__text_vline(out, cap, fmt, ap);
    va_end(ap);
    return w;
}
