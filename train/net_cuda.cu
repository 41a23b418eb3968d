/* net_cuda.cu - the CUDA backend of net.h: the same entries as net_cpu.c, in its order,
 * for every model (models_cuda.cuh has their passes; the CPU models define what they
 * compute).
 *
 * Where things live. The four blocks (parameters, gradients, Adam's m and v, in net.h's
 * layout) and the activations are on the device for the net's life. Parameters are
 * initialised on the host by the CPU model's init, so a seed gives the same initial bits
 * on both backends, then copied once. The trainer only hands over host CSR batches and
 * host logits / dlogits, which cross through pinned staging buffers.
 *
 * Streams and what overlaps. Kernels and cuBLAS run on the compute stream (mlp_cuda's);
 * batches go host -> device on a separate copy stream, into one of two slots used in
 * turn, ordered by events: the compute stream waits for the slot's `copied` event before
 * the forward pass reads it, and the copy stream waits for the slot's `consumed` event
 * (recorded after the last kernel that reads it) before overwriting it. The trainer calls
 * forward, backward and update one after the other, and forward must return the logits,
 * so forward ends with a synchronisation; backward and update only queue work and return.
 * What overlaps, then, is:
 *   - the GPU running step t's backward and Adam while the CPU takes batch t+1 from the
 *     loader, checks it and stages it into pinned memory;
 *   - batch t+1's host -> device copy (copy stream) with the tail of step t's backward and
 *     Adam (compute stream), which is what the second slot is for;
 * and not: the next forward with anything, since the trainer needs its logits to compute
 * the loss on the host. The loader's ring slots are ordinary host memory, so each batch
 * costs one host memcpy into the pinned slot (a batch is at most a few MB; W1's Adam pass
 * is 6.7 GB of traffic at the report's nbSteps 28).
 * A consequence: an error in a queued kernel of backward or update surfaces at the next
 * call that synchronises (forward, or any copy back), still naming the failed call. */
#include "models_cuda.cuh"

