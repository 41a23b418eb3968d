/* html.c - eval's HTML report: a page of tables and hand-drawn inline SVG charts, one
 * small function per chart. Geometry is in SVG user units; the viewBox scales it. */
#include "html.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UNDEFINED "\xE2\x80\x94" /* "—" */
#define ELLIPSIS "\xE2\x80\xA6"  /* "…" */

/* Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                                      "#56B4E9", "#000000"};

/* Text and attribute values: the five characters XML gives a meaning. */
static void esc(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* s escaped, cut to at most max characters (UTF-8) with "…" as the last one, so that a
 * long genre name cannot run into the chart; the full name goes in a <title>. */
static void esc_cut(FILE *f, const char *s, size_t max)
{
    size_t chars = 0;
    for (const char *p = s; *p != '\0'; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (chars <= max) {
        esc(f, s);
        return;
    }
    char buf[256];
    size_t used = 0, kept = 0;
    for (const char *p = s; *p != '\0' && used < sizeof buf - 1; p++) {
        int starts = ((unsigned char)*p & 0xC0) != 0x80;
        if (starts && ++kept > max - 1)
            break;
        buf[used++] = *p;
    }
    buf[used] = '\0';
    esc(f, buf);
    fputs(ELLIPSIS, f);
}

/* A value with decimals places, or "—" when undefined. buf holds 64 bytes. */
static const char *fmt(char *buf, double v, int decimals)
{
    if (isnan(v))
        return strcpy(buf, UNDEFINED);
    snprintf(buf, 64, "%.*f", decimals, v);
    return buf;
}

/* A step of 1, 2 or 5 times a power of ten giving about 5 ticks up to vmax. */
static double nice_step(double vmax)
{
    double raw = vmax / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/* The page up to its <title>'s text, and from the end of that text to the <h1>: eval's
 * page and the sweep's share them, so they look alike. */
static void head_open(FILE *f)
{
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<title>", f);
}

static void head_close(FILE *f, const char *heading)
{
    fputs("</title>\n<style>\n"
          "body{font-family:\"DejaVu Sans\",\"Segoe UI\",Helvetica,Arial,sans-serif;color:#222;"
          "background:#fff;max-width:1000px;margin:24px auto;padding:0 16px;line-height:1.4}\n"
          "h1{font-size:1.5em;margin-bottom:0.2em}\n"
          "h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.8em}\n"
          "p.meta{color:#555;margin-top:0}\n"
          "p.note{color:#555}\n"
          ".tables{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}\n"
          "table{border-collapse:collapse;font-size:0.9em}\n"
          "th,td{padding:3px 10px;border-bottom:1px solid #e5e5e5;text-align:left}\n"
          "th{background:#f3f3f3}\n"
          ".n{text-align:right;font-variant-numeric:tabular-nums}\n"
          "svg{display:block;max-width:100%;height:auto}\n"
          "svg text{font-size:12px;fill:#222}\n"
          "svg text.v{paint-order:stroke;stroke:#fff;stroke-width:3px}\n"
          "</style>\n</head>\n<body>\n<h1>", f);
    esc(f, heading);
    fputs("</h1>\n", f);
}

void eval_html_escape(FILE *f, const char *s)
{
    esc(f, s);
}

void eval_html_page_begin(FILE *f, const char *title, const char *heading)
{
    head_open(f);
    esc(f, title);
    head_close(f, heading);
}

void eval_html_page_end(FILE *f)
{
    fputs("</body>\n</html>\n", f);
}

static void page_head(FILE *f, const eval_metrics *m, const eval_html_info *info)
{
    char t[64];
    head_open(f);
    fputs("eval: ", f);
    esc(f, info->input);
    head_close(f, "Genre prediction: evaluation");
    fputs("<p class=\"meta\">", f);
    esc(f, info->input);
    if (info->split != NULL) {
        fputs(" · split ", f);
        esc(f, info->split);
    }
    if (info->model != NULL && info->history != NULL) {
        fputs(" · model ", f);
        esc(f, info->model);
    }
    fprintf(f, " · %zu albums × %zu genres · threshold %s · eval (tracegenre) %s</p>\n",
            m->n_albums, m->n_genres, fmt(t, m->at.threshold, info->decimals), TG_VERSION);
}

typedef struct {
    const char *name;
    double value;
} row;

static void metric_table(FILE *f, const char *head, const row *rows, size_t n, int decimals)
{
    char t[64];
    fprintf(f, "<table>\n<tr><th>%s</th><th class=\"n\">Result</th></tr>\n", head);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", f);
        esc(f, rows[i].name);
        fprintf(f, "</td><td class=\"n\">%s</td></tr>\n", fmt(t, rows[i].value, decimals));
    }
    fputs("</table>\n", f);
}

/* The report's two summary tables side by side, and what is undefined and why. */
static void summary_section(FILE *f, const eval_metrics *m, const char *const *names,
                            int decimals)
{
    char map_name[64];
    snprintf(map_name, sizeof map_name, "MAP (%zu of %zu genres)", m->map_genres, m->n_genres);
    const eval_at *a = &m->at;
    const row label[] = {
        {map_name, m->map},
        {"Precision (macro)", a->macro_precision}, {"Recall (macro)", a->macro_recall},
        {"F1 (macro)", a->macro_f1},               {"Precision (micro)", a->micro_precision},
        {"Recall (micro)", a->micro_recall},       {"F1 (micro)", a->micro_f1},
        {"AP (micro)", m->micro_ap},
    };
    const row example[] = {
        {"Soft Accuracy", a->soft_accuracy},  {"Hamming Score", a->hamming_score},
        {"Exact Match", a->exact_match},      {"Hamming Loss", a->hamming_loss},
        {"Label Ranking AP", m->lrap},        {"Coverage Error", m->coverage_error},
    };
    fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"tables\">\n", f);
    metric_table(f, "Label-Based Metric", label, sizeof label / sizeof *label, decimals);
    metric_table(f, "Example-Based Metric", example, sizeof example / sizeof *example, decimals);
    fputs("</div>\n", f);
    if (m->map_genres < m->n_genres) {
        fputs("<p class=\"note\">AP undefined (no album has the genre), left out of MAP:", f);
        const char *sep = " ";
        for (size_t l = 0; l < m->n_genres; l++)
            if (isnan(m->ap[l])) {
                fputs(sep, f);
                esc(f, names[l]);
                sep = ", ";
            }
        fputs(".</p>\n", f);
    }
    if (m->albums_without_label > 0)
        fprintf(f, "<p class=\"note\">%zu album(s) have no true genre: each counts 1 in Soft "
                   "Accuracy, and in Hamming Score when nothing is predicted for it.</p>\n",
                m->albums_without_label);
    fputs("</section>\n", f);
}

/* One line of an epoch chart. */
typedef struct {
    const char *name;
    const double *v; /* [epochs]; NaN (or infinite): not recorded, skipped */
    const char *colour;
    int hollow; /* markers as open squares: equal values of two series stay visible */
} epoch_series;

/* A point of an epoch chart: a dot, or an open square around where a dot would be. */
static void marker(FILE *f, double x, double y, const epoch_series *s)
{
    if (s->hollow)
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"none\" "
                   "stroke=\"%s\" stroke-width=\"1.5\"/>\n", x - 4, y - 4, s->colour);
    else
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y, s->colour);
}

