/* predict_main.c - the predict command: parses options and runs train/predict.c. */
#include "predict.h"

#include "display.h"
#include "options.h"
#include "output_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: predict model.h5 store.h5 [options]\n"
"Scores albums with a trained model and writes one JSON line per album:\n"
"  {\"album_id\": \"...\", \"genres\": [[\"name\", score], ...]}  (highest score first)\n"
"\n"
"  -o FILE         output (default '-': stdout)\n"
"  --album ID      score this album (repeatable; default: the store's unlabeled albums)\n"
"  --top K         the K best genres of each album (default: those above the threshold)\n"
"  --threshold T   (default: the model's, as trained)\n"
"  -q, -v          say less, say more;  -h, --help;  --version\n"
"\n"
"Exit: 0 done, 1 failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    tg_predict_options o = {.output = "-", .threshold = -1};
    const char **ids = calloc((size_t)argc, sizeof *ids);
    tg_error err = {0};
    tg_code rc = ids ? TG_OK : tg_fail(&err, TG_ERR_NOMEM, "out of memory");
    uint64_t v;
    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "predict", usage)) {
            free(ids);
            return 0;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.output = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--album", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            ids[o.n_albums++] = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--top", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--top", 1, 100000, &v, &err);
            o.top = (int)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--threshold", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--threshold", 0, 1, &o.threshold, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (o.model_path == NULL) {
            o.model_path = argv[i];
        } else if (o.store_path == NULL) {
            o.store_path = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE, "'%s': give one model and one store", argv[i]);
        }
    }
    if (rc == TG_OK && (o.model_path == NULL || o.store_path == NULL))
        rc = tg_fail(&err, TG_ERR_USAGE, "needs a model and a store");
    if (rc == TG_OK)
        rc = tg_output_distinct("-o", o.output, "the model", o.model_path, &err);
    if (rc == TG_OK)
        rc = tg_output_distinct("-o", o.output, "the store", o.store_path, &err);
    if (rc == TG_OK) {
        if (o.n_albums)
            o.albums = ids;
        if (strcmp(o.output, "-") == 0 && tg_display_level > 1)
            tg_display_level = 1; /* stdout carries the data */
        tg_signals_install();
        rc = tg_predict_run(&o, &err);
    }
    if (rc != TG_OK) {
        fprintf(stderr, "predict: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'predict --help'.\n");
    }
    free(ids);
    return tg_exit_status(rc);
}
