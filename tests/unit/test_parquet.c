/* test_parquet.c - the Parquet reader against every Apache parquet-testing file (exact values
 * for the well-known ones, clean refusals for the rest), and writer round trips of every type. */
#include <dirent.h>
#include <malloc.h>
#include <math.h>
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
#include "io/parquet_internal.h"
#include "pq_gen.h"
#include "testutil.h"

#define PT "parquet-testing/"

/* ---------------------------------------------------------------- helpers */

typedef struct pq_file {
    dv_parquet_reader *r;
    size_t ncols;
    size_t cols[64];
    dv_parquet_batch b[64];
} pq_file;

/* Open a parquet-testing file; NULL (skip) without ../shared. */
static dv_parquet_reader *open_pt(const char *name)
{
    char rel[256], path[1024], err[512];
    dv_parquet_reader *r = NULL;
    int rc;
    snprintf(rel, sizeof(rel), PT "%s", name);
    if (tu_shared(rel, path, sizeof(path)) == NULL) return NULL;
    rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) fail_msg("%s: %s", name, err);
    return r;
}

static size_t col(const dv_parquet_reader *r, const char *name)
{
    int64_t i = dv_parquet_reader_find_column(r, name);
    if (i < 0) fail_msg("no column %s", name);
    return (size_t)i;
}

static int32_t i32_at(const dv_parquet_batch *b, uint64_t row)
{
    dv_parquet_value v;
    assert_int_equal(dv_parquet_batch_value(b, row, &v), DV_OK);
    assert_false(v.is_null);
    return v.i32;
}

static int64_t i64_at(const dv_parquet_batch *b, uint64_t row)
{
    dv_parquet_value v;
    assert_int_equal(dv_parquet_batch_value(b, row, &v), DV_OK);
    assert_false(v.is_null);
    return v.i64;
}

static double f64_at(const dv_parquet_batch *b, uint64_t row)
{
    dv_parquet_value v;
    assert_int_equal(dv_parquet_batch_value(b, row, &v), DV_OK);
    assert_false(v.is_null);
    return b->type == DV_PQ_FLOAT ? v.f32 : v.f64;
}

static void assert_str_at(const dv_parquet_batch *b, uint64_t row, const char *want)
{
    dv_parquet_value v;
    assert_int_equal(dv_parquet_batch_value(b, row, &v), DV_OK);
    assert_false(v.is_null);
    if (v.len != strlen(want) || memcmp(v.bytes, want, v.len) != 0)
        fail_msg("row %llu: got '%.*s', want '%s'", (unsigned long long)row, (int)v.len,
                 (const char *)v.bytes, want);
}

static int is_null_at(const dv_parquet_batch *b, uint64_t row)
{
    dv_parquet_value v;
    assert_int_equal(dv_parquet_batch_value(b, row, &v), DV_OK);
    return v.is_null;
}

/* Read every flat column of every row group; DV_OK or the first error. */
static int read_all(dv_parquet_reader *r, uint64_t *rows_out, size_t *flat_out, size_t *nested_out)
{
    size_t n = dv_parquet_reader_num_columns(r), nflat = 0, nnested = 0;
    size_t *cols = calloc(n + 1, sizeof(*cols));
    dv_parquet_batch *b = calloc(n + 1, sizeof(*b));
    uint64_t rows = 0;
    int rc = DV_OK;
    assert_non_null(cols);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        dv_parquet_column_info ci;
        assert_int_equal(dv_parquet_reader_column(r, i, &ci), DV_OK);
        assert_non_null(ci.name);
        if (ci.nested)
            nnested++;
        else
            cols[nflat++] = i;
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r) && rc == DV_OK; g++) {
        rc = dv_parquet_reader_read_row_group(r, g, cols, nflat, b);
        if (rc == DV_OK) {
            for (size_t i = 0; i < nflat; i++) {
                assert_int_equal(b[i].rows, dv_parquet_reader_row_group_rows(r, g));
                assert_int_equal(b[i].column, cols[i]);
                if (b[i].type == DV_PQ_BYTE_ARRAY) {
                    assert_non_null(b[i].offsets);
                    assert_int_equal(b[i].offsets[0], 0);
                    for (uint64_t k = 0; k < b[i].rows; k++)
                        assert_true(b[i].offsets[k] <= b[i].offsets[k + 1]);
                }
            }
            rows += dv_parquet_reader_row_group_rows(r, g);
        }
    }
    if (rows_out) *rows_out = rows;
    if (flat_out) *flat_out = nflat;
    if (nested_out) *nested_out = nnested;
    free(cols);
    free(b);
    return rc;
}

/* ---------------------------------------------------------------- the whole corpus */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files that must be rejected, and why: corrupt pages, or a malformed dictionary. */
static const char *const kMustFail[] = {
    "datapage_v1-corrupt-checksum.parquet",
    "rle-dict-uncompressed-corrupt-checksum.parquet",
    "nation.dict-malformed.parquet",
};

static void test_corpus(void **state)
{
    char dir[1024];
    DIR *d;
    struct dirent *e;
    char *names[512];
    size_t n = 0, ok = 0, refused = 0;
    (void)state;
    if (tu_shared(PT, dir, sizeof(dir)) == NULL) {
        printf("SKIP: ../shared/parquet-testing not found\n");
        return;
    }
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 8 && strcmp(e->d_name + l - 8, ".parquet") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    assert_true(n >= 70);
    printf("%-48s %-8s %8s %5s %6s  %s\n", "file", "result", "rows", "flat", "nested", "detail");
    for (size_t i = 0; i < n; i++) {
        char path[1024], err[512];
        dv_parquet_reader *r = NULL;
        uint64_t rows = 0;
        size_t flat = 0, nested = 0;
        int must_fail = 0, rc;
        for (size_t k = 0; k < sizeof(kMustFail) / sizeof(kMustFail[0]); k++)
            if (strcmp(names[i], kMustFail[k]) == 0) must_fail = 1;
        snprintf(path, sizeof(path), "%s%s", dir, names[i]);
        err[0] = '\0';
        rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
        if (rc == DV_OK) {
            rc = read_all(r, &rows, &flat, &nested);
            if (rc != DV_OK) snprintf(err, sizeof(err), "%s", dv_parquet_reader_errmsg(r));
        }
        printf("%-48s %-8s %8llu %5zu %6zu  %s\n", names[i], rc == DV_OK ? "ok" : "refused",
               (unsigned long long)rows, flat, nested, rc == DV_OK ? "" : err);
        if (rc == DV_OK) {
            ok++;
            if (must_fail) fail_msg("%s: read, but must be rejected", names[i]);
        } else {
            refused++;
            assert_true(err[0] != '\0');
            assert_non_null(strstr(err, names[i]));
            if (!must_fail) fail_msg("%s: %s", names[i], err);
        }
        dv_parquet_reader_free(r);
        free(names[i]);
    }
    printf("parquet-testing: %zu files, %zu read, %zu refused\n", n, ok, refused);
}

/* ---------------------------------------------------------------- exact values */

static void check_alltypes(const char *file, const int32_t *ids, size_t nrows)
{
    dv_parquet_reader *r = open_pt(file);
    const char *names[] = {
        "id",        "bool_col",   "tinyint_col",     "smallint_col", "int_col",      "bigint_col",
        "float_col", "double_col", "date_string_col", "string_col",   "timestamp_col"};
    size_t cols[11];
    dv_parquet_batch b[11];
    dv_parquet_column_info ci;
    if (r == NULL) return;
    assert_int_equal(dv_parquet_reader_num_columns(r), 11);
    assert_int_equal(dv_parquet_reader_num_rows(r), nrows);
    for (int i = 0; i < 11; i++) cols[i] = col(r, names[i]);
    assert_int_equal(dv_parquet_reader_column(r, cols[10], &ci), DV_OK);
    assert_int_equal(ci.type, DV_PQ_INT96);
    assert_int_equal(ci.repetition, DV_PQ_OPTIONAL);
    assert_int_equal(dv_parquet_reader_column(r, cols[9], &ci), DV_OK);
    assert_int_equal(ci.type, DV_PQ_BYTE_ARRAY);
    for (size_t g = 0, base = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        assert_int_equal(dv_parquet_reader_read_row_group(r, g, cols, 11, b), DV_OK);
        for (uint64_t k = 0; k < b[0].rows; k++) {
            int32_t id = ids[base + k], odd = id & 1;
            char date[32];
            dv_parquet_value v;
            int64_t nanos;
            int32_t julian;
            /* dates: ids 0,1 -> 01/01/09, 2,3 -> 02/01/09, ... */
            snprintf(date, sizeof(date), "%02d/01/09", id / 2 + 1);
            assert_int_equal(i32_at(&b[0], k), id);
            assert_int_equal(i32_at(&b[1], k), !odd);
            assert_int_equal(i32_at(&b[2], k), odd);
            assert_int_equal(i32_at(&b[3], k), odd);
            assert_int_equal(i32_at(&b[4], k), odd);
            assert_int_equal(i64_at(&b[5], k), odd * 10);
            assert_true(f64_at(&b[6], k) == (odd ? 1.1f : 0.0f));
            assert_true(f64_at(&b[7], k) == (odd ? 10.1 : 0.0));
            assert_str_at(&b[8], k, date);
            assert_str_at(&b[9], k, odd ? "1" : "0");
            /* INT96: nanoseconds of the day, then the Julian day; 2009-0M-01 00:0odd:00 */
            assert_int_equal(dv_parquet_batch_value(&b[10], k, &v), DV_OK);
            assert_int_equal(v.len, 12);
            memcpy(&nanos, v.bytes, 8);
            memcpy(&julian, v.bytes + 8, 4);
            assert_int_equal(nanos, odd * 60 * INT64_C(1000000000));
            assert_int_equal(julian, 2454833 + (id / 2 == 0   ? 0
                                                : id / 2 == 1 ? 31
                                                : id / 2 == 2 ? 59
                                                              : 90));
        }
        base += (size_t)b[0].rows;
    }
    dv_parquet_reader_free(r);
}

static void test_alltypes(void **state)
{
    static const int32_t plain[] = {4, 5, 6, 7, 2, 3, 0, 1};
    static const int32_t snappy[] = {6, 7};
    static const int32_t dict[] = {0, 1};
    (void)state;
    check_alltypes("alltypes_plain.parquet", plain, 8);
    check_alltypes("alltypes_plain.snappy.parquet", snappy, 2);
    check_alltypes("alltypes_dictionary.parquet", dict, 2);
}

/* Data page v2 with snappy; column e is a list and is refused by name. */
static void test_datapage_v2(void **state)
{
    dv_parquet_reader *r = open_pt("datapage_v2.snappy.parquet");
    size_t cols[4], e;
    dv_parquet_batch b[4];
    dv_parquet_column_info ci;
    static const int32_t c_want[] = {2, 3, 4, 5, 2};
    (void)state;
    if (r == NULL) return;
    cols[0] = col(r, "a");
    cols[1] = col(r, "b");
    cols[2] = col(r, "c");
    cols[3] = col(r, "d");
    assert_int_equal(dv_parquet_reader_column(r, cols[0], &ci), DV_OK);
    assert_true(ci.is_string);
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 4, b), DV_OK);
    assert_int_equal(b[0].rows, 5);
    for (int k = 0; k < 5; k++) {
        if (k == 3)
            assert_true(is_null_at(&b[0], 3));
        else
            assert_str_at(&b[0], (uint64_t)k, "abc");
        assert_int_equal(i32_at(&b[1], (uint64_t)k), k + 1);
        assert_true(f64_at(&b[2], (uint64_t)k) == c_want[k]);
        assert_int_equal(i32_at(&b[3], (uint64_t)k), k != 3);
    }
    assert_int_equal(b[0].null_count, 1);
    /* the nested column is listed and refused with its name */
    e = (size_t)dv_parquet_reader_find_column(r, "e.list.element");
    assert_int_equal(dv_parquet_reader_column(r, e, &ci), DV_OK);
    assert_true(ci.nested);
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, &e, 1, b), DV_EFORMAT);
    assert_non_null(strstr(dv_parquet_reader_errmsg(r),
                           "column e.list.element is repeated (a list or map): not supported"));
    dv_parquet_reader_free(r);
}

static void test_nested_refused(void **state)
{
    static const char *const files[] = {
        "nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "list_columns.parquet",
        "null_list.parquet", "nullable.impala.parquet"};
    (void)state;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        dv_parquet_reader *r = open_pt(files[f]);
        size_t nested = 0;
        if (r == NULL) return;
        for (size_t i = 0; i < dv_parquet_reader_num_columns(r); i++) {
            dv_parquet_column_info ci;
            dv_parquet_batch b;
            assert_int_equal(dv_parquet_reader_column(r, i, &ci), DV_OK);
            if (!ci.nested) continue;
            nested++;
            assert_int_equal(dv_parquet_reader_read_row_group(r, 0, &i, 1, &b), DV_EFORMAT);
            assert_non_null(strstr(dv_parquet_reader_errmsg(r), "is repeated (a list or map)"));
            assert_non_null(strstr(dv_parquet_reader_errmsg(r), ci.name));
        }
        assert_true(nested > 0);
        dv_parquet_reader_free(r);
    }
}

/* Leaves of non-repeated structs read as flat "a.b" columns; a null at any level is null. */
static void test_structs(void **state)
{
    dv_parquet_reader *r;
    dv_parquet_column_info ci;
    dv_parquet_batch b[2];
    dv_parquet_field f;
    size_t cols[2];
    (void)state;
    /* nullable.impala: nested_struct.A is 1, then null (A null), then null (inside a present
     * struct), ...; DuckDB agrees (tests/cli/inspect.sh) */
    if ((r = open_pt("nullable.impala.parquet")) == NULL) return;
    cols[0] = (size_t)dv_parquet_reader_find_column(r, "id");
    cols[1] = (size_t)dv_parquet_reader_find_column(r, "nested_struct.A");
    assert_int_equal(dv_parquet_reader_column(r, cols[1], &ci), DV_OK);
    assert_false(ci.nested);
    assert_true(ci.in_group);
    assert_int_equal(ci.max_def, 2);
    assert_int_equal(dv_parquet_reader_field(r, cols[1], &f), DV_OK);
    assert_string_equal(f.name, "A");
    assert_int_equal(f.ngroups, 1);
    assert_string_equal(f.groups[0].name, "nested_struct");
    assert_true(f.groups[0].optional && f.optional);
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
    assert_int_equal(b[1].rows, 7);
    assert_int_equal(i64_at(&b[0], 0), 1);
    assert_int_equal(i32_at(&b[1], 0), 1);
    assert_true(is_null_at(&b[1], 1));
    assert_true(is_null_at(&b[1], 2));
    /* which level is null (DuckDB: nested_struct IS NULL only in row 5): A inside a present
     * struct in rows 1-4 (level 1), the struct itself in row 5 (level 0) */
    assert_non_null(b[1].def_levels);
    assert_int_equal(b[1].def_levels[0], 2);
    for (int k = 1; k <= 4; k++) assert_int_equal(b[1].def_levels[k], 1);
    assert_int_equal(b[1].def_levels[5], 0);
    assert_int_equal(b[1].def_levels[6], 2);
    assert_null(b[0].def_levels);
    assert_int_equal(b[1].null_count, 5);
    dv_parquet_reader_free(r);
    /* nested_structs.rust: structs of required INT64s, every leaf readable */
    if ((r = open_pt("nested_structs.rust.parquet")) == NULL) return;
    cols[0] = (size_t)dv_parquet_reader_find_column(r, "roll_num.min");
    cols[1] = (size_t)dv_parquet_reader_find_column(r, "roll_num.count");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
    assert_int_equal(i64_at(&b[0], 0), 190406409000602LL);
    assert_int_equal(i64_at(&b[1], 0), 495);
    assert_null(b[0].validity);
    dv_parquet_reader_free(r);
}

