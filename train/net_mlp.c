/* net_mlp.c - the report's MLP as a CPU model of net.h: the layout W1, b1, W2, b2 that
 * DESIGN.md fixes, over the reference operations of mlp_cpu.c. */
#include "net.h"

#include <stdlib.h>
#include <string.h>

static tg_mlp_shape shape_of(const tg_net_spec *s)
{
    tg_mlp_shape m = {.inputs = s->steps * s->cities, .hidden = s->hidden, .genres = s->genres};
    return m;
}

static tg_code mlp_layout(const tg_net_spec *s, int32_t batch, tg_net_layout *l, tg_error *e)
{
    if (s->hidden < 1)
        return tg_fail(e, TG_ERR_USAGE, "the MLP needs --hidden >= 1");
    tg_mlp_shape m = shape_of(s);
    int64_t w1[2] = {m.inputs, m.hidden}, w2[2] = {m.hidden, m.genres};
    tg_code rc = tg_net_layout_add(l, "W1", 2, w1, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b1", 1, &m.hidden, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "W2", 2, w2, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b2", 1, &m.genres, e);
    l->act_bytes = (uint64_t)batch * (uint64_t)(3 * m.hidden + 2 * m.genres) * sizeof(float);
    return rc;
}

static void mlp_init(const tg_net_spec *s, const tg_net_layout *l, float *params, uint64_t seed)
{
    (void)l;
    tg_mlp_shape m = shape_of(s);
    tg_mlp_tensors p;
    tg_mlp_point(&p, params, &m);
    tg_mlp_init(&p, &m, seed);
}

static tg_code mlp_acts_alloc(const tg_net_spec *s, int32_t max_batch, void **acts, tg_error *e)
{
    tg_mlp_acts *a = malloc(sizeof *a);
    if (a == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    tg_mlp_shape m = shape_of(s);
    tg_code rc = tg_mlp_acts_alloc(a, &m, max_batch, e);
    if (rc != TG_OK) {
        free(a);
        return rc;
    }
    *acts = a;
    return TG_OK;
}

static void mlp_acts_free(void *acts)
{
    tg_mlp_acts_free(acts);
    free(acts);
}

static void mlp_forward(const tg_net_spec *s, const float *params, const tg_csr_batch *x,
                        void *acts, float *logits)
{
    tg_mlp_shape m = shape_of(s);
    tg_mlp_tensors p;
    tg_mlp_point(&p, (float *)params, &m);
    tg_mlp_acts *a = acts;
    tg_mlp_forward(&p, &m, x, a);
    memcpy(logits, a->logits, (size_t)x->rows * (size_t)m.genres * sizeof(float));
}

static void mlp_backward(const tg_net_spec *s, const float *params, float *grads,
                         const tg_csr_batch *x, void *acts, const float *dlogits)
{
    tg_mlp_shape m = shape_of(s);
    tg_mlp_tensors p, g;
    tg_mlp_point(&p, (float *)params, &m);
    tg_mlp_point(&g, grads, &m);
    tg_mlp_acts *a = acts;
    memcpy(a->dlogits, dlogits, (size_t)x->rows * (size_t)m.genres * sizeof(float));
    tg_mlp_backward(&p, &g, &m, x, a);
}

static void mlp_zero_grad(const tg_net_spec *s, float *grads, const tg_csr_batch *x)
{
    tg_mlp_shape m = shape_of(s);
    tg_mlp_tensors g;
    tg_mlp_point(&g, grads, &m);
    tg_mlp_zero_grad(&g, &m, x);
}

const tg_cpu_model tg_cpu_mlp = {
    .layout = mlp_layout, .init = mlp_init, .acts_alloc = mlp_acts_alloc,
    .acts_free = mlp_acts_free, .forward = mlp_forward, .backward = mlp_backward,
    .zero_grad = mlp_zero_grad,
};
