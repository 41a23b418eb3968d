/* bin.h - days since release into steps, and one album's rows summed per (step, city)
 * into a sorted sparse row for the store. Memory: O(cities + one album's entries). */
#ifndef TG_AGG_BIN_H
#define TG_AGG_BIN_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

enum { TG_BIN_IN = 0, TG_BIN_BEFORE = 1, TG_BIN_PAST = 2 };

/* Where day falls for an album released on release (both days since 1970-01-01):
 * TG_BIN_BEFORE if day < release, TG_BIN_PAST if day - release >= window, else
 * TG_BIN_IN with *bin = floor((day - release) * steps / window), in [0, steps).
 * Rounding down makes bin b exactly the days [ceil(b W / S), ceil((b+1) W / S)), the
 * rule train's loader and `store dump --steps` apply to a daily store, so re-binning
 * a store of S = W steps to N equals aggregating at N. Needs steps, window >= 1. */
int tg_bin_of(int32_t day, int32_t release, int32_t steps, int32_t window, int32_t *bin);

typedef struct {
    int32_t steps;
    size_t n_cities;
    uint64_t *sum;       /* [C] sums of the current bin, 0 where untouched */
    uint32_t *touched;   /* [C] cities of the current bin, in first-touch order */
    size_t n_touched;
    int32_t bin;         /* current bin, -1 before the album's first row */
    int32_t *indices;    /* [cap] the album's entries so far: bin * C + city, increasing */
    uint32_t *values;    /* [cap] */
    size_t n, cap;
} tg_binner;

/* Prepares b for rows of albums binned to steps over n_cities cities. On error b
 * needs nothing. Errors: TG_ERR_NOMEM. */
tg_code tg_binner_init(tg_binner *b, int32_t steps, size_t n_cities, tg_error *e);

/* Adds value to (bin, city) of the current album. Bins must not decrease within an
 * album (rows sorted by day give that); cities may come in any order within a bin.
 * Errors: TG_ERR_USAGE (bin decreased or out of range, city out of range),
 * TG_ERR_LIMIT (a sum exceeds the store's uint32; the message names album_id),
 * TG_ERR_NOMEM. */
tg_code tg_binner_add(tg_binner *b, int32_t bin, uint32_t city, uint64_t value, const char *album_id,
                      tg_error *e);

/* Closes the current album: *indices and *values (owned by b, valid until the next
 * add) get its n entries, indices strictly increasing; then b is ready for the next
 * album. Errors: as tg_binner_add. */
tg_code tg_binner_album(tg_binner *b, const int32_t **indices, const uint32_t **values, size_t *n,
                        const char *album_id, tg_error *e);

/* Frees what b holds (a zeroed b is fine). Never fails. */
void tg_binner_free(tg_binner *b);

#endif
