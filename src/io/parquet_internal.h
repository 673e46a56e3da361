/* parquet_internal.h - private interface between the Parquet reader, writer, thrift compact
 * protocol codec, page codecs and value encodings (src/io/parquet_*.c, thrift_compact.c). */
#ifndef DV_PARQUET_INTERNAL_H
#define DV_PARQUET_INTERNAL_H

#include "../common/common.h"

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- thrift compact protocol */

/* Compact protocol wire types (the low nibble of a field header). */
enum {
    DV__TC_STOP = 0,
    DV__TC_TRUE = 1,
    DV__TC_FALSE = 2,
    DV__TC_BYTE = 3,
    DV__TC_I16 = 4,
    DV__TC_I32 = 5,
    DV__TC_I64 = 6,
    DV__TC_DOUBLE = 7,
    DV__TC_BINARY = 8,
    DV__TC_LIST = 9,
    DV__TC_SET = 10,
    DV__TC_MAP = 11,
    DV__TC_STRUCT = 12
};

/* Nesting deeper than this is refused: no valid footer comes near it. */
#define DV__TC_MAX_DEPTH 32

/* A bounded cursor over one thrift message. Every read checks the bounds; a failed read
 * returns DV_ECORRUPT and leaves a short reason in why. */
typedef struct dv__tc_reader {
    const uint8_t *base;
    const uint8_t *p;
    const uint8_t *end;
    int depth;
    const char *why;
} dv__tc_reader;

void dv__tc_init(dv__tc_reader *r, const uint8_t *p, size_t len);
int dv__tc_varint(dv__tc_reader *r, uint64_t *out);
int dv__tc_i64(dv__tc_reader *r, int64_t *out);
int dv__tc_i32(dv__tc_reader *r, int32_t *out);
int dv__tc_binary(dv__tc_reader *r, const uint8_t **p, uint32_t *len);
/* Next field header of the current struct. *type is DV__TC_STOP at the end of the struct;
 * last_id is the struct's running field id (starts at 0). For booleans the value is in the
 * type (DV__TC_TRUE / DV__TC_FALSE). */
int dv__tc_field(dv__tc_reader *r, int16_t *last_id, int16_t *id, uint8_t *type);
/* List or set header; count is checked against the bytes left. */
int dv__tc_list(dv__tc_reader *r, uint8_t *elem_type, uint32_t *count);
/* Skip one value of the given wire type (recursion bounded by DV__TC_MAX_DEPTH). */
int dv__tc_skip(dv__tc_reader *r, uint8_t type);
/* Enter / leave a nested struct (depth accounting). */
int dv__tc_enter(dv__tc_reader *r);
void dv__tc_leave(dv__tc_reader *r);

/* A growable output buffer for thrift and page bytes, with a ceiling. */
typedef struct dv__buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max;
    const dv_alloc *alloc;
    int failed; /* sticky: DV_ENOMEM or DV_ETOOBIG once any append failed */
    int wipe;   /* zero the bytes before a block is freed or moved by growth */
} dv__buf;

void dv__buf_init(dv__buf *b, const dv_alloc *alloc, size_t max);
int dv__buf_reserve(dv__buf *b, size_t extra);
int dv__buf_put(dv__buf *b, const void *p, size_t n);
void dv__buf_free(dv__buf *b);
/* dv__realloc that, with wipe set, zeroes the old block (cap bytes) before freeing it */
void *dv__realloc_wipe(const dv_alloc *a, void *p, size_t cap, size_t n, int wipe);

/* Thrift compact writer over a dv__buf. Field ids are tracked per struct level. */
typedef struct dv__tc_writer {
    dv__buf *out;
    int16_t last[DV__TC_MAX_DEPTH];
    int depth;
} dv__tc_writer;

