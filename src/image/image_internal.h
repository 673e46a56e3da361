/* image_internal.h - what the per-format adapters share with the dispatcher.
 * Each adapter decodes one whole file from memory into the decoder's reused buffer. */
#ifndef DV_IMAGE_INTERNAL_H
#define DV_IMAGE_INTERNAL_H

#include "../common/common.h"

struct dv_decoder {
    dv_decode_opts opts;
    const dv_alloc *alloc;
    uint8_t *pix; /* output pixels, grown on demand and reused */
    size_t pixcap;
    uint8_t *aux; /* scratch rows (CMYK, RGBA, row pointers) */
    size_t auxcap;
    uint8_t *ebuf; /* progressive JPEG: one entropy-coded segment, unstuffed */
    size_t ebufcap;
    size_t ebufused; /* high-water mark, wiped after each image */
    void *jhuff;     /* jpeg_huff.c's decoder object, reused */
    char err[256];
};

/* Pixel buffer of at least n bytes, reused between images; NULL when out of memory. */
uint8_t *dv__decoder_pixels(dv_decoder *d, size_t n);
uint8_t *dv__decoder_aux(dv_decoder *d, size_t n);

/* Checks w x h against the pixel limit before anything is allocated. */
int dv__decoder_check_size(dv_decoder *d, const char *fmt, uint64_t w, uint64_t h);

int dv__decode_jpeg(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out);
int dv__decode_png(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out);
int dv__decode_webp(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out);
int dv__decode_gif(dv_decoder *d, const uint8_t *buf, size_t len, dv_image *out);

#endif
