/* pdq_index.c - exact PDQ radius matching: multi-index hashing over 16 slots of 16 bits, run
 * as a join of the list's slot buckets (built once) with the query batch's (built per call). */
#include "pdq_match_internal.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define NSLOT DV__PDQ_SLOTS
#define NVAL DV__PDQ_SLOT_VALUES
#define OFFS (NVAL + 1)
#define TILE DV__PDQ_TILE
#define SURV_CAP (4 * TILE) /* kernel survivors per call (>= 2 rows of a tile) */
#define EMIT_BATCH 512      /* matches per callback */
#define MAX_FLIPS 697       /* 16-bit masks of weight <= 3 */
#define MAX_TOL 3           /* radius 63 -> 3 bits per slot */
#define DEFAULT_LIMIT ((size_t)1 << 22)
#define MIN_LIMIT ((size_t)TILE * DV_DIH_COUNT) /* a block of brute_chunk streaming */
#define DEFAULT_CHUNK_ROWS ((size_t)1 << 22)
#define MAX_CHUNK_ROWS ((size_t)1 << 31)
#define LIST_BUDGET ((size_t)256 << 20) /* bytes of list records bucketed at once */
#define CSR_MAX ((size_t)1 << 22)       /* (list bucket, query bucket) pairs listed per slot */

/* Internal outcomes next to DV_OK and the negative DV_E* codes, passed up unchanged. */
enum { ST_STOP = 1, ST_OVERFLOW = 2 };
#define FORWARD_STATUS(expr)                                                                       \
    do {                                                                                           \
        int st_ = (expr);                                                                          \
        if (st_ != DV_OK) return st_;                                                              \
    } while (0)

struct dv_pdq_index {
    dv_alloc alloc_copy;
    const dv_alloc *alloc; /* &alloc_copy, or NULL for the C library */
    const dv_pdq_hash *codes;
    size_t n;
    int kernel;
    uint32_t *off; /* [NSLOT][OFFS]: bucket v of slot s is ids[s][off[s][v] .. off[s][v + 1]) */
    uint32_t *ids; /* [NSLOT][n], ascending inside a bucket */
};

static inline unsigned slot_val(const dv_pdq_hash *h, unsigned s)
{
    return (unsigned)h->bytes[2 * s] | (unsigned)h->bytes[2 * s + 1] << 8;
}

/* ------------------------------------------------------------------ kernels and dispatch */

int dv__pdq_kernel_available(int kernel)
{
    switch (kernel) {
    case DV__PDQK_SCALAR: return 1;
#if defined(DV_HAVE_X86_SIMD)
    case DV__PDQK_AVX2: return dv_simd_available(DV_SIMD_AVX2);
    case DV__PDQK_AVX512: return dv_simd_available(DV_SIMD_AVX512);
    case DV__PDQK_AVX512POPCNT:
        return dv_simd_available(DV_SIMD_AVX512) && dv__pdq_cpu_has_vpopcntdq();
#endif
    default: return 0;
    }
}

const char *dv__pdq_kernel_name(int kernel)
{
    switch (kernel) {
    case DV__PDQK_SCALAR: return "scalar";
    case DV__PDQK_AVX2: return "avx2";
    case DV__PDQK_AVX512: return "avx512";
    case DV__PDQK_AVX512POPCNT: return "avx512-vpopcntdq";
    default: return "unknown";
    }
}

int dv__pdq_kernel_for_simd(dv_simd simd)
{
    switch (dv__simd_resolve(simd)) {
    case DV_SIMD_AVX512:
        return dv__pdq_kernel_available(DV__PDQK_AVX512POPCNT) ? DV__PDQK_AVX512POPCNT
                                                               : DV__PDQK_AVX512;
    case DV_SIMD_AVX2: return DV__PDQK_AVX2;
    default: return DV__PDQK_SCALAR;
    }
}

void dv__pdq_kernel_ops(int kernel, dv__pdq_ops *o)
{
    o->kernel = dv__pdq_kernel_scalar;
    o->probe = dv__pdq_probe_scalar;
#if defined(DV_HAVE_X86_SIMD)
    switch (kernel) {
    case DV__PDQK_AVX2:
        o->kernel = dv__pdq_kernel_avx2;
        o->probe = dv__pdq_probe_avx2;
        break;
    case DV__PDQK_AVX512:
        o->kernel = dv__pdq_kernel_avx512;
        o->probe = dv__pdq_probe_avx2;
        break;
    case DV__PDQK_AVX512POPCNT:
        o->kernel = dv__pdq_kernel_avx512popcnt;
        o->probe = dv__pdq_probe_avx512popcnt;
        break;
    default: break;
    }
#else
    (void)kernel;
#endif
}

/* Dword planes the prefilter compares: enough that a random pair passes with p < ~1e-3
 * (K planes = 32K random bits against radius r), all 8 (exact) from radius 60 on. */
static int prefilter_planes(int r)
{
    if (r <= 6) return 1;
    if (r <= 18) return 2;
    if (r <= 31) return 3;
    if (r <= 45) return 4;
    if (r <= 59) return 5;
    return 6;
}

/* ------------------------------------------------------------------ index */

/* Big arrays (list-sized) are touched once, page by page; on Linux, ask for transparent huge
 * pages where the system leaves that to the program: a 4 KiB page fault per 4 KiB written
 * costs more than the writing, more so under virtualisation. A hint: failure changes nothing. */
