/* parquet_codec.c - page compression codecs over the system libraries: snappy, zlib (gzip),
 * zstd, lz4 (raw and Hadoop-framed) and brotli; every decompression must give the exact size.
 * All but Hadoop-framed LZ4 and LZO are written too. */
#include "parquet_internal.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: a context with our allocator */
#include <zstd.h>

/* The decoders' own state (zstd's literals buffer, brotli's ring buffer, zlib's window) can
 * hold decoded bytes, which may be an image's: they get memory that is zeroed when the
 * library frees it. A 16-byte header keeps the size and the alignment. */
static void *wipe_alloc(void *opaque, size_t n)
{
    uint8_t *p;
    (void)opaque;
    if (n > SIZE_MAX - 16) return NULL;
    p = malloc(n + 16);
    if (p == NULL) return NULL;
    memcpy(p, &n, sizeof n);
    return p + 16;
}

static void wipe_free(void *opaque, void *q)
{
    size_t n;
    uint8_t *p;
    (void)opaque;
    if (q == NULL) return;
    p = (uint8_t *)q - 16;
    memcpy(&n, p, sizeof n);
    explicit_bzero(q, n);
    free(p);
}

static voidpf z_wipe_alloc(voidpf opaque, uInt items, uInt size)
{
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return wipe_alloc(opaque, (size_t)items * size);
}

static void z_wipe_free(voidpf opaque, voidpf q) { wipe_free(opaque, q); }

enum {
    CODEC_UNCOMPRESSED = 0,
    CODEC_SNAPPY = 1,
    CODEC_GZIP = 2,
    CODEC_LZO = 3,
    CODEC_BROTLI = 4,
    CODEC_LZ4 = 5,
    CODEC_ZSTD = 6,
    CODEC_LZ4_RAW = 7
};

uint32_t dv__pq_crc32(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
#if defined(DV_HAVE_X86_SIMD)
    if (dv__cpu_has_pclmul()) return dv__crc32_pclmul((uint32_t)c, p, n);
#endif
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

/* gzip, possibly several members back to back (concatenated_gzip_members.parquet) */
static int gunzip(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, const char **why)
{
    z_stream z;
    int zr;
    if (srclen > UINT32_MAX || dstlen > UINT32_MAX) {
        *why = "gzip page over 4 GiB";
        return DV_ETOOBIG;
    }
    memset(&z, 0, sizeof(z));
    z.zalloc = z_wipe_alloc;
    z.zfree = z_wipe_free;
    if (inflateInit2(&z, 15 + 32) != Z_OK) return DV_ENOMEM;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)srclen;
    z.next_out = dst;
    z.avail_out = (uInt)dstlen;
    for (;;) {
        zr = inflate(&z, Z_FINISH);
        if (zr == Z_STREAM_END) {
            if (z.avail_in == 0 || z.avail_out == 0) break;
            if (inflateReset(&z) != Z_OK) break;
            continue;
        }
        if (zr == Z_BUF_ERROR && z.avail_out == 0) {
            /* more input than the page holds: not the size the header promised */
            inflateEnd(&z);
            *why = "gzip page larger than its header says";
            return DV_ECORRUPT;
        }
        inflateEnd(&z);
        *why = zr == Z_MEM_ERROR ? "out of memory in zlib" : "gzip data is corrupt";
        return zr == Z_MEM_ERROR ? DV_ENOMEM : DV_ECORRUPT;
    }
    inflateEnd(&z);
    if (z.avail_out != 0) {
        *why = "gzip page smaller than its header says";
        return DV_ECORRUPT;
    }
    return DV_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's LZ4 framing: blocks of [BE32 decompressed size][BE32 compressed size][lz4 block]. */
static int hadoop_lz4(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
    size_t in = 0, out = 0;
    while (srclen - in >= 8) {
        uint32_t dsize = be32(src + in), csize = be32(src + in + 4);
        int n;
        in += 8;
        if (csize > srclen - in || dsize > dstlen - out || csize > INT32_MAX || dsize > INT32_MAX)
            return 0;
        n = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)csize, (int)dsize);
        if (n < 0 || (uint32_t)n != dsize) return 0;
        in += csize;
        out += dsize;
        if (in == srclen) break;
    }
    return in == srclen && out == dstlen;
}

static int raw_lz4(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
    int n;
    if (srclen > INT32_MAX || dstlen > INT32_MAX) return 0;
    n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)srclen, (int)dstlen);
    return n >= 0 && (size_t)n == dstlen;
}

