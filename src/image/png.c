/* png.c - PNG adapter over libpng: palette, grey, 16-bit, alpha, interlace -> grey or RGB.
 * Alpha is stripped, not composited; 16-bit samples keep their high byte. */
#include "image_internal.h"

#include <setjmp.h>
#include <string.h>

#include <png.h>

typedef struct png_src {
    const uint8_t *buf;
    size_t len;
    size_t off;
    dv_decoder *dec;
} png_src;

static void on_read(png_structp png, png_bytep data, png_size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->off) {
        dv__set_err(s->dec->err, sizeof(s->dec->err),
                    "png: truncated: wanted %zu bytes at offset %zu of %zu", (size_t)n, s->off,
                    s->len);
        png_longjmp(png, 2);
    }
    memcpy(data, s->buf + s->off, n);
    s->off += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    dv__set_err(s->dec->err, sizeof(s->dec->err), "png: %s (near offset %zu)", msg, s->off);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int dv__decode_png(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    png_structp png;
    png_infop info = NULL;
    png_src src = {buf, len, 0, d};
    png_uint_32 w, h;
    int depth, ctype, outch;
    volatile int rc = DV_OK;
    size_t stride, need;
    uint8_t *pix;
    png_bytep *rows;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    if (png == NULL) return DV_ENOMEM;
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return DV_ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return rc != DV_OK ? rc : DV_ECORRUPT;
    }
    /* Bound what ancillary chunks (zTXt, iCCP) may decompress to. */
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);
    /* Text and colour-profile chunks are never used: skip them rather than inflate them. */
    {
        static const png_byte skip[] = "zTXt\0iTXt\0tEXt\0iCCP\0sPLT\0";
        png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skip, 5);
    }
    png_set_read_fn(png, &src, on_read);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
    out->format = DV_FMT_PNG;
    out->src_width = w;
    out->src_height = h;
    rc = dv__decoder_check_size(d, "png", w, h);
    if (rc != DV_OK) png_longjmp(png, 1);

    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    /* Alpha, and tRNS that palette expansion would turn into alpha, are dropped. */
    if ((ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    outch = png_get_channels(png, info);
    if (outch != 1 && outch != 3) {
        rc = DV_EFORMAT;
        dv__set_err(d->err, sizeof(d->err), "png: unexpected %d channels after conversion",
                    outch);
        png_longjmp(png, 1);
    }
    stride = (size_t)w * (size_t)outch;
    need = stride * h;
    pix = dv__decoder_pixels(d, need);
    rows = (png_bytep *)dv__decoder_aux(d, sizeof(png_bytep) * (size_t)h);
    if (pix == NULL || rows == NULL) {
        rc = DV_ENOMEM;
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pix + (size_t)y * stride;
    png_read_image(png, rows);
    /* The end chunks are not needed for the pixels; a missing IEND is tolerated. */
    png_destroy_read_struct(&png, &info, NULL);
    out->width = w;
    out->height = h;
    out->channels = (uint32_t)outch;
    out->stride = stride;
    out->pixels = pix;
    return DV_OK;
}
