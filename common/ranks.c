/* ranks.c - rank, size and launch detection, agreed errors, abort, counted transfers
 * (ranks.h). Without TG_HAVE_MPI only the single-process answers are compiled. */
#include "ranks.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

#ifdef TG_HAVE_MPI

tg_code tg_mpi_check(int mpi_rc, const char *what, tg_error *e)
{
    if (mpi_rc == MPI_SUCCESS)
        return TG_OK;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpi_rc, msg, &len) != MPI_SUCCESS)
        len = 0;
    msg[len] = '\0';
    return tg_fail(e, TG_ERR_LIBRARY, "%s failed: %s", what, len ? msg : "unknown MPI error");
}

tg_code tg_mpi_start(tg_mpi *m, int *argc, char ***argv, tg_error *e)
{
    memset(m, 0, sizeof *m);
    m->size = 1;
    if (!tg_mpi_launched())
        return TG_OK;
    int provided = 0;
    /* FUNNELED: ingest's parser threads never call MPI; only the main thread does */
    tg_code rc = tg_mpi_check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
                              "MPI_Init_thread", e);
    if (rc != TG_OK)
        return rc;
    m->active = 1;
    rc = tg_mpi_check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN),
                      "MPI_Comm_set_errhandler", e);
    if (rc == TG_OK)
        rc = tg_mpi_check(MPI_Comm_rank(MPI_COMM_WORLD, &m->rank), "MPI_Comm_rank", e);
    if (rc == TG_OK)
        rc = tg_mpi_check(MPI_Comm_size(MPI_COMM_WORLD, &m->size), "MPI_Comm_size", e);
    return rc;
}

void tg_mpi_finish(tg_mpi *m)
{
    if (m->active)
        (void)MPI_Finalize();
    m->active = 0;
}

tg_code tg_mpi_agree(tg_mpi *m, tg_code rc, tg_error *e)
{
    if (!m->active)
        return rc;
    int mine = rc != TG_OK ? m->rank : INT_MAX, first = INT_MAX;
    /* a failure of the agreement itself cannot be agreed on: end the job */
    tg_error local;
    tg_code arc = tg_mpi_check(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD),
                               "MPI_Allreduce (agreeing on errors)", &local);
    if (arc != TG_OK)
        tg_mpi_abort(m, "tracegenre", &local);
    if (first == INT_MAX)
        return TG_OK;
    tg_error shared;
    memset(&shared, 0, sizeof shared);
    if (m->rank == first) {
        shared = *e;
        shared.code = rc;
    }
    arc = tg_mpi_check(MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, first, MPI_COMM_WORLD),
                       "MPI_Bcast (agreeing on errors)", &local);
    if (arc != TG_OK)
        tg_mpi_abort(m, "tracegenre", &local);
    shared.msg[sizeof shared.msg - 1] = '\0';
    *e = shared;
    if (first != 0) {   /* rank 0's messages are the single-process ones; others say who */
        char msg[sizeof e->msg];
        memcpy(msg, e->msg, sizeof msg);
        tg_fail(e, shared.code, "rank %d: %.1000s", first, msg);
    }
    return shared.code;
}

void tg_mpi_abort(const tg_mpi *m, const char *prog, const tg_error *e)
{
    if (!m->active)
        return;
    fprintf(stderr, "%s: rank %d: %s\n", prog, m->rank, e->msg);
    fflush(stderr);
    (void)MPI_Abort(MPI_COMM_WORLD, 1);
    abort();   /* MPI_Abort does not return; should it, do not go on */
}

tg_code tg_mpi_send(tg_mpi *m, const void *buf, size_t len, int dest, int tag, tg_error *e)
{
    if (len > INT_MAX)
        return tg_fail(e, TG_ERR_LIMIT, "MPI message of %zu bytes (more than INT_MAX)", len);
    tg_code rc = tg_mpi_check(MPI_Send(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD),
                              "MPI_Send", e);
    if (rc == TG_OK && dest != m->rank)
        m->sent += len;
    return rc;
}

tg_code tg_mpi_recv(tg_mpi *m, void **buf, size_t *cap, size_t *len, int src, int tag,
                    tg_error *e)
{
    MPI_Status st;
    int n = 0;
    tg_code rc = tg_mpi_check(MPI_Probe(src, tag, MPI_COMM_WORLD, &st), "MPI_Probe", e);
    if (rc == TG_OK)
        rc = tg_mpi_check(MPI_Get_count(&st, MPI_BYTE, &n), "MPI_Get_count", e);
    if (rc != TG_OK)
        return rc;
    if ((size_t)n > *cap || *buf == NULL) {
        void *p = realloc(*buf, (size_t)n + 1);
        if (p == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory (an MPI message of %d bytes)", n);
        *buf = p;
        *cap = (size_t)n + 1;
    }
    rc = tg_mpi_check(MPI_Recv(*buf, n, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                      "MPI_Recv", e);
    *len = (size_t)n;
    if (rc == TG_OK && src != m->rank)
        m->received += (size_t)n;
    return rc;
}

tg_code tg_mpi_bcast(tg_mpi *m, void *buf, size_t len, int root, tg_error *e)
{
    if (!m->active)
        return TG_OK;
    if (len > INT_MAX)
        return tg_fail(e, TG_ERR_LIMIT, "MPI broadcast of %zu bytes (more than INT_MAX)", len);
    tg_code rc = tg_mpi_check(MPI_Bcast(buf, (int)len, MPI_BYTE, root, MPI_COMM_WORLD),
                              "MPI_Bcast", e);
    if (rc == TG_OK && m->size > 1) {
        if (m->rank == root)
            m->sent += len * (uint64_t)(m->size - 1);
        else
            m->received += len;
    }
    return rc;
}

#else /* no MPI in this build */

static int launched_size(void)
{
    const char *s = getenv("OMPI_COMM_WORLD_SIZE");
    return s != NULL ? atoi(s) : 1;
}

tg_code tg_mpi_start(tg_mpi *m, int *argc, char ***argv, tg_error *e)
{
    (void)argc;
    (void)argv;
    memset(m, 0, sizeof *m);
    m->size = 1;
    if (tg_mpi_launched() && launched_size() > 1)
        return tg_fail(e, TG_ERR_USAGE, "started by mpirun with %d ranks, but built without "
                       "MPI (meson option mpi; install libopenmpi-dev and reconfigure)",
                       launched_size());
    return TG_OK;
}

void tg_mpi_finish(tg_mpi *m)
{
    (void)m;
}

tg_code tg_mpi_agree(tg_mpi *m, tg_code rc, tg_error *e)
{
    (void)m;
    (void)e;
    return rc;
}

void tg_mpi_abort(const tg_mpi *m, const char *prog, const tg_error *e)
{
    (void)m;
    (void)prog;
    (void)e;
}

tg_code tg_mpi_bcast(tg_mpi *m, void *buf, size_t len, int root, tg_error *e)
{
    (void)m;
    (void)buf;
    (void)len;
    (void)root;
    (void)e;
    return TG_OK;
}

#endif

void tg_mpi_test_kill(const tg_mpi *m, const char *stage, const char *where)
{
    const char *spec = getenv("TG_MPI_TEST_KILL");
    if (spec == NULL || !m->active)
        return;
    char want[128];
    snprintf(want, sizeof want, "%s:%d:%s", stage, m->rank, where);
    if (strcmp(spec, want) == 0)
        raise(SIGKILL);
}
