/* test_image.c - the four image adapters on synthetic JPEG/PNG/WebP/GIF made by imggen.c:
 * every variant's size and pixels, corrupt and truncated input, limits, reuse, fast mode, OOM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <cmocka.h>

#include "datavet.h"
#include "imggen.h"
#include "testutil.h"

/* ------------------------------------------------------------------ helpers */

typedef struct sample {
    const char *name;
    uint8_t *buf;
    size_t len;
    int w, h;
    dv_image_format fmt;
    size_t tail; /* bytes at the end whose loss the decoder may tolerate (IEND, GIF trailer) */
} sample;

static dv_decoder *mkdec(uint64_t max_pixels)
{
    dv_decode_opts o = {0};
    o.max_pixels = max_pixels;
    dv_decoder *d = dv_decoder_create(&o);
    assert_non_null(d);
    return d;
}

static void decode_ok(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *im)
{
    int rc = dv_decoder_decode(d, buf, len, im);
    if (rc != DV_OK) fail_msg("decode failed: %d %s", rc, dv_decoder_errmsg(d));
    assert_non_null(im->pixels);
    assert_true(im->channels == 1 || im->channels == 3);
    assert_true(im->stride >= (size_t)im->width * im->channels);
}

/* Expected value of channel c of source pixel p for an image of `channels` channels. */
static uint8_t want(const uint8_t *p, uint32_t channels, uint32_t c)
{
    return channels == 1 ? p[0] : p[c];
}

/* Largest and mean absolute difference between a decoded image and RGBA/CMYK-free source
 * pixels px (grey images compare against the first byte). */
static void diff_src(const dv_image *im, const uint8_t *px, int *maxd, double *mean)
{
    double sum = 0;
    int mx = 0;
    for (uint32_t y = 0; y < im->height; y++) {
        const uint8_t *row = im->pixels + (size_t)y * im->stride;
        for (uint32_t x = 0; x < im->width; x++) {
            const uint8_t *p = px + ((size_t)y * im->width + x) * 4;
            for (uint32_t c = 0; c < im->channels; c++) {
                int dlt =
                    abs((int)row[(size_t)x * im->channels + c] - (int)want(p, im->channels, c));
                sum += dlt;
                if (dlt > mx) mx = dlt;
            }
        }
    }
    *maxd = mx;
    *mean = sum / ((double)im->width * im->height * im->channels);
}

/* Every pixel within tol of one colour (channels values from col). */
static void assert_solid(const dv_image *im, const uint8_t *col, int tol)
{
    for (uint32_t y = 0; y < im->height; y++)
        for (uint32_t x = 0; x < im->width; x++)
            for (uint32_t c = 0; c < im->channels; c++) {
                int v = im->pixels[(size_t)y * im->stride + (size_t)x * im->channels + c];
                if (abs(v - (int)col[c]) > tol)
                    fail_msg("pixel (%u,%u) channel %u is %d, want %d +- %d", x, y, c, v, col[c],
                             tol);
            }
}

static void assert_same_image(const dv_image *a, const dv_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->channels, b->channels);
    assert_int_equal(a->format, b->format);
    assert_int_equal(a->src_width, b->src_width);
    assert_int_equal(a->src_height, b->src_height);
    assert_int_equal(a->scale_denom, b->scale_denom);
    for (uint32_t y = 0; y < a->height; y++)
        assert_memory_equal(a->pixels + (size_t)y * a->stride, b->pixels + (size_t)y * b->stride,
                            (size_t)a->width * a->channels);
}

/* A decoded copy that outlives the decoder's next call. */
typedef struct img_copy {
    dv_image im;
    uint8_t *px;
} img_copy;

static void copy_image(const dv_image *im, img_copy *out)
{
    size_t row = (size_t)im->width * im->channels;
    out->im = *im;
    out->px = malloc(row * im->height + 1);
    assert_non_null(out->px);
    for (uint32_t y = 0; y < im->height; y++)
        memcpy(out->px + (size_t)y * row, im->pixels + (size_t)y * im->stride, row);
    out->im.stride = row;
    out->im.pixels = out->px;
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static const uint8_t k_colour[4] = {200, 100, 50, 255};

/* A small set of files of every format, used by the corruption and truncation tests. */
static size_t make_samples(sample *s, size_t cap)
{
    size_t n = 0;
    const int w = 29, h = 21; /* odd sizes: partial MCUs, partial interlace passes */
#define ADD(nm, fm, tl, expr)                                                                      \
    do {                                                                                           \
        assert_true(n < cap);                                                                      \
        s[n].name = nm;                                                                            \
        s[n].fmt = fm;                                                                             \
        s[n].tail = tl;                                                                            \
        s[n].w = w;                                                                                \
        s[n].h = h;                                                                                \
        s[n].buf = (expr);                                                                         \
        if (s[n].buf == NULL) fail_msg("imggen failed for %s", nm);                                \
        n++;                                                                                       \
    } while (0)
    ADD("jpeg rgb", DV_FMT_JPEG, 0, ig_jpeg_pat(w, h, IG_PAT_GRADIENT, IG_JPEG_RGB, &s[n].len));
    ADD("jpeg grey", DV_FMT_JPEG, 0, ig_jpeg_pat(w, h, IG_PAT_SHAPES, IG_JPEG_GREY, &s[n].len));
    ADD("jpeg cmyk", DV_FMT_JPEG, 0, ig_jpeg_pat(w, h, IG_PAT_GRADIENT, IG_JPEG_CMYK, &s[n].len));
    ADD("jpeg ycck", DV_FMT_JPEG, 0, ig_jpeg_pat(w, h, IG_PAT_SHAPES, IG_JPEG_YCCK, &s[n].len));
    ADD("jpeg progressive", DV_FMT_JPEG, 0,
        ig_jpeg_pat(w, h, IG_PAT_GRADIENT, IG_JPEG_PROGRESSIVE, &s[n].len));
    ADD("png grey8", DV_FMT_PNG, 12, ig_png_pat(w, h, IG_PAT_GRADIENT, IG_PNG_GREY8, &s[n].len));
    ADD("png grey1", DV_FMT_PNG, 12, ig_png_pat(w, h, IG_PAT_SHAPES, IG_PNG_GREY1, &s[n].len));
    ADD("png grey+alpha", DV_FMT_PNG, 12,
        ig_png_pat(w, h, IG_PAT_SHAPES, IG_PNG_GREY_ALPHA, &s[n].len));
    ADD("png rgba", DV_FMT_PNG, 12, ig_png_pat(w, h, IG_PAT_GRADIENT, IG_PNG_RGBA, &s[n].len));
    ADD("png palette", DV_FMT_PNG, 12, ig_png_pat(w, h, IG_PAT_SHAPES, IG_PNG_PALETTE, &s[n].len));
    ADD("png rgb16", DV_FMT_PNG, 12, ig_png_pat(w, h, IG_PAT_SHAPES, IG_PNG_RGB16, &s[n].len));
    ADD("png adam7", DV_FMT_PNG, 12,
        ig_png_pat(w, h, IG_PAT_GRADIENT, IG_PNG_RGB | IG_PNG_INTERLACE, &s[n].len));
    ADD("webp lossy", DV_FMT_WEBP, 0, ig_webp_pat(w, h, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &s[n].len));
    ADD("webp lossy alpha", DV_FMT_WEBP, 0,
        ig_webp_pat(w, h, IG_PAT_SHAPES, IG_WEBP_LOSSY_ALPHA, &s[n].len));
    ADD("webp lossless", DV_FMT_WEBP, 0,
        ig_webp_pat(w, h, IG_PAT_GRADIENT, IG_WEBP_LOSSLESS, &s[n].len));
    {
        ig_gif_opts g = {0};
        ADD("gif global", DV_FMT_GIF, 1, ig_gif_pat(w, h, IG_PAT_SHAPES, &g, &s[n].len));
        g.screen_w = w + 9;
        g.screen_h = h + 5;
        g.left = 4;
        g.top = 3;
        g.map = IG_GIF_MAP_BOTH;
        ADD("gif local offset", DV_FMT_GIF, 1, ig_gif_pat(w, h, IG_PAT_SHAPES, &g, &s[n].len));
        memset(&g, 0, sizeof(g));
        g.interlace = 1;
        g.gif89 = 1;
        ADD("gif interlaced", DV_FMT_GIF, 1, ig_gif_pat(w, h, IG_PAT_SHAPES, &g, &s[n].len));
    }
#undef ADD
    return n;
}

static void free_samples(sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++) free(s[i].buf);
}

