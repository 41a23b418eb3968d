/* test_metrics.c - eval's metrics on small cases computed by hand (the arithmetic is in
 * the comments), the edge cases of issue 5, and values pasted from scikit-learn 1.2. */
#include "metrics.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#define EPS 1e-12

static void close_to(double actual, double expected, const char *what)
{
    cr_assert(fabs(actual - expected) <= EPS, "%s: %.17g, expected %.17g", what, actual, expected);
}

static eval_metrics compute(size_t n, size_t l, const uint8_t *y, const float *s, double t)
{
    eval_input in = {.n_albums = n, .n_genres = l, .labels = y, .scores = s};
    eval_metrics m;
    tg_error e = {0};
    cr_assert_eq(eval_metrics_compute(&in, t, &m, &e), TG_OK, "%s", e.msg);
    return m;
}

/* Case A: 4 albums x 3 genres, threshold 0.3.
 *        y        s                 z = s > 0.3 (0.3 itself is not above)
 *   a0  1 0 0    0.9 0.2  0.3      1 0 0
 *   a1  0 1 1    0.4 0.35 0.8      1 1 1
 *   a2  1 1 0    0.3 0.6  0.1      0 1 0
 *   a3  0 0 0    0.5 0.1  0.2      1 0 0
 * scikit-learn 1.2.1 agrees (s as np.float32, z = s > 0.3): precision/recall/f1_score
 * macro 0.7777777777777777 0.8333333333333334 0.7999999999999999, micro
 * 0.6666666666666666 0.8 0.7272727272727272, hamming_loss 0.25, accuracy_score 0.25,
 * average_precision_score per column [0.75, 1.0, 1.0], micro 0.8583333333333332,
 * label_ranking_average_precision_score 0.9583333333333333, coverage_error 1.5.
 */
static const uint8_t A_y[] = {1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0};
static const float A_s[] = {0.9f, 0.2f, 0.3f, 0.4f, 0.35f, 0.8f, 0.3f, 0.6f, 0.1f, 0.5f, 0.1f, 0.2f};

Test(metrics, case_a_threshold_metrics)
{
    eval_metrics m = compute(4, 3, A_y, A_s, 0.3);
    /* genre 0: y 1 0 1 0, z 1 1 0 1: TP 1 (a0), FP 2 (a1 a3), FN 1 (a2), TN 0;
     * P 1/3, R 1/2, F1 2*1 / (2*1 + 2 + 1) = 0.4. */
    const eval_class *c = &m.at.classes[0];
    cr_assert(c->tn == 0 && c->fp == 2 && c->fn == 1 && c->tp == 1);
    close_to(c->precision, 1.0 / 3, "P0");
    close_to(c->recall, 0.5, "R0");
    close_to(c->f1, 0.4, "F1 0");
    /* genre 1: y 0 1 1 0, z 0 1 1 0: TP 2, TN 2; P = R = F1 = 1. */
    c = &m.at.classes[1];
    cr_assert(c->tn == 2 && c->fp == 0 && c->fn == 0 && c->tp == 2);
    close_to(c->f1, 1, "F1 1");
    /* genre 2: y 0 1 0 0, z 0 1 0 0: TP 1, TN 3. */
    c = &m.at.classes[2];
    cr_assert(c->tn == 3 && c->fp == 0 && c->fn == 0 && c->tp == 1);
    /* macro: P (1/3 + 1 + 1) / 3 = 7/9, R (1/2 + 1 + 1) / 3 = 5/6, F1 (0.4 + 2) / 3 = 0.8 */
    close_to(m.at.macro_precision, 7.0 / 9, "macro P");
    close_to(m.at.macro_recall, 5.0 / 6, "macro R");
    close_to(m.at.macro_f1, 0.8, "macro F1");
    /* micro: TP 4, FP 2, FN 1: P 4/6, R 4/5, F1 8 / (8 + 3) */
    close_to(m.at.micro_precision, 4.0 / 6, "micro P");
    close_to(m.at.micro_recall, 0.8, "micro R");
    close_to(m.at.micro_f1, 8.0 / 11, "micro F1");
    /* Hamming loss: 3 wrong cells (FP 2 + FN 1) of 12 */
    close_to(m.at.hamming_loss, 0.25, "Hamming loss");
    /* Hamming score: a0 1/1, a1 |{1,2}|/|{0,1,2}| = 2/3, a2 |{1}|/|{0,1}| = 1/2,
     * a3 0/|{0}| = 0: (1 + 2/3 + 1/2 + 0) / 4 = 13/24 */
    close_to(m.at.hamming_score, 13.0 / 24, "Hamming score");
    /* soft accuracy: a0 1/1, a1 2/2, a2 1/2, a3 has no true genre: 0/0 counts 1:
     * (1 + 1 + 1/2 + 1) / 4 = 7/8 */
    close_to(m.at.soft_accuracy, 7.0 / 8, "soft accuracy");
    cr_assert_eq(m.albums_without_label, 1);
    /* exact match: only a0 */
    close_to(m.at.exact_match, 0.25, "exact match");
    cr_assert_eq(m.support[0], 2);
    cr_assert_eq(m.support[1], 2);
    cr_assert_eq(m.support[2], 1);
    eval_metrics_free(&m);
}