/* Decimals that tell ticks step apart: 0 for a step of 1 or more, 1 for 0.1 to 0.9. */
static int tick_decimals(double step)
{
    return step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
}

/* The x axis of a line chart: linear, or logarithmic (x > 0) when the values span
 * decades, as nbSteps 1 to 30 and 358 do: linear, 1..30 would share a tenth of it. */
typedef struct {
    double lo, hi, x0, x1;
    int log;
} x_axis;

static double x_pos(const x_axis *a, double v)
{
    if (a->log)
        return a->x0 + (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo)) * (a->x1 - a->x0);
    return a->x0 + (v - a->lo) / (a->hi - a->lo) * (a->x1 - a->x0);
}

/* How a line chart labels and scales itself. */
typedef struct {
    const char *x_label, *y_label;
    int unit;            /* y in [0, 1]; else [0, a round value above the largest] */
    int log_x;           /* logarithmic x axis (every x must be > 0) */
    int mark_best;       /* ring the highest value of the first series, say its x */
    const char *missing; /* legend suffix of a series without any value */
} chart_axes;

/* Values against x (increasing), one line per series, legend on the right. A line is
 * broken where a value is missing rather than drawn across it, so that a gap stays
 * visible; points are marked when there are few and wherever a value stands alone
 * (one point, or between gaps), since a line of one point is invisible. */
