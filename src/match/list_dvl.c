/* list_dvl.c - opening a .dvl list (mmap or caller buffer): every header field, section and
 * string offset is validated up front, then entries are read in place, searched and diffed. */
#include "list_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct dv_list {
    const uint8_t *base;
    size_t size;
    void *map; /* non-NULL when dv_list_open mapped the file */
    size_t maplen;
    dv_hash_type type;
    uint32_t format_version;
    uint64_t count;
    size_t ks;
    int64_t created;
    uint8_t digest[32];
    const char *meta[3];
    const uint8_t *keys;
    const uint8_t *keyoffs; /* URL */
    const uint8_t *quality; /* NULL when absent */
    const uint8_t *ids;     /* NULL when absent */
    const uint8_t *labels;  /* NULL when absent */
    const char *strings;
    uint64_t strings_len;
    /* dv_list_find's hash index, built at open (NULL: binary search): slot = tag << 32 |
     * (entry + 1), 0 empty, linear probing; hmask + 1 slots, at least twice the entries */
    uint64_t *hidx;
    uint64_t hmask;
};

/* Lists of LIST_INDEX_MIN to DV__LIST_INDEX_MAX entries get the hash index (its slots take
 * 16 to 32 bytes an entry: 256 MiB at most); longer lists are binary searched. */
#define LIST_INDEX_MIN 1024u
#define DV__LIST_INDEX_MAX (1u << 24)

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A 64-bit hash of a key's bytes (any length): 8 bytes a step, multiply and rotate, then a
 * finalizer that spreads every bit over the high half (the tag) and the low (the slot) */
static uint64_t key_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        h = (h ^ rd64(p + i)) * 0x87C37B91114253D5ull;
        h = (h << 31) | (h >> 33);
    }
    if (i < n) {
        uint64_t t = 0;
        memcpy(&t, p + i, n - i);
        h = (h ^ t) * 0x87C37B91114253D5ull;
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

static const char *const sec_names[DV__SEC_COUNT] = {"meta", "keys",   "key offsets", "quality",
                                                     "ids",  "labels", "strings"};

static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c != 0) return c;
    return na < nb ? -1 : na > nb ? 1 : 0;
}

static const uint8_t *key_at(const dv_list *l, uint64_t i, size_t *len)
{
    if (l->type == DV_HT_URL) {
        uint64_t o = dv__le64(l->keyoffs + 8 * i);
        *len = (size_t)(dv__le64(l->keyoffs + 8 * i + 8) - o);
        return l->keys + o;
    }
    *len = l->ks;
    return l->keys + i * l->ks;
}

#define PROGRESS_EVERY (1u << 18)

/* The checks of docs/dvl-format.md "What a reader checks", in that order; fn (may be NULL)
 * follows the order check, one pass over every key. */
