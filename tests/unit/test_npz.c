/* test_npz.c - .npz reader: hand-built ZIP archives (stored, deflated, ZIP64 everywhere),
 * member choice, every truncation and byte flip, hostile sizes and offsets, numpy cross-checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "datavet.h"
#include "io/io_readers.h" /* dv__npz_clean_*: the rewriter of scan --clean */
#include "testutil.h"

/* ---------------------------------------------------------------- a small ZIP writer */

typedef struct zm {
    const char *name;
    int method;          /* 0 or 8 (anything else is written stored, with that number) */
    const uint8_t *data; /* the .npy image */
    size_t len;
    uint16_t flags;
} zm;

enum { Z64_LOCAL = 1, Z64_CENTRAL = 2, Z64_END = 4 };

typedef struct zout {
    uint8_t *p;
    size_t len, cap;
    /* where each member's central entry's fields are, for tests that corrupt them */
    size_t cen[8], lho[8];
    size_t eocd;
} zout;

static void put(zout *o, const void *p, size_t n)
{
    assert_true(o->len + n <= o->cap);
    memcpy(o->p + o->len, p, n);
    o->len += n;
}
static void p16(zout *o, unsigned v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(o, b, 2);
}
static void p32(zout *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}
static void p64(zout *o, uint64_t v)
{
    p32(o, (uint32_t)v);
    p32(o, (uint32_t)(v >> 32));
}

static size_t deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    deflateEnd(&zs);
    return cap - zs.avail_out;
}

static void build_zip(zout *o, const zm *m, size_t n, int z64)
{
    uint8_t tmp[65536];
    size_t cs[8], cd_off, cd_len;
    uint32_t crc[8];
    assert_true(n <= 8);
    o->len = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = m[i].data;
        size_t dl = m[i].len;
        crc[i] = (uint32_t)crc32(0L, m[i].data, (uInt)m[i].len);
        if (m[i].method == 8) {
            dl = deflate_raw(m[i].data, m[i].len, tmp, sizeof(tmp));
            d = tmp;
        }
        cs[i] = dl;
        o->lho[i] = o->len;
        p32(o, 0x04034b50u);
        p16(o, 45);
        p16(o, m[i].flags);
        p16(o, (unsigned)m[i].method);
        p16(o, 0), p16(o, 0x21);
        p32(o, crc[i]);
        p32(o, (z64 & Z64_LOCAL) ? 0xffffffffu : (uint32_t)dl);
        p32(o, (z64 & Z64_LOCAL) ? 0xffffffffu : (uint32_t)m[i].len);
        p16(o, (unsigned)strlen(m[i].name));
        p16(o, (z64 & Z64_LOCAL) ? 20 : 0);
        put(o, m[i].name, strlen(m[i].name));
        if (z64 & Z64_LOCAL) {
            p16(o, 1), p16(o, 16);
            p64(o, m[i].len);
            p64(o, dl);
        }
        put(o, d, dl);
    }
    cd_off = o->len;
    for (size_t i = 0; i < n; i++) {
        int big = (z64 & Z64_CENTRAL) != 0;
        o->cen[i] = o->len;
        p32(o, 0x02014b50u);
        p16(o, 45), p16(o, 45);
        p16(o, m[i].flags);
        p16(o, (unsigned)m[i].method);
        p16(o, 0), p16(o, 0x21);
        p32(o, crc[i]);
        p32(o, big ? 0xffffffffu : (uint32_t)cs[i]);
        p32(o, big ? 0xffffffffu : (uint32_t)m[i].len);
        p16(o, (unsigned)strlen(m[i].name));
        p16(o, big ? 28 : 0);
        p16(o, 0), p16(o, 0), p16(o, 0);
        p32(o, 0);
        p32(o, big ? 0xffffffffu : (uint32_t)o->lho[i]);
        put(o, m[i].name, strlen(m[i].name));
        if (big) {
            p16(o, 1), p16(o, 24);
            p64(o, m[i].len);
            p64(o, cs[i]);
            p64(o, o->lho[i]);
        }
    }
    cd_len = o->len - cd_off;
    if (z64 & Z64_END) {
        size_t zo = o->len;
        p32(o, 0x06064b50u);
        p64(o, 44);
        p16(o, 45), p16(o, 45);
        p32(o, 0), p32(o, 0);
        p64(o, n), p64(o, n);
        p64(o, cd_len), p64(o, cd_off);
        p32(o, 0x07064b50u);
        p32(o, 0);
        p64(o, zo);
        p32(o, 1);
    }
    o->eocd = o->len;
    p32(o, 0x06054b50u);
    p16(o, 0), p16(o, 0);
    p16(o, (z64 & Z64_END) ? 0xffff : (unsigned)n);
    p16(o, (z64 & Z64_END) ? 0xffff : (unsigned)n);
    p32(o, (z64 & Z64_END) ? 0xffffffffu : (uint32_t)cd_len);
    p32(o, (z64 & Z64_END) ? 0xffffffffu : (uint32_t)cd_off);
    p16(o, 0);
}

