/* test_report.c - eval's text tables (side-by-side summaries, "—" for an undefined AP,
 * alignment by characters, --decimals), its JSON (valid, full precision, null), and
 * model.h5's history as a table and as a JSON array. */
#include "json.h"
#include "metrics.h"
#include "report.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* 3 albums x 3 genres; "Jazz" has no positive, so its AP is undefined. */
static const uint8_t Y[] = {1, 0, 0, 0, 1, 0, 1, 1, 0};
static const float S[] = {.9f, .2f, .1f, .4f, .7f, .5f, .3f, .6f, .2f};
static const char *const NAMES[] = {"Variété Internationale", "Pop \"indé\"", "Jazz"};

static void compute(eval_metrics *m, eval_sweep *sw)
{
    eval_input in = {.n_albums = 3, .n_genres = 3, .labels = Y, .scores = S};
    tg_error e = {0};
    cr_assert_eq(eval_metrics_compute(&in, 0.3, m, &e), TG_OK, "%s", e.msg);
    if (sw != NULL)
        cr_assert_eq(eval_sweep_compute(&in, 0.1, 0.9, 0.2, sw, &e), TG_OK, "%s", e.msg);
}

/* Runs the text report with these genre names into a malloc'd string. */
static char *report_named(const eval_metrics *m, const eval_sweep *sw, int decimals,
                          const char *const *names)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f);
    tg_error e = {0};
    cr_assert_eq(eval_report_print(f, m, names, sw, decimals, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static char *report(const eval_metrics *m, const eval_sweep *sw, int decimals)
{
    return report_named(m, sw, decimals, NAMES);
}

/* The line of text that contains needle (a static copy), or fails. */
static const char *line_with(const char *text, const char *needle)
{
    static char line[1024];
    const char *p = strstr(text, needle);
    cr_assert_not_null(p, "'%s' not in:\n%s", needle, text);
    const char *start = p;
    while (start > text && start[-1] != '\n')
        start--;
    const char *end = strchr(p, '\n');
    size_t n = end != NULL ? (size_t)(end - start) : strlen(start);
    cr_assert_lt(n, sizeof line);
    memcpy(line, start, n);
    line[n] = '\0';
    return line;
}

static size_t chars(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

Test(report, tables)
{
    eval_metrics m;
    compute(&m, NULL);
    char *text = report(&m, NULL, 2);
    /* the two summary tables side by side, as in the seed report's section 4.c */
    const char *head = line_with(text, "Label-Based Metric");
    cr_assert(strstr(head, "|| Example-Based Metric") != NULL, "%s", head);
    /* MAP over the 2 genres that have a positive, beside soft accuracy:
     * genre 0: .9 (1), .4 (0), .3 (1): 1/2 * 1 + 1/2 * 2/3 = 5/6; genre 1: .7 (1),
     * .6 (1), .2 (0): 1. MAP (5/6 + 1) / 2 = 0.9166 -> "0.92". Soft accuracy at 0.3:
     * z = a0 {0}, a1 {0,1,2}, a2 {1}; true a0 {0}: 1/1, a1 {1}: 1/1, a2 {0,1}: 1/2;
     * (1 + 1 + 1/2) / 3 = 0.83. */
    const char *row = line_with(text, "MAP (2 of 3 genres)");
    cr_assert(strstr(row, "0.92") != NULL && strstr(row, "|| Soft Accuracy") != NULL, "%s", row);
    cr_assert(strstr(row, "0.83") != NULL, "%s", row);
    cr_assert(strstr(text, "left out of MAP: Jazz") != NULL, "%s", text);
    /* per-genre table: "—" for the undefined AP, support 0 */
    row = line_with(text, "Jazz ");
    cr_assert(strstr(row, "\xE2\x80\x94") != NULL, "%s", row);
    /* rows line up by characters although the names are multi-byte */
    size_t w = chars(line_with(text, "Genre      "));
    cr_assert_eq(chars(line_with(text, "Variété Internationale ")), w);
    cr_assert_eq(chars(line_with(text, "Jazz ")), w);
    /* confusion matrices: genre 2 at 0.3: predicted for a1 (.5) only: TN 2 FP 1 FN 0
     * TP 0 */
    cr_assert(strstr(text, "[[TN, FP], [FN, TP]]") != NULL);
    const char *conf = strstr(text, "[[TN, FP], [FN, TP]]");
    row = line_with(conf, "Jazz ");
    int tn, fp, fn, tp;
    cr_assert_eq(sscanf(row + strlen("Jazz"), "%d %d %d %d", &tn, &fp, &fn, &tp), 4, "%s", row);
    cr_assert(tn == 2 && fp == 1 && fn == 0 && tp == 0, "%s", row);
    free(text);

    text = report(&m, NULL, 4);
    cr_assert(strstr(line_with(text, "MAP ("), "0.9167") != NULL, "--decimals 4");
    free(text);
    eval_metrics_free(&m);
}

/* A name longer than the genre column's cap has a line of its own in both per-genre
 * tables, its numbers the next line, in the columns of the others; the column stays as
 * wide as the other names. */
Test(report, a_very_long_genre_name_keeps_the_columns)
{
    eval_metrics m;
    compute(&m, NULL);
    char long_name[301];
    memset(long_name, 'L', 300);
    long_name[300] = '\0';
    const char *names[] = {"Variété Internationale", long_name, "Jazz"};
    char *text = report_named(&m, NULL, 2, names);
    size_t w = chars(line_with(text, "Genre      "));
    cr_assert_lt(w, 120, "the column did not widen:\n%s", text);
    cr_assert_eq(chars(line_with(text, "Variété Internationale ")), w);
    const char *tables[] = {"Genre      ", "[[TN, FP], [FN, TP]]"};
    for (int t = 0; t < 2; t++) {
        const char *at = strstr(text, tables[t]);
        cr_assert_not_null(at);
        at = strstr(at, long_name);
        cr_assert_not_null(at, "table %d", t);
        cr_assert_eq(at[300], '\n', "the long name ends its line");
        const char *numbers = at + 301, *end = strchr(numbers, '\n');
        cr_assert_not_null(end);
        /* the genre column (as wide as the next longest name) is blank, and the line
         * is as long as the table's other rows: the numbers sit in their columns */
        cr_assert_geq(strspn(numbers, " "), chars("Variété Internationale") + 1);
        cr_assert_eq((size_t)(end - numbers), chars(line_with(at, "Jazz ")),
                     "table %d:\n%s", t, text);
    }
    free(text);
    eval_metrics_free(&m);
}

Test(report, sweep_table)
{
    eval_metrics m;
    eval_sweep sw;
    compute(&m, &sw);
    char *text = report(&m, &sw, 2);
    cr_assert(strstr(text, "Threshold sweep: macro F1 is highest at threshold") != NULL);
    line_with(text, "     0.1 ");
    line_with(text, "     0.9 ");
    free(text);
    eval_sweep_free(&sw);
    eval_metrics_free(&m);
}

static yajl_val get(yajl_val v, const char *a, const char *b)
{
    const char *path[] = {a, b, NULL};
    yajl_val r = yajl_tree_get(v, path, yajl_t_any);
    cr_assert_not_null(r, "%s/%s missing", a, b != NULL ? b : "");
    return r;
}

Test(report, json)
{
    eval_metrics m;
    eval_sweep sw;
    compute(&m, &sw);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    tg_error e = {0};
    cr_assert_eq(eval_json_write(f, &m, NAMES, &sw, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fclose(f), 0);
    char why[256];
    yajl_val doc = yajl_tree_parse(text, why, sizeof why);
    cr_assert_not_null(doc, "invalid JSON (%s):\n%s", why, text);
    /* full precision: the numbers read back to the same doubles */
    cr_assert_eq(YAJL_GET_DOUBLE(get(doc, "map", NULL)), m.map);
    cr_assert_eq(YAJL_GET_DOUBLE(get(doc, "micro_ap", NULL)), m.micro_ap);
    cr_assert_eq(YAJL_GET_DOUBLE(get(doc, "macro", "f1")), m.at.macro_f1);
    cr_assert_eq(YAJL_GET_INTEGER(get(doc, "map_genres", NULL)), 2);
    yajl_val genres = get(doc, "genres", NULL);
    cr_assert(YAJL_IS_ARRAY(genres) && genres->u.array.len == 3);
    yajl_val g1 = genres->u.array.values[1], g2 = genres->u.array.values[2];
    cr_assert_str_eq(YAJL_GET_STRING(get(g1, "name", NULL)), "Pop \"indé\"");
    cr_assert(YAJL_IS_NULL(get(g2, "ap", NULL)), "undefined AP is null");
    cr_assert_eq(YAJL_GET_INTEGER(get(g2, "support", NULL)), 0);
    yajl_val conf = get(g2, "confusion", NULL);
    cr_assert_eq(YAJL_GET_INTEGER(conf->u.array.values[0]->u.array.values[1]), 1, "FP");
    yajl_val ts = get(doc, "sweep", "thresholds");
    cr_assert(YAJL_IS_ARRAY(ts) && ts->u.array.len == sw.n);
    cr_assert_eq(YAJL_GET_DOUBLE(get(doc, "sweep", "best_threshold")),
                 sw.at[sw.best].threshold);
    const char *hpath[] = {"history", NULL};
    cr_assert_null(yajl_tree_get(doc, hpath, yajl_t_any), "history only when a model is read");
    yajl_tree_free(doc);
    free(text);

    /* a name that is not UTF-8 is refused rather than written as broken JSON */
    const char *bad[] = {"Rock", "Pop \xFF", "Jazz"};
    f = open_memstream(&text, &size);
    cr_assert_eq(eval_json_write(f, &m, bad, NULL, NULL, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "not valid UTF-8") != NULL, "%s", e.msg);
    fclose(f);
    free(text);
    eval_sweep_free(&sw);
    eval_metrics_free(&m);
}

/* 3 epochs; epoch 2 was not evaluated (test values NaN). */
static int32_t EP[] = {1, 2, 3};
static double TRL[] = {0.69, 0.5, 0.41234}, TEL[] = {0.7, NAN, 0.45}, MAPV[] = {0.2, NAN, 0.4},
              F1V[] = {0.1, NAN, 0.3}, SEC[] = {1.25, 1.5, 2}, LDR[] = {0.1, 0.2, 0.3};
static const tg_model_history HIST = {.n = 3, .epoch = EP, .train_loss = TRL, .test_loss = TEL,
                                      .test_map = MAPV, .test_macro_f1 = F1V, .seconds = SEC,
                                      .loader_seconds = LDR};

static char *history_text(const tg_model_history *h)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f);
    tg_error e = {0};
    cr_assert_eq(eval_history_print(f, "runs/model.h5", h, 2, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fclose(f), 0);
    return text;
}

Test(report, history_table)
{
    char *text = history_text(&HIST);
    cr_assert_str_eq(text,
                     "Training history of runs/model.h5: 3 epoch(s)\n"
                     "Epoch Train loss  Test loss Test MAP F1 macro  Seconds\n"
                     "    1     0.6900     0.7000     0.20     0.10      1.2\n"
                     "    2     0.5000          \xE2\x80\x94        \xE2\x80\x94        "
                     "\xE2\x80\x94      1.5\n"
                     "    3     0.4123     0.4500     0.40     0.30      2.0\n");
    free(text);
}

/* 30 epochs: the first and last 10, and how many were left out. */
Test(report, long_history_elided)
{
    int32_t ep[30];
    double v[30];
    for (int i = 0; i < 30; i++)
        ep[i] = i + 1, v[i] = 0.5;
    tg_model_history h = {.n = 30, .epoch = ep, .train_loss = v, .test_loss = v, .test_map = v,
                          .test_macro_f1 = v, .seconds = v, .loader_seconds = v};
    char *text = history_text(&h);
    cr_assert(strstr(text, "\n   10 ") != NULL && strstr(text, "\n   11 ") == NULL, "%s", text);
    cr_assert(strstr(text, "\n   20 ") == NULL && strstr(text, "\n   21 ") != NULL, "%s", text);
    cr_assert(strstr(text, "\n   30 ") != NULL, "%s", text);
    cr_assert(strstr(text, "  ... 10 epochs left out") != NULL, "%s", text);
    free(text);
}

Test(report, history_json)
{
    eval_metrics m;
    compute(&m, NULL);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    tg_error e = {0};
    cr_assert_eq(eval_json_write(f, &m, NAMES, NULL, &HIST, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fclose(f), 0);
    char why[256];
    yajl_val doc = yajl_tree_parse(text, why, sizeof why);
    cr_assert_not_null(doc, "invalid JSON (%s):\n%s", why, text);
    yajl_val h = get(doc, "history", NULL);
    cr_assert(YAJL_IS_ARRAY(h) && h->u.array.len == 3);
    yajl_val e2 = h->u.array.values[1], e3 = h->u.array.values[2];
    cr_assert_eq(YAJL_GET_INTEGER(get(e2, "epoch", NULL)), 2);
    cr_assert(YAJL_IS_NULL(get(e2, "test_loss", NULL)), "NaN is null");
    cr_assert(YAJL_IS_NULL(get(e2, "test_map", NULL)));
    cr_assert_eq(YAJL_GET_DOUBLE(get(e3, "train_loss", NULL)), 0.41234, "full precision");
    cr_assert_eq(YAJL_GET_DOUBLE(get(e3, "test_macro_f1", NULL)), 0.3);
    cr_assert_eq(YAJL_GET_DOUBLE(get(e3, "loader_seconds", NULL)), 0.3);
    cr_assert_eq(YAJL_GET_DOUBLE(get(e3, "seconds", NULL)), 2);
    yajl_tree_free(doc);
    free(text);
    eval_metrics_free(&m);
}
