/* shuffle.h - HDF5's shuffle filter (H5Z_FILTER_SHUFFLE) done by hand: byte b of element i
 * goes to b * n + i, so zstd sees the high, mostly zero bytes of small numbers together. */
#ifndef TG_SHUFFLE_H
#define TG_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

/* dst[b * n + i] = src[i * size + b] for n elements of size bytes (what HDF5 stores). */
void tg_shuffle(const uint8_t *src, uint8_t *dst, size_t n, size_t size);

/* The inverse: dst[i * size + b] = src[b * n + i]. */
void tg_unshuffle(const uint8_t *src, uint8_t *dst, size_t n, size_t size);

#endif
