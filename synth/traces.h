/* traces.h - turns the world's row quotas into JSON text: the rows of one
 * (album, day) split over cities and age/platform groups, and album records, in the
 * record layouts of the trace format (flat records or albums with nested traces). */
#ifndef SYNTH_TRACES_H
#define SYNTH_TRACES_H

#include "error.h"
#include "world.h"

#include <stddef.h>
#include <stdint.h>

/* A growable text buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} synth_buf;

tg_code synth_buf_reserve(synth_buf *b, size_t extra, tg_error *e);

/* Counts of what was written, per thread then summed. */
typedef struct {
    uint64_t rows, rows_paris, rows_unknown_age, rows_pre_release;
    uint64_t users, users_paris, streams, streams_paris;
    uint64_t album_records;
} synth_counts;

/* Text that every row reuses, formatted once: JSON string literals of cities, ages
 * and platforms, and the dates of the period. */
typedef struct {
    char **city;          /* [C] "\"Paris\"" */
    uint16_t *city_len;
    int32_t day0;         /* date[i] is day0 + i */
    uint32_t n_days;
    char (*date)[11];
} synth_text;

tg_code synth_text_build(synth_text *t, const synth_world *w, tg_error *e);
void synth_text_free(synth_text *t);

/* Writes s as a JSON string literal (quotes included) into out (2 + 6 * strlen + 1 bytes
 * suffice). Returns the length. */
size_t synth_json_string(char *out, const char *s);

/* Per-thread generator state. */
typedef struct {
    const synth_world *w;
    const synth_text *t;
    uint32_t *city_stamp;  /* [C]: cells already used in the current (album, day) */
    uint32_t stamp;
    uint8_t *city_seen;    /* [C]: 1 if any row went to the city */
    synth_counts counts;
} synth_gen;

tg_code synth_gen_init(synth_gen *g, const synth_world *w, const synth_text *t, tg_error *e);
void synth_gen_free(synth_gen *g);

typedef enum {
    SYNTH_REC_NDJSON,     /* record, '\n' */
    SYNTH_REC_ARRAY,      /* ",\n" record (the writer drops the first comma of an array) */
    SYNTH_REC_NESTED,     /* ",\n  " record without album_id, inside an album's "traces" */
} synth_rec_style;

/* Appends the rows of album a on day d. For SYNTH_REC_NESTED, *first is 1 before the
 * album's first trace (no comma) and is cleared. */
tg_code synth_gen_rows(synth_gen *g, synth_buf *out, uint32_t a, int32_t d, synth_rec_style st,
                       int *first, tg_error *e);

/* Appends album a's record. For SYNTH_REC_NESTED the record is left open after
 * "\"traces\": [" and synth_close_album closes it. */
tg_code synth_album_record(const synth_world *w, synth_buf *out, uint32_t a, synth_rec_style st,
                           tg_error *e);
tg_code synth_close_album(synth_buf *out, tg_error *e);

#endif
