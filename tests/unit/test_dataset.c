/* test_dataset.c - the dataset reader over a parquet shard: the metadata roles found by column
 * name, and dv_dataset_opts.skip leaving out exactly the columns it names; and the threads a
 * scan of several shards runs (its shard workers, no idle pool beside them). */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"
#include "io/io_readers.h" /* dv__dataset_skip, DV__SKIP_MEMBER_DATA */
#include "pq_gen.h"

#define ROWS 5
/* the digests of no bytes */
#define E_MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define E_SHA1 "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define E_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* DIR/NAME with url, caption, md5 (hex), punsafe columns */
static void write_shard(const char *dir, const char *name)
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
    snprintf(path, sizeof path, "%s/%s", dir, name);
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
    write_shard(dir, "part-0.parquet");
    read_with(dir, 0);
    read_with(dir, DV_SKIP_CAPTION);
    read_with(dir, DV_SKIP_MD5 | DV_SKIP_PUNSAFE);
    read_with(dir, DV_SKIP_CAPTION | DV_SKIP_MD5 | DV_SKIP_SHA1 | DV_SKIP_SHA256 | DV_SKIP_PUNSAFE);
    snprintf(path, sizeof path, "%s/part-0.parquet", dir);
    unlink(path);
    rmdir(dir);
}

/* Threads of this process now (Linux /proc), 0 where that cannot be read */
static int threads_now(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef struct thread_watch {
    int most, before;
    pthread_t caller;
} thread_watch;

/* From a shard worker (under the run's lock, so no worker takes a shard or leaves
 * meanwhile) it waits, 2 s at most, for the 4 workers to be running: one that finished its
 * shard before the last was started (a slow or loaded machine, a ThreadSanitizer build)
 * would else be counted 3 */
static void most_threads(void *ctx, const dv_scan_progress *p)
{
    thread_watch *t = ctx;
    int n = threads_now();
    (void)p;
    for (int i = 0; i < 200 && !pthread_equal(pthread_self(), t->caller) && n - t->before < 4;
         i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        n = threads_now();
    }
    if (n > t->most) t->most = n;
}

/* 4 shards at -j 4: 4 shard workers (a pool of one thread each) beside the calling thread,
 * and no pool of the run's own idling beside them (it had 3 more threads) */
static void test_worker_threads(void **state)
{
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", data[600], out[600], err[512], path[700];
    dv_scan_opts o;
    dv_scan_result res;
    thread_watch tw = {0, threads_now(), pthread_self()}; /* (this thread, and any a library
                                                              started) */
    int most, before = tw.before;
    (void)state;
    if (before == 0) {
        printf("SKIP: /proc/self/task cannot be read: thread count not checked\n");
        return;
    }
    assert_non_null(mkdtemp(dir));
    snprintf(data, sizeof data, "%s/data", dir);
    assert_int_equal(mkdir(data, 0700), 0);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "part-%d.parquet", i);
        write_shard(data, name);
    }
    snprintf(out, sizeof out, "%s/out", dir);
    memset(&o, 0, sizeof o);
    o.dataset = data;
    o.outdir = out;
    o.threads = 4;
    o.flag_punsafe = 0.5;
    o.pdq_radius = -1;
    o.no_merge = 1;
    o.progress = most_threads;
    o.progress_ctx = &tw;
    if (dv_scan_run(&o, &res, err, sizeof err) != DV_OK) fail_msg("scan: %s", err);
    most = tw.most;
    assert_int_equal(res.progress.items, 4 * ROWS);
    if (most - before != 4)
        fprintf(stderr, "threads during the scan: %d more, want 4\n", most - before);
    assert_int_equal(most - before, 4);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* Read DIR's one shard to its end, at most `most` calls: how many items, errors, and whether
 * it ended */
static void drain(const char *dir, int most, int *items, int *errors, int *ended)
{
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    char err[512];
    *items = *errors = *ended = 0;
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_num_shards(ds), 1);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    for (int i = 0; i < most; i++) {
        int rc = dv_shard_reader_next(r, &it);
        if (rc == 0) {
            *ended = 1;
            break;
        }
        if (rc == 1) ++*items;
        else ++*errors;
    }
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
}

/* A footer that claims 2^40 rows over a column of 3 values, none of whose columns a scan
 * reads: the row group is an error, not 2^40 items (the reader gave them, one by one) */
static void test_claimed_rows(void **state)
{
    static const pqg_node sch[] = {{"schema", -1, 0, 1, -1, 0, 0},
                                   {"foo", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0}};
    static const int32_t v[3] = {1, 2, 3};
    const pqg_column c = {3, NULL, NULL, v, NULL};
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600];
    int items, errors, ended;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/part-0.parquet", dir);
    assert_int_equal(pqg_write(path, sch, 2, &c, 1, (uint64_t)1 << 40), 0);
    drain(dir, 1000, &items, &errors, &ended);
    assert_int_equal(items, 0);
    assert_int_equal(errors, 1);
    assert_true(ended);
    /* the same column holding its 3 rows: 3 items */
    assert_int_equal(pqg_write(path, sch, 2, &c, 1, 3), 0);
    drain(dir, 1000, &items, &errors, &ended);
    assert_int_equal(items, 3);
    assert_int_equal(errors, 0);
    assert_true(ended);
    unlink(path);
    rmdir(dir);
}

/* scan --clean of a file whose footer claims 2^40 rows over a URL column of 3 values: the
 * scan reports the row group unread and the copy leaves the shard out (a shard with read
 * errors is not copied; clean.c's own bound on a row group's claimed rows is a second line) */
static void test_claimed_rows_clean(void **state)
{
    static const pqg_node sch[] = {{"schema", -1, 0, 1, -1, 0, 0},
                                   {"url", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 1, 0}};
    static const char *const v[3] = {"https://a.test/1", "https://a.test/2", "https://a.test/3"};
    const pqg_column c = {3, NULL, NULL, v, NULL};
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", data[600], out[600], cl[600], err[512];
    char path[700];
    dv_scan_opts o;
    dv_scan_result res;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(cl, sizeof cl, "%s/clean", dir);
    assert_int_equal(mkdir(data, 0700), 0);
    snprintf(path, sizeof path, "%s/part-0.parquet", data);
    assert_int_equal(pqg_write(path, sch, 2, &c, 1, (uint64_t)1 << 40), 0);
    memset(&o, 0, sizeof o);
    o.dataset = data;
    o.outdir = out;
    o.threads = 1;
    o.flag_punsafe = 0.5;
    o.pdq_radius = -1;
    o.clean_dir = cl;
    rc = dv_scan_run(&o, &res, err, sizeof err);
    if (rc != DV_OK) fail_msg("scan --clean: %d %s", rc, err);
    assert_true(res.read_errors > 0);
    assert_int_equal(res.clean_left, 1);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* Append a ustar member NAME holding data[0..n) to f. */
static void tar_put(FILE *f, const char *name, const void *data, size_t n)
{
    unsigned char h[512];
    unsigned sum = 0;
    static const unsigned char zero[512];
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)n);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    assert_int_equal(fwrite(h, 1, 512, f), 512);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fwrite(zero, 1, (512 - n % 512) % 512, f), (512 - n % 512) % 512);
}

