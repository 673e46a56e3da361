/* list_write.c - builder to .dvl: sort, merge duplicates, digest the canonical content, lay the
 * sections out 64-byte aligned and write the file atomically (docs/dvl-format.md). */
#include "list_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* ---------------------------------------------------------------- sorting */

typedef int (*cmp_fn)(const void *ctx, const uint8_t *a, const uint8_t *b);

/* One record of n (<= 64) bytes: word copies the compiler inlines, where memcpy of a size it
 * cannot see is a call per record (most of a sort's time at 10^7 records). */
static inline void rec_copy(uint8_t *d, const uint8_t *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) memcpy(d + i, s + i, 8);
    for (; i < n; i++) d[i] = s[i];
}

/* Stable merge sort of n elements of es (<= 64) bytes; tmp holds n / 2 elements. Stable, so
 * equal keys keep their input order and the result does not depend on the C library's qsort. */
static void msort(uint8_t *a, uint8_t *tmp, size_t n, size_t es, cmp_fn cmp, const void *ctx)
{
    size_t h, i, j, k;
    if (n <= 16) {
        uint8_t x[64];
        for (i = 1; i < n; i++) {
            rec_copy(x, a + i * es, es);
            for (j = i; j > 0 && cmp(ctx, x, a + (j - 1) * es) < 0; j--)
                rec_copy(a + j * es, a + (j - 1) * es, es);
            rec_copy(a + j * es, x, es);
        }
        return;
    }
    h = n / 2;
    msort(a, tmp, h, es, cmp, ctx);
    msort(a + h * es, tmp, n - h, es, cmp, ctx);
    if (cmp(ctx, a + (h - 1) * es, a + h * es) <= 0) return;
    memcpy(tmp, a, h * es);
    for (i = 0, j = h, k = 0; i < h && j < n; k++) {
        if (cmp(ctx, a + j * es, tmp + i * es) < 0) rec_copy(a + k * es, a + j++ * es, es);
        else rec_copy(a + k * es, tmp + i++ * es, es);
    }
    memcpy(a + k * es, tmp + i * es, (h - i) * es);
}

static int cmp_fixed(const void *ctx, const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, *(const size_t *)ctx);
}

/* URL keys: bytewise, a prefix first (the order the reader checks and searches) */
static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c != 0) return c;
    return na < nb ? -1 : na > nb ? 1 : 0;
}

static int cmp_url(const void *ctx, const uint8_t *a, const uint8_t *b)
{
    const dv_list_builder *bl = ctx;
    uint64_t ia, ib;
    memcpy(&ia, a, 8);
    memcpy(&ib, b, 8);
    return cmp_bytes(bl->keys + bl->url_off[ia], (size_t)(bl->url_off[ia + 1] - bl->url_off[ia]),
                     bl->keys + bl->url_off[ib], (size_t)(bl->url_off[ib + 1] - bl->url_off[ib]));
}

/* ---------------------------------------------------------------- the plan of a file */

/* The builder's records are sorted in place by key (fixed types) or through an order of
 * indices (URL keys, held apart); entries with the same key are then neighbours, merged as
 * each pass over them meets them (plan_group): nothing is held per entry besides the records.
 * Sorting the builder changes none of its content: a merged entry does not depend on the
 * order its duplicates came in (merge_aux). */
typedef struct plan {
    uint64_t m;      /* entries after merging */
    uint64_t *order; /* URL: n builder indices in key order */
    uint32_t *remap; /* string number -> offset in the blob */
    uint32_t *strs;  /* string numbers in blob order */
    uint64_t nstrs, blob_len;
    uint64_t off[DV__SEC_COUNT], len[DV__SEC_COUNT];
    uint64_t file_size;
    const char *meta[3];
    size_t metalen[3];
    int64_t created;
    uint8_t digest[32];
} plan;

static void plan_free(const dv_alloc *a, plan *p)
{
    dv__free(a, p->order);
    dv__free(a, p->remap);
    dv__free(a, p->strs);
}

