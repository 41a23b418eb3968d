/* cnn_cuda.cuh - the report's CNN's passes for the CUDA backend, written once against an
 * executor (cuda_exec.cuh) over any geometry (cnn.h), as net_cnn.c defines them: conv1
 * from the CSR row, ReLU, 2 x 2 max pool, conv2 by im2col + GEMM, ReLU, adaptive max pool,
 * three Linear layers.
 *
 * Albums go through the convolutions one at a time, as on the CPU: a batch keeps only the
 * pooled maps, and one album's conv2 im2col (c1 k2 k2 x h2 w2 floats: 54 x 179 x 1332,
 * 51 MB at nbSteps 358) is the largest activation buffer. Each album's entries are
 * counted on the host (hx) to size its launches. Where the GPU adds in another order than the CPU (so results agree to
 * rounding): conv1's forward scatters each entry's kernel with atomic adds (entries
 * reach shared outputs); conv2's backward from the pooled maxima adds atomically into
 * dK2 and the pool1 gradient; conv1's dK1 sums per weight over the entries (no atomics).
 * Pooling windows are computed in the kernels with tg_cnn_windows_pairs' and
 * tg_cnn_windows_adaptive's formulas. */
#ifndef TG_TRAIN_CNN_CUDA_CUH
#define TG_TRAIN_CNN_CUDA_CUH

#include "cuda_exec.cuh"

extern "C" {
#include "cnn.h"
}

typedef struct {
    /* kept per batch row for backward */
    float *p1;         /* [B, c1, h1p, w1p] pool1 output (after ReLU) */
    int32_t *p1_arg;   /* [B, c1, h1p, w1p] its argmax in conv1's h1 x w1 plane */
    float *flat;       /* [B, features] */
    int32_t *flat_arg; /* [B, features] its argmax in conv2's h2 x w2 plane */
    float *h3, *dh3;   /* [B, hidden] */
    float *h4, *dh4;   /* [B, mid] */
    float *dflat;      /* [B, features] */
    /* one album's scratch */
    float *a1;         /* [c1, h1, w1] conv1's output, then its gradient */
    float *a2;         /* [c2, h2, w2] */
    float *col;        /* [c1 k2 k2, h2 w2] */
    float *dp1;        /* [c1, h1p, w1p] */
} cnn_cuda_acts;

/* Points a into block (NULL: only counts) for batches of up to B rows; returns the
 * floats the block needs (int32 arrays in float slots of the same size). */
static inline size_t cnn_cuda_point(const tg_cnn_geom *g, size_t B, float *block, cnn_cuda_acts *a)
{
    const size_t P1 = (size_t)(g->c1 * g->h1p * g->w1p), F = (size_t)g->features;
    const size_t L2 = (size_t)(g->h2 * g->w2);
    size_t at = 0;
#define CNN_PART(count) take_floats(block, &at, (count))
    a->p1 = CNN_PART(B * P1);
    a->p1_arg = (int32_t *)CNN_PART(B * P1);
    a->flat = CNN_PART(B * F);
    a->flat_arg = (int32_t *)CNN_PART(B * F);
    a->h3 = CNN_PART(B * (size_t)g->hidden);
    a->dh3 = CNN_PART(B * (size_t)g->hidden);
    a->h4 = CNN_PART(B * (size_t)g->mid);
    a->dh4 = CNN_PART(B * (size_t)g->mid);
    a->dflat = CNN_PART(B * F);
    a->a1 = CNN_PART((size_t)(g->c1 * g->h1 * g->w1));
    a->a2 = CNN_PART((size_t)g->c2 * L2);
    a->col = CNN_PART((size_t)(g->c1 * g->k2 * g->k2) * L2);
    a->dp1 = CNN_PART(P1);
#undef CNN_PART
    return at;
}

typedef struct {
    float *K1, *b1, *K2, *b2, *W3, *b3, *W4, *b4, *W5, *b5;
} cnn_cuda_tensors;

static inline cnn_cuda_tensors cnn_cuda_tensors_of(const tg_net_layout *l, const float *block)
{
    float *b = (float *)block;
    cnn_cuda_tensors t;
    t.K1 = b + tensor_offset(l, "conv1_w"), t.b1 = b + tensor_offset(l, "conv1_b");
    t.K2 = b + tensor_offset(l, "conv2_w"), t.b2 = b + tensor_offset(l, "conv2_b");
    t.W3 = b + tensor_offset(l, "W3"), t.b3 = b + tensor_offset(l, "b3");
    t.W4 = b + tensor_offset(l, "W4"), t.b4 = b + tensor_offset(l, "b4");
    t.W5 = b + tensor_offset(l, "W5"), t.b5 = b + tensor_offset(l, "b5");
    return t;
}

