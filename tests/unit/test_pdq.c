/* test_pdq.c - PDQ conformance against every reference vector in ../shared/pdq, and
 * every downsampling kernel against the scalar twin, bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datavet.h"
#include "hash/pdq_internal.h"
#include "testutil.h"

static const dv_simd k_paths[] = {DV_SIMD_SCALAR, DV_SIMD_AVX2, DV_SIMD_AVX512};

/* Decoder and hashers live for the whole run: big buffers are touched once. */
#define NPATHS (sizeof(k_paths) / sizeof(k_paths[0]))
static dv_decoder *g_dec;
static dv_pdq_hasher *g_hashers[NPATHS][2][2]; /* [path][preresize][dihedral] */
static char g_cached_path[1024];
static int g_cached_rc;
static dv_image g_cached_img;

static int setup(void **state)
{
    (void)state;
    g_dec = dv_decoder_create(NULL);
    for (size_t p = 0; p < NPATHS; p++)
        for (int r = 0; r < 2; r++)
            for (int d = 0; d < 2; d++) {
                dv_pdq_opts po = {0};
                po.simd = k_paths[p];
                po.preresize512 = r;
                po.dihedral = d;
                g_hashers[p][r][d] = dv_pdq_hasher_create(&po);
                if (g_hashers[p][r][d] == NULL) return -1;
            }
    return g_dec ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dv_decoder_free(g_dec);
    for (size_t p = 0; p < NPATHS; p++)
        for (int r = 0; r < 2; r++)
            for (int d = 0; d < 2; d++) dv_pdq_hasher_free(g_hashers[p][r][d]);
    return 0;
}

/* Hash one file (decoded once, then reused for every path); returns DV_OK and fills res. */
static int hash_path(const char *path, int preresize, int dihedral, dv_simd simd,
                     dv_pdq_result *res)
{
    size_t p = 0;
    while (p < NPATHS && k_paths[p] != simd) p++;
    if (p == NPATHS) p = 0;
    if (strcmp(path, g_cached_path) != 0) {
        size_t len = 0;
        uint8_t *buf = tu_read(path, &len);
        assert_non_null(buf);
        g_cached_rc = dv_decoder_decode(g_dec, buf, len, &g_cached_img);
        if (g_cached_rc != DV_OK) fprintf(stderr, "decode %s: %s\n", path, dv_decoder_errmsg(g_dec));
        free(buf);
        snprintf(g_cached_path, sizeof(g_cached_path), "%s", path);
    }
    if (g_cached_rc != DV_OK) return g_cached_rc;
    return dv_pdq_hash_image(g_hashers[p][preresize][dihedral], &g_cached_img, res);
}

static void expect_hash(const char *what, const char *path, const dv_pdq_hash *got,
                        const char *want_hex)
{
    char hex[65];
    dv_pdq_to_hex(got, hex);
    if (strcmp(hex, want_hex) != 0) {
        fprintf(stderr, "%s %s:\n  got  %s\n  want %s\n", what, path, hex, want_hex);
        fail();
    }
}

/* hash,quality,path lines; path relative to shared/'s parent ("pdq/data/..."). */
static int check_csv(const char *csv_rel, int preresize)
{
    char buf[512], path[1024];
    FILE *f;
    int n = 0;
    if (tu_shared(csv_rel, buf, sizeof(buf)) == NULL) return -1;
    f = fopen(buf, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        char hex[65];
        int q;
        char rel[400];
        if (sscanf(buf, "%64[0-9a-f],%d,%399[^\r\n]", hex, &q, rel) != 3) continue;
        snprintf(path, sizeof(path), "%s/%s", DV_SHARED_DIR, rel);
        for (size_t p = 0; p < sizeof(k_paths) / sizeof(k_paths[0]); p++) {
            dv_pdq_result r;
            if (!dv_simd_available(k_paths[p])) continue;
            assert_int_equal(hash_path(path, preresize, 0, k_paths[p], &r), DV_OK);
            expect_hash(dv_simd_name(k_paths[p]), rel, &r.hash[0], hex);
            assert_int_equal(r.quality, q);
        }
        n++;
    }
    fclose(f);
    return n;
}

