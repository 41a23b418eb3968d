/* clock.h - a monotonic nanosecond counter. Only differences between two readings
 * mean anything; it never goes backwards when the wall clock is set. */
#ifndef TG_CLOCK_H
#define TG_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tg_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with a valid clock id */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