/* A webdataset sample of several images is an item per image, in archive order: by extension
 * (any case, the last part of 000.seg.png), or by its bytes under another extension; the
 * sample's .json and .txt go with its first item, the id and URL with every one; an image over
 * the size limit is an item with that problem; a sample without an image is one item. */
static void test_wds_images(void **state)
{
    static const char png[16] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    static const char json[] = "{\"url\": \"https://a.test/k0\", \"md5\": "
                               "\"00112233445566778899aabbccddeeff\", \"punsafe\": 0.5}";
    static const struct {
        const char *name, *data;
    } mem[] = {
        {"k0.json", json}, {"k0.jpg", "A-image"}, {"k0.txt", "a caption"}, {"k0.PNG", "B-image"},
        {"k0.seg.png", "C-image"}, {"k0.dat", NULL}, {"k0.cls", "7"},
        {"k1.cls", "3"},
        {"k2.JPG", "E-image"}, {"k2.jpg", "F-image"}, {"k2.png", NULL /* big */},
    };
    static const struct {
        const char *id, *image; /* image NULL: none; "big": over the limit */
        int sample;
        unsigned list_index;
    } want[] = {
        {"k0", "A-image", 0, 0}, {"k0", "B-image", 0, 1}, {"k0", "C-image", 0, 2},
        {"k0", "png", 0, 3},     {"k1", NULL, 1, 0},      {"k2", "E-image", 2, 0},
        {"k2", "F-image", 2, 1}, {"k2", "big", 2, 2},
    };
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512], big[3000];
    size_t n = 0;
    dv_dataset_opts o;
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    memset(big, 'x', sizeof big);
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++) {
        if (strcmp(mem[i].name, "k0.dat") == 0) tar_put(f, mem[i].name, png, sizeof png);
        else if (mem[i].data) tar_put(f, mem[i].name, mem[i].data, strlen(mem[i].data));
        else tar_put(f, mem[i].name, big, sizeof big);
    }
    {
        static const unsigned char eoa[1024];
        assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    }
    assert_int_equal(fclose(f), 0);
    memset(&o, 0, sizeof o);
    o.max_image_bytes = 2000;
    assert_int_equal(dv_dataset_open(dir, &o, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_WEBDATASET);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof want / sizeof want[0]);
        assert_string_equal(it.id, want[n].id);
        assert_int_equal(it.sample, want[n].sample);
        assert_int_equal(it.row, (uint64_t)want[n].sample);
        assert_int_equal(it.list_index, want[n].list_index);
        if (want[n].image == NULL) {
            assert_null(it.image);
            assert_int_equal(it.problem, 0);
        } else if (strcmp(want[n].image, "big") == 0) {
            assert_null(it.image);
            assert_int_equal(it.problem, DV_ETOOBIG);
            assert_string_equal(it.image_name, "k2.png");
        } else if (strcmp(want[n].image, "png") == 0) {
            assert_int_equal(it.image_len, sizeof png);
            assert_memory_equal(it.image, png, sizeof png);
            assert_string_equal(it.image_name, "k0.dat");
        } else {
            assert_int_equal(it.image_len, strlen(want[n].image));
            assert_memory_equal(it.image, want[n].image, it.image_len);
        }
        if (want[n].sample == 0) {
            /* the URL for every record; what is matched or flagged, once */
            assert_non_null(it.url);
            assert_string_equal(it.url, "https://a.test/k0");
            assert_int_equal(it.have != 0, it.list_index == 0);
            assert_int_equal(it.has_punsafe, it.list_index == 0);
            assert_int_equal(it.caption != NULL, it.list_index == 0);
        }
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof want / sizeof want[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* A webdataset sample's .json gives the item its md5, sha1 and sha256 members (hex, any case,
 * blanks around it dropped),
 * as a parquet row's columns do: a SHA-1 list checks a metadata-only sample by its sha1 (until
 * 2026-12-07 the member was not read: no finding, no error). A member is text: 16 characters
 * are no MD5 but bad_digest (until 2026-12-07 taken as the raw digest: counted as checked,
 * nothing said). */
