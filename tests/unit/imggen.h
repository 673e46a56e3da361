/* imggen.h - synthetic test images (gradients, shapes, noise) encoded into memory buffers.
 * Used by the image unit tests and the fuzz corpus generator; never real photographs. */
#ifndef DV_IMGGEN_H
#define DV_IMGGEN_H

#include <stddef.h>
#include <stdint.h>

/* Source pixels are always 4 bytes a pixel, rows packed (stride w * 4): RGBA, or CMYK
 * for the CMYK/YCCK JPEG variants. Grey variants take the first byte of each pixel. */
enum ig_pattern {
    IG_PAT_SOLID = 0,    /* every pixel is the colour given */
    IG_PAT_GRADIENT = 1, /* smooth ramps in x and y, alpha ramps too */
    IG_PAT_SHAPES = 2,   /* a few flat-coloured rectangles and a disc: at most 8 colours */
    IG_PAT_NOISE = 3     /* xorshift noise from the seed */
};

/* New w*h*4 buffer (malloc'd) filled with a pattern. colour is used by IG_PAT_SOLID and as
 * the background of IG_PAT_SHAPES; seed varies IG_PAT_NOISE and IG_PAT_SHAPES. */
uint8_t *ig_pixels(int w, int h, int pattern, const uint8_t colour[4], uint32_t seed);

enum ig_jpeg_variant {
    IG_JPEG_RGB = 0,         /* YCbCr 4:2:0, baseline */
    IG_JPEG_GREY = 1,        /* one component */
    IG_JPEG_CMYK = 2,        /* four components, no Adobe marker: plain (not inverted) CMYK */
    IG_JPEG_CMYK_ADOBE = 3,  /* four components with an Adobe APP14 marker (transform 0) */
    IG_JPEG_YCCK = 4,        /* CMYK stored as YCCK, Adobe marker transform 2 */
    IG_JPEG_PROGRESSIVE = 5, /* YCbCr, progressive scans */
    IG_JPEG_GREY_PROGRESSIVE = 6
};

enum ig_png_variant {
    IG_PNG_GREY8 = 0,
    IG_PNG_GREY1 = 1, /* 1 bit: first byte >= 128 is white */
    IG_PNG_GREY_ALPHA = 2,
    IG_PNG_RGB = 3,
    IG_PNG_RGBA = 4,
    IG_PNG_PALETTE = 5,      /* fails (NULL) when the image has more than 256 RGB colours */
    IG_PNG_PALETTE_TRNS = 6, /* palette of RGBA colours with a tRNS chunk */
    IG_PNG_RGB16 = 7,        /* 16 bits: high byte is the source, low byte is noise */
    IG_PNG_GREY16 = 8,
    IG_PNG_VARIANT_MASK = 0xff,
    IG_PNG_INTERLACE = 0x100 /* or-ed with a variant: Adam7 */
};

enum ig_webp_variant {
    IG_WEBP_LOSSY = 0,       /* RGB, quality 90 */
    IG_WEBP_LOSSY_ALPHA = 1, /* RGBA, VP8X + ALPH chunks */
    IG_WEBP_LOSSLESS = 2     /* RGBA, exact RGB under transparent pixels */
};

/* Geometry and structure of a GIF. The frame is the source image; the palette is built
 * from its distinct RGB colours (NULL when there are more than 256). */
typedef struct ig_gif_opts {
    int screen_w, screen_h; /* 0: the frame's size */
    int left, top;          /* frame offset on the logical screen */
    int map;                /* IG_GIF_MAP_* */
    int bg_index;           /* background index into the global map */
    uint8_t global_bg[3];   /* with IG_GIF_MAP_BOTH: colour of global entry 0 */
    int interlace;
    int frames; /* 0 or 1: one frame; more: later frames have inverted colours */
    int gif89;  /* write GIF89a (always when frames > 1) */
} ig_gif_opts;

enum ig_gif_map {
    IG_GIF_MAP_GLOBAL = 0, /* the image palette as the global colour map */
    IG_GIF_MAP_LOCAL = 1,  /* the image palette on the frame, no global map */
    IG_GIF_MAP_BOTH = 2    /* a 2-entry global map {global_bg, white} and the palette local */
};

