/* fuzz_list_import.c - libFuzzer target for the list importers (plain, PDQ text, CSV/TSV, JSONL,
 * URLs) and the writer: what imports must serialise, open, and read back sorted and findable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"
/* the in-memory writer, so every run goes text -> .dvl -> open without touching the disk */
#include "../src/match/list_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_key(const dv_list_entry *a, const dv_list_entry *b)
{
    int c = memcmp(a->key, b->key, a->keylen < b->keylen ? a->keylen : b->keylen);
    if (c != 0) return c;
    return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

/* The first byte picks the mode: bit 0 strict; bits 1-4 the forced type (mod 9); bit 5 a
 * builder created with that type; bit 6 the input imported twice (duplicates everywhere). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_list_builder *b;
    dv_import_stats st;
    dv_hash_type forced;
    int strict, rc, twice;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t dups = 0;
    dv_list *l = NULL;
    dv_list_info in;
    char err[256];

    if (size < 1) return 0;
    strict = data[0] & 1;
    forced = (dv_hash_type)(((unsigned)data[0] >> 1 & 15) % 9);
    twice = data[0] >> 6 & 1;
    b = dv_list_builder_create((data[0] >> 5 & 1) ? forced : DV_HT_NONE, NULL);
    if (b == NULL) return 0;
    memset(&st, 0, sizeof(st));
    rc = dv_list_builder_import(b, "fuzz", data + 1, size - 1, forced, strict, &st);
    if (rc == DV_OK && twice)
        rc = dv_list_builder_import(b, "again", data + 1, size - 1, forced, strict, &st);
    if (rc != DV_OK) {
        if (rc != DV_EFORMAT && rc != DV_ENOMEM && rc != DV_ETOOBIG &&
            !(rc == DV_ECORRUPT && strict))
            abort();
        if (dv_list_builder_errmsg(b)[0] == '\0') abort();
        /* all or nothing: a failed first import leaves the builder empty */
        if (!twice && b->n != 0) abort();
        dv_list_builder_free(b);
        return 0;
    }
    if (st.entries > st.lines || st.bad > st.lines || (strict && st.bad != 0)) abort();
    if (st.entries != b->n) abort();
    if (b->type == DV_HT_NONE) {
        if (b->n != 0) abort();
        dv_list_builder_free(b);
        return 0;
    }
    rc = dv__list_builder_to_buffer(b, &(dv_list_meta){"fuzz", "1", NULL}, 0, &buf, &len, &dups);
    if (rc == DV_ENOMEM || rc == DV_ETOOBIG) {
        dv_list_builder_free(b);
        return 0;
    }
    if (rc != DV_OK) abort();
    if (dv_list_open_buffer(buf, len, &l, err, sizeof(err)) != DV_OK) abort();
    /* the digest the builder wrote is the one the reader computes from the entries */
    if (dv_list_verify(l, err, sizeof(err)) != DV_OK) abort();
    dv_list_get_info(l, &in);
    if (in.type != b->type || in.count != b->n - dups || (in.count == 0) != (b->n == 0)) abort();
    if (twice && dups < b->n / 2) abort();
    {
        dv_list_entry prev;
        for (uint64_t i = 0; i < in.count; i++) {
            dv_list_entry e;
            if (dv_list_get_entry(l, i, &e) != DV_OK) abort();
            if (in.type == DV_HT_URL ? (e.keylen == 0 || e.keylen > DV__LIST_URL_MAX)
                                     : e.keylen != dv_hash_type_size(in.type))
                abort();
            if (i > 0 && cmp_key(&prev, &e) >= 0) abort();
            if (dv_list_find(l, e.key, e.keylen) != (int64_t)i) abort();
            if (e.quality < -1 || e.quality > 100 || (in.type != DV_HT_PDQ && e.quality != -1))
                abort();
            if (strlen(e.id) > DV__LIST_STR_MAX || strlen(e.label) > DV__LIST_STR_MAX) abort();
            if (in.type == DV_HT_URL) {
                /* stored URLs are normalised: normalising again changes nothing */
                char norm[3 * 1024 + 2];
                size_t nl;
                if (e.keylen <= 1024) {
                    if (dv_url_normalize((const char *)e.key, e.keylen, norm, sizeof(norm), &nl) !=
                            DV_OK ||
                        nl != e.keylen || memcmp(norm, e.key, nl) != 0)
                        abort();
                }
            }
            prev = e;
        }
    }
    {
        uint64_t add = 1, rem = 1;
        if (dv_list_diff(l, l, &add, &rem) != DV_OK || add != 0 || rem != 0) abort();
    }
    dv_list_close(l);
    free(buf);
    dv_list_builder_free(b);
    return 0;
}
