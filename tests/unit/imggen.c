/* imggen.c - encodes synthetic images into memory with libjpeg-turbo, libpng, libwebp, giflib.
 * Every variant the decoder claims to handle can be produced here without any fixture file. */
#include "imggen.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

uint32_t ig_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* ---------------------------------------------------------------- patterns */

static const uint8_t shape_colours[4][4] = {
    {250, 30, 30, 0},   /* fully transparent: RGB must still come through */
    {30, 200, 60, 128}, /* half transparent */
    {20, 40, 230, 255},
    {240, 240, 20, 255},
};

uint8_t *ig_pixels(int w, int h, int pattern, const uint8_t colour[4], uint32_t seed)
{
    static const uint8_t def[4] = {40, 60, 90, 255};
    uint8_t *px;
    uint32_t st = seed ? seed : 0x9e3779b9u;
    if (w <= 0 || h <= 0) return NULL;
    px = malloc((size_t)w * (size_t)h * 4);
    if (px == NULL) return NULL;
    if (colour == NULL) colour = def;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)x) * 4;
            switch (pattern) {
            case IG_PAT_GRADIENT:
                p[0] = (uint8_t)(w > 1 ? x * 255 / (w - 1) : 128);
                p[1] = (uint8_t)(h > 1 ? y * 255 / (h - 1) : 128);
                p[2] = (uint8_t)(w + h > 2 ? (x + y) * 255 / (w + h - 2) : 128);
                p[3] = (uint8_t)(255 - p[0] / 2);
                break;
            case IG_PAT_NOISE: {
                uint32_t r = ig_rand(&st);
                memcpy(p, &r, 4);
                break;
            }
            case IG_PAT_SHAPES: {
                /* two rectangles, a disc and a diagonal band over the background */
                int ox = (int)(seed % 7u), oy = (int)((seed / 7u) % 5u);
                long cx = w / 2 + ox, cy = h / 2 + oy, r = (w < h ? w : h) / 4;
                long dx = x - cx, dy = y - cy;
                const uint8_t *c = colour;
                if (x >= w / 8 + ox && x < w / 2 && y >= h / 8 && y < h / 2 + oy)
                    c = shape_colours[0];
                else if (x >= w / 2 && x < w - w / 8 && y >= h / 8 + oy && y < h / 3)
                    c = shape_colours[1];
                else if (dx * dx + dy * dy <= r * r)
                    c = shape_colours[2];
                else if (abs(x - y) < 2)
                    c = shape_colours[3];
                memcpy(p, c, 4);
                break;
            }
            default: memcpy(p, colour, 4); break;
            }
        }
    }
    return px;
}

/* ---------------------------------------------------------------- growable buffer */

typedef struct ig_buf {
    uint8_t *p;
    size_t len, cap;
    int failed;
} ig_buf;

static void buf_put(ig_buf *b, const void *src, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        uint8_t *np;
        while (cap < b->len + n) cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static uint8_t *buf_finish(ig_buf *b, size_t *len)
{
    if (b->failed || b->len == 0) {
        free(b->p);
        return NULL;
    }
    *len = b->len;
    return b->p;
}

/* ---------------------------------------------------------------- JPEG */

typedef struct jpeg_job {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    struct jpeg_destination_mgr dest;
    jmp_buf jump;
    ig_buf out;
    uint8_t *row;
    JOCTET chunk[4096];
    jpeg_scan_info scans[IG_MAX_SCANS];
} jpeg_job;

static void jpeg_fail(j_common_ptr cinfo) { longjmp(((jpeg_job *)cinfo->client_data)->jump, 1); }

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo;
    (void)level;
}

static void dest_init(j_compress_ptr cinfo)
{
    jpeg_job *j = cinfo->client_data;
    j->dest.next_output_byte = j->chunk;
    j->dest.free_in_buffer = sizeof(j->chunk);
}

static boolean dest_empty(j_compress_ptr cinfo)
{
    jpeg_job *j = cinfo->client_data;
    buf_put(&j->out, j->chunk, sizeof(j->chunk));
    j->dest.next_output_byte = j->chunk;
    j->dest.free_in_buffer = sizeof(j->chunk);
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo)
{
    jpeg_job *j = cinfo->client_data;
    buf_put(&j->out, j->chunk, sizeof(j->chunk) - j->dest.free_in_buffer);
}