void dv__tcw_init(dv__tc_writer *w, dv__buf *out);
void dv__tcw_field(dv__tc_writer *w, int16_t id, uint8_t type);
void dv__tcw_bool_field(dv__tc_writer *w, int16_t id, int v);
void dv__tcw_i32_field(dv__tc_writer *w, int16_t id, int32_t v);
void dv__tcw_i64_field(dv__tc_writer *w, int16_t id, int64_t v);
void dv__tcw_binary_field(dv__tc_writer *w, int16_t id, const void *p, size_t n);
void dv__tcw_varint(dv__tc_writer *w, uint64_t v);
void dv__tcw_zigzag(dv__tc_writer *w, int64_t v);
void dv__tcw_binary(dv__tc_writer *w, const void *p, size_t n);
void dv__tcw_list(dv__tc_writer *w, uint8_t elem_type, uint32_t count);
/* A struct value: field headers inside restart from id 0. */
void dv__tcw_struct_begin(dv__tc_writer *w);
void dv__tcw_struct_end(dv__tc_writer *w); /* writes STOP */

/* ---------------------------------------------------------------- format enums (parquet.thrift) */

enum { DV__PQ_PAGE_DATA = 0, DV__PQ_PAGE_INDEX = 1, DV__PQ_PAGE_DICT = 2, DV__PQ_PAGE_DATA_V2 = 3 };

enum {
    DV__PQ_ENC_PLAIN = 0,
    DV__PQ_ENC_PLAIN_DICTIONARY = 2,
    DV__PQ_ENC_RLE = 3,
    DV__PQ_ENC_BIT_PACKED = 4,
    DV__PQ_ENC_DELTA_BINARY_PACKED = 5,
    DV__PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    DV__PQ_ENC_DELTA_BYTE_ARRAY = 7,
    DV__PQ_ENC_RLE_DICTIONARY = 8,
    DV__PQ_ENC_BYTE_STREAM_SPLIT = 9
};

enum {
    DV__PQ_CT_UTF8 = 0,
    DV__PQ_CT_DECIMAL = 5,
    DV__PQ_CT_UINT_8 = 11,
    DV__PQ_CT_UINT_64 = 14,
    DV__PQ_CT_INTERVAL = 21
};

/* ---------------------------------------------------------------- metadata */

/* Byte ranges point into the footer buffer, which outlives the metadata. */
typedef struct dv__pq_bytes {
    const uint8_t *p;
    uint32_t len;
    int set;
} dv__pq_bytes;

typedef struct dv__pq_stats {
    dv__pq_bytes min_value; /* field 6, or the deprecated field 2 */
    dv__pq_bytes max_value; /* field 5, or the deprecated field 1 */
    int64_t null_count;     /* -1 when absent */
} dv__pq_stats;

typedef struct dv__pq_schema_elem {
    int32_t type; /* -1 for groups */
    int32_t type_length;
    int32_t repetition; /* -1 absent */
    dv__pq_bytes name;
    int32_t num_children;   /* -1 absent (a leaf) */
    int32_t converted_type; /* -1 absent */
    int32_t scale;
    int32_t precision;
    dv__pq_bytes logical; /* the encoded LogicalType struct, verbatim */
    int32_t logical_kind; /* the LogicalType union member id, 0 absent */
    int32_t time_unit;    /* TIMESTAMP/TIME: 1 millis, 2 micros, 3 nanos; 0 absent */
    int utc_adjusted;     /* TIMESTAMP/TIME isAdjustedToUTC */
    int32_t int_bits;     /* INTEGER bitWidth, 0 absent */
    int int_signed;       /* INTEGER isSigned, -1 absent */
    int32_t field_id;
    int has_field_id;
} dv__pq_schema_elem;

/* A KeyValue of key_value_metadata (the footer's, a column chunk's); value.set is 0 for an
 * entry without one. */
typedef struct dv__pq_kv {
    dv__pq_bytes key;
    dv__pq_bytes value;
} dv__pq_kv;

