/* pdq_index_avx512.c - the PDQ matcher's kernels for AVX-512: 16 dword lanes, popcount by
 * nibble table (AVX512BW) or by VPOPCNTD where the CPU has AVX512_VPOPCNTDQ. */
#include "pdq_match_internal.h"

#include <immintrin.h>

/* The VPOPCNTDQ functions get the extension by attribute; the file is built for AVX512F/BW/VL. */
#define DV_VPOPCNT __attribute__((target("avx512vpopcntdq")))

int dv__pdq_cpu_has_vpopcntdq(void)
{
    /* __builtin_cpu_supports reads what libgcc's constructor detected; no state of ours. */
    return __builtin_cpu_supports("avx512vpopcntdq") ? 1 : 0;
}

static inline __m512i pc_bytes(__m512i acc, __m512i x, __m512i b, __m512i lut, __m512i low)
{
    const __m512i v = _mm512_xor_si512(x, b);
    const __m512i lo = _mm512_and_si512(v, low);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
    return _mm512_add_epi8(
        acc, _mm512_add_epi8(_mm512_shuffle_epi8(lut, lo), _mm512_shuffle_epi8(lut, hi)));
}

static inline __attribute__((always_inline)) size_t
kernel_bw(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y, size_t ldy, size_t ys,
          size_t ny, size_t *jpos, const int k, int r, uint32_t *out, size_t cap)
{
    const __m512i lut =
        _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    const __m512i low = _mm512_set1_epi8(0x0f);
    const __m512i ones8 = _mm512_set1_epi8(1);
    const __m512i ones16 = _mm512_set1_epi16(1);
    const __m512i rv = _mm512_set1_epi32(r);
    const __mmask16 tail = (nx & 15) ? (__mmask16)((1u << (nx & 15)) - 1) : (__mmask16)0xffff;
    size_t n = 0, j = *jpos;
    for (; j < ny; j++) {
        __m512i b[8];
        if (cap - n < nx) break;
        for (int w = 0; w < k; w++) b[w] = _mm512_set1_epi32((int)y[(size_t)w * ldy + j * ys]);
        for (size_t g = 0; g < nx; g += 16) {
            __m512i acc = _mm512_setzero_si512();
            for (int w = 0; w < k; w++)
                acc = pc_bytes(acc, _mm512_loadu_si512(x + (size_t)w * ldx + g), b[w], lut, low);
            const __m512i d = _mm512_madd_epi16(_mm512_maddubs_epi16(acc, ones8), ones16);
            unsigned m = _mm512_cmple_epu32_mask(d, rv);
            if (m == 0) continue;
            if (g + 16 > nx) m &= tail;
            while (m != 0) {
                out[n++] = (uint32_t)(j << 16 | (g + (unsigned)__builtin_ctz(m)));
                m &= m - 1;
            }
        }
    }
    *jpos = j;
    return n;
}

size_t dv__pdq_kernel_avx512(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y,
                             size_t ldy, size_t ys, size_t ny, size_t *jpos, int k, int r,
                             uint32_t *out, size_t cap)
{
    assert(cap >= nx && nx <= DV__PDQ_TILE && ny <= DV__PDQ_TILE);
    switch (k) {
    case 1: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 1, r, out, cap);
    case 2: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 2, r, out, cap);
    case 3: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 3, r, out, cap);
    case 4: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 4, r, out, cap);
    case 5: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 5, r, out, cap);
    case 6: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 6, r, out, cap);
    case 7: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 7, r, out, cap);
    default: return kernel_bw(x, ldx, nx, y, ldy, ys, ny, jpos, 8, r, out, cap);
    }
}

/* nr rows of y per pass over x (up to R: 4 for k <= 4, else 2, to stay in registers): each x
 * load feeds nr compares. */
