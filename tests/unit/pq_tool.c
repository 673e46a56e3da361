/* pq_tool.c - test helper for the Parquet code: "dump" prints readable columns as JSON lines,
 * "rows" every column of each row as its levels and values (lists and maps included),
 * "write", "copy", "shapes" (lists, maps, lists of lists: pq_gen.h) and "shapes-kv" (the same
 * with footer key_value_metadata) make the files
 * tests/cli/parquet_duckdb.sh has DuckDB check, "images" the file tests/cli/inspect.sh checks
 * --head's withholding of image bytes on, "hfimg" the Hugging Face image-struct files
 * tests/cli/scan.sh scans, "hflist" lists of them (an interleaved dataset's images), "heads" the
 * nested files inspect --head is checked on, "chunk-kv" row groups whose column chunks have
 * key_value_metadata of their own (pq_gen.h), "hostile" names and values holding terminal
 * escapes (tests/cli/terminal.sh), "strings" a file of string columns from its arguments. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datavet.h"
#include "io/parquet_internal.h"
#include "pq_gen.h"

static void put_json_string(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar((int)c);
    }
    putchar('"');
}

static void put_hex(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    putchar('"');
}

static void put_double(double d)
{
    if (isnan(d))
        printf("\"NaN\"");
    else if (isinf(d))
        printf(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else
        printf("%.17g", d);
}

static int dump(const char *path)
{
    dv_parquet_reader *r;
    char err[512];
    size_t ncols, *cols, nread = 0;
    dv_parquet_batch *b;
    int rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "open: %s (%s)\n", err, dv_strerror(rc));
        return 1;
    }
    ncols = dv_parquet_reader_num_columns(r);
    cols = calloc(ncols + 1, sizeof(*cols));
    b = calloc(ncols + 1, sizeof(*b));
    for (size_t i = 0; i < ncols; i++) {
        dv_parquet_column_info ci;
        dv_parquet_reader_column(r, i, &ci);
        fprintf(stderr, "column %zu %s %s%s rep=%d conv=%d logical=%d%s\n", i, ci.name,
                dv_pq_type_name(ci.type), ci.is_string ? " STRING" : "", (int)ci.repetition,
                (int)ci.converted_type, (int)ci.logical_type, ci.nested ? " nested" : "");
        if (!ci.nested) cols[nread++] = i;
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        rc = dv_parquet_reader_read_row_group(r, g, cols, nread, b);
        if (rc != DV_OK) {
            fprintf(stderr, "read: %s (%s)\n", dv_parquet_reader_errmsg(r), dv_strerror(rc));
            break;
        }
        for (uint64_t row = 0; row < b[0].rows && nread; row++) {
            putchar('{');
            for (size_t c = 0; c < nread; c++) {
                dv_parquet_column_info ci;
                dv_parquet_value v;
                dv_parquet_reader_column(r, cols[c], &ci);
                dv_parquet_batch_value(&b[c], row, &v);
                printf("%s\"%s\":", c ? "," : "", ci.name);
                if (v.is_null) {
                    printf("null");
                    continue;
                }
                switch (ci.type) {
                case DV_PQ_BOOLEAN: printf(v.i32 ? "true" : "false"); break;
                case DV_PQ_INT32: printf("%" PRId32, v.i32); break;
                case DV_PQ_INT64: printf("%" PRId64, v.i64); break;
                case DV_PQ_FLOAT: put_double(v.f32); break;
                case DV_PQ_DOUBLE: put_double(v.f64); break;
                case DV_PQ_BYTE_ARRAY:
                    if (ci.is_string)
                        put_json_string(v.bytes, v.len);
                    else
                        put_hex(v.bytes, v.len);
                    break;
                default: put_hex(v.bytes, v.len); break;
                }
            }
            printf("}\n");
        }
    }
    free(cols);
    free(b);
    dv_parquet_reader_free(r);
    return rc == DV_OK ? 0 : 1;
}

/* ---------------------------------------------------------------- write */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

enum { NTYPES = 8 };
static const dv_pq_type kTypes[NTYPES] = {
    DV_PQ_BOOLEAN, DV_PQ_INT32,      DV_PQ_INT64,      DV_PQ_FLOAT,
    DV_PQ_DOUBLE,  DV_PQ_BYTE_ARRAY, DV_PQ_BYTE_ARRAY, DV_PQ_FIXED_LEN_BYTE_ARRAY};
static const char *const kNames[NTYPES] = {"b",   "i32",    "i64",     "f32",
                                           "f64", "s_dict", "s_plain", "flba"};

