/* write_predictions.c - test data for the eval command: a predictions.h5 written
 * through store/predictions.h and the same albums as CSV pairs (test split; train and
 * test), so that both inputs can be compared. Usage: write_predictions DIR [N]. */
#include "predictions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G 8

/* Names that exercise the reports: non-ASCII, XML's special characters, a long one,
 * a comma (CSV quoting). The last genre has no positive test album (AP undefined). */
static char *genres[G] = {"Rap/Hip Hop", "Pop", "Variété Internationale", "Rock & <Roll>",
                          "Électro", "Musique de films, jeux vidéo et dessins animés (bandes originales)",
                          "Jazz", "Opéra"};

static uint64_t state = 42;

static double uniform(void) /* splitmix64, to [0, 1) */
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* A CSV field: quoted, quotes doubled. */
static void field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* labels and scores CSV of the albums whose split is in keep (a bit set of codes). */
static int write_csv(const char *dir, const char *tag, const tg_predictions *p, unsigned keep)
{
    char lp[512], sp[512];
    snprintf(lp, sizeof lp, "%s/%s_labels.csv", dir, tag);
    snprintf(sp, sizeof sp, "%s/%s_scores.csv", dir, tag);
    FILE *l = fopen(lp, "w"), *s = fopen(sp, "w");
    if (l == NULL || s == NULL)
        return -1;
    for (FILE **f = (FILE *[]){l, s, NULL}; *f != NULL; f++) {
        fputs("album_id", *f);
        for (size_t j = 0; j < p->n_genres; j++) {
            fputc(',', *f);
            field(*f, p->genre_names[j]);
        }
        fputc('\n', *f);
    }
    for (size_t i = 0; i < p->n_albums; i++) {
        if (!(keep & (1u << p->split[i])))
            continue;
        field(l, p->album_ids[i]);
        field(s, p->album_ids[i]);
        for (size_t j = 0; j < p->n_genres; j++) {
            fprintf(l, ",%u", p->labels[i * G + j]);
            fprintf(s, ",%.9g", (double)p->scores[i * G + j]); /* float round trip */
        }
        fputc('\n', l);
        fputc('\n', s);
    }
    int bad = ferror(l) || ferror(s);
    return (fclose(l) | fclose(s) | bad) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: write_predictions DIR [N]\n");
        return 2;
    }
    size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 60;
    char **ids = malloc(n * sizeof *ids);
    uint8_t *split = malloc(n);
    float *scores = malloc(n * G * sizeof *scores);
    uint8_t *labels = malloc(n * G);
    if (ids == NULL || split == NULL || scores == NULL || labels == NULL)
        return 1;
    for (size_t i = 0; i < n; i++) {
        ids[i] = malloc(32);
        if (ids[i] == NULL)
            return 1;
        snprintf(ids[i], 32, "album-%03zu", i);
        split[i] = i % 5 == 4 ? TG_SPLIT_UNLABELED : i % 5 == 3 ? TG_SPLIT_TEST : i % 5 == 1 ? TG_SPLIT_TEST : TG_SPLIT_TRAIN;
        for (size_t j = 0; j < G; j++) {
            int y = split[i] != TG_SPLIT_UNLABELED && uniform() < 0.35 - 0.03 * (double)j;
            if (j == G - 1 && split[i] == TG_SPLIT_TEST)
                y = 0;
            labels[i * G + j] = (uint8_t)y;
            /* informative but noisy scores, quantised so that ties occur */
            double s = 0.25 * y + 0.75 * uniform();
            scores[i * G + j] = (float)(floor(s * 64) / 64);
        }
    }
    tg_predictions p = {
        .n_albums = n, .n_genres = G, .album_ids = ids, .split = split, .scores = scores,
        .labels = labels, .genre_names = genres, .has_threshold = 1, .threshold = 0.35,
        .model = "model.h5",
    };
    char path[512];
    snprintf(path, sizeof path, "%s/predictions.h5", argv[1]);
    tg_error e = {0};
    int status = 0;
    if (tg_predictions_write(path, &p, &e) != TG_OK) {
        fprintf(stderr, "write_predictions: %s\n", e.msg);
        status = 1;
    } else if (write_csv(argv[1], "test", &p, 1u << TG_SPLIT_TEST) != 0 ||
               write_csv(argv[1], "all", &p, (1u << TG_SPLIT_TEST) | (1u << TG_SPLIT_TRAIN)) != 0) {
        fprintf(stderr, "write_predictions: cannot write the CSV files in %s\n", argv[1]);
        status = 1;
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(split);
    free(scores);
    free(labels);
    return status;
}
