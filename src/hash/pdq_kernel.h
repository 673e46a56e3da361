/* pdq_kernel.h - the streaming PDQ downsample, included once per ISA with KLANES, KSTRIPS, KNAME.
 * Same float operations in the same order per pixel as the reference, so bit-identical. */

#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

/* KLANES rows are filtered together, one per vector lane. The horizontal (row) passes
 * run on strips transposed to [x][lane]; the vertical passes run row by row on
 * row-major data with one running sum per column. Intermediate rows live in small
 * ring buffers, so nothing image-sized is written except the decoded pixels. */

typedef float kvf __attribute__((vector_size(KLANES * 4), aligned(4)));
typedef int kvi __attribute__((vector_size(KLANES * 4)));

typedef struct kmasks {
    kvi lo[8], hi[8]; /* per butterfly stage */
    int nstages;
} kmasks;

static void make_masks(kmasks *m)
{
    int st = 0;
    for (int s = 1; s < KLANES; s *= 2, st++) {
        for (int p = 0; p < KLANES; p++) {
            int chunk = p / (2 * s), within = p % (2 * s);
            if (within < s) {
                m->lo[st][p] = chunk * 2 * s + within;
                m->hi[st][p] = chunk * 2 * s + s + within;
            } else {
                m->lo[st][p] = KLANES + chunk * 2 * s + within - s;
                m->hi[st][p] = KLANES + chunk * 2 * s + within;
            }
        }
    }
    m->nstages = st;
}

/* In-register transpose of a KLANES x KLANES block held as KLANES row vectors.
 * clang has no two-operand shuffle with a run-time mask: it gets a plain copy,
 * which only moves data, so results are the same. */
#if KLANES == 8 && defined(__AVX2__)
/* The 8x8 transpose in 24 in-lane shuffles: unpack pairs, then quads, then swap the
 * 128-bit halves (GCC's two-operand __builtin_shuffle took three ops per vector per stage). */
static inline void transpose(kvf *r, const kmasks *m)
{
    __m256 t[8], u[8];
    (void)m;
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps((__m256)r[i], (__m256)r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps((__m256)r[i], (__m256)r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = (kvf)_mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = (kvf)_mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}
#elif defined(__clang__)
static inline void transpose(kvf *r, const kmasks *m)
{
    float t[KLANES][KLANES];
    (void)m;
    memcpy(t, r, sizeof(t));
    for (int i = 0; i < KLANES; i++)
        for (int j = 0; j < KLANES; j++) r[i][j] = t[j][i];
}
#else
static inline void transpose(kvf *r, const kmasks *m)
{
    int st = 0;
    for (int s = 1; s < KLANES; s *= 2, st++) {
        for (int i = 0; i < KLANES; i++) {
            if (i & s) continue;
            kvf a = r[i], b = r[i + s];
            r[i] = __builtin_shuffle(a, b, m->lo[st]);
            r[i + s] = __builtin_shuffle(a, b, m->hi[st]);
        }
    }
}
#endif

/* Unaligned vector access to float rows: a may_alias type, so each is one vector move.
 * memcpy through a local made GCC 12 copy every vector through the stack with partial
 * reloads, stalling store forwarding; worse on some threads' stack alignment (scan's pool
 * threads: perf samples of the downsample and rows_to_strip fell from 11.8k to 5.5k). */
typedef float kvf_mem __attribute__((vector_size(KLANES * 4), aligned(4), may_alias));

static inline kvf loadu(const float *p) { return *(const kvf_mem *)(const void *)p; }

static inline void storeu(float *p, kvf v) { *(kvf_mem *)(void *)p = v; }

#if defined(__AVX2__)
/* Luma of 8 RGB pixels at p, the reference's float expression ((0.299 R + 0.587 G) + 0.114 B):
 * two 16-byte loads put pixels 0-3 and 4-7 at the start of each 128-bit lane, and one in-lane
 * shuffle per channel zero-extends it. Reads p[0..27]; the products and sums are the same
 * floats as the scalar expression's. */
typedef struct lumak {
    __m256i sr, sg, sb;
    __m256 kr, kg, kb;
} lumak;

static inline void lumak_init(lumak *k)
{
    k->sr = _mm256_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1, 0, -1, -1,
                             -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
    k->sg = _mm256_add_epi32(k->sr, _mm256_set1_epi32(1));
    k->sb = _mm256_add_epi32(k->sr, _mm256_set1_epi32(2));
    k->kr = _mm256_set1_ps(0.299f);
    k->kg = _mm256_set1_ps(0.587f);
    k->kb = _mm256_set1_ps(0.114f);
}

static inline __m256 luma8(const uint8_t *p, const lumak *k)
{
    __m128i lo, hi;
    __m256i v;
    memcpy(&lo, p, 16);
    memcpy(&hi, p + 12, 16);
    v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    {
        __m256 fr = _mm256_mul_ps(k->kr, _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, k->sr)));
        __m256 fg = _mm256_mul_ps(k->kg, _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, k->sg)));
        __m256 fb = _mm256_mul_ps(k->kb, _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, k->sb)));
        return _mm256_add_ps(_mm256_add_ps(fr, fg), fb);
    }
}
#endif

