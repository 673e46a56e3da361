/* npy.c - .npy embedding matrices: strict header parser (v1/v2/v3), read-only mmap, float16
 * conversion (scalar twin of npy_avx2.c) and a v1.0 writer for <f4 / <f2. */
#include "../common/common.h"
#include "io_readers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct dv_npy {
    const dv_alloc *alloc;
    void *map; /* NULL for a caller's buffer */
    size_t maplen;
    void *heap; /* an inflated or copied .npz member, NULL otherwise */
    const uint8_t *base;
    dv_npy_info info;
};

/* ---------------------------------------------------------------- float16 */

static float f32_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

float dv_f16_to_f32_scalar(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) {
        /* infinity, or a NaN made quiet with its payload kept (as VCVTPH2PS does) */
        return f32_of_bits(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0));
    }
    if (exp == 0) {
        int e = 113; /* biased f32 exponent of 2^-14 */
        if (man == 0) return f32_of_bits(sign);
        /* subnormal: normalise the mantissa */
        while ((man & 0x400u) == 0) {
            man <<= 1;
            e--;
        }
        return f32_of_bits(sign | ((uint32_t)e << 23) | ((man & 0x3ffu) << 13));
    }
    return f32_of_bits(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t dv_f32_to_f16(float f)
{
    uint32_t x, sign, e, full, shift, m, rem, halfway;
    memcpy(&x, &f, sizeof(x));
    sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) {
        if (x == 0x7f800000u) return (uint16_t)(sign | 0x7c00u);
        return (uint16_t)(sign | 0x7e00u | ((x >> 13) & 0x3ffu));
    }
    if (x >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to infinity */
    if (x < 0x38800000u) {
        /* below 2^-14: a subnormal half, m * 2^-24 */
        if (x < 0x33000000u) return (uint16_t)sign; /* <= 2^-25 rounds to zero (even) */
        e = x >> 23;
        full = (x & 0x7fffffu) | 0x800000u;
        shift = 126u - e;
        m = full >> shift;
        rem = full & ((1u << shift) - 1u);
        halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (m & 1u))) m++;
        return (uint16_t)(sign | m);
    }
    m = (((x >> 23) - 112u) << 10) | ((x & 0x7fffffu) >> 13);
    rem = x & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (m & 1u))) m++; /* a carry moves into the exponent */
    return (uint16_t)(sign | m);
}

static int have_f16c(void)
{
#if defined(DV_HAVE_X86_SIMD)
    return dv__cpu_has_f16c() && dv_simd_available(DV_SIMD_AVX2);
#else
    return 0;
#endif
}

void dv_f16_to_f32(const uint16_t *in, float *out, size_t n, dv_simd simd)
{
    simd = dv__simd_resolve(simd);
    if (simd != DV_SIMD_SCALAR && have_f16c()) {
        dv__f16_to_f32_f16c(in, out, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = dv_f16_to_f32_scalar(in[i]);
}

/* ---------------------------------------------------------------- header parser */

typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == (uint8_t)ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A Python string literal without escapes: 'x' or "x". */
static int parse_str(cursor *c, const uint8_t **s, size_t *n)
{
    uint8_t q;
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    q = *c->p++;
    *s = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p < 0x20 || *c->p >= 0x7f) return -1;
        c->p++;
    }
    if (c->p >= c->end) return -1;
    *n = (size_t)(c->p - *s);
    c->p++;
    return 0;
}

/* A non-negative Python integer literal (optional Python 2 'L' suffix), < 2^63. */
static int parse_int(cursor *c, uint64_t *out)
{
    uint64_t v = 0;
    const uint8_t *start;
    skip_ws(c);
    start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > ((uint64_t)INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*c->p - '0');
        c->p++;
    }
    if (c->p == start) return -1;
    if (*start == '0' && c->p - start > 1) return -1; /* 012 is no Python 3 literal */
    if (c->p < c->end && *c->p == 'L') c->p++;
    *out = v;
    return 0;
}

