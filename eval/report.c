/* report.c - eval's text tables: columns padded by UTF-8 characters (genre names such
 * as "Variété Internationale" and the "—" of an undefined AP are multi-byte). */
#include "report.h"

#include <math.h>
#include <string.h>

#define UNDEFINED "\xE2\x80\x94" /* "—", one character, three bytes */

/* Characters in a UTF-8 string: the bytes that do not continue a sequence. */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *f, size_t used, size_t width)
{
    for (; used < width; used++)
        fputc(' ', f);
}

static void left(FILE *f, const char *s, size_t width)
{
    fputs(s, f);
    pad(f, width_of(s), width);
}

static void right(FILE *f, const char *s, size_t width)
{
    pad(f, width_of(s), width);
    fputs(s, f);
}

/* A value rounded to decimals places, right-aligned; "—" when undefined (NaN). */
static void number(FILE *f, double v, int decimals, size_t width)
{
    char buf[64];
    if (isnan(v))
        snprintf(buf, sizeof buf, UNDEFINED);
    else
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
    right(f, buf, width);
}

static void count(FILE *f, unsigned long long v, size_t width)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    right(f, buf, width);
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* A row of the side-by-side summary: either side may be empty (name NULL). */
typedef struct {
    const char *name;
    double value;
} summary_cell;

static void summaries(FILE *f, const eval_metrics *m, int decimals)
{
    char map_name[64];
    snprintf(map_name, sizeof map_name, "MAP (%zu of %zu genres)", m->map_genres, m->n_genres);
    const eval_at *a = &m->at;
    const summary_cell label[] = {
        {map_name, m->map},
        {"Precision (macro)", a->macro_precision},
        {"Recall (macro)", a->macro_recall},
        {"F1 (macro)", a->macro_f1},
        {"Precision (micro)", a->micro_precision},
        {"Recall (micro)", a->micro_recall},
        {"F1 (micro)", a->micro_f1},
        {"AP (micro)", m->micro_ap},
    };
    const summary_cell example[] = {
        {"Soft Accuracy", a->soft_accuracy},
        {"Hamming Score", a->hamming_score},
        {"Exact Match", a->exact_match},
        {"Hamming Loss", a->hamming_loss},
        {"Label Ranking AP", m->lrap},
        {"Coverage Error", m->coverage_error},
    };
    const size_t n_label = sizeof label / sizeof *label;
    const size_t n_example = sizeof example / sizeof *example;
    size_t wl = width_of("Label-Based Metric"), we = width_of("Example-Based Metric");
    for (size_t i = 0; i < n_label; i++)
        wl = max_size(wl, width_of(label[i].name));
    for (size_t i = 0; i < n_example; i++)
        we = max_size(we, width_of(example[i].name));
    /* Coverage error runs up to L, so room for a few integer digits. */
    size_t wv = max_size(width_of("Result"), (size_t)decimals + 4);

    left(f, "Label-Based Metric", wl);
    right(f, "Result", wv + 1);
    fputs(" || ", f);
    left(f, "Example-Based Metric", we);
    right(f, "Result", wv + 1);
    fputc('\n', f);
    for (size_t i = 0; i < n_label || i < n_example; i++) {
        if (i < n_label) {
            left(f, label[i].name, wl);
            fputc(' ', f);
            number(f, label[i].value, decimals, wv);
        } else {
            pad(f, 0, wl + 1 + wv);
        }
        fputs(" ||", f);
        if (i < n_example) {
            fputc(' ', f);
            left(f, example[i].name, we);
            fputc(' ', f);
            number(f, example[i].value, decimals, wv);
        }
        fputc('\n', f);
    }
}