static void w32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* An .npy image of rows x dims values v[i] = i * 0.25 - 3, as f16 or f32. */
static size_t make_npy(uint8_t *out, size_t cap, dv_npy_dtype dt, uint64_t rows, uint64_t dims)
{
    size_t hl;
    assert_int_equal(dv_npy_write_header(out, cap, dt, rows, dims, &hl), DV_OK);
    for (size_t i = 0; i < rows * dims; i++) {
        float f = (float)i * 0.25f - 3.0f;
        if (dt == DV_NPY_F32) {
            uint32_t u;
            memcpy(&u, &f, 4);
            w32(out + hl + 4 * i, u);
        } else {
            uint16_t h = dv_f32_to_f16(f);
            out[hl + 2 * i] = (uint8_t)h;
            out[hl + 2 * i + 1] = (uint8_t)(h >> 8);
        }
    }
    return hl + rows * dims * (dt == DV_NPY_F32 ? 4 : 2);
}

static void check_values(dv_npy *n, uint64_t rows, uint64_t dims)
{
    float out[512];
    dv_npy_info info;
    dv_npy_get_info(n, &info);
    assert_int_equal(info.rows, rows);
    assert_int_equal(info.dims, dims);
    assert_true(rows * dims <= 512);
    assert_int_equal(dv_npy_read_f32(n, 0, rows, out, DV_SIMD_AUTO), DV_OK);
    for (size_t i = 0; i < rows * dims; i++) assert_true(out[i] == (float)i * 0.25f - 3.0f);
}

typedef struct fixture {
    uint8_t a[4096], b[4096], zbuf[65536];
    size_t al, bl;
    zm m[2];
    zout z;
} fixture;

static void fixture_init(fixture *f, int method_a, int method_b)
{
    f->al = make_npy(f->a, sizeof(f->a), DV_NPY_F16, 5, 8);
    f->bl = make_npy(f->b, sizeof(f->b), DV_NPY_F32, 5, 12);
    f->m[0] = (zm){"b32_img.npy", method_a, f->a, f->al, 0};
    f->m[1] = (zm){"l14_img.npy", method_b, f->b, f->bl, 0};
    f->z.p = f->zbuf;
    f->z.cap = sizeof(f->zbuf);
}

/* ---------------------------------------------------------------- tests */

static void test_both_methods_and_zip64(void **state)
{
    static fixture f;
    char err[512];
    (void)state;
    for (int z64 = 0; z64 < 8; z64++)
        for (int meth = 0; meth < 4; meth++) {
            dv_npz_member *m;
            size_t n, idx;
            dv_npy *np;
            fixture_init(&f, (meth & 1) ? 8 : 0, (meth & 2) ? 8 : 0);
            build_zip(&f.z, f.m, 2, z64);
            assert_int_equal(dv_npz_list_buffer(f.z.p, f.z.len, NULL, &m, &n, err, sizeof(err)),
                             DV_OK);
            assert_int_equal(n, 2);
            assert_string_equal(m[0].name, "b32_img");
            assert_string_equal(m[1].name, "l14_img");
            assert_true(m[0].usable && m[1].usable);
            assert_int_equal(m[0].info.dtype, DV_NPY_F16);
            assert_int_equal(m[1].info.dtype, DV_NPY_F32);
            assert_int_equal(m[1].info.dims, 12);
            assert_int_equal(m[0].method, (meth & 1) ? 8 : 0);
            assert_int_equal(m[1].offset, f.z.lho[1]);
            assert_int_equal(dv_npz_pick(m, n, "l14_img.npy", &idx, err, sizeof(err)), DV_OK);
            assert_int_equal(idx, 1);
            /* several and no key: the error lists them */
            assert_int_equal(dv_npz_pick(m, n, NULL, &idx, err, sizeof(err)), DV_EINVAL);
            assert_non_null(strstr(err, "b32_img, l14_img"));
            assert_int_equal(dv_npz_pick(m, n, "h14_img", &idx, err, sizeof(err)), DV_EINVAL);
            assert_non_null(strstr(err, "no array 'h14_img' (it holds: b32_img, l14_img)"));
            dv_npz_list_free(NULL, m);
            assert_int_equal(dv_npz_open_buffer(f.z.p, f.z.len, "b32_img", NULL, &np, err,
                                                sizeof(err)), DV_OK);
            check_values(np, 5, 8);
            dv_npy_close(np);
            assert_int_equal(dv_npz_open_buffer(f.z.p, f.z.len, "l14_img", NULL, &np, err,
                                                sizeof(err)), DV_OK);
            check_values(np, 5, 12);
            dv_npy_close(np);
            assert_int_equal(dv_npz_open_buffer(f.z.p, f.z.len, NULL, NULL, &np, err,
                                                sizeof(err)), DV_EINVAL);
            assert_null(np);
            /* one member: no key needed */
            build_zip(&f.z, &f.m[1], 1, z64);
            assert_int_equal(dv_npz_open_buffer(f.z.p, f.z.len, NULL, NULL, &np, err,
                                                sizeof(err)), DV_OK);
            check_values(np, 5, 12);
            dv_npy_close(np);
        }
}

