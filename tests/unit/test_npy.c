/* test_npy.c - .npy reader/writer: hand-made v1/v2/v3 headers, strict dict parsing, size checks,
 * float16 conversion (all 65536 values, scalar vs F16C vs a formula), and numpy cross-checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"
#include "testutil.h"

/* A file image: magic, version, header length, dict padded to 64, then data bytes. */
static size_t make_npy(uint8_t *out, int major, const char *dict, const void *data, size_t n,
                       int pad_to_64)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict), hl = dl + 1, total;
    if (pad_to_64) hl = (pre + dl + 1 + 63) / 64 * 64 - pre;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (uint8_t)hl;
        out[9] = (uint8_t)(hl >> 8);
    } else {
        for (int i = 0; i < 4; i++) out[8 + i] = (uint8_t)(hl >> (8 * i));
    }
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hl - dl - 1);
    out[pre + hl - 1] = '\n';
    total = pre + hl;
    if (n) memcpy(out + total, data, n);
    return total + n;
}

static void test_versions(void **state)
{
    uint8_t buf[1024];
    float v[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, 65504.0f};
    char err[256];
    (void)state;
    for (int major = 1; major <= 3; major++) {
        dv_npy *n;
        dv_npy_info info;
        float out[6];
        size_t len = make_npy(buf, major,
                              "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", v,
                              sizeof(v), 1);
        assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_OK);
        dv_npy_get_info(n, &info);
        assert_int_equal(info.major, major);
        assert_int_equal(info.rows, 2);
        assert_int_equal(info.dims, 3);
        assert_int_equal(info.itemsize, 4);
        assert_int_equal(info.data_offset % 64, 0);
        assert_int_equal(dv_npy_read_f32(n, 0, 2, out, DV_SIMD_AUTO), DV_OK);
        assert_memory_equal(out, v, sizeof(v));
        assert_int_equal(dv_npy_read_f32(n, 1, 1, out, DV_SIMD_AUTO), DV_OK);
        assert_memory_equal(out, v + 3, 3 * sizeof(float));
        assert_int_equal(dv_npy_read_f32(n, 1, 2, out, DV_SIMD_AUTO), DV_ERANGE);
        assert_int_equal(dv_npy_read_f32(n, 3, 0, out, DV_SIMD_AUTO), DV_ERANGE);
        assert_int_equal(dv_npy_read_f32(n, 2, 0, out, DV_SIMD_AUTO), DV_OK);
        assert_memory_equal(dv_npy_data(n), v, sizeof(v));
        dv_npy_close(n);
    }
    dv_npy_close(NULL);
}

static void test_dict_forms(void **state)
{
    static const char *good[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
        "{ 'fortran_order' : False , 'descr' : '<f4' , 'shape' : ( 2 , 3 ) , }",
    };
    static const char *bad[] = {
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
        "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
        "{'descr': '<f4', 'fortran_order': False, }",
        "{'descr': '<f4', 'shape': (2, 3), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
        "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}",
        "{'descr': '<f4', 'fortran_order': false, 'shape': (2, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (02, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3)}",
        "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3)}",
        "['descr', '<f4']",
        "",
    };
    uint8_t buf[1024];
    float v[6] = {0};
    char err[256];
    dv_npy *n;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t len = make_npy(buf, 1, good[i], v, sizeof(v), i & 1);
        if (dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)) != DV_OK)
            fail_msg("good[%zu]: %s", i, err);
        dv_npy_close(n);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = make_npy(buf, 1, bad[i], v, sizeof(v), 1);
        err[0] = 0;
        if (dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)) == DV_OK)
            fail_msg("bad[%zu] accepted", i);
        assert_null(n);
        assert_true(err[0] != 0);
    }
}

static void test_header_and_size_errors(void **state)
{
    uint8_t buf[1024];
    float v[6] = {0};
    char err[256];
    dv_npy *n;
    size_t len;
    const char *d = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    (void)state;
    len = make_npy(buf, 1, d, v, sizeof(v), 1);
    /* data one byte short, one byte long */
    assert_int_equal(dv_npy_open_buffer(buf, len - 1, NULL, &n, err, sizeof(err)), DV_ECORRUPT);
    assert_non_null(strstr(err, "needs 24"));
    assert_int_equal(dv_npy_open_buffer(buf, len + 1, NULL, &n, err, sizeof(err)), DV_ECORRUPT);
    /* header cut short */
    assert_int_equal(dv_npy_open_buffer(buf, 40, NULL, &n, err, sizeof(err)), DV_ECORRUPT);
    assert_non_null(strstr(err, "truncated"));
    /* bad magic, version */
    buf[0] = 0;
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_EFORMAT);
    buf[0] = 0x93;
    buf[6] = 4;
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_EFORMAT);
    assert_non_null(strstr(err, "version"));
    buf[6] = 1;
    buf[7] = 1;
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_EFORMAT);
    /* v2 header length over the limit, checked before use */
    len = make_npy(buf, 2, d, v, sizeof(v), 1);
    buf[11] = 0x7f;
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_EFORMAT);
    assert_non_null(strstr(err, "limit"));
    /* a shape whose byte size overflows */
    len = make_npy(buf, 1,
                   "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                   NULL, 0, 1);
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_ETOOBIG);
    /* zero rows is a valid empty matrix */
    len = make_npy(buf, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (0, 512), }",
                   NULL, 0, 1);
    assert_int_equal(dv_npy_open_buffer(buf, len, NULL, &n, err, sizeof(err)), DV_OK);
    dv_npy_close(n);
    /* files */
    assert_int_equal(dv_npy_open("/nonexistent/x.npy", NULL, &n, err, sizeof(err)), DV_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.npy"));
}

