/* eval.c - the eval stage's work (see eval.h): the input read, the metrics and sweeps,
 * the model whose history is shown, the tables and the JSON and HTML files. */
#include "eval.h"

#include "csv.h"
#include "h5_input.h"
#include "html.h"
#include "json.h"
#include "metrics.h"
#include "model_input.h"
#include "report.h"

#include "display.h"
#include "output_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A model given with --model must be read: failing on it is an error, and before
 * any work on the predictions. */
static tg_code given_model(model_info *mi, const char *path, tg_error *e)
{
    tg_code rc = eval_history_read(path, &mi->history, &mi->provenance, e);
    if (rc == TG_OK && (mi->path = strdup(path)) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc != TG_OK && rc != TG_ERR_NOMEM) {
        char why[sizeof e->msg];
        memcpy(why, e->msg, sizeof why);
        tg_fail(e, rc, "--model %s", why); /* why starts with the path */
    }
    return rc;
}

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

/* What one run reads and computes, freed in one place (eval_run). */
typedef struct {
    model_info mi;
    eval_table table;
    eval_h5_meta meta;     /* zero for CSV input */
    double threshold;      /* the options', or the predictions file's */
    eval_input in;         /* the table, as the metrics take it */
    eval_metrics metrics;
    eval_sweep sweep, html_sweep;
} run_state;

static int is_stdout(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}

/* The predictions file's labeled albums of o->split (its threshold replacing the
 * default), or the CSV pair. */
static tg_code read_input(const eval_options *o, run_state *s, tg_error *e)
{
    s->threshold = o->threshold;
    if (o->n_files == 2)
        return eval_csv_read(o->files[0], o->files[1], &s->table, e);
    tg_code rc = eval_h5_read(o->files[0], o->split, &s->table, &s->meta, e);
    if (rc != TG_OK)
        return rc;
    if (!o->threshold_given && s->meta.has_threshold)
        s->threshold = s->meta.threshold;
    TG_DISPLAY(3, "eval: %s: %zu %s albums of %zu train, %zu test, %zu unlabeled; "
                  "threshold %g%s\n", o->files[0], s->table.n_albums, eval_split_choices[o->split],
               s->meta.in_file[0], s->meta.in_file[1], s->meta.in_file[2], s->threshold,
               o->threshold_given ? " (--threshold)" : s->meta.has_threshold ? " (the file's)"
                                                                             : " (default)");
    return TG_OK;
}

/* The metrics at the threshold, --sweep's, and the HTML's default sweep. */
static tg_code compute(const eval_options *o, run_state *s, tg_error *e)
{
    const char *data_file = o->n_files == 1 ? o->files[0] : o->files[1]; /* named in value errors */
    s->in = (eval_input){
        .n_albums = s->table.n_albums,
        .n_genres = s->table.n_genres,
        .labels = s->table.labels,
        .scores = s->table.scores,
        .album_ids = (const char *const *)s->table.album_ids,
        .genre_names = (const char *const *)s->table.genre_names,
    };
    tg_code rc = eval_metrics_compute(&s->in, s->threshold, &s->metrics, e);
    if (rc == TG_OK && o->sweeping)
        rc = eval_sweep_compute(&s->in, o->from, o->to, o->step, &s->sweep, e);
    if (rc == TG_OK && o->html_path != NULL && !o->sweeping)
        rc = eval_sweep_compute(&s->in, HTML_SWEEP_FROM, HTML_SWEEP_TO, HTML_SWEEP_STEP,
                                &s->html_sweep, e);
    if (rc == TG_ERR_FORMAT) {
        /* Name the file: the message already names the album and genre. */
        char why[sizeof e->msg];
        memcpy(why, e->msg, sizeof why);
        tg_fail(e, rc, "%s: %s", data_file, why);
    }
    return rc;
}

