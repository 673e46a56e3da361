/* tar_read.c - streaming tar reader (ustar, pax x/g, GNU long names, base-256 sizes) and the
 * webdataset sample iterator over it. Reads from an fd or a buffer; never writes to disk. */
#include "../common/common.h"
#include "io_readers.h"

#include <errno.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512u
#define MAX_META_HEADERS 64 /* pax/GNU headers in front of one member */

enum { ST_CLOSED, ST_HEADER, ST_DATA, ST_END, ST_FAILED };

/* A table of the link index (below): entries by normalised path, open addressing. */
typedef struct lx_tab {
    struct lx_ent *e;
    size_t slots, used;
    dv__dbuf names; /* the paths (and in fx, symlinks' targets), not NUL-terminated */
    dv__dbuf deps;  /* in fx, hard links' target chains: sample numbers (uint64_t) */
    int full;       /* a path was not added: the index's cap was reached */
    size_t nunk;    /* in a folders table: entries with unk set (none: lx_unknown_folder is free) */
} lx_tab;

/* Offsets into the sample arena, turned into pointers once the sample is complete. */
typedef struct part_off {
    size_t path, link, ext, raw;
    size_t data; /* SIZE_MAX: none */
    const uint8_t *ext_data; /* data living in the caller's buffer (buffer input) */
    uint64_t win;   /* archive offset of data still in the read-ahead window; UINT64_MAX: none */
    size_t win_len; /* its length */
    int unread;     /* a regular member's data left unread (dv__tar_reader_headers_only) */
} part_off;

struct dv_tar_reader {
    const dv_alloc *alloc;
    uint64_t max_member, max_sample;
    uint32_t max_meta;
    int allow_no_eof;
    char name[256];

    int fd;
    const uint8_t *buf;
    size_t buflen;
    int is_buf, seekable;
    uint64_t base;     /* fd offset of the archive's first byte (seekable fds) */
    uint64_t filesize; /* archive bytes from base (seekable fds) */
    uint64_t pos;      /* archive offset of the next byte to read */
    /* read-ahead window of a seekable fd: archive bytes [ra_off, ra_off + ra_len), in a
     * DV__TAR_WINDOW buffer allocated once per reader (ra: ra_mem aligned to 64 bytes) */
    uint8_t *ra, *ra_mem;
    uint64_t ra_off;
    size_t ra_len;
    /* parts of the sample being built whose data are handed out from the window: copied to
     * the arena before the window is refilled; live_bytes count in the sample limit */
    size_t nlive;
    uint64_t live_bytes;
    /* dv__tar_reader_headers_only: regular members' data of a re-readable input are skipped,
     * skipped_bytes of the sample's counted in its limit as if read; ra_want is the size of the
     * next window fill (small after a jump over data, doubling while read straight through) */
    int headers_only;
    uint64_t skipped_bytes;
    size_t ra_want;

    int state, fail_rc;
    /* the failure after a cut sample (dv_wds_sample.cut), given again by the next call:
     * what the caller does with the sample in between (a link looked up) may set err */
    char cut_err[512];
    uint64_t nmembers;
    dv_tar_member cur;
    int data_done;
    const uint8_t *cur_data;

    dv__dbuf raw, path, link, data, meta;
    /* pax global ('g') values, in force until overridden */
    dv__dbuf gpath, glink;
    int gpath_set, glink_set, gsize_set;
    uint64_t gsize;

    /* webdataset samples */
    int sample_mode, have_pending;
    uint64_t nsamples;
    dv__dbuf arena, parts, offs, bytes;

    /* link index (dv__tar_reader_link_index): earlier members by normalised path, for hard
     * links and symlinks to be read again (lx); and once a symlink names no earlier member,
     * the last member of every path in the archive, from a second look at its headers (fx,
     * fx_done); lx_cap bytes of names and slots at most, each table */
    size_t lx_cap;
    lx_tab lx, fx;
    /* the folders the paths of lx's and fx's entries make (each path's leading components),
     * where a later member that is no folder is not extracted (a quarter of lx_cap each) */
    lx_tab lxd, fxd;
    int fx_done;
    dv__dbuf lx_tmp;
    dv__dbuf dep_tmp; /* dv__tar_link.deps of the last lookup: sample numbers (uint64_t) */
    dv__dbuf lnk_tmp; /* a symlink's target text, copied out of a table's names */
    dv__dbuf thr_tmp; /* lx_through: the path being rewritten through a symlinked folder */
    /* the last lookup went through an earlier symlink to a later member (lx_via), which was
     * left out of a copy or links to one that was (lx_gone); or was of a hard link to a symlink
     * (lx_hs), whose target text is lx.names[lx_hs_off, +lx_hs_len), the symlink of sample
     * lx_hs_sample, left out of a copy or linking to one that was (lx_hs_gone) */
    int lx_via, lx_gone, lx_hs, lx_hs_gone;
    size_t lx_hs_off, lx_hs_len;
    uint64_t lx_hs_sample;
    /* the normalised path the last lookup did not find (in lx_tmp or a table's names, valid
     * until either changes), or NULL */
    const char *lx_miss;
    size_t lx_miss_len;
    int fx_steps; /* hops the last lookup took among the last members (FX_STEPS at most) */
    /* the last lookup's target was reached through a folder that holds a symlink (lx_thr:
     * a copy, which keeps no symlink to a folder, cannot vouch for it); lx_sure: its miss was
     * looked for through such folders (so the target is not there, the table not full); lx_ph:
     * a hard link's target was not reached, a folder on the way a placeholder (lx_through 3);
     * lx_enoent: a hard link's target was looked for where its folders are (lx_parents) */
    int lx_thr, lx_sure, lx_ph, lx_enoent;
    int lx_unkdir; /* the last LX_UNKNOWN came of a folder on the way that may be a file (unk) */
    dv__dbuf walk_tmp, sav_tmp; /* fx_reach: a symlink hop's target, lx_tmp kept meanwhile */

    char err[512];
};

/* ---------------------------------------------------------------- small helpers */

/* Set b to the NUL-terminated copy of p[0..n) up to the first NUL. */
static int db_set_str(const dv_alloc *a, dv__dbuf *b, const void *p, size_t n)
{
    const void *nul = memchr(p, 0, n);
    if (nul) n = (size_t)((const uint8_t *)nul - (const uint8_t *)p);
    b->len = 0;
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(a, b, n + 1));
    memcpy(b->p, p, n);
    b->p[n] = 0;
    b->len = n + 1;
    return DV_OK;
}

/* dv__dbuf_append with the fits-already case inline: a dozen appends per member. */
static inline int db_append(const dv_alloc *a, dv__dbuf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n || n == 0) return dv__dbuf_append(a, b, p, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return DV_OK;
}

static void db_free(const dv_alloc *a, dv__dbuf *b)
{
    dv__free(a, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static const dv_tar_member zero_member;

static uint64_t round_block(uint64_t n) { return (n + BLOCK - 1) / BLOCK * BLOCK; }

static int fail(dv_tar_reader *r, int rc)
{
    r->state = ST_FAILED;
    r->fail_rc = rc;
    return rc;
}

/* Name of the member being read for messages: its path once known, else its number. */
static const char *who(const dv_tar_reader *r, char *tmp, size_t cap)
{
    if (r->cur.path != NULL && r->cur.path[0] != '\0') {
        dv__set_err(tmp, cap, "member '%s'", r->cur.path);
    } else {
        dv__set_err(tmp, cap, "member #%llu", (unsigned long long)r->nmembers + 1);
    }
    return tmp;
}

/* ---------------------------------------------------------------- input */

/* Members up to this size are handed out from the window, larger ones are read straight
 * into their destination with one pread. */
#define WIN_DIRECT (DV__TAR_WINDOW / 2)

static int in_window(const dv_tar_reader *r, uint64_t at, size_t n)
{
    return at >= r->ra_off && at - r->ra_off <= r->ra_len && n <= r->ra_len - (at - r->ra_off);
}

/* Copy the data of the sample's parts still in the window into the arena, before the window
 * is overwritten (the arena and live bytes together stay what the sample limit counts). */
static int spill_live(dv_tar_reader *r)
{
    size_t n = r->offs.len / sizeof(part_off);
    for (size_t i = 0; i < n && r->nlive > 0; i++) {
        part_off *po = (part_off *)(void *)r->offs.p + i;
        if (po->win == UINT64_MAX) continue;
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->arena, po->win_len + 1));
        memcpy(r->arena.p + r->arena.len, r->ra + (po->win - r->ra_off), po->win_len);
        po->data = r->arena.len;
        r->arena.len += po->win_len;
        r->live_bytes -= po->win_len;
        r->nlive--;
        po->win = UINT64_MAX;
    }
    return DV_OK;
}

/* The first window fill after a jump over skipped data (dv__tar_reader_headers_only): the
 * headers and small members up to the next large member (a webdataset sample's .txt and
 * .json and the next image's header are 2-3 KiB), not the large member's data. */
#define HO_FILL 8192u

/* Fill the window of a seekable fd with archive bytes from at (fewer only at end of file).
 * 1: done (ra_len 0 at end of file), 0: no window could be allocated, < 0: error. */
static int ra_fill(dv_tar_reader *r, uint64_t at)
{
    size_t len = 0, want = DV__TAR_WINDOW;
    if (r->ra == NULL) {
        r->ra_mem = dv__malloc(r->alloc, DV__TAR_WINDOW + 64);
        if (r->ra_mem == NULL) return 0;
        r->ra = r->ra_mem + ((64 - ((uintptr_t)r->ra_mem & 63)) & 63);
    }
    if (r->nlive > 0) DV_FORWARD_IF_ERROR(spill_live(r));
    if (r->headers_only) {
        /* data are skipped: a small read after a jump (the large member's data not read
         * into the window only to be passed over), doubling while the archive is read
         * straight through (runs of small members, long pax bodies) */
        int through = r->ra_len > 0 && at == r->ra_off + r->ra_len;
        if (!through || r->ra_want < HO_FILL) r->ra_want = HO_FILL;
        else if (r->ra_want < DV__TAR_WINDOW) r->ra_want *= 2;
        want = r->ra_want < DV__TAR_WINDOW ? r->ra_want : DV__TAR_WINDOW;
    }
    r->ra_len = 0;
    r->ra_off = at;
    while (len < want) {
        ssize_t k = pread(r->fd, r->ra + len, want - len, (off_t)(r->base + at + len));
        if (k < 0) {
            if (errno == EINTR) continue;
            dv__set_err(r->err, sizeof(r->err), "%s: read failed at offset %llu: %s", r->name,
                        (unsigned long long)(at + len), strerror(errno));
            r->ra_len = 0;
            return DV_EIO;
        }
        if (k == 0) break;
        len += (size_t)k;
        if (at + len >= r->filesize) break; /* the rest would be one more call returning 0 */
    }
    r->ra_len = len;
    return 1;
}

/* Read up to n bytes at the current position; *got < n only at end of input. Headers and
 * small members come from the window, a few syscalls per hundred members. With refill 0
 * the window is never refilled (the bytes past it are read straight into dst): dst may be
 * the arena, where refilling would copy the sample's parts still in the window. */
static int src_read_ex(dv_tar_reader *r, void *dst, size_t n, size_t *got, int refill)
{
    size_t done = 0;
    if (r->is_buf) {
        size_t left = r->pos < r->buflen ? r->buflen - (size_t)r->pos : 0;
        done = n < left ? n : left;
        if (done) memcpy(dst, r->buf + r->pos, done);
    } else {
        while (done < n) {
            ssize_t k;
            uint64_t at = r->pos + done;
            if (r->seekable && r->ra_len && at >= r->ra_off && at - r->ra_off < r->ra_len) {
                size_t avail = (size_t)(r->ra_off + r->ra_len - at);
                size_t c = n - done < avail ? n - done : avail;
                memcpy((uint8_t *)dst + done, r->ra + (at - r->ra_off), c);
                done += c;
                continue;
            }
            if (r->seekable && refill && n - done < WIN_DIRECT) {
                int w = ra_fill(r, at);
                if (w < 0) return w;
                if (w > 0) {
                    if (r->ra_len == 0) break; /* end of file */
                    continue;
                }
            }
            if (r->seekable) {
                k = pread(r->fd, (uint8_t *)dst + done, n - done, (off_t)(r->base + at));
            } else {
                k = read(r->fd, (uint8_t *)dst + done, n - done);
            }
            if (k < 0) {
                if (errno == EINTR) continue;
                dv__set_err(r->err, sizeof(r->err), "%s: read failed at offset %llu: %s",
                            r->name, (unsigned long long)at, strerror(errno));
                return DV_EIO;
            }
            if (k == 0) break;
            done += (size_t)k;
        }
    }
    r->pos += done;
    *got = done;
    return DV_OK;
}

static int src_read(dv_tar_reader *r, void *dst, size_t n, size_t *got)
{
    return src_read_ex(r, dst, n, got, 1);
}

/* The n bytes at the current position as a pointer into the window of a seekable fd, the
 * window refilled from there if they are not all in it: 1 with *p set and the position moved
 * past them, 0 where they do not fit (too large, end of file, no window). */
static int src_peek(dv_tar_reader *r, size_t n, const uint8_t **p)
{
    if (!r->seekable || n == 0 || n > WIN_DIRECT) return 0;
    if (!in_window(r, r->pos, n)) {
        int w = ra_fill(r, r->pos);
        if (w <= 0) return w;
        if (!in_window(r, r->pos, n)) return 0;
    }
    *p = r->ra + (r->pos - r->ra_off);
    r->pos += n;
    return 1;
}

