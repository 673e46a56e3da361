/* parquet_writer.c - the Parquet writer: flat and struct schemas (and copies of any schema, lists
 * and maps included), data pages v1, PLAIN or dictionary (byte arrays; any type but
 * BOOLEAN in a like_source copy) encoding, RLE levels,
 * statistics, row groups of a set row count. */
#include "parquet_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_RG_ROWS 1000000u
#define DEFAULT_RG_BYTES ((uint64_t)256 << 20)
#define DEFAULT_PAGE_BYTES (1u << 20)
#define DEFAULT_DICT_BYTES (1u << 20)
#define MAX_VALUE_BYTES (1u << 30)
#define BUF_MAX ((size_t)1 << 40)
#define IOBUF_BYTES ((size_t)1 << 16)
/* column chunks' key_value_metadata a copy keeps (encoded): the reader's 32 MiB of keys and
 * values together, and room for the encoding */
#define KVPOOL_MAX ((size_t)64 << 20)

enum { ORDER_NONE = 0, ORDER_SIGNED, ORDER_UNSIGNED, ORDER_FLOAT, ORDER_BYTES };

typedef struct wcol {
    dv_parquet_field f;
    char *name;
    uint8_t *logical_raw;
    size_t width; /* fixed-size types; 0 for BYTE_ARRAY */
    int order;
    dv__buf vals;  /* non-null values: fixed-size, or byte array bytes back to back */
    dv__buf lens;  /* BYTE_ARRAY: uint32 length per non-null value */
    dv__buf valid; /* max_def > 0: each entry's definition level (a value: max_def) */
    dv__buf reps;  /* max_rep > 0 (copies): each entry's repetition level */
    uint64_t nvals;
    uint64_t nent; /* level entries in the row group: its rows unless the column is repeated */
    int max_def;   /* optional levels: the field's and its structs' */
    int max_rep;   /* copies: repeated levels on the column's path */
    uint32_t leaf; /* copies: the column's schema element */
    int shared_opt; /* optional structs shared with the column before (their levels agree) */
    dv_parquet_group *groups; /* copies, names behind the array */
    size_t ngroups;
    /* copies: the open row group's own key_value_metadata, encoded in the writer's kvpool */
    size_t kv_off, kv_len;
    uint64_t kv_bytes; /* its keys' and values' bytes */
    int codec;     /* its chunks' codec: the writer's, or (like_source) its source's */
    int dict_mode; /* DICT_BYTES: byte arrays tried, DICT_TRY: any type but BOOLEAN, DICT_NONE */
} wcol;

enum { DICT_BYTES = 0, DICT_TRY, DICT_NONE };

/* A written column chunk, kept for the footer. Statistics bytes live in the writer's pool. */
typedef struct wchunk {
    int64_t start;
    int64_t data_page_offset;
    int64_t dict_page_offset; /* -1 none */
    int64_t compressed;
    int64_t uncompressed;
    int64_t num_values;
    int64_t null_count; /* -1: not written (a repeated column) */
    int codec;
    int dict;
    int has_minmax;
    size_t min_off, min_len, max_off, max_len;
    /* a chunk copied as the source file held it (copy_group_raw): its ColumnMetaData's
     * bytes in statpool, where the chunk started in the source, whether the source's column
     * orders let its min/max stay */
    int raw;
    size_t meta_off, meta_len;
    int64_t src_start;
    int raw_minmax;
    size_t kv_off, kv_len; /* its key_value_metadata (a thrift list) in kvpool; 0: none */
} wchunk;

typedef struct wgroup {
    int64_t num_rows;
    wchunk *chunks;
} wgroup;

struct dv_parquet_writer {
    const dv_alloc *alloc;
    FILE *f;
    char *path;
    char err[512];
    int codec;
    int level;
    uint64_t rg_rows;
    uint64_t rg_bytes; /* cut a row group once its buffers hold this much */
    size_t page_bytes;
    int no_dict;
    size_t dict_max;
    char *created_by;
    size_t ncols;
    wcol *cols;
    uint64_t rows; /* in the current row group */
    uint64_t total_rows;
    int64_t offset;
    wgroup *groups;
    size_t ngroups, groups_cap;
    dv__buf statpool;
    dv__buf page, comp, hdr, tmp;
    uint32_t *ix;
    size_t ix_cap;
    uint32_t *slots;
    size_t slots_cap;
    dv_parquet_value *rowvals;
    /* copies (dv_parquet_writer_create_copy): the source's schema elements, names and
     * annotations in schema_bytes, each element's parent, a column buffer per leaf */
    int copy;
    dv__pq_schema_elem *schema;
    uint32_t nschema;
    uint8_t *schema_bytes;
    uint32_t *parent;
    dv__pq_column_data *cdata;
    /* the source's key_value_metadata, written back verbatim (bytes in kv_bytes) */
    dv__pq_kv *kv;
    uint32_t nkv;
    uint8_t *kv_bytes;
    /* and its column chunks' own: each source row group's, thrift-encoded, in kvpool as its
     * rows come in (kvtmp, kvtmp_off: ncols + 1 offsets, to compare with the open row
     * group's); chunk_kv, the keys' and values' bytes the written chunks carry */
    dv__buf kvpool, kvtmp;
    size_t *kvtmp_off;
    uint64_t chunk_kv;
    int wipe;        /* dv_parquet_writer_opts.wipe */
    int raw_groups;  /* dv_parquet_writer_opts.raw_groups */
    uint8_t *iobuf;  /* with wipe: stdio's buffer, ours so it is zeroed after fclose */
    int failed; /* sticky */
    int closed;
    int created; /* the file is ours: removed if never closed */
    int sync;    /* dv_parquet_writer_opts.sync */
};

static int werr(dv_parquet_writer *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int werr(dv_parquet_writer *w, int code, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    dv__set_err(w->err, sizeof(w->err), "%s: %s", w->path ? w->path : "parquet writer", detail);
    if (code != DV_EINVAL) w->failed = code;
    return code;
}

static char *dupstr(const dv_alloc *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = dv__malloc(a, n);
    if (d) memcpy(d, s, n);
    return d;
}

static size_t fixed_width(const dv_parquet_field *f)
{
    switch (f->type) {
    case DV_PQ_BOOLEAN: return 1;
    case DV_PQ_INT32:
    case DV_PQ_FLOAT: return 4;
    case DV_PQ_INT64:
    case DV_PQ_DOUBLE: return 8;
    case DV_PQ_INT96: return 12;
    case DV_PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)f->type_length;
    default: return 0;
    }
}

/* First member id of an encoded LogicalType union, 0 if unreadable. */
static int logical_kind(const uint8_t *p, size_t n)
{
    dv__tc_reader r;
    int16_t last = 0, id;
    uint8_t t;
    if (p == NULL || n == 0) return 0;
    dv__tc_init(&r, p, n);
    if (dv__tc_field(&r, &last, &id, &t) != DV_OK || t != DV__TC_STRUCT) return 0;
    return id;
}

/* The order min/max statistics follow (parquet.thrift ColumnOrder / TypeDefinedOrder). */
static int column_order_raw(const wcol *c, const uint8_t *logical_raw)
{
    int ct = c->f.has_converted_type ? c->f.converted_type : -1;
    int lk = logical_kind(logical_raw, c->f.logical_type_raw_len);
    switch (c->f.type) {
    case DV_PQ_BOOLEAN: return ORDER_UNSIGNED;
    case DV_PQ_INT32:
    case DV_PQ_INT64:
        if (ct >= DV__PQ_CT_UINT_8 && ct <= DV__PQ_CT_UINT_64) return ORDER_UNSIGNED;
        if (lk == 10) return ORDER_NONE; /* INTEGER may be unsigned: not worth decoding */
        return ORDER_SIGNED;
    case DV_PQ_FLOAT:
    case DV_PQ_DOUBLE: return ORDER_FLOAT;
    case DV_PQ_BYTE_ARRAY:
    case DV_PQ_FIXED_LEN_BYTE_ARRAY:
        if (ct == DV__PQ_CT_DECIMAL || ct == DV__PQ_CT_INTERVAL || lk == 5 || lk == 15)
            return ORDER_NONE;
        return ORDER_BYTES;
    default: return ORDER_NONE; /* INT96 */
    }
}

static int flush_group(dv_parquet_writer *w);

/* Bytes the current row group holds in the column buffers. */
static uint64_t buffered(const dv_parquet_writer *w)
{
    uint64_t n = 0;
    for (size_t i = 0; i < w->ncols; i++)
        n += w->cols[i].vals.len + w->cols[i].lens.len + w->cols[i].valid.len +
             w->cols[i].reps.len;
    return n;
}

static void wbuf_init(const dv_parquet_writer *w, dv__buf *b)
{
    dv__buf_init(b, w->alloc, BUF_MAX);
    b->wipe = w->wipe;
}

/* With wipe: the bytes of b in use zeroed (its capacity kept). */
static void wbuf_zero(const dv_parquet_writer *w, dv__buf *b)
{
    if (w->wipe && b->p) memset(b->p, 0, b->cap);
}

static int write_bytes(dv_parquet_writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return werr(w, DV_EIO, "write failed at offset %lld: %s", (long long)w->offset,
                    strerror(errno));
    w->offset += (int64_t)n;
    return DV_OK;
}

/* Whether fields a and b share their first n path names (groups, then the leaf's name). */
static int same_path(const dv_parquet_field *a, const dv_parquet_field *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *x = k < a->ngroups ? a->groups[k].name : k == a->ngroups ? a->name : NULL;
        const char *y = k < b->ngroups ? b->groups[k].name : k == b->ngroups ? b->name : NULL;
        if (x == NULL || y == NULL || strcmp(x, y) != 0) return 0;
    }
    return 1;
}

/* Field i's structs: named, at most 32 deep, each the same (optional flag) as in an earlier
 * field that shares it, and not reopened: a struct's fields are consecutive. */