static void test_lz4_variants(void **state)
{
    /* the same 4 rows: Hadoop-framed LZ4, bare LZ4 block under the LZ4 codec, and LZ4_RAW */
    static const char *const files[] = {"hadoop_lz4_compressed.parquet",
                                        "non_hadoop_lz4_compressed.parquet",
                                        "lz4_raw_compressed.parquet"};
    static const double v11[] = {42, 7.7, 42.125, 7.7};
    (void)state;
    for (size_t f = 0; f < 3; f++) {
        dv_parquet_reader *r = open_pt(files[f]);
        size_t cols[3];
        dv_parquet_batch b[3];
        if (r == NULL) return;
        cols[0] = col(r, "c0");
        cols[1] = col(r, "c1");
        cols[2] = col(r, "v11");
        assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 3, b), DV_OK);
        assert_int_equal(b[0].rows, 4);
        for (int k = 0; k < 4; k++) {
            assert_int_equal(i64_at(&b[0], (uint64_t)k), 1593604800 + k / 2);
            assert_str_at(&b[1], (uint64_t)k, k % 2 ? "def" : "abc");
            assert_true(f64_at(&b[2], (uint64_t)k) == v11[k]);
        }
        dv_parquet_reader_free(r);
    }
    {
        /* larger files: 10000 rows of UUID-like strings */
        dv_parquet_reader *r = open_pt("hadoop_lz4_compressed_larger.parquet");
        uint64_t rows;
        if (r == NULL) return;
        assert_int_equal(read_all(r, &rows, NULL, NULL), DV_OK);
        assert_int_equal(rows, 10000);
        dv_parquet_reader_free(r);
    }
}

static void test_delta(void **state)
{
    dv_parquet_reader *r;
    dv_parquet_batch b[2];
    size_t cols[2];
    int64_t s32 = 0, sint = 0;
    (void)state;
    /* DELTA_BINARY_PACKED, sums checked against DuckDB */
    r = open_pt("delta_binary_packed.parquet");
    if (r == NULL) return;
    cols[0] = col(r, "bitwidth32");
    cols[1] = col(r, "int_value");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
    assert_int_equal(b[0].rows, 200);
    for (uint64_t k = 0; k < 200; k++) {
        s32 += i64_at(&b[0], k);
        sint += i32_at(&b[1], k);
    }
    assert_int_equal(s32, INT64_C(2808074117521));
    assert_int_equal(sint, INT64_C(-10114055485));
    dv_parquet_reader_free(r);

    /* DELTA_LENGTH_BYTE_ARRAY */
    r = open_pt("delta_length_byte_array.parquet");
    cols[0] = col(r, "FRUIT");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 1, b), DV_OK);
    assert_int_equal(b[0].rows, 1000);
    assert_str_at(&b[0], 0, "apple_banana_mango0");
    assert_str_at(&b[0], 1, "apple_banana_mango1");
    assert_str_at(&b[0], 2, "apple_banana_mango4");
    dv_parquet_reader_free(r);

    /* DELTA_BYTE_ARRAY, with nulls */
    r = open_pt("delta_byte_array.parquet");
    cols[0] = col(r, "c_customer_id");
    cols[1] = col(r, "c_login");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
    assert_str_at(&b[0], 0, "AAAAAAAAIODAAAAA");
    assert_str_at(&b[0], 1, "AAAAAAAAHODAAAAA");
    assert_true(is_null_at(&b[1], 0));
    dv_parquet_reader_free(r);

    /* the optional and required variants hold the same non-null values */
    {
        dv_parquet_reader *ro = open_pt("delta_encoding_optional_column.parquet");
        dv_parquet_reader *rr = open_pt("delta_encoding_required_column.parquet");
        uint64_t n1, n2;
        assert_int_equal(read_all(ro, &n1, NULL, NULL), DV_OK);
        assert_int_equal(read_all(rr, &n2, NULL, NULL), DV_OK);
        assert_int_equal(n1, 100);
        assert_int_equal(n2, 100);
        dv_parquet_reader_free(ro);
        dv_parquet_reader_free(rr);
    }
}

/* BYTE_STREAM_SPLIT: each *_byte_stream_split column equals its *_plain twin. */
static void test_byte_stream_split(void **state)
{
    dv_parquet_reader *r;
    dv_parquet_batch b[2];
    size_t cols[2], pairs = 0;
    (void)state;
    r = open_pt("byte_stream_split.zstd.parquet");
    if (r == NULL) return;
    cols[0] = col(r, "f32");
    cols[1] = col(r, "f64");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
    assert_true(fabs(f64_at(&b[0], 0) - 1.764052391052246) < 1e-7);
    assert_true(f64_at(&b[1], 0) == -1.3065268517353166);
    assert_true(fabs(f64_at(&b[0], 1) - 0.40015721321105957) < 1e-7);
    assert_true(f64_at(&b[1], 1) == 1.658130679618188);
    dv_parquet_reader_free(r);

    r = open_pt("byte_stream_split_extended.gzip.parquet");
    for (size_t i = 0; i < dv_parquet_reader_num_columns(r); i++) {
        dv_parquet_column_info ci;
        char twin[128];
        const char *suffix;
        int64_t j;
        dv_parquet_reader_column(r, i, &ci);
        suffix = strstr(ci.name, "_byte_stream_split");
        if (suffix == NULL) continue;
        snprintf(twin, sizeof(twin), "%.*s_plain", (int)(suffix - ci.name), ci.name);
        j = dv_parquet_reader_find_column(r, twin);
        assert_true(j >= 0);
        cols[0] = i;
        cols[1] = (size_t)j;
        assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 2, b), DV_OK);
        assert_int_equal(b[0].rows, b[1].rows);
        assert_int_equal(b[0].value_size, b[1].value_size);
        for (uint64_t k = 0; k < b[0].rows; k++) {
            int n0 = is_null_at(&b[0], k);
            assert_int_equal(n0, is_null_at(&b[1], k));
            if (!n0)
                assert_memory_equal((const uint8_t *)b[0].values + k * b[0].value_size,
                                    (const uint8_t *)b[1].values + k * b[1].value_size,
                                    b[0].value_size);
        }
        pairs++;
    }
    assert_true(pairs >= 5);
    dv_parquet_reader_free(r);
}

static void test_nulls_and_checksums(void **state)
{
    dv_parquet_reader *r;
    dv_parquet_batch b;
    size_t c;
    int64_t sum = 0;
    char path[1024], err[512];
    dv_parquet_reader_opts o;
    (void)state;
    r = open_pt("int32_with_null_pages.parquet");
    if (r == NULL) return;
    c = col(r, "int32_field");
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, &c, 1, &b), DV_OK);
    assert_int_equal(b.rows, 1000);
    assert_int_equal(b.null_count, 275);
    for (uint64_t k = 0; k < 1000; k++)
        if (!is_null_at(&b, k)) sum += i32_at(&b, k);
    assert_int_equal(sum, INT64_C(-12383254597));
    assert_int_equal(i32_at(&b, 0), -654807448);
    assert_true(is_null_at(&b, 4));
    dv_parquet_reader_free(r);

    /* a page with a bad CRC: refused, and read when checks are off */
    r = open_pt("datapage_v1-corrupt-checksum.parquet");
    c = 0;
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, &c, 1, &b), DV_ECORRUPT);
    assert_non_null(
        strstr(dv_parquet_reader_errmsg(r), "row group 0, column a, offset 4: page CRC mismatch"));
    dv_parquet_reader_free(r);
    memset(&o, 0, sizeof(o));
    o.skip_crc = 1;
    tu_shared(PT "datapage_v1-corrupt-checksum.parquet", path, sizeof(path));
    assert_int_equal(dv_parquet_reader_open(path, &o, &r, err, sizeof(err)), DV_OK);
    assert_int_equal(read_all(r, NULL, NULL, NULL), DV_OK);
    dv_parquet_reader_free(r);
}

/* Truncations and bit flips of real files: errors with messages, never crashes. */
static void test_damaged(void **state)
{
    static const char *const files[] = {
        "alltypes_plain.parquet",       "datapage_v2.snappy.parquet",
        "delta_byte_array.parquet",     "byte_stream_split.zstd.parquet",
        "rle_boolean_encoding.parquet", "hadoop_lz4_compressed.parquet",
        "alltypes_dictionary.parquet"};
    uint64_t seed = 12345;
    (void)state;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char rel[256], path[1024], err[512];
        size_t len;
        uint8_t *orig, *buf;
        snprintf(rel, sizeof(rel), PT "%s", files[f]);
        if (tu_shared(rel, path, sizeof(path)) == NULL) return;
        orig = tu_read(path, &len);
        assert_non_null(orig);
        buf = malloc(len);
        for (int trial = 0; trial < 400; trial++) {
            dv_parquet_reader *r = NULL;
            dv_parquet_reader_opts o;
            size_t n = len;
            int rc;
            memcpy(buf, orig, len);
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            if (trial % 4 == 0) {
                n = (size_t)(seed >> 33) % len; /* truncated */
            } else {
                for (int k = 0; k < 1 + trial % 3; k++) {
                    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                    buf[(seed >> 33) % len] ^= (uint8_t)(1u << ((seed >> 20) & 7));
                }
            }
            memset(&o, 0, sizeof(o));
            o.max_row_group_bytes = 64u << 20;
            o.skip_crc = trial & 1;
            rc = dv_parquet_reader_open_buffer(buf, n, files[f], &o, &r, err, sizeof(err));
            if (rc != DV_OK) {
                assert_true(err[0] != '\0');
                assert_null(r);
                continue;
            }
            rc = read_all(r, NULL, NULL, NULL);
            if (rc != DV_OK) assert_true(dv_parquet_reader_errmsg(r)[0] != '\0');
            dv_parquet_reader_free(r);
        }
        free(buf);
        free(orig);
    }
}

