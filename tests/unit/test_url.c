/* test_url.c - dv_url_normalize: case, default ports, fragments, percent-encoding, userinfo,
 * IPv6 literals, refusals (no scheme://host, bad escapes, bad ports) and the output bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "datavet.h"
#include "hash/url_internal.h"

static void ok(const char *in, const char *want)
{
    char out[512], again[512];
    size_t n = 12345, n2;
    int rc = dv_url_normalize(in, strlen(in), out, sizeof(out), &n);
    if (rc != DV_OK) fprintf(stderr, "normalising '%s' failed: %d\n", in, rc);
    assert_int_equal(rc, DV_OK);
    if (strcmp(out, want) != 0) fprintf(stderr, "'%s' -> '%s', want '%s'\n", in, out, want);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    /* a normalised URL is its own normal form */
    assert_int_equal(dv_url_normalize(out, n, again, sizeof(again), &n2), DV_OK);
    assert_string_equal(again, out);
}

static void refused(const char *in)
{
    char out[512];
    size_t n = 99;
    int rc = dv_url_normalize(in, strlen(in), out, sizeof(out), &n);
    if (rc != DV_EINVAL) fprintf(stderr, "'%s' gave %d, expected DV_EINVAL\n", in, rc);
    assert_int_equal(rc, DV_EINVAL);
    assert_int_equal(n, 0);
}

static void test_case_and_ports(void **state)
{
    (void)state;
    ok("HTTP://Example.COM", "http://example.com/");
    ok("HTTPS://WWW.Example.Com/Path/CASE", "https://www.example.com/Path/CASE");
    ok("http://example.com:80/a", "http://example.com/a");
    ok("http://example.com:0080/a", "http://example.com/a");
    ok("https://example.com:443/", "https://example.com/");
    ok("http://example.com:443/", "http://example.com:443/");
    ok("https://example.com:80", "https://example.com:80/");
    ok("http://example.com:8080", "http://example.com:8080/");
    ok("http://example.com:08080/x", "http://example.com:8080/x");
    ok("http://example.com:/x", "http://example.com/x");
    ok("http://example.com:0/", "http://example.com:0/");
    ok("ftp://Files.Example.org:21/pub", "ftp://files.example.org:21/pub");
    ok("svn+SSH://Host.example/x", "svn+ssh://host.example/x");
    ok("http://h", "http://h/");
    ok("http://h?x=1", "http://h/?x=1");
    ok("http://h.example.", "http://h.example./");
}

static void test_fragment_and_query(void **state)
{
    (void)state;
    ok("http://example.com/a#frag", "http://example.com/a");
    ok("http://example.com/?q=1#f", "http://example.com/?q=1");
    ok("http://example.com#", "http://example.com/");
    ok("http://example.com/?", "http://example.com/?");
    ok("http://example.com/a?b?c=/d", "http://example.com/a?b?c=/d");
    ok("http://example.com/?a=%2b&b=%7E&c=%7e", "http://example.com/?a=%2B&b=~&c=~");
    ok("http://example.com/?Q=Upper", "http://example.com/?Q=Upper");
    ok("http://example.com/p#a#b", "http://example.com/p");
    ok("http://example.com/p#f?x=1", "http://example.com/p"); /* a "?" in the fragment */
    ok("http://example.com#f?x", "http://example.com/");
    ok("http://example.com/p#%zz", "http://example.com/p");
}

static void test_percent(void **state)
{
    (void)state;
    ok("http://example.com/%7euser", "http://example.com/~user");
    ok("http://example.com/%41%42c", "http://example.com/ABc");
    ok("http://example.com/a%2fb", "http://example.com/a%2Fb");
    ok("http://example.com/%2D%2e%5F%7E", "http://example.com/-._~");
    ok("http://example.com/%3a%40%21", "http://example.com/%3A%40%21");
    ok("http://example.com/%c3%a9", "http://example.com/%C3%A9");
    ok("http://example.com/%25", "http://example.com/%25");
    ok("http://example.com/%2525", "http://example.com/%2525");
    /* bytes that may not appear raw are encoded */
    ok("http://example.com/a b", "http://example.com/a%20b");
    ok("http://example.com/\xc3\xa9t\xc3\xa9", "http://example.com/%C3%A9t%C3%A9");
    ok("http://example.com/[x]{y}|\"<>^`\\",
       "http://example.com/%5Bx%5D%7By%7D%7C%22%3C%3E%5E%60%5C");
    ok("http://example.com/a:b@c!$&'()*+,;=", "http://example.com/a:b@c!$&'()*+,;=");
    ok("http://example.com/?q=a b", "http://example.com/?q=a%20b");
    /* host escapes: unreserved decoded, then lower-cased */
    ok("http://%41%42.example/", "http://ab.example/");
    ok("http://a%2Cb.example/", "http://a%2Cb.example/");
    ok("http://b\xc3\xbc"
       "cher.example/",
       "http://b%C3%BCcher.example/");
    refused("http://example.com/%");
    refused("http://example.com/%4");
    refused("http://example.com/%zz");
    refused("http://example.com/%4g");
    refused("http://example.com/?q=%");
    refused("http://ex%ample.com/");
    refused("http://us%er@example.com/");
}

