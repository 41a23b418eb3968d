/* sweep.c - train's nbSteps sweep (see sweep.h): the points, the table as text, CSV
 * and JSON, and the HTML page of eval's charts. */
#include "sweep.h"

#include "clock.h"
#include "display.h"
#include "html.h"
#include "loader.h"
#include "metrics.h"
#include "output_file.h"
#include "provenance.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* ---- lists ---- */

/* A plain decimal in 1..TG_SWEEP_MAX_STEPS from s[0..len): no sign, space or suffix. */
static int steps_number(const char *s, size_t len, int32_t *out)
{
    if (len == 0 || len > 6)
        return 0;
    int32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > TG_SWEEP_MAX_STEPS)
        return 0;
    *out = v;
    return 1;
}

tg_code tg_sweep_parse_steps(const char *list, int32_t **steps, size_t *n, tg_error *e)
{
    *steps = NULL;
    *n = 0;
    /* A membership map rather than a sorted append: ranges may overlap and come in any
     * order, and 100001 bytes is nothing. */
    uint8_t *in = calloc(TG_SWEEP_MAX_STEPS + 1, 1);
    if (in == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "--sweep-steps: out of memory");
    tg_code rc = TG_OK;
    const char *p = list;
    do {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *dash = memchr(p, '-', len);
        int32_t a, b;
        int ok = dash ? steps_number(p, (size_t)(dash - p), &a) &&
                            steps_number(dash + 1, len - (size_t)(dash - p) - 1, &b)
                      : steps_number(p, len, &a) && (b = a, 1);
        if (!ok) {
            rc = tg_fail(e, TG_ERR_USAGE, "--sweep-steps '%s': '%.*s' is not a number of steps "
                         "(1 to %d) or a range A-B of them", list, (int)len, p, TG_SWEEP_MAX_STEPS);
            break;
        }
        if (a > b) {
            rc = tg_fail(e, TG_ERR_USAGE, "--sweep-steps '%s': the range '%.*s' runs backwards",
                         list, (int)len, p);
            break;
        }
        for (int32_t v = a; v <= b; v++)
            in[v] = 1;
        p = end ? end + 1 : NULL;
    } while (p != NULL);
    size_t count = 0;
    for (int32_t v = 1; rc == TG_OK && v <= TG_SWEEP_MAX_STEPS; v++)
        count += in[v];
    if (rc == TG_OK && (*steps = malloc(count * sizeof **steps)) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "--sweep-steps: out of memory");
    for (int32_t v = 1; rc == TG_OK && v <= TG_SWEEP_MAX_STEPS; v++)
        if (in[v])
            (*steps)[(*n)++] = v;
    free(in);
    return rc;
}

tg_code tg_sweep_parse_models(const char *list, tg_net_kind *kinds, size_t *n, tg_error *e)
{
    *n = 0;
    const char *p = list;
    do {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int k = 0;
        while (tg_net_kind_names[k] != NULL &&
               !(strlen(tg_net_kind_names[k]) == len && strncmp(tg_net_kind_names[k], p, len) == 0))
            k++;
        if (tg_net_kind_names[k] == NULL) {
            char known[128] = "";
            for (int j = 0; tg_net_kind_names[j] != NULL; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         j ? ", " : "", tg_net_kind_names[j]);
            return tg_fail(e, TG_ERR_USAGE, "--models '%s': '%.*s' is not a model (%s)", list,
                           (int)len, p, known);
        }
        int seen = 0;
        for (size_t i = 0; i < *n; i++)
            seen |= kinds[i] == (tg_net_kind)k;
        if (!seen && *n < TG_SWEEP_MAX_MODELS)
            kinds[(*n)++] = (tg_net_kind)k;
        p = end ? end + 1 : NULL;
    } while (p != NULL);
    return TG_OK;
}

/* ---- points ---- */

/* One (model, steps) of the table. Metrics are NaN where undefined or not trained. */
typedef struct {
    tg_net_kind kind;
    int32_t steps;
    int trained;
    int resumed;             /* taken from its record in out_dir, not trained now */
    char reason[sizeof ((tg_error *)0)->msg]; /* why not trained */
    double map, macro_f1, soft_accuracy, hamming_score, exact_match, hamming_loss;
    size_t map_genres;
    uint64_t params;         /* 0: unknown (the model is not built) */
    double seconds_per_epoch, seconds;
    uint64_t peak_rss;       /* bytes; 0: unknown */
    char predictions[64];    /* file name in out_dir, "" when none */
} point;

/* Starts a new peak of resident memory for the point about to run: Linux resets
 * VmHWM when "5" is written to /proc/self/clear_refs. Returns 0 where it cannot (the
 * peak is then the process's, see peak_rss). */
static int peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* The peak resident memory since the last reset (VmHWM), or of the whole process
 * (getrusage) when /proc is not there. Bytes. */
static uint64_t peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    if (kb == 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            kb = (unsigned long long)ru.ru_maxrss;
    }
    return (uint64_t)kb * 1024;
}

