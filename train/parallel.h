/* parallel.h - data-parallel training over MPI ranks (issue 9): the trainer's
 * tg_data_parallel backed by MPI_Allreduce, gradients summed in place (CPU backend) or
 * through a host block (CUDA). */
#ifndef TG_TRAIN_PARALLEL_H
#define TG_TRAIN_PARALLEL_H

#include "error.h"
#include "ranks.h"
#include "trainer.h"

#include <stddef.h>

/* What parallel.c keeps: for a backend whose gradients are not on the host, one host
 * block of them. */
typedef struct {
    float *grads;      /* [the net's parameters], allocated on first use; NULL on the CPU
                          backend */
} tg_parallel;

/* Fills dp (and p, its context) for this rank of mpi.
 * Without MPI, or with one rank, dp is left for one process (parts 1). Allocates
 * nothing; never fails today (a code, for what a later exchange may need). */
tg_code tg_parallel_init(tg_parallel *p, tg_data_parallel *dp, tg_mpi *mpi, tg_error *e);
void tg_parallel_free(tg_parallel *p);

#endif