static void test_wds_json_digests(void **state)
{
    static const struct {
        const char *name, *data;
        unsigned have, bad;
    } mem[] = {
        {"k0.json", "{\"sha1\": \"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\"}", DV_ALGO_SHA1, 0},
        {"k1.json", "{\"md5\": \"d41d8cd98f00b204e9800998ecf8427e\", \"sha1\": "
                    "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\", \"sha256\": "
                    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}",
         DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, 0},
        /* blanks around the hex are no part of it, as in a list's lines (until 2026-12-07 the
         * digest was taken as absent: not checked, and nothing said) */
        {"k2.json", "{\"md5\": \" D41D8CD98F00B204E9800998ECF8427E\\n\", \"sha1\": "
                    "\"\\tda39a3ee5e6b4b0d3255bfef95601890afd80709\\r\\n\", \"sha256\": "
                    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  \"}",
         DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, 0},
        {"k3.json", "{\"md5\": \"0123456789abcdef\", \"sha1\": \"" "da39a3ee5e6b4b0d3255bfef95601890"
                    "afd80709\", \"sha256\": \"0123456789abcdef0123456789abcdef\"}",
         DV_ALGO_SHA1, DV_ALGO_MD5 | DV_ALGO_SHA256},
    };
    static const uint8_t sha1[20] = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
                                     0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
    static const unsigned char eoa[1024];
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    size_t n = 0;
    dv_dataset_opts o;
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        tar_put(f, mem[i].name, mem[i].data, strlen(mem[i].data));
    assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    assert_int_equal(fclose(f), 0);
    memset(&o, 0, sizeof o);
    assert_int_equal(dv_dataset_open(dir, &o, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_WEBDATASET);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof mem / sizeof mem[0]);
        assert_int_equal(it.have, mem[n].have);
        assert_int_equal(it.bad_digest, mem[n].bad);
        assert_memory_equal(it.sha1, sha1, 20);
        if (it.have & DV_ALGO_MD5) assert_int_equal(it.md5[15], 0x7e);
        if (it.have & DV_ALGO_SHA256) assert_int_equal(it.sha256[31], 0x55);
        /* every value a .json member's, and text */
        assert_int_equal(it.digest_json, it.have | it.bad_digest);
        assert_int_equal(it.digest_text, it.have | it.bad_digest);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof mem / sizeof mem[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* A \u0000 in a webdataset sample's .json costs only the member that holds it: a member datavet
 * does not read is passed over, a name holding one is no name it reads ("url\u0000x" is not
 * url), a url holding one is no URL (url NULL, url_nul 1: the scan's bad_url) and a caption's
 * reads as a space, its words after it still there for --flag-terms. Until 2026-12-07 any
 * \u0000 made the whole .json unread (meta_unread: url, caption and digests all dropped). */
static void test_wds_json_nul(void **state)
{
    static const struct {
        const char *name, *data, *url, *caption;
        int url_nul;
    } mem[] = {
        {"k0.json", "{\"url\": \"https://x.test/0\", \"note\": \"a\\u0000b\", \"md5\": "
                    "\"d41d8cd98f00b204e9800998ecf8427e\"}", "https://x.test/0", NULL, 0},
        {"k1.json", "{\"url\": \"https://x.test/1\\u0000evil\", \"caption\": "
                    "\"ok\\u0000forbidden\", \"md5\": \"d41d8cd98f00b204e9800998ecf8427e\"}",
         NULL, "ok forbidden", 1},
        {"k2.json", "{\"url\": \"https://x.test/2\", \"url\\u0000x\": \"https://x.test/3\"}",
         "https://x.test/2", NULL, 0},
        {"k3.json", "{\"url\\u0000\": \"https://x.test/4\", \"caption\": \"\\u0000\"}", NULL, " ",
         0},
    };
    static const unsigned char eoa[1024];
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    size_t n = 0;
    dv_dataset_opts o;
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        tar_put(f, mem[i].name, mem[i].data, strlen(mem[i].data));
    assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    assert_int_equal(fclose(f), 0);
    memset(&o, 0, sizeof o);
    assert_int_equal(dv_dataset_open(dir, &o, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof mem / sizeof mem[0]);
        assert_int_equal(it.meta_unread, 0);
        assert_int_equal(it.url_nul, mem[n].url_nul);
        if (mem[n].url) assert_string_equal(it.url, mem[n].url);
        else assert_null(it.url);
        if (mem[n].caption) assert_string_equal(it.caption, mem[n].caption);
        else assert_null(it.caption);
        if (n < 2) assert_int_equal(it.have, DV_ALGO_MD5);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof mem / sizeof mem[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* A parquet hash column's values are raw bytes only where the column is binary (BYTE_ARRAY
 * without a STRING annotation, FIXED_LEN_BYTE_ARRAY) and the value has the digest's size;
 * hex is taken from either; a STRING column's value is text, so 16 characters are no MD5 but
 * bad_digest (dv_item.digest_text set: the scan's message then says "32 hex digits" only).
 * Until 2026-12-07 any 16-byte value was taken as a raw MD5, text or not: checked, nothing
 * said. */
/* dv__shard_reader_fraction, the progress within a shard: 0 before any item, never going
 * back, 1 once a parquet file's rows (of its footer's count) or a URL list's bytes are read */
static void fraction_walk(const char *dir)
{
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    char err[512];
    double last, f;
    int rc, n = 0;
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    last = dv__shard_reader_fraction(r);
    assert_true(last == 0.0);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        f = dv__shard_reader_fraction(r);
        assert_true(f >= last && f <= 1.0);
        last = f;
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, ROWS);
    assert_true(dv__shard_reader_fraction(r) == 1.0);
    assert_true(dv__shard_reader_fraction(NULL) < 0);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
}

static void test_shard_fraction(void **state)
{
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", dir2[] = "/tmp/dv_test_dataset.XXXXXX";
    char path[600];
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    write_shard(dir, "part-0.parquet");
    fraction_walk(dir);
    snprintf(path, sizeof path, "%s/part-0.parquet", dir);
    unlink(path);
    rmdir(dir);
    assert_non_null(mkdtemp(dir2));
    snprintf(path, sizeof path, "%s/urls.txt", dir2);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < ROWS; i++) fprintf(f, "https://example.com/%d.jpg\n", i);
    fclose(f);
    fraction_walk(dir2);
    unlink(path);
    rmdir(dir2);
}

static void test_pq_digest_types(void **state)
{
    static const uint8_t md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                    0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    static const uint8_t sha1[20] = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
                                     0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
    static const char *const names[4] = {"url", "md5", "sha1", "sha256"};
    static const struct {
        const char *md5, *sha1, *sha256;
        size_t md5_len, sha1_len, sha256_len;
        unsigned have, bad;
    } rows[2][2] = {
        /* b.parquet: md5 and sha256 BYTE_ARRAY, sha1 FIXED_LEN_BYTE_ARRAY(20), no annotation */
        {{(const char *)md5, (const char *)sha1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
          "a495991b7852b855", 16, 20, 64, DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, 0},
         {"0123456789abcdef", "ABCDEFGHIJKLMNOPQRST", "0123456789abcdef0123456789abcde", 16, 20,
          31, DV_ALGO_MD5 | DV_ALGO_SHA1, DV_ALGO_SHA256}},
        /* t.parquet: STRING columns */
        {{"0123456789abcdef", E_SHA1, "", 16, 40, 0, DV_ALGO_SHA1, DV_ALGO_MD5},
         {E_MD5, "ABCDEFGHIJKLMNOPQRST", "0123456789abcdef0123456789abcdef", 32, 20, 32,
          DV_ALGO_MD5, DV_ALGO_SHA1 | DV_ALGO_SHA256}},
    };
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    dv_dataset *ds;
    (void)state;
    assert_non_null(mkdtemp(dir));
    for (int file = 0; file < 2; file++) {
        dv_parquet_field fl[4];
        dv_parquet_writer *w;
        memset(fl, 0, sizeof fl);
        for (int c = 0; c < 4; c++) {
            fl[c].name = names[c];
            fl[c].type = DV_PQ_BYTE_ARRAY;
            fl[c].is_string = c == 0 || file == 1;
        }
        if (file == 0) fl[2].type = DV_PQ_FIXED_LEN_BYTE_ARRAY, fl[2].type_length = 20;
        snprintf(path, sizeof path, "%s/%s.parquet", dir, file ? "t" : "b");
        assert_int_equal(dv_parquet_writer_create(path, fl, 4, NULL, &w, err, sizeof err), DV_OK);
        for (int r = 0; r < 2; r++) {
            dv_parquet_value v[4];
            memset(v, 0, sizeof v);
            v[0].bytes = (const uint8_t *)"https://p.test/x", v[0].len = 16;
            v[1].bytes = (const uint8_t *)rows[file][r].md5, v[1].len = rows[file][r].md5_len;
            v[2].bytes = (const uint8_t *)rows[file][r].sha1, v[2].len = rows[file][r].sha1_len;
            v[3].bytes = (const uint8_t *)rows[file][r].sha256;
            v[3].len = rows[file][r].sha256_len;
            assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
        }
        assert_int_equal(dv_parquet_writer_close(w), DV_OK);
        dv_parquet_writer_free(w);
    }
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_PARQUET);
    assert_int_equal(dv_dataset_num_shards(ds), 2);
    for (int file = 0; file < 2; file++) {
        dv_shard_reader *r;
        dv_item it;
        int n = 0, rc;
        assert_int_equal(dv_shard_reader_open(ds, (uint64_t)file, &r, err, sizeof err), DV_OK);
        while ((rc = dv_shard_reader_next(r, &it)) == 1) {
            assert_true(n < 2);
            assert_int_equal(it.have, rows[file][n].have);
            assert_int_equal(it.bad_digest, rows[file][n].bad);
            assert_int_equal(it.digest_json, 0);
            assert_int_equal(it.digest_text, file ? it.have | it.bad_digest : 0u);
            if (file == 0 && n == 0) {
                assert_memory_equal(it.md5, md5, 16);
                assert_memory_equal(it.sha1, sha1, 20);
                assert_int_equal(it.sha256[31], 0x55);
            }
            if (file == 0 && n == 1) {
                assert_memory_equal(it.md5, "0123456789abcdef", 16);
                assert_memory_equal(it.sha1, "ABCDEFGHIJKLMNOPQRST", 20);
            }
            if (file == 1 && n == 0) assert_memory_equal(it.sha1, sha1, 20);
            if (file == 1 && n == 1) assert_memory_equal(it.md5, md5, 16);
            n++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, 2);
        dv_shard_reader_free(r);
    }
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* An img2dataset sample whose key is in the .parquet takes each digest kind from its row where
 * the row has a value (well-formed or not), else from its .json; a well-formed .json value
 * that differs from the row's (or stands beside a row's bad one) is kept as well
 * (dv_item.digest_alt, alt_md5...) and checked too, so that neither is left unchecked. Until
 * 2026-12-07 the row's digests replaced the .json's wholesale: a kind only the .json had was
 * dropped unchecked, and of two values only the row's was checked. */
static void test_i2d_digest_merge(void **state)
{
    static const char *const names[3] = {"key", "md5", "sha1"};
    static const struct {
        const char *key, *md5, *sha1, *json;
        unsigned have, bad, json_bits, alt;
    } rows[] = {
        {"k0", E_MD5, NULL,
         "{\"md5\": \"" E_MD5 "\", \"sha1\": \"" E_SHA1 "\", \"sha256\": \"" E_SHA256 "\"}",
         DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, 0, DV_ALGO_SHA1 | DV_ALGO_SHA256, 0},
        {"k1", "bad", E_SHA1,
         "{\"md5\": \"" E_MD5 "\", \"sha1\": \"0000000000000000000000000000000000000001\"}",
         DV_ALGO_SHA1, DV_ALGO_MD5, 0, DV_ALGO_MD5 | DV_ALGO_SHA1},
        {"k2", E_MD5, NULL, "{\"md5\": \"" E_MD5 "\"}", DV_ALGO_MD5, 0, 0, 0},
        {"k3", "", NULL, "{\"md5\": \"xyz\"}", 0, DV_ALGO_MD5, DV_ALGO_MD5, 0},
        {"k4", E_MD5, NULL, "{\"md5\": \"xyz\"}", DV_ALGO_MD5, 0, 0, 0},
    };
    static const unsigned char eoa[1024];
    dv_parquet_field fl[3];
    dv_parquet_writer *w;
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    size_t n = 0;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    memset(fl, 0, sizeof fl);
    for (int c = 0; c < 3; c++) {
        fl[c].name = names[c];
        fl[c].type = DV_PQ_BYTE_ARRAY;
        fl[c].is_string = 1;
        fl[c].optional = c > 0;
    }
    snprintf(path, sizeof path, "%s/00000.parquet", dir);
    assert_int_equal(dv_parquet_writer_create(path, fl, 3, NULL, &w, err, sizeof err), DV_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        dv_parquet_value v[3];
        memset(v, 0, sizeof v);
        v[0].bytes = (const uint8_t *)rows[i].key, v[0].len = strlen(rows[i].key);
        v[1].bytes = (const uint8_t *)rows[i].md5, v[1].len = strlen(rows[i].md5);
        v[2].is_null = rows[i].sha1 == NULL;
        v[2].bytes = (const uint8_t *)rows[i].sha1;
        v[2].len = rows[i].sha1 ? strlen(rows[i].sha1) : 0;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s.json", rows[i].key);
        tar_put(f, name, rows[i].json, strlen(rows[i].json));
    }
    assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_IMG2DATASET);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof rows / sizeof rows[0]);
        assert_string_equal(it.id, rows[n].key);
        assert_int_equal(it.have, rows[n].have);
        assert_int_equal(it.bad_digest, rows[n].bad);
        assert_int_equal(it.digest_json, rows[n].json_bits);
        assert_int_equal(it.digest_alt, rows[n].alt);
        if (it.have & DV_ALGO_MD5) assert_int_equal(it.md5[15], 0x7e);
        if (it.have & DV_ALGO_SHA1) assert_int_equal(it.sha1[19], 0x09); /* the row's */
        if (it.have & DV_ALGO_SHA256) assert_int_equal(it.sha256[31], 0x55);
        if (it.digest_alt & DV_ALGO_MD5) assert_int_equal(it.alt_md5[15], 0x7e);
        if (it.digest_alt & DV_ALGO_SHA1) {
            uint8_t want[20];
            for (int b = 0; b < 20; b++)
                want[b] = (uint8_t)(b == 19);
            assert_memory_equal(it.alt_sha1, want, 20);
        }
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof rows / sizeof rows[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* An img2dataset sample whose key is in the .parquet takes its url, caption, status and
 * punsafe field by field: the row's where it has one (not null, not empty), else its .json's;
 * where both give a url (a caption) and they differ, the .json's is kept as url_alt
 * (caption_alt), checked as well; of two punsafe scores the higher. Until 2026-12-07 the row's
 * replaced the .json's wholesale: a null url in the row dropped the .json's, unchecked. */
static void test_i2d_text_merge(void **state)
{
    static const char *const names[5] = {"key", "url", "caption", "status", "punsafe"};
    static const struct {
        const char *key, *url, *cap, *status;
        double pun; /* < 0: null */
        const char *json;
        const char *w_url, *w_url_alt, *w_cap, *w_cap_alt, *w_status;
        double w_pun; /* < 0: none */
    } rows[] = {
        {"k0", NULL, NULL, NULL, -1,
         "{\"url\": \"http://j.test/0\", \"caption\": \"j0\", \"status\": \"success\", "
         "\"punsafe\": 0.9}",
         "http://j.test/0", NULL, "j0", NULL, "success", 0.9},
        {"k1", "", "", "", -1, "{\"url\": \"http://j.test/1\", \"caption\": \"j1\"}",
         "http://j.test/1", NULL, "j1", NULL, NULL, -1},
        {"k2", "http://r.test/2", "r2", "success", 0.2,
         "{\"url\": \"http://j.test/2\", \"caption\": \"j2\", \"status\": \"x\", \"punsafe\": 0.7}",
         "http://r.test/2", "http://j.test/2", "r2", "j2", "success", 0.7},
        {"k3", "http://r.test/3", "r3", NULL, 0.5,
         "{\"url\": \"http://r.test/3\", \"caption\": \"r3\", \"punsafe\": 0.1}",
         "http://r.test/3", NULL, "r3", NULL, NULL, 0.5},
        {"k4", "http://r.test/4", NULL, NULL, -1, "{\"caption\": \"\"}", "http://r.test/4",
         NULL, "", NULL, NULL, -1},
    };
    static const unsigned char eoa[1024];
    dv_parquet_field fl[5];
    dv_parquet_writer *w;
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    size_t n = 0;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    memset(fl, 0, sizeof fl);
    for (int c = 0; c < 5; c++) {
        fl[c].name = names[c];
        fl[c].type = c < 4 ? DV_PQ_BYTE_ARRAY : DV_PQ_DOUBLE;
        fl[c].is_string = c < 4;
        fl[c].optional = c > 0;
    }
    snprintf(path, sizeof path, "%s/00000.parquet", dir);
    assert_int_equal(dv_parquet_writer_create(path, fl, 5, NULL, &w, err, sizeof err), DV_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *t[4] = {rows[i].key, rows[i].url, rows[i].cap, rows[i].status};
        dv_parquet_value v[5];
        memset(v, 0, sizeof v);
        for (int c = 0; c < 4; c++) {
            v[c].is_null = t[c] == NULL;
            v[c].bytes = (const uint8_t *)t[c];
            v[c].len = t[c] ? strlen(t[c]) : 0;
        }
        v[4].is_null = rows[i].pun < 0;
        v[4].f64 = rows[i].pun;
        assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    }
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s.json", rows[i].key);
        tar_put(f, name, rows[i].json, strlen(rows[i].json));
    }
    assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_IMG2DATASET);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof rows / sizeof rows[0]);
        assert_string_equal(it.id, rows[n].key);
        assert_string_equal(it.url, rows[n].w_url);
        if (rows[n].w_url_alt) assert_string_equal(it.url_alt, rows[n].w_url_alt);
        else assert_null(it.url_alt);
        assert_string_equal(it.caption, rows[n].w_cap);
        if (rows[n].w_cap_alt) assert_string_equal(it.caption_alt, rows[n].w_cap_alt);
        else assert_null(it.caption_alt);
        if (rows[n].w_status) assert_string_equal(it.status, rows[n].w_status);
        else assert_true(it.status == NULL || *it.status == '\0');
        assert_int_equal(it.has_punsafe, rows[n].w_pun >= 0);
        if (it.has_punsafe) assert_true(it.punsafe == rows[n].w_pun);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof rows / sizeof rows[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* FILE in dir with text */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* A URL list's md5, sha1 and sha256 columns give the item its digests, as a parquet file's
 * do: found by name in any case (the exact spelling first), hex text with blanks around it
 * dropped; a value that is no digest (a wrong length, a non-hex character, 16 characters: a
 * field is text, not raw bytes) is bad_digest, an empty or null one absent; none in a list
 * without a header row; a kind the caller skips is not read. Until 2026-12-07 a URL list's
 * hash columns were not read at all. */
static void test_urllist_digests(void **state)
{
    static const struct {
        const char *id;
        unsigned have, bad;
    } want[] = {
        {"a:0", DV_ALGO_MD5 | DV_ALGO_SHA256, DV_ALGO_SHA1},
        {"a:1", DV_ALGO_SHA1, DV_ALGO_MD5},
        {"a:2", 0, DV_ALGO_MD5 | DV_ALGO_SHA256},
        {"a:3", 0, 0},
        {"b:0", DV_ALGO_SHA256 | DV_ALGO_MD5, 0},
        {"b:1", 0, DV_ALGO_SHA1 | DV_ALGO_SHA256},
        {"b:2", DV_ALGO_MD5, 0},
        {"c:0", 0, 0},
    };
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    dv_dataset_opts o;
    dv_dataset *ds;
    (void)state;
    assert_non_null(mkdtemp(dir));
    put_file(dir, "a.csv",
             "url,MD5,Sha1,sha256\n"
             "https://a.test/0,\" " E_MD5 "\n\"," E_SHA1 "x," E_SHA256 "\n"
             "https://a.test/1,0123456789abcdef," E_SHA1 ",\n"
             "https://a.test/2,g41d8cd98f00b204e9800998ecf8427e,,e3b0\n"
             "https://a.test/3,,,\n");
    put_file(dir, "b.jsonl",
             "{\"url\": \"https://b.test/0\", \"sha256\": \"" E_SHA256 "\", "
             "\"md5\": \"" E_MD5 "\"}\n"
             "{\"url\": \"https://b.test/1\", \"sha1\": 12, \"SHA256\": true, \"md5\": null}\n"
             "{\"url\": \"https://b.test/2\", \"md5\": null, \"Md5\": \"" E_MD5 "\"}\n");
    /* no header row: the first field is the caption, no column a hash column */
    put_file(dir, "c.tsv", E_MD5 "\thttps://c.test/0\n");
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        memset(&o, 0, sizeof o);
        if (pass) o.skip = DV_SKIP_MD5 | DV_SKIP_SHA1;
        assert_int_equal(dv_dataset_open(dir, &o, &ds, err, sizeof err), DV_OK);
        assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_URLLIST);
        assert_int_equal(dv_dataset_num_shards(ds), 3);
        for (uint64_t sh = 0; sh < 3; sh++) {
            dv_shard_reader *r;
            dv_item it;
            int rc;
            assert_int_equal(dv_shard_reader_open(ds, sh, &r, err, sizeof err), DV_OK);
            while ((rc = dv_shard_reader_next(r, &it)) == 1) {
                unsigned keep = pass ? DV_ALGO_SHA256 : ~0u;
                assert_true(n < sizeof want / sizeof want[0]);
                assert_string_equal(it.id, want[n].id);
                assert_int_equal(it.have, want[n].have & keep);
                assert_int_equal(it.bad_digest, want[n].bad & keep);
                assert_int_equal(it.digest_json, 0);
                if (it.have & DV_ALGO_MD5) assert_int_equal(it.md5[15], 0x7e);
                if (it.have & DV_ALGO_SHA1) assert_int_equal(it.sha1[19], 0x09);
                if (it.have & DV_ALGO_SHA256) assert_int_equal(it.sha256[31], 0x55);
                n++;
            }
            assert_int_equal(rc, 0);
            dv_shard_reader_free(r);
        }
        assert_int_equal(n, sizeof want / sizeof want[0]);
        dv_dataset_free(ds);
    }
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* An img2dataset sample's digests come from its .parquet row where its key is there
 * (dv_item.digest_json 0: a column), else from its .json (digest_json set), so that a
 * bad_digest error names where the value is; a kind the row has no value of (no column, null)
 * comes from the .json (until 2026-12-07 it was dropped: k0's sha1 went unchecked). */
static void test_i2d_digest_origin(void **state)
{
    static const char *const names[2] = {"key", "md5"};
    static const char json[] = "{\"md5\": \"xyz\", \"sha1\": \"" E_SHA1 "\"}";
    static const unsigned char eoa[1024];
    dv_parquet_field fl[2];
    dv_parquet_writer *w;
    dv_parquet_value v[2];
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    int n = 0, rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    memset(fl, 0, sizeof fl);
    for (int c = 0; c < 2; c++) {
        fl[c].name = names[c];
        fl[c].type = DV_PQ_BYTE_ARRAY;
        fl[c].is_string = 1;
    }
    snprintf(path, sizeof path, "%s/00000.parquet", dir);
    assert_int_equal(dv_parquet_writer_create(path, fl, 2, NULL, &w, err, sizeof err), DV_OK);
    memset(v, 0, sizeof v);
    v[0].bytes = (const uint8_t *)"k0", v[0].len = 2;
    v[1].bytes = (const uint8_t *)"bad", v[1].len = 3;
    assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
    assert_int_equal(dv_parquet_writer_close(w), DV_OK);
    dv_parquet_writer_free(w);
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    tar_put(f, "k0.json", json, strlen(json)); /* in the parquet: its row's values */
    tar_put(f, "k1.json", json, strlen(json)); /* not there: the .json's */
    assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), DV_LAYOUT_IMG2DATASET);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_int_equal(it.sample, n);
        assert_int_equal(it.bad_digest, DV_ALGO_MD5);
        assert_int_equal(it.have, DV_ALGO_SHA1);
        assert_int_equal(it.digest_json, n ? DV_ALGO_MD5 | DV_ALGO_SHA1 : DV_ALGO_SHA1);
        assert_int_equal(it.digest_alt, 0);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 2);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* Append a hard link ('1') or symlink ('2') member NAME naming target to f. */