static void test_open_errors(void **state)
{
    dv_parquet_reader *r = (dv_parquet_reader *)1;
    char err[512];
    (void)state;
    assert_int_equal(dv_parquet_reader_open("/nonexistent/x.parquet", NULL, &r, err, sizeof(err)),
                     DV_EIO);
    assert_null(r);
    assert_non_null(strstr(err, "/nonexistent/x.parquet"));
    assert_int_equal(dv_parquet_reader_open_buffer("PAR1", 4, "tiny", NULL, &r, err, sizeof(err)),
                     DV_EFORMAT);
    assert_int_equal(dv_parquet_reader_open_buffer("PAR1xxxxxxxxxxxxxxxxPAR2", 24, "m", NULL, &r,
                                                   err, sizeof(err)),
                     DV_EFORMAT);
    assert_non_null(strstr(err, "not a Parquet file"));
    /* footer length larger than the file */
    assert_int_equal(dv_parquet_reader_open_buffer("PAR1\x01\x02\x03\x04\xff\xff\xff\x00PAR1", 16,
                                                   "f", NULL, &r, err, sizeof(err)),
                     DV_ECORRUPT);
    assert_non_null(strstr(err, "footer length"));
    dv_parquet_reader_free(NULL);
    dv_parquet_writer_free(NULL);
    assert_string_equal(dv_pq_type_name(DV_PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
}

/* A footer whose schema list claims 100,000 elements over 100,000 bytes: each is a byte or
 * more, but decoded each is ~100: refused as too big before the array is allocated (it was
 * allocated, ~10 MB, and the first empty element failed it) */
static void test_footer_budget(void **state)
{
    const size_t n = 100000, flen = 5 + n;
    uint8_t *f = calloc(1, flen + 12);
    dv_parquet_reader *r = NULL;
    char err[512];
    (void)state;
    assert_non_null(f);
    memcpy(f, "PAR1", 4);
    f[4] = 0x29; /* field 2 (schema), a list */
    f[5] = 0xfc; /* of structs, the count a varint */
    f[6] = (uint8_t)(0x80 | (n & 0x7f)), f[7] = (uint8_t)(0x80 | ((n >> 7) & 0x7f));
    f[8] = (uint8_t)(n >> 14);
    /* the elements: n bytes of zeros (empty structs) */
    f[4 + flen] = (uint8_t)flen, f[5 + flen] = (uint8_t)(flen >> 8);
    f[6 + flen] = (uint8_t)(flen >> 16), f[7 + flen] = 0;
    memcpy(f + 8 + flen, "PAR1", 4);
    assert_int_equal(dv_parquet_reader_open_buffer(f, flen + 12, "b", NULL, &r, err, sizeof err),
                     DV_ETOOBIG);
    assert_null(r);
    assert_non_null(strstr(err, "more than 16 times its bytes"));
    free(f);
}

/* A footer of row groups whose row counts, each a valid i64, add up past 2^63: summed in
 * uint64_t, 2^63 - 1 + 2^63 - 1 + 3 rows were a file of 1 row (the count a dataset checks its
 * embeddings and listed rows against). Refused as corrupt; a sum of exactly 2^63 - 1 opens. */
static size_t rows_footer(uint8_t *out, size_t cap, const int64_t *rows, size_t n)
{
    dv__buf b;
    dv__tc_writer t;
    size_t len;
    dv__buf_init(&b, NULL, 1 << 20);
    dv__buf_put(&b, "PAR1", 4);
    dv__tcw_init(&t, &b);
    dv__tcw_i32_field(&t, 1, 1);
    dv__tcw_field(&t, 2, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, 1);
    dv__tcw_struct_begin(&t);
    dv__tcw_binary_field(&t, 4, "schema", 6);
    dv__tcw_i32_field(&t, 5, 0);
    dv__tcw_struct_end(&t);
    dv__tcw_i64_field(&t, 3, rows[0]);
    dv__tcw_field(&t, 4, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        dv__tcw_struct_begin(&t);
        dv__tcw_field(&t, 1, DV__TC_LIST);
        dv__tcw_list(&t, DV__TC_STRUCT, 0);
        dv__tcw_i64_field(&t, 2, 0);
        dv__tcw_i64_field(&t, 3, rows[i]);
        dv__tcw_struct_end(&t);
    }
    dv__tcw_struct_end(&t);
    len = b.len - 4;
    for (int k = 0; k < 4; k++) {
        uint8_t c = (uint8_t)(len >> (8 * k));
        dv__buf_put(&b, &c, 1);
    }
    dv__buf_put(&b, "PAR1", 4);
    assert_false(b.failed);
    assert_true(b.len <= cap);
    memcpy(out, b.p, b.len);
    len = b.len;
    dv__buf_free(&b);
    return len;
}

static void test_row_counts_past_2_63(void **state)
{
    const int64_t wrap[3] = {INT64_MAX, INT64_MAX, 3};
    const int64_t fit[3] = {INT64_MAX - 10, 7, 3}, one[1] = {INT64_MAX};
    uint8_t f[512];
    size_t n;
    dv_parquet_reader *r = NULL;
    char err[512];
    (void)state;
    n = rows_footer(f, sizeof f, one, 1);
    assert_int_equal(dv_parquet_reader_open_buffer(f, n, "one", NULL, &r, err, sizeof err), DV_OK);
    assert_true(dv_parquet_reader_num_rows(r) == (uint64_t)INT64_MAX);
    dv_parquet_reader_free(r);
    n = rows_footer(f, sizeof f, fit, 3);
    assert_int_equal(dv_parquet_reader_open_buffer(f, n, "fit", NULL, &r, err, sizeof err), DV_OK);
    assert_true(dv_parquet_reader_num_rows(r) == (uint64_t)INT64_MAX);
    assert_true(dv_parquet_reader_row_group_rows(r, 1) == 7);
    dv_parquet_reader_free(r);
    n = rows_footer(f, sizeof f, wrap, 3);
    r = NULL;
    assert_int_equal(dv_parquet_reader_open_buffer(f, n, "wrap", NULL, &r, err, sizeof err),
                     DV_ECORRUPT);
    assert_null(r);
    assert_non_null(strstr(err, "wrap: footer at offset"));
    assert_non_null(strstr(err, "row groups' row counts add up past 2^63"));
}

/* ---------------------------------------------------------------- writer round trips */

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define RT_TYPES 8
static const dv_pq_type kRtTypes[RT_TYPES] = {DV_PQ_BOOLEAN,
                                              DV_PQ_INT32,
                                              DV_PQ_INT64,
                                              DV_PQ_FLOAT,
                                              DV_PQ_DOUBLE,
                                              DV_PQ_BYTE_ARRAY,
                                              DV_PQ_FIXED_LEN_BYTE_ARRAY,
                                              DV_PQ_BYTE_ARRAY};

/* Value of row r in column c (deterministic), into v with bytes in store. */
static void rt_value(int c, uint64_t row, uint64_t salt, dv_parquet_value *v, uint8_t *store)
{
    uint64_t s =
        (row + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(c + 1) * 0xbf58476d1ce4e5b9ull ^ salt;
    uint64_t x = rng(&s);
    memset(v, 0, sizeof(*v));
    if (c >= RT_TYPES && x % 4 == 0) {
        v->is_null = 1;
        return;
    }
    switch (c % RT_TYPES) {
    case 0: v->i32 = (int32_t)(x >> 63); break;
    case 1: v->i32 = (int32_t)(uint32_t)(x >> 17); break;
    case 2: v->i64 = (int64_t)x; break;
    case 3: v->f32 = (float)(int32_t)(x >> 32) / 128.0f; break;
    case 4: v->f64 = (double)(int64_t)x / 3.0; break;
    case 5: /* low cardinality: dictionary */
        v->len = (size_t)snprintf((char *)store, 64, "v%u", (unsigned)(x % 13));
        v->bytes = store;
        break;
    case 6:
        for (int k = 0; k < 5; k++) store[k] = (uint8_t)(x >> (8 * k));
        v->bytes = store;
        v->len = 5;
        break;
    default: /* high cardinality, varied lengths incl. empty: PLAIN fallback */
        v->len = (size_t)(x % 40);
        for (size_t k = 0; k < v->len; k++) store[k] = (uint8_t)(rng(&s) & 0xff);
        v->bytes = store;
        break;
    }
}

static void rt_fields(dv_parquet_field *f, char names[][16])
{
    memset(f, 0, sizeof(dv_parquet_field) * 2 * RT_TYPES);
    for (int c = 0; c < 2 * RT_TYPES; c++) {
        snprintf(names[c], 16, "c%d%s", c % RT_TYPES, c >= RT_TYPES ? "_opt" : "");
        f[c].name = names[c];
        f[c].type = kRtTypes[c % RT_TYPES];
        f[c].type_length = f[c].type == DV_PQ_FIXED_LEN_BYTE_ARRAY ? 5 : 0;
        f[c].optional = c >= RT_TYPES;
        f[c].is_string = c % RT_TYPES == 5;
    }
}

static void same_value(const dv_parquet_value *want, const dv_parquet_value *got, dv_pq_type t)
{
    assert_int_equal(want->is_null, got->is_null);
    if (want->is_null) return;
    switch (t) {
    case DV_PQ_BOOLEAN: assert_int_equal(!!want->i32, got->i32); break;
    case DV_PQ_INT32: assert_int_equal(want->i32, got->i32); break;
    case DV_PQ_INT64: assert_int_equal(want->i64, got->i64); break;
    case DV_PQ_FLOAT: assert_memory_equal(&want->f32, &got->f32, 4); break;
    case DV_PQ_DOUBLE: assert_memory_equal(&want->f64, &got->f64, 8); break;
    default:
        assert_int_equal(want->len, got->len);
        if (want->len) assert_memory_equal(want->bytes, got->bytes, want->len);
    }
}

static void round_trip(dv_pq_codec codec, uint64_t nrows, uint64_t rg_rows, int no_dict,
                       size_t dict_max)
{
    dv_parquet_field f[2 * RT_TYPES];
    char names[2 * RT_TYPES][16], path[256], err[512];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    dv_parquet_reader *r;
    dv_parquet_value vals[2 * RT_TYPES];
    uint8_t store[2 * RT_TYPES][64];
    size_t cols[2 * RT_TYPES];
    dv_parquet_batch b[2 * RT_TYPES];
    uint64_t row = 0, salt = (uint64_t)codec * 1000 + nrows;

    rt_fields(f, names);
    memset(&o, 0, sizeof(o));
    o.codec = codec;
    o.row_group_rows = rg_rows;
    o.page_bytes = 512;
    o.no_dictionary = no_dict;
    o.dictionary_max_bytes = dict_max;
    snprintf(path, sizeof(path), "%s/dv_pq_rt_%d_%d.parquet",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), (int)codec);
    assert_int_equal(dv_parquet_writer_create(path, f, 2 * RT_TYPES, &o, &w, err, sizeof(err)),
                     DV_OK);
    for (uint64_t k = 0; k < nrows; k++) {
        for (int c = 0; c < 2 * RT_TYPES; c++) rt_value(c, k, salt, &vals[c], store[c]);
        assert_int_equal(dv_parquet_writer_write_row(w, vals), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);

    assert_int_equal(dv_parquet_reader_open(path, NULL, &r, err, sizeof(err)), DV_OK);
    assert_int_equal(dv_parquet_reader_num_columns(r), 2 * RT_TYPES);
    assert_int_equal(dv_parquet_reader_num_rows(r), nrows);
    assert_int_equal(dv_parquet_reader_num_row_groups(r),
                     nrows ? (nrows + rg_rows - 1) / rg_rows : 1);
    for (int c = 0; c < 2 * RT_TYPES; c++) {
        dv_parquet_column_info ci;
        cols[c] = (size_t)c;
        assert_int_equal(dv_parquet_reader_column(r, (size_t)c, &ci), DV_OK);
        assert_string_equal(ci.name, names[c]);
        assert_int_equal(ci.type, f[c].type);
        assert_int_equal(ci.repetition, f[c].optional ? DV_PQ_OPTIONAL : DV_PQ_REQUIRED);
        assert_int_equal(ci.is_string, f[c].is_string);
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        assert_int_equal(dv_parquet_reader_read_row_group(r, g, cols, 2 * RT_TYPES, b), DV_OK);
        for (int c = 0; c < 2 * RT_TYPES; c++) {
            dv_parquet_stats st;
            uint64_t nulls = 0;
            assert_int_equal(dv_parquet_reader_stats(r, g, (size_t)c, &st), DV_OK);
            for (uint64_t k = 0; k < b[c].rows; k++) {
                dv_parquet_value want, got;
                rt_value(c, row + k, salt, &want, store[c]);
                assert_int_equal(dv_parquet_batch_value(&b[c], k, &got), DV_OK);
                same_value(&want, &got, f[c].type);
                nulls += want.is_null;
                /* every value lies within the chunk's min/max */
                if (!want.is_null && st.min && f[c].type == DV_PQ_INT64) {
                    int64_t mn, mx;
                    memcpy(&mn, st.min, 8);
                    memcpy(&mx, st.max, 8);
                    assert_true(mn <= got.i64 && got.i64 <= mx);
                }
                if (!want.is_null && st.min && f[c].type == DV_PQ_BYTE_ARRAY) {
                    size_t m = got.len < st.min_len ? got.len : st.min_len;
                    int cmp = memcmp(st.min, got.bytes, m);
                    assert_true(cmp < 0 || (cmp == 0 && st.min_len <= got.len));
                }
            }
            assert_int_equal(st.null_count, (int64_t)nulls);
            assert_int_equal(b[c].null_count, nulls);
            if (b[c].rows > 0 && nulls < b[c].rows) assert_non_null(st.min);
        }
        row += b[0].rows;
    }
    assert_int_equal(row, nrows);
    dv_parquet_reader_free(r);
    unlink(path);
}

static void test_round_trip(void **state)
{
    static const dv_pq_codec codecs[] = {DV_PQ_UNCOMPRESSED, DV_PQ_SNAPPY, DV_PQ_GZIP,
                                         DV_PQ_ZSTD, DV_PQ_LZ4_RAW, DV_PQ_BROTLI};
    (void)state;
    for (size_t i = 0; i < 6; i++) round_trip(codecs[i], 2500, 1000, 0, 0);
    round_trip(DV_PQ_BROTLI, 0, 10, 0, 0); /* empty file */
    round_trip(DV_PQ_ZSTD, 3000, 3000, 1, 0);   /* no dictionary */
    round_trip(DV_PQ_SNAPPY, 2000, 700, 0, 40); /* dictionary falls back to PLAIN */
    round_trip(DV_PQ_SNAPPY, 0, 10, 0, 0);      /* empty file */
    round_trip(DV_PQ_UNCOMPRESSED, 1, 10, 0, 0);
}

static void test_writer_errors(void **state)
{
    dv_parquet_field f[2];
    dv_parquet_writer *w = NULL;
    dv_parquet_writer_opts o;
    dv_parquet_value v[2];
    char err[512], path[256];
    (void)state;
    memset(f, 0, sizeof(f));
    memset(&o, 0, sizeof(o));
    f[0].name = "a";
    f[0].type = DV_PQ_INT32;
    f[1].name = "a";
    f[1].type = DV_PQ_FIXED_LEN_BYTE_ARRAY;
    f[1].type_length = 4;
    f[1].optional = 1;
    snprintf(path, sizeof(path), "/tmp/dv_pq_err_%d.parquet", (int)getpid());
    assert_int_equal(dv_parquet_writer_create(path, f, 2, NULL, &w, err, sizeof(err)), DV_EINVAL);
    assert_non_null(strstr(err, "used twice"));
    f[1].name = "b";
    o.codec = DV_PQ_LZO;
    assert_int_equal(dv_parquet_writer_create(path, f, 2, &o, &w, err, sizeof(err)), DV_EINVAL);
    o.codec = DV_PQ_SNAPPY;
    assert_int_equal(
        dv_parquet_writer_create("/nonexistent/dir/x.parquet", f, 2, &o, &w, err, sizeof(err)),
        DV_EIO);
    assert_int_equal(dv_parquet_writer_create(path, f, 2, &o, &w, err, sizeof(err)), DV_OK);
    memset(v, 0, sizeof(v));
    v[0].is_null = 1;
    v[1].is_null = 1;
    assert_int_equal(dv_parquet_writer_write_row(w, v), DV_EINVAL);
    assert_non_null(strstr(dv_parquet_writer_errmsg(w), "NULL in a required column"));
    v[0].is_null = 0;
    v[1].is_null = 0;
    v[1].bytes = (const uint8_t *)"abc";
    v[1].len = 3;
    assert_int_equal(dv_parquet_writer_write_row(w, v), DV_EINVAL);
    v[1].len = 4;
    v[1].bytes = (const uint8_t *)"abcd";
    assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    /* never closed: the unfinished file is removed */
    dv_parquet_writer_free(w);
    assert_int_not_equal(access(path, F_OK), 0);

    /* structs: groups missing, a field and a struct of one name, a struct reopened, one
     * optional and required, its fields disagreeing on whether it is null */
    {
        const dv_parquet_group ga = {"a", 1}, gb = {"b", 1}, gar = {"a", 0};
        dv_parquet_field g[3];
        memset(g, 0, sizeof g);
        g[0].name = "x", g[0].type = DV_PQ_INT32, g[0].optional = 1;
        g[1].name = "y", g[1].type = DV_PQ_INT32, g[1].optional = 1;
        g[2].name = "z", g[2].type = DV_PQ_INT32, g[2].optional = 1;
        g[1].ngroups = 1; /* groups NULL */
        assert_int_equal(dv_parquet_writer_create(path, g, 2, NULL, &w, err, sizeof err), DV_EINVAL);
        assert_null(w);
        g[0].name = "a", g[1].groups = &ga; /* top-level a, then a{y} */
        assert_int_equal(dv_parquet_writer_create(path, g, 2, NULL, &w, err, sizeof err), DV_EINVAL);
        assert_non_null(strstr(err, "field and a struct"));
        g[0].name = "x", g[0].groups = &ga, g[0].ngroups = 1;
        g[1].groups = &gb, g[2].groups = &ga, g[2].ngroups = 1; /* a{x}, b{y}, a{z} */
        assert_int_equal(dv_parquet_writer_create(path, g, 3, NULL, &w, err, sizeof err), DV_EINVAL);
        assert_non_null(strstr(err, "not consecutive"));
        g[1].groups = &gar; /* a{x} optional, a{y} required */
        assert_int_equal(dv_parquet_writer_create(path, g, 2, NULL, &w, err, sizeof err), DV_EINVAL);
        assert_non_null(strstr(err, "both optional and required"));
        g[1].groups = &ga; /* a{x, y} */
        assert_int_equal(dv_parquet_writer_create(path, g, 2, NULL, &w, err, sizeof err), DV_OK);
        memset(v, 0, sizeof v);
        v[0].is_null = 1; /* a null (level 0) in x, present in y */
        v[1].i32 = 5;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_EINVAL);
        assert_non_null(strstr(dv_parquet_writer_errmsg(w), "struct null in one of its fields"));
        v[0].def_level = 1; /* x null inside a present a: fine */
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
        v[0].def_level = 2; /* over x's levels */
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_EINVAL);
        dv_parquet_writer_free(w);
    }
}

/* A cleaned copy: same schema and annotations, every third row dropped. */
static void test_copy(void **state)
{
    dv_parquet_reader *r = open_pt("alltypes_plain.parquet"), *r2;
    dv_parquet_field f[11];
    size_t cols[11];
    dv_parquet_batch b[11], b2[11];
    dv_parquet_writer *w;
    uint8_t keep[8];
    char path[256], err[512];
    (void)state;
    if (r == NULL) return;
    for (size_t i = 0; i < 11; i++) {
        cols[i] = i;
        assert_int_equal(dv_parquet_reader_field(r, i, &f[i]), DV_OK);
    }
    snprintf(path, sizeof(path), "/tmp/dv_pq_copy_%d.parquet", (int)getpid());
    assert_int_equal(dv_parquet_writer_create(path, f, 11, NULL, &w, err, sizeof(err)), DV_OK);
    assert_int_equal(dv_parquet_reader_read_row_group(r, 0, cols, 11, b), DV_OK);
    for (int k = 0; k < 8; k++) keep[k] = k % 3 != 1;
    assert_int_equal(dv_parquet_writer_write_batches(w, b, 0, 8, keep), DV_OK);
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    assert_int_equal(dv_parquet_reader_open(path, NULL, &r2, err, sizeof(err)), DV_OK);
    assert_int_equal(dv_parquet_reader_num_rows(r2), 5);
    assert_int_equal(dv_parquet_reader_read_row_group(r2, 0, cols, 11, b2), DV_OK);
    for (size_t c = 0; c < 11; c++) {
        dv_parquet_column_info a, z;
        dv_parquet_reader_column(r, c, &a);
        dv_parquet_reader_column(r2, c, &z);
        assert_string_equal(a.name, z.name);
        assert_int_equal(a.type, z.type);
        assert_int_equal(a.repetition, z.repetition);
        assert_int_equal(a.converted_type, z.converted_type);
        assert_int_equal(a.logical_type, z.logical_type);
        for (uint64_t k = 0, j = 0; k < 8; k++) {
            dv_parquet_value x, y;
            if (!keep[k]) continue;
            dv_parquet_batch_value(&b[c], k, &x);
            dv_parquet_batch_value(&b2[c], j++, &y);
            same_value(&x, &y, a.type);
        }
    }
    dv_parquet_reader_free(r2);
    dv_parquet_reader_free(r);
    unlink(path);
}

/* ---------------------------------------------------------------- allocation failures */

typedef struct fail_alloc {
    int countdown; /* fail when it reaches 0 */
    int failed;
} fail_alloc;

static void *fa_malloc(void *o, size_t n)
{
    fail_alloc *f = o;
    if (f->countdown-- == 0) {
        f->failed = 1;
        return NULL;
    }
    return malloc(n);
}

static void *fa_realloc(void *o, void *p, size_t n)
{
    fail_alloc *f = o;
    if (f->countdown-- == 0) {
        f->failed = 1;
        return NULL;
    }
    return realloc(p, n);
}

static void fa_free(void *o, void *p)
{
    (void)o;
    free(p);
}

static void test_alloc_failures(void **state)
{
    char path[1024], err[512];
    (void)state;
    if (tu_shared(PT "alltypes_dictionary.parquet", path, sizeof(path)) == NULL) return;
    for (int n = 0; n < 400; n++) {
        fail_alloc fa = {n, 0};
        dv_alloc a = {fa_malloc, fa_realloc, fa_free, &fa};
        dv_parquet_reader_opts o;
        dv_parquet_reader *r = NULL;
        int rc;
        memset(&o, 0, sizeof(o));
        o.alloc = &a;
        rc = dv_parquet_reader_open(path, &o, &r, err, sizeof(err));
        if (rc == DV_OK) rc = read_all(r, NULL, NULL, NULL);
        if (!fa.failed) {
            assert_int_equal(rc, DV_OK);
            dv_parquet_reader_free(r);
            break;
        }
        assert_int_not_equal(rc, DV_OK);
        dv_parquet_reader_free(r);
    }
}

/* An allocator that looks at every block it frees for a run of the test's image byte */
typedef struct watch_alloc {
    int leaked; /* blocks freed holding 64 bytes of 0xAB in a row */
} watch_alloc;

static int has_run(const uint8_t *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        run = p[i] == 0xAB ? run + 1 : 0;
        if (run >= 64) return 1;
    }
    return 0;
}

