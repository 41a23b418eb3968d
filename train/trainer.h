/* trainer.h - trains a net of net.h on batches of albums drawn from a batch source:
 * the epoch loop of the report (shuffled mini-batches, BCE with logits, Adam), the test
 * pass with eval's metrics, and the model state (parameters, gradients, Adam moments).
 * The batch source is an interface so that the store's loader (which prefetches on a
 * thread) and the tests' in-memory data plug in alike. */
#ifndef TG_TRAIN_TRAINER_H
#define TG_TRAIN_TRAINER_H

#include "error.h"
#include "net.h"

#include <stddef.h>
#include <stdint.h>

/* A growable CSR batch. */
typedef struct {
    int32_t rows, cap_rows;
    int64_t nnz, cap_nnz;
    int64_t *indptr;  /* [cap_rows + 1] */
    int32_t *indices; /* [cap_nnz] */
    float *values;    /* [cap_nnz] */
} tg_csr_buf;

/* Makes room for rows rows and nnz entries (keeps the contents). Returns TG_ERR_NOMEM
 * and leaves b as it was on failure; growth invalidates earlier pointers into b. */
tg_code tg_csr_buf_reserve(tg_csr_buf *b, int32_t rows, int64_t nnz, tg_error *e);
void tg_csr_buf_free(tg_csr_buf *b);

static inline tg_csr_batch tg_csr_view(const tg_csr_buf *b)
{
    tg_csr_batch x = {.rows = b->rows, .indptr = b->indptr, .indices = b->indices,
                      .values = b->values};
    return x;
}

/* Where batches come from. begin (may be NULL) announces a pass: the albums of
 * order[0..n) will be asked for in that order, in batches of batch, so a prefetching
 * source can work ahead. fill then sets out->rows = n and the rows of albums[0..n) in
 * that order, with column indices < the model's inputs, sorted and unique within a row,
 * and values already transformed (raw counts or log1p); it may swap out's arrays with
 * its own rather than copy. */
typedef struct {
    tg_code (*begin)(void *ctx, const uint32_t *order, size_t n, int32_t batch, tg_error *e);
    tg_code (*fill)(void *ctx, const uint32_t *albums, int32_t n, tg_csr_buf *out, tg_error *e);
    void *ctx;
} tg_batch_source;

/* The report's remedies for imbalance that act on the loss (seed, section 4.c). */
typedef enum {
    TG_BALANCE_NONE = 0,
    TG_BALANCE_POS_WEIGHT,    /* per-genre pos_weight = 1/count, normalised to sum to 1 */
    TG_BALANCE_SAMPLE_WEIGHT, /* per-album weight = mean of 1/count over its genres,
                                 normalised to sum to 1 over the training albums */
    /* The report's remedies that act on the data. m is the median count of the genres
     * present in training, r an album's rarest genre's count. */
    TG_BALANCE_OVERSAMPLE,    /* replication: an album appears ceil(m / r) times an epoch,
                                 at most 10 (so a genre on 5 albums is not copied 120x) */
    TG_BALANCE_UNDERSAMPLE,   /* deletion: an album whose rarest genre is above the median
                                 is kept with probability m / r, drawn anew each epoch */
} tg_balance;

extern const char *const tg_balance_names[]; /* in enum order, NULL-terminated */

/* Data parallelism (train under mpirun: run.c and parallel.c supply it). This process
 * is part `part` of `parts`: of every batch of nb albums it computes the rows
 * [part L, min((part + 1) L, nb)), L = ceil(batch / parts), with the loss scaled by its
 * share of the batch; sum_grads then adds every part's gradients into each part's, so
 * that all take the same Adam step from the same parameters; sum adds n doubles over
 * the parts. Only part 0 runs the test pass. */
typedef struct {
    int part, parts;
    tg_code (*sum_grads)(void *ctx, tg_net *net, tg_error *e);
    tg_code (*sum)(void *ctx, double *values, int n, tg_error *e);
    void *ctx;
} tg_data_parallel;

typedef struct {
    int32_t epochs;      /* report: 50 */
    int32_t batch;       /* report: 20 */
    tg_adam adam;        /* report: lr 1e-3, PyTorch's defaults otherwise */
    uint64_t seed;       /* initialisation and the order of every epoch */
    double threshold;    /* for the per-epoch macro F1 (report: 0.3) */
    tg_balance balance;
    const tg_data_parallel *dp; /* NULL: one process */
} tg_train_config;

/* Which albums train and test, and every album's labels. */
typedef struct {
    size_t n_albums;
    const uint8_t *labels;    /* [n_albums, genres] */
    const uint32_t *train;    /* album indices */
    size_t n_train;
    const uint32_t *test;
    size_t n_test;
} tg_train_data;

/* A net being trained: the net (parameters, gradients, Adam's moments and step) and the
 * epochs completed. */
typedef struct {
    tg_net *net;
    int32_t epoch;
} tg_model;

/* Builds m's net (tg_net_create) with epoch 0. On failure m holds nothing to free. */
tg_code tg_model_alloc(tg_model *m, const tg_net_spec *spec, tg_backend backend, int32_t batch,
                       uint64_t seed, int threads, tg_error *e);
void tg_model_free(tg_model *m);

typedef struct {
    int32_t epoch;         /* 1-based */
    double train_loss;     /* mean over the epoch's training albums */
    double test_loss;      /* NaN without test albums */
    double test_map;       /* NaN without test albums or defined APs */
    double test_macro_f1;  /* at cfg->threshold */
    double seconds;        /* the whole epoch, test pass included */
    double loader_seconds; /* time spent waiting for batches */
    double comm_seconds;   /* time spent summing gradients over processes (dp) */
} tg_epoch_stats;

/* One epoch: the training albums in an order drawn from (seed, epoch), in batches of
 * cfg->batch (the last one smaller, as PyTorch's DataLoader without drop_last), one
 * Adam step each; then the test pass. Same seed, same data: same bits. */
tg_code tg_train_epoch(tg_model *m, const tg_train_config *cfg, const tg_train_data *d,
                       const tg_batch_source *src, tg_epoch_stats *st, tg_error *e);

/* Sigmoid scores [n, genres] of albums[0..n) into scores, and their mean BCE loss
 * (unweighted) into *loss when loss is not NULL. batch <= the net's max_batch. */
tg_code tg_predict(tg_net *net, const uint32_t *albums, size_t n, const uint8_t *labels,
                   const tg_batch_source *src, int32_t batch, float *scores, double *loss,
                   tg_error *e);

#endif
