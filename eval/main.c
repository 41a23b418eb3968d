/* main.c - the eval command: reads train's predictions.h5 (or a labels and a scores
 * CSV), computes the metrics of spec/metrics.md, prints the report's tables, and writes
 * JSON and HTML on request. The work is in h5_input.c, csv.c, metrics.c, report.c,
 * json.c and html.c. */
#include "csv.h"
#include "h5_input.h"
#include "html.h"
#include "json.h"
#include "metrics.h"
#include "model_input.h"
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
"Usage: eval PREDICTIONS.h5 [options]\n"
"       eval LABELS.csv SCORES.csv [options]\n"
"Prints the report's metrics (spec/metrics.md; scikit-learn 1.2's definitions) of\n"
"the scores against the true labels: the label-based and example-based summaries,\n"
"per-genre precision, recall, F1, AP and support, and one-vs-all confusion matrices.\n"
"\n"
"PREDICTIONS.h5 is what train writes (layout in eval/README.md): only its labeled\n"
"albums are evaluated, those of the test split unless --split says otherwise.\n"
"LABELS.csv holds 0/1 values, SCORES.csv numbers in [0, 1]; both start with a header\n"
"row of genre names (same names, same order), optionally after a first column named\n"
"album_id (ids must then match row by row); one row per album, RFC 4180 quoting.\n"
"\n"
"  --split WHICH       test (default), train, or all (train and test); .h5 only\n"
"  --threshold T       a genre is predicted when its score exceeds T (default: the\n"
"                      predictions file's threshold, else 0.3)\n"
"  --sweep FROM:TO:STEP  also the threshold-dependent metrics at each threshold\n"
"                      FROM, FROM+STEP, ... TO, and the one maximising macro F1\n"
"  --json FILE         everything at full precision as JSON\n"
"  --html FILE         a self-contained HTML report with charts (open it in a browser;\n"
"                      without --sweep its threshold chart uses 0:1:0.02)\n"
"  --model FILE        the model.h5 the scores came from (default: the one the\n"
"                      predictions file names, as written or beside that file):\n"
"                      its per-epoch history is printed, charted by --html and\n"
"                      written by --json, unless the model records other\n"
"                      predictions than PREDICTIONS.h5 (then a warning)\n"
"  --decimals N        decimals in the tables and the HTML (default 2, at most 17)\n"
"  -q, -v              say less, say more\n"
"  -h, --help          this help;  --version  the version\n"
"\n"
"FILE '-' is standard output, which then carries only that file (one of --json and\n"
"--html at most). Exit: 0 done, 1 failure (bad input included), 2 bad usage.\n");
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

/* The HTML's threshold chart when no --sweep was asked for: fine enough for a smooth
 * curve, 51 points. */
#define HTML_SWEEP_FROM 0.0
#define HTML_SWEEP_TO 1.0
#define HTML_SWEEP_STEP 0.02

/* What --json and --html write. */
typedef struct {
    const eval_metrics *m;
    const char *const *names;
    const eval_sweep *sweep;      /* --sweep's, or NULL */
    const eval_sweep *html_sweep; /* --sweep's, or the default one */
    const eval_html_info *html;
} outputs;

/* Writes one output through a temporary file (or stdout for "-"). */
static tg_code write_output(const char *path, int html, const outputs *o, tg_error *e)
{
    tg_outfile out;
    tg_code rc = tg_outfile_open(&out, path, e);
    if (rc != TG_OK)
        return rc;
    rc = html ? eval_html_write(out.fp, o->m, o->names, o->html_sweep, o->html, e)
              : eval_json_write(out.fp, o->m, o->names, o->sweep, o->html->history, e);
    if (rc != TG_OK) {
        tg_outfile_abort(&out);
        return rc;
    }
    rc = tg_outfile_commit(&out, e);
    if (rc == TG_OK && strcmp(path, "-") != 0)
        TG_DISPLAY(2, "eval: wrote %s\n", path);
    return rc;
}

/* The model whose history the reports show, and what to say when there is none. */
typedef struct {
    char *path;               /* the file read, or NULL */
    tg_model_history history; /* valid when path is not NULL */
    char *provenance;         /* its provenance text, valid when path is not NULL */
    char note[1200];          /* why there is no history, for the HTML page */
} model_info;

/* The model a predictions file names: found and read, or a warning (not an error:
 * the user did not ask for it, and the metrics do not need it) and a note. */
