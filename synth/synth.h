/* synth.h - report-calibrated synthetic traces: the world (world.h) written as trace
 * JSON in one of the layouts of spec/trace-format.md, plain or zstd-compressed, by
 * several threads with the same bytes whatever their number. */
#ifndef SYNTH_SYNTH_H
#define SYNTH_SYNTH_H

#include "error.h"
#include "traces.h"
#include "world.h"

#include <stdio.h>

typedef enum {
    SYNTH_NDJSON,  /* one record per line, albums interleaved with traces by date */
    SYNTH_ARRAY,   /* the same records in one top-level array */
    SYNTH_OBJECT,  /* {"albums": [...], "traces": [...]} */
    SYNTH_NESTED,  /* a top-level array of albums, each with its "traces" */
} synth_layout;

extern const char *const synth_layout_names[]; /* NULL-terminated, in enum order */

typedef struct {
    synth_world_config world;
    const char *output;    /* path, "-" for stdout; a ".zst" suffix compresses */
    synth_layout layout;
    unsigned threads;      /* >= 1 */
    int zstd_level;
    int discard;           /* generate and count, write nothing (--stats on an up-to-date output) */
} synth_config;

typedef struct {
    synth_counts counts;
    uint64_t bytes;              /* JSON text written (before compression) */
    uint64_t file_bytes;         /* bytes of the output file */
    uint32_t cities_with_traces;
    double seconds;
} synth_result;

/* Writes w as JSON to cfg->output atomically (temporary file renamed on success).
 * On failure no output is left behind. */
tg_code synth_write(const synth_world *w, const synth_config *cfg, synth_result *res, tg_error *e);

/* Prints the figures of what was written next to the report's (--stats). */
void synth_stats_print(FILE *f, const synth_world *w, const synth_config *cfg,
                       const synth_result *res);

#endif
