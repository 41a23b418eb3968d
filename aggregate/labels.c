/* labels.c - the genre filter (the report's hypothesis 1): genres on fewer than
 * --min-albums labeled albums are dropped, the rest become the store's label columns. */
#include "labels.h"

#include <stdlib.h>
#include <string.h>

tg_code tg_labels_build(const tg_ingest_file *f, uint32_t min_albums, tg_labels *l, tg_error *e)
{
    memset(l, 0, sizeof *l);
    size_t G = f->n_genres, A = f->n_albums;
    l->n_genres = G;
    /* +1: calloc(0) may return NULL, which would read as a failure. */
    l->count = calloc(G + 1, sizeof *l->count);
    l->column = malloc((G + 1) * sizeof *l->column);
    l->kept = malloc((G + 1) * sizeof *l->kept);
    l->dropped = malloc((G + 1) * sizeof *l->dropped);
    if (l->count == NULL || l->column == NULL || l->kept == NULL || l->dropped == NULL) {
        tg_labels_free(l);
        return tg_fail(e, TG_ERR_NOMEM, "genre filter: out of memory for %zu genres", G);
    }
    for (size_t a = 0; a < A; a++) {
        if (f->release_day[a] == TG_INGEST_NO_RELEASE)
            continue;
        /* genre_indices of an album are sorted and distinct (ingest_file.h): no double count */
        for (int64_t k = f->genre_indptr[a]; k < f->genre_indptr[a + 1]; k++)
            l->count[f->genre_indices[k]]++;
        if (f->genre_indptr[a + 1] > f->genre_indptr[a])
            l->labeled_before++;
    }
    for (size_t g = 0; g < G; g++) {
        if (l->count[g] >= min_albums && l->count[g] > 0) {
            l->column[g] = (int32_t)l->n_kept;
            l->kept[l->n_kept++] = (int32_t)g;
        } else {
            l->column[g] = -1;
            if (l->count[g] > 0) /* a genre no album with a record holds was never a label */
                l->dropped[l->n_dropped++] = (int32_t)g;
        }
    }
    if (l->n_kept == 0) {
        tg_labels_free(l);
        return tg_fail(e, TG_ERR_LIMIT, "genre filter: no genre is on %u labeled albums or more "
                       "(lower --min-albums)", (unsigned)min_albums);
    }
    if (A > SIZE_MAX / l->n_kept || (l->labels = calloc(A * l->n_kept + 1, 1)) == NULL) {
        tg_labels_free(l);
        return tg_fail(e, TG_ERR_NOMEM, "genre filter: out of memory for %zu x %zu labels", A, l->n_kept);
    }
    for (size_t a = 0; a < A; a++) {
        if (f->release_day[a] == TG_INGEST_NO_RELEASE)
            continue;
        for (int64_t k = f->genre_indptr[a]; k < f->genre_indptr[a + 1]; k++) {
            int32_t col = l->column[f->genre_indices[k]];
            if (col >= 0)
                l->labels[a * l->n_kept + (size_t)col] = 1;
        }
        if (tg_labels_any(l, a))
            l->labeled++;
    }
    l->emptied = l->labeled_before - l->labeled;
    return TG_OK;
}

int tg_labels_any(const tg_labels *l, size_t a)
{
    const uint8_t *row = l->labels + a * l->n_kept;
    for (size_t g = 0; g < l->n_kept; g++)
        if (row[g])
            return 1;
    return 0;
}

void tg_labels_free(tg_labels *l)
{
    free(l->count);
    free(l->column);
    free(l->kept);
    free(l->dropped);
    free(l->labels);
    memset(l, 0, sizeof *l);
}
