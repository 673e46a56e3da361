/* match_bench.c - PDQ radius matching throughput, one thread: brute-force scan, per-query
 * multi-index probing, the batched join, and FAISS binary indexes in the same run when present. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include <unistd.h>

#include "datavet.h"
#include "match/pdq_match_internal.h"

#ifndef DV_BENCH_DIR
#define DV_BENCH_DIR "bench"
#endif

/* Seconds of this thread's CPU time: the per-thread figure, and robust to a loaded machine
 * (wall-clock time is printed too). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct stopwatch {
    double cpu, wall;
} stopwatch;

static stopwatch sw_start(void)
{
    stopwatch s = {cpu_now(), bench_now()};
    return s;
}

static stopwatch sw_since(stopwatch s)
{
    stopwatch d = {cpu_now() - s.cpu, bench_now() - s.wall};
    return d;
}

static uint64_t g_rng_state = 0x243f6a8885a308d3ull; /* bench-only, single thread */

static uint64_t rnd(void)
{
    uint64_t z = (g_rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fill_random(dv_pdq_hash *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < DV_PDQ_BYTES; b += 8) {
            uint64_t v = rnd();
            memcpy(h[i].bytes + b, &v, 8);
        }
}

/* Matches of queries below each of a few prefixes: count and an order-sensitive checksum. */
#define NPREFIX 4
typedef struct tally {
    size_t limit[NPREFIX];
    uint64_t count[NPREFIX], sum[NPREFIX];
    uint64_t total, last_key;
    int ordered;
} tally;

static int on_match(void *ctx, const dv_pdq_match *m, size_t n)
{
    tally *t = ctx;
    for (size_t i = 0; i < n; i++) {
        const uint64_t key = m[i].query << 32 | m[i].entry;
        const uint64_t h = (key * 0x9e3779b97f4a7c15ull) ^ (uint64_t)m[i].distance;
        if (key <= t->last_key && t->last_key != UINT64_MAX) t->ordered = 0;
        t->last_key = key;
        t->total++;
        for (int p = 0; p < NPREFIX; p++)
            if (m[i].query < t->limit[p]) {
                t->count[p]++;
                t->sum[p] = t->sum[p] * 31 + h;
            }
    }
    return 0;
}

/* Single-query probing reports query 0: put the real query number back. */
typedef struct requery {
    tally *t;
    uint64_t q;
} requery;

static int on_match_requery(void *ctx, const dv_pdq_match *m, size_t n)
{
    requery *r = ctx;
    dv_pdq_match buf[64];
    for (size_t i = 0; i < n; i += 64) {
        const size_t k = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < k; j++) {
            buf[j] = m[i + j];
            buf[j].query = r->q;
        }
        on_match(r->t, buf, k);
    }
    return 0;
}

static void tally_init(tally *t, const size_t limit[NPREFIX])
{
    memset(t, 0, sizeof(*t));
    memcpy(t->limit, limit, sizeof(t->limit));
    t->last_key = UINT64_MAX;
    t->ordered = 1;
}

static int write_codes(const char *path, const dv_pdq_hash *h, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (f == NULL) return 0;
    ok = fwrite(h, sizeof(*h), n, f) == n;
    return fclose(f) == 0 && ok;
}

typedef struct faiss_result {
    int ran;
    double mh_build_s, mh_qps, flat_qps;
    uint64_t mh_nres, flat_nres;
} faiss_result;

/* bench/match_faiss.py on the same codes, one thread; it prints "key value" lines. */
static void run_faiss(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *queries, size_t nmh,
                      size_t nflat, int radius, faiss_result *out)
{
    char cpath[256], qpath[256], cmd[1024], line[256];
    const size_t nq = nmh > nflat ? nmh : nflat;
    FILE *p;
    memset(out, 0, sizeof(*out));
    if (system("/usr/bin/python3 -c 'import faiss' >/dev/null 2>&1") != 0) {
        printf("  faiss: not importable by /usr/bin/python3 (apt-get install python3-faiss), "
               "skipped\n");
        return;
    }
    snprintf(cpath, sizeof(cpath), "/tmp/match_bench_codes_%ld.bin", (long)getpid());
    snprintf(qpath, sizeof(qpath), "/tmp/match_bench_queries_%ld.bin", (long)getpid());
    if (!write_codes(cpath, codes, n) || !write_codes(qpath, queries, nq)) {
        printf("  faiss: cannot write temporary code files, skipped\n");
        remove(cpath);
        return;
    }
    snprintf(cmd, sizeof(cmd),
             "OMP_NUM_THREADS=1 /usr/bin/python3 %s/match_faiss.py %s %s %zu %zu %d", DV_BENCH_DIR,
             cpath, qpath, nmh, nflat, radius);
    fflush(stdout);
    p = popen(cmd, "r");
    if (p != NULL) {
        while (fgets(line, sizeof(line), p) != NULL) {
            double v;
            unsigned long long r;
            if (sscanf(line, "multihash_build_s %lf", &v) == 1)
                out->mh_build_s = v;
            else if (sscanf(line, "multihash_qps %lf %llu", &v, &r) == 2) {
                out->mh_qps = v;
                out->mh_nres = r;
                out->ran = 1;
            } else if (sscanf(line, "flat_qps %lf %llu", &v, &r) == 2) {
                out->flat_qps = v;
                out->flat_nres = r;
            } else {
                printf("  faiss: %s", line);
            }
        }
        pclose(p);
    }
    remove(cpath);
    remove(qpath);
}

