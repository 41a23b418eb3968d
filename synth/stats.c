/* stats.c - synth --stats: the figures of what was written, beside the report's. The
 * report's figures are its own (seed, section 3.b), printed for comparison only. */
#include "synth.h"

#include "dates.h"

#include <stdlib.h>
#include <string.h>

#define MIN_ALBUMS 5 /* the report's hypothesis 1: genres on fewer albums are dropped */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Characters (not bytes) in a UTF-8 string, for aligned columns. */
static int utf8_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * part / whole : 0.0; }

void synth_stats_print(FILE *f, const synth_world *w, const synth_config *cfg,
                       const synth_result *res)
{
    const synth_counts *c = &res->counts;
    uint32_t G = w->n_genres, A = w->n_albums;
    uint32_t *count = calloc(G, sizeof *count), *span = calloc(A, sizeof *span);
    uint32_t *order = calloc(G, sizeof *order);
    if (!count || !span || !order) {
        fprintf(f, "synth: out of memory for statistics\n");
        free(count), free(span), free(order);
        return;
    }
    uint32_t labeled = 0, kept_albums = 0, singles = 0, kept_genres = 0, multi = 0;
    uint32_t present = 0; /* genres on some album: those the output holds */
    int32_t last_release = INT32_MIN, first_trace = INT32_MAX, last_trace = INT32_MIN;
    for (uint32_t a = 0; a < A; a++) {
        const synth_album *al = &w->albums[a];
        labeled += al->n_labels > 0;
        multi += al->n_labels > 1;
        for (unsigned k = 0; k < al->n_labels; k++)
            count[al->labels[k]]++;
        if (al->release > last_release)
            last_release = al->release;
        /* days of data at disposal: from the release (or the export's first day) to the
         * export's last day, at most the 358-day window, as the report counts them */
        int32_t from = al->release > w->first_day ? al->release : w->first_day;
        span[a] = (uint32_t)(al->last_day - from + 1);
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        for (int32_t d = al->first_day; d <= al->last_day; d++)
            if (synth_quota(w, a, d)) {
                if (lo == INT32_MAX)
                    lo = d;
                hi = d;
            }
        if (lo < first_trace)
            first_trace = lo;
        if (hi > last_trace && lo <= hi)
            last_trace = hi;
    }
    for (uint32_t g = 0; g < G; g++) {
        present += count[g] > 0;
        singles += count[g] == 1;
        kept_genres += count[g] >= MIN_ALBUMS;
    }
    for (uint32_t a = 0; a < A; a++) {
        const synth_album *al = &w->albums[a];
        int kept = 0;
        for (unsigned k = 0; k < al->n_labels; k++)
            kept |= count[al->labels[k]] >= MIN_ALBUMS;
        kept_albums += kept;
    }
    qsort(span, A, sizeof *span, cmp_u32);
    int rap = -1;
    for (uint32_t g = 0; g < G; g++)
        if (strcmp(w->genres[g].name, "Rap/Hip Hop") == 0)
            rap = (int)g;
    char d0[11] = "-", d1[11] = "-", dr[11] = "-";
    if (first_trace != INT32_MAX) {
        tg_date_format(first_trace, d0);
        tg_date_format(last_trace, d1);
    }
    if (A)
        tg_date_format(last_release, dr);

    fprintf(f, "%-34s %-26s %s\n", "figure", "written", "report");
    fprintf(f, "%-34s %-26s %s\n", "output", cfg->output, "");
    fprintf(f, "%-34s %-26s %s\n", "layout", synth_layout_names[cfg->layout], "JSON export");
    char buf[64];
    snprintf(buf, sizeof buf, "%.1f MB", res->bytes / 1e6);
    fprintf(f, "%-34s %-26s %s\n", "JSON text", buf, "");
    snprintf(buf, sizeof buf, "%u", A);
    fprintf(f, "%-34s %-26s %s\n", "albums", buf, "1557");
    snprintf(buf, sizeof buf, "%u (%u unlabeled)", labeled, A - labeled);
    fprintf(f, "%-34s %-26s %s\n", "labeled albums", buf, "1543 (14 unlabeled)");
    snprintf(buf, sizeof buf, "%u", multi);
    fprintf(f, "%-34s %-26s %s\n", "albums with several genres", buf, "(multi-label)");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->rows);
    fprintf(f, "%-34s %-26s %s\n", "trace rows", buf, "2348509");
    snprintf(buf, sizeof buf, "%u (%u with traces)", w->n_cities, res->cities_with_traces);
    fprintf(f, "%-34s %-26s %s\n", "cities", buf, "2683");
    snprintf(buf, sizeof buf, "%.1f %%", pct(c->rows_paris, c->rows));
    fprintf(f, "%-34s %-26s %s\n", "rows in Paris", buf, "48 %");
    snprintf(buf, sizeof buf, "%.1f %%", pct(c->users_paris, c->users));
    fprintf(f, "%-34s %-26s %s\n", "users (nusers) in Paris", buf, "84 %");
    snprintf(buf, sizeof buf, "%.1f %%", pct(c->streams_paris, c->streams));
    fprintf(f, "%-34s %-26s %s\n", "streams in Paris", buf, "84 %");
    snprintf(buf, sizeof buf, "%llu (%.1f %%)", (unsigned long long)c->rows_unknown_age,
             pct(c->rows_unknown_age, c->rows));
    fprintf(f, "%-34s %-26s %s\n", "rows with age \"unknown\"", buf, "351390 (15.0 %)");
    snprintf(buf, sizeof buf, "%s .. %s", d0, d1);
    fprintf(f, "%-34s %-26s %s\n", "traces from .. to", buf, "2016-10-07 .. 2017-09-29");
    fprintf(f, "%-34s %-26s %s\n", "latest release", dr, "2017-07-28");
    snprintf(buf, sizeof buf, "%u / %u / %u", A ? span[0] : 0, A ? span[A / 2] : 0,
             A ? span[A - 1] : 0);
    fprintf(f, "%-34s %-26s %s\n", "days of data per album min/med/max", buf, "60 / - / 358");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->rows_pre_release);
    fprintf(f, "%-34s %-26s %s\n", "rows before their album's release", buf, "-");
    /* the world's genres on no album (a small --albums) are not in the output: counted,
     * they made synth's figure disagree with ingest's and aggregate's */
    snprintf(buf, sizeof buf, "%u", present);
    fprintf(f, "%-34s %-26s %s\n", "genres", buf, "51");
    snprintf(buf, sizeof buf, "%u", singles);
    fprintf(f, "%-34s %-26s %s\n", "genres on a single album", buf, "15");
    snprintf(buf, sizeof buf, "%u", rap >= 0 ? count[rap] : 0);
    fprintf(f, "%-34s %-26s %s\n", "albums of Rap/Hip Hop", buf, "627");
    snprintf(buf, sizeof buf, "%u (%u dropped)", kept_genres, present - kept_genres);
    fprintf(f, "%-34s %-26s %s\n", "genres with >= 5 albums", buf, "27 (24 dropped)");
    snprintf(buf, sizeof buf, "%u (%u dropped)", kept_albums, labeled - kept_albums);
    fprintf(f, "%-34s %-26s %s\n", "labeled albums left after that", buf, "1537 (6 dropped)");

    fprintf(f, "\nalbums per genre:\n");
    for (uint32_t g = 0; g < G; g++)
        order[g] = g;
    for (uint32_t i = 1; i < G; i++) /* by count, descending; stable */
        for (uint32_t j = i; j > 0 && count[order[j]] > count[order[j - 1]]; j--) {
            uint32_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (uint32_t i = 0; i < G && count[order[i]] > 0; i++) {
        uint32_t g = order[i];
        int pad = 28 - utf8_width(w->genres[g].name);
        fprintf(f, "  %s%*s %5u%s\n", w->genres[g].name, pad > 0 ? pad : 0, "", count[g],
                count[g] < MIN_ALBUMS ? "  (dropped by the >= 5 filter)" : "");
    }
    if (present < G)
        fprintf(f, "  (%u more genres of the world on no album: not in the output)\n",
                G - present);
    free(count);
    free(span);
    free(order);
}
