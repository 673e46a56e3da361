/* pq_gen.c - test helper: Parquet files written straight from levels (see pq_gen.h), with the
 * thrift and RLE encoders of src/io but none of the writer's code. */
#include "pq_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"
#include "io/parquet_internal.h"

typedef struct leaf {
    size_t elem;
    int max_def, max_rep;
    size_t path[64];
    size_t npath;
} leaf;

/* Depth first over the tree: each leaf's element, levels and path (root left out). */
static int walk(const pqg_node *s, size_t ns, size_t *i, size_t *stack, size_t depth, int def,
                int rep, leaf *out, size_t *nl, size_t cap)
{
    size_t me = (*i)++;
    if (me >= ns || depth >= 64) return -1;
    if (s[me].repetition == DV_PQ_OPTIONAL) def++;
    if (s[me].repetition == DV_PQ_REPEATED) def++, rep++;
    stack[depth] = me;
    if (s[me].type < 0) {
        for (int k = 0; k < s[me].nchildren; k++)
            if (walk(s, ns, i, stack, depth + 1, def, rep, out, nl, cap) != 0) return -1;
        return 0;
    }
    if (*nl >= cap) return -1;
    out[*nl].elem = me;
    out[*nl].max_def = def;
    out[*nl].max_rep = rep;
    memcpy(out[*nl].path, stack, (depth + 1) * sizeof(size_t));
    out[*nl].npath = depth + 1;
    (*nl)++;
    return 0;
}

static unsigned width_for(int max)
{
    unsigned b = 0;
    while ((1u << b) <= (unsigned)max) b++;
    return b;
}

static void levels(dv__buf *pg, const uint8_t *lv, size_t n, int max)
{
    uint32_t *v = calloc(n + 1, sizeof *v);
    size_t at;
    uint32_t len;
    for (size_t i = 0; i < n; i++) v[i] = lv[i];
    dv__buf_put(pg, "\0\0\0\0", 4);
    at = pg->len;
    dv__rle_encode(pg, v, n, width_for(max));
    len = (uint32_t)(pg->len - at);
    memcpy(pg->p + at - 4, &len, 4);
    free(v);
}

int pqg_write(const char *path, const pqg_node *schema, size_t nschema, const pqg_column *cols,
              size_t ncols, uint64_t rows)
{
    return pqg_write_groups(path, schema, nschema, cols, ncols, 1, &rows);
}

static int write_file(const char *path, const pqg_node *schema, size_t nschema,
                      const pqg_column *cols, size_t ncols, size_t ngroups, const uint64_t *rows,
                      const pqg_kv *kv, size_t nkv, const pqg_chunk_kv *ckv);

int pqg_write_kv(const char *path, const pqg_node *schema, size_t nschema, const pqg_column *cols,
                 size_t ncols, uint64_t rows, const pqg_kv *kv, size_t nkv)
{
    return write_file(path, schema, nschema, cols, ncols, 1, &rows, kv, nkv, NULL);
}

int pqg_write_groups(const char *path, const pqg_node *schema, size_t nschema,
                     const pqg_column *cols, size_t ncols, size_t ngroups, const uint64_t *rows)
{
    return write_file(path, schema, nschema, cols, ncols, ngroups, rows, NULL, 0, NULL);
}

int pqg_write_groups_kv(const char *path, const pqg_node *schema, size_t nschema,
                        const pqg_column *cols, size_t ncols, size_t ngroups,
                        const uint64_t *rows, const pqg_chunk_kv *chunk_kv)
{
    return write_file(path, schema, nschema, cols, ncols, ngroups, rows, NULL, 0, chunk_kv);
}

/* A list<KeyValue> field (FileMetaData 5, ColumnMetaData 8). */
static void kv_field(dv__tc_writer *t, int16_t id, const pqg_kv *kv, size_t nkv)
{
    dv__tcw_field(t, id, DV__TC_LIST);
    dv__tcw_list(t, DV__TC_STRUCT, (uint32_t)nkv);
    for (size_t k = 0; k < nkv; k++) {
        dv__tcw_struct_begin(t);
        if (kv[k].key) dv__tcw_binary_field(t, 1, kv[k].key, strlen(kv[k].key));
        if (kv[k].value) dv__tcw_binary_field(t, 2, kv[k].value, kv[k].value_len);
        dv__tcw_struct_end(t);
    }
}

