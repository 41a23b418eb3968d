/* net_logreg.c - one-vs-rest logistic regression as a CPU model of net.h: the baseline
 * any other model must clear, logits = X W + b over the same steps x cities input.
 *
 * It is the MLP's first layer with genres for hidden units and no ReLU, so it shares
 * its sparse habits: the forward pass is one axpy of a W row per non-zero (no dense X),
 * backward and zero_grad touch only the W rows of the batch's columns. Parameters, one
 * float32 block (nn.Linear(inputs, genres), stored transposed as the MLP's W1 is):
 *   W [inputs, genres]   row j: what input j adds to each genre's logit
 *   b [genres] */
#include "net.h"

#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static tg_code logreg_layout(const tg_net_spec *s, int32_t batch, tg_net_layout *l, tg_error *e)
{
    (void)batch; /* no activations: backward needs only the batch and dlogits */
    int64_t w[2] = {s->steps * s->cities, s->genres};
    tg_code rc = tg_net_layout_add(l, "W", 2, w, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b", 1, &s->genres, e);
    l->act_bytes = 0;
    return rc;
}

/* nn.Linear's default: weights and bias uniform in +-1/sqrt(fan_in), fan_in = inputs. */
static void logreg_init(const tg_net_spec *s, const tg_net_layout *l, float *params,
                        uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed, 0x4c4f4752, 0); /* "LOGR" */
    const double bound = 1.0 / sqrt((double)(s->steps * s->cities));
    for (size_t i = 0; i < l->n_params; i++)
        params[i] = (float)((2.0 * tg_rng_uniform(&r) - 1.0) * bound);
}

/* Nothing to keep between forward and backward: *acts stays NULL. */
static tg_code logreg_acts_alloc(const tg_net_spec *s, int32_t max_batch, void **acts,
                                 tg_error *e)
{
    (void)s, (void)max_batch, (void)e;
    *acts = NULL;
    return TG_OK;
}

static void logreg_acts_free(void *acts)
{
    (void)acts;
}

static void logreg_forward(const tg_net_spec *s, const float *params, const tg_csr_batch *x,
                           void *acts, float *logits)
{
    (void)acts;
    const int64_t G = s->genres;
    const float *W = params, *bias = params + (size_t)(s->steps * s->cities) * (size_t)G;
    for (int32_t b = 0; b < x->rows; b++) {
        float *out = logits + (size_t)b * G;
        memcpy(out, bias, (size_t)G * sizeof(float));
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            cblas_saxpy((int)G, x->values[k], W + (size_t)x->indices[k] * G, 1, out, 1);
    }
}

/* dW[j, :] += x[b, j] dlogits[b, :] for the batch's non-zeros; db += sum_b dlogits[b, :] */
static void logreg_backward(const tg_net_spec *s, const float *params, float *grads,
                            const tg_csr_batch *x, void *acts, const float *dlogits)
{
    (void)params, (void)acts;
    const int64_t G = s->genres;
    float *dW = grads, *db = grads + (size_t)(s->steps * s->cities) * (size_t)G;
    for (int32_t b = 0; b < x->rows; b++) {
        const float *d = dlogits + (size_t)b * G;
        cblas_saxpy((int)G, 1.0f, d, 1, db, 1);
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            cblas_saxpy((int)G, x->values[k], d, 1, dW + (size_t)x->indices[k] * G, 1);
    }
}

/* Only the batch's W rows and b can be non-zero after backward on x: W is steps x
 * cities x genres (26 M floats at nbSteps 358), too large to clear every step. */
static void logreg_zero_grad(const tg_net_spec *s, float *grads, const tg_csr_batch *x)
{
    const int64_t G = s->genres;
    const size_t nW = (size_t)(s->steps * s->cities) * (size_t)G;
    if (x == NULL) {
        memset(grads, 0, (nW + (size_t)G) * sizeof(float));
        return;
    }
    for (int32_t b = 0; b < x->rows; b++)
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            memset(grads + (size_t)x->indices[k] * G, 0, (size_t)G * sizeof(float));
    memset(grads + nW, 0, (size_t)G * sizeof(float));
}

const tg_cpu_model tg_cpu_logreg = {
    .layout = logreg_layout, .init = logreg_init, .acts_alloc = logreg_acts_alloc,
    .acts_free = logreg_acts_free, .forward = logreg_forward, .backward = logreg_backward,
    .zero_grad = logreg_zero_grad,
};
