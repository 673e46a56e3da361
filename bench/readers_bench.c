/* readers_bench.c - dataset reader throughput: the URL and TEXT columns of a 1M-row snappy
 * LAION-like Parquet file against DuckDB (node, one thread) in the same run, and webdataset tar
 * shards through dv_tar_reader_next_sample against `cat FILES > /dev/null`.
 * Usage: readers_bench [-n ROWS] [-t TAR_MB] [-d DUCKDB_DIR] [-w WORKDIR] [-r REPEATS] [-k]
 * (-k keeps the generated files, -f reads an existing Parquet file instead, -n 0 skips the
 * Parquet part, -t 0 the tar part). */
#include "datavet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_clock.h"
#include <unistd.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *const words[] = {"photo", "of", "a", "the", "cat", "dog", "beautiful", "red",
                                    "vintage", "poster", "with", "and", "mountain", "sunset",
                                    "wedding", "dress", "kitchen", "design", "modern", "art",
                                    "illustration", "stock", "image", "free", "download", "new",
                                    "2015", "best", "ideas", "home", "garden", "woman", "man"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* A caption of 50..200 bytes of words. */
static size_t make_caption(char *out)
{
    size_t want = 50 + rnd() % 151, n = 0;
    while (n < want) {
        const char *w = words[rnd() % NWORDS];
        size_t k = strlen(w);
        if (n + k + 1 > want) break;
        if (n) out[n++] = ' ';
        memcpy(out + n, w, k);
        n += k;
    }
    while (n < 50) out[n++] = 'x';
    return n;
}

/* A URL of 80..120 bytes: a host among 5000, a hex path, a file name. */
static size_t make_url(char *out, uint64_t i)
{
    size_t want = 80 + rnd() % 41;
    int n = snprintf(out, 200, "https://cdn%llu.images-example.com/uploads/%016llx/%llu/",
                     (unsigned long long)(rnd() % 5000), (unsigned long long)rnd(),
                     (unsigned long long)i);
    size_t k = (size_t)n;
    while (k + 4 < want) out[k++] = (char)('a' + rnd() % 26);
    memcpy(out + k, ".jpg", 4);
    return k + 4;
}

static int write_laion(const char *path, uint64_t rows)
{
    dv_parquet_field f[9];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    char err[512], url[256], cap[256], md5[33];
    int rc;
    memset(f, 0, sizeof(f));
    memset(&o, 0, sizeof(o));
    f[0] = (dv_parquet_field){.name = "URL", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1};
    f[1] = (dv_parquet_field){.name = "TEXT", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1};
    f[2] = (dv_parquet_field){.name = "WIDTH", .type = DV_PQ_INT32, .optional = 1};
    f[3] = (dv_parquet_field){.name = "HEIGHT", .type = DV_PQ_INT32, .optional = 1};
    f[4] = (dv_parquet_field){.name = "similarity", .type = DV_PQ_DOUBLE, .optional = 1};
    f[5] = (dv_parquet_field){.name = "punsafe", .type = DV_PQ_FLOAT, .optional = 1};
    f[6] = (dv_parquet_field){.name = "pwatermark", .type = DV_PQ_FLOAT, .optional = 1};
    f[7] = (dv_parquet_field){.name = "hash", .type = DV_PQ_INT64, .optional = 1};
    f[8] = (dv_parquet_field){.name = "md5", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1};
    o.codec = DV_PQ_SNAPPY;
    o.row_group_rows = 100000; /* pyarrow/Spark LAION parts have row groups of this order */
    rc = dv_parquet_writer_create(path, f, 9, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "readers_bench: %s\n", err);
        return rc;
    }
    for (uint64_t i = 0; i < rows && rc == DV_OK; i++) {
        dv_parquet_value v[9];
        uint64_t h = rnd();
        memset(v, 0, sizeof(v));
        v[0].bytes = (const uint8_t *)url;
        v[0].len = make_url(url, i);
        v[1].bytes = (const uint8_t *)cap;
        v[1].len = make_caption(cap);
        v[1].is_null = rnd() % 100 == 0;
        v[2].i32 = (int32_t)(64 + rnd() % 4000);
        v[3].i32 = (int32_t)(64 + rnd() % 4000);
        v[4].f64 = 0.28 + (double)(rnd() % 1000000) / 5e6;
        v[5].f32 = (float)(rnd() % 1000000) / 1e6f;
        v[6].f32 = (float)(rnd() % 1000000) / 1e6f;
        v[7].i64 = (int64_t)h;
        snprintf(md5, sizeof(md5), "%016llx%016llx", (unsigned long long)h,
                 (unsigned long long)rnd());
        v[8].bytes = (const uint8_t *)md5;
        v[8].len = 32;
        rc = dv_parquet_writer_write_row(w, v);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "readers_bench: write: %s\n", dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc;
}

