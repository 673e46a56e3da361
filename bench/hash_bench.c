/* hash_bench.c - single-thread throughput of decode, PDQ and the whole per-image hash,
 * exact and --fast, as ratios against a reference-structured baseline measured in the same run. */
#include "datavet.h"

#include <dirent.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct file {
    char *name;
    uint8_t *buf;
    size_t len;
} file;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const file *)a)->name, ((const file *)b)->name);
}

static size_t load_jpegs(const char *dir, file **out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    file *v = NULL;
    size_t n = 0, cap = 0;
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        void *buf;
        size_t len;
        char err[256];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (dv_read_file(path, 1ull << 30, NULL, &buf, &len, err, sizeof(err)) != DV_OK) continue;
        if (dv_image_sniff(buf, len) != DV_FMT_JPEG) {
            free(buf);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 128;
            v = realloc(v, cap * sizeof(*v));
            if (v == NULL) exit(1);
        }
        v[n].name = strdup(e->d_name);
        v[n].buf = buf;
        v[n].len = len;
        n++;
    }
    closedir(d);
    qsort(v, n, sizeof(*v), cmp_name);
    *out = v;
    return n;
}

/* Decode-only throughput. */
static double run_decode(const file *f, size_t n, int fast, double *mp)
{
    dv_decode_opts o = {0};
    dv_decoder *dec;
    dv_image img;
    double t0, t;
    o.fast = fast;
    dec = dv_decoder_create(&o);
    *mp = 0;
    for (size_t i = 0; i < n; i++) dv_decoder_decode(dec, f[i].buf, f[i].len, &img); /* warm */
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        if (dv_decoder_decode(dec, f[i].buf, f[i].len, &img) == DV_OK)
            *mp += (double)img.width * img.height / 1e6;
    }
    t = now_s() - t0;
    dv_decoder_free(dec);
    return (double)n / t;
}

/* PDQ-only throughput: decode outside the timed region, hash inside it. */
static double run_pdq(const file *f, size_t n, dv_simd simd)
{
    dv_decoder *dec = dv_decoder_create(NULL);
    dv_pdq_opts po = {0};
    dv_pdq_hasher *h;
    dv_image img;
    dv_pdq_result r;
    double t = 0;
    po.simd = simd;
    h = dv_pdq_hasher_create(&po);
    for (int pass = 0; pass < 2; pass++) {
        t = 0;
        for (size_t i = 0; i < n; i++) {
            double t0;
            if (dv_decoder_decode(dec, f[i].buf, f[i].len, &img) != DV_OK) continue;
            t0 = now_s();
            dv_pdq_hash_image(h, &img, &r);
            t += now_s() - t0;
        }
    }
    dv_pdq_hasher_free(h);
    dv_decoder_free(dec);
    return (double)n / t;
}

/* The whole per-image job: digests + decode + PDQ. */
static double run_all_min(const file *f, size_t n, unsigned algos, int fast, uint32_t min_side,
                          dv_simd simd, dv_pdq_hash *hashes);
static double run_all(const file *f, size_t n, unsigned algos, int fast, dv_simd simd,
                      dv_pdq_hash *hashes)
{
    return run_all_min(f, n, algos, fast, 0, simd, hashes);
}

static double run_all_min(const file *f, size_t n, unsigned algos, int fast, uint32_t min_side,
                          dv_simd simd, dv_pdq_hash *hashes)
{
    dv_hasher_opts o = {0};
    o.fast_min_side = min_side;
    dv_hasher *h;
    dv_hash_result r;
    double t0, t;
    o.algos = algos;
    o.fast = fast;
    o.simd = simd;
    h = dv_hasher_create(&o);
    for (size_t i = 0; i < n; i++) dv_hasher_hash(h, f[i].buf, f[i].len, &r); /* warm */
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        dv_hasher_hash(h, f[i].buf, f[i].len, &r);
        if (hashes) hashes[i] = r.pdq.hash[0];
    }
    t = now_s() - t0;
    dv_hasher_free(h);
    return (double)n / t;
}

