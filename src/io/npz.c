/* npz.c - .npz archives (numpy savez / savez_compressed): a bounded ZIP reader (end record,
 * ZIP64, central directory, local headers) that opens one stored or deflated member as a dv_npy. */
#include "../common/common.h"
#include "io_readers.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_Z64_EOCD 0x06064b50u
#define SIG_Z64_LOC 0x07064b50u
#define EOCD_LEN 22u
#define CEN_LEN 46u
#define LOC_LEN 30u
#define Z64_EOCD_LEN 56u
#define Z64_LOC_LEN 20u
/* deflate emits at most 258 bytes per 2-bit-ish code: no stream expands more than ~1032:1,
 * so a larger declared size is a lie we need not allocate for */
#define DEFLATE_MAX_RATIO 1032u
#define ZCHUNK (1u << 30)

typedef struct zent {
    const uint8_t *name;
    size_t name_len;
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize, lho;
    uint64_t data; /* offset of its data in the archive */
} zent;

typedef struct zspan {
    uint64_t lho, end;
    size_t i;
} zspan;

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

#define ZERR(rc, ...)                             \
    do {                                          \
        dv__set_err(errbuf, errcap, __VA_ARGS__); \
        return (rc);                              \
    } while (0)

#define ULL(x) ((unsigned long long)(x))

/* A member's name for messages: at most 64 bytes, as given (names hold no NUL). */
#define MNAME(e) (int)((e)->name_len > 64 ? 64 : (e)->name_len), (const char *)(e)->name

/* ---------------------------------------------------------------- directory */

static int find_eocd(const uint8_t *b, size_t len, size_t *pos, char *errbuf, size_t errcap)
{
    size_t lo;
    if (len < EOCD_LEN)
        ZERR(DV_EFORMAT, "%zu bytes: too short for a ZIP archive (no end record)", len);
    lo = len - EOCD_LEN > 65535 ? len - EOCD_LEN - 65535 : 0;
    /* the last record whose comment runs exactly to the end of the file */
    for (size_t p = len - EOCD_LEN + 1; p-- > lo;)
        if (rd32(b + p) == SIG_EOCD && p + EOCD_LEN + rd16(b + p + 20) == len) {
            *pos = p;
            return DV_OK;
        }
    ZERR(DV_EFORMAT, "no ZIP end-of-central-directory record in its last %zu bytes (not an .npz, "
                     "or truncated)", len - lo);
}

static int cmp_span(const void *a, const void *b)
{
    const zspan *x = a, *y = b;
    return (x->lho > y->lho) - (x->lho < y->lho);
}

/* Read a ZIP64 extra field's values in place of the 0xffffffff fields (in its fixed order). */
static int zip64_extra(const uint8_t *x, size_t xl, uint64_t *us, uint64_t *cs, uint64_t *lho,
                       uint32_t *disk)
{
    while (xl >= 4) {
        size_t id = rd16(x), sz = rd16(x + 2);
        if (sz > xl - 4) return -1;
        if (id == 1) {
            const uint8_t *q = x + 4, *qe = x + 4 + sz;
            if (*us == 0xffffffffu) {
                if (qe - q < 8) return -1;
                *us = rd64(q), q += 8;
            }
            if (*cs == 0xffffffffu) {
                if (qe - q < 8) return -1;
                *cs = rd64(q), q += 8;
            }
            if (*lho == 0xffffffffu) {
                if (qe - q < 8) return -1;
                *lho = rd64(q), q += 8;
            }
            if (*disk == 0xffffu) {
                if (qe - q < 4) return -1;
                *disk = rd32(q);
            }
            return 0;
        }
        x += 4 + sz;
        xl -= 4 + sz;
    }
    return 0;
}

/* Parse the end records and the central directory of b[0..len), find every member's data and
 * check that no two members (nor a member and the directory) overlap. *out: n entries. */
