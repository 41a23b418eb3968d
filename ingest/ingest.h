/* ingest.h - the ingest stage as a library call: inputs in, ingest.h5 and its rejects
 * file out (written under temporary names and renamed only when all went well), with
 * the counters. main.c parses options and prints; this does the work.
 *
 * COUNTERS. Every record read lands in exactly one of album_records, album_duplicates,
 * trace_records and rejected:
 *   records == album_records + album_duplicates + trace_records + rejected,
 *   rejected == sum of rejected_by (records.h's reasons, then conflicting_duplicate).
 * orphan_traces (trace records whose album never got a record) are part of
 * trace_records: their rows are kept in ingest.h5 and aggregate leaves them out.
 * The conflicting record is the later one (the first record read stays). */
#ifndef TG_INGEST_H
#define TG_INGEST_H

#include "provenance.h"
#include "ranks.h"
#include "records.h"
#include "runs.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TG_REJ_CONFLICT TG_REJ_COUNT_    /* ingest's own reason, after records.h's */
#define TG_INGEST_REASONS (TG_REJ_COUNT_ + 1)

/* MEMORY. opts.mem is the budget of the whole stage, not of the row buffer alone: the
 * row buffer (runs.h, which also bounds the final merge) gets half of it, and the other
 * half is left for what grows with the data set's distinct keys (album, city and genre
 * dictionaries, the album table), the parser threads' per-range buffers, the input
 * chunks and HDF5's chunk cache. A full row buffer used to take the whole --mem, so
 * the default 256 MiB peaked at 266 MB at synth --scale 10; half keeps the default
 * within 160 MB there. */
#define TG_INGEST_MIN_MEM (2 * TG_RUNS_MIN_MEM)
#define TG_INGEST_ROW_MEM(mem) ((mem) / 2)
/* With threads > 1 the row buffer gives up 2 x threads x split more (at least
 * TG_RUNS_MIN_MEM is kept): two sets of ranges are held at once, and what a thread
 * keeps of a range (rows, album records, rejects) is about a quarter of its bytes on
 * synth's data, at most about their number for the shortest records (~40 bytes of
 * JSON for a 32-byte row), a range being at most split + max(split, 1 MiB) bytes
 * (THREADS). So --threads does not push the peak past the budget's intent: 10 MB more
 * per thread was measured before this. */

typedef struct {
    const char *const *inputs;   /* paths, "-" for stdin */
    size_t n_inputs;
    const char *output;          /* ingest.h5 */
    const char *rejects;         /* rejects file */
    size_t mem;                  /* the stage's whole memory budget, bytes (see below) */
    int strict;                  /* the first reject is an error */
    int progress;                /* draw a progress line (progress.h decides if shown) */
    unsigned threads;            /* parser threads (THREADS below); 0 or 1: one */
    size_t split;                /* bytes per thread's range (TG_INGEST_SPLIT) */
} tg_ingest_opts;

/* THREADS. With threads > 1, a plain file larger than one range is cut into ranges of
 * about opts.split bytes, each ending just past a '\n', and each range is parsed by its
 * own thread with its own yajl handle, into its own rows, dictionaries (in the range's
 * first-seen order) and list of album records and rejects. Ranges are merged in file
 * order by the calling thread (keys put in the range's order, album records and
 * rejects replayed in input order, rows renumbered), while the threads parse the next
 * ranges of a window of 2 x threads (a delayed thread holds up only its own range); so the dictionaries' numbering, the counters, the rejects file and ingest.h5
 * are byte-identical to a one-thread run whatever the number of threads. A cut is a
 * record boundary for NDJSON; for other layouts it may fall inside a value: then the
 * range before it does not parse whole, and so it is known. Whenever a range fails
 * (that, or malformed input, or --strict) nothing of it has reached the stage, and the
 * rest of the file from that range's start, a value boundary, is parsed by one
 * thread: so errors name the same file, byte and line as single-threaded, and a
 * top-level array or object file is read single-threaded after a few wasted ranges.
 * A range ends at the first '\n' past its opts.split bytes; when none comes within
 * max(split, 1 MiB) bytes more (a minified file on one line, or one huge record), the
 * rest of the file is parsed by one thread too, so that no thread holds an unbounded
 * part of it. .zst inputs and stdin are always parsed by one thread (a stream cannot be
 * split). */