static void notes(FILE *f, const eval_metrics *m, const char *const *names)
{
    if (m->map_genres < m->n_genres) {
        fprintf(f, "AP undefined (no album has the genre), left out of MAP:");
        const char *sep = " ";
        for (size_t l = 0; l < m->n_genres; l++)
            if (isnan(m->ap[l])) {
                fprintf(f, "%s%s", sep, names[l]);
                sep = ", ";
            }
        fputc('\n', f);
    }
    if (m->albums_without_label > 0)
        fprintf(f, "%zu album(s) have no true genre: each counts 1 in Soft Accuracy, and in "
                   "Hamming Score when nothing is predicted for it.\n",
                m->albums_without_label);
}

/* The genre column is as wide as the longest name up to GENRE_COLUMN_MAX characters: a
 * longer name (the data's own; ingest keeps names up to 1 MiB) gets a line of its own
 * and its numbers the next line (genre_cell), rather than widening every row. */
#define GENRE_COLUMN_MAX 40

static size_t genre_width(const eval_metrics *m, const char *const *names)
{
    size_t w = width_of("Genre");
    for (size_t l = 0; l < m->n_genres; l++) {
        size_t n = width_of(names[l]);
        if (n <= GENRE_COLUMN_MAX)
            w = max_size(w, n);
    }
    return w;
}

/* A row's genre cell in a column of width characters. */
static void genre_cell(FILE *f, const char *name, size_t width)
{
    if (width_of(name) > width) {
        fputs(name, f);
        fputc('\n', f);
        pad(f, 0, width);
    } else {
        left(f, name, width);
    }
}

static void per_genre(FILE *f, const eval_metrics *m, const char *const *names, int decimals)
{
    const char *heads[] = {"Precision", "Recall", "F1", "AvgP", "Support"};
    size_t wg = genre_width(m, names);
    size_t wv = max_size(width_of("Precision"), (size_t)decimals + 2);
    left(f, "Genre", wg);
    for (size_t i = 0; i < 5; i++) {
        fputc(' ', f);
        right(f, heads[i], wv);
    }
    fputc('\n', f);
    for (size_t l = 0; l < m->n_genres; l++) {
        const eval_class *c = &m->at.classes[l];
        genre_cell(f, names[l], wg);
        const double v[] = {c->precision, c->recall, c->f1, m->ap[l]};
        for (size_t i = 0; i < 4; i++) {
            fputc(' ', f);
            number(f, v[i], decimals, wv);
        }
        fputc(' ', f);
        count(f, m->support[l], wv);
        fputc('\n', f);
    }
}

static void confusions(FILE *f, const eval_metrics *m, const char *const *names)
{
    const char *heads[] = {"TN", "FP", "FN", "TP"};
    size_t wg = genre_width(m, names);
    char buf[32];
    size_t wc = 2;
    snprintf(buf, sizeof buf, "%zu", m->n_albums); /* no count exceeds N */
    wc = max_size(wc, strlen(buf));
    fprintf(f, "One-vs-all confusion matrices [[TN, FP], [FN, TP]] at threshold %g\n",
            m->at.threshold);
    left(f, "Genre", wg);
    for (size_t i = 0; i < 4; i++) {
        fputc(' ', f);
        right(f, heads[i], wc);
    }
    fputc('\n', f);
    for (size_t l = 0; l < m->n_genres; l++) {
        const eval_class *c = &m->at.classes[l];
        genre_cell(f, names[l], wg);
        const unsigned long long v[] = {c->tn, c->fp, c->fn, c->tp};
        for (size_t i = 0; i < 4; i++) {
            fputc(' ', f);
            count(f, v[i], wc);
        }
        fputc('\n', f);
    }
}