/* ------------------------------------------------------------------ sniffing */

static void test_sniff_by_magic(void **state)
{
    (void)state;
    sample s[32];
    size_t n = make_samples(s, 32);
    dv_decoder *d = mkdec(0);
    for (size_t i = 0; i < n; i++) {
        dv_image im;
        assert_int_equal(dv_image_sniff(s[i].buf, s[i].len), s[i].fmt);
        /* 12 bytes are enough */
        assert_int_equal(dv_image_sniff(s[i].buf, 12), s[i].fmt);
        decode_ok(d, s[i].buf, s[i].len, &im);
        assert_int_equal(im.format, s[i].fmt);
    }
    assert_int_equal(dv_image_sniff("", 0), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff(NULL, 0), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff("\xFF\xD8", 2), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff("\xFF\xD8\xFF", 3), DV_FMT_JPEG);
    assert_int_equal(dv_image_sniff("\x89PNG\r\n\x1a", 7), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff("RIFF\0\0\0\0WAVE", 12), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff("GIF88a", 6), DV_FMT_UNKNOWN);
    assert_int_equal(dv_image_sniff("GIF87a", 6), DV_FMT_GIF);
    assert_int_equal(dv_image_sniff("BM\0\0\0\0\0\0\0\0\0\0", 12), DV_FMT_UNKNOWN);
    assert_string_equal(dv_image_format_name(DV_FMT_JPEG), "jpeg");
    assert_string_equal(dv_image_format_name(DV_FMT_PNG), "png");
    assert_string_equal(dv_image_format_name(DV_FMT_WEBP), "webp");
    assert_string_equal(dv_image_format_name(DV_FMT_GIF), "gif");
    assert_string_equal(dv_image_format_name(DV_FMT_UNKNOWN), "unknown");
    assert_string_equal(dv_image_format_name((dv_image_format)99), "unknown");
    dv_decoder_free(d);
    free_samples(s, n);
}

/* ------------------------------------------------------------------ JPEG */

static void check_jpeg_solid(int variant, const uint8_t src[4], const uint8_t rgb[3], int tol,
                             uint32_t channels)
{
    const int w = 40, h = 24;
    size_t len;
    uint8_t *px = ig_pixels(w, h, IG_PAT_SOLID, src, 0);
    uint8_t *buf = ig_jpeg(px, w, h, variant, 95, &len);
    dv_decoder *d = mkdec(0);
    dv_image im;
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.format, DV_FMT_JPEG);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    assert_int_equal(im.src_width, w);
    assert_int_equal(im.src_height, h);
    assert_int_equal(im.channels, channels);
    assert_int_equal(im.scale_denom, 1);
    assert_solid(&im, rgb, tol);
    dv_decoder_free(d);
    free(buf);
    free(px);
}

static void test_jpeg_rgb_grey_progressive(void **state)
{
    (void)state;
    static const struct {
        int variant;
        uint32_t channels;
    } v[] = {{IG_JPEG_RGB, 3},
             {IG_JPEG_PROGRESSIVE, 3},
             {IG_JPEG_GREY, 1},
             {IG_JPEG_GREY_PROGRESSIVE, 1}};
    const uint8_t grey[4] = {77, 77, 77, 255};
    const int w = 67, h = 45;
    uint8_t *px = ig_pixels(w, h, IG_PAT_GRADIENT, NULL, 0);
    dv_decoder *d = mkdec(0);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t len;
        int maxd;
        double mean;
        dv_image im;
        uint8_t *buf = ig_jpeg(px, w, h, v[i].variant, 95, &len);
        assert_non_null(buf);
        decode_ok(d, buf, len, &im);
        assert_int_equal(im.width, w);
        assert_int_equal(im.height, h);
        assert_int_equal(im.channels, v[i].channels);
        assert_int_equal(im.stride, (size_t)w * v[i].channels);
        diff_src(&im, px, &maxd, &mean);
        /* a smooth gradient survives quality 95 almost unchanged */
        if (mean > 2.5 || maxd > 24)
            fail_msg("variant %d: mean %f max %d", v[i].variant, mean, maxd);
        free(buf);
    }
    check_jpeg_solid(IG_JPEG_RGB, k_colour, k_colour, 4, 3);
    check_jpeg_solid(IG_JPEG_PROGRESSIVE, k_colour, k_colour, 4, 3);
    check_jpeg_solid(IG_JPEG_GREY, grey, grey, 2, 1);
    check_jpeg_solid(IG_JPEG_GREY_PROGRESSIVE, grey, grey, 2, 1);
    dv_decoder_free(d);
    free(px);
}

static void test_jpeg_cmyk(void **state)
{
    (void)state;
    static const uint8_t white[3] = {255, 255, 255}, cyan[3] = {0, 255, 255},
                         magenta[3] = {255, 0, 255}, yellow[3] = {255, 255, 0},
                         black[3] = {0, 0, 0}, half[3] = {128, 128, 128};
    /* Plain CMYK (no Adobe marker): the stored value is the amount of ink. */
    static const uint8_t p_white[4] = {0, 0, 0, 0}, p_cyan[4] = {255, 0, 0, 0},
                         p_magenta[4] = {0, 255, 0, 0}, p_yellow[4] = {0, 0, 255, 0},
                         p_black[4] = {0, 0, 0, 255}, p_half[4] = {0, 0, 0, 127};
    /* With the Adobe marker, as Photoshop writes it, values are inverted: 255 is no ink. */
    static const uint8_t a_white[4] = {255, 255, 255, 255}, a_cyan[4] = {0, 255, 255, 255},
                         a_magenta[4] = {255, 0, 255, 255}, a_black[4] = {255, 255, 255, 0};
    const int tol = 6;

    check_jpeg_solid(IG_JPEG_CMYK, p_white, white, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK, p_cyan, cyan, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK, p_magenta, magenta, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK, p_yellow, yellow, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK, p_black, black, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK, p_half, half, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK_ADOBE, a_white, white, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK_ADOBE, a_cyan, cyan, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK_ADOBE, a_magenta, magenta, tol, 3);
    check_jpeg_solid(IG_JPEG_CMYK_ADOBE, a_black, black, tol, 3);
    check_jpeg_solid(IG_JPEG_YCCK, a_white, white, tol, 3);
    check_jpeg_solid(IG_JPEG_YCCK, a_cyan, cyan, 10, 3);
    check_jpeg_solid(IG_JPEG_YCCK, a_black, black, tol, 3);
}

/* ------------------------------------------------------------------ PNG */

/* Decodes a PNG of the given variant made from px and compares with the expected bytes
 * (channels per pixel, packed rows). */
