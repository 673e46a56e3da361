/* test_pdq_match.c - PDQ radius matching: index join, per-query probing and brute force against
 * a naive reference, on random, planted, skewed, dihedral and real data, every SIMD kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datavet.h"
#include "match/pdq_match_internal.h"
#include "testutil.h"

/* Sanitizer builds run 5-10x slower: smaller random lists there (DV_TEST_PDQ_N overrides). */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif
#if defined(TEST_SANITIZED)
#define DEFAULT_RANDOM_N 20000
#else
#define DEFAULT_RANDOM_N 100000
#endif

static size_t random_n(void)
{
    const char *e = getenv("DV_TEST_PDQ_N");
    if (e != NULL) {
        char *end;
        unsigned long v = strtoul(e, &end, 10);
        if (*end == '\0' && v >= 1000) return (size_t)v;
    }
    return DEFAULT_RANDOM_N;
}

/* ------------------------------------------------------------------ helpers */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rand_hash(dv_pdq_hash *h)
{
    for (int i = 0; i < DV_PDQ_BYTES; i += 8) {
        uint64_t v = rnd();
        memcpy(h->bytes + i, &v, 8);
    }
}

static void flip_bit(dv_pdq_hash *h, unsigned bit)
{
    h->bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* d distinct random bits of base flipped. */
static void flip_random(dv_pdq_hash *out, const dv_pdq_hash *base, int d)
{
    *out = *base;
    for (int n = 0; n < d;) {
        unsigned bit = (unsigned)(rnd() % 256);
        dv_pdq_hash t = *out;
        flip_bit(&t, bit);
        if (dv_pdq_distance(&t, base) > n) {
            *out = t;
            n++;
        }
    }
}

/* d bits flipped spread evenly over the 16 slots (round robin from a random slot): the
 * tightest case for the pigeonhole, every slot as far from its tolerance as d allows. */
static void flip_spread(dv_pdq_hash *out, const dv_pdq_hash *base, int d)
{
    unsigned s0 = (unsigned)(rnd() % 16), off[16];
    for (int s = 0; s < 16; s++) off[s] = (unsigned)(rnd() % 16);
    *out = *base;
    for (int i = 0; i < d; i++) {
        unsigned slot = (s0 + (unsigned)i) % 16;
        flip_bit(out, slot * 16 + ((unsigned)i / 16 + off[slot]) % 16);
    }
    assert_int_equal(dv_pdq_distance(out, base), d);
}

static void shuffle(dv_pdq_hash *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnd() % i);
        dv_pdq_hash t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

typedef struct mvec {
    dv_pdq_match *m;
    size_t n, cap;
    size_t calls;
    size_t stop_after; /* calls; 0: never stop */
} mvec;

static int collect(void *ctx, const dv_pdq_match *m, size_t n)
{
    mvec *v = ctx;
    assert_true(n > 0);
    if (v->n + n > v->cap) {
        while (v->n + n > v->cap) v->cap = v->cap ? 2 * v->cap : 1024;
        v->m = realloc(v->m, v->cap * sizeof(*v->m));
        assert_non_null(v->m);
    }
    memcpy(v->m + v->n, m, n * sizeof(*m));
    v->n += n;
    v->calls++;
    return v->stop_after != 0 && v->calls >= v->stop_after;
}

static void mvec_clear(mvec *v)
{
    free(v->m);
    memset(v, 0, sizeof(*v));
}

static void push(mvec *v, uint64_t q, uint64_t e, int d, int var)
{
    dv_pdq_match m;
    m.query = q;
    m.entry = e;
    m.distance = d;
    m.dihedral = var;
    collect(v, &m, 1);
}

/* The contract, literally: for each query and entry, the best variant (smallest distance,
 * then lowest variant), reported if within r; in (query, entry) order. */
static void naive(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *qs, size_t nq, int nvar,
                  int r, mvec *out)
{
    for (size_t q = 0; q < nq; q++)
        for (size_t e = 0; e < n; e++) {
            int best = 1000, bv = 0;
            for (int v = 0; v < nvar; v++) {
                int d = dv__pdq_dist(&codes[e], &qs[q * (size_t)nvar + (size_t)v]);
                if (d < best) {
                    best = d;
                    bv = v;
                }
            }
            if (best <= r) push(out, q, e, best, bv);
        }
}

static void filter_radius(const mvec *in, int r, mvec *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->m[i].distance <= r)
            push(out, in->m[i].query, in->m[i].entry, in->m[i].distance, in->m[i].dihedral);
}