static inline float luma1(const uint8_t *p) { return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]; }

/* Luma of one RGB row. */
static void luma_row(const uint8_t *p, float *dst, int W)
{
    int x = 0;
#if defined(__AVX2__)
    lumak k;
    lumak_init(&k);
    for (; x + 10 <= W; x += 8) _mm256_storeu_ps(dst + x, luma8(p + 3 * x, &k));
#endif
    for (; x < W; x++) dst[x] = luma1(p + 3 * x);
}

/* rows[k] (k < KLANES) are row-major float rows of width W -> strip[x] lanes.
 * Columns past the last full block are copied one by one. */
static void rows_to_strip(const float *const *rows, int W, kvf *strip, const kmasks *m)
{
    int x = 0;
    for (; x + KLANES <= W; x += KLANES) {
        kvf blk[KLANES];
        for (int k = 0; k < KLANES; k++) blk[k] = loadu(rows[k] + x);
        transpose(blk, m);
        for (int j = 0; j < KLANES; j++) strip[x + j] = blk[j];
    }
    for (; x < W; x++)
        for (int k = 0; k < KLANES; k++) strip[x][k] = rows[k][x];
}

#if KLANES == 8 && defined(__AVX2__)
#define KFUSED_LUMA 1
/* rows_to_strip for RGB rows: the luma of each 8x8 block is made in registers and
 * transposed into the strip, never stored row-major. */
static void rgb_rows_to_strip(const uint8_t *const *rows, int W, kvf *strip, const kmasks *m)
{
    lumak lk;
    int x = 0;
    lumak_init(&lk);
    for (; x + 10 <= W; x += KLANES) {
        kvf blk[KLANES];
        for (int k = 0; k < KLANES; k++) blk[k] = (kvf)luma8(rows[k] + 3 * x, &lk);
        transpose(blk, m);
        for (int j = 0; j < KLANES; j++) strip[x + j] = blk[j];
    }
    for (; x < W; x++)
        for (int k = 0; k < KLANES; k++) strip[x][k] = luma1(rows[k] + 3 * x);
}
#else
#define KFUSED_LUMA 0
static void rgb_rows_to_strip(const uint8_t *const *rows, int W, kvf *strip, const kmasks *m)
{
    (void)rows, (void)W, (void)strip, (void)m; /* not reached: KFUSED_LUMA is 0 */
}
#endif

/* Always KLANES rows (the caller points unused ones at scratch): with a constant count the
 * transposed block can stay in registers. */
static void strip_to_rows(const kvf *strip, int W, float *const *rows, const kmasks *m)
{
    int x = 0;
    for (; x + KLANES <= W; x += KLANES) {
        kvf blk[KLANES];
        for (int j = 0; j < KLANES; j++) blk[j] = strip[x + j];
        transpose(blk, m);
        for (int k = 0; k < KLANES; k++) storeu(rows[k] + x, blk[k]);
    }
    for (; x < W; x++)
        for (int k = 0; k < KLANES; k++) rows[k][x] = strip[x][k];
}