Test(metrics, case_a_ranking_metrics)
{
    eval_metrics m = compute(4, 3, A_y, A_s, 0.3);
    /* AP genre 0, scores down: 0.9 (1), 0.5 (0), 0.4 (0), 0.3 (1); npos 2.
     * t 0.9: R 1/2, P 1/1 -> 1/2; 0.5 and 0.4: R unchanged -> 0; 0.3: R 1, P 2/4 ->
     * 1/2 * 1/2. AP = 0.5 + 0.25 = 0.75. */
    close_to(m.ap[0], 0.75, "AP 0");
    /* genre 1: 0.6 (1), 0.35 (1) first: AP 1; genre 2: 0.8 (1) first: AP 1. */
    close_to(m.ap[1], 1, "AP 1");
    close_to(m.ap[2], 1, "AP 2");
    /* MAP (0.75 + 1 + 1) / 3 = 11/12 over 3 genres */
    close_to(m.map, 11.0 / 12, "MAP");
    cr_assert_eq(m.map_genres, 3);
    /* micro AP over the 12 cells, npos 5: 0.9 (1), 0.8 (1), 0.6 (1), 0.5 (0), 0.4 (0),
     * 0.35 (1), then 0.3 twice (0 and 1: one step), 0.2 x2 (0), 0.1 x2 (0).
     * 0.9: 1/5 * 1/1; 0.8: 1/5 * 2/2; 0.6: 1/5 * 3/3; 0.35: 1/5 * 4/6;
     * 0.3: 1/5 * 5/8. Sum 0.6 + 2/15 + 1/8 = 103/120. */
    close_to(m.micro_ap, 103.0 / 120, "micro AP");
    /* LRAP: a0 true {0} ranked first: 1. a1 true {2: 0.8, 1: 0.35}: label 2 rank 1,
     * hits 1 -> 1; label 1: rank 3 (0.4, 0.35, 0.8 >= 0.35), hits 2 -> 2/3; mean 5/6.
     * a2 true {1: 0.6, 0: 0.3}: 1/1 and 2/2 -> 1. a3 no true genre: 1.
     * (1 + 5/6 + 1 + 1) / 4 = 23/24 */
    close_to(m.lrap, 23.0 / 24, "LRAP");
    /* coverage: a0 #(s >= 0.9) = 1, a1 #(s >= 0.35) = 3, a2 #(s >= 0.3) = 2, a3 0:
     * 6 / 4 */
    close_to(m.coverage_error, 1.5, "coverage error");
    eval_metrics_free(&m);
}

/* Tied scores form one step of the precision-recall curve (sklearn's
 * _binary_clf_curve), whatever order the sort leaves them in. */
