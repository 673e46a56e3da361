/* test_net.c - the fetcher's decisions without a network: the SSRF guard's address table (IPv4,
 * IPv6, mapped/NAT64/6to4), Retry-After values, per-host keys, status names, and the API's
 * queue, pending count and release on URLs refused before any connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datavet.h"
#include "net/net_internal.h"

typedef struct addr_case {
    const char *text;
    dv_addr_class want;
} addr_case;

static const addr_case k_addrs[] = {
    /* IPv4 global */
    {"8.8.8.8", DV_ADDR_GLOBAL},
    {"1.1.1.1", DV_ADDR_GLOBAL},
    {"93.184.216.34", DV_ADDR_GLOBAL},
    {"100.63.255.255", DV_ADDR_GLOBAL},  /* just below CGNAT */
    {"100.128.0.0", DV_ADDR_GLOBAL},     /* just above CGNAT */
    {"172.15.255.255", DV_ADDR_GLOBAL},
    {"172.32.0.0", DV_ADDR_GLOBAL},
    {"169.253.255.255", DV_ADDR_GLOBAL},
    {"192.0.1.1", DV_ADDR_GLOBAL},
    {"198.17.255.255", DV_ADDR_GLOBAL},
    {"198.20.0.0", DV_ADDR_GLOBAL},
    {"223.255.255.255", DV_ADDR_GLOBAL},
    {"11.0.0.1", DV_ADDR_GLOBAL},
    {"126.255.255.255", DV_ADDR_GLOBAL},
    {"128.0.0.1", DV_ADDR_GLOBAL},
    /* IPv4 not global */
    {"127.0.0.1", DV_ADDR_LOOPBACK},
    {"127.255.255.254", DV_ADDR_LOOPBACK},
    {"127.0.0.2", DV_ADDR_LOOPBACK},
    {"10.0.0.1", DV_ADDR_PRIVATE},
    {"10.255.255.255", DV_ADDR_PRIVATE},
    {"172.16.0.1", DV_ADDR_PRIVATE},
    {"172.31.255.255", DV_ADDR_PRIVATE},
    {"192.168.1.1", DV_ADDR_PRIVATE},
    {"100.64.0.1", DV_ADDR_PRIVATE},
    {"100.127.255.255", DV_ADDR_PRIVATE},
    {"169.254.169.254", DV_ADDR_LINKLOCAL},
    {"169.254.0.1", DV_ADDR_LINKLOCAL},
    {"224.0.0.1", DV_ADDR_MULTICAST},
    {"239.255.255.250", DV_ADDR_MULTICAST},
    {"0.0.0.0", DV_ADDR_RESERVED},
    {"0.1.2.3", DV_ADDR_RESERVED},
    {"255.255.255.255", DV_ADDR_RESERVED},
    {"240.0.0.1", DV_ADDR_RESERVED},
    {"192.0.0.8", DV_ADDR_RESERVED},
    {"192.0.2.1", DV_ADDR_RESERVED},
    {"198.51.100.7", DV_ADDR_RESERVED},
    {"203.0.113.9", DV_ADDR_RESERVED},
    {"198.18.0.1", DV_ADDR_RESERVED},
    {"198.19.255.255", DV_ADDR_RESERVED},
    {"192.88.99.1", DV_ADDR_RESERVED},
    /* IPv6 global */
    {"2001:4860:4860::8888", DV_ADDR_GLOBAL},
    {"2606:4700:4700::1111", DV_ADDR_GLOBAL},
    {"2a00:1450:4001:82a::200e", DV_ADDR_GLOBAL},
    {"2001:200::1", DV_ADDR_GLOBAL},     /* just above 2001::/23 */
    {"::ffff:8.8.8.8", DV_ADDR_GLOBAL},
    {"64:ff9b::808:808", DV_ADDR_GLOBAL}, /* NAT64 of 8.8.8.8 */
    {"2002:808:808::1", DV_ADDR_GLOBAL},  /* 6to4 of 8.8.8.8 */
    /* IPv6 not global */
    {"::1", DV_ADDR_LOOPBACK},
    {"::", DV_ADDR_RESERVED},
    {"::ffff:127.0.0.1", DV_ADDR_LOOPBACK},
    {"::ffff:10.1.2.3", DV_ADDR_PRIVATE},
    {"::ffff:169.254.169.254", DV_ADDR_LINKLOCAL},
    {"::ffff:0.0.0.0", DV_ADDR_RESERVED},
    {"64:ff9b::a00:1", DV_ADDR_PRIVATE},      /* NAT64 of 10.0.0.1 */
    {"64:ff9b::7f00:1", DV_ADDR_LOOPBACK},    /* NAT64 of 127.0.0.1 */
    {"64:ff9b:1::1", DV_ADDR_RESERVED},       /* local-use NAT64 */
    {"2002:a9fe:a9fe::1", DV_ADDR_LINKLOCAL}, /* 6to4 of 169.254.169.254 */
    {"2002:c0a8:101::1", DV_ADDR_PRIVATE},    /* 6to4 of 192.168.1.1 */
    {"::127.0.0.1", DV_ADDR_RESERVED},        /* IPv4-compatible, deprecated */
    {"::10.0.0.1", DV_ADDR_RESERVED},
    {"fc00::1", DV_ADDR_PRIVATE},
    {"fd12:3456:789a::1", DV_ADDR_PRIVATE},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", DV_ADDR_PRIVATE},
    {"fec0::1", DV_ADDR_PRIVATE},
    {"fe80::1", DV_ADDR_LINKLOCAL},
    {"febf:ffff::1", DV_ADDR_LINKLOCAL},
    {"ff02::1", DV_ADDR_MULTICAST},
    {"ff0e::1", DV_ADDR_MULTICAST},
    {"2001:db8::1", DV_ADDR_RESERVED},
    {"2001:db8:ffff::1", DV_ADDR_RESERVED},
    {"2001::1", DV_ADDR_RESERVED},            /* Teredo, in 2001::/23 */
    {"2001:1ff::1", DV_ADDR_RESERVED},
    {"3fff::1", DV_ADDR_RESERVED},
    {"5f00::1", DV_ADDR_RESERVED},
    {"100::1", DV_ADDR_RESERVED},
    {"4000::1", DV_ADDR_RESERVED},            /* outside 2000::/3 */
    {"1::1", DV_ADDR_RESERVED},
    {"e000::1", DV_ADDR_RESERVED},
};

