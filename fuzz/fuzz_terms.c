/* fuzz_terms.c - libFuzzer target for the caption-term list (scan --flag-terms) and the
 * matcher: the first line of the input is the term file, the rest captions to search. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/scan/scan_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    size_t tl = sep ? (size_t)(sep - data) : size;
    dv__terms *t = NULL;
    char err[256];
    int rc = dv__terms_parse("fuzz", data, tl, NULL, &t, err, sizeof err);
    if (rc != DV_OK) {
        if (t != NULL) abort();
        return 0;
    }
    if (sep) {
        /* captions: NUL-separated after the first NUL */
        const uint8_t *p = sep + 1, *end = data + size;
        while (p < end) {
            const uint8_t *q = memchr(p, 0, (size_t)(end - p));
            size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
            char *c = malloc(n + 1);
            const char *term = NULL;
            int k;
            if (!c) break;
            memcpy(c, p, n);
            c[n] = '\0';
            k = dv__terms_find(t, c, &term);
            if (k >= 0 && ((size_t)k >= dv__terms_count(t) || term == NULL)) abort();
            free(c);
            p = q ? q + 1 : end;
        }
    }
    dv__terms_free(t);
    return 0;
}