Test(metrics, ap_ties_are_one_step)
{
    /* y 1 0 1 0 1, s 0.8 0.8 0.5 0.5 0.2, npos 3.
     * t 0.8: 2 albums, 1 positive: R 1/3, P 1/2 -> 1/6
     * t 0.5: 4 albums, 2 positives: dR 1/3, P 2/4 -> 1/6
     * t 0.2: 5 albums, 3 positives: dR 1/3, P 3/5 -> 1/5
     * AP = 1/6 + 1/6 + 1/5 = 8/15 (sklearn 1.2: average_precision_score(
     * [1,0,1,0,1], [0.8,0.8,0.5,0.5,0.2]) = 0.5333333333333333). Without the tie rule,
     * a positive first in each tie would give 1 + ... > 8/15. */
    const uint8_t y[] = {1, 0, 1, 0, 1};
    const float s[] = {0.8f, 0.8f, 0.5f, 0.5f, 0.2f};
    const uint8_t y2[] = {0, 1, 0, 1, 1}; /* same pairs, ties listed the other way */
    const float s2[] = {0.8f, 0.8f, 0.5f, 0.5f, 0.2f};
    eval_metrics m = compute(5, 1, y, s, 0.3), m2 = compute(5, 1, y2, s2, 0.3);
    close_to(m.ap[0], 8.0 / 15, "AP with ties");
    close_to(m2.ap[0], 8.0 / 15, "AP with ties, other order");
    eval_metrics_free(&m);
    eval_metrics_free(&m2);
}

/* LRAP and coverage give tied labels the worst rank (rankdata 'max'). */
Test(metrics, lrap_and_coverage_ties)
{
    /* a0 y 1 0 1 0, s .5 .5 .5 .1: labels 0 and 2: rank #(s >= .5) = 3, hits 2 -> 2/3
     *    each; coverage #(s >= .5) = 3.
     * a1 y 0 1 0 0, s .9 .4 .4 .4: label 1: rank 4, hits 1 -> 1/4; coverage 4.
     * a2 y 1 1 1 1: every label true: LRAP term 1 (sklearn's rule); coverage 4.
     * LRAP (2/3 + 1/4 + 1) / 3 = 23/36, coverage 11/3 (sklearn 1.2 gives
     * 0.6388888888888888 and 3.6666666666666665 for these arrays). */
    const uint8_t y[] = {1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1};
    const float s[] = {.5f, .5f, .5f, .1f, .9f, .4f, .4f, .4f, .1f, .2f, .3f, .4f};
    eval_metrics m = compute(3, 4, y, s, 0.3);
    close_to(m.lrap, 23.0 / 36, "LRAP");
    close_to(m.coverage_error, 11.0 / 3, "coverage");
    eval_metrics_free(&m);
}

Test(metrics, genre_without_positive)
{
    /* y [[1,0],[0,0],[1,0]], s [[.9,.1],[.2,.7],[.6,.2]]: genre 1 has no positive: AP
     * undefined (NaN), out of MAP. Genre 0: .9 (1), .6 (1), .2 (0): AP 1, MAP 1 over 1.
     * At 0.3 genre 1 is predicted for a1 only: TP 0, FP 1: P 0, R 0/0 = 0, F1 0. */
    const uint8_t y[] = {1, 0, 0, 0, 1, 0};
    const float s[] = {.9f, .1f, .2f, .7f, .6f, .2f};
    eval_metrics m = compute(3, 2, y, s, 0.3);
    cr_assert(isnan(m.ap[1]), "AP of a genre without positive is undefined");
    cr_assert_eq(m.support[1], 0);
    close_to(m.ap[0], 1, "AP 0");
    close_to(m.map, 1, "MAP");
    cr_assert_eq(m.map_genres, 1);
    const eval_class *c = &m.at.classes[1];
    cr_assert(c->tp == 0 && c->fp == 1 && c->fn == 0 && c->tn == 2);
    cr_assert(c->precision == 0 && c->recall == 0 && c->f1 == 0);
    eval_metrics_free(&m);
}

