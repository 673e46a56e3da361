/* pdq.c - PDQ perceptual hash: luma, Jarosz tent filter, 64x64 decimation, 16x16 DCT, median bits.
 * The scalar twin below mirrors the reference loops; the kernels must match it bit for bit. */
#include "pdq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_HASHABLE_DIM 5

struct dv_pdq_hasher {
    dv_pdq_opts opts;
    const dv_alloc *alloc;
    dv__pdq_downsample_fn downsample; /* NULL: the scalar twin */
    dv__pdq_sparse_row_fn sparse_row; /* hash --fast's row sums */
    /* hash --fast's tents, kept for the next image of the same size (tent_w 0: none):
     * the 64 columns' weights (64 tr floats), then the 64 rows' (64 tc) */
    float *tents;
    size_t tents_cap;
    int tent_w, tent_h;
    int first_c[64], n_c[64], first_r[64], n_r[64];
    dv__pdq_work work;
    float dct[16][64];
    float dct_t[64][16];
    uint8_t *resized; /* preresize512 scratch */
};

/* ---------------------------------------------------------------- scalar twin */

static void luma_from_image(const dv_image *img, float *luma)
{
    const size_t W = img->width, H = img->height;
    for (size_t i = 0; i < H; i++) {
        const uint8_t *p = img->pixels + i * img->stride;
        float *dst = luma + i * W;
        if (img->channels == 3) {
            for (size_t j = 0; j < W; j++)
                dst[j] = 0.299f * p[3 * j] + 0.587f * p[3 * j + 1] + 0.114f * p[3 * j + 2];
        } else {
            for (size_t j = 0; j < W; j++) dst[j] = (float)p[j];
        }
    }
}

static void box1d(const float *in, float *out, int n, size_t stride, int full)
{
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = n - full, p4 = half - 1;
    size_t li = 0, ri = 0, oi = 0;
    float sum = 0.0f;
    int cnt = 0;
    for (int i = 0; i < p1; i++) {
        sum += in[ri];
        cnt++;
        ri += stride;
    }
    for (int i = 0; i < p2; i++) {
        sum += in[ri];
        cnt++;
        out[oi] = sum / cnt;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < p3; i++) {
        sum += in[ri];
        sum -= in[li];
        out[oi] = sum / cnt;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < p4; i++) {
        sum -= in[li];
        cnt--;
        out[oi] = sum / cnt;
        li += stride;
        oi += stride;
    }
}

/* The reference's structure, column pass included: slow on wide images, kept as the twin. */
static void downsample_scalar(const dv_image *img, dv__pdq_work *w, float *out)
{
    const int H = (int)img->height, W = (int)img->width;
    const int wr = dv__jarosz_window(W, 64), wc = dv__jarosz_window(H, 64);
    luma_from_image(img, w->buf1);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < H; i++)
            box1d(w->buf1 + (size_t)i * W, w->buf2 + (size_t)i * W, W, 1, wr);
        for (int j = 0; j < W; j++) box1d(w->buf2 + j, w->buf1 + j, H, (size_t)W, wc);
    }
    for (int i = 0; i < 64; i++) {
        int si = dv__decimate_index(i, H);
        for (int j = 0; j < 64; j++) out[i * 64 + j] = w->buf1[(size_t)si * W + dv__decimate_index(j, W)];
    }
}

/* ---------------------------------------------------------------- shared stages */

static int quality_metric(const float a[64 * 64])
{
    int gsum = 0, q;
    for (int i = 0; i < 63; i++) {
        for (int j = 0; j < 64; j++) {
            int d = (int)(((a[i * 64 + j] - a[(i + 1) * 64 + j]) * 100) / 255);
            gsum += d < 0 ? -d : d;
        }
    }
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 63; j++) {
            int d = (int)(((a[i * 64 + j] - a[i * 64 + j + 1]) * 100) / 255);
            gsum += d < 0 ? -d : d;
        }
    }
    q = gsum / 90;
    return q > 100 ? 100 : q;
}

