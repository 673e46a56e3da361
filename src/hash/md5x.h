/* md5x.h - MD5 of many messages side by side (multi-buffer): one vector lane per message.
 *
 * MD5 is one chain of dependent steps per message, so a single message cannot go faster
 * than about 5 cycles a byte on any CPU. Lanes of independent messages can: 16 of them in
 * AVX-512 registers, 8 in AVX2. The scalar twin runs the same scheduling with the same
 * block function written for one lane, and the tests hold all three to OpenSSL's MD5. */
#ifndef DV_MD5X_H
#define DV_MD5X_H

#include "../common/common.h"

#define DV_MD5X_LANES 16

/* The 64 additive constants, floor(|sin(i + 1)| 2^32) (RFC 1321). */
extern const uint32_t dv__md5_k[64];

/* nb 64-byte blocks for every lane j < lanes: lane j reads p[j], p[j] + 64, ...; its
 * chaining words a, b, c, d are s[0][j] .. s[3][j]. */
void dv__md5x_blocks_scalar(uint32_t (*s)[DV_MD5X_LANES], const uint8_t *const *p, size_t nb,
                            unsigned lanes);
#if defined(DV_HAVE_X86_SIMD)
void dv__md5x_blocks_avx2(uint32_t (*s)[DV_MD5X_LANES], const uint8_t *const *p, size_t nb);
void dv__md5x_blocks_avx512(uint32_t (*s)[DV_MD5X_LANES], const uint8_t *const *p, size_t nb);
#endif

/* Messages side by side with simd's kernel (DV_SIMD_AUTO: the best one here): 16, 8, or
 * 1 for the scalar path (which the tests run on the 16-lane schedule anyway). */
unsigned dv__md5x_lanes(dv_simd simd);

/* The 16 bytes at out + i * stride = MD5 of msg[i][0 .. len[i]) for i < n, computed with
 * simd's kernel (DV_SIMD_AUTO: the best one here). msg[i] may be NULL when len[i] is 0.
 * order, if not NULL, is a permutation of 0..n-1: the order in which messages take lanes
 * (longest first keeps the lanes busiest). */
void dv__md5_many(const uint8_t *const *msg, const size_t *len, size_t n, dv_simd simd,
                  const size_t *order, uint8_t *out, size_t stride);

#endif
