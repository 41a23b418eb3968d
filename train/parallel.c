/* parallel.c - the MPI side of data-parallel training (see parallel.h): the gradients
 * of every rank summed in place with MPI_Allreduce, so every rank takes the same step. */
#include "parallel.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef TG_HAVE_MPI
/* MPI counts are ints: a block of more than 2^31 floats goes in slices. */
#define SLICE ((size_t)1 << 30)

static tg_code sum_grads(void *ctx, tg_net *net, tg_error *e)
{
    tg_parallel *p = ctx;
    tg_code rc = net->ops->get_grads(net, p->grads, e);
    for (size_t at = 0; rc == TG_OK && at < p->n_params; at += SLICE) {
        size_t n = p->n_params - at < SLICE ? p->n_params - at : SLICE;
        rc = tg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, p->grads + at, (int)n, MPI_FLOAT, MPI_SUM,
                                        MPI_COMM_WORLD), "MPI_Allreduce (gradients)", e);
    }
    if (rc == TG_OK) {
        p->bytes += p->n_params * sizeof(float);
        rc = net->ops->set_grads(net, p->grads, e);
    }
    return rc;
}

static tg_code sum(void *ctx, double *values, int n, tg_error *e)
{
    tg_parallel *p = ctx;
    p->bytes += (uint64_t)n * sizeof(double);
    return tg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM,
                                      MPI_COMM_WORLD), "MPI_Allreduce (loss)", e);
}
#endif

tg_code tg_parallel_init(tg_parallel *p, tg_data_parallel *dp, tg_mpi *mpi, size_t n_params,
                         tg_error *e)
{
    memset(p, 0, sizeof *p);
    memset(dp, 0, sizeof *dp);
    dp->parts = 1;
    p->mpi = mpi;
#ifdef TG_HAVE_MPI
    if (mpi == NULL || !mpi->active || mpi->size < 2)
        return TG_OK;
    p->grads = malloc((n_params ? n_params : 1) * sizeof *p->grads);
    if (p->grads == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for the gradient exchange "
                       "(%zu floats)", n_params);
    p->n_params = n_params;
    dp->part = mpi->rank;
    dp->parts = mpi->size;
    dp->sum_grads = sum_grads;
    dp->sum = sum;
    dp->ctx = p;
#else
    (void)n_params, (void)e;
#endif
    return TG_OK;
}

void tg_parallel_free(tg_parallel *p)
{
    free(p->grads);
    memset(p, 0, sizeof *p);
}