static int zip_read(const uint8_t *b, size_t len, const dv_alloc *a, zent **out, size_t *n_out,
                    char *errbuf, size_t errcap)
{
    size_t eo;
    uint64_t n, n_disk, cd_size, cd_off, end, off;
    zent *e;
    zspan *sp;
    const uint8_t *r;
    *out = NULL;
    *n_out = 0;
    DV_FORWARD_IF_ERROR(find_eocd(b, len, &eo, errbuf, errcap));
    r = b + eo;
    if ((rd16(r + 4) != 0 && rd16(r + 4) != 0xffff) || (rd16(r + 6) != 0 && rd16(r + 6) != 0xffff))
        ZERR(DV_EFORMAT, "end record at offset %zu: an archive split across disks (not supported)",
             eo);
    n_disk = rd16(r + 8);
    n = rd16(r + 10);
    cd_size = rd32(r + 12);
    cd_off = rd32(r + 16);
    end = eo;
    if (eo >= Z64_LOC_LEN && rd32(b + eo - Z64_LOC_LEN) == SIG_Z64_LOC) {
        size_t lo = eo - Z64_LOC_LEN;
        const uint8_t *l = b + lo, *z;
        uint64_t zo = rd64(l + 8), rs;
        if (rd32(l + 4) != 0 || rd32(l + 16) > 1)
            ZERR(DV_EFORMAT, "ZIP64 locator at offset %zu: an archive split across disks (not "
                             "supported)", lo);
        if (zo > lo || lo - zo < Z64_EOCD_LEN)
            ZERR(DV_ECORRUPT, "ZIP64 locator at offset %zu: its end record at offset %llu does "
                              "not fit before it", lo, ULL(zo));
        z = b + zo;
        rs = rd64(z + 4);
        if (rd32(z) != SIG_Z64_EOCD)
            ZERR(DV_ECORRUPT, "no ZIP64 end record at offset %llu (the locator at offset %zu "
                              "points there)", ULL(zo), lo);
        if (rs < Z64_EOCD_LEN - 12 || rs > lo - zo - 12)
            ZERR(DV_ECORRUPT, "ZIP64 end record at offset %llu: record size %llu runs past its "
                              "locator at offset %zu", ULL(zo), ULL(rs), lo);
        if (rd32(z + 16) != 0 || rd32(z + 20) != 0)
            ZERR(DV_EFORMAT, "ZIP64 end record at offset %llu: an archive split across disks "
                             "(not supported)", ULL(zo));
        n_disk = rd64(z + 24);
        n = rd64(z + 32);
        cd_size = rd64(z + 40);
        cd_off = rd64(z + 48);
        end = zo;
    } else if (n == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
        ZERR(DV_ECORRUPT, "end record at offset %zu: ZIP64 values without a ZIP64 locator", eo);
    }
    if (n_disk != n)
        ZERR(DV_EFORMAT, "end record: %llu of %llu entries on this disk (a split archive: not "
                         "supported)", ULL(n_disk), ULL(n));
    if (n > DV_NPZ_MAX_MEMBERS)
        ZERR(DV_ETOOBIG, "central directory: %llu members, over the limit of %u", ULL(n),
             DV_NPZ_MAX_MEMBERS);
    if (cd_off > end || cd_size > end - cd_off)
        ZERR(DV_ECORRUPT, "central directory at offset %llu (%llu bytes) runs past the end "
                          "record at offset %llu", ULL(cd_off), ULL(cd_size), ULL(end));
    if (n * CEN_LEN > cd_size)
        ZERR(DV_ECORRUPT, "central directory at offset %llu: %llu bytes cannot hold %llu entries",
             ULL(cd_off), ULL(cd_size), ULL(n));
    e = dv__calloc(a, (size_t)(n ? n : 1), sizeof(*e));
    sp = dv__calloc(a, (size_t)(n ? n : 1), sizeof(*sp));
    if (e == NULL || sp == NULL) {
        dv__free(a, e);
        dv__free(a, sp);
        return DV_ENOMEM;
    }
    off = cd_off;
#define FAIL(rc, ...)                                 \
    do {                                              \
        dv__set_err(errbuf, errcap, __VA_ARGS__);     \
        dv__free(a, e);                               \
        dv__free(a, sp);                              \
        return (rc);                                  \
    } while (0)
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *p = b + off;
        uint64_t left = cd_off + cd_size - off, us, cs, lho;
        uint32_t disk;
        size_t nl, xl, cl;
        zent *z = &e[i];
        if (left < CEN_LEN)
            FAIL(DV_ECORRUPT, "central directory entry %llu at offset %llu: truncated (%llu bytes "
                              "left of the directory)", ULL(i), ULL(off), ULL(left));
        if (rd32(p) != SIG_CENTRAL)
            FAIL(DV_ECORRUPT, "central directory entry %llu at offset %llu: bad signature",
                 ULL(i), ULL(off));
        nl = rd16(p + 28);
        xl = rd16(p + 30);
        cl = rd16(p + 32);
        if (CEN_LEN + nl + xl + cl > left)
            FAIL(DV_ECORRUPT, "central directory entry %llu at offset %llu: its name, extra field "
                              "and comment (%zu bytes) run past the directory", ULL(i), ULL(off),
                 nl + xl + cl);
        if (nl == 0 || nl > DV_NPZ_MAX_NAME || memchr(p + CEN_LEN, 0, nl) != NULL)
            FAIL(DV_ECORRUPT, "central directory entry %llu at offset %llu: a name of %zu bytes "
                              "(1 to %u, no NUL)", ULL(i), ULL(off), nl, DV_NPZ_MAX_NAME);
        z->name = p + CEN_LEN;
        z->name_len = nl;
        z->flags = rd16(p + 8);
        z->method = rd16(p + 10);
        z->crc = rd32(p + 16);
        cs = rd32(p + 20);
        us = rd32(p + 24);
        disk = rd16(p + 34);
        lho = rd32(p + 42);
        if (zip64_extra(p + CEN_LEN + nl, xl, &us, &cs, &lho, &disk) != 0)
            FAIL(DV_ECORRUPT, "member '%.*s' (directory entry at offset %llu): bad extra field",
                 MNAME(z), ULL(off));
        if (disk != 0)
            FAIL(DV_EFORMAT, "member '%.*s' (directory entry at offset %llu): on disk %u of a "
                             "split archive (not supported)", MNAME(z), ULL(off), disk);
        z->csize = cs;
        z->usize = us;
        z->lho = lho;
        off += CEN_LEN + nl + xl + cl;
    }
    for (size_t i = 0; i < (size_t)n; i++) {
        zent *z = &e[i];
        const uint8_t *p;
        uint64_t data;
        if (z->lho > cd_off || cd_off - z->lho < LOC_LEN)
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu: its local header runs past the "
                              "central directory at offset %llu", MNAME(z), ULL(z->lho),
                 ULL(cd_off));
        p = b + z->lho;
        if (rd32(p) != SIG_LOCAL)
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu: no local header there", MNAME(z),
                 ULL(z->lho));
        data = z->lho + LOC_LEN + rd16(p + 26) + rd16(p + 28);
        if (rd16(p + 26) != z->name_len || data > cd_off ||
            memcmp(p + LOC_LEN, z->name, z->name_len) != 0)
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu: its local header names another "
                              "member or runs past the central directory", MNAME(z),
                 ULL(z->lho));
        if (rd16(p + 8) != z->method)
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu: local header method %u, directory "
                              "method %u", MNAME(z), ULL(z->lho), rd16(p + 8), z->method);
        if (z->csize > cd_off - data)
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu: %llu bytes of data at offset %llu "
                              "run past the central directory at offset %llu", MNAME(z),
                 ULL(z->lho), ULL(z->csize), ULL(data), ULL(cd_off));
        z->data = data;
        sp[i].lho = z->lho;
        sp[i].end = data + z->csize;
        sp[i].i = i;
    }
    if (n > 1) qsort(sp, (size_t)n, sizeof(*sp), cmp_span);
    for (size_t k = 1; k < (size_t)n; k++)
        if (sp[k].lho < sp[k - 1].end) {
            const zent *x = &e[sp[k].i], *y = &e[sp[k - 1].i];
            FAIL(DV_ECORRUPT, "member '%.*s' at offset %llu overlaps member '%.*s' at offset "
                              "%llu (%llu bytes of data)", MNAME(x), ULL(x->lho), MNAME(y),
                 ULL(y->lho), ULL(y->csize));
        }
#undef FAIL
    dv__free(a, sp);
    *out = e;
    *n_out = (size_t)n;
    return DV_OK;
}

/* ---------------------------------------------------------------- inflate */

/* Inflate the raw deflate stream src[0..slen) into dst[0..cap). whole: the stream must give
 * exactly cap bytes and end; otherwise stop at cap bytes or the stream's end. */
static int inflate_raw(const uint8_t *src, uint64_t slen, uint8_t *dst, size_t cap, int whole,
                       size_t *got, char *why, size_t whycap)
{
    z_stream zs;
    uint64_t in_left = slen;
    size_t out_left = cap;
    uint8_t extra;
    int rc = DV_OK, ended = 0, tail = 0;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return DV_ENOMEM;
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.next_out = dst;
    for (;;) {
        int zr;
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = (uInt)(in_left < ZCHUNK ? in_left : ZCHUNK);
            in_left -= zs.avail_in;
        }
        if (!tail && zs.avail_out == 0 && out_left > 0) {
            zs.avail_out = (uInt)(out_left < ZCHUNK ? out_left : ZCHUNK);
            out_left -= zs.avail_out;
        }
        if (!tail && zs.avail_out == 0) {
            if (!whole) break;
            /* full: the stream must now end without giving one byte more */
            tail = 1;
            zs.next_out = &extra;
            zs.avail_out = 1;
        }
        zr = inflate(&zs, Z_NO_FLUSH);
        if (tail && zs.avail_out == 0) {
            dv__set_err(why, whycap, "inflates to more than its uncompressed size %zu", cap);
            rc = DV_ECORRUPT;
            break;
        }
        if (zr == Z_STREAM_END) {
            ended = 1;
            break;
        }
        if (zr == Z_OK) continue;
        if (zr == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
            dv__set_err(why, whycap, "deflate data ends early (truncated)");
            rc = DV_ECORRUPT;
            break;
        }
        if (zr == Z_BUF_ERROR) continue;
        if (zr == Z_MEM_ERROR) {
            rc = DV_ENOMEM;
            break;
        }
        dv__set_err(why, whycap, "deflate data: %s", zs.msg ? zs.msg : "corrupt");
        rc = DV_ECORRUPT;
        break;
    }
    *got = tail ? cap : cap - out_left - zs.avail_out;
    inflateEnd(&zs);
    if (rc == DV_OK && whole && (!ended || *got != cap)) {
        dv__set_err(why, whycap, "inflates to %zu bytes, but its uncompressed size is %zu", *got,
                    cap);
        rc = DV_ECORRUPT;
    }
    return rc;
}

/* ---------------------------------------------------------------- members */

static int ends_npy(const zent *z)
{
    return z->name_len > 4 && memcmp(z->name + z->name_len - 4, ".npy", 4) == 0;
}

