/* fuzz_npy.c - libFuzzer target for the .npy header parser and reader over a buffer: a
 * success must describe exactly the bytes given, and every row must convert. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    dv_npy *n = NULL;
    dv_npy_info info;
    int rc;
    err[0] = 0;
    rc = dv_npy_open_buffer(data, size, NULL, &n, err, sizeof(err));
    if (rc != DV_OK) {
        if (n != NULL || err[0] == '\0') abort();
        if (rc != DV_EFORMAT && rc != DV_ECORRUPT && rc != DV_ETOOBIG && rc != DV_ENOMEM)
            abort();
        return 0;
    }
    dv_npy_get_info(n, &info);
    if (info.major < 1 || info.major > 3 || info.data_offset > size) abort();
    if (info.itemsize != (info.dtype == DV_NPY_F16 ? 2u : info.dtype == DV_NPY_F32 ? 4u : 8u))
        abort();
    if ((uint64_t)(size - info.data_offset) != info.rows * info.dims * info.itemsize) abort();
    if (info.dims > 0 && info.dims <= 4096) {
        float row[4096];
        for (uint64_t i = 0; i < info.rows && i < 64; i++) {
            if (dv_npy_read_f32(n, i, 1, row, (i & 1) ? DV_SIMD_SCALAR : DV_SIMD_AUTO) != DV_OK)
                abort();
        }
    }
    {
        float one[1];
        if (dv_npy_read_f32(n, info.rows, 1, one, DV_SIMD_AUTO) != DV_ERANGE) abort();
    }
    dv_npy_close(n);
    return 0;
}
