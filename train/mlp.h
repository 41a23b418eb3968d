/* mlp.h - the report's multi-label MLP (inputs -> hidden, ReLU -> genre logits) and the
 * CPU reference of every operation training needs. This file defines the semantics,
 * which follow PyTorch's so results can be checked against it (nn.Linear, ReLU,
 * BCEWithLogitsLoss, torch.optim.Adam); a GPU backend must implement the same entries. */
#ifndef TG_TRAIN_MLP_H
#define TG_TRAIN_MLP_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t inputs;   /* steps x cities */
    int64_t hidden;
    int64_t genres;
} tg_mlp_shape;

/* Pointers into one float32 block holding every parameter in this order, so that the
 * optimiser is one loop and a device copy one call. Gradients and Adam's two moments
 * use blocks of the same layout (llm.c's habit). */
typedef struct {
    float *W1; /* [inputs, hidden] (row j: what input j adds to each hidden unit) */
    float *b1; /* [hidden] */
    float *W2; /* [hidden, genres] */
    float *b2; /* [genres] */
} tg_mlp_tensors;

/* Number of floats in a parameter block. */
size_t tg_mlp_param_count(const tg_mlp_shape *s);

/* Points t into block (tg_mlp_param_count floats). */
void tg_mlp_point(tg_mlp_tensors *t, float *block, const tg_mlp_shape *s);

/* A batch of B input rows in CSR form: row b owns entries indptr[b] .. indptr[b+1]-1,
 * with column indices[k] < inputs (unique within a row) and value values[k]. */
typedef struct {
    int32_t rows;
    const int64_t *indptr;   /* [rows + 1] */
    const int32_t *indices;  /* [nnz] */
    const float *values;     /* [nnz] */
} tg_csr_batch;

/* Activations and their gradients for batches of up to max_batch rows. */
typedef struct {
    int32_t max_batch;
    float *h_pre;    /* [B, hidden] before ReLU */
    float *h;        /* [B, hidden] after ReLU */
    float *logits;   /* [B, genres] */
    float *dlogits;  /* [B, genres] d loss / d logits */
    float *dh;       /* [B, hidden] d loss / d h_pre */
} tg_mlp_acts;

/* Allocates a's buffers. On failure a holds nothing and needs no free. */
tg_code tg_mlp_acts_alloc(tg_mlp_acts *a, const tg_mlp_shape *s, int32_t max_batch, tg_error *e);
void tg_mlp_acts_free(tg_mlp_acts *a);

/* nn.Linear's default initialisation for both layers: weights and biases uniform in
 * [-1/sqrt(fan_in), 1/sqrt(fan_in)] (kaiming_uniform with a = sqrt(5)), drawn from a
 * generator seeded by seed. Not bit-equal to PyTorch's generator. */
void tg_mlp_init(const tg_mlp_tensors *p, const tg_mlp_shape *s, uint64_t seed);

/* Forward pass: h_pre = X W1 + b1, h = relu(h_pre), logits = h W2 + b2.
 * x->rows must be <= a->max_batch. */
void tg_mlp_forward(const tg_mlp_tensors *p, const tg_mlp_shape *s, const tg_csr_batch *x,
                    tg_mlp_acts *a);

/* BCEWithLogitsLoss, mean over the B x G elements, stable for logits of any size:
 *   l = (1 - y) x + (1 + (pw - 1) y) (log1p(exp(-|x|)) + max(-x, 0))
 * pos_weight [G] (NULL: all 1) as PyTorch's pos_weight; sample_weight [B] (NULL: all 1)
 * multiplies every element of its row, as PyTorch's weight broadcast over rows.
 * Writes d loss / d logits into dlogits [B, G] when it is not NULL. Returns the loss. */
double tg_mlp_bce(const float *logits, const uint8_t *y, int32_t B, int64_t G,
                  const float *pos_weight, const float *sample_weight, float *dlogits);

/* Backward pass from a->dlogits (set by tg_mlp_bce) through the activations of the last
 * tg_mlp_forward on the same batch. Adds into g (the caller zeroes it between steps;
 * only the W1 rows of the batch's columns are touched, see tg_mlp_zero_grad). */
void tg_mlp_backward(const tg_mlp_tensors *p, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                     const tg_csr_batch *x, tg_mlp_acts *a);

/* Zeroes a gradient block after a step on batch x: b1, W2, b2 whole, and of W1 only the
 * rows that x touched, since the others are still zero (W1 is 210 M floats at the
 * report's nbSteps 28: a full memset per step would cost more than the step). */
void tg_mlp_zero_grad(const tg_mlp_tensors *g, const tg_mlp_shape *s, const tg_csr_batch *x);

/* Hyper-parameters in double, as PyTorch holds them (Python floats): 1 - beta1 is then
 * computed as PyTorch computes it before it becomes a float32 scalar. */
typedef struct {
    double lr, beta1, beta2, eps; /* torch.optim.Adam defaults: 1e-3, 0.9, 0.999, 1e-8 */
} tg_adam;

/* One torch.optim.Adam step (no weight decay, no amsgrad) over n parameters, step t >= 1:
 *   m = m + (1 - b1) (g - m);  v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * in PyTorch's order of float operations. Every parameter moves, even with a zero
 * gradient, as PyTorch's dense Adam does. On x86, values below FLT_MIN (denormals) are
 * read and written as zero during the step, as with torch.set_flush_denormal(True):
 * moments that decay into that range would otherwise slow every later step. */
void tg_adam_step(const tg_adam *opt, int64_t t, float *param, const float *grad, float *m,
                  float *v, size_t n);

#endif
