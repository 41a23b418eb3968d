/* parallel.h - data-parallel training over MPI ranks (issue 9): the trainer's
 * tg_data_parallel backed by MPI_Allreduce, gradients summed through a host buffer. */
#ifndef TG_TRAIN_PARALLEL_H
#define TG_TRAIN_PARALLEL_H

#include "error.h"
#include "ranks.h"
#include "trainer.h"

#include <stddef.h>

/* What parallel.c keeps: the ranks and one host block of gradients. */
typedef struct {
    tg_mpi *mpi;
    float *grads;      /* [n_params] */
    size_t n_params;
    uint64_t bytes;    /* payload of the all-reduces so far (per rank, one way) */
} tg_parallel;

/* Fills dp (and p, its context) for this rank of mpi, for nets of n_params parameters.
 * Without MPI, or with one rank, dp is left for one process (parts 1) and nothing is
 * allocated. TG_ERR_NOMEM. */
tg_code tg_parallel_init(tg_parallel *p, tg_data_parallel *dp, tg_mpi *mpi, size_t n_params,
                         tg_error *e);
void tg_parallel_free(tg_parallel *p);

#endif