/* A path in the output folder, or NULL (out of memory). Caller frees. */
static char *out_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The test metrics of the point's predictions, by eval's library. */
static tg_code point_metrics(const tg_predictions *p, double threshold, point *pt, tg_error *e)
{
    eval_input in = {.n_albums = p->n_albums, .n_genres = p->n_genres, .labels = p->labels,
                     .scores = p->scores};
    eval_metrics m;
    tg_code rc = eval_metrics_compute(&in, threshold, &m, e);
    if (rc != TG_OK)
        return rc;
    pt->map = m.map;
    pt->map_genres = m.map_genres;
    pt->macro_f1 = m.at.macro_f1;
    pt->soft_accuracy = m.at.soft_accuracy;
    pt->hamming_score = m.at.hamming_score;
    pt->exact_match = m.at.exact_match;
    pt->hamming_loss = m.at.hamming_loss;
    eval_metrics_free(&m);
    return TG_OK;
}

/* ---- point records: what makes an interrupted sweep resume ---- */

/* A trained point is recorded in out_dir as soon as it is done, in
 * point-MODEL-STEPS.txt, so that a sweep killed halfway does not train its finished
 * points again. The record is plain text, written through a temporary and renamed (a
 * kill leaves the previous record or none, never half of one):
 *
 *   tracegenre-sweep-point 1
 *   tracegenre-provenance 1            the point's provenance: the store's identity
 *   program train 0.1.0                and every option that changes its numbers, as a
 *   param model=mlp ...                `train --model M --steps N` run records them,
 *   param steps=4 ...                  plus the memory budget and the backend
 *   input size=... xxh64=... path=store.h5
 *   output predictions=predictions-mlp-4.h5 size=123 mtime_ns=456   ("-": none)
 *   output result map=... seconds=...  every number of the point's row, %.17g
 *   output reason=...                  (may be empty)
 *   output end
 *
 * A rerun takes the row from the record when the provenance matches (tg_prov_matches:
 * a touched but unchanged store still matches) and the predictions file is the one the
 * record names; otherwise it trains the point again. The timings are those measured when
 * the point was trained. The first line tells a record from any other file of that name:
 * such a file, or a damaged record, is trained again with a warning. Skipped points are
 * not recorded: deciding a skip costs no training. */
#define POINT_MAGIC "tracegenre-sweep-point 1\n"
#define POINT_MAX 16384 /* far above any record we write (about 1 kB) */

/* Test hook, as ranks.h's TG_MPI_TEST_KILL: when TG_SWEEP_TEST_KILL is N, the process
 * raises SIGKILL right after recording its Nth point, as a sweep killed there would
 * stop (no handler runs, nothing after it is written). */
static void point_test_kill(size_t recorded)
{
    const char *spec = getenv("TG_SWEEP_TEST_KILL");
    if (spec != NULL && strtoull(spec, NULL, 10) == recorded)
        raise(SIGKILL);
}

/* The record's name in out_dir, or NULL (out of memory). Caller frees. */
static char *point_record_path(const char *dir, const point *pt)
{
    char name[64];
    snprintf(name, sizeof name, "point-%s-%d.txt", tg_net_kind_names[pt->kind], pt->steps);
    return out_path(dir, name);
}

/* The point's provenance: the config of a `train --model M --steps N` run (spec is the
 * point's, resolved), the memory budget and the backend (they decide a skip and the
 * numbers), and the store with its hash, computed once per sweep. */
static tg_code point_provenance(const tg_train_options *o, const tg_net_spec *spec,
                                uint64_t store_hash, tg_prov *prov, tg_error *e)
{
    char config[1024];
    if (tg_train_config_text(o, spec, config, sizeof config) < 0)
        return tg_fail(e, TG_ERR_USAGE, "the options do not fit the config record");
    tg_code rc = tg_prov_input(prov, o->store_path, e);
    if (rc == TG_OK)
        tg_prov_set_hash(prov, 0, store_hash);
    if (rc == TG_OK)
        rc = tg_train_prov_params(prov, config, e);
    if (rc == TG_OK && (tg_prov_param(prov, "mem_limit", "%llu",
                                      (unsigned long long)tg_train_mem_limit(o)) != TG_OK ||
                        tg_prov_param(prov, "backend", "%d", (int)o->backend) != TG_OK))
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    return rc;
}

/* The size and modification time of path; 0 when it cannot be stat'ed. */
static int file_id(const char *path, unsigned long long *size, long long *mtime_ns)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    *size = (unsigned long long)st.st_size;
    *mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return 1;
}

/* Writes pt's record (pt trained) to path, prov being the point's provenance. On
 * failure the previous record, if any, is left as it was. */