/* ig_jpeg's script with scans naming missing components left out; the scan count. */
static int copy_script(jpeg_job *j, const ig_scan *sc, int n, int comps)
{
    int out = 0;
    for (int i = 0; i < n && out < IG_MAX_SCANS; i++) {
        jpeg_scan_info *si = &j->scans[out];
        si->comps_in_scan = 0;
        for (int c = 0; c < sc[i].ncomps && c < 4; c++)
            if (sc[i].comp[c] < comps) si->component_index[si->comps_in_scan++] = sc[i].comp[c];
        if (si->comps_in_scan == 0) continue;
        si->Ss = sc[i].ss;
        si->Se = sc[i].se;
        si->Ah = sc[i].ah;
        si->Al = sc[i].al;
        out++;
    }
    return out;
}

/* Settings of ig_jpeg_ex on top of a variant's defaults. */
static void apply_opts(jpeg_job *j, const ig_jpeg_opts *o, int comps)
{
    struct jpeg_compress_struct *ci = &j->cinfo;
    int any = 0;
    /* first: jpeg_set_colorspace resets the sampling factors and the scan script */
    if (o->rgb && comps == 3) jpeg_set_colorspace(ci, JCS_RGB);
    for (int c = 0; c < comps && c < 4; c++) any |= o->samp[c][0] | o->samp[c][1];
    if (any) {
        for (int c = 0; c < comps && c < 4; c++) {
            ci->comp_info[c].h_samp_factor = o->samp[c][0] ? o->samp[c][0] : 1;
            ci->comp_info[c].v_samp_factor = o->samp[c][1] ? o->samp[c][1] : 1;
        }
    }
    if (o->scans != NULL && o->nscans > 0) {
        ci->num_scans = copy_script(j, o->scans, o->nscans, comps);
        ci->scan_info = j->scans;
    } else if (o->progressive) {
        jpeg_simple_progression(ci);
    }
    ci->restart_interval = o->restart_interval;
    ci->restart_in_rows = o->restart_interval ? 0 : o->restart_in_rows;
    ci->optimize_coding = o->optimize_coding ? TRUE : FALSE;
    ci->arith_code = o->arith ? TRUE : FALSE;
}


/* A compressor writing into j's growing buffer, for a w x h image. */
static void start_compress(jpeg_job *j, int w, int h)
{
    jpeg_create_compress(&j->cinfo);
    j->cinfo.client_data = j;
    j->dest.init_destination = dest_init;
    j->dest.empty_output_buffer = dest_empty;
    j->dest.term_destination = dest_term;
    j->cinfo.dest = &j->dest;
    j->cinfo.image_width = (JDIMENSION)w;
    j->cinfo.image_height = (JDIMENSION)h;
}
static uint8_t *jpeg_encode(const uint8_t *px, int w, int h, int variant, int quality,
                            const ig_jpeg_opts *o, size_t *len)
{
    /* Everything longjmp must see lives in one heap block, so no local needs volatile. */
    jpeg_job *j;
    uint8_t *res;
    int comps;

    if (px == NULL || w <= 0 || h <= 0 || len == NULL) return NULL;
    j = calloc(1, sizeof(*j));
    if (j == NULL) return NULL;
    j->cinfo.err = jpeg_std_error(&j->err);
    j->err.error_exit = jpeg_fail;
    j->err.emit_message = jpeg_quiet;
    j->cinfo.client_data = j;
    if (setjmp(j->jump)) {
        jpeg_destroy_compress(&j->cinfo);
        free(j->row);
        free(j->out.p);
        free(j);
        return NULL;
    }
    start_compress(j, w, h);
    switch (variant) {
    case IG_JPEG_GREY:
    case IG_JPEG_GREY_PROGRESSIVE:
        j->cinfo.in_color_space = JCS_GRAYSCALE;
        comps = 1;
        break;
    case IG_JPEG_CMYK:
    case IG_JPEG_CMYK_ADOBE:
    case IG_JPEG_YCCK:
        j->cinfo.in_color_space = JCS_CMYK;
        comps = 4;
        break;
    default:
        j->cinfo.in_color_space = JCS_RGB;
        comps = 3;
        break;
    }
    j->cinfo.input_components = comps;
    jpeg_set_defaults(&j->cinfo);
    jpeg_set_quality(&j->cinfo, quality, TRUE);
    /* jpeg_set_defaults keeps CMYK as CMYK and turns the Adobe marker on for it */
    if (variant == IG_JPEG_CMYK) j->cinfo.write_Adobe_marker = FALSE;
    if (variant == IG_JPEG_YCCK) jpeg_set_colorspace(&j->cinfo, JCS_YCCK);
    if (variant == IG_JPEG_PROGRESSIVE || variant == IG_JPEG_GREY_PROGRESSIVE)
        jpeg_simple_progression(&j->cinfo);
    if (o != NULL) apply_opts(j, o, comps);
    j->row = malloc((size_t)w * (size_t)comps);
    if (j->row == NULL) longjmp(j->jump, 1);
    jpeg_start_compress(&j->cinfo, TRUE);
    while (j->cinfo.next_scanline < j->cinfo.image_height) {
        const uint8_t *src = px + (size_t)j->cinfo.next_scanline * (size_t)w * 4;
        JSAMPROW rp = j->row;
        for (size_t x = 0; x < (size_t)w; x++)
            for (size_t c = 0; c < (size_t)comps; c++)
                j->row[x * (size_t)comps + c] = src[x * 4 + c];
        jpeg_write_scanlines(&j->cinfo, &rp, 1);
    }
    jpeg_finish_compress(&j->cinfo);
    jpeg_destroy_compress(&j->cinfo);
    free(j->row);
    res = buf_finish(&j->out, len);
    free(j);
    return res;
}