/* Why member z cannot be read, into why; 0 when it can (so far: the header is next). */
static int member_problem(const zent *z, char *why, size_t cap)
{
    if (z->flags & 0x41u) {
        dv__set_err(why, cap, "encrypted (not supported)");
        return -1;
    }
    if (z->method != 0 && z->method != 8) {
        dv__set_err(why, cap, "compression method %u (only 0 stored and 8 deflate)", z->method);
        return -1;
    }
    if (z->method == 0 && z->csize != z->usize) {
        dv__set_err(why, cap, "stored, but %llu bytes in the archive and %llu uncompressed",
                    ULL(z->csize), ULL(z->usize));
        return -1;
    }
    if (z->usize > SIZE_MAX - 64) {
        dv__set_err(why, cap, "%llu bytes uncompressed: too large", ULL(z->usize));
        return -1;
    }
    if (z->method == 8 && z->usize / DEFLATE_MAX_RATIO > z->csize + 1) {
        dv__set_err(why, cap, "declares %llu bytes from %llu deflated ones, more than deflate "
                              "can give", ULL(z->usize), ULL(z->csize));
        return -1;
    }
    if (!ends_npy(z)) {
        dv__set_err(why, cap, "not an .npy member (its name does not end in .npy)");
        return -1;
    }
    return 0;
}

/* Parse member z's .npy header (inflating only its first bytes) and check that header +
 * rows * dims * itemsize is its uncompressed size. why gets the reason on failure. */
static int member_head(const uint8_t *b, const zent *z, const dv_alloc *a, dv_npy_info *info,
                       char *why, size_t cap)
{
    size_t cells, bytes, need, got;
    int rc;
    if (z->method == 0) {
        rc = dv_npy_parse_header(b + z->data, (size_t)z->csize, info, why, cap);
    } else {
        uint8_t head[16], *hb;
        rc = inflate_raw(b + z->data, z->csize, head,
                         z->usize < sizeof(head) ? (size_t)z->usize : sizeof(head), 0, &got, why,
                         cap);
        if (rc < 0) return rc;
        need = got;
        if (got >= 12 && memcmp(head, "\x93NUMPY", 6) == 0) {
            /* magic, version, length: the header's size, whatever its version */
            size_t hl = head[6] == 1 ? (size_t)rd16(head + 8) : (size_t)rd32(head + 8);
            if (hl > DV_NPY_MAX_HEADER) hl = DV_NPY_MAX_HEADER + 1; /* the parser says why */
            need = (head[6] == 1 ? 10 : 12) + hl;
            if (need > z->usize) need = (size_t)z->usize;
        }
        if (need <= got) return dv_npy_parse_header(head, got, info, why, cap);
        hb = dv__malloc(a, need);
        if (hb == NULL) return DV_ENOMEM;
        rc = inflate_raw(b + z->data, z->csize, hb, need, 0, &got, why, cap);
        if (rc == DV_OK) rc = dv_npy_parse_header(hb, got, info, why, cap);
        dv__free(a, hb);
    }
    if (rc < 0) return rc;
    if (info->rows > SIZE_MAX || info->dims > SIZE_MAX ||
        !dv__mul_ok((size_t)info->rows, (size_t)info->dims, &cells) ||
        !dv__mul_ok(cells, info->itemsize, &bytes) || bytes > SIZE_MAX - info->data_offset) {
        dv__set_err(why, cap, "shape (%llu, %llu) is too large", ULL(info->rows),
                    ULL(info->dims));
        return DV_ETOOBIG;
    }
    if (info->data_offset + bytes != z->usize) {
        dv__set_err(why, cap, "its .npy header says %zu bytes (shape (%llu, %llu)), but its "
                              "uncompressed size is %llu", info->data_offset + bytes,
                    ULL(info->rows), ULL(info->dims), ULL(z->usize));
        return DV_ECORRUPT;
    }
    return DV_OK;
}

static int build_list(const uint8_t *b, const zent *e, size_t n, const dv_alloc *a,
                      dv_npz_member **out)
{
    size_t names = 0, total;
    dv_npz_member *m;
    char *s;
    for (size_t i = 0; i < n; i++) names += e[i].name_len + 1;
    total = n * sizeof(*m) + names;
    m = dv__calloc(a, 1, total ? total : 1);
    if (m == NULL) return DV_ENOMEM;
    s = (char *)(m + n);
    for (size_t i = 0; i < n; i++) {
        const zent *z = &e[i];
        size_t nl = z->name_len - (ends_npy(z) ? 4 : 0);
        int rc;
        memcpy(s, z->name, nl);
        s[nl] = '\0';
        m[i].name = s;
        s += nl + 1;
        m[i].method = z->method;
        m[i].offset = z->lho;
        m[i].csize = z->csize;
        m[i].usize = z->usize;
        if (member_problem(z, m[i].problem, sizeof(m[i].problem)) != 0) continue;
        rc = member_head(b, z, a, &m[i].info, m[i].problem, sizeof(m[i].problem));
        if (rc == DV_ENOMEM) {
            dv__free(a, m);
            return rc;
        }
        if (rc == DV_OK) {
            m[i].usable = 1;
            m[i].problem[0] = '\0';
        } else {
            memset(&m[i].info, 0, sizeof(m[i].info));
        }
    }
    *out = m;
    return DV_OK;
}

int dv_npz_list_buffer(const void *buf, size_t len, const dv_alloc *alloc, dv_npz_member **out,
                       size_t *n_out, char *errbuf, size_t errcap)
{
    zent *e = NULL;
    size_t n = 0;
    int rc;
    DV_RETURN_ERROR_IF(out == NULL || n_out == NULL || (buf == NULL && len > 0), DV_EINVAL);
    *out = NULL;
    *n_out = 0;
    DV_FORWARD_IF_ERROR(zip_read(buf, len, alloc, &e, &n, errbuf, errcap));
    rc = build_list(buf, e, n, alloc, out);
    dv__free(alloc, e);
    if (rc == DV_OK) *n_out = n;
    return rc;
}

void dv_npz_list_free(const dv_alloc *alloc, dv_npz_member *members) { dv__free(alloc, members); }

/* "a, b, c" (cut with "..." to fit cap) */
static void join_names(const dv_npz_member *m, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", m[i].name);
        if (k < 0 || (size_t)k >= cap - len) {
            if (cap >= 4) memcpy(out + cap - 4, "...", 4);
            return;
        }
        len += (size_t)k;
    }
}

int dv_npz_pick(const dv_npz_member *m, size_t n, const char *key, size_t *index_out,
                char *errbuf, size_t errcap)
{
    char names[400];
    size_t found = SIZE_MAX, kl;
    DV_RETURN_ERROR_IF(index_out == NULL || (m == NULL && n > 0), DV_EINVAL);
    join_names(m, n, names, sizeof(names));
    if (key == NULL) {
        if (n == 1) {
            *index_out = 0;
            return DV_OK;
        }
        if (n == 0) ZERR(DV_EINVAL, "no arrays in the archive");
        ZERR(DV_EINVAL, "%zu arrays (%s) and no key to choose one (--npz-key NAME)", n, names);
    }
    kl = strlen(key);
    for (size_t i = 0; i < n; i++) {
        size_t ml = strlen(m[i].name);
        if (strcmp(m[i].name, key) == 0 ||
            (kl == ml + 4 && memcmp(key, m[i].name, ml) == 0 && strcmp(key + ml, ".npy") == 0)) {
            if (found != SIZE_MAX)
                ZERR(DV_EFORMAT, "two members named '%.64s' (at offsets %llu and %llu)", key,
                     ULL(m[found].offset), ULL(m[i].offset));
            found = i;
        }
    }
    if (found == SIZE_MAX) ZERR(DV_EINVAL, "no array '%.64s' (it holds: %s)", key, names);
    *index_out = found;
    return DV_OK;
}

