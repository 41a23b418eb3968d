/* dates.h - calendar dates as day numbers (days since 1970-01-01, proleptic
 * Gregorian), so that a step is a subtraction. Only "YYYY-MM-DD" is accepted. */
#ifndef TG_DATES_H
#define TG_DATES_H

#include <stddef.h>
#include <stdint.h>

/* Parses exactly len bytes of "YYYY-MM-DD" (year 0001-9999, a real day of that month).
 * Returns 0 and sets *days, or -1 (and leaves *days alone) if malformed or impossible. */
int tg_date_parse(const char *s, size_t len, int32_t *days);

/* Day number of a valid civil date (no checking). */
int32_t tg_days_from_civil(int y, unsigned m, unsigned d);

/* Writes "YYYY-MM-DD" and a NUL into out (11 bytes) for a day number of years 1-9999. */
void tg_date_format(int32_t days, char out[11]);

/* 0 Monday ... 6 Sunday. */
int tg_weekday(int32_t days);

#endif
