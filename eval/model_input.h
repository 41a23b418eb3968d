/* model_input.h - the training history eval charts: model.h5's per-epoch losses, test
 * MAP and macro F1 (store/model_file.h), where the predictions file's model is, and
 * whether it is the model that wrote them. */
#ifndef TG_EVAL_MODEL_INPUT_H
#define TG_EVAL_MODEL_INPUT_H

#include "error.h"
#include "model_file.h"

/* Reads the history of the model.h5 at path (tg_model_file_read: every check of
 * model_file.h) and keeps only it and, when provenance is not NULL, its provenance text
 * (for eval_model_wrote): the parameters are freed at once. Fails with TG_ERR_IO and
 * errno's reason when path cannot be opened ("PATH: cannot open: No such file or
 * directory"), else as tg_model_file_read, every message naming path. On success *out
 * and *provenance are the caller's (tg_model_history_free, free); on failure *out is
 * zeroed and *provenance NULL. The history may hold no epoch (n == 0). */
tg_code eval_history_read(const char *path, tg_model_history *out, char **provenance,
                          tg_error *e);

/* Whether a model.h5 is the one that wrote a predictions file, from what the two record:
 * train writes the predictions' size and XXH64 into model.h5's provenance, and the
 * attribute model_records into the predictions (store/predictions.h). */
typedef enum {
    EVAL_WROTE_YES,     /* the model's provenance lists the predictions file as it is */
    EVAL_WROTE_NO,      /* it lists other predictions, or none while the predictions
                           say their model records them: another model since */
    EVAL_WROTE_UNKNOWN, /* it lists none, and the predictions do not say it should: a
                           pair written before train recorded either, or other writers' */
} eval_wrote;

/* Decides eval_wrote for the model at model_path, whose provenance text is provenance,
 * and the predictions file at predictions_path, whose model_records attribute is
 * model_records: hashes that file (size and XXH64) and looks for it among the side
 * outputs the provenance lists, under whatever path (files move). On EVAL_WROTE_NO,
 * why gets one sentence naming both files; it is "" otherwise. Fails with TG_ERR_IO
 * naming predictions_path when that file cannot be read; *out is then unknown. */
tg_code eval_model_wrote(const char *provenance, const char *model_path,
                         const char *predictions_path, int model_records, eval_wrote *out,
                         char *why, size_t why_size, tg_error *e);

/* Where the model a predictions file names is: `named` as written (relative to the
 * working directory) if a file is there, else, when `named` is relative, the same
 * path beside predictions_path (train may have run elsewhere, and predictions.h5 and
 * model.h5 usually travel together). Returns a malloc'd path (caller frees), or NULL
 * when named is empty, neither place holds a file, or memory runs out. *tried_beside
 * (when not NULL) tells whether the place beside predictions_path was looked at. */
char *eval_model_locate(const char *named, const char *predictions_path, int *tried_beside);

#endif
