/* parquet_reader.c - the Parquet reader: footer and schema at open, then one row group of the
 * requested flat columns at a time, page by page (v1/v2, dictionary, every value encoding). */
#include "parquet_internal.h"
#include "io_readers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet reader copies PLAIN values as they are: little-endian hosts only"
#endif

#define DEFAULT_MAX_RG (UINT64_C(1) << 30)
#define DEFAULT_MAX_FOOTER (UINT64_C(64) << 20)
#define MAX_SCHEMA_DEPTH 64

typedef struct pq_col {
    char *name;
    const dv__pq_schema_elem *elem;
    int nested;   /* repeated somewhere on its path (list/map): never read */
    int in_group; /* a leaf of a non-repeated struct: read flat as "a.b" */
    int max_def;
    int max_rep;
    int is_string;
    /* nested: rep_def[k] is the definition level of the k-th repeated field on its path (an
     * entry continuing a list at level k has at least that level) */
    uint8_t rep_def[MAX_SCHEMA_DEPTH + 2];
    /* in_group: the structs around the leaf, outermost first, and the leaf's own name (one
     * allocation, names behind the array) */
    dv_parquet_group *groups;
    size_t ngroups;
    const char *leaf;
} pq_col;

typedef struct pq_slot {
    uint8_t *values;
    size_t values_cap;
    uint8_t *valid;
    size_t valid_cap;
    uint64_t *offsets;
    size_t offsets_cap;
    uint8_t *defs; /* max_def > 1: each row's definition level */
    size_t defs_cap;
    uint8_t *reps; /* lists (dv_parquet_reader_read_list): each entry's repetition level */
    size_t reps_cap;
    uint64_t *rstart; /* lists: the first entry of each row, rows + 1 */
    size_t rstart_cap;
    dv__buf data;
} pq_slot;

typedef struct pq_span {
    const uint8_t *p;
    uint32_t len;
} pq_span;

/* A schema element's place in the tree (dv_parquet_reader_node), by element index. */
typedef struct pq_node {
    const char *name; /* into the reader's node_names block */
    uint32_t parent;
    int def, rep; /* levels of the node itself: optional and repeated nodes down to it */
    size_t first_col, ncols;
} pq_node;

/* A growable scratch array; sizes are checked against the row group limit first. */
typedef struct pq_scratch {
    void *p;
    size_t cap;
} pq_scratch;

struct dv_parquet_reader {
    const dv_alloc *alloc;
    uint64_t max_bytes;
    int skip_crc;
    int wipe; /* dv_parquet_reader_opts.wipe */
    char name[256];
    char err[512];
    const uint8_t *buf; /* whole file (buffer mode) */
    int fd;             /* file mode, -1 otherwise */
    uint64_t size;
    uint8_t *footer_owned;
    uint64_t footer_start;
    dv__pq_file_meta meta;
    size_t ncols;
    pq_col *cols;
    pq_node *nodes; /* meta.nschema, the schema tree's levels and leaf ranges */
    char *node_names;
    pq_slot *slots;
    size_t nslots;
    pq_scratch chunk, page, dictpage, dictvals, levels, idx, spans, deltas, dba;
    pq_slot lslot; /* dv_parquet_reader_read_list's, apart from the row group batches */
    int lslot_init;
    char *created_by;
};

/* What is being decoded, for messages. */
typedef struct pq_ctx {
    dv_parquet_reader *r;
    size_t rg;
    const pq_col *col;
    uint64_t offset; /* file offset of the current page header */
    int32_t codec;
    /* dictionary of the current chunk */
    int have_dict;
    size_t dict_count;
    const uint8_t *dict_fixed;
    const pq_span *dict_spans;
    /* lists: read_chunk counts the entries from the data page headers into entries */
    int count_entries;
    uint64_t entries;
} pq_ctx;

const char *dv_pq_type_name(dv_pq_type t)
{
    static const char *const names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                        "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return (unsigned)t < 8 ? names[t] : "?";
}

static const char *enc_name(int32_t e)
{
    switch (e) {
    case 0: return "PLAIN";
    case 1: return "GROUP_VAR_INT";
    case 2: return "PLAIN_DICTIONARY";
    case 3: return "RLE";
    case 4: return "BIT_PACKED";
    case 5: return "DELTA_BINARY_PACKED";
    case 6: return "DELTA_LENGTH_BYTE_ARRAY";
    case 7: return "DELTA_BYTE_ARRAY";
    case 8: return "RLE_DICTIONARY";
    case 9: return "BYTE_STREAM_SPLIT";
    default: return "unknown";
    }
}