static void expect_same(const char *what, const mvec *want, const mvec *got)
{
    size_t n = want->n < got->n ? want->n : got->n;
    for (size_t i = 0; i < n; i++) {
        const dv_pdq_match *a = &want->m[i], *b = &got->m[i];
        if (a->query != b->query || a->entry != b->entry || a->distance != b->distance ||
            a->dihedral != b->dihedral) {
            fprintf(stderr,
                    "%s: match %zu differs: want (q %llu, e %llu, d %d, v %d) got (q %llu, e %llu, "
                    "d %d, v %d)\n",
                    what, i, (unsigned long long)a->query, (unsigned long long)a->entry,
                    a->distance, a->dihedral, (unsigned long long)b->query,
                    (unsigned long long)b->entry, b->distance, b->dihedral);
            fail();
        }
    }
    if (want->n != got->n) {
        fprintf(stderr, "%s: %zu matches, want %zu\n", what, got->n, want->n);
        fail();
    }
}

static const int k_kernels[] = {DV__PDQK_SCALAR, DV__PDQK_AVX2, DV__PDQK_AVX512,
                                DV__PDQK_AVX512POPCNT};
#define NKERNELS (sizeof(k_kernels) / sizeof(k_kernels[0]))

static int kernel_ok(int k)
{
    static int noted[DV__PDQK_COUNT]; /* test-only: print each skip once */
    if (dv__pdq_kernel_available(k)) return 1;
    if (!noted[k]) {
        printf("NOTE: kernel %s not available on this CPU/build, skipped\n",
               dv__pdq_kernel_name(k));
        noted[k] = 1;
    }
    return 0;
}

/* Every strategy and kernel on one problem against want. */
static void check_all(const char *what, const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *qs,
                      size_t nq, int nvar, int r, const mvec *want, size_t match_limit,
                      size_t chunk_rows)
{
    char label[160];
    mvec got = {0};
    dv_pdq_index *ix = dv_pdq_index_create(codes, n, DV_SIMD_AUTO, NULL);
    assert_true(ix != NULL);
    snprintf(label, sizeof(label), "%s r=%d nvar=%d public", what, r, nvar);
    assert_int_equal(dv_pdq_index_match(ix, qs, nq, nvar, r, collect, &got), DV_OK);
    expect_same(label, want, &got);
    mvec_clear(&got);
    {
        /* the join's fallbacks: the list in several ranges, query buckets looked up flip by
         * flip instead of listed */
        dv__pdq_match_opts o;
        dv__pdq_match_opts_init(&o);
        o.strategy = DV__PDQ_JOIN;
        o.match_limit = match_limit;
        o.chunk_rows = chunk_rows;
        o.list_range = n / 3 + 1;
        o.dense_segments = 1;
        snprintf(label, sizeof(label), "%s r=%d nvar=%d join ranges", what, r, nvar);
        assert_int_equal(dv__pdq_index_match_ex(ix, qs, nq, nvar, r, &o, collect, &got), DV_OK);
        expect_same(label, want, &got);
        mvec_clear(&got);
    }
    for (size_t ki = 0; ki < NKERNELS; ki++) {
        dv__pdq_match_opts o;
        if (!kernel_ok(k_kernels[ki])) continue;
        dv__pdq_match_opts_init(&o);
        o.kernel = k_kernels[ki];
        o.match_limit = match_limit;
        o.chunk_rows = chunk_rows;
        for (int strat = DV__PDQ_JOIN; strat <= DV__PDQ_PROBE; strat++) {
            o.strategy = strat;
            snprintf(label, sizeof(label), "%s r=%d nvar=%d %s %s", what, r, nvar,
                     strat == DV__PDQ_JOIN ? "join" : "probe", dv__pdq_kernel_name(o.kernel));
            assert_int_equal(dv__pdq_index_match_ex(ix, qs, nq, nvar, r, &o, collect, &got), DV_OK);
            expect_same(label, want, &got);
            mvec_clear(&got);
        }
        snprintf(label, sizeof(label), "%s r=%d nvar=%d brute %s", what, r, nvar,
                 dv__pdq_kernel_name(o.kernel));
        assert_int_equal(dv__pdq_bruteforce_ex(codes, n, qs, nq, nvar, r, &o, collect, &got),
                         DV_OK);
        expect_same(label, want, &got);
        mvec_clear(&got);
    }
    dv_pdq_index_free(ix);
}

