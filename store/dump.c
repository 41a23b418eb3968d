/* dump.c - `store dump`: a store's entries as CSV album_id,step,city,value, re-binned
 * to fewer steps on the fly as the trainer does (tool.h). */
#include "tool.h"

#include <stdlib.h>
#include <string.h>

/* Entries read from a row at a time: bounded memory for rows of any length. */
#define DUMP_BLOCK 65536

static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint64_t *sum;    /* [C] for the current bin */
    size_t *touched;  /* [C] cities with a sum, in arrival order */
    size_t n_touched;
} bin_acc;

/* Prints the current bin's cities in index order and clears them. */
static void emit(const tg_store *s, const char *id, long bin, bin_acc *b, FILE *out)
{
    qsort(b->touched, b->n_touched, sizeof *b->touched, cmp_size);
    for (size_t i = 0; i < b->n_touched; i++) {
        size_t c = b->touched[i];
        csv_field(out, id);
        fprintf(out, ",%ld,", bin);
        csv_field(out, s->city_names[c]);
        fprintf(out, ",%llu\n", (unsigned long long)b->sum[c]);
        b->sum[c] = 0;
    }
    b->n_touched = 0;
}

/* Columns of a row increase, so steps do, and so do bins: one bin is a contiguous run. */
static tg_code dump_album(tg_store *s, size_t a, int32_t steps, int32_t *idx, uint32_t *val, bin_acc *b,
                          FILE *out, tg_error *e)
{
    const char *id = s->album_ids[a];
    long bin = -1;
    for (uint64_t k = (uint64_t)s->indptr[a]; k < (uint64_t)s->indptr[a + 1];) {
        size_t n = (uint64_t)s->indptr[a + 1] - k < DUMP_BLOCK ? (size_t)((uint64_t)s->indptr[a + 1] - k) : DUMP_BLOCK;
        tg_code rc = tg_store_read(s, k, n, idx, val, e);
        if (rc != TG_OK)
            return rc;
        for (size_t i = 0; i < n; i++) {
            uint64_t step = (uint64_t)idx[i] / s->n_cities;
            size_t city = (size_t)((uint64_t)idx[i] % s->n_cities);
            long this_bin = (long)(step * (uint64_t)steps / (uint64_t)s->steps);
            if (this_bin != bin) {
                emit(s, id, bin, b, out);
                bin = this_bin;
            }
            if (b->sum[city] == 0 && val[i] != 0)
                b->touched[b->n_touched++] = city;
            b->sum[city] += val[i];
        }
        k += n;
    }
    emit(s, id, bin, b, out);
    return TG_OK;
}

tg_code tg_store_dump(tg_store *s, long album, int32_t steps, FILE *out, tg_error *e)
{
    if (steps < 1 || steps > s->steps)
        return tg_fail(e, TG_ERR_USAGE, "--steps %d: the store has %d steps, re-binning takes 1..%d", (int)steps,
                       (int)s->steps, (int)s->steps);
    bin_acc b = {calloc(s->n_cities, sizeof *b.sum), malloc(s->n_cities * sizeof *b.touched), 0};
    int32_t *idx = malloc(DUMP_BLOCK * sizeof *idx);
    uint32_t *val = malloc(DUMP_BLOCK * sizeof *val);
    tg_code rc = TG_OK;
    if (b.sum == NULL || b.touched == NULL || idx == NULL || val == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate the dump buffers", s->path);
    if (rc == TG_OK)
        fputs("album_id,step,city,value\n", out);
    size_t from = album >= 0 ? (size_t)album : 0, to = album >= 0 ? (size_t)album + 1 : s->n_albums;
    for (size_t a = from; rc == TG_OK && a < to; a++)
        rc = dump_album(s, a, steps, idx, val, &b, out, e);
    if (rc == TG_OK && (fflush(out) != 0 || ferror(out)))
        rc = tg_fail_errno(e, TG_ERR_IO, "cannot write the dump");
    free(b.sum);
    free(b.touched);
    free(idx);
    free(val);
    return rc;
}
