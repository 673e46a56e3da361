/* cpu.c - one-time CPU feature detection and the DV_SIMD override.
 * Detection result lives in an atomic, so concurrent first calls are safe. */
#include "common.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* 0 = not yet detected; otherwise (dv_simd + 1 for the best path) | HW_PCLMUL. */
static atomic_int g_best;   /* write-once cache, not mutable state */
static atomic_int g_forced; /* 0 unknown, 1 none, 2+ = forced dv_simd + 2 */

/* Feature bits above the best dv_simd (which fits in 4 bits) in g_best. */
#define HW_PCLMUL 0x10
#define HW_F16C 0x20
#define HW_SHA 0x40

static int detect_hw(void)
{
    int v = DV_SIMD_SCALAR;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        v = DV_SIMD_AVX512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        v = DV_SIMD_AVX2;
    if (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")) v |= HW_PCLMUL;
    {
        /* F16C is not in every compiler's __builtin_cpu_supports list (clang 14 refuses
         * it): CPUID leaf 1, ECX bit 29 */
        unsigned a, b, c, d;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29))) v |= HW_F16C;
        /* SHA extensions: CPUID leaf 7, subleaf 0, EBX bit 29 */
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29))) v |= HW_SHA;
    }
#endif
    return v;
}

static int hw_word(void)
{
    int v = atomic_load_explicit(&g_best, memory_order_acquire);
    if (v == 0) {
        v = detect_hw() + 1;
        atomic_store_explicit(&g_best, v, memory_order_release);
    }
    return v - 1;
}

#if defined(DV_HAVE_X86_SIMD)
static int hw_best(void)
{
    return hw_word() & (HW_PCLMUL - 1);
}
#endif

static int forced(void)
{
    int v = atomic_load_explicit(&g_forced, memory_order_acquire);
    if (v == 0) {
        const char *e = getenv("DV_SIMD");
        v = 1;
        if (e != NULL) {
            if (strcmp(e, "scalar") == 0) v = DV_SIMD_SCALAR + 2;
            else if (strcmp(e, "avx2") == 0) v = DV_SIMD_AVX2 + 2;
            else if (strcmp(e, "avx512") == 0) v = DV_SIMD_AVX512 + 2;
        }
        atomic_store_explicit(&g_forced, v, memory_order_release);
    }
    return v == 1 ? -1 : v - 2;
}

int dv_simd_available(dv_simd s)
{
    switch (s) {
    case DV_SIMD_AUTO:
    case DV_SIMD_SCALAR: return 1;
#if defined(DV_HAVE_X86_SIMD)
    case DV_SIMD_AVX2: return hw_best() >= DV_SIMD_AVX2;
    case DV_SIMD_AVX512: return hw_best() >= DV_SIMD_AVX512;
#endif
    default: return 0;
    }
}

dv_simd dv_simd_best(void)
{
    int f = forced();
    if (f >= 0 && dv_simd_available((dv_simd)f)) return (dv_simd)f;
#if defined(DV_HAVE_X86_SIMD)
    return (dv_simd)hw_best();
#else
    return DV_SIMD_SCALAR;
#endif
}

int dv__simd_forced_scalar(void) { return forced() == DV_SIMD_SCALAR; }

dv_simd dv__simd_resolve(dv_simd requested)
{
    if (requested == DV_SIMD_AUTO || !dv_simd_available(requested)) return dv_simd_best();
    return requested;
}

const char *dv_simd_name(dv_simd s)
{
    switch (s) {
    case DV_SIMD_SCALAR: return "scalar";
    case DV_SIMD_AVX2: return "avx2";
    case DV_SIMD_AVX512: return "avx512";
    default: return "auto";
    }
}

int dv__cpu_has_pclmul(void)
{
    /* HW_PCLMUL is only ever set on x86 (detect_hw) */
    return (hw_word() & HW_PCLMUL) != 0 && forced() != DV_SIMD_SCALAR;
}

int dv__cpu_has_f16c(void)
{
    /* HW_F16C is only ever set on x86 (detect_hw) */
    return (hw_word() & HW_F16C) != 0;
}

int dv__cpu_has_sha_ni(void)
{
    return (hw_word() & HW_SHA) != 0;
}
