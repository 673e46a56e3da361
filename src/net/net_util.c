/* net_util.c - what the fetcher decides without the network: the class of an IP address (the
 * SSRF guard's table), Retry-After values, per-host keys of URLs, status names. */
#include "net_internal.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

const char *dv_addr_class_name(dv_addr_class c)
{
    switch (c) {
    case DV_ADDR_GLOBAL: return "global";
    case DV_ADDR_LOOPBACK: return "loopback";
    case DV_ADDR_PRIVATE: return "private";
    case DV_ADDR_LINKLOCAL: return "link-local";
    case DV_ADDR_MULTICAST: return "multicast";
    case DV_ADDR_RESERVED: return "reserved";
    default: return "unknown";
    }
}

static int in4(uint32_t a, uint32_t net, int bits)
{
    uint32_t mask = bits == 0 ? 0 : 0xFFFFFFFFu << (32 - bits);
    return (a & mask) == (net & mask);
}

static dv_addr_class classify4(const uint8_t *p)
{
    const uint32_t a = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (in4(a, 0x7F000000u, 8)) return DV_ADDR_LOOPBACK;
    if (in4(a, 0x0A000000u, 8) || in4(a, 0xAC100000u, 12) || in4(a, 0xC0A80000u, 16) ||
        in4(a, 0x64400000u, 10))
        return DV_ADDR_PRIVATE;
    if (in4(a, 0xA9FE0000u, 16)) return DV_ADDR_LINKLOCAL;
    if (in4(a, 0xE0000000u, 4)) return DV_ADDR_MULTICAST;
    if (in4(a, 0x00000000u, 8) ||      /* "this network", 0.0.0.0 */
        in4(a, 0xC0000000u, 24) ||     /* IETF protocol assignments */
        in4(a, 0xC0000200u, 24) ||     /* TEST-NET-1 */
        in4(a, 0xC0586300u, 24) ||     /* 6to4 relay anycast (deprecated) */
        in4(a, 0xC6120000u, 15) ||     /* benchmarking */
        in4(a, 0xC6336400u, 24) ||     /* TEST-NET-2 */
        in4(a, 0xCB007100u, 24) ||     /* TEST-NET-3 */
        in4(a, 0xF0000000u, 4))        /* reserved, and 255.255.255.255 */
        return DV_ADDR_RESERVED;
    return DV_ADDR_GLOBAL;
}

static int pre6(const uint8_t *p, const uint8_t *net, int bits)
{
    int i = 0;
    for (; bits >= 8; bits -= 8, i++)
        if (p[i] != net[i]) return 0;
    if (bits > 0) {
        uint8_t mask = (uint8_t)(0xFFu << (8 - bits));
        if ((p[i] & mask) != (net[i] & mask)) return 0;
    }
    return 1;
}

static dv_addr_class classify6(const uint8_t *p)
{
    static const uint8_t zero[16] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t nat64local[16] = {0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01};
    static const uint8_t discard[16] = {0x01, 0x00, 0, 0, 0, 0, 0, 0};
    static const uint8_t ietf[16] = {0x20, 0x01};
    static const uint8_t doc[16] = {0x20, 0x01, 0x0D, 0xB8};
    static const uint8_t doc2[16] = {0x3F, 0xFF};
    static const uint8_t srv6[16] = {0x5F, 0x00};
    static const uint8_t six2four[16] = {0x20, 0x02};
    static const uint8_t ula[16] = {0xFC};
    static const uint8_t sitelocal[16] = {0xFE, 0xC0};
    static const uint8_t linklocal[16] = {0xFE, 0x80};
    static const uint8_t mcast[16] = {0xFF};
    if (memcmp(p, zero, 15) == 0 && p[15] == 1) return DV_ADDR_LOOPBACK;
    if (memcmp(p, zero, 16) == 0) return DV_ADDR_RESERVED;
    if (memcmp(p, mapped, 12) == 0) return classify4(p + 12);
    if (memcmp(p, nat64, 12) == 0) return classify4(p + 12);
    if (pre6(p, six2four, 16)) return classify4(p + 2);
    if (pre6(p, zero, 96)) return DV_ADDR_RESERVED; /* IPv4-compatible, deprecated */
    if (pre6(p, nat64local, 48)) return DV_ADDR_RESERVED;
    if (pre6(p, discard, 64)) return DV_ADDR_RESERVED;
    if (pre6(p, doc, 32) || pre6(p, ietf, 23) || pre6(p, doc2, 20) || pre6(p, srv6, 16))
        return DV_ADDR_RESERVED;
    if (pre6(p, ula, 7) || pre6(p, sitelocal, 10)) return DV_ADDR_PRIVATE;
    if (pre6(p, linklocal, 10)) return DV_ADDR_LINKLOCAL;
    if (pre6(p, mcast, 8)) return DV_ADDR_MULTICAST;
    /* only 2000::/3 is allocated global unicast; everything else is reserved by IANA */
    if ((p[0] & 0xE0) != 0x20) return DV_ADDR_RESERVED;
    return DV_ADDR_GLOBAL;
}

