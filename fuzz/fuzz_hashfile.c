/* fuzz_hashfile.c - fuzz target for reading `datavet hash` output (TSV, CSV, JSONL).
 * Every record or error must come back without a crash, and errors must say why; the input
 * is read again streamed from a memfd at a longest line the first byte picks, and must give
 * what the in-memory reader gives at that limit, record for record and message for message. */
#define _GNU_SOURCE /* memfd_create */
#include "datavet.h"
#include "../src/match/list_internal.h" /* dv__hashfile_open_text */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One call's outcome in a few bytes, to compare the two readers by. */
typedef struct outcome {
    int rc;
    uint64_t line;
    unsigned have;
    int quality, ndihedral, ok;
    uint8_t md5[16], sha256[32];
    dv_pdq_hash pdq[DV_DIH_COUNT];
    char text[320]; /* the path, or the error message */
} outcome;

static size_t run(dv_hashfile *hf, outcome *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        dv_hash_record r;
        int rc = dv_hashfile_next(hf, &r);
        outcome *o = &out[n];
        if (rc == 0 || n == cap) break;
        memset(o, 0, sizeof(*o));
        o->rc = rc;
        if (rc == 1) {
            if (r.path == NULL || r.path[0] == '\0') abort();
            if (r.quality > 100) abort();
            o->line = r.line;
            o->have = r.have;
            o->quality = r.quality;
            o->ndihedral = r.ndihedral;
            o->ok = r.ok;
            memcpy(o->md5, r.md5, 16);
            memcpy(o->sha256, r.sha256, 32);
            memcpy(o->pdq, r.pdq, sizeof(r.pdq));
            snprintf(o->text, sizeof(o->text), "%s", r.path);
        } else if (rc != DV_ECORRUPT || dv_hashfile_errmsg(hf)[0] == '\0') {
            abort();
        } else {
            snprintf(o->text, sizeof(o->text), "%s", dv_hashfile_errmsg(hf));
        }
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_hashfile *hf = NULL, *hs = NULL;
    char err[256], err2[256];
    static outcome a[1024], b[1024];
    size_t max_line, na, nb;
    int rc, rc2, fd;
    /* the limit: 64 to ~8 KiB, so that windows turn over within a fuzzer's small inputs */
    max_line = size > 0 ? 64 + (size_t)data[0] * 32 : 0;
    rc = dv__hashfile_open_text("fuzz", data, size, max_line, NULL, &hf, err, sizeof(err));
    if (rc != DV_OK && err[0] == '\0') abort();
    fd = memfd_create("fuzz_hashfile", MFD_CLOEXEC);
    if (fd < 0) abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size) abort();
    if (lseek(fd, 0, SEEK_SET) != 0) abort();
    rc2 = dv_hashfile_open_fd("fuzz", fd, max_line, NULL, &hs, err2, sizeof(err2));
    if (rc2 != rc) abort();
    if (rc != DV_OK) {
        if (strcmp(err, err2) != 0) abort();
        close(fd);
        return 0;
    }
    if (dv_hashfile_has_dihedral(hf) != dv_hashfile_has_dihedral(hs)) abort();
    na = run(hf, a, sizeof(a) / sizeof(a[0]));
    nb = run(hs, b, sizeof(b) / sizeof(b[0]));
    if (na != nb) abort();
    for (size_t i = 0; i < na; i++)
        if (memcmp(&a[i], &b[i], sizeof(a[i])) != 0) abort();
    if (dv_hashfile_has_dihedral(hf) != dv_hashfile_has_dihedral(hs)) abort();
    dv_hashfile_close(hf);
    dv_hashfile_close(hs);
    close(fd);
    return 0;
}
