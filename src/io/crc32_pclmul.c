/* crc32_pclmul.c - CRC-32 (the zlib / IEEE 802.3 CRC: polynomial 0x04C11DB7, reflected, init and
 * final xor 0xFFFFFFFF) by carry-less multiplication: four 128-bit lanes folded 64 bytes at a
 * time, folded into one lane, reduced to 32 bits by Barrett reduction; fewer than 16 tail bytes
 * (and whole buffers under 64 bytes) go through zlib's crc32, continuing from the partial value.
 * Compiled with -mpclmul -msse4.1 on x86 only (CMakeLists.txt); callers check
 * dv__cpu_has_pclmul() first. Same result as zlib's crc32 for every input.
 *
 * The method is the one of Intel's white paper "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ Instruction" (Gopal et al., 2009); the constants and the bit bookkeeping
 * below are derived here.
 *
 * Bit order. P(x) = x^32 + 0x04C11DB7 (coefficient x^k in bit k of 0x104C11DB7). A reflected
 * CRC reads each byte LSB first as the highest power, so a little-endian 128-bit load of 16
 * message bytes holds the polynomial A(x), deg < 128, with bit m <-> x^(127-m) ("F128"); its
 * low qword is A_hi (the x^127..x^64 half), its high qword A_lo (x^63..x^0). A 64-bit operand
 * reads bit j <-> x^(63-j). PCLMULQDQ of two such operands a, c puts the coefficient of
 * x^(126-m) of a(x)c(x) in bit m, so read as F128 it is the polynomial a(x) c(x) x.
 * Every multiplier below is stored as K(x) = x^e mod P (deg <= 31) at bits 32..63, bit 63-d
 * <-> x^d, i.e. (bit-reverse-32 of K) << 32, and then means c(x) = K(x); a product then has
 * degree <= 63 + 31 + 1 = 95 < 128.
 *
 * Folding a lane A forward by D bits (onto the block B that lies D bits later):
 *   A x^D = A_hi x^(64+D) + A_lo x^D
 *         = clmul(A_hi, x^(D+63) mod P) x + clmul(A_lo, x^(D-1) mod P) x   (mod P)
 * so A' = clmul_lo(A, x^(D+63) mod P) ^ clmul_hi(A, x^(D-1) mod P) ^ B, which is congruent to
 * A x^D + B mod P and still has degree < 128. D = 512 (four lanes, 64 bytes a step): exponents
 * 575 and 511; D = 128 (lane into the next lane, and single 16-byte steps): 191 and 127.
 * Folding never changes the message polynomial mod P, so at the end one lane R(x) with
 * M(x) == R(x) (mod P) is left, and the CRC register (before the final xor) is
 * T = R(x) x^32 mod P (the initial value ~crc is xored into the first 4 bytes first).
 *
 * Reduction of R (deg < 128) to T:
 *   1. R x^32 = R_hi x^96 + R_lo x^32 == clmul(R_hi, x^95 mod P) x + R_lo x^32 = V1, deg <= 95
 *      (R_lo x^32 in F128 is R's high qword moved to bits 32..95).
 *   2. V1 = V1_hi x^64 + V1_lo (V1_hi deg <= 31 sits at F128 bits 32..63, the low qword read as
 *      a 64-bit operand is exactly V1_hi): V2 = clmul(V1_hi, x^63 mod P) x + V1_lo, deg <= 63,
 *      in the high qword, moved to the low qword (bit j <-> x^(63-j)).
 *   3. Barrett: with mu = floor(x^64 / P) (deg 32), q = floor(floor(V2 / x^32) mu / x^32) is
 *      exactly floor(V2 / P) for deg V2 < 64, and T = (V2 + q P) mod x^32.
 *      floor(V2 / x^32) = the bits 0..31 of V2's qword (bits 32..63 cleared: the operand is
 *      then (V2 div x^32) x^32). mu is stored as bit-reverse-33 in bits 0..32, which reads as
 *      mu(x) x^31; the product's coefficient of x^e of (V2 div x^32) mu lands at bit 63-e, so
 *      bits 0..31 hold q (bit m <-> x^(31-m)), i.e. the operand q(x) x^32 once bits 32..63 are
 *      cleared. P likewise as bit-reverse-33 (P(x) x^31): the product's x^d coefficient of
 *      q P lands at bit 63-d, where V2's x^d coefficient is, so T is bits 32..63 of
 *      V2 ^ clmul(q, P), bit 32+k <-> x^(31-k): the reflected CRC register as zlib keeps it.
 *
 * The constants (checked by tests/unit/test_parquet_crc32.c, which recomputes them):
 *   x^e mod P: start from r = 1; e times: r <<= 1; if (r >> 32) r ^= 0x104C11DB7.
 *   e   x^e mod P   stored
 *   575 0x4419bca6  0x653d982200000000   fold by 512, low qword
 *   511 0xf171cb53  0xcad38e8f00000000   fold by 512, high qword
 *   191 0x62dce6a6  0x65673b4600000000   fold by 128, low qword
 *   127 0xf632a5d9  0x9ba54c6f00000000   fold by 128, high qword
 *    95 0x79005533  0xccaa009e00000000   reduction step 1
 *    63 0xa6e63d1d  0xb8bc676500000000   reduction step 2
 *   mu = floor(x^64 / P) = 0x104d101df (long division over GF(2)), stored 0x1f7011641
 *   P = 0x104c11db7, stored 0x1db710641 */