int dv__pq_decompress(int codec, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      const char **why)
{
    switch (codec) {
    case CODEC_UNCOMPRESSED:
        if (srclen != dstlen) {
            *why = "uncompressed page sizes disagree";
            return DV_ECORRUPT;
        }
        if (srclen) memcpy(dst, src, srclen);
        return DV_OK;
    case CODEC_SNAPPY: {
        size_t n;
        if (snappy_uncompressed_length((const char *)src, srclen, &n) != SNAPPY_OK || n != dstlen) {
            *why = "snappy length does not match the page header";
            return DV_ECORRUPT;
        }
        if (snappy_uncompress((const char *)src, srclen, (char *)dst, &n) != SNAPPY_OK ||
            n != dstlen) {
            *why = "snappy data is corrupt";
            return DV_ECORRUPT;
        }
        return DV_OK;
    }
    case CODEC_GZIP: return gunzip(src, srclen, dst, dstlen, why);
    case CODEC_BROTLI: {
        BrotliDecoderState *st = BrotliDecoderCreateInstance(wipe_alloc, wipe_free, NULL);
        size_t in = srclen, out = dstlen, total = 0;
        const uint8_t *ip = src;
        uint8_t *op = dst;
        BrotliDecoderResult br;
        if (st == NULL) return DV_ENOMEM;
        br = BrotliDecoderDecompressStream(st, &in, &ip, &out, &op, &total);
        BrotliDecoderDestroyInstance(st);
        if (br != BROTLI_DECODER_RESULT_SUCCESS || total != dstlen || in != 0) {
            *why = "brotli data is corrupt or of the wrong size";
            return DV_ECORRUPT;
        }
        return DV_OK;
    }
    case CODEC_LZ4:
        /* as Arrow: Hadoop framing first, then a bare block (older parquet-cpp files) */
        if (hadoop_lz4(src, srclen, dst, dstlen) || raw_lz4(src, srclen, dst, dstlen)) return DV_OK;
        *why = "lz4 data is corrupt (neither Hadoop-framed nor a raw block)";
        return DV_ECORRUPT;
    case CODEC_LZ4_RAW:
        if (raw_lz4(src, srclen, dst, dstlen)) return DV_OK;
        *why = "lz4 raw data is corrupt or of the wrong size";
        return DV_ECORRUPT;
    case CODEC_ZSTD: {
        const ZSTD_customMem mem = {wipe_alloc, wipe_free, NULL};
        ZSTD_DCtx *dc = ZSTD_createDCtx_advanced(mem);
        size_t n;
        if (dc == NULL) return DV_ENOMEM;
        n = ZSTD_decompressDCtx(dc, dst, dstlen, src, srclen);
        ZSTD_freeDCtx(dc);
        if (ZSTD_isError(n) || n != dstlen) {
            *why = "zstd data is corrupt or of the wrong size";
            return DV_ECORRUPT;
        }
        return DV_OK;
    }
    case CODEC_LZO: *why = "LZO compression is not supported"; return DV_EFORMAT;
    default: *why = "unknown compression codec"; return DV_EFORMAT;
    }
}

int dv__pq_codec_writable(int codec)
{
    return codec == CODEC_UNCOMPRESSED || codec == CODEC_SNAPPY || codec == CODEC_GZIP ||
           codec == CODEC_ZSTD || codec == CODEC_LZ4_RAW || codec == CODEC_BROTLI;
}

/* Brotli's quality when none is asked for: 8, as Arrow's Parquet writer uses (the library's
 * 11, DuckDB's, is about 10 times slower), and 4 tried as well, the smaller page kept: on
 * random hex strings (md5, sha256 columns) and zero-padded keys 4 gives pages 4-17% smaller
 * than 8 does, in a third to a fifth of 8's time; on prose 8 is about 11% smaller. */
#define DV_BROTLI_QUALITY 8
#define DV_BROTLI_QUALITY_ALT 4

static int brotli_once(int quality, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                       size_t *outlen, int wipe)
{
    /* with wipe, the encoder's hash tables and ring buffer (copies of the page) come from
     * memory that is zeroed when it is freed */
    BrotliEncoderState *st = wipe ? BrotliEncoderCreateInstance(wipe_alloc, wipe_free, NULL)
                                  : BrotliEncoderCreateInstance(NULL, NULL, NULL);
    const uint8_t *in = src;
    uint8_t *out = dst;
    size_t ai = n, ao = cap;
    BROTLI_BOOL ok;
    if (st == NULL) return DV_ENOMEM;
    if (!BrotliEncoderSetParameter(st, BROTLI_PARAM_QUALITY, (uint32_t)quality) ||
        !BrotliEncoderSetParameter(st, BROTLI_PARAM_LGWIN, BROTLI_DEFAULT_WINDOW) ||
        !BrotliEncoderSetParameter(st, BROTLI_PARAM_SIZE_HINT,
                                   n > UINT32_MAX ? UINT32_MAX : (uint32_t)n)) {
        BrotliEncoderDestroyInstance(st);
        return DV_EINVAL;
    }
    ok = BrotliEncoderCompressStream(st, BROTLI_OPERATION_FINISH, &ai, &in, &ao, &out, NULL);
    ok = ok && BrotliEncoderIsFinished(st) && ai == 0;
    BrotliEncoderDestroyInstance(st);
    if (!ok) return DV_ERANGE; /* out of memory, or cap too small */
    *outlen = cap - ao;
    return DV_OK;
}

