/* cmd_export.c - `datavet export`: a scan's matches.parquet as hotline-report rows (CSV, JSON,
 * JSONL), one row per item with all of its hash hits. Ids, URLs, hashes only: no image data. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SCAN_JSON_MAX (16u << 20)
#define ARENA_MAX ((size_t)1 << 31) /* text kept in memory for the export */

/* String columns of matches.parquet, in the order a record stores them. */
enum {
    C_ID, C_SHARD, C_URL, C_HASH_TYPE, C_SOURCE, C_VALUE, C_LIST, C_LIST_VERSION, C_LIST_DIGEST,
    C_ENTRY_ID, C_LABEL, C_DIHEDRAL, C_TIER, C_SEED, C_EMB_FILE, C_ITEM_MD5, C_ITEM_SHA1,
    C_ITEM_SHA256, C_ITEM_PDQ, NSTR
};
static const char *const str_cols[NSTR] = {
    "id", "shard", "url", "hash_type", "source", "value", "list", "list_version", "list_digest",
    "entry_id", "label", "dihedral", "tier", "seed", "emb_file", "item_md5", "item_sha1",
    "item_sha256", "item_pdq"};
/* required by the contract: a file without them is not a datavet matches.parquet */
static const int str_required[NSTR] = {[C_ID] = 1, [C_SHARD] = 1, [C_HASH_TYPE] = 1, [C_TIER] = 1};

enum { N_SHARD_INDEX, N_ROW, N_DISTANCE, N_SCORE, N_EMB_ROW, N_ITEM_PDQ_QUALITY, NNUM };
static const char *const num_cols[NNUM] = {"shard_index", "row", "distance", "score", "emb_row",
                                           "item_pdq_quality"};
static const dv_pq_type num_types[NNUM] = {DV_PQ_INT64, DV_PQ_INT64, DV_PQ_INT32, DV_PQ_DOUBLE,
                                           DV_PQ_INT64, DV_PQ_INT32};
static const int num_required[NNUM] = {1, 1, 0, 0, 0, 0};

typedef struct frec {
    size_t s[NSTR]; /* offsets into the arena; 0 is "" */
    int64_t shard_index, row, emb_row;
    int32_t distance; /* -1 unknown */
    int32_t pdq_quality; /* item_pdq_quality; -1 unknown */
    int has_distance;
    double score;     /* NaN unknown */
    size_t ord;       /* file order, for a stable sort */
    int is_match;
} frec;

typedef struct export_set {
    char *arena;
    size_t alen, acap;
    frec *v;
    size_t n, cap;
    int oom;
} exp_t;

typedef enum { FMT_CSV, FMT_JSON, FMT_JSONL } fmt_t;

/* Append text as every output of datavet writes it (dv_text_utf8): valid UTF-8 and NUL-free,
 * URLs by DV_TEXT_URL (bytes that cannot stand in a URL percent-encoded, so the URL stays one
 * exact, copyable token, as in matches.jsonl), other text by DV_TEXT_PLAIN (U+FFFD). A
 * matches.parquet of this datavet holds such text already, which this leaves as it is. */
static size_t arena_put(exp_t *e, const uint8_t *p, size_t n, int url)
{
    size_t off, need;
    if (n == 0) return 0;
    if (n > (ARENA_MAX - e->alen) / 3 - 1) {
        e->oom = 1;
        return 0;
    }
    need = e->alen + DV_TEXT_BOUND(n);
    if (need > e->acap) {
        size_t nc = e->acap ? e->acap : 1 << 16;
        char *na;
        while (nc < need) nc *= 2;
        na = realloc(e->arena, nc);
        if (na == NULL) {
            e->oom = 1;
            return 0;
        }
        e->arena = na;
        e->acap = nc;
    }
    off = e->alen;
    e->alen += dv_text_utf8(url ? DV_TEXT_URL : DV_TEXT_PLAIN, (const char *)p, n,
                            e->arena + off, DV_TEXT_BOUND(n)) + 1;
    return off;
}

static const char *S(const exp_t *e, const frec *r, int col) { return e->arena + r->s[col]; }

/* ---- reading matches.parquet ---------------------------------------------------------- */

/* Where matches.parquet's columns are, as one open reader found them. */
typedef struct colmap {
    int64_t scol[NSTR], ncol[NNUM];
    size_t cols[NSTR + NNUM], ncols, pos_s[NSTR], pos_n[NNUM];
} colmap;

static int open_matches(const char *path, dv_parquet_reader **out, colmap *cm)
{
    dv_parquet_reader *r = NULL;
    char err[512];
    int rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
    *out = NULL;
    if (rc != DV_OK) {
        cli_err("datavet export: %s (%s)\n", err, dv_strerror(rc));
        return -1;
    }
    cm->ncols = 0;
    for (int i = 0; i < NSTR; i++) {
        dv_parquet_column_info ci;
        cm->scol[i] = dv_parquet_reader_find_column(r, str_cols[i]);
        if (cm->scol[i] < 0) {
            if (str_required[i]) {
                cli_err("datavet export: %s: no column '%s': not a datavet "
                        "matches.parquet\n", path, str_cols[i]);
                goto fail;
            }
            continue;
        }
        dv_parquet_reader_column(r, (size_t)cm->scol[i], &ci);
        if (ci.type != DV_PQ_BYTE_ARRAY || ci.nested) {
            cli_err("datavet export: %s: column '%s' is %s, want a BYTE_ARRAY string\n",
                    path, str_cols[i], dv_pq_type_name(ci.type));
            goto fail;
        }
        cm->pos_s[i] = cm->ncols;
        cm->cols[cm->ncols++] = (size_t)cm->scol[i];
    }
    for (int i = 0; i < NNUM; i++) {
        dv_parquet_column_info ci;
        cm->ncol[i] = dv_parquet_reader_find_column(r, num_cols[i]);
        if (cm->ncol[i] < 0) {
            if (num_required[i]) {
                cli_err("datavet export: %s: no column '%s': not a datavet "
                        "matches.parquet\n", path, num_cols[i]);
                goto fail;
            }
            continue;
        }
        dv_parquet_reader_column(r, (size_t)cm->ncol[i], &ci);
        if (ci.type != num_types[i] || ci.nested) {
            cli_err("datavet export: %s: column '%s' is %s, want %s\n", path, num_cols[i],
                    dv_pq_type_name(ci.type), dv_pq_type_name(num_types[i]));
            goto fail;
        }
        cm->pos_n[i] = cm->ncols;
        cm->cols[cm->ncols++] = (size_t)cm->ncol[i];
    }
    *out = r;
    return 0;
fail:
    dv_parquet_reader_free(r);
    return -1;
}