/* the key of the i-th record in key order */
static const uint8_t *plan_key(const dv_list_builder *b, const plan *p, uint64_t i, size_t *len)
{
    if (b->type == DV_HT_URL) {
        uint64_t o = p->order[i];
        *len = (size_t)(b->url_off[o + 1] - b->url_off[o]);
        return b->keys + b->url_off[o];
    }
    *len = b->ks;
    return b->recs + i * b->rs;
}

static int str_less(const dv_list_builder *b, uint32_t x, uint32_t y)
{
    return strcmp(b->str + b->str_off[x], b->str + b->str_off[y]) < 0;
}

/* Duplicates become one entry whatever their input order: the highest quality and the
 * bytewise smallest non-empty id and label. */
static void merge_aux(const dv_list_builder *b, dv__lb_aux *into, const dv__lb_aux *x)
{
    if (x->quality > into->quality) into->quality = x->quality;
    if (x->id != 0 && (into->id == 0 || str_less(b, x->id, into->id))) into->id = x->id;
    if (x->label != 0 && (into->label == 0 || str_less(b, x->label, into->label)))
        into->label = x->label;
}

/* The entry whose records start at i (in key order): its merged fields into *x; returns the
 * first record of the next entry. */
static uint64_t plan_group(const dv_list_builder *b, const plan *p, uint64_t i, dv__lb_aux *x)
{
    const int url = b->type == DV_HT_URL;
    size_t kl, kl2;
    const uint8_t *k = plan_key(b, p, i, &kl);
    uint64_t j = i + 1;
    *x = dv__lb_get_aux(b, url ? p->order[i] : i);
    for (; j < b->n; j++) {
        const uint8_t *k2 = plan_key(b, p, j, &kl2);
        dv__lb_aux y;
        if (kl2 != kl || memcmp(k, k2, kl) != 0) break;
        y = dv__lb_get_aux(b, url ? p->order[j] : j);
        merge_aux(b, x, &y);
    }
    return j;
}

/* In-place MSD pass on key byte `byte`: each record is swapped into its bucket (256 of them,
 * so the places written to are 256 runs that move forward, not random), cnt[k] the bucket's
 * start on return (cnt[256] = n). */
static void bucket_in_place(uint8_t *recs, uint64_t n, size_t rs, size_t byte, uint64_t *cnt)
{
    uint64_t next[256];
    uint8_t x[64];
    memset(cnt, 0, 257 * sizeof(uint64_t));
    for (uint64_t i = 0; i < n; i++) cnt[recs[i * rs + byte] + 1]++;
    for (unsigned k = 0; k < 256; k++) cnt[k + 1] += cnt[k];
    memcpy(next, cnt, sizeof(next));
    for (unsigned k = 0; k < 256; k++) {
        while (next[k] < cnt[k + 1]) {
            uint8_t *r = recs + next[k] * rs;
            unsigned d = r[byte];
            if (d == k) {
                next[k]++;
                continue;
            }
            /* r belongs in d: swap it with d's next unplaced record */
            rec_copy(x, recs + next[d] * rs, rs);
            rec_copy(recs + next[d] * rs, r, rs);
            rec_copy(r, x, rs);
            next[d]++;
        }
    }
}

/* Sort n fixed-size records by their first ks bytes in place: buckets on the first key byte,
 * then on the next while a bucket has 4096 records or more (twice for 10^7 hashes, more where
 * keys share a prefix), then a merge sort of each, *tmp (grown as needed, *tcap records)
 * holding half of one. */