uint8_t *ig_jpeg(const uint8_t *px, int w, int h, int variant, int quality, size_t *len)
{
    return jpeg_encode(px, w, h, variant, quality, NULL, len);
}

uint8_t *ig_jpeg_ex(const uint8_t *px, int w, int h, const ig_jpeg_opts *opts, size_t *len)
{
    static const ig_jpeg_opts defaults;
    const ig_jpeg_opts *o = opts ? opts : &defaults;
    int variant = o->components == 1   ? IG_JPEG_GREY
                  : o->components == 4 ? IG_JPEG_CMYK_ADOBE
                                       : IG_JPEG_RGB;
    return jpeg_encode(px, w, h, variant, o->quality > 0 ? o->quality : 75, o, len);
}

/* ig_jpeg_coef after the setjmp: may longjmp out of any libjpeg call. */
static void coef_body(jpeg_job *j, int w, int h, const ig_jpeg_opts *o, ig_coef_fn fill, void *ctx)
{
    jvirt_barray_ptr arrays[4];
    JDIMENSION wbs[4], hbs[4];
    int comps = o->components == 1 ? 1 : o->components == 4 ? 4 : 3, max_h = 1, max_v = 1;

    start_compress(j, w, h);
    j->cinfo.input_components = comps;
    j->cinfo.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&j->cinfo);
    jpeg_set_quality(&j->cinfo, o->quality > 0 ? o->quality : 75, TRUE);
    apply_opts(j, o, comps);
    for (int c = 0; c < comps; c++) {
        const jpeg_component_info *ci = &j->cinfo.comp_info[c];
        if (ci->h_samp_factor > max_h) max_h = ci->h_samp_factor;
        if (ci->v_samp_factor > max_v) max_v = ci->v_samp_factor;
    }
    /* block counts as libjpeg's initial_setup computes them, rounded up to whole MCUs as
     * jpegtran does, since the coefficient controller reads whole iMCU rows */
    for (int c = 0; c < comps; c++) {
        const jpeg_component_info *ci = &j->cinfo.comp_info[c];
        JDIMENSION hs = (JDIMENSION)ci->h_samp_factor, vs = (JDIMENSION)ci->v_samp_factor;
        JDIMENSION wb = (JDIMENSION)(((long)w * ci->h_samp_factor + max_h * 8 - 1) / (max_h * 8));
        JDIMENSION hb = (JDIMENSION)(((long)h * ci->v_samp_factor + max_v * 8 - 1) / (max_v * 8));
        wbs[c] = (wb + hs - 1) / hs * hs;
        hbs[c] = (hb + vs - 1) / vs * vs;
        arrays[c] = (*j->cinfo.mem->request_virt_barray)((j_common_ptr)&j->cinfo, JPOOL_IMAGE, TRUE,
                                                         wbs[c], hbs[c], vs);
    }
    (*j->cinfo.mem->realize_virt_arrays)((j_common_ptr)&j->cinfo);
    for (int c = 0; c < comps; c++) {
        for (JDIMENSION by = 0; by < hbs[c]; by++) {
            JBLOCKARRAY rows = (*j->cinfo.mem->access_virt_barray)((j_common_ptr)&j->cinfo,
                                                                   arrays[c], by, 1, TRUE);
            for (JDIMENSION bx = 0; bx < wbs[c]; bx++) {
                int16_t blk[64];
                memset(blk, 0, sizeof(blk));
                fill(ctx, c, (int)bx, (int)by, blk);
                for (int k = 0; k < 64; k++) rows[0][bx][k] = (JCOEF)blk[k];
            }
        }
    }
    jpeg_write_coefficients(&j->cinfo, arrays);
    jpeg_finish_compress(&j->cinfo);
    jpeg_destroy_compress(&j->cinfo);
}