/* B = D A D^T keeping rows/cols 1..16; each sum runs k = 0..63 in order, as the reference. */
static void dct64to16(const dv_pdq_hasher *h, const float a[64 * 64], float b[16][16])
{
    float t[16][64];
    for (int i = 0; i < 16; i++) {
        float acc[64];
        for (int j = 0; j < 64; j++) acc[j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            const float d = h->dct[i][k];
            const float *row = a + k * 64;
            for (int j = 0; j < 64; j++) acc[j] += d * row[j];
        }
        memcpy(t[i], acc, sizeof(acc));
    }
    for (int i = 0; i < 16; i++) {
        float acc[16];
        for (int j = 0; j < 16; j++) acc[j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            const float tv = t[i][k];
            for (int j = 0; j < 16; j++) acc[j] += tv * h->dct_t[k][j];
        }
        memcpy(b[i], acc, sizeof(acc));
    }
}

/* The k-th smallest of a[0..n-1] (a is reordered): Hoare partitions around the middle
 * element, narrowing to the side that holds k. */
static float kth_smallest(float *a, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (hi > lo) {
        const float pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                float t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break; /* between j and i every value equals the pivot */
    }
    return a[k];
}

/* Bit (i*16+j) is set when b[i][j] exceeds the 128th smallest value (what Torben's
 * selection returns for 256 values). Word i = row i; hex prints word 15 first. */
static void bits_from_dct(const float b[16][16], dv_pdq_hash *out)
{
    float sorted[256];
    float median;
    memcpy(sorted, b, sizeof(sorted));
    median = kth_smallest(sorted, 256, 127);
    memset(out->bytes, 0, sizeof(out->bytes));
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            if (b[i][j] > median) {
                int byte = 2 * (15 - i) + (j < 8 ? 1 : 0);
                out->bytes[byte] |= (uint8_t)(1u << (j & 7));
            }
        }
    }
}

/* Dihedral variants straight from the DCT: sign flips by frequency parity and transposes. */
static void dihedral(const float a[16][16], float b[16][16], int which)
{
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            float v = a[i][j];
            switch (which) {
            case DV_DIH_ROTATE90: b[j][i] = (j & 1) ? v : -v; break;
            case DV_DIH_ROTATE180: b[i][j] = ((i + j) & 1) ? -v : v; break;
            case DV_DIH_ROTATE270: b[j][i] = (i & 1) ? v : -v; break;
            case DV_DIH_FLIPX: b[i][j] = (i & 1) ? v : -v; break;
            case DV_DIH_FLIPY: b[i][j] = (j & 1) ? v : -v; break;
            case DV_DIH_FLIPPLUS1: b[j][i] = v; break;
            case DV_DIH_FLIPMINUS1: b[j][i] = ((i + j) & 1) ? -v : v; break;
            default: b[i][j] = v; break;
            }
        }
    }
}

/* ---------------------------------------------------------------- hasher */

dv_pdq_hasher *dv_pdq_hasher_create(const dv_pdq_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_pdq_hasher *h = dv__calloc(a, 1, sizeof(*h));
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0);
    if (h == NULL) return NULL;
    if (opts) h->opts = *opts;
    h->alloc = a;
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 64; j++) {
            h->dct[i][j] = (float)(scale * cos((pi / 2.0 / 64.0) * (double)(i + 1) * (double)(2 * j + 1)));
            h->dct_t[j][i] = h->dct[i][j];
        }
    }
    h->sparse_row = dv__pdq_sparse_row_scalar;
#if defined(DV_HAVE_X86_SIMD)
    if (dv__simd_resolve(h->opts.simd) >= DV_SIMD_AVX2) h->sparse_row = dv__pdq_sparse_row_avx2;
#endif
    switch (dv__simd_resolve(h->opts.simd)) {
    case DV_SIMD_SCALAR: h->downsample = NULL; break;
#if defined(DV_HAVE_X86_SIMD)
    /* AVX-512 CPUs run the 8-lane kernel too: it has the RGB-to-luma fused into the strips
     * and the shuffle transpose, which the 16-lane one lacks, and on Zen 4 it is 1.8x faster
     * (hash_bench, "pdq only"). The 16-lane kernel stays bit-exact and tested
     * (dv__pdq_downsample_path). */
    case DV_SIMD_AVX2:
    case DV_SIMD_AVX512: h->downsample = dv__pdq_downsample_avx2; break;
#endif
    default: h->downsample = dv__pdq_downsample_portable; break;
    }
    return h;
}