static void test_addr_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(k_addrs) / sizeof(k_addrs[0]); i++) {
        uint8_t b[16];
        int fam = strchr(k_addrs[i].text, ':') ? 6 : 4;
        dv_addr_class got;
        assert_int_equal(inet_pton(fam == 6 ? AF_INET6 : AF_INET, k_addrs[i].text, b), 1);
        got = dv_addr_classify(fam, b);
        if (got != k_addrs[i].want)
            fprintf(stderr, "%s: got %s, want %s\n", k_addrs[i].text, dv_addr_class_name(got),
                    dv_addr_class_name(k_addrs[i].want));
        assert_int_equal(got, k_addrs[i].want);
    }
}

static void test_addr_edges(void **state)
{
    uint8_t b[16] = {0};
    (void)state;
    assert_int_equal(dv_addr_classify(4, NULL), DV_ADDR_RESERVED);
    assert_int_equal(dv_addr_classify(5, b), DV_ADDR_RESERVED);
    assert_string_equal(dv_addr_class_name(DV_ADDR_GLOBAL), "global");
    assert_string_equal(dv_addr_class_name(DV_ADDR_LINKLOCAL), "link-local");
    /* every IPv4 /8 boundary classifies without reading past 4 bytes (ASan checks) */
    for (int a = 0; a < 256; a++) {
        uint8_t v4[4] = {(uint8_t)a, 255, 255, 255};
        dv_addr_class c = dv_addr_classify(4, v4);
        assert_true(c == DV_ADDR_GLOBAL || c == DV_ADDR_LOOPBACK || c == DV_ADDR_PRIVATE ||
                    c == DV_ADDR_LINKLOCAL || c == DV_ADDR_MULTICAST || c == DV_ADDR_RESERVED);
    }
}

static void ra_ok(const char *s, time_t now, uint32_t want)
{
    uint32_t got = 12345;
    int rc = dv__retry_after_parse(s, strlen(s), now, &got);
    if (rc != 0 || got != want) fprintf(stderr, "'%s': rc %d got %u want %u\n", s, rc, got, want);
    assert_int_equal(rc, 0);
    assert_int_equal(got, want);
}

static void ra_bad(const char *s)
{
    uint32_t got = 0;
    if (dv__retry_after_parse(s, strlen(s), 0, &got) != -1) fprintf(stderr, "'%s' parsed\n", s);
    assert_int_equal(dv__retry_after_parse(s, strlen(s), 0, &got), -1);
}

