/* test_image_jpeg_prog.c - datavet's Huffman decoders (src/image/jpeg_huff.c, progressive and
 * baseline) against libjpeg-turbo's own (DV_SIMD_SCALAR): same rc, message, size, pixels. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "datavet.h"
#include "image/image_internal.h"
#include "imggen.h"
#include "testutil.h"

/* ------------------------------------------------------------------ fast-path counters */

/* With ld's --wrap (tests/CMakeLists.txt) the test sees each libjpeg decompressor jpeg.c
 * makes (a second one means the fast decoder gave the file back to libjpeg) and each
 * time it installs the fast decoder: a comparison where the fast decoder was never used,
 * or always fell back, would prove nothing. */
static long g_creates, g_install_calls, g_installs;

#if defined(DV_TEST_WRAP_JPROG)
#include "image/jpeg_internal.h"

void __real_jpeg_CreateDecompress(j_decompress_ptr cinfo, int version, size_t structsize);
void __wrap_jpeg_CreateDecompress(j_decompress_ptr cinfo, int version, size_t structsize);
int __real_dv__jprog_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);
int __wrap_dv__jprog_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);
int __real_dv__jseq_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);
int __wrap_dv__jseq_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail);

void __wrap_jpeg_CreateDecompress(j_decompress_ptr cinfo, int version, size_t structsize)
{
    g_creates++;
    __real_jpeg_CreateDecompress(cinfo, version, structsize);
}

int __wrap_dv__jprog_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail)
{
    int r;
    g_install_calls++; /* counted first: installing may bail out through longjmp */
    r = __real_dv__jprog_install(cinfo, d, bail);
    if (r == 0) g_installs++;
    return r;
}

int __wrap_dv__jseq_install(j_decompress_ptr cinfo, dv_decoder *d, dv__jprog_bail_fn bail)
{
    int r;
    g_install_calls++;
    r = __real_dv__jseq_install(cinfo, d, bail);
    if (r == 0) g_installs++;
    return r;
}
#define HAVE_COUNTERS 1
#else
#define HAVE_COUNTERS 0
#endif

/* How the fast decoder took one file. */
enum { FP_UNKNOWN = -2, FP_NOT_TRIED = -1, FP_FELL_BACK = 0, FP_FINISHED = 1 };

/* ------------------------------------------------------------------ comparing */

#define MAX_PRINTED 40

static long g_mismatches, g_compared, g_printed;

static struct timespec g_t0;
static long g_fp[3]; /* files the fast decoder was not tried on, fell back on, finished */

/* The fast decoder (portable C) is used unless DV_SIMD=scalar asks for libjpeg's. */
static int fast_decoder_on(void)
{
    const char *e = getenv("DV_SIMD");
    return e == NULL || strcmp(e, "scalar") != 0;
}

static void skip_if_no_fast_decoder(void)
{
    if (fast_decoder_on()) return;
    printf("SKIP: DV_SIMD=scalar: datavet's Huffman decoders are off, both sides would be "
           "libjpeg's\n");
    skip();
}

static void reset_counts(void)
{
    g_mismatches = g_compared = g_printed = 0;
    memset(g_fp, 0, sizeof(g_fp));
    clock_gettime(CLOCK_MONOTONIC, &g_t0);
}

/* With DV_JPROG_DUMP=<dir>, every input that decodes differently is written there. */
static void dump_input(const char *what, const uint8_t *buf, size_t len)
{
    const char *dir = getenv("DV_JPROG_DUMP");
    char path[512], name[200];
    size_t k = 0;
    FILE *f;
    if (dir == NULL || dir[0] == '\0') return;
    for (const char *p = what; *p && k + 1 < sizeof(name); p++)
        name[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || *p == '-'
                        ? *p
                        : '_';
    name[k] = '\0';
    snprintf(path, sizeof(path), "%s/%s.jpg", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) return;
    if (fwrite(buf, 1, len, f) != len) printf("  (short write to %s)\n", path);
    fclose(f);
    printf("  input written to %s\n", path);
}

static void mismatch(const char *what, const uint8_t *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    g_mismatches++;
    if (g_printed++ >= MAX_PRINTED) return;
    printf("MISMATCH %s (%zu bytes): ", what, len);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    dump_input(what, buf, len);
}

/* Pixels of two decodes of the same size: where they first differ and by how much. */
static void compare_pixels(const char *what, const uint8_t *buf, size_t len, const dv_image *a,
                           const dv_image *b)
{
    size_t row = (size_t)a->width * a->channels, nbad = 0;
    long fx = -1, fy = -1;
    int maxd = 0, va = 0, vb = 0;
    for (uint32_t y = 0; y < a->height; y++) {
        const uint8_t *ra = a->pixels + (size_t)y * a->stride,
                      *rb = b->pixels + (size_t)y * b->stride;
        if (memcmp(ra, rb, row) == 0) continue;
        for (size_t x = 0; x < row; x++) {
            int d = abs((int)ra[x] - (int)rb[x]);
            if (d == 0) continue;
            if (nbad++ == 0) {
                fx = (long)x;
                fy = (long)y;
                va = ra[x];
                vb = rb[x];
            }
            if (d > maxd) maxd = d;
        }
    }
    if (nbad > 0)
        mismatch(
            what, buf, len,
            "pixels differ: %zu of %zu bytes, first at x %ld (byte %ld of the row) y %ld: fast %d, "
            "libjpeg %d; max difference %d (%ux%u, %u channels, denom %u)",
            nbad, row * a->height, fx / (long)a->channels, fx, fy, va, vb, maxd, a->width,
            a->height, a->channels, a->scale_denom);
}

/* Decodes buf with the fast decoder (ours, simd auto) and with libjpeg's (ref, simd scalar),
 * which must have been made with the same options; every difference is a mismatch. Returns
 * the rc (libjpeg's) and how the fast decoder took the file in *how (may be NULL). */
static int compare(const char *what, const uint8_t *buf, size_t len, dv_decoder *ours,
                   dv_decoder *ref, int *how)
{
    dv_image a, b;
    long creates = g_creates, calls = g_install_calls, inst = g_installs;
    int ra, rb, h;
    ra = dv_decoder_decode(ours, buf, len, &a);
    /* a second decompressor is the retry with libjpeg's decoder (also after a libjpeg
     * warning before the fast decoder was installed: while it may be used, any warning
     * sends the file back) */
    h = !HAVE_COUNTERS            ? FP_UNKNOWN
        : g_creates - creates > 1 ? FP_FELL_BACK
        : g_installs > inst       ? FP_FINISHED
                                  : FP_NOT_TRIED;
    if (h != FP_UNKNOWN) g_fp[h + 1]++;
    if (how) *how = h;
    creates = g_creates;
    calls = g_install_calls;
    rb = dv_decoder_decode(ref, buf, len, &b);
    g_compared++;
    if (HAVE_COUNTERS && (g_install_calls != calls || g_creates - creates > 1))
        mismatch(what, buf, len, "libjpeg's decode (simd scalar) tried the fast decoder");
    if (ra != rb) {
        mismatch(what, buf, len, "rc fast %d (%s) vs libjpeg %d (%s)", ra, dv_decoder_errmsg(ours),
                 rb, dv_decoder_errmsg(ref));
        return rb;
    }
    if (strcmp(dv_decoder_errmsg(ours), dv_decoder_errmsg(ref)) != 0)
        mismatch(what, buf, len, "rc %d, message fast '%s' vs libjpeg '%s'", ra,
                 dv_decoder_errmsg(ours), dv_decoder_errmsg(ref));
    if (a.format != b.format || a.src_width != b.src_width || a.src_height != b.src_height ||
        a.width != b.width || a.height != b.height || a.channels != b.channels ||
        a.stride != b.stride || a.scale_denom != b.scale_denom) {
        mismatch(what, buf, len,
                 "rc %d, image fast %ux%u ch %u stride %zu denom %u src %ux%u fmt %d vs "
                 "libjpeg %ux%u ch %u stride %zu denom %u src %ux%u fmt %d",
                 ra, a.width, a.height, a.channels, a.stride, a.scale_denom, a.src_width,
                 a.src_height, a.format, b.width, b.height, b.channels, b.stride, b.scale_denom,
                 b.src_width, b.src_height, b.format);
        return rb;
    }
    if (ra == DV_OK) compare_pixels(what, buf, len, &a, &b);
    return rb;
}

typedef struct duo {
    dv_decoder *ours, *ref;
} duo;

static void duo_open(duo *p, int fast, uint32_t min_side)
{
    dv_decode_opts o = {0};
    o.fast = fast;
    o.fast_min_side = min_side;
    o.simd = DV_SIMD_AUTO;
    p->ours = dv_decoder_create(&o);
    o.simd = DV_SIMD_SCALAR;
    p->ref = dv_decoder_create(&o);
    assert_non_null(p->ours);
    assert_non_null(p->ref);
}

static void duo_close(duo *p)
{
    dv_decoder_free(p->ours);
    dv_decoder_free(p->ref);
}

static void assert_no_mismatch(const char *test)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%s: %ld decodes compared in %.2f s; fast decoder not tried %ld, fell back %ld, "
           "finished %ld%s\n",
           test, g_compared,
           (double)(t1.tv_sec - g_t0.tv_sec) + (double)(t1.tv_nsec - g_t0.tv_nsec) * 1e-9, g_fp[0],
           g_fp[1], g_fp[2], HAVE_COUNTERS ? "" : " (counters need ld --wrap: not in this build)");
    if (g_mismatches > 0)
        fail_msg("%s: %ld of %ld decodes differ between the fast decoder and libjpeg's (the first "
                 "%d are printed above as MISMATCH)",
                 test, g_mismatches, g_compared, MAX_PRINTED);
}

/* ------------------------------------------------------------------ scan scripts */

#define SCAN1(c, ss, se, ah, al) {1, {c, 0, 0, 0}, ss, se, ah, al}
#define DC3(ah, al) {3, {0, 1, 2, 0}, 0, 0, ah, al}
#define NSCANS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* spectral selection only, no successive approximation */
static const ig_scan k_spectral[] = {DC3(0, 0), SCAN1(0, 1, 63, 0, 0), SCAN1(1, 1, 63, 0, 0),
                                     SCAN1(2, 1, 63, 0, 0)};
/* each component's AC in three bands */
static const ig_scan k_bands[] = {DC3(0, 0),
                                  SCAN1(0, 1, 2, 0, 0),
                                  SCAN1(1, 1, 2, 0, 0),
                                  SCAN1(2, 1, 2, 0, 0),
                                  SCAN1(0, 3, 9, 0, 0),
                                  SCAN1(1, 3, 9, 0, 0),
                                  SCAN1(2, 3, 9, 0, 0),
                                  SCAN1(0, 10, 63, 0, 0),
                                  SCAN1(1, 10, 63, 0, 0),
                                  SCAN1(2, 10, 63, 0, 0)};