static tg_code point_record_write(const char *path, const char *dir, const tg_prov *prov,
                                  const point *pt, tg_error *e)
{
    unsigned long long size = 0;
    long long mtime = 0;
    if (pt->predictions[0]) {
        char *pred = out_path(dir, pt->predictions);
        if (pred == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory");
        int ok = file_id(pred, &size, &mtime);
        if (!ok)
            tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat the point's predictions", pred);
        free(pred);
        if (!ok)
            return TG_ERR_IO;
    }
    char *text = NULL;
    tg_code rc = tg_prov_text(prov, &text, e);
    tg_outfile out;
    if (rc == TG_OK)
        rc = tg_outfile_open(&out, path, e);
    if (rc != TG_OK) {
        free(text);
        return rc;
    }
    FILE *f = out.fp;
    fprintf(f, POINT_MAGIC "%soutput predictions=%s size=%llu mtime_ns=%lld\n", text,
            pt->predictions[0] ? pt->predictions : "-", size, mtime);
    fprintf(f, "output result map=%.17g map_genres=%zu macro_f1=%.17g soft_accuracy=%.17g "
               "hamming_score=%.17g exact_match=%.17g hamming_loss=%.17g params=%llu "
               "seconds_per_epoch=%.17g peak_rss=%llu seconds=%.17g\n",
            pt->map, pt->map_genres, pt->macro_f1, pt->soft_accuracy, pt->hamming_score,
            pt->exact_match, pt->hamming_loss, (unsigned long long)pt->params,
            pt->seconds_per_epoch, (unsigned long long)pt->peak_rss, pt->seconds);
    /* the reason is one line of the record: a newline in it would end it early */
    fputs("output reason=", f);
    for (const char *r = pt->reason; *r; r++)
        fputc(*r == '\n' || *r == '\r' ? ' ' : *r, f);
    fputs("\noutput end\n", f);
    free(text);
    return tg_outfile_commit(&out, e);
}

typedef enum {
    RECALL_NONE,        /* no record: train */
    RECALL_DONE,        /* pt filled from the record */
    RECALL_OTHER,       /* made with other options, another store or version, or its
                           predictions are gone or changed: train (no warning) */
    RECALL_DAMAGED,     /* not a record, or a damaged one: train, with a warning */
} recall_result;

/* Reads path's record into pt when it matches prov (the point's provenance) and its
 * predictions file in dir is the one it names. pt->params must already be the point's
 * (its layout's): a record giving another count is damaged. On RECALL_DAMAGED, why
 * says why. pt's metrics are changed only on RECALL_DONE. */
static recall_result point_recall(const char *path, const char *dir, tg_prov *prov, point *pt,
                                  char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return RECALL_NONE;
        snprintf(why, why_size, "cannot be opened (%s)", strerror(errno));
        return RECALL_DAMAGED;
    }
    char *buf = malloc(POINT_MAX);
    size_t n = buf ? fread(buf, 1, POINT_MAX - 1, f) : 0;
    int read_error = ferror(f);
    fclose(f);
    if (buf == NULL) { /* out of memory: training again is still right */
        snprintf(why, why_size, "cannot be read (out of memory)");
        return RECALL_DAMAGED;
    }
    recall_result r = RECALL_DAMAGED;
    buf[n] = '\0';
    char pred[64];
    unsigned long long size, rsize, params, peak;
    long long mtime, rmtime;
    point got = *pt;
    int end = 0;
    const char *out = strstr(buf, "\noutput predictions=");
    const char *res = strstr(buf, "\noutput result ");
    const char *reason = strstr(buf, "\noutput reason=");
    if (read_error)
        snprintf(why, why_size, "cannot be read");
    else if (n == POINT_MAX - 1 || strlen(buf) != n || strncmp(buf, POINT_MAGIC, strlen(POINT_MAGIC)))
        snprintf(why, why_size, "is not a sweep point record");
    else if (out == NULL || res == NULL || reason == NULL ||
             sscanf(out + 1, "output predictions=%63s size=%llu mtime_ns=%lld", pred, &rsize,
                    &rmtime) != 3 ||
             sscanf(res + 1, "output result map=%lf map_genres=%zu macro_f1=%lf "
                    "soft_accuracy=%lf hamming_score=%lf exact_match=%lf hamming_loss=%lf "
                    "params=%llu seconds_per_epoch=%lf peak_rss=%llu seconds=%lf\n%n",
                    &got.map, &got.map_genres, &got.macro_f1, &got.soft_accuracy,
                    &got.hamming_score, &got.exact_match, &got.hamming_loss, &params,
                    &got.seconds_per_epoch, &peak, &got.seconds, &end) != 11 || end == 0 ||
             strstr(reason + 1, "\noutput end\n") == NULL)
        snprintf(why, why_size, "is damaged (its result does not read back)");
    else if (!tg_prov_matches(prov, buf + strlen(POINT_MAGIC)))
        r = RECALL_OTHER;
    else if (params != pt->params)
        snprintf(why, why_size, "is damaged (%llu parameters, the model has %llu)", params,
                 (unsigned long long)pt->params);
    else
        r = RECALL_DONE;
    if (r == RECALL_DONE && strcmp(pred, "-") != 0) {
        /* the row names its predictions file: it must be the one trained with it */
        char *p = out_path(dir, pred);
        if (p == NULL || !file_id(p, &size, &mtime) || size != rsize || mtime != rmtime)
            r = RECALL_OTHER;
        free(p);
    }
    if (r == RECALL_DONE) {
        const char *text = reason + strlen("\noutput reason="), *nl = strchr(text, '\n');
        got.trained = 1;
        got.params = params;
        got.peak_rss = peak;
        snprintf(got.predictions, sizeof got.predictions, "%s", strcmp(pred, "-") ? pred : "");
        snprintf(got.reason, sizeof got.reason, "%.*s", (int)(nl - text), text);
        *pt = got;
    }
    free(buf);
    return r;
}

/* Trains one point as `train --model K --steps N` would, and fills pt, unless the
 * point's record in out_dir says it was trained with the same store and options (then
 * pt comes from there and pt->resumed is 1; --force ignores records). A trained point is
 * recorded before returning. A model that is not built (TG_ERR_USAGE) or does not fit
 * (TG_ERR_LIMIT) leaves pt->trained 0 with the reason and returns TG_OK; other errors
 * are returned. store_hash is the store's XXH64. */