uint8_t *ig_jpeg_coef(int w, int h, const ig_jpeg_opts *opts, ig_coef_fn fill, void *ctx,
                      size_t *len)
{
    static const ig_jpeg_opts defaults;
    jpeg_job *j;
    uint8_t *res;

    if (w <= 0 || h <= 0 || fill == NULL || len == NULL) return NULL;
    j = calloc(1, sizeof(*j));
    if (j == NULL) return NULL;
    j->cinfo.err = jpeg_std_error(&j->err);
    j->err.error_exit = jpeg_fail;
    j->err.emit_message = jpeg_quiet;
    j->cinfo.client_data = j;
    if (setjmp(j->jump)) {
        jpeg_destroy_compress(&j->cinfo);
        free(j->out.p);
        free(j);
        return NULL;
    }
    coef_body(j, w, h, opts ? opts : &defaults, fill, ctx);
    res = buf_finish(&j->out, len);
    free(j);
    return res;
}

/* ---------------------------------------------------------------- PNG */

typedef struct png_job {
    png_structp png;
    png_infop info;
    ig_buf out;
    uint8_t *pix; /* encoded rows, packed */
    png_bytep *rows;
    int npal;
    uint8_t pal[256][4];
} png_job;

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    buf_put(&((png_job *)png_get_io_ptr(png))->out, data, n);
}

static void png_flush_cb(png_structp png) { (void)png; }

static void png_fail(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Distinct colours of px (compared on ncmp bytes), at most 256; -1 when there are more.
 * idx gets each pixel's palette index. */
static int build_palette(const uint8_t *px, size_t n, size_t ncmp, uint8_t pal[256][4],
                         uint8_t *idx)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = px + i * 4;
        int k;
        for (k = 0; k < count; k++)
            if (memcmp(pal[k], p, ncmp) == 0) break;
        if (k == count) {
            if (count == 256) return -1;
            memset(pal[count], 0, 4);
            memcpy(pal[count], p, ncmp);
            count++;
        }
        if (idx) idx[i] = (uint8_t)k;
    }
    return count;
}