/* successive approximation from Al 3 on DC and AC, refinements interleaved */
static const ig_scan k_sa3[] = {DC3(0, 3),
                                SCAN1(0, 1, 63, 0, 3),
                                SCAN1(1, 1, 63, 0, 3),
                                SCAN1(2, 1, 63, 0, 3),
                                DC3(3, 2),
                                SCAN1(0, 1, 63, 3, 2),
                                DC3(2, 1),
                                SCAN1(1, 1, 63, 3, 2),
                                SCAN1(2, 1, 63, 3, 2),
                                SCAN1(0, 1, 63, 2, 1),
                                DC3(1, 0),
                                SCAN1(1, 1, 63, 2, 1),
                                SCAN1(2, 1, 63, 2, 1),
                                SCAN1(0, 1, 63, 1, 0),
                                SCAN1(1, 1, 63, 1, 0),
                                SCAN1(2, 1, 63, 1, 0)};
/* DC not interleaved: one component per scan, refined out of component order */
static const ig_scan k_dc_single[] = {
    SCAN1(0, 0, 0, 0, 1),  SCAN1(1, 0, 0, 0, 1),  SCAN1(2, 0, 0, 0, 1),  SCAN1(2, 0, 0, 1, 0),
    SCAN1(0, 0, 0, 1, 0),  SCAN1(1, 0, 0, 1, 0),  SCAN1(0, 1, 5, 0, 2),  SCAN1(0, 6, 63, 0, 2),
    SCAN1(0, 1, 63, 2, 1), SCAN1(0, 1, 63, 1, 0), SCAN1(1, 1, 63, 0, 0), SCAN1(2, 1, 63, 0, 1),
    SCAN1(2, 1, 63, 1, 0)};
/* partly interleaved DC, one-coefficient bands, refinement over bands split differently */
static const ig_scan k_mixed[] = {
    {2, {0, 1, 0, 0}, 0, 0, 0, 2}, SCAN1(2, 0, 0, 0, 2),  DC3(2, 1),
    {2, {0, 2, 0, 0}, 0, 0, 1, 0}, SCAN1(1, 0, 0, 1, 0),  SCAN1(0, 1, 1, 0, 1),
    SCAN1(0, 2, 2, 0, 1),          SCAN1(0, 3, 63, 0, 1), SCAN1(0, 1, 20, 1, 0),
    SCAN1(0, 21, 63, 1, 0),        SCAN1(1, 1, 9, 0, 3),  SCAN1(1, 10, 63, 0, 0),
    SCAN1(1, 1, 9, 3, 2),          SCAN1(1, 1, 9, 2, 1),  SCAN1(1, 1, 9, 1, 0),
    SCAN1(2, 1, 63, 0, 0)};
/* single coefficients and the last one alone */
static const ig_scan k_narrow[] = {DC3(0, 0),
                                   SCAN1(0, 1, 1, 0, 0),
                                   SCAN1(0, 2, 2, 0, 1),
                                   SCAN1(0, 63, 63, 0, 0),
                                   SCAN1(0, 3, 62, 0, 2),
                                   SCAN1(0, 2, 2, 1, 0),
                                   SCAN1(0, 3, 62, 2, 1),
                                   SCAN1(0, 3, 31, 1, 0),
                                   SCAN1(0, 32, 62, 1, 0),
                                   SCAN1(1, 1, 63, 0, 0),
                                   SCAN1(2, 1, 32, 0, 0),
                                   SCAN1(2, 33, 63, 0, 0)};
/* deep successive approximation: DC from Al 9, luma AC from Al 7 */
static const ig_scan k_deep[] = {DC3(0, 9),
                                 DC3(9, 8),
                                 DC3(8, 7),
                                 DC3(7, 6),
                                 SCAN1(0, 1, 63, 0, 7),
                                 DC3(6, 5),
                                 DC3(5, 4),
                                 DC3(4, 3),
                                 SCAN1(0, 1, 63, 7, 6),
                                 SCAN1(0, 1, 63, 6, 5),
                                 DC3(3, 2),
                                 DC3(2, 1),
                                 DC3(1, 0),
                                 SCAN1(0, 1, 63, 5, 4),
                                 SCAN1(0, 1, 63, 4, 3),
                                 SCAN1(0, 1, 63, 3, 2),
                                 SCAN1(0, 1, 63, 2, 1),
                                 SCAN1(0, 1, 63, 1, 0),
                                 SCAN1(1, 1, 63, 0, 0),
                                 SCAN1(2, 1, 63, 0, 0)};
/* chroma AC before luma, DC refined in between */
static const ig_scan k_chroma_first[] = {DC3(0, 1), SCAN1(2, 1, 63, 0, 0), SCAN1(1, 1, 63, 0, 0),
                                         DC3(1, 0), SCAN1(0, 1, 63, 0, 1), SCAN1(0, 1, 63, 1, 0)};
/* incomplete progressions: libjpeg smooths blocks (or not), the fast decoder leaves them */
static const ig_scan k_dc_only[] = {DC3(0, 0)};
static const ig_scan k_no_refine[] = {DC3(0, 1), SCAN1(0, 1, 63, 0, 1), SCAN1(1, 1, 63, 0, 1),
                                      SCAN1(2, 1, 63, 0, 1)};
static const ig_scan k_low_bands[] = {DC3(0, 0), SCAN1(0, 1, 5, 0, 0), SCAN1(1, 1, 5, 0, 0),
                                      SCAN1(2, 1, 5, 0, 0)};
static const ig_scan k_no_cr_ac[] = {DC3(0, 0), SCAN1(0, 1, 63, 0, 0), SCAN1(1, 1, 63, 0, 0)};
static const ig_scan k_no_high[] = {DC3(0, 0), SCAN1(0, 1, 9, 0, 0), SCAN1(1, 1, 63, 0, 0),
                                    SCAN1(2, 1, 63, 0, 0)};
/* sequential, one scan per component (SOF0 with three scans: not the fast decoder's) */
static const ig_scan k_seq_multi[] = {SCAN1(0, 0, 63, 0, 0), SCAN1(1, 0, 63, 0, 0),
                                      SCAN1(2, 0, 63, 0, 0)};

typedef struct script {
    const char *name;
    const ig_scan *scans; /* NULL: progressive says which */
    int nscans;
    int progressive; /* with scans NULL: jpeg_simple_progression, else baseline */
    int interleaved; /* has a scan of several components (not for MCUs over 10 blocks) */
} script;

static const script k_scripts[] = {
    {"simple", NULL, 0, 1, 1},
    {"spectral", k_spectral, NSCANS(k_spectral), 1, 1},
    {"bands", k_bands, NSCANS(k_bands), 1, 1},
    {"sa3", k_sa3, NSCANS(k_sa3), 1, 1},
    {"dc-single", k_dc_single, NSCANS(k_dc_single), 1, 0},
    {"mixed", k_mixed, NSCANS(k_mixed), 1, 1},
    {"narrow", k_narrow, NSCANS(k_narrow), 1, 1},
    {"deep", k_deep, NSCANS(k_deep), 1, 1},
    {"chroma-first", k_chroma_first, NSCANS(k_chroma_first), 1, 1},
    {"dc-only", k_dc_only, NSCANS(k_dc_only), 1, 1},
    {"no-refine", k_no_refine, NSCANS(k_no_refine), 1, 1},
    {"low-bands", k_low_bands, NSCANS(k_low_bands), 1, 1},
    {"no-cr-ac", k_no_cr_ac, NSCANS(k_no_cr_ac), 1, 1},
    {"no-high", k_no_high, NSCANS(k_no_high), 1, 1},
    {"baseline", NULL, 0, 0, 1},
    {"seq-multi", k_seq_multi, NSCANS(k_seq_multi), 0, 0},
};
#define NSCRIPTS ((int)(sizeof(k_scripts) / sizeof(k_scripts[0])))

/* Scans of the script left for a file of comps components (ig_jpeg_ex drops the rest). */
static int script_scans(const script *s, int comps)
{
    int n = 0;
    if (s->scans == NULL) return 1;
    for (int i = 0; i < s->nscans; i++)
        for (int c = 0; c < s->scans[i].ncomps; c++)
            if (s->scans[i].comp[c] < comps) {
                n++;
                break;
            }
    return n;
}

/* Whether every coefficient of each of the first comps components reaches Al 0. */
static int script_complete(const script *s, int comps)
{
    int bits[4][64];
    if (!s->progressive) return 0;
    if (s->scans == NULL) return 1; /* jpeg_simple_progression ends complete */
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < 64; k++) bits[c][k] = -1;
    for (int i = 0; i < s->nscans; i++)
        for (int c = 0; c < s->scans[i].ncomps; c++) {
            int ci = s->scans[i].comp[c];
            if (ci >= comps) continue;
            for (int k = s->scans[i].ss; k <= s->scans[i].se; k++) bits[ci][k] = s->scans[i].al;
        }
    for (int c = 0; c < comps; c++)
        for (int k = 0; k < 64; k++)
            if (bits[c][k] != 0) return 0;
    return 1;
}

/* ------------------------------------------------------------------ image structures */

typedef struct sampling {
    const char *name;
    int f[3][2];
    int interleaved_ok; /* an interleaved MCU stays within 10 blocks */
} sampling;

static const sampling k_samplings[] = {
    {"444", {{1, 1}, {1, 1}, {1, 1}}, 1},           {"422", {{2, 1}, {1, 1}, {1, 1}}, 1},
    {"420", {{2, 2}, {1, 1}, {1, 1}}, 1},           {"440", {{1, 2}, {1, 1}, {1, 1}}, 1},
    {"411", {{4, 1}, {1, 1}, {1, 1}}, 1},           {"Y22-Cb12-Cr11", {{2, 2}, {1, 2}, {1, 1}}, 1},
    {"Y12-Cb21-Cr11", {{1, 2}, {2, 1}, {1, 1}}, 1}, {"Y31", {{3, 1}, {1, 1}, {1, 1}}, 1},
    {"Y42", {{4, 2}, {1, 1}, {1, 1}}, 1},           {"Y44", {{4, 4}, {1, 1}, {1, 1}}, 0},
};
#define NSAMPLINGS ((int)(sizeof(k_samplings) / sizeof(k_samplings[0])))

static const int k_qualities[] = {10, 75, 95, 100};

/* Restart settings: interval in MCUs, or in MCU rows when negative. */
static const int k_restarts[] = {0, 1, 3, -1, 0, 7, -2};
#define NRESTARTS ((int)(sizeof(k_restarts) / sizeof(k_restarts[0])))

static const char *const k_pattern_names[] = {"solid", "gradient", "shapes", "noise"};

typedef struct spec {
    int w, h, comps, samp; /* samp: index into k_samplings (colour), or 0/1 for grey 1x1/2x2 */
    int script, quality, restart, pattern, optimize;
    uint32_t seed;
} spec;

static void spec_name(const spec *s, char *out, size_t cap)
{
    const char *samp = s->comps == 1   ? (s->samp ? "grey22" : "grey")
                       : s->comps == 4 ? "cmyk"
                                       : k_samplings[s->samp].name;
    char rst[24];
    if (s->restart >= 0)
        snprintf(rst, sizeof(rst), "rst%d", s->restart);
    else
        snprintf(rst, sizeof(rst), "rstrows%d", -s->restart);
    snprintf(out, cap, "%dx%d %s %s q%d %s %s%s seed%u", s->w, s->h, samp,
             k_scripts[s->script].name, s->quality, rst, k_pattern_names[s->pattern],
             s->optimize ? " opt" : "", s->seed);
}

