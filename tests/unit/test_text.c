/* test_text.c - text in outputs (src/common/text.c): dv_utf8_next against Unicode's table of
 * maximal subparts and Python's decoder, dv_text_utf8 (plain text, URLs, data: URIs, cuts,
 * the bound) and that a URL written by it is the same URL to dv_url_normalize. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/common.h"
#include "datavet.h"

#define FFFD "\xEF\xBF\xBD"

/* Whether p[0..n) is well-formed UTF-8, by Unicode's table 3-7, written out apart from
 * dv_utf8_next. */
static int well_formed(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF;
        if (b <= 0x7F) len = 1;
        else if (b >= 0xC2 && b <= 0xDF) len = 2;
        else if (b == 0xE0) len = 3, lo = 0xA0;
        else if (b >= 0xE1 && b <= 0xEC) len = 3;
        else if (b == 0xED) len = 3, hi = 0x9F;
        else if (b >= 0xEE && b <= 0xEF) len = 3;
        else if (b == 0xF0) len = 4, lo = 0x90;
        else if (b >= 0xF1 && b <= 0xF3) len = 4;
        else if (b == 0xF4) len = 4, hi = 0x8F;
        else return 0;
        if (i + len > n) return 0;
        for (size_t k = 1; k < len; k++) {
            if (p[i + k] < (k == 1 ? lo : 0x80) || p[i + k] > (k == 1 ? hi : 0xBF)) return 0;
        }
        i += len;
    }
    return 1;
}

static void plain_is(const char *in, size_t n, const char *want)
{
    char out[256];
    size_t len = dv_text_utf8(DV_TEXT_PLAIN, in, n, out, sizeof out);
    assert_int_equal(len, strlen(want));
    assert_string_equal(out, want);
}