template <class X> tg_code cnn_relu(X &x, float *v, size_t n)
{
    return x.each(n, [=] __host__ __device__(size_t i) { v[i] = v[i] > 0 ? v[i] : 0; });
}

/* out [B, NO] = in [B, NI] W [NI, NO] + bias, then ReLU when asked (net_cnn.c's). */
template <class X>
tg_code cnn_linear_forward(X &x, size_t B, int64_t NI, int64_t NO, const float *in, const float *W,
                           const float *bias, float *out, bool relu)
{
    EXEC_TRY(broadcast_rows(x, bias, B, (size_t)NO, out));
    EXEC_TRY(gemm_rm(x, false, false, (int64_t)B, NO, NI, 1.0f, in, NI, W, NO, 1.0f, out, NO));
    return relu ? cnn_relu(x, out, B * (size_t)NO) : TG_OK;
}

/* dW += in^T dout, db += column sums; din = dout W^T through the ReLU that made in. */
template <class X>
tg_code cnn_linear_backward(X &x, size_t B, int64_t NI, int64_t NO, const float *in,
                            const float *W, const float *dout, float *dW, float *db, float *din)
{
    EXEC_TRY(gemm_rm(x, true, false, NI, NO, (int64_t)B, 1.0f, in, NI, dout, NO, 1.0f, dW, NO));
    EXEC_TRY(add_column_sums(x, dout, B, (size_t)NO, db));
    EXEC_TRY(gemm_rm(x, false, true, (int64_t)B, NI, NO, 1.0f, dout, NO, W, NO, 0.0f, din, NI));
    return x.each(B * (size_t)NI, [=] __host__ __device__(size_t i) {
        if (!(in[i] > 0))
            din[i] = 0;
    });
}

/* One album's conv1 from its nnz entries (cols, vals: device): a1 = bias + each entry
 * times the kernel where it reaches (tg_cnn_conv1_forward), then ReLU. */
template <class X>
tg_code cnn_conv1_forward(X &x, const tg_cnn_geom *g, const float *K, const float *bias,
                          const int32_t *cols, const float *vals, int64_t nnz, float *a1)
{
    const int64_t H = g->h1, W = g->w1, k = g->k1, pad = (k - 1) / 2, HW = H * W;
    const int64_t C1 = g->c1, cities = g->cities;
    EXEC_TRY(x.each((size_t)(C1 * HW), [=] __host__ __device__(size_t i) {
        a1[i] = bias[(int64_t)i / HW];
    }));
    /* one element per (entry, channel, kernel row): its k kernel columns */
    EXEC_TRY(x.each((size_t)(nnz * C1 * k), [=] __host__ __device__(size_t i) {
        const int64_t n = (int64_t)i / (C1 * k), c = ((int64_t)i / k) % C1, kh = (int64_t)i % k;
        const int64_t t = cols[n] / cities, xc = cols[n] % cities, oh = t + pad - kh;
        if (oh < 0 || oh >= H)
            return;
        const float v = vals[n];
        float *row = a1 + c * HW + oh * W;
        const float *kr = K + (c * k + kh) * k;
        for (int64_t kw = 0; kw < k && kw <= xc; kw++)
            if (xc - kw < W)
                add_to(&row[xc - kw], v * kr[kw]);
    }));
    return cnn_relu(x, a1, (size_t)(C1 * HW));
}

/* Max pool of in [C, H, W] into out / arg [C, Ho, Wo]: pairs (stride 2, width 2, the last
 * window cut at the edge) or adaptive windows per axis, the first maximum winning
 * (tg_cnn_maxpool_forward with tg_cnn_windows_pairs / _adaptive). */
template <class X>
tg_code cnn_maxpool(X &x, const float *in, int64_t C, int64_t H, int64_t W, int64_t Ho,
                    int64_t Wo, bool adaptive, float *out, int32_t *arg)
{
    return x.each((size_t)(C * Ho * Wo), [=] __host__ __device__(size_t idx) {
        const int64_t c = (int64_t)idx / (Ho * Wo), i = ((int64_t)idx / Wo) % Ho;
        const int64_t j = (int64_t)idx % Wo;
        int64_t rs, re, cs, ce;
        if (adaptive) {
            rs = i * H / Ho, re = ((i + 1) * H + Ho - 1) / Ho;
            cs = j * W / Wo, ce = ((j + 1) * W + Wo - 1) / Wo;
        } else {
            rs = 2 * i, re = 2 * i + 2 < H ? 2 * i + 2 : H;
            cs = 2 * j, ce = 2 * j + 2 < W ? 2 * j + 2 : W;
        }
        const float *p = in + c * H * W;
        int64_t best = rs * W + cs;
        for (int64_t r = rs; r < re; r++)
            for (int64_t q = cs; q < ce; q++)
                if (p[r * W + q] > p[best])
                    best = r * W + q;
        out[idx] = p[best];
        arg[idx] = (int32_t)best;
    });
}

