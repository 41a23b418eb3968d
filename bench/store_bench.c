/* store_bench.c - writes a report-sized store (1557 albums x 358 steps x 2683 cities,
 * or K times the albums) through the streaming writer, then times opening it (full
 * validation) and reading random albums through HDF5 and by direct chunk reads.
 *   store_bench OUT.h5 [K]        (K = 1 default; numbers quoted in store/README.md) */
#include "clock.h"
#include "rng.h"
#include "store.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CITIES 2683
#define STEPS 358
#define GENRES 27

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* One album's row, as in bench/zstd_bench.c's model: 60 to 358 days of data, activity
 * fading after release, a few cities a day, Paris in about half of the entries, the
 * others roughly Zipf. Returns the row length (<= cap). */
static size_t make_row(uint32_t a, int32_t *idx, uint32_t *val, size_t cap)
{
    tg_rng r;
    tg_rng_seed(&r, 2019, a, 0);
    uint32_t days = 60 + tg_rng_below(&r, 299);
    size_t n = 0;
    int32_t cities[64];
    for (uint32_t d = 0; d < days; d++) {
        if (tg_rng_uniform(&r) > 0.3 + 0.7 * exp(-(double)d / 120))
            continue;
        uint32_t k = 1 + (uint32_t)(-log(1 - tg_rng_uniform(&r)) * 10);
        k = k > 64 ? 64 : k;
        for (uint32_t j = 0; j < k; j++)
            cities[j] = tg_rng_uniform(&r) < 0.48 ? 0
                                                  : (int32_t)(exp(tg_rng_uniform(&r) * log((double)CITIES))) - 1;
        qsort(cities, k, sizeof cities[0], cmp_i32);
        for (uint32_t j = 0; j < k && n < cap; j++) {
            if (j > 0 && cities[j] == cities[j - 1]) {
                val[n - 1]++;
                continue;
            }
            idx[n] = (int32_t)d * CITIES + cities[j];
            val[n] = 1 + (uint32_t)(-log(1 - tg_rng_uniform(&r)) * (cities[j] == 0 ? 20 : 2));
            n++;
        }
    }
    return n;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_bench OUT.h5 [K]\n");
        return 2;
    }
    const char *path = argv[1];
    uint32_t K = argc > 2 ? (uint32_t)atoi(argv[2]) : 1, A = 1557 * (K ? K : 1);
    static char names[CITIES][16], gnames[GENRES][16];
    const char *cities[CITIES], *genres[GENRES];
    uint32_t counts[GENRES] = {0};
    for (int c = 0; c < CITIES; c++)
        snprintf(names[c], sizeof names[c], "city %d", c), cities[c] = names[c];
    for (int g = 0; g < GENRES; g++)
        snprintf(gnames[g], sizeof gnames[g], "genre %d", g), genres[g] = gnames[g];
    tg_store_meta m = {.steps = STEPS, .window_days = STEPS, .value_field = "nusers", .n_cities = CITIES,
                       .city_names = cities, .n_genres = GENRES, .genre_names = genres, .genre_counts = counts};
    size_t cap = (size_t)STEPS * 64;
    int32_t *idx = malloc(cap * sizeof *idx);
    uint32_t *val = malloc(cap * sizeof *val);
    tg_error e = {0};
    tg_store_writer *w;
    uint64_t t0 = tg_clock_ns();
    if (idx == NULL || val == NULL || tg_store_writer_open(path, &m, &w, &e) != TG_OK)
        return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
    for (uint32_t a = 0; a < A; a++) {
        char id[32];
        uint8_t labels[GENRES] = {0};
        labels[a % GENRES] = 1;
        snprintf(id, sizeof id, "album-%u", a);
        size_t n = make_row(a, idx, val, cap);
        if (tg_store_writer_add(w, id, 17000, a % 5 == 0 ? TG_SPLIT_TEST : TG_SPLIT_TRAIN, labels, n, idx, val,
                                &e) != TG_OK)
            return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
    }
    if (tg_store_writer_finish(w, &e) != TG_OK)
        return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
    uint64_t t_write = tg_clock_ns() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat st;
    stat(path, &st);

    t0 = tg_clock_ns();
    tg_store *s;
    if (tg_store_open(path, &s, &e) != TG_OK)
        return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
    uint64_t t_open = tg_clock_ns() - t0;
    double raw = (double)(s->n_albums + 1) * 8 + (double)s->nnz * 8;
    double dense = (double)s->n_albums * STEPS * CITIES * 2;
    printf("albums %zu, nnz %llu, file %lld bytes, raw CSR / file %.2f, dense int16 / file %.0f\n", s->n_albums,
           (unsigned long long)s->nnz, (long long)st.st_size, raw / (double)st.st_size, dense / (double)st.st_size);
    printf("write %.0f ms (peak RSS %ld KiB), open + validate %.0f ms\n", ms(t_write), ru.ru_maxrss, ms(t_open));

    /* Random albums through HDF5: the first after open has a cold chunk cache. */
    tg_rng r;
    tg_rng_seed(&r, 7, 0, 0);
    int tries = 2000;
    uint64_t t_first = 0, t_all = 0;
    for (int i = 0; i < tries; i++) {
        size_t a = tg_rng_below(&r, (uint32_t)s->n_albums);
        size_t n = (size_t)(s->indptr[a + 1] - s->indptr[a]);
        t0 = tg_clock_ns();
        if (tg_store_read(s, (uint64_t)s->indptr[a], n < cap ? n : cap, idx, val, &e) != TG_OK)
            return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
        uint64_t dt = tg_clock_ns() - t0;
        t_all += dt;
        if (i == 0)
            t_first = dt;
    }
    printf("one album via HDF5: first %.3f ms, mean of %d random %.3f ms\n", ms(t_first), tries,
           ms(t_all) / tries);

    /* The loader's path: pread the overlapping chunks and decode them here. */
    tg_store_layout l[2];
    if (tg_store_layout_get(s, TG_STORE_INDICES, &l[0], &e) != TG_OK
        || tg_store_layout_get(s, TG_STORE_DATA, &l[1], &e) != TG_OK)
        return fprintf(stderr, "store_bench: %s\n", e.msg), 1;
    size_t bytes = l[0].chunk_elems * 4;
    unsigned char *raw_buf = malloc(2 * bytes), *dst = malloc(bytes), *scratch = malloc(bytes);
    int fd = open(path, O_RDONLY);
    uint64_t chunks = 0;
    t0 = tg_clock_ns();
    for (int i = 0; i < tries; i++) {
        size_t a = tg_rng_below(&r, (uint32_t)s->n_albums);
        if (s->indptr[a + 1] == s->indptr[a])
            continue;
        uint64_t c0 = (uint64_t)s->indptr[a] / l[0].chunk_elems, c1 = (uint64_t)(s->indptr[a + 1] - 1) / l[0].chunk_elems;
        for (int k = 0; k < 2; k++)
            for (uint64_t c = c0; c <= c1; c++) {
                const tg_store_chunk *ch = &l[k].chunks[c];
                if (ch->size > 2 * bytes || pread(fd, raw_buf, ch->size, (off_t)ch->offset) != (ssize_t)ch->size
                    || tg_store_chunk_decode(&l[k], ch, raw_buf, dst, scratch, &e) != TG_OK)
                    return fprintf(stderr, "store_bench: chunk: %s\n", e.msg), 1;
                chunks++;
            }
    }
    uint64_t t_direct = tg_clock_ns() - t0;
    printf("one album by direct chunk reads: mean of %d random %.3f ms, %.2f chunks per album and array\n", tries,
           ms(t_direct) / tries, (double)chunks / 2 / tries);
    close(fd);
    free(raw_buf);
    free(dst);
    free(scratch);
    tg_store_layout_free(&l[0]);
    tg_store_layout_free(&l[1]);
    tg_store_close(s);
    free(idx);
    free(val);
    return 0;
}
