/* toy_store.c PATH [ALBUMS [notest|reversed]] - writes a small store.h5 with a planted
 * answer for the train command's tests (until aggregate builds stores from traces): 12
 * cities, 20 steps, 4 genres; genre g's albums are heard in cities 3g..3g+2 and, for odd
 * g, late rather than early; 75 % train, 20 % test, 5 % unlabeled. "notest": the test
 * albums in train, as aggregate --test-fraction 0 leaves them; "reversed": the same
 * albums with the cities in the opposite column order (names and entries alike), as
 * another ingest of the same traces may number them. */
#include "rng.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C = 12, S = 20, G = 4 };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: toy_store PATH [ALBUMS [notest]]\n");
        return 2;
    }
    int A = argc > 2 ? atoi(argv[2]) : 200;
    int test = !(argc > 3 && strcmp(argv[3], "notest") == 0);
    int reversed = argc > 3 && strcmp(argv[3], "reversed") == 0;
    const char *names[C] = {"Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes",
                            "Montpellier", "Strasbourg", "Bordeaux", "Lille", "Rennes", "Reims"};
    const char *cities[C];
    for (int c = 0; c < C; c++)
        cities[c] = names[reversed ? C - 1 - c : c];
    const char *genres[G] = {"Pop", "Rock", "Rap/Hip Hop", "Jazz"};
    uint32_t counts[G] = {0};
    tg_store_meta meta = {.steps = S, .window_days = S, .value_field = "nusers", .split_seed = 1,
                          .provenance = "", .n_cities = C, .city_names = cities, .n_genres = G,
                          .genre_names = genres, .genre_counts = counts};
    tg_store_writer *w;
    tg_error e = {0};
    if (tg_store_writer_open(argv[1], &meta, &w, &e) != TG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    tg_rng r;
    tg_rng_seed(&r, 99, 0, 0);
    int32_t cols[S * C];
    uint32_t vals[S * C];
    for (int a = 0; a < A; a++) {
        uint8_t y[G] = {0};
        int split = a % 20 == 19 ? TG_SPLIT_UNLABELED : a % 5 == 4 && test ? TG_SPLIT_TEST : TG_SPLIT_TRAIN;
        y[tg_rng_below(&r, G)] = 1;
        if (tg_rng_uniform(&r) < 0.3)
            y[tg_rng_below(&r, G)] = 1;
        uint32_t dense[S * C] = {0}; /* 0: no entry; drawn in city order, stored by column */
        for (int32_t step = 0; step < S; step++)
            for (int32_t c = 0; c < C; c++) {
                double p = 0.05;
                for (int g = 0; g < G; g++)
                    if (y[g] && c / 3 == g && (g % 2 ? step >= S / 2 : step < S / 2))
                        p = 0.6;
                if (tg_rng_uniform(&r) < p)
                    dense[step * C + (reversed ? C - 1 - c : c)] = 1 + tg_rng_below(&r, 9);
            }
        size_t n = 0;
        for (int32_t k = 0; k < S * C; k++)
            if (dense[k]) {
                cols[n] = k;
                vals[n++] = dense[k];
            }
        char id[16];
        snprintf(id, sizeof id, "%d", 5000 + a);
        uint8_t none[G] = {0};
        if (tg_store_writer_add(w, id, 17000 + a, split, split == TG_SPLIT_UNLABELED ? none : y,
                                n, cols, vals, &e) != TG_OK) {
            fprintf(stderr, "%s\n", e.msg);
            tg_store_writer_abort(w);
            return 1;
        }
    }
    if (tg_store_writer_finish(w, &e) != TG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    return 0;
}
