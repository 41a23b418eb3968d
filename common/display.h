/* display.h - how much the programs say on stderr, as zstd's CLI does: stdout carries
 * only results a user asked for; everything else is stderr, filtered by level. */
#ifndef TG_DISPLAY_H
#define TG_DISPLAY_H

#include <stdio.h>

/* 0 nothing, 1 errors, 2 results and warnings (default), 3 progress details, 4 info.
 * -q removes one level, -v adds one. */
extern int tg_display_level;

/* Set by the hidden flag --fake-stderr-is-console, so tests can see the progress bar. */
extern int tg_fake_console;

#define TG_DISPLAY(level, ...)                                                               \
    do {                                                                                     \
        if (tg_display_level >= (level))                                                     \
            fprintf(stderr, __VA_ARGS__);                                                    \
    } while (0)

/* 1 if stderr is a terminal (or faked to be one). */
int tg_stderr_is_console(void);

/* A byte count for people: "3.4 GB", "77.0 MB", "34.0 kB" (decimal units). Returns buf. */
char *tg_format_bytes(char *buf, size_t size, double bytes);

#endif
