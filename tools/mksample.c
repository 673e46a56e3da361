/* mksample.c - datavet-mksample: writes a fixed set of synthetic, benign images for demos/tests.
 * Gradients, shapes and noise as JPEG/PNG/WebP/GIF, near-duplicate families, two broken files. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/types.h>

/* Every byte written depends only on this seed, the spec table and the library versions. */
#define MK_SEED 0x6461746176657431ull /* "datavet1" */
#define MK_DEFAULT_N 48
#define MK_MAX_N 100000
#define MK_PI 3.14159265358979323846

/* ---------------------------------------------------------------- small helpers */

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "datavet-mksample: %s\n", what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) die("out of memory");
    return p;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* splitmix64: tiny, seedable, identical on every platform */
typedef struct rng {
    uint64_t s;
} rng;

static double rng_unit(rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return (double)(mix64(r->s) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_range(rng *r, double lo, double hi) { return lo + (hi - lo) * rng_unit(r); }

static uint8_t clamp8(double v)
{
    if (v <= 0.0) return 0;
    if (v >= 255.0) return 255;
    return (uint8_t)(v + 0.5);
}

/* Growable output buffer; encoders write into it, then it goes to disk in one piece. */
typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void mb_append(membuf *b, const void *src, size_t n)
{
    if (n > ((size_t)1 << 30) - b->n) die("encoded image too large");
    if (b->n + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 65536;
        uint8_t *np;
        while (ncap < b->n + n) ncap *= 2;
        np = realloc(b->p, ncap);
        if (np == NULL) die("out of memory");
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

/* ---------------------------------------------------------------- images and scenes */

/* 8-bit samples, or 16-bit big-endian samples (as PNG stores them) when bits is 16. */
typedef struct img {
    uint32_t w, h, ch, bits;
    uint8_t *px;
} img;

static size_t img_stride(const img *im) { return (size_t)im->w * im->ch * (im->bits / 8); }

static void img_alloc(img *im, uint32_t w, uint32_t h, uint32_t ch, uint32_t bits)
{
    im->w = w;
    im->h = h;
    im->ch = ch;
    im->bits = bits;
    im->px = xmalloc(img_stride(im) * h);
}

static void img_free(img *im)
{
    free(im->px);
    im->px = NULL;
}

enum { SH_ELLIPSE, SH_RECT, SH_RING, SH_COUNT };

typedef struct shape {
    int kind;
    double cx, cy, rx, ry, ca, sa; /* centre, radii, rotation cos/sin */
    double col[3];
} shape;

/* A scene is a continuous picture on the unit square, so the same scene rendered at
 * 800x600 and 400x300 is the same picture: that is what makes resized copies near-duplicates. */
typedef struct scene {
    double bg0[3], bg1[3], gx, gy;
    double stripe_f, stripe_amp, stripe_c, stripe_s;
    double noise;
    int nshapes;
    shape sh[8];
    uint64_t seed;
} scene;

static void scene_init(scene *s, unsigned id, int flat)
{
    rng r;
    double a;
    memset(s, 0, sizeof(*s));
    s->seed = mix64(MK_SEED ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull));
    r.s = s->seed;
    for (int c = 0; c < 3; c++) {
        s->bg0[c] = rng_range(&r, 0.0, 255.0);
        s->bg1[c] = flat ? s->bg0[c] + rng_range(&r, -3.0, 3.0) : rng_range(&r, 0.0, 255.0);
    }
    a = rng_range(&r, 0.0, 2.0 * MK_PI);
    s->gx = cos(a);
    s->gy = sin(a);
    if (flat) {
        s->noise = 1.0;
        return;
    }
    s->noise = rng_range(&r, 2.0, 10.0);
    if (rng_unit(&r) < 0.5) {
        a = rng_range(&r, 0.0, MK_PI);
        s->stripe_f = rng_range(&r, 2.0, 9.0);
        s->stripe_amp = rng_range(&r, 10.0, 40.0);
        s->stripe_c = cos(a);
        s->stripe_s = sin(a);
    }
    s->nshapes = 3 + (int)(rng_unit(&r) * 6.0);
    for (int i = 0; i < s->nshapes; i++) {
        shape *p = &s->sh[i];
        p->kind = (int)(rng_unit(&r) * SH_COUNT);
        p->cx = rng_range(&r, 0.1, 0.9);
        p->cy = rng_range(&r, 0.1, 0.9);
        p->rx = rng_range(&r, 0.05, 0.3);
        p->ry = rng_range(&r, 0.05, 0.3);
        a = rng_range(&r, 0.0, MK_PI);
        p->ca = cos(a);
        p->sa = sin(a);
        for (int c = 0; c < 3; c++) p->col[c] = rng_range(&r, 0.0, 255.0);
    }
}

/* Colour of the scene at (u, v) in [0,1)^2, 0..255 per channel, before noise. */
static void scene_at(const scene *s, double u, double v, double rgb[3])
{
    double t = 0.5 + (u - 0.5) * s->gx + (v - 0.5) * s->gy;
    t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
    for (int c = 0; c < 3; c++) rgb[c] = s->bg0[c] + (s->bg1[c] - s->bg0[c]) * t;
    if (s->stripe_amp > 0.0) {
        double st =
            s->stripe_amp * sin(2.0 * MK_PI * s->stripe_f * (u * s->stripe_c + v * s->stripe_s));
        for (int c = 0; c < 3; c++) rgb[c] += st;
    }
    for (int i = 0; i < s->nshapes; i++) {
        const shape *p = &s->sh[i];
        double dx = u - p->cx, dy = v - p->cy;
        double x = (dx * p->ca + dy * p->sa) / p->rx, y = (dy * p->ca - dx * p->sa) / p->ry;
        double d2 = x * x + y * y;
        int in;
        switch (p->kind) {
        case SH_ELLIPSE: in = d2 <= 1.0; break;
        case SH_RECT: in = fabs(x) <= 1.0 && fabs(y) <= 1.0; break;
        default: in = d2 <= 1.0 && d2 >= 0.45; break;
        }
        if (in)
            for (int c = 0; c < 3; c++) rgb[c] = 0.15 * rgb[c] + 0.85 * p->col[c];
    }
}

/* Render a scene at w x h: grey or RGB, 8 or 16 bits, with per-pixel noise. */
static void render(const scene *s, uint32_t w, uint32_t h, int grey, uint32_t bits, img *out)
{
    img_alloc(out, w, h, grey ? 1 : 3, bits);
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = out->px + (size_t)y * img_stride(out);
        size_t k = 0;
        for (uint32_t x = 0; x < w; x++) {
            double rgb[3], n;
            uint64_t hv = mix64(s->seed ^ (((uint64_t)y << 32) | x));
            n = ((double)(hv >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0) * s->noise;
            scene_at(s, ((double)x + 0.5) / w, ((double)y + 0.5) / h, rgb);
            if (grey) {
                rgb[0] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
            }
            for (uint32_t c = 0; c < out->ch; c++) {
                double v = rgb[c] + n;
                if (bits == 16) {
                    double v16 = v * 257.0;
                    unsigned q =
                        v16 <= 0.0 ? 0u : (v16 >= 65535.0 ? 65535u : (unsigned)(v16 + 0.5));
                    row[k++] = (uint8_t)(q >> 8);
                    row[k++] = (uint8_t)(q & 0xff);
                } else {
                    row[k++] = clamp8(v);
                }
            }
        }
    }
}

/* Add an alpha channel (a soft radial fade) to an 8-bit grey or RGB image. */
static void add_alpha(img *im)
{
    img o;
    if (im->bits != 8) die("internal: alpha on a 16-bit image");
    img_alloc(&o, im->w, im->h, im->ch + 1, 8);
    for (uint32_t y = 0; y < im->h; y++) {
        for (uint32_t x = 0; x < im->w; x++) {
            const uint8_t *src = im->px + ((size_t)y * im->w + x) * im->ch;
            uint8_t *dst = o.px + ((size_t)y * o.w + x) * o.ch;
            double dx = ((double)x + 0.5) / im->w - 0.5, dy = ((double)y + 0.5) / im->h - 0.5;
            memcpy(dst, src, im->ch);
            dst[im->ch] = clamp8(255.0 * (1.15 - 1.6 * sqrt(dx * dx + dy * dy)));
        }
    }
    img_free(im);
    *im = o;
}

/* Rotate 90 degrees clockwise (8-bit). */
static void rot90(img *im)
{
    img o;
    img_alloc(&o, im->h, im->w, im->ch, 8);
    for (uint32_t y = 0; y < o.h; y++)
        for (uint32_t x = 0; x < o.w; x++)
            memcpy(o.px + ((size_t)y * o.w + x) * o.ch,
                   im->px + ((size_t)(im->h - 1 - x) * im->w + y) * im->ch, im->ch);
    img_free(im);
    *im = o;
}

/* Mirror left-right (8-bit). */
static void mirror(img *im)
{
    for (uint32_t y = 0; y < im->h; y++) {
        uint8_t *row = im->px + (size_t)y * im->w * im->ch;
        for (uint32_t x = 0; x < im->w / 2; x++) {
            uint8_t *a = row + (size_t)x * im->ch, *b = row + (size_t)(im->w - 1 - x) * im->ch;
            for (uint32_t c = 0; c < im->ch; c++) {
                uint8_t t = a[c];
                a[c] = b[c];
                b[c] = t;
            }
        }
    }
}

/* Box-filter downscale to w x h (8-bit), as an image editor's "resize" would. */
static void resize(img *im, uint32_t w, uint32_t h)
{
    img o;
    img_alloc(&o, w, h, im->ch, 8);
    for (uint32_t y = 0; y < h; y++) {
        uint32_t y0 = (uint32_t)((uint64_t)y * im->h / h),
                 y1 = (uint32_t)((uint64_t)(y + 1) * im->h / h);
        if (y1 <= y0) y1 = y0 + 1;
        for (uint32_t x = 0; x < w; x++) {
            uint32_t x0 = (uint32_t)((uint64_t)x * im->w / w),
                     x1 = (uint32_t)((uint64_t)(x + 1) * im->w / w);
            if (x1 <= x0) x1 = x0 + 1;
            for (uint32_t c = 0; c < im->ch; c++) {
                uint64_t sum = 0;
                for (uint32_t yy = y0; yy < y1; yy++)
                    for (uint32_t xx = x0; xx < x1; xx++)
                        sum += im->px[((size_t)yy * im->w + xx) * im->ch + c];
                o.px[((size_t)y * w + x) * o.ch + c] =
                    (uint8_t)((sum + (uint64_t)(x1 - x0) * (y1 - y0) / 2) /
                              ((uint64_t)(x1 - x0) * (y1 - y0)));
            }
        }
    }
    img_free(im);
    *im = o;
}

/* 6x6x6 colour cube index of an RGB pixel: shared by the PNG palette and GIF encoders. */
static uint8_t cube_index(const uint8_t *rgb)
{
    return (uint8_t)(((rgb[0] * 5 + 127) / 255) * 36 + ((rgb[1] * 5 + 127) / 255) * 6 +
                     (rgb[2] * 5 + 127) / 255);
}

static void cube_colour(unsigned i, uint8_t out[3])
{
    out[0] = (uint8_t)((i / 36) * 51);
    out[1] = (uint8_t)((i / 6 % 6) * 51);
    out[2] = (uint8_t)((i % 6) * 51);
}

/* ---------------------------------------------------------------- encoders */

enum {
    M_GREY = 1 << 0,      /* one channel */
    M_ALPHA = 1 << 1,     /* add an alpha channel */
    M_PAL = 1 << 2,       /* PNG palette */
    M_TRNS = 1 << 3,      /* PNG palette with tRNS */
    M_16 = 1 << 4,        /* PNG 16 bits per sample */
    M_INTERLACE = 1 << 5, /* PNG Adam7 / GIF interlace */
    M_PROG = 1 << 6,      /* progressive JPEG */
    M_444 = 1 << 7,       /* JPEG without chroma subsampling */
    M_CMYK = 1 << 8,      /* Adobe CMYK JPEG */
    M_RESTART = 1 << 9,   /* JPEG restart markers */
    M_LOSSLESS = 1 << 10, /* lossless WebP */
    M_ANIM = 1 << 11,     /* two-frame GIF */
    M_BILEVEL = 1 << 12,  /* 1-bit grey PNG */
    M_FLAT = 1 << 13      /* almost uniform scene: low PDQ quality */
};

/* libjpeg's default error_exit prints the message and exits, which suits a generator. */
static void enc_jpeg(const img *im, int quality, int flags, membuf *mb)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    unsigned char *out = NULL;
    unsigned long outlen = 0;
    uint8_t *row = NULL;

    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &out, &outlen);
    ci.image_width = im->w;
    ci.image_height = im->h;
    if (flags & M_CMYK) {
        ci.input_components = 4;
        ci.in_color_space = JCS_CMYK;
        row = xmalloc((size_t)im->w * 4);
    } else {
        ci.input_components = (int)im->ch;
        ci.in_color_space = im->ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    }
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    if (flags & M_444) {
        ci.comp_info[0].h_samp_factor = 1;
        ci.comp_info[0].v_samp_factor = 1;
    }
    if (flags & M_PROG) jpeg_simple_progression(&ci);
    if (flags & M_RESTART) ci.restart_in_rows = 4;
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW rp = im->px + (size_t)ci.next_scanline * img_stride(im);
        if (flags & M_CMYK) {
            /* Adobe convention (what Photoshop writes): samples stored inverted. */
            for (uint32_t x = 0; x < im->w; x++) {
                const uint8_t *p = rp + (size_t)x * 3;
                unsigned mx = p[0] > p[1] ? p[0] : p[1];
                mx = mx > p[2] ? mx : p[2];
                for (unsigned c = 0; c < 3; c++)
                    row[4 * x + c] = (uint8_t)(mx ? (p[c] * 255u + mx / 2) / mx : 255u);
                row[4 * x + 3] = (uint8_t)mx;
            }
            rp = row;
        }
        jpeg_write_scanlines(&ci, &rp, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    mb_append(mb, out, outlen);
    free(out);
    free(row);
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    mb_append(png_get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png) { (void)png; }

/* Returns 0, or -1 with libpng's message already printed. */
static int enc_png(const img *im, int flags, membuf *mb)
{
    png_structp png;
    png_infop info;
    png_bytep *rows;
    uint8_t *conv = NULL;
    size_t cstride = img_stride(im);
    int ctype, depth;
    png_color pal[216];
    png_byte trns[216];

    if (flags & (M_PAL | M_BILEVEL)) {
        cstride = flags & M_PAL ? im->w : (im->w + 7) / 8;
        conv = xmalloc(cstride * im->h);
        memset(conv, 0, cstride * im->h);
        for (uint32_t y = 0; y < im->h; y++) {
            const uint8_t *src = im->px + (size_t)y * img_stride(im);
            uint8_t *dst = conv + (size_t)y * cstride;
            for (uint32_t x = 0; x < im->w; x++) {
                if (flags & M_PAL) dst[x] = cube_index(src + (size_t)x * 3);
                else if (src[x] >= 128) dst[x / 8] |= (uint8_t)(0x80u >> (x % 8));
            }
        }
    }
    rows = xmalloc(sizeof(png_bytep) * im->h);
    for (uint32_t y = 0; y < im->h; y++) rows[y] = (conv ? conv : im->px) + (size_t)y * cstride;

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) die("out of memory");
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(conv);
        return -1;
    }
    png_set_write_fn(png, mb, png_write_cb, png_flush_cb);
    png_set_compression_level(png, 1); /* noisy synthetic pixels barely compress anyway */
    if (flags & M_PAL) {
        ctype = PNG_COLOR_TYPE_PALETTE;
        depth = 8;
    } else if (flags & M_BILEVEL) {
        ctype = PNG_COLOR_TYPE_GRAY;
        depth = 1;
    } else {
        static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
        ctype = types[im->ch];
        depth = (int)im->bits;
    }
    png_set_IHDR(png, info, im->w, im->h, depth, ctype,
                 flags & M_INTERLACE ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (flags & M_PAL) {
        for (unsigned i = 0; i < 216; i++) {
            uint8_t c[3];
            cube_colour(i, c);
            pal[i].red = c[0];
            pal[i].green = c[1];
            pal[i].blue = c[2];
            trns[i] = (uint8_t)(i % 6 == 5 ? 96 : 255); /* the bluest entries see-through */
        }
        png_set_PLTE(png, info, pal, 216);
        if (flags & M_TRNS) png_set_tRNS(png, info, trns, 216, NULL);
    }
    png_write_info(png, info);
    png_write_image(png, rows); /* handles the Adam7 passes itself */
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(conv);
    return 0;
}

static int enc_webp(const img *im, int quality, int flags, membuf *mb)
{
    uint8_t *out = NULL;
    size_t n;
    int stride = (int)img_stride(im);
    if (flags & M_LOSSLESS)
        n = im->ch == 4 ? WebPEncodeLosslessRGBA(im->px, (int)im->w, (int)im->h, stride, &out)
                        : WebPEncodeLosslessRGB(im->px, (int)im->w, (int)im->h, stride, &out);
    else
        n = im->ch == 4
                ? WebPEncodeRGBA(im->px, (int)im->w, (int)im->h, stride, (float)quality, &out)
                : WebPEncodeRGB(im->px, (int)im->w, (int)im->h, stride, (float)quality, &out);
    if (n == 0) {
        fprintf(stderr, "datavet-mksample: WebP encoding failed\n");
        return -1;
    }
    mb_append(mb, out, n);
    WebPFree(out);
    return 0;
}

static int gif_write_cb(GifFileType *gif, const GifByteType *data, int n)
{
    mb_append(gif->UserData, data, (size_t)n);
    return n;
}

/* One frame per image in frames[] (all the same size), 6x6x6 colour cube palette. */
static int enc_gif(const img *frames, int nframes, int flags, membuf *mb)
{
    int err = 0;
    GifFileType *gif = EGifOpen(mb, gif_write_cb, &err);
    ColorMapObject *cmap = GifMakeMapObject(256, NULL);
    GifPixelType *line;
    const img *im0 = &frames[0];
    if (gif == NULL || cmap == NULL) die("out of memory");
    line = xmalloc(im0->w);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t c[3] = {0, 0, 0};
        if (i < 216) cube_colour(i, c);
        cmap->Colors[i].Red = c[0];
        cmap->Colors[i].Green = c[1];
        cmap->Colors[i].Blue = c[2];
    }
    EGifSetGifVersion(gif, nframes > 1);
    if (EGifPutScreenDesc(gif, (int)im0->w, (int)im0->h, 8, 0, cmap) == GIF_ERROR) goto fail;
    for (int f = 0; f < nframes; f++) {
        const img *im = &frames[f];
        int interlace = (flags & M_INTERLACE) != 0;
        /* interlaced GIF rows go in pass order: every 8th from 0, from 4, every 4th from 2, odd */
        static const uint32_t start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
        if (nframes > 1) {
            const GifByteType gce[4] = {0x04, 50, 0, 0}; /* dispose: restore bg; 0.5 s */
            if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_ERROR) goto fail;
        }
        if (EGifPutImageDesc(gif, 0, 0, (int)im->w, (int)im->h, interlace, NULL) == GIF_ERROR)
            goto fail;
        for (int pass = interlace ? 0 : 3; pass < 4; pass++) {
            uint32_t y0 = interlace ? start[pass] : 0, dy = interlace ? step[pass] : 1;
            for (uint32_t y = y0; y < im->h; y += dy) {
                const uint8_t *src = im->px + (size_t)y * img_stride(im);
                for (uint32_t x = 0; x < im->w; x++) line[x] = cube_index(src + (size_t)x * 3);
                if (EGifPutLine(gif, line, (int)im->w) == GIF_ERROR) goto fail;
            }
        }
    }
    GifFreeMapObject(cmap);
    free(line);
    if (EGifCloseFile(gif, &err) == GIF_ERROR) {
        fprintf(stderr, "datavet-mksample: GIF: %s\n", GifErrorString(err));
        return -1;
    }
    return 0;
fail:
    fprintf(stderr, "datavet-mksample: GIF: %s\n", GifErrorString(gif->Error));
    GifFreeMapObject(cmap);
    free(line);
    EGifCloseFile(gif, &err);
    return -1;
}

