/* gguf.c - GGUF metadata as "key: value" lines (gguf.h): a bounded walk over the key-value
 * pairs at the start of a GGUF file (ggml docs/gguf.md), both byte orders, versions 1 to 3. */
#include "gguf.h"

#include "../common/common.h"

#include <assert.h>
#include <string.h>

enum {
    GT_STRING = 8,
    GT_ARRAY = 9,
    GT_LAST = 12 /* f64 */
};

/* Bytes of a value of each fixed-size type; 0 for string and array. */
static const uint8_t type_size[GT_LAST + 1] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static const char stop_short[] = "the bytes given end inside the metadata";

typedef struct rd {
    const uint8_t *p;
    size_t len, pos;
    int be;       /* numbers are big-endian */
    size_t width; /* bytes of a length or count: 8 (v2, v3) or 4 (v1) */
    char *text;
    size_t cap, tl;
    const char *stop;
} rd;

static int halt(rd *r, const char *why)
{
    if (!r->stop) r->stop = why;
    return -1;
}

/* An n-byte unsigned number in the file's byte order. */
static int get(rd *r, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n > r->len - r->pos) return halt(r, stop_short);
    for (size_t i = 0; i < n; i++) {
        size_t k = r->be ? i : n - 1 - i;
        x = x << 8 | r->p[r->pos + k];
    }
    r->pos += n;
    *v = x;
    return 0;
}

static void put_bytes(rd *r, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) r->text[r->tl + i] = s[i] ? (char)s[i] : ' ';
    r->tl += n;
}

/* "key: value\n", whole or not at all. */
static int put_line(rd *r, const uint8_t *key, size_t klen, const uint8_t *s, size_t n)
{
    size_t room = r->cap - 1 - r->tl;
    if (klen > room || n > room - klen || room - klen - n < 3) return halt(r, "the text is full");
    put_bytes(r, key, klen);
    r->text[r->tl++] = ':';
    r->text[r->tl++] = ' ';
    put_bytes(r, s, n);
    r->text[r->tl++] = '\n';
    r->text[r->tl] = '\0';
    return 0;
}

/* Every call takes at least 1 byte or stops, so a count bounds nothing: the bytes do. */
static int value(rd *r, uint64_t type, const uint8_t *key, size_t klen, int emit, unsigned depth)
{
    uint64_t n, et;
    if (type > GT_LAST) return halt(r, "a value type that is not GGUF's");
    if (type == GT_STRING) {
        if (get(r, r->width, &n)) return -1;
        if (n > r->len - r->pos) return halt(r, stop_short);
        if (emit && put_line(r, key, klen, r->p + r->pos, (size_t)n)) return -1;
        r->pos += (size_t)n;
        return 0;
    }
    if (type != GT_ARRAY) {
        if (type_size[type] > r->len - r->pos) return halt(r, stop_short);
        r->pos += type_size[type];
        return 0;
    }
    if (depth >= DV__GGUF_MAX_DEPTH) return halt(r, "arrays nested too deep");
    if (get(r, 4, &et) || get(r, r->width, &n)) return -1;
    if (et > GT_LAST) return halt(r, "a value type that is not GGUF's");
    if (type_size[et]) {
        if (n > (r->len - r->pos) / type_size[et]) return halt(r, stop_short);
        r->pos += (size_t)n * type_size[et];
        return 0;
    }
    /* strings and arrays: each element takes at least its length or header */
    for (uint64_t i = 0; i < n; i++)
        if (value(r, et, key, klen, emit, depth + 1)) return -1;
    return 0;
}

int dv__gguf_read(const void *buf, size_t len, char *text, size_t cap, dv__gguf_info *out)
{
    static const char tok[] = "tokenizer.";
    rd r;
    uint64_t ver;
    assert(out && (buf || !len));
    memset(out, 0, sizeof *out);
    if (text && cap) text[0] = '\0';
    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    r.text = cap ? text : NULL;
    r.cap = cap;
    if (len < 4) return DV_ECORRUPT;
    if (memcmp(buf, "GGUF", 4) != 0) return DV_EFORMAT;
    r.pos = 4;
    if (get(&r, 4, &ver)) return DV_ECORRUPT;
    if (ver < 1 || ver > 3) {
        /* a big-endian file reads as 0x03000000 here */
        uint32_t sw = (uint32_t)((ver & 0xffu) << 24 | (ver & 0xff00u) << 8 |
                                 (ver >> 8 & 0xff00u) | ver >> 24);
        if (sw < 1 || sw > 3) {
            out->version = (uint32_t)ver;
            return DV_EFORMAT;
        }
        r.be = 1;
        ver = sw;
    }
    out->version = (uint32_t)ver;
    out->big_endian = r.be;
    r.width = ver == 1 ? 4 : 8;
    if (get(&r, r.width, &out->tensors) || get(&r, r.width, &out->keys)) return DV_ECORRUPT;
    out->end = r.pos;
    for (uint64_t i = 0; i < out->keys; i++) {
        uint64_t kl, type;
        const uint8_t *key;
        int emit;
        if (get(&r, r.width, &kl)) break;
        if (kl > DV__GGUF_MAX_KEY) {
            halt(&r, "a key longer than 65535 bytes");
            break;
        }
        if (kl > r.len - r.pos) {
            halt(&r, stop_short);
            break;
        }
        key = r.p + r.pos;
        r.pos += (size_t)kl;
        if (get(&r, 4, &type)) break;
        emit = r.text && !(kl >= sizeof tok - 1 && memcmp(key, tok, sizeof tok - 1) == 0);
        if (value(&r, type, key, (size_t)kl, emit, 0)) break;
        out->keys_read++;
        out->end = r.pos;
    }
    out->text_len = r.tl;
    out->stop = r.stop;
    return DV_OK;
}
