/* model_input.h - the training history eval charts: model.h5's per-epoch losses, test
 * MAP and macro F1 (store/model_file.h), and where the predictions file's model is. */
#ifndef TG_EVAL_MODEL_INPUT_H
#define TG_EVAL_MODEL_INPUT_H

#include "error.h"
#include "model_file.h"

/* Reads the history of the model.h5 at path (tg_model_file_read: every check of
 * model_file.h) and keeps only it: the parameters are freed at once. Fails with
 * TG_ERR_IO and errno's reason when path cannot be opened ("PATH: cannot open: No such
 * file or directory"), else as tg_model_file_read, every message naming path. On
 * success *out is the caller's (tg_model_history_free); on failure it is zeroed. The
 * history may hold no epoch (n == 0). */
tg_code eval_history_read(const char *path, tg_model_history *out, tg_error *e);

/* Where the model a predictions file names is: `named` as written (relative to the
 * working directory) if a file is there, else, when `named` is relative, the same
 * path beside predictions_path (train may have run elsewhere, and predictions.h5 and
 * model.h5 usually travel together). Returns a malloc'd path (caller frees), or NULL
 * when named is empty, neither place holds a file, or memory runs out. *tried_beside
 * (when not NULL) tells whether the place beside predictions_path was looked at. */
char *eval_model_locate(const char *named, const char *predictions_path, int *tried_beside);

#endif