void dv_pdq_hasher_free(dv_pdq_hasher *h)
{
    if (h == NULL) return;
    dv__free(h->alloc, h->tents);
    dv__free(h->alloc, h->work.buf1);
    dv__free(h->alloc, h->work.buf2);
    dv__free(h->alloc, h->resized);
    dv__free(h->alloc, h);
}

static int ensure(const dv_alloc *a, float **p, size_t *cap, size_t n)
{
    if (n <= *cap) return DV_OK;
    dv__free(a, *p);
    *p = dv__malloc(a, n * sizeof(float));
    *cap = *p ? n : 0;
    return *p ? DV_OK : DV_ENOMEM;
}

/* ---------------------------------------------------------------- --fast: sparse filter */

/* box1d's window for output o of n values with window size full: [*lo, returned hi]. */
static int box_window(int n, int full, int o, int *lo)
{
    int half = (full + 2) / 2;
    int a = o - full + half, b = o + half - 1;
    *lo = a > 0 ? a : 0;
    return b < n - 1 ? b : n - 1;
}

/* Weights of input k on output o after two box1d passes (the tent with box1d's edge
 * windows): w[k - *first] for k in [*first, *first + returned count). */
static int tent_weights(int n, int full, int o, float *w, int *first)
{
    int lo, hi = box_window(n, full, o, &lo), klo, khi, tmp;
    float inv = 1.0f / (float)(hi - lo + 1);
    box_window(n, full, lo, &klo);
    khi = box_window(n, full, hi, &tmp);
    for (int k = klo; k <= khi; k++) w[k - klo] = 0.0f;
    for (int m = lo; m <= hi; m++) {
        int mlo, mhi = box_window(n, full, m, &mlo);
        float wm = inv / (float)(mhi - mlo + 1);
        for (int k = mlo; k <= mhi; k++) w[k - klo] += wm;
    }
    *first = klo;
    return khi - klo + 1;
}

void dv__pdq_sparse_row_scalar(const uint8_t *const *rows, const float *w, int n, int W,
                               int channels, float *row)
{
    dv__pdq_sparse_cols(rows, w, n, 0, W, channels, row);
}

/* The filters of both passes in each direction are linear and separable, so the 64x64
 * samples are weighted sums of the luma over each sample's tent: only the rows and columns
 * the decimation reads are filtered (for hash --fast: the sums are added in another order
 * than the reference's, so the result is close to, not bit-exact with, the exact hash).
 * Memory: one filtered row and its row pointers, and the 128 tents (about 2 W + 2 H floats),
 * kept for the next image of the same size. */