static void skip_note(const char *what)
{
    printf("SKIP: %s: ../shared absent (looked in %s)\n", what, DV_SHARED_DIR);
}

static void test_fullsize_core(void **state)
{
    (void)state;
    int n = check_csv("pdq/expected/cpp-core-fullsize-no-preresize.csv", 0);
    if (n < 0) return skip_note("fullsize conformance");
    assert_int_equal(n, 49);
}

static void test_preresize_mode(void **state)
{
    (void)state;
    int n = check_csv("pdq/expected/cpp-ref-pdq.csv", 1);
    if (n < 0) return skip_note("preresize conformance");
    assert_int_equal(n, 49);
}

static void test_preresized_pngs(void **state)
{
    char buf[1024], path[1024];
    FILE *f;
    int n = 0;
    (void)state;
    if (tu_shared("pdq/preresized/MANIFEST.csv", buf, sizeof(buf)) == NULL)
        return skip_note("preresized PNGs");
    f = fopen(buf, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        char png[256], cli[65], full[65];
        int cq, fq;
        dv_pdq_result r;
        if (sscanf(buf, "preresized/%255[^,],%*[^,],%*[^,],%*[^,],%*[^,],%64[0-9a-f],%d,%64[0-9a-f],%d",
                   png, cli, &cq, full, &fq) != 5)
            continue;
        snprintf(path, sizeof(path), "%s/pdq/preresized/%s", DV_SHARED_DIR, png);
        for (size_t p = 0; p < sizeof(k_paths) / sizeof(k_paths[0]); p++) {
            if (!dv_simd_available(k_paths[p])) continue;
            assert_int_equal(hash_path(path, 0, 0, k_paths[p], &r), DV_OK);
            expect_hash("preresized", png, &r.hash[0], cli);
            assert_int_equal(r.quality, cq);
        }
        n++;
    }
    fclose(f);
    assert_int_equal(n, 49);
}

static void test_dihedral_across(void **state)
{
    char buf[2048], path[1024];
    FILE *f;
    int n = 0;
    (void)state;
    if (tu_shared("pdq/expected/cpp-ref-pdqdih-across.csv", buf, sizeof(buf)) == NULL)
        return skip_note("dihedral conformance");
    f = fopen(buf, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        char hex[8][65], rel[400];
        int q;
        dv_pdq_result r;
        if (sscanf(buf,
                   "%64[0-9a-f],%64[0-9a-f],%64[0-9a-f],%64[0-9a-f],%64[0-9a-f],%64[0-9a-f],"
                   "%64[0-9a-f],%64[0-9a-f],%d,%399[^\r\n]",
                   hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], &q, rel) != 10)
            continue;
        snprintf(path, sizeof(path), "%s/%s", DV_SHARED_DIR, rel);
        for (size_t p = 0; p < sizeof(k_paths) / sizeof(k_paths[0]); p++) {
            if (!dv_simd_available(k_paths[p])) continue;
            assert_int_equal(hash_path(path, 1, 1, k_paths[p], &r), DV_OK);
            assert_int_equal(r.ndihedral, 8);
            for (int d = 0; d < 8; d++) expect_hash(dv_dihedral_name((dv_dihedral)d), rel, &r.hash[d], hex[d]);
            assert_int_equal(r.quality, q);
        }
        n++;
    }
    fclose(f);
    assert_int_equal(n, 49);
}

