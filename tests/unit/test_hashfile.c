/* test_hashfile.c - reading `datavet hash` output back: TSV, CSV and JSONL, escapes,
 * dihedral columns, and malformed lines reported with their line number and skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/wait.h>
#include <unistd.h>

#include "datavet.h"
#include "match/list_internal.h" /* dv__hashfile_open_text: the in-memory reader at a limit */

#define H64A "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
#define H64B "0000000000000000000000000000000000000000000000000000000000000001"
#define MD5 "900150983cd24fb0d6963f7d28e17f72"

static dv_hashfile *open_text(const char *t)
{
    dv_hashfile *hf = NULL;
    char err[256];
    assert_int_equal(dv_hashfile_open("t", t, strlen(t), NULL, &hf, err, sizeof(err)), DV_OK);
    return hf;
}

static void test_tsv(void **state)
{
    const char *t = "path\tstatus\tformat\twidth\theight\tmd5\tpdq\tquality\terror\n"
                    "a\\tb.jpg\tok\tjpeg\t10\t10\t" MD5 "\t" H64A "\t100\t\n"
                    "\n"
                    "bad.jpg\terror\t\t\t\t" MD5 "\t\t\tjpeg: truncated\n"
                    "c.jpg\tok\tjpeg\t1\t1\tzz\t" H64A "\t100\t\n"
                    "d.jpg\tok\tjpeg\t1\t1\n";
    dv_hashfile *hf = open_text(t);
    dv_hash_record r;
    char hex[65];
    (void)state;
    assert_int_equal(dv_hashfile_has_dihedral(hf), 0);
    assert_int_equal(dv_hashfile_next(hf, &r), 1);
    assert_string_equal(r.path, "a\tb.jpg");
    assert_int_equal(r.line, 2);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.have, DV_ALGO_MD5 | DV_ALGO_PDQ);
    assert_int_equal(r.quality, 100);
    dv_pdq_to_hex(&r.pdq[0], hex);
    assert_string_equal(hex, H64A);
    assert_int_equal(dv_hashfile_next(hf, &r), 1);
    assert_string_equal(r.path, "bad.jpg");
    assert_int_equal(r.line, 4);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.have, DV_ALGO_MD5); /* digests of undecodable files still count */
    assert_int_equal(r.quality, -1);
    assert_int_equal(dv_hashfile_next(hf, &r), DV_ECORRUPT);
    assert_non_null(strstr(dv_hashfile_errmsg(hf), "t:5:"));
    assert_int_equal(dv_hashfile_next(hf, &r), DV_ECORRUPT);
    assert_non_null(strstr(dv_hashfile_errmsg(hf), "t:6:"));
    assert_int_equal(dv_hashfile_next(hf, &r), 0);
    dv_hashfile_close(hf);
}

static void test_csv_dihedral(void **state)
{
    const char *t = "path,status,format,width,height,pdq,quality,pdq_rot90,pdq_rot180,pdq_rot270,"
                    "pdq_flipx,pdq_flipy,pdq_flipplus1,pdq_flipminus1,error\r\n"
                    "\"x,\"\"y\"\"\nz.png\",ok,png,5,5," H64A ",90," H64B "," H64B "," H64B "," H64B
                    "," H64B "," H64B "," H64A ",\r\n";
    dv_hashfile *hf = open_text(t);
    dv_hash_record r;
    char hex[65];
    (void)state;
    assert_int_equal(dv_hashfile_has_dihedral(hf), 1);
    assert_int_equal(dv_hashfile_next(hf, &r), 1);
    assert_string_equal(r.path, "x,\"y\"\nz.png");
    assert_int_equal(r.ndihedral, 8);
    assert_int_equal(r.quality, 90);
    dv_pdq_to_hex(&r.pdq[7], hex);
    assert_string_equal(hex, H64A);
    dv_pdq_to_hex(&r.pdq[1], hex);
    assert_string_equal(hex, H64B);
    assert_int_equal(dv_hashfile_next(hf, &r), 0);
    dv_hashfile_close(hf);
}