static void tar_link(FILE *f, const char *name, const char *target, char type)
{
    unsigned char h[512];
    unsigned sum = 0;
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 124, "00000000000", 11);
    h[156] = (unsigned char)type;
    memcpy(h + 157, target, strlen(target));
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    assert_int_equal(fwrite(h, 1, 512, f), 512);
}

/* An image member that is a hard link or a symlink to an earlier member (a symlink to a later
 * one too) is an item holding the target's bytes; one whose target cannot be read is an item
 * saying why (never a silent skip); a link under another extension is not an image. A .json's
 * url and caption are taken as a JSONL URL list takes them: url before image_url, caption
 * before text, the exact spelling before another case, whatever their order, a null clearing
 * a value. */
static void test_wds_links(void **state)
{
    static const char json0[] = "{\"text\": \"t\", \"image_url\": \"https://a.test/img\", "
                                "\"URL\": \"https://a.test/U\", \"url\": \"https://a.test/u\", "
                                "\"caption\": \"c\"}";
    static const char json6[] = "{\"url\": \"https://a.test/a\", \"URL\": \"https://a.test/b\", "
                                "\"url\": null}";
    static const struct {
        const char *id, *image, *problem; /* image: bytes; problem: a piece of the message */
    } want[] = {
        {"k0", "A-image", NULL},
        {"k1", "A-image", NULL},
        {"k2", "A-image", NULL},
        {"k3", NULL, "00000.tar: member 'k3.jpg' at offset 3072: hard link to 'gone.jpg' which "
                     "is not found earlier in the archive"},
        {"k4", NULL, "symlink to '/abs.jpg' which is an absolute path, outside the archive"},
        {"k5", NULL, NULL},
        {"k6", NULL, NULL},
        {"k7", "B-image", NULL}, /* a symlink to a later member */
        {"k8", "B-image", NULL},
        {"k9", NULL, "symlink to 'k10.jpg' which is not found in the archive"},
    };
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[600], err[512];
    size_t n = 0;
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    FILE *f;
    int rc;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/00000.tar", dir);
    assert_non_null(f = fopen(path, "wb"));
    tar_put(f, "k0.jpg", "A-image", 7);
    tar_put(f, "k0.json", json0, strlen(json0));
    tar_link(f, "k1.jpg", "k0.jpg", '1');
    tar_link(f, "k2.png", "./k0.jpg", '2');
    tar_link(f, "k3.jpg", "gone.jpg", '1');
    tar_link(f, "k4.jpg", "/abs.jpg", '2');
    tar_link(f, "k5.txt", "k0.jpg", '1');
    tar_put(f, "k6.json", json6, strlen(json6));
    tar_link(f, "k7.jpg", "./k8.jpg", '2');
    tar_put(f, "k8.jpg", "B-image", 7);
    tar_link(f, "k9.jpg", "k10.jpg", '2');
    {
        static const unsigned char eoa[1024];
        assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
    }
    assert_int_equal(fclose(f), 0);
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        assert_true(n < sizeof want / sizeof want[0]);
        assert_string_equal(it.id, want[n].id);
        if (want[n].image) {
            if (it.problem) fail_msg("%s: %s", it.id, it.problem_msg);
            assert_int_equal(it.image_len, strlen(want[n].image));
            assert_memory_equal(it.image, want[n].image, it.image_len);
        } else {
            assert_null(it.image);
        }
        if (want[n].problem) {
            assert_int_equal(it.problem, DV_ECORRUPT);
            if (!strstr(it.problem_msg, want[n].problem)) fail_msg("%s", it.problem_msg);
        } else {
            assert_int_equal(it.problem, 0);
        }
        if (n == 0) {
            assert_string_equal(it.url, "https://a.test/u");
            assert_string_equal(it.caption, "c");
        }
        if (n == 1) assert_string_equal(it.image_name, "k1.jpg");
        if (n == 6) assert_string_equal(it.url, "https://a.test/b");
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof want / sizeof want[0]);
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* A header block of type type for NAME (a link naming target), size bytes of data to follow. */
static void tar_hdr(FILE *f, const char *name, size_t size, char type, const char *target)
{
    unsigned char h[512];
    unsigned sum = 0;
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
    h[156] = (unsigned char)type;
    if (target) memcpy(h + 157, target, strlen(target) < 100 ? strlen(target) : 100);
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    assert_int_equal(fwrite(h, 1, 512, f), 512);
}

