/* thrift_compact.c - Apache Thrift compact protocol: a bounded, depth-limited reader that
 * skips unknown fields, a small writer, and the capped growable buffer both sides use. */
#include "parquet_internal.h"

#include <string.h>

/* ---------------------------------------------------------------- capped buffer */

void dv__buf_init(dv__buf *b, const dv_alloc *alloc, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->alloc = alloc;
    b->max = max;
}

int dv__buf_reserve(dv__buf *b, size_t extra)
{
    size_t need, ncap;
    uint8_t *np;
    if (b->failed) return b->failed;
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = DV_ETOOBIG;
        return DV_ETOOBIG;
    }
    need = b->len + extra;
    /* a reserve of 0 still gives a non-NULL buffer, so p + 0 is always valid */
    if (b->p != NULL && need <= b->cap) return DV_OK;
    if (need == 0) need = 1;
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (ncap > b->max) ncap = b->max;
    np = dv__realloc_wipe(b->alloc, b->p, b->cap, ncap, b->wipe);
    if (np == NULL) {
        b->failed = DV_ENOMEM;
        return DV_ENOMEM;
    }
    b->p = np;
    b->cap = ncap;
    return DV_OK;
}

int dv__buf_put(dv__buf *b, const void *p, size_t n)
{
    DV_FORWARD_IF_ERROR(dv__buf_reserve(b, n));
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return DV_OK;
}

void *dv__realloc_wipe(const dv_alloc *a, void *p, size_t cap, size_t n, int wipe)
{
    uint8_t *np;
    if (!wipe || p == NULL) return dv__realloc(a, p, n);
    np = dv__malloc(a, n);
    if (np == NULL) return NULL;
    memcpy(np, p, cap < n ? cap : n);
    memset(p, 0, cap);
    dv__free(a, p);
    return np;
}