static void test_alignment(void **state)
{
    static fixture f;
    char err[512];
    (void)state;
    /* name lengths move the data: in place where aligned for f32, copied where not */
    for (size_t extra = 0; extra < 8; extra++) {
        char name[32];
        dv_npy *np;
        dv_npy_info info;
        const uint8_t *d;
        snprintf(name, sizeof(name), "e%.*s.npy", (int)extra, "xxxxxxxx");
        fixture_init(&f, 0, 0);
        f.m[1].name = name;
        build_zip(&f.z, &f.m[1], 1, 0);
        assert_int_equal(dv_npz_open_buffer(f.z.p, f.z.len, NULL, NULL, &np, err, sizeof(err)),
                         DV_OK);
        check_values(np, 5, 12);
        dv_npy_get_info(np, &info);
        d = dv_npy_data(np);
        assert_int_equal((uintptr_t)d % 4, 0);
        if ((uintptr_t)(f.z.p + 30 + strlen(name) + info.data_offset) % 4 == 0)
            assert_ptr_equal(d, f.z.p + 30 + strlen(name) + info.data_offset);
        else
            assert_true(d < f.z.p || d >= f.z.p + f.z.len);
        dv_npy_close(np);
    }
}

/* Every prefix and every single-byte change: an error with a message, or (for changes) a
 * matrix that reads. Under the sanitizers this is the bounds check. */
static void test_truncations_and_flips(void **state)
{
    static fixture f;
    static uint8_t cut[65536];
    char err[512];
    (void)state;
    for (int z64 = 0; z64 < 8; z64 += 7)
        for (int meth = 0; meth < 2; meth++) {
            fixture_init(&f, meth ? 8 : 0, meth ? 0 : 8);
            build_zip(&f.z, f.m, 2, z64);
            for (size_t k = 0; k < f.z.len; k++) {
                dv_npz_member *m = NULL;
                size_t n = 99;
                dv_npy *np = NULL;
                memcpy(cut, f.z.p, k);
                err[0] = '\0';
                assert_true(dv_npz_list_buffer(cut, k, NULL, &m, &n, err, sizeof(err)) < 0);
                assert_null(m);
                assert_int_equal(n, 0);
                assert_true(err[0] != '\0');
                assert_true(dv_npz_open_buffer(cut, k, "l14_img", NULL, &np, err, sizeof(err)) <
                            0);
                assert_null(np);
            }
            for (size_t k = 0; k < f.z.len; k++) {
                dv_npy *np = NULL;
                dv_npz_member *m = NULL;
                size_t n;
                memcpy(cut, f.z.p, f.z.len);
                cut[k] ^= 0xa5;
                for (int key = 0; key < 2; key++) {
                    int rc = dv_npz_open_buffer(cut, f.z.len, key ? "l14_img" : "b32_img", NULL,
                                                &np, err, sizeof(err));
                    if (rc == DV_OK) {
                        dv_npy_info info;
                        float row[64];
                        dv_npy_get_info(np, &info);
                        if (info.rows > 0 && info.dims <= 64)
                            assert_int_equal(dv_npy_read_f32(np, info.rows - 1, 1, row,
                                                             DV_SIMD_AUTO), DV_OK);
                        dv_npy_close(np);
                    } else {
                        assert_null(np);
                    }
                }
                if (dv_npz_list_buffer(cut, f.z.len, NULL, &m, &n, err, sizeof(err)) == DV_OK)
                    dv_npz_list_free(NULL, m);
            }
        }
}

static int list_err(const uint8_t *p, size_t len, char *err, size_t cap)
{
    dv_npz_member *m = NULL;
    size_t n = 0;
    int rc = dv_npz_list_buffer(p, len, NULL, &m, &n, err, cap);
    if (rc == DV_OK) dv_npz_list_free(NULL, m);
    return rc;
}

