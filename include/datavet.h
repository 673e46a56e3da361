/* datavet.h - the one public header of libdatavet.
 * Everything not declared here is internal. Comments here are the API reference.
 * The library holds image bytes and decoded pixels in memory while it hashes them and never
 * writes them anywhere; it does not change process-wide settings. A program that hashes
 * untrusted images should turn core dumps off itself, as datavet's main() does (core limit
 * 0, prctl(PR_SET_DUMPABLE, 0)), so that a crash cannot write that memory to disk. */
#ifndef DATAVET_H
#define DATAVET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DV_VERSION_MAJOR 0
#define DV_VERSION_MINOR 1
#define DV_VERSION_PATCH 0
#define DV_VERSION_STRING "0.1.0"

/* Library version string, e.g. "0.1.0". */
const char *dv_version(void);

/* ------------------------------------------------------------------------
 * Errors. Public functions return int: DV_OK or a negative DV_E* code.
 * Codes are never renumbered. dv_strerror() gives fixed text; the detail
 * (file, offset, what was wrong) is on the handle's errmsg function. Details and
 * errbuf messages quote names and values of the input (a tar member, a column, a
 * file name, a header) as their bytes were found, controls and ill-formed UTF-8
 * included: a caller that shows them on a terminal escapes them first (the CLI
 * writes each such byte \xHH: datavet(1), "TEXT ON A TERMINAL"). */
enum {
    DV_OK = 0,
    DV_ENOMEM = -1,   /* out of memory */
    DV_EINVAL = -2,   /* invalid argument */
    DV_EIO = -3,      /* read or write failed */
    DV_EFORMAT = -4,  /* unrecognised or unsupported format */
    DV_ECORRUPT = -5, /* input is corrupt or truncated */
    DV_ETOOBIG = -6,  /* input exceeds a configured limit */
    DV_ETHREAD = -7,  /* thread creation failed */
    DV_ERANGE = -8    /* value out of range */
};

/* Fixed text for an error code; never NULL. */
const char *dv_strerror(int code);

/* ------------------------------------------------------------------------
 * Allocation. Every _create takes an optional allocator (NULL: malloc/free).
 * Tests use this to fail the Nth allocation. Functions that run threads (dv_scan_run's
 * hashing pool and shard workers, dv_knn_search, dv_inventory_run) call it from several
 * threads at once: it must be thread-safe there. */
typedef struct dv_alloc {
    void *(*malloc_fn)(void *opaque, size_t size);
    void *(*realloc_fn)(void *opaque, void *ptr, size_t size);
    void (*free_fn)(void *opaque, void *ptr);
    void *opaque;
} dv_alloc;

/* ------------------------------------------------------------------------
 * SIMD selection. DV_SIMD_AUTO picks the best the CPU has, unless the
 * environment variable DV_SIMD=scalar|avx2|avx512 forces one (read once). */
typedef enum dv_simd {
    DV_SIMD_AUTO = 0,
    DV_SIMD_SCALAR = 1,
    DV_SIMD_AVX2 = 2,
    DV_SIMD_AVX512 = 3
} dv_simd;

/* The path DV_SIMD_AUTO resolves to on this CPU (never DV_SIMD_AUTO). */
dv_simd dv_simd_best(void);
/* Whether this CPU and build can run the given path. */
int dv_simd_available(dv_simd s);
/* "scalar", "avx2", "avx512" or "auto". */
const char *dv_simd_name(dv_simd s);

/* ------------------------------------------------------------------------
 * Images. Formats are detected from magic bytes, never from file names. */
typedef enum dv_image_format {
    DV_FMT_UNKNOWN = 0,
    DV_FMT_JPEG = 1,
    DV_FMT_PNG = 2,
    DV_FMT_WEBP = 3,
    DV_FMT_GIF = 4
} dv_image_format;

/* Format from the first bytes of a file (12 are enough). */
dv_image_format dv_image_sniff(const void *buf, size_t len);
/* "jpeg", "png", "webp", "gif" or "unknown". */
const char *dv_image_format_name(dv_image_format fmt);
/* The image format a buffer's signature names, those datavet cannot decode included:
 * "jpeg", "png", "webp", "gif", "tiff", "heif" (HEIF/AVIF brands), "jxl", "jp2" (JPEG 2000:
 * the JP2 signature box or a bare codestream), "bmp" (with a plausible header), or NULL. */
const char *dv_image_kind(const void *buf, size_t len);

/* A decoded image: 8-bit grey (channels 1) or interleaved RGB (channels 3).
 * Alpha is dropped, not composited: colour channels are taken as they are,
 * as the PDQ reference does. EXIF orientation is ignored, as the reference
 * does. The pixels belong to the decoder and stay valid until its next
 * decode or free. */
typedef struct dv_image {
    uint32_t width;
    uint32_t height;
    uint32_t channels; /* 1 or 3 */
    size_t stride;     /* bytes from one row to the next */
    const uint8_t *pixels;
    dv_image_format format;
    uint32_t src_width;  /* size in the file header */
    uint32_t src_height;
    uint32_t scale_denom; /* 1, or 2/4/8 when a JPEG was decoded scaled (fast mode) */
} dv_image;

#define DV_DEFAULT_MAX_PIXELS (128ull * 1000ull * 1000ull)

typedef struct dv_decode_opts {
    /* Refuse images with more pixels than this, checked from the header
     * before any pixel buffer is allocated. 0: DV_DEFAULT_MAX_PIXELS. */
    uint64_t max_pixels;
    /* Fast mode: JPEGs are decoded DCT-scaled (1/2, 1/4, 1/8) to the
     * smallest size whose shorter side stays >= fast_min_side, as luma only;
     * lossy WebPs as their luma plane without the loop filter. Not exact. */
    int fast;
    uint32_t fast_min_side; /* 0: 256 */
    const dv_alloc *alloc;
    /* DV_SIMD_SCALAR decodes JPEGs with libjpeg-turbo's own Huffman decoders
     * instead of datavet's faster ones (same pixels; for tests). */
    dv_simd simd;
    /* With fast: progressive JPEGs skip their refinement scans (the low bits of the
     * coefficients that the first scans leave out). Not exact; what hash --fast
     * uses. */
    int fast_skip_refine;
} dv_decode_opts;

typedef struct dv_decoder dv_decoder;

/* opts may be NULL for defaults. Returns NULL when out of memory. */
dv_decoder *dv_decoder_create(const dv_decode_opts *opts);
/* Decode a whole file held in memory. On failure returns a DV_E* code and
 * dv_decoder_errmsg() says what and where. */
int dv_decoder_decode(dv_decoder *dec, const void *buf, size_t len, dv_image *out);
/* Detail of the last failure ("" if none). */
const char *dv_decoder_errmsg(const dv_decoder *dec);
void dv_decoder_free(dv_decoder *dec);

/* ------------------------------------------------------------------------
 * PDQ perceptual hash (Meta's open algorithm). A hash is 256 bits stored in
 * the byte order of its hex form: byte 0 is the first two hex digits. */
#define DV_PDQ_BYTES 32
#define DV_PDQ_HEX_LEN 64
typedef struct dv_pdq_hash {
    uint8_t bytes[DV_PDQ_BYTES];
} dv_pdq_hash;

/* The eight dihedral variants, in the reference's order. */
typedef enum dv_dihedral {
    DV_DIH_ORIGINAL = 0,
    DV_DIH_ROTATE90 = 1,
    DV_DIH_ROTATE180 = 2,
    DV_DIH_ROTATE270 = 3,
    DV_DIH_FLIPX = 4,
    DV_DIH_FLIPY = 5,
    DV_DIH_FLIPPLUS1 = 6,
    DV_DIH_FLIPMINUS1 = 7,
    DV_DIH_COUNT = 8
} dv_dihedral;

/* "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1". */
const char *dv_dihedral_name(dv_dihedral d);

typedef struct dv_pdq_result {
    dv_pdq_hash hash[DV_DIH_COUNT]; /* [0] always; the rest with dihedral */
    int quality;                    /* 0..100; < 50 is not used for matching */
    int ndihedral;                  /* 1 or 8 */
} dv_pdq_result;

typedef struct dv_pdq_opts {
    int dihedral;     /* also compute the 7 other dihedral variants */
    int preresize512; /* reproduce the reference CLI: sides > 512 are first
                         resized to exactly 512x512 by nearest neighbour */
    dv_simd simd;     /* DV_SIMD_AUTO unless testing a path */
    const dv_alloc *alloc;
    int fast;         /* hash --fast: the filter evaluated only at the 64x64 samples
                         it feeds (sums in another order): close to, not bit-exact
                         with, the reference */
} dv_pdq_opts;

typedef struct dv_pdq_hasher dv_pdq_hasher;

/* The hasher keeps its working buffers between calls; one thread at a time. */
dv_pdq_hasher *dv_pdq_hasher_create(const dv_pdq_opts *opts);
/* Hash a decoded image. Images with a side < 5 hash to all zeros, quality 0,
 * as in the reference. Bit-exact with the reference C++ core. */
int dv_pdq_hash_image(dv_pdq_hasher *h, const dv_image *img, dv_pdq_result *out);
void dv_pdq_hasher_free(dv_pdq_hasher *h);

/* 64 lowercase hex digits plus NUL, formatted as the reference formats. */
void dv_pdq_to_hex(const dv_pdq_hash *h, char out[DV_PDQ_HEX_LEN + 1]);
/* Parse exactly 64 hex digits (either case). DV_EINVAL on anything else. */
int dv_pdq_from_hex(const char *hex, size_t len, dv_pdq_hash *out);
/* Hamming distance, 0..256. */
int dv_pdq_distance(const dv_pdq_hash *a, const dv_pdq_hash *b);

/* ------------------------------------------------------------------------
 * Cryptographic digests of raw bytes (OpenSSL libcrypto EVP). */
enum {
    DV_ALGO_MD5 = 1u << 0,
    DV_ALGO_SHA1 = 1u << 1,
    DV_ALGO_SHA256 = 1u << 2,
    DV_ALGO_PDQ = 1u << 3,
    DV_ALGO_ALL = 0xFu
};

typedef struct dv_digests {
    unsigned have; /* DV_ALGO_* bits that are filled in */
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
} dv_digests;

/* Digest buf with every algorithm in algos, in one pass over the bytes. */
int dv_digests_compute(unsigned algos, const void *buf, size_t len, dv_digests *out);
/* dv_digests_compute for each of n buffers, out[i] for bufs[i]. With AVX2 or AVX-512, MD5,
 * SHA-1 and SHA-256 run 8 or 16 buffers side by side (one per vector lane), several times
 * the throughput of one after another (a buffer much longer than the others goes to
 * OpenSSL alone); the digests are the same. Returns the first error, if any. */
int dv_digests_compute_many(unsigned algos, const void *const *bufs, const size_t *lens,
                            size_t n, dv_digests *out);
/* Lowercase hex of n bytes into out (2n+1 bytes with NUL). */
void dv_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* ------------------------------------------------------------------------
 * Item hasher: digests + decode + PDQ of one file held in memory, with the
 * decoder's and PDQ's buffers reused between items. One thread at a time. */
typedef struct dv_hasher_opts {
    unsigned algos;       /* DV_ALGO_* bits; 0 means DV_ALGO_ALL */
    int dihedral;
    int preresize512;
    int fast;             /* fast decode for PDQ (dv_decode_opts.fast); not exact */
    uint32_t fast_min_side;
    uint64_t max_pixels;  /* 0: DV_DEFAULT_MAX_PIXELS */
    dv_simd simd;
    const dv_alloc *alloc;
} dv_hasher_opts;

typedef struct dv_hash_result {
    dv_digests digests;   /* filled even when decoding fails */
    dv_pdq_result pdq;
    int has_pdq;
    dv_image_format format;
    uint32_t width;       /* size in the file header, 0 if unknown */
    uint32_t height;
} dv_hash_result;

typedef struct dv_hasher dv_hasher;

dv_hasher *dv_hasher_create(const dv_hasher_opts *opts);
/* Returns DV_OK, or an error with dv_hasher_errmsg() set; on a decode error
 * out->digests are still valid. */
int dv_hasher_hash(dv_hasher *h, const void *buf, size_t len, dv_hash_result *out);
/* dv_hasher_hash for a file whose digests were computed beforehand (for many files at once,
 * by dv_digests_compute_many): those of the hasher's algorithms in pre->have are copied
 * from pre, the others computed. pre may be NULL. */
int dv_hasher_hash_digested(dv_hasher *h, const void *buf, size_t len, const dv_digests *pre,
                            dv_hash_result *out);
const char *dv_hasher_errmsg(const dv_hasher *h);
void dv_hasher_free(dv_hasher *h);

/* ------------------------------------------------------------------------
 * Files. */

/* Read a whole regular file into a new buffer (free with dv_free_buffer).
 * Fails with DV_ETOOBIG above max_bytes. errbuf gets the detail. */
int dv_read_file(const char *path, uint64_t max_bytes, const dv_alloc *alloc, void **buf_out,
                 size_t *len_out, char *errbuf, size_t errcap);
void dv_free_buffer(const dv_alloc *alloc, void *buf);

/* ------------------------------------------------------------------------
 * Thread pool: a parallel for-loop over job indices. Each job gets its index
 * and the index of the worker running it (0..nthreads-1), so callers keep
 * per-worker state and write results into slots indexed by job: output is
 * then identical whatever the thread count. */
typedef struct dv_pool dv_pool;
typedef void (*dv_pool_fn)(void *ctx, size_t job, unsigned worker);

/* nthreads 0 means the CPUs the process may run on (its affinity mask, as nproc counts: a
 * Slurm task or a cpuset gets some of a machine's CPUs), at most 1024. */
dv_pool *dv_pool_create(unsigned nthreads, const dv_alloc *alloc);
unsigned dv_pool_threads(const dv_pool *p);
/* Run fn for every job in [0, njobs) and return when all are done. */
int dv_pool_run(dv_pool *p, size_t njobs, dv_pool_fn fn, void *ctx);
void dv_pool_free(dv_pool *p);


/* ------------------------------------------------------------------------
 * Hash types of list entries and of dataset items. */