/* The JPEG a spec describes (malloc'd), or NULL when libjpeg refuses to write it. */
static uint8_t *make_jpeg(const spec *s, size_t *len)
{
    static const uint8_t colour[4] = {90, 160, 40, 255};
    const script *sc = &k_scripts[s->script];
    ig_jpeg_opts o;
    uint8_t *px = ig_pixels(s->w, s->h, s->pattern, colour, s->seed), *b;
    assert_non_null(px);
    memset(&o, 0, sizeof(o));
    o.components = s->comps;
    o.quality = s->quality;
    if (s->comps == 3) memcpy(o.samp, k_samplings[s->samp].f, sizeof(k_samplings[s->samp].f));
    if (s->comps == 1 && s->samp) o.samp[0][0] = o.samp[0][1] = 2;
    o.progressive = sc->progressive;
    o.scans = sc->scans;
    o.nscans = sc->nscans;
    if (s->restart > 0) o.restart_interval = (unsigned)s->restart;
    if (s->restart < 0) o.restart_in_rows = -s->restart;
    o.optimize_coding = s->optimize;
    b = ig_jpeg_ex(px, s->w, s->h, &o, len);
    free(px);
    return b;
}

/* Decodes one generated image with both decoders, exact and in fast mode at a minimum side
 * that gives a DCT scale of 1/8, 1/4 or 1/2 where the size allows. Returns how the fast
 * decoder took the exact decode. */
static int check_spec(const spec *s, duo *exact)
{
    char name[160], what[200];
    size_t len;
    uint8_t *b = make_jpeg(s, &len);
    int how, rc, side = s->w < s->h ? s->w : s->h;
    uint32_t min_side;
    duo fast;
    spec_name(s, name, sizeof(name));
    if (b == NULL) fail_msg("imggen could not encode %s", name);
    snprintf(what, sizeof(what), "%s", name);
    rc = compare(what, b, len, exact->ours, exact->ref, &how);
    if (rc != DV_OK)
        fail_msg("%s: a well-formed file fails: rc %d %s", name, rc, dv_decoder_errmsg(exact->ref));
    min_side = (uint32_t)(s->seed % 3 == 0 ? 1 : s->seed % 3 == 1 ? side / 4 : side / 2);
    if (min_side == 0) min_side = 1;
    duo_open(&fast, 1, min_side);
    snprintf(what, sizeof(what), "%s fast min_side %u", name, min_side);
    compare(what, b, len, fast.ours, fast.ref, NULL);
    duo_close(&fast);
    free(b);
    return how;
}

/* The fast decoder must take every single-scan baseline and complete progressive Huffman
 * file to its end, give incomplete progressions back, and not be tried on the rest. */
static void expect_how(const spec *s, int how)
{
    char name[160];
    const script *sc = &k_scripts[s->script];
    int want;
    if (how == FP_UNKNOWN) return;
    if (s->comps == 4 || (!sc->progressive && script_scans(sc, s->comps) > 1))
        want = FP_NOT_TRIED;
    else if (!sc->progressive)
        want = FP_FINISHED; /* single-scan baseline */
    else
        want = script_complete(sc, s->comps) ? FP_FINISHED : FP_FELL_BACK;
    if (how == want) return;
    spec_name(s, name, sizeof(name));
    if (want == FP_FINISHED) {
        /* not wrong (the pixels are libjpeg's anyway), but the speed-up is lost */
        g_mismatches++;
        printf("FALLBACK %s: the fast decoder gave a well-formed file back to libjpeg\n", name);
    } else {
        g_mismatches++;
        printf("UNEXPECTED %s: fast decoder %s (want %s)\n", name,
               how == FP_NOT_TRIED  ? "not tried"
               : how == FP_FINISHED ? "finished"
                                    : "fell back",
               want == FP_NOT_TRIED ? "not tried" : "fell back");
    }
}

/* ------------------------------------------------------------------ benign images */

/* Every script on every sampling and size; quality, restarts, pattern and Huffman
 * optimisation drawn per image from a fixed stream, so each meets every script. */
static void test_benign_matrix(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1, 1},  {7, 9},  {8, 8},   {17, 33},   {33, 17},
                                   {1, 40}, {40, 1}, {16, 16}, {257, 131}, {640, 480}};
    uint32_t rng = 0x5eed1234u;
    duo exact;
    long n = 0;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
        int w = sizes[z][0], h = sizes[z][1], big = w * h > 20000;
        /* colour samplings, then grey 1x1 and grey 2x2 (as -1, -2) */
        for (int sm = -2; sm < NSAMPLINGS; sm++) {
            for (int sc = 0; sc < NSCRIPTS; sc++) {
                spec s;
                uint32_t r = ig_rand(&rng);
                if (sm >= 0 && !k_samplings[sm].interleaved_ok && k_scripts[sc].interleaved)
                    continue;
                /* the big sizes get a quarter of the combinations, in a rotating pattern */
                if (big && (unsigned)(sm + 2 + sc + (int)z) % 4 != 0) continue;
                memset(&s, 0, sizeof(s));
                s.w = w;
                s.h = h;
                s.comps = sm < 0 ? 1 : 3;
                s.samp = sm < 0 ? (sm == -2) : sm;
                s.script = sc;
                s.quality = k_qualities[r % 4];
                s.restart = k_restarts[(r >> 4) % NRESTARTS];
                s.pattern = 1 + (int)((r >> 8) % 3);
                if (big && s.pattern == IG_PAT_NOISE && s.quality > 75) s.pattern = IG_PAT_SHAPES;
                s.optimize = (int)((r >> 12) & 1);
                s.seed = (r >> 16) | 1u;
                expect_how(&s, check_spec(&s, &exact));
                n++;
            }
        }
    }
    duo_close(&exact);
    printf("benign matrix: %ld images\n", n);
    assert_no_mismatch("benign matrix");
}

/* One size, every script against every quality, restart setting and pattern. */
static void test_benign_cross(void **state)
{
    (void)state;
    duo exact;
    long n = 0;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    for (int sc = 0; sc < NSCRIPTS; sc++)
        for (int q = 0; q < 4; q++)
            for (int rs = 0; rs < NRESTARTS; rs++)
                for (int pat = 0; pat < 4; pat++) {
                    spec s;
                    memset(&s, 0, sizeof(s));
                    s.w = 19;
                    s.h = 35;
                    s.comps = 3;
                    s.samp = 2 + (rs + pat) % 4; /* 420, 440, 411, Y22-Cb12-Cr11 */
                    s.script = sc;
                    s.quality = k_qualities[q];
                    s.restart = k_restarts[rs];
                    s.pattern = pat;
                    s.optimize = (q + rs) & 1;
                    s.seed = (uint32_t)(1 + sc * 131 + q * 17 + rs * 5 + pat);
                    expect_how(&s, check_spec(&s, &exact));
                    n++;
                }
    duo_close(&exact);
    printf("benign cross: %ld images\n", n);
    assert_no_mismatch("benign cross");
}

/* Files the fast decoder must leave to libjpeg: CMYK, arithmetic coding, sequential files
 * of several scans. */
static void test_not_for_fast_decoder(void **state)
{
    (void)state;
    static const uint8_t colour[4] = {10, 200, 120, 30};
    const int w = 45, h = 29;
    uint8_t *px = ig_pixels(w, h, IG_PAT_SHAPES, colour, 7);
    duo exact;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    assert_non_null(px);
    static const struct {
        int comps, progressive, arith, restart;
    } c[] = {{4, 1, 0, 0}, {4, 1, 1, 0}, {4, 0, 0, 0}, {3, 1, 1, 0},
             {3, 1, 1, 2}, {1, 1, 1, 0}, {3, 0, 1, 1}, {1, 0, 1, 0}};
    for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        ig_jpeg_opts o;
        size_t len;
        uint8_t *b;
        int how;
        char what[80];
        memset(&o, 0, sizeof(o));
        o.components = c[k].comps;
        o.progressive = c[k].progressive;
        o.arith = c[k].arith;
        o.restart_interval = (unsigned)c[k].restart;
        b = ig_jpeg_ex(px, w, h, &o, &len);
        assert_non_null(b);
        snprintf(what, sizeof(what), "%s%s%s%s",
                 o.components == 4   ? "cmyk"
                 : o.components == 3 ? "ycc"
                                     : "grey",
                 o.arith ? " arith" : "", o.progressive ? " progressive" : " baseline",
                 o.restart_interval ? " rst" : "");
        assert_int_equal(compare(what, b, len, exact.ours, exact.ref, &how), DV_OK);
        if (how != FP_UNKNOWN && how != FP_NOT_TRIED)
            fail_msg("%s: the fast decoder was tried", what);
        free(b);
    }
    {
        /* sequential, one scan per component */
        ig_jpeg_opts o;
        size_t len;
        uint8_t *b;
        int how;
        memset(&o, 0, sizeof(o));
        o.scans = k_seq_multi;
        o.nscans = NSCANS(k_seq_multi);
        b = ig_jpeg_ex(px, w, h, &o, &len);
        assert_non_null(b);
        assert_int_equal(compare("sequential 3 scans", b, len, exact.ours, exact.ref, &how), DV_OK);
        if (how != FP_UNKNOWN && how != FP_NOT_TRIED)
            fail_msg("sequential 3 scans: the fast decoder was tried");
        free(b);
    }
    duo_close(&exact);
    free(px);
    assert_no_mismatch("not for the fast decoder");
}

/* EOB runs at their longest (32767 blocks) and longer than a restart interval. */
static void test_long_eob_runs(void **state)
{
    (void)state;
    static const struct {
        int w, h, comps, pattern, script, restart;
    } c[] = {
        {2048, 1040, 1, IG_PAT_SOLID, 1, 0},  /* 33280 blocks: an EOB run of 32767 and more */
        {2048, 1040, 1, IG_PAT_SOLID, 3, 0},  /* the same with refinement scans */
        {1024, 1024, 3, IG_PAT_SOLID, 6, 0},  /* one-coefficient bands */
        {1024, 512, 1, IG_PAT_SOLID, 3, 500}, /* runs cut by restarts */
        {1024, 512, 3, IG_PAT_GRADIENT, 0, -3},
    };
    duo exact;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        spec s;
        memset(&s, 0, sizeof(s));
        s.w = c[i].w;
        s.h = c[i].h;
        s.comps = c[i].comps;
        s.samp = c[i].comps == 3 ? 2 : 0;
        s.script = c[i].script;
        s.quality = 75;
        s.restart = c[i].restart;
        s.pattern = c[i].pattern;
        s.seed = (uint32_t)i + 1;
        expect_how(&s, check_spec(&s, &exact));
    }
    duo_close(&exact);
    assert_no_mismatch("long EOB runs");
}

/* ------------------------------------------------------------------ coefficient images */