/* datavet: URL and TEXT of every row group, one thread; the sum of their byte lengths. */
static int read_datavet(const char *path, int skip_crc, uint64_t *rows_out, uint64_t *bytes_out)
{
    dv_parquet_reader *r;
    dv_parquet_batch b[2];
    size_t cols[2];
    char err[512];
    uint64_t rows = 0, bytes = 0;
    dv_parquet_reader_opts o;
    int rc;
    memset(&o, 0, sizeof(o));
    o.skip_crc = skip_crc;
    rc = dv_parquet_reader_open(path, &o, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "readers_bench: %s\n", err);
        return rc;
    }
    cols[0] = (size_t)dv_parquet_reader_find_column(r, "URL");
    cols[1] = (size_t)dv_parquet_reader_find_column(r, "TEXT");
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        rc = dv_parquet_reader_read_row_group(r, g, cols, 2, b);
        if (rc != DV_OK) {
            fprintf(stderr, "readers_bench: %s\n", dv_parquet_reader_errmsg(r));
            break;
        }
        for (int c = 0; c < 2; c++)
            for (uint64_t i = 0; i < b[c].rows; i++) bytes += b[c].offsets[i + 1] - b[c].offsets[i];
        rows += b[0].rows;
    }
    dv_parquet_reader_free(r);
    *rows_out = rows;
    *bytes_out = bytes;
    return rc;
}

/* ---------------------------------------------------------------- tar */

static void put_octal(char *f, size_t w, uint64_t v)
{
    snprintf(f, w, "%0*llo", (int)w - 1, (unsigned long long)v);
}

static int tar_member(FILE *out, const char *name, const uint8_t *data, size_t n)
{
    char h[512];
    unsigned sum = 0;
    static const char zero[512];
    memset(h, 0, sizeof(h));
    snprintf(h, 100, "%s", name);
    put_octal(h + 100, 8, 0644);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, n);
    put_octal(h + 136, 12, 1700000000);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    for (int i = 0; i < 512; i++) sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    if (fwrite(h, 1, 512, out) != 512 || fwrite(data, 1, n, out) != n) return -1;
    if (n % 512 && fwrite(zero, 1, 512 - n % 512, out) != 512 - n % 512) return -1;
    return 0;
}

/* Shards of about 100 MB: samples of a 20-80 KB "jpg" (random bytes), a caption and a json. */
static int write_shards(const char *dir, uint64_t total_mb, char (*paths)[800], int *nshards)
{
    uint8_t *buf = malloc(80 * 1024);
    uint64_t key = 0;
    int s = 0;
    if (buf == NULL) return -1;
    for (size_t i = 0; i < 80 * 1024; i++) buf[i] = (uint8_t)rnd();
    for (uint64_t done = 0; done < total_mb << 20 && s < 64; s++) {
        FILE *f;
        uint64_t shard_bytes = 0;
        snprintf(paths[s], 800, "%s/%05d.tar", dir, s);
        f = fopen(paths[s], "wb");
        if (f == NULL) {
            free(buf);
            return -1;
        }
        while (shard_bytes < (100ull << 20) && done + shard_bytes < total_mb << 20) {
            char name[64], cap[256], js[128];
            size_t n = 20 * 1024 + rnd() % (60 * 1024), cl = make_caption(cap);
            int jl = snprintf(js, sizeof(js), "{\"key\":\"%09llu\",\"status\":\"success\"}",
                              (unsigned long long)key);
            buf[0] = (uint8_t)key; /* not identical members */
            snprintf(name, sizeof(name), "%09llu.jpg", (unsigned long long)key);
            tar_member(f, name, buf, n);
            snprintf(name, sizeof(name), "%09llu.txt", (unsigned long long)key);
            tar_member(f, name, (const uint8_t *)cap, cl);
            snprintf(name, sizeof(name), "%09llu.json", (unsigned long long)key);
            tar_member(f, name, (const uint8_t *)js, (size_t)jl);
            shard_bytes += 1536 + n + cl + (size_t)jl + 1536;
            key++;
        }
        {
            static const char zero[1024];
            fwrite(zero, 1, sizeof(zero), f);
        }
        if (fclose(f) != 0) {
            free(buf);
            return -1;
        }
        done += shard_bytes;
    }
    free(buf);
    *nshards = s;
    return 0;
}

