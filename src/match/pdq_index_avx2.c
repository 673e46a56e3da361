/* pdq_index_avx2.c - the PDQ matcher's kernels for AVX2: nibble-table popcount, 8 lanes.
 * Compiled with -mavx2 -mfma (POPCNT comes with them); selected at run time by pdq_index.c. */
#include "pdq_match_internal.h"

#include <immintrin.h>

/* Bytes of popcount(x ^ b) for the 32 bytes, added to acc (<= 8 per byte per plane). */
static inline __m256i pc_bytes(__m256i acc, __m256i x, __m256i b, __m256i lut, __m256i low)
{
    const __m256i v = _mm256_xor_si256(x, b);
    const __m256i lo = _mm256_and_si256(v, low);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(
        acc, _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi)));
}

static inline __attribute__((always_inline)) size_t
kernel_k(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y, size_t ldy, size_t ys,
         size_t ny, size_t *jpos, const int k, int r, uint32_t *out, size_t cap)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                         1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m256i rv = _mm256_set1_epi32(r);
    const unsigned tail = (unsigned)(nx & 7) ? (1u << (nx & 7)) - 1 : 0xffu;
    size_t n = 0, j = *jpos;
    for (; j < ny; j++) {
        __m256i b[8];
        if (cap - n < nx) break;
        for (int w = 0; w < k; w++) b[w] = _mm256_set1_epi32((int)y[(size_t)w * ldy + j * ys]);
        for (size_t g = 0; g < nx; g += 8) {
            __m256i acc = _mm256_setzero_si256();
            for (int w = 0; w < k; w++)
                acc = pc_bytes(acc, _mm256_loadu_si256((const __m256i *)(x + (size_t)w * ldx + g)),
                               b[w], lut, low);
            const __m256i d = _mm256_madd_epi16(_mm256_maddubs_epi16(acc, ones8), ones16);
            unsigned m = 0xffu & ~(unsigned)_mm256_movemask_ps(
                                     _mm256_castsi256_ps(_mm256_cmpgt_epi32(d, rv)));
            if (m == 0) continue;
            if (g + 8 > nx) m &= tail;
            while (m != 0) {
                out[n++] = (uint32_t)(j << 16 | (g + (unsigned)__builtin_ctz(m)));
                m &= m - 1;
            }
        }
    }
    *jpos = j;
    return n;
}

size_t dv__pdq_kernel_avx2(const uint32_t *x, size_t ldx, size_t nx, const uint32_t *y, size_t ldy,
                           size_t ys, size_t ny, size_t *jpos, int k, int r, uint32_t *out,
                           size_t cap)
{
    assert(cap >= nx && nx <= DV__PDQ_TILE && ny <= DV__PDQ_TILE);
    switch (k) {
    case 1: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 1, r, out, cap);
    case 2: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 2, r, out, cap);
    case 3: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 3, r, out, cap);
    case 4: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 4, r, out, cap);
    case 5: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 5, r, out, cap);
    case 6: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 6, r, out, cap);
    case 7: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 7, r, out, cap);
    default: return kernel_k(x, ldx, nx, y, ldy, ys, ny, jpos, 8, r, out, cap);
    }
}

size_t dv__pdq_probe_avx2(const dv_pdq_hash *codes, const uint32_t *ids, size_t n,
                          const dv_pdq_hash *q, int r, uint32_t *pos_out, uint8_t *dist_out)
{
    uint64_t qw[4];
    size_t m = 0;
    memcpy(qw, q->bytes, sizeof(qw));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *c = codes[ids[i]].bytes;
        uint64_t w0, w1, w2, w3;
        if (i + 8 < n) _mm_prefetch((const char *)codes[ids[i + 8]].bytes, _MM_HINT_T0);
        memcpy(&w0, c, 8);
        memcpy(&w1, c + 8, 8);
        memcpy(&w2, c + 16, 8);
        memcpy(&w3, c + 24, 8);
        const int d = (int)(_mm_popcnt_u64(w0 ^ qw[0]) + _mm_popcnt_u64(w1 ^ qw[1]) +
                            _mm_popcnt_u64(w2 ^ qw[2]) + _mm_popcnt_u64(w3 ^ qw[3]));
        if (d <= r) {
            pos_out[m] = (uint32_t)i;
            dist_out[m++] = (uint8_t)d;
        }
    }
    return m;
}
