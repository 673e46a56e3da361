/* knn.c - exact inner-product search of seed vectors against every row of .npy/.npz files,
 * streamed block by block over a thread pool; float32 scores are canonical (knn_internal.h)
 * and the BLAS and int8 passes only pick the rows to rescore, with proven bounds (docs/knn.md). */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include "knn_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cblas.h>

#define KNN_MAX_FILES (1u << 20)
#define KNN_MAX_DIMS 65536u
#define KNN_MAX_SEEDS (1u << 20)

typedef struct knn_file {
    char *path;
    dv_npy *npy;
    uint64_t rows, first, first_block;
} knn_file;

struct dv_knn {
    dv_knn_opts opts;
    const dv_alloc *alloc;
    knn_file *files;
    size_t nfiles, capfiles;
    uint64_t dims, rows;
    dv_pool *pool;
    dv_knn_stats stats;
    int opts_block_set; /* block_rows given by the caller */
    char err[512];
};

/* Our workers each run one single-threaded sgemm on their own block. Only where OpenBLAS is
 * not at one thread already: setting the count starts its server threads again after
 * dv_blas_global_init stopped them. */
static void blas_one_thread(void)
{
#if defined(DV_HAVE_OPENBLAS)
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

int dv_blas_global_init(void)
{
    blas_one_thread();
#if defined(DV_HAVE_OPENBLAS)
    /* exported by pthreads builds of OpenBLAS (its fork handler calls it), absent from the
     * serial ones: looked up, not linked */
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown != NULL) shutdown();
#endif
    return DV_OK;
}

dv_knn *dv_knn_create(const dv_knn_opts *opts)
{
    dv_knn *k;
    dv_knn_opts o;
    memset(&o, 0, sizeof(o));
    if (opts != NULL) o = *opts;
    k = dv__calloc(o.alloc, 1, sizeof(*k));
    if (k == NULL) return NULL;
    k->opts = o;
    k->alloc = o.alloc;
    k->opts_block_set = k->opts.block_rows != 0;
    if (k->opts.block_rows == 0) k->opts.block_rows = 2048;
    if (k->opts.block_rows > (1u << 20)) k->opts.block_rows = 1u << 20;
    if (k->opts.max_results == 0) k->opts.max_results = 100000000ull;
    k->pool = dv_pool_create(o.threads, o.alloc);
    if (k->pool == NULL) {
        dv__free(o.alloc, k);
        return NULL;
    }
    blas_one_thread();
    return k;
}

void dv_knn_free(dv_knn *k)
{
    if (k == NULL) return;
    for (size_t i = 0; i < k->nfiles; i++) {
        dv_npy_close(k->files[i].npy);
        dv__free(k->alloc, k->files[i].path);
    }
    dv__free(k->alloc, k->files);
    dv_pool_free(k->pool);
    dv__free(k->alloc, k);
}

const char *dv_knn_errmsg(const dv_knn *k) { return k ? k->err : ""; }
uint64_t dv_knn_rows(const dv_knn *k) { return k ? k->rows : 0; }
uint64_t dv_knn_dims(const dv_knn *k) { return k ? k->dims : 0; }
size_t dv_knn_num_files(const dv_knn *k) { return k ? k->nfiles : 0; }

int dv_knn_file(const dv_knn *k, size_t i, const char **path, uint64_t *first_row,
                uint64_t *rows)
{
    if (k == NULL || i >= k->nfiles) return DV_ERANGE;
    if (path) *path = k->files[i].path;
    if (first_row) *first_row = k->files[i].first;
    if (rows) *rows = k->files[i].rows;
    return DV_OK;
}

int dv_knn_add_file(dv_knn *k, const char *path)
{
    dv_npy *n = NULL;
    dv_npy_info info;
    size_t len;
    int rc;
    if (k == NULL || path == NULL) return DV_EINVAL;
    if (k->nfiles >= KNN_MAX_FILES) {
        dv__set_err(k->err, sizeof(k->err), "%s: more than %u files", path, KNN_MAX_FILES);
        return DV_ETOOBIG;
    }
    rc = dv_npy_open_any(path, k->opts.npz_key, k->alloc, &n, k->err, sizeof(k->err));
    if (rc < 0) return rc;
    dv_npy_get_info(n, &info);
    if (info.dims == 0 || info.dims > KNN_MAX_DIMS || (k->nfiles > 0 && info.dims != k->dims)) {
        dv__set_err(k->err, sizeof(k->err), "%s: %llu dims (expected %llu, at most %u)", path,
                    (unsigned long long)info.dims, (unsigned long long)k->dims, KNN_MAX_DIMS);
        dv_npy_close(n);
        return DV_EFORMAT;
    }
    if (k->nfiles == k->capfiles) {
        size_t nc = k->capfiles ? 2 * k->capfiles : 16;
        knn_file *nf = dv__realloc(k->alloc, k->files, nc * sizeof(*nf));
        if (nf == NULL) {
            dv_npy_close(n);
            return DV_ENOMEM;
        }
        k->files = nf;
        k->capfiles = nc;
    }
    len = strlen(path);
    knn_file *f = &k->files[k->nfiles];
    f->path = dv__malloc(k->alloc, len + 1);
    if (f->path == NULL) {
        dv_npy_close(n);
        return DV_ENOMEM;
    }
    memcpy(f->path, path, len + 1);
    f->npy = n;
    f->rows = info.rows;
    f->first = k->rows;
    k->dims = info.dims;
    k->rows += info.rows;
    k->nfiles++;
    return DV_OK;
}