static void url_is(const char *in, const char *want)
{
    char out[256];
    size_t len = dv_text_utf8(DV_TEXT_URL, in, strlen(in), out, sizeof out);
    if (strcmp(out, want) != 0) fprintf(stderr, "'%s' -> '%s', want '%s'\n", in, out, want);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

/* Unicode 15, table 3-8 (and its neighbours in section 3.9): one U+FFFD per maximal subpart */
static void test_maximal_subparts(void **state)
{
    uint32_t c;
    (void)state;
    plain_is("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
             "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
    /* surrogate, overlong 3 bytes, past U+10FFFF, cut short at the end */
    plain_is("\xED\xA0\x80" "a\xE0\x80\x80" "b\xF4\x90\x80\x80" "c\xE2\x82", 15,
             FFFD FFFD FFFD "a" FFFD FFFD FFFD "b" FFFD FFFD FFFD FFFD "c" FFFD);
    /* valid text and a NUL (a C string ends there: outputs never hold one) */
    plain_is("caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xAE x", 16,
             "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xAE x");
    plain_is("a\0b", 3, "a" FFFD "b");
    assert_int_equal(dv_utf8_next("\xF0\x9F\x98\x80", 4, &c), 4);
    assert_int_equal(c, 0x1F600);
    assert_int_equal(dv_utf8_next("\xF0\x9F\x98", 3, &c), 3);
    assert_int_equal(c, DV_UTF8_BAD);
    assert_int_equal(dv_utf8_next("\xC0\xAF", 2, &c), 1);
    assert_int_equal(c, DV_UTF8_BAD);
    assert_int_equal(dv_utf8_next("\xFF", 1, &c), 1);
    assert_int_equal(c, DV_UTF8_BAD);
}

/* Every 1- and 2-byte string, and every 3-byte one over the bytes that matter: a sequence is
 * taken whole exactly when table 3-7 says it is well formed */
static void test_every_short_string(void **state)
{
    static const uint8_t pick[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                   0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0,
                                   0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    (void)state;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            uint8_t s[2] = {(uint8_t)a, (uint8_t)b};
            uint32_t c;
            size_t k = dv_utf8_next(s, 2, &c);
            assert_true(k >= 1 && k <= 2);
            assert_int_equal(c != DV_UTF8_BAD, well_formed(s, k));
        }
    for (size_t i = 0; i < sizeof pick; i++)
        for (size_t j = 0; j < sizeof pick; j++)
            for (size_t l = 0; l < sizeof pick; l++)
                for (size_t m = 0; m < sizeof pick; m++) {
                    uint8_t s[4] = {pick[i], pick[j], pick[l], pick[m]};
                    uint32_t c;
                    size_t k = dv_utf8_next(s, 4, &c);
                    assert_true(k >= 1 && k <= 4);
                    assert_int_equal(c != DV_UTF8_BAD, well_formed(s, k));
                    /* a bad sequence is a maximal subpart: no longer prefix could continue */
                    if (c == DV_UTF8_BAD && k > 1) assert_true(s[0] >= 0xC2 && s[0] <= 0xF4);
                }
}

static void test_url(void **state)
{
    (void)state;
    url_is("http://example.com/a\xFF" "b.jpg", "http://example.com/a%FFb.jpg");
    url_is("http://x.test/a b\tc\x7F", "http://x.test/a%20b%09c%7F");
    /* valid UTF-8 stays; a maximal subpart is escaped byte by byte; '%' stays as found */
    url_is("http://x.test/caf\xC3\xA9/%41/\xE2\x82", "http://x.test/caf\xC3\xA9/%41/%E2%82");
    /* C1 controls, bidirectional controls and noncharacters would read as something else */
    url_is("http://x.test/\xC2\x85/\xE2\x80\xAEgpj.exe/\xEF\xBF\xBE",
           "http://x.test/%C2%85/%E2%80%AEgpj.exe/%EF%BF%BE");
    /* a data: URI is shown redacted, which is text */
    url_is("data:image/png;base64,<96 bytes withheld>",
           "data:image/png;base64,<96 bytes withheld>");
    url_is("DATA:x\xFF,<3 bytes withheld>", "DATA:x" FFFD ",<3 bytes withheld>");
}

/* Outputs cut on whole characters and escapes; the length is the whole result's */
static void test_capacity(void **state)
{
    char out[8];
    (void)state;
    memset(out, 'x', sizeof out);
    assert_int_equal(dv_text_utf8(DV_TEXT_URL, "ab\xFF\xFE", 4, out, 5), 8);
    assert_string_equal(out, "ab");
    assert_int_equal(dv_text_utf8(DV_TEXT_PLAIN, "ab\xFF\xFE", 4, out, 6), 8);
    assert_string_equal(out, "ab" FFFD);
    assert_int_equal(dv_text_utf8(DV_TEXT_PLAIN, "ab", 2, NULL, 0), 2);
    assert_int_equal(dv_text_utf8(DV_TEXT_PLAIN, NULL, 5, out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void json_is(dv_text_kind kind, const char *in, size_t n, const char *want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dv__json_strn(f, kind, in, n);
    fclose(f);
    if (strcmp(buf, want) != 0) fprintf(stderr, "json: '%s', want '%s'\n", buf, want);
    assert_string_equal(buf, want);
    free(buf);
}

/* JSON strings as the scan's outputs write them: escapes, then the kind's rule */
static void test_json(void **state)
{
    (void)state;
    json_is(DV_TEXT_PLAIN, "a\"b\\c\nd\te\rf\x01g\x7Fh", 15,
            "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\x7Fh\"");
    json_is(DV_TEXT_PLAIN, "caf\xC3\xA9 \xFE\xE2\x82", 9, "\"caf\xC3\xA9 " FFFD FFFD "\"");
    json_is(DV_TEXT_URL, "http://x.test/a\"\xFF b\\", 20, "\"http://x.test/a\\\"%FF%20b\\\\\"");
    json_is(DV_TEXT_URL, "data:text/plain,<5 bytes withheld>", 34,
            "\"data:text/plain,<5 bytes withheld>\"");
    json_is(DV_TEXT_PLAIN, "", 0, "\"\"");
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

/* Random bytes, mostly near UTF-8's edges: the output is valid UTF-8 within the bound,
 * dv__text_clean says whether it changed, and twice changes nothing */
static void test_random(void **state)
{
    static const uint8_t edge[] = {0x00, 0x09, 0x20, 0x25, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF,
                                   0xC2, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xFF};
    uint64_t seed = 42;
    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        char in[40], out[DV_TEXT_BOUND(40)], again[DV_TEXT_BOUND(3 * 40)];
        size_t n = rnd(&seed) % 40;
        for (size_t i = 0; i < n; i++)
            in[i] = (char)(rnd(&seed) % 3 ? edge[rnd(&seed) % sizeof edge] : rnd(&seed) & 0xFF);
        for (int kind = DV_TEXT_PLAIN; kind <= DV_TEXT_URL; kind++) {
            size_t len = dv_text_utf8((dv_text_kind)kind, in, n, out, sizeof out), l2;
            assert_true(len < sizeof out);
            assert_int_equal(strlen(out), len);
            assert_true(well_formed((const uint8_t *)out, len));
            assert_int_equal(dv__text_clean((dv_text_kind)kind, in, n),
                             len == n && memcmp(in, out, n) == 0);
            l2 = dv_text_utf8((dv_text_kind)kind, out, len, again, sizeof again);
            assert_int_equal(l2, len);
            assert_memory_equal(again, out, len);
            if (kind == DV_TEXT_URL)
                for (size_t i = 0; i < len; i++)
                    assert_true((uint8_t)out[i] > 0x20 && out[i] != 0x7F);
        }
    }
}

/* A URL and its DV_TEXT_URL form normalise to the same key (the lists' key), or are both
 * refused: the form in the outputs names the URL that matched */
static void test_same_url(void **state)
{
    static const char *const heads[] = {"http://example.com/", "https://u:p@Ex.Test:443/a?",
                                        "http://x.test/p?q=1#", "http://h\xC3\xA9.test/",
                                        "http://x"};
    static const uint8_t tail[] = {0x20, 0x25, 0x41, 0x2F, 0x3F, 0x80, 0xA0, 0xC3, 0xA9, 0xE2,
                                   0x80, 0xAE, 0xED, 0xF0, 0xFE, 0xFF, 0x7E, 0x5C};
    uint64_t seed = 7;
    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        char in[96], enc[DV_TEXT_BOUND(96)], a[1024], b[1024];
        size_t n = (size_t)snprintf(in, sizeof in, "%s", heads[iter % 5]), na, nb;
        int ra, rb;
        for (size_t k = rnd(&seed) % 24; k > 0; k--) in[n++] = (char)tail[rnd(&seed) % sizeof tail];
        in[n] = '\0';
        dv_text_utf8(DV_TEXT_URL, in, n, enc, sizeof enc);
        ra = dv_url_normalize(in, n, a, sizeof a, &na);
        rb = dv_url_normalize(enc, strlen(enc), b, sizeof b, &nb);
        if (ra != DV_OK) continue; /* (a refused URL may be taken once its spaces are %20) */
        if (rb != DV_OK || strcmp(a, b) != 0)
            fprintf(stderr, "'%s' -> '%s': '%s' / '%s'\n", in, enc, a, rb == DV_OK ? b : "refused");
        assert_int_equal(rb, DV_OK);
        assert_string_equal(a, b);
    }
}

/* The same strings through Python's decoder (errors="replace": one U+FFFD per maximal
 * subpart), an implementation apart from ours */
static void test_python(void **state)
{
    char dir[] = "/tmp/dv-text-XXXXXX", in[64], want[64], got[64], cmd[512];
    FILE *f, *g;
    uint64_t seed = 3;
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP: /usr/bin/python3 missing: no cross-check with Python's decoder\n");
        return;
    }
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(want, sizeof want, "%s/want", dir);
    snprintf(got, sizeof got, "%s/got", dir);
    f = fopen(in, "wb");
    g = fopen(got, "wb");
    assert_non_null(f);
    assert_non_null(g);
    for (int iter = 0; iter < 5000; iter++) {
        char s[24], o[DV_TEXT_BOUND(24)];
        size_t n = 1 + rnd(&seed) % 24, len;
        for (size_t i = 0; i < n; i++) {
            s[i] = (char)(0x80 | (rnd(&seed) & 0x7F));
            if (s[i] == '\n' || rnd(&seed) % 8 == 0) s[i] = 'a';
        }
        fwrite(s, 1, n, f);
        fputc('\n', f);
        len = dv_text_utf8(DV_TEXT_PLAIN, s, n, o, sizeof o);
        fwrite(o, 1, len, g);
        fputc('\n', g);
    }
    fclose(f);
    fclose(g);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import sys; d = open('%s', 'rb').read(); "
             "open('%s', 'wb').write(d.decode('utf-8', 'replace').encode())\" && cmp -s %s %s",
             in, want, want, got);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* dv__text_escape: the terminal rule of the CLI's cli_put_safe (datavet(1), TEXT ON A
 * TERMINAL); dv__text_line: a line of the library's texts of several lines, where a name's
 * line feed is escaped and only the one ending fmt ends the line. */
static void test_escape(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(dv__text_escape("a\x1B[2J\nb\\c\tz", 11, out, sizeof out), 21);
    assert_string_equal(out, "a\\x1B[2J\\x0Ab\\\\c\\x09z");
    /* C1 (U+009B), bidi (U+202E), a noncharacter (U+FFFE), ill-formed bytes, DEL; kept: é */
    dv__text_escape("\xC2\x9B\xE2\x80\xAE\xEF\xBF\xBE\xFF\xE2\x80\x7F\xC3\xA9", 14, out,
                    sizeof out);
    assert_string_equal(out, "\\xC2\\x9B\\xE2\\x80\\xAE\\xEF\\xBF\\xBE\\xFF\\xE2\\x80\\x7F\xC3\xA9");
    /* cut to whole escapes: returns the whole length, as snprintf */
    assert_int_equal(dv__text_escape("ab\ncd", 5, out, 6), 8);
    assert_string_equal(out, "ab");
    assert_int_equal(dv__text_escape("\n", 1, NULL, 0), 4);
    /* a line: the name's line feed escaped, fmt's own kept as the end */
    assert_int_equal(dv__text_line(out, sizeof out, "x %s: y\n", "c\ndatavet: all clear"),
                     strlen("x c\\x0Adatavet: all clear: y\n"));
    assert_string_equal(out, "x c\\x0Adatavet: all clear: y\n");
    dv__text_line(out, sizeof out, "%s", "end\n");
    assert_string_equal(out, "end\\x0A");
    /* cut short: the line still ends, with no half escape */
    assert_int_equal(dv__text_line(out, 8, "%s\n", "abcd\n"), 5);
    assert_string_equal(out, "abcd\n");
    assert_int_equal(dv__text_line(out, 1, "%s\n", "abcd"), 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maximal_subparts), cmocka_unit_test(test_every_short_string),
        cmocka_unit_test(test_url),              cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_random),           cmocka_unit_test(test_same_url),
        cmocka_unit_test(test_python),           cmocka_unit_test(test_json),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