dv_addr_class dv_addr_classify(int family, const uint8_t *addr)
{
    if (addr == NULL) return DV_ADDR_RESERVED;
    if (family == 4) return classify4(addr);
    if (family == 6) return classify6(addr);
    return DV_ADDR_RESERVED;
}

const char *dv_fetch_status_name(dv_fetch_status s)
{
    static const char *const names[DV_FETCH_NSTATUS] = {
        "ok", "not_image", "http_404", "http_429", "http_4xx", "http_5xx", "http_other",
        "timeout", "dns", "connect", "reset", "truncated", "too_big", "too_many_redirects",
        "blocked_private", "bad_scheme", "bad_url", "tls", "bad_response", "other"};
    if ((unsigned)s >= DV_FETCH_NSTATUS) return "other";
    return names[s];
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

int dv__retry_after_parse(const char *s, size_t len, time_t now, uint32_t *secs_out)
{
    char buf[64];
    size_t i = 0, j = len;
    if (s == NULL || secs_out == NULL) return -1;
    while (i < j && is_blank(s[i])) i++;
    while (j > i && (is_blank(s[j - 1]) || s[j - 1] == '\r' || s[j - 1] == '\n')) j--;
    if (i == j) return -1;
    if (s[i] >= '0' && s[i] <= '9') {
        uint64_t v = 0;
        for (size_t k = i; k < j; k++) {
            if (s[k] < '0' || s[k] > '9') return -1;
            if (v < 1000000000u) v = v * 10 + (uint64_t)(s[k] - '0');
        }
        *secs_out = v > 1000000000u ? 1000000000u : (uint32_t)v;
        return 0;
    }
    /* HTTP-date (IMF-fixdate, RFC 850, asctime): libcurl's date parser; it needs a NUL and
     * accepts more than dates, so a letter must come first, as every date form has */
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) return -1;
    if (j - i >= sizeof(buf)) return -1;
    memcpy(buf, s + i, j - i);
    buf[j - i] = '\0';
    for (size_t k = 0; k < j - i; k++)
        if ((unsigned char)buf[k] < 0x20 || (unsigned char)buf[k] >= 0x7F) return -1;
    {
        time_t t = curl_getdate(buf, NULL);
        double d;
        if (t == (time_t)-1) return -1;
        d = difftime(t, now);
        if (d <= 0) *secs_out = 0;
        else *secs_out = d > 1e9 ? 1000000000u : (uint32_t)d;
    }
    return 0;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

int dv__url_host_key(const char *url, size_t len, char *out, size_t cap)
{
    size_t i = 0, hs, he, auth_end, n = 0;
    int scheme;
    const char *port = NULL;
    size_t port_len = 0;
    if (url == NULL || out == NULL || cap == 0) return -1;
    out[0] = '\0';
    while (i < len && is_blank(url[i])) i++;
    if (len - i >= 7 && strncasecmp(url + i, "http://", 7) == 0) {
        scheme = 1;
        i += 7;
    } else if (len - i >= 8 && strncasecmp(url + i, "https://", 8) == 0) {
        scheme = 2;
        i += 8;
    } else {
        return 0;
    }
    auth_end = i;
    while (auth_end < len && url[auth_end] != '/' && url[auth_end] != '?' &&
           url[auth_end] != '#' && url[auth_end] != '\\') {
        /* no authority holds a control byte, a space or a NUL (a key cut at a NUL would
         * put different hosts under one key) */
        if ((unsigned char)url[auth_end] <= 0x20 || url[auth_end] == 0x7f) return -1;
        auth_end++;
    }
    hs = i;
    for (size_t k = i; k < auth_end; k++)
        if (url[k] == '@') hs = k + 1; /* userinfo ends at the last '@' */
    if (hs < auth_end && url[hs] == '[') {
        he = hs;
        while (he < auth_end && url[he] != ']') he++;
        if (he == auth_end) return -1;
        he++; /* keep the bracket */
        if (he < auth_end && url[he] == ':') {
            port = url + he + 1;
            port_len = auth_end - he - 1;
        } else if (he != auth_end) {
            return -1;
        }
    } else {
        he = hs;
        while (he < auth_end && url[he] != ':') he++;
        if (he < auth_end) {
            port = url + he + 1;
            port_len = auth_end - he - 1;
        }
    }
    if (he == hs) return -1;
    if (port_len == 0) {
        port = scheme == 1 ? "80" : "443";
        port_len = 2 + (scheme == 2);
    }
    if ((he - hs) + 1 + port_len + 1 > cap) return -1;
    for (size_t k = hs; k < he; k++) out[n++] = lower(url[k]);
    out[n++] = ':';
    memcpy(out + n, port, port_len);
    n += port_len;
    out[n] = '\0';
    return scheme;
}
