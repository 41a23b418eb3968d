/* labels.h - the genre filter: which genres become label columns of the store (those
 * on at least --min-albums labeled albums), each album's 0/1 labels over them. */
#ifndef TG_AGG_LABELS_H
#define TG_AGG_LABELS_H

#include "error.h"
#include "ingest_file.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n_genres;          /* genres of ingest.h5 */
    uint32_t *count;          /* [n_genres] albums with a release (not orphans) holding it */
    int32_t *column;          /* [n_genres] label column of a kept genre, -1 if dropped */
    size_t n_kept;            /* G: label columns, in ingest's genre order */
    int32_t *kept;            /* [n_kept] ingest genre index of each column */
    size_t n_dropped;
    int32_t *dropped;         /* [n_dropped] ingest genre indices, in ingest's order */
    uint8_t *labels;          /* [n_albums][n_kept] 0/1; orphans all 0 */
    uint64_t labeled_before;  /* albums with a release and at least one genre */
    uint64_t labeled;         /* ... with at least one kept genre */
    uint64_t emptied;         /* labeled_before - labeled: lost every genre to the filter */
} tg_labels;

/* Counts each genre over the albums that have an album record (orphans have no
 * genres and no place in the store) and keeps those on min_albums albums or more.
 * Albums without genres, or left with none, get all-zero labels (unlabeled). On
 * success the caller frees l with tg_labels_free; on error l needs nothing.
 * Errors: TG_ERR_LIMIT (no genre is kept: a store needs a label column),
 * TG_ERR_NOMEM. */
tg_code tg_labels_build(const tg_ingest_file *f, uint32_t min_albums, tg_labels *l, tg_error *e);

/* 1 if album a keeps at least one genre. */
int tg_labels_any(const tg_labels *l, size_t a);

/* Frees what l holds (a zeroed l is fine). Never fails. */
void tg_labels_free(tg_labels *l);

#endif
