/* json.h - eval's machine-readable output: every metric at full precision, as one JSON
 * document (schema in eval/README.md). */
#ifndef TG_EVAL_JSON_H
#define TG_EVAL_JSON_H

#include "error.h"
#include "metrics.h"
#include "model_file.h"

#include <stdio.h>

/* Writes m, sweep when it is not NULL, and history (model.h5's, as a "history" array
 * of per-epoch objects) when it is not NULL, to f. Numbers are printed with %.17g, so
 * they read back to the same double; an undefined value (NaN: an AP without positive
 * album, MAP or micro AP with none) is null. genre_names has m->n_genres entries.
 * Fails with TG_ERR_FORMAT when a name is not valid UTF-8, TG_ERR_NOMEM, or TG_ERR_IO
 * when f reports a write error. What was written before a failure stays in f (callers
 * write through tg_outfile, which then discards it). */
tg_code eval_json_write(FILE *f, const eval_metrics *m, const char *const *genre_names,
                        const eval_sweep *sweep, const tg_model_history *history, tg_error *e);

#endif