static void test_jsonl(void **state)
{
    const char *t = "{\"path\":\"p\\u00e9\\ud83d\\ude00.jpg\",\"status\":\"ok\",\"format\":\"jpeg\","
                    "\"width\":3,\"height\":4,\"md5\":\"" MD5 "\",\"pdq\":\"" H64A "\",\"quality\":77,"
                    "\"pdq_dihedral\":{\"rot90\":\"" H64B "\",\"rot180\":\"" H64B "\",\"rot270\":\"" H64B
                    "\",\"flipx\":\"" H64B "\",\"flipy\":\"" H64B "\",\"flipplus1\":\"" H64B
                    "\",\"flipminus1\":\"" H64B "\"}}\n"
                    "{\"path\":\"e.jpg\",\"status\":\"error\",\"error\":\"x\"}\n"
                    "{\"path\":\"f.jpg\",\"pdq\":[1,2]}\n"
                    "not json\n"
                    "{\"path\":\"g.jpg\",\"quality\":1000}\n";
    dv_hashfile *hf = open_text(t);
    dv_hash_record r;
    (void)state;
    assert_int_equal(dv_hashfile_next(hf, &r), 1);
    assert_string_equal(r.path, "p\xc3\xa9\xf0\x9f\x98\x80.jpg");
    assert_int_equal(r.ndihedral, 8);
    assert_int_equal(r.quality, 77);
    assert_int_equal(r.have, DV_ALGO_MD5 | DV_ALGO_PDQ);
    assert_int_equal(dv_hashfile_has_dihedral(hf), 1);
    assert_int_equal(dv_hashfile_next(hf, &r), 1);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.have, 0);
    assert_int_equal(dv_hashfile_next(hf, &r), DV_ECORRUPT);
    assert_non_null(strstr(dv_hashfile_errmsg(hf), "t:3:"));
    assert_int_equal(dv_hashfile_next(hf, &r), DV_ECORRUPT);
    assert_int_equal(dv_hashfile_next(hf, &r), DV_ECORRUPT);
    assert_non_null(strstr(dv_hashfile_errmsg(hf), "t:5:"));
    assert_int_equal(dv_hashfile_next(hf, &r), 0);
    dv_hashfile_close(hf);
}

static void test_not_hash_output(void **state)
{
    dv_hashfile *hf = NULL;
    char err[256];
    const char *t = "a,b,c\n1,2,3\n";
    (void)state;
    assert_int_equal(dv_hashfile_open("t", t, strlen(t), NULL, &hf, err, sizeof(err)), DV_EFORMAT);
    assert_null(hf);
    assert_non_null(strstr(err, "datavet hash"));
    assert_int_equal(dv_hashfile_open("t", "", 0, NULL, &hf, err, sizeof(err)), DV_EFORMAT);
}


/* What a reader gives, call by call, as one string: records (line, path, have, hex of the
 * first digest and PDQ, quality) and bad lines (their message), so two readers compare. */
static char *drain(dv_hashfile *hf)
{
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    dv_hash_record r;
    int rc;
    assert_non_null(out);
    out[0] = 0;
    while ((rc = dv_hashfile_next(hf, &r)) != 0) {
        char one[1536], hex[65];
        if (rc == 1) {
            dv_pdq_to_hex(&r.pdq[0], hex);
            snprintf(one, sizeof(one), "%llu %.1000s %u %02x%02x %s %d %d\n",
                     (unsigned long long)r.line, r.path, r.have, r.md5[0], r.md5[15], hex,
                     r.quality, r.ndihedral);
        } else {
            assert_int_equal(rc, DV_ECORRUPT);
            snprintf(one, sizeof(one), "bad %.1000s\n", dv_hashfile_errmsg(hf));
        }
        while (len + strlen(one) + 1 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, one, strlen(one) + 1);
        len += strlen(one);
    }
    return out;
}

/* The streamed reader through a pipe (short reads) at max_line: the same records and bad
 * lines as the in-memory one at the same limit. */