static void predictions_model(model_info *mi, const char *named, const char *predictions)
{
    int beside = 0;
    char *found = eval_model_locate(named, predictions, &beside);
    if (found == NULL) {
        snprintf(mi->note, sizeof mi->note,
                 "%s names the model %s, which is not there%s: no training history (give "
                 "the model with --model).", predictions, named,
                 beside ? " (nor beside it)" : "");
        TG_DISPLAY(2, "eval: warning: %s\n", mi->note);
        return;
    }
    tg_error err = {0};
    if (eval_history_read(found, &mi->history, &mi->provenance, &err) != TG_OK) {
        snprintf(mi->note, sizeof mi->note, "The model %s named by %s cannot be read (%s): no "
                 "training history.", found, predictions, err.msg);
        TG_DISPLAY(2, "eval: warning: %s\n", mi->note);
        free(found);
        return;
    }
    mi->path = found;
    TG_DISPLAY(3, "eval: %s: %zu epoch(s) of history\n", found, mi->history.n);
}

/* Keeps mi's history only if its model (--model's or the one named) is the one that
 * wrote the predictions file: train may have written another model under that path
 * since, whose history would pass for this one's. Else a warning and a note, not an
 * error: the metrics do not need the history. A pair too old to tell keeps it. */
static void keep_if_wrote(model_info *mi, const char *predictions, int model_records)
{
    eval_wrote w;
    tg_error err = {0};
    char why[sizeof mi->note];
    if (eval_model_wrote(mi->provenance, mi->path, predictions, model_records, &w, why,
                         sizeof why, &err) != TG_OK) {
        w = EVAL_WROTE_NO;
        snprintf(why, sizeof why, "Cannot tell whether %s wrote %s (%s), so its training "
                 "history is left out.", mi->path, predictions, err.msg);
    }
    if (w == EVAL_WROTE_UNKNOWN)
        TG_DISPLAY(3, "eval: %s records no predictions file (written before train recorded "
                   "them): not checked that it wrote %s\n", mi->path, predictions);
    if (w != EVAL_WROTE_NO)
        return;
    memcpy(mi->note, why, sizeof mi->note);
    TG_DISPLAY(2, "eval: warning: %s\n", mi->note);
    free(mi->path);
    mi->path = NULL;
    tg_model_history_free(&mi->history);
}

