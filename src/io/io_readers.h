/* io_readers.h - private API of the non-Parquet dataset readers: tar/webdataset, .npy, URL lists.
 * Proposed for include/datavet.h (docs/readers-api.md); until moved there, tests include this. */
#ifndef DV_IO_READERS_H
#define DV_IO_READERS_H

#include "datavet.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Iterators (dv_tar_reader_next, dv_tar_reader_next_sample, dv_textlist_next) return
 * 1 when *out holds an item, 0 (DV_OK) at the end, and a negative DV_E* code on failure. */

/* ------------------------------------------------------------------------
 * tar archives (ustar, pax, GNU) and webdataset shards, read member by member from a file
 * descriptor or a memory buffer. Nothing is ever extracted to disk. */
#define DV_TAR_DEFAULT_MAX_MEMBER (256ull << 20) /* bytes of one member's data */
#define DV_TAR_DEFAULT_MAX_SAMPLE (1024ull << 20) /* bytes of one webdataset sample */
#define DV_TAR_DEFAULT_MAX_META (1u << 20)        /* pax header or GNU long name body */

typedef struct dv_tar_opts {
    uint64_t max_member;  /* 0: DV_TAR_DEFAULT_MAX_MEMBER; larger members are skipped */
    uint64_t max_sample;  /* 0: DV_TAR_DEFAULT_MAX_SAMPLE; larger samples fail (DV_ETOOBIG) */
    uint32_t max_meta;    /* 0: DV_TAR_DEFAULT_MAX_META; larger pax/long-name bodies are corrupt */
    int allow_no_eof;     /* accept an archive that ends at a header boundary without the
                             zero block (otherwise that is reported as truncated) */
    const dv_alloc *alloc;
} dv_tar_opts;

/* Why a member's bytes are not offered. */
typedef enum dv_tar_skip {
    DV_TAR_SKIP_NONE = 0,     /* a regular file: its data can be read */
    DV_TAR_SKIP_DIR = 1,
    DV_TAR_SKIP_SYMLINK = 2,
    DV_TAR_SKIP_HARDLINK = 3,
    DV_TAR_SKIP_DEVICE = 4,   /* character or block device */
    DV_TAR_SKIP_FIFO = 5,
    DV_TAR_SKIP_SPARSE = 6,   /* GNU 'S' or pax GNU.sparse.*: stored bytes are not the file */
    DV_TAR_SKIP_TOOBIG = 7,   /* data larger than max_member: never read into memory */
    DV_TAR_SKIP_OTHER = 8     /* volume label, multi-volume continuation, unknown type */
} dv_tar_skip;

/* "file", "directory", "symlink", "hardlink", "device", "fifo", "sparse", "too big", "other". */
const char *dv_tar_skip_name(dv_tar_skip s);

typedef struct dv_tar_member {
    const char *path;       /* NUL-terminated; pax path > GNU long name > ustar prefix/name */
    const char *linkpath;   /* "" unless a link */
    uint64_t size;          /* bytes of data stored in the archive */
    uint64_t offset;        /* archive offset of its first header block (pax/GNU blocks included) */
    uint64_t data_offset;   /* archive offset of its data */
    uint64_t end_offset;    /* archive offset after its data and padding */
    int64_t mtime;
    uint32_t mode;
    char type;              /* typeflag; '0' for a regular file (NUL and '7' normalised) */
    dv_tar_skip skip;
    const uint8_t *raw;     /* its header blocks exactly as in the archive */
    size_t raw_len;         /* a multiple of 512 */
    size_t global_len;      /* leading bytes of raw that are pax global ('g') headers */
} dv_tar_member;

/* One member of a webdataset sample. ext: after the first dot of the basename ("jpg",
 * "seg.png"; "" if none). data: NULL unless skip is DV_TAR_SKIP_NONE. */
typedef struct dv_wds_part {
    const char *ext;
    const uint8_t *data;
    dv_tar_member member;   /* path, raw and offsets of the member this part came from */
} dv_wds_part;

/* Consecutive members sharing a key: the path up to the first dot of the basename
 * (dir/000123.jpg -> dir/000123). A sample is one contiguous range of the archive. */
typedef struct dv_wds_sample {
    const char *key;
    uint64_t index;         /* 0-based sample number in the archive */
    uint64_t offset;        /* archive range [offset, end_offset) holding all its members */
    uint64_t end_offset;
    size_t nparts;
    const dv_wds_part *parts;
} dv_wds_sample;

typedef struct dv_tar_reader dv_tar_reader;

/* opts may be NULL. Returns NULL when out of memory. */
dv_tar_reader *dv_tar_reader_create(const dv_tar_opts *opts);
/* Read from fd (not closed by the reader; positioned at the archive's start; pipes work,
 * seekable files are skipped through with lseek). name is used in messages. */