static int starts(cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

#define HERR(...)                                   \
    do {                                            \
        dv__set_err(errbuf, errcap, __VA_ARGS__);   \
        return DV_EFORMAT;                          \
    } while (0)

static int parse_dict(const uint8_t *h, size_t n, dv_npy_info *info, char *errbuf, size_t errcap)
{
    cursor c = {h, h + n};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{')) HERR("header dict does not start with '{'");
    for (;;) {
        const uint8_t *k;
        size_t kn;
        if (eat(&c, '}')) break;
        if (parse_str(&c, &k, &kn) != 0) HERR("header dict: expected a quoted key at byte %zu",
                                              (size_t)(c.p - h));
        if (!eat(&c, ':')) HERR("header dict: expected ':' after a key at byte %zu",
                                (size_t)(c.p - h));
        if (kn == 5 && memcmp(k, "descr", 5) == 0) {
            const uint8_t *v;
            size_t vn;
            if (have_descr++) HERR("header dict: duplicate key 'descr'");
            if (parse_str(&c, &v, &vn) != 0) HERR("header dict: descr is not a plain string");
            if (vn == 3 && memcmp(v, "<f2", 3) == 0) info->dtype = DV_NPY_F16;
            else if (vn == 3 && memcmp(v, "<f4", 3) == 0) info->dtype = DV_NPY_F32;
            else if (vn == 3 && memcmp(v, "<f8", 3) == 0) info->dtype = DV_NPY_F64;
            else HERR("unsupported dtype '%.*s' (only '<f2', '<f4', '<f8')",
                      (int)(vn > 32 ? 32 : vn), (const char *)v);
            info->itemsize = info->dtype == DV_NPY_F16 ? 2 : info->dtype == DV_NPY_F32 ? 4 : 8;
        } else if (kn == 13 && memcmp(k, "fortran_order", 13) == 0) {
            if (have_order++) HERR("header dict: duplicate key 'fortran_order'");
            if (starts(&c, "True")) HERR("fortran_order True is not supported (C order only)");
            if (!starts(&c, "False")) HERR("header dict: fortran_order is not True or False");
        } else if (kn == 5 && memcmp(k, "shape", 5) == 0) {
            uint64_t dim[3];
            int nd = 0;
            if (have_shape++) HERR("header dict: duplicate key 'shape'");
            if (!eat(&c, '(')) HERR("header dict: shape is not a tuple");
            while (!eat(&c, ')')) {
                if (nd == 3 || parse_int(&c, &dim[nd]) != 0)
                    HERR("header dict: bad shape tuple at byte %zu", (size_t)(c.p - h));
                nd++;
                if (!eat(&c, ',')) {
                    if (!eat(&c, ')')) HERR("header dict: bad shape tuple at byte %zu",
                                            (size_t)(c.p - h));
                    if (nd == 1) HERR("header dict: bad shape tuple (one item needs a comma)");
                    break;
                }
            }
            if (nd != 2) HERR("shape has %d dimensions; a 2-D (rows, dims) matrix is required", nd);
            info->rows = dim[0];
            info->dims = dim[1];
        } else {
            HERR("header dict: unexpected key '%.*s'", (int)(kn > 32 ? 32 : kn), (const char *)k);
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) HERR("header dict: expected ',' or '}' at byte %zu",
                                    (size_t)(c.p - h));
            break;
        }
    }
    /* padding: spaces, ending with a newline */
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == '\n' || *c.p == '\r')) c.p++;
    if (c.p != c.end) HERR("header: unexpected bytes after the dict at byte %zu",
                           (size_t)(c.p - h));
    if (!have_descr || !have_order || !have_shape)
        HERR("header dict: missing key '%s'",
             !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return DV_OK;
}

int dv_npy_parse_header(const void *buf, size_t len, dv_npy_info *out, char *errbuf,
                        size_t errcap)
{
    const uint8_t *b = buf;
    size_t hlen, pre;
    DV_RETURN_ERROR_IF((buf == NULL && len > 0) || out == NULL, DV_EINVAL);
    memset(out, 0, sizeof(*out));
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) HERR("not an .npy file (no \\x93NUMPY magic)");
    out->major = b[6];
    out->minor = b[7];
    if (out->major < 1 || out->major > 3 || out->minor != 0)
        HERR("unsupported .npy format version %d.%d", out->major, out->minor);
    if (out->major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        pre = 10;
    } else {
        if (len < 12) HERR("header truncated: %zu bytes", len);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        pre = 12;
    }
    if (hlen > DV_NPY_MAX_HEADER)
        HERR("header length %zu is over the %u-byte limit", hlen, (unsigned)DV_NPY_MAX_HEADER);
    if (len - pre < hlen) {
        dv__set_err(errbuf, errcap, "header truncated: %zu bytes declared, %zu present", hlen,
                    len - pre);
        return DV_ECORRUPT;
    }
    out->data_offset = pre + hlen;
    return parse_dict(b + pre, hlen, out, errbuf, errcap);
}

