/* stage.h - ingest's internals shared by the single-process stage (ingest.c) and its
 * MPI driver (ingest_mpi.c): the record sink, a parsed range, their merge. Not an API. */
#ifndef TG_INGEST_STAGE_H
#define TG_INGEST_STAGE_H

#include "albums.h"
#include "grow.h"
#include "ingest.h"
#include "intern.h"
#include "output_file.h"
#include "progress.h"
#include "provenance.h"
#include "runs.h"

#include <stdint.h>
#include <stdio.h>

/* Pending nested traces (records.h: album_id after "traces") of the one album record
 * open at a time are held here, then in an anonymous temporary file, until on_group
 * says which album they belong to. */
#define PEND_ROWS 65536

typedef struct {
    const tg_ingest_opts *o;
    tg_ingest_counts *c;
    tg_albums albums;
    tg_intern cities;
    tg_runs runs;
    FILE *rej;
    uint64_t conflicts;
    uint64_t group;             /* group of the pending rows, 0 if none */
    tg_row *pend;               /* [PEND_ROWS] */
    size_t pend_n;
    FILE *pend_fp;              /* overflow, created when needed */
    uint64_t pend_spilled;      /* rows in pend_fp */
    tg_progress prog;
    uint64_t done_bytes;        /* bytes of the inputs already parsed */
    uint64_t seen;              /* records delivered, for the progress line */
    tg_str *genre_view;         /* a replayed album record's genres (igs_merge_meta) */
    size_t genre_view_cap;
} sink_ctx;

/* What a thread keeps, in input order, of the records that need the whole data set's
 * state (duplicates, conflicts, --strict) or whose order is part of the output (the
 * rejects file): album records and rejects, replayed through on_album and on_reject
 * when its range is merged. Strings live in the arena (offsets: it moves as it grows). */
typedef struct {
    int is_album;
    uint64_t offset, line;             /* line relative to the range (line0 = 0) */
    size_t text, text_len, detail, detail_len, id, id_len;
    int truncated;
    tg_reject_reason reason;
    uint64_t count;
    int32_t release_day;
    size_t n_genres, genres;           /* arena offset of n_genres (size_t len, bytes) */
} par_event;

typedef struct {
    /* the range */
    const char *path;
    uint64_t start, len;
    int whole;                         /* MPI: parse the whole file (start, len unused) */
    /* results, local indices in first-seen order of the range */
    tg_albums albums;                  /* ids and trace counts only */
    tg_intern cities;
    tg_row *rows;
    size_t n_rows, cap_rows;
    tg_row *pend;                      /* pending nested traces of the open group */
    size_t n_pend, cap_pend;
    uint64_t group;
    par_event *ev;
    size_t n_ev, cap_ev;
    char *arena;
    size_t arena_len, arena_cap;
    tg_rec_counts counts;
    tg_code rc;
    tg_error err;
    int running;                       /* taken and not yet parsed (under par_state.mu) */
    FILE *rows_fp;                     /* MPI pieces: rows go on here (rows holds at most
                                          IGS_FLUSH_ROWS), NULL for thread ranges */
    uint64_t rows_out;                 /* rows written to rows_fp */
} par_worker;

/* Rows a worker with rows_fp keeps before writing them out: a piece of an MPI run is a
 * P-th of a file, so its rows may not all be held (2 MiB of rows). */
#define IGS_FLUSH_ROWS 65536

/* The sink's callbacks (ingest.c): what a single-process run does with each record. */
tg_code igs_on_album(void *ctx, const tg_album_rec *a, tg_error *e);
tg_code igs_on_reject(void *ctx, const tg_reject *r, tg_error *e);

/* Parses w's range (w->path, w->start, w->len) into w (thread entry; sets w->rc). */
void *igs_w_parse(void *arg);
/* Empties w for its next range; frees everything (w zeroed). */
void igs_w_reset(par_worker *w);
void igs_w_free(par_worker *w);
/* Writes the rows w holds to w->rows_fp. TG_ERR_IO. */
tg_code igs_w_flush_rows(par_worker *w, tg_error *e);

/* Adds a parse's counters to the stage's. */
void igs_add_counts(tg_ingest_counts *c, const tg_rec_counts *n);

/* The merge of a parsed range into the stage, rows aside (ingest.c's w_merge): keys put
 * in the range's first-seen order, album records and rejects replayed in input order
 * (so duplicates, conflicts, --strict and the rejects file are the single-process
 * ones), counters added. map[0..nc) gets the cities' new indices, then the albums'. */
tg_code igs_merge_meta(sink_ctx *s, par_worker *w, uint64_t line0, uint32_t **map,
                       size_t *map_cap, tg_error *e);

/* The end of a range that starts at start and should hold about want bytes (ingest.c's
 * range_end): just past a '\n', the file's size, or UINT64_MAX when no '\n' comes near. */
tg_code igs_range_end(int fd, const char *path, uint64_t start, uint64_t want, uint64_t size,
                      uint64_t *end, tg_error *e);

/* Counters that need the whole data set (duplicates, conflicts, orphans, distinct
 * keys), once every record went through the sink. */
void igs_finish_counts(sink_ctx *s);

/* Rows in key order for igs_write_output, a block a call: *rows points at *n rows,
 * valid until the next call; *n = 0 after the last. */
typedef tg_code (*igs_row_source)(void *ctx, const tg_row **rows, size_t *n, tg_error *e);

/* Writes ingest.h5 at tmp: rows from next (counted in s->c->rows), then s's
 * dictionaries, counters and prov_text. */
tg_code igs_write_output(sink_ctx *s, igs_row_source next, void *next_ctx, const char *tmp,
                         const char *prov_text, tg_error *e);

/* Records the rejects file, complete once every record went through the sink, as prov's
 * side output 0 (provenance.h): flushes rej's stream and identifies its temporary, which
 * tg_outfile_commit renames unchanged. Nothing for rejects on standard output.
 * TG_ERR_IO naming the rejects path. */
tg_code igs_record_rejects(tg_outfile *rej, tg_prov *prov, tg_error *e);

#endif
