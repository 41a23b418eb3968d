/* trainer.c - the epoch loop, the test pass and the model state (see trainer.h). */
#include "trainer.h"

#include "clock.h"
#include "metrics.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const tg_balance_names[] = {"none", "pos-weight", "sample-weight", "oversample",
                                        "undersample", NULL};

tg_code tg_csr_buf_reserve(tg_csr_buf *b, int32_t rows, int64_t nnz, tg_error *e)
{
    if (rows > b->cap_rows) {
        int64_t *p = realloc(b->indptr, ((size_t)rows + 1) * sizeof *p);
        if (p == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for a batch of %d rows", rows);
        b->indptr = p;
        b->cap_rows = rows;
    }
    if (nnz > b->cap_nnz) {
        int64_t cap = b->cap_nnz ? b->cap_nnz : 4096;
        while (cap < nnz)
            cap *= 2;
        int32_t *i = realloc(b->indices, (size_t)cap * sizeof *i);
        if (i == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for %lld batch entries",
                           (long long)cap);
        b->indices = i;
        float *v = realloc(b->values, (size_t)cap * sizeof *v);
        if (v == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for %lld batch entries",
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

uint64_t tg_model_bytes(const tg_mlp_shape *s, int32_t batch)
{
    uint64_t params = (uint64_t)tg_mlp_param_count(s);
    uint64_t acts = (uint64_t)batch * (uint64_t)(3 * s->hidden + 2 * s->genres);
    return 4 * params * sizeof(float) + acts * sizeof(float);
}

void tg_model_free(tg_model *m)
{
    free(m->params), free(m->grads), free(m->m), free(m->v);
    memset(m, 0, sizeof *m);
}

tg_code tg_model_alloc(tg_model *m, const tg_mlp_shape *s, uint64_t seed, tg_error *e)
{
    memset(m, 0, sizeof *m);
    m->shape = *s;
    m->n_params = tg_mlp_param_count(s);
    m->params = malloc(m->n_params * sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->m = calloc(m->n_params, sizeof(float));
    m->v = calloc(m->n_params, sizeof(float));
    if (!m->params || !m->grads || !m->m || !m->v) {
        size_t n = m->n_params;
        tg_model_free(m);
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for a model of %zu parameters "
                       "(%.1f MB with gradients and Adam state)", n, 16.0 * n / 1e6);
    }
    tg_mlp_point(&m->p, m->params, s);
    tg_mlp_point(&m->g, m->grads, s);
    tg_mlp_init(&m->p, s, seed);
    return TG_OK;
}

/* Weights of the report's remedies, from the training albums' genre counts. */
static tg_code balance_weights(const tg_train_config *cfg, const tg_train_data *d,
                               float **pos_w, float **sample_w, tg_error *e)
{
    *pos_w = *sample_w = NULL;
    if (cfg->balance == TG_BALANCE_NONE)
        return TG_OK;
    const int64_t G = cfg->shape.genres;
    double *inv = calloc((size_t)G, sizeof *inv);
    if (inv == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
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
            rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
        for (int64_t g = 0; rc == TG_OK && g < G; g++)
            (*pos_w)[g] = (float)(sum > 0 ? inv[g] / sum : 1.0);
    } else {
        *sample_w = calloc(d->n_albums, sizeof **sample_w);
        if (*sample_w == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
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
static tg_code epoch_albums(const tg_train_config *cfg, const tg_train_data *d, int32_t epoch,
                            uint32_t **out, size_t *n, tg_error *e)
{
    const int64_t G = cfg->shape.genres;
    int data_side = cfg->balance == TG_BALANCE_OVERSAMPLE || cfg->balance == TG_BALANCE_UNDERSAMPLE;
    size_t cap = d->n_train * (cfg->balance == TG_BALANCE_OVERSAMPLE ? 10 : 1);
    uint32_t *list = malloc((cap ? cap : 1) * sizeof *list);
    uint64_t *count = calloc((size_t)G, sizeof *count), *sorted = calloc((size_t)G, sizeof *sorted);
    if (!list || !count || !sorted) {
        free(list), free(count), free(sorted);
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for the epoch's albums");
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

static tg_code check_batch(const tg_csr_buf *x, int32_t n, const tg_mlp_shape *s, tg_error *e)
{
    if (x->rows != n || x->indptr[0] != 0)
        return tg_fail(e, TG_ERR_FORMAT, "train: batch source returned %d rows for %d", x->rows, n);
    for (int32_t b = 0; b < n; b++)
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            if (x->indices[k] < 0 || x->indices[k] >= s->inputs)
                return tg_fail(e, TG_ERR_FORMAT, "train: batch column %d outside [0, %lld)",
                               x->indices[k], (long long)s->inputs);
    return TG_OK;
}

tg_code tg_predict(const tg_model *m, const uint32_t *albums, size_t n, const uint8_t *labels,
                   const tg_batch_source *src, int32_t batch, float *scores, double *loss,
                   tg_error *e)
{
    const int64_t G = m->shape.genres;
    tg_mlp_acts a;
    tg_csr_buf x = {0};
    uint8_t *y = malloc((size_t)batch * (size_t)G);
    tg_code rc = tg_mlp_acts_alloc(&a, &m->shape, batch, e);
    if (rc == TG_OK && y == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
    double total = 0;
    if (rc == TG_OK && src->begin)
        rc = src->begin(src->ctx, albums, n, batch, e);
    for (size_t i = 0; rc == TG_OK && i < n; i += (size_t)batch) {
        int32_t nb = (int32_t)(n - i < (size_t)batch ? n - i : (size_t)batch);
        rc = src->fill(src->ctx, albums + i, nb, &x, e);
        if (rc == TG_OK)
            rc = check_batch(&x, nb, &m->shape, e);
        if (rc != TG_OK)
            break;
        tg_csr_batch view = tg_csr_view(&x);
        tg_mlp_forward(&m->p, &m->shape, &view, &a);
        if (loss && labels) {
            gather(labels, G, albums + i, nb, y, NULL, NULL);
            total += tg_mlp_bce(a.logits, y, nb, G, NULL, NULL, NULL) * nb;
        }
        for (size_t k = 0; k < (size_t)nb * (size_t)G; k++)
            scores[i * (size_t)G + k] = (float)(1.0 / (1.0 + exp(-(double)a.logits[k])));
    }
    if (rc == TG_OK && loss)
        *loss = n ? total / (double)n : NAN;
    tg_mlp_acts_free(&a); /* zeroed by tg_mlp_acts_alloc even when it failed */
    tg_csr_buf_free(&x);
    free(y);
    return rc;
}

/* The test pass: loss, MAP and macro F1 of the test albums. */
static tg_code test_pass(const tg_model *m, const tg_train_config *cfg, const tg_train_data *d,
                         const tg_batch_source *src, tg_epoch_stats *st, tg_error *e)
{
    st->test_loss = st->test_map = st->test_macro_f1 = NAN;
    if (d->n_test == 0)
        return TG_OK;
    const int64_t G = cfg->shape.genres;
    float *scores = malloc(d->n_test * (size_t)G * sizeof *scores);
    uint8_t *y = malloc(d->n_test * (size_t)G);
    if (!scores || !y) {
        free(scores), free(y);
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory for test scores");
    }
    tg_code rc = tg_predict(m, d->test, d->n_test, d->labels, src, cfg->batch, scores,
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
    const int64_t G = cfg->shape.genres;
    const int32_t B = cfg->batch;
    memset(st, 0, sizeof *st);
    st->epoch = m->epoch + 1;
    uint32_t *order = NULL;
    size_t n_order = 0;
    uint8_t *y = malloc((size_t)B * (size_t)G);
    float *w = malloc((size_t)B * sizeof *w);
    float *pos_w = NULL, *sample_w = NULL;
    tg_csr_buf x = {0};
    tg_mlp_acts a = {0};
    tg_code rc = epoch_albums(cfg, d, st->epoch, &order, &n_order, e);
    if (rc == TG_OK && (!y || !w))
        rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
    if (rc == TG_OK)
        rc = tg_mlp_acts_alloc(&a, &cfg->shape, B, e);
    if (rc == TG_OK)
        rc = balance_weights(cfg, d, &pos_w, &sample_w, e);
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
    double total = 0;
    if (rc == TG_OK && src->begin)
        rc = src->begin(src->ctx, order, n_order, B, e);
    for (size_t i = 0; rc == TG_OK && i < n_order; i += (size_t)B) {
        int32_t nb = (int32_t)(n_order - i < (size_t)B ? n_order - i : (size_t)B);
        uint64_t f0 = tg_clock_ns();
        rc = src->fill(src->ctx, order + i, nb, &x, e);
        waited += tg_clock_ns() - f0;
        if (rc == TG_OK)
            rc = check_batch(&x, nb, &cfg->shape, e);
        if (rc != TG_OK)
            break;
        tg_csr_batch view = tg_csr_view(&x);
        gather(d->labels, G, order + i, nb, y, sample_w, w);
        tg_mlp_forward(&m->p, &cfg->shape, &view, &a);
        total += nb * tg_mlp_bce(a.logits, y, nb, G, pos_w, sample_w ? w : NULL, a.dlogits);
        tg_mlp_backward(&m->p, &m->g, &cfg->shape, &view, &a);
        tg_adam_step(&cfg->adam, ++m->step, m->params, m->grads, m->m, m->v, m->n_params);
        tg_mlp_zero_grad(&m->g, &cfg->shape, &view);
    }
    if (rc == TG_OK) {
        st->train_loss = n_order ? total / (double)n_order : NAN;
        m->epoch++;
        rc = test_pass(m, cfg, d, src, st, e);
    }
    st->loader_seconds = waited / 1e9;
    st->seconds = (tg_clock_ns() - t0) / 1e9;
    tg_mlp_acts_free(&a);
    tg_csr_buf_free(&x);
    free(order), free(y), free(w), free(pos_w), free(sample_w);
    return rc;
}
