/* test_knn.c - embedding-search kernels against their scalar twins (bit for bit), the
 * quantization bounds, the top-k heap, and the search API on every pass and path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <dirent.h>

#include "knn/knn_internal.h"

#include <cblas.h>

static uint64_t rng_state = 88172645463325252ull;
static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static const dv_simd paths[] = {DV_SIMD_AVX2, DV_SIMD_AVX512};

/* threads of this process (entries of /proc/self/task) less ThreadSanitizer's own (a build
 * with DV_TSAN); 0 where it cannot be read */
static int task_count(void)
{
#if defined(DV_TEST_TSAN)
    const int runtime = 1;
#else
    const int runtime = 0;
#endif
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (d == NULL) return 0;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n > runtime ? n - runtime : n;
}

/* OpenBLAS's server threads (started when it is loaded, then spinning on sched_yield) are
 * gone after dv_blas_global_init, stay gone after dv_knn_create (which sets OpenBLAS's
 * thread count too: setting it can start them again), and sgemm still works on the calling
 * thread. Runs first: no pool of another test is alive. */
static void test_blas_global_init(void **st)
{
    (void)st;
    int before = task_count();
    if (before == 0) {
        printf("  skip: /proc/self/task cannot be read\n");
        return;
    }
    assert_int_equal(dv_blas_global_init(), DV_OK);
    int after = task_count();
    /* one-thread handles: their pools start no thread */
    dv_knn_opts o = {.threads = 1};
    dv_knn *k = dv_knn_create(&o);
    assert_non_null(k);
    dv_knn_free(k);
    k = dv_knn_create(&o);
    assert_non_null(k);
    dv_knn_free(k);
    float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[4];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
    assert_true(c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50);
    printf("  threads before %d, after dv_blas_global_init %d, after dv_knn_create and sgemm "
           "%d\n",
           before, after, task_count());
#if defined(DV_HAVE_OPENBLAS)
    assert_int_equal(after, 1);
    assert_int_equal(task_count(), 1);
#else
    printf("  not OpenBLAS: its threads are not checked\n");
#endif
}

static void test_dot_kernels(void **st)
{
    (void)st;
    const size_t dp = 96, nr = 7, ns = 11;
    float *x = malloc(nr * dp * 4), *y = malloc(ns * dp * 4), ref[7 * 11], got[7 * 11];
    for (size_t i = 0; i < nr * dp; i++) x[i] = frand();
    for (size_t i = 0; i < ns * dp; i++) y[i] = frand();
    dv__knn_dot_scalar(x, nr, y, ns, dp, ref, ns);
    for (size_t p = 0; p < 2; p++) {
        dv__knn_kernels k;
        if (!dv_simd_available(paths[p])) {
            printf("note: %s not available, skipped\n", dv_simd_name(paths[p]));
            continue;
        }
        dv__knn_get_kernels(paths[p], &k);
        memset(got, 0, sizeof(got));
        k.dot(x, nr, y, ns, dp, got, ns);
        assert_memory_equal(ref, got, sizeof(ref));
        for (size_t i = 0; i < nr; i++)
            for (size_t j = 0; j < ns; j++) {
                float a = k.dot1(x + i * dp, y + j * dp, dp);
                assert_memory_equal(&a, &ref[i * ns + j], 4);
            }
    }
    free(x);
    free(y);
}

static void test_i8_kernels(void **st)
{
    (void)st;
    const size_t dp = 64, nr = 9, ng = 2, ns = ng * DV_KNN_SEED_GROUP;
    uint8_t *xu = malloc(nr * dp);
    int8_t *sp = malloc(ns * dp);
    int32_t corr[32], ref[9 * 32], got[9 * 32];
    /* each seed range a kernel takes: 32 (AVX2), 64 (AVX2, few seeds), 127 (VNNI, scalar) */
    const int qms[] = {32, 64, 127};
    int tested[3] = {0};
    for (int qi = 0; qi < 3; qi++) {
        const int qm = qms[qi];
        for (size_t i = 0; i < nr * dp; i++)
            xu[i] = (uint8_t)(1 + (rng_state = rng_state * 6364136223846793005ull + 1) % 255);
        for (size_t i = 0; i < ns * dp; i++)
            sp[i] = (int8_t)((int)((rng_state = rng_state * 6364136223846793005ull + 1) >> 33) %
                                 (2 * qm + 1) - qm);
        for (size_t j = 0; j < ns; j++) corr[j] = (int32_t)j * 1000;
        /* extremes: no saturation or wrap at 255 x +-qm, same sign in both 16-bit steps */
        memset(xu, 255, dp);
        for (size_t e = 0; e < dp; e++) sp[(e / 4) * 64 + e % 4] = (int8_t)((e & 8) ? qm : -qm);
        dv__knn_i8_scalar(xu, nr, sp, ng, corr, dp, ref, ns);
        /* the scalar twin itself against a plain formula */
        for (size_t i = 0; i < nr; i++)
            for (size_t j = 0; j < ns; j++) {
                int64_t acc = 0;
                for (size_t e = 0; e < dp; e++)
                    acc += (int64_t)xu[i * dp + e] *
                           sp[(j / 16) * dp * 16 + (e / 4) * 64 + (j % 16) * 4 + e % 4];
                assert_int_equal(acc - corr[j], ref[i * ns + j]);
            }
        for (size_t p = 0; p < 2; p++) {
            dv__knn_kernels k;
            if (!dv_simd_available(paths[p])) continue;
            dv__knn_get_kernels(paths[p], &k);
            /* a separate kernel for few seeds is there for its finer seed range */
            if (k.i8_few != k.i8) assert_true(k.seed_qmax_few > k.seed_qmax);
            /* the kernel for many seeds, and the one for few */
            for (int v = 0; v < 2; v++) {
                if ((v == 0 ? k.seed_qmax : k.seed_qmax_few) < qm) continue;
                memset(got, 0, sizeof(got));
                (v == 0 ? k.i8 : k.i8_few)(xu, nr, sp, ng, corr, dp, got, ns);
                assert_memory_equal(ref, got, sizeof(ref));
                tested[qi] = 1;
            }
        }
    }
    if (dv_simd_available(DV_SIMD_AVX2)) assert_true(tested[0] && tested[1]);
    free(xu);
    free(sp);
}