/* Move past n bytes without keeping them; *got < n at end of input. */
static int src_skip(dv_tar_reader *r, uint64_t n, uint64_t *got)
{
    uint64_t left;
    if (r->is_buf || r->seekable) {
        uint64_t total = r->is_buf ? r->buflen : r->filesize;
        left = r->pos < total ? total - r->pos : 0;
        *got = n < left ? n : left;
        r->pos += *got;
        return DV_OK;
    }
    *got = 0;
    while (*got < n) {
        uint8_t tmp[16384];
        size_t want = n - *got < sizeof(tmp) ? (size_t)(n - *got) : sizeof(tmp), k;
        DV_FORWARD_IF_ERROR(src_read(r, tmp, want, &k));
        *got += k;
        if (k < want) break;
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- header fields */

/* Octal (space/NUL terminated, leading spaces) or base-256 (high bit of the first byte). */
static int parse_num(const uint8_t *f, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80) return -1; /* negative or unsupported */
        for (i = 1; i < len; i++) {
            if (v > (UINT64_MAX >> 8)) return -1;
            v = (v << 8) | f[i];
        }
        if (v > (uint64_t)INT64_MAX) return -1;
        *out = v;
        return 0;
    }
    while (i < len && f[i] == ' ') i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        /* 21 octal digits (63 bits) cannot overflow: header fields have 8 or 12 bytes */
        if (len > 21 && v > ((uint64_t)INT64_MAX >> 3)) return -1;
        v = (v << 3) | (uint64_t)(f[i] - '0');
    }
    for (; i < len; i++) {
        if (f[i] != ' ' && f[i] != 0) return -1;
    }
    *out = v;
    return 0;
}

static int is_zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BLOCK; i++) {
        if (b[i]) return 0;
    }
    return 1;
}

static int checksum_ok(const uint8_t *b, uint64_t *stored, long *computed)
{
    unsigned long us = 0;
    long ss = 0;
#if defined(__SSE2__)
    /* unsigned and signed sums of the block by PSADBW (signed bytes as b ^ 0x80 = b + 128):
     * the scalar loops below became 64-bit widening code, most of a header's cost */
    {
        const __m128i zero = _mm_setzero_si128(), flip = _mm_set1_epi8((char)0x80);
        __m128i su = zero, sf = zero;
        for (size_t i = 0; i < BLOCK; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
            su = _mm_add_epi64(su, _mm_sad_epu8(v, zero));
            sf = _mm_add_epi64(sf, _mm_sad_epu8(_mm_xor_si128(v, flip), zero));
        }
        su = _mm_add_epi64(su, _mm_unpackhi_epi64(su, su));
        sf = _mm_add_epi64(sf, _mm_unpackhi_epi64(sf, sf));
        us = (unsigned long)_mm_cvtsi128_si32(su);
        ss = (long)_mm_cvtsi128_si32(sf) - 128L * (long)BLOCK;
    }
#else
    /* two plain sums, then the chksum field counted as spaces */
    for (size_t i = 0; i < BLOCK; i++) us += b[i];
    for (size_t i = 0; i < BLOCK; i++) ss += (signed char)b[i];
#endif
    for (size_t i = 148; i < 156; i++) {
        us = us - b[i] + ' ';
        ss = ss - (signed char)b[i] + ' ';
    }
    *computed = (long)us;
    /* -1: the field is not a number (nothing stored to name) */
    *stored = 0;
    if (parse_num(b + 148, 8, stored) != 0) return -1;
    return *stored == us || (ss >= 0 && *stored == (uint64_t)ss);
}

/* ---------------------------------------------------------------- pax records */

/* Values are offsets into r->meta, which may move while more headers are read. */
typedef struct pax_vals {
    size_t path, link;
    size_t path_len, link_len;
    int path_set, link_set, size_set, size_clear, sparse;
    uint64_t size;
} pax_vals;

/* "%d key=value\n" records over the n bytes at r->meta offset body_off. */
static int parse_pax(dv_tar_reader *r, size_t body_off, size_t n, pax_vals *pv, uint64_t hdr_off)
{
    const uint8_t *body = r->meta.p + body_off;
    size_t i = 0;
    char tmp[300];
    while (i < n) {
        size_t len = 0, j = i, eq;
        const uint8_t *key, *val;
        size_t klen, vlen;
        if (body[i] == 0) break; /* NUL padding after the last record */
        while (j < n && body[j] >= '0' && body[j] <= '9' && j - i < 12) {
            len = len * 10 + (size_t)(body[j] - '0');
            j++;
        }
        if (j == i || j >= n || body[j] != ' ' || len < 5 || len > n - i ||
            body[i + len - 1] != '\n') {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: %s: bad pax record at offset %llu (header at offset %llu)",
                        r->name, who(r, tmp, sizeof(tmp)),
                        (unsigned long long)(hdr_off + BLOCK + i), (unsigned long long)hdr_off);
            return DV_ECORRUPT;
        }
        key = body + j + 1;
        klen = i + len - 1 - (j + 1);
        val = memchr(key, '=', klen);
        if (val == NULL || val == key) {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: %s: pax record without key=value at offset %llu", r->name,
                        who(r, tmp, sizeof(tmp)), (unsigned long long)(hdr_off + BLOCK + i));
            return DV_ECORRUPT;
        }
        eq = (size_t)(val - key);
        val++;
        vlen = klen - eq - 1;
        klen = eq;
        if (klen == 4 && memcmp(key, "path", 4) == 0) {
            pv->path = body_off + (size_t)(val - body);
            pv->path_len = vlen;
            pv->path_set = 1;
        } else if (klen == 8 && memcmp(key, "linkpath", 8) == 0) {
            pv->link = body_off + (size_t)(val - body);
            pv->link_len = vlen;
            pv->link_set = 1;
        } else if (klen == 4 && memcmp(key, "size", 4) == 0) {
            uint64_t v = 0;
            size_t k;
            if (vlen == 0) { /* an empty value clears the key */
                pv->size_set = 0;
                pv->size_clear = 1;
                i += len;
                continue;
            }
            if (vlen > 19) goto bad_size;
            for (k = 0; k < vlen; k++) {
                if (val[k] < '0' || val[k] > '9') goto bad_size;
                v = v * 10 + (uint64_t)(val[k] - '0');
            }
            if (v > (uint64_t)INT64_MAX) goto bad_size;
            pv->size = v;
            pv->size_set = 1;
            pv->size_clear = 0;
        } else if (klen > 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
            pv->sparse = 1;
        }
        i += len;
        continue;
    bad_size:
        dv__set_err(r->err, sizeof(r->err), "%s: %s: bad pax size '%.*s' at offset %llu",
                    r->name, who(r, tmp, sizeof(tmp)), (int)(vlen > 40 ? 40 : vlen),
                    (const char *)val, (unsigned long long)(hdr_off + BLOCK + i));
        return DV_ECORRUPT;
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- members */

/* Read one whole header block; EOF and short blocks are reported by the caller. */
static int read_block(dv_tar_reader *r, uint8_t *blk, size_t *got)
{
    return src_read(r, blk, BLOCK, got);
}

/* Body of a pax or GNU long-name header: its size in blocks, kept in r->meta. */
static int read_meta_body(dv_tar_reader *r, uint64_t size, uint64_t hdr_off, char type,
                          size_t *body_off)
{
    uint64_t padded = round_block(size);
    size_t got;
    char tmp[300];
    if (size > r->max_meta) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: %s: '%c' header at offset %llu has a %llu-byte body, over the %u-byte "
                    "limit",
                    r->name, who(r, tmp, sizeof(tmp)), type, (unsigned long long)hdr_off,
                    (unsigned long long)size, (unsigned)r->max_meta);
        return DV_ECORRUPT;
    }
    /* the body stays in meta until the member is complete; raw gets the blocks too */
    *body_off = r->meta.len;
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->meta, (size_t)padded + 1));
    DV_FORWARD_IF_ERROR(src_read(r, r->meta.p + r->meta.len, (size_t)padded, &got));
    if (got < padded) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: %s: archive truncated at offset %llu inside the '%c' header at offset "
                    "%llu",
                    r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)r->pos, type,
                    (unsigned long long)hdr_off);
        return DV_ECORRUPT;
    }
    DV_FORWARD_IF_ERROR(dv__dbuf_append(r->alloc, &r->raw, r->meta.p + r->meta.len, (size_t)padded));
    r->meta.len += (size_t)padded;
    r->meta.p[*body_off + size] = 0;
    return DV_OK;
}

static dv_tar_skip skip_of(char type)
{
    switch (type) {
    case '0': return DV_TAR_SKIP_NONE;
    case '1': return DV_TAR_SKIP_HARDLINK;
    case '2': return DV_TAR_SKIP_SYMLINK;
    case '3':
    case '4': return DV_TAR_SKIP_DEVICE;
    case '5':
    case 'D': return DV_TAR_SKIP_DIR;
    case '6': return DV_TAR_SKIP_FIFO;
    case 'S': return DV_TAR_SKIP_SPARSE;
    case 'V': /* a volume label: GNU tar extracts nothing */
    case 'M': /* a multi-volume continuation: GNU tar refuses to extract it */
        return DV_TAR_SKIP_OTHER;
    default: return DV_TAR_SKIP_NONE; /* (unknown types are normalised to '0' before) */
    }
}

/* As GNU tar 1.34 reads them: hard links and directories store no data blocks, whatever
 * their size field says; every other type (symlinks, devices, unknown) is followed by size
 * bytes of data. Writers put 0 there anyway. */
static int has_no_data(char type) { return type == '1' || type == '5'; }

/* The data and padding of the current member that nobody read. */
static int skip_rest(dv_tar_reader *r)
{
    uint64_t want, got;
    char tmp[300];
    if (r->state != ST_DATA) return DV_OK;
    want = r->cur.end_offset - r->pos;
    DV_FORWARD_IF_ERROR(src_skip(r, want, &got));
    if (got < want) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: %s at offset %llu: archive truncated at offset %llu inside its data "
                    "(%llu bytes declared)",
                    r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)r->cur.offset,
                    (unsigned long long)r->pos, (unsigned long long)r->cur.size);
        return DV_ECORRUPT;
    }
    r->state = ST_HEADER;
    return DV_OK;
}

