/* test_report.c - report.html: escaping of hostile strings (markup, quotes, invalid UTF-8,
 * controls, bidi), determinism, counter lookup, empty report, charts, tag balance, limits.
 * DV_REPORT_SAMPLE=path writes the sample report there (for looking at it in a browser). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>

#include "report/report.h"
#include "report/report_html_internal.h"

/* ---- helpers ------------------------------------------------------------------------- */

static char *esc(const char *s, size_t max)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dv__html_text(f, s, max);
    fclose(f);
    return buf;
}

static void check_esc(const char *in, size_t max, const char *want)
{
    char *got = esc(in, max);
    if (strcmp(got, want) != 0) fail_msg("escape: got '%s', want '%s'", got, want);
    free(got);
}

static char *render(const dv__report *r, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(dv__report_write_html(f, r), DV_OK);
    fclose(f);
    if (len != NULL) *len = n;
    return buf;
}

/* Strict UTF-8 validity (what a browser or XML parser would reject). */
static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = p[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (b < 0x80) {
            if (b < 0x20 && b != '\n' && b != '\t') return 0;
            i++;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF) k = 1;
        else if (b >= 0xE0 && b <= 0xEF) { k = 2; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
        else if (b >= 0xF0 && b <= 0xF4) { k = 3; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || p[i + j] < lo || p[i + j] > hi) return 0;
            lo = 0x80;
            hi = 0xBF;
        }
        i += k + 1;
    }
    return 1;
}

/* Tags balance (void elements meta/br excepted), '<' only opens a tag, '&' only opens one of
 * the references the writer uses. Returns NULL or a description of the first problem. */
static const char *well_formed(const char *s, char *why, size_t cap)
{
    char stack[64][32];
    int depth = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            static const char *const refs[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            int ok = 0;
            for (size_t i = 0; i < 5; i++)
                if (strncmp(p, refs[i], strlen(refs[i])) == 0) ok = 1;
            if (!ok) { snprintf(why, cap, "bad reference at %ld", (long)(p - s)); return why; }
            p++;
            continue;
        }
        if (*p != '<') { p++; continue; }
        if (p[1] == '!') {
            p = strchr(p, '>');
            if (p == NULL) return "unterminated <!";
            continue;
        }
        {
            int closing = p[1] == '/';
            const char *n = p + 1 + closing, *gt;
            char name[32];
            size_t len = 0;
            while ((n[len] >= 'a' && n[len] <= 'z') || (n[len] >= '0' && n[len] <= '9')) len++;
            if (len == 0 || len >= sizeof(name)) { snprintf(why, cap, "bad tag at %ld", (long)(p - s)); return why; }
            memcpy(name, n, len);
            name[len] = '\0';
            gt = strchr(n, '>');
            if (gt == NULL) return "unterminated tag";
            for (const char *q = n; q < gt; q++)
                if (*q == '<') { snprintf(why, cap, "'<' inside tag at %ld", (long)(q - s)); return why; }
            if (closing) {
                if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                    snprintf(why, cap, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "(none)");
                    return why;
                }
                depth--;
            } else if (gt[-1] != '/' && strcmp(name, "meta") != 0 && strcmp(name, "br") != 0) {
                if (depth == 64) return "too deep";
                memcpy(stack[depth++], name, len + 1);
            }
            p = gt + 1;
        }
    }
    if (depth != 0) { snprintf(why, cap, "<%s> never closed", stack[depth - 1]); return why; }
    return NULL;
}

static void assert_well_formed(const char *html)
{
    char why[160];
    const char *w = well_formed(html, why, sizeof(why));
    if (w != NULL) fail_msg("not well formed: %s", w);
    assert_true(valid_utf8((const unsigned char *)html, strlen(html)));
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

static int has_icase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0) return 1;
    return 0;
}

/* ---- a sample scan ------------------------------------------------------------------- */

#define HOSTILE_URL "http://evil.example/<script>alert(\"x\")</script>?a=1&b='2'\xff\xfe"

static const dv__counter sample_counters[] = {
    {"error.corrupt", 2},
    {"error.decode", 5},
    {"error.too_big", 1},
    {"fetch.http_404", 3},
    {"fetch.ok", 40},
    {"hash.md5.match", 2},
    {"hash.pdq.match", 3},
    {"hash.punsafe.candidate", 1},
    {"hash.terms.candidate", 1},
    {"hashed", 90},
    {"items", 100},
    {"items_with_image", 95},
    {"list..candidate", 2},
    {"list.known-md5.match", 2},
    {"list.known<pdq>.match", 3},
    {"low_quality", 4},
    {"pdq_distance.00", 1},
    {"pdq_distance.07", 1},
    {"pdq_distance.40", 1},
    {"shard_findings.000000", 3},
    {"shard_findings.000002", 4},
    {"shard_items.000000", 40},
    {"shard_items.000001", 25},
    {"shard_items.000002", 35},
    {"similarity.87", 2},
    {"similarity.93", 1},
    {"tier.candidate", 2},
    {"tier.match", 5},
};