static int read_shards(char (*paths)[800], int n, uint64_t *samples, uint64_t *bytes)
{
    dv_tar_reader *t = dv_tar_reader_create(NULL);
    dv_wds_sample s;
    int rc = 0;
    if (t == NULL) return -1;
    *samples = *bytes = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int fd = open(paths[i], O_RDONLY), k;
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) return -1;
        *bytes += (uint64_t)st.st_size;
        if (dv_tar_reader_open_fd(t, fd, paths[i]) != DV_OK) rc = -1;
        while (rc == 0 && (k = dv_tar_reader_next_sample(t, &s)) == 1) {
            uint64_t sz = 0;
            for (size_t p = 0; p < s.nparts; p++)
                if (s.parts[p].data) sz += s.parts[p].data[0] + s.parts[p].member.size;
            (void)sz;
            (*samples)++;
        }
        if (rc == 0 && k < 0) {
            fprintf(stderr, "readers_bench: %s\n", dv_tar_reader_errmsg(t));
            rc = -1;
        }
        close(fd);
    }
    dv_tar_reader_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long long rows = 1000000, tar_mb = 1024, reps = 3;
    const char *ddb = DV_BENCH_DUCKDB_DIR, *work = "/tmp", *given = NULL;
    char dir[600], pq[700], cmd[8192];
    static char paths[64][800];
    int opt, nshards = 0, keep = 0;
    double best = 1e30, best_nocrc = 1e30, t0, ddb_s = 0;
    uint64_t r_rows = 0, r_bytes = 0;
    while ((opt = getopt(argc, argv, "n:t:d:w:r:kf:")) != -1) {
        switch (opt) {
        case 'n': rows = strtoull(optarg, NULL, 10); break;
        case 't': tar_mb = strtoull(optarg, NULL, 10); break;
        case 'd': ddb = optarg; break;
        case 'w': work = optarg; break;
        case 'r': reps = strtoull(optarg, NULL, 10); break;
        case 'k': keep = 1; break;
        case 'f': given = optarg; break;
        default:
            fprintf(stderr, "usage: readers_bench [-n ROWS] [-t TAR_MB] [-d DUCKDB_DIR] "
                            "[-w WORKDIR] [-r REPEATS] [-k] [-f FILE.parquet]\n"
                            "(-n 0: no Parquet part, -t 0: no tar part)\n");
            return 2;
        }
    }
    snprintf(dir, sizeof(dir), "%s/readers_bench.XXXXXX", work);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(pq, sizeof(pq), "%s/laion.parquet", dir);
    if (rows == 0 && !given) goto tar; /* -n 0: the tar part alone */
    t0 = bench_now();
    if (given) /* an existing file with URL and TEXT columns */
        snprintf(pq, sizeof(pq), "%s", given);
    else if (write_laion(pq, rows) != DV_OK)
        return 1;
    {
        struct stat st;
        stat(pq, &st);
        if (given)
            printf("parquet: %s, %.1f MB\n", pq, (double)st.st_size / 1e6);
        else
            printf("parquet: %llu rows, snappy, row groups of 100000, %.1f MB (written in %.1f s)\n",
                   rows, (double)st.st_size / 1e6, bench_now() - t0);
    }
    for (int crc = 0; crc < 2; crc++) {
        double b = 1e30;
        for (unsigned long long i = 0; i < reps; i++) {
            double s = bench_now(), e;
            if (read_datavet(pq, crc, &r_rows, &r_bytes) != DV_OK) return 1;
            e = bench_now() - s;
            if (e < b) b = e;
        }
        printf("datavet  URL+TEXT%s: %llu rows, %llu bytes, best of %llu: %.3f s, %.0f rows/s, "
               "%.0f MB/s\n",
               crc ? ", skip_crc" : " (page CRCs checked)", (unsigned long long)r_rows,
               (unsigned long long)r_bytes, reps, b, (double)r_rows / b,
               (double)r_bytes / b / 1e6);
        if (crc)
            best_nocrc = b;
        else
            best = b;
    }
    snprintf(cmd, sizeof(cmd), "node '%s/readers_bench_duckdb.mjs' '%s' '%s' %llu 2>/dev/null",
             DV_BENCH_DIR, ddb, pq, reps);
    {
        FILE *p = popen(cmd, "r");
        unsigned long long d_rows = 0, d_bytes = 0;
        if (p && fscanf(p, "%llu %llu %lf", &d_rows, &d_bytes, &ddb_s) == 3 && ddb_s > 0) {
            printf("DuckDB   URL+TEXT: %llu rows, %llu bytes, best of %llu: %.3f s, %.0f rows/s "
                   "(SET threads=1)\n",
                   d_rows, d_bytes, reps, ddb_s, (double)d_rows / ddb_s);
            printf("ratio datavet/DuckDB rows/s: %.2fx with CRCs checked, %.2fx with skip_crc "
                   "(DuckDB does not check page CRCs)%s\n",
                   ddb_s / best, ddb_s / best_nocrc,
                   d_bytes == r_bytes ? "" : "  (WARNING: byte sums differ)");
        } else {
            printf("DuckDB: not run (node or %s/node_modules/@duckdb/node-api missing)\n", ddb);
        }
        if (p) pclose(p);
    }
    if (!given && !keep) unlink(pq);