/* ------------------------------------------------------------------ kernels */

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Run a kernel to the end of y, resuming where it stopped each time the output (cap) filled;
 * returns the survivors sorted (kernels may emit a tile's survivors in any order). */
static size_t run_kernel(dv__pdq_kernel_fn fn, const uint32_t *x, size_t nx, const uint32_t *y,
                         size_t ldy, size_t ys, size_t ny, int k, int r, size_t cap, uint32_t *out)
{
    size_t j = 0, n = 0;
    while (j < ny) {
        const size_t before = j;
        n += fn(x, DV__PDQ_TILE, nx, y, ldy, ys, ny, &j, k, r, out + n, cap);
        assert_true(j > before);
    }
    qsort(out, n, sizeof(*out), cmp_u32);
    return n;
}

/* Every SIMD kernel against the scalar one: planes 1..8, tails, radii, output limits. */
static void test_kernels_vs_scalar(void **state)
{
    static uint32_t x[8 * DV__PDQ_TILE], y[9 * DV__PDQ_TILE]; /* y: up to TILE records of 9 */
    static uint32_t want[DV__PDQ_TILE * DV__PDQ_TILE], got[DV__PDQ_TILE * DV__PDQ_TILE];
    static const size_t sizes[] = {1, 7, 8, 15, 16, 17, 33, 250, 1024};
    const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    (void)state;
    for (size_t ki = 1; ki < NKERNELS; ki++) {
        dv__pdq_ops ops;
        if (!kernel_ok(k_kernels[ki])) continue;
        dv__pdq_kernel_ops(k_kernels[ki], &ops);
        const dv__pdq_kernel_fn fn = ops.kernel;
        assert_true(fn != dv__pdq_kernel_scalar);
        for (int k = 1; k <= 8; k++)
            for (size_t si = 0; si < nsizes; si++) {
                const size_t nx = sizes[si], ny = sizes[(si * 5 + (size_t)k) % nsizes];
                /* sparse differences from a common pattern: every radius has survivors */
                const uint32_t bias = (uint32_t)rnd();
                for (size_t i = 0; i < 8 * DV__PDQ_TILE; i++)
                    x[i] = bias ^ ((uint32_t)rnd() & (uint32_t)rnd() & (uint32_t)rnd());
                for (size_t i = 0; i < 9 * DV__PDQ_TILE; i++)
                    y[i] = bias ^ ((uint32_t)rnd() & (uint32_t)rnd() & (uint32_t)rnd());
                const int r = (int)(rnd() % (size_t)(8 * k + 1));
                const size_t cap = nx + (size_t)(rnd() % (2 * nx + 1));
                /* y as planes (ldy TILE, stride 1) or as records (ldy 1, stride k + 1) */
                const size_t ldy = si % 2 ? DV__PDQ_TILE : 1, ys = si % 2 ? 1 : (size_t)k + 1;
                const size_t nw = run_kernel(dv__pdq_kernel_scalar, x, nx, y, ldy, ys, ny, k, r,
                                             DV__PDQ_TILE * DV__PDQ_TILE, want);
                size_t ng =
                    run_kernel(dv__pdq_kernel_scalar, x, nx, y, ldy, ys, ny, k, r, cap, got);
                assert_int_equal(ng, nw);
                assert_memory_equal(got, want, nw * sizeof(*want));
                ng = run_kernel(fn, x, nx, y, ldy, ys, ny, k, r, cap, got);
                if (ng != nw || memcmp(got, want, nw * sizeof(*want)) != 0) {
                    fprintf(stderr, "%s k=%d nx=%zu ny=%zu r=%d cap=%zu: %zu survivors, want %zu\n",
                            dv__pdq_kernel_name(k_kernels[ki]), k, nx, ny, r, cap, ng, nw);
                    fail();
                }
            }
    }
}

static void test_probe_vs_scalar(void **state)
{
    enum { N = 3000 };
    static dv_pdq_hash codes[N];
    static uint32_t ids[N], pw[N], pg[N];
    static uint8_t dw[N], dg[N];
    dv_pdq_hash q;
    (void)state;
    rand_hash(&q);
    for (size_t i = 0; i < N; i++) {
        flip_random(&codes[i], &q, (int)(rnd() % 80));
        ids[i] = (uint32_t)(rnd() % N);
    }
    for (int r = 0; r <= 63; r += 9) {
        size_t nw = dv__pdq_probe_scalar(codes, ids, N, &q, r, pw, dw);
        assert_true(nw > 0);
        for (size_t ki = 1; ki < NKERNELS; ki++) {
            dv__pdq_ops ops;
            size_t ng;
            if (!kernel_ok(k_kernels[ki])) continue;
            dv__pdq_kernel_ops(k_kernels[ki], &ops);
            ng = ops.probe(codes, ids, N, &q, r, pg, dg);
            assert_int_equal(ng, nw);
            assert_memory_equal(pg, pw, nw * sizeof(*pw));
            assert_memory_equal(dg, dw, nw);
        }
    }
}

/* ------------------------------------------------------------------ matching */

/* Random list plus, for each of the first queries, neighbours planted at every distance
 * 0..65 (random bits and spread over the slots), checked at the radii around slot borders. */
static void test_random_planted(void **state)
{
    static const int radii[] = {0, 1, 15, 16, 31, 32, 47, 63};
    const size_t nrand = random_n(), nq = 200, nplant_q = 60;
    const size_t n = nrand + nplant_q * 66 * 2;
    dv_pdq_hash *codes = malloc(n * sizeof(*codes)), *qs = malloc(nq * sizeof(*qs));
    mvec all = {0};
    (void)state;
    assert_non_null(codes);
    assert_non_null(qs);
    for (size_t i = 0; i < nq; i++) rand_hash(&qs[i]);
    qs[nq - 1] = qs[0]; /* queries equal to each other */
    qs[nq - 2] = qs[1];
    for (size_t i = 0; i < nrand; i++) rand_hash(&codes[i]);
    for (size_t q = 0, e = nrand; q < nplant_q; q++)
        for (int d = 0; d < 66; d++) {
            flip_random(&codes[e++], &qs[q], d);
            flip_spread(&codes[e++], &qs[q], d);
        }
    shuffle(codes, n);
    naive(codes, n, qs, nq, 1, 63, &all);
    for (size_t ri = 0; ri < sizeof(radii) / sizeof(radii[0]); ri++) {
        mvec want = {0};
        filter_radius(&all, radii[ri], &want);
        /* every planted distance <= r is there, boundary included */
        assert_true(want.n >= (size_t)(radii[ri] + 1) * 2 * (nplant_q + 2));
        check_all("random", codes, n, qs, nq, 1, radii[ri], &want, 0, 0);
        mvec_clear(&want);
    }
    mvec_clear(&all);
    free(codes);
    free(qs);
}

/* A batch large enough that the automatic strategy joins, split into several chunks. */
static void test_batch_chunks(void **state)
{
    const size_t n = random_n() / 2, nq = 3000;
    dv_pdq_hash *codes = malloc(n * sizeof(*codes)), *qs = malloc(nq * sizeof(*qs));
    mvec want = {0}, got = {0};
    dv__pdq_match_opts o;
    (void)state;
    for (size_t i = 0; i < nq; i++) rand_hash(&qs[i]);
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0)
            flip_random(&codes[i], &qs[rnd() % nq], (int)(rnd() % 40));
        else
            rand_hash(&codes[i]);
    }
    naive(codes, n, qs, nq, 1, 31, &want);
    assert_true(want.n > n / 4);
    check_all("batch", codes, n, qs, nq, 1, 31, &want, 0, 0);
    /* chunked: 700 rows at a time, uneven tail */
    dv_pdq_index *ix = dv_pdq_index_create(codes, n, DV_SIMD_AUTO, NULL);
    dv__pdq_match_opts_init(&o);
    o.strategy = DV__PDQ_JOIN;
    o.chunk_rows = 700;
    assert_int_equal(dv__pdq_index_match_ex(ix, qs, nq, 1, 31, &o, collect, &got), DV_OK);
    expect_same("batch chunked", &want, &got);
    mvec_clear(&got);
    dv_pdq_index_free(ix);
    mvec_clear(&want);
    free(codes);
    free(qs);
}

