/* aggregate.h - the aggregate stage as a library call: ingest.h5 in, store.h5 out
 * (written under a temporary name and renamed only when all went well), with the
 * counters. main.c parses options and prints; this does the work.
 *
 * COUNTERS (printed, and stored in store.h5's /counters under these names). A row is
 * one of ingest.h5's rows: a distinct (album, day, city) with its counts summed.
 *   rows == rows_in_window + rows_before_release + rows_past_window + orphan_rows
 * albums: in the store (every album with a record; orphans have none and are left
 * out); albums_labeled + albums_unlabeled == albums == albums_train + albums_test
 * + albums_unlabeled; albums_emptied: had genres, lost all to the filter (they are
 * among albums_unlabeled); entries: nonzero (step, city) cells written. */
#ifndef TG_AGGREGATE_H
#define TG_AGGREGATE_H

#include "error.h"
#include "provenance.h"
#include "ranks.h"

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *input;           /* ingest.h5 */
    const char *output;          /* store.h5 */
    int32_t steps, window;       /* 1 <= steps <= window */
    int nstreams;                /* sum nstreams instead of nusers */
    uint32_t min_albums;         /* genre filter */
    double test_fraction;        /* in [0, 1] */
    uint64_t seed;               /* split seed */
    int progress;                /* draw a progress line (progress.h decides if shown) */
    int print_dropped;           /* list the dropped genres on stderr (display level 2) */
    size_t chunk_elems;          /* store chunk size; 0: the store's default (tests) */
    tg_mpi *mpi;                 /* NULL or not active: one process; else MPI below */
} tg_aggregate_opts;

/* MPI. With o->mpi active every rank calls tg_aggregate_run with the same options.
 * The rows of ingest.h5 are cut into P blocks of about N / P rows at album boundaries
 * (rank r: the albums from the one holding row r N / P; found by binary search on the
 * sorted album column); each rank reads and bins its block, rank 0 into the store
 * writer directly, the others into an anonymous temporary file of packed rows (album,
 * n, indices, values). Then the others stream theirs to rank 0 in rank order, which
 * appends them: the store is the one file a single process writes, byte for byte. The
 * genre filter and the split depend on the albums' metadata only, which rank 0 reads
 * whole, so they are the same whatever P. Row counters are summed over the ranks;
 * errors are agreed on (ranks.h) and the store renamed into place only when all
 * ranks succeeded. Why gather rather than parallel HDF5 or shards: README.md. */

typedef struct {
    uint64_t rows, rows_in_window, rows_before_release, rows_past_window, orphan_rows;
    uint64_t orphan_albums;
    uint64_t albums, albums_labeled, albums_unlabeled, albums_train, albums_test, albums_emptied;
    uint64_t genres, genres_kept, genres_dropped;
    uint64_t entries;
    /* with --value nstreams, from ingest.h5's counters (0 when it has none): trace records
     * without nstreams, which count 0 streams, out of all of them; not stored */
    uint64_t traces_without_nstreams, trace_records;
    double seconds;
} tg_aggregate_counts;

/* Runs the stage. prov must hold the parameters and o->input as its one input (this
 * hashes it and stores the text in the output). Returns TG_OK with the output in
 * place; otherwise the output was not changed and no temporary is left: TG_ERR_IO
 * (cannot open), TG_ERR_FORMAT (not an ingest.h5 of this schema, damaged),
 * TG_ERR_LIMIT (no genre kept, a sum over uint32, shape beyond the store's bounds),
 * TG_ERR_NOMEM, TG_ERR_LIBRARY. c is filled as far as the run went. */
tg_code tg_aggregate_run(const tg_aggregate_opts *o, tg_prov *prov, tg_aggregate_counts *c, tg_error *e);

/* Prints the counters on fp, then the line saying whether the rows add up. Returns 1
 * if they do. */
int tg_aggregate_print_counts(FILE *fp, const tg_aggregate_counts *c);

#endif