static tg_code run_point(const tg_sweep_options *so, tg_store *s, const tg_train_data *d,
                         uint64_t store_hash, point *pt, tg_error *e)
{
    tg_train_options o = so->train;
    o.spec.kind = pt->kind;
    o.model_path = NULL;
    tg_net_spec spec;
    tg_net_layout layout;
    tg_model m = {0};
    tg_model_history h = {0};
    tg_loader *loader = NULL;
    tg_predictions p = {0};
    tg_prov prov;
    tg_prov_init(&prov, "train", TG_VERSION);
    char *record = NULL;
    tg_batch_source src = {0};
    int reset = 0;
    uint64_t budget = 0, t0 = tg_clock_ns();
    tg_code rc = tg_train_spec_for(&o, s, pt->steps, &spec, &layout, e);
    if (rc == TG_OK)
        pt->params = layout.n_params;
    if (rc == TG_OK)
        rc = tg_train_check_memory(&o, &spec, &layout, &budget, e);
    if (rc == TG_ERR_USAGE || rc == TG_ERR_LIMIT) {
        snprintf(pt->reason, sizeof pt->reason, "%s", e->msg);
        rc = TG_OK;
        goto end;
    }
    if (rc == TG_OK)
        rc = point_provenance(&o, &spec, store_hash, &prov, e);
    if (rc == TG_OK && (record = point_record_path(so->out_dir, pt)) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc == TG_OK && !o.force) {
        char why[256];
        recall_result r = point_recall(record, so->out_dir, &prov, pt, why, sizeof why);
        if (r == RECALL_DONE) {
            pt->resumed = 1;
            goto end;
        }
        if (r == RECALL_DAMAGED)
            TG_DISPLAY(2, "train: warning: %s %s: the point is trained again\n", record, why);
        else if (r == RECALL_OTHER)
            TG_DISPLAY(3, "train: %s was made with other options, another store or version, "
                       "or its predictions changed: the point is trained again\n", record);
    }
    reset = peak_rss_reset();
    if (rc == TG_OK)
        rc = tg_model_alloc(&m, &spec, o.backend, o.batch, o.seed, o.threads, e);
    if (rc == TG_ERR_USAGE || rc == TG_ERR_LIMIT) {
        snprintf(pt->reason, sizeof pt->reason, "%s", e->msg);
        rc = TG_OK;
        goto end;
    }
    if (rc == TG_OK) {
        tg_loader_config lc = {.store = s, .steps = pt->steps, .transform = o.transform,
                               .cache_bytes = budget, .batch = o.batch, .depth = 4};
        rc = tg_loader_open(&loader, &lc, e);
    }
    if (rc == TG_OK) {
        src = tg_loader_source(loader);
        rc = tg_train_epochs(&m, &o, d, &src, NULL, &h, 3, e);
    }
    if (rc == TG_OK && d->n_test > 0)
        rc = tg_train_predict_test(&o, s, m.net, d->test, d->n_test, &src, &p, e);
    if (rc == TG_OK && d->n_test > 0)
        rc = point_metrics(&p, o.threshold, pt, e);
    if (rc == TG_OK && d->n_test > 0) {
        snprintf(pt->predictions, sizeof pt->predictions, "predictions-%s-%d.h5",
                 tg_net_kind_names[pt->kind], pt->steps);
        char *path = out_path(so->out_dir, pt->predictions);
        rc = path ? tg_predictions_write(path, &p, e)
                  : tg_fail(e, TG_ERR_NOMEM, "out of memory");
        free(path);
    }
    if (rc == TG_OK) {
        double sum = 0;
        for (size_t i = 0; i < h.n; i++)
            sum += h.seconds[i];
        pt->trained = 1;
        pt->seconds_per_epoch = h.n ? sum / (double)h.n : NAN;
        pt->peak_rss = peak_rss();
        pt->seconds = (double)(tg_clock_ns() - t0) / 1e9;
        if (!reset)
            snprintf(pt->reason, sizeof pt->reason, "peak RSS of the whole process");
    }
    /* after its predictions: a record names them, so it must not appear before them */
    if (rc == TG_OK)
        rc = point_record_write(record, so->out_dir, &prov, pt, e);
end:
    if (p.scores != NULL)
        tg_train_predictions_release(&p);
    tg_loader_close(loader);
    tg_model_free(&m);
    tg_model_history_free(&h);
    tg_prov_free(&prov);
    free(record);
    return rc;
}

/* ---- outputs ---- */

static const char *num(char *buf, size_t size, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", decimals, v);
    return buf;
}