/* Flat images hash to (nearly) all zeros: a list dominated by a few codes and duplicates puts
 * tens of thousands of entries in one bucket; a small match limit forces batch splitting and
 * the streaming fallback for a single query with more matches than the limit. */
static void test_skewed(void **state)
{
    const size_t n = DEFAULT_RANDOM_N / 4, nq = 120;
    dv_pdq_hash *codes = malloc(n * sizeof(*codes)), *qs = malloc(nq * sizeof(*qs));
    dv_pdq_hash zero, x;
    mvec want = {0};
    (void)state;
    memset(&zero, 0, sizeof(zero));
    rand_hash(&x);
    for (size_t i = 0; i < n; i++) {
        switch (i % 6) {
        case 0:
        case 1: codes[i] = zero; break;
        case 2: flip_random(&codes[i], &zero, (int)(rnd() % 40)); break;
        case 3: codes[i] = x; break;
        case 4: flip_random(&codes[i], &x, (int)(rnd() % 4)); break;
        default: rand_hash(&codes[i]); break;
        }
    }
    for (size_t i = 0; i < nq; i++) {
        switch (i % 4) {
        case 0: flip_random(&qs[i], &zero, (int)(rnd() % 34)); break;
        case 1: flip_random(&qs[i], &x, (int)(rnd() % 34)); break;
        case 2: qs[i] = codes[rnd() % n]; break;
        default: rand_hash(&qs[i]); break;
        }
    }
    qs[0] = zero;
    naive(codes, n, qs, nq, 1, 31, &want);
    assert_true(want.n > n / 2);
    check_all("skewed", codes, n, qs, nq, 1, 31, &want, 1, 50);
    mvec_clear(&want);
    /* dihedral on the same list: variants near zero and near x, with repeats (ties) */
    dv_pdq_hash *qv = malloc(16 * 8 * sizeof(*qv));
    for (size_t q = 0; q < 16; q++)
        for (int v = 0; v < 8; v++) {
            const dv_pdq_hash *base = (v + (int)q) % 3 ? &zero : &x;
            if (v == 5)
                qv[q * 8 + 5] = qv[q * 8 + 2];
            else
                flip_random(&qv[q * 8 + (size_t)v], base, (int)(rnd() % 20));
        }
    naive(codes, n, qv, 16, 8, 31, &want);
    check_all("skewed dihedral", codes, n, qv, 16, 8, 31, &want, 1, 24);
    mvec_clear(&want);
    free(qv);
    free(codes);
    free(qs);
}

