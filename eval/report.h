/* report.h - eval's tables on a terminal: the report's label-based and example-based
 * summaries side by side, the per-genre table, confusion matrices and a sweep. */
#ifndef TG_EVAL_REPORT_H
#define TG_EVAL_REPORT_H

#include "error.h"
#include "metrics.h"
#include "model_file.h"

#include <stdio.h>

/* Prints m as text to f: the two summary tables side by side (as in the seed report,
 * section 4.c), the per-genre table (Precision, Recall, F1, AvgP, Support; "—" where
 * AP is undefined), the one-vs-all confusion matrices one genre a line, and, when
 * sweep is not NULL, the threshold-dependent metrics at each threshold with the one
 * that maximises macro F1. genre_names has m->n_genres entries (UTF-8; columns are
 * aligned by characters). Values are rounded to decimals (0 to 17) places.
 * Fails with TG_ERR_IO when f reports a write error. */
tg_code eval_report_print(FILE *f, const eval_metrics *m, const char *const *genre_names,
                          const eval_sweep *sweep, int decimals, tg_error *e);

/* Prints model.h5's training history (h, read from the file named model) as a table:
 * epoch, train loss, test loss, test MAP, test macro F1 and seconds per epoch; "—"
 * where a value is undefined (NaN: e.g. no test split). Losses get at least 4
 * decimals, MAP and F1 decimals, seconds 1. More than 21 epochs: the first and last
 * 10, and a line saying how many were left out. A history without epoch prints only
 * its heading line. Fails with TG_ERR_IO when f reports a write error. */
tg_code eval_history_print(FILE *f, const char *model, const tg_model_history *h, int decimals,
                           tg_error *e);

#endif