Test(metrics, no_positive_anywhere_is_undefined)
{
    const uint8_t y[] = {0, 0, 0, 0};
    const float s[] = {.9f, .1f, .2f, .7f};
    eval_metrics m = compute(2, 2, y, s, 0.3);
    cr_assert(isnan(m.map) && m.map_genres == 0 && isnan(m.micro_ap));
    /* no true genre: LRAP 1 per album, coverage 0, soft accuracy 1 (0/0 counts 1);
     * a0 predicts {0}, a1 {1}: Hamming score 0/1 each -> 0 */
    close_to(m.lrap, 1, "LRAP");
    close_to(m.coverage_error, 0, "coverage");
    close_to(m.at.soft_accuracy, 1, "soft accuracy");
    close_to(m.at.hamming_score, 0, "Hamming score");
    cr_assert_eq(m.albums_without_label, 2);
    eval_metrics_free(&m);
}

Test(metrics, no_predicted_positive)
{
    /* y [[1,0],[0,1]], every score 0.1 < 0.3: nothing predicted. Per genre TP 0, FP 0:
     * P 0/0 = 0 (zero_division=0), R 0/1 = 0, F1 0; micro P 0/0 = 0, R 0, F1 0.
     * Hamming loss 2/4; Hamming score 0/1 per album = 0; soft accuracy 0; exact 0.
     * AP: all scores tied, one threshold: P 1/2, R 1 -> 1/2 per genre, MAP 1/2.
     * LRAP per album: the true label ties with the other: rank 2, hits 1 -> 1/2;
     * coverage 2. */
    const uint8_t y[] = {1, 0, 0, 1};
    const float s[] = {.1f, .1f, .1f, .1f};
    eval_metrics m = compute(2, 2, y, s, 0.3);
    for (size_t l = 0; l < 2; l++) {
        const eval_class *c = &m.at.classes[l];
        cr_assert(c->tp == 0 && c->fp == 0 && c->fn == 1 && c->tn == 1);
        cr_assert(c->precision == 0 && c->recall == 0 && c->f1 == 0);
        close_to(m.ap[l], 0.5, "AP");
    }
    cr_assert(m.at.micro_precision == 0 && m.at.micro_recall == 0 && m.at.micro_f1 == 0);
    cr_assert(m.at.macro_precision == 0 && m.at.macro_f1 == 0);
    close_to(m.at.hamming_loss, 0.5, "Hamming loss");
    close_to(m.at.hamming_score, 0, "Hamming score");
    close_to(m.at.soft_accuracy, 0, "soft accuracy");
    close_to(m.at.exact_match, 0, "exact match");
    close_to(m.map, 0.5, "MAP");
    close_to(m.lrap, 0.5, "LRAP");
    close_to(m.coverage_error, 2, "coverage");
    eval_metrics_free(&m);
}

Test(metrics, one_album)
{
    /* y [0,1,1], s [.2,.9,.4], t .3: z [0,1,1] = y: exact 1, Hamming loss 0, score 1,
     * soft 1. Genre 0: no positive, AP undefined; genres 1 and 2: AP 1; MAP 1 over 2.
     * LRAP: .9 rank 1 hits 1, .4 rank 2 hits 2 -> 1; coverage #(s >= .4) = 2. */
    const uint8_t y[] = {0, 1, 1};
    const float s[] = {.2f, .9f, .4f};
    eval_metrics m = compute(1, 3, y, s, 0.3);
    close_to(m.at.exact_match, 1, "exact");
    close_to(m.at.hamming_loss, 0, "Hamming loss");
    close_to(m.at.hamming_score, 1, "Hamming score");
    close_to(m.at.soft_accuracy, 1, "soft");
    cr_assert(isnan(m.ap[0]));
    close_to(m.map, 1, "MAP");
    cr_assert_eq(m.map_genres, 2);
    close_to(m.lrap, 1, "LRAP");
    close_to(m.coverage_error, 2, "coverage");
    /* genre 0: nothing predicted and nothing true: P, R, F1 all 0 (zero_division=0) */
    cr_assert(m.at.classes[0].precision == 0 && m.at.classes[0].f1 == 0);
    close_to(m.at.macro_f1, 2.0 / 3, "macro F1");
    eval_metrics_free(&m);
}

/* A score written 0.3 is not above a threshold of 0.3: the comparison is in float,
 * as NumPy compares a float32 array with 0.3. */