static void *wa_malloc(void *o, size_t n)
{
    (void)o;
    return malloc(n);
}

static void *wa_realloc(void *o, void *p, size_t n)
{
    watch_alloc *w = o;
    /* a realloc may move the block and free the old one with the bytes in it */
    if (p && has_run(p, malloc_usable_size(p))) w->leaked++;
    return realloc(p, n);
}

static void wa_free(void *o, void *p)
{
    watch_alloc *w = o;
    if (p && has_run(p, malloc_usable_size(p))) w->leaked++;
    free(p);
}

/* dv_parquet_reader_opts.wipe: no buffer that held a value's bytes is freed or grown with
 * them in it, and dv_parquet_reader_wipe zeroes the returned batch; without wipe, the
 * allocator does see them (the check can fail). The decoders' own state (zstd, brotli,
 * zlib) is allocated by parquet_codec.c's wipe_alloc, out of this allocator's sight. */
/* PATH: id INT64 and image BYTE_ARRAY, 7 rows in row groups of 3, values of img (40000 bytes):
 * small ones in the first row group, big ones after, so that buffers grow while they hold the
 * first group's values */
static void write_image_file(const char *path, dv_pq_codec codec, const uint8_t *img)
{
    dv_parquet_field f[2];
    dv_parquet_writer_opts wo;
    dv_parquet_writer *w;
    char err[512];
    memset(f, 0, sizeof f);
    f[0].name = "id", f[0].type = DV_PQ_INT64;
    f[1].name = "image", f[1].type = DV_PQ_BYTE_ARRAY, f[1].optional = 1;
    memset(&wo, 0, sizeof wo);
    wo.codec = codec;
    wo.row_group_rows = 3;
    wo.no_dictionary = 1;
    assert_int_equal(dv_parquet_writer_create(path, f, 2, &wo, &w, err, sizeof(err)), DV_OK);
    for (int k = 0; k < 7; k++) {
        dv_parquet_value v[2];
        memset(v, 0, sizeof v);
        v[0].i64 = k;
        v[1].bytes = img;
        v[1].len = k < 3 ? 200 + 100 * (size_t)k : 20000 + 2000 * (size_t)k;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
}

static void test_wipe(void **state)
{
    char path[1024], err[512];
    static uint8_t img[40000];
    (void)state;
    memset(img, 0xAB, sizeof img);
    static const dv_pq_codec codecs[] = {DV_PQ_UNCOMPRESSED, DV_PQ_SNAPPY, DV_PQ_GZIP,
                                         DV_PQ_ZSTD};
    for (int codec = 0; codec < 4; codec++) {
        snprintf(path, sizeof(path), "%s/dv_pq_wipe_%d_%d.parquet",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), codec);
        write_image_file(path, codecs[codec], img);
        /* 0: no wipe; 1: wipe, and dv_parquet_reader_wipe after each row group; 2: wipe
         * alone (growth and free must zero what they leave) */
        for (int wipe = 0; wipe < 3; wipe++) {
            watch_alloc wa = {0};
            dv_alloc a = {wa_malloc, wa_realloc, wa_free, &wa};
            dv_parquet_reader_opts o;
            dv_parquet_reader *r;
            dv_parquet_batch b;
            const size_t col = 1;
            memset(&o, 0, sizeof o);
            o.alloc = &a;
            o.wipe = wipe != 0;
            assert_int_equal(dv_parquet_reader_open(path, &o, &r, err, sizeof(err)), DV_OK);
            for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
                assert_int_equal(dv_parquet_reader_read_row_group(r, g, &col, 1, &b), DV_OK);
                assert_true(b.rows > 0 && b.offsets[b.rows] >= 200);
                assert_true(has_run(b.data, (size_t)b.offsets[b.rows]));
                if (wipe == 1) {
                    dv_parquet_reader_wipe(r);
                    for (uint64_t i = 0; i < b.offsets[b.rows]; i++) assert_int_equal(b.data[i], 0);
                }
            }
            dv_parquet_reader_free(r);
            if (wipe)
                assert_int_equal(wa.leaked, 0);
            else
                assert_true(wa.leaked > 0);
        }
        unlink(path);
    }
}

/* Lists one level deep (dv_parquet_reader_read_list): list_columns.parquet as DuckDB shows
 * it, int64_list [[1, 2, 3], [NULL, 1], [4]] and utf8_list [[abc, efg, hij], NULL,
 * [efg, NULL, hij, xyz]]; deeper lists and flat columns refused. */
static void test_lists(void **state)
{
    dv_parquet_reader *r;
    dv_parquet_batch b;
    dv_parquet_column_info ci;
    dv_parquet_value v;
    const uint64_t *rs;
    int64_t c;
    (void)state;
    if ((r = open_pt("list_columns.parquet")) == NULL) return;
    c = dv_parquet_reader_find_column(r, "int64_list.list.item");
    assert_true(c >= 0);
    assert_int_equal(dv_parquet_reader_column(r, (size_t)c, &ci), DV_OK);
    assert_int_equal(ci.max_rep, 1);
    assert_int_equal(dv_parquet_reader_read_list(r, 0, (size_t)c, &b, &rs), DV_OK);
    assert_int_equal(b.rows, 6);
    assert_true(rs[0] == 0 && rs[1] == 3 && rs[2] == 5 && rs[3] == 6);
    assert_int_equal(b.null_count, 1);
    assert_int_equal(dv_parquet_batch_value(&b, 3, &v), DV_OK);
    assert_true(v.is_null && v.def_level == ci.max_def - 1); /* a null element */
    assert_int_equal(i64_at(&b, 4), 1);
    assert_int_equal(i64_at(&b, 5), 4);
    c = dv_parquet_reader_find_column(r, "utf8_list.list.item");
    assert_int_equal(dv_parquet_reader_read_list(r, 0, (size_t)c, &b, &rs), DV_OK);
    assert_true(rs[0] == 0 && rs[1] == 3 && rs[2] == 4 && rs[3] == 8);
    assert_int_equal(dv_parquet_batch_value(&b, 3, &v), DV_OK);
    assert_true(v.is_null && v.def_level == 0); /* the list itself null */
    assert_int_equal(dv_parquet_batch_value(&b, 7, &v), DV_OK);
    assert_true(!v.is_null && v.len == 3 && memcmp(v.bytes, "xyz", 3) == 0);
    dv_parquet_reader_free(r);
    /* The entries are counted from the page headers: the same file with the footer's
     * num_values of int64_list (6, zigzag 0x0c, after the codec field 0x15 0x02 and the
     * field header 0x16) set to 5, its count of non-null values, and then to 9, reads the
     * same. The chunk's metadata is written twice (after the data and in the footer); the
     * footer's is the last. */
    {
        char path[1024], err[512];
        size_t n, at = 0;
        uint8_t *buf;
        static const uint8_t pat[] = {0x15, 0x02, 0x16, 0x0c};
        assert_non_null(tu_shared(PT "list_columns.parquet", path, sizeof(path)));
        assert_non_null(buf = tu_read(path, &n));
        for (size_t i = 0; i + sizeof pat <= n; i++)
            if (memcmp(buf + i, pat, sizeof pat) == 0) at = i + 3;
        assert_true(n > 12 && at > n - 8 - (buf[n - 8] | (size_t)buf[n - 7] << 8 |
                                           (size_t)buf[n - 6] << 16 | (size_t)buf[n - 5] << 24));
        for (int t = 0; t < 2; t++) {
            buf[at] = t == 0 ? 0x0a : 0x12;
            assert_int_equal(dv_parquet_reader_open_buffer(buf, n, "patched", NULL, &r, err,
                                                           sizeof(err)),
                             DV_OK);
            c = dv_parquet_reader_find_column(r, "int64_list.list.item");
            assert_int_equal(dv_parquet_reader_read_list(r, 0, (size_t)c, &b, &rs), DV_OK);
            assert_int_equal(b.rows, 6);
            assert_true(rs[0] == 0 && rs[1] == 3 && rs[2] == 5 && rs[3] == 6);
            assert_int_equal(i64_at(&b, 5), 4);
            dv_parquet_reader_free(r);
        }
        free(buf);
    }
    /* data page v2 (repetition levels at the start of the body): e is [[1, 2, 3], NULL, NULL,
     * [1, 2, 3], [1, 2]] */
    if ((r = open_pt("datapage_v2.snappy.parquet")) == NULL) return;
    c = dv_parquet_reader_find_column(r, "e.list.element");
    assert_true(c >= 0);
    assert_int_equal(dv_parquet_reader_read_list(r, 0, (size_t)c, &b, &rs), DV_OK);
    assert_int_equal(b.rows, 10);
    {
        static const uint64_t want[] = {0, 3, 4, 5, 8, 10};
        static const int32_t vals[] = {1, 2, 3, 0, 0, 1, 2, 3, 1, 2};
        for (int k = 0; k < 6; k++) assert_int_equal(rs[k], want[k]);
        for (int k = 0; k < 10; k++)
            if (k != 3 && k != 4) assert_int_equal(i32_at(&b, (uint64_t)k), vals[k]);
        assert_true(is_null_at(&b, 3) && is_null_at(&b, 4));
    }
    dv_parquet_reader_free(r);
    /* lists of lists, and flat columns: refused, by name */
    if ((r = open_pt("nested_lists.snappy.parquet")) == NULL) return;
    for (size_t k = 0; k < dv_parquet_reader_num_columns(r); k++) {
        assert_int_equal(dv_parquet_reader_column(r, k, &ci), DV_OK);
        if (ci.max_rep == 1) continue;
        assert_int_equal(dv_parquet_reader_read_list(r, 0, k, &b, &rs), DV_EFORMAT);
        assert_non_null(strstr(dv_parquet_reader_errmsg(r),
                               ci.max_rep ? "nested deeper" : "not repeated"));
    }
    dv_parquet_reader_free(r);
}

static void test_limits(void **state)
{
    char path[1024], err[512];
    dv_parquet_reader_opts o;
    dv_parquet_reader *r;
    (void)state;
    if (tu_shared(PT "alltypes_tiny_pages_plain.parquet", path, sizeof(path)) == NULL) return;
    memset(&o, 0, sizeof(o));
    o.max_row_group_bytes = 4096;
    assert_int_equal(dv_parquet_reader_open(path, &o, &r, err, sizeof(err)), DV_OK);
    assert_int_equal(read_all(r, NULL, NULL, NULL), DV_ETOOBIG);
    assert_non_null(strstr(dv_parquet_reader_errmsg(r), "over the limit"));
    dv_parquet_reader_free(r);
    o.max_row_group_bytes = 0;
    o.max_footer_bytes = 100;
    assert_int_equal(dv_parquet_reader_open(path, &o, &r, err, sizeof(err)), DV_ETOOBIG);
}

/* ---------------------------------------------------------------- copies of nested files */

/* A column's level entries over row groups: repetition and definition levels, and each present
 * value as its bytes (a byte array's prefixed by its length). */
typedef struct lv_list {
    uint8_t *rep, *def, *val;
    size_t n, cap, nval, valcap;
} lv_list;

static void lv_push(lv_list *l, uint8_t rep, uint8_t def, const void *v, size_t vlen, int ba)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->rep = realloc(l->rep, l->cap);
        l->def = realloc(l->def, l->cap);
        assert_non_null(l->rep);
        assert_non_null(l->def);
    }
    l->rep[l->n] = rep;
    l->def[l->n++] = def;
    if (v == NULL) return;
    while (l->nval + vlen + 4 > l->valcap) {
        l->valcap = l->valcap ? l->valcap * 2 : 256;
        l->val = realloc(l->val, l->valcap);
        assert_non_null(l->val);
    }
    if (ba) {
        uint32_t n32 = (uint32_t)vlen;
        memcpy(l->val + l->nval, &n32, 4);
        l->nval += 4;
    }
    if (vlen) memcpy(l->val + l->nval, v, vlen);
    l->nval += vlen;
}

static void lv_free(lv_list *l)
{
    free(l->rep);
    free(l->def);
    free(l->val);
    memset(l, 0, sizeof *l);
}

/* Column col of every row group of r, the rows for which keep(global row) holds (NULL: all). */
static uint64_t lv_collect(dv_parquet_reader *r, size_t col, int (*keep)(uint64_t), lv_list *out)
{
    uint64_t base = 0, kept = 0;
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        dv__pq_column_data cd;
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
        int rc = dv__pq_read_column(r, g, col, 0, &cd);
        if (rc != DV_OK) fail_msg("column %zu: %s", col, dv_parquet_reader_errmsg(r));
        for (uint64_t i = 0; i < rows; i++) {
            uint64_t e0 = cd.row_start ? cd.row_start[i] : i;
            uint64_t e1 = cd.row_start ? cd.row_start[i + 1] : i + 1;
            if (keep && !keep(base + i)) continue;
            kept++;
            for (uint64_t e = e0; e < e1; e++) {
                uint8_t d = cd.def_levels ? cd.def_levels[e] : 0;
                const dv_parquet_batch *b = &cd.batch;
                if (d != cd.max_def)
                    lv_push(out, cd.rep_levels ? cd.rep_levels[e] : 0, d, NULL, 0, 0);
                else if (b->type == DV_PQ_BYTE_ARRAY)
                    lv_push(out, cd.rep_levels ? cd.rep_levels[e] : 0, d, b->data + b->offsets[e],
                            (size_t)(b->offsets[e + 1] - b->offsets[e]), 1);
                else
                    lv_push(out, cd.rep_levels ? cd.rep_levels[e] : 0, d,
                            (const uint8_t *)b->values + e * b->value_size, b->value_size, 0);
            }
        }
        base += rows;
    }
    return kept;
}

/* The copy's schema is the source's, element for element. */
static void same_schema(dv_parquet_reader *a, dv_parquet_reader *b)
{
    const dv__pq_file_meta *ma = dv__pq_reader_meta(a), *mb = dv__pq_reader_meta(b);
    assert_int_equal(ma->nschema, mb->nschema);
    for (uint32_t i = 0; i < ma->nschema; i++) {
        const dv__pq_schema_elem *x = &ma->schema[i], *y = &mb->schema[i];
        assert_int_equal(x->type, y->type);
        if (x->type == DV_PQ_FIXED_LEN_BYTE_ARRAY) assert_int_equal(x->type_length, y->type_length);
        assert_int_equal(x->repetition, y->repetition);
        assert_int_equal(x->name.len, y->name.len);
        assert_memory_equal(x->name.p, y->name.p, x->name.len);
        assert_int_equal(x->num_children, y->num_children);
        assert_int_equal(x->converted_type, y->converted_type);
        assert_int_equal(x->has_field_id, y->has_field_id);
        if (x->has_field_id) assert_int_equal(x->field_id, y->field_id);
        assert_int_equal(x->logical.set, y->logical.set);
        if (x->logical.set) {
            assert_int_equal(x->logical.len, y->logical.len);
            assert_memory_equal(x->logical.p, y->logical.p, x->logical.len);
        }
    }
}