static int check_groups(dv_parquet_writer *w, const dv_parquet_field *fields, size_t i)
{
    const dv_parquet_field *fd = &fields[i];
    if (fd->ngroups > DV_PARQUET_MAX_GROUPS || (fd->ngroups && fd->groups == NULL))
        return werr(w, DV_EINVAL, "field %s: %zu groups", fd->name, fd->ngroups);
    for (size_t k = 0; k < fd->ngroups; k++) {
        if (fd->groups[k].name == NULL || fd->groups[k].name[0] == '\0')
            return werr(w, DV_EINVAL, "field %s: a group without a name", fd->name);
        if (i > 0) {
            const dv_parquet_field *p = &fields[i - 1];
            /* shared with the field before (same path so far): the same struct */
            if (k < p->ngroups && same_path(p, fd, k + 1)) {
                if ((p->groups[k].optional != 0) != (fd->groups[k].optional != 0))
                    return werr(w, DV_EINVAL, "field %s: group %s both optional and required",
                                fd->name, fd->groups[k].name);
                continue;
            }
            /* a new struct here: none of the earlier fields may have had this path */
            for (size_t j = 0; j + 1 < i; j++)
                if (k < fields[j].ngroups && same_path(&fields[j], fd, k + 1))
                    return werr(w, DV_EINVAL, "field %s: the fields of group %s are not consecutive",
                                fd->name, fd->groups[k].name);
        }
    }
    return DV_OK;
}

int dv_parquet_writer_create(const char *path, const dv_parquet_field *fields, size_t nfields,
                             const dv_parquet_writer_opts *opts, dv_parquet_writer **out,
                             char *errbuf, size_t errcap)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_parquet_writer *w;
    int rc = DV_OK;

    if (out == NULL || path == NULL || (nfields && fields == NULL)) return DV_EINVAL;
    *out = NULL;
    w = dv__calloc(a, 1, sizeof(*w));
    if (w == NULL) {
        dv__set_err(errbuf, errcap, "%s: out of memory", path);
        return DV_ENOMEM;
    }
    w->alloc = a;
    w->path = dupstr(a, path);
    w->codec = opts ? (int)opts->codec : 0;
    w->level = opts ? opts->level : 0;
    w->rg_rows = opts && opts->row_group_rows ? opts->row_group_rows : DEFAULT_RG_ROWS;
    w->rg_bytes = opts && opts->row_group_bytes ? opts->row_group_bytes : DEFAULT_RG_BYTES;
    w->page_bytes = opts && opts->page_bytes ? opts->page_bytes : DEFAULT_PAGE_BYTES;
    if (w->page_bytes > (64u << 20)) w->page_bytes = 64u << 20;
    w->no_dict = opts ? opts->no_dictionary : 0;
    w->dict_max =
        opts && opts->dictionary_max_bytes ? opts->dictionary_max_bytes : DEFAULT_DICT_BYTES;
    if (w->dict_max > (256u << 20)) w->dict_max = 256u << 20;
    w->wipe = opts ? opts->wipe : 0;
    w->sync = opts ? opts->sync : 0;
    w->raw_groups = opts ? opts->raw_groups : 0;
    wbuf_init(w, &w->statpool);
    dv__buf_init(&w->kvpool, a, KVPOOL_MAX);
    dv__buf_init(&w->kvtmp, a, KVPOOL_MAX);
    wbuf_init(w, &w->page);
    wbuf_init(w, &w->comp);
    wbuf_init(w, &w->hdr);
    wbuf_init(w, &w->tmp);
    if (opts && opts->created_by) {
        w->created_by = dupstr(a, opts->created_by);
    } else {
        char cb[64];
        snprintf(cb, sizeof(cb), "datavet version %s", dv_version());
        w->created_by = dupstr(a, cb);
    }
    w->cols = dv__calloc(a, nfields ? nfields : 1, sizeof(*w->cols));
    w->rowvals = dv__calloc(a, nfields ? nfields : 1, sizeof(*w->rowvals));
    if (w->path == NULL || w->created_by == NULL || w->cols == NULL || w->rowvals == NULL) {
        rc = werr(w, DV_ENOMEM, "out of memory");
        goto done;
    }
    w->ncols = nfields;
    if (!dv__pq_codec_writable(w->codec)) {
        rc = werr(w, DV_EINVAL, "codec %d cannot be written (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW, BROTLI can)",
                  w->codec);
        goto done;
    }
    for (size_t i = 0; i < nfields && rc == DV_OK; i++) {
        const dv_parquet_field *fd = &fields[i];
        wcol *c = &w->cols[i];
        if (fd->name == NULL || fd->name[0] == '\0') {
            rc = werr(w, DV_EINVAL, "field %zu has no name", i);
            break;
        }
        rc = check_groups(w, fields, i);
        /* a path equal to another's, or a prefix of it (a leaf and a struct of one name) */
        for (size_t j = 0; j < i && rc == DV_OK; j++) {
            size_t nj = fields[j].ngroups + 1, ni = fd->ngroups + 1;
            if (same_path(&fields[j], fd, nj < ni ? nj : ni))
                rc = werr(w, DV_EINVAL, "field name %s used twice (or for a field and a struct)",
                          fd->name);
        }
        if (rc != DV_OK) break;
        if ((unsigned)fd->type > DV_PQ_FIXED_LEN_BYTE_ARRAY ||
            (fd->type == DV_PQ_FIXED_LEN_BYTE_ARRAY &&
             (fd->type_length <= 0 || fd->type_length > (1 << 20)))) {
            rc = werr(w, DV_EINVAL, "field %s: bad type %d or width %d", fd->name, (int)fd->type,
                      (int)fd->type_length);
            break;
        }
        c->f = *fd;
        c->name = dupstr(a, fd->name);
        c->f.name = c->name;
        if (c->name == NULL) rc = werr(w, DV_ENOMEM, "out of memory");
        c->max_def = fd->optional != 0;
        if (rc == DV_OK && fd->ngroups) {
            size_t bytes = fd->ngroups * sizeof(dv_parquet_group);
            char *s;
            for (size_t k = 0; k < fd->ngroups; k++) bytes += strlen(fd->groups[k].name) + 1;
            c->groups = dv__malloc(a, bytes);
            if (c->groups == NULL) {
                rc = werr(w, DV_ENOMEM, "out of memory");
                break;
            }
            c->ngroups = fd->ngroups;
            s = (char *)(c->groups + fd->ngroups);
            for (size_t k = 0; k < fd->ngroups; k++) {
                size_t n = strlen(fd->groups[k].name) + 1;
                memcpy(s, fd->groups[k].name, n);
                c->groups[k].name = s;
                c->groups[k].optional = fd->groups[k].optional != 0;
                c->max_def += c->groups[k].optional;
                s += n;
            }
        }
        c->f.groups = c->groups;
        if (i > 0)
            for (size_t k = 0; k < fd->ngroups && k < fields[i - 1].ngroups &&
                               same_path(&fields[i - 1], fd, k + 1);
                 k++)
                c->shared_opt += fd->groups[k].optional != 0;
        if (rc == DV_OK && fd->logical_type_raw && fd->logical_type_raw_len) {
            c->logical_raw = dv__malloc(a, fd->logical_type_raw_len);
            if (c->logical_raw == NULL) {
                rc = werr(w, DV_ENOMEM, "out of memory");
                break;
            }
            memcpy(c->logical_raw, fd->logical_type_raw, fd->logical_type_raw_len);
            c->f.logical_type_raw = c->logical_raw;
        } else {
            c->f.logical_type_raw = NULL;
            c->f.logical_type_raw_len = 0;
        }
        c->width = fixed_width(&c->f);
        c->order = column_order_raw(c, c->logical_raw);
        wbuf_init(w, &c->vals);
        wbuf_init(w, &c->lens);
        wbuf_init(w, &c->valid);
        c->codec = w->codec;
    }
    if (rc != DV_OK) goto done;
    {
        /* 0600 from the start, and for a file of an earlier run too: a copy holds the kept
         * images, and anyone who opened it while it was 0644 could read what follows */
        int fd = opts && opts->create_new
                     ? dv_file_open_new(path, 0600)
                     : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        w->created = fd >= 0;
        if (fd >= 0 && fchmod(fd, 0600) != 0) {
            rc = werr(w, DV_EIO, "cannot make it 0600: %s", strerror(errno));
            close(fd);
            goto done;
        }
        w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (w->f == NULL) {
            rc = werr(w, DV_EIO, "cannot create: %s", strerror(errno));
            if (fd >= 0) close(fd);
            goto done;
        }
        if (w->wipe) {
            w->iobuf = dv__malloc(a, IOBUF_BYTES);
            if (w->iobuf == NULL) {
                rc = werr(w, DV_ENOMEM, "out of memory");
                goto done;
            }
            setvbuf(w->f, (char *)w->iobuf, _IOFBF, IOBUF_BYTES);
        }
    }
    w->created = 1;
    rc = write_bytes(w, "PAR1", 4);
done:
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "%s", w->err);
        dv_parquet_writer_free(w);
        return rc;
    }
    *out = w;
    return DV_OK;
}

/* ---------------------------------------------------------------- copies */

/* The parent of each copied element and each leaf's element, in the order of the reader's
 * columns (the reader walked and checked this tree at open: counts, depth, leaf types). */
static int copy_tree(dv_parquet_writer *w, uint32_t *i, uint32_t parent, size_t *leaf, int depth)
{
    uint32_t me;
    if (*i >= w->nschema || depth > 70) return werr(w, DV_EINVAL, "source schema tree is bad");
    me = (*i)++;
    w->parent[me] = parent;
    if (w->schema[me].num_children > 0) {
        for (int32_t k = 0; k < w->schema[me].num_children; k++)
            DV_FORWARD_IF_ERROR(copy_tree(w, i, me, leaf, depth + 1));
        return DV_OK;
    }
    if (*leaf >= w->ncols) return werr(w, DV_EINVAL, "source schema has more leaves than columns");
    w->cols[(*leaf)++].leaf = me;
    return DV_OK;
}

/* The source's key_value_metadata (Arrow's schema, pandas', Hugging Face's features): nothing
 * in the common writers' entries counts rows or points into the file, so each goes back as it
 * was, in order (the reader bounded them: DV__PQ_MAX_KV entries, DV__PQ_MAX_KV_BYTES). */
static int copy_kv(dv_parquet_writer *w, const dv__pq_file_meta *m)
{
    size_t bytes = 0;
    uint8_t *p;
    if (m->nkv == 0) return DV_OK;
    for (uint32_t i = 0; i < m->nkv; i++) bytes += (size_t)m->kv[i].key.len + m->kv[i].value.len;
    w->kv = dv__calloc(w->alloc, m->nkv, sizeof(*w->kv));
    w->kv_bytes = dv__malloc(w->alloc, bytes + 1);
    if (w->kv == NULL || w->kv_bytes == NULL) return werr(w, DV_ENOMEM, "out of memory");
    p = w->kv_bytes;
    for (uint32_t i = 0; i < m->nkv; i++) {
        dv__pq_kv *kv = &w->kv[i];
        *kv = m->kv[i];
        if (kv->key.len) memcpy(p, kv->key.p, kv->key.len);
        kv->key.p = p;
        p += kv->key.len;
        if (kv->value.set) {
            if (kv->value.len) memcpy(p, kv->value.p, kv->value.len);
            kv->value.p = p;
            p += kv->value.len;
        }
    }
    w->nkv = m->nkv;
    return DV_OK;
}