/* The official regression output: every hash it prints for an image, with its variant. */
static void test_reg_test_expected_out(void **state)
{
    char buf[4096], path[1024];
    FILE *f;
    int n = 0;
    (void)state;
    if (tu_shared("pdq/reg_test/expected_out", buf, sizeof(buf)) == NULL)
        return skip_note("reg_test expected_out");
    f = fopen(buf, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        char hex[65], rest[3000], xf[32], rel[400];
        int q;
        const char *p;
        dv_pdq_result r;
        int want = -1; /* variant index, or -2 = any variant */
        if (sscanf(buf, "hash=%64[0-9a-f],%2999[^\r\n]", hex, rest) == 2) {
            p = strstr(rest, "filename=");
            if (p == NULL) continue;
            snprintf(rel, sizeof(rel), "%s", p + 9);
            if (sscanf(rest, "xform=%31[^,]", xf) == 1) {
                const char *names[8] = {"orig", "rot90", "rot180", "rot270",
                                        "flipx", "flipy", "flipp", "flipm"};
                for (int d = 0; d < 8; d++)
                    if (strcmp(xf, names[d]) == 0) want = d;
                assert_true(want >= 0);
            } else {
                want = 0;
            }
        } else if (sscanf(buf, "%64[0-9a-f],%d,%399[^\r\n]", hex, &q, rel) == 3) {
            want = -2;
        } else {
            continue;
        }
        p = strstr(rel, "/data/");
        if (p == NULL) continue;
        snprintf(path, sizeof(path), "%s/pdq%s", DV_SHARED_DIR, p);
        assert_int_equal(hash_path(path, 1, 1, dv_simd_best(), &r), DV_OK);
        if (want >= 0) {
            expect_hash("reg_test", rel, &r.hash[want], hex);
        } else {
            int found = 0;
            char got[65];
            for (int d = 0; d < 8; d++) {
                dv_pdq_to_hex(&r.hash[d], got);
                if (strcmp(got, hex) == 0) found = 1;
            }
            if (!found) fprintf(stderr, "reg_test: %s not among the variants of %s\n", hex, rel);
            assert_true(found);
            assert_int_equal(r.quality, q);
        }
        n++;
    }
    fclose(f);
    printf("reg_test: %d hashes checked\n", n);
    assert_int_equal(n, 36); /* 17 plain + 19 detailed lines in the 41 blocks */
}

/* Hashes other ports published, with the distance to the reference CLI the shared file
 * computed: our preresize hash must reproduce that distance exactly, and ports that
 * hash at full size must agree with our default within the match radius. */
static void test_third_party_published(void **state)
{
    char buf[1024], path[1024];
    FILE *f;
    int n = 0, nfull = 0, nfull_exact = 0;
    (void)state;
    if (tu_shared("pdq/expected/third-party-published-hashes.csv", buf, sizeof(buf)) == NULL)
        return skip_note("third-party hashes");
    f = fopen(buf, "r");
    assert_non_null(f);
    while (fgets(buf, sizeof(buf), f)) {
        char *q = buf, *fields[8];
        int nf = 0;
        dv_pdq_hash pub, cli;
        dv_pdq_result r;
        /* split CSV with an optionally quoted first field */
        while (nf < 8 && *q) {
            if (*q == '"') {
                fields[nf++] = ++q;
                q = strchr(q, '"');
                if (q == NULL) break;
                *q++ = '\0';
                if (*q == ',') q++;
            } else {
                fields[nf++] = q;
                q += strcspn(q, ",\r\n");
                if (*q) *q++ = '\0';
            }
        }
        if (nf < 6 || dv_pdq_from_hex(fields[2], strlen(fields[2]), &pub) != DV_OK) continue;
        if (dv_pdq_from_hex(fields[3], strlen(fields[3]), &cli) != DV_OK) continue; /* image not in repo */
        snprintf(path, sizeof(path), "%s/pdq/data/%s", DV_SHARED_DIR, fields[1]);
        assert_int_equal(hash_path(path, 1, 0, DV_SIMD_SCALAR, &r), DV_OK);
        assert_int_equal(dv_pdq_distance(&r.hash[0], &cli), 0);
        if (fields[5][0] >= '0' && fields[5][0] <= '9')
            assert_int_equal(dv_pdq_distance(&pub, &r.hash[0]), (int)strtol(fields[5], NULL, 10));
        if (strstr(fields[0], "full size") || strstr(fields[0], "full_size")) {
            int d;
            assert_int_equal(hash_path(path, 0, 0, DV_SIMD_SCALAR, &r), DV_OK);
            d = dv_pdq_distance(&pub, &r.hash[0]);
            assert_true(d <= 31);
            nfull++;
            nfull_exact += d == 0;
        }
        n++;
    }
    fclose(f);
    printf("third-party: %d published hashes checked; %d full-size ones, %d equal to ours bit for bit\n",
           n, nfull, nfull_exact);
    assert_true(n >= 80);
    assert_int_equal(nfull_exact, nfull);
}