/* One 1-D box filter along KSTRIPS strips at once (strip s at in + s * n), every lane a
 * row. The strips' running sums are independent chains: interleaved, their add latency
 * overlaps. When want is non-NULL only positions with want[i] set are written (the
 * running sums are still exact). */
static void box_lanes(const kvf *in, kvf *out, int n, int full, const uint8_t *want)
{
    int half = (full + 2) / 2;
    int p1 = half - 1, p2 = full - half + 1, p3 = n - full, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    kvf sum[KSTRIPS];
    memset(sum, 0, sizeof(sum));
    for (int i = 0; i < p1; i++) {
        for (int k = 0; k < KSTRIPS; k++) sum[k] += in[k * n + ri];
        ri++;
        cnt++;
    }
    for (int i = 0; i < p2; i++) {
        for (int k = 0; k < KSTRIPS; k++) sum[k] += in[k * n + ri];
        ri++;
        cnt++;
        if (!want || want[oi])
            for (int k = 0; k < KSTRIPS; k++) out[k * n + oi] = sum[k] / (float)cnt;
        oi++;
    }
    {
        const float fc = (float)cnt;
        if (want == NULL) {
            for (int i = 0; i < p3; i++) {
                for (int k = 0; k < KSTRIPS; k++) {
                    sum[k] += in[k * n + ri];
                    sum[k] -= in[k * n + li];
                    out[k * n + oi] = sum[k] / fc;
                }
                ri++;
                li++;
                oi++;
            }
        } else {
            for (int i = 0; i < p3; i++) {
                for (int k = 0; k < KSTRIPS; k++) {
                    sum[k] += in[k * n + ri];
                    sum[k] -= in[k * n + li];
                }
                if (want[oi])
                    for (int k = 0; k < KSTRIPS; k++) out[k * n + oi] = sum[k] / fc;
                ri++;
                li++;
                oi++;
            }
        }
    }
    for (int i = 0; i < p4; i++) {
        for (int k = 0; k < KSTRIPS; k++) sum[k] -= in[k * n + li];
        li++;
        cnt--;
        if (!want || want[oi])
            for (int k = 0; k < KSTRIPS; k++) out[k * n + oi] = sum[k] / (float)cnt;
        oi++;
    }
}

/* The vertical box filter as a resumable state machine over rows that arrive in order. */
typedef struct vbox {
    int n, p1, p2, p3, p4; /* phase lengths */
    int step;              /* steps done, 0 .. p1+p2+p3+p4 */
    int ri, li, oi, cnt;
} vbox;

static void vbox_init(vbox *v, int n, int full)
{
    int half = (full + 2) / 2;
    memset(v, 0, sizeof(*v));
    v->n = n;
    v->p1 = half - 1;
    v->p2 = full - half + 1;
    v->p3 = n - full;
    v->p4 = half - 1;
}

/* Runs steps while the rows they add are below avail. Output row oi is written where
 * dst(ctx, oi) says, then handed to emit(ctx, oi, row). */
#define VBOX_ROW(r) (ring + (size_t)((r) & ring_mask) * (size_t)W)
static void vbox_run(vbox *v, const float *ring, int ring_mask, int W, int avail, float *sums,
                     float *(*dst)(void *, int), void (*emit)(void *, int, const float *),
                     void *ctx)
{
    const int total = v->p1 + v->p2 + v->p3 + v->p4;
    while (v->step < total) {
        int s = v->step;
        if (s < v->p1 + v->p2 + v->p3 && v->ri >= avail) return;
        if (s < v->p1) {
            const float *a = VBOX_ROW(v->ri);
            for (int x = 0; x < W; x++) sums[x] += a[x];
            v->ri++;
            v->cnt++;
        } else if (s < v->p1 + v->p2) {
            const float *a = VBOX_ROW(v->ri);
            const float c = (float)(v->cnt + 1);
            float *outrow = dst(ctx, v->oi);
            for (int x = 0; x < W; x++) {
                sums[x] += a[x];
                outrow[x] = sums[x] / c;
            }
            v->ri++;
            v->cnt++;
            emit(ctx, v->oi++, outrow);
        } else if (s < v->p1 + v->p2 + v->p3) {
            const float *a = VBOX_ROW(v->ri), *b = VBOX_ROW(v->li);
            const float c = (float)v->cnt;
            float *outrow = dst(ctx, v->oi);
            for (int x = 0; x < W; x++) {
                float t = sums[x] + a[x];
                t -= b[x];
                sums[x] = t;
                outrow[x] = t / c;
            }
            v->ri++;
            v->li++;
            emit(ctx, v->oi++, outrow);
        } else {
            const float *b = VBOX_ROW(v->li);
            const float c = (float)(v->cnt - 1);
            float *outrow = dst(ctx, v->oi);
            for (int x = 0; x < W; x++) {
                sums[x] -= b[x];
                outrow[x] = sums[x] / c;
            }
            v->li++;
            v->cnt--;
            emit(ctx, v->oi++, outrow);
        }
        v->step++;
    }
}
#undef VBOX_ROW