uint8_t *ig_png(const uint8_t *px, int w, int h, int variant, size_t *len)
{
    png_job *j;
    uint8_t *res;
    int kind = variant & IG_PNG_VARIANT_MASK;
    int depth = 8, ctype, bpp; /* bpp: bytes per pixel in the packed rows, 0 for 1-bit */
    size_t rowbytes, n = (size_t)w * (size_t)h;
    uint32_t noise = 12345;

    if (px == NULL || w <= 0 || h <= 0 || len == NULL) return NULL;
    switch (kind) {
    case IG_PNG_GREY8:
        ctype = PNG_COLOR_TYPE_GRAY;
        bpp = 1;
        break;
    case IG_PNG_GREY1:
        ctype = PNG_COLOR_TYPE_GRAY;
        depth = 1;
        bpp = 0;
        break;
    case IG_PNG_GREY_ALPHA:
        ctype = PNG_COLOR_TYPE_GRAY_ALPHA;
        bpp = 2;
        break;
    case IG_PNG_RGB:
        ctype = PNG_COLOR_TYPE_RGB;
        bpp = 3;
        break;
    case IG_PNG_RGBA:
        ctype = PNG_COLOR_TYPE_RGB_ALPHA;
        bpp = 4;
        break;
    case IG_PNG_PALETTE:
    case IG_PNG_PALETTE_TRNS:
        ctype = PNG_COLOR_TYPE_PALETTE;
        bpp = 1;
        break;
    case IG_PNG_RGB16:
        ctype = PNG_COLOR_TYPE_RGB;
        depth = 16;
        bpp = 6;
        break;
    case IG_PNG_GREY16:
        ctype = PNG_COLOR_TYPE_GRAY;
        depth = 16;
        bpp = 2;
        break;
    default: return NULL;
    }
    rowbytes = bpp ? (size_t)w * (size_t)bpp : ((size_t)w + 7) / 8;

    j = calloc(1, sizeof(*j));
    if (j == NULL) return NULL;
    j->pix = calloc(rowbytes, (size_t)h);
    j->rows = calloc((size_t)h, sizeof(png_bytep));
    if (j->pix == NULL || j->rows == NULL) goto fail_early;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        uint8_t *idx = malloc(n);
        if (idx == NULL) goto fail_early;
        j->npal = build_palette(px, n, kind == IG_PNG_PALETTE_TRNS ? 4 : 3, j->pal, idx);
        if (j->npal > 0) memcpy(j->pix, idx, n);
        free(idx);
        if (j->npal < 0) goto fail_early;
    }
    for (size_t y = 0; y < (size_t)h; y++) {
        uint8_t *r = j->pix + y * rowbytes;
        j->rows[y] = r;
        if (ctype == PNG_COLOR_TYPE_PALETTE) continue;
        for (size_t x = 0; x < (size_t)w; x++) {
            const uint8_t *p = px + (y * (size_t)w + x) * 4;
            switch (kind) {
            case IG_PNG_GREY8: r[x] = p[0]; break;
            case IG_PNG_GREY1:
                if (p[0] >= 128) r[x / 8] |= (uint8_t)(0x80u >> (x % 8));
                break;
            case IG_PNG_GREY_ALPHA:
                r[2 * x] = p[0];
                r[2 * x + 1] = p[3];
                break;
            case IG_PNG_RGB: memcpy(r + 3 * x, p, 3); break;
            case IG_PNG_RGBA: memcpy(r + 4 * x, p, 4); break;
            case IG_PNG_RGB16:
                for (size_t c = 0; c < 3; c++) {
                    r[6 * x + 2 * c] = p[c];
                    r[6 * x + 2 * c + 1] = (uint8_t)ig_rand(&noise);
                }
                break;
            case IG_PNG_GREY16:
                r[2 * x] = p[0];
                r[2 * x + 1] = (uint8_t)ig_rand(&noise);
                break;
            default: break;
            }
        }
    }

    j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_warn);
    if (j->png == NULL) goto fail_early;
    j->info = png_create_info_struct(j->png);
    if (j->info == NULL || setjmp(png_jmpbuf(j->png))) {
        png_destroy_write_struct(&j->png, &j->info);
        goto fail_early;
    }
    png_set_write_fn(j->png, j, png_write_cb, png_flush_cb);
    png_set_IHDR(j->png, j->info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 (variant & IG_PNG_INTERLACE) ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color colours[256];
        png_byte alpha[256];
        for (int k = 0; k < j->npal; k++) {
            colours[k].red = j->pal[k][0];
            colours[k].green = j->pal[k][1];
            colours[k].blue = j->pal[k][2];
            alpha[k] = j->pal[k][3];
        }
        png_set_PLTE(j->png, j->info, colours, j->npal);
        if (kind == IG_PNG_PALETTE_TRNS) png_set_tRNS(j->png, j->info, alpha, j->npal, NULL);
    }
    png_write_info(j->png, j->info);
    png_write_image(j->png, j->rows);
    png_write_end(j->png, NULL);
    png_destroy_write_struct(&j->png, &j->info);
    free(j->pix);
    free(j->rows);
    res = buf_finish(&j->out, len);
    free(j);
    return res;