static void test_quant_bounds(void **st)
{
    (void)st;
    const size_t dp = 128;
    float x[128];
    uint8_t u[128];
    for (int t = 0; t < 200; t++) {
        float sc, nu, eu;
        double n2 = 0, e2 = 0;
        for (size_t e = 0; e < dp; e++) x[e] = frand() * (t % 3 == 0 ? 1e-3f : 1.0f);
        dv__knn_quant_row(x, dp, u, &sc, &nu, &eu);
        for (size_t p = 0; p < 2; p++) {
            /* every path quantizes to the same q and scale, with valid bounds */
            dv__knn_kernels k;
            uint8_t u2[128];
            float sc2, nu2, eu2;
            double e2b = 0;
            if (!dv_simd_available(paths[p])) continue;
            dv__knn_get_kernels(paths[p], &k);
            k.quant(x, dp, u2, &sc2, &nu2, &eu2);
            assert_memory_equal(u, u2, dp);
            assert_memory_equal(&sc, &sc2, 4);
            for (size_t e = 0; e < dp; e++) {
                double r = (double)x[e] - (double)sc2 * ((int)u2[e] - 128);
                e2b += r * r;
            }
            assert_true(sqrt(e2b) <= eu2);
            assert_true(fabsf(nu2 - nu) <= 1e-5f * nu);
        }
        for (size_t e = 0; e < dp; e++) {
            double r = (double)x[e] - (double)sc * ((int)u[e] - 128);
            n2 += (double)x[e] * x[e];
            e2 += r * r;
        }
        assert_true(sqrt(n2) <= nu);
        assert_true(sqrt(e2) <= eu);
        assert_true(eu < 0.02 * nu + 1e-30);
    }
    memset(x, 0, sizeof(x));
    float sc, nu, eu;
    dv__knn_quant_row(x, dp, u, &sc, &nu, &eu);
    assert_true(sc == 0.0f && eu == 0.0f);
    x[3] = NAN;
    dv__knn_quant_row(x, dp, u, &sc, &nu, &eu);
    assert_false(isfinite(eu));
}

/* float16 test rows: gaussian-ish values at several magnitudes, and rows the pass must hand
 * back (zero, NaN, infinity), rows of subnormals, exact rounding ties and the float16 range */
static void f16_row(uint16_t *h, size_t d, int kind)
{
    float mag = kind % 4 == 0 ? 1.0f : kind % 4 == 1 ? 0.05f : kind % 4 == 2 ? 1e-3f : 300.0f;
    for (size_t e = 0; e < d; e++) h[e] = dv_f32_to_f16(frand() * mag);
    switch (kind % 11) {
    case 5: memset(h, 0, d * 2); break;                                /* all zero */
    case 6: h[d / 2] = 0x7e00; break;                                  /* NaN */
    case 7: h[1] = 0xfc00; break;                                      /* -inf */
    case 8: /* subnormals only */
        for (size_t e = 0; e < d; e++) h[e] = (uint16_t)((e * 37) % 1024 | (e & 1) << 15);
        break;
    case 9:
        /* max 127: x inv hits n + 1/2 for many values (ties to even) */
        for (size_t e = 0; e < d; e++) h[e] = dv_f32_to_f16((float)((int)(e % 255) - 127) + 0.5f);
        h[0] = dv_f32_to_f16(127.0f);
        break;
    case 10: h[3] = 0x7bff; h[4] = 0xfbff; break; /* +-65504 */
    default: break;
    }
}

