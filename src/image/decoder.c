/* decoder.c - format sniffing and dispatch to the per-format adapters.
 * Owns the reusable pixel buffer and the pixel-count guard against decompression bombs. */
#include "image_internal.h"

#include <string.h>

dv_image_format dv_image_sniff(const void *bufp, size_t len)
{
    const uint8_t *b = bufp;
    if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return DV_FMT_JPEG;
    if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return DV_FMT_PNG;
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return DV_FMT_WEBP;
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return DV_FMT_GIF;
    return DV_FMT_UNKNOWN;
}

const char *dv_image_format_name(dv_image_format fmt)
{
    switch (fmt) {
    case DV_FMT_JPEG: return "jpeg";
    case DV_FMT_PNG: return "png";
    case DV_FMT_WEBP: return "webp";
    case DV_FMT_GIF: return "gif";
    default: return "unknown";
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *dv_image_kind(const void *bufp, size_t n)
{
    static const char *const brands[] = {"avif", "avis", "heic", "heix", "hevc", "hevx",
                                         "heim", "heis", "mif1", "msf1", NULL};
    const uint8_t *p = bufp;
    dv_image_format f = dv_image_sniff(p, n);
    if (f != DV_FMT_UNKNOWN) return dv_image_format_name(f);
    if (n >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0)) return "tiff";
    if (n >= 12 && memcmp(p + 4, "ftyp", 4) == 0)
        for (int i = 0; brands[i]; i++)
            if (memcmp(p + 8, brands[i], 4) == 0) return "heif";
    /* JPEG 2000: the JP2/JPX signature box, or a bare codestream (SOC then SIZ) */
    if ((n >= 12 && memcmp(p, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0) ||
        (n >= 4 && memcmp(p, "\xFF\x4F\xFF\x51", 4) == 0))
        return "jp2";
    if ((n >= 2 && p[0] == 0xFF && p[1] == 0x0A) ||
        (n >= 12 && memcmp(p, "\0\0\0\x0cJXL \r\n\x87\n", 12) == 0))
        return "jxl";
    if (n >= 26 && p[0] == 'B' && p[1] == 'M' && le32(p + 6) == 0 && le32(p + 2) >= 26) {
        uint32_t dib = le32(p + 14);
        if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 108 || dib == 124)
            return "bmp";
    }
    return NULL;
}

dv_decoder *dv_decoder_create(const dv_decode_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_decoder *d = dv__calloc(a, 1, sizeof(*d));
    if (d == NULL) return NULL;
    if (opts) d->opts = *opts;
    d->alloc = a;
    if (d->opts.max_pixels == 0) d->opts.max_pixels = DV_DEFAULT_MAX_PIXELS;
    if (d->opts.fast_min_side == 0) d->opts.fast_min_side = 256;
    return d;
}

void dv_decoder_free(dv_decoder *d)
{
    if (d == NULL) return;
    dv__free(d->alloc, d->pix);
    dv__free(d->alloc, d->aux);
    dv__free(d->alloc, d->ebuf);
    dv__free(d->alloc, d->jhuff);
    dv__free(d->alloc, d);
}

const char *dv_decoder_errmsg(const dv_decoder *d) { return d ? d->err : ""; }

static uint8_t *grow(dv_decoder *d, uint8_t **p, size_t *cap, size_t n)
{
    if (n > *cap) {
        /* no realloc: old contents are never needed, and copying them is waste */
        dv__free(d->alloc, *p);
        *p = dv__malloc(d->alloc, n);
        *cap = *p ? n : 0;
    }
    return *p;
}

uint8_t *dv__decoder_pixels(dv_decoder *d, size_t n) { return grow(d, &d->pix, &d->pixcap, n); }
uint8_t *dv__decoder_aux(dv_decoder *d, size_t n) { return grow(d, &d->aux, &d->auxcap, n); }

int dv__decoder_check_size(dv_decoder *d, const char *fmt, uint64_t w, uint64_t h)
{
    if (w == 0 || h == 0) {
        dv__set_err(d->err, sizeof(d->err), "%s: image has zero width or height", fmt);
        return DV_ECORRUPT;
    }
    if (w > UINT32_MAX || h > UINT32_MAX || w * h > d->opts.max_pixels) {
        dv__set_err(d->err, sizeof(d->err),
                    "%s: %llux%llu is %llu pixels, over the limit of %llu (--max-pixels)", fmt,
                    (unsigned long long)w, (unsigned long long)h, (unsigned long long)(w * h),
                    (unsigned long long)d->opts.max_pixels);
        return DV_ETOOBIG;
    }
    return DV_OK;
}

int dv_decoder_decode(dv_decoder *d, const void *buf, size_t len, dv_image *out)
{
    int rc;
    if (d == NULL || out == NULL || (buf == NULL && len > 0)) return DV_EINVAL;
    memset(out, 0, sizeof(*out));
    d->err[0] = '\0';
    out->scale_denom = 1;
    switch (dv_image_sniff(buf, len)) {
    case DV_FMT_JPEG: rc = dv__decode_jpeg(d, buf, len, out); break;
    case DV_FMT_PNG: rc = dv__decode_png(d, buf, len, out); break;
    case DV_FMT_WEBP: rc = dv__decode_webp(d, buf, len, out); break;
    case DV_FMT_GIF: rc = dv__decode_gif(d, buf, len, out); break;
    default:
        dv__set_err(d->err, sizeof(d->err), "not a JPEG, PNG, WebP or GIF file (%zu bytes)", len);
        return DV_EFORMAT;
    }
    if (rc == DV_ENOMEM && d->err[0] == '\0')
        dv__set_err(d->err, sizeof(d->err), "out of memory decoding image");
    return rc;
}