static void hint_huge(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 4096, a = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t b = ((uintptr_t)p + n) & ~(page - 1);
    if (n >= ((size_t)8 << 20) && b > a) (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* Bucket order of slot s (off: its prefix sums): the ids by slot value, stable. Two 8-bit
 * passes, the low byte into tmp then the high byte into place, each with 256 write positions
 * that stay in L1; a single 65536-way pass misses cache on nearly every write. */
static void sort_slot(const dv_pdq_hash *codes, size_t n, unsigned s, const uint32_t *off,
                      uint32_t *ids, uint32_t *tmp_id, uint8_t *tmp_hi)
{
    size_t pos[256], sum = 0;
    for (unsigned lo = 0; lo < 256; lo++) {
        size_t c = 0;
        for (unsigned hi = 0; hi < 256; hi++) c += off[(hi << 8 | lo) + 1] - off[hi << 8 | lo];
        pos[lo] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        const size_t p = pos[codes[i].bytes[2 * s]]++;
        tmp_id[p] = (uint32_t)i;
        tmp_hi[p] = codes[i].bytes[2 * s + 1];
    }
    for (unsigned hi = 0; hi < 256; hi++) pos[hi] = off[hi << 8];
    for (size_t j = 0; j < n; j++) ids[pos[tmp_hi[j]]++] = tmp_id[j];
}

dv_pdq_index *dv_pdq_index_create(const dv_pdq_hash *codes, size_t n, dv_simd simd,
                                  const dv_alloc *alloc)
{
    dv_pdq_index *ix;
    uint32_t *tmp_id;
    uint8_t *tmp_hi;
    size_t nids;
    if (codes == NULL && n > 0) return NULL;
    if (n > UINT32_MAX || !dv__mul_ok(n, NSLOT * sizeof(uint32_t), &nids)) return NULL;
    ix = dv__calloc(alloc, 1, sizeof(*ix));
    if (ix == NULL) return NULL;
    if (alloc != NULL) {
        ix->alloc_copy = *alloc;
        ix->alloc = &ix->alloc_copy;
    }
    ix->codes = codes;
    ix->n = n;
    ix->kernel = dv__pdq_kernel_for_simd(simd);
    ix->off = dv__calloc(ix->alloc, (size_t)NSLOT * OFFS, sizeof(uint32_t));
    ix->ids = dv__malloc(ix->alloc, nids);
    tmp_id = dv__malloc(ix->alloc, n * sizeof(uint32_t));
    tmp_hi = dv__malloc(ix->alloc, n);
    if (ix->off == NULL || ix->ids == NULL || tmp_id == NULL || tmp_hi == NULL) {
        dv__free(ix->alloc, tmp_id);
        dv__free(ix->alloc, tmp_hi);
        dv_pdq_index_free(ix);
        return NULL;
    }
    hint_huge(ix->ids, nids);
    hint_huge(tmp_id, n * sizeof(uint32_t));
    /* One counting sort per slot; the histograms of all slots in one pass over the codes. */
    for (size_t i = 0; i < n; i++)
        for (unsigned s = 0; s < NSLOT; s++)
            ix->off[(size_t)s * OFFS + slot_val(&codes[i], s) + 1]++;
    for (unsigned s = 0; s < NSLOT; s++) {
        uint32_t *off = ix->off + (size_t)s * OFFS;
        for (size_t v = 0; v < NVAL; v++) off[v + 1] += off[v];
        sort_slot(codes, n, s, off, ix->ids + (size_t)s * n, tmp_id, tmp_hi);
    }
    dv__free(ix->alloc, tmp_id);
    dv__free(ix->alloc, tmp_hi);
    return ix;
}

void dv_pdq_index_free(dv_pdq_index *ix)
{
    if (ix == NULL) return;
    dv__free(ix->alloc, ix->off);
    dv__free(ix->alloc, ix->ids);
    dv__free(ix->alloc, ix);
}

size_t dv__pdq_index_memory(const dv_pdq_index *ix)
{
    if (ix == NULL) return 0;
    return sizeof(*ix) + (size_t)NSLOT * OFFS * sizeof(uint32_t) +
           (size_t)NSLOT * ix->n * sizeof(uint32_t);
}

int dv__pdq_index_kernel(const dv_pdq_index *ix) { return ix->kernel; }

size_t dv__pdq_probe_threshold(size_t n, int radius)
{
    /* A join pays ~16 n record writes and 16 x 65536 bucket visits whatever the batch; probing
     * pays the query's ~16 x flips buckets of n / 65536 codes each, read at random: cheap
     * while the codes sit in cache, a miss each beyond. Measured crossovers at radius 31
     * (docs/matching.md): ~16k rows up to a few 1e5 codes, ~3k rows from 1e6 to 1e7. */
    const size_t base = n <= ((size_t)1 << 18) ? 16384 : 3072;
    int q, p;
    size_t probes;
    if (radius < 0) radius = 0;
    if (radius > 63) radius = 63;
    q = (radius + 1) / NSLOT;
    p = (radius + 1) % NSLOT;
    /* buckets probed per row: slots within q bits (p of them) and within q - 1 (the rest) */
    static const size_t ball[MAX_TOL + 2] = {0, 1, 17, 137, 697};
    probes = (size_t)(NSLOT - p) * ball[q] + (p > 0 ? (size_t)p * ball[q + 1] : 0);
    if (probes == 0) probes = 1;
    size_t t = base * 272 / probes;
    return t < 64 ? 64 : t > ((size_t)1 << 20) ? (size_t)1 << 20 : t;
}

/* ------------------------------------------------------------------ output: collect, sort, emit */

typedef struct emitter {
    dv_pdq_match_fn fn;
    void *ctx;
    size_t n;
    dv_pdq_match buf[EMIT_BATCH];
} emitter;

static int emit_flush(emitter *e)
{
    size_t n = e->n;
    e->n = 0;
    if (n > 0 && e->fn(e->ctx, e->buf, n) != 0) return ST_STOP;
    return DV_OK;
}

static inline int emit(emitter *e, uint64_t query, uint64_t packed)
{
    dv_pdq_match *m = &e->buf[e->n++];
    m->query = query;
    m->entry = packed >> 16;
    m->distance = (int)(packed >> 8 & 0xff);
    m->dihedral = (int)(packed & 0xff);
    return e->n == EMIT_BATCH ? emit_flush(e) : DV_OK;
}

/* Matches of a chunk of queries: (query in chunk, entry << 16 | distance << 8 | variant).
 * Sorting the packed word orders by entry, then distance, then variant: the first of an
 * entry's run is the one to report. */
typedef struct coll {
    const dv_alloc *a;
    uint32_t *q;
    uint64_t *p;
    uint64_t *tmp;
    size_t n, cap, tmp_cap, limit;
} coll;

static int coll_grow(coll *c)
{
    size_t cap = c->cap ? 2 * c->cap : 4096;
    uint32_t *q;
    uint64_t *p;
    if (c->n >= c->limit) return ST_OVERFLOW;
    if (cap > c->limit) cap = c->limit;
    q = dv__realloc(c->a, c->q, cap * sizeof(*q));
    if (q == NULL) return DV_ENOMEM;
    c->q = q;
    p = dv__realloc(c->a, c->p, cap * sizeof(*p));
    if (p == NULL) return DV_ENOMEM;
    c->p = p;
    c->cap = cap;
    return DV_OK;
}

static inline int coll_push(coll *c, uint32_t q, uint64_t entry, int dist, int var)
{
    if (c->n == c->cap) FORWARD_STATUS(coll_grow(c));
    c->q[c->n] = q;
    c->p[c->n++] = entry << 16 | (uint64_t)dist << 8 | (uint64_t)var;
    return DV_OK;
}

/* LSD radix sort on the 6 low bytes (entry, distance, variant); tmp holds n. */
static void sort_u64(uint64_t *v, size_t n, uint64_t *tmp)
{
    size_t hist[6][256];
    uint64_t *src = v, *dst = tmp;
    if (n <= 64) {
        for (size_t i = 1; i < n; i++) {
            uint64_t x = v[i];
            size_t j = i;
            while (j > 0 && v[j - 1] > x) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return;
    }
    memset(hist, 0, sizeof(hist));
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 6; b++) hist[b][v[i] >> 8 * b & 0xff]++;
    for (unsigned b = 0; b < 6; b++) {
        size_t *h = hist[b], sum = 0;
        if (h[v[0] >> 8 * b & 0xff] == n) continue; /* one digit value: nothing to do */
        for (unsigned d = 0; d < 256; d++) {
            const size_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[h[src[i] >> 8 * b & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof(*v));
}

static int emit_sorted(emitter *e, uint64_t query, uint64_t *p, size_t n, uint64_t *tmp)
{
    sort_u64(p, n, tmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && p[i] >> 16 == p[i - 1] >> 16) continue; /* same entry, other variant */
        FORWARD_STATUS(emit(e, query, p[i]));
    }
    return DV_OK;
}

/* Sort the chunk's matches by query (counting sort into tmp; cnt has nq + 1 slots), each
 * query's by entry, and emit them; the collector is empty afterwards. */
static int coll_finish(coll *c, uint64_t q0, size_t nq, uint32_t *cnt, emitter *e)
{
    size_t n = c->n;
    c->n = 0;
    if (n == 0) return DV_OK;
    if (c->tmp_cap < n) {
        uint64_t *t = dv__realloc(c->a, c->tmp, c->cap * sizeof(*t));
        if (t == NULL) return DV_ENOMEM;
        c->tmp = t;
        c->tmp_cap = c->cap;
    }
    if (nq == 1) return emit_sorted(e, q0, c->p, n, c->tmp);
    memset(cnt, 0, (nq + 1) * sizeof(*cnt));
    for (size_t i = 0; i < n; i++) cnt[c->q[i] + 1]++;
    for (size_t i = 0; i < nq; i++) cnt[i + 1] += cnt[i];
    for (size_t i = 0; i < n; i++) c->tmp[cnt[c->q[i]]++] = c->p[i];
    /* cnt[i] is now the end of query i's run; c->p is free for the radix passes */
    for (size_t i = 0, start = 0; i < nq; i++) {
        const size_t end = cnt[i];
        if (end > start) FORWARD_STATUS(emit_sorted(e, q0 + i, c->tmp + start, end - start, c->p));
        start = end;
    }
    return DV_OK;
}

/* ------------------------------------------------------------------ one match call */

typedef struct seg_t {
    uint32_t a, b; /* query records a .. b - 1 */
} seg_t;

typedef struct probe_bucket {
    uint32_t a, b; /* ids a .. b - 1 of slot s (first the bucket's value, in passing) */
    unsigned s;
} probe_bucket;

#define PROBE_BATCH 256 /* candidates per probe kernel call, one batch prefetched ahead */

typedef struct mctx {
    const dv_alloc *a;
    const dv_pdq_hash *codes; /* the list */
    size_t n;
    const dv_pdq_index *ix; /* NULL: brute force */
    const dv_pdq_hash *queries;
    size_t nq;
    int nvar, r;
    int k, kr; /* dwords the kernel compares; dwords in a join record (k + 1, at most 8) */
    dv__pdq_ops ops;
    /* slot s is searched within tol[s] bits (-1: not searched); sum(tol + 1) = r + 1 */
    int tol[NSLOT];
    uint16_t flips[MAX_FLIPS]; /* by weight, then value: those of weight <= t are a prefix */
    size_t nflips[MAX_TOL + 1];
    coll c;
    emitter *e;
    uint32_t *cnt; /* coll_finish counts, chunk queries + 1 */
    size_t cnt_cap;
    /* join: the chunk's rows bucketed by one slot's value */
    uint32_t *qoff, *cur, *qsum; /* OFFS, NVAL, NVAL */
    uint32_t *lrec;              /* list records of one slot and range (kr words each) */
    uint32_t *loff, *lent;       /* several ranges: a range's offsets and entries */
    size_t range;                /* list entries bucketed at once */
    uint32_t *vstart, *vu;       /* OFFS; the query buckets facing each list bucket */
    size_t vu_cap;
    int dense_segments;
    uint32_t *qrec; /* rows_cap records of the chunk's rows: kr words, then the row */
    size_t rows_cap;
    /* kernel tiles: list side and query side, 8 planes of TILE dwords; the query rows' records */
    uint32_t *ls, *qs, *qid;
    uint32_t *surv;
    uint8_t *dist;
    /* probing: the row's buckets, and two batches of candidates (entry, slot) */
    probe_bucket *pb;
    uint32_t (*cand)[PROBE_BATCH];
    uint8_t (*cand_slot)[PROBE_BATCH];
} mctx;

static void plan(mctx *m, int r)
{
    /* Generalised pigeonhole: if every slot s had distance >= tol[s] + 1 the total would be
     * >= sum(tol + 1) = r + 1, so a pair within r has some slot s within tol[s]. */
    const int q = (r + 1) / NSLOT, p = (r + 1) % NSLOT;
    size_t nf = 0;
    for (int s = 0; s < NSLOT; s++) m->tol[s] = s < p ? q : q - 1;
    /* masks of weight 0, 1, 2, 3 in that order: those of weight <= t are a prefix */
    m->flips[nf++] = 0;
    m->nflips[0] = nf;
    for (unsigned i = 0; i < 16; i++) m->flips[nf++] = (uint16_t)(1u << i);
    m->nflips[1] = nf;
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = i + 1; j < 16; j++) m->flips[nf++] = (uint16_t)(1u << i | 1u << j);
    m->nflips[2] = nf;
    for (unsigned i = 0; i < 16; i++)
        for (unsigned j = i + 1; j < 16; j++)
            for (unsigned k = j + 1; k < 16; k++)
                m->flips[nf++] = (uint16_t)(1u << i | 1u << j | 1u << k);
    m->nflips[3] = nf;
    assert(nf == MAX_FLIPS);
    m->r = r;
    m->k = prefilter_planes(r);
    m->kr = m->k < 8 ? m->k + 1 : 8;
}

static void mctx_free(mctx *m)
{
    const dv_alloc *a = m->a;
    dv__free(a, m->c.q);
    dv__free(a, m->c.p);
    dv__free(a, m->c.tmp);
    dv__free(a, m->cnt);
    dv__free(a, m->qoff);
    dv__free(a, m->cur);
    dv__free(a, m->lrec);
    dv__free(a, m->loff);
    dv__free(a, m->lent);
    dv__free(a, m->qsum);
    dv__free(a, m->vstart);
    dv__free(a, m->vu);
    dv__free(a, m->qrec);
    dv__free(a, m->ls);
    dv__free(a, m->qs);
    dv__free(a, m->qid);
    dv__free(a, m->surv);
    dv__free(a, m->dist);
    dv__free(a, m->pb);
    dv__free(a, m->cand);
    dv__free(a, m->cand_slot);
}

/* Scratch every strategy needs; the kernel tiles and the join's per-slot arrays come when
 * first used (tiles_alloc, join_alloc). */
static int mctx_alloc(mctx *m, size_t chunk_q)
{
    const dv_alloc *a = m->a;
    m->cnt_cap = chunk_q + 1;
    m->cnt = dv__malloc(a, m->cnt_cap * sizeof(uint32_t));
    m->surv = dv__malloc(a, SURV_CAP * sizeof(uint32_t));
    m->dist = dv__malloc(a, TILE);
    m->pb = dv__malloc(a, (size_t)NSLOT * MAX_FLIPS * sizeof(*m->pb));
    m->cand = dv__malloc(a, 2 * sizeof(*m->cand));
    m->cand_slot = dv__malloc(a, 2 * sizeof(*m->cand_slot));
    if (m->cnt == NULL || m->surv == NULL || m->dist == NULL || m->pb == NULL || m->cand == NULL ||
        m->cand_slot == NULL)
        return DV_ENOMEM;
    return DV_OK;
}

/* Kernel tiles: list side and query side, 8 planes of TILE dwords; zeroed once so the padding
 * lanes the kernels read past a tile's end are defined. */
static int tiles_alloc(mctx *m)
{
    const dv_alloc *a = m->a;
    if (m->ls != NULL) return DV_OK;
    m->ls = dv__calloc(a, 8 * (size_t)TILE, sizeof(uint32_t));
    m->qs = dv__calloc(a, 8 * (size_t)TILE, sizeof(uint32_t));
    m->qid = dv__calloc(a, TILE, sizeof(uint32_t));
    if (m->ls == NULL || m->qs == NULL || m->qid == NULL) return DV_ENOMEM;
    return DV_OK;
}

static int join_alloc(mctx *m, size_t rows, size_t range)
{
    const dv_alloc *a = m->a;
    const size_t qb = ((size_t)m->kr + 1) * sizeof(uint32_t), lb = (size_t)m->kr * sizeof(uint32_t);
    size_t nw, nl;
    FORWARD_STATUS(tiles_alloc(m));
    if (m->qrec != NULL) return DV_OK;
    if (range == 0) range = LIST_BUDGET / lb;
    if (range > m->n) range = m->n;
    m->range = range;
    if (!dv__mul_ok(rows, qb, &nw) || !dv__mul_ok(range, lb, &nl)) return DV_ENOMEM;
    m->rows_cap = rows;
    m->qoff = dv__malloc(a, OFFS * sizeof(uint32_t));
    m->cur = dv__malloc(a, NVAL * sizeof(uint32_t));
    m->qsum = dv__malloc(a, NVAL * sizeof(uint32_t));
    m->vstart = dv__malloc(a, OFFS * sizeof(uint32_t));
    m->qrec = dv__malloc(a, nw);
    m->lrec = dv__malloc(a, nl);
    if (m->qrec != NULL) hint_huge(m->qrec, nw);
    if (m->lrec != NULL) hint_huge(m->lrec, nl);
    if (range < m->n) {
        m->loff = dv__malloc(a, OFFS * sizeof(uint32_t));
        m->lent = dv__malloc(a, range * sizeof(uint32_t));
    }
    if (m->qoff == NULL || m->cur == NULL || m->qsum == NULL || m->vstart == NULL ||
        m->qrec == NULL || m->lrec == NULL ||
        (range < m->n && (m->loff == NULL || m->lent == NULL)))
        return DV_ENOMEM;
    return DV_OK;
}

/* A pair (entry, query row) found through slot s: report it if it is within the radius and
 * s is the first slot within its tolerance (every pair is found once per such slot). */
static inline int accept(mctx *m, unsigned s, uint32_t entry, const dv_pdq_hash *qc, size_t row)
{
    uint64_t sc[4];
    const int d = dv__pdq_dist_slots(&m->codes[entry], &qc[row], sc);
    if (d > m->r) return DV_OK;
    for (unsigned s2 = 0; s2 < s; s2++)
        if ((int)(sc[s2 / 4] >> (16 * (s2 % 4)) & 0xff) <= m->tol[s2]) return DV_OK;
    return coll_push(&m->c, (uint32_t)(row / (size_t)m->nvar), entry, d,
                     (int)(row % (size_t)m->nvar));
}

static inline int popcount32(uint32_t x)
{
    x = x - (x >> 1 & 0x55555555u);
    x = (x & 0x33333333u) + (x >> 2 & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)(x * 0x01010101u >> 24);
}

/* A kernel survivor: list record l (kr words) of entry e against query record q (kr words,
 * then the row). The words past the kernel's k reject nearly all prefilter survivors from
 * data in cache; the rest go to the full check. */
static inline int survivor(mctx *m, unsigned s, const dv_pdq_hash *qc, const uint32_t *l,
                           uint32_t e, const uint32_t *q)
{
    int d = 0;
    for (int w = 0; w < m->kr; w++) d += popcount32(l[w] ^ q[w]);
    if (d > m->r) return DV_OK;
    return accept(m, s, e, qc, q[m->kr]);
}

/* The list tile (ls, ln rows; records at lr, entries at le) against n query records at rec:
 * the list tile is the kernel's x side, the records are broadcast in place. */
static int join_list_x(mctx *m, unsigned s, const dv_pdq_hash *qc, const uint32_t *lr,
                       const uint32_t *le, size_t ln, const uint32_t *rec, size_t n)
{
    const size_t rs = (size_t)m->kr + 1, lrs = (size_t)m->kr;
    for (size_t j0 = 0; j0 < n; j0 += TILE) {
        const uint32_t *y = rec + j0 * rs;
        const size_t ny = n - j0 < TILE ? n - j0 : TILE;
        size_t j = 0;
        while (j < ny) {
            const size_t ns =
                m->ops.kernel(m->ls, TILE, ln, y, 1, rs, ny, &j, m->k, m->r, m->surv, SURV_CAP);
            for (size_t i = 0; i < ns; i++) {
                const size_t li = m->surv[i] & 0xffff, yj = m->surv[i] >> 16;
                FORWARD_STATUS(survivor(m, s, qc, lr + li * lrs, le[li], y + yj * rs));
            }
        }
    }
    return DV_OK;
}

/* The query tile (qs, qn rows; qid: their record numbers) as the kernel's x side against the
 * list tile (ls, ln rows; records at lr, entries at le). */
static int join_query_x(mctx *m, unsigned s, const dv_pdq_hash *qc, const uint32_t *lr,
                        const uint32_t *le, size_t ln, size_t qn)
{
    const size_t rs = (size_t)m->kr + 1, lrs = (size_t)m->kr;
    size_t j = 0;
    while (j < ln) {
        const size_t ns =
            m->ops.kernel(m->qs, TILE, qn, m->ls, TILE, 1, ln, &j, m->k, m->r, m->surv, SURV_CAP);
        for (size_t i = 0; i < ns; i++) {
            const size_t qi = m->surv[i] & 0xffff, li = m->surv[i] >> 16;
            FORWARD_STATUS(
                survivor(m, s, qc, lr + li * lrs, le[li], m->qrec + (size_t)m->qid[qi] * rs));
        }
    }
    return DV_OK;
}

/* List bucket [l0, l1) of m->lrec (entries in lent) against the query records of nseg
 * segments (qn rows). */
static int join_bucket(mctx *m, unsigned s, const dv_pdq_hash *qc, const uint32_t *lent, size_t l0,
                       size_t l1, const seg_t *seg, size_t nseg, size_t qn)
{
    const int k = m->k;
    const size_t rs = (size_t)m->kr + 1, lrs = (size_t)m->kr;
    const uint32_t *qrec = m->qrec;
    for (; l0 < l1; l0 += TILE) {
        const size_t ln = l1 - l0 < TILE ? l1 - l0 : TILE;
        const size_t gl = (ln + 15) / 16, gq = (qn + 15) / 16;
        const uint32_t *lr = m->lrec + l0 * lrs, *le = lent + l0;
        for (size_t i = 0; i < ln; i++)
            for (int w = 0; w < k; w++) m->ls[(size_t)w * TILE + i] = lr[i * lrs + (size_t)w];
        /* Kernel work ~ broadcast rows x (k + x groups x (3k + 1)); transposing the query rows
         * costs k + 1 moves each. Take the cheaper orientation. */
        const size_t cost_list_x = qn * ((size_t)k + gl * (3 * (size_t)k + 1));
        const size_t cost_query_x =
            qn * ((size_t)k + 1) + ln * ((size_t)k + gq * (3 * (size_t)k + 1));
        if (cost_list_x <= cost_query_x) {
            for (size_t i = 0; i < nseg; i++)
                FORWARD_STATUS(join_list_x(m, s, qc, lr, le, ln, qrec + (size_t)seg[i].a * rs,
                                           seg[i].b - seg[i].a));
            continue;
        }
        /* the query rows of all segments transposed into tiles */
        size_t si = 0, so = seg[0].a;
        while (si < nseg) {
            size_t n = 0;
            while (n < TILE && si < nseg) {
                const uint32_t *rec = qrec + (size_t)so * rs;
                m->qid[n] = (uint32_t)so;
                for (int w = 0; w < k; w++) m->qs[(size_t)w * TILE + n] = rec[w];
                n++;
                if (++so == seg[si].b && ++si < nseg) so = seg[si].a;
            }
            FORWARD_STATUS(join_query_x(m, s, qc, lr, le, ln, n));
        }
    }
    return DV_OK;
}

/* Records of one slot, kr prefilter words of each hash, bucketed by slot value with a
 * counting sort: off[v] .. off[v + 1] are bucket v (off has OFFS slots, cur NVAL). The number
 * of the hash goes to the record's last word (with_id) or to ids (when not NULL). The reads
 * are sequential and the writes go to 65536 moving positions whose lines mostly stay in
 * cache: much cheaper than gathering each bucket's codes at random. */
static void bucket_records(const dv_pdq_hash *h, size_t n, size_t base, unsigned s,
                           const unsigned *wsel, int kr, int with_id, const uint32_t *off,
                           uint32_t *cur, uint32_t *rec, uint32_t *ids)
{
    const size_t rs = (size_t)kr + (with_id ? 1 : 0);
    memcpy(cur, off, NVAL * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        const size_t p = cur[slot_val(&h[i], s)]++;
        uint32_t *r = rec + p * rs;
        for (int w = 0; w < kr; w++) r[w] = dv__pdq_word(&h[i], wsel[w]);
        if (with_id) r[kr] = (uint32_t)(base + i);
        if (ids != NULL) ids[p] = (uint32_t)(base + i);
    }
}

static void histogram(const dv_pdq_hash *h, size_t n, unsigned s, uint32_t *off)
{
    memset(off, 0, OFFS * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) off[slot_val(&h[i], s) + 1]++;
    for (size_t v = 0; v < NVAL; v++) off[v + 1] += off[v];
}

/* Join the list with rows [0, rows) of qc (queries q0.. of the batch, all variants). */
static int join_chunk(mctx *m, const dv_pdq_hash *qc, size_t rows)
{
    const dv_pdq_index *ix = m->ix;
    uint32_t *qoff = m->qoff, *qsum = m->qsum, *qrec = m->qrec;
    seg_t seg[MAX_FLIPS];
    for (unsigned s = 0; s < NSLOT; s++) {
        const int t = m->tol[s];
        if (t < 0) continue;
        const size_t nf = m->nflips[t];
        const uint16_t *fl = m->flips;
        unsigned wsel[8];
        /* prefilter words: first the ones not holding slot s, whose bits nearly agree by
         * construction */
        for (int w = 0; w < m->kr; w++) wsel[w] = (s / 2 + 1 + (unsigned)w) & 7;

        histogram(qc, rows, s, qoff);
        bucket_records(qc, rows, 0, s, wsel, m->kr, 1, qoff, m->cur, qrec, NULL);
        /* Which query buckets face list bucket v: as lists (vstart/vu) while they fit, else
         * looked up flip by flip. qsum[v]: the rows facing v. */
        size_t nu = 0;
        for (size_t u = 0; u < NVAL; u++) nu += qoff[u + 1] != qoff[u];
        const int csr = !m->dense_segments && nu * nf <= CSR_MAX;
        memset(qsum, 0, NVAL * sizeof(uint32_t));
        if (csr) {
            if (m->vu_cap < nu * nf) {
                uint32_t *grown = dv__realloc(m->a, m->vu, nu * nf * sizeof(uint32_t));
                if (grown == NULL) return DV_ENOMEM;
                m->vu = grown;
                m->vu_cap = nu * nf;
            }
            memset(m->vstart, 0, OFFS * sizeof(uint32_t));
        }
        for (size_t u = 0; u < NVAL; u++) {
            const uint32_t c = qoff[u + 1] - qoff[u];
            if (c == 0) continue;
            for (size_t f = 0; f < nf; f++) {
                qsum[u ^ fl[f]] += c;
                if (csr) m->vstart[(u ^ fl[f]) + 1]++;
            }
        }
        if (csr) {
            for (size_t v = 0; v < NVAL; v++) m->vstart[v + 1] += m->vstart[v];
            memcpy(m->cur, m->vstart, NVAL * sizeof(uint32_t));
            for (size_t u = 0; u < NVAL; u++)
                if (qoff[u + 1] != qoff[u])
                    for (size_t f = 0; f < nf; f++) m->vu[m->cur[u ^ fl[f]]++] = (uint32_t)u;
        }

        /* the list, a range of entries at a time (one range unless it is very large) */
        for (size_t e0 = 0; e0 < ix->n; e0 += m->range) {
            const size_t ne = ix->n - e0 < m->range ? ix->n - e0 : m->range;
            /* one range: the index has the offsets and the entries in bucket order */
            const uint32_t *lo = ix->off + (size_t)s * OFFS, *lent = ix->ids + (size_t)s * ix->n;
            if (ne != ix->n) {
                histogram(ix->codes + e0, ne, s, m->loff);
                lo = m->loff;
                lent = m->lent;
            }
            bucket_records(ix->codes + e0, ne, e0, s, wsel, m->kr, 0, lo, m->cur, m->lrec,
                           ne != ix->n ? m->lent : NULL);
            for (size_t v = 0; v < NVAL; v++) {
                if (qsum[v] == 0 || lo[v + 1] == lo[v]) continue;
                size_t nseg = 0;
                if (csr) {
                    for (size_t i = m->vstart[v]; i < m->vstart[v + 1]; i++) {
                        const size_t u = m->vu[i];
                        seg[nseg].a = qoff[u];
                        seg[nseg++].b = qoff[u + 1];
                    }
                } else {
                    for (size_t f = 0; f < nf; f++) {
                        const size_t u = v ^ fl[f];
                        if (qoff[u + 1] > qoff[u]) {
                            seg[nseg].a = qoff[u];
                            seg[nseg++].b = qoff[u + 1];
                        }
                    }
                }
                FORWARD_STATUS(join_bucket(m, s, qc, lent, lo[v], lo[v + 1], seg, nseg, qsum[v]));
            }
        }
    }
    return DV_OK;
}

/* Brute force over the list for queries q0 .. q0 + nq - 1 (nq * nvar <= TILE). stream: a single
 * query whose matches are emitted block by block, so any number of them fits. */
static int brute_chunk(mctx *m, size_t q0, size_t nq, int stream)
{
    const dv_pdq_hash *qc = m->queries + q0 * (size_t)m->nvar;
    const size_t rows = nq * (size_t)m->nvar;
    assert(rows <= TILE && (!stream || nq == 1));
    FORWARD_STATUS(tiles_alloc(m));
    for (size_t j = 0; j < rows; j++)
        for (int k = 0; k < m->k; k++)
            m->qs[(size_t)k * TILE + j] = dv__pdq_word(&qc[j], (unsigned)k);
    for (size_t b0 = 0; b0 < m->n; b0 += TILE) {
        const size_t bn = m->n - b0 < TILE ? m->n - b0 : TILE;
        if (stream && m->c.n + rows * bn > m->c.limit)
            FORWARD_STATUS(coll_finish(&m->c, q0, 1, m->cnt, m->e));
        for (size_t i = 0; i < bn; i++)
            for (int k = 0; k < m->k; k++)
                m->ls[(size_t)k * TILE + i] = dv__pdq_word(&m->codes[b0 + i], (unsigned)k);
        size_t j = 0;
        while (j < rows) {
            const size_t ns = m->ops.kernel(m->ls, TILE, bn, m->qs, TILE, 1, rows, &j, m->k, m->r,
                                            m->surv, SURV_CAP);
            for (size_t i = 0; i < ns; i++) {
                const size_t entry = b0 + (m->surv[i] & 0xffff), row = m->surv[i] >> 16;
                const int d = dv__pdq_dist(&m->codes[entry], &qc[row]);
                if (d <= m->r)
                    FORWARD_STATUS(coll_push(&m->c, (uint32_t)(row / (size_t)m->nvar), entry, d,
                                             (int)(row % (size_t)m->nvar)));
            }
        }
    }
    return coll_finish(&m->c, q0, nq, m->cnt, m->e);
}

/* Probes one batch of candidates (entries cand[0..n), found through slots cs[]) of row. */
static int probe_batch(mctx *m, const dv_pdq_hash *qc, size_t row, const uint32_t *cand,
                       const uint8_t *cs, size_t n)
{
    const size_t nh = m->ops.probe(m->codes, cand, n, &qc[row], m->r, m->surv, m->dist);
    for (size_t i = 0; i < nh; i++)
        FORWARD_STATUS(accept(m, cs[m->surv[i]], cand[m->surv[i]], qc, row));
    return DV_OK;
}

/* Per-query multi-index probing of one row: its 16 x flips slot buckets, pipelined so that
 * many cache misses are in flight: bucket bounds, then ids, then codes prefetched a batch of
 * candidates ahead of the batch being compared. */
static int probe_row(mctx *m, const dv_pdq_hash *qc, size_t row)
{
    const dv_pdq_index *ix = m->ix;
    const dv_pdq_hash *h = &qc[row];
    probe_bucket *pb = m->pb;
    size_t nb = 0;
    for (unsigned s = 0; s < NSLOT; s++) {
        const int t = m->tol[s];
        if (t < 0) continue;
        const uint32_t *lo = ix->off + (size_t)s * OFFS;
        const unsigned v = slot_val(h, s);
        for (size_t f = 0; f < m->nflips[t]; f++) {
            pb[nb].s = s;
            pb[nb].a = v ^ m->flips[f];
            __builtin_prefetch(&lo[pb[nb++].a]);
        }
    }
    for (size_t i = 0; i < nb; i++) {
        const uint32_t *lo = ix->off + (size_t)pb[i].s * OFFS;
        const uint32_t u = pb[i].a;
        pb[i].a = lo[u];
        pb[i].b = lo[u + 1];
        if (pb[i].a < pb[i].b) __builtin_prefetch(ix->ids + (size_t)pb[i].s * ix->n + pb[i].a);
    }
    int cur = 0;
    size_t n = 0, prev_n = 0;
    for (size_t i = 0; i < nb; i++) {
        const uint32_t *ids = ix->ids + (size_t)pb[i].s * ix->n;
        for (size_t j = pb[i].a; j < pb[i].b; j++) {
            const uint32_t id = ids[j];
            __builtin_prefetch(m->codes[id].bytes);
            m->cand[cur][n] = id;
            m->cand_slot[cur][n++] = (uint8_t)pb[i].s;
            if (n == PROBE_BATCH) {
                /* compare the previous batch while this one's codes arrive */
                if (prev_n > 0)
                    FORWARD_STATUS(
                        probe_batch(m, qc, row, m->cand[!cur], m->cand_slot[!cur], prev_n));
                prev_n = n;
                n = 0;
                cur = !cur;
            }
        }
    }
    if (prev_n > 0)
        FORWARD_STATUS(probe_batch(m, qc, row, m->cand[!cur], m->cand_slot[!cur], prev_n));
    if (n > 0) FORWARD_STATUS(probe_batch(m, qc, row, m->cand[cur], m->cand_slot[cur], n));
    return DV_OK;
}

static int probe_query(mctx *m, size_t q)
{
    const dv_pdq_hash *qc = m->queries + q * (size_t)m->nvar;
    for (int var = 0; var < m->nvar; var++) FORWARD_STATUS(probe_row(m, qc, (size_t)var));
    return coll_finish(&m->c, q, 1, m->cnt, m->e);
}

/* A query whose matches overflowed the collector: brute force, emitted block by block. */
static int one_query_stream(mctx *m, size_t q)
{
    m->c.n = 0;
    return brute_chunk(m, q, 1, 1);
}

static int check_args(const dv_pdq_hash *queries, size_t nq, int nvariants, int radius,
                      dv_pdq_match_fn fn)
{
    size_t rows;
    if (fn == NULL || radius < 0 || radius > 63) return DV_EINVAL;
    if (nvariants != 1 && nvariants != DV_DIH_COUNT) return DV_EINVAL;
    if (queries == NULL && nq > 0) return DV_EINVAL;
    if (!dv__mul_ok(nq, (size_t)nvariants * sizeof(dv_pdq_hash), &rows)) return DV_EINVAL;
    return DV_OK;
}

static int finish_call(mctx *m, int rc)
{
    if (rc == DV_OK) rc = emit_flush(m->e);
    mctx_free(m);
    return rc == ST_STOP ? DV_OK : rc;
}

void dv__pdq_match_opts_init(dv__pdq_match_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->kernel = -1;
}

int dv__pdq_index_match_ex(const dv_pdq_index *ix, const dv_pdq_hash *queries, size_t nq,
                           int nvariants, int radius, const dv__pdq_match_opts *o,
                           dv_pdq_match_fn fn, void *ctx)
{
    mctx m;
    emitter e;
    dv__pdq_match_opts def;
    size_t chunk_rows, chunk_q;
    int rc;
    if (ix == NULL) return DV_EINVAL;
    FORWARD_STATUS(check_args(queries, nq, nvariants, radius, fn));
    if (nq == 0 || ix->n == 0) return DV_OK;
    if (o == NULL) {
        dv__pdq_match_opts_init(&def);
        o = &def;
    }
    if (o->kernel >= 0 && !dv__pdq_kernel_available(o->kernel)) return DV_EINVAL;
    memset(&m, 0, sizeof(m));
    e.fn = fn;
    e.ctx = ctx;
    e.n = 0;
    m.a = ix->alloc;
    m.codes = ix->codes;
    m.n = ix->n;
    m.ix = ix;
    m.queries = queries;
    m.nq = nq;
    m.nvar = nvariants;
    m.e = &e;
    m.dense_segments = o->dense_segments;
    dv__pdq_kernel_ops(o->kernel >= 0 ? o->kernel : ix->kernel, &m.ops);
    plan(&m, radius);
    m.c.a = ix->alloc;
    m.c.limit = o->match_limit ? o->match_limit : DEFAULT_LIMIT;
    if (m.c.limit < MIN_LIMIT) m.c.limit = MIN_LIMIT;
    chunk_rows = o->chunk_rows ? o->chunk_rows : DEFAULT_CHUNK_ROWS;
    if (chunk_rows > MAX_CHUNK_ROWS) chunk_rows = MAX_CHUNK_ROWS;
    chunk_q = chunk_rows / (size_t)nvariants;
    if (chunk_q == 0) chunk_q = 1;
    if (chunk_q > nq) chunk_q = nq;
    rc = mctx_alloc(&m, chunk_q);
    if (rc != DV_OK) return finish_call(&m, rc);

    const int probe_all = o->strategy == DV__PDQ_PROBE;
    const size_t threshold =
        o->strategy == DV__PDQ_JOIN ? 0 : dv__pdq_probe_threshold(ix->n, radius);
    size_t q = 0, cq = chunk_q;
    while (q < nq && rc == DV_OK) {
        const size_t qn = nq - q < cq ? nq - q : cq;
        if (probe_all || qn * (size_t)nvariants < threshold) {
            for (size_t i = q; i < q + qn && rc == DV_OK; i++) {
                rc = probe_query(&m, i);
                if (rc == ST_OVERFLOW) rc = one_query_stream(&m, i);
            }
            q += qn;
            continue;
        }
        rc = join_alloc(&m, chunk_q * (size_t)nvariants, o->list_range);
        if (rc != DV_OK) break;
        rc = join_chunk(&m, queries + q * (size_t)nvariants, qn * (size_t)nvariants);
        if (rc == ST_OVERFLOW) {
            /* too many matches to hold: retry on half the queries; alone, stream it */
            m.c.n = 0;
            if (qn > 1) {
                cq = qn / 2;
                rc = DV_OK;
                continue;
            }
            rc = one_query_stream(&m, q);
        } else if (rc == DV_OK) {
            rc = coll_finish(&m.c, q, qn, m.cnt, &e);
        }
        q += qn;
        if (cq < chunk_q) cq *= 2;
    }
    return finish_call(&m, rc);
}

int dv_pdq_index_match(dv_pdq_index *ix, const dv_pdq_hash *queries, size_t nq, int nvariants,
                       int radius, dv_pdq_match_fn fn, void *ctx)
{
    return dv__pdq_index_match_ex(ix, queries, nq, nvariants, radius, NULL, fn, ctx);
}

int dv__pdq_index_probe_one(const dv_pdq_index *ix, const dv_pdq_hash *query, int nvariants,
                            int radius, dv_pdq_match_fn fn, void *ctx)
{
    dv__pdq_match_opts o;
    dv__pdq_match_opts_init(&o);
    o.strategy = DV__PDQ_PROBE;
    return dv__pdq_index_match_ex(ix, query, 1, nvariants, radius, &o, fn, ctx);
}

int dv__pdq_bruteforce_ex(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *queries, size_t nq,
                          int nvariants, int radius, const dv__pdq_match_opts *o,
                          dv_pdq_match_fn fn, void *ctx)
{
    mctx m;
    emitter e;
    dv__pdq_match_opts def;
    size_t chunk_q;
    int rc;
    FORWARD_STATUS(check_args(queries, nq, nvariants, radius, fn));
    if (codes == NULL && n > 0) return DV_EINVAL;
    if (n > UINT32_MAX) return DV_EINVAL;
    if (nq == 0 || n == 0) return DV_OK;
    if (o == NULL) {
        dv__pdq_match_opts_init(&def);
        def.kernel = dv__pdq_kernel_for_simd(DV_SIMD_AUTO);
        o = &def;
    }
    if (o->kernel < 0 || !dv__pdq_kernel_available(o->kernel)) return DV_EINVAL;
    memset(&m, 0, sizeof(m));
    e.fn = fn;
    e.ctx = ctx;
    e.n = 0;
    m.codes = codes;
    m.n = n;
    m.queries = queries;
    m.nq = nq;
    m.nvar = nvariants;
    m.e = &e;
    dv__pdq_kernel_ops(o->kernel, &m.ops);
    plan(&m, radius);
    m.c.limit = o->match_limit ? o->match_limit : DEFAULT_LIMIT;
    if (m.c.limit < MIN_LIMIT) m.c.limit = MIN_LIMIT;
    chunk_q = TILE / (size_t)nvariants;
    rc = mctx_alloc(&m, chunk_q);
    size_t q = 0, cq = chunk_q;
    while (q < nq && rc == DV_OK) {
        const size_t qn = nq - q < cq ? nq - q : cq;
        rc = brute_chunk(&m, q, qn, 0);
        if (rc == ST_OVERFLOW) {
            m.c.n = 0;
            if (qn > 1) {
                cq = qn / 2;
                rc = DV_OK;
                continue;
            }
            rc = one_query_stream(&m, q);
        }
        q += qn;
        if (cq < chunk_q) cq *= 2;
    }
    return finish_call(&m, rc);
}

int dv_pdq_match_bruteforce(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *queries,
                            size_t nq, int nvariants, int radius, dv_simd simd, dv_pdq_match_fn fn,
                            void *ctx)
{
    dv__pdq_match_opts o;
    dv__pdq_match_opts_init(&o);
    o.kernel = dv__pdq_kernel_for_simd(simd);
    return dv__pdq_bruteforce_ex(codes, n, queries, nq, nvariants, radius, &o, fn, ctx);
}
