/* metrics.c - the metrics of spec/metrics.md over N albums x L genres: counts at a
 * threshold, then the ranking metrics (AP, LRAP, coverage) from sorted scores. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A score with its truth, to sort by decreasing score. */
typedef struct {
    float s;
    uint8_t y;
} scored;

/* Writes "album 3 ('id'), genre 5 ('Rock')" into buf, the ids only when given. */
static const char *cell_name(const eval_input *in, size_t n, size_t l, char *buf, size_t cap)
{
    int k = snprintf(buf, cap, "album %zu", n);
    if (k >= 0 && (size_t)k < cap && in->album_ids != NULL)
        k += snprintf(buf + k, cap - (size_t)k, " ('%s')", in->album_ids[n]);
    if (k >= 0 && (size_t)k < cap)
        k += snprintf(buf + k, cap - (size_t)k, ", genre %zu", l);
    if (k >= 0 && (size_t)k < cap && in->genre_names != NULL)
        snprintf(buf + k, cap - (size_t)k, " ('%s')", in->genre_names[l]);
    return buf;
}

tg_code eval_input_check(const eval_input *in, tg_error *e)
{
    if (in->n_albums == 0)
        return tg_fail(e, TG_ERR_FORMAT, "no albums to evaluate");
    if (in->n_genres == 0)
        return tg_fail(e, TG_ERR_FORMAT, "no genres to evaluate");
    if (in->n_genres > SIZE_MAX / in->n_albums / sizeof(scored))
        return tg_fail(e, TG_ERR_LIMIT, "%zu albums x %zu genres is too large",
                       in->n_albums, in->n_genres);
    if (in->labels == NULL || in->scores == NULL)
        return tg_fail(e, TG_ERR_FORMAT, "labels or scores missing");
    char place[600];
    for (size_t n = 0; n < in->n_albums; n++) {
        for (size_t l = 0; l < in->n_genres; l++) {
            size_t i = n * in->n_genres + l;
            if (in->labels[i] > 1)
                return tg_fail(e, TG_ERR_FORMAT, "%s: label %u is not 0 or 1",
                               cell_name(in, n, l, place, sizeof place), in->labels[i]);
            float s = in->scores[i];
            /* Written so that NaN fails too: every comparison with NaN is false. */
            if (!(s >= 0.0f && s <= 1.0f))
                return tg_fail(e, TG_ERR_FORMAT, "%s: score %g is not in [0, 1]",
                               cell_name(in, n, l, place, sizeof place), (double)s);
        }
    }
    return TG_OK;
}

static double ratio0(uint64_t num, uint64_t den) /* zero_division=0 */
{
    return den == 0 ? 0.0 : (double)num / (double)den;
}

/* Fills everything in *at but the threshold. at->classes has L entries.
 * The scores are float32 and t is compared as a float: that is what NumPy does with
 * `s > 0.3` on a float32 array, and it keeps a score written "0.3" from counting as
 * above a threshold of 0.3 (0.3f is 0.30000001 in double). */
