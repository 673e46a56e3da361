/* fuzz_textlist.c - libFuzzer target for the URL-list reader: the first byte picks the format
 * (CSV, TSV, JSONL, TXT), the record limit, extra columns, the hash columns and the id column
 * (by its default names or named); rows must be sane and bad rows non-fatal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const extra[] = {"key", "width"};
    dv_textlist_opts o = {0};
    dv_textlist *t;
    dv_textlist_row row;
    uint64_t rows = 0, bad = 0;
    int rc;
    if (size < 1) return 0;
    o.format = (dv_textlist_format)(1 + (data[0] & 3));
    o.max_record = (data[0] & 4) ? 64 : 0;
    o.extra_cols = (data[0] & 8) ? extra : NULL;
    o.nextra = (data[0] & 8) ? 2 : 0;
    o.hash_cols = (data[0] & 16) != 0;
    o.id = (data[0] & 32) != 0;
    o.id_col = (data[0] & 64) ? "name" : NULL;
    t = dv_textlist_create(&o);
    if (t == NULL) return 0;
    rc = dv_textlist_open_buffer(t, data + 1, size - 1, "fuzz.list");
    if (rc != DV_OK) {
        if (dv_textlist_errmsg(t)[0] == '\0') abort();
        if (rc != DV_EFORMAT && rc != DV_ENOMEM && rc != DV_EINVAL) abort();
        dv_textlist_free(t);
        return 0;
    }
    while ((rc = dv_textlist_next(t, &row)) != 0) {
        if (rc == DV_ECORRUPT || rc == DV_ETOOBIG) {
            if (strstr(dv_textlist_errmsg(t), "fuzz.list:") != dv_textlist_errmsg(t)) abort();
            bad++;
            continue;
        }
        if (rc != 1) break;
        if (row.url == NULL || row.url_len == 0 || strlen(row.url) > row.url_len) abort();
        if (row.row != ++rows || row.line == 0) abort();
        /* a URL or caption holding a NUL is no row / reads as a space (docs/readers.md) */
        if (strlen(row.url) != row.url_len) abort();
        if (row.caption != NULL && strlen(row.caption) != row.caption_len) abort();
        for (size_t e = 0; e < o.nextra; e++) {
            if (row.extra[e] != NULL && strlen(row.extra[e]) > row.extra_len[e]) abort();
        }
        /* hash columns only when asked for, NUL-terminated within their length */
        if (!o.hash_cols && (row.md5 || row.sha1 || row.sha256)) abort();
        if (row.md5 != NULL && strlen(row.md5) > row.md5_len) abort();
        if (row.sha1 != NULL && strlen(row.sha1) > row.sha1_len) abort();
        if (row.sha256 != NULL && strlen(row.sha256) > row.sha256_len) abort();
        /* the id the same */
        if (!o.id && row.id) abort();
        if (row.id != NULL && strlen(row.id) > row.id_len) abort();
        if (rows + bad > size + 1) abort(); /* progress: every record consumes input */
    }
    if (rc < 0 && rc != DV_ENOMEM) abort();
    if (dv_textlist_bad_rows(t) != bad) abort();
    dv_textlist_free(t);
    return 0;
}