static void check_png(const uint8_t *px, int w, int h, int variant, const uint8_t *expect,
                      uint32_t channels)
{
    size_t len;
    uint8_t *buf = ig_png(px, w, h, variant, &len);
    dv_decoder *d = mkdec(0);
    dv_image im;
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.format, DV_FMT_PNG);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    assert_int_equal(im.src_width, w);
    assert_int_equal(im.src_height, h);
    assert_int_equal(im.channels, channels);
    assert_int_equal(im.scale_denom, 1);
    for (int y = 0; y < h; y++)
        assert_memory_equal(im.pixels + (size_t)y * im.stride, expect + (size_t)y * w * channels,
                            (size_t)w * channels);
    dv_decoder_free(d);
    free(buf);
}

static void test_png_variants(void **state)
{
    (void)state;
    const int w = 37, h = 23;
    uint8_t *grad = ig_pixels(w, h, IG_PAT_GRADIENT, NULL, 0);
    uint8_t *shapes = ig_pixels(w, h, IG_PAT_SHAPES, k_colour, 3);
    uint8_t *noise = ig_pixels(w, h, IG_PAT_NOISE, NULL, 7);
    size_t n = (size_t)w * h;
    uint8_t *g1 = malloc(n), *rgb = malloc(n * 3), *shp_rgb = malloc(n * 3);
    uint8_t *noise_rgb = malloc(n * 3), *grey = malloc(n), *shp_grey = malloc(n);
    assert_non_null(grad);
    assert_non_null(shapes);
    assert_non_null(noise);
    for (size_t i = 0; i < n; i++) {
        grey[i] = grad[4 * i];
        shp_grey[i] = shapes[4 * i];
        g1[i] = noise[4 * i] >= 128 ? 255 : 0;
        memcpy(rgb + 3 * i, grad + 4 * i, 3);
        memcpy(shp_rgb + 3 * i, shapes + 4 * i, 3);
        memcpy(noise_rgb + 3 * i, noise + 4 * i, 3);
    }
    for (int il = 0; il < 2; il++) {
        int f = il ? IG_PNG_INTERLACE : 0;
        check_png(grad, w, h, IG_PNG_GREY8 | f, grey, 1);
        check_png(noise, w, h, IG_PNG_GREY1 | f, g1, 1);
        /* grey+alpha: the grey values, alpha dropped (even where alpha is 0) */
        check_png(shapes, w, h, IG_PNG_GREY_ALPHA | f, shp_grey, 1);
        check_png(grad, w, h, IG_PNG_RGB | f, rgb, 3);
        check_png(noise, w, h, IG_PNG_RGB | f, noise_rgb, 3);
        check_png(shapes, w, h, IG_PNG_RGBA | f, shp_rgb, 3);
        check_png(noise, w, h, IG_PNG_RGBA | f, noise_rgb, 3);
        /* palette: the palette's colours, exactly */
        check_png(shapes, w, h, IG_PNG_PALETTE | f, shp_rgb, 3);
        /* 16 bits: the high byte, not rounded (imggen puts noise in the low byte) */
        check_png(grad, w, h, IG_PNG_RGB16 | f, rgb, 3);
        check_png(noise, w, h, IG_PNG_RGB16 | f, noise_rgb, 3);
        check_png(grad, w, h, IG_PNG_GREY16 | f, grey, 1);
    }
    free(grad);
    free(shapes);
    free(noise);
    free(g1);
    free(rgb);
    free(shp_rgb);
    free(noise_rgb);
    free(grey);
    free(shp_grey);
}

/* Palette with tRNS (palette + alpha) must give the palette's RGB, alpha dropped. */
static void test_png_palette_trns(void **state)
{
    (void)state;
    const int w = 31, h = 17;
    uint8_t *shapes = ig_pixels(w, h, IG_PAT_SHAPES, k_colour, 5);
    size_t len, n = (size_t)w * h;
    uint8_t *buf = ig_png(shapes, w, h, IG_PNG_PALETTE_TRNS, &len);
    dv_decoder *d = mkdec(0);
    dv_image im;
    int rc;
    assert_non_null(buf);
    rc = dv_decoder_decode(d, buf, len, &im);
    if (rc == DV_EFORMAT && contains(dv_decoder_errmsg(d), "4 channels")) {
        /* Known bug in src/image/png.c: png_set_palette_to_rgb() also expands tRNS to an
         * alpha channel, and strip_alpha is only requested for colour types with alpha. */
        printf("KNOWN BUG: palette+tRNS PNG refused: %s\n", dv_decoder_errmsg(d));
        dv_decoder_free(d);
        free(buf);
        free(shapes);
        skip();
    }
    if (rc != DV_OK) fail_msg("palette+tRNS: %d %s", rc, dv_decoder_errmsg(d));
    assert_int_equal(im.channels, 3);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    for (size_t i = 0; i < n; i++) {
        size_t x = i % (size_t)w, y = i / (size_t)w;
        assert_memory_equal(im.pixels + y * im.stride + 3 * x, shapes + 4 * i, 3);
    }
    dv_decoder_free(d);
    free(buf);
    free(shapes);
}

/* ------------------------------------------------------------------ WebP */

static void test_webp_variants(void **state)
{
    (void)state;
    const int w = 53, h = 38;
    uint8_t *grad = ig_pixels(w, h, IG_PAT_GRADIENT, NULL, 0);
    uint8_t *shapes = ig_pixels(w, h, IG_PAT_SHAPES, k_colour, 2);
    uint8_t *noise = ig_pixels(w, h, IG_PAT_NOISE, NULL, 3);
    uint8_t *solid = ig_pixels(w, h, IG_PAT_SOLID, k_colour, 0);
    dv_decoder *d = mkdec(0);
    const uint8_t *lossless_src[] = {grad, shapes, noise};
    size_t len;
    uint8_t *buf;
    dv_image im;
    int maxd;
    double mean;

    for (int v = IG_WEBP_LOSSY; v <= IG_WEBP_LOSSY_ALPHA; v++) {
        buf = ig_webp(grad, w, h, v, &len);
        assert_non_null(buf);
        decode_ok(d, buf, len, &im);
        assert_int_equal(im.format, DV_FMT_WEBP);
        assert_int_equal(im.width, w);
        assert_int_equal(im.height, h);
        assert_int_equal(im.channels, 3);
        diff_src(&im, grad, &maxd, &mean);
        if (mean > 4.0) fail_msg("lossy webp variant %d: mean error %f", v, mean);
        free(buf);
        buf = ig_webp(solid, w, h, v, &len);
        assert_non_null(buf);
        decode_ok(d, buf, len, &im);
        assert_solid(&im, k_colour, 6);
        free(buf);
    }
    /* lossless: RGB exactly, alpha dropped even where it is 0 */
    for (size_t i = 0; i < 3; i++) {
        buf = ig_webp(lossless_src[i], w, h, IG_WEBP_LOSSLESS, &len);
        assert_non_null(buf);
        decode_ok(d, buf, len, &im);
        assert_int_equal(im.width, w);
        assert_int_equal(im.height, h);
        assert_int_equal(im.channels, 3);
        diff_src(&im, lossless_src[i], &maxd, &mean);
        assert_int_equal(maxd, 0);
        free(buf);
    }
    dv_decoder_free(d);
    free(grad);
    free(shapes);
    free(noise);
    free(solid);
}

/* RIFF chunk: 4-byte tag, little-endian size, payload, a pad byte to even size. */
static size_t put_chunk(uint8_t *o, const char *tag, const uint8_t *p, size_t n)
{
    memcpy(o, tag, 4);
    o[4] = (uint8_t)n;
    o[5] = (uint8_t)(n >> 8);
    o[6] = (uint8_t)(n >> 16);
    o[7] = (uint8_t)(n >> 24);
    memcpy(o + 8, p, n);
    if (n & 1) o[8 + n] = 0;
    return 8 + n + (n & 1);
}

static void put24(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
}

/* An animated WebP of a cw x ch canvas whose frames are lossless stills of RGBA px (their VP8L
 * chunks) at even offsets. */