static void at_threshold(const eval_input *in, double t, eval_at *at)
{
    const size_t N = in->n_albums, L = in->n_genres;
    const float tf = (float)t;
    memset(at->classes, 0, L * sizeof *at->classes);
    double hamming = 0.0, soft = 0.0;
    uint64_t exact = 0;
    for (size_t n = 0; n < N; n++) {
        const uint8_t *y = in->labels + n * L;
        const float *s = in->scores + n * L;
        uint64_t both = 0, either = 0, truth = 0;
        for (size_t l = 0; l < L; l++) {
            int z = s[l] > tf;
            eval_class *c = &at->classes[l];
            if (y[l] && z)
                c->tp++;
            else if (z)
                c->fp++;
            else if (y[l])
                c->fn++;
            else
                c->tn++;
            both += y[l] && z;
            either += y[l] || z;
            truth += y[l];
        }
        /* 0/0 counts 1 in both: an album with no true and no predicted genre is
         * predicted perfectly; for soft accuracy (a recall per album) an album with no
         * true genre has nothing to miss. Every album stays in the mean over N. */
        hamming += either == 0 ? 1.0 : (double)both / (double)either;
        soft += truth == 0 ? 1.0 : (double)both / (double)truth;
        exact += both == either;
    }
    uint64_t tp = 0, fp = 0, fn = 0;
    double sp = 0.0, sr = 0.0, sf = 0.0;
    for (size_t l = 0; l < L; l++) {
        eval_class *c = &at->classes[l];
        c->precision = ratio0(c->tp, c->tp + c->fp);
        c->recall = ratio0(c->tp, c->tp + c->fn);
        c->f1 = ratio0(2 * c->tp, 2 * c->tp + c->fp + c->fn);
        sp += c->precision;
        sr += c->recall;
        sf += c->f1;
        tp += c->tp;
        fp += c->fp;
        fn += c->fn;
    }
    at->macro_precision = sp / (double)L;
    at->macro_recall = sr / (double)L;
    at->macro_f1 = sf / (double)L;
    at->micro_precision = ratio0(tp, tp + fp);
    at->micro_recall = ratio0(tp, tp + fn);
    at->micro_f1 = ratio0(2 * tp, 2 * tp + fp + fn);
    at->hamming_loss = (double)(fp + fn) / ((double)N * (double)L);
    at->hamming_score = hamming / (double)N;
    at->soft_accuracy = soft / (double)N;
    at->exact_match = (double)exact / (double)N;
}

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* Average precision of n pairs sorted by decreasing score: sum over the distinct
 * scores taken as thresholds, highest first, of (R_k - R_{k-1}) * P_k. A run of tied
 * scores is one threshold (one step of the curve), as in sklearn's _binary_clf_curve;
 * no interpolation. NaN when no pair is positive. */
static double ap_sorted(const scored *p, size_t n)
{
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += p[i].y;
    if (pos == 0)
        return NAN;
    uint64_t tp = 0, tp_before = 0;
    double ap = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].s == p[i].s)
            tp += p[j++].y;
        /* j pairs score >= this threshold: precision tp / j. */
        ap += (double)(tp - tp_before) / (double)pos * ((double)tp / (double)j);
        tp_before = tp;
        i = j;
    }
    return ap;
}

/* One album's labels sorted by decreasing score: adds its LRAP term and coverage.
 * sklearn's rules: rank(j) = #labels with score >= s_j (ties share the worst rank),
 * hits(j) = #true labels with score >= s_j; LRAP term = mean over true j of
 * hits(j) / rank(j), and 1 when all or none of the labels are true. Coverage = #labels
 * with score >= the lowest true score, 0 when no label is true. */
static void rank_album(const scored *p, size_t L, double *lrap, double *coverage)
{
    uint64_t truth = 0;
    for (size_t l = 0; l < L; l++)
        truth += p[l].y;
    if (truth == 0) {
        *lrap += 1.0;
        return;
    }
    uint64_t hits = 0;
    double sum = 0.0;
    size_t covered = 0;
    for (size_t i = 0; i < L;) {
        size_t j = i;
        uint64_t group = 0;
        while (j < L && p[j].s == p[i].s)
            group += p[j++].y;
        hits += group;
        sum += (double)group * ((double)hits / (double)j);
        if (group > 0 && hits == truth && covered == 0)
            covered = j;
        i = j;
    }
    *lrap += truth == L ? 1.0 : sum / (double)truth;
    *coverage += (double)covered;
}

/* AP per genre, MAP, micro AP, LRAP and coverage error; work holds N*L pairs. */
static void ranking(const eval_input *in, eval_metrics *m, scored *work)
{
    const size_t N = in->n_albums, L = in->n_genres;
    double sum = 0.0;
    m->map_genres = 0;
    for (size_t l = 0; l < L; l++) {
        m->support[l] = 0;
        for (size_t n = 0; n < N; n++) {
            work[n] = (scored){in->scores[n * L + l], in->labels[n * L + l]};
            m->support[l] += work[n].y;
        }
        qsort(work, N, sizeof *work, by_score_desc);
        m->ap[l] = ap_sorted(work, N);
        if (!isnan(m->ap[l])) {
            sum += m->ap[l];
            m->map_genres++;
        }
    }
    m->map = m->map_genres == 0 ? NAN : sum / (double)m->map_genres;

    double lrap = 0.0, coverage = 0.0;
    m->albums_without_label = 0;
    for (size_t n = 0; n < N; n++) {
        uint64_t truth = 0;
        for (size_t l = 0; l < L; l++) {
            work[l] = (scored){in->scores[n * L + l], in->labels[n * L + l]};
            truth += work[l].y;
        }
        m->albums_without_label += truth == 0;
        qsort(work, L, sizeof *work, by_score_desc);
        rank_album(work, L, &lrap, &coverage);
    }
    m->lrap = lrap / (double)N;
    m->coverage_error = coverage / (double)N;

    /* average='micro': the N*L cells as one binary problem. */
    for (size_t i = 0; i < N * L; i++)
        work[i] = (scored){in->scores[i], in->labels[i]};
    qsort(work, N * L, sizeof *work, by_score_desc);
    m->micro_ap = ap_sorted(work, N * L);
}

