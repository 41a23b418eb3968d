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
    /* The CPU backend's gradients are summed where they are; another backend's go
     * through a host block, allocated on first use (two copies of the block a step). */
    const size_t N = net->layout.n_params;
    float *g = tg_net_cpu_grads(net);
    tg_code rc = TG_OK;
    if (g == NULL) {
        if (p->grads == NULL && (p->grads = malloc(N * sizeof *p->grads)) == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for the gradient exchange "
                           "(%zu floats)", N);
        g = p->grads;
        rc = net->ops->get_grads(net, g, e);
    }
    for (size_t at = 0; rc == TG_OK && at < N; at += SLICE) {
        size_t n = N - at < SLICE ? N - at : SLICE;
        rc = tg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, g + at, (int)n, MPI_FLOAT, MPI_SUM,
                                        MPI_COMM_WORLD), "MPI_Allreduce (gradients)", e);
    }
    if (rc == TG_OK && g == p->grads)
        rc = net->ops->set_grads(net, g, e);
    return rc;
}

static tg_code sum(void *ctx, double *values, int n, tg_error *e)
{
    (void)ctx;
    return tg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM,
                                      MPI_COMM_WORLD), "MPI_Allreduce (loss)", e);
}
#endif

tg_code tg_parallel_init(tg_parallel *p, tg_data_parallel *dp, tg_mpi *mpi, tg_error *e)
{
    memset(p, 0, sizeof *p);
    memset(dp, 0, sizeof *dp);
    dp->parts = 1;
#ifdef TG_HAVE_MPI
    if (mpi == NULL || !mpi->active || mpi->size < 2)
        return TG_OK;
    dp->part = mpi->rank;
    dp->parts = mpi->size;
    dp->sum_grads = sum_grads;
    dp->sum = sum;
    dp->ctx = p;
#else
    (void)mpi; /* without MPI there is only ever one process */
#endif
    (void)e;
    return TG_OK;
}

void tg_parallel_free(tg_parallel *p)
{
    free(p->grads);
    memset(p, 0, sizeof *p);
}