/* The model: --model's (read first), else the one the predictions file names. */
static tg_code find_model(const eval_options *o, run_state *s, tg_error *e)
{
    model_info *mi = &s->mi;
    const char *out_opts[2] = {"--json", "--html"}, *outs[2] = {o->json_path, o->html_path};
    tg_code rc = TG_OK;
    if (mi->path == NULL && s->meta.model != NULL && s->meta.model[0] != '\0') {
        predictions_model(mi, s->meta.model, o->files[0]);
        /* the model the predictions name is read too: not to be replaced by a report */
        for (int k = 0; k < 2 && rc == TG_OK && mi->path != NULL; k++)
            if (outs[k] != NULL)
                rc = tg_output_distinct(out_opts[k], outs[k], "the predictions' model",
                                        mi->path, e);
        if (rc != TG_OK)
            return rc;
    } else if (mi->path == NULL) {
        snprintf(mi->note, sizeof mi->note, "No model file given (--model)%s: the training and "
                 "test loss and test MAP per epoch are left out.",
                 o->n_files == 1 ? ", and the predictions file names none" : "");
    }
    /* either model's history is the predictions' only if that model wrote them (CSV
     * files record no model: there is nothing to check) */
    if (mi->path != NULL && o->n_files == 1)
        keep_if_wrote(mi, o->files[0], s->meta.model_records);
    return TG_OK;
}

/* The tables and the history on stdout, unless an output goes there. */
static tg_code print_tables(const eval_options *o, const run_state *s, tg_error *e)
{
    if (is_stdout(o->json_path) || is_stdout(o->html_path))
        return TG_OK;
    const eval_sweep *sw = o->sweeping ? &s->sweep : NULL;
    tg_code rc = eval_report_print(stdout, &s->metrics, s->in.genre_names, sw, o->decimals, e);
    if (rc == TG_OK && s->mi.path != NULL) {
        fputc('\n', stdout);
        rc = eval_history_print(stdout, s->mi.path, &s->mi.history, o->decimals, e);
    }
    return rc;
}

/* --json, then --html. */
static tg_code write_outputs(const eval_options *o, const run_state *s, tg_error *e)
{
    const model_info *mi = &s->mi;
    char input_name[512];
    if (o->n_files == 1)
        snprintf(input_name, sizeof input_name, "%s", o->files[0]);
    else
        snprintf(input_name, sizeof input_name, "%s + %s", o->files[0], o->files[1]);
    eval_html_info info = {
        .input = input_name,
        .split = o->n_files == 1 ? eval_split_choices[o->split] : NULL,
        .model = mi->path,
        .history = mi->path != NULL ? &mi->history : NULL,
        .history_note = mi->note,
        .decimals = o->decimals,
    };
    outputs out = {&s->metrics, s->in.genre_names, o->sweeping ? &s->sweep : NULL,
                   o->sweeping ? &s->sweep : &s->html_sweep, &info};
    tg_code rc = TG_OK;
    if (o->json_path != NULL)
        rc = write_output(o->json_path, 0, &out, e);
    if (rc == TG_OK && o->html_path != NULL)
        rc = write_output(o->html_path, 1, &out, e);
    return rc;
}

tg_code eval_run(const eval_options *o, tg_error *e)
{
    run_state s = {.mi = {.path = NULL}};
    tg_code rc = TG_OK;
    if (o->model_path != NULL)
        rc = given_model(&s.mi, o->model_path, e);
    if (rc == TG_OK)
        rc = read_input(o, &s, e);
    if (rc == TG_OK)
        rc = compute(o, &s, e);
    if (rc == TG_OK)
        rc = find_model(o, &s, e);
    if (rc == TG_OK)
        rc = print_tables(o, &s, e);
    if (rc == TG_OK)
        rc = write_outputs(o, &s, e);
    eval_sweep_free(&s.html_sweep);
    eval_sweep_free(&s.sweep);
    eval_metrics_free(&s.metrics);
    eval_table_free(&s.table);
    free(s.meta.model);
    free(s.mi.path);
    free(s.mi.provenance);
    tg_model_history_free(&s.mi.history);
    return rc;
}
