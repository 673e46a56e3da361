/* scan.c - the scan pipeline: shard reader -> batch of items -> decode/hash workers (pool)
 * -> matcher (lists, PDQ index, flags) -> per-shard record file, committed atomically with
 * a done marker so a killed scan resumes without losing or repeating records. */
#include "scan_internal.h"
#include "../io/io_readers.h"
#include "../match/list_internal.h"
#include "../hash/url_internal.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_ITEMS 256u
#define BATCH_BYTES (64u << 20)
#define NO_IMG ((size_t)-1)
_Static_assert(BATCH_ITEMS <= 65536, "scan.order holds slot indexes as uint16_t");
#define URL_NORM_CAP (3 * DV__LIST_URL_MAX + 2)
/* items ahead whose list lookups are prefetched (prefetch_slot) */
#define PREFETCH_ITEMS 8

typedef struct slist {
    const char *path;
    dv_list *list;
    dv_list_info info;
    char digest[65];
    dv_pdq_index *index;
    uint64_t checked; /* items of the current shard looked up in the list */
} slist;

typedef struct slot {
    dv_item it;
    dv__dbuf strs;      /* id, url, caption, status, image name, problem message */
    size_t img_off;     /* the image bytes' place in the batch's arena, or NO_IMG */
    int hash_rc;
    int reader_error;   /* not an item: a record or row group the reader skipped */
    dv_hash_result hr;
    char errmsg[512];
} slot;

typedef struct pdq_hit {
    uint64_t query, entry;
    int distance, dihedral;
} pdq_hit;

typedef struct hitvec {
    pdq_hit *v;
    size_t n, cap;
    int oom;
} hitvec;

typedef struct scan {
    const dv_scan_opts *o;
    const dv_alloc *a;
    dv_dataset *ds;
    slist *lists;
    size_t nlists;
    /* PDQ lists are indexed on their own thread while the first batches are read
     * and hashed; joined before the first match */
    pthread_t indexer;
    int indexing;
    int index_failed; /* index of the list that could not be indexed, + 1 */
    int lockfd;       /* OUTDIR/lock (lock_shards), -1 if none */
    dv__terms *terms;
    /* the hashes of the item being matched, in hex, for its findings (match_slot) */
    struct {
        char md5[33], sha1[41], sha256[65], pdq[65];
        int pdq_quality;
        int done; /* for the item match_slot is at */
    } ih;
    dv_pool *pool;
    dv_hasher **hashers;
    unsigned nthreads;
    /* two batches: one filled (read, fetched) by the scanning thread while the other is
     * decoded and hashed by the pool, driven from a second thread */
    slot slots[2][BATCH_ITEMS];
    slot *fill, *hashing;
    /* each batch's image bytes, packed: allocated once and reused, so no batch touches
     * fresh pages; zeroed item by item after hashing */
    dv__dbuf arena[2];
    dv__dbuf *fill_ar, *hash_ar;
    /* the hashing batch's slots, largest image first: a big image taken last would leave
     * the other workers idle until it is done */
    uint16_t order[BATCH_ITEMS];
    size_t nfill, nhashing;
    uint64_t fill_bytes;
    pthread_t driver;
    int inflight, driver_rc;
    int need_image_hash; /* some list is md5/sha1/sha256/pdq */
    int need_url;        /* some list is url or a URL hash: URLs are normalised */
    /* the batch's URLs normalised before it is matched (normalise_urls), so that each lookup
     * can be prefetched a few items ahead of its use */
    dv__dbuf nurls;
    struct {
        size_t off, len;
        int ok;
    } nurl[BATCH_ITEMS], nalt[BATCH_ITEMS]; /* nalt: dv_item.url_alt, where it normalises to
                                               another URL than url */
    /* per shard */
    FILE *rec;
    dv__ctrs ctr;
    int oom;
    dv_pdq_hash *queries;
    uint64_t *query_slot;
    hitvec *hits; /* per list */
    dv_fetcher *fetcher;
    dv_scan_progress prog;
    /* how far the shard being scanned is (dv__shard_reader_fraction, 0 when unknown), and
     * what of it the run's sum holds (a worker's); partial: that sum (the run's main scan) */
    double part, part_told, partial;
    char *err;
    size_t errcap;
    /* shard workers (run_workers): a worker owns its batches, pool, hashers, terms and
     * list counters, and shares the dataset, the lists and the run's progress */
    struct wrun *run;
    int clone;
    char errspace[1024];
    /* read errors of the shard being scanned: their count and the first one's message */
    uint64_t shard_unread;
    char unread_first[600];
    /* the run's shards with read errors (dv_scan_result.unread); the main scan's is used */
    char unread[2048];
    size_t unread_len;
} scan;

/* The shards of a run taken by several workers, one shard each at a time, in order. A
 * failure stops the shards not yet taken, all above it; those taken before it still run, and
 * the lowest failing shard's failure is the one told (fail_shard), as a run on one thread
 * would tell it, whatever the workers' timing. */
typedef struct wrun {
    pthread_mutex_t mu;
    scan *main;
    const uint64_t *todo;
    size_t ntodo, next;
    int rc, stop;
    uint64_t fail_shard;
} wrun;

static void report_progress(scan *s);

/* ---------------------------------------------------------------- counters */

static void count(scan *s, const char *key, uint64_t v)
{
    if (dv__ctrs_add(s->a, &s->ctr, key, v) != DV_OK) s->oom = 1;
}

