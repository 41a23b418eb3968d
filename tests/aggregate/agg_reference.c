/* agg_reference.c - the slow reference for aggregate: reads every row of an ingest.h5
 * at once through store/ingest_file.h, bins by the spec's rule written out here again,
 * sorts and sums, and prints what `store dump` of aggregate's output must print.
 * Usage: agg_reference INGEST.h5 STEPS WINDOW nusers|nstreams */
#include "ingest_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t album, city;
    int64_t bin;
    uint64_t value;
} cell;

static int cmp_cell(const void *x, const void *y)
{
    const cell *a = x, *b = y;
    if (a->album != b->album)
        return a->album < b->album ? -1 : 1;
    if (a->bin != b->bin)
        return a->bin < b->bin ? -1 : 1;
    return (a->city > b->city) - (a->city < b->city);
}

static void csv_field(const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    long steps = atol(argv[2]), window = atol(argv[3]);
    int nstreams = strcmp(argv[4], "nstreams") == 0;
    tg_ingest_file f;
    tg_error e = {0};
    if (tg_ingest_file_open(&f, argv[1], &e) != TG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    size_t n = (size_t)f.n_rows;
    uint32_t *album = malloc((n + 1) * sizeof *album), *city = malloc((n + 1) * sizeof *city);
    int32_t *day = malloc((n + 1) * sizeof *day);
    uint64_t *value = malloc((n + 1) * sizeof *value);
    cell *cells = malloc((n + 1) * sizeof *cells);
    int status = 1;
    if (album == NULL || city == NULL || day == NULL || value == NULL || cells == NULL)
        goto end;
    if (tg_ingest_file_rows(&f, 0, n, album, day, city, nstreams ? NULL : value, nstreams ? value : NULL, &e)
        != TG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        goto end;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t rel = f.release_day[album[i]];
        if (rel == TG_INGEST_NO_RELEASE)
            continue;
        int64_t step = (int64_t)day[i] - rel;
        if (step < 0 || step >= window)
            continue;
        cells[m++] = (cell){album[i], city[i], step * steps / window, value[i]};
    }
    qsort(cells, m, sizeof *cells, cmp_cell);
    puts("album_id,step,city,value");
    for (size_t i = 0; i < m;) {
        size_t j = i;
        uint64_t sum = 0;
        for (; j < m && cmp_cell(&cells[i], &cells[j]) == 0; j++)
            sum += cells[j].value;
        if (sum > 0) {
            csv_field(f.album_id[cells[i].album]);
            printf(",%lld,", (long long)cells[i].bin);
            csv_field(f.city[cells[i].city]);
            printf(",%llu\n", (unsigned long long)sum);
        }
        i = j;
    }
    status = fflush(stdout) == 0 ? 0 : 1;
end:
    free(album);
    free(city);
    free(day);
    free(value);
    free(cells);
    tg_ingest_file_close(&f);
    return status;
}