/* zigzag index -> natural index */
static const uint8_t k_natural[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
    41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
    30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

enum {
    CG_SPARSE, /* one coefficient in 16, small */
    CG_DENSE,  /* three in four, any size */
    CG_EDGES,  /* only at band edges and zero-run-length boundaries */
    CG_ONES,   /* +-1..3: new coefficients and correction bits in refinement scans */
    CG_RUNS,   /* nine blocks in ten empty: long EOB runs */
    CG_MAX,    /* every coefficient at the largest value the first scan can hold */
    CG_LAST,   /* only the last coefficient, or only the first */
    CG_SKEW,   /* zero runs and sizes with halving odds: Huffman codes up to 16 bits */
    CG_MIXED,  /* a different one of the above for each block */
    CG_NMODES
};

static const char *const k_cg_names[] = {"sparse", "dense", "edges", "ones", "runs",
                                         "max",    "last",  "skew",  "mixed"};

typedef struct coefgen {
    int mode;
    uint32_t rng;
    int ac_limit[4], dc_limit[4]; /* largest magnitude the script's first scans can code */
    int dc[4];
} coefgen;

/* Magnitude 1..limit, log-uniform (as many 2-bit values as 9-bit ones). */
static int cg_mag(coefgen *g, int limit)
{
    uint32_t r = ig_rand(&g->rng);
    int bits = 1 + (int)(r % 15),
        v = (1 << (bits - 1)) | (int)((r >> 8) & ((1u << (bits - 1)) - 1));
    return v > limit ? limit : v;
}

static int cg_signed(coefgen *g, int m) { return ig_rand(&g->rng) & 1 ? m : -m; }

static void cg_fill(void *ctx, int comp, int bx, int by, int16_t blk[64])
{
    static const uint8_t edges[] = {1,  2,  3,  5,  6,  9,  10, 15, 16, 17,
                                    20, 21, 31, 32, 33, 47, 48, 62, 63};
    coefgen *g = ctx;
    int mode = g->mode == CG_MIXED ? (int)(ig_rand(&g->rng) % CG_MIXED) : g->mode;
    int lim = g->ac_limit[comp], dl = g->dc_limit[comp];
    uint32_t r = ig_rand(&g->rng);
    (void)bx;
    (void)by;
    /* DC: a random walk with jumps to the extremes */
    if (r % 16 == 0)
        g->dc[comp] = (r & 16) ? dl : -dl;
    else
        g->dc[comp] += (int)((r >> 8) % 129) - 64;
    if (g->dc[comp] > dl) g->dc[comp] = dl;
    if (g->dc[comp] < -dl) g->dc[comp] = -dl;
    blk[0] = (int16_t)g->dc[comp];
    switch (mode) {
    case CG_SPARSE:
        for (int k = 1; k < 64; k++)
            if (ig_rand(&g->rng) % 16 == 0)
                blk[k_natural[k]] = (int16_t)cg_signed(g, 1 + (int)(ig_rand(&g->rng) % 7));
        break;
    case CG_DENSE:
        for (int k = 1; k < 64; k++)
            if (ig_rand(&g->rng) % 4) blk[k_natural[k]] = (int16_t)cg_signed(g, cg_mag(g, lim));
        break;
    case CG_EDGES:
        for (size_t i = 0; i < sizeof(edges); i++)
            if (ig_rand(&g->rng) % 3 == 0)
                blk[k_natural[edges[i]]] = (int16_t)cg_signed(g, cg_mag(g, lim));
        break;
    case CG_ONES:
        for (int k = 1; k < 64; k++)
            if (ig_rand(&g->rng) % 3 == 0)
                blk[k_natural[k]] = (int16_t)cg_signed(g, 1 + (int)(ig_rand(&g->rng) % 3));
        break;
    case CG_RUNS:
        if (ig_rand(&g->rng) % 10 == 0)
            for (int k = 1; k < 64; k++) blk[k_natural[k]] = (int16_t)cg_signed(g, cg_mag(g, lim));
        break;
    case CG_MAX:
        for (int k = 1; k < 64; k++) blk[k_natural[k]] = (int16_t)cg_signed(g, lim);
        break;
    case CG_SKEW:
        /* each position zero with odds 1/2; size class s with odds 2^-s */
        for (int k = 1; k < 64; k++) {
            int sz = 1, v;
            if (ig_rand(&g->rng) & 1) continue;
            while (sz < 15 && (ig_rand(&g->rng) & 1)) sz++;
            v = (1 << (sz - 1)) | (int)(ig_rand(&g->rng) & ((1u << (sz - 1)) - 1));
            blk[k_natural[k]] = (int16_t)cg_signed(g, v > lim ? lim : v);
        }
        break;
    default:
        r = ig_rand(&g->rng);
        blk[k_natural[r % 2 ? 63 : 1]] = (int16_t)cg_signed(g, r & 4 ? 1 : cg_mag(g, lim));
        break;
    }
}

/* The longest Huffman code any DHT of a file defines. */
static int longest_code(const uint8_t *b, size_t len);

/* The smallest Al of the first scans of component comp's DC (dc 1) or AC coefficients. */
static int first_al(const script *sc, int comp, int dc)
{
    int al = 0, found = 0;
    for (int i = 0; sc->scans && i < sc->nscans; i++) {
        const ig_scan *q = &sc->scans[i];
        if (q->ah != 0 || (q->ss == 0) != dc) continue;
        for (int c = 0; c < q->ncomps; c++)
            if (q->comp[c] == comp && (!found || q->al < al)) {
                al = q->al;
                found = 1;
            }
    }
    return al;
}

static uint8_t *make_coef_jpeg(const spec *s, int mode, size_t *len)
{
    const script *sc = &k_scripts[s->script];
    ig_jpeg_opts o;
    coefgen g;
    memset(&o, 0, sizeof(o));
    memset(&g, 0, sizeof(g));
    o.components = s->comps;
    o.quality = s->quality;
    if (s->comps == 3) memcpy(o.samp, k_samplings[s->samp].f, sizeof(k_samplings[s->samp].f));
    o.progressive = sc->progressive;
    o.scans = sc->scans;
    o.nscans = sc->nscans;
    if (s->restart > 0) o.restart_interval = (unsigned)s->restart;
    if (s->restart < 0) o.restart_in_rows = -s->restart;
    o.optimize_coding = s->optimize;
    g.mode = mode;
    g.rng = s->seed | 1u;
    for (int c = 0; c < 4; c++) {
        long ac = 1023L << first_al(sc, c, 0), dc = 1023L << first_al(sc, c, 1);
        g.ac_limit[c] = (int)(ac > 32767 ? 32767 : ac);
        g.dc_limit[c] = (int)(dc > 32767 ? 32767 : dc);
    }
    return ig_jpeg_coef(s->w, s->h, &o, cg_fill, &g, len);
}

/* Progressive files written from chosen coefficients: every script with each kind of
 * block content, so refinement scans meet new coefficients, correction bits, ZRL runs at
 * band ends and the longest symbols. */
static void test_coefficient_images(void **state)
{
    (void)state;
    static const int sizes[][2] = {{40, 24}, {23, 41}, {64, 8}, {9, 70}};
    static const int samps[] = {-1, 0, 2, 5, 4, 1};
    duo exact;
    long n = 0;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    for (int sc = 0; sc < NSCRIPTS; sc++) {
        for (int mode = 0; mode < CG_NMODES; mode++)
            for (int k = 0; k < 3; k++) {
                spec s;
                char name[200], what[240];
                size_t len;
                uint8_t *b;
                int how, i = sc * 31 + mode * 3 + k;
                memset(&s, 0, sizeof(s));
                s.w = sizes[i % 4][0];
                s.h = sizes[i % 4][1];
                s.samp = samps[i % 6];
                s.comps = s.samp < 0 ? 1 : 3;
                if (s.samp < 0) s.samp = 0;
                s.script = sc;
                s.quality = k_qualities[i % 4];
                s.restart = k_restarts[(i / 2) % NRESTARTS];
                s.optimize = i & 1; /* baseline: default or optimised tables */
                s.seed = (uint32_t)(i * 7919 + 1);
                spec_name(&s, name, sizeof(name));
                snprintf(what, sizeof(what), "coefficients %s: %s", k_cg_names[mode], name);
                b = make_coef_jpeg(&s, mode, &len);
                if (b == NULL) fail_msg("libjpeg would not write %s", what);
                if (compare(what, b, len, exact.ours, exact.ref, &how) != DV_OK)
                    fail_msg("%s: a well-formed file fails: %s", what,
                             dv_decoder_errmsg(exact.ref));
                expect_how(&s, how);
                free(b);
                n++;
            }
    }
    duo_close(&exact);
    printf("coefficient images: %ld\n", n);
    assert_no_mismatch("coefficient images");
}

/* Skewed statistics give optimised tables with codes past any lookup table's reach. */
static void test_long_huffman_codes(void **state)
{
    (void)state;
    static const struct {
        int w, h, comps, samp;
        const char *script;
        int restart;
    } c[] = {
        {256, 256, 1, 0, "spectral", 0},
        {192, 160, 3, 0, "bands", 0},
        {200, 136, 3, 2, "sa3", 7},
        {160, 160, 1, 0, "deep", -1},
    };
    duo exact;
    int longest = 0;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        spec s;
        size_t len;
        uint8_t *b;
        char what[200];
        int how, l;
        memset(&s, 0, sizeof(s));
        s.w = c[i].w;
        s.h = c[i].h;
        s.comps = c[i].comps;
        s.samp = c[i].samp;
        for (int k = 0; k < NSCRIPTS; k++)
            if (strcmp(k_scripts[k].name, c[i].script) == 0) s.script = k;
        s.quality = 90;
        s.restart = c[i].restart;
        s.seed = (uint32_t)(i * 101 + 7);
        b = make_coef_jpeg(&s, CG_SKEW, &len);
        assert_non_null(b);
        l = longest_code(b, len);
        if (l > longest) longest = l;
        snprintf(what, sizeof(what), "skewed coefficients %dx%d %s (codes up to %d bits)", s.w, s.h,
                 c[i].script, l);
        assert_int_equal(compare(what, b, len, exact.ours, exact.ref, &how), DV_OK);
        if (how != FP_UNKNOWN && how != FP_FINISHED) {
            g_mismatches++;
            printf("FALLBACK %s: the fast decoder gave a well-formed file back to libjpeg\n", what);
        }
        free(b);
    }
    duo_close(&exact);
    printf("longest Huffman code: %d bits\n", longest);
    assert_true(longest >= 15);
    assert_no_mismatch("long Huffman codes");
}

/* Progressive files stored as RGB (no colour transform) go through the fast decoder too, and
 * fast mode keeps three channels for them. */
static void test_rgb_colourspace(void **state)
{
    (void)state;
    static const uint8_t colour[4] = {10, 200, 120, 30};
    static const char *const scripts[] = {"simple", "sa3", "dc-single", "no-refine"};
    const int w = 53, h = 37;
    uint8_t *px = ig_pixels(w, h, IG_PAT_SHAPES, colour, 11);
    duo exact, fast;
    skip_if_no_fast_decoder();
    reset_counts();
    duo_open(&exact, 0, 0);
    duo_open(&fast, 1, 8);
    assert_non_null(px);
    for (size_t k = 0; k < sizeof(scripts) / sizeof(scripts[0]) * 2; k++) {
        const script *sc = NULL;
        ig_jpeg_opts o;
        size_t len;
        uint8_t *b;
        int how;
        char what[80];
        for (int i = 0; i < NSCRIPTS; i++)
            if (strcmp(k_scripts[i].name, scripts[k / 2]) == 0) sc = &k_scripts[i];
        assert_non_null(sc);
        memset(&o, 0, sizeof(o));
        o.components = 3;
        o.rgb = 1;
        o.quality = 90;
        o.progressive = 1;
        o.scans = sc->scans;
        o.nscans = sc->nscans;
        o.restart_interval = k % 2 ? 2u : 0u;
        b = ig_jpeg_ex(px, w, h, &o, &len);
        assert_non_null(b);
        snprintf(what, sizeof(what), "rgb %s%s", sc->name, k % 2 ? " rst2" : "");
        assert_int_equal(compare(what, b, len, exact.ours, exact.ref, &how), DV_OK);
        if (how != FP_UNKNOWN && how != (script_complete(sc, 3) ? FP_FINISHED : FP_FELL_BACK))
            fail_msg("%s: fast decoder %d", what, how);
        assert_int_equal(compare(what, b, len, fast.ours, fast.ref, NULL), DV_OK);
        free(b);
    }
    duo_close(&exact);
    duo_close(&fast);
    free(px);
    assert_no_mismatch("rgb colourspace");
}

