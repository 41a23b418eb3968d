/* progress.h - one progress line on stderr for long work: bytes (or items) done of
 * total, items per second, time left. Drawn only on a terminal (or a faked one) at display level
 * 2 or more, and redrawn at most 6 times a second, so it costs nothing in hot loops. */
#ifndef TG_PROGRESS_H
#define TG_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *label;   /* "ingest", "synth": printed first */
    const char *unit;    /* what items are: "rows", "records" */
    uint64_t total;      /* bytes expected; 0 when unknown (no percentage, no ETA) */
    uint64_t start_ns;
    uint64_t next_ns;    /* earliest time of the next redraw */
    int enabled;
    int drawn;           /* a line is on screen and must be ended */
    int counting;        /* done and total count items, not bytes */
} tg_progress;

/* Starts a progress line. total may be 0 (unknown). Never fails. */
void tg_progress_start(tg_progress *p, const char *label, const char *unit, uint64_t total);

/* Starts a progress line whose done and total count items (albums of an epoch), not
 * bytes. */
void tg_progress_start_items(tg_progress *p, const char *label, const char *unit,
                             uint64_t total);

/* Cheap to call often: returns at once unless 1/6 s has passed since the last draw. */
void tg_progress_update(tg_progress *p, uint64_t done, uint64_t items);

/* Clears the line so the next message starts on a clean line. */
void tg_progress_end(tg_progress *p);

/* Formats the text of one progress line (without '\r') into buf; exposed for tests.
 * elapsed_ns is the time since start. Returns buf. */
char *tg_progress_format(char *buf, size_t size, const char *label, const char *unit,
                         uint64_t done, uint64_t total, uint64_t items, uint64_t elapsed_ns);

/* The line of tg_progress_start_items: "epoch 3  45% 720/1600 albums 320 albums/s ETA 0:03". */
char *tg_progress_format_items(char *buf, size_t size, const char *label, const char *unit,
                               uint64_t done, uint64_t total, uint64_t elapsed_ns);

#endif