static int sort_fixed(const dv_alloc *a, uint8_t *recs, uint64_t n, size_t rs, size_t ks,
                      int depth, uint8_t **tmp, uint64_t *tcap)
{
    uint64_t cnt[257];
    if (n < 2) return DV_OK;
    if (n < 4096 || (size_t)depth >= ks) {
        if (n / 2 + 1 > *tcap) {
            uint8_t *nt = dv__realloc(a, *tmp, (size_t)(n / 2 + 1) * rs);
            if (nt == NULL) return DV_ENOMEM;
            *tmp = nt;
            *tcap = n / 2 + 1;
        }
        msort(recs, *tmp, (size_t)n, rs, cmp_fixed, &ks);
        return DV_OK;
    }
    bucket_in_place(recs, n, rs, (size_t)depth, cnt);
    for (unsigned k = 0; k < 256; k++)
        DV_FORWARD_IF_ERROR(sort_fixed(a, recs + cnt[k] * rs, cnt[k + 1] - cnt[k], rs, ks,
                                       depth + 1, tmp, tcap));
    return DV_OK;
}

static int sort_and_merge(dv_list_builder *b, plan *p, uint64_t *dups)
{
    const dv_alloc *a = b->alloc;
    const uint64_t n = b->n;
    uint8_t *tmp = NULL;
    uint64_t m = 0, i;
    dv__lb_aux x;

    *dups = 0;
    if (b->type == DV_HT_URL) {
        p->order = dv__malloc(a, (size_t)(n ? n : 1) * sizeof(uint64_t));
        tmp = dv__malloc(a, (size_t)(n / 2 + 1) * sizeof(uint64_t));
        if (p->order == NULL || tmp == NULL) {
            dv__free(a, tmp);
            return DV_ENOMEM;
        }
        for (i = 0; i < n; i++) p->order[i] = i;
        msort((uint8_t *)p->order, tmp, (size_t)n, 8, cmp_url, b);
    } else {
        uint64_t tcap = 0;
        int rc = sort_fixed(a, b->recs, n, b->rs, b->ks, 0, &tmp, &tcap);
        if (rc != DV_OK) {
            dv__free(a, tmp);
            return rc;
        }
    }
    dv__free(a, tmp);
    for (i = 0; i < n; m++) i = plan_group(b, p, i, &x);
    *dups = n - m;
    p->m = m;
    return DV_OK;
}

/* Strings referenced by the merged entries, in first-use order, each once. */
static int lay_strings(dv_list_builder *b, plan *p)
{
    const dv_alloc *a = b->alloc;
    dv__lb_aux x;
    p->remap = dv__calloc(a, (size_t)b->nstr + 1, sizeof(uint32_t));
    p->strs = dv__malloc(a, ((size_t)b->nstr + 1) * sizeof(uint32_t));
    if (p->remap == NULL || p->strs == NULL) return DV_ENOMEM;
    p->blob_len = 1; /* offset 0 is the empty string */
    for (uint64_t i = 0; i < b->n && b->nstr > 0;) {
        uint32_t s2[2];
        i = plan_group(b, p, i, &x);
        s2[0] = x.id;
        s2[1] = x.label;
        for (int k = 0; k < 2; k++) {
            size_t len;
            if (s2[k] == 0 || p->remap[s2[k]] != 0) continue;
            dv__lb_str(b, s2[k], &len);
            if (p->blob_len + len + 1 > 0xFFFFFFFFull) {
                dv__lb_set_msg(b, "ids and labels take over 4 GiB: too big for a list file");
                return DV_ETOOBIG;
            }
            p->remap[s2[k]] = (uint32_t)p->blob_len;
            p->strs[p->nstrs++] = s2[k];
            p->blob_len += len + 1;
        }
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- digest */

struct dv__lhash {
    const dv_alloc *a;
    EVP_MD_CTX *ctx;
    uint8_t buf[65536];
    size_t n;
    int ok;
};

static void h_put(dv__lhash *h, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n > 0) {
        size_t c = sizeof(h->buf) - h->n < n ? sizeof(h->buf) - h->n : n;
        memcpy(h->buf + h->n, s, c);
        h->n += c;
        s += c;
        n -= c;
        if (h->n == sizeof(h->buf)) {
            if (EVP_DigestUpdate(h->ctx, h->buf, h->n) != 1) h->ok = 0;
            h->n = 0;
        }
    }
}

static void h_u32(dv__lhash *h, uint32_t v)
{
    uint8_t x[4];
    dv__put32(x, v);
    h_put(h, x, 4);
}

dv__lhash *dv__lhash_create(const dv_alloc *a, uint32_t type, uint64_t count)
{
    dv__lhash *h = dv__malloc(a, sizeof(dv__lhash));
    uint8_t x[8];
    if (h == NULL) return NULL;
    h->a = a;
    h->n = 0;
    h->ok = 1;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        dv__free(a, h);
        return NULL;
    }
    h_u32(h, type);
    dv__put64(x, count);
    h_put(h, x, 8);
    return h;
}

