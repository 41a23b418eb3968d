/* net.h - the models train can fit (the report's MLP and the others of issue 10), behind
 * one interface that the trainer drives and that each backend (CPU, CUDA) implements.
 *
 * A net owns its parameters, gradients and Adam moments (on the host for the CPU
 * backend, on the device for CUDA) as four blocks of one layout: tensors[] says where
 * each named tensor lies in the block, which is also how model.h5 stores them. The
 * trainer only ever sees host-side batches (CSR), logits and their gradients, so a model
 * or a backend is added without touching the epoch loop. */
#ifndef TG_TRAIN_NET_H
#define TG_TRAIN_NET_H

#include "error.h"
#include "mlp.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TG_NET_MLP = 0,      /* the report's: steps x cities -> hidden (ReLU) -> genres */
    TG_NET_LOGREG,       /* one-vs-rest logistic regression: the baseline */
    TG_NET_CNN,          /* the report's CNN (conv, conv, three linear layers) */
    TG_NET_FACTORIZED,   /* city embedding per step, temporal model, pooling */
} tg_net_kind;

extern const char *const tg_net_kind_names[]; /* in enum order, NULL-terminated */

typedef enum { TG_TEMPORAL_CONV = 0, TG_TEMPORAL_GRU } tg_temporal;
extern const char *const tg_temporal_names[]; /* "conv", "gru", NULL */

/* The factorized GRU's pooled features are multiplied by this before the head
 * (net_factorized.c says why); model.h5's config marks such models gru_version=2. */
#define TG_GRU_HEAD_GAIN 10.0f
#define TG_GRU_VERSION 2

/* The factorized conv multiplies each album's input by TG_CONV_INPUT_GAIN log1p(m) / m
 * (net_factorized.c says why) since conv_version 2, which model.h5's config records; a
 * conv model without the key was trained before, or with train --conv-version 1
 * (version 1), and is read without it. */
#define TG_CONV_INPUT_GAIN 10.0f
#define TG_CONV_VERSION 2

typedef enum { TG_BACKEND_CPU = 0, TG_BACKEND_CUDA } tg_backend;

/* What a model is: its kind, the input plane (steps x cities, an album's row being its
 * steps one after the other: column = step * cities + city), the genres, and the
 * hyper-parameters of the kinds that have them (0: the kind's default). */
typedef struct {
    tg_net_kind kind;
    int64_t steps, cities, genres;
    int64_t hidden;       /* mlp: hidden units (0: steps x 100, the report's rule);
                             cnn: Linear-3's outputs (0: 4096, the report's) */
    int64_t embed;        /* factorized: city embedding size d */
    int64_t channels;     /* factorized: temporal channels */
    int64_t kernel;       /* factorized conv: temporal kernel width */
    tg_temporal temporal; /* factorized: conv or gru */
    int conv_version;     /* factorized conv: 1 unscaled input (models before 2026-12-03,
                             or train --conv-version 1), 2 scaled (TG_CONV_VERSION; 0:
                             that, for a new model) */
} tg_net_spec;

#define TG_NET_MAX_TENSORS 16
#define TG_NET_MAX_RANK 4

/* One parameter tensor: a name (as in model.h5), its shape (row-major), and where its
 * floats start in the parameter block. */
typedef struct {
    char name[24];
    int rank;
    int64_t dims[TG_NET_MAX_RANK];
    size_t offset, count;
} tg_net_tensor;

/* The parameters of a spec, without allocating anything: used to size a model before
 * it is built, to refuse one that does not fit, and to check a model.h5. */
typedef struct {
    int n_tensors;
    tg_net_tensor tensors[TG_NET_MAX_TENSORS];
    size_t n_params;     /* floats in the block */
    uint64_t act_bytes;  /* activations and scratch for one batch of the layout's batch */
} tg_net_layout;

/* Fills spec's defaults (hidden = steps x 100, ...) and checks its values. */
tg_code tg_net_spec_resolve(tg_net_spec *spec, tg_error *e);

/* The layout of a resolved spec for batches of up to batch rows. TG_ERR_LIMIT when the
 * parameter count overflows. */
tg_code tg_net_layout_of(const tg_net_spec *spec, int32_t batch, tg_net_layout *l, tg_error *e);

/* Bytes a net of that layout needs: four parameter blocks (parameters, gradients, Adam's
 * m and v) and the activations of a batch. */
uint64_t tg_net_bytes(const tg_net_layout *l);

/* The spec as "key=value\n" lines (model=..., and the kind's hyper-parameters), appended
 * to buf; and back from such text (model.h5's config, see run.c): keys it does not know
 * are ignored, a missing model= means the MLP (files of the first schema), a conv without
 * conv_version= means version 1; a GRU before gru_version 2 or a conv_version this build
 * does not know is TG_ERR_FORMAT. */
int tg_net_spec_text(const tg_net_spec *spec, char *buf, size_t size);
tg_code tg_net_spec_parse(const char *config, tg_net_spec *spec, tg_error *e);

/* The value of a "key=value" line of such text, copied into buf (cut to size), or NULL. */
const char *tg_net_config_value(const char *config, const char *key, char *buf, size_t size);

typedef struct tg_net tg_net;

/* What a backend implements for a model. Every entry returns an error code: a device
 * can fail where the CPU cannot. */