Test(metrics, threshold_compared_in_float)
{
    const uint8_t y[] = {1};
    const float s[] = {0.3f};
    eval_metrics m = compute(1, 1, y, s, 0.3);
    cr_assert_eq(m.at.classes[0].tp, 0);
    cr_assert_eq(m.at.classes[0].fn, 1);
    eval_metrics_free(&m);
}

/* 6 albums x 4 genres with ties; expected values from scikit-learn 1.2.1 (Debian 12's
 * python3-sklearn), with y and s as below (s as np.float32), z = (s > 0.3):
 *   precision_score / recall_score / f1_score(y, z, average=..., zero_division=0),
 *   hamming_loss(y, z), accuracy_score(y, z), jaccard_score(y, z, average='samples'),
 *   average_precision_score(y[:, l], s[:, l]), average_precision_score(y, s,
 *   average='micro'), label_ranking_average_precision_score(y, s),
 *   coverage_error(y, s), multilabel_confusion_matrix(y, z). */
Test(metrics, matches_sklearn_1_2)
{
    const uint8_t y[] = {1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0};
    const float s[] = {0.8f, 0.3f,  0.8f, 0.1f, 0.5f, 0.5f, 0.2f,  0.5f,
                       0.7f, 0.4f,  0.1f, 0.9f, 0.2f, 0.3f, 0.3f,  0.6f,
                       0.3f, 0.35f, 0.3f, 0.3f, 0.1f, 0.9f, 0.45f, 0.05f};
    eval_metrics m = compute(6, 4, y, s, 0.3);
    close_to(m.at.macro_precision, 0.7708333333333333, "macro P");
    close_to(m.at.macro_recall, 0.9166666666666666, "macro R");
    close_to(m.at.macro_f1, 0.8309523809523809, "macro F1");
    close_to(m.at.micro_precision, 0.75, "micro P");
    close_to(m.at.micro_recall, 0.9, "micro R");
    close_to(m.at.micro_f1, 0.8181818181818182, "micro F1");
    const double f1[] = {0.6666666666666666, 0.8571428571428571, 1.0, 0.8};
    const double ap[] = {0.9166666666666665, 1.0, 1.0, 1.0};
    const uint64_t mcm[4][4] = {{2, 1, 1, 2}, {2, 1, 0, 3}, {4, 0, 0, 2}, {3, 1, 0, 2}};
    for (size_t l = 0; l < 4; l++) {
        const eval_class *c = &m.at.classes[l];
        close_to(c->f1, f1[l], "F1");
        close_to(m.ap[l], ap[l], "AP");
        cr_assert(c->tn == mcm[l][0] && c->fp == mcm[l][1] && c->fn == mcm[l][2] &&
                  c->tp == mcm[l][3], "confusion of genre %zu", l);
    }
    close_to(m.at.hamming_loss, 0.16666666666666666, "Hamming loss");
    close_to(m.at.exact_match, 0.6666666666666666, "exact match");
    /* every album has a true genre here, so jaccard 'samples' is the Hamming score */
    close_to(m.at.hamming_score, 0.7222222222222222, "Hamming score");
    close_to(m.micro_ap, 0.895151515151515, "micro AP");
    close_to(m.lrap, 0.7638888888888888, "LRAP");
    close_to(m.coverage_error, 2.5, "coverage");
    eval_metrics_free(&m);
}

static tg_code check(size_t n, size_t l, const uint8_t *y, const float *s, tg_error *e)
{
    const char *ids[] = {"alb-a", "alb-b"};
    eval_input in = {.n_albums = n, .n_genres = l, .labels = y, .scores = s, .album_ids = ids};
    eval_metrics m;
    tg_code rc = eval_metrics_compute(&in, 0.3, &m, e);
    if (rc == TG_OK)
        eval_metrics_free(&m);
    return rc;
}