static int fail(pq_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(pq_ctx *c, int code, const char *fmt, ...)
{
    char detail[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    dv__set_err(c->r->err, sizeof(c->r->err), "%s: row group %zu, column %s, offset %llu: %s",
                c->r->name, c->rg, c->col->name, (unsigned long long)c->offset, detail);
    return code;
}

static int scratch(dv_parquet_reader *r, pq_scratch *s, size_t need)
{
    void *np;
    if (need <= s->cap) return DV_OK;
    if (need > r->max_bytes) return DV_ETOOBIG;
    if (s->cap && need < s->cap * 2 && s->cap * 2 <= r->max_bytes) need = s->cap * 2;
    np = dv__realloc_wipe(r->alloc, s->p, s->cap, need, r->wipe);
    if (np == NULL) return DV_ENOMEM;
    s->p = np;
    s->cap = need;
    return DV_OK;
}

static int grow(dv_parquet_reader *r, void **p, size_t *cap, size_t need)
{
    pq_scratch s = {*p, *cap};
    int rc = scratch(r, &s, need);
    *p = s.p;
    *cap = s.cap;
    return rc;
}

/* Bytes [off, off + len) of the file: a pointer into the buffer, or read into s. */
static int file_bytes(dv_parquet_reader *r, pq_scratch *s, uint64_t off, uint64_t len,
                      const uint8_t **out)
{
    size_t got = 0;
    if (off > r->size || len > r->size - off) return DV_ECORRUPT;
    if (r->buf != NULL) {
        *out = r->buf + off;
        return DV_OK;
    }
    DV_FORWARD_IF_ERROR(scratch(r, s, (size_t)len));
    while (got < len) {
        ssize_t n = pread(r->fd, (uint8_t *)s->p + got, (size_t)len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return DV_EIO;
        got += (size_t)n;
    }
    *out = s->p;
    return DV_OK;
}

/* ---------------------------------------------------------------- open */

/* The groups of a struct leaf (anc[0 .. depth - 2]) and its own name, in one block. */
static int leaf_groups(dv_parquet_reader *r, pq_col *c, const dv__pq_schema_elem *const *anc,
                       int depth, const dv__pq_schema_elem *e)
{
    size_t ng = (size_t)(depth - 1), bytes = ng * sizeof(dv_parquet_group) + e->name.len + 1;
    char *s;
    for (size_t k = 0; k < ng; k++) bytes += anc[k]->name.len + 1;
    c->groups = dv__malloc(r->alloc, bytes);
    if (c->groups == NULL) return DV_ENOMEM;
    c->ngroups = ng;
    s = (char *)(c->groups + ng);
    for (size_t k = 0; k < ng; k++) {
        memcpy(s, anc[k]->name.p, anc[k]->name.len);
        s[anc[k]->name.len] = '\0';
        c->groups[k].name = s;
        c->groups[k].optional = anc[k]->repetition == DV_PQ_OPTIONAL;
        s += anc[k]->name.len + 1;
    }
    memcpy(s, e->name.p, e->name.len);
    s[e->name.len] = '\0';
    c->leaf = s;
    return DV_OK;
}

static int walk_schema(dv_parquet_reader *r, uint32_t *i, uint32_t parent, int depth,
                       const char *prefix, int def, int rep, size_t *nleaves, int fill,
                       const dv__pq_schema_elem **anc, uint8_t *repd)
{
    const dv__pq_schema_elem *e;
    char path[1024];
    int d = def, rp = rep;
    uint32_t at = *i;
    size_t first = *nleaves;
    if (*i >= r->meta.nschema) {
        dv__set_err(r->err, sizeof(r->err), "%s: schema has fewer elements than it declares",
                    r->name);
        return DV_ECORRUPT;
    }
    if (depth > MAX_SCHEMA_DEPTH) {
        dv__set_err(r->err, sizeof(r->err), "%s: schema nested too deep", r->name);
        return DV_ECORRUPT;
    }
    e = &r->meta.schema[(*i)++];
    snprintf(path, sizeof(path), "%s%s%.*s", prefix, prefix[0] ? "." : "", (int)e->name.len,
             (const char *)e->name.p);
    if (e->repetition == DV_PQ_OPTIONAL) d++;
    if (e->repetition == DV_PQ_REPEATED) {
        d++;
        rp++;
        repd[rp] = (uint8_t)d; /* depth <= 64 bounds both */
    }
    if (fill) {
        r->nodes[at].parent = parent;
        r->nodes[at].def = d;
        r->nodes[at].rep = rp;
        r->nodes[at].first_col = first;
    }
    if (e->num_children > 0) {
        anc[depth - 1] = e;
        for (int32_t k = 0; k < e->num_children; k++)
            DV_FORWARD_IF_ERROR(
                walk_schema(r, i, at, depth + 1, path, d, rp, nleaves, fill, anc, repd));
        if (fill) r->nodes[at].ncols = *nleaves - first;
        return DV_OK;
    }
    if (e->type < 0 || e->type > DV_PQ_FIXED_LEN_BYTE_ARRAY) {
        dv__set_err(r->err, sizeof(r->err), "%s: column %s has no or an unknown physical type",
                    r->name, path);
        return DV_ECORRUPT;
    }
    if (e->type == DV_PQ_FIXED_LEN_BYTE_ARRAY &&
        (e->type_length <= 0 || e->type_length > (1 << 24))) {
        dv__set_err(r->err, sizeof(r->err), "%s: column %s has a bad FIXED_LEN_BYTE_ARRAY width %d",
                    r->name, path, (int)e->type_length);
        return DV_ECORRUPT;
    }
    if (fill) {
        pq_col *c = &r->cols[*nleaves];
        size_t n = strlen(path) + 1;
        c->name = dv__malloc(r->alloc, n);
        if (c->name == NULL) return DV_ENOMEM;
        memcpy(c->name, path, n);
        c->elem = e;
        c->nested = rp > 0;
        c->in_group = depth > 1;
        c->max_def = d;
        c->max_rep = rp;
        c->is_string = e->logical_kind == 1 || e->converted_type == DV__PQ_CT_UTF8;
        memcpy(c->rep_def, repd, (size_t)rp + 1);
        if (c->in_group && !c->nested) DV_FORWARD_IF_ERROR(leaf_groups(r, c, anc, depth, e));
        r->nodes[at].ncols = 1;
    }
    (*nleaves)++;
    return DV_OK;
}

/* The nodes' names, NUL-terminated, in one block. */
static int node_names(dv_parquet_reader *r)
{
    size_t bytes = 0;
    char *s;
    for (uint32_t k = 0; k < r->meta.nschema; k++) bytes += r->meta.schema[k].name.len + 1;
    r->nodes = dv__calloc(r->alloc, r->meta.nschema, sizeof(*r->nodes));
    r->node_names = s = dv__malloc(r->alloc, bytes);
    if (r->nodes == NULL || s == NULL) return DV_ENOMEM;
    for (uint32_t k = 0; k < r->meta.nschema; k++) {
        const dv__pq_bytes *n = &r->meta.schema[k].name;
        if (n->len) memcpy(s, n->p, n->len);
        s[n->len] = '\0';
        r->nodes[k].name = s;
        s += n->len + 1;
    }
    return DV_OK;
}

static int build_columns(dv_parquet_reader *r)
{
    const dv__pq_schema_elem *root = &r->meta.schema[0];
    size_t n = 0;
    const dv__pq_schema_elem *anc[MAX_SCHEMA_DEPTH + 1];
    uint8_t repd[MAX_SCHEMA_DEPTH + 2] = {0};
    DV_FORWARD_IF_ERROR(node_names(r));
    for (int pass = 0; pass < 2; pass++) {
        uint32_t i = 1;
        n = 0;
        for (int32_t k = 0; k < root->num_children; k++)
            DV_FORWARD_IF_ERROR(walk_schema(r, &i, 0, 1, "", 0, 0, &n, pass, anc, repd));
        if (i != r->meta.nschema) {
            dv__set_err(r->err, sizeof(r->err), "%s: schema has %u elements but its tree uses %u",
                        r->name, r->meta.nschema, i);
            return DV_ECORRUPT;
        }
        if (pass == 0) {
            r->cols = dv__calloc(r->alloc, n ? n : 1, sizeof(*r->cols));
            if (r->cols == NULL) return DV_ENOMEM;
            r->ncols = n;
        }
    }
    r->nodes[0].ncols = n;
    for (uint32_t g = 0; g < r->meta.nrow_groups; g++) {
        if (r->meta.row_groups[g].ncolumns != r->ncols) {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: row group %u has %u column chunks, the schema %zu leaves", r->name, g,
                        r->meta.row_groups[g].ncolumns, r->ncols);
            return DV_ECORRUPT;
        }
    }
    return DV_OK;
}

static int open_common(dv_parquet_reader *r, const dv_parquet_reader_opts *opts)
{
    uint8_t tail[8];
    const uint8_t *p;
    uint64_t flen,
        max_footer = opts && opts->max_footer_bytes ? opts->max_footer_bytes : DEFAULT_MAX_FOOTER;
    const char *why = NULL;
    size_t at = 0;
    int rc;
    pq_scratch tmp = {0};

    if (r->size < 12) {
        dv__set_err(r->err, sizeof(r->err), "%s: %llu bytes is too short for a Parquet file",
                    r->name, (unsigned long long)r->size);
        return DV_EFORMAT;
    }
    rc = file_bytes(r, &tmp, r->size - 8, 8, &p);
    if (rc == DV_OK) memcpy(tail, p, 8);
    if (rc == DV_OK) rc = file_bytes(r, &tmp, 0, 4, &p);
    if (rc != DV_OK) {
        dv__free(r->alloc, tmp.p);
        dv__set_err(r->err, sizeof(r->err), "%s: cannot read the file ends", r->name);
        return DV_EIO;
    }
    if (memcmp(p, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0) {
        int enc = memcmp(tail + 4, "PARE", 4) == 0;
        dv__free(r->alloc, tmp.p);
        dv__set_err(r->err, sizeof(r->err), "%s: %s", r->name,
                    enc ? "encrypted Parquet footer: not supported"
                        : "no PAR1 magic at both ends: not a Parquet file");
        return DV_EFORMAT;
    }
    dv__free(r->alloc, tmp.p);
    flen = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 |
           (uint64_t)tail[3] << 24;
    if (flen == 0 || flen > r->size - 12) {
        dv__set_err(r->err, sizeof(r->err), "%s: footer length %llu does not fit a %llu-byte file",
                    r->name, (unsigned long long)flen, (unsigned long long)r->size);
        return DV_ECORRUPT;
    }
    if (flen > max_footer) {
        dv__set_err(r->err, sizeof(r->err), "%s: footer of %llu bytes is over the limit of %llu",
                    r->name, (unsigned long long)flen, (unsigned long long)max_footer);
        return DV_ETOOBIG;
    }
    r->footer_start = r->size - 8 - flen;
    if (r->buf != NULL) {
        p = r->buf + r->footer_start;
    } else {
        pq_scratch f = {0};
        uint64_t saved = r->max_bytes;
        r->max_bytes = flen; /* the footer limit applies here, not the row group limit */
        rc = file_bytes(r, &f, r->footer_start, flen, &p);
        r->max_bytes = saved;
        r->footer_owned = f.p;
        if (rc != DV_OK) {
            dv__set_err(r->err, sizeof(r->err), "%s: cannot read the %llu-byte footer", r->name,
                        (unsigned long long)flen);
            return rc == DV_ENOMEM ? DV_ENOMEM : DV_EIO;
        }
    }
    rc = dv__pq_parse_footer(p, (size_t)flen, r->alloc, &r->meta, &why, &at);
    if (rc != DV_OK) {
        dv__set_err(r->err, sizeof(r->err), "%s: footer at offset %llu: %s (offset %llu)", r->name,
                    (unsigned long long)r->footer_start, why,
                    (unsigned long long)(r->footer_start + at));
        return rc;
    }
    if (r->meta.schema[0].num_children < 0) {
        dv__set_err(r->err, sizeof(r->err), "%s: schema root is not a group", r->name);
        return DV_ECORRUPT;
    }
    return build_columns(r);
}

static dv_parquet_reader *reader_new(const char *name, const dv_parquet_reader_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_parquet_reader *r = dv__calloc(a, 1, sizeof(*r));
    if (r == NULL) return NULL;
    r->alloc = a;
    r->fd = -1;
    r->max_bytes = opts && opts->max_row_group_bytes ? opts->max_row_group_bytes : DEFAULT_MAX_RG;
    if (r->max_bytes > SIZE_MAX / 4) r->max_bytes = SIZE_MAX / 4;
    r->skip_crc = opts ? opts->skip_crc : 0;
    r->wipe = opts ? opts->wipe : 0;
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "<buffer>");
    return r;
}

static int finish_open(dv_parquet_reader *r, int rc, dv_parquet_reader **out, char *errbuf,
                       size_t errcap)
{
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "%s", r->err[0] ? r->err : dv_strerror(rc));
        dv_parquet_reader_free(r);
        return rc;
    }
    if (r->meta.created_by.set) {
        size_t n = r->meta.created_by.len;
        r->created_by = dv__malloc(r->alloc, n + 1);
        if (r->created_by == NULL) {
            dv__set_err(errbuf, errcap, "%s: out of memory", r->name);
            dv_parquet_reader_free(r);
            return DV_ENOMEM;
        }
        memcpy(r->created_by, r->meta.created_by.p, n);
        r->created_by[n] = '\0';
    }
    r->err[0] = '\0';
    *out = r;
    return DV_OK;
}

/* The rest of an open once r->fd is the file's. */
static int open_fd(dv_parquet_reader *r, const char *path, const dv_parquet_reader_opts *opts,
                   dv_parquet_reader **out, char *errbuf, size_t errcap)
{
    struct stat st;
    if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dv__set_err(r->err, sizeof(r->err), "%s: not a regular file", path);
        return finish_open(r, DV_EIO, out, errbuf, errcap);
    }
    r->size = (uint64_t)st.st_size;
    return finish_open(r, open_common(r, opts), out, errbuf, errcap);
}

