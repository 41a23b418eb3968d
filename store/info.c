/* info.c - `store info`: what a store holds and how small it is next to the raw CSR
 * arrays and the dense int16 tensor the report tried to build (tool.h). */
#include "tool.h"

#include "dates.h"

#include <errno.h>

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0;
}

tg_code tg_store_info_print(const tg_store *s, unsigned long long file_size, FILE *out, tg_error *e)
{
    size_t by_split[3] = {0, 0, 0};
    for (size_t a = 0; a < s->n_albums; a++)
        by_split[s->split[a]]++;
    /* What the same matrix costs uncompressed: indptr int64, indices int32, data uint32. */
    double raw = (double)(s->n_albums + 1) * 8 + (double)s->nnz * 8;
    double dense = (double)s->n_albums * (double)s->steps * (double)s->n_cities * 2;
    fprintf(out, "store:     %s (schema 1)\n", s->path);
    fprintf(out, "albums:    %zu (labeled %zu: train %zu, test %zu; unlabeled %zu)\n", s->n_albums,
            by_split[0] + by_split[1], by_split[0], by_split[1], by_split[2]);
    if (s->n_albums > 0) {
        int32_t lo = s->release_day[0], hi = s->release_day[0];
        for (size_t a = 1; a < s->n_albums; a++) {
            lo = s->release_day[a] < lo ? s->release_day[a] : lo;
            hi = s->release_day[a] > hi ? s->release_day[a] : hi;
        }
        /* tg_date_format covers years 1-9999: days -719162 (0001-01-01) to 2932896. */
        char from[11] = "?", to[11] = "?";
        if (lo >= -719162 && hi <= 2932896) {
            tg_date_format(lo, from);
            tg_date_format(hi, to);
        }
        fprintf(out, "released:  %s to %s\n", from, to);
    }
    fprintf(out, "cities:    %zu\n", s->n_cities);
    fprintf(out, "steps:     %d over a window of %d days; value %s\n", (int)s->steps, (int)s->window_days,
            s->value_field);
    fprintf(out, "entries:   %llu nonzero (%.3g%% of albums x steps x cities)\n", (unsigned long long)s->nnz,
            100 * ratio((double)s->nnz, dense / 2));
    fprintf(out, "file:      %llu bytes\n", file_size);
    fprintf(out, "ratio:     raw CSR %.0f bytes / file = %.2f; dense int16 %.0f bytes / file = %.1f\n", raw,
            ratio(raw, (double)file_size), dense, ratio(dense, (double)file_size));
    fprintf(out, "split:     seed %llu\n", (unsigned long long)s->split_seed);
    fprintf(out, "genres:    %zu kept (albums)\n", s->n_genres);
    for (size_t g = 0; g < s->n_genres; g++)
        fprintf(out, "  %8u  %s\n", s->genre_counts[g], s->genre_names[g]);
    fprintf(out, "dropped:   %zu genres (albums)\n", s->n_dropped);
    for (size_t g = 0; g < s->n_dropped; g++)
        fprintf(out, "  %8u  %s\n", s->dropped_counts[g], s->dropped_names[g]);
    if (s->n_counters > 0)
        fprintf(out, "counters:  %zu\n", s->n_counters);
    for (size_t i = 0; i < s->n_counters; i++)
        fprintf(out, "  %s %llu\n", s->counter_names[i], (unsigned long long)s->counter_values[i]);
    if (fflush(out) != 0 || ferror(out))
        return tg_fail_errno(e, TG_ERR_IO, "cannot write the summary");
    return TG_OK;
}
