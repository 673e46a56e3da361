/* fuzz_npz.c - libFuzzer target for the .npz (ZIP) reader over a buffer: listing, member choice
 * and opening every member; a success must be a matrix whose every row converts. Then the
 * rewriter of scan --clean (every other row dropped, into a memfd), whose output must list
 * again with the same members, the rows dropped, and be rewritable itself. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "datavet.h"
#include "../src/io/io_readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_open_rc(int rc, const dv_npy *n, const char *err)
{
    if (rc == DV_OK) return;
    if (n != NULL || err[0] == '\0') abort();
    if (rc != DV_EFORMAT && rc != DV_ECORRUPT && rc != DV_ETOOBIG && rc != DV_ENOMEM &&
        rc != DV_EINVAL)
        abort();
}

static void read_all(dv_npy *n, const dv_npz_member *m)
{
    dv_npy_info info;
    float one[1];
    dv_npy_get_info(n, &info);
    if (m != NULL && (info.rows != m->info.rows || info.dims != m->info.dims ||
                      info.dtype != m->info.dtype))
        abort();
    if (info.dims > 0 && info.dims <= 4096) {
        float row[4096];
        for (uint64_t i = 0; i < info.rows && i < 64; i++)
            if (dv_npy_read_f32(n, i, 1, row, (i & 1) ? DV_SIMD_SCALAR : DV_SIMD_AUTO) != DV_OK)
                abort();
    }
    if (dv_npy_read_f32(n, info.rows, 1, one, DV_SIMD_AUTO) != DV_ERANGE) abort();
}

static int drop_odd(void *ctx, uint64_t row)
{
    (void)ctx;
    return (int)(row & 1);
}

static int input_error(int rc)
{
    return rc == DV_EFORMAT || rc == DV_ECORRUPT || rc == DV_ETOOBIG || rc == DV_ENOMEM;
}

/* The rewriter over the archive of cnt members m (listed from it) with `rows` rows. */
static void rewrite(const uint8_t *data, size_t size, const dv_npz_member *m, size_t cnt,
                    uint64_t rows)
{
    char err[512];
    dv__npz_clean_opts o;
    uint64_t bytes = 0, kept = (rows + 1) / 2;
    uint8_t *out;
    dv_npz_member *m2 = NULL;
    size_t cnt2 = 0;
    int fd, rc, rc2;
    err[0] = '\0';
    rc = dv__npz_clean_check_buffer(data, size, rows, NULL, err, sizeof(err));
    if (rc != DV_OK && (!input_error(rc) || err[0] == '\0')) abort();
    fd = memfd_create("fuzz.npz", MFD_CLOEXEC);
    if (fd < 0) return;
    memset(&o, 0, sizeof(o));
    o.rows = rows;
    o.drop = drop_odd;
    o.force_zip64 = (int)(size & 1);
    err[0] = '\0';
    rc2 = dv__npz_clean_fd(data, size, fd, &o, NULL, &bytes, err, sizeof(err));
    /* what the check refuses the rewrite refuses alike; past it, only the data can fail */
    if (rc != DV_OK && rc2 != rc) abort();
    if (rc2 != DV_OK && (!input_error(rc2) || err[0] == '\0')) abort();
    if (rc2 != DV_OK || bytes > (64u << 20)) {
        close(fd);
        return;
    }
    out = malloc(bytes ? (size_t)bytes : 1);
    if (out == NULL || pread(fd, out, (size_t)bytes, 0) != (ssize_t)bytes) abort();
    close(fd);
    if (dv_npz_list_buffer(out, (size_t)bytes, NULL, &m2, &cnt2, err, sizeof(err)) != DV_OK ||
        cnt2 != cnt)
        abort();
    for (size_t i = 0; i < cnt; i++) {
        if (strcmp(m2[i].name, m[i].name) != 0 || m2[i].method != 0) abort();
        if (m[i].usable && (!m2[i].usable || m2[i].info.rows != kept ||
                            m2[i].info.dims != m[i].info.dims ||
                            m2[i].info.dtype != m[i].info.dtype))
            abort();
    }
    if (dv__npz_clean_check_buffer(out, (size_t)bytes, kept, NULL, err, sizeof(err)) != DV_OK)
        abort();
    dv_npz_list_free(NULL, m2);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    dv_npz_member *m = NULL;
    dv_npy *n = NULL;
    size_t cnt = 7, idx;
    int rc;
    err[0] = '\0';
    rc = dv_npz_list_buffer(data, size, NULL, &m, &cnt, err, sizeof(err));
    if (rc != DV_OK) {
        if (m != NULL || cnt != 0 || err[0] == '\0') abort();
        if (rc != DV_EFORMAT && rc != DV_ECORRUPT && rc != DV_ETOOBIG && rc != DV_ENOMEM) abort();
        /* opening fails the same way */
        if (dv_npz_open_buffer(data, size, NULL, NULL, &n, err, sizeof(err)) == DV_OK) abort();
        if (n != NULL) abort();
        return 0;
    }
    if (cnt > DV_NPZ_MAX_MEMBERS) abort();
    for (size_t i = 0; i < cnt && i < 16; i++) {
        const dv_npz_member *e = &m[i];
        if (e->name == NULL || (e->usable && e->problem[0] != '\0') ||
            (!e->usable && e->problem[0] == '\0') || e->offset >= size || e->csize > size)
            abort();
        err[0] = '\0';
        rc = dv_npz_open_buffer(data, size, e->name, NULL, &n, err, sizeof(err));
        check_open_rc(rc, n, err);
        /* a usable member opens unless it fails its CRC or inflate, or a name is shared */
        if (rc == DV_OK) {
            if (dv_npz_pick(m, cnt, e->name, &idx, err, sizeof(err)) != DV_OK) abort();
            read_all(n, &m[idx]);
            dv_npy_close(n);
            n = NULL;
        } else if (e->usable && e->method == 0 && rc != DV_ENOMEM &&
                   dv_npz_pick(m, cnt, e->name, &idx, err, sizeof(err)) == DV_OK && idx == i) {
            abort(); /* a stored, usable member has nothing left to fail on */
        }
    }
    err[0] = '\0';
    rc = dv_npz_open_buffer(data, size, NULL, NULL, &n, err, sizeof(err));
    check_open_rc(rc, n, err);
    if (rc == DV_OK) {
        if (cnt != 1) abort();
        read_all(n, NULL);
        dv_npy_close(n);
    } else if (cnt > 1 && rc != DV_EINVAL) {
        abort();
    }
    /* the rows of the first array, or a few, so that both outcomes are reached (not a
     * count of rows of no bytes that would take long to walk: the rewriter visits each) */
    rewrite(data, size, m, cnt,
            cnt > 0 && m[0].usable && m[0].info.rows <= (1u << 20) ? m[0].info.rows : size % 5);
    dv_npz_list_free(NULL, m);
    return 0;
}