/* ------------------------------------------------------------------ JPEG structure */

typedef struct jseg {
    size_t at;   /* the marker's first 0xFF */
    size_t data; /* past the marker segment (SOS: where the entropy-coded data starts) */
    size_t end;  /* SOS: the marker that ends its entropy-coded data; else == data */
    int m;       /* marker code */
} jseg;

#define MAX_SEGS 128

static int is_rst(int m) { return m >= 0xD0 && m <= 0xD7; }

/* Markers of a well-formed file, SOI excluded, up to EOI. */
static size_t parse_jpeg(const uint8_t *b, size_t len, jseg *s, size_t cap)
{
    size_t i = 2, n = 0;
    while (i + 1 < len && n < cap && b[i] == 0xFF) {
        size_t at = i;
        int m;
        while (i < len && b[i] == 0xFF) i++;
        if (i >= len) break;
        m = b[i++];
        if (m != 0x01 && !is_rst(m) && m != 0xD8 && m != 0xD9) {
            if (i + 2 > len) break;
            i += (size_t)b[i] << 8 | b[i + 1];
            if (i > len) break;
        }
        s[n].at = at;
        s[n].m = m;
        s[n].data = s[n].end = i;
        if (m == 0xDA) {
            size_t j = i;
            while (j + 1 < len && !(b[j] == 0xFF && b[j + 1] != 0 && !is_rst(b[j + 1])))
                j += b[j] == 0xFF ? 2 : 1;
            s[n].end = j + 1 < len ? j : len;
            i = s[n].end;
        }
        n++;
        if (m == 0xD9) break;
    }
    return n;
}

static int longest_code(const uint8_t *b, size_t len)
{
    jseg s[MAX_SEGS];
    size_t n = parse_jpeg(b, len, s, MAX_SEGS);
    int longest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t p = s[i].at + 4;
        if (s[i].m != 0xC4) continue;
        while (p + 17 <= s[i].data) {
            size_t nval = 0;
            for (int l = 1; l <= 16; l++) {
                nval += b[p + (size_t)l];
                if (b[p + (size_t)l] && l > longest) longest = l;
            }
            p += 17 + nval;
        }
    }
    return longest;
}

/* A new exact-size buffer: b with del bytes at `at` replaced by ins (so ASan sees over-reads). */
static uint8_t *splice(const uint8_t *b, size_t len, size_t at, size_t del, const void *ins,
                       size_t nins, size_t *out_len)
{
    size_t n = len - del + nins;
    uint8_t *o = malloc(n ? n : 1);
    assert_non_null(o);
    assert_true(at + del <= len);
    memcpy(o, b, at);
    if (nins) memcpy(o + at, ins, nins);
    memcpy(o + at + nins, b + at + del, len - at - del);
    *out_len = n;
    return o;
}

/* ------------------------------------------------------------------ corruption */

typedef struct victim {
    const char *name;
    uint8_t *buf;
    size_t len;
    jseg seg[MAX_SEGS];
    size_t nseg;
    size_t sos[MAX_SEGS]; /* indexes into seg of the SOS markers */
    size_t nsos;
    size_t scan_bytes; /* entropy-coded bytes in all */
    duo exact, fast;
    long variants, decoded;
} victim;

/* Takes ownership of buf, a well-formed JPEG. */
static void victim_open(victim *v, const char *name, uint8_t *buf, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->name = name;
    v->buf = buf;
    v->len = len;
    assert_non_null(v->buf);
    v->nseg = parse_jpeg(v->buf, v->len, v->seg, MAX_SEGS);
    assert_true(v->nseg > 0 && v->seg[v->nseg - 1].m == 0xD9);
    for (size_t i = 0; i < v->nseg; i++)
        if (v->seg[i].m == 0xDA) {
            v->sos[v->nsos++] = i;
            v->scan_bytes += v->seg[i].end - v->seg[i].data;
        }
    assert_true(v->nsos > 0);
    duo_open(&v->exact, 0, 0);
    duo_open(&v->fast, 1, 1);
}

static void victim_close(victim *v)
{
    printf("  %s: %zu bytes, %zu scans, %ld variants (%ld decode)\n", v->name, v->len, v->nsos,
           v->variants, v->decoded);
    duo_close(&v->exact);
    duo_close(&v->fast);
    free(v->buf);
}

/* Compares a variant exactly and in fast mode (DCT scaled); takes ownership of m. */
static void try_variant(victim *v, uint8_t *m, const size_t *lenp, const char *fmt, ...)
{
    size_t len = *lenp; /* by pointer: read after the splice in the argument list */
    char what[240], full[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s: %s", v->name, what);
    if (compare(full, m, len, v->exact.ours, v->exact.ref, NULL) == DV_OK) v->decoded++;
    /* every fourth also DCT-scaled, Y only: the same coefficients through other output code */
    if (v->variants % 4 == 0) {
        snprintf(full, sizeof(full), "%s: %s (fast min_side 1)", v->name, what);
        compare(full, m, len, v->fast.ours, v->fast.ref, NULL);
    }
    v->variants++;
    free(m);
}

/* A byte offset inside the entropy-coded data, uniformly over all scans. */
static size_t scan_offset(const victim *v, uint32_t r)
{
    size_t k = r % v->scan_bytes;
    for (size_t i = 0; i < v->nsos; i++) {
        const jseg *s = &v->seg[v->sos[i]];
        if (k < s->end - s->data) return s->data + k;
        k -= s->end - s->data;
    }
    return v->seg[v->sos[0]].data;
}

static void corrupt_truncate(victim *v)
{
    size_t len;
    uint8_t *m;
    static const uint8_t eoi[2] = {0xFF, 0xD9};
    for (size_t k = 0; k < v->len; k++) {
        /* every offset of a small file; every 97th and the last 20 of a larger one */
        if (v->len > 3000 && k % 97 != 0 && k + 20 < v->len) continue;
        try_variant(v, splice(v->buf, v->len, k, v->len - k, NULL, 0, &len), &len,
                    "truncated to %zu bytes", k);
        if (k % 7 == 3)
            try_variant(v, splice(v->buf, v->len, k, v->len - k, eoi, 2, &len), &len,
                        "truncated to %zu bytes + EOI", k);
    }
    /* EOI missing, garbage after it, a second image after it */
    try_variant(v, splice(v->buf, v->len, v->len - 2, 2, NULL, 0, &len), &len, "no EOI");
    try_variant(v, splice(v->buf, v->len, v->len, 0, "\x12\xFF\xD9garbage", 10, &len), &len,
                "garbage after EOI");
    m = splice(v->buf, v->len, v->len, 0, v->buf, v->len, &len);
    try_variant(v, m, &len, "file twice");
}

/* DV_JPROG_SOAK=n runs the random corruptions n times over with other seeds (by hand, to
 * look further than the CI budget allows). */
static unsigned g_round;

static void corrupt_flips(victim *v, int count)
{
    uint32_t rng = (0xF11Bu ^ (uint32_t)v->len) + g_round * 0x9E3779B9u;
    for (int it = 0; it < count; it++) {
        char desc[200];
        size_t len, dl = 0;
        uint8_t *m = splice(v->buf, v->len, 0, 0, NULL, 0, &len);
        int changes = 1 + (int)(ig_rand(&rng) % 3);
        for (int c = 0; c < changes; c++) {
            uint32_t r = ig_rand(&rng);
            /* nine in ten inside scan data, else anywhere past SOI */
            size_t at = r % 10 ? scan_offset(v, ig_rand(&rng)) : 2 + ig_rand(&rng) % (len - 2);
            uint8_t old = m[at];
            switch ((r >> 8) % 5) {
            case 0: m[at] ^= (uint8_t)(1u << ((r >> 12) % 8)); break;
            case 1: m[at] = 0xFF; break;
            case 2: m[at] = 0x00; break;
            case 3: m[at] = (uint8_t)(r >> 16); break;
            default: m[at] = (uint8_t)(m[at] + ((r >> 16) & 1 ? 1 : -1)); break;
            }
            dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl, " [%zu]=0x%02x(was 0x%02x)", at,
                                   m[at], old);
            if (dl >= sizeof(desc)) dl = sizeof(desc) - 1;
        }
        if (g_round) try_variant(v, m, &len, "soak round %u flip %d:%s", g_round, it, desc);
        else try_variant(v, m, &len, "flip %d:%s", it, desc);
    }
}

static void corrupt_markers(victim *v, int positions)
{
    static const uint8_t ins[][2] = {{0xFF, 0xD0}, {0xFF, 0xD1}, {0xFF, 0xD3}, {0xFF, 0xD7},
                                     {0xFF, 0xD9}, {0xFF, 0xC4}, {0xFF, 0xDA}, {0xFF, 0xFE},
                                     {0xFF, 0xFF}, {0xFF, 0x00}, {0xFF, 0x01}, {0xFF, 0xE1}};
    uint32_t rng = (0xABCDu ^ (uint32_t)v->len) + g_round * 0x9E3779B9u;
    for (int p = 0; p < positions; p++) {
        size_t at = scan_offset(v, ig_rand(&rng)), len;
        /* not inside an existing FF xx pair */
        if (at > 0 && v->buf[at - 1] == 0xFF) at++;
        for (size_t k = 0; k < sizeof(ins) / sizeof(ins[0]); k++) {
            try_variant(v, splice(v->buf, v->len, at, 0, ins[k], 2, &len), &len,
                        "inserted %02X %02X at %zu", ins[k][0], ins[k][1], at);
            if (k % 3 == 0)
                try_variant(v, splice(v->buf, v->len, at, 2, ins[k], 2, &len), &len,
                            "overwrote %zu with %02X %02X", at, ins[k][0], ins[k][1]);
        }
    }
    /* an extra 0xFF before stuffed zeros: 0xFF 0xFF 0x00, not allowed, read as one 0xFF */
    for (size_t i = 0, n = 0; i < v->nsos && n < 16; i++) {
        const jseg *s = &v->seg[v->sos[i]];
        for (size_t j = s->data; j + 1 < s->end && n < 16; j++) {
            size_t len;
            if (v->buf[j] != 0xFF || v->buf[j + 1] != 0x00) continue;
            n++;
            try_variant(v, splice(v->buf, v->len, j, 0, "\xFF", 1, &len), &len,
                        "extra FF before the stuffed FF 00 at %zu", j);
            j++;
        }
    }
    /* fill bytes before each marker that ends scan data (legal), and a COM between scans */
    for (size_t i = 0; i < v->nsos; i++) {
        const jseg *s = &v->seg[v->sos[i]];
        size_t len;
        try_variant(v, splice(v->buf, v->len, s->end, 0, "\xFF\xFF\xFF", 3, &len), &len,
                    "fill bytes before the marker ending scan %zu", i);
        try_variant(v, splice(v->buf, v->len, s->end, 0, "\xFF\xFE\x00\x04hi", 6, &len), &len,
                    "COM after scan %zu", i);
        try_variant(v, splice(v->buf, v->len, s->end, 0, "\x01\x02\x03", 3, &len), &len,
                    "3 extra bytes at the end of scan %zu", i);
        if (s->end - s->data > 2)
            try_variant(v,
                        splice(v->buf, v->len, s->data + (s->end - s->data) / 2,
                               (s->end - s->data) / 2, NULL, 0, &len),
                        &len, "scan %zu cut in half, then the next marker", i);
    }
}

