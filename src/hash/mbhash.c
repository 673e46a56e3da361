/* mbhash.c - the lane scheduler of the multi-buffer digests (MD5, SHA-256).
 *
 * Up to 16 messages are in flight. Each lane reads its message's whole blocks in place,
 * then one or two blocks of a small tail buffer (the last partial block, the 0x80 byte,
 * zeros and the length in bits: RFC 1321 section 3, FIPS 180-4 5.1.1). A run of the kernel
 * covers as many blocks as the shortest region in flight has left; a lane that is idle
 * reads what a busy one reads, so every pointer stays valid, and its result is ignored.
 * As a lane's message ends, the next message takes the lane; a last message left alone
 * finishes with the one-message block function, faster than one lane of the kernel. */
#include "mbhash.h"

#include <string.h>

typedef struct lane {
    size_t job;
    const uint8_t *p; /* next block */
    size_t left;      /* blocks left in this region */
    int in_tail;
    unsigned tail_blocks;
    uint8_t tail[128];
} lane;

static void lane_start(const dv__mb_algo *a, lane *ln, const uint8_t *m, size_t len, size_t job)
{
    size_t full = len / 64, rem = len % 64;
    uint64_t bits = (uint64_t)len << 3; /* the length in bits modulo 2^64 */
    uint8_t *lenf;
    memset(ln->tail, 0, sizeof(ln->tail));
    if (rem) memcpy(ln->tail, m + full * 64, rem);
    ln->tail[rem] = 0x80;
    ln->tail_blocks = rem < 56 ? 1 : 2;
    lenf = ln->tail + 64 * ln->tail_blocks - 8;
    for (int i = 0; i < 8; i++)
        lenf[a->big_endian ? 7 - i : i] = (uint8_t)(bits >> (8 * i));
    ln->job = job;
    ln->in_tail = full == 0;
    ln->p = full ? m : ln->tail;
    ln->left = full ? full : ln->tail_blocks;
}

/* After a region's blocks: on to the tail, or 0 when the message is done. */
static int lane_next(lane *ln)
{
    if (ln->in_tail) return 0;
    ln->in_tail = 1;
    ln->p = ln->tail;
    ln->left = ln->tail_blocks;
    return 1;
}

unsigned dv__mb_lanes(dv_simd simd)
{
    simd = dv__simd_resolve(simd);
#if defined(DV_HAVE_X86_SIMD)
    if (simd == DV_SIMD_AVX512) return 16;
    if (simd == DV_SIMD_AVX2) return 8;
#endif
    return 1;
}

static void emit(const dv__mb_algo *a, uint32_t (*s)[DV_MB_LANES], unsigned j, uint8_t *out)
{
    for (unsigned w = 0; w < a->nwords; w++)
        for (int b = 0; b < 4; b++)
            out[4 * w + (unsigned)b] = (uint8_t)(s[w][j] >> (a->big_endian ? 24 - 8 * b : 8 * b));
}

/* The scalar twin of the kernels: each lane by the one-message block function. */
static void blocks_scalar(const dv__mb_algo *a, uint32_t (*s)[DV_MB_LANES],
                          const uint8_t *const *p, size_t nb, unsigned lanes)
{
    for (unsigned j = 0; j < lanes; j++) {
        uint32_t st[8];
        for (unsigned w = 0; w < a->nwords; w++) st[w] = s[w][j];
        for (size_t k = 0; k < nb; k++) a->block1(st, p[j] + 64 * k);
        for (unsigned w = 0; w < a->nwords; w++) s[w][j] = st[w];
    }
}

void dv__mb_many(const dv__mb_algo *a, const uint8_t *const *msg, const size_t *len, size_t n,
                 dv_simd simd, const size_t *order, uint8_t *out, size_t stride)
{
    lane ln[DV_MB_LANES];
    int busy[DV_MB_LANES] = {0};
    uint32_t s[8][DV_MB_LANES];
    const uint8_t *ptr[DV_MB_LANES];
    dv__mb_blocks_fn kernel = NULL;
    unsigned lanes;
    size_t next = 0;

    simd = dv__simd_resolve(simd);
    if (simd == DV_SIMD_AVX512) kernel = a->avx512;
    else if (simd == DV_SIMD_AVX2) kernel = a->avx2;
    lanes = kernel ? dv__mb_lanes(simd) : 1;
    /* the scalar twin runs one lane at a time anyway: give it the widest schedule, so the
     * tests exercise the same refills and idle lanes */
    if (lanes == 1) lanes = DV_MB_LANES;
    for (;;) {
        size_t nb = SIZE_MAX;
        int first = -1;
        for (unsigned j = 0; j < lanes; j++) {
            if (!busy[j] && next < n) {
                size_t m = order ? order[next] : next;
                lane_start(a, &ln[j], msg[m], len[m], m);
                for (unsigned w = 0; w < a->nwords; w++) s[w][j] = a->iv[w];
                busy[j] = 1;
                next++;
            }
            if (busy[j]) {
                if (first < 0) first = (int)j;
                if (ln[j].left < nb) nb = ln[j].left;
            }
        }
        if (first < 0) break;
        if (kernel != NULL && next >= n) {
            /* one message left in flight (a long one, as they go first): one lane of the
             * vector kernel is slower than the one-message block function */
            unsigned nbusy = 0;
            for (unsigned j = 0; j < lanes; j++) nbusy += (unsigned)busy[j];
            if (nbusy == 1) {
                lane *l = &ln[first];
                uint32_t st[8];
                for (unsigned w = 0; w < a->nwords; w++) st[w] = s[w][first];
                do {
                    for (size_t k = 0; k < l->left; k++) a->block1(st, l->p + 64 * k);
                } while (lane_next(l));
                for (unsigned w = 0; w < a->nwords; w++) s[w][first] = st[w];
                emit(a, s, (unsigned)first, out + l->job * stride);
                break;
            }
        }
        for (unsigned j = 0; j < lanes; j++) ptr[j] = busy[j] ? ln[j].p : ln[first].p;
        if (kernel != NULL) kernel(s, ptr, nb);
        else blocks_scalar(a, s, ptr, nb, lanes);
        for (unsigned j = 0; j < lanes; j++) {
            lane *l = &ln[j];
            if (!busy[j]) continue;
            l->left -= nb;
            l->p += 64 * nb;
            if (l->left > 0 || lane_next(l)) continue;
            emit(a, s, j, out + l->job * stride);
            busy[j] = 0;
        }
    }
    explicit_bzero(ln, sizeof(ln)); /* the tails held message bytes */
}
