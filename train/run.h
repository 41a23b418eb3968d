/* run.h - what the train command does, from its options to model.h5 and
 * predictions.h5: open the store, size the model (refusing one that does not fit),
 * train epoch by epoch through the loader, write both outputs atomically. */
#ifndef TG_TRAIN_RUN_H
#define TG_TRAIN_RUN_H

#include "error.h"
#include "model_file.h"
#include "predictions.h"
#include "provenance.h"
#include "ranks.h"
#include "rebin.h"
#include "store.h"
#include "trainer.h"

#include <stdint.h>

typedef struct {
    const char *store_path;
    const char *model_path;        /* default model.h5 */
    const char *predictions_path;  /* default predictions.h5 */
    int32_t steps;                 /* 0: the store's */
    tg_net_spec spec;              /* the model's kind and sizes (steps, cities and
                                      genres come from the store; 0: defaults); a
                                      conv_version other than 0 is the user's, which
                                      --resume checks against model.h5's */
    tg_backend backend;
    int32_t epochs, batch;
    double lr, threshold;
    tg_transform transform;
    tg_balance balance;
    uint64_t seed;
    int threads;                   /* OpenBLAS threads; 0: OpenBLAS's default */
    uint64_t mem;                  /* memory budget; 0: 80 % of physical memory */
    int resume, force;
    tg_mpi *mpi;                   /* under mpirun: data-parallel over its ranks (rank 0
                                      writes the outputs); NULL or inactive: one process */
} tg_train_options;

/* Runs training. Returns TG_OK when done or up to date (said on stderr); a store with no
 * test album gives model.h5 alone, and its rerun is up to date without predictions.h5.
 * Errors: TG_ERR_IO for an output that cannot be written (found before training),
 * TG_ERR_LIMIT (the model does not fit: the message names the size and the options
 * that shrink it), TG_ERR_USAGE (options the store or a resumed model contradict),
 * and those of the store, loader and files. No output is left half-written. */
tg_code tg_train_run(const tg_train_options *o, tg_error *e);

/* ---- The pieces of a run, for other drivers of the same training (sweep.c) ---- */

/* The net spec of o's model at steps (1 to the store's) for store s, its defaults
 * resolved, and its layout for batches of o->batch. TG_ERR_USAGE when steps is out of
 * the store's range (the message names the store's steps), the spec is invalid or the
 * model is not built; *spec and *layout are then not meaningful. */
tg_code tg_train_spec_for(const tg_train_options *o, const tg_store *s, int32_t steps,
                          tg_net_spec *spec, tg_net_layout *layout, tg_error *e);

/* The options that shape the result, as "key=value" lines (spec's text, then steps,
 * batch, lr, threshold, transform, balance, seed, threads, epochs): the config recorded
 * in model.h5 and the parameters of the provenance. Returns the length written, or -1
 * when buf is too small (buf's contents are then not meaningful). */
int tg_train_config_text(const tg_train_options *o, const tg_net_spec *spec, char *buf,
                         size_t size);

/* Adds each "key=value" line of config (as tg_train_config_text writes it) to prov as a
 * parameter. TG_ERR_NOMEM on failure, prov then holding some of them. */
tg_code tg_train_prov_params(tg_prov *prov, const char *config, tg_error *e);

/* The memory budget: o->mem, or 80 % of physical memory when it is 0. */
uint64_t tg_train_mem_limit(const tg_train_options *o);

/* Says (display level 2) what a net of layout l needs, and refuses it with TG_ERR_LIMIT
 * when that exceeds tg_train_mem_limit(o): the message names the size, the budget and
 * the options that shrink the model. On success *budget is what is left (the loader's
 * cache). Allocates nothing. */
tg_code tg_train_check_memory(const tg_train_options *o, const tg_net_spec *s,
                              const tg_net_layout *l, uint64_t *budget, tg_error *e);

/* The indices of the albums of split code (TG_SPLIT_*) in s, in store order, into *ids
 * (malloc'd, the caller frees; never NULL on success, even when *n is 0). TG_ERR_NOMEM. */
tg_code tg_train_split_ids(const tg_store *s, int code, uint32_t **ids, size_t *n, tg_error *e);

/* Trains m from epoch m->epoch up to o->epochs (Adam, loss and order as o says),
 * appending each epoch to h (which it may grow: the caller frees h) and printing it at
 * display level (with a heading line first; with dp over several processes, a column
 * of the time spent summing gradients). dp NULL: one process. Errors: those of
 * tg_train_epoch, and TG_ERR_NOMEM; the epochs done before stay in m and h. */
tg_code tg_train_epochs(tg_model *m, const tg_train_options *o, const tg_train_data *d,
                        tg_batch_source *src, const tg_data_parallel *dp, tg_model_history *h,
                        int level, tg_error *e);

/* Scores the albums test[0..n_test) with net into p, the test split's predictions.h5:
 * scores, labels and splits owned by p, album ids and genre names borrowed from s (valid
 * while s is open), threshold o->threshold, model o->model_path (may be NULL). Release
 * p with tg_train_predictions_release, never tg_predictions_free. On failure p holds
 * nothing to release. */
tg_code tg_train_predict_test(const tg_train_options *o, const tg_store *s, tg_net *net,
                              const uint32_t *test, size_t n_test, tg_batch_source *src,
                              tg_predictions *p, tg_error *e);
void tg_train_predictions_release(tg_predictions *p);

#endif