/* The table on f, for people: 4 decimals, as train's epoch lines. */
static void print_table(FILE *f, const point *pts, size_t n)
{
    fprintf(f, "%-10s %6s %9s %9s %9s %9s %9s %9s %12s %9s %10s\n", "model", "steps", "test MAP",
            "macro F1", "soft acc", "Hamming S", "exact", "Hamming L", "parameters", "s/epoch",
            "peak RSS");
    for (size_t i = 0; i < n; i++) {
        const point *p = &pts[i];
        char c[8][32];
        if (p->params)
            snprintf(c[6], sizeof c[6], "%llu", (unsigned long long)p->params);
        else
            snprintf(c[6], sizeof c[6], "-");
        if (!p->trained) {
            fprintf(f, "%-10s %6d  skipped (%s parameters): %s\n", tg_net_kind_names[p->kind],
                    p->steps, c[6], p->reason);
            continue;
        }
        snprintf(c[7], sizeof c[7], "%.0f MB", (double)p->peak_rss / 1e6);
        fprintf(f, "%-10s %6d %9s %9s %9s %9s %9s %9s %12s %9.2f %10s\n",
                tg_net_kind_names[p->kind], p->steps, num(c[0], 32, p->map, 4),
                num(c[1], 32, p->macro_f1, 4), num(c[2], 32, p->soft_accuracy, 4),
                num(c[3], 32, p->hamming_score, 4), num(c[4], 32, p->exact_match, 4),
                num(c[5], 32, p->hamming_loss, 4), c[6], p->seconds_per_epoch, c[7]);
    }
}

/* A CSV field: quoted, quotes doubled (RFC 4180), when it holds a comma, quote or line
 * end. */
static void csv_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Full precision (%.17g reads back to the same double); empty when undefined. */
static void csv_real(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputs(",", f);
}

static void write_csv(FILE *f, const point *pts, size_t n)
{
    fputs("model,steps,status,test_map,map_genres,macro_f1,soft_accuracy,hamming_score,"
          "exact_match,hamming_loss,parameters,seconds_per_epoch,peak_rss_bytes,seconds,"
          "predictions,reason\n", f);
    for (size_t i = 0; i < n; i++) {
        const point *p = &pts[i];
        fprintf(f, "%s,%d,%s", tg_net_kind_names[p->kind], p->steps,
                p->trained ? "ok" : "skipped");
        csv_real(f, p->map);
        if (p->trained)
            fprintf(f, ",%zu", p->map_genres);
        else
            fputs(",", f);
        csv_real(f, p->macro_f1);
        csv_real(f, p->soft_accuracy);
        csv_real(f, p->hamming_score);
        csv_real(f, p->exact_match);
        csv_real(f, p->hamming_loss);
        if (p->params)
            fprintf(f, ",%llu", (unsigned long long)p->params);
        else
            fputs(",", f);
        csv_real(f, p->trained ? p->seconds_per_epoch : NAN);
        if (p->trained)
            fprintf(f, ",%llu", (unsigned long long)p->peak_rss);
        else
            fputs(",", f);
        csv_real(f, p->trained ? p->seconds : NAN);
        fputc(',', f);
        csv_text(f, p->predictions);
        fputc(',', f);
        csv_text(f, p->reason);
        fputc('\n', f);
    }
}

/* A JSON string: the escapes RFC 8259 requires (quote, backslash, controls). The
 * texts are ours or the store's names, already valid UTF-8. */
static void json_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_real(FILE *f, const char *key, double v)
{
    if (isfinite(v))
        fprintf(f, ", \"%s\": %.17g", key, v);
    else
        fprintf(f, ", \"%s\": null", key);
}

/* One document: what was swept and how, the provenance text, and one object per row
 * (undefined or unmeasured values null). */