/* Every column of the copy at cp holds exactly the kept rows of src, entry for entry. */
static void check_copy(dv_parquet_reader *src, const char *cp, int (*keep)(uint64_t))
{
    dv_parquet_reader *r2 = NULL;
    char err[512];
    uint64_t kept = 0;
    if (dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err) != DV_OK) fail_msg("%s", err);
    same_schema(src, r2);
    assert_int_equal(dv_parquet_reader_num_columns(r2), dv_parquet_reader_num_columns(src));
    for (size_t c = 0; c < dv_parquet_reader_num_columns(src); c++) {
        lv_list want = {0}, got = {0};
        kept = lv_collect(src, c, keep, &want);
        assert_int_equal(lv_collect(r2, c, NULL, &got), kept);
        assert_int_equal(got.n, want.n);
        if (want.n) {
            assert_memory_equal(got.rep, want.rep, want.n);
            assert_memory_equal(got.def, want.def, want.n);
        }
        assert_int_equal(got.nval, want.nval);
        if (want.nval) assert_memory_equal(got.val, want.val, want.nval);
        lv_free(&want);
        lv_free(&got);
    }
    assert_int_equal(dv_parquet_reader_num_rows(r2), kept);
    dv_parquet_reader_free(r2);
}

/* A cleaned copy of src at path: rows where keep(global row) fails removed. */
static void copy_with(dv_parquet_reader *src, const char *path, int (*keep)(uint64_t),
                      const dv_parquet_writer_opts *o)
{
    dv_parquet_writer *w = NULL;
    char err[512];
    uint64_t base = 0;
    if (dv_parquet_writer_create_copy(path, src, o, &w, err, sizeof err) != DV_OK)
        fail_msg("create_copy: %s", err);
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(src); g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(src, g);
        uint8_t *k = malloc(rows + 1);
        assert_non_null(k);
        for (uint64_t i = 0; i < rows; i++) k[i] = (uint8_t)(keep == NULL || keep(base + i));
        if (dv_parquet_writer_copy_row_group(w, src, g, k) != DV_OK)
            fail_msg("copy_row_group: %s", dv_parquet_writer_errmsg(w));
        free(k);
        base += rows;
    }
    if (dv_parquet_writer_close(w) != DV_OK) fail_msg("close: %s", dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
}

static int keep_shapes(uint64_t i) { return i != 1 && i != 4; }
static int keep_third(uint64_t i) { return i % 3 != 1; }
static int keep_none(uint64_t i) { return (void)i, 0; }

static void tmp_path(char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "%s/dv_pq_nested_%d_%s.parquet",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), tag);
}

/* Byte-array statistics: a row group whose min or max is over 4 KiB (an image column) has
 * none, one of short values keeps both; null counts stay */
static void test_stats_long_values(void **state)
{
    dv_parquet_field f;
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    dv_parquet_reader *r;
    dv_parquet_stats st;
    char path[600], err[512];
    static uint8_t big[5000];
    (void)state;
    tmp_path(path, sizeof path, "stats");
    memset(&f, 0, sizeof f);
    f.name = "image";
    f.type = DV_PQ_BYTE_ARRAY;
    f.optional = 1;
    memset(&o, 0, sizeof o);
    o.row_group_rows = 2;
    memset(big, 'z', sizeof big);
    assert_int_equal(dv_parquet_writer_create(path, &f, 1, &o, &w, err, sizeof err), DV_OK);
    for (int i = 0; i < 4; i++) {
        dv_parquet_value v;
        memset(&v, 0, sizeof v);
        v.bytes = i < 2 ? (const uint8_t *)"ab" + i : big;
        v.len = i < 2 ? 1 : sizeof big - (size_t)i;
        if (i == 3) v.is_null = 1;
        assert_int_equal(dv_parquet_writer_write_row(w, &v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    assert_int_equal(dv_parquet_reader_open(path, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_stats(r, 0, 0, &st), DV_OK);
    assert_non_null(st.min);
    assert_int_equal(st.min_len, 1);
    assert_memory_equal(st.min, "a", 1);
    assert_memory_equal(st.max, "b", 1);
    assert_int_equal(dv_parquet_reader_stats(r, 1, 0, &st), DV_OK);
    assert_null(st.min);
    assert_null(st.max);
    assert_int_equal(st.null_count, 1);
    dv_parquet_reader_free(r);
    unlink(path);
}

/* A cleaned copy of lists, maps and lists of lists (pq_gen's six rows, written from levels
 * apart from the writer) with rows 1 and 4 removed: the same schema tree, and every column the
 * kept rows' entries, checked generically and by hand for list<string> and DataComp's
 * face_bboxes list<list<double>>; row groups of 2 rows and tiny pages (which end with a row). */
static void test_copy_nested(void **state)
{
    char src[512], cp[512], err[512];
    dv_parquet_reader *r = NULL, *r2 = NULL;
    dv_parquet_writer *w = NULL;
    dv_parquet_writer_opts o;
    dv_parquet_column_info ci;
    dv_parquet_stats st;
    lv_list l = {0};
    dv_parquet_value v = {0};
    int64_t c;
    static const uint8_t c_rep[] = {0, 2, 2, 2, 1, 2, 2, 2, 0, 0, 1, 1, 0};
    static const uint8_t c_def[] = {5, 5, 5, 5, 5, 5, 5, 5, 0, 3, 2, 5, 4};
    static const double c_val[] = {0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, 5.5};
    static const uint8_t b_rep[] = {0, 1, 1, 0, 0, 0, 1};
    static const uint8_t b_def[] = {3, 2, 3, 1, 2, 3, 3};
    static const uint8_t b_val[] = "\1\0\0\0x\2\0\0\0yz\0\0\0\0\20\0\0\0long string here";
    (void)state;
    tmp_path(src, sizeof src, "src");
    tmp_path(cp, sizeof cp, "copy");
    assert_int_equal(pqg_write_shapes(src), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    c = dv_parquet_reader_find_column(r, "face_bboxes.list.element.list.element");
    assert_true(c >= 0);
    assert_int_equal(dv_parquet_reader_column(r, (size_t)c, &ci), DV_OK);
    assert_int_equal(ci.max_rep, 2);
    assert_int_equal(ci.max_def, 5);

    memset(&o, 0, sizeof o);
    o.row_group_rows = 2;
    o.page_bytes = 8;
    copy_with(r, cp, keep_shapes, &o);
    check_copy(r, cp, keep_shapes);
    assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_row_groups(r2), 2);
    assert_int_equal(dv_parquet_reader_row_group_rows(r2, 0), 2);
    /* by hand: rows 0, 2, 3, 5 */
    lv_collect(r2, (size_t)c, NULL, &l);
    assert_int_equal(l.n, sizeof c_rep);
    assert_memory_equal(l.rep, c_rep, sizeof c_rep);
    assert_memory_equal(l.def, c_def, sizeof c_def);
    assert_int_equal(l.nval, sizeof c_val);
    assert_memory_equal(l.val, c_val, sizeof c_val);
    lv_free(&l);
    c = dv_parquet_reader_find_column(r2, "b.list.element");
    lv_collect(r2, (size_t)c, NULL, &l);
    assert_int_equal(l.n, sizeof b_rep);
    assert_memory_equal(l.rep, b_rep, sizeof b_rep);
    assert_memory_equal(l.def, b_def, sizeof b_def);
    assert_int_equal(l.nval, sizeof b_val - 1);
    assert_memory_equal(l.val, b_val, sizeof b_val - 1);
    lv_free(&l);
    /* no null_count for a repeated column, min/max over its present values; a flat one keeps
     * both (url: row 2 null, in row group 0 with row 0) */
    c = dv_parquet_reader_find_column(r2, "face_bboxes.list.element.list.element");
    assert_int_equal(dv_parquet_reader_stats(r2, 1, (size_t)c, &st), DV_OK);
    assert_int_equal(st.null_count, -1);
    assert_non_null(st.max);
    assert_int_equal(st.max_len, 8);
    {
        double mx;
        memcpy(&mx, st.max, 8);
        assert_true(mx == 5.5);
    }
    assert_int_equal(dv_parquet_reader_stats(r2, 0, 1, &st), DV_OK);
    assert_int_equal(st.null_count, 1);
    dv_parquet_reader_free(r2);

    /* a copy of that copy (three row groups of 2 rows) cut by bytes as well as by rows: each
     * source row group's kept rows in a row group of their own */
    {
        dv_parquet_reader *r3 = NULL;
        char cp2[512];
        tmp_path(cp2, sizeof cp2, "copy2");
        o.row_group_rows = 2;
        o.page_bytes = 0;
        copy_with(r, cp2, NULL, &o);
        assert_int_equal(dv_parquet_reader_open(cp2, NULL, &r3, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_reader_num_row_groups(r3), 3);
        memset(&o, 0, sizeof o);
        o.row_group_bytes = 1;
        copy_with(r3, cp, keep_shapes, &o);
        check_copy(r3, cp, keep_shapes);
        assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_reader_num_row_groups(r2), 3);
        assert_int_equal(dv_parquet_reader_row_group_rows(r2, 1), 2);
        dv_parquet_reader_free(r2);
        dv_parquet_reader_free(r3);
        unlink(cp2);
    }

    /* every row kept, and none */
    copy_with(r, cp, NULL, NULL);
    check_copy(r, cp, NULL);
    copy_with(r, cp, keep_none, NULL);
    check_copy(r, cp, keep_none);

    /* a copy takes rows only from copy_row_group, and copy_row_group only a copy */
    assert_int_equal(dv_parquet_writer_create_copy(cp, r, NULL, &w, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_writer_write_row(w, &v), DV_EINVAL);
    assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 1, NULL), DV_EINVAL);
    assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, NULL), DV_OK);
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    {
        dv_parquet_field f = {"x", DV_PQ_INT32, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, 0};
        assert_int_equal(dv_parquet_writer_create(cp, &f, 1, NULL, &w, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, NULL), DV_EINVAL);
        dv_parquet_writer_free(w);
    }
    dv_parquet_reader_free(r);
    unlink(src);
    unlink(cp);
}

/* The schema tree and every leaf with its levels (dv_parquet_reader_node, _read_levels), on
 * pq_gen's deep file, whose levels the test knows (pq_gen.h): nodes' levels and leaf ranges as
 * worked out by hand from the schema, each column's entries as pq_gen wrote them, rows split
 * by row_start; flat columns row by row with no repetition levels. */
static void test_nodes_levels(void **state)
{
    /* index, name, repetition, children, parent, converted, logical, def, rep, first, ncols */
    static const struct {
        size_t i;
        const char *name;
        dv_pq_repetition rep;
        size_t nch, parent;
        int32_t ct, lt;
        int def_level, rep_level;
        size_t first, ncols;
    } want[] = {
        {0, "schema", DV_PQ_REQUIRED, 6, 0, -1, 0, 0, 0, 0, 8},
        {1, "r", DV_PQ_REPEATED, 0, 0, -1, 0, 1, 1, 0, 1},
        {2, "s", DV_PQ_REQUIRED, 1, 0, -1, 0, 0, 0, 1, 2},
        {3, "t", DV_PQ_OPTIONAL, 1, 2, -1, 0, 1, 0, 1, 2},
        {4, "l", DV_PQ_REQUIRED, 1, 3, 3, 0, 1, 0, 1, 2},
        {5, "list", DV_PQ_REPEATED, 1, 4, -1, 0, 2, 1, 1, 2},
        {7, "x", DV_PQ_REQUIRED, 0, 6, -1, 0, 2, 1, 1, 1},
        {8, "y", DV_PQ_OPTIONAL, 1, 6, 3, 3, 3, 1, 2, 1},
        {9, "list", DV_PQ_REPEATED, 1, 8, -1, 0, 4, 2, 2, 1},
        {10, "element", DV_PQ_OPTIONAL, 0, 9, 0, 1, 5, 2, 2, 1},
        {11, "m", DV_PQ_OPTIONAL, 1, 0, 1, 2, 1, 0, 3, 2},
        {12, "key_value", DV_PQ_REPEATED, 2, 11, 2, 0, 2, 1, 3, 2},
        {14, "value", DV_PQ_OPTIONAL, 1, 12, 3, 0, 3, 1, 4, 1},
        {16, "element", DV_PQ_REQUIRED, 0, 15, -1, 0, 4, 2, 4, 1},
        {17, "old", DV_PQ_REQUIRED, 1, 0, 3, 0, 0, 0, 5, 1},
        {18, "array", DV_PQ_REPEATED, 1, 17, -1, 0, 1, 1, 5, 1},
        {25, "element", DV_PQ_OPTIONAL, 0, 24, -1, 0, 3, 1, 7, 1},
    };
    /* s.t.l.list.element.y.list.element: row 0 [{y:["a\"b\\", null]}, {y:null}], row 1 t null,
     * row 2 l empty, row 3 [{y:[]}, {y:["tab\there", "nl\n"]}] */
    static const uint8_t y_rep[] = {0, 2, 1, 0, 0, 0, 1, 2}, y_def[] = {5, 4, 2, 0, 1, 3, 5, 5};
    static const uint64_t y_rows[] = {0, 3, 4, 5, 8};
    static const uint8_t r_rep[] = {0, 1, 0, 0, 0}, r_def[] = {1, 1, 0, 1, 1};
    static const int32_t r_val[] = {1, 2, 3, 4};
    char path[512], err[512];
    dv_parquet_reader *r = NULL;
    dv_parquet_node nd;
    dv_parquet_levels lv[8];
    dv_parquet_value v;
    size_t cols[8];
    (void)state;
    tmp_path(path, sizeof path, "deep");
    assert_int_equal(pqg_write_deep(path), 0);
    assert_int_equal(dv_parquet_reader_open(path, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_nodes(r), 26);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        assert_int_equal(dv_parquet_reader_node(r, want[k].i, &nd), DV_OK);
        assert_string_equal(nd.name, want[k].name);
        assert_int_equal(nd.repetition, want[k].rep);
        assert_int_equal(nd.num_children, want[k].nch);
        assert_int_equal(nd.parent, want[k].parent);
        assert_int_equal(nd.converted_type, want[k].ct);
        assert_int_equal(nd.logical_type, want[k].lt);
        assert_int_equal(nd.def_level, want[k].def_level);
        assert_int_equal(nd.rep_level, want[k].rep_level);
        assert_int_equal(nd.first_column, want[k].first);
        assert_int_equal(nd.num_columns, want[k].ncols);
    }
    assert_int_equal(dv_parquet_reader_node(r, 26, &nd), DV_EINVAL);
    assert_null(nd.name);

    for (size_t c = 0; c < 8; c++) cols[c] = 7 - c; /* any order, any column */
    assert_int_equal(dv_parquet_reader_read_levels(r, 0, cols, 8, lv), DV_OK);
    /* column 2 is lv[5]: the levels and values pq_gen wrote */
    assert_int_equal(lv[5].batch.column, 2);
    assert_int_equal(lv[5].max_def, 5);
    assert_int_equal(lv[5].max_rep, 2);
    assert_int_equal(lv[5].batch.rows, sizeof y_rep);
    assert_memory_equal(lv[5].rep_levels, y_rep, sizeof y_rep);
    assert_memory_equal(lv[5].def_levels, y_def, sizeof y_def);
    assert_memory_equal(lv[5].row_start, y_rows, sizeof y_rows);
    assert_int_equal(lv[5].batch.null_count, 5);
    assert_int_equal(dv_parquet_batch_value(&lv[5].batch, 0, &v), DV_OK);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.bytes, "a\"b\\", 4);
    assert_int_equal(dv_parquet_batch_value(&lv[5].batch, 7, &v), DV_OK);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.bytes, "nl\n", 3);
    assert_int_equal(dv_parquet_batch_value(&lv[5].batch, 1, &v), DV_OK);
    assert_true(v.is_null);
    /* column 0 (r, a repeated int32: max_def 1, its definition levels are the validity) */
    assert_int_equal(lv[7].batch.column, 0);
    assert_int_equal(lv[7].max_def, 1);
    assert_memory_equal(lv[7].rep_levels, r_rep, sizeof r_rep);
    assert_memory_equal(lv[7].def_levels, r_def, sizeof r_def);
    for (size_t e = 0, k = 0; e < sizeof r_def; e++) {
        assert_int_equal(dv_parquet_batch_value(&lv[7].batch, e, &v), DV_OK);
        assert_int_equal(v.is_null, r_def[e] == 0);
        if (!v.is_null) assert_int_equal(v.i32, r_val[k++]);
    }
    assert_int_equal(dv_parquet_reader_read_levels(r, 1, cols, 8, lv), DV_EINVAL);
    cols[0] = 8;
    assert_int_equal(dv_parquet_reader_read_levels(r, 0, cols, 1, lv), DV_EINVAL);
    assert_int_equal(dv_parquet_reader_read_levels(r, 0, NULL, 0, NULL), DV_OK);
    dv_parquet_reader_free(r);

    /* flat columns: entries are rows; a required one has no levels at all */
    assert_int_equal(pqg_write_shapes(path), 0);
    assert_int_equal(dv_parquet_reader_open(path, NULL, &r, err, sizeof err), DV_OK);
    cols[0] = 0, cols[1] = 1;
    assert_int_equal(dv_parquet_reader_read_levels(r, 0, cols, 2, lv), DV_OK);
    assert_int_equal(lv[0].batch.rows, 6);
    assert_null(lv[0].def_levels);
    assert_null(lv[0].rep_levels);
    assert_null(lv[0].row_start);
    assert_int_equal(lv[1].batch.rows, 6);
    assert_int_equal(lv[1].max_def, 1);
    assert_memory_equal(lv[1].def_levels, "\1\1\0\1\1\1", 6);
    assert_null(lv[1].row_start);
    assert_int_equal(lv[1].batch.null_count, 1);
    dv_parquet_reader_free(r);
    unlink(path);
}