static const dv__finding sample_findings[] = {
    {"000000:3", "part-0.parquet", 0, 3, HOSTILE_URL, "md5", "metadata",
     "0123456789abcdef0123456789abcdef", "known-md5", "1", "ab12", "e1", "label \"one\"", 0, "",
     NAN, "match", "", "", -1, "", "", "", "", -1},
    {"k\xc0\xaf<b>", "part-0.parquet", 0, 9, "https://ok.example/a.jpg", "pdq", "image",
     "f00d", "known<pdq>", "7", "cd34", "e9", "", 7, "flipx", NAN, "match", "", "", -1, "", "", "", "", -1},
    {"000002:1", "part-2.parquet", 2, 1, "https://x.example/\xe2\x80\xaeg\x01pj.exe", "punsafe",
     "flag", "0.991", "", "", "", "", "", -1, "", 0.991, "candidate", "", "", -1, "", "", "", "", -1},
    {"000002:4", "part-2.parquet", 2, 4, "https://y.example/z", "neighbors", "neighbors", "", "",
     "", "", "", "", -1, "", 0.875, "candidate", "000000:3", "img_emb/img_emb_2.npy", 4, "", "", "", "", -1},
};

static const dv__report_list sample_lists[] = {
    {"lists/md5.dvl", "known-md5", "1", "md5", "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12", 3},
    {"lists/pdq.dvl", "known<pdq>", "7", "pdq", "cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34", 1200},
};

static const dv__report_input sample_inputs[] = {
    {"data/part-0.parquet", "1111111111111111111111111111111111111111111111111111111111111111", 123456},
    {"data/part-2.parquet", "", 99},
};

static const char *const pnames[] = {"radius", "dihedral", "flag-terms"};
static const char *const pvalues[] = {"31", "on", "terms<&>.txt"};

static dv__report sample(void)
{
    dv__report r = {"data/\"laion\"<x>", "parquet", "0.1.0", 3, sample_findings, 4,
                    sample_counters, sizeof(sample_counters) / sizeof(sample_counters[0]),
                    sample_lists, 2, sample_inputs, 2, pnames, pvalues, 3,
                    "a.parquet: column images.list.element.bytes <b> NOT scanned\nsecond"};
    return r;
}

/* ---- tests --------------------------------------------------------------------------- */

static void t_escape_markup(void **state)
{
    (void)state;
    check_esc("<script>alert(\"x\")&'</script>", 0,
              "&lt;script&gt;alert(&quot;x&quot;)&amp;&#39;&lt;/script&gt;");
    check_esc("", 0, "");
    check_esc("plain text", 0, "plain text");
    check_esc("tab\tnl\n", 0, "tab\tnl\n");
}