void dv__buf_free(dv__buf *b)
{
    if (b->wipe && b->p) memset(b->p, 0, b->cap);
    dv__free(b->alloc, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

/* ---------------------------------------------------------------- reader */

void dv__tc_init(dv__tc_reader *r, const uint8_t *p, size_t len)
{
    r->base = p;
    r->p = p;
    r->end = p + len;
    r->depth = 0;
    r->why = NULL;
}

static int tc_fail(dv__tc_reader *r, const char *why)
{
    if (r->why == NULL) r->why = why;
    return DV_ECORRUPT;
}

int dv__tc_varint(dv__tc_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint8_t b;
        if (r->p >= r->end) return tc_fail(r, "thrift varint truncated");
        b = *r->p++;
        if (shift == 63 && (b & 0x7e)) return tc_fail(r, "thrift varint overflows 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return DV_OK;
        }
    }
    return tc_fail(r, "thrift varint too long");
}

int dv__tc_i64(dv__tc_reader *r, int64_t *out)
{
    uint64_t u;
    DV_FORWARD_IF_ERROR(dv__tc_varint(r, &u));
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return DV_OK;
}

int dv__tc_i32(dv__tc_reader *r, int32_t *out)
{
    int64_t v;
    DV_FORWARD_IF_ERROR(dv__tc_i64(r, &v));
    if (v < INT32_MIN || v > INT32_MAX) return tc_fail(r, "thrift i32 out of range");
    *out = (int32_t)v;
    return DV_OK;
}

int dv__tc_binary(dv__tc_reader *r, const uint8_t **p, uint32_t *len)
{
    uint64_t n;
    DV_FORWARD_IF_ERROR(dv__tc_varint(r, &n));
    if (n > (uint64_t)(r->end - r->p)) return tc_fail(r, "thrift string runs past the end");
    *p = r->p;
    *len = (uint32_t)n;
    r->p += n;
    return DV_OK;
}

int dv__tc_field(dv__tc_reader *r, int16_t *last_id, int16_t *id, uint8_t *type)
{
    uint8_t b, delta;
    if (r->p >= r->end) return tc_fail(r, "thrift struct truncated");
    b = *r->p++;
    *type = b & 0x0f;
    if (*type == DV__TC_STOP) {
        *id = 0;
        return DV_OK;
    }
    delta = b >> 4;
    if (delta) {
        int v = *last_id + delta;
        if (v > INT16_MAX) return tc_fail(r, "thrift field id overflows");
        *id = (int16_t)v;
    } else {
        int32_t v;
        DV_FORWARD_IF_ERROR(dv__tc_i32(r, &v));
        if (v < INT16_MIN || v > INT16_MAX) return tc_fail(r, "thrift field id out of range");
        *id = (int16_t)v;
    }
    if (*type > DV__TC_STRUCT) return tc_fail(r, "thrift field has an unknown type");
    *last_id = *id;
    return DV_OK;
}

int dv__tc_list(dv__tc_reader *r, uint8_t *elem_type, uint32_t *count)
{
    uint8_t b;
    uint64_t n;
    if (r->p >= r->end) return tc_fail(r, "thrift list truncated");
    b = *r->p++;
    *elem_type = b & 0x0f;
    n = b >> 4;
    if (n == 15) DV_FORWARD_IF_ERROR(dv__tc_varint(r, &n));
    if (*elem_type == DV__TC_STOP || *elem_type > DV__TC_STRUCT)
        return tc_fail(r, "thrift list has an unknown element type");
    /* every element takes at least one byte */
    if (n > (uint64_t)(r->end - r->p)) return tc_fail(r, "thrift list longer than its bytes");
    *count = (uint32_t)n;
    return DV_OK;
}

int dv__tc_enter(dv__tc_reader *r)
{
    if (r->depth >= DV__TC_MAX_DEPTH) return tc_fail(r, "thrift nesting too deep");
    r->depth++;
    return DV_OK;
}

void dv__tc_leave(dv__tc_reader *r) { r->depth--; }

int dv__tc_skip(dv__tc_reader *r, uint8_t type)
{
    uint64_t u;
    const uint8_t *bp;
    uint32_t n;
    int rc = DV_OK;

    switch (type) {
    case DV__TC_TRUE:
    case DV__TC_FALSE: return DV_OK; /* in a field header the value is the type */
    case DV__TC_BYTE:
        if (r->p >= r->end) return tc_fail(r, "thrift byte truncated");
        r->p++;
        return DV_OK;
    case DV__TC_I16:
    case DV__TC_I32:
    case DV__TC_I64: return dv__tc_varint(r, &u);
    case DV__TC_DOUBLE:
        if (r->end - r->p < 8) return tc_fail(r, "thrift double truncated");
        r->p += 8;
        return DV_OK;
    case DV__TC_BINARY: return dv__tc_binary(r, &bp, &n);
    case DV__TC_LIST:
    case DV__TC_SET: {
        uint8_t et;
        DV_FORWARD_IF_ERROR(dv__tc_enter(r));
        rc = dv__tc_list(r, &et, &n);
        for (uint32_t i = 0; rc == DV_OK && i < n; i++) {
            /* booleans inside a list are one byte each */
            if (et == DV__TC_TRUE || et == DV__TC_FALSE)
                rc = dv__tc_skip(r, DV__TC_BYTE);
            else
                rc = dv__tc_skip(r, et);
        }
        dv__tc_leave(r);
        return rc;
    }
    case DV__TC_MAP: {
        uint8_t kv = 0, kt, vt;
        DV_FORWARD_IF_ERROR(dv__tc_enter(r));
        rc = dv__tc_varint(r, &u);
        if (rc == DV_OK && u > (uint64_t)(r->end - r->p)) rc = tc_fail(r, "thrift map too long");
        if (rc == DV_OK && u > 0) {
            if (r->p >= r->end)
                rc = tc_fail(r, "thrift map truncated");
            else
                kv = *r->p++;
        }
        kt = kv >> 4;
        vt = kv & 15;
        if (rc == DV_OK && u > 0 &&
            (kt == 0 || kt > DV__TC_STRUCT || vt == 0 || vt > DV__TC_STRUCT))
            rc = tc_fail(r, "thrift map has an unknown type");
        for (uint64_t i = 0; rc == DV_OK && i < u; i++) {
            rc = dv__tc_skip(r, kt == DV__TC_TRUE || kt == DV__TC_FALSE ? DV__TC_BYTE : kt);
            if (rc == DV_OK)
                rc = dv__tc_skip(r, vt == DV__TC_TRUE || vt == DV__TC_FALSE ? DV__TC_BYTE : vt);
        }
        dv__tc_leave(r);
        return rc;
    }
    case DV__TC_STRUCT: {
        int16_t last = 0, id;
        uint8_t ft;
        DV_FORWARD_IF_ERROR(dv__tc_enter(r));
        for (;;) {
            rc = dv__tc_field(r, &last, &id, &ft);
            if (rc != DV_OK || ft == DV__TC_STOP) break;
            rc = dv__tc_skip(r, ft);
            if (rc != DV_OK) break;
        }
        dv__tc_leave(r);
        return rc;
    }
    default: return tc_fail(r, "thrift value has an unknown type");
    }
}

/* ---------------------------------------------------------------- writer */

void dv__tcw_init(dv__tc_writer *w, dv__buf *out)
{
    w->out = out;
    w->depth = 0;
    w->last[0] = 0;
}

static void put_byte(dv__tc_writer *w, uint8_t b) { dv__buf_put(w->out, &b, 1); }

void dv__tcw_varint(dv__tc_writer *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    dv__buf_put(w->out, tmp, n);
}

void dv__tcw_zigzag(dv__tc_writer *w, int64_t v)
{
    dv__tcw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void dv__tcw_field(dv__tc_writer *w, int16_t id, uint8_t type)
{
    int16_t last = w->last[w->depth];
    if (id > last && id - last <= 15) {
        put_byte(w, (uint8_t)(((id - last) << 4) | type));
    } else {
        put_byte(w, type);
        dv__tcw_zigzag(w, id);
    }
    w->last[w->depth] = id;
}

void dv__tcw_bool_field(dv__tc_writer *w, int16_t id, int v)
{
    dv__tcw_field(w, id, v ? DV__TC_TRUE : DV__TC_FALSE);
}

void dv__tcw_i32_field(dv__tc_writer *w, int16_t id, int32_t v)
{
    dv__tcw_field(w, id, DV__TC_I32);
    dv__tcw_zigzag(w, v);
}

void dv__tcw_i64_field(dv__tc_writer *w, int16_t id, int64_t v)
{
    dv__tcw_field(w, id, DV__TC_I64);
    dv__tcw_zigzag(w, v);
}

void dv__tcw_binary(dv__tc_writer *w, const void *p, size_t n)
{
    dv__tcw_varint(w, n);
    dv__buf_put(w->out, p, n);
}

void dv__tcw_binary_field(dv__tc_writer *w, int16_t id, const void *p, size_t n)
{
    dv__tcw_field(w, id, DV__TC_BINARY);
    dv__tcw_binary(w, p, n);
}

void dv__tcw_list(dv__tc_writer *w, uint8_t elem_type, uint32_t count)
{
    if (count < 15) {
        put_byte(w, (uint8_t)((count << 4) | elem_type));
    } else {
        put_byte(w, (uint8_t)(0xf0 | elem_type));
        dv__tcw_varint(w, count);
    }
}

void dv__tcw_struct_begin(dv__tc_writer *w)
{
    /* deeper structs than the reader accepts are never written */
    if (w->depth + 1 >= DV__TC_MAX_DEPTH) {
        w->out->failed = DV_EINVAL;
        return;
    }
    w->depth++;
    w->last[w->depth] = 0;
}

void dv__tcw_struct_end(dv__tc_writer *w)
{
    put_byte(w, DV__TC_STOP);
    if (w->depth > 0) w->depth--;
}
