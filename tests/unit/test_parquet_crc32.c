/* test_parquet_crc32.c - the Parquet page CRC-32: the PCLMULQDQ path (src/io/crc32_pclmul.c)
 * against its scalar twin, zlib's crc32, for every length 0..1024 at every alignment, random
 * start values, large odd-sized buffers and split points; known answers; the folding and
 * Barrett constants recomputed from the polynomial; and an informative (not asserted) MB/s
 * figure of both on 1 MB. Skips visibly where the CPU (or DV_SIMD=scalar) rules PCLMUL out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include "io/parquet_internal.h"

/* set for x86 builds (tests/CMakeLists.txt), exactly when src/io/crc32_pclmul.c is compiled */
#if defined(DV_HAVE_X86_SIMD)
#define HAVE_PCLMUL_PATH 1
#endif

/* Bit-serial reflected CRC-32, independent of zlib and of the tables. */
static uint32_t bitwise_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The scalar path and the dispatcher on known answers (runs on every CPU). */
static void test_known_answers(void **state)
{
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    uint8_t zeros[4096];
    (void)state;
    assert_int_equal(dv__pq_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    assert_int_equal(dv__pq_crc32((const uint8_t *)fox, strlen(fox)), 0x414FA339u);
    assert_int_equal(dv__pq_crc32(NULL, 0), 0u);
    memset(zeros, 0, sizeof(zeros));
    for (size_t n = 0; n <= sizeof(zeros); n += 97)
        assert_int_equal(dv__pq_crc32(zeros, n), bitwise_crc(0, zeros, n));
}

#if defined(HAVE_PCLMUL_PATH)

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(rnd() >> 24);
}

static uint32_t zlib_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    return (uint32_t)crc32((uLong)crc, p, (uInt)n);
}

static int need_pclmul(void)
{
    if (dv__cpu_has_pclmul()) return 1;
    printf("SKIP: this CPU lacks PCLMULQDQ/SSE4.1 (or DV_SIMD=scalar): only zlib's crc32 is "
           "used and tested\n");
    return 0;
}

/* x^e mod P, P = x^32 + 0x04C11DB7 (bit k = coefficient of x^k) */
static uint32_t xpow_mod(unsigned e)
{
    uint64_t r = 1;
    for (unsigned i = 0; i < e; i++) {
        r <<= 1;
        if (r >> 32) r ^= 0x104C11DB7ull;
    }
    return (uint32_t)r;
}

static uint64_t reverse_bits(uint64_t v, int n)
{
    uint64_t r = 0;
    for (int i = 0; i < n; i++) r |= ((v >> i) & 1u) << (n - 1 - i);
    return r;
}

/* The folding and Barrett constants of crc32_pclmul.c, recomputed from P. */
static void test_constants(void **state)
{
    static const unsigned e[6] = {575, 511, 191, 127, 95, 63};
    uint64_t num[2] = {0, 1}; /* x^64 as bits 0..127 over two words */
    uint64_t mu = 0;
    (void)state;
    for (int i = 0; i < 6; i++)
        assert_int_equal(dv__crc32_pclmul_consts[i], reverse_bits(xpow_mod(e[i]), 32) << 32);
    /* mu = floor(x^64 / P) by long division over GF(2) */
    for (int b = 64; b >= 32; b--) {
        uint64_t bit = b >= 64 ? (num[1] >> (b - 64)) & 1u : (num[0] >> b) & 1u;
        if (bit) {
            unsigned s = (unsigned)(b - 32);
            mu |= 1ull << s;
            num[0] ^= 0x104C11DB7ull << s;
            if (s > 31) num[1] ^= 0x104C11DB7ull >> (64 - s);
        }
    }
    assert_int_equal(mu, 0x104D101DFull);
    assert_int_equal(dv__crc32_pclmul_consts[6], reverse_bits(mu, 33));
    assert_int_equal(dv__crc32_pclmul_consts[7], reverse_bits(0x104C11DB7ull, 33));
}