void dv__lhash_entry(dv__lhash *h, const uint8_t *key, size_t keylen, int32_t quality,
                     const char *id, size_t idlen, const char *label, size_t labellen)
{
    h_u32(h, (uint32_t)keylen);
    h_put(h, key, keylen);
    h_u32(h, (uint32_t)quality);
    h_u32(h, (uint32_t)idlen);
    h_put(h, id, idlen);
    h_u32(h, (uint32_t)labellen);
    h_put(h, label, labellen);
}

int dv__lhash_finish(dv__lhash *h, uint8_t out[32])
{
    unsigned int outlen = 0;
    int rc = DV_OK;
    if (h == NULL) return DV_ENOMEM;
    if (h->n > 0 && EVP_DigestUpdate(h->ctx, h->buf, h->n) != 1) h->ok = 0;
    if (!h->ok || EVP_DigestFinal_ex(h->ctx, out, &outlen) != 1 || outlen != 32) rc = DV_ENOMEM;
    EVP_MD_CTX_free(h->ctx);
    dv__free(h->a, h);
    return rc;
}

/* SHA-256 of: u32 type, u64 count, then per entry in canonical order u32 key length, key,
 * i32 quality, u32 id length, id, u32 label length, label (all little-endian). */
static int digest(const dv_list_builder *b, plan *p)
{
    dv__lhash *h = dv__lhash_create(b->alloc, (uint32_t)b->type, p->m);
    if (h == NULL) return DV_ENOMEM;
    for (uint64_t i = 0, j; i < b->n; i = j) {
        size_t kl, il = 0, ll = 0;
        dv__lb_aux x;
        const uint8_t *k = plan_key(b, p, i, &kl);
        const char *id, *lab;
        j = plan_group(b, p, i, &x);
        id = x.id ? dv__lb_str(b, x.id, &il) : "";
        lab = x.label ? dv__lb_str(b, x.label, &ll) : "";
        dv__lhash_entry(h, k, kl, x.quality, id, il, lab, ll);
    }
    return dv__lhash_finish(h, p->digest);
}

/* ---------------------------------------------------------------- layout */