Test(metrics, bad_scores_name_the_album)
{
    const uint8_t y[] = {1, 0, 0, 1};
    float s[] = {.5f, .5f, .5f, NAN};
    tg_error e = {0};
    cr_assert_eq(check(2, 2, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "album 1 ('alb-b'), genre 1") != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "nan") != NULL, "%s", e.msg);
    s[3] = 1.5f;
    cr_assert_eq(check(2, 2, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "1.5 is not in [0, 1]") != NULL, "%s", e.msg);
    s[3] = .5f;
    s[0] = -0.01f;
    cr_assert_eq(check(2, 2, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "album 0 ('alb-a'), genre 0") != NULL, "%s", e.msg);
    s[0] = INFINITY;
    cr_assert_eq(check(2, 2, y, s, &e), TG_ERR_FORMAT);
    s[0] = 1.0f; /* the bounds themselves are fine */
    s[1] = 0.0f;
    cr_assert_eq(check(2, 2, y, s, &e), TG_OK, "%s", e.msg);
}

Test(metrics, bad_shapes_and_labels)
{
    const uint8_t y[] = {1, 2};
    const float s[] = {.5f, .5f};
    tg_error e = {0};
    cr_assert_eq(check(0, 2, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "no albums") != NULL, "%s", e.msg);
    cr_assert_eq(check(1, 0, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "no genres") != NULL, "%s", e.msg);
    cr_assert_eq(check(1, 2, y, s, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "label 2 is not 0 or 1") != NULL, "%s", e.msg);
    eval_input in = {.n_albums = 1, .n_genres = 1, .labels = y, .scores = s};
    eval_metrics m;
    cr_assert_eq(eval_metrics_compute(&in, NAN, &m, &e), TG_ERR_USAGE);
}

Test(metrics, sweep)
{
    eval_input in = {.n_albums = 4, .n_genres = 3, .labels = A_y, .scores = A_s};
    eval_sweep sw;
    tg_error e = {0};
    cr_assert_eq(eval_sweep_compute(&in, 0, 1, 0.25, &sw, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(sw.n, 5);
    close_to(sw.at[4].threshold, 1.0, "last threshold");
    /* Case A at 0.25 (z: a0 {0,2}, a1 {0,1,2}, a2 {0,1}, a3 {0}): F1 per genre
     * 4/6, 1, 2/3 -> macro 7/9. At 0.5 (a0 {0}, a1 {2}, a2 {1}, a3 {} as 0.5 is not
     * above 0.5): F1 2/3, 2/3, 1 -> 7/9 as well: a tie, the lower threshold wins.
     * At 0: everything predicted, F1 4/6, 4/6, 2/5 -> 26/45; at 1: nothing, 0. */
    close_to(sw.at[1].macro_f1, 7.0 / 9, "macro F1 at 0.25");
    close_to(sw.at[2].macro_f1, 7.0 / 9, "macro F1 at 0.5");
    close_to(sw.at[0].macro_f1, 26.0 / 45, "macro F1 at 0");
    close_to(sw.at[4].macro_f1, 0, "macro F1 at 1");
    cr_assert_eq(sw.best, 1);
    /* each threshold agrees with a plain computation there */
    eval_metrics m = compute(4, 3, A_y, A_s, 0.5);
    close_to(sw.at[2].hamming_score, m.at.hamming_score, "Hamming score at 0.5");
    close_to(sw.at[2].micro_f1, m.at.micro_f1, "micro F1 at 0.5");
    cr_assert_eq(sw.at[2].classes[1].fn, m.at.classes[1].fn);
    eval_metrics_free(&m);
    eval_sweep_free(&sw);
    /* 0:1:0.1 ends at 1 despite 1 / 0.1 in floating point */
    cr_assert_eq(eval_sweep_compute(&in, 0, 1, 0.1, &sw, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(sw.n, 11);
    eval_sweep_free(&sw);
    cr_assert_eq(eval_sweep_compute(&in, 0.5, 0.5, 0.1, &sw, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(sw.n, 1);
    eval_sweep_free(&sw);
    cr_assert_eq(eval_sweep_compute(&in, 0.6, 0.5, 0.1, &sw, &e), TG_ERR_USAGE);
    cr_assert_eq(eval_sweep_compute(&in, 0, 1, 0, &sw, &e), TG_ERR_USAGE);
}
