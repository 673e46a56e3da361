/* gen_list_corpus.c - writes the seed corpora of fuzz_list_import and fuzz_dvl: text inputs in
 * every format, and small .dvl files of every type with truncated and bit-flipped variants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datavet.h"
#include "../src/match/list_internal.h"

/* Built by hand (fuzz/CMakeLists.txt builds only fuzz_*.c and gen_corpus); see
 * docs/dvl-format.md "Fuzzing". Run from the project root: it replaces seed-, trunc- and
 * flip- files and never touches crash-* files. */

#define MD5_A "d41d8cd98f00b204e9800998ecf8427e"
#define MD5_B "900150983cd24fb0d6963f7d28e17f72"
#define SHA1_A "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA1_B "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define H64_A "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
#define H64_B "e4cc89d91c623842f8d1f1d9a398e78c9f199a3bf87925f2b7e11e0bf061b064"
#define H64_C "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"

/* mode byte of fuzz_list_import: bit 0 strict, bits 1-4 forced type, bit 5 preset, bit 6 twice */
#define MODE(strict, forced, preset, twice)                                                        \
    ((char)((strict) | (forced) << 1 | (preset) << 5 | (twice) << 6))

static const struct {
    const char *name;
    char mode;
    const char *text;
} texts[] = {
    {"plain-md5", MODE(0, 0, 0, 0), "# md5 list\n" MD5_A "\n\n" MD5_B "\r\n" MD5_A "\n"},
    {"plain-sha1-strict", MODE(1, 0, 0, 0), SHA1_A "\n" SHA1_B "\n"},
    {"plain-sha256", MODE(0, 0, 0, 0), H64_A "\n" H64_B "\n"},
    {"plain-forced-pdq", MODE(0, DV_HT_PDQ, 1, 0), H64_A "\n" H64_B "\n" H64_C "\n"},
    {"te-pdq", MODE(0, 0, 0, 0), H64_A ",100,a.jpg\n" H64_B ",49\n" H64_C "\n" H64_A ",abc\n"},
    {"csv", MODE(0, 0, 0, 0),
     "ID,Hash,Label,Quality\r\n1," H64_A ",\"cat, \"\"A1\"\"\",90\r\n\"2\",\"" H64_B
     "\",\"two\nlines\",\r\n3," H64_C ",x,7\r\n4,bad,y,\n"},
    {"csv-multi-forced-sha1", MODE(1, DV_HT_SHA1, 0, 0),
     "md5,sha1,pdq,category\n" MD5_A "," SHA1_A "," H64_A ",B1\n" MD5_B "," SHA1_B "," H64_B ",\n"},
    {"csv-no-hash-column", MODE(0, 0, 0, 0), "id,label\n1,x\n"},
    {"tsv", MODE(0, 0, 0, 0),
     "path\tstatus\tmd5\tlabel\na.jpg\tok\t" MD5_A "\ttab\\there\nb.jpg\tok\t" MD5_B "\tx\\\\y\n"},
    {"jsonl", MODE(0, 0, 0, 0),
     "{\"hash\":\"" H64_A
     "\",\"type\":\"pdq\",\"quality\":100,\"id\":\"x-1\",\"label\":\"caf\\u00e9 "
     "\\ud83d\\ude00\"}\n{\"pdq\":\"" H64_B "\",\"id\":42,\"category\":\"B1\",\"quality\":null}\n"
     "{\"hash\":\"" H64_C "\",\"n\":-1.5e+3,\"t\":true,\"f\":false}\n"},
    {"jsonl-bad", MODE(0, 0, 0, 0),
     "{\"md5\":\"" MD5_A "\"}\n{\"md5\":\"" MD5_B "\",}\n{\"md5\":{}}\n{\"md5\":\"" MD5_B
     "\",\"md5\":\"" MD5_A "\"}\n{\"md5\":\"" MD5_B "\",\"label\":\"\\ud800\"}\n[1]\n"},
    {"url", MODE(0, 0, 0, 0),
     "# urls\nHTTP://Example.COM:80/a b#frag\nhttps://u:p@example.org\nhttp://[::1]:8080/"
     "%7e%2f?q=%41\nftp://files.example/x\nhttp://bad%zz/\nhttp:///nohost\n"},
    {"url-sha256", MODE(0, DV_HT_URL_SHA256, 1, 0), "http://example.com/a\n" H64_A "\nbad\n"},
    {"url-md5-csv", MODE(0, DV_HT_URL_MD5, 0, 0), "url,label\n\"http://H/x,y\",z\n"},
    {"bad-lines", MODE(0, 0, 0, 0),
     MD5_A "\nd41d8cd98f00b204e9800998ecf8427\nd41d8cd98f00b204e9800998ecf8427g\nzz\n" MD5_B
           ",5\n"},
    {"mixed-types", MODE(0, 0, 0, 0), MD5_A "\n" SHA1_A "\n"},
    {"twice", MODE(0, 0, 0, 1), "md5,id,label\n" MD5_A ",7,b\n" MD5_B ",,a\n"},
    {"bom-crlf-strict", MODE(1, 0, 0, 0), "\xEF\xBB\xBF" MD5_A "\r\n" MD5_B "\r\n"},
};