typedef enum dv_hash_type {
    DV_HT_NONE = 0,
    DV_HT_MD5 = 1,
    DV_HT_SHA1 = 2,
    DV_HT_SHA256 = 3,
    DV_HT_PDQ = 4,
    DV_HT_URL = 5,        /* a normalised URL, variable length */
    DV_HT_URL_MD5 = 6,    /* MD5 of the normalised URL */
    DV_HT_URL_SHA1 = 7,
    DV_HT_URL_SHA256 = 8
} dv_hash_type;

/* "md5", "sha1", "sha256", "pdq", "url", "url-md5", "url-sha1", "url-sha256", "none". */
const char *dv_hash_type_name(dv_hash_type t);
/* Parse a name as above; DV_EINVAL if unknown. */
int dv_hash_type_parse(const char *name, dv_hash_type *out);
/* Key size in bytes (16, 20, 32), 0 for DV_HT_URL (variable) and DV_HT_NONE. */
size_t dv_hash_type_size(dv_hash_type t);

/* ------------------------------------------------------------------------
 * URL normalisation: lower-case scheme and host, default port (80 for http,
 * 443 for https) and fragment removed, percent-encoding normalised (escapes
 * of unreserved characters decoded, other escapes upper-cased), empty path
 * becomes "/". Writes at most cap bytes plus NUL; DV_EINVAL for text that is
 * no absolute URL with a scheme and host, DV_ERANGE if cap is too small. */
int dv_url_normalize(const char *url, size_t len, char *out, size_t cap, size_t *out_len);

/* A data: URI carries its content in the URL itself (an image, say, in a dataset's URL
 * column), and datavet writes no image anywhere: outputs show such a URL through this.
 * Of a data: URI (told as dv_data_uri_decode tells it, leading C0 controls included),
 * returns out, holding "data:", the URI's
 * media type and parameters up to the comma (at most 48 bytes of them) and
 * "<N bytes withheld>" in place of the content, e.g.
 * "data:image/jpeg;base64,<48213 bytes withheld>" (with cap < DV_URL_REDACT_CAP, the fixed
 * text "data:<content withheld>"). A URL whose path, query or fragment (or a host label,
 * which no DNS name makes that long) holds base64 of an image (a run of at least 64 digits,
 * standard or URL-safe, '+' and '/' also as %2B and %2F, '/' also as JSON's "\/", starting
 * after a byte that is none or after a '/', whose first digits decode to an image signature,
 * as inspect --head takes it inside text) is written to out with each such run, its padding
 * ('=' or %3D) included, replaced by "<N bytes withheld>", N the run's length in the URL, the
 * rest kept:
 * "https://a.example/p?img=<96 bytes withheld>&x=1" (with cap < strlen(url) + 1, the fixed
 * text "<URL withheld: it holds an image>"). A percent-escape of no digit (%26, %3D) ends a
 * run, one of a digit (%2F, %41) is that digit; a run is read across line breaks, tabs and
 * spaces, raw or escaped (%0A %0D %09 %20: base64 wrapped into lines), withheld with it. A
 * base64 data: URI inside the URL ("?u=data:image/gif;base64,...", also escaped as
 * "data%3Aimage%2Fgif%3Bbase64%2C...") has its content withheld however short when its media
 * type is image/... or the content starts with an image signature (the whole URI is
 * "<withheld>" where "<N bytes withheld>" would be longer than the content).
 * DV_URL_REDACT_BOUND(strlen(url)) bytes always suffice, and the result is never longer than
 * the URL; any other URL is returned as it is. */
#define DV_URL_REDACT_CAP 96
#define DV_URL_REDACT_BOUND(len) ((size_t)(len) + DV_URL_REDACT_CAP)
const char *dv_url_redact(const char *url, char *out, size_t cap);

/* The content of a base64 data: URI, "data:[<media type>][;<param>]*;base64,<data>"
 * (RFC 2397; leading C0 controls and spaces, and tabs and line breaks inside "data:", as a
 * browser and the fetcher skip them; scheme and ";base64" in any case,
 * percent-escapes in the data decoded first (it is URL-encoded: %2B, %2F, %3D), whitespace
 * inside it skipped, padding optional but complete when present (RFC 4648), the URL-safe
 * "-_" accepted), the first len bytes of url. Writes the bytes to out (at most cap: 3 (len / 4) + 3 is always
 * enough), their count to *outlen, and the media type's offset and length in url to *mt_off
 * and *mt_len (any of the three may be NULL). DV_EINVAL: not a base64 data: URI (plain,
 * percent-encoded data: URIs are not decoded); DV_ECORRUPT: bad base64; DV_ETOOBIG: more
 * than cap bytes (out then holds the first cap). */
int dv_data_uri_decode(const char *url, size_t len, uint8_t *out, size_t cap, size_t *outlen,
                       size_t *mt_off, size_t *mt_len);

/* ------------------------------------------------------------------------
 * Text in outputs. Strings read from datasets and lists (URLs, ids, captions, labels, file
 * names) hold whatever bytes their source held, UTF-8 or not. Every output that must be
 * UTF-8 (JSON, HTML, Parquet STRING columns, exports) writes them through dv_text_utf8, so
 * that one string reads the same in each of them (docs/scan.md, "Text in outputs"). */

/* One UTF-8 sequence at p (n > 0 bytes): the bytes it takes (1 to 4) and its code point in
 * *cp, or DV_UTF8_BAD for an ill-formed sequence (a stray continuation byte, an overlong
 * form, a surrogate, past U+10FFFF, cut short), which then takes its maximal subpart: the
 * bytes that could still have begun a sequence, at least one (Unicode's "substitution of
 * maximal subparts", as WHATWG decoders and Python's errors="replace" count them). */
#define DV_UTF8_BAD 0xFFFFFFFFu
size_t dv_utf8_next(const void *p, size_t n, uint32_t *cp);

typedef enum dv_text_kind {
    /* an id, caption, label, file name, message: each ill-formed sequence (dv_utf8_next)
     * and each NUL becomes U+FFFD; all else is kept */
    DV_TEXT_PLAIN = 0,
    /* a URL: the bytes of each ill-formed sequence, of C0 controls, space, DEL, C1
     * controls, bidirectional controls and noncharacters become %XX (upper-case hex); all
     * else is kept. dv_url_normalize percent-encodes those bytes the same way, so a URL it
     * takes normalises to the same key once written so (the same URL to a browser too): one
     * token that can be copied and compared exactly and never reads as another URL. A '%'
     * found in the URL stays as it is. A data: URI, which outputs show redacted
     * (dv_url_redact), is text: DV_TEXT_PLAIN. */
    DV_TEXT_URL = 1
} dv_text_kind;

/* len bytes of s (NULs included) as kind says, into out: at most cap bytes with the NUL,
 * whole characters and escapes only; DV_TEXT_BOUND(len) bytes always suffice. Returns the
 * length of the whole result without its NUL (larger than cap - 1: cut), as snprintf does.
 * Valid UTF-8 comes out as it went in (for DV_TEXT_URL, when it holds none of the bytes
 * named above), so applying it twice changes nothing. */
#define DV_TEXT_BOUND(len) (3 * (size_t)(len) + 1)
size_t dv_text_utf8(dv_text_kind kind, const char *s, size_t len, char *out, size_t cap);

/* ------------------------------------------------------------------------
 * Hash lists. A list is built from text inputs, written as a compiled .dvl
 * file (docs/dvl-format.md) and opened with mmap. */
typedef struct dv_list_meta {
    const char *name;
    const char *version;
    const char *source;
} dv_list_meta;

typedef struct dv_import_stats {
    uint64_t lines;      /* lines read */
    uint64_t entries;    /* entries added (before merging duplicates) */
    uint64_t bad;        /* malformed lines skipped */
    uint64_t duplicates; /* merged at write time */
} dv_import_stats;

typedef struct dv_list_builder dv_list_builder;

/* type: the list's hash type, or DV_HT_NONE to take it from the first entry. */
dv_list_builder *dv_list_builder_create(dv_hash_type type, const dv_alloc *alloc);
/* Add one entry. key is binary (16/20/32 bytes) or, for DV_HT_URL, the
 * normalised URL text. id, label may be NULL. quality: PDQ quality or -1. The label is
 * stored as valid UTF-8 (each ill-formed sequence a U+FFFD, as dv_text_utf8 DV_TEXT_PLAIN
 * writes it; at most 4096 bytes so); the id keeps its bytes. */
int dv_list_builder_add(dv_list_builder *b, dv_hash_type type, const void *key, size_t keylen,
                        const char *id, const char *label, int quality);
/* Import a text input (format detected: plain hex, ThreatExchange PDQ
 * "hash,quality", CSV/TSV with a header, JSONL, URL list). name is used in
 * messages ("file:line: ..."). forced: DV_HT_NONE or the type to assume.
 * strict: stop at the first bad line (DV_ECORRUPT); else skip and count. A line or CSV/TSV
 * record longer than 4 MiB is a bad line (as dv_list_builder_import_fd reads them). */
int dv_list_builder_import(dv_list_builder *b, const char *name, const void *text, size_t len,
                           dv_hash_type forced, int strict, dv_import_stats *stats);
/* dv_list_builder_import_fd's options (all zero: detected type, bad lines skipped). */
typedef struct dv_list_import_opts {
    dv_hash_type forced; /* as dv_list_builder_import's */
    int strict;          /* the same */
    uint64_t max_bytes;  /* refuse an input over this many bytes (DV_ETOOBIG); 0: no limit */
    /* called from the calling thread after each read of the input (a few MiB) and once at
     * its end: the bytes read from fd and the entries added so far. May be NULL. */
    void (*progress)(void *ctx, uint64_t bytes_read, uint64_t entries);
    void *progress_ctx;
} dv_list_import_opts;
/* dv_list_builder_import of what fd gives up to its end (a file, a pipe), read in a window of
 * a few MiB: memory holds the entries, never the input. The same entries, bad lines and
 * messages as dv_list_builder_import of the same bytes. A line or record longer than 4 MiB is
 * a bad line in both (its first 4 MiB read). A read error: DV_EIO, nothing added. */
int dv_list_builder_import_fd(dv_list_builder *b, const char *name, int fd,
                              const dv_list_import_opts *opts, dv_import_stats *stats);
/* Sort, merge duplicates, compute the digest and write the .dvl atomically. */
int dv_list_builder_write(dv_list_builder *b, const dv_list_meta *meta, const char *path,
                          dv_import_stats *stats);
/* The last failure, or the first few bad lines of an import, one per line. Its lines are
 * written escaped, as datavet(1) TEXT ON A TERMINAL says (a name's line feed is \x0A, a
 * backslash \\), so that a file name never makes a line of its own. */
const char *dv_list_builder_errmsg(const dv_list_builder *b);
void dv_list_builder_free(dv_list_builder *b);

typedef struct dv_list dv_list;

typedef struct dv_list_info {
    uint32_t format_version;
    dv_hash_type type;
    uint64_t count;
    const char *name;
    const char *version;
    const char *source;
    int64_t created;        /* seconds since the epoch */
    uint8_t digest[32];     /* SHA-256 of the canonical sorted content */
} dv_list_info;

typedef struct dv_list_entry {
    const uint8_t *key;     /* binary key, or URL text (not NUL-terminated) */
    size_t keylen;
    const char *id;         /* NUL-terminated, "" if none */
    const char *label;      /* NUL-terminated, "" if none */
    int quality;            /* -1 if none */
} dv_list_entry;

/* Open and validate (header, sizes, offsets) before anything is used. A digest or URL list
 * of 1,024 to 2^24 entries gets a hash index for dv_list_find (16-32 bytes an entry). */
int dv_list_open(const char *path, dv_list **out, char *errbuf, size_t errcap);
/* dv_list_open_flags: no hash index; dv_list_find binary searches (the same answers), for a
 * reader that looks few keys up or none (list info, list diff). */
#define DV_LIST_NO_INDEX 1u
int dv_list_open_flags(const char *path, unsigned flags, dv_list **out, char *errbuf,
                       size_t errcap);
/* Same from a caller-owned buffer (fuzzing, tests). The buffer must outlive the list. */
int dv_list_open_buffer(const void *buf, size_t len, dv_list **out, char *errbuf, size_t errcap);
void dv_list_close(dv_list *l);
void dv_list_get_info(const dv_list *l, dv_list_info *out);
/* Entry i in canonical (sorted) order. */
int dv_list_get_entry(const dv_list *l, uint64_t i, dv_list_entry *out);
/* Recompute the content digest from the entries (docs/dvl-format.md, "Digest": one pass over
 * the whole list) and compare it with the header's: DV_OK, DV_ECORRUPT (the entries are not
 * the ones the digest names) or DV_ENOMEM, with a message. dv_list_open does not do this. */
int dv_list_verify(const dv_list *l, char *errbuf, size_t errcap);
/* Exact lookup: index of the entry with this key, or -1. */
int64_t dv_list_find(const dv_list *l, const void *key, size_t keylen);
/* PDQ lists: the codes, count x 32 bytes in canonical order (NULL otherwise). */
const dv_pdq_hash *dv_list_pdq_codes(const dv_list *l);
/* Entries in new but not old, and in old but not new (same type required). */
int dv_list_diff(const dv_list *old_list, const dv_list *new_list, uint64_t *added,
                 uint64_t *removed);
/* dv_list_verify and dv_list_diff with progress: fn (may be NULL) is called from the calling
 * thread every 2^18 entries and once at the end, with the entries done and in all (for a
 * diff, of both lists together). */
typedef void (*dv_list_progress_fn)(void *ctx, uint64_t done, uint64_t total);
int dv_list_verify_progress(const dv_list *l, dv_list_progress_fn fn, void *ctx, char *errbuf,
                            size_t errcap);
int dv_list_diff_progress(const dv_list *old_list, const dv_list *new_list, uint64_t *added,
                          uint64_t *removed, dv_list_progress_fn fn, void *ctx);
/* dv_list_open_flags with progress: fn (may be NULL) follows the open's check that the keys
 * are sorted and unique, one pass over the whole list, as above (entries checked and in all;
 * not called for a list refused before that check). */
int dv_list_open_progress(const char *path, unsigned flags, dv_list_progress_fn fn, void *ctx,
                          dv_list **out, char *errbuf, size_t errcap);

/* ------------------------------------------------------------------------
 * Reading `datavet hash` output (TSV with header, CSV with header, JSONL):
 * the input of `datavet match`. Columns are found by name; unknown columns
 * are ignored. */
