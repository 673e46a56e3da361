/* clean.c - `scan --clean`: a copy of the dataset in its own format without the removed
 * items (parquet rows, tar samples byte for byte, embedding rows in step), clean.sha256
 * (the copy's checksums, in sha256sum's format) and removal-public.txt, where the removed
 * ids hide among decoys drawn by a keyed PRF. dv_clean_verify checks a copy against its
 * clean.sha256. */
#include "scan_internal.h"
#include "../io/io_readers.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* rows of one parquet row group a copy takes: the reader decodes at most 1 GiB of a row
 * group, at least a byte a row */
#define CLEAN_MAX_RG_ROWS (1ull << 30)
/* what a file of the copy is written as, beside its name, until it is whole: a name no
 * dataset file the copy is made of ends with, so a later run removes them (sweep_tmps) */
#define CLEAN_TMP_SUFFIX ".datavet-tmp"
/* the owner mark: a file at the top of the copy's folder naming, by a value only the OUTDIR
 * that wrote the copy can derive (owner_mark), whose copy it is, so that no other OUTDIR
 * writes it again; a dataset file never has this name (the dataset walk passes over names
 * that begin with '.') */
#define CLEAN_OWNER_NAME ".datavet-owner"

typedef struct rset { /* open-addressing set of (shard, row) */
    uint64_t *k;
    size_t cap, n;
} rset;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t rkey(uint64_t shard, uint64_t row) { return (shard << 40 ^ row) + 1; }

static int rset_add(const dv_alloc *a, rset *s, uint64_t key)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        uint64_t *nk = dv__calloc(a, nc, sizeof(uint64_t));
        if (!nk) return DV_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            size_t j;
            if (!s->k[i]) continue;
            j = mix(s->k[i]) & (nc - 1);
            while (nk[j]) j = (j + 1) & (nc - 1);
            nk[j] = s->k[i];
        }
        dv__free(a, s->k);
        s->k = nk;
        s->cap = nc;
    }
    {
        size_t j = mix(key) & (s->cap - 1);
        while (s->k[j]) {
            if (s->k[j] == key) return DV_OK;
            j = (j + 1) & (s->cap - 1);
        }
        s->k[j] = key;
        s->n++;
    }
    return DV_OK;
}

static int rset_has(const rset *s, uint64_t key)
{
    size_t j;
    if (!s->cap) return 0;
    j = mix(key) & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == key) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

/* A public id with its PRF score; removed ids and decoys end up sorted by score. */
typedef struct scored {
    uint8_t score[32];
    char *id;
} scored;

/* A file of the cleaned copy: its name below the copy's folder and its SHA-256. */
typedef struct csum {
    char *rel;
    char hex[65];
} csum;

typedef struct cleaner {
    const dv_alloc *a;
    csum *sums;
    size_t nsums, capsums;
    uint64_t sum_bytes;
    char **left; /* per shard: "--clean: shard X left out of the cleaned copy: why\n" or NULL */
    char **note; /* per shard: what the copy of a shard written left out of it, or NULL */
    uint64_t nleft;
    uint8_t prf_key[32], salt[32];
    rset removed;
    scored *heap; /* max-heap of the m smallest decoy scores, each id once (hset) */
    size_t nheap, mheap, capheap;
    uint64_t (*hset)[2]; /* the heap's scores (their first 16 bytes): linear probing */
    size_t hcap, ndecoys;
    scored *rem;  /* removed ids */
    size_t nrem, caprem;
    char *err;
    size_t cap;
    /* HMAC-SHA-256 keyed with prf_key: each worker keeps a context of its own (prf_ctx),
     * set up again for each id with the same key: OpenSSL's one-call HMAC() fetches the
     * digest and builds its contexts each time (2.4 us an id against 0.4, a throwaway
     * harness; every kept id is scored) */
    EVP_MAC *mac;
    /* the shard workers: what they share is changed under mu; a failure (the lowest shard's
     * is kept) stops the shards above it from starting */
    pthread_mutex_t mu;
    int stop, fail_rc;
    uint64_t fail_shard;
    dv_dataset *ds;
    dv_layout lay;
    const char *dataset, *clean_dir;
    dv__mprog *prog;
    uint64_t shards_done;
    struct cwork *work;
} cleaner;

/* A shard worker's own state. */
typedef struct cwork {
    cleaner *c;
    EVP_MAC_CTX *mctx;
    uint64_t pq_total; /* rows of the parquet file clean_parquet read last */
    uint8_t *drop;     /* tar samples of the shard to drop */
    size_t dropcap;
    /* at least the decoy heap's largest score once the heap is full: a score at or above it
     * is refused without taking the lock (the heap's largest only goes down) */
    uint8_t thr[32];
    int thr_set;
    char err[1024];
} cwork;