static void test_hostile(void **state)
{
    static fixture f;
    static uint8_t c[65536];
    char err[512];
    dv_npz_member *m;
    size_t n;
    dv_npy *np;
    (void)state;
    fixture_init(&f, 0, 8);
    build_zip(&f.z, f.m, 2, 0);
#define RESET() memcpy(c, f.z.p, f.z.len)
    /* sizes beyond the file */
    RESET();
    w32(c + f.z.cen[1] + 20, 0xfffffff0u);
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    assert_non_null(strstr(err, "member 'l14_img.npy' at offset"));
    assert_non_null(strstr(err, "run past the central directory"));
    /* a local header offset beyond the directory */
    RESET();
    w32(c + f.z.cen[0] + 42, (uint32_t)f.z.len);
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    /* two entries over one member's bytes */
    RESET();
    w32(c + f.z.cen[1] + 42, (uint32_t)f.z.lho[0]);
    memcpy(c + f.z.cen[1] + 46, "b32_img.npy", 11);
    c[f.z.cen[1] + 10] = 0;
    w32(c + f.z.cen[1] + 20, (uint32_t)f.al);
    w32(c + f.z.cen[1] + 24, (uint32_t)f.al);
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    assert_non_null(strstr(err, "overlaps"));
    /* the directory past the end record */
    RESET();
    w32(c + f.z.eocd + 16, (uint32_t)f.z.eocd);
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    /* a directory too small for its count */
    RESET();
    c[f.z.eocd + 8] = c[f.z.eocd + 10] = 200;
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    /* a split archive */
    RESET();
    c[f.z.eocd + 4] = 1;
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_EFORMAT);
    /* member-level: listed with their problem, refused when opened */
    RESET();
    c[f.z.cen[0] + 10] = 12; /* bzip2 */
    c[f.z.lho[0] + 8] = 12;
    assert_int_equal(dv_npz_list_buffer(c, f.z.len, NULL, &m, &n, err, sizeof(err)), DV_OK);
    assert_false(m[0].usable);
    assert_non_null(strstr(m[0].problem, "compression method 12"));
    assert_true(m[1].usable);
    dv_npz_list_free(NULL, m);
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "b32_img", NULL, &np, err, sizeof(err)),
                     DV_EFORMAT);
    assert_non_null(strstr(err, "member 'b32_img.npy' at offset 0: compression method 12"));
    RESET();
    c[f.z.cen[1] + 8] = 1; /* encrypted */
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "l14_img", NULL, &np, err, sizeof(err)),
                     DV_EFORMAT);
    assert_non_null(strstr(err, "encrypted"));
    /* a deflated member declaring 2^32 - 16 bytes: more than its deflate data can give */
    RESET();
    w32(c + f.z.cen[1] + 24, 0xfffffff0u);
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "l14_img", NULL, &np, err, sizeof(err)),
                     DV_EFORMAT);
    assert_non_null(strstr(err, "more than deflate can give"));
    /* an uncompressed size the header does not say */
    RESET();
    w32(c + f.z.cen[1] + 24, (uint32_t)f.bl + 4);
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "l14_img", NULL, &np, err, sizeof(err)),
                     DV_ECORRUPT);
    assert_non_null(strstr(err, "uncompressed size is"));
    /* a bad CRC-32 */
    RESET();
    c[f.z.cen[1] + 16] ^= 1;
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "l14_img", NULL, &np, err, sizeof(err)),
                     DV_ECORRUPT);
    assert_non_null(strstr(err, "CRC-32"));
    /* stored sizes that disagree */
    RESET();
    w32(c + f.z.cen[0] + 24, (uint32_t)f.al - 2);
    assert_int_equal(dv_npz_open_buffer(c, f.z.len, "b32_img", NULL, &np, err, sizeof(err)),
                     DV_EFORMAT);
    /* ZIP64: a count over the limit, offsets beyond the file */
    build_zip(&f.z, f.m, 2, Z64_LOCAL | Z64_CENTRAL | Z64_END);
    {
        size_t zo = f.z.eocd - 20 - 56;
        RESET();
        w32(c + zo + 24, 1u << 20), w32(c + zo + 32, 1u << 20);
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ETOOBIG);
        RESET();
        w32(c + zo + 28, 7), w32(c + zo + 36, 7); /* 2^34 + 2 members */
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ETOOBIG);
        RESET();
        w32(c + zo + 52, 1); /* directory offset + 2^32 */
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
        RESET();
        w32(c + f.z.eocd - 20 + 8, (uint32_t)f.z.len); /* locator past itself */
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
        RESET();
        /* a 64-bit local header offset far beyond the file */
        w32(c + f.z.cen[0] + 46 + 11 + 4 + 16 + 4, 1);
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
        RESET();
        /* a 64-bit compressed size of 2^40 */
        w32(c + f.z.cen[1] + 46 + 11 + 4 + 8 + 4, 256);
        assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_ECORRUPT);
    }
    /* no end record; a comment that does not reach the end */
    assert_int_equal(list_err((const uint8_t *)"PK\5\6", 4, err, sizeof(err)), DV_EFORMAT);
    build_zip(&f.z, f.m, 2, 0);
    RESET();
    c[f.z.eocd + 20] = 5;
    assert_int_equal(list_err(c, f.z.len, err, sizeof(err)), DV_EFORMAT);
    /* an empty archive lists nothing and opens nothing */
    {
        static const uint8_t empty[22] = {'P', 'K', 5, 6};
        assert_int_equal(dv_npz_list_buffer(empty, 22, NULL, &m, &n, err, sizeof(err)), DV_OK);
        assert_int_equal(n, 0);
        dv_npz_list_free(NULL, m);
        assert_int_equal(dv_npz_open_buffer(empty, 22, NULL, NULL, &np, err, sizeof(err)),
                         DV_EINVAL);
    }
#undef RESET
}

