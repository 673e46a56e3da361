/* fuzz_merge.c - libFuzzer target for the scan's merge reading a per-shard record file
 * (shards/NNNNNN.rec: findings, errors, fetch statuses, counters, inputs, END) into
 * matches.jsonl/.parquet, errors.jsonl, fetch.jsonl, summary.json, report.html and
 * removal.txt. The input is the record file of shard 0 of a one-shard scan whose parameters
 * are fixed here (written by datavet itself, not fuzzed); the outputs go to a scratch
 * directory. The merge must fail with a message or succeed, and what it writes as UTF-8 (the
 * JSON files, report.html, matches.parquet's STRING columns) must be UTF-8, whatever bytes
 * the records hold; broken promises abort. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datavet.h"
#include "scratch_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the parameters of a real one-shard scan, with the dataset path made empty */
static const char params[] =
    "datavet_version\t0.1.0\n"
    "dataset\t/nonexistent/fuzz_merge\n"
    "layout\timg2dataset\n"
    "shards\t1\n"
    "list\tmd5.dvl\n"
    "list_name\t\n"
    "list_version\t\n"
    "list_type\tmd5\n"
    "list_digest\tc618d59795ae7486aa7fc4b99cdf486d583278eee34778b0b98d9f6aef772d59\n"
    "list_entries\t1\n"
    "list\tpdq.dvl\n"
    "list_name\t\n"
    "list_version\t\n"
    "list_type\tpdq\n"
    "list_digest\te87fbeeda884bd7f96d51f3b79ab2f192acedef350fdff21a948eb6b7ed97c8a\n"
    "list_entries\t1\n"
    "dihedral\tfalse\n"
    "pdq_radius\t31\n"
    "fast\tfalse\n"
    "max_pixels\t128000000\n"
    "max_image_bytes\t268435456\n"
    "flag_punsafe\toff\n"
    "flag_terms\t\n"
    "url_col\t\n"
    "caption_col\t\n"
    "id_col\t\n"
    "keep_candidates\tfalse\n"
    "fetch\tfalse\n"
    "neighbors_min_sim\toff\n"
    "decoys\t1000\n"
    "shard.000000\t00000\n";


static void cleanup(void)
{
    static const char *const names[] = {
        "scan.params",   "shards/000000.rec", "shards/000000.done", "matches.jsonl",
        "matches.parquet", "errors.jsonl",    "fetch.jsonl",        "removal.txt",
        "summary.json",  "report.html"};
    char path[640];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
    snprintf(path, sizeof path, "%s/shards", dir);
    (void)rmdir(path);
    (void)rmdir(dir);
}

static void must_be_utf8(const void *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += dv_utf8_next((const uint8_t *)p + i, n - i, &c);
        if (c == DV_UTF8_BAD) abort();
    }
}

/* the outputs that must be UTF-8, after a merge that succeeded */
static void check_text(void)
{
    static const char *const names[] = {"matches.jsonl", "errors.jsonl", "summary.json",
                                        "report.html"};
    char path[640], err[256];
    dv_parquet_reader *r;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *buf;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (dv_read_file(path, 1u << 30, NULL, &buf, &len, err, sizeof err) != DV_OK) abort();
        must_be_utf8(buf, len);
        dv_free_buffer(NULL, buf);
    }
    snprintf(path, sizeof path, "%s/matches.parquet", dir);
    if (dv_parquet_reader_open(path, NULL, &r, err, sizeof err) != DV_OK) abort();
    for (size_t rg = 0; rg < dv_parquet_reader_num_row_groups(r); rg++) {
        for (size_t c = 0; c < dv_parquet_reader_num_columns(r); c++) {
            dv_parquet_column_info ci;
            dv_parquet_batch b;
            if (dv_parquet_reader_column(r, c, &ci) != DV_OK) abort();
            if (ci.type != DV_PQ_BYTE_ARRAY) continue;
            if (dv_parquet_reader_read_row_group(r, rg, &c, 1, &b) != DV_OK) abort();
            for (uint64_t row = 0; row < b.rows; row++) {
                dv_parquet_value v;
                if (dv_parquet_batch_value(&b, row, &v) != DV_OK) abort();
                if (!v.is_null) must_be_utf8(v.bytes, v.len);
            }
        }
    }
    dv_parquet_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_scan_result res;
    char err[1024];
    if (dir[0] == '\0') {
        char sub[600];
        scratch_make("fuzz_merge");
        snprintf(sub, sizeof sub, "%s/shards", dir);
        if (mkdir(sub, 0700) != 0) abort();
        put("scan.params", params, sizeof params - 1);
        put("shards/000000.done", "", 0);
        atexit(cleanup);
    }
    put("shards/000000.rec", data, size);
    int rc = dv_scan_merge(dir, NULL, &res, err, sizeof err);
    if (rc == DV_OK) {
        if (!res.merged) abort();
        check_text();
    } else if (rc > 0 || err[0] == '\0') {
        abort();
    }
    return 0;
}
