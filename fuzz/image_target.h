/* image_target.h - the body shared by the four image fuzz targets; each defines FUZZ_FORMAT.
 * Decodes with a 16M-pixel limit, PDQ-hashes what decodes; a broken API promise aborts. */
#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT (a dv_image_format) before including image_target.h"
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever the input, a result must be either a sane image or an error with a message. */
static void check(const dv_decoder *d, int rc, const dv_image *im, const dv_decode_opts *o)
{
    if (rc != DV_OK) {
        if (rc != DV_ECORRUPT && rc != DV_EFORMAT && rc != DV_ETOOBIG && rc != DV_ENOMEM) abort();
        if (dv_decoder_errmsg(d)[0] == '\0') abort();
        return;
    }
    if (im->format != FUZZ_FORMAT || im->pixels == NULL) abort();
    if (im->width == 0 || im->height == 0) abort();
    if (im->channels != 1 && im->channels != 3) abort();
    if (im->stride < (size_t)im->width * im->channels) abort();
    if ((uint64_t)im->width * im->height > o->max_pixels) abort();
    if (im->scale_denom != 1 && im->scale_denom != 2 && im->scale_denom != 4 &&
        im->scale_denom != 8)
        abort();
    /* JPEG rounds scaled sizes up; a GIF canvas grows to hold a frame past the screen */
    if (im->format == DV_FMT_GIF
            ? im->width < im->src_width
            : im->width != (im->src_width + im->scale_denom - 1) / im->scale_denom)
        abort();
    if (dv_decoder_errmsg(d)[0] != '\0') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_decode_opts o = {0};
    dv_decoder *d;
    dv_image im;
    int rc;

    /* other formats are other targets' business */
    if (dv_image_sniff(data, size) != FUZZ_FORMAT) return 0;
    o.max_pixels = 16u << 20;
    /* odd sizes also try fast mode (DCT scaling for JPEG, ignored elsewhere) */
    o.fast = (int)(size & 1);
    o.fast_min_side = 32;
    d = dv_decoder_create(&o);
    if (d == NULL) return 0;
    rc = dv_decoder_decode(d, data, size, &im);
    check(d, rc, &im, &o);
    if (FUZZ_FORMAT == DV_FMT_JPEG) {
        /* datavet's Huffman decoders against libjpeg-turbo's own: the same answer,
         * to the pixel, for any input */
        dv_decode_opts o2 = o;
        dv_decoder *d2;
        dv_image im2;
        int rc2;
        o2.simd = DV_SIMD_SCALAR;
        d2 = dv_decoder_create(&o2);
        if (d2 != NULL) {
            rc2 = dv_decoder_decode(d2, data, size, &im2);
            if (rc2 != rc && rc2 != DV_ENOMEM && rc != DV_ENOMEM) abort();
            if (rc == DV_OK && rc2 == DV_OK) {
                if (im.width != im2.width || im.height != im2.height ||
                    im.channels != im2.channels || im.stride != im2.stride)
                    abort();
                for (uint32_t y = 0; y < im.height; y++)
                    if (memcmp(im.pixels + (size_t)y * im.stride,
                               im2.pixels + (size_t)y * im2.stride,
                               (size_t)im.width * im.channels) != 0)
                        abort();
            }
            dv_decoder_free(d2);
        }
        /* hash --fast's decode, which skips progressive refinement scans (not exact, so
         * only the API's promises are checked) */
        if (o.fast) {
            dv_decode_opts o3 = o;
            dv_decoder *d3;
            dv_image im3;
            o3.fast_skip_refine = 1;
            d3 = dv_decoder_create(&o3);
            if (d3 != NULL) {
                check(d3, dv_decoder_decode(d3, data, size, &im3), &im3, &o3);
                dv_decoder_free(d3);
            }
        }
    }
    if (rc == DV_OK) {
        dv_pdq_hasher *h = dv_pdq_hasher_create(NULL);
        dv_pdq_result r;
        if (h != NULL) {
            rc = dv_pdq_hash_image(h, &im, &r);
            if (rc != DV_OK && rc != DV_ENOMEM) abort();
            if (rc == DV_OK && (r.quality < 0 || r.quality > 100 || r.ndihedral != 1)) abort();
            dv_pdq_hasher_free(h);
        }
    }
    dv_decoder_free(d);
    return 0;
}