static void write_json(FILE *f, const tg_sweep_options *o, const point *pts, size_t n,
                       const char *prov_text)
{
    fputs("{\"store\": ", f);
    json_text(f, o->train.store_path);
    fprintf(f, ", \"epochs\": %d, \"batch\": %d, \"seed\": %llu", o->train.epochs, o->train.batch,
            (unsigned long long)o->train.seed);
    json_real(f, "lr", o->train.lr);
    json_real(f, "threshold", o->train.threshold);
    fputs(", \"provenance\": ", f);
    json_text(f, prov_text);
    fputs(",\n \"rows\": [", f);
    for (size_t i = 0; i < n; i++) {
        const point *p = &pts[i];
        fprintf(f, "%s\n  {\"model\": \"%s\", \"steps\": %d, \"status\": \"%s\"", i ? "," : "",
                tg_net_kind_names[p->kind], p->steps, p->trained ? "ok" : "skipped");
        json_real(f, "test_map", p->map);
        if (p->trained)
            fprintf(f, ", \"map_genres\": %zu", p->map_genres);
        json_real(f, "macro_f1", p->macro_f1);
        json_real(f, "soft_accuracy", p->soft_accuracy);
        json_real(f, "hamming_score", p->hamming_score);
        json_real(f, "exact_match", p->exact_match);
        json_real(f, "hamming_loss", p->hamming_loss);
        if (p->params)
            fprintf(f, ", \"parameters\": %llu", (unsigned long long)p->params);
        else
            fputs(", \"parameters\": null", f);
        json_real(f, "seconds_per_epoch", p->trained ? p->seconds_per_epoch : NAN);
        if (p->trained)
            fprintf(f, ", \"peak_rss_bytes\": %llu", (unsigned long long)p->peak_rss);
        else
            fputs(", \"peak_rss_bytes\": null", f);
        json_real(f, "seconds", p->trained ? p->seconds : NAN);
        fputs(", \"predictions\": ", f);
        if (p->predictions[0])
            json_text(f, p->predictions);
        else
            fputs("null", f);
        fputs(", \"reason\": ", f);
        if (p->reason[0])
            json_text(f, p->reason);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
}

/* One metric against nbSteps, a line per model; x are the swept steps. */
typedef struct {
    const char *id, *title, *y_label;
    size_t offset; /* of a double in point */
    int unit;
} chart_def;

static const chart_def charts[] = {
    {"map", "Test MAP against nbSteps (the report's figure 4.c.3)", "test MAP",
     offsetof(point, map), 1},
    {"macro-f1", "Macro F1 against nbSteps (label-based, figure 4.c.4)", "F1 (macro)",
     offsetof(point, macro_f1), 1},
    {"soft-accuracy", "Soft accuracy against nbSteps (example-based, figure 4.c.5)",
     "Soft Accuracy", offsetof(point, soft_accuracy), 1},
    {"hamming-score", "Hamming score against nbSteps (example-based)", "Hamming Score",
     offsetof(point, hamming_score), 1},
    {"exact-match", "Exact match against nbSteps (example-based)", "Exact Match",
     offsetof(point, exact_match), 1},
    {"hamming-loss", "Hamming loss against nbSteps (example-based)", "Hamming Loss",
     offsetof(point, hamming_loss), 1},
    {"seconds", "Seconds per epoch against nbSteps", "seconds per epoch",
     offsetof(point, seconds_per_epoch), 0},
};

static double point_value(const point *p, size_t offset)
{
    double v;
    memcpy(&v, (const char *)p + offset, sizeof v);
    return p->trained ? v : NAN;
}

/* The page: the table, then each chart. pts is model-major: model k's value at
 * steps[i] is pts[k * n_steps + i]. */
static tg_code write_html(FILE *f, const tg_sweep_options *o, const point *pts,
                          const int32_t *steps, size_t n_steps, tg_error *e)
{
    double *x = malloc(n_steps * sizeof *x);
    double *y = malloc(o->n_models * n_steps * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x), free(y);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the sweep's page");
    }
    for (size_t i = 0; i < n_steps; i++)
        x[i] = steps[i];
    eval_html_page_begin(f, "train sweep", "Genre prediction: metrics against nbSteps");
    fputs("<p class=\"meta\">", f);
    eval_html_escape(f, o->train.store_path);
    fprintf(f, " · %d epoch%s · batch %d · lr %g · seed %llu · threshold %g · %s "
               "transform · train (tracegenre) %s</p>\n", o->train.epochs,
            o->train.epochs == 1 ? "" : "s", o->train.batch,
            o->train.lr, (unsigned long long)o->train.seed, o->train.threshold,
            tg_transform_names[o->train.transform], TG_VERSION);
    fputs("<section id=\"table\">\n<h2>Test metrics per model and nbSteps</h2>\n<table>\n"
          "<tr><th>Model</th><th class=\"n\">nbSteps</th><th class=\"n\">MAP</th>"
          "<th class=\"n\">F1 (macro)</th><th class=\"n\">Soft Accuracy</th>"
          "<th class=\"n\">Hamming Score</th><th class=\"n\">Exact Match</th>"
          "<th class=\"n\">Hamming Loss</th><th class=\"n\">Parameters</th>"
          "<th class=\"n\">s / epoch</th><th class=\"n\">Peak RSS</th></tr>\n", f);
    for (size_t i = 0; i < o->n_models * n_steps; i++) {
        const point *p = &pts[i];
        char c[6][32];
        fprintf(f, "<tr><td>%s</td><td class=\"n\">%d</td>", tg_net_kind_names[p->kind], p->steps);
        if (!p->trained) {
            fputs("<td colspan=\"9\">skipped: ", f);
            eval_html_escape(f, p->reason);
            fputs("</td></tr>\n", f);
            continue;
        }
        fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%llu</td><td class=\"n\">%.2f</td><td class=\"n\">%.0f&#160;MB"
                   "</td></tr>\n",
                num(c[0], 32, p->map, 4), num(c[1], 32, p->macro_f1, 4),
                num(c[2], 32, p->soft_accuracy, 4), num(c[3], 32, p->hamming_score, 4),
                num(c[4], 32, p->exact_match, 4), num(c[5], 32, p->hamming_loss, 4),
                (unsigned long long)p->params, p->seconds_per_epoch, (double)p->peak_rss / 1e6);
    }
    fputs("</table>\n</section>\n", f);
    eval_html_line lines[TG_SWEEP_MAX_MODELS];
    for (size_t c = 0; c < sizeof charts / sizeof *charts; c++) {
        for (size_t k = 0; k < o->n_models; k++) {
            for (size_t i = 0; i < n_steps; i++)
                y[k * n_steps + i] = point_value(&pts[k * n_steps + i], charts[c].offset);
            lines[k] = (eval_html_line){tg_net_kind_names[o->models[k]], y + k * n_steps};
        }
        /* log x when the list spans decades (1..30 and 358): linear, 1..30 would be
         * squeezed into a tenth of the chart */
        eval_html_chart ch = {.x_label = "nbSteps", .y_label = charts[c].y_label,
                              .unit = charts[c].unit, .log_x = x[n_steps - 1] / x[0] >= 50,
                              .mark_best = o->n_models == 1 && charts[c].unit &&
                                           charts[c].offset != offsetof(point, hamming_loss),
                              .missing = " (skipped)", .decimals = 4};
        fprintf(f, "<section id=\"%s\" class=\"chart\">\n<h2>", charts[c].id);
        eval_html_escape(f, charts[c].title);
        fputs("</h2>\n", f);
        eval_html_line_chart(f, x, n_steps, lines, o->n_models, &ch);
        fputs("</section>\n", f);
    }
    eval_html_page_end(f);
    free(x), free(y);
    return ferror(f) ? tg_fail_errno(e, TG_ERR_IO, "sweep page: write failed") : TG_OK;
}

