/* cnn.h - the report's CNN (its section 4.c.ii) over the steps x cities plane: its
 * geometry, the layer operations it is made of, and the model over any geometry. */
#ifndef TG_TRAIN_CNN_H
#define TG_TRAIN_CNN_H

#include "net.h"

/* The shapes of one CNN. The report's (tg_cnn_geom_report) is conv 1 -> 6 channels
 * 15 x 15, ReLU, max pool 2, conv 6 -> 16 channels 3 x 3, ReLU, adaptive max pool to
 * 1 x 666, Linear 10,656 -> 4096 -> 128 -> genres; the tests shrink every number.
 * Derived fields are set by tg_cnn_geom_init; net_cnn.c's opening comment says why
 * each shape is what it is. */
typedef struct {
    int64_t steps, cities;   /* the input plane: column = step * cities + city */
    int64_t c1, k1;          /* conv1: 1 -> c1 channels, k1 x k1 kernel (odd) */
    int64_t c2, k2;          /* conv2: c1 -> c2 channels, k2 x k2 kernel (odd) */
    int64_t grid_h, grid_w;  /* the adaptive max pool's output grid */
    int64_t hidden, mid;     /* Linear-3 and Linear-4 outputs */
    int64_t genres;          /* Linear-5 outputs */
    /* derived */
    int64_t width;           /* cities, zero-padded on the right to k1 - 1 + 2 k2 at least */
    int64_t h1, w1;          /* conv1 output: steps (time padded by (k1-1)/2), width - k1 + 1 */
    int64_t h1p, w1p;        /* pool1 output: ceil(h1 / 2), floor(w1 / 2) */
    int64_t h2, w2;          /* conv2 output: h1p (time padded by (k2-1)/2), w1p - k2 + 1 */
    int64_t features;        /* c2 x grid_h x grid_w: Linear-3's inputs */
} tg_cnn_geom;

/* The report's geometry for a spec's plane, genres and hidden (Linear-3's width). */
void tg_cnn_geom_report(tg_cnn_geom *g, const tg_net_spec *s);

/* Checks g's base fields and sets the derived ones. TG_ERR_USAGE for an even or
 * non-positive kernel or a zero size, TG_ERR_LIMIT for a plane too large to index. */
tg_code tg_cnn_geom_init(tg_cnn_geom *g, tg_error *e);

/* ---- layers (exposed for their tests); every plane is row-major [channels, H, W] ---- */

/* conv1 straight from a CSR row (cols[k] = step * cities + city, vals[k]):
 * out [c1, h1, w1] = bias + sum over entries of val x the kernel K [c1, k1, k1] placed
 * where the entry reaches, i.e. PyTorch's Conv2d(1, c1, k1, padding=((k1-1)/2, 0)) of the
 * zero-padded dense plane. */
void tg_cnn_conv1_forward(const tg_cnn_geom *g, const float *K, const float *bias,
                          const int32_t *cols, const float *vals, int64_t nnz, float *out);
/* Adds d loss / d K [c1, k1, k1] from dout [c1, h1, w1] and the same row (the input
 * needs no gradient; the bias's is the sum of dout per channel, left to the caller). */
void tg_cnn_conv1_backward(const tg_cnn_geom *g, const float *dout, const int32_t *cols,
                           const float *vals, int64_t nnz, float *dK);

/* im2col of in [C, H, W] for a k x k kernel, zero padding pad rows above and below and
 * none along W: col [C k k, Ho Wo], Ho = H + 2 pad - k + 1, Wo = W - k + 1. */
void tg_cnn_im2col(const float *in, int64_t C, int64_t H, int64_t W, int64_t k, int64_t pad,
                   float *col);
/* Conv2d(C, Cout, k, padding=(pad, 0)) of in [C, H, W] by im2col + sgemm: out [Cout, Ho,
 * Wo] with K [Cout, C, k, k], bias [Cout]; col is scratch of [C k k, Ho Wo]. */