int dv_knn_locate(const dv_knn *k, uint64_t row, uint32_t *file, uint64_t *file_row)
{
    size_t lo = 0, hi;
    if (k == NULL || row >= k->rows) return DV_ERANGE;
    hi = k->nfiles;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->files[mid].first <= row) lo = mid;
        else hi = mid;
    }
    /* empty files share a first row with the next one */
    while (lo + 1 < k->nfiles && k->files[lo].rows == 0) lo++;
    while (row - k->files[lo].first >= k->files[lo].rows) lo++;
    if (file) *file = (uint32_t)lo;
    if (file_row) *file_row = row - k->files[lo].first;
    return DV_OK;
}

int dv_knn_get_row(const dv_knn *k, uint64_t row, float *out)
{
    uint32_t f;
    uint64_t r;
    if (k == NULL || out == NULL) return DV_EINVAL;
    DV_FORWARD_IF_ERROR(dv_knn_locate(k, row, &f, &r));
    return dv_npy_read_f32(k->files[f].npy, r, 1, out, k->opts.simd);
}

void dv_knn_get_stats(const dv_knn *k, dv_knn_stats *out)
{
    if (k && out) *out = k->stats;
}

const char *dv_knn_pass_name(dv_knn_pass p)
{
    switch (p) {
    case DV_KNN_PASS_DIRECT: return "direct";
    case DV_KNN_PASS_BLAS: return "blas";
    case DV_KNN_PASS_INT8: return "int8";
    default: return "auto";
    }
}

void dv_knn_hits_free(const dv_knn *k, dv_knn_hit *hits)
{
    dv__free(k ? k->alloc : NULL, hits);
}

/* ---------------------------------------------------------------- search */

#define RESCORE_BATCH 256

typedef struct worker {
    float *x;        /* block rows as float32, stride dpad */
    float *sc;       /* block scores (direct, blas) */
    int32_t *ic;     /* block int8 scores */
    uint8_t *xu;     /* quantized rows */
    uint32_t *cand;  /* int8: rows of the block with a pair to rescore */
    /* pairs waiting to be rescored: row vector, seed vector, row in block, seed, score */
    const float *px[RESCORE_BATCH], *py[RESCORE_BATCH];
    uint32_t prow[RESCORE_BATCH], pseed[RESCORE_BATCH];
    float pc[RESCORE_BATCH];
    float *rscale, *rnorm, *rerr;
    float *tmp;      /* lower bounds for the first-block cut */
    float *thr;      /* per seed: first-pass threshold */
    float *cutv;     /* per seed: the cut it was made from */
    double *marg;    /* per seed: the block's error bound */
    dv__knn_ent *heap; /* nseeds x k */
    size_t *hn;
    dv__knn_ent *hits; /* threshold-only results */
    size_t nhits, caphits;
    uint64_t bhits;    /* threshold-only results of the block being run */
    uint64_t rescored, pairs;
    int err;            /* the failure of block err_block (err_io: its rows cannot be read) */
    int err_io;
    uint64_t err_block;
} worker;

typedef struct search {
    dv_knn *k;
    dv__knn_kernels kern;
    dv_knn_pass pass;
    size_t nseeds, qpad, dpad, topk;
    float min_sim;
    int has_min;
    const float *y;        /* seeds, stride dpad, qpad rows (zero padded) */
    float *ynorm;          /* upper bounds of ||y|| */
    /* int8 */
    int8_t *sp;
    int32_t *corr;
    float *ysc, *yerr, *yhnorm;
    uint64_t nblocks, block;
    int fused;     /* float16 blocks go through kern.f16q */
    float sqd_ub;  /* >= sqrt(dims) */
    worker *w;
    size_t ldo;
    /* the lowest block that failed (UINT64_MAX: none); blocks above it are not started */
    _Atomic uint64_t fail_block;
    /* progress: rows of finished blocks, the last report (ns), one reporter at a time */
    _Atomic uint64_t rows_done;
    _Atomic uint64_t last_report_ns;
    _Atomic int reporting;
    /* threshold-only searches: max_results holds for the whole search, told as on one thread:
     * it fails at the first block (in row order) where the results of it and the blocks
     * before pass the cap, unless a lower block failed. bdone[b] is block b's results + 1
     * once it is done; under fmu, frontier is the first block not done and prefix the results
     * below it. Results are stored while fewer than the cap were found (stored), so memory
     * stays bounded; past it the search fails whatever the rest holds. */
    uint64_t total_hits_cap;
    uint64_t *bdone;
    pthread_mutex_t fmu;
    uint64_t frontier, prefix;
    uint64_t over_block; /* the block where prefix passed the cap, UINT64_MAX: none */
    _Atomic uint64_t stored;
} search;

static void block_of(const search *s, uint64_t job, size_t *fi, uint64_t *first, uint64_t *count)
{
    const dv_knn *k = s->k;
    size_t lo = 0, hi = k->nfiles;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->files[mid].first_block <= job) lo = mid;
        else hi = mid;
    }
    while (lo + 1 < k->nfiles && k->files[lo + 1].first_block <= job) lo++;
    *fi = lo;
    *first = (job - k->files[lo].first_block) * s->block;
    *count = k->files[lo].rows - *first;
    if (*count > s->block) *count = s->block;
}