static void report(const char *title, const file *f, size_t n)
{
    double mp, mpf, ref, exact, fast, dec, decf, pdq_s, pdq_v;
    dv_pdq_hash *he = calloc(n, sizeof(*he)), *hf = calloc(n, sizeof(*hf));
    dv_simd best = dv_simd_best();
    unsigned all = DV_ALGO_PDQ | DV_ALGO_MD5 | DV_ALGO_SHA256;
    double sum = 0;
    int maxd = 0, hist[5] = {0};

    dec = run_decode(f, n, 0, &mp);
    decf = run_decode(f, n, 1, &mpf);
    pdq_s = run_pdq(f, n, DV_SIMD_SCALAR);
    pdq_v = run_pdq(f, n, best);
    ref = run_all(f, n, DV_ALGO_PDQ, 0, DV_SIMD_SCALAR, NULL);
    exact = run_all(f, n, all, 0, best, he);
    fast = run_all(f, n, all, 1, best, hf);
    for (size_t i = 0; i < n; i++) {
        int d = dv_pdq_distance(&he[i], &hf[i]);
        sum += d;
        if (d > maxd) maxd = d;
        hist[d == 0 ? 0 : d <= 4 ? 1 : d <= 8 ? 2 : d <= 16 ? 3 : 4]++;
    }
    printf("\n== %s: %zu JPEGs, %.1f MP in all (mean %.2f MP)\n", title, n, mp, mp / (double)n);
    printf("%-44s %10s %10s %9s\n", "stage", "images/s", "ms/image", "ratio");
    printf("%-44s %10.1f %10.3f %9s\n", "decode, exact (libjpeg-turbo, full size)", dec, 1e3 / dec, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "decode, --fast (DCT-scaled)", decf, 1e3 / decf, decf / dec);
    printf("%-44s %10.1f %10.3f %9s\n", "pdq only, scalar twin (reference loops)", pdq_s, 1e3 / pdq_s, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "pdq only, optimised kernel", pdq_v, 1e3 / pdq_v, pdq_v / pdq_s);
    printf("%-44s %10.1f %10.3f %9s\n", "baseline: decode + scalar-twin pdq", ref, 1e3 / ref, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "exact: decode + pdq + md5 + sha256", exact, 1e3 / exact, exact / ref);
    printf("%-44s %10.1f %10.3f %8.2fx\n", "--fast: decode + pdq + md5 + sha256", fast, 1e3 / fast, fast / ref);
    printf("--fast PDQ vs exact: mean %.2f bits, max %d bits; 0: %d, 1-4: %d, 5-8: %d, 9-16: %d, >16: %d\n",
           sum / (double)n, maxd, hist[0], hist[1], hist[2], hist[3], hist[4]);
    if (getenv("DV_BENCH_SWEEP")) {
        static const uint32_t sides[] = {32, 48, 64, 96, 128, 192, 256, 384};
        for (size_t k = 0; k < sizeof(sides) / sizeof(sides[0]); k++) {
            double r = run_all_min(f, n, all, 1, sides[k], best, hf), msum = 0;
            int mx = 0;
            for (size_t i = 0; i < n; i++) {
                int d = dv_pdq_distance(&he[i], &hf[i]);
                msum += d;
                if (d > mx) mx = d;
            }
            printf("  sweep fast_min_side=%-4u %8.1f images/s %6.2fx  mean %.2f max %d bits\n",
                   sides[k], r, r / ref, msum / (double)n, mx);
        }
    }
    free(he);
    free(hf);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/photos/dev";
    const char *ct = getenv("OPENBLAS_CORETYPE");
    file *f = NULL, *web;
    size_t n, nweb = 0;

#if defined(__GLIBC__)
    /* as the CLI does: keep big buffers mapped between images (see cli/main.c) */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
    n = load_jpegs(dir, &f);
    if (n == 0) {
        fprintf(stderr, "hash_bench: no JPEGs in %s (is ../shared present?)\n", dir);
        return 1;
    }
    web = calloc(n, sizeof(*web));
    {
        dv_decoder *dec = dv_decoder_create(NULL);
        dv_image img;
        for (size_t i = 0; i < n; i++)
            if (dv_decoder_decode(dec, f[i].buf, f[i].len, &img) == DV_OK &&
                (uint64_t)img.width * img.height <= 1000000)
                web[nweb++] = f[i];
        dv_decoder_free(dec);
    }
    printf("hash_bench: JPEGs of %s, one thread, simd=%s, OPENBLAS_CORETYPE=%s (BLAS unused here)\n",
           dir, dv_simd_name(dv_simd_best()), ct ? ct : "unset");
    printf("ratios are against stages measured in this same run; baseline = full-size decode +\n"
           "the scalar twin of PDQ, which keeps the reference C++ loops (strided column pass)\n");
    report("all JPEGs", f, n);
    report("web-size JPEGs (<= 1 MP)", web, nweb);
    for (size_t i = 0; i < n; i++) {
        free(f[i].name);
        free(f[i].buf);
    }
    free(f);
    free(web);
    return 0;
}