int main(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL};
    const char *json_path = NULL, *html_path = NULL, *model_path = NULL;
    double threshold = 0.3, from = 0, to = 0, step = 0;
    int sweeping = 0, status = 1, n_files = 0, threshold_given = 0, split_given = 0;
    int split = EVAL_SPLIT_TEST;
    uint64_t decimals = 2;
    tg_error err = {0};
    tg_code rc = TG_OK;
    eval_table table = {0};
    eval_h5_meta meta = {0};
    eval_metrics metrics = {0};
    eval_sweep sweep = {0}, html_sweep = {0};
    model_info mi = {.path = NULL};

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "eval", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--threshold", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--threshold", 0, 1, &threshold, &err);
            threshold_given = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--sweep", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : parse_sweep(val, &from, &to, &step, &err);
            sweeping = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--split", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_choice(val, "--split", eval_split_choices, &split, &err);
            split_given = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--json", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            json_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--html", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            html_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--model", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            model_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--decimals", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--decimals", 0, 17, &decimals, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (n_files < 2) {
            files[n_files++] = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE,
                         "unexpected argument '%s' (PREDICTIONS.h5, or LABELS.csv SCORES.csv)",
                         argv[i]);
        }
    }
    if (rc == TG_OK && n_files == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "needs PREDICTIONS.h5, or two files: LABELS.csv SCORES.csv");
    if (rc == TG_OK && n_files == 2 && split_given)
        rc = tg_fail(&err, TG_ERR_USAGE, "--split applies to a predictions file, not to CSV files");
    int json_stdout = json_path != NULL && strcmp(json_path, "-") == 0;
    int html_stdout = html_path != NULL && strcmp(html_path, "-") == 0;
    if (rc == TG_OK && json_stdout && html_stdout)
        rc = tg_fail(&err, TG_ERR_USAGE, "--json - and --html -: only one can go to standard output");
    /* no output may replace an input or the other output */
    const char *out_opts[2] = {"--json", "--html"}, *outs[2] = {json_path, html_path};
    for (int k = 0; k < 2 && rc == TG_OK; k++) {
        for (int f = 0; outs[k] != NULL && f < n_files && rc == TG_OK; f++)
            rc = tg_output_distinct(out_opts[k], outs[k], "the input", files[f], &err);
        if (rc == TG_OK && outs[k] != NULL && model_path != NULL)
            rc = tg_output_distinct(out_opts[k], outs[k], "--model", model_path, &err);
    }
    if (rc == TG_OK && json_path != NULL && html_path != NULL)
        rc = tg_output_distinct("--json", json_path, "--html", html_path, &err);
    /* A model given with --model must be read: failing on it is an error, and before
     * any work on the predictions. */
    if (rc == TG_OK && model_path != NULL) {
        rc = eval_history_read(model_path, &mi.history, &mi.provenance, &err);
        if (rc == TG_OK && (mi.path = strdup(model_path)) == NULL)
            rc = tg_fail(&err, TG_ERR_NOMEM, "out of memory");
        if (rc != TG_OK && rc != TG_ERR_NOMEM) {
            char why[sizeof err.msg];
            memcpy(why, err.msg, sizeof why);
            tg_fail(&err, rc, "--model %s", why); /* why starts with the path */
        }
    }
    if (rc != TG_OK)
        goto end;
    if ((json_stdout || html_stdout) && tg_display_level > 1)
        tg_display_level = 1; /* stdout carries data: keep stderr to errors */

    const char *data_file = n_files == 1 ? files[0] : files[1]; /* named in value errors */
    if (n_files == 1) {
        rc = eval_h5_read(files[0], (eval_split)split, &table, &meta, &err);
        if (rc == TG_OK && !threshold_given && meta.has_threshold)
            threshold = meta.threshold;
        if (rc == TG_OK)
            TG_DISPLAY(3, "eval: %s: %zu %s albums of %zu train, %zu test, %zu unlabeled; "
                          "threshold %g%s\n", files[0], table.n_albums, eval_split_choices[split],
                       meta.in_file[0], meta.in_file[1], meta.in_file[2], threshold,
                       threshold_given ? " (--threshold)" : meta.has_threshold ? " (the file's)"
                                                                               : " (default)");
    } else {
        rc = eval_csv_read(files[0], files[1], &table, &err);
    }
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
    if (rc == TG_OK && html_path != NULL && !sweeping)
        rc = eval_sweep_compute(&in, HTML_SWEEP_FROM, HTML_SWEEP_TO, HTML_SWEEP_STEP, &html_sweep,
                                &err);
    if (rc == TG_ERR_FORMAT) {
        /* Name the file: the message already names the album and genre. */
        char why[sizeof err.msg];
        memcpy(why, err.msg, sizeof why);
        tg_fail(&err, rc, "%s: %s", data_file, why);
    }
    if (rc != TG_OK)
        goto end;

    /* The model: --model's (read above), else the one the predictions file names. */
    if (mi.path == NULL && meta.model != NULL && meta.model[0] != '\0') {
        predictions_model(&mi, meta.model, files[0]);
        /* the model the predictions name is read too: not to be replaced by a report */
        for (int k = 0; k < 2 && rc == TG_OK && mi.path != NULL; k++)
            if (outs[k] != NULL)
                rc = tg_output_distinct(out_opts[k], outs[k], "the predictions' model",
                                        mi.path, &err);
        if (rc != TG_OK)
            goto end;
    } else if (mi.path == NULL) {
        snprintf(mi.note, sizeof mi.note, "No model file given (--model)%s: the training and "
                 "test loss and test MAP per epoch are left out.",
                 n_files == 1 ? ", and the predictions file names none" : "");
    }
    /* either model's history is the predictions' only if that model wrote them (CSV
     * files record no model: there is nothing to check) */
    if (mi.path != NULL && n_files == 1)
        keep_if_wrote(&mi, files[0], meta.model_records);

    const eval_sweep *sw = sweeping ? &sweep : NULL;
    if (!json_stdout && !html_stdout) {
        rc = eval_report_print(stdout, &metrics, in.genre_names, sw, (int)decimals, &err);
        if (rc == TG_OK && mi.path != NULL) {
            fputc('\n', stdout);
            rc = eval_history_print(stdout, mi.path, &mi.history, (int)decimals, &err);
        }
        if (rc != TG_OK)
            goto end;
    }
    char input_name[512];
    if (n_files == 1)
        snprintf(input_name, sizeof input_name, "%s", files[0]);
    else
        snprintf(input_name, sizeof input_name, "%s + %s", files[0], files[1]);
    eval_html_info info = {
        .input = input_name,
        .split = n_files == 1 ? eval_split_choices[split] : NULL,
        .model = mi.path,
        .history = mi.path != NULL ? &mi.history : NULL,
        .history_note = mi.note,
        .decimals = (int)decimals,
    };
    outputs o = {&metrics, in.genre_names, sw, sweeping ? &sweep : &html_sweep, &info};
    if (json_path != NULL && (rc = write_output(json_path, 0, &o, &err)) != TG_OK)
        goto end;
    if (html_path != NULL && (rc = write_output(html_path, 1, &o, &err)) != TG_OK)
        goto end;
    status = 0;

end:
    if (rc != TG_OK) {
        fprintf(stderr, "eval: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'eval --help'.\n");
        status = tg_exit_status(rc);
    }
    eval_sweep_free(&html_sweep);
    eval_sweep_free(&sweep);
    eval_metrics_free(&metrics);
    eval_table_free(&table);
    free(meta.model);
    free(mi.path);
    free(mi.provenance);
    tg_model_history_free(&mi.history);
    return status;
}
