/* stratify.c - iterative stratification (Sechidis et al. 2011, Algorithm 1) for two
 * subsets, train and test, with the randomness drawn from a seeded rng.h stream. */
#include "stratify.h"

#include "rng.h"
#include "store.h" /* TG_SPLIT_* */

#include <stdlib.h>

/* Algorithm 1, for subsets j = train, test with proportions r_j = (1 - f, f):
 *   c_j = r_j |D| albums wanted in j; c_j^g = r_j |D^g| albums of genre g wanted in j.
 *   While albums remain: take the genre g with the fewest remaining albums (> 0; ties at
 *   random), because rare genres are the hardest to spread and must choose first; give
 *   each of its albums to the subset that still wants most of g (ties: the one wanting
 *   most albums; then at random), and lower that subset's wants for all its genres.
 * Albums are visited in a seeded random order rather than file order, so that another
 * seed gives another split. Every labeled album has a genre, so the loop ends. */
tg_code tg_split_stratify(const uint8_t *labels, size_t n_albums, size_t n_genres, double test_fraction,
                          uint64_t seed, uint8_t *split, tg_error *e)
{
    if (!(test_fraction >= 0 && test_fraction <= 1))
        return tg_fail(e, TG_ERR_USAGE, "--test-fraction %g is not in [0, 1]", test_fraction);
    size_t *order = malloc((n_albums + 1) * sizeof *order);
    uint64_t *left = calloc(n_genres + 1, sizeof *left);        /* [G] unassigned albums of g */
    double *want = malloc(2 * (n_genres + 1) * sizeof *want);    /* [2][G] c_j^g */
    if (order == NULL || left == NULL || want == NULL) {
        free(order);
        free(left);
        free(want);
        return tg_fail(e, TG_ERR_NOMEM, "split: out of memory for %zu albums", n_albums);
    }
    const double r[2] = {1 - test_fraction, test_fraction};
    size_t n = 0;
    for (size_t a = 0; a < n_albums; a++) {
        const uint8_t *row = labels + a * n_genres;
        int any = 0;
        for (size_t g = 0; g < n_genres; g++)
            if (row[g]) {
                left[g]++;
                any = 1;
            }
        split[a] = any ? 0xff : TG_SPLIT_UNLABELED; /* 0xff: not yet assigned */
        if (any)
            order[n++] = a;
    }
    tg_rng rng;
    tg_rng_seed(&rng, seed, 0x5b117, 0);
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = tg_rng_below(&rng, (uint32_t)i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    double total[2] = {r[0] * (double)n, r[1] * (double)n};
    for (size_t g = 0; g < n_genres; g++)
        for (int j = 0; j < 2; j++)
            want[j * n_genres + g] = r[j] * (double)left[g];
    size_t todo = n;
    while (todo > 0) {
        size_t g = n_genres;
        uint32_t ties = 0;
        for (size_t h = 0; h < n_genres; h++) {
            if (left[h] == 0)
                continue;
            if (g == n_genres || left[h] < left[g]) {
                g = h;
                ties = 1;
            } else if (left[h] == left[g] && tg_rng_below(&rng, ++ties) == 0) {
                g = h; /* reservoir choice: each tied genre with probability 1/ties */
            }
        }
        for (size_t i = 0; i < n; i++) {
            size_t a = order[i];
            const uint8_t *row = labels + a * n_genres;
            if (split[a] != 0xff || !row[g])
                continue;
            int j;
            if (want[g] != want[n_genres + g])
                j = want[n_genres + g] > want[g];
            else if (total[0] != total[1])
                j = total[1] > total[0];
            else
                j = (int)tg_rng_below(&rng, 2);
            split[a] = j == 0 ? TG_SPLIT_TRAIN : TG_SPLIT_TEST;
            total[j] -= 1;
            for (size_t h = 0; h < n_genres; h++)
                if (row[h]) {
                    want[(size_t)j * n_genres + h] -= 1;
                    left[h]--;
                }
            todo--;
        }
    }
    free(order);
    free(left);
    free(want);
    return TG_OK;
}