int dv_parquet_writer_create_copy(const char *path, const dv_parquet_reader *src,
                                  const dv_parquet_writer_opts *opts, dv_parquet_writer **out,
                                  char *errbuf, size_t errcap)
{
    const dv__pq_file_meta *m;
    dv_parquet_writer *w = NULL;
    size_t nc, bytes = 0, leaf = 0;
    uint32_t at = 1;
    uint8_t *p;
    int rc;
    if (out == NULL || path == NULL || src == NULL) return DV_EINVAL;
    *out = NULL;
    m = dv__pq_reader_meta(src);
    nc = dv_parquet_reader_num_columns(src);
    rc = dv_parquet_writer_create(path, NULL, 0, opts, &w, errbuf, errcap);
    if (rc != DV_OK) return rc;
    w->copy = 1;
    dv__free(w->alloc, w->cols);
    w->cols = dv__calloc(w->alloc, nc ? nc : 1, sizeof(*w->cols));
    w->cdata = dv__calloc(w->alloc, nc ? nc : 1, sizeof(*w->cdata));
    w->kvtmp_off = dv__calloc(w->alloc, nc + 1, sizeof(*w->kvtmp_off));
    w->schema = dv__calloc(w->alloc, m->nschema ? m->nschema : 1, sizeof(*w->schema));
    w->parent = dv__calloc(w->alloc, m->nschema ? m->nschema : 1, sizeof(*w->parent));
    for (uint32_t i = 0; i < m->nschema; i++)
        bytes += m->schema[i].name.len + (m->schema[i].logical.set ? m->schema[i].logical.len : 0);
    w->schema_bytes = dv__malloc(w->alloc, bytes + 1);
    if (!w->cols || !w->cdata || !w->kvtmp_off || !w->schema || !w->parent || !w->schema_bytes) {
        rc = werr(w, DV_ENOMEM, "out of memory");
        goto done;
    }
    /* the elements, their names and LogicalType bytes in the writer's own block */
    p = w->schema_bytes;
    w->nschema = m->nschema;
    for (uint32_t i = 0; i < m->nschema; i++) {
        dv__pq_schema_elem *e = &w->schema[i];
        *e = m->schema[i];
        memcpy(p, m->schema[i].name.p, e->name.len);
        e->name.p = p;
        p += e->name.len;
        if (e->logical.set) {
            memcpy(p, m->schema[i].logical.p, e->logical.len);
            e->logical.p = p;
            p += e->logical.len;
        }
    }
    rc = copy_kv(w, m);
    if (rc != DV_OK) goto done;
    w->ncols = nc;
    for (size_t i = 0; i < nc; i++) {
        wcol *c = &w->cols[i];
        wbuf_init(w, &c->vals);
        wbuf_init(w, &c->lens);
        wbuf_init(w, &c->valid);
        wbuf_init(w, &c->reps);
    }
    if (m->nschema == 0 || w->schema[0].num_children < 0) {
        rc = werr(w, DV_EINVAL, "source schema has no root group");
        goto done;
    }
    w->parent[0] = 0;
    for (int32_t k = 0; k < w->schema[0].num_children && rc == DV_OK; k++)
        rc = copy_tree(w, &at, 0, &leaf, 1);
    if (rc == DV_OK && (leaf != nc || at != w->nschema))
        rc = werr(w, DV_EINVAL, "source schema tree does not match its columns");
    for (size_t i = 0; i < nc && rc == DV_OK; i++) {
        wcol *c = &w->cols[i];
        const dv__pq_schema_elem *e = &w->schema[c->leaf];
        dv_parquet_column_info ci;
        dv_parquet_reader_column(src, i, &ci);
        c->name = dupstr(w->alloc, ci.name);
        if (c->name == NULL) {
            rc = werr(w, DV_ENOMEM, "out of memory");
            break;
        }
        c->f.name = c->name;
        c->f.type = (dv_pq_type)e->type;
        c->f.type_length = e->type == DV_PQ_FIXED_LEN_BYTE_ARRAY ? e->type_length : 0;
        c->f.optional = e->repetition == DV_PQ_OPTIONAL;
        c->f.is_string = ci.is_string;
        c->f.has_converted_type = e->converted_type >= 0;
        c->f.converted_type = e->converted_type;
        /* the LogicalType stays in the schema block; column_order only looks at it */
        c->f.logical_type_raw = e->logical.set ? e->logical.p : NULL;
        c->f.logical_type_raw_len = e->logical.set ? e->logical.len : 0;
        c->max_def = ci.max_def;
        c->max_rep = ci.max_rep;
        c->width = fixed_width(&c->f);
        c->order = column_order_raw(c, c->f.logical_type_raw);
        c->codec = w->codec;
        if (opts && opts->like_source && m->nrow_groups > 0 &&
            i < m->row_groups[0].ncolumns) {
            /* the source's first row group tells how each column was written */
            const dv__pq_chunk *sc = &m->row_groups[0].columns[i];
            int sk = sc->codec == DV_PQ_LZ4 ? DV_PQ_LZ4_RAW : sc->codec;
            if (dv__pq_codec_writable(sk)) c->codec = sk;
            c->dict_mode = sc->dictionary_page_offset >= 0 ? DICT_TRY : DICT_NONE;
        }
    }
    if (rc == DV_OK && opts && opts->like_source && !opts->row_group_rows) {
        /* row groups of the source's largest row count (a copy's are cut by bytes too) */
        uint64_t most = 0;
        for (uint32_t g = 0; g < m->nrow_groups; g++)
            if (m->row_groups[g].num_rows > 0 && (uint64_t)m->row_groups[g].num_rows > most)
                most = (uint64_t)m->row_groups[g].num_rows;
        if (most > 0) w->rg_rows = most;
    }
done:
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "%s", w->err);
        dv_parquet_writer_free(w);
        return rc;
    }
    *out = w;
    return DV_OK;
}

/* One entry's value of a source batch onto column c (present entries only). */
static void push_value(wcol *c, const dv_parquet_batch *b, uint64_t e)
{
    if (b->type == DV_PQ_BYTE_ARRAY) {
        uint32_t n = (uint32_t)(b->offsets[e + 1] - b->offsets[e]);
        dv__buf_put(&c->lens, &n, 4);
        dv__buf_put(&c->vals, b->data + b->offsets[e], n);
    } else {
        dv__buf_put(&c->vals, (const uint8_t *)b->values + e * b->value_size, b->value_size);
    }
    c->nvals++;
}

/* Rows [i0, i1) of source column cd whose keep byte is set, each as its run of entries. */
static int copy_rows(dv_parquet_writer *w, wcol *c, const dv__pq_column_data *cd, uint64_t i0,
                     uint64_t i1, const uint8_t *keep)
{
    for (uint64_t i = i0; i < i1; i++) {
        uint64_t e0 = cd->row_start ? cd->row_start[i] : i;
        uint64_t e1 = cd->row_start ? cd->row_start[i + 1] : i + 1;
        if (keep && !keep[i]) continue;
        if (c->max_rep > 0) dv__buf_put(&c->reps, cd->rep_levels + e0, (size_t)(e1 - e0));
        if (c->max_def > 0) dv__buf_put(&c->valid, cd->def_levels + e0, (size_t)(e1 - e0));
        for (uint64_t e = e0; e < e1; e++)
            if (c->max_def == 0 || cd->def_levels[e] == c->max_def) push_value(c, &cd->batch, e);
        c->nent += e1 - e0;
    }
    if (c->vals.failed || c->lens.failed || c->valid.failed || c->reps.failed)
        return werr(w, DV_ENOMEM, "column %s: out of memory", c->name);
    return DV_OK;
}

static int copy_group(dv_parquet_writer *w, dv_parquet_reader *r, size_t rg, const uint8_t *keep);

/* Row group rg of r, every row kept, as the file holds it: each column chunk's bytes
 * unchanged (pages, codec, encodings and page statistics of the source), its metadata the
 * source's with the offsets moved (put_raw_meta). DV_EFORMAT, the copy as it was, when a
 * chunk cannot be copied so (dv__pq_raw_chunk): the caller decodes the row group instead. */
static int copy_group_raw(dv_parquet_writer *w, dv_parquet_reader *r, size_t rg)
{
    wchunk *ch;
    wgroup *g;
    int64_t off0;
    size_t pool0 = w->statpool.len;
    int rc = DV_OK;
    if (w->rows > 0) DV_FORWARD_IF_ERROR(flush_group(w));
    off0 = w->offset;
    ch = dv__calloc(w->alloc, w->ncols ? w->ncols : 1, sizeof *ch);
    if (ch == NULL) return werr(w, DV_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->ncols && rc == DV_OK; i++) {
        dv__pq_raw raw;
        rc = dv__pq_raw_chunk(r, rg, i, &raw);
        if (rc != DV_OK) break;
        ch[i].raw = 1;
        ch[i].start = w->offset;
        ch[i].src_start = (int64_t)raw.start;
        ch[i].compressed = (int64_t)raw.len;
        ch[i].uncompressed = raw.uncompressed;
        ch[i].meta_off = w->statpool.len;
        ch[i].meta_len = raw.meta_len;
        ch[i].raw_minmax = raw.orders_typedef; /* (and each at most 4 KiB: put_raw_stats) */
        if (dv__buf_put(&w->statpool, raw.meta, raw.meta_len) != DV_OK) {
            rc = werr(w, DV_ENOMEM, "out of memory");
            break;
        }
        /* (each chunk is read into the reader's one chunk buffer over the one before; with
         * wipe, dv_parquet_writer_copy_row_group zeroes it after the row group) */
        rc = write_bytes(w, raw.bytes, (size_t)raw.len);
    }
    if (rc == DV_EFORMAT) {
        /* back to where the row group began: nothing of it stays */
        if (fflush(w->f) != 0 || ftruncate(fileno(w->f), (off_t)off0) != 0 ||
            fseeko(w->f, (off_t)off0, SEEK_SET) != 0)
            rc = werr(w, DV_EIO, "cannot go back to offset %lld: %s", (long long)off0,
                      strerror(errno));
        w->offset = off0;
        w->statpool.len = pool0;
    }
    if (rc != DV_OK) {
        dv__free(w->alloc, ch);
        return rc;
    }
    if (w->ngroups == w->groups_cap) {
        size_t cap = w->groups_cap ? w->groups_cap * 2 : 8;
        wgroup *ng = dv__realloc(w->alloc, w->groups, cap * sizeof(*ng));
        if (ng == NULL) {
            dv__free(w->alloc, ch);
            return werr(w, DV_ENOMEM, "out of memory");
        }
        w->groups = ng;
        w->groups_cap = cap;
    }
    g = &w->groups[w->ngroups++];
    g->num_rows = (int64_t)dv_parquet_reader_row_group_rows(r, rg);
    g->chunks = ch;
    w->total_rows += (uint64_t)g->num_rows;
    return DV_OK;
}