static size_t clampz(double v, size_t lo, size_t hi)
{
    if (v < (double)lo) return lo;
    if (v > (double)hi) return hi;
    return (size_t)v;
}

static int g_join_only;  /* set once from argv: skip brute force and probing */
static int g_repeat = 1; /* joins timed; the fastest is reported */
static int g_nvar = 1;   /* hashes per query: 1, or 8 (dihedral variants) */

static void print_rate(const char *what, size_t nq, stopwatch t, const char *extra)
{
    printf("  %-16s %10.0f q/s per thread (%zu queries, %.2f s CPU, %.2f s wall%s)\n", what,
           (double)nq / t.cpu, nq, t.cpu, t.wall, extra);
}

static int bench_one(size_t n, size_t nq, int radius, size_t nplant, int faiss)
{
    const size_t nv = (size_t)g_nvar;
    dv_pdq_hash *codes = malloc(n * sizeof(*codes)), *queries = malloc(nq * nv * sizeof(*queries));
    const size_t brute_q = clampz(2e9 / (double)n / (double)nv, 20, nq);
    const size_t probe_q = clampz(2e10 / (double)n / (double)nv, 100, nq);
    const size_t mh_q = clampz(2e9 / (double)n, 50, nq);
    const size_t flat_q = clampz(3e8 / (double)n, 20, nq);
    const size_t limits[NPREFIX] = {brute_q, probe_q, mh_q, flat_q};
    tally tj, tb, tp;
    stopwatch t0, t_build, t_join = {0, 0}, t_brute = {0, 0}, t_probe = {0, 0};
    char extra[128];
    int rc;
    if (codes == NULL || queries == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    fill_random(codes, n);
    fill_random(queries, nq * nv);
    /* true neighbours within the radius, half of them among the subsets timed below */
    for (size_t i = 0; i < nplant; i++) {
        const size_t q = i % 2 ? (size_t)(rnd() % nq) : (size_t)(rnd() % brute_q);
        dv_pdq_hash *e = &codes[rnd() % n];
        const int d = (int)(rnd() % (unsigned)(radius + 1));
        *e = queries[q * nv + (size_t)(rnd() % nv)];
        for (int b = 0; b < d; b++) e->bytes[rnd() % 32] ^= (uint8_t)(1u << (rnd() % 8));
    }

    printf("list %zu codes, %zu queries x %zu variants, radius %d, %zu planted neighbours\n", n, nq,
           nv, radius, nplant);
    t0 = sw_start();
    dv_pdq_index *ix = dv_pdq_index_create(codes, n, DV_SIMD_AUTO, NULL);
    t_build = sw_since(t0);
    if (ix == NULL) {
        fprintf(stderr, "index: out of memory\n");
        return 1;
    }
    printf("  index build      %8.2f s CPU (%.2f s wall), index memory %.1f MiB "
           "(+ the caller's codes, %.1f MiB)\n",
           t_build.cpu, t_build.wall, (double)dv__pdq_index_memory(ix) / 1048576.0,
           (double)(n * sizeof(dv_pdq_hash)) / 1048576.0);

    tally_init(&tb, limits);
    tally_init(&tp, limits);
    if (!g_join_only) {
        t0 = sw_start();
        rc = dv_pdq_match_bruteforce(codes, n, queries, brute_q, g_nvar, radius, DV_SIMD_AUTO,
                                     on_match, &tb);
        t_brute = sw_since(t0);
        if (rc != DV_OK) return 1;
        print_rate("brute force", brute_q, t_brute, "");

        t0 = sw_start();
        for (size_t q = 0; q < probe_q; q++) {
            requery rq = {&tp, q};
            rc = dv__pdq_index_probe_one(ix, &queries[q * nv], g_nvar, radius, on_match_requery,
                                         &rq);
            if (rc != DV_OK) return 1;
        }
        t_probe = sw_since(t0);
        print_rate("per-query probe", probe_q, t_probe, "");
    }

    for (int rep = 0; rep < g_repeat; rep++) {
        stopwatch t;
        tally_init(&tj, limits);
        t0 = sw_start();
        rc = dv_pdq_index_match(ix, queries, nq, g_nvar, radius, on_match, &tj);
        t = sw_since(t0);
        if (rc != DV_OK) return 1;
        if (rep == 0 || t.cpu < t_join.cpu) t_join = t;
    }
    snprintf(extra, sizeof(extra), ", %llu matches, %s", (unsigned long long)tj.total,
             tj.ordered ? "in order" : "NOT IN ORDER");
    if (g_repeat > 1) {
        const size_t len = strlen(extra);
        snprintf(extra + len, sizeof(extra) - len, ", best of %d", g_repeat);
    }
    print_rate("batched join", nq, t_join, extra);
    const double join_qps = (double)nq / t_join.cpu;
    if (!g_join_only) {
        printf("  join = brute     %s (%llu matches in the first %zu queries)\n",
               tj.count[0] == tb.count[0] && tj.sum[0] == tb.sum[0] ? "yes" : "NO",
               (unsigned long long)tj.count[0], brute_q);
        printf("  join = probe     %s (%llu matches in the first %zu queries)\n",
               tj.count[1] == tp.count[1] && tj.sum[1] == tp.sum[1] ? "yes" : "NO",
               (unsigned long long)tj.count[1], probe_q);
        printf("  ratios: join/brute %.0fx, join/probe %.1fx\n",
               join_qps / ((double)brute_q / t_brute.cpu),
               join_qps / ((double)probe_q / t_probe.cpu));
    }

    if (faiss && g_nvar == 1) {
        faiss_result fr;
        run_faiss(codes, n, queries, mh_q, flat_q, radius, &fr);
        if (fr.ran) {
            printf("  faiss MultiHash  %10.0f q/s per thread (%zu queries, build %.2f s, "
                   "%llu results: %s)\n",
                   fr.mh_qps, mh_q, fr.mh_build_s, (unsigned long long)fr.mh_nres,
                   fr.mh_nres == tj.count[2] ? "same as datavet" : "DIFFERENT from datavet");
            printf("  faiss Flat       %10.0f q/s per thread (%zu queries, %llu results: %s)\n",
                   fr.flat_qps, flat_q, (unsigned long long)fr.flat_nres,
                   fr.flat_nres == tj.count[3] ? "same as datavet" : "DIFFERENT from datavet");
            printf("  ratios: join/faiss-MultiHash %.0fx, join/faiss-Flat %.0fx, "
                   "brute/faiss-Flat %.1fx\n",
                   join_qps / fr.mh_qps, join_qps / fr.flat_qps,
                   g_join_only ? 0.0 : (double)brute_q / t_brute.cpu / fr.flat_qps);
        }
    }
    dv_pdq_index_free(ix);
    free(codes);
    free(queries);
    return 0;
}

int main(int argc, char **argv)
{
    size_t lists[8] = {1000000, 10000000}, nlists = 2, nq = 1000000, nplant = 1000;
    int radius = 31, faiss = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-faiss") == 0) {
            faiss = 0;
        } else if (strcmp(argv[i], "--join-only") == 0) {
            g_join_only = 1;
            faiss = 0;
        } else if (strcmp(argv[i], "-R") == 0 && i + 1 < argc) {
            g_repeat = (int)strtol(argv[++i], NULL, 10);
            if (g_repeat < 1) g_repeat = 1;
        } else if (strcmp(argv[i], "-v") == 0 && i + 1 < argc) {
            g_nvar = (int)strtol(argv[++i], NULL, 10);
            if (g_nvar != 1 && g_nvar != 8) return 2;
        } else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc) {
            nq = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            radius = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            nplant = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            char *s = argv[++i];
            nlists = 0;
            while (*s != '\0' && nlists < 8) {
                lists[nlists++] = strtoull(s, &s, 10);
                if (*s == ',') s++;
            }
        } else {
            fprintf(stderr,
                    "usage: match_bench [-n N[,N...]] [-q queries] [-r radius] [-p planted] "
                    "[-v 1|8] [-R join-repeats] [--no-faiss] [--join-only]\n");
            return 2;
        }
    }
    if (nq < 1 || radius < 0 || radius > 63) return 2;
    const char *ob = getenv("OPENBLAS_CORETYPE");
    printf("match_bench: one thread, kernel %s (DV_SIMD=%s), OPENBLAS_CORETYPE=%s\n",
           dv__pdq_kernel_name(dv__pdq_kernel_for_simd(DV_SIMD_AUTO)),
           getenv("DV_SIMD") ? getenv("DV_SIMD") : "unset", ob ? ob : "unset");
    for (size_t i = 0; i < nlists; i++)
        if (bench_one(lists[i], nq, radius, nplant, faiss) != 0) return 1;
    return 0;
}
