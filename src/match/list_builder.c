/* list_builder.c - the in-memory list under construction: entries, interned ids and labels,
 * and the messages an import leaves. Sorting and writing are list_write.c's. */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* mremap */
#endif
#include "list_internal.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

dv_list_builder *dv_list_builder_create(dv_hash_type type, const dv_alloc *alloc)
{
    dv_list_builder *b;
    if ((unsigned)type > DV_HT_URL_SHA256) return NULL;
    b = dv__calloc(alloc, 1, sizeof(*b));
    if (b == NULL) return NULL;
    b->alloc = alloc;
    b->type = type;
    b->ks = dv_hash_type_size(type);
    b->rs = b->ks;
    return b;
}

/* The records are the bulk of a big list (16 bytes an MD5), and one array, which the writer
 * sorts in place. Grown by realloc from a pipe, whose size is not known, glibc extends them
 * on the heap until it cannot and then copies them to a new mapping: 10^7 MD5s peaked at
 * twice their bytes (310 MB against 179 MB for the same file). With the default allocator,
 * records past DV__LB_MAP_MIN bytes live in a private mapping grown by mremap, which moves
 * pages, never bytes: they are copied once, at DV__LB_MAP_MIN. A caller's allocator gets
 * realloc as before. */
#define DV__LB_MAP_MIN ((size_t)4 << 20)

static void recs_free(dv_list_builder *b)
{
    if (b->recs_map) munmap(b->recs, b->recs_map);
    else dv__free(b->alloc, b->recs);
    b->recs = NULL;
    b->recs_map = 0;
}

/* recs resized to hold bytes (more than it holds), its contents kept. */
static int recs_resize(dv_list_builder *b, size_t bytes)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t mb;
    void *np;
    if (bytes == 0) bytes = 1;
    if ((b->alloc != NULL && (b->alloc->malloc_fn || b->alloc->realloc_fn || b->alloc->free_fn)) ||
        (bytes < DV__LB_MAP_MIN && b->recs_map == 0)) {
        np = dv__realloc(b->alloc, b->recs, bytes);
        if (np == NULL) return DV_ENOMEM;
        b->recs = np;
        return DV_OK;
    }
    if (bytes > SIZE_MAX - page) return DV_ETOOBIG;
    mb = (bytes + page - 1) / page * page;
    if (b->recs_map) {
        if (mb <= b->recs_map) return DV_OK;
        np = mremap(b->recs, b->recs_map, mb, MREMAP_MAYMOVE);
        if (np == MAP_FAILED) return DV_ENOMEM;
    } else {
        np = mmap(NULL, mb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (np == MAP_FAILED) return DV_ENOMEM;
        /* what the heap held: at most DV__LB_MAP_MIN bytes, the one copy */
        if (b->recs != NULL) memcpy(np, b->recs, (size_t)b->n * b->rs);
        dv__free(b->alloc, b->recs);
    }
    b->recs = np;
    b->recs_map = mb;
    return DV_OK;
}

/* recs grown to hold at least need records, doubling as grow() does, never past max. */
static int recs_grow(dv_list_builder *b, uint64_t need, uint64_t max)
{
    uint64_t ncap;
    size_t bytes;
    if (need <= b->cap) return DV_OK;
    if (need > max) return DV_ETOOBIG;
    ncap = b->cap ? b->cap : 1024;
    while (ncap < need) ncap = ncap > max / 2 ? max : ncap * 2;
    if (ncap > SIZE_MAX || !dv__mul_ok((size_t)ncap, b->rs, &bytes)) return DV_ETOOBIG;
    DV_FORWARD_IF_ERROR(recs_resize(b, bytes));
    b->cap = ncap;
    return DV_OK;
}

void dv_list_builder_free(dv_list_builder *b)
{
    if (b == NULL) return;
    dv__free(b->alloc, b->keys);
    dv__free(b->alloc, b->url_off);
    recs_free(b);
    dv__free(b->alloc, b->str);
    dv__free(b->alloc, b->str_off);
    dv__free(b->alloc, b->tab);
    dv__free(b->alloc, b);
}

const char *dv_list_builder_errmsg(const dv_list_builder *b) { return b ? b->msg : ""; }