static uint8_t *anim_webp(int cw, int ch, const uint8_t *const *px, const int *fw, const int *fh,
                          const int *fx, const int *fy, int nframes, size_t *len)
{
    uint8_t *o = malloc(1 << 20), hdr[16];
    size_t n = 12;
    memset(hdr, 0, sizeof hdr);
    hdr[0] = 0x02; /* animation */
    put24(hdr + 4, (uint32_t)cw - 1);
    put24(hdr + 7, (uint32_t)ch - 1);
    n += put_chunk(o + n, "VP8X", hdr, 10);
    memset(hdr, 0, sizeof hdr);
    hdr[0] = 0x40; /* a background colour (a hint the decoders do not paint) */
    n += put_chunk(o + n, "ANIM", hdr, 6);
    for (int f = 0; f < nframes; f++) {
        size_t sl, fl;
        uint8_t *still = ig_webp(px[f], fw[f], fh[f], IG_WEBP_LOSSLESS, &sl);
        uint8_t *fr = malloc(16 + sl);
        assert_non_null(still);
        assert_memory_equal(still + 12, "VP8L", 4);
        put24(fr, (uint32_t)fx[f] / 2);
        put24(fr + 3, (uint32_t)fy[f] / 2);
        put24(fr + 6, (uint32_t)fw[f] - 1);
        put24(fr + 9, (uint32_t)fh[f] - 1);
        put24(fr + 12, 100);
        fr[15] = 0;
        memcpy(fr + 16, still + 12, sl - 12);
        fl = 16 + sl - 12;
        n += put_chunk(o + n, "ANMF", fr, fl);
        free(fr);
        free(still);
    }
    memcpy(o, "RIFF", 4);
    o[4] = (uint8_t)(n - 8);
    o[5] = (uint8_t)((n - 8) >> 8);
    o[6] = (uint8_t)((n - 8) >> 16);
    o[7] = 0;
    memcpy(o + 8, "WEBP", 4);
    *len = n;
    return o;
}

/* An animated WebP: its first frame at its offset on a black canvas (as libwebp's animation
 * decoder and Pillow start), the second frame not painted; a container without a frame, or a
 * frame past its canvas, is corrupt and says it is an animated WebP. */
static void test_webp_animated_first_frame(void **state)
{
    static const uint8_t noframe[] = {'R', 'I', 'F', 'F', 36,  0,  0, 0, 'W', 'E',  'B',
                                      'P', 'V', 'P', '8', 'X', 10, 0, 0, 0,   0x02, 0,
                                      0,   0,   15,  0,   0,   15, 0, 0, 'A', 'N',  'I',
                                      'M', 6,   0,   0,   0,   0,  0, 0, 0,   0,    0};
    uint8_t f0[12 * 10 * 4], f1[24 * 20 * 4]; /* RGBA, opaque */
    const uint8_t *px[2] = {f0, f1};
    const int fw[2] = {12, 24}, fh[2] = {10, 20}, fx[2] = {6, 0}, fy[2] = {4, 0};
    dv_decoder *d = mkdec(0);
    dv_image im;
    size_t len;
    uint8_t *b;
    (void)state;
    for (size_t i = 0; i < sizeof f0; i++) f0[i] = i % 4 == 3 ? 255 : (uint8_t)(40 + (i * 7) % 200);
    memset(f1, 0xEE, sizeof f1);
    b = anim_webp(24, 20, px, fw, fh, fx, fy, 2, &len);
    assert_int_equal(dv_decoder_decode(d, b, len, &im), DV_OK);
    assert_int_equal(im.format, DV_FMT_WEBP);
    assert_int_equal(im.width, 24);
    assert_int_equal(im.height, 20);
    assert_int_equal(im.channels, 3);
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 24; x++)
            for (int c = 0; c < 3; c++) {
                int in = x >= 6 && x < 18 && y >= 4 && y < 14;
                uint8_t want = in ? f0[((size_t)(y - 4) * 12 + (size_t)(x - 6)) * 4 + c] : 0;
                uint8_t got = im.pixels[(size_t)y * im.stride + (size_t)x * 3 + c];
                if (got != want) fail_msg("(%d,%d,%d): %d, want %d", x, y, c, got, want);
            }
    free(b);
    /* the first frame reaching past the canvas (libwebp's demuxer refuses the file) */
    b = anim_webp(16, 12, px, fw, fh, fx, fy, 1, &len);
    assert_int_equal(dv_decoder_decode(d, b, len, &im), DV_ECORRUPT);
    assert_true(contains(dv_decoder_errmsg(d), "animated WebP"));
    free(b);
    assert_int_equal(dv_decoder_decode(d, noframe, sizeof noframe, &im), DV_ECORRUPT);
    assert_true(contains(dv_decoder_errmsg(d), "animated WebP"));
    dv_decoder_free(d);
}

/* ------------------------------------------------------------------ GIF */

static void check_gif_region(const dv_image *im, const uint8_t *px, int w, int h, int left, int top)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *got =
                im->pixels + (size_t)(top + y) * im->stride + (size_t)(left + x) * 3;
            const uint8_t *exp = px + ((size_t)y * w + x) * 4;
            if (memcmp(got, exp, 3) != 0)
                fail_msg("gif pixel (%d,%d): %d,%d,%d want %d,%d,%d", x, y, got[0], got[1], got[2],
                         exp[0], exp[1], exp[2]);
        }
}

static void test_gif_variants(void **state)
{
    (void)state;
    const int w = 45, h = 29;
    uint8_t *shapes = ig_pixels(w, h, IG_PAT_SHAPES, k_colour, 4);
    dv_decoder *d = mkdec(0);
    ig_gif_opts o;
    size_t len;
    uint8_t *buf;
    dv_image im;

    /* single frame, global map, GIF87a */
    memset(&o, 0, sizeof(o));
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    assert_memory_equal(buf, "GIF87a", 6);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.format, DV_FMT_GIF);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    assert_int_equal(im.channels, 3);
    check_gif_region(&im, shapes, w, h, 0, 0);
    free(buf);

    /* interlaced, GIF89a: rows come back in display order */
    o.interlace = 1;
    o.gif89 = 1;
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    assert_memory_equal(buf, "GIF89a", 6);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    check_gif_region(&im, shapes, w, h, 0, 0);
    free(buf);

    /* local map and a frame smaller than the screen: the rest is the global background */
    memset(&o, 0, sizeof(o));
    o.screen_w = w + 11;
    o.screen_h = h + 7;
    o.left = 6;
    o.top = 5;
    o.map = IG_GIF_MAP_BOTH;
    o.global_bg[0] = 10;
    o.global_bg[1] = 20;
    o.global_bg[2] = 30;
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.width, w + 11);
    assert_int_equal(im.height, h + 7);
    assert_int_equal(im.src_width, w + 11);
    assert_int_equal(im.src_height, h + 7);
    check_gif_region(&im, shapes, w, h, 6, 5);
    for (uint32_t y = 0; y < im.height; y++)
        for (uint32_t x = 0; x < im.width; x++) {
            const uint8_t *p = im.pixels + y * im.stride + x * 3;
            int inside = x >= 6 && x < (uint32_t)(6 + w) && y >= 5 && y < (uint32_t)(5 + h);
            if (!inside) assert_memory_equal(p, o.global_bg, 3);
        }
    free(buf);

    /* local map only, no global map: outside the frame is black */
    o.map = IG_GIF_MAP_LOCAL;
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.width, w + 11);
    check_gif_region(&im, shapes, w, h, 6, 5);
    assert_memory_equal(im.pixels, "\0\0\0", 3);
    assert_memory_equal(im.pixels + (im.height - 1) * im.stride + (im.width - 1) * 3, "\0\0\0", 3);
    free(buf);

    /* interlaced with an offset */
    o.map = IG_GIF_MAP_GLOBAL;
    o.interlace = 1;
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    check_gif_region(&im, shapes, w, h, 6, 5);
    free(buf);

    /* several frames: the first one only */
    memset(&o, 0, sizeof(o));
    o.frames = 4;
    buf = ig_gif(shapes, w, h, &o, &len);
    assert_non_null(buf);
    decode_ok(d, buf, len, &im);
    assert_int_equal(im.width, w);
    assert_int_equal(im.height, h);
    check_gif_region(&im, shapes, w, h, 0, 0);
    free(buf);

    dv_decoder_free(d);
    free(shapes);
}