static int validate(dv_list *l, char *err, size_t cap, dv_list_progress_fn fn, void *ctx)
{
    const uint8_t *h = l->base;
    const uint64_t size = l->size;
    uint64_t off[DV__SEC_COUNT], len[DV__SEC_COUNT], prev_end = DV__DVL_HEADER_SIZE;
    uint32_t type, ks, flags, v;
    int prev = -1;

    if (size < 8 || memcmp(h, DV__DVL_MAGIC, 8) != 0) {
        /* the usual mistake is a hotline's text list given as it came: say what to do */
        int text = size >= 8;
        for (uint64_t i = 0; i < 8 && i < size; i++)
            if (!(h[i] >= 0x20 && h[i] < 0x7f) && h[i] != '\t' && h[i] != '\n' && h[i] != '\r' &&
                !(i < 3 && h[i] == (uint8_t)"\xef\xbb\xbf"[i]))
                text = 0;
        dv__set_err(err, cap, "not a datavet list: no \"DVLIST\" magic at offset 0%s",
                    text ? " (it looks like text: compile a hash list with 'datavet list build"
                           " -o LIST.dvl FILE' first, docs/list-formats.md)"
                         : "");
        return DV_EFORMAT;
    }
    if (size < DV__DVL_HEADER_SIZE) {
        dv__set_err(err, cap, "header truncated: the file is %llu bytes, the header needs %u",
                    (unsigned long long)size, DV__DVL_HEADER_SIZE);
        return DV_ECORRUPT;
    }
    l->format_version = dv__le32(h + DV__H_VERSION);
    if (l->format_version != DV__DVL_VERSION) {
        dv__set_err(err, cap,
                    "format version %u at offset %d is not supported (this build reads %u)",
                    l->format_version, DV__H_VERSION, DV__DVL_VERSION);
        return DV_EFORMAT;
    }
    type = dv__le32(h + DV__H_TYPE);
    if (type == DV_HT_NONE || type > DV_HT_URL_SHA256) {
        dv__set_err(err, cap, "hash type %u at offset %d is unknown", type, DV__H_TYPE);
        return DV_EFORMAT;
    }
    l->type = (dv_hash_type)type;
    l->ks = dv_hash_type_size(l->type);
    l->count = dv__le64(h + DV__H_COUNT);
    ks = dv__le32(h + DV__H_KEYSIZE);
    if (ks != l->ks) {
        dv__set_err(err, cap, "key size %u at offset %d does not match hash type %s (%zu)", ks,
                    DV__H_KEYSIZE, dv_hash_type_name(l->type), l->ks);
        return DV_ECORRUPT;
    }
    flags = dv__le32(h + DV__H_FLAGS);
    if (flags != 0) {
        dv__set_err(err, cap, "unknown flags 0x%x at offset %d", flags, DV__H_FLAGS);
        return DV_EFORMAT;
    }
    l->created = (int64_t)dv__le64(h + DV__H_CREATED);
    memcpy(l->digest, h + DV__H_DIGEST, 32);
    if ((v = dv__le32(h + DV__H_NSECTIONS)) != DV__SEC_COUNT) {
        dv__set_err(err, cap, "section count %u at offset %d is not %d", v, DV__H_NSECTIONS,
                    DV__SEC_COUNT);
        return DV_ECORRUPT;
    }
    if ((v = dv__le32(h + DV__H_HSIZE)) != DV__DVL_HEADER_SIZE) {
        dv__set_err(err, cap, "header size %u at offset %d is not %u", v, DV__H_HSIZE,
                    DV__DVL_HEADER_SIZE);
        return DV_ECORRUPT;
    }
    if (l->count > DV__LIST_MAX_ENTRIES) {
        dv__set_err(err, cap, "entry count %llu at offset %d is over the limit of %llu",
                    (unsigned long long)l->count, DV__H_COUNT,
                    (unsigned long long)DV__LIST_MAX_ENTRIES);
        return DV_ECORRUPT;
    }

    /* section table: aligned, inside the file, in order, not overlapping */
    for (int s = 0; s < DV__SEC_COUNT; s++) {
        const int at = DV__H_SECTIONS + 16 * s;
        off[s] = dv__le64(h + at);
        len[s] = dv__le64(h + at + 8);
        if (len[s] == 0) {
            if (off[s] != 0) {
                dv__set_err(err, cap,
                            "section %s (table entry at offset %d): empty but offset %llu",
                            sec_names[s], at, (unsigned long long)off[s]);
                return DV_ECORRUPT;
            }
            continue;
        }
        if (off[s] % DV__DVL_ALIGN != 0 || off[s] < prev_end || off[s] > size ||
            len[s] > size - off[s]) {
            dv__set_err(err, cap,
                        "section %s (table entry at offset %d): offset %llu length %llu is %s",
                        sec_names[s], at, (unsigned long long)off[s], (unsigned long long)len[s],
                        off[s] % DV__DVL_ALIGN != 0 ? "not 64-byte aligned"
                        : off[s] < prev_end
                            ? (prev < 0 ? "inside the header" : "overlapping the section before")
                            : "past the end of the file");
            return DV_ECORRUPT;
        }
        prev_end = off[s] + len[s];
        prev = s;
    }

    /* meta: exactly three NUL-terminated strings */
    {
        const char *m = (const char *)h + off[DV__SEC_META];
        uint64_t pos = 0;
        for (int k = 0; k < 3; k++) {
            const char *nul = pos < len[DV__SEC_META]
                                  ? memchr(m + pos, 0, (size_t)(len[DV__SEC_META] - pos))
                                  : NULL;
            if (nul == NULL || (uint64_t)(nul - (m + pos)) > DV__LIST_STR_MAX) {
                dv__set_err(err, cap,
                            "section meta at offset %llu: string %d is missing, unterminated or "
                            "over %u bytes",
                            (unsigned long long)off[DV__SEC_META], k + 1, DV__LIST_STR_MAX);
                return DV_ECORRUPT;
            }
            l->meta[k] = m + pos;
            pos = (uint64_t)(nul - m) + 1;
        }
        if (pos != len[DV__SEC_META]) {
            dv__set_err(err, cap, "section meta at offset %llu: %llu bytes after the third string",
                        (unsigned long long)off[DV__SEC_META],
                        (unsigned long long)(len[DV__SEC_META] - pos));
            return DV_ECORRUPT;
        }
    }

    /* sizes of the per-entry sections (count <= 2^31, so these products cannot overflow) */
#define EXPECT(sec, cond, what)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            dv__set_err(                                                                           \
                err, cap, "section %s (table entry at offset %d): length %llu, expected %s",       \
                sec_names[sec], DV__H_SECTIONS + 16 * (sec), (unsigned long long)len[sec], what);  \
            return DV_ECORRUPT;                                                                    \
        }                                                                                          \
    } while (0)
    l->keys = h + off[DV__SEC_KEYS];
    if (l->type == DV_HT_URL) {
        EXPECT(DV__SEC_KEYOFFS, len[DV__SEC_KEYOFFS] == (l->count + 1) * 8, "(count + 1) x 8");
        l->keyoffs = h + off[DV__SEC_KEYOFFS];
    } else {
        EXPECT(DV__SEC_KEYS, len[DV__SEC_KEYS] == l->count * l->ks, "count x key size");
        EXPECT(DV__SEC_KEYOFFS, len[DV__SEC_KEYOFFS] == 0, "0 (only URL lists have key offsets)");
    }
    EXPECT(DV__SEC_QUALITY,
           len[DV__SEC_QUALITY] == 0 ||
               (l->type == DV_HT_PDQ && len[DV__SEC_QUALITY] == l->count * 2),
           "0, or count x 2 in a PDQ list");
    EXPECT(DV__SEC_IDS, len[DV__SEC_IDS] == 0 || len[DV__SEC_IDS] == l->count * 4,
           "0 or count x 4");
    EXPECT(DV__SEC_LABELS, len[DV__SEC_LABELS] == 0 || len[DV__SEC_LABELS] == l->count * 4,
           "0 or count x 4");
    EXPECT(DV__SEC_STRINGS,
           (len[DV__SEC_IDS] || len[DV__SEC_LABELS]) ? len[DV__SEC_STRINGS] > 0
                                                     : len[DV__SEC_STRINGS] == 0,
           "non-zero exactly when there are ids or labels");
