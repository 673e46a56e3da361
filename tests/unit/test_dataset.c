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
#include "pq_gen.h"

#define ROWS 5

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

/* An image member that is a hard link or a symlink to an earlier member is an item holding the
 * target's bytes; one whose target cannot be read is an item saying why (never a silent skip);
 * a link under another extension is not an image. A .json's url and caption are taken as a
 * JSONL URL list takes them: url before image_url, caption before text, the exact spelling
 * before another case, whatever their order, a null clearing a value. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_worker_threads),
        cmocka_unit_test(test_claimed_rows),
        cmocka_unit_test(test_claimed_rows_clean),
        cmocka_unit_test(test_wds_images),
        cmocka_unit_test(test_wds_links),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