/* Writes name in the output folder through a temporary, then its .prov stamp. */
static tg_code write_output(const tg_sweep_options *o, const char *name, int what,
                            const point *pts, const int32_t *steps, size_t n_steps,
                            tg_prov *prov, const char *prov_text, tg_error *e)
{
    char *path = out_path(o->out_dir, name);
    if (path == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    tg_outfile out;
    tg_code rc = tg_outfile_open(&out, path, e);
    if (rc == TG_OK) {
        size_t n = o->n_models * n_steps;
        if (what == 0)
            write_csv(out.fp, pts, n);
        else if (what == 1)
            write_json(out.fp, o, pts, n, prov_text);
        else
            rc = write_html(out.fp, o, pts, steps, n_steps, e);
        if (rc == TG_OK)
            rc = tg_outfile_commit(&out, e);
        else
            tg_outfile_abort(&out);
    }
    if (rc == TG_OK)
        rc = tg_stamp_write(path, prov, e);
    free(path);
    return rc;
}

static const char *const outputs[] = {"sweep.csv", "sweep.json", "sweep.html"};

/* What the table is made from: the store, the lists, every option that changes a
 * number or a skip (the memory budget does: a point may not fit), each model's
 * hyper-parameters. */
static tg_code sweep_provenance(const tg_sweep_options *o, const int32_t *steps, size_t n_steps,
                                tg_prov *prov, tg_error *e)
{
    tg_code rc = tg_prov_input(prov, o->train.store_path, e);
    char buf[1024];
    size_t used = 0;
    for (size_t k = 0; k < o->n_models && used < sizeof buf; k++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", k ? "," : "",
                                 tg_net_kind_names[o->models[k]]);
    if (rc == TG_OK && tg_prov_param(prov, "sweep_models", "%s", buf) != TG_OK)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    char *list = malloc(n_steps * 8 + 1);
    used = 0;
    for (size_t i = 0; list != NULL && i < n_steps; i++)
        used += (size_t)sprintf(list + used, "%s%d", i ? "," : "", steps[i]);
    if (rc == TG_OK && (list == NULL || tg_prov_param(prov, "sweep_steps", "%s", list) != TG_OK))
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    free(list);
    if (rc == TG_OK && tg_prov_param(prov, "mem_limit", "%llu",
                                     (unsigned long long)tg_train_mem_limit(&o->train)) != TG_OK)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc == TG_OK && tg_prov_param(prov, "backend", "%d", (int)o->train.backend) != TG_OK)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    /* each model's kind and hyper-parameters (as model.h5's config says them), then the
     * options they share, once; the steps are the list's */
    for (size_t k = 0; rc == TG_OK && k < o->n_models; k++) {
        tg_net_spec spec = o->train.spec;
        spec.kind = o->models[k];
        int n = tg_net_spec_text(&spec, buf, sizeof buf);
        if (n < 0 || (size_t)n >= sizeof buf)
            rc = tg_fail(e, TG_ERR_USAGE, "the options do not fit the config record");
        if (rc == TG_OK)
            rc = tg_train_prov_params(prov, buf, e);
    }
    int n = tg_net_spec_text(&o->train.spec, buf, sizeof buf);
    if (rc == TG_OK && tg_train_config_text(&o->train, &o->train.spec, buf, sizeof buf) < 0)
        rc = tg_fail(e, TG_ERR_USAGE, "the options do not fit the config record");
    const char *shared = buf + n, *after = strstr(shared, "steps=0\n");
    if (rc == TG_OK && after != NULL && (after == shared || after[-1] == '\n'))
        memmove((char *)after, after + 8, strlen(after + 8) + 1);
    if (rc == TG_OK)
        rc = tg_train_prov_params(prov, shared, e);
    return rc;
}

