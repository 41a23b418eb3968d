/* run.h - what the train command does, from its options to model.h5 and
 * predictions.h5: open the store, size the model (refusing one that does not fit),
 * train epoch by epoch through the loader, write both outputs atomically. */
#ifndef TG_TRAIN_RUN_H
#define TG_TRAIN_RUN_H

#include "error.h"
#include "rebin.h"
#include "trainer.h"

#include <stdint.h>

typedef struct {
    const char *store_path;
    const char *model_path;        /* default model.h5 */
    const char *predictions_path;  /* default predictions.h5 */
    int32_t steps;                 /* 0: the store's */
    tg_net_spec spec;              /* the model's kind and sizes (steps, cities and
                                      genres come from the store; 0: defaults) */
    tg_backend backend;
    int32_t epochs, batch;
    double lr, threshold;
    tg_transform transform;
    tg_balance balance;
    uint64_t seed;
    int threads;                   /* OpenBLAS threads; 0: OpenBLAS's default */
    uint64_t mem;                  /* memory budget; 0: 80 % of physical memory */
    int resume, force;
} tg_train_options;

/* Runs training. Returns TG_OK when done or up to date (said on stderr). Errors:
 * TG_ERR_LIMIT (the model does not fit: the message names the size and the options
 * that shrink it), TG_ERR_USAGE (options the store or a resumed model contradict),
 * and those of the store, loader and files. No output is left half-written. */
tg_code tg_train_run(const tg_train_options *o, tg_error *e);

#endif