static void test_retry_after(void **state)
{
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    const time_t t = 784111777;
    (void)state;
    ra_ok("0", t, 0);
    ra_ok("1", t, 1);
    ra_ok("  120 ", t, 120);
    ra_ok("120\r\n", t, 120);
    ra_ok("99999999999999999999", t, 1000000000u);
    ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", t - 10, 10);
    ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", t, 0);
    ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", t + 100, 0); /* in the past */
    ra_ok("Sunday, 06-Nov-94 08:49:37 GMT", t - 5, 5);  /* RFC 850 */
    ra_ok("Sun Nov  6 08:49:37 1994", t - 7, 7);        /* asctime */
    ra_bad("");
    ra_bad("   ");
    ra_bad("-1");
    ra_bad("1.5");
    ra_bad("12abc");
    ra_bad("+5");
    ra_bad("soon");
    ra_bad("Sun, 06 Nov 1994 08:49:37 GMT\x01");
    ra_bad("Mon, 99 Foo 12345678901234567890123456789012345678901234567890 GMT xx");
    {
        uint32_t x;
        assert_int_equal(dv__retry_after_parse(NULL, 0, 0, &x), -1);
        assert_int_equal(dv__retry_after_parse("5", 1, 0, NULL), -1);
        /* not NUL-terminated: only len bytes are read */
        assert_int_equal(dv__retry_after_parse("75xyz", 2, 0, &x), 0);
        assert_int_equal(x, 75);
    }
}

static void key_ok(const char *url, int scheme, const char *want)
{
    char out[64];
    int rc = dv__url_host_key(url, strlen(url), out, sizeof(out));
    if (rc != scheme || (rc > 0 && strcmp(out, want) != 0))
        fprintf(stderr, "'%s': rc %d '%s', want %d '%s'\n", url, rc, out, scheme, want);
    assert_int_equal(rc, scheme);
    if (rc > 0) assert_string_equal(out, want);
}

static void test_host_key(void **state)
{
    char small[8];
    (void)state;
    key_ok("http://Example.COM/a.jpg", 1, "example.com:80");
    key_ok("HTTPS://example.com", 2, "example.com:443");
    key_ok("https://example.com:8443/x?y#z", 2, "example.com:8443");
    key_ok("http://user:pw@host.example:81/", 1, "host.example:81");
    key_ok("http://a@b@c.example/", 1, "c.example:80");
    key_ok("http://[2001:DB8::1]:8080/x", 1, "[2001:db8::1]:8080");
    key_ok("http://[::1]/", 1, "[::1]:80");
    key_ok("http://host?q", 1, "host:80");
    key_ok("http://host#f", 1, "host:80");
    key_ok("http://host:/", 1, "host:80");
    key_ok("  http://host/", 1, "host:80");
    key_ok("ftp://host/", 0, "");
    key_ok("file:///etc/passwd", 0, "");
    key_ok("host/path", 0, "");
    key_ok("", 0, "");
    key_ok("http://", -1, "");
    key_ok("http:///path", -1, "");
    key_ok("http://user@/x", -1, "");
    key_ok("http://[::1/", -1, "");
    key_ok("http://[::1]x/", -1, "");
    key_ok("http://ho st/", -1, "");
    key_ok("http://host\x7f/", -1, "");
    key_ok("http://host\t:81/", -1, "");
    /* a NUL inside the authority (found by fuzz_netparse): refused, not a key cut short */
    assert_int_equal(dv__url_host_key("https://[2002\0::1]:8443/x", 25, small, sizeof(small)), -1);
    assert_int_equal(dv__url_host_key("http://a\0b.example/", 19, small, sizeof(small)), -1);
    assert_int_equal(dv__url_host_key("http://long-host.example/", 25, small, sizeof(small)), -1);
    assert_int_equal(dv__url_host_key(NULL, 0, small, sizeof(small)), -1);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(dv_fetch_status_name(DV_FETCH_OK), "ok");
    assert_string_equal(dv_fetch_status_name(DV_FETCH_HTTP_404), "http_404");
    assert_string_equal(dv_fetch_status_name(DV_FETCH_BLOCKED_PRIVATE), "blocked_private");
    assert_string_equal(dv_fetch_status_name(DV_FETCH_OTHER), "other");
    assert_string_equal(dv_fetch_status_name(DV_FETCH_NSTATUS), "other");
    for (int i = 0; i < DV_FETCH_NSTATUS; i++) {
        const char *n = dv_fetch_status_name((dv_fetch_status)i);
        assert_non_null(n);
        for (int k = 0; k < i; k++) assert_string_not_equal(n, dv_fetch_status_name((dv_fetch_status)k));
    }
}