int dv_parquet_reader_open(const char *path, const dv_parquet_reader_opts *opts,
                           dv_parquet_reader **out, char *errbuf, size_t errcap)
{
    dv_parquet_reader *r;
    if (out == NULL || path == NULL) return DV_EINVAL;
    *out = NULL;
    r = reader_new(path, opts);
    if (r == NULL) {
        dv__set_err(errbuf, errcap, "%s: out of memory", path);
        return DV_ENOMEM;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (r->fd < 0) {
        dv__set_err(r->err, sizeof(r->err), "%s: cannot open: %s", path, strerror(errno));
        return finish_open(r, DV_EIO, out, errbuf, errcap);
    }
    return open_fd(r, path, opts, out, errbuf, errcap);
}

int dv__parquet_reader_open_fd(int fd, const char *name, const dv_parquet_reader_opts *opts,
                               dv_parquet_reader **out, char *errbuf, size_t errcap)
{
    dv_parquet_reader *r;
    *out = NULL;
    r = reader_new(name, opts);
    if (r == NULL) {
        dv__set_err(errbuf, errcap, "%s: out of memory", name);
        return DV_ENOMEM;
    }
    r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* the reader closes its own */
    if (r->fd < 0) {
        dv__set_err(r->err, sizeof(r->err), "%s: %s", name, strerror(errno));
        return finish_open(r, DV_EIO, out, errbuf, errcap);
    }
    return open_fd(r, name, opts, out, errbuf, errcap);
}

int dv_parquet_reader_open_buffer(const void *buf, size_t len, const char *name,
                                  const dv_parquet_reader_opts *opts, dv_parquet_reader **out,
                                  char *errbuf, size_t errcap)
{
    dv_parquet_reader *r;
    if (out == NULL || (buf == NULL && len)) return DV_EINVAL;
    *out = NULL;
    r = reader_new(name, opts);
    if (r == NULL) {
        dv__set_err(errbuf, errcap, "out of memory");
        return DV_ENOMEM;
    }
    r->buf = buf ? buf : (const uint8_t *)"";
    r->size = len;
    return finish_open(r, open_common(r, opts), out, errbuf, errcap);
}

/* The scratch arrays, for freeing and wiping */
static void scratches(dv_parquet_reader *r, pq_scratch *all[9])
{
    all[0] = &r->chunk;
    all[1] = &r->page;
    all[2] = &r->dictpage;
    all[3] = &r->dictvals;
    all[4] = &r->levels;
    all[5] = &r->idx;
    all[6] = &r->spans;
    all[7] = &r->deltas;
    all[8] = &r->dba;
}

void dv_parquet_reader_wipe(dv_parquet_reader *r)
{
    pq_scratch *all[9];
    if (r == NULL) return;
    scratches(r, all);
    for (int i = 0; i < 9; i++)
        if (all[i]->p) memset(all[i]->p, 0, all[i]->cap);
    for (size_t i = 0; i <= r->nslots; i++) {
        pq_slot *s = i < r->nslots ? &r->slots[i] : &r->lslot;
        if (s->values) memset(s->values, 0, s->values_cap);
        if (s->valid) memset(s->valid, 0, s->valid_cap);
        if (s->offsets) memset(s->offsets, 0, s->offsets_cap);
        if (s->defs) memset(s->defs, 0, s->defs_cap);
        if (s->reps) memset(s->reps, 0, s->reps_cap);
        if (s->rstart) memset(s->rstart, 0, s->rstart_cap);
        if (s->data.p) memset(s->data.p, 0, s->data.cap);
    }
}

void dv_parquet_reader_free(dv_parquet_reader *r)
{
    const dv_alloc *a;
    pq_scratch *all[9];
    if (r == NULL) return;
    a = r->alloc;
    if (r->wipe) dv_parquet_reader_wipe(r);
    scratches(r, all);
    for (int i = 0; i < 9; i++) dv__free(a, all[i]->p);
    for (size_t i = 0; i <= r->nslots; i++) {
        pq_slot *s = i < r->nslots ? &r->slots[i] : &r->lslot;
        dv__free(a, s->values);
        dv__free(a, s->valid);
        dv__free(a, s->offsets);
        dv__free(a, s->defs);
        dv__free(a, s->reps);
        dv__free(a, s->rstart);
        if (s->data.alloc || s->data.p) dv__buf_free(&s->data);
    }
    dv__free(a, r->slots);
    if (r->cols)
        for (size_t i = 0; i < r->ncols; i++) {
            dv__free(a, r->cols[i].name);
            dv__free(a, r->cols[i].groups);
        }
    dv__free(a, r->cols);
    dv__free(a, r->nodes);
    dv__free(a, r->node_names);
    dv__free(a, r->created_by);
    dv__pq_meta_free(&r->meta, a);
    /* the footer's statistics can hold whole values (min and max of an image column) */
    if (r->wipe && r->footer_owned) memset(r->footer_owned, 0, (size_t)(r->size - 8 - r->footer_start));
    dv__free(a, r->footer_owned);
    if (r->fd >= 0) close(r->fd);
    dv__free(a, r);
}

const char *dv_parquet_reader_errmsg(const dv_parquet_reader *r) { return r ? r->err : ""; }

size_t dv_parquet_reader_num_columns(const dv_parquet_reader *r) { return r->ncols; }

int dv_parquet_reader_column(const dv_parquet_reader *r, size_t col, dv_parquet_column_info *out)
{
    const pq_col *c;
    if (col >= r->ncols) return DV_EINVAL;
    c = &r->cols[col];
    memset(out, 0, sizeof(*out));
    out->name = c->name;
    out->type = (dv_pq_type)c->elem->type;
    out->type_length = c->elem->type == DV_PQ_FIXED_LEN_BYTE_ARRAY ? c->elem->type_length : 0;
    out->repetition =
        c->elem->repetition < 0 ? DV_PQ_REQUIRED : (dv_pq_repetition)c->elem->repetition;
    out->nested = c->nested;
    out->in_group = c->in_group;
    out->max_def = c->max_def;
    out->max_rep = c->max_rep;
    out->time_unit = c->elem->time_unit;
    out->utc_adjusted = c->elem->utc_adjusted;
    out->is_string = c->is_string;
    out->converted_type = c->elem->converted_type;
    out->logical_type = c->elem->logical_kind;
    out->scale = c->elem->scale;
    out->precision = c->elem->precision;
    return DV_OK;
}

size_t dv_parquet_reader_num_nodes(const dv_parquet_reader *r) { return r->meta.nschema; }

int dv_parquet_reader_node(const dv_parquet_reader *r, size_t i, dv_parquet_node *out)
{
    const dv__pq_schema_elem *e;
    const pq_node *n;
    memset(out, 0, sizeof(*out));
    if (i >= r->meta.nschema) return DV_EINVAL;
    e = &r->meta.schema[i];
    n = &r->nodes[i];
    out->name = n->name;
    out->repetition = e->repetition == DV_PQ_OPTIONAL   ? DV_PQ_OPTIONAL
                      : e->repetition == DV_PQ_REPEATED ? DV_PQ_REPEATED
                                                        : DV_PQ_REQUIRED;
    out->num_children = e->num_children > 0 ? (size_t)e->num_children : 0;
    out->parent = n->parent;
    out->converted_type = e->converted_type;
    out->logical_type = e->logical_kind;
    out->def_level = n->def;
    out->rep_level = n->rep;
    out->first_column = n->first_col;
    out->num_columns = n->ncols;
    return DV_OK;
}

int64_t dv_parquet_reader_find_column(const dv_parquet_reader *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return (int64_t)i;
    return -1;
}

uint64_t dv_parquet_reader_num_rows(const dv_parquet_reader *r)
{
    uint64_t n = 0;
    for (uint32_t g = 0; g < r->meta.nrow_groups; g++)
        n += (uint64_t)r->meta.row_groups[g].num_rows;
    return n;
}

size_t dv_parquet_reader_num_row_groups(const dv_parquet_reader *r) { return r->meta.nrow_groups; }

uint64_t dv_parquet_reader_row_group_rows(const dv_parquet_reader *r, size_t rg)
{
    return rg < r->meta.nrow_groups ? (uint64_t)r->meta.row_groups[rg].num_rows : 0;
}

int dv_parquet_reader_chunk(const dv_parquet_reader *r, size_t rg, size_t col,
                            dv_parquet_chunk_info *out)
{
    const dv__pq_chunk *c;
    memset(out, 0, sizeof(*out));
    if (rg >= r->meta.nrow_groups || col >= r->ncols) return DV_EINVAL;
    c = &r->meta.row_groups[rg].columns[col];
    out->codec = (dv_pq_codec)c->codec;
    out->num_values = c->num_values;
    out->compressed_size = c->total_compressed_size;
    out->uncompressed_size = c->total_uncompressed_size;
    out->num_kv = c->nkv;
    return DV_OK;
}

const char *dv_parquet_reader_created_by(const dv_parquet_reader *r)
{
    return r->created_by ? r->created_by : "";
}

size_t dv_parquet_reader_num_kv(const dv_parquet_reader *r) { return r->meta.nkv; }

static int kv_out(const dv__pq_kv *kv, dv_parquet_kv *out)
{
    out->key = (const char *)kv->key.p;
    out->key_len = kv->key.len;
    if (kv->value.set) {
        out->value = (const char *)kv->value.p;
        out->value_len = kv->value.len;
    }
    return DV_OK;
}

int dv_parquet_reader_kv(const dv_parquet_reader *r, size_t i, dv_parquet_kv *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= r->meta.nkv) return DV_EINVAL;
    return kv_out(&r->meta.kv[i], out);
}

