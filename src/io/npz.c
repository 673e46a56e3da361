/* npz.c - .npz archives (numpy savez / savez_compressed): a bounded ZIP reader (end record,
 * ZIP64, central directory, local headers) that opens one stored or deflated member as a dv_npy. */
#include "../common/common.h"
#include "io_readers.h"

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

static int map_file(const char *path, void **map, size_t *len, char *errbuf, size_t errcap)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    *map = NULL;
    if (fd < 0) ZERR(DV_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)EOCD_LEN ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        ZERR(DV_EFORMAT, "%s: not a regular file of at least %u bytes (an .npz)", path,
             EOCD_LEN);
    }
    *len = (size_t)st.st_size;
    *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*map == MAP_FAILED) {
        *map = NULL;
        ZERR(DV_EIO, "%s: mmap failed: %s", path, strerror(errno));
    }
    return DV_OK;
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