static void t_escape_utf8(void **state)
{
    (void)state;
    /* valid multi-byte text passes through */
    check_esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* a stray byte, overlong '/', a surrogate, over U+10FFFF, a truncated sequence */
    check_esc("a\xff" "b", 0, "a\xef\xbf\xbd" "b");
    check_esc("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");
    check_esc("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_esc("\xf4\x90\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_esc("x\xe2\x82", 0, "x\xef\xbf\xbd");
    check_esc("\xe2\x82<", 0, "\xef\xbf\xbd&lt;");
    /* controls, DEL, C1, bidi override and isolate, noncharacter */
    check_esc("a\x01\x1b\x7f" "b", 0, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
    check_esc("\xc2\x85", 0, "\xef\xbf\xbd");
    check_esc("\xe2\x80\xae" "exe.gpj", 0, "\xef\xbf\xbd" "exe.gpj");
    check_esc("\xe2\x81\xa6", 0, "\xef\xbf\xbd");
    check_esc("\xef\xbf\xbe", 0, "\xef\xbf\xbd");
    check_esc("\r", 0, "\xef\xbf\xbd");
}

static void t_escape_truncate(void **state)
{
    (void)state;
    check_esc("abcdef", 3, "abc\xe2\x80\xa6");
    check_esc("abc", 3, "abc");
    /* never cuts inside a character */
    check_esc("ab\xc3\xa9", 3, "ab\xe2\x80\xa6");
    check_esc("&&&&", 2, "&amp;&amp;\xe2\x80\xa6");
    {
        char *s = esc(NULL, 0);
        assert_string_equal(s, "");
        free(s);
    }
}

/* Every byte string of length 1..3 (and a sample of 4) escapes to valid UTF-8 without markup. */
static void t_escape_exhaustive(void **state)
{
    (void)state;
    unsigned char in[5];
    char *buf = NULL;
    size_t len = 0;
    for (unsigned a = 1; a < 256; a++) {
        for (unsigned b = 0; b < 256; b += (a < 0xC0 ? 51 : 1)) {
            for (unsigned c = 0; c < 256; c += 17) {
                FILE *f = open_memstream(&buf, &len);
                in[0] = (unsigned char)a;
                in[1] = (unsigned char)b;
                in[2] = (unsigned char)c;
                in[3] = 0x80;
                dv__html_textn(f, (const char *)in, 4, 0);
                fclose(f);
                if (!valid_utf8((unsigned char *)buf, len) || memchr(buf, '<', len) ||
                    memchr(buf, '"', len) || memchr(buf, '\'', len) || memchr(buf, '>', len))
                    fail_msg("bad escape of %02x %02x %02x 80", a, b, c);
                free(buf);
                buf = NULL;
            }
        }
    }
}

static void t_format(void **state)
{
    char b[32], n[27];
    (void)state;
    assert_string_equal(dv__fmt_fixed(b, 0.875, 3), "0.875");
    assert_string_equal(dv__fmt_fixed(b, 0.9995, 3), "1.000");
    assert_string_equal(dv__fmt_fixed(b, -1.5, 3), "-1.500");
    assert_string_equal(dv__fmt_fixed(b, -0.0001, 3), "0.000");
    assert_string_equal(dv__fmt_fixed(b, 2.0, 0), "2");
    assert_string_equal(dv__fmt_fixed(b, NAN, 3), "");
    assert_string_equal(dv__fmt_fixed(b, INFINITY, 3), "inf");
    assert_string_equal(dv__fmt_fixed(b, -INFINITY, 3), "-inf");
    assert_string_equal(dv__fmt_u64(n, 0), "0");
    assert_string_equal(dv__fmt_u64(n, 999), "999");
    assert_string_equal(dv__fmt_u64(n, 1000), "1,000");
    assert_string_equal(dv__fmt_u64(n, 1234567), "1,234,567");
    assert_string_equal(dv__fmt_u64(n, UINT64_MAX), "18,446,744,073,709,551,615");
}

static void t_counter(void **state)
{
    dv__report r = sample(), e = {0};
    (void)state;
    assert_int_equal(dv__report_counter(&r, "items"), 100);
    assert_int_equal(dv__report_counter(&r, "error.corrupt"), 2); /* first */
    assert_int_equal(dv__report_counter(&r, "tier.match"), 5);   /* last */
    assert_int_equal(dv__report_counter(&r, "list..candidate"), 2);
    assert_int_equal(dv__report_counter(&r, "item"), 0);
    assert_int_equal(dv__report_counter(&r, "zzz"), 0);
    assert_int_equal(dv__report_counter(&r, ""), 0);
    assert_int_equal(dv__report_counter(&e, "items"), 0);
    assert_int_equal(dv__report_counter(NULL, "items"), 0);
    assert_int_equal(dv__report_counter(&r, NULL), 0);
    /* every key finds itself */
    for (size_t i = 0; i < r.ncounters; i++)
        assert_int_equal(dv__report_counter(&r, r.counters[i].key), r.counters[i].value);
}

static void t_empty(void **state)
{
    dv__report r = {0};
    char *html;
    (void)state;
    html = render(&r, NULL);
    assert_well_formed(html);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "No matches."));
    assert_non_null(strstr(html, "No candidates."));
    assert_non_null(strstr(html, "No lists."));
    assert_non_null(strstr(html, "id=\"chart-pdq-distance\""));
    assert_null(strstr(html, "<script"));
    free(html);
    assert_int_equal(dv__report_write_html(NULL, &r), DV_EINVAL);
}