static int keep_first_out(uint64_t i);
static size_t raw_chunks_same(dv_parquet_reader *src, size_t g0, const char *cp, size_t g0c);

/* Levels that describe no rows (an entry continuing a list the entry before says is null) are
 * corruption: the copy refuses the row group and stays as it was, read_list refuses too. With
 * raw_groups the row group, all its rows kept, is copied as its bytes, not decoded (its
 * corruption with it); a row removed from it is refused as without. */
static void test_copy_bad_levels(void **state)
{
    static const pqg_node s[] = {
        {"schema", -1, 0, 1, -1, 0, 0},
        {"a", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_INT32, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    static const uint8_t rep[] = {0, 1}, def[] = {0, 3};
    static const int32_t val[] = {5};
    const pqg_column col = {2, rep, def, val, NULL};
    char src[512], cp[512], err[512];
    dv_parquet_reader *r = NULL;
    dv_parquet_writer *w = NULL;
    dv_parquet_batch b;
    const uint64_t *rs;
    (void)state;
    tmp_path(src, sizeof src, "bad");
    tmp_path(cp, sizeof cp, "badcopy");
    assert_int_equal(pqg_write(src, s, 4, &col, 1, 1), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_writer_create_copy(cp, r, NULL, &w, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, NULL), DV_ECORRUPT);
    assert_non_null(strstr(dv_parquet_writer_errmsg(w), "column a.list.element"));
    assert_non_null(
        strstr(dv_parquet_writer_errmsg(w), "continues a list of level 1 that is null"));
    assert_int_equal(dv_parquet_writer_close(w), DV_OK); /* nothing appended */
    dv_parquet_writer_free(w);
    assert_int_equal(dv_parquet_reader_read_list(r, 0, 0, &b, &rs), DV_ECORRUPT);
    {
        dv_parquet_writer_opts o;
        uint8_t none = 0;
        memset(&o, 0, sizeof o);
        o.raw_groups = 1;
        assert_int_equal(dv_parquet_writer_create_copy(cp, r, &o, &w, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, NULL), DV_OK);
        assert_int_equal(dv_parquet_writer_close(w), DV_OK);
        dv_parquet_writer_free(w);
        assert_int_equal(raw_chunks_same(r, 0, cp, 0), 1);
        assert_int_equal(dv_parquet_writer_create_copy(cp, r, &o, &w, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, &none), DV_ECORRUPT);
        dv_parquet_writer_free(w);
    }
    dv_parquet_reader_free(r);
    unlink(src);
    unlink(cp);
}

/* The footer key_value_metadata of a and b: the same entries in the same order, a missing
 * value missing in both. */
static void same_kv(const dv_parquet_reader *a, const dv_parquet_reader *b)
{
    assert_int_equal(dv_parquet_reader_num_kv(a), dv_parquet_reader_num_kv(b));
    for (size_t i = 0; i < dv_parquet_reader_num_kv(a); i++) {
        dv_parquet_kv x, y;
        assert_int_equal(dv_parquet_reader_kv(a, i, &x), DV_OK);
        assert_int_equal(dv_parquet_reader_kv(b, i, &y), DV_OK);
        assert_int_equal(x.key_len, y.key_len);
        assert_memory_equal(x.key, y.key, x.key_len);
        assert_int_equal(x.value == NULL, y.value == NULL);
        assert_int_equal(x.value_len, y.value_len);
        if (x.value_len) assert_memory_equal(x.value, y.value, x.value_len);
    }
}

/* Overwrite the first occurrence of pat (n bytes) in the file at path with rep. */
static void patch_file(const char *path, const void *pat, const void *rep, size_t n)
{
    FILE *f = fopen(path, "r+b");
    static uint8_t buf[1 << 16];
    size_t len;
    assert_non_null(f);
    len = fread(buf, 1, sizeof buf, f);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, pat, n) == 0) {
            assert_int_equal(fseek(f, (long)i, SEEK_SET), 0);
            assert_int_equal(fwrite(rep, 1, n, f), n);
            assert_int_equal(fclose(f), 0);
            return;
        }
    fclose(f);
    fail_msg("%s: pattern not found", path);
}

/* A cleaned copy keeps the footer's key_value_metadata verbatim: Hugging Face's features (an
 * Image() column), Arrow's schema (binary, NULs inside), pandas', an empty value, an entry
 * without a value and a repeated key, in order; the source from pq_gen, apart from the writer.
 * Malformed or oversized metadata is refused at open, naming the offset. */
static void test_copy_kv(void **state)
{
    static const char arrow[] = "/////\0\0\0\x10\0\0\0\0\0\x0a\0\x0c\0\x06\0\x05\0";
    static const char hf[] = "{\"info\": {\"features\": {\"image\": {\"_type\": \"Image\"}, "
                             "\"label\": {\"names\": [\"a\", \"b\"], \"_type\": \"ClassLabel\"}}}}";
    static const char pandas[] = "{\"index_columns\": [{\"kind\": \"range\", \"name\": null, "
                                 "\"start\": 0, \"stop\": 6, \"step\": 1}], \"creator\": {}}";
    const pqg_kv kv[] = {
        {"huggingface", hf, sizeof hf - 1}, {"ARROW:schema", arrow, sizeof arrow - 1},
        {"pandas", pandas, sizeof pandas - 1}, {"empty", "", 0}, {"novalue", NULL, 0},
        {"dup", "1", 1}, {"dup", "2", 1},
    };
    const size_t nkv = sizeof kv / sizeof kv[0];
    char src[512], cp[512], err[512];
    dv_parquet_reader *r = NULL, *r2 = NULL;
    dv_parquet_writer_opts o;
    dv_parquet_kv e;
    (void)state;
    tmp_path(src, sizeof src, "kvsrc");
    tmp_path(cp, sizeof cp, "kvcopy");
    assert_int_equal(pqg_write_shapes_kv(src, kv, nkv), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_kv(r), nkv);
    for (size_t i = 0; i < nkv; i++) {
        assert_int_equal(dv_parquet_reader_kv(r, i, &e), DV_OK);
        assert_int_equal(e.key_len, strlen(kv[i].key));
        assert_memory_equal(e.key, kv[i].key, e.key_len);
        assert_int_equal(e.value == NULL, kv[i].value == NULL);
        assert_int_equal(e.value_len, kv[i].value_len);
        if (e.value_len) assert_memory_equal(e.value, kv[i].value, e.value_len);
    }
    assert_int_equal(dv_parquet_reader_kv(r, nkv, &e), DV_EINVAL);
    assert_null(e.key);

    memset(&o, 0, sizeof o);
    o.row_group_rows = 2;
    o.codec = DV_PQ_SNAPPY;
    copy_with(r, cp, keep_shapes, &o);
    check_copy(r, cp, keep_shapes);
    assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
    same_kv(r, r2);
    dv_parquet_reader_free(r2);
    dv_parquet_reader_free(r);

    /* a file without any: none in the copy either */
    assert_int_equal(pqg_write_shapes(src), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_kv(r), 0);
    copy_with(r, cp, keep_shapes, NULL);
    assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_kv(r2), 0);
    dv_parquet_reader_free(r2);
    dv_parquet_reader_free(r);

    /* an entry whose key field has another id: no key, corrupt, with the offset named */
    assert_int_equal(pqg_write_shapes_kv(src, kv, nkv), 0);
    patch_file(src, "\x18\x07novalue", "\x38\x07novalue", 9);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ECORRUPT);
    assert_null(r);
    assert_non_null(strstr(err, "key_value_metadata entry without a key (offset "));
    assert_non_null(strstr(err, ": footer at offset "));

    /* bounded: entries, then bytes */
    {
        static pqg_kv many[DV__PQ_MAX_KV + 1];
        char *big = malloc((size_t)DV__PQ_MAX_KV_BYTES + 1);
        assert_non_null(big);
        for (size_t i = 0; i <= DV__PQ_MAX_KV; i++) many[i] = (pqg_kv){"k", "v", 1};
        assert_int_equal(pqg_write_shapes_kv(src, many, DV__PQ_MAX_KV), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
        dv_parquet_reader_free(r);
        assert_int_equal(pqg_write_shapes_kv(src, many, DV__PQ_MAX_KV + 1), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ETOOBIG);
        assert_non_null(strstr(err, "more than 4096 entries"));
        memset(big, 'x', (size_t)DV__PQ_MAX_KV_BYTES + 1);
        many[0] = (pqg_kv){"k", big, (size_t)DV__PQ_MAX_KV_BYTES - 1};
        assert_int_equal(pqg_write_shapes_kv(src, many, 1), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
        dv_parquet_reader_free(r);
        many[0].value_len = (size_t)DV__PQ_MAX_KV_BYTES;
        assert_int_equal(pqg_write_shapes_kv(src, many, 1), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ETOOBIG);
        assert_non_null(strstr(err, "more than 32 MiB"));
        free(big);
    }
    unlink(src);
    unlink(cp);
}

/* Column chunk (rg, col) of a and (rg2, col) of b carry the same key_value_metadata. */
static void same_chunk_kv(dv_parquet_reader *a, size_t rg, dv_parquet_reader *b, size_t rg2,
                          size_t col)
{
    dv_parquet_chunk_info ia, ib;
    assert_int_equal(dv_parquet_reader_chunk(a, rg, col, &ia), DV_OK);
    assert_int_equal(dv_parquet_reader_chunk(b, rg2, col, &ib), DV_OK);
    assert_int_equal(ia.num_kv, ib.num_kv);
    for (size_t i = 0; i < ia.num_kv; i++) {
        dv_parquet_kv x, y;
        assert_int_equal(dv_parquet_reader_chunk_kv(a, rg, col, i, &x), DV_OK);
        assert_int_equal(dv_parquet_reader_chunk_kv(b, rg2, col, i, &y), DV_OK);
        assert_int_equal(x.key_len, y.key_len);
        assert_memory_equal(x.key, y.key, x.key_len);
        assert_int_equal(x.value == NULL, y.value == NULL);
        assert_int_equal(x.value_len, y.value_len);
        if (x.value_len) assert_memory_equal(x.value, y.value, x.value_len);
    }
}

/* A copy of src keeping rows whose keep byte (over the whole file) is 1, in row groups of at
 * most rg_rows rows; its row groups' rows must be want_rows[0 .. ngroups) and each one's
 * chunks carry the entries of source row group from[g]. */
static void chunk_kv_copy(const char *src, const char *cp, const uint8_t *keep, uint64_t rg_rows,
                          size_t ngroups, const uint64_t *want_rows, const size_t *from)
{
    dv_parquet_reader *r = NULL, *r2 = NULL;
    dv_parquet_writer *w = NULL;
    dv_parquet_writer_opts o;
    char err[512];
    uint64_t base = 0;
    memset(&o, 0, sizeof o);
    o.row_group_rows = rg_rows;
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_writer_create_copy(cp, r, &o, &w, err, sizeof err), DV_OK);
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        assert_int_equal(dv_parquet_writer_copy_row_group(w, r, g, keep + base), DV_OK);
        base += dv_parquet_reader_row_group_rows(r, g);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_row_groups(r2), ngroups);
    for (size_t g = 0; g < ngroups; g++) {
        assert_int_equal(dv_parquet_reader_row_group_rows(r2, g), want_rows[g]);
        for (size_t c = 0; c < dv_parquet_reader_num_columns(r); c++)
            same_chunk_kv(r, from[g], r2, g, c);
    }
    dv_parquet_reader_free(r2);
    dv_parquet_reader_free(r);
}

/* A column chunk's own key_value_metadata (ColumnMetaData field 8), read entry for entry and
 * copied onto the chunks of the rows it came with: pq_gen's chunk-kv file (pq_gen.h) and
 * parquet-testing's column_chunk_key_value_metadata; row groups of other entries never merged,
 * split ones each carrying them; its limits, at read and at write. */
