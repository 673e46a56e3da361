/* gen_io_corpus.c - writes the seed corpora of fuzz_tar, fuzz_npy, fuzz_npz, fuzz_textlist and
 * fuzz_gguf: small valid inputs of each variant plus truncated and bit-flipped copies (and, for
 * gguf and npz, headers claiming huge lengths, counts and offsets). Run by hand, not by ctest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "datavet.h"

typedef struct buf {
    uint8_t p[4096];
    size_t len;
} buf;

static int save(const char *root, const char *target, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", root, target);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n) {
        fprintf(stderr, "gen_io_corpus: cannot write %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* The seed, two truncations and a three-byte flip, all under the same base name. */
static int emit(const char *root, const char *target, const char *name, const buf *b, size_t keep)
{
    char nm[256];
    uint8_t tmp[4096];
    int rc = 0;
    snprintf(nm, sizeof(nm), "seed-%s", name);
    rc |= save(root, target, nm, b->p, b->len);
    snprintf(nm, sizeof(nm), "trunc-%s-1", name);
    rc |= save(root, target, nm, b->p, b->len / 3);
    snprintf(nm, sizeof(nm), "trunc-%s-2", name);
    rc |= save(root, target, nm, b->p, b->len * 2 / 3);
    memcpy(tmp, b->p, b->len);
    for (int k = 1; k <= 3 && b->len > keep; k++) {
        size_t at = keep + (b->len - keep) * (size_t)k / 4;
        tmp[at] ^= (uint8_t)(0x11u << k);
    }
    snprintf(nm, sizeof(nm), "flip-%s", name);
    rc |= save(root, target, nm, tmp, b->len);
    return rc;
}

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > sizeof(b->p)) n = sizeof(b->p) - b->len;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* ---------------------------------------------------------------- tar */

static void octal(uint8_t *f, size_t len, uint64_t v)
{
    for (size_t i = len - 1; i-- > 0;) {
        f[i] = (uint8_t)('0' + (v & 7));
        v >>= 3;
    }
    f[len - 1] = 0;
}

static void tar_member(buf *b, const char *name, const void *data, size_t n, char type, int b256)
{
    uint8_t h[512];
    unsigned sum = 0;
    memset(h, 0, sizeof(h));
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    octal(h + 100, 8, 0644);
    if (b256) {
        h[124] = 0x80;
        for (int i = 0; i < 8; i++) h[135 - i] = (uint8_t)(n >> (8 * i));
    } else {
        octal(h + 124, 12, n);
    }
    octal(h + 136, 12, 1700000000);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++) sum += h[i];
    octal(h + 148, 7, sum);
    h[155] = ' ';
    put(b, h, 512);
    put(b, data, n);
    if (b->len % 512) {
        static const uint8_t z[512];
        put(b, z, 512 - b->len % 512);
    }
}

/* A hard link ('1') or symlink ('2') member naming target. */
static void tar_link(buf *b, const char *name, const char *target, char type)
{
    size_t at = b->len;
    unsigned sum = 0;
    tar_member(b, name, NULL, 0, type, 0);
    memcpy(b->p + at + 157, target, strlen(target));
    memset(b->p + at + 148, ' ', 8);
    for (int i = 0; i < 512; i++) sum += b->p[at + i];
    octal(b->p + at + 148, 7, sum);
    b->p[at + 155] = ' ';
}

static void tar_end(buf *b)
{
    static const uint8_t z[1024];
    put(b, z, 1024);
}

