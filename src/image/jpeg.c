/* jpeg.c - JPEG adapter over libjpeg-turbo: grey, YCbCr/RGB, CMYK and YCCK to grey/RGB.
 * Errors longjmp back here with libjpeg's message; truncated data is an error. */
#include "jpeg_internal.h"

#include <setjmp.h>
#include <string.h>

#include <jerror.h>

/* A progressive JPEG may repeat scans without end: each costs a pass over the whole
 * coefficient buffer. Real encoders write about 10; libjpeg-turbo suggests 500 as a cap. */
#define MAX_SCANS 500
#define DV__JPEG_RETRY (-1000)

typedef struct jerr_ctx {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    dv_decoder *dec;
    int truncated;
    int fastprog; /* our progressive entropy decoder may be in use */
    int retry;    /* it gave up: decode again with libjpeg's */
    struct jpeg_progress_mgr progress;
} jerr_ctx;

/* The fast progressive decoder, or anything while it may be in use, met something
 * unusual: start over with libjpeg's own decoder, whose handling of it is the
 * reference's. */
static void bail_to_libjpeg(j_decompress_ptr cinfo)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    e->retry = 1;
    longjmp(e->jump, 1);
}

static void on_progress(j_common_ptr cinfo)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    if (!cinfo->is_decompressor) return;
    if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
        dv__set_err(e->dec->err, sizeof(e->dec->err),
                    "jpeg: more than %d progressive scans: refused as a decoding bomb", MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

static void on_error(j_common_ptr cinfo)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    if (e->fastprog) {
        e->retry = 1;
        longjmp(e->jump, 1);
    }
    e->pub.format_message(cinfo, msg);
    dv__set_err(e->dec->err, sizeof(e->dec->err), "jpeg: %s", msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    jerr_ctx *e = (jerr_ctx *)cinfo->err;
    /* Only warnings (level -1) matter; premature end of data means the file is cut. */
    if (level < 0 && e->fastprog) {
        e->retry = 1;
        longjmp(e->jump, 1);
    }
    if (level < 0 && e->pub.msg_code == JWRN_JPEG_EOF) e->truncated = 1;
}

static void on_output(j_common_ptr cinfo) { (void)cinfo; }

/* Adobe-style inverted CMYK (as Photoshop writes it) to RGB. Values are stored
 * inverted, so C' = 255 - C; R = (255 - C)(255 - K)/255 = C' K' / 255, rounded. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, uint32_t n, int inverted)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned c = in[4 * i], m = in[4 * i + 1], y = in[4 * i + 2], k = in[4 * i + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        out[3 * i] = (uint8_t)((c * k + 127) / 255);
        out[3 * i + 1] = (uint8_t)((m * k + 127) / 255);
        out[3 * i + 2] = (uint8_t)((y * k + 127) / 255);
    }
}

static uint32_t pick_denom(const dv_decoder *d, uint32_t w, uint32_t h)
{
    uint32_t minside = w < h ? w : h;
    uint32_t denom = 1;
    if (!d->opts.fast) return 1;
    while (denom < 8 && minside / (denom * 2) >= d->opts.fast_min_side) denom *= 2;
    return denom;
}

static void read_rows(j_decompress_ptr cinfo, jerr_ctx *jerr, uint8_t *pix, size_t stride)
{
    while (cinfo->output_scanline < cinfo->output_height && !jerr->truncated) {
        JSAMPROW rows[8];
        unsigned n = 0;
        while (n < 8 && cinfo->output_scanline + n < cinfo->output_height) {
            rows[n] = pix + (size_t)(cinfo->output_scanline + n) * stride;
            n++;
        }
        jpeg_read_scanlines(cinfo, rows, n);
    }
}

static int decode_once(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out,
                       int fastprog)
{
    struct jpeg_decompress_struct cinfo;
    jerr_ctx jerr;
    volatile int rc = DV_OK;
    volatile int created = 0;
    volatile int cmyk = 0, inverted = 0;
    uint32_t outch;
    size_t stride, need;
    uint8_t *pix;

    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error;
    jerr.pub.emit_message = on_message;
    jerr.pub.output_message = on_output;
    jerr.dec = d;
    jerr.truncated = 0;
    jerr.fastprog = fastprog;
    jerr.retry = 0;
    if (setjmp(jerr.jump)) {
        if (created) jpeg_destroy_decompress(&cinfo);
        if (jerr.retry) return DV__JPEG_RETRY;
        return rc != DV_OK ? rc : DV_ECORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    created = 1;
    jerr.progress.progress_monitor = on_progress;
    cinfo.progress = &jerr.progress;
    if (len > (size_t)(unsigned long)-1) {
        rc = DV_ETOOBIG;
        dv__set_err(d->err, sizeof(d->err), "jpeg: file too large");
        longjmp(jerr.jump, 1);
    }
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    out->format = DV_FMT_JPEG;
    out->src_width = cinfo.image_width;
    out->src_height = cinfo.image_height;
    rc = dv__decoder_check_size(d, "jpeg", cinfo.image_width, cinfo.image_height);
    if (rc != DV_OK) longjmp(jerr.jump, 1);

    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        cmyk = 1;
        inverted = cinfo.saw_Adobe_marker;
        break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    out->scale_denom = pick_denom(d, cinfo.image_width, cinfo.image_height);
    if (out->scale_denom > 1) {
        cinfo.scale_num = 1;
        cinfo.scale_denom = out->scale_denom;
    }
    if (d->opts.fast && cinfo.jpeg_color_space == JCS_YCbCr) {
        /* JPEG's Y is PDQ's luma (0.299/0.587/0.114) up to rounding: decoding Y alone
         * skips the chroma IDCTs, upsampling and colour conversion. */
        cinfo.out_color_space = JCS_GRAYSCALE;
        cinfo.dct_method = JDCT_IFAST;
        cinfo.do_fancy_upsampling = FALSE;
    }
    /* Progressive Huffman: our entropy decoder in buffered-image mode, which reads
     * every scan before any output, as jpeg_start_decompress does. */
    if (jerr.fastprog && (cinfo.arith_code || cmyk)) jerr.fastprog = 0;
    if (jerr.fastprog && cinfo.progressive_mode) cinfo.buffered_image = TRUE;
    jpeg_start_decompress(&cinfo);
    if (jerr.fastprog && !cinfo.progressive_mode) {
        /* baseline: ours decodes as the rows are read; a multi-scan file has been
         * read whole by now, by libjpeg */
        if (dv__jseq_install(&cinfo, d, bail_to_libjpeg) != 0) jerr.fastprog = 0;
    } else if (jerr.fastprog) {
        if (dv__jprog_install(&cinfo, d, bail_to_libjpeg) != 0) bail_to_libjpeg(&cinfo);
        for (;;) {
            int r = jpeg_consume_input(&cinfo);
            if (r == JPEG_REACHED_EOI) break;
            if (r == JPEG_SUSPENDED) bail_to_libjpeg(&cinfo);
            on_progress((j_common_ptr)&cinfo);
        }
        /* an incomplete progression gets libjpeg's block smoothing: leave it to libjpeg */
        if (!dv__jprog_complete(&cinfo)) bail_to_libjpeg(&cinfo);
        jerr.fastprog = 0;
        jpeg_start_output(&cinfo, cinfo.input_scan_number);
    }
    outch = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    stride = (size_t)cinfo.output_width * outch;
    need = stride * cinfo.output_height;
    pix = dv__decoder_pixels(d, need);
    if (pix == NULL) {
        rc = DV_ENOMEM;
        dv__set_err(d->err, sizeof(d->err), "jpeg: out of memory for %ux%u pixels",
                    cinfo.output_width, cinfo.output_height);
        longjmp(jerr.jump, 1);
    }
    if (cmyk) {
        uint8_t *row = dv__decoder_aux(d, (size_t)cinfo.output_width * 4);
        if (row == NULL) {
            rc = DV_ENOMEM;
            longjmp(jerr.jump, 1);
        }
        while (cinfo.output_scanline < cinfo.output_height && !jerr.truncated) {
            JSAMPROW rp = row;
            uint8_t *dst = pix + (size_t)cinfo.output_scanline * stride;
            jpeg_read_scanlines(&cinfo, &rp, 1);
            cmyk_to_rgb(row, dst, cinfo.output_width, inverted);
        }
    } else {
        read_rows(&cinfo, &jerr, pix, stride);
    }
    if (jerr.truncated) {
        rc = DV_ECORRUPT;
        dv__set_err(d->err, sizeof(d->err),
                    "jpeg: truncated: data ends before scanline %u of %u (file is %zu bytes)",
                    cinfo.output_scanline, cinfo.output_height, len);
        longjmp(jerr.jump, 1);
    }
    /* Trailing garbage after the image is common on the web and harmless. */
    jpeg_abort_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->channels = outch;
    out->stride = stride;
    out->pixels = pix;
    return DV_OK;
}

int dv__decode_jpeg(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out)
{
    /* datavet's Huffman decoders are portable C: used unless the scalar twin (here,
     * libjpeg-turbo's own decoders) is asked for, in the options or by DV_SIMD */
    int fastprog = d->opts.simd != DV_SIMD_SCALAR && !dv__simd_forced_scalar();
    int rc = decode_once(d, buf, len, out, fastprog);
    dv__jhuff_wipe(d);
    if (rc == DV__JPEG_RETRY) rc = decode_once(d, buf, len, out, 0);
    return rc;
}
