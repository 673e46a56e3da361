/* pdq_match_internal.h - what the PDQ radius matcher (pdq_index.c) shares with its per-ISA
 * kernels (pdq_index_avx2.c, pdq_index_avx512.c), its unit test and match_bench. */
#ifndef DV_PDQ_MATCH_INTERNAL_H
#define DV_PDQ_MATCH_INTERNAL_H

#include "../common/common.h"

#include <assert.h>
#include <string.h>

/* 256 bits = 16 slots of 16 bits; slot s is bytes 2s and 2s+1 of the hash. */
#define DV__PDQ_SLOTS 16
#define DV__PDQ_SLOT_VALUES 65536u
/* Rows of one side of a kernel call. The x side is read in groups of 16 lanes, so x arrays
 * hold a multiple of 16 readable dwords (padding is masked out of the result). */
#define DV__PDQ_TILE 1024u

/* Kernels, slowest first. AVX512POPCNT needs AVX512_VPOPCNTDQ on top of DV_SIMD_AVX512. */
enum {
    DV__PDQK_SCALAR = 0,
    DV__PDQK_AVX2 = 1,
    DV__PDQK_AVX512 = 2,
    DV__PDQK_AVX512POPCNT = 3,
    DV__PDQK_COUNT = 4
};

/* Prefilter / full compare of two sets of rows of k dwords (k = 1..8): dword w of x row i is
 * x[w * ldx + i] (planes, read 16 lanes at a time), of y row j is y[w * ldy + j * ys] (planes:
 * ldy = plane length, ys = 1; records: ldy = 1, ys = record length). For every j in
 * [*jpos, ny) and i in [0, nx) with sum_w popcount(x_w[i] ^ y_w[j]) <= r, appends
 * (j << 16) | i to out, in any order. Stops before a row whose survivors might not fit in
 * cap (cap >= nx is required, so there is progress), stores in *jpos the first row not done
 * and returns the number appended. nx, ny <= DV__PDQ_TILE. */
typedef size_t (*dv__pdq_kernel_fn)(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                                    size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                                    uint32_t *out, size_t cap);
/* One query against the codes of ids[0..n): positions i with distance <= r go to pos_out,
 * their distances to dist_out, in order; returns how many. */
typedef size_t (*dv__pdq_probe_fn)(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                                   const dv_pdq_hash *q, int r, uint32_t *pos_out,
                                   uint8_t *dist_out);

typedef struct dv__pdq_ops {
    dv__pdq_kernel_fn kernel;
    dv__pdq_probe_fn probe;
} dv__pdq_ops;

size_t dv__pdq_kernel_scalar(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                             size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                             uint32_t *out, size_t cap);
size_t dv__pdq_probe_scalar(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                            const dv_pdq_hash *q, int r, uint32_t *pos_out, uint8_t *dist_out);
#if defined(DV_HAVE_X86_SIMD)
size_t dv__pdq_kernel_avx2(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y, size_t ldy,
                           size_t ys, size_t ny, size_t *jpos, int k, int r, uint32_t *out,
                           size_t cap);
size_t dv__pdq_probe_avx2(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                          const dv_pdq_hash *q, int r, uint32_t *pos_out, uint8_t *dist_out);
size_t dv__pdq_kernel_avx512(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                             size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                             uint32_t *out, size_t cap);
size_t dv__pdq_kernel_avx512popcnt(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                                   size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                                   uint32_t *out, size_t cap);
size_t dv__pdq_probe_avx512popcnt(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                                  const dv_pdq_hash *q, int r, uint32_t *pos_out,
                                  uint8_t *dist_out);
/* Whether the CPU has AVX512_VPOPCNTDQ (on top of what DV_SIMD_AVX512 needs). */
int dv__pdq_cpu_has_vpopcntdq(void);
#endif

/* The kernels of kernel id (DV__PDQK_*); the scalar ones where it is not built. */
void dv__pdq_kernel_ops(int kernel, dv__pdq_ops *out);
/* Whether kernel id (DV__PDQK_*) is built and runs on this CPU; its name. */
int dv__pdq_kernel_available(int kernel);
const char *dv__pdq_kernel_name(int kernel);
/* The kernel a dv_simd request runs (DV_SIMD_AUTO and DV_SIMD honoured). */
int dv__pdq_kernel_for_simd(dv_simd simd);

