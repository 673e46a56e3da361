/* list_internal.h - what the hash-list files share: the .dvl layout, limits, the builder's
 * storage and the small helpers between importer, writer and reader (docs/dvl-format.md). */
#ifndef DV_LIST_INTERNAL_H
#define DV_LIST_INTERNAL_H

#include "../common/common.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* ---------------------------------------------------------------- .dvl layout (version 1) */
#define DV__DVL_MAGIC "DVLIST\0\0"
#define DV__DVL_VERSION 1u
#define DV__DVL_ALIGN 64u
#define DV__DVL_HEADER_SIZE 192u

/* header field offsets */
enum {
    DV__H_MAGIC = 0,      /* 8 bytes "DVLIST\0\0" */
    DV__H_VERSION = 8,    /* u32 */
    DV__H_TYPE = 12,      /* u32 dv_hash_type */
    DV__H_COUNT = 16,     /* u64 */
    DV__H_KEYSIZE = 24,   /* u32, 0 for URL */
    DV__H_FLAGS = 28,     /* u32, 0 in version 1 */
    DV__H_CREATED = 32,   /* i64 */
    DV__H_DIGEST = 40,    /* 32 bytes */
    DV__H_NSECTIONS = 72, /* u32 = DV__SEC_COUNT */
    DV__H_HSIZE = 76,     /* u32 = DV__DVL_HEADER_SIZE */
    DV__H_SECTIONS = 80   /* DV__SEC_COUNT x {u64 offset, u64 length} */
};

enum {
    DV__SEC_META = 0, /* name\0version\0source\0 */
    DV__SEC_KEYS,     /* fixed keys packed, or the URL bytes */
    DV__SEC_KEYOFFS,  /* URL: (count + 1) u64 offsets into KEYS */
    DV__SEC_QUALITY,  /* PDQ: count i16, -1 = unknown; absent if none is known */
    DV__SEC_IDS,      /* count u32 offsets into STRINGS, 0 = none; absent if no entry has one */
    DV__SEC_LABELS,   /* the same for labels */
    DV__SEC_STRINGS,  /* "\0" then NUL-terminated strings */
    DV__SEC_COUNT
};

/* ---------------------------------------------------------------- limits */
#define DV__LIST_STR_MAX 4096u               /* bytes of an id, a label, a meta string */
#define DV__LIST_URL_MAX 65536u              /* bytes of a normalised URL key */
#define DV__LIST_MAX_ENTRIES (1ull << 31)    /* entries in one builder or file */
#define DV__LIST_URL_ARENA_MAX (1ull << 36)  /* bytes of URL keys in one builder */
#define DV__LIST_STR_ARENA_MAX 0xFFFFFF00ull /* string bytes: offsets in the file are u32 */
#define DV__LIST_RECORD_MAX (1u << 20)       /* a CSV/TSV record or a JSON line */
/* bytes of a line or record an import looks at: a longer one is a bad line, whole text or
 * streamed. A good record is at most ~2 MiB raw (1 MiB decoded, doubled quotes at worst) */
#define DV__LIST_LINE_MAX (4u << 20)
#define DV__LIST_MSG_LINES 8u                /* bad-line reasons kept per import */
#define DV__LIST_MSG_CAP 2048u

/* ---------------------------------------------------------------- little-endian access */
static inline uint32_t dv__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t dv__le64(const uint8_t *p)
{
    return (uint64_t)dv__le32(p) | (uint64_t)dv__le32(p + 4) << 32;
}
static inline void dv__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void dv__put64(uint8_t *p, uint64_t v)
{
    dv__put32(p, (uint32_t)v);
    dv__put32(p + 4, (uint32_t)(v >> 32));
}

/* ---------------------------------------------------------------- the builder */
/* Fields an entry record holds beyond its key: only those some entry of the builder has, so
 * a list of bare hashes holds its keys and nothing else (DV__LB_HAS_*). */
#define DV__LB_HAS_ID 1u
#define DV__LB_HAS_LABEL 2u
#define DV__LB_HAS_QUALITY 4u