typedef struct {
    /* logits [x->rows, genres], on the host, of batch x (x->rows <= max_batch); keeps
     * what backward needs */
    tg_code (*forward)(tg_net *n, const tg_csr_batch *x, float *logits, tg_error *e);
    /* adds d loss / d parameters into the gradients, from dlogits [x->rows, genres] and
     * the activations of the last forward on the same x */
    tg_code (*backward)(tg_net *n, const tg_csr_batch *x, const float *dlogits, tg_error *e);
    /* one Adam step (step n->step + 1) over every parameter, then zeroes the gradients
     * of batch x (NULL: the whole gradient block, as after a sum over processes) */
    tg_code (*update)(tg_net *n, const tg_adam *opt, const tg_csr_batch *x, tg_error *e);
    /* copies the gradients' block to grads (host), or back from it (for MPI's sum) */
    tg_code (*get_grads)(tg_net *n, float *grads, tg_error *e);
    tg_code (*set_grads)(tg_net *n, const float *grads, tg_error *e);
    /* copies parameters and Adam's moments to the host (any may be NULL), or from it */
    tg_code (*get_state)(tg_net *n, float *params, float *m, float *v, tg_error *e);
    tg_code (*set_state)(tg_net *n, const float *params, const float *m, const float *v,
                         tg_error *e);
    void (*destroy)(tg_net *n);
} tg_net_ops;

struct tg_net {
    const tg_net_ops *ops;
    tg_net_spec spec;
    tg_net_layout layout;
    tg_backend backend;
    int32_t max_batch;
    int threads;      /* for the CPU backend's Adam (OpenBLAS has its own setting) */
    int64_t step;     /* Adam steps taken */
    void *impl;       /* the backend's and model's state */
};

/* Builds a net of spec on backend for batches of up to max_batch rows, with parameters
 * initialised from seed as nn.Linear / nn.Conv / nn.GRU do (uniform in +-1/sqrt(fan_in)),
 * zero gradients and moments. TG_ERR_USAGE when the backend was not built or lacks that
 * model; on failure *out is NULL. */
tg_code tg_net_create(tg_net **out, const tg_net_spec *spec, tg_backend backend,
                      int32_t max_batch, uint64_t seed, int threads, tg_error *e);
void tg_net_destroy(tg_net *n);

/* Whether this build has the CUDA backend and a device answers (--backend auto). */
int tg_net_cuda_available(void);

/* Device bytes a net of that spec and layout needs on the CUDA backend (four blocks,
 * activations, two batch slots, the dense tile when TG_CUDA_FIRST_LAYER=dense), before
 * the ~64 MB that the CUDA context and cuBLAS take; 0 in a build without CUDA. Building
 * the net checks it against the device's free memory (net_cuda.cu). */
uint64_t tg_net_cuda_bytes(const tg_net_spec *spec, const tg_net_layout *l, int32_t max_batch);

static inline tg_code tg_net_forward(tg_net *n, const tg_csr_batch *x, float *logits,
                                     tg_error *e)
{
    return n->ops->forward(n, x, logits, e);
}
static inline tg_code tg_net_backward(tg_net *n, const tg_csr_batch *x, const float *dlogits,
                                      tg_error *e)
{
    return n->ops->backward(n, x, dlogits, e);
}
static inline tg_code tg_net_update(tg_net *n, const tg_adam *opt, const tg_csr_batch *x,
                                    tg_error *e)
{
    return n->ops->update(n, opt, x, e);
}

/* ---- for backends: the CPU models ----
 * A CPU model supplies its layout, initialisation and passes over host blocks; net_cpu.c
 * turns it into a net (blocks, Adam split over threads, state copies). */
typedef struct {
    tg_code (*layout)(const tg_net_spec *s, int32_t batch, tg_net_layout *l, tg_error *e);
    void (*init)(const tg_net_spec *s, const tg_net_layout *l, float *params, uint64_t seed);
    /* activations for batches of up to max_batch rows; *acts is the model's own */
    tg_code (*acts_alloc)(const tg_net_spec *s, int32_t max_batch, void **acts, tg_error *e);
    void (*acts_free)(void *acts);
    void (*forward)(const tg_net_spec *s, const float *params, const tg_csr_batch *x,
                    void *acts, float *logits);
    void (*backward)(const tg_net_spec *s, const float *params, float *grads,
                     const tg_csr_batch *x, void *acts, const float *dlogits);
    /* zeroes what backward on x may have touched (NULL: the whole block) */
    void (*zero_grad)(const tg_net_spec *s, float *grads, const tg_csr_batch *x);
} tg_cpu_model;

/* The CPU model of a kind, or NULL when it is not built. */
const tg_cpu_model *tg_cpu_model_of(tg_net_kind kind);

extern const tg_cpu_model tg_cpu_mlp;
extern const tg_cpu_model tg_cpu_cnn, tg_cpu_logreg, tg_cpu_factorized;

/* Adds a tensor to a layout (helper for the layout entries): TG_ERR_LIMIT on overflow. */
tg_code tg_net_layout_add(tg_net_layout *l, const char *name, int rank, const int64_t *dims,
                          tg_error *e);

/* The net on the CPU backend (net_cpu.c). */
tg_code tg_net_cpu_create(tg_net *n, const tg_cpu_model *model, uint64_t seed, tg_error *e);

/* The CPU backend's parameter and Adam blocks, where they are (to write them without a
 * copy): 1 and the pointers on the CPU backend, 0 on another. */
int tg_net_cpu_state(tg_net *n, const float **params, const float **m, const float **v);

/* Host pointers to the CPU backend's blocks (NULL on another backend): for tests. */
float *tg_net_cpu_params(tg_net *n);
float *tg_net_cpu_grads(tg_net *n);

#endif
