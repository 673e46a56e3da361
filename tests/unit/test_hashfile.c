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

#include "datavet.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_csv_dihedral),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_not_hash_output),
    };
    return cmocka_run_group_tests_name("hashfile", tests, NULL, NULL);
}
