/* random_store.h - a small seeded random store held in memory, with every field the
 * writer takes, so that tests can write it and compare what is read back. */
#ifndef TG_TEST_RANDOM_STORE_H
#define TG_TEST_RANDOM_STORE_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t A, G, C, D;       /* albums, genres, cities, dropped genres */
    int32_t steps;
    char **ids;              /* [A]: some with a comma, a quote or non-ASCII UTF-8 */
    int32_t *release;        /* [A] */
    uint8_t *split;          /* [A] */
    uint8_t *labels;         /* [A][G] */
    int64_t *indptr;         /* [A+1]: every 4th album empty, album 1 long (several chunks) */
    int32_t *indices;        /* [NNZ] */
    uint32_t *data;          /* [NNZ] */
    char **genres;           /* [G] */
    uint32_t *genre_counts;  /* [G] column sums of labels */
    char **dropped;          /* [D] */
    uint32_t *dropped_counts;
    char **cities;           /* [C]: some needing CSV quotes */
} rstore;

/* Fills r from seed (aborts on allocation failure: test code). */
void rstore_make(rstore *r, uint64_t seed, size_t A, size_t C, int32_t steps, size_t G);
void rstore_free(rstore *r);

/* Writes r through the writer at path with chunks of chunk_elems entries. */
tg_code rstore_write(const rstore *r, const char *path, size_t chunk_elems, tg_error *e);

#endif
