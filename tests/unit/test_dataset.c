/* test_dataset.c - the dataset reader over a parquet shard: the metadata roles found by column
 * name, and dv_dataset_opts.skip leaving out exactly the columns it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"

#define ROWS 5

/* DIR/part-0.parquet with url, caption, md5 (hex), punsafe columns */
static void write_shard(const char *dir)
{
    static const char *const names[4] = {"url", "caption", "md5", "punsafe"};
    dv_parquet_field f[4];
    dv_parquet_writer *w;
    char path[512], err[256];
    memset(f, 0, sizeof f);
    for (int c = 0; c < 4; c++) {
        f[c].name = names[c];
        f[c].type = c == 3 ? DV_PQ_FLOAT : DV_PQ_BYTE_ARRAY;
        f[c].is_string = c < 3;
        f[c].optional = 1;
    }
    snprintf(path, sizeof path, "%s/part-0.parquet", dir);
    assert_int_equal(dv_parquet_writer_create(path, f, 4, NULL, &w, err, sizeof err), DV_OK);
    for (int r = 0; r < ROWS; r++) {
        dv_parquet_value v[4];
        char url[64], cap[64], md5[33];
        memset(v, 0, sizeof v);
        snprintf(url, sizeof url, "https://example.com/%d.jpg", r);
        snprintf(cap, sizeof cap, "caption %d", r);
        for (int i = 0; i < 32; i++) md5[i] = "0123456789abcdef"[(r + i) % 16];
        md5[32] = '\0';
        v[0].bytes = (const uint8_t *)url, v[0].len = strlen(url);
        v[1].bytes = (const uint8_t *)cap, v[1].len = strlen(cap);
        v[2].bytes = (const uint8_t *)md5, v[2].len = 32;
        v[3].f32 = 0.25f * (float)r;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
}

/* Read every item of the one shard with the given skip mask and check what is set. */
static void read_with(const char *dir, unsigned skip)
{
    dv_dataset_opts o;
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    char err[512];
    int n = 0, rc;
    memset(&o, 0, sizeof o);
    o.skip = skip;
    assert_int_equal(dv_dataset_open(dir, &o, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_num_shards(ds), 1);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        char want[64];
        snprintf(want, sizeof want, "https://example.com/%d.jpg", n);
        assert_non_null(it.url); /* never skipped: findings name it */
        assert_string_equal(it.url, want);
        snprintf(want, sizeof want, "part-0:%d", n);
        assert_string_equal(it.id, want);
        if (skip & DV_SKIP_CAPTION) {
            assert_null(it.caption);
        } else {
            snprintf(want, sizeof want, "caption %d", n);
            assert_non_null(it.caption);
            assert_string_equal(it.caption, want);
        }
        assert_int_equal((it.have & DV_ALGO_MD5) != 0, !(skip & DV_SKIP_MD5));
        if (it.have & DV_ALGO_MD5) assert_int_equal(it.md5[0], (n % 16) << 4 | ((n + 1) % 16));
        assert_int_equal(it.has_punsafe, !(skip & DV_SKIP_PUNSAFE));
        if (it.has_punsafe) assert_true(it.punsafe == 0.25 * n);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, ROWS);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
}

static void test_skip(void **state)
{
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[512];
    (void)state;
    assert_non_null(mkdtemp(dir));
    write_shard(dir);
    read_with(dir, 0);
    read_with(dir, DV_SKIP_CAPTION);
    read_with(dir, DV_SKIP_MD5 | DV_SKIP_PUNSAFE);
    read_with(dir, DV_SKIP_CAPTION | DV_SKIP_MD5 | DV_SKIP_SHA1 | DV_SKIP_SHA256 | DV_SKIP_PUNSAFE);
    snprintf(path, sizeof path, "%s/part-0.parquet", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