static int downsample_sparse(dv_pdq_hasher *h, const dv_image *img, float *out,
                             dv__pdq_sparse_row_fn row_fn)
{
    const int H = (int)img->height, W = (int)img->width;
    const int wr = dv__jarosz_window(W, 64), wc = dv__jarosz_window(H, 64);
    const size_t tr = 2 * (size_t)wr + 4, tc = 2 * (size_t)wc + 4; /* >= the tents' taps */
    const int *first_c = h->first_c, *n_c = h->n_c;
    size_t need, ntents;
    float *wh, *row;
    const uint8_t **rows;
    /* floats: the filtered row (made even, so what follows is 8-byte aligned), and tc
     * row pointers of 2 floats */
    if ((size_t)W > SIZE_MAX - 1 - 2 * tc) return DV_ENOMEM;
    need = (size_t)W + 1 + 2 * tc;
    DV_FORWARD_IF_ERROR(ensure(h->alloc, &h->work.buf1, &h->work.cap_hw, need));
    row = h->work.buf1;
    rows = (const uint8_t **)(void *)(row + (size_t)W + ((size_t)W & 1));
    if (!dv__mul_ok(64, tr + tc, &ntents)) return DV_ENOMEM;
    if (h->tent_w != W || h->tent_h != H) {
        h->tent_w = 0;
        DV_FORWARD_IF_ERROR(ensure(h->alloc, &h->tents, &h->tents_cap, ntents));
        for (int c = 0; c < 64; c++)
            h->n_c[c] = tent_weights(W, wr, dv__decimate_index(c, W), h->tents + (size_t)c * tr,
                                     &h->first_c[c]);
        for (int s = 0; s < 64; s++)
            h->n_r[s] = tent_weights(H, wc, dv__decimate_index(s, H),
                                     h->tents + 64 * tr + (size_t)s * tc, &h->first_r[s]);
        h->tent_w = W;
        h->tent_h = H;
    }
    wh = h->tents;
    for (int s = 0; s < 64; s++) {
        const int first = h->first_r[s], n = h->n_r[s];
        const float *wv = h->tents + 64 * tr + (size_t)s * tc;
        for (int k = 0; k < n; k++) rows[k] = img->pixels + (size_t)(first + k) * img->stride;
        row_fn(rows, wv, n, W, (int)img->channels, row);
        for (int c = 0; c < 64; c++) {
            const float *t = row + first_c[c], *w = wh + (size_t)c * tr;
            float acc = 0.0f;
            for (int k = 0; k < n_c[c]; k++) acc += w[k] * t[k];
            out[s * 64 + c] = acc;
        }
    }
    return DV_OK;
}

/* The scalar twin needs two image-sized float buffers, as the reference; the streaming
 * kernels need a few rows' worth, carved out of buf1. */
static int reserve(dv_pdq_hasher *h, size_t W, size_t H, int scalar)
{
    dv__pdq_work *w = &h->work;
    size_t need;
    if (scalar) {
        if (!dv__mul_ok(W, H, &need)) return DV_ENOMEM;
        DV_FORWARD_IF_ERROR(ensure(h->alloc, &w->buf1, &w->cap_hw, need));
        return ensure(h->alloc, &w->buf2, &w->cap_cols, need);
    }
    need = dv__pdq_kernel_floats(W, H, dv__jarosz_window((int)H, 64));
    return ensure(h->alloc, &w->buf1, &w->cap_hw, need);
}

/* Nearest-neighbour resize to exactly 512x512, source = floor(x * W / 512): the reference CLI. */
static int preresize(dv_pdq_hasher *h, const dv_image *in, dv_image *out)
{
    const size_t n = 512, ch = in->channels;
    if (h->resized == NULL) {
        h->resized = dv__malloc(h->alloc, n * n * 3);
        if (h->resized == NULL) return DV_ENOMEM;
    }
    for (size_t y = 0; y < n; y++) {
        const uint8_t *src = in->pixels + (size_t)((uint64_t)y * in->height / n) * in->stride;
        uint8_t *dst = h->resized + y * n * ch;
        for (size_t x = 0; x < n; x++) {
            size_t sx = (size_t)((uint64_t)x * in->width / n);
            memcpy(dst + x * ch, src + sx * ch, ch);
        }
    }
    *out = *in;
    out->width = out->height = (uint32_t)n;
    out->stride = n * ch;
    out->pixels = h->resized;
    return DV_OK;
}

