/* dense_source.h - the train tests' in-memory batch source: albums held as dense float
 * rows of `width` columns, handed out as CSR batches with the zeros left out. */
#ifndef TG_TESTS_DENSE_SOURCE_H
#define TG_TESTS_DENSE_SOURCE_H

#include "trainer.h"

/* Fills out with the rows dense[albums[b] * width ...] for b < n; every column index is
 * moved by shift (0, or width to make a bad batch whose columns are out of range). */
static inline tg_code dense_fill(const float *dense, int width, int shift,
                                 const uint32_t *albums, int32_t n, tg_csr_buf *out,
                                 tg_error *e)
{
    tg_code rc = tg_csr_buf_reserve(out, n, (int64_t)n * width, e);
    if (rc != TG_OK)
        return rc;
    int64_t k = 0;
    out->indptr[0] = 0;
    for (int32_t b = 0; b < n; b++) {
        const float *row = dense + (size_t)albums[b] * (size_t)width;
        for (int j = 0; j < width; j++)
            if (row[j] != 0) {
                out->indices[k] = shift + j;
                out->values[k++] = row[j];
            }
        out->indptr[b + 1] = k;
    }
    out->rows = n;
    out->nnz = k;
    return TG_OK;
}

#endif