static int gen_tar(const char *root)
{
    buf b;
    int rc = 0;
    const char *pax = "30 path=s/000001.seg.png\n20 size=3\n";
    const char *gpax = "19 comment=global\n";
    memset(&b, 0, sizeof(b));
    tar_member(&b, "s/000000.jpg", "\xff\xd8\xff\xe0JFIF", 8, '0', 0);
    tar_member(&b, "s/000000.txt", "caption", 7, '0', 0);
    tar_member(&b, "s/000000.json", "{}", 2, '0', 0);
    rc |= emit(root, "tar", "wds", &b, 0);

    memset(&b, 0, sizeof(b));
    tar_member(&b, "PaxHeaders/x", pax, strlen(pax), 'x', 0);
    tar_member(&b, "ignored", "PNG", 3, '0', 0);
    tar_member(&b, "pax_global_header", gpax, strlen(gpax), 'g', 0);
    tar_member(&b, "s/000002.jpg", "abc", 3, '0', 0);
    tar_end(&b);
    rc |= emit(root, "tar", "pax", &b, 0);

    memset(&b, 0, sizeof(b));
    {
        char longname[200];
        memset(longname, 'L', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        tar_member(&b, "././@LongLink", longname, sizeof(longname), 'L', 0);
        tar_member(&b, "short", "data", 4, '0', 0);
        tar_member(&b, "././@LongLink", longname, sizeof(longname), 'K', 0);
        tar_member(&b, "lnk", NULL, 0, '2', 0);
    }
    tar_end(&b);
    rc |= emit(root, "tar", "gnu", &b, 0);

    memset(&b, 0, sizeof(b));
    tar_member(&b, "d/", NULL, 0, '5', 0);
    tar_member(&b, "d/b256.bin", "0123456789", 10, '0', 1);
    tar_member(&b, "d/dev", NULL, 0, '3', 0);
    tar_member(&b, "d/sparse", "xx", 2, 'S', 0);
    tar_end(&b);
    rc |= emit(root, "tar", "types", &b, 0);

    /* links: a hard link and symlinks to an earlier image ("./" and ".." resolved, a link
     * to a link); then ones that cannot be read (missing, absolute, above the root, to a
     * sparse member) */
    memset(&b, 0, sizeof(b));
    tar_member(&b, "s/000000.jpg", "\xff\xd8\xff\xe0JFIF", 8, '0', 0);
    tar_link(&b, "s/000001.jpg", "s/000000.jpg", '1');
    tar_link(&b, "./s/000002.png", "./000000.jpg", '2');
    tar_link(&b, "s/000003.jpg", "../s/000001.jpg", '2');
    tar_end(&b);
    rc |= emit(root, "tar", "links", &b, 0);
    memset(&b, 0, sizeof(b));
    tar_link(&b, "s/000004.jpg", "s/gone.jpg", '1');
    tar_link(&b, "s/000005.jpg", "/etc/x.jpg", '2');
    tar_link(&b, "s/000006.jpg", "../../x.jpg", '2');
    tar_member(&b, "s/000007.jpg", "xx", 2, 'S', 0);
    tar_link(&b, "s/000008.jpg", "s/000007.jpg", '1');
    tar_end(&b);
    rc |= emit(root, "tar", "badlinks", &b, 0);
    return rc;
}

/* ---------------------------------------------------------------- npy */

static int gen_npy(const char *root)
{
    static const struct {
        const char *name;
        int major;
        const char *dict;
        size_t bytes;
    } seeds[] = {
        {"v1-f4", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 48},
        {"v2-f2", 2, "{'descr': '<f2', 'fortran_order': False, 'shape': (5, 3), }", 30},
        {"v3-f8", 3, "{'shape': (2, 2), 'descr': '<f8', 'fortran_order': False}", 32},
        {"v1-empty", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (0, 8), }", 0},
        {"v1-fortran", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16},
        {"v1-3d", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", 16},
    };
    int rc = 0;
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        buf b;
        size_t pre = seeds[s].major == 1 ? 10 : 12, dl = strlen(seeds[s].dict);
        size_t hl = (pre + dl + 1 + 63) / 64 * 64 - pre;
        memset(&b, 0, sizeof(b));
        memcpy(b.p, "\x93NUMPY", 6);
        b.p[6] = (uint8_t)seeds[s].major;
        for (size_t i = 0; i < pre - 8; i++) b.p[8 + i] = (uint8_t)(hl >> (8 * i));
        memcpy(b.p + pre, seeds[s].dict, dl);
        memset(b.p + pre + dl, ' ', hl - dl - 1);
        b.p[pre + hl - 1] = '\n';
        b.len = pre + hl;
        for (size_t i = 0; i < seeds[s].bytes; i++) b.p[b.len++] = (uint8_t)(i * 37u + 0x3c);
        rc |= emit(root, "npy", seeds[s].name, &b, 8);
    }
    return rc;
}

/* ---------------------------------------------------------------- npz */

static void le(buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

static void w32at(buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4 && at + (size_t)i < b->len; i++) b->p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* An .npy image of rows x dims (f2 or f4) with varied values. */
static size_t npy_image(uint8_t *out, size_t cap, dv_npy_dtype dt, uint64_t rows, uint64_t dims)
{
    size_t hl, n = (size_t)(rows * dims) * (dt == DV_NPY_F32 ? 4 : 2);
    if (dv_npy_write_header(out, cap, dt, rows, dims, &hl) != DV_OK || hl + n > cap) return 0;
    for (size_t i = 0; i < n; i++) out[hl + i] = (uint8_t)(i * 29u + 0x3c);
    return hl + n;
}

/* A ZIP of the given .npy images as numpy writes them: method 0 or 8; z64: ZIP64 extra fields
 * in local and central headers and a ZIP64 end record. cen[i]: central entry offsets. */
static void zip_of(buf *b, const char *const *names, const uint8_t *const *img, const size_t *len,
                   size_t n, int method, int z64, size_t *cen, size_t *eocd)
{
    size_t lho[4], cs[4], cd_off;
    uint32_t crc[4];
    uint8_t tmp[2048];
    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = img[i];
        size_t dl = len[i], nl = strlen(names[i]);
        crc[i] = (uint32_t)crc32(0L, img[i], (uInt)len[i]);
        if (method == 8) {
            uLongf out = sizeof(tmp);
            z_stream zs;
            memset(&zs, 0, sizeof(zs));
            deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
            zs.next_in = (Bytef *)(uintptr_t)img[i];
            zs.avail_in = (uInt)len[i];
            zs.next_out = tmp;
            zs.avail_out = (uInt)out;
            deflate(&zs, Z_FINISH);
            dl = out - zs.avail_out;
            deflateEnd(&zs);
            d = tmp;
        }
        cs[i] = dl;
        lho[i] = b->len;
        le(b, 0x04034b50u, 4), le(b, 45, 2), le(b, 0, 2), le(b, (uint64_t)method, 2);
        le(b, 0, 4), le(b, crc[i], 4);
        le(b, z64 ? 0xffffffffu : dl, 4), le(b, z64 ? 0xffffffffu : len[i], 4);
        le(b, nl, 2), le(b, z64 ? 20 : 0, 2);
        put(b, names[i], nl);
        if (z64) le(b, 1, 2), le(b, 16, 2), le(b, len[i], 8), le(b, dl, 8);
        put(b, d, dl);
    }
    cd_off = b->len;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        cen[i] = b->len;
        le(b, 0x02014b50u, 4), le(b, 45, 2), le(b, 45, 2), le(b, 0, 2), le(b, (uint64_t)method, 2);
        le(b, 0, 4), le(b, crc[i], 4);
        le(b, z64 ? 0xffffffffu : cs[i], 4), le(b, z64 ? 0xffffffffu : len[i], 4);
        le(b, nl, 2), le(b, z64 ? 28 : 0, 2), le(b, 0, 2), le(b, 0, 2), le(b, 0, 2), le(b, 0, 4);
        le(b, z64 ? 0xffffffffu : lho[i], 4);
        put(b, names[i], nl);
        if (z64) le(b, 1, 2), le(b, 24, 2), le(b, len[i], 8), le(b, cs[i], 8), le(b, lho[i], 8);
    }
    {
        size_t cd_len = b->len - cd_off, zo = b->len;
        if (z64) {
            le(b, 0x06064b50u, 4), le(b, 44, 8), le(b, 45, 2), le(b, 45, 2), le(b, 0, 4), le(b, 0, 4);
            le(b, n, 8), le(b, n, 8), le(b, cd_len, 8), le(b, cd_off, 8);
            le(b, 0x07064b50u, 4), le(b, 0, 4), le(b, zo, 8), le(b, 1, 4);
        }
        *eocd = b->len;
        le(b, 0x06054b50u, 4), le(b, 0, 4);
        le(b, z64 ? 0xffff : n, 2), le(b, z64 ? 0xffff : n, 2);
        le(b, z64 ? 0xffffffffu : cd_len, 4), le(b, z64 ? 0xffffffffu : cd_off, 4), le(b, 0, 2);
    }
}