static void test_userinfo(void **state)
{
    (void)state;
    ok("http://user:Pass@Example.com:8080/x", "http://user:Pass@example.com:8080/x");
    ok("http://User@EXAMPLE.com", "http://User@example.com/");
    ok("http://@example.com/", "http://example.com/");
    ok("http://a@b@example.com/", "http://a%40b@example.com/");
    ok("http://u%7e:p%3a@h/", "http://u~:p%3A@h/");
    ok("http://user:@h/", "http://user:@h/");
    ok("http://u@h:80/", "http://u@h/");
    refused("http://user@/x");
    refused("http://user@:80/x");
}

static void test_ipv6(void **state)
{
    (void)state;
    ok("http://[::1]:8080/", "http://[::1]:8080/");
    ok("http://[::1]", "http://[::1]/");
    ok("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/");
    ok("http://[2001:DB8::A]:80/x", "http://[2001:db8::a]/x");
    ok("http://[2001:0db8:0000:0000:0000:0000:0000:0001]/", "http://[2001:db8::1]/");
    ok("http://[2001:db8:0:0:1:0:0:1]/", "http://[2001:db8::1:0:0:1]/");
    ok("http://[2001:db8:0:1:0:0:0:1]/", "http://[2001:db8:0:1::1]/");
    ok("http://[2001:db8:1:1:1:1:0:1]/", "http://[2001:db8:1:1:1:1:0:1]/");
    ok("http://[::]/", "http://[::]/");
    ok("http://[1::]/", "http://[1::]/");
    ok("http://[::ffff:1.2.3.4]/", "http://[::ffff:102:304]/");
    ok("http://u@[::1]:81/", "http://u@[::1]:81/");
    ok("https://[::1]:443", "https://[::1]/");
    refused("http://[::1/");
    refused("http://[::1]x/");
    refused("http://[zz::1]/");
    refused("http://[1:2:3:4:5:6:7:8:9]/");
    refused("http://[]/");
    refused("http://[fe80::1%25eth0]/");
    refused("http://[v1.abc]/");
}

static void test_refused(void **state)
{
    (void)state;
    refused("");
    refused("example.com/x");
    refused("//example.com/");
    refused("http:/x");
    refused("http:x");
    refused("mailto:a@b.example");
    refused("1http://h/");
    refused("ht tp://h/");
    refused("http:///x");
    refused("http://");
    refused("file:///etc/passwd");
    refused("http://:80/");
    refused("http://h:abc/");
    refused("http://h:65536/");
    refused("http://h:99999999999999999999/");
    refused("http://h:-1/");
    refused("http://a b/");
    refused("http://a<b/");
    refused("http://a[b/");
    refused("http://h/a\tb");
    refused("http://h/a\nb");
    refused(" http://h/");
    refused("http://h/\x7f");
    {
        char out[64];
        size_t n;
        /* an embedded NUL is refused like any control byte */
        assert_int_equal(dv_url_normalize("http://h/\0x", 11, out, sizeof(out), &n), DV_EINVAL);
        assert_int_equal(dv_url_normalize(NULL, 0, out, sizeof(out), &n), DV_EINVAL);
        assert_int_equal(dv_url_normalize("http://h/", 9, NULL, 10, &n), DV_EINVAL);
    }
}

/* cap counts the NUL; DV_ERANGE reports the length that was needed. */
static void test_capacity(void **state)
{
    const char *in = "HTTP://Example.com/a b";
    const char *want = "http://example.com/a%20b";
    char out[64];
    size_t n = 0;
    (void)state;
    memset(out, 'x', sizeof(out));
    assert_int_equal(dv_url_normalize(in, strlen(in), out, strlen(want) + 1, &n), DV_OK);
    assert_string_equal(out, want);
    memset(out, 'x', sizeof(out));
    assert_int_equal(dv_url_normalize(in, strlen(in), out, strlen(want), &n), DV_ERANGE);
    assert_int_equal(n, strlen(want));
    assert_int_equal(out[strlen(want) - 1], 'x'); /* nothing past the capacity */
    assert_int_equal(dv_url_normalize(in, strlen(in), NULL, 0, &n), DV_ERANGE);
    assert_int_equal(n, strlen(want));
    assert_int_equal(dv_url_normalize(in, strlen(in), out, sizeof(out), NULL), DV_OK);
    /* only the first len bytes are read */
    assert_int_equal(dv_url_normalize("http://h/abcdef", 11, out, sizeof(out), &n), DV_OK);
    assert_string_equal(out, "http://h/ab");
}