/* Row group rg's columns into b; the batches of the last call are gone. */
static int read_group(dv_parquet_reader *r, const colmap *cm, size_t rg, dv_parquet_batch *b)
{
    int rc = dv_parquet_reader_read_row_group(r, rg, cm->cols, cm->ncols, b);
    if (rc != DV_OK) {
        cli_err("datavet export: %s (%s)\n", dv_parquet_reader_errmsg(r),
                dv_strerror(rc));
        return -1;
    }
    return 0;
}

static int row_is_match(const colmap *cm, const dv_parquet_batch *b, uint64_t row)
{
    dv_parquet_value v;
    return dv_parquet_batch_value(&b[cm->pos_s[C_TIER]], row, &v) == DV_OK && !v.is_null &&
           v.len == 5 && memcmp(v.bytes, "match", 5) == 0;
}

/* The sort key, (shard_index, row); a null reads as 0, as it always has. */
static void row_key(const colmap *cm, const dv_parquet_batch *b, uint64_t row, int64_t key[2])
{
    dv_parquet_value v;
    key[0] = key[1] = 0;
    if (dv_parquet_batch_value(&b[cm->pos_n[N_SHARD_INDEX]], row, &v) == DV_OK && !v.is_null)
        key[0] = v.i64;
    if (dv_parquet_batch_value(&b[cm->pos_n[N_ROW]], row, &v) == DV_OK && !v.is_null)
        key[1] = v.i64;
}

/* Finding row of batch b appended to e, its text copied into e's arena. -1: no memory (e->oom,
 * or the arena's cap reached). */
static int push_row(exp_t *e, const colmap *cm, const dv_parquet_batch *b, uint64_t row)
{
    frec f;
    dv_parquet_value v;
    memset(&f, 0, sizeof(f));
    f.is_match = row_is_match(cm, b, row);
    for (int i = 0; i < NSTR; i++) {
        if (cm->scol[i] < 0) continue;
        if (dv_parquet_batch_value(&b[cm->pos_s[i]], row, &v) != DV_OK || v.is_null) continue;
        f.s[i] = arena_put(e, v.bytes, v.len, i == C_URL);
    }
    f.distance = -1;
    f.pdq_quality = -1;
    f.emb_row = -1;
    f.score = NAN;
    for (int i = 0; i < NNUM; i++) {
        if (cm->ncol[i] < 0) continue;
        if (dv_parquet_batch_value(&b[cm->pos_n[i]], row, &v) != DV_OK || v.is_null) continue;
        switch (i) {
        case N_SHARD_INDEX: f.shard_index = v.i64; break;
        case N_ROW: f.row = v.i64; break;
        case N_DISTANCE: f.distance = v.i32; f.has_distance = 1; break;
        case N_SCORE: f.score = v.f64; break;
        case N_EMB_ROW: f.emb_row = v.i64; break;
        case N_ITEM_PDQ_QUALITY: f.pdq_quality = v.i32; break;
        default: break;
        }
    }
    f.ord = e->n;
    if (e->n == e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 1024;
        frec *nv = nc > SIZE_MAX / sizeof(*nv) ? NULL : realloc(e->v, nc * sizeof(*nv));
        if (nv == NULL) e->oom = 1;
        else {
            e->v = nv;
            e->cap = nc;
        }
    }
    if (e->oom) return -1;
    e->v[e->n++] = f;
    return 0;
}

/* Every finding to export in memory with its text, in file order, to be sorted: for a file
 * that the index cannot read a few row groups at a time (index_streams). */
static int load(const char *path, int include_candidates, exp_t *e)
{
    dv_parquet_reader *r = NULL;
    colmap cm;
    dv_parquet_batch b[NSTR + NNUM];
    if (open_matches(path, &r, &cm) != 0) return -1;
    for (size_t rg = 0; rg < dv_parquet_reader_num_row_groups(r); rg++) {
        if (read_group(r, &cm, rg, b) != 0) goto fail;
        for (uint64_t row = 0; row < b[0].rows; row++) {
            if (!include_candidates && !row_is_match(&cm, b, row)) continue;
            if (push_row(e, &cm, b, row) != 0) {
                cli_err("datavet export: %s: too many findings to hold in memory\n", path);
                goto fail;
            }
        }
    }
    dv_parquet_reader_free(r);
    return 0;
fail:
    dv_parquet_reader_free(r);
    return -1;
}