#include "parquet_internal.h"

#include <emmintrin.h>
#include <smmintrin.h>
#include <wmmintrin.h>
#include <zlib.h>

const uint64_t dv__crc32_pclmul_consts[DV__CRC32_PCLMUL_NCONSTS] = {
    0x653d982200000000ull, /* x^575 mod P */
    0xcad38e8f00000000ull, /* x^511 mod P */
    0x65673b4600000000ull, /* x^191 mod P */
    0x9ba54c6f00000000ull, /* x^127 mod P */
    0xccaa009e00000000ull, /* x^95 mod P */
    0xb8bc676500000000ull, /* x^63 mod P */
    0x1f7011641ull,        /* mu = floor(x^64 / P), bit-reversed over 33 bits */
    0x1db710641ull,        /* P, bit-reversed over 33 bits */
};

/* A' = A x^D + B (mod P), k = {x^(D+63) mod P, x^(D-1) mod P} (see above). */
static inline __m128i fold(__m128i a, __m128i k, __m128i b)
{
    __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), b);
}

static inline __m128i load(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

uint32_t dv__crc32_pclmul(uint32_t crc, const uint8_t *p, size_t n)
{
    const uint64_t *c = dv__crc32_pclmul_consts;
    __m128i x0, x1, x2, x3, k, v, t, q;
    const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
    uint32_t reg;

    if (n < 64) return (uint32_t)crc32((uLong)crc, p, (uInt)n);

    /* the zlib init: the register ~crc goes into the first 4 message bytes */
    x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128((int)~crc));
    x1 = load(p + 16);
    x2 = load(p + 32);
    x3 = load(p + 48);
    p += 64;
    n -= 64;

    k = _mm_set_epi64x((long long)c[1], (long long)c[0]);
    while (n >= 64) {
        x0 = fold(x0, k, load(p));
        x1 = fold(x1, k, load(p + 16));
        x2 = fold(x2, k, load(p + 32));
        x3 = fold(x3, k, load(p + 48));
        p += 64;
        n -= 64;
    }

    k = _mm_set_epi64x((long long)c[3], (long long)c[2]);
    x1 = fold(x0, k, x1);
    x2 = fold(x1, k, x2);
    x3 = fold(x2, k, x3);
    while (n >= 16) {
        x3 = fold(x3, k, load(p));
        p += 16;
        n -= 16;
    }

    /* 1: V1 = R_hi * (x^95 mod P) * x + R_lo x^32 (R_lo: the high qword, to bits 32..95) */
    k = _mm_set_epi64x((long long)c[5], (long long)c[4]);
    t = _mm_clmulepi64_si128(x3, k, 0x00);
    v = _mm_xor_si128(t, _mm_slli_si128(_mm_srli_si128(x3, 8), 4));
    /* 2: V2 = V1_hi * (x^63 mod P) * x + V1_lo, moved to the low qword */
    t = _mm_clmulepi64_si128(v, k, 0x10);
    v = _mm_srli_si128(_mm_xor_si128(t, v), 8);
    /* 3: Barrett */
    k = _mm_set_epi64x((long long)c[7], (long long)c[6]);
    q = _mm_clmulepi64_si128(_mm_and_si128(v, low32), k, 0x00);
    t = _mm_clmulepi64_si128(_mm_and_si128(q, low32), k, 0x10);
    reg = (uint32_t)_mm_extract_epi32(_mm_xor_si128(v, t), 1);

    crc = ~reg;
    if (n > 0) crc = (uint32_t)crc32((uLong)crc, p, (uInt)n);
    return crc;
}
