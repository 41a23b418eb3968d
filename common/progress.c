/* progress.c - the rate-limited progress line (see progress.h). */
#include "progress.h"

#include "clock.h"
#include "display.h"

#include <stdio.h>

#define REFRESH_NS (1000000000u / 6)

void tg_progress_start(tg_progress *p, const char *label, const char *unit, uint64_t total)
{
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->start_ns = tg_clock_ns();
    p->next_ns = p->start_ns + REFRESH_NS;
    p->enabled = tg_display_level >= 2 && tg_stderr_is_console();
    p->drawn = 0;
    p->counting = 0;
}

void tg_progress_start_items(tg_progress *p, const char *label, const char *unit, uint64_t total)
{
    tg_progress_start(p, label, unit, total);
    p->counting = 1;
}

static void human_count(char *buf, size_t size, double v)
{
    if (v >= 1e9)
        snprintf(buf, size, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, size, "%.2f M", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.1f k", v / 1e3);
    else
        snprintf(buf, size, "%.0f ", v);
}

/* "0:07" from seconds left, or "--:--" when nothing is done yet. */
static void format_eta(char *buf, size_t size, double frac, double secs)
{
    snprintf(buf, size, "--:--");
    if (frac > 0 && secs > 0) {
        unsigned long l = (unsigned long)(secs / frac - secs + 0.5);
        snprintf(buf, size, "%lu:%02lu", l / 60, l % 60);
    }
}

char *tg_progress_format(char *buf, size_t size, const char *label, const char *unit,
                         uint64_t done, uint64_t total, uint64_t items, uint64_t elapsed_ns)
{
    double secs = elapsed_ns / 1e9;
    char rate[32];
    human_count(rate, sizeof rate, secs > 0 ? items / secs : 0.0);
    if (total > 0) {
        double frac = done > total ? 1.0 : (double)done / (double)total;
        char eta[32];
        format_eta(eta, sizeof eta, frac, secs);
        snprintf(buf, size, "%s %3d%% %.1f/%.1f MB %s%s/s ETA %s", label, (int)(frac * 100),
                 done / 1e6, total / 1e6, rate, unit, eta);
    } else {
        snprintf(buf, size, "%s %.1f MB %s%s/s %.0fs", label, done / 1e6, rate, unit, secs);
    }
    return buf;
}

char *tg_progress_format_items(char *buf, size_t size, const char *label, const char *unit,
                               uint64_t done, uint64_t total, uint64_t elapsed_ns)
{
    double secs = elapsed_ns / 1e9;
    double frac = total == 0 ? 1.0 : done > total ? 1.0 : (double)done / (double)total;
    char rate[32], eta[32];
    human_count(rate, sizeof rate, secs > 0 ? done / secs : 0.0);
    format_eta(eta, sizeof eta, frac, secs);
    snprintf(buf, size, "%s %3d%% %llu/%llu %s %s%s/s ETA %s", label, (int)(frac * 100),
             (unsigned long long)done, (unsigned long long)total, unit, rate, unit, eta);
    return buf;
}

void tg_progress_update(tg_progress *p, uint64_t done, uint64_t items)
{
    if (!p->enabled)
        return;
    uint64_t now = tg_clock_ns();
    if (now < p->next_ns)
        return;
    p->next_ns = now + REFRESH_NS;
    char line[160];
    if (p->counting)
        tg_progress_format_items(line, sizeof line, p->label, p->unit, done, p->total,
                                 now - p->start_ns);
    else
        tg_progress_format(line, sizeof line, p->label, p->unit, done, p->total, items,
                           now - p->start_ns);
    fprintf(stderr, "\r%-79s", line);
    fflush(stderr);
    p->drawn = 1;
}

void tg_progress_end(tg_progress *p)
{
    if (p->drawn)
        fprintf(stderr, "\r%79s\r", "");
    p->drawn = 0;
}