static void t_sample(void **state)
{
    dv__report r = sample();
    const char *out = getenv("DV_REPORT_SAMPLE");
    char *html;
    size_t len;
    (void)state;
    html = render(&r, &len);
    assert_int_equal(strlen(html), len);
    assert_well_formed(html);
    /* charts */
    assert_non_null(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-lists\""));
    assert_non_null(strstr(html, "id=\"chart-pdq-distance\""));
    assert_non_null(strstr(html, "id=\"chart-shards\""));
    assert_non_null(strstr(html, "id=\"chart-errors\""));
    assert_non_null(strstr(html, "id=\"chart-fetch\""));
    assert_non_null(strstr(html, "id=\"chart-similarity\""));
    assert_non_null(strstr(html, "<title>distance 32+: 1</title>"));  /* 40 lands in 32+ */
    assert_non_null(strstr(html, "<title>shard 1: 25 items</title>"));
    /* dataset problems: a warning at the top, one item a line, as text */
    assert_non_null(strstr(html, "<div class=\"note warn\"><b>Not everything in the dataset was "
                                 "scanned:</b><ul>\n<li>a.parquet: column "
                                 "images.list.element.bytes &lt;b&gt; NOT scanned</li>\n"
                                 "<li>second</li>\n</ul></div>"));
    /* hostile strings are text */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<b>\""));
    assert_non_null(strstr(html, "http://evil.example/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
                                 "?a=1&amp;b=&#39;2&#39;\xef\xbf\xbd\xef\xbf\xbd"));
    assert_non_null(strstr(html, "k\xef\xbf\xbd\xef\xbf\xbd&lt;b&gt;"));
    assert_non_null(strstr(html, "known&lt;pdq&gt;"));
    assert_non_null(strstr(html, "data/&quot;laion&quot;&lt;x&gt;"));
    assert_null(strstr(html, "\xe2\x80\xae"));
    /* nothing a browser would fetch or run */
    assert_false(has_icase(html, "href"));
    assert_false(has_icase(html, "src=\""));
    assert_false(has_icase(html, "<img"));
    assert_false(has_icase(html, "<a "));
    assert_false(has_icase(html, "url("));
    assert_false(has_icase(html, "@import"));
    assert_false(has_icase(html, "<script"));
    assert_false(has_icase(html, "on" "load"));
    assert_non_null(strstr(html, "default-src 'none'"));
    /* tiers: candidates labelled, never called confirmed */
    assert_int_equal(count(html, "<td class=\"tier-match\">match</td>"), 2);
    assert_int_equal(count(html, "<td class=\"tier-candidate\">candidate (needs verification)</td>"), 2);
    assert_false(has_icase(html, "confirmed"));
    /* tables */
    assert_non_null(strstr(html, "<td class=\"n\">1,200</td>"));
    assert_non_null(strstr(html, "(not computed)"));
    assert_non_null(strstr(html, "terms&lt;&amp;&gt;.txt"));
    assert_non_null(strstr(html, "<td>(flags, no list)</td><td class=\"n\">0</td><td class=\"n\">2</td>"));
    assert_non_null(strstr(html, "<td class=\"n\">0.875</td>"));
    assert_non_null(strstr(html, "img_emb/img_emb_2.npy:4"));
    assert_non_null(strstr(html, "dihedral flipx"));
    if (out != NULL) {
        FILE *f = fopen(out, "wb");
        assert_non_null(f);
        fwrite(html, 1, len, f);
        fclose(f);
    }
    free(html);
}