static void line_chart(FILE *f, const double *x, size_t n, const epoch_series *s, size_t ns,
                       const chart_axes *ax, int decimals)
{
    const double W = 760, H = 290, X0 = 70, X1 = 540, Y0 = 14, Y1 = 240;
    double lo = x[0], hi = x[0], vmin = 0, vmax = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        for (size_t k = 0; k < ns; k++)
            if (isfinite(s[k].v[i])) {
                vmin = fmin(vmin, s[k].v[i]);
                vmax = fmax(vmax, s[k].v[i]);
            }
    }
    const double first = lo;
    double xstep = fmax(1, round(nice_step(fmax(1, hi - lo))));
    int log_x = ax->log_x && lo > 0 && hi / lo > 1.5;
    if (log_x) { /* the same room at both ends, as a share of the decades shown */
        double pad = pow(hi / lo, 0.03);
        lo /= pad;
        hi *= pad;
    } else if (hi - lo < 1) { /* one point: put it in the middle */
        lo -= 0.5;
        hi += 0.5;
    } else { /* room at both ends, so that the end points do not sit on the frame */
        double pad = 0.03 * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    const x_axis xa = {lo, hi, X0, X1, log_x};
    double ystep, bot, top;
    if (ax->unit) {
        ystep = 0.2, bot = 0, top = 1;
    } else {
        ystep = vmax - vmin > 0 ? nice_step(vmax - vmin) : 0.2;
        top = vmax > 0 ? ystep * ceil(vmax / ystep - 1e-9) : 1;
        bot = vmin < 0 ? -ystep * ceil(-vmin / ystep - 1e-9) : 0;
    }
    int yd = tick_decimals(ystep);
    char t[64];
#define PX(v) x_pos(&xa, (v))
#define PY(v) (Y1 - ((v) - bot) / (top - bot) * (Y1 - Y0))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    for (double v = bot; v <= top + ystep / 2; v += ystep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
                X0, PY(v), X1, PY(v), X0 - 6, PY(v) + 4, yd, fabs(v) < ystep / 1e6 ? 0.0 : v);
    if (log_x) {
        /* Ticks at 1, 2 and 5 times the powers of ten; the first and last x are
         * labelled too unless a tick is within 30 % of them (the labels would collide):
         * without them the ends of a curve (nbSteps 358) read as no value in particular. */
        double near_first = INFINITY, near_last = INFINITY, last = x[n - 1];
        for (double mag = pow(10, floor(log10(lo))); mag <= hi; mag *= 10)
            for (int k = 0; k < 3; k++) {
                double v = mag * (k == 0 ? 1 : k == 1 ? 2 : 5);
                if (v < lo || v > hi)
                    continue;
                near_first = fmin(near_first, fmax(v / first, first / v));
                near_last = fmin(near_last, fmax(v / last, last / v));
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n",
                        PX(v), Y0, PX(v), Y1, PX(v), Y1 + 16, v);
            }
        if (near_first > 1.3)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", PX(first),
                    Y1 + 16, first);
        if (near_last > 1.3 && last != first)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", PX(last),
                    Y1 + 16, last);
    } else {
        /* The first x is labelled too, unless a round tick is close enough to it to
         * collide: without it the left end of a curve reads as no value in particular. */
        double first_tick = xstep * ceil(first / xstep - 1e-9);
        if (first_tick - first >= xstep / 2)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n",
                    PX(first), Y0, PX(first), Y1, PX(first), Y1 + 16, first);
        for (double v = first_tick; v <= hi + 1e-9; v += xstep)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n",
                    PX(v), Y0, PX(v), Y1, PX(v), Y1 + 16, v);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#444\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            X0, Y0, X1 - X0, Y1 - Y0, (X0 + X1) / 2, Y1 + 36);
    esc(f, ax->x_label);
    fprintf(f, "%s</text>\n<text transform=\"translate(16,%.1f) rotate(-90)\" "
               "text-anchor=\"middle\">", log_x ? " (logarithmic scale)" : "", (Y0 + Y1) / 2);
    esc(f, ax->y_label);
    fputs("</text>\n", f);
    for (size_t k = 0; k < ns; k++) {
        const double *v = s[k].v;
        size_t recorded = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i]))
                continue;
            recorded++;
            size_t end = i; /* the run of recorded values from i */
            while (end + 1 < n && isfinite(v[end + 1]))
                end++;
            if (end > i) {
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                        s[k].colour);
                for (size_t j = i; j <= end; j++)
                    fprintf(f, "%s%.1f,%.1f", j > i ? " " : "", PX(x[j]), PY(v[j]));
                fputs("\"/>\n", f);
            }
            for (size_t j = i; j <= end; j++)
                if (n <= 30 || end == i)
                    marker(f, PX(x[j]), PY(v[j]), &s[k]);
            recorded += end - i;
            i = end;
        }
        double ly = Y0 + 10 + 20 * (double)k;
        fprintf(f, "<line x1=\"560\" y1=\"%.1f\" x2=\"584\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\"/>\n", ly, ly, s[k].colour);
        marker(f, 572, ly, &s[k]);
        fprintf(f, "<text x=\"590\" y=\"%.1f\">", ly + 4);
        esc(f, s[k].name);
        if (recorded == 0)
            esc(f, ax->missing);
        fputs("</text>\n", f);
    }
    size_t best = n;
    for (size_t i = 0; ax->mark_best && i < n; i++)
        if (isfinite(s[0].v[i]) && (best == n || s[0].v[i] > s[0].v[best]))
            best = i;
    if (best < n) {
        double ly = Y0 + 10 + 20 * (double)ns + 10;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#222\" "
                   "stroke-width=\"2\"/>\n<circle cx=\"572\" cy=\"%.1f\" r=\"6\" fill=\"none\" "
                   "stroke=\"#222\" stroke-width=\"2\"/>\n<text x=\"590\" y=\"%.1f\">best: %s</text>\n"
                   "<text x=\"590\" y=\"%.1f\" style=\"fill:#555\">at ",
                PX(x[best]), PY(s[0].v[best]), ly, ly + 4, fmt(t, s[0].v[best], decimals), ly + 22);
        esc(f, ax->x_label);
        fprintf(f, " %g</text>\n", x[best]);
    }
    fputs("</svg>\n", f);
