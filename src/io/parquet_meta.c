/* parquet_meta.c - decodes the Parquet footer (FileMetaData and what it holds) and page
 * headers from thrift compact bytes; unknown or mistyped fields are skipped, counts bounded. */
#include "parquet_internal.h"

#include <string.h>

typedef struct meta_ctx {
    dv__tc_reader *r;
    const dv_alloc *alloc;
    uint64_t budget;    /* bytes the decoded footer may still take (meta_calloc) */
    uint64_t chunk_kv;  /* key and value bytes of the column chunks' key_value_metadata so far */
} meta_ctx;

/* The decoded footer's arrays are sized by counts the footer gives: each is at most the bytes
 * left (an element takes one or more), but a decoded element is many times its encoding, so
 * they draw on one budget too: 16 times the footer's bytes, and 1 MiB (a footer of 64 MiB,
 * the reader's default limit, may then decode into 1 GiB at most). */
#define META_BUDGET(len) (16 * (uint64_t)(len) + ((uint64_t)1 << 20))

static const char TOO_BIG[] = "the footer's counts would decode into more than 16 times its bytes";

static void *meta_calloc(meta_ctx *m, uint32_t n, size_t size, const char *what)
{
    uint64_t want = (uint64_t)(n ? n : 1) * size;
    if (want > m->budget) {
        m->r->why = what;
        return NULL;
    }
    m->budget -= want;
    return dv__calloc(m->alloc, n ? n : 1, size);
}

#define FIELD_LOOP_BEGIN(r)                                                                        \
    int16_t last_ = 0, id;                                                                         \
    uint8_t ft;                                                                                    \
    DV_FORWARD_IF_ERROR(dv__tc_enter(r));                                                          \
    for (;;) {                                                                                     \
        DV_FORWARD_IF_ERROR(dv__tc_field((r), &last_, &id, &ft));                                  \
        if (ft == DV__TC_STOP) break;

#define FIELD_LOOP_END(r)                                                                          \
    }                                                                                              \
    dv__tc_leave(r);

static int is_int(uint8_t ft) { return ft == DV__TC_I32 || ft == DV__TC_I16 || ft == DV__TC_BYTE; }

static int rd_i32(dv__tc_reader *r, uint8_t ft, int32_t *out)
{
    if (ft == DV__TC_BYTE) {
        if (r->p >= r->end) {
            r->why = "thrift byte truncated";
            return DV_ECORRUPT;
        }
        *out = (int8_t)*r->p++;
        return DV_OK;
    }
    return dv__tc_i32(r, out);
}

static int rd_bytes(dv__tc_reader *r, dv__pq_bytes *b)
{
    DV_FORWARD_IF_ERROR(dv__tc_binary(r, &b->p, &b->len));
    b->set = 1;
    return DV_OK;
}

static int parse_stats(dv__tc_reader *r, dv__pq_stats *s)
{
    dv__pq_bytes old_min = {0}, old_max = {0};
    memset(s, 0, sizeof(*s));
    s->null_count = -1;
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_BINARY && id == 1) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &old_max));
    } else if (ft == DV__TC_BINARY && id == 2) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &old_min));
    } else if (ft == DV__TC_I64 && id == 3) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &s->null_count));
    } else if (ft == DV__TC_BINARY && id == 5) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &s->max_value));
    } else if (ft == DV__TC_BINARY && id == 6) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &s->min_value));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (!s->min_value.set) s->min_value = old_min;
    if (!s->max_value.set) s->max_value = old_max;
    return DV_OK;
}

/* TimestampType / TimeType {1: isAdjustedToUTC, 2: unit (union 1 MILLIS, 2 MICROS, 3 NANOS)}
 * and IntType {1: bitWidth, 2: isSigned}: what a value means, for printing. */
static int parse_time_unit(dv__tc_reader *r, dv__pq_schema_elem *e)
{
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_STRUCT && id >= 1 && id <= 3 && e->time_unit == 0) e->time_unit = id;
    DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    FIELD_LOOP_END(r)
    return DV_OK;
}

