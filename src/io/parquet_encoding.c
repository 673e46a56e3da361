/* parquet_encoding.c - Parquet's bit-level encodings: the RLE / bit-packed hybrid (levels,
 * dictionary indices, booleans) both ways, and DELTA_BINARY_PACKED decoding. */
#include "parquet_internal.h"

#include <string.h>

uint64_t dv__bits_get(const uint8_t *p, size_t len, uint64_t bitpos, unsigned bw)
{
    size_t byte = (size_t)(bitpos >> 3);
    unsigned off = (unsigned)(bitpos & 7);
    uint64_t v = 0;
    unsigned got = 0;
    if (bw == 0) return 0;
    if (byte + 8 <= len && bw + off <= 64) {
        uint64_t w = 0;
        for (int i = 7; i >= 0; i--) w = (w << 8) | p[byte + (size_t)i];
        w >>= off;
        return bw == 64 ? w : (w & ((UINT64_C(1) << bw) - 1));
    }
    while (got < bw) {
        unsigned take = 8 - off;
        if (take > bw - got) take = bw - got;
        v |= (uint64_t)((p[byte] >> off) & ((1u << take) - 1)) << got;
        got += take;
        off = 0;
        byte++;
    }
    return v;
}

static int read_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end) return DV_ECORRUPT;
        v |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p++ & 0x80)) {
            *pp = p;
            *out = v;
            return DV_OK;
        }
    }
    return DV_ECORRUPT;
}

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

void dv__rle_init(dv__rle *d, const uint8_t *p, size_t len, unsigned bw)
{
    memset(d, 0, sizeof(*d));
    d->p = p;
    d->end = p + len;
    d->bw = bw;
}

static int rle_next_run(dv__rle *d)
{
    uint64_t h;
    if (read_uvarint(&d->p, d->end, &h) != DV_OK) return DV_ECORRUPT;
    if (h & 1) {
        uint64_t groups = h >> 1, bytes = groups * d->bw, avail = (uint64_t)(d->end - d->p);
        if (groups > (UINT32_MAX >> 3)) return DV_ECORRUPT;
        d->bp_left = (uint32_t)(groups * 8);
        d->bp = d->p;
        d->bp_bit = 0;
        /* a final run may be cut short: values past its bytes fail when read */
        if (bytes > avail) bytes = avail;
        d->bp_bits = bytes * 8;
        d->p += bytes;
    } else {
        unsigned nb = (d->bw + 7) / 8;
        uint32_t v = 0;
        if (h >> 1 > UINT32_MAX) return DV_ECORRUPT;
        if ((size_t)(d->end - d->p) < nb) return DV_ECORRUPT;
        for (unsigned i = 0; i < nb; i++) v |= (uint32_t)d->p[i] << (8 * i);
        d->p += nb;
        d->rle_left = (uint32_t)(h >> 1);
        d->rle_value = v;
    }
    return DV_OK;
}

int dv__rle_get(dv__rle *d, uint32_t *out, size_t n)
{
    size_t i = 0;
    if (d->bw == 0) {
        memset(out, 0, n * sizeof(*out));
        return DV_OK;
    }
    while (i < n) {
        if (d->rle_left) {
            size_t k = d->rle_left < n - i ? d->rle_left : n - i;
            for (size_t j = 0; j < k; j++) out[i + j] = d->rle_value;
            i += k;
            d->rle_left -= (uint32_t)k;
        } else if (d->bp_left) {
            size_t k = d->bp_left < n - i ? d->bp_left : n - i;
            size_t len = (size_t)(d->bp_bits >> 3);
            if (d->bp_bit + (uint64_t)k * d->bw > d->bp_bits) return DV_ECORRUPT;
            for (size_t j = 0; j < k; j++) {
                out[i + j] = (uint32_t)dv__bits_get(d->bp, len, d->bp_bit, d->bw);
                d->bp_bit += d->bw;
            }
            i += k;
            d->bp_left -= (uint32_t)k;
        } else {
            DV_FORWARD_IF_ERROR(rle_next_run(d));
        }
    }
    return DV_OK;
}

static void put_uvarint(dv__buf *out, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    dv__buf_put(out, tmp, n);
}

/* Bit-pack groups of 8 values [from, from + 8 * groups), zero-padding past n. */
static void put_packed(dv__buf *out, const uint32_t *v, size_t n, size_t from, size_t groups,
                       unsigned bw)
{
    size_t nbytes = groups * bw;
    uint64_t acc = 0;
    unsigned accbits = 0;
    put_uvarint(out, ((uint64_t)groups << 1) | 1);
    if (dv__buf_reserve(out, nbytes) != DV_OK) return;
    for (size_t i = from; i < from + groups * 8; i++) {
        uint64_t x = i < n ? v[i] : 0;
        acc |= x << accbits;
        accbits += bw;
        while (accbits >= 8) {
            uint8_t b = (uint8_t)acc;
            dv__buf_put(out, &b, 1);
            acc >>= 8;
            accbits -= 8;
        }
    }
}

