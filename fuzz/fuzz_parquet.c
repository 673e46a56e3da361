/* fuzz_parquet.c - libFuzzer target for the Parquet reader (footer thrift, pages, codecs,
 * encodings): opens a buffer, reads every flat column of every row group; broken promises abort.
 * Half the inputs are read with opts.wipe, whose dv_parquet_reader_wipe must zero the values. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_error_code(int rc)
{
    return rc == DV_ECORRUPT || rc == DV_EFORMAT || rc == DV_ETOOBIG || rc == DV_ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_parquet_reader_opts o;
    dv_parquet_reader *r = NULL;
    size_t ncols, nflat = 0, *cols;
    dv_parquet_batch *b;
    uint64_t *lens;
    char err[256];
    volatile uint8_t sink = 0; /* makes every byte handed out actually read */
    int rc;

    memset(&o, 0, sizeof(o));
    o.max_row_group_bytes = 64u << 20; /* claims of huge row groups are refused, not decoded */
    o.skip_crc = (int)(size & 1);      /* odd sizes get past CRCs into the decoders */
    o.wipe = (int)(size >> 1 & 1);     /* half the inputs: buffers zeroed on growth and free */
    err[0] = '\0';
    rc = dv_parquet_reader_open_buffer(data, size, "fuzz", &o, &r, err, sizeof(err));
    if (rc != DV_OK) {
        if (!is_error_code(rc) || err[0] == '\0' || r != NULL) abort();
        return 0;
    }
    ncols = dv_parquet_reader_num_columns(r);
    cols = calloc(ncols + 1, sizeof(*cols));
    b = calloc(ncols + 1, sizeof(*b));
    lens = calloc(ncols + 1, sizeof(*lens));
    if (cols == NULL || b == NULL || lens == NULL) abort();
    for (size_t i = 0; i < ncols; i++) {
        dv_parquet_column_info ci;
        if (dv_parquet_reader_column(r, i, &ci) != DV_OK || ci.name == NULL) abort();
        if (!ci.nested) cols[nflat++] = i;
    }
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r); g++) {
        rc = dv_parquet_reader_read_row_group(r, g, cols, nflat, b);
        if (rc != DV_OK) {
            if (!is_error_code(rc) || dv_parquet_reader_errmsg(r)[0] == '\0') abort();
            continue;
        }
        for (size_t i = 0; i < nflat; i++) {
            uint64_t rows = b[i].rows, nulls = 0;
            if (rows != dv_parquet_reader_row_group_rows(r, g)) abort();
            for (uint64_t k = 0; k < rows; k++) {
                dv_parquet_value v;
                if (dv_parquet_batch_value(&b[i], k, &v) != DV_OK) abort();
                nulls += (uint64_t)v.is_null;
                if (!v.is_null && v.len) sink ^= v.bytes[0] ^ v.bytes[v.len - 1];
            }
            if (nulls != b[i].null_count) abort();
            if (b[i].type == DV_PQ_BYTE_ARRAY && b[i].offsets[0] != 0) abort();
        }
        if (o.wipe) {
            /* byte array values are copies (never the caller's buffer): all zero now (the
             * offsets too, so their lengths are taken first) */
            for (size_t i = 0; i < nflat; i++)
                lens[i] = b[i].type == DV_PQ_BYTE_ARRAY ? b[i].offsets[b[i].rows] : 0;
            dv_parquet_reader_wipe(r);
            for (size_t i = 0; i < nflat; i++)
                for (uint64_t k = 0; k < lens[i]; k++)
                    if (b[i].data[k] != 0) abort();
        }
    }
    free(cols);
    free(b);
    free(lens);
    dv_parquet_reader_free(r);
    (void)sink;
    return 0;
}