/* Restart markers moved, renumbered, dropped and repeated. */
static void corrupt_restarts(victim *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nsos && n < 60; i++) {
        const jseg *s = &v->seg[v->sos[i]];
        for (size_t j = s->data; j + 1 < s->end && n < 60; j++) {
            uint8_t next[2];
            size_t len;
            if (v->buf[j] != 0xFF || !is_rst(v->buf[j + 1])) continue;
            n++;
            next[0] = 0xFF;
            next[1] = (uint8_t)(0xD0 | ((v->buf[j + 1] + 1) & 7));
            try_variant(v, splice(v->buf, v->len, j, 2, NULL, 0, &len), &len, "RST at %zu removed",
                        j);
            try_variant(v, splice(v->buf, v->len, j, 2, next, 2, &len), &len,
                        "RST at %zu renumbered to %02X", j, next[1]);
            try_variant(v, splice(v->buf, v->len, j, 0, v->buf + j, 2, &len), &len,
                        "RST at %zu doubled", j);
            try_variant(v, splice(v->buf, v->len, j, 0, next, 2, &len), &len,
                        "RST %02X inserted before RST at %zu", next[1], j);
            if (j - 1 > s->data && v->buf[j - 1] != 0xFF && v->buf[j - 2] != 0xFF) {
                uint8_t sw[3] = {v->buf[j], v->buf[j + 1], v->buf[j - 1]};
                try_variant(v, splice(v->buf, v->len, j - 1, 3, sw, 3, &len), &len,
                            "RST at %zu one byte early", j);
            }
            j++;
        }
    }
}

/* Scans dropped, doubled and swapped; SOS headers with other bands, bits, components. */
static void corrupt_scans(victim *v)
{
    for (size_t i = 0; i < v->nsos; i++) {
        const jseg *s = &v->seg[v->sos[i]];
        size_t len, hl = s->data - s->at, ns;
        const uint8_t *h = v->buf + s->at; /* FF DA len(2) ns (id tbl)*ns Ss Se AhAl */
        try_variant(v, splice(v->buf, v->len, s->at, s->end - s->at, NULL, 0, &len), &len,
                    "scan %zu dropped%s", i, i + 1 == v->nsos ? " (the last)" : "");
        try_variant(v, splice(v->buf, v->len, s->end, 0, v->buf + s->at, s->end - s->at, &len),
                    &len, "scan %zu doubled", i);
        if (i + 1 < v->nsos) {
            /* a scan with the tables and DRI before it, swapped with the next one */
            const jseg *t = &v->seg[v->sos[i + 1]];
            size_t a0 = i ? v->seg[v->sos[i - 1]].end : s->at, a1 = s->end, b1 = t->end;
            uint8_t *sw = malloc(b1 - a0);
            assert_non_null(sw);
            memcpy(sw, v->buf + a1, b1 - a1);
            memcpy(sw + (b1 - a1), v->buf + a0, a1 - a0);
            try_variant(v, splice(v->buf, v->len, a0, b1 - a0, sw, b1 - a0, &len), &len,
                        "scans %zu and %zu swapped", i, i + 1);
            free(sw);
        }
        /* marker 2, length 2, count 1, 2 a component, Ss Se AhAl */
        ns = h[4];
        if (hl != 8 + 2 * ns) continue;
        {
            size_t pss = 5 + 2 * ns, pse = pss + 1, pa = pss + 2;
            int ss = h[pss], se = h[pse], ah = h[pa] >> 4, al = h[pa] & 15;
            const int vals_ss[] = {0, 1, 2, se, se + 1, 63, 64};
            const int vals_se[] = {0, ss, ss - 1, 62, 63, 64, se + 1, se - 1};
            const int vals_a[] = {(ah + 1) * 16 + al, (ah - 1) * 16 + al, ah * 16 + al + 1,
                                  al > 0 ? ah * 16 + al - 1 : -1, ah * 16 + 13, ah * 16 + 14,
                                  (al + 1) * 16 + al, 0x10, 0x00, 0xdc};
            for (size_t k = 0; k < sizeof(vals_ss) / sizeof(vals_ss[0]); k++) {
                uint8_t b = (uint8_t)vals_ss[k];
                if (vals_ss[k] < 0 || vals_ss[k] == ss) continue;
                try_variant(v, splice(v->buf, v->len, s->at + pss, 1, &b, 1, &len), &len,
                            "scan %zu Ss %d -> %d", i, ss, vals_ss[k]);
            }
            for (size_t k = 0; k < sizeof(vals_se) / sizeof(vals_se[0]); k++) {
                uint8_t b = (uint8_t)vals_se[k];
                if (vals_se[k] < 0 || vals_se[k] == se) continue;
                try_variant(v, splice(v->buf, v->len, s->at + pse, 1, &b, 1, &len), &len,
                            "scan %zu Se %d -> %d", i, se, vals_se[k]);
            }
            for (size_t k = 0; k < sizeof(vals_a) / sizeof(vals_a[0]); k++) {
                uint8_t b = (uint8_t)vals_a[k];
                if (vals_a[k] < 0 || vals_a[k] > 255 || b == h[pa]) continue;
                try_variant(v, splice(v->buf, v->len, s->at + pa, 1, &b, 1, &len), &len,
                            "scan %zu Ah/Al 0x%02x -> 0x%02x", i, h[pa], b);
            }
            for (size_t c = 0; c < ns; c++) {
                static const uint8_t ids[] = {1, 2, 3, 4, 0};
                static const uint8_t tbl_xor[] = {0x10, 0x01, 0x11, 0x44, 0xF0};
                for (size_t k = 0; k < sizeof(ids); k++) {
                    if (ids[k] == h[5 + 2 * c]) continue;
                    try_variant(v, splice(v->buf, v->len, s->at + 5 + 2 * c, 1, ids + k, 1, &len),
                                &len, "scan %zu component %zu id %u -> %u", i, c, h[5 + 2 * c],
                                ids[k]);
                }
                for (size_t k = 0; k < sizeof(tbl_xor); k++) {
                    uint8_t b = (uint8_t)(h[6 + 2 * c] ^ tbl_xor[k]);
                    try_variant(v, splice(v->buf, v->len, s->at + 6 + 2 * c, 1, &b, 1, &len), &len,
                                "scan %zu component %zu tables 0x%02x -> 0x%02x", i, c,
                                h[6 + 2 * c], b);
                }
            }
        }
    }
}

/* Huffman tables: codes moved to other lengths, symbols swapped or out of range, ids changed.
 * The segment length stays right, so libjpeg reads the changed table. */
static void corrupt_dht(victim *v)
{
    for (size_t i = 0; i < v->nseg; i++) {
        const jseg *s = &v->seg[i];
        size_t p = s->at + 4;
        if (s->m != 0xC4) continue;
        while (p + 17 <= s->data) {
            const uint8_t *t = v->buf + p; /* TcTh, bits[1..16], values */
            size_t nval = 0, len;
            for (int l = 1; l <= 16; l++) nval += t[l];
            if (p + 17 + nval > s->data) break;
            for (int l = 1; l <= 16; l++) {
                uint8_t *m;
                if (t[l] == 0) continue;
                if (l < 16) {
                    m = splice(v->buf, v->len, 0, 0, NULL, 0, &len);
                    m[p + (size_t)l]--;
                    m[p + (size_t)l + 1]++;
                    try_variant(v, m, &len,
                                "DHT at %zu (class/id 0x%02x): a code of length %d made %d", s->at,
                                t[0], l, l + 1);
                }
                if (l > 1) {
                    m = splice(v->buf, v->len, 0, 0, NULL, 0, &len);
                    m[p + (size_t)l]--;
                    m[p + (size_t)l - 1]++;
                    try_variant(v, m, &len,
                                "DHT at %zu (class/id 0x%02x): a code of length %d made %d", s->at,
                                t[0], l, l - 1);
                }
            }
            for (size_t k = 0; k + 1 < nval && k < 24; k += 3) {
                uint8_t sw[2] = {t[17 + k + 1], t[17 + k]};
                try_variant(v, splice(v->buf, v->len, p + 17 + k, 2, sw, 2, &len), &len,
                            "DHT at %zu (class/id 0x%02x): symbols %zu and %zu swapped", s->at,
                            t[0], k, k + 1);
            }
            {
                static const uint8_t syms[] = {0x10, 0x0B, 0xF0, 0x00, 0xFF,
                                               0x1F, 0x0F, 0x0C, 0xEF, 0x01};
                static const uint8_t ids[] = {0x01, 0x10, 0x11, 0x04, 0x20};
                for (size_t k = 0; k < sizeof(syms) && nval > 0; k++) {
                    size_t at = p + 17 + (k % 2 ? nval - 1 : 0);
                    try_variant(v, splice(v->buf, v->len, at, 1, syms + k, 1, &len), &len,
                                "DHT at %zu (class/id 0x%02x): symbol at %zu -> 0x%02x", s->at,
                                t[0], at, syms[k]);
                }
                for (size_t k = 0; k < sizeof(ids); k++) {
                    uint8_t b = (uint8_t)(t[0] ^ ids[k]);
                    try_variant(v, splice(v->buf, v->len, p, 1, &b, 1, &len), &len,
                                "DHT at %zu: class/id 0x%02x -> 0x%02x", s->at, t[0], b);
                }
            }
            p += 17 + nval;
        }
    }
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Restart intervals changed, or one added before a later scan; frame sizes and sampling. */
static void corrupt_headers(victim *v)
{
    for (size_t i = 0; i < v->nseg; i++) {
        const jseg *s = &v->seg[i];
        size_t len;
        if (s->m == 0xDD && s->data - s->at == 6) {
            unsigned ri = (unsigned)v->buf[s->at + 4] << 8 | v->buf[s->at + 5];
            const unsigned vals[] = {0, 1, ri - 1, ri + 1, 2 * ri, 65535};
            for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
                uint8_t b[2];
                if (vals[k] == ri || vals[k] > 65535) continue;
                put16(b, vals[k]);
                try_variant(v, splice(v->buf, v->len, s->at + 4, 2, b, 2, &len), &len,
                            "DRI at %zu: %u -> %u", s->at, ri, vals[k]);
            }
        }
        if (s->m == 0xC2 || s->m == 0xC0 || s->m == 0xC1) {
            const uint8_t *f = v->buf + s->at; /* FF Cx len(2) P H(2) W(2) N (id HV Tq)*N */
            unsigned hh = (unsigned)f[5] << 8 | f[6], ww = (unsigned)f[7] << 8 | f[8];
            const unsigned dh[] = {1, hh - 1, hh + 1, hh + 8, hh * 2};
            const unsigned dw[] = {1, ww - 1, ww + 1, ww + 16};
            static const uint8_t hv[] = {0x11, 0x12, 0x21, 0x22, 0x41,
                                         0x14, 0x31, 0x44, 0x00, 0x55};
            for (size_t k = 0; k < sizeof(dh) / sizeof(dh[0]); k++) {
                uint8_t b[2];
                if (dh[k] == hh || dh[k] == 0 || dh[k] > 65535) continue;
                put16(b, dh[k]);
                try_variant(v, splice(v->buf, v->len, s->at + 5, 2, b, 2, &len), &len,
                            "SOF height %u -> %u", hh, dh[k]);
            }
            for (size_t k = 0; k < sizeof(dw) / sizeof(dw[0]); k++) {
                uint8_t b[2];
                if (dw[k] == ww || dw[k] == 0 || dw[k] > 65535) continue;
                put16(b, dw[k]);
                try_variant(v, splice(v->buf, v->len, s->at + 7, 2, b, 2, &len), &len,
                            "SOF width %u -> %u", ww, dw[k]);
            }
            for (size_t c = 0; c < f[9]; c++)
                for (size_t k = 0; k < sizeof(hv); k++) {
                    if (hv[k] == f[11 + 3 * c]) continue;
                    try_variant(v, splice(v->buf, v->len, s->at + 11 + 3 * c, 1, hv + k, 1, &len),
                                &len, "SOF component %zu sampling 0x%02x -> 0x%02x", c,
                                f[11 + 3 * c], hv[k]);
                }
        }
    }
    /* a DRI where the encoder wrote none (or another one), before scans 1 and the last */
    for (size_t k = 0; k < 2; k++) {
        size_t i = k ? v->nsos - 1 : (v->nsos > 1 ? 1 : 0), len;
        static const uint8_t dri[2][6] = {{0xFF, 0xDD, 0, 4, 0, 1}, {0xFF, 0xDD, 0, 4, 0, 5}};
        for (size_t d = 0; d < 2; d++)
            try_variant(v, splice(v->buf, v->len, v->seg[v->sos[i]].at, 0, dri[d], 6, &len), &len,
                        "DRI %u inserted before scan %zu", dri[d][5], i);
    }
}

