/* test_report.c - eval's text tables (side-by-side summaries, "—" for an undefined AP,
 * alignment by characters, --decimals) and its JSON (valid, full precision, null). */
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

/* Runs the text report into a malloc'd string. */
static char *report(const eval_metrics *m, const eval_sweep *sw, int decimals)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f);
    tg_error e = {0};
    cr_assert_eq(eval_report_print(f, m, NAMES, sw, decimals, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fclose(f), 0);
    return text;
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