/* Eight variants per query: an entry near several variants is reported once, with the
 * smallest distance and the lowest variant on ties. */
static void test_dihedral(void **state)
{
    const size_t nrand = random_n() / 2, nq = 400;
    const size_t n = nrand + nq * 6;
    dv_pdq_hash *codes = malloc(n * sizeof(*codes)), *qs = malloc(nq * 8 * sizeof(*qs));
    (void)state;
    for (size_t q = 0; q < nq; q++) {
        dv_pdq_hash base;
        rand_hash(&base);
        for (int v = 0; v < 8; v++) {
            if (v % 2)
                flip_random(&qs[q * 8 + (size_t)v], &base, (int)(rnd() % 12));
            else
                rand_hash(&qs[q * 8 + (size_t)v]);
        }
        qs[q * 8 + 7] = qs[q * 8 + 3]; /* equal variants: ties go to 3 */
    }
    for (size_t i = 0; i < nrand; i++) rand_hash(&codes[i]);
    for (size_t q = 0, e = nrand; q < nq; q++)
        for (int j = 0; j < 6; j++)
            flip_random(&codes[e++], &qs[q * 8 + (size_t)(rnd() % 8)], (int)(rnd() % 36));
    shuffle(codes, n);
    static const int radii[] = {16, 31, 32};
    mvec all = {0};
    /* the best variant does not depend on the radius: one naive pass, filtered */
    naive(codes, n, qs, nq, 8, 32, &all);
    for (size_t ri = 0; ri < 3; ri++) {
        mvec want = {0};
        filter_radius(&all, radii[ri], &want);
        size_t nonzero_var = 0;
        for (size_t i = 0; i < want.n; i++) nonzero_var += want.m[i].dihedral != 0;
        assert_true(nonzero_var > 0);
        check_all("dihedral", codes, n, qs, nq, 8, radii[ri], &want, 0, 0);
        mvec_clear(&want);
    }
    mvec_clear(&all);
    free(codes);
    free(qs);
}