typedef struct dv_hash_record {
    uint64_t line;           /* 1-based line number in the input */
    const char *path;        /* NUL-terminated; valid until the next call */
    int ok;                  /* status column was "ok" (or absent) */
    unsigned have;           /* DV_ALGO_* bits present and well-formed */
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
    dv_pdq_hash pdq[DV_DIH_COUNT]; /* [0], and the variants when ndihedral == 8 */
    int ndihedral;           /* 1, or 8 when all seven pdq_<variant> columns are there */
    int quality;             /* -1 when absent */
} dv_hash_record;

typedef struct dv_hashfile dv_hashfile;

/* The longest line (record, its line end included) taken by default: a longer one is a bad
 * line. */
#define DV_HASHFILE_MAX_LINE ((size_t)8 << 20)

/* text must outlive the reader. name is used in messages ("name:line: ..") and must too. */
int dv_hashfile_open(const char *name, const void *text, size_t len, const dv_alloc *alloc,
                     dv_hashfile **out, char *errbuf, size_t errcap);
/* Streams fd (not closed; a file, pipe or terminal) through a window of max_line plus up to
 * 1 MiB, whatever the input's size: lines longer than max_line (0: DV_HASHFILE_MAX_LINE; at
 * least 64) are bad lines. Records, line numbers and bad lines are those dv_hashfile_open
 * gives for the same bytes. A read error: DV_EIO here, or from dv_hashfile_next. */
int dv_hashfile_open_fd(const char *name, int fd, size_t max_line, const dv_alloc *alloc,
                        dv_hashfile **out, char *errbuf, size_t errcap);
/* 1: a record; 0: end of input; DV_ECORRUPT: a bad line (errmsg says which), after which
 * the next call goes on with the next line (a bad CSV/TSV record of several lines: after its
 * first line). DV_EIO (errmsg says why) or DV_ENOMEM: final. */
int dv_hashfile_next(dv_hashfile *hf, dv_hash_record *rec);
/* Whether the input carries the seven dihedral columns. */
int dv_hashfile_has_dihedral(const dv_hashfile *hf);
/* Bytes not parsed yet: of the text (dv_hashfile_open), or of the window, read from fd and
 * not parsed yet (dv_hashfile_open_fd: with the bytes read from fd, how far a run is). */
size_t dv_hashfile_left(const dv_hashfile *hf);
const char *dv_hashfile_errmsg(const dv_hashfile *hf);
void dv_hashfile_close(dv_hashfile *hf);

/* ------------------------------------------------------------------------
 * PDQ radius matching: every (query, entry) pair within Hamming distance
 * radius (0..63), exactly once. Built on multi-index hashing, run as a join
 * of the list's and the query batch's slot buckets. */
typedef struct dv_pdq_index dv_pdq_index;

typedef struct dv_pdq_match {
    uint64_t query;   /* index into the query batch */
    uint64_t entry;   /* index into the indexed codes */
    int distance;
    int dihedral;     /* dv_dihedral of the query variant that matched */
} dv_pdq_match;

/* Called with matches in batches; return non-zero to stop. */
typedef int (*dv_pdq_match_fn)(void *ctx, const dv_pdq_match *m, size_t n);

/* Index n codes (not copied: they must outlive the index). */
dv_pdq_index *dv_pdq_index_create(const dv_pdq_hash *codes, size_t n, dv_simd simd,
                                  const dv_alloc *alloc);
void dv_pdq_index_free(dv_pdq_index *ix);
/* Match a batch. queries: nq x nvariants hashes, variant-major per query
 * (query q variant v at q * nvariants + v; nvariants 1 or 8, variant v
 * reported as dihedral v). Pairs found through several variants are
 * reported once, with the smallest distance (lowest variant on ties).
 * Output is in (query, entry) order. */
int dv_pdq_index_match(dv_pdq_index *ix, const dv_pdq_hash *queries, size_t nq, int nvariants,
                       int radius, dv_pdq_match_fn fn, void *ctx);
/* The same by brute force (reference for tests and benchmarks). */
int dv_pdq_match_bruteforce(const dv_pdq_hash *codes, size_t n, const dv_pdq_hash *queries,
                            size_t nq, int nvariants, int radius, dv_simd simd,
                            dv_pdq_match_fn fn, void *ctx);

/* ------------------------------------------------------------------------
 * Parquet. A reader for flat schemas (docs/parquet.md): required and optional
 * primitive columns, data pages v1 and v2, PLAIN, dictionary, RLE, DELTA_* and
 * BYTE_STREAM_SPLIT encodings, UNCOMPRESSED/SNAPPY/GZIP/ZSTD/LZ4/LZ4_RAW/BROTLI.
 * Leaves of non-repeated structs read as flat columns named "a.b"; repeated
 * columns (lists, maps) are listed, read as lists when one level deep
 * (dv_parquet_reader_read_list), read with their levels at any depth
 * (dv_parquet_reader_read_levels, with the schema tree of dv_parquet_reader_node),
 * and copied whole by dv_parquet_writer_create_copy (a cleaned copy). Reading is one row
 * group at a time, only the requested columns, so memory follows the largest
 * row group, not the file. Every size or count from the file is checked before
 * anything is allocated. Errors name the file, row group, column and offset
 * (dv_parquet_reader_errmsg). One thread at a time per handle. */

/* Physical types; the numbers are parquet.thrift's. */
typedef enum dv_pq_type {
    DV_PQ_BOOLEAN = 0,
    DV_PQ_INT32 = 1,
    DV_PQ_INT64 = 2,
    DV_PQ_INT96 = 3,
    DV_PQ_FLOAT = 4,
    DV_PQ_DOUBLE = 5,
    DV_PQ_BYTE_ARRAY = 6,
    DV_PQ_FIXED_LEN_BYTE_ARRAY = 7
} dv_pq_type;

typedef enum dv_pq_repetition {
    DV_PQ_REQUIRED = 0,
    DV_PQ_OPTIONAL = 1,
    DV_PQ_REPEATED = 2
} dv_pq_repetition;

/* Compression codecs; the numbers are parquet.thrift's. The writer takes
 * UNCOMPRESSED, SNAPPY, GZIP and ZSTD. */
typedef enum dv_pq_codec {
    DV_PQ_UNCOMPRESSED = 0,
    DV_PQ_SNAPPY = 1,
    DV_PQ_GZIP = 2,
    DV_PQ_LZO = 3,
    DV_PQ_BROTLI = 4,
    DV_PQ_LZ4 = 5,
    DV_PQ_ZSTD = 6,
    DV_PQ_LZ4_RAW = 7
} dv_pq_codec;

/* "BOOLEAN", "INT32", ... "FIXED_LEN_BYTE_ARRAY", or "?". */
const char *dv_pq_type_name(dv_pq_type t);

/* A column as the schema declares it. Strings belong to the reader. */
typedef struct dv_parquet_column_info {
    const char *name;        /* dotted path for nested leaves ("a.b.c") */
    dv_pq_type type;
    int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY width in bytes, else 0 */
    dv_pq_repetition repetition; /* of the leaf itself */
    int nested;              /* 1: repeated somewhere on its path (list, map): not read by
                                dv_parquet_reader_read_row_group (read_list reads one level
                                deep, read_levels any; dv_parquet_writer_create_copy copies
                                any) */
    int is_string;           /* STRING (logical) or UTF8 (converted) annotation */
    int32_t converted_type;  /* parquet.thrift ConvertedType, -1 if none */
    int32_t logical_type;    /* the LogicalType union member id (1 STRING, 5 DECIMAL, ...),
                                0 if none */
    int32_t scale, precision; /* DECIMAL */
    int in_group;            /* a leaf of non-repeated groups (structs): read as a flat column
                                named "a.b", null when any level is null (the batch's
                                def_levels tell which); dv_parquet_reader_field gives its groups
                                so that the writer can copy it */
    int max_def;             /* definition level of a present value (0: required all the way) */
    int32_t time_unit;       /* TIMESTAMP/TIME logical type: 1 millis, 2 micros, 3 nanos; 0 none */
    int utc_adjusted;        /* TIMESTAMP/TIME isAdjustedToUTC */
    int max_rep;             /* repeated levels on its path: 1 for a list column
                                (dv_parquet_reader_read_list), more for lists of lists */
} dv_parquet_column_info;

/* What the footer says about one column chunk. */
typedef struct dv_parquet_chunk_info {
    dv_pq_codec codec;
    int64_t num_values;
    int64_t compressed_size;   /* total_compressed_size */
    int64_t uncompressed_size; /* total_uncompressed_size */
    size_t num_kv;             /* entries of its own key_value_metadata
                                  (dv_parquet_reader_chunk_kv) */
} dv_parquet_chunk_info;

typedef struct dv_parquet_reader_opts {
    /* Ceiling on the decoded size of one row group's requested columns, and of any
     * one page, checked before allocating. 0: 1 GiB. */
    uint64_t max_row_group_bytes;
    /* Ceiling on the footer (file metadata) size. 0: 64 MiB. */
    uint64_t max_footer_bytes;
    int skip_crc; /* don't verify page CRCs (they are verified when present) */
    /* Zero every buffer that held file, page or value bytes before it is freed or grown
     * (for readers of columns that hold images, whose bytes must not outlive their use) */
    int wipe;
    const dv_alloc *alloc;
} dv_parquet_reader_opts;

typedef struct dv_parquet_reader dv_parquet_reader;

/* Open a file: reads and validates the footer and schema only. opts may be
 * NULL. On failure *out is NULL and errbuf says why. */
int dv_parquet_reader_open(const char *path, const dv_parquet_reader_opts *opts,
                           dv_parquet_reader **out, char *errbuf, size_t errcap);
/* The same over a caller-owned buffer that must outlive the reader. name is
 * used in messages (NULL: "<buffer>"). */
int dv_parquet_reader_open_buffer(const void *buf, size_t len, const char *name,
                                  const dv_parquet_reader_opts *opts, dv_parquet_reader **out,
                                  char *errbuf, size_t errcap);
void dv_parquet_reader_free(dv_parquet_reader *r);
/* Zero the reader's buffers now (file bytes, pages, decoded values): every batch it returned
 * is then zeros. Its capacity is kept for the next row group. */
void dv_parquet_reader_wipe(dv_parquet_reader *r);
/* Detail of the last failure ("" if none). */
const char *dv_parquet_reader_errmsg(const dv_parquet_reader *r);

/* Leaf columns in schema order, repeated ones included. */
size_t dv_parquet_reader_num_columns(const dv_parquet_reader *r);
int dv_parquet_reader_column(const dv_parquet_reader *r, size_t col, dv_parquet_column_info *out);
/* A node of the schema tree: the file's SchemaElements in their order (depth first), node 0 the
 * root, a group's children right after it (the first at its index + 1, each next one after the
 * whole subtree of the one before). With dv_parquet_reader_read_levels, what a caller needs to
 * assemble nested values: a node is present in an entry of a leaf below it whose definition
 * level is at least the node's def_level, and a repeated node's next instance begins at an
 * entry of repetition level rep_level. */
typedef struct dv_parquet_node {
    const char *name;            /* NUL-terminated, owned by the reader */
    dv_pq_repetition repetition; /* REQUIRED where the file leaves it out (the root) */
    size_t num_children;         /* 0: a leaf, column first_column */
    size_t parent;               /* the root's is 0 */
    int32_t converted_type;      /* parquet.thrift ConvertedType, -1 if none (1 MAP,
                                    2 MAP_KEY_VALUE, 3 LIST) */
    int32_t logical_type;        /* LogicalType union member id, 0 if none (2 MAP, 3 LIST) */
    int def_level;               /* optional and repeated nodes from the root down to this one,
                                    itself included (the root's: 0) */
    int rep_level;               /* repeated nodes likewise */
    size_t first_column;         /* the leaf columns under it, consecutive: */
    size_t num_columns;          /* [first_column, first_column + num_columns) */
} dv_parquet_node;
size_t dv_parquet_reader_num_nodes(const dv_parquet_reader *r);
/* Node i; DV_EINVAL (and *out zeroed) past the last. */
int dv_parquet_reader_node(const dv_parquet_reader *r, size_t i, dv_parquet_node *out);
/* Index of the leaf column with this (dotted) name, or -1. */
int64_t dv_parquet_reader_find_column(const dv_parquet_reader *r, const char *name);
uint64_t dv_parquet_reader_num_rows(const dv_parquet_reader *r);
size_t dv_parquet_reader_num_row_groups(const dv_parquet_reader *r);
uint64_t dv_parquet_reader_row_group_rows(const dv_parquet_reader *r, size_t rg);
int dv_parquet_reader_chunk(const dv_parquet_reader *r, size_t rg, size_t col,
                            dv_parquet_chunk_info *out);
/* The file's created_by string ("" if absent), NUL-terminated, owned by the reader. */
const char *dv_parquet_reader_created_by(const dv_parquet_reader *r);
/* One entry of the footer's key_value_metadata (FileMetaData field 5), where writers keep what
 * the Parquet schema cannot say: Arrow's ARROW:schema, pandas', Hugging Face's huggingface
 * (features such as Image()), Spark's, GeoParquet's geo. Bytes as stored (UTF-8 by convention,
 * not NUL-terminated), pointing into the reader; value is NULL for an entry without one (an
 * empty value is non-NULL with value_len 0). */
typedef struct dv_parquet_kv {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} dv_parquet_kv;
/* Entries in file order, duplicates kept. A file of more than 4096 entries or 32 MiB of keys
 * and values is refused at open (DV_ETOOBIG); an entry without a key is DV_ECORRUPT. */
size_t dv_parquet_reader_num_kv(const dv_parquet_reader *r);
/* Entry i; DV_EINVAL (and *out zeroed) past the last. */
int dv_parquet_reader_kv(const dv_parquet_reader *r, size_t i, dv_parquet_kv *out);
/* Entry i of column chunk (rg, col)'s own key_value_metadata (ColumnMetaData field 8), as for
 * the footer's: in file order, duplicates kept, value NULL for an entry without one; their
 * number is dv_parquet_chunk_info.num_kv. DV_EINVAL (and *out zeroed) past the last. A chunk of
 * more than 4096 entries or 32 MiB, or column chunks of more than 32 MiB together, are refused
 * at open (DV_ETOOBIG); an entry without a key is DV_ECORRUPT. */
int dv_parquet_reader_chunk_kv(const dv_parquet_reader *r, size_t rg, size_t col, size_t i,
                               dv_parquet_kv *out);