static void put_hex_prefixed(FILE *f, const uint8_t *p, size_t n)
{
    fputs("\"hex:", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
    fputc('"', f);
}

/* One file: every type required and optional; expected rows as JSON lines next to it. */
static int write_one(const char *dir, const char *tag, dv_pq_codec codec, uint64_t rows,
                     int no_dict, uint64_t seed)
{
    dv_parquet_field fields[2 * NTYPES];
    dv_parquet_value vals[2 * NTYPES];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    char path[1024], jpath[1024], err[512], names[2 * NTYPES][32];
    uint8_t sbuf[2 * NTYPES][64];
    FILE *jf;
    int rc;

    memset(fields, 0, sizeof(fields));
    for (int i = 0; i < 2 * NTYPES; i++) {
        int t = i % NTYPES;
        snprintf(names[i], sizeof(names[i]), "%s_%s", kNames[t], i < NTYPES ? "req" : "opt");
        fields[i].name = names[i];
        fields[i].type = kTypes[t];
        fields[i].optional = i >= NTYPES;
        fields[i].is_string = kTypes[t] == DV_PQ_BYTE_ARRAY;
        fields[i].type_length = kTypes[t] == DV_PQ_FIXED_LEN_BYTE_ARRAY ? 6 : 0;
    }
    memset(&o, 0, sizeof(o));
    o.codec = codec;
    o.row_group_rows = 300;
    o.page_bytes = 1000;
    o.no_dictionary = no_dict;
    snprintf(path, sizeof(path), "%s/%s.parquet", dir, tag);
    snprintf(jpath, sizeof(jpath), "%s/%s.jsonl", dir, tag);
    rc = dv_parquet_writer_create(path, fields, 2 * NTYPES, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    jf = fopen(jpath, "w");
    if (jf == NULL) return 1;
    for (uint64_t r = 0; r < rows && rc == DV_OK; r++) {
        fputc('{', jf);
        for (int i = 0; i < 2 * NTYPES; i++) {
            dv_parquet_value *v = &vals[i];
            uint64_t x = rng_next(&seed);
            memset(v, 0, sizeof(*v));
            fprintf(jf, "%s\"%s\":", i ? "," : "", names[i]);
            if (i >= NTYPES && x % 5 == 0) {
                v->is_null = 1;
                fputs("null", jf);
                continue;
            }
            switch (i % NTYPES) {
            case 0:
                v->i32 = (int32_t)(x >> 40) & 1;
                fputs(v->i32 ? "true" : "false", jf);
                break;
            case 1:
                v->i32 = (int32_t)(uint32_t)(x >> 20);
                fprintf(jf, "%d", v->i32);
                break;
            case 2:
                v->i64 = (int64_t)x;
                fprintf(jf, "\"%lld\"", (long long)v->i64);
                break;
            case 3:
                v->f32 = (float)((double)(int32_t)(x >> 32) / 4096.0);
                fprintf(jf, "%.9g", (double)v->f32);
                break;
            case 4:
                v->f64 = (double)(int64_t)x / 1e6;
                fprintf(jf, "%.17g", v->f64);
                break;
            case 5: /* few distinct values: dictionary-encoded */
                v->len =
                    (size_t)snprintf((char *)sbuf[i], sizeof(sbuf[i]), "cat-%u", (unsigned)(x % 7));
                v->bytes = sbuf[i];
                fprintf(jf, "\"%s\"", sbuf[i]);
                break;
            case 6: /* all distinct, some empty, some non-ASCII */
                if (x % 11 == 0)
                    v->len = 0;
                else
                    v->len =
                        (size_t)snprintf((char *)sbuf[i], sizeof(sbuf[i]), "r%llu-\xc3\xa9-%llx",
                                         (unsigned long long)r, (unsigned long long)(x >> 16));
                sbuf[i][v->len] = 0;
                v->bytes = sbuf[i];
                fprintf(jf, "\"%s\"", sbuf[i]);
                break;
            default:
                for (int k = 0; k < 6; k++) sbuf[i][k] = (uint8_t)(x >> (8 * k));
                v->bytes = sbuf[i];
                v->len = 6;
                put_hex_prefixed(jf, sbuf[i], 6);
                break;
            }
        }
        fputs("}\n", jf);
        rc = dv_parquet_writer_write_row(w, vals);
    }
    fclose(jf);
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "write %s: %s\n", path, dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}

/* Small files for the fuzz seed corpus (fuzz/corpus/parquet/seed-w-*). */
static int write_small(const char *dir)
{
    int bad = 0;
    bad |= write_one(dir, "seed-w-uncompressed", DV_PQ_UNCOMPRESSED, 12, 0, 11);
    bad |= write_one(dir, "seed-w-snappy", DV_PQ_SNAPPY, 12, 0, 12);
    bad |= write_one(dir, "seed-w-gzip", DV_PQ_GZIP, 12, 0, 13);
    bad |= write_one(dir, "seed-w-zstd-nodict", DV_PQ_ZSTD, 12, 1, 14);
    bad |= write_one(dir, "seed-w-empty", DV_PQ_UNCOMPRESSED, 0, 0, 15);
    return bad;
}

static int write_all(const char *dir)
{
    int bad = 0;
    bad |= write_one(dir, "uncompressed", DV_PQ_UNCOMPRESSED, 1000, 0, 1);
    bad |= write_one(dir, "snappy", DV_PQ_SNAPPY, 1000, 0, 2);
    bad |= write_one(dir, "gzip", DV_PQ_GZIP, 700, 0, 3);
    bad |= write_one(dir, "zstd", DV_PQ_ZSTD, 1000, 0, 4);
    bad |= write_one(dir, "zstd_nodict", DV_PQ_ZSTD, 500, 1, 5);
    bad |= write_one(dir, "empty", DV_PQ_SNAPPY, 0, 0, 6);
    bad |= write_one(dir, "one_row", DV_PQ_UNCOMPRESSED, 1, 0, 7);
    return bad;
}

/* Image bytes in a blob column and in a string column, a data: URI, base64 text of images
 * (image_base64), and values that only look like signatures: what `inspect --head` must
 * withhold and what it must print (tests/cli/inspect.sh). The images are signatures and
 * headers, not whole images. "raw" holds the image column's bytes again, in a blob column that is not
 * an image column by its name: there only a signature withholds a value; in "image" every
 * value is withheld. */
static int write_images(const char *path)
{
    static const char *const names[5] = {"id", "image", "caption", "image_base64", "raw"};
#define BLOB(lit) lit, sizeof(lit) - 1
    static const struct {
        const char *id;
        const char *blob;
        size_t blen;
        const char *caption;
        const char *b64; /* base64 of images (standard, URL-safe, after whitespace), look-alikes */
    } rows[] = {
        {"jpeg", BLOB("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01"), "a photo", "/9j/4AAQSkZJRgABAQ=="},
        {"png", BLOB("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "\xFF\xD8\xFF\xDB jpeg bytes in a string",
         " \n\tiVBORw0KGgoAAAANSUhEUg=="},
        {"webp", BLOB("RIFF\x24\0\0\0WEBPVP8 "), "data:image/png;base64,iVBORw0KGgo=",
         "UklGRiQAAABXRUJQVlA4IA"},
        {"gif", BLOB("GIF89a\x01\0\x01\0"), "DATA:IMAGE/JPEG;base64,/9j/4AAQ",
         "R0lGODlh\r\nAQABAA"},
        {"tiff", BLOB("II*\0\x08\0\0\0"), "BMW at night", "_9j_4AAQSkZJRgABAQ"},
        {"heif", BLOB("\0\0\0\x18" "ftypheic\0\0\0\0"), "data:text/plain,hello",
         "/work/shared/photos"},
        {"bmp", BLOB("BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0\x01\0"),
         "plain", "R0lGOD is how GIF starts in base64"},
        {"jxl", BLOB("\xFF\x0A\xFA\x7F"), "GIF is a format", "  data:image/gif;base64,R0lGODlh"},
        {"text", BLOB("BM not a bitmap at all, long enough"), "ftyp", "QmFzZTY0IHRleHQ="},
        {"bytes", BLOB("abc\0\x01\xFF"), "", ""},
        /* base64 data: URIs of images under another media type, or none, percent-encoded */
        {"octet", BLOB("x"), "data:application/octet-stream;base64,/9j/4AAQSkZJRgABAQ==",
         "data:;base64,%2F9j%2F4AAQSkZJRgABAQ%3D%3D"},
        {"b64txt", BLOB("y"), "data:text/plain;base64,QmFzZTY0IHRleHQ=", ""},
        /* images inside other text: a JSON value, an HTML caption's data: URI; base64 of text
         * inside text is printed */
        {"embed", BLOB("z"),
         "{\"id\": 7, \"img\": \"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDA"
         "sLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=\"}",
         "a cat <img src=\"data:image/png;base64,iVBORw0KGgo=\"> on a mat"},
        /* JSON with '/' written as "\/" (PHP's json_encode) */
        {"embesc", BLOB("v"),
         "{\"img\":\"\\/9j\\/4AAQSkZJRgABAQAAAQABAAD\\/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR"
         "ofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=\"}",
         ""},
        {"embtxt", BLOB("w"),
         "note: QmFzZTY0IHRleHQgdGhhdCBpcyBsb25nIGVub3VnaCB0byBwYXNzIHRoZSBtaW5pbXVtIGxlbmd0aCBv"
         "ZiB0aGUgY2hlY2s= end", ""}};
#undef BLOB
    dv_parquet_field fields[5];
    dv_parquet_value vals[5];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    char err[512];
    int rc;
    memset(fields, 0, sizeof(fields));
    for (int i = 0; i < 5; i++) {
        fields[i].name = names[i];
        fields[i].type = DV_PQ_BYTE_ARRAY;
        fields[i].is_string = i != 1 && i != 4;
    }
    memset(&o, 0, sizeof(o));
    o.codec = DV_PQ_SNAPPY;
    rc = dv_parquet_writer_create(path, fields, 5, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]) && rc == DV_OK; r++) {
        memset(vals, 0, sizeof(vals));
        vals[0].bytes = (const uint8_t *)rows[r].id;
        vals[0].len = strlen(rows[r].id);
        vals[1].bytes = (const uint8_t *)rows[r].blob;
        vals[1].len = rows[r].blen;
        vals[2].bytes = (const uint8_t *)rows[r].caption;
        vals[2].len = strlen(rows[r].caption);
        vals[3].bytes = (const uint8_t *)rows[r].b64;
        vals[3].len = strlen(rows[r].b64);
        vals[4] = vals[1];
        rc = dv_parquet_writer_write_row(w, vals);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "write %s: %s\n", path, dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}

/* Hash columns as a dataset gives them, some malformed (tests/cli/scan.sh: bad_digest):
 * key, url, md5 (string, optional). Rows 0 and 5 hold the MD5s of "" and "abc" (row 5 in
 * capitals); row 1 has 31 hex digits, row 2 a 'g', row 6 33 hex digits, row 7 16 bytes
 * less one, row 8 16 characters (text, so no raw MD5): each a bad_digest error; row 3 is
 * empty and row 4 null: absent, no error. */
static int write_digests(const char *path)
{
    static const struct {
        const char *md5;
        int null;
    } rows[] = {{"d41d8cd98f00b204e9800998ecf8427e", 0}, {"d41d8cd98f00b204e9800998ecf8427", 0},
                {"g41d8cd98f00b204e9800998ecf8427e", 0}, {"", 0},
                {NULL, 1},  {"900150983CD24FB0D6963F7D28E17F72", 0},
                {"d41d8cd98f00b204e9800998ecf8427e0", 0}, {"0123456789abcde", 0},
                /* a STRING of 16 characters is text, no raw MD5 */
                {"0123456789abcdef", 0}};
    static const char *const names[3] = {"key", "url", "md5"};
    dv_parquet_field fields[3];
    dv_parquet_value vals[3];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    char err[512], key[16], url[64];
    int rc;
    memset(fields, 0, sizeof(fields));
    for (int i = 0; i < 3; i++) {
        fields[i].name = names[i];
        fields[i].type = DV_PQ_BYTE_ARRAY;
        fields[i].is_string = 1;
        fields[i].optional = i == 2;
    }
    memset(&o, 0, sizeof(o));
    o.codec = DV_PQ_SNAPPY;
    rc = dv_parquet_writer_create(path, fields, 3, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]) && rc == DV_OK; r++) {
        memset(vals, 0, sizeof(vals));
        snprintf(key, sizeof key, "d%zu", r);
        snprintf(url, sizeof url, "https://example.test/%zu.jpg", r);
        vals[0].bytes = (const uint8_t *)key;
        vals[0].len = strlen(key);
        vals[1].bytes = (const uint8_t *)url;
        vals[1].len = strlen(url);
        vals[2].is_null = rows[r].null;
        vals[2].bytes = (const uint8_t *)rows[r].md5;
        vals[2].len = rows[r].md5 ? strlen(rows[r].md5) : 0;
        rc = dv_parquet_writer_write_row(w, vals);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "write %s: %s\n", path, dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}

/* A file of optional STRING columns named by cols ("key,url,caption"), one row per argument,
 * its fields split at '|': a field \N is a null, \0 in a field a NUL byte (tests/cli/scan.sh:
 * img2dataset rows beside their .json, ids null, empty, repeated or holding a NUL). */
static int write_strings(const char *path, const char *cols, char **rows, int n)
{
    dv_parquet_field fields[16];
    dv_parquet_value vals[16];
    char names[16][64], *f[16];
    dv_parquet_writer *w;
    char err[512], buf[4096];
    size_t nc = 0;
    int rc;
    memset(fields, 0, sizeof fields);
    for (const char *c = cols; *c && nc < 16; nc++) {
        size_t l = strcspn(c, ",");
        if (l >= sizeof names[0]) return 2;
        memcpy(names[nc], c, l);
        names[nc][l] = '\0';
        fields[nc].name = names[nc];
        fields[nc].type = DV_PQ_BYTE_ARRAY;
        fields[nc].is_string = 1;
        fields[nc].optional = 1;
        c += l;
        if (*c == ',') c++;
    }
    rc = dv_parquet_writer_create(path, fields, nc, NULL, &w, err, sizeof err);
    if (rc != DV_OK) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    for (int r = 0; r < n && rc == DV_OK; r++) {
        size_t k = 0, len[16];
        char *p;
        if (strlen(rows[r]) >= sizeof buf) return 2;
        memcpy(buf, rows[r], strlen(rows[r]) + 1);
        for (p = buf; k < nc; k++) {
            char *e = strchr(p, '|'), *q, *o;
            f[k] = p;
            if (e) *e = '\0';
            for (q = o = p; *q; q++) { /* "\\0" is a NUL byte */
                if (q[0] == '\\' && q[1] == '0') *o++ = '\0', q++;
                else *o++ = *q;
            }
            len[k] = (size_t)(o - p);
            if (!e) {
                for (k++; k < nc; k++) f[k] = NULL;
                break;
            }
            p = e + 1;
        }
        memset(vals, 0, sizeof vals);
        for (k = 0; k < nc; k++) {
            vals[k].is_null = f[k] == NULL || strcmp(f[k], "\\N") == 0;
            vals[k].bytes = (const uint8_t *)f[k];
            vals[k].len = vals[k].is_null ? 0 : len[k];
        }
        rc = dv_parquet_writer_write_row(w, vals);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "write %s: %s\n", path, dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}

/* A cleaned copy with raw_groups: rows i % 3 == 1 of the first row group removed (it is
 * encoded again) when there are several, every other row group kept whole (its chunks copied
 * as bytes). Prints the rows below which rows were removed, for compare.mjs. */
static int copy_raw(const char *in, const char *outp)
{
    dv_parquet_reader *r;
    dv_parquet_writer *w = NULL;
    dv_parquet_writer_opts o;
    char err[512];
    int rc = dv_parquet_reader_open(in, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    memset(&o, 0, sizeof(o));
    o.codec = DV_PQ_SNAPPY;
    o.raw_groups = 1;
    rc = dv_parquet_writer_create_copy(outp, r, &o, &w, err, sizeof(err));
    if (rc != DV_OK) fprintf(stderr, "copy %s: %s\n", in, err);
    for (size_t g = 0; rc == DV_OK && g < dv_parquet_reader_num_row_groups(r); g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
        uint8_t *keep = malloc(rows + 1);
        /* (a file of one row group: kept whole, all of it copied as bytes) */
        for (uint64_t i = 0; keep && i < rows; i++)
            keep[i] = g > 0 || dv_parquet_reader_num_row_groups(r) == 1 || i % 3 != 1;
        rc = keep ? dv_parquet_writer_copy_row_group(w, r, g, keep) : DV_ENOMEM;
        free(keep);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK && w) fprintf(stderr, "write: %s\n", dv_parquet_writer_errmsg(w));
    if (rc == DV_OK)
        printf("%llu\n", (unsigned long long)(dv_parquet_reader_num_row_groups(r) > 1
                                                    ? dv_parquet_reader_row_group_rows(r, 0)
                                                    : 0));
    dv_parquet_writer_free(w);
    dv_parquet_reader_free(r);
    return rc == DV_OK ? 0 : 1;
}

/* A copy of a file, same schema. "copy": rows whose index % 3 == 1 removed, as --clean writes
 * it (dv_parquet_writer_create_copy: any nesting, lists and maps included). "datauri": every
 * row kept, the "url" column (any case) holding a data: URI with an image's
 * content, and the caption or text an HTML caption holding that URI in an img tag
 * (tests/cli/neighbors.sh: outputs show both withheld). "badutf8": every row kept, bytes
 * that are not UTF-8 added to the STRING columns, as some datasets hold them: the url gets
 * "?q=" 0xFF " x", the caption or text " " 0xFE, the key (id) 0xFD (tests/cli/scan.sh: what
 * the outputs write of them). "badurl": every row kept, the url of rows whose index % 3 == 1
 * "not a url" (tests/cli/scan.sh: its bad_url error names the file and row). "qimg": every
 * row kept, a JPEG's base64 added to the url, in the query ("?img=<b64>&x=1") of even rows and
 * as a path segment ("/img/<b64>") of odd ones (tests/cli/neighbors.sh: outputs withhold it). */
enum { COPY_ROWS, COPY_DATAURI, COPY_BADUTF8, COPY_BADURL, COPY_QIMG };
static int copy_file(const char *in, const char *outp, int mode)
{
    static const char uri[] = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
                              "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    static const char cap[] = "a dot <img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEA"
                              "AAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
                              "\"> here";
    dv_parquet_reader *r;
    dv_parquet_writer *w = NULL;
    dv_parquet_writer_opts o;
    dv_parquet_field *fields;
    dv_parquet_batch *b;
    dv_parquet_value *vals;
    size_t n, *cols, urlc = (size_t)-1, capc = (size_t)-1, keyc = (size_t)-1;
    const int datauri = mode != COPY_ROWS;
    char *bad[3] = {NULL, NULL, NULL};
    uint64_t base = 0;
    char err[512];
    int rc = dv_parquet_reader_open(in, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    n = dv_parquet_reader_num_columns(r);
    fields = calloc(n + 1, sizeof(*fields));
    cols = calloc(n + 1, sizeof(*cols));
    b = calloc(n + 1, sizeof(*b));
    vals = calloc(n + 1, sizeof(*vals));
    for (size_t i = 0; i < n && rc == DV_OK && datauri; i++) {
        cols[i] = i;
        rc = dv_parquet_reader_field(r, i, &fields[i]);
        if (rc == DV_OK && strcasecmp(fields[i].name, "url") == 0) urlc = i;
        if (rc == DV_OK && (strcasecmp(fields[i].name, "caption") == 0 ||
                            strcasecmp(fields[i].name, "text") == 0))
            capc = i;
        if (rc == DV_OK && strcasecmp(fields[i].name, "key") == 0) keyc = i;
    }
    if (datauri && urlc == (size_t)-1) {
        fprintf(stderr, "%s: no url column\n", in);
        rc = DV_EINVAL;
    }
    memset(&o, 0, sizeof(o));
    o.codec = DV_PQ_SNAPPY;
    o.row_group_rows = datauri ? 0 : 7;
    if (rc == DV_OK && datauri)
        rc = dv_parquet_writer_create(outp, fields, n, &o, &w, err, sizeof(err));
    else if (rc == DV_OK)
        rc = dv_parquet_writer_create_copy(outp, r, &o, &w, err, sizeof(err));
    if (rc != DV_OK && w == NULL) fprintf(stderr, "copy %s: %s (%s)\n", in, err, dv_strerror(rc));
    for (size_t g = 0; rc == DV_OK && g < dv_parquet_reader_num_row_groups(r); g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
        uint8_t *keep = malloc(rows + 1);
        for (uint64_t i = 0; keep && i < rows; i++) keep[i] = (base + i) % 3 != 1;
        if (!datauri) {
            rc = keep ? dv_parquet_writer_copy_row_group(w, r, g, keep) : DV_ENOMEM;
            free(keep);
            base += rows;
            continue;
        }
        rc = keep ? dv_parquet_reader_read_row_group(r, g, cols, n, b) : DV_ENOMEM;
        if (rc != DV_OK) fprintf(stderr, "read: %s\n", dv_parquet_reader_errmsg(r));
        for (uint64_t i = 0; datauri && rc == DV_OK && i < rows; i++) {
            for (size_t c = 0; c < n && rc == DV_OK; c++)
                rc = dv_parquet_batch_value(&b[c], i, &vals[c]);
            if (mode == COPY_DATAURI) {
                vals[urlc].is_null = 0;
                vals[urlc].bytes = (const uint8_t *)uri;
                vals[urlc].len = sizeof(uri) - 1;
                if (capc != (size_t)-1) {
                    vals[capc].is_null = 0;
                    vals[capc].bytes = (const uint8_t *)cap;
                    vals[capc].len = sizeof(cap) - 1;
                }
            } else if (mode == COPY_QIMG) {
                static const char b64[] =
                    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg"
                    "JC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=";
                const int odd = (base + i) % 2 == 1;
                const char *pre = odd ? "/img/" : "?img=", *post = odd ? "" : "&x=1";
                dv_parquet_value *v = &vals[urlc];
                size_t need = (v->is_null ? 0 : v->len) + strlen(pre) + strlen(b64) + strlen(post);
                char *nb = realloc(bad[0], need + 1);
                if (nb == NULL) {
                    rc = DV_ENOMEM;
                } else {
                    bad[0] = nb;
                    snprintf(nb, need + 1, "%.*s%s%s%s", (int)(v->is_null ? 0 : v->len),
                             v->is_null ? "" : (const char *)v->bytes, pre, b64, post);
                    v->is_null = 0;
                    v->bytes = (const uint8_t *)nb;
                    v->len = need;
                }
            } else if (mode == COPY_BADURL) {
                if ((base + i) % 3 == 1) {
                    vals[urlc].is_null = 0;
                    vals[urlc].bytes = (const uint8_t *)"not a url";
                    vals[urlc].len = 9;
                }
            } else {
                static const char *const add[3] = {"?q=\xff x", " \xfe", "\xfd"};
                const size_t at[3] = {urlc, capc, keyc};
                for (int k = 0; k < 3 && rc == DV_OK; k++) {
                    dv_parquet_value *v = at[k] == (size_t)-1 ? NULL : &vals[at[k]];
                    char *nb;
                    if (v == NULL || v->is_null) continue;
                    nb = realloc(bad[k], v->len + strlen(add[k]) + 1);
                    if (nb == NULL) {
                        rc = DV_ENOMEM;
                        break;
                    }
                    bad[k] = nb;
                    memcpy(nb, v->bytes, v->len);
                    memcpy(nb + v->len, add[k], strlen(add[k]));
                    v->bytes = (const uint8_t *)nb;
                    v->len += strlen(add[k]);
                }
            }
            if (rc == DV_OK) rc = dv_parquet_writer_write_row(w, vals);
        }
        free(keep);
        base += rows;
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK && w) fprintf(stderr, "write: %s\n", dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    dv_parquet_reader_free(r);
    free(fields);
    free(cols);
    free(b);
    free(vals);
    for (int k = 0; k < 3; k++) free(bad[k]);
    return rc == DV_OK ? 0 : 1;
}

/* A Hugging Face-style file: id, url, image {bytes, path}, 4 rows a row group, uncompressed
 * and without dictionaries (so that a test finds an image's bytes in the file to damage).
 * Row i (id "rI", url "https://example.test/rI") from spec[i]: "-" a null image, "path:NAME"
 * a path and null bytes, "nopath" null bytes and a null path, else a file whose bytes are
 * the image (path: its name). */
static int write_hfimg(const char *path, char **spec, int n)
{
    static const dv_parquet_group img = {"image", 1};
    dv_parquet_field fields[4];
    dv_parquet_value vals[4];
    dv_parquet_writer_opts o;
    dv_parquet_writer *w;
    char err[512], id[32], url[64];
    int rc;
    memset(fields, 0, sizeof(fields));
    fields[0].name = "id";
    fields[1].name = "url";
    fields[2].name = "bytes";
    fields[3].name = "path";
    for (int i = 0; i < 4; i++) {
        fields[i].type = DV_PQ_BYTE_ARRAY;
        fields[i].is_string = i != 2;
        fields[i].optional = i >= 2;
        if (i >= 2) fields[i].groups = &img, fields[i].ngroups = 1;
    }
    memset(&o, 0, sizeof(o));
    o.row_group_rows = 4;
    o.no_dictionary = 1;
    rc = dv_parquet_writer_create(path, fields, 4, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    for (int r = 0; r < n && rc == DV_OK; r++) {
        const char *sp = spec[r];
        uint8_t *buf = NULL;
        memset(vals, 0, sizeof(vals));
        snprintf(id, sizeof(id), "r%d", r);
        snprintf(url, sizeof(url), "https://example.test/r%d", r);
        vals[0].bytes = (const uint8_t *)id, vals[0].len = strlen(id);
        vals[1].bytes = (const uint8_t *)url, vals[1].len = strlen(url);
        if (strcmp(sp, "-") == 0) {
            vals[2].is_null = vals[3].is_null = 1; /* def_level 0: the struct is null */
        } else if (strcmp(sp, "empty") == 0) {
            vals[2].bytes = (const uint8_t *)"", vals[2].len = 0; /* bytes of 0, no path */
            vals[3].is_null = 1, vals[3].def_level = 1;
        } else if (strncmp(sp, "path:", 5) == 0 || strcmp(sp, "nopath") == 0) {
            vals[2].is_null = 1, vals[2].def_level = 1;
            if (sp[0] == 'n') vals[3].is_null = 1, vals[3].def_level = 1;
            else vals[3].bytes = (const uint8_t *)sp + 5, vals[3].len = strlen(sp + 5);
        } else {
            FILE *f = fopen(sp, "rb");
            long len = -1;
            const char *base = strrchr(sp, '/');
            if (f && fseek(f, 0, SEEK_END) == 0) len = ftell(f);
            if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) buf = malloc((size_t)len + 1);
            if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
                fprintf(stderr, "hfimg: cannot read %s\n", sp);
                rc = DV_EIO;
            }
            if (f) fclose(f);
            vals[2].bytes = buf, vals[2].len = len > 0 ? (size_t)len : 0;
            base = base ? base + 1 : sp;
            vals[3].bytes = (const uint8_t *)base, vals[3].len = strlen(base);
        }
        if (rc == DV_OK) rc = dv_parquet_writer_write_row(w, vals);
        free(buf);
    }
    if (rc == DV_OK) rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "write %s: %s\n", path, dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}

/* A whole file, or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f) fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

/* "hflist": an interleaved dataset's rows, images in a list of Hugging Face image structs
 * (id, url, images: list<struct{bytes, path}>), written by pq_gen in row groups of 4 rows;
 * a row is its image files joined by commas, "-" an empty list. */
static int write_hflist(const char *path, char **spec, int n)
{
    static const pqg_node sch[] = {
        {"schema", -1, 0, 3, -1, 0, 0},
        {"id", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 1, 0},
        {"url", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 1, 0},
        {"images", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_OPTIONAL, 2, -1, 0, 0},
        {"bytes", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, -1, 0, 0},
        {"path", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
    };
    enum { GROUP = 4, MAXG = 8, MAXE = 64 };
    static char ids[MAXG * GROUP][24], urls[MAXG * GROUP][48];
    static const char *idv[MAXG][GROUP], *urlv[MAXG][GROUP];
    static const char *bytes[MAXG][MAXE], *names[MAXG][MAXE];
    static char *bufs[MAXG * MAXE], *specs[MAXG * GROUP];
    static uint8_t rep[MAXG][MAXE], def[MAXG][MAXE];
    static size_t lens[MAXG][MAXE];
    pqg_column c[MAXG * 4];
    uint64_t rows[MAXG] = {0};
    size_t ng = ((size_t)n + GROUP - 1) / GROUP, nbuf = 0;
    int rc = 0;
    if (n < 1 || (size_t)n > MAXG * GROUP) {
        fprintf(stderr, "hflist: 1 to %d rows\n", MAXG * GROUP);
        return 2;
    }
    memset(c, 0, sizeof c);
    for (size_t g = 0; g < ng && rc == 0; g++) {
        size_t ne = 0, nv = 0;
        rows[g] = 0;
        for (size_t r = g * GROUP; r < (size_t)n && r < (g + 1) * GROUP && rc == 0; r++) {
            snprintf(ids[r], sizeof ids[r], "r%zu", r);
            snprintf(urls[r], sizeof urls[r], "https://example.test/r%zu", r);
            idv[g][rows[g]] = ids[r], urlv[g][rows[g]] = urls[r];
            rows[g]++;
            if (strcmp(spec[r], "-") == 0) { /* an empty list: one entry, def 1 */
                rep[g][ne] = 0, def[g][ne++] = 1;
                continue;
            }
            specs[r] = strdup(spec[r]);
            for (char *tok = specs[r], *end; tok && rc == 0; tok = end ? end + 1 : NULL) {
                const char *base;
                end = strchr(tok, ',');
                if (end) *end = '\0';
                base = strrchr(tok, '/');
                if (ne >= MAXE) {
                    fprintf(stderr, "hflist: over %d images in a row group\n", MAXE);
                    rc = 2;
                    break;
                }
                bufs[nbuf] = slurp(tok, &lens[g][nv]);
                if (!bufs[nbuf]) {
                    fprintf(stderr, "hflist: cannot read %s\n", tok);
                    rc = 1;
                    break;
                }
                bytes[g][nv] = bufs[nbuf++];
                names[g][nv++] = base ? base + 1 : tok;
                rep[g][ne] = tok == specs[r] ? 0 : 1; /* 0 starts the row's list */
                def[g][ne++] = 4;
            }
        }
        c[g * 4 + 0] = (pqg_column){rows[g], NULL, NULL, idv[g], NULL};
        c[g * 4 + 1] = (pqg_column){rows[g], NULL, NULL, urlv[g], NULL};
        c[g * 4 + 2] = (pqg_column){ne, rep[g], def[g], bytes[g], lens[g]};
        c[g * 4 + 3] = (pqg_column){ne, rep[g], def[g], names[g], NULL};
    }
    if (rc == 0 && pqg_write_groups(path, sch, sizeof sch / sizeof *sch, c, 4, ng, rows) != 0) {
        fprintf(stderr, "hflist: cannot write %s\n", path);
        rc = 1;
    }
    for (size_t i = 0; i < nbuf; i++) free(bufs[i]);
    for (int r = 0; r < n; r++) free(specs[r]);
    return rc;
}

/* "rows": one line per row, every column (any nesting) as its level entries
 * rep/def[:value], so that a cleaned copy's lines can be compared with the original's. */
static int print_rows(const char *path)
{
    dv_parquet_reader *r;
    char err[512];
    size_t n;
    dv__pq_column_data *cd;
    int rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    n = dv_parquet_reader_num_columns(r);
    cd = calloc(n + 1, sizeof(*cd));
    for (size_t g = 0; rc == DV_OK && g < dv_parquet_reader_num_row_groups(r); g++) {
        uint64_t rows = dv_parquet_reader_row_group_rows(r, g);
        for (size_t c = 0; c < n && rc == DV_OK; c++) rc = dv__pq_read_column(r, g, c, c, &cd[c]);
        if (rc != DV_OK) {
            fprintf(stderr, "read: %s\n", dv_parquet_reader_errmsg(r));
            break;
        }
        for (uint64_t i = 0; i < rows; i++) {
            for (size_t c = 0; c < n; c++) {
                dv_parquet_column_info ci;
                uint64_t e0 = cd[c].row_start ? cd[c].row_start[i] : i;
                uint64_t e1 = cd[c].row_start ? cd[c].row_start[i + 1] : i + 1;
                dv_parquet_reader_column(r, c, &ci);
                printf("%s%s=[", c ? " " : "", ci.name);
                for (uint64_t e = e0; e < e1; e++) {
                    int d = cd[c].def_levels ? cd[c].def_levels[e] : 0;
                    dv_parquet_value v;
                    printf("%s%d/%d", e > e0 ? "," : "",
                           cd[c].rep_levels ? cd[c].rep_levels[e] : 0, d);
                    if (d != cd[c].max_def) continue;
                    dv_parquet_batch_value(&cd[c].batch, e, &v);
                    putchar(':');
                    switch (cd[c].batch.type) {
                    case DV_PQ_BOOLEAN:
                    case DV_PQ_INT32: printf("%d", (int)v.i32); break;
                    case DV_PQ_INT64: printf("%" PRId64, v.i64); break;
                    case DV_PQ_FLOAT: printf("%.9g", (double)v.f32); break;
                    case DV_PQ_DOUBLE: printf("%.17g", v.f64); break;
                    default: put_json_string(v.bytes, v.len); break;
                    }
                }
                putchar(']');
            }
            putchar('\n');
        }
    }
    free(cd);
    dv_parquet_reader_free(r);
    return rc == DV_OK ? 0 : 1;
}

/* "datacomp": DataComp's metadata shape from a LAION-like file IN (key, URL, TEXT, md5
 * strings): uid, url, text, md5 and face_bboxes list<list<double>> (row i: i % 4 == 0 [],
 * 1 one box, 2 null, 3 two boxes, the second [x, null]), written by pq_gen from levels. */
static int write_datacomp(const char *in, const char *out)
{
    static const char *const names[4] = {"key", "URL", "TEXT", "md5"};
    static const pqg_node sch[] = {
        {"schema", -1, 0, 5, -1, 0, 0},
        {"uid", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"url", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"text", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"md5", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {"face_bboxes", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_DOUBLE, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    dv_parquet_reader *r;
    char err[512], **str[4] = {NULL, NULL, NULL, NULL};
    uint8_t *def[4], *br, *bd;
    double *bv;
    size_t cols[4], nb = 0, nv = 0;
    uint64_t rows, row = 0;
    int rc = dv_parquet_reader_open(in, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    rows = dv_parquet_reader_num_rows(r);
    for (int c = 0; c < 4; c++) {
        int64_t k = dv_parquet_reader_find_column(r, names[c]);
        if (k < 0) {
            fprintf(stderr, "datacomp %s: no column %s\n", in, names[c]);
            dv_parquet_reader_free(r);
            return 1;
        }
        cols[c] = (size_t)k;
        str[c] = calloc(rows + 1, sizeof(char *));
        def[c] = calloc(rows + 1, 1);
    }
    br = calloc(6 * rows + 1, 1), bd = calloc(6 * rows + 1, 1), bv = calloc(6 * rows + 1, 8);
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r) && rc == DV_OK; g++) {
        dv_parquet_batch b[4];
        rc = dv_parquet_reader_read_row_group(r, g, cols, 4, b);
        for (uint64_t i = 0; rc == DV_OK && i < b[0].rows; i++, row++)
            for (int c = 0; c < 4; c++) {
                dv_parquet_value v;
                if (dv_parquet_batch_value(&b[c], i, &v) != DV_OK || v.is_null) continue;
                str[c][row] = strndup((const char *)v.bytes, v.len);
                def[c][row] = 1;
            }
    }
    for (uint64_t i = 0; i < rows; i++) {
        /* (rep, def) entries; def 5: a value, 4: a null box coordinate, 1: an empty list */
        static const uint8_t shape[4][7][2] = {
            {{0, 1}},
            {{0, 5}, {2, 5}, {2, 5}, {2, 5}},
            {{0, 0}},
            {{0, 5}, {2, 5}, {2, 5}, {2, 5}, {1, 5}, {2, 4}},
        };
        static const int len[4] = {1, 4, 1, 6};
        for (int e = 0; e < len[i % 4]; e++) {
            br[nb] = shape[i % 4][e][0], bd[nb] = shape[i % 4][e][1];
            if (bd[nb++] == 5) bv[nv] = 0.125 * (double)(nv % 8) + (double)i, nv++;
        }
    }
    if (rc == DV_OK) {
        const pqg_column c[5] = {{rows, NULL, def[0], str[0], NULL},
                                 {rows, NULL, def[1], str[1], NULL},
                                 {rows, NULL, def[2], str[2], NULL},
                                 {rows, NULL, def[3], str[3], NULL},
                                 {nb, br, bd, bv, NULL}};
        rc = pqg_write(out, sch, sizeof sch / sizeof *sch, c, 5, rows) == 0 ? DV_OK : DV_EIO;
    } else {
        fprintf(stderr, "read %s: %s\n", in, dv_parquet_reader_errmsg(r));
    }
    for (int c = 0; c < 4; c++) {
        for (uint64_t i = 0; i < rows; i++) free(str[c][i]);
        free(str[c]);
        free(def[c]);
    }
    free(br), free(bd), free(bv);
    dv_parquet_reader_free(r);
    return rc == DV_OK ? 0 : 1;
}

/* Files for inspect --head's nested values (tests/cli/inspect.sh), written from levels:
 * deep.parquet (pqg_write_deep); odd.parquet: a map without values (the list of its keys) and
 * images in lists (withheld); long.parquet: lists past the 1000 elements and 1 MiB a value
 * --head prints; bad-*.parquet: a map whose key and value columns are each valid but disagree
 * (fewer values than keys, more, a value present where the key says the map is empty, a value
 * continuing where the key starts a new entry). */
static int write_heads(const char *dir)
{
    static const pqg_node odd[] = {
        {"schema", -1, 0, 2, -1, 0, 0},
        {"keys", -1, DV_PQ_OPTIONAL, 1, 1, 2, 0},
        {"key_value", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"key", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"imgs", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    static const uint8_t k_r[] = {0, 1, 0, 0}, k_d[] = {2, 2, 1, 0};
    static const int32_t k_v[] = {4, 5};
    static const uint8_t i_r[] = {0, 1, 1, 1, 0, 0}, i_d[] = {3, 3, 2, 3, 1, 0};
    static const char *const i_v[] = {"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01", "plain",
                                      "data:image/png;base64,iVBORw0KGgo="};
    static const size_t i_l[] = {13, 5, 34};
    static const pqg_node lng[] = {
        {"schema", -1, 0, 3, -1, 0, 0},
        {"v", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"ll", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_REQUIRED, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"big", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_REQUIRED, 0, 0, 1, 0},
    };
    /* the map<int32, int32> of bad-*: keys (0,2) (1,2) in each, values as named */
    static const pqg_node bad[] = {
        {"schema", -1, 0, 1, -1, 0, 0},
        {"m", -1, DV_PQ_OPTIONAL, 1, 1, 2, 0},
        {"key_value", -1, DV_PQ_REPEATED, 2, -1, 0, 0},
        {"key", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"value", DV_PQ_INT32, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    static const uint8_t bk_r[] = {0, 1}, bk_d[] = {2, 2};
    static const int32_t bk_v[] = {1, 2}, bv_v[] = {10, 20, 30};
    static const struct {
        const char *name;
        size_t n;
        uint8_t r[3], d[3];
    } bads[] = {{"bad-fewer", 1, {0}, {3}},
                {"bad-more", 3, {0, 1, 1}, {3, 3, 3}},
                {"bad-def", 1, {0}, {1}}};
    /* bad-rep: a list<list<struct{x, y}>> whose x says [[x, x], [x]] and y [[y], [y, y]] */
    static const pqg_node badrep[] = {
        {"schema", -1, 0, 1, -1, 0, 0},
        {"ll", -1, DV_PQ_REQUIRED, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_REQUIRED, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_REQUIRED, 2, -1, 0, 0},
        {"x", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
        {"y", DV_PQ_INT32, DV_PQ_REQUIRED, 0, -1, 0, 0},
    };
    static const uint8_t bx_r[] = {0, 2, 1}, by_r[] = {0, 1, 2}, bxy_d[] = {2, 2, 2};
    char path[1024];
    int rc = 0;
    uint8_t *lr, *ld, *llr, *lld;
    int32_t *lv, *llv;
    const char **bs;
    char *big;
    size_t nll = 0;

    snprintf(path, sizeof path, "%s/deep.parquet", dir);
    rc |= pqg_write_deep(path);
    {
        const pqg_column c[] = {{4, k_r, k_d, k_v, NULL}, {6, i_r, i_d, i_v, i_l}};
        snprintf(path, sizeof path, "%s/odd.parquet", dir);
        rc |= pqg_write(path, odd, sizeof odd / sizeof *odd, c, 2, 3);
    }
    /* row 0: v 0..4999, ll three lists of 0..599, big five strings of 300,000 'a' (1.5 MB);
     * row 1: v [1], ll [[1]], big ["b"] */
    lr = calloc(5001, 1), ld = calloc(5001, 1), lv = calloc(5001, sizeof *lv);
    llr = calloc(1801, 1), lld = calloc(1801, 1), llv = calloc(1801, sizeof *llv);
    bs = calloc(6, sizeof *bs), big = malloc(300001);
    if (!lr || !ld || !lv || !llr || !lld || !llv || !bs || !big) return 1;
    for (int i = 0; i < 5000; i++) lr[i] = i > 0, ld[i] = 2, lv[i] = i;
    lr[5000] = 0, ld[5000] = 2, lv[5000] = 1;
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < 600; i++, nll++)
            llr[nll] = i > 0 ? 2 : l > 0, lld[nll] = 3, llv[nll] = i;
    llr[nll] = 0, lld[nll] = 3, llv[nll++] = 1;
    memset(big, 'a', 300000);
    big[300000] = '\0';
    for (int i = 0; i < 5; i++) bs[i] = big;
    bs[5] = "b";
    {
        static const uint8_t br[] = {0, 1, 1, 1, 1, 0}, bd[] = {2, 2, 2, 2, 2, 2};
        const pqg_column c[] = {{5001, lr, ld, lv, NULL}, {nll, llr, lld, llv, NULL},
                                {6, br, bd, bs, NULL}};
        snprintf(path, sizeof path, "%s/long.parquet", dir);
        rc |= pqg_write(path, lng, sizeof lng / sizeof *lng, c, 3, 2);
    }
    free(lr), free(ld), free(lv), free(llr), free(lld), free(llv), free(bs), free(big);
    for (size_t b = 0; b < sizeof bads / sizeof *bads; b++) {
        const pqg_column c[] = {{2, bk_r, bk_d, bk_v, NULL},
                                {bads[b].n, bads[b].r, bads[b].d, bv_v, NULL}};
        snprintf(path, sizeof path, "%s/%s.parquet", dir, bads[b].name);
        rc |= pqg_write(path, bad, sizeof bad / sizeof *bad, c, 2, 1);
    }
    {
        const pqg_column c[] = {{3, bx_r, bxy_d, bv_v, NULL}, {3, by_r, bxy_d, bv_v, NULL}};
        snprintf(path, sizeof path, "%s/bad-rep.parquet", dir);
        rc |= pqg_write(path, badrep, sizeof badrep / sizeof *badrep, c, 2, 1);
    }
    return rc != 0;
}

/* pq_gen's shapes with a footer key_value_metadata as dataset writers leave it (Hugging Face's
 * features, a bit of Arrow's schema) and the odd cases: an empty value, none, a repeated key. */
static int write_shapes_kv(const char *path)
{
    static const char hf[] = "{\"info\": {\"features\": {\"id\": {\"dtype\": \"int64\", "
                             "\"_type\": \"Value\"}}}}";
    static const char arrow[] = "/////7gAAAAQAAAAAAAKAAwABgAFAAgACgAAAAABBAAMAAAA";
    static const pqg_kv kv[] = {{"huggingface", hf, sizeof hf - 1},
                                {"ARROW:schema", arrow, sizeof arrow - 1},
                                {"empty", "", 0},
                                {"novalue", NULL, 0},
                                {"dup", "1", 1},
                                {"dup", "2\0x", 3}};
    return pqg_write_shapes_kv(path, kv, sizeof kv / sizeof kv[0]) != 0;
}

/* "hostile": names and values that would act on a terminal (tests/cli/terminal.sh): a url
 * column whose values hold an escape sequence, a string column named with ESC[2J, a line
 * feed, U+009B (CSI) and a byte that is not UTF-8, a list<list<binary>> column named as images
 * with an SGR sequence and U+202E (which the dataset names as a problem), and a footer key
 * with an OSC title sequence. Two rows. */
static int write_hostile(const char *path)
{
    static const char cap[] = "cap\x1b[2J\ntion\xc2\x9b\xff";
    static const char img[] = "img\x1b[31m\xe2\x80\xae";
    const pqg_node schema[] = {
        {"schema", -1, DV_PQ_REQUIRED, 3, -1, 0, 0},
        {"url", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {cap, DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, 0, 1, 0},
        {img, -1, DV_PQ_OPTIONAL, 1, 3, 3, 0}, /* list<list<binary>> */
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", -1, DV_PQ_OPTIONAL, 1, 3, 3, 0},
        {"list", -1, DV_PQ_REPEATED, 1, -1, 0, 0},
        {"element", DV_PQ_BYTE_ARRAY, DV_PQ_OPTIONAL, 0, -1, 0, 0},
    };
    static const char *const urls[] = {"http://e.example/a\x1b[2J", "http://e.example/b"};
    static const char *const caps[] = {"v\x1b]0;pwn\x07", "w\xe2\x80\xae"};
    static const uint8_t one[] = {1, 1}, rep[] = {0, 0}, def[] = {0, 1};
    const pqg_column cols[] = {
        {2, NULL, one, urls, NULL},
        {2, NULL, one, caps, NULL},
        {2, rep, def, NULL, NULL}, /* a null list, an empty one */
    };
    static const pqg_kv kv[] = {{"k\x1b]0;title\x07" "ey", "v", 1}};
    return pqg_write_kv(path, schema, sizeof schema / sizeof schema[0], cols, 3, 2, kv, 1) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "datacomp") == 0) return write_datacomp(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "hfimg") == 0) return write_hfimg(argv[2], argv + 3, argc - 3);
    if (argc >= 4 && strcmp(argv[1], "hflist") == 0)
        return write_hflist(argv[2], argv + 3, argc - 3);
    if (argc == 4 && strcmp(argv[1], "copy") == 0) return copy_file(argv[2], argv[3], COPY_ROWS);
    if (argc == 4 && strcmp(argv[1], "copy-raw") == 0) return copy_raw(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "dump") == 0) return dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "write") == 0) return write_all(argv[2]);
    if (argc == 3 && strcmp(argv[1], "seeds") == 0) return write_small(argv[2]);
    if (argc == 3 && strcmp(argv[1], "images") == 0) return write_images(argv[2]);
    if (argc == 3 && strcmp(argv[1], "digests") == 0) return write_digests(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "strings") == 0)
        return write_strings(argv[2], argv[3], argv + 4, argc - 4);
    if (argc == 4 && strcmp(argv[1], "datauri") == 0)
        return copy_file(argv[2], argv[3], COPY_DATAURI);
    if (argc == 4 && strcmp(argv[1], "badutf8") == 0)
        return copy_file(argv[2], argv[3], COPY_BADUTF8);
    if (argc == 4 && strcmp(argv[1], "badurl") == 0) return copy_file(argv[2], argv[3], COPY_BADURL);
    if (argc == 4 && strcmp(argv[1], "qimg") == 0) return copy_file(argv[2], argv[3], COPY_QIMG);
    if (argc == 3 && strcmp(argv[1], "shapes") == 0) return pqg_write_shapes(argv[2]) != 0;
    if (argc == 3 && strcmp(argv[1], "shapes-kv") == 0) return write_shapes_kv(argv[2]);
    if (argc == 3 && strcmp(argv[1], "rows") == 0) return print_rows(argv[2]);
    if (argc == 3 && strcmp(argv[1], "heads") == 0) return write_heads(argv[2]);
    if (argc == 3 && strcmp(argv[1], "hostile") == 0) return write_hostile(argv[2]);
    if (argc == 3 && strcmp(argv[1], "chunk-kv") == 0) return pqg_write_chunk_kv(argv[2]) != 0;
    fprintf(stderr, "usage: pq_tool dump FILE | write DIR | seeds DIR | copy IN OUT | images FILE | "
                    "copy-raw IN OUT | datauri IN OUT | badutf8 IN OUT | badurl IN OUT | qimg IN OUT | "
                    "hfimg OUT ROW... | hflist OUT ROW... | shapes FILE | shapes-kv FILE | "
                    "rows FILE | datacomp IN OUT | heads DIR | chunk-kv FILE | digests FILE | "
                    "strings FILE COL,COL... ROW...\n");
    return 2;
}
