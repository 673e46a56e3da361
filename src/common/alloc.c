/* alloc.c - allocation through an optional caller-supplied dv_alloc.
 * Lets tests fail the Nth allocation without any global state. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

void *dv__malloc(const dv_alloc *a, size_t n)
{
    if (n == 0) n = 1;
    if (a != NULL && a->malloc_fn != NULL) return a->malloc_fn(a->opaque, n);
    return malloc(n);
}

void *dv__calloc(const dv_alloc *a, size_t count, size_t size)
{
    size_t n;
    void *p;
    if (!dv__mul_ok(count, size, &n)) return NULL;
    p = dv__malloc(a, n);
    if (p != NULL) memset(p, 0, n);
    return p;
}

void *dv__realloc(const dv_alloc *a, void *p, size_t n)
{
    if (n == 0) n = 1;
    if (a != NULL && a->realloc_fn != NULL) return a->realloc_fn(a->opaque, p, n);
    return realloc(p, n);
}

void dv__free(const dv_alloc *a, void *p)
{
    if (p == NULL) return;
    if (a != NULL && a->free_fn != NULL) {
        a->free_fn(a->opaque, p);
        return;
    }
    free(p);
}

int dv__mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

void dv_free_buffer(const dv_alloc *alloc, void *buf) { dv__free(alloc, buf); }