/* URLs refused before any connection come back without network access. */
static void test_fetcher_api(void **state)
{
    dv_fetch_opts o;
    dv_fetcher *f;
    dv_fetch_result r[4];
    int seen = 0;
    (void)state;
    memset(&o, 0, sizeof(o));
    o.connections = 2;
    o.queue = 3;
    assert_int_equal(dv_net_global_init(), DV_OK);
    f = dv_fetcher_create(&o);
    assert_non_null(f);
    assert_int_equal(dv_fetcher_want(f), 3);
    assert_int_equal(dv_fetcher_pending(f), 0);
    assert_int_equal(dv_fetcher_next(f, &r[0], 0), 0);
    assert_int_equal(dv_fetcher_add(f, 1, NULL), DV_EINVAL);
    assert_int_equal(dv_fetcher_add(f, 1, ""), DV_EINVAL);
    assert_int_equal(dv_fetcher_add(f, 7, "ftp://example.com/a.jpg"), DV_OK);
    assert_int_equal(dv_fetcher_add(f, 8, "no url"), DV_OK);
    assert_int_equal(dv_fetcher_add(f, 9, "http:///nohost"), DV_OK);
    assert_int_equal(dv_fetcher_add(f, 10, "file:///etc/passwd"), DV_OK);
    assert_int_equal(dv_fetcher_pending(f), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dv_fetcher_next(f, &r[i], 100), 1);
        assert_null(r[i].body);
        assert_int_equal(r[i].attempts, 0);
        assert_int_equal(r[i].http_code, 0);
        assert_true(r[i].detail[0] != '\0');
        seen |= 1 << (r[i].tag - 7);
        switch (r[i].tag) {
        case 7: assert_int_equal(r[i].status, DV_FETCH_BAD_SCHEME);
                assert_string_equal(r[i].url, "ftp://example.com/a.jpg");
                assert_string_equal(r[i].final_url, "ftp://example.com/a.jpg"); break;
        case 8: assert_int_equal(r[i].status, DV_FETCH_BAD_URL); break;
        case 9: assert_int_equal(r[i].status, DV_FETCH_BAD_URL); break;
        case 10: assert_int_equal(r[i].status, DV_FETCH_BAD_SCHEME); break;
        default: fail();
        }
    }
    assert_int_equal(seen, 15);
    assert_int_equal(dv_fetcher_pending(f), 0);
    assert_int_equal(dv_fetcher_next(f, &r[0], 0), 0);
    for (int i = 0; i < 4; i++) dv_fetcher_release(f, &r[i]);
    dv_fetcher_release(f, &r[0]); /* released results are emptied: a second release is a no-op */
    /* the queue bound: URLs that would need the network wait in the queue */
    assert_int_equal(dv_fetcher_add(f, 1, "http://127.0.0.1:1/a"), DV_OK);
    assert_int_equal(dv_fetcher_add(f, 2, "http://127.0.0.1:1/b"), DV_OK);
    assert_int_equal(dv_fetcher_add(f, 3, "http://127.0.0.1:1/c"), DV_OK);
    assert_int_equal(dv_fetcher_want(f), 0);
    assert_int_equal(dv_fetcher_add(f, 4, "http://127.0.0.1:1/d"), DV_ETOOBIG);
    assert_true(strstr(dv_fetcher_errmsg(f), "queue full") != NULL);
    dv_fetcher_free(f); /* with URLs still queued */
    dv_fetcher_free(NULL);
    dv_net_global_cleanup();
}

/* The guard without --allow-private: 127.0.0.1 is refused on the socket, nothing listens. */
static void test_fetcher_blocks_loopback(void **state)
{
    dv_fetcher *f;
    dv_fetch_result r;
    (void)state;
    assert_int_equal(dv_net_global_init(), DV_OK);
    f = dv_fetcher_create(NULL);
    assert_non_null(f);
    assert_int_equal(dv_fetcher_add(f, 5, "http://127.0.0.1:9/x.jpg"), DV_OK);
    assert_int_equal(dv_fetcher_next(f, &r, 10000), 1);
    assert_int_equal(r.tag, 5);
    assert_int_equal(r.status, DV_FETCH_BLOCKED_PRIVATE);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.detail, "127.0.0.1"));
    dv_fetcher_release(f, &r);
    dv_fetcher_free(f);
    dv_net_global_cleanup();
}

/* A host with several addresses, some refused by the guard: the result says what happened
 * to the connection, not what the guard said about one address. One allowed address tried
 * (nothing listens on port 1): connect, the refused address named in the detail too; every
 * address refused: blocked_private, naming the first and counting the others. Until
 * 2026-12-07 the first was blocked_private, its detail the refused address only. */