/* 3 x len + 2 bytes always suffice (every byte may become %XX; "/" may be added). */
static void test_bound(void **state)
{
    char in[64], out[3 * 64 + 2];
    size_t n;
    (void)state;
    memcpy(in, "http://h", 8);
    memset(in + 8, 0xff, sizeof(in) - 8);
    assert_int_equal(dv_url_normalize(in, sizeof(in), out, sizeof(out), &n), DV_OK);
    assert_true(n + 1 <= 3 * sizeof(in) + 2);
    assert_int_equal(dv_url_normalize("http://h", 8, out, 3 * 8 + 2, &n), DV_OK);
    assert_string_equal(out, "http://h/");
}

/* The rule of which bytes stay raw, as RFC 3986 words it (url.c keeps it as bitmaps) */
static int raw_rule(int part, unsigned c)
{
    int unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
    int subdelim = c != 0 && c < 128 && strchr("!$&'()*+,;=", (int)c) != NULL;
    if (unreserved || subdelim) return 1;
    switch (part) {
    case 0: return c == ':';
    case 1: return 0;
    case 2: return c == ':' || c == '@' || c == '/';
    default: return c == ':' || c == '@' || c == '/' || c == '?';
    }
}

/* Every byte in every part (userinfo, host, path, query), the parser's own delimiters of
 * that part and '%' left out: raw, lower-cased in the host, %XX, or (ASCII in a host)
 * refused, and a run of raw bytes copied whole */
static void test_every_byte(void **state)
{
    static const char *const pre[4] = {"http://", "http://h", "http://h/", "http://h/?"};
    static const char *const post[4] = {"@h/", "h/", "", ""};
    static const char *const delim[4] = {"/?#@%", ":/?#@[%", "?#%", "#%"};
    (void)state;
    for (int part = 0; part < 4; part++)
        for (unsigned c = 0x20; c < 256; c++) {
            char in[64], want[96], mid[16], out[96];
            size_t n;
            int rc;
            unsigned lc = part == 1 && c >= 'A' && c <= 'Z' ? c + 32 : c;
            if (c == 0x7f || (c < 128 && strchr(delim[part], (int)c))) continue;
            if (raw_rule(part, c)) snprintf(mid, sizeof mid, "%c%c", lc, lc);
            else snprintf(mid, sizeof mid, "%%%02X%%%02X", c, c);
            snprintf(in, sizeof in, "%s%c%c%s", pre[part], c, c, post[part]);
            snprintf(want, sizeof want, "%s%s%s", pre[part], mid, post[part]);
            rc = dv_url_normalize(in, strlen(in), out, sizeof out, &n);
            if (part == 1 && c < 128 && !raw_rule(part, c)) {
                if (rc != DV_EINVAL) fprintf(stderr, "byte 0x%02x in a host: %d\n", c, rc);
                assert_int_equal(rc, DV_EINVAL);
                continue;
            }
            if (rc != DV_OK || strcmp(out, want) != 0)
                fprintf(stderr, "part %d byte 0x%02x: '%s' -> %d '%s', want '%s'\n", part, c, in,
                        rc, rc == DV_OK ? out : "", want);
            assert_int_equal(rc, DV_OK);
            assert_string_equal(out, want);
        }
}

/* The AVX2 run of raw bytes against its scalar twin: every byte value at every place of a
 * 96-byte run of raw bytes, and random strings, in every part */
static void test_raw_run_avx2(void **state)
{
    (void)state;
#if defined(DV_HAVE_X86_SIMD)
    char buf[160];
    uint64_t seed = 12345;
    if (dv_simd_best() < DV_SIMD_AVX2) {
        printf("SKIP: no AVX2: the AVX2 URL run not compared\n");
        return;
    }
    for (int part = 0; part < 4; part++) {
        for (unsigned c = 0; c < 256; c++)
            for (size_t at = 0; at < 96; at++) {
                size_t k, sc;
                memset(buf, 'a', 96);
                buf[at] = (char)c;
                sc = dv__url_raw_run_scalar(buf, 96, part);
                k = dv__url_raw_run_avx2(buf, 96, part);
                assert_true(k <= sc);
                assert_int_equal(k + dv__url_raw_run_scalar(buf + k, 96 - k, part), sc);
                assert_true(k == sc || k % 32 == 0);
            }
        for (int t = 0; t < 20000; t++) {
            size_t n, k, sc;
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            n = (size_t)(seed >> 33) % 150;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                /* mostly letters and '/', now and then anything */
                buf[i] = (seed >> 60) ? "abcXYZ019/-._~"[(seed >> 40) % 14] : (char)(seed >> 32);
            }
            sc = dv__url_raw_run_scalar(buf, n, part);
            k = dv__url_raw_run_avx2(buf, n, part);
            assert_true(k <= sc);
            assert_int_equal(k + dv__url_raw_run_scalar(buf + k, n - k, part), sc);
        }
    }