static int gen_npz(const char *root)
{
    static uint8_t a[1024], c[1024];
    const char *names[2] = {"b32_img.npy", "l14_img.npy"};
    const uint8_t *img[2] = {a, c};
    size_t len[2], cen[2], eocd;
    int rc = 0;
    buf b;
    len[0] = npy_image(a, sizeof(a), DV_NPY_F16, 6, 8);
    len[1] = npy_image(c, sizeof(c), DV_NPY_F32, 6, 12);
    for (int z64 = 0; z64 < 2; z64++)
        for (int method = 0; method <= 8; method += 8) {
            char nm[64];
            zip_of(&b, names, img, len, 2, method, z64, cen, &eocd);
            snprintf(nm, sizeof(nm), "%s%s", method ? "deflate" : "stored", z64 ? "-zip64" : "");
            rc |= emit(root, "npz", nm, &b, 0);
            zip_of(&b, names + 1, img + 1, len + 1, 1, method, z64, cen, &eocd);
            snprintf(nm, sizeof(nm), "one-%s%s", method ? "deflate" : "stored", z64 ? "-zip64" : "");
            rc |= save(root, "npz", nm, b.p, b.len);
        }
    /* hostile sizes and offsets (each one change to a valid archive) */
    zip_of(&b, names, img, len, 2, 0, 0, cen, &eocd);
    {
        buf h = b;
        w32at(&h, cen[1] + 20, 0xfffffff0u);
        rc |= save(root, "npz", "huge-csize", h.p, h.len);
        h = b;
        w32at(&h, cen[0] + 42, (uint32_t)h.len);
        rc |= save(root, "npz", "bad-offset", h.p, h.len);
        h = b;
        w32at(&h, cen[1] + 42, 0);
        memcpy(h.p + cen[1] + 46, names[0], strlen(names[0]));
        w32at(&h, cen[1] + 20, (uint32_t)len[0]);
        w32at(&h, cen[1] + 24, (uint32_t)len[0]);
        rc |= save(root, "npz", "overlap", h.p, h.len);
        h = b;
        h.p[cen[0] + 10] = 12;
        rc |= save(root, "npz", "method-12", h.p, h.len);
        h = b;
        h.p[eocd + 10] = 0xff;
        rc |= save(root, "npz", "huge-count", h.p, h.len);
    }
    zip_of(&b, names, img, len, 2, 8, 0, cen, &eocd);
    {
        buf h = b;
        w32at(&h, cen[1] + 24, 0x7ffffff0u);
        rc |= save(root, "npz", "deflate-huge-usize", h.p, h.len);
        h = b;
        h.p[cen[1] + 16] ^= 1;
        rc |= save(root, "npz", "deflate-bad-crc", h.p, h.len);
    }
    /* for the rewriter of scan --clean: b32_img (6 rows) and a second array it keeps in step
     * (1-D, 3-D, strings, a 2.0 header) or refuses (other rows, 0-d, object, structured,
     * Fortran order, a bad dict) */
    {
        static const struct {
            const char *name, *dict;
            size_t len;
            int v2;
        } odd[] = {
            {"rewrite-1d-int", "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }", 48, 0},
            {"rewrite-3d", "{'descr': '>f4', 'fortran_order': False, 'shape': (6, 2, 3), }", 144,
             0},
            {"rewrite-str", "{'descr': '<U3', 'fortran_order': False, 'shape': (6,), }", 72, 0},
            {"rewrite-bool-v2", "{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }", 6, 1},
            {"rewrite-datetime", "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (6,), }",
             48, 0},
            {"rewrite-other-rows", "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 2), }",
             40, 0},
            {"rewrite-0d", "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, 0},
            {"rewrite-object", "{'descr': '|O', 'fortran_order': False, 'shape': (6,), }", 20, 0},
            {"rewrite-structured",
             "{'descr': [('a', '<f4'), ('b', '|u1')], 'fortran_order': False, 'shape': (6,), }", 30,
             0},
            {"rewrite-fortran", "{'descr': '<f4', 'fortran_order': True, 'shape': (6, 2), }", 48,
             0},
            {"rewrite-bad-dict", "{'descr': '<f4', 'shape': (6,), 'shape': (6,), }", 24, 0},
        };
        static uint8_t x[512];
        for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
            const char *nm2[2] = {names[0], "extra.npy"};
            const uint8_t *im2[2] = {a, x};
            size_t l2[2], dl = strlen(odd[k].dict), pre = odd[k].v2 ? 12 : 10;
            size_t total = (pre + dl + 1 + 63) / 64 * 64;
            memcpy(x, odd[k].v2 ? "\x93NUMPY\x02\x00" : "\x93NUMPY\x01\x00", 8);
            x[8] = (uint8_t)((total - pre) & 0xff);
            x[9] = (uint8_t)((total - pre) >> 8);
            x[10] = x[11] = 0;
            memcpy(x + pre, odd[k].dict, dl);
            memset(x + pre + dl, ' ', total - pre - dl - 1);
            x[total - 1] = '\n';
            for (size_t i = 0; i < odd[k].len; i++) x[total + i] = (uint8_t)(i * 37u + 1);
            l2[0] = len[0];
            l2[1] = total + odd[k].len;
            zip_of(&b, nm2, im2, l2, 2, k & 1 ? 8 : 0, 0, cen, &eocd);
            rc |= save(root, "npz", odd[k].name, b.p, b.len);
        }
    }
    zip_of(&b, names, img, len, 2, 0, 1, cen, &eocd);
    {
        buf h = b;
        size_t zo = eocd - 20 - 56;
        w32at(&h, zo + 36, 1);
        w32at(&h, zo + 28, 1);
        rc |= save(root, "npz", "zip64-huge-count", h.p, h.len);
        h = b;
        w32at(&h, zo + 52, 1);
        rc |= save(root, "npz", "zip64-cd-beyond", h.p, h.len);
        h = b;
        w32at(&h, cen[1] + 46 + 11 + 4 + 8 + 4, 256);
        rc |= save(root, "npz", "zip64-huge-csize", h.p, h.len);
    }
    return rc;
}