static int add_hit(search *s, worker *w, uint32_t seed, float sc, uint64_t row)
{
    w->bhits++;
    /* past the cap the search fails (block_done): the result is only counted */
    if (atomic_fetch_add(&s->stored, 1) >= s->total_hits_cap) return DV_OK;
    if (w->nhits == w->caphits) {
        size_t nc = w->caphits ? 2 * w->caphits : 1024;
        if (nc > s->total_hits_cap) nc = (size_t)s->total_hits_cap;
        if (nc <= w->nhits) return DV_ETOOBIG;
        dv__knn_ent *nh = dv__realloc(s->k->alloc, w->hits, nc * sizeof(*nh));
        if (nh == NULL) return DV_ENOMEM;
        w->hits = nh;
        w->caphits = nc;
    }
    w->hits[w->nhits].seed = seed;
    w->hits[w->nhits].score = sc;
    w->hits[w->nhits].row = row;
    w->nhits++;
    return DV_OK;
}

/* The cut for seed j: a candidate scoring below it cannot be a result. */
static float cut_of(const search *s, const worker *w, size_t j)
{
    float c = s->has_min ? s->min_sim : -INFINITY;
    if (s->topk > 0 && w->hn[j] == s->topk) {
        float h = w->heap[j * s->topk].score;
        if (h > c) c = h;
    }
    return c;
}

/* Admit a canonical score. */
static int admit(search *s, worker *w, size_t j, float c, uint64_t row)
{
    if (!(c == c)) return DV_OK;
    if (s->has_min && !(c >= s->min_sim)) return DV_OK;
    if (s->topk > 0) {
        dv__knn_heap_push(w->heap + j * s->topk, &w->hn[j], s->topk, c, row);
        return DV_OK;
    }
    return add_hit(s, w, (uint32_t)j, c, row);
}

/* k-th largest of n values (1 <= k <= n), NaN taken as -inf: quickselect, reordering v */
static float kth_largest(float *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, want = (ptrdiff_t)k - 1; /* rank, descending */
    for (size_t i = 0; i < n; i++)
        if (v[i] != v[i]) v[i] = -INFINITY;
    while (lo < hi) {
        /* median of three as the pivot, then a three-way partition (ties are common) */
        float a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
        float piv = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
        ptrdiff_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            float t = v[i];
            if (t > piv) {
                v[i++] = v[lt];
                v[lt++] = t;
            } else if (t < piv) {
                v[i] = v[gt];
                v[gt--] = t;
            } else {
                i++;
            }
        }
        /* [lo, lt) > piv, [lt, gt] == piv, (gt, hi] < piv */
        if (want < lt) hi = lt - 1;
        else if (want > gt) lo = gt + 1;
        else return piv;
    }
    return v[lo];
}

/* The float threshold on the first-pass value (sgemm score, or C * row scale for int8) below
 * which a pair cannot reach cut: (cut - M) [/ seed scale], rounded down. */
static float thr_of(const search *s, size_t j, float cut, double M)
{
    double t = (double)cut - M;
    float f;
    if (s->pass == DV_KNN_PASS_INT8) {
        if (!(s->ysc[j] > 0.0f)) return t > 0.0 ? INFINITY : -INFINITY; /* a == 0 */
        t /= (double)s->ysc[j];
    }
    if (t != t) return -INFINITY;
    f = (float)t;
    if ((double)f > t) f = nextafterf(f, -INFINITY);
    return f;
}

/* The rows of file fi as float16 straight from the mapping, or NULL (another dtype, or a
 * mapping not 2-byte aligned: numpy pads the header to 64 bytes, so that is rare). */
static const uint16_t *f16_rows(const dv_knn *k, size_t fi)
{
    dv_npy_info info;
    dv_npy_get_info(k->files[fi].npy, &info);
    const void *p = dv_npy_data(k->files[fi].npy);
    if (info.dtype != DV_NPY_F16 || ((uintptr_t)p & 1) != 0 ||
        __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
        return NULL;
    return (const uint16_t *)p;
}

/* Map a block's pages in one call before reading them: faulting 1.5 GB of page cache in 4 KiB
 * pages costs as much as the search itself. Only where the kernel has MADV_POPULATE_READ
 * (Linux 5.14); elsewhere the pages fault in as they are read. It also finds pages that
 * cannot be read (the file was cut short after it was opened, or an I/O error), which would
 * otherwise kill the process with SIGBUS when touched: DV_EIO then, DV_OK for anything else
 * (the pages fault in as they are read). */
static int populate(const dv_knn *k, size_t fi, uint64_t first, uint64_t count)
{
#if defined(MADV_POPULATE_READ)
    dv_npy_info info;
    dv_npy_get_info(k->files[fi].npy, &info);
    size_t es = info.dtype == DV_NPY_F16 ? 2 : info.dtype == DV_NPY_F32 ? 4 : 8;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)dv_npy_data(k->files[fi].npy) + (uintptr_t)(first * k->dims * es);
    uintptr_t b = a + (uintptr_t)(count * k->dims * es);
    a &= ~(pg - 1);
    if (madvise((void *)a, b - a, MADV_POPULATE_READ) != 0 && (errno == EFAULT || errno == EIO))
        return DV_EIO;
#else
    (void)k;
    (void)fi;
    (void)first;
    (void)count;
#endif
    return DV_OK;
}

/* Canonical scores of the np pairs gathered in w, admitted in order; each seed's cut and
 * threshold follow its heap. */
