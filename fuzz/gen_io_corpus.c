/* gen_io_corpus.c - writes the seed corpora of fuzz_tar, fuzz_npy and fuzz_textlist: small
 * valid inputs of each variant plus truncated and bit-flipped copies. Run by hand, not by ctest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---------------------------------------------------------------- text lists */

static int gen_textlist(const char *root)
{
    /* first byte: format - 1 in bits 0-1, small record limit bit 2, extra columns bit 3 */
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_io_corpus fuzz/corpus\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    if (gen_tar(argv[1]) | gen_npy(argv[1]) | gen_textlist(argv[1])) return 1;
    printf("wrote seeds for tar, npy, textlist under %s\n", argv[1]);
    return 0;
}
