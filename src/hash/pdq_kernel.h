/* pdq_kernel.h - the cache-friendly PDQ downsample, included once per ISA with KLANES/KNAME.
 * Same float operations in the same order per pixel as the reference, so bit-identical. */

#include <string.h>

typedef float kvf __attribute__((vector_size(KLANES * 4), aligned(4)));

/* Strip of KLANES image rows, transposed to [x][lane], luma computed on the way. */
static void load_luma_strip(const dv_image *img, int r0, kvf *t)
{
    const int W = (int)img->width, H = (int)img->height;
    for (int k = 0; k < KLANES; k++) {
        int r = r0 + k < H ? r0 + k : H - 1;
        const uint8_t *p = img->pixels + (size_t)r * img->stride;
        float *dst = (float *)t + k;
        if (img->channels == 3) {
            for (int x = 0; x < W; x++) {
                dst[(size_t)x * KLANES] =
                    0.299f * p[3 * x] + 0.587f * p[3 * x + 1] + 0.114f * p[3 * x + 2];
            }
        } else {
            for (int x = 0; x < W; x++) dst[(size_t)x * KLANES] = (float)p[x];
        }
    }
}

static void load_float_strip(const float *in, int H, int W, int r0, kvf *t)
{
    for (int k = 0; k < KLANES; k++) {
        int r = r0 + k < H ? r0 + k : H - 1;
        const float *p = in + (size_t)r * W;
        float *dst = (float *)t + k;
        for (int x = 0; x < W; x++) dst[(size_t)x * KLANES] = p[x];
    }
}

/* One 1-D box filter along the strip, every lane a row. When want is non-NULL
 * only positions with want[i] set are written (the running sum is still exact). */
static void box_lanes(const kvf *in, kvf *out, int n, int full, const uint8_t *want)
{
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = n - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    kvf sum;
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < p1; i++) {
        sum += in[ri++];
        cnt++;
    }
    for (int i = 0; i < p2; i++) {
        sum += in[ri++];
        cnt++;
        if (!want || want[oi]) out[oi] = sum / (float)cnt;
        oi++;
    }
    {
        const float fc = (float)cnt;
        for (int i = 0; i < p3; i++) {
            sum += in[ri++];
            sum -= in[li++];
            if (!want || want[oi]) out[oi] = sum / fc;
            oi++;
        }
    }
    for (int i = 0; i < p4; i++) {
        sum -= in[li++];
        cnt--;
        if (!want || want[oi]) out[oi] = sum / (float)cnt;
        oi++;
    }
}

static void store_strip(const kvf *t, int H, int W, int r0, float *out)
{
    for (int k = 0; k < KLANES && r0 + k < H; k++) {
        float *dst = out + (size_t)(r0 + k) * W;
        const float *src = (const float *)t + k;
        for (int x = 0; x < W; x++) dst[x] = src[(size_t)x * KLANES];
    }
}

/* Column pass done row by row: one running sum per column, all columns advance
 * together, so memory is read in order. rows_wanted selects which rows are written. */
static void box_down(const float *in, float *out, float *sums, int H, int W, int full,
                     const int *rows_out, int nrows_out)
{
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = H - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0, next = 0;
    memset(sums, 0, sizeof(float) * (size_t)W);
#define ADD_ROW(r)                                                        \
    do {                                                                  \
        const float *s_ = in + (size_t)(r) * W;                           \
        for (int x = 0; x < W; x++) sums[x] += s_[x];                     \
    } while (0)
#define SUB_ROW(r)                                                        \
    do {                                                                  \
        const float *s_ = in + (size_t)(r) * W;                           \
        for (int x = 0; x < W; x++) sums[x] -= s_[x];                     \
    } while (0)
#define OUT_ROW()                                                         \
    do {                                                                  \
        if (rows_out == NULL) {                                           \
            float *d_ = out + (size_t)oi * W;                             \
            const float c_ = (float)cnt;                                  \
            for (int x = 0; x < W; x++) d_[x] = sums[x] / c_;             \
        } else if (next < nrows_out && rows_out[next] == oi) {            \
            float *d_ = out + (size_t)next * W;                           \
            const float c_ = (float)cnt;                                  \
            for (int x = 0; x < W; x++) d_[x] = sums[x] / c_;             \
            next++;                                                       \
            while (next < nrows_out && rows_out[next] == oi) {            \
                memcpy(out + (size_t)next * W, d_, sizeof(float) * W);    \
                next++;                                                   \
            }                                                             \
        }                                                                 \
        oi++;                                                             \
    } while (0)
    for (int i = 0; i < p1; i++) {
        ADD_ROW(ri);
        ri++;
        cnt++;
    }
    for (int i = 0; i < p2; i++) {
        ADD_ROW(ri);
        ri++;
        cnt++;
        OUT_ROW();
    }
    for (int i = 0; i < p3; i++) {
        /* the reference adds the new sample before subtracting the old one */
        const float *a = in + (size_t)ri * W, *b = in + (size_t)li * W;
        for (int x = 0; x < W; x++) {
            float s = sums[x] + a[x];
            sums[x] = s - b[x];
        }
        ri++;
        li++;
        OUT_ROW();
    }
    for (int i = 0; i < p4; i++) {
        SUB_ROW(li);
        li++;
        cnt--;
        OUT_ROW();
    }
#undef ADD_ROW
#undef SUB_ROW
#undef OUT_ROW
}

void KNAME(const dv_image *img, dv__pdq_work *w, float *out)
{
    const int H = (int)img->height, W = (int)img->width;
    const int wr = dv__jarosz_window(W, 64), wc = dv__jarosz_window(H, 64);
    kvf *sa = (kvf *)w->strip, *sb = sa + W;
    int xs[64], ys[64];
    uint8_t *want = (uint8_t *)(sb + W); /* W bytes after the two strips */
    float *sums = w->cols + (size_t)H * 64;

    for (int i = 0; i < 64; i++) {
        xs[i] = dv__decimate_index(i, W);
        ys[i] = dv__decimate_index(i, H);
    }
    memset(want, 0, (size_t)W);
    for (int i = 0; i < 64; i++) want[xs[i]] = 1;

    /* pass 1, rows: luma fused in, buf1 gets the result */
    for (int r0 = 0; r0 < H; r0 += KLANES) {
        load_luma_strip(img, r0, sa);
        box_lanes(sa, sb, W, wr, NULL);
        store_strip(sb, H, W, r0, w->buf1);
    }
    /* pass 1, columns: buf1 -> buf2 */
    box_down(w->buf1, w->buf2, sums, H, W, wc, NULL, 0);
    /* pass 2, rows: only the 64 sampled columns are ever read again */
    for (int r0 = 0; r0 < H; r0 += KLANES) {
        load_float_strip(w->buf2, H, W, r0, sa);
        box_lanes(sa, sb, W, wr, want);
        for (int k = 0; k < KLANES && r0 + k < H; k++) {
            const float *src = (const float *)sb + k;
            float *dst = w->cols + (size_t)(r0 + k) * 64;
            for (int c = 0; c < 64; c++) dst[c] = src[(size_t)xs[c] * KLANES];
        }
    }
    /* pass 2, columns over the 64 kept columns, written only at the 64 sampled rows */
    box_down(w->cols, out, sums, H, 64, wc, ys, 64);
}