/* ---------------------------------------------------------------- text lists */

static int gen_textlist(const char *root)
{
    /* first byte: format - 1 in bits 0-1, small record limit bit 2, extra columns bit 3, hash
     * columns bit 4, the id column bit 5 (named "name" with bit 6) */
    static const struct {
        const char *name;
        uint8_t sel;
        const char *text;
    } seeds[] = {
        {"csv", 0, "url,caption\nhttp://a/1,\"x, \"\"y\"\"\"\r\n\"http://a/2\",\"multi\nline\"\n"},
        {"csv-extra", 8, "\xEF\xBB\xBFurl,caption,key,width\nhttp://a,c,k,640\nhttp://b,,,\n"},
        {"csv-bad", 4, "url,caption\nhttp://a,\"unterminated\nhttp://b,ok\nhttp://c,\"q\"x\n"},
        {"tsv", 1, "url\tcaption\nhttp://t/1\tone\nhttp://t/2\t\"two\"\n"},
        {"jsonl", 2, "{\"url\":\"http://j/1\",\"caption\":\"caf\\u00e9 \\ud83d\\ude00\","
                     "\"meta\":{\"a\":[1,{\"b\":null}]}}\n{\"url\":\"http://j/2\",\"n\":1.5e3}\n"},
        {"jsonl-extra", 10, "{\"url\":\"u\",\"key\":\"k\",\"width\":640,\"caption\":null}\r\n"},
        {"txt", 3, "http://x/1\r\n\n  http://x/2  \nhttp://x/3"},
        {"csv-hash", 16, "url,MD5,md5,sha1,Sha256\nhttp://a,X,d41d8cd98f00b204e9800998ecf8427e,"
                         "\" da39a3ee5e6b4b0d3255bfef95601890afd80709\n\",,\nhttp://b,,,,zz\n"},
        {"jsonl-hash", 26, "{\"url\":\"u\",\"md5\":null,\"MD5\":\"m\",\"sha1\":{\"a\":1},"
                           "\"SHA256\":12,\"key\":\"k\",\"width\":1}\n"
                           "{\"md5\":\"x\",\"url\":\"v\"}\n"},
        {"csv-id", 32, "url,ID,uid,Key\nhttp://a,1,2,3\nhttp://b,,,\n"},
        {"jsonl-id", 98, "{\"url\":\"u\",\"key\":\"k\",\"name\":7,\"id\":{\"a\":1}}\n"
                         "{\"name\":null,\"url\":\"v\",\"UID\":\"x\"}\n{\"url\":\"w\",\"name\":[1]}\n"},
    };
    int rc = 0;
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        buf b;
        memset(&b, 0, sizeof(b));
        b.p[0] = seeds[s].sel;
        b.len = 1;
        put(&b, seeds[s].text, strlen(seeds[s].text));
        rc |= emit(root, "textlist", seeds[s].name, &b, 1);
    }
    return rc;
}

