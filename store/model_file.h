/* model_file.h - model.h5: a trained net's kind, configuration and parameter tensors
 * (the MLP's as DESIGN.md fixes them: W1 [inputs, hidden], b1 [hidden], W2 [hidden,
 * genres], b2 [genres], float32), Adam's state for --resume, and the per-epoch history.
 *
 *   /<tensor>               float32, one dataset per parameter tensor, named and shaped
 *                           by the net (contiguous: floats barely compress)
 *   /adam/m /adam/v         float32 [n_params], the parameter block's layout (the
 *                           tensors flattened in the order of the tensors attribute),
 *                           attribute step (int64)
 *   /genres/name            UTF-8 strings [genres], the output columns
 *   /cities/name            UTF-8 strings [cities], the input columns' cities in the
 *                           store's order (absent from files written before it was
 *                           recorded: see tg_model_file_fits_store)
 *   /history/<column>       float64 [epochs] (epoch: int32): train_loss, test_loss,
 *                           test_map, test_macro_f1, seconds, loader_seconds
 *   root attributes         schema_version (2), genres, steps, cities (int64), model
 *                           (text: mlp, logreg, ...), tensors (text: the tensor names in
 *                           block order, space-separated), config (text: train's
 *                           options), provenance (text) */
#ifndef TG_STORE_MODEL_FILE_H
#define TG_STORE_MODEL_FILE_H

#include "error.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define TG_MODEL_SCHEMA_VERSION 2
#define TG_MODEL_MAX_TENSORS 16
#define TG_MODEL_MAX_RANK 4

/* One parameter tensor of the block: name, shape (row-major). */
typedef struct {
    char name[24];
    int rank;
    int64_t dims[TG_MODEL_MAX_RANK];
} tg_model_tensor;

typedef struct {
    int64_t genres, steps, cities;
    char *model;             /* the net's kind */
    int n_tensors;
    tg_model_tensor tensors[TG_MODEL_MAX_TENSORS];
    char *config;            /* "key=value" lines */
    char *provenance;
    char **genre_names;      /* [genres] */
    /* [cities]: the store's city names, in its column order, that the first layer's
     * inputs were trained on; NULL: not recorded (a file written before they were, or a
     * writer that does not know them). Names rather than a hash of them: next to the
     * parameters they cost nothing (a few bytes a city against steps x hidden floats a
     * city in the MLP's W1), a mismatch can then be told column by column, and h5py
     * users can label W1's rows. */
    char **city_names;
} tg_model_meta;

typedef struct {
    size_t n;                /* epochs recorded */
    int32_t *epoch;
    double *train_loss, *test_loss, *test_map, *test_macro_f1, *seconds, *loader_seconds;
} tg_model_history;

/* Floats in the parameter block: the sum of the tensors' sizes. */
size_t tg_model_file_params(const tg_model_meta *meta);

/* Writes path atomically (a temporary renamed into place on success; removed on
 * failure, leaving an earlier file untouched). params, adam_m and adam_v are blocks of
 * tg_model_file_params floats (adam_m/adam_v may be NULL: no optimiser state, the
 * model cannot be resumed); history may be NULL. */
tg_code tg_model_file_write(const char *path, const tg_model_meta *meta, const float *params,
                            const float *adam_m, const float *adam_v, int64_t adam_step,
                            const tg_model_history *history, tg_error *e);

/* What tg_model_file_read fills; everything malloc'd, freed by tg_model_file_free. */
typedef struct {
    tg_model_meta meta;
    float *params;           /* [n_params] */
    float *adam_m, *adam_v;  /* NULL when the file holds no optimiser state */
    int64_t adam_step;
    tg_model_history history;
} tg_model_file;

/* Reads and validates path: schema version, the tensors (float32, rank 1 to 4, names of
 * letters, digits and '_', at most 2^40 floats in all), the
 * stored bytes of each dataset against its declared size before anything is allocated
 * (a crafted small file cannot ask for gigabytes), names count. Errors name the file
 * and the dataset. On failure out holds nothing to free. */
tg_code tg_model_file_read(const char *path, tg_model_file *out, tg_error *e);
void tg_model_file_free(tg_model_file *m);

/* Whether the store s (read from its path) has the input and output columns the model
 * meta (read from model_path) was trained on: the same number of cities, the same
 * cities in the same order when meta records them (a model written before it did is
 * checked by the count alone), the same genres in the same order. TG_ERR_FORMAT with
 * a message naming both files and the first difference; nothing changed either way. */
tg_code tg_model_file_fits_store(const tg_model_meta *meta, const char *model_path,
                                 const tg_store *s, tg_error *e);

/* Reads only the provenance attribute of path (for the up-to-date check, which must not
 * read a first layer of hundreds of MB). *text is malloc'd. TG_ERR_IO if path cannot be
 * opened as HDF5, TG_ERR_FORMAT if the attribute is missing. */
tg_code tg_model_file_provenance(const char *path, char **text, tg_error *e);
void tg_model_history_free(tg_model_history *h);

#endif
