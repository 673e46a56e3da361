/* test_cli_text.c - text for a terminal (cli/text_util.c, compiled in): cli_put_safe escapes
 * what could act on a terminal or is not UTF-8, and cli_fmt escapes its arguments only;
 * cli_put_escaped prints the library's escaped lines (dv__text_escape, the same rule) as
 * they are. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/text_util.c"
/* the progress line's fitting to a terminal's width; it needs the clock main.c has */
double cli_now_s(void);
double cli_now_s(void)
{
    return 0;
}
#include "../../cli/progress_line.c"
#include "common/common.h"

/* What f(ctx) writes to a stream, as a malloc'd string. */
static char *captured(void (*fn)(FILE *f, const void *ctx), const void *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, ctx);
    assert_int_equal(fclose(f), 0);
    return buf;
}

typedef struct sn {
    const char *s;
    size_t n;
} sn;

static void put_sn(FILE *f, const void *ctx)
{
    const sn *x = ctx;
    cli_put_safe(f, x->s, x->n);
}

static void check_safe(const char *s, size_t n, const char *want)
{
    sn x = {s, n};
    char *got = captured(put_sn, &x);
    assert_string_equal(got, want);
    assert_int_equal(cli_safe_len(s, n), strlen(want));
    free(got);
}

static void test_put_safe(void **state)
{
    (void)state;
    /* printable ASCII and valid UTF-8 text as they are */
    check_safe("a.tar/0001.jpg", 14, "a.tar/0001.jpg");
    check_safe("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", 17,
               "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
    /* C0 controls, tab and line feed too, DEL, and the NUL inside */
    check_safe("a\x1B[2J\nb\tc\rd\x7F\0e", 14, "a\\x1B[2J\\x0Ab\\x09c\\x0Dd\\x7F\\x00e");
    /* C1 controls as their two UTF-8 bytes: U+009B (CSI), U+0085 (NEL) */
    check_safe("x\xC2\x9B" "31m\xC2\x85y", 9, "x\\xC2\\x9B31m\\xC2\\x85y");
    /* bidirectional controls: RLO, LRI, ALM, and a noncharacter */
    check_safe("\xE2\x80\xAEgpj.exe", 10, "\\xE2\\x80\\xAEgpj.exe");
    check_safe("\xE2\x81\xA6" "a\xD8\x9C", 6, "\\xE2\\x81\\xA6a\\xD8\\x9C");
    check_safe("\xEF\xBF\xBE", 3, "\\xEF\\xBF\\xBE");
    /* ill-formed UTF-8: each byte of each maximal subpart (a lone 0x9B is CSI to an 8-bit
     * terminal), a sequence cut by the end, an overlong form, a surrogate */
    check_safe("\x9B" "2J", 3, "\\x9B2J");
    check_safe("ab\xE6\x97", 4, "ab\\xE6\\x97");
    check_safe("\xC0\xAF", 2, "\\xC0\\xAF");
    check_safe("\xED\xA0\x80", 3, "\\xED\\xA0\\x80");
    /* the backslash, so that the text reads back to the bytes */
    check_safe("a\\x1B", 5, "a\\\\x1B");
    check_safe("", 0, "");
}

static void fmt1(FILE *f, const void *ctx)
{
    (void)ctx;
    cli_fmt(f, "datavet x: %s: row %llu, %zu of %d: %s\n", "m\x1B]0;t\x07.jpg", 7ull, (size_t)3,
            -2, "col\nname");
}

static void fmt2(FILE *f, const void *ctx)
{
    const char *volatile nul = NULL; /* unseen by the compiler's format check */
    (void)ctx;
    /* the format's own controls stay (a progress line); width, precision, %c, %% and numbers */
    cli_fmt(f, "\r\033[K%-6s|%6s|%.3s|%.*s|%c%c|%5.1f%%|%04x|%ld|%s", "a\tb", "c", "d\x1B" "ef",
            2, "\x01xyz", 'q', '\n', 12.34, 255u, -5l, nul);
}

static void test_fmt(void **state)
{
    char *got;
    (void)state;
    got = captured(fmt1, NULL);
    assert_string_equal(got, "datavet x: m\\x1B]0;t\\x07.jpg: row 7, 3 of -2: col\\x0Aname\n");
    free(got);
    got = captured(fmt2, NULL);
    assert_string_equal(got, "\r\033[Ka\\x09b|     c|d\\x1Be|\\x01x|q\\x0A| 12.3%|00ff|-5|(null)");
    free(got);
}

/* A progress line's ETA: hh:mm:ss under 10^8 s, hours past 99 as they are; nothing for a
 * time that is none or out of range (an estimate of 10^10 s from a rate just started was
 * converted to int: undefined, "ETA 2777777:46:-8" on x86). */
static void test_fmt_eta(void **state)
{
    char b[40];
    (void)state;
    cli_fmt_eta(b, sizeof b, ", ", 0);
    assert_string_equal(b, ", ETA 00:00:00");
    cli_fmt_eta(b, sizeof b, "  ", 3725.9);
    assert_string_equal(b, "  ETA 01:02:05");
    cli_fmt_eta(b, sizeof b, ", ", 99999999.0);
    assert_string_equal(b, ", ETA 27777:46:39");
    const double none[] = {1e8, 3e9, 1e12, 1e300, -1, -1e12, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        memcpy(b, "junk", 5);
        cli_fmt_eta(b, sizeof b, ", ", none[i]);
        assert_string_equal(b, "");
    }
}

static void put_esc(FILE *f, const void *ctx)
{
    const sn *x = ctx;
    cli_put_escaped(f, x->s, x->n);
}

/* The library's rule (dv__text_escape, for its texts of several lines) is cli_put_safe's:
 * on random bytes, text the library escaped and the CLI prints with cli_put_escaped reads
 * as the CLI's own escaping of the raw bytes. */
static void test_put_escaped(void **state)
{
    static const char pick[] = {'a', '\\', '\n', '\t', 0x1B, 0x7F, (char)0xC2, (char)0x9B,
                                (char)0xE2, (char)0x80, (char)0xAE, (char)0xFF, (char)0xC3,
                                (char)0xA9, (char)0xEF, (char)0xBF, (char)0xBE, 'x', 0};
    unsigned seed = 12345;
    (void)state;
    for (int t = 0; t < 20000; t++) {
        char raw[24], esc[DV__TEXT_ESCAPE_BOUND(24)];
        size_t n = (size_t)(t % 24);
        sn r = {raw, n}, e = {esc, 0};
        char *want, *got;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = pick[(seed >> 16) % sizeof pick];
        }
        e.n = dv__text_escape(raw, n, esc, sizeof esc);
        assert_true(e.n < sizeof esc);
        want = captured(put_sn, &r);
        got = captured(put_esc, &e);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    /* a line the library did not escape: controls still escaped, the backslash kept */
    {
        sn x = {"a\\x0A\nb\x1B", 8};
        char *got = captured(put_esc, &x);
        assert_string_equal(got, "a\\x0A\\x0Ab\\x1B");
        free(got);
    }
}

/* A line too wide for the terminal: one ending in an ETA keeps the ETA and drops whole fields
 * before it (from the right); until 2026-12-07 the end was cut, the ETA first. Any other line,
 * or one where not even the first field fits beside the ETA, is cut at the end as before. */
static void fit(const char *line, int cols, const char *want)
{
    char out[512];
    size_t n = cli_progress_fit(line, out, sizeof out, cols);
    out[n] = 0;
    assert_string_equal(out, want);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)out[i] & 0xC0) != 0x80) w += (unsigned char)out[i] < 0x80 ? 1 : 2;
    assert_true(w <= (size_t)cols - 1);
}