int dv_tar_reader_open_fd(dv_tar_reader *r, int fd, const char *name);
/* Read from a caller-owned buffer that must outlive the reader; data is not copied. */
int dv_tar_reader_open_buffer(dv_tar_reader *r, const void *buf, size_t len, const char *name);
/* Next member (header only): 1, 0 at the end of the archive, or a negative code. Strings,
 * raw and the data of dv_tar_reader_read stay valid until the next call on the reader. */
int dv_tar_reader_next(dv_tar_reader *r, dv_tar_member *out);
/* The data of the member last returned by dv_tar_reader_next (size bytes; again the same
 * pointer if called twice). DV_EINVAL for a skipped member or in sample mode; DV_ECORRUPT
 * if the archive is truncated inside it. */
int dv_tar_reader_read(dv_tar_reader *r, const uint8_t **data_out);
/* Next webdataset sample with the data of every readable part. Do not mix with
 * dv_tar_reader_next on one reader. Valid until the next call on the reader. */
int dv_tar_reader_next_sample(dv_tar_reader *r, dv_wds_sample *out);
/* Detail of the last failure: archive, member, offset ("" if none). */
const char *dv_tar_reader_errmsg(const dv_tar_reader *r);
void dv_tar_reader_free(dv_tar_reader *r);

/* Writes cleaned shards: whole members or samples copied byte for byte from the archive a
 * reader is reading, ended by two zero blocks. The output is the input minus dropped samples. */
typedef struct dv_tar_writer dv_tar_writer;

dv_tar_writer *dv_tar_writer_create(const dv_alloc *alloc);
/* Write to fd (not closed by the writer). name is used in messages. */
int dv_tar_writer_open_fd(dv_tar_writer *w, int fd, const char *name);
/* Copy a member returned by dv_tar_reader_next on r (after or instead of reading its data). */
int dv_tar_writer_copy_member(dv_tar_writer *w, dv_tar_reader *r, const dv_tar_member *m);
/* Copy a whole sample. From a pipe every part must have been read (none too big). */
int dv_tar_writer_copy_sample(dv_tar_writer *w, dv_tar_reader *r, const dv_wds_sample *s);
/* Leave a sample out: only pax global headers inside it are written, so later members keep
 * their meaning. */
int dv_tar_writer_drop_sample(dv_tar_writer *w, const dv_wds_sample *s);
/* Two zero blocks. No more writes after this. */
int dv_tar_writer_finish(dv_tar_writer *w);
/* Bytes written so far. */
uint64_t dv_tar_writer_bytes(const dv_tar_writer *w);
const char *dv_tar_writer_errmsg(const dv_tar_writer *w);
void dv_tar_writer_free(dv_tar_writer *w);

/* ------------------------------------------------------------------------
 * .npy embedding matrices: format 1.0, 2.0, 3.0; dtype <f2, <f4 or <f8; C order; 2-D
 * (rows, dims). Opened with a read-only mmap; the file must be exactly header + data. */
#define DV_NPY_MAX_HEADER (1u << 20) /* header dict bytes */

typedef enum dv_npy_dtype {
    DV_NPY_F16 = 1, /* '<f2' */
    DV_NPY_F32 = 2, /* '<f4' */
    DV_NPY_F64 = 3  /* '<f8' */
} dv_npy_dtype;

typedef struct dv_npy_info {
    int major;          /* format version */
    int minor;
    dv_npy_dtype dtype;
    size_t itemsize;    /* 2, 4 or 8 */
    uint64_t rows;
    uint64_t dims;
    size_t data_offset; /* bytes before the data */
} dv_npy_info;

typedef struct dv_npy dv_npy;

/* Map and validate a file. errbuf gets "file: what" on failure. */
int dv_npy_open(const char *path, const dv_alloc *alloc, dv_npy **out, char *errbuf,
                size_t errcap);
/* Same over a caller-owned buffer that must outlive the handle. */
int dv_npy_open_buffer(const void *buf, size_t len, const dv_alloc *alloc, dv_npy **out,
                       char *errbuf, size_t errcap);
void dv_npy_close(dv_npy *n);
void dv_npy_get_info(const dv_npy *n, dv_npy_info *out);
/* rows * dims little-endian items, row-major; possibly unaligned. */
const void *dv_npy_data(const dv_npy *n);
/* Rows [first, first + count) as float32 into out (count * dims floats). f16 goes through
 * dv_f16_to_f32 with simd; f64 is rounded to nearest. DV_ERANGE outside the matrix. */
int dv_npy_read_f32(const dv_npy *n, uint64_t first, uint64_t count, float *out, dv_simd simd);

/* Parse the whole header of an .npy image in buf (magic, version, length, dict). */
int dv_npy_parse_header(const void *buf, size_t len, dv_npy_info *out, char *errbuf,
                        size_t errcap);