/* ------------------------------------------------------------------ corrupt input */

static void assert_failed(const dv_decoder *d, int rc, const char *what, size_t at)
{
    if (rc != DV_ECORRUPT && rc != DV_EFORMAT)
        fail_msg("%s cut at %zu: rc %d (%s), want ECORRUPT or EFORMAT", what, at, rc,
                 dv_decoder_errmsg(d));
    if (dv_decoder_errmsg(d)[0] == '\0') fail_msg("%s cut at %zu: empty errmsg", what, at);
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    sample s[32];
    size_t n = make_samples(s, 32);
    dv_decoder *d = mkdec(0);
    for (size_t i = 0; i < n; i++) {
        img_copy full;
        dv_image im;
        decode_ok(d, s[i].buf, s[i].len, &im);
        copy_image(&im, &full);
        for (size_t k = 0; k < s[i].len; k++) {
            /* a copy of exactly k bytes, so ASan sees any read past the end */
            uint8_t *cut = malloc(k ? k : 1);
            int rc;
            assert_non_null(cut);
            memcpy(cut, s[i].buf, k);
            rc = dv_decoder_decode(d, k ? cut : NULL, k, &im);
            if (k + s[i].tail < s[i].len) {
                assert_failed(d, rc, s[i].name, k);
            } else if (rc == DV_OK) {
                assert_same_image(&im, &full.im); /* only the trailer was lost */
            } else {
                assert_failed(d, rc, s[i].name, k);
            }
            free(cut);
        }
        free(full.px);
    }
    dv_decoder_free(d);
    free_samples(s, n);
}

static void touch_image(const dv_image *im)
{
    unsigned sum = 0;
    assert_true(im->width > 0 && im->height > 0);
    assert_true(im->channels == 1 || im->channels == 3);
    assert_true(im->stride >= (size_t)im->width * im->channels);
    for (uint32_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < (size_t)im->width * im->channels; x++)
            sum += im->pixels[(size_t)y * im->stride + x];
    (void)sum;
}

static void test_random_byte_flips(void **state)
{
    (void)state;
    sample s[32];
    size_t n = make_samples(s, 32);
    dv_decoder *d = mkdec(4u << 20);
    uint32_t rng = 0x1234567u;
    long ok = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *m = malloc(s[i].len);
        assert_non_null(m);
        for (int iter = 0; iter < 400; iter++) {
            dv_image im;
            int rc, flips = 1 + (int)(ig_rand(&rng) % 6);
            memcpy(m, s[i].buf, s[i].len);
            for (int f = 0; f < flips; f++) {
                size_t at = ig_rand(&rng) % s[i].len;
                /* half the time flip a bit, else write a random or a boundary byte */
                uint32_t r = ig_rand(&rng);
                if (r & 1)
                    m[at] ^= (uint8_t)(1u << ((r >> 1) % 8));
                else
                    m[at] = (r & 2) ? (uint8_t)(r >> 8) : ((r & 4) ? 0xFF : 0x00);
            }
            rc = dv_decoder_decode(d, m, s[i].len, &im);
            if (rc == DV_OK) {
                touch_image(&im);
                ok++;
            } else {
                bad++;
                if (rc != DV_ECORRUPT && rc != DV_EFORMAT && rc != DV_ETOOBIG)
                    fail_msg("%s flip %d: rc %d %s", s[i].name, iter, rc, dv_decoder_errmsg(d));
                assert_true(dv_decoder_errmsg(d)[0] != '\0');
            }
        }
        free(m);
    }
    printf("byte flips: %ld decoded, %ld refused\n", ok, bad);
    assert_true(ok > 0 && bad > 0);
    dv_decoder_free(d);
    free_samples(s, n);
}

static void test_empty_and_tiny(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } tiny[] = {
        {"", 0},
        {"abc", 3},
        {"\xFF\xD8\xFF", 3},
        {"\xFF\xD8", 2},
        {"\x89PN", 3},
        {"GIF", 3},
        {"\x89PNG\r\n\x1a\n", 8},
        {"GIF89a", 6},
        {"GIF87a\x01\x00\x01\x00", 10},
        {"RIFF\x04\0\0\0WEBP", 12},
        {"\xFF\xD8\xFF\xD9", 4},
    };
    dv_decoder *d = mkdec(0);
    dv_image im;
    int rc = dv_decoder_decode(d, NULL, 0, &im);
    assert_failed(d, rc, "NULL", 0);
    for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
        uint8_t *b = malloc(tiny[i].len + 1);
        assert_non_null(b);
        memcpy(b, tiny[i].bytes, tiny[i].len);
        rc = dv_decoder_decode(d, b, tiny[i].len, &im);
        assert_failed(d, rc, "tiny", i);
        free(b);
    }
    assert_int_equal(dv_decoder_decode(NULL, "abc", 3, &im), DV_EINVAL);
    assert_int_equal(dv_decoder_decode(d, "abc", 3, NULL), DV_EINVAL);
    assert_int_equal(dv_decoder_decode(d, NULL, 5, &im), DV_EINVAL);
    assert_string_equal(dv_decoder_errmsg(NULL), "");
    /* a good decode clears the message */
    {
        size_t len;
        uint8_t *buf = ig_png_pat(8, 8, IG_PAT_GRADIENT, IG_PNG_RGB, &len);
        decode_ok(d, buf, len, &im);
        assert_string_equal(dv_decoder_errmsg(d), "");
        free(buf);
    }
    dv_decoder_free(d);
    dv_decoder_free(NULL);
}

/* ------------------------------------------------------------------ limits */

static void test_max_pixels(void **state)
{
    (void)state;
    sample s[32];
    size_t n = make_samples(s, 32);
    for (size_t i = 0; i < n; i++) {
        dv_image im;
        uint64_t exact;
        dv_decoder *d = mkdec(0);
        char limit[32];
        int rc;
        decode_ok(d, s[i].buf, s[i].len, &im);
        exact = (uint64_t)im.width * im.height;
        dv_decoder_free(d);

        d = mkdec(exact);
        decode_ok(d, s[i].buf, s[i].len, &im); /* the limit itself is allowed */
        dv_decoder_free(d);

        d = mkdec(exact - 1);
        rc = dv_decoder_decode(d, s[i].buf, s[i].len, &im);
        if (rc != DV_ETOOBIG) fail_msg("%s: rc %d %s", s[i].name, rc, dv_decoder_errmsg(d));
        snprintf(limit, sizeof(limit), "%llu", (unsigned long long)(exact - 1));
        if (!contains(dv_decoder_errmsg(d), limit))
            fail_msg("%s: errmsg '%s' does not name the limit %s", s[i].name, dv_decoder_errmsg(d),
                     limit);
        dv_decoder_free(d);
    }
    free_samples(s, n);
}

/* Allocator that records the largest request and fails after a number of calls. */
typedef struct track_alloc {
    dv_alloc a;
    size_t largest;
    long calls;
    long fail_at; /* <0: never; else calls numbered >= fail_at (or == with one_shot) fail */
    int one_shot;
    long live;
    long failed;
} track_alloc;