static int make_plan(dv_list_builder *b, const dv_list_meta *meta, int64_t created, plan *p,
                     uint64_t *dups)
{
    const char *names[3] = {"name", "version", "source"};
    int has_q = 0, has_ids = 0, has_labels = 0, rc;
    uint64_t cur = DV__DVL_HEADER_SIZE;

    memset(p, 0, sizeof(*p));
    p->created = created;
    if (b->type == DV_HT_NONE) {
        dv__lb_set_msg(b, "the list is empty and has no hash type: nothing to write");
        return DV_EINVAL;
    }
    p->meta[0] = meta && meta->name ? meta->name : "";
    p->meta[1] = meta && meta->version ? meta->version : "";
    p->meta[2] = meta && meta->source ? meta->source : "";
    for (int k = 0; k < 3; k++) {
        p->metalen[k] = strlen(p->meta[k]);
        if (p->metalen[k] > DV__LIST_STR_MAX) {
            dv__lb_set_msg(b, "list %s longer than %u bytes", names[k], DV__LIST_STR_MAX);
            return DV_EINVAL;
        }
    }
    rc = sort_and_merge(b, p, dups);
    if (rc == DV_OK) rc = lay_strings(b, p);
    if (rc == DV_OK) rc = digest(b, p);
    if (rc != DV_OK) {
        if (rc == DV_ENOMEM) dv__lb_set_msg(b, "out of memory writing the list");
        return rc;
    }
    for (uint64_t i = 0; i < b->n && b->has != 0;) {
        dv__lb_aux x;
        i = plan_group(b, p, i, &x);
        has_q |= x.quality >= 0;
        has_ids |= x.id != 0;
        has_labels |= x.label != 0;
    }
    p->len[DV__SEC_META] = p->metalen[0] + p->metalen[1] + p->metalen[2] + 3;
    if (b->type == DV_HT_URL) {
        uint64_t total = 0;
        dv__lb_aux x;
        for (uint64_t i = 0; i < b->n; i = plan_group(b, p, i, &x))
            total += b->url_off[p->order[i] + 1] - b->url_off[p->order[i]];
        p->len[DV__SEC_KEYS] = total;
        p->len[DV__SEC_KEYOFFS] = (p->m + 1) * 8;
    } else {
        p->len[DV__SEC_KEYS] = p->m * b->ks;
    }
    p->len[DV__SEC_QUALITY] = has_q ? p->m * 2 : 0;
    p->len[DV__SEC_IDS] = has_ids ? p->m * 4 : 0;
    p->len[DV__SEC_LABELS] = has_labels ? p->m * 4 : 0;
    p->len[DV__SEC_STRINGS] = (has_ids || has_labels) ? p->blob_len : 0;
    for (int s = 0; s < DV__SEC_COUNT; s++) {
        if (p->len[s] == 0) continue;
        p->off[s] = (cur + DV__DVL_ALIGN - 1) / DV__DVL_ALIGN * DV__DVL_ALIGN;
        cur = p->off[s] + p->len[s];
    }
    p->file_size = cur;
    return DV_OK;
}

/* ---------------------------------------------------------------- output */

typedef struct sink {
    int fd;       /* -1: memory */
    uint8_t *buf; /* memory: the whole file; fd: a staging buffer */
    size_t len, cap;
    uint64_t pos; /* bytes emitted */
    int rc;
    int err; /* errno of a failed write */
} sink;

static void sk_flush(sink *s)
{
    size_t done = 0;
    if (s->fd < 0 || s->rc != DV_OK) return;
    while (done < s->len) {
        ssize_t w = write(s->fd, s->buf + done, s->len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            s->rc = DV_EIO;
            s->err = w < 0 ? errno : EIO;
            return;
        }
        done += (size_t)w;
    }
    s->len = 0;
}

static void sk_put(sink *s, const void *p, size_t n)
{
    const uint8_t *src = p;
    s->pos += n;
    while (n > 0 && s->rc == DV_OK) {
        size_t c = s->cap - s->len < n ? s->cap - s->len : n;
        if (c == 0) {
            if (s->fd < 0) { /* the plan's size was wrong: never expected */
                s->rc = DV_EINVAL;
                return;
            }
            sk_flush(s);
            continue;
        }
        memcpy(s->buf + s->len, src, c);
        s->len += c;
        src += c;
        n -= c;
    }
}

static void sk_pad(sink *s, uint64_t to)
{
    static const uint8_t zeros[DV__DVL_ALIGN];
    while (s->pos < to) {
        uint64_t n = to - s->pos;
        sk_put(s, zeros, n < sizeof(zeros) ? (size_t)n : sizeof(zeros));
    }
}

