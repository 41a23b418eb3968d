/* metrics.h - the report's multi-label metrics, exactly as ../shared/spec/metrics.md
 * defines them (each matches scikit-learn 1.2), in double precision. Train calls it per
 * epoch; the eval command prints and writes what it returns. */
#ifndef TG_EVAL_METRICS_H
#define TG_EVAL_METRICS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* What is evaluated: N albums, L genres, row-major [N, L] arrays. Nothing is copied;
 * the arrays must outlive the call. */
typedef struct {
    size_t n_albums;                /* N > 0 */
    size_t n_genres;                /* L > 0 */
    const uint8_t *labels;          /* y [N, L]: 0 or 1 */
    const float *scores;            /* s [N, L]: in [0, 1], no NaN */
    const char *const *album_ids;   /* [N] or NULL: only to name an album in errors */
    const char *const *genre_names; /* [L] or NULL: only to name a genre in errors */
} eval_input;

/* One genre at one threshold. Confusion matrix [[tn, fp], [fn, tp]] as
 * multilabel_confusion_matrix(y, z)[l]; precision, recall, F1 with zero_division=0. */
typedef struct {
    uint64_t tn, fp, fn, tp;
    double precision, recall, f1;
} eval_class;

/* Everything that depends on the threshold t (prediction z = s > t). */
typedef struct {
    double threshold;
    eval_class *classes; /* [L] */
    double macro_precision, macro_recall, macro_f1; /* unweighted means over all L */
    double micro_precision, micro_recall, micro_f1; /* from TP, FP, FN summed over L */
    double hamming_loss;  /* mean of [y != z] over N*L cells */
    double hamming_score; /* mean over albums of |Y&Z| / |Y|Z|, 0/0 counting 1 */
    double soft_accuracy; /* mean over albums of |Y&Z| / |Y|, 0/0 counting 1 (see .c) */
    double exact_match;   /* share of albums with Z = Y */
} eval_at;

/* All metrics at one threshold plus the ranking metrics, which need no threshold. */
typedef struct {
    size_t n_albums, n_genres;
    eval_at at;
    uint64_t *support;           /* [L] albums having genre l */
    double *ap;                  /* [L] average precision; NaN where support is 0 */
    double map;                  /* mean of the defined APs; NaN if none is defined */
    size_t map_genres;           /* how many genres MAP averages over */
    double micro_ap;             /* AP of all N*L cells at once; NaN if no positive at all */
    double lrap;                 /* label_ranking_average_precision_score(y, s) */
    double coverage_error;       /* coverage_error(y, s) */
    size_t albums_without_label; /* albums with no true genre (see soft_accuracy) */
} eval_metrics;

/* Metrics at each threshold of a sweep, FROM:TO:STEP inclusive. */
typedef struct {
    size_t n;    /* number of thresholds */
    eval_at *at; /* [n], at[i].threshold = from + i * step */
    size_t best; /* index of the highest macro F1 (the lowest threshold among ties,
                  * values within 1e-12 being ties) */
} eval_sweep;

/* Checks in: N > 0, L > 0, arrays present, every label 0 or 1, every score a number in
 * [0, 1]. Fails with TG_ERR_FORMAT naming the album (index, and id when given) and the
 * genre of the first bad value. Changes nothing. */
tg_code eval_input_check(const eval_input *in, tg_error *e);

/* Computes every metric of spec/metrics.md at threshold t (a finite number; compared
 * with the scores in float precision, see .c). Checks in first (eval_input_check).
 * On success *out owns its arrays (eval_metrics_free); on failure *out holds nothing
 * to free. */
tg_code eval_metrics_compute(const eval_input *in, double t, eval_metrics *out, tg_error *e);

/* Frees what eval_metrics_compute allocated; *m is zeroed. NULL or zeroed is fine. */
void eval_metrics_free(eval_metrics *m);

/* Threshold-dependent metrics for t = from, from + step, ... up to to (inclusive, with
 * a tolerance of 1e-9 steps so that 0:1:0.1 ends at 1). Requires finite numbers,
 * step > 0, from <= to, and at most 1,000,000 thresholds (TG_ERR_USAGE otherwise).
 * On success *out owns its arrays (eval_sweep_free); on failure nothing to free. */
tg_code eval_sweep_compute(const eval_input *in, double from, double to, double step,
                           eval_sweep *out, tg_error *e);

/* Frees what eval_sweep_compute allocated; *s is zeroed. NULL or zeroed is fine. */
void eval_sweep_free(eval_sweep *s);

#endif