static int track_should_fail(track_alloc *t)
{
    long c = t->calls++;
    if (t->fail_at < 0) return 0;
    if (t->one_shot ? c == t->fail_at : c >= t->fail_at) {
        t->failed++;
        return 1;
    }
    return 0;
}

static void *track_malloc(void *opaque, size_t n)
{
    track_alloc *t = opaque;
    void *p;
    if (n > t->largest) t->largest = n;
    if (track_should_fail(t)) return NULL;
    p = malloc(n);
    if (p) t->live++;
    return p;
}

static void *track_realloc(void *opaque, void *ptr, size_t n)
{
    track_alloc *t = opaque;
    void *p;
    if (n > t->largest) t->largest = n;
    if (track_should_fail(t)) return NULL;
    p = realloc(ptr, n);
    if (p && ptr == NULL) t->live++;
    return p;
}

static void track_free(void *opaque, void *ptr)
{
    track_alloc *t = opaque;
    if (ptr) t->live--;
    free(ptr);
}

static void track_init(track_alloc *t)
{
    memset(t, 0, sizeof(*t));
    t->a.malloc_fn = track_malloc;
    t->a.realloc_fn = track_realloc;
    t->a.free_fn = track_free;
    t->a.opaque = t;
    t->fail_at = -1;
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Decodes a header that claims a huge image and has no pixel data: must be DV_ETOOBIG
 * from the header alone, with no big allocation on the way. */
static void check_bomb(const char *what, const uint8_t *buf, size_t len, const char *dims)
{
    track_alloc t;
    dv_decode_opts o = {0};
    dv_decoder *d;
    dv_image im;
    int rc;
    track_init(&t);
    o.alloc = &t.a;
    d = dv_decoder_create(&o);
    assert_non_null(d);
    rc = dv_decoder_decode(d, buf, len, &im);
    if (rc != DV_ETOOBIG) fail_msg("%s: rc %d (%s), want ETOOBIG", what, rc, dv_decoder_errmsg(d));
    if (!contains(dv_decoder_errmsg(d), dims))
        fail_msg("%s: errmsg '%s' lacks %s", what, dv_decoder_errmsg(d), dims);
    assert_true(contains(dv_decoder_errmsg(d), "128000000"));
    if (t.largest > (1u << 20)) fail_msg("%s: allocated %zu bytes first", what, t.largest);
    dv_decoder_free(d);
    assert_int_equal(t.live, 0);
}

static void test_header_bombs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b;

    /* PNG: signature, IHDR 100000x100000 RGB, then an IDAT header with no data */
    {
        uint8_t png[8 + 25 + 12];
        memcpy(png, "\x89PNG\r\n\x1a\n", 8);
        put_be32(png + 8, 13);
        memcpy(png + 12, "IHDR", 4);
        put_be32(png + 16, 100000);
        put_be32(png + 20, 100000);
        memcpy(png + 24, "\x08\x02\x00\x00\x00", 5);
        put_be32(png + 29, crc32_png(png + 12, 17));
        put_be32(png + 33, 0);
        memcpy(png + 37, "IDAT", 4);
        put_be32(png + 41, crc32_png(png + 37, 4));
        check_bomb("png", png, sizeof(png), "100000x100000");
        /* even cut right after IHDR it is an error, never ENOMEM */
        {
            dv_decoder *d = mkdec(0);
            dv_image im;
            int rc = dv_decoder_decode(d, png, 33, &im);
            assert_true(rc == DV_ETOOBIG || rc == DV_ECORRUPT);
            dv_decoder_free(d);
        }
    }

    /* JPEG: a real header with SOF patched to 65000x65000, cut after the SOS header */
    b = ig_jpeg_pat(16, 16, IG_PAT_GRADIENT, IG_JPEG_RGB, &len);
    assert_non_null(b);
    {
        size_t i = 2, cut = 0;
        int patched = 0;
        while (i + 4 <= len && b[i] == 0xFF) {
            unsigned m = b[i + 1], seg = (unsigned)b[i + 2] << 8 | b[i + 3];
            if (m >= 0xC0 && m <= 0xC2) {
                b[i + 5] = 65000 >> 8; /* height */
                b[i + 6] = 65000 & 0xFF;
                b[i + 7] = 65000 >> 8; /* width */
                b[i + 8] = 65000 & 0xFF;
                patched = 1;
            }
            if (m == 0xDA) {
                cut = i + 2 + seg;
                break;
            }
            i += 2 + seg;
        }
        assert_true(patched && cut > 0);
        check_bomb("jpeg", b, cut, "65000x65000");
    }
    free(b);

    /* GIF: screen and frame patched to 65535x65535, cut after the LZW code size byte */
    {
        ig_gif_opts o = {0};
        uint8_t px[4] = {1, 2, 3, 255};
        size_t desc;
        b = ig_gif(px, 1, 1, &o, &len);
        assert_non_null(b);
        desc = 13 + 3u * (1u << ((b[10] & 7) + 1));
        assert_true(desc + 11 <= len);
        assert_int_equal(b[desc], 0x2C);
        memset(b + 6, 0xFF, 4);
        memset(b + desc + 5, 0xFF, 4);
        check_bomb("gif", b, desc + 11, "65535x65535");
        /* the screen alone claiming the size: a 1x1 frame on a huge canvas */
        free(b);
        o.screen_w = 65535;
        o.screen_h = 65535;
        b = ig_gif(px, 1, 1, &o, &len);
        assert_non_null(b);
        check_bomb("gif screen", b, len, "65535x65535");
        free(b);
    }

    /* WebP: lossy VP8 frame header patched to 16383x16383, only the first 30 bytes */
    b = ig_webp_pat(16, 16, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &len);
    assert_non_null(b);
    assert_true(len > 30);
    assert_memory_equal(b + 12, "VP8 ", 4);
    b[26] = 0xFF;
    b[27] = 0x3F;
    b[28] = 0xFF;
    b[29] = 0x3F;
    check_bomb("webp", b, 30, "16383x16383");
    free(b);
}

/* ------------------------------------------------------------------ reuse */

typedef struct blob {
    const char *name;
    uint8_t *buf;
    size_t len;
} blob;

/* Appends an encoded file (made by the caller, so its length is known by now). */
static void push(blob *arr, size_t *n, const char *name, uint8_t *buf, size_t len)
{
    assert_non_null(buf);
    arr[*n].name = name;
    arr[*n].buf = buf;
    arr[*n].len = len;
    (*n)++;
}

static void test_decoder_reuse(void **state)
{
    (void)state;
    blob f[9];
    ig_gif_opts go = {0};
    size_t nf = 0, len;
    uint8_t *b;
    dv_decoder *shared = mkdec(0);
    b = ig_jpeg_pat(640, 480, IG_PAT_GRADIENT, IG_JPEG_RGB, &len);
    push(f, &nf, NULL, b, len);
    b = ig_png_pat(16, 12, IG_PAT_SHAPES, IG_PNG_RGB, &len);
    push(f, &nf, NULL, b, len);
    b = ig_jpeg_pat(600, 500, IG_PAT_SHAPES, IG_JPEG_CMYK_ADOBE, &len);
    push(f, &nf, NULL, b, len);
    b = ig_gif_pat(9, 7, IG_PAT_SHAPES, &go, &len);
    push(f, &nf, NULL, b, len);
    b = ig_png_pat(500, 300, IG_PAT_NOISE, IG_PNG_RGB16 | IG_PNG_INTERLACE, &len);
    push(f, &nf, NULL, b, len);
    b = ig_jpeg_pat(17, 9, IG_PAT_GRADIENT, IG_JPEG_GREY, &len);
    push(f, &nf, NULL, b, len);
    b = ig_gif_pat(400, 333, IG_PAT_SHAPES, &go, &len);
    push(f, &nf, NULL, b, len);
    b = ig_webp_pat(12, 12, IG_PAT_GRADIENT, IG_WEBP_LOSSLESS, &len);
    push(f, &nf, NULL, b, len);
    b = ig_webp_pat(480, 360, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &len);
    push(f, &nf, NULL, b, len);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < nf; i++) {
            dv_decoder *fresh = mkdec(0);
            dv_image got, want;
            decode_ok(shared, f[i].buf, f[i].len, &got);
            decode_ok(fresh, f[i].buf, f[i].len, &want);
            assert_same_image(&got, &want);
            dv_decoder_free(fresh);
            /* a failure in between must not disturb the next image */
            assert_int_not_equal(dv_decoder_decode(shared, f[i].buf, f[i].len / 2, &got), DV_OK);
        }
    }
    dv_decoder_free(shared);
    for (size_t i = 0; i < nf; i++) free(f[i].buf);
}