/* Column chunk statistics from the footer. min/max are the PLAIN bytes of the
 * value (raw bytes for byte arrays) and point into the reader; NULL if absent. */
typedef struct dv_parquet_stats {
    const uint8_t *min;
    size_t min_len;
    const uint8_t *max;
    size_t max_len;
    int64_t null_count; /* -1 if absent */
} dv_parquet_stats;
int dv_parquet_reader_stats(const dv_parquet_reader *r, size_t rg, size_t col,
                            dv_parquet_stats *out);

/* One column of one row group, decoded. Row i of a fixed-size type is at
 * values + i * value_size: BOOLEAN 1 byte (0/1), INT32/FLOAT 4, INT64/DOUBLE 8,
 * INT96 12, FIXED_LEN_BYTE_ARRAY type_length, host byte order. BYTE_ARRAY row i
 * is data[offsets[i] .. offsets[i+1]) and values is NULL. validity is NULL for
 * required columns, else rows bytes, 1 present / 0 null; a null row's slot is
 * zeroed (empty for byte arrays). Valid until the next read or free. */
typedef struct dv_parquet_batch {
    size_t column;           /* leaf column index in the file */
    dv_pq_type type;
    size_t value_size;       /* bytes per row in values; 0 for BYTE_ARRAY */
    uint64_t rows;
    uint64_t null_count;
    const void *values;
    const uint8_t *validity;
    const uint64_t *offsets; /* rows + 1 entries, BYTE_ARRAY only */
    const uint8_t *data;
    /* struct leaves with more than one optional level (max_def > 1): each row's definition
     * level, the number of optional levels present (a value: max_def); NULL otherwise */
    const uint8_t *def_levels;
} dv_parquet_batch;

/* Decode the given columns of row group rg, out[i] for columns[i]. A repeated
 * column or an unsupported feature fails with DV_EFORMAT and a message naming
 * the column; corrupt data with DV_ECORRUPT; a limit with DV_ETOOBIG. Earlier
 * batches are invalidated even on failure. */
int dv_parquet_reader_read_row_group(dv_parquet_reader *r, size_t rg, const size_t *columns,
                                     size_t ncolumns, dv_parquet_batch *out);

/* A list column of row group rg (one repeated level: list<x>, list<struct{...x...}>; what
 * interleaved image-text datasets hold their images in): out is a batch over the column's
 * entries (each a list element, or an empty or null list: null then, its def_levels saying
 * which), and row i's entries are [row_start[i], row_start[i + 1]). Valid until the next
 * call of this function (independent of dv_parquet_reader_read_row_group's batches).
 * The entries are counted from the data page headers (the chunk's num_values is only a
 * hint). DV_EFORMAT for a column that is not repeated or is nested deeper. */
int dv_parquet_reader_read_list(dv_parquet_reader *r, size_t rg, size_t col,
                                dv_parquet_batch *out, const uint64_t **row_start);

/* A leaf column of a row group with its repetition and definition levels, whatever its nesting:
 * what lists, maps, lists of lists and lists of structs are assembled from (the Dremel
 * encoding; docs/parquet.md). batch is over the column's level entries (its rows when max_rep is
 * 0): dv_parquet_batch_value(&batch, e) is entry e, a value when def_levels[e] == max_def, else
 * a null, an empty or null list or a null struct somewhere above the leaf (its slot zeroed;
 * batch.null_count counts these entries). */
typedef struct dv_parquet_levels {
    dv_parquet_batch batch;
    const uint8_t *def_levels; /* each entry's definition level; NULL when max_def is 0 */
    const uint8_t *rep_levels; /* each entry's repetition level; NULL when max_rep is 0 */
    const uint64_t *row_start; /* max_rep > 0: row i is entries [row_start[i], row_start[i + 1])
                                  (rows + 1 values); NULL otherwise, entry i being row i */
    int max_def, max_rep;
} dv_parquet_levels;

/* Decode the given leaf columns of row group rg with their levels, out[i] for columns[i]: any
 * column, flat, struct leaf or repeated at any depth. The levels are checked: the entries split
 * at repetition level 0 into exactly the row group's rows, and an entry that continues a list
 * has that list present and non-empty (DV_ECORRUPT otherwise). The batches share
 * dv_parquet_reader_read_row_group's: valid until the next call of either, invalidated even on
 * failure. Columns of one field are not checked against each other (that a map's keys and
 * values agree, say): an assembler must check them as it goes. */
int dv_parquet_reader_read_levels(dv_parquet_reader *r, size_t rg, const size_t *columns,
                                  size_t ncolumns, dv_parquet_levels *out);

/* One value, for moving rows between a reader and a writer. bytes/len carry
 * BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY and INT96 (12 bytes) values. */
typedef struct dv_parquet_value {
    int is_null;
    int def_level;  /* a null of a struct leaf: its definition level (0 .. max_def - 1, the
                       optional levels present); 0 for any other value */
    int32_t i32;    /* INT32, and BOOLEAN as 0/1 */
    int64_t i64;
    float f32;
    double f64;
    const uint8_t *bytes;
    size_t len;
} dv_parquet_value;

/* Row row of a batch as a value (bytes point into the batch). */
int dv_parquet_batch_value(const dv_parquet_batch *b, uint64_t row, dv_parquet_value *out);

/* Writer: flat columns and leaves of non-repeated groups (structs), data pages v1, PLAIN
 * encoding, dictionary encoding for byte arrays while the dictionary stays small (and for the
 * fixed-width columns a copy with like_source finds dictionary-encoded in its source),
 * min/max/null_count statistics; and copies of a file of any schema, lists and maps
 * included (dv_parquet_writer_create_copy, below). */

#define DV_PARQUET_MAX_GROUPS 32
/* A struct enclosing a field: its name and whether it may be null. */
typedef struct dv_parquet_group {
    const char *name;
    int optional;
} dv_parquet_group;

typedef struct dv_parquet_field {
    const char *name;
    dv_pq_type type;         /* any but INT96 gets statistics; all are accepted */
    int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY width (1..2^20) */
    int optional;
    int is_string;           /* BYTE_ARRAY holding UTF-8: annotated STRING */
    int has_converted_type;  /* converted_type below is set */
    int32_t converted_type;  /* parquet.thrift ConvertedType (DECIMAL, DATE, ...) */
    int32_t scale, precision; /* DECIMAL */
    /* Annotation copied verbatim from a file being rewritten: set by
     * dv_parquet_reader_field, NULL/0 otherwise. */
    const void *logical_type_raw;
    size_t logical_type_raw_len;
    /* The structs the field is a leaf of, outermost first (none: a top-level column; at
     * most DV_PARQUET_MAX_GROUPS); name is then the leaf's own name. Fields of one struct
     * must be consecutive. Set by dv_parquet_reader_field (the reader owns the strings). */
    const dv_parquet_group *groups;
    size_t ngroups;
} dv_parquet_field;

/* A field describing leaf column col of a reader exactly (name, type,
 * repetition, annotations, and the structs it is a leaf of), for writing a copy with the
 * same schema. Strings point into the reader. DV_EFORMAT for a repeated (list, map)
 * column: dv_parquet_writer_create_copy copies files with such columns. */
int dv_parquet_reader_field(const dv_parquet_reader *r, size_t col, dv_parquet_field *out);

typedef struct dv_parquet_writer_opts {
    dv_pq_codec codec;          /* DV_PQ_UNCOMPRESSED (0), SNAPPY, GZIP, ZSTD, LZ4_RAW or BROTLI */
    /* codec level, 0: the codec's default (gzip 6, zstd 3; brotli quality 8, Arrow's, and 4
     * tried as well for each page, the smaller kept; a brotli level over 11 is 11; LZ4_RAW and
     * SNAPPY have none) */
    int level;
    uint64_t row_group_rows;    /* rows per row group, 0: 1,000,000 */
    /* a row group is also cut once the values, levels and lengths it holds in memory pass this
     * (checked after each row, and after each source row group of a copy, so memory stays under
     * it plus one such row group), 0: 256 MiB */
    uint64_t row_group_bytes;
    size_t page_bytes;          /* target uncompressed page size, 0: 1 MiB */
    int no_dictionary;          /* never dictionary-encode byte arrays */
    size_t dictionary_max_bytes; /* fall back to PLAIN above this, 0: 1 MiB */
    const char *created_by;     /* NULL: "datavet <version>" */
    const dv_alloc *alloc;
    /* For files that hold images (a cleaned copy): every buffer that held values (columns,
     * pages, compressed pages, the dictionary, statistics, stdio's buffer, the gzip, zstd,
     * lz4 and brotli compressors' state) is zeroed before it is freed or grown, the column
     * buffers once each row group is written; and a copy zeroes its source reader's buffers
     * (dv_parquet_reader_wipe) after each dv_parquet_writer_copy_row_group, so the removed
     * rows' images do not wait for the next row group. */
    int wipe;
    /* Copies (dv_parquet_writer_copy_row_group): a row group whose every row is kept is
     * written as the source file holds it, column chunk by column chunk, byte for byte
     * (its pages, codec, encodings and page statistics; its ColumnMetaData the source's with
     * the page offsets moved, the deprecated min/max, the bloom filter and the page index
     * left out, min_value/max_value kept when the source's column orders are
     * TypeDefinedOrder and neither is over 4 KiB). Nothing of it is decompressed or
     * decoded, so nothing of it is checked but the page headers (they must fill each chunk
     * exactly and hold its num_values; a chunk that does not, or that is encrypted, makes
     * the row group be decoded and encoded again as without this flag). */
    int raw_groups;
    /* Copies (dv_parquet_writer_create_copy): row groups and columns written again take the
     * source's shape where the writer can, so a copy is about the source's size: each
     * column's codec the source's (its chunk in the source's first row group; LZ4 written as
     * LZ4_RAW; LZO, which it cannot write, as codec above), at level (the footer
     * does not record the source's), dictionary encoding for a column whose source chunk has
     * a dictionary page (fixed-width types too) and none for one without, and row groups of
     * the source's largest row count (row_group_rows, if set, wins). Not kept: the source's
     * page sizes (page_bytes), data page version (v1 is written) and other encodings (DELTA_*,
     * BYTE_STREAM_SPLIT: PLAIN). */
    int like_source;
    /* The file is created anew: whatever is at path (a file an earlier run left, a link
     * planted there) is removed, and path created O_CREAT|O_EXCL|O_NOFOLLOW, so no link is
     * followed and no other file is truncated or has its mode changed. For a temporary name
     * renamed into place afterwards, or a file of a cleaned copy. 0: path is opened as
     * dv_parquet_writer_create says (created or truncated, a link followed). */
    int create_new;
    /* dv_parquet_writer_close syncs the file's data (dv_file_sync) before it closes it: for a
     * file renamed into place afterwards, so a crash cannot leave it there cut short. */
    int sync;
} dv_parquet_writer_opts;

typedef struct dv_parquet_writer dv_parquet_writer;

/* Create path (truncating it) for the given fields. Names must be non-empty and
 * distinct within a struct (a field and a struct may not share one); a struct's fields
 * consecutive, and the struct's optional flag the same in each. On failure *out is NULL
 * and errbuf says why. */
int dv_parquet_writer_create(const char *path, const dv_parquet_field *fields, size_t nfields,
                             const dv_parquet_writer_opts *opts, dv_parquet_writer **out,
                             char *errbuf, size_t errcap);
/* Append one row: values[i] for field i. A NULL value in a field with no optional level
 * (itself or a struct around it) is DV_EINVAL, and so is a null's def_level at or over
 * the field's number of optional levels, fields of one struct that disagree on whether it
 * (or a struct around it) is null, or a FIXED_LEN_BYTE_ARRAY of the wrong length. */
int dv_parquet_writer_write_row(dv_parquet_writer *w, const dv_parquet_value *values);
/* Append rows [first, first + n) of reader batches (one per field, in field
 * order, same types), skipping rows whose keep byte is 0 (keep may be NULL).
 * This is how a cleaned copy of a file is written. */
int dv_parquet_writer_write_batches(dv_parquet_writer *w, const dv_parquet_batch *batches,
                                    uint64_t first, uint64_t n, const uint8_t *keep);
/* Flush the last row group, write the footer and close the file. */
int dv_parquet_writer_close(dv_parquet_writer *w);
const char *dv_parquet_writer_errmsg(const dv_parquet_writer *w);
/* Free; a writer not closed removes its unfinished file. NULL is fine. */
void dv_parquet_writer_free(dv_parquet_writer *w);

/* A writer for a copy of the file src reads, whatever its nesting: the schema is src's tree
 * element for element (structs, lists, maps and lists of lists; names, repetition, converted
 * and logical annotations, field ids), the footer's key_value_metadata src's, and rows go in
 * only through dv_parquet_writer_copy_row_group (write_row and write_batches refuse). Each
 * column chunk carries the source's repetition and definition levels of the kept rows, and the
 * source chunk's own key_value_metadata, verbatim (a row group of the copy holds rows of source
 * row groups whose chunks' entries are the same, cut between others; DV_ETOOBIG where row
 * groups split would repeat them past 32 MiB together); statistics as above, but no
 * null_count for a repeated column (its entries below the maximum definition level are empty
 * and null lists as much as null values). src must outlive the writer. This is how a cleaned
 * copy of a file is written. */
int dv_parquet_writer_create_copy(const char *path, const dv_parquet_reader *src,
                                  const dv_parquet_writer_opts *opts, dv_parquet_writer **out,
                                  char *errbuf, size_t errcap);
/* Append the rows of row group rg of r (the reader the writer was made from) whose keep byte
 * is nonzero (keep: one byte per row of the row group; NULL keeps all). A row of a repeated
 * column is its whole run of entries, from one of repetition level 0 to the next. Every
 * column is read (and its levels checked) before anything is appended, so a read failure
 * (DV_ECORRUPT, DV_EFORMAT, DV_ETOOBIG, DV_EIO, with the reader's message also on the writer)
 * leaves the copy as it was; r's earlier batches are invalidated. */
int dv_parquet_writer_copy_row_group(dv_parquet_writer *w, dv_parquet_reader *r, size_t rg,
                                     const uint8_t *keep);


