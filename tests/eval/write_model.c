/* write_model.c - test data for eval's training history: a small model.h5 written
 * through store/model_file.h (6 inputs, 4 hidden units, 8 genres), with EPOCHS epochs of
 * a plausible history: losses falling, test MAP rising, and the test values missing
 * (NaN) at epoch 3, as when an epoch is not evaluated. Usage: write_model PATH EPOCHS */
#include "model_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define G 8

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: write_model PATH EPOCHS\n");
        return 2;
    }
    size_t n = (size_t)strtoul(argv[2], NULL, 10);
    static char *names[G] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"};
    tg_model_meta meta = {.genres = G, .steps = 2, .cities = 3, .model = "mlp",
                          .config = "epochs=test\n", .provenance = "write_model (tests/eval)\n",
                          .genre_names = names, .n_tensors = 4,
                          .tensors = {{"W1", 2, {6, 4}}, {"b1", 1, {4}}, {"W2", 2, {4, G}},
                                      {"b2", 1, {G}}}};
    size_t np = tg_model_file_params(&meta);
    float *params = calloc(np, sizeof *params);
    int32_t *epoch = calloc(n + 1, sizeof *epoch);
    double *col[6];
    int ok = params != NULL && epoch != NULL;
    for (int k = 0; k < 6; k++)
        ok &= (col[k] = calloc(n + 1, sizeof *col[k])) != NULL;
    if (!ok) {
        fprintf(stderr, "write_model: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        double x = (double)i;
        epoch[i] = (int32_t)(i + 1);
        col[0][i] = 0.25 + 0.45 * exp(-0.15 * x);            /* train loss */
        col[1][i] = 0.30 + 0.40 * exp(-0.12 * x) + 0.002 * x; /* test loss, turning up */
        col[2][i] = 0.55 - 0.35 * exp(-0.2 * x);             /* test MAP */
        col[3][i] = 0.40 - 0.30 * exp(-0.2 * x);             /* test macro F1 */
        col[4][i] = 2.5 + 0.01 * x;                          /* seconds */
        col[5][i] = 0.3;                                     /* loader seconds */
        if (i == 2 && n > 3)
            col[1][i] = col[2][i] = col[3][i] = NAN;
    }
    tg_model_history h = {.n = n, .epoch = epoch, .train_loss = col[0], .test_loss = col[1],
                          .test_map = col[2], .test_macro_f1 = col[3], .seconds = col[4],
                          .loader_seconds = col[5]};
    tg_error e = {0};
    int status = 0;
    if (tg_model_file_write(argv[1], &meta, params, NULL, NULL, 0, &h, &e) != TG_OK) {
        fprintf(stderr, "write_model: %s\n", e.msg);
        status = 1;
    }
    free(params);
    free(epoch);
    for (int k = 0; k < 6; k++)
        free(col[k]);
    return status;
}