/* Dword w (0..7) of a hash, little-endian load of bytes 4w..4w+3. */
static inline uint32_t dv__pdq_word(const dv_pdq_hash *h, unsigned w)
{
    uint32_t v;
    memcpy(&v, h->bytes + 4 * w, 4);
    return v;
}

/* Little-endian 64-bit load: lane l of qword w is then slot 4w + l on any host. */
static inline uint64_t dv__pdq_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
#endif
}

/* Popcounts of the four 16-bit lanes of x, each in its lane (SWAR: no POPCNT needed, and
 * without -mpopcnt __builtin_popcount is a libgcc call). */
static inline uint64_t dv__pdq_lane_counts(uint64_t x)
{
    x = x - (x >> 1 & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + (x >> 2 & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (x + (x >> 8)) & 0x00ff00ff00ff00ffull;
}

/* Distance of two hashes, and in slot_counts[w] (if not NULL) the per-slot distances of
 * qword w as 16-bit lanes: slot s is lane s % 4 of slot_counts[s / 4]. */
static inline int dv__pdq_dist_slots(const dv_pdq_hash *a, const dv_pdq_hash *b,
                                     uint64_t slot_counts[4])
{
    uint64_t sum = 0;
    for (unsigned w = 0; w < 4; w++) {
        const uint64_t c =
            dv__pdq_lane_counts(dv__pdq_le64(a->bytes + 8 * w) ^ dv__pdq_le64(b->bytes + 8 * w));
        if (slot_counts != NULL) slot_counts[w] = c;
        sum += c;
    }
    return (int)(sum * 0x0001000100010001ull >> 48);
}

static inline int dv__pdq_dist(const dv_pdq_hash *a, const dv_pdq_hash *b)
{
    return dv__pdq_dist_slots(a, b, NULL);
}

/* ------------------------------------------------------------------ test and bench hooks */

enum { DV__PDQ_AUTO = 0, DV__PDQ_JOIN = 1, DV__PDQ_PROBE = 2 };

typedef struct dv__pdq_match_opts {
    int kernel;         /* DV__PDQK_*, or -1: the index's (bruteforce: from simd) */
    int strategy;       /* DV__PDQ_AUTO, DV__PDQ_JOIN (batched join), DV__PDQ_PROBE (per query) */
    size_t match_limit; /* matches held before a batch is split; 0: default */
    size_t chunk_rows;  /* query rows (queries x variants) joined at once; 0: default */
    int dense_segments; /* join: look facing query buckets up flip by flip (the fallback) */
    size_t list_range;  /* join: list entries bucketed at once; 0: default (256 MiB of them) */
} dv__pdq_match_opts;

/* Defaults: kernel -1, everything else 0. */
void dv__pdq_match_opts_init(dv__pdq_match_opts *o);
/* dv_pdq_index_match with opts (NULL: defaults). */
int dv__pdq_index_match_ex(const dv_pdq_index *ix, const dv_pdq_hash *queries, size_t nq,
                           int nvariants, int radius, const dv__pdq_match_opts *o,
                           dv_pdq_match_fn fn, void *ctx);
/* Per-query multi-index probing of one query (nvariants hashes); reported as query 0. */
int dv__pdq_index_probe_one(const dv_pdq_index *ix, const dv_pdq_hash *query, int nvariants,
                            int radius, dv_pdq_match_fn fn, void *ctx);
/* dv_pdq_match_bruteforce with opts (NULL: defaults, the best kernel); strategy ignored. */
int dv__pdq_bruteforce_ex(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *queries, size_t nq,
                          int nvariants, int radius, const dv__pdq_match_opts *o,
                          dv_pdq_match_fn fn, void *ctx);
/* Bytes the index holds (not counting the codes, which belong to the caller). */
size_t dv__pdq_index_memory(const dv_pdq_index *ix);
/* The kernel the index runs. */
int dv__pdq_index_kernel(const dv_pdq_index *ix);
/* Query rows below which DV__PDQ_AUTO probes instead of joining, for an index of n codes. */
size_t dv__pdq_probe_threshold(size_t n, int radius);

#endif
