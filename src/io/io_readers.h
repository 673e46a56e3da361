/* io_readers.h - library-internal helpers of the tar, npy and text-list readers (their public
 * API is in datavet.h): what the tar writer needs of a reader, and the F16C kernel. */
#ifndef DV_IO_READERS_H
#define DV_IO_READERS_H

#include "datavet.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Library-internal (not proposed for datavet.h): what the tar writer needs of a reader. */

/* dv_npy_open, dv_npz_list and dv_parquet_reader_open on a descriptor the caller has open
 * (and keeps: it is not closed; a parquet reader reads from a duplicate of it), name in
 * messages: inventory describes the very file it hashed, not whatever its path names by
 * then (a file swapped for a link or a FIFO since). Not a regular file: an error, as there. */
int dv__npy_open_fd(int fd, const char *name, const dv_alloc *alloc, dv_npy **out, char *errbuf,
                    size_t errcap);
int dv__npz_list_fd(int fd, const char *name, const dv_alloc *alloc, dv_npz_member **out,
                    size_t *n_out, char *errbuf, size_t errcap);
int dv__parquet_reader_open_fd(int fd, const char *name, const dv_parquet_reader_opts *opts,
                               dv_parquet_reader **out, char *errbuf, size_t errcap);

/* Bytes of the read-ahead window of a tar reader on a seekable fd (allocated once per reader):
 * headers and members up to half of it are read through it and members handed out as
 * pointers into it (a sample's parts are copied out before it is refilled); larger members
 * are read straight into the sample with one pread. */
#ifndef DV__TAR_WINDOW
#define DV__TAR_WINDOW (1u << 20)
#endif

/* Call sink on the archive bytes [off, off + len) of r's input again (buffer or seekable fd).
 * DV_EINVAL when the input is a pipe. */
