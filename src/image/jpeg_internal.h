/* jpeg_internal.h - what jpeg.c shares with the progressive entropy decoder. */
#ifndef DV_JPEG_INTERNAL_H
#define DV_JPEG_INTERNAL_H

#include "image_internal.h"

#include <stdio.h>

#include <jpeglib.h>

/* Called when the fast decoder meets anything it does not handle exactly as libjpeg
 * would (a bad code, data past a marker, an odd restart, ...). Must not return: it
 * longjmps out, and the caller decodes the file again with libjpeg's own decoder. */
typedef void (*dv__jprog_bail_fn)(j_decompress_ptr cinfo);

/* Replaces libjpeg-turbo's progressive Huffman entropy decoder (jdphuff.c) with ours.
 * Call after jpeg_start_decompress in buffered-image mode, when libjpeg has set up
 * the first scan; cinfo->src must be a memory source holding the rest of the file.
 * Returns 0, or -1 when the image is not one we handle (then nothing was changed). */
int dv__jprog_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);

/* The same for a single-scan baseline (sequential Huffman) file, after
 * jpeg_start_decompress in the normal mode; -1 when the file is not one. */
int dv__jseq_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);

/* Wipes what the decoders kept of the last image (its entropy-coded bytes; coefficients
 * live in libjpeg's pools, freed with it): image data is not kept past its decode. */
void dv__jhuff_wipe(dv_decoder *d);

/* 1 when every coefficient of every component is known to full precision (the
 * progression is complete), so libjpeg's block smoothing does not apply. */
int dv__jprog_complete(j_decompress_ptr cinfo);

#endif