/* Reference: the value of a half from its fields, by the definition. */
static double half_ref(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else v = ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

static void test_f16_exhaustive(void **state)
{
    static float a[65536], b[65536];
    static uint16_t h[65536];
    (void)state;
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    dv_f16_to_f32(h, a, 65536, DV_SIMD_SCALAR);
    for (uint32_t i = 0; i < 65536; i++) {
        int e = (i >> 10) & 31;
        uint32_t bits;
        memcpy(&bits, &a[i], 4);
        assert_true(memcmp(&a[i], &(float){dv_f16_to_f32_scalar((uint16_t)i)}, 4) == 0);
        if (e == 31) {
            if ((i & 1023) == 0) assert_true(isinf(a[i]) && (signbit(a[i]) != 0) == (i >> 15));
            else {
                assert_true(isnan(a[i]));
                assert_int_equal((bits >> 13) & 1023, (i & 1023) | 512); /* payload, quiet */
            }
            continue;
        }
        if ((double)a[i] != half_ref((uint16_t)i)) fail_msg("half %04x", (unsigned)i);
        if (i == 0x8000) assert_true(signbit(a[i]));
        /* and back, exactly */
        assert_int_equal(dv_f32_to_f16(a[i]), i);
    }
    if (dv_simd_available(DV_SIMD_AVX2)) {
        /* odd lengths and offsets reach the tail code */
        dv_f16_to_f32(h, b, 65536, DV_SIMD_AVX2);
        assert_memory_equal(a, b, sizeof(a));
        for (size_t n = 0; n < 20; n++) {
            memset(b, 0, sizeof(float) * 32);
            dv_f16_to_f32(h + 0x7bf0 + n, b, n, DV_SIMD_AVX2);
            assert_memory_equal(b, a + 0x7bf0 + n, n * sizeof(float));
        }
    } else {
        printf("[  SKIPPED ] no AVX2/F16C on this CPU: F16C path not compared\n");
    }
}

static void test_f32_to_f16_rounding(void **state)
{
    (void)state;
    assert_int_equal(dv_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(dv_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(dv_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(dv_f32_to_f16(1e9f), 0x7c00);
    assert_int_equal(dv_f32_to_f16(-INFINITY), 0xfc00);
    assert_true((dv_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (dv_f32_to_f16(NAN) & 0x3ff) != 0);
    /* halfway between 1 and the next half (1 + 2^-10): ties to even */
    assert_int_equal(dv_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00);
    assert_int_equal(dv_f32_to_f16(1.0f + 3 * ldexpf(1, -11)), 0x3c02);
    assert_int_equal(dv_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
    /* subnormals: 2^-24 is the smallest; 2^-25 ties to 0; a bit more rounds up */
    assert_int_equal(dv_f32_to_f16(ldexpf(1, -24)), 0x0001);
    assert_int_equal(dv_f32_to_f16(ldexpf(1, -25)), 0x0000);
    assert_int_equal(dv_f32_to_f16(ldexpf(1, -25) * 1.0001f), 0x0001);
    assert_int_equal(dv_f32_to_f16(ldexpf(3, -25)), 0x0002);
    assert_int_equal(dv_f32_to_f16(-ldexpf(1, -30)), 0x8000);
    assert_int_equal(dv_f32_to_f16(ldexpf(1023, -24) + ldexpf(1, -25)), 0x0400);
    /* every f32 between two halves rounds to the nearer one (sampled) */
    for (uint32_t u = 0x33000000u; u < 0x477ff000u; u += 4093) {
        float f;
        uint16_t r;
        double lo, hi, x;
        memcpy(&f, &u, 4);
        r = dv_f32_to_f16(f);
        x = f;
        lo = half_ref(r);
        hi = fabs(x - lo);
        if (r > 0) assert_true(hi <= fabs(x - half_ref((uint16_t)(r - 1))));
        assert_true(hi <= fabs(x - half_ref((uint16_t)(r + 1))));
    }
}

static void tmpname(char *buf, size_t cap, const char *s)
{
    snprintf(buf, cap, "/tmp/dv_test_npy_%d_%s", (int)getpid(), s);
}

static void test_writer_round_trip(void **state)
{
    float v[3 * 5], out[3 * 5];
    char path[128], err[256];
    uint8_t hdr[192];
    size_t hl;
    (void)state;
    for (int i = 0; i < 15; i++) v[i] = (float)i * 0.37f - 2.0f;
    assert_int_equal(dv_npy_write_header(hdr, sizeof(hdr), DV_NPY_F32, 3, 5, &hl), DV_OK);
    assert_int_equal(hl, 128); /* as numpy pads it */
    assert_int_equal(dv_npy_write_header(hdr, 10, DV_NPY_F32, 3, 5, &hl), DV_ERANGE);
    for (int dt = DV_NPY_F16; dt <= DV_NPY_F32; dt++) {
        dv_npy *n;
        dv_npy_info info;
        int fd;
        tmpname(path, sizeof(path), "w.npy");
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(dv_npy_write_fd(fd, (dv_npy_dtype)dt, v, 3, 5, err, sizeof(err)), DV_OK);
        close(fd);
        assert_int_equal(dv_npy_open(path, NULL, &n, err, sizeof(err)), DV_OK);
        dv_npy_get_info(n, &info);
        assert_int_equal(info.dtype, dt);
        assert_int_equal(info.rows, 3);
        assert_int_equal(info.dims, 5);
        assert_int_equal(info.data_offset, 128);
        assert_int_equal(dv_npy_read_f32(n, 0, 3, out, DV_SIMD_AUTO), DV_OK);
        for (int i = 0; i < 15; i++) {
            float want = dt == DV_NPY_F32 ? v[i] : dv_f16_to_f32_scalar(dv_f32_to_f16(v[i]));
            assert_memory_equal(&out[i], &want, 4);
        }
        dv_npy_close(n);
        unlink(path);
    }
}

static void test_numpy_cross(void **state)
{
    char a[128], b[128], c[128], cmd[1024], err[256];
    dv_npy *n;
    dv_npy_info info;
    float out[7 * 3];
    int fd;
    (void)state;
    if (!tu_have_numpy()) return;
    tmpname(a, sizeof(a), "np16.npy");
    tmpname(b, sizeof(b), "np32.npy");
    tmpname(c, sizeof(c), "np64.npy");
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c \"import numpy as np; x = np.arange(21, dtype=np.float64)"
             ".reshape(7, 3) / 7 - 1; np.save('%s', x.astype('<f2')); np.save('%s', "
             "x.astype('<f4')); np.save('%s', x)\"",
             a, b, c);
    assert_int_equal(system(cmd), 0);
    for (int k = 0; k < 3; k++) {
        const char *p = k == 0 ? a : k == 1 ? b : c;
        assert_int_equal(dv_npy_open(p, NULL, &n, err, sizeof(err)), DV_OK);
        dv_npy_get_info(n, &info);
        assert_int_equal(info.rows, 7);
        assert_int_equal(info.dims, 3);
        assert_int_equal(dv_npy_read_f32(n, 0, 7, out, DV_SIMD_AUTO), DV_OK);
        for (int i = 0; i < 21; i++) {
            double x = i / 7.0 - 1;
            float want = k == 0 ? dv_f16_to_f32_scalar(dv_f32_to_f16((float)x)) : (float)x;
            /* numpy rounds f64 -> f16 directly; via f32 can differ by double rounding */
            if (k == 0) assert_true(fabsf(out[i] - want) <= 1e-3f);
            else assert_memory_equal(&out[i], &want, 4);
        }
        dv_npy_close(n);
        unlink(p);
    }
    /* numpy reads what we write */
    for (int i = 0; i < 21; i++) out[i] = (float)i * 0.5f;
    for (int dt = DV_NPY_F16; dt <= DV_NPY_F32; dt++) {
        fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(dv_npy_write_fd(fd, (dv_npy_dtype)dt, out, 7, 3, err, sizeof(err)), DV_OK);
        close(fd);
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c \"import numpy as np, sys; x = np.load('%s'); "
                 "sys.exit(0 if x.shape == (7, 3) and x.dtype == np.dtype('%s') and "
                 "(x.astype(np.float32).ravel() == np.arange(21) * 0.5).all() else 1)\"",
                 a, dt == DV_NPY_F16 ? "<f2" : "<f4");
        assert_int_equal(system(cmd), 0);
    }
    unlink(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_dict_forms),
        cmocka_unit_test(test_header_and_size_errors),
        cmocka_unit_test(test_f16_exhaustive),
        cmocka_unit_test(test_f32_to_f16_rounding),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_numpy_cross),
    };
    return cmocka_run_group_tests_name("npy", tests, NULL, NULL);
}