static void test_empty_and_args(void **state)
{
    dv_pdq_hash h[4];
    mvec got = {0};
    (void)state;
    for (int i = 0; i < 4; i++) rand_hash(&h[i]);
    dv_pdq_index *empty = dv_pdq_index_create(NULL, 0, DV_SIMD_AUTO, NULL);
    assert_non_null(empty);
    assert_int_equal(dv_pdq_index_match(empty, h, 4, 1, 31, collect, &got), DV_OK);
    assert_int_equal(got.calls, 0);
    dv_pdq_index_free(empty);
    dv_pdq_index_free(NULL);
    assert_null(dv_pdq_index_create(NULL, 3, DV_SIMD_AUTO, NULL));

    dv_pdq_index *ix = dv_pdq_index_create(h, 4, DV_SIMD_SCALAR, NULL);
    assert_non_null(ix);
    assert_int_equal(dv_pdq_index_match(ix, NULL, 0, 1, 31, collect, &got), DV_OK);
    assert_int_equal(dv_pdq_index_match(ix, h, 0, 8, 31, collect, &got), DV_OK);
    assert_int_equal(got.calls, 0);
    assert_int_equal(dv_pdq_index_match(ix, h, 4, 1, -1, collect, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_index_match(ix, h, 4, 1, 64, collect, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_index_match(ix, h, 4, 2, 31, collect, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_index_match(ix, h, 4, 1, 31, NULL, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_index_match(NULL, h, 4, 1, 31, collect, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_index_match(ix, NULL, 4, 1, 31, collect, &got), DV_EINVAL);
    assert_int_equal(dv_pdq_match_bruteforce(h, 4, h, 4, 1, 64, DV_SIMD_AUTO, collect, &got),
                     DV_EINVAL);
    assert_int_equal(dv_pdq_match_bruteforce(NULL, 4, h, 4, 1, 31, DV_SIMD_AUTO, collect, &got),
                     DV_EINVAL);
    assert_int_equal(dv_pdq_match_bruteforce(NULL, 0, h, 4, 1, 31, DV_SIMD_AUTO, collect, &got),
                     DV_OK);
    assert_int_equal(dv_pdq_match_bruteforce(h, 4, NULL, 0, 1, 31, DV_SIMD_AUTO, collect, &got),
                     DV_OK);
    assert_int_equal(got.calls, 0);
    /* each query finds itself at distance 0 */
    assert_int_equal(dv_pdq_index_match(ix, h, 4, 1, 0, collect, &got), DV_OK);
    assert_int_equal(got.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(got.m[i].query, i);
        assert_int_equal(got.m[i].entry, i);
        assert_int_equal(got.m[i].distance, 0);
        assert_int_equal(got.m[i].dihedral, 0);
    }
    mvec_clear(&got);
    assert_int_equal(dv__pdq_index_probe_one(ix, &h[2], 1, 0, collect, &got), DV_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.m[0].query, 0);
    assert_int_equal(got.m[0].entry, 2);
    mvec_clear(&got);
    assert_true(dv__pdq_index_memory(ix) > 16 * 65536 * sizeof(uint32_t));
    assert_true(dv__pdq_kernel_available(dv__pdq_index_kernel(ix)));
    assert_int_equal(dv__pdq_index_kernel(ix), DV__PDQK_SCALAR);
    dv_pdq_index_free(ix);
}

/* A non-zero return from the callback stops the call, which still returns DV_OK. */
static void test_callback_stop(void **state)
{
    enum { N = 3000 };
    dv_pdq_hash *codes = malloc(N * sizeof(*codes));
    dv_pdq_hash q;
    mvec got = {0};
    (void)state;
    memset(&q, 0, sizeof(q));
    for (size_t i = 0; i < N; i++) flip_random(&codes[i], &q, (int)(i % 20));
    dv_pdq_index *ix = dv_pdq_index_create(codes, N, DV_SIMD_AUTO, NULL);
    got.stop_after = 2;
    assert_int_equal(dv_pdq_index_match(ix, &q, 1, 1, 31, collect, &got), DV_OK);
    assert_int_equal(got.calls, 2);
    assert_true(got.n < N);
    /* batches arrive in order: what came is a prefix of the full answer */
    for (size_t i = 0; i < got.n; i++) assert_int_equal(got.m[i].entry, i);
    mvec_clear(&got);
    got.stop_after = 1;
    assert_int_equal(dv_pdq_match_bruteforce(codes, N, &q, 1, 1, 31, DV_SIMD_AUTO, collect, &got),
                     DV_OK);
    assert_int_equal(got.calls, 1);
    mvec_clear(&got);
    dv_pdq_index_free(ix);
    free(codes);
}

/* Fail the Nth allocation, for every N until all succeed: clean DV_ENOMEM or NULL, no leaks. */
typedef struct failing {
    size_t count, fail_at;
} failing;

static void *f_malloc(void *o, size_t n)
{
    failing *f = o;
    return ++f->count == f->fail_at ? NULL : malloc(n);
}
static void *f_realloc(void *o, void *p, size_t n)
{
    failing *f = o;
    return ++f->count == f->fail_at ? NULL : realloc(p, n);
}
static void f_free(void *o, void *p)
{
    (void)o;
    free(p);
}

static void test_alloc_failures(void **state)
{
    enum { N = 5000, NQ = 40 };
    dv_pdq_hash *codes = malloc(N * sizeof(*codes)), qs[NQ * 8];
    failing f = {0, 0};
    const dv_alloc a = {f_malloc, f_realloc, f_free, &f};
    mvec want = {0};
    (void)state;
    for (size_t i = 0; i < N; i++) rand_hash(&codes[i]);
    for (size_t i = 0; i < NQ * 8; i++) flip_random(&qs[i], &codes[rnd() % N], (int)(rnd() % 32));
    naive(codes, N, qs, NQ, 8, 31, &want);
    for (int strat = DV__PDQ_JOIN; strat <= DV__PDQ_PROBE; strat++) {
        int ok = 0;
        for (size_t at = 1; !ok && at < 1000; at++) {
            dv__pdq_match_opts o;
            mvec got = {0};
            f.count = 0;
            f.fail_at = at;
            dv_pdq_index *ix = dv_pdq_index_create(codes, N, DV_SIMD_AUTO, &a);
            if (ix == NULL) continue;
            dv__pdq_match_opts_init(&o);
            o.strategy = strat;
            o.match_limit = 1; /* small: growth and splitting allocate too */
            o.chunk_rows = 64;
            int rc = dv__pdq_index_match_ex(ix, qs, NQ, 8, 31, &o, collect, &got);
            if (rc == DV_OK) {
                expect_same("alloc", &want, &got);
                ok = f.count < at; /* nothing failed: done */
            } else {
                assert_int_equal(rc, DV_ENOMEM);
            }
            mvec_clear(&got);
            dv_pdq_index_free(ix);
        }
        assert_true(ok);
    }
    mvec_clear(&want);
    free(codes);
}

/* The PDQ reference's regression haystack and needles at radius 31. */
static void test_real_data(void **state)
{
    char p1[1024], p2[1024];
    const char *hay = tu_shared("pdq/data/reg-test-input/haystack.txt", p1, sizeof(p1));
    const char *nee = tu_shared("pdq/data/reg-test-input/needles.txt", p2, sizeof(p2));
    dv_pdq_hash *h[2] = {NULL, NULL};
    size_t cnt[2] = {0, 0};
    (void)state;
    if (hay == NULL || nee == NULL) {
        printf("SKIP: ../shared absent, real-data check not run\n");
        return;
    }
    for (int f = 0; f < 2; f++) {
        size_t len = 0;
        uint8_t *buf = tu_read(f == 0 ? hay : nee, &len);
        assert_non_null(buf);
        h[f] = malloc((len / 64 + 1) * sizeof(dv_pdq_hash));
        /* one hash per line: 64 hex digits, possibly followed by other fields */
        for (size_t i = 0; i < len;) {
            size_t e = i;
            while (e < len && buf[e] != '\n') e++;
            if (e - i >= 64 && dv_pdq_from_hex((const char *)buf + i, 64, &h[f][cnt[f]]) == DV_OK)
                cnt[f]++;
            i = e + 1;
        }
        free(buf);
    }
    assert_true(cnt[0] > 1000);
    assert_true(cnt[1] > 50);
    mvec want = {0};
    naive(h[0], cnt[0], h[1], cnt[1], 1, 31, &want);
    printf("real data: %zu needles x %zu haystack, %zu pairs within 31\n", cnt[1], cnt[0], want.n);
    assert_true(want.n > 0);
    check_all("real", h[0], cnt[0], h[1], cnt[1], 1, 31, &want, 0, 0);
    mvec_clear(&want);
    free(h[0]);
    free(h[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_vs_scalar),
        cmocka_unit_test(test_probe_vs_scalar),
        cmocka_unit_test(test_empty_and_args),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_random_planted),
        cmocka_unit_test(test_batch_chunks),
        cmocka_unit_test(test_skewed),
        cmocka_unit_test(test_dihedral),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_real_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