/* Write an .npy file (format 1.0, header padded to a multiple of 64 bytes) from float32
 * rows; dtype DV_NPY_F32 or DV_NPY_F16 (rounded to nearest even). Written to fd. */
int dv_npy_write_fd(int fd, dv_npy_dtype dtype, const float *data, uint64_t rows, uint64_t dims,
                    char *errbuf, size_t errcap);
/* The 1.0 header alone into out (cap >= 128 is enough); *len_out is a multiple of 64. */
int dv_npy_write_header(void *out, size_t cap, dv_npy_dtype dtype, uint64_t rows, uint64_t dims,
                        size_t *len_out);

/* IEEE binary16 <-> binary32. f16 -> f32 is exact (subnormals, infinities; a NaN keeps its
 * sign and payload and comes back quiet, as F16C does). f32 -> f16 rounds to nearest even. */
float dv_f16_to_f32_scalar(uint16_t h);
uint16_t dv_f32_to_f16(float f);
/* n values; simd picks the path (DV_SIMD_AVX2 uses F16C where the CPU has it). */
void dv_f16_to_f32(const uint16_t *in, float *out, size_t n, dv_simd simd);

/* ------------------------------------------------------------------------
 * URL lists: CSV (RFC 4180), TSV, JSONL (one flat object per line), TXT (one URL per
 * line). Streamed with bounded memory; a bad row is reported and skipped. */
#define DV_TEXTLIST_DEFAULT_MAX_RECORD (1u << 20)

typedef enum dv_textlist_format {
    DV_TL_AUTO = 0, /* from the name's extension (.csv .tsv .jsonl .json .txt), else CSV */
    DV_TL_CSV = 1,
    DV_TL_TSV = 2,
    DV_TL_JSONL = 3,
    DV_TL_TXT = 4
} dv_textlist_format;

typedef struct dv_textlist_opts {
    dv_textlist_format format;
    const char *url_col;     /* NULL: "url" (CSV/TSV/JSONL; case-sensitive) */
    const char *caption_col; /* NULL: "caption", optional; a name given here must exist */
    const char *const *extra_cols; /* more columns to return; must exist in CSV/TSV */
    size_t nextra;           /* at most 16 */
    size_t max_record;       /* 0: DV_TEXTLIST_DEFAULT_MAX_RECORD bytes per record */
    const dv_alloc *alloc;
} dv_textlist_opts;

/* Text is NUL-terminated and unescaped; NULL where a column is absent (JSONL key missing
 * or null, no caption column). Valid until the next call. */
typedef struct dv_textlist_row {
    uint64_t row;           /* 1-based data row (header not counted) */
    uint64_t line;          /* 1-based line where the record starts */
    const char *url;
    size_t url_len;
    const char *caption;
    size_t caption_len;
    const char *const *extra; /* nextra entries */
    const size_t *extra_len;
} dv_textlist_row;

typedef struct dv_textlist dv_textlist;

dv_textlist *dv_textlist_create(const dv_textlist_opts *opts);
/* Read from fd (not closed). name gives messages ("name:line: reason") and, with
 * DV_TL_AUTO, the format. A missing column fails here (DV_EFORMAT) listing the columns. */
int dv_textlist_open_fd(dv_textlist *t, int fd, const char *name);
int dv_textlist_open_buffer(dv_textlist *t, const void *buf, size_t len, const char *name);
/* 1 with a row, 0 at the end. DV_ECORRUPT or DV_ETOOBIG: that record was bad
 * (dv_textlist_errmsg says "name:line: reason") and the next call goes on after it.
 * Any other negative code is final. */
int dv_textlist_next(dv_textlist *t, dv_textlist_row *out);
uint64_t dv_textlist_bad_rows(const dv_textlist *t);
const char *dv_textlist_errmsg(const dv_textlist *t);
void dv_textlist_free(dv_textlist *t);

/* ------------------------------------------------------------------------
 * Library-internal (not proposed for datavet.h): what the tar writer needs of a reader. */

/* Call sink on the archive bytes [off, off + len) of r's input again (buffer or seekable fd).
 * DV_EINVAL when the input is a pipe. */
int dv__tar_reader_copy_range(dv_tar_reader *r, uint64_t off, uint64_t len,
                              int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
/* F16C conversion (npy_avx2.c); only called where the CPU has AVX2 and F16C. */
void dv__f16_to_f32_f16c(const uint16_t *in, float *out, size_t n);
/* Whether dv__tar_reader_copy_range works on r's input. */
int dv__tar_reader_rereadable(const dv_tar_reader *r);
/* The stored bytes of part i of the sample last returned (any type), NULL if not loaded. */
const uint8_t *dv__tar_reader_part_bytes(const dv_tar_reader *r, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* DV_IO_READERS_H */