/* ------------------------------------------------------------------ fast mode */

/* hash --fast on progressive JPEGs: the refinement scans are skipped. The image keeps its
 * size and changes; baseline files are untouched by the option; a file cut inside a
 * skipped scan is refused the same way. How close it stays is judged on real photos,
 * through PDQ, below. */
static void test_fast_skip_refine(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        const int v = variant ? IG_JPEG_PROGRESSIVE : IG_JPEG_RGB;
        size_t len;
        uint8_t *b = ig_jpeg_pat(320, 240, IG_PAT_SHAPES, v, &len);
        dv_decode_opts o1 = {0}, o2 = {0};
        dv_decoder *d1, *d2;
        dv_image a, c;
        long diff = 0;
        int maxd = 0;
        assert_non_null(b);
        o1.fast = o2.fast = 1;
        o1.fast_min_side = o2.fast_min_side = 240; /* full size: every AC coefficient counts */
        o2.fast_skip_refine = 1;
        d1 = dv_decoder_create(&o1);
        d2 = dv_decoder_create(&o2);
        assert_int_equal(dv_decoder_decode(d1, b, len, &a), DV_OK);
        assert_int_equal(dv_decoder_decode(d2, b, len, &c), DV_OK);
        assert_int_equal(a.width, c.width);
        assert_int_equal(a.height, c.height);
        assert_int_equal(a.channels, c.channels);
        for (uint32_t y = 0; y < a.height; y++)
            for (uint32_t x = 0; x < a.width * a.channels; x++) {
                int d = abs((int)a.pixels[y * a.stride + x] - (int)c.pixels[y * c.stride + x]);
                diff += d;
                if (d > maxd) maxd = d;
            }
        if (!variant) assert_int_equal(maxd, 0);
        else {
            printf("fast_skip_refine: progressive 320x240 grey: mean difference %.3f, max %d\n",
                   (double)diff / ((double)a.width * a.height), maxd);
            assert_true(diff > 0); /* the refinement was skipped */
        }
        /* cut in the middle: the same refusal with and without the option */
        assert_int_equal(dv_decoder_decode(d1, b, len / 2, &a), dv_decoder_decode(d2, b, len / 2, &c));
        dv_decoder_free(d1);
        dv_decoder_free(d2);
        free(b);
    }
}

/* The bound for --fast: mean PDQ distance to the exact hash <= 4 bits, on the
 * JPEGs of ../shared/photos/dev (real encoders' files, progressive ones among them), with
 * everything --fast does (DCT scaling, Y only, progressive refinement skipped); and the same
 * bound, held separately, on its lossy WebPs (luma plane, no loop filter). */
static void test_fast_pdq_distance_shared(void **state)
{
    char dir[1024];
    DIR *d;
    struct dirent *de;
    dv_hasher_opts oe = {0}, of = {0};
    dv_hasher *he, *hf;
    long n = 0, sum = 0, nw = 0, sumw = 0;
    (void)state;
    if (tu_shared("photos/dev", dir, sizeof dir) == NULL) skip();
    d = opendir(dir);
    if (d == NULL) skip();
    oe.algos = of.algos = DV_ALGO_PDQ;
    of.fast = 1;
    he = dv_hasher_create(&oe);
    hf = dv_hasher_create(&of);
    assert_non_null(he);
    assert_non_null(hf);
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        size_t len;
        uint8_t *b;
        dv_hash_result re, rf;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        b = tu_read(path, &len);
        if (b == NULL) continue;
        dv_image_format fmt = dv_image_sniff(b, len);
        if ((fmt == DV_FMT_JPEG || fmt == DV_FMT_WEBP) && dv_hasher_hash(he, b, len, &re) == DV_OK &&
            dv_hasher_hash(hf, b, len, &rf) == DV_OK && re.pdq.quality >= 50) {
            int dist = dv_pdq_distance(&re.pdq.hash[0], &rf.pdq.hash[0]);
            if (fmt == DV_FMT_JPEG) {
                sum += dist;
                n++;
            } else {
                sumw += dist;
                nw++;
            }
        }
        free(b);
    }
    closedir(d);
    dv_hasher_free(he);
    dv_hasher_free(hf);
    printf("--fast vs exact PDQ on %ld shared JPEGs: mean %.2f bits\n", n, n ? (double)sum / n : 0.0);
    printf("--fast vs exact PDQ on %ld shared WebPs: mean %.2f bits\n", nw,
           nw ? (double)sumw / nw : 0.0);
    assert_true(n > 0);
    assert_true(sum <= 4 * n);
    assert_true(nw > 0);
    assert_true(sumw <= 4 * nw);
}

static void test_fast_mode(void **state)
{
    (void)state;
    static const struct {
        int fast;
        uint32_t min_side;
        uint32_t denom;
    } cases[] = {
        {1, 256, 4}, /* 1536/4 = 384 >= 256 and 1536/8 = 192 < 256 */
        {1, 0, 4},   /* 0 means 256 */
        {1, 16, 8},  /* never past 1/8 */
        {1, 384, 4}, {1, 385, 2}, {1, 768, 2}, {1, 769, 1}, {1, 5000, 1}, {0, 256, 1},
    };
    const int w = 2048, h = 1536;
    size_t len;
    uint8_t *buf = ig_jpeg_pat(w, h, IG_PAT_GRADIENT, IG_JPEG_RGB, &len);
    dv_decoder *exact = mkdec(0);
    img_copy full;
    dv_image im;
    assert_non_null(buf);
    decode_ok(exact, buf, len, &im);
    copy_image(&im, &full);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dv_decode_opts o = {0};
        dv_decoder *d;
        o.fast = cases[i].fast;
        o.fast_min_side = cases[i].min_side;
        d = dv_decoder_create(&o);
        assert_non_null(d);
        decode_ok(d, buf, len, &im);
        assert_int_equal(im.scale_denom, cases[i].denom);
        assert_int_equal(im.src_width, w);
        assert_int_equal(im.src_height, h);
        assert_int_equal(im.width, w / cases[i].denom);
        assert_int_equal(im.height, h / cases[i].denom);
        /* fast mode decodes a YCbCr JPEG's Y channel alone: PDQ's luma up to rounding */
        assert_int_equal(im.channels, cases[i].fast ? 1 : 3);
        /* each scaled pixel is close to the full-size pixel (or its luma) it stands for */
        for (uint32_t y = 0; y < im.height; y += 37)
            for (uint32_t x = 0; x < im.width; x += 41)
                for (uint32_t c = 0; c < im.channels; c++) {
                    uint32_t fx = x * cases[i].denom + cases[i].denom / 2;
                    uint32_t fy = y * cases[i].denom + cases[i].denom / 2;
                    int a = im.pixels[y * im.stride + x * im.channels + c];
                    const uint8_t *f = full.px + (size_t)fy * full.im.stride + fx * 3;
                    int b = im.channels == 3 ? f[c]
                                             : (int)(0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2] + 0.5);
                    if (abs(a - b) > 8)
                        fail_msg("denom %u (%u,%u): %d vs %d", im.scale_denom, x, y, a, b);
                }
        dv_decoder_free(d);
    }
    /* fast mode leaves other formats alone */
    {
        dv_decode_opts o = {0};
        uint8_t *png = ig_png_pat(1024, 768, IG_PAT_GRADIENT, IG_PNG_GREY8, &len);
        dv_decoder *d;
        o.fast = 1;
        o.fast_min_side = 64;
        d = dv_decoder_create(&o);
        decode_ok(d, png, len, &im);
        assert_int_equal(im.scale_denom, 1);
        assert_int_equal(im.width, 1024);
        dv_decoder_free(d);
        free(png);
    }
    free(full.px);
    free(buf);
    dv_decoder_free(exact);
}