/* Open e as a matrix over b[0..len), which lies in map (taken over) or a caller's buffer. */
static int open_entry(const uint8_t *b, const zent *z, const dv_alloc *a, void *map,
                      size_t maplen, dv_npy **out, char *errbuf, size_t errcap)
{
    char why[300];
    dv_npy_info hi;
    uint8_t *heap;
    size_t shift, usize;
    int rc;
    why[0] = '\0';
    if (member_problem(z, why, sizeof(why)) != 0) {
        rc = DV_EFORMAT;
        goto fail;
    }
    rc = member_head(b, z, a, &hi, why, sizeof(why));
    if (rc < 0) goto fail;
    usize = (size_t)z->usize;
    if (z->method == 0 && (uintptr_t)(b + z->data + hi.data_offset) % hi.itemsize == 0)
        return dv__npy_adopt(a, map, maplen, NULL, b + z->data, usize, out, errbuf, errcap);
    if (z->usize > DV_NPZ_MAX_INFLATE) {
        dv__set_err(why, sizeof(why), "%llu bytes to %s: over the limit of %llu",
                    ULL(z->usize), z->method == 0 ? "copy (its data is not aligned)" : "inflate",
                    ULL(DV_NPZ_MAX_INFLATE));
        rc = DV_ETOOBIG;
        goto fail;
    }
    /* one heap buffer, the data placed at a multiple of 8 bytes */
    heap = dv__malloc(a, usize + 8);
    if (heap == NULL) {
        rc = DV_ENOMEM;
        goto fail;
    }
    shift = (8 - ((uintptr_t)heap + hi.data_offset) % 8) % 8;
    if (z->method == 0) {
        memcpy(heap + shift, b + z->data, usize);
    } else {
        size_t got;
        uLong crc = crc32(0L, Z_NULL, 0);
        rc = inflate_raw(b + z->data, z->csize, heap + shift, usize, 1, &got, why, sizeof(why));
        for (size_t o = 0; rc == DV_OK && o < usize;) {
            uInt k = (uInt)(usize - o < ZCHUNK ? usize - o : ZCHUNK);
            crc = crc32(crc, heap + shift + o, k);
            o += k;
        }
        if (rc == DV_OK && (uint32_t)crc != z->crc) {
            dv__set_err(why, sizeof(why), "CRC-32 %08x of its data, %08x in the directory",
                        (unsigned)crc, (unsigned)z->crc);
            rc = DV_ECORRUPT;
        }
        if (rc < 0) {
            dv__free(a, heap);
            goto fail;
        }
    }
    if (map != NULL) munmap(map, maplen);
    return dv__npy_adopt(a, NULL, 0, heap, heap + shift, usize, out, errbuf, errcap);
fail:
    if (map != NULL) munmap(map, maplen);
    if (rc == DV_ENOMEM) ZERR(rc, "out of memory");
    ZERR(rc, "member '%.*s' at offset %llu: %s", MNAME(z), ULL(z->lho), why);
}

/* List, pick and open over b[0..len) (map, or NULL for a caller's buffer, is taken over). */
static int open_in(const uint8_t *b, size_t len, const char *key, const dv_alloc *a, void *map,
                   size_t maplen, dv_npy **out, char *errbuf, size_t errcap)
{
    zent *e = NULL;
    dv_npz_member *m = NULL;
    size_t n = 0, idx = 0;
    int rc = zip_read(b, len, a, &e, &n, errbuf, errcap);
    if (rc == DV_OK) rc = build_list(b, e, n, a, &m);
    if (rc == DV_OK) rc = dv_npz_pick(m, n, key, &idx, errbuf, errcap);
    if (rc == DV_OK) {
        rc = open_entry(b, &e[idx], a, map, maplen, out, errbuf, errcap);
        map = NULL;
    }
    if (map != NULL) munmap(map, maplen);
    dv__free(a, m);
    dv__free(a, e);
    return rc;
}

int dv_npz_open_buffer(const void *buf, size_t len, const char *key, const dv_alloc *alloc,
                       dv_npy **out, char *errbuf, size_t errcap)
{
    DV_RETURN_ERROR_IF(out == NULL || (buf == NULL && len > 0), DV_EINVAL);
    *out = NULL;
    return open_in(buf, len, key, alloc, NULL, 0, out, errbuf, errcap);
}

/* ---------------------------------------------------------------- files */

static int map_fd(int fd, const char *path, void **map, size_t *len, char *errbuf,
                  size_t errcap)
{
    struct stat st;
    *map = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)EOCD_LEN ||
        (uint64_t)st.st_size > SIZE_MAX)
        ZERR(DV_EFORMAT, "%s: not a regular file of at least %u bytes (an .npz)", path,
             EOCD_LEN);
    *len = (size_t)st.st_size;
    *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (*map == MAP_FAILED) {
        *map = NULL;
        ZERR(DV_EIO, "%s: mmap failed: %s", path, strerror(errno));
    }
    return DV_OK;
}

static int map_file(const char *path, void **map, size_t *len, char *errbuf, size_t errcap)
{
    int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    *map = NULL;
    if (fd < 0) ZERR(DV_EIO, "%s: %s", path, strerror(errno));
    rc = map_fd(fd, path, map, len, errbuf, errcap);
    close(fd);
    return rc;
}

int dv__npz_list_fd(int fd, const char *path, const dv_alloc *alloc, dv_npz_member **out,
                    size_t *n_out, char *errbuf, size_t errcap)
{
    void *map;
    size_t len;
    char sub[400];
    int rc;
    *out = NULL;
    *n_out = 0;
    DV_FORWARD_IF_ERROR(map_fd(fd, path, &map, &len, errbuf, errcap));
    rc = dv_npz_list_buffer(map, len, alloc, out, n_out, sub, sizeof(sub));
    munmap(map, len);
    if (rc < 0) dv__set_err(errbuf, errcap, "%s: %s", path, rc == DV_ENOMEM ? "out of memory" : sub);
    return rc;
}

int dv_npz_list(const char *path, const dv_alloc *alloc, dv_npz_member **out, size_t *n_out,
                char *errbuf, size_t errcap)
{
    void *map;
    size_t len;
    char sub[400];
    int rc;
    DV_RETURN_ERROR_IF(path == NULL || out == NULL || n_out == NULL, DV_EINVAL);
    *out = NULL;
    *n_out = 0;
    DV_FORWARD_IF_ERROR(map_file(path, &map, &len, errbuf, errcap));
    rc = dv_npz_list_buffer(map, len, alloc, out, n_out, sub, sizeof(sub));
    munmap(map, len);
    if (rc < 0) dv__set_err(errbuf, errcap, "%s: %s", path, rc == DV_ENOMEM ? "out of memory" : sub);
    return rc;
}

int dv_npz_open(const char *path, const char *key, const dv_alloc *alloc, dv_npy **out,
                char *errbuf, size_t errcap)
{
    void *map;
    size_t len;
    char sub[500];
    int rc;
    DV_RETURN_ERROR_IF(path == NULL || out == NULL, DV_EINVAL);
    *out = NULL;
    DV_FORWARD_IF_ERROR(map_file(path, &map, &len, errbuf, errcap));
    sub[0] = '\0';
    rc = open_in(map, len, key, alloc, map, len, out, sub, sizeof(sub));
    if (rc < 0) dv__set_err(errbuf, errcap, "%s: %s", path, rc == DV_ENOMEM && !sub[0] ? "out of memory" : sub);
    return rc;
}