#undef EXPECT
    l->quality = len[DV__SEC_QUALITY] ? h + off[DV__SEC_QUALITY] : NULL;
    l->ids = len[DV__SEC_IDS] ? h + off[DV__SEC_IDS] : NULL;
    l->labels = len[DV__SEC_LABELS] ? h + off[DV__SEC_LABELS] : NULL;
    l->strings = (const char *)h + off[DV__SEC_STRINGS];
    l->strings_len = len[DV__SEC_STRINGS];

    /* strings: start with "" and end with a NUL, so every offset inside is a C string */
    if (l->strings_len > 0 && (l->strings[0] != '\0' || l->strings[l->strings_len - 1] != '\0')) {
        dv__set_err(err, cap, "section strings at offset %llu: must start and end with a NUL",
                    (unsigned long long)off[DV__SEC_STRINGS]);
        return DV_ECORRUPT;
    }
    for (int s = DV__SEC_IDS; s <= DV__SEC_LABELS; s++) {
        const uint8_t *a = s == DV__SEC_IDS ? l->ids : l->labels;
        for (uint64_t i = 0; a != NULL && i < l->count; i++) {
            uint32_t o = dv__le32(a + 4 * i);
            if (o >= l->strings_len) {
                dv__set_err(err, cap,
                            "section %s at offset %llu: entry %llu points at %u, past the strings "
                            "(%llu bytes)",
                            sec_names[s], (unsigned long long)(off[s] + 4 * i),
                            (unsigned long long)i, o, (unsigned long long)l->strings_len);
                return DV_ECORRUPT;
            }
        }
    }
    for (uint64_t i = 0; l->quality != NULL && i < l->count; i++) {
        int16_t q = (int16_t)(uint16_t)(l->quality[2 * i] | l->quality[2 * i + 1] << 8);
        if (q < -1 || q > 100) {
            dv__set_err(err, cap, "section quality at offset %llu: entry %llu has quality %d",
                        (unsigned long long)(off[DV__SEC_QUALITY] + 2 * i), (unsigned long long)i,
                        q);
            return DV_ECORRUPT;
        }
    }
    if (l->type == DV_HT_URL) {
        uint64_t prevo = dv__le64(l->keyoffs);
        if (prevo != 0) {
            dv__set_err(err, cap, "section key offsets at offset %llu: the first offset is not 0",
                        (unsigned long long)off[DV__SEC_KEYOFFS]);
            return DV_ECORRUPT;
        }
        for (uint64_t i = 1; i <= l->count; i++) {
            uint64_t o = dv__le64(l->keyoffs + 8 * i);
            if (o <= prevo || o - prevo > DV__LIST_URL_MAX || o > len[DV__SEC_KEYS]) {
                dv__set_err(err, cap,
                            "section key offsets at offset %llu: entry %llu has offset %llu after "
                            "%llu (keys must be 1 to %u bytes, within the %llu key bytes)",
                            (unsigned long long)(off[DV__SEC_KEYOFFS] + 8 * i),
                            (unsigned long long)i, (unsigned long long)o, (unsigned long long)prevo,
                            DV__LIST_URL_MAX, (unsigned long long)len[DV__SEC_KEYS]);
                return DV_ECORRUPT;
            }
            prevo = o;
        }
        if (prevo != len[DV__SEC_KEYS]) {
            dv__set_err(err, cap,
                        "section keys at offset %llu: length %llu, but the key offsets end at %llu",
                        (unsigned long long)off[DV__SEC_KEYS],
                        (unsigned long long)len[DV__SEC_KEYS], (unsigned long long)prevo);
            return DV_ECORRUPT;
        }
    }
    /* keys strictly ascending: binary search and diff rely on it */
    for (uint64_t i = 1; i < l->count; i++) {
        size_t la, lb;
        const uint8_t *a = key_at(l, i - 1, &la), *b = key_at(l, i, &lb);
        if (fn != NULL && i % PROGRESS_EVERY == 0) fn(ctx, i, l->count);
        if (cmp_bytes(a, la, b, lb) >= 0) {
            dv__set_err(err, cap,
                        "section keys at offset %llu: entry %llu is not above entry %llu (keys "
                        "must be sorted and unique)",
                        (unsigned long long)(uint64_t)(b - h), (unsigned long long)i,
                        (unsigned long long)(i - 1));
            return DV_ECORRUPT;
        }
    }
    if (fn != NULL) fn(ctx, l->count, l->count);
    return DV_OK;
}