typedef struct kstate {
    const dv_image *img;
    int H, W, wr, wc;
    kmasks masks;
    const uint8_t *want;
    const int *xs;
    float *ringb; /* KBLOCK rows of the first column pass */
    kvf *sa, *sb; /* strips */
    float *cols;  /* H x 64 after the second row pass */
} kstate;

#define KBLOCK (KLANES * KSTRIPS)

/* A row of the first vertical pass is ready: collect KBLOCK of them, then run the
 * second row pass over the strips and keep only the 64 sampled columns. */
static float *dst_b(void *p, int oi)
{
    kstate *s = p;
    return s->ringb + (size_t)(oi % KBLOCK) * s->W;
}

static void emit_b(void *p, int oi, const float *row)
{
    kstate *s = p;
    const int k = oi % KBLOCK;
    (void)row; /* already in place: dst_b */
    if (k == KBLOCK - 1 || oi == s->H - 1) {
        const int r0 = oi - k;
        for (int t = 0; t < KSTRIPS; t++) {
            const float *rows[KLANES];
            for (int j = 0; j < KLANES; j++) {
                const int q = t * KLANES + j;
                rows[j] = s->ringb + (size_t)(q <= k ? q : k) * s->W;
            }
            rows_to_strip(rows, s->W, s->sa + (size_t)t * s->W, &s->masks);
        }
        box_lanes(s->sa, s->sb, s->W, s->wr, s->want);
        for (int j = 0; j <= k; j++) {
            const kvf *sb = s->sb + (size_t)(j / KLANES) * s->W;
            float *dst = s->cols + (size_t)(r0 + j) * 64;
            for (int c = 0; c < 64; c++) dst[c] = sb[s->xs[c]][j % KLANES];
        }
    }
}

typedef struct kout {
    float *out, *scratch;
    const int *ys;
    int next;
} kout;

static float *dst_out(void *p, int oi)
{
    (void)oi;
    return ((kout *)p)->scratch;
}

static void emit_out(void *p, int oi, const float *row)
{
    kout *o = p;
    while (o->next < 64 && o->ys[o->next] == oi) {
        memcpy(o->out + (size_t)o->next * 64, row, sizeof(float) * 64);
        o->next++;
    }
}

