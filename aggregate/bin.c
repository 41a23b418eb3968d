/* bin.c - binning days to steps and summing one album's rows per (step, city): one
 * dense accumulator over cities for the current step, flushed in city order. */
#include "bin.h"

#include <stdlib.h>
#include <string.h>

int tg_bin_of(int32_t day, int32_t release, int32_t steps, int32_t window, int32_t *bin)
{
    int64_t step = (int64_t)day - release; /* 64 bits: any two int32 days */
    if (step < 0)
        return TG_BIN_BEFORE;
    if (step >= window)
        return TG_BIN_PAST;
    *bin = (int32_t)(step * steps / window);
    return TG_BIN_IN;
}

tg_code tg_binner_init(tg_binner *b, int32_t steps, size_t n_cities, tg_error *e)
{
    memset(b, 0, sizeof *b);
    b->steps = steps;
    b->n_cities = n_cities;
    b->bin = -1;
    b->sum = calloc(n_cities + 1, sizeof *b->sum);
    b->touched = malloc((n_cities + 1) * sizeof *b->touched);
    if (b->sum == NULL || b->touched == NULL) {
        tg_binner_free(b);
        return tg_fail(e, TG_ERR_NOMEM, "binning: out of memory for %zu cities", n_cities);
    }
    return TG_OK;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Moves the current bin's sums to the album's entries, in city order. */
static tg_code flush_bin(tg_binner *b, const char *album_id, tg_error *e)
{
    if (b->n_touched == 0)
        return TG_OK;
    if (b->n + b->n_touched > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + b->n_touched)
            cap *= 2;
        int32_t *i = realloc(b->indices, cap * sizeof *i);
        if (i != NULL)
            b->indices = i;
        uint32_t *v = i != NULL ? realloc(b->values, cap * sizeof *v) : NULL;
        if (v == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "binning: album %s: out of memory for %zu entries", album_id, cap);
        b->values = v;
        b->cap = cap;
    }
    /* Within a day rows come in city order, but a bin spanning days mixes them. */
    qsort(b->touched, b->n_touched, sizeof *b->touched, cmp_u32);
    tg_code rc = TG_OK;
    for (size_t k = 0; k < b->n_touched; k++) {
        uint32_t c = b->touched[k];
        if (b->sum[c] > UINT32_MAX && rc == TG_OK)
            rc = tg_fail(e, TG_ERR_LIMIT, "album %s: step %d, city %u: sum %llu exceeds the store's "
                         "uint32 values", album_id, (int)b->bin, (unsigned)c, (unsigned long long)b->sum[c]);
        b->indices[b->n] = (int32_t)((int64_t)b->bin * (int64_t)b->n_cities + c);
        b->values[b->n++] = (uint32_t)b->sum[c];
        b->sum[c] = 0;
    }
    b->n_touched = 0;
    return rc;
}

tg_code tg_binner_add(tg_binner *b, int32_t bin, uint32_t city, uint64_t value, const char *album_id,
                      tg_error *e)
{
    if (bin < b->bin || bin >= b->steps || city >= b->n_cities)
        return tg_fail(e, TG_ERR_USAGE, "binning: album %s: bin %d after %d or city %u out of range", album_id,
                       (int)bin, (int)b->bin, (unsigned)city);
    if (bin != b->bin) {
        tg_code rc = flush_bin(b, album_id, e);
        if (rc != TG_OK)
            return rc;
        b->bin = bin;
    }
    if (value == 0 && b->sum[city] == 0)
        return TG_OK; /* a zero count adds no entry: the matrix is sparse in its values */
    if (b->sum[city] == 0)
        b->touched[b->n_touched++] = city;
    if (value > UINT64_MAX - b->sum[city])
        return tg_fail(e, TG_ERR_LIMIT, "album %s: step %d, city %u: sum overflows", album_id, (int)bin,
                       (unsigned)city);
    b->sum[city] += value;
    return TG_OK;
}

tg_code tg_binner_album(tg_binner *b, const int32_t **indices, const uint32_t **values, size_t *n,
                        const char *album_id, tg_error *e)
{
    tg_code rc = flush_bin(b, album_id, e);
    *indices = b->indices;
    *values = b->values;
    *n = b->n;
    b->n = 0;
    b->bin = -1;
    return rc;
}

void tg_binner_free(tg_binner *b)
{
    free(b->sum);
    free(b->touched);
    free(b->indices);
    free(b->values);
    memset(b, 0, sizeof *b);
}