/* ------------------------------------------------------------------------
 * Dataset readers: tar/webdataset, .npy, URL lists. */
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
    DV_TAR_SKIP_OTHER = 8     /* volume label, multi-volume continuation */
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
    char type;              /* typeflag; '0' for a regular file (NUL, '7' and types GNU tar
                               does not know, which it extracts as regular files, normalised) */
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
    /* The archive failed (a corrupt header, data cut short, a read error) right after these
     * parts, each read whole: they are given, and the next call returns the failure. The
     * sample may lack members that came after them. */
    int cut;
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
 * dv_tar_reader_next on one reader. Valid until the next call on the reader. A failure
 * after one or more of a sample's members were read whole gives them first (out->cut), as a
 * tar tool extracts the members before a bad header; the next call returns it. */
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

/* ------------------------------------------------------------------------
 * .npz archives (numpy savez / savez_compressed; DataComp ships its CLIP embeddings so): a
 * ZIP of NAME.npy members, stored (method 0) or deflated (method 8), ZIP64 records and extra
 * fields read. The end record is looked for in the last 64 KiB + 22 bytes only; every count,
 * size and offset is checked against the archive's size before use, members may not overlap
 * each other or the central directory, and anything else (encryption, other methods, a
 * split archive) is refused with the file, the member and the offset named (docs/readers.md).
 * A member opens as a dv_npy like an .npy file. Memory: a stored member is used in place in
 * a read-only map of the archive, unless its data does not start at a multiple of its item
 * size, when it is copied into one heap buffer of the member's size; a deflated member is
 * inflated into one heap buffer of the member's size (header + rows * dims * itemsize, which
 * must equal the ZIP's uncompressed size and be at most DV_NPZ_MAX_INFLATE) and its CRC-32
 * checked. Stored members' CRC-32 is not checked (that would read the whole file at open). */
#define DV_NPZ_MAX_MEMBERS 4096u            /* entries of the central directory */
#define DV_NPZ_MAX_NAME 1024u               /* bytes of a member name */
#define DV_NPZ_MAX_INFLATE (16ull << 30)    /* bytes of one inflated (or copied) member */

typedef struct dv_npz_member {
    const char *name;   /* the array's key: the member name without ".npy" */
    int method;         /* 0 stored, 8 deflate (others are listed, not opened) */
    uint64_t offset;    /* of its local header in the archive */
    uint64_t csize;     /* bytes in the archive */
    uint64_t usize;     /* bytes of the .npy image */
    int usable;         /* a 2-D float matrix dv_npz_open opens; then info is set (its
                           data_offset counts from the start of the member's .npy image) */
    dv_npy_info info;
    char problem[200];  /* why not usable, "" when usable */
} dv_npz_member;

/* The members of an .npz in archive order, with dtype and shape read from each header (a
 * deflated member's header alone is inflated). *out is one allocation for
 * dv_npz_list_free. A member that is not an array datavet reads is listed with its problem;
 * an archive whose structure is bad fails (DV_EFORMAT, DV_ECORRUPT or DV_ETOOBIG). */
int dv_npz_list(const char *path, const dv_alloc *alloc, dv_npz_member **out, size_t *n_out,
                char *errbuf, size_t errcap);
/* Same over a caller's buffer. */
int dv_npz_list_buffer(const void *buf, size_t len, const dv_alloc *alloc, dv_npz_member **out,
                       size_t *n_out, char *errbuf, size_t errcap);
void dv_npz_list_free(const dv_alloc *alloc, dv_npz_member *members);
/* Which member key names among n: key is an array's key ("l14_img") or its member name
 * ("l14_img.npy"); key NULL names the only member of an archive of one. DV_EINVAL with
 * errbuf listing the members when key is NULL and there are several, or names none. */
int dv_npz_pick(const dv_npz_member *m, size_t n, const char *key, size_t *index_out,
                char *errbuf, size_t errcap);
/* Open member key (as dv_npz_pick) of an .npz as an embedding matrix; errbuf gets
 * "file: member 'k' at offset N: what" on failure. */
int dv_npz_open(const char *path, const char *key, const dv_alloc *alloc, dv_npy **out,
                char *errbuf, size_t errcap);
/* Same over a caller-owned buffer that must outlive the handle (a stored, aligned member is
 * used in place). */
int dv_npz_open_buffer(const void *buf, size_t len, const char *key, const dv_alloc *alloc,
                       dv_npy **out, char *errbuf, size_t errcap);
/* An .npy file, or member npz_key of an .npz (told by the file's first bytes, not its
 * name): what every embedding input of datavet goes through. */
int dv_npy_open_any(const char *path, const char *npz_key, const dv_alloc *alloc, dv_npy **out,
                    char *errbuf, size_t errcap);
/* 1 when the file starts as a ZIP archive does (an .npz), 0 otherwise (unreadable too). */
int dv_npz_is_zip(const char *path);

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
    const char *url_col;     /* NULL: the column named url, else image_url, any case
                                (docs/readers.md), or the URL of a CSV/TSV without a header
                                row; a name given here matches exactly */
    const char *caption_col; /* NULL: caption or text, any case, optional; a name given here
                                must exist and matches exactly */
    const char *const *extra_cols; /* more columns to return; must exist in CSV/TSV */
    size_t nextra;           /* at most 16 */
    size_t max_record;       /* 0: DV_TEXTLIST_DEFAULT_MAX_RECORD bytes per record */
    const dv_alloc *alloc;
    /* 1: also return the md5, sha1 and sha256 columns (dv_textlist_row.md5...), each
     * optional and found as the default url column is: that name in any case, the exact
     * spelling before another, then the first column; a JSONL key may also fill url, caption
     * or an extra column. None in a CSV/TSV without a header row or in a TXT list. */
    int hash_cols;
    /* 1: also return the id column (dv_textlist_row.id), as a Parquet file's is found: id_col
     * if set, else key, uid, sample_id or id, any case, ranked as the default url column's
     * names. Optional, named or not: a list without it is read (dv_textlist_row.id_missing
     * says so). Like a hash column, it may be another role's column too. */
    int id;
    const char *id_col;
} dv_textlist_opts;

/* Text is NUL-terminated and unescaped; NULL where a column is absent (JSONL key missing
 * or null, no caption column). Valid until the next call. A NUL byte in a field (a CSV
 * field's, JSONL's \u0000) affects that field only: a URL holding one makes the row bad
 * (DV_ECORRUPT, "name:line: a NUL byte in 'url'"), a caption's are given as spaces, and the
 * other fields keep theirs, which their _len counts (an id holding one is no id). */
