/* hash_bench.c - single-thread throughput of decode, PDQ and the whole per-image hash,
 * exact and --fast, as ratios against baselines measured in the same run: datavet's scalar twin
 * and, with --reference CMD, an external build of the reference C++ PDQ run on the same files. */
#include "datavet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

typedef struct file {
    char *name;
    char *path;
    uint8_t *buf;
    size_t len;
} file;

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
        v[n].path = strdup(path);
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
static double run_decode(const file *f, size_t n, int fast, dv_simd simd, double *mp)
{
    dv_decode_opts o = {0};
    dv_decoder *dec;
    dv_image img;
    double t0, t;
    o.fast = fast;
    o.fast_skip_refine = fast; /* as hash --fast decodes */
    o.simd = simd;
    dec = dv_decoder_create(&o);
    *mp = 0;
    for (size_t i = 0; i < n; i++) dv_decoder_decode(dec, f[i].buf, f[i].len, &img); /* warm */
    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        if (dv_decoder_decode(dec, f[i].buf, f[i].len, &img) == DV_OK)
            *mp += (double)img.width * img.height / 1e6;
    }
    t = bench_now() - t0;
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
            t0 = bench_now();
            dv_pdq_hash_image(h, &img, &r);
            t += bench_now() - t0;
        }
    }
    dv_pdq_hasher_free(h);
    dv_decoder_free(dec);
    return (double)n / t;
}

/* Files a call to dv_digests_compute_many, as `datavet hash` groups them (cli/cmd_hash.c) */
#define GROUP 128

/* MD5 alone, images/s: OpenSSL's one file after another, or datavet's side by side. */
static double run_md5(const file *f, size_t n, int many)
{
    dv_digests d[GROUP];
    const void *bufs[GROUP];
    size_t lens[GROUP];
    double t = 1e30;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = bench_now(), tp;
        for (size_t i = 0; i < n; i += GROUP) {
            size_t m = n - i < GROUP ? n - i : GROUP;
            for (size_t k = 0; k < m; k++) {
                bufs[k] = f[i + k].buf;
                lens[k] = f[i + k].len;
                if (!many) dv_digests_compute(DV_ALGO_MD5, bufs[k], lens[k], &d[k]);
            }
            if (many) dv_digests_compute_many(DV_ALGO_MD5, bufs, lens, m, d);
        }
        tp = bench_now() - t0;
        if (tp < t) t = tp;
    }
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

/* As `datavet hash` does it: the digests of up to GROUP files at once (MD5 side by side in
 * vector lanes), then each file's decode and PDQ. */
static void hash_group(dv_hasher *h, unsigned algos, const void *const *bufs, const size_t *lens,
                       size_t n, dv_hash_result *r)
{
    dv_digests pre[GROUP];
    unsigned dg = algos & (DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256);
    if (dg && dv_digests_compute_many(dg, bufs, lens, n, pre) != DV_OK) dg = 0;
    for (size_t i = 0; i < n; i++) dv_hasher_hash_digested(h, bufs[i], lens[i], dg ? &pre[i] : NULL, &r[i]);
}

static double run_all_min(const file *f, size_t n, unsigned algos, int fast, uint32_t min_side,
                          dv_simd simd, dv_pdq_hash *hashes)
{
    const void *bufs[GROUP];
    size_t lens[GROUP];
    dv_hash_result rs[GROUP];
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
    t0 = bench_now();
    for (size_t i = 0; i < n; i += GROUP) {
        size_t m = n - i < GROUP ? n - i : GROUP;
        for (size_t k = 0; k < m; k++) {
            bufs[k] = f[i + k].buf;
            lens[k] = f[i + k].len;
        }
        hash_group(h, algos, bufs, lens, m, rs);
        for (size_t k = 0; hashes && k < m; k++) hashes[i + k] = rs[k].pdq.hash[0];
    }
    t = bench_now() - t0;
    dv_hasher_free(h);
    return (double)n / t;
}