static void prf_open(cleaner *c)
{
    c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC_CTX *prf_ctx(const cleaner *c)
{
    OSSL_PARAM p[2];
    EVP_MAC_CTX *x = c->mac ? EVP_MAC_CTX_new(c->mac) : NULL;
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    p[1] = OSSL_PARAM_construct_end();
    if (x && EVP_MAC_init(x, c->prf_key, 32, p) != 1) {
        EVP_MAC_CTX_free(x);
        x = NULL;
    }
    return x;
}

static void prf_close(cleaner *c)
{
    EVP_MAC_free(c->mac);
    c->mac = NULL;
}

static void prf(const cwork *w, const char *id, uint8_t out[32])
{
    size_t n = strlen(id), len = 0;
    unsigned int ulen = 32;
    if (w->mctx && EVP_MAC_init(w->mctx, NULL, 0, NULL) == 1 &&
        EVP_MAC_update(w->mctx, (const unsigned char *)id, n) == 1 &&
        EVP_MAC_final(w->mctx, out, &len, 32) == 1 && len == 32)
        return;
    HMAC(EVP_sha256(), w->c->prf_key, 32, (const unsigned char *)id, n, out, &ulen);
}

static void heap_down(scored *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, big = i;
        if (l < n && memcmp(h[l].score, h[big].score, 32) > 0) big = l;
        if (r < n && memcmp(h[r].score, h[big].score, 32) > 0) big = r;
        if (big == i) return;
        scored t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

/* The heap's set of scores: an id offered twice (ids repeat across shards: webdataset keys,
 * LAION's key column) is one decoy. 16 bytes of an HMAC-SHA-256 (a bit of them set, so that no
 * key is all zero, an empty slot) stand for the id. */
static size_t hset_slot(const cleaner *c, const uint8_t sc[32])
{
    uint64_t k0, k1;
    size_t j;
    memcpy(&k0, sc, 8);
    memcpy(&k1, sc + 8, 8);
    k1 |= 1; /* never all zero: an empty slot is */
    j = (size_t)k0 & (c->hcap - 1);
    while (c->hset[j][0] | c->hset[j][1]) {
        if (c->hset[j][0] == k0 && c->hset[j][1] == k1) return j;
        j = (j + 1) & (c->hcap - 1);
    }
    return j;
}

static int hset_has(const cleaner *c, const uint8_t sc[32])
{
    size_t j = hset_slot(c, sc);
    return (c->hset[j][0] | c->hset[j][1]) != 0;
}

static void hset_put(cleaner *c, const uint8_t sc[32])
{
    size_t j = hset_slot(c, sc);
    memcpy(c->hset[j], sc, 16);
    c->hset[j][1] |= 1;
}

/* Remove by backward shift (linear probing keeps no tombstones). */
static void hset_del(cleaner *c, const uint8_t sc[32])
{
    size_t j = hset_slot(c, sc), m = c->hcap - 1;
    if (!(c->hset[j][0] | c->hset[j][1])) return;
    for (size_t i = (j + 1) & m;; i = (i + 1) & m) {
        size_t home;
        if (!(c->hset[i][0] | c->hset[i][1])) break;
        home = (size_t)c->hset[i][0] & m;
        /* move i back to j unless its home lies cyclically in (j, i] */
        if ((j < i) ? (home <= j || home > i) : (home <= j && home > i)) {
            memcpy(c->hset[j], c->hset[i], 16);
            j = i;
        }
    }
    c->hset[j][0] = c->hset[j][1] = 0;
}

/* Room in the heap and its set for one more entry. Both grow with the ids offered, not to the
 * draw's size at once: K x removed ids (up to 64 Mi) is often more than the dataset's kept
 * ids, and the set's slots, at random, touched every page of a set sized for it (2 GiB
 * resident for 2x10^7 kept ids, 10^5 removed). */
static int heap_grow(cleaner *c)
{
    if (c->nheap == c->capheap) {
        size_t nc = c->capheap * 2 < c->mheap ? c->capheap * 2 : c->mheap;
        scored *nh;
        nh = dv__realloc(c->a, c->heap, nc * sizeof *nh);
        if (!nh) return DV_ENOMEM;
        c->heap = nh;
        c->capheap = nc;
    }
    if (c->nheap + 1 + (c->nheap + 1) / 3 > c->hcap) {
        /* at most 3/4 full: twice the slots, the heap's scores put again */
        size_t oc = c->hcap;
        uint64_t(*os)[2] = c->hset;
        uint64_t(*ns)[2] = dv__calloc(c->a, oc ? oc * 2 : 16, sizeof *ns);
        if (!ns) return DV_ENOMEM;
        c->hset = ns;
        c->hcap = oc ? oc * 2 : 16;
        for (size_t i = 0; i < c->nheap; i++) hset_put(c, c->heap[i].score);
        dv__free(c->a, os);
    }
    return DV_OK;
}

static int decoy_offer(cwork *w, const char *id)
{
    cleaner *c = w->c;
    uint8_t sc[32];
    char *dup = NULL, *old = NULL;
    size_t n;
    if (c->mheap == 0) return DV_OK;
    prf(w, id, sc);
    if (w->thr_set && memcmp(sc, w->thr, 32) >= 0) return DV_OK;
    n = strlen(id) + 1;
    dup = dv__malloc(c->a, n);
    if (!dup) return DV_ENOMEM;
    memcpy(dup, id, n);
    pthread_mutex_lock(&c->mu);
    if (hset_has(c, sc)) {
        old = dup; /* the same id again */
    } else if (c->nheap < c->mheap) {
        size_t i;
        if (heap_grow(c) != DV_OK) {
            pthread_mutex_unlock(&c->mu);
            dv__free(c->a, dup);
            return DV_ENOMEM;
        }
        i = c->nheap++;
        hset_put(c, sc);
        memcpy(c->heap[i].score, sc, 32);
        c->heap[i].id = dup;
        while (i > 0 && memcmp(c->heap[(i - 1) / 2].score, c->heap[i].score, 32) < 0) {
            scored t = c->heap[i];
            c->heap[i] = c->heap[(i - 1) / 2];
            c->heap[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (memcmp(sc, c->heap[0].score, 32) < 0) {
        hset_del(c, c->heap[0].score);
        hset_put(c, sc);
        old = c->heap[0].id;
        memcpy(c->heap[0].score, sc, 32);
        c->heap[0].id = dup;
        heap_down(c->heap, c->nheap, 0);
    } else {
        old = dup;
    }
    if (c->nheap == c->mheap) {
        memcpy(w->thr, c->heap[0].score, 32);
        w->thr_set = 1;
    }
    pthread_mutex_unlock(&c->mu);
    dv__free(c->a, old);
    return DV_OK;
}

static int removed_add(cwork *w, const char *id)
{
    cleaner *c = w->c;
    size_t n = strlen(id) + 1;
    uint8_t sc[32];
    char *dup = dv__malloc(c->a, n);
    int rc = DV_OK;
    if (!dup) return DV_ENOMEM;
    memcpy(dup, id, n);
    prf(w, id, sc);
    pthread_mutex_lock(&c->mu);
    if (c->nrem == c->caprem) {
        size_t nc = c->caprem ? c->caprem * 2 : 64;
        scored *nr = dv__realloc(c->a, c->rem, nc * sizeof(scored));
        if (!nr) rc = DV_ENOMEM;
        else {
            c->rem = nr;
            c->caprem = nc;
        }
    }
    if (rc == DV_OK) {
        c->rem[c->nrem].id = dup;
        memcpy(c->rem[c->nrem].score, sc, 32);
        c->nrem++;
        dup = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    dv__free(c->a, dup);
    return rc;
}

/* ---------------------------------------------------------------- inputs */

/* OUTDIR/clean.key into k (its path in path): 1, 0 when it cannot be opened (none yet), -1
 * when it holds no 32 bytes */
static int read_clean_key(const char *outdir, char path[4096], uint8_t k[32])
{
    ssize_t n;
    int fd;
    if ((size_t)snprintf(path, 4096, "%s/clean.key", outdir) >= 4096) return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 0;
    n = read(fd, k, 32);
    close(fd);
    return n == 32 ? 1 : -1;
}

static int load_key(cleaner *c, const char *outdir)
{
    char path[4096];
    uint8_t k[32];
    unsigned int len = 32;
    int got = read_clean_key(outdir, path, k);
    if (got < 0) {
        dv__set_err(c->err, c->cap, "%s: not a 32-byte key", path);
        return DV_ECORRUPT;
    } else if (got == 0) {
        FILE *f;
        char tmp[4200];
        if (RAND_bytes(k, 32) != 1) {
            dv__set_err(c->err, c->cap, "no random bytes for the decoy key");
            return DV_EIO;
        }
        int renamed = 0, ok = 0;
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        f = dv__fopen_private(tmp);
        if (f && fwrite(k, 1, 32, f) != 32) {
            int e = errno ? errno : EIO;
            fclose(f);
            unlink(tmp);
            errno = e;
        } else if (f) {
            ok = dv__commit_file_ex(f, tmp, path, &renamed) == DV_OK;
        }
        if (!ok) {
            dv__commit_err(c->err, c->cap, path, renamed, errno);
            memset(k, 0, sizeof k);
            return DV_EIO;
        }
    }
    HMAC(EVP_sha256(), k, 32, (const unsigned char *)"datavet decoy prf", 17, c->prf_key, &len);
    HMAC(EVP_sha256(), k, 32, (const unsigned char *)"datavet commitment salt", 23, c->salt,
         &len);
    memset(k, 0, sizeof k);
    prf_open(c);
    return DV_OK;
}

static int load_removal(cleaner *c, const char *outdir, uint64_t *count)
{
    char path[4096];
    FILE *f;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    int rc = DV_OK, first = 1;
    snprintf(path, sizeof path, "%s/removal.txt", outdir);
    f = fopen(path, "r");
    if (!f) {
        dv__set_err(c->err, c->cap, "%s: %s", path, strerror(errno));
        return DV_EIO;
    }
    *count = 0;
    while (rc == DV_OK && (n = dv__rec_getline(&line, &lcap, f)) > 0) {
        char *fl[6];
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        if (first) {
            first = 0;
            continue;
        }
        if (dv__rec_split(line, fl, 6) != 6) continue;
        rc = rset_add(c->a, &c->removed,
                      rkey(strtoull(fl[3], NULL, 10), strtoull(fl[4], NULL, 10)));
        (*count)++;
    }
    free(line);
    fclose(f);
    if (rc == DV_OK && n < -1) {
        dv__set_err(c->err, c->cap, "%s: %s", path,
                    n == DV_ETOOBIG ? "a line longer than 4 MiB" : "out of memory");
        rc = (int)n;
    }
    return rc;
}

/* ---------------------------------------------------------------- writers */

static int out_path(const char *root, const char *clean_dir, const char *path, char *out,
                    size_t cap)
{
    size_t rl = strlen(root);
    const char *rel;
    char tmp[4200];
    if (strncmp(path, root, rl) == 0 && path[rl] == '/') rel = path + rl + 1;
    else {
        rel = strrchr(path, '/');
        rel = rel ? rel + 1 : path;
    }
    if ((size_t)snprintf(out, cap, "%s/%s", clean_dir, rel) >= cap) return DV_ERANGE;
    /* make the parent directories */
    snprintf(tmp, sizeof tmp, "%s", out);
    for (char *p = tmp + strlen(clean_dir) + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0) {
            /* a folder of the copy, not a link to one elsewhere */
            struct stat st;
            if (errno != EEXIST || lstat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) return DV_EIO;
        }
        *p = '/';
    }
    return DV_OK;
}

/* The SHA-256 of a file of the copy as it is written (tar and .npy files): every byte goes
 * through md before it is written. */
typedef struct wsum {
    EVP_MD_CTX *md;
    uint64_t bytes;
} wsum;

static int wsum_open(wsum *ws)
{
    ws->bytes = 0;
    ws->md = EVP_MD_CTX_new();
    if (ws->md && EVP_DigestInit_ex(ws->md, EVP_sha256(), NULL) == 1) return DV_OK;
    EVP_MD_CTX_free(ws->md);
    ws->md = NULL;
    return DV_ENOMEM;
}

static void wsum_tap(void *ctx, const void *p, size_t n)
{
    wsum *ws = ctx;
    EVP_DigestUpdate(ws->md, p, n);
    ws->bytes += n;
}

/* hex gets the digest (on success) and the context goes. */
static int wsum_close(wsum *ws, int rc, char hex[65], uint64_t *size)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (rc == DV_OK && EVP_DigestFinal_ex(ws->md, md, &mdlen) != 1) rc = DV_ENOMEM;
    if (rc == DV_OK) {
        dv_hex_encode(md, 32, hex);
        *size = ws->bytes;
    }
    EVP_MD_CTX_free(ws->md);
    ws->md = NULL;
    return rc;
}

/* A file of the copy just written (under its temporary name tmp), as clean.sha256 names it
 * (path): its checksum taken as it was written (hex set), or read back while the page cache
 * holds it (parquet, .npz). */
static int sum_file(cwork *w, const char *tmp, const char *path, const char *hex,
                    uint64_t hsize, csum *e, uint64_t *size)
{
    const char *clean_dir = w->c->clean_dir;
    size_t rl;
    if (hex[0]) {
        memcpy(e->hex, hex, 65);
        *size = hsize;
    } else if (dv__sha256_file(tmp, e->hex, size) != DV_OK) {
        dv__set_err(w->err, sizeof w->err, "%s: cannot read back to checksum it", tmp);
        return DV_EIO;
    }
    rl = strlen(path) - strlen(clean_dir) - 1;
    if ((e->rel = dv__malloc(w->c->a, rl + 1)) == NULL) return DV_ENOMEM;
    memcpy(e->rel, path + strlen(clean_dir) + 1, rl + 1);
    return DV_OK;
}

/* A shard's checksums join the copy's (under the lock). */
static int sums_add(cleaner *c, csum *e, size_t n, uint64_t bytes)
{
    if (c->nsums + n > c->capsums) {
        size_t nc = c->capsums ? 2 * c->capsums : 64;
        csum *ns = dv__realloc(c->a, c->sums, nc * sizeof *ns);
        if (!ns) return DV_ENOMEM;
        c->sums = ns;
        c->capsums = nc;
    }
    memcpy(c->sums + c->nsums, e, n * sizeof *e);
    c->nsums += n;
    c->sum_bytes += bytes;
    return DV_OK;
}

static int cmp_sum(const void *x, const void *y)
{
    return strcmp(((const csum *)x)->rel, ((const csum *)y)->rel);
}

/* sha256sum's format: a name holding a backslash or a line feed gets a leading backslash
 * and both escaped. */
static void put_sum(FILE *f, const csum *e)
{
    int esc = strpbrk(e->rel, "\\\n") != NULL;
    if (esc) fputc('\\', f);
    fprintf(f, "%s  ", e->hex);
    for (const char *p = e->rel; *p; p++) {
        if (esc && *p == '\\') fputs("\\\\", f);
        else if (esc && *p == '\n') fputs("\\n", f);
        else fputc(*p, f);
    }
    fputc('\n', f);
}

static int clean_parquet(cwork *wk, const char *in, const char *out, uint64_t shard,
                         uint64_t *rows_out)
{
    cleaner *c = wk->c;
    dv_parquet_reader *r = NULL;
    dv_parquet_writer *w = NULL;
    uint8_t *keep = NULL;
    uint64_t base = 0;
    int rc;
    dv_parquet_writer_opts wo = {0};
    dv_parquet_reader_opts ro = {0};
    char e[512];
    *rows_out = 0;
    ro.wipe = 1; /* the removed rows' images, if the file holds images, go with the buffers */
    ro.alloc = c->a;
    rc = dv_parquet_reader_open(in, &ro, &r, wk->err, sizeof wk->err);
    if (rc != DV_OK) return rc;
    /* the copy has the source's schema tree, lists and maps included */
    /* each column's codec, dictionary encoding and row group rows the source's, so the copy
     * is about the source's size less the removed rows; snappy where the source's codec cannot
     * be written (LZO) */
    wo.codec = DV_PQ_SNAPPY;
    wo.like_source = 1;
    wo.wipe = 1; /* the kept images leave the writer's buffers zeroed, the reader's go each row
                    group (the removed ones with them) */
    wo.raw_groups = 1; /* a row group nothing is removed from is copied as its bytes */
    wo.alloc = c->a;
    wo.create_new = 1; /* 0600 (it holds the kept images), a link there not followed */
    wo.sync = 1;       /* on disk before it is renamed into place */
    rc = dv_parquet_writer_create_copy(out, r, &wo, &w, e, sizeof e);
    if (rc != DV_OK) {
        dv__set_err(wk->err, sizeof wk->err, "%s", e);
        rc = rc == DV_ENOMEM ? rc : DV_EIO; /* the output, not the input: the clean stops */
        goto done;
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        uint64_t n = dv_parquet_reader_row_group_rows(r, g);
        uint8_t *nk;
        if (n > CLEAN_MAX_RG_ROWS) {
            /* the footer's claim, before any data is read: a row group of more rows than
             * the reader could decode (a byte a row, within its 1 GiB) is not copied, and
             * its keep flags are not allocated */
            dv__set_err(wk->err, sizeof wk->err,
                        "%s: row group %zu claims %llu rows, over the %llu a "
                        "copy reads", in, g, (unsigned long long)n,
                        (unsigned long long)CLEAN_MAX_RG_ROWS);
            rc = DV_ETOOBIG;
            goto done;
        }
        nk = dv__realloc(c->a, keep, n ? (size_t)n : 1);
        if (!nk) {
            rc = DV_ENOMEM;
            goto done;
        }
        keep = nk;
        for (uint64_t i = 0; i < n; i++) keep[i] = !rset_has(&c->removed, rkey(shard, base + i));
        rc = dv_parquet_writer_copy_row_group(w, r, g, keep);
        if (rc != DV_OK) {
            /* a read failure leaves the shard out (its message is the reader's); anything
             * else is the output's and stops the clean */
            if (rc == DV_ECORRUPT || rc == DV_EFORMAT || rc == DV_ETOOBIG)
                dv__set_err(wk->err, sizeof wk->err, "%s", dv_parquet_writer_errmsg(w));
            else
                /* (the writer's messages name its file, out, already) */
                dv__set_err(wk->err, sizeof wk->err, "%s", dv_parquet_writer_errmsg(w));
            goto done;
        }
        for (uint64_t i = 0; i < n; i++) *rows_out += keep[i];
        base += n;
    }
    wk->pq_total = base;
    rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) dv__set_err(wk->err, sizeof wk->err, "%s", dv_parquet_writer_errmsg(w));
done:
    dv_parquet_writer_free(w);
    dv_parquet_reader_free(r);
    dv__free(c->a, keep);
    return rc;
}

/* The last component of path. */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The writers' messages begin with the file they write, a copy's file under its temporary
 * name (X.parquet.datavet-tmp, removed when the write fails); the user knows it as X.parquet:
 * msg names it so, and the temporary after. */
static void name_final(char *msg, size_t cap, const char *tmp, const char *path)
{
    char out[1400];
    const char *p = strstr(msg, tmp);
    if (!p) return;
    dv__set_err(out, sizeof out, "%.*s%s%s (it was being written as %s, now removed)",
                (int)(p - msg), msg, path, p + strlen(tmp), base_name(tmp));
    dv__set_err(msg, cap, "%s", out);
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t w = write(fd, q, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return DV_EIO;
        }
        q += w;
        n -= (size_t)w;
    }
    return DV_OK;
}

static int clean_npy(cwork *w, const char *in, const char *out, uint64_t shard,
                     uint64_t kept_rows, char hex[65], uint64_t *size)
{
    wsum ws = {0};
    cleaner *c = w->c;
    dv_npy *np = NULL;
    dv_npy_info ni;
    uint8_t hdr[256];
    size_t hl;
    int fd, rc, e = 0; /* e: the errno of the first failed write, sync or close */
    rc = dv_npy_open(in, c->a, &np, w->err, sizeof w->err);
    if (rc != DV_OK) return rc;
    dv_npy_get_info(np, &ni);
    if (ni.dtype == DV_NPY_F64) {
        dv__set_err(w->err, sizeof w->err, "%s: float64 embeddings are not rewritten", in);
        dv_npy_close(np);
        return DV_EFORMAT;
    }
    rc = dv_npy_write_header(hdr, sizeof hdr, ni.dtype, kept_rows, ni.dims, &hl);
    fd = dv_file_open_new(out, 0600); /* a file of an earlier run or a link there: replaced */
    if (rc != DV_OK || fd < 0) {
        dv__set_err(w->err, sizeof w->err, "%s: cannot write", out);
        if (fd >= 0) close(fd);
        dv_npy_close(np);
        return DV_EIO;
    }
    rc = wsum_open(&ws);
    if (rc == DV_OK) {
        wsum_tap(&ws, hdr, hl);
        if ((rc = write_all(fd, hdr, hl)) != DV_OK) e = errno;
    }
    {
        /* runs of kept rows, one write each (a row a write was a million system calls a
         * LAION file) */
        const uint8_t *d = dv_npy_data(np);
        size_t rowb = (size_t)ni.dims * ni.itemsize;
        uint64_t i = 0;
        while (rc == DV_OK && i < ni.rows) {
            uint64_t j = i;
            while (j < ni.rows && !rset_has(&c->removed, rkey(shard, j))) j++;
            /* checksummed and written a MiB at a time: the write finds in cache what the
             * checksum read */
            for (size_t o = 0, n = (size_t)(j - i) * rowb; rc == DV_OK && o < n;) {
                size_t k = n - o < (1u << 20) ? n - o : (1u << 20);
                wsum_tap(&ws, d + i * rowb + o, k);
                if ((rc = write_all(fd, d + i * rowb + o, k)) != DV_OK) e = errno;
                o += k;
            }
            i = j + 1; /* row j, if any, is removed */
        }
    }
    /* on disk before it is renamed into place */
    if (rc == DV_OK && (rc = dv_file_sync(fd)) != DV_OK) e = errno;
    if (close(fd) != 0 && rc == DV_OK) rc = DV_EIO, e = errno;
    if (ws.md) rc = wsum_close(&ws, rc, hex, size);
    /* the reason with the file (ENOSPC, EFBIG, EIO), as the tar and parquet copies say it */
    if (rc != DV_OK)
        dv__set_err(w->err, sizeof w->err, "%s: write failed: %s", out,
                    e ? strerror(e) : dv_strerror(rc));
    dv_npy_close(np);
    return rc;
}

typedef struct dropctx {
    const rset *removed;
    uint64_t shard;
} dropctx;

static int drop_row(void *ctx, uint64_t row)
{
    const dropctx *d = ctx;
    return rset_has(d->removed, rkey(d->shard, row));
}

/* DataComp's X.npz: every array without the removed rows, in step with X.parquet's rows. */
static int clean_npz(cwork *w, const char *in, const char *out, uint64_t shard)
{
    cleaner *c = w->c;
    dropctx d = {&c->removed, shard};
    dv__npz_clean_opts o;
    memset(&o, 0, sizeof o);
    o.rows = w->pq_total;
    o.drop = drop_row;
    o.ctx = &d;
    return dv__npz_clean_file(in, out, &o, c->a, w->err, sizeof w->err);
}

static int clean_tar(cwork *wk, const char *in, const char *out, const uint8_t *drop,
                     uint64_t ndrop, uint64_t *links_out, char hex[65], uint64_t *size)
{
    wsum ws = {0};
    cleaner *c = wk->c;
    dv_tar_reader *r = dv_tar_reader_create(NULL);
    dv_tar_writer *w = dv_tar_writer_create(c->a);
    int ifd = -1, ofd = -1, rc = DV_OK;
    dv_wds_sample s;
    if (!r || !w) {
        rc = DV_ENOMEM;
        goto done;
    }
    ifd = open(in, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    ofd = dv_file_open_new(out, 0600);
    if (ifd < 0 || ofd < 0) {
        dv__set_err(wk->err, sizeof wk->err, "%s: cannot open", ifd < 0 ? in : out);
        rc = DV_EIO;
        goto done;
    }
    /* links of kept samples to members of dropped ones are left out of the copy */
    dv__tar_reader_link_index(r, DV__TAR_LINK_INDEX);
    /* samples are copied as byte ranges of the file: their data are read once, by the copy
     * (from a pipe the reader still keeps them, to be written) */
    dv__tar_reader_headers_only(r, 1);
    rc = dv_tar_reader_open_fd(r, ifd, in);
    if (rc == DV_OK) rc = dv_tar_writer_open_fd(w, ofd, out);
    if (rc == DV_OK) rc = wsum_open(&ws);
    if (rc == DV_OK) dv__tar_writer_tap(w, wsum_tap, &ws);
    while (rc == DV_OK) {
        int k = dv_tar_reader_next_sample(r, &s);
        if (k == 0) break;
        if (k < 0) {
            dv__set_err(wk->err, sizeof wk->err, "%s", dv_tar_reader_errmsg(r));
            rc = k;
            break;
        }
        if (s.index < ndrop && drop[s.index]) rc = dv_tar_writer_drop_sample(w, &s);
        else rc = dv__tar_writer_copy_sample_drop(w, r, &s, drop, ndrop, links_out);
        if (rc != DV_OK) dv__set_err(wk->err, sizeof wk->err, "%s", dv_tar_writer_errmsg(w));
    }
    if (rc == DV_OK) rc = dv_tar_writer_finish(w);
    if (rc == DV_OK && dv_file_sync(ofd) != DV_OK) {
        dv__set_err(wk->err, sizeof wk->err, "%s: cannot write: %s", out, strerror(errno));
        rc = DV_EIO;
    }
done:
    dv_tar_reader_free(r);
    dv_tar_writer_free(w);
    if (ifd >= 0) close(ifd);
    if (ofd >= 0 && close(ofd) != 0 && rc == DV_OK) rc = DV_EIO;
    if (ws.md) rc = wsum_close(&ws, rc, hex, size);
    return rc;
}

static int cmp_scored(const void *x, const void *y)
{
    const scored *a = x, *b = y;
    int c = memcmp(a->score, b->score, 32);
    return c ? c : strcmp(a->id, b->id);
}

static int cmp_id(const void *x, const void *y)
{
    return strcmp(((const scored *)x)->id, ((const scored *)y)->id);
}

/* OUTDIR's owner mark, in hex: HMAC-SHA-256 of a label keyed with OUTDIR/clean.key, so that
 * it names the OUTDIR without giving away the key (the mark goes with the copy wherever it is
 * published). "" when OUTDIR has no clean.key yet: it never wrote a copy. */
static void owner_mark(const char *outdir, char hex[65])
{
    char path[4096];
    uint8_t k[32], md[32];
    unsigned int len = 32;
    hex[0] = '\0';
    if (read_clean_key(outdir, path, k) == 1 && HMAC(EVP_sha256(), k, 32, (const unsigned char *)"datavet clean folder owner",
                        26, md, &len) != NULL)
        dv_hex_encode(md, 32, hex);
    memset(k, 0, sizeof k);
}

/* The owner mark in the copy's folder, in hex: 1, or 0 when there is none (a folder written by
 * a binary from before 2026-12-08, or a file of that name that is no mark: a user's). */
static int read_owner_mark(const char *clean_dir, char hex[65])
{
    char path[4096], e2[64];
    void *buf = NULL;
    size_t len = 0;
    struct stat st;
    uint8_t b[32];
    int ok = 0;
    hex[0] = '\0';
    if ((size_t)snprintf(path, sizeof path, "%s/%s", clean_dir, CLEAN_OWNER_NAME) >=
            sizeof path ||
        lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (dv_read_file(path, 128, NULL, &buf, &len, e2, sizeof e2) != DV_OK) return 0;
    if (len == 65 && ((char *)buf)[64] == '\n' && dv__hex_decode(buf, 64, b, 32) == 0) {
        memcpy(hex, buf, 64);
        hex[64] = '\0';
        ok = 1;
    }
    dv_free_buffer(NULL, buf);
    return ok;
}

/* The owner mark written into the copy's folder (before any file of the copy, after
 * OUTDIR/clean.dir: a run killed between the two finds its own folder, by clean.dir, on the
 * rerun); left as it is where it is this OUTDIR's already. */
static int write_owner_mark(const char *outdir, const char *clean_dir, char *err, size_t cap)
{
    char mine[65], got[65], path[4096], tmp[4200];
    FILE *f;
    int renamed = 0;
    owner_mark(outdir, mine);
    if (!mine[0]) {
        dv__set_err(err, cap, "%s/clean.key: cannot be read", outdir);
        return DV_EIO;
    }
    if (read_owner_mark(clean_dir, got) && strcmp(got, mine) == 0) return DV_OK;
    snprintf(path, sizeof path, "%s/%s", clean_dir, CLEAN_OWNER_NAME);
    snprintf(tmp, sizeof tmp, "%s%s", path, CLEAN_TMP_SUFFIX);
    f = dv__fopen_private(tmp);
    if (f) fprintf(f, "%s\n", mine);
    if (!f || dv__commit_file_ex(f, tmp, path, &renamed) != DV_OK) {
        dv__commit_err(err, cap, path, renamed, errno);
        return DV_EIO;
    }
    return DV_OK;
}

int dv__clean_check(const char *outdir, const char *clean_dir, const char *dataset, char *err,
                    size_t cap)
{
    char *rc_ = dv__real_or_parent(clean_dir), *rd = realpath(dataset, NULL),
         *ro = dv__real_or_parent(outdir);
    int rc = DV_OK;
    DIR *d;
    if (!rc_ || !rd || !ro) {
        dv__set_err(err, cap, "--clean %s: cannot resolve the path: %s", clean_dir,
                    strerror(errno));
        rc = DV_EINVAL;
    } else if (dv__path_within(rc_, rd) || dv__path_within(rd, rc_)) {
        dv__set_err(err, cap, "--clean %s: the cleaned copy cannot be the dataset (%s), inside it "
                    "or around it: give a folder of its own", clean_dir, dataset);
        rc = DV_EINVAL;
    } else if (dv__path_within(rc_, ro) || dv__path_within(ro, rc_)) {
        dv__set_err(err, cap, "--clean %s: the cleaned copy cannot be OUTDIR (%s), inside it or "
                    "around it", clean_dir, outdir);
        rc = DV_EINVAL;
    } else if ((d = opendir(clean_dir)) != NULL) {
        /* a folder with files in it only if it is this scan's own copy: its owner mark is
         * this OUTDIR's, or, where it has none (written before the mark was), clean.dir
         * names it. A mark alone is an empty folder (what removing every file in it by a glob
         * leaves, as a glob skips dot files). */
        struct dirent *e;
        char got[65], mine[65];
        int empty = 1, marked = read_owner_mark(clean_dir, got);
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
                !(marked && strcmp(e->d_name, CLEAN_OWNER_NAME) == 0))
                empty = 0;
        closedir(d);
        if (!empty && marked) {
            owner_mark(outdir, mine);
            if (strcmp(got, mine) != 0) {
                dv__set_err(err, cap, "--clean %s: the folder holds the cleaned copy of another "
                            "scan (another OUTDIR wrote it, %s/%s says): give this scan a new "
                            "or empty folder, or empty this one if that copy is not wanted",
                            clean_dir, clean_dir, CLEAN_OWNER_NAME);
                rc = DV_EINVAL;
            }
        } else if (!empty) {
            char path[4096];
            void *buf = NULL;
            size_t len = 0;
            char e2[64];
            int named = 0;
            snprintf(path, sizeof path, "%s/clean.dir", outdir);
            if (dv_read_file(path, 8192, NULL, &buf, &len, e2, sizeof e2) == DV_OK) {
                named = len == strlen(rc_) + 1 && memcmp(buf, rc_, len - 1) == 0 &&
                        ((char *)buf)[len - 1] == '\n';
                dv_free_buffer(NULL, buf);
            }
            if (!named) {
                dv__set_err(err, cap, "--clean %s: the folder is not empty and this scan did not "
                            "write it: the cleaned copy goes into a new or empty folder",
                            clean_dir);
                rc = DV_EINVAL;
            }
        }
    }
    free(rc_);
    free(rd);
    free(ro);
    return rc;
}

/* OUTDIR/clean.dir: the real path of the copy's folder, so that a rerun may write it again. */
static int note_clean_dir(const char *outdir, const char *clean_dir, char *err, size_t cap)
{
    char path[4096], tmp[4200], *r = realpath(clean_dir, NULL);
    FILE *f;
    int rc, renamed = 0;
    if (!r) {
        dv__set_err(err, cap, "%s: %s", clean_dir, strerror(errno));
        return DV_EIO;
    }
    snprintf(path, sizeof path, "%s/clean.dir", outdir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = dv__fopen_private(tmp);
    if (!f) rc = DV_EIO;
    else {
        fprintf(f, "%s\n", r);
        rc = dv__commit_file_ex(f, tmp, path, &renamed);
    }
    if (rc != DV_OK) dv__commit_err(err, cap, path, renamed, errno);
    free(r);
    return rc;
}

int dv__clean_npz_shards(dv_dataset *ds, const dv_alloc *a, char *err, size_t cap)
{
    if (dv_dataset_layout(ds) != DV_LAYOUT_PARQUET) return DV_OK;
    for (uint64_t i = 0; i < dv_dataset_num_shards(ds); i++) {
        dv_shard_info sh;
        dv_parquet_reader *pr = NULL;
        dv_parquet_reader_opts po = {0};
        const char *e;
        char why[700], pe[64];
        uint64_t rows;
        int rc;
        if (dv_dataset_shard(ds, i, &sh) != DV_OK) continue;
        e = sh.emb_path ? sh.emb_path : sh.emb_unused;
        if (!e || !dv_npz_is_zip(e)) continue;
        po.wipe = 1;
        po.alloc = a;
        /* (a parquet that cannot be opened: the scan names it, the copy leaves it out) */
        if (dv_parquet_reader_open(sh.path, &po, &pr, pe, sizeof pe) != DV_OK) continue;
        rows = dv_parquet_reader_num_rows(pr);
        dv_parquet_reader_free(pr);
        rc = dv__npz_clean_check(e, rows, a, why, sizeof why);
        if (rc == DV_ENOMEM) return rc;
        if (rc != DV_OK) {
            dv__set_err(err, cap, "--clean: the .npz beside %s (%llu rows) cannot be written "
                        "again in step with it: %s (scan without --clean; removal.txt lists the "
                        "items)", sh.path, (unsigned long long)rows, why);
            return DV_EINVAL;
        }
    }
    return DV_OK;
}

/* The folder (dv__clean_check) and the shards: removal.txt names rows of the files as
 * scanned, so a shard whose files changed since would lose other rows. */
int dv__clean_precheck(const char *outdir, const char *clean_dir, const char *dataset,
                       const dv_dataset_opts *dso, char *err, size_t cap)
{
    dv_dataset *ds = NULL;
    int rc = dv__clean_check(outdir, clean_dir, dataset, err, cap);
    if (rc == DV_OK) rc = dv_dataset_open(dataset, dso, &ds, err, cap);
    for (uint64_t i = 0; rc == DV_OK && i < dv_dataset_num_shards(ds); i++) {
        dv_shard_info sh;
        if (!dv__shard_changed(ds, outdir, i)) continue;
        dv_dataset_shard(ds, i, &sh);
        dv__set_err(err, cap, "--clean: shard %llu (%s): its files changed after it was "
                    "scanned: the cleaned copy would drop the wrong rows; scan it again "
                    "(delete %s/shards/%06llu.*) before cleaning", (unsigned long long)i,
                    sh.path, outdir, (unsigned long long)i);
        rc = DV_EINVAL;
    }
    if (rc == DV_OK) rc = dv__clean_npz_shards(ds, dso ? dso->alloc : NULL, err, cap);
    dv_dataset_free(ds);
    return rc;
}

/* File f (0-2) of shard sh that the copy is written from, as the loop below takes them
 * (NULL: none). */
static const char *shard_file(const dv_shard_info *sh, dv_layout lay, int f)
{
    /* parquet: the metadata, its image embeddings, its text embeddings (LAION's text_emb/),
     * rows in step; img2dataset: the tar, its parquet */
    const char *in = f == 0                    ? sh->path
                     : lay == DV_LAYOUT_PARQUET ? (f == 1 ? sh->emb_path : sh->text_emb_path)
                     : f == 1                   ? sh->meta_path
                                                : NULL;
    /* DataComp's X.npz goes in step with X.parquet whether or not its embeddings were used
     * (an .npz of several arrays and no --npz-key is not) */
    if (f == 1 && lay == DV_LAYOUT_PARQUET && !in && sh->emb_unused &&
        dv_npz_is_zip(sh->emb_unused))
        in = sh->emb_unused;
    return in;
}

static uint64_t shard_file_bytes(const dv_shard_info *sh, dv_layout lay, int f)
{
    const char *in = shard_file(sh, lay, f);
    struct stat st;
    return in && stat(in, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* Progress: bytes of a shard's files done (under the lock). */
static void prog_bytes(cleaner *c, uint64_t bytes, int shard_done)
{
    if (!c->prog || !c->prog->fn) return;
    pthread_mutex_lock(&c->mu);
    c->prog->p.bytes_done += bytes;
    if (shard_done) c->prog->p.done = ++c->shards_done;
    dv__mprog_emit(c->prog);
    pthread_mutex_unlock(&c->mu);
}

/* Shard i: its rows or samples and ids (the pass that finds which tar samples go and scores
 * the ids), then its files written again. DV_OK also when the shard is left out of the copy
 * (its line in c->left[i]); another code stops the clean, the message in w->err. */
static int clean_shard(cwork *w, uint64_t i)
{
    cleaner *c = w->c;
    dv_shard_info sh;
    dv_shard_reader *r = NULL;
    dv_item it;
    uint64_t ndrop = 0, pq_rows = 0, sbytes = 0, fbytes = 0, links = 0;
    size_t nwritten = 0, nsum = 0;
    csum sums[3];
    /* each file is written under a temporary name beside its own (CLEAN_TMP_SUFFIX) and the
     * shard's files renamed into place once all are whole: a run killed midway leaves no
     * file of the copy cut short under its name */
    char op[4096], written[3][4096], tmps[3][4200], why[1024] = "";
    int k, lost = 0, rc = DV_OK;
    w->pq_total = 0;
    dv_dataset_shard(c->ds, i, &sh);
    for (int f = 0; f < 3; f++) fbytes += shard_file_bytes(&sh, c->lay, f);
    rc = dv_shard_reader_open(c->ds, i, &r, why, sizeof why);
    if (rc == DV_ENOMEM) return rc;
    if (rc != DV_OK) lost = 1, rc = DV_OK;
    while (!lost && (k = dv_shard_reader_next(r, &it)) != 0) {
        int gone;
        if (k == DV_ENOMEM) {
            rc = k;
            break;
        }
        if (k < 0) { /* part of the shard unread: its removals cannot be trusted */
            snprintf(why, sizeof why, "%s", dv_shard_reader_errmsg(r));
            lost = 1;
            break;
        }
        gone = rset_has(&c->removed, rkey(i, it.row));
        /* a row (or tar sample) of several images is several items: its id is counted
         * with its first, so that no id stands out in removal-public.txt by coming twice */
        if (it.list_index == 0) {
            const char *id = it.id ? it.id : "";
            rc = gone ? removed_add(w, id) : decoy_offer(w, id);
        }
        if (rc != DV_OK) break;
        if (it.sample >= 0) {
            if ((uint64_t)it.sample >= w->dropcap) {
                size_t nc = w->dropcap ? w->dropcap : 1024;
                uint8_t *nd;
                while (nc <= (size_t)it.sample) nc *= 2;
                nd = dv__realloc(c->a, w->drop, nc);
                if (!nd) {
                    rc = DV_ENOMEM;
                    break;
                }
                memset(nd + w->dropcap, 0, nc - w->dropcap);
                w->drop = nd;
                w->dropcap = nc;
            }
            w->drop[it.sample] = (uint8_t)gone;
            if ((uint64_t)it.sample + 1 > ndrop) ndrop = (uint64_t)it.sample + 1;
        }
    }
    dv_shard_reader_free(r);
    /* the shard's files: a file that cannot be read (corrupt, truncated, a format the
     * writer cannot hold) leaves the whole shard out of the copy; a failed write stops */
    for (int f = 0; !lost && rc == DV_OK && f < 3; f++) {
        const char *in = shard_file(&sh, c->lay, f);
        uint64_t size = 0, hsize = 0;
        char hex[65] = "";
        if (!in) continue;
        rc = out_path(c->dataset, c->clean_dir, in, op, sizeof op);
        if (rc != DV_OK) {
            dv__set_err(w->err, sizeof w->err, "%s/%s: cannot make its folder", c->clean_dir,
                        in);
            break;
        }
        {
            char *tp = tmps[nwritten];
            snprintf(tp, sizeof tmps[0], "%s%s", op, CLEAN_TMP_SUFFIX);
            memcpy(written[nwritten++], op, sizeof op);
            if (c->lay == DV_LAYOUT_PARQUET)
                rc = f == 0              ? clean_parquet(w, in, tp, i, &pq_rows)
                     : dv_npz_is_zip(in) ? clean_npz(w, in, tp, i)
                                         : clean_npy(w, in, tp, i, pq_rows, hex, &hsize);
            else
                rc = f == 0 ? clean_tar(w, in, tp, w->drop, ndrop, &links, hex, &hsize)
                            : clean_parquet(w, in, tp, i, &pq_rows);
            /* (until 2026-12-08 the message named the temporary alone) */
            if (rc != DV_OK) name_final(w->err, sizeof w->err, tp, op);
        }
        if (rc == DV_ECORRUPT || rc == DV_EFORMAT || rc == DV_ETOOBIG) {
            snprintf(why, sizeof why, "%s", w->err);
            lost = 1;
            rc = DV_OK;
        }
        if (rc == DV_OK && !lost) {
            rc = sum_file(w, tmps[nwritten - 1], op, hex, hsize, &sums[nsum], &size);
            if (rc == DV_OK) nsum++, sbytes += size;
            else name_final(w->err, sizeof w->err, tmps[nwritten - 1], op);
        }
        if (rc == DV_OK && !lost) {
            uint64_t b = shard_file_bytes(&sh, c->lay, f);
            prog_bytes(c, b, 0);
            fbytes -= b;
        }
    }
    if (w->drop) memset(w->drop, 0, w->dropcap);
    for (size_t f = 0; !lost && rc == DV_OK && f < nwritten; f++) {
        int renamed;
        if (dv__file_rename_ex(tmps[f], written[f], &renamed) != DV_OK) {
            dv__commit_err(w->err, sizeof w->err, written[f], renamed, errno);
            rc = DV_EIO;
        }
    }
    if (lost || rc != DV_OK)
        for (size_t f = 0; f < nwritten; f++) (void)unlink(tmps[f]);
    if (lost && rc == DV_OK) {
        char line[1400];
        size_t ll;
        /* (and the files of an earlier run's copy of the shard) */
        for (size_t f = 0; f < nwritten; f++) (void)unlink(written[f]);
        ll = dv__text_line(line, sizeof line,
                           "--clean: shard %s left out of the cleaned copy: %s\n", sh.name, why);
        if ((c->left[i] = dv__malloc(c->a, ll + 1)) == NULL) rc = DV_ENOMEM;
        else memcpy(c->left[i], line, ll + 1);
        while (nsum > 0) dv__free(c->a, sums[--nsum].rel);
    }
    if (rc == DV_OK && !lost && links > 0) {
        /* a kept sample's link to a removed sample's member (its bytes are a
         * removed image's), or one whose target could not be resolved (the copy would hold it
         * dangling): not copied, and the user hears of it */
        char line[1400];
        size_t ll = dv__text_line(line, sizeof line,
                                  "--clean: shard %s: %llu link %s of kept samples "
                                  "left out of the copy: hard links or symlinks to a removed "
                                  "sample's member (the same bytes as a removed image), or "
                                  "whose target the scan could not resolve (a symlink to a "
                                  "folder too: a copy keeps none): review those "
                                  "samples\n", sh.name, (unsigned long long)links,
                                  dv__pl(links, "member", "members"));
        if ((c->note[i] = dv__malloc(c->a, ll + 1)) == NULL) rc = DV_ENOMEM;
        else memcpy(c->note[i], line, ll + 1);
    }
    if (rc == DV_OK && nsum > 0) {
        pthread_mutex_lock(&c->mu);
        rc = sums_add(c, sums, nsum, sbytes);
        pthread_mutex_unlock(&c->mu);
    }
    if (rc != DV_OK)
        while (nsum > 0) dv__free(c->a, sums[--nsum].rel);
    /* (a shard left out counts as done, with its bytes) */
    if (rc == DV_OK) prog_bytes(c, fbytes, 1);
    return rc;
}

static void clean_job(void *ctx, size_t job, unsigned worker)
{
    cleaner *c = ctx;
    cwork *w = &c->work[worker];
    int rc, stop;
    /* after a failure only shards below the failing one still run: the pool hands shards
     * out in order, so one taken before the failure but not yet started may be lower, and
     * its own failure is the one a run on one thread would have told */
    pthread_mutex_lock(&c->mu);
    stop = c->stop && job > c->fail_shard;
    pthread_mutex_unlock(&c->mu);
    if (stop) return;
    w->err[0] = '\0';
    rc = clean_shard(w, job);
    if (rc == DV_OK) return;
    pthread_mutex_lock(&c->mu);
    /* the failure of the lowest shard is the one told, as a run on one thread would */
    if (!c->stop || job < c->fail_shard) {
        c->fail_rc = rc;
        c->fail_shard = job;
        if (w->err[0]) dv__set_err(c->err, c->cap, "%s", w->err);
        else dv__set_err(c->err, c->cap, "%s", dv_strerror(rc));
    }
    c->stop = 1;
    pthread_mutex_unlock(&c->mu);
}

/* The files a killed run left under temporary names (CLEAN_TMP_SUFFIX) in the copy's
 * folder dir, its subfolders included (links to folders not followed): removed. Only this
 * user's regular files and links of that name are taken; the folder is the scan's own
 * (clean.dir). */
static int sweep_tmps(const char *dir, int depth, char *err, size_t cap)
{
    const size_t sl = sizeof CLEAN_TMP_SUFFIX - 1;
    DIR *d;
    struct dirent *e;
    int rc = DV_OK;
    if (depth > 32 || (d = opendir(dir)) == NULL) return DV_OK;
    while (rc == DV_OK && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        size_t n = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) rc = sweep_tmps(path, depth + 1, err, cap);
        else if (n > sl && strcmp(e->d_name + n - sl, CLEAN_TMP_SUFFIX) == 0 &&
                 (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_uid == geteuid())) &&
                 unlink(path) != 0 && errno != ENOENT) {
            dv__set_err(err, cap, "%s: cannot remove what an earlier run left: %s", path,
                        strerror(errno));
            rc = DV_EIO;
        }
    }
    closedir(d);
    return rc;
}

/* The copy's folder held by this run until its copy and clean.sha256 are written (*fd, an
 * exclusive flock of the folder; -1 where the file system has none), and checked again under
 * that lock as dv__clean_precheck checked it when the merge began: empty, or this scan's own.
 * Another run writing a copy there, or one that wrote its copy there since, is refused;
 * otherwise both runs' files would be written under the same names, each sweeping the
 * other's temporaries, and each OUTDIR would vouch for a copy that may be the other's. */
static int lock_clean_dir(const char *outdir, const char *clean_dir, const char *dataset,
                          int *fd, char *err, size_t cap)
{
    *fd = open(clean_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK) {
            dv__set_err(err, cap, "--clean %s: another datavet run is writing a cleaned copy "
                        "into this folder: give each scan a folder of its own", clean_dir);
            return DV_EINVAL;
        }
        /* (a file system without flock: the check below still applies) */
    }
    return dv__clean_check(outdir, clean_dir, dataset, err, cap);
}

int dv__clean_dataset(const char *outdir, const char *clean_dir, const char *dataset,
                      const dv_dataset_opts *dso, uint32_t decoys, unsigned threads,
                      char commit_hex[65], uint64_t *removed_out, uint64_t *decoys_out,
                      uint64_t *files_out, uint64_t *bytes_out, uint64_t *left_out,
                      char **left_text, dv__mprog *prog, char *err, size_t cap)
{
    cleaner c;
    dv_dataset *ds = NULL;
    dv_pool *pool = NULL;
    uint64_t nremoved = 0, nshards;
    unsigned nw = 0;
    char *lefttxt = NULL;
    int rc, lockfd = -1;
    dv_layout lay;

    memset(&c, 0, sizeof c);
    c.a = dso ? dso->alloc : NULL;
    c.err = err;
    c.cap = cap;
    commit_hex[0] = '\0';
    *removed_out = *decoys_out = *files_out = *bytes_out = *left_out = 0;
    *left_text = NULL;
    {
        /* the pass over each shard needs rows, samples and ids only: captions, digest
         * columns and scores are not read (a LAION parquet's captions are most of its bytes) */
        dv_dataset_opts o2;
        if (dso) o2 = *dso;
        else memset(&o2, 0, sizeof o2);
        o2.skip |= DV_SKIP_CAPTION | DV_SKIP_MD5 | DV_SKIP_SHA1 | DV_SKIP_SHA256 | DV_SKIP_PUNSAFE;
        rc = dv_dataset_open(dataset, &o2, &ds, err, cap);
    }
    if (rc != DV_OK) return rc;
    /* nor the tar members' data: a sample's id is its key (or its metadata row's), and its
     * bytes are copied from their offsets later */
    dv__dataset_skip(ds, DV__SKIP_MEMBER_DATA);
    lay = dv_dataset_layout(ds);
    if (lay != DV_LAYOUT_PARQUET && lay != DV_LAYOUT_WEBDATASET && lay != DV_LAYOUT_IMG2DATASET) {
        dv__set_err(err, cap, "--clean writes parquet and tar datasets; for this '%s' dataset "
                    "use removal.txt", dv_layout_name(lay));
        dv_dataset_free(ds);
        return DV_EFORMAT;
    }
    nshards = dv_dataset_num_shards(ds);
    pthread_mutex_init(&c.mu, NULL);
    c.ds = ds;
    c.lay = lay;
    c.dataset = dataset;
    c.clean_dir = clean_dir;
    c.prog = prog;
    /* (the folder and the shards were checked by dv__clean_precheck, which the merge runs
     * before it writes anything) */
    rc = load_key(&c, outdir);
    if (rc == DV_OK) rc = load_removal(&c, outdir, &nremoved);
    if (rc == DV_OK) rc = dv__mkdir_private(clean_dir, err, cap);
    if (rc == DV_OK) rc = lock_clean_dir(outdir, clean_dir, dataset, &lockfd, err, cap);
    if (rc == DV_OK) rc = note_clean_dir(outdir, clean_dir, err, cap);
    if (rc == DV_OK) rc = write_owner_mark(outdir, clean_dir, err, cap);
    if (rc == DV_OK) rc = sweep_tmps(clean_dir, 0, err, cap);
    if (rc == DV_OK && nremoved > 0 && decoys > 0) {
        /* the decoys wanted, and room for as many more as there are removed rows: a kept id
         * that is also a removed one's is no decoy (it is in the file already), and goes
         * after the draw */
        uint64_t m = nremoved * (uint64_t)decoys;
        if (m > (64ull << 20)) m = 64ull << 20;
        c.mheap = (size_t)(m + nremoved);
        /* the set at most 3/4 full, 16 bytes a slot: at the cap (64 Mi decoys, 40 bytes a
         * heap entry and the id: ~4 GiB) another 1-2 GiB (docs/scan.md); both grow as ids
         * come (heap_grow), so a draw larger than the kept ids takes what they need */
        c.capheap = c.mheap < 1024 ? c.mheap : 1024;
        for (c.hcap = 16; c.hcap < c.capheap + c.capheap / 3; c.hcap *= 2) {
        }
        c.heap = dv__calloc(c.a, c.capheap, sizeof(scored));
        c.hset = dv__calloc(c.a, c.hcap, sizeof *c.hset);
        if (!c.heap || !c.hset) rc = DV_ENOMEM;
    }
    if (rc == DV_OK && ((c.left = dv__calloc(c.a, nshards ? nshards : 1, sizeof(char *))) == NULL ||
                        (c.note = dv__calloc(c.a, nshards ? nshards : 1, sizeof(char *))) == NULL))
        rc = DV_ENOMEM;
    if (rc == DV_OK) {
        /* a worker a shard at most: each holds a shard's readers and writers (a parquet row
         * group decoded, up to 1 GiB) */
        pool = dv_pool_create(threads, c.a);
        if (!pool) rc = DV_ENOMEM;
        else {
            nw = dv_pool_threads(pool);
            if ((c.work = dv__calloc(c.a, nw, sizeof(cwork))) == NULL) rc = DV_ENOMEM;
            for (unsigned t = 0; rc == DV_OK && t < nw; t++) {
                c.work[t].c = &c;
                if ((c.work[t].mctx = prf_ctx(&c)) == NULL) rc = DV_ENOMEM;
            }
        }
    }
    if (rc == DV_OK && prog && prog->fn) {
        /* the progress counts the bytes of the files a shard's copy is written from */
        uint64_t total = 0;
        for (uint64_t i = 0; i < nshards; i++) {
            dv_shard_info sh;
            dv_dataset_shard(ds, i, &sh);
            for (int f = 0; f < 3; f++) total += shard_file_bytes(&sh, lay, f);
        }
        dv__mprog_stage(prog, DV_MERGE_CLEAN, nshards, total);
    }
    if (rc == DV_OK && nshards > 0) {
        rc = dv_pool_run(pool, (size_t)nshards, clean_job, &c);
        if (rc == DV_OK && c.stop) rc = c.fail_rc;
    }
    if (rc == DV_OK) {
        /* the shards left out, in shard order */
        dv__dbuf left = {0};
        for (uint64_t i = 0; rc == DV_OK && i < nshards; i++) {
            if (c.left[i]) {
                rc = dv__dbuf_append(c.a, &left, c.left[i], strlen(c.left[i]));
                c.nleft++;
            }
            if (rc == DV_OK && c.note[i])
                rc = dv__dbuf_append(c.a, &left, c.note[i], strlen(c.note[i]));
        }
        if (rc == DV_OK && left.len > 0) rc = dv__dbuf_append(c.a, &left, "", 1);
        if (rc == DV_OK && left.len > 0) lefttxt = (char *)left.p;
        else dv__free(c.a, left.p);
    }
    if (rc == DV_OK) {
        /* the commitment: SHA-256(salt || sorted removed ids, each followed by \n) */
        unsigned char md[32];
        unsigned int mdlen = 0;
        EVP_MD_CTX *x = EVP_MD_CTX_new();
        if (c.nrem > 1) qsort(c.rem, c.nrem, sizeof(scored), cmp_id);
        {
            /* each removed id once: two removed rows of one id (ids that repeat across
             * shards) are one id, as a set of removed ids is what the commitment binds */
            size_t k = 0;
            for (size_t i = 0; i < c.nrem; i++) {
                if (k > 0 && strcmp(c.rem[k - 1].id, c.rem[i].id) == 0) {
                    dv__free(c.a, c.rem[i].id);
                    continue;
                }
                c.rem[k++] = c.rem[i];
            }
            c.nrem = k;
        }
        if (!x || EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1) rc = DV_ENOMEM;
        else {
            EVP_DigestUpdate(x, c.salt, 32);
            for (size_t i = 0; i < c.nrem; i++) {
                EVP_DigestUpdate(x, c.rem[i].id, strlen(c.rem[i].id));
                EVP_DigestUpdate(x, "\n", 1);
            }
            EVP_DigestFinal_ex(x, md, &mdlen);
            dv_hex_encode(md, 32, commit_hex);
        }
        EVP_MD_CTX_free(x);
    }
    if (rc == DV_OK) {
        /* removal-public.txt: removed ids and decoys together, in PRF order */
        size_t n = c.nrem + c.nheap;
        scored *all = dv__calloc(c.a, n + 1, sizeof(scored));
        char path[4096], tmp[4200];
        FILE *f;
        int renamed = 0;
        if (!all) rc = DV_ENOMEM;
        else {
            /* the decoys: the draw's smallest scores but removed ids, K a distinct removed
             * id (capped as the heap was) */
            uint64_t want = (uint64_t)c.nrem * decoys;
            size_t nd = 0;
            if (want > (64ull << 20)) want = 64ull << 20;
            if (c.nheap > 1) qsort(c.heap, c.nheap, sizeof(scored), cmp_scored);
            if (c.nrem) memcpy(all, c.rem, c.nrem * sizeof(scored));
            for (size_t i = 0; i < c.nheap && nd < want; i++) {
                scored key = c.heap[i];
                if (c.nrem && bsearch(&key, c.rem, c.nrem, sizeof(scored), cmp_id)) continue;
                all[c.nrem + nd++] = c.heap[i];
            }
            n = c.nrem + nd;
            c.ndecoys = nd;
            if (n > 1) qsort(all, n, sizeof(scored), cmp_scored);
            snprintf(path, sizeof path, "%s/removal-public.txt", outdir);
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            f = dv__fopen_private(tmp);
            if (!f) rc = DV_EIO;
            else {
                for (size_t i = 0; i < n; i++) {
                    dv__rec_put(f, all[i].id);
                    fputc('\n', f);
                }
                rc = dv__commit_file_ex(f, tmp, path, &renamed);
            }
            /* (until 2026-12-08 no message: the run said only "I/O error") */
            if (rc != DV_OK) dv__commit_err(err, cap, path, renamed, errno);
            dv__free(c.a, all);
        }
        *removed_out = c.nrem;
        *decoys_out = c.ndecoys;
    }
    if (rc == DV_OK) {
        /* clean.sha256: the copy's checksums, for `sha256sum -c` in the copy's folder and
         * for `datavet verify --clean` */
        char path[4096], tmp[4200];
        FILE *f;
        int renamed = 0;
        if (c.nsums > 1) qsort(c.sums, c.nsums, sizeof *c.sums, cmp_sum);
        snprintf(path, sizeof path, "%s/clean.sha256", outdir);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        f = dv__fopen_private(tmp);
        if (!f) rc = DV_EIO;
        else {
            for (size_t i = 0; i < c.nsums; i++) put_sum(f, &c.sums[i]);
            rc = dv__commit_file_ex(f, tmp, path, &renamed);
        }
        if (rc != DV_OK) dv__commit_err(err, cap, path, renamed, errno);
        *files_out = c.nsums;
        *bytes_out = c.sum_bytes;
        *left_out = c.nleft;
        *left_text = lefttxt; /* the caller frees it */
        lefttxt = NULL;
    }
    dv__free(c.a, lefttxt);
    for (uint64_t i = 0; c.left && i < nshards; i++) dv__free(c.a, c.left[i]);
    for (uint64_t i = 0; c.note && i < nshards; i++) dv__free(c.a, c.note[i]);
    dv__free(c.a, c.left);
    dv__free(c.a, c.note);
    for (unsigned t = 0; c.work && t < nw; t++) {
        EVP_MAC_CTX_free(c.work[t].mctx); /* (it cleanses its key) */
        dv__free(c.a, c.work[t].drop);
    }
    dv__free(c.a, c.work);
    dv_pool_free(pool);
    for (size_t i = 0; i < c.nsums; i++) dv__free(c.a, c.sums[i].rel);
    dv__free(c.a, c.sums);
    for (size_t i = 0; i < c.nrem; i++) dv__free(c.a, c.rem[i].id);
    for (size_t i = 0; i < c.nheap; i++) dv__free(c.a, c.heap[i].id);
    dv__free(c.a, c.rem);
    dv__free(c.a, c.heap);
    dv__free(c.a, c.hset);
    dv__free(c.a, c.removed.k);
    dv_dataset_free(ds);
    prf_close(&c);
    pthread_mutex_destroy(&c.mu);
    memset(c.prf_key, 0, 32);
    if (lockfd >= 0) close(lockfd); /* (the lock goes with it) */
    return rc;
}

/* ---------------------------------------------------------------- dv_clean_verify */

#define CLEAN_SUMS_MAX (256ull << 20)

static void vsay(dv_verify_cb cb, void *ud, const char *fmt, ...)
{
    char line[4600];
    va_list ap;
    if (!cb) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cb(ud, 1, line);
}

/* One line of sha256sum's format ("HEX  NAME" or "HEX *NAME", a leading backslash when the
 * name is escaped) into dig and name; 0 when it is not one, or the name is absolute, holds
 * a NUL or an empty, '.' or '..' component. */
static int parse_sum(const char *s, size_t n, uint8_t dig[32], char *name, size_t cap)
{
    int esc = n > 0 && s[0] == '\\';
    size_t o = 0, start = 0;
    if (esc) s++, n--;
    if (n < 67 || dv__hex_decode(s, 64, dig, 32) != 0 || s[64] != ' ' ||
        (s[65] != ' ' && s[65] != '*'))
        return 0;
    for (size_t i = 66; i < n; i++) {
        char ch = s[i];
        if (ch == '\0' || o + 1 >= cap) return 0;
        if (esc && ch == '\\') {
            if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != 'n')) return 0;
            ch = s[++i] == 'n' ? '\n' : '\\';
        }
        name[o++] = ch;
    }
    name[o] = '\0';
    if (o == 0 || name[0] == '/') return 0;
    for (size_t i = 0; i <= o; i++) {
        if (i < o && name[i] != '/') continue;
        if (i == start || (i - start == 1 && name[start] == '.') ||
            (i - start == 2 && name[start] == '.' && name[start + 1] == '.'))
            return 0;
        start = i + 1;
    }
    return 1;
}

/* The names clean.sha256 lists, sorted, for the walk that looks for files it does not. */
typedef struct namelist {
    char **v;
    size_t n, cap;
} namelist;

static int cmp_pstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything below dir/rel that is not in listed: a problem each (links and other
 * non-files too, and folders past the depth limit); links are not followed. What cannot be
 * examined (a folder that does not open, a path too long to name, an entry lstat refuses)
 * is a problem too, since anything could be below it: passed over, it hid added files. */
static int walk_extra(const char *dir, const char *rel, int depth, const namelist *listed,
                      dv_verify_cb cb, void *ud, dv_clean_verify_result *out)
{
    char path[4096], sub[4096];
    DIR *d;
    struct dirent *e;
    int rc = DV_OK;
    if (depth > 32) {
        out->files_extra++;
        vsay(cb, ud, "%s/: folders nested too deep to check", rel);
        return DV_OK;
    }
    /* rel and dir/rel fit: the caller checked them */
    snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel);
    if ((d = opendir(path)) == NULL) {
        out->files_extra++;
        vsay(cb, ud, "%s/: cannot be examined (%s): what it holds is not checked",
             rel[0] ? rel : ".", strerror(errno));
        return DV_OK;
    }
    while (rc == DV_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        char *key = sub;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
                sizeof sub ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, sub) >= sizeof path) {
            /* no name clean.sha256 can hold is that long: unlisted whatever it is */
            out->files_extra++;
            vsay(cb, ud, "%s/%s: path too long: cannot be examined, not in clean.sha256",
                 rel[0] ? rel : ".", e->d_name);
            continue;
        }
        if (lstat(path, &st) != 0) {
            out->files_extra++;
            vsay(cb, ud, "%s: cannot be examined (%s)", sub, strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk_extra(dir, sub, depth + 1, listed, cb, ud, out);
        } else if (!rel[0] && S_ISREG(st.st_mode) && strcmp(e->d_name, CLEAN_OWNER_NAME) == 0) {
            /* the owner mark: no file of the copy (docs/scan.md) */
        } else if (listed->n == 0 ||
                   !bsearch(&key, listed->v, listed->n, sizeof(char *), cmp_pstr)) {
            size_t nl = strlen(e->d_name), sl = sizeof CLEAN_TMP_SUFFIX - 1;
            out->files_extra++;
            if (nl > sl && strcmp(e->d_name + nl - sl, CLEAN_TMP_SUFFIX) == 0)
                vsay(cb, ud,
                     "%s: not in clean.sha256: a file of a --clean run that did not finish "
                     "(rerun the scan or merge --clean, which removes it)",
                     sub);
            else
                vsay(cb, ud, "%s: not in clean.sha256 (added to the copy after the scan)%s", sub,
                     S_ISREG(st.st_mode) ? "" : "; not a regular file");
        }
    }
    closedir(d);
    return rc;
}