/* The column chunks' own key_value_metadata of source row group rg, for the rows it brings: a
 * row group of the copy holds rows of source row groups whose chunks' entries are the same
 * (the one open is cut first when they differ), and its chunks carry those entries verbatim. */
static int take_chunk_kv(dv_parquet_writer *w, const dv_parquet_reader *r, size_t rg)
{
    const dv__pq_row_group *g = &dv__pq_reader_meta(r)->row_groups[rg];
    size_t base;
    int same = 1;
    w->kvtmp.len = 0;
    for (size_t i = 0; i < w->ncols; i++) {
        const dv__pq_chunk *ch = &g->columns[i];
        dv__tc_writer t;
        w->kvtmp_off[i] = w->kvtmp.len;
        if (ch->nkv == 0) continue;
        dv__tcw_init(&t, &w->kvtmp);
        dv__tcw_list(&t, DV__TC_STRUCT, ch->nkv);
        for (uint32_t k = 0; k < ch->nkv; k++) {
            dv__tcw_struct_begin(&t); /* KeyValue */
            dv__tcw_binary_field(&t, 1, ch->kv[k].key.p, ch->kv[k].key.len);
            if (ch->kv[k].value.set)
                dv__tcw_binary_field(&t, 2, ch->kv[k].value.p, ch->kv[k].value.len);
            dv__tcw_struct_end(&t);
        }
    }
    w->kvtmp_off[w->ncols] = w->kvtmp.len;
    if (w->kvtmp.failed)
        return werr(w, w->kvtmp.failed == DV_ENOMEM ? DV_ENOMEM : DV_ETOOBIG,
                    "row group %zu: its column chunks' key_value_metadata is over 64 MiB encoded",
                    rg);
    for (size_t i = 0; i < w->ncols && same; i++) {
        size_t n = w->kvtmp_off[i + 1] - w->kvtmp_off[i];
        same = n == w->cols[i].kv_len &&
               (n == 0 || memcmp(w->kvpool.p + w->cols[i].kv_off, w->kvtmp.p + w->kvtmp_off[i],
                                 n) == 0);
    }
    if (same) return DV_OK;
    if (w->rows > 0) DV_FORWARD_IF_ERROR(flush_group(w));
    base = w->kvpool.len;
    if (w->kvtmp.len > 0 && dv__buf_put(&w->kvpool, w->kvtmp.p, w->kvtmp.len) != DV_OK)
        return werr(w, w->kvpool.failed == DV_ENOMEM ? DV_ENOMEM : DV_ETOOBIG,
                    "the column chunks' key_value_metadata to keep is over 64 MiB encoded");
    for (size_t i = 0; i < w->ncols; i++) {
        const dv__pq_chunk *ch = &g->columns[i];
        wcol *c = &w->cols[i];
        c->kv_off = base + w->kvtmp_off[i];
        c->kv_len = w->kvtmp_off[i + 1] - w->kvtmp_off[i];
        c->kv_bytes = 0;
        for (uint32_t k = 0; k < ch->nkv; k++)
            c->kv_bytes += (uint64_t)ch->kv[k].key.len + ch->kv[k].value.len;
    }
    return DV_OK;
}

int dv_parquet_writer_copy_row_group(dv_parquet_writer *w, dv_parquet_reader *r, size_t rg,
                                     const uint8_t *keep)
{
    int rc = DV_EFORMAT;
    if (w && r && w->copy && w->raw_groups && !w->failed && !w->closed &&
        rg < dv_parquet_reader_num_row_groups(r) &&
        dv_parquet_reader_num_columns(r) == w->ncols && w->ncols > 0) {
        uint64_t n = dv_parquet_reader_row_group_rows(r, rg), i = 0;
        if (keep)
            while (i < n && keep[i]) i++;
        if (n > 0 && (keep == NULL || i == n)) rc = copy_group_raw(w, r, rg);
    }
    if (rc == DV_EFORMAT) rc = copy_group(w, r, rg, keep);
    /* the removed rows' values (and the kept ones, now in the column buffers) are not left in
     * the reader until its next row group */
    if (w && r && w->wipe) dv_parquet_reader_wipe(r);
    return rc;
}