typedef struct dv__pq_chunk {
    int has_meta;
    int has_file_path;
    int32_t type;
    int32_t codec;
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 absent */
    uint32_t path_len;
    dv__pq_stats stats;
    int has_stats;
    int crypto; /* crypto_metadata or encrypted_column_metadata present */
    /* the ColumnMetaData struct's bytes as the footer has them (its fields and STOP), for
     * copies that write a chunk's bytes as they are (dv__pq_raw_chunk) */
    const uint8_t *meta_raw;
    uint32_t meta_raw_len;
    uint32_t nkv; /* ColumnMetaData.key_value_metadata (field 8), in file order */
    dv__pq_kv *kv;
} dv__pq_chunk;

typedef struct dv__pq_row_group {
    int64_t num_rows;
    int64_t total_byte_size;
    uint32_t ncolumns;
    dv__pq_chunk *columns;
} dv__pq_row_group;

/* Bounds on key_value_metadata (a file past them is DV_ETOOBIG): Arrow, pandas and Hugging Face
 * write a few entries of up to a few MiB in the footer's for very wide tables. The same bounds
 * hold for each column chunk's entries, and for the bytes of all column chunks' together. */
#define DV__PQ_MAX_KV 4096
#define DV__PQ_MAX_KV_BYTES ((uint64_t)32 << 20)

typedef struct dv__pq_file_meta {
    int32_t version;
    int64_t num_rows;
    uint32_t nschema;
    dv__pq_schema_elem *schema;
    uint32_t nrow_groups;
    dv__pq_row_group *row_groups;
    dv__pq_bytes created_by;
    uint32_t nkv; /* key_value_metadata (field 5), in file order */
    dv__pq_kv *kv;
    /* column_orders (field 7): entries, and whether every one is TypeDefinedOrder (the
     * order min_value / max_value are written in) */
    uint32_t norders;
    int orders_typedef;
} dv__pq_file_meta;

/* Parse FileMetaData from the footer bytes. Arrays come from alloc; free with
 * dv__pq_meta_free. On failure why gets a short reason and *at (if not NULL) the offset into
 * the footer where the parse stopped. */
int dv__pq_parse_footer(const uint8_t *p, size_t len, const dv_alloc *alloc, dv__pq_file_meta *out,
                        const char **why, size_t *at);
void dv__pq_meta_free(dv__pq_file_meta *m, const dv_alloc *alloc);

typedef struct dv__pq_page_header {
    int32_t type;
    int32_t uncompressed_size;
    int32_t compressed_size;
    int has_crc;
    uint32_t crc;
    int has_v1, has_v2, has_dict;
    int32_t num_values;
    int32_t encoding;
    int32_t def_encoding; /* v1 */
    int32_t rep_encoding; /* v1 */
    int32_t num_nulls;    /* v2 */
    int32_t num_rows;     /* v2 */
    int32_t def_len;      /* v2 */
    int32_t rep_len;      /* v2 */
    int is_compressed;    /* v2, default 1 */
} dv__pq_page_header;

/* Parse a PageHeader at p; *used gets its encoded length. */
int dv__pq_parse_page_header(const uint8_t *p, size_t len, dv__pq_page_header *out, size_t *used,
                             const char **why);

/* ---------------------------------------------------------------- copies (reader to writer) */

/* One leaf column of a row group with its levels, whatever its nesting (what
 * dv_parquet_writer_copy_row_group copies): the public dv_parquet_levels. */
typedef dv_parquet_levels dv__pq_column_data;

/* Leaf col of row group rg into slot `slot` of the reader (the slots of
 * dv_parquet_reader_read_row_group's batches: reading that slot again invalidates out). The
 * levels are checked: entries split at repetition level 0 into exactly the row group's rows,
 * and an entry that continues a list at level k has that list present (definition level at
 * least that of the k-th repeated field), as has the entry before it. */
/* A column chunk as the file holds it, for a copy that writes it unchanged: its bytes (valid
 * until r reads again), where they start in the file, and its ColumnMetaData as the footer
 * has it. DV_EFORMAT when it cannot be copied so: encrypted, in another file, a codec the
 * reader does not take, or pages (headers walked, nothing decompressed) that do not fill
 * the chunk exactly or hold other than its num_values. */
