/* test_random.c - eval's metrics on seeded random data against a reference written
 * here from the definitions, the slow obvious way (never the code under test): AP by
 * brute force over the distinct scores, LRAP and coverage by pairwise counts. */
#include "metrics.h"
#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#define EPS 1e-12

/* AP of column values v[i*stride] (truth t[i*stride]), i < n: for each distinct score
 * u, taken from highest to lowest, P(u) = #pos(s >= u) / #(s >= u) and R(u) =
 * #pos(s >= u) / #pos; AP = sum of (R(u) - R(previous u)) * P(u). NaN if no positive. */
static double ref_ap(const float *v, const uint8_t *t, size_t n, size_t stride)
{
    double npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += t[i * stride];
    if (npos == 0)
        return NAN;
    double ap = 0, r_prev = 0, u_prev = INFINITY;
    for (;;) {
        /* the next distinct score below u_prev */
        double u = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (v[i * stride] < u_prev && v[i * stride] > u)
                u = v[i * stride];
        if (u == -INFINITY)
            break;
        double above = 0, pos = 0;
        for (size_t i = 0; i < n; i++)
            if (v[i * stride] >= u) {
                above++;
                pos += t[i * stride];
            }
        double r = pos / npos;
        ap += (r - r_prev) * (pos / above);
        r_prev = r;
        u_prev = u;
    }
    return ap;
}

static void ref_ranking(const uint8_t *y, const float *s, size_t N, size_t L, double *lrap,
                        double *coverage)
{
    *lrap = 0;
    *coverage = 0;
    for (size_t n = 0; n < N; n++) {
        const uint8_t *yn = y + n * L;
        const float *sn = s + n * L;
        size_t truth = 0;
        float lowest = 2;
        for (size_t j = 0; j < L; j++)
            if (yn[j]) {
                truth++;
                lowest = sn[j] < lowest ? sn[j] : lowest;
            }
        if (truth == 0 || truth == L) {
            *lrap += 1; /* sklearn: the ranking means nothing, the score is 1 */
        } else {
            double sum = 0;
            for (size_t j = 0; j < L; j++) {
                if (!yn[j])
                    continue;
                double rank = 0, hits = 0;
                for (size_t k = 0; k < L; k++)
                    if (sn[k] >= sn[j]) {
                        rank++;
                        hits += yn[k];
                    }
                sum += hits / rank;
            }
            *lrap += sum / (double)truth;
        }
        if (truth > 0)
            for (size_t k = 0; k < L; k++)
                *coverage += sn[k] >= lowest;
    }
    *lrap /= (double)N;
    *coverage /= (double)N;
}

static double safe_div(double a, double b)
{
    return b == 0 ? 0 : a / b;
}

static void close_to(double actual, double expected, const char *what, int round)
{
    if (isnan(expected)) {
        cr_assert(isnan(actual), "round %d, %s: %.17g, expected undefined", round, what, actual);
        return;
    }
    cr_assert(fabs(actual - expected) <= EPS, "round %d, %s: %.17g, expected %.17g", round, what,
              actual, expected);
}

