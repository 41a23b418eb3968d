/* predictions.h - predictions.h5, what train writes and eval reads: every album's
 * genre scores, its true labels and split, the genre names, the threshold and model. */
#ifndef TG_PREDICTIONS_H
#define TG_PREDICTIONS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* Layout (schema version 1; eval/README.md documents it for users of h5py):
 *   /album_id   variable-length UTF-8 string [N]   non-empty
 *   /split      uint8 [N]: 0 train, 1 test, 2 unlabeled; attribute "names", the
 *               variable-length UTF-8 strings ["train", "test", "unlabeled"]
 *   /scores     float32 [N, G]: sigmoid scores in [0, 1]
 *   /labels     uint8 [N, G]: 0 or 1; all 0 for an unlabeled album (not meaningful)
 *   /genre      variable-length UTF-8 string [G]   non-empty
 *   root attributes: schema_version (uint32, 1), threshold (float64, optional: the
 *   threshold the model was tuned or trained with), model (variable-length UTF-8
 *   string, the model file's path, may be empty), model_records (uint8 1, optional:
 *   that model file records this file's size and XXH64 among the side outputs of its
 *   provenance, so a reader can tell whether the model there now is the one that wrote
 *   it; absent from files written before train recorded it, and from other writers').
 * Datasets are written contiguous and uncompressed: at 5 bytes per album and genre the
 * report's 1557 x 27 set takes 210 KB, and any HDF5 reader opens it without a plugin.
 * The reader also accepts chunked datasets, zstd-compressed ones included. */
#define TG_PREDICTIONS_SCHEMA_VERSION 1u

/* Split codes, as stored in /split. */
#include "split.h"

/* "train", "test", "unlabeled" for codes 0..2; NULL for any other code. */
const char *tg_split_name(unsigned code);

/* Bounds a reader checks the declared sizes against before it allocates anything:
 * far above any real set (the report's has 1557 albums and 51 genres before
 * filtering), low enough that a damaged or crafted header cannot ask for more than
 * about 10 GiB (scores and labels, 5 bytes a cell, at most 2^31 cells). */
#define TG_PREDICTIONS_MAX_ALBUMS ((size_t)1 << 30)
#define TG_PREDICTIONS_MAX_GENRES ((size_t)1 << 16)
#define TG_PREDICTIONS_MAX_CELLS ((size_t)1 << 31)

typedef struct {
    size_t n_albums;    /* N > 0 */
    size_t n_genres;    /* G > 0 */
    char **album_ids;   /* [N] UTF-8, non-empty */
    uint8_t *split;     /* [N] TG_SPLIT_* */
    float *scores;      /* [N, G] row-major, in [0, 1] */
    uint8_t *labels;    /* [N, G] row-major, 0 or 1 */
    char **genre_names; /* [G] UTF-8, non-empty */
    int has_threshold;  /* 0: no threshold attribute (threshold is then NaN) */
    double threshold;   /* in [0, 1] when present */
    char *model;        /* UTF-8 path, "" when none; never NULL in what read returns */
    int model_records;  /* 1: the model file records this file (attribute model_records);
                           0: it may not (attribute absent or 0) */
} tg_predictions;

/* Checks p against the layout's rules: sizes within the bounds above, ids and names
 * present, non-empty, valid UTF-8 and unique (no album id or genre name twice: the
 * message names the duplicate and both rows or columns), split codes known, scores
 * numbers in [0, 1], labels 0 or 1, threshold in [0, 1] when present, model_records 0
 * or 1. where names the
 * file in messages. Fails with TG_ERR_FORMAT (TG_ERR_LIMIT for sizes) naming the first
 * bad album by its id, or genre by its name; TG_ERR_NOMEM when the duplicate check's
 * set (4 to 16 bytes per album) cannot be allocated. Changes nothing in p. */
tg_code tg_predictions_check(const tg_predictions *p, const char *where, tg_error *e);

/* Writes p to path atomically: a temporary file beside it, renamed into place only
 * when every byte is written and synced (a failure or a signal leaves path as it was).
 * p is checked first (tg_predictions_check); model NULL is written as "".
 * Fails with TG_ERR_FORMAT/TG_ERR_LIMIT (p), TG_ERR_IO or TG_ERR_LIBRARY (HDF5). */
tg_code tg_predictions_write(const char *path, const tg_predictions *p, tg_error *e);

/* Reads and validates path: the schema version, each dataset's presence, class, size
 * and rank, shapes that agree ([N], [N, G], [G]), the split names, storage that
 * covers the declared sizes (sizes within the bounds above before any allocation),
 * then tg_predictions_check. Registers the zstd filter, so compressed files read.
 * Fails with TG_ERR_IO (cannot open), TG_ERR_FORMAT (a message naming the file and
 * the dataset, attribute, album or genre), TG_ERR_LIMIT, TG_ERR_NOMEM or
 * TG_ERR_LIBRARY. On success *out owns everything (tg_predictions_free); on failure
 * *out holds nothing to free. */
tg_code tg_predictions_read(const char *path, tg_predictions *out, tg_error *e);

/* Frees what tg_predictions_read allocated; *p is zeroed. NULL or zeroed is fine.
 * Only for what read returned: a writer's own arrays are its own. */
void tg_predictions_free(tg_predictions *p);

#endif