/* The message's lines are escaped (dv__text_line): a file name, a header's column or a value
 * quoted in one never makes a line of its own. */
void dv__lb_set_msg(dv_list_builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dv__text_vline(b->msg, sizeof(b->msg), fmt, ap);
    va_end(ap);
    b->nmsg = 0;
}

/* Appends one line to the message, so an import can leave its first few reasons. */
void dv__lb_add_msg_line(dv_list_builder *b, const char *fmt, ...)
{
    size_t used = strlen(b->msg);
    va_list ap;
    if (used + 2 >= sizeof(b->msg)) return;
    if (used > 0) b->msg[used++] = '\n';
    va_start(ap, fmt);
    dv__text_vline(b->msg + used, sizeof(b->msg) - used, fmt, ap);
    va_end(ap);
    b->nmsg++;
}

/* Grow *p (elements of size sz) to hold at least need, doubling, never past max. */
static int grow(const dv_alloc *a, void **p, uint64_t *cap, uint64_t need, size_t sz, uint64_t max)
{
    uint64_t ncap;
    size_t bytes;
    void *np;
    if (need <= *cap) return DV_OK;
    if (need > max) return DV_ETOOBIG;
    ncap = *cap ? *cap : 1024;
    while (ncap < need) ncap = ncap > max / 2 ? max : ncap * 2;
    if (ncap > SIZE_MAX || !dv__mul_ok((size_t)ncap, sz, &bytes)) return DV_ETOOBIG;
    np = dv__realloc(a, *p, bytes);
    if (np == NULL) return DV_ENOMEM;
    *p = np;
    *cap = ncap;
    return DV_OK;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int tab_rehash(dv_list_builder *b, uint32_t ncap)
{
    uint32_t *nt = dv__calloc(b->alloc, ncap, sizeof(uint32_t));
    if (nt == NULL) return DV_ENOMEM;
    for (uint32_t s = 1; s <= b->nstr; s++) {
        size_t len;
        const char *t = dv__lb_str(b, s, &len);
        uint32_t i = (uint32_t)fnv1a(t, len) & (ncap - 1);
        while (nt[i] != 0) i = (i + 1) & (ncap - 1);
        nt[i] = s;
    }
    dv__free(b->alloc, b->tab);
    b->tab = nt;
    b->tab_cap = ncap;
    return DV_OK;
}

/* Same text, same number: repeated labels (categories) are stored once, here and in the file. */
static int intern(dv_list_builder *b, const char *s, size_t n, uint32_t *out)
{
    uint32_t i, mask;
    uint64_t cap;
    int rc;

    *out = 0;
    if (n == 0) return DV_OK;
    if (b->tab_cap == 0 || (uint64_t)(b->nstr + 1) * 2 > b->tab_cap) {
        if (b->tab_cap >= (1u << 31)) return DV_ETOOBIG;
        DV_FORWARD_IF_ERROR(tab_rehash(b, b->tab_cap ? b->tab_cap * 2 : 1024));
    }
    mask = b->tab_cap - 1;
    for (i = (uint32_t)fnv1a(s, n) & mask; b->tab[i] != 0; i = (i + 1) & mask) {
        size_t len;
        const char *t = dv__lb_str(b, b->tab[i], &len);
        if (len == n && memcmp(t, s, n) == 0) {
            *out = b->tab[i];
            return DV_OK;
        }
    }
    if (b->str_len + n + 1 > DV__LIST_STR_ARENA_MAX) return DV_ETOOBIG;
    rc = grow(b->alloc, (void **)&b->str, &b->str_cap, b->str_len + n + 1, 1,
              DV__LIST_STR_ARENA_MAX);
    if (rc == DV_OK) {
        cap = b->str_off_cap;
        rc = grow(b->alloc, (void **)&b->str_off, &cap, (uint64_t)b->nstr + 3, sizeof(uint64_t),
                  (1ull << 32) - 1);
        b->str_off_cap = (uint32_t)cap;
    }
    DV_FORWARD_IF_ERROR(rc);
    if (b->nstr == 0) b->str_off[1] = 0;
    memcpy(b->str + b->str_len, s, n);
    b->str[b->str_len + n] = '\0';
    b->str_len += n + 1;
    b->nstr++;
    b->str_off[b->nstr + 1] = b->str_len;
    b->tab[i] = b->nstr;
    *out = b->nstr;
    return DV_OK;
}

void dv__lb_reserve(dv_list_builder *b, uint64_t total)
{
    if (total > DV__LIST_MAX_ENTRIES) total = DV__LIST_MAX_ENTRIES;
    if (b->type == DV_HT_NONE) return;
    if (b->rs > 0 && total > b->cap) (void)recs_grow(b, total, total);
    if (b->type == DV_HT_URL)
        grow(b->alloc, (void **)&b->url_off, &b->url_off_cap, total + 1, sizeof(uint64_t),
             total + 1);
}

size_t dv__lb_label_len(const char *s, size_t n)
{
    return dv__text_clean(DV_TEXT_PLAIN, s, n) ? n : dv_text_utf8(DV_TEXT_PLAIN, s, n, NULL, 0);
}

/* Widen the records to hold the fields of want as well as the ones they hold: each record
 * is rewritten from the last, whose new place is never before its old one. Happens at most
 * three times a builder; until then a record is its key alone. */
static int widen(dv_list_builder *b, unsigned want)
{
    const unsigned has = b->has | want;
    const size_t nrs = b->ks + (has & DV__LB_HAS_ID ? 4 : 0) + (has & DV__LB_HAS_LABEL ? 4 : 0) +
                       (has & DV__LB_HAS_QUALITY ? 1 : 0);
    size_t bytes;
    if (has == b->has) return DV_OK;
    if (b->rs == 0) {
        /* URL entries held no record until now: one each, to hold the fields */
        recs_free(b);
        b->cap = 0;
        if (b->n > 0) {
            if (!dv__mul_ok((size_t)b->n, nrs, &bytes)) return DV_ETOOBIG;
            DV_FORWARD_IF_ERROR(recs_resize(b, bytes));
            b->cap = b->n;
        }
    } else if (b->cap > 0) {
        if (b->cap > SIZE_MAX || !dv__mul_ok((size_t)b->cap, nrs, &bytes)) return DV_ETOOBIG;
        DV_FORWARD_IF_ERROR(recs_resize(b, bytes));
    }
    for (uint64_t i = b->n; i-- > 0;) {
        dv__lb_aux x = dv__lb_get_aux(b, i);
        uint8_t key[32], *r = b->recs + i * nrs;
        memcpy(key, b->recs + i * b->rs, b->ks);
        memcpy(r, key, b->ks);
        r += b->ks;
        if (has & DV__LB_HAS_ID) memcpy(r, &x.id, 4), r += 4;
        if (has & DV__LB_HAS_LABEL) memcpy(r, &x.label, 4), r += 4;
        if (has & DV__LB_HAS_QUALITY) r[0] = (uint8_t)(int8_t)x.quality;
    }
    b->has = has;
    b->rs = nrs;
    return DV_OK;
}

int dv__lb_add(dv_list_builder *b, dv_hash_type t, const uint8_t *key, size_t keylen,
               const char *id, size_t idlen, const char *label, size_t labellen, int quality)
{
    dv__lb_aux x = {0, 0, -1};
    char *utf8 = NULL;
    unsigned want = 0;
    uint8_t *r;
    int rc = DV_OK;

    if (b->type == DV_HT_NONE) {
        /* no entry yet (or an import that set the type was undone): records start as keys */
        recs_free(b);
        b->cap = 0;
        b->has = 0;
        b->type = t;
        b->ks = dv_hash_type_size(t);
        b->rs = b->ks;
    } else if (t != b->type) {
        return DV_EFORMAT;
    }
    if (labellen > 0 && !dv__text_clean(DV_TEXT_PLAIN, label, labellen)) {
        size_t n = dv_text_utf8(DV_TEXT_PLAIN, label, labellen, NULL, 0);
        if ((utf8 = dv__malloc(b->alloc, n + 1)) == NULL) rc = DV_ENOMEM;
        else labellen = dv_text_utf8(DV_TEXT_PLAIN, label, labellen, utf8, n + 1), label = utf8;
    }
    if (rc == DV_OK) rc = intern(b, id, idlen, &x.id);
    if (rc == DV_OK) rc = intern(b, label, labellen, &x.label);
    dv__free(b->alloc, utf8);
    x.quality = t == DV_HT_PDQ ? quality : -1;
    want = (x.id ? DV__LB_HAS_ID : 0) | (x.label ? DV__LB_HAS_LABEL : 0) |
           (x.quality >= 0 ? DV__LB_HAS_QUALITY : 0);
    if (rc == DV_OK) rc = widen(b, want);
    if (rc == DV_OK && b->rs > 0) {
        rc = recs_grow(b, b->n + 1, DV__LIST_MAX_ENTRIES);
    } else if (rc == DV_OK && b->n + 1 > DV__LIST_MAX_ENTRIES) {
        rc = DV_ETOOBIG;
    }
    if (rc == DV_OK && t == DV_HT_URL) {
        rc = grow(b->alloc, (void **)&b->url_off, &b->url_off_cap, b->n + 2, sizeof(uint64_t),
                  DV__LIST_MAX_ENTRIES + 1);
        if (rc == DV_OK)
            rc = grow(b->alloc, (void **)&b->keys, &b->keys_cap, b->keys_len + keylen, 1,
                      DV__LIST_URL_ARENA_MAX);
    }
    if (rc != DV_OK) {
        dv__lb_set_msg(b, "%s",
                       rc == DV_ENOMEM ? "out of memory adding a list entry"
                                       : "list too big: over 2^31 entries, 64 GiB of "
                                         "URLs or 4 GiB of ids and labels");
        return rc;
    }
    r = b->recs ? b->recs + b->n * b->rs : NULL;
    if (t == DV_HT_URL) {
        b->url_off[b->n] = b->keys_len;
        memcpy(b->keys + b->keys_len, key, keylen);
        b->keys_len += keylen;
        b->url_off[b->n + 1] = b->keys_len;
    } else {
        memcpy(r, key, b->ks);
        b->keys_len += b->ks;
    }
    if (r != NULL) {
        r += b->ks;
        if (b->has & DV__LB_HAS_ID) memcpy(r, &x.id, 4), r += 4;
        if (b->has & DV__LB_HAS_LABEL) memcpy(r, &x.label, 4), r += 4;
        if (b->has & DV__LB_HAS_QUALITY) r[0] = (uint8_t)(int8_t)x.quality;
    }
    b->n++;
    return DV_OK;
}

int dv_list_builder_add(dv_list_builder *b, dv_hash_type type, const void *key, size_t keylen,
                        const char *id, const char *label, int quality)
{
    size_t idlen, labellen;
    if (b == NULL) return DV_EINVAL;
    if ((unsigned)type > DV_HT_URL_SHA256 || type == DV_HT_NONE || key == NULL) {
        dv__lb_set_msg(b, "add: bad hash type or no key");
        return DV_EINVAL;
    }
    if (b->type != DV_HT_NONE && type != b->type) {
        dv__lb_set_msg(b, "add: a %s entry in a %s list (a list has one hash type)",
                       dv_hash_type_name(type), dv_hash_type_name(b->type));
        return DV_EINVAL;
    }
    if (type == DV_HT_URL ? (keylen == 0 || keylen > DV__LIST_URL_MAX || memchr(key, 0, keylen))
                          : keylen != dv_hash_type_size(type)) {
        dv__lb_set_msg(b, "add: a %s key of %zu bytes (expected %zu)", dv_hash_type_name(type),
                       keylen, dv_hash_type_size(type));
        return DV_EINVAL;
    }
    if (quality < -1 || quality > 100) {
        dv__lb_set_msg(b, "add: quality %d is not -1 or 0..100", quality);
        return DV_EINVAL;
    }
    idlen = id ? strlen(id) : 0;
    labellen = label ? strlen(label) : 0;
    if (idlen > DV__LIST_STR_MAX || dv__lb_label_len(label, labellen) > DV__LIST_STR_MAX) {
        dv__lb_set_msg(b, "add: id or label longer than %u bytes (a label as UTF-8)",
                       DV__LIST_STR_MAX);
        return DV_EINVAL;
    }
    return dv__lb_add(b, type, key, keylen, id, idlen, label, labellen, quality);
}