/* Whether buf has the SHA-256 the manifest gives clean.sha256 (hex; "" matches nothing). */
static int sums_signed(const void *buf, size_t len, const char *want_hex)
{
    uint8_t want[32], got[32];
    unsigned int n = 0;
    if (dv__hex_decode(want_hex, strlen(want_hex), want, 32) != 0) return 0;
    if (EVP_Digest(buf, len, got, &n, EVP_sha256(), NULL) != 1 || n != 32) return 0;
    return memcmp(got, want, 32) == 0;
}

int dv_clean_verify(const char *outdir, const char *clean_dir, dv_verify_cb cb, void *ud,
                    dv_clean_verify_result *out, char *errbuf, size_t errcap)
{
    dv_clean_verify_opts o = {cb, ud, NULL, NULL, NULL};
    return dv_clean_verify_run(outdir, clean_dir, &o, out, errbuf, errcap);
}

int dv_clean_verify_run(const char *outdir, const char *clean_dir,
                        const dv_clean_verify_opts *opts, dv_clean_verify_result *out,
                        char *errbuf, size_t errcap)
{
    char path[4096], name[4096], hex[65];
    void *buf = NULL;
    size_t len = 0, pos = 0, lineno = 0;
    struct stat st;
    int rc;
    namelist listed = {0};
    dv_verify_cb cb = opts ? opts->cb : NULL;
    void *ud = opts ? opts->ud : NULL;
    uint64_t files = 0, done = 0, bytes = 0;
    if (!outdir || !clean_dir || !out) return DV_EINVAL;
    memset(out, 0, sizeof *out);
    if ((size_t)snprintf(path, sizeof path, "%s/clean.sha256", outdir) >= sizeof path) {
        dv__set_err(errbuf, errcap, "%s: path too long", outdir);
        return DV_ERANGE;
    }
    if ((rc = lstat(path, &st)) != 0 || !S_ISREG(st.st_mode)) {
        dv__set_err(errbuf, errcap, "%s: %s", path,
                    rc != 0 && errno == ENOENT ? "missing: the scan wrote no cleaned copy (--clean)"
                                               : "not a regular file");
        return DV_EFORMAT;
    }
    if ((rc = stat(clean_dir, &st)) != 0 || !S_ISDIR(st.st_mode)) {
        dv__set_err(errbuf, errcap, "%s: %s", clean_dir,
                    rc != 0 ? "no such folder" : "not a folder");
        return DV_EINVAL;
    }
    rc = dv_read_file(path, CLEAN_SUMS_MAX, NULL, &buf, &len, errbuf, errcap);
    if (rc != DV_OK) return rc;
    /* The manifest covers clean.sha256, but verification read it apart from this read: the
     * file could have been replaced in between. So these bytes, read once, are hashed here
     * against the manifest's digest, and only then parsed. */
    if (opts && opts->clean_sha256 && !sums_signed(buf, len, opts->clean_sha256)) {
        out->sums_differ = 1;
        vsay(cb, ud, opts->clean_sha256[0]
                         ? "clean.sha256: its SHA-256 is not the manifest's (changed since "
                           "OUTDIR was verified): the cleaned copy is not checked against it"
                         : "clean.sha256: the manifest gives no SHA-256 for it (or could not "
                           "be read): the cleaned copy is not checked against it");
        dv_free_buffer(NULL, buf);
        return DV_ECORRUPT;
    }
    if (opts && opts->progress) {
        for (size_t i = 0; i < len; i++) files += ((const char *)buf)[i] == '\n';
        files += len > 0 && ((const char *)buf)[len - 1] != '\n';
        opts->progress(opts->progress_ctx, 0, files, 0);
    }
    while (pos < len) {
        const char *text = (const char *)buf + pos, *nl = memchr(text, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - text) : len - pos;
        uint8_t want[32], got[32];
        uint64_t size;
        int fd;
        pos += ll + 1;
        lineno++;
        if (opts && opts->progress && lineno > 1)
            opts->progress(opts->progress_ctx, ++done, files, bytes);
        if (!parse_sum(text, ll, want, name, sizeof name)) {
            out->lines_bad++;
            vsay(cb, ud, "clean.sha256: line %zu: not a checksum line (\"HEX  NAME\", a "
                         "relative name without '..')", lineno);
            continue;
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s", clean_dir, name) >= sizeof path) {
            out->lines_bad++;
            vsay(cb, ud, "clean.sha256: line %zu: name too long", lineno);
            continue;
        }
        if (listed.n == listed.cap) {
            size_t nc = listed.cap ? 2 * listed.cap : 64;
            char **nv = realloc(listed.v, nc * sizeof *nv);
            if (!nv) {
                rc = DV_ENOMEM;
                break;
            }
            listed.v = nv;
            listed.cap = nc;
        }
        if ((listed.v[listed.n] = strdup(name)) == NULL) {
            rc = DV_ENOMEM;
            break;
        }
        listed.n++;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            int e = fd < 0 ? errno : 0;
            out->files_missing++;
            vsay(cb, ud, "%s: %s", name,
                 e == ENOENT ? "missing" : e == 0 || e == ELOOP ? "not a regular file"
                                                                : "cannot open");
            if (fd >= 0) close(fd);
            continue;
        }
        rc = dv__sha256_fd(fd, hex, &size);
        close(fd);
        if (rc == DV_OK) bytes += size;
        if (rc != DV_OK) {
            out->files_missing++;
            vsay(cb, ud, "%s: cannot read", name);
            rc = DV_OK;
            continue;
        }
        dv__hex_decode(hex, 64, got, 32);
        if (memcmp(got, want, 32) != 0) {
            out->files_changed++;
            vsay(cb, ud, "%s: SHA-256 differs from clean.sha256", name);
        } else {
            out->files_ok++;
        }
    }
    dv_free_buffer(NULL, buf);
    if (opts && opts->progress && rc == DV_OK && lineno > 0)
        opts->progress(opts->progress_ctx, ++done, files, bytes);
    if (rc == DV_OK) {
        /* and nothing added: the copy was written into a new or empty folder */
        if (listed.n > 1) qsort(listed.v, listed.n, sizeof(char *), cmp_pstr);
        rc = walk_extra(clean_dir, "", 0, &listed, cb, ud, out);
    }
    for (size_t i = 0; i < listed.n; i++) free(listed.v[i]);
    free(listed.v);
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "out of memory");
        return rc;
    }
    return out->files_changed || out->files_missing || out->lines_bad || out->files_extra
               ? DV_ECORRUPT
               : DV_OK;
}