#else
    printf("SKIP: not an x86 build: no AVX2 URL run\n");
#endif
}

/* data: URIs are shown without their content; other URLs pass through as the same pointer */
static void test_redact(void **state)
{
    char out[DV_URL_REDACT_CAP], small[8];
    const char *plain = "https://example.org/a.jpg?data:text/plain;base64,AAAA";
    char longmeta[200];
    (void)state;
    assert_ptr_equal(dv_url_redact(plain, out, sizeof out), plain);
    assert_null(dv_url_redact(NULL, out, sizeof out));
    assert_string_equal(dv_url_redact("data:image/png;base64,iVBORw0KGgo=", out, sizeof out),
                        "data:image/png;base64,<12 bytes withheld>");
    assert_string_equal(dv_url_redact("DATA:image/jpeg,\xff\xd8\xff", out, sizeof out),
                        "data:image/jpeg,<3 bytes withheld>");
    assert_string_equal(dv_url_redact("data:,", out, sizeof out), "data:,<0 bytes withheld>");
    /* leading blanks, which URL lists trim, do not hide one */
    assert_string_equal(dv_url_redact(" \tdata:image/gif,GIF89a", out, sizeof out),
                        "data:image/gif,<6 bytes withheld>");
    /* nor do other C0 controls before it, or tabs and line breaks inside "data:", which a
     * browser and the fetcher strip (dv__url_wire): "\vdata:..." is a data: URI to them */
    assert_string_equal(dv_url_redact("\v\x01" "data:image/gif,GIF89a", out, sizeof out),
                        "data:image/gif,<6 bytes withheld>");
    assert_string_equal(dv_url_redact("da\tt\r\na:image/gif,GIF89a", out, sizeof out),
                        "data:image/gif,<6 bytes withheld>");
    {
        const char *notdata = "\vdat:a,b";
        assert_ptr_equal(dv_url_redact(notdata, out, sizeof out), notdata);
    }
    /* no comma: nothing of it is shown */
    assert_string_equal(dv_url_redact("data:iVBORw0KGgo", out, sizeof out),
                        "data:...,<11 bytes withheld>");
    /* a media type longer than 48 bytes is cut */
    memset(longmeta, 'x', sizeof longmeta);
    memcpy(longmeta, "data:", 5);
    longmeta[150] = ',';
    longmeta[199] = '\0';
    assert_string_equal(dv_url_redact(longmeta, out, sizeof out),
                        "data:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...,<48 bytes withheld>");
    /* too small an output: a fixed text, never the URI */
    assert_string_equal(dv_url_redact("data:image/png;base64,AAAA", small, sizeof small),
                        "data:<content withheld>");
}

/* base64 of an image anywhere in a URL (path, query, fragment, a host label) is withheld, the
 * rest of the URL kept (until 2026-12-08 only data: URIs were redacted; in the path until later that
 * day) */