static int next_member(dv_tar_reader *r, dv_tar_member *out)
{
    const uint8_t *blk; /* the header block being parsed, read straight to the end of raw */
    pax_vals x;
    size_t lname_off = SIZE_MAX, lname_len = 0, llink_off = SIZE_MAX, llink_len = 0;
    size_t global_len = 0, got;
    int nmeta = 0, only_global = 1, rc;
    uint64_t start, size;
    char type, tmp[300];

    if (r->state == ST_FAILED) return r->fail_rc;
    if (r->state == ST_CLOSED) return DV_EINVAL;
    if (r->state == ST_END) return 0;
    rc = skip_rest(r);
    if (rc < 0) return fail(r, rc);
    r->cur = zero_member; /* (memset became a slow rep stos here) */
    r->cur_data = NULL;
    r->data_done = 0;

    memset(&x, 0, sizeof(x));
    r->raw.len = 0;
    r->meta.len = 0;
    start = r->pos;
    for (;;) {
        uint64_t hdr_off = r->pos, stored, hsize;
        long computed;
        size_t body;
        int ck;
        rc = dv__dbuf_reserve(r->alloc, &r->raw, BLOCK);
        if (rc == DV_OK) rc = read_block(r, r->raw.p + r->raw.len, &got);
        if (rc < 0) return fail(r, rc);
        blk = r->raw.p + r->raw.len; /* until raw grows: pax bodies, sparse maps */
        if (got == 0 && nmeta == 0) {
            if (r->allow_no_eof) {
                r->state = ST_END;
                return 0;
            }
            dv__set_err(r->err, sizeof(r->err),
                        "%s: archive truncated: it ends at offset %llu, after %llu members, "
                        "without an end-of-archive block",
                        r->name, (unsigned long long)hdr_off, (unsigned long long)r->nmembers);
            return fail(r, DV_ECORRUPT);
        }
        if (got < BLOCK) {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: %s: archive truncated at offset %llu inside the header block at "
                        "offset %llu",
                        r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)r->pos,
                        (unsigned long long)hdr_off);
            return fail(r, DV_ECORRUPT);
        }
        if (is_zero_block(blk)) {
            if (nmeta > 0 && !only_global) {
                dv__set_err(r->err, sizeof(r->err),
                            "%s: %s: end-of-archive block at offset %llu right after an extended "
                            "header",
                            r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)hdr_off);
                return fail(r, DV_ECORRUPT);
            }
            r->state = ST_END;
            return 0;
        }
        if ((ck = checksum_ok(blk, &stored, &computed)) != 1) {
            char st[40];
            /* an unreadable field is said so (its value was once printed from whatever the
             * stack held, different from one run or reader to the next) */
            if (ck < 0) snprintf(st, sizeof st, "stored field not octal");
            else snprintf(st, sizeof st, "stored %llo", (unsigned long long)stored);
            dv__set_err(r->err, sizeof(r->err),
                        "%s: %s: bad header checksum at offset %llu (%s, computed %lo)", r->name,
                        who(r, tmp, sizeof(tmp)), (unsigned long long)hdr_off, st, computed);
            return fail(r, DV_ECORRUPT);
        }
        r->raw.len += BLOCK;
        type = (char)blk[156];
        /* 'X' is Solaris's 'x', which GNU tar 1.34 and Python's tarfile read as one */
        if (type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K') {
            if (++nmeta > MAX_META_HEADERS) {
                dv__set_err(r->err, sizeof(r->err),
                            "%s: more than %d extended headers in a row at offset %llu", r->name,
                            MAX_META_HEADERS, (unsigned long long)hdr_off);
                return fail(r, DV_ECORRUPT);
            }
            if (parse_num(blk + 124, 12, &hsize) != 0) {
                dv__set_err(r->err, sizeof(r->err),
                            "%s: %s: bad size field in the '%c' header at offset %llu", r->name,
                            who(r, tmp, sizeof(tmp)), type, (unsigned long long)hdr_off);
                return fail(r, DV_ECORRUPT);
            }
            rc = read_meta_body(r, hsize, hdr_off, type, &body);
            if (rc < 0) return fail(r, rc);
            if (type == 'g') {
                pax_vals g;
                if (!only_global) {
                    dv__set_err(r->err, sizeof(r->err),
                                "%s: %s: pax global header at offset %llu inside another "
                                "member's headers",
                                r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)hdr_off);
                    return fail(r, DV_ECORRUPT);
                }
                memset(&g, 0, sizeof(g));
                rc = parse_pax(r, body, (size_t)hsize, &g, hdr_off);
                if (rc < 0) return fail(r, rc);
                if (g.path_set) {
                    r->gpath_set = g.path_len > 0;
                    rc = db_set_str(r->alloc, &r->gpath, r->meta.p + g.path, g.path_len);
                }
                if (rc == DV_OK && g.link_set) {
                    r->glink_set = g.link_len > 0;
                    rc = db_set_str(r->alloc, &r->glink, r->meta.p + g.link, g.link_len);
                }
                if (rc < 0) return fail(r, rc);
                if (g.size_clear) r->gsize_set = 0;
                if (g.size_set) {
                    r->gsize_set = 1;
                    r->gsize = g.size;
                }
                global_len = r->raw.len;
                continue;
            }
            only_global = 0;
            if (type == 'x' || type == 'X') {
                rc = parse_pax(r, body, (size_t)hsize, &x, hdr_off);
                if (rc < 0) return fail(r, rc);
            } else if (type == 'L') {
                lname_off = body;
                lname_len = (size_t)hsize;
            } else {
                llink_off = body;
                llink_len = (size_t)hsize;
            }
            continue;
        }
        break;
    }

    /* blk is the member's own header; pax values point into r->meta, which is stable now */
    if (type == 0 || type == '7') type = '0';
    r->cur.offset = start;
    r->cur.type = type;
    r->cur.global_len = global_len;
    {
        uint64_t v;
        r->cur.mode = parse_num(blk + 100, 8, &v) == 0 ? (uint32_t)(v & 07777) : 0;
        r->cur.mtime = parse_num(blk + 136, 12, &v) == 0 ? (int64_t)v : 0;
    }
    /* path: pax > GNU long name > ustar prefix + name */
    if (x.path_set && x.path_len > 0) {
        rc = db_set_str(r->alloc, &r->path, r->meta.p + x.path, x.path_len);
    } else if (r->gpath_set) {
        rc = db_set_str(r->alloc, &r->path, r->gpath.p, r->gpath.len);
    } else if (lname_off != SIZE_MAX) {
        rc = db_set_str(r->alloc, &r->path, r->meta.p + lname_off, lname_len);
    } else {
        uint8_t full[256 + 1 + 100];
        size_t n = 0;
        if (memcmp(blk + 257, "ustar\0", 6) == 0 && blk[345] != 0) {
            const uint8_t *nul = memchr(blk + 345, 0, 155);
            size_t plen = nul ? (size_t)(nul - (blk + 345)) : 155;
            memcpy(full, blk + 345, plen);
            n = plen;
            full[n++] = '/';
        }
        {
            const uint8_t *nul = memchr(blk, 0, 100);
            size_t nlen = nul ? (size_t)(nul - blk) : 100;
            memcpy(full + n, blk, nlen);
            n += nlen;
        }
        rc = db_set_str(r->alloc, &r->path, full, n);
    }
    if (rc < 0) return fail(r, rc);
    if (x.link_set && x.link_len > 0) {
        rc = db_set_str(r->alloc, &r->link, r->meta.p + x.link, x.link_len);
    } else if (r->glink_set) {
        rc = db_set_str(r->alloc, &r->link, r->glink.p, r->glink.len);
    } else if (llink_off != SIZE_MAX) {
        rc = db_set_str(r->alloc, &r->link, r->meta.p + llink_off, llink_len);
    } else {
        rc = db_set_str(r->alloc, &r->link, blk + 157, 100);
    }
    if (rc < 0) return fail(r, rc);
    r->cur.path = (const char *)r->path.p;
    r->cur.linkpath = (const char *)r->link.p;
    /* a v7 header (no ustar magic) has no directory type: a name ending in '/' says it, as
     * GNU tar reads it */
    if (type == '0' && memcmp(blk + 257, "ustar", 5) != 0 && r->path.len >= 2 &&
        r->path.p[r->path.len - 2] == '/') {
        type = '5';
        r->cur.type = type;
    }
    /* GNU tar 1.34 extracts a type it does not know as a regular file, its data the file
     * ("Unknown file type 'Z', extracted as normal file"): an image stored so is read */
    if (strchr("0123456DSVM", type) == NULL) {
        type = '0';
        r->cur.type = type;
    }

    if (x.size_set) {
        size = x.size;
    } else if (r->gsize_set) {
        size = r->gsize;
    } else if (parse_num(blk + 124, 12, &size) != 0) {
        dv__set_err(r->err, sizeof(r->err), "%s: %s: bad size field in the header at offset %llu",
                    r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)(r->pos - BLOCK));
        return fail(r, DV_ECORRUPT);
    }

    /* old GNU sparse: extension blocks follow the header while their last flag is set */
    if (type == 'S' && blk[482] != 0) {
        uint8_t ext[BLOCK];
        int n = 0;
        do {
            rc = read_block(r, ext, &got);
            if (rc < 0) return fail(r, rc);
            if (got < BLOCK || ++n > 4096) {
                dv__set_err(r->err, sizeof(r->err),
                            "%s: %s: sparse map truncated or too long at offset %llu", r->name,
                            who(r, tmp, sizeof(tmp)), (unsigned long long)r->pos);
                return fail(r, DV_ECORRUPT);
            }
            rc = dv__dbuf_append(r->alloc, &r->raw, ext, BLOCK);
            if (rc < 0) return fail(r, rc);
        } while (ext[504] != 0);
    }

    if (has_no_data(type)) size = 0;
    r->cur.skip = skip_of(type);
    if (x.sparse && r->cur.skip == DV_TAR_SKIP_NONE) r->cur.skip = DV_TAR_SKIP_SPARSE;
    if (r->cur.skip == DV_TAR_SKIP_NONE && size > r->max_member) r->cur.skip = DV_TAR_SKIP_TOOBIG;
    r->cur.size = size;
    r->cur.data_offset = r->pos;
    if (size > (uint64_t)INT64_MAX - r->pos - BLOCK) {
        dv__set_err(r->err, sizeof(r->err), "%s: %s: size %llu at offset %llu is impossible",
                    r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)size,
                    (unsigned long long)start);
        return fail(r, DV_ECORRUPT);
    }
    r->cur.end_offset = r->pos + round_block(size);
    r->cur.raw = r->raw.p;
    r->cur.raw_len = r->raw.len;
    r->state = ST_DATA;
    r->data_done = 0;
    r->nmembers++;
    *out = r->cur;
    return 1;
}

/* Data of the current member: a pointer into the buffer; or, up to WIN_DIRECT bytes from a
 * seekable fd, into the window, refilled from the member's start if it is not all there
 * (*win_at: its offset, else UINT64_MAX); or else read to the end of dst (size + extra bytes
 * reserved there, dst->len left alone), past the window with no refill. */
static int load_data(dv_tar_reader *r, dv__dbuf *dst, size_t extra, const uint8_t **data_out,
                     uint64_t *win_at)
{
    uint64_t size = r->cur.size;
    uint64_t pad = r->cur.end_offset - r->cur.data_offset - size, got64;
    size_t got = 0;
    char tmp[300];
    int w;
    *win_at = UINT64_MAX;
    if (r->is_buf) {
        uint64_t left = r->pos < r->buflen ? r->buflen - r->pos : 0;
        if (left >= size) {
            *data_out = r->buf + r->pos;
            r->pos += size;
            got = (size_t)size;
        } else {
            r->pos += left;
            got = (size_t)left;
        }
    } else if ((w = src_peek(r, (size_t)size, data_out)) != 0) {
        if (w < 0) return w;
        *win_at = r->pos - size;
        got = (size_t)size;
    } else {
        /* a byte at least: an empty member's data is a pointer too (dst->p may be NULL
         * until then, and NULL + 0 is not a pointer C allows) */
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, dst, (size_t)size + (extra ? extra : 1)));
        DV_FORWARD_IF_ERROR(src_read_ex(r, dst->p + dst->len, (size_t)size, &got, 0));
        *data_out = dst->p + dst->len;
    }
    if (got == size) {
        DV_FORWARD_IF_ERROR(src_skip(r, pad, &got64));
        if (got64 == pad) {
            r->state = ST_HEADER;
            r->data_done = 1;
            return DV_OK;
        }
    }
    dv__set_err(r->err, sizeof(r->err),
                "%s: %s at offset %llu: archive truncated at offset %llu inside its data "
                "(%llu bytes declared)",
                r->name, who(r, tmp, sizeof(tmp)), (unsigned long long)r->cur.offset,
                (unsigned long long)r->pos, (unsigned long long)size);
    return DV_ECORRUPT;
}

/* ---------------------------------------------------------------- link index */

/* A member by its normalised path: where the bytes it stands for lie (its own data, or for a
 * link the data of the member the link resolved to when it was read). In lx, skip is
 * DV_TAR_SKIP_SYMLINK for a symlink to a later member (or a link to one); a symlink is read
 * through fx in any case (what the archive leaves once extracted). In fx, skip is
 * DV_TAR_SKIP_SYMLINK for a symlink whose normalised target is fx.names[data_offset, +size).
 * In both, DV_TAR_SKIP_OTHER is a path that holds nothing to read (a directory, a device, a
 * fifo, a link that goes nowhere, an absolute symlink), and LX_SKIP_UNKNOWN one a hard link
 * that does not resolve was extracted to. A path that holds a symlink, extracted (the
 * symlink member, or a hard link to one: link() does not follow symlinks), has the symlink's
 * target text as stored, lnk_len bytes right after the path in names: a hard link to it reads
 * that text again from its own folder. (64 bytes on LP64: the table's cap counts them.) */
typedef struct lx_ent {
    uint64_t hash;
    size_t name, name_len; /* in the table's names */
    uint64_t data_offset, size, sample;
    uint32_t lnk_len; /* the symlink's target text, after the name; 0: not a symlink */
    /* in fx, a hard link's: the samples of the members its target chain went through, in
     * order, the last the one holding the bytes (where the chain ends in data), deps[dep_off,
     * +dep_n) */
    uint32_t dep_off, dep_n;
    uint8_t skip; /* dv_tar_skip of the member holding the bytes */
    unsigned deep : 1; /* in fx, a hard link whose chain is over FX_HOPS members */
    /* written through a folder that holds a symlink (lx_through), or a link to such a member:
     * a copy, which keeps no symlink to a folder, writes it elsewhere */
    unsigned through : 1;
    unsigned dir : 1; /* a directory member's path (a folder, if empty) */
    /* in a folders table: a member in this folder was removed by a hard link that does not
     * resolve (GNU tar removes the path, then link() fails), so it may be empty (maybe); a
     * member that is no folder came at its path since, which GNU tar writes where it is empty
     * and not where it is not, so it may be a file, and what is under it is not known (unk).
     * In a members table, unk marks such a member (what is there is not known) */
    unsigned maybe : 1;
    unsigned unk : 1;
    uint8_t gone; /* left out of a copy (dv__tar_reader_link_gone), or a link to one */
    uint8_t used;
} lx_ent;
_Static_assert(sizeof(lx_ent) <= 64, "an lx_ent is 64 bytes at most (the link index's cap)");

/* lx_ent.skip of a path a hard link that does not resolve was extracted to, its target there
 * but no member to read or not known (one not there leaves the path as it was: lx_parents):
 * GNU tar leaves nothing where the target is a directory (the path removed, then link()
 * fails), a device where it is one; which, the index cannot always tell, so a link to that
 * path is not read. */
#define LX_SKIP_UNKNOWN 0xffu

static uint64_t lx_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

/* path[0..plen)'s components after those of dir[0..dir_len), empty and "." ones dropped and
 * ".." taking one back, into lx_tmp as a string without leading or trailing '/' (a leading '/'
 * is dropped, as GNU tar drops it from member names and hard-link targets). 0, 1 where ".."
 * goes above the root, 2 where a ".." takes back a component of path itself (the kernel
 * resolves "x/../y" only where x is a folder, which the index does not know; dir, the folder
 * of a link, is one), or DV_ENOMEM. */
static int lx_normalise(dv_tar_reader *r, const char *dir, size_t dir_len, const char *path,
                        size_t plen, size_t *len_out)
{
    size_t n = 0, pushed = 0;
    char *o;
    r->lx_tmp.len = 0;
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->lx_tmp, dir_len + plen + 2));
    o = (char *)r->lx_tmp.p;
    for (int part = 0; part < 2; part++) {
        const char *s = part ? path : dir;
        size_t sl = part ? plen : dir_len, i = 0;
        while (i < sl) {
            size_t j = i, cl;
            while (j < sl && s[j] != '/') j++;
            cl = j - i;
            if (cl == 2 && s[i] == '.' && s[i + 1] == '.') {
                if (pushed > 0) return 2;
                if (n == 0) return 1;
                while (n > 0 && o[n - 1] != '/') n--;
                if (n > 0) n--;
            } else if (cl > 0 && !(cl == 1 && s[i] == '.')) {
                if (n > 0) o[n++] = '/';
                memcpy(o + n, s + i, cl);
                n += cl;
                pushed += (size_t)part;
            }
            i = j + 1;
        }
    }
    o[n] = 0;
    *len_out = n;
    return 0;
}

/* Whether GNU tar 1.34 extracts a member of this name: not where a component is ".."
 * (contains_dot_dot: "Member name contains '..'", the member skipped). */
static int gnu_extracts(const char *path)
{
    for (const char *p = path;;) {
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) return 0;
        while (*p != '/')
            if (*p++ == 0) return 1;
        p++;
    }
}

/* A hard link's target as GNU tar 1.34 links it (safer_name_suffix): everything up to its last
 * ".." component dropped, and the slashes after it ("a/b/../c.jpg" and "../c.jpg" name
 * "c.jpg"), so no ".." is left to resolve. */
static const char *gnu_link_target(const char *target)
{
    const char *start = target;
    for (const char *p = target; *p;) {
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0)) start = p + 2;
        while (*p != 0 && *p++ != '/')
            ;
    }
    while (*start == '/') start++;
    return start;
}

static lx_ent *tab_find(const lx_tab *t, const char *key, size_t klen)
{
    uint64_t h = lx_hash(key, klen);
    if (t->slots == 0) return NULL;
    for (size_t i = (size_t)h & (t->slots - 1);; i = (i + 1) & (t->slots - 1)) {
        lx_ent *e = &t->e[i];
        if (!e->used) return NULL;
        if (e->hash == h && e->name_len == klen && memcmp(t->names.p + e->name, key, klen) == 0)
            return e;
    }
}

