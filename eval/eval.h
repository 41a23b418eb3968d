/* eval.h - the eval stage as a library call: train's predictions.h5 (or a labels and a
 * scores CSV) in, the report's tables on stdout, JSON and HTML on request. main.c
 * parses options and prints errors; eval.c does the work. */
#ifndef TG_EVAL_EVAL_H
#define TG_EVAL_EVAL_H

#include "error.h"
#include "h5_input.h"

/* What the command line asked for, already checked by main (usage errors are its). A
 * path "-" is standard output, which then carries only that file. */
typedef struct {
    const char *files[2];     /* PREDICTIONS.h5, or LABELS.csv and SCORES.csv */
    int n_files;              /* 1 or 2 */
    eval_split split;         /* which albums of a predictions file (n_files == 1) */
    double threshold;         /* a genre is predicted when its score exceeds it */
    int threshold_given;      /* 0: a predictions file's own threshold replaces it */
    int sweeping;             /* --sweep: the metrics at from, from + step, ... to */
    double from, to, step;
    const char *json_path;    /* NULL when not asked for */
    const char *html_path;    /* NULL when not asked for */
    const char *model_path;   /* --model, or NULL: the model the predictions name */
    int decimals;             /* in the tables and the HTML, 0 to 17 */
} eval_options;

/* Runs the stage: reads --model's history first (failing on it is an error, before any
 * work on the predictions), then the input, computes the metrics and sweeps, prints the
 * tables (unless an output goes to stdout) and writes --json and --html, each through a
 * temporary file. A model only named by the predictions file that is missing,
 * unreadable or not the one that wrote them is a warning, not an error. Fails with the
 * readers' codes (messages naming the file), TG_ERR_USAGE when a report would replace
 * the predictions' model, TG_ERR_NOMEM or TG_ERR_IO; no output is left half-written. */
tg_code eval_run(const eval_options *o, tg_error *e);

#endif