int dv_parquet_reader_chunk_kv(const dv_parquet_reader *r, size_t rg, size_t col, size_t i,
                               dv_parquet_kv *out)
{
    const dv__pq_chunk *c;
    memset(out, 0, sizeof(*out));
    if (rg >= r->meta.nrow_groups || col >= r->ncols) return DV_EINVAL;
    c = &r->meta.row_groups[rg].columns[col];
    if (i >= c->nkv) return DV_EINVAL;
    return kv_out(&c->kv[i], out);
}

int dv_parquet_reader_stats(const dv_parquet_reader *r, size_t rg, size_t col,
                            dv_parquet_stats *out)
{
    const dv__pq_chunk *c;
    memset(out, 0, sizeof(*out));
    out->null_count = -1;
    if (rg >= r->meta.nrow_groups || col >= r->ncols) return DV_EINVAL;
    c = &r->meta.row_groups[rg].columns[col];
    if (!c->has_stats) return DV_OK;
    if (c->stats.min_value.set) {
        out->min = c->stats.min_value.p;
        out->min_len = c->stats.min_value.len;
    }
    if (c->stats.max_value.set) {
        out->max = c->stats.max_value.p;
        out->max_len = c->stats.max_value.len;
    }
    out->null_count = c->stats.null_count;
    return DV_OK;
}