static size_t tab_bytes(const lx_tab *t)
{
    return t->slots * sizeof(lx_ent) + t->names.len + t->deps.len;
}

/* Bytes table t may take: the cap, for each table its own (the second look's names no room
 * from the earlier members' index, which goes on growing after it). */
static size_t tab_room(const dv_tar_reader *r, const lx_tab *t)
{
    return t == &r->lxd || t == &r->fxd ? r->lx_cap / 4 : r->lx_cap;
}

/* key, then lnk[0..lnk_len), at the end of t's names (*at: where). */
static int names_add(dv_tar_reader *r, lx_tab *t, const char *key, size_t klen, const char *lnk,
                     size_t lnk_len, size_t *at)
{
    *at = t->names.len;
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &t->names, klen + lnk_len));
    DV_FORWARD_IF_ERROR(dv__dbuf_append(r->alloc, &t->names, key, klen));
    return dv__dbuf_append(r->alloc, &t->names, lnk, lnk_len);
}

/* Set key's entry to v (a later member of the same path replaces an earlier one, as on
 * extraction), with lnk[0..lnk_len) the target text of the symlink the path holds (lnk_len 0:
 * none; lnk never lies in t's names), kept right after the path in names: a path whose text
 * changes gets path and text anew there (the old bytes stay, counted in the cap). Past the cap,
 * new paths are no longer added (full), which lookups that miss then say, and a known path
 * whose new text does not fit holds nothing the index can tell (never what it held before). */
static int tab_put(dv_tar_reader *r, lx_tab *t, const char *key, size_t klen, const lx_ent *v,
                   const char *lnk, size_t lnk_len)
{
    lx_ent *e = tab_find(t, key, klen);
    size_t room = tab_room(r, t), at;
    if (e == NULL) {
        size_t slots = t->slots;
        if ((t->used + 1) * 4 > slots * 3) slots = slots ? slots * 2 : 64;
        if (t->full || lnk_len > UINT32_MAX || slots > room / sizeof(lx_ent) ||
            t->names.len + t->deps.len + klen + lnk_len + 1 > room - slots * sizeof(lx_ent)) {
            t->full = 1;
            return DV_OK;
        }
        if (slots != t->slots) {
            lx_ent *n = dv__calloc(r->alloc, slots, sizeof(lx_ent));
            if (n == NULL) return DV_ENOMEM;
            for (size_t i = 0; i < t->slots; i++) {
                size_t j;
                if (!t->e[i].used) continue;
                for (j = (size_t)t->e[i].hash & (slots - 1); n[j].used; j = (j + 1) & (slots - 1))
                    ;
                n[j] = t->e[i];
            }
            dv__free(r->alloc, t->e);
            t->e = n;
            t->slots = slots;
        }
        {
            uint64_t h = lx_hash(key, klen);
            size_t i = (size_t)h & (slots - 1);
            while (t->e[i].used) i = (i + 1) & (slots - 1);
            DV_FORWARD_IF_ERROR(names_add(r, t, key, klen, lnk, lnk_len, &at));
            e = &t->e[i];
            e->hash = h;
            e->name = at;
            e->name_len = klen;
            e->used = 1;
            t->used++;
        }
    } else if (lnk_len > 0 &&
               (e->lnk_len != lnk_len ||
                memcmp(t->names.p + e->name + e->name_len, lnk, lnk_len) != 0)) {
        if (lnk_len > UINT32_MAX || t->names.len + t->deps.len + klen + lnk_len + 1 >
                                        room - t->slots * sizeof(lx_ent)) {
            t->full = 1;
            e->skip = DV_TAR_SKIP_OTHER;
            e->lnk_len = 0;
            e->dep_n = 0;
            e->deep = 0;
            e->through = v->through;
            e->sample = v->sample;
            e->gone = v->gone;
            return DV_OK;
        }
        DV_FORWARD_IF_ERROR(names_add(r, t, key, klen, lnk, lnk_len, &at));
        e->name = at;
    }
    e->lnk_len = (uint32_t)lnk_len;
    e->data_offset = v->data_offset;
    e->size = v->size;
    e->sample = v->sample;
    e->skip = v->skip;
    e->dep_off = v->dep_off;
    e->dep_n = v->dep_n;
    e->deep = v->deep;
    e->through = v->through;
    e->dir = v->dir;
    e->unk = v->unk;
    e->gone = v->gone;
    return DV_OK;
}

/* Empty t; release: free its memory too. */
static void tab_clear(const dv_alloc *a, lx_tab *t, int release)
{
    if (release) {
        dv__free(a, t->e);
        t->e = NULL;
        t->slots = 0;
        db_free(a, &t->names);
        db_free(a, &t->deps);
    } else if (t->e) {
        memset(t->e, 0, t->slots * sizeof(lx_ent));
    }
    t->used = 0;
    t->full = 0;
    t->nunk = 0;
    t->names.len = 0;
    t->deps.len = 0;
}

/* The folders key[0..klen) (written to, in table t) makes: its leading components, into d. */
static int dirs_note(dv_tar_reader *r, lx_tab *d, const char *key, size_t klen)
{
    static const lx_ent none;
    for (size_t i = klen; i-- > 1;) {
        if (key[i] != '/') continue;
        if (tab_find(d, key, i) != NULL) break; /* and the ones before it */
        DV_FORWARD_IF_ERROR(tab_put(r, d, key, i, &none, NULL, 0));
    }
    return DV_OK;
}

/* Whether GNU tar 1.34 writes a member that is no directory at key[0..klen): not where a
 * member before it made a folder there, which holds something (open(), symlink() and link()
 * fail on it, "File exists", and the folder is not removed); an empty one is replaced. */
static int lx_writable(const lx_tab *d, const char *key, size_t klen)
{
    return tab_find(d, key, klen) == NULL;
}

enum {
    LX_FOUND,
    LX_MISSING,
    LX_ABSOLUTE,
    LX_ESCAPE,
    LX_EMPTY,
    LX_PIPE,
    LX_NOWHERE,
    LX_LOOP,
    LX_DEEP,
    LX_UNKNOWN,
    LX_DOTDOT
};

/* Symlink hops followed among later members before a chain is called a loop (Linux's
 * MAXSYMLINKS). */
#define FX_HOPS 40

/* In fx's chains (deps) of hard links, an entry with FX_FATE set is no sample number but the
 * way of a symlink the hard link names, read from that symlink's own folder: its normalised
 * target fx.names[off, +len) (off in bits 31-62, len in bits 0-30; len 0: it leads nowhere). A
 * copy leaves that symlink out where its way leads nowhere or through a dropped sample, and
 * then the hard link (which names it) too, so a link whose way passes through the hard link
 * goes with them (fx_fate). */
#define FX_FATE (1ull << 63)

/* Hops one look-up may take in all, the ways fx_fate follows included: those ways may lead
 * through the same hard links again (a symlink whose text, read from a hard link's folder,
 * names that hard link), so each walk's FX_HOPS alone would let them multiply. */
#define FX_STEPS (FX_HOPS * FX_HOPS)

static void reset(dv_tar_reader *r, const char *name);
static size_t key_len(const char *path);

/* The target text lnk[0..lnk_len) of a symlink at path (its own, or that of the symlink a hard
 * link at path names), as v in fx: its target read from path's folder, or a path that holds
 * nothing to read (absolute, above the root). 1: no room for it (fx full), v holds nothing. */
static int fx_symlink(dv_tar_reader *r, const char *path, const char *lnk, size_t lnk_len,
                      lx_ent *v)
{
    const char *slash = strrchr(path, '/');
    size_t klen;
    int rc;
    v->skip = DV_TAR_SKIP_OTHER;
    v->data_offset = v->size = 0;
    if (lnk[0] == '/') return DV_OK;
    rc = lx_normalise(r, path, slash ? (size_t)(slash - path) : 0, lnk, lnk_len, &klen);
    if (rc < 0) return rc;
    if (rc > 0) return DV_OK;
    if (tab_bytes(&r->fx) + klen + lnk_len > tab_room(r, &r->fx)) {
        r->fx.full = 1;
        return 1;
    }
    v->skip = DV_TAR_SKIP_SYMLINK;
    v->data_offset = r->fx.names.len;
    v->size = klen;
    return dv__dbuf_append(r->alloc, &r->fx.names, r->lx_tmp.p, klen);
}

static size_t lx_symlinked_folder(const dv_tar_reader *r, const char *key, size_t klen);

/* Whether text[0..n) has a ".." component. */
static int has_dotdot(const char *text, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && text[j] != '/') j++;
        if (j - i == 2 && text[i] == '.' && text[i + 1] == '.') return 1;
        i = j + 1;
    }
    return 0;
}

/* Whether key[0..klen) is a folder in table t (its folders in d): one that members were
 * written into, or a directory member's path. */
static int lx_folder(const lx_tab *t, const lx_tab *d, const char *key, size_t klen)
{
    const lx_ent *e;
    return klen == 0 || tab_find(d, key, klen) != NULL ||
           ((e = tab_find(t, key, klen)) != NULL && e->dir);
}

/* Whether a folder on the way to key[0..klen) may be a file (lx_ent.unk in d): what GNU tar
 * wrote under it, or would, is not known. */
static int lx_unknown_folder(const lx_tab *d, const char *key, size_t klen)
{
    const lx_ent *e;
    if (d->nunk == 0) return 0;
    for (size_t i = 1; i < klen; i++)
        if (key[i] == '/' && (e = tab_find(d, key, i)) != NULL && e->unk) return 1;
    return 0;
}

/* Where GNU tar 1.34 writes a member whose normalised path is lx_tmp[0..*klen), given what table t
 * (its folders in d) holds then: a folder on the way that holds a symlink is followed, as open()
 * and link() follow it (the member lands in the folder it names: d/x.jpg, d a symlink to real, is
 * real/x.jpg), up to FX_HOPS symlinks; the path's last component is not (a member replaces a
 * symlink there). 0 with the path written to in lx_tmp (*klen), *via set where a symlink was
 * followed; 1 where GNU tar writes nothing as a folder is missing ("No such file or directory"): a
 * symlink to a folder that is not there when the member comes (no member made it: mkdir() of the
 * symlink's path fails, and GNU tar creates no folder through a dangling symlink); 4 where it
 * writes nothing as a folder on the way is a file, a device or a fifo ("Not a directory"; a path a
 * hard link that does not resolve was extracted to is taken as a folder), or the way is a loop; 3
 * where a folder on the way is a symlink whose text is absolute or holds "..": a placeholder file
 * until the end of GNU tar's extraction ("Not a directory"), so nothing is written through it;
 * 5 where a folder on the way may be a file (lx_unknown_folder: not known); DV_ENOMEM. Past
 * either table's cap the index cannot tell a missing folder from one it did not note: such
 * paths are taken as written. The same walk says where a hard link's target is when GNU
 * tar links it (link() follows the folders on the way, not the last component), and where a
 * symlink's is once the archive is extracted (over the second look's table, as it stands at the
 * end). Until 2026-12-07 the index put a member through a symlinked folder at its own path (a link
 * to the path it was written to read what was there before), and until 2026-12-08 took a member
 * under a file or through a symlink to a missing folder as written. */
static int lx_through(dv_tar_reader *r, const lx_tab *t, const lx_tab *d, size_t *klen,
                      int *via)
{
    size_t must = 0; /* lx_tmp[0..must): a folder that has to be there (a symlink's target) */
    *via = 0;
    for (int hops = 0;; hops++) {
        const char *key = (const char *)r->lx_tmp.p;
        size_t n = *klen, i, dl, ll, rest, tl;
        const lx_ent *e = NULL;
        const char *lnk;
        char *o;
        int rc;
        if (lx_unknown_folder(d, key, n)) return 5;
        if (t->slots == 0) return 0;
        for (i = 1; i < n; i++) {
            if (key[i] != '/') continue;
            if ((e = tab_find(t, key, i)) != NULL && e->lnk_len > 0) break;
            e = NULL;
        }
        if (e == NULL) {
            if (t->full || d->full) return 0;
            for (i = 1; i < n; i++) {
                if (key[i] != '/' || lx_folder(t, d, key, i)) continue;
                /* (nothing there: made by mkdir(); what a hard link that does not resolve
                 * leaves is taken as a folder, as before) */
                if ((e = tab_find(t, key, i)) != NULL && e->skip != LX_SKIP_UNKNOWN) return 4;
            }
            return lx_folder(t, d, key, must) ? 0 : 1;
        }
        if (hops == FX_HOPS) return 4;
        lnk = (const char *)t->names.p + e->name + e->name_len;
        ll = e->lnk_len;
        if (lnk[0] == '/' || has_dotdot(lnk, ll)) return 3;
        /* the symlink's folder, then its text and the rest of the path (out of lx_tmp, which
         * lx_normalise writes) */
        for (dl = i; dl > 0 && key[dl - 1] != '/'; dl--)
            ;
        dl = dl > 0 ? dl - 1 : 0;
        rest = n - i; /* "/x.jpg" */
        r->thr_tmp.len = 0;
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->thr_tmp, dl + ll + rest));
        o = (char *)r->thr_tmp.p;
        memcpy(o, key, dl);
        memcpy(o + dl, lnk, ll);
        memcpy(o + dl + ll, key + i, rest);
        rc = lx_normalise(r, o, dl, o + dl, ll + rest, klen);
        if (rc < 0) return rc;
        if (rc > 0 || *klen == 0) return 1;
        /* the rest holds no "." or "..": the symlink's target is what comes before it, and a
         * folder that had to be there beyond the symlink still has to */
        tl = *klen > rest ? *klen - rest : 0;
        must = tl + (must > i ? must - i : 0);
        *via = 1;
    }
}

/* After a look-up that missed (lx_miss): whether the target is nowhere in table t, as
 * extraction would find it: no entry at all (not a folder, a device, a link that does not
 * resolve), no folder that members were written into, the tables not full (a path past the
 * cap is not in them), and either looked for
 * through the folders on the way that hold a symlink, as link() follows them (lx_sure), or
 * none on the way. */