/* ---------------------------------------------------------------- open */

static int finish_open(dv_npy *n, size_t len, char *errbuf, size_t errcap)
{
    size_t cells, bytes;
    DV_FORWARD_IF_ERROR(dv_npy_parse_header(n->base, len, &n->info, errbuf, errcap));
    if (n->info.rows > SIZE_MAX || n->info.dims > SIZE_MAX ||
        !dv__mul_ok((size_t)n->info.rows, (size_t)n->info.dims, &cells) ||
        !dv__mul_ok(cells, n->info.itemsize, &bytes)) {
        dv__set_err(errbuf, errcap, "shape (%llu, %llu) is too large",
                    (unsigned long long)n->info.rows, (unsigned long long)n->info.dims);
        return DV_ETOOBIG;
    }
    /* exact: trailing bytes mean the file is not what its header says */
    if (len - n->info.data_offset != bytes) {
        dv__set_err(errbuf, errcap,
                    "data is %zu bytes, but shape (%llu, %llu) of %zu-byte items needs %zu",
                    len - n->info.data_offset, (unsigned long long)n->info.rows,
                    (unsigned long long)n->info.dims, n->info.itemsize, bytes);
        return DV_ECORRUPT;
    }
    return DV_OK;
}

int dv_npy_open_buffer(const void *buf, size_t len, const dv_alloc *alloc, dv_npy **out,
                       char *errbuf, size_t errcap)
{
    DV_RETURN_ERROR_IF(out == NULL || (buf == NULL && len > 0), DV_EINVAL);
    return dv__npy_adopt(alloc, NULL, 0, NULL, buf, len, out, errbuf, errcap);
}

int dv_npy_open(const char *path, const dv_alloc *alloc, dv_npy **out, char *errbuf,
                size_t errcap)
{
    int fd, rc;
    DV_RETURN_ERROR_IF(path == NULL || out == NULL, DV_EINVAL);
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        dv__set_err(errbuf, errcap, "%s: %s", path, strerror(errno));
        return DV_EIO;
    }
    rc = dv__npy_open_fd(fd, path, alloc, out, errbuf, errcap);
    close(fd);
    return rc;
}

