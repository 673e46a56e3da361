/* url.c - normalisation of absolute URLs (scheme://host...) into the key that URL lists store.
 * Syntax-based only (RFC 3986 section 6.2.2 case and percent-encoding, plus default ports); no DNS.
 */
#include "url_internal.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static const char hexu[] = "0123456789ABCDEF";

/* Bounded output: counts every byte, stores those that fit with room for the NUL. */
typedef struct url_out {
    char *p;
    size_t cap;
    size_t n;
} url_out;

static void put(url_out *w, char c)
{
    if (w->p != NULL && w->n + 1 < w->cap) w->p[w->n] = c;
    w->n++;
}

static void put_esc(url_out *w, unsigned char c)
{
    put(w, '%');
    put(w, hexu[c >> 4]);
    put(w, hexu[c & 15]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static int is_unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}


enum {
    PART_USERINFO = DV__URL_USERINFO,
    PART_HOST = DV__URL_HOST,
    PART_PATH = DV__URL_PATH,
    PART_QUERY = DV__URL_QUERY
};

/* Whether a raw byte may stay as it is in a part; the others are percent-encoded (or, in the
 * host, refused when ASCII). A raw byte is an unreserved one, a sub-delim (!$&'()*+,;=), and
 * in the userinfo ':', in the path ':' '@' '/', in the query those and '?'. As bitmaps of the
 * ASCII bytes, bit c % 64 of word c / 64, one lookup a byte (a metadata scan normalises every
 * row's URL); tests/unit/test_url.c checks every byte of every part against that rule. */
static const uint64_t raw_map[4][2] = {
    {0x2fff7fd200000000ull, 0x47fffffe87fffffeull}, /* userinfo */
    {0x2bff7fd200000000ull, 0x47fffffe87fffffeull}, /* host */
    {0x2fffffd200000000ull, 0x47fffffe87ffffffull}, /* path */
    {0xafffffd200000000ull, 0x47fffffe87ffffffull}, /* query */
};

static int raw_ok(int part, unsigned char c)
{
    return c < 128 && (raw_map[part][c >> 6] >> (c & 63) & 1) != 0;
}

size_t dv__url_raw_run_scalar(const char *s, size_t n, int part)
{
    size_t i = 0;
    while (i < n && raw_ok(part, (unsigned char)s[i])) i++;
    return i;
}

/* The run of raw bytes from s on: 32 at a time with AVX2 (avx2 set), the rest one by one */
static size_t raw_run(const char *s, size_t n, int part, int avx2)
{
    size_t i = 0;
#if defined(DV_HAVE_X86_SIMD)
    if (avx2) i = dv__url_raw_run_avx2(s, n, part);
#else
    (void)avx2;
#endif
    return i + dv__url_raw_run_scalar(s + i, n - i, part);
}

/* n bytes as they are (put for each, at once) */
static void put_run(url_out *w, const char *s, size_t n)
{
    if (w->p != NULL && w->n + 1 < w->cap) {
        size_t room = w->cap - 1 - w->n;
        memcpy(w->p + w->n, s, n < room ? n : room);
    }
    w->n += n;
}

/* One part with escapes normalised: escapes of unreserved bytes decoded, other escapes
 * upper-cased, bytes that may not appear raw encoded. The host is also lower-cased. */
static int put_part(url_out *w, int part, const char *s, size_t n, int avx2)
{
    const int lower = part == PART_HOST;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!lower && raw_ok(part, c)) {
            /* the run of bytes that stay as they are */
            size_t j = i + 1 + raw_run(s + i + 1, n - i - 1, part, avx2);
            put_run(w, s + i, j - i);
            i = j - 1;
            continue;
        }
        if (c == '%') {
            int hi, lo;
            if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                return DV_EINVAL;
            c = (unsigned char)(hi << 4 | lo);
            if (is_unreserved(c)) put(w, lower ? to_lower((char)c) : (char)c);
            else put_esc(w, c);
            i += 2;
        } else if (raw_ok(part, c)) {
            put(w, lower ? to_lower((char)c) : (char)c);
        } else if (part == PART_HOST && c < 0x80) {
            return DV_EINVAL; /* space, quotes, brackets, ':' ... cannot be in a host name */
        } else {
            put_esc(w, c);
        }
    }
    return DV_OK;
}

/* An IPv6 literal (without brackets) in RFC 5952 form: lower-case hex, no leading zeros,
 * the longest run of two or more zero groups (the first on a tie) as "::". */
