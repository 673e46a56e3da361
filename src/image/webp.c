/* webp.c - WebP adapter over libwebp: lossy and lossless, alpha dropped.
 * Animated WebP is refused with a clear message (no demuxing yet). */
#include "image_internal.h"

#include <string.h>

#include <webp/decode.h>

/* Fast mode, lossy (VP8) bitstreams: the luma plane alone, decoded without the loop filter,
 * widened from the video range 16..235 to 0..255 (R, G and B from libwebp's conversion all
 * carry 255/219 (Y - 16), and its chroma terms cancel in 0.299 R + 0.587 G + 0.114 B but
 * for clipping). Not exact: the filter's smoothing of block edges and the clipping of
 * saturated colours are missing, and the luma is rounded to a byte. */
static int decode_luma_fast(dv_decoder *d, const uint8_t *buf, size_t len,
                            WebPDecoderConfig *cfg, dv_image *out)
{
    const size_t w = (size_t)cfg->input.width, h = (size_t)cfg->input.height;
    const size_t uw = (w + 1) / 2, uh = (h + 1) / 2;
    uint8_t *pix = dv__decoder_pixels(d, w * h + 2 * uw * uh);
    uint8_t lut[256];
    VP8StatusCode st;

    if (pix == NULL) return DV_ENOMEM;
    cfg->options.bypass_filtering = 1;
    cfg->options.no_fancy_upsampling = 1;
    cfg->output.colorspace = MODE_YUV;
    cfg->output.is_external_memory = 1;
    cfg->output.u.YUVA.y = pix;
    cfg->output.u.YUVA.y_stride = (int)w;
    cfg->output.u.YUVA.y_size = w * h;
    cfg->output.u.YUVA.u = pix + w * h;
    cfg->output.u.YUVA.u_stride = (int)uw;
    cfg->output.u.YUVA.u_size = uw * uh;
    cfg->output.u.YUVA.v = pix + w * h + uw * uh;
    cfg->output.u.YUVA.v_stride = (int)uw;
    cfg->output.u.YUVA.v_size = uw * uh;
    st = WebPDecode(buf, len, cfg);
    WebPFreeDecBuffer(&cfg->output); /* external memory: frees nothing of ours */
    if (st != VP8_STATUS_OK) {
        dv__set_err(d->err, sizeof(d->err),
                    "webp: corrupt or truncated bitstream (%zu bytes, libwebp status %d)", len,
                    (int)st);
        return DV_ECORRUPT;
    }
    for (int v = 0; v < 256; v++) {
        int l = ((v - 16) * 255 * 2 + 219) / (2 * 219); /* round half up for v >= 16 */
        lut[v] = (uint8_t)(v < 16 ? 0 : l > 255 ? 255 : l);
    }
    for (size_t i = 0; i < w * h; i++) pix[i] = lut[pix[i]];
    out->width = (uint32_t)w;
    out->height = (uint32_t)h;
    out->channels = 1;
    out->stride = w;
    out->pixels = pix;
    return DV_OK;
}

int dv__decode_webp(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    WebPDecoderConfig cfg;
    VP8StatusCode st;
    int rc;
    size_t stride, need;
    uint8_t *pix;

    out->format = DV_FMT_WEBP;
    if (!WebPInitDecoderConfig(&cfg)) {
        dv__set_err(d->err, sizeof(d->err), "webp: libwebp version mismatch");
        return DV_EFORMAT;
    }
    st = WebPGetFeatures(buf, len, &cfg.input);
    if (st != VP8_STATUS_OK) {
        dv__set_err(d->err, sizeof(d->err), "webp: cannot read header (libwebp status %d)%s",
                    (int)st, st == VP8_STATUS_NOT_ENOUGH_DATA ? ": truncated" : "");
        return DV_ECORRUPT;
    }
    out->src_width = (uint32_t)cfg.input.width;
    out->src_height = (uint32_t)cfg.input.height;
    rc = dv__decoder_check_size(d, "webp", (uint64_t)cfg.input.width,
                                (uint64_t)cfg.input.height);
    if (rc != DV_OK) return rc;
    if (cfg.input.has_animation) {
        dv__set_err(d->err, sizeof(d->err), "webp: animated WebP is not supported");
        return DV_EFORMAT;
    }
    /* format 1: lossy (VP8, with or without an ALPH chunk); 2: lossless (VP8L) */
    if (d->opts.fast && cfg.input.format == 1) return decode_luma_fast(d, buf, len, &cfg, out);
    stride = (size_t)cfg.input.width * 3;
    need = stride * (size_t)cfg.input.height;
    pix = dv__decoder_pixels(d, need);
    if (pix == NULL) return DV_ENOMEM;
    if (WebPDecodeRGBInto(buf, len, pix, need, (int)stride) == NULL) {
        dv__set_err(d->err, sizeof(d->err), "webp: corrupt or truncated bitstream (%zu bytes)",
                    len);
        return DV_ECORRUPT;
    }
    out->width = (uint32_t)cfg.input.width;
    out->height = (uint32_t)cfg.input.height;
    out->channels = 3;
    out->stride = stride;
    out->pixels = pix;
    return DV_OK;
}
