/* net_cpu.c - the CPU backend of net.h: a CPU model's passes over host blocks, and
 * Adam split over threads (each parameter's update is independent, so any split gives
 * the same bits as one thread). */
#include "net.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const tg_cpu_model *model;
    float *params, *grads, *m, *v;
    void *acts;
} cpu_net;

static tg_code cpu_forward(tg_net *n, const tg_csr_batch *x, float *logits, tg_error *e)
{
    cpu_net *c = n->impl;
    if (x->rows > n->max_batch)
        return tg_fail(e, TG_ERR_USAGE, "batch of %d rows for a net of %d", x->rows,
                       n->max_batch);
    c->model->forward(&n->spec, c->params, x, c->acts, logits);
    return TG_OK;
}

static tg_code cpu_backward(tg_net *n, const tg_csr_batch *x, const float *dlogits, tg_error *e)
{
    (void)e;
    cpu_net *c = n->impl;
    c->model->backward(&n->spec, c->params, c->grads, x, c->acts, dlogits);
    return TG_OK;
}

typedef struct {
    const tg_adam *opt;
    int64_t t;
    float *p, *m, *v;
    const float *g;
    size_t n;
} adam_part;

static void *adam_thread(void *arg)
{
    adam_part *a = arg;
    tg_adam_step(a->opt, a->t, a->p, a->g, a->m, a->v, a->n);
    return NULL;
}

/* Below this many parameters a thread costs more than it saves. */
#define ADAM_SPLIT_MIN (1u << 20)
#define ADAM_MAX_THREADS 64

static tg_code cpu_update(tg_net *n, const tg_adam *opt, const tg_csr_batch *x, tg_error *e)
{
    cpu_net *c = n->impl;
    const size_t N = n->layout.n_params;
    int T = n->threads < ADAM_MAX_THREADS ? n->threads : ADAM_MAX_THREADS;
    if (N < ADAM_SPLIT_MIN)
        T = 1;
    int64_t t = ++n->step;
    adam_part parts[ADAM_MAX_THREADS];
    pthread_t tid[ADAM_MAX_THREADS];
    int running[ADAM_MAX_THREADS] = {0};
    /* 16-float boundaries keep every part's vector loop aligned as one thread's would */
    size_t per = (N / (size_t)T + 15) & ~(size_t)15;
    for (int k = 0; k < T; k++) {
        size_t lo = (size_t)k * per < N ? (size_t)k * per : N;
        size_t hi = lo + per < N ? lo + per : N;
        parts[k] = (adam_part){opt, t, c->params + lo, c->m + lo, c->v + lo, c->grads + lo,
                               hi - lo};
    }
    /* Part 0 runs here, and so does a part whose thread could not start: the result is
     * the same, only slower. */
    for (int k = 1; k < T; k++)
        running[k] = pthread_create(&tid[k], NULL, adam_thread, &parts[k]) == 0;
    adam_thread(&parts[0]);
    for (int k = 1; k < T; k++) {
        if (running[k])
            pthread_join(tid[k], NULL); /* cannot fail: a joinable thread of ours */
        else
            adam_thread(&parts[k]);
    }
    (void)e;
    if (x == NULL)
        memset(c->grads, 0, N * sizeof(float));
    else
        c->model->zero_grad(&n->spec, c->grads, x);
    return TG_OK;
}

static tg_code cpu_get_grads(tg_net *n, float *grads, tg_error *e)
{
    (void)e;
    cpu_net *c = n->impl;
    memcpy(grads, c->grads, n->layout.n_params * sizeof(float));
    return TG_OK;
}

static tg_code cpu_set_grads(tg_net *n, const float *grads, tg_error *e)
{
    (void)e;
    cpu_net *c = n->impl;
    memcpy(c->grads, grads, n->layout.n_params * sizeof(float));
    return TG_OK;
}

static tg_code cpu_get_state(tg_net *n, float *params, float *m, float *v, tg_error *e)
{
    (void)e;
    cpu_net *c = n->impl;
    size_t bytes = n->layout.n_params * sizeof(float);
    if (params)
        memcpy(params, c->params, bytes);
    if (m)
        memcpy(m, c->m, bytes);
    if (v)
        memcpy(v, c->v, bytes);
    return TG_OK;
}

static tg_code cpu_set_state(tg_net *n, const float *params, const float *m, const float *v,
                             tg_error *e)
{
    (void)e;
    cpu_net *c = n->impl;
    size_t bytes = n->layout.n_params * sizeof(float);
    if (params)
        memcpy(c->params, params, bytes);
    if (m)
        memcpy(c->m, m, bytes);
    if (v)
        memcpy(c->v, v, bytes);
    return TG_OK;
}

static void cpu_destroy(tg_net *n)
{
    cpu_net *c = n->impl;
    if (c == NULL)
        return;
    if (c->acts)
        c->model->acts_free(c->acts);
    free(c->params), free(c->grads), free(c->m), free(c->v);
    free(c);
    n->impl = NULL;
}

static const tg_net_ops cpu_ops = {
    .forward = cpu_forward, .backward = cpu_backward, .update = cpu_update,
    .get_grads = cpu_get_grads, .set_grads = cpu_set_grads,
    .get_state = cpu_get_state, .set_state = cpu_set_state, .destroy = cpu_destroy,
};

tg_code tg_net_cpu_create(tg_net *n, const tg_cpu_model *model, uint64_t seed, tg_error *e)
{
    const size_t N = n->layout.n_params;
    cpu_net *c = calloc(1, sizeof *c);
    if (c == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    c->model = model;
    n->impl = c;
    n->ops = &cpu_ops;
    c->params = malloc(N * sizeof(float));
    c->grads = calloc(N, sizeof(float));
    c->m = calloc(N, sizeof(float));
    c->v = calloc(N, sizeof(float));
    tg_code rc = TG_OK;
    if (!c->params || !c->grads || !c->m || !c->v)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory for a model of %zu parameters "
                     "(%.1f MB with gradients and Adam state)", N, 16.0 * (double)N / 1e6);
    if (rc == TG_OK)
        rc = model->acts_alloc(&n->spec, n->max_batch, &c->acts, e);
    if (rc != TG_OK) {
        cpu_destroy(n);
        n->ops = NULL;
        return rc;
    }
    model->init(&n->spec, &n->layout, c->params, seed);
    return TG_OK;
}

int tg_net_cpu_state(tg_net *n, const float **params, const float **m, const float **v)
{
    if (n->backend != TG_BACKEND_CPU)
        return 0;
    const cpu_net *c = n->impl;
    *params = c->params, *m = c->m, *v = c->v;
    return 1;
}

float *tg_net_cpu_params(tg_net *n)
{
    return n->backend == TG_BACKEND_CPU ? ((cpu_net *)n->impl)->params : NULL;
}

float *tg_net_cpu_grads(tg_net *n)
{
    return n->backend == TG_BACKEND_CPU ? ((cpu_net *)n->impl)->grads : NULL;
}