/* One scan of a JPEG scan script (libjpeg's jpeg_scan_info): components by index, spectral
 * band ss..se, successive approximation bits ah (previous) and al (this scan). */
typedef struct ig_scan {
    int ncomps;
    int comp[4];
    int ss, se, ah, al;
} ig_scan;

#define IG_MAX_SCANS 64

/* Structure of a JPEG made by ig_jpeg_ex. Zero fields are libjpeg's defaults. */
typedef struct ig_jpeg_opts {
    int components;  /* 1 grey, 3 YCbCr from RGB (also 0), 4 CMYK with an Adobe marker */
    int quality;     /* 0: 75 */
    int samp[4][2];  /* h, v sampling factor per component; all 0: libjpeg's 2x2, 1x1, 1x1 */
    int progressive; /* jpeg_simple_progression (ignored when scans is set) */
    /* A scan script (at most IG_MAX_SCANS): progressive unless it is one full sequential
     * scan. Scans naming a component >= components are dropped, and components past the
     * last one are dropped from the rest, so one script serves grey and colour. */
    const ig_scan *scans;
    int nscans;
    unsigned restart_interval; /* in MCUs */
    int restart_in_rows;       /* in MCU rows (a DRI per scan: MCU rows differ), if interval 0 */
    int optimize_coding;       /* baseline only: progressive Huffman tables are always optimised */
    int arith;                 /* arithmetic coding instead of Huffman */
    int rgb;                   /* 3 components stored as RGB (Adobe marker), not YCbCr */
} ig_jpeg_opts;

/* Encoders: a new malloc'd buffer (free with free()) holding the whole file, its size in
 * *len; NULL on failure. */
uint8_t *ig_jpeg(const uint8_t *px, int w, int h, int variant, int quality, size_t *len);
uint8_t *ig_png(const uint8_t *px, int w, int h, int variant, size_t *len);
uint8_t *ig_webp(const uint8_t *px, int w, int h, int variant, size_t *len);
uint8_t *ig_gif(const uint8_t *px, int w, int h, const ig_gif_opts *opts, size_t *len);
/* A JPEG with the structure of opts (NULL: ig_jpeg's IG_JPEG_RGB at quality 75); NULL when
 * libjpeg refuses the combination (a bad script, more than 10 blocks in an interleaved MCU). */
uint8_t *ig_jpeg_ex(const uint8_t *px, int w, int h, const ig_jpeg_opts *opts, size_t *len);

/* Gives block (bx, by) of component comp of a JPEG written from coefficients: 64 quantised
 * DCT coefficients in natural (row-major, not zigzag) order, zeroed before the call. */
typedef void (*ig_coef_fn)(void *ctx, int comp, int bx, int by, int16_t block[64]);

/* A JPEG written from quantised coefficients (libjpeg's transcoding path, as jpegtran) with
 * the structure of opts and the quantisation tables of opts->quality, so a test can put
 * exact values, runs and bit patterns into the entropy-coded data. fill is called for every
 * block of each component, padding blocks past the edge included (those are not coded).
 * libjpeg refuses (NULL) an AC value whose first scan sees more than 10 bits (|v| >> Al >
 * 1023) or a DC difference of more than 11 bits. */
uint8_t *ig_jpeg_coef(int w, int h, const ig_jpeg_opts *opts, ig_coef_fn fill, void *ctx,
                      size_t *len);

/* The same, generating the pixels from a pattern (shapes with the given seed). */
uint8_t *ig_jpeg_pat(int w, int h, int pattern, int variant, size_t *len);
uint8_t *ig_png_pat(int w, int h, int pattern, int variant, size_t *len);
uint8_t *ig_webp_pat(int w, int h, int pattern, int variant, size_t *len);
uint8_t *ig_gif_pat(int w, int h, int pattern, const ig_gif_opts *opts, size_t *len);

/* Deterministic xorshift32 stream for tests (state must not be 0). */
uint32_t ig_rand(uint32_t *state);

#endif