static int lx_target_absent(const dv_tar_reader *r, const lx_tab *t)
{
    const lx_tab *d = t == &r->fx ? &r->fxd : &r->lxd;
    return r->lx_miss != NULL && !t->full && !d->full &&
           tab_find(t, r->lx_miss, r->lx_miss_len) == NULL &&
           tab_find(d, r->lx_miss, r->lx_miss_len) == NULL &&
           (r->lx_sure || lx_symlinked_folder(r, r->lx_miss, r->lx_miss_len) == 0);
}

/* The folders of lx_tmp[0..klen) (a path in table t, its folders in d) as GNU tar's
 * mkdir() makes those missing before a hard link there: each holding the next, the last one
 * empty where it was made (a folder entry in t, unless members were written into it). */
static int lx_made(dv_tar_reader *r, lx_tab *t, lx_tab *d, size_t klen)
{
    static const lx_ent folder = {.skip = DV_TAR_SKIP_OTHER, .dir = 1};
    const char *key = (const char *)r->lx_tmp.p;
    size_t i = klen;
    while (i > 0 && key[i - 1] != '/') i--;
    if (i <= 1) return DV_OK;
    DV_FORWARD_IF_ERROR(dirs_note(r, d, key, i - 1));
    if (tab_find(d, key, i - 1) != NULL || tab_find(t, key, i - 1) != NULL) return DV_OK;
    return tab_put(r, t, key, i - 1, &folder, NULL, 0);
}

/* A hard link at path whose target is not there (lx_target_absent): GNU tar leaves the path as
 * it was, whatever it held (link() fails on the target before anything is removed); where the
 * target's folders are missing, not files (enoent: link() fails "No such file or directory"),
 * GNU tar
 * first makes the folders of path that are missing (lx_made), which later members may go
 * into. (Until 2026-12-08 only a regular member there was left as it was; over anything else,
 * or nothing, the path held what the index could not tell.) */
static int lx_parents(dv_tar_reader *r, lx_tab *t, lx_tab *d, const char *path, int enoent)
{
    size_t klen;
    int via, rc;
    if (!enoent) return DV_OK;
    rc = lx_normalise(r, "", 0, path, strlen(path), &klen);
    if (rc != 0 || klen == 0) return rc < 0 ? rc : DV_OK;
    rc = lx_through(r, t, d, &klen, &via);
    if (rc != 0) return rc < 0 ? rc : DV_OK;
    return lx_made(r, t, d, klen);
}

/* m written into table t as GNU tar extracts it (both looks, lx and fx, place members by this
 * one rule): its path normalised, placed through any symlinked folder (v->through noted), and
 * passed over where GNU tar writes nothing (lx_through) or where a folder that members were
 * written into stands at that path (only a folder member may replace it); the folders its path
 * creates noted in d. Such a member is still read and scanned as any member: only what a link
 * to its path reads, and what a copy would extract, follow GNU tar. */
static int lx_place(dv_tar_reader *r, lx_tab *t, lx_tab *d, const dv_tar_member *m, lx_ent *v,
                    const char *lnk, size_t lnk_len)
{
    size_t klen;
    int rc, via;
    rc = lx_normalise(r, "", 0, m->path, strlen(m->path), &klen);
    if (rc < 0) return rc;
    if (rc > 0 || klen == 0) return DV_OK;
    rc = lx_through(r, t, d, &klen, &via);
    if (rc < 0) return rc;
    if (rc != 0) return DV_OK;
    v->through |= (unsigned)via;
    if (m->skip != DV_TAR_SKIP_DIR && !lx_writable(d, (const char *)r->lx_tmp.p, klen)) {
        /* a folder members were written into: GNU tar writes nothing there, unless it was
         * emptied (maybe), when the member replaces it; which, the index cannot tell, so the
         * path and what is under it are not known from here on */
        lx_ent *f = tab_find(d, (const char *)r->lx_tmp.p, klen), u;
        if (f == NULL || !f->maybe) return DV_OK;
        if (!f->unk) f->unk = 1, d->nunk++;
        memset(&u, 0, sizeof(u));
        u.skip = LX_SKIP_UNKNOWN;
        u.unk = 1;
        u.sample = v->sample;
        return tab_put(r, t, (const char *)r->lx_tmp.p, klen, &u, NULL, 0);
    }
    if (v->skip == LX_SKIP_UNKNOWN) {
        /* a hard link that does not resolve writes nothing into its folder (lx_made); where
         * something was at its path, GNU tar may have removed it (its target a folder: the
         * path removed, then link() fails), and the folder it was in may be empty now */
        const char *key = (const char *)r->lx_tmp.p;
        size_t j = klen;
        while (j > 0 && key[j - 1] != '/') j--;
        if (j > 1 && tab_find(t, key, klen) != NULL) {
            lx_ent *f = tab_find(d, key, j - 1);
            if (f != NULL) f->maybe = 1;
        }
        DV_FORWARD_IF_ERROR(lx_made(r, t, d, klen));
    } else {
        DV_FORWARD_IF_ERROR(dirs_note(r, d, (const char *)r->lx_tmp.p, klen));
    }
    return tab_put(r, t, (const char *)r->lx_tmp.p, klen, v, lnk, lnk_len);
}

/* Member m (of sample number sample) in fx: what extraction leaves at its path once every
 * member up to it is written. A hard link takes what its target holds then (a symlink's
 * target text too, read from the hard link's own folder), or, where it does not resolve,
 * LX_SKIP_UNKNOWN; a symlink keeps its target, followed when looked up; a directory, a device
 * or a fifo holds nothing to read. A member GNU tar does not extract over its path (a volume
 * label, a multi-volume continuation, a symlink with an empty target, whose symlink() fails
 * before anything is removed) leaves the path as it was. */
static int fx_add(dv_tar_reader *r, const dv_tar_member *m, uint64_t sample)
{
    lx_ent v;
    size_t klen, lnk_len = 0;
    const char *lnk = NULL;
    int rc;
    if (m->skip == DV_TAR_SKIP_OTHER ||
        (m->skip == DV_TAR_SKIP_SYMLINK && m->linkpath[0] == 0) || !gnu_extracts(m->path))
        return DV_OK;
    memset(&v, 0, sizeof(v));
    v.skip = DV_TAR_SKIP_OTHER;
    v.dir = m->skip == DV_TAR_SKIP_DIR;
    if (m->type == '0' || m->type == 'S') {
        v.data_offset = m->data_offset;
        v.size = m->size;
        v.skip = m->skip;
    } else if (m->skip == DV_TAR_SKIP_HARDLINK) {
        const lx_ent *t = NULL;
        const char *target = gnu_link_target(m->linkpath);
        int via = 0;
        v.skip = LX_SKIP_UNKNOWN; /* unless it resolves */
        rc = lx_normalise(r, "", 0, target, strlen(target), &klen);
        if (rc < 0) return rc;
        if (rc == 0 && klen > 0) {
            /* link() follows the folders on the way (lx_resolve) */
            rc = lx_through(r, &r->fx, &r->fxd, &klen, &via);
            if (rc < 0) return rc;
            if (rc == 0) t = tab_find(&r->fx, (const char *)r->lx_tmp.p, klen);
            if (t == NULL && rc != 5) {
                /* a target that is nowhere: the path left as it is (lx_parents) */
                int absent;
                r->lx_miss = (const char *)r->lx_tmp.p;
                r->lx_miss_len = klen;
                r->lx_sure = 1;
                absent = lx_target_absent(r, &r->fx);
                r->lx_sure = 0;
                if (absent) return lx_parents(r, &r->fx, &r->fxd, m->path, rc == 0 || rc == 1);
            }
        }
        if (t != NULL && t->lnk_len == 0 &&
            (t->skip == DV_TAR_SKIP_OTHER || t->skip == LX_SKIP_UNKNOWN))
            t = NULL;
        if (t != NULL) {
            /* its chain: the target's sample, then the target's own chain, and for a symlink
             * target, that symlink's way (FX_FATE) */
            size_t n = 1 + t->dep_n + (t->lnk_len > 0), at = r->fx.deps.len / sizeof(uint64_t);
            v = *t;
            v.through |= (unsigned)via; /* (a copy has not the folder's symlink) */
            v.dep_n = 0;
            if (t->deep || n > FX_HOPS) {
                v.deep = 1;
            } else if (tab_bytes(&r->fx) + n * sizeof(uint64_t) > tab_room(r, &r->fx)) {
                r->fx.full = 1;
                v.skip = DV_TAR_SKIP_OTHER;
            } else {
                size_t tn = (size_t)t->dep_n * sizeof(uint64_t);
                size_t toff = (size_t)t->dep_off * sizeof(uint64_t);
                uint64_t smp = t->sample, fate = FX_FATE;
                if (t->skip == DV_TAR_SKIP_SYMLINK && t->data_offset < (1ull << 32) &&
                    t->size < (1ull << 31))
                    fate |= t->data_offset << 31 | t->size;
                /* (t's chain lies in the buffer the append may move: copied after) */
                DV_FORWARD_IF_ERROR(
                    dv__dbuf_reserve(r->alloc, &r->fx.deps, n * sizeof(smp)));
                memcpy(r->fx.deps.p + r->fx.deps.len, &smp, sizeof(smp));
                if (tn > 0)
                    memcpy(r->fx.deps.p + r->fx.deps.len + sizeof(smp), r->fx.deps.p + toff, tn);
                if (t->lnk_len > 0)
                    memcpy(r->fx.deps.p + r->fx.deps.len + sizeof(smp) + tn, &fate, sizeof(fate));
                r->fx.deps.len += n * sizeof(smp);
                v.dep_off = (uint32_t)at;
                v.dep_n = (uint32_t)n;
                if (t->lnk_len > 0) {
                    /* a hard link to a symlink: a symlink of its own, its target text read
                     * from here (copied: fx's names may move) */
                    lnk_len = t->lnk_len;
                    r->lnk_tmp.len = 0;
                    DV_FORWARD_IF_ERROR(dv__dbuf_append(r->alloc, &r->lnk_tmp,
                                                        r->fx.names.p + t->name + t->name_len,
                                                        lnk_len));
                    lnk = (const char *)r->lnk_tmp.p;
                    rc = fx_symlink(r, m->path, lnk, lnk_len, &v);
                    if (rc < 0) return rc;
                    if (rc > 0) lnk_len = 0;
                }
            }
        }
    } else if (m->skip == DV_TAR_SKIP_SYMLINK && m->linkpath[0] != '\0') {
        lnk = m->linkpath;
        lnk_len = strlen(lnk);
        rc = fx_symlink(r, m->path, lnk, lnk_len, &v);
        if (rc < 0) return rc;
        if (rc > 0) lnk_len = 0;
    }
    v.sample = sample;
    v.gone = 0;
    return lx_place(r, &r->fx, &r->fxd, m, &v, lnk, lnk_len);
}

/* The second look: every header of the archive read again from its start (data skipped, by a
 * reader of its own over the same input), each path's last member noted in fx. A failure
 * (the archive corrupt further on) ends it with what was noted; only DV_ENOMEM is returned. */
static int fx_build(dv_tar_reader *r)
{
    dv_tar_opts o;
    dv_tar_reader *s;
    dv_tar_member m;
    dv__dbuf key = {0};
    uint64_t sample = 0;
    int rc;
    r->fx_done = 1;
    memset(&o, 0, sizeof(o));
    o.max_member = r->max_member;
    o.max_sample = r->max_sample;
    o.max_meta = r->max_meta;
    o.allow_no_eof = r->allow_no_eof;
    o.alloc = r->alloc;
    if ((s = dv_tar_reader_create(&o)) == NULL) return DV_ENOMEM;
    reset(s, r->name);
    s->fd = r->fd;
    s->is_buf = r->is_buf;
    s->buf = r->buf;
    s->buflen = r->buflen;
    s->seekable = r->seekable;
    s->base = r->base;
    s->filesize = r->filesize;
    s->headers_only = 1;
    while ((rc = dv_tar_reader_next(s, &m)) == 1) {
        /* sample numbers as dv_tar_reader_next_sample counts them: a new key, a new sample */
        size_t kl = key_len(m.path);
        if (key.len > 0 && (kl != key.len - 1 || memcmp(key.p, m.path, kl) != 0)) sample++;
        rc = db_set_str(r->alloc, &key, m.path, kl);
        /* a member cut short by the end of the archive holds nothing to read */
        if (rc == DV_OK && m.end_offset <= (s->is_buf ? (uint64_t)s->buflen : s->filesize))
            rc = fx_add(r, &m, sample);
        if (rc < 0) break;
    }
    db_free(r->alloc, &key);
    dv_tar_reader_free(s);
    return rc == DV_ENOMEM ? rc : DV_OK;
}

/* Sample number smp appended to dep_tmp, unless it is the last one there. */
static int dep_push(dv_tar_reader *r, uint64_t smp)
{
    uint64_t last;
    if (r->dep_tmp.len >= sizeof(last)) {
        memcpy(&last, r->dep_tmp.p + r->dep_tmp.len - sizeof(last), sizeof(last));
        if (last == smp) return DV_OK;
    }
    return db_append(r->alloc, &r->dep_tmp, &smp, sizeof(smp));
}

static int fx_walk(dv_tar_reader *r, const char *key, size_t klen, const lx_ent **out,
                   int depth);

/* *key[0..*klen) (a symlink's target, normalised, in lx_tmp or fx's names) as the kernel
 * reaches it once the archive is extracted: the folders on the way that hold a symlink
 * followed (lx_through over fx, as it stands at the end; lx_thr set), the path to look up in
 * walk_tmp (*key, *klen), lx_tmp as it was. 0; 1 or 4 where it leads nowhere (a folder on the
 * way that is missing, or a file, a loop); 3 where one is a symlink whose text is absolute or
 * holds ".." (not followed: lx_sure unset, so the lookup names it); 5 where a folder on the way
 * may be a file (not known); DV_ENOMEM. Where no folder
 * on the way holds a symlink, *key is left as it is. */