#define PNG_B64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
#define JPEG_B64 "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI="
static void test_redact_query(void **state)
{
    char out[DV_URL_REDACT_BOUND(400)], small[40];
    /* 119 digits and "=" */
    const char *url = "https://a.example/p?img=" JPEG_B64 "&x=1";
    const char *frag = "https://a.example/p#" "_9j_4AAQSkZJRgABAQAAAQABAAD_2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI";
    const char *pct = "https://a.example/p?a=b&img=%2F9j%2F4AAQSkZJRgABAQAAAQABAAD%2F2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI%3D";
    const char *two = "http://h/?a=" JPEG_B64 "&b=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==#f";
    const char *const kept[] = {
        /* base64 of text, however long */
        "https://a.example/?t=QmFzZTY0IHRleHQgdGhhdCBpcyBsb25nIGVub3VnaCB0byBwYXNzIHRoZSBtaW5pbXVtIGxlbmd0aCBvZiB0aGUgY2hlY2s=",
        /* an image's digits but fewer than 64 */
        "https://a.example/?img=/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL",
        /* not after a byte that is no digit: the run starts elsewhere, as text */
        "https://a.example/?xy" JPEG_B64,
        "https://a.example/p?q=1&r=two#frag",
        /* long paths of hashes and base64 ids that decode to no image */
        "https://a.example/d41d8cd98f00b204e9800998ecf8427e/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/"
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg",
        "https://a.example/QmFzZTY0IHRleHQgdGhhdCBpcyBsb25nIGVub3VnaCB0byBwYXNzIHRoZSBtaW5pbXVtIGxlbmd0aCBvZiB0aGUgY2hlY2s/"
        "dGV4dC90ZXh0L3RleHQvdGV4dC90ZXh0L3RleHQvdGV4dC90ZXh0L3RleHQvdGV4dC90ZXh0L3RleHQv/x.jpg",
        "https://a.example/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/A/B/C/D/E/F/G/H/I/J/K/L/M/N/O/P",
        /* a long host name: DNS labels (at most 63 bytes) are shorter than a run */
        "https://iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPh.fDwAChwGA60e6kgAAAABJRU5ErkJggg.example/"};
    (void)state;
    assert_string_equal(dv_url_redact(url, out, sizeof out),
                        "https://a.example/p?img=<120 bytes withheld>&x=1");
    assert_string_equal(dv_url_redact(frag, out, sizeof out),
                        "https://a.example/p#<119 bytes withheld>");
    assert_string_equal(dv_url_redact(pct, out, sizeof out),
                        "https://a.example/p?a=b&img=<128 bytes withheld>");
    assert_string_equal(dv_url_redact(two, out, sizeof out),
                        "http://h/?a=<120 bytes withheld>&b=<96 bytes withheld>#f");
    /* a run right after another's padding starts after a byte that is no digit */
    assert_string_equal(dv_url_redact("http://h/?a=" JPEG_B64 "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI", out, sizeof out),
                        "http://h/?a=<120 bytes withheld><119 bytes withheld>");
    /* in the path (until 2026-12-08 written as is): as a segment, after one, URL-safe, with
     * %2F, without a scheme; what follows the run is kept */
    assert_string_equal(dv_url_redact("https://a.example/" JPEG_B64 "/x.jpg", out, sizeof out),
                        "https://a.example/<120 bytes withheld>/x.jpg");
    assert_string_equal(dv_url_redact("https://a.example/img/" JPEG_B64, out, sizeof out),
                        "https://a.example/img/<120 bytes withheld>");
    assert_string_equal(dv_url_redact("http://h:8080/a/b/" PNG_B64 ".png?x=1", out, sizeof out),
                        "http://h:8080/a/b/<96 bytes withheld>.png?x=1");
    assert_string_equal(dv_url_redact("https://u@h/i/_9j_4AAQSkZJRgABAQAAAQABAAD_2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI-x", out, sizeof out),
                        "https://u@h/i/<121 bytes withheld>");
    assert_string_equal(dv_url_redact("https://h/i/%2F9j%2F4AAQSkZJRgABAQAAAQABAAD%2F2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI%3D;v", out, sizeof out),
                        "https://h/i/<128 bytes withheld>;v");
    assert_string_equal(dv_url_redact("h.example/" PNG_B64, out, sizeof out),
                        "h.example/<96 bytes withheld>");
    assert_string_equal(dv_url_redact("//h.example/" PNG_B64, out, sizeof out),
                        "//h.example/<96 bytes withheld>");
    /* JSON-escaped slashes ("\/", PHP's json_encode), which a CSV, TXT or Parquet URL column can
     * hold as they are (a JSON reader has unescaped them): read as '/', as inspect reads them */
    assert_string_equal(dv_url_redact("https:\\/\\/h\\/img\\/\\/9j\\/4AAQSkZJRgABAQAAAQABAAD\\/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=\\/x.jpg", out, sizeof out),
                        "https:\\/\\/h\\/img\\/<123 bytes withheld>\\/x.jpg");
    assert_string_equal(dv_url_redact("https://h/p?img=\\/9j\\/4AAQSkZJRgABAQAAAQABAAD\\/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=", out, sizeof out),
                        "https://h/p?img=<123 bytes withheld>");
    /* a host label no DNS name has (libcurl quotes it: "Could not resolve host: ...") */
    assert_string_equal(dv_url_redact("http://" PNG_B64 "/x.png", out, sizeof out),
                        "http://<96 bytes withheld>/x.png");
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        assert_ptr_equal(dv_url_redact(kept[i], out, sizeof out), kept[i]);
    /* an output too small for the URL: a fixed text, never the image */
    assert_string_equal(dv_url_redact(url, small, sizeof small), "<URL withheld: it holds an image>");
    assert_string_equal(dv_url_redact(url, NULL, 0), "<URL withheld: it holds an image>");
    /* the bound always suffices: exactly the URL's length and its NUL */
    {
        char exact[24 + 120 + 4 + 1];
        assert_int_equal(strlen(url) + 1, sizeof exact);
        assert_string_equal(dv_url_redact(url, exact, sizeof exact),
                            "https://a.example/p?img=<120 bytes withheld>&x=1");
    }
}

