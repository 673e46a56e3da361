/* fuzz_parquet.c - libFuzzer target for the Parquet reader (footer thrift, pages, codecs,
 * encodings): opens a buffer, reads every flat column of every row group; broken promises abort.
 * Half the inputs are read with opts.wipe, whose dv_parquet_reader_wipe must zero the values;
 * the others are copied with dv_parquet_reader_field and the writer (struct groups and
 * definition levels included), and as --clean copies files (dv_parquet_writer_create_copy:
 * any schema, lists and maps included, rows removed), and the copies must read back value for
 * value, with the source's footer key_value_metadata. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datavet.h"
#include "scratch_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cleanup(void)
{
    char path[640];
    snprintf(path, sizeof path, "%s/copy.parquet", dir);
    (void)unlink(path);
    (void)rmdir(dir);
}

static int same_value(const dv_parquet_value *a, const dv_parquet_value *b, dv_pq_type t)
{
    if (a->is_null || b->is_null) return a->is_null == b->is_null && a->def_level == b->def_level;
    switch (t) {
    case DV_PQ_BOOLEAN: return (a->i32 != 0) == (b->i32 != 0);
    case DV_PQ_INT32: return a->i32 == b->i32;
    case DV_PQ_INT64: return a->i64 == b->i64;
    case DV_PQ_FLOAT: return memcmp(&a->f32, &b->f32, 4) == 0;
    case DV_PQ_DOUBLE: return memcmp(&a->f64, &b->f64, 8) == 0;
    default: return a->len == b->len && (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
    }
}

/* The readable row groups of r written by the writer, then read back: the same values, nulls
 * at the same definition levels. Files the writer cannot take (repeated columns, schemas it
 * refuses) are skipped; a writer that refuses the reader's own batches aborts. */
static void copy_check(dv_parquet_reader *r, size_t ncols, const size_t *cols,
                       dv_parquet_batch *b)
{
    dv_parquet_field *f = calloc(ncols + 1, sizeof *f);
    dv_parquet_batch *b2 = calloc(ncols + 1, sizeof *b2);
    uint8_t *ok = calloc(dv_parquet_reader_num_row_groups(r) + 1, 1);
    dv_parquet_writer_opts wo;
    dv_parquet_writer *w = NULL;
    dv_parquet_reader *r2 = NULL;
    char path[640], err[512];
    uint64_t written = 0, g2 = 0, row2 = 0, rows2 = 0;
    int rc;
    if (f == NULL || b2 == NULL || ok == NULL) abort();
    for (size_t i = 0; i < ncols; i++)
        if (dv_parquet_reader_field(r, i, &f[i]) != DV_OK) goto out;
    memset(&wo, 0, sizeof wo);
    wo.row_group_rows = 5;
    wo.page_bytes = 256;
    snprintf(path, sizeof path, "%s/copy.parquet", dir);
    if (dv_parquet_writer_create(path, f, ncols, &wo, &w, err, sizeof err) != DV_OK) {
        if (err[0] == '\0' || w != NULL) abort();
        goto out;
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        if (dv_parquet_reader_read_row_group(r, g, cols, ncols, b) != DV_OK) continue;
        rc = dv_parquet_writer_write_batches(w, b, 0, b[0].rows, NULL);
        /* DV_EINVAL: a struct null in one leaf and present in another (the input's own
         * contradiction, which the writer refuses to copy) */
        if (rc == DV_ENOMEM || rc == DV_EINVAL) goto out;
        if (rc != DV_OK) abort();
        ok[g] = 1;
        written += b[0].rows;
    }
    if (dv_parquet_writer_close(w) != DV_OK) abort();
    if (dv_parquet_reader_open(path, NULL, &r2, err, sizeof err) != DV_OK) abort();
    if (dv_parquet_reader_num_rows(r2) != written || dv_parquet_reader_num_columns(r2) != ncols)
        abort();
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        if (!ok[g]) continue;
        if (dv_parquet_reader_read_row_group(r, g, cols, ncols, b) != DV_OK) abort();
        for (uint64_t k = 0; k < b[0].rows; k++) {
            if (row2 == rows2) {
                if (dv_parquet_reader_read_row_group(r2, g2, cols, ncols, b2) != DV_OK) abort();
                rows2 = b2[0].rows;
                row2 = 0;
                g2++;
            }
            for (size_t c = 0; c < ncols; c++) {
                dv_parquet_value v1, v2;
                if (dv_parquet_batch_value(&b[c], k, &v1) != DV_OK ||
                    dv_parquet_batch_value(&b2[c], row2, &v2) != DV_OK ||
                    !same_value(&v1, &v2, b[c].type))
                    abort();
            }
            row2++;
        }
    }
