/* knn_kernel_bench.c - the int8-from-float16 kernel of the embedding search on rows in
 * cache (one block of the search), one thread: ns a row for the whole kernel (scales,
 * quantization, VPDPBUSD) and for its scoring part alone (the same seeds against rows
 * quantized beforehand), and their ratio: how far the non-VNNI work keeps the kernel from
 * its VNNI floor. Internal kernels, not the public API: for work on src/knn/knn_avx512.c. */
#include "datavet.h"
#include "knn/knn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include <unistd.h>

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static double unif(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
    size_t n = 2048, d = 768, ng = 1; /* a block of the search */
    int rounds = 9, reps = 200, opt;
    while ((opt = getopt(argc, argv, "n:g:r:")) != -1) {
        if (opt == 'n') n = strtoull(optarg, NULL, 10);
        else if (opt == 'g') ng = strtoull(optarg, NULL, 10);
        else if (opt == 'r') rounds = atoi(optarg);
        else {
            fprintf(stderr, "usage: knn_kernel_bench [-n ROWS] [-g SEED_GROUPS] [-r ROUNDS]\n");
            return 2;
        }
    }
    if (n < 8 || n > 65536 || ng < 1 || ng > 64 || rounds < 1 || rounds > 99) {
        fprintf(stderr, "knn_kernel_bench: 8 <= ROWS <= 65536, 1 <= SEED_GROUPS <= 64, "
                        "1 <= ROUNDS <= 99\n");
        return 2;
    }
    dv__knn_kernels k;
    dv__knn_get_kernels(DV_SIMD_AUTO, &k);
    if (k.f16q == NULL) {
        printf("knn_kernel_bench: no AVX512-VNNI float16 kernel on this CPU (int8 kernel %s)\n",
               k.i8_name);
        return 0;
    }
    size_t ns = 16 * ng, ldo = ns;
    uint16_t *h = malloc(n * d * 2);
    int8_t *sp = malloc(d * ns);
    int32_t *corr = calloc(ns, 4), *out = malloc(n * ldo * 4);
    float *par = malloc(n * 3 * sizeof(float));
    uint8_t *scratch = malloc(16 * d + 4096), *xu = malloc(n * d);
    if (!h || !sp || !corr || !out || !par || !scratch || !xu) return 1;
    /* unit-norm-like rows: uniform in +-0.12, as float16 */
    for (size_t i = 0; i < n * d; i++) h[i] = dv_f32_to_f16((float)((unif() - 0.5) * 0.24));
    for (size_t e = 0; e < d * ns; e++) {
        sp[e] = (int8_t)((int)(unif() * 255.0) - 127);
        corr[(e / (d * 16)) * 16 + (e % 64) / 4] += 128 * sp[e];
    }
    float sqd = nextafterf(sqrtf((float)d), INFINITY);
    /* the rows as the kernel quantizes them, for the scoring part alone */
    dv__knn_f16quant_scalar(h, n, d, sqd, xu, par, par + n, par + 2 * n);
    double whole[99], score[99];
    for (int r = 0; r < rounds; r++) {
        double bw = 1e9, bs = 1e9;
        for (int i = 0; i < reps; i++) {
            double t0 = bench_now();
            k.f16q(h, n, d, sp, ng, corr, sqd, out, ldo, par, par + n, par + 2 * n, scratch);
            double t1 = bench_now();
            k.i8(xu, n, sp, ng, corr, d, out, ldo);
            double t2 = bench_now();
            if (t1 - t0 < bw) bw = t1 - t0;
            if (t2 - t1 < bs) bs = t2 - t1;
        }
        whole[r] = bw * 1e9 / (double)n;
        score[r] = bs * 1e9 / (double)n;
    }
    for (int a = 1; a < rounds; a++)
        for (int b = a; b > 0 && whole[b] < whole[b - 1]; b--) {
            double x = whole[b];
            whole[b] = whole[b - 1];
            whole[b - 1] = x;
        }
    for (int a = 1; a < rounds; a++)
        for (int b = a; b > 0 && score[b] < score[b - 1]; b--) {
            double x = score[b];
            score[b] = score[b - 1];
            score[b - 1] = x;
        }
    double mw = whole[rounds / 2], ms = score[rounds / 2];
    printf("knn_kernel_bench: %zu rows x %zu dims float16 (%.0f KiB: in L3 cache, a block of the search), %zu seeds, "
           "one thread, median of %d rounds (each the best of %d)\n",
           n, d, (double)(n * d * 2) / 1024.0, ns, rounds, reps);
    printf("  int8 from float16 (%s): %.1f ns a row\n", "avx512-vnni-f16", mw);
    printf("  its scoring alone (%s on rows quantized beforehand): %.1f ns a row\n", k.i8_name,
           ms);
    printf("  whole / scoring: %.2fx; a core consumes %.1f GB/s of float16 at the whole "
           "kernel's rate\n",
           mw / ms, (double)(d * 2) / mw);
    free(h);
    free(sp);
    free(corr);
    free(out);
    free(par);
    free(scratch);
    free(xu);
    return 0;
}