/* The hash index of a digest or URL list of LIST_INDEX_MIN .. DV__LIST_INDEX_MAX entries;
 * without memory for it, lookups stay binary searches (same answers). PDQ lists get none:
 * they are matched by distance (dv_pdq_index), and their index took 16-32 bytes an entry
 * that no scan or match looked at. */
static void build_index(dv_list *l)
{
    uint64_t slots = 2;
    if (l->count < LIST_INDEX_MIN || l->count > DV__LIST_INDEX_MAX || l->type == DV_HT_PDQ)
        return;
    while (slots < 2 * l->count) slots <<= 1;
    {
        /* anonymous memory, in huge pages where the kernel gives them: each lookup lands on a
         * random slot, and with 4 KiB pages that is a TLB miss too */
        void *p = mmap(NULL, (size_t)slots * sizeof *l->hidx, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, (size_t)slots * sizeof *l->hidx, MADV_HUGEPAGE);
#endif
        l->hidx = p;
    }
    l->hmask = slots - 1;
    {
        /* hashes computed 16 entries ahead of their insert, their slots prefetched: the
         * inserts land on random slots */
        uint64_t ring[16];
        for (uint64_t e = 0; e < l->count + 16; e++) {
            if (e >= 16) {
                uint64_t h = ring[e % 16], i = h & l->hmask;
                while (l->hidx[i] != 0) i = (i + 1) & l->hmask;
                l->hidx[i] = (h >> 32) << 32 | (e - 16 + 1);
            }
            if (e < l->count) {
                size_t kl;
                const uint8_t *k = key_at(l, e, &kl);
                ring[e % 16] = key_hash(k, kl);
                __builtin_prefetch(&l->hidx[ring[e % 16] & l->hmask], 1);
            }
        }
    }
}