static void test_copy_chunk_kv(void **state)
{
    static const char *const keys[] = {"origin", "novalue", "rows", "z"};
    static const char *const vals[] = {"pq_gen", NULL, "0-3", "last"};
    static const uint8_t keep_pq_tool[] = {1, 0, 1, 1, 0, 1}; /* pq_tool copy: every third */
    static const uint8_t keep_no_rg1[] = {1, 1, 0, 0, 1, 1};
    static const uint8_t keep_all[] = {1, 1, 1, 1, 1, 1}, keep_none[6] = {0};
    char src[512], cp[512], err[512];
    dv_parquet_reader *r = NULL;
    dv_parquet_chunk_info ci;
    dv_parquet_kv e;
    (void)state;
    tmp_path(src, sizeof src, "ckvsrc");
    tmp_path(cp, sizeof cp, "ckvcopy");
    assert_int_equal(pqg_write_chunk_kv(src), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    /* as pq_gen wrote them: in order, an entry without a value told from an empty one */
    for (size_t g = 0; g < 2; g++) {
        assert_int_equal(dv_parquet_reader_chunk(r, g, 0, &ci), DV_OK);
        assert_int_equal(ci.num_kv, 4);
        for (size_t i = 0; i < 4; i++) {
            assert_int_equal(dv_parquet_reader_chunk_kv(r, g, 0, i, &e), DV_OK);
            assert_int_equal(e.key_len, strlen(keys[i]));
            assert_memory_equal(e.key, keys[i], e.key_len);
            assert_int_equal(e.value == NULL, vals[i] == NULL);
            if (vals[i]) assert_int_equal(e.value_len, strlen(vals[i]));
            if (vals[i]) assert_memory_equal(e.value, vals[i], e.value_len);
        }
        assert_int_equal(dv_parquet_reader_chunk_kv(r, g, 1, 1, &e), DV_OK);
        assert_int_equal(e.key_len, 5);
        assert_non_null(e.value);
        assert_int_equal(e.value_len, 0);
    }
    assert_int_equal(dv_parquet_reader_chunk(r, 2, 0, &ci), DV_OK);
    assert_int_equal(ci.num_kv, 1);
    assert_int_equal(dv_parquet_reader_chunk(r, 2, 1, &ci), DV_OK);
    assert_int_equal(ci.num_kv, 0);
    assert_int_equal(dv_parquet_reader_chunk_kv(r, 2, 1, 0, &e), DV_EINVAL);
    assert_null(e.key);
    assert_int_equal(dv_parquet_reader_chunk_kv(r, 3, 0, 0, &e), DV_EINVAL);
    assert_int_equal(dv_parquet_reader_chunk_kv(r, 0, 2, 0, &e), DV_EINVAL);
    {
        /* raw_groups: the row groups nothing is removed from keep their chunks' entries as
         * bytes (raw_chunks_same compares them), the first (a row removed) as below */
        dv_parquet_writer_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.raw_groups = 1;
        copy_with(r, cp, keep_first_out, &ro);
        check_copy(r, cp, keep_first_out);
        assert_int_equal(raw_chunks_same(r, 1, cp, 1), 2 * dv_parquet_reader_num_columns(r));
    }
    /* the footer's own list is another thing: none here */
    assert_int_equal(dv_parquet_reader_num_kv(r), 0);
    dv_parquet_reader_free(r);

    /* rows 1 and 4 removed, row groups of up to 1,000,000: source row groups 0 and 1 (the same
     * entries) in one, 2 (others) in its own */
    {
        static const uint64_t rows[] = {3, 1};
        static const size_t from[] = {0, 2};
        chunk_kv_copy(src, cp, keep_pq_tool, 0, 2, rows, from);
    }
    /* row group 1 all removed: its entries nowhere, 0 and 2 apart */
    {
        static const uint64_t rows[] = {2, 2};
        static const size_t from[] = {0, 2};
        chunk_kv_copy(src, cp, keep_no_rg1, 0, 2, rows, from);
    }
    /* row groups of 1 row: each source row group's entries on both its halves */
    {
        static const uint64_t rows[] = {1, 1, 1, 1, 1, 1};
        static const size_t from[] = {0, 0, 1, 1, 2, 2};
        chunk_kv_copy(src, cp, keep_all, 1, 6, rows, from);
    }
    /* row groups of 3 rows: 0 and 1 together; 2 not in with the row of 1 left over */
    {
        static const uint64_t rows[] = {3, 1, 2};
        static const size_t from[] = {0, 1, 2};
        chunk_kv_copy(src, cp, keep_all, 3, 3, rows, from);
    }
    /* nothing kept: the one empty row group has the last source row group's entries */
    {
        static const uint64_t rows[] = {0};
        static const size_t from[] = {2};
        chunk_kv_copy(src, cp, keep_none, 0, 1, rows, from);
    }

    /* entries that differ in one column only; bytes of every value (NUL, 0xFF) and a repeated
     * key kept */
    {
        static const pqg_node s[] = {
            {"schema", -1, 0, 2, -1, 0, 0},
            {"a", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
            {"b", DV_PQ_INT32, DV_PQ_OPTIONAL, 0, -1, 0, 0},
        };
        static const int32_t v[] = {1, 2};
        static const uint8_t d[] = {1, 1};
        static const pqg_kv x[] = {{"bin", "\0\xff\0", 3}, {"dup", "1", 1}, {"dup", "2", 1}},
                            y[] = {{"bin", "\0\xff\1", 3}};
        static const uint64_t rows[] = {2, 2}, want[] = {2, 2};
        static const size_t from[] = {0, 1};
        const pqg_column c[] = {{2, NULL, NULL, v, NULL}, {2, NULL, d, v, NULL},
                                {2, NULL, NULL, v, NULL}, {2, NULL, d, v, NULL}};
        const pqg_chunk_kv k[] = {{x, 3}, {x, 3}, {x, 3}, {y, 1}, {x, 3}, {x, 3}};
        assert_int_equal(pqg_write_groups_kv(src, s, 3, c, 2, 2, rows, k), 0);
        chunk_kv_copy(src, cp, keep_all, 0, 2, want, from);
        /* x, y, x with the y row group all removed: nothing of y, the x ones in one */
        {
            static const uint64_t rows3[] = {2, 2, 2}, want1[] = {4};
            static const size_t from0[] = {0};
            const pqg_column c3[] = {c[0], c[1], c[2], c[3], c[0], c[1]};
            assert_int_equal(pqg_write_groups_kv(src, s, 3, c3, 2, 3, rows3, k), 0);
            chunk_kv_copy(src, cp, keep_no_rg1, 0, 1, want1, from0);
        }
    }

    /* parquet-testing's file (no rows): the copy's one row group as the source's */
    {
        dv_parquet_reader *pt = open_pt("column_chunk_key_value_metadata.parquet");
        if (pt != NULL) {
            dv_parquet_reader *r2 = NULL;
            assert_int_equal(dv_parquet_reader_chunk(pt, 0, 0, &ci), DV_OK);
            assert_int_equal(ci.num_kv, 2);
            assert_int_equal(dv_parquet_reader_chunk_kv(pt, 0, 0, 0, &e), DV_OK);
            assert_int_equal(e.key_len, 3);
            assert_memory_equal(e.key, "foo", 3);
            assert_int_equal(e.value_len, 3);
            assert_memory_equal(e.value, "bar", 3);
            assert_int_equal(dv_parquet_reader_chunk_kv(pt, 0, 0, 1, &e), DV_OK);
            assert_int_equal(e.key_len, 21);
            assert_null(e.value);
            assert_int_equal(dv_parquet_reader_chunk(pt, 0, 1, &ci), DV_OK);
            assert_int_equal(ci.num_kv, 0);
            copy_with(pt, cp, NULL, NULL);
            assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
            assert_int_equal(dv_parquet_reader_num_row_groups(r2), 1);
            same_chunk_kv(pt, 0, r2, 0, 0);
            same_chunk_kv(pt, 0, r2, 0, 1);
            dv_parquet_reader_free(r2);
            dv_parquet_reader_free(pt);
        }
    }

    /* bounded as the footer's: 4096 entries a chunk, 32 MiB a chunk and all chunks together;
     * an entry without a key is corrupt */
    {
        static const pqg_node s[] = {
            {"schema", -1, 0, 1, -1, 0, 0},
            {"a", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        };
        static const int32_t v[] = {1, 2, 3};
        static pqg_kv many[DV__PQ_MAX_KV + 1];
        const size_t part = (size_t)11 << 20;
        char *big = malloc((size_t)DV__PQ_MAX_KV_BYTES + 1);
        const pqg_column c[] = {{1, NULL, NULL, v, NULL}, {1, NULL, NULL, v + 1, NULL},
                                {1, NULL, NULL, v + 2, NULL}};
        static const uint64_t rows[] = {1, 1, 1};
        pqg_kv one[1];
        pqg_chunk_kv k[3];
        assert_non_null(big);
        memset(big, 'x', (size_t)DV__PQ_MAX_KV_BYTES + 1);
        for (size_t i = 0; i <= DV__PQ_MAX_KV; i++) many[i] = (pqg_kv){"k", "v", 1};
        k[0] = (pqg_chunk_kv){many, DV__PQ_MAX_KV};
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 1, rows, k), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
        dv_parquet_reader_free(r);
        k[0].n = DV__PQ_MAX_KV + 1;
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 1, rows, k), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ETOOBIG);
        assert_non_null(strstr(err, "column chunk key_value_metadata has more than 4096 entries"));
        one[0] = (pqg_kv){"k", big, (size_t)DV__PQ_MAX_KV_BYTES};
        k[0] = (pqg_chunk_kv){one, 1};
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 1, rows, k), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ETOOBIG);
        assert_non_null(strstr(err, "column chunk key_value_metadata holds more than 32 MiB"));
        /* 11 MiB a chunk: two row groups read, three (33 MiB together) not */
        one[0].value_len = part;
        k[0] = k[1] = k[2] = (pqg_chunk_kv){one, 1};
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 2, rows, k), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
        dv_parquet_reader_free(r);
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 3, rows, k), 0);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ETOOBIG);
        assert_non_null(strstr(err, "key_value_metadata holds more than 32 MiB together"));
        /* a copy that would split one row group of 11 MiB of entries into three: refused, as
         * no reader would take it (rather than a file datavet itself cannot open) */
        {
            static const pqg_column c3[] = {{3, NULL, NULL, v, NULL}};
            static const uint64_t rows3[] = {3};
            dv_parquet_writer *w = NULL;
            dv_parquet_writer_opts o;
            int rc;
            assert_int_equal(pqg_write_groups_kv(src, s, 2, c3, 1, 1, rows3, k), 0);
            assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
            memset(&o, 0, sizeof o);
            o.row_group_rows = 1;
            assert_int_equal(dv_parquet_writer_create_copy(cp, r, &o, &w, err, sizeof err), DV_OK);
            rc = dv_parquet_writer_copy_row_group(w, r, 0, NULL);
            if (rc == DV_OK) rc = dv_parquet_writer_close(w);
            assert_int_equal(rc, DV_ETOOBIG);
            assert_non_null(strstr(dv_parquet_writer_errmsg(w), "would pass 32 MiB"));
            dv_parquet_writer_free(w);
            /* two row groups of it are fine */
            o.row_group_rows = 2;
            assert_int_equal(dv_parquet_writer_create_copy(cp, r, &o, &w, err, sizeof err), DV_OK);
            assert_int_equal(dv_parquet_writer_copy_row_group(w, r, 0, NULL), DV_OK);
            assert_int_equal(dv_parquet_writer_close(w), DV_OK);
            dv_parquet_writer_free(w);
            dv_parquet_reader_free(r);
            assert_int_equal(dv_parquet_reader_open(cp, NULL, &r, err, sizeof err), DV_OK);
            assert_int_equal(dv_parquet_reader_num_row_groups(r), 2);
            assert_int_equal(dv_parquet_reader_chunk(r, 1, 0, &ci), DV_OK);
            assert_int_equal(ci.num_kv, 1);
            dv_parquet_reader_free(r);
        }
        /* an entry whose key has another field id: no key */
        one[0] = (pqg_kv){"nokey", "v", 1};
        k[0] = (pqg_chunk_kv){one, 1};
        assert_int_equal(pqg_write_groups_kv(src, s, 2, c, 1, 1, rows, k), 0);
        patch_file(src, "\x18\x05nokey", "\x38\x05nokey", 7);
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_ECORRUPT);
        assert_null(r);
        assert_non_null(strstr(err, "column chunk key_value_metadata entry without a key"));
        free(big);
    }
    unlink(src);
    unlink(cp);
}

/* Every parquet-testing file whose footer has key_value_metadata (Arrow's ARROW:schema, pandas,
 * Spark's row metadata, parquet-mr's avro and proto schemas, Dremio's...; the must-fail files
 * and large_string_map's 1 GiB value left out) cleaned as scan --clean does: the copy's
 * metadata is the source's, entry for entry, and its rows the kept ones. */
static void test_copy_kv_pt(void **state)
{
    char dir[1024], cp[512];
    DIR *d;
    struct dirent *e;
    size_t copied = 0;
    dv_parquet_writer_opts o;
    (void)state;
    if (tu_shared(PT, dir, sizeof(dir)) == NULL) {
        printf("SKIP: ../shared/parquet-testing not found\n");
        return;
    }
    memset(&o, 0, sizeof o);
    o.codec = DV_PQ_SNAPPY;
    tmp_path(cp, sizeof cp, "kvpt");
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[1400], err[512];
        dv_parquet_reader *r = NULL, *r2 = NULL;
        size_t l = strlen(e->d_name);
        int skip = l <= 8 || strcmp(e->d_name + l - 8, ".parquet") != 0;
        for (size_t k = 0; k < sizeof(kMustFail) / sizeof(kMustFail[0]) && !skip; k++)
            skip = strcmp(e->d_name, kMustFail[k]) == 0;
        /* its one value is 1 GiB, past the reader's default row group limit */
        if (skip || strcmp(e->d_name, "large_string_map.brotli.parquet") == 0) continue;
        snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
        if (dv_parquet_reader_open(path, NULL, &r, err, sizeof err) != DV_OK) fail_msg("%s", err);
        if (dv_parquet_reader_num_kv(r) > 0) {
            copy_with(r, cp, keep_third, &o);
            check_copy(r, cp, keep_third);
            if (dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err) != DV_OK) fail_msg("%s", err);
            same_kv(r, r2);
            dv_parquet_reader_free(r2);
            copied++;
        }
        dv_parquet_reader_free(r);
    }
    closedir(d);
    printf("parquet-testing: %zu files with key_value_metadata copied\n", copied);
    assert_true(copied >= 30);
    unlink(cp);
}

static int keep_first_out(uint64_t i) { return i != 0; }

/* Whether a copy of src decodes (every row group; some files use what the copy path refuses) */
static int copy_reads(dv_parquet_reader *src)
{
    dv_parquet_writer *w = NULL;
    char path[512], err[512];
    int ok = 1;
    tmp_path(path, sizeof path, "probe");
    if (dv_parquet_writer_create_copy(path, src, NULL, &w, err, sizeof err) != DV_OK) return 0;
    for (size_t g = 0; ok && g < dv_parquet_reader_num_row_groups(src); g++)
        ok = dv_parquet_writer_copy_row_group(w, src, g, NULL) == DV_OK;
    dv_parquet_writer_free(w);
    unlink(path);
    return ok;
}

/* With raw_groups: how many column chunks of row groups [g0, ngroups) of src are in the copy
 * (row groups from g0c on) byte for byte, with the source's statistics (min/max only where
 * the source's column orders allow); fails on a chunk that src could give as bytes and the
 * copy does not hold as they were. */
static size_t raw_chunks_same(dv_parquet_reader *src, size_t g0, const char *cp, size_t g0c)
{
    dv_parquet_reader *r2 = NULL;
    char err[512];
    size_t same = 0;
    if (dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err) != DV_OK) fail_msg("%s", err);
    assert_int_equal(dv_parquet_reader_num_row_groups(r2) - g0c,
                     dv_parquet_reader_num_row_groups(src) - g0);
    for (size_t g = g0; g < dv_parquet_reader_num_row_groups(src); g++) {
        size_t gc = g - g0 + g0c;
        int whole = 1;
        assert_int_equal(dv_parquet_reader_row_group_rows(r2, gc),
                         dv_parquet_reader_row_group_rows(src, g));
        /* a row group is copied as bytes only when every chunk of it can be */
        for (size_t c = 0; c < dv_parquet_reader_num_columns(src) && whole; c++) {
            dv__pq_raw a;
            whole = dv__pq_raw_chunk(src, g, c, &a) == DV_OK;
        }
        for (size_t c = 0; c < dv_parquet_reader_num_columns(src) && whole; c++) {
            dv__pq_raw a, b;
            uint8_t *keep;
            dv_parquet_stats sa, sb;
            assert_int_equal(dv__pq_raw_chunk(src, g, c, &a), DV_OK);
            keep = malloc(a.len + 1);
            assert_non_null(keep);
            memcpy(keep, a.bytes, a.len);
            assert_int_equal(dv__pq_raw_chunk(r2, gc, c, &b), DV_OK);
            assert_int_equal(b.len, a.len);
            assert_memory_equal(b.bytes, keep, a.len);
            free(keep);
            same_chunk_kv(src, g, r2, gc, c); /* the chunk's own key_value_metadata */
            assert_int_equal(dv_parquet_reader_stats(src, g, c, &sa), DV_OK);
            assert_int_equal(dv_parquet_reader_stats(r2, gc, c, &sb), DV_OK);
            assert_true(sb.null_count == sa.null_count);
            if (sb.min) {
                /* min/max only from the source's min_value/max_value */
                assert_non_null(sa.min);
                assert_int_equal(sb.min_len, sa.min_len);
                assert_memory_equal(sb.min, sa.min, sa.min_len);
                assert_int_equal(sb.max_len, sa.max_len);
                assert_memory_equal(sb.max, sa.max, sa.max_len);
            }
            same++;
        }
    }
    dv_parquet_reader_free(r2);
    return same;
}

/* raw_groups: row groups nothing is removed from are written as their bytes (a source in
 * three row groups of 2 rows: the first loses a row and is encoded again, the other two are
 * the source's chunks, with their statistics); test_copy_bad_levels: corrupt levels. */