static int parse_logical_member(dv__tc_reader *r, int16_t kind, dv__pq_schema_elem *e)
{
    FIELD_LOOP_BEGIN(r)
    if ((kind == 7 || kind == 8) && id == 1 && (ft == DV__TC_TRUE || ft == DV__TC_FALSE)) {
        e->utc_adjusted = ft == DV__TC_TRUE;
    } else if ((kind == 7 || kind == 8) && id == 2 && ft == DV__TC_STRUCT) {
        DV_FORWARD_IF_ERROR(parse_time_unit(r, e));
    } else if (kind == 10 && id == 1 && is_int(ft)) {
        int32_t bits;
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &bits));
        e->int_bits = bits;
    } else if (kind == 10 && id == 2 && (ft == DV__TC_TRUE || ft == DV__TC_FALSE)) {
        e->int_signed = ft == DV__TC_TRUE;
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    return DV_OK;
}

/* The LogicalType union: remember which member is set and the struct's bytes verbatim. */
static int parse_logical(dv__tc_reader *r, dv__pq_schema_elem *e)
{
    const uint8_t *start = r->p;
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_STRUCT && e->logical_kind == 0) {
        e->logical_kind = id;
        DV_FORWARD_IF_ERROR(parse_logical_member(r, id, e));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    e->logical.p = start;
    e->logical.len = (uint32_t)(r->p - start);
    e->logical.set = 1;
    return DV_OK;
}

static int parse_schema_elem(dv__tc_reader *r, dv__pq_schema_elem *e)
{
    memset(e, 0, sizeof(*e));
    e->type = -1;
    e->repetition = -1;
    e->num_children = -1;
    e->converted_type = -1;
    e->int_signed = -1;
    {
        FIELD_LOOP_BEGIN(r)
        if (is_int(ft) && id == 1) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->type));
        } else if (is_int(ft) && id == 2) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->type_length));
        } else if (is_int(ft) && id == 3) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->repetition));
        } else if (ft == DV__TC_BINARY && id == 4) {
            DV_FORWARD_IF_ERROR(rd_bytes(r, &e->name));
        } else if (is_int(ft) && id == 5) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->num_children));
        } else if (is_int(ft) && id == 6) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->converted_type));
        } else if (is_int(ft) && id == 7) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->scale));
        } else if (is_int(ft) && id == 8) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->precision));
        } else if (is_int(ft) && id == 9) {
            DV_FORWARD_IF_ERROR(rd_i32(r, ft, &e->field_id));
            e->has_field_id = 1;
        } else if (ft == DV__TC_STRUCT && id == 10) {
            DV_FORWARD_IF_ERROR(parse_logical(r, e));
        } else {
            DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
        }
        FIELD_LOOP_END(r)
    }
    if (!e->name.set) {
        r->why = "schema element without a name";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

/* KeyValue {1: required string key, 2: optional string value}; as in thrift's generated
 * readers, a field of another wire type is skipped, so a mistyped value is no value. */
static int parse_kv(dv__tc_reader *r, dv__pq_kv *kv, int chunk)
{
    memset(kv, 0, sizeof(*kv));
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_BINARY && id == 1) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &kv->key));
    } else if (ft == DV__TC_BINARY && id == 2) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &kv->value));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (!kv->key.set) {
        r->why = chunk ? "column chunk key_value_metadata entry without a key"
                       : "key_value_metadata entry without a key";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

/* A list<KeyValue>: the footer's (chunk 0) or a column chunk's, whose bytes also count towards
 * all column chunks' together (m->chunk_kv). The entries point into the footer. */
static int parse_kv_list(meta_ctx *m, int chunk, dv__pq_kv **out, uint32_t *nout)
{
    dv__tc_reader *r = m->r;
    uint64_t bytes = 0;
    uint8_t et;
    uint32_t n;
    DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
    if (et != DV__TC_STRUCT && n > 0) {
        r->why = chunk ? "column chunk key_value_metadata is not a list of structs"
                       : "key_value_metadata is not a list of structs";
        return DV_ECORRUPT;
    }
    if (n > DV__PQ_MAX_KV) {
        r->why = chunk ? "column chunk key_value_metadata has more than 4096 entries"
                       : "key_value_metadata has more than 4096 entries";
        return DV_ETOOBIG;
    }
    *out = meta_calloc(m, n, sizeof(**out), TOO_BIG);
    if (*out == NULL) return m->r->why == TOO_BIG ? DV_ETOOBIG : DV_ENOMEM;
    *nout = n;
    for (uint32_t i = 0; i < n; i++) {
        DV_FORWARD_IF_ERROR(parse_kv(r, &(*out)[i], chunk));
        bytes += (uint64_t)(*out)[i].key.len + (*out)[i].value.len;
        if (chunk) m->chunk_kv += (uint64_t)(*out)[i].key.len + (*out)[i].value.len;
        if (bytes > DV__PQ_MAX_KV_BYTES) {
            r->why = chunk ? "column chunk key_value_metadata holds more than 32 MiB"
                           : "key_value_metadata holds more than 32 MiB";
            return DV_ETOOBIG;
        }
        if (m->chunk_kv > DV__PQ_MAX_KV_BYTES) {
            r->why = "the column chunks' key_value_metadata holds more than 32 MiB together";
            return DV_ETOOBIG;
        }
    }
    return DV_OK;
}

static int parse_column_meta(meta_ctx *m, dv__pq_chunk *c)
{
    dv__tc_reader *r = m->r;
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &c->type));
        have |= 1;
    } else if (ft == DV__TC_LIST && id == 3) {
        uint8_t et;
        uint32_t n;
        DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
        c->path_len = n;
        for (uint32_t i = 0; i < n; i++) DV_FORWARD_IF_ERROR(dv__tc_skip(r, et));
    } else if (is_int(ft) && id == 4) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &c->codec));
        have |= 2;
    } else if (ft == DV__TC_I64 && id == 5) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &c->num_values));
        have |= 4;
    } else if (ft == DV__TC_I64 && id == 6) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &c->total_uncompressed_size));
    } else if (ft == DV__TC_I64 && id == 7) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &c->total_compressed_size));
        have |= 8;
    } else if (ft == DV__TC_LIST && id == 8 && c->kv == NULL) {
        DV_FORWARD_IF_ERROR(parse_kv_list(m, 1, &c->kv, &c->nkv));
    } else if (ft == DV__TC_I64 && id == 9) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &c->data_page_offset));
        have |= 16;
    } else if (ft == DV__TC_I64 && id == 11) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &c->dictionary_page_offset));
    } else if (ft == DV__TC_STRUCT && id == 12) {
        DV_FORWARD_IF_ERROR(parse_stats(r, &c->stats));
        c->has_stats = 1;
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 31) {
        r->why = "column metadata lacks a required field";
        return DV_ECORRUPT;
    }
    c->has_meta = 1;
    return DV_OK;
}

