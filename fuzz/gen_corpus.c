/* gen_corpus.c - writes the fuzz seed corpora fuzz/corpus/<fmt>/ from synthetic imggen.c images,
 * plus truncated, byte-flipped and huge-header variants. Run by hand; commit what it writes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datavet.h"
#include "imggen.h"

#define MAX_SEED_BYTES 4096

static const char *g_root;
static size_t g_files, g_bytes;
static int g_errors;
static uint32_t g_rng = 0xC0FFEEu;

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: cannot create %s\n", path);
        exit(1);
    }
}

/* Generated names start with one of these; anything else (crash-*) is never touched. */
static int generated_name(const char *n)
{
    return strncmp(n, "seed-", 5) == 0 || strncmp(n, "trunc-", 6) == 0 ||
           strncmp(n, "flip-", 5) == 0 || strncmp(n, "bomb-", 5) == 0;
}

static void prepare_dir(const char *fmt)
{
    char dir[4096];
    DIR *d;
    struct dirent *e;
    snprintf(dir, sizeof(dir), "%s/%s", g_root, fmt);
    make_dir(dir);
    d = opendir(dir);
    if (d == NULL) return;
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 256];
        if (!generated_name(e->d_name)) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void write_file(const char *fmt, const char *name, const uint8_t *b, size_t n)
{
    char path[4096];
    FILE *f;
    if (n > MAX_SEED_BYTES) {
        fprintf(stderr, "gen_corpus: %s/%s is %zu bytes, over %d: left out\n", fmt, name, n,
                MAX_SEED_BYTES);
        g_errors++;
        return;
    }
    snprintf(path, sizeof(path), "%s/%s/%s", g_root, fmt, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
    g_files++;
    g_bytes += n;
}

static const char *rc_name(int rc) { return rc == DV_OK ? "ok" : dv_strerror(rc); }

/* Writes a seed, says how the decoder takes it, and with derive adds two truncations and
 * two copies with a few bytes changed. Takes ownership of b. */
static void seed(const char *fmt, const char *name, uint8_t *b, const size_t *np, int derive)
{
    /* size by pointer: read only after the encoder in the caller's argument list has run */
    size_t n = *np;
    char fname[256];
    dv_decoder *d = dv_decoder_create(NULL);
    dv_image im;
    int rc;
    if (b == NULL || d == NULL) {
        fprintf(stderr, "gen_corpus: cannot make %s/%s\n", fmt, name);
        exit(1);
    }
    rc = dv_decoder_decode(d, b, n, &im);
    printf("%-5s %-28s %5zu bytes  %-28s %s\n", fmt, name, n, rc_name(rc),
           rc == DV_OK ? "" : dv_decoder_errmsg(d));
    dv_decoder_free(d);
    snprintf(fname, sizeof(fname), "%s-%s", strncmp(name, "bomb", 4) == 0 ? "bomb" : "seed",
             strncmp(name, "bomb-", 5) == 0 ? name + 5 : name);
    write_file(fmt, fname, b, n);
    if (derive) {
        uint8_t *m = malloc(n);
        if (m == NULL) exit(1);
        for (int k = 1; k <= 2; k++) {
            size_t cut = n * (size_t)k / 3;
            snprintf(fname, sizeof(fname), "trunc-%s-%zu", name, cut);
            write_file(fmt, fname, b, cut);
        }
        for (int k = 0; k < 2; k++) {
            memcpy(m, b, n);
            for (int f = 0; f < 3; f++) {
                /* past the magic, so the input still reaches this format's adapter */
                size_t at = n > 16 ? 12 + ig_rand(&g_rng) % (n - 12) : ig_rand(&g_rng) % n;
                m[at] ^= (uint8_t)(1u + ig_rand(&g_rng) % 255u);
            }
            snprintf(fname, sizeof(fname), "flip-%s-%d", name, k);
            write_file(fmt, fname, m, n);
        }
        free(m);
    }
    free(b);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
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

static void jpeg_seeds(void)
{
    size_t n;
    uint8_t *b;
    prepare_dir("jpeg");
    b = ig_jpeg_pat(32, 24, IG_PAT_GRADIENT, IG_JPEG_RGB, &n);
    seed("jpeg", "rgb-gradient", b, &n, 1);
    {
        uint8_t *px = ig_pixels(48, 32, IG_PAT_SHAPES, NULL, 9);
        seed("jpeg", "rgb-shapes-q50", ig_jpeg(px, 48, 32, IG_JPEG_RGB, 50, &n), &n, 0);
        free(px);
        px = ig_pixels(8, 8, IG_PAT_NOISE, NULL, 5);
        seed("jpeg", "rgb-noise-8x8", ig_jpeg(px, 8, 8, IG_JPEG_RGB, 75, &n), &n, 0);
        free(px);
        px = ig_pixels(512, 384, IG_PAT_SOLID, NULL, 0);
        seed("jpeg", "solid-512x384-q30", ig_jpeg(px, 512, 384, IG_JPEG_RGB, 30, &n), &n, 0);
        free(px);
    }
    b = ig_jpeg_pat(32, 32, IG_PAT_GRADIENT, IG_JPEG_GREY, &n);
    seed("jpeg", "grey-gradient", b, &n, 1);
    b = ig_jpeg_pat(16, 16, IG_PAT_GRADIENT, IG_JPEG_CMYK, &n);
    seed("jpeg", "cmyk-plain", b, &n, 1);
    b = ig_jpeg_pat(24, 16, IG_PAT_SHAPES, IG_JPEG_CMYK_ADOBE, &n);
    seed("jpeg", "cmyk-adobe", b, &n, 0);
    b = ig_jpeg_pat(16, 16, IG_PAT_GRADIENT, IG_JPEG_YCCK, &n);
    seed("jpeg", "ycck", b, &n, 0);
    b = ig_jpeg_pat(32, 24, IG_PAT_GRADIENT, IG_JPEG_PROGRESSIVE, &n);
    seed("jpeg", "progressive", b, &n, 1);
    b = ig_jpeg_pat(24, 24, IG_PAT_SHAPES, IG_JPEG_GREY_PROGRESSIVE, &n);
    seed("jpeg", "grey-progressive", b, &n, 0);
    b = ig_jpeg_pat(17, 5, IG_PAT_GRADIENT, IG_JPEG_RGB, &n);
    seed("jpeg", "odd-17x5", b, &n, 0);
    b = ig_jpeg_pat(1, 1, IG_PAT_SOLID, IG_JPEG_RGB, &n);
    seed("jpeg", "1x1", b, &n, 0);
    /* SOF claiming 65000x65000, cut after the scan header */
    b = ig_jpeg_pat(16, 16, IG_PAT_GRADIENT, IG_JPEG_RGB, &n);
    if (b) {
        size_t i = 2;
        while (i + 9 <= n && b[i] == 0xFF) {
            unsigned m = b[i + 1], seg = (unsigned)b[i + 2] << 8 | b[i + 3];
            if (m >= 0xC0 && m <= 0xC2) memcpy(b + i + 5, "\xFD\xE8\xFD\xE8", 4);
            if (m == 0xDA) {
                n = i + 2 + seg;
                break;
            }
            i += 2 + seg;
        }
    }
    seed("jpeg", "bomb-65000x65000", b, &n, 0);
}

/* Progressive scripts for the seeds below (imggen.c drops scans of missing components). */
#define SCAN1(c, ss, se, ah, al) {1, {c, 0, 0, 0}, ss, se, ah, al}
#define DC3(ah, al) {3, {0, 1, 2, 0}, 0, 0, ah, al}
static const ig_scan k_bands[] = {DC3(0, 0),             SCAN1(0, 1, 2, 0, 0),
                                  SCAN1(1, 1, 2, 0, 0),  SCAN1(2, 1, 2, 0, 0),
                                  SCAN1(0, 3, 9, 0, 0),  SCAN1(1, 3, 63, 0, 0),
                                  SCAN1(2, 3, 63, 0, 0), SCAN1(0, 10, 63, 0, 0)};
static const ig_scan k_sa3[] = {
    DC3(0, 3),             SCAN1(0, 1, 63, 0, 3), SCAN1(1, 1, 63, 0, 3), SCAN1(2, 1, 63, 0, 3),
    DC3(3, 2),             SCAN1(0, 1, 63, 3, 2), DC3(2, 1),             SCAN1(1, 1, 63, 3, 2),
    DC3(1, 0),             SCAN1(0, 1, 5, 2, 1),  SCAN1(0, 6, 63, 2, 1), SCAN1(0, 1, 63, 1, 0),
    SCAN1(1, 1, 63, 2, 1), SCAN1(1, 1, 63, 1, 0), SCAN1(2, 1, 63, 3, 2), SCAN1(2, 1, 63, 2, 1),
    SCAN1(2, 1, 63, 1, 0)};
static const ig_scan k_dc_single[] = {SCAN1(0, 0, 0, 0, 1),  SCAN1(1, 0, 0, 0, 0),
                                      SCAN1(2, 0, 0, 0, 0),  SCAN1(0, 0, 0, 1, 0),
                                      SCAN1(0, 1, 63, 0, 1), SCAN1(1, 1, 63, 0, 0),
                                      SCAN1(2, 1, 63, 0, 0), SCAN1(0, 1, 63, 1, 0)};
static const ig_scan k_mixed[] = {
    {2, {0, 1, 0, 0}, 0, 0, 0, 1}, SCAN1(2, 0, 0, 0, 1),  DC3(1, 0),
    SCAN1(0, 1, 1, 0, 1),          SCAN1(0, 2, 2, 0, 1),  SCAN1(0, 3, 63, 0, 1),
    SCAN1(0, 1, 20, 1, 0),         SCAN1(0, 21, 63, 1, 0), SCAN1(1, 1, 9, 0, 2),
    SCAN1(1, 10, 63, 0, 0),        SCAN1(1, 1, 9, 2, 1),  SCAN1(1, 1, 9, 1, 0),
    SCAN1(2, 1, 63, 0, 0)};
static const ig_scan k_incomplete[] = {DC3(0, 0), SCAN1(0, 1, 5, 0, 0), SCAN1(1, 1, 2, 0, 0)};
#define NSC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Every coefficient +-1..3 with odds 1/3: refinement scans full of new coefficients. */
static void ones_fill(void *ctx, int comp, int bx, int by, int16_t blk[64])
{
    uint32_t *st = ctx;
    (void)comp;
    (void)bx;
    (void)by;
    blk[0] = (int16_t)((int)(ig_rand(st) % 401) - 200);
    for (int k = 1; k < 64; k++) {
        uint32_t r = ig_rand(st);
        if (r % 3 == 0) blk[k] = (int16_t)((r & 8 ? 1 : -1) * (int)(1 + (r >> 4) % 3));
    }
}

/* One progressive (or baseline) seed with a given structure, plus a cut copy when asked. */
static void structured_seed(const char *name, int w, int h, int pattern, const ig_jpeg_opts *o,
                            int cut)
{
    uint8_t *px = ig_pixels(w, h, pattern, NULL, 13);
    size_t n = 0;
    uint8_t *b = px ? ig_jpeg_ex(px, w, h, o, &n) : NULL;
    free(px);
    if (b != NULL && cut) {
        char fname[256];
        snprintf(fname, sizeof(fname), "trunc-%s-%zu", name, n / 2);
        write_file("jpeg", fname, b, n / 2);
    }
    seed("jpeg", name, b, &n, 0);
}

/* Progressive seeds with restart intervals and scripts of several bands, successive
 * approximation, DC scans of one component, and a progression left incomplete; a baseline
 * one with restarts. They go last and derive no flips, so the other seeds stay the same. */
static void jpeg_structured_seeds(void)
{
    ig_jpeg_opts o;
    size_t n = 0;
    uint32_t st = 77;
    memset(&o, 0, sizeof(o));
    o.progressive = 1;
    o.restart_interval = 1;
    structured_seed("prog-rst1", 32, 24, IG_PAT_GRADIENT, &o, 1);
    memset(&o, 0, sizeof(o));
    o.samp[0][0] = 2; /* 4:2:2 */
    o.samp[0][1] = 1;
    o.scans = k_bands;
    o.nscans = NSC(k_bands);
    o.restart_in_rows = 1;
    structured_seed("prog-bands-rstrows1", 40, 24, IG_PAT_SHAPES, &o, 1);
    memset(&o, 0, sizeof(o));
    o.components = 1;
    o.scans = k_sa3;
    o.nscans = NSC(k_sa3);
    o.restart_interval = 3;
    o.quality = 90;
    structured_seed("prog-grey-sa3-rst3", 24, 24, IG_PAT_NOISE, &o, 1);
    memset(&o, 0, sizeof(o));
    o.samp[0][0] = o.samp[0][1] = 1; /* 4:4:4 */
    o.scans = k_dc_single;
    o.nscans = NSC(k_dc_single);
    o.restart_interval = 2;
    structured_seed("prog-dc-single-444-rst2", 24, 16, IG_PAT_SHAPES, &o, 0);
    memset(&o, 0, sizeof(o));
    o.samp[0][0] = o.samp[0][1] = 2; /* Y 2x2, Cb 1x2, Cr 1x1 */
    o.samp[1][0] = 1;
    o.samp[1][1] = 2;
    o.scans = k_mixed;
    o.nscans = NSC(k_mixed);
    o.quality = 95;
    structured_seed("prog-mixed-odd-sampling", 24, 24, IG_PAT_GRADIENT, &o, 0);
    memset(&o, 0, sizeof(o));
    o.scans = k_incomplete;
    o.nscans = NSC(k_incomplete);
    structured_seed("prog-incomplete", 32, 24, IG_PAT_SHAPES, &o, 0);
    memset(&o, 0, sizeof(o));
    o.restart_interval = 2;
    o.optimize_coding = 1;
    structured_seed("baseline-rst2-optimized", 32, 24, IG_PAT_SHAPES, &o, 0);
    memset(&o, 0, sizeof(o));
    o.components = 1;
    o.scans = k_sa3;
    o.nscans = NSC(k_sa3);
    o.restart_interval = 5;
    seed("jpeg", "prog-coef-ones-sa3", ig_jpeg_coef(24, 24, &o, ones_fill, &st, &n), &n, 0);
}

static void png_seeds(void)
{
    size_t n;
    prepare_dir("png");
    seed("png", "grey8-gradient", ig_png_pat(32, 24, IG_PAT_GRADIENT, IG_PNG_GREY8, &n), &n, 1);
    seed("png", "grey1-shapes", ig_png_pat(40, 24, IG_PAT_SHAPES, IG_PNG_GREY1, &n), &n, 0);
    seed("png", "grey-alpha", ig_png_pat(24, 24, IG_PAT_SHAPES, IG_PNG_GREY_ALPHA, &n), &n, 0);
    seed("png", "rgb-gradient", ig_png_pat(32, 24, IG_PAT_GRADIENT, IG_PNG_RGB, &n), &n, 1);
    seed("png", "rgba-noise-8x8", ig_png_pat(8, 8, IG_PAT_NOISE, IG_PNG_RGBA, &n), &n, 0);
    seed("png", "palette", ig_png_pat(32, 24, IG_PAT_SHAPES, IG_PNG_PALETTE, &n), &n, 1);
    seed("png", "palette-trns", ig_png_pat(32, 24, IG_PAT_SHAPES, IG_PNG_PALETTE_TRNS, &n), &n, 0);
    seed("png", "rgb16", ig_png_pat(16, 16, IG_PAT_GRADIENT, IG_PNG_RGB16, &n), &n, 0);
    seed("png", "grey16-noise", ig_png_pat(8, 8, IG_PAT_NOISE, IG_PNG_GREY16, &n), &n, 0);
    seed("png", "adam7-rgb", ig_png_pat(19, 13, IG_PAT_GRADIENT, IG_PNG_RGB | IG_PNG_INTERLACE, &n),
         &n, 1);
    seed("png", "adam7-palette",
         ig_png_pat(21, 11, IG_PAT_SHAPES, IG_PNG_PALETTE | IG_PNG_INTERLACE, &n), &n, 0);
    seed("png", "1x1", ig_png_pat(1, 1, IG_PAT_SOLID, IG_PNG_RGB, &n), &n, 0);
    {
        /* IHDR claiming 100000x100000 and an IDAT header with no data */
        uint8_t *b = malloc(45);
        if (b == NULL) exit(1);
        memcpy(b, "\x89PNG\r\n\x1a\n", 8);
        put_be32(b + 8, 13);
        memcpy(b + 12, "IHDR", 4);
        put_be32(b + 16, 100000);
        put_be32(b + 20, 100000);
        memcpy(b + 24, "\x08\x02\x00\x00\x00", 5);
        put_be32(b + 29, crc32_png(b + 12, 17));
        put_be32(b + 33, 0);
        memcpy(b + 37, "IDAT", 4);
        put_be32(b + 41, crc32_png(b + 37, 4));
        n = 45;
        seed("png", "bomb-100000x100000", b, &n, 0);
    }
}

static void webp_seeds(void)
{
    size_t n;
    uint8_t *b;
    prepare_dir("webp");
    seed("webp", "lossy-gradient", ig_webp_pat(32, 24, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &n), &n, 1);
    seed("webp", "lossy-shapes", ig_webp_pat(48, 32, IG_PAT_SHAPES, IG_WEBP_LOSSY, &n), &n, 0);
    seed("webp", "lossy-alpha", ig_webp_pat(32, 24, IG_PAT_SHAPES, IG_WEBP_LOSSY_ALPHA, &n), &n, 1);
    seed("webp", "lossless-gradient", ig_webp_pat(32, 24, IG_PAT_GRADIENT, IG_WEBP_LOSSLESS, &n),
         &n, 1);
    seed("webp", "lossless-shapes", ig_webp_pat(40, 24, IG_PAT_SHAPES, IG_WEBP_LOSSLESS, &n), &n,
         0);
    seed("webp", "lossless-noise-8x8", ig_webp_pat(8, 8, IG_PAT_NOISE, IG_WEBP_LOSSLESS, &n), &n,
         0);
    seed("webp", "lossy-1x1", ig_webp_pat(1, 1, IG_PAT_SOLID, IG_WEBP_LOSSY, &n), &n, 0);
    seed("webp", "lossless-1x1", ig_webp_pat(1, 1, IG_PAT_SOLID, IG_WEBP_LOSSLESS, &n), &n, 0);
    {
        /* VP8X with the animation flag and an ANIM chunk but no frame: corrupt */
        static const uint8_t anim[44] = {'R', 'I', 'F', 'F', 36, 0, 0,   0,   'W',  'E', 'B', 'P',
                                         'V', 'P', '8', 'X', 10, 0, 0,   0,   0x02, 0,   0,   0,
                                         15,  0,   0,   15,  0,  0, 'A', 'N', 'I',  'M', 6,   0};
        b = malloc(sizeof(anim));
        if (b == NULL) exit(1);
        memcpy(b, anim, sizeof(anim));
        n = sizeof(anim);
        seed("webp", "animated-header", b, &n, 0);
    }
    /* one byte past the RIFF data (which libwebp ignores): odd sizes take the fuzz targets'
     * fast mode, where lossy WebPs decode as luma without the loop filter */
    {
        static const struct {
            const char *name;
            int w, h, pat, variant;
        } odd[] = {{"fast-lossy-gradient", 32, 24, IG_PAT_GRADIENT, IG_WEBP_LOSSY},
                   {"fast-lossy-shapes-odd", 37, 19, IG_PAT_SHAPES, IG_WEBP_LOSSY},
                   {"fast-lossy-alpha", 32, 24, IG_PAT_SHAPES, IG_WEBP_LOSSY_ALPHA},
                   {"fast-lossless-gradient", 32, 24, IG_PAT_GRADIENT, IG_WEBP_LOSSLESS}};
        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
            uint8_t *t;
            b = ig_webp_pat(odd[i].w, odd[i].h, odd[i].pat, odd[i].variant, &n);
            t = b ? realloc(b, n + 1) : NULL;
            if (t == NULL) exit(1);
            t[n++] = 0;
            seed("webp", odd[i].name, t, &n, 0);
        }
    }
    /* VP8 frame header claiming 16383x16383, first 30 bytes only */
    b = ig_webp_pat(16, 16, IG_PAT_GRADIENT, IG_WEBP_LOSSY, &n);
    if (b && n > 30) memcpy(b + 26, "\xFF\x3F\xFF\x3F", 4);
    n = 30;
    seed("webp", "bomb-16383x16383", b, &n, 0);
}

static void gif_seeds(void)
{
    ig_gif_opts o;
    size_t n;
    uint8_t *b;
    prepare_dir("gif");
    memset(&o, 0, sizeof(o));
    seed("gif", "global-shapes", ig_gif_pat(32, 24, IG_PAT_SHAPES, &o, &n), &n, 1);
    {
        uint8_t *px = ig_pixels(8, 8, IG_PAT_NOISE, NULL, 11);
        seed("gif", "noise-8x8", ig_gif(px, 8, 8, &o, &n), &n, 0);
        free(px);
    }
    seed("gif", "1x1", ig_gif_pat(1, 1, IG_PAT_SOLID, &o, &n), &n, 0);
    o.interlace = 1;
    o.gif89 = 1;
    seed("gif", "interlaced", ig_gif_pat(29, 21, IG_PAT_SHAPES, &o, &n), &n, 1);
    memset(&o, 0, sizeof(o));
    o.screen_w = 40;
    o.screen_h = 30;
    o.left = 5;
    o.top = 4;
    o.map = IG_GIF_MAP_BOTH;
    o.global_bg[0] = 10;
    o.global_bg[1] = 20;
    o.global_bg[2] = 30;
    seed("gif", "local-offset", ig_gif_pat(30, 20, IG_PAT_SHAPES, &o, &n), &n, 1);
    o.map = IG_GIF_MAP_LOCAL;
    seed("gif", "local-only", ig_gif_pat(30, 20, IG_PAT_SHAPES, &o, &n), &n, 0);
    /* a frame that runs past the logical screen */
    memset(&o, 0, sizeof(o));
    o.screen_w = 10;
    o.screen_h = 10;
    o.left = 6;
    o.top = 3;
    seed("gif", "frame-past-screen", ig_gif_pat(12, 12, IG_PAT_SHAPES, &o, &n), &n, 0);
    memset(&o, 0, sizeof(o));
    o.frames = 3;
    seed("gif", "multi-frame", ig_gif_pat(24, 16, IG_PAT_SHAPES, &o, &n), &n, 1);
    {
        /* screen and frame patched to 65535x65535, cut after the LZW code size */
        uint8_t px[4] = {1, 2, 3, 255};
        size_t desc;
        memset(&o, 0, sizeof(o));
        b = ig_gif(px, 1, 1, &o, &n);
        if (b == NULL) exit(1);
        desc = 13 + 3u * (1u << ((b[10] & 7) + 1));
        memset(b + 6, 0xFF, 4);
        memset(b + desc + 5, 0xFF, 4);
        n = desc + 11;
        seed("gif", "bomb-65535x65535", b, &n, 0);
        o.screen_w = 65535;
        o.screen_h = 65535;
        seed("gif", "bomb-screen-65535x65535", ig_gif(px, 1, 1, &o, &n), &n, 0);
    }
}

int main(int argc, char **argv)
{
    g_root = argc > 1 ? argv[1] : "fuzz/corpus";
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [CORPUS_DIR]   (default fuzz/corpus)\n", argv[0]);
        return 2;
    }
    make_dir(g_root);
    jpeg_seeds();
    jpeg_structured_seeds();
    png_seeds();
    webp_seeds();
    gif_seeds();
    printf("wrote %zu files, %zu bytes, under %s\n", g_files, g_bytes, g_root);
    return g_errors ? 1 : 0;
}