static char *drain_fd(const char *t, size_t len, size_t max_line)
{
    int fds[2];
    pid_t pid;
    dv_hashfile *hf = NULL;
    char err[256];
    char *out;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* a writer in small pieces, so reads come back short */
        close(fds[0]);
        for (size_t off = 0; off < len;) {
            size_t n = len - off < 7 ? len - off : 7;
            ssize_t k = write(fds[1], t + off, n);
            if (k <= 0) _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(dv_hashfile_open_fd("t", fds[0], max_line, NULL, &hf, err, sizeof(err)),
                     DV_OK);
    out = drain(hf);
    dv_hashfile_close(hf);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return out;
}

static char *drain_text(const char *t, size_t len, size_t max_line)
{
    dv_hashfile *hf = NULL;
    char err[256];
    char *out;
    assert_int_equal(dv__hashfile_open_text("t", t, len, max_line, NULL, &hf, err, sizeof(err)),
                     DV_OK);
    out = drain(hf);
    dv_hashfile_close(hf);
    return out;
}

/* A line past the limit is a bad line named by its number, and the next is read as it is;
 * a bad escape or an open quote make their line bad, not the lines after it (until
 * 2026-12-07 reading went on in the middle of the bad line, whose rest became a record of
 * its own, and every line number after it was one too high; a quote left open in CSV lost
 * every record after it) */
static void test_bad_lines_resync(void **state)
{
    const char *tsv = "path\tmd5\n"
                      "a.jpg\t" MD5 "\n"
                      "b\\q.jpg\t" MD5 "\tc.jpg\t" MD5 "\n" /* bad escape, then what looks a row */
                      "d.jpg\t" MD5 "\n";
    const char *csv = "path,md5\n"
                      "a.jpg," MD5 "\n"
                      "\"b.jpg," MD5 "\n" /* a quote left open to the end */
                      "c.jpg," MD5 "\n";
    char *got;
    (void)state;
    got = drain_text(tsv, strlen(tsv), 0);
    assert_string_equal(got, "2 a.jpg 1 9072 0000000000000000000000000000000000000000000000000000000000000000 -1 1\n"
                             "bad t:3: malformed field (bad escape or unterminated quote)\n"
                             "4 d.jpg 1 9072 0000000000000000000000000000000000000000000000000000000000000000 -1 1\n");
    free(got);
    got = drain_text(csv, strlen(csv), 0);
    assert_string_equal(got, "2 a.jpg 1 9072 0000000000000000000000000000000000000000000000000000000000000000 -1 1\n"
                             "bad t:3: malformed field (bad escape or unterminated quote)\n"
                             "4 c.jpg 1 9072 0000000000000000000000000000000000000000000000000000000000000000 -1 1\n");
    free(got);
}

static void test_stream_long_line(void **state)
{
    char t[1024];
    char *a, *b;
    (void)state;
    snprintf(t, sizeof(t), "path\tmd5\nshort.jpg\t%s\n%0200d.jpg\t%s\nnext.jpg\t%s\n", MD5, 7, MD5,
             MD5);
    a = drain_fd(t, strlen(t), 64);
    assert_non_null(strstr(a, "2 short.jpg"));
    assert_non_null(strstr(a, "bad t:3: line longer than 64 bytes\n"));
    assert_non_null(strstr(a, "4 next.jpg"));
    b = drain_text(t, strlen(t), 64);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* Many records of every format, with escapes, CRLF, blank lines, quotes over lines, bad
 * lines and lines past the limit, streamed at several limits: always what memory gives */
static void test_stream_same(void **state)
{
    size_t cap = 1 << 20, len;
    char *t = malloc(cap);
    static const size_t limits[] = {128, 200, 333, 4096, 0};
    (void)state;
    assert_non_null(t);
    for (int fmt = 0; fmt < 3; fmt++) {
        len = (size_t)snprintf(t, cap, "%s",
                               fmt == 0 ? "path\tstatus\tmd5\tpdq\tquality\r\n"
                               : fmt == 1 ? "\xEF\xBB\xBFpath,md5,pdq,quality\n" : "");
        for (int i = 0; i < 400; i++) {
            int pad = (i * 37) % 230; /* lines of ~70-350 bytes: some past each limit */
            char name[256];
            snprintf(name, sizeof(name), "%0*d", pad + 1, i);
            if (fmt == 0)
                len += (size_t)snprintf(t + len, cap - len, "%s\\t%s.jpg\tok\t%s\t%s\t%d%s",
                                        i % 11 == 0 ? "x\\q" : "d", name, MD5, H64A, i % 101,
                                        i % 3 ? "\n" : "\r\n\n");
            else if (fmt == 1)
                len += (size_t)snprintf(t + len, cap - len, "%s%s.jpg%s,%s,%s,%d\n",
                                        i % 13 == 0 ? "\"q\nr" : "\"q\"\"", name,
                                        i % 29 == 0 ? "" : "\"", MD5, H64B, i % 101);
            else
                len += (size_t)snprintf(t + len, cap - len,
                                        "{\"path\": \"%s\\u00e9%s.jpg\", \"md5\":\"%s\", "
                                        "\"quality\":%d}%s\n",
                                        i % 17 == 0 ? "\\x" : "p", name, MD5, i % 101,
                                        i % 5 ? "" : "\r");
        }
        for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
            char *a = drain_fd(t, len, limits[k]);
            char *b = drain_text(t, len, limits[k]);
            assert_string_equal(a, b);
            if (getenv("DV_TEST_DUMP")) fprintf(stderr, "fmt %d limit %zu:\n%s", fmt, limits[k], a);
            assert_non_null(strstr(a, ".jpg")); /* records */
            if (limits[k] == 0 || limits[k] > 1000) assert_null(strstr(a, "longer than"));
            else if (limits[k] <= 200) assert_non_null(strstr(a, "longer than"));
            free(a);
            free(b);
        }
    }
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_csv_dihedral),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_not_hash_output),
        cmocka_unit_test(test_bad_lines_resync),
        cmocka_unit_test(test_stream_long_line),
        cmocka_unit_test(test_stream_same),
    };
    return cmocka_run_group_tests_name("hashfile", tests, NULL, NULL);
}