static int rescore(search *s, worker *w, size_t np, uint64_t base)
{
    int rc;
    if (np == 0) return DV_OK;
    if (s->kern.pairs != NULL) {
        s->kern.pairs(w->px, w->py, np, s->dpad, w->pc);
    } else {
        for (size_t p = 0; p < np; p++) w->pc[p] = s->kern.dot1(w->px[p], w->py[p], s->dpad);
    }
    for (size_t p = 0; p < np; p++) {
        size_t j = w->pseed[p];
        w->rescored++;
        if ((rc = admit(s, w, j, w->pc[p], base + w->prow[p])) < 0) return rc;
        float nc = cut_of(s, w, j);
        if (nc > w->cutv[j]) {
            w->cutv[j] = nc;
            w->thr[j] = thr_of(s, j, nc, w->marg[j]);
        }
    }
    return DV_OK;
}

/* Block job's results (a threshold-only search) joined to the blocks below it, in block
 * order: where they pass max_results the search fails there, as on one thread (blocks above
 * are not started), whichever worker ran what. */
static void tally_block(search *s, size_t job, uint64_t results)
{
    pthread_mutex_lock(&s->fmu);
    s->bdone[job] = results + 1;
    while (s->frontier < s->nblocks && s->bdone[s->frontier] != 0) {
        s->prefix += s->bdone[s->frontier] - 1;
        if (s->prefix > s->total_hits_cap && s->over_block == UINT64_MAX) {
            uint64_t cur = atomic_load(&s->fail_block);
            s->over_block = s->frontier;
            while (s->frontier < cur &&
                   !atomic_compare_exchange_weak(&s->fail_block, &cur, s->frontier)) {
            }
        }
        s->frontier++;
    }
    pthread_mutex_unlock(&s->fmu);
}

/* After block job: its results tallied, its rows counted, and a report when 100 ms have
 * passed since the last one and no other worker is reporting. */
static void block_done(search *s, worker *w, size_t job, uint64_t rows)
{
    const dv_knn *k = s->k;
    if (s->bdone != NULL) tally_block(s, job, w->bhits);
    uint64_t done = atomic_fetch_add(&s->rows_done, rows) + rows;
    if (k->opts.progress == NULL) return;
    uint64_t t = dv__mono_ns();
    if (t - atomic_load(&s->last_report_ns) < 100000000) return;
    if (atomic_exchange(&s->reporting, 1)) return;
    atomic_store(&s->last_report_ns, t);
    k->opts.progress(k->opts.progress_ctx, done, k->rows);
    atomic_store(&s->reporting, 0);
}

/* Block job failed in worker w (io: its rows cannot be read). Blocks are handed out in
 * order, so every block below it was taken already and still runs; the lowest failing block's
 * failure is the one told, as a run on one thread meets it first, whatever the order the
 * workers meet theirs in (a worker fails once: its later blocks are higher, not started). */
static void block_failed(search *s, worker *w, size_t job, int rc, int io)
{
    uint64_t cur = atomic_load(&s->fail_block);
    w->err = rc;
    w->err_io = io;
    w->err_block = job;
    while (job < cur && !atomic_compare_exchange_weak(&s->fail_block, &cur, (uint64_t)job)) {
    }
}