/* The findings in order without their text: a first pass reads matches.parquet a row group at
 * a time (every column, so that a damaged file fails before anything is written) and keeps, of
 * each finding to export, its sort key and place in the file (24 bytes); sorted, that index
 * says which row group each next finding is in, and the second pass reads its text from there.
 * A datavet matches.parquet is nearly in order already (the shards' findings in shard order,
 * out of order only within a shard, such as an img2dataset shard's failed downloads after its
 * tar's items, and neighbour candidates in order after them), so a few decoded row groups at a
 * time serve it; each is dropped after the last finding read from it. A file in another order
 * (not one datavet writes), whose row groups would be decoded again and again, is loaded whole
 * and sorted instead, as every file was before. */
#define RG_CACHE 4 /* row groups decoded at a time */

typedef struct fidx {
    int64_t shard_index, row;
    uint32_t rg, r; /* its row group, its row in it: file order, the sort's last key */
} fidx;

typedef struct findex {
    fidx *v;
    size_t n, cap;
    size_t nrg;
    size_t *last; /* per row group, the last index position read from it */
} findex;

static int cmp_fidx(const void *a, const void *b)
{
    const fidx *x = a, *y = b;
    if (x->shard_index != y->shard_index) return x->shard_index < y->shard_index ? -1 : 1;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->rg != y->rg) return x->rg < y->rg ? -1 : 1;
    return x->r < y->r ? -1 : x->r > y->r;
}

static int same_item(const fidx *x, const fidx *y)
{
    return x->shard_index == y->shard_index && x->row == y->row;
}

