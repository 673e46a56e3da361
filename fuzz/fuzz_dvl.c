/* fuzz_dvl.c - libFuzzer target for opening .dvl lists from untrusted bytes (dv_list_open_buffer):
 * whatever opens is walked, searched and diffed; whatever fails must say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_list *l = NULL;
    dv_list_info in;
    char err[256];
    uint8_t *copy;
    int rc;

    /* an exact-size copy, so a read past the end is caught by AddressSanitizer */
    copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    err[0] = '\0';
    rc = dv_list_open_buffer(copy, size, &l, err, sizeof(err));
    if (rc != DV_OK) {
        if (rc != DV_ECORRUPT && rc != DV_EFORMAT && rc != DV_ENOMEM) abort();
        if (err[0] == '\0' || l != NULL) abort();
        free(copy);
        return 0;
    }
    dv_list_get_info(l, &in);
    if (in.format_version != 1 || in.type == DV_HT_NONE || in.name == NULL || in.version == NULL ||
        in.source == NULL)
        abort();
    if (in.count > size) abort();
    for (uint64_t i = 0; i < in.count; i++) {
        dv_list_entry e;
        if (dv_list_get_entry(l, i, &e) != DV_OK) abort();
        if ((const uint8_t *)e.key < copy || (const uint8_t *)e.key + e.keylen > copy + size)
            abort();
        if (dv_list_find(l, e.key, e.keylen) != (int64_t)i) abort();
        if (e.quality < -1 || e.quality > 100) abort();
        /* ids and labels are C strings inside the buffer (or the empty literal) */
        if (strlen(e.id) > size || strlen(e.label) > size) abort();
    }
    {
        dv_list_entry e;
        if (dv_list_get_entry(l, in.count, &e) != DV_ERANGE) abort();
    }
    if ((dv_list_pdq_codes(l) != NULL) != (in.type == DV_HT_PDQ)) abort();
    err[0] = '\0';
    rc = dv_list_verify(l, err, sizeof(err));
    if (rc != DV_OK && ((rc != DV_ECORRUPT && rc != DV_ENOMEM) || err[0] == '\0')) abort();
    {
        uint64_t add = 1, rem = 1;
        if (dv_list_diff(l, l, &add, &rem) != DV_OK || add != 0 || rem != 0) abort();
    }
    /* a key that is not there: all 0xff is above everything a sorted list may end with */
    {
        uint8_t k[32];
        memset(k, 0xff, sizeof(k));
        if (dv_list_find(l, k, in.type == DV_HT_URL ? 1 : dv_hash_type_size(in.type)) >= 0 &&
            in.count == 0)
            abort();
    }
    dv_list_close(l);
    free(copy);
    return 0;
}