static void run_victim(victim *v, int flips)
{
    const char *soak = getenv("DV_JPROG_SOAK");
    long rounds = soak ? strtol(soak, NULL, 10) : 0;
    for (g_round = 1; g_round < (unsigned)rounds; g_round++) {
        corrupt_flips(v, flips);
        corrupt_markers(v, 24);
    }
    g_round = 0;
    corrupt_truncate(v);
    corrupt_flips(v, flips);
    corrupt_markers(v, 24);
    corrupt_restarts(v);
    corrupt_scans(v);
    corrupt_dht(v);
    corrupt_headers(v);
}

static spec victim_spec(int w, int h, int comps, int samp, const char *script_name, int quality,
                        int restart, int pattern)
{
    spec s;
    memset(&s, 0, sizeof(s));
    s.w = w;
    s.h = h;
    s.comps = comps;
    s.samp = samp;
    for (int i = 0; i < NSCRIPTS; i++)
        if (strcmp(k_scripts[i].name, script_name) == 0) s.script = i;
    s.quality = quality;
    s.restart = restart;
    s.pattern = pattern;
    s.seed = 3;
    return s;
}

static void test_corrupt(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int w, h, comps, samp;
        const char *script;
        int quality, restart, pattern, flips;
    } files[] = {
        {"A 48x40 420 simple rst3 shapes", 48, 40, 3, 2, "simple", 75, 3, IG_PAT_SHAPES, 250},
        {"B 33x17 grey sa3 noise q95", 33, 17, 1, 0, "sa3", 95, 0, IG_PAT_NOISE, 300},
        {"C 40x24 422 bands rstrows1 gradient", 40, 24, 3, 1, "bands", 90, -1, IG_PAT_GRADIENT,
         200},
        {"D 24x24 444 dc-single rst1 shapes", 24, 24, 3, 0, "dc-single", 50, 1, IG_PAT_SHAPES, 200},
        {"E 32x32 420 mixed noise q100", 32, 32, 3, 2, "mixed", 100, 0, IG_PAT_NOISE, 200},
        {"F 16x16 grey simple rst2 gradient", 16, 16, 1, 0, "simple", 75, 2, IG_PAT_GRADIENT, 100},
        {"G 40x32 Y22-Cb12 deep rst5 shapes", 40, 32, 3, 5, "deep", 85, 5, IG_PAT_SHAPES, 200},
        {"M 48x32 420 baseline rst2 noise q90", 48, 32, 3, 2, "baseline", 90, 2, IG_PAT_NOISE, 300},
        {"N 40x24 grey baseline gradient", 40, 24, 1, 0, "baseline", 75, 0, IG_PAT_GRADIENT, 200},
        {"O 33x20 411 baseline rstrows1 shapes", 33, 20, 3, 4, "baseline", 50, -1, IG_PAT_SHAPES,
         200},
        /* big enough for libjpeg-turbo's decode_mcu_fast (512 bytes a block still to come) */
        {"P 64x64 grey baseline noise q90", 64, 64, 1, 0, "baseline", 90, 0, IG_PAT_NOISE, 300},
    };
    static const struct {
        const char *name;
        int w, h, comps, samp;
        const char *script;
        int restart, mode, flips;
    } coef_files[] = {
        {"H coefficients ones 24x16 420 sa3", 24, 16, 3, 2, "sa3", 0, CG_ONES, 300},
        {"I coefficients mixed 16x24 grey deep rst2", 16, 24, 1, 0, "deep", 2, CG_MIXED, 300},
        {"J coefficients edges 24x24 444 narrow rst4", 24, 24, 3, 0, "narrow", 4, CG_EDGES, 200},
        {"K coefficients skew 32x16 422 baseline rst3", 32, 16, 3, 1, "baseline", 3, CG_SKEW, 200},
        {"L coefficients max 16x16 grey baseline", 16, 16, 1, 0, "baseline", 0, CG_MAX, 100},
    };
    skip_if_no_fast_decoder();
    reset_counts();
    for (size_t i = 0; i < sizeof(coef_files) / sizeof(coef_files[0]); i++) {
        victim v;
        spec s =
            victim_spec(coef_files[i].w, coef_files[i].h, coef_files[i].comps, coef_files[i].samp,
                        coef_files[i].script, 75, coef_files[i].restart, 0);
        size_t len;
        uint8_t *b = make_coef_jpeg(&s, coef_files[i].mode, &len);
        victim_open(&v, coef_files[i].name, b, len);
        run_victim(&v, coef_files[i].flips);
        victim_close(&v);
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        victim v;
        spec s = victim_spec(files[i].w, files[i].h, files[i].comps, files[i].samp, files[i].script,
                             files[i].quality, files[i].restart, files[i].pattern);
        size_t len;
        uint8_t *b = make_jpeg(&s, &len);
        victim_open(&v, files[i].name, b, len);
        run_victim(&v, files[i].flips);
        victim_close(&v);
    }
    {
        /* 4:2:0 baseline with 4 KB after EOI: libjpeg-turbo's decode_mcu_fast runs on every
         * MCU (it looks at the bytes left in the buffer, whatever they are) */
        victim v;
        spec s = victim_spec(48, 32, 3, 2, "baseline", 90, 0, IG_PAT_NOISE);
        size_t len;
        uint8_t *b = make_jpeg(&s, &len), *t;
        assert_non_null(b);
        t = realloc(b, len + 4096);
        assert_non_null(t);
        memset(t + len, 0x5A, 4096);
        victim_open(&v, "Q 48x32 420 baseline noise q90 + 4 KB after EOI", t, len + 4096);
        run_victim(&v, 300);
        victim_close(&v);
    }
    assert_no_mismatch("corrupt");
}

/* 0xFF 0xFF 0x00 inside a baseline scan (fill bytes before a stuffed zero; not valid JPEG):
 * libjpeg-turbo's slow bit reader takes it for one 0xFF data byte, its decode_mcu_fast()
 * (no restart interval, 512 bytes a block still in the buffer) for a marker; it then
 * decodes zeros, gives the MCU to the slow path and leaves its own attempt's coefficients
 * in the block. The fast decoder must leave such files to libjpeg. Each stuffed zero of a
 * grey baseline file in turn gets a second 0xFF in front. */
static void test_baseline_ff_ff_00(void **state)
{
    (void)state;
    spec s = victim_spec(64, 64, 1, 0, "baseline", 90, 0, IG_PAT_NOISE);
    size_t len, n = 0, sos = 0, nseg;
    uint8_t *b;
    jseg seg[MAX_SEGS];
    duo exact;
    skip_if_no_fast_decoder();
    reset_counts();
    b = make_jpeg(&s, &len);
    assert_non_null(b);
    nseg = parse_jpeg(b, len, seg, MAX_SEGS);
    for (size_t i = 0; i < nseg; i++)
        if (seg[i].m == 0xDA) sos = i;
    duo_open(&exact, 0, 0);
    for (size_t j = seg[sos].data; j + 1 < seg[sos].end; j++) {
        size_t mlen;
        uint8_t *m;
        char what[96];
        if (b[j] != 0xFF || b[j + 1] != 0x00) continue;
        m = splice(b, len, j, 0, "\xFF", 1, &mlen);
        snprintf(what, sizeof(what), "64x64 grey baseline noise q90: extra FF before FF 00 at %zu",
                 j);
        compare(what, m, mlen, exact.ours, exact.ref, NULL);
        free(m);
        n++;
    }
    duo_close(&exact);
    free(b);
    assert_true(n > 0);
    assert_no_mismatch("baseline FF FF 00");
}

/* The 500-scan cap (jpeg.c MAX_SCANS) is the same on both paths: a DC scan repeated. */
static void test_scan_cap(void **state)
{
    (void)state;
    spec s = victim_spec(16, 16, 1, 0, "spectral", 75, 0, IG_PAT_GRADIENT);
    static const int total[] = {3, 499, 500, 501, 520};
    victim v;
    size_t vlen;
    uint8_t *vb;
    skip_if_no_fast_decoder();
    reset_counts();
    vb = make_jpeg(&s, &vlen);
    victim_open(&v, "16x16 grey spectral", vb, vlen);
    assert_int_equal(v.nsos, 2);
    for (size_t k = 0; k < sizeof(total) / sizeof(total[0]); k++) {
        /* the DC scan with its tables (Al 0 again: no progression warning), repeated */
        const jseg *dc = &v.seg[v.sos[0]];
        size_t unit = dc->end - dc->at, extra = (size_t)(total[k] - 2), len = v.len + unit * extra;
        uint8_t *m = malloc(len);
        int rc, how;
        char what[64];
        assert_non_null(m);
        memcpy(m, v.buf, dc->end);
        for (size_t r = 0; r < extra; r++) memcpy(m + dc->end + r * unit, v.buf + dc->at, unit);
        memcpy(m + dc->end + extra * unit, v.buf + dc->end, v.len - dc->end);
        snprintf(what, sizeof(what), "%d scans", total[k]);
        rc = compare(what, m, len, v.exact.ours, v.exact.ref, &how);
        if (total[k] <= 500) {
            assert_int_equal(rc, DV_OK);
            if (how != FP_UNKNOWN) assert_int_equal(how, FP_FINISHED);
        } else {
            assert_int_equal(rc, DV_ECORRUPT);
            assert_non_null(strstr(dv_decoder_errmsg(v.exact.ref), "500"));
        }
        free(m);
    }
    victim_close(&v);
    assert_no_mismatch("scan cap");
}

