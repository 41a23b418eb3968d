/* runs.h - ingest's row buffer and external sort: trace rows (album, day, city, nusers,
 * nstreams) in, the same rows out sorted by (album, day, city) with identical keys
 * summed, in memory bounded by a budget whatever the number of rows.
 *
 * Rows are buffered up to the budget. A full buffer is sorted, its identical keys
 * summed, and spilled as a run: zstd frames of TG_RUN_BLOCK_ROWS rows appended to one
 * temporary file next to the output (registered with output_file.h, so a signal
 * removes it; its name says tmp, so a SIGKILL leaves nothing that looks finished).
 * Runs are merged HERE, not by aggregate: ingest.h5 holds one sorted table, so that
 * aggregate reads albums in order with no merge logic of its own and the file is
 * readable by anyone. The merge keeps one decoded block per run; when more runs exist
 * than the budget holds blocks for, groups of them are first merged into longer runs
 * (several passes), so memory stays within the budget. When nothing was spilled the
 * sorted buffer is read directly and no temporary file is ever created. */
#ifndef TG_RUNS_H
#define TG_RUNS_H

#include "error.h"
#include "ingest_row.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TG_RUN_BLOCK_ROWS 4096   /* rows per zstd frame: 128 KiB decoded */
#define TG_RUNS_MIN_MEM ((size_t)1 << 20)  /* room for 8 blocks: a merge of a few runs */

/* A row: album index (albums.h), day number (dates.h), city index, pad_ (zero), the
 * sums of nusers and nstreams. The writer's row type, so sorted blocks go to it as
 * they are. */
typedef tg_ingest_row tg_row;

typedef struct {
    uint64_t offset;    /* first block in the spill file */
    uint64_t rows;
} tg_run;

typedef struct tg_merge tg_merge;

typedef struct {
    tg_row *buf;                /* [cap] the buffer; NULL once merging started */
    size_t n, cap;
    size_t room;                /* rows of buf made ready (<= cap): tg_runs_add's limit */
    uint32_t max_album;         /* the largest album index in buf[0..n) (0 when n is 0) */
    size_t mem;                 /* the budget in bytes */
    const char *near;           /* the output path the spill file sits next to */
    char *tmp_path;             /* spill file, NULL until the first spill */
    FILE *fp;
    tg_run *runs;
    size_t n_runs, cap_runs;
    unsigned char *zbuf;        /* one compressed frame, shared by writes and reads */
    unsigned char *zbatch;      /* frames of a spill compressed by threads at once; NULL
                                   until a spill has threads to use */
    size_t zcap;
    struct ZSTD_DCtx_s *dctx;   /* decodes every block the merges read; NULL until one */
    tg_merge *merge;            /* the final merge, after tg_runs_finish */
    size_t mem_i;               /* next row of the buffer when nothing was spilled */
    uint64_t rows_in;           /* rows added */
    uint64_t spilled_rows;      /* rows written to runs (after summing), all passes */
    uint64_t spill_bytes;       /* compressed bytes written, all passes */
    unsigned passes;            /* intermediate merge passes */
    uint64_t spills;            /* runs spilled by the buffer */
    unsigned sort_threads;      /* threads a sort may use (0, 1: one); set after open */
} tg_runs;

/* Sets up r with a budget of mem bytes (at least TG_RUNS_MIN_MEM) and allocates its
 * buffer; near is the output path whose folder holds the spill file (kept, not
 * copied). Returns TG_OK, TG_ERR_NOMEM or TG_ERR_USAGE (budget too small); on error r
 * needs no tg_runs_close. */
tg_code tg_runs_open(tg_runs *r, size_t mem, const char *near, tg_error *e);

/* Makes room for a row: readies more of the buffer, or spills it when full (internal;
 * tg_runs_add calls it). */
tg_code tg_runs_make_room(tg_runs *r, tg_error *e);

/* Adds one row (pad_ must be 0). May spill: TG_ERR_IO, TG_ERR_NOMEM, TG_ERR_LIBRARY.
 * The hot path: a row with the key of the previous one is summed into it at once
 * (exports list a cell's age and platform groups one after the other: this halves the
 * buffer and the sort on synth's data), else a copy unless the buffer is full. */
static inline tg_code tg_runs_add(tg_runs *r, const tg_row *row, tg_error *e)
{
    if (r->n > 0) {
        tg_row *last = &r->buf[r->n - 1];
        if (last->album == row->album && last->day == row->day && last->city == row->city) {
            last->nusers += row->nusers;
            last->nstreams += row->nstreams;
            r->rows_in++;
            return TG_OK;
        }
    }
    if (r->n == r->room) {
        tg_code rc = tg_runs_make_room(r, e);
        if (rc != TG_OK)
            return rc;
    }
    r->buf[r->n++] = *row;
    r->max_album = row->album > r->max_album ? row->album : r->max_album;
    r->rows_in++;
    return TG_OK;
}

/* Ends the input: sorts what is buffered and prepares the merge (intermediate passes
 * included). No tg_runs_add after this. Errors: TG_ERR_IO, TG_ERR_NOMEM,
 * TG_ERR_LIBRARY, TG_ERR_FORMAT (a spilled frame does not read back). */
tg_code tg_runs_finish(tg_runs *r, tg_error *e);

/* The next block of the sorted, summed output: *rows points at *n rows (at most
 * TG_RUN_BLOCK_ROWS), valid until the next call; *n = 0 when there is none left. */
tg_code tg_runs_next_block(tg_runs *r, const tg_row **rows, size_t *n, tg_error *e);

/* Number of runs spilled by the buffer (0: everything fit in memory). */
uint64_t tg_runs_spills(const tg_runs *r);

/* Frees everything and removes the spill file. Accepts a closed r. Never fails. */
void tg_runs_close(tg_runs *r);

#endif
