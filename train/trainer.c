/* trainer.c - the epoch loop, the test pass and the model state (see trainer.h). */
#include "trainer.h"

#include "clock.h"
#include "metrics.h"
#include "progress.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tg_balance_names[] = {"none", "pos-weight", "sample-weight", "oversample",
                                        "undersample", NULL};

tg_code tg_csr_buf_reserve(tg_csr_buf *b, int32_t rows, int64_t nnz, tg_error *e)
{
    if (rows > b->cap_rows) {
        int64_t *p = realloc(b->indptr, ((size_t)rows + 1) * sizeof *p);
        if (p == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for a batch of %d rows", rows);
        b->indptr = p;
        b->cap_rows = rows;
    }
    if (nnz > b->cap_nnz) {
        int64_t cap = b->cap_nnz ? b->cap_nnz : 4096;
        while (cap < nnz)
            cap *= 2;
        int32_t *i = realloc(b->indices, (size_t)cap * sizeof *i);
        if (i == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for %lld batch entries",
                           (long long)cap);
        b->indices = i;
        float *v = realloc(b->values, (size_t)cap * sizeof *v);
        if (v == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for %lld batch entries",
                           (long long)cap);
        b->values = v;
        b->cap_nnz = cap;
    }
    return TG_OK;
}

void tg_csr_buf_free(tg_csr_buf *b)
{
    free(b->indptr), free(b->indices), free(b->values);
    memset(b, 0, sizeof *b);
}

tg_code tg_model_alloc(tg_model *m, const tg_net_spec *spec, tg_backend backend, int32_t batch,
                       uint64_t seed, int threads, tg_error *e)
{
    memset(m, 0, sizeof *m);
    return tg_net_create(&m->net, spec, backend, batch, seed, threads, e);
}

void tg_model_free(tg_model *m)
{
    tg_net_destroy(m->net);
    memset(m, 0, sizeof *m);
}

/* Weights of the report's remedies, from the training albums' genre counts. */
static tg_code balance_weights(const tg_train_config *cfg, const tg_train_data *d, int64_t G,
                               float **pos_w, float **sample_w, tg_error *e)
{
    *pos_w = *sample_w = NULL;
    if (cfg->balance == TG_BALANCE_NONE)
        return TG_OK;
    double *inv = calloc((size_t)G, sizeof *inv);
    if (inv == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n_train; i++)
        for (int64_t g = 0; g < G; g++)
            inv[g] += d->labels[(size_t)d->train[i] * G + g];
    double sum = 0;
    for (int64_t g = 0; g < G; g++) {
        inv[g] = inv[g] > 0 ? 1.0 / inv[g] : 0.0; /* a genre absent from training weighs 0 */
        sum += inv[g];
    }
    tg_code rc = TG_OK;
    if (cfg->balance == TG_BALANCE_POS_WEIGHT) {
        *pos_w = malloc((size_t)G * sizeof **pos_w);
        if (*pos_w == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
        for (int64_t g = 0; rc == TG_OK && g < G; g++)
            (*pos_w)[g] = (float)(sum > 0 ? inv[g] / sum : 1.0);
    } else {
        *sample_w = calloc(d->n_albums, sizeof **sample_w);
        if (*sample_w == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
        double total = 0;
        for (size_t i = 0; rc == TG_OK && i < d->n_train; i++) {
            const uint8_t *y = d->labels + (size_t)d->train[i] * G;
            double acc = 0;
            int k = 0;
            for (int64_t g = 0; g < G; g++)
                if (y[g])
                    acc += inv[g], k++;
            (*sample_w)[d->train[i]] = (float)(k ? acc / k : 0.0);
            total += k ? acc / k : 0.0;
        }
        for (size_t i = 0; rc == TG_OK && total > 0 && i < d->n_train; i++)
            (*sample_w)[d->train[i]] = (float)((*sample_w)[d->train[i]] / total);
    }
    free(inv);
    return rc;
}

/* The albums of an epoch under oversampling or undersampling (trainer.h): *out is
 * malloc'd, *n its length. Other modes: the training albums as they are. */
static tg_code epoch_albums(const tg_train_config *cfg, const tg_train_data *d, int64_t G,
                            int32_t epoch, uint32_t **out, size_t *n, tg_error *e)
{
    int data_side = cfg->balance == TG_BALANCE_OVERSAMPLE || cfg->balance == TG_BALANCE_UNDERSAMPLE;
    size_t cap = d->n_train * (cfg->balance == TG_BALANCE_OVERSAMPLE ? 10 : 1);
    uint32_t *list = malloc((cap ? cap : 1) * sizeof *list);
    uint64_t *count = calloc((size_t)G, sizeof *count), *sorted = calloc((size_t)G, sizeof *sorted);
    if (!list || !count || !sorted) {
        free(list), free(count), free(sorted);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the epoch's albums");
    }
    *n = 0;
    if (!data_side) {
        memcpy(list, d->train, d->n_train * sizeof *list);
        *n = d->n_train;
    } else {
        for (size_t i = 0; i < d->n_train; i++)
            for (int64_t g = 0; g < G; g++)
                count[g] += d->labels[(size_t)d->train[i] * G + g];
        size_t k = 0;
        for (int64_t g = 0; g < G; g++)
            if (count[g] > 0)
                sorted[k++] = count[g];
        for (size_t i = 1; i < k; i++) /* insertion sort: G is small */
            for (size_t j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
                uint64_t t = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = t;
            }
        double median = k ? (k % 2 ? (double)sorted[k / 2]
                                   : 0.5 * (double)(sorted[k / 2 - 1] + sorted[k / 2]))
                          : 1.0;
        tg_rng r;
        tg_rng_seed(&r, cfg->seed, 0x554e4452, (uint64_t)epoch); /* "UNDR" */
        for (size_t i = 0; i < d->n_train; i++) {
            const uint8_t *y = d->labels + (size_t)d->train[i] * G;
            uint64_t rarest = 0;
            for (int64_t g = 0; g < G; g++)
                if (y[g] && (rarest == 0 || count[g] < rarest))
                    rarest = count[g];
            double ratio = rarest ? median / (double)rarest : 1.0;
            if (cfg->balance == TG_BALANCE_OVERSAMPLE) {
                size_t times = ratio > 1 ? (size_t)ceil(ratio) : 1;
                for (size_t t = 0; t < (times < 10 ? times : 10); t++)
                    list[(*n)++] = d->train[i];
            } else if (ratio >= 1 || tg_rng_uniform(&r) < ratio) {
                list[(*n)++] = d->train[i];
            }
        }
    }
    free(count), free(sorted);
    *out = list;
    return TG_OK;
}

/* Gathers the labels (and weights) of a batch's albums into contiguous rows. */
static void gather(const uint8_t *labels, int64_t G, const uint32_t *albums, int32_t n,
                   uint8_t *y, const float *sample_w, float *w)
{
    for (int32_t b = 0; b < n; b++) {
        memcpy(y + (size_t)b * G, labels + (size_t)albums[b] * G, (size_t)G);
        if (sample_w)
            w[b] = sample_w[albums[b]];
    }
}

static tg_code check_batch(const tg_csr_buf *x, int32_t n, const tg_net_spec *s, tg_error *e)
{
    const int64_t inputs = s->steps * s->cities;
    if (x->rows != n || x->indptr[0] != 0)
        return tg_fail(e, TG_ERR_FORMAT, "batch source returned %d rows for %d", x->rows, n);
    for (int32_t b = 0; b < n; b++)
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            if (x->indices[k] < 0 || x->indices[k] >= inputs)
                return tg_fail(e, TG_ERR_FORMAT, "batch column %d outside [0, %lld)",
                               x->indices[k], (long long)inputs);
    return TG_OK;
}

tg_code tg_predict(tg_net *net, const uint32_t *albums, size_t n, const uint8_t *labels,
                   const tg_batch_source *src, int32_t batch, float *scores, double *loss,
                   tg_error *e)
{
    const int64_t G = net->spec.genres;
    tg_csr_buf x = {0};
    uint8_t *y = malloc((size_t)batch * (size_t)G);
    float *logits = malloc((size_t)batch * (size_t)G * sizeof *logits);
    tg_code rc = TG_OK;
    if (y == NULL || logits == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    double total = 0;
    if (rc == TG_OK && src->begin)
        rc = src->begin(src->ctx, albums, n, batch, e);
    for (size_t i = 0; rc == TG_OK && i < n; i += (size_t)batch) {
        int32_t nb = (int32_t)(n - i < (size_t)batch ? n - i : (size_t)batch);
        rc = src->fill(src->ctx, albums + i, nb, &x, e);
        if (rc == TG_OK)
            rc = check_batch(&x, nb, &net->spec, e);
        tg_csr_batch view = tg_csr_view(&x);
        if (rc == TG_OK)
            rc = tg_net_forward(net, &view, logits, e);
        if (rc != TG_OK)
            break;
        if (loss && labels) {
            gather(labels, G, albums + i, nb, y, NULL, NULL);
            total += tg_mlp_bce(logits, y, nb, G, NULL, NULL, NULL) * nb;
        }
        for (size_t k = 0; k < (size_t)nb * (size_t)G; k++)
            scores[i * (size_t)G + k] = (float)(1.0 / (1.0 + exp(-(double)logits[k])));
    }
    if (rc == TG_OK && loss)
        *loss = n ? total / (double)n : NAN;
    tg_csr_buf_free(&x);
    free(y), free(logits);
    return rc;
}

/* The test pass: loss, MAP and macro F1 of the test albums. */
static tg_code test_pass(tg_net *net, const tg_train_config *cfg, const tg_train_data *d,
                         const tg_batch_source *src, tg_epoch_stats *st, tg_error *e)
{
    st->test_loss = st->test_map = st->test_macro_f1 = NAN;
    if (d->n_test == 0)
        return TG_OK;
    const int64_t G = net->spec.genres;
    float *scores = malloc(d->n_test * (size_t)G * sizeof *scores);
    uint8_t *y = malloc(d->n_test * (size_t)G);
    if (!scores || !y) {
        free(scores), free(y);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for test scores");
    }
    tg_code rc = tg_predict(net, d->test, d->n_test, d->labels, src, cfg->batch, scores,
                            &st->test_loss, e);
    if (rc == TG_OK) {
        gather(d->labels, G, d->test, (int32_t)d->n_test, y, NULL, NULL);
        eval_input in = {.n_albums = d->n_test, .n_genres = (size_t)G, .labels = y,
                         .scores = scores};
        eval_metrics met;
        rc = eval_metrics_compute(&in, cfg->threshold, &met, e);
        if (rc == TG_OK) {
            st->test_map = met.map;
            st->test_macro_f1 = met.at.macro_f1;
            eval_metrics_free(&met);
        }
    }
    free(scores), free(y);
    return rc;
}

tg_code tg_train_epoch(tg_model *m, const tg_train_config *cfg, const tg_train_data *d,
                       const tg_batch_source *src, tg_epoch_stats *st, tg_error *e)
{
    uint64_t t0 = tg_clock_ns(), waited = 0;
    tg_net *net = m->net;
    const int64_t G = net->spec.genres;
    const int32_t B = cfg->batch;
    memset(st, 0, sizeof *st);
    st->epoch = m->epoch + 1;
    uint32_t *order = NULL;
    size_t n_order = 0;
    uint8_t *y = malloc((size_t)B * (size_t)G);
    float *w = malloc((size_t)B * sizeof *w);
    float *logits = malloc((size_t)B * (size_t)G * sizeof *logits);
    float *dlogits = malloc((size_t)B * (size_t)G * sizeof *dlogits);
    float *pos_w = NULL, *sample_w = NULL;
    tg_csr_buf x = {0};
    tg_code rc = epoch_albums(cfg, d, G, st->epoch, &order, &n_order, e);
    if (rc == TG_OK && (!y || !w || !logits || !dlogits))
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc == TG_OK && B > net->max_batch)
        rc = tg_fail(e, TG_ERR_USAGE, "batch %d for a net built for %d", B, net->max_batch);
    if (rc == TG_OK)
        rc = balance_weights(cfg, d, G, &pos_w, &sample_w, e);
    if (rc == TG_OK) {
        /* The epoch's order: Fisher-Yates from a generator seeded by (seed, epoch), so a
         * resumed run draws the same orders as an uninterrupted one. */
        tg_rng r;
        tg_rng_seed(&r, cfg->seed, 0x4f524452, (uint64_t)st->epoch); /* "ORDR" */
        for (size_t i = n_order; i > 1; i--) {
            uint32_t j = tg_rng_below(&r, (uint32_t)i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
    }
    /* This process's rows of each batch (all of them without data parallelism): its
     * share of batch i is order[i + lo, i + hi), its sequence of shares local[], which
     * the source is told of as batches of `mine` (every full batch's share is that size,
     * the last one's no larger). */
    const tg_data_parallel *dp = cfg->dp;
    const int parts = dp ? dp->parts : 1, part = dp ? dp->part : 0;
    const int32_t L = (B + parts - 1) / parts;
    const int32_t mine = B - part * L < 0 ? 0 : B - part * L < L ? B - part * L : L;
    uint32_t *local = order;
    size_t n_local = n_order;
    if (rc == TG_OK && parts > 1) {
        local = malloc((n_order ? n_order : 1) * sizeof *local);
        n_local = 0;
        if (local == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
        for (size_t i = 0; rc == TG_OK && i < n_order; i += (size_t)B) {
            size_t nb = n_order - i < (size_t)B ? n_order - i : (size_t)B;
            size_t lo = (size_t)part * L < nb ? (size_t)part * L : nb;
            size_t hi = lo + (size_t)L < nb ? lo + (size_t)L : nb;
            memcpy(local + n_local, order + i + lo, (hi - lo) * sizeof *local);
            n_local += hi - lo;
        }
    }
    double total = 0;
    uint64_t comm = 0;
    char label[32];
    snprintf(label, sizeof label, "epoch %d", st->epoch);
    tg_progress bar; /* on a terminal only: the epoch's table line replaces it */
    tg_progress_start_items(&bar, label, "albums", n_order);
    if (rc == TG_OK && src->begin && mine > 0)
        rc = src->begin(src->ctx, local, n_local, mine, e);
    for (size_t i = 0, at = 0; rc == TG_OK && i < n_order; i += (size_t)B) {
        tg_progress_update(&bar, i, i);
        int32_t nb = (int32_t)(n_order - i < (size_t)B ? n_order - i : (size_t)B);
        int32_t lo = part * L < nb ? part * L : nb, hi = lo + L < nb ? lo + L : nb, nl = hi - lo;
        tg_csr_batch view = {0};
        if (nl > 0) {
            uint64_t f0 = tg_clock_ns();
            rc = src->fill(src->ctx, local + at, nl, &x, e);
            waited += tg_clock_ns() - f0;
            if (rc == TG_OK)
                rc = check_batch(&x, nl, &net->spec, e);
            view = tg_csr_view(&x);
            if (rc == TG_OK)
                rc = tg_net_forward(net, &view, logits, e);
            if (rc != TG_OK)
                break;
            gather(d->labels, G, local + at, nl, y, sample_w, w);
            total += nl * tg_mlp_bce(logits, y, nl, G, pos_w, sample_w ? w : NULL, dlogits);
            if (nl < nb) /* the loss is a mean over the whole batch: this part's share */
                for (size_t k = 0; k < (size_t)nl * (size_t)G; k++)
                    dlogits[k] *= (float)nl / (float)nb;
            rc = tg_net_backward(net, &view, dlogits, e);
            at += (size_t)nl;
        }
        if (rc == TG_OK && parts > 1) {
            uint64_t c0 = tg_clock_ns();
            rc = dp->sum_grads(dp->ctx, net, e);
            comm += tg_clock_ns() - c0;
        }
        /* summed gradients cover every part's rows: zero them all (x NULL) */
        if (rc == TG_OK)
            rc = tg_net_update(net, &cfg->adam, parts > 1 ? NULL : &view, e);
    }
    tg_progress_end(&bar);
    double sums[1] = {total};
    if (rc == TG_OK && parts > 1) {
        uint64_t c0 = tg_clock_ns();
        rc = dp->sum(dp->ctx, sums, 1, e);
        comm += tg_clock_ns() - c0;
    }
    if (rc == TG_OK) {
        st->train_loss = n_order ? sums[0] / (double)n_order : NAN;
        m->epoch++;
        if (part == 0)
            rc = test_pass(net, cfg, d, src, st, e);
        else
            st->test_loss = st->test_map = st->test_macro_f1 = NAN;
    }
    if (local != order)
        free(local);
    st->comm_seconds = comm / 1e9;
    st->loader_seconds = waited / 1e9;
    st->seconds = (tg_clock_ns() - t0) / 1e9;
    tg_csr_buf_free(&x);
    free(order), free(y), free(w), free(logits), free(dlogits), free(pos_w), free(sample_w);
    return rc;
}