typedef struct dv__pq_raw {
    const uint8_t *bytes;
    uint64_t len;
    uint64_t start;
    int64_t uncompressed;
    const uint8_t *meta; /* the ColumnMetaData struct's fields and STOP */
    size_t meta_len;
    int orders_typedef; /* the file's column_orders are TypeDefinedOrder for every column */
} dv__pq_raw;
int dv__pq_raw_chunk(dv_parquet_reader *r, size_t rg, size_t col, dv__pq_raw *out);

int dv__pq_read_column(dv_parquet_reader *r, size_t rg, size_t col, size_t slot,
                       dv__pq_column_data *out);
/* The reader's file metadata, for a writer that copies its schema tree. */
const dv__pq_file_meta *dv__pq_reader_meta(const dv_parquet_reader *r);

/* ---------------------------------------------------------------- codecs */

/* Decompress exactly dstlen bytes; anything else is corruption. */
int dv__pq_decompress(int codec, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      const char **why);
/* Whether the writer can produce this codec. */
int dv__pq_codec_writable(int codec);
size_t dv__pq_compress_bound(int codec, size_t n);
/* wipe: the compressor's own state (zlib's window, zstd's context) from an allocator that
 * zeroes what it frees */
int dv__pq_compress(int codec, int level, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                    size_t *outlen, int wipe);
/* CRC-32 of a page (zlib's crc32 from 0): the PCLMUL path where dv__cpu_has_pclmul(), else zlib. */
uint32_t dv__pq_crc32(const uint8_t *p, size_t n);
/* Builds with DV_HAVE_X86_SIMD only (the library and the unit tests; src/io/crc32_pclmul.c,
 * -mpclmul -msse4.1): zlib's crc32(crc, p, n) by carry-less multiplication, for any n (tails
 * go through zlib); call only where dv__cpu_has_pclmul(). The folding and Barrett constants,
 * in the order x^575, x^511, x^191, x^127, x^95, x^63 mod P, mu, P (see crc32_pclmul.c). */
#define DV__CRC32_PCLMUL_NCONSTS 8
uint32_t dv__crc32_pclmul(uint32_t crc, const uint8_t *p, size_t n);
extern const uint64_t dv__crc32_pclmul_consts[DV__CRC32_PCLMUL_NCONSTS];

/* ---------------------------------------------------------------- encodings */

/* RLE / bit-packed hybrid decoder over [p, end), bit width 0..32. */
typedef struct dv__rle {
    const uint8_t *p;
    const uint8_t *end;
    unsigned bw;
    uint32_t rle_left;
    uint32_t rle_value;
    uint32_t bp_left;  /* values left in the current bit-packed run */
    const uint8_t *bp; /* start of the run's bytes */
    uint64_t bp_bit;   /* next bit inside the run */
    uint64_t bp_bits;  /* bits available inside the run */
} dv__rle;

void dv__rle_init(dv__rle *d, const uint8_t *p, size_t len, unsigned bw);
int dv__rle_get(dv__rle *d, uint32_t *out, size_t n);

/* Encode n values of bit width bw (0..32) as RLE / bit-packed hybrid (no length prefix). */
int dv__rle_encode(dv__buf *out, const uint32_t *v, size_t n, unsigned bw);

/* DELTA_BINARY_PACKED: decode count values (count <= the header's total; *total_out gets the
 * header's total). *used: bytes consumed, meaningful when count == total. */
int dv__delta_decode(const uint8_t *p, size_t len, uint64_t *out, size_t count, uint64_t *total_out,
                     size_t *used, const char **why);
/* Only the header's value count, to size the output before decoding. */
int dv__delta_count(const uint8_t *p, size_t len, uint64_t *total_out);

/* LSB-first bit unpacking of value i (bit width bw <= 64) from a buffer of len bytes;
 * the caller has checked (i+1)*bw <= len*8. */
uint64_t dv__bits_get(const uint8_t *p, size_t len, uint64_t bitpos, unsigned bw);

#endif