static int put_ipv6(url_out *w, const char *s, size_t n)
{
    char buf[64];
    unsigned char a[16];
    unsigned g[8];
    int best = -1, bestlen = 0;

    if (n == 0 || n >= sizeof(buf)) return DV_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!(hexval(s[i]) >= 0 || s[i] == ':' || s[i] == '.')) return DV_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, a) != 1) return DV_EINVAL;
    for (int i = 0; i < 8; i++) g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (bestlen < 2) best = -1;
    put(w, '[');
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            put(w, ':');
            put(w, ':');
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen) put(w, ':');
        {
            static const char hexl[] = "0123456789abcdef";
            int started = 0;
            for (int sh = 12; sh >= 0; sh -= 4) {
                unsigned d = (g[i] >> sh) & 15;
                if (d != 0 || started || sh == 0) {
                    put(w, hexl[d]);
                    started = 1;
                }
            }
        }
    }
    put(w, ']');
    return DV_OK;
}

int dv_url_normalize(const char *url, size_t len, char *out, size_t cap, size_t *out_len)
{
    url_out w = {out, cap, 0};
    size_t i, scheme_end, auth, auth_end, at, host, host_end, port = 0, path, path_end;
    int has_port = 0, rc, avx2 = dv__simd_resolve(DV_SIMD_AUTO) >= DV_SIMD_AVX2;
    unsigned long portv = 0;

    if (out_len != NULL) *out_len = 0;
    if (url == NULL || (out == NULL && cap > 0)) return DV_EINVAL;
    {
        /* no control byte anywhere: or-ed without an early exit, so that the loop vectorises */
        unsigned ctl = 0;
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)url[i];
            ctl |= (unsigned)(c < 0x20) | (unsigned)(c == 0x7f);
        }
        if (ctl) return DV_EINVAL;
    }
    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://" */
    if (len == 0 || !is_alpha((unsigned char)url[0])) return DV_EINVAL;
    for (i = 1; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) break;
    }
    scheme_end = i;
    if (len - scheme_end < 3 || memcmp(url + scheme_end, "://", 3) != 0) return DV_EINVAL;
    auth = scheme_end + 3;
    for (auth_end = auth; auth_end < len; auth_end++) {
        char c = url[auth_end];
        if (c == '/' || c == '?' || c == '#') break;
    }
    /* userinfo ends at the last '@' of the authority */
    at = auth_end;
    for (i = auth_end; i > auth; i--) {
        if (url[i - 1] == '@') {
            at = i - 1;
            break;
        }
    }
    host = at == auth_end ? auth : at + 1;
    if (host < auth_end && url[host] == '[') {
        const char *rb = memchr(url + host, ']', auth_end - host);
        if (rb == NULL) return DV_EINVAL;
        host_end = (size_t)(rb - url) + 1;
        if (host_end < auth_end) {
            if (url[host_end] != ':') return DV_EINVAL;
            has_port = 1;
            port = host_end + 1;
        }
    } else {
        const char *colon = memchr(url + host, ':', auth_end - host);
        host_end = colon ? (size_t)(colon - url) : auth_end;
        if (colon != NULL) {
            has_port = 1;
            port = host_end + 1;
        }
    }
    if (host_end == host) return DV_EINVAL;
    if (has_port) {
        for (i = port; i < auth_end; i++) {
            if (!is_digit((unsigned char)url[i])) return DV_EINVAL;
            portv = portv * 10 + (unsigned long)(url[i] - '0');
            if (portv > 65535) return DV_EINVAL;
        }
        if (port == auth_end) has_port = 0; /* "host:" means the default port */
    }
    path = auth_end;
    {
        /* the path ends at the first '?' or '#' (two memchr: the path is most of a URL) */
        const char *q = memchr(url + path, '?', len - path);
        const char *h = memchr(url + path, '#', (size_t)((q ? q : url + len) - (url + path)));
        path_end = (size_t)((h ? h : q ? q : url + len) - url);
    }

    for (i = 0; i < scheme_end; i++) put(&w, to_lower(url[i]));
    put(&w, ':');
    put(&w, '/');
    put(&w, '/');
    if (at != auth_end && at > auth) { /* an empty userinfo ("http://@h/") is dropped */
        DV_FORWARD_IF_ERROR(put_part(&w, PART_USERINFO, url + auth, at - auth, avx2));
        put(&w, '@');
    }
    if (url[host] == '[') rc = put_ipv6(&w, url + host + 1, host_end - host - 2);
    else rc = put_part(&w, PART_HOST, url + host, host_end - host, 0);
    DV_FORWARD_IF_ERROR(rc);
    if (has_port) {
        int dflt = (scheme_end == 4 && strncasecmp(url, "http", 4) == 0 && portv == 80) ||
                   (scheme_end == 5 && strncasecmp(url, "https", 5) == 0 && portv == 443);
        if (!dflt) {
            char digits[8];
            int nd = 0;
            unsigned long v = portv;
            do {
                digits[nd++] = (char)('0' + v % 10);
                v /= 10;
            } while (v > 0);
            put(&w, ':');
            while (nd > 0) put(&w, digits[--nd]);
        }
    }
    if (path_end == path) put(&w, '/');
    else DV_FORWARD_IF_ERROR(put_part(&w, PART_PATH, url + path, path_end - path, avx2));
    if (path_end < len && url[path_end] == '?') {
        size_t q = path_end + 1, q_end = q;
        while (q_end < len && url[q_end] != '#') q_end++;
        put(&w, '?');
        DV_FORWARD_IF_ERROR(put_part(&w, PART_QUERY, url + q, q_end - q, avx2));
    }
    if (out_len != NULL) *out_len = w.n;
    if (w.n + 1 > cap) return DV_ERANGE;
    out[w.n] = '\0';
    return DV_OK;
}

