/* rebin.h - turns one album's stored row (columns step * C + city at the store's
 * resolution, raw counts) into the model's input row: steps re-binned on the fly with
 * bin = floor(step * N / S) (DESIGN.md: so an nbSteps sweep needs no new store), counts
 * of a bin summed, then transformed. Pure functions, shared by the loader and tests. */
#ifndef TG_TRAIN_REBIN_H
#define TG_TRAIN_REBIN_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TG_TRANSFORM_RAW = 0, /* the summed count as a float */
    TG_TRANSFORM_LOG1P,   /* log(1 + count): tames Paris's counts against small towns' */
} tg_transform;

extern const char *const tg_transform_names[]; /* "raw", "log1p", NULL */

/* Scratch space for one row: a dense per-city accumulator and the list of cities it
 * touched, reused from row to row. */
typedef struct {
    size_t n_cities;
    double *acc;       /* [C], zero between rows */
    int32_t *touched;  /* [C] */
} tg_rebin_scratch;

tg_code tg_rebin_scratch_init(tg_rebin_scratch *s, size_t n_cities, tg_error *e);
void tg_rebin_scratch_free(tg_rebin_scratch *s);

/* Re-bins the n entries of a row (cols strictly increasing, each < steps_in * C) from
 * steps_in to steps_out (1 <= steps_out <= steps_in) and writes the result, columns
 * strictly increasing, to out_cols/out_vals (room for n entries: re-binning never adds
 * any; zero counts are dropped, as they add nothing to the first layer). Returns the
 * number of entries written. Bins round down, so bin b of N covers
 * stored steps [ceil(b S / N), ceil((b + 1) S / N)). */
size_t tg_rebin_row(tg_rebin_scratch *s, int32_t steps_in, int32_t steps_out,
                    const int32_t *cols, const uint32_t *vals, size_t n, tg_transform t,
                    int32_t *out_cols, float *out_vals);

#endif