static void emit(const dv_list_builder *b, const plan *p, sink *s)
{
    uint8_t h[DV__DVL_HEADER_SIZE], le[8];
    dv__lb_aux x;
    memset(h, 0, sizeof(h));
    memcpy(h + DV__H_MAGIC, DV__DVL_MAGIC, 8);
    dv__put32(h + DV__H_VERSION, DV__DVL_VERSION);
    dv__put32(h + DV__H_TYPE, (uint32_t)b->type);
    dv__put64(h + DV__H_COUNT, p->m);
    dv__put32(h + DV__H_KEYSIZE, (uint32_t)b->ks);
    dv__put32(h + DV__H_FLAGS, 0);
    dv__put64(h + DV__H_CREATED, (uint64_t)p->created);
    memcpy(h + DV__H_DIGEST, p->digest, 32);
    dv__put32(h + DV__H_NSECTIONS, DV__SEC_COUNT);
    dv__put32(h + DV__H_HSIZE, DV__DVL_HEADER_SIZE);
    for (int k = 0; k < DV__SEC_COUNT; k++) {
        dv__put64(h + DV__H_SECTIONS + 16 * k, p->off[k]);
        dv__put64(h + DV__H_SECTIONS + 16 * k + 8, p->len[k]);
    }
    sk_put(s, h, sizeof(h));

    sk_pad(s, p->off[DV__SEC_META]);
    for (int k = 0; k < 3; k++) sk_put(s, p->meta[k], p->metalen[k] + 1);

    if (p->len[DV__SEC_KEYS] > 0) {
        sk_pad(s, p->off[DV__SEC_KEYS]);
        for (uint64_t i = 0; i < b->n; i = plan_group(b, p, i, &x)) {
            size_t kl;
            const uint8_t *k = plan_key(b, p, i, &kl);
            sk_put(s, k, kl);
        }
    }
    if (p->len[DV__SEC_KEYOFFS] > 0) {
        uint64_t o = 0;
        sk_pad(s, p->off[DV__SEC_KEYOFFS]);
        for (uint64_t i = 0; i < b->n; i = plan_group(b, p, i, &x)) {
            dv__put64(le, o);
            sk_put(s, le, 8);
            o += b->url_off[p->order[i] + 1] - b->url_off[p->order[i]];
        }
        dv__put64(le, o);
        sk_put(s, le, 8);
    }
    if (p->len[DV__SEC_QUALITY] > 0) {
        sk_pad(s, p->off[DV__SEC_QUALITY]);
        for (uint64_t i = 0, j; i < b->n; i = j) {
            uint16_t q;
            j = plan_group(b, p, i, &x);
            q = (uint16_t)(int16_t)x.quality;
            le[0] = (uint8_t)q;
            le[1] = (uint8_t)(q >> 8);
            sk_put(s, le, 2);
        }
    }
    for (int sec = DV__SEC_IDS; sec <= DV__SEC_LABELS; sec++) {
        if (p->len[sec] == 0) continue;
        sk_pad(s, p->off[sec]);
        for (uint64_t i = 0, j; i < b->n; i = j) {
            uint32_t str;
            j = plan_group(b, p, i, &x);
            str = sec == DV__SEC_IDS ? x.id : x.label;
            dv__put32(le, str ? p->remap[str] : 0);
            sk_put(s, le, 4);
        }
    }
    if (p->len[DV__SEC_STRINGS] > 0) {
        sk_pad(s, p->off[DV__SEC_STRINGS]);
        sk_put(s, "", 1);
        for (uint64_t i = 0; i < p->nstrs; i++) {
            size_t len;
            const char *t = dv__lb_str(b, p->strs[i], &len);
            sk_put(s, t, len + 1);
        }
    }
    sk_flush(s);
}

int dv__list_builder_to_buffer(dv_list_builder *b, const dv_list_meta *meta, int64_t created,
                               uint8_t **buf_out, size_t *len_out, uint64_t *duplicates)
{
    plan p;
    sink s;
    uint64_t dups = 0;
    int rc;

    *buf_out = NULL;
    *len_out = 0;
    rc = make_plan(b, meta, created, &p, &dups);
    if (rc == DV_OK && p.file_size > SIZE_MAX / 2) rc = DV_ETOOBIG;
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    if (rc == DV_OK) {
        s.cap = (size_t)p.file_size;
        s.buf = dv__malloc(b->alloc, s.cap);
        if (s.buf == NULL) {
            dv__lb_set_msg(b, "out of memory writing the list");
            rc = DV_ENOMEM;
        }
    }
    if (rc == DV_OK) {
        emit(b, &p, &s);
        rc = s.rc;
        if (rc == DV_OK && s.pos != p.file_size) rc = DV_EINVAL;
    }
    plan_free(b->alloc, &p);
    if (rc != DV_OK) {
        dv__free(b->alloc, s.buf);
        return rc;
    }
    *buf_out = s.buf;
    *len_out = s.len;
    if (duplicates) *duplicates = dups;
    return DV_OK;
}

