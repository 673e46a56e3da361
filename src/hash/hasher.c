/* hasher.c - everything datavet computes for one file in memory: digests, decode, PDQ.
 * Decoder and PDQ buffers are kept between items so big allocations happen once. */
#include "../common/common.h"

#include <string.h>

struct dv_hasher {
    dv_hasher_opts opts;
    dv_decoder *dec;
    dv_pdq_hasher *pdq;
    char err[320];
};

dv_hasher *dv_hasher_create(const dv_hasher_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_hasher *h = dv__calloc(a, 1, sizeof(*h));
    dv_decode_opts dopts;
    dv_pdq_opts popts;
    if (h == NULL) return NULL;
    if (opts) h->opts = *opts;
    if (h->opts.algos == 0) h->opts.algos = DV_ALGO_ALL;
    memset(&dopts, 0, sizeof(dopts));
    dopts.max_pixels = h->opts.max_pixels;
    dopts.fast = h->opts.fast;
    dopts.fast_min_side = h->opts.fast_min_side;
    dopts.alloc = a;
    dopts.simd = h->opts.simd;
    dopts.fast_skip_refine = h->opts.fast;
    memset(&popts, 0, sizeof(popts));
    popts.dihedral = h->opts.dihedral;
    popts.preresize512 = h->opts.preresize512;
    popts.simd = h->opts.simd;
    popts.alloc = a;
    popts.fast = h->opts.fast;
    h->dec = dv_decoder_create(&dopts);
    h->pdq = dv_pdq_hasher_create(&popts);
    if (h->dec == NULL || h->pdq == NULL) {
        dv_hasher_free(h);
        return NULL;
    }
    return h;
}

void dv_hasher_free(dv_hasher *h)
{
    if (h == NULL) return;
    dv_decoder_free(h->dec);
    dv_pdq_hasher_free(h->pdq);
    dv__free(h->opts.alloc, h);
}

const char *dv_hasher_errmsg(const dv_hasher *h) { return h ? h->err : ""; }

int dv_hasher_hash(dv_hasher *h, const void *buf, size_t len, dv_hash_result *out)
{
    return dv_hasher_hash_digested(h, buf, len, NULL, out);
}

int dv_hasher_hash_digested(dv_hasher *h, const void *buf, size_t len, const dv_digests *pre,
                            dv_hash_result *out)
{
    int rc;
    dv_image img;
    unsigned want, have;
    if (h == NULL || out == NULL || (buf == NULL && len > 0)) return DV_EINVAL;
    memset(out, 0, sizeof(*out));
    h->err[0] = '\0';
    want = h->opts.algos & (DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256);
    have = pre ? pre->have & want : 0;
    rc = dv_digests_compute(want & ~have, buf, len, &out->digests);
    if (rc != DV_OK) {
        dv__set_err(h->err, sizeof(h->err), "digest failed: %s", dv_strerror(rc));
        return rc;
    }
    if (have & DV_ALGO_MD5) memcpy(out->digests.md5, pre->md5, sizeof(pre->md5));
    if (have & DV_ALGO_SHA1) memcpy(out->digests.sha1, pre->sha1, sizeof(pre->sha1));
    if (have & DV_ALGO_SHA256) memcpy(out->digests.sha256, pre->sha256, sizeof(pre->sha256));
    out->digests.have |= have;
    out->format = dv_image_sniff(buf, len);
    if (!(h->opts.algos & DV_ALGO_PDQ)) return DV_OK;
    rc = dv_decoder_decode(h->dec, buf, len, &img);
    out->width = img.src_width;
    out->height = img.src_height;
    if (rc != DV_OK) {
        dv__set_err(h->err, sizeof(h->err), "%s", dv_decoder_errmsg(h->dec));
        return rc;
    }
    rc = dv_pdq_hash_image(h->pdq, &img, &out->pdq);
    if (rc != DV_OK) {
        dv__set_err(h->err, sizeof(h->err), "pdq: %s", dv_strerror(rc));
        return rc;
    }
    out->has_pdq = 1;
    return DV_OK;
}