static int write_file(const char *path, const pqg_node *schema, size_t nschema,
                      const pqg_column *cols, size_t ncols, size_t ngroups, const uint64_t *rows,
                      const pqg_kv *kv, size_t nkv, const pqg_chunk_kv *ckv)
{
    leaf lv[64];
    size_t nl = 0, i = 1, stack[64];
    int64_t offs[8][64], sizes[8][64];
    uint64_t total = 0;
    dv__buf file, pg, hdr;
    dv__tc_writer t;
    FILE *f;
    int ok;
    for (int k = 0; k < schema[0].nchildren; k++)
        if (walk(schema, nschema, &i, stack, 0, 0, 0, lv, &nl, 64) != 0) return -1;
    if (nl != ncols || i != nschema || ngroups < 1 || ngroups > 8) return -1;
    dv__buf_init(&file, NULL, (size_t)1 << 30);
    dv__buf_init(&pg, NULL, (size_t)1 << 30);
    dv__buf_init(&hdr, NULL, (size_t)1 << 30);
    dv__buf_put(&file, "PAR1", 4);
    for (size_t gc = 0; gc < ngroups * ncols; gc++) {
        size_t g = gc / ncols, c = gc % ncols;
        const pqg_column *col = &cols[gc];
        const pqg_node *e = &schema[lv[c].elem];
        size_t nv = 0;
        pg.len = 0;
        if (lv[c].max_rep > 0) levels(&pg, col->rep, col->n, lv[c].max_rep);
        if (lv[c].max_def > 0) levels(&pg, col->def, col->n, lv[c].max_def);
        for (size_t k = 0; k < col->n; k++) nv += col->def == NULL || col->def[k] == lv[c].max_def;
        if (e->type == DV_PQ_BYTE_ARRAY) {
            const char *const *sv = col->values;
            for (size_t k = 0; k < nv; k++) {
                uint32_t n = (uint32_t)(col->lens ? col->lens[k] : strlen(sv[k]));
                dv__buf_put(&pg, &n, 4);
                dv__buf_put(&pg, sv[k], n);
            }
        } else if (e->type == DV_PQ_BOOLEAN) {
            const uint8_t *bv = col->values;
            uint8_t byte = 0;
            for (size_t k = 0; k < nv; k++) {
                byte |= (uint8_t)((bv[k] & 1) << (k & 7));
                if ((k & 7) == 7 || k + 1 == nv) dv__buf_put(&pg, &byte, 1), byte = 0;
            }
        } else {
            size_t w = e->type == DV_PQ_INT32 || e->type == DV_PQ_FLOAT ? 4
                       : e->type == DV_PQ_INT96                          ? 12
                                                                         : 8;
            dv__buf_put(&pg, col->values, nv * w);
        }
        hdr.len = 0;
        dv__tcw_init(&t, &hdr);
        dv__tcw_i32_field(&t, 1, DV__PQ_PAGE_DATA);
        dv__tcw_i32_field(&t, 2, (int32_t)pg.len);
        dv__tcw_i32_field(&t, 3, (int32_t)pg.len);
        dv__tcw_field(&t, 5, DV__TC_STRUCT);
        dv__tcw_struct_begin(&t);
        dv__tcw_i32_field(&t, 1, (int32_t)col->n);
        dv__tcw_i32_field(&t, 2, DV__PQ_ENC_PLAIN);
        dv__tcw_i32_field(&t, 3, DV__PQ_ENC_RLE);
        dv__tcw_i32_field(&t, 4, DV__PQ_ENC_RLE);
        dv__tcw_struct_end(&t);
        dv__tcw_struct_end(&t);
        offs[g][c] = (int64_t)file.len;
        sizes[g][c] = (int64_t)(hdr.len + pg.len);
        dv__buf_put(&file, hdr.p, hdr.len);
        dv__buf_put(&file, pg.p ? pg.p : (const uint8_t *)"", pg.len);
    }
    /* FileMetaData */
    hdr.len = 0;
    dv__tcw_init(&t, &hdr);
    dv__tcw_i32_field(&t, 1, 1);
    dv__tcw_field(&t, 2, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)nschema);
    for (size_t k = 0; k < nschema; k++) {
        const pqg_node *e = &schema[k];
        dv__tcw_struct_begin(&t);
        if (e->type >= 0) dv__tcw_i32_field(&t, 1, e->type);
        if (k > 0) dv__tcw_i32_field(&t, 3, e->repetition);
        dv__tcw_binary_field(&t, 4, e->name, strlen(e->name));
        if (e->type < 0) dv__tcw_i32_field(&t, 5, e->nchildren);
        if (e->converted >= 0) dv__tcw_i32_field(&t, 6, e->converted);
        if (e->field_id) dv__tcw_i32_field(&t, 9, e->field_id);
        if (e->logical) {
            dv__tcw_field(&t, 10, DV__TC_STRUCT);
            dv__tcw_struct_begin(&t);
            dv__tcw_field(&t, (int16_t)e->logical, DV__TC_STRUCT);
            dv__tcw_struct_begin(&t);
            dv__tcw_struct_end(&t);
            dv__tcw_struct_end(&t);
        }
        dv__tcw_struct_end(&t);
    }
    for (size_t g = 0; g < ngroups; g++) total += rows[g];
    dv__tcw_i64_field(&t, 3, (int64_t)total);
    dv__tcw_field(&t, 4, DV__TC_LIST);
    dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)ngroups);
    for (size_t g = 0; g < ngroups; g++) {
        int64_t bytes = 0;
        dv__tcw_struct_begin(&t);
        dv__tcw_field(&t, 1, DV__TC_LIST);
        dv__tcw_list(&t, DV__TC_STRUCT, (uint32_t)ncols);
        for (size_t c = 0; c < ncols; c++) {
            bytes += sizes[g][c];
            dv__tcw_struct_begin(&t);
            dv__tcw_i64_field(&t, 2, offs[g][c]);
            dv__tcw_field(&t, 3, DV__TC_STRUCT);
            dv__tcw_struct_begin(&t);
            dv__tcw_i32_field(&t, 1, schema[lv[c].elem].type);
            dv__tcw_field(&t, 2, DV__TC_LIST);
            dv__tcw_list(&t, DV__TC_I32, 2);
            dv__tcw_zigzag(&t, DV__PQ_ENC_PLAIN);
            dv__tcw_zigzag(&t, DV__PQ_ENC_RLE);
            dv__tcw_field(&t, 3, DV__TC_LIST);
            dv__tcw_list(&t, DV__TC_BINARY, (uint32_t)lv[c].npath);
            for (size_t k = 0; k < lv[c].npath; k++) {
                const char *nm = schema[lv[c].path[k]].name;
                dv__tcw_binary(&t, nm, strlen(nm));
            }
            dv__tcw_i32_field(&t, 4, 0);
            dv__tcw_i64_field(&t, 5, (int64_t)cols[g * ncols + c].n);
            dv__tcw_i64_field(&t, 6, sizes[g][c]);
            dv__tcw_i64_field(&t, 7, sizes[g][c]);
            if (ckv && ckv[g * ncols + c].n > 0)
                kv_field(&t, 8, ckv[g * ncols + c].kv, ckv[g * ncols + c].n);
            dv__tcw_i64_field(&t, 9, offs[g][c]);
            dv__tcw_struct_end(&t);
            dv__tcw_struct_end(&t);
        }
        dv__tcw_i64_field(&t, 2, bytes);
        dv__tcw_i64_field(&t, 3, (int64_t)rows[g]);
        dv__tcw_struct_end(&t);
    }
    if (nkv > 0) kv_field(&t, 5, kv, nkv);
    dv__tcw_struct_end(&t);
    {
        uint32_t flen = (uint32_t)hdr.len;
        dv__buf_put(&file, hdr.p, hdr.len);
        dv__buf_put(&file, &flen, 4);
        dv__buf_put(&file, "PAR1", 4);
    }
    ok = !file.failed && !pg.failed && !hdr.failed;
    f = ok ? fopen(path, "wb") : NULL;
    ok = f != NULL && fwrite(file.p, 1, file.len, f) == file.len;
    if (f && fclose(f) != 0) ok = 0;
    dv__buf_free(&file);
    dv__buf_free(&pg);
    dv__buf_free(&hdr);
    return ok ? 0 : -1;
}