/* J's first 76 digits and the rest (base64 wrapped as MIME wraps it), and in three lines */
#define JPEG_B64_L1 "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a"
#define JPEG_B64_L2 "HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI="
#define JPEG_B64_PCT "%2F9j%2F4AAQSkZJRgABAQAAAQABAAD%2F2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI%3D"
#define GIF_B64 "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

/* Ways a URL held an image's base64 whole until 2026-12-08: a percent-escape right before the
 * run (its hex digits were taken as the run's start), a run wrapped by line breaks or spaces,
 * a data: URI after the start of the URL with a short payload */
static void test_redact_escapes(void **state)
{
    char out[DV_URL_REDACT_BOUND(400)];
    const char *const kept[] = {
        /* escapes of no digit between words, however many */
        "https://a.example/s?q=the%20quick%20brown%20fox%20jumps%20over%20the%20lazy%20dog%20again%20and%20again%20and%20again",
        "https://a.example/s?q=the quick brown fox jumps over the lazy dog again and again and again and again",
        /* base64 of text, wrapped */
        "https://a.example/?t=SGVsbG8gd29ybGQsIHRoaXMgaXMgc29tZSB0ZXh0IGVuY29kZWQgYXMgYmFzZTY0IGZvciB0aGUg%0AdGVzdCB0byBiZSBsb25nIGVub3VnaA==",
        /* hex hashes after escapes */
        "https://a.example/?h%3Dd41d8cd98f00b204e9800998ecf8427e%26s%3De3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        /* a data: URI of no image (by media type and content), in a query and escaped */
        "https://a.example/?u=data:text/plain;base64,SGVsbG8gd29ybGQsIHRoaXMgaXMgc29tZSB0ZXh0IGVuY29kZWQ=",
        "https://a.example/?u=data%3Aapplication%2Fjson%3Bbase64%2CeyJhIjoxfQ%3D%3D",
        /* "data:" in a path without ";base64," */
        "https://a.example/data:image/png/x.png",
    };
    (void)state;
    /* 1: after an escape of no digit (%26, %3D, %3F), the run starts after the whole escape */
    assert_string_equal(dv_url_redact("https://a.example/p?a=1%26img%3D" JPEG_B64, out, sizeof out),
                        "https://a.example/p?a=1%26img%3D<120 bytes withheld>");
    assert_string_equal(dv_url_redact("https://r.example/?next=https%3A%2F%2Fb.example%2Fp%3Fimg%3D" JPEG_B64_PCT "&x=1", out, sizeof out),
                        "https://r.example/?next=https%3A%2F%2Fb.example%2Fp%3Fimg%3D<128 bytes withheld>&x=1");
    /* an escaped digit (%41 'A') is a digit */
    assert_string_equal(dv_url_redact("https://a.example/?i=/9j/4%41AQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg", out, sizeof out),
                        "https://a.example/?i=<82 bytes withheld>");
    /* 2: read across line breaks, tabs and spaces, raw or escaped, all of the run withheld */
    assert_string_equal(dv_url_redact("https://a.example/?img=" JPEG_B64_L1 "%0A" JPEG_B64_L2 "&x=1", out, sizeof out),
                        "https://a.example/?img=<123 bytes withheld>&x=1");
    assert_string_equal(dv_url_redact("https://a.example/?img=" JPEG_B64_L1 "%0D%0A" JPEG_B64_L2, out, sizeof out),
                        "https://a.example/?img=<126 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?img=" JPEG_B64_L1 "\r\n" JPEG_B64_L2, out, sizeof out),
                        "https://a.example/?img=<122 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?img=/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcG\tBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg%09JC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=", out, sizeof out),
                        "https://a.example/?img=<124 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?img=/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcG%20BQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg JC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=%20&x", out, sizeof out),
                        "https://a.example/?img=<124 bytes withheld>%20&x");
    /* a run that starts after a break (a word before it) */
    assert_string_equal(dv_url_redact("https://a.example/?q=see%20" JPEG_B64, out, sizeof out),
                        "https://a.example/?q=see%20<120 bytes withheld>");
    /* 3: a data: URI inside a URL: its image content withheld however short, the rest kept */
    assert_string_equal(dv_url_redact("https://proxy.example/f/data:image/jpeg;base64," JPEG_B64, out, sizeof out),
                        "https://proxy.example/f/data:image/jpeg;base64,<120 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?u=data:image/gif;base64," GIF_B64 "&x=1", out, sizeof out),
                        "https://a.example/?u=data:image/gif;base64,<56 bytes withheld>&x=1");
    assert_string_equal(dv_url_redact("https://a.example/?u=data%3Aimage%2Fgif%3Bbase64%2CR0lGODlhAQABAIAAAAAAAP%2F%2F%2FyH5BAEAAAAALAAAAAABAAEAAAIBRAA7", out, sizeof out),
                        "https://a.example/?u=data%3Aimage%2Fgif%3Bbase64%2C<62 bytes withheld>");
    /* by its content under another media type, by its media type whatever the content */
    assert_string_equal(dv_url_redact("https://a.example/?u=DATA:application/octet-stream;base64," GIF_B64, out, sizeof out),
                        "https://a.example/?u=DATA:application/octet-stream;base64,<56 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?u=data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAA&v", out, sizeof out),
                        "https://a.example/?u=data:image/png;base64,<24 bytes withheld>&v");
    /* its media type is read as any text (a run there withheld too); it ends at another URI */
    assert_string_equal(dv_url_redact("https://a.example/?u=data:" PNG_B64 ";base64," GIF_B64, out, sizeof out),
                        "https://a.example/?u=data:<96 bytes withheld>;base64,<56 bytes withheld>");
    assert_string_equal(dv_url_redact("https://a.example/?u=data://x/f/data:image/gif;base64," GIF_B64, out, sizeof out),
                        "https://a.example/?u=data://x/f/data:image/gif;base64,<56 bytes withheld>");
    /* content shorter than its marker: the whole data: URI goes, never longer */
    assert_string_equal(dv_url_redact("https://a.example/?u=data:image/png;base64,AAAA&v", out, sizeof out),
                        "https://a.example/?u=<withheld>&v");
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        assert_ptr_equal(dv_url_redact(kept[i], out, sizeof out), kept[i]);
}