static int index_build(const char *path, int include_candidates, findex *ix)
{
    dv_parquet_reader *r = NULL;
    colmap cm;
    dv_parquet_batch b[NSTR + NNUM];
    int64_t key[2];
    if (open_matches(path, &r, &cm) != 0) return -1;
    ix->nrg = dv_parquet_reader_num_row_groups(r);
    if (ix->nrg > UINT32_MAX) {
        cli_err("datavet export: %s: more than 2^32 row groups\n", path);
        goto fail;
    }
    for (size_t rg = 0; rg < ix->nrg; rg++) {
        if (read_group(r, &cm, rg, b) != 0) goto fail;
        if (b[0].rows > UINT32_MAX) {
            cli_err("datavet export: %s: row group %zu: more than 2^32 rows\n", path, rg);
            goto fail;
        }
        for (uint64_t row = 0; row < b[0].rows; row++) {
            if (!include_candidates && !row_is_match(&cm, b, row)) continue;
            if (ix->n == ix->cap) {
                size_t nc = ix->cap ? ix->cap * 2 : 4096;
                fidx *nv = nc > SIZE_MAX / sizeof(*nv) ? NULL : realloc(ix->v, nc * sizeof(*nv));
                if (nv == NULL) {
                    cli_err("datavet export: %s: too many findings to hold in memory\n",
                            path);
                    goto fail;
                }
                ix->v = nv;
                ix->cap = nc;
            }
            row_key(&cm, b, row, key);
            ix->v[ix->n++] = (fidx){key[0], key[1], (uint32_t)rg, (uint32_t)row};
        }
    }
    dv_parquet_reader_free(r);
    for (size_t i = 1; i < ix->n; i++) {
        /* (qsort would take as much memory again for its merge, a file in order needs none) */
        if (cmp_fidx(&ix->v[i - 1], &ix->v[i]) > 0) {
            qsort(ix->v, ix->n, sizeof(*ix->v), cmp_fidx);
            break;
        }
    }
    ix->last = calloc(ix->nrg ? ix->nrg : 1, sizeof(*ix->last));
    if (ix->last == NULL) {
        cli_err("datavet export: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < ix->n; i++) ix->last[ix->v[i].rg] = i;
    return 0;
fail:
    dv_parquet_reader_free(r);
    return -1;
}

static void index_free(findex *ix)
{
    free(ix->v);
    free(ix->last);
    memset(ix, 0, sizeof(*ix));
}

/* Decoded row groups, each in a reader of its own, the least recently used one replaced. */
typedef struct rgslot {
    dv_parquet_reader *r; /* NULL: empty */
    colmap cm;
    dv_parquet_batch b[NSTR + NNUM];
    size_t rg;
    uint64_t used; /* 0: empty */
} rgslot;

typedef struct rgcache {
    rgslot s[RG_CACHE];
    uint64_t tick;
    size_t loads;
    int dry; /* count the loads only: nothing is read */
    cli_progress *pl; /* ended before a row group is read: a failure is said on a line of its own */
} rgcache;

/* The slot that holds the row group of index position i, read if need be; after the last
 * finding read from a row group, its slot is emptied. NULL: a read failed (said on stderr). */
/* The progress line (progress_line.h): items written, their rate, the share of the findings
 * and the ETA; the last state once, then erased (the summary follows). */
static void progress(cli_progress *pl, size_t done, size_t total, size_t items, double t0,
                     int final)
{
    double el = cli_now_s() - t0, f = total > 0 ? (double)done / (double)total : 1;
    char eta[40] = "";
    if (!cli_progress_due(pl, final)) return;
    if (!final && el > 0.5 && f > 0 && f < 1) {
        double s = el / f * (1 - f);
        cli_fmt_eta(eta, sizeof eta, ", ", s);
    }
    cli_progress_put(pl, "export: %zu items, %.0f items/s, %.0f%%%s", items,
                     el > 0 ? (double)items / el : 0.0, f * 100, eta);
    if (final) cli_progress_end(pl, 0);
}

static rgslot *cache_get(rgcache *c, const char *path, const findex *ix, size_t i)
{
    size_t rg = ix->v[i].rg;
    rgslot *s = NULL;
    for (size_t k = 0; k < RG_CACHE; k++)
        if (c->s[k].used && c->s[k].rg == rg) s = &c->s[k];
    if (s == NULL) {
        s = &c->s[0];
        for (size_t k = 1; k < RG_CACHE; k++)
            if (c->s[k].used < s->used) s = &c->s[k];
        c->loads++;
        s->rg = rg;
        if (!c->dry) {
            if (c->pl) cli_progress_end(c->pl, 0);
            if (s->r == NULL && open_matches(path, &s->r, &s->cm) != 0) return NULL;
            if (dv_parquet_reader_num_row_groups(s->r) != ix->nrg) {
                cli_err("datavet export: %s: changed while it was being read\n", path);
                return NULL;
            }
            if (read_group(s->r, &s->cm, rg, s->b) != 0) return NULL;
        }
    }
    if (!c->dry && ix->v[i].r >= s->b[0].rows) {
        if (c->pl) cli_progress_end(c->pl, 0);
        cli_err("datavet export: %s: changed while it was being read\n", path);
        return NULL;
    }
    s->used = ++c->tick;
    return s;
}

static void cache_done(const findex *ix, size_t i, rgslot *s)
{
    if (ix->last[ix->v[i].rg] != i) return;
    dv_parquet_reader_free(s->r); /* (its decoded columns with it) */
    s->r = NULL;
    s->used = 0;
}

static void cache_free(rgcache *c)
{
    for (size_t k = 0; k < RG_CACHE; k++) dv_parquet_reader_free(c->s[k].r);
    memset(c, 0, sizeof(*c));
}

/* Whether reading the findings in index order decodes each row group about once: the cache
 * run dry over the index. */
static int index_streams(const findex *ix)
{
    rgcache c;
    memset(&c, 0, sizeof(c));
    c.dry = 1;
    for (size_t i = 0; i < ix->n; i++) cache_done(ix, i, cache_get(&c, NULL, ix, i));
    return c.loads <= 2 * ix->nrg + RG_CACHE;
}

static int cmp_frec(const void *a, const void *b)
{
    const frec *x = a, *y = b;
    if (x->shard_index != y->shard_index) return x->shard_index < y->shard_index ? -1 : 1;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct meta {
    const char *dataset, *started, *scan_version, *exported;
    int fast; /* the scan ran with --fast: its PDQ hashes are approximate, none is exported */
    int raw_csv; /* --raw-csv: CSV cells as they are, no ' before a formula's first character */
} meta;

static void json_str(FILE *o, const char *s)
{
    putc('"', o);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", o); break;
        case '\\': fputs("\\\\", o); break;
        case '\n': fputs("\\n", o); break;
        case '\r': fputs("\\r", o); break;
        case '\t': fputs("\\t", o); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(o, "\\u%04x", *p);
            else
                putc(*p, o);
        }
    }
    putc('"', o);
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. A cell a spreadsheet
 * would run as a formula (its first character = + - @, TAB or CR: URLs, ids, shard and list
 * names are the dataset's or a list's, anyone's) gets a ' before it, which Excel, LibreOffice
 * and Google Sheets take as "text" and do not show (OWASP, CSV injection); so does one that
 * starts with ' itself, so that the original is always the cell less one leading ' (unless
 * raw: --raw-csv, for programs that read the CSV). */
static void csv_field(FILE *o, const char *s, const meta *m)
{
    int esc = !m->raw_csv && s[0] && strchr("=+-@\t\r'", s[0]) != NULL;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        if (esc) putc('\'', o);
        fputs(s, o);
        return;
    }
    putc('"', o);
    if (esc) putc('\'', o);
    for (; *s; s++) {
        if (*s == '"') putc('"', o);
        putc(*s, o);
    }
    putc('"', o);
}

/* One value of a ';'-joined CSV list: ';' and '%' inside it are percent-encoded. */
static int list_part(char **buf, size_t *len, size_t *cap, const char *s, int first)
{
    size_t need = *len + strlen(s) * 3 + 2;
    if (need > *cap) {
        size_t nc = *cap ? *cap : 256;
        char *nb;
        while (nc < need) nc *= 2;
        nb = realloc(*buf, nc);
        if (nb == NULL) return -1;
        *buf = nb;
        *cap = nc;
    }
    if (!first) (*buf)[(*len)++] = ';';
    for (; *s; s++) {
        if (*s == ';' || *s == '%') {
            (*len) += (size_t)snprintf(*buf + *len, 4, "%%%02X", (unsigned char)*s);
        } else {
            (*buf)[(*len)++] = *s;
        }
    }
    (*buf)[*len] = '\0';
    return 0;
}

static const char *const hash_cols[4] = {"md5", "sha1", "sha256", "pdq"};

/* The item's own hash of each kind: the hash of its image bytes the scan recorded in every
 * finding (item_md5 ... item_pdq: whatever matched), or else, for a matches.parquet without
 * them or an item without image bytes, the value of the first finding of that hash type. A
 * PDQ finding of another dihedral variant (flipx, rot90, ...) carries the hash of the image
 * so turned, not the item's: it is passed over, so that a hotline recomputing the file's PDQ
 * gets the hash this field gives (the finding itself keeps the variant's hash and name).
 * *quality: the PDQ quality (0-100) the scan recorded with item_pdq, or -1 where the PDQ comes
 * from a finding's value or is absent (a hotline weighs a PDQ of quality under 50 less). */
static void item_hashes(const exp_t *e, const frec *g, size_t n, const char *h[4], int *quality)
{
    *quality = -1;
    for (int k = 0; k < 4; k++) {
        h[k] = "";
        for (size_t i = 0; i < n && !h[k][0]; i++) {
            h[k] = S(e, &g[i], C_ITEM_MD5 + k);
            if (k == 3 && h[k][0]) *quality = g[i].pdq_quality;
        }
        for (size_t i = 0; i < n && !h[k][0]; i++) {
            const char *dih = S(e, &g[i], C_DIHEDRAL);
            if (strcmp(S(e, &g[i], C_HASH_TYPE), hash_cols[k]) == 0 && S(e, &g[i], C_VALUE)[0] &&
                (!dih[0] || strcmp(dih, "orig") == 0)) {
                h[k] = S(e, &g[i], C_VALUE);
                break;
            }
        }
    }
}

static int group_is_match(const frec *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g[i].is_match) return 1;
    return 0;
}

static const char *const csv_header[] = {
    "report_tier", "needs_verification", "incident_url", "md5", "sha1", "sha256", "pdq",
    "pdq_quality", "match_types", "sources", "lists", "list_versions", "list_digests", "entry_ids",
    "entry_labels", "distances", "finding_tiers", "item_id", "dataset", "shard", "shard_index",
    "row", "scan_started", "exported_at", "datavet_version", "file_viewed_by_reporter"};

static void write_csv_header(FILE *o)
{
    for (size_t i = 0; i < sizeof(csv_header) / sizeof(csv_header[0]); i++)
        fprintf(o, "%s%s", i ? "," : "", csv_header[i]);
    fputs("\r\n", o);
}

static int write_csv_row(FILE *o, const exp_t *e, const frec *g, size_t n, const meta *m)
{
    static const int joined[] = {C_HASH_TYPE, C_SOURCE, C_LIST, C_LIST_VERSION, C_LIST_DIGEST,
                                 C_ENTRY_ID, C_LABEL};
    const char *h[4];
    char *buf = NULL, num[64];
    size_t len = 0, cap = 0;
    int match = group_is_match(g, n), quality;
    item_hashes(e, g, n, h, &quality);
    if (m->fast) h[3] = "", quality = -1;
    fprintf(o, "%s,%s,", match ? "match" : "candidate", match ? "false" : "true");
    csv_field(o, S(e, g, C_URL), m);
    for (int k = 0; k < 4; k++) {
        putc(',', o);
        csv_field(o, h[k], m);
    }
    putc(',', o);
    if (quality >= 0) fprintf(o, "%d", quality);
    /* n >= 1, so every joined list gets at least one list_part and buf is set */
    for (size_t j = 0; j < sizeof(joined) / sizeof(joined[0]) + 2; j++) {
        len = 0;
        for (size_t i = 0; i < n; i++) {
            const char *v;
            if (j < sizeof(joined) / sizeof(joined[0])) {
                v = S(e, &g[i], joined[j]);
            } else if (j == sizeof(joined) / sizeof(joined[0])) {
                if (g[i].has_distance)
                    snprintf(num, sizeof(num), "%" PRId32, g[i].distance);
                else
                    num[0] = '\0';
                v = num;
            } else {
                v = g[i].is_match ? "match" : "candidate";
            }
            if (list_part(&buf, &len, &cap, v, i == 0) != 0) {
                free(buf);
                return -1;
            }
        }
        putc(',', o);
        csv_field(o, buf, m);
    }
    free(buf);
    putc(',', o);
    csv_field(o, S(e, g, C_ID), m);
    putc(',', o);
    csv_field(o, m->dataset, m);
    putc(',', o);
    csv_field(o, S(e, g, C_SHARD), m);
    fprintf(o, ",%" PRId64 ",%" PRId64 ",", g->shard_index, g->row);
    csv_field(o, m->started, m);
    putc(',', o);
    csv_field(o, m->exported, m);
    putc(',', o);
    csv_field(o, m->scan_version, m);
    fputs(",false\r\n", o);
    return 0;
}

static void json_kv(FILE *o, const char *k, const char *v, int first)
{
    fprintf(o, "%s\"%s\":", first ? "" : ",", k);
    if (v == NULL || v[0] == '\0')
        fputs("null", o);
    else
        json_str(o, v);
}

static void write_json_row(FILE *o, const exp_t *e, const frec *g, size_t n, const meta *m)
{
    const char *h[4];
    int match = group_is_match(g, n), quality;
    item_hashes(e, g, n, h, &quality);
    if (m->fast) h[3] = "", quality = -1;
    fprintf(o, "{\"report_tier\":\"%s\",\"needs_verification\":%s", match ? "match" : "candidate",
            match ? "false" : "true");
    json_kv(o, "incident_url", S(e, g, C_URL), 0);
    for (int k = 0; k < 4; k++) json_kv(o, hash_cols[k], h[k], 0);
    if (quality >= 0)
        fprintf(o, ",\"pdq_quality\":%d", quality);
    else
        fputs(",\"pdq_quality\":null", o);
    fputs(",\"match_types\":[", o);
    for (size_t i = 0; i < n; i++) {
        if (i) putc(',', o);
        json_str(o, S(e, &g[i], C_HASH_TYPE));
    }
    fputs("],\"findings\":[", o);
    for (size_t i = 0; i < n; i++) {
        const frec *f = &g[i];
        fprintf(o, "%s{\"hash_type\":", i ? "," : "");
        json_str(o, S(e, f, C_HASH_TYPE));
        json_kv(o, "source", S(e, f, C_SOURCE), 0);
        json_kv(o, "value", S(e, f, C_VALUE), 0);
        json_kv(o, "list", S(e, f, C_LIST), 0);
        json_kv(o, "list_version", S(e, f, C_LIST_VERSION), 0);
        json_kv(o, "list_digest", S(e, f, C_LIST_DIGEST), 0);
        json_kv(o, "entry_id", S(e, f, C_ENTRY_ID), 0);
        json_kv(o, "entry_label", S(e, f, C_LABEL), 0);
        if (f->has_distance)
            fprintf(o, ",\"distance\":%" PRId32, f->distance);
        else
            fputs(",\"distance\":null", o);
        json_kv(o, "dihedral", S(e, f, C_DIHEDRAL), 0);
        if (isfinite(f->score)) {
            /* the shortest text that reads back as the same double, as matches.jsonl has */
            char sc[32];
            for (int prec = 1; prec <= 17; prec++) {
                snprintf(sc, sizeof sc, "%.*g", prec, f->score);
                if (strtod(sc, NULL) == f->score) break;
            }
            fprintf(o, ",\"score\":%s", sc);
        }
        else
            fputs(",\"score\":null", o);
        json_kv(o, "seed", S(e, f, C_SEED), 0);
        fprintf(o, ",\"tier\":\"%s\"}", f->is_match ? "match" : "candidate");
    }
    fputs("]", o);
    json_kv(o, "item_id", S(e, g, C_ID), 0);
    json_kv(o, "dataset", m->dataset, 0);
    json_kv(o, "shard", S(e, g, C_SHARD), 0);
    fprintf(o, ",\"shard_index\":%" PRId64 ",\"row\":%" PRId64, g->shard_index, g->row);
    json_kv(o, "scan_started", m->started, 0);
    json_kv(o, "exported_at", m->exported, 0);
    json_kv(o, "datavet_version", m->scan_version, 0);
    fputs(",\"file_viewed_by_reporter\":false}", o);
}

static int write_row(FILE *o, fmt_t fmt, const exp_t *e, const frec *g, size_t n, const meta *m,
                     size_t *nrows)
{
    if (fmt == FMT_CSV) {
        if (write_csv_row(o, e, g, n, m) != 0) return -1;
    } else {
        if (fmt == FMT_JSON) fputs(*nrows ? ",\n" : "\n", o);
        write_json_row(o, e, g, n, m);
        if (fmt == FMT_JSONL) putc('\n', o);
    }
    (*nrows)++;
    return 0;
}

/* The image a finding is of, by the hashes the scan recorded of its bytes; "" for a finding
 * without them (the row's metadata or URL when the scan had no image bytes, a neighbour
 * candidate, a matches.parquet of an earlier datavet). */
static const char *image_key(const exp_t *e, const frec *f)
{
    const char *k = S(e, f, C_ITEM_SHA256);
    return k[0] ? k : S(e, f, C_ITEM_MD5);
}

/* The findings g[0..n) of one (shard_index, row), in file order, as rows. A row or sample can
 * hold several images (a webdataset sample of 000.jpg and 000.png, a parquet list of images),
 * each an item of that same (shard_index, row) and told apart only by its hashes: each image
 * with findings gets a row of its own, so that every matched image's hashes are reported;
 * one row would carry the first image's alone. Findings of no image go with the first image
 * found, which holds the row's metadata. */
static int write_item(FILE *o, fmt_t fmt, const exp_t *e, const frec *g, size_t n, const meta *m,
                      size_t *nrows)
{
    const char *first = NULL;
    frec *sub;
    unsigned char *taken;
    int several = 0, lead = 1, rc = 0;
    for (size_t i = 0; i < n && !several; i++) {
        const char *k = image_key(e, &g[i]);
        if (!k[0]) continue;
        if (first == NULL) first = k;
        else several = strcmp(k, first) != 0;
    }
    if (!several) return write_row(o, fmt, e, g, n, m, nrows);
    sub = malloc(n * sizeof(*sub));
    taken = calloc(n, 1);
    if (sub == NULL || taken == NULL) rc = -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *k = image_key(e, &g[i]);
        size_t ns = 0;
        if (taken[i] || !k[0]) continue;
        for (size_t j = 0; j < n; j++) {
            const char *kj = image_key(e, &g[j]);
            if (!taken[j] && (strcmp(kj, k) == 0 || (!kj[0] && lead))) {
                sub[ns++] = g[j];
                taken[j] = 1;
            }
        }
        rc = write_row(o, fmt, e, sub, ns, m, nrows);
        lead = 0;
    }
    free(sub);
    free(taken);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static char *scan_field(const char *buf, size_t len, const char *key, const char *path)
{
    char *v = NULL;
    int rc = cli_json_top_string(buf, len, key, &v);
    if (rc == -1) cli_err("datavet export: %s: not a JSON object; '%s' unknown\n", path, key);
    if (rc == -2) cli_err("datavet export: out of memory\n");
    if (rc == 0) cli_err("datavet export: %s: no \"%s\"\n", path, key);
    return v;
}

static int now_utc(char out[32])
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t t = time(NULL);
    struct tm tm;
    if (sde != NULL && *sde != '\0') {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(sde, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0) {
            cli_err("datavet export: SOURCE_DATE_EPOCH is not a number of seconds\n");
            return -1;
        }
        t = (time_t)v;
    }
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return -1;
    return 0;
}