void KNAME(const dv_image *img, dv__pdq_work *w, float *out)
{
    kstate s;
    const int H = (int)img->height, W = (int)img->width;
    int xs[64], ys[64];
    int ring_rows = 1, ring_mask;
    float *ringa, *luma, *sums, *outrow;
    uint8_t *want;
    vbox v1;
    kout ko;

    memset(&s, 0, sizeof(s));
    s.img = img;
    s.H = H;
    s.W = W;
    s.wr = dv__jarosz_window(W, 64);
    s.wc = dv__jarosz_window(H, 64);
    make_masks(&s.masks);
    while (ring_rows < s.wc + 2 * KBLOCK + 2) ring_rows *= 2;
    ring_mask = ring_rows - 1;
    /* carve the work buffer (sized by dv__pdq_kernel_floats) */
    /* strips start on a cache line (malloc gives 16 bytes): no vector access splits a line */
    s.sa = (kvf *)(void *)(w->buf1 + ((64 - ((uintptr_t)w->buf1 & 63)) & 63) / sizeof(float));
    s.sb = s.sa + (size_t)KSTRIPS * W;
    ringa = (float *)(s.sb + (size_t)KSTRIPS * W);
    s.ringb = ringa + (size_t)ring_rows * W;
    luma = s.ringb + (size_t)KBLOCK * W;
    /* sums and outrow serve both vertical passes: W wide, then 64 wide */
    sums = luma + (size_t)KBLOCK * W;
    outrow = sums + (W > 64 ? W : 64);
    s.cols = outrow + (W > 64 ? W : 64);
    want = (uint8_t *)(s.cols + (size_t)H * 64 + 64);
    for (int i = 0; i < 64; i++) {
        xs[i] = dv__decimate_index(i, W);
        ys[i] = dv__decimate_index(i, H);
    }
    memset(want, 0, (size_t)W);
    for (int i = 0; i < 64; i++) want[xs[i]] = 1;
    s.want = want;
    s.xs = xs;

    memset(sums, 0, sizeof(float) * (size_t)W);
    vbox_init(&v1, H, s.wc);
    for (int r0 = 0; r0 < H; r0 += KBLOCK) {
        const int nr = H - r0 < KBLOCK ? H - r0 : KBLOCK;
        /* luma of the block's rows into the strips for the first row pass */
        if (img->channels == 3 && KFUSED_LUMA) {
            for (int t = 0; t < KSTRIPS; t++) {
                const uint8_t *rows[KLANES];
                for (int j = 0; j < KLANES; j++) {
                    const int q = t * KLANES + j;
                    rows[j] = img->pixels + (size_t)(r0 + (q < nr ? q : nr - 1)) * img->stride;
                }
                rgb_rows_to_strip(rows, W, s.sa + (size_t)t * W, &s.masks);
            }
        } else {
            for (int k = 0; k < nr; k++) {
                const uint8_t *p = img->pixels + (size_t)(r0 + k) * img->stride;
                float *dst = luma + (size_t)k * W;
                if (img->channels == 3) {
                    luma_row(p, dst, W);
                } else {
                    for (int x = 0; x < W; x++) dst[x] = (float)p[x];
                }
            }
            for (int t = 0; t < KSTRIPS; t++) {
                const float *rows[KLANES];
                for (int j = 0; j < KLANES; j++) {
                    const int q = t * KLANES + j;
                    rows[j] = luma + (size_t)(q < nr ? q : nr - 1) * W;
                }
                rows_to_strip(rows, W, s.sa + (size_t)t * W, &s.masks);
            }
        }
        /* first row pass */
        box_lanes(s.sa, s.sb, W, s.wr, NULL);
        for (int t = 0; t < KSTRIPS; t++) {
            float *orows[KLANES];
            for (int j = 0; j < KLANES; j++) {
                const int q = t * KLANES + j;
                orows[j] = q < nr ? ringa + (size_t)((r0 + q) & ring_mask) * W
                                  : (float *)(void *)s.sa + (size_t)j * W; /* sa is free now */
            }
            strip_to_rows(s.sb + (size_t)t * W, W, orows, &s.masks);
        }
        /* first column pass, as far as the rows so far allow; feeds the second row pass */
        vbox_run(&v1, ringa, ring_mask, W, r0 + nr, sums, dst_b, emit_b, &s);
    }
    vbox_run(&v1, ringa, ring_mask, W, H, sums, dst_b, emit_b, &s);

    /* second column pass over the 64 kept columns; rows written only where sampled */
    {
        vbox v2;
        memset(sums, 0, sizeof(float) * 64);
        vbox_init(&v2, H, s.wc);
        ko.out = out;
        ko.scratch = outrow;
        ko.ys = ys;
        ko.next = 0;
        /* cols is a plain H x 64 array: a ring as large as the image never wraps */
        {
            int big = 1;
            while (big < H) big *= 2;
            vbox_run(&v2, s.cols, big - 1, 64, H, sums, dst_out, emit_out, &ko);
        }
    }
}