tg_code tg_sweep_run(const tg_sweep_options *o, tg_error *e)
{
    tg_store *s = NULL;
    uint32_t *train = NULL, *test = NULL;
    size_t n_train = 0, n_test = 0, n_steps = 0;
    int32_t *steps = NULL;
    point *pts = NULL;
    char *prov_text = NULL;
    tg_prov prov;
    tg_prov_init(&prov, "train", TG_VERSION);
    uint64_t t0 = tg_clock_ns();

    tg_code rc = tg_store_open(o->train.store_path, &s, e);
    if (rc != TG_OK)
        goto end;
    if (o->steps != NULL) {
        if (o->steps[o->n_steps - 1] > s->steps) {
            rc = tg_fail(e, TG_ERR_USAGE, "--sweep-steps: %s has %d steps (choose 1 to %d), "
                         "%d asked", o->train.store_path, s->steps, s->steps,
                         o->steps[o->n_steps - 1]);
            goto end;
        }
        steps = malloc(o->n_steps * sizeof *steps);
        if (steps != NULL)
            memcpy(steps, o->steps, o->n_steps * sizeof *steps);
        n_steps = o->n_steps;
    } else { /* the report's: 1 to 30, and the full resolution */
        steps = malloc(31 * sizeof *steps);
        for (int32_t v = 1; steps != NULL && v <= 30 && v <= s->steps; v++)
            steps[n_steps++] = v;
        if (steps != NULL && s->steps > 30)
            steps[n_steps++] = s->steps;
    }
    if (steps == NULL) {
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
        goto end;
    }
    rc = sweep_provenance(o, steps, n_steps, &prov, e);
    if (rc != TG_OK)
        goto end;
    int current = !o->train.force;
    for (size_t i = 0; current && i < 3; i++) {
        char *path = out_path(o->out_dir, outputs[i]);
        current = path != NULL && tg_stamp_is_current(path, &prov);
        free(path);
    }
    if (current) {
        TG_DISPLAY(2, "train: the sweep in %s is up to date\n", o->out_dir);
        goto end;
    }
    /* the store's hash now rather than after the points: each point's record carries
     * it (tg_prov_matches may have computed it already, then this reads nothing) */
    rc = tg_prov_hash_inputs(&prov, e);
    if (rc != TG_OK)
        goto end;
    const uint64_t store_hash = prov.inputs[0].hash;
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
        rc = tg_fail_errno(e, TG_ERR_IO, "%s: cannot create the sweep's folder", o->out_dir);
        goto end;
    }
    rc = tg_train_split_ids(s, TG_SPLIT_TRAIN, &train, &n_train, e);
    if (rc == TG_OK)
        rc = tg_train_split_ids(s, TG_SPLIT_TEST, &test, &n_test, e);
    if (rc == TG_OK && n_train == 0)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: no album in the train split", o->train.store_path);
    const size_t n_points = o->n_models * n_steps;
    if (rc == TG_OK && (pts = calloc(n_points, sizeof *pts)) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc != TG_OK)
        goto end;
    if (o->train.threads > 0)
        openblas_set_num_threads(o->train.threads);
    tg_train_data d = {.n_albums = s->n_albums, .labels = s->labels, .train = train,
                       .n_train = n_train, .test = test, .n_test = n_test};
    TG_DISPLAY(2, "train: sweep of %zu model%s at %zu nbSteps on %s (%zu train and %zu test "
               "albums, %d epochs each)\n", o->n_models, o->n_models == 1 ? "" : "s", n_steps,
               o->train.store_path, n_train, n_test, o->train.epochs);
    size_t recorded = 0, resumed = 0;
    for (size_t i = 0; rc == TG_OK && i < n_points; i++) {
        point *p = &pts[i];
        p->kind = o->models[i / n_steps];
        p->steps = steps[i % n_steps];
        p->map = p->macro_f1 = p->soft_accuracy = p->hamming_score = p->exact_match =
            p->hamming_loss = p->seconds_per_epoch = p->seconds = NAN;
        rc = run_point(o, s, &d, store_hash, p, e);
        if (rc == TG_OK && p->resumed) {
            resumed++;
            TG_DISPLAY(2, "train: sweep %zu/%zu: %s at %d steps: trained before (its record in "
                       "%s): test MAP %.4f, macro F1 %.4f\n", i + 1, n_points,
                       tg_net_kind_names[p->kind], p->steps, o->out_dir, p->map, p->macro_f1);
        } else if (rc == TG_OK && p->trained) {
            TG_DISPLAY(2, "train: sweep %zu/%zu: %s at %d steps: test MAP %.4f, macro F1 %.4f, "
                       "%.2f s/epoch, peak RSS %.0f MB\n", i + 1, n_points,
                       tg_net_kind_names[p->kind], p->steps, p->map, p->macro_f1,
                       p->seconds_per_epoch, (double)p->peak_rss / 1e6);
            point_test_kill(++recorded);
        } else if (rc == TG_OK) {
            TG_DISPLAY(2, "train: sweep %zu/%zu: %s at %d steps skipped: %s\n", i + 1, n_points,
                       tg_net_kind_names[p->kind], p->steps, p->reason);
        }
    }
    if (rc == TG_OK && resumed > 0)
        TG_DISPLAY(2, "train: resumed: %zu point%s taken from %s's records, %zu trained\n",
                   resumed, resumed == 1 ? "" : "s", o->out_dir, recorded);
    if (rc == TG_OK)
        rc = tg_prov_hash_inputs(&prov, e);
    if (rc == TG_OK)
        rc = tg_prov_text(&prov, &prov_text, e);
    for (int w = 0; rc == TG_OK && w < 3; w++)
        rc = write_output(o, outputs[w], w, pts, steps, n_steps, &prov, prov_text, e);
    if (rc == TG_OK) {
        print_table(stdout, pts, n_points);
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = tg_fail_errno(e, TG_ERR_IO, "standard output: write failed");
    }
    if (rc == TG_OK)
        TG_DISPLAY(2, "train: wrote %s/sweep.csv, sweep.json and sweep.html in %.1f s\n",
                   o->out_dir, (double)(tg_clock_ns() - t0) / 1e9);
end:
    tg_store_close(s);
    tg_prov_free(&prov);
    free(prov_text), free(train), free(test), free(steps), free(pts);
    return rc;
}