/* --fast on lossy WebP: the luma plane alone, unfiltered and widened to 0..255, close to the
 * luma of the exact RGB decode (the loop filter and the chroma clipping are what differ);
 * lossless WebP is decoded exactly as before. */
static void test_webp_fast(void **state)
{
    (void)state;
    static const int sizes[][2] = {{333, 217}, {64, 64}, {1, 1}, {17, 900}};
    dv_decode_opts of = {0};
    dv_decoder *exact = mkdec(0), *fast;
    of.fast = 1;
    fast = dv_decoder_create(&of);
    assert_non_null(fast);
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        const int w = sizes[si][0], h = sizes[si][1];
        for (int pat = IG_PAT_GRADIENT; pat <= IG_PAT_SHAPES; pat++) {
            for (int v = IG_WEBP_LOSSY; v <= IG_WEBP_LOSSLESS; v++) {
                size_t len;
                uint8_t *buf = ig_webp_pat(w, h, pat, v, &len);
                img_copy ex;
                dv_image im;
                double sum = 0;
                int maxd = 0;
                assert_non_null(buf);
                decode_ok(exact, buf, len, &im);
                copy_image(&im, &ex);
                decode_ok(fast, buf, len, &im);
                assert_int_equal(im.format, DV_FMT_WEBP);
                assert_int_equal(im.width, w);
                assert_int_equal(im.height, h);
                assert_int_equal(im.scale_denom, 1);
                if (v == IG_WEBP_LOSSLESS) {
                    assert_int_equal(im.channels, 3);
                    for (int y = 0; y < h; y++)
                        assert_memory_equal(im.pixels + (size_t)y * im.stride,
                                            ex.px + (size_t)y * ex.im.stride, (size_t)w * 3);
                } else {
                    assert_int_equal(im.channels, 1);
                    assert_int_equal(im.stride, w);
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++) {
                            const uint8_t *f = ex.px + (size_t)y * ex.im.stride + (size_t)x * 3;
                            int b = (int)(0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2] + 0.5);
                            int dd = abs((int)im.pixels[(size_t)y * im.stride + x] - b);
                            sum += dd;
                            if (dd > maxd) maxd = dd;
                        }
                    if (sum / ((double)w * h) > 1.5 || maxd > 24)
                        fail_msg("webp fast %dx%d pattern %d variant %d: mean %.3f max %d", w, h,
                                 pat, v, sum / ((double)w * h), maxd);
                }
                free(ex.px);
                free(buf);
            }
        }
    }
    dv_decoder_free(fast);
    dv_decoder_free(exact);
}

/* ------------------------------------------------------------------ allocation failure */

static void test_alloc_failure(void **state)
{
    (void)state;
    blob f[6];
    ig_gif_opts go = {0};
    size_t nf = 0, len;
    uint8_t *b;
    b = ig_jpeg_pat(64, 40, IG_PAT_GRADIENT, IG_JPEG_RGB, &len);
    push(f, &nf, "jpeg", b, len);
    b = ig_jpeg_pat(64, 40, IG_PAT_SHAPES, IG_JPEG_CMYK_ADOBE, &len);
    push(f, &nf, "jpeg cmyk", b, len);
    b = ig_png_pat(64, 40, IG_PAT_SHAPES, IG_PNG_RGBA | IG_PNG_INTERLACE, &len);
    push(f, &nf, "png", b, len);
    b = ig_webp_pat(64, 40, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &len);
    push(f, &nf, "webp", b, len);
    go.screen_w = 80;
    go.screen_h = 50;
    go.left = 3;
    go.top = 2;
    b = ig_gif_pat(64, 40, IG_PAT_SHAPES, &go, &len);
    push(f, &nf, "gif", b, len);
    b = ig_png_pat(64, 40, IG_PAT_GRADIENT, IG_PNG_GREY1, &len);
    push(f, &nf, "png grey", b, len);

    for (size_t i = 0; i < nf; i++) {
        img_copy ref;
        long enomem = 0;
        dv_decoder *rd = mkdec(0);
        dv_image im;
        assert_non_null(f[i].buf);
        decode_ok(rd, f[i].buf, f[i].len, &im);
        copy_image(&im, &ref);
        dv_decoder_free(rd);
        for (int one_shot = 0; one_shot < 2; one_shot++) {
            for (long fail_at = 0; fail_at < 64; fail_at++) {
                track_alloc t;
                dv_decode_opts o = {0};
                dv_decoder *d;
                int rc;
                track_init(&t);
                t.fail_at = fail_at;
                t.one_shot = one_shot;
                o.alloc = &t.a;
                d = dv_decoder_create(&o);
                if (d == NULL) {
                    assert_true(t.failed > 0);
                    assert_int_equal(t.live, 0);
                    continue;
                }
                /* decode twice: the second one reuses (or retries) the buffers */
                for (int rep = 0; rep < 2; rep++) {
                    rc = dv_decoder_decode(d, f[i].buf, f[i].len, &im);
                    if (rc == DV_OK) {
                        assert_same_image(&im, &ref.im);
                    } else {
                        if (rc != DV_ENOMEM)
                            fail_msg("%s fail_at %ld: rc %d %s", f[i].name, fail_at, rc,
                                     dv_decoder_errmsg(d));
                        enomem++;
                        assert_true(dv_decoder_errmsg(d)[0] != '\0');
                    }
                }
                /* once memory is back the same decoder works */
                t.fail_at = -1;
                rc = dv_decoder_decode(d, f[i].buf, f[i].len, &im);
                assert_int_equal(rc, DV_OK);
                assert_same_image(&im, &ref.im);
                dv_decoder_free(d);
                assert_int_equal(t.live, 0);
                if (t.failed == 0) break; /* past the last allocation */
            }
        }
        /* the decoder allocates: some failure must have been seen and survived */
        assert_true(enomem > 0);
        free(ref.px);
    }
    for (size_t i = 0; i < nf; i++) free(f[i].buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff_by_magic),
        cmocka_unit_test(test_jpeg_rgb_grey_progressive),
        cmocka_unit_test(test_jpeg_cmyk),
        cmocka_unit_test(test_png_variants),
        cmocka_unit_test(test_png_palette_trns),
        cmocka_unit_test(test_webp_variants),
        cmocka_unit_test(test_webp_animated_first_frame),
        cmocka_unit_test(test_gif_variants),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_random_byte_flips),
        cmocka_unit_test(test_empty_and_tiny),
        cmocka_unit_test(test_max_pixels),
        cmocka_unit_test(test_header_bombs),
        cmocka_unit_test(test_decoder_reuse),
        cmocka_unit_test(test_fast_mode),
        cmocka_unit_test(test_webp_fast),
        cmocka_unit_test(test_fast_skip_refine),
        cmocka_unit_test(test_fast_pdq_distance_shared),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
