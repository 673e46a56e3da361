/* knn_ports.c - can another multiply instruction run beside VPDPBUSD (the int8 pass of the
 * knn search)? Times 8 independent chains of VPDPBUSD zmm, of VDPBF16PS zmm and of
 * VFMADD231PS zmm alone, and int8 mixed with each of the others, in one run; the clock is
 * calibrated by a chain of dependent integer adds (1 cycle each). Prints cycles an iteration
 * and, for each mix, its time over the sum of its parts alone: 1.0 means the two share the
 * execution resource (no gain from splitting seeds between int8 and bf16/fp32), 0.5 would
 * mean they overlap fully. The best of 5 repetitions counts (the machine is shared).
 * Usage: knn_ports [iterations, default 50M] */
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512bw,avx512vnni,avx512bf16"), noinline))
#define DP(a) a = _mm512_dpbusd_epi32(a, x, y)
#define BF(f) f = _mm512_dpbf16_ps(f, bx, by)
#define FM(f) f = _mm512_fmadd_ps(f, fx, fx)
/* distinct starting values, so that the compiler cannot merge chains */
#define DECL                                                                                   \
    __m512i a0 = _mm512_set1_epi32(1), a1 = _mm512_set1_epi32(2), a2 = _mm512_set1_epi32(3),    \
            a3 = _mm512_set1_epi32(4), a4 = _mm512_set1_epi32(5), a5 = _mm512_set1_epi32(6),    \
            a6 = _mm512_set1_epi32(7), a7 = _mm512_set1_epi32(8);                               \
    __m512 f0 = _mm512_set1_ps(1), f1 = _mm512_set1_ps(2), f2 = _mm512_set1_ps(3),              \
           f3 = _mm512_set1_ps(4), f4 = _mm512_set1_ps(5), f5 = _mm512_set1_ps(6),              \
           f6 = _mm512_set1_ps(7), f7 = _mm512_set1_ps(8);                                      \
    __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x02020202);               \
    __m512bh bx = (__m512bh)_mm512_set1_epi32(0x3f803f80), by = bx;                             \
    __m512 fx = _mm512_set1_ps(1.0001f);                                                       \
    (void)bx, (void)by;
#define END                                                                                    \
    a0 = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)), \
                          _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));\
    f0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(f0, f1), _mm512_add_ps(f2, f3)),             \
                       _mm512_add_ps(_mm512_add_ps(f4, f5), _mm512_add_ps(f6, f7)));            \
    return _mm512_reduce_add_epi32(a0) + (long)_mm512_reduce_add_ps(f0);
/* the empty asm makes x, y, fx unknown each iteration: nothing is hoisted */
#define LOOP(body)                                                                             \
    DECL for (long i = 0; i < n; i++)                                                          \
    {                                                                                          \
        __asm__ volatile("" : "+v"(x), "+v"(y), "+v"(fx));                                     \
        body                                                                                   \
    }                                                                                          \
    END

#define DP8 DP(a0); DP(a1); DP(a2); DP(a3); DP(a4); DP(a5); DP(a6); DP(a7);
#define BF8 BF(f0); BF(f1); BF(f2); BF(f3); BF(f4); BF(f5); BF(f6); BF(f7);
#define FM8 FM(f0); FM(f1); FM(f2); FM(f3); FM(f4); FM(f5); FM(f6); FM(f7);

TGT static long dp8(long n) { LOOP(DP8) }
TGT static long bf8(long n) { LOOP(BF8) }
TGT static long fm8(long n) { LOOP(FM8) }
TGT static long dp8bf8(long n) { LOOP(DP8 BF8) }
TGT static long dp8fm8(long n) { LOOP(DP8 FM8) }

__attribute__((noinline)) static long adds(long n)
{
    long r = 1;
    for (long i = 0; i < n; i++)
        __asm__ volatile("add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\t"
                         "add $1,%0\n\tadd $1,%0\n\tadd $1,%0\n\tadd $1,%0"
                         : "+r"(r));
    return r;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"8 VPDPBUSD", "8 VDPBF16PS", "8 VFMADD231PS",
                                        "8 VPDPBUSD + 8 VDPBF16PS", "8 VPDPBUSD + 8 VFMADD231PS"};
    long (*const fn[])(long) = {dp8, bf8, fm8, dp8bf8, dp8fm8};
    long n = argc > 1 ? atol(argv[1]) : 50000000L, sink = 0;
    double best[5], ns_cycle = 1e9;
    if (n <= 0) n = 50000000L;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512vnni") || !__builtin_cpu_supports("avx512bf16")) {
        printf("knn_ports: this CPU lacks AVX512-VNNI or AVX512-BF16: nothing to measure\n");
        return 0;
    }
    for (int k = 0; k < 5; k++) best[k] = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = bench_now(), c;
        sink += adds(n);
        c = (bench_now() - t0) * 1e9 / ((double)n * 8);
        if (c < ns_cycle) ns_cycle = c;
        for (int k = 0; k < 5; k++) {
            t0 = bench_now();
            sink += fn[k](n);
            c = (bench_now() - t0) * 1e9 / (double)n;
            if (c < best[k]) best[k] = c;
        }
    }
    printf("knn_ports: %ld iterations, best of 5; clock %.2f GHz (dependent adds)\n", n,
           1.0 / ns_cycle);
    for (int k = 0; k < 5; k++)
        printf("  %-28s %6.2f cycles an iteration\n", names[k], best[k] / ns_cycle);
    printf("  mix / sum of its parts: int8+bf16 %.2f, int8+fp32 %.2f (1.00: no overlap)\n",
           best[3] / (best[0] + best[1]), best[4] / (best[0] + best[2]));
    return sink == 42 ? 1 : 0;
}
#else
int main(void)
{
    printf("knn_ports: x86-64 only\n");
    return 0;
}
#endif
