/* test_sign.c - signed scans through the library: dv_scan_sign, dv_scan_verify and the
 * check of a cleaned copy, on outdirs written here, where a test can act between calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"
#include "scan/scan_internal.h"

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64], out[96], clean[96], key[96], pub[96];
} fixture;

static void put(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void sha_hex(const char *dir, const char *name, char hex[65])
{
    char path[256];
    uint64_t size;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(dv__sha256_file(path, hex, &size), DV_OK);
}

/* clean/a.bin holding text, and clean.sha256 naming it, in outdir */
static void put_copy(const fixture *fx, const char *text)
{
    char hex[65], line[128];
    put(fx->clean, "a.bin", text);
    sha_hex(fx->clean, "a.bin", hex);
    snprintf(line, sizeof line, "%s  a.bin\n", hex);
    put(fx->out, "clean.sha256", line);
}

/* An outdir with scan.params, summary.json and a cleaned copy of one file, signed. */
static void make_signed(fixture *fx, const char *summary)
{
    char err[512];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/dv_sign_XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->out, sizeof fx->out, "%s/out", fx->dir);
    snprintf(fx->clean, sizeof fx->clean, "%s/clean", fx->dir);
    snprintf(fx->key, sizeof fx->key, "%s/k", fx->dir);
    snprintf(fx->pub, sizeof fx->pub, "%s/k.pub", fx->dir);
    assert_int_equal(mkdir(fx->out, 0700), 0);
    assert_int_equal(mkdir(fx->clean, 0700), 0);
    put(fx->out, "scan.params", "");
    put(fx->out, "summary.json", summary);
    put_copy(fx, "the kept bytes\n");
    assert_int_equal(dv_sign_keygen(fx->key, fx->pub, NULL, err, sizeof err), DV_OK);
    assert_int_equal(dv_scan_sign(fx->out, fx->key, err, sizeof err), DV_OK);
}

static void drop(const fixture *fx)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct said {
    char last[512];
    int problems;
} said;

static void on_line(void *ud, int is_problem, const char *line)
{
    said *s = ud;
    if (!is_problem) return;
    s->problems++;
    snprintf(s->last, sizeof s->last, "%s", line);
}

/* ---- the tests ----------------------------------------------------------------------- */

/* verify --clean verifies OUTDIR, then reads clean.sha256 to check the copy: two reads. A
 * clean.sha256 replaced between them (with a copy changed to match) passed, checked against
 * bytes no signature covers. Here the replacement is made between the two calls, as it
 * could be between the CLI's two: the digest dv_scan_verify gives must refuse it. */
static void test_clean_sums_replaced_after_verify(void **state)
{
    fixture fx;
    dv_verify_result r;
    dv_clean_verify_result cr;
    said s = {"", 0};
    dv_clean_verify_opts o = {on_line, &s, NULL, NULL, NULL};
    char err[512], hex[65];
    (void)state;
    make_signed(&fx, "{\"counts\": {\"read_errors\": 0}}\n");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err), DV_OK);
    sha_hex(fx.out, "clean.sha256", hex);
    assert_string_equal(r.clean_sha256, hex);
    o.clean_sha256 = r.clean_sha256;
    assert_int_equal(dv_clean_verify_run(fx.out, fx.clean, &o, &cr, err, sizeof err), DV_OK);
    assert_int_equal(cr.files_ok, 1);
    assert_int_equal(cr.sums_differ, 0);

    /* the race's outcome: the copy and its checksums both replaced once OUTDIR verified */
    put_copy(&fx, "forged bytes\n");
    assert_int_equal(dv_clean_verify_run(fx.out, fx.clean, &o, &cr, err, sizeof err),
                     DV_ECORRUPT);
    assert_int_equal(cr.sums_differ, 1);
    assert_int_equal(cr.files_ok, 0); /* nothing checked against the forged list */
    assert_int_equal(s.problems, 1);
    assert_non_null(strstr(s.last, "clean.sha256: its SHA-256 is not the manifest's"));

    /* a manifest that gives clean.sha256 no digest covers no copy */
    o.clean_sha256 = "";
    s.problems = 0;
    assert_int_equal(dv_clean_verify_run(fx.out, fx.clean, &o, &cr, err, sizeof err),
                     DV_ECORRUPT);
    assert_int_equal(cr.sums_differ, 1);
    assert_non_null(strstr(s.last, "the manifest gives no SHA-256 for it"));

    /* without a digest (dv_clean_verify) the file is taken as it is, as documented */
    o.clean_sha256 = NULL;
    assert_int_equal(dv_clean_verify_run(fx.out, fx.clean, &o, &cr, err, sizeof err), DV_OK);
    assert_int_equal(cr.files_ok, 1);
    drop(&fx);
}

/* What verify tells of the scan's completeness comes from the bytes of summary.json it
 * checked: the members asked for, not look-alikes in strings or nested objects; nothing
 * from a summary.json that differs from the manifest's. */
static void test_summary_counts(void **state)
{
    fixture fx;
    dv_verify_result r;
    char err[512];
    (void)state;
    make_signed(&fx, "{\"dataset_problems\": [\"a \\\"read_errors\\\": 9, } ]\", \"{\"],\n"
                     "  \"counts\": {\"items\": 5, \"errors\": {\"read_errors\": 7},\n"
                     "    \"read_errors\": 3},\n"
                     "  \"clean\": {\"removed\": 1, \"shards_left_out\": 2 }\n}\n");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(r.summary_read, 1);
    assert_int_equal(r.read_errors, 3);
    assert_int_equal(r.clean_shards_left_out, 2);
    drop(&fx);

    /* no clean object: no shard left out; a count that is no whole number: not read */
    make_signed(&fx, "{\"counts\": {\"read_errors\": 0}}");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(r.summary_read, 1);
    assert_int_equal(r.read_errors + r.clean_shards_left_out, 0);
    drop(&fx);
    make_signed(&fx, "{\"counts\": {\"read_errors\": -1}}");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(r.summary_read, 0);
    drop(&fx);
    make_signed(&fx, "{\"counts\": {\"read_errors\": 4");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(r.summary_read, 0);

    /* changed after signing (same size): not verified, and its counts not taken */
    put(fx.out, "summary.json", "{\"counts\": {\"read_errors\": 0");
    assert_int_equal(dv_scan_verify(fx.out, fx.pub, NULL, NULL, &r, err, sizeof err),
                     DV_ECORRUPT);
    assert_int_equal(r.files_changed, 1);
    assert_int_equal(r.summary_read, 0);
    drop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_sums_replaced_after_verify),
        cmocka_unit_test(test_summary_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