static void test_f16q_kernel(void **st)
{
    (void)st;
    const size_t dims[] = {32, 64, 96, 768}, counts[] = {1, 7, 8, 9, 16, 17, 24, 33, 100};
    for (size_t di = 0; di < 4; di++)
        for (size_t ci = 0; ci < 9; ci++) {
            /* 1 to 3 groups of 16 seeds; the output rows padded past them */
            size_t d = dims[di], n = counts[ci], ng = 1 + (di + ci) % 3, ns = 16 * ng;
            size_t ldo = ns + 16 * (ci % 2);
            uint16_t *h = malloc(n * d * 2);
            int8_t *sp = malloc(d * ns);
            uint8_t *scratch = malloc(16 * d + 4096);
            int32_t *corr = calloc(ns, 4), *o1 = malloc(n * ldo * 4), *o2 = malloc(n * ldo * 4);
            float *r1 = malloc(n * 4 * 6), *r2 = r1 + 3 * n;
            float sqd = nextafterf(sqrtf((float)d), INFINITY);
            for (size_t i = 0; i < n; i++) f16_row(h + i * d, d, (int)(i + ci + di));
            for (size_t e = 0; e < d * ns; e++) {
                sp[e] = (int8_t)((int)((rng_state = rng_state * 6364136223846793005ull + 1) >> 33) % 255 - 127);
                corr[(e / (d * 16)) * 16 + (e % 64) / 4] += 128 * sp[e];
            }
            if (ci == 0) {
                /* the extremes: every product 255 x 127 */
                memset(sp, 127, d * ns);
                for (size_t j = 0; j < ns; j++) corr[j] = 128 * 127 * (int)d;
            }
            dv__knn_f16q_scalar(h, n, d, sp, ng, corr, sqd, o1, ldo, r1, r1 + n, r1 + 2 * n,
                                scratch);
            for (size_t i = 0; i < n; i++) {
                const uint16_t *x = h + i * d;
                uint32_t mh = 0;
                int bad = 0;
                for (size_t e = 0; e < d; e++) {
                    uint32_t a = x[e] & 0x7fffu;
                    mh = a > mh ? a : mh;
                }
                bad = mh == 0 || mh >= 0x7c00;
                assert_int_equal(isnan(r1[i]), bad);
                if (bad) continue;
                /* the scalar twin against an independent formula: q in double, exact */
                float inv = 127.0f / dv_f16_to_f32_scalar((uint16_t)mh);
                double n2 = 0, e2 = 0, h2 = 0;
                int64_t acc[48] = {0};
                for (size_t e = 0; e < d; e++) {
                    double xv = dv_f16_to_f32_scalar(x[e]), q = nearbyint(xv * (double)inv);
                    assert_true(fabs(q) <= 127.0);
                    for (size_t j = 0; j < ns; j++)
                        acc[j] += (int64_t)q * sp[(j / 16) * d * 16 + (e / 4) * 64 + (j % 16) * 4 + e % 4];
                    n2 += xv * xv;
                    e2 += (xv - q / (double)inv) * (xv - q / (double)inv);
                    h2 += (q / (double)inv) * (q / (double)inv);
                }
                for (size_t j = 0; j < ns; j++) assert_int_equal(acc[j], o1[i * ldo + j]);
                assert_true(sqrt(n2) <= r1[n + i]);
                assert_true(sqrt(h2) <= r1[n + i]);
                assert_true(sqrt(e2) <= r1[2 * n + i]);
                assert_true(fabs(1.0 / (double)inv - r1[i]) <= 0x1p-23 / (double)inv);
            }
            /* the quantizer alone (the AVX2 one where the CPU has it) against the twin's */
            {
                uint8_t *u1 = malloc(n * d), *u2 = malloc(n * d);
                float *q1 = malloc(n * 24), *q2 = q1 + 3 * n;
                dv__knn_kernels ka;
                dv__knn_f16quant_scalar(h, n, d, sqd, u1, q1, q1 + n, q1 + 2 * n);
                for (size_t i = 0; i < n; i++) {
                    assert_memory_equal(&q1[n + i], &r1[n + i], 4);
                    assert_memory_equal(&q1[2 * n + i], &r1[2 * n + i], 4);
                }
                if (dv_simd_available(DV_SIMD_AVX2)) {
                    dv__knn_get_kernels(DV_SIMD_AVX2, &ka);
                    if (ka.f16quant != NULL) {
                        ka.f16quant(h, n, d, sqd, u2, q2, q2 + n, q2 + 2 * n);
                        assert_memory_equal(u1, u2, n * d);
                        for (size_t i = 0; i < 3 * n; i++)
                            assert_true(memcmp(&q1[i], &q2[i], 4) == 0 ||
                                        (isnan(q1[i]) && isnan(q2[i])));
                    }
                }
                free(u1);
                free(u2);
                free(q1);
            }
            dv__knn_kernels k;
            if (dv_simd_available(DV_SIMD_AVX512)) {
                dv__knn_get_kernels(DV_SIMD_AVX512, &k);
                if (k.f16q == NULL && di == 0 && ci == 0)
                    printf("note: no AVX512-VNNI; the float16 int8 kernel is not tested here\n");
            } else {
                k.f16q = NULL;
            }
            if (k.f16q != NULL) {
                memset(r2, 0x55, n * 12);
                k.f16q(h, n, d, sp, ng, corr, sqd, o2, ldo, r2, r2 + n, r2 + 2 * n, scratch);
                for (size_t i = 0; i < n; i++) {
                    if (isnan(r1[i])) {
                        assert_true(isnan(r2[i]));
                        assert_true(r2[n + i] == 0.0f && r2[2 * n + i] == 0.0f);
                        continue;
                    }
                    assert_memory_equal(o1 + i * ldo, o2 + i * ldo, ns * 4);
                    assert_memory_equal(&r1[i], &r2[i], 4);
                    assert_memory_equal(&r1[n + i], &r2[n + i], 4);
                    assert_memory_equal(&r1[2 * n + i], &r2[2 * n + i], 4);
                }
            }
            free(h);
            free(sp);
            free(scratch);
            free(corr);
            free(o1);
            free(o2);
            free(r1);
        }
}