extern "C" {
#include "display.h"
#include "net.h"
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One batch slot: the CSR arrays in pinned host memory and their device twins. */
typedef struct {
    int64_t *h_indptr, *d_indptr;   /* [max_batch + 1] */
    int32_t *h_indices, *d_indices; /* [cap_nnz] */
    float *h_values, *d_values;     /* [cap_nnz] */
    int64_t cap_nnz;
    int32_t rows;                   /* of the batch it holds */
    cudaEvent_t copied;             /* copy stream: its host -> device copy is done */
    cudaEvent_t consumed;           /* compute stream: the last kernel reading it is done */
} batch_slot;

typedef struct {
    tg_cuda *cu;
    cudaStream_t copy;
    const tg_cuda_model *model;
    float *params, *grads, *m, *v; /* device blocks [n_params] */
    float *acts;                   /* the model's device activations (NULL: none) */
    float *logits, *dlogits;       /* device [max_batch, genres] */
    batch_slot slot[2];
    int cur;                       /* the slot of the last forward (backward reads it) */
    float *h_logits, *h_dlogits;   /* pinned [max_batch, genres] */
    cudaEvent_t dlogits_copied;    /* h_dlogits may be overwritten once this is done */
} cuda_net;

/* Batch entries a slot holds before it grows (per row of max_batch): growing costs a
 * synchronisation and a reallocation, so it starts generous. */
#define NNZ_PER_ROW 4096
/* What the CUDA context and cuBLAS's workspace take beyond our allocations. */
#define DEVICE_MARGIN ((uint64_t)64 << 20)

/* The first layer's forward chosen by TG_CUDA_FIRST_LAYER (csr, the default, or dense):
 * an environment variable rather than an option because it is a measurement knob
 * (bench/train_gpu_bench.sh), to be removed once a GPU has decided (mlp_cuda.h). */
static tg_code first_layer_choice(tg_cuda_first_layer *how, tg_error *e)
{
    const char *s = getenv("TG_CUDA_FIRST_LAYER");
    *how = TG_CUDA_FIRST_CSR;
    if (s == NULL || *s == '\0')
        return TG_OK;
    for (int k = 0; tg_cuda_first_layer_names[k]; k++)
        if (strcmp(s, tg_cuda_first_layer_names[k]) == 0) {
            *how = (tg_cuda_first_layer)k;
            return TG_OK;
        }
    return tg_fail(e, TG_ERR_USAGE, "TG_CUDA_FIRST_LAYER=%s: expected csr or dense", s);
}

static uint64_t slot_bytes(int32_t max_batch, int64_t cap_nnz)
{
    return ((uint64_t)max_batch + 1) * sizeof(int64_t) +
           (uint64_t)cap_nnz * (sizeof(int32_t) + sizeof(float));
}

/* The four blocks, the model's activations, logits and dlogits, two batch slots and the
 * MLP's dense tile (TG_CUDA_FIRST_LAYER=dense); the CPU layout's act_bytes are not used. */
extern "C" uint64_t tg_cuda_module_bytes(const tg_net_spec *s, const tg_net_layout *l,
                                      int32_t max_batch)
{
    const tg_cuda_model *model = tg_cuda_model_of(s->kind);
    tg_cuda_first_layer how;
    if (s->kind != TG_NET_MLP || first_layer_choice(&how, NULL) != TG_OK)
        how = TG_CUDA_FIRST_CSR;
    uint64_t tile = how == TG_CUDA_FIRST_DENSE
                        ? (uint64_t)max_batch * (uint64_t)(s->steps * s->cities) * sizeof(float)
                        : 0;
    uint64_t acts = model ? model->act_floats(s, max_batch) : 0;
    acts += 2 * (uint64_t)max_batch * (uint64_t)s->genres;
    return 4 * (uint64_t)l->n_params * sizeof(float) + acts * sizeof(float) +
           2 * slot_bytes(max_batch, (int64_t)max_batch * NNZ_PER_ROW) + tile;
}

extern "C" int tg_cuda_module_probe(void)
{
    int n = 0;
    /* without a driver this returns cudaErrorInsufficientDriver or cudaErrorNoDevice:
     * no crash, and the error is not sticky */
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n > 0;
}


/* (Re)allocates slot s for cap_nnz entries, after the work that uses it is done. */
static tg_code slot_grow(batch_slot *s, int64_t cap_nnz, tg_error *e)
{
    CUDA_TRY(cudaEventSynchronize(s->copied));
    CUDA_TRY(cudaEventSynchronize(s->consumed));
    if (s->h_indices)
        CUDA_TRY(cudaFreeHost(s->h_indices));
    if (s->h_values)
        CUDA_TRY(cudaFreeHost(s->h_values));
    if (s->d_indices)
        CUDA_TRY(cudaFree(s->d_indices));
    if (s->d_values)
        CUDA_TRY(cudaFree(s->d_values));
    s->h_indices = s->d_indices = NULL;
    s->h_values = s->d_values = NULL;
    s->cap_nnz = 0;
    size_t bytes = (size_t)cap_nnz * 4;
    CUDA_TRY(cudaHostAlloc((void **)&s->h_indices, bytes, cudaHostAllocDefault));
    CUDA_TRY(cudaHostAlloc((void **)&s->h_values, bytes, cudaHostAllocDefault));
    CUDA_TRY(cudaMalloc((void **)&s->d_indices, bytes));
    CUDA_TRY(cudaMalloc((void **)&s->d_values, bytes));
    s->cap_nnz = cap_nnz;
    return TG_OK;
}

static tg_code cuda_forward(tg_net *n, const tg_csr_batch *x, float *logits, tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    if (x->rows > n->max_batch || x->rows < 0)
        return tg_fail(e, TG_ERR_USAGE, "batch of %d rows for a net of %d", x->rows,
                       n->max_batch);
    const int32_t B = x->rows;
    const size_t BG = (size_t)B * (size_t)n->spec.genres;
    const int k = c->cur ^ 1;
    batch_slot *s = &c->slot[k];
    const int64_t base = x->indptr[0], nnz = x->indptr[B] - base;
    /* the pinned slot: its previous copy (two batches ago) must be over */
    CUDA_TRY(cudaEventSynchronize(s->copied));
    if (nnz > s->cap_nnz) {
        int64_t cap = s->cap_nnz ? s->cap_nnz : 4096;
        while (cap < nnz)
            cap *= 2;
        tg_code rc = slot_grow(s, cap, e);
        if (rc != TG_OK)
            return rc;
    }
    for (int32_t b = 0; b <= B; b++)
        s->h_indptr[b] = x->indptr[b] - base;
    memcpy(s->h_indices, x->indices + base, (size_t)nnz * sizeof(int32_t));
    memcpy(s->h_values, x->values + base, (size_t)nnz * sizeof(float));
    /* the device slot: the kernels that read it two batches ago must be done */
    CUDA_TRY(cudaStreamWaitEvent(c->copy, s->consumed, 0));
    CUDA_TRY(cudaMemcpyAsync(s->d_indptr, s->h_indptr, ((size_t)B + 1) * sizeof(int64_t),
                             cudaMemcpyHostToDevice, c->copy));
    if (nnz > 0) {
        CUDA_TRY(cudaMemcpyAsync(s->d_indices, s->h_indices, (size_t)nnz * sizeof(int32_t),
                                 cudaMemcpyHostToDevice, c->copy));
        CUDA_TRY(cudaMemcpyAsync(s->d_values, s->h_values, (size_t)nnz * sizeof(float),
                                 cudaMemcpyHostToDevice, c->copy));
    }
    CUDA_TRY(cudaEventRecord(s->copied, c->copy));
    CUDA_TRY(cudaStreamWaitEvent(c->cu->stream, s->copied, 0));
    s->rows = B;
    c->cur = k;
    tg_csr_batch xd = {B, s->d_indptr, s->d_indices, s->d_values};
    tg_code rc = c->model->forward(c->cu, &n->spec, &n->layout, c->params, &xd, x, c->acts,
                                   n->max_batch, c->logits, e);
    if (rc != TG_OK)
        return rc;
    if (BG > 0)
        CUDA_TRY(cudaMemcpyAsync(c->h_logits, c->logits, BG * sizeof(float),
                                 cudaMemcpyDeviceToHost, c->cu->stream));
    CUDA_TRY(cudaEventRecord(s->consumed, c->cu->stream)); /* backward records it again */
    CUDA_TRY(cudaStreamSynchronize(c->cu->stream));
    memcpy(logits, c->h_logits, BG * sizeof(float));
    return TG_OK;
}

static tg_code cuda_backward(tg_net *n, const tg_csr_batch *x, const float *dlogits, tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    batch_slot *s = &c->slot[c->cur];
    if (x->rows != s->rows)
        return tg_fail(e, TG_ERR_USAGE, "backward on %d rows after a forward on %d",
                       x->rows, s->rows);
    const size_t BG = (size_t)x->rows * (size_t)n->spec.genres;
    CUDA_TRY(cudaEventSynchronize(c->dlogits_copied));
    memcpy(c->h_dlogits, dlogits, BG * sizeof(float));
    if (BG > 0)
        CUDA_TRY(cudaMemcpyAsync(c->dlogits, c->h_dlogits, BG * sizeof(float),
                                 cudaMemcpyHostToDevice, c->cu->stream));
    CUDA_TRY(cudaEventRecord(c->dlogits_copied, c->cu->stream));
    tg_csr_batch xd = {x->rows, s->d_indptr, s->d_indices, s->d_values};
    tg_code rc = c->model->backward(c->cu, &n->spec, &n->layout, c->params, c->grads, &xd, x,
                                    c->acts, n->max_batch, c->dlogits, e);
    if (rc != TG_OK)
        return rc;
    CUDA_TRY(cudaEventRecord(s->consumed, c->cu->stream));
    return TG_OK; /* queued: the next forward waits for it */
}

/* One fused kernel: Adam over the whole block, zeroing each gradient as it reads it.
 * Why not net_cpu.c's way (zero only the W1 rows the batch touched): that needs the
 * batch on the device after backward and a second kernel, and it would leave non-zero
 * rows behind after set_grads (MPI's summed gradients touch other ranks' rows). The
 * fused pass costs 4 bytes a parameter more than Adam alone (32 instead of 28). */
static tg_code cuda_update(tg_net *n, const tg_adam *opt, const tg_csr_batch *x, tg_error *e)
{
    (void)x;
    cuda_net *c = (cuda_net *)n->impl;
    int64_t t = ++n->step;
    return tg_cuda_adam_step(c->cu, opt, t, c->params, c->grads, c->m, c->v, n->layout.n_params,
                             1, e);
}

static tg_code cuda_get_grads(tg_net *n, float *grads, tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    return tg_cuda_to_host(c->cu, grads, c->grads, n->layout.n_params * sizeof(float), e);
}

static tg_code cuda_set_grads(tg_net *n, const float *grads, tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    return tg_cuda_to_device(c->cu, c->grads, grads, n->layout.n_params * sizeof(float), e);
}

static tg_code cuda_get_state(tg_net *n, float *params, float *m, float *v, tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    const size_t bytes = n->layout.n_params * sizeof(float);
    tg_code rc = TG_OK;
    if (params)
        rc = tg_cuda_to_host(c->cu, params, c->params, bytes, e);
    if (rc == TG_OK && m)
        rc = tg_cuda_to_host(c->cu, m, c->m, bytes, e);
    if (rc == TG_OK && v)
        rc = tg_cuda_to_host(c->cu, v, c->v, bytes, e);
    return rc;
}

static tg_code cuda_set_state(tg_net *n, const float *params, const float *m, const float *v,
                              tg_error *e)
{
    cuda_net *c = (cuda_net *)n->impl;
    const size_t bytes = n->layout.n_params * sizeof(float);
    tg_code rc = TG_OK;
    if (params)
        rc = tg_cuda_to_device(c->cu, c->params, params, bytes, e);
    if (rc == TG_OK && m)
        rc = tg_cuda_to_device(c->cu, c->m, m, bytes, e);
    if (rc == TG_OK && v)
        rc = tg_cuda_to_device(c->cu, c->v, v, bytes, e);
    return rc;
}

/* Frees what was allocated, in any state of construction. Errors are ignored: nothing
 * more can be done about them while tearing down. */
static void cuda_destroy(tg_net *n)
{
    cuda_net *c = (cuda_net *)n->impl;
    if (c == NULL)
        return;
    if (c->cu)
        (void)cudaStreamSynchronize(c->cu->stream);
    if (c->copy)
        (void)cudaStreamSynchronize(c->copy);
    for (int k = 0; k < 2; k++) {
        batch_slot *s = &c->slot[k];
        cudaFreeHost(s->h_indptr), cudaFreeHost(s->h_indices), cudaFreeHost(s->h_values);
        cudaFree(s->d_indptr), cudaFree(s->d_indices), cudaFree(s->d_values);
        if (s->copied)
            cudaEventDestroy(s->copied);
        if (s->consumed)
            cudaEventDestroy(s->consumed);
    }
    if (c->dlogits_copied)
        cudaEventDestroy(c->dlogits_copied);
    cudaFreeHost(c->h_logits), cudaFreeHost(c->h_dlogits);
    cudaFree(c->acts), cudaFree(c->logits), cudaFree(c->dlogits);
    cudaFree(c->params), cudaFree(c->grads), cudaFree(c->m), cudaFree(c->v);
    if (c->copy)
        cudaStreamDestroy(c->copy);
    tg_cuda_close(c->cu);
    free(c);
    n->impl = NULL;
}

static const tg_net_ops cuda_ops = {
    cuda_forward, cuda_backward, cuda_update, cuda_get_grads, cuda_set_grads,
    cuda_get_state, cuda_set_state, cuda_destroy,
};

/* Refuses a net that does not fit in the device's free memory, naming the sizes. */
static tg_code check_fit(tg_net *n, cuda_net *c, tg_error *e)
{
    size_t free_b = 0, total_b = 0;
    char name[128];
    double bw = 0;
    tg_code rc = tg_cuda_mem_info(c->cu, &free_b, &total_b, e);
    if (rc == TG_OK)
        rc = tg_cuda_device_info(c->cu, name, sizeof name, &bw, e);
    if (rc != TG_OK)
        return rc;
    const uint64_t need = tg_cuda_module_bytes(&n->spec, &n->layout, n->max_batch);
    const uint64_t blocks = 4 * (uint64_t)n->layout.n_params * sizeof(float);
    if (need + DEVICE_MARGIN <= free_b)
        return TG_OK;
    char nb[32], bb[32], rb[32], fb[32], tb[32];
    tg_format_bytes(nb, sizeof nb, (double)need);
    tg_format_bytes(bb, sizeof bb, (double)blocks);
    tg_format_bytes(rb, sizeof rb, (double)(need - blocks));
    tg_format_bytes(fb, sizeof fb, (double)free_b);
    tg_format_bytes(tb, sizeof tb, (double)total_b);
    /* what makes each model large: the MLP's W1 and the logreg's W grow with steps, the
     * cnn's convolutions with steps and its Linear-3 with hidden, the factorized model's
     * activations with the batch's albums x steps */
    char what[96];
    const tg_net_spec *s = &n->spec;
    if (s->kind == TG_NET_MLP || s->kind == TG_NET_CNN)
        snprintf(what, sizeof what, "--steps (now %lld) or --hidden (now %lld)",
                 (long long)s->steps, (long long)s->hidden);
    else if (s->kind == TG_NET_FACTORIZED)
        snprintf(what, sizeof what, "--batch (now %d), --channels (now %lld) or --embed "
                 "(now %lld)", n->max_batch, (long long)s->channels, (long long)s->embed);
    else
        snprintf(what, sizeof what, "--steps (now %lld)", (long long)s->steps);
    return tg_fail(e, TG_ERR_LIMIT,
                   "the %s needs %s on the GPU (parameters, gradients, Adam m and v: "
                   "%s; activations and batch buffers: %s) plus about 64 MB for CUDA and "
                   "cuBLAS, but %s has %s free of %s: lower %s, or use --backend cpu",
                   tg_net_kind_names[s->kind], nb, bb, rb, name, fb, tb, what);
}

/* Allocates c's device and pinned buffers, zeroes gradients and moments and sets the
 * parameters from the CPU model's init. On failure what was allocated stays in c for
 * cuda_destroy. */
static tg_code alloc_all(tg_net *n, cuda_net *c, uint64_t seed, tg_error *e)
{
    const size_t N = n->layout.n_params, bytes = N * sizeof(float);
    const size_t na = c->model->act_floats(&n->spec, n->max_batch);
    const size_t bg = (size_t)n->max_batch * (size_t)n->spec.genres * sizeof(float);
    CUDA_TRY(cudaStreamCreateWithFlags(&c->copy, cudaStreamNonBlocking));
    CUDA_TRY(cudaMalloc((void **)&c->params, bytes));
    CUDA_TRY(cudaMalloc((void **)&c->grads, bytes));
    CUDA_TRY(cudaMalloc((void **)&c->m, bytes));
    CUDA_TRY(cudaMalloc((void **)&c->v, bytes));
    if (na > 0)
        CUDA_TRY(cudaMalloc((void **)&c->acts, na * sizeof(float)));
    CUDA_TRY(cudaMalloc((void **)&c->logits, bg));
    CUDA_TRY(cudaMalloc((void **)&c->dlogits, bg));
    CUDA_TRY(cudaHostAlloc((void **)&c->h_logits, bg, cudaHostAllocDefault));
    CUDA_TRY(cudaHostAlloc((void **)&c->h_dlogits, bg, cudaHostAllocDefault));
    CUDA_TRY(cudaEventCreateWithFlags(&c->dlogits_copied, cudaEventDisableTiming));
    for (int k = 0; k < 2; k++) {
        batch_slot *s = &c->slot[k];
        size_t ptr = ((size_t)n->max_batch + 1) * sizeof(int64_t);
        CUDA_TRY(cudaEventCreateWithFlags(&s->copied, cudaEventDisableTiming));
        CUDA_TRY(cudaEventCreateWithFlags(&s->consumed, cudaEventDisableTiming));
        CUDA_TRY(cudaHostAlloc((void **)&s->h_indptr, ptr, cudaHostAllocDefault));
        CUDA_TRY(cudaMalloc((void **)&s->d_indptr, ptr));
        tg_code r = slot_grow(s, (int64_t)n->max_batch * NNZ_PER_ROW, e);
        if (r != TG_OK)
            return r;
    }
    CUDA_TRY(cudaMemsetAsync(c->grads, 0, bytes, c->cu->stream));
    CUDA_TRY(cudaMemsetAsync(c->m, 0, bytes, c->cu->stream));
    CUDA_TRY(cudaMemsetAsync(c->v, 0, bytes, c->cu->stream));
    /* the CPU model's init on the host: the same bits as --backend cpu */
    float *host = (float *)malloc(bytes);
    if (host == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the %zu initial "
                       "parameters", N);
    tg_cpu_model_of(n->spec.kind)->init(&n->spec, &n->layout, host, seed);
    tg_code r = tg_cuda_to_device(c->cu, c->params, host, bytes, e);
    free(host);
    return r;
}

extern "C" tg_code tg_cuda_module_create(tg_net *n, uint64_t seed, tg_error *e)
{
    const tg_cuda_model *model = tg_cuda_model_of(n->spec.kind);
    if (model == NULL)
        return tg_fail(e, TG_ERR_USAGE, "--backend cuda: model '%s' has no CUDA version yet "
                       "(use --backend cpu)", tg_net_kind_names[n->spec.kind]);
    tg_cuda_first_layer how = TG_CUDA_FIRST_CSR;
    tg_code rc = n->spec.kind == TG_NET_MLP ? first_layer_choice(&how, e) : TG_OK;
    if (rc != TG_OK)
        return rc;
    int devices = 0;
    cudaError_t st = cudaGetDeviceCount(&devices);
    if (st != cudaSuccess || devices < 1) {
        (void)cudaGetLastError();
        return tg_fail(e, TG_ERR_LIBRARY, "--backend cuda: no CUDA device answers (%s)",
                       st != cudaSuccess ? cudaGetErrorString(st) : "none found");
    }
    cuda_net *c = (cuda_net *)calloc(1, sizeof *c);
    if (c == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    n->impl = c;
    c->model = model;
    rc = tg_cuda_open(&c->cu, e);
    if (rc == TG_OK)
        rc = check_fit(n, c, e);
    if (rc == TG_OK && how != TG_CUDA_FIRST_CSR)
        rc = tg_cuda_set_first_layer(c->cu, how, n->max_batch, n->spec.steps * n->spec.cities, e);
    if (rc == TG_OK)
        rc = alloc_all(n, c, seed, e);
    if (rc != TG_OK) {
        cuda_destroy(n);
        return rc;
    }
    n->ops = &cuda_ops;
    return TG_OK;
}