#undef PX
#undef PY
}

void eval_html_line_chart(FILE *f, const double *x, size_t n, const eval_html_line *lines,
                          size_t n_lines, const eval_html_chart *c)
{
    epoch_series s[sizeof palette / sizeof *palette];
    const size_t ns = n_lines < sizeof s / sizeof *s ? n_lines : sizeof s / sizeof *s;
    for (size_t k = 0; k < ns; k++)
        s[k] = (epoch_series){lines[k].name, lines[k].y, palette[k], (int)(k % 2)};
    chart_axes ax = {c->x_label, c->y_label, c->unit, c->log_x, c->mark_best,
                     c->missing != NULL ? c->missing : " (no value)"};
    line_chart(f, x, n, s, ns, &ax, c->decimals);
}

/* model.h5's per-epoch history: loss (train and test) in one chart, test MAP in
 * another; without a history, a note saying why. epochs: room for the history's
 * epochs as the charts' x. */
static void history_section(FILE *f, const eval_html_info *info, int decimals, double *epochs)
{
    const tg_model_history *h = info->history;
    if (h == NULL || h->n == 0) {
        fputs("<section id=\"history\">\n<h2>Training history</h2>\n<p class=\"note\">", f);
        if (h != NULL && info->model != NULL) {
            esc(f, info->model);
            fputs(" records no epoch: nothing to chart.", f);
        } else if (info->history_note != NULL) {
            esc(f, info->history_note);
        } else {
            fputs("No model file given (--model): the training and test loss and test MAP per "
                  "epoch are left out.", f);
        }
        fputs("</p>\n</section>\n", f);
        return;
    }
    double seconds = 0, loader = 0;
    size_t gaps = 0;
    for (size_t i = 0; i < h->n; i++) {
        epochs[i] = h->epoch[i];
        seconds += isfinite(h->seconds[i]) ? h->seconds[i] : 0;
        loader += isfinite(h->loader_seconds[i]) ? h->loader_seconds[i] : 0;
        gaps += !isfinite(h->train_loss[i]) || !isfinite(h->test_loss[i]) ||
                !isfinite(h->test_map[i]);
    }
    fprintf(f, "<section id=\"history\" class=\"chart\">\n<h2>Training history</h2>\n"
               "<p class=\"note\">%zu epoch%s recorded in ", h->n, h->n == 1 ? "" : "s");
    esc(f, info->model != NULL ? info->model : "the model file");
    fprintf(f, ": %.1f s of training, %.1f s of it waiting for data.", seconds, loader);
    if (gaps > 0)
        fprintf(f, " %zu epoch%s lack%s a value (not evaluated, or no test split): the lines "
                   "are broken there.", gaps, gaps == 1 ? "" : "s", gaps == 1 ? "s" : "");
    fputs("</p>\n", f);
    const chart_axes loss_axes = {"epoch", "loss (binary cross-entropy)", 0, 0, 0, " (not recorded)"};
    const chart_axes map_axes = {"epoch", "test MAP", 1, 0, 1, " (not recorded)"};
    const epoch_series loss[] = {
        {"Train loss", h->train_loss, palette[0], 0},
        {"Test loss", h->test_loss, palette[1], 1},
    };
    line_chart(f, epochs, h->n, loss, 2, &loss_axes, decimals);
    const epoch_series map[] = {{"Test MAP", h->test_map, palette[2], 0}};
    line_chart(f, epochs, h->n, map, 1, &map_axes, decimals);
    fputs("</section>\n", f);
}