static int open_common(const void *buf, size_t len, void *map, unsigned flags,
                       dv_list_progress_fn fn, void *ctx, dv_list **out, char *err, size_t cap)
{
    dv_list *l;
    int rc;
    l = dv__calloc(NULL, 1, sizeof(*l));
    if (l == NULL) {
        dv__set_err(err, cap, "out of memory");
        return DV_ENOMEM;
    }
    l->base = buf;
    l->size = len;
    rc = validate(l, err, cap, fn, ctx);
    if (rc != DV_OK) {
        dv__free(NULL, l);
        return rc;
    }
    l->map = map;
    l->maplen = len;
    if (!(flags & DV_LIST_NO_INDEX)) build_index(l);
    *out = l;
    return DV_OK;
}

int dv_list_open_buffer(const void *buf, size_t len, dv_list **out, char *errbuf, size_t errcap)
{
    if (out == NULL) return DV_EINVAL;
    *out = NULL;
    if (buf == NULL && len > 0) {
        dv__set_err(errbuf, errcap, "no buffer");
        return DV_EINVAL;
    }
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    return open_common(buf ? buf : "", len, NULL, 0, NULL, NULL, out, errbuf, errcap);
}

int dv_list_open(const char *path, dv_list **out, char *errbuf, size_t errcap)
{
    return dv_list_open_flags(path, 0, out, errbuf, errcap);
}

int dv_list_open_flags(const char *path, unsigned flags, dv_list **out, char *errbuf,
                       size_t errcap)
{
    return dv_list_open_progress(path, flags, NULL, NULL, out, errbuf, errcap);
}

int dv_list_open_progress(const char *path, unsigned flags, dv_list_progress_fn fn, void *ctx,
                          dv_list **out, char *errbuf, size_t errcap)
{
    struct stat st;
    void *map;
    int fd, rc;
    char detail[400];

    if (out == NULL || path == NULL) return DV_EINVAL;
    *out = NULL;
    if (errbuf != NULL && errcap > 0) errbuf[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        dv__set_err(errbuf, errcap, "%s: cannot open: %s", path, strerror(errno));
        return DV_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dv__set_err(errbuf, errcap, "%s: not a regular file", path);
        close(fd);
        return DV_EIO;
    }
    if ((uint64_t)st.st_size < 8) {
        close(fd);
        dv__set_err(errbuf, errcap, "%s: not a datavet list: %lld bytes", path,
                    (long long)st.st_size);
        return DV_EFORMAT;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        dv__set_err(errbuf, errcap, "%s: too big to map", path);
        return DV_ETOOBIG;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        dv__set_err(errbuf, errcap, "%s: mmap failed: %s", path, strerror(errno));
        return DV_EIO;
    }
    detail[0] = '\0';
    rc = open_common(map, (size_t)st.st_size, map, flags, fn, ctx, out, detail, sizeof(detail));
    if (rc != DV_OK) {
        munmap(map, (size_t)st.st_size);
        dv__set_err(errbuf, errcap, "%s: %s", path, detail);
    }
    return rc;
}

void dv__list_prefetch(const dv_list *l, const void *key, size_t keylen)
{
    if (l && l->hidx && key) __builtin_prefetch(&l->hidx[key_hash(key, keylen) & l->hmask]);
}

void dv__list_drop_index(dv_list *l)
{
    if (l == NULL || l->hidx == NULL) return;
    munmap(l->hidx, (size_t)(l->hmask + 1) * sizeof *l->hidx);
    l->hidx = NULL;
    l->hmask = 0;
}

int dv__list_has_index(const dv_list *l) { return l != NULL && l->hidx != NULL; }

void dv_list_close(dv_list *l)
{
    if (l == NULL) return;
    if (l->map != NULL) munmap(l->map, l->maplen);
    dv__list_drop_index(l);
    dv__free(NULL, l);
}

void dv_list_get_info(const dv_list *l, dv_list_info *out)
{
    if (out == NULL) return;
    memset(out, 0, sizeof(*out));
    if (l == NULL) return;
    out->format_version = l->format_version;
    out->type = l->type;
    out->count = l->count;
    out->name = l->meta[0];
    out->version = l->meta[1];
    out->source = l->meta[2];
    out->created = l->created;
    memcpy(out->digest, l->digest, 32);
}

int dv_list_get_entry(const dv_list *l, uint64_t i, dv_list_entry *out)
{
    if (l == NULL || out == NULL) return DV_EINVAL;
    if (i >= l->count) return DV_ERANGE;
    out->key = key_at(l, i, &out->keylen);
    out->id = l->ids ? l->strings + dv__le32(l->ids + 4 * i) : "";
    out->label = l->labels ? l->strings + dv__le32(l->labels + 4 * i) : "";
    out->quality =
        l->quality ? (int16_t)(uint16_t)(l->quality[2 * i] | l->quality[2 * i + 1] << 8) : -1;
    return DV_OK;
}