static void test_fetcher_mixed_addresses(void **state)
{
    static const char *const resolve[] = {"mixed.example:1:10.0.0.1,127.0.0.1",
                                          "refused.example:1:10.0.0.1,192.168.0.1"};
    dv_fetch_opts o;
    dv_fetcher *f;
    dv_fetch_result r;
    (void)state;
    memset(&o, 0, sizeof(o));
    o.allow_addr = DV_ADDR_LOOPBACK;
    o.resolve = resolve;
    o.nresolve = 2;
    o.retries = -1;
    assert_int_equal(dv_net_global_init(), DV_OK);
    f = dv_fetcher_create(&o);
    assert_non_null(f);
    assert_int_equal(dv_fetcher_add(f, 1, "http://mixed.example:1/x.jpg"), DV_OK);
    assert_int_equal(dv_fetcher_next(f, &r, 10000), 1);
    assert_int_equal(r.status, DV_FETCH_CONNECT);
    assert_non_null(strstr(r.detail, "refused to connect to 10.0.0.1: a private address"));
    assert_true(strstr(r.detail, "refused to connect to 10.0.0.1") != r.detail); /* curl's first */
    dv_fetcher_release(f, &r);
    assert_int_equal(dv_fetcher_add(f, 2, "http://refused.example:1/x.jpg"), DV_OK);
    assert_int_equal(dv_fetcher_next(f, &r, 10000), 1);
    assert_int_equal(r.status, DV_FETCH_BLOCKED_PRIVATE);
    assert_string_equal(r.detail,
                        "refused to connect to 10.0.0.1: a private address (and 1 other address)");
    dv_fetcher_release(f, &r);
    dv_fetcher_free(f);
    dv_net_global_cleanup();
}

/* bad_scheme is for a URL whose scheme is another (RFC 3986: a letter, then letters, digits,
 * '+', '-', '.', then "://"); text holding "://" further on is no absolute URL: bad_url.
 * Until 2026-12-07 any "://" made it bad_scheme ("example.com/a?u=http://x"). */
static void test_fetcher_scheme_or_not(void **state)
{
    static const struct {
        const char *url;
        dv_fetch_status want;
    } k[] = {
        {"example.com/a?u=http://x", DV_FETCH_BAD_URL},
        {"www.example.com/img.jpg#http://x", DV_FETCH_BAD_URL},
        {"a b://x/y.jpg", DV_FETCH_BAD_URL},
        {"1http://x/y.jpg", DV_FETCH_BAD_URL},
        {"://x/y.jpg", DV_FETCH_BAD_URL},
        {"/img/http://x.jpg", DV_FETCH_BAD_URL},
        {"ftp://example.com/a.jpg", DV_FETCH_BAD_SCHEME},
        {"svn+ssh://example.com/a", DV_FETCH_BAD_SCHEME},
        {"Z39.50-r://example.com/a", DV_FETCH_BAD_SCHEME},
        {"FILE:///etc/passwd", DV_FETCH_BAD_SCHEME},
    };
    const size_t n = sizeof k / sizeof k[0];
    dv_fetch_opts o;
    dv_fetcher *f;
    dv_fetch_result r;
    (void)state;
    memset(&o, 0, sizeof(o));
    o.queue = (uint32_t)n;
    assert_int_equal(dv_net_global_init(), DV_OK);
    f = dv_fetcher_create(&o);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) assert_int_equal(dv_fetcher_add(f, i, k[i].url), DV_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dv_fetcher_next(f, &r, 100), 1);
        if (r.status != k[r.tag].want)
            fprintf(stderr, "%s: %s, want %s\n", k[r.tag].url, dv_fetch_status_name(r.status),
                    dv_fetch_status_name(k[r.tag].want));
        assert_int_equal(r.status, k[r.tag].want);
        assert_int_equal(r.attempts, 0);
        dv_fetcher_release(f, &r);
    }
    dv_fetcher_free(f);
    dv_net_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_table),   cmocka_unit_test(test_addr_edges),
        cmocka_unit_test(test_retry_after),  cmocka_unit_test(test_host_key),
        cmocka_unit_test(test_status_names), cmocka_unit_test(test_fetcher_api),
        cmocka_unit_test(test_fetcher_blocks_loopback),
        cmocka_unit_test(test_fetcher_mixed_addresses),
        cmocka_unit_test(test_fetcher_scheme_or_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