size_t dv__pq_compress_bound(int codec, size_t n)
{
    switch (codec) {
    case CODEC_SNAPPY: return snappy_max_compressed_length(n);
    case CODEC_GZIP: return (size_t)compressBound((uLong)n) + 32; /* gzip header and trailer */
    case CODEC_ZSTD: return ZSTD_compressBound(n);
    case CODEC_LZ4_RAW: return n > LZ4_MAX_INPUT_SIZE ? n : (size_t)LZ4_compressBound((int)n);
    case CODEC_BROTLI: {
        size_t m = BrotliEncoderMaxCompressedSize(n); /* 0: n is too large for a bound */
        return m ? m : n;
    }
    default: return n;
    }
}

int dv__pq_compress(int codec, int level, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                    size_t *outlen, int wipe)
{
    switch (codec) {
    case CODEC_UNCOMPRESSED:
        if (cap < n) return DV_ERANGE;
        if (n) memcpy(dst, src, n);
        *outlen = n;
        return DV_OK;
    case CODEC_SNAPPY: {
        size_t m = cap;
        if (snappy_compress((const char *)src, n, (char *)dst, &m) != SNAPPY_OK) return DV_ERANGE;
        *outlen = m;
        return DV_OK;
    }
    case CODEC_GZIP: {
        z_stream z;
        int zr;
        if (n > UINT32_MAX || cap > UINT32_MAX) return DV_ETOOBIG;
        memset(&z, 0, sizeof(z));
        if (wipe) {
            z.zalloc = z_wipe_alloc;
            z.zfree = z_wipe_free;
        }
        if (deflateInit2(&z, level > 0 ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return DV_ENOMEM;
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)n;
        z.next_out = dst;
        z.avail_out = (uInt)cap;
        zr = deflate(&z, Z_FINISH);
        *outlen = cap - z.avail_out;
        deflateEnd(&z);
        return zr == Z_STREAM_END ? DV_OK : DV_ERANGE;
    }
    case CODEC_ZSTD: {
        const ZSTD_customMem mem = {wipe_alloc, wipe_free, NULL};
        ZSTD_CCtx *cx = wipe ? ZSTD_createCCtx_advanced(mem) : NULL;
        size_t m;
        if (wipe && cx == NULL) return DV_ENOMEM;
        m = cx ? ZSTD_compressCCtx(cx, dst, cap, src, n, level > 0 ? level : 3)
               : ZSTD_compress(dst, cap, src, n, level > 0 ? level : 3);
        ZSTD_freeCCtx(cx);
        if (ZSTD_isError(m)) return DV_ERANGE;
        *outlen = m;
        return DV_OK;
    }
    case CODEC_LZ4_RAW: {
        /* the state in our memory, so that with wipe it is zeroed (LZ4_compress_default keeps
         * it on the stack) */
        void *st = wipe_alloc(NULL, (size_t)LZ4_sizeofState());
        int m;
        if (st == NULL) return DV_ENOMEM;
        if (n > LZ4_MAX_INPUT_SIZE || cap > INT32_MAX) {
            wipe_free(NULL, st);
            return DV_ETOOBIG;
        }
        m = LZ4_compress_fast_extState(st, (const char *)src, (char *)dst, (int)n, (int)cap, 1);
        wipe_free(NULL, st);
        if (m <= 0 && n > 0) return DV_ERANGE;
        *outlen = (size_t)m;
        return DV_OK;
    }
    case CODEC_BROTLI: {
        uint8_t *alt;
        size_t m;
        int rc = brotli_once(level > 0 ? (level > 11 ? 11 : level) : DV_BROTLI_QUALITY, src, n,
                             dst, cap, outlen, wipe);
        if (rc != DV_OK || level > 0 || n == 0) return rc;
        /* the default: quality 4 too, kept where it is smaller (zeroed memory: a page) */
        alt = wipe_alloc(NULL, *outlen);
        if (alt == NULL) return DV_OK;
        if (brotli_once(DV_BROTLI_QUALITY_ALT, src, n, alt, *outlen, &m, wipe) == DV_OK &&
            m < *outlen) {
            memcpy(dst, alt, m);
            *outlen = m;
        }
        wipe_free(NULL, alt);
        return DV_OK;
    }
    default: return DV_EINVAL;
    }
}