typedef struct dv_textlist_row {
    uint64_t row;           /* 1-based data row (header not counted) */
    uint64_t line;          /* 1-based line where the record starts */
    const char *url;
    size_t url_len;
    const char *caption;
    size_t caption_len;
    const char *const *extra; /* nextra entries */
    const size_t *extra_len;
    /* with dv_textlist_opts.hash_cols: the md5, sha1 and sha256 columns' text as it is (not
     * checked to be a digest), NULL where absent (no such column; a JSONL key missing, null
     * or holding an object or array) */
    const char *md5, *sha1, *sha256;
    size_t md5_len, sha1_len, sha256_len;
    /* with dv_textlist_opts.id: the id column's text as it is, NULL where absent (as the
     * hash columns) */
    const char *id;
    size_t id_len;
    /* with dv_textlist_opts.id and id NULL: id_missing 1 where the id_col named is not in the
     * list (a CSV/TSV header without it, a list without a header row, a TXT list), 2 where a
     * JSONL record has no member of that name; id_null 1 where a JSONL record's id member
     * (named, or key, uid, sample_id, id) is there and null */
    int id_missing;
    int id_null;
    /* with dv_textlist_opts.id: the name of the column or JSONL member the id came from (or,
     * with id_null, the member that was null), as the file spells it (the one found among key,
     * uid, sample_id, id, or id_col), so that a message about a bad id can name it; NULL where
     * there is none. Valid until the next call. (Appended 2026-12-07.) */
    const char *id_name;
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
/* Bytes of the input parsed so far (the records returned and the lines skipped): how far
 * through a list a reader is, whatever it has read ahead. */
uint64_t dv_textlist_offset(const dv_textlist *t);
/* 1 when a CSV/TSV list has no header row (its first record holds a URL and no column is
 * named url or image_url: CC3M, CC12M), with the 0-based fields of the URL and the caption
 * (-1: none); 0 otherwise. */
int dv_textlist_headerless(const dv_textlist *t, int *url_field, int *caption_field);
const char *dv_textlist_errmsg(const dv_textlist *t);
void dv_textlist_free(dv_textlist *t);

/* ------------------------------------------------------------------------
 * Datasets: layout detection and one item iterator over every layout.
 * A dataset is cut into shards (one parquet file, tar shard, URL-list file, or a fixed-size
 * run of an image folder's files), numbered 0..n-1 in sorted path order; scans, resumes and
 * cluster tasks are all per shard. */
typedef enum dv_layout {
    DV_LAYOUT_UNKNOWN = 0,
    DV_LAYOUT_PARQUET = 1,     /* metadata parquet files (+ LAION's aligned img_emb/ .npy, or
                                  DataComp's X.npz beside X.parquet) */
    DV_LAYOUT_IMG2DATASET = 2, /* webdataset tar shards each with a same-named .parquet */
    DV_LAYOUT_WEBDATASET = 3,  /* webdataset tar shards */
    DV_LAYOUT_IMAGES = 4,      /* a folder of image files (walked recursively) */
    DV_LAYOUT_URLLIST = 5      /* CSV/TSV/JSONL/TXT URL lists */
} dv_layout;

/* "parquet", "img2dataset", "webdataset", "images", "url-list" or "unknown". */
const char *dv_layout_name(dv_layout l);

#define DV_DATASET_DEFAULT_IMAGES_PER_SHARD 10000u

typedef struct dv_dataset_opts {
    const char *url_col;      /* NULL: url, URL, image_url (any case) */
    const char *caption_col;  /* NULL: caption, TEXT, text */
    const char *id_col;       /* NULL: key, uid, SAMPLE_ID, id */
    /* the unsafe score (a FLOAT or DOUBLE column, or a JSON number in a webdataset .json),
     * such as COYO's nsfw_score_opennsfw2. NULL: punsafe, else nsfw (any case) */
    const char *punsafe_col;
    /* Parquet column holding the image bytes (a dotted leaf such as "image.bytes"). NULL: the
     * first non-string BYTE_ARRAY leaf named image.bytes, image, img.bytes, img, jpg, jpeg,
     * png, webp or image_bytes (any case), whose values are taken as images only where they
     * start with an image signature; a named column: every value is taken */
    const char *image_col;
    uint64_t max_image_bytes; /* bytes of one image (tar member, file or parquet value);
                                 0: 256 MiB */
    uint32_t images_per_shard; /* image folders; 0: DV_DATASET_DEFAULT_IMAGES_PER_SHARD */
    const dv_alloc *alloc;
    /* The array of X.npz (DataComp: beside X.parquet) that holds the image embeddings, such
     * as "l14_img" (dv_npz_pick). NULL: an .npz of one array gives it; one of several is
     * not used, and dataset_problems names its arrays */
    const char *npz_key;
    /* Metadata the caller will not use (DV_SKIP_*): a parquet shard does not read those
     * columns (for a metadata scan, the caption column is most of the bytes), and items leave
     * those fields unset; other layouts may still set them. 0: read everything */
    unsigned skip;
} dv_dataset_opts;

#define DV_SKIP_CAPTION 1u /* dv_item.caption */
#define DV_SKIP_MD5 2u     /* dv_item.md5 (a metadata digest column; image bytes are still given) */
#define DV_SKIP_SHA1 4u
#define DV_SKIP_SHA256 8u
#define DV_SKIP_PUNSAFE 16u /* dv_item.punsafe / has_punsafe */

typedef struct dv_shard_info {
    uint64_t index;
    const char *name;       /* path below the folder common to all shards, without
                               extension ("00003", "metadata_0", "train/0000"), or
                               "images-000002" for a run of an image folder */
    const char *path;       /* parquet, tar or list file; the folder for image shards */
    const char *meta_path;  /* img2dataset: the shard's .parquet; NULL otherwise */
    const char *emb_path;   /* row-aligned embedding .npy or .npz; NULL if none */
    uint64_t first_file;    /* image folders: the run [first_file, first_file + nfiles) */
    uint64_t nfiles;        /* of the sorted file list */
    const char *emb_unused; /* the shard's embedding .npy when it is not used (rows not aligned
                               or unreadable: see dv_dataset_problems); NULL otherwise */
    const char *text_emb_path; /* LAION's text_emb/text_emb_N.npy, rows aligned with the
                               shard's: not searched, but kept in step by --clean; NULL if none */
    const char *emb_key;    /* the array of an .npz emb_path (DataComp's X.npz beside
                               X.parquet) that is used; NULL for an .npy */
} dv_shard_info;

typedef struct dv_dataset dv_dataset;

/* How datavet scan takes a Parquet column as images (docs/scan.md). DV_IMGCOL_FLAT: a
 * BYTE_ARRAY column (or struct leaf) without a STRING annotation named image.bytes, image,
 * img.bytes, img, jpg, jpeg, png, webp or image_bytes (any case); DV_IMGCOL_LIST: a binary
 * leaf of a list one level deep whose name holds image, img, jpg or png or ends in .bytes;
 * DV_IMGCOL_DEEP: the same in lists of lists (not read). With image_col (--image-col), the
 * column of that name whatever its annotation. */
typedef enum dv_image_column {
    DV_IMGCOL_NONE = 0,
    DV_IMGCOL_FLAT = 1,
    DV_IMGCOL_LIST = 2,
    DV_IMGCOL_DEEP = 3
} dv_image_column;
dv_image_column dv_image_column_kind(const dv_parquet_column_info *ci, const char *image_col);
/* The column a dataset reader takes its images from: the first DV_IMGCOL_FLAT one, else the
 * first DV_IMGCOL_LIST one (*is_list set, when not NULL); -1 if none. */
int64_t dv_image_column_pick(const dv_parquet_reader *r, const char *image_col, int *is_list);

/* Recognise the layout of path (a file or a directory) and list its shards. A path that is
 * none of the layouts fails with DV_EFORMAT and errbuf says what was found. opts may be NULL. */
int dv_dataset_open(const char *path, const dv_dataset_opts *opts, dv_dataset **out,
                    char *errbuf, size_t errcap);
void dv_dataset_free(dv_dataset *ds);
dv_layout dv_dataset_layout(const dv_dataset *ds);
uint64_t dv_dataset_num_shards(const dv_dataset *ds);
/* Strings point into ds. DV_ERANGE past the last shard. */
int dv_dataset_shard(const dv_dataset *ds, uint64_t i, dv_shard_info *out);
/* The i-th file of an image folder's sorted file list (a shard holds the run
 * [first_file, first_file + nfiles)); NULL out of range or for other layouts. */
const char *dv_dataset_file(const dv_dataset *ds, uint64_t i);
/* The dataset's path as opened (trailing slashes removed); the shards' paths start with it. */
const char *dv_dataset_root(const dv_dataset *ds);
/* Problems found while opening (an .npy whose rows do not match its parquet, a parquet with
 * no URL column...), one per line, "" if none. They do not stop a scan. Each line is written
 * escaped, as datavet(1) TEXT ON A TERMINAL says (controls, a line feed among them, and
 * ill-formed UTF-8 as \xHH, a backslash as \\): a file, member or column named with a line
 * feed never starts a line of its own. So are dv_scan_result's texts of several lines and
 * dv_list_builder_errmsg; single messages (errbuf, the *_errmsg functions) keep the bytes. */
const char *dv_dataset_problems(const dv_dataset *ds);

/* One item of a shard. Strings are NUL-terminated, NULL when absent; everything is valid
 * until the next call on the reader. */
typedef struct dv_item {
    uint64_t shard;
    uint64_t row;           /* 0-based: parquet/list row, tar sample (webdataset), file */
    int64_t sample;         /* tar sample number, -1 if the item has none */
    uint64_t line;          /* URL lists: the 1-based line the row's record starts on (a quoted
                               CSV field may go on over more); 0 for other layouts */
    const char *id;         /* the id column, webdataset key, relative file path, or
                               "<shard name>:<row>" */
    const char *url;
    const char *caption;
    const char *status;     /* img2dataset status column ("success", ...) */
    unsigned have;          /* DV_ALGO_MD5/SHA1/SHA256 bits: hash columns in the metadata */
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
    int has_punsafe;
    double punsafe;
    const uint8_t *image;   /* image bytes from a tar member, file, parquet image column or
                               base64 data: URI in the URL (decoded), NULL if none */
    size_t image_len;
    const char *image_name; /* tar member path, file path, parquet image column name or
                               "data: URI" */
    int64_t emb_row;        /* row in the shard's emb_path, -1 if none */
    unsigned list_index;    /* 0, or k for the row's image after its first k of a parquet
                               image list or a webdataset sample of several images: id and
                               url are the row's, for the record; the row's metadata (URL
                               included) is matched with its first item */
    int problem;            /* 0, or DV_E*: the item is known but unusable (image over the
                               limit, file unreadable, expected member missing) */
    const char *problem_msg;
    int meta_unread;        /* 1: the item's own metadata file (a webdataset sample's .json)
                               could not be read (not a JSON object, over 1 MiB): its url,
                               caption and hash columns are absent; the image is still there */
    int image_path_only;    /* 1: a parquet image struct ({bytes, path}, Hugging Face's Image
                               feature) whose bytes are null or empty and whose path is set:
                               the image is kept outside the file, and the item has none */
    unsigned bad_digest;    /* DV_ALGO_MD5/SHA1/SHA256 bits: the md5/sha1/sha256 column (of a
                               parquet file or a URL list with a header row, or a .json
                               member) holds a value that is no digest of its kind (a
                               wrong length, a non-hex character); that bit of have is 0. An
                               empty or null value is absent, not bad */
    unsigned digest_json;   /* DV_ALGO_MD5/SHA1/SHA256 bits: of have and bad_digest, those whose
                               value came from a webdataset sample's .json member (an
                               img2dataset sample whose key is not in its .parquet, or read
                               without it), not from a metadata column */
    unsigned digest_text;   /* DV_ALGO_MD5/SHA1/SHA256 bits: of have and bad_digest, those whose
                               value was text (a STRING/UTF8 parquet column, a URL list's
                               field, a .json member), taken as hex only; the others came from
                               a binary parquet column, where the digest's size in bytes is
                               the raw digest */
    /* DV_ALGO_MD5/SHA1/SHA256 bits: an img2dataset sample whose .parquet row and .json member
     * both give that digest, well-formed and different (or the row's no digest): the .json's,
     * checked against the lists as well as the row's (which is md5/sha1/sha256 above) */
    unsigned digest_alt;
    uint8_t alt_md5[16], alt_sha1[20], alt_sha256[32];
    /* an img2dataset sample whose .parquet row and .json member both give a url (a caption),
     * not empty and different: the .json's, checked against the URL lists (searched for
     * --flag-terms) as well as the row's, which is url (caption) above; NULL otherwise */
    const char *url_alt;
    const char *caption_alt;
    /* NULL, or why id is not the value of the item's id column, or is one another item of the
     * shard has too, naming file, row and column (the scan's error bad_id; docs/scan.md,
     * "Ids"): the --id-col named is not in the file (with its first item), the row's id is
     * null, empty or holds a NUL byte (id is then "<shard name>:<row>"), or an img2dataset
     * key repeats (the sample is then joined with no .parquet row, or the row shares its key) */
    const char *id_msg;
    /* 1: the item's url member (a webdataset sample's .json) held a NUL byte: as a C string it
     * would be another URL, so url is not taken from it (NULL, or an img2dataset row's); the
     * scan's error bad_url names the sample and the member */
    int url_nul;
} dv_item;

typedef struct dv_shard_reader dv_shard_reader;

int dv_shard_reader_open(const dv_dataset *ds, uint64_t shard, dv_shard_reader **out,
                         char *errbuf, size_t errcap);
/* 1 with an item, 0 at the end. DV_ECORRUPT: a bad record or row group was skipped
 * (errmsg names file and offset/row group) and the next call goes on after it, or a parquet
 * row group's image column (flat or a list) could not be read: errmsg names it and its rows,
 * and the next calls give those rows without images. Any other negative code is final for
 * this shard (truncated archive, unreadable file). */
int dv_shard_reader_next(dv_shard_reader *r, dv_item *out);
/* Items skipped inside bad row groups or records so far. */
uint64_t dv_shard_reader_lost(const dv_shard_reader *r);
const char *dv_shard_reader_errmsg(const dv_shard_reader *r);
void dv_shard_reader_free(dv_shard_reader *r);

/* ------------------------------------------------------------------------
 * URL fetching (src/net/, docs/fetch.md). One libcurl multi handle, driven by the thread
 * that calls dv_fetcher_next, runs many transfers: HTTP/1.1 keep-alive, HTTP/2 over TLS,
 * the multi's DNS and connection caches, http and https only, at most 5 redirects, limits
 * on time, speed and size. Bodies live in memory only (never on disk) and are zeroed when
 * released. Every connection's resolved address is checked when its socket is opened
 * (redirects and DNS answers included), so by default nothing but global unicast
 * addresses is reachable.
 *
 * A program using the fetcher must call dv_net_global_init() (or curl_global_init) once,
 * before it starts threads; datavet's main() does. */

/* Initialise / release libcurl for the process (curl_global_init / curl_global_cleanup).
 * DV_EIO if libcurl cannot be initialised. */
int dv_net_global_init(void);
void dv_net_global_cleanup(void);

/* Classes of IP addresses, as bits, for dv_fetch_opts.allow_addr. */
typedef enum dv_addr_class {
    DV_ADDR_GLOBAL = 0,        /* global unicast: always allowed */
    DV_ADDR_LOOPBACK = 1u << 0,  /* 127/8, ::1 */
    DV_ADDR_PRIVATE = 1u << 1,   /* 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7,
                                    fec0::/10 */
    DV_ADDR_LINKLOCAL = 1u << 2, /* 169.254/16 (cloud metadata), fe80::/10 */
    DV_ADDR_MULTICAST = 1u << 3, /* 224/4, ff00::/8 */
    DV_ADDR_RESERVED = 1u << 4,  /* 0/8, 192.0.0/24, 192.0.2/24, 192.88.99/24, 198.18/15,
                                    198.51.100/24, 203.0.113/24, 240/4, 255.255.255.255, ::,
                                    ::/96, 100::/64, 2001::/23, 2001:db8::/32, 3fff::/20,
                                    64:ff9b:1::/48, 5f00::/16 */
    DV_ADDR_ALL = 0x1Fu          /* every class: what --allow-private allows */
} dv_addr_class;

/* Class of one address: family 4 with 4 bytes or 6 with 16 bytes (network order).
 * IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are
 * classed by the IPv4 address they carry. An unknown family is DV_ADDR_RESERVED. */
dv_addr_class dv_addr_classify(int family, const uint8_t *addr);
/* "global", "loopback", "private", "link-local", "multicast", "reserved". */
const char *dv_addr_class_name(dv_addr_class c);

/* The outcome of one URL. Values are never renumbered; names (dv_fetch_status_name) are
 * what outputs print. */
typedef enum dv_fetch_status {
    DV_FETCH_OK = 0,             /* 2xx (or a decoded base64 data: URI) and the bytes are a
                                    JPEG, PNG, WebP or GIF */
    DV_FETCH_NOT_IMAGE = 1,      /* 2xx (or a decoded data: URI) but the bytes are no known
                                    image (the body is still given: digests of it may be on
                                    a list) */
    DV_FETCH_HTTP_404 = 2,       /* 404 Not Found or 410 Gone: the link is dead */
    DV_FETCH_HTTP_429 = 3,       /* 429 Too Many Requests, after the retries */
    DV_FETCH_HTTP_4XX = 4,       /* any other 4xx */
    DV_FETCH_HTTP_5XX = 5,       /* 5xx, after the retries */
    DV_FETCH_HTTP_OTHER = 6,     /* 1xx or 3xx as the final answer (no Location, 304...) */
    DV_FETCH_TIMEOUT = 7,        /* connect or total timeout, or below the low-speed limit */
    DV_FETCH_DNS = 8,            /* the host name does not resolve */
    DV_FETCH_CONNECT = 9,        /* connection refused or unreachable */
    DV_FETCH_RESET = 10,         /* connection reset or closed before any response */
    DV_FETCH_TRUNCATED = 11,     /* a 2xx body (or a redirect's) ended before its
                                    Content-Length; a 4xx/5xx page cut short is its class */
    DV_FETCH_TOO_BIG = 12,       /* over max_bytes (Content-Length or streamed, decoded) */
    DV_FETCH_TOO_MANY_REDIRECTS = 13, /* more than max_redirects, or a loop */
    DV_FETCH_BLOCKED_PRIVATE = 14, /* every address tried outside allow_addr (dv_addr_class);
                                      one allowed address tried: its own outcome */
    DV_FETCH_BAD_SCHEME = 15,    /* not http/https (also when a redirect leads there) */
    DV_FETCH_BAD_URL = 16,       /* malformed URL */
    DV_FETCH_TLS = 17,           /* TLS handshake or certificate failure */
    DV_FETCH_BAD_RESPONSE = 18,  /* malformed HTTP, bad content encoding, HTTP/2 error */
    DV_FETCH_OTHER = 19,
    DV_FETCH_NSTATUS = 20
} dv_fetch_status;

/* "ok", "not_image", "http_404", "http_429", "http_4xx", "http_5xx", "http_other",
 * "timeout", "dns", "connect", "reset", "truncated", "too_big", "too_many_redirects",
 * "blocked_private", "bad_scheme", "bad_url", "tls", "bad_response", "other". */
const char *dv_fetch_status_name(dv_fetch_status s);

#define DV_FETCH_DEFAULT_MAX_BYTES (32ull << 20)

/* Zero (or a zeroed field) means the default given. */
typedef struct dv_fetch_opts {
    uint32_t connections;     /* transfers at once; 64 */
    uint32_t per_host;        /* transfers at once to one host (host:port of the URL); 4 */
    uint32_t queue;           /* URLs dv_fetcher_add accepts ahead; 4 x connections */
    uint32_t max_held;        /* results handed out and not yet released before new
                                 transfers stop starting; 2 x connections */
    uint64_t max_bytes;       /* body bytes per URL, after content decoding;
                                 DV_FETCH_DEFAULT_MAX_BYTES */
    uint32_t connect_timeout_ms; /* 10000 */
    uint32_t timeout_ms;      /* whole transfer, redirects included; 30000 */
    uint32_t low_speed_bytes; /* abort below this many bytes/s ... ; 1000 */
    uint32_t low_speed_time_s; /* ... for this many seconds; 10 */
    int retries;              /* extra attempts after a timeout, reset, truncation, 429 or
                                 5xx (not 501); -1 for none; 0: 2 */
    uint32_t retry_wait_ms;   /* first backoff; doubles each retry (+-25% jitter); 500 */
    uint32_t retry_after_max_s; /* a Retry-After above this is not waited for: the URL
                                   fails at once; 30 */
    uint32_t max_redirects;   /* at most 5 (larger values are cut to 5); 0: 5 */
    int no_redirects;         /* do not follow redirects (3xx is then http_other) */
    unsigned allow_addr;      /* DV_ADDR_* classes that may be connected to besides global
                                 unicast; 0: none. DV_ADDR_ALL for tests and internal mirrors */
    const char *user_agent;   /* NULL: "datavet/<version> (image hash scanner)" */
    const char *const *resolve; /* curl CURLOPT_RESOLVE entries "host:port:addr" (tests,
                                   pinned mirrors); the guard still checks addr */
    size_t nresolve;
    const dv_alloc *alloc;
} dv_fetch_opts;

/* One finished URL. Everything points into the fetcher and stays valid until
 * dv_fetcher_release. */
typedef struct dv_fetch_result {
    uint64_t tag;             /* as given to dv_fetcher_add */
    const char *url;          /* as given */
    const char *final_url;    /* after redirects; the URL itself when there was none */
    dv_fetch_status status;
    int http_code;            /* status code of the last response, 0 if none */
    const char *detail;       /* what went wrong ("" when ok; a decoded data: URI says so),
                                 for humans: may name hosts, ports and libcurl's text, base64
                                 of an image in it withheld as dv_url_redact withholds it;
                                 never part of a golden output */
    const char *content_type; /* the Content-Type header as sent ("" if none); informative
                                 only: the format comes from the bytes */
    const uint8_t *body;      /* DV_FETCH_OK and DV_FETCH_NOT_IMAGE only, else NULL */
    size_t len;
    dv_image_format format;   /* dv_image_sniff of the body */
    uint64_t bytes;           /* body bytes received in the last attempt (decoded) */
    uint32_t elapsed_ms;      /* first attempt's start to the end, backoff waits included */
    uint32_t attempts;        /* 1 + retries made */
    uint32_t redirects;       /* followed in the last attempt */
    void *priv_;              /* the fetcher's */
} dv_fetch_result;

typedef struct dv_fetcher dv_fetcher;

/* A fetcher and its multi handle. opts may be NULL. Returns NULL when out of memory or
 * when libcurl cannot be set up. */
dv_fetcher *dv_fetcher_create(const dv_fetch_opts *opts);
/* How many URLs dv_fetcher_add accepts now (the queue's free room). */
size_t dv_fetcher_want(const dv_fetcher *f);
/* Queue a URL (copied). DV_ETOOBIG when the queue is full (see dv_fetcher_want), DV_EINVAL
 * for a NULL or empty url. A URL that is not http(s) is not refused here: it comes back
 * from dv_fetcher_next as DV_FETCH_BAD_SCHEME or DV_FETCH_BAD_URL, except a base64 data:
 * URI, whose content is decoded without a transfer (when the bound on bodies held allows)
 * and comes back as a fetch of those bytes would (bad base64: DV_FETCH_BAD_URL). */
int dv_fetcher_add(dv_fetcher *f, uint64_t tag, const char *url);
/* URLs added and not yet handed out by dv_fetcher_next (queued, in transfer, waiting to
 * be retried, or finished and waiting to be taken). 0 means all were handed out. */
size_t dv_fetcher_pending(const dv_fetcher *f);
/* Drive the transfers until one URL is finished, at most timeout_ms (-1: no limit; 0:
 * do what is ready, never wait). Returns 1 with *out filled, 0 if none finished in time or
 * nothing is pending, or a negative DV_E* code (libcurl failure; see dv_fetcher_errmsg).
 * Results come in completion order, not in order added: use tag. No new transfer starts
 * while max_held results are out and unreleased, so memory stays below about
 * (connections + max_held) x max_bytes. */
int dv_fetcher_next(dv_fetcher *f, dv_fetch_result *out, int timeout_ms);
/* Give a result back: its body is zeroed and freed, its strings freed. Every result must
 * be released exactly once, the fetcher freed after. May be called from any thread (it
 * also wakes a dv_fetcher_next waiting for room); every other dv_fetcher function belongs
 * to one thread at a time. */
void dv_fetcher_release(dv_fetcher *f, dv_fetch_result *res);
/* Detail of the last failure of the fetcher itself ("" if none). */
const char *dv_fetcher_errmsg(const dv_fetcher *f);
/* Aborts transfers still running; pending URLs are dropped. Results handed out must have
 * been released. NULL is fine. */
void dv_fetcher_free(dv_fetcher *f);

/* ------------------------------------------------------------------------
 * Scans (docs/scan.md): every shard of a dataset through decode + hash + match against
 * compiled lists, per-shard results written atomically under outdir/shards/ (so a killed
 * scan resumes where it stopped), then merged into matches.parquet, matches.jsonl,
 * errors.jsonl, summary.json, report.html and removal.txt. Never writes image bytes. */
typedef struct dv_scan_progress {
    uint64_t shards_total;  /* shards selected for this run */
    uint64_t shards_done;   /* of those, finished (including ones done by earlier runs) */
    uint64_t shards_skipped; /* done before this run started */
    uint64_t items;         /* items read in this run */
    uint64_t findings;      /* findings in this run */
    uint64_t errors;        /* items skipped with an error in this run */
    uint64_t read_errors;   /* shards or parts of shards not read in this run (the scan is
                               incomplete; dv_scan_result.unread names them) */
} dv_scan_progress;

/* What a merge is doing (dv_merge_progress.stage): the stages a merge goes through in
 * order; NEIGHBORS and CLEAN only when the scan asked for them. */
#define DV_MERGE_RECORDS 1   /* reading the shards' records: done/total shards */
#define DV_MERGE_NEIGHBORS 2 /* the neighbour search: done/total embedding rows scored */
#define DV_MERGE_CLEAN 3     /* the cleaned copy: done/total shards, bytes_done/bytes_total of
                                the dataset's files read and written again */
typedef struct dv_merge_progress {
    int stage;
    uint64_t done, total;
    uint64_t bytes_done, bytes_total; /* DV_MERGE_CLEAN only; 0 otherwise */
} dv_merge_progress;

typedef struct dv_scan_opts {
    const char *dataset;
    const char *outdir;
    const char *const *lists;  /* .dvl paths */
    size_t nlists;
    unsigned threads;          /* decode/hash workers; 0: the usable CPUs */
    int dihedral;              /* PDQ-match the 8 dihedral variants of each image */
    int pdq_radius;            /* Hamming distance for a PDQ match; -1: 31 */
    int fast;                  /* --fast JPEG and WebP decoding (not exact) */
    uint64_t max_pixels;       /* 0: DV_DEFAULT_MAX_PIXELS */
    uint64_t max_image_bytes;  /* 0: 256 MiB */
    double flag_punsafe;       /* flag items with punsafe >= this as candidates; < 0: off */
    const char *flag_terms;    /* file of caption terms (one per line), NULL: off */
    const char *url_col, *caption_col, *id_col, *image_col; /* dv_dataset_opts */
    const char *punsafe_col;   /* dv_dataset_opts.punsafe_col */
    uint64_t shard_index, shard_count; /* only shards s % count == index (count 0: all) */
    int has_range;             /* only shards first..last (inclusive) */
    uint64_t shard_first, shard_last;
    int no_merge;              /* leave the merge to dv_scan_merge (cluster tasks) */
    const char *clean_dir;     /* write a cleaned copy of the dataset there (with the merge) */
    uint32_t decoys;           /* decoys per removed id in removal-public.txt; 0: 1000 */
    int keep_candidates;       /* --clean and removal.txt drop only match-tier items */
    /* Fetch the URL of every item that has no image bytes (LAION parquet, URL lists, failed
     * img2dataset rows), hash the bytes in memory, and record a per-URL status (fetch.jsonl).
     * fetch_opts may be NULL for the defaults; dv_net_global_init must have been called. */
    int fetch;
    const dv_fetch_opts *fetch_opts;
    /* Neighbour expansion at the merge: the embedding rows of match-tier items seed an exact
     * search over the dataset's embeddings; rows with similarity >= neighbors_min_sim (the
     * neighbors_k best per seed when > 0) become candidates. Needs embeddings aligned with
     * the metadata (the parquet layout with img_emb/). */
    int neighbors;
    float neighbors_min_sim;
    uint64_t neighbors_k;
    const char *npz_key;       /* dv_dataset_opts.npz_key */
    /* Called after each batch and shard; may be NULL. With several shards scanned side by
     * side (threads > 1, no fetch) it is called from the shard workers' threads, one call
     * at a time (under the run's lock, so a slow callback holds the workers back), never
     * from two threads at once; the calling thread waits in dv_scan_run meanwhile. */
    void (*progress)(void *ctx, const dv_scan_progress *p);
    void *progress_ctx;
    const dv_alloc *alloc;
    /* Called by the merge at the end of the run (with progress_ctx), as dv_merge_opts
     * says; may be NULL. */
    void (*merge_progress)(void *ctx, const dv_merge_progress *p);
    /* As progress, and called instead of it when set (with progress_ctx), with how far the
     * shards being scanned are: the parts of them read so far, summed (0.25: a quarter of one
     * shard), as far as their readers know their size (a parquet file's rows given of its
     * footer's, a tar's or URL list's bytes parsed of the file's, an image folder run's
     * files; a shard read from a pipe counts 0 until it is done). For an ETA before a shard
     * is done, as in a scan of one big file. */
    void (*progress_at)(void *ctx, const dv_scan_progress *p, double shards_partial);
} dv_scan_opts;

typedef struct dv_scan_result {
    dv_scan_progress progress; /* totals of this run */
    int merged;                /* the final outputs were written */
    uint64_t matches;          /* after the merge: match-tier findings in the whole scan */
    uint64_t candidates;
    /* dv_dataset_problems of the dataset (also summary.json "dataset_problems"): what it has
     * that the scan cannot use, such as images in list columns; "" if nothing (truncated) */
    char dataset_problems[2048];
    /* after the merge: what the scan as a whole checked nothing of (a list no item could be
     * looked up in, a flag with no column) or could not read, one line each (also in
     * summary.json "dataset_problems" and report.html); "" if nothing (truncated) */
    char coverage[2048];
    uint64_t read_errors; /* after the merge: shards or parts of shards not read (incomplete) */
    uint64_t removed;     /* after the merge: items in removal.txt (findings count per list) */
    uint64_t clean_left;  /* after a merge with a cleaned copy: shards left out of it
                             (unreadable), which also makes the scan incomplete */
    int signature_removed; /* the merge removed manifest.jsonl/.sig of an earlier --sign (the
                              outputs were written again; dv_scan_sign signs them anew) */
    /* the shards this run scanned that could not be read whole (progress.read_errors), one
     * line each: "shard I (PATH): N read error(s), the first: MESSAGE"; "" if none
     * (truncated). With no_merge, what says the scan is incomplete before any merge. This
     * field, dataset_problems and coverage are written escaped (dv_dataset_problems). */
    char unread[2048];
} dv_scan_result;

/* Scan; errbuf gets the reason of a failure (bad options, list or dataset that cannot be
 * opened, outdir that belongs to a scan with other parameters: DV_EINVAL). Items and shards
 * that cannot be read are recorded in errors.jsonl and do not fail the scan. */
int dv_scan_run(const dv_scan_opts *opts, dv_scan_result *out, char *errbuf, size_t errcap);
/* Write the final outputs of the scan in outdir from its per-shard results (what a scan
 * does at the end). Fails with DV_EINVAL naming the shards not yet done. clean_dir as in
 * dv_scan_opts (NULL: none). */
int dv_scan_merge(const char *outdir, const char *clean_dir, dv_scan_result *out,
                  char *errbuf, size_t errcap);
/* The same with progress: clean_dir as above; progress (may be NULL) is called from the
 * calling thread at each shard of the records, from one of the workers at a time during
 * the neighbour search (about 10 times a second) and the cleaned copy (at each file of a
 * shard), and once at the end of each stage (done == total). A merge over many shards
 * calls it often: a caller that prints should limit its own rate. threads: workers of the
 * neighbour search and of the cleaned copy (a shard each; 0: the usable CPUs); the outputs
 * are the same whatever the count. */
typedef struct dv_merge_opts {
    const char *clean_dir;
    void (*progress)(void *ctx, const dv_merge_progress *p);
    void *progress_ctx;
    unsigned threads;
} dv_merge_opts;
int dv_merge_run(const char *outdir, const dv_merge_opts *opts, dv_scan_result *out,
                 char *errbuf, size_t errcap);

/* ------------------------------------------------------------------------
 * Signed scan manifests (docs/signing.md): Ed25519 over a manifest of every file of a scan's
 * outdir (name, bytes, SHA-256) and of the lists it was checked against (digest, version).
 * Deterministic: the same outputs and key give the same bytes. */

/* A new Ed25519 key pair: key_path (PKCS#8 PEM, created with mode 0600) and pub_path (SPKI
 * PEM). Existing files are not replaced (DV_EINVAL). id_hex (65 bytes, may be NULL) gets the
 * key id: the SHA-256 of the raw 32-byte public key, in hex. */
int dv_sign_keygen(const char *key_path, const char *pub_path, char id_hex[65], char *errbuf,
                   size_t errcap);
/* Whether key_path holds an unencrypted Ed25519 private key (PEM) that can sign; id_hex as
 * above. For checking a key before a long scan. */
int dv_sign_key_check(const char *key_path, char id_hex[65], char *errbuf, size_t errcap);
/* Write outdir/manifest.jsonl and outdir/manifest.sig (mode 0600) for the files now in outdir
 * (shards/ included), signed with the private key at key_path. */
int dv_scan_sign(const char *outdir, const char *key_path, char *errbuf, size_t errcap);

typedef struct dv_verify_result {
    int signature_ok;       /* manifest.sig is a valid signature of manifest.jsonl */
    int key_trusted;        /* ... by the key given (pub_path), not only the one it names */
    char key_id[65];        /* of the key that signed */
    uint64_t files_ok;      /* listed files with the recorded size and SHA-256 */
    uint64_t files_changed; /* listed files whose size or SHA-256 differ */
    uint64_t files_missing; /* listed files and folders not there (or not readable) */
    uint64_t files_extra;   /* what outdir holds that is not listed: files, folders, links,
                               FIFOs, devices, entries that cannot be examined */
    uint64_t lists;         /* lists the manifest names */
    /* What the scan says of its own completeness: summary.json's counts, read from the bytes
     * that were checked against the manifest (not read again). summary_read is 0 when the
     * manifest lists no summary.json, it differs from the manifest's, or it holds no
     * counts.read_errors; the verdict is the same either way (it is about integrity). */
    int summary_read;
    uint64_t read_errors;           /* counts.read_errors: shards or parts of shards the scan
                                       did not read (above 0: the scan is incomplete) */
    uint64_t clean_shards_left_out; /* clean.shards_left_out: shards the cleaned copy (--clean)
                                       left out, as they could not be read whole */
    /* The SHA-256 (hex) the manifest gives clean.sha256, "" when it lists none (or was not
     * read): for dv_clean_verify_opts.clean_sha256, so that the copy is checked against the
     * bytes the manifest covers, not against a clean.sha256 replaced since. */
    char clean_sha256[65];
} dv_verify_result;

/* Each problem found, one line each ("matches.jsonl: SHA-256 differs"), and each list the
 * manifest names ("list: md5 v3 digest ... entries 9"), as verification proceeds. */
typedef void (*dv_verify_cb)(void *ud, int is_problem, const char *line);

/* Check outdir against its manifest. pub_path: the signer's public key (PEM) the signature
 * must be from; NULL accepts the key manifest.sig names (integrity only: anyone can sign).
 * DV_OK when everything holds, DV_ECORRUPT when anything does not (out says what; also a
 * manifest.sig that is no signature line, and a manifest.jsonl that is no manifest and does
 * not match its signature: both were changed), DV_EFORMAT for a missing manifest or one
 * that is validly signed but cannot be read, other codes for I/O and bad keys. */
int dv_scan_verify(const char *outdir, const char *pub_path, dv_verify_cb cb, void *ud,
                   dv_verify_result *out, char *errbuf, size_t errcap);

/* A cleaned copy (scan --clean DIR) against the clean.sha256 that the scan wrote into
 * outdir (verify outdir first: its manifest covers clean.sha256; dv_clean_verify_run with
 * clean_sha256 then checks that the clean.sha256 read here is the one verified). Each file
 * clean.sha256 names is read from below clean_dir (no absolute names, no '..'; the last
 * component not followed if a link) and its SHA-256 compared; anything else below clean_dir
 * (the copy goes into a new or empty folder) is a problem too. cb gets each problem. DV_OK
 * when every file matches, DV_ECORRUPT when any does not or a line cannot be read (out says
 * what), DV_EFORMAT when outdir holds no clean.sha256. */
typedef struct dv_clean_verify_result {
    uint64_t files_ok;      /* files with the listed SHA-256 */
    uint64_t files_changed; /* files whose SHA-256 differs */
    uint64_t files_missing; /* files not there, not regular files or not readable */
    uint64_t lines_bad;     /* lines of clean.sha256 that are not a checksum line */
    uint64_t files_extra;   /* what clean_dir holds that clean.sha256 does not name */
    int sums_differ;        /* clean.sha256, as read, is not what opts->clean_sha256 says (or
                               that is ""): nothing was checked against it */
} dv_clean_verify_result;

int dv_clean_verify(const char *outdir, const char *clean_dir, dv_verify_cb cb, void *ud,
                    dv_clean_verify_result *out, char *errbuf, size_t errcap);
/* The same with progress (a copy of a large dataset is read whole): progress (may be NULL)
 * is called from the calling thread before the first file and after each file listed, with
 * the files of clean.sha256 done and in all and the bytes read so far. clean_sha256: the
 * SHA-256 (hex) that the verified manifest gives clean.sha256 (dv_verify_result's);
 * clean.sha256 is read once, and when those bytes do not have it (replaced after
 * dv_scan_verify checked it), or it is "", nothing is checked against them: DV_ECORRUPT,
 * out->sums_differ. NULL: clean.sha256 is taken as it is (dv_clean_verify). */
typedef struct dv_clean_verify_opts {
    dv_verify_cb cb;
    void *ud;
    void (*progress)(void *ctx, uint64_t files_done, uint64_t files, uint64_t bytes_done);
    void *progress_ctx;
    const char *clean_sha256;
} dv_clean_verify_opts;
int dv_clean_verify_run(const char *outdir, const char *clean_dir,
                        const dv_clean_verify_opts *opts, dv_clean_verify_result *out,
                        char *errbuf, size_t errcap);

/* ------------------------------------------------------------------------
 * Inventory (docs/inventory.md): the copies of known datasets and models on a machine. Every
 * model, dataset, embedding and card file under the paths (by name; all regular files with
 * all_files) is hashed (SHA-256, and MD5/SHA-1 where a list of that type is given) and looked
 * up in the lists; cards (README.md, model_index.json, dataset_info.json, *.yaml), the JSON
 * headers of .safetensors files and the metadata of .gguf files (its string values, the
 * tokenizer.* keys left out) are also searched for dataset names (whole words, case-folded)
 * as signs of derived models. */
typedef enum dv_inv_kind {
    DV_INV_MODEL = 1,      /* .safetensors .ckpt .pt .pth .gguf .onnx .h5; .bin .msgpack .pkl
                              and Ollama's sha256-<hex> blobs of 1 MiB or more */
    DV_INV_DATASET = 2,    /* .parquet .arrow .tar .tfrecord .zst */
    DV_INV_EMBEDDINGS = 3, /* .npy .npz */
    DV_INV_CARD = 4,       /* README.md, model_index.json, dataset_info(s).json, *.yaml/.yml */
    DV_INV_OTHER = 5       /* any other regular file (all_files) */
} dv_inv_kind;
const char *dv_inv_kind_name(dv_inv_kind k); /* "model", "dataset", ... */

typedef struct dv_inventory_opts {
    const char *const *paths; /* files or folders, walked without following links except
                                 links given here and links named as examined files */
    size_t npaths;
    const char *const *lists; /* .dvl files of type md5, sha1 or sha256 */
    size_t nlists;
    const char *names_path;   /* dataset names, one a line (# comments): searched in cards,
                                 safetensors headers and gguf metadata */
    unsigned threads;         /* hashing threads; 0: the usable CPUs */
    int all_files;            /* hash every regular file, whatever its name */
    int one_file_system;      /* stay on the file system of each path */
    const dv_alloc *alloc;
    /* called from a hashing thread (one at a time) as bytes are read, at most every 0.2 s,
     * and once when the last file is done */
    void (*progress)(void *ctx, uint64_t files_done, uint64_t files, uint64_t bytes_done,
                     uint64_t bytes);
    void *progress_ctx;
    /* skip_file: the file whose st_dev and st_ino these are is passed over (counted in
     * skipped), under any name or link: the output being written inside a walked path */
    int skip_file;
    uint64_t skip_dev, skip_ino;
    /* skip_file2: a second file passed over the same way (the earlier output that the one
     * being written, under a temporary name, replaces when whole) */
    int skip_file2;
    uint64_t skip_dev2, skip_ino2;
} dv_inventory_opts;

typedef struct dv_inventory_hit {
    const char *list;         /* the path given */
    const char *list_name, *list_version;
    const char *list_type;    /* "md5", "sha1" or "sha256" */
    char list_digest[65];
    const char *entry_id, *label;
} dv_inventory_hit;

typedef struct dv_inventory_record {
    const char *path;
    dv_inv_kind kind;
    const char *detail;       /* "safetensors", "parquet: 1000 rows, 7 columns, urls",
                                 "gguf v3, 291 tensors, 24 keys", ... */
    uint64_t bytes;
    char sha256[65], sha1[41], md5[33]; /* "" when not computed */
    const dv_inventory_hit *hits; /* matches in the lists */
    size_t nhits;
    const char *name_found;   /* cards, safetensors headers, gguf metadata: a dataset name
                                 of names_path found in it, else NULL */
    const char *error;        /* the file could not be read, the folder (kind other,
                                 detail "folder (not walked)") not walked, or the entry
                                 (kind other, detail "not examined") not even lstat'ed:
                                 why (no digests), else NULL */
} dv_inventory_record;

typedef struct dv_inventory_result {
    uint64_t files;          /* records given */
    uint64_t bytes;          /* hashed */
    uint64_t matches;        /* files whose digest is in a list */
    uint64_t candidates;     /* cards and models naming a dataset of names_path */
    uint64_t errors;         /* files that could not be read, folders not walked, entries
                                not examined */
    uint64_t skipped;        /* entries not examined: other names, links, devices, other
                                file systems */
} dv_inventory_result;

/* Walk, hash, look up; then cb for every examined file in byte order of the paths (a nonzero
 * return stops). Unreadable files, folders not walked and entries not examined (lstat
 * failed) are records with error set, not failures; a path that does not exist, a list that
 * cannot be opened or is of another type: DV_EINVAL naming it. */
int dv_inventory_run(const dv_inventory_opts *o,
                     int (*cb)(void *ud, const dv_inventory_record *r), void *ud,
                     dv_inventory_result *out, char *errbuf, size_t errcap);

/* ------------------------------------------------------------------------
 * Embedding search (docs/knn.md): exact inner-product nearest neighbours of seed vectors
 * among every row of any number of .npy matrices or .npz arrays (float16/float32/float64,
 * same dims),
 * streamed block by block over a thread pool. Global row ids run across the files in the
 * order they were added (rows of earlier files + row in file). Scores are the canonical
 * float32 dot product (16-lane FMA order), identical on every SIMD path, pass and thread
 * count; the BLAS and int8 passes only choose rows to rescore, with proven error bounds. */
typedef enum dv_knn_pass {
    DV_KNN_PASS_AUTO = 0,   /* direct below 32 seeds, int8 from 32 */
    DV_KNN_PASS_DIRECT = 1, /* canonical SIMD kernel on every (row, seed) pair */
    DV_KNN_PASS_BLAS = 2,   /* cblas_sgemm per block, survivors rescored */
    DV_KNN_PASS_INT8 = 3    /* int8 (VNNI / VPMADDUBSW / scalar) per block, survivors rescored */
} dv_knn_pass;

typedef struct dv_knn_opts {
    unsigned threads;      /* 0: the usable CPUs */
    uint64_t block_rows;   /* rows per block (0: 2048; fewer when seeds are many) */
    dv_knn_pass pass;
    dv_simd simd;          /* DV_SIMD_AUTO unless testing a path */
    uint64_t max_results;  /* threshold-only results of a search in all (DV_ETOOBIG above,
                              whatever the threads: docs/knn.md); 0: 10^8 */
    const dv_alloc *alloc;
    /* Progress of a search: called by the worker that has just finished a block, never by
     * two at once, at most about 10 times a second, and once at the end of a search that
     * succeeds (rows_done == rows_total). May be NULL. */
    void (*progress)(void *ctx, uint64_t rows_done, uint64_t rows_total);
    void *progress_ctx;
    /* The array dv_knn_add_file takes from an .npz (dv_npz_pick: NULL takes the only one) */
    const char *npz_key;
} dv_knn_opts;

/* Per seed: the k best rows (k > 0), or every row with similarity >= min_sim (k == 0), or
 * the k best among those >= min_sim (both). Ties: the lower global row first. NaN scores
 * never match. */
typedef struct dv_knn_query {
    size_t k;
    int has_min_sim;
    float min_sim;
} dv_knn_query;

typedef struct dv_knn_hit {
    uint32_t seed;       /* index into the seed matrix */
    uint32_t rank;       /* 0-based within the seed, best first */
    uint32_t file;       /* index of the file, in dv_knn_add_file order */
    uint64_t row;        /* global row */
    uint64_t file_row;   /* row in that file */
    float similarity;
} dv_knn_hit;

typedef struct dv_knn_stats {
    dv_knn_pass pass;        /* the pass the last search used */
    dv_simd simd;
    const char *int8_kernel; /* "scalar", "avx2-vpmaddubsw", "avx512-vnni", "avx512-vnni-f16" */
    uint64_t block_rows;
    uint64_t pairs;          /* (row, seed) pairs scored by the first pass */
    uint64_t rescored;       /* pairs rescored in float32 */
    uint64_t results;
} dv_knn_stats;

typedef struct dv_knn dv_knn;

/* For a program, once at start-up, before it starts threads (datavet's main() does): makes
 * OpenBLAS run every call on the calling thread and stops its idle server threads. A pthreads
 * OpenBLAS starts them when it is loaded, and they spin on sched_yield for their first
 * ~0.1 s, taking a core from datavet's own workers (each of which runs its own sgemm).
 * Always DV_OK; does nothing without OpenBLAS, or where it has no such threads. A program
 * that later sets OpenBLAS's thread count itself (openblas_set_num_threads, even to 1)
 * starts those threads again; dv_knn_create never does. */
int dv_blas_global_init(void);

/* NULL when out of memory. With OpenBLAS, sets its thread count to 1 (each worker runs its
 * own sgemm). One thread at a time per handle. */
dv_knn *dv_knn_create(const dv_knn_opts *opts);
void dv_knn_free(dv_knn *k);
/* Map an .npy file, or open the opts.npz_key array of an .npz (dv_npy_open_any), kept open
 * until free. Every file must have the same dims. */
int dv_knn_add_file(dv_knn *k, const char *path);
uint64_t dv_knn_rows(const dv_knn *k);
uint64_t dv_knn_dims(const dv_knn *k);
size_t dv_knn_num_files(const dv_knn *k);
/* Path, first global row and row count of file i (any out pointer may be NULL). */
int dv_knn_file(const dv_knn *k, size_t i, const char **path, uint64_t *first_row,
                uint64_t *rows);
/* Global row -> (file, row in file). DV_ERANGE past the end. */
int dv_knn_locate(const dv_knn *k, uint64_t row, uint32_t *file, uint64_t *file_row);
/* One row as float32 (dims floats): seeds taken from the dataset itself. */
int dv_knn_get_row(const dv_knn *k, uint64_t row, float *out);
/* Search nseeds x dims float32 seeds (row-major). *hits_out (free with dv_knn_hits_free)
 * holds *nhits_out hits sorted by seed, then rank. */
int dv_knn_search(dv_knn *k, const float *seeds, size_t nseeds, size_t dims,
                  const dv_knn_query *query, dv_knn_hit **hits_out, size_t *nhits_out);
void dv_knn_hits_free(const dv_knn *k, dv_knn_hit *hits);
void dv_knn_get_stats(const dv_knn *k, dv_knn_stats *out);
/* "auto", "direct", "blas", "int8". */
const char *dv_knn_pass_name(dv_knn_pass p);
const char *dv_knn_errmsg(const dv_knn *k);

/* ------------------------------------------------------------------------
 * Output files: created without following links, put in place durably. */

/* A file created anew for writing with the given mode (the umask does not narrow it):
 * whatever is at path already (a file a killed run left, a link planted there) is removed
 * first, and the file is created O_CREAT|O_EXCL|O_NOFOLLOW, so no link is followed and no
 * other file is truncated or has its mode changed. For a temporary name renamed into place
 * afterwards (dv_file_rename), or a file of a cleaned copy. The descriptor, or -1 with errno
 * set (EISDIR: a folder is there; EEXIST: something came back at path each time it was
 * removed), as open(2). */
int dv_file_open_new(const char *path, unsigned mode);
/* fdatasync(fd): the file's data on disk before it is renamed into place. A descriptor or
 * file system that cannot be synced (a pipe or terminal, EINVAL; ENOTSUP, EROFS) is not a
 * failure. DV_OK, or DV_EIO with errno set (EIO, ENOSPC: what was written may be lost). */
int dv_file_sync(int fd);
/* rename(tmp, path), then fsync of path's folder, so that a crash after the call leaves the
 * new file at path. A folder that cannot be opened or synced (EINVAL and the like) is not a
 * failure. DV_OK, or DV_EIO with errno set: the rename failed (tmp is still there), or the
 * folder's sync did (path is the new file, which a crash may yet undo). */
int dv_file_rename(const char *tmp, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* DATAVET_H */
