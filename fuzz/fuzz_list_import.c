/* fuzz_list_import.c - libFuzzer target for the list importers (plain, PDQ text, CSV/TSV, JSONL,
 * URLs), whole and streamed in small reads alike, and the writer: what imports must serialise,
 * open, and read back sorted and findable. */
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

typedef struct chunks {
    const uint8_t *p;
    size_t left, chunk;
} chunks;

static ptrdiff_t chunk_read(void *ctx, void *dst, size_t n)
{
    chunks *c = ctx;
    if (n > c->chunk) n = c->chunk;
    if (n > c->left) n = c->left;
    memcpy(dst, c->p, n);
    c->p += n;
    c->left -= n;
    return (ptrdiff_t)n;
}

/* The streamed import (dv_list_builder_import_fd's, reads of 1 to 16 bytes) gives what the
 * whole text gives through the same window (bit 7: a window of 8 to 71 bytes, so that lines
 * and records run past it; else the default): result, counts, message and list, byte for
 * byte. */
static void compare_streamed(const uint8_t *data, size_t size, dv_hash_type forced, int typed,
                             int strict)
{
    const size_t max_line = (data[0] & 0x80) ? 8 + size % 64 : 0;
    dv_list_builder *w = dv_list_builder_create(typed ? forced : DV_HT_NONE, NULL);
    dv_list_builder *s = dv_list_builder_create(typed ? forced : DV_HT_NONE, NULL);
    dv_list_import_opts o = {forced, strict, 0, NULL, NULL};
    chunks c = {data + 1, size - 1, 1 + (size * 7 + (size > 1 ? data[1] : 0)) % 16};
    dv_import_stats sw, ss;
    int rw, rs;
    if (w == NULL || s == NULL) abort();
    memset(&sw, 0, sizeof(sw));
    memset(&ss, 0, sizeof(ss));
    rw = dv__list_builder_import_text(w, "fuzz", data + 1, size - 1, max_line, forced, strict,
                                      &sw);
    rs = dv__list_builder_import_reader(s, "fuzz", chunk_read, &c, size - 1, max_line, &o, &ss);
    if (rw != rs || sw.lines != ss.lines || sw.entries != ss.entries || sw.bad != ss.bad ||
        w->n != s->n || w->type != s->type ||
        strcmp(dv_list_builder_errmsg(w), dv_list_builder_errmsg(s)) != 0)
        abort();
    if (rw == DV_OK && w->type != DV_HT_NONE) {
        uint8_t *bw = NULL, *bs = NULL;
        size_t lw = 0, ls = 0;
        int a = dv__list_builder_to_buffer(w, NULL, 0, &bw, &lw, NULL);
        int b = dv__list_builder_to_buffer(s, NULL, 0, &bs, &ls, NULL);
        if (a != b || lw != ls || (a == DV_OK && memcmp(bw, bs, lw) != 0)) abort();
        free(bw);
        free(bs);
    }
    dv_list_builder_free(w);
    dv_list_builder_free(s);
}

/* The first byte picks the mode: bit 0 strict; bits 1-4 the forced type (mod 9); bit 5 a
 * builder created with that type; bit 6 the input imported twice (duplicates everywhere);
 * bit 7 a small window for compare_streamed. */
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
    compare_streamed(data, size, forced, data[0] >> 5 & 1, strict);
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