int dv__npy_open_fd(int fd, const char *path, const dv_alloc *alloc, dv_npy **out,
                    char *errbuf, size_t errcap)
{
    struct stat st;
    dv_npy *n;
    int rc;
    char sub[400];
    *out = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 10 ||
        (uint64_t)st.st_size > SIZE_MAX) {
        dv__set_err(errbuf, errcap, "%s: not a regular file of at least 10 bytes", path);
        return DV_EFORMAT;
    }
    n = dv__calloc(alloc, 1, sizeof(*n));
    if (n == NULL) return DV_ENOMEM;
    n->alloc = alloc;
    n->maplen = (size_t)st.st_size;
    n->map = mmap(NULL, n->maplen, PROT_READ, MAP_PRIVATE, fd, 0);
    if (n->map == MAP_FAILED) {
        n->map = NULL;
        dv__set_err(errbuf, errcap, "%s: mmap failed: %s", path, strerror(errno));
        dv_npy_close(n);
        return DV_EIO;
    }
    n->base = n->map;
    rc = finish_open(n, n->maplen, sub, sizeof(sub));
    if (rc < 0) {
        dv__set_err(errbuf, errcap, "%s: %s", path, sub);
        dv_npy_close(n);
        return rc;
    }
    *out = n;
    return DV_OK;
}

int dv__npy_adopt(const dv_alloc *alloc, void *map, size_t maplen, void *heap,
                  const uint8_t *base, size_t len, dv_npy **out, char *errbuf, size_t errcap)
{
    dv_npy *n;
    int rc;
    *out = NULL;
    n = dv__calloc(alloc, 1, sizeof(*n));
    if (n == NULL) {
        if (map != NULL) munmap(map, maplen);
        dv__free(alloc, heap);
        return DV_ENOMEM;
    }
    n->alloc = alloc;
    n->map = map;
    n->maplen = maplen;
    n->heap = heap;
    n->base = base;
    rc = finish_open(n, len, errbuf, errcap);
    if (rc < 0) {
        dv_npy_close(n);
        return rc;
    }
    *out = n;
    return DV_OK;
}

void dv_npy_close(dv_npy *n)
{
    if (n == NULL) return;
    if (n->map != NULL) munmap(n->map, n->maplen);
    dv__free(n->alloc, n->heap);
    dv__free(n->alloc, n);
}

void dv_npy_get_info(const dv_npy *n, dv_npy_info *out) { *out = n->info; }

const void *dv_npy_data(const dv_npy *n) { return n->base + n->info.data_offset; }

