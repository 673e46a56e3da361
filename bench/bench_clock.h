/* bench_clock.h - the benches' wall clock: seconds on CLOCK_MONOTONIC, as a double. */
#ifndef DV_BENCH_CLOCK_H
#define DV_BENCH_CLOCK_H

#include <time.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