Test(random, against_reference)
{
    enum { N = 40, L = 6, ROUNDS = 30 };
    static uint8_t y[N * L], z[N * L];
    static float s[N * L];
    tg_rng rng;
    tg_rng_seed(&rng, 2019, 5, 0);
    int rounds_with_undefined_ap = 0;
    for (int round = 0; round < ROUNDS; round++) {
        /* Scores on a grid of 0.05 (and 0 and 1 themselves) make many ties; genre L-1
         * is rare, so that some rounds have a genre without positive. */
        for (size_t i = 0; i < N * L; i++) {
            double p = i % L == L - 1 ? 0.02 : 0.3;
            y[i] = tg_rng_uniform(&rng) < p;
            s[i] = (float)(tg_rng_below(&rng, 21) * 0.05);
            if (s[i] > 1.0f)
                s[i] = 1.0f;
        }
        double t = 0.05 * tg_rng_below(&rng, 19); /* 0 to 0.9 */
        float tf = (float)t;
        eval_input in = {.n_albums = N, .n_genres = L, .labels = y, .scores = s};
        eval_metrics m;
        tg_error e = {0};
        cr_assert_eq(eval_metrics_compute(&in, t, &m, &e), TG_OK, "%s", e.msg);

        for (size_t i = 0; i < N * L; i++)
            z[i] = s[i] > tf;
        double sum_p = 0, sum_r = 0, sum_f = 0, tp_all = 0, fp_all = 0, fn_all = 0;
        double ap_sum = 0;
        size_t ap_n = 0;
        for (size_t l = 0; l < L; l++) {
            double tp = 0, fp = 0, fn = 0, tn = 0;
            for (size_t n = 0; n < N; n++) {
                uint8_t yy = y[n * L + l], zz = z[n * L + l];
                tp += yy && zz;
                fp += !yy && zz;
                fn += yy && !zz;
                tn += !yy && !zz;
            }
            const eval_class *c = &m.at.classes[l];
            cr_assert(c->tp == tp && c->fp == fp && c->fn == fn && c->tn == tn,
                      "round %d genre %zu confusion", round, l);
            double p = safe_div(tp, tp + fp), r = safe_div(tp, tp + fn);
            double f = safe_div(2 * p * r, p + r); /* sklearn's form of F1 */
            close_to(c->precision, p, "precision", round);
            close_to(c->recall, r, "recall", round);
            close_to(c->f1, f, "F1", round);
            sum_p += p;
            sum_r += r;
            sum_f += f;
            tp_all += tp;
            fp_all += fp;
            fn_all += fn;
            double ap = ref_ap(s + l, y + l, N, L);
            close_to(m.ap[l], ap, "AP", round);
            if (!isnan(ap)) {
                ap_sum += ap;
                ap_n++;
            }
        }
        close_to(m.at.macro_precision, sum_p / L, "macro P", round);
        close_to(m.at.macro_recall, sum_r / L, "macro R", round);
        close_to(m.at.macro_f1, sum_f / L, "macro F1", round);
        double mp = safe_div(tp_all, tp_all + fp_all), mr = safe_div(tp_all, tp_all + fn_all);
        close_to(m.at.micro_precision, mp, "micro P", round);
        close_to(m.at.micro_recall, mr, "micro R", round);
        close_to(m.at.micro_f1, safe_div(2 * mp * mr, mp + mr), "micro F1", round);
        cr_assert_eq(m.map_genres, ap_n);
        rounds_with_undefined_ap += ap_n < L;
        close_to(m.map, ap_n ? ap_sum / (double)ap_n : NAN, "MAP", round);
        close_to(m.micro_ap, ref_ap(s, y, N * L, 1), "micro AP", round);

        double wrong = 0, jac = 0, soft = 0, exact = 0;
        for (size_t n = 0; n < N; n++) {
            double inter = 0, uni = 0, truth = 0, diff = 0;
            for (size_t l = 0; l < L; l++) {
                size_t i = n * L + l;
                inter += y[i] && z[i];
                uni += y[i] || z[i];
                truth += y[i];
                diff += y[i] != z[i];
            }
            wrong += diff;
            jac += uni == 0 ? 1 : inter / uni;
            soft += truth == 0 ? 1 : inter / truth;
            exact += diff == 0;
        }
        close_to(m.at.hamming_loss, wrong / (N * L), "Hamming loss", round);
        close_to(m.at.hamming_score, jac / N, "Hamming score", round);
        close_to(m.at.soft_accuracy, soft / N, "soft accuracy", round);
        close_to(m.at.exact_match, exact / N, "exact match", round);

        double lrap, coverage;
        ref_ranking(y, s, N, L, &lrap, &coverage);
        close_to(m.lrap, lrap, "LRAP", round);
        close_to(m.coverage_error, coverage, "coverage", round);
        eval_metrics_free(&m);
    }
    cr_assert(rounds_with_undefined_ap > 0, "the seed should give a genre without positive");
}