int dv_list_verify(const dv_list *l, char *errbuf, size_t errcap)
{
    return dv_list_verify_progress(l, NULL, NULL, errbuf, errcap);
}

int dv_list_verify_progress(const dv_list *l, dv_list_progress_fn fn, void *ctx, char *errbuf,
                            size_t errcap)
{
    uint8_t d[32];
    dv__lhash *h;
    if (l == NULL) return DV_EINVAL;
    h = dv__lhash_create(NULL, l->type, l->count);
    for (uint64_t i = 0; h != NULL && i < l->count; i++) {
        dv_list_entry e;
        dv_list_get_entry(l, i, &e);
        dv__lhash_entry(h, e.key, e.keylen, e.quality, e.id, strlen(e.id), e.label,
                        strlen(e.label));
        if (fn != NULL && (i + 1) % PROGRESS_EVERY == 0) fn(ctx, i + 1, l->count);
    }
    if (fn != NULL) fn(ctx, l->count, l->count);
    if (dv__lhash_finish(h, d) != DV_OK) {
        dv__set_err(errbuf, errcap, "out of memory while checking the content digest");
        return DV_ENOMEM;
    }
    if (memcmp(d, l->digest, 32) != 0) {
        dv__set_err(errbuf, errcap,
                    "its entries do not give the digest in its header (changed or damaged "
                    "after it was written): build the list again");
        return DV_ECORRUPT;
    }
    return DV_OK;
}

int64_t dv_list_find(const dv_list *l, const void *key, size_t keylen)
{
    uint64_t lo = 0, hi;
    if (l == NULL || key == NULL) return -1;
    if (l->type != DV_HT_URL && keylen != l->ks) return -1;
    if (l->hidx) {
        /* one probe, mostly: a key that is absent costs one cache miss, not log2(count) */
        uint64_t h = key_hash(key, keylen), i = h & l->hmask, tag = h >> 32;
        for (uint64_t s; (s = l->hidx[i]) != 0; i = (i + 1) & l->hmask) {
            if (s >> 32 == tag) {
                size_t ml;
                uint64_t e = (uint32_t)s - 1;
                const uint8_t *mk = key_at(l, e, &ml);
                if (ml == keylen && memcmp(mk, key, keylen) == 0) return (int64_t)e;
            }
        }
        return -1;
    }
    hi = l->count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        size_t ml;
        const uint8_t *mk = key_at(l, mid, &ml);
        int c = cmp_bytes(mk, ml, key, keylen);
        if (c == 0) return (int64_t)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

const dv_pdq_hash *dv_list_pdq_codes(const dv_list *l)
{
    if (l == NULL || l->type != DV_HT_PDQ) return NULL;
    return (const dv_pdq_hash *)(const void *)l->keys;
}

int dv_list_diff(const dv_list *old_list, const dv_list *new_list, uint64_t *added,
                 uint64_t *removed)
{
    return dv_list_diff_progress(old_list, new_list, added, removed, NULL, NULL);
}

int dv_list_diff_progress(const dv_list *old_list, const dv_list *new_list, uint64_t *added,
                          uint64_t *removed, dv_list_progress_fn fn, void *ctx)
{
    uint64_t i = 0, j = 0, add = 0, rem = 0, next = PROGRESS_EVERY;
    if (old_list == NULL || new_list == NULL || old_list->type != new_list->type) return DV_EINVAL;
    while (i < old_list->count && j < new_list->count) {
        size_t la, lb;
        if (fn != NULL && i + j >= next) {
            fn(ctx, i + j, old_list->count + new_list->count);
            next += PROGRESS_EVERY;
        }
        const uint8_t *a = key_at(old_list, i, &la), *b = key_at(new_list, j, &lb);
        int c = cmp_bytes(a, la, b, lb);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            rem++;
            i++;
        } else {
            add++;
            j++;
        }
    }
    rem += old_list->count - i;
    add += new_list->count - j;
    if (fn != NULL) fn(ctx, old_list->count + new_list->count, old_list->count + new_list->count);
    if (added) *added = add;
    if (removed) *removed = rem;
    return DV_OK;
}