static int host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static uint64_t load_le(const uint8_t *p, size_t size)
{
    uint64_t v = 0;
    for (size_t i = size; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

int dv_npy_read_f32(const dv_npy *n, uint64_t first, uint64_t count, float *out, dv_simd simd)
{
    const uint8_t *p;
    size_t cells;
    DV_RETURN_ERROR_IF(n == NULL || (out == NULL && count > 0), DV_EINVAL);
    DV_RETURN_ERROR_IF(first > n->info.rows || count > n->info.rows - first, DV_ERANGE);
    /* rows * dims * itemsize was checked at open, so these cannot overflow */
    cells = (size_t)count * (size_t)n->info.dims;
    p = n->base + n->info.data_offset + (size_t)first * (size_t)n->info.dims * n->info.itemsize;
    if (n->info.dtype == DV_NPY_F32) {
        if (host_is_le()) {
            memcpy(out, p, cells * 4);
        } else {
            for (size_t i = 0; i < cells; i++) {
                uint32_t u = (uint32_t)load_le(p + 4 * i, 4);
                memcpy(&out[i], &u, 4);
            }
        }
    } else if (n->info.dtype == DV_NPY_F64) {
        for (size_t i = 0; i < cells; i++) {
            uint64_t u = load_le(p + 8 * i, 8);
            double d;
            memcpy(&d, &u, 8);
            out[i] = (float)d;
        }
    } else {
        /* through an aligned scratch block: the data may sit at any offset */
        uint16_t tmp[1024];
        for (size_t i = 0; i < cells; i += 1024) {
            size_t k = cells - i < 1024 ? cells - i : 1024;
            for (size_t j = 0; j < k; j++) tmp[j] = (uint16_t)load_le(p + 2 * (i + j), 2);
            dv_f16_to_f32(tmp, out + i, k, simd);
        }
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- writer */

int dv_npy_write_header(void *out, size_t cap, dv_npy_dtype dtype, uint64_t rows, uint64_t dims,
                        size_t *len_out)
{
    char dict[160];
    int k;
    size_t total;
    uint8_t *o = out;
    DV_RETURN_ERROR_IF(out == NULL || len_out == NULL, DV_EINVAL);
    DV_RETURN_ERROR_IF(dtype != DV_NPY_F16 && dtype != DV_NPY_F32 && dtype != DV_NPY_F64,
                       DV_EINVAL);
    k = snprintf(dict, sizeof(dict),
                 "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %llu), }",
                 dtype == DV_NPY_F16 ? "<f2" : dtype == DV_NPY_F32 ? "<f4" : "<f8",
                 (unsigned long long)rows, (unsigned long long)dims);
    DV_RETURN_ERROR_IF(k < 0 || (size_t)k >= sizeof(dict), DV_ERANGE);
    /* magic(6) + version(2) + length(2) + dict + spaces + '\n', a multiple of 64 */
    total = (10 + (size_t)k + 1 + 63) / 64 * 64;
    DV_RETURN_ERROR_IF(cap < total, DV_ERANGE);
    memcpy(o, "\x93NUMPY\x01\x00", 8);
    o[8] = (uint8_t)((total - 10) & 0xff);
    o[9] = (uint8_t)((total - 10) >> 8);
    memcpy(o + 10, dict, (size_t)k);
    memset(o + 10 + k, ' ', total - 10 - (size_t)k - 1);
    o[total - 1] = '\n';
    *len_out = total;
    return DV_OK;
}

static int write_all(int fd, const void *p, size_t n, char *errbuf, size_t errcap)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            dv__set_err(errbuf, errcap, "npy write failed: %s",
                        k < 0 ? strerror(errno) : "no progress");
            return DV_EIO;
        }
        b += k;
        n -= (size_t)k;
    }
    return DV_OK;
}

int dv_npy_write_fd(int fd, dv_npy_dtype dtype, const float *data, uint64_t rows, uint64_t dims,
                    char *errbuf, size_t errcap)
{
    uint8_t hdr[192], chunk[8192];
    size_t hlen, cells;
    DV_RETURN_ERROR_IF(fd < 0 || (dtype != DV_NPY_F16 && dtype != DV_NPY_F32), DV_EINVAL);
    if (rows > SIZE_MAX || dims > SIZE_MAX || !dv__mul_ok((size_t)rows, (size_t)dims, &cells) ||
        cells > SIZE_MAX / 4) {
        dv__set_err(errbuf, errcap, "npy write: shape (%llu, %llu) is too large",
                    (unsigned long long)rows, (unsigned long long)dims);
        return DV_ETOOBIG;
    }
    DV_RETURN_ERROR_IF(data == NULL && cells > 0, DV_EINVAL);
    DV_FORWARD_IF_ERROR(dv_npy_write_header(hdr, sizeof(hdr), dtype, rows, dims, &hlen));
    DV_FORWARD_IF_ERROR(write_all(fd, hdr, hlen, errbuf, errcap));
    for (size_t i = 0; i < cells;) {
        size_t k = 0;
        if (dtype == DV_NPY_F32) {
            for (; i < cells && k + 4 <= sizeof(chunk); i++, k += 4) {
                uint32_t u;
                memcpy(&u, &data[i], 4);
                for (int j = 0; j < 4; j++) chunk[k + (size_t)j] = (uint8_t)(u >> (8 * j));
            }
        } else {
            for (; i < cells && k + 2 <= sizeof(chunk); i++, k += 2) {
                uint16_t h = dv_f32_to_f16(data[i]);
                chunk[k] = (uint8_t)h;
                chunk[k + 1] = (uint8_t)(h >> 8);
            }
        }
        DV_FORWARD_IF_ERROR(write_all(fd, chunk, k, errbuf, errcap));
    }
    return DV_OK;
}