fail_early:
    free(j->pix);
    free(j->rows);
    free(j->out.p);
    free(j);
    return NULL;
}

/* ---------------------------------------------------------------- WebP */

uint8_t *ig_webp(const uint8_t *px, int w, int h, int variant, size_t *len)
{
    uint8_t *res = NULL;
    if (px == NULL || w <= 0 || h <= 0 || len == NULL) return NULL;
    if (variant == IG_WEBP_LOSSLESS) {
        /* the simple lossless API may rewrite RGB under alpha 0; exact keeps it */
        WebPConfig cfg;
        WebPPicture pic;
        WebPMemoryWriter wr;
        int ok;
        if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic)) return NULL;
        cfg.lossless = 1;
        cfg.exact = 1;
        cfg.quality = 50;
        cfg.method = 1;
        pic.use_argb = 1;
        pic.width = w;
        pic.height = h;
        WebPMemoryWriterInit(&wr);
        pic.writer = WebPMemoryWrite;
        pic.custom_ptr = &wr;
        ok = WebPPictureImportRGBA(&pic, px, w * 4) && WebPEncode(&cfg, &pic);
        WebPPictureFree(&pic);
        if (ok && (res = malloc(wr.size)) != NULL) {
            memcpy(res, wr.mem, wr.size);
            *len = wr.size;
        }
        WebPMemoryWriterClear(&wr);
        return res;
    }
    {
        uint8_t *enc = NULL;
        size_t n;
        if (variant == IG_WEBP_LOSSY_ALPHA) {
            n = WebPEncodeRGBA(px, w, h, w * 4, 90.0f, &enc);
        } else {
            uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);
            if (rgb == NULL) return NULL;
            for (size_t i = 0; i < (size_t)w * (size_t)h; i++) memcpy(rgb + 3 * i, px + 4 * i, 3);
            n = WebPEncodeRGB(rgb, w, h, w * 3, 90.0f, &enc);
            free(rgb);
        }
        if (n > 0 && (res = malloc(n)) != NULL) {
            memcpy(res, enc, n);
            *len = n;
        }
        WebPFree(enc);
    }
    return res;
}

/* ---------------------------------------------------------------- GIF */

static int gif_write_cb(GifFileType *g, const GifByteType *data, int n)
{
    ig_buf *b = g->UserData;
    if (n < 0) return 0;
    buf_put(b, data, (size_t)n);
    return b->failed ? 0 : n;
}

static ColorMapObject *gif_map(const uint8_t pal[][4], int n)
{
    GifColorType cols[256];
    int size = 2;
    while (size < n) size *= 2;
    memset(cols, 0, sizeof(cols));
    for (int k = 0; k < n; k++) {
        cols[k].Red = pal[k][0];
        cols[k].Green = pal[k][1];
        cols[k].Blue = pal[k][2];
    }
    return GifMakeMapObject(size, cols);
}