/* Conv2d(C, Cout, k, padding=(pad, 0)) of in [C, H, W] by im2col + GEMM, then ReLU
 * (tg_cnn_conv_forward). */
template <class X>
tg_code cnn_conv2_forward(X &x, const float *in, int64_t C, int64_t H, int64_t W, const float *K,
                          const float *bias, int64_t Cout, int64_t k, int64_t pad, float *col,
                          float *out)
{
    const int64_t Ho = H + 2 * pad - k + 1, Wo = W - k + 1, L = Ho * Wo, CK = C * k * k;
    EXEC_TRY(x.each((size_t)(CK * L), [=] __host__ __device__(size_t i) {
        const int64_t row = (int64_t)i / L, oh = ((int64_t)i % L) / Wo, ow = (int64_t)i % Wo;
        const int64_t c = row / (k * k), kh = (row / k) % k, kw = row % k, ih = oh + kh - pad;
        col[i] = ih >= 0 && ih < H ? in[(c * H + ih) * W + ow + kw] : 0.0f;
    }));
    EXEC_TRY(x.each((size_t)(Cout * L), [=] __host__ __device__(size_t i) {
        out[i] = bias[(int64_t)i / L];
    }));
    EXEC_TRY(gemm_rm(x, false, false, Cout, L, CK, 1.0f, K, CK, col, L, 1.0f, out, L));
    return cnn_relu(x, out, (size_t)(Cout * L));
}

/* logits [B, G] (device) of batch xb (device; hx the same on the host). */
template <class X>
tg_code cnn_cuda_forward(X &x, const tg_cnn_geom *g, const tg_net_layout *l, const float *params,
                         const tg_csr_batch *xb, const tg_csr_batch *hx, cnn_cuda_acts *a,
                         float *logits)
{
    const cnn_cuda_tensors p = cnn_cuda_tensors_of(l, params);
    const size_t B = (size_t)xb->rows, P1 = (size_t)(g->c1 * g->h1p * g->w1p);
    const size_t F = (size_t)g->features;
    if (B == 0)
        return TG_OK;
    for (size_t b = 0; b < B; b++) {
        const int64_t k0 = hx->indptr[b] - hx->indptr[0], nnz = hx->indptr[b + 1] - hx->indptr[b];
        EXEC_TRY(cnn_conv1_forward(x, g, p.K1, p.b1, xb->indices + k0, xb->values + k0, nnz, a->a1));
        EXEC_TRY(cnn_maxpool(x, a->a1, g->c1, g->h1, g->w1, g->h1p, g->w1p, false, a->p1 + b * P1,
                            a->p1_arg + b * P1));
        EXEC_TRY(cnn_conv2_forward(x, a->p1 + b * P1, g->c1, g->h1p, g->w1p, p.K2, p.b2, g->c2,
                                  g->k2, (g->k2 - 1) / 2, a->col, a->a2));
        EXEC_TRY(cnn_maxpool(x, a->a2, g->c2, g->h2, g->w2, g->grid_h, g->grid_w, true,
                            a->flat + b * F, a->flat_arg + b * F));
    }
    EXEC_TRY(cnn_linear_forward(x, B, g->features, g->hidden, a->flat, p.W3, p.b3, a->h3, true));
    EXEC_TRY(cnn_linear_forward(x, B, g->hidden, g->mid, a->h3, p.W4, p.b4, a->h4, true));
    return cnn_linear_forward(x, B, g->mid, g->genres, a->h4, p.W5, p.b5, logits, false);
}

/* Adds d loss / d parameters into grads from dlogits [B, G] (device), after a forward on
 * the same batch (tg_cnn_backward). */