struct dv_list_builder {
    const dv_alloc *alloc;
    dv_hash_type type; /* DV_HT_NONE until the first entry */
    size_t ks;         /* key size, 0 for URL */
    uint64_t n, cap;   /* entries, and records room */
    /* n records of rs bytes: the key (ks bytes; none for URL), then the u32 id string, the u32
     * label string and the i8 quality, each only when has says so (host order, unaligned) */
    uint8_t *recs;
    size_t recs_map; /* recs is a private mapping of this many bytes (list_builder.c), or 0 */
    size_t rs;
    unsigned has;
    uint8_t *keys; /* URL: the key bytes back to back */
    uint64_t keys_len, keys_cap; /* fixed types: keys_len is n x ks */
    uint64_t *url_off; /* URL: entry i's key starts at url_off[i]; url_off[n] = keys_len */
    uint64_t url_off_cap;
    /* interned strings: number s (1..nstr) is str + str_off[s], str_off[nstr + 1] the end */
    char *str;
    uint64_t str_len, str_cap;
    uint64_t *str_off;
    uint32_t nstr, str_off_cap;
    uint32_t *tab; /* open addressing over string numbers, 0 = empty */
    uint32_t tab_cap;
    /* detail of the last failure, or the bad lines of the last import */
    char msg[DV__LIST_MSG_CAP];
    unsigned nmsg;
};

/* An entry's fields besides its key. */
typedef struct dv__lb_aux {
    uint32_t id;     /* interned string number, 0 = none */
    uint32_t label;  /* the same */
    int32_t quality; /* PDQ 0..100, -1 = unknown */
} dv__lb_aux;

/* Record i's fields (those it does not hold are none / -1). */
static inline dv__lb_aux dv__lb_get_aux(const dv_list_builder *b, uint64_t i)
{
    dv__lb_aux x = {0, 0, -1};
    const uint8_t *r;
    if (b->has == 0) return x; /* (and a URL list's records may be none at all) */
    r = b->recs + i * b->rs + b->ks;
    if (b->has & DV__LB_HAS_ID) memcpy(&x.id, r, 4), r += 4;
    if (b->has & DV__LB_HAS_LABEL) memcpy(&x.label, r, 4), r += 4;
    if (b->has & DV__LB_HAS_QUALITY) x.quality = (int8_t)r[0];
    return x;
}

/* Append one entry; key is binary or normalised URL text. Sets the list's type on the first
 * entry. DV_EFORMAT (no message) when t is not the list's type; DV_ENOMEM / DV_ETOOBIG with
 * the message set. Strings are taken as (pointer, length) and must hold no NUL. A label is
 * stored as valid UTF-8 (dv__lb_label_len). */
int dv__lb_add(dv_list_builder *b, dv_hash_type t, const uint8_t *key, size_t keylen,
               const char *id, size_t idlen, const char *label, size_t labellen, int quality);
/* The bytes of a label once stored: labels are text for people, kept as valid UTF-8, each
 * ill-formed sequence a U+FFFD (DV_TEXT_PLAIN), as every UTF-8 output writes them and as
 * datavet hash -f jsonl writes the paths that lists built from its output take as labels;
 * so a list built from hash's TSV, CSV or JSONL is the same list. */
size_t dv__lb_label_len(const char *s, size_t n);
/* Make room for total entries (a hint: failure is left to the next add to report). Sized
 * once, the records are not copied from a smaller block into a larger one as they grow (the
 * copy holds both). */