static void test_pairs_and_rows(void **st)
{
    (void)st;
    const size_t dp = 80;
    float *x = malloc(20 * dp * 4), *y = malloc(20 * dp * 4), ref[20], got[20];
    const float *px[20], *py[20];
    for (size_t i = 0; i < 20 * dp; i++) x[i] = frand(), y[i] = frand();
    for (size_t p = 0; p < 20; p++) {
        px[p] = x + ((p * 7) % 20) * dp;
        py[p] = y + ((p * 3) % 20) * dp;
        ref[p] = dv__knn_dot1_scalar(px[p], py[p], dp);
    }
    for (size_t n = 0; n <= 20; n++) {
        dv__knn_pairs_scalar(px, py, n, dp, got);
        assert_memory_equal(ref, got, n * 4);
        for (size_t pi = 0; pi < 2; pi++) {
            dv__knn_kernels k;
            if (!dv_simd_available(paths[pi])) continue;
            dv__knn_get_kernels(paths[pi], &k);
            if (k.pairs == NULL) continue;
            memset(got, 0, sizeof(got));
            k.pairs(px, py, n, dp, got);
            assert_memory_equal(ref, got, n * 4);
        }
    }
    /* candidate rows: the scalar twin against the rule, every path against the twin */
    int32_t ic[50 * 48];
    float rs[50], thr[48];
    uint32_t r1[50], r2[50];
    for (size_t t = 0; t < 30; t++) {
        size_t q = 1 + t * 47 / 29, n = 50, ldo = 48;
        for (size_t i = 0; i < n * ldo; i++) ic[i] = (int32_t)(frand() * 20000);
        for (size_t i = 0; i < n; i++) rs[i] = i % 13 == 5 ? NAN : 1e-4f * (1.0f + frand());
        for (size_t j = 0; j < q; j++) thr[j] = 1.0f + 0.9f * frand();
        if (t == 3) thr[0] = (float)ic[7 * ldo] * rs[7]; /* equal passes */
        size_t m1 = dv__knn_i8_rows_scalar(ic, n, ldo, q, rs, thr, r1), m = 0;
        for (size_t i = 0; i < n; i++) {
            int any = 0;
            for (size_t j = 0; j < q; j++) any |= isnan(rs[i]) || (float)ic[i * ldo + j] * rs[i] >= thr[j];
            if (any) assert_int_equal(r1[m++], i);
        }
        assert_int_equal(m, m1);
        for (size_t pi = 0; pi < 2; pi++) {
            dv__knn_kernels k;
            if (!dv_simd_available(paths[pi])) continue;
            dv__knn_get_kernels(paths[pi], &k);
            size_t m2 = k.i8_rows(ic, n, ldo, q, rs, thr, r2);
            assert_int_equal(m1, m2);
            assert_memory_equal(r1, r2, m1 * 4);
        }
    }
    free(x);
    free(y);
}

static void test_heap(void **st)
{
    (void)st;
    dv__knn_ent h[4];
    size_t n = 0;
    float s[] = {0.5f, 0.1f, 0.9f, 0.5f, 0.7f, NAN, 0.5f, 0.95f};
    for (size_t i = 0; i < 8; i++) dv__knn_heap_push(h, &n, 4, s[i], i);
    assert_int_equal(n, 4);
    dv__knn_sort(h, n);
    /* 0.95 (7), 0.9 (2), 0.7 (4), 0.5 (0): among the 0.5 ties the lowest row wins */
    assert_int_equal(h[0].row, 7);
    assert_int_equal(h[1].row, 2);
    assert_int_equal(h[2].row, 4);
    assert_int_equal(h[3].row, 0);
    /* a tie with a lower row replaces the worst */
    n = 0;
    dv__knn_heap_push(h, &n, 1, 0.5f, 9);
    assert_int_equal(dv__knn_heap_push(h, &n, 1, 0.5f, 3), 1);
    assert_int_equal(dv__knn_heap_push(h, &n, 1, 0.5f, 5), 0);
    assert_int_equal(h[0].row, 3);
}

/* The first results seen are kept in *ref; every later set must equal them, field by field
 * (the struct has padding). */
static void same_as_first(dv_knn_hit **ref, size_t *nref, const dv_knn_hit *b, size_t n)
{
    const dv_knn_hit *a = *ref;
    if (a == NULL) {
        *ref = malloc((n ? n : 1) * sizeof(*b));
        assert_non_null(*ref);
        memcpy(*ref, b, n * sizeof(*b));
        *nref = n;
        return;
    }
    assert_int_equal(n, *nref);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].seed, b[i].seed);
        assert_int_equal(a[i].rank, b[i].rank);
        assert_int_equal(a[i].row, b[i].row);
        assert_int_equal(a[i].file, b[i].file);
        assert_int_equal(a[i].file_row, b[i].file_row);
        assert_memory_equal(&a[i].similarity, &b[i].similarity, 4);
    }
}