static void test_pclmul_known(void **state)
{
    uint8_t buf[300];
    (void)state;
    if (!need_pclmul()) skip();
    assert_int_equal(dv__crc32_pclmul(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    /* the same nine bytes over and over, past the 64-byte fold */
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (uint8_t)('1' + i % 9);
    for (size_t n = 0; n <= sizeof(buf); n++)
        assert_int_equal(dv__crc32_pclmul(0, buf, n), bitwise_crc(0, buf, n));
    memset(buf, 0xFF, sizeof(buf));
    assert_int_equal(dv__crc32_pclmul(0, buf, 256), bitwise_crc(0, buf, 256));
    memset(buf, 0, sizeof(buf));
    assert_int_equal(dv__crc32_pclmul(0, buf, 256), bitwise_crc(0, buf, 256));
    assert_int_equal(dv__crc32_pclmul(0xFFFFFFFFu, buf, 256), bitwise_crc(0xFFFFFFFFu, buf, 256));
}

/* Every length 0..1024 at every alignment 0..15, from 0 and from a random value. */
static void test_every_length(void **state)
{
    enum { MAXN = 1024 };
    uint8_t *buf = malloc(MAXN + 64);
    (void)state;
    if (!need_pclmul()) {
        free(buf);
        skip();
    }
    assert_non_null(buf);
    fill(buf, MAXN + 64);
    for (size_t n = 0; n <= MAXN; n++) {
        for (size_t off = 0; off < 16; off++) {
            const uint8_t *p = buf + off + (rnd() % 4) * 16;
            uint32_t init = (off & 1) ? (uint32_t)rnd() : 0;
            uint32_t want = zlib_crc(init, p, n), got = dv__crc32_pclmul(init, p, n);
            if (got != want)
                fail_msg("n=%zu off=%zu init=%08x: pclmul %08x, zlib %08x", n, off, init, got,
                         want);
        }
        if (dv__pq_crc32(buf, n) != zlib_crc(0, buf, n)) fail_msg("dv__pq_crc32 n=%zu", n);
    }
    free(buf);
}

/* 1 MB and odd sizes around it at random offsets, and the CRC continued across split points. */
static void test_large(void **state)
{
    static const size_t sizes[] = {1u << 20, (1u << 20) + 1, (1u << 20) - 1, (1u << 20) + 63,
                                   (1u << 20) + 15, 3 * (1u << 20) - 7, 999983};
    size_t cap = 3 * (1u << 20) + 64;
    uint8_t *buf = malloc(cap);
    (void)state;
    if (!need_pclmul()) {
        free(buf);
        skip();
    }
    assert_non_null(buf);
    fill(buf, cap);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i], off = (size_t)(rnd() % 64);
        uint32_t want = zlib_crc(0, buf + off, n);
        assert_int_equal(dv__crc32_pclmul(0, buf + off, n), want);
        assert_int_equal(dv__pq_crc32(buf + off, n), want);
        for (int s = 0; s < 4; s++) { /* split anywhere: continuing from the partial value */
            size_t cut = (size_t)(rnd() % (n + 1));
            uint32_t c = dv__crc32_pclmul(0, buf + off, cut);
            assert_int_equal(dv__crc32_pclmul(c, buf + off + cut, n - cut), want);
        }
    }
    free(buf);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Informative only: MB/s of both on a 1 MB buffer, best of 5 batches (nothing asserted). */
static void test_speed(void **state)
{
    enum { N = 1 << 20, REPS = 20 };
    uint8_t *buf = malloc(N);
    double best[2] = {1e30, 1e30};
    volatile uint32_t sink = 0;
    (void)state;
    if (!need_pclmul()) {
        free(buf);
        skip();
    }
    assert_non_null(buf);
    fill(buf, N);
    for (int round = 0; round < 5; round++) {
        for (int path = 0; path < 2; path++) {
            double t = now_s();
            for (int r = 0; r < REPS; r++)
                sink ^= path ? dv__crc32_pclmul(0, buf, N) : zlib_crc(0, buf, N);
            t = now_s() - t;
            if (t < best[path]) best[path] = t;
        }
    }
    printf("crc32 on 1 MB (best of 5 x %d): zlib %.0f MB/s, pclmul %.0f MB/s (%.1fx)\n", REPS,
           (double)N * REPS / best[0] / 1e6, (double)N * REPS / best[1] / 1e6, best[0] / best[1]);
    (void)sink; /* only there so that the CRCs are computed */
    free(buf);
}

#endif /* HAVE_PCLMUL_PATH */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
#if defined(HAVE_PCLMUL_PATH)
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_pclmul_known),
        cmocka_unit_test(test_every_length),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_speed),
#endif
    };
#if !defined(HAVE_PCLMUL_PATH)
    printf("SKIP: not an x86 build: no PCLMUL path, only zlib's crc32 is used and tested\n");
#endif
    return cmocka_run_group_tests(tests, NULL, NULL);
}