#define TG_INGEST_SPLIT ((size_t)8 << 20)

typedef struct {
    uint64_t files, raw_bytes, bytes;
    uint64_t records, album_records, album_duplicates, trace_records, nested_traces;
    uint64_t traces_without_nstreams;     /* trace records with no nstreams (0 streams) */
    uint64_t rejected, rejected_by[TG_INGEST_REASONS];
    uint64_t unknown_keys;
    uint64_t orphan_albums, orphan_traces;
    uint64_t albums, cities, genres;      /* distinct (albums: with or without a record) */
    uint64_t rows;                         /* distinct (album, day, city) written */
    uint64_t spills, merge_passes, spill_bytes;   /* how the sort went (not stored) */
    double seconds;
} tg_ingest_counts;

/* Name of a reason of ingest's table (records.h's names, then "conflicting_duplicate"). */
const char *tg_ingest_reason_name(int reason);

/* Runs the stage over o->inputs, which must be prov's inputs in the same order (the
 * caller added its parameters and inputs; this sets each input's hash as it is read
 * and stores the finished text). Returns TG_OK with
 * both outputs in place; otherwise neither output was changed and no temporary is
 * left: TG_ERR_FORMAT (malformed input: "FILE: byte N, line L: ..."), TG_ERR_RECORD
 * (--strict), TG_ERR_IO, TG_ERR_NOMEM, TG_ERR_LIBRARY, TG_ERR_LIMIT. c is filled as far
 * as the run went. */
tg_code tg_ingest_run(const tg_ingest_opts *o, tg_prov *prov, tg_ingest_counts *c,
                      tg_error *e);

/* MPI. Under mpirun (ranks.h: m->active) every rank calls this with the same options
 * instead of tg_ingest_run, and gets the same result: rank 0 writes the outputs a
 * single process writes, byte for byte (rows, numbering, counters, rejects), and its c
 * has the single-process counters (other ranks': the sort's only). The input is cut
 * into pieces: a plain file whose first line is one JSON object (NDJSON) into P
 * line-aligned ranges (ingest.c's range cutting), range j to rank j; any other file
 * (array, object, .zst, stdin) whole, to the ranks in turn (stdin to rank 0). Each rank
 * parses its pieces single-threaded (--threads is not used), keeping of each piece its
 * dictionaries in first-seen order, its album records and rejects (as the threads do)
 * and writing its rows to an anonymous temporary file. Rank 0 merges the pieces' keys
 * and events in input order, exactly as the threads' ranges are merged, which makes the
 * global numbering the single-process one whatever P; it partitions the albums into P
 * contiguous blocks of about equal trace records and sends each rank its pieces'
 * renumbering. The rows then go to the rank owning their album (MPI_Alltoallv rounds),
 * which sorts and sums them in its --mem/2 row buffer; rank 0 writes its sorted rows,
 * then rank 1's as they come, and so on. A piece of a cut file that fails to parse is
 * judged by rank 0, which parses on from its start as the threads' fallback does: the
 * error (file, byte, line) is the single-process one; if no error comes, the cut fell
 * inside a value of a file that only looked like NDJSON, and that is the error. Errors
 * anywhere are agreed on by all ranks (ranks.h) and printed by rank 0; nothing is
 * renamed into place unless all ranks succeeded. xfer (rank 0: [2 P]) gets each rank's
 * bytes sent and received. */
tg_code tg_ingest_run_mpi(const tg_ingest_opts *o, tg_prov *prov, tg_mpi *m,
                          tg_ingest_counts *c, uint64_t *xfer, tg_error *e);

/* Prints the counters as a table on fp, ending with the line that says whether every
 * record landed in exactly one counter. Returns 1 if the counts add up. */
int tg_ingest_print_counts(FILE *fp, const tg_ingest_counts *c);

#endif