/* rows x d floats written to path as a float16 .npy */
static void write_f16(const char *path, const float *x, size_t rows, size_t d)
{
    char err[256];
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(dv_npy_write_fd(fileno(f), DV_NPY_F16, x, rows, d, err, sizeof(err)), DV_OK);
    fclose(f);
}

static void test_search_api(void **st)
{
    (void)st;
    char path[64];
    const size_t rows = 3000, d = 40;
    float *x = malloc(rows * d * 4), seeds[3 * 40];
    snprintf(path, sizeof(path), "/tmp/test_knn_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    memcpy(seeds, x + 17 * d, d * 4);
    for (size_t i = d; i < 3 * d; i++) seeds[i] = frand();
    write_f16(path, x, rows, d);
    dv_knn_hit *ref = NULL;
    size_t nref = 0;
    dv_knn_pass passes[] = {DV_KNN_PASS_DIRECT, DV_KNN_PASS_BLAS, DV_KNN_PASS_INT8};
    for (int t = 0; t < 2; t++)
        for (size_t p = 0; p < 3; p++) {
            dv_knn_opts o = {.threads = (unsigned)(1 + t), .pass = passes[p], .block_rows = 500};
            dv_knn *k = dv_knn_create(&o);
            dv_knn_hit *h;
            size_t nh;
            assert_non_null(k);
            assert_int_equal(dv_knn_add_file(k, path), DV_OK);
            assert_int_equal(dv_knn_add_file(k, path), DV_OK);
            assert_int_equal(dv_knn_rows(k), 2 * rows);
            dv_knn_query q = {.k = 5};
            assert_int_equal(dv_knn_search(k, seeds, 3, d - 1, &q, &h, &nh), DV_EINVAL);
            assert_int_equal(dv_knn_search(k, seeds, 3, d, &q, &h, &nh), DV_OK);
            assert_int_equal(nh, 15);
            /* seed 0 is row 17: itself first, then its copy in the second file */
            assert_int_equal(h[0].row, 17);
            assert_int_equal(h[1].row, rows + 17);
            assert_int_equal(h[1].file, 1);
            assert_int_equal(h[1].file_row, 17);
            assert_true(h[0].similarity == h[1].similarity);
            same_as_first(&ref, &nref, h, nh);
            dv_knn_hits_free(k, h);
            dv_knn_free(k);
        }
    free(ref);
    free(x);
    unlink(path);
    dv_knn_free(NULL);
}

/* 1 to 40 seeds over float16 rows of a multiple of 32 dims (the float16 int8 pass where the CPU
 * has AVX512-VNNI), with zero, NaN and infinite rows, duplicates and a row equal to a seed:
 * every pass, path, thread count and block size gives the same bytes */
static void test_search_f16(void **st)
{
    (void)st;
    char path[64];
    const size_t rows = 5000, d = 96;
    float *x = malloc(rows * d * 4), seeds[40 * 96];
    snprintf(path, sizeof(path), "/tmp/test_knn_f16_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand() * (i / d % 7 == 3 ? 40.0f : 0.1f);
    memset(x + 10 * d, 0, d * 4);
    x[20 * d + 5] = NAN;
    /* an infinite value of the sign that makes row 30 score -inf against seed 0 (row 17) */
    x[30 * d + 1] = x[17 * d + 1] > 0 ? -INFINITY : INFINITY;
    memcpy(x + 4000 * d, x + 17 * d, d * 4);
    for (size_t i = 0; i < 40 * d; i++) seeds[i] = frand() * 0.1f;
    memcpy(seeds, x + 17 * d, d * 4);
    write_f16(path, x, rows, d);
    const dv_simd simds[] = {DV_SIMD_SCALAR, DV_SIMD_AVX2, DV_SIMD_AVX512};
    const dv_knn_pass passes[] = {DV_KNN_PASS_DIRECT, DV_KNN_PASS_AUTO, DV_KNN_PASS_INT8,
                                  DV_KNN_PASS_BLAS};
    const size_t nq[] = {1, 5, 16, 17, 40};
    int used_f16 = 0, used_f16_avx2 = 0;
    for (size_t qi = 0; qi < 5; qi++)
        for (int mode = 0; mode < 2; mode++) {
            dv_knn_hit *ref = NULL;
            size_t nref = 0;
            for (size_t si = 0; si < 3; si++)
                for (size_t p = 0; p < 4; p++)
                    for (unsigned t = 1; t <= 2; t++) {
                        if (!dv_simd_available(simds[si])) continue;
                        /* block sizes: the default, 300, and 5 (the float16 kernel's
                         * scratch is bigger than such a block's) */
                        dv_knn_opts o = {.threads = t, .pass = passes[p], .simd = simds[si],
                                         .block_rows = t == 2 ? 300 : si == 2 ? 5 : 0};
                        dv_knn *k = dv_knn_create(&o);
                        dv_knn_hit *h;
                        size_t nh;
                        dv_knn_stats sts;
                        assert_non_null(k);
                        assert_int_equal(dv_knn_add_file(k, path), DV_OK);
                        dv_knn_query q = {.k = mode == 0 ? 7 : 0, .has_min_sim = mode == 1,
                                          .min_sim = 0.02f};
                        assert_int_equal(dv_knn_search(k, seeds, nq[qi], d, &q, &h, &nh), DV_OK);
                        dv_knn_get_stats(k, &sts);
                        used_f16 |= strcmp(sts.int8_kernel, "avx512-vnni-f16") == 0;
                        used_f16_avx2 |= strcmp(sts.int8_kernel, "avx2-vpmaddubsw-f16") == 0;
                        if (mode == 0) {
                            assert_int_equal(nh, 7 * nq[qi]);
                            /* seed 0 is row 17 and its copy 4000, in that order */
                            assert_int_equal(h[0].row, 17);
                            assert_int_equal(h[1].row, 4000);
                        }
                        same_as_first(&ref, &nref, h, nh);
                        dv_knn_hits_free(k, h);
                        dv_knn_free(k);
                    }
            free(ref);
        }
    dv__knn_kernels kk;
    dv__knn_get_kernels(DV_SIMD_AUTO, &kk);
    if (kk.f16q != NULL) assert_true(used_f16);
    if (dv_simd_available(DV_SIMD_AVX2)) assert_true(used_f16_avx2);
    else printf("note: no AVX512-VNNI; the float16 int8 pass was not run\n");
    free(x);
    unlink(path);
}

/* the progress callback: never two at once, rows_done never past the total, the last call
 * at the end with rows_done == rows_total */
typedef struct prog_state {
    _Atomic int inside;
    uint64_t calls, last, total;
    int overlap;
} prog_state;

static void prog_cb(void *ctx, uint64_t done, uint64_t total)
{
    prog_state *p = ctx;
    if (atomic_exchange(&p->inside, 1)) p->overlap = 1;
    p->calls++;
    p->last = done;
    p->total = total;
    if (done > total) p->overlap = 1;
    atomic_store(&p->inside, 0);
}

static void test_search_progress(void **st)
{
    (void)st;
    char path[64];
    const size_t rows = 20000, d = 32;
    float *x = malloc(rows * d * 4), seeds[2 * 32];
    snprintf(path, sizeof(path), "/tmp/test_knn_prog_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    memcpy(seeds, x, sizeof(seeds));
    write_f16(path, x, rows, d);
    for (int pass = 0; pass < 2; pass++) {
        prog_state ps = {0};
        dv_knn_opts o = {.threads = 2, .block_rows = 64, .pass = pass ? DV_KNN_PASS_DIRECT : 0,
                         .progress = prog_cb, .progress_ctx = &ps};
        dv_knn *k = dv_knn_create(&o);
        dv_knn_hit *h;
        size_t nh;
        assert_int_equal(dv_knn_add_file(k, path), DV_OK);
        dv_knn_query q = {.k = 3};
        assert_int_equal(dv_knn_search(k, seeds, 2, d, &q, &h, &nh), DV_OK);
        assert_true(ps.calls >= 1);
        assert_false(ps.overlap);
        assert_int_equal(ps.last, rows);
        assert_int_equal(ps.total, rows);
        dv_knn_hits_free(k, h);
        dv_knn_free(k);
    }
    free(x);
    unlink(path);
}

/* 1 if this kernel fills mappings on request (MADV_POPULATE_READ): a file cut short after it
 * was added is then an error of the search, not SIGBUS */
static int can_populate(const char *path)
{
#if defined(MADV_POPULATE_READ)
    int fd = open(path, O_RDONLY);
    void *m = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    int ok = m != MAP_FAILED && madvise(m, 4096, MADV_POPULATE_READ) == 0;
    if (m != MAP_FAILED) munmap(m, 4096);
    if (fd >= 0) close(fd);
    return ok;
#else
    (void)path;
    return 0;
#endif
}

/* Global row ids past 2^32 across files, without 10^10 bytes of data: a float16 file whose
 * header says 5x10^9 rows of 2 dims over a sparse file (2x10^10 bytes, one row written past
 * 2^32), then a float32 file of 3 rows. Row counts, the file and row a global row lies in,
 * and the rows read back at those offsets. */
static void test_rows_past_2_32_sparse(void **st)
{
    (void)st;
    const uint64_t big = 5000000000ull, r32 = (1ull << 32) + 7;
    char a[64], b[64];
    uint8_t hdr[128];
    size_t hl;
    uint16_t h2[2] = {dv_f32_to_f16(1.5f), dv_f32_to_f16(-2.0f)};
    float small[6] = {1, 2, 3, 4, 5, 6}, v[2];
    uint64_t fr, first, rows;
    uint32_t f;
    int fd;
    snprintf(a, sizeof(a), "/tmp/test_knn_big_%d.npy", (int)getpid());
    snprintf(b, sizeof(b), "/tmp/test_knn_small_%d.npy", (int)getpid());
    assert_int_equal(dv_npy_write_header(hdr, sizeof(hdr), DV_NPY_F16, big, 2, &hl), DV_OK);
    signal(SIGXFSZ, SIG_IGN); /* past ulimit -f: EFBIG, and the test skips */
    fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, hdr, hl, 0), (ssize_t)hl);
    if (pwrite(fd, h2, 4, (off_t)(hl + r32 * 4)) != 4 || ftruncate(fd, (off_t)(hl + big * 4)) != 0) {
        /* a file system or limit (ulimit -f) without room for a sparse 20 GB file */
        printf("SKIP: %s: cannot make a sparse file of %llu bytes (%s)\n", a,
               (unsigned long long)(hl + big * 4), strerror(errno));
        close(fd);
        unlink(a);
        skip();
    }
    close(fd);
    fd = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dv_npy_write_fd(fd, DV_NPY_F32, small, 3, 2, NULL, 0), DV_OK);
    close(fd);

    dv_knn *k = dv_knn_create(NULL);
    assert_non_null(k);
    assert_int_equal(dv_knn_add_file(k, a), DV_OK);
    assert_int_equal(dv_knn_add_file(k, b), DV_OK);
    assert_true(dv_knn_rows(k) == big + 3);
    assert_int_equal(dv_knn_file(k, 1, NULL, &first, &rows), DV_OK);
    assert_true(first == big && rows == 3);
    /* a row of the first file past 2^32 */
    assert_int_equal(dv_knn_locate(k, r32, &f, &fr), DV_OK);
    assert_true(f == 0 && fr == r32);
    assert_int_equal(dv_knn_get_row(k, r32, v), DV_OK);
    assert_true(v[0] == 1.5f && v[1] == -2.0f);
    assert_int_equal(dv_knn_get_row(k, r32 + 1, v), DV_OK);
    assert_true(v[0] == 0.0f && v[1] == 0.0f);
    assert_int_equal(dv_knn_get_row(k, big - 1, v), DV_OK);
    /* the second file's rows, past 2^32 globally */
    assert_int_equal(dv_knn_locate(k, big + 2, &f, &fr), DV_OK);
    assert_true(f == 1 && fr == 2);
    assert_int_equal(dv_knn_get_row(k, big + 1, v), DV_OK);
    assert_true(v[0] == 3.0f && v[1] == 4.0f);
    assert_int_equal(dv_knn_locate(k, big + 3, &f, &fr), DV_ERANGE);
    assert_int_equal(dv_knn_get_row(k, big + 3, v), DV_ERANGE);
    dv_knn_free(k);
    unlink(a);
    unlink(b);
}