static void test_numpy_cross(void **state)
{
    char dir[64], cmd[1024], err[512], p[128];
    (void)state;
    if (!tu_have_numpy()) return;
    snprintf(dir, sizeof(dir), "/tmp/dv_test_npz_%d", (int)getpid());
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && /usr/bin/python3 -c \"import numpy as np\n"
             "a = (np.arange(70, dtype=np.float32) * 0.25 - 3).reshape(7, 10)\n"
             "b = (np.arange(91, dtype=np.float32) * 0.25 - 3).reshape(7, 13).astype('<f2')\n"
             "np.savez('%s/s.npz', b32_img=b, l14_img=a)\n"
             "np.savez_compressed('%s/c.npz', b32_img=b, l14_img=a)\n"
             "np.savez_compressed('%s/one.npz', emb=a)\n"
             "np.save('%s/a.npy', a)\"",
             dir, dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    for (int k = 0; k < 2; k++) {
        dv_npz_member *m;
        size_t n;
        dv_npy *np;
        snprintf(p, sizeof(p), "%s/%s.npz", dir, k ? "c" : "s");
        assert_true(dv_npz_is_zip(p));
        assert_int_equal(dv_npz_list(p, NULL, &m, &n, err, sizeof(err)), DV_OK);
        assert_int_equal(n, 2);
        assert_int_equal(m[0].method, k ? 8 : 0);
        assert_string_equal(m[1].name, "l14_img");
        assert_int_equal(m[1].info.rows, 7);
        dv_npz_list_free(NULL, m);
        assert_int_equal(dv_npy_open_any(p, "l14_img", NULL, &np, err, sizeof(err)), DV_OK);
        check_values(np, 7, 10);
        dv_npy_close(np);
        assert_int_equal(dv_npz_open(p, "b32_img", NULL, &np, err, sizeof(err)), DV_OK);
        check_values(np, 7, 13);
        dv_npy_close(np);
        assert_int_equal(dv_npy_open_any(p, NULL, NULL, &np, err, sizeof(err)), DV_EINVAL);
        assert_non_null(strstr(err, k ? "c.npz: 2 arrays (b32_img, l14_img)"
                                        : "s.npz: 2 arrays (b32_img, l14_img)"));
        assert_int_equal(dv_npz_open(p, "nope", NULL, &np, err, sizeof(err)), DV_EINVAL);
    }
    {
        dv_npy *np;
        snprintf(p, sizeof(p), "%s/one.npz", dir);
        assert_int_equal(dv_npy_open_any(p, NULL, NULL, &np, err, sizeof(err)), DV_OK);
        check_values(np, 7, 10);
        dv_npy_close(np);
        snprintf(p, sizeof(p), "%s/a.npy", dir);
        assert_false(dv_npz_is_zip(p));
        assert_int_equal(dv_npy_open_any(p, "ignored", NULL, &np, err, sizeof(err)), DV_OK);
        check_values(np, 7, 10);
        dv_npy_close(np);
        assert_int_equal(dv_npz_open(p, NULL, NULL, &np, err, sizeof(err)), DV_EFORMAT);
        assert_non_null(strstr(err, "a.npy: no ZIP end-of-central-directory record"));
    }
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---------------------------------------------------------------- rewriting (scan --clean) */

/* An .npy image (format 1.0, padded to 64) with the header dict given and len data bytes. */
static size_t npy_raw(uint8_t *out, size_t cap, const char *dict, const void *data, size_t len)
{
    size_t k = strlen(dict), total = (10 + k + 1 + 63) / 64 * 64;
    assert_true(total + len <= cap);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)((total - 10) & 0xff);
    out[9] = (uint8_t)((total - 10) >> 8);
    memcpy(out + 10, dict, k);
    memset(out + 10 + k, ' ', total - 10 - k - 1);
    out[total - 1] = '\n';
    if (len) memcpy(out + total, data, len);
    return total + len;
}

/* ctx: a string with one char per row, 'x' = drop */
static int drop_x(void *ctx, uint64_t row) { return ((const char *)ctx)[row] == 'x'; }

static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* The rewritten archive of z into a new file at offset base; its bytes (from base) out. */
static uint64_t clean_to(const char *path, const zout *z, uint64_t rows, const char *drops,
                         uint64_t base, int z64, int want, char *err, size_t cap)
{
    dv__npz_clean_opts o;
    uint64_t bytes = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    memset(&o, 0, sizeof(o));
    o.rows = rows;
    o.drop = drop_x;
    o.ctx = (void *)(uintptr_t)drops;
    o.base = base;
    o.force_zip64 = z64;
    err[0] = '\0';
    assert_int_equal(dv__npz_clean_fd(z->p, z->len, fd, &o, NULL, &bytes, err, cap), want);
    close(fd);
    return bytes;
}

/* The .npy image of member i of the archive file p[0..len) (written by the rewriter: stored,
 * sizes in the directory or its ZIP64 extra field). */
static const uint8_t *member_data(const uint8_t *p, uint64_t lho)
{
    return p + lho + 30 + r16(p + lho + 26) + r16(p + lho + 28);
}

/* Three members (f16 matrix, f32 matrix deflated, 1-D int64) of 6 rows, rows 1 and 4
 * dropped: every array loses them, in order and under its name, stored, data at a multiple
 * of 64 bytes; with ZIP64 records everywhere too. */