int dv_npz_is_zip(const char *path)
{
    uint8_t m[4];
    ssize_t k;
    int fd;
    if (path == NULL) return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    k = pread(fd, m, sizeof(m), 0);
    close(fd);
    /* a local header, or the end record of an empty archive */
    return k == 4 && m[0] == 'P' && m[1] == 'K' &&
           ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

int dv_npy_open_any(const char *path, const char *npz_key, const dv_alloc *alloc, dv_npy **out,
                    char *errbuf, size_t errcap)
{
    DV_RETURN_ERROR_IF(path == NULL || out == NULL, DV_EINVAL);
    if (dv_npz_is_zip(path)) return dv_npz_open(path, npz_key, alloc, out, errbuf, errcap);
    return dv_npy_open(path, alloc, out, errbuf, errcap);
}

/* ---------------------------------------------------------------- rewriting (scan --clean) */

/* An .npy header of any dtype and shape, for the rewriter (dv_npy_parse_header takes 2-D
 * float matrices only). Strict, as numpy is: the three keys once each, a tuple of ints. */
#define NPY_ANY_MAXDIM 64
typedef struct npyhead {
    size_t hlen;    /* magic + length + dict: bytes before the data */
    char descr[40]; /* a simple type string ("<f2", "|u1", "<U16", "<M8[ns]") */
    size_t itemsize;
    int fortran, ndim;
    uint64_t shape[NPY_ANY_MAXDIM];
} npyhead;

typedef struct pcur {
    const uint8_t *p, *e;
} pcur;

static void pws(pcur *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int plit(pcur *c, const char *s)
{
    size_t n = strlen(s);
    pws(c);
    if ((size_t)(c->e - c->p) < n || memcmp(c->p, s, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* A quoted string without escapes: [*s, *s + *n). */
static int pstr(pcur *c, const uint8_t **s, size_t *n)
{
    uint8_t q;
    const uint8_t *end;
    pws(c);
    if (c->p >= c->e || (*c->p != '\'' && *c->p != '"')) return 0;
    q = *c->p;
    end = memchr(c->p + 1, q, (size_t)(c->e - c->p - 1));
    if (end == NULL || memchr(c->p + 1, '\\', (size_t)(end - c->p - 1)) != NULL) return 0;
    *s = c->p + 1;
    *n = (size_t)(end - c->p - 1);
    c->p = end + 1;
    return 1;
}

/* The item size a simple numpy type string gives; 0 with why when it is not one. */
static size_t typestr_size(const uint8_t *s, size_t n, char *why, size_t cap)
{
    size_t i = 0, d = 0, nd = 0;
    uint8_t kind;
    if (n > 0 && memchr("<>|=", s[0], 4) != NULL) i++;
    if (i >= n) goto bad;
    kind = s[i++];
    if (kind == 'O') {
        dv__set_err(why, cap, "an object array (pickled Python objects): not rewritten");
        return 0;
    }
    if (memchr("biufcSUVmMa", kind, 11) == NULL) goto bad;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && nd < 9; i++, nd++) d = d * 10 + (s[i] - '0');
    if (nd == 0) goto bad;
    if ((kind == 'm' || kind == 'M') && i < n && s[i] == '[') {
        for (i++; i < n && s[i] != ']'; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                  (s[i] >= '0' && s[i] <= '9')))
                goto bad;
        if (i++ >= n) goto bad;
    }
    if (i != n || d == 0) goto bad;
    return kind == 'U' ? 4 * d : d;
bad:
    dv__set_err(why, cap, "dtype '%.*s' is not a simple numpy type (a structured or unknown "
                          "dtype: not rewritten)", (int)(n > 32 ? 32 : n), (const char *)s);
    return 0;
}

/* Parse the header at p[0..len) (len: at least the header, or all there is). */
static int npy_head_any(const uint8_t *p, size_t len, npyhead *h, char *why, size_t cap)
{
    size_t pre, hl;
    pcur c;
    int have[3] = {0, 0, 0};
    memset(h, 0, sizeof(*h));
    if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0) {
        dv__set_err(why, cap, "not an .npy image (no \\x93NUMPY magic)");
        return DV_EFORMAT;
    }
    if (p[6] < 1 || p[6] > 3 || p[7] != 0) {
        dv__set_err(why, cap, ".npy format version %u.%u (1.0, 2.0 and 3.0 are read)", p[6], p[7]);
        return DV_EFORMAT;
    }
    pre = p[6] == 1 ? 10 : 12;
    if (len < pre) goto trunc;
    hl = p[6] == 1 ? rd16(p + 8) : rd32(p + 8);
    if (hl > DV_NPY_MAX_HEADER) {
        dv__set_err(why, cap, ".npy header of %zu bytes, over the limit of %u", hl,
                    DV_NPY_MAX_HEADER);
        return DV_ETOOBIG;
    }
    if (hl > len - pre) goto trunc;
    h->hlen = pre + hl;
    c.p = p + pre;
    c.e = p + pre + hl;
    if (!plit(&c, "{")) goto bad;
    for (;;) {
        const uint8_t *k, *v;
        size_t kn, vn;
        if (plit(&c, "}")) break;
        if (!pstr(&c, &k, &kn) || !plit(&c, ":")) goto bad;
        if (kn == 5 && memcmp(k, "descr", 5) == 0 && !have[0]++) {
            pws(&c);
            if (c.p < c.e && *c.p == '[') {
                dv__set_err(why, cap, "a structured dtype (a list of fields): not rewritten");
                return DV_EFORMAT;
            }
            if (!pstr(&c, &v, &vn)) goto bad;
            h->itemsize = typestr_size(v, vn, why, cap);
            if (h->itemsize != 0 && vn >= sizeof(h->descr)) {
                dv__set_err(why, cap, "dtype of %zu characters: not rewritten", vn);
                return DV_EFORMAT;
            }
            memcpy(h->descr, v, vn);
            if (h->itemsize == 0) return DV_EFORMAT;
        } else if (kn == 13 && memcmp(k, "fortran_order", 13) == 0 && !have[1]++) {
            if (plit(&c, "True")) h->fortran = 1;
            else if (!plit(&c, "False")) goto bad;
        } else if (kn == 5 && memcmp(k, "shape", 5) == 0 && !have[2]++) {
            int comma = 1;
            if (!plit(&c, "(")) goto bad;
            while (!plit(&c, ")")) {
                uint64_t d = 0;
                int nd = 0;
                if (!comma || h->ndim == NPY_ANY_MAXDIM) goto bad;
                pws(&c);
                for (; c.p < c.e && *c.p >= '0' && *c.p <= '9'; c.p++, nd++) {
                    if (d > (UINT64_MAX >> 1) / 10) goto bad;
                    d = d * 10 + (uint64_t)(*c.p - '0');
                }
                if (nd == 0) goto bad;
                if (c.p < c.e && *c.p == 'L') c.p++; /* Python 2's long */
                h->shape[h->ndim++] = d;
                comma = plit(&c, ",");
            }
            if (h->ndim == 1 && comma == 0) goto bad; /* (3) is not a tuple */
        } else {
            goto bad;
        }
        if (!plit(&c, ",")) {
            if (plit(&c, "}")) break;
            goto bad;
        }
    }
    pws(&c);
    if (c.p != c.e || !have[0] || !have[1] || !have[2]) goto bad;
    return DV_OK;
trunc:
    dv__set_err(why, cap, ".npy header truncated");
    return DV_ECORRUPT;
bad:
    dv__set_err(why, cap, ".npy header dict is not {'descr': ..., 'fortran_order': ..., "
                          "'shape': (...)} as numpy writes it");
    return DV_EFORMAT;
}

/* How member z's rows are rewritten: its header h, the bytes of one row. */
typedef struct rowplan {
    npyhead h;
    size_t rowbytes;
} rowplan;

/* Whether member z can be rewritten without rows: an .npy of a simple dtype in C order whose
 * first dimension is rows and whose size is its header's. Reads (inflates) the header only. */
static int member_plan(const uint8_t *b, const zent *z, uint64_t rows, const dv_alloc *a,
                       rowplan *pl, char *why, size_t cap)
{
    size_t cells = 1, rowcells = 1, bytes, got;
    int rc;
    if (member_problem(z, why, cap) != 0) return DV_EFORMAT;
    if (z->method == 0) {
        rc = npy_head_any(b + z->data, (size_t)z->csize, &pl->h, why, cap);
    } else {
        /* the header's length is in its first 12 bytes: inflate those, then the header */
        uint8_t head[12], *hb;
        size_t need;
        rc = inflate_raw(b + z->data, z->csize, head,
                         z->usize < sizeof(head) ? (size_t)z->usize : sizeof(head), 0, &got, why,
                         cap);
        if (rc < 0) return rc;
        need = got;
        if (got == sizeof(head) && memcmp(head, "\x93NUMPY", 6) == 0) {
            size_t hl = head[6] == 1 ? (size_t)rd16(head + 8) : (size_t)rd32(head + 8);
            if (hl > DV_NPY_MAX_HEADER) hl = DV_NPY_MAX_HEADER + 1; /* the parser says why */
            need = (head[6] == 1 ? 10 : 12) + hl;
            if (need > z->usize) need = (size_t)z->usize;
        }
        hb = dv__malloc(a, need ? need : 1);
        if (hb == NULL) return DV_ENOMEM;
        rc = inflate_raw(b + z->data, z->csize, hb, need, 0, &got, why, cap);
        if (rc == DV_OK) rc = npy_head_any(hb, got, &pl->h, why, cap);
        dv__free(a, hb);
    }
    if (rc < 0) return rc;
    for (int i = 0; i < pl->h.ndim; i++) {
        if (pl->h.shape[i] > SIZE_MAX || !dv__mul_ok(cells, (size_t)pl->h.shape[i], &cells))
            goto big;
        if (i > 0 && !dv__mul_ok(rowcells, (size_t)pl->h.shape[i], &rowcells)) goto big;
    }
    if (!dv__mul_ok(cells, pl->h.itemsize, &bytes) || bytes > SIZE_MAX - pl->h.hlen) goto big;
    if (pl->h.hlen + bytes != z->usize) {
        dv__set_err(why, cap, "its .npy header says %zu bytes, but its uncompressed size is %llu",
                    pl->h.hlen + bytes, ULL(z->usize));
        return DV_ECORRUPT;
    }
    if (pl->h.ndim == 0 || pl->h.shape[0] != rows) {
        char sh[64] = "()";
        if (pl->h.ndim > 0)
            snprintf(sh, sizeof(sh), "(%llu%s)", ULL(pl->h.shape[0]),
                     pl->h.ndim > 1 ? ", ..." : ",");
        dv__set_err(why, cap, "shape %s: its first dimension is not the %llu rows to keep in "
                              "step", sh, ULL(rows));
        return DV_EFORMAT;
    }
    if (pl->h.fortran && pl->h.ndim > 1 && rowcells > 1) {
        dv__set_err(why, cap, "Fortran order: its rows are not contiguous (not rewritten)");
        return DV_EFORMAT;
    }
    pl->rowbytes = rowcells * pl->h.itemsize;
    return DV_OK;
big:
    dv__set_err(why, cap, "shape too large");
    return DV_ETOOBIG;
}

/* The header of the rewritten member: h with `kept` rows, padded (spaces, '\n') to a multiple
 * of 64 bytes; format 1.0 (its dict is always short). Returns its length. */
static size_t npy_head_write(const npyhead *h, uint64_t kept, uint8_t *o, size_t cap)
{
    char dict[2048];
    size_t k, total;
    int w = snprintf(dict, sizeof(dict), "{'descr': '%s', 'fortran_order': %s, 'shape': (%llu%s",
                     h->descr, h->fortran ? "True" : "False", ULL(kept),
                     h->ndim == 1 ? "," : "");
    k = (size_t)w;
    for (int i = 1; i < h->ndim; i++)
        k += (size_t)snprintf(dict + k, sizeof(dict) - k, ", %llu", ULL(h->shape[i]));
    k += (size_t)snprintf(dict + k, sizeof(dict) - k, "), }");
    total = (10 + k + 1 + 63) / 64 * 64;
    assert(k < sizeof(dict) && total <= cap && total - 10 <= 0xffff);
    memcpy(o, "\x93NUMPY\x01\x00", 8);
    o[8] = (uint8_t)((total - 10) & 0xff);
    o[9] = (uint8_t)((total - 10) >> 8);
    memcpy(o + 10, dict, k);
    memset(o + 10 + k, ' ', total - 10 - k - 1);
    o[total - 1] = '\n';
    return total;
}

/* Buffered positional writes to fd, from offset base on. */
#define WBUF_CAP (1u << 20)
typedef struct wout {
    int fd;
    uint64_t off; /* file offset of buf[0] */
    uint8_t *buf;
    size_t len;
    int failed;   /* errno of a failed write, or -1 */
} wout;

static int wflush(wout *w)
{
    size_t done = 0;
    while (!w->failed && done < w->len) {
        ssize_t k = pwrite(w->fd, w->buf + done, w->len - done, (off_t)(w->off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) w->failed = k < 0 ? errno : -1;
        else done += (size_t)k;
    }
    w->off += w->len;
    w->len = 0;
    return w->failed ? DV_EIO : DV_OK;
}

static int wput(wout *w, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n > 0) {
        size_t k = WBUF_CAP - w->len < n ? WBUF_CAP - w->len : n;
        memcpy(w->buf + w->len, q, k);
        w->len += k;
        q += k;
        n -= k;
        if (w->len == WBUF_CAP) DV_FORWARD_IF_ERROR(wflush(w));
    }
    return w->failed ? DV_EIO : DV_OK;
}

static uint64_t wpos(const wout *w) { return w->off + w->len; }

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v & 0xffff);
    wr16(p + 2, v >> 16);
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t crc_more(uint32_t crc, const uint8_t *p, size_t n)
{
    uLong c = crc;
    while (n > 0) {
        uInt k = (uInt)(n < ZCHUNK ? n : ZCHUNK);
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

#define ZIP_DOS_DATE 0x0021u /* 1980-01-01, 00:00: the same bytes for the same input */
#define ZIP_MAX32 0xffffffffu
#define ZIP_ALIGN 64u        /* member data start: the .npy data, at a multiple of 64 too */
#define ZIP_PAD_ID 0xd935u   /* the extra field that pads a local header (zipalign's id) */

/* A member written: what its central entry needs. */
typedef struct wmem {
    const uint8_t *name;
    size_t name_len;
    uint16_t flags;
    uint32_t crc;
    uint64_t size, lho;
} wmem;

/* Local header of a stored member at offset lho (crc patched later): the ZIP64 extra field
 * (both sizes) when size needs it or z64, then padding so that the data starts at a multiple
 * of ZIP_ALIGN. Returns its length in out (at least 30 + name + 20 + 4 + 64 + 3 bytes). */
static size_t zip_local(uint8_t *out, const wmem *m, int z64, uint64_t lho)
{
    size_t n = LOC_LEN + m->name_len, pad;
    int big = z64 || m->size >= ZIP_MAX32;
    wr32(out, SIG_LOCAL);
    wr16(out + 4, big ? 45 : 20);
    wr16(out + 6, m->flags);
    wr16(out + 8, 0);
    wr16(out + 10, 0);
    wr16(out + 12, ZIP_DOS_DATE);
    wr32(out + 14, m->crc);
    wr32(out + 18, big ? ZIP_MAX32 : (uint32_t)m->size);
    wr32(out + 22, big ? ZIP_MAX32 : (uint32_t)m->size);
    wr16(out + 26, (uint32_t)m->name_len);
    memcpy(out + LOC_LEN, m->name, m->name_len);
    if (big) {
        wr16(out + n, 1);
        wr16(out + n + 2, 16);
        wr64(out + n + 4, m->size);
        wr64(out + n + 12, m->size);
        n += 20;
    }
    pad = (ZIP_ALIGN - (size_t)((lho + n) % ZIP_ALIGN)) % ZIP_ALIGN;
    if (pad > 0 && pad < 4) pad += ZIP_ALIGN;
    if (pad > 0) {
        wr16(out + n, ZIP_PAD_ID);
        wr16(out + n + 2, (uint32_t)(pad - 4));
        memset(out + n + 4, 0, pad - 4);
        n += pad;
    }
    wr16(out + 28, (uint32_t)(n - LOC_LEN - m->name_len));
    return n;
}

/* Central directory entry of m: ZIP64 extra values for each field that needs them (or all
 * three when z64), in the order the format fixes. out: at least 46 + name + 28 bytes. */
static size_t zip_central(uint8_t *out, const wmem *m, int z64)
{
    size_t n = CEN_LEN + m->name_len, x = 0;
    int bs = z64 || m->size >= ZIP_MAX32, bo = z64 || m->lho >= ZIP_MAX32;
    uint8_t ext[28];
    if (bs) wr64(ext + 4 + x, m->size), x += 8, wr64(ext + 4 + x, m->size), x += 8;
    if (bo) wr64(ext + 4 + x, m->lho), x += 8;
    wr32(out, SIG_CENTRAL);
    wr16(out + 4, (3u << 8) | 45u); /* made by: Unix, 4.5 */
    wr16(out + 6, bs || bo ? 45 : 20);
    wr16(out + 8, m->flags);
    wr16(out + 10, 0);
    wr16(out + 12, 0);
    wr16(out + 14, ZIP_DOS_DATE);
    wr32(out + 16, m->crc);
    wr32(out + 20, bs ? ZIP_MAX32 : (uint32_t)m->size);
    wr32(out + 24, bs ? ZIP_MAX32 : (uint32_t)m->size);
    wr16(out + 28, (uint32_t)m->name_len);
    wr16(out + 30, x ? (uint32_t)(x + 4) : 0);
    wr16(out + 32, 0);
    wr16(out + 34, 0);
    wr16(out + 36, 0);
    wr32(out + 38, 0100600u << 16); /* a regular file, rw------- */
    wr32(out + 42, bo ? ZIP_MAX32 : (uint32_t)m->lho);
    memcpy(out + CEN_LEN, m->name, m->name_len);
    if (x) {
        wr16(ext, 1);
        wr16(ext + 2, (uint32_t)x);
        memcpy(out + n, ext, x + 4);
        n += x + 4;
    }
    return n;
}

/* The end records after a directory of n entries at cd_off (cd_size bytes): the ZIP64 end
 * record and its locator when a value needs them (or z64), then the end record. out: at
 * least 56 + 20 + 22 bytes. */
static size_t zip_end(uint8_t *out, uint64_t n, uint64_t cd_off, uint64_t cd_size, int z64)
{
    size_t k = 0;
    int big = z64 || n >= 0xffff || cd_off >= ZIP_MAX32 || cd_size >= ZIP_MAX32;
    if (big) {
        uint64_t zo = cd_off + cd_size;
        wr32(out, SIG_Z64_EOCD);
        wr64(out + 4, Z64_EOCD_LEN - 12);
        wr16(out + 12, (3u << 8) | 45u);
        wr16(out + 14, 45);
        wr32(out + 16, 0);
        wr32(out + 20, 0);
        wr64(out + 24, n);
        wr64(out + 32, n);
        wr64(out + 40, cd_size);
        wr64(out + 48, cd_off);
        wr32(out + 56, SIG_Z64_LOC);
        wr32(out + 60, 0);
        wr64(out + 64, zo);
        wr32(out + 72, 1);
        k = Z64_EOCD_LEN + Z64_LOC_LEN;
    }
    wr32(out + k, SIG_EOCD);
    wr16(out + k + 4, 0);
    wr16(out + k + 6, 0);
    wr16(out + k + 8, n >= 0xffff || big ? 0xffff : (uint32_t)n);
    wr16(out + k + 10, n >= 0xffff || big ? 0xffff : (uint32_t)n);
    wr32(out + k + 12, cd_size >= ZIP_MAX32 || big ? ZIP_MAX32 : (uint32_t)cd_size);
    wr32(out + k + 16, cd_off >= ZIP_MAX32 || big ? ZIP_MAX32 : (uint32_t)cd_off);
    wr16(out + k + 20, 0);
    return k + EOCD_LEN;
}

/* The .npy image of member z: in place in b (stored) or inflated into *heap; its CRC-32
 * checked against the directory's either way (the whole member is read anyway). */
static int member_image(const uint8_t *b, const zent *z, const dv_alloc *a, const uint8_t **img,
                        uint8_t **heap, char *why, size_t cap)
{
    size_t got, usize = (size_t)z->usize;
    uint32_t crc;
    int rc;
    *heap = NULL;
    if (z->method == 0) {
        *img = b + z->data;
    } else {
        if (z->usize > DV_NPZ_MAX_INFLATE) {
            dv__set_err(why, cap, "%llu bytes to inflate: over the limit of %llu", ULL(z->usize),
                        ULL(DV_NPZ_MAX_INFLATE));
            return DV_ETOOBIG;
        }
        *heap = dv__malloc(a, usize ? usize : 1);
        if (*heap == NULL) return DV_ENOMEM;
        rc = inflate_raw(b + z->data, z->csize, *heap, usize, 1, &got, why, cap);
        if (rc < 0) {
            dv__free(a, *heap);
            *heap = NULL;
            return rc;
        }
        *img = *heap;
    }
    crc = crc_more(0, *img, usize);
    if (crc != z->crc) {
        dv__set_err(why, cap, "CRC-32 %08x of its data, %08x in the directory", (unsigned)crc,
                    (unsigned)z->crc);
        dv__free(a, *heap);
        *heap = NULL;
        return DV_ECORRUPT;
    }
    return DV_OK;
}

/* Write member z of b again from w's position, without the rows o->drop names. */
static int rewrite_member(const uint8_t *b, const zent *z, const dv__npz_clean_opts *o,
                          uint64_t kept, const dv_alloc *a, wout *w, wmem *m, char *why,
                          size_t cap)
{
    rowplan pl;
    uint8_t hdr[2200], loc[LOC_LEN + DV_NPZ_MAX_NAME + 20 + 4 + ZIP_ALIGN + 4], crcb[4];
    uint8_t *heap = NULL;
    const uint8_t *img, *data;
    size_t hl, ll;
    uint64_t run = 0, written = 0;
    int rc;
    DV_FORWARD_IF_ERROR(member_plan(b, z, o->rows, a, &pl, why, cap));
    DV_FORWARD_IF_ERROR(member_image(b, z, a, &img, &heap, why, cap));
    data = img + pl.h.hlen;
    hl = npy_head_write(&pl.h, kept, hdr, sizeof(hdr));
    m->name = z->name;
    m->name_len = z->name_len;
    m->flags = z->flags & 0x800u; /* the name's encoding (UTF-8) */
    m->crc = 0;
    m->size = hl + kept * pl.rowbytes; /* (no overflow: at most the source's size) */
    m->lho = wpos(w);
    ll = zip_local(loc, m, o->force_zip64, m->lho);
    rc = wput(w, loc, ll);
    if (rc == DV_OK) rc = wput(w, hdr, hl);
    m->crc = crc_more(0, hdr, hl);
    /* runs of kept rows, each copied in one go */
    for (uint64_t r = 0; rc == DV_OK && r <= o->rows; r++) {
        if (r < o->rows && !o->drop(o->ctx, r)) {
            run++;
            continue;
        }
        if (run > 0) {
            const uint8_t *s = data + (size_t)(r - run) * pl.rowbytes;
            size_t n = (size_t)run * pl.rowbytes;
            m->crc = crc_more(m->crc, s, n);
            rc = wput(w, s, n);
            written += run;
            run = 0;
        }
    }
    dv__free(a, heap);
    if (rc != DV_OK) return rc;
    assert(written == kept);
    if (written != kept) return DV_EINVAL;
    /* the CRC-32 into the local header, now that it is known */
    DV_FORWARD_IF_ERROR(wflush(w));
    wr32(crcb, m->crc);
    for (;;) {
        ssize_t k = pwrite(w->fd, crcb, 4, (off_t)(m->lho + 14));
        if (k == 4) break;
        if (k < 0 && errno == EINTR) continue;
        w->failed = k < 0 ? errno : -1;
        return DV_EIO;
    }
    return DV_OK;
}

static void member_err(const zent *z, int rc, const char *why, char *errbuf, size_t errcap)
{
    if (rc == DV_ENOMEM) dv__set_err(errbuf, errcap, "out of memory");
    else dv__set_err(errbuf, errcap, "member '%.*s' at offset %llu: %s", MNAME(z), ULL(z->lho),
                     why);
}

int dv__npz_clean_check_buffer(const void *buf, size_t len, uint64_t rows, const dv_alloc *a,
                               char *errbuf, size_t errcap)
{
    zent *e = NULL;
    size_t n = 0;
    rowplan pl;
    char why[300];
    int rc;
    DV_RETURN_ERROR_IF(buf == NULL && len > 0, DV_EINVAL);
    DV_FORWARD_IF_ERROR(zip_read(buf, len, a, &e, &n, errbuf, errcap));
    for (size_t i = 0; i < n; i++) {
        rc = member_plan(buf, &e[i], rows, a, &pl, why, sizeof(why));
        if (rc < 0) {
            member_err(&e[i], rc, why, errbuf, errcap);
            dv__free(a, e);
            return rc;
        }
    }
    dv__free(a, e);
    return DV_OK;
}

int dv__npz_clean_fd(const void *buf, size_t len, int fd, const dv__npz_clean_opts *o,
                     const dv_alloc *a, uint64_t *bytes_out, char *errbuf, size_t errcap)
{
    zent *e = NULL;
    wmem *m = NULL;
    wout w;
    size_t n = 0;
    uint64_t kept = 0, cd_off;
    char why[300];
    int rc;
    DV_RETURN_ERROR_IF(o == NULL || o->drop == NULL || (buf == NULL && len > 0), DV_EINVAL);
    if (bytes_out) *bytes_out = 0;
    DV_FORWARD_IF_ERROR(zip_read(buf, len, a, &e, &n, errbuf, errcap));
    memset(&w, 0, sizeof(w));
    w.fd = fd;
    w.off = o->base;
    w.buf = dv__malloc(a, WBUF_CAP);
    m = dv__calloc(a, n ? n : 1, sizeof(*m));
    if (w.buf == NULL || m == NULL) {
        rc = DV_ENOMEM;
        goto done;
    }
    rc = DV_OK;
    /* every member is checked before one byte is written */
    for (size_t i = 0; i < n; i++) {
        rowplan pl;
        rc = member_plan(buf, &e[i], o->rows, a, &pl, why, sizeof(why));
        if (rc < 0) {
            member_err(&e[i], rc, why, errbuf, errcap);
            goto done;
        }
    }
    /* (rows is the first dimension of every member; without members it is not looked at) */
    for (uint64_t r = 0; n > 0 && r < o->rows; r++) kept += !o->drop(o->ctx, r);
    for (size_t i = 0; i < n; i++) {
        rc = rewrite_member(buf, &e[i], o, kept, a, &w, &m[i], why, sizeof(why));
        if (rc == DV_EIO) break;
        if (rc < 0) {
            member_err(&e[i], rc, why, errbuf, errcap);
            goto done;
        }
    }
    cd_off = wpos(&w);
    if (rc == DV_OK) {
        uint8_t cen[CEN_LEN + DV_NPZ_MAX_NAME + 28], end[Z64_EOCD_LEN + Z64_LOC_LEN + EOCD_LEN];
        size_t k;
        for (size_t i = 0; rc == DV_OK && i < n; i++) {
            k = zip_central(cen, &m[i], o->force_zip64);
            rc = wput(&w, cen, k);
        }
        k = zip_end(end, n, cd_off, wpos(&w) - cd_off, o->force_zip64);
        if (rc == DV_OK) rc = wput(&w, end, k);
        if (rc == DV_OK) rc = wflush(&w);
    }
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "write failed: %s",
                    w.failed > 0 ? strerror(w.failed) : "short write");
        goto done;
    }
    if (bytes_out) *bytes_out = wpos(&w) - o->base;
done:
    dv__free(a, w.buf);
    dv__free(a, m);
    dv__free(a, e);
    return rc;
}

int dv__npz_clean_check(const char *path, uint64_t rows, const dv_alloc *a, char *errbuf,
                        size_t errcap)
{
    void *map;
    size_t len;
    char sub[500];
    int rc;
    DV_RETURN_ERROR_IF(path == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(map_file(path, &map, &len, errbuf, errcap));
    rc = dv__npz_clean_check_buffer(map, len, rows, a, sub, sizeof(sub));
    munmap(map, len);
    if (rc < 0) dv__set_err(errbuf, errcap, "%s: %s", path, sub);
    return rc;
}

int dv__npz_clean_file(const char *in, const char *out, const dv__npz_clean_opts *o,
                       const dv_alloc *a, char *errbuf, size_t errcap)
{
    void *map;
    size_t len;
    char sub[500];
    int fd, rc;
    DV_RETURN_ERROR_IF(in == NULL || out == NULL || o == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(map_file(in, &map, &len, errbuf, errcap));
    /* a file of an earlier run (or a link, or a hard link to another file) there: replaced,
     * never written through */
    fd = dv_file_open_new(out, 0600);
    if (fd < 0) {
        munmap(map, len);
        ZERR(DV_EIO, "%s: %s", out, strerror(errno));
    }
    sub[0] = '\0';
    rc = dv__npz_clean_fd(map, len, fd, o, a, NULL, sub, sizeof(sub));
    munmap(map, len);
    if (rc == DV_OK && dv_file_sync(fd) != DV_OK) {
        rc = DV_EIO;
        dv__set_err(sub, sizeof(sub), "sync failed: %s", strerror(errno));
    }
    if (close(fd) != 0 && rc == DV_OK) {
        rc = DV_EIO;
        dv__set_err(sub, sizeof(sub), "write failed: %s", strerror(errno));
    }
    if (rc != DV_OK) {
        (void)unlink(out);
        /* a failed write names the output; a member that cannot be rewritten, the input */
        dv__set_err(errbuf, errcap, "%s: %s", rc == DV_EIO ? out : in, sub);
    }
    return rc;
}
