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

int dv__dbuf_reserve(const dv_alloc *a, dv__dbuf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;
    if (extra > SIZE_MAX - b->len) return DV_ENOMEM;
    need = b->len + extra;
    if (need <= b->cap) return DV_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = dv__realloc(a, b->p, cap);
    if (p == NULL) return DV_ENOMEM;
    b->p = p;
    b->cap = cap;
    return DV_OK;
}

int dv__dbuf_append(const dv_alloc *a, dv__dbuf *b, const void *p, size_t n)
{
    DV_FORWARD_IF_ERROR(dv__dbuf_reserve(a, b, n));
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    return DV_OK;
}
