/* pq_gen.h - test helper: writes small Parquet files of any nesting straight from repetition and
 * definition levels (one row group, one uncompressed data page v1 per column), apart from the
 * library's writer, as sources for the tests of cleaned copies of lists and maps. */
#ifndef PQ_GEN_H
#define PQ_GEN_H

#include <stddef.h>
#include <stdint.h>

/* A schema element, in the order of the file's schema list (element 0 is the root). */
typedef struct pqg_node {
    const char *name;
    int type;       /* dv_pq_type of a leaf, -1 for a group */
    int repetition; /* DV_PQ_REQUIRED, OPTIONAL or REPEATED (ignored for the root) */
    int nchildren;  /* of a group */
    int converted;  /* ConvertedType, -1 none (UTF8 0, MAP 1, MAP_KEY_VALUE 2, LIST 3) */
    int logical;    /* LogicalType member with an empty struct (1 STRING, 2 MAP, 3 LIST), 0 none */
    int field_id;   /* 0 none */
} pqg_node;

/* A leaf column's level entries and present values (entries of the column's maximum
 * definition level, in order): packed fixed-size values, or const char *const * for
 * BYTE_ARRAY, of lens[k] bytes each (binary values) or, lens NULL, strings. rep is NULL for a
 * column that is not repeated, def for one required all the way. */
typedef struct pqg_column {
    size_t n;
    const uint8_t *rep;
    const uint8_t *def;
    const void *values;
    const size_t *lens;
} pqg_column;

/* Write path: schema[0 .. nschema) and one row group of `rows` rows. 0 on success. */
int pqg_write(const char *path, const pqg_node *schema, size_t nschema, const pqg_column *cols,
              size_t ncols, uint64_t rows);
/* The same with ngroups (1 to 8) row groups: cols holds ngroups * ncols columns, row group by
 * row group, and rows[g] is row group g's row count. */
int pqg_write_groups(const char *path, const pqg_node *schema, size_t nschema,
                     const pqg_column *cols, size_t ncols, size_t ngroups, const uint64_t *rows);

/* A key_value_metadata entry: value NULL for one without a value; value_len bytes of value
 * (which may hold NULs); key NULL (only to test readers) for one without a key. */
typedef struct pqg_kv {
    const char *key;
    const char *value;
    size_t value_len;
} pqg_kv;

/* Column chunks' own key_value_metadata (ColumnMetaData field 8): kv[0 .. n) in order, none
 * when n is 0. */
typedef struct pqg_chunk_kv {
    const pqg_kv *kv;
    size_t n;
} pqg_chunk_kv;

/* pqg_write_groups with chunk_kv[g * ncols + c] for column c of row group g. */
int pqg_write_groups_kv(const char *path, const pqg_node *schema, size_t nschema,
                        const pqg_column *cols, size_t ncols, size_t ngroups,
                        const uint64_t *rows, const pqg_chunk_kv *chunk_kv);

/* Three row groups of two rows, id INT64 0..5 and tags list<string> (["a"], [], null, ["b", "c"],
 * [null], ["d"]), whose column chunks carry key_value_metadata of their own: row groups 0 and 1
 * the same, id {origin: "pq_gen", novalue (no value), rows: "0-3", z: "last"} and tags
 * {tags.note: "lists of tags", empty: ""}; row group 2 id {origin: "pq_gen rg2"}, tags none. */
int pqg_write_chunk_kv(const char *path);

/* pqg_write with the footer's key_value_metadata: kv[0 .. nkv) in order. */
int pqg_write_kv(const char *path, const pqg_node *schema, size_t nschema, const pqg_column *cols,
                 size_t ncols, uint64_t rows, const pqg_kv *kv, size_t nkv);

/* pqg_write_shapes' six rows with the given key_value_metadata. */
int pqg_write_shapes_kv(const char *path, const pqg_kv *kv, size_t nkv);

/* Six rows in the shapes of real datasets: id INT64, url (a null in row 2), a list<int32>, b
 * list<string>, face_bboxes list<list<double>> (DataComp's), d map<string, string>, e
 * list<struct{a int32, b string}>, flag list<boolean> (required elements); empty and null lists,
 * null elements and nulls inside structs; field ids on id, url, a and a's element:
 *   0: url .../0, a [1,2,3], b ["x",null,"yz"], face_bboxes [[.1,.2,.3,.4],[1,2,3,4]],
 *      d {k1:v1, k2:null}, e [{1,"p"}, null, {null,"q"}], flag [true,false]
 *   1: url .../1, a [], b null, face_bboxes [], d {}, e [], flag []
 *   2: url null, a null, b [], face_bboxes null, d null, e null, flag null
 *   3: url .../3, a [null], b [null], face_bboxes [[], null, [5.5]], d {k:v}, e [{null,null}],
 *      flag [true]
 *   4: url .../4, a [7], b ["w"], face_bboxes [[1,1,1,1]], d {a:b}, e [{4,"r"}], flag []
 *   5: url .../5, a [8,9], b ["","long string here"], face_bboxes [[null]], d {z:null},
 *      e [null, null], flag [false,true,true] */
int pqg_write_shapes(const char *path);

/* Four rows of nesting at every level, required and optional: r a repeated int32 (a list
 * without annotation); s.t.l a list<struct{x int64, y list<string>}> inside a required struct s
 * and an optional one t; m a map<int32, list<int32>>; old and t2 two-level lists of old writers
 * (a repeated group named "array", one named "t2_tuple": lists of structs of one field); bin a
 * list<binary>. As JSON (DuckDB's view, t2.s a string):
 *   0: r [1,2], s.t.l [{x:10, y:["a\"b\\", null]}, {x:11, y:null}], m {1:[5,6], 2:null, 3:[]},
 *      old [{x:7},{x:8}], t2 [{s:"p"}], bin ["\0a\\\xff", null]
 *   1: r [], s.t null, m null, old [], t2 null, bin null
 *   2: r [3], s.t.l [], m {}, old [{x:9}], t2 [], bin []
 *   3: r [4], s.t.l [{x:12, y:[]}, {x:13, y:["tab\there", "nl\n"]}], m {-4:[7]}, old [{x:1}],
 *      t2 [{s:"q"},{s:"r"}], bin [""] */
int pqg_write_deep(const char *path);

#endif
