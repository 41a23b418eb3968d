/* sweep.h - train's nbSteps sweep (issue 10): trains each model of a list at each
 * nbSteps of a list on one store, re-binned on the fly by the loader (the store is
 * opened once and never rebuilt), and writes one table of the test metrics, sizes and
 * costs per (model, steps) as text, CSV and JSON, plus an HTML page of eval's charts of
 * the metrics against nbSteps, one line per model (the report's figures 4.c.3-4.c.5).
 *
 * Each point is exactly a `train --steps N --model M` run with the same options: the
 * same pieces of run.c (spec, memory check, splits, epoch loop, test predictions) on a
 * fresh net from the same seed, so its numbers are that run's, bit for bit. A model
 * that is not built, or that does not fit the memory budget at some steps, is a
 * skipped row with the reason, not a failure. */
#ifndef TG_TRAIN_SWEEP_H
#define TG_TRAIN_SWEEP_H

#include "error.h"
#include "net.h"
#include "run.h"

#include <stddef.h>
#include <stdint.h>

#define TG_SWEEP_MAX_STEPS 100000 /* as train's --steps */
#define TG_SWEEP_MAX_MODELS 16

typedef struct {
    tg_train_options train;  /* every usual option; model_path, predictions_path, steps,
                                resume and spec.kind are not used */
    const int32_t *steps;    /* ascending, unique; NULL: the report's list, 1 to 30 and
                                the store's own steps (358 on the report's), capped at
                                the store's steps */
    size_t n_steps;
    const tg_net_kind *models; /* in the order of the table, unique */
    size_t n_models;
    const char *out_dir;     /* sweep.csv, sweep.json, sweep.html (each with a .prov
                                stamp), predictions-MODEL-STEPS.h5 and each trained
                                point's record point-MODEL-STEPS.txt go there; created
                                when missing */
} tg_sweep_options;

/* Parses LIST: comma-separated items, each N or A-B (A <= B), every number a plain
 * decimal in 1..TG_SWEEP_MAX_STEPS, e.g. "1-30,358". The result is sorted and without
 * duplicates (overlaps are fine: "1-30,28"). On success *steps is malloc'd (caller
 * frees) and *n >= 1; on failure TG_ERR_USAGE with a message naming the bad item, and
 * *steps is NULL. */
tg_code tg_sweep_parse_steps(const char *list, int32_t **steps, size_t *n, tg_error *e);

/* Parses a comma-separated list of model names (tg_net_kind_names) into kinds (room for
 * TG_SWEEP_MAX_MODELS), in the order given, a name given twice kept once. TG_ERR_USAGE
 * naming an unknown or empty name (the message lists the known ones). */
tg_code tg_sweep_parse_models(const char *list, tg_net_kind *kinds, size_t *n, tg_error *e);

/* Runs the sweep. Returns TG_OK when done or up to date (said on stderr); the table goes
 * to stdout. Each trained point is recorded in out_dir as soon as it is done; a point
 * whose record matches the store and options (and whose predictions file is the one
 * recorded) is taken from it rather than trained, unless train.force: so an interrupted
 * sweep resumes and writes the table of an uninterrupted one. A damaged or foreign
 * record is trained again with a warning. Errors: TG_ERR_USAGE (a step beyond the store's: the message names its
 * steps), TG_ERR_IO (the output folder or files), and those of the store, loader and
 * training; a point that cannot be built or does not fit is not an error. Outputs are
 * written atomically: a failure leaves the previous table files as they were (the
 * points' predictions already written stay, each complete). */
tg_code tg_sweep_run(const tg_sweep_options *o, tg_error *e);

#endif