static int parse_chunk(meta_ctx *m, dv__pq_chunk *c)
{
    dv__tc_reader *r = m->r;
    memset(c, 0, sizeof(*c));
    c->dictionary_page_offset = -1;
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_BINARY && id == 1) {
        dv__pq_bytes b;
        DV_FORWARD_IF_ERROR(rd_bytes(r, &b));
        c->has_file_path = 1;
    } else if (ft == DV__TC_STRUCT && id == 3) {
        const uint8_t *m0 = r->p;
        DV_FORWARD_IF_ERROR(parse_column_meta(m, c));
        c->meta_raw = m0;
        c->meta_raw_len = (uint32_t)(r->p - m0);
    } else if ((ft == DV__TC_STRUCT || ft == DV__TC_BINARY) && (id == 8 || id == 9)) {
        c->crypto = 1;
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    return DV_OK;
}

static int parse_row_group(meta_ctx *m, dv__pq_row_group *g)
{
    dv__tc_reader *r = m->r;
    int have = 0;
    memset(g, 0, sizeof(*g));
    FIELD_LOOP_BEGIN(r)
    if (ft == DV__TC_LIST && id == 1 && g->columns == NULL) {
        uint8_t et;
        uint32_t n;
        DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
        if (et != DV__TC_STRUCT) {
            r->why = "row group columns are not structs";
            return DV_ECORRUPT;
        }
        g->columns = meta_calloc(m, n, sizeof(*g->columns), TOO_BIG);
        if (g->columns == NULL) return m->r->why == TOO_BIG ? DV_ETOOBIG : DV_ENOMEM;
        g->ncolumns = n;
        for (uint32_t i = 0; i < n; i++) DV_FORWARD_IF_ERROR(parse_chunk(m, &g->columns[i]));
        have |= 1;
    } else if (ft == DV__TC_I64 && id == 2) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &g->total_byte_size));
    } else if (ft == DV__TC_I64 && id == 3) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &g->num_rows));
        have |= 2;
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 3) {
        r->why = "row group lacks its columns or row count";
        return DV_ECORRUPT;
    }
    if (g->num_rows < 0) {
        r->why = "row group has a negative row count";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

/* A ColumnOrder (a union: 1 TYPE_ORDER, TypeDefinedOrder, an empty struct): 1 if it is
 * TypeDefinedOrder. */
static int parse_order(dv__tc_reader *r, int *typedef_order)
{
    *typedef_order = 0;
    FIELD_LOOP_BEGIN(r)
    *typedef_order |= id == 1 && ft == DV__TC_STRUCT;
    DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    FIELD_LOOP_END(r)
    return DV_OK;
}

/* column_orders: how many, and whether all are TypeDefinedOrder */
static int parse_orders(dv__tc_reader *r, dv__pq_file_meta *f)
{
    uint8_t et;
    uint32_t n;
    DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
    f->norders = n;
    f->orders_typedef = et == DV__TC_STRUCT;
    for (uint32_t i = 0; i < n; i++) {
        int t = 0;
        if (et == DV__TC_STRUCT) DV_FORWARD_IF_ERROR(parse_order(r, &t));
        else DV_FORWARD_IF_ERROR(dv__tc_skip(r, et));
        f->orders_typedef &= t;
    }
    return DV_OK;
}

static int parse_file_meta(meta_ctx *m, dv__pq_file_meta *f)
{
    dv__tc_reader *r = m->r;
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &f->version));
    } else if (ft == DV__TC_LIST && id == 2 && f->schema == NULL) {
        uint8_t et;
        uint32_t n;
        DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
        if (et != DV__TC_STRUCT || n == 0) {
            r->why = "schema is not a non-empty list of structs";
            return DV_ECORRUPT;
        }
        f->schema = meta_calloc(m, n, sizeof(*f->schema), TOO_BIG);
        if (f->schema == NULL) return m->r->why == TOO_BIG ? DV_ETOOBIG : DV_ENOMEM;
        f->nschema = n;
        for (uint32_t i = 0; i < n; i++) DV_FORWARD_IF_ERROR(parse_schema_elem(r, &f->schema[i]));
        have |= 1;
    } else if (ft == DV__TC_I64 && id == 3) {
        DV_FORWARD_IF_ERROR(dv__tc_i64(r, &f->num_rows));
        have |= 2;
    } else if (ft == DV__TC_LIST && id == 4 && f->row_groups == NULL) {
        uint8_t et;
        uint32_t n;
        DV_FORWARD_IF_ERROR(dv__tc_list(r, &et, &n));
        if (et != DV__TC_STRUCT && n > 0) {
            r->why = "row groups are not structs";
            return DV_ECORRUPT;
        }
        f->row_groups = meta_calloc(m, n, sizeof(*f->row_groups), TOO_BIG);
        if (f->row_groups == NULL) return m->r->why == TOO_BIG ? DV_ETOOBIG : DV_ENOMEM;
        /* counted as we go, so a failure half way frees what was parsed; the file's rows
         * (the sum, as readers number them) must fit an i64 as FileMetaData.num_rows does:
         * summed in uint64_t, counts past it wrapped to a total of a few rows */
        uint64_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            f->nrow_groups = i + 1;
            DV_FORWARD_IF_ERROR(parse_row_group(m, &f->row_groups[i]));
            total += (uint64_t)f->row_groups[i].num_rows;
            if (total > (uint64_t)INT64_MAX) {
                r->why = "row groups' row counts add up past 2^63";
                return DV_ECORRUPT;
            }
        }
        have |= 4;
    } else if (ft == DV__TC_LIST && id == 5 && f->kv == NULL) {
        DV_FORWARD_IF_ERROR(parse_kv_list(m, 0, &f->kv, &f->nkv));
    } else if (ft == DV__TC_BINARY && id == 6) {
        DV_FORWARD_IF_ERROR(rd_bytes(r, &f->created_by));
    } else if (ft == DV__TC_LIST && id == 7) {
        DV_FORWARD_IF_ERROR(parse_orders(r, f));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 7) {
        r->why = "file metadata lacks its schema, row count or row groups";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

void dv__pq_meta_free(dv__pq_file_meta *m, const dv_alloc *alloc)
{
    if (m->row_groups) {
        for (uint32_t i = 0; i < m->nrow_groups; i++) {
            const dv__pq_row_group *g = &m->row_groups[i];
            if (g->columns)
                for (uint32_t c = 0; c < g->ncolumns; c++) dv__free(alloc, g->columns[c].kv);
            dv__free(alloc, g->columns);
        }
    }
    dv__free(alloc, m->row_groups);
    dv__free(alloc, m->schema);
    dv__free(alloc, m->kv);
    memset(m, 0, sizeof(*m));
}

int dv__pq_parse_footer(const uint8_t *p, size_t len, const dv_alloc *alloc, dv__pq_file_meta *out,
                        const char **why, size_t *at)
{
    dv__tc_reader r;
    meta_ctx m;
    int rc;
    memset(out, 0, sizeof(*out));
    dv__tc_init(&r, p, len);
    m.r = &r;
    m.alloc = alloc;
    m.budget = META_BUDGET(len);
    m.chunk_kv = 0;
    rc = parse_file_meta(&m, out);
    if (rc != DV_OK) {
        *why = r.why ? r.why : (rc == DV_ENOMEM ? "out of memory" : "bad file metadata");
        if (at) *at = (size_t)(r.p - p);
        dv__pq_meta_free(out, alloc);
    }
    return rc;
}

/* ---------------------------------------------------------------- page headers */

static int parse_data_page_v1(dv__tc_reader *r, dv__pq_page_header *h)
{
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->num_values));
        have |= 1;
    } else if (is_int(ft) && id == 2) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->encoding));
        have |= 2;
    } else if (is_int(ft) && id == 3) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->def_encoding));
    } else if (is_int(ft) && id == 4) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->rep_encoding));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 3) {
        r->why = "data page header lacks its value count or encoding";
        return DV_ECORRUPT;
    }
    h->has_v1 = 1;
    return DV_OK;
}