/* ------------------------------------------------------------ kernels vs scalar twin */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void compare_paths(const dv_image *img, const char *what)
{
    static float ref[64 * 64], got[64 * 64];
    dv_pdq_hasher *h = g_hashers[0][0][0];
    assert_int_equal(dv__pdq_downsample_path(h, 0, img, ref), DV_OK);
    for (int p = 1; p <= 3; p++) {
        if (dv__pdq_downsample_path(h, p, img, got) != DV_OK) continue;
        if (memcmp(ref, got, sizeof(ref)) != 0) {
            fprintf(stderr, "path %d differs from scalar on %s (%ux%ux%u)\n", p, what,
                    img->width, img->height, img->channels);
            fail();
        }
    }
    /* hash --fast's sparse filter (path 4): the same linear filter, its sums added in
     * another order, so equal up to float rounding */
    assert_int_equal(dv__pdq_downsample_path(h, 4, img, got), DV_OK);
    /* and its AVX2 row sums give the scalar twin's bits */
    if (dv__pdq_downsample_path(h, 5, img, ref) == DV_OK && memcmp(ref, got, sizeof(ref)) != 0) {
        fprintf(stderr, "sparse filter: AVX2 row sums differ from scalar on %s (%ux%ux%u)\n",
                what, img->width, img->height, img->channels);
        fail();
    }
    assert_int_equal(dv__pdq_downsample_path(h, 0, img, ref), DV_OK);
    for (int i = 0; i < 64 * 64; i++) {
        if (fabsf(got[i] - ref[i]) > 1e-3f * (1.0f + fabsf(ref[i]))) {
            fprintf(stderr, "sparse filter: sample %d is %g, scalar %g on %s (%ux%ux%u)\n", i,
                    (double)got[i], (double)ref[i], what, img->width, img->height,
                    img->channels);
            fail();
        }
    }
}

static void test_kernels_random_sizes(void **state)
{
    static const uint32_t dims[] = {5,   6,   7,   9,   15,  31,  63,   64,   65,   100, 127,
                                    128, 129, 200, 255, 256, 257, 384,  511,  512,  513, 640,
                                    767, 768, 769, 1000, 1023, 1024, 1025, 1500};
    const size_t nd = sizeof(dims) / sizeof(dims[0]);
    (void)state;
    for (size_t i = 0; i < nd; i++) {
        for (size_t k = 0; k < 3; k++) {
            uint32_t w = dims[i], hgt = dims[(i * 7 + k * 11) % nd];
            uint32_t ch = (i + k) % 2 ? 3 : 1;
            size_t stride = (size_t)w * ch + (k == 2 ? 13 : 0); /* padded rows too */
            uint8_t *px = malloc(stride * hgt);
            dv_image img = {0};
            assert_non_null(px);
            for (size_t b = 0; b < stride * hgt; b++) {
                /* mix of smooth gradient and noise: both matter for rounding */
                size_t x = (b % stride) / ch, y = b / stride;
                px[b] = (uint8_t)((x * 3 + y * 5 + (rnd() % (k + 1) * 40)) & 255);
            }
            img.width = w;
            img.height = hgt;
            img.channels = ch;
            img.stride = stride;
            img.pixels = px;
            compare_paths(&img, "random image");
            free(px);
        }
    }
}

