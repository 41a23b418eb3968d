/* model_file.h - model.h5: a trained MLP's shape and configuration, its parameters as
 * DESIGN.md fixes them (W1 [inputs, hidden], b1 [hidden], W2 [hidden, genres],
 * b2 [genres], float32), Adam's state for --resume, and the per-epoch history.
 *
 *   /W1 /b1 /W2 /b2         float32, the layers (contiguous: floats barely compress)
 *   /adam/m /adam/v         float32 [n_params], the parameter block's layout
 *                           (W1, b1, W2, b2 flattened), attribute step (int64)
 *   /genres/name            UTF-8 strings [genres], the output columns
 *   /history/<column>       float64 [epochs] (epoch: int32): train_loss, test_loss,
 *                           test_map, test_macro_f1, seconds, loader_seconds
 *   root attributes         schema_version (1), inputs, hidden, genres, steps, cities
 *                           (int64), config (text: train's options), provenance (text) */
#ifndef TG_STORE_MODEL_FILE_H
#define TG_STORE_MODEL_FILE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define TG_MODEL_SCHEMA_VERSION 1

typedef struct {
    int64_t inputs, hidden, genres;
    int64_t steps, cities;   /* inputs = steps x cities */
    char *config;            /* "key=value\n" lines */
    char *provenance;
    char **genre_names;      /* [genres] */
} tg_model_meta;

typedef struct {
    size_t n;                /* epochs recorded */
    int32_t *epoch;
    double *train_loss, *test_loss, *test_map, *test_macro_f1, *seconds, *loader_seconds;
} tg_model_history;

/* Floats in the parameter block of that shape (same count as train's tg_mlp_param_count). */
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

/* Reads and validates path: schema version, every shape against the attributes, the
 * stored bytes of each dataset against its declared size before anything is allocated
 * (a crafted small file cannot ask for gigabytes), names count. Errors name the file
 * and the dataset. On failure out holds nothing to free. */
tg_code tg_model_file_read(const char *path, tg_model_file *out, tg_error *e);
void tg_model_file_free(tg_model_file *m);

/* Reads only the provenance attribute of path (for the up-to-date check, which must not
 * read a first layer of hundreds of MB). *text is malloc'd. TG_ERR_IO if path cannot be
 * opened as HDF5, TG_ERR_FORMAT if the attribute is missing. */
tg_code tg_model_file_provenance(const char *path, char **text, tg_error *e);
void tg_model_history_free(tg_model_history *h);

#endif