static void test_progress_fit(void **state)
{
    (void)state;
    const char *f = "fetch: 1234 URLs  87 URLs/s  42%  ETA 00:01:05";
    fit(f, 80, f);
    fit(f, 47, f);
    fit(f, 46, "fetch: 1234 URLs  87 URLs/s  ETA 00:01:05");
    fit(f, 42, "fetch: 1234 URLs  87 URLs/s  ETA 00:01:05");
    fit(f, 41, "fetch: 1234 URLs  ETA 00:01:05");
    fit(f, 31, "fetch: 1234 URLs  ETA 00:01:05");
    fit(f, 30, "fetch: 1234 URLs  87 URLs/s  ");
    fit("scan: 12/40 shards, 3000 items/s, ETA 01:02:03", 36,
        "scan: 12/40 shards, ETA 01:02:03");
    fit("hash: 6/9 files  12 files/s  ETA 00:00:01", 20, "hash: 6/9 files  12");
    fit("fetch: 12 URLs  87 URLs/s  0.5s", 20, "fetch: 12 URLs  87 ");
    /* a wide character counts 2 columns before the ETA as in the cut */
    fit("neighbors: \xc3\xa9t\xc3\xa9 12/40 rows  9 rows/s  ETA 00:00:09", 42,
        "neighbors: \xc3\xa9t\xc3\xa9 12/40 rows  ETA 00:00:09");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_safe),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_fmt_eta),
        cmocka_unit_test(test_put_escaped),
        cmocka_unit_test(test_progress_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
