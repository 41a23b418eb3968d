/* grow.h - room in a growable array: the one doubling rule of the stages' buffers.
 * Header-only: it sits on hot paths' slow branches. */
#ifndef TG_GROW_H
#define TG_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Grows *p (room for *cap elements of size bytes) to hold need elements, doubling from
 * *cap (or from 1024 when empty): 1, or 0 when out of memory (or when the bytes would
 * not fit a size_t), *p and *cap then unchanged. */
static inline int tg_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    size_t n = *cap ? *cap : 1024;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return 0;
        n *= 2;
    }
    if (n > SIZE_MAX / size)
        return 0;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return 0;
    *p = q;
    *cap = n;
    return 1;
}

#endif