uint8_t *ig_gif(const uint8_t *px, int w, int h, const ig_gif_opts *opts, size_t *len)
{
    static const ig_gif_opts defaults;
    static const int istart[4] = {0, 4, 2, 1}, istep[4] = {8, 8, 4, 2};
    ig_gif_opts o;
    uint8_t pal[256][4];
    uint8_t *idx = NULL, *line = NULL;
    ColorMapObject *imap = NULL, *gmap = NULL;
    GifFileType *g = NULL;
    ig_buf out = {0};
    int npal, err = 0, ok = 0, frames, mapsize;

    if (px == NULL || w <= 0 || h <= 0 || len == NULL) return NULL;
    o = opts ? *opts : defaults;
    if (o.screen_w <= 0) o.screen_w = o.left + w;
    if (o.screen_h <= 0) o.screen_h = o.top + h;
    frames = o.frames > 1 ? o.frames : 1;
    idx = malloc((size_t)w * (size_t)h);
    line = malloc((size_t)w);
    if (idx == NULL || line == NULL) goto done;
    npal = build_palette(px, (size_t)w * (size_t)h, 3, pal, idx);
    if (npal < 0) goto done;
    imap = gif_map((const uint8_t(*)[4])pal, npal);
    if (imap == NULL) goto done;
    mapsize = imap->ColorCount;
    if (o.map == IG_GIF_MAP_BOTH) {
        uint8_t gp[2][4] = {{o.global_bg[0], o.global_bg[1], o.global_bg[2], 0},
                            {255, 255, 255, 0}};
        gmap = gif_map((const uint8_t(*)[4])gp, 2);
        if (gmap == NULL) goto done;
    }
    g = EGifOpen(&out, gif_write_cb, &err);
    if (g == NULL) goto done;
    EGifSetGifVersion(g, o.gif89 || frames > 1);
    if (EGifPutScreenDesc(g, o.screen_w, o.screen_h, 8, o.bg_index,
                          o.map == IG_GIF_MAP_GLOBAL ? imap : gmap) == GIF_ERROR)
        goto done;
    if (frames > 1) {
        static const uint8_t loop[3] = {1, 0, 0};
        if (EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
            EGifPutExtensionBlock(g, 11, "NETSCAPE2.0") == GIF_ERROR ||
            EGifPutExtensionBlock(g, 3, loop) == GIF_ERROR ||
            EGifPutExtensionTrailer(g) == GIF_ERROR)
            goto done;
    }
    for (int f = 0; f < frames; f++) {
        if (frames > 1) {
            static const uint8_t gce[4] = {0x04, 10, 0, 0}; /* keep previous frame, 100 ms */
            if (EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_ERROR) goto done;
        }
        if (EGifPutImageDesc(g, o.left, o.top, w, h, o.interlace != 0,
                             o.map == IG_GIF_MAP_GLOBAL ? NULL : imap) == GIF_ERROR)
            goto done;
        for (int pass = 0; pass < (o.interlace ? 4 : 1); pass++) {
            int y0 = o.interlace ? istart[pass] : 0, dy = o.interlace ? istep[pass] : 1;
            for (int y = y0; y < h; y += dy) {
                /* later frames shift every index so they visibly differ from the first */
                for (int x = 0; x < w; x++)
                    line[x] = (uint8_t)((idx[(size_t)y * (size_t)w + (size_t)x] + f) % mapsize);
                if (EGifPutLine(g, line, w) == GIF_ERROR) goto done;
            }
        }
    }
    ok = 1;
done:
    if (g != NULL && EGifCloseFile(g, &err) == GIF_ERROR) ok = 0;
    GifFreeMapObject(imap);
    GifFreeMapObject(gmap);
    free(idx);
    free(line);
    if (!ok) {
        free(out.p);
        return NULL;
    }
    return buf_finish(&out, len);
}

/* ---------------------------------------------------------------- pattern shortcuts */

static const uint8_t pat_colour[4] = {200, 100, 50, 255};

uint8_t *ig_jpeg_pat(int w, int h, int pattern, int variant, size_t *len)
{
    uint8_t *px = ig_pixels(w, h, pattern, pat_colour, 1), *res;
    res = ig_jpeg(px, w, h, variant, 90, len);
    free(px);
    return res;
}

uint8_t *ig_png_pat(int w, int h, int pattern, int variant, size_t *len)
{
    uint8_t *px = ig_pixels(w, h, pattern, pat_colour, 1), *res;
    res = ig_png(px, w, h, variant, len);
    free(px);
    return res;
}

uint8_t *ig_webp_pat(int w, int h, int pattern, int variant, size_t *len)
{
    uint8_t *px = ig_pixels(w, h, pattern, pat_colour, 1), *res;
    res = ig_webp(px, w, h, variant, len);
    free(px);
    return res;
}

uint8_t *ig_gif_pat(int w, int h, int pattern, const ig_gif_opts *opts, size_t *len)
{
    uint8_t *px = ig_pixels(w, h, pattern, pat_colour, 1), *res;
    res = ig_gif(px, w, h, opts, len);
    free(px);
    return res;
}