/* ---------------------------------------------------------------- the sample set */

enum { F_JPEG, F_PNG, F_WEBP, F_GIF, F_TRUNCATED_JPEG, F_TEXT };
enum { X_NONE, X_ROT90, X_MIRROR, X_RESIZE };

typedef struct spec {
    const char *name;
    int fmt;
    unsigned scene;
    uint32_t w, h; /* size the scene is rendered at */
    int xform;
    uint32_t rw, rh; /* X_RESIZE target */
    int flags;
    int quality;
} spec;

/* Groups a, b and c are near-duplicate families: one scene re-encoded, resized, rotated,
 * mirrored, in other formats. Everything else is a distinct scene. */
static const spec specs[] = {
    {"a-orig-800x600-q92", F_JPEG, 1, 800, 600, X_NONE, 0, 0, 0, 92},
    {"a-requality-q35", F_JPEG, 1, 800, 600, X_NONE, 0, 0, 0, 35},
    {"a-resized-400x300", F_JPEG, 1, 800, 600, X_RESIZE, 400, 300, 0, 85},
    {"a-rot90cw", F_JPEG, 1, 800, 600, X_ROT90, 0, 0, 0, 90},
    {"a-mirrored-lr", F_JPEG, 1, 800, 600, X_MIRROR, 0, 0, 0, 90},
    {"a-as-png", F_PNG, 1, 800, 600, X_NONE, 0, 0, 0, 0},
    {"a-as-webp", F_WEBP, 1, 800, 600, X_NONE, 0, 0, 0, 80},
    {"b-orig-1024x768", F_PNG, 2, 1024, 768, X_NONE, 0, 0, 0, 0},
    {"b-resized-512x384", F_WEBP, 2, 1024, 768, X_RESIZE, 512, 384, 0, 75},
    {"b-rot90cw", F_PNG, 2, 1024, 768, X_ROT90, 0, 0, 0, 0},
    {"b-mirrored-lr", F_GIF, 2, 1024, 768, X_MIRROR, 0, 0, 0, 0},
    {"b-requality-q20", F_JPEG, 2, 1024, 768, X_NONE, 0, 0, 0, 20},
    {"jpeg-grey-640x480", F_JPEG, 10, 640, 480, X_NONE, 0, 0, M_GREY, 88},
    {"jpeg-progressive-1024x683", F_JPEG, 11, 1024, 683, X_NONE, 0, 0, M_PROG, 85},
    {"jpeg-444-500x500", F_JPEG, 12, 500, 500, X_NONE, 0, 0, M_444, 95},
    {"jpeg-1920x1080", F_JPEG, 13, 1920, 1080, X_NONE, 0, 0, 0, 85},
    {"jpeg-3000x2000", F_JPEG, 14, 3000, 2000, X_NONE, 0, 0, 0, 80},
    {"jpeg-progressive-grey-1280x720", F_JPEG, 15, 1280, 720, X_NONE, 0, 0, M_PROG | M_GREY, 80},
    {"jpeg-cmyk-400x300", F_JPEG, 16, 400, 300, X_NONE, 0, 0, M_CMYK, 90},
    {"jpeg-restart-720x480", F_JPEG, 17, 720, 480, X_NONE, 0, 0, M_RESTART, 75},
    {"jpeg-tiny-4x4", F_JPEG, 18, 4, 4, X_NONE, 0, 0, 0, 90},
    {"png-rgb-320x240", F_PNG, 20, 320, 240, X_NONE, 0, 0, 0, 0},
    {"png-rgba-512x512", F_PNG, 21, 512, 512, X_NONE, 0, 0, M_ALPHA, 0},
    {"png-palette-400x300", F_PNG, 22, 400, 300, X_NONE, 0, 0, M_PAL, 0},
    {"png-palette-trns-256x256", F_PNG, 23, 256, 256, X_NONE, 0, 0, M_PAL | M_TRNS, 0},
    {"png-grey-300x300", F_PNG, 24, 300, 300, X_NONE, 0, 0, M_GREY, 0},
    {"png-grey-alpha-300x200", F_PNG, 25, 300, 200, X_NONE, 0, 0, M_GREY | M_ALPHA, 0},
    {"png-rgb16-480x320", F_PNG, 26, 480, 320, X_NONE, 0, 0, M_16, 0},
    {"png-grey16-256x256", F_PNG, 27, 256, 256, X_NONE, 0, 0, M_16 | M_GREY, 0},
    {"png-interlaced-360x240", F_PNG, 28, 360, 240, X_NONE, 0, 0, M_INTERLACE, 0},
    {"png-bilevel-200x200", F_PNG, 29, 200, 200, X_NONE, 0, 0, M_GREY | M_BILEVEL, 0},
    {"webp-lossy-640x480", F_WEBP, 30, 640, 480, X_NONE, 0, 0, 0, 75},
    {"webp-lossless-rgba-300x300", F_WEBP, 31, 300, 300, X_NONE, 0, 0, M_LOSSLESS | M_ALPHA, 0},
    {"webp-lossy-rgba-512x256", F_WEBP, 32, 512, 256, X_NONE, 0, 0, M_ALPHA, 70},
    {"webp-lossy-1920x1080", F_WEBP, 33, 1920, 1080, X_NONE, 0, 0, 0, 80},
    {"gif-320x240", F_GIF, 40, 320, 240, X_NONE, 0, 0, 0, 0},
    {"gif-interlaced-400x300", F_GIF, 41, 400, 300, X_NONE, 0, 0, M_INTERLACE, 0},
    {"gif-animated-2frames-200x200", F_GIF, 42, 200, 200, X_NONE, 0, 0, M_ANIM, 0},
    {"gif-1x1", F_GIF, 43, 1, 1, X_NONE, 0, 0, 0, 0},
    {"flat-jpeg-640x480", F_JPEG, 50, 640, 480, X_NONE, 0, 0, M_FLAT, 90},
    {"flat-png-200x200", F_PNG, 51, 200, 200, X_NONE, 0, 0, M_FLAT, 0},
    {"c-orig-1200x900", F_JPEG, 3, 1200, 900, X_NONE, 0, 0, 0, 90},
    {"c-thumb-150x112", F_PNG, 3, 1200, 900, X_RESIZE, 150, 112, 0, 0},
    {"c-rot90cw", F_WEBP, 3, 1200, 900, X_ROT90, 0, 0, 0, 85},
    {"c-mirrored-lr", F_PNG, 3, 1200, 900, X_MIRROR, 0, 0, 0, 0},
    {"c-requality-q10", F_JPEG, 3, 1200, 900, X_NONE, 0, 0, 0, 10},
    {"broken-truncated", F_TRUNCATED_JPEG, 60, 640, 480, X_NONE, 0, 0, 0, 90},
    {"broken-not-an-image", F_TEXT, 0, 0, 0, X_NONE, 0, 0, 0, 0},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static const char *ext_of(int fmt)
{
    switch (fmt) {
    case F_PNG: return "png";
    case F_WEBP: return "webp";
    case F_GIF: return "gif";
    default: return "jpg";
    }
}

/* Build the bytes of one sample. round > 0 (when N exceeds the table) shifts every scene. */
static int make_one(const spec *sp, unsigned round, membuf *mb)
{
    scene sc;
    img im;
    int rc = 0;
    unsigned id = sp->scene + round * 1000u;
    int flags = sp->flags;

    if (sp->fmt == F_TEXT) {
        static const char text[] =
            "This is not an image. datavet-mksample wrote this text file with a .jpg name\n"
            "to show that formats are detected from bytes and that failures are reported.\n";
        mb_append(mb, text, sizeof(text) - 1);
        return 0;
    }
    scene_init(&sc, id, (flags & M_FLAT) != 0);
    render(&sc, sp->w, sp->h, (flags & M_GREY) != 0, (flags & M_16) ? 16 : 8, &im);
    switch (sp->xform) {
    case X_ROT90: rot90(&im); break;
    case X_MIRROR: mirror(&im); break;
    case X_RESIZE: resize(&im, sp->rw, sp->rh); break;
    default: break;
    }
    if (flags & M_ALPHA) add_alpha(&im);

    switch (sp->fmt) {
    case F_JPEG: enc_jpeg(&im, sp->quality, flags, mb); break;
    case F_TRUNCATED_JPEG:
        enc_jpeg(&im, sp->quality, flags, mb);
        mb->n = mb->n * 2 / 5; /* cut inside the entropy-coded data */
        break;
    case F_PNG: rc = enc_png(&im, flags, mb); break;
    case F_WEBP: rc = enc_webp(&im, sp->quality, flags, mb); break;
    case F_GIF:
        if (flags & M_ANIM) {
            img frames[2];
            scene sc2;
            frames[0] = im;
            scene_init(&sc2, id + 500u, 0);
            render(&sc2, im.w, im.h, 0, 8, &frames[1]);
            rc = enc_gif(frames, 2, flags, mb);
            img_free(&frames[1]);
        } else {
            rc = enc_gif(&im, 1, flags, mb);
        }
        break;
    default: rc = -1; break;
    }
    img_free(&im);
    return rc;
}

static int write_file(const char *path, const membuf *mb)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "datavet-mksample: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fwrite(mb->p, 1, mb->n, f) != mb->n || fclose(f) != 0) {
        fprintf(stderr, "datavet-mksample: write failed on %s\n", path);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: datavet-mksample OUTDIR [N]\n"
            "Write N (default %d) synthetic images into OUTDIR (created if missing): JPEG, PNG,\n"
            "WebP and GIF in many variants, near-duplicate families (a-*, b-*, c-*) and two\n"
            "deliberately broken files. The output is the same on every run.\n",
            MK_DEFAULT_N);
}