out:
    dv_parquet_reader_free(r2);
    dv_parquet_writer_free(w);
    free(f);
    free(b2);
    free(ok);
}

static int is_error_code(int rc)
{
    return rc == DV_ECORRUPT || rc == DV_EFORMAT || rc == DV_ETOOBIG || rc == DV_ENOMEM;
}

/* A copy with raw_groups (as --clean writes row groups nothing is removed from): each row
 * group is its chunks' bytes (their metadata rewritten, offsets moved) or, when the chunks
 * cannot be copied so, decoded as below; the copy opens with every row of the row groups
 * copied. */
static void copy_raw_check(dv_parquet_reader *r)
{
    size_t ng = dv_parquet_reader_num_row_groups(r);
    dv_parquet_writer_opts wo;
    dv_parquet_writer *w = NULL;
    dv_parquet_reader *r2 = NULL;
    char path[640], err[512];
    uint64_t kept = 0;
    memset(&wo, 0, sizeof wo);
    wo.raw_groups = 1;
    snprintf(path, sizeof path, "%s/copy.parquet", dir);
    if (dv_parquet_writer_create_copy(path, r, &wo, &w, err, sizeof err) != DV_OK) return;
    for (size_t g = 0; g < ng; g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
        int rc;
        if (rows > ((uint64_t)64 << 20)) continue;
        rc = dv_parquet_writer_copy_row_group(w, r, g, NULL);
        if (rc == DV_ENOMEM) {
            dv_parquet_writer_free(w);
            return;
        }
        if (rc == DV_OK) kept += rows;
        else if (!is_error_code(rc)) abort();
    }
    if (dv_parquet_writer_close(w) != DV_OK) abort();
    if (dv_parquet_reader_open(path, NULL, &r2, err, sizeof err) != DV_OK) abort();
    if (dv_parquet_reader_num_rows(r2) != kept) abort();
    dv_parquet_reader_free(r2);
    dv_parquet_writer_free(w);
}

static int same_kv(const dv_parquet_kv *a, const dv_parquet_kv *b)
{
    return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0 &&
           (a->value == NULL) == (b->value == NULL) && a->value_len == b->value_len &&
           (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0);
}

/* Every column chunk of row group g of a carries the key_value_metadata its column's chunk in
 * row group g2 of b does. */
static int same_chunk_kv(dv_parquet_reader *a, size_t g, dv_parquet_reader *b, size_t g2)
{
    for (size_t c = 0; c < dv_parquet_reader_num_columns(a); c++) {
        dv_parquet_chunk_info ia, ib;
        if (dv_parquet_reader_chunk(a, g, c, &ia) != DV_OK ||
            dv_parquet_reader_chunk(b, g2, c, &ib) != DV_OK)
            abort();
        if (ia.num_kv != ib.num_kv) return 0;
        for (size_t i = 0; i < ia.num_kv; i++) {
            dv_parquet_kv x, y;
            if (dv_parquet_reader_chunk_kv(a, g, c, i, &x) != DV_OK ||
                dv_parquet_reader_chunk_kv(b, g2, c, i, &y) != DV_OK)
                abort();
            if (!same_kv(&x, &y)) return 0;
        }
    }
    return 1;
}

/* A cleaned copy of any schema (dv_parquet_writer_create_copy, as --clean writes it; lists
 * and maps included), rows i % 3 == 1 removed: a row group that does not read leaves the copy
 * as it was; the copy reads back with the kept rows, and each list column one level deep with
 * the kept rows' entries, value for value. */