/* a file cut short after it was opened: the search fails with DV_EIO naming it, where the
 * kernel can say so (MADV_POPULATE_READ), instead of dying of SIGBUS */
static void test_search_truncated_file(void **st)
{
    (void)st;
#if defined(MADV_POPULATE_READ)
    char path[64];
    const size_t rows = 40000, d = 64;
    float *x = malloc(rows * d * 4), seeds[64];
    snprintf(path, sizeof(path), "/tmp/test_knn_cut_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    memcpy(seeds, x, sizeof(seeds));
    write_f16(path, x, rows, d);
    if (!can_populate(path)) { /* (without it a cut file is SIGBUS, as before) */
        printf("note: no MADV_POPULATE_READ on this kernel; the cut-file case is skipped\n");
        unlink(path);
        free(x);
        return;
    }
    dv_knn_opts o = {.threads = 2, .pass = DV_KNN_PASS_DIRECT};
    dv_knn *k = dv_knn_create(&o);
    dv_knn_hit *h = NULL;
    size_t nh = 0;
    assert_int_equal(dv_knn_add_file(k, path), DV_OK);
    assert_int_equal(truncate(path, 128 + 1000 * d * 2), 0); /* 1000 rows left of 40000 */
    dv_knn_query q = {.k = 3};
    assert_int_equal(dv_knn_search(k, seeds, 1, d, &q, &h, &nh), DV_EIO);
    assert_null(h);
    assert_non_null(strstr(dv_knn_errmsg(k), path));
    assert_non_null(strstr(dv_knn_errmsg(k), "cannot be read"));
    dv_knn_free(k);
    unlink(path);
    free(x);
#else
    printf("note: no MADV_POPULATE_READ in these headers; the cut-file case is skipped\n");
#endif
}

/* many blocks that cannot be read, on 8 threads: the error names the lowest of them (rows
 * from 992, the block holding the row the cut ends inside), every run, whichever worker met
 * a failing block first (the first one to, before) */
static void test_search_cut_lowest_block(void **st)
{
    (void)st;
#if defined(MADV_POPULATE_READ)
    char path[64], want[160];
    const size_t rows = 8192, d = 64; /* 128 bytes a float16 row, a 128-byte header */
    float *x = malloc(rows * d * 4), seeds[64];
    snprintf(path, sizeof(path), "/tmp/test_knn_cutlow_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    memcpy(seeds, x, sizeof(seeds));
    write_f16(path, x, rows, d);
    if (!can_populate(path)) { /* (without it a cut file is SIGBUS, as before) */
        printf("note: no MADV_POPULATE_READ on this kernel; the cut-file case is skipped\n");
        unlink(path);
        free(x);
        return;
    }
    snprintf(want, sizeof(want), "%s: rows from 992 cannot be read", path);
    for (int run = 0; run < 20; run++) {
        dv_knn_opts o = {.threads = 8, .block_rows = 32, .pass = DV_KNN_PASS_DIRECT};
        dv_knn *k = dv_knn_create(&o);
        dv_knn_hit *h = NULL;
        size_t nh = 0;
        write_f16(path, x, rows, d);
        assert_int_equal(dv_knn_add_file(k, path), DV_OK);
        /* 131072 bytes: rows 0-1022 whole, row 1023 cut; blocks 31 to 255 cannot be read */
        assert_int_equal(truncate(path, 131072), 0);
        dv_knn_query q = {.k = 3};
        assert_int_equal(dv_knn_search(k, seeds, 1, d, &q, &h, &nh), DV_EIO);
        assert_null(h);
        if (strstr(dv_knn_errmsg(k), want) == NULL) fail_msg("run %d: %s", run, dv_knn_errmsg(k));
        dv_knn_free(k);
    }
    unlink(path);
    free(x);
#else
    printf("note: no MADV_POPULATE_READ in these headers; the cut-file case is skipped\n");
#endif
}

/* A threshold search of rows (all scoring above min_sim) on threads with max_results = cap;
 * cut > 0: the file cut to cut bytes after it is added. Its code; the message in msg. */
static int search_capped(const char *path, const float *x, size_t rows, size_t d,
                         unsigned threads, uint64_t cap, long cut, char *msg, size_t msgcap)
{
    dv_knn_opts o = {.threads = threads, .block_rows = 32, .pass = DV_KNN_PASS_DIRECT,
                     .max_results = cap};
    dv_knn *k = dv_knn_create(&o);
    dv_knn_hit *h = NULL;
    size_t nh = 0;
    int rc;
    write_f16(path, x, rows, d);
    assert_non_null(k);
    assert_int_equal(dv_knn_add_file(k, path), DV_OK);
    if (cut > 0) assert_int_equal(truncate(path, cut), 0);
    dv_knn_query q = {.has_min_sim = 1, .min_sim = -1e30f};
    rc = dv_knn_search(k, x, 1, d, &q, &h, &nh);
    if (rc == DV_OK) assert_int_equal(nh, rows);
    else assert_null(h);
    snprintf(msg, msgcap, "%s", dv_knn_errmsg(k));
    dv_knn_hits_free(k, h);
    dv_knn_free(k);
    return rc;
}

/* max_results counts the results of the whole search, not of each worker thread: 8192
 * results (256 blocks of 32 rows) pass a cap of 8191 on 1, 2 or 8 threads alike (a cap per
 * worker let 8 threads through, each under it) and fit one of 8192. With rows that cannot be
 * read (blocks 31 on), the failure told is the lowest block's, as on one thread: the cap
 * passed inside the 992 rows before the cut (cap 991), else the cut (cap 992), whatever the
 * threads ran past it. */
static void test_search_max_results(void **st)
{
    (void)st;
    char path[64], msg[512];
    const size_t rows = 8192, d = 64;
    float *x = malloc(rows * d * 4);
    snprintf(path, sizeof(path), "/tmp/test_knn_cap_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    static const unsigned threads[] = {1, 2, 8};
    for (int run = 0; run < 5; run++)
        for (size_t t = 0; t < 3; t++) {
            assert_int_equal(search_capped(path, x, rows, d, threads[t], rows - 1, 0, msg,
                                           sizeof msg),
                             DV_ETOOBIG);
            if (strstr(msg, "more results than max_results") == NULL)
                fail_msg("%u threads: %s", threads[t], msg);
            assert_int_equal(search_capped(path, x, rows, d, threads[t], rows, 0, msg,
                                           sizeof msg),
                             DV_OK);
        }
    write_f16(path, x, rows, d);
    if (!can_populate(path)) {
        printf("note: no MADV_POPULATE_READ; the cap against a cut file is not checked\n");
    } else {
        for (int run = 0; run < 5; run++)
            for (size_t t = 0; t < 3; t++) {
                /* 131072 bytes: rows 0-1022 whole, row 1023 cut; blocks 31 on cannot be read */
                assert_int_equal(search_capped(path, x, rows, d, threads[t], 991, 131072, msg,
                                               sizeof msg),
                                 DV_ETOOBIG);
                assert_int_equal(search_capped(path, x, rows, d, threads[t], 992, 131072, msg,
                                               sizeof msg),
                                 DV_EIO);
                if (strstr(msg, "rows from 992 cannot be read") == NULL)
                    fail_msg("%u threads: %s", threads[t], msg);
            }
    }
    unlink(path);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blas_global_init),
        cmocka_unit_test(test_dot_kernels),  cmocka_unit_test(test_i8_kernels),
        cmocka_unit_test(test_quant_bounds), cmocka_unit_test(test_f16q_kernel),
        cmocka_unit_test(test_pairs_and_rows), cmocka_unit_test(test_heap),
        cmocka_unit_test(test_search_api), cmocka_unit_test(test_search_f16),
        cmocka_unit_test(test_search_progress),
        cmocka_unit_test(test_search_truncated_file),
        cmocka_unit_test(test_rows_past_2_32_sparse),
        cmocka_unit_test(test_search_cut_lowest_block),
        cmocka_unit_test(test_search_max_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