/* Where a data: URI's media type starts (just after "data:"), or 0 when url is none. The
 * fetcher requests a URL as a browser reads it (dv__url_wire: leading C0 controls and spaces
 * stripped, tabs and line breaks removed anywhere), so "\vdata:" and "da\tta:" are data:
 * URIs to it: the decoder and the redaction must see them as such too. */
static size_t data_scheme_end(const char *url, size_t len)
{
    static const char scheme[] = "data:";
    size_t i = 0, k = 0;
    while (i < len && url[i] != '\0' && (unsigned char)url[i] <= 0x20) i++;
    for (; i < len && k < 5; i++) {
        char c = url[i];
        if (c == '\t' || c == '\r' || c == '\n') continue;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != scheme[k]) return 0;
        k++;
    }
    return k == 5 ? i : 0;
}

/* base64 digit value (standard and URL-safe alphabets), -1 for anything else */
static int b64v(unsigned char c);

/* What b64_token finds besides a digit's value */
enum {
    TOK_NONE = -1, /* a byte (or an escape) that ends a run: a run may start after it */
    TOK_WS = -2    /* a line break, tab or space (raw, or %0A %0D %09 %20): base64 wrapped into
                    * lines (at 76 columns, as MIME writes it) is read across it, as inspect
                    * reads it in text and as the fetcher drops TAB CR LF (dv__url_wire) */
};

/* The token at s[i] (n bytes): a base64 digit, a percent-escape (%XX, one token of 3 bytes,
 * a digit when it decodes to one: %2B %2F, and %41 as 'A'), or a JSON-escaped '/' ("\/", as
 * PHP's json_encode writes it, and as inspect reads base64 in text): its value, its length in
 * *len; TOK_WS for a byte a run is read across, TOK_NONE for any other (%26 or %3D included:
 * a run starts after the whole escape, never at its hex digits). */
static int b64_token(const char *s, size_t n, size_t i, size_t *len)
{
    unsigned char c = (unsigned char)s[i];
    int v = b64v(c), hi, lo;
    *len = 1;
    if (v >= 0) return v;
    if (c == '\\' && n - i >= 2 && s[i + 1] == '/') {
        *len = 2;
        return 63;
    }
    if (c == '%' && n - i >= 3 && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
        *len = 3;
        c = (unsigned char)(hi << 4 | lo);
        if ((v = b64v(c)) >= 0) return v;
    }
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' ? TOK_WS : TOK_NONE;
}

/* The padding ('=' or %3D) that completes a group of nd digits from s[i] on: where it ends */
static size_t b64_pad_end(const char *s, size_t n, size_t i, size_t nd)
{
    for (size_t pad = nd % 4 ? 4 - nd % 4 : 0; pad > 0 && i < n; pad--) {
        if (s[i] == '=') i++;
        else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '3' &&
                 (s[i + 2] == 'D' || s[i + 2] == 'd'))
            i += 3;
        else break;
    }
    return i;
}

