/* ranks.h - the one place that knows whether a program runs under mpirun: rank and size,
 * MPI_Init only when launched by Open MPI, errors agreed over all ranks, an abort path.
 * Built without MPI (meson option mpi) every call is the single-process answer. */
#ifndef TG_RANKS_H
#define TG_RANKS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef TG_HAVE_MPI
#include <mpi.h>
#endif

typedef struct {
    int active;       /* MPI_Init was called: the collective calls below talk to peers */
    int rank, size;   /* 0 and 1 when not active */
    uint64_t sent, received;   /* payload bytes this rank sent to / received from others */
} tg_mpi;

/* Whether Open MPI started this process (mpirun/prterun set OMPI_COMM_WORLD_SIZE,
 * PMIX_RANK). Why the environment and not MPI_Initialized: a program started by hand
 * must never call MPI_Init, so that its tests, sanitizer runs and valgrind runs see no
 * MPI at all. */
int tg_mpi_launched(void);

/* Starts MPI if launched (errors then come back as codes, MPI_ERRORS_RETURN), else
 * fills m as one process. A launch under mpirun with more than one rank of a build
 * without MPI is refused (TG_ERR_USAGE): P copies of the single-process program would
 * all write the same output. Returns TG_OK or TG_ERR_LIBRARY; m is usable either way. */
tg_code tg_mpi_start(tg_mpi *m, int *argc, char ***argv, tg_error *e);

/* MPI_Finalize when active. Never fails (a failing finalize changes nothing for us). */
void tg_mpi_finish(tg_mpi *m);

/* The end of a phase: every rank passes its rc; all get back the code and message of
 * the lowest rank that failed (TG_OK if none), so that all ranks take the same branch
 * and rank 0 can print the error wherever it happened. Collective. When not active,
 * returns rc unchanged. */
tg_code tg_mpi_agree(tg_mpi *m, tg_code rc, tg_error *e);

/* Prints "prog: rank R: msg" on stderr and ends the whole job (MPI_Abort, exit
 * status 1); when not active, returns (the caller exits as usual). For a rank that can
 * no longer reach the next agreement point. */
void tg_mpi_abort(const tg_mpi *m, const char *prog, const tg_error *e);

/* Test hook: when TG_MPI_TEST_KILL is "STAGE:RANK:WHERE" naming this stage, rank and
 * place, the process raises SIGKILL (as a crashed node would). Only under mpirun. */
void tg_mpi_test_kill(const tg_mpi *m, const char *stage, const char *where);

#ifdef TG_HAVE_MPI
/* Converts an MPI return code into TG_ERR_LIBRARY naming what was called. */
tg_code tg_mpi_check(int mpi_rc, const char *what, tg_error *e);

/* Bytes in, bytes out, counted in m (the exchanged volume the summary prints). The
 * counts are ints for MPI: a caller sends at most INT_MAX bytes at once. */
tg_code tg_mpi_send(tg_mpi *m, const void *buf, size_t len, int dest, int tag, tg_error *e);
/* Receives a message of any length from src with tag into *buf (realloc'd to fit,
 * *cap its room), its length in *len. */
tg_code tg_mpi_recv(tg_mpi *m, void **buf, size_t *cap, size_t *len, int src, int tag,
                    tg_error *e);
#endif

/* MPI_Bcast of len bytes from root (counted as sent by root, received by the others).
 * Collective. When not active: nothing to do, TG_OK. */
tg_code tg_mpi_bcast(tg_mpi *m, void *buf, size_t len, int root, tg_error *e);

#endif