/* Whether scan.json's parameters say the scan ran with --fast: its "parameters" array holds
 * the pair ["fast", "true"] (datavet writes the names, so a "fast" right after a '[' is one). */
static int scan_was_fast(const char *buf, size_t len)
{
    const char *v, *end;
    size_t vlen;
    if (cli_json_top_raw(buf, len, "parameters", &v, &vlen) != 1) return 0;
    end = v + vlen;
    for (const char *p = v; p + 6 <= end; p++) {
        const char *q = p - 1, *r = p + 6;
        if (memcmp(p, "\"fast\"", 6) != 0) continue;
        while (q > v && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q--;
        if (q < v || *q != '[') continue;
        while (r < end && (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')) r++;
        if (r >= end || *r++ != ',') continue;
        while (r < end && (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')) r++;
        return (size_t)(end - r) >= 6 && memcmp(r, "\"true\"", 6) == 0;
    }
    return 0;
}

/* An incomplete scan (shards or parts of shards not read: summary.json's counts.read_errors)
 * exports what was read; the recipient must be told that items may be missing. Said even
 * with -q. A scan without summary.json (none written yet) says nothing here. */
static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void warn_incomplete(const char *dir)
{
    char path[4096], err[512];
    void *buf = NULL;
    size_t len = 0, clen = 0, rlen = 0;
    const char *counts = NULL, *re = NULL;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (access(path, F_OK) != 0 ||
        dv_read_file(path, SCAN_JSON_MAX, NULL, &buf, &len, err, sizeof(err)) != DV_OK)
        return;
    if (cli_json_top_raw(buf, len, "counts", &counts, &clen) == 1 &&
        cli_json_top_raw(counts, clen, "read_errors", &re, &rlen) == 1 && rlen > 0 &&
        rlen < 21 && all_digits(re, rlen) && !(rlen == 1 && re[0] == '0')) {
        cli_err("datavet export: warning: the scan is INCOMPLETE: %.*s read error%s "
                "(%s, errors.jsonl): shards or parts of shards were not read, and "
                "their items are not in this export\n",
                (int)rlen, re, rlen == 1 && re[0] == '1' ? "" : "s", path);
    }
    free(buf);
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"include-candidates", no_argument, NULL, 'c'},
        {"raw-csv", no_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fmt_t fmt = FMT_CSV;
    int have_fmt = 0, cand = 0, raw_csv = 0, quiet = 0, force_progress = 0, c, ret = 2;
    cli_progress pl = {0};
    double t0;
    const char *outpath = NULL, *dir;
    char *pq = NULL, *sj = NULL, *dataset = NULL, *started = NULL, *ver = NULL, *tmp = NULL;
    char exported[32];
    void *sbuf = NULL;
    size_t slen = 0, nrows = 0, nfound = 0;
    exp_t e = {0}; /* every finding (loaded whole), or one item's (read in index order) */
    findex ix;
    rgcache cache = {0};
    int whole = 0;
    FILE *o = NULL;
    struct stat st;
    meta m;
    memset(&ix, 0, sizeof(ix));
    int rc;

    optind = 1;
    cli_getopt_name(argv, "datavet export");
    while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "csv") == 0) fmt = FMT_CSV;
            else if (strcmp(optarg, "json") == 0) fmt = FMT_JSON;
            else if (strcmp(optarg, "jsonl") == 0) fmt = FMT_JSONL;
            else {
                return cli_bad_opt("export", "--format", optarg, "not csv, json or jsonl");
            }
            have_fmt = 1;
            break;
        case 'o': outpath = optarg; break;
        case 'c': cand = 1; break;
        case 'R': raw_csv = 1; break;
        case 'q': quiet = 1; break;
        case 'P': force_progress = 1; break;
        case 'h': cli_print_help(stdout, "export"); return 0;
        default: return cli_usage("export", NULL);
        }
    }
    if (optind != argc - 1 || !have_fmt)
        return cli_usage("export", "%s", !have_fmt ? "--format is required"
                                                   : "give exactly one OUTDIR");
    if (raw_csv && fmt != FMT_CSV)
        return cli_usage("export", "--raw-csv is for --format csv (json and jsonl are never "
                                   "escaped)");
    dir = argv[optind];
    if (stat(dir, &st) != 0) {
        cli_err("datavet export: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        cli_err("datavet export: %s: not a directory (want a scan's OUTDIR)\n", dir);
        return 2;
    }
    pq = malloc(strlen(dir) + 32);
    sj = malloc(strlen(dir) + 32);
    e.arena = malloc(1 << 16);
    if (pq == NULL || sj == NULL || e.arena == NULL) goto oom;
    e.arena[0] = '\0'; /* offset 0: the empty string of every absent value */
    e.alen = 1;
    e.acap = 1 << 16;
    snprintf(pq, strlen(dir) + 32, "%s/matches.parquet", dir);
    snprintf(sj, strlen(dir) + 32, "%s/scan.json", dir);

    {
        char err[512];
        rc = dv_read_file(sj, SCAN_JSON_MAX, NULL, &sbuf, &slen, err, sizeof(err));
        if (rc != DV_OK) {
            cli_err("datavet export: %s: is %s a scan output directory?\n", err, dir);
            goto out;
        }
    }
    dataset = scan_field(sbuf, slen, "dataset", sj);
    started = scan_field(sbuf, slen, "started", sj);
    ver = scan_field(sbuf, slen, "datavet_version", sj);
    if (now_utc(exported) != 0) goto out;

    if (access(pq, F_OK) != 0) {
        cli_err("datavet export: %s: %s (run datavet merge %s if the scan ran with "
                "--no-merge)\n", pq, strerror(errno), dir);
        goto out;
    }
    if (index_build(pq, cand, &ix) != 0) goto out;
    nfound = ix.n;
    if (!index_streams(&ix)) {
        whole = 1;
        index_free(&ix);
        if (load(pq, cand, &e) != 0) goto out;
        if (e.n > 0) qsort(e.v, e.n, sizeof(*e.v), cmp_frec);
    }
    warn_incomplete(dir);

    if (outpath != NULL) {
        /* a regular file (or none yet) is written beside and renamed over at the end, so a
         * failure midway leaves it as it was; a device or FIFO (-o /dev/null) is written
         * in place; a link is refused, as O_NOFOLLOW would */
        struct stat ost;
        int fd;
        if (lstat(outpath, &ost) == 0 && S_ISLNK(ost.st_mode)) {
            cli_err("datavet export: %s: %s\n", outpath, strerror(ELOOP));
            goto out;
        }
        if (lstat(outpath, &ost) != 0 || S_ISREG(ost.st_mode)) {
            size_t n = strlen(outpath);
            tmp = malloc(n + sizeof ".tmp.XXXXXX");
            if (tmp == NULL) goto oom;
            memcpy(tmp, outpath, n);
            memcpy(tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
            fd = mkstemp(tmp);
            if (fd < 0) {
                cli_err("datavet export: %s: %s\n", outpath, strerror(errno));
                free(tmp);
                tmp = NULL;
                goto out;
            }
        } else {
            fd = open(outpath, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        }
        if (fd >= 0 && cli_chmod_private(fd) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd < 0 || (o = fdopen(fd, "w")) == NULL) {
            cli_err("datavet export: %s: %s\n", outpath, strerror(errno));
            if (fd >= 0) close(fd);
            goto out;
        }
    } else {
        o = stdout;
    }

    m = (meta){dataset ? dataset : "", started ? started : "", ver ? ver : "", exported,
               scan_was_fast(sbuf, slen), raw_csv};
    if (m.fast)
        cli_err("datavet export: the scan ran with --fast, so its PDQ hashes are close "
                "to the files' own but not equal: the pdq and pdq_quality fields are "
                "left empty (rescan without --fast for them)\n");
    if (fmt == FMT_CSV) write_csv_header(o);
    if (fmt == FMT_JSON) fputs("[", o);
    cli_progress_init(&pl, quiet, force_progress);
    cache.pl = &pl;
    t0 = cli_now_s();
    if (whole) {
        for (size_t i = 0; i < e.n;) {
            size_t j = i + 1;
            progress(&pl, i, e.n, nrows, t0, 0);
            while (j < e.n && e.v[j].shard_index == e.v[i].shard_index && e.v[j].row == e.v[i].row)
                j++;
            if (write_item(o, fmt, &e, &e.v[i], j - i, &m, &nrows) != 0) goto oom;
            i = j;
        }
    } else {
        /* each item's findings gathered into e (their text copied, as the batches they
         * point into go when their row group is replaced), then written */
        for (size_t i = 0; i < ix.n;) {
            size_t j = i;
            progress(&pl, i, ix.n, nrows, t0, 0);
            e.n = 0;
            e.alen = 1;
            do {
                rgslot *sl = cache_get(&cache, pq, &ix, j);
                if (sl == NULL) goto out;
                if (push_row(&e, &sl->cm, sl->b, ix.v[j].r) != 0) goto oom;
                cache_done(&ix, j, sl);
                j++;
            } while (j < ix.n && same_item(&ix.v[j], &ix.v[i]));
            if (write_item(o, fmt, &e, e.v, e.n, &m, &nrows) != 0) goto oom;
            i = j;
        }
    }
    progress(&pl, 1, 1, nrows, t0, 1);
    if (fmt == FMT_JSON) fputs(nrows ? "\n]\n" : "]\n", o);
    if (fflush(o) != 0 || ferror(o) || (tmp != NULL && dv_file_sync(fileno(o)) != DV_OK)) {
        cli_err("datavet export: %s: write failed: %s\n", outpath ? outpath : "stdout",
                strerror(errno));
        goto out;
    }
    ret = 0;
    goto out;
oom:
    cli_progress_end(&pl, 0);
    cli_err("datavet export: out of memory\n");
    ret = 2;
out:
    cli_progress_end(&pl, 0);
    if (o != NULL && o != stdout && fclose(o) != 0 && ret == 0) {
        cli_err("datavet export: %s: %s\n", outpath, strerror(errno));
        ret = 2;
    }
    if (tmp != NULL) {
        if (ret == 0 && dv_file_rename(tmp, outpath) != DV_OK) {
            int se = errno;
            if (!cli_rename_placed_err("export", tmp, outpath, se))
                cli_err("datavet export: %s: %s\n", outpath, strerror(se));
            ret = 2;
        }
        if (ret != 0) unlink(tmp); /* (after a rename whose folder sync failed: nothing) */
        free(tmp);
    }
    if (ret == 0 && !quiet) /* once the file is in place */
        cli_err("datavet export: %zu %s%s%s (%zu %s)%s%s\n", nrows,
                cand ? "" : "matched ", cli_plural(nrows, "item", "items"),
                cand ? " with matches or candidates" : "", nfound,
                cli_plural(nfound, "finding", "findings"), outpath ? " written to " : "",
                outpath ? outpath : "");
    cache_free(&cache);
    index_free(&ix);
    free(e.arena);
    free(e.v);
    free(sbuf);
    free(dataset);
    free(started);
    free(ver);
    free(pq);
    free(sj);
    return ret;
}