static int write_file(const char *dir, const char *prefix, const char *name, const char *ext,
                      const void *p, size_t n)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s%s%s", dir, prefix, name, ext);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "gen_list_corpus: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("%-40s %6zu bytes\n", path, n);
    return 0;
}

static int make_list(const char *text, dv_hash_type forced, const dv_list_meta *meta, uint8_t **buf,
                     size_t *len)
{
    dv_list_builder *b = dv_list_builder_create(forced, NULL);
    int rc;
    if (b == NULL) return DV_ENOMEM;
    rc = dv_list_builder_import(b, "seed", text, strlen(text), forced, 1, NULL);
    if (rc == DV_OK) rc = dv__list_builder_to_buffer(b, meta, 1700000000, buf, len, NULL);
    if (rc != DV_OK) fprintf(stderr, "gen_list_corpus: %s\n", dv_list_builder_errmsg(b));
    dv_list_builder_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        dv_hash_type forced;
        const char *text;
    } lists[] = {
        {"md5", DV_HT_NONE, "md5,id\n" MD5_A ",1\n" MD5_B ",2\n"},
        {"sha1", DV_HT_NONE, SHA1_A "\n" SHA1_B "\n"},
        {"sha256", DV_HT_NONE, "sha256,label\n" H64_A ",A1\n" H64_B ",B1\n" H64_C ",A1\n"},
        {"pdq", DV_HT_NONE,
         "pdq,quality,id,label\n" H64_A ",90,i1,A1\n" H64_B ",,i2,\n" H64_C ",50,,B1\n"},
        {"url", DV_HT_NONE, "http://a.example/\nhttp://b.example/x\nhttp://c.example/yy\n"},
        {"url-md5", DV_HT_URL_MD5, "http://a.example/\n"},
        {"url-sha1", DV_HT_URL_SHA1, "http://a.example/\n" SHA1_A "\n"},
        {"url-sha256", DV_HT_URL_SHA256, "http://a.example/\nhttp://b.example/\n"},
        {"empty-pdq", DV_HT_PDQ, ""},
    };
    char dir[400];
    uint64_t rng = 0x9E3779B97F4A7C15ull;

    if (argc != 2) {
        fprintf(stderr, "usage: %s fuzz/corpus\n", argv[0]);
        return 2;
    }
    snprintf(dir, sizeof(dir), "%s/list_import", argv[1]);
    mkdir(dir, 0755);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t n = strlen(texts[i].text);
        char *p = malloc(n + 1);
        if (p == NULL) return 1;
        p[0] = texts[i].mode;
        memcpy(p + 1, texts[i].text, n);
        if (write_file(dir, "seed-", texts[i].name, "", p, n + 1) != 0) return 1;
        free(p);
    }
    snprintf(dir, sizeof(dir), "%s/dvl", argv[1]);
    mkdir(dir, 0755);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        uint8_t *buf;
        size_t len;
        char name[64];
        if (make_list(lists[i].text, lists[i].forced,
                      &(dv_list_meta){"seed", "1", "gen_list_corpus"}, &buf, &len) != DV_OK)
            return 1;
        if (write_file(dir, "seed-", lists[i].name, ".dvl", buf, len) != 0) return 1;
        if (i % 2 == 0) {
            /* cut at a third and two thirds */
            snprintf(name, sizeof(name), "%s-1of3", lists[i].name);
            if (write_file(dir, "trunc-", name, ".dvl", buf, len / 3) != 0) return 1;
            snprintf(name, sizeof(name), "%s-2of3", lists[i].name);
            if (write_file(dir, "trunc-", name, ".dvl", buf, 2 * len / 3) != 0) return 1;
        }
        /* three bytes changed: one in the header fields, one in the section table, one after */
        for (int v = 0; v < 2; v++) {
            size_t at[3];
            at[0] = 8 + (size_t)(rng >> 33) % 72;
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            at[1] = 80 + (size_t)(rng >> 33) % 112;
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            at[2] = 192 + (size_t)(rng >> 33) % (len - 192);
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            for (int k = 0; k < 3; k++) buf[at[k]] ^= (uint8_t)(1u << (rng >> 61));
            snprintf(name, sizeof(name), "%s-%d", lists[i].name, v + 1);
            if (write_file(dir, "flip-", name, ".dvl", buf, len) != 0) return 1;
            for (int k = 0; k < 3; k++) buf[at[k]] ^= (uint8_t)(1u << (rng >> 61));
        }
        free(buf);
    }
    return 0;
}