void dv__lb_reserve(dv_list_builder *b, uint64_t total);
/* Interned string number s as text and length (s != 0). */
static inline const char *dv__lb_str(const dv_list_builder *b, uint32_t s, size_t *len)
{
    *len = (size_t)(b->str_off[s + 1] - b->str_off[s] - 1);
    return b->str + b->str_off[s];
}
void dv__lb_set_msg(dv_list_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dv__lb_add_msg_line(dv_list_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Serialise the list into a new buffer from b->alloc (free with dv__free(b->alloc, ...)), with
 * the given creation time; what dv_list_builder_write puts in the file. Tests and fuzz
 * targets use it to go from text to an opened list without touching the disk. */
/* Drop l's hash index (built by dv_list_open for lists of 1024 entries or more): lookups are
 * then binary searches, as for a short list. For tests and bench/list_bench, which compare the
 * two. Not while other threads look up in l. */
void dv__list_drop_index(dv_list *l);
/* 1 when l has the hash index (tests) */
int dv__list_has_index(const dv_list *l);
/* Start loading the hash-index slot a lookup of key will probe first (nothing for a list
 * without the index): a scan calls it a few items before dv_list_find. */
void dv__list_prefetch(const dv_list *l, const void *key, size_t keylen);
int dv__list_builder_to_buffer(dv_list_builder *b, const dv_list_meta *meta, int64_t created,
                               uint8_t **buf_out, size_t *len_out, uint64_t *duplicates);

/* ---------------------------------------------------------------- flat JSON objects */
typedef enum dv__jkind {
    DV__J_STRING,
    DV__J_NUMBER,
    DV__J_TRUE,
    DV__J_FALSE,
    DV__J_NULL,
    DV__J_NESTED /* an object or array (DV__JSON_NESTED): checked, no value */
} dv__jkind;

typedef struct dv__jmember {
    const char *key; /* decoded, in the scratch buffer */
    size_t keylen;
    dv__jkind kind;
    const char *val; /* decoded string, or the number's text; NULL for true/false/null */
    size_t vallen;
} dv__jmember;

#define DV__JSON_MAX_MEMBERS 32u

/* Parse one object of scalar members from text[0..len) (surrounding blanks allowed). Strings
 * are decoded (escapes, \uXXXX with surrogate pairs, UTF-8 checked) into scratch, which needs
 * len bytes. Returns the member count, or -1 with *why set. Nested values, duplicate keys,
 * NUL in strings and trailing text are errors. */
int dv__json_flat(const char *text, size_t len, char *scratch, dv__jmember *m, size_t maxm,
                  const char **why);
/* dv__json_flat with flags. DV__JSON_LENIENT, for metadata files a dataset ships (a
 * webdataset sample's .json), where one odd member must not cost the others: nested objects
 * and arrays are skipped (up to DV__JSON_MAX_DEPTH deep), members past maxm are dropped,
 * duplicate names are kept (the first wins for a caller that takes the first), and string
 * bytes that are not UTF-8, or raw control bytes, are kept as they are, and \u0000 is a NUL
 * byte in the value (vallen counts it): the caller judges the member that holds it. */
#define DV__JSON_LENIENT 1u
/* DV__JSON_NESTED, for list build (datavet hash -d -f jsonl nests pdq_dihedral): a member
 * whose value is an object or array is checked as strict JSON (depth DV__JSON_MAX_DEPTH at
 * most) and given as kind DV__J_NESTED, without its value; the rest as dv__json_flat. */
#define DV__JSON_NESTED 2u
#define DV__JSON_MAX_DEPTH 256
int dv__json_members(const char *text, size_t len, char *scratch, dv__jmember *m, size_t maxm,
                     unsigned flags, const char **why);

/* ---------------------------------------------------------------- content digest */
/* SHA-256 of the canonical content (docs/dvl-format.md, "Digest"), fed a type, a count and
 * then each entry in canonical order; the builder writes it, dv_list_verify checks it. */
typedef struct dv__lhash dv__lhash;
dv__lhash *dv__lhash_create(const dv_alloc *a, uint32_t type, uint64_t count);
void dv__lhash_entry(dv__lhash *h, const uint8_t *key, size_t keylen, int32_t quality,
                     const char *id, size_t idlen, const char *label, size_t labellen);
/* The digest into out; DV_ENOMEM if hashing failed. Frees h (also when NULL: DV_ENOMEM). */
int dv__lhash_finish(dv__lhash *h, uint8_t out[32]);

/* list_import.c: dv_list_builder_import / _import_fd with another longest line than
 * DV__LIST_LINE_MAX (0: that one), and the streamed import from any reader (rd returns the
 * bytes read, 0 at the end, -errno on failure; size: the input's, 0 if not known, a hint for
 * the room the entries take): the fuzzer compares the two */
int dv__list_builder_import_text(dv_list_builder *b, const char *name, const void *text,
                                 size_t len, size_t max_line, dv_hash_type forced, int strict,
                                 dv_import_stats *stats);
int dv__list_builder_import_reader(dv_list_builder *b, const char *name,
                                   ptrdiff_t (*rd)(void *ctx, void *dst, size_t n), void *ctx,
                                   uint64_t size, size_t max_line,
                                   const dv_list_import_opts *opts, dv_import_stats *stats);

/* hashfile.c: dv_hashfile_open with another longest line than DV_HASHFILE_MAX_LINE (the
 * fuzzer compares it with the streamed reader's at the same limit) */
int dv__hashfile_open_text(const char *name, const void *text, size_t len, size_t max_line,
                           const dv_alloc *alloc, dv_hashfile **out, char *errbuf, size_t errcap);

#endif