/* ------------------------------------------------------------------ memory */

/* Allocator that fails from (or at) the Nth call and fills what it hands out with 0xA5. */
typedef struct fail_alloc {
    dv_alloc a;
    long calls, fail_at, failed, live;
    int one_shot;
} fail_alloc;

static int fa_fails(fail_alloc *t)
{
    long c = t->calls++;
    if (t->fail_at < 0 || (t->one_shot ? c != t->fail_at : c < t->fail_at)) return 0;
    t->failed++;
    return 1;
}

static void *fa_malloc(void *opaque, size_t n)
{
    fail_alloc *t = opaque;
    void *p;
    if (fa_fails(t)) return NULL;
    p = malloc(n);
    if (p) {
        memset(p, 0xA5, n);
        t->live++;
    }
    return p;
}

static void *fa_realloc(void *opaque, void *ptr, size_t n)
{
    fail_alloc *t = opaque;
    void *p;
    if (fa_fails(t)) return NULL;
    p = realloc(ptr, n);
    if (p && ptr == NULL) t->live++;
    return p;
}

static void fa_free(void *opaque, void *ptr)
{
    fail_alloc *t = opaque;
    if (ptr) t->live--;
    free(ptr);
}

static void fa_init(fail_alloc *t, long fail_at, int one_shot)
{
    memset(t, 0, sizeof(*t));
    t->a.malloc_fn = fa_malloc;
    t->a.realloc_fn = fa_realloc;
    t->a.free_fn = fa_free;
    t->a.opaque = t;
    t->fail_at = fail_at;
    t->one_shot = one_shot;
}

static void same_pixels(const char *what, const dv_image *a, const dv_image *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        fail_msg("%s: %ux%ux%u vs %ux%ux%u", what, a->width, a->height, a->channels, b->width,
                 b->height, b->channels);
    for (uint32_t y = 0; y < a->height; y++)
        if (memcmp(a->pixels + (size_t)y * a->stride, b->pixels + (size_t)y * b->stride,
                   (size_t)a->width * a->channels) != 0)
            fail_msg("%s: row %u differs", what, y);
}

/* Out of memory inside the fast decoder is like out of memory anywhere else: the answer
 * is libjpeg's image or DV_ENOMEM, and nothing leaks. */
static void test_alloc_failure(void **state)
{
    (void)state;
    static const struct {
        int w, h, comps, samp;
        const char *script;
        int restart;
    } c[] = {{48, 40, 3, 2, "simple", 3}, {33, 17, 1, 0, "sa3", 0}, {40, 24, 3, 1, "baseline", 2}};
    skip_if_no_fast_decoder();
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        spec s = victim_spec(c[i].w, c[i].h, c[i].comps, c[i].samp, c[i].script, 80, c[i].restart,
                             IG_PAT_SHAPES);
        size_t len;
        uint8_t *b = make_jpeg(&s, &len);
        dv_decode_opts ro = {0};
        dv_decoder *ref;
        dv_image want;
        long enomem = 0;
        assert_non_null(b);
        ro.simd = DV_SIMD_SCALAR;
        ref = dv_decoder_create(&ro);
        assert_int_equal(dv_decoder_decode(ref, b, len, &want), DV_OK);
        for (int one_shot = 0; one_shot < 2; one_shot++)
            for (long fail_at = 0; fail_at < 32; fail_at++) {
                fail_alloc t;
                dv_decode_opts o = {0};
                dv_decoder *d;
                dv_image im;
                char what[96];
                fa_init(&t, fail_at, one_shot);
                o.alloc = &t.a;
                d = dv_decoder_create(&o);
                if (d == NULL) continue;
                for (int rep = 0; rep < 2; rep++) {
                    int rc = dv_decoder_decode(d, b, len, &im);
                    snprintf(what, sizeof(what), "%s fail_at %ld%s rep %d", c[i].script, fail_at,
                             one_shot ? " once" : "", rep);
                    if (rc == DV_OK) {
                        same_pixels(what, &im, &want);
                    } else if (rc == DV_ENOMEM) {
                        enomem++;
                        assert_true(dv_decoder_errmsg(d)[0] != '\0');
                    } else {
                        fail_msg("%s: rc %d %s", what, rc, dv_decoder_errmsg(d));
                    }
                }
                t.fail_at = -1;
                assert_int_equal(dv_decoder_decode(d, b, len, &im), DV_OK);
                same_pixels("after memory came back", &im, &want);
                dv_decoder_free(d);
                assert_int_equal(t.live, 0);
                if (t.failed == 0) break;
            }
        assert_true(enomem > 0);
        dv_decoder_free(ref);
        free(b);
    }
}

/* The fast decoder's copy of the entropy-coded data does not outlive a decode: every byte
 * of its buffer is zero again, or was never written (the allocator's 0xA5). */
static void test_segment_buffer_wiped(void **state)
{
    (void)state;
    static const char *const scripts[] = {"simple", "sa3", "baseline"};
    fail_alloc t;
    dv_decode_opts o = {0};
    dv_decoder *d;
    skip_if_no_fast_decoder();
    fa_init(&t, -1, 0);
    o.alloc = &t.a;
    d = dv_decoder_create(&o);
    assert_non_null(d);
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]) * 2; i++) {
        spec s = victim_spec(96, 64, 3, 2, scripts[i / 2], 90, (int)(i % 2) * 2, IG_PAT_NOISE);
        size_t len, odd = 0;
        uint8_t *b = make_jpeg(&s, &len);
        dv_image im;
        assert_non_null(b);
        /* the second time cut short: the failure path wipes too */
        assert_int_equal(dv_decoder_decode(d, b, i % 2 ? len * 2 / 3 : len, &im),
                         i % 2 ? DV_ECORRUPT : DV_OK);
        assert_non_null(d->ebuf);
        assert_int_equal(d->ebufused, 0);
        for (size_t k = 0; k < d->ebufcap; k++) odd += d->ebuf[k] != 0 && d->ebuf[k] != 0xA5;
        if (odd)
            fail_msg("%s: %zu bytes of the segment buffer left after the decode", scripts[i / 2],
                     odd);
        free(b);
    }
    dv_decoder_free(d);
    assert_int_equal(t.live, 0);
}

/* ------------------------------------------------------------------ ../shared/photos */

static int has_jpeg_ext(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && strcasecmp(n + l - 4, ".jpg") == 0) ||
           (l > 5 && strcasecmp(n + l - 5, ".jpeg") == 0);
}

static int is_progressive(const uint8_t *b, size_t len)
{
    jseg s[MAX_SEGS];
    size_t n = parse_jpeg(b, len, s, MAX_SEGS);
    for (size_t i = 0; i < n; i++)
        if (s[i].m == 0xC2) return 1;
    return 0;
}

typedef struct photo_run {
    duo exact, fast256;
    long files, progressive, decoded;
} photo_run;

static void check_photo(photo_run *pr, const char *path)
{
    size_t len;
    uint8_t *b = tu_read(path, &len);
    const char *base = strrchr(path, '/');
    char what[4400];
    jseg s[MAX_SEGS];
    size_t n, last = 0, m_len;
    uint32_t rng;
    assert_non_null(b);
    base = base ? base + 1 : path;
    if (dv_image_sniff(b, len) != DV_FMT_JPEG) {
        free(b);
        return;
    }
    pr->files++;
    snprintf(what, sizeof(what), "photo %s", base);
    if (compare(what, b, len, pr->exact.ours, pr->exact.ref, NULL) == DV_OK) pr->decoded++;
    if (!is_progressive(b, len)) {
        free(b);
        return;
    }
    pr->progressive++;
    /* the multi-megapixel one is compared exactly only, for time */
    if (len > (2u << 20)) {
        free(b);
        return;
    }
    snprintf(what, sizeof(what), "photo %s (fast)", base);
    compare(what, b, len, pr->fast256.ours, pr->fast256.ref, NULL);
    /* a few damaged copies of real encoders' streams */
    n = parse_jpeg(b, len, s, MAX_SEGS);
    for (size_t i = 0; i < n; i++)
        if (s[i].m == 0xDA) last = i;
    if (last > 0) {
        uint8_t *m = splice(b, len, s[last].at, s[last].end - s[last].at, NULL, 0, &m_len);
        snprintf(what, sizeof(what), "photo %s: last scan dropped", base);
        compare(what, m, m_len, pr->exact.ours, pr->exact.ref, NULL);
        free(m);
    }
    rng = (uint32_t)len | 1u;
    for (int k = 0; k < 2 && n > 0; k++) {
        size_t at = s[n - 1].at / 2 + ig_rand(&rng) % (s[n - 1].at / 2);
        uint8_t x = (uint8_t)(1u << (ig_rand(&rng) % 8));
        uint8_t *m = splice(b, len, 0, 0, NULL, 0, &m_len);
        m[at] ^= x;
        snprintf(what, sizeof(what), "photo %s: byte %zu ^= 0x%02x", base, at, x);
        compare(what, m, m_len, pr->exact.ours, pr->exact.ref, NULL);
        free(m);
    }
    snprintf(what, sizeof(what), "photo %s: cut at 3/4", base);
    {
        uint8_t *m = splice(b, len, len * 3 / 4, len - len * 3 / 4, NULL, 0, &m_len);
        compare(what, m, m_len, pr->exact.ours, pr->exact.ref, NULL);
        free(m);
    }
    free(b);
}

static void walk_photos(photo_run *pr, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (d == NULL) return;
    /* sorted, so any report names files in the same order everywhere */
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
            assert_non_null(nn);
            names = nn;
        }
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 3)
                walk_photos(pr, path, depth + 1);
            else if (S_ISREG(st.st_mode) && has_jpeg_ext(names[i]))
                check_photo(pr, path);
        }
        free(names[i]);
    }
    free(names);
}

static void test_shared_photos(void **state)
{
    (void)state;
    char dir[1024];
    struct stat st;
    photo_run pr;
    skip_if_no_fast_decoder();
    if (tu_shared("photos", dir, sizeof(dir)) == NULL || stat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
        printf("SKIP: ../shared/photos absent (looked in %s): real JPEGs not compared\n",
               DV_SHARED_DIR);
        skip();
    }
    reset_counts();
    memset(&pr, 0, sizeof(pr));
    duo_open(&pr.exact, 0, 0);
    duo_open(&pr.fast256, 1, 0);
    walk_photos(&pr, dir, 0);
    duo_close(&pr.exact);
    duo_close(&pr.fast256);
    printf("shared photos: %ld JPEGs (%ld progressive), %ld decode\n", pr.files, pr.progressive,
           pr.decoded);
    assert_true(pr.files > 0);
    assert_no_mismatch("shared photos");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_benign_matrix),
        cmocka_unit_test(test_benign_cross),
        cmocka_unit_test(test_not_for_fast_decoder),
        cmocka_unit_test(test_long_eob_runs),
        cmocka_unit_test(test_coefficient_images),
        cmocka_unit_test(test_long_huffman_codes),
        cmocka_unit_test(test_rgb_colourspace),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_baseline_ff_ff_00),
        cmocka_unit_test(test_scan_cap),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_segment_buffer_wiped),
        cmocka_unit_test(test_shared_photos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
