/* tool.h - what the store command prints: `store info` (a summary of a store) and
 * `store dump` (its entries as CSV, re-binned on request). Output goes to a caller's stream. */
#ifndef TG_STORE_TOOL_H
#define TG_STORE_TOOL_H

#include "store.h"

#include <stdio.h>

/* Prints the summary of s (file_size bytes on disk) to out: albums (labeled,
 * unlabeled, train, test), release dates, genres with counts, dropped genres, cities,
 * steps, NNZ, file size and its ratio to the raw CSR arrays and to the dense int16
 * tensor A x steps x C x 2 bytes. Errors: TG_ERR_IO when out fails. */
tg_code tg_store_info_print(const tg_store *s, unsigned long long file_size, FILE *out, tg_error *e);

/* Writes "album_id,step,city,value" then one line per nonzero (album, bin, city), for
 * every album in order or only album (-1: all), with bin = floor(step * steps / s->steps)
 * (1 <= steps <= s->steps; steps == s->steps keeps the store's steps), rows sorted by
 * bin then city index, values summed over the steps of a bin, ids and city names
 * CSV-quoted when they hold a comma, quote or line break. Memory O(C), whatever the
 * row's length. Errors: TG_ERR_USAGE (steps out of range), those of tg_store_read,
 * TG_ERR_IO when out fails, TG_ERR_NOMEM. */
tg_code tg_store_dump(tg_store *s, long album, int32_t steps, FILE *out, tg_error *e);

#endif