int dv_pdq_hash_image(dv_pdq_hasher *h, const dv_image *img_in, dv_pdq_result *out)
{
    dv_image img;
    float a64[64 * 64];
    float b[16][16], aux[16][16];
    if (h == NULL || img_in == NULL || out == NULL || img_in->pixels == NULL) return DV_EINVAL;
    if (img_in->channels != 1 && img_in->channels != 3) return DV_EINVAL;
    memset(out, 0, sizeof(*out));
    out->ndihedral = h->opts.dihedral ? DV_DIH_COUNT : 1;
    img = *img_in;
    if (h->opts.preresize512 && (img.width > 512 || img.height > 512))
        DV_FORWARD_IF_ERROR(preresize(h, img_in, &img));
    if (img.width < MIN_HASHABLE_DIM || img.height < MIN_HASHABLE_DIM) return DV_OK;
    if (!h->opts.fast)
        DV_FORWARD_IF_ERROR(reserve(h, img.width, img.height, h->downsample == NULL));
    if (img.width == 64 && img.height == 64) {
        /* the reference skips filtering when the input is already 64x64 */
        luma_from_image(&img, a64);
    } else if (h->opts.fast) {
        DV_FORWARD_IF_ERROR(downsample_sparse(h, &img, a64, h->sparse_row));
    } else if (h->downsample != NULL) {
        h->downsample(&img, &h->work, a64);
    } else {
        downsample_scalar(&img, &h->work, a64);
    }
    out->quality = quality_metric(a64);
    dct64to16(h, a64, b);
    bits_from_dct(b, &out->hash[0]);
    if (h->opts.dihedral) {
        for (int d = 1; d < DV_DIH_COUNT; d++) {
            dihedral(b, aux, d);
            bits_from_dct(aux, &out->hash[d]);
        }
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- text form */

void dv_pdq_to_hex(const dv_pdq_hash *h, char out[DV_PDQ_HEX_LEN + 1])
{
    dv_hex_encode(h->bytes, DV_PDQ_BYTES, out);
}

int dv_pdq_from_hex(const char *hex, size_t len, dv_pdq_hash *out)
{
    if (hex == NULL || out == NULL || len != DV_PDQ_HEX_LEN) return DV_EINVAL;
    return dv__hex_decode(hex, len, out->bytes, DV_PDQ_BYTES) == 0 ? DV_OK : DV_EINVAL;
}

int dv_pdq_distance(const dv_pdq_hash *a, const dv_pdq_hash *b)
{
    int d = 0;
    for (size_t i = 0; i < DV_PDQ_BYTES; i += 8) {
        uint64_t x, y;
        memcpy(&x, a->bytes + i, 8);
        memcpy(&y, b->bytes + i, 8);
        d += __builtin_popcountll(x ^ y);
    }
    return d;
}

const char *dv_dihedral_name(dv_dihedral d)
{
    static const char *const names[DV_DIH_COUNT] = {"orig",  "rot90", "rot180",    "rot270",
                                                   "flipx", "flipy", "flipplus1", "flipminus1"};
    return (unsigned)d < DV_DIH_COUNT ? names[d] : "unknown";
}

int dv__pdq_downsample_path(dv_pdq_hasher *h, int path, const dv_image *img, float *out)
{
    dv__pdq_downsample_fn fn = NULL;
    int rc;
    switch (path) {
    case 0: break;
    case 1: fn = dv__pdq_downsample_portable; break;
#if defined(DV_HAVE_X86_SIMD)
    case 2:
        if (!dv_simd_available(DV_SIMD_AVX2)) return DV_EINVAL;
        fn = dv__pdq_downsample_avx2;
        break;
    case 3:
        if (!dv_simd_available(DV_SIMD_AVX512)) return DV_EINVAL;
        fn = dv__pdq_downsample_avx512;
        break;
#endif
    case 4:
    case 5: {
        /* hash --fast's sparse filter, with the scalar or AVX2 row sums */
        dv__pdq_sparse_row_fn row_fn = dv__pdq_sparse_row_scalar;
#if defined(DV_HAVE_X86_SIMD)
        if (path == 5) {
            if (!dv_simd_available(DV_SIMD_AVX2)) return DV_EINVAL;
            row_fn = dv__pdq_sparse_row_avx2;
        }
#else
        if (path == 5) return DV_EINVAL;
#endif
        if (img->width < MIN_HASHABLE_DIM || img->height < MIN_HASHABLE_DIM) return DV_EINVAL;
        return downsample_sparse(h, img, out, row_fn);
    }
    default: return DV_EINVAL;
    }
    if (img->width < MIN_HASHABLE_DIM || img->height < MIN_HASHABLE_DIM) return DV_EINVAL;
    rc = reserve(h, img->width, img->height, fn == NULL);
    if (rc == DV_OK) {
        if (fn) fn(img, &h->work, out);
        else downsample_scalar(img, &h->work, out);
    }
    return rc;
}