tar:
    if (tar_mb > 0) {
        uint64_t samples = 0, bytes = 0;
        double tb = 1e30, cb = 1e30;
        size_t cl;
        t0 = bench_now();
        if (write_shards(dir, tar_mb, paths, &nshards) != 0) {
            fprintf(stderr, "readers_bench: cannot write shards in %s\n", dir);
            return 1;
        }
        printf("tar: %d shards written in %.1f s\n", nshards, bench_now() - t0);
        cl = (size_t)snprintf(cmd, sizeof(cmd), "cat");
        for (int i = 0; i < nshards && cl < sizeof(cmd) - 600; i++)
            cl += (size_t)snprintf(cmd + cl, sizeof(cmd) - cl, " '%s'", paths[i]);
        snprintf(cmd + cl, sizeof(cmd) - cl, " > /dev/null");
        if (system(cmd) != 0) return 1; /* warm the page cache */
        for (unsigned long long i = 0; i < reps; i++) {
            double s = bench_now(), e;
            if (system(cmd) != 0) return 1;
            e = bench_now() - s;
            if (e < cb) cb = e;
            s = bench_now();
            if (read_shards(paths, nshards, &samples, &bytes) != 0) return 1;
            e = bench_now() - s;
            if (e < tb) tb = e;
        }
        printf("cat      %llu MB: %.3f s, %.0f MB/s\n", (unsigned long long)(bytes >> 20), cb,
               (double)bytes / cb / 1e6);
        printf("datavet  %llu samples: %.3f s, %.0f MB/s (%.2fx cat's time)\n",
               (unsigned long long)samples, tb, (double)bytes / tb / 1e6, tb / cb);
        if (keep)
            printf("shards kept in %s\n", dir);
        else
            for (int i = 0; i < nshards; i++) unlink(paths[i]);
    }
    if (!keep) rmdir(dir);
    return 0;
}