static void sweep_table(FILE *f, const eval_sweep *s, int decimals)
{
    const char *heads[] = {"Threshold", "P(macro)", "R(macro)", "F1(macro)", "P(micro)",
                           "R(micro)", "F1(micro)", "HammLoss", "HammScore", "SoftAcc",
                           "Exact"};
    const size_t n_heads = sizeof heads / sizeof *heads;
    size_t wv = max_size(width_of("HammScore"), (size_t)decimals + 2);
    fprintf(f, "Threshold sweep: macro F1 is highest at threshold %g (%.*f)\n",
            s->at[s->best].threshold, decimals, s->at[s->best].macro_f1);
    for (size_t i = 0; i < n_heads; i++) {
        if (i > 0)
            fputc(' ', f);
        right(f, heads[i], wv);
    }
    fputc('\n', f);
    for (size_t k = 0; k < s->n; k++) {
        const eval_at *a = &s->at[k];
        char t[32];
        snprintf(t, sizeof t, "%g", a->threshold);
        right(f, t, wv);
        const double v[] = {a->macro_precision, a->macro_recall, a->macro_f1,
                            a->micro_precision, a->micro_recall, a->micro_f1,
                            a->hamming_loss,    a->hamming_score, a->soft_accuracy,
                            a->exact_match};
        for (size_t i = 0; i < n_heads - 1; i++) {
            fputc(' ', f);
            number(f, v[i], decimals, wv);
        }
        fputc('\n', f);
    }
}

tg_code eval_report_print(FILE *f, const eval_metrics *m, const char *const *genre_names,
                          const eval_sweep *sweep, int decimals, tg_error *e)
{
    fprintf(f, "%zu albums, %zu genres, threshold %g (a genre is predicted when its score "
               "exceeds it)\n\n",
            m->n_albums, m->n_genres, m->at.threshold);
    summaries(f, m, decimals);
    notes(f, m, genre_names);
    fputc('\n', f);
    per_genre(f, m, genre_names, decimals);
    fputc('\n', f);
    confusions(f, m, genre_names);
    if (sweep != NULL) {
        fputc('\n', f);
        sweep_table(f, sweep, decimals);
    }
    if (fflush(f) != 0 || ferror(f))
        return tg_fail_errno(e, TG_ERR_IO, "cannot write the report");
    return TG_OK;
}

/* Rows shown at each end of a long history: enough to see the start and where it
 * settled, without scrolling a terminal; --json and --html have every epoch. */
#define HISTORY_ENDS 10

static void history_row(FILE *f, const tg_model_history *h, size_t i, int decimals)
{
    char ep[32];
    snprintf(ep, sizeof ep, "%ld", (long)h->epoch[i]);
    right(f, ep, 5);
    /* Losses get at least 4 decimals: their changes late in training are small. */
    int ld = decimals > 4 ? decimals : 4;
    fputc(' ', f);
    number(f, h->train_loss[i], ld, 10);
    fputc(' ', f);
    number(f, h->test_loss[i], ld, 10);
    fputc(' ', f);
    number(f, h->test_map[i], decimals, 8);
    fputc(' ', f);
    number(f, h->test_macro_f1[i], decimals, 8);
    fputc(' ', f);
    number(f, h->seconds[i], 1, 8);
    fputc('\n', f);
}

tg_code eval_history_print(FILE *f, const char *model, const tg_model_history *h, int decimals,
                           tg_error *e)
{
    fprintf(f, "Training history of %s: %zu epoch(s)\n", model, h->n);
    if (h->n > 0) {
        static const char *const heads[] = {"Epoch", "Train loss", "Test loss", "Test MAP",
                                            "F1 macro", "Seconds"};
        static const size_t widths[] = {5, 10, 10, 8, 8, 8};
        for (size_t k = 0; k < sizeof heads / sizeof *heads; k++) {
            if (k > 0)
                fputc(' ', f);
            right(f, heads[k], widths[k]);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < h->n; i++) {
        if (h->n > 2 * HISTORY_ENDS + 1 && i == HISTORY_ENDS) {
            fprintf(f, "  ... %zu epochs left out (--json or --html has them all)\n",
                    h->n - 2 * HISTORY_ENDS);
            i = h->n - HISTORY_ENDS;
        }
        history_row(f, h, i, decimals);
    }
    if (fflush(f) != 0 || ferror(f))
        return tg_fail_errno(e, TG_ERR_IO, "cannot write the report");
    return TG_OK;
}
