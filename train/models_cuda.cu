/* models_cuda.cu - the models of the CUDA backend (models_cuda.cuh): the MLP over
 * mlp_cuda.h's operations; logreg, cnn and factorized as their executor-generic passes
 * (logreg_cuda.cuh, cnn_cuda.cuh, factorized_cuda.cuh) instantiated on dev_exec. */
#include "models_cuda.cuh"

#include "cnn_cuda.cuh"
#include "factorized_cuda.cuh"
#include "logreg_cuda.cuh"

/* ---- the report's MLP: h_pre, h and dh [B, hidden] */

static size_t mlp_act_floats(const tg_net_spec *s, int32_t max_batch)
{
    return 3 * (size_t)max_batch * (size_t)s->hidden;
}

static tg_mlp_shape mlp_shape(const tg_net_spec *s)
{
    tg_mlp_shape m = {s->steps * s->cities, s->hidden, s->genres};
    return m;
}

static tg_mlp_acts mlp_acts(const tg_net_spec *s, float *acts, int32_t max_batch, float *logits,
                            float *dlogits)
{
    const size_t bh = (size_t)max_batch * (size_t)s->hidden;
    tg_mlp_acts a = {max_batch, acts, acts + bh, logits, dlogits, acts + 2 * bh};
    return a;
}

static tg_code mlp_forward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                           const float *params, const tg_csr_batch *x, const tg_csr_batch *hx,
                           float *acts, int32_t max_batch, float *logits, tg_error *e)
{
    (void)l, (void)hx;
    tg_mlp_shape shape = mlp_shape(s);
    tg_mlp_tensors P;
    tg_mlp_point(&P, (float *)params, &shape);
    tg_mlp_acts a = mlp_acts(s, acts, max_batch, logits, NULL);
    return tg_cuda_mlp_forward(cu, &P, &shape, x, &a, e);
}

static tg_code mlp_backward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                            const float *params, float *grads, const tg_csr_batch *x,
                            const tg_csr_batch *hx, float *acts, int32_t max_batch,
                            const float *dlogits, tg_error *e)
{
    (void)l, (void)hx;
    tg_mlp_shape shape = mlp_shape(s);
    tg_mlp_tensors P, G;
    tg_mlp_point(&P, (float *)params, &shape);
    tg_mlp_point(&G, grads, &shape);
    tg_mlp_acts a = mlp_acts(s, acts, max_batch, NULL, (float *)dlogits);
    return tg_cuda_mlp_backward(cu, &P, &G, &shape, x, &a, e);
}

/* ---- logistic regression: no activations */

static size_t logreg_act_floats(const tg_net_spec *s, int32_t max_batch)
{
    (void)s, (void)max_batch;
    return 0;
}

static tg_code logreg_forward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                              const float *params, const tg_csr_batch *x,
                              const tg_csr_batch *hx, float *acts, int32_t max_batch,
                              float *logits, tg_error *e)
{
    (void)hx, (void)acts, (void)max_batch;
    dev_exec dx = {cu, e};
    return logreg_cuda_forward(dx, s, l, params, x, logits);
}

static tg_code logreg_backward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                               const float *params, float *grads, const tg_csr_batch *x,
                               const tg_csr_batch *hx, float *acts, int32_t max_batch,
                               const float *dlogits, tg_error *e)
{
    (void)params, (void)hx, (void)acts, (void)max_batch;
    dev_exec dx = {cu, e};
    return logreg_cuda_backward(dx, s, l, grads, x, dlogits);
}

/* ---- factorized */

static size_t fact_act_floats(const tg_net_spec *s, int32_t max_batch)
{
    fact_cuda_acts a;
    return fact_cuda_point(s, (size_t)max_batch, NULL, &a);
}

static tg_code fact_forward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                            const float *params, const tg_csr_batch *x, const tg_csr_batch *hx,
                            float *acts, int32_t max_batch, float *logits, tg_error *e)
{
    (void)hx;
    dev_exec dx = {cu, e};
    fact_cuda_acts a;
    fact_cuda_point(s, (size_t)max_batch, acts, &a);
    return fact_cuda_forward(dx, s, l, params, x, &a, logits);
}

static tg_code fact_backward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                             const float *params, float *grads, const tg_csr_batch *x,
                             const tg_csr_batch *hx, float *acts, int32_t max_batch,
                             const float *dlogits, tg_error *e)
{
    (void)hx;
    dev_exec dx = {cu, e};
    fact_cuda_acts a;
    fact_cuda_point(s, (size_t)max_batch, acts, &a);
    return fact_cuda_backward(dx, s, l, params, grads, x, &a, dlogits);
}

/* ---- the report's CNN, at the report's geometry for the spec's plane (net_cnn.c) */

/* The layout was made from the same spec, so the geometry is valid here. */
static tg_cnn_geom cnn_geom(const tg_net_spec *s)
{
    tg_cnn_geom g;
    tg_error e;
    tg_cnn_geom_report(&g, s);
    (void)tg_cnn_geom_init(&g, &e);
    return g;
}

static size_t cnn_act_floats(const tg_net_spec *s, int32_t max_batch)
{
    const tg_cnn_geom g = cnn_geom(s);
    cnn_cuda_acts a;
    return cnn_cuda_point(&g, (size_t)max_batch, NULL, &a);
}

static tg_code cnn_forward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                           const float *params, const tg_csr_batch *x, const tg_csr_batch *hx,
                           float *acts, int32_t max_batch, float *logits, tg_error *e)
{
    dev_exec dx = {cu, e};
    const tg_cnn_geom g = cnn_geom(s);
    cnn_cuda_acts a;
    cnn_cuda_point(&g, (size_t)max_batch, acts, &a);
    return cnn_cuda_forward(dx, &g, l, params, x, hx, &a, logits);
}

static tg_code cnn_backward(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                            const float *params, float *grads, const tg_csr_batch *x,
                            const tg_csr_batch *hx, float *acts, int32_t max_batch,
                            const float *dlogits, tg_error *e)
{
    dev_exec dx = {cu, e};
    const tg_cnn_geom g = cnn_geom(s);
    cnn_cuda_acts a;
    cnn_cuda_point(&g, (size_t)max_batch, acts, &a);
    return cnn_cuda_backward(dx, &g, l, params, grads, x, hx, &a, dlogits);
}

static const tg_cuda_model cuda_mlp = {mlp_act_floats, mlp_forward, mlp_backward};
static const tg_cuda_model cuda_logreg = {logreg_act_floats, logreg_forward, logreg_backward};
static const tg_cuda_model cuda_cnn = {cnn_act_floats, cnn_forward, cnn_backward};
static const tg_cuda_model cuda_factorized = {fact_act_floats, fact_forward, fact_backward};

const tg_cuda_model *tg_cuda_model_of(tg_net_kind kind)
{
    switch (kind) {
    case TG_NET_MLP:
        return &cuda_mlp;
    case TG_NET_LOGREG:
        return &cuda_logreg;
    case TG_NET_CNN:
        return &cuda_cnn;
    case TG_NET_FACTORIZED:
        return &cuda_factorized;
    }
    return NULL;
}