static void test_kernels_photos(void **state)
{
    char dirpath[1024], list[1100], line[1024];
    FILE *f;
    int n = 0;
    dv_decoder *dec = g_dec;
    (void)state;
    g_cached_path[0] = '\0'; /* the decoder's pixels are about to change */
    if (tu_shared("photos/MANIFEST.csv", list, sizeof(list)) == NULL)
        return skip_note("kernels on photos/dev");
    snprintf(dirpath, sizeof(dirpath), "%s/photos/dev", DV_SHARED_DIR);
    f = fopen(list, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char name[512], path[1600];
        size_t len;
        uint8_t *buf;
        dv_image img;
        if (sscanf(line, "%511[^,],", name) != 1 || strcmp(name, "file") == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", dirpath, name);
        buf = tu_read(path, &len);
        assert_non_null(buf);
        if (dv_decoder_decode(dec, buf, len, &img) == DV_OK && img.width >= 5 && img.height >= 5) {
            compare_paths(&img, name);
            n++;
        }
        free(buf);
    }
    fclose(f);
    printf("kernels agree with the scalar twin on %d photos\n", n);
    assert_true(n > 300);
}

/* ------------------------------------------------------------ small cases and text form */

static void test_tiny_images_hash_to_zero(void **state)
{
    uint8_t px[4 * 100 * 3];
    dv_image img = {0};
    dv_pdq_result r;
    dv_pdq_hasher *h = dv_pdq_hasher_create(NULL);
    char hex[65];
    (void)state;
    memset(px, 77, sizeof(px));
    img.width = 100;
    img.height = 4;
    img.channels = 3;
    img.stride = 300;
    img.pixels = px;
    assert_int_equal(dv_pdq_hash_image(h, &img, &r), DV_OK);
    dv_pdq_to_hex(&r.hash[0], hex);
    assert_string_equal(hex, "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(r.quality, 0);
    img.channels = 2;
    assert_int_equal(dv_pdq_hash_image(h, &img, &r), DV_EINVAL);
    dv_pdq_hasher_free(h);
}

static void test_64x64_and_flat(void **state)
{
    static uint8_t px[64 * 64];
    dv_image img = {0};
    dv_pdq_result r;
    dv_pdq_hasher *h = dv_pdq_hasher_create(NULL);
    (void)state;
    for (int i = 0; i < 64 * 64; i++) px[i] = (uint8_t)((i % 64) * 4);
    img.width = img.height = 64;
    img.channels = 1;
    img.stride = 64;
    img.pixels = px;
    assert_int_equal(dv_pdq_hash_image(h, &img, &r), DV_OK);
    assert_true(r.quality > 0);
    /* a flat image has no gradients: quality 0 */
    memset(px, 128, sizeof(px));
    assert_int_equal(dv_pdq_hash_image(h, &img, &r), DV_OK);
    assert_int_equal(r.quality, 0);
    dv_pdq_hasher_free(h);
}

static void test_hex_and_distance(void **state)
{
    const char *a = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    const char *b = "F8F8F0CEE0F4A84F06370A22038F63F0B36E2ED596621E1D33E6B39C4E9C9B23";
    dv_pdq_hash ha, hb;
    char hex[65];
    (void)state;
    assert_int_equal(dv_pdq_from_hex(a, 64, &ha), DV_OK);
    dv_pdq_to_hex(&ha, hex);
    assert_string_equal(hex, a);
    assert_int_equal(dv_pdq_from_hex(b, 64, &hb), DV_OK);
    assert_int_equal(dv_pdq_distance(&ha, &hb), 1);
    assert_int_equal(dv_pdq_distance(&ha, &ha), 0);
    assert_int_equal(dv_pdq_from_hex(a, 63, &ha), DV_EINVAL);
    assert_int_equal(dv_pdq_from_hex("g8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", 64, &ha),
                     DV_EINVAL);
    memset(ha.bytes, 0, 32);
    memset(hb.bytes, 0xff, 32);
    assert_int_equal(dv_pdq_distance(&ha, &hb), 256);
    assert_string_equal(dv_dihedral_name(DV_DIH_FLIPMINUS1), "flipminus1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fullsize_core),
        cmocka_unit_test(test_preresize_mode),
        cmocka_unit_test(test_preresized_pngs),
        cmocka_unit_test(test_dihedral_across),
        cmocka_unit_test(test_reg_test_expected_out),
        cmocka_unit_test(test_third_party_published),
        cmocka_unit_test(test_kernels_random_sizes),
        cmocka_unit_test(test_kernels_photos),
        cmocka_unit_test(test_tiny_images_hash_to_zero),
        cmocka_unit_test(test_64x64_and_flat),
        cmocka_unit_test(test_hex_and_distance),
    };
    return cmocka_run_group_tests_name("pdq", tests, setup, teardown);
}