int dv_parquet_reader_field(const dv_parquet_reader *r, size_t col, dv_parquet_field *out)
{
    const pq_col *c;
    if (col >= r->ncols) return DV_EINVAL;
    c = &r->cols[col];
    memset(out, 0, sizeof(*out));
    if (c->nested) return DV_EFORMAT; /* the writer has no lists or maps */
    out->name = c->in_group ? c->leaf : c->name;
    out->groups = c->groups;
    out->ngroups = c->ngroups;
    out->type = (dv_pq_type)c->elem->type;
    out->type_length = c->elem->type_length;
    out->optional = c->elem->repetition == DV_PQ_OPTIONAL;
    out->is_string = c->is_string;
    out->has_converted_type = c->elem->converted_type >= 0;
    out->converted_type = c->elem->converted_type;
    out->scale = c->elem->scale;
    out->precision = c->elem->precision;
    if (c->elem->logical.set) {
        out->logical_type_raw = c->elem->logical.p;
        out->logical_type_raw_len = c->elem->logical.len;
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- values */

static size_t type_width(int32_t type, int32_t type_length)
{
    switch (type) {
    case DV_PQ_BOOLEAN: return 1;
    case DV_PQ_INT32:
    case DV_PQ_FLOAT: return 4;
    case DV_PQ_INT64:
    case DV_PQ_DOUBLE: return 8;
    case DV_PQ_INT96: return 12;
    case DV_PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)type_length;
    default: return 0;
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* PLAIN byte arrays: [len:4][bytes] repeated. */
static int plain_spans(pq_ctx *c, const uint8_t *p, size_t len, pq_span *sp, size_t k)
{
    size_t pos = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t n;
        if (len - pos < 4) return fail(c, DV_ECORRUPT, "byte array %zu of %zu truncated", i, k);
        n = le32(p + pos);
        pos += 4;
        if (n > len - pos)
            return fail(c, DV_ECORRUPT, "byte array %zu of %zu runs past the page (%u bytes)", i, k,
                        n);
        sp[i].p = p + pos;
        sp[i].len = n;
        pos += n;
    }
    return DV_OK;
}

static int decode_dictionary(pq_ctx *c, const dv__pq_page_header *h, const uint8_t *p, size_t len)
{
    dv_parquet_reader *r = c->r;
    const dv__pq_schema_elem *e = c->col->elem;
    size_t n;
    if (h->num_values < 0) return fail(c, DV_ECORRUPT, "negative dictionary size");
    n = (size_t)h->num_values;
    if (h->encoding != DV__PQ_ENC_PLAIN && h->encoding != DV__PQ_ENC_PLAIN_DICTIONARY)
        return fail(c, DV_EFORMAT, "dictionary page encoding %s: not supported",
                    enc_name(h->encoding));
    if (e->type == DV_PQ_BOOLEAN)
        return fail(c, DV_EFORMAT, "dictionary of BOOLEAN: not supported");
    if (e->type == DV_PQ_BYTE_ARRAY) {
        if (n > len / 4)
            return fail(c, DV_ECORRUPT, "dictionary claims %zu values in %zu bytes", n, len);
        /* the spans of a dictionary live in dictvals, data pages use spans */
        if (scratch(r, &r->dictvals, n * sizeof(pq_span) + 1) != DV_OK)
            return fail(c, DV_ETOOBIG, "dictionary of %zu values over the limit", n);
        DV_FORWARD_IF_ERROR(plain_spans(c, p, len, r->dictvals.p, n));
        c->dict_spans = r->dictvals.p;
    } else {
        size_t w = type_width(e->type, e->type_length);
        if (n > len / w)
            return fail(c, DV_ECORRUPT, "dictionary claims %zu values in %zu bytes", n, len);
        c->dict_fixed = p;
    }
    c->dict_count = n;
    c->have_dict = 1;
    return DV_OK;
}

/* Dense (non-null) values of a page. Fixed-size types land in dense (k * width bytes), byte
 * arrays in spans. */
static int decode_values(pq_ctx *c, int32_t enc, const uint8_t *p, size_t len, size_t k,
                         uint8_t *dense, pq_span **spans_out)
{
    dv_parquet_reader *r = c->r;
    const dv__pq_schema_elem *e = c->col->elem;
    int32_t type = e->type;
    size_t w = type_width(type, e->type_length);
    pq_span *sp = NULL;
    const char *why = "";

    if (type == DV_PQ_BYTE_ARRAY) {
        if (scratch(r, &r->spans, k * sizeof(pq_span) + 1) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu byte arrays over the limit", k);
        sp = r->spans.p;
        *spans_out = sp;
    }
    switch (enc) {
    case DV__PQ_ENC_PLAIN:
        if (type == DV_PQ_BYTE_ARRAY) return plain_spans(c, p, len, sp, k);
        if (type == DV_PQ_BOOLEAN) {
            if ((k + 7) / 8 > len) return fail(c, DV_ECORRUPT, "%zu booleans in %zu bytes", k, len);
            for (size_t i = 0; i < k; i++) dense[i] = (p[i >> 3] >> (i & 7)) & 1;
            return DV_OK;
        }
        if (k > len / w)
            return fail(c, DV_ECORRUPT, "%zu values of %zu bytes in %zu bytes", k, w, len);
        memcpy(dense, p, k * w);
        return DV_OK;
    case DV__PQ_ENC_PLAIN_DICTIONARY:
    case DV__PQ_ENC_RLE_DICTIONARY: {
        dv__rle d;
        uint32_t *ix;
        if (!c->have_dict)
            return fail(c, DV_ECORRUPT, "dictionary-encoded page without a dictionary");
        if (k == 0) return DV_OK;
        if (len < 1 || p[0] > 32) return fail(c, DV_ECORRUPT, "bad dictionary index bit width");
        if (scratch(r, &r->idx, k * sizeof(uint32_t)) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu indices over the limit", k);
        ix = r->idx.p;
        dv__rle_init(&d, p + 1, len - 1, p[0]);
        if (dv__rle_get(&d, ix, k) != DV_OK)
            return fail(c, DV_ECORRUPT, "dictionary indices truncated or corrupt");
        for (size_t i = 0; i < k; i++) {
            if (ix[i] >= c->dict_count)
                return fail(c, DV_ECORRUPT, "dictionary index %u out of %zu", ix[i], c->dict_count);
            if (sp)
                sp[i] = c->dict_spans[ix[i]];
            else
                memcpy(dense + i * w, c->dict_fixed + (size_t)ix[i] * w, w);
        }
        return DV_OK;
    }
    case DV__PQ_ENC_RLE: {
        dv__rle d;
        uint32_t n, *ix;
        if (type != DV_PQ_BOOLEAN)
            return fail(c, DV_EFORMAT, "RLE values of %s: not supported", dv_pq_type_name(type));
        if (len < 4 || (n = le32(p)) > len - 4)
            return fail(c, DV_ECORRUPT, "RLE boolean length prefix bad");
        if (scratch(r, &r->idx, k * sizeof(uint32_t) + 1) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu booleans over the limit", k);
        ix = r->idx.p;
        dv__rle_init(&d, p + 4, n, 1);
        if (dv__rle_get(&d, ix, k) != DV_OK) return fail(c, DV_ECORRUPT, "RLE booleans truncated");
        for (size_t i = 0; i < k; i++) dense[i] = (uint8_t)(ix[i] & 1);
        return DV_OK;
    }
    case DV__PQ_ENC_DELTA_BINARY_PACKED: {
        uint64_t total, *v;
        size_t used;
        if (type != DV_PQ_INT32 && type != DV_PQ_INT64)
            return fail(c, DV_EFORMAT, "DELTA_BINARY_PACKED %s: not supported",
                        dv_pq_type_name(type));
        if (scratch(r, &r->deltas, k * 8 + 8) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu values over the limit", k);
        v = r->deltas.p;
        if (dv__delta_decode(p, len, v, k, &total, &used, &why) != DV_OK)
            return fail(c, DV_ECORRUPT, "%s", why);
        for (size_t i = 0; i < k; i++) {
            if (type == DV_PQ_INT32) {
                uint32_t x = (uint32_t)v[i];
                memcpy(dense + 4 * i, &x, 4);
            } else {
                memcpy(dense + 8 * i, &v[i], 8);
            }
        }
        return DV_OK;
    }
    case DV__PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
        uint64_t total, *v;
        size_t used, pos;
        if (type != DV_PQ_BYTE_ARRAY)
            return fail(c, DV_EFORMAT, "DELTA_LENGTH_BYTE_ARRAY %s: not supported",
                        dv_pq_type_name(type));
        if (dv__delta_count(p, len, &total) != DV_OK || total != k)
            return fail(c, DV_ECORRUPT, "DELTA_LENGTH_BYTE_ARRAY lengths do not match %zu values",
                        k);
        if (scratch(r, &r->deltas, k * 8 + 8) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu values over the limit", k);
        v = r->deltas.p;
        if (dv__delta_decode(p, len, v, k, &total, &used, &why) != DV_OK)
            return fail(c, DV_ECORRUPT, "%s", why);
        pos = used;
        for (size_t i = 0; i < k; i++) {
            if (v[i] > len - pos)
                return fail(c, DV_ECORRUPT, "byte array %zu runs past the page", i);
            sp[i].p = p + pos;
            sp[i].len = (uint32_t)v[i];
            pos += (size_t)v[i];
        }
        return DV_OK;
    }
    case DV__PQ_ENC_DELTA_BYTE_ARRAY: {
        uint64_t total, *v, sum = 0;
        size_t used1, used2, pos;
        uint8_t *out;
        const uint8_t *prev = NULL;
        size_t prev_len = 0, opos = 0;
        if (type != DV_PQ_BYTE_ARRAY && type != DV_PQ_FIXED_LEN_BYTE_ARRAY)
            return fail(c, DV_EFORMAT, "DELTA_BYTE_ARRAY %s: not supported", dv_pq_type_name(type));
        if (dv__delta_count(p, len, &total) != DV_OK || total != k)
            return fail(c, DV_ECORRUPT, "DELTA_BYTE_ARRAY prefixes do not match %zu values", k);
        if (scratch(r, &r->deltas, k * 16 + 8) != DV_OK)
            return fail(c, DV_ETOOBIG, "%zu values over the limit", k);
        v = r->deltas.p;
        if (dv__delta_decode(p, len, v, k, &total, &used1, &why) != DV_OK)
            return fail(c, DV_ECORRUPT, "prefix lengths: %s", why);
        if (dv__delta_count(p + used1, len - used1, &total) != DV_OK || total != k)
            return fail(c, DV_ECORRUPT, "DELTA_BYTE_ARRAY suffixes do not match %zu values", k);
        if (dv__delta_decode(p + used1, len - used1, v + k, k, &total, &used2, &why) != DV_OK)
            return fail(c, DV_ECORRUPT, "suffix lengths: %s", why);
        pos = used1 + used2;
        for (size_t i = 0; i < k; i++) {
            if (v[i] > UINT32_MAX || v[k + i] > UINT32_MAX)
                return fail(c, DV_ECORRUPT, "DELTA_BYTE_ARRAY length over 4 GiB");
            sum += v[i] + v[k + i];
            if (sum > r->max_bytes)
                return fail(c, DV_ETOOBIG, "DELTA_BYTE_ARRAY values over the limit");
        }
        if (scratch(r, &r->dba, (size_t)sum + 1) != DV_OK)
            return fail(c, DV_ETOOBIG, "DELTA_BYTE_ARRAY values over the limit");
        out = r->dba.p;
        for (size_t i = 0; i < k; i++) {
            size_t pre = (size_t)v[i], suf = (size_t)v[k + i];
            if (pre > prev_len)
                return fail(c, DV_ECORRUPT, "prefix %zu longer than the previous value", i);
            if (suf > len - pos) return fail(c, DV_ECORRUPT, "suffix %zu runs past the page", i);
            if (pre) memmove(out + opos, prev, pre);
            memcpy(out + opos + pre, p + pos, suf);
            pos += suf;
            prev = out + opos;
            prev_len = pre + suf;
            if (sp) {
                sp[i].p = prev;
                sp[i].len = (uint32_t)prev_len;
            } else {
                if (prev_len != w)
                    return fail(c, DV_ECORRUPT, "value %zu is not %zu bytes long", i, w);
                memcpy(dense + i * w, prev, w);
            }
            opos += prev_len;
        }
        return DV_OK;
    }
    case DV__PQ_ENC_BYTE_STREAM_SPLIT:
        if (type == DV_PQ_BOOLEAN || type == DV_PQ_BYTE_ARRAY || type == DV_PQ_INT96)
            return fail(c, DV_EFORMAT, "BYTE_STREAM_SPLIT %s: not supported",
                        dv_pq_type_name(type));
        if (k > len / w)
            return fail(c, DV_ECORRUPT, "%zu values of %zu bytes in %zu bytes", k, w, len);
        for (size_t b = 0; b < w; b++)
            for (size_t i = 0; i < k; i++) dense[i * w + b] = p[b * k + i];
        return DV_OK;
    default:
        return fail(c, DV_EFORMAT, "value encoding %s (%d): not supported", enc_name(enc),
                    (int)enc);
    }
}

/* Repetition levels of a list column (RLE/bit-packed hybrid) into reps[0..n). */
static int decode_rep_levels(pq_ctx *c, const uint8_t *p, size_t len, size_t n, uint8_t *reps)
{
    dv_parquet_reader *r = c->r;
    uint32_t *lv, maxr = (uint32_t)c->col->max_rep;
    unsigned bw = 0;
    dv__rle d;
    while ((1u << bw) <= maxr) bw++;
    if (scratch(r, &r->levels, n * sizeof(uint32_t) + 1) != DV_OK)
        return fail(c, DV_ETOOBIG, "%zu levels over the limit", n);
    lv = r->levels.p;
    dv__rle_init(&d, p, len, bw);
    if (dv__rle_get(&d, lv, n) != DV_OK)
        return fail(c, DV_ECORRUPT, "repetition levels truncated or corrupt");
    for (size_t i = 0; i < n; i++) {
        if (lv[i] > maxr)
            return fail(c, DV_ECORRUPT, "repetition level %u over the maximum %u", lv[i], maxr);
        reps[i] = (uint8_t)lv[i];
    }
    return DV_OK;
}

/* Definition levels of an optional column (flat, or a leaf of structs: max_def > 1, any
 * level below max_def is a null at some level) into valid[0..n); returns the non-null count. */
static int decode_def_levels(pq_ctx *c, int32_t enc, const uint8_t *p, size_t len, size_t n,
                             uint8_t *valid, uint8_t *defs, size_t *k_out)
{
    dv_parquet_reader *r = c->r;
    uint32_t *lv, maxd = (uint32_t)c->col->max_def;
    unsigned bw = 0;
    size_t k = 0;
    while ((1u << bw) <= maxd) bw++;
    if (scratch(r, &r->levels, n * sizeof(uint32_t) + 1) != DV_OK)
        return fail(c, DV_ETOOBIG, "%zu levels over the limit", n);
    lv = r->levels.p;
    if (enc == DV__PQ_ENC_RLE) {
        dv__rle d;
        dv__rle_init(&d, p, len, bw);
        if (dv__rle_get(&d, lv, n) != DV_OK)
            return fail(c, DV_ECORRUPT, "definition levels truncated or corrupt");
    } else if (enc == DV__PQ_ENC_BIT_PACKED) {
        /* the deprecated BIT_PACKED levels are packed MSB first */
        if ((n * bw + 7) / 8 > len) return fail(c, DV_ECORRUPT, "BIT_PACKED levels truncated");
        for (size_t i = 0; i < n; i++) {
            uint32_t v = 0;
            for (unsigned b = 0; b < bw; b++) {
                size_t bit = i * bw + b;
                v = v << 1 | (uint32_t)((p[bit >> 3] >> (7 - (bit & 7))) & 1);
            }
            lv[i] = v;
        }
    } else {
        return fail(c, DV_EFORMAT, "definition level encoding %s: not supported", enc_name(enc));
    }
    for (size_t i = 0; i < n; i++) {
        if (lv[i] > maxd)
            return fail(c, DV_ECORRUPT, "definition level %u over the maximum %u", lv[i], maxd);
        valid[i] = lv[i] == maxd;
        k += valid[i];
    }
    if (defs)
        for (size_t i = 0; i < n; i++) defs[i] = (uint8_t)lv[i]; /* maxd <= 64 */
    *k_out = k;
    return DV_OK;
}

/* Body bytes of a page, decompressed when the chunk's codec says so. */
static int page_bytes(pq_ctx *c, pq_scratch *s, const uint8_t *body, size_t blen, size_t ulen,
                      int compressed, const uint8_t **out)
{
    const char *why = "";
    int rc;
    if (!compressed || c->codec == 0) {
        if (blen != ulen && compressed)
            return fail(c, DV_ECORRUPT, "uncompressed page of %zu bytes says %zu", blen, ulen);
        *out = body;
        return DV_OK;
    }
    if (ulen > c->r->max_bytes)
        return fail(c, DV_ETOOBIG, "page of %zu bytes over the limit", ulen);
    if (scratch(c->r, s, ulen + 1) != DV_OK) return fail(c, DV_ENOMEM, "out of memory for a page");
    if (blen == 0 && ulen == 0) {
        *out = s->p;
        return DV_OK;
    }
    rc = dv__pq_decompress(c->codec, body, blen, s->p, ulen, &why);
    if (rc != DV_OK) return fail(c, rc, "%s", why);
    *out = s->p;
    return DV_OK;
}

/* PLAIN byte arrays of a page ([len:4][bytes] x k, for the non-null rows among n) appended to
 * the slot's data with their end offsets from row on. */
static int plain_ba_into(pq_ctx *c, const uint8_t *p, size_t len, size_t k, size_t n,
                         const uint8_t *valid, pq_slot *slot, uint64_t row)
{
    size_t pos = 0, j = 0;
    uint8_t *out;
    uint64_t *offs = slot->offsets + row + 1, olen;
    /* the values are at most the page's bytes less 4 per length */
    if (len > c->r->max_bytes || dv__buf_reserve(&slot->data, len) != DV_OK)
        return fail(c, DV_ETOOBIG, "byte array data over the limit");
    out = slot->data.p;
    olen = slot->data.len;
    for (size_t i = 0; i < n; i++) {
        if (!valid || valid[i]) {
            uint32_t m;
            if (j == k) break;
            if (len - pos < 4) return fail(c, DV_ECORRUPT, "byte array %zu of %zu truncated", j, k);
            m = le32(p + pos);
            pos += 4;
            if (m > len - pos)
                return fail(c, DV_ECORRUPT, "byte array %zu of %zu runs past the page (%u bytes)",
                            j, k, m);
            if (m + 15 <= len - pos) {
                /* 16-byte pieces, reading and writing up to 15 bytes past the value: still
                 * inside the page, and inside the reservation (values + 4 per length) */
                for (uint32_t q = 0; q < m; q += 16) memcpy(out + olen + q, p + pos + q, 16);
            } else {
                memcpy(out + olen, p + pos, m);
            }
            olen += m;
            pos += m;
            j++;
        }
        offs[i] = olen;
    }
    slot->data.len = (size_t)olen;
    return DV_OK;
}

static int read_chunk(pq_ctx *c, const dv__pq_chunk *ch, uint64_t rows, pq_slot *slot)
{
    dv_parquet_reader *r = c->r;
    const dv__pq_schema_elem *e = c->col->elem;
    size_t w = type_width(e->type, e->type_length);
    int optional = c->col->max_def > 0;
    int is_ba = e->type == DV_PQ_BYTE_ARRAY;
    uint64_t start, clen, pos = 0, row = 0;
    const uint8_t *chunk;
    int rc;

    c->offset = 0;
    if (!ch->has_meta) return fail(c, DV_EFORMAT, "column chunk without metadata (encrypted?)");
    if (ch->has_file_path) return fail(c, DV_EFORMAT, "column data in another file: not supported");
    if (ch->type != e->type)
        return fail(c, DV_ECORRUPT, "chunk type %d differs from the schema's %s", (int)ch->type,
                    dv_pq_type_name((dv_pq_type)e->type));
    c->codec = ch->codec;
    if (c->codec < 0 || c->codec > 7 || c->codec == DV_PQ_LZO)
        return fail(c, DV_EFORMAT, "compression codec %d: not supported", (int)c->codec);
    start = (uint64_t)ch->data_page_offset;
    if (ch->dictionary_page_offset >= 4 &&
        (ch->dictionary_page_offset < ch->data_page_offset || ch->data_page_offset < 4))
        start = (uint64_t)ch->dictionary_page_offset;
    clen = (uint64_t)ch->total_compressed_size;
    c->offset = start;
    if (rows == 0)
        clen = 0; /* nothing to decode: offsets may well be 0 */
    else if (start < 4 || ch->total_compressed_size < 0 || start >= r->footer_start ||
             clen > r->footer_start - start)
        return fail(c, DV_ECORRUPT, "column chunk of %lld bytes lies outside the data",
                    (long long)ch->total_compressed_size);
    if (clen > r->max_bytes)
        return fail(c, DV_ETOOBIG, "column chunk of %llu bytes over the limit",
                    (unsigned long long)clen);
    rc = file_bytes(r, &r->chunk, start, clen, &chunk);
    if (rc != DV_OK) return fail(c, rc, "cannot read the column chunk");
    if (c->count_entries) {
        /* A list's entries are what its data pages hold, whatever the chunk's num_values says
         * (some writers put the count of non-null values there). Headers that do not parse
         * leave the hint; the decoding below then says what is wrong. */
        uint64_t n = 0, p = 0;
        while (p < clen) {
            dv__pq_page_header h;
            size_t hlen;
            const char *why = "";
            if (dv__pq_parse_page_header(chunk + p, (size_t)(clen - p), &h, &hlen, &why) != DV_OK ||
                h.compressed_size < 0 || (uint64_t)h.compressed_size > clen - p - hlen ||
                h.num_values < 0) {
                n = rows;
                break;
            }
            if (h.type == DV__PQ_PAGE_DATA || h.type == DV__PQ_PAGE_DATA_V2)
                n += (uint64_t)h.num_values;
            if (n > r->max_bytes)
                return fail(c, DV_ETOOBIG, "list of %llu entries over the limit",
                            (unsigned long long)n);
            p += hlen + (uint64_t)h.compressed_size;
        }
        rows = n;
        c->entries = n;
    }

    /* outputs, sized from the row count before anything is decoded */
    if (is_ba) {
        if (rows + 1 > r->max_bytes / 8)
            return fail(c, DV_ETOOBIG, "%llu rows over the limit", (unsigned long long)rows);
        if (grow(r, (void **)&slot->offsets, &slot->offsets_cap, (size_t)(rows + 1) * 8) != DV_OK)
            return fail(c, DV_ENOMEM, "out of memory for %llu offsets", (unsigned long long)rows);
        slot->offsets[0] = 0;
        slot->data.len = 0;
        slot->data.failed = 0;
        slot->data.max = (size_t)r->max_bytes;
        slot->data.alloc = r->alloc;
    } else {
        if (rows > r->max_bytes / w)
            return fail(c, DV_ETOOBIG, "%llu rows over the limit", (unsigned long long)rows);
        if (grow(r, (void **)&slot->values, &slot->values_cap, (size_t)rows * w + 1) != DV_OK)
            return fail(c, DV_ENOMEM, "out of memory for %llu rows", (unsigned long long)rows);
    }
    if (optional && grow(r, (void **)&slot->valid, &slot->valid_cap, (size_t)rows + 1) != DV_OK)
        return fail(c, DV_ENOMEM, "out of memory for %llu rows", (unsigned long long)rows);
    if (c->col->max_def > 1 &&
        grow(r, (void **)&slot->defs, &slot->defs_cap, (size_t)rows + 1) != DV_OK)
        return fail(c, DV_ENOMEM, "out of memory for %llu rows", (unsigned long long)rows);
    if (c->col->max_rep > 0 &&
        grow(r, (void **)&slot->reps, &slot->reps_cap, (size_t)rows + 1) != DV_OK)
        return fail(c, DV_ENOMEM, "out of memory for %llu entries", (unsigned long long)rows);

    while (row < rows) {
        dv__pq_page_header h;
        size_t hlen, n, k, vlen;
        const uint8_t *body, *vp;
        const char *why = "";
        uint8_t *valid = optional ? slot->valid + row : NULL;
        uint8_t *defs = c->col->max_def > 1 ? slot->defs + row : NULL;
        uint8_t *reps = c->col->max_rep > 0 ? slot->reps + row : NULL;
        uint8_t *dense = is_ba ? NULL : slot->values + row * w;
        pq_span *sp = NULL;
        int32_t enc;

        c->offset = start + pos;
        if (pos >= clen)
            return fail(c, DV_ECORRUPT, "column chunk ends after %llu of %llu rows",
                        (unsigned long long)row, (unsigned long long)rows);
        rc = dv__pq_parse_page_header(chunk + pos, (size_t)(clen - pos), &h, &hlen, &why);
        if (rc != DV_OK) return fail(c, rc, "page header: %s", why);
        if ((uint64_t)h.compressed_size > clen - pos - hlen)
            return fail(c, DV_ECORRUPT, "page of %d bytes runs past the column chunk",
                        (int)h.compressed_size);
        body = chunk + pos + hlen;
        pos += hlen + (uint64_t)h.compressed_size;
        if (h.has_crc && !r->skip_crc && dv__pq_crc32(body, (size_t)h.compressed_size) != h.crc)
            return fail(c, DV_ECORRUPT, "page CRC mismatch");
        if (h.type == DV__PQ_PAGE_DICT) {
            const uint8_t *dp;
            if (!h.has_dict) return fail(c, DV_ECORRUPT, "dictionary page without its header");
            if (c->have_dict)
                return fail(c, DV_ECORRUPT, "second dictionary page in a column chunk");
            DV_FORWARD_IF_ERROR(page_bytes(c, &r->dictpage, body, (size_t)h.compressed_size,
                                           (size_t)h.uncompressed_size, 1, &dp));
            DV_FORWARD_IF_ERROR(decode_dictionary(c, &h, dp, (size_t)h.uncompressed_size));
            continue;
        }
        if (h.type == DV__PQ_PAGE_DATA) {
            const uint8_t *pp;
            size_t plen = (size_t)h.uncompressed_size;
            if (!h.has_v1) return fail(c, DV_ECORRUPT, "data page without its header");
            if (h.num_values < 0 || (uint64_t)h.num_values > rows - row)
                return fail(c, DV_ECORRUPT, "page of %d values overruns the row group's %llu rows",
                            (int)h.num_values, (unsigned long long)rows);
            n = (size_t)h.num_values;
            DV_FORWARD_IF_ERROR(
                page_bytes(c, &r->page, body, (size_t)h.compressed_size, plen, 1, &pp));
            enc = h.encoding;
            k = n;
            if (reps) {
                /* repetition levels first: 4-byte length, then the hybrid encoding */
                uint32_t rl;
                if (h.rep_encoding != DV__PQ_ENC_RLE)
                    return fail(c, DV_EFORMAT, "repetition level encoding %s: not supported",
                                enc_name(h.rep_encoding));
                if (plen < 4 || (rl = le32(pp)) > plen - 4)
                    return fail(c, DV_ECORRUPT, "repetition levels length bad");
                DV_FORWARD_IF_ERROR(decode_rep_levels(c, pp + 4, rl, n, reps));
                pp += 4 + rl;
                plen -= 4 + (size_t)rl;
            }
            vp = pp;
            vlen = plen;
            if (optional) {
                if (h.def_encoding == DV__PQ_ENC_RLE) {
                    uint32_t dl;
                    if (plen < 4 || (dl = le32(pp)) > plen - 4)
                        return fail(c, DV_ECORRUPT, "definition levels length bad");
                    DV_FORWARD_IF_ERROR(
                        decode_def_levels(c, h.def_encoding, pp + 4, dl, n, valid, defs, &k));
                    vp = pp + 4 + dl;
                    vlen = plen - 4 - dl;
                } else {
                    unsigned bw = 0;
                    size_t dl;
                    while ((1u << bw) <= (unsigned)c->col->max_def) bw++;
                    dl = (n * bw + 7) / 8;
                    DV_FORWARD_IF_ERROR(
                        decode_def_levels(c, h.def_encoding, pp, plen, n, valid, defs, &k));
                    vp = pp + dl;
                    vlen = plen - dl;
                }
            }
        } else if (h.type == DV__PQ_PAGE_DATA_V2) {
            size_t lv, blen = (size_t)h.compressed_size;
            if (!h.has_v2) return fail(c, DV_ECORRUPT, "data page v2 without its header");
            if (h.num_values < 0 || (uint64_t)h.num_values > rows - row)
                return fail(c, DV_ECORRUPT, "page of %d values overruns the row group's %llu rows",
                            (int)h.num_values, (unsigned long long)rows);
            /* a flat column's repetition levels (bit width 0) are skipped */
            if (h.rep_len < 0 || h.def_len < 0 || (int64_t)h.def_len + h.rep_len > (int64_t)blen ||
                (int64_t)h.uncompressed_size < (int64_t)h.def_len + h.rep_len)
                return fail(c, DV_ECORRUPT, "level lengths %d + %d bad", (int)h.rep_len,
                            (int)h.def_len);
            n = (size_t)h.num_values;
            lv = (size_t)h.def_len + (size_t)h.rep_len;
            enc = h.encoding;
            k = n;
            if (reps) DV_FORWARD_IF_ERROR(decode_rep_levels(c, body, (size_t)h.rep_len, n, reps));
            if (optional) {
                DV_FORWARD_IF_ERROR(decode_def_levels(c, DV__PQ_ENC_RLE, body + h.rep_len,
                                                      (size_t)h.def_len, n, valid, defs, &k));
                if (h.num_nulls >= 0 && (size_t)h.num_nulls != n - k)
                    return fail(c, DV_ECORRUPT, "page says %d nulls, its levels %zu",
                                (int)h.num_nulls, n - k);
            }
            vlen = (size_t)h.uncompressed_size - lv;
            DV_FORWARD_IF_ERROR(
                page_bytes(c, &r->page, body + lv, blen - lv, vlen, h.is_compressed, &vp));
            if (!h.is_compressed || c->codec == 0) vlen = blen - lv;
        } else {
            continue; /* index pages and unknown page types carry no values */
        }
        if (n == 0) continue;
        if (is_ba && enc == DV__PQ_ENC_PLAIN) {
            /* the hot path of URL and caption columns: lengths and bytes straight into the
             * batch, no spans; the page's value bytes bound what it adds */
            DV_FORWARD_IF_ERROR(plain_ba_into(c, vp, vlen, k, n, valid, slot, row));
            row += n;
            continue;
        }
        DV_FORWARD_IF_ERROR(decode_values(c, enc, vp, vlen, k, dense, &sp));
        if (is_ba) {
            size_t j = 0, total = 0;
            uint8_t *out;
            uint64_t *offs = slot->offsets + row + 1, len;
            for (size_t i = 0; i < k; i++) total += sp[i].len;
            if (total > r->max_bytes || dv__buf_reserve(&slot->data, total) != DV_OK)
                return fail(c, DV_ETOOBIG, "byte array data over the limit");
            out = slot->data.p;
            len = slot->data.len;
            for (size_t i = 0; i < n; i++) {
                if (!valid || valid[i]) {
                    memcpy(out + len, sp[j].p, sp[j].len);
                    len += sp[j].len;
                    j++;
                }
                offs[i] = len;
            }
            slot->data.len = (size_t)len;
        } else if (valid && k < n) {
            /* spread the dense values out to their rows, back to front */
            size_t j = k;
            for (size_t i = n; i-- > 0;) {
                if (valid[i]) {
                    j--;
                    if (j != i) memmove(dense + i * w, dense + j * w, w);
                } else {
                    memset(dense + i * w, 0, w);
                }
            }
        }
        row += n;
    }
    return DV_OK;
}

/* The batch over n decoded rows (or list entries) of column col in slot s. */
static void fill_batch(const pq_col *pc, size_t col, const pq_slot *s, uint64_t n,
                       dv_parquet_batch *b)
{
    b->column = col;
    b->type = (dv_pq_type)pc->elem->type;
    b->rows = n;
    if (b->type == DV_PQ_BYTE_ARRAY) {
        b->offsets = s->offsets;
        b->data = s->data.p ? s->data.p : (const uint8_t *)"";
    } else {
        b->value_size = type_width(pc->elem->type, pc->elem->type_length);
        b->values = s->values;
    }
    if (pc->max_def > 1) b->def_levels = s->defs;
    if (pc->max_def > 0) {
        b->validity = s->valid;
        for (uint64_t k = 0; k < n; k++) b->null_count += !s->valid[k];
    }
}

static int ensure_slots(dv_parquet_reader *r, size_t n)
{
    pq_slot *ns;
    if (n <= r->nslots) return DV_OK;
    ns = dv__realloc(r->alloc, r->slots, n * sizeof(*ns));
    if (ns == NULL) return DV_ENOMEM;
    memset(ns + r->nslots, 0, (n - r->nslots) * sizeof(*ns));
    for (size_t i = r->nslots; i < n; i++) {
        dv__buf_init(&ns[i].data, r->alloc, 0);
        ns[i].data.wipe = r->wipe;
    }
    r->slots = ns;
    r->nslots = n;
    return DV_OK;
}

/* The level entries of a repeated column into slot s (their number counted from the page
 * headers: the chunk's num_values is only a hint), split into the row group's rows at each
 * entry of repetition level 0 (s->rstart, rows + 1). An entry continuing the list of level k
 * must have that list present and non-empty, and so must the entry before it: levels that say
 * otherwise describe no rows, and a copy would carry them on. */
static int read_repeated(pq_ctx *c, const dv__pq_chunk *ch, uint64_t rows, pq_slot *s,
                         uint64_t *entries_out)
{
    dv_parquet_reader *r = c->r;
    const pq_col *pc = c->col;
    uint64_t entries, row = 0;
    if (!ch->has_meta || ch->num_values < 0)
        return fail(c, DV_ECORRUPT, "column chunk of %lld entries", (long long)ch->num_values);
    entries = (uint64_t)ch->num_values < rows ? rows : (uint64_t)ch->num_values;
    c->count_entries = 1;
    DV_FORWARD_IF_ERROR(read_chunk(c, ch, entries, s));
    entries = c->entries;
    if (entries < rows)
        return fail(c, DV_ECORRUPT, "%llu entries for %llu rows", (unsigned long long)entries,
                    (unsigned long long)rows);
    if (grow(r, (void **)&s->rstart, &s->rstart_cap, (size_t)(rows + 1) * 8) != DV_OK)
        return fail(c, DV_ENOMEM, "out of memory for %llu rows", (unsigned long long)rows);
    for (uint64_t e = 0; e < entries; e++) {
        unsigned k = s->reps[e];
        if (k != 0) {
            unsigned need = pc->rep_def[k];
            unsigned d0 = pc->max_def > 1 ? s->defs[e - (e > 0)] : s->valid[e - (e > 0)];
            unsigned d1 = pc->max_def > 1 ? s->defs[e] : s->valid[e];
            if (e == 0) return fail(c, DV_ECORRUPT, "the first entry continues a list");
            if (d0 < need || d1 < need)
                return fail(c, DV_ECORRUPT,
                            "entry %llu continues a list of level %u that is null or empty "
                            "(definition levels %u and %u, at least %u)",
                            (unsigned long long)e, k, d0, d1, need);
            continue;
        }
        if (row == rows)
            return fail(c, DV_ECORRUPT, "more lists than the row group's %llu rows",
                        (unsigned long long)rows);
        s->rstart[row++] = e;
    }
    if (row != rows)
        return fail(c, DV_ECORRUPT, "%llu lists for %llu rows", (unsigned long long)row,
                    (unsigned long long)rows);
    s->rstart[rows] = entries;
    *entries_out = entries;
    return DV_OK;
}

int dv_parquet_reader_read_row_group(dv_parquet_reader *r, size_t rg, const size_t *columns,
                                     size_t ncolumns, dv_parquet_batch *out)
{
    const dv__pq_row_group *g;
    uint64_t rows;
    if (r == NULL || (ncolumns && (columns == NULL || out == NULL))) return DV_EINVAL;
    r->err[0] = '\0';
    if (rg >= r->meta.nrow_groups) {
        dv__set_err(r->err, sizeof(r->err), "%s: no row group %zu (the file has %u)", r->name, rg,
                    r->meta.nrow_groups);
        return DV_EINVAL;
    }
    g = &r->meta.row_groups[rg];
    rows = (uint64_t)g->num_rows;
    DV_FORWARD_IF_ERROR(ensure_slots(r, ncolumns));
    for (size_t i = 0; i < ncolumns; i++) {
        size_t col = columns[i];
        pq_ctx c;
        pq_slot *s = &r->slots[i];
        dv_parquet_batch *b = &out[i];
        const pq_col *pc;
        int rc;
        memset(b, 0, sizeof(*b));
        if (col >= r->ncols) {
            dv__set_err(r->err, sizeof(r->err), "%s: no column %zu (the file has %zu)", r->name,
                        col, r->ncols);
            return DV_EINVAL;
        }
        pc = &r->cols[col];
        memset(&c, 0, sizeof(c));
        c.r = r;
        c.rg = rg;
        c.col = pc;
        if (pc->nested) {
            c.offset = 0;
            return fail(&c, DV_EFORMAT,
                        "column %s is repeated (a list or map): not supported", pc->name);
        }
        rc = read_chunk(&c, &g->columns[col], rows, s);
        if (rc != DV_OK) return rc;
        fill_batch(pc, col, s, rows, b);
    }
    return DV_OK;
}

/* rg and col exist in r, else DV_EINVAL naming them */
static int check_rg_col(dv_parquet_reader *r, size_t rg, size_t col)
{
    if (rg < r->meta.nrow_groups && col < r->ncols) return DV_OK;
    dv__set_err(r->err, sizeof(r->err), "%s: no row group %zu or column %zu", r->name, rg, col);
    return DV_EINVAL;
}

int dv_parquet_reader_read_list(dv_parquet_reader *r, size_t rg, size_t col,
                                dv_parquet_batch *out, const uint64_t **row_start)
{
    const dv__pq_row_group *g;
    const pq_col *pc;
    pq_slot *s = &r->lslot;
    pq_ctx c;
    uint64_t entries = 0;
    if (r == NULL || out == NULL || row_start == NULL) return DV_EINVAL;
    memset(out, 0, sizeof *out);
    *row_start = NULL;
    r->err[0] = '\0';
    DV_FORWARD_IF_ERROR(check_rg_col(r, rg, col));
    g = &r->meta.row_groups[rg];
    pc = &r->cols[col];
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.rg = rg;
    c.col = pc;
    if (pc->max_rep != 1)
        return fail(&c, DV_EFORMAT, "column %s is %s: read as a list only with one repeated level",
                    pc->name, pc->max_rep ? "nested deeper" : "not repeated");
    if (!r->lslot_init) {
        dv__buf_init(&s->data, r->alloc, 0);
        s->data.wipe = r->wipe;
        r->lslot_init = 1;
    }
    /* the chunk's values are its level entries: one a list element, or an empty or null list */
    DV_FORWARD_IF_ERROR(read_repeated(&c, &g->columns[col], (uint64_t)g->num_rows, s, &entries));
    fill_batch(pc, col, s, entries, out);
    *row_start = s->rstart;
    return DV_OK;
}

int dv__pq_read_column(dv_parquet_reader *r, size_t rg, size_t col, size_t slot,
                       dv__pq_column_data *out)
{
    const dv__pq_row_group *g;
    const pq_col *pc;
    pq_slot *s;
    pq_ctx c;
    uint64_t rows, entries;
    memset(out, 0, sizeof *out);
    r->err[0] = '\0';
    DV_FORWARD_IF_ERROR(check_rg_col(r, rg, col));
    DV_FORWARD_IF_ERROR(ensure_slots(r, slot + 1));
    g = &r->meta.row_groups[rg];
    pc = &r->cols[col];
    s = &r->slots[slot];
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.rg = rg;
    c.col = pc;
    rows = entries = (uint64_t)g->num_rows;
    if (pc->max_rep == 0) {
        DV_FORWARD_IF_ERROR(read_chunk(&c, &g->columns[col], rows, s));
    } else {
        DV_FORWARD_IF_ERROR(read_repeated(&c, &g->columns[col], rows, s, &entries));
        out->rep_levels = s->reps;
        out->row_start = s->rstart;
    }
    fill_batch(pc, col, s, entries, &out->batch);
    out->def_levels = pc->max_def > 1 ? s->defs : pc->max_def == 1 ? s->valid : NULL;
    out->max_def = pc->max_def;
    out->max_rep = pc->max_rep;
    return DV_OK;
}

int dv_parquet_reader_read_levels(dv_parquet_reader *r, size_t rg, const size_t *columns,
                                  size_t ncolumns, dv_parquet_levels *out)
{
    if (r == NULL || (ncolumns && (columns == NULL || out == NULL))) return DV_EINVAL;
    for (size_t i = 0; i < ncolumns; i++)
        DV_FORWARD_IF_ERROR(dv__pq_read_column(r, rg, columns[i], i, &out[i]));
    return DV_OK;
}

const dv__pq_file_meta *dv__pq_reader_meta(const dv_parquet_reader *r) { return &r->meta; }

int dv__pq_raw_chunk(dv_parquet_reader *r, size_t rg, size_t col, dv__pq_raw *out)
{
    const dv__pq_chunk *ch;
    const dv__pq_schema_elem *e;
    uint64_t start, clen, p = 0, values = 0;
    const uint8_t *b;
    memset(out, 0, sizeof *out);
    r->err[0] = '\0';
    DV_FORWARD_IF_ERROR(check_rg_col(r, rg, col));
    ch = &r->meta.row_groups[rg].columns[col];
    e = r->cols[col].elem;
    /* what read_chunk would read, and nothing it would refuse */
    if (!ch->has_meta || ch->has_file_path || ch->crypto || !ch->meta_raw || ch->type != e->type ||
        ch->codec < 0 || ch->codec > 7 || ch->codec == DV_PQ_LZO || ch->num_values < 0 ||
        r->meta.row_groups[rg].num_rows <= 0)
        return DV_EFORMAT;
    start = (uint64_t)ch->data_page_offset;
    if (ch->dictionary_page_offset >= 4 &&
        (ch->dictionary_page_offset < ch->data_page_offset || ch->data_page_offset < 4))
        start = (uint64_t)ch->dictionary_page_offset;
    clen = (uint64_t)ch->total_compressed_size;
    if (start < 4 || ch->total_compressed_size <= 0 || start >= r->footer_start ||
        clen > r->footer_start - start || clen > r->max_bytes)
        return DV_EFORMAT;
    if (file_bytes(r, &r->chunk, start, clen, &b) != DV_OK) return DV_EFORMAT;
    /* whole pages, back to back, filling the chunk exactly, their values the chunk's: a
     * writer whose sizes say otherwise (readers that walk the pages past the chunk's end
     * would read the copy's next bytes) is copied by decoding instead */
    while (p < clen) {
        dv__pq_page_header h;
        size_t hlen;
        const char *why = "";
        if (dv__pq_parse_page_header(b + p, (size_t)(clen - p), &h, &hlen, &why) != DV_OK ||
            h.compressed_size < 0 || (uint64_t)h.compressed_size > clen - p - hlen)
            return DV_EFORMAT;
        if (h.type == DV__PQ_PAGE_DATA || h.type == DV__PQ_PAGE_DATA_V2) {
            if (h.num_values < 0) return DV_EFORMAT;
            values += (uint64_t)h.num_values;
        } else if (h.type == DV__PQ_PAGE_DICT) {
            /* first, whether dictionary_page_offset names it or (as some writers leave it)
             * data_page_offset points at it: the offsets move with it either way */
            if (p != 0) return DV_EFORMAT;
        } else if (h.type != DV__PQ_PAGE_INDEX) {
            return DV_EFORMAT;
        }
        p += hlen + (uint64_t)h.compressed_size;
    }
    if (values != (uint64_t)ch->num_values) return DV_EFORMAT;
    out->bytes = b;
    out->len = clen;
    out->start = start;
    out->uncompressed = ch->total_uncompressed_size;
    out->meta = ch->meta_raw;
    out->meta_len = ch->meta_raw_len;
    out->orders_typedef = r->meta.orders_typedef && r->meta.norders == r->ncols;
    return DV_OK;
}

int dv_parquet_batch_value(const dv_parquet_batch *b, uint64_t row, dv_parquet_value *out)
{
    const uint8_t *v;
    memset(out, 0, sizeof(*out));
    if (row >= b->rows) return DV_EINVAL;
    if (b->validity && !b->validity[row]) {
        out->is_null = 1;
        if (b->def_levels) out->def_level = b->def_levels[row];
        return DV_OK;
    }
    if (b->type == DV_PQ_BYTE_ARRAY) {
        out->bytes = b->data + b->offsets[row];
        out->len = (size_t)(b->offsets[row + 1] - b->offsets[row]);
        return DV_OK;
    }
    v = (const uint8_t *)b->values + row * b->value_size;
    switch (b->type) {
    case DV_PQ_BOOLEAN: out->i32 = v[0]; break;
    case DV_PQ_INT32: memcpy(&out->i32, v, 4); break;
    case DV_PQ_INT64: memcpy(&out->i64, v, 8); break;
    case DV_PQ_FLOAT: memcpy(&out->f32, v, 4); break;
    case DV_PQ_DOUBLE: memcpy(&out->f64, v, 8); break;
    default:
        out->bytes = v;
        out->len = b->value_size;
        break;
    }
    return DV_OK;
}