static void test_clean_rows(void **state)
{
    static uint8_t a[4096], b[4096], c[512], zb[65536];
    char err[512], path[64];
    int64_t iv[6];
    zm m[3];
    zout z = {zb, 0, sizeof(zb), {0}, {0}, 0};
    size_t al, bl, cl;
    (void)state;
    for (int i = 0; i < 6; i++) iv[i] = 100 + i;
    al = make_npy(a, sizeof(a), DV_NPY_F16, 6, 4);
    bl = make_npy(b, sizeof(b), DV_NPY_F32, 6, 3);
    cl = npy_raw(c, sizeof(c), "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }", iv,
                 sizeof(iv));
    m[0] = (zm){"b32_img.npy", 0, a, al, 0};
    m[1] = (zm){"l14_img.npy", 8, b, bl, 0};
    m[2] = (zm){"uid.npy", 0, c, cl, 0};
    build_zip(&z, m, 3, 0);
    snprintf(path, sizeof(path), "/tmp/dv_test_npzw_%d.npz", (int)getpid());
    for (int z64 = 0; z64 < 2; z64++) {
        dv_npz_member *l;
        size_t n, len;
        dv_npy *np;
        float out[24];
        uint8_t *f;
        const uint8_t *d;
        static const int kept[4] = {0, 2, 3, 5};
        struct stat st;
        uint64_t bytes = clean_to(path, &z, 6, ".x..x.", 0, z64, DV_OK, err, sizeof(err));
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal((uint64_t)st.st_size, bytes);
        assert_int_equal(dv_npz_list(path, NULL, &l, &n, err, sizeof(err)), DV_OK);
        assert_int_equal(n, 3);
        assert_string_equal(l[0].name, "b32_img");
        assert_string_equal(l[1].name, "l14_img");
        assert_string_equal(l[2].name, "uid");
        for (int i = 0; i < 3; i++) assert_int_equal(l[i].method, 0);
        assert_true(l[0].usable && l[1].usable && !l[2].usable); /* (1-D: not embeddings) */
        assert_int_equal(l[0].info.rows, 4);
        assert_int_equal(l[0].info.dtype, DV_NPY_F16);
        assert_int_equal(l[1].info.rows, 4);
        assert_int_equal(l[1].info.dtype, DV_NPY_F32);
        f = tu_read(path, &len);
        assert_non_null(f);
        for (int i = 0; i < 3; i++) /* the .npy data at a multiple of 64 bytes */
            assert_int_equal((size_t)(member_data(f, l[i].offset) - f + l[i].info.data_offset) %
                                 64 * (i < 2),
                             0);
        d = member_data(f, l[2].offset);
        assert_non_null(strstr((const char *)d + 10, "'descr': '<i8', 'fortran_order': False, "
                                                     "'shape': (4,), }"));
        for (int k = 0; k < 4; k++) {
            int64_t v;
            memcpy(&v, d + 10 + r16(d + 8) + 8 * k, 8);
            assert_int_equal(v, 100 + kept[k]);
        }
        /* ZIP64: the locator before the end record, the end record's fields saturated */
        assert_int_equal(len >= 42 && memcmp(f + len - 42, "PK\x06\x07", 4) == 0, z64);
        assert_int_equal(r16(f + len - 12), z64 ? 0xffff : 3);
        free(f);
        dv_npz_list_free(NULL, l);
        for (int k = 0; k < 2; k++) {
            const int dims = k ? 3 : 4;
            assert_int_equal(dv_npz_open(path, k ? "l14_img" : "b32_img", NULL, &np, err,
                                         sizeof(err)), DV_OK);
            assert_int_equal(dv_npy_read_f32(np, 0, 4, out, DV_SIMD_AUTO), DV_OK);
            for (int r = 0; r < 4; r++)
                for (int j = 0; j < dims; j++)
                    assert_true(out[r * dims + j] == (float)(kept[r] * dims + j) * 0.25f - 3.0f);
            dv_npy_close(np);
        }
    }
    /* nothing dropped: the same arrays; everything dropped: (0, dims) arrays */
    {
        dv_npz_member *l;
        size_t n;
        clean_to(path, &z, 6, "xxxxxx", 0, 0, DV_OK, err, sizeof(err));
        assert_int_equal(dv_npz_list(path, NULL, &l, &n, err, sizeof(err)), DV_OK);
        assert_int_equal(l[1].info.rows, 0);
        assert_int_equal(l[1].info.dims, 3);
        dv_npz_list_free(NULL, l);
        clean_to(path, &z, 6, "......", 0, 0, DV_OK, err, sizeof(err));
        assert_int_equal(dv_npz_list(path, NULL, &l, &n, err, sizeof(err)), DV_OK);
        assert_int_equal(l[0].info.rows, 6);
        dv_npz_list_free(NULL, l);
    }
    unlink(path);
}

/* Members that cannot keep in step with the rows are refused, named, before a byte is
 * written; a source member whose CRC-32 is wrong too. */