static int fx_reach(dv_tar_reader *r, const char **key, size_t *klen)
{
    const char *k = *key;
    size_t n = *klen, i, len;
    int rc, via;
    r->lx_sure = 1;
    if (lx_unknown_folder(&r->fxd, k, n)) return 5;
    for (i = 1; i < n; i++) {
        const lx_ent *e;
        if (k[i] == '/' && (e = tab_find(&r->fx, k, i)) != NULL && e->lnk_len > 0) break;
    }
    if (i >= n) return 0;
    /* (key and lx_tmp copied out: lx_through writes lx_tmp, which may move) */
    DV_FORWARD_IF_ERROR(db_set_str(r->alloc, &r->walk_tmp, k, n));
    len = r->lx_tmp.p != NULL ? strlen((const char *)r->lx_tmp.p) : 0;
    DV_FORWARD_IF_ERROR(
        db_set_str(r->alloc, &r->sav_tmp, len > 0 ? (const void *)r->lx_tmp.p : "", len));
    r->lx_tmp.len = 0;
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->lx_tmp, n + 1));
    memcpy(r->lx_tmp.p, r->walk_tmp.p, n + 1);
    rc = lx_through(r, &r->fx, &r->fxd, &n, &via);
    if (rc == 0) rc = db_set_str(r->alloc, &r->walk_tmp, r->lx_tmp.p, n);
    if (rc >= 0) {
        int rc2 = dv__dbuf_reserve(r->alloc, &r->lx_tmp, len + 1);
        if (rc2 < 0) return rc2;
        memcpy(r->lx_tmp.p, r->sav_tmp.p, len + 1);
    }
    if (rc < 0) return rc;
    *key = (const char *)r->walk_tmp.p;
    if (rc == 0) *klen = n;
    if (rc != 3) r->lx_thr |= via;
    if (rc == 3) r->lx_sure = 0;
    return rc;
}

/* The way of a symlink a hard link on a link's way names (an FX_FATE entry): its samples
 * appended to dep_tmp; where it leads nowhere (or goes deeper than FX_HOPS such ways), the
 * copy leaves that symlink out, and so the hard link, and so the link being looked up
 * (lx_gone). */
static int fx_fate(dv_tar_reader *r, uint64_t fate, int depth)
{
    size_t off = (size_t)((fate & ~FX_FATE) >> 31), len = (size_t)(fate & 0x7fffffffu);
    const char *miss = r->lx_miss;
    size_t miss_len = r->lx_miss_len;
    int sure = r->lx_sure;
    const lx_ent *e;
    int rc = LX_NOWHERE;
    if (len > 0 && depth < FX_HOPS)
        rc = fx_walk(r, (const char *)r->fx.names.p + off, len, &e, depth + 1);
    if (rc < 0) return rc;
    if (rc != LX_FOUND) r->lx_gone = 1;
    r->lx_miss = miss; /* (the link's own way says what was missed) */
    r->lx_miss_len = miss_len;
    r->lx_sure = sure;
    return DV_OK;
}

/* The entry of the normalised path key[0..klen) among the archive's
 * last members, symlinks followed: LX_FOUND with *out, LX_NOWHERE, LX_LOOP or LX_DEEP; each
 * member on the way appended to dep_tmp by sample (and a hard link's target chain, with the
 * ways of the symlinks it names: fx_fate), the last the one holding the bytes. At most
 * FX_HOPS symlink hops, each hard link's chain at most FX_HOPS long. */
static int fx_follow(dv_tar_reader *r, const char *key, size_t klen, const lx_ent **out)
{
    return fx_walk(r, key, klen, out, 0);
}

static int fx_walk(dv_tar_reader *r, const char *key, size_t klen, const lx_ent **out,
                   int depth)
{
    for (int hop = 0; hop < FX_HOPS; hop++) {
        if (++r->fx_steps > FX_STEPS) return LX_LOOP;
        int rc = fx_reach(r, &key, &klen);
        if (rc < 0) return rc;
        if (rc == 5) {
            r->lx_unkdir = 1;
            return LX_UNKNOWN;
        }
        const lx_ent *e = rc == 0 ? tab_find(&r->fx, key, klen) : NULL;
        if (e == NULL || e->skip == DV_TAR_SKIP_OTHER) {
            r->lx_miss = key;
            r->lx_miss_len = klen;
            return LX_NOWHERE;
        }
        if (e->skip == LX_SKIP_UNKNOWN) {
            r->lx_unkdir = e->unk;
            return LX_UNKNOWN;
        }
        if (e->deep) return LX_DEEP;
        DV_FORWARD_IF_ERROR(dep_push(r, e->sample));
        for (uint32_t i = 0; i < e->dep_n; i++) {
            uint64_t smp;
            memcpy(&smp, r->fx.deps.p + ((size_t)e->dep_off + i) * sizeof(smp), sizeof(smp));
            if (smp & FX_FATE) DV_FORWARD_IF_ERROR(fx_fate(r, smp, depth));
            else DV_FORWARD_IF_ERROR(dep_push(r, smp));
        }
        if (e->skip != DV_TAR_SKIP_SYMLINK) {
            *out = e;
            return LX_FOUND;
        }
        key = (const char *)r->fx.names.p + e->data_offset;
        klen = (size_t)e->size;
    }
    return LX_LOOP;
}

/* The entry of what a symlink at path, with target text lnk[0..lnk_len) (not in lx_tmp),
 * reads (the target normalised in lx_tmp): LX_FOUND with *out, or why not; DV_ENOMEM. The
 * target is relative to path's folder, inside the archive. Where later is set (the link is
 * read): what the archive leaves at that path once extracted, symlinks followed, as a symlink
 * is read after extraction and not when it is written (an earlier member there that a later
 * one replaces is not what it reads); the earlier member there, left out of a copy, makes the
 * link go too (lx_gone), and where it is a symlink to a later member, lx_via says so. Unset
 * (the index taking the symlink in): the earlier member there, its lx entry *out (last in
 * dep_tmp where something is there already), else LX_MISSING. */
static int lx_symlink(dv_tar_reader *r, const char *path, const char *lnk, size_t lnk_len,
                      const lx_ent **out, int later)
{
    const char *slash = strrchr(path, '/');
    size_t klen, dlen = slash ? (size_t)(slash - path) : 0;
    const lx_ent *e;
    int rc;
    if (lnk[0] == '/') return LX_ABSOLUTE;
    rc = lx_normalise(r, path, dlen, lnk, lnk_len, &klen);
    if (rc < 0) return rc;
    if (rc > 0) return rc == 2 ? LX_DOTDOT : LX_ESCAPE;
    e = tab_find(&r->lx, (const char *)r->lx_tmp.p, klen);
    if (later) {
        if (e != NULL) {
            r->lx_gone |= e->gone;
            r->lx_via = e->skip == DV_TAR_SKIP_SYMLINK;
        }
        if (!r->fx_done) {
            DV_FORWARD_IF_ERROR(fx_build(r));
            /* (the second look used lx_tmp) */
            DV_FORWARD_IF_ERROR(lx_normalise(r, path, dlen, lnk, lnk_len, &klen));
        }
        return fx_follow(r, (const char *)r->lx_tmp.p, klen, out);
    }
    /* a path holding nothing to read, or what is not known: a symlink to a later member, as
     * far as the index can tell, followed through the second look when it is read */
    if (e == NULL || e->skip == DV_TAR_SKIP_OTHER || e->skip == LX_SKIP_UNKNOWN) {
        r->lx_miss = (const char *)r->lx_tmp.p;
        r->lx_miss_len = klen;
        return LX_MISSING;
    }
    if (r->dep_tmp.len > 0) DV_FORWARD_IF_ERROR(dep_push(r, e->sample));
    *out = e;
    return LX_FOUND;
}

/* The entry of the member link m names (target normalised in lx_tmp): LX_FOUND with *out, or
 * why not; DV_ENOMEM. A hard link names an earlier member's path as GNU tar takes it
 * (gnu_link_target); a symlink a path relative to its own folder (lx_symlink). A hard link to
 * a symlink, or to a hard link to one, is a symlink of its own once extracted (link() does
 * not follow symlinks): the symlink's target text, read from the hard link's folder (lx_hs,
 * the symlink's sample first in dep_tmp). */
static int lx_resolve(dv_tar_reader *r, const dv_tar_member *m, const lx_ent **out, int later)
{
    size_t klen;
    const lx_ent *t;
    const char *target;
    int rc, via;
    *out = NULL;
    r->dep_tmp.len = 0;
    r->lx_via = r->lx_gone = r->lx_hs = 0;
    r->lx_thr = r->lx_sure = r->lx_ph = r->lx_enoent = r->lx_unkdir = 0;
    r->lx_miss = NULL;
    r->lx_miss_len = 0;
    r->fx_steps = 0;
    if (m->linkpath[0] == '\0') return LX_EMPTY;
    if (!r->is_buf && !r->seekable) return LX_PIPE;
    if (m->skip == DV_TAR_SKIP_SYMLINK)
        return lx_symlink(r, m->path, m->linkpath, strlen(m->linkpath), out, later);
    target = gnu_link_target(m->linkpath);
    rc = lx_normalise(r, "", 0, target, strlen(target), &klen);
    if (rc < 0) return rc;
    if (rc > 0) return LX_ESCAPE;
    /* link() follows the folders on the way (not the last component) */
    rc = lx_through(r, &r->lx, &r->lxd, &klen, &via);
    if (rc < 0) return rc;
    if (rc == 5) {
        r->lx_unkdir = 1;
        return LX_UNKNOWN;
    }
    r->lx_thr = via;
    r->lx_sure = 1;
    r->lx_enoent = rc == 0 || rc == 1; /* (link() fails "No such file or directory") */
    r->lx_ph = rc == 3; /* (a placeholder file then: the message names it, as not followed) */
    t = rc == 0 ? tab_find(&r->lx, (const char *)r->lx_tmp.p, klen) : NULL;
    if (t != NULL && t->skip == LX_SKIP_UNKNOWN) {
        r->lx_unkdir = t->unk;
        return LX_UNKNOWN;
    }
    if (t == NULL || (t->lnk_len == 0 && t->skip == DV_TAR_SKIP_OTHER)) {
        /* (where a folder on the way is a file, a placeholder or missing: link() fails on the
         * target before anything is removed) */
        r->lx_miss = (const char *)r->lx_tmp.p;
        r->lx_miss_len = klen;
        return LX_MISSING;
    }
    if (t->lnk_len == 0) {
        *out = t;
        return LX_FOUND;
    }
    /* (the text stays where it is in lx's names: nothing is added to lx while it is read) */
    r->lx_hs = 1;
    r->lx_hs_off = t->name + t->name_len;
    r->lx_hs_len = t->lnk_len;
    r->lx_hs_sample = t->sample;
    r->lx_hs_gone = r->lx_gone = t->gone;
    DV_FORWARD_IF_ERROR(dep_push(r, t->sample));
    return lx_symlink(r, m->path, (const char *)r->lx.names.p + r->lx_hs_off, r->lx_hs_len, out,
                      later);
}

/* Add member m (of sample number sample) to the link index: a regular member's data, a link's
 * resolved target; for a symlink, or a hard link to one, its target text too. What GNU tar
 * leaves at a path when it extracts a member there: a directory, a device or a fifo holds
 * nothing to read; a hard link whose target is not there leaves the path as it was
 * (lx_parents), any other that does not resolve what the index cannot tell
 * (LX_SKIP_UNKNOWN); a volume label, a multi-volume continuation and a symlink with an empty
 * target (symlink() fails before anything is removed) leave the path as it was. Pipes keep
 * none: nothing can be read again from them. */
static int index_member(dv_tar_reader *r, const dv_tar_member *m, uint64_t sample)
{
    lx_ent e;
    size_t lnk_len = 0;
    const char *lnk = NULL;
    int rc;
    if (r->lx_cap == 0 || (!r->is_buf && !r->seekable) || !gnu_extracts(m->path)) return DV_OK;
    memset(&e, 0, sizeof(e));
    if (m->type == '0' || m->type == 'S') {
        e.data_offset = m->data_offset;
        e.size = m->size;
        e.skip = m->skip;
    } else if (m->skip == DV_TAR_SKIP_HARDLINK || m->skip == DV_TAR_SKIP_SYMLINK) {
        const lx_ent *t;
        rc = lx_resolve(r, m, &t, 0);
        if (rc < 0) return rc;
        if (m->skip == DV_TAR_SKIP_SYMLINK) {
            lnk = m->linkpath;
            lnk_len = strlen(lnk);
        } else if (r->lx_hs) {
            /* (copied: lx's names may move below) */
            lnk_len = r->lx_hs_len;
            r->lnk_tmp.len = 0;
            DV_FORWARD_IF_ERROR(dv__dbuf_append(r->alloc, &r->lnk_tmp,
                                                r->lx.names.p + r->lx_hs_off, lnk_len));
            lnk = (const char *)r->lnk_tmp.p;
        }
        if (rc == LX_FOUND) {
            e = *t; /* (an earlier symlink to a later member: its target, as it holds it) */
            e.gone |= (uint8_t)r->lx_gone;
            e.through |= (unsigned)r->lx_thr; /* (a copy has not the folder's symlink) */
        } else if (rc == LX_MISSING && lnk_len > 0) {
            /* a symlink to a later member (as far as the index can tell): kept with its text,
             * so a hard link to it finds it and its being left out of a copy carries over */
            e.skip = DV_TAR_SKIP_SYMLINK;
            e.gone = (uint8_t)r->lx_gone;
        } else if ((rc == LX_ABSOLUTE || rc == LX_ESCAPE || rc == LX_DOTDOT) && lnk_len > 0) {
            /* nothing to read here, but a hard link to it reads the text from its own folder */
            e.skip = DV_TAR_SKIP_OTHER;
            e.gone = (uint8_t)r->lx_gone;
        } else if (m->skip == DV_TAR_SKIP_SYMLINK) {
            return DV_OK; /* an empty target */
        } else if (rc == LX_MISSING && lx_target_absent(r, &r->lx)) {
            /* a target that is nowhere: link() fails on the target before anything is
             * removed, so GNU tar leaves what was there (a regular member, which a link to the
             * path reads: until 2026-12-07 such a link was not read), and may make folders
             * (lx_parents) */
            return lx_parents(r, &r->lx, &r->lxd, m->path, r->lx_enoent);
        } else {
            /* GNU tar leaves the earlier member there, or nothing: a link to it is not read */
            e.skip = LX_SKIP_UNKNOWN;
        }
    } else if (m->skip == DV_TAR_SKIP_OTHER) {
        return DV_OK;
    } else {
        e.skip = DV_TAR_SKIP_OTHER; /* a directory, a device, a fifo */
        e.dir = m->skip == DV_TAR_SKIP_DIR;
    }
    e.sample = sample;
    return lx_place(r, &r->lx, &r->lxd, m, &e, lnk, lnk_len);
}

