/* stratify.h - the train/test split of the labeled albums: seeded iterative stratification
 * (Sechidis, Tsoumakas, Vlahavas, "On the stratification of multi-label data", ECML
 * PKDD 2011, Algorithm 1), so that every genre's test share is close to the fraction. */
#ifndef TG_AGG_STRATIFY_H
#define TG_AGG_STRATIFY_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* labels is [n_albums][n_genres] 0/1. Sets split[a] (TG_SPLIT_* of store/split.h) for
 * every album: TG_SPLIT_UNLABELED for albums with no label, TG_SPLIT_TRAIN or
 * TG_SPLIT_TEST for the others, about test_fraction (in [0, 1]) of them in test.
 * The same labels, fraction and seed give the same split on every machine. split is
 * unspecified on error. Errors: TG_ERR_USAGE (fraction out of range), TG_ERR_NOMEM. */
tg_code tg_split_stratify(const uint8_t *labels, size_t n_albums, size_t n_genres, double test_fraction,
                          uint64_t seed, uint8_t *split, tg_error *e);

#endif