static void test_clean_refused(void **state)
{
    static uint8_t a[4096], x[512], zb[65536];
    static const uint8_t zero[64];
    static const struct {
        const char *name, *dict, *why;
        size_t len;
        int rc;
    } cases[] = {
        {"x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 2), }",
         "member 'x.npy' at offset 0: shape (5, ...): its first dimension is not the 6 rows", 40,
         DV_EFORMAT},
        {"x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
         "shape (): its first dimension is not the 6 rows", 4, DV_EFORMAT},
        {"x.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (6,), }",
         "an object array (pickled Python objects)", 30, DV_EFORMAT},
        {"x.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }",
         "a structured dtype", 24, DV_EFORMAT},
        {"x.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (6, 2), }",
         "Fortran order", 48, DV_EFORMAT},
        {"x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 2), }",
         "its .npy header says 176 bytes, but its uncompressed size is 168", 40, DV_ECORRUPT},
        {"x.npy", "{'descr': '<f4', 'shape': (6,), }", "is not {'descr'", 24, DV_EFORMAT},
        {"x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "is not {'descr'",
         24, DV_EFORMAT},
        {"x.npy", "{'descr': '<q9', 'fortran_order': False, 'shape': (6,), }",
         "dtype '<q9' is not a simple numpy type", 54, DV_EFORMAT},
        {"x.txt", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
         "not an .npy member", 24, DV_EFORMAT},
    };
    char err[512], path[64];
    zm m[2];
    zout z = {zb, 0, sizeof(zb), {0}, {0}, 0};
    size_t al = make_npy(a, sizeof(a), DV_NPY_F16, 6, 4);
    (void)state;
    snprintf(path, sizeof(path), "/tmp/dv_test_npzr_%d.npz", (int)getpid());
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stat st;
        size_t xl = npy_raw(x, sizeof(x), cases[i].dict, zero, cases[i].len);
        m[0] = (zm){cases[i].name, 0, x, xl, 0};
        m[1] = (zm){"l14_img.npy", 0, a, al, 0};
        build_zip(&z, m, 2, 0);
        assert_int_equal(dv__npz_clean_check_buffer(z.p, z.len, 6, NULL, err, sizeof(err)),
                         cases[i].rc);
        if (strstr(err, cases[i].why) == NULL) fail_msg("case %zu: %s", i, err);
        clean_to(path, &z, 6, "x.....", 0, 0, cases[i].rc, err, sizeof(err));
        if (strstr(err, cases[i].why) == NULL) fail_msg("case %zu: %s", i, err);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 0);
    }
    /* a wrong CRC-32: the headers pass, the rewrite does not */
    m[0] = (zm){"l14_img.npy", 0, a, al, 0};
    build_zip(&z, m, 1, 0);
    z.p[z.cen[0] + 16] ^= 1;
    assert_int_equal(dv__npz_clean_check_buffer(z.p, z.len, 6, NULL, err, sizeof(err)), DV_OK);
    clean_to(path, &z, 6, "x.....", 0, 0, DV_ECORRUPT, err, sizeof(err));
    assert_non_null(strstr(err, "member 'l14_img.npy' at offset 0: CRC-32"));
    /* a bad archive is refused as the reader refuses it */
    assert_int_equal(dv__npz_clean_check_buffer(z.p, 10, 6, NULL, err, sizeof(err)),
                     DV_EFORMAT);
    /* the file form: a refused input leaves no output and no temporary file behind */
    {
        char in[80], tmp[80];
        dv__npz_clean_opts o;
        FILE *f;
        snprintf(in, sizeof(in), "%s.in", path);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(in, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(z.p, 1, z.len, f), z.len);
        fclose(f);
        unlink(path);
        memset(&o, 0, sizeof(o));
        o.rows = 6;
        o.drop = drop_x;
        o.ctx = (void *)(uintptr_t) "x.....";
        assert_int_equal(dv__npz_clean_file(in, path, &o, NULL, err, sizeof(err)), DV_ECORRUPT);
        assert_non_null(strstr(err, ".npz.in: member 'l14_img.npy' at offset 0: CRC-32"));
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(access(tmp, F_OK), -1);
        unlink(in);
    }
    unlink(path);
}

/* Offsets past 4 GiB without writing 4 GiB: the archive written after a hole (a sparse file),
 * so that its local headers and directory lie past 4 GiB and need ZIP64 records; read back
 * by datavet's reader and, with numpy, by Python's zipfile and numpy's .npy reader (np.load
 * itself takes a file that starts with zeros for a pickle). */
