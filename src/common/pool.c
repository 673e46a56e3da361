/* pool.c - a small fixed thread pool running parallel for-loops over job indices.
 * Jobs are taken from an atomic counter; results go to caller slots by job index. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

uint64_t dv__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct dv_pool {
    const dv_alloc *alloc;
    unsigned nthreads; /* workers including the calling thread */
    pthread_t *threads;
    unsigned nstarted;
    pthread_mutex_t mu;
    pthread_cond_t start_cv;
    pthread_cond_t done_cv;
    unsigned long generation; /* bumped for each run */
    unsigned running;         /* workers still busy in this generation */
    int quit;
    /* the current run */
    dv_pool_fn fn;
    void *ctx;
    size_t njobs;
    atomic_size_t next;
};

typedef struct worker_arg {
    dv_pool *pool;
    unsigned index;
} worker_arg;

static void drain(dv_pool *p, unsigned worker)
{
    for (;;) {
        size_t j = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (j >= p->njobs) break;
        p->fn(p->ctx, j, worker);
    }
}

static void *worker_main(void *argp)
{
    dv_pool *p = ((worker_arg *)argp)->pool;
    unsigned index = ((worker_arg *)argp)->index;
    unsigned long seen = 0;
    dv__free(p->alloc, argp);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->start_cv, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        drain(p, index);
        pthread_mutex_lock(&p->mu);
        if (--p->running == 0) pthread_cond_broadcast(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

unsigned dv__pool_threads_for(unsigned n)
{
    if (n == 0) {
        /* the CPUs this process may run on, as nproc counts them: a Slurm task, a cgroup
         * cpuset or taskset gives a process some of a machine's CPUs, and a thread for each
         * online CPU would then share those few */
        cpu_set_t set;
        long c;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
            c = CPU_COUNT(&set);
        else
            c = sysconf(_SC_NPROCESSORS_ONLN); /* (more CPUs than a cpu_set_t holds) */
        n = c > 0 ? (unsigned)c : 1;
    }
    return n > 1024 ? 1024 : n;
}

dv_pool *dv_pool_create(unsigned nthreads, const dv_alloc *alloc)
{
    dv_pool *p;
    nthreads = dv__pool_threads_for(nthreads);
    p = dv__calloc(alloc, 1, sizeof(*p));
    if (p == NULL) return NULL;
    p->alloc = alloc;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (nthreads > 1) {
        p->threads = dv__calloc(alloc, nthreads - 1, sizeof(pthread_t));
        if (p->threads == NULL) goto fail;
        for (unsigned i = 0; i + 1 < nthreads; i++) {
            worker_arg *wa = dv__malloc(alloc, sizeof(*wa));
            if (wa == NULL) goto fail;
            wa->pool = p;
            wa->index = i + 1;
            if (pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
                dv__free(alloc, wa);
                goto fail;
            }
            p->nstarted++;
        }
    }
    return p;
fail:
    dv_pool_free(p);
    return NULL;
}

unsigned dv_pool_threads(const dv_pool *p) { return p ? p->nthreads : 0; }

int dv_pool_run(dv_pool *p, size_t njobs, dv_pool_fn fn, void *ctx)
{
    if (p == NULL || fn == NULL) return DV_EINVAL;
    if (njobs == 0) return DV_OK;
    p->fn = fn;
    p->ctx = ctx;
    p->njobs = njobs;
    atomic_store(&p->next, 0);
    if (p->nstarted == 0 || njobs == 1) {
        drain(p, 0);
        return DV_OK;
    }
    pthread_mutex_lock(&p->mu);
    p->running = p->nstarted;
    p->generation++;
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    drain(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->running > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return DV_OK;
}

void dv_pool_free(dv_pool *p)
{
    if (p == NULL) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->start_cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nstarted; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start_cv);
    pthread_cond_destroy(&p->done_cv);
    dv__free(p->alloc, p->threads);
    dv__free(p->alloc, p);
}
