/* fuzz_hashfile.c - fuzz target for reading `datavet hash` output (TSV, CSV, JSONL).
 * Every record or error must come back without a crash, and errors must say why. */
#include "datavet.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_hashfile *hf = NULL;
    char err[256];
    dv_hash_record r;
    int rc, n = 0;
    if (dv_hashfile_open("fuzz", data, size, NULL, &hf, err, sizeof(err)) != DV_OK) {
        if (err[0] == '\0') abort();
        return 0;
    }
    while ((rc = dv_hashfile_next(hf, &r)) != 0 && n++ < 100000) {
        if (rc == 1) {
            if (r.path == NULL || r.path[0] == '\0') abort();
            if (r.quality > 100) abort();
        } else if (rc != DV_ECORRUPT || dv_hashfile_errmsg(hf)[0] == '\0') {
            abort();
        }
    }
    dv_hashfile_close(hf);
    return 0;
}