/* ---------------------------------------------------------------- gguf */

typedef struct gw {
    buf b;
    int be, v1; /* big-endian; version 1 (32-bit lengths and counts) */
} gw;

static void gnum(gw *g, uint64_t v, size_t n)
{
    uint8_t x[8];
    for (size_t i = 0; i < n; i++) x[g->be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
    put(&g->b, x, n);
}

static void glen(gw *g, uint64_t v)
{
    gnum(g, v, g->v1 ? 4 : 8);
}

static void gstr(gw *g, const char *s)
{
    glen(g, strlen(s));
    put(&g->b, s, strlen(s));
}

static void gstart(gw *g, uint32_t version, int be, uint64_t tensors, uint64_t keys)
{
    memset(g, 0, sizeof(*g));
    g->be = be;
    g->v1 = version == 1;
    put(&g->b, "GGUF", 4);
    gnum(g, version, 4);
    glen(g, tensors);
    glen(g, keys);
}

static void gkey(gw *g, const char *k, uint32_t type)
{
    gstr(g, k);
    gnum(g, type, 4);
}

/* an array's element type and count: the elements follow */
static void garr(gw *g, uint32_t elem, uint64_t n)
{
    gnum(g, elem, 4);
    glen(g, n);
}

/* general.* strings and a string array, numbers of every type, a tokenizer, a tensor info */
static void gguf_model(gw *g, uint32_t version, int be)
{
    static const uint8_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    gstart(g, version, be, 1, 18);
    gkey(g, "general.architecture", 8);
    gstr(g, "llama");
    gkey(g, "general.name", 8);
    gstr(g, "Tiny Llama");
    gkey(g, "general.datasets", 9);
    garr(g, 8, 2);
    gstr(g, "laion/laion2B-en");
    gstr(g, "coco");
    gkey(g, "general.dataset.count", 4);
    gnum(g, 1, 4);
    gkey(g, "general.dataset.0.name", 8);
    gstr(g, "LAION-5B");
    gkey(g, "general.base_model.0.name", 8);
    gstr(g, "Llama 3");
    for (uint32_t t = 0; t <= 12; t++) {
        char k[16];
        if (!sizes[t]) continue;
        snprintf(k, sizeof(k), "x.t%u", (unsigned)t);
        gkey(g, k, t);
        gnum(g, 0x8040201008040201u, sizes[t]);
    }
    gkey(g, "tokenizer.ggml.tokens", 9);
    garr(g, 8, 3);
    gstr(g, "<s>");
    gstr(g, "</s>");
    gstr(g, "laion");
    gstr(g, "token_embd.weight"); /* the tensor info */
    gnum(g, 1, 4);
    glen(g, 8);
    gnum(g, 0, 4);
    gnum(g, 0, 8);
}

static int gen_gguf(const char *root)
{
    gw g;
    int rc = 0;
    gguf_model(&g, 3, 0);
    rc |= emit(root, "gguf", "v3", &g.b, 24);
    gguf_model(&g, 3, 1);
    rc |= emit(root, "gguf", "v3-be", &g.b, 24);
    gguf_model(&g, 2, 0);
    rc |= emit(root, "gguf", "v2", &g.b, 24);
    gguf_model(&g, 1, 0);
    rc |= emit(root, "gguf", "v1", &g.b, 16);
    /* [["a", "b"], [], [[1, 2]]] and strings nested four deep */
    gstart(&g, 3, 0, 0, 2);
    gkey(&g, "x.nested", 9);
    garr(&g, 9, 3);
    garr(&g, 8, 2);
    gstr(&g, "a");
    gstr(&g, "b");
    garr(&g, 8, 0);
    garr(&g, 9, 1);
    garr(&g, 4, 2);
    gnum(&g, 1, 4);
    gnum(&g, 2, 4);
    gkey(&g, "x.deep", 9);
    for (int i = 0; i < 3; i++) garr(&g, 9, 1);
    garr(&g, 8, 1);
    gstr(&g, "bottom");
    rc |= emit(root, "gguf", "nested", &g.b, 24);
    /* past the nesting limit */
    gstart(&g, 3, 0, 0, 1);
    gkey(&g, "x.deep", 9);
    for (int i = 0; i < 40; i++) garr(&g, 9, 1);
    garr(&g, 8, 1);
    gstr(&g, "bottom");
    rc |= save(root, "gguf", "seed-too-deep", g.b.p, g.b.len);
    /* huge counts and lengths with a few bytes behind them */
    gstart(&g, 3, 0, UINT64_MAX, UINT64_MAX);
    gkey(&g, "general.name", 8);
    gstr(&g, "x");
    rc |= save(root, "gguf", "bomb-keys", g.b.p, g.b.len);
    gstart(&g, 3, 0, 0, 2);
    gkey(&g, "general.tags", 9);
    garr(&g, 8, (uint64_t)1 << 63);
    gstr(&g, "one");
    gstr(&g, "two");
    rc |= save(root, "gguf", "bomb-string-array", g.b.p, g.b.len);
    gstart(&g, 3, 0, 0, 1);
    gkey(&g, "x.a", 9);
    garr(&g, 12, UINT64_MAX);
    gnum(&g, 0, 8);
    rc |= save(root, "gguf", "bomb-f64-array", g.b.p, g.b.len);
    gstart(&g, 3, 0, 0, 1);
    gkey(&g, "x.a", 9);
    garr(&g, 9, UINT64_MAX);
    for (int i = 0; i < 8; i++) garr(&g, 0, 0);
    rc |= save(root, "gguf", "bomb-array-array", g.b.p, g.b.len);
    gstart(&g, 3, 0, 0, 1);
    gkey(&g, "general.description", 8);
    glen(&g, (uint64_t)1 << 63);
    put(&g.b, "LAION", 5);
    rc |= save(root, "gguf", "bomb-string", g.b.p, g.b.len);
    gstart(&g, 3, 1, 0, 1);
    glen(&g, UINT64_MAX);
    rc |= save(root, "gguf", "bomb-key-be", g.b.p, g.b.len);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_io_corpus fuzz/corpus\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    if (gen_tar(argv[1]) | gen_npy(argv[1]) | gen_npz(argv[1]) | gen_textlist(argv[1]) |
        gen_gguf(argv[1]))
        return 1;
    printf("wrote seeds for tar, npy, npz, textlist, gguf under %s\n", argv[1]);
    return 0;
}