/* The shapes of real datasets, six rows (see pq_gen.h). */
int pqg_write_shapes(const char *path) { return pqg_write_shapes_kv(path, NULL, 0); }

int pqg_write_shapes_kv(const char *path, const pqg_kv *kv, size_t nkv)
{
    static const pqg_node s[] = {
        {"schema", -1, 0, 8, -1, 0, 0},
        {"id", DV_PQ_INT64, DV_PQ_REQUIRED, 0, -1, 0, 1},
        {"url", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 2},
        {"a", -1, DV_PQ_OPTIONAL, 1, 3, 3, 3}, /* list<int32> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_INT32, DV_PQ_OPTIONAL, 0, -1, 0, 4},
        {"b", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0}, /* list<string> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"face_bboxes", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0}, /* list<list<double>> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_DOUBLE, DV_PQ_OPTIONAL, 0, -1, 0, 0},
        {"d", -1, DV_PQ_OPTIONAL, 1, 1, 2, 0}, /* map<string, string> */
        {"key_value", -1, DV_PQ_REPEATED, 2, -1, 0, 0},
        {"key", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 1, 0},
        {"value", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"e", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0}, /* list<struct{a int32, b string}> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_OPTIONAL, 2, -1, 0, 0},
        {"a", DV_PQ_INT32, DV_PQ_OPTIONAL, 0, -1, 0, 0},
        {"b", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"flag", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0}, /* list<bool>, required elements */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BOOLEAN, DV_PQ_REQUIRED, 0, -1, 0, 0},
    };
    static const int64_t id[] = {0, 1, 2, 3, 4, 5};
    static const char *const url[] = {"https://example.test/0", "https://example.test/1",
                                      "https://example.test/3", "https://example.test/4",
                                      "https://example.test/5"};
    static const uint8_t url_d[] = {1, 1, 0, 1, 1, 1};
    static const uint8_t ab_r[] = {0, 1, 1, 0, 0, 0, 0, 0, 1};
    static const uint8_t a_d[] = {3, 3, 3, 1, 0, 2, 3, 3, 3};
    static const int32_t a_v[] = {1, 2, 3, 7, 8, 9};
    static const uint8_t b_d[] = {3, 2, 3, 0, 1, 2, 3, 3, 3};
    static const char *const b_v[] = {"x", "yz", "w", "", "long string here"};
    static const uint8_t c_r[] = {0, 2, 2, 2, 1, 2, 2, 2, 0, 0, 0, 1, 1, 0, 2, 2, 2, 0};
    static const uint8_t c_d[] = {5, 5, 5, 5, 5, 5, 5, 5, 1, 0, 3, 2, 5, 5, 5, 5, 5, 4};
    static const double c_v[] = {0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, 5.5, 1, 1, 1, 1};
    static const uint8_t d_r[] = {0, 1, 0, 0, 0, 0, 0};
    static const uint8_t dk_d[] = {2, 2, 1, 0, 2, 2, 2};
    static const char *const dk_v[] = {"k1", "k2", "k", "a", "z"};
    static const uint8_t dv_d[] = {3, 2, 1, 0, 3, 3, 2};
    static const char *const dv_v[] = {"v1", "v", "b"};
    static const uint8_t ea_d[] = {4, 2, 3, 1, 0, 3, 4, 2, 2};
    static const int32_t ea_v[] = {1, 4};
    static const uint8_t eb_d[] = {4, 2, 4, 1, 0, 3, 4, 2, 2};
    static const char *const eb_v[] = {"p", "q", "r"};
    static const uint8_t f_r[] = {0, 1, 0, 0, 0, 0, 0, 1, 1};
    static const uint8_t f_d[] = {2, 2, 1, 0, 2, 1, 2, 2, 2};
    static const uint8_t f_v[] = {1, 0, 1, 0, 1, 1};
    const pqg_column c[] = {
        {6, NULL, NULL, id, NULL},      {6, NULL, url_d, url, NULL},
        {9, ab_r, a_d, a_v, NULL},      {9, ab_r, b_d, b_v, NULL},
        {18, c_r, c_d, c_v, NULL},      {7, d_r, dk_d, dk_v, NULL},
        {7, d_r, dv_d, dv_v, NULL},     {9, ab_r, ea_d, ea_v, NULL},
        {9, ab_r, eb_d, eb_v, NULL},    {9, f_r, f_d, f_v, NULL},
    };
    return pqg_write_kv(path, s, sizeof s / sizeof s[0], c, sizeof c / sizeof c[0], 6, kv, nkv);
}