int dv__rle_encode(dv__buf *out, const uint32_t *v, size_t n, unsigned bw)
{
    size_t i = 0, lit_start = 0, lit = 0; /* pending literal values */
    unsigned nb = (bw + 7) / 8;
    if (bw == 0) {
        /* only zeros: one run says it */
        if (n) put_uvarint(out, (uint64_t)n << 1);
        return out->failed;
    }
    while (i < n) {
        size_t run = 1;
        while (i + run < n && v[i + run] == v[i]) run++;
        /* literals go out in whole groups of 8, so a run starts on a group boundary */
        if (run >= 8 && lit % 8 == 0) {
            if (lit) put_packed(out, v, n, lit_start, lit / 8, bw);
            lit = 0;
            put_uvarint(out, (uint64_t)run << 1);
            for (unsigned b = 0; b < nb; b++) {
                uint8_t c = (uint8_t)(v[i] >> (8 * b));
                dv__buf_put(out, &c, 1);
            }
            i += run;
            lit_start = i;
        } else {
            if (lit == 0) lit_start = i;
            /* take values one by one until the literal block is group-aligned */
            lit++;
            i++;
        }
    }
    if (lit) put_packed(out, v, n, lit_start, (lit + 7) / 8, bw);
    return out->failed;
}

/* ---------------------------------------------------------------- DELTA_BINARY_PACKED */

typedef struct delta_hdr {
    uint64_t block_size, miniblocks, total, per_mini;
    int64_t first;
} delta_hdr;

static int delta_header(const uint8_t **pp, const uint8_t *end, delta_hdr *h)
{
    uint64_t zz;
    if (read_uvarint(pp, end, &h->block_size) || read_uvarint(pp, end, &h->miniblocks) ||
        read_uvarint(pp, end, &h->total) || read_uvarint(pp, end, &zz))
        return DV_ECORRUPT;
    h->first = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    if (h->block_size == 0 || h->block_size % 128 || h->block_size > (1u << 20) ||
        h->miniblocks == 0 || h->miniblocks > h->block_size || h->block_size % h->miniblocks)
        return DV_ECORRUPT;
    h->per_mini = h->block_size / h->miniblocks;
    if (h->per_mini % 32) return DV_ECORRUPT;
    return DV_OK;
}

int dv__delta_count(const uint8_t *p, size_t len, uint64_t *total_out)
{
    delta_hdr h;
    if (delta_header(&p, p + len, &h) != DV_OK) return DV_ECORRUPT;
    *total_out = h.total;
    return DV_OK;
}

int dv__delta_decode(const uint8_t *p, size_t len, uint64_t *out, size_t count, uint64_t *total_out,
                     size_t *used, const char **why)
{
    const uint8_t *start = p, *end = p + len;
    delta_hdr h;
    uint64_t n = 0, prev;
    if (delta_header(&p, end, &h) != DV_OK) {
        *why = "bad DELTA_BINARY_PACKED header";
        return DV_ECORRUPT;
    }
    *total_out = h.total;
    if (count > h.total) {
        *why = "DELTA_BINARY_PACKED holds fewer values than the page";
        return DV_ECORRUPT;
    }
    prev = (uint64_t)h.first;
    if (count > 0) out[n++] = prev;
    while (n < count) {
        uint64_t zz;
        int64_t min_delta;
        const uint8_t *widths;
        if (read_uvarint(&p, end, &zz) != DV_OK) {
            *why = "DELTA_BINARY_PACKED block header truncated";
            return DV_ECORRUPT;
        }
        min_delta = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
        if ((uint64_t)(end - p) < h.miniblocks) {
            *why = "DELTA_BINARY_PACKED bit widths truncated";
            return DV_ECORRUPT;
        }
        widths = p;
        p += h.miniblocks;
        for (uint64_t m = 0; m < h.miniblocks && n < count; m++) {
            unsigned bw = widths[m];
            uint64_t bytes, avail = (uint64_t)(end - p), want;
            if (bw > 64) {
                *why = "DELTA_BINARY_PACKED bit width over 64";
                return DV_ECORRUPT;
            }
            bytes = h.per_mini * bw / 8;
            want = h.per_mini < count - n ? h.per_mini : count - n;
            if ((want * bw + 7) / 8 > avail) {
                *why = "DELTA_BINARY_PACKED miniblock truncated";
                return DV_ECORRUPT;
            }
            if (bytes > avail) bytes = avail;
            for (uint64_t i = 0; i < want; i++) {
                prev += (uint64_t)min_delta + dv__bits_get(p, (size_t)bytes, i * bw, bw);
                out[n++] = prev;
            }
            p += bytes;
        }
    }
    *used = (size_t)(p - start);
    return DV_OK;
}