static void run_block(void *ctx, size_t job, unsigned wi)
{
    search *s = ctx;
    worker *w = &s->w[wi];
    const dv_knn *k = s->k;
    size_t fi, n, d = (size_t)k->dims, dp = s->dpad, Q = s->nseeds;
    uint64_t first, count, base;
    int rc;
    if (job > atomic_load(&s->fail_block)) return;
    w->bhits = 0;
    block_of(s, job, &fi, &first, &count);
    n = (size_t)count;
    base = k->files[fi].first + first;
    const uint16_t *h16 = f16_rows(k, fi);
    if (populate(k, fi, first, count) != DV_OK) {
        block_failed(s, w, job, DV_EIO, 1);
        return;
    }
    /* float16 rows with the VNNI kernel: quantized straight from the mapping, and a row is
     * converted to float32 only when it is rescored */
    const int fused = s->fused && h16 != NULL;
    if (fused) {
        h16 += first * d;
        if (s->kern.f16q != NULL) {
            s->kern.f16q(h16, n, d, s->sp, s->qpad / DV_KNN_SEED_GROUP, s->corr, s->sqd_ub,
                         w->ic, s->ldo, w->rscale, w->rnorm, w->rerr, w->xu);
        } else {
            /* no VNNI: quantize 64 rows at a time (they stay in L1/L2), then the i8 kernel */
            for (size_t c = 0; c < n; c += 64) {
                size_t m = n - c < 64 ? n - c : 64;
                s->kern.f16quant(h16 + c * d, m, d, s->sqd_ub, w->xu, w->rscale + c,
                                 w->rnorm + c, w->rerr + c);
                s->kern.i8(w->xu, m, s->sp, s->qpad / DV_KNN_SEED_GROUP, s->corr, dp,
                           w->ic + c * s->ldo, s->ldo);
            }
        }
        goto converted;
    }
    if (h16 != NULL) {
        /* float16 straight from the mapping (F16C) */
        const uint16_t *h = h16 + first * d;
        if (dp == d) {
            dv_f16_to_f32(h, w->x, n * d, k->opts.simd);
        } else {
            for (size_t i = 0; i < n; i++) {
                dv_f16_to_f32(h + i * d, w->x + i * dp, d, k->opts.simd);
                memset(w->x + i * dp + d, 0, (dp - d) * sizeof(float));
            }
        }
        goto converted;
    }
    rc = dv_npy_read_f32(k->files[fi].npy, first, count, w->x, k->opts.simd);
    if (rc < 0) {
        block_failed(s, w, job, rc, 0);
        return;
    }
    if (dp != d) {
        /* spread to the padded stride, back to front */
        for (size_t i = n; i-- > 0;) {
            memmove(w->x + i * dp, w->x + i * d, d * sizeof(float));
            memset(w->x + i * dp + d, 0, (dp - d) * sizeof(float));
        }
    }
converted:
    w->pairs += (uint64_t)n * Q;
    if (s->pass == DV_KNN_PASS_DIRECT) {
        s->kern.dot(w->x, n, s->y, Q, dp, w->sc, s->ldo);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < Q; j++) {
                float c = w->sc[i * s->ldo + j];
                if (c >= cut_of(s, w, j) && (rc = admit(s, w, j, c, base + i)) < 0) goto fail;
            }
        block_done(s, w, job, n);
        return;
    }
    /* approximate pass: a[i][j] with |canonical - a| <= marg_i * mseed_j (docs/knn.md) */
    float mrow_max = 0.0f;
    if (s->pass == DV_KNN_PASS_BLAS) {
        for (size_t i = 0; i < n; i++) {
            w->rnorm[i] = dv__knn_norm_ub(w->x + i * dp, dp);
            if (!(w->rnorm[i] <= mrow_max)) mrow_max = w->rnorm[i];
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)Q, (int)dp, 1.0f,
                    w->x, (int)dp, s->y, (int)dp, 0.0f, w->sc, (int)s->ldo);
    } else if (!fused) {
        for (size_t i = 0; i < n; i++)
            s->kern.quant(w->x + i * dp, dp, w->xu + i * dp, &w->rscale[i], &w->rnorm[i],
                              &w->rerr[i]);
        s->kern.i8(w->xu, n, s->sp, s->qpad / DV_KNN_SEED_GROUP, s->corr, dp, w->ic, s->ldo);
    }
    float nmax = 0.0f, emax = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (!(w->rnorm[i] <= nmax)) nmax = w->rnorm[i];
        if (s->pass == DV_KNN_PASS_INT8 && !(w->rerr[i] <= emax)) emax = w->rerr[i];
    }
    const double gam = 2.0 * (double)(dp + 8) * 0x1p-24;
    const int i8 = s->pass == DV_KNN_PASS_INT8;
    for (size_t j = 0; j < Q; j++) {
        /* M: a bound, for every row of the block, on |canonical - approx| */
        double M;
        if (!i8) {
            /* both are float32 sums of the same products: each within gamma ||x|| ||y|| */
            M = 2.0 * gam * (double)nmax * (double)s->ynorm[j];
        } else {
            M = (double)nmax * ((double)s->yerr[j] + gam * (double)s->ynorm[j]) +
                (double)emax * (double)s->yhnorm[j] +
                /* float rounding of C * rscale (compared in float below) */
                0x1p-20 * (double)nmax * (1.0 + 0x1p-10) * (double)s->yhnorm[j];
        }
        M = M * (1.0 + 0x1p-20) + 0x1p-100;
        w->marg[j] = M;
        float cut = cut_of(s, w, j);
        if (s->topk > 0 && w->hn[j] < s->topk && n >= s->topk - w->hn[j]) {
            /* heap not full: the (k - have)-th best lower bound of this block is a cut too */
            double ysc = i8 ? (double)s->ysc[j] : 1.0;
            for (size_t i = 0; i < n; i++) {
                double a = !i8 ? (double)w->sc[i * s->ldo + j]
                               : (double)w->ic[i * s->ldo + j] * (double)w->rscale[i] * ysc;
                w->tmp[i] = (float)(a - M - fabs(a) * 0x1p-20);
            }
            float lb = kth_largest(w->tmp, n, s->topk - w->hn[j]);
            if (w->hn[j] > 0) {
                /* the heap's entries and the block's together make k */
                float hw = w->heap[j * s->topk].score;
                if (hw < lb) lb = hw;
            }
            if (lb > cut) cut = lb;
        }
        w->cutv[j] = cut;
        w->thr[j] = thr_of(s, j, cut, M);
    }
    /* row by row over the block's scores: skip every pair below its seed's threshold. The
     * int8 kernels first list the rows where some seed passes its threshold as it is now;
     * thresholds only rise, so no other row could pass one later in the block. The pairs
     * that pass are rescored in batches (their dot products overlap). */
    size_t nrows = n, np = 0, nslot = 0;
    const size_t slots = s->block < RESCORE_BATCH ? (size_t)s->block : RESCORE_BATCH;
    if (i8) nrows = s->kern.i8_rows(w->ic, n, s->ldo, Q, w->rscale, w->thr, w->cand);
    for (size_t ri = 0; ri < nrows; ri++) {
        const size_t i = i8 ? w->cand[ri] : ri;
        const float rs = i8 ? w->rscale[i] : 1.0f;
        const float *srow = i8 ? NULL : w->sc + i * s->ldo;
        const int32_t *irow = i8 ? w->ic + i * s->ldo : NULL;
        const float *xr = fused ? NULL : w->x + i * dp;
        if (!i8) {
            int any = 0;
            for (size_t j = 0; j < Q; j++) any |= !(srow[j] < w->thr[j]);
            if (!any) continue;
        }
        for (size_t j = 0; j < Q; j++) {
            float a = i8 ? (float)irow[j] * rs : srow[j];
            if (a < w->thr[j]) continue;
            if (np == RESCORE_BATCH || (xr == NULL && nslot == slots)) {
                if ((rc = rescore(s, w, np, base)) < 0) goto fail;
                np = 0;
                nslot = 0;
                if (fused) xr = NULL;
                if (a < w->thr[j]) continue; /* the batch may have raised it */
            }
            if (xr == NULL) {
                /* the row in float32 (exact from float16), converted once for its pairs */
                float *xs = w->x + nslot++ * dp;
                dv_f16_to_f32(h16 + i * d, xs, d, k->opts.simd);
                xr = xs;
            }
            w->px[np] = xr;
            w->py[np] = s->y + j * dp;
            w->prow[np] = (uint32_t)i;
            w->pseed[np] = (uint32_t)j;
            np++;
        }
    }
    if ((rc = rescore(s, w, np, base)) < 0) goto fail;
    block_done(s, w, job, n);
    return;
