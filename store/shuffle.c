/* shuffle.c - HDF5's byte shuffle and its inverse, for chunks this project compresses or
 * decodes itself (the ingest.h5 writer, the store's chunk reader). */
#include "shuffle.h"

/* Element-major loops (read one element, write its bytes to size streams) with the common
 * sizes as constants, so that the compiler unrolls the inner loop: the ingest.h5 writer
 * shuffles every row it writes. */
#define SHUFFLE_LOOP(SIZE)                                      \
    for (size_t i = 0; i < n; i++)                              \
        for (size_t b = 0; b < (SIZE); b++)                     \
            dst[b * n + i] = src[i * (SIZE) + b]
#define UNSHUFFLE_LOOP(SIZE)                                    \
    for (size_t i = 0; i < n; i++)                              \
        for (size_t b = 0; b < (SIZE); b++)                     \
            dst[i * (SIZE) + b] = src[b * n + i]

void tg_shuffle(const uint8_t *src, uint8_t *dst, size_t n, size_t size)
{
    if (size == 4)
        SHUFFLE_LOOP(4);
    else if (size == 8)
        SHUFFLE_LOOP(8);
    else
        SHUFFLE_LOOP(size);
}

void tg_unshuffle(const uint8_t *src, uint8_t *dst, size_t n, size_t size)
{
    if (size == 4)
        UNSHUFFLE_LOOP(4);
    else if (size == 8)
        UNSHUFFLE_LOOP(8);
    else
        UNSHUFFLE_LOOP(size);
}