int dv__tar_reader_copy_range(dv_tar_reader *r, uint64_t off, uint64_t len,
                              int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
/* dv_tar_writer_copy_sample, except that a link member (hard or symbolic) whose target is in a
 * sample n with n < ndrop and drop[n] set is left out (its pax global headers are written), so
 * that a cleaned copy never holds a dropped sample's bytes, under another name or as a link that
 * cannot be extracted. r must have a link index; a pipe is copied as dv_tar_writer_copy_sample
 * copies it. *left_out counts those members. */
int dv__tar_writer_copy_sample_drop(dv_tar_writer *w, dv_tar_reader *r, const dv_wds_sample *s,
                                    const uint8_t *drop, uint64_t ndrop, uint64_t *left_out);
/* fn(ctx, p, n) sees every byte w writes from now on, in order, before it is written (a
 * cleaned copy's checksum taken as it is written, not read back); NULL: none. */
void dv__tar_writer_tap(dv_tar_writer *w, void (*fn)(void *ctx, const void *p, size_t n),
                        void *ctx);
/* Rank of a column or key name for the url (role 0) or caption (role 1) field, or the md5,
 * sha1, sha256 column (roles 2-4), lower preferred, -1 for none: named (a caller's column
 * name) matches its exact spelling only (0); else of the default names url before image_url
 * (caption before text), each exact spelling before another case. URL lists and webdataset
 * .json files rank names alike. */
int dv__name_rank(int role, const char *named, const uint8_t *name, size_t len);
/* A skip bit for dv__dataset_skip only (dv_dataset_open clears it from dv_dataset_opts):
 * items of a tar shard (webdataset, img2dataset) carry their sample, row and id only, one
 * item a sample (no image, .json or .txt; link targets not read), and the shard's reader
 * leaves regular members' data unread (dv__tar_reader_headers_only). The ids are the same: a
 * sample's id is its key, or its metadata row's (img2dataset), never its .json's. What
 * --clean's pass over a shard's ids needs. */
#define DV__SKIP_MEMBER_DATA 0x80000000u
/* Add DV_SKIP_* bits to ds's options: shard readers opened from then on leave those fields
 * unread (the scan knows which digests it needs only once its lists are open). */
void dv__dataset_skip(dv_dataset *ds, unsigned skip);
/* Where item it of shard sh (of a dataset of that layout) is, for a message about it, as the
 * readers' own messages name places: "list.csv:3" (the line a URL list's record starts on),
 * "x.parquet: row 5", "00001.tar: sample 7 (key 000010007)", an img2dataset row with no
 * sample by its .parquet's row, an image by its file. */
void dv__item_where(dv_layout layout, const dv_shard_info *sh, const dv_item *it, char *buf,
                    size_t cap);
/* dv_item.image_name of an image decoded from a base64 data: URI (the URL), whatever the
 * layout: a message names it so, not as a parquet column. */
#define DV__DATA_URI_NAME "data: URI"
/* F16C conversion (npy_avx2.c); only called where the CPU has AVX2 and F16C. */
void dv__f16_to_f32_f16c(const uint16_t *in, float *out, size_t n);
/* A dv_npy over the .npy image [base, base + len), which lies in map (munmap'd at close) or
 * heap (freed at close) or neither (the caller's buffer). Takes ownership of map and heap
 * even when it fails. */
int dv__npy_adopt(const dv_alloc *alloc, void *map, size_t maplen, void *heap,
                  const uint8_t *base, size_t len, dv_npy **out, char *errbuf, size_t errcap);
/* Link members (hard links '1', symlinks '2') read again from their target's data: a reader
 * given a cap keeps, per archive, an index from each earlier regular member's path (normalised:
 * no "./", "//" or leading '/') to its data offset and size, and for a link whose target it
 * knows, the same for the link's own path (links to links), and for a symlink, its target text
 * (a hard link to it reads that text from its own folder); the sample number is of the member
 * named. Names and slots together stay under cap bytes: past it new paths are not
 * added and a link that misses says so. Inputs that are pipes keep none. The cap applies from the next
 * open; 0 (the default) keeps none. */
struct dv__dbuf;
#ifndef DV__TAR_LINK_INDEX
#define DV__TAR_LINK_INDEX (16u << 20)
#endif
void dv__tar_reader_link_index(dv_tar_reader *r, size_t cap);
typedef struct dv__tar_link {
    uint64_t data_offset, size; /* of the bytes the link stands for */
    uint64_t sample;            /* sample number of the member the link names (for a symlink,
                                   or a hard link to one, of the one holding the bytes;
                                   UINT64_MAX where read with dv_tar_reader_next) */
    /* for a symlink (or a hard link to one), the samples of the members on the way to the one
     * holding the bytes (each symlink hop, each hard link and the members its target chain
     * went through), which a copy needs too: ndeps sample numbers (up to 40 hops of up to 40
     * each), valid until the next lookup; none where read with dv_tar_reader_next. For a hard
     * link to a symlink, the symlink's sample first. */
    const uint64_t *deps;
    size_t ndeps;
    dv_tar_skip skip; /* of the regular member holding them (NONE, TOOBIG, SPARSE) */
    int gone; /* the member named, or one it links to, marked by dv__tar_reader_link_gone */
    /* for a hard link to a symlink (or to a hard link to one), set where the lookup fails too:
     * the sample of the member it names (UINT64_MAX: none, or read with dv_tar_reader_next)
     * and whether that member is marked gone; a copy without that member cannot extract the
     * hard link, wherever its target text leads */
    uint64_t named;
    int named_gone;
    /* the lookup failed on a path a hard link that does not resolve was extracted to (what GNU
     * tar leaves there is not known), or through a folder that holds a symlink (which the
     * index does not follow): a copy cannot vouch for the link */
    int unsure;
    /* the link is a symlink once extracted: a symlink, or a hard link to one */
    int symlink;
} dv__tar_link;
/* Where the bytes of link member m lie. A hard link names an earlier member's path as stored, less
 * what GNU tar 1.34 drops (up to its last ".." component); a member whose own path has a ".."
 * component, which GNU tar does not extract, is not indexed. A symlink names a path relative to
 * its own folder, "." and ".." resolved (a ".." taking back a folder the text names is refused),
 * inside the archive (an absolute one or one above the root
 * is refused; a symlinked folder on the way is not followed). A hard link to a symlink (or to a
 * hard link to one) is, extracted, a symlink of its own with the same target text (link() does not
 * follow symlinks): that text is read as a symlink's, from the hard link's folder. A symlink reads
 * what the archive leaves at its target once extracted (its last member, symlinks followed up to
 * 40 hops: a symlink is followed when it is read, after extraction), found by reading the
 * archive's headers once more from its start, the first time one is needed; that second look has a
 * cap of its own, as large (so the earlier members' index keeps all of its own as it grows after
 * it: twice the cap at most in all, and a quarter of it each for the folders their paths make).
 * DV_ECORRUPT (unknown target, refused path, a loop) or DV_EFORMAT (a pipe) with the errmsg naming archive, member and target. */
int dv__tar_reader_link_find(dv_tar_reader *r, const dv_tar_member *m, dv__tar_link *out);
/* Whether a link index of r filled up: a link not found may then have a target after all. */
int dv__tar_reader_link_full(const dv_tar_reader *r);
/* Member m (already read) is left out of a copy: a later link naming it, or naming a link to
 * it, has gone set, as the copy could not extract it. */
void dv__tar_reader_link_gone(dv_tar_reader *r, const dv_tar_member *m);
/* The bytes link member m stands for: a pointer into the buffer, or read again from the fd into
 * scratch (caller-owned: zero and free it when done). Also DV_ETOOBIG over max bytes or the
 * reader's max_member, DV_EFORMAT for a sparse target, DV_EIO. */
int dv__tar_reader_link_data(dv_tar_reader *r, const dv_tar_member *m, uint64_t max,
                             struct dv__dbuf *scratch, const uint8_t **data_out,
                             uint64_t *size_out);
/* In sample mode (dv_tar_reader_next_sample), leave regular members' data unread where the
 * input can be read again (a buffer or a seekable fd: the writer copies byte ranges, and the
 * link index holds offsets): their parts have data NULL, the reader moves past the bytes by
 * arithmetic and reads the headers in small window fills. They still count in max_sample as
 * if read, and truncation inside them is found when the next header is looked for, with the
 * same message, so a sample or archive fails exactly where it fails with its data. From a
 * pipe the data are read as without it. Off (0) by default; kept across opens. */
void dv__tar_reader_headers_only(dv_tar_reader *r, int on);
/* How far the reader is: the archive offset of its next byte, and into *size the archive's
 * bytes (0 where it does not know them: a pipe). */
uint64_t dv__tar_reader_pos(const dv_tar_reader *r, uint64_t *size);
/* How far shard reader r is through its shard, from 0 to 1, where it knows its shard's size
 * (parquet rows given of the footer's, tar and list bytes parsed of the file's, image files
 * of the run's); -1 where it does not (a pipe). For progress: an ETA within a shard. */
double dv__shard_reader_fraction(const dv_shard_reader *r);
/* Whether dv__tar_reader_copy_range works on r's input. */
int dv__tar_reader_rereadable(const dv_tar_reader *r);
/* The stored bytes of part i of the sample last returned (any type), NULL if not loaded. */
const uint8_t *dv__tar_reader_part_bytes(const dv_tar_reader *r, size_t i);

/* ------------------------------------------------------------------------
 * The .npz rewriter of `scan --clean` (npz.c; docs/readers.md): every member of an archive
 * written again, in its order and under its name, without the rows drop() names. Each must
 * be an .npy of a simple dtype (not an object or structured one), in C order (or 1-D), whose
 * first dimension is `rows`; anything else refuses the whole archive (DV_EFORMAT, the member
 * named) before a byte is written. Members are written stored (method 0), their data at a
 * multiple of 64 bytes (a padding extra field), their .npy header rewritten with the new first
 * dimension (same dtype and order), CRC-32 each; ZIP64 records where a size or an offset needs
 * them. The source's CRC-32s are checked (stored members too). */
typedef struct dv__npz_clean_opts {
    uint64_t rows;                        /* every array's first dimension (the parquet's) */
    int (*drop)(void *ctx, uint64_t row); /* nonzero: row goes from every array */
    void *ctx;
    uint64_t base;   /* where the archive starts in fd (tests: a hole before it, to reach ZIP64
                        offsets without writing 4 GiB); 0 otherwise */
    int force_zip64; /* tests: ZIP64 records and extra fields whatever the sizes */
} dv__npz_clean_opts;

/* Whether the archive could be rewritten so (headers only; nothing inflated past them). */
int dv__npz_clean_check(const char *path, uint64_t rows, const dv_alloc *alloc, char *errbuf,
                        size_t errcap);
int dv__npz_clean_check_buffer(const void *buf, size_t len, uint64_t rows, const dv_alloc *alloc,
                               char *errbuf, size_t errcap);
/* The rewritten archive of buf[0..len) into fd from offset o->base on (pwrite). DV_EIO when
 * writing fails; *bytes_out: the archive's bytes. */
int dv__npz_clean_fd(const void *buf, size_t len, int fd, const dv__npz_clean_opts *o,
                     const dv_alloc *alloc, uint64_t *bytes_out, char *errbuf, size_t errcap);
/* in rewritten into out, created anew (dv_file_open_new, mode 0600) and synced (dv_file_sync),
 * for the caller to rename into place; removed on failure. errbuf
 * names the input for a member that cannot be rewritten, the output for DV_EIO. */
int dv__npz_clean_file(const char *in, const char *out, const dv__npz_clean_opts *o,
                       const dv_alloc *alloc, char *errbuf, size_t errcap);

#endif /* DV_IO_READERS_H */