/* The first digits of a run from s[i] on (at most DV__B64_RUN_MIN, read across TOK_WS),
 * decoded into buf (a last group of 2 or 3 digits too): the bytes in *nb, the digits in *nd;
 * where the reading stopped. */
#define DV__B64_RUN_MIN 64
static size_t b64_head(const char *s, size_t n, size_t i, uint8_t *buf, size_t *nb, size_t *nd)
{
    size_t len, last = i;
    uint32_t acc = 0;
    int v;
    *nb = *nd = 0;
    while (*nd < DV__B64_RUN_MIN && i < n && ((v = b64_token(s, n, i, &len)) >= 0 || v == TOK_WS)) {
        i += len;
        if (v == TOK_WS) continue;
        last = i;
        acc = acc << 6 | (uint32_t)v;
        if (++*nd % 4 == 0) {
            buf[(*nb)++] = (uint8_t)(acc >> 16);
            buf[(*nb)++] = (uint8_t)(acc >> 8);
            buf[(*nb)++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (*nd % 4 == 2) buf[(*nb)++] = (uint8_t)(acc >> 4);
    if (*nd % 4 == 3) {
        buf[(*nb)++] = (uint8_t)(acc >> 10);
        buf[(*nb)++] = (uint8_t)(acc >> 2);
    }
    return last;
}

/* Whether bytes decoded from base64 start with an image's signature, as inspect --head takes
 * it inside text (a bare JPEG XL codestream's FF 0A, "/wo" in base64, the start of paths and
 * words, is not) */
static int b64_image_head(const uint8_t *buf, size_t nb)
{
    return !(nb >= 2 && buf[0] == 0xFF && buf[1] == 0x0A) && dv_image_kind(buf, nb) != NULL;
}

/* From s[i] on, the rest of a run: digits read across TOK_WS; where its last digit (and the
 * padding that completes its last group) ends */
static size_t b64_run_end(const char *s, size_t n, size_t i, size_t nd)
{
    size_t len, end = i;
    int v;
    while (i < n && ((v = b64_token(s, n, i, &len)) >= 0 || v == TOK_WS)) {
        i += len;
        if (v != TOK_WS) {
            nd++;
            end = i;
        }
    }
    return b64_pad_end(s, n, end, nd);
}

/* A run of base64 starting at s[i] (a digit after a byte that is none, or after a '/' or a
 * line break) that is at least DV__B64_RUN_MIN digits long and whose first digits decode to an
 * image signature: its end, its padding ('=' or %3D) included; 0 if none. With cut set, s was
 * cut at n (a message at its cap): a shorter run that reaches n is one too when its first
 * digits show the signature. Only the first DV__B64_RUN_MIN digits are read unless they are
 * an image's, so trying a start after each '/' of a long run costs a bounded look each. */
static size_t b64_image_run(const char *s, size_t n, size_t i, int cut)
{
    uint8_t buf[DV__B64_RUN_MIN / 4 * 3];
    size_t nd, nb, j = b64_head(s, n, i, buf, &nb, &nd);
    if (nd < DV__B64_RUN_MIN) {
        size_t len;
        int v = TOK_WS;
        /* cut inside the run: nothing after its digits but line breaks up to n */
        while (j < n && (v = b64_token(s, n, j, &len)) == TOK_WS) j += len;
        if (!cut || j < n || v != TOK_WS || !b64_image_head(buf, nb)) return 0;
        return n;
    }
    if (!b64_image_head(buf, nb)) return 0;
    return b64_run_end(s, n, j, nd);
}

/* Whether s[i] (n bytes) matches lit (lower case) ignoring case */
static int lit_at(const char *s, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    return n - i >= k && strncasecmp(s + i, lit, k) == 0;
}

/* A base64 data: URI inside the text at s[i] ("data:", or "data%3A" in a query value, its
 * media type and parameters up to a ',' or %2C, the last of them ";base64"): where its content
 * starts (*pay) and ends (*end, padding included) when that content is an image's (its media
 * type is image/..., or its first digits decode to a signature), 1; else 0. */
static int data_b64_image(const char *s, size_t n, size_t i, size_t *pay, size_t *end)
{
    size_t j, k, nd, nb;
    uint8_t buf[DV__B64_RUN_MIN / 4 * 3];
    int image;
    if (lit_at(s, n, i, "data:")) j = i + 5;
    else if (lit_at(s, n, i, "data%3a")) j = i + 7;
    else return 0;
    image = lit_at(s, n, j, "image/") || lit_at(s, n, j, "image%2f") || lit_at(s, n, j, "image\\/");
    /* the media type and parameters: bounded, of the bytes they are made of (a token's, '/',
     * ';', '=', escapes), so never across what ends a query value, another URI (':', %3A) or
     * a marker ('<') */
    for (k = j; k < n && k - j < 256; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == ',' || lit_at(s, n, k, "%2c")) break;
        if (!(is_alpha(c) || is_digit(c) || (c != 0 && strchr("!$'()*+-.^_`|~/;=%\\", c))) ||
            lit_at(s, n, k, "%3a"))
            return 0;
    }
    if (k == n || k - j >= 256) return 0;
    if (!((k - j >= 7 && strncasecmp(s + k - 7, ";base64", 7) == 0) ||
          (k - j >= 9 && strncasecmp(s + k - 9, "%3bbase64", 9) == 0)))
        return 0;
    *pay = k + (s[k] == ',' ? 1 : 3);
    j = b64_head(s, n, *pay, buf, &nb, &nd);
    if (nd == 0 || !(image || b64_image_head(buf, nb))) return 0;
    *end = nd < DV__B64_RUN_MIN ? b64_pad_end(s, n, j, nd) : b64_run_end(s, n, j, nd);
    return 1;
}

/* Appends s[copied, from) and then the marker w (wl bytes) to out (k bytes so far) */
static size_t put_withheld(char *out, size_t cap, size_t k, const char *s, size_t copied,
                           size_t from, const char *w, size_t wl)
{
    if (k + (from - copied) + wl < cap) {
        memcpy(out + k, s + copied, from - copied);
        memcpy(out + k + (from - copied), w, wl);
    }
    return k + (from - copied) + wl;
}

/* A run may start after a byte that is no base64 digit, after a line break or space, or after
 * a '/' (%2F, \/ too): in a path '/' both parts segments ("https://h/img/iVBOR...") and is a
 * digit ("https://h//9j/4AAQ...", a JPEG's base64 as a segment), so a run of digits is also
 * tried from each of its slashes. A data: URI anywhere in the text has its content withheld
 * when it is an image's, however short: "<N bytes withheld>" where that fits in the content,
 * else the whole URI is "<withheld>" (it is at least "data:;base64,X"), so the result is never
 * longer. */
static size_t redact(const char *s, size_t n, size_t from, int cut, char *out, size_t cap)
{
    size_t i = from, copied = 0, k = 0, data_pay = SIZE_MAX, data_end = 0;
    int prev_digit = 0, prev_slash = 0, found = 0;
    while (i < n) {
        size_t len, end, pay;
        int v, digit;
        char w[48];
        if (i >= data_pay) {
            /* the content of the data: URI found before, its media type read as any text (a
             * run there ends at its ';', so never inside the content) */
            int wl = snprintf(w, sizeof w, "<%zu bytes withheld>", data_end - data_pay);
            assert(copied <= data_pay);
            k = put_withheld(out, cap, k, s, copied, data_pay, w, (size_t)wl);
            copied = i = data_end;
            data_pay = SIZE_MAX;
            found = 1;
            prev_digit = prev_slash = 0;
            continue;
        }
        if (data_pay == SIZE_MAX && (s[i] | 0x20) == 'd' && n - i >= 5 &&
            (s[i + 1] | 0x20) == 'a' && (s[i + 2] | 0x20) == 't' && (s[i + 3] | 0x20) == 'a' &&
            data_b64_image(s, n, i, &pay, &end)) {
            if ((size_t)snprintf(w, sizeof w, "<%zu bytes withheld>", end - pay) <= end - pay) {
                data_pay = pay;
                data_end = end;
            } else {
                k = put_withheld(out, cap, k, s, copied, i, "<withheld>", 10);
                copied = i = end;
                found = 1;
                prev_digit = prev_slash = 0;
                continue;
            }
        }
        v = b64_token(s, n, i, &len);
        digit = v >= 0;
        if (digit && (!prev_digit || prev_slash) && (end = b64_image_run(s, n, i, cut)) > 0) {
            int wl = snprintf(w, sizeof w, "<%zu bytes withheld>", end - i);
            k = put_withheld(out, cap, k, s, copied, i, w, (size_t)wl);
            copied = i = end;
            found = 1;
            /* a run after its padding ('=') starts after a non-digit */
            prev_digit = prev_slash = 0;
            continue;
        }
        prev_digit = digit;
        /* '/', %2F or \/ (not '_' nor %5F) */
        prev_slash = s[i] == '/' || s[i] == '\\' || (len == 3 && v == 63 && s[i + 1] == '2');
        i += len;
    }
    if (!found) return 0;
    if (k + (n - copied) < cap) {
        memcpy(out + k, s + copied, n - copied);
        out[k + n - copied] = '\0';
    }
    return k + (n - copied);
}

size_t dv__b64_image_redact(const char *s, size_t n, size_t from, char *out, size_t cap)
{
    return redact(s, n, from, 0, out, cap);
}

size_t dv__b64_image_redact_cut(const char *s, size_t n, char *out, size_t cap)
{
    return redact(s, n, 0, 1, out, cap);
}

const char *dv_url_redact(const char *url, char *out, size_t cap)
{
    size_t meta = 0, n, s;
    const char *comma;
    if (url == NULL) return url;
    n = strlen(url);
    s = data_scheme_end(url, n);
    if (s == 0) {
        /* base64 of an image anywhere: the path, the query, the fragment, and a host no DNS
         * name can be (a label of 64 or more digits) */
        size_t k = dv__b64_image_redact(url, n, 0, out, cap);
        if (k == 0) return url;
        return out != NULL && k < cap ? out : "<URL withheld: it holds an image>";
    }
    if (out == NULL || cap < DV_URL_REDACT_CAP) return "data:<content withheld>";
    comma = strchr(url + s, ',');
    if (comma != NULL) meta = (size_t)(comma - (url + s));
    if (meta > 48) meta = 48;
    snprintf(out, cap, "data:%.*s%s<%zu bytes withheld>", (int)meta, url + s,
             comma != NULL && comma - (url + s) <= 48 ? "," : "...,",
             comma != NULL ? n - (size_t)(comma + 1 - url) : n - s);
    return out;
}

const char *dv__url_redact_data(const char *url, char *out, size_t cap)
{
    return url != NULL && data_scheme_end(url, strlen(url)) != 0 ? dv_url_redact(url, out, cap)
                                                                  : url;
}

/* base64 digit value (standard and URL-safe alphabets), -1 for anything else */
static int b64v(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int dv_data_uri_decode(const char *url, size_t len, uint8_t *out, size_t cap, size_t *outlen,
                       size_t *mt_off, size_t *mt_len)
{
    size_t i = 0, comma, semi, n = 0, pad = 0, ndig = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (outlen) *outlen = 0;
    if (url == NULL) return DV_EINVAL;
    if ((i = data_scheme_end(url, len)) == 0) return DV_EINVAL;
    for (comma = i; comma < len && url[comma] != ','; comma++)
        if (url[comma] == '\0') return DV_EINVAL;
    if (comma == len) return DV_EINVAL;
    /* the last parameter before the comma is ";base64" */
    if (comma - i < 7 || strncasecmp(url + comma - 7, ";base64", 7) != 0) return DV_EINVAL;
    for (semi = i; semi < comma && url[semi] != ';'; semi++) {
    }
    if (mt_off) *mt_off = i;
    if (mt_len) *mt_len = semi - i;
    for (size_t k = comma + 1; k < len; k++) {
        unsigned char c = (unsigned char)url[k];
        int v;
        if (c == '%') {
            /* RFC 2397's data is URL-encoded: %2B, %2F, %3D stand for + / = */
            int hi = k + 2 < len ? hexval((unsigned char)url[k + 1]) : -1;
            int lo = k + 2 < len ? hexval((unsigned char)url[k + 2]) : -1;
            if (hi < 0 || lo < 0) return DV_ECORRUPT;
            c = (unsigned char)(hi << 4 | lo);
            k += 2;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        v = b64v(c);
        if (v < 0 || pad > 0) return DV_ECORRUPT; /* a stray byte, or data after padding */
        ndig++;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap) return DV_ETOOBIG;
            out[n++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* one digit in the last group is never valid base64; padding, when present, completes
     * the last group (2 digits and "==", or 3 and "=") */
    if (ndig % 4 == 1 || pad > 2 || (pad > 0 && ndig % 4 + pad != 4)) return DV_ECORRUPT;
    if (outlen) *outlen = n;
    return DV_OK;
}