/* Horizontal bars, one per genre: value[i] in [0, vmax], NaN drawn as "undefined".
 * ref (NaN: none) is a dashed vertical line; axis names the x axis. */
static void hbar_chart(FILE *f, const char *const *names, const double *value, size_t n,
                       double vmax, int integer, int decimals, const char *colour, double ref,
                       const char *axis)
{
    const double W = 760, L = 210, PW = 470, ROW = 20, TOP = 8;
    const double bottom = TOP + ROW * (double)n, H = bottom + 44;
    double step = integer ? fmax(1, nice_step(vmax)) : 0.2;
    double top_value = integer ? step * ceil(vmax / step) : 1;
    char t[64];
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    for (double v = 0; v <= top_value + step / 2; v += step) {
        double x = L + v / top_value * PW;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>\n",
                x, TOP, x, bottom, x, bottom + 16, integer ? 0 : 1, v);
    }
    /* Under the bars and labels, which a white halo keeps readable across it. */
    if (!isnan(ref)) {
        double x = L + ref / top_value * PW;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" "
                   "stroke-dasharray=\"5,4\"/>\n", x, TOP, x, bottom);
    }
    for (size_t i = 0; i < n; i++) {
        double y = TOP + ROW * (double)i;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", L - 8, y + 14);
        esc(f, names[i]);
        fputs("</title>", f);
        esc_cut(f, names[i], 30);
        fputs("</text>\n", f);
        if (isnan(value[i])) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" style=\"fill:#777\">%s undefined (no album "
                       "has this genre)</text>\n", L + 4, y + 14, UNDEFINED);
            continue;
        }
        double w = value[i] / top_value * PW;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>\n"
                   "<text class=\"v\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                L, y + 3, w, colour, L + w + 4, y + 14,
                fmt(t, value[i], integer ? 0 : decimals));
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n", L, TOP,
            L, bottom);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", L + PW / 2, bottom + 36);
    esc(f, axis);
    fputs("</text>\n</svg>\n", f);
}

static void ap_section(FILE *f, const eval_metrics *m, const char *const *names, int decimals)
{
    char t[64], axis[160];
    if (isnan(m->map))
        snprintf(axis, sizeof axis, "Average precision (MAP undefined: no genre has an album)");
    else
        snprintf(axis, sizeof axis, "Average precision (dashed line: MAP %s over %zu of %zu genres)",
                 fmt(t, m->map, decimals), m->map_genres, m->n_genres);
    fputs("<section id=\"ap\" class=\"chart\">\n<h2>Average precision per genre</h2>\n", f);
    hbar_chart(f, names, m->ap, m->n_genres, 1, 0, decimals, palette[0], m->map, axis);
    fputs("</section>\n", f);
}

