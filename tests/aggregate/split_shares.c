/* split_shares.c - checks a store's split: every labeled album in train or test, none
 * unlabeled with a label, and each kept genre's test share within TOL albums of
 * FRACTION x its albums. Prints one line per genre; exits 1 on a failed check.
 * Usage: split_shares STORE.h5 FRACTION TOL */
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    double f = atof(argv[2]), tol = atof(argv[3]);
    tg_store *s;
    tg_error e = {0};
    if (tg_store_open(argv[1], &s, &e) != TG_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    int ok = 1;
    for (size_t a = 0; a < s->n_albums; a++) {
        int any = 0;
        for (size_t g = 0; g < s->n_genres; g++)
            any |= s->labels[a * s->n_genres + g];
        if (any != (s->split[a] != TG_SPLIT_UNLABELED)) {
            fprintf(stderr, "album %s: split %d with%s labels\n", s->album_ids[a], s->split[a], any ? "" : "out");
            ok = 0;
        }
    }
    for (size_t g = 0; g < s->n_genres; g++) {
        unsigned n = 0, t = 0;
        for (size_t a = 0; a < s->n_albums; a++)
            if (s->labels[a * s->n_genres + g]) {
                n++;
                t += s->split[a] == TG_SPLIT_TEST;
            }
        int good = n == s->genre_counts[g] && fabs(t - f * n) <= tol;
        printf("%-30s %5u albums %5u test %.3f%s\n", s->genre_names[g], n, t, n ? (double)t / n : 0.0,
               good ? "" : "  FAIL");
        ok &= good;
    }
    tg_store_close(s);
    return ok ? 0 : 1;
}
