/* crypto.c - MD5, SHA-1 and SHA-256 of raw bytes through OpenSSL's EVP interface.
 * All requested digests advance together chunk by chunk: one pass over the bytes.
 * For many buffers at once, MD5 runs one buffer per vector lane (md5x.c). */
#include "../common/common.h"
#include "md5x.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define CHUNK (64u * 1024u)

int dv_digests_compute(unsigned algos, const void *bufp, size_t len, dv_digests *out)
{
    const uint8_t *buf = bufp;
    const EVP_MD *mds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
    const unsigned bits[3] = {DV_ALGO_MD5, DV_ALGO_SHA1, DV_ALGO_SHA256};
    uint8_t *dst[3];
    EVP_MD_CTX *ctx[3] = {NULL, NULL, NULL};
    int rc = DV_OK;

    if (out == NULL || (buf == NULL && len > 0)) return DV_EINVAL;
    memset(out, 0, sizeof(*out));
    dst[0] = out->md5;
    dst[1] = out->sha1;
    dst[2] = out->sha256;
    for (int i = 0; i < 3; i++) {
        if (!(algos & bits[i])) continue;
        ctx[i] = EVP_MD_CTX_new();
        if (ctx[i] == NULL || EVP_DigestInit_ex(ctx[i], mds[i], NULL) != 1) {
            rc = DV_ENOMEM;
            goto done;
        }
    }
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        for (int i = 0; i < 3; i++) {
            if (ctx[i] != NULL && EVP_DigestUpdate(ctx[i], buf + off, n) != 1) {
                rc = DV_EINVAL;
                goto done;
            }
        }
    }
    for (int i = 0; i < 3; i++) {
        unsigned int outlen = 0;
        if (ctx[i] == NULL) continue;
        if (EVP_DigestFinal_ex(ctx[i], dst[i], &outlen) != 1) {
            rc = DV_EINVAL;
            goto done;
        }
        out->have |= bits[i];
    }
done:
    for (int i = 0; i < 3; i++) EVP_MD_CTX_free(ctx[i]);
    return rc;
}

typedef struct len_idx {
    size_t len, idx;
} len_idx;

static int longer_first(const void *pa, const void *pb)
{
    const len_idx *a = pa, *b = pb;
    if (a->len != b->len) return a->len < b->len ? 1 : -1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int dv_digests_compute_many(unsigned algos, const void *const *bufs, const size_t *lens,
                            size_t n, dv_digests *out)
{
    unsigned rest = algos;
    int rc = DV_OK;
    if (n > 0 && (bufs == NULL || lens == NULL || out == NULL)) return DV_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (bufs[i] == NULL && lens[i] > 0) return DV_EINVAL;
    /* one message gains nothing from lanes; without SIMD, OpenSSL's MD5 is the faster */
    if ((algos & DV_ALGO_MD5) && n > 1 && dv_simd_best() != DV_SIMD_SCALAR) {
        /* longest first, so that short messages fill the lanes the long ones leave idle
         * (without memory for the order, the given order: the same digests) */
        len_idx *li = n <= SIZE_MAX / (sizeof(*li) + sizeof(size_t))
                          ? malloc(n * (sizeof(*li) + sizeof(size_t)))
                          : NULL;
        size_t *order = li ? (size_t *)(li + n) : NULL, skip = 0;
        if (li != NULL) {
            size_t lanes = dv__md5x_lanes(DV_SIMD_AUTO), rest_len = 0;
            for (size_t i = 0; i < n; i++) {
                li[i].len = lens[i];
                li[i].idx = i;
                rest_len += lens[i];
            }
            qsort(li, n, sizeof(*li), longer_first);
            for (size_t i = 0; i < n; i++) order[i] = li[i].idx;
            /* The lanes take about max(longest, total / lanes) / v, with v one lane's speed,
             * about 2/3 of OpenSSL's single-message MD5: a message so much longer than the
             * others that it would run on alone goes to OpenSSL, longest first, while that
             * shortens the estimate (in units of OpenSSL's time per byte). */
            while (skip + 1 < n) {
                double l0 = (double)lens[order[skip]], l1 = (double)lens[order[skip + 1]];
                double tot = (double)rest_len, nl = (double)lanes;
                double keep = 1.5 * (l0 > tot / nl ? l0 : tot / nl);
                double peel = l0 + 1.5 * (l1 > (tot - l0) / nl ? l1 : (tot - l0) / nl);
                if (peel >= keep) break;
                rest_len -= lens[order[skip]];
                skip++;
            }
        }
        for (size_t i = 0; i < skip; i++) {
            dv_digests d;
            int r = dv_digests_compute(DV_ALGO_MD5, bufs[order[i]], lens[order[i]], &d);
            if (r != DV_OK) rc = r;
            memcpy(out[order[i]].md5, d.md5, sizeof(d.md5));
        }
        rest &= ~(unsigned)DV_ALGO_MD5;
        dv__md5_many((const uint8_t *const *)bufs, lens, n - skip, DV_SIMD_AUTO,
                     order ? order + skip : NULL, out[0].md5, sizeof(dv_digests));
        free(li);
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t md5[16];
        int r;
        memcpy(md5, out[i].md5, sizeof(md5));
        r = dv_digests_compute(rest, bufs[i], lens[i], &out[i]);
        if (r != DV_OK && rc == DV_OK) rc = r;
        if (rest != algos) {
            memcpy(out[i].md5, md5, sizeof(md5));
            out[i].have |= DV_ALGO_MD5;
        }
    }
    return rc;
}