/* 4: a message cut at its cap (the fetch detail, 255 bytes as libcurl's) may end inside a run
 * of fewer than 64 digits: withheld when they show an image signature */
static void test_redact_cut(void **state)
{
    char msg[256], out[256];
    const char *tail = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"; /* a PNG's first 24 bytes */
    size_t n;
    (void)state;
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "Could not resolve host: %0*d.%s", 255 - 24 - 1 - 32, 0, tail);
    n = strlen(msg);
    assert_int_equal(n, 255);
    assert_int_equal(dv__b64_image_redact(msg, n, 0, out, sizeof out), 0);
    assert_int_equal(dv__b64_image_redact_cut(msg, n, out, sizeof out), 255 - 32 + 19);
    assert_string_equal(out + 255 - 32, "<32 bytes withheld>");
    assert_memory_equal(out, msg, 255 - 32);
    /* as few digits as show one: "/9j/" (FF D8 FF), not "/9j" */
    assert_int_equal(dv__b64_image_redact_cut("host: a./9j", 11, out, sizeof out), 0);
    assert_int_equal(dv__b64_image_redact_cut("host: a./9j/", 12, out, sizeof out), 8 + 18);
    assert_string_equal(out, "host: a.<4 bytes withheld>");
    /* no signature, or the run ended before the cut: kept */
    assert_int_equal(dv__b64_image_redact_cut("Could not resolve host: d41d8cd98f00b204e9800998", 48, out, sizeof out), 0);
    assert_int_equal(dv__b64_image_redact_cut("host: /9j/4AAQ, is", 18, out, sizeof out), 0);
}