int main(int argc, char **argv)
{
    unsigned long n = MK_DEFAULT_N;
    const char *dir;
    membuf mb = {0};
    size_t bytes = 0;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || argc > 3 || argv[1][0] == '\0') {
        usage(stderr);
        return 2;
    }
    dir = argv[1];
    if (argc == 3) {
        char *end;
        errno = 0;
        n = strtoul(argv[2], &end, 10);
        if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-' || n == 0 ||
            n > MK_MAX_N) {
            fprintf(stderr, "datavet-mksample: bad N '%s' (1..%d)\n", argv[2], MK_MAX_N);
            return 2;
        }
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "datavet-mksample: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (unsigned long i = 0; i < n; i++) {
        const spec *sp = &specs[i % NSPECS];
        unsigned round = (unsigned)(i / NSPECS);
        char path[4096], rtag[16] = "";
        int len;
        if (round > 0) snprintf(rtag, sizeof(rtag), "r%u-", round);
        len = snprintf(path, sizeof(path), "%s%s%03lu-%s%s.%s", dir,
                       dir[strlen(dir) - 1] == '/' ? "" : "/", i + 1, rtag, sp->name,
                       ext_of(sp->fmt));
        if (len < 0 || (size_t)len >= sizeof(path)) die("output path too long");
        mb.n = 0;
        if (make_one(sp, round, &mb) != 0 || write_file(path, &mb) != 0) {
            free(mb.p);
            return 1;
        }
        bytes += mb.n;
    }
    free(mb.p);
    printf("datavet-mksample: wrote %lu files (%zu bytes) to %s\n", n, bytes, dir);
    return 0;
}
