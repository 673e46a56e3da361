/* fuzz_merge.c - libFuzzer target for the scan's merge reading a per-shard record file
 * (shards/NNNNNN.rec: findings, errors, fetch statuses, counters, inputs, END) into
 * matches.jsonl/.parquet, errors.jsonl, fetch.jsonl, summary.json, report.html and
 * removal.txt. The input is the record file of shard 0 of a one-shard scan whose parameters
 * are fixed here (written by datavet itself, not fuzzed); the outputs go to a scratch
 * directory. The merge must fail with a message or succeed; broken promises abort. */
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
    } else if (rc > 0 || err[0] == '\0') {
        abort();
    }
    return 0;
}