static void copy_any_check(dv_parquet_reader *r, int wipe)
{
    size_t ng = dv_parquet_reader_num_row_groups(r), nc = dv_parquet_reader_num_columns(r);
    uint8_t *ok = calloc(ng + 1, 1);
    uint64_t *kept_in = calloc(ng + 1, sizeof *kept_in);
    dv_parquet_writer_opts wo;
    dv_parquet_writer *w = NULL;
    dv_parquet_reader *r2 = NULL;
    char path[640], err[512];
    uint64_t kept = 0, base = 0;
    if (ok == NULL || kept_in == NULL) abort();
    memset(&wo, 0, sizeof wo);
    wo.row_group_rows = 5;
    wo.page_bytes = 256;
    wo.wipe = wipe; /* the reader wiped after each row group: the checks below read it again */
    snprintf(path, sizeof path, "%s/copy.parquet", dir);
    if (dv_parquet_writer_create_copy(path, r, &wo, &w, err, sizeof err) != DV_OK) {
        if (err[0] == '\0' || w != NULL) abort();
        goto out;
    }
    for (size_t g = 0; g < ng; g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g), k = 0;
        uint8_t *keep;
        int rc;
        if (rows > ((uint64_t)64 << 20)) {
            /* a row count only the footer claims, past what the reader's 64 MiB limit lets any
             * column decode (a row costs at least a byte): no keep array of that size (a
             * caller sizes nothing by it), and the copy must refuse the row group */
            if (nc == 0) continue;
            rc = dv_parquet_writer_copy_row_group(w, r, g, NULL);
            if (rc == DV_OK || (rc != DV_ENOMEM && !is_error_code(rc))) abort();
            base += rows;
            continue;
        }
        keep = malloc(rows + 1);
        if (keep == NULL) goto out;
        for (uint64_t i = 0; i < rows; i++) k += keep[i] = (base + i) % 3 != 1;
        rc = dv_parquet_writer_copy_row_group(w, r, g, keep);
        free(keep);
        base += rows;
        if (rc == DV_ENOMEM) goto out;
        if (rc != DV_OK) {
            if (!is_error_code(rc) || dv_parquet_writer_errmsg(w)[0] == '\0') abort();
            continue; /* the input's fault: nothing appended */
        }
        ok[g] = 1;
        kept_in[g] = k;
        kept += k;
    }
    {
        /* the one failure a copy of a readable file may have: row groups split (of 5 rows)
         * would repeat their chunks' key_value_metadata past what a reader takes */
        int rc = dv_parquet_writer_close(w);
        if (rc == DV_ETOOBIG && strstr(dv_parquet_writer_errmsg(w), "key_value_metadata")) goto out;
        if (rc != DV_OK) abort();
    }
    if (dv_parquet_reader_open(path, NULL, &r2, err, sizeof err) != DV_OK) abort();
    if (dv_parquet_reader_num_rows(r2) != kept || dv_parquet_reader_num_columns(r2) != nc) abort();
    /* the footer's key_value_metadata comes back as it was, entry for entry */
    if (dv_parquet_reader_num_kv(r2) != dv_parquet_reader_num_kv(r)) abort();
    for (size_t i = 0; i < dv_parquet_reader_num_kv(r); i++) {
        dv_parquet_kv a, b;
        if (dv_parquet_reader_kv(r, i, &a) != DV_OK || dv_parquet_reader_kv(r2, i, &b) != DV_OK)
            abort();
        if (!same_kv(&a, &b)) abort();
    }
    /* a column chunk's own key_value_metadata goes with its rows: each row group of the copy
     * carries that of every source row group whose kept rows it holds; a copy of no rows has
     * one row group, with the last copied source row group's */
    if (kept == 0) {
        size_t last = ng;
        for (size_t g = 0; g < ng; g++)
            if (ok[g]) last = g;
        if (dv_parquet_reader_num_row_groups(r2) != 1) abort();
        if (last < ng && !same_chunk_kv(r, last, r2, 0)) abort();
        for (size_t c = 0; last == ng && c < nc; c++) {
            dv_parquet_chunk_info ci;
            if (dv_parquet_reader_chunk(r2, 0, c, &ci) != DV_OK || ci.num_kv != 0) abort();
        }
    } else {
        size_t g2 = 0, ng2 = dv_parquet_reader_num_row_groups(r2);
        uint64_t left = ng2 ? dv_parquet_reader_row_group_rows(r2, 0) : 0;
        for (size_t g = 0; g < ng; g++) {
            uint64_t n = kept_in[g];
            while (n > 0) {
                uint64_t t;
                while (left == 0) {
                    if (++g2 >= ng2) abort();
                    left = dv_parquet_reader_row_group_rows(r2, g2);
                }
                if (!same_chunk_kv(r, g, r2, g2)) abort();
                t = n < left ? n : left;
                n -= t;
                left -= t;
            }
        }
    }
    for (size_t c = 0; c < nc; c++) {
        dv_parquet_column_info ci;
        dv_parquet_batch lb, lb2;
        const uint64_t *rs, *rs2;
        uint64_t e2 = 0, n2 = 0;
        size_t g2 = 0;
        if (dv_parquet_reader_column(r, c, &ci) != DV_OK || ci.max_rep != 1) continue;
        base = 0;
        for (size_t g = 0; g < ng; g++) {
            uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
            if (!ok[g]) {
                base += rows;
                continue;
            }
            if (dv_parquet_reader_read_list(r, g, c, &lb, &rs) != DV_OK) abort();
            for (uint64_t i = 0; i < rows; i++) {
                if ((base + i) % 3 == 1) continue;
                for (uint64_t e = rs[i]; e < rs[i + 1]; e++) {
                    dv_parquet_value v1, v2;
                    while (e2 == n2) {
                        if (g2 >= dv_parquet_reader_num_row_groups(r2) ||
                            dv_parquet_reader_read_list(r2, g2++, c, &lb2, &rs2) != DV_OK)
                            abort();
                        e2 = 0;
                        n2 = lb2.rows;
                    }
                    if (dv_parquet_batch_value(&lb, e, &v1) != DV_OK ||
                        dv_parquet_batch_value(&lb2, e2++, &v2) != DV_OK ||
                        !same_value(&v1, &v2, lb.type))
                        abort();
                }
            }
            base += rows;
        }
        if (e2 != n2) abort();
    }