/* Nesting at every level, for the assembly of nested values (see pq_gen.h). */
int pqg_write_deep(const char *path)
{
    static const pqg_node s[] = {
        {"schema", -1, 0, 6, -1, 0, 0},
        {"r", DV_PQ_INT32, DV_PQ_REPEATED, 0, -1, 0, 0},      /* a list without annotation */
        {"s", -1, DV_PQ_REQUIRED, 1, -1, 0, 0},               /* structs around a list */
        {"t", -1, DV_PQ_OPTIONAL, 1, -1, 0, 0},
        {"l", -1, DV_PQ_REQUIRED, 1, 3, 0, 0},                /* list<struct{x, y list}> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_REQUIRED, 2, -1, 0, 0},
        {"x", DV_PQ_INT64, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"y", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"m", -1, DV_PQ_OPTIONAL, 1, 1, 2, 0},                /* map<int32, list<int32>> */
        {"key_value", -1, DV_PQ_REPEATED, 2, 2, 0, 0},
        {"key", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"value", -1, DV_PQ_OPTIONAL, 1, 3, 0, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"old", -1, DV_PQ_REQUIRED, 1, 3, 0, 0},              /* two-level list: "array" */
        {"array", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"x", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"t2", -1, DV_PQ_OPTIONAL, 1, 3, 0, 0},               /* two-level list: "<name>_tuple" */
        {"t2_tuple", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"s", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 0, 0},
        {"bin", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},              /* list<binary> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    static const uint8_t r_r[] = {0, 1, 0, 0, 0}, r_d[] = {1, 1, 0, 1, 1};
    static const int32_t r_v[] = {1, 2, 3, 4};
    static const uint8_t x_r[] = {0, 1, 0, 0, 0, 1}, x_d[] = {2, 2, 0, 1, 2, 2};
    static const int64_t x_v[] = {10, 11, 12, 13};
    static const uint8_t y_r[] = {0, 2, 1, 0, 0, 0, 1, 2}, y_d[] = {5, 4, 2, 0, 1, 3, 5, 5};
    static const char *const y_v[] = {"a\"b\\", "tab\there", "nl\n"};
    static const uint8_t k_r[] = {0, 1, 1, 0, 0, 0}, k_d[] = {2, 2, 2, 0, 1, 2};
    static const int32_t k_v[] = {1, 2, 3, -4};
    static const uint8_t v_r[] = {0, 2, 1, 1, 0, 0, 0}, v_d[] = {4, 4, 2, 3, 0, 1, 4};
    static const int32_t v_v[] = {5, 6, 7};
    static const uint8_t o_r[] = {0, 1, 0, 0, 0}, o_d[] = {1, 1, 0, 1, 1};
    static const int32_t o_v[] = {7, 8, 9, 1};
    static const uint8_t t_r[] = {0, 0, 0, 0, 1}, t_d[] = {2, 0, 1, 2, 2};
    static const char *const t_v[] = {"p", "q", "r"};
    static const uint8_t b_r[] = {0, 1, 0, 0, 0}, b_d[] = {3, 2, 0, 1, 3};
    static const char *const b_v[] = {"\0a\\\xff", ""};
    static const size_t b_l[] = {4, 0};
    const pqg_column c[] = {
        {5, r_r, r_d, r_v, NULL}, {6, x_r, x_d, x_v, NULL}, {8, y_r, y_d, y_v, NULL},
        {6, k_r, k_d, k_v, NULL}, {7, v_r, v_d, v_v, NULL}, {5, o_r, o_d, o_v, NULL},
        {5, t_r, t_d, t_v, NULL}, {5, b_r, b_d, b_v, b_l},
    };
    return pqg_write(path, s, sizeof s / sizeof s[0], c, sizeof c / sizeof c[0], 4);
}

/* Three row groups whose column chunks carry their own key_value_metadata (see pq_gen.h). */
int pqg_write_chunk_kv(const char *path)
{
    static const pqg_node s[] = {
        {"schema", -1, 0, 2, -1, 0, 0},
        {"id", DV_PQ_INT64, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"tags", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
    };
    static const pqg_kv a_id[] = {
        {"origin", "pq_gen", 6}, {"novalue", NULL, 0}, {"rows", "0-3", 3}, {"z", "last", 4}};
    static const pqg_kv a_tags[] = {{"tags.note", "lists of tags", 13}, {"empty", "", 0}};
    static const pqg_kv b_id[] = {{"origin", "pq_gen rg2", 10}};
    static const int64_t id0[] = {0, 1}, id1[] = {2, 3}, id2[] = {4, 5};
    static const uint8_t t0_r[] = {0, 0}, t0_d[] = {3, 1}, t1_r[] = {0, 0, 1}, t1_d[] = {0, 3, 3},
                         t2_r[] = {0, 0}, t2_d[] = {2, 3};
    static const char *const t0_v[] = {"a"}, *const t1_v[] = {"b", "c"}, *const t2_v[] = {"d"};
    static const uint64_t rows[] = {2, 2, 2};
    const pqg_column c[] = {
        {2, NULL, NULL, id0, NULL}, {2, t0_r, t0_d, t0_v, NULL},
        {2, NULL, NULL, id1, NULL}, {3, t1_r, t1_d, t1_v, NULL},
        {2, NULL, NULL, id2, NULL}, {2, t2_r, t2_d, t2_v, NULL},
    };
    const pqg_chunk_kv k[] = {{a_id, 4}, {a_tags, 2}, {a_id, 4}, {a_tags, 2}, {b_id, 1}, {NULL, 0}};
    return pqg_write_groups_kv(path, s, sizeof s / sizeof s[0], c, 2, 3, rows, k);
}
