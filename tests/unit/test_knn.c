/* test_knn.c - embedding-search kernels against their scalar twins (bit for bit), the
 * quantization bounds, the top-k heap, and the search API on every pass and path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knn/knn_internal.h"

static uint64_t rng_state = 88172645463325252ull;
static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static const dv_simd paths[] = {DV_SIMD_AVX2, DV_SIMD_AVX512};

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
    for (size_t i = 0; i < nr * dp; i++) xu[i] = (uint8_t)(1 + (rng_state = rng_state * 6364136223846793005ull + 1) % 255);
    for (size_t i = 0; i < ns * dp; i++) sp[i] = (int8_t)((int)((rng_state = rng_state * 6364136223846793005ull + 1) >> 33) % 65 - 32);
    for (size_t j = 0; j < ns; j++) corr[j] = (int32_t)j * 1000;
    /* extremes: no saturation or wrap at 255 x +-32, same sign in both 16-bit steps */
    memset(xu, 255, dp);
    for (size_t e = 0; e < dp; e++) sp[(e / 4) * 64 + e % 4] = (e & 8) ? 32 : -32;
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
        k.i8(xu, nr, sp, ng, corr, dp, got, ns);
        assert_memory_equal(ref, got, sizeof(ref));
    }
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

static void test_search_api(void **st)
{
    (void)st;
    char path[64], err[256];
    const size_t rows = 3000, d = 40;
    float *x = malloc(rows * d * 4), seeds[3 * 40];
    snprintf(path, sizeof(path), "/tmp/test_knn_%d.npy", (int)getpid());
    for (size_t i = 0; i < rows * d; i++) x[i] = frand();
    memcpy(seeds, x + 17 * d, d * 4);
    for (size_t i = d; i < 3 * d; i++) seeds[i] = frand();
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(dv_npy_write_fd(fileno(f), DV_NPY_F16, x, rows, d, err, sizeof(err)), DV_OK);
    fclose(f);
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
            if (ref == NULL) {
                ref = malloc(nh * sizeof(*h));
                memcpy(ref, h, nh * sizeof(*h));
                nref = nh;
            } else {
                assert_int_equal(nh, nref);
                for (size_t i = 0; i < nh; i++) {
                    assert_int_equal(ref[i].seed, h[i].seed);
                    assert_int_equal(ref[i].rank, h[i].rank);
                    assert_int_equal(ref[i].row, h[i].row);
                    assert_memory_equal(&ref[i].similarity, &h[i].similarity, 4);
                }
            }
            dv_knn_hits_free(k, h);
            dv_knn_free(k);
        }
    free(ref);
    free(x);
    unlink(path);
    dv_knn_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_kernels),  cmocka_unit_test(test_i8_kernels),
        cmocka_unit_test(test_quant_bounds), cmocka_unit_test(test_heap),
        cmocka_unit_test(test_search_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