fail:
    block_failed(s, w, job, rc, 0);
}

static void free_workers(search *s, unsigned nw)
{
    const dv_alloc *a = s->k->alloc;
    if (s->w == NULL) return;
    for (unsigned i = 0; i < nw; i++) {
        worker *w = &s->w[i];
        dv__free(a, w->x);
        dv__free(a, w->sc);
        dv__free(a, w->ic);
        dv__free(a, w->xu);
        dv__free(a, w->rscale);
        dv__free(a, w->rnorm);
        dv__free(a, w->rerr);
        dv__free(a, w->cand);
        dv__free(a, w->tmp);
        dv__free(a, w->thr);
        dv__free(a, w->cutv);
        dv__free(a, w->marg);
        dv__free(a, w->heap);
        dv__free(a, w->hn);
        dv__free(a, w->hits);
    }
    dv__free(a, s->w);
}

int dv_knn_search(dv_knn *k, const float *seeds, size_t nseeds, size_t dims,
                  const dv_knn_query *query, dv_knn_hit **hits_out, size_t *nhits_out)
{
    search s;
    const dv_alloc *a;
    unsigned nw;
    int rc = DV_OK;
    float *y = NULL;
    dv__knn_ent *all = NULL;
    size_t nall = 0;
    if (hits_out) *hits_out = NULL;
    if (nhits_out) *nhits_out = 0;
    if (k == NULL || query == NULL || hits_out == NULL || nhits_out == NULL ||
        (seeds == NULL && nseeds > 0))
        return DV_EINVAL;
    a = k->alloc;
    k->err[0] = '\0';
    memset(&k->stats, 0, sizeof(k->stats));
    if (k->nfiles == 0 || dims != k->dims) {
        dv__set_err(k->err, sizeof(k->err), "seeds have %zu dims, the embeddings %llu%s", dims,
                    (unsigned long long)k->dims, k->nfiles == 0 ? " (no files added)" : "");
        return DV_EINVAL;
    }
    if (query->k == 0 && !query->has_min_sim) {
        dv__set_err(k->err, sizeof(k->err), "neither k nor a minimum similarity given");
        return DV_EINVAL;
    }
    if (nseeds > KNN_MAX_SEEDS || query->k > (1u << 24)) {
        dv__set_err(k->err, sizeof(k->err), "at most %u seeds and k <= 2^24", KNN_MAX_SEEDS);
        return DV_ETOOBIG;
    }
    if (nseeds == 0 || k->rows == 0) return DV_OK;
    memset(&s, 0, sizeof(s));
    atomic_init(&s.fail_block, UINT64_MAX);
    atomic_init(&s.stored, 0);
    s.over_block = UINT64_MAX;
    s.k = k;
    dv__knn_get_kernels(k->opts.simd, &s.kern);
    if (nseeds <= DV_KNN_FEW_SEEDS) {
        /* few seeds: the kernel's finer seed range, where it has one */
        s.kern.i8 = s.kern.i8_few;
        s.kern.seed_qmax = s.kern.seed_qmax_few;
    }
    s.nseeds = nseeds;
    s.topk = query->k;
    s.has_min = query->has_min_sim != 0;
    s.min_sim = query->min_sim;
    s.dpad = (dims + DV_KNN_LANES - 1) / DV_KNN_LANES * DV_KNN_LANES;
    s.qpad = (nseeds + DV_KNN_SEED_GROUP - 1) / DV_KNN_SEED_GROUP * DV_KNN_SEED_GROUP;
    s.ldo = s.qpad;
    s.total_hits_cap = k->opts.max_results;
    s.pass = k->opts.pass;
    /* float16 rows: the int8 pass from float16, whatever the seeds (with VNNI the pipelined
     * kernel; with AVX2 and F16C rows quantized straight from the mapping for VPMADDUBSW,
     * 1.6-2x the direct pass at 16 and 31 seeds: DV_SIMD=avx2 knn_bench on Zen 4) */
    int f16q_ok = (s.kern.f16q != NULL || s.kern.f16quant != NULL) &&
                  dims % DV_KNN_F16Q_DIMS == 0;
    if (s.pass == DV_KNN_PASS_AUTO) {
        int all16 = 1;
        for (size_t i = 0; i < k->nfiles; i++) all16 &= f16_rows(k, i) != NULL;
        s.pass = nseeds >= 32 || (f16q_ok && all16) ? DV_KNN_PASS_INT8 : DV_KNN_PASS_DIRECT;
    }
    s.fused = f16q_ok && s.pass == DV_KNN_PASS_INT8;
    s.sqd_ub = nextafterf(sqrtf((float)dims), INFINITY);
    /* block rows: the score block stays near 16 MiB */
    s.block = k->opts.block_rows;
    while (s.block > 64 && (uint64_t)s.block * s.qpad * 4 > (16u << 20)) s.block /= 2;
    /* direct: the converted block should stay in L2 between conversion and scoring */
    if (s.pass == DV_KNN_PASS_DIRECT && k->opts.block_rows == 2048 && !k->opts_block_set)
        while (s.block > 64 && s.block * s.dpad * 4 > (512u << 10)) s.block /= 2;
    if (s.block < s.topk) s.block = s.topk;
    nw = dv_pool_threads(k->pool);

    /* seeds: padded copy, norms, int8 packing */
    y = dv__calloc(a, s.qpad, s.dpad * sizeof(float));
    s.ynorm = dv__calloc(a, s.qpad, 4 * sizeof(float));
    if (y == NULL || s.ynorm == NULL) {
        rc = DV_ENOMEM;
        goto out;
    }
    s.ysc = s.ynorm + s.qpad;
    s.yerr = s.ysc + s.qpad;
    s.yhnorm = s.yerr + s.qpad;
    for (size_t j = 0; j < nseeds; j++) {
        memcpy(y + j * s.dpad, seeds + j * dims, dims * sizeof(float));
        s.ynorm[j] = dv__knn_norm_ub(y + j * s.dpad, s.dpad);
    }
    s.y = y;
    if (s.pass == DV_KNN_PASS_INT8) {
        s.sp = dv__calloc(a, s.qpad, s.dpad);
        s.corr = dv__calloc(a, s.qpad, sizeof(int32_t));
        if (s.sp == NULL || s.corr == NULL) {
            rc = DV_ENOMEM;
            goto out;
        }
        for (size_t j = 0; j < nseeds; j++) {
            const float *v = y + j * s.dpad;
            float m = 0.0f;
            double es = 0.0, hs = 0.0;
            int32_t sum = 0;
            for (size_t e = 0; e < s.dpad; e++) {
                float t = fabsf(v[e]);
                if (!(t <= m)) m = t;
            }
            int ok = isfinite(m) && m >= 0x1p-100f;
            const float qmax = (float)s.kern.seed_qmax;
            float sc = ok ? m / qmax : 0.0f;
            for (size_t e = 0; e < s.dpad; e++) {
                int q = 0;
                if (ok) {
                    float qf = nearbyintf(v[e] / sc);
                    if (qf > qmax) qf = qmax;
                    if (qf < -qmax) qf = -qmax;
                    q = (int)qf;
                }
                /* error in double: sc * q is exact there, the difference rounds once */
                double r = (double)v[e] - (double)sc * (double)q;
                es += r * r;
                hs += (double)sc * q * ((double)sc * q);
                sum += q;
                size_t g = j / DV_KNN_SEED_GROUP, jj = j % DV_KNN_SEED_GROUP;
                s.sp[g * s.dpad * DV_KNN_SEED_GROUP + (e / 4) * 64 + jj * 4 + e % 4] = (int8_t)q;
            }
            s.corr[j] = 128 * sum;
            s.ysc[j] = sc;
            s.yerr[j] = m == m && isfinite(m) ? (float)(sqrt(es) * (1.0 + 0x1p-30) + 0x1p-120)
                                              : INFINITY;
            s.yhnorm[j] = (float)(sqrt(hs) * (1.0 + 0x1p-30) + 0x1p-120);
            if (!isfinite(s.yerr[j])) s.yerr[j] = INFINITY;
        }
    }
    /* blocks */
    s.nblocks = 0;
    for (size_t i = 0; i < k->nfiles; i++) {
        k->files[i].first_block = s.nblocks;
        s.nblocks += (k->files[i].rows + s.block - 1) / s.block;
    }
    if (s.topk == 0) {
        s.bdone = dv__calloc(a, s.nblocks ? s.nblocks : 1, sizeof(uint64_t));
        if (s.bdone == NULL) {
            rc = DV_ENOMEM;
            goto out;
        }
        pthread_mutex_init(&s.fmu, NULL);
    }
    /* worker buffers, allocated once per search and reused for every block */
    s.w = dv__calloc(a, nw, sizeof(worker));
    if (s.w == NULL) {
        rc = DV_ENOMEM;
        goto out;
    }
    size_t B = (size_t)s.block;
    for (unsigned i = 0; i < nw; i++) {
        worker *w = &s.w[i];
        size_t dmax = s.dpad > dims ? s.dpad : dims;
        w->x = dv__malloc(a, B * dmax * sizeof(float));
        w->hn = dv__calloc(a, s.qpad, sizeof(size_t));
        w->rnorm = dv__malloc(a, B * sizeof(float));
        w->tmp = dv__malloc(a, B * sizeof(float));
        w->thr = dv__malloc(a, s.qpad * sizeof(float));
        w->cutv = dv__malloc(a, s.qpad * sizeof(float));
        if (w->cutv == NULL) rc = DV_ENOMEM;
        w->marg = dv__malloc(a, s.qpad * sizeof(double));
        if (w->thr == NULL || w->marg == NULL) rc = DV_ENOMEM;
        if (w->x == NULL || w->hn == NULL || w->rnorm == NULL || w->tmp == NULL) rc = DV_ENOMEM;
        if (s.pass == DV_KNN_PASS_INT8) {
            w->ic = dv__malloc(a, B * s.ldo * sizeof(int32_t));
            /* also the float16 kernel's scratch: two 8-row tiles and a gap */
            size_t xub = B * s.dpad > 16 * s.dpad + 4096 ? B * s.dpad : 16 * s.dpad + 4096;
            w->xu = dv__malloc(a, xub);
            w->rscale = dv__malloc(a, B * sizeof(float));
            w->rerr = dv__malloc(a, B * sizeof(float));
            w->cand = dv__malloc(a, B * sizeof(uint32_t));
            if (w->ic == NULL || w->xu == NULL || w->rscale == NULL || w->rerr == NULL ||
                w->cand == NULL)
                rc = DV_ENOMEM;
        } else {
            w->sc = dv__malloc(a, B * s.ldo * sizeof(float));
            if (w->sc == NULL) rc = DV_ENOMEM;
        }
        if (s.topk > 0) {
            size_t cells;
            if (!dv__mul_ok(nseeds, s.topk, &cells) || cells > (1u << 28)) {
                dv__set_err(k->err, sizeof(k->err), "nseeds x k too large");
                rc = DV_ETOOBIG;
                goto out;
            }
            w->heap = dv__malloc(a, cells * sizeof(dv__knn_ent));
            if (w->heap == NULL) rc = DV_ENOMEM;
        }
        if (rc < 0) goto out;
    }
    rc = dv_pool_run(k->pool, (size_t)s.nblocks, run_block, &s);
    if (rc < 0) goto out;
    {
        const worker *bad = NULL; /* the worker that failed the lowest block */
        for (unsigned i = 0; i < nw; i++) {
            k->stats.rescored += s.w[i].rescored;
            k->stats.pairs += s.w[i].pairs;
            if (s.w[i].err < 0 && (bad == NULL || s.w[i].err_block < bad->err_block))
                bad = &s.w[i];
        }
        if (bad && bad->err_block > s.over_block) bad = NULL;
        if (bad) rc = bad->err;
        else if (s.over_block != UINT64_MAX) rc = DV_ETOOBIG;
        if (bad && bad->err_io) {
            size_t fi;
            uint64_t first, count;
            block_of(&s, bad->err_block, &fi, &first, &count);
            dv__set_err(k->err, sizeof(k->err),
                        "%s: rows from %llu cannot be read (the file is shorter than when it "
                        "was opened, or an I/O error)",
                        k->files[fi].path, (unsigned long long)first);
            goto out;
        }
    }
    if (rc < 0) {
        if (k->err[0] == '\0' && rc == DV_ETOOBIG && s.topk == 0)
            dv__set_err(k->err, sizeof(k->err),
                        "search failed: %s (more results than max_results, %llu)",
                        dv_strerror(rc), (unsigned long long)s.total_hits_cap);
        else if (k->err[0] == '\0')
            dv__set_err(k->err, sizeof(k->err), "search failed: %s", dv_strerror(rc));
        goto out;
    }
    /* merge: every worker's heap or hits, sorted (seed, score desc, row asc) */
    {
        size_t tot = 0;
        for (unsigned i = 0; i < nw; i++) {
            if (s.topk > 0)
                for (size_t j = 0; j < nseeds; j++) tot += s.w[i].hn[j];
            else tot += s.w[i].nhits;
        }
        all = dv__malloc(a, (tot ? tot : 1) * sizeof(*all));
        if (all == NULL) {
            rc = DV_ENOMEM;
            goto out;
        }
        for (unsigned i = 0; i < nw; i++) {
            worker *w = &s.w[i];
            if (s.topk > 0) {
                for (size_t j = 0; j < nseeds; j++)
                    for (size_t h = 0; h < w->hn[j]; h++) {
                        all[nall] = w->heap[j * s.topk + h];
                        all[nall++].seed = (uint32_t)j;
                    }
            } else {
                if (w->nhits) memcpy(all + nall, w->hits, w->nhits * sizeof(*all));
                nall += w->nhits;
            }
        }
        dv__knn_sort(all, nall);
        dv_knn_hit *out = dv__malloc(a, (nall ? nall : 1) * sizeof(*out));
        if (out == NULL) {
            rc = DV_ENOMEM;
            goto out;
        }
        size_t no = 0, rank = 0;
        for (size_t i = 0; i < nall; i++) {
            if (i == 0 || all[i].seed != all[i - 1].seed) rank = 0;
            if (s.topk > 0 && rank >= s.topk) continue;
            dv_knn_hit *h = &out[no++];
            h->seed = all[i].seed;
            h->rank = (uint32_t)rank++;
            h->row = all[i].row;
            h->similarity = all[i].score;
            dv_knn_locate(k, h->row, &h->file, &h->file_row);
        }
        *hits_out = out;
        *nhits_out = no;
        k->stats.results = no;
    }
    if (k->opts.progress != NULL) k->opts.progress(k->opts.progress_ctx, k->rows, k->rows);
    k->stats.pass = s.pass;
    k->stats.simd = s.kern.simd;
    k->stats.int8_kernel = !s.fused                ? s.kern.i8_name
                           : s.kern.f16q != NULL ? "avx512-vnni-f16"
                                                 : "avx2-vpmaddubsw-f16";
    k->stats.block_rows = s.block;
out:
    free_workers(&s, s.w ? nw : 0);
    if (s.bdone != NULL) pthread_mutex_destroy(&s.fmu);
    dv__free(a, s.bdone);
    dv__free(a, all);
    dv__free(a, y);
    dv__free(a, s.ynorm);
    dv__free(a, s.sp);
    dv__free(a, s.corr);
    return rc;
}
