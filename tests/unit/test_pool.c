/* test_pool.c - the thread pool: every job runs exactly once, worker indices stay in range,
 * results land in job slots, and the pool is reusable across runs. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datavet.h"

typedef struct ctx {
    atomic_int *hits;
    unsigned nthreads;
    atomic_int bad_worker;
    uint64_t *slots;
} ctx;

static void job(void *p, size_t j, unsigned worker)
{
    ctx *c = p;
    if (worker >= c->nthreads) atomic_store(&c->bad_worker, 1);
    atomic_fetch_add(&c->hits[j], 1);
    c->slots[j] = (uint64_t)j * 2654435761u;
}

static void run_with(unsigned threads)
{
    const size_t n = 10007;
    dv_pool *p = dv_pool_create(threads, NULL);
    ctx c;
    assert_non_null(p);
    c.hits = calloc(n, sizeof(atomic_int));
    c.slots = calloc(n, sizeof(uint64_t));
    c.nthreads = dv_pool_threads(p);
    atomic_init(&c.bad_worker, 0);
    for (int round = 0; round < 5; round++) {
        memset(c.hits, 0, n * sizeof(atomic_int));
        assert_int_equal(dv_pool_run(p, n - (size_t)round * 1000, job, &c), DV_OK);
        for (size_t j = 0; j < n - (size_t)round * 1000; j++) {
            assert_int_equal(atomic_load(&c.hits[j]), 1);
            assert_true(c.slots[j] == (uint64_t)j * 2654435761u);
        }
    }
    assert_int_equal(dv_pool_run(p, 0, job, &c), DV_OK);
    assert_int_equal(atomic_load(&c.bad_worker), 0);
    assert_int_equal(dv_pool_run(p, 1, NULL, &c), DV_EINVAL);
    free(c.hits);
    free(c.slots);
    dv_pool_free(p);
}

static void test_pool_1(void **state) { (void)state; run_with(1); }
static void test_pool_4(void **state) { (void)state; run_with(4); }
static void test_pool_auto(void **state)
{
    (void)state;
    run_with(0);
    dv_pool_free(NULL);
}

/* 0 threads: the CPUs the process may run on (a Slurm task, cpuset or taskset gets some of a
 * machine's), not the machine's online CPUs */
static void test_pool_affinity(void **state)
{
    cpu_set_t was, one;
    int first = -1;
    dv_pool *p;
    (void)state;
    assert_int_equal(sched_getaffinity(0, sizeof was, &was), 0);
    for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
        if (CPU_ISSET(i, &was)) first = i;
    assert_true(first >= 0);
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    p = dv_pool_create(0, NULL);
    assert_non_null(p);
    assert_int_equal(dv_pool_threads(p), 1);
    dv_pool_free(p);
    assert_int_equal(sched_setaffinity(0, sizeof was, &was), 0);
    p = dv_pool_create(0, NULL);
    assert_non_null(p);
    assert_int_equal(dv_pool_threads(p), (unsigned)CPU_COUNT(&was));
    dv_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_1),
        cmocka_unit_test(test_pool_4),
        cmocka_unit_test(test_pool_auto),
        cmocka_unit_test(test_pool_affinity),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