static void test_clean_zip64_offsets(void **state)
{
    static uint8_t a[4096], b[4096], zb[65536];
    const uint64_t base = (1ull << 32) + 4096;
    char err[512], path[64], cmd[1024];
    zm m[2];
    zout z = {zb, 0, sizeof(zb), {0}, {0}, 0};
    dv_npz_member *l;
    size_t n;
    dv_npy *np;
    float out[40];
    struct stat st;
    int fd;
    (void)state;
    m[0] = (zm){"b32_img.npy", 8, a, make_npy(a, sizeof(a), DV_NPY_F16, 5, 8), 0};
    m[1] = (zm){"l14_img.npy", 0, b, make_npy(b, sizeof(b), DV_NPY_F32, 5, 4), 0};
    build_zip(&z, m, 2, 0);
    snprintf(path, sizeof(path), "/tmp/dv_test_npz64_%d.npz", (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    if (ftruncate(fd, (off_t)base) != 0 || fstat(fd, &st) != 0 ||
        (uint64_t)st.st_blocks * 512 > (1u << 20)) {
        printf("[  SKIPPED ] no sparse file of 4 GiB in /tmp: ZIP64 offsets not tested\n");
        close(fd);
        unlink(path);
        return;
    }
    close(fd);
    {
        dv__npz_clean_opts o;
        uint64_t bytes = 0;
        fd = open(path, O_RDWR);
        memset(&o, 0, sizeof(o));
        o.rows = 5;
        o.drop = drop_x;
        o.ctx = (void *)(uintptr_t) "..x..";
        o.base = base;
        assert_int_equal(dv__npz_clean_fd(z.p, z.len, fd, &o, NULL, &bytes, err, sizeof(err)),
                         DV_OK);
        close(fd);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal((uint64_t)st.st_size, base + bytes);
    }
    assert_int_equal(dv_npz_list(path, NULL, &l, &n, err, sizeof(err)), DV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(l[0].offset, base);
    assert_true(l[1].offset > base && l[1].method == 0 && l[1].info.rows == 4);
    dv_npz_list_free(NULL, l);
    assert_int_equal(dv_npz_open(path, "b32_img", NULL, &np, err, sizeof(err)), DV_OK);
    assert_int_equal(dv_npy_read_f32(np, 0, 4, out, DV_SIMD_AUTO), DV_OK);
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 8; j++)
            assert_true(out[r * 8 + j] == (float)((r < 2 ? r : r + 1) * 8 + j) * 0.25f - 3.0f);
    dv_npy_close(np);
    if (tu_have_numpy()) {
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c \"import numpy as np, zipfile\n"
                 "z = zipfile.ZipFile('%s')\n"
                 "assert [i.header_offset > 2**32 for i in z.infolist()] == [True, True]\n"
                 "assert z.testzip() is None\n"
                 "d = dict((i.filename[:-4], np.lib.format.read_array(z.open(i)))\n"
                 "         for i in z.infolist())\n"
                 "v = (np.arange(20, dtype=np.float32) * 0.25 - 3).reshape(5, 4)\n"
                 "assert list(d.keys()) == ['b32_img', 'l14_img']\n"
                 "assert d['l14_img'].dtype == np.float32 and "
                 "(d['l14_img'] == np.delete(v, 2, axis=0)).all()\n"
                 "assert d['b32_img'].dtype == np.float16 and d['b32_img'].shape == (4, 8)\"",
                 path);
        assert_int_equal(system(cmd), 0);
    }
    unlink(path);
}

/* numpy's own savez and savez_compressed archives (DataComp-like arrays and others of
 * several dtypes and shapes), rewritten and read back by numpy: the rows gone from each. */
static void test_clean_numpy(void **state)
{
    char dir[64], cmd[2048], err[512], in[128], out[128];
    (void)state;
    if (!tu_have_numpy()) return;
    snprintf(dir, sizeof(dir), "/tmp/dv_test_npzc_%d", (int)getpid());
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && /usr/bin/python3 -c \"import numpy as np\n"
             "r = np.random.default_rng(3)\n"
             "a = dict(b32_img=r.standard_normal((9, 6)).astype('<f2'),\n"
             "         l14_img=(np.arange(45, dtype=np.float32) * 0.25 - 3).reshape(9, 5),\n"
             "         uid=np.arange(9, dtype='<u8') * 7, cube=r.standard_normal((9, 2, 3)),\n"
             "         text=np.array(['a', 'bb', 'ccc', 'd', 'e', 'f', 'g', 'h', 'i']),\n"
             "         flag=np.arange(9) %% 2 == 0, big=np.arange(9, dtype='>i4'))\n"
             "np.savez('%s/s.npz', **a)\n"
             "np.savez_compressed('%s/c.npz', **a)\"",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    for (int k = 0; k < 2; k++) {
        dv__npz_clean_opts o;
        dv_npy *np;
        float v[45];
        struct stat st;
        memset(&o, 0, sizeof(o));
        o.rows = 9;
        o.drop = drop_x;
        o.ctx = (void *)(uintptr_t) "x...x...x";
        snprintf(in, sizeof(in), "%s/%s.npz", dir, k ? "c" : "s");
        snprintf(out, sizeof(out), "%s/%s-clean.npz", dir, k ? "c" : "s");
        assert_int_equal(dv__npz_clean_file(in, out, &o, NULL, err, sizeof(err)), DV_OK);
        assert_int_equal(stat(out, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        /* datavet's reader: l14_img without rows 0, 4, 8 */
        assert_int_equal(dv_npz_open(out, "l14_img", NULL, &np, err, sizeof(err)), DV_OK);
        assert_int_equal(dv_npy_read_f32(np, 0, 6, v, DV_SIMD_AUTO), DV_OK);
        for (int r = 0; r < 6; r++)
            for (int j = 0; j < 5; j++)
                assert_true(v[r * 5 + j] == (float)((r + 1 + r / 3) * 5 + j) * 0.25f - 3.0f);
        dv_npy_close(np);
        /* with a row count the arrays do not have: refused, naming the array, and what was
         * written removed (the caller writes a temporary name, renamed only when whole) */
        o.rows = 10;
        o.ctx = (void *)(uintptr_t) "x...x...x.";
        snprintf(out, sizeof(out), "%s/%s-refused.npz", dir, k ? "c" : "s");
        assert_int_equal(dv__npz_clean_file(in, out, &o, NULL, err, sizeof(err)), DV_EFORMAT);
        assert_non_null(strstr(err, "member 'b32_img.npy' at offset "));
        assert_non_null(strstr(err, "shape (9, ...): its first dimension is not the 10 rows"));
        assert_int_equal(access(out, F_OK), -1);
    }
    snprintf(cmd, sizeof(cmd),
             "cd %s && /usr/bin/python3 -c \"import numpy as np, zipfile\n"
             "for n in 'sc':\n"
             "    s, c = np.load(n + '.npz'), np.load(n + '-clean.npz')\n"
             "    assert list(c.keys()) == list(s.keys()), (list(c.keys()), list(s.keys()))\n"
             "    assert zipfile.ZipFile(n + '-clean.npz').testzip() is None\n"
             "    for k in s.keys():\n"
             "        e = np.delete(s[k], [0, 4, 8], axis=0)\n"
             "        assert c[k].dtype == e.dtype and c[k].shape == e.shape, (k, c[k])\n"
             "        assert (c[k] == e).all(), k\"",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_methods_and_zip64),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_truncations_and_flips),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_numpy_cross),
        cmocka_unit_test(test_clean_rows),
        cmocka_unit_test(test_clean_refused),
        cmocka_unit_test(test_clean_zip64_offsets),
        cmocka_unit_test(test_clean_numpy),
    };
    return cmocka_run_group_tests_name("npz", tests, NULL, NULL);
}
