/* webp.c - WebP adapter over libwebp: lossy and lossless, alpha dropped; of an animated WebP
 * its first frame (libwebp's demuxer), painted at its offset on a black canvas. */
#include "image_internal.h"

#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

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

/* An animated WebP: its first frame, as GIF's first frame is taken. The canvas is the
 * container's size (checked against the limits like any image), black where the frame does not
 * cover it: what libwebp's own animation decoder and Pillow start from (transparent black; the
 * container's background colour is only a hint, the format says). The frame's colour channels
 * are taken as stored, its alpha dropped, as for a still image. */
static int decode_first_frame(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    WebPData data = {buf, len};
    WebPDemuxer *dmx;
    WebPIterator it;
    uint32_t cw, ch;
    size_t stride, need;
    uint8_t *pix;
    int rc = DV_OK;

    dmx = WebPDemux(&data);
    if (dmx == NULL) {
        dv__set_err(d->err, sizeof(d->err), "webp: animated WebP: cannot read its chunks "
                    "(corrupt or truncated, %zu bytes)", len);
        return DV_ECORRUPT;
    }
    cw = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH);
    ch = WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
    if (!WebPDemuxGetFrame(dmx, 1, &it)) {
        dv__set_err(d->err, sizeof(d->err), "webp: animated WebP without a frame");
        WebPDemuxDelete(dmx);
        return DV_ECORRUPT;
    }
    rc = dv__decoder_check_size(d, "webp", cw, ch);
    if (rc == DV_OK && (it.x_offset < 0 || it.y_offset < 0 || it.width <= 0 || it.height <= 0 ||
                        (uint64_t)it.x_offset + (uint64_t)it.width > cw ||
                        (uint64_t)it.y_offset + (uint64_t)it.height > ch)) {
        dv__set_err(d->err, sizeof(d->err), "webp: animated WebP: first frame %dx%d at (%d, %d) "
                    "outside its %ux%u canvas", it.width, it.height, it.x_offset, it.y_offset,
                    cw, ch);
        rc = DV_ECORRUPT;
    }
    if (rc == DV_OK) {
        stride = (size_t)cw * 3;
        need = stride * ch;
        pix = dv__decoder_pixels(d, need);
        if (pix == NULL) rc = DV_ENOMEM;
    }
    if (rc == DV_OK) {
        uint8_t *at = pix + (size_t)it.y_offset * stride + (size_t)it.x_offset * 3;
        memset(pix, 0, need);
        if (WebPDecodeRGBInto(it.fragment.bytes, it.fragment.size, at,
                              need - (size_t)(at - pix), (int)stride) == NULL) {
            dv__set_err(d->err, sizeof(d->err), "webp: animated WebP: first frame corrupt or "
                        "truncated (%zu bytes)", it.fragment.size);
            rc = DV_ECORRUPT;
        }
    }
    if (rc == DV_OK) {
        out->width = cw;
        out->height = ch;
        out->channels = 3;
        out->stride = stride;
        out->pixels = pix;
    }
    WebPDemuxReleaseIterator(&it);
    WebPDemuxDelete(dmx);
    return rc;
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
    if (cfg.input.has_animation) return decode_first_frame(d, buf, len, out);
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