void tg_cnn_conv_forward(const float *in, int64_t C, int64_t H, int64_t W, const float *K,
                         const float *bias, int64_t Cout, int64_t k, int64_t pad, float *col,
                         float *out);
/* Its backward when d loss / d out is zero but at n cells per channel: dout [Cout, n] at
 * positions pos [Cout, n] in the channel's Ho x Wo plane (a max pool's output and argmax;
 * a position may repeat). Adds d loss / d K, d bias and d in into dK, db and din. */
void tg_cnn_conv_backward_at(const float *in, int64_t C, int64_t H, int64_t W, const float *K,
                             int64_t Cout, int64_t k, int64_t pad, const float *dout,
                             const int32_t *pos, int64_t n, float *dK, float *db, float *din);

/* Max pooling of in [C, H, W] over windows given per axis: output row i takes input rows
 * [rs[i], re[i]), column j columns [cs[j], ce[j]) (windows may overlap). out [C, Ho, Wo],
 * arg [C, Ho, Wo] the index in its channel's H x W plane of the first maximum (PyTorch's
 * choice for ties). */
void tg_cnn_maxpool_forward(const float *in, int64_t C, int64_t H, int64_t W,
                            const int64_t *rs, const int64_t *re, int64_t Ho,
                            const int64_t *cs, const int64_t *ce, int64_t Wo,
                            float *out, int32_t *arg);
/* Adds dout [C, Ho Wo] into din [C, H W] at arg. */
void tg_cnn_maxpool_backward(const float *dout, const int32_t *arg, int64_t C, int64_t HW,
                             int64_t HoWo, float *din);

/* Windows of n_out cells over n_in: pairs (stride 2, width 2; ceil keeps a last single
 * cell, floor drops it, as PyTorch's ceil_mode) and adaptive (PyTorch's
 * AdaptiveMaxPool: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))). */
void tg_cnn_windows_pairs(int64_t n_out, int64_t n_in, int64_t *s, int64_t *e);
void tg_cnn_windows_adaptive(int64_t n_out, int64_t n_in, int64_t *s, int64_t *e);

/* ---- the model over a geometry (the CPU model tg_cpu_cnn uses the report's) ---- */

/* The tensors conv1_w [c1, 1, k1, k1], conv1_b, conv2_w [c2, c1, k2, k2], conv2_b,
 * W3 [features, hidden], b3, W4 [hidden, mid], b4, W5 [mid, genres], b5, and in
 * act_bytes what tg_cnn_acts_alloc takes for batches of batch rows. */
tg_code tg_cnn_layout(const tg_cnn_geom *g, int32_t batch, tg_net_layout *l, tg_error *e);
/* Uniform in +-1/sqrt(fan_in) for every weight and bias (nn.Conv2d's and nn.Linear's
 * defaults), from seed; fan_in: k1 k1, c1 k2 k2, features, hidden, mid. */
void tg_cnn_init(const tg_cnn_geom *g, float *params, uint64_t seed);

typedef struct tg_cnn_acts tg_cnn_acts;
/* Activations and scratch of g for up to max_batch rows (a copy of g is kept). On
 * failure *out is NULL. */
tg_code tg_cnn_acts_alloc(const tg_cnn_geom *g, int32_t max_batch, tg_cnn_acts **out,
                          tg_error *e);
void tg_cnn_acts_free(tg_cnn_acts *a);
/* logits [x->rows, genres] of batch x (x->rows <= max_batch); keeps what backward needs. */
void tg_cnn_forward(tg_cnn_acts *a, const float *params, const tg_csr_batch *x, float *logits);
/* Adds d loss / d parameters into grads from dlogits [x->rows, genres], after a forward
 * on the same x. */
void tg_cnn_backward(tg_cnn_acts *a, const float *params, float *grads, const tg_csr_batch *x,
                     const float *dlogits);

#endif