tg_code eval_metrics_compute(const eval_input *in, double t, eval_metrics *out, tg_error *e)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(t))
        return tg_fail(e, TG_ERR_USAGE, "threshold %g is not a finite number", t);
    tg_code rc = eval_input_check(in, e);
    if (rc != TG_OK)
        return rc;
    const size_t N = in->n_albums, L = in->n_genres;
    eval_metrics m = {.n_albums = N, .n_genres = L};
    m.at.threshold = t;
    m.at.classes = calloc(L, sizeof *m.at.classes);
    m.support = calloc(L, sizeof *m.support);
    m.ap = calloc(L, sizeof *m.ap);
    scored *work = malloc(N * L * sizeof *work);
    if (m.at.classes == NULL || m.support == NULL || m.ap == NULL || work == NULL) {
        free(work);
        eval_metrics_free(&m);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for %zu x %zu metrics", N, L);
    }
    at_threshold(in, t, &m.at);
    ranking(in, &m, work);
    free(work);
    *out = m;
    return TG_OK;
}

void eval_metrics_free(eval_metrics *m)
{
    if (m == NULL)
        return;
    free(m->at.classes);
    free(m->support);
    free(m->ap);
    memset(m, 0, sizeof *m);
}

tg_code eval_sweep_compute(const eval_input *in, double from, double to, double step,
                           eval_sweep *out, tg_error *e)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(from) || !isfinite(to) || !isfinite(step) || step <= 0 || from > to)
        return tg_fail(e, TG_ERR_USAGE,
                       "sweep %g:%g:%g needs FROM <= TO and a STEP above 0", from, to,
                       step);
    /* The tolerance keeps 0:1:0.1 from stopping at 0.9 when 1/0.1 rounds below 10. */
    double steps = floor((to - from) / step + 1e-9);
    if (steps >= 1e6)
        return tg_fail(e, TG_ERR_USAGE, "sweep %g:%g:%g has over a million thresholds",
                       from, to, step);
    tg_code rc = eval_input_check(in, e);
    if (rc != TG_OK)
        return rc;
    eval_sweep s = {.n = (size_t)steps + 1};
    s.at = calloc(s.n, sizeof *s.at);
    if (s.at == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for %zu thresholds", s.n);
    for (size_t i = 0; i < s.n; i++) {
        s.at[i].classes = calloc(in->n_genres, sizeof *s.at[i].classes);
        if (s.at[i].classes == NULL) {
            eval_sweep_free(&s);
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for %zu thresholds", s.n);
        }
        /* from + i * step, not a running sum, so errors do not accumulate. */
        s.at[i].threshold = from + (double)i * step;
        at_threshold(in, s.at[i].threshold, &s.at[i]);
        /* Equal macro F1s summed in another order can differ in the last bit: a gain
         * under 1e-12 is a tie, and a tie keeps the lower threshold. */
        if (s.at[i].macro_f1 > s.at[s.best].macro_f1 + 1e-12)
            s.best = i;
    }
    *out = s;
    return TG_OK;
}

void eval_sweep_free(eval_sweep *s)
{
    if (s == NULL)
        return;
    if (s->at != NULL)
        for (size_t i = 0; i < s->n; i++)
            free(s->at[i].classes);
    free(s->at);
    memset(s, 0, sizeof *s);
}