static void report(const char *title, const file *f, size_t n)
{
    double mp, mpf, mpl, decl, ref, exact, fast, dec, decf, pdq_s, pdq_v, md5_1, md5_m;
    dv_pdq_hash *he = calloc(n, sizeof(*he)), *hf = calloc(n, sizeof(*hf));
    dv_simd best = dv_simd_best();
    unsigned all = DV_ALGO_PDQ | DV_ALGO_MD5 | DV_ALGO_SHA256;
    double sum = 0;
    int maxd = 0, hist[5] = {0};

    dec = run_decode(f, n, 0, DV_SIMD_AUTO, &mp);
    decf = run_decode(f, n, 1, DV_SIMD_AUTO, &mpf);
    decl = run_decode(f, n, 0, DV_SIMD_SCALAR, &mpl);
    pdq_s = run_pdq(f, n, DV_SIMD_SCALAR);
    pdq_v = run_pdq(f, n, best);
    md5_1 = run_md5(f, n, 0);
    md5_m = run_md5(f, n, 1);
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
    printf("%-44s %10.1f %10.3f %9s\n", "decode, libjpeg-turbo's own Huffman decoder", decl, 1e3 / decl, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "decode, exact (datavet Huffman, full size)", dec, 1e3 / dec, dec / decl);
    printf("%-44s %10.1f %10.3f %8.2fx\n", "decode, --fast (DCT-scaled)", decf, 1e3 / decf, decf / decl);
    printf("%-44s %10.1f %10.3f %9s\n", "pdq only, scalar twin (reference loops)", pdq_s, 1e3 / pdq_s, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "pdq only, optimised kernel", pdq_v, 1e3 / pdq_v, pdq_v / pdq_s);
    printf("%-44s %10.1f %10.3f %9s\n", "md5 only, OpenSSL, one file at a time", md5_1, 1e3 / md5_1, "1.00x");
    printf("%-44s %10.1f %10.3f %8.2fx\n", "md5 only, side by side (128 files a call)", md5_m, 1e3 / md5_m, md5_m / md5_1);
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

/* ---- Same-run comparison with the reference C++ PDQ (--reference CMD) ----
 * CMD runs through /bin/sh with the files' paths on stdin, one a line, and prints one
 * "hash,quality,path" line per file, as the reference CLI does with -i. The reference is not
 * part of datavet: docs/performance.md says how to build it from upstream. */

typedef struct cmd_out {
    char *text;
    size_t len;
    int status;
} cmd_out;

/* Wall seconds from fork to exit of CMD fed the paths of f[0..n), or -1. */
static double run_cmd(const char *cmd, const file *f, size_t n, cmd_out *out)
{
    int in[2], op[2];
    size_t wlen = 0, wpos = 0, cap = 1 << 16;
    char *w;
    pid_t pid;
    double t0;
    int st = 0;

    for (size_t i = 0; i < n; i++) wlen += strlen(f[i].path) + 1;
    w = malloc(wlen + 1);
    out->text = malloc(cap);
    out->len = 0;
    if (w == NULL || out->text == NULL) exit(1);
    for (size_t i = 0, k = 0; i < n; i++) {
        size_t l = strlen(f[i].path);
        memcpy(w + k, f[i].path, l);
        w[k + l] = '\n';
        k += l + 1;
    }
    if (pipe(in) != 0 || pipe(op) != 0) exit(1);
    t0 = bench_now();
    pid = fork();
    if (pid < 0) exit(1);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(op[1], 1);
        close(in[0]);
        close(in[1]);
        close(op[0]);
        close(op[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(op[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (wlen == 0) {
        close(in[1]);
        in[1] = -1;
    }
    for (;;) {
        struct pollfd p[2] = {{op[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        ssize_t r;
        if (poll(p, in[1] >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (in[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            r = write(in[1], w + wpos, wlen - wpos);
            if (r > 0) wpos += (size_t)r;
            if (r < 0 && errno != EAGAIN) wpos = wlen;
            if (wpos == wlen) {
                close(in[1]);
                in[1] = -1;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (out->len == cap) {
                cap *= 2;
                out->text = realloc(out->text, cap);
                if (out->text == NULL) exit(1);
            }
            r = read(op[0], out->text + out->len, cap - out->len);
            if (r <= 0) break;
            out->len += (size_t)r;
        }
    }
    if (in[1] >= 0) close(in[1]);
    close(op[0]);
    waitpid(pid, &st, 0);
    out->status = st;
    free(w);
    return bench_now() - t0;
}

/* Parse CMD's "hex,quality,path" lines into got[] (by path); returns the number of files found. */
static size_t parse_ref(const cmd_out *o, const file *f, size_t n, dv_pdq_hash *got, int *gotq,
                        int *found)
{
    size_t nfound = 0, hint = 0;
    const char *p = o->text, *end = o->text + o->len;
    memset(found, 0, n * sizeof(*found));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *c1, *c2;
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        dv_pdq_hash h;
        c1 = memchr(p, ',', ll);
        c2 = c1 ? memchr(c1 + 1, ',', ll - (size_t)(c1 + 1 - p)) : NULL;
        if (c2 && dv_pdq_from_hex(p, (size_t)(c1 - p), &h) == DV_OK) {
            const char *name = c2 + 1;
            size_t nl2 = ll - (size_t)(name - p);
            for (size_t k = 0; k < n; k++) {
                size_t j = (hint + k) % n;
                if (strlen(f[j].path) == nl2 && memcmp(f[j].path, name, nl2) == 0) {
                    char q[8] = {0};
                    size_t ql = (size_t)(c2 - c1 - 1) < 7 ? (size_t)(c2 - c1 - 1) : 7;
                    memcpy(q, c1 + 1, ql);
                    got[j] = h;
                    gotq[j] = (int)strtol(q, NULL, 10);
                    if (!found[j]) nfound++;
                    found[j] = 1;
                    hint = j + 1;
                    break;
                }
            }
        }
        p += ll + 1;
    }
    return nfound;
}

/* The whole datavet job from the path, as the reference does: read + digests + decode + PDQ.
 * h is made once for all rounds, as one hasher serves a whole run of datavet hash. */
static double run_paths(const file *f, size_t n, dv_hasher *h, dv_pdq_hash *hashes, int *quals)
{
    const void *bufs[GROUP];
    size_t lens[GROUP], idx[GROUP];
    dv_hash_result rs[GROUP];
    double t0 = bench_now(), t;
    for (size_t i = 0; i < n; i += GROUP) {
        size_t m = 0;
        for (size_t k = i; k < n && k < i + GROUP; k++) {
            void *buf;
            size_t len;
            char err[256];
            if (dv_read_file(f[k].path, 1ull << 30, NULL, &buf, &len, err, sizeof(err)) != DV_OK) continue;
            bufs[m] = buf;
            lens[m] = len;
            idx[m++] = k;
        }
        hash_group(h, DV_ALGO_PDQ | DV_ALGO_MD5 | DV_ALGO_SHA256, bufs, lens, m, rs);
        for (size_t k = 0; k < m; k++) {
            if (hashes && rs[k].has_pdq) {
                hashes[idx[k]] = rs[k].pdq.hash[0];
                quals[idx[k]] = rs[k].pdq.quality;
            }
            dv_free_buffer(NULL, (void *)bufs[k]);
        }
    }
    t = bench_now() - t0;
    return t;
}

/* Read + full-size decode alone: no hash at all, so reference / this bounds any decode-bound ratio. */
static double run_paths_decode(const file *f, size_t n, dv_decoder *dec)
{
    dv_image img;
    double t0 = bench_now(), t;
    for (size_t i = 0; i < n; i++) {
        void *buf;
        size_t len;
        char err[256];
        if (dv_read_file(f[i].path, 1ull << 30, NULL, &buf, &len, err, sizeof(err)) != DV_OK) continue;
        dv_decoder_decode(dec, buf, len, &img);
        dv_free_buffer(NULL, buf);
    }
    t = bench_now() - t0;
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_machine(void)
{
    char line[512], model[256] = "unknown", load[64] = "?";
    FILE *fp = fopen("/proc/cpuinfo", "r");
    while (fp && fgets(line, sizeof(line), fp)) {
        char *c = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && c) {
            snprintf(model, sizeof(model), "%.200s", c + 2);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    }
    if (fp) fclose(fp);
    fp = fopen("/proc/loadavg", "r");
    if (fp && fgets(line, sizeof(line), fp)) {
        snprintf(load, sizeof(load), "%.60s", line);
        load[strcspn(load, "\n")] = 0;
    }
    if (fp) fclose(fp);
    printf("machine: %s, %ld online CPUs, load average %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
           load);
    printf("the machine is shared (2 cores, other engineers' builds and tests running): absolute\n"
           "figures move between runs; compare the ratios, measured round by round in this run\n");
}

#define MAX_ROUNDS 50

static void report_reference(const char *cmd, int pre512, int rounds, const file *f, size_t n)
{
    dv_pdq_hash *ref = calloc(n, sizeof(*ref)), *dvh = calloc(n, sizeof(*dvh));
    int *refq = calloc(n, sizeof(int)), *dvq = calloc(n, sizeof(int)), *found = calloc(n, sizeof(int));
    double tref[MAX_ROUNDS], tex[MAX_ROUNDS], tfa[MAX_ROUNDS], tpre[MAX_ROUNDS], rex[MAX_ROUNDS],
        rfa[MAX_ROUNDS], tdec[MAX_ROUNDS], start[3], t0s, mref, mex, mfa, mdec, mpre = 0;
    dv_hasher_opts ex = {0}, fa = {0}, pr = {0};
    unsigned all = DV_ALGO_PDQ | DV_ALGO_MD5 | DV_ALGO_SHA256;
    cmd_out o;
    size_t nfound, same = 0;
    int maxd = 0;

    dv_hasher *hex, *hfa, *hpr;
    dv_decoder *dec;

    ex.algos = fa.algos = pr.algos = all;
    fa.fast = 1;
    pr.preresize512 = 1;
    /* datavet's side is set up once, as one run of datavet hash over many files sets up its
     * hashers once, and passes over the files once untimed (the reference's process
     * start-up is likewise timed apart and taken off; its first round also reads the files) */
    hex = dv_hasher_create(&ex);
    hfa = dv_hasher_create(&fa);
    hpr = dv_hasher_create(&pr);
    dec = dv_decoder_create(NULL);
    if (found == NULL || ref == NULL || dvh == NULL || refq == NULL || dvq == NULL || !hex ||
        !hfa || !hpr || !dec)
        exit(1);
    run_paths(f, n, hex, NULL, NULL);
    run_paths(f, n, hfa, NULL, NULL);
    if (pre512) run_paths(f, n, hpr, NULL, NULL);
    run_paths_decode(f, n, dec);
    printf("\n== same run vs the reference C++ PDQ: %zu web-size JPEGs, %d rounds\n", n, rounds);
    printf("reference command: %s (%s)\n", cmd,
           pre512 ? "reference CLI behaviour: sides > 512 resized to 512x512 first"
                  : "reference core on the full-size decoded image");
    /* process start-up, measured with no files and taken off the reference's time */
    for (int k = 0; k < 3; k++) {
        start[k] = run_cmd(cmd, f, 0, &o);
        free(o.text);
    }
    t0s = median(start, 3);
    for (int r = 0; r < rounds; r++) {
        tref[r] = run_cmd(cmd, f, n, &o) - t0s;
        if (r == 0) {
            if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
                printf("warning: reference exited with status %d\n",
                       WIFEXITED(o.status) ? WEXITSTATUS(o.status) : -1);
            nfound = parse_ref(&o, f, n, ref, refq, found);
            run_paths(f, n, pre512 ? hpr : hex, dvh, dvq);
            for (size_t i = 0; i < n; i++) {
                int d;
                if (!found[i]) continue;
                d = dv_pdq_distance(&ref[i], &dvh[i]);
                if (d == 0 && refq[i] == dvq[i]) same++;
                else if (maxd < 8)
                    printf("  hash differs: %s: %d bits, quality %d vs %d\n", f[i].name, d, refq[i],
                           dvq[i]);
                if (d > maxd) maxd = d;
            }
            printf("hash check: the reference hashed %zu of %zu files; %zu of them equal datavet %s\n"
                   "  bit for bit (hash and quality), max distance %d bits\n",
                   nfound, n, same, pre512 ? "--pdq-preresize512" : "exact (default)", maxd);
            if (nfound < n || same < nfound) {
                /* a ratio against a command that hashed other files, or hashed them otherwise,
                 * would not be the reference's figure */
                printf("reference: not timed (it must hash every file, equal to datavet; wrong --reference-mode?)\n");
                free(o.text);
                goto done;
            }
        }
        free(o.text);
        tex[r] = run_paths(f, n, hex, NULL, NULL);
        tfa[r] = run_paths(f, n, hfa, NULL, NULL);
        if (pre512) tpre[r] = run_paths(f, n, hpr, NULL, NULL);
        tdec[r] = run_paths_decode(f, n, dec);
        rex[r] = tref[r] / tex[r];
        rfa[r] = tref[r] / tfa[r];
    }
    mref = (double)n / median(tref, rounds);
    mex = (double)n / median(tex, rounds);
    mfa = (double)n / median(tfa, rounds);
    if (pre512) mpre = (double)n / median(tpre, rounds);
    mdec = (double)n / median(tdec, rounds);
    printf("reference process start-up %.1f ms (median of 3 runs with no files), taken off\n",
           t0s * 1e3);
    printf("%-52s %10s %10s %9s\n", "stage (median of rounds; from the file path)", "images/s",
           "ms/image", "vs ref");
    printf("%-52s %10.1f %10.3f %9s\n", "reference C++: read + CImg/libjpeg decode + PDQ", mref,
           1e3 / mref, "1.00x");
    printf("%-52s %10.1f %10.3f %8.2fx\n", "datavet exact: read + decode + pdq + md5 + sha256", mex,
           1e3 / mex, mex / mref);
    printf("%-52s %10.1f %10.3f %8.2fx\n", "datavet --fast: the same", mfa, 1e3 / mfa, mfa / mref);
    if (pre512)
        printf("%-52s %10.1f %10.3f %8.2fx\n", "datavet --pdq-preresize512: the same", mpre,
               1e3 / mpre, mpre / mref);
    printf("%-52s %10.1f %10.3f %8.2fx\n", "datavet read + full-size decode alone (no hashing)", mdec,
           1e3 / mdec, mdec / mref);
    printf("  (the last row bounds any exact full-size decode: hashing for free would give %.2fx)\n",
           mdec / mref);
    {
        double lo_e = median(rex, rounds), lo_f = median(rfa, rounds);
        printf("per-round ratios: exact %.2fx median [%.2f .. %.2f], --fast %.2fx median [%.2f .. %.2f]\n",
               lo_e, rex[0], rex[rounds - 1], lo_f, rfa[0], rfa[rounds - 1]);
        printf("targets: exact >= 3x: %s; --fast >= 10x: %s\n", lo_e >= 3 ? "met" : "NOT met",
               lo_f >= 10 ? "met" : "NOT met");
    }
done:
    dv_hasher_free(hex);
    dv_hasher_free(hfa);
    dv_hasher_free(hpr);
    dv_decoder_free(dec);
    free(ref);
    free(dvh);
    free(refq);
    free(dvq);
    free(found);
}

static void usage(void)
{
    fprintf(stderr, "usage: hash_bench [--reference CMD] [--reference-mode fullsize|preresize512]\n"
                    "                  [--rounds N] [--reference-only] [DIR]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/photos/dev", *refcmd = NULL;
    const char *ct = getenv("OPENBLAS_CORETYPE");
    file *f = NULL, *web;
    size_t n, nweb = 0;
    int pre512 = 0, rounds = 5, ref_only = 0;

#if defined(__GLIBC__)
    /* the allocator as the datavet CLI sets it (cli/main.c): freed file and image buffers
     * stay in the heap, so a group of files read after another is not page-faulted in */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reference") == 0 && i + 1 < argc) {
            refcmd = argv[++i];
        } else if (strcmp(argv[i], "--reference-mode") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "preresize512") == 0) pre512 = 1;
            else if (strcmp(argv[i], "fullsize") != 0) usage();
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            char *e;
            long v = strtol(argv[++i], &e, 10);
            if (*e || v < 1 || v > MAX_ROUNDS) usage();
            rounds = (int)v;
        } else if (strcmp(argv[i], "--reference-only") == 0) {
            ref_only = 1;
        } else if (argv[i][0] == '-') {
            usage();
        } else {
            dir = argv[i];
        }
    }
    signal(SIGPIPE, SIG_IGN);

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
    print_machine();
    if (!ref_only) {
        printf("ratios are against stages measured in this same run; baseline = full-size decode +\n"
               "the scalar twin of PDQ, which keeps the reference C++ loops (strided column pass)\n");
        report("all JPEGs", f, n);
        report("web-size JPEGs (<= 1 MP)", web, nweb);
    }
    if (refcmd)
        report_reference(refcmd, pre512, rounds, web, nweb);
    else
        printf("\nreference: skipped (no --reference CMD given); the ratios above are against\n"
               "datavet's scalar twin, not the reference C++; docs/performance.md says how\n"
               "to build the reference and run the same-run comparison\n");
    for (size_t i = 0; i < n; i++) {
        free(f[i].name);
        free(f[i].path);
        free(f[i].buf);
    }
    free(f);
    free(web);
    return 0;
}
