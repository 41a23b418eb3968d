/* html.h - eval's report as one self-contained HTML page: summary tables and inline
 * SVG charts, no script and no external resource, readable offline in any browser. */
#ifndef TG_EVAL_HTML_H
#define TG_EVAL_HTML_H

#include "error.h"
#include "metrics.h"
#include "model_file.h"

#include <stdio.h>

/* What the page says about where the numbers come from. */
typedef struct {
    const char *input;  /* the evaluated file(s), e.g. "predictions.h5" */
    const char *split;  /* "test", "train", "all", or NULL (CSV input: no split) */
    const char *model;  /* the model file whose history was read; NULL when none */
    const tg_model_history *history; /* its history, or NULL (none read: see note) */
    const char *history_note; /* when history is NULL: why, one sentence, shown as is
                               * (escaped); NULL for a generic one */
    int decimals;       /* decimals of the values shown (0 to 17) */
} eval_html_info;

/* Sections, in page order, each a <section> with this id. Those marked chart hold
 * exactly one <svg>; the others none, except history, which holds two (loss; test
 * MAP) when a history with at least one epoch is given and none otherwise.
 * tests/eval/html_check.py checks that. */
#define EVAL_HTML_SECTIONS "summary history ap threshold confusion support genres"
#define EVAL_HTML_CHARTS "ap threshold confusion support"

/* Writes the page to f: the label-based and example-based summary tables, the
 * training history (from info->history: train and test loss per epoch in one chart,
 * test MAP per epoch in another, undefined values skipped, lines broken there, points
 * marked when there are few; or info->history_note when there is no history), and
 * charts of per-genre AP (undefined AP marked as such), the metrics against the
 * threshold (from sweep, which must not be NULL), the one-vs-all confusion matrices as
 * heatmaps, genre support, then the per-genre table. genre_names has m->n_genres
 * entries (valid UTF-8; escaped here). The page is XHTML-compatible (every element
 * closed, attributes quoted, no named entity but XML's), so XML parsers accept it.
 * Fails with TG_ERR_IO when f reports a write error; what was written stays in f
 * (callers write through tg_outfile, which then discards it). */
tg_code eval_html_write(FILE *f, const eval_metrics *m, const char *const *genre_names,
                        const eval_sweep *sweep, const eval_html_info *info, tg_error *e);

/* ---- Pieces of the page for other reports (train's nbSteps sweep) ---- */

/* Writes the page's head (eval's style sheet) with title, then the body's opening and
 * heading as <h1>; both escaped here. Close the page with eval_html_page_end. */
void eval_html_page_begin(FILE *f, const char *title, const char *heading);
void eval_html_page_end(FILE *f);

/* Writes s with XML's five special characters escaped (text and attribute values). */
void eval_html_escape(FILE *f, const char *s);

/* One line of a line chart: a name for the legend (escaped here) and y [n], NaN (or
 * infinite) where there is no value: the line is broken there. */
typedef struct {
    const char *name;
    const double *y;
} eval_html_line;

typedef struct {
    const char *x_label, *y_label;
    int unit;            /* y axis [0, 1] (MAP, F1...); else from 0 to a round value above
                          * the largest (below 0 likewise) */
    int log_x;           /* logarithmic x axis when the x span more than 1.5x (all x > 0) */
    int mark_best;       /* ring the highest value of the first line and say its x */
    const char *missing; /* legend suffix of a line without any value (NULL: " (no value)") */
    int decimals;        /* of the best value shown */
} eval_html_chart;

/* Writes one <svg> chart of lines[k].y against x [n] (increasing, n >= 1), one colour
 * per line (the first 7 lines; more are left out), odd lines with open markers so that
 * equal values stay visible, the legend on the right: the chart of the training history,
 * for any x. Write errors stay in f's error flag. */
void eval_html_line_chart(FILE *f, const double *x, size_t n, const eval_html_line *lines,
                          size_t n_lines, const eval_html_chart *c);

#endif