/* The same report, from copies of every string at other addresses, gives the same bytes. */
static void t_deterministic(void **state)
{
    dv__report r = sample(), r2;
    dv__finding f2[4];
    dv__counter c2[sizeof(sample_counters) / sizeof(sample_counters[0])];
    char *keys[sizeof(c2) / sizeof(c2[0])], *a, *b;
    size_t la, lb;
    (void)state;
    memcpy(f2, sample_findings, sizeof(f2));
    for (size_t i = 0; i < r.ncounters; i++) {
        keys[i] = strdup(sample_counters[i].key);
        c2[i] = (dv__counter){keys[i], sample_counters[i].value};
    }
    r2 = r;
    r2.findings = f2;
    r2.counters = c2;
    a = render(&r, &la);
    b = render(&r2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(b);
    b = render(&r, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    for (size_t i = 0; i < r.ncounters; i++) free(keys[i]);
}

/* 1500 matches: 1000 shown and a note; 5000 shards: binned to 200 bars with whiskers. */
static void t_limits(void **state)
{
    enum { NF = 1500, NS = 5000 };
    dv__finding *f = calloc(NF, sizeof(*f));
    dv__counter *c = calloc(NS + 1, sizeof(*c));
    char (*keys)[32] = calloc(NS, 32), *html;
    dv__report r = {0};
    (void)state;
    assert_non_null(f);
    assert_non_null(c);
    assert_non_null(keys);
    for (size_t i = 0; i < NF; i++)
        f[i] = (dv__finding){"id", "s", 0, (int64_t)i, "u", "md5", "metadata", "v", "l", "1",
                             "d", "e", "", 0, "", NAN, "match", "", "", -1,
                             "", "", "", "", -1};
    /* shard 17 absent: its bin's minimum is 0 */
    for (size_t i = 0, k = 0; i < NS; i++) {
        if (i == 17) continue;
        snprintf(keys[k], 32, "shard_items.%06zu", i);
        c[k] = (dv__counter){keys[k], 100 + i % 7};
        k++;
    }
    r.findings = f;
    r.nfindings = NF;
    r.counters = c;
    r.ncounters = NS - 1;
    r.nshards = NS;
    html = render(&r, NULL);
    assert_well_formed(html);
    assert_int_equal(count(html, "<td class=\"tier-match\">match</td>"), 1000);
    assert_non_null(strstr(html, "500 more matches are not shown"));
    assert_non_null(strstr(html, "<title>shards 0-24: mean 99, min 0, max 106</title>"));
    assert_non_null(strstr(html, "<title>shards 4975-4999: "));
    {
        const char *s = strstr(html, "id=\"chart-shards\""), *e = strstr(s, "</svg>");
        size_t bars = 0;
        for (const char *p = strstr(s, "<rect"); p != NULL && p < e; p = strstr(p + 1, "<rect")) bars++;
        assert_int_equal(bars, 200);
    }
    free(html);
    free(f);
    free(c);
    free(keys);
}

/* The findings given are the first of each tier only (a scan keeps 1000 of each): the
 * notes count what is not shown from the scan's tier counts, not from what was given. */
static void t_limits_counted(void **state)
{
    enum { NF = 1003 };
    dv__finding *f = calloc(NF, sizeof(*f));
    static const dv__counter c[] = {{"tier.candidate", 177}, {"tier.match", 2908}};
    char *html;
    dv__report r = {0};
    (void)state;
    assert_non_null(f);
    for (size_t i = 0; i < NF; i++)
        f[i] = (dv__finding){"id", "s", 0, (int64_t)i, "u", i < 1000 ? "md5" : "terms",
                             i < 1000 ? "metadata" : "flag", "v", "l", "1", "d", "e", "", 0, "",
                             NAN, i < 1000 ? "match" : "candidate", "", "", -1,
                             "", "", "", "", -1};
    r.findings = f;
    r.nfindings = NF;
    r.counters = c;
    r.ncounters = 2;
    html = render(&r, NULL);
    assert_well_formed(html);
    assert_int_equal(count(html, "<td class=\"tier-match\">match</td>"), 1000);
    assert_non_null(strstr(html, "1,908 more matches are not shown"));
    assert_non_null(strstr(html, "174 more candidates are not shown"));
    free(html);
    free(f);
}

/* A write error is reported, not ignored. */
static void t_write_error(void **state)
{
    dv__report r = sample();
    FILE *f = fopen("/dev/full", "w");
    (void)state;
    if (f == NULL) {
        printf("SKIP: no /dev/full\n");
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(dv__report_write_html(f, &r), DV_EIO);
    fclose(f);
}

/* An XML parser agrees the page is well formed (python3's expat, xmllint when present). */
static void t_xml_parsers(void **state)
{
    dv__report r = sample();
    char path[] = "/tmp/dv-report-XXXXXX", cmd[256];
    char *html;
    size_t len;
    int fd, ran = 0;
    (void)state;
    html = render(&r, &len);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, html, len), (ssize_t)len);
    close(fd);
    if (access("/usr/bin/python3", X_OK) == 0) {
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' %s",
                 path);
        assert_int_equal(system(cmd), 0);
        ran++;
    }
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout %s", path);
        assert_int_equal(system(cmd), 0);
        ran++;
    }
    if (ran == 0) printf("SKIP: neither /usr/bin/python3 nor /usr/bin/xmllint\n");
    unlink(path);
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_escape_markup),   cmocka_unit_test(t_escape_utf8),
        cmocka_unit_test(t_escape_truncate), cmocka_unit_test(t_escape_exhaustive),
        cmocka_unit_test(t_format),          cmocka_unit_test(t_counter),
        cmocka_unit_test(t_empty),           cmocka_unit_test(t_sample),
        cmocka_unit_test(t_deterministic),   cmocka_unit_test(t_limits),
        cmocka_unit_test(t_limits_counted),
        cmocka_unit_test(t_write_error),     cmocka_unit_test(t_xml_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
