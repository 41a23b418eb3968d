/* rebin.c - re-binning and transforming one row (see rebin.h). Entries come sorted by
 * (step, city), and the output bin grows with the step, so a row is a sequence of
 * groups, one per output bin; each group is summed per city in a dense scratch row and
 * emitted in city order. */
#include "rebin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const tg_transform_names[] = {"raw", "log1p", NULL};

tg_code tg_rebin_scratch_init(tg_rebin_scratch *s, size_t n_cities, tg_error *e)
{
    s->n_cities = n_cities;
    s->acc = calloc(n_cities ? n_cities : 1, sizeof *s->acc);
    s->touched = malloc((n_cities ? n_cities : 1) * sizeof *s->touched);
    if (!s->acc || !s->touched) {
        tg_rebin_scratch_free(s);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for %zu cities", n_cities);
    }
    return TG_OK;
}

void tg_rebin_scratch_free(tg_rebin_scratch *s)
{
    free(s->acc);
    free(s->touched);
    s->acc = NULL;
    s->touched = NULL;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static float transform(double v, tg_transform t)
{
    return (float)(t == TG_TRANSFORM_LOG1P ? log1p(v) : v);
}

size_t tg_rebin_row(tg_rebin_scratch *s, int32_t steps_in, int32_t steps_out,
                    const int32_t *cols, const uint32_t *vals, size_t n, tg_transform t,
                    int32_t *out_cols, float *out_vals)
{
    const int64_t C = (int64_t)s->n_cities;
    size_t w = 0, i = 0;
    if (steps_out == steps_in) { /* nothing to merge: only the transform */
        for (; i < n; i++)
            if (vals[i] != 0) {
                out_cols[w] = cols[i];
                out_vals[w++] = transform(vals[i], t);
            }
        return w;
    }
    while (i < n) {
        int64_t bin = (int64_t)(cols[i] / C) * steps_out / steps_in;
        size_t touched = 0;
        for (; i < n && (int64_t)(cols[i] / C) * steps_out / steps_in == bin; i++) {
            int32_t city = (int32_t)(cols[i] % C);
            if (vals[i] == 0)
                continue; /* else a city could be listed twice while its sum is 0 */
            if (s->acc[city] == 0)
                s->touched[touched++] = city;
            s->acc[city] += vals[i];
        }
        qsort(s->touched, touched, sizeof *s->touched, cmp_i32);
        for (size_t k = 0; k < touched; k++) {
            int32_t city = s->touched[k];
            out_cols[w] = (int32_t)(bin * C + city);
            out_vals[w++] = transform(s->acc[city], t);
            s->acc[city] = 0;
        }
    }
    return w;
}
