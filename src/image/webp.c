/* webp.c - WebP adapter over libwebp: lossy and lossless, alpha dropped.
 * Animated WebP is refused with a clear message (no demuxing yet). */
#include "image_internal.h"

#include <string.h>

#include <webp/decode.h>

int dv__decode_webp(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st;
    int rc;
    size_t stride, need;
    uint8_t *pix;

    out->format = DV_FMT_WEBP;
    st = WebPGetFeatures(buf, len, &f);
    if (st != VP8_STATUS_OK) {
        dv__set_err(d->err, sizeof(d->err), "webp: cannot read header (libwebp status %d)%s",
                    (int)st, st == VP8_STATUS_NOT_ENOUGH_DATA ? ": truncated" : "");
        return DV_ECORRUPT;
    }
    out->src_width = (uint32_t)f.width;
    out->src_height = (uint32_t)f.height;
    rc = dv__decoder_check_size(d, "webp", (uint64_t)f.width, (uint64_t)f.height);
    if (rc != DV_OK) return rc;
    if (f.has_animation) {
        dv__set_err(d->err, sizeof(d->err), "webp: animated WebP is not supported");
        return DV_EFORMAT;
    }
    stride = (size_t)f.width * 3;
    need = stride * (size_t)f.height;
    pix = dv__decoder_pixels(d, need);
    if (pix == NULL) return DV_ENOMEM;
    if (WebPDecodeRGBInto(buf, len, pix, need, (int)stride) == NULL) {
        dv__set_err(d->err, sizeof(d->err), "webp: corrupt or truncated bitstream (%zu bytes)",
                    len);
        return DV_ECORRUPT;
    }
    out->width = (uint32_t)f.width;
    out->height = (uint32_t)f.height;
    out->channels = 3;
    out->stride = stride;
    out->pixels = pix;
    return DV_OK;
}