/* dv_data_uri_decode: RFC 4648's base64 vectors inside data: URIs, and every refusal */
static void test_data_uri(void **state)
{
    static const char *const vec[][2] = {
        {"", ""},         {"Zg==", "f"},         {"Zm8=", "fo"},         {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}, {"Zg", "f"},
        {"Zm8", "fo"},    {"Zm9v\r\nYmFy", "foobar"}, {" Z m 9 v ", "foo"}};
    uint8_t out[64];
    size_t n, mo, ml;
    char u[128];
    (void)state;
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        snprintf(u, sizeof u, "data:image/png;base64,%s", vec[i][0]);
        assert_int_equal(dv_data_uri_decode(u, strlen(u), out, sizeof out, &n, &mo, &ml), DV_OK);
        assert_int_equal(n, strlen(vec[i][1]));
        assert_memory_equal(out, vec[i][1], n);
        assert_int_equal(mo, 5);
        assert_int_equal(ml, 9);
    }
    /* case, leading whitespace, no media type, parameters, the URL-safe alphabet */
    strcpy(u, "  \tDATA:;charset=x;BASE64,-_8=");
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, sizeof out, &n, &mo, &ml), DV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(ml, 0);
    /* other C0 controls before it and tabs or line breaks inside "data:" too, as a browser
     * and the fetcher read a URL: such a URI is decoded, not fetched as a bad URL */
    strcpy(u, "\v\x01" "da\tt\r\na:image/png;base64,Zm9v");
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, sizeof out, &n, &mo, &ml), DV_OK);
    assert_true(n == 3 && memcmp(out, "foo", 3) == 0);
    assert_true(mo == 10 && ml == 9);
    strcpy(u, "data:image/png;base64,+/8=");
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, sizeof out, &n, NULL, NULL), DV_OK);
    assert_true(n == 2 && out[0] == 0xfb && out[1] == 0xff);
    /* the data part URL-encoded (RFC 2397): %2B %2F %3D */
    strcpy(u, "data:image/png;base64,%2B%2f8%3D");
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, sizeof out, &n, NULL, NULL), DV_OK);
    assert_true(n == 2 && out[0] == 0xfb && out[1] == 0xff);
    /* not base64 data: URIs */
    static const char *const no[] = {"http://a/b", "data:image/png,abc", "data:image/png;base64",
                                     "dat", "data:;base64x,QQ==", "xdata:;base64,QQ=="};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_int_equal(dv_data_uri_decode(no[i], strlen(no[i]), out, sizeof out, &n, NULL, NULL),
                         DV_EINVAL);
    /* bad base64: a stray byte, data after padding, one digit left over, too much padding */
    static const char *const bad[] = {"data:;base64,Zm9v*", "data:;base64,Zg==Zg",
                                      "data:;base64,Zm9vY", "data:;base64,Zg===",
                                      "data:;base64,Zm9v=", "data:;base64,Zg=",
                                      "data:;base64,==",    "data:;base64,Zm8==",
                                      "data:;base64,Zg%3",  "data:;base64,Zg%zz==",
                                      "data:;base64,====",  "data:;base64,QUJD===="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dv_data_uri_decode(bad[i], strlen(bad[i]), out, sizeof out, &n, NULL, NULL),
                         DV_ECORRUPT);
    /* a NUL before the comma is no URI; the length bounds the read */
    assert_int_equal(dv_data_uri_decode("data:a\0;base64,QQ==", 18, out, sizeof out, &n, NULL, NULL),
                     DV_EINVAL);
    strcpy(u, "data:;base64,Zm9vYmFy");
    assert_int_equal(dv_data_uri_decode(u, strlen(u) - 4, out, sizeof out, &n, NULL, NULL), DV_OK);
    assert_int_equal(n, 3);
    /* over the buffer */
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, 5, &n, NULL, NULL), DV_ETOOBIG);
    assert_int_equal(dv_data_uri_decode(u, strlen(u), out, 6, &n, NULL, NULL), DV_OK);
}

static void test_hash_types(void **state)
{
    static const char *const names[] = {"none", "md5",     "sha1",     "sha256",    "pdq",
                                        "url",  "url-md5", "url-sha1", "url-sha256"};
    static const size_t sizes[] = {0, 16, 20, 32, 32, 0, 16, 20, 32};
    dv_hash_type t;
    (void)state;
    for (int i = 0; i <= DV_HT_URL_SHA256; i++) {
        assert_string_equal(dv_hash_type_name((dv_hash_type)i), names[i]);
        assert_int_equal(dv_hash_type_size((dv_hash_type)i), sizes[i]);
        assert_int_equal(dv_hash_type_parse(names[i], &t), DV_OK);
        assert_int_equal(t, i);
    }
    assert_string_equal(dv_hash_type_name((dv_hash_type)99), "none");
    assert_int_equal(dv_hash_type_size((dv_hash_type)99), 0);
    assert_int_equal(dv_hash_type_parse("MD5x", &t), DV_EINVAL);
    assert_int_equal(dv_hash_type_parse("", &t), DV_EINVAL);
    assert_int_equal(dv_hash_type_parse(NULL, &t), DV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_and_ports), cmocka_unit_test(test_fragment_and_query),
        cmocka_unit_test(test_percent),        cmocka_unit_test(test_userinfo),
        cmocka_unit_test(test_ipv6),           cmocka_unit_test(test_refused),
        cmocka_unit_test(test_capacity),       cmocka_unit_test(test_bound),
        cmocka_unit_test(test_hash_types),     cmocka_unit_test(test_redact),
        cmocka_unit_test(test_redact_query),   cmocka_unit_test(test_redact_escapes),
        cmocka_unit_test(test_redact_cut),
        cmocka_unit_test(test_data_uri),       cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_raw_run_avx2),
    };
    return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
