/* mbhash.h - digests of many messages side by side (multi-buffer): one vector lane per
 * message, for MD5, SHA-1 and SHA-256.
 *
 * Each of these digests is one chain of dependent steps per message: MD5 cannot go faster
 * than about 5 cycles a byte on any CPU, and SHA-1 and SHA-256 are bound by their rounds
 * too (by the SHA extensions where the CPU has them). Lanes of independent messages are not: 16 of them
 * in AVX-512 registers, 8 in AVX2. The scalar twin runs the same schedule with each
 * algorithm's block function written for one message, and the tests hold every path to
 * OpenSSL's digests. */
#ifndef DV_MBHASH_H
#define DV_MBHASH_H

#include "../common/common.h"

#define DV_MB_LANES 16

/* nb 64-byte blocks for every lane: lane j reads p[j], p[j] + 64, ...; its chaining words
 * are s[0][j], s[1][j], ... (the algorithm's nwords of them). */
typedef void (*dv__mb_blocks_fn)(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p,
                                 size_t nb);
/* One 64-byte block of one message into its chaining words. */
typedef void (*dv__mb_block1_fn)(uint32_t *st, const uint8_t *blk);

typedef struct dv__mb_algo {
    unsigned nwords;          /* chaining words: 4 (MD5), 5 (SHA-1) or 8 (SHA-256) */
    const uint32_t *iv;
    int big_endian;           /* of the length field and the digest's words */
    dv__mb_block1_fn block1;  /* the scalar twin */
    dv__mb_blocks_fn avx2;    /* 8 lanes (NULL where not built) */
    dv__mb_blocks_fn avx512;  /* 16 lanes */
} dv__mb_algo;

extern const dv__mb_algo dv__mb_md5, dv__mb_sha1, dv__mb_sha256;

/* The additive constants of each (RFC 1321; FIPS 180-4 4.2.1, 4.2.2). */
extern const uint32_t dv__md5_k[64];
extern const uint32_t dv__sha1_k[4];
extern const uint32_t dv__sha256_k[64];

#if defined(DV_HAVE_X86_SIMD)
void dv__md5x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);
void dv__md5x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);
void dv__sha1x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);
void dv__sha1x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);
void dv__sha256x_blocks_avx2(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);
void dv__sha256x_blocks_avx512(uint32_t (*s)[DV_MB_LANES], const uint8_t *const *p, size_t nb);

#endif

/* Messages side by side with simd's kernel (DV_SIMD_AUTO: the best one here): 16, 8, or
 * 1 for the scalar path (which runs the 16-lane schedule anyway, one lane at a time). */
unsigned dv__mb_lanes(dv_simd simd);

/* The digest (4 nwords bytes) at out + i * stride of msg[i][0 .. len[i]) for i < n,
 * computed with simd's kernel. msg[i] may be NULL when len[i] is 0. order, if not NULL,
 * is a permutation of 0..n-1: the order in which messages take lanes (longest first
 * keeps the lanes busiest). */
void dv__mb_many(const dv__mb_algo *a, const uint8_t *const *msg, const size_t *len, size_t n,
                 dv_simd simd, const size_t *order, uint8_t *out, size_t stride);

/* dv_digests_compute_many with the algorithms of lanes_for (MD5, SHA-1, SHA-256) taken side by
 * side whatever the CPU (the public function decides that); for the tests. */
int dv__digests_many_lanes(unsigned algos, unsigned lanes_for, const void *const *bufs,
                           const size_t *lens, size_t n, dv_digests *out);

#endif
