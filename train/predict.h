/* predict.h - genres for the albums that have none: a trained model (model.h5) applied
 * to a store's rows through the same loader and forward pass as training, written as
 * JSON lines {"album_id": "...", "genres": [["name", score], ...]}. */
#ifndef TG_TRAIN_PREDICT_H
#define TG_TRAIN_PREDICT_H

#include "error.h"

#include <stddef.h>

typedef struct {
    const char *model_path;
    const char *store_path;
    const char *output;          /* "-" for stdout */
    const char *const *albums;   /* ids to score; NULL: the store's unlabeled albums */
    size_t n_albums;
    int top;                     /* > 0: the top K genres; 0: those above the threshold */
    double threshold;            /* < 0: the model's (its config's threshold=) */
} tg_predict_options;

/* Scores and writes. Errors: TG_ERR_USAGE (an album id not in the store), TG_ERR_FORMAT
 * (the store's cities or genres differ from the model's, or it has fewer steps), and
 * those of the files. The output is written atomically (or to stdout). */
tg_code tg_predict_run(const tg_predict_options *o, tg_error *e);

#endif