static void support_section(FILE *f, const eval_metrics *m, const char *const *names,
                            double *work)
{
    double vmax = 1;
    for (size_t l = 0; l < m->n_genres; l++) {
        work[l] = (double)m->support[l];
        vmax = fmax(vmax, work[l]);
    }
    char axis[96];
    snprintf(axis, sizeof axis, "Albums having the genre (of %zu evaluated)", m->n_albums);
    fputs("<section id=\"support\" class=\"chart\">\n<h2>Genre support</h2>\n", f);
    hbar_chart(f, names, work, m->n_genres, vmax, 1, 0, palette[2], NAN, axis);
    fputs("</section>\n", f);
}

/* One metric of the sweep, as a line. */
typedef struct {
    const char *name;
    size_t offset; /* of a double in eval_at */
} series;

static double at_value(const eval_at *a, size_t offset)
{
    double v;
    memcpy(&v, (const char *)a + offset, sizeof v);
    return v;
}

/* Threshold-dependent metrics as lines over the sweep, with the threshold used and
 * the one maximising macro F1 marked; the legend on the right, so nothing overlaps. */
static void threshold_chart(FILE *f, const eval_sweep *s, double used, int decimals)
{
    static const series lines[] = {
        {"F1 (macro)", offsetof(eval_at, macro_f1)},
        {"Precision (macro)", offsetof(eval_at, macro_precision)},
        {"Recall (macro)", offsetof(eval_at, macro_recall)},
        {"F1 (micro)", offsetof(eval_at, micro_f1)},
        {"Hamming Score", offsetof(eval_at, hamming_score)},
        {"Exact Match", offsetof(eval_at, exact_match)},
        {"Hamming Loss", offsetof(eval_at, hamming_loss)},
    };
    const size_t n_lines = sizeof lines / sizeof *lines;
    const double W = 760, H = 360, X0 = 50, X1 = 540, Y0 = 14, Y1 = 314;
    double lo = s->at[0].threshold, hi = s->at[s->n - 1].threshold;
    if (hi - lo < 1e-9) { /* one threshold: give it some room */
        lo = fmax(0, lo - 0.05);
        hi = fmin(1, hi + 0.05);
    }
    double xstep = hi - lo > 0.3 ? 0.1 : nice_step(hi - lo);
    char t[64];
#define PX(v) (X0 + ((v) - lo) / (hi - lo) * (X1 - X0))
#define PY(v) (Y1 - (v) * (Y1 - Y0))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    for (int k = 0; k <= 5; k++) {
        double v = k / 5.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
                X0, PY(v), X1, PY(v), X0 - 6, PY(v) + 4, v);
    }
    for (double v = ceil(lo / xstep - 1e-9) * xstep; v <= hi + 1e-9; v += xstep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2f</text>\n",
                PX(v), Y0, PX(v), Y1, PX(v), Y1 + 16, fabs(v) < 1e-9 ? 0.0 : v); /* no "-0.00" */
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#444\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">threshold "
               "(a genre is predicted when its score exceeds it)</text>\n",
            X0, Y0, X1 - X0, Y1 - Y0, (X0 + X1) / 2, Y1 + 36);
    for (size_t k = 0; k < n_lines; k++) {
        const char *c = palette[k];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c,
                k == n_lines - 1 ? " stroke-dasharray=\"2,3\"" : "");
        for (size_t i = 0; i < s->n; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", PX(s->at[i].threshold),
                    PY(at_value(&s->at[i], lines[k].offset)));
        fputs("\"/>\n", f);
        if (s->n <= 25) /* few points: show them, a lone one would be invisible */
            for (size_t i = 0; i < s->n; i++)
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                        PX(s->at[i].threshold), PY(at_value(&s->at[i], lines[k].offset)), c);
        double ly = Y0 + 10 + 20 * (double)k;
        fprintf(f, "<line x1=\"560\" y1=\"%.1f\" x2=\"584\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\"%s/>\n<text x=\"590\" y=\"%.1f\">%s</text>\n",
                ly, ly, c, k == n_lines - 1 ? " stroke-dasharray=\"2,3\"" : "", ly + 4,
                lines[k].name);
    }
    /* The best threshold: a ring on the macro F1 line, not a vertical line, so that it
     * cannot be mistaken for a metric or for the threshold used. */
    double best = s->at[s->best].threshold, best_f1 = s->at[s->best].macro_f1;
    double ly = Y0 + 10 + 20 * (double)n_lines + 10;
    if (used >= lo - 1e-9 && used <= hi + 1e-9)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                   "stroke-dasharray=\"6,4\"/>\n", PX(used), Y0, PX(used), Y1);
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"#222\" "
               "stroke-width=\"2\"/>\n", PX(best), PY(best_f1));
    fprintf(f, "<line x1=\"560\" y1=\"%.1f\" x2=\"584\" y2=\"%.1f\" stroke=\"#555\" "
               "stroke-dasharray=\"6,4\"/>\n<text x=\"590\" y=\"%.1f\">threshold used (%s)</text>\n",
            ly, ly, ly + 4, fmt(t, used, decimals));
    ly += 22;
    fprintf(f, "<circle cx=\"572\" cy=\"%.1f\" r=\"6\" fill=\"none\" stroke=\"#222\" "
               "stroke-width=\"2\"/>\n<text x=\"590\" y=\"%.1f\">best F1 (macro): %s</text>\n",
            ly, ly + 4, fmt(t, best_f1, decimals));
    char b[64];
    fprintf(f, "<text x=\"590\" y=\"%.1f\" style=\"fill:#555\">at threshold %s</text>\n",
            ly + 22, fmt(b, best, decimals));
    fputs("</svg>\n", f);