static inline __attribute__((always_inline)) DV_VPOPCNT size_t
kernel_vp(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y, size_t ldy, size_t ys,
          size_t ny, size_t *jpos, const int k, int r, uint32_t *out, size_t cap)
{
    enum { RMAX = 4 };
    const int R = k <= 4 ? 4 : 2;
    const __m512i rv = _mm512_set1_epi32(r);
    const __mmask16 tail = (nx & 15) ? (__mmask16)((1u << (nx & 15)) - 1) : (__mmask16)0xffff;
    size_t n = 0, j = *jpos;
    while (j < ny) {
        __m512i b[RMAX][8];
        if (cap - n < nx) break;
        /* rows this pass: as many as remain and fit in out; unused lanes repeat row j */
        size_t nr = ny - j < (size_t)R ? ny - j : (size_t)R;
        while (nr > 1 && cap - n < nr * nx) nr--;
        for (int q = 0; q < R; q++) {
            const size_t jq = (size_t)q < nr ? j + (size_t)q : j;
            for (int w = 0; w < k; w++)
                b[q][w] = _mm512_set1_epi32((int)y[(size_t)w * ldy + jq * ys]);
        }
        for (size_t g = 0; g < nx; g += 16) {
            __m512i a[RMAX];
            __m512i xv = _mm512_loadu_si512(x + g);
            for (int q = 0; q < R; q++) a[q] = _mm512_popcnt_epi32(_mm512_xor_si512(xv, b[q][0]));
            for (int w = 1; w < k; w++) {
                xv = _mm512_loadu_si512(x + (size_t)w * ldx + g);
                for (int q = 0; q < R; q++)
                    a[q] =
                        _mm512_add_epi32(a[q], _mm512_popcnt_epi32(_mm512_xor_si512(xv, b[q][w])));
            }
            __mmask16 mk[RMAX], any = 0;
            for (int q = 0; q < R; q++) {
                mk[q] = _mm512_cmple_epu32_mask(a[q], rv);
                any |= mk[q];
            }
            if (any == 0) continue;
            const unsigned t = g + 16 > nx ? tail : 0xffffu;
            for (size_t q = 0; q < nr; q++) {
                unsigned m = mk[q] & t;
                while (m != 0) {
                    out[n++] = (uint32_t)((j + q) << 16 | (g + (unsigned)__builtin_ctz(m)));
                    m &= m - 1;
                }
            }
        }
        j += nr;
    }
    *jpos = j;
    return n;
}

DV_VPOPCNT size_t dv__pdq_kernel_avx512popcnt(const uint32_t *x, size_t ldx, size_t nx,
                                              const uint32_t *y, size_t ldy, size_t ys, size_t ny,
                                              size_t *jpos, int k, int r, uint32_t *out, size_t cap)
{
    assert(cap >= nx && nx <= DV__PDQ_TILE && ny <= DV__PDQ_TILE);
    switch (k) {
    case 1: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 1, r, out, cap);
    case 2: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 2, r, out, cap);
    case 3: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 3, r, out, cap);
    case 4: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 4, r, out, cap);
    case 5: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 5, r, out, cap);
    case 6: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 6, r, out, cap);
    case 7: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 7, r, out, cap);
    default: return kernel_vp(x, ldx, nx, y, ldy, ys, ny, jpos, 8, r, out, cap);
    }
}

/* One query against scattered codes: one 256-bit load, XOR and VPOPCNTQ per candidate. */
DV_VPOPCNT size_t dv__pdq_probe_avx512popcnt(const dv_pdq_hash *codes, const uint32_t *ids,
                                             size_t n, const dv_pdq_hash *q, int r,
                                             uint32_t *pos_out, uint8_t *dist_out)
{
    const __m256i qv = _mm256_loadu_si256((const __m256i *)q->bytes);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 8 < n) _mm_prefetch((const char *)codes[ids[i + 8]].bytes, _MM_HINT_T0);
        const __m256i c = _mm256_loadu_si256((const __m256i *)codes[ids[i]].bytes);
        const __m256i p = _mm256_popcnt_epi64(_mm256_xor_si256(c, qv));
        const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
        const int d = (int)(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
        if (d <= r) {
            pos_out[m] = (uint32_t)i;
            dist_out[m++] = (uint8_t)d;
        }
    }
    return m;
}