/* A new archive: the earlier members' table emptied, the second look's freed (few archives
 * need one). */
static void lx_reset(dv_tar_reader *r)
{
    tab_clear(r->alloc, &r->lx, 0);
    tab_clear(r->alloc, &r->fx, 1);
    tab_clear(r->alloc, &r->lxd, 0);
    tab_clear(r->alloc, &r->fxd, 1);
    r->fx_done = 0;
}

void dv__tar_reader_headers_only(dv_tar_reader *r, int on)
{
    r->headers_only = on != 0;
    r->ra_want = 0;
}

void dv__tar_reader_link_index(dv_tar_reader *r, size_t cap)
{
    r->lx_cap = cap;
    lx_reset(r);
}

int dv__tar_reader_link_full(const dv_tar_reader *r) { return r->lx.full || r->fx.full; }

/* The length of the first folder on the way to key[0..klen) that holds a symlink in either
 * table, or 0. Where a lookup did not follow such a folder (its text absolute or holding "..",
 * or the lookup not one that follows: lx_sure unset), a path not found through it may well be
 * there once extracted. */
static size_t lx_symlinked_folder(const dv_tar_reader *r, const char *key, size_t klen)
{
    for (size_t i = 1; i < klen; i++) {
        const lx_ent *e;
        if (key[i] != '/') continue;
        if (((e = tab_find(&r->lx, key, i)) != NULL && e->lnk_len > 0) ||
            ((e = tab_find(&r->fx, key, i)) != NULL && e->lnk_len > 0))
            return i;
    }
    return 0;
}

int dv__tar_reader_link_find(dv_tar_reader *r, const dv_tar_member *m, dv__tar_link *out)
{
    const char *kind = m->skip == DV_TAR_SKIP_SYMLINK ? "symlink" : "hard link";
    const lx_ent *e;
    int rc;
    char why[256];
    size_t folder = 0;
    out->named = UINT64_MAX;
    out->named_gone = 0;
    out->unsure = 0;
    out->symlink = m->skip == DV_TAR_SKIP_SYMLINK;
    DV_RETURN_ERROR_IF(m->skip != DV_TAR_SKIP_HARDLINK && m->skip != DV_TAR_SKIP_SYMLINK,
                       DV_EINVAL);
    rc = lx_resolve(r, m, &e, 1);
    if (rc < 0) return rc;
    if (r->lx_hs) {
        if (r->sample_mode) out->named = r->lx_hs_sample;
        out->named_gone = r->lx_hs_gone;
        out->symlink = 1;
    }
    /* not found through a symlinked folder it did not follow: the copy cannot vouch for the
     * link, which may extract to a member it leaves out (or dangle) */
    if ((rc == LX_MISSING || rc == LX_NOWHERE) && r->lx_miss != NULL &&
        (!r->lx_sure || r->lx_ph) &&
        (folder = lx_symlinked_folder(r, r->lx_miss, r->lx_miss_len)) > 0)
        out->unsure = 1;
    if (rc == LX_FOUND) {
        out->data_offset = e->data_offset;
        out->size = e->size;
        size_t nd = r->dep_tmp.len / sizeof(uint64_t);
        out->sample = r->sample_mode ? e->sample : UINT64_MAX;
        out->deps = NULL;
        out->ndeps = 0;
        if (nd > 0) {
            /* a symlink to a later member: the last member on the way holds the bytes */
            memcpy(&out->sample, r->dep_tmp.p + (nd - 1) * sizeof(uint64_t), sizeof(uint64_t));
            out->deps = (const uint64_t *)(const void *)r->dep_tmp.p;
            out->ndeps = nd - 1;
            if (!r->sample_mode) {
                out->sample = UINT64_MAX;
                out->ndeps = 0;
            }
        }
        out->skip = e->skip;
        out->gone = e->gone || r->lx_gone;
        /* a copy has not the symlink it was written through, nor one on the way there */
        out->unsure = e->through || r->lx_thr;
        return DV_OK;
    }
    switch (rc) {
    case LX_PIPE: dv__set_err(why, sizeof(why), "which cannot be read again from a pipe"); break;
    case LX_ABSOLUTE:
        dv__set_err(why, sizeof(why), "which is an absolute path, outside the archive");
        break;
    case LX_ESCAPE: dv__set_err(why, sizeof(why), "which points above the archive root"); break;
    case LX_DOTDOT:
        dv__set_err(why, sizeof(why),
                    "which goes into a folder and back out with '..' (not followed: the kernel "
                    "reads it only where that folder exists)");
        break;
    case LX_EMPTY: dv__set_err(why, sizeof(why), "which is empty"); break;
    case LX_LOOP: dv__set_err(why, sizeof(why), "which is a loop of symlinks"); break;
    case LX_UNKNOWN:
        out->unsure = 1;
        if (r->lx_unkdir)
            dv__set_err(why, sizeof(why),
                        "at or under a folder that a hard link that does not resolve may have "
                        "emptied and a later member replaced (what GNU tar leaves there is not "
                        "known)");
        else
            dv__set_err(why, sizeof(why),
                        "which a hard link that does not resolve was extracted to (what GNU tar "
                        "leaves there is not known)");
        break;
    case LX_DEEP:
        dv__set_err(why, sizeof(why), "which is %sa chain of more than %d hard links",
                    r->lx_via ? "a symlink to " : "", FX_HOPS);
        break;
    case LX_NOWHERE:
        if (r->lx_via && !r->lx.full && !r->fx.full) {
            dv__set_err(why, sizeof(why),
                        "which is a symlink to a path not found in the archive");
        } else if (r->lx.full || r->fx.full) {
            dv__set_err(why, sizeof(why),
                        "which is not among the members indexed (the link index is full at %zu "
                        "bytes)",
                        r->lx_cap);
        } else {
            dv__set_err(why, sizeof(why), "which is not found in the archive");
        }
        break;
    default:
        if (r->lx.full) {
            dv__set_err(why, sizeof(why),
                        "which is not among the earlier members indexed (the link index is "
                        "full at %zu bytes)",
                        r->lx_cap);
        } else {
            dv__set_err(why, sizeof(why), "which is not found earlier in the archive");
        }
        break;
    }
    if (folder > 0) {
        size_t wl = strlen(why);
        dv__set_err(why + wl, sizeof(why) - wl, " (through '%.*s', a symlink, not followed)",
                    folder > 80 ? 80 : (int)folder, r->lx_miss);
    }
    if (r->lx_hs) {
        /* a hard link to a symlink: the symlink's text, and where it leads from here */
        const char *lnk = (const char *)r->lx.names.p + r->lx_hs_off;
        int ll = r->lx_hs_len > 200 ? 200 : (int)r->lx_hs_len;
        if (rc == LX_ABSOLUTE || rc == LX_ESCAPE || rc == LX_DOTDOT) {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: member '%s' at offset %llu: hard link to '%s' (a symlink to '%.*s', "
                        "read from this member's folder) %s",
                        r->name, m->path, (unsigned long long)m->offset, m->linkpath, ll, lnk,
                        why);
        } else {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: member '%s' at offset %llu: hard link to '%s' (a symlink to '%.*s', "
                        "read from this member's folder: '%s') %s",
                        r->name, m->path, (unsigned long long)m->offset, m->linkpath, ll, lnk,
                        (const char *)r->lx_tmp.p, why);
        }
    } else if (m->skip == DV_TAR_SKIP_SYMLINK &&
        (rc == LX_MISSING || rc == LX_NOWHERE || rc == LX_LOOP || rc == LX_DEEP ||
         rc == LX_UNKNOWN) &&
        strcmp((const char *)r->lx_tmp.p, m->linkpath) != 0) {
        dv__set_err(r->err, sizeof(r->err), "%s: member '%s' at offset %llu: %s to '%s' ('%s') %s",
                    r->name, m->path, (unsigned long long)m->offset, kind, m->linkpath,
                    (const char *)r->lx_tmp.p, why);
    } else {
        dv__set_err(r->err, sizeof(r->err), "%s: member '%s' at offset %llu: %s to '%s' %s",
                    r->name, m->path, (unsigned long long)m->offset, kind, m->linkpath, why);
    }
    return rc == LX_PIPE ? DV_EFORMAT : DV_ECORRUPT;
}

void dv__tar_reader_link_gone(dv_tar_reader *r, const dv_tar_member *m)
{
    size_t klen;
    lx_ent *e;
    int via;
    if (r->lx.slots == 0 || lx_normalise(r, "", 0, m->path, strlen(m->path), &klen) != 0 ||
        lx_through(r, &r->lx, &r->lxd, &klen, &via) != 0)
        return;
    if ((e = tab_find(&r->lx, (const char *)r->lx_tmp.p, klen)) != NULL) e->gone = 1;
}

typedef struct lx_sink {
    const dv_alloc *alloc;
    dv__dbuf *dst;
} lx_sink;

static int lx_sink_fn(void *ctx, const void *p, size_t n)
{
    lx_sink *k = ctx;
    return dv__dbuf_append(k->alloc, k->dst, p, n);
}

int dv__tar_reader_link_data(dv_tar_reader *r, const dv_tar_member *m, uint64_t max,
                             dv__dbuf *scratch, const uint8_t **data_out, uint64_t *size_out)
{
    dv__tar_link l;
    const char *kind = m->skip == DV_TAR_SKIP_SYMLINK ? "symlink" : "hard link";
    *data_out = NULL;
    *size_out = 0;
    DV_FORWARD_IF_ERROR(dv__tar_reader_link_find(r, m, &l));
    if (l.skip == DV_TAR_SKIP_SPARSE) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: member '%s' at offset %llu: %s to '%s', a sparse file (its stored bytes "
                    "are not the file)",
                    r->name, m->path, (unsigned long long)m->offset, kind, m->linkpath);
        return DV_EFORMAT;
    }
    if (l.size > max || l.size > r->max_member || l.skip == DV_TAR_SKIP_TOOBIG) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: member '%s' at offset %llu: %s to '%s', which is %llu bytes, over the "
                    "limit",
                    r->name, m->path, (unsigned long long)m->offset, kind, m->linkpath,
                    (unsigned long long)l.size);
        return DV_ETOOBIG;
    }
    *size_out = l.size;
    if (r->is_buf) {
        if (l.data_offset > r->buflen || l.size > r->buflen - l.data_offset) {
            dv__set_err(r->err, sizeof(r->err),
                        "%s: member '%s' at offset %llu: %s to '%s', whose data run past the "
                        "end of the archive",
                        r->name, m->path, (unsigned long long)m->offset, kind, m->linkpath);
            return DV_ECORRUPT;
        }
        *data_out = r->buf + l.data_offset;
        return DV_OK;
    }
    {
        lx_sink k = {r->alloc, scratch};
        scratch->len = 0;
        /* a byte at least: an empty target's data is a pointer too */
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, scratch, (size_t)l.size + 1));
        DV_FORWARD_IF_ERROR(dv__tar_reader_copy_range(r, l.data_offset, l.size, lx_sink_fn, &k));
        *data_out = scratch->p;
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- public: members */

const char *dv_tar_skip_name(dv_tar_skip s)
{
    switch (s) {
    case DV_TAR_SKIP_NONE: return "file";
    case DV_TAR_SKIP_DIR: return "directory";
    case DV_TAR_SKIP_SYMLINK: return "symlink";
    case DV_TAR_SKIP_HARDLINK: return "hardlink";
    case DV_TAR_SKIP_DEVICE: return "device";
    case DV_TAR_SKIP_FIFO: return "fifo";
    case DV_TAR_SKIP_SPARSE: return "sparse";
    case DV_TAR_SKIP_TOOBIG: return "too big";
    default: return "other";
    }
}

dv_tar_reader *dv_tar_reader_create(const dv_tar_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_tar_reader *r = dv__calloc(a, 1, sizeof(*r));
    if (r == NULL) return NULL;
    r->alloc = a;
    r->fd = -1;
    r->max_member = opts && opts->max_member ? opts->max_member : DV_TAR_DEFAULT_MAX_MEMBER;
    r->max_sample = opts && opts->max_sample ? opts->max_sample : DV_TAR_DEFAULT_MAX_SAMPLE;
    r->max_meta = opts && opts->max_meta ? opts->max_meta : DV_TAR_DEFAULT_MAX_META;
    r->allow_no_eof = opts ? opts->allow_no_eof : 0;
    /* a member must fit in memory (size_t) to be read at all */
    if (r->max_member > SIZE_MAX / 2) r->max_member = SIZE_MAX / 2;
    if (r->max_sample > SIZE_MAX / 2) r->max_sample = SIZE_MAX / 2;
    r->state = ST_CLOSED;
    return r;
}

void dv_tar_reader_free(dv_tar_reader *r)
{
    if (r == NULL) return;
    db_free(r->alloc, &r->raw);
    db_free(r->alloc, &r->path);
    db_free(r->alloc, &r->link);
    db_free(r->alloc, &r->data);
    db_free(r->alloc, &r->meta);
    db_free(r->alloc, &r->gpath);
    db_free(r->alloc, &r->glink);
    db_free(r->alloc, &r->arena);
    db_free(r->alloc, &r->parts);
    db_free(r->alloc, &r->offs);
    db_free(r->alloc, &r->bytes);
    tab_clear(r->alloc, &r->lx, 1);
    tab_clear(r->alloc, &r->fx, 1);
    tab_clear(r->alloc, &r->lxd, 1);
    tab_clear(r->alloc, &r->fxd, 1);
    db_free(r->alloc, &r->lx_tmp);
    db_free(r->alloc, &r->dep_tmp);
    db_free(r->alloc, &r->lnk_tmp);
    db_free(r->alloc, &r->thr_tmp);
    db_free(r->alloc, &r->walk_tmp);
    db_free(r->alloc, &r->sav_tmp);
    dv__free(r->alloc, r->ra_mem);
    dv__free(r->alloc, r);
}