#undef PX
#undef PY
}

static void threshold_section(FILE *f, const eval_metrics *m, const eval_sweep *s, int decimals)
{
    char a[64], b[64];
    fprintf(f, "<section id=\"threshold\" class=\"chart\">\n<h2>Metrics against the threshold</h2>\n"
               "<p class=\"note\">%zu thresholds from %s to %s.</p>\n", s->n,
            fmt(a, s->at[0].threshold, 2), fmt(b, s->at[s->n - 1].threshold, 2));
    threshold_chart(f, s, m->at.threshold, decimals);
    fputs("</section>\n", f);
}

/* Share of the albums in a cell, as a colour: a three-stop blue ramp (ColorBrewer's
 * "Blues" ends and middle), since a straight line from white to navy passes through
 * greys that hardly differ. */
static void cell_colour(char *buf, double share)
{
    static const int stop[3][3] = {{0xf7, 0xfb, 0xff}, {0x6b, 0xae, 0xd6}, {0x08, 0x30, 0x6b}};
    double t = fmin(1, fmax(0, share)) * 2;
    int k = t >= 1 ? 1 : 0;
    t -= k;
    int c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (int)lround(stop[k][i] + (stop[k + 1][i] - stop[k][i]) * t);
    snprintf(buf, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* 1 if a "#rrggbb" colour needs white text: its luma (ITU-R BT.601) is below the
 * middle, where dark text would lose contrast. */
static int dark(const char *colour)
{
    unsigned r, g, b;
    if (sscanf(colour, "#%2x%2x%2x", &r, &g, &b) != 3)
        return 0;
    return 0.299 * r + 0.587 * g + 0.114 * b < 128;
}

/* The one-vs-all confusion matrices [[TN, FP], [FN, TP]], a small heatmap per genre,
 * five to a row. */
static void confusion_chart(FILE *f, const eval_metrics *m, const char *const *names)
{
    const size_t COLS = 5;
    const double TW = 152, TH = 120, TOP = 40, CELL = 40;
    size_t rows = (m->n_genres + COLS - 1) / COLS;
    double W = TW * (double)COLS, H = TOP + TH * (double)rows;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
               "height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    fputs("<text x=\"0\" y=\"14\">Rows: true genre absent (0) / present (1). Columns: predicted "
          "absent (0) / present (1).</text>\n"
          "<text x=\"0\" y=\"30\">Cells: [[TN, FP], [FN, TP]], darker for a larger share of the "
          "albums.</text>\n", f);
    for (size_t l = 0; l < m->n_genres; l++) {
        double tx = TW * (double)(l % COLS), ty = TOP + TH * (double)(l / COLS);
        double mx = tx + 48, my = ty + 34;
        const eval_class *c = &m->at.classes[l];
        const uint64_t cells[4] = {c->tn, c->fp, c->fn, c->tp};
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"font-weight:bold\">"
                   "<title>", mx + CELL, ty + 16);
        esc(f, names[l]);
        fputs("</title>", f);
        esc_cut(f, names[l], 20);
        fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "style=\"font-size:10px;fill:#666\">pred 0</text>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "style=\"font-size:10px;fill:#666\">pred 1</text>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                   "style=\"font-size:10px;fill:#666\">true 0</text>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                   "style=\"font-size:10px;fill:#666\">true 1</text>\n",
                mx + CELL / 2, my - 4, mx + CELL * 1.5, my - 4, mx - 4, my + CELL / 2 + 4, mx - 4,
                my + CELL * 1.5 + 4);
        for (int k = 0; k < 4; k++) {
            double share = (double)cells[k] / (double)m->n_albums;
            char colour[8], count[32];
            cell_colour(colour, share);
            int len = snprintf(count, sizeof count, "%llu", (unsigned long long)cells[k]);
            double x = mx + CELL * (k % 2), y = my + CELL * (k / 2);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" "
                       "stroke=\"#fff\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                       "style=\"font-size:%dpx;fill:%s\">%s</text>\n",
                    x, y, CELL, CELL, colour, x + CELL / 2, y + CELL / 2 + 4, len > 5 ? 9 : 11,
                    dark(colour) ? "#fff" : "#222", count);
        }
    }
    fputs("</svg>\n", f);
}