/* SOURCE_DATE_EPOCH (reproducible builds) if set and valid, else now. */
static int64_t creation_time(void)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    if (e != NULL && *e != '\0') {
        int64_t v = 0;
        const char *q = e;
        for (; *q >= '0' && *q <= '9' && v < (INT64_MAX - 9) / 10; q++) v = v * 10 + (*q - '0');
        if (*q == '\0') return v;
    }
    return (int64_t)time(NULL);
}

int dv_list_builder_write(dv_list_builder *b, const dv_list_meta *meta, const char *path,
                          dv_import_stats *stats)
{
    plan p;
    sink s;
    uint64_t dups = 0;
    size_t plen;
    char *tmp = NULL;
    int rc, fd = -1;

    if (b == NULL) return DV_EINVAL;
    if (path == NULL || *path == '\0') {
        dv__lb_set_msg(b, "no output path");
        return DV_EINVAL;
    }
    b->msg[0] = '\0';
    b->nmsg = 0;
    rc = make_plan(b, meta, creation_time(), &p, &dups);
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    plen = strlen(path);
    if (rc == DV_OK) {
        /* the temporary file sits next to the target, so rename() is atomic */
        tmp = dv__malloc(b->alloc, plen + 16);
        s.cap = 1u << 20;
        s.buf = dv__malloc(b->alloc, s.cap);
        if (tmp == NULL || s.buf == NULL) {
            dv__lb_set_msg(b, "out of memory writing the list");
            rc = DV_ENOMEM;
        }
    }
    if (rc == DV_OK) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".tmp-XXXXXX", 12);
        fd = mkstemp(tmp); /* mode 0600: lists are sensitive */
        if (fd < 0 || fchmod(fd, 0600) != 0) {
            dv__lb_set_msg(b, "%s: cannot create a temporary file next to it: %s", path,
                           strerror(errno));
            rc = DV_EIO;
        }
    }
    if (rc == DV_OK) {
        s.fd = fd;
        emit(b, &p, &s);
        if (s.rc != DV_OK) {
            dv__lb_set_msg(b, "%s: write failed: %s", tmp, strerror(s.err));
            rc = s.rc;
        } else if (fsync(fd) != 0) {
            dv__lb_set_msg(b, "%s: fsync failed: %s", tmp, strerror(errno));
            rc = DV_EIO;
        }
    }
    if (fd >= 0) {
        if (close(fd) != 0 && rc == DV_OK) {
            dv__lb_set_msg(b, "%s: close failed: %s", tmp, strerror(errno));
            rc = DV_EIO;
        }
        if (rc == DV_OK && rename(tmp, path) != 0) {
            dv__lb_set_msg(b, "%s: cannot rename the temporary file into place: %s", path,
                           strerror(errno));
            rc = DV_EIO;
        }
        if (rc != DV_OK) unlink(tmp);
    }
    if (rc == DV_OK) {
        /* make the rename itself durable */
        const char *slash = strrchr(path, '/');
        int dfd;
        if (slash == NULL) {
            dfd = open(".", O_RDONLY | O_CLOEXEC);
        } else {
            size_t dl = slash == path ? 1 : (size_t)(slash - path);
            memcpy(tmp, path, dl);
            tmp[dl] = '\0';
            dfd = open(tmp, O_RDONLY | O_CLOEXEC);
        }
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    plan_free(b->alloc, &p);
    dv__free(b->alloc, s.buf);
    dv__free(b->alloc, tmp);
    if (rc == DV_OK && stats != NULL) stats->duplicates = dups;
    return rc;
}