const char *dv_tar_reader_errmsg(const dv_tar_reader *r) { return r ? r->err : ""; }

static void reset(dv_tar_reader *r, const char *name)
{
    dv__set_err(r->name, sizeof(r->name), "%s", name ? name : "(tar)");
    r->err[0] = 0;
    r->pos = 0;
    r->ra_len = 0; /* the window belongs to the previous input */
    r->nlive = 0;
    r->live_bytes = 0;
    r->skipped_bytes = 0;
    r->ra_want = 0;
    r->offs.len = 0;
    r->state = ST_HEADER;
    r->fail_rc = 0;
    r->nmembers = r->nsamples = 0;
    r->gpath_set = r->glink_set = r->gsize_set = 0;
    r->sample_mode = r->have_pending = 0;
    r->cut_err[0] = 0;
    memset(&r->cur, 0, sizeof(r->cur));
    lx_reset(r);
}

int dv_tar_reader_open_fd(dv_tar_reader *r, int fd, const char *name)
{
    struct stat st;
    DV_RETURN_ERROR_IF(r == NULL || fd < 0, DV_EINVAL);
    reset(r, name);
    r->fd = fd;
    r->is_buf = 0;
    r->buf = NULL;
    r->seekable = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t here = lseek(fd, 0, SEEK_CUR);
        if (here >= 0 && (uint64_t)st.st_size >= (uint64_t)here) {
            r->seekable = 1;
            r->base = (uint64_t)here;
            r->filesize = (uint64_t)st.st_size - (uint64_t)here;
        }
    }
    return DV_OK;
}

int dv_tar_reader_open_buffer(dv_tar_reader *r, const void *buf, size_t len, const char *name)
{
    DV_RETURN_ERROR_IF(r == NULL || (buf == NULL && len > 0), DV_EINVAL);
    reset(r, name);
    r->fd = -1;
    r->is_buf = 1;
    r->buf = buf;
    r->buflen = len;
    return DV_OK;
}

int dv_tar_reader_next(dv_tar_reader *r, dv_tar_member *out)
{
    int rc;
    DV_RETURN_ERROR_IF(r == NULL || out == NULL || r->sample_mode, DV_EINVAL);
    rc = next_member(r, out);
    if (rc == 1) {
        int k = index_member(r, out, UINT64_MAX);
        if (k < 0) return fail(r, k);
    }
    return rc;
}

int dv_tar_reader_read(dv_tar_reader *r, const uint8_t **data_out)
{
    int rc;
    DV_RETURN_ERROR_IF(r == NULL || data_out == NULL || r->sample_mode, DV_EINVAL);
    if (r->state == ST_FAILED) return r->fail_rc;
    *data_out = NULL;
    if (r->data_done) {
        *data_out = r->cur_data;
        return DV_OK;
    }
    if (r->state != ST_DATA || r->cur.skip != DV_TAR_SKIP_NONE) {
        dv__set_err(r->err, sizeof(r->err), "%s: no readable member data here", r->name);
        return DV_EINVAL;
    }
    {
        uint64_t win_at;
        r->data.len = 0;
        rc = load_data(r, &r->data, 0, data_out, &win_at);
        if (rc < 0) return fail(r, rc);
    }
    r->cur_data = *data_out;
    return DV_OK;
}

/* ---------------------------------------------------------------- webdataset samples */

/* Length of the key in path: up to the first dot of the basename (not a leading dot). */
static size_t key_len(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot;
    base = base ? base + 1 : path;
    dot = base[0] ? strchr(base + 1, '.') : NULL;
    return dot ? (size_t)(dot - path) : strlen(path);
}

static int arena_str(dv_tar_reader *r, const char *s, size_t n, size_t *off)
{
    *off = r->arena.len;
    if (r->arena.cap - r->arena.len <= n)
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(r->alloc, &r->arena, n + 1));
    memcpy(r->arena.p + r->arena.len, s, n);
    r->arena.p[r->arena.len + n] = 0;
    r->arena.len += n + 1;
    return DV_OK;
}

static int sample_too_big(dv_tar_reader *r, uint64_t more)
{
    if ((uint64_t)r->arena.len + r->live_bytes + r->skipped_bytes + more > r->max_sample) {
        dv__set_err(r->err, sizeof(r->err),
                    "%s: sample with member '%s' at offset %llu exceeds the %llu-byte sample "
                    "limit",
                    r->name, r->cur.path, (unsigned long long)r->cur.offset,
                    (unsigned long long)r->max_sample);
        return DV_ETOOBIG;
    }
    return DV_OK;
}

/* Append the current member (just returned by next_member) to the sample being built. */
static int add_part(dv_tar_reader *r, const dv_tar_member *m)
{
    part_off po;
    size_t klen = key_len(m->path), plen = strlen(m->path);
    const char *ext = m->path[klen] == '.' ? m->path + klen + 1 : "";
    /* stored bytes: regular files always; other types only where a pipe needs them to copy */
    int want = m->skip == DV_TAR_SKIP_NONE ||
               (!r->is_buf && !r->seekable && m->skip != DV_TAR_SKIP_TOOBIG && m->size > 0 &&
                m->size <= r->max_member);
    memset(&po, 0, sizeof(po));
    po.data = SIZE_MAX;
    po.win = UINT64_MAX;
    DV_FORWARD_IF_ERROR(
        sample_too_big(r, (uint64_t)m->raw_len + 2 * plen + strlen(m->linkpath) + 3));
    DV_FORWARD_IF_ERROR(arena_str(r, m->path, plen, &po.path));
    DV_FORWARD_IF_ERROR(arena_str(r, m->linkpath, strlen(m->linkpath), &po.link));
    DV_FORWARD_IF_ERROR(arena_str(r, ext, strlen(ext), &po.ext));
    po.raw = r->arena.len;
    DV_FORWARD_IF_ERROR(db_append(r->alloc, &r->arena, m->raw, m->raw_len));
    if (want && r->headers_only && (r->is_buf || r->seekable)) {
        /* left unread (the next header is read past it), but counted in the sample limit as
         * the read would have counted it, so a sample fails where it fails with its data */
        if (!r->is_buf) {
            DV_FORWARD_IF_ERROR(sample_too_big(r, m->size));
            r->skipped_bytes += m->size;
        }
        po.unread = 1;
    } else if (want) {
        const uint8_t *d = NULL;
        uint64_t win_at;
        if (r->is_buf) {
            DV_FORWARD_IF_ERROR(load_data(r, NULL, 0, &d, &win_at));
            po.ext_data = d;
        } else {
            DV_FORWARD_IF_ERROR(sample_too_big(r, m->size));
            DV_FORWARD_IF_ERROR(load_data(r, &r->arena, 1, &d, &win_at));
            if (win_at != UINT64_MAX) {
                /* zero-copy while the window holds it; spill_live copies it otherwise */
                po.win = win_at;
                po.win_len = (size_t)m->size;
                r->nlive++;
                r->live_bytes += m->size;
            } else {
                po.data = r->arena.len;
                r->arena.len += (size_t)m->size;
            }
        }
    }
    DV_FORWARD_IF_ERROR(db_append(r->alloc, &r->offs, &po, sizeof(po)));
    DV_FORWARD_IF_ERROR(index_member(r, m, r->nsamples));
    return db_append(r->alloc, &r->parts, m, sizeof(*m));
}

/* Whether the parts of a sample read before a failure rc are given (a cut sample): yes when
 * the archive is at fault (corrupt, cut short) or could not be read further, since every
 * part so far was read whole from headers whose checksums hold; no when out of memory or
 * over the sample limit, which bound what a sample may hold. */
static int cuttable(int rc) { return rc == DV_ECORRUPT || rc == DV_EIO; }

int dv_tar_reader_next_sample(dv_tar_reader *r, dv_wds_sample *out)
{
    dv_tar_member m;
    size_t n, klen, i;
    int rc, cut = 0;
    part_off *po;
    dv_wds_part *parts;
    DV_RETURN_ERROR_IF(r == NULL || out == NULL, DV_EINVAL);
    if (r->state == ST_FAILED) {
        if (r->cut_err[0]) memcpy(r->err, r->cut_err, sizeof(r->err));
        return r->fail_rc;
    }
    r->sample_mode = 1;
    r->arena.len = r->parts.len = r->offs.len = 0;
    r->nlive = 0;
    r->live_bytes = 0;
    r->skipped_bytes = 0;
    if (r->have_pending) {
        m = r->cur;
        r->have_pending = 0;
    } else {
        rc = next_member(r, &m);
        if (rc <= 0) return rc;
    }
    klen = key_len(m.path);
    /* key first, at arena offset 0 */
    rc = dv__dbuf_append(r->alloc, &r->arena, m.path, klen);
    if (rc == DV_OK) rc = dv__dbuf_append(r->alloc, &r->arena, "", 1);
    if (rc == DV_OK) rc = add_part(r, &m);
    if (rc < 0) return fail(r, rc);
    out->offset = m.offset;
    out->end_offset = m.end_offset;
    for (;;) {
        rc = next_member(r, &m); /* a failure here is already r's (fail) */
        if (rc == 0) break;
        if (rc > 0 && (key_len(m.path) != klen || memcmp(m.path, r->arena.p, klen) != 0)) {
            r->have_pending = 1;
            break;
        }
        if (rc > 0) rc = add_part(r, &m);
        if (rc < 0) {
            /* the parts before stay whole (the failing one was not added): a bad header
             * after a sample's image loses what follows it, not the image */
            fail(r, rc);
            if (!cuttable(rc)) return rc;
            cut = 1;
            break;
        }
        out->end_offset = m.end_offset;
    }
    if (cut) {
        /* a part left unread (dv__tar_reader_headers_only) is whole only if the archive
         * went on past its data: one that the end of the archive cut short is dropped */
        const dv_tar_member *pm = (const dv_tar_member *)(const void *)r->parts.p;
        size_t keep = r->parts.len / sizeof(dv_tar_member);
        while (keep > 0 && pm[keep - 1].end_offset > r->pos) keep--;
        if (keep == 0) return r->fail_rc;
        r->parts.len = keep * sizeof(dv_tar_member);
        out->end_offset = pm[keep - 1].end_offset;
        memcpy(r->cut_err, r->err, sizeof(r->cut_err));
    }
    /* offsets -> pointers, now that the arena no longer moves */
    n = r->parts.len / sizeof(dv_tar_member);
    rc = dv__dbuf_reserve(r->alloc, &r->bytes, n * (sizeof(dv_wds_part) + sizeof(uint8_t *)));
    if (rc < 0) return fail(r, rc);
    parts = (dv_wds_part *)(void *)r->bytes.p;
    po = (part_off *)(void *)r->offs.p;
    for (i = 0; i < n; i++) {
        const uint8_t *bytes;
        const uint8_t **slot = (const uint8_t **)(void *)(r->bytes.p + n * sizeof(dv_wds_part)) + i;
        memcpy(&parts[i].member, r->parts.p + i * sizeof(dv_tar_member), sizeof(dv_tar_member));
        parts[i].member.path = (const char *)r->arena.p + po[i].path;
        parts[i].member.linkpath = (const char *)r->arena.p + po[i].link;
        parts[i].member.raw = r->arena.p + po[i].raw;
        parts[i].ext = (const char *)r->arena.p + po[i].ext;
        bytes = po[i].ext_data             ? po[i].ext_data
                : po[i].data != SIZE_MAX   ? r->arena.p + po[i].data
                : po[i].win != UINT64_MAX ? r->ra + (po[i].win - r->ra_off)
                                           : NULL;
        *slot = bytes;
        parts[i].data = parts[i].member.skip == DV_TAR_SKIP_NONE ? bytes : NULL;
        /* an empty regular file still has data, of length 0 (unless left unread) */
        if (parts[i].member.skip == DV_TAR_SKIP_NONE && parts[i].data == NULL && !po[i].unread)
            parts[i].data = (const uint8_t *)r->arena.p;
    }
    out->key = (const char *)r->arena.p;
    out->index = r->nsamples++;
    out->nparts = n;
    out->parts = parts;
    out->cut = cut;
    return 1;
}

/* ---------------------------------------------------------------- for the writer */

int dv__tar_reader_rereadable(const dv_tar_reader *r) { return r->is_buf || r->seekable; }

const uint8_t *dv__tar_reader_part_bytes(const dv_tar_reader *r, size_t i)
{
    size_t n = r->parts.len / sizeof(dv_tar_member);
    if (i >= n) return NULL;
    return ((const uint8_t *const *)(const void *)(r->bytes.p + n * sizeof(dv_wds_part)))[i];
}

int dv__tar_reader_copy_range(dv_tar_reader *r, uint64_t off, uint64_t len,
                              int (*sink)(void *ctx, const void *p, size_t n), void *ctx)
{
    if (r->is_buf) {
        DV_RETURN_ERROR_IF(off > r->buflen || len > r->buflen - off, DV_EINVAL);
        return sink(ctx, r->buf + off, (size_t)len);
    }
    DV_RETURN_ERROR_IF(!r->seekable, DV_EINVAL);
    {
        /* the bytes pass through tmp (images among them): what was used of it is zeroed
         * before returning, whatever the outcome */
        uint8_t tmp[65536];
        size_t used = 0;
        int rc = DV_OK;
        while (rc == DV_OK && len > 0) {
            size_t want = len < sizeof(tmp) ? (size_t)len : sizeof(tmp);
            ssize_t k = pread(r->fd, tmp, want, (off_t)(r->base + off));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                dv__set_err(r->err, sizeof(r->err), "%s: re-read failed at offset %llu: %s",
                            r->name, (unsigned long long)off,
                            k < 0 ? strerror(errno) : "end of file");
                rc = DV_EIO;
                break;
            }
            if ((size_t)k > used) used = (size_t)k;
            rc = sink(ctx, tmp, (size_t)k);
            off += (uint64_t)k;
            len -= (uint64_t)k;
        }
        explicit_bzero(tmp, used);
        return rc;
    }
}

uint64_t dv__tar_reader_pos(const dv_tar_reader *r, uint64_t *size)
{
    *size = r->is_buf ? (uint64_t)r->buflen : r->seekable ? r->filesize : 0;
    return r->pos;
}
