/* json.c - eval's metrics as JSON through yajl's generator, which keeps the document
 * well-formed and strings escaped; numbers are formatted here (%.17g, NaN as null)
 * because yajl_gen_double prints %.20g and refuses NaN. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* The generator with a sticky status: the first failure is kept, later calls do
 * nothing, and it is looked at once at the end. */
typedef struct {
    yajl_gen g;
    yajl_gen_status status;
} writer;

static void check(writer *w, yajl_gen_status st)
{
    if (w->status == yajl_gen_status_ok)
        w->status = st;
}

static void key(writer *w, const char *k)
{
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_string(w->g, (const unsigned char *)k, strlen(k)));
}

static void text(writer *w, const char *k, const char *s)
{
    key(w, k);
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)));
}

static void real(writer *w, const char *k, double v)
{
    if (k != NULL)
        key(w, k);
    if (w->status != yajl_gen_status_ok)
        return;
    if (!isfinite(v)) {
        check(w, yajl_gen_null(w->g));
        return;
    }
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    check(w, yajl_gen_number(w->g, buf, (size_t)n));
}

static void whole(writer *w, const char *k, unsigned long long v)
{
    if (k != NULL)
        key(w, k);
    if (w->status != yajl_gen_status_ok)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%llu", v);
    check(w, yajl_gen_number(w->g, buf, (size_t)n));
}

static void open_map(writer *w, const char *k)
{
    if (k != NULL)
        key(w, k);
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_map_open(w->g));
}

static void close_map(writer *w)
{
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_map_close(w->g));
}

static void open_array(writer *w, const char *k)
{
    if (k != NULL)
        key(w, k);
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_array_open(w->g));
}

static void close_array(writer *w)
{
    if (w->status == yajl_gen_status_ok)
        check(w, yajl_gen_array_close(w->g));
}

/* The fields of one genre at one threshold, inside an open map. */
static void class_fields(writer *w, const eval_class *c)
{
    real(w, "precision", c->precision);
    real(w, "recall", c->recall);
    real(w, "f1", c->f1);
    open_array(w, "confusion"); /* [[tn, fp], [fn, tp]] as sklearn's */
    open_array(w, NULL);
    whole(w, NULL, c->tn);
    whole(w, NULL, c->fp);
    close_array(w);
    open_array(w, NULL);
    whole(w, NULL, c->fn);
    whole(w, NULL, c->tp);
    close_array(w);
    close_array(w);
}

/* The averaged threshold-dependent metrics, inside an open map. */
static void at_fields(writer *w, const eval_at *a)
{
    real(w, "threshold", a->threshold);
    open_map(w, "macro");
    real(w, "precision", a->macro_precision);
    real(w, "recall", a->macro_recall);
    real(w, "f1", a->macro_f1);
    close_map(w);
    open_map(w, "micro");
    real(w, "precision", a->micro_precision);
    real(w, "recall", a->micro_recall);
    real(w, "f1", a->micro_f1);
    close_map(w);
    real(w, "hamming_loss", a->hamming_loss);
    real(w, "hamming_score", a->hamming_score);
    real(w, "soft_accuracy", a->soft_accuracy);
    real(w, "exact_match", a->exact_match);
}

/* model.h5's history, one object per epoch, NaN (not recorded) as null. */
static void history_array(writer *w, const tg_model_history *h)
{
    open_array(w, "history");
    for (size_t i = 0; i < h->n; i++) {
        open_map(w, NULL);
        key(w, "epoch");
        if (w->status == yajl_gen_status_ok)
            check(w, yajl_gen_integer(w->g, h->epoch[i]));
        real(w, "train_loss", h->train_loss[i]);
        real(w, "test_loss", h->test_loss[i]);
        real(w, "test_map", h->test_map[i]);
        real(w, "test_macro_f1", h->test_macro_f1[i]);
        real(w, "seconds", h->seconds[i]);
        real(w, "loader_seconds", h->loader_seconds[i]);
        close_map(w);
    }
    close_array(w);
}

static void document(writer *w, const eval_metrics *m, const char *const *names,
                     const eval_sweep *sweep, const tg_model_history *history)
{
    open_map(w, NULL);
    whole(w, "n_albums", m->n_albums);
    whole(w, "n_genres", m->n_genres);
    at_fields(w, &m->at);
    real(w, "map", m->map);
    whole(w, "map_genres", m->map_genres);
    real(w, "micro_ap", m->micro_ap);
    real(w, "label_ranking_average_precision", m->lrap);
    real(w, "coverage_error", m->coverage_error);
    whole(w, "albums_without_label", m->albums_without_label);
    open_array(w, "genres");
    for (size_t l = 0; l < m->n_genres; l++) {
        open_map(w, NULL);
        text(w, "name", names[l]);
        whole(w, "support", m->support[l]);
        real(w, "ap", m->ap[l]);
        class_fields(w, &m->at.classes[l]);
        close_map(w);
    }
    close_array(w);
    if (sweep != NULL) {
        open_map(w, "sweep");
        real(w, "best_threshold", sweep->at[sweep->best].threshold);
        real(w, "best_macro_f1", sweep->at[sweep->best].macro_f1);
        open_array(w, "thresholds");
        for (size_t k = 0; k < sweep->n; k++) {
            open_map(w, NULL);
            at_fields(w, &sweep->at[k]);
            open_array(w, "genres"); /* in the order of the top-level "genres" */
            for (size_t l = 0; l < m->n_genres; l++) {
                open_map(w, NULL);
                class_fields(w, &sweep->at[k].classes[l]);
                close_map(w);
            }
            close_array(w);
            close_map(w);
        }
        close_array(w);
        close_map(w);
    }
    if (history != NULL)
        history_array(w, history);
    close_map(w);
}

static void print_to_file(void *ctx, const char *s, size_t len)
{
    fwrite(s, 1, len, (FILE *)ctx); /* errors stay in the stream, checked at the end */
}

tg_code eval_json_write(FILE *f, const eval_metrics *m, const char *const *genre_names,
                        const eval_sweep *sweep, const tg_model_history *history, tg_error *e)
{
    writer w = {.g = yajl_gen_alloc(NULL), .status = yajl_gen_status_ok};
    if (w.g == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the JSON writer");
    if (!yajl_gen_config(w.g, yajl_gen_beautify, 1) ||
        !yajl_gen_config(w.g, yajl_gen_validate_utf8, 1) ||
        !yajl_gen_config(w.g, yajl_gen_print_callback, print_to_file, (void *)f)) {
        yajl_gen_free(w.g);
        return tg_fail(e, TG_ERR_LIBRARY, "cannot configure yajl's JSON generator");
    }
    document(&w, m, genre_names, sweep, history);
    yajl_gen_free(w.g);
    if (w.status == yajl_gen_invalid_string)
        return tg_fail(e, TG_ERR_FORMAT, "JSON: a genre name is not valid UTF-8");
    if (w.status != yajl_gen_status_ok)
        return tg_fail(e, TG_ERR_LIBRARY, "JSON generator failed (yajl status %d)",
                       (int)w.status);
    if (fflush(f) != 0 || ferror(f)) /* yajl's beautify mode ended the document with a newline */
        return tg_fail_errno(e, TG_ERR_IO, "cannot write the JSON");
    return TG_OK;
}