template <class X>
tg_code cnn_cuda_backward(X &x, const tg_cnn_geom *g, const tg_net_layout *l, const float *params,
                          float *grads, const tg_csr_batch *xb, const tg_csr_batch *hx,
                          cnn_cuda_acts *a, const float *dlogits)
{
    const cnn_cuda_tensors p = cnn_cuda_tensors_of(l, params), d = cnn_cuda_tensors_of(l, grads);
    const size_t B = (size_t)xb->rows;
    if (B == 0)
        return TG_OK;
    EXEC_TRY(cnn_linear_backward(x, B, g->mid, g->genres, a->h4, p.W5, dlogits, d.W5, d.b5, a->dh4));
    EXEC_TRY(cnn_linear_backward(x, B, g->hidden, g->mid, a->h3, p.W4, a->dh4, d.W4, d.b4, a->dh3));
    EXEC_TRY(cnn_linear_backward(x, B, g->features, g->hidden, a->flat, p.W3, a->dh3, d.W3, d.b3,
                                a->dflat));
    const int64_t C1 = g->c1, C2 = g->c2, H1 = g->h1, W1 = g->w1, HW1 = H1 * W1;
    const int64_t H1p = g->h1p, W1p = g->w1p, HW1p = H1p * W1p, P1 = C1 * HW1p;
    const int64_t k2 = g->k2, pad2 = (k2 - 1) / 2, Wo2 = W1p - k2 + 1, F = g->features;
    const int64_t n = g->grid_h * g->grid_w;
    const int64_t k1 = g->k1, pad1 = (k1 - 1) / 2, cities = g->cities;
    float *dp1 = a->dp1, *a1 = a->a1;
    for (size_t b = 0; b < B; b++) {
        const float *p1 = a->p1 + b * (size_t)P1, *dflat = a->dflat + b * (size_t)F;
        const int32_t *pos = a->flat_arg + b * (size_t)F, *arg1 = a->p1_arg + b * (size_t)P1;
        const float *K2 = p.K2;
        float *dK2 = d.K2, *db2 = d.b2, *db1 = d.b1;
        /* conv2's output has a gradient only at the adaptive pool's maxima
         * (tg_cnn_conv_backward_at): one element per (channel, pooled cell) */
        EXEC_TRY(x.zero(dp1, (size_t)P1));
        EXEC_TRY(x.each((size_t)(C2 * n), [=] __host__ __device__(size_t i) {
            const int64_t c = (int64_t)i / n;
            const float dv = dflat[i];
            if (dv == 0)
                return;
            const int64_t oh = pos[i] / Wo2, ow = pos[i] % Wo2;
            add_to(&db2[c], dv);
            for (int64_t ci = 0; ci < C1; ci++)
                for (int64_t kh = 0; kh < k2; kh++) {
                    const int64_t r = oh + kh - pad2;
                    if (r < 0 || r >= H1p)
                        continue;
                    const float *xin = p1 + (ci * H1p + r) * W1p + ow;
                    float *dx = dp1 + (ci * H1p + r) * W1p + ow;
                    const float *kr = K2 + ((c * C1 + ci) * k2 + kh) * k2;
                    float *dkr = dK2 + ((c * C1 + ci) * k2 + kh) * k2;
                    for (int64_t kw = 0; kw < k2; kw++) {
                        add_to(&dkr[kw], dv * xin[kw]);
                        add_to(&dx[kw], dv * kr[kw]);
                    }
                }
        }));
        /* through ReLU and pool1; conv1's bias gets the sum per channel */
        EXEC_TRY(x.each((size_t)P1, [=] __host__ __device__(size_t i) {
            if (!(p1[i] > 0))
                dp1[i] = 0;
        }));
        EXEC_TRY(x.each((size_t)C1, [=] __host__ __device__(size_t c) {
            float s = 0;
            for (int64_t i = 0; i < HW1p; i++)
                s += dp1[(int64_t)c * HW1p + i];
            db1[c] += s;
        }));
        EXEC_TRY(x.zero(a1, (size_t)(C1 * HW1)));
        EXEC_TRY(x.each((size_t)P1, [=] __host__ __device__(size_t i) {
            const int64_t c = (int64_t)i / HW1p;
            add_to(&a1[c * HW1 + arg1[i]], dp1[i]);
        }));
        /* dK1: one element per weight, summing over the album's entries */
        const int64_t k0 = hx->indptr[b] - hx->indptr[0], nnz = hx->indptr[b + 1] - hx->indptr[b];
        const int32_t *cols = xb->indices + k0;
        const float *vals = xb->values + k0;
        float *dK1 = d.K1;
        EXEC_TRY(x.each((size_t)(C1 * k1 * k1), [=] __host__ __device__(size_t i) {
            const int64_t c = (int64_t)i / (k1 * k1), kh = ((int64_t)i / k1) % k1;
            const int64_t kw = (int64_t)i % k1;
            float acc = 0;
            for (int64_t en = 0; en < nnz; en++) {
                const int64_t t = cols[en] / cities, xc = cols[en] % cities, oh = t + pad1 - kh;
                if (oh < 0 || oh >= H1 || kw > xc || xc - kw >= W1)
                    continue;
                acc += vals[en] * a1[c * HW1 + oh * W1 + xc - kw];
            }
            dK1[i] += acc;
        }));
    }
    return TG_OK;
}

#endif
