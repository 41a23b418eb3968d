/* h5_input.c - the evaluated rows of a predictions.h5: the albums of the chosen split,
 * moved out of what the store's reader returns. */
#include "h5_input.h"
#include "predictions.h"

#include <stdlib.h>
#include <string.h>

const char *const eval_split_choices[] = {"test", "train", "all", NULL};

static int selected(uint8_t code, eval_split which)
{
    switch (which) {
    case EVAL_SPLIT_TEST: return code == TG_SPLIT_TEST;
    case EVAL_SPLIT_TRAIN: return code == TG_SPLIT_TRAIN;
    case EVAL_SPLIT_ALL: return code == TG_SPLIT_TEST || code == TG_SPLIT_TRAIN;
    }
    return 0;
}

tg_code eval_h5_read(const char *path, eval_split which, eval_table *table, eval_h5_meta *meta,
                     tg_error *e)
{
    memset(table, 0, sizeof *table);
    memset(meta, 0, sizeof *meta);
    tg_predictions p;
    tg_code rc = tg_predictions_read(path, &p, e);
    if (rc != TG_OK)
        return rc;
    size_t n = 0, g = p.n_genres;
    for (size_t i = 0; i < p.n_albums; i++) {
        meta->in_file[p.split[i]]++; /* codes checked by the reader */
        n += selected(p.split[i], which);
    }
    if (n == 0) {
        rc = tg_fail(e, TG_ERR_FORMAT,
                     "%s: no album to evaluate with --split %s (the file has %zu train, %zu "
                     "test and %zu unlabeled albums)", path, eval_split_choices[which],
                     meta->in_file[TG_SPLIT_TRAIN], meta->in_file[TG_SPLIT_TEST],
                     meta->in_file[TG_SPLIT_UNLABELED]);
        tg_predictions_free(&p);
        return rc;
    }
    table->album_ids = calloc(n, sizeof *table->album_ids);
    table->labels = malloc(n * g);
    table->scores = malloc(n * g * sizeof *table->scores);
    if (table->album_ids == NULL || table->labels == NULL || table->scores == NULL) {
        free(table->album_ids);
        free(table->labels);
        free(table->scores);
        memset(table, 0, sizeof *table);
        tg_predictions_free(&p);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for %zu albums", path, n);
    }
    /* Ownership of the kept ids, the genre names and the model moves to the caller;
     * the pointers are cleared in p so that tg_predictions_free leaves them alone. */
    for (size_t i = 0, k = 0; i < p.n_albums; i++) {
        if (!selected(p.split[i], which))
            continue;
        memcpy(table->labels + k * g, p.labels + i * g, g);
        memcpy(table->scores + k * g, p.scores + i * g, g * sizeof *p.scores);
        table->album_ids[k++] = p.album_ids[i];
        p.album_ids[i] = NULL;
    }
    table->n_albums = n;
    table->n_genres = g;
    table->genre_names = p.genre_names;
    p.genre_names = NULL;
    meta->has_threshold = p.has_threshold;
    meta->threshold = p.threshold;
    meta->model_records = p.model_records;
    meta->model = p.model;
    p.model = NULL;
    tg_predictions_free(&p);
    return TG_OK;
}