static int parse_data_page_v2(dv__tc_reader *r, dv__pq_page_header *h)
{
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->num_values));
        have |= 1;
    } else if (is_int(ft) && id == 2) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->num_nulls));
    } else if (is_int(ft) && id == 3) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->num_rows));
    } else if (is_int(ft) && id == 4) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->encoding));
        have |= 2;
    } else if (is_int(ft) && id == 5) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->def_len));
        have |= 4;
    } else if (is_int(ft) && id == 6) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->rep_len));
        have |= 8;
    } else if ((ft == DV__TC_TRUE || ft == DV__TC_FALSE) && id == 7) {
        h->is_compressed = ft == DV__TC_TRUE;
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 15) {
        r->why = "data page v2 header lacks a required field";
        return DV_ECORRUPT;
    }
    h->has_v2 = 1;
    return DV_OK;
}

static int parse_dict_page(dv__tc_reader *r, dv__pq_page_header *h)
{
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->num_values));
        have |= 1;
    } else if (is_int(ft) && id == 2) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->encoding));
        have |= 2;
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 3) {
        r->why = "dictionary page header lacks its value count or encoding";
        return DV_ECORRUPT;
    }
    h->has_dict = 1;
    return DV_OK;
}

static int parse_page_header(dv__tc_reader *r, dv__pq_page_header *h)
{
    int have = 0;
    FIELD_LOOP_BEGIN(r)
    if (is_int(ft) && id == 1) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->type));
        have |= 1;
    } else if (is_int(ft) && id == 2) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->uncompressed_size));
        have |= 2;
    } else if (is_int(ft) && id == 3) {
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &h->compressed_size));
        have |= 4;
    } else if (is_int(ft) && id == 4) {
        int32_t crc;
        DV_FORWARD_IF_ERROR(rd_i32(r, ft, &crc));
        h->crc = (uint32_t)crc;
        h->has_crc = 1;
    } else if (ft == DV__TC_STRUCT && id == 5) {
        DV_FORWARD_IF_ERROR(parse_data_page_v1(r, h));
    } else if (ft == DV__TC_STRUCT && id == 7) {
        DV_FORWARD_IF_ERROR(parse_dict_page(r, h));
    } else if (ft == DV__TC_STRUCT && id == 8) {
        DV_FORWARD_IF_ERROR(parse_data_page_v2(r, h));
    } else {
        DV_FORWARD_IF_ERROR(dv__tc_skip(r, ft));
    }
    FIELD_LOOP_END(r)
    if (have != 7) {
        r->why = "page header lacks its type or sizes";
        return DV_ECORRUPT;
    }
    if (h->uncompressed_size < 0 || h->compressed_size < 0) {
        r->why = "page header has a negative size";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

int dv__pq_parse_page_header(const uint8_t *p, size_t len, dv__pq_page_header *out, size_t *used,
                             const char **why)
{
    dv__tc_reader r;
    int rc;
    memset(out, 0, sizeof(*out));
    out->is_compressed = 1;
    dv__tc_init(&r, p, len);
    rc = parse_page_header(&r, out);
    if (rc != DV_OK) {
        *why = r.why ? r.why : "bad page header";
        return rc;
    }
    *used = (size_t)(r.p - p);
    return DV_OK;
}