static void confusion_section(FILE *f, const eval_metrics *m, const char *const *names)
{
    fputs("<section id=\"confusion\" class=\"chart\">\n<h2>One-vs-all confusion matrices</h2>\n", f);
    confusion_chart(f, m, names);
    fputs("</section>\n", f);
}

static void genres_section(FILE *f, const eval_metrics *m, const char *const *names,
                           int decimals)
{
    char p[64], r[64], f1[64], ap[64];
    fputs("<section id=\"genres\">\n<h2>Per genre</h2>\n<table>\n<tr><th>Genre</th>"
          "<th class=\"n\">Precision</th><th class=\"n\">Recall</th><th class=\"n\">F1</th>"
          "<th class=\"n\">AvgP</th><th class=\"n\">Support</th><th class=\"n\">TN</th>"
          "<th class=\"n\">FP</th><th class=\"n\">FN</th><th class=\"n\">TP</th></tr>\n", f);
    for (size_t l = 0; l < m->n_genres; l++) {
        const eval_class *c = &m->at.classes[l];
        fputs("<tr><td>", f);
        esc(f, names[l]);
        fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                   "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                   "</tr>\n",
                fmt(p, c->precision, decimals), fmt(r, c->recall, decimals),
                fmt(f1, c->f1, decimals), fmt(ap, m->ap[l], decimals),
                (unsigned long long)m->support[l], (unsigned long long)c->tn,
                (unsigned long long)c->fp, (unsigned long long)c->fn, (unsigned long long)c->tp);
    }
    fputs("</table>\n</section>\n", f);
}

tg_code eval_html_write(FILE *f, const eval_metrics *m, const char *const *genre_names,
                        const eval_sweep *sweep, const eval_html_info *info, tg_error *e)
{
    double *work = malloc(m->n_genres * sizeof *work);
    size_t n_epochs = info->history != NULL && info->history->n > 0 ? info->history->n : 1;
    double *epochs = malloc(n_epochs * sizeof *epochs);
    if (work == NULL || epochs == NULL) {
        free(work), free(epochs);
        return tg_fail(e, TG_ERR_NOMEM, "HTML report: out of memory");
    }
    int d = info->decimals;
    page_head(f, m, info);
    summary_section(f, m, genre_names, d);
    history_section(f, info, d, epochs);
    ap_section(f, m, genre_names, d);
    threshold_section(f, m, sweep, d);
    confusion_section(f, m, genre_names);
    support_section(f, m, genre_names, work);
    genres_section(f, m, genre_names, d);
    eval_html_page_end(f);
    free(work), free(epochs);
    if (ferror(f))
        return tg_fail_errno(e, TG_ERR_IO, "HTML report: write failed");
    return TG_OK;
}