/* data[0..n) and its padding to a block. */
static void tar_body(FILE *f, const void *data, size_t n)
{
    static const unsigned char zero[512];
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fwrite(zero, 1, (512 - n % 512) % 512, f), (512 - n % 512) % 512);
}

/* A pax ('x', 'g') header of one record key=val, or a GNU long name ('L') or link ('K'). */
static void tar_ext(FILE *f, char type, const char *key, const char *val)
{
    char rec[1024];
    size_t n;
    if (type == 'L' || type == 'K') {
        tar_hdr(f, "././@LongLink", strlen(val) + 1, type, NULL);
        tar_body(f, val, strlen(val) + 1);
        return;
    }
    /* the length counts itself */
    for (n = strlen(key) + strlen(val) + 5;;) {
        size_t k = (size_t)snprintf(rec, sizeof rec, "%zu %s=%s\n", n, key, val);
        if (k == n) break;
        n = k;
    }
    tar_hdr(f, "PaxHeaders/x", n, type, NULL);
    tar_body(f, rec, n);
}

#define IDS_MAX 64
typedef struct ids {
    int n;
    int64_t sample[IDS_MAX];
    uint64_t row[IDS_MAX];
    char id[IDS_MAX][300];
} ids;

/* The ids of the one shard of dir as --clean's pass takes them (the first item of each
 * sample or row), read with the data (full) or headers only (dv__dataset_skip). */