static void test_copy_raw(void **state)
{
    char src[512], src3[512], cp[512], err[512];
    dv_parquet_reader *r = NULL, *r3 = NULL;
    dv_parquet_writer_opts o;
    (void)state;
    tmp_path(src, sizeof src, "rawsrc");
    tmp_path(src3, sizeof src3, "rawsrc3");
    tmp_path(cp, sizeof cp, "rawcopy");
    assert_int_equal(pqg_write_shapes(src), 0);
    assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
    memset(&o, 0, sizeof o);
    o.row_group_rows = 2;
    copy_with(r, src3, NULL, &o);
    assert_int_equal(dv_parquet_reader_open(src3, NULL, &r3, err, sizeof err), DV_OK);
    assert_int_equal(dv_parquet_reader_num_row_groups(r3), 3);
    memset(&o, 0, sizeof o);
    o.raw_groups = 1;
    o.wipe = 1;
    copy_with(r3, cp, keep_first_out, &o);
    check_copy(r3, cp, keep_first_out);
    assert_int_equal(raw_chunks_same(r3, 1, cp, 1), 2 * dv_parquet_reader_num_columns(r3));
    /* every row kept: the whole file's chunks */
    copy_with(r3, cp, NULL, &o);
    check_copy(r3, cp, NULL);
    assert_int_equal(raw_chunks_same(r3, 0, cp, 0), 3 * dv_parquet_reader_num_columns(r3));
    /* without the flag: encoded again (one row group of up to 1,000,000 rows) */
    o.raw_groups = 0;
    copy_with(r3, cp, NULL, &o);
    check_copy(r3, cp, NULL);
    {
        dv_parquet_reader *r2 = NULL;
        assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_reader_num_row_groups(r2), 1);
        dv_parquet_reader_free(r2);
    }
    dv_parquet_reader_free(r3);
    dv_parquet_reader_free(r);

    unlink(src);
    unlink(src3);
    unlink(cp);
}

/* raw_groups over every parquet-testing file that reads (codecs, dictionaries, data page v2,
 * page indexes, bloom filters, nested columns): with every row kept each chunk the reader can
 * give as bytes is in the copy as it was and the rows are the source's; without the first row,
 * the first row group is encoded again and the others stay bytes. A file with a corrupt page
 * checksum is copied as it is: its copy fails the check as the source does. */
static void test_copy_raw_pt(void **state)
{
    char dir[1024], cp[512], path[1400], err[512];
    DIR *d;
    struct dirent *e;
    size_t files = 0, chunks = 0;
    dv_parquet_writer_opts o;
    dv_parquet_reader *r = NULL, *r2 = NULL;
    (void)state;
    if (tu_shared(PT, dir, sizeof(dir)) == NULL) {
        printf("SKIP: ../shared/parquet-testing not found\n");
        return;
    }
    memset(&o, 0, sizeof o);
    o.codec = DV_PQ_SNAPPY;
    o.raw_groups = 1;
    tmp_path(cp, sizeof cp, "rawpt");
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        int skip = l <= 8 || strcmp(e->d_name + l - 8, ".parquet") != 0;
        for (size_t k = 0; k < sizeof(kMustFail) / sizeof(kMustFail[0]) && !skip; k++)
            skip = strcmp(e->d_name, kMustFail[k]) == 0;
        if (skip || strcmp(e->d_name, "large_string_map.brotli.parquet") == 0) continue;
        snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
        if (dv_parquet_reader_open(path, NULL, &r, err, sizeof err) != DV_OK) continue;
        if (dv_parquet_reader_num_rows(r) == 0 || !copy_reads(r)) {
            dv_parquet_reader_free(r);
            continue;
        }
        copy_with(r, cp, NULL, &o);
        check_copy(r, cp, NULL);
        chunks += raw_chunks_same(r, 0, cp, 0);
        if (dv_parquet_reader_row_group_rows(r, 0) > 1) {
            copy_with(r, cp, keep_first_out, &o);
            check_copy(r, cp, keep_first_out);
            (void)raw_chunks_same(r, 1, cp, 1);
        }
        dv_parquet_reader_free(r);
        files++;
    }
    closedir(d);
    printf("parquet-testing: %zu files copied with raw row groups, %zu chunks as bytes\n", files,
           chunks);
    assert_true(files >= 40);
    assert_true(chunks >= 200);

    snprintf(path, sizeof(path), "%sdatapage_v1-corrupt-checksum.parquet", dir);
    assert_int_equal(dv_parquet_reader_open(path, NULL, &r, err, sizeof err), DV_OK);
    copy_with(r, cp, NULL, &o);
    assert_int_equal(dv_parquet_reader_open(cp, NULL, &r2, err, sizeof err), DV_OK);
    {
        int bad_src = 0, bad_cp = 0;
        dv__pq_column_data cd;
        for (size_t c = 0; c < dv_parquet_reader_num_columns(r); c++) {
            bad_src |= dv__pq_read_column(r, 0, c, 0, &cd) == DV_ECORRUPT;
            bad_cp |= dv__pq_read_column(r2, 0, c, 0, &cd) == DV_ECORRUPT;
        }
        assert_true(bad_src && bad_cp);
    }
    dv_parquet_reader_free(r2);
    dv_parquet_reader_free(r);
    unlink(cp);
}

/* Every file the writer makes is 0600 from its creation (a copy holds the kept images: one that
 * was 0644 until closed could be opened, and read later, by anyone), whatever the umask, and a
 * file of an earlier run that was 0644 is 0600 once truncated. */
static void test_writer_mode(void **state)
{
    char path[512], err[512];
    dv_parquet_field f = {"x", DV_PQ_INT32, 0, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, 0};
    dv_parquet_writer *w = NULL;
    struct stat st;
    mode_t old = umask(0);
    FILE *fp;
    (void)state;
    tmp_path(path, sizeof path, "mode");
    unlink(path);
    assert_int_equal(dv_parquet_writer_create(path, &f, 1, NULL, &w, err, sizeof err), DV_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(dv_parquet_writer_create(path, &f, 1, NULL, &w, err, sizeof err), DV_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    dv_parquet_writer_free(w); /* never closed: removed */
    assert_int_not_equal(stat(path, &st), 0);
    umask(old);
}

static int keep_odd_out(uint64_t i) { return i % 2 == 0; }

/* dv_parquet_writer_opts.wipe on a cleaned copy of a file of images: no block the writer or the
 * reader frees or grows holds an image's bytes (columns, pages, compressed pages, dictionary,
 * statistics, footer, stdio's buffer), for every codec; each copy_row_group leaves the reader's
 * buffers zeroed (the removed images do not wait for the next row group); without wipe the
 * allocator does see them (the check can fail). */
static void test_copy_wipe(void **state)
{
    static uint8_t img[40000];
    static const dv_pq_codec codecs[] = {DV_PQ_UNCOMPRESSED, DV_PQ_SNAPPY, DV_PQ_GZIP,
                                         DV_PQ_ZSTD, DV_PQ_LZ4_RAW, DV_PQ_BROTLI};
    char src[512], cp[512], err[512];
    (void)state;
    memset(img, 0xAB, sizeof img);
    tmp_path(src, sizeof src, "wsrc");
    tmp_path(cp, sizeof cp, "wcopy");
    write_image_file(src, DV_PQ_UNCOMPRESSED, img);
    for (int codec = 0; codec < 6; codec++)
        for (int wipe = 0; wipe < 2; wipe++) {
            watch_alloc wa = {0};
            dv_alloc a = {wa_malloc, wa_realloc, wa_free, &wa};
            dv_parquet_reader_opts ro;
            dv_parquet_writer_opts wo;
            dv_parquet_reader *r;
            dv_parquet_writer *w;
            uint64_t base = 0;
            memset(&ro, 0, sizeof ro);
            ro.alloc = &a;
            ro.wipe = 1;
            memset(&wo, 0, sizeof wo);
            wo.alloc = &a;
            wo.wipe = wipe;
            wo.codec = codecs[codec];
            wo.row_group_rows = 2;
            wo.dictionary_max_bytes = 1 << 20; /* dictionary tried first: w->tmp holds images */
            assert_int_equal(dv_parquet_reader_open(src, &ro, &r, err, sizeof err), DV_OK);
            assert_int_equal(dv_parquet_writer_create_copy(cp, r, &wo, &w, err, sizeof err), DV_OK);
            for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
                uint64_t rows = dv_parquet_reader_row_group_rows(r, g), len;
                uint8_t keep[8];
                dv__pq_column_data cd;
                for (uint64_t i = 0; i < rows; i++) keep[i] = (uint8_t)keep_odd_out(base + i);
                /* the slot copy_row_group reads the image column into, at the size it will
                 * have: the same buffer after it */
                assert_int_equal(dv__pq_read_column(r, g, 1, 1, &cd), DV_OK);
                len = cd.batch.offsets[cd.batch.rows];
                assert_true(has_run(cd.batch.data, (size_t)len));
                assert_int_equal(dv_parquet_writer_copy_row_group(w, r, g, keep), DV_OK);
                if (wipe)
                    for (uint64_t i = 0; i < len; i++) assert_int_equal(cd.batch.data[i], 0);
                base += rows;
            }
            assert_int_equal(dv_parquet_writer_close(w), DV_OK);
            dv_parquet_writer_free(w);
            if (wipe) assert_int_equal(wa.leaked, 0);
            check_copy(r, cp, keep_odd_out);
            dv_parquet_reader_free(r);
            if (!wipe) assert_true(wa.leaked > 0);
        }
    unlink(src);
    unlink(cp);
}

/* Apache's nested files cleaned (every third row from the second removed, row groups of 2):
 * the same schema, and the kept rows entry for entry; DuckDB reads them in parquet_duckdb. */
static void test_copy_nested_pt(void **state)
{
    static const char *const files[] = {
        "nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "list_columns.parquet",
        "null_list.parquet", "repeated_no_annotation.parquet", "repeated_primitive_no_list.parquet",
        "map_no_value.parquet", "old_list_structure.parquet", "incorrect_map_schema.parquet",
        "nonnullable.impala.parquet", "nullable.impala.parquet", "datapage_v2.snappy.parquet",
        "nested_structs.rust.parquet"};
    dv_parquet_writer_opts o;
    char cp[512];
    (void)state;
    memset(&o, 0, sizeof o);
    o.row_group_rows = 2;
    o.codec = DV_PQ_SNAPPY;
    tmp_path(cp, sizeof cp, "pt");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        dv_parquet_reader *r = open_pt(files[i]);
        if (r == NULL) return; /* SKIP printed */
        copy_with(r, cp, keep_third, &o);
        check_copy(r, cp, keep_third);
        dv_parquet_reader_free(r);
    }
    unlink(cp);
}

/* A LAION-like file (url, hex md5 and sha256 strings, punsafe, width, a status of one value)
 * of zstd (then brotli) pages and row groups of 20,000 rows, copied with like_source and every
 * 100th row removed: the copy's chunks are the source's codec, dictionary-encoded where the
 * source's are and PLAIN where not, in row groups of 20,000 rows, and the file is within 10% of
 * the source's size less the removed rows (with snappy and 1,000,000-row groups, as cleaned
 * copies were written before, it is about 1.5 times the source's; a brotli source's copy was
 * snappy, as the writer had no brotli); without like_source the copy is the writer's own. */
static void copy_like_source(dv_pq_codec codec)
{
    dv_parquet_field f[6] = {
        {.name = "url", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
        {.name = "md5", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
        {.name = "sha256", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
        {.name = "punsafe", .type = DV_PQ_DOUBLE, .optional = 1},
        {.name = "width", .type = DV_PQ_INT64, .optional = 1},
        {.name = "status", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    };
    const uint64_t nrows = 100000;
    dv_parquet_writer_opts o = {0};
    dv_parquet_writer *w = NULL;
    dv_parquet_reader *r = NULL;
    char src[512], cp[512], err[512];
    struct stat a, b;
    uint8_t *keep;
    uint64_t seed = 42;
    tmp_path(src, sizeof src, "like-src");
    tmp_path(cp, sizeof cp, "like-copy");
    o.codec = codec;
    o.row_group_rows = 20000;
    assert_int_equal(dv_parquet_writer_create(src, f, 6, &o, &w, err, sizeof err), DV_OK);
    for (uint64_t i = 0; i < nrows; i++) {
        dv_parquet_value v[6];
        char url[96], md5[33], sha[65];
        memset(v, 0, sizeof v);
        for (int k = 0; k < 64; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            sha[k] = "0123456789abcdef"[(seed >> 33) & 15];
        }
        memcpy(md5, sha + 16, 32);
        snprintf(url, sizeof url, "https://cdn%u.example.com/img/%.24s.jpg",
                 (unsigned)(i % 50), sha + 40);
        v[0].bytes = (const uint8_t *)url;
        v[0].len = strlen(url);
        v[1].bytes = (const uint8_t *)md5;
        v[1].len = 32;
        v[2].bytes = (const uint8_t *)sha;
        v[2].len = 64;
        v[3].f64 = (double)(seed >> 11) / 9007199254740992.0;
        v[4].i64 = (int64_t)(100 + i % 900);
        v[5].bytes = (const uint8_t *)"success";
        v[5].len = 7;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    w = NULL;

    for (int like = 0; like < 2; like++) {
        const dv__pq_file_meta *m;
        uint64_t kept = 0;
        dv_parquet_writer_opts co = {0};
        co.codec = DV_PQ_SNAPPY;
        co.like_source = like;
        assert_int_equal(dv_parquet_reader_open(src, NULL, &r, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_writer_create_copy(cp, r, &co, &w, err, sizeof err), DV_OK);
        keep = malloc(20000);
        assert_non_null(keep);
        for (size_t g = 0, base = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
            uint64_t n = dv_parquet_reader_row_group_rows(r, g);
            assert_true(n <= 20000);
            for (uint64_t i = 0; i < n; i++) kept += keep[i] = (base + i) % 100 != 7;
            assert_int_equal(dv_parquet_writer_copy_row_group(w, r, g, keep), DV_OK);
            base += n;
        }
        free(keep);
        assert_int_equal(dv_parquet_writer_close(w), DV_OK);
        dv_parquet_writer_free(w);
        w = NULL;
        dv_parquet_reader_free(r);
        assert_int_equal(stat(src, &a), 0);
        assert_int_equal(stat(cp, &b), 0);
        assert_int_equal(dv_parquet_reader_open(cp, NULL, &r, err, sizeof err), DV_OK);
        assert_int_equal(dv_parquet_reader_num_rows(r), kept);
        m = dv__pq_reader_meta(r);
        if (like) {
            /* within 10% of the source's bytes for the rows kept */
            assert_true((double)b.st_size <= 1.10 * (double)a.st_size * (double)kept / nrows);
            assert_int_equal(m->nrow_groups, 5);
            for (uint32_t g = 0; g < m->nrow_groups; g++) {
                assert_true(m->row_groups[g].num_rows <= 20000);
                for (uint32_t c = 0; c < 6; c++) {
                    const dv__pq_chunk *ch = &m->row_groups[g].columns[c];
                    assert_int_equal(ch->codec, codec);
                    /* the source's dictionary: status only (the hashes are distinct, and
                     * the writer's own files never dictionary-encode an INT64) */
                    assert_int_equal(ch->dictionary_page_offset >= 0, c == 5);
                }
            }
        } else {
            assert_int_equal(m->nrow_groups, 1);
            assert_int_equal(m->row_groups[0].columns[0].codec, DV_PQ_SNAPPY);
        }
        dv_parquet_reader_free(r);
        r = NULL;
    }
    unlink(src);
    unlink(cp);
}

static void test_copy_like_source(void **state)
{
    (void)state;
    copy_like_source(DV_PQ_ZSTD);
    copy_like_source(DV_PQ_BROTLI);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_alltypes),
        cmocka_unit_test(test_datapage_v2),
        cmocka_unit_test(test_nested_refused),
        cmocka_unit_test(test_structs),
        cmocka_unit_test(test_lz4_variants),
        cmocka_unit_test(test_delta),
        cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_nulls_and_checksums),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_footer_budget),
        cmocka_unit_test(test_row_counts_past_2_63),
        cmocka_unit_test(test_stats_long_values),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_copy_nested),
        cmocka_unit_test(test_nodes_levels),
        cmocka_unit_test(test_copy_bad_levels),
        cmocka_unit_test(test_copy_nested_pt),
        cmocka_unit_test(test_copy_kv),
        cmocka_unit_test(test_copy_kv_pt),
        cmocka_unit_test(test_copy_raw),
        cmocka_unit_test(test_copy_raw_pt),
        cmocka_unit_test(test_copy_chunk_kv),
        cmocka_unit_test(test_writer_mode),
        cmocka_unit_test(test_copy_wipe),
        cmocka_unit_test(test_copy_like_source),
    };
    return cmocka_run_group_tests_name("parquet", tests, NULL, NULL);
}
