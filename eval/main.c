/* main.c - the eval command: reads labels and scores, computes the metrics of
 * spec/metrics.md and prints the report's tables, and JSON on request. The work is in
 * csv.c, metrics.c, report.c and json.c. */
#include "csv.h"
#include "json.h"
#include "metrics.h"
#include "report.h"

#include "display.h"
#include "options.h"
#include "output_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: eval LABELS.csv SCORES.csv [options]\n"
"Prints the report's metrics (spec/metrics.md; scikit-learn 1.2's definitions) of\n"
"the scores against the true labels: the label-based and example-based summaries,\n"
"per-genre precision, recall, F1, AP and support, and one-vs-all confusion matrices.\n"
"\n"
"LABELS.csv holds 0/1 values, SCORES.csv numbers in [0, 1]; both start with a header\n"
"row of genre names (same names, same order), optionally after a first column named\n"
"album_id (ids must then match row by row); one row per album, RFC 4180 quoting.\n"
"\n"
"  --threshold T       a genre is predicted when its score exceeds T (default 0.3)\n"
"  --sweep FROM:TO:STEP  also the threshold-dependent metrics at each threshold\n"
"                      FROM, FROM+STEP, ... TO, and the one maximising macro F1\n"
"  --json FILE         everything at full precision as JSON ('-' for stdout, which\n"
"                      then carries only the JSON)\n"
"  --decimals N        decimals in the tables (default 2, at most 17)\n"
"  -q, -v              say less, say more\n"
"  -h, --help          this help;  --version  the version\n"
"\n"
"Not yet: reading train's predictions.h5 and writing --html (issue 5; a later\n"
"version). Exit: 0 done, 1 failure (bad input included), 2 bad usage.\n");
}

/* "FROM:TO:STEP" into three numbers in [0, 1] (STEP > 0). */
static tg_code parse_sweep(const char *s, double *from, double *to, double *step, tg_error *e)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s", s);
    char *b = n > 0 && (size_t)n < sizeof buf ? strchr(buf, ':') : NULL;
    char *c = b != NULL ? strchr(b + 1, ':') : NULL;
    if (c == NULL || strchr(c + 1, ':') != NULL)
        return tg_fail(e, TG_ERR_USAGE, "--sweep '%s' is not FROM:TO:STEP (e.g. 0.1:0.9:0.05)",
                       s);
    *b++ = '\0';
    *c++ = '\0';
    tg_code rc = tg_parse_double(buf, "--sweep FROM", 0, 1, from, e);
    if (rc == TG_OK)
        rc = tg_parse_double(b, "--sweep TO", 0, 1, to, e);
    if (rc == TG_OK)
        rc = tg_parse_double(c, "--sweep STEP", 1e-6, 1, step, e);
    if (rc == TG_OK && *from > *to)
        rc = tg_fail(e, TG_ERR_USAGE, "--sweep '%s': FROM is above TO", s);
    return rc;
}

int main(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL};
    const char *json_path = NULL;
    double threshold = 0.3, from = 0, to = 0, step = 0;
    int sweeping = 0, status = 1, n_files = 0;
    uint64_t decimals = 2;
    tg_error err = {0};
    tg_code rc = TG_OK;
    eval_table table = {0};
    eval_metrics metrics = {0};
    eval_sweep sweep = {0};

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_flag(argv[i], "--help", "-h")) {
            usage(stdout);
            status = 0;
            goto end;
        } else if (tg_opt_flag(argv[i], "--version", NULL)) {
            printf("eval (tracegenre) %s\n", TG_VERSION);
            status = 0;
            goto end;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--threshold", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--threshold", 0, 1, &threshold, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--sweep", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : parse_sweep(val, &from, &to, &step, &err);
            sweeping = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--json", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            json_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--decimals", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--decimals", 0, 17, &decimals, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (n_files < 2) {
            files[n_files++] = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE, "unexpected argument '%s' (two files: LABELS SCORES)",
                         argv[i]);
        }
    }
    if (rc == TG_OK && n_files < 2)
        rc = tg_fail(&err, TG_ERR_USAGE, "needs two files: LABELS.csv SCORES.csv");
    if (rc != TG_OK)
        goto end;
    int json_to_stdout = json_path != NULL && strcmp(json_path, "-") == 0;
    if (json_to_stdout && tg_display_level > 1)
        tg_display_level = 1; /* stdout carries data: keep stderr to errors */

    rc = eval_csv_read(files[0], files[1], &table, &err);
    if (rc != TG_OK)
        goto end;
    eval_input in = {
        .n_albums = table.n_albums,
        .n_genres = table.n_genres,
        .labels = table.labels,
        .scores = table.scores,
        .album_ids = (const char *const *)table.album_ids,
        .genre_names = (const char *const *)table.genre_names,
    };
    rc = eval_metrics_compute(&in, threshold, &metrics, &err);
    if (rc == TG_OK && sweeping)
        rc = eval_sweep_compute(&in, from, to, step, &sweep, &err);
    if (rc == TG_ERR_FORMAT) {
        /* Name the file: the message already names the album and genre. */
        char why[sizeof err.msg];
        memcpy(why, err.msg, sizeof why);
        tg_fail(&err, rc, "%s: %s", files[1], why);
    }
    if (rc != TG_OK)
        goto end;
    const eval_sweep *sw = sweeping ? &sweep : NULL;
    if (!json_to_stdout) {
        rc = eval_report_print(stdout, &metrics, in.genre_names, sw, (int)decimals, &err);
        if (rc != TG_OK)
            goto end;
    }
    if (json_path != NULL) {
        tg_signals_install();
        tg_outfile out;
        rc = tg_outfile_open(&out, json_path, &err);
        if (rc != TG_OK)
            goto end;
        rc = eval_json_write(out.fp, &metrics, in.genre_names, sw, &err);
        if (rc != TG_OK) {
            tg_outfile_abort(&out);
            goto end;
        }
        rc = tg_outfile_commit(&out, &err);
        if (rc != TG_OK)
            goto end;
        if (!json_to_stdout)
            TG_DISPLAY(2, "eval: wrote %s\n", json_path);
    }
    status = 0;

end:
    if (rc != TG_OK) {
        fprintf(stderr, "eval: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'eval --help'.\n");
        status = tg_exit_status(rc);
    }
    eval_sweep_free(&sweep);
    eval_metrics_free(&metrics);
    eval_table_free(&table);
    return status;
}