static void read_ids(const char *dir, dv_layout layout, int headers_only, ids *out)
{
    dv_dataset *ds;
    dv_shard_reader *r;
    dv_item it;
    char err[512];
    int rc;
    memset(out, 0, sizeof *out);
    assert_int_equal(dv_dataset_open(dir, NULL, &ds, err, sizeof err), DV_OK);
    assert_int_equal(dv_dataset_layout(ds), layout);
    if (headers_only) dv__dataset_skip(ds, DV__SKIP_MEMBER_DATA);
    assert_int_equal(dv_shard_reader_open(ds, 0, &r, err, sizeof err), DV_OK);
    while ((rc = dv_shard_reader_next(r, &it)) == 1) {
        if (headers_only) {
            assert_int_equal(it.list_index, 0);
            assert_null(it.image);
        }
        if (it.list_index != 0) continue;
        assert_true(out->n < IDS_MAX);
        out->sample[out->n] = it.sample;
        out->row[out->n] = it.row;
        snprintf(out->id[out->n], sizeof out->id[0], "%s", it.id ? it.id : "(null)");
        out->n++;
    }
    if (rc != 0) fail_msg("%s", dv_shard_reader_errmsg(r));
    dv_shard_reader_free(r);
    dv_dataset_free(ds);
}

/* --clean's pass over a shard's ids reads headers only (DV__SKIP_MEMBER_DATA): it must give
 * every sample once, in order, with the id and row the full read gives, over pax and GNU long
 * names, pax global headers, hard links and symlinks (to earlier and later members, to links,
 * through a GNU long link target), members of sizes that are not multiples of 512 (0, 1, 511,
 * 513, 1023, 1025, 70001), a directory, a fifo, a sparse member, a sample of several images, a
 * key that comes back; and for img2dataset shards, the rows of the metadata, those without a
 * sample after the archive. */
