/* crypto.c - MD5, SHA-1 and SHA-256 of raw bytes through OpenSSL's EVP interface.
 * All requested digests advance together chunk by chunk: one pass over the bytes. */
#include "../common/common.h"

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