static void countf(scan *s, uint64_t v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void countf(scan *s, uint64_t v, const char *fmt, ...)
{
    char key[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    count(s, key, v);
}

static void counters_reset(scan *s) { dv__ctrs_clear(s->a, &s->ctr); }

/* s as a record shows it: base64 of an image anywhere inside it withheld (in a URL, as
 * dv_url_redact withholds it, or in a message, which may name one),
 * into *tofree (the caller frees it) when there is any. The items' URLs are kept whole, to be
 * fetched and looked up in URL lists; a data: URI's content is not (slot_fill). */
static const char *shown(const scan *s, const char *t, char **tofree)
{
    size_t n, k;
    *tofree = NULL;
    if (t == NULL) return t;
    n = strlen(t);
    if ((k = dv__b64_image_redact(t, n, 0, NULL, 0)) == 0) return t;
    if ((*tofree = dv__malloc(s->a, k + 1)) == NULL) return "<withheld: it holds an image>";
    dv__b64_image_redact(t, n, 0, *tofree, k + 1);
    return *tofree;
}

/* Part of a shard (or all of it) not read: counted, for the record and for this run, which
 * is then incomplete; the first message of a shard is kept for dv_scan_result.unread. */
static void read_error(scan *s, const char *msg)
{
    count(s, "read_errors", 1);
    s->prog.read_errors++;
    if (s->shard_unread++ == 0) {
        char *red;
        snprintf(s->unread_first, sizeof s->unread_first, "%.*s",
                 (int)sizeof s->unread_first - 1, shown(s, msg, &red));
        dv__free(s->a, red);
    }
}

static int cmp_shard_line(const void *a, const void *b)
{
    unsigned long long x = strtoull(*(const char *const *)a + 6, NULL, 10);
    unsigned long long y = strtoull(*(const char *const *)b + 6, NULL, 10);
    return x < y ? -1 : x > y;
}

/* The run's lines of shards with read errors in shard order (workers finish in any order),
 * so that what a run says does not depend on -j. */
static void unread_sorted(const scan *s, char *out, size_t cap)
{
    char buf[sizeof s->unread], *lines[sizeof s->unread / 8];
    size_t n = 0, len = 0;
    memcpy(buf, s->unread, sizeof buf);
    buf[sizeof buf - 1] = '\0';
    for (char *p = buf; *p && n < sizeof lines / sizeof lines[0];) {
        char *e = strchr(p, '\n');
        lines[n++] = p;
        if (!e) break;
        *e = '\0';
        p = e + 1;
    }
    if (n > 1) qsort(lines, n, sizeof lines[0], cmp_shard_line);
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int k = snprintf(out + len, cap - len, "%s\n", lines[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
}

/* After shard i: its read errors, if any, as one line of the run's list. */
static void note_unread(scan *s, const dv_shard_info *sh)
{
    scan *m = s->run ? s->run->main : s;
    if (s->shard_unread == 0) return;
    if (s->run) pthread_mutex_lock(&s->run->mu);
    if (m->unread_len < sizeof m->unread - 1) {
        /* escaped (dv__text_line): the path and the message name files and members */
        m->unread_len += dv__text_line(m->unread + m->unread_len,
                                       sizeof m->unread - m->unread_len,
                                       "shard %llu (%s): %llu read error%s, the first: %s\n",
                                       (unsigned long long)sh->index, sh->path ? sh->path : "",
                                       (unsigned long long)s->shard_unread,
                                       s->shard_unread == 1 ? "" : "s", s->unread_first);
    }
    if (s->run) pthread_mutex_unlock(&s->run->mu);
}

/* ---------------------------------------------------------------- records */

/* The shortest decimal that reads back as the same double (0.95, not 0.94999999999999996). */
static void fmt_double(char *out, size_t cap, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

static void put_fields(FILE *f, const char *tag, const char *const *v, size_t n)
{
    fputs(tag, f);
    for (size_t i = 0; i < n; i++) {
        fputc('\t', f);
        dv__rec_put(f, v[i] ? v[i] : "");
    }
    fputc('\n', f);
}

static void emit_finding(scan *s, const dv__finding *x)
{
    char si[24], row[24], dist[16], score[40], er[24], pq[16], *red, *rv = NULL;
    const char *v[DV__REC_FINDING_FIELDS];
    snprintf(si, sizeof si, "%lld", (long long)x->shard_index);
    snprintf(row, sizeof row, "%lld", (long long)x->row);
    snprintf(dist, sizeof dist, "%d", x->distance);
    if (!isfinite(x->score)) score[0] = '\0'; /* (no JSON number: a punsafe of inf says so in value) */
    else fmt_double(score, sizeof score, x->score);
    snprintf(er, sizeof er, "%lld", (long long)x->emb_row);
    v[0] = x->id, v[1] = x->shard, v[2] = si, v[3] = row, v[4] = shown(s, x->url, &red);
    v[5] = x->hash_type;
    /* a URL list's match: the value is the normalised URL */
    v[6] = x->source;
    v[7] = x->source && strcmp(x->source, "url") == 0 ? shown(s, x->value, &rv) : x->value;
    v[8] = x->list, v[9] = x->list_version;
    v[10] = x->list_digest, v[11] = x->entry_id, v[12] = x->label, v[13] = dist;
    v[14] = x->dihedral, v[15] = score, v[16] = x->tier, v[17] = x->seed, v[18] = x->emb_file;
    v[19] = er;
    v[20] = x->item_md5, v[21] = x->item_sha1, v[22] = x->item_sha256, v[23] = x->item_pdq;
    if (x->item_pdq_quality >= 0) snprintf(pq, sizeof pq, "%d", x->item_pdq_quality);
    else pq[0] = '\0';
    v[24] = pq;
    put_fields(s->rec, "F", v, DV__REC_FINDING_FIELDS);
    dv__free(s->a, red);
    dv__free(s->a, rv);
    countf(s, 1, "tier.%s", x->tier);
    countf(s, 1, "list.%s.%s", x->list[0] ? x->list : "(flag)", x->tier);
    countf(s, 1, "hash.%s.%s", x->hash_type, x->tier);
    countf(s, 1, "shard_findings.%06lld", (long long)x->shard_index);
    if (strcmp(x->hash_type, "pdq") == 0) countf(s, 1, "pdq_distance.%02d", x->distance);
    s->prog.findings++;
}

static void emit_error(scan *s, const dv_shard_info *sh, int64_t row, const char *id,
                       const char *url, const char *reason, const char *msg)
{
    char si[24], r[24], *ru, *rm;
    const char *v[6];
    snprintf(si, sizeof si, "%llu", (unsigned long long)sh->index);
    snprintf(r, sizeof r, "%lld", (long long)row);
    v[0] = si, v[1] = r, v[2] = id, v[3] = shown(s, url, &ru), v[4] = reason;
    v[5] = shown(s, msg, &rm);
    put_fields(s->rec, "E", v, 6);
    dv__free(s->a, ru);
    dv__free(s->a, rm);
    countf(s, 1, "error.%s", reason);
    s->prog.errors++;
}

static const char *reason_of(int rc)
{
    switch (rc) {
    case DV_ETOOBIG: return "too_big";
    case DV_EFORMAT: return "unsupported_format";
    case DV_ECORRUPT: return "corrupt";
    case DV_EIO: return "io";
    case DV_ENOMEM: return "out_of_memory";
    default: return "other";
    }
}

/* ---------------------------------------------------------------- batch */

static int slot_str(scan *s, slot *sl, const char *src, const char **dst, size_t *offs, int k)
{
    size_t n;
    if (!src) {
        offs[k] = (size_t)-1;
        return DV_OK;
    }
    n = strlen(src) + 1;
    offs[k] = sl->strs.len;
    return dv__dbuf_append(s->a, &sl->strs, src, n);
    (void)dst;
}

/* Copy n image bytes into the filling batch's arena for sl. When the arena must grow, the
 * old block is zeroed before it is freed (it holds this batch's images) and every slot of
 * the batch is pointed at the new one. */
static int arena_put(scan *s, slot *sl, const uint8_t *p, size_t n)
{
    dv__dbuf *ar = s->fill_ar;
    if (n > SIZE_MAX - ar->len) return DV_ENOMEM;
    if (ar->len + n > ar->cap) {
        size_t cap = ar->cap ? ar->cap : (size_t)1 << 20;
        uint8_t *np;
        while (cap < ar->len + n) {
            if (cap > SIZE_MAX / 2) return DV_ENOMEM;
            cap *= 2;
        }
        np = dv__malloc(s->a, cap);
        if (np == NULL) return DV_ENOMEM;
        if (ar->p != NULL) {
            memcpy(np, ar->p, ar->len);
            memset(ar->p, 0, ar->len);
            dv__free(s->a, ar->p);
        }
        ar->p = np;
        ar->cap = cap;
        for (size_t i = 0; i < BATCH_ITEMS; i++) {
            slot *o = &s->fill[i];
            if (o != sl && o->img_off != NO_IMG) o->it.image = np + o->img_off;
        }
    }
    memcpy(ar->p + ar->len, p, n);
    sl->img_off = ar->len;
    sl->it.image = ar->p + ar->len;
    sl->it.image_len = n;
    ar->len += n;
    return DV_OK;
}

/* Where item it's image is, for an error about it, as the readers' own item errors name it:
 * "x.parquet: row 17: column jpg" (an image of a list column with its place in the list:
 * "column images.list.element.bytes[2]"),
 * "urls.txt:2: data: URI", "00001.tar: 000010007.jpg", a folder's image by its file, a
 * fetched image by its URL after the place of its row. */
static void image_where(const scan *s, const dv_shard_info *sh, const dv_item *it, char *buf,
                        size_t cap)
{
    const dv_layout lay = dv_dataset_layout(s->ds);
    const char *name = it->image_name ? it->image_name : it->url ? it->url : "";
    char where[900];
    if (lay == DV_LAYOUT_IMAGES && it->image_name) {
        snprintf(buf, cap, "%s", name);
        return;
    }
    if ((lay == DV_LAYOUT_WEBDATASET || lay == DV_LAYOUT_IMG2DATASET) && it->image_name) {
        snprintf(buf, cap, "%s: %s", sh->path, name);
        return;
    }
    dv__item_where(lay, sh, it, where, sizeof where);
    snprintf(buf, cap, "%s: %s%s", where,
             lay == DV_LAYOUT_PARQUET && it->image_name &&
                     strcmp(it->image_name, DV__DATA_URI_NAME) != 0
                 ? "column "
                 : "",
             name);
}

/* Copy an item of shard sh out of the reader's buffers into slot sl. */
static int slot_fill(scan *s, const dv_shard_info *sh, slot *sl, const dv_item *it)
{
    size_t offs[9];
    char red[DV_URL_REDACT_CAP], red_alt[DV_URL_REDACT_CAP];
    /* a data: URI's content (an image) never reaches an output */
    const char *src[9] = {it->id,           dv__url_redact_data(it->url, red, sizeof red),
                          it->caption,      it->status,
                          it->image_name,   it->problem_msg,
                          dv__url_redact_data(it->url_alt, red_alt, sizeof red_alt),
                          it->caption_alt,  it->id_msg};
    /* an image of 0 bytes is an error, not an item without an image */
    int empty = it->image && it->image_len == 0 && !it->problem;
    char where[1000], msg[1100];
    if (empty) {
        image_where(s, sh, it, where, sizeof where);
        snprintf(msg, sizeof msg, "%s: an image of 0 bytes", where);
        src[5] = msg;
    }
    sl->strs.len = 0;
    for (int k = 0; k < 9; k++)
        DV_FORWARD_IF_ERROR(slot_str(s, sl, src[k], NULL, offs, k));
    sl->it = *it;
    if (empty) sl->it.problem = DV_ECORRUPT;
    {
        const char **dst[9] = {&sl->it.id,         &sl->it.url,        &sl->it.caption,
                               &sl->it.status,     &sl->it.image_name, &sl->it.problem_msg,
                               &sl->it.url_alt,    &sl->it.caption_alt, &sl->it.id_msg};
        for (int k = 0; k < 9; k++)
            *dst[k] = offs[k] == (size_t)-1 ? NULL : (const char *)sl->strs.p + offs[k];
    }
    sl->hash_rc = DV_OK;
    sl->reader_error = 0;
    sl->errmsg[0] = '\0';
    memset(&sl->hr, 0, sizeof sl->hr);
    sl->img_off = NO_IMG;
    if (it->image && it->image_len > 0 && s->need_image_hash) {
        DV_FORWARD_IF_ERROR(arena_put(s, sl, it->image, it->image_len));
    } else {
        sl->it.image = NULL;
        sl->it.image_len = it->image && !s->need_image_hash ? it->image_len : 0;
    }
    return DV_OK;
}

/* A job hashes HASH_GROUP slots of the batch in size order (s->order), so that their
 * digests run side by side in vector lanes (dv_digests_compute_many) on images of about
 * one size. */
#define HASH_GROUP 16u

static size_t hash_jobs(const scan *s) { return (s->nhashing + HASH_GROUP - 1) / HASH_GROUP; }

static void hash_job(void *ctx, size_t job, unsigned worker)
{
    scan *s = ctx;
    size_t first = job * HASH_GROUP, end = first + HASH_GROUP, n = 0;
    const void *bufs[HASH_GROUP];
    size_t lens[HASH_GROUP];
    slot *sls[HASH_GROUP];
    dv_digests pre[HASH_GROUP];
    int have;
    if (end > s->nhashing) end = s->nhashing;
    for (size_t k = first; k < end; k++) {
        slot *sl = &s->hashing[s->order[k]];
        if (!sl->it.image) continue;
        if (sl->it.problem) {
            if (sl->img_off != NO_IMG) memset(s->hash_ar->p + sl->img_off, 0, sl->it.image_len);
            continue;
        }
        bufs[n] = sl->it.image;
        lens[n] = sl->it.image_len;
        sls[n++] = sl;
    }
    have = n > 0 && dv_digests_compute_many(DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, bufs,
                                            lens, n, pre) == DV_OK;
    for (size_t i = 0; i < n; i++) {
        slot *sl = sls[i];
        sl->hash_rc = dv_hasher_hash_digested(s->hashers[worker], sl->it.image, sl->it.image_len,
                                              have ? &pre[i] : NULL, &sl->hr);
        if (sl->hash_rc != DV_OK)
            snprintf(sl->errmsg, sizeof sl->errmsg, "%s", dv_hasher_errmsg(s->hashers[worker]));
        /* image bytes live only while they are hashed */
        if (sl->img_off != NO_IMG) memset(s->hash_ar->p + sl->img_off, 0, sl->it.image_len);
    }
}

static int on_pdq(void *ctx, const dv_pdq_match *m, size_t n)
{
    hitvec *h = ctx;
    if (h->n + n > h->cap) {
        size_t nc = h->cap ? h->cap : 64;
        pdq_hit *v;
        while (nc < h->n + n) nc *= 2;
        v = realloc(h->v, nc * sizeof(pdq_hit));
        if (!v) {
            h->oom = 1;
            return 1;
        }
        h->v = v;
        h->cap = nc;
    }
    for (size_t i = 0; i < n; i++) {
        h->v[h->n].query = m[i].query;
        h->v[h->n].entry = m[i].entry;
        h->v[h->n].distance = m[i].distance;
        h->v[h->n].dihedral = m[i].dihedral;
        h->n++;
    }
    return 0;
}

/* s->ih: the hashes datavet computed from the item's image bytes, for its findings */
static void item_hashes(scan *s, const slot *sl)
{
    const dv_digests *d = &sl->hr.digests;
    int img = sl->it.image != NULL;
    s->ih.md5[0] = s->ih.sha1[0] = s->ih.sha256[0] = s->ih.pdq[0] = '\0';
    s->ih.pdq_quality = -1;
    s->ih.done = 1;
    if (img && (d->have & DV_ALGO_MD5)) dv_hex_encode(d->md5, 16, s->ih.md5);
    if (img && (d->have & DV_ALGO_SHA1)) dv_hex_encode(d->sha1, 20, s->ih.sha1);
    if (img && (d->have & DV_ALGO_SHA256)) dv_hex_encode(d->sha256, 32, s->ih.sha256);
    if (img && !sl->it.problem && sl->hash_rc == DV_OK && sl->hr.has_pdq) {
        dv_pdq_to_hex(&sl->hr.pdq.hash[0], s->ih.pdq);
        s->ih.pdq_quality = sl->hr.pdq.quality;
    }
}

static void base_finding(scan *s, const dv_shard_info *sh, const slot *sl, dv__finding *f)
{
    memset(f, 0, sizeof *f);
    f->id = sl->it.id ? sl->it.id : "";
    f->shard = sh->name;
    f->shard_index = (int64_t)sh->index;
    f->row = (int64_t)sl->it.row;
    f->url = sl->it.url ? sl->it.url : "";
    f->value = f->list = f->list_version = f->list_digest = f->entry_id = f->label = "";
    f->dihedral = f->seed = f->emb_file = "";
    f->distance = -1;
    f->score = NAN;
    f->emb_row = sl->it.emb_row;
    if (sl->it.emb_row >= 0 && sh->emb_path) f->emb_file = sh->emb_path;
    if (!s->ih.done) item_hashes(s, sl);
    f->item_md5 = s->ih.md5, f->item_sha1 = s->ih.sha1, f->item_sha256 = s->ih.sha256;
    f->item_pdq = s->ih.pdq, f->item_pdq_quality = s->ih.pdq_quality;
}

static void list_finding(scan *s, const dv_shard_info *sh, const slot *sl, const slist *l,
                         uint64_t entry, const char *source, const char *value, int distance,
                         const char *dih)
{
    dv__finding f;
    dv_list_entry e;
    memset(&e, 0, sizeof e);
    dv_list_get_entry(l->list, entry, &e);
    base_finding(s, sh, sl, &f);
    f.hash_type = dv_hash_type_name(l->info.type);
    f.source = source;
    f.value = value;
    f.list = l->info.name ? l->info.name : "";
    f.list_version = l->info.version ? l->info.version : "";
    f.list_digest = l->digest;
    f.entry_id = e.id ? e.id : "";
    f.label = e.label ? e.label : "";
    f.distance = distance;
    f.dihedral = dih ? dih : "";
    f.tier = "match";
    emit_finding(s, &f);
}

static void exact(scan *s, const dv_shard_info *sh, const slot *sl, const slist *l,
                  const uint8_t *key, size_t klen, const char *source)
{
    char hex[65];
    int64_t e = dv_list_find(l->list, key, klen);
    if (e < 0) return;
    dv_hex_encode(key, klen, hex);
    list_finding(s, sh, sl, l, (uint64_t)e, source, hex, 0, NULL);
}

static int is_url_hash_type(dv_hash_type t)
{
    return t == DV_HT_URL_MD5 || t == DV_HT_URL_SHA1 || t == DV_HT_URL_SHA256;
}

static int url_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Every item's URL normalised (once a row: the first item of a row's images), into s->nurls
 * with s->nurl[j] saying where (s->nalt[j] for an img2dataset sample's other URL, its .json's:
 * dv_item.url_alt); only when a URL list asks. Blanks at its ends are dropped first, as list
 * build drops them from a list's lines and fields: "http://x/a.jpg " in a CSV or parquet
 * column is the listed http://x/a.jpg (as a browser and the fetcher read it), not
 * http://x/a.jpg%20, which no list holds. */
static int normalise_url(scan *s, const char *u, size_t *off, size_t *nlen, int *ok)
{
    size_t ulen = 0, len = strlen(u);
    *off = 0, *nlen = 0, *ok = 0;
    while (len > 0 && url_blank(u[0])) u++, len--;
    while (len > 0 && url_blank(u[len - 1])) len--;
    if (dv__dbuf_reserve(s->a, &s->nurls, URL_NORM_CAP) != DV_OK) return DV_ENOMEM;
    if (dv_url_normalize(u, len, (char *)s->nurls.p + s->nurls.len, URL_NORM_CAP, &ulen) != DV_OK)
        return DV_OK;
    *off = s->nurls.len, *nlen = ulen, *ok = 1;
    s->nurls.len += ulen + 1;
    return DV_OK;
}

static int normalise_urls(scan *s, const slot *b, size_t n)
{
    s->nurls.len = 0;
    for (size_t j = 0; j < n; j++) {
        const dv_item *it = &b[j].it;
        s->nurl[j].off = 0, s->nurl[j].len = 0, s->nurl[j].ok = 0;
        s->nalt[j].off = 0, s->nalt[j].len = 0, s->nalt[j].ok = 0;
        if (!s->need_url || b[j].reader_error || it->list_index != 0) continue;
        if (it->url && *it->url &&
            normalise_url(s, it->url, &s->nurl[j].off, &s->nurl[j].len, &s->nurl[j].ok) != DV_OK)
            return DV_ENOMEM;
        /* a .json URL that is no URL beside the row's is passed over, as such a digest is */
        if (it->url_alt && *it->url_alt &&
            normalise_url(s, it->url_alt, &s->nalt[j].off, &s->nalt[j].len, &s->nalt[j].ok) !=
                DV_OK)
            return DV_ENOMEM;
        if (s->nalt[j].ok && s->nurl[j].ok && s->nalt[j].len == s->nurl[j].len &&
            memcmp(s->nurls.p + s->nalt[j].off, s->nurls.p + s->nurl[j].off, s->nurl[j].len) == 0)
            s->nalt[j].ok = 0; /* the same URL once normalised: looked up once */
    }
    return DV_OK;
}

/* Start loading what item j's lookups will touch (its digests' and URL's slots in the lists'
 * hash indexes): absent keys, most of a scan's, then cost no wait for memory. */
static void prefetch_slot(const scan *s, const slot *b, size_t j)
{
    const dv_item *it = &b[j].it;
    if (b[j].reader_error) return;
    for (size_t li = 0; li < s->nlists; li++) {
        const dv_list *l = s->lists[li].list;
        switch (s->lists[li].info.type) {
        case DV_HT_MD5:
            if (it->have & DV_ALGO_MD5) dv__list_prefetch(l, it->md5, 16);
            break;
        case DV_HT_SHA1:
            if (it->have & DV_ALGO_SHA1) dv__list_prefetch(l, it->sha1, 20);
            break;
        case DV_HT_SHA256:
            if (it->have & DV_ALGO_SHA256) dv__list_prefetch(l, it->sha256, 32);
            break;
        case DV_HT_URL:
            if (s->nurl[j].ok) dv__list_prefetch(l, s->nurls.p + s->nurl[j].off, s->nurl[j].len);
            if (s->nalt[j].ok) dv__list_prefetch(l, s->nurls.p + s->nalt[j].off, s->nalt[j].len);
            break;
        default: break;
        }
    }
}

/* A hash column's value that is no digest (dv_item.bad_digest) is not silently passed over when
 * lists of its kind are given: an error, bad_digest, as a bad URL is; the scan goes on and is
 * not incomplete (the item's other columns and its image are checked). The message names where
 * the value came from: a column (of the img2dataset sample's .parquet) or a .json member. */
static void bad_digests(scan *s, const dv_shard_info *sh, const dv_item *it)
{
    static const struct {
        unsigned algo;
        dv_hash_type type;
        const char *col, *what, *hex;
    } k[] = {{DV_ALGO_MD5, DV_HT_MD5, "md5", "an MD5 (32 hex digits or 16 bytes)",
              "an MD5 (32 hex digits)"},
             {DV_ALGO_SHA1, DV_HT_SHA1, "sha1", "a SHA-1 (40 hex digits or 20 bytes)",
              "a SHA-1 (40 hex digits)"},
             {DV_ALGO_SHA256, DV_HT_SHA256, "sha256", "a SHA-256 (64 hex digits or 32 bytes)",
              "a SHA-256 (64 hex digits)"}};
    dv_layout lay = dv_dataset_layout(s->ds);
    for (size_t a = 0; a < sizeof k / sizeof k[0]; a++) {
        size_t li;
        char where[900], from[1100], msg[2200];
        if (!(it->bad_digest & k[a].algo)) continue;
        for (li = 0; li < s->nlists; li++)
            if (s->lists[li].info.type == k[a].type) break;
        if (li == s->nlists) continue;
        dv__item_where(lay, sh, it, where, sizeof where);
        if (it->digest_json & k[a].algo)
            snprintf(from, sizeof from, ".json member %s", k[a].col);
        else if (lay == DV_LAYOUT_IMG2DATASET && it->sample >= 0 && sh->meta_path)
            /* a sample is named by its tar; the value is its row's in the .parquet */
            snprintf(from, sizeof from, "column %s of %s", k[a].col, sh->meta_path);
        else
            snprintf(from, sizeof from, "column %s", k[a].col);
        /* text (a URL list's field, a .json member, a STRING column): hex only */
        snprintf(msg, sizeof msg, "%s: %s is not %s: not checked against the %s lists by it",
                 where, from, (it->digest_text & k[a].algo) ? k[a].hex : k[a].what, k[a].col);
        emit_error(s, sh, (int64_t)it->row, it->id, it->url, "bad_digest", msg);
    }
}

/* A normalised URL against a URL list or, hashed, a URL-hash list (source "url"). */
static void url_lookup(scan *s, const dv_shard_info *sh, const slot *sl, const slist *l,
                       const char *nurl, size_t ulen)
{
    dv_digests ud;
    unsigned algo;
    const uint8_t *k;
    size_t kl;
    int64_t e;
    char hex[65];
    if (l->info.type == DV_HT_URL) {
        e = dv_list_find(l->list, nurl, ulen);
        if (e >= 0) list_finding(s, sh, sl, l, (uint64_t)e, "url", nurl, 0, NULL);
        return;
    }
    algo = l->info.type == DV_HT_URL_MD5    ? DV_ALGO_MD5
           : l->info.type == DV_HT_URL_SHA1 ? DV_ALGO_SHA1
                                            : DV_ALGO_SHA256;
    kl = dv_hash_type_size(l->info.type);
    if (dv_digests_compute(algo, nurl, ulen, &ud) != DV_OK) return;
    k = algo == DV_ALGO_MD5 ? ud.md5 : algo == DV_ALGO_SHA1 ? ud.sha1 : ud.sha256;
    e = dv_list_find(l->list, k, kl);
    if (e < 0) return;
    dv_hex_encode(k, kl, hex);
    list_finding(s, sh, sl, l, (uint64_t)e, "url", hex, 0, NULL);
}

static void match_slot(scan *s, const dv_shard_info *sh, slot *b, size_t j)
{
    slot *sl = &b[j];
    const dv_item *it = &sl->it;
    size_t ulen = s->nurl[j].len, alen = s->nalt[j].len;
    int url_ok = s->nurl[j].ok, alt_ok = s->nalt[j].ok;
    /* (no pointer arithmetic on the buffer while it is NULL: nothing was normalised) */
    const char *nurl = url_ok ? (const char *)s->nurls.p + s->nurl[j].off : "";
    const char *nalt = alt_ok ? (const char *)s->nurls.p + s->nalt[j].off : "";
    s->ih.done = 0;
    for (size_t li = 0; li < s->nlists; li++) {
        const slist *l = &s->lists[li];
        const dv_digests *d = &sl->hr.digests;
        int img = it->image != NULL && sl->hr.digests.have;
        unsigned want = l->info.type == DV_HT_MD5    ? DV_ALGO_MD5
                        : l->info.type == DV_HT_SHA1 ? DV_ALGO_SHA1
                                                     : DV_ALGO_SHA256;
        /* what each list was asked about: a list that checked no item is said at the merge */
        switch (l->info.type) {
        case DV_HT_MD5:
        case DV_HT_SHA1:
        case DV_HT_SHA256:
            s->lists[li].checked +=
                ((it->have | it->digest_alt) & want) || (img && (d->have & want));
            break;
        case DV_HT_PDQ:
            s->lists[li].checked += img && !it->problem && sl->hash_rc == DV_OK &&
                                    sl->hr.has_pdq && sl->hr.pdq.quality >= 50;
            break;
        default: s->lists[li].checked += url_ok || alt_ok; break;
        }
        /* the metadata's digest, an img2dataset sample's other one (its .json's, where its
         * .parquet row gives another: dv_item.digest_alt), and the image's, each once */
        switch (l->info.type) {
        case DV_HT_MD5:
            if (it->have & DV_ALGO_MD5) exact(s, sh, sl, l, it->md5, 16, "metadata");
            if (it->digest_alt & DV_ALGO_MD5) exact(s, sh, sl, l, it->alt_md5, 16, "metadata");
            if (img && (d->have & DV_ALGO_MD5) &&
                !((it->have & DV_ALGO_MD5) && memcmp(it->md5, d->md5, 16) == 0) &&
                !((it->digest_alt & DV_ALGO_MD5) && memcmp(it->alt_md5, d->md5, 16) == 0))
                exact(s, sh, sl, l, d->md5, 16, "image");
            break;
        case DV_HT_SHA1:
            if (it->have & DV_ALGO_SHA1) exact(s, sh, sl, l, it->sha1, 20, "metadata");
            if (it->digest_alt & DV_ALGO_SHA1) exact(s, sh, sl, l, it->alt_sha1, 20, "metadata");
            if (img && (d->have & DV_ALGO_SHA1) &&
                !((it->have & DV_ALGO_SHA1) && memcmp(it->sha1, d->sha1, 20) == 0) &&
                !((it->digest_alt & DV_ALGO_SHA1) && memcmp(it->alt_sha1, d->sha1, 20) == 0))
                exact(s, sh, sl, l, d->sha1, 20, "image");
            break;
        case DV_HT_SHA256:
            if (it->have & DV_ALGO_SHA256) exact(s, sh, sl, l, it->sha256, 32, "metadata");
            if (it->digest_alt & DV_ALGO_SHA256)
                exact(s, sh, sl, l, it->alt_sha256, 32, "metadata");
            if (img && (d->have & DV_ALGO_SHA256) &&
                !((it->have & DV_ALGO_SHA256) && memcmp(it->sha256, d->sha256, 32) == 0) &&
                !((it->digest_alt & DV_ALGO_SHA256) &&
                  memcmp(it->alt_sha256, d->sha256, 32) == 0))
                exact(s, sh, sl, l, d->sha256, 32, "image");
            break;
        case DV_HT_URL:
        case DV_HT_URL_MD5:
        case DV_HT_URL_SHA1:
        case DV_HT_URL_SHA256:
            /* the item's URL and an img2dataset sample's other one (its .json's, where its
             * .parquet row gives another: dv_item.url_alt), each once */
            if (url_ok) url_lookup(s, sh, sl, l, nurl, ulen);
            if (alt_ok) url_lookup(s, sh, sl, l, nalt, alen);
            break;
        case DV_HT_PDQ: {
            const hitvec *h = &s->hits[li];
            /* hits are in query order; find this slot's queries */
            for (size_t k = 0; k < h->n; k++) {
                const pdq_hit *p = &h->v[k];
                char hex[65];
                if (s->query_slot[p->query] != j) continue;
                dv_pdq_to_hex(&sl->hr.pdq.hash[p->dihedral], hex);
                list_finding(s, sh, sl, l, p->entry, "image", hex, p->distance,
                             dv_dihedral_name((dv_dihedral)p->dihedral));
            }
            break;
        }
        default: break;
        }
    }
    if (s->o->flag_punsafe >= 0 && it->has_punsafe) count(s, "items_with_punsafe", 1);
    if (it->meta_unread) count(s, "meta_unread", 1);
    if (it->image_path_only) count(s, "image_path_only", 1);
    if (s->terms && it->caption && *it->caption) count(s, "items_with_caption", 1);
    if (it->url && *it->url && it->list_index == 0 && !url_ok &&
        strncasecmp(it->url, "data:", 5) != 0) { /* a data: URI carries its image inline */
        /* a URL the URL lists cannot be asked about is not silently passed over */
        for (size_t li = 0; li < s->nlists; li++)
            if (s->lists[li].info.type == DV_HT_URL || is_url_hash_type(s->lists[li].info.type)) {
                char where[900], msg[1100];
                /* named where it is, as a reader's bad row is: list.csv:3, x.parquet: row 2 */
                dv__item_where(dv_dataset_layout(s->ds), sh, it, where, sizeof where);
                snprintf(msg, sizeof msg,
                         "%s: not a URL the URL lists can be checked against (no "
                         "scheme://host, a bad %%-escape or port, or a URL over 64 KiB)",
                         where);
                emit_error(s, sh, (int64_t)it->row, it->id, it->url, "bad_url", msg);
                break;
            }
    }
    if (it->url_nul && it->list_index == 0) {
        /* said whether URL lists are given or not: the records and removal.txt carry no URL
         * for the item (or its .parquet row's), and --fetch has none to fetch */
        char where[900], msg[1100];
        dv__item_where(dv_dataset_layout(s->ds), sh, it, where, sizeof where);
        snprintf(msg, sizeof msg,
                 "%s: .json member url holds a NUL byte: not taken as the item's URL (as text "
                 "it would be another, shorter URL), so not checked against the URL lists",
                 where);
        emit_error(s, sh, (int64_t)it->row, it->id, it->url, "bad_url", msg);
    }
    if (it->bad_digest) bad_digests(s, sh, it);
    /* an id that is not the id column's value, or that another item has too: what removal.txt
     * names the item by is not what the dataset's rows are dropped by (docs/scan.md, "Ids") */
    if (it->id_msg && it->list_index == 0)
        emit_error(s, sh, (int64_t)it->row, it->id, it->url, "bad_id", it->id_msg);
    if (s->o->flag_punsafe >= 0 && it->has_punsafe && it->punsafe >= s->o->flag_punsafe) {
        dv__finding f;
        char v[40];
        base_finding(s, sh, sl, &f);
        fmt_double(v, sizeof v, it->punsafe);
        f.hash_type = "punsafe";
        f.source = "flag";
        f.value = v;
        f.score = it->punsafe;
        f.tier = "candidate";
        emit_finding(s, &f);
    }
    if (s->terms && (it->caption || it->caption_alt)) {
        const char *term;
        /* the caption, else an img2dataset sample's other one (its .json's, where its .parquet
         * row gives another: dv_item.caption_alt): one candidate a sample, as ever */
        if ((it->caption && dv__terms_find(s->terms, it->caption, &term) >= 0) ||
            (it->caption_alt && dv__terms_find(s->terms, it->caption_alt, &term) >= 0)) {
            dv__finding f;
            base_finding(s, sh, sl, &f);
            f.hash_type = "terms";
            f.source = "flag";
            f.value = term;
            f.tier = "candidate";
            emit_finding(s, &f);
        }
    }
}

static void emit_fetch(scan *s, const dv_shard_info *sh, const slot *sl,
                       const dv_fetch_result *r)
{
    char si[24], row[24], code[16], bytes[24], ms[16], att[16], *ru, *rf, *rd;
    const char *v[11];
    snprintf(si, sizeof si, "%llu", (unsigned long long)sh->index);
    snprintf(row, sizeof row, "%llu", (unsigned long long)sl->it.row);
    snprintf(code, sizeof code, "%d", r->http_code);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)r->bytes);
    snprintf(ms, sizeof ms, "%u", r->elapsed_ms);
    snprintf(att, sizeof att, "%u", r->attempts);
    v[0] = si, v[1] = row, v[2] = sl->it.id, v[3] = shown(s, r->url, &ru);
    v[4] = shown(s, r->final_url, &rf);
    v[5] = dv_fetch_status_name(r->status), v[6] = code, v[7] = bytes, v[8] = ms, v[9] = att;
    v[10] = shown(s, r->detail, &rd);
    put_fields(s->rec, "S", v, 11);
    dv__free(s->a, ru);
    dv__free(s->a, rf);
    dv__free(s->a, rd);
    countf(s, 1, "fetch.%s", dv_fetch_status_name(r->status));
}

/* Fetch the URLs of the batch's items that have no image bytes; bodies go into the slots'
 * image buffers (memory only) and are hashed with the rest of the batch. */
static int fetch_batch(scan *s, const dv_shard_info *sh)
{
    size_t next = 0, out = 0;
    for (;;) {
        dv_fetch_result r;
        int rc;
        while (next < s->nfill && dv_fetcher_want(s->fetcher) > 0) {
            slot *sl = &s->fill[next];
            if (!sl->it.image && !sl->it.problem && sl->it.url && *sl->it.url &&
                sl->it.list_index == 0) {
                rc = dv_fetcher_add(s->fetcher, next, sl->it.url);
                if (rc == DV_ENOMEM) return rc;
                if (rc == DV_OK) out++;
            }
            next++;
        }
        if (out == 0 && next >= s->nfill) return DV_OK;
        rc = dv_fetcher_next(s->fetcher, &r, 1000);
        if (rc < 0) {
            dv__set_err(s->err, s->errcap, "fetch: %s", dv_fetcher_errmsg(s->fetcher));
            return rc;
        }
        if (rc == 0) continue;
        out--;
        {
            slot *sl = &s->fill[r.tag];
            emit_fetch(s, sh, sl, &r);
            if (r.body && r.len > 0) {
                rc = arena_put(s, sl, r.body, r.len);
                if (rc != DV_OK) {
                    dv_fetcher_release(s->fetcher, &r);
                    return rc;
                }
                sl->it.image_name = NULL;
                count(s, "items_with_image", 1);
            }
        }
        dv_fetcher_release(s->fetcher, &r);
    }
}

/* After hashing: PDQ join of the batch, then matching and records in item order. */
static void *build_indexes(void *arg)
{
    scan *s = arg;
    for (size_t i = 0; i < s->nlists; i++) {
        slist *l = &s->lists[i];
        if (l->info.type != DV_HT_PDQ) continue;
        l->index = dv_pdq_index_create(dv_list_pdq_codes(l->list), (size_t)l->info.count,
                                       DV_SIMD_AUTO, s->a);
        if (!l->index && l->info.count > 0 && !s->index_failed) s->index_failed = (int)i + 1;
    }
    return NULL;
}

/* Waits for the PDQ indexes; DV_ENOMEM (with a message) if one could not be built. */
static int indexes_ready(scan *s)
{
    if (s->indexing) {
        pthread_join(s->indexer, NULL);
        s->indexing = 0;
    }
    if (s->index_failed) {
        dv__set_err(s->err, s->errcap, "%s: cannot index the list",
                    s->lists[s->index_failed - 1].path);
        return DV_ENOMEM;
    }
    return DV_OK;
}

static int post_batch(scan *s, const dv_shard_info *sh, slot *b, size_t n)
{
    size_t nq = 0, items = 0;
    int nv = s->o->dihedral ? 8 : 1;
    int has_pdq_list = 0;
    for (size_t li = 0; li < s->nlists; li++) {
        s->hits[li].n = 0;
        if (s->lists[li].info.type == DV_HT_PDQ) has_pdq_list = 1;
    }
    for (size_t j = 0; j < n; j++) {
        slot *sl = &b[j];
        if (sl->reader_error || !sl->it.image || sl->it.problem || sl->hash_rc != DV_OK) continue;
        count(s, "hashed", 1);
        if (!sl->hr.has_pdq) continue;
        if (sl->hr.pdq.quality < 50) {
            count(s, "low_quality", 1);
            continue;
        }
        if (!has_pdq_list) continue;
        for (int v = 0; v < nv; v++) s->queries[nq * (size_t)nv + (size_t)v] = sl->hr.pdq.hash[v];
        s->query_slot[nq++] = j;
    }
    if (nq > 0) DV_FORWARD_IF_ERROR(indexes_ready(s));
    for (size_t li = 0; nq > 0 && li < s->nlists; li++) {
        if (s->lists[li].info.type != DV_HT_PDQ) continue;
        DV_FORWARD_IF_ERROR(dv_pdq_index_match(s->lists[li].index, s->queries, nq, nv,
                                               s->o->pdq_radius, on_pdq, &s->hits[li]));
        if (s->hits[li].oom) return DV_ENOMEM;
    }
    DV_FORWARD_IF_ERROR(normalise_urls(s, b, n));
    for (size_t j = 0; j < n && j < PREFETCH_ITEMS; j++) prefetch_slot(s, b, j);
    for (size_t j = 0; j < n; j++) {
        slot *sl = &b[j];
        if (j + PREFETCH_ITEMS < n) prefetch_slot(s, b, j + PREFETCH_ITEMS);
        if (sl->reader_error) {
            emit_error(s, sh, -1, "", "", sl->it.problem == DV_ECORRUPT ? "corrupt" : "shard",
                       sl->it.problem_msg ? sl->it.problem_msg : "");
            /* part of a shard not read: the scan is incomplete; but a URL list's bad row
             * (no URL, fields that do not match the header) is one row, named, and the
             * list goes on */
            if (!(sl->it.problem == DV_ECORRUPT && dv_dataset_layout(s->ds) == DV_LAYOUT_URLLIST))
                read_error(s, sl->it.problem_msg ? sl->it.problem_msg : "");
            continue;
        }
        items++;
        if (sl->it.problem) {
            emit_error(s, sh, (int64_t)sl->it.row, sl->it.id, sl->it.url,
                       reason_of(sl->it.problem), sl->it.problem_msg ? sl->it.problem_msg : "");
        } else if (sl->it.image && sl->hash_rc != DV_OK) {
            char where[1000], msg[1600];
            image_where(s, sh, &sl->it, where, sizeof where);
            snprintf(msg, sizeof msg, "%s: %s", where, sl->errmsg);
            emit_error(s, sh, (int64_t)sl->it.row, sl->it.id, sl->it.url,
                       sl->hash_rc == DV_ETOOBIG ? "too_big" : "decode", msg);
        }
        match_slot(s, sh, b, j);
    }
    s->prog.items += items;
    report_progress(s);
    return s->oom ? DV_ENOMEM : DV_OK;
}

/* The caller's progress callback: progress_at, with the shards' parts read, or progress. */
static void tell_progress(const scan *s, const dv_scan_progress *p, double partial)
{
    if (s->o->progress_at) s->o->progress_at(s->o->progress_ctx, p, partial > 0 ? partial : 0);
    else if (s->o->progress) s->o->progress(s->o->progress_ctx, p);
}

/* A worker's counts join the run's before the caller hears of them. */
static void report_progress(scan *s)
{
    dv_scan_progress *p = &s->prog;
    double partial = s->part;
    if (s->run) {
        pthread_mutex_lock(&s->run->mu);
        p = &s->run->main->prog;
        p->items += s->prog.items;
        p->findings += s->prog.findings;
        p->errors += s->prog.errors;
        p->read_errors += s->prog.read_errors;
        s->prog.items = s->prog.findings = s->prog.errors = s->prog.read_errors = 0;
        s->run->main->partial += s->part - s->part_told;
        s->part_told = s->part;
        partial = s->run->main->partial;
    }
    tell_progress(s, p, partial);
    if (s->run) pthread_mutex_unlock(&s->run->mu);
}

/* How far shard reader r is, for the progress (0 when it does not know). */
static void note_part(scan *s, const dv_shard_reader *r)
{
    double f = dv__shard_reader_fraction(r);
    s->part = f > 0 ? f : 0;
}

static void *drive(void *arg)
{
    scan *s = arg;
    s->driver_rc = dv_pool_run(s->pool, hash_jobs(s), hash_job, s);
    return NULL;
}

/* Wait for the batch being hashed and record it. */
static int finish_inflight(scan *s, const dv_shard_info *sh)
{
    if (!s->inflight) return DV_OK;
    pthread_join(s->driver, NULL);
    s->inflight = 0;
    DV_FORWARD_IF_ERROR(s->driver_rc);
    return post_batch(s, sh, s->hashing, s->nhashing);
}

/* s->order: the hashing batch's slot indexes by image size, largest first (ties by index,
 * so the order is the same on every run; records are written in slot order anyway). */
static void order_batch(scan *s)
{
    const size_t n = s->nhashing;
    for (size_t i = 0; i < n; i++) {
        const size_t len = s->hashing[i].it.image ? s->hashing[i].it.image_len : 0;
        size_t j = i;
        while (j > 0) {
            const slot *p = &s->hashing[s->order[j - 1]];
            if ((p->it.image ? p->it.image_len : 0) >= len) break;
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = (uint16_t)i;
    }
}

/* The filled batch goes to the pool; the previous one, hashed by now, is matched and
 * recorded while the pool works (records stay in batch order). */
static int cycle(scan *s, const dv_shard_info *sh)
{
    slot *t, *done = NULL;
    size_t ndone = 0;
    int rc = DV_OK;
    if (s->nfill == 0) return DV_OK;
    /* fetching this batch overlaps with hashing the previous one */
    if (s->fetcher) DV_FORWARD_IF_ERROR(fetch_batch(s, sh));
    if (s->inflight) {
        pthread_join(s->driver, NULL);
        s->inflight = 0;
        DV_FORWARD_IF_ERROR(s->driver_rc);
        done = s->hashing;
        ndone = s->nhashing;
    }
    t = s->hashing;
    s->hashing = s->fill;
    s->nhashing = s->nfill;
    s->fill = t;
    s->nfill = 0;
    s->fill_bytes = 0;
    {
        dv__dbuf *ta = s->hash_ar;
        s->hash_ar = s->fill_ar;
        s->fill_ar = ta;
    }
    order_batch(s);
    {
        /* a batch with no image to hash (metadata, URLs) is matched and recorded here: a
         * thread and a pool round for nothing cost more than the batch (1M LAION rows: 3,900
         * thread starts, half the wall time) */
        int any = 0;
        for (size_t i = 0; i < s->nhashing && !any; i++) any = s->hashing[i].it.image != NULL;
        if (!any) {
            if (done) rc = post_batch(s, sh, done, ndone);
            if (rc == DV_OK) rc = post_batch(s, sh, s->hashing, s->nhashing);
            s->fill_ar->len = 0;
            for (size_t i = 0; i < BATCH_ITEMS; i++) s->fill[i].img_off = NO_IMG;
            return rc;
        }
    }
    if (pthread_create(&s->driver, NULL, drive, s) == 0) {
        s->inflight = 1;
        if (done) rc = post_batch(s, sh, done, ndone);
    } else {
        s->driver_rc = dv_pool_run(s->pool, hash_jobs(s), hash_job, s);
        if (done) rc = post_batch(s, sh, done, ndone);
        if (rc == DV_OK) rc = s->driver_rc;
        if (rc == DV_OK) rc = post_batch(s, sh, s->hashing, s->nhashing);
    }
    /* the recorded batch's slots and arena are refilled next; its bytes were zeroed as
     * they were hashed */
    s->fill_ar->len = 0;
    for (size_t i = 0; i < BATCH_ITEMS; i++) s->fill[i].img_off = NO_IMG;
    return rc;
}

/* A reader error keeps its place among the items' records. */
static int push_reader_error(scan *s, const dv_shard_info *sh, int code, const char *msg)
{
    slot *sl = &s->fill[s->nfill];
    dv_item it;
    memset(&it, 0, sizeof it);
    it.problem = code;
    it.problem_msg = msg;
    it.sample = -1;
    it.emb_row = -1;
    DV_FORWARD_IF_ERROR(slot_fill(s, sh, sl, &it));
    sl->reader_error = 1;
    s->nfill++;
    if (s->nfill == BATCH_ITEMS) return cycle(s, sh);
    return DV_OK;
}

/* ---------------------------------------------------------------- shards */

static void shard_path(const char *outdir, uint64_t i, const char *ext, char *out, size_t cap)
{
    snprintf(out, cap, "%s/shards/%06llu.%s", outdir, (unsigned long long)i, ext);
}

/* What a shard's files were when it was scanned: the SHA-256 of "name TAB size TAB mtime"
 * of each (the name below the dataset's folder), with their count; written into its done marker and compared on a resume, so
 * that results of files changed since are not taken as current. */
static void shard_identity(const dv_dataset *ds, uint64_t i, char out[100])
{
    dv_shard_info sh;
    const char *one[4];
    uint64_t n;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char hex[65];
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    out[0] = '\0';
    if (!x || dv_dataset_shard(ds, i, &sh) != DV_OK || EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(x);
        return;
    }
    one[0] = sh.path, one[1] = sh.meta_path, one[2] = sh.emb_path, one[3] = sh.text_emb_path;
    n = sh.nfiles ? sh.nfiles : 3;
    /* (text embeddings, which --clean rewrites, count when there are some, and leave the
     * count, and so the markers of shards without them, as they were) */
    for (uint64_t k = 0; k < n + (!sh.nfiles && sh.text_emb_path); k++) {
        const char *p = sh.nfiles ? dv_dataset_file(ds, sh.first_file + k) : one[k];
        struct stat st;
        char line[96];
        const char *root = dv_dataset_root(ds), *name = p;
        size_t rl = root ? strlen(root) : 0;
        if (!p) continue;
        /* the name below the dataset's folder: the same files spelled from elsewhere
         * (absolute, relative) are the same shard */
        if (rl && strncmp(p, root, rl) == 0 && p[rl] == '/') name = p + rl + 1;
        EVP_DigestUpdate(x, name, strlen(name));
        if (stat(p, &st) != 0) snprintf(line, sizeof line, "\t-\n");
        else
            snprintf(line, sizeof line, "\t%llu\t%lld.%09ld\n", (unsigned long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        EVP_DigestUpdate(x, line, strlen(line));
    }
    EVP_DigestFinal_ex(x, md, &mdlen);
    EVP_MD_CTX_free(x);
    dv_hex_encode(md, 32, hex);
    snprintf(out, 100, "files %llu sha256 %s\n", (unsigned long long)n, hex);
}

/* A done shard whose files are no longer what was scanned (its marker says what they were;
 * an empty marker, from an older datavet, says nothing). */
int dv__shard_changed(const dv_dataset *ds, const char *outdir, uint64_t i)
{
    char p[4096], now[100], e[64];
    void *buf = NULL;
    size_t len = 0;
    int changed = 0;
    shard_path(outdir, i, "done", p, sizeof p);
    if (dv_read_file(p, 4096, NULL, &buf, &len, e, sizeof e) != DV_OK) return 0;
    if (len > 0) {
        shard_identity(ds, i, now);
        changed = len != strlen(now) || memcmp(buf, now, len) != 0;
    }
    dv_free_buffer(NULL, buf);
    return changed;
}

static int shard_done(const char *outdir, uint64_t i)
{
    char p[4096];
    struct stat st;
    shard_path(outdir, i, "done", p, sizeof p);
    return stat(p, &st) == 0;
}

static void input_record(scan *s, const char *path)
{
    char hex[65], sz[24];
    uint64_t size;
    const char *v[3];
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (dv__sha256_file(path, hex, &size) != DV_OK) return;
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    v[0] = path, v[1] = hex, v[2] = sz;
    put_fields(s->rec, "I", v, 3);
}

static int scan_shard(scan *s, uint64_t i)
{
    dv_shard_info sh;
    dv_shard_reader *r = NULL;
    char tmp[4096], fin[4096], done[4096], err[1024];
    uint64_t items = 0;
    int rc, renamed = 0;
    FILE *f;
    char ident[100];

    dv_dataset_shard(s->ds, i, &sh);
    shard_identity(s->ds, i, ident); /* before reading: a change while it is read shows */
    shard_path(s->o->outdir, i, "rec.tmp", tmp, sizeof tmp);
    shard_path(s->o->outdir, i, "rec", fin, sizeof fin);
    shard_path(s->o->outdir, i, "done", done, sizeof done);
    s->rec = dv__fopen_private(tmp);
    if (!s->rec) {
        dv__set_err(s->err, s->errcap, "%s: cannot create: %s", tmp, strerror(errno));
        return DV_EIO;
    }
    counters_reset(s);
    s->shard_unread = 0;
    rc = dv_shard_reader_open(s->ds, i, &r, err, sizeof err);
    if (rc == DV_ENOMEM) goto fail;
    if (rc != DV_OK) {
        emit_error(s, &sh, -1, "", "", "shard", err);
        read_error(s, err);
        rc = DV_OK;
    } else {
        for (;;) {
            dv_item it;
            rc = dv_shard_reader_next(r, &it);
            if (rc == 0) break;
            if (rc == DV_ENOMEM) goto fail;
            if (rc == DV_ECORRUPT) {
                rc = push_reader_error(s, &sh, DV_ECORRUPT, dv_shard_reader_errmsg(r));
                if (rc != DV_OK) goto fail;
                continue;
            }
            if (rc < 0) {
                rc = push_reader_error(s, &sh, DV_EIO, dv_shard_reader_errmsg(r));
                if (rc != DV_OK) goto fail;
                break;
            }
            items++;
            if (it.image) count(s, "items_with_image", 1);
            rc = slot_fill(s, &sh, &s->fill[s->nfill], &it);
            if (rc != DV_OK) goto fail;
            s->nfill++;
            s->fill_bytes += it.image_len;
            if (s->nfill == BATCH_ITEMS || s->fill_bytes >= BATCH_BYTES) {
                note_part(s, r);
                rc = cycle(s, &sh);
                if (rc != DV_OK) goto fail;
            }
        }
        note_part(s, r);
        rc = cycle(s, &sh);
        if (rc == DV_OK) rc = finish_inflight(s, &sh);
        if (rc != DV_OK) goto fail;
        if (dv_shard_reader_lost(r)) count(s, "items_lost", dv_shard_reader_lost(r));
    }
    dv_shard_reader_free(r);
    r = NULL;
    count(s, "items", items);
    countf(s, items, "shard_items.%06llu", (unsigned long long)i);
    for (size_t li = 0; li < s->nlists; li++) {
        if (s->lists[li].checked) countf(s, s->lists[li].checked, "checked.%zu", li);
        s->lists[li].checked = 0;
    }
    if (sh.nfiles == 0) {
        input_record(s, sh.path);
        input_record(s, sh.meta_path);
        input_record(s, sh.emb_path);
        input_record(s, sh.text_emb_path);
    }
    if (s->oom) {
        rc = DV_ENOMEM;
        goto fail;
    }
    for (size_t k = 0; k < s->ctr.n; k++) {
        fputs("C\t", s->rec);
        dv__rec_put(s->rec, s->ctr.v[k].key);
        fprintf(s->rec, "\t%llu\n", (unsigned long long)s->ctr.v[k].value);
    }
    fputs("END\n", s->rec);
    f = s->rec;
    s->rec = NULL;
    rc = dv__commit_file_ex(f, tmp, fin, &renamed);
    if (rc != DV_OK) {
        /* (renamed: the results are in place without their done marker, so a rerun scans
         * the shard again, as after a kill) */
        if (renamed) dv__commit_err(s->err, s->errcap, fin, renamed, errno);
        else
            dv__set_err(s->err, s->errcap, "%s: cannot write the shard's results: %s", fin,
                        strerror(errno));
        return rc;
    }
    shard_path(s->o->outdir, i, "done.tmp", tmp, sizeof tmp);
    f = dv__fopen_private(tmp);
    if (f) fputs(ident, f);
    if (!f || dv__commit_file_ex(f, tmp, done, &renamed) != DV_OK) {
        if (f && renamed) dv__commit_err(s->err, s->errcap, done, renamed, errno);
        else
            dv__set_err(s->err, s->errcap, "%s: cannot write the done marker: %s", done,
                        strerror(errno));
        return DV_EIO;
    }
    note_unread(s, &sh);
    return DV_OK;
fail:
    if (s->inflight) {
        pthread_join(s->driver, NULL);
        s->inflight = 0;
    }
    s->nfill = s->nhashing = 0;
    dv_shard_reader_free(r);
    if (s->rec) {
        fclose(s->rec);
        s->rec = NULL;
        unlink(tmp);
    }
    if (s->err[0] == '\0')
        dv__set_err(s->err, s->errcap, "shard %llu (%s): %s", (unsigned long long)i, sh.path,
                    dv_strerror(rc));
    return rc;
}

/* ---------------------------------------------------------------- parameters */

static void param(dv__dbuf *b, const dv_alloc *a, const char *k, const char *v)
{
    char line[8192];
    size_t n = 0;
    const char *src[2] = {k, v ? v : ""};
    for (int f = 0; f < 2; f++) {
        for (const char *c = src[f]; *c && n + 4 < sizeof line; c++) {
            if (*c == '\t' || *c == '\n' || *c == '\\' || *c == '\r') {
                line[n++] = '\\';
                line[n++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : *c == '\r' ? 'r' : '\\';
            } else {
                line[n++] = *c;
            }
        }
        line[n++] = f == 0 ? '\t' : '\n';
    }
    dv__dbuf_append(a, b, line, n);
}

static void paramu(dv__dbuf *b, const dv_alloc *a, const char *k, unsigned long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%llu", v);
    param(b, a, k, t);
}

/* The parameters that decide a scan's results, one "key<TAB>value" per line; every run into
 * one outdir must have the same (shard selection, threads and progress are not in it). */
static int build_params(scan *s, dv__dbuf *b)
{
    const dv_scan_opts *o = s->o;
    char t[64];
    param(b, s->a, "datavet_version", dv_version());
    param(b, s->a, "dataset", o->dataset);
    param(b, s->a, "layout", dv_layout_name(dv_dataset_layout(s->ds)));
    paramu(b, s->a, "shards", dv_dataset_num_shards(s->ds));
    for (size_t i = 0; i < s->nlists; i++) {
        const slist *l = &s->lists[i];
        param(b, s->a, "list", l->path);
        param(b, s->a, "list_name", l->info.name ? l->info.name : "");
        param(b, s->a, "list_version", l->info.version ? l->info.version : "");
        param(b, s->a, "list_type", dv_hash_type_name(l->info.type));
        param(b, s->a, "list_digest", l->digest);
        paramu(b, s->a, "list_entries", l->info.count);
    }
    param(b, s->a, "dihedral", o->dihedral ? "true" : "false");
    paramu(b, s->a, "pdq_radius", (unsigned long long)o->pdq_radius);
    param(b, s->a, "fast", o->fast ? "true" : "false");
    paramu(b, s->a, "max_pixels", o->max_pixels ? o->max_pixels : DV_DEFAULT_MAX_PIXELS);
    paramu(b, s->a, "max_image_bytes", o->max_image_bytes ? o->max_image_bytes : 256ull << 20);
    if (o->flag_punsafe >= 0) fmt_double(t, sizeof t, o->flag_punsafe);
    else snprintf(t, sizeof t, "off");
    param(b, s->a, "flag_punsafe", t);
    param(b, s->a, "flag_terms", o->flag_terms ? o->flag_terms : "");
    if (o->flag_terms) {
        char hex[65];
        uint64_t sz;
        if (dv__sha256_file(o->flag_terms, hex, &sz) == DV_OK) param(b, s->a, "flag_terms_sha256", hex);
    }
    param(b, s->a, "url_col", o->url_col ? o->url_col : "");
    param(b, s->a, "caption_col", o->caption_col ? o->caption_col : "");
    param(b, s->a, "id_col", o->id_col ? o->id_col : "");
    param(b, s->a, "image_col", o->image_col ? o->image_col : "");
    /* (only when named: the parameters of scans without it stay as they were) */
    if (o->punsafe_col) param(b, s->a, "punsafe_col", o->punsafe_col);
    if (o->npz_key) param(b, s->a, "npz_key", o->npz_key);
    param(b, s->a, "keep_candidates", o->keep_candidates ? "true" : "false");
    param(b, s->a, "fetch", o->fetch ? "true" : "false");
    if (o->neighbors) {
        fmt_double(t, sizeof t, (double)o->neighbors_min_sim);
        param(b, s->a, "neighbors_min_sim", t);
        paramu(b, s->a, "neighbors_k", o->neighbors_k);
    } else {
        param(b, s->a, "neighbors_min_sim", "off");
    }
    if (o->fetch) {
        /* the fetch policy decides what is fetched, so a resume must keep it; how many
         * transfers run at once (connections, per_host) does not, and may change */
        const dv_fetch_opts *f = o->fetch_opts;
        dv_fetch_opts z;
        memset(&z, 0, sizeof z);
        if (!f) f = &z;
        paramu(b, s->a, "fetch_max_bytes", f->max_bytes ? f->max_bytes : DV_FETCH_DEFAULT_MAX_BYTES);
        paramu(b, s->a, "fetch_allow_addr", f->allow_addr);
        paramu(b, s->a, "fetch_connect_timeout_ms", f->connect_timeout_ms);
        paramu(b, s->a, "fetch_timeout_ms", f->timeout_ms);
        paramu(b, s->a, "fetch_low_speed_bytes", f->low_speed_bytes);
        paramu(b, s->a, "fetch_low_speed_time_s", f->low_speed_time_s);
        snprintf(t, sizeof t, "%d", f->retries);
        param(b, s->a, "fetch_retries", t);
        paramu(b, s->a, "fetch_retry_wait_ms", f->retry_wait_ms);
        paramu(b, s->a, "fetch_retry_after_max_s", f->retry_after_max_s);
        paramu(b, s->a, "fetch_redirects", f->no_redirects ? 0 : f->max_redirects ? f->max_redirects : 5);
        param(b, s->a, "fetch_user_agent", f->user_agent ? f->user_agent : "");
        for (size_t i = 0; i < f->nresolve; i++) param(b, s->a, "fetch_resolve", f->resolve[i]);
    }
    paramu(b, s->a, "decoys", o->decoys ? o->decoys : 1000);
    for (uint64_t i = 0; i < dv_dataset_num_shards(s->ds); i++) {
        dv_shard_info sh;
        char k[64];
        dv_dataset_shard(s->ds, i, &sh);
        snprintf(k, sizeof k, "shard.%06llu", (unsigned long long)i);
        param(b, s->a, k, sh.name);
    }
    return DV_OK;
}

/* OUTDIR/dataset_problems.txt: what the dataset layer could not use (embeddings not aligned,
 * images in list columns), one per line, for the merge's summary.json and report.html. Not a
 * parameter: its text can name a passing error, and every run rewrites it. */
/* The host name as a file name part: nodes of a cluster share OUTDIR, and their pids can be
 * equal, so temporary files carry both. */
static void host_part(char *host, size_t cap)
{
    if (gethostname(host, cap) != 0) snprintf(host, cap, "host");
    host[cap - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/') *c = '_';
}

static int write_problems(scan *s)
{
    char tmp[4096], path[4096], host[64];
    const char *p = dv_dataset_problems(s->ds);
    FILE *f;
    int renamed;
    host_part(host, sizeof host);
    snprintf(tmp, sizeof tmp, "%s/dataset_problems.txt.%s.%ld.tmp", s->o->outdir, host,
             (long)getpid());
    snprintf(path, sizeof path, "%s/dataset_problems.txt", s->o->outdir);
    f = dv__fopen_private(tmp);
    if (f) /* messages, valid UTF-8 as every text output but the removal lists */
        dv__text_fputs(f, DV_TEXT_PLAIN, p ? p : "");
    if (!f) {
        dv__set_err(s->err, s->errcap, "%s: cannot write: %s", path, strerror(errno));
        return DV_EIO;
    }
    if (dv__commit_file_ex(f, tmp, path, &renamed) != DV_OK) {
        dv__commit_err(s->err, s->errcap, path, renamed, errno);
        return DV_EIO;
    }
    return DV_OK;
}

/* scan.json (the same for people and for `datavet export`), if it is not there yet: a run
 * killed between scan.params and scan.json writes it on the resume. */
static void write_scan_json(scan *s, const dv__dbuf *b)
{
    char path[4096], tmp[4096], host[64];
    struct stat st;
    time_t now = time(NULL);
    struct tm tmv;
    char ts[32];
    FILE *f;
    snprintf(path, sizeof path, "%s/scan.json", s->o->outdir);
    if (stat(path, &st) == 0) return;
    host_part(host, sizeof host);
    gmtime_r(&now, &tmv);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(tmp, sizeof tmp, "%s/scan.json.%s.%ld.tmp", s->o->outdir, host, (long)getpid());
    f = dv__fopen_private(tmp);
    if (f) {
        const char *p = (const char *)b->p, *end = p + b->len;
        fprintf(f, "{\n  \"started\": \"%s\",\n  \"parameters\": [\n", ts);
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *tab = memchr(p, '\t', (size_t)(nl - p));
            /* (valid UTF-8, as every JSON output: a path or list name need not be) */
            fputs("    [", f);
            if (tab) {
                dv__json_strn(f, DV_TEXT_PLAIN, p, (size_t)(tab - p));
                fputs(", ", f);
                p = tab + 1;
            }
            dv__json_strn(f, DV_TEXT_PLAIN, p, (size_t)(nl - p));
            fputs(nl + 1 < end ? "],\n" : "]\n", f);
            p = nl + 1;
        }
        fputs("  ],\n", f);
        fprintf(f, "  \"dataset\": ");
        dv__jstr(f, s->o->dataset);
        fprintf(f, ",\n  \"datavet_version\": \"%s\"\n}\n", dv_version());
        dv__commit_new_file(f, tmp, path);
    }
}

/* scan.params: created by the first run (atomically: of two first runs at once, one creates
 * it and the other compares against it), compared by every later one. */
static int check_params(scan *s)
{
    dv__dbuf b = {0};
    char path[4096], tmp[4096];
    char e2[256];
    int rc = DV_OK;
    build_params(s, &b);
    if (!b.p) return DV_ENOMEM;
    snprintf(path, sizeof path, "%s/scan.params", s->o->outdir);
    for (int attempt = 0; attempt < 3; attempt++) {
        void *old = NULL;
        size_t oldlen = 0;
        FILE *f;
        char host[64];
        struct stat pst;
        if (dv_read_file(path, 1u << 30, s->a, &old, &oldlen, e2, sizeof e2) != DV_OK &&
            lstat(path, &pst) == 0) {
            /* there, but unreadable: never taken as absent */
            dv__set_err(s->err, s->errcap, "%s: cannot read the scan parameters: %s", path, e2);
            rc = DV_EINVAL;
            break;
        }
        if (old) {
            if (oldlen != b.len || memcmp(old, b.p, b.len) != 0) {
                /* name the first line that differs */
                size_t k = 0, ls = 0;
                const char *o = old;
                while (k < oldlen && k < b.len && o[k] == (char)b.p[k]) {
                    if (o[k] == '\n') ls = k + 1;
                    k++;
                }
                {
                    /* this run's line and the earlier run's: a parameter only one of them
                     * has (a named column, the fetch policy) shows on one side only */
                    const char *nl = memchr(b.p + ls, '\n', b.len - ls);
                    const char *onl = ls < oldlen ? memchr(o + ls, '\n', oldlen - ls) : NULL;
                    int n = nl ? (int)(nl - (const char *)b.p - (long)ls) : (int)(b.len - ls);
                    int on = ls >= oldlen ? 0 : onl ? (int)(onl - o - (long)ls) : (int)(oldlen - ls);
                    char now[201], was[201];
                    if (n > 200) n = 200;
                    if (on > 200) on = 200;
                    /* name TAB value, shown as name=value (a TAB would be shown as ?) */
                    memcpy(now, b.p + ls, (size_t)n);
                    now[n] = '\0';
                    memcpy(was, o + ls, (size_t)on);
                    was[on] = '\0';
                    if (strchr(now, '\t')) *strchr(now, '\t') = '=';
                    if (strchr(was, '\t')) *strchr(was, '\t') = '=';
                    dv__set_err(s->err, s->errcap,
                                "%s holds a scan with other parameters (first difference at: "
                                "%s; the earlier scan has: %s); use a new output directory",
                                s->o->outdir, now, was);
                }
                rc = DV_EINVAL;
            }
            dv_free_buffer(s->a, old);
            break;
        }
        host_part(host, sizeof host);
        snprintf(tmp, sizeof tmp, "%s/scan.params.%s.%ld.tmp", s->o->outdir, host,
                 (long)getpid());
        f = dv__fopen_private(tmp);
        if (f) fwrite(b.p, 1, b.len, f);
        rc = f ? dv__commit_new_file(f, tmp, path) : DV_EIO;
        if (rc == 1) { /* another run made it first: compare against it */
            rc = DV_OK;
            if (attempt == 2) {
                dv__set_err(s->err, s->errcap, "%s: cannot be read nor created", path);
                rc = DV_EIO;
            }
            continue;
        }
        if (rc != DV_OK)
            dv__set_err(s->err, s->errcap, "%s: cannot write the scan parameters: %s", path,
                        strerror(errno));
        break;
    }
    if (rc == DV_OK) write_scan_json(s, &b);
    dv__free(s->a, b.p);
    return rc;
}

/* ---------------------------------------------------------------- run */

static void scan_free(scan *s)
{
    if (s->lockfd >= 0) close(s->lockfd); /* releases the shard locks */
    s->lockfd = -1;
    if (s->indexing) pthread_join(s->indexer, NULL);
    for (size_t i = 0; i < s->nlists; i++) {
        if (!s->clone) { /* a worker's lists are the run's */
            dv_pdq_index_free(s->lists[i].index);
            dv_list_close(s->lists[i].list);
        }
        free(s->hits ? s->hits[i].v : NULL);
    }
    dv__free(s->a, s->lists);
    dv__free(s->a, s->hits);
    for (unsigned i = 0; s->hashers && i < s->nthreads; i++) dv_hasher_free(s->hashers[i]);
    dv__free(s->a, s->hashers);
    dv_pool_free(s->pool);
    for (size_t b = 0; b < 2; b++)
        for (size_t i = 0; i < BATCH_ITEMS; i++) {
            slot *sl = &s->slots[b][i];
            dv__free(s->a, sl->strs.p);
        }
    for (size_t b = 0; b < 2; b++) {
        if (s->arena[b].p) memset(s->arena[b].p, 0, s->arena[b].cap);
        dv__free(s->a, s->arena[b].p);
    }
    dv__ctrs_free(s->a, &s->ctr);
    dv__free(s->a, s->queries);
    dv__free(s->a, s->query_slot);
    dv__free(s->a, s->nurls.p);
    dv__terms_free(s->terms);
    dv_fetcher_free(s->fetcher);
    if (!s->clone) dv_dataset_free(s->ds);
}

/* ---------------------------------------------------------------- shard workers */

/* A scan's per-list state (its copy of each list's slot, hits) and URL buffer. */
static int scan_alloc_lists(scan *s, size_t nlists)
{
    s->nlists = nlists;
    s->lists = dv__calloc(s->a, nlists + 1, sizeof(slist));
    s->hits = dv__calloc(s->a, nlists + 1, sizeof(hitvec));
    return s->lists && s->hits ? DV_OK : DV_ENOMEM;
}

/* Per-run resources of a scan: batches' pool and hashers, PDQ query buffers. */
static int scan_setup_hashing(scan *s, unsigned threads, const dv_hasher_opts *ho)
{
    s->fill = s->slots[0];
    s->hashing = s->slots[1];
    s->fill_ar = &s->arena[0];
    s->hash_ar = &s->arena[1];
    for (size_t b = 0; b < 2; b++)
        for (size_t i = 0; i < BATCH_ITEMS; i++) s->slots[b][i].img_off = NO_IMG;
    s->pool = dv_pool_create(threads, s->a);
    if (!s->pool) return DV_ETHREAD;
    s->nthreads = dv_pool_threads(s->pool);
    s->hashers = dv__calloc(s->a, s->nthreads, sizeof(dv_hasher *));
    s->queries = dv__malloc(s->a, BATCH_ITEMS * DV_DIH_COUNT * sizeof(dv_pdq_hash));
    s->query_slot = dv__malloc(s->a, BATCH_ITEMS * sizeof(uint64_t));
    if (!s->hashers || !s->queries || !s->query_slot) return DV_ENOMEM;
    for (unsigned i = 0; i < s->nthreads; i++) {
        s->hashers[i] = dv_hasher_create(ho);
        if (!s->hashers[i]) return DV_ENOMEM;
    }
    return DV_OK;
}

/* A worker over the run's dataset and lists, with its own batches, pool, counters and terms
 * (their search keeps scratch space). Freed with scan_free (and dv__free). */
static int worker_make(const scan *m, unsigned threads, const dv_hasher_opts *ho, scan **out)
{
    scan *w = dv__calloc(m->a, 1, sizeof *w);
    int rc;
    *out = w;
    if (!w) return DV_ENOMEM;
    w->clone = 1;
    w->lockfd = -1;
    w->o = m->o;
    w->a = m->a;
    w->ds = m->ds;
    w->need_image_hash = m->need_image_hash;
    w->need_url = m->need_url;
    w->err = w->errspace;
    w->errcap = sizeof w->errspace;
    if (scan_alloc_lists(w, m->nlists) != DV_OK) return DV_ENOMEM;
    for (size_t i = 0; i < m->nlists; i++) {
        w->lists[i] = m->lists[i];
        w->lists[i].checked = 0;
    }
    if (m->o->flag_terms) {
        rc = dv__terms_load(m->o->flag_terms, w->a, &w->terms, w->err, w->errcap);
        if (rc != DV_OK) return rc;
    }
    return scan_setup_hashing(w, threads, ho);
}

static void *worker_main(void *arg)
{
    scan *w = arg;
    wrun *r = w->run;
    for (;;) {
        uint64_t i;
        int rc;
        pthread_mutex_lock(&r->mu);
        if (r->stop || r->next == r->ntodo) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        i = r->todo[r->next++];
        pthread_mutex_unlock(&r->mu);
        rc = scan_shard(w, i);
        report_progress(w); /* a shard's errors outside its batches */
        pthread_mutex_lock(&r->mu);
        /* the shard's part leaves the sum as the shard is counted done (or failed) */
        r->main->partial -= w->part_told;
        w->part = w->part_told = 0;
        if (rc != DV_OK && (!r->stop || i < r->fail_shard)) {
            r->stop = 1;
            r->rc = rc;
            r->fail_shard = i;
            dv__set_err(r->main->err, r->main->errcap, "%s", w->err[0] ? w->err : dv_strerror(rc));
        } else if (rc == DV_OK) {
            r->main->prog.shards_done++;
            tell_progress(w, &r->main->prog, r->main->partial);
        }
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* Scan the shards of todo with nw workers sharing threads pool threads: for scans whose work
 * is reading and matching rows (metadata, URLs), which one scanning thread cannot spread
 * over the machine. Each shard is scanned by one worker, so its records are the same as with
 * one. */
static int run_workers(scan *m, const uint64_t *todo, size_t ntodo, unsigned nw,
                       unsigned threads, const dv_hasher_opts *ho)
{
    wrun r;
    scan **w = dv__calloc(m->a, nw, sizeof *w);
    pthread_t *t = dv__calloc(m->a, nw, sizeof *t);
    unsigned started = 0, per = threads / nw, extra = threads % nw;
    int rc = DV_OK, inited = 0;
    if (!w || !t) {
        dv__free(m->a, w);
        dv__free(m->a, t);
        return DV_ENOMEM;
    }
    memset(&r, 0, sizeof r);
    r.main = m;
    r.todo = todo;
    r.ntodo = ntodo;
    if (pthread_mutex_init(&r.mu, NULL) != 0) rc = DV_ETHREAD;
    else inited = 1;
    for (unsigned k = 0; k < nw && rc == DV_OK; k++) {
        /* the pool threads shared out, the first workers taking the remainder */
        unsigned nt = per + (k < extra ? 1u : 0u);
        rc = worker_make(m, nt ? nt : 1, ho, &w[k]);
        if (rc != DV_OK && w[k] && w[k]->err[0]) dv__set_err(m->err, m->errcap, "%s", w[k]->err);
        if (rc == DV_OK) w[k]->run = &r;
    }
    for (unsigned k = 0; k < nw && rc == DV_OK; k++) {
        if (pthread_create(&t[k], NULL, worker_main, w[k]) != 0) {
            if (started == 0) rc = DV_ETHREAD;
            break;
        }
        started++;
    }
    for (unsigned k = 0; k < started; k++) pthread_join(t[k], NULL);
    if (rc == DV_OK) rc = r.rc;
    for (unsigned k = 0; k < nw; k++)
        if (w[k]) {
            scan_free(w[k]);
            dv__free(m->a, w[k]);
        }
    if (inited) pthread_mutex_destroy(&r.mu);
    dv__free(m->a, w);
    dv__free(m->a, t);
    return rc;
}

static int selected(const dv_scan_opts *o, uint64_t i)
{
    if (o->shard_count > 0 && i % o->shard_count != o->shard_index) return 0;
    if (o->has_range && (i < o->shard_first || i > o->shard_last)) return 0;
    return 1;
}

/* Lock OUTDIR/lock for this run: a read lock on byte 0 (no merge meanwhile) and a write lock
 * on byte 1 + i of each shard i it will scan, runs of them as one range; another run that
 * holds one of them is named, and this run refused. */
static int lock_shards(scan *s)
{
    const dv_scan_opts *o = s->o;
    uint64_t n = dv_dataset_num_shards(s->ds), a = 0;
    long pid;
    int rc = dv__lock_open(o->outdir, &s->lockfd, s->err, s->errcap), in = 0;
    if (rc != DV_OK || s->lockfd < 0) return rc;
    char who[48];
    if (dv__lock_range(s->lockfd, 0, 0, 1, &pid) != DV_OK) {
        dv__lock_who(pid, who, sizeof who);
        dv__set_err(s->err, s->errcap, "%s is being merged by another datavet run%s: wait for "
                    "it, then run again", o->outdir, who);
        return DV_EINVAL;
    }
    for (uint64_t i = 0; i <= n; i++) {
        int want = i < n && selected(o, i) && !shard_done(o->outdir, i);
        if (want && !in) a = i, in = 1;
        if (!want && in) {
            in = 0;
            if (dv__lock_range(s->lockfd, 1, 1 + a, i - a, &pid) != DV_OK) {
                dv__lock_who(pid, who, sizeof who);
                dv__set_err(s->err, s->errcap,
                            "%s: shards %llu-%llu: another datavet run%s is scanning some of "
                            "them: runs into one outdir must take disjoint shards (--shards, "
                            "--shard-index)",
                            o->outdir, (unsigned long long)a, (unsigned long long)(i - 1), who);
                return DV_EINVAL;
            }
        }
    }
    return DV_OK;
}

/* Options that would make the scan check nothing or harm something, refused before it
 * starts: OUTDIR inside the dataset (its outputs would be read as the dataset on a rerun),
 * a --clean folder that is the dataset, OUTDIR or not empty, or a layout --clean cannot
 * write; --neighbors-min-sim without embeddings; a named url, caption or image column the
 * first parquet file lacks; a shard range past the last shard. */
static int check_options(scan *s)
{
    const dv_scan_opts *o = s->o;
    dv_layout lay = dv_dataset_layout(s->ds);
    uint64_t n = dv_dataset_num_shards(s->ds);
    struct stat st;
    if (stat(o->dataset, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *rd = realpath(o->dataset, NULL), *ro = dv__real_or_parent(o->outdir);
        int inside = rd && ro && dv__path_within(ro, rd);
        free(rd);
        free(ro);
        if (inside) {
            dv__set_err(s->err, s->errcap, "-o %s is inside the dataset %s: its outputs would be "
                        "read as part of the dataset; put OUTDIR elsewhere", o->outdir,
                        o->dataset);
            return DV_EINVAL;
        }
    }
    if (o->clean_dir) {
        int rc;
        if (o->no_merge) {
            dv__set_err(s->err, s->errcap, "--clean writes the copy at the merge: give it to "
                        "datavet merge, not to a --no-merge scan");
            return DV_EINVAL;
        }
        if (lay != DV_LAYOUT_PARQUET && lay != DV_LAYOUT_WEBDATASET &&
            lay != DV_LAYOUT_IMG2DATASET) {
            dv__set_err(s->err, s->errcap, "--clean writes parquet and tar datasets; for this "
                        "'%s' dataset use removal.txt", dv_layout_name(lay));
            return DV_EINVAL;
        }
        rc = dv__clean_check(o->outdir, o->clean_dir, o->dataset, s->err, s->errcap);
        if (rc != DV_OK) return rc;
    }
    if (o->has_range && o->shard_first >= n) {
        dv__set_err(s->err, s->errcap, "--shards %llu-%llu: the dataset has %llu %s "
                    "(datavet scan --plan lists %s)", (unsigned long long)o->shard_first,
                    (unsigned long long)o->shard_last, (unsigned long long)n,
                    dv__pl(n, "shard", "shards"), dv__pl(n, "it", "them"));
        return DV_EINVAL;
    }
    if (o->neighbors) {
        uint64_t emb = 0;
        for (uint64_t i = 0; i < n; i++) {
            dv_shard_info si;
            if (dv_dataset_shard(s->ds, i, &si) == DV_OK && si.emb_path) emb++;
        }
        if (emb == 0) {
            /* an .npz that was not used: say why here (its arrays, with no key to choose) */
            for (uint64_t i = 0; i < n; i++) {
                dv_shard_info si;
                dv_npz_member *m = NULL;
                size_t nm = 0, pick;
                char why[512];
                if (dv_dataset_shard(s->ds, i, &si) != DV_OK || !si.emb_unused ||
                    !dv_npz_is_zip(si.emb_unused))
                    continue;
                if (dv_npz_list(si.emb_unused, s->a, &m, &nm, why, sizeof why) == DV_OK &&
                    dv_npz_pick(m, nm, o->npz_key, &pick, why, sizeof why) == DV_OK)
                    snprintf(why, sizeof why, "rows not aligned, or array '%s' unreadable",
                             m[pick].name);
                dv_npz_list_free(s->a, m);
                dv__set_err(s->err, s->errcap, "--neighbors-min-sim: the dataset's .npz "
                            "embeddings are not used (%s: %s): there is nothing to search",
                            si.emb_unused, why);
                return DV_EINVAL;
            }
            dv__set_err(s->err, s->errcap, "--neighbors-min-sim: the dataset has no embeddings "
                        "aligned with it (LAION's img_emb/img_emb_N.npy beside metadata_N.parquet, "
                        "DataComp's X.npz beside X.parquet with --npz-key; dataset problems say "
                        "why any were not used): there is nothing to search");
            return DV_EINVAL;
        }
    }
    if ((o->url_col || o->caption_col || o->image_col || o->punsafe_col) && n > 0 &&
        (lay == DV_LAYOUT_PARQUET || lay == DV_LAYOUT_IMG2DATASET)) {
        /* a named column must be there: a typo would otherwise scan nothing of it */
        dv_shard_info si;
        dv_parquet_reader *pr = NULL;
        dv_parquet_reader_opts po = {0};
        /* (an --id-col that is not there gives ids made of shard and row: nothing goes
         * unchecked, so it is taken) */
        const char *file, *names[5] = {o->url_col, o->caption_col, NULL, o->image_col,
                                       o->punsafe_col};
        static const char *const opt[5] = {"--url-col", "--caption-col", "--id-col",
                                           "--image-col", "--punsafe-col"};
        char e2[256];
        int rc = DV_OK;
        po.wipe = 1;
        dv_dataset_shard(s->ds, 0, &si);
        file = lay == DV_LAYOUT_PARQUET ? si.path : si.meta_path;
        if (file && dv_parquet_reader_open(file, &po, &pr, e2, sizeof e2) == DV_OK) {
            for (int k = 0; k < 5 && rc == DV_OK; k++) {
                int found = 0;
                char leaf[160] = ""; /* a leaf below the name given: "image" -> "image.bytes" */
                if (!names[k] || (k == 3 && lay != DV_LAYOUT_PARQUET)) continue;
                for (size_t c = 0; c < dv_parquet_reader_num_columns(pr); c++) {
                    dv_parquet_column_info ci;
                    size_t nl = strlen(names[k]), cl;
                    if (dv_parquet_reader_column(pr, c, &ci) != DV_OK) continue;
                    cl = strlen(ci.name);
                    /* the first such leaf; for an image column, one ending .bytes first */
                    if (strncmp(ci.name, names[k], nl) == 0 && ci.name[nl] == '.' &&
                        cl < sizeof leaf &&
                        (!leaf[0] ||
                         (k == 3 && cl >= 6 && strcmp(ci.name + cl - 6, ".bytes") == 0)))
                        snprintf(leaf, sizeof leaf, "%s", ci.name);
                    /* a leaf ("image.bytes") or its top-level name ("url") */
                    if (strcmp(ci.name, names[k]) != 0) continue;
                    /* a score is a number: another type would flag nothing */
                    found = k != 4 || (!ci.nested && (ci.type == DV_PQ_FLOAT ||
                                                      ci.type == DV_PQ_DOUBLE)) ? 1 : -1;
                }
                if (found == 0 && leaf[0]) {
                    dv__set_err(s->err, s->errcap, "%s %s: %s has no such column, but has %s "
                                "below it: name that leaf (datavet inspect %s lists them)",
                                opt[k], names[k], file, leaf, file);
                    rc = DV_EINVAL;
                } else if (found <= 0) {
                    dv__set_err(s->err, s->errcap, found < 0 ? "%s %s: %s has it, but not as a "
                                "FLOAT or DOUBLE column (datavet inspect %s lists them)" :
                                "%s %s: %s has no such column (datavet inspect %s lists them)",
                                opt[k], names[k], file, file);
                    rc = DV_EINVAL;
                }
            }
            dv_parquet_reader_free(pr);
        }
        if (rc != DV_OK) return rc;
    }
    return DV_OK;
}

int dv_scan_run(const dv_scan_opts *opts, dv_scan_result *out, char *errbuf, size_t errcap)
{
    scan s;
    dv_scan_opts o;
    dv_dataset_opts dso = {0};
    dv_hasher_opts ho = {0};
    char path[4096];
    int rc = DV_OK;
    size_t npdq = 0;
    unsigned skip = DV_SKIP_CAPTION | DV_SKIP_MD5 | DV_SKIP_SHA1 | DV_SKIP_SHA256 | DV_SKIP_PUNSAFE;

    if (out) memset(out, 0, sizeof *out);
    if (!opts || !opts->dataset || !opts->outdir || !errbuf) return DV_EINVAL;
    memset(&s, 0, sizeof s);
    s.lockfd = -1;
    o = *opts;
    if (o.pdq_radius < 0) o.pdq_radius = 31;
    if (o.pdq_radius > 63) {
        dv__set_err(errbuf, errcap, "PDQ radius %d is over 63", o.pdq_radius);
        return DV_EINVAL;
    }
    if (o.shard_count > 0 && o.shard_index >= o.shard_count) {
        dv__set_err(errbuf, errcap, "shard index %llu is not below the shard count %llu",
                    (unsigned long long)o.shard_index, (unsigned long long)o.shard_count);
        return DV_EINVAL;
    }
    s.o = &o;
    s.a = o.alloc;
    s.err = errbuf;
    s.errcap = errcap;
    errbuf[0] = '\0';

    dso.url_col = o.url_col;
    dso.caption_col = o.caption_col;
    dso.id_col = o.id_col;
    dso.image_col = o.image_col;
    dso.punsafe_col = o.punsafe_col;
    dso.max_image_bytes = o.max_image_bytes;
    dso.npz_key = o.npz_key;
    dso.alloc = s.a;
    rc = dv_dataset_open(o.dataset, &dso, &s.ds, errbuf, errcap);
    if (rc != DV_OK) return rc;
    if (out)
        snprintf(out->dataset_problems, sizeof out->dataset_problems, "%s",
                 dv_dataset_problems(s.ds));
    rc = check_options(&s);
    if (rc != DV_OK) goto done;
    if (o.clean_dir) {
        /* DataComp's X.npz is written again without the removed rows, every array in step
         * with X.parquet: one that cannot be (an array of other rows, an object array) is
         * refused now, not after the scan */
        rc = dv__clean_npz_shards(s.ds, s.a, errbuf, errcap);
        if (rc != DV_OK) goto done;
    }
    rc = scan_alloc_lists(&s, o.nlists);
    if (rc != DV_OK) goto done;
    for (size_t i = 0; i < o.nlists; i++) {
        slist *l = &s.lists[i];
        char e[512];
        l->path = o.lists[i];
        rc = dv_list_open(o.lists[i], &l->list, e, sizeof e);
        if (rc != DV_OK) {
            dv__set_err(errbuf, errcap, "%s", e);
            goto done;
        }
        /* the report names the list by its digest: it must be the digest of what is checked */
        rc = dv_list_verify(l->list, e, sizeof e);
        if (rc != DV_OK) {
            dv__set_err(errbuf, errcap, "%s: %s", o.lists[i], e);
            goto done;
        }
        dv_list_get_info(l->list, &l->info);
        dv_hex_encode(l->info.digest, 32, l->digest);
        if (l->info.type == DV_HT_PDQ) npdq++;
        if (l->info.type == DV_HT_MD5 || l->info.type == DV_HT_SHA1 ||
            l->info.type == DV_HT_SHA256 || l->info.type == DV_HT_PDQ)
            s.need_image_hash = 1;
        if (l->info.type == DV_HT_URL || is_url_hash_type(l->info.type)) s.need_url = 1;
        if (l->info.type == DV_HT_MD5) skip &= ~DV_SKIP_MD5;
        if (l->info.type == DV_HT_SHA1) skip &= ~DV_SKIP_SHA1;
        if (l->info.type == DV_HT_SHA256) skip &= ~DV_SKIP_SHA256;
    }
    /* metadata nothing will look at is not read: no caption without --flag-terms, no digest
     * column without a list of its type, no unsafe score without --flag-punsafe */
    if (o.flag_terms) skip &= ~DV_SKIP_CAPTION;
    if (o.flag_punsafe >= 0) skip &= ~DV_SKIP_PUNSAFE;
    dv__dataset_skip(s.ds, skip);
    if (npdq > 0) {
        if (pthread_create(&s.indexer, NULL, build_indexes, &s) == 0) {
            s.indexing = 1;
        } else {
            build_indexes(&s);
            rc = indexes_ready(&s);
            if (rc != DV_OK) goto done;
        }
    }
    if (o.fetch) {
        s.fetcher = dv_fetcher_create(o.fetch_opts);
        if (!s.fetcher) {
            dv__set_err(errbuf, errcap, "cannot set up the URL fetcher (libcurl)");
            rc = DV_ENOMEM;
            goto done;
        }
    }
    if (o.flag_terms) {
        rc = dv__terms_load(o.flag_terms, s.a, &s.terms, errbuf, errcap);
        if (rc != DV_OK) goto done;
    }
    rc = dv__mkdir_private(o.outdir, errbuf, errcap);
    if (rc != DV_OK) goto done;
    snprintf(path, sizeof path, "%s/shards", o.outdir);
    rc = dv__mkdir_private_sub(path, errbuf, errcap);
    if (rc != DV_OK) goto done;
    rc = lock_shards(&s); /* first: a merge under way must not see this run's files */
    if (rc == DV_OK) rc = check_params(&s);
    if (rc == DV_OK) rc = write_problems(&s);
    if (rc != DV_OK) goto done;

    ho.algos = DV_ALGO_ALL;
    ho.dihedral = o.dihedral;
    ho.fast = o.fast;
    ho.max_pixels = o.max_pixels;
    ho.alloc = s.a;

    for (uint64_t i = 0; i < dv_dataset_num_shards(s.ds); i++) {
        dv_shard_info si;
        if (!selected(&o, i)) continue;
        s.prog.shards_total++;
        if (!shard_done(o.outdir, i)) continue;
        if (dv__shard_changed(s.ds, o.outdir, i)) {
            dv_dataset_shard(s.ds, i, &si);
            dv__set_err(errbuf, errcap, "shard %llu (%s): its files changed (size or modification "
                        "time) after it was scanned into %s: its results would be stale. Scan "
                        "into a new OUTDIR, or delete %s/shards/%06llu.* to scan it again",
                        (unsigned long long)i, si.path, o.outdir, o.outdir,
                        (unsigned long long)i);
            rc = DV_EINVAL;
            goto done;
        }
        s.prog.shards_skipped++, s.prog.shards_done++;
    }
    tell_progress(&s, &s.prog, 0);
    {
        /* Several shards and no fetching (one fetcher a run): a worker per pool thread, up
         * to 16, each scanning whole shards, so that reading and matching rows use the
         * machine too, not only hashing images. The PDQ index is shared (matching only
         * reads it), so it is waited for first. */
        uint64_t *todo = NULL;
        size_t ntodo = 0;
        unsigned threads = dv__pool_threads_for(o.threads), nw = threads < 16 ? threads : 16;
        if (nw > 1 && !o.fetch) {
            todo = dv__malloc(s.a, (size_t)(s.prog.shards_total - s.prog.shards_done + 1) *
                                       sizeof *todo);
            if (!todo) {
                rc = DV_ENOMEM;
                goto done;
            }
            for (uint64_t i = 0; i < dv_dataset_num_shards(s.ds); i++)
                if (selected(&o, i) && !shard_done(o.outdir, i)) todo[ntodo++] = i;
        }
        if (ntodo > 1) rc = indexes_ready(&s);
        if (ntodo > 1 && rc == DV_OK) {
            /* the workers hash with pools of their own: this thread starts none */
            rc = run_workers(&s, todo, ntodo, nw < ntodo ? nw : (unsigned)ntodo, threads, &ho);
            dv__free(s.a, todo);
            if (rc != DV_OK) goto done;
        } else if (rc != DV_OK) {
            dv__free(s.a, todo);
            goto done;
        } else {
            dv__free(s.a, todo);
            rc = scan_setup_hashing(&s, o.threads, &ho);
            if (rc != DV_OK) goto done;
            for (uint64_t i = 0; i < dv_dataset_num_shards(s.ds); i++) {
                if (!selected(&o, i) || shard_done(o.outdir, i)) continue;
                rc = scan_shard(&s, i);
                s.part = 0;
                if (rc != DV_OK) goto done;
                s.prog.shards_done++;
                tell_progress(&s, &s.prog, 0);
            }
        }
    }
    /* a list that could not be indexed is an error even if nothing needed it */
    rc = indexes_ready(&s);
    if (rc != DV_OK) goto done;
    if (out) out->progress = s.prog;
    if (out) unread_sorted(&s, out->unread, sizeof out->unread);
    if (!o.no_merge) {
        dv_scan_result mr;
        scan_free(&s);
        memset(&s, 0, sizeof s);
        s.lockfd = -1;
        dv_merge_opts mo = {0};
        mo.clean_dir = o.clean_dir;
        mo.progress = o.merge_progress;
        mo.progress_ctx = o.progress_ctx;
        mo.threads = o.threads;
        rc = dv_merge_run(o.outdir, &mo, &mr, errbuf, errcap);
        if (out && rc == DV_OK) {
            out->merged = 1;
            out->matches = mr.matches;
            out->candidates = mr.candidates;
            out->read_errors = mr.read_errors;
            out->removed = mr.removed;
            out->clean_left = mr.clean_left;
            out->signature_removed = mr.signature_removed;
            memcpy(out->coverage, mr.coverage, sizeof out->coverage);
        }
        return rc;
    }
done:
    if (out) out->progress = s.prog;
    scan_free(&s);
    if (rc != DV_OK && errbuf[0] == '\0') dv__set_err(errbuf, errcap, "%s", dv_strerror(rc));
    return rc;
}