static int copy_group(dv_parquet_writer *w, dv_parquet_reader *r, size_t rg, const uint8_t *keep)
{
    uint64_t rows, i0 = 0;
    if (w == NULL || r == NULL) return DV_EINVAL;
    if (w->failed) return w->failed;
    if (w->closed) return werr(w, DV_EINVAL, "write after close");
    if (!w->copy)
        return werr(w, DV_EINVAL, "copy_row_group takes a writer of dv_parquet_writer_create_copy");
    if (dv_parquet_reader_num_columns(r) != w->ncols || rg >= dv_parquet_reader_num_row_groups(r))
        return werr(w, DV_EINVAL, "no row group %zu of a file of this schema", rg);
    rows = dv_parquet_reader_row_group_rows(r, rg);
    /* every column read (and its levels checked) before any is appended: a file that fails
     * leaves the copy as it was */
    for (size_t i = 0; i < w->ncols; i++) {
        dv__pq_column_data *cd = &w->cdata[i];
        int rc = dv__pq_read_column(r, rg, i, i, cd);
        if (rc != DV_OK) {
            dv__set_err(w->err, sizeof(w->err), "%s", dv_parquet_reader_errmsg(r));
            return rc;
        }
        if (cd->batch.type != w->cols[i].f.type || cd->max_def != w->cols[i].max_def ||
            cd->max_rep != w->cols[i].max_rep)
            return werr(w, DV_EINVAL, "column %s: a reader of another schema", w->cols[i].name);
    }
    {
        /* a row group that brings no rows leaves its entries out, unless nothing else will
         * (a copy of no rows still has a row group, as the source) */
        uint64_t kept = 0;
        for (uint64_t i = 0; i < rows && kept == 0; i++) kept += keep == NULL || keep[i] != 0;
        if (kept > 0 || w->rows == 0) DV_FORWARD_IF_ERROR(take_chunk_kv(w, r, rg));
    }
    while (i0 < rows) {
        uint64_t room = w->rg_rows - w->rows, kept = 0, i1 = i0;
        for (; i1 < rows && kept < room; i1++) kept += keep == NULL || keep[i1] != 0;
        for (size_t i = 0; i < w->ncols; i++)
            DV_FORWARD_IF_ERROR(copy_rows(w, &w->cols[i], &w->cdata[i], i0, i1, keep));
        w->rows += kept;
        w->total_rows += kept;
        /* a source row group is bounded by its reader; the copy's by rows and by bytes, or a
         * file of many small row groups of long lists would pile up in memory */
        if (w->rows >= w->rg_rows || (w->rows > 0 && buffered(w) >= w->rg_bytes))
            DV_FORWARD_IF_ERROR(flush_group(w));
        i0 = i1;
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- appending */

static int append_value(dv_parquet_writer *w, wcol *c, const dv_parquet_value *v)
{
    uint8_t one;
    c->nent++;
    if (c->max_def > 0) {
        one = v->is_null ? (uint8_t)v->def_level : (uint8_t)c->max_def;
        if (dv__buf_put(&c->valid, &one, 1) != DV_OK) return werr(w, DV_ENOMEM, "out of memory");
    }
    if (v->is_null) return DV_OK;
    switch (c->f.type) {
    case DV_PQ_BOOLEAN:
        one = v->i32 != 0;
        dv__buf_put(&c->vals, &one, 1);
        break;
    case DV_PQ_INT32: dv__buf_put(&c->vals, &v->i32, 4); break;
    case DV_PQ_INT64: dv__buf_put(&c->vals, &v->i64, 8); break;
    case DV_PQ_FLOAT: dv__buf_put(&c->vals, &v->f32, 4); break;
    case DV_PQ_DOUBLE: dv__buf_put(&c->vals, &v->f64, 8); break;
    case DV_PQ_BYTE_ARRAY: {
        uint32_t n = (uint32_t)v->len;
        dv__buf_put(&c->lens, &n, 4);
        dv__buf_put(&c->vals, v->bytes, v->len);
        break;
    }
    default: dv__buf_put(&c->vals, v->bytes, c->width); break;
    }
    if (c->vals.failed || c->lens.failed) return werr(w, DV_ENOMEM, "out of memory");
    c->nvals++;
    return DV_OK;
}

static int check_value(dv_parquet_writer *w, const wcol *c, const dv_parquet_value *v)
{
    if (v->is_null) {
        if (c->max_def == 0)
            return werr(w, DV_EINVAL, "column %s: NULL in a required column", c->name);
        if (v->def_level < 0 || v->def_level >= c->max_def)
            return werr(w, DV_EINVAL, "column %s: NULL at definition level %d of %d", c->name,
                        v->def_level, c->max_def);
        return DV_OK;
    }
    if (c->f.type == DV_PQ_BYTE_ARRAY) {
        if (v->len > MAX_VALUE_BYTES || (v->len && v->bytes == NULL))
            return werr(w, DV_EINVAL, "column %s: byte array of %zu bytes", c->name, v->len);
    } else if (c->f.type == DV_PQ_FIXED_LEN_BYTE_ARRAY || c->f.type == DV_PQ_INT96) {
        if (v->len != c->width || v->bytes == NULL)
            return werr(w, DV_EINVAL, "column %s: value of %zu bytes, the column takes %zu",
                        c->name, v->len, c->width);
    }
    return DV_OK;
}

int dv_parquet_writer_write_row(dv_parquet_writer *w, const dv_parquet_value *values)
{
    if (w == NULL || (values == NULL && w->ncols)) return DV_EINVAL;
    if (w->failed) return w->failed;
    if (w->closed) return werr(w, DV_EINVAL, "write after close");
    if (w->copy)
        return werr(w, DV_EINVAL, "a copy takes its rows from dv_parquet_writer_copy_row_group");
    /* all checks first, so a bad row leaves the columns aligned */
    for (size_t i = 0; i < w->ncols; i++) {
        const wcol *c = &w->cols[i];
        DV_FORWARD_IF_ERROR(check_value(w, c, &values[i]));
        if (c->shared_opt > 0) {
            /* leaves of one struct agree on which of its levels are present */
            int L = c->shared_opt;
            int d0 = values[i - 1].is_null ? values[i - 1].def_level : w->cols[i - 1].max_def;
            int d1 = values[i].is_null ? values[i].def_level : c->max_def;
            if ((d0 < L ? d0 : L) != (d1 < L ? d1 : L))
                return werr(w, DV_EINVAL,
                            "column %s: a struct null in one of its fields and present in another",
                            c->name);
        }
    }
    for (size_t i = 0; i < w->ncols; i++)
        DV_FORWARD_IF_ERROR(append_value(w, &w->cols[i], &values[i]));
    w->rows++;
    w->total_rows++;
    if (w->rows >= w->rg_rows || buffered(w) >= w->rg_bytes) return flush_group(w);
    return DV_OK;
}

int dv_parquet_writer_write_batches(dv_parquet_writer *w, const dv_parquet_batch *batches,
                                    uint64_t first, uint64_t n, const uint8_t *keep)
{
    if (w == NULL || (batches == NULL && w->ncols)) return DV_EINVAL;
    if (w->copy)
        return werr(w, DV_EINVAL, "a copy takes its rows from dv_parquet_writer_copy_row_group");
    for (size_t c = 0; c < w->ncols; c++) {
        if (batches[c].type != w->cols[c].f.type)
            return werr(w, DV_EINVAL, "column %s: batch of %s for a %s column", w->cols[c].name,
                        dv_pq_type_name(batches[c].type), dv_pq_type_name(w->cols[c].f.type));
        if (first > batches[c].rows || n > batches[c].rows - first)
            return werr(w, DV_EINVAL, "rows %llu..%llu outside a batch of %llu",
                        (unsigned long long)first, (unsigned long long)(first + n),
                        (unsigned long long)batches[c].rows);
    }
    for (uint64_t i = first; i < first + n; i++) {
        if (keep && !keep[i - first]) continue;
        for (size_t c = 0; c < w->ncols; c++)
            dv_parquet_batch_value(&batches[c], i, &w->rowvals[c]);
        DV_FORWARD_IF_ERROR(dv_parquet_writer_write_row(w, w->rowvals));
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- statistics */

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* -1, 0, 1 comparing fixed-size values a and b in the column's order */
static int cmp_fixed(const wcol *c, const uint8_t *a, const uint8_t *b)
{
    switch (c->f.type) {
    case DV_PQ_BOOLEAN: return (a[0] > b[0]) - (a[0] < b[0]);
    case DV_PQ_INT32: {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        if (c->order == ORDER_UNSIGNED)
            return ((uint32_t)x > (uint32_t)y) - ((uint32_t)x < (uint32_t)y);
        return (x > y) - (x < y);
    }
    case DV_PQ_INT64: {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (c->order == ORDER_UNSIGNED)
            return ((uint64_t)x > (uint64_t)y) - ((uint64_t)x < (uint64_t)y);
        return (x > y) - (x < y);
    }
    case DV_PQ_FLOAT: {
        float x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    case DV_PQ_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    default: return cmp_bytes(a, c->width, b, c->width);
    }
}

static int is_nan(const wcol *c, const uint8_t *p)
{
    if (c->f.type == DV_PQ_FLOAT) {
        float x;
        memcpy(&x, p, 4);
        return isnan(x);
    }
    if (c->f.type == DV_PQ_DOUBLE) {
        double x;
        memcpy(&x, p, 8);
        return isnan(x);
    }
    return 0;
}

#define STATS_MAX_BYTES 4096

/* Min and max of the chunk into the stat pool (PLAIN bytes; raw bytes for byte arrays). */
static int chunk_stats(dv_parquet_writer *w, const wcol *c, wchunk *ch)
{
    const uint8_t *v = c->vals.p, *mn = NULL, *mx = NULL;
    size_t mnl = 0, mxl = 0;
    if (c->order == ORDER_NONE || c->nvals == 0) return DV_OK;
    if (c->f.type == DV_PQ_BYTE_ARRAY) {
        const uint32_t *lens = (const uint32_t *)(const void *)c->lens.p;
        size_t pos = 0;
        for (uint64_t i = 0; i < c->nvals; i++) {
            const uint8_t *p = v + pos;
            if (mn == NULL || cmp_bytes(p, lens[i], mn, mnl) < 0) mn = p, mnl = lens[i];
            if (mx == NULL || cmp_bytes(p, lens[i], mx, mxl) > 0) mx = p, mxl = lens[i];
            pos += lens[i];
        }
    } else {
        for (uint64_t i = 0; i < c->nvals; i++) {
            const uint8_t *p = v + i * c->width;
            if (is_nan(c, p)) continue;
            if (mn == NULL || cmp_fixed(c, p, mn) < 0) mn = p;
            if (mx == NULL || cmp_fixed(c, p, mx) > 0) mx = p;
        }
        mnl = mxl = c->width;
        if (mn == NULL) return DV_OK; /* only NaNs */
    }
    /* a min or max over 4 KiB (an image column's values) is left out, as Arrow does: the
     * footer would hold two whole values a row group */
    if (mnl > STATS_MAX_BYTES || mxl > STATS_MAX_BYTES) return DV_OK;
    ch->min_off = w->statpool.len;
    ch->min_len = mnl;
    dv__buf_put(&w->statpool, mn, mnl);
    ch->max_off = w->statpool.len;
    ch->max_len = mxl;
    dv__buf_put(&w->statpool, mx, mxl);
    if (w->statpool.failed) return werr(w, DV_ENOMEM, "out of memory");
    /* the spec's rule for zeros: a zero min is written -0, a zero max +0 */
    if (c->order == ORDER_FLOAT) {
        uint8_t *pmin = w->statpool.p + ch->min_off, *pmax = w->statpool.p + ch->max_off;
        if (c->f.type == DV_PQ_FLOAT) {
            float x;
            memcpy(&x, pmin, 4);
            if (x == 0) x = -0.0f, memcpy(pmin, &x, 4);
            memcpy(&x, pmax, 4);
            if (x == 0) x = 0.0f, memcpy(pmax, &x, 4);
        } else {
            double x;
            memcpy(&x, pmin, 8);
            if (x == 0) x = -0.0, memcpy(pmin, &x, 8);
            memcpy(&x, pmax, 8);
            if (x == 0) x = 0.0, memcpy(pmax, &x, 8);
        }
    }
    ch->has_minmax = 1;
    return DV_OK;
}

/* ---------------------------------------------------------------- pages */

static int grow_u32(dv_parquet_writer *w, uint32_t **p, size_t *cap, size_t n)
{
    uint32_t *np;
    if (n <= *cap) return DV_OK;
    if (n > SIZE_MAX / 8) return werr(w, DV_ENOMEM, "out of memory");
    np = dv__realloc(w->alloc, *p, n * sizeof(uint32_t));
    if (np == NULL) return werr(w, DV_ENOMEM, "out of memory");
    *p = np;
    *cap = n;
    return DV_OK;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Dictionary of the chunk's values (byte arrays, or fixed-width ones when c->width): w->ix gets
 * each value's index, w->tmp the PLAIN dictionary page. Returns 0 (and no dictionary) once it
 * would pass dict_max bytes. */
static int build_dict(dv_parquet_writer *w, const wcol *c, size_t *ndict_out)
{
    const uint32_t *lens = c->width ? NULL : (const uint32_t *)(const void *)c->lens.p;
    size_t pre = c->width ? 0 : 4; /* a byte array's 4-byte length in the page */
    size_t nslots = 16, ndict = 0, pos = 0;
    size_t *starts;
    uint64_t mask;
    int ok = 1;

    while (nslots < c->nvals * 2) nslots *= 2;
    if (grow_u32(w, &w->ix, &w->ix_cap, (size_t)c->nvals + 1) != DV_OK) return -1;
    if (grow_u32(w, &w->slots, &w->slots_cap, nslots) != DV_OK) return -1;
    starts = dv__malloc(w->alloc, (c->nvals + 1) * sizeof(size_t));
    if (starts == NULL) return werr(w, DV_ENOMEM, "out of memory"), -1;
    memset(w->slots, 0xff, nslots * sizeof(uint32_t));
    mask = nslots - 1;
    w->tmp.len = 0;
    /* values' start offsets, and the first occurrence index of each distinct value in slots */
    for (uint64_t i = 0; i < c->nvals; i++) {
        starts[i] = pos;
        pos += lens ? lens[i] : c->width;
    }
    for (uint64_t i = 0; i < c->nvals && ok; i++) {
        const uint8_t *p = c->vals.p + starts[i];
        uint32_t n = lens ? lens[i] : (uint32_t)c->width;
        uint64_t h = hash_bytes(p, n) & mask;
        for (;;) {
            uint32_t s = w->slots[h];
            if (s == UINT32_MAX) {
                if (w->tmp.len + pre + n > w->dict_max) {
                    ok = 0;
                    break;
                }
                w->slots[h] = (uint32_t)i;
                /* the dictionary index of a first occurrence goes in ix[i] */
                w->ix[i] = (uint32_t)ndict++;
                if (pre) dv__buf_put(&w->tmp, &n, 4);
                dv__buf_put(&w->tmp, p, n);
                break;
            }
            if ((lens ? lens[s] : n) == n && memcmp(c->vals.p + starts[s], p, n) == 0) {
                w->ix[i] = w->ix[s];
                break;
            }
            h = (h + 1) & mask;
        }
    }
    dv__free(w->alloc, starts);
    if (w->tmp.failed) return werr(w, DV_ENOMEM, "out of memory"), -1;
    /* a dictionary saves nothing when nearly every value is distinct */
    if (ok && ndict > 0 && ndict * 10 > c->nvals * 9 && c->nvals > 16) ok = 0;
    *ndict_out = ndict;
    return ok;
}

/* Compress w->page and write header + body. Accounts sizes into the chunk. */
static int emit_page(dv_parquet_writer *w, wchunk *ch, int type, uint32_t nvalues, int enc,
                     int dict_num_values)
{
    size_t ulen = w->page.len, clen, bound = dv__pq_compress_bound(ch->codec, ulen);
    dv__tc_writer t;
    int rc;
    if (ulen > INT32_MAX) return werr(w, DV_ETOOBIG, "page of %zu bytes", ulen);
    w->comp.len = 0;
    if (dv__buf_reserve(&w->comp, bound) != DV_OK) return werr(w, DV_ENOMEM, "out of memory");
    rc = dv__pq_compress(ch->codec, w->level, w->page.p ? w->page.p : (const uint8_t *)"", ulen,
                         w->comp.p, bound, &clen, w->wipe);
    if (rc != DV_OK) return werr(w, rc, "compression failed");
    if (clen > INT32_MAX) return werr(w, DV_ETOOBIG, "page of %zu bytes", clen);
    w->hdr.len = 0;
    dv__tcw_init(&t, &w->hdr);
    dv__tcw_i32_field(&t, 1, type);
    dv__tcw_i32_field(&t, 2, (int32_t)ulen);
    dv__tcw_i32_field(&t, 3, (int32_t)clen);
    dv__tcw_i32_field(&t, 4, (int32_t)dv__pq_crc32(w->comp.p, clen));
    if (type == DV__PQ_PAGE_DICT) {
        dv__tcw_field(&t, 7, DV__TC_STRUCT);
        dv__tcw_struct_begin(&t);
        dv__tcw_i32_field(&t, 1, dict_num_values);
        dv__tcw_i32_field(&t, 2, DV__PQ_ENC_PLAIN);
        dv__tcw_struct_end(&t);
    } else {
        dv__tcw_field(&t, 5, DV__TC_STRUCT);
        dv__tcw_struct_begin(&t);
        dv__tcw_i32_field(&t, 1, (int32_t)nvalues);
        dv__tcw_i32_field(&t, 2, enc);
        dv__tcw_i32_field(&t, 3, DV__PQ_ENC_RLE);
        dv__tcw_i32_field(&t, 4, DV__PQ_ENC_RLE);
        dv__tcw_struct_end(&t);
    }
    dv__tcw_struct_end(&t);
    if (w->hdr.failed) return werr(w, DV_ENOMEM, "out of memory");
    DV_FORWARD_IF_ERROR(write_bytes(w, w->hdr.p, w->hdr.len));
    DV_FORWARD_IF_ERROR(write_bytes(w, w->comp.p, clen));
    ch->compressed += (int64_t)(w->hdr.len + clen);
    ch->uncompressed += (int64_t)(w->hdr.len + ulen);
    return DV_OK;
}

static unsigned bit_width(size_t n)
{
    unsigned b = 0;
    while (n > 0 && ((size_t)1 << b) < n) b++;
    return b;
}

/* Levels [r0, r1) of lv (at most maxlevel) onto pg: a 4-byte length, then the RLE/bit-packed
 * hybrid. */
static int put_levels(dv_parquet_writer *w, dv__buf *pg, const uint8_t *lv8, uint64_t r0,
                      uint64_t r1, int maxlevel)
{
    size_t at;
    uint32_t len32;
    if (grow_u32(w, &w->slots, &w->slots_cap, (size_t)(r1 - r0) + 1) != DV_OK) return w->failed;
    for (uint64_t i = r0; i < r1; i++) w->slots[i - r0] = lv8[i];
    dv__buf_put(pg, "\0\0\0\0", 4);
    at = pg->len;
    dv__rle_encode(pg, w->slots, (size_t)(r1 - r0), bit_width((size_t)maxlevel + 1));
    if (pg->failed) return werr(w, DV_ENOMEM, "out of memory");
    len32 = (uint32_t)(pg->len - at);
    memcpy(pg->p + at - 4, &len32, 4);
    return DV_OK;
}

/* Values [v0, v1) of level entries (rows unless repeated) [r0, r1) as one data page. */
static int data_page(dv_parquet_writer *w, const wcol *c, wchunk *ch, uint64_t r0, uint64_t r1,
                     uint64_t v0, uint64_t v1, const size_t *ba_start, int dict, size_t ndict)
{
    dv__buf *pg = &w->page;
    pg->len = 0;
    /* repetition levels first, then definition levels (bit width 1 for a flat optional
     * column), each as a 4-byte length and the hybrid encoding */
    if (c->max_rep > 0 && put_levels(w, pg, c->reps.p, r0, r1, c->max_rep) != DV_OK)
        return w->failed;
    if (c->max_def > 0 && put_levels(w, pg, c->valid.p, r0, r1, c->max_def) != DV_OK)
        return w->failed;
    if (dict) {
        uint8_t bw = (uint8_t)bit_width(ndict);
        dv__buf_put(pg, &bw, 1);
        dv__rle_encode(pg, w->ix + v0, (size_t)(v1 - v0), bw);
    } else if (c->f.type == DV_PQ_BOOLEAN) {
        size_t nb = (size_t)((v1 - v0 + 7) / 8), at = pg->len;
        if (dv__buf_reserve(pg, nb) == DV_OK) {
            memset(pg->p + at, 0, nb);
            for (uint64_t i = v0; i < v1; i++)
                if (c->vals.p[i]) pg->p[at + (i - v0) / 8] |= (uint8_t)(1u << ((i - v0) & 7));
            pg->len += nb;
        }
    } else if (c->f.type == DV_PQ_BYTE_ARRAY) {
        const uint32_t *lens = (const uint32_t *)(const void *)c->lens.p;
        for (uint64_t i = v0; i < v1; i++) {
            dv__buf_put(pg, &lens[i], 4);
            dv__buf_put(pg, c->vals.p + ba_start[i], lens[i]);
        }
    } else {
        dv__buf_put(pg, c->vals.p + v0 * c->width, (size_t)(v1 - v0) * c->width);
    }
    if (pg->failed) return werr(w, DV_ENOMEM, "out of memory");
    return emit_page(w, ch, DV__PQ_PAGE_DATA, (uint32_t)(r1 - r0),
                     dict ? DV__PQ_ENC_RLE_DICTIONARY : DV__PQ_ENC_PLAIN, 0);
}

static int write_chunk(dv_parquet_writer *w, wcol *c, wchunk *ch)
{
    uint64_t rows = c->nent, r0 = 0, v0 = 0;
    size_t *ba_start = NULL, ndict = 0;
    int dict = 0, rc = DV_OK;
    const uint32_t *lens = (const uint32_t *)(const void *)c->lens.p;

    memset(ch, 0, sizeof(*ch));
    if (dv__buf_reserve(&c->vals, 0) || dv__buf_reserve(&c->lens, 0) ||
        dv__buf_reserve(&c->valid, 0) || dv__buf_reserve(&c->reps, 0) ||
        dv__buf_reserve(&w->page, 0))
        return werr(w, DV_ENOMEM, "out of memory");
    ch->start = w->offset;
    ch->codec = c->codec;
    ch->dict_page_offset = -1;
    ch->num_values = (int64_t)rows;
    /* a repeated column's entries below max_def are empty and null lists as well as null
     * values: what readers would count as nulls differs, so none is written */
    ch->null_count = c->max_rep > 0 ? -1 : (int64_t)(rows - c->nvals);
    DV_FORWARD_IF_ERROR(chunk_stats(w, c, ch));
    if (c->f.type == DV_PQ_BYTE_ARRAY) {
        size_t pos = 0;
        ba_start = dv__malloc(w->alloc, (c->nvals + 1) * sizeof(size_t));
        if (ba_start == NULL) return werr(w, DV_ENOMEM, "out of memory");
        for (uint64_t i = 0; i < c->nvals; i++) {
            ba_start[i] = pos;
            pos += lens[i];
        }
    }
    if (!w->no_dict && c->nvals > 0 && c->f.type != DV_PQ_BOOLEAN &&
        (c->dict_mode == DICT_TRY || (c->dict_mode == DICT_BYTES && c->f.type == DV_PQ_BYTE_ARRAY))) {
        int ok = build_dict(w, c, &ndict);
        if (ok < 0) {
            dv__free(w->alloc, ba_start);
            return w->failed ? w->failed : DV_ENOMEM;
        }
        dict = ok;
    }
    if (dict) {
        ch->dict = 1;
        ch->dict_page_offset = w->offset;
        w->page.len = 0;
        dv__buf_put(&w->page, w->tmp.p, w->tmp.len);
        rc = emit_page(w, ch, DV__PQ_PAGE_DICT, 0, 0, (int)ndict);
    }
    ch->data_page_offset = w->offset;
    /* pages of about page_bytes of values each; a repeated column's pages end with a row */
    while (rc == DV_OK && (r0 < rows || (rows == 0 && r0 == 0))) {
        uint64_t r1 = r0, v1 = v0;
        size_t bytes = 0;
        while (r1 < rows && (bytes < w->page_bytes || (c->max_rep > 0 && c->reps.p[r1] != 0))) {
            int present = c->max_def == 0 || c->valid.p[r1] == c->max_def;
            if (present) {
                bytes += dict ? 2 : (c->width ? c->width : 4 + lens[v1]);
                v1++;
            } else {
                bytes += 1;
            }
            r1++;
        }
        rc = data_page(w, c, ch, r0, r1, v0, v1, ba_start, dict, ndict);
        if (rows == 0) break;
        r0 = r1;
        v0 = v1;
    }
    dv__free(w->alloc, ba_start);
    return rc;
}

static int flush_group(dv_parquet_writer *w)
{
    wgroup *g;
    if (w->rows == 0 && w->ngroups > 0) return DV_OK;
    if (w->ngroups == w->groups_cap) {
        size_t cap = w->groups_cap ? w->groups_cap * 2 : 8;
        wgroup *ng = dv__realloc(w->alloc, w->groups, cap * sizeof(*ng));
        if (ng == NULL) return werr(w, DV_ENOMEM, "out of memory");
        w->groups = ng;
        w->groups_cap = cap;
    }
    g = &w->groups[w->ngroups];
    g->num_rows = (int64_t)w->rows;
    g->chunks = dv__calloc(w->alloc, w->ncols ? w->ncols : 1, sizeof(*g->chunks));
    if (g->chunks == NULL) return werr(w, DV_ENOMEM, "out of memory");
    w->ngroups++;
    for (size_t i = 0; i < w->ncols; i++) {
        wcol *c = &w->cols[i];
        DV_FORWARD_IF_ERROR(write_chunk(w, c, &g->chunks[i]));
        g->chunks[i].kv_off = c->kv_off;
        g->chunks[i].kv_len = c->kv_len;
        /* what a reader takes (a copy splitting a source row group repeats its entries) */
        w->chunk_kv += c->kv_len ? c->kv_bytes : 0;
        if (w->chunk_kv > DV__PQ_MAX_KV_BYTES)
            return werr(w, DV_ETOOBIG, "the column chunks' key_value_metadata of the copy would "
                        "pass 32 MiB, more than readers take");
        /* written: with wipe, its values (kept images) are not held to the next row group */
        wbuf_zero(w, &c->vals);
        c->vals.len = c->lens.len = c->valid.len = c->reps.len = 0;
        c->nvals = c->nent = 0;
    }
    wbuf_zero(w, &w->page);
    wbuf_zero(w, &w->comp);
    wbuf_zero(w, &w->tmp);
    w->rows = 0;
    return DV_OK;
}

/* ---------------------------------------------------------------- footer */

static void put_schema(dv__tc_writer *t, const wcol *c)
{
    dv__tcw_struct_begin(t);
    dv__tcw_i32_field(t, 1, (int32_t)c->f.type);
    if (c->f.type == DV_PQ_FIXED_LEN_BYTE_ARRAY) dv__tcw_i32_field(t, 2, c->f.type_length);
    dv__tcw_i32_field(t, 3, c->f.optional ? DV_PQ_OPTIONAL : DV_PQ_REQUIRED);
    dv__tcw_binary_field(t, 4, c->name, strlen(c->name));
    if (c->f.has_converted_type) {
        dv__tcw_i32_field(t, 6, c->f.converted_type);
        if (c->f.converted_type == DV__PQ_CT_DECIMAL) {
            dv__tcw_i32_field(t, 7, c->f.scale);
            dv__tcw_i32_field(t, 8, c->f.precision);
        }
    } else if (c->f.is_string && c->f.type == DV_PQ_BYTE_ARRAY) {
        dv__tcw_i32_field(t, 6, DV__PQ_CT_UTF8);
    }
    if (c->logical_raw) {
        dv__tcw_field(t, 10, DV__TC_STRUCT);
        dv__buf_put(t->out, c->logical_raw, c->f.logical_type_raw_len);
    } else if (c->f.is_string && c->f.type == DV_PQ_BYTE_ARRAY) {
        dv__tcw_field(t, 10, DV__TC_STRUCT);
        dv__tcw_struct_begin(t); /* LogicalType */
        dv__tcw_field(t, 1, DV__TC_STRUCT);
        dv__tcw_struct_begin(t); /* StringType {} */
        dv__tcw_struct_end(t);
        dv__tcw_struct_end(t);
    }
    dv__tcw_struct_end(t);
}

/* Whether columns a and b share their first n structs. */
static int same_groups(const wcol *a, const wcol *b, size_t n)
{
    if (a->ngroups < n || b->ngroups < n) return 0;
    for (size_t k = 0; k < n; k++)
        if (strcmp(a->groups[k].name, b->groups[k].name) != 0) return 0;
    return 1;
}

/* The node at depth d (0: the root, else the struct groups[d - 1] of column i0) and its
 * columns from i0 on: with emit, writes its children's schema elements (a struct's before
 * its own children, depth first); returns how many direct children it has. */
static int32_t schema_children(const dv_parquet_writer *w, dv__tc_writer *t, size_t i0, size_t d,
                               int emit)
{
    int32_t n = 0;
    size_t i = i0;
    while (i < w->ncols && (d == 0 || same_groups(&w->cols[i], &w->cols[i0], d))) {
        const wcol *c = &w->cols[i];
        if (c->ngroups == d) {
            if (emit) put_schema(t, c);
            i++;
        } else {
            size_t j = i + 1;
            while (j < w->ncols && same_groups(&w->cols[j], c, d + 1)) j++;
            if (emit) {
                dv__tcw_struct_begin(t);
                dv__tcw_i32_field(t, 3, c->groups[d].optional ? DV_PQ_OPTIONAL : DV_PQ_REQUIRED);
                dv__tcw_binary_field(t, 4, c->groups[d].name, strlen(c->groups[d].name));
                dv__tcw_i32_field(t, 5, schema_children(w, t, i, d + 1, 0));
                dv__tcw_struct_end(t);
                (void)schema_children(w, t, i, d + 1, 1);
            }
            i = j;
        }
        n++;
    }
    return n;
}

static size_t schema_elements(const dv_parquet_writer *w)
{
    size_t n = w->ncols;
    for (size_t i = 0; i < w->ncols; i++)
        for (size_t k = 0; k < w->cols[i].ngroups; k++)
            n += i == 0 || !same_groups(&w->cols[i - 1], &w->cols[i], k + 1); /* a new struct */
    return n;
}

/* Whether the min_value and max_value of a source's Statistics can stay: both at most
 * STATS_MAX_BYTES. */
static int raw_minmax_fits(const uint8_t *p, size_t n)
{
    dv__tc_reader r;
    int16_t last = 0, id;
    uint8_t ft;
    dv__tc_init(&r, p, n);
    if (dv__tc_enter(&r) != DV_OK) return 0;
    while (dv__tc_field(&r, &last, &id, &ft) == DV_OK && ft != DV__TC_STOP) {
        if (ft == DV__TC_BINARY && (id == 5 || id == 6)) {
            const uint8_t *b;
            uint32_t len;
            if (dv__tc_binary(&r, &b, &len) != DV_OK || len > STATS_MAX_BYTES) return 0;
        } else if (dv__tc_skip(&r, ft) != DV_OK) {
            return 0;
        }
    }
    return 1;
}

/* A source's Statistics (its fields and STOP) into t: null and distinct counts, and
 * min_value / max_value (with their exactness flags) when minmax is set and both fit
 * (raw_minmax_fits); the deprecated min / max, whose order depends on the writer that made
 * them (created_by, which a copy does not keep), never. */
static void put_raw_stats(dv__tc_writer *t, const uint8_t *p, size_t n, int minmax)
{
    dv__tc_reader r;
    int16_t last = 0, id;
    uint8_t ft;
    minmax = minmax && raw_minmax_fits(p, n);
    dv__tc_init(&r, p, n);
    if (dv__tc_enter(&r) != DV_OK) return;
    dv__tcw_struct_begin(t);
    while (dv__tc_field(&r, &last, &id, &ft) == DV_OK && ft != DV__TC_STOP) {
        const uint8_t *v = r.p;
        if (dv__tc_skip(&r, ft) != DV_OK) break;
        if (id == 1 || id == 2 || (!minmax && id >= 5 && id <= 8)) continue;
        dv__tcw_field(t, id, ft);
        dv__buf_put(t->out, v, (size_t)(r.p - v));
    }
    dv__tcw_struct_end(t);
}


/* A source's ColumnMetaData (fields and STOP, as the footer had them) into t, for a chunk
 * now at src_start + shift: the first data page's offset and the dictionary page's moved,
 * what points elsewhere in the source (an index page, a bloom filter) left out, the
 * statistics as put_raw_stats writes them; every other field as it was. The footer it
 * came from was parsed whole when the source was opened. */
static void put_raw_meta(dv__tc_writer *t, const uint8_t *p, size_t n, int64_t src_start,
                         int64_t shift, int minmax)
{
    dv__tc_reader r;
    int16_t last = 0, id;
    uint8_t ft;
    dv__tc_init(&r, p, n);
    if (dv__tc_enter(&r) != DV_OK) return;
    dv__tcw_struct_begin(t);
    while (dv__tc_field(&r, &last, &id, &ft) == DV_OK && ft != DV__TC_STOP) {
        const uint8_t *v = r.p;
        if (ft == DV__TC_I64 && (id == 9 || id == 11)) {
            int64_t x;
            if (dv__tc_i64(&r, &x) != DV_OK) break;
            /* a dictionary offset that is not the chunk's start (0, as some writers put for
             * none) points at no dictionary page of the copy */
            if (id == 9 || x == src_start) dv__tcw_i64_field(t, id, x + shift);
            continue;
        }
        if (dv__tc_skip(&r, ft) != DV_OK) break;
        if (id == 10 || id == 14 || id == 15) continue;
        if (ft == DV__TC_STRUCT && id == 12) {
            dv__tcw_field(t, id, ft);
            put_raw_stats(t, v, (size_t)(r.p - v), minmax);
            continue;
        }
        dv__tcw_field(t, id, ft);
        dv__buf_put(t->out, v, (size_t)(r.p - v));
    }
    dv__tcw_struct_end(t);
}

static void put_chunk(dv_parquet_writer *w, dv__tc_writer *t, const wcol *c, const wchunk *ch)
{
    dv__tcw_struct_begin(t); /* ColumnChunk */
    dv__tcw_i64_field(t, 2, ch->start);
    dv__tcw_field(t, 3, DV__TC_STRUCT);
    if (ch->raw) {
        /* (the page index of the source, which ColumnChunk's offsets point at, is not
         * copied) */
        put_raw_meta(t, w->statpool.p + ch->meta_off, ch->meta_len, ch->src_start,
                     ch->start - ch->src_start, ch->raw_minmax);
        dv__tcw_struct_end(t);
        return;
    }
    dv__tcw_struct_begin(t); /* ColumnMetaData */
    dv__tcw_i32_field(t, 1, (int32_t)c->f.type);
    dv__tcw_field(t, 2, DV__TC_LIST);
    if (ch->dict) {
        dv__tcw_list(t, DV__TC_I32, 3);
        dv__tcw_zigzag(t, DV__PQ_ENC_PLAIN);
        dv__tcw_zigzag(t, DV__PQ_ENC_RLE);
        dv__tcw_zigzag(t, DV__PQ_ENC_RLE_DICTIONARY);
    } else {
        dv__tcw_list(t, DV__TC_I32, 2);
        dv__tcw_zigzag(t, DV__PQ_ENC_PLAIN);
        dv__tcw_zigzag(t, DV__PQ_ENC_RLE);
    }
    dv__tcw_field(t, 3, DV__TC_LIST);
    if (w->copy) {
        /* the names from the leaf's parent chain, root left out (the tree is at most 64 deep,
         * as the reader checked) */
        uint32_t path[72], n = 0;
        for (uint32_t e = c->leaf; e != 0 && n < 72; e = w->parent[e]) path[n++] = e;
        dv__tcw_list(t, DV__TC_BINARY, n);
        while (n-- > 0) dv__tcw_binary(t, w->schema[path[n]].name.p, w->schema[path[n]].name.len);
    } else {
        dv__tcw_list(t, DV__TC_BINARY, (uint32_t)c->ngroups + 1);
        for (size_t k = 0; k < c->ngroups; k++)
            dv__tcw_binary(t, c->groups[k].name, strlen(c->groups[k].name));
        dv__tcw_binary(t, c->name, strlen(c->name));
    }
    dv__tcw_i32_field(t, 4, ch->codec);
    dv__tcw_i64_field(t, 5, ch->num_values);
    dv__tcw_i64_field(t, 6, ch->uncompressed);
    dv__tcw_i64_field(t, 7, ch->compressed);
    if (ch->kv_len > 0) {
        /* the list as encoded (take_chunk_kv): it stands on its own, field ids inside restart */
        dv__tcw_field(t, 8, DV__TC_LIST);
        dv__buf_put(t->out, w->kvpool.p + ch->kv_off, ch->kv_len);
    }
    dv__tcw_i64_field(t, 9, ch->data_page_offset);
    if (ch->dict_page_offset >= 0) dv__tcw_i64_field(t, 11, ch->dict_page_offset);
    dv__tcw_field(t, 12, DV__TC_STRUCT);
    dv__tcw_struct_begin(t); /* Statistics */
    if (ch->null_count >= 0) dv__tcw_i64_field(t, 3, ch->null_count);
    if (ch->has_minmax) {
        dv__tcw_binary_field(t, 5, w->statpool.p + ch->max_off, ch->max_len);
        dv__tcw_binary_field(t, 6, w->statpool.p + ch->min_off, ch->min_len);
    }
    dv__tcw_struct_end(t);
    dv__tcw_struct_end(t); /* ColumnMetaData */
    dv__tcw_struct_end(t); /* ColumnChunk */
}

/* A schema element of a copy as the source had it (what datavet reads of it: type, width,
 * repetition, name, children, converted type with a DECIMAL's scale and precision, field id,
 * LogicalType verbatim). */
static void put_elem(dv__tc_writer *t, const dv__pq_schema_elem *e)
{
    dv__tcw_struct_begin(t);
    if (e->type >= 0) dv__tcw_i32_field(t, 1, e->type);
    if (e->type == DV_PQ_FIXED_LEN_BYTE_ARRAY) dv__tcw_i32_field(t, 2, e->type_length);
    if (e->repetition >= 0) dv__tcw_i32_field(t, 3, e->repetition);
    dv__tcw_binary_field(t, 4, e->name.p, e->name.len);
    if (e->num_children >= 0) dv__tcw_i32_field(t, 5, e->num_children);
    if (e->converted_type >= 0) {
        dv__tcw_i32_field(t, 6, e->converted_type);
        if (e->converted_type == DV__PQ_CT_DECIMAL) {
            dv__tcw_i32_field(t, 7, e->scale);
            dv__tcw_i32_field(t, 8, e->precision);
        }
    }
    if (e->has_field_id) dv__tcw_i32_field(t, 9, e->field_id);
    if (e->logical.set) {
        dv__tcw_field(t, 10, DV__TC_STRUCT);
        dv__buf_put(t->out, e->logical.p, e->logical.len);
    }
    dv__tcw_struct_end(t);
}

static int write_footer(dv_parquet_writer *w)
{
    dv__buf *b = &w->hdr;
    dv__tc_writer t;
    uint8_t len4[4];
    b->len = 0;
    dv__tcw_init(&t, b);
    dv__tcw_i32_field(&t, 1, 1);
    dv__tcw_field(&t, 2, DV__TC_LIST);
    if (w->copy) {
        dv__tcw_list(&t, DV__TC_STRUCT, w->nschema);
        for (uint32_t i = 0; i < w->nschema; i++) put_elem(&t, &w->schema[i]);
    } else {
        dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)(schema_elements(w) + 1));
        dv__tcw_struct_begin(&t);
        dv__tcw_binary_field(&t, 4, "schema", 6);
        dv__tcw_i32_field(&t, 5, schema_children(w, &t, 0, 0, 0));
        dv__tcw_struct_end(&t);
        (void)schema_children(w, &t, 0, 0, 1);
    }
    dv__tcw_i64_field(&t, 3, (int64_t)w->total_rows);
    dv__tcw_field(&t, 4, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)w->ngroups);
    for (size_t g = 0; g < w->ngroups; g++) {
        const wgroup *gr = &w->groups[g];
        int64_t total_u = 0, total_c = 0;
        for (size_t i = 0; i < w->ncols; i++) {
            total_u += gr->chunks[i].uncompressed;
            total_c += gr->chunks[i].compressed;
        }
        dv__tcw_struct_begin(&t);
        dv__tcw_field(&t, 1, DV__TC_LIST);
        dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)w->ncols);
        for (size_t i = 0; i < w->ncols; i++) put_chunk(w, &t, &w->cols[i], &gr->chunks[i]);
        dv__tcw_i64_field(&t, 2, total_u);
        dv__tcw_i64_field(&t, 3, gr->num_rows);
        if (w->ncols) dv__tcw_i64_field(&t, 5, gr->chunks[0].start);
        dv__tcw_i64_field(&t, 6, total_c);
        dv__tcw_field(&t, 7, DV__TC_I16);
        dv__tcw_zigzag(&t, (int64_t)(g < INT16_MAX ? g : INT16_MAX));
        dv__tcw_struct_end(&t);
    }
    if (w->nkv > 0) {
        dv__tcw_field(&t, 5, DV__TC_LIST);
        dv__tcw_list(&t, DV__TC_STRUCT, w->nkv);
        for (uint32_t i = 0; i < w->nkv; i++) {
            dv__tcw_struct_begin(&t); /* KeyValue */
            dv__tcw_binary_field(&t, 1, w->kv[i].key.p, w->kv[i].key.len);
            if (w->kv[i].value.set)
                dv__tcw_binary_field(&t, 2, w->kv[i].value.p, w->kv[i].value.len);
            dv__tcw_struct_end(&t);
        }
    }
    dv__tcw_binary_field(&t, 6, w->created_by, strlen(w->created_by));
    /* TypeDefinedOrder for every column, so readers trust min_value / max_value */
    dv__tcw_field(&t, 7, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        dv__tcw_struct_begin(&t);
        dv__tcw_field(&t, 1, DV__TC_STRUCT);
        dv__tcw_struct_begin(&t);
        dv__tcw_struct_end(&t);
        dv__tcw_struct_end(&t);
    }
    dv__tcw_struct_end(&t);
    if (b->failed || b->len > UINT32_MAX) return werr(w, DV_ENOMEM, "out of memory for the footer");
    DV_FORWARD_IF_ERROR(write_bytes(w, b->p, b->len));
    len4[0] = (uint8_t)b->len;
    len4[1] = (uint8_t)(b->len >> 8);
    len4[2] = (uint8_t)(b->len >> 16);
    len4[3] = (uint8_t)(b->len >> 24);
    DV_FORWARD_IF_ERROR(write_bytes(w, len4, 4));
    return write_bytes(w, "PAR1", 4);
}

int dv_parquet_writer_close(dv_parquet_writer *w)
{
    int rc;
    if (w == NULL) return DV_EINVAL;
    if (w->failed) return w->failed;
    if (w->closed) return DV_OK;
    /* a file with no rows still gets one (empty) row group, as other writers do */
    rc = w->rows > 0 || w->ngroups == 0 ? flush_group(w) : DV_OK;
    if (rc == DV_OK) rc = write_footer(w);
    if (rc == DV_OK && fflush(w->f) != 0) rc = werr(w, DV_EIO, "write failed: %s", strerror(errno));
    if (rc == DV_OK && w->sync && dv_file_sync(fileno(w->f)) != DV_OK)
        rc = werr(w, DV_EIO, "sync failed: %s", strerror(errno));
    if (fclose(w->f) != 0 && rc == DV_OK) rc = werr(w, DV_EIO, "close failed: %s", strerror(errno));
    w->f = NULL;
    if (w->iobuf) memset(w->iobuf, 0, IOBUF_BYTES);
    if (rc != DV_OK) return rc;
    w->closed = 1;
    return DV_OK;
}

const char *dv_parquet_writer_errmsg(const dv_parquet_writer *w) { return w ? w->err : ""; }

void dv_parquet_writer_free(dv_parquet_writer *w)
{
    const dv_alloc *a;
    if (w == NULL) return;
    a = w->alloc;
    if (w->f) fclose(w->f);
    if (w->iobuf) {
        memset(w->iobuf, 0, IOBUF_BYTES);
        dv__free(a, w->iobuf);
    }
    if (!w->closed && w->created) unlink(w->path);
    for (size_t i = 0; i < w->ncols; i++) {
        dv__free(a, w->cols[i].name);
        dv__free(a, w->cols[i].logical_raw);
        dv__free(a, w->cols[i].groups);
        dv__buf_free(&w->cols[i].vals);
        dv__buf_free(&w->cols[i].lens);
        dv__buf_free(&w->cols[i].valid);
        dv__buf_free(&w->cols[i].reps);
    }
    dv__free(a, w->schema);
    dv__free(a, w->schema_bytes);
    dv__free(a, w->parent);
    dv__free(a, w->cdata);
    dv__free(a, w->kv);
    dv__free(a, w->kv_bytes);
    dv__free(a, w->kvtmp_off);
    dv__buf_free(&w->kvpool);
    dv__buf_free(&w->kvtmp);
    for (size_t g = 0; g < w->ngroups; g++) dv__free(a, w->groups[g].chunks);
    dv__free(a, w->groups);
    dv__free(a, w->cols);
    dv__free(a, w->rowvals);
    dv__buf_free(&w->statpool);
    dv__buf_free(&w->page);
    dv__buf_free(&w->comp);
    dv__buf_free(&w->hdr);
    dv__buf_free(&w->tmp);
    dv__free(a, w->ix);
    dv__free(a, w->slots);
    dv__free(a, w->created_by);
    dv__free(a, w->path);
    dv__free(a, w);
}