static void test_wds_ids_headers_only(void **state)
{
    char dir[] = "/tmp/dv_test_dataset.XXXXXX", path[700], longdir[200], gnu[300], gnu_id[300];
    static char big[70001];
    static const char json[] = "{\"url\": \"https://a.test/0\", \"key\": \"not-the-id\"}";
    const char *want[IDS_MAX];
    int nwant = 0;
    ids full, ho;
    FILE *f;
    (void)state;
    memset(big, 'b', sizeof big);
    memset(longdir, 'd', sizeof longdir);
    longdir[180] = 0;
    memset(gnu, '7', sizeof gnu);
    memcpy(gnu, "gnu/", 4);
    snprintf(gnu + 244, sizeof gnu - 244, ".jpg");
    snprintf(gnu_id, sizeof gnu_id, "%.240s", gnu + 4); /* a 240-character id */
    assert_non_null(mkdtemp(dir));
    for (int layout = 0; layout < 2; layout++) {
        snprintf(path, sizeof path, "%s/00000.tar", dir);
        assert_non_null(f = fopen(path, "wb"));
        nwant = 0;
        tar_hdr(f, "a/000000.jpg", 1, '0', NULL), tar_body(f, "x", 1);
        tar_hdr(f, "a/000000.json", strlen(json), '0', NULL), tar_body(f, json, strlen(json));
        tar_hdr(f, "a/000000.txt", 511, '0', NULL), tar_body(f, big, 511);
        want[nwant++] = "000000";
        snprintf(path, sizeof path, "long/%s/000001.jpg", longdir);
        tar_ext(f, 'x', "path", path);
        tar_hdr(f, "ignored.jpg", 513, '0', NULL), tar_body(f, big, 513);
        snprintf(path, sizeof path, "long/%s/000001.json", longdir);
        tar_ext(f, 'L', NULL, path);
        tar_hdr(f, "truncated.json", 1023, '0', NULL), tar_body(f, big, 1023);
        want[nwant++] = "000001";
        tar_ext(f, 'L', NULL, gnu);
        tar_hdr(f, "truncated.jpg", 1025, '0', NULL), tar_body(f, big, 1025);
        want[nwant++] = gnu_id;
        tar_ext(f, 'g', "comment", "a global header between samples");
        tar_hdr(f, "b/000003.jpg", 0, '1', "a/000000.jpg");
        want[nwant++] = "000003";
        tar_hdr(f, "b/000004.jpg", 0, '2', "000005.jpg"); /* a later member */
        want[nwant++] = "000004";
        tar_hdr(f, "b/000005.jpg", 70001, '0', NULL), tar_body(f, big, 70001);
        want[nwant++] = "000005";
        tar_hdr(f, "b/000006.png", 0, '1', "b/000003.jpg"); /* a link to a link */
        want[nwant++] = "000006";
        tar_ext(f, 'K', NULL, gnu);
        tar_hdr(f, "b/000007.jpg", 0, '1', "x");
        want[nwant++] = "000007";
        tar_hdr(f, "c/", 0, '5', NULL);
        want[nwant++] = ""; /* a directory is a sample of its own, its key "c/" */
        tar_hdr(f, "c/000008.fifo", 0, '6', NULL);
        want[nwant++] = "000008";
        tar_hdr(f, "c/000009.jpg", 777, 'S', NULL), tar_body(f, big, 777);
        want[nwant++] = "000009";
        tar_hdr(f, "d/000010.jpg", 2, '0', NULL), tar_body(f, big, 2);
        tar_hdr(f, "d/000010.png", 0, '0', NULL);
        tar_hdr(f, "d/000010.seg.png", 4097, '0', NULL), tar_body(f, big, 4097);
        want[nwant++] = "000010";
        tar_hdr(f, "d/000011.jpg", 100, '0', NULL), tar_body(f, big, 100);
        want[nwant++] = "000011";
        tar_hdr(f, "d/000012.jpg", 8191, '0', NULL), tar_body(f, big, 8191);
        want[nwant++] = "000012";
        tar_hdr(f, "d/000011.txt", 3, '0', NULL), tar_body(f, "abc", 3);
        want[nwant++] = "000011"; /* back after another key: a sample again */
        {
            static const unsigned char eoa[1024];
            assert_int_equal(fwrite(eoa, 1, sizeof eoa, f), sizeof eoa);
        }
        assert_int_equal(fclose(f), 0);
        if (layout == 1) {
            /* img2dataset: the metadata in another order, one key twice, two without a sample */
            static const char *const keys[] = {"000012", "000000", "000005", "999998",
                                               "000011", "000003", "999999"};
            dv_parquet_field fl[2];
            dv_parquet_writer *w;
            char err[256];
            memset(fl, 0, sizeof fl);
            fl[0].name = "key", fl[1].name = "status";
            for (int c = 0; c < 2; c++) {
                fl[c].type = DV_PQ_BYTE_ARRAY;
                fl[c].is_string = 1;
                fl[c].optional = 1;
            }
            snprintf(path, sizeof path, "%s/00000.parquet", dir);
            assert_int_equal(dv_parquet_writer_create(path, fl, 2, NULL, &w, err, sizeof err),
                             DV_OK);
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                dv_parquet_value v[2];
                const char *st = keys[k][0] == '9' && keys[k][5] == '9' ? "success" : "failed";
                memset(v, 0, sizeof v);
                v[0].bytes = (const uint8_t *)keys[k], v[0].len = strlen(keys[k]);
                v[1].bytes = (const uint8_t *)st, v[1].len = strlen(st);
                assert_int_equal(dv_parquet_writer_write_row(w, v), DV_OK);
            }
            assert_int_equal(dv_parquet_writer_close(w), DV_OK);
            dv_parquet_writer_free(w);
            want[nwant++] = "999998";
            want[nwant++] = "999999";
        }
        read_ids(dir, layout ? DV_LAYOUT_IMG2DATASET : DV_LAYOUT_WEBDATASET, 0, &full);
        read_ids(dir, layout ? DV_LAYOUT_IMG2DATASET : DV_LAYOUT_WEBDATASET, 1, &ho);
        assert_int_equal(full.n, nwant);
        assert_int_equal(ho.n, nwant);
        for (int i = 0; i < nwant; i++) {
            assert_string_equal(full.id[i], want[i]);
            assert_string_equal(ho.id[i], want[i]);
            assert_int_equal(ho.sample[i], full.sample[i]);
            assert_int_equal(ho.row[i], full.row[i]);
            /* every sample once, in order; then the metadata's rows without one */
            if (i < nwant - 2 * layout) assert_int_equal(ho.sample[i], i);
            else assert_int_equal(ho.sample[i], -1);
        }
    }
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_shard_fraction),
        cmocka_unit_test(test_worker_threads),
        cmocka_unit_test(test_claimed_rows),
        cmocka_unit_test(test_claimed_rows_clean),
        cmocka_unit_test(test_wds_images),
        cmocka_unit_test(test_wds_json_digests),
        cmocka_unit_test(test_wds_json_nul),
        cmocka_unit_test(test_pq_digest_types),
        cmocka_unit_test(test_urllist_digests),
        cmocka_unit_test(test_i2d_digest_origin),
        cmocka_unit_test(test_i2d_digest_merge),
        cmocka_unit_test(test_i2d_text_merge),
        cmocka_unit_test(test_wds_links),
        cmocka_unit_test(test_wds_ids_headers_only),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