out:
    dv_parquet_reader_free(r2);
    dv_parquet_writer_free(w);
    free(ok);
    free(kept_in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_parquet_reader_opts o;
    dv_parquet_reader *r = NULL;
    size_t ncols, nflat = 0, *cols;
    dv_parquet_batch *b;
    uint64_t *lens;
    char err[256];
    volatile uint8_t sink = 0; /* makes every byte handed out actually read */
    int rc;

    if (dir[0] == '\0') {
        scratch_make("fuzz_parquet");
        atexit(cleanup);
    }
    memset(&o, 0, sizeof(o));
    o.max_row_group_bytes = 64u << 20; /* claims of huge row groups are refused, not decoded */
    o.skip_crc = (int)(size & 1);      /* odd sizes get past CRCs into the decoders */
    o.wipe = (int)(size >> 1 & 1);     /* half the inputs: buffers zeroed on growth and free */
    err[0] = '\0';
    rc = dv_parquet_reader_open_buffer(data, size, "fuzz", &o, &r, err, sizeof(err));
    if (rc != DV_OK) {
        if (!is_error_code(rc) || err[0] == '\0' || r != NULL) abort();
        return 0;
    }
    ncols = dv_parquet_reader_num_columns(r);
    cols = calloc(ncols + 1, sizeof(*cols));
    b = calloc(ncols + 1, sizeof(*b));
    lens = calloc(ncols + 1, sizeof(*lens));
    if (cols == NULL || b == NULL || lens == NULL) abort();
    for (size_t i = 0; i < ncols; i++) {
        dv_parquet_column_info ci;
        if (dv_parquet_reader_column(r, i, &ci) != DV_OK || ci.name == NULL) abort();
        if (!ci.nested) cols[nflat++] = i;
    }
    /* the footer's key_value_metadata: every entry readable, its bytes inside the input */
    for (size_t i = 0; i < dv_parquet_reader_num_kv(r); i++) {
        dv_parquet_kv kv;
        if (dv_parquet_reader_kv(r, i, &kv) != DV_OK || kv.key == NULL) abort();
        if ((const uint8_t *)kv.key < data || (const uint8_t *)kv.key + kv.key_len > data + size)
            abort();
        if (kv.key_len) sink ^= (uint8_t)kv.key[kv.key_len - 1];
        if (kv.value_len) sink ^= (uint8_t)kv.value[0] ^ (uint8_t)kv.value[kv.value_len - 1];
    }
    /* the column chunks' own key_value_metadata likewise */
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++)
        for (size_t c = 0; c < ncols; c++) {
            dv_parquet_chunk_info ci;
            if (dv_parquet_reader_chunk(r, g, c, &ci) != DV_OK) abort();
            for (size_t i = 0; i < ci.num_kv; i++) {
                dv_parquet_kv kv;
                if (dv_parquet_reader_chunk_kv(r, g, c, i, &kv) != DV_OK || kv.key == NULL)
                    abort();
                if ((const uint8_t *)kv.key < data ||
                    (const uint8_t *)kv.key + kv.key_len > data + size ||
                    (kv.value && ((const uint8_t *)kv.value < data ||
                                  (const uint8_t *)kv.value + kv.value_len > data + size)))
                    abort();
                if (kv.key_len) sink ^= (uint8_t)kv.key[kv.key_len - 1];
                if (kv.value_len)
                    sink ^= (uint8_t)kv.value[0] ^ (uint8_t)kv.value[kv.value_len - 1];
            }
            if (dv_parquet_reader_chunk_kv(r, g, c, ci.num_kv, &(dv_parquet_kv){0}) != DV_EINVAL)
                abort();
        }
    /* list columns one level deep: entries split into the row group's rows, in order */
    for (size_t i = 0; i < ncols; i++) {
        dv_parquet_column_info ci;
        if (dv_parquet_reader_column(r, i, &ci) != DV_OK || ci.max_rep != 1) continue;
        for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
            dv_parquet_batch lb;
            const uint64_t *rs;
            uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
            rc = dv_parquet_reader_read_list(r, g, i, &lb, &rs);
            if (rc != DV_OK) {
                if (!is_error_code(rc) || dv_parquet_reader_errmsg(r)[0] == '\0') abort();
                continue;
            }
            if (rs[0] != 0 || rs[rows] != lb.rows) abort();
            for (uint64_t k = 0; k < rows; k++)
                if (rs[k + 1] <= rs[k]) abort(); /* every row has at least one entry */
            for (uint64_t e = 0; e < lb.rows; e++) {
                dv_parquet_value v;
                if (dv_parquet_batch_value(&lb, e, &v) != DV_OK) abort();
                if (!v.is_null && v.len) sink ^= v.bytes[0] ^ v.bytes[v.len - 1];
            }
        }
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        rc = dv_parquet_reader_read_row_group(r, g, cols, nflat, b);
        if (rc != DV_OK) {
            if (!is_error_code(rc) || dv_parquet_reader_errmsg(r)[0] == '\0') abort();
            continue;
        }
        for (size_t i = 0; i < nflat; i++) {
            uint64_t rows = b[i].rows, nulls = 0;
            if (rows != dv_parquet_reader_row_group_rows(r, g)) abort();
            for (uint64_t k = 0; k < rows; k++) {
                dv_parquet_value v;
                if (dv_parquet_batch_value(&b[i], k, &v) != DV_OK) abort();
                nulls += (uint64_t)v.is_null;
                if (!v.is_null && v.len) sink ^= v.bytes[0] ^ v.bytes[v.len - 1];
            }
            if (nulls != b[i].null_count) abort();
            if (b[i].type == DV_PQ_BYTE_ARRAY && b[i].offsets[0] != 0) abort();
        }
        if (o.wipe) {
            /* byte array values are copies (never the caller's buffer): all zero now (the
             * offsets too, so their lengths are taken first) */
            for (size_t i = 0; i < nflat; i++)
                lens[i] = b[i].type == DV_PQ_BYTE_ARRAY ? b[i].offsets[b[i].rows] : 0;
            dv_parquet_reader_wipe(r);
            for (size_t i = 0; i < nflat; i++)
                for (uint64_t k = 0; k < lens[i]; k++)
                    if (b[i].data[k] != 0) abort();
        }
    }
    /* every column flat or in structs (none repeated): a copy, when wipe did not zero them */
    if (!o.wipe && nflat == ncols && ncols > 0) copy_check(r, ncols, cols, b);
    if (!o.wipe) copy_any_check(r, (int)(size >> 2 & 1));
    if (!o.wipe) copy_raw_check(r);
    free(cols);
    free(b);
    free(lens);
    dv_parquet_reader_free(r);
    (void)sink;
    return 0;
}
