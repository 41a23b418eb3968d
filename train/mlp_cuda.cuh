/* mlp_cuda.cuh - the report's MLP's passes and the fused Adam step for the CUDA backend,
 * written once against an executor (cuda_exec.cuh) as mlp.h defines them; mlp_cuda.cu
 * instantiates them on dev_exec behind mlp_cuda.h's API, and the host test on host_exec.
 *
 * Element kernels own one output: (album, hidden unit) for the CSR first layer, which
 * sums the album's entries in mlp.h's order reading W1's rows coalesced (neighbouring
 * elements are neighbouring units of one row), and for its backward, which adds into the
 * W1 rows of the album's columns atomically (albums share columns: the order of the
 * adds, hence the last bits of dW1, may vary between runs). Row-major arrays go to
 * cuBLAS through gemm_rm. */
#ifndef TG_TRAIN_MLP_CUDA_CUH
#define TG_TRAIN_MLP_CUDA_CUH

#include "cuda_exec.cuh"

#include <math.h>

/* h_pre = X W1 + b1, h = relu(h_pre), logits = h W2 + b2 (tg_mlp_forward). The first layer
 * runs from the CSR batch, or, with tile (a [B, inputs] buffer; NULL: CSR), as a scatter
 * of the batch into the zeroed tile and one GEMM over all of W1 (mlp_cuda.h says why
 * both). */
template <class X>
tg_code mlp_cuda_forward(X &x, const tg_mlp_tensors *p, const tg_mlp_shape *s,
                         const tg_csr_batch *xb, tg_mlp_acts *a, float *tile)
{
    const size_t B = (size_t)xb->rows, H = (size_t)s->hidden, I = (size_t)s->inputs;
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values, *W1 = p->W1, *b1 = p->b1;
    float *h_pre = a->h_pre, *h = a->h;
    if (B == 0)
        return TG_OK;
    if (tile) {
        EXEC_TRY(x.zero(tile, B * I));
        /* one element per album: its entries are distinct columns of its tile row */
        EXEC_TRY(x.each(B, [=] __host__ __device__(size_t b) {
            for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
                tile[b * I + (size_t)indices[k]] = values[k];
        }));
        EXEC_TRY(broadcast_rows(x, b1, B, H, h_pre));
        EXEC_TRY(gemm_rm(x, false, false, (int64_t)B, (int64_t)H, (int64_t)I, 1.0f, tile,
                        (int64_t)I, W1, (int64_t)H, 1.0f, h_pre, (int64_t)H));
        EXEC_TRY(x.each(B * H, [=] __host__ __device__(size_t i) {
            h[i] = h_pre[i] > 0.0f ? h_pre[i] : 0.0f;
        }));
    } else {
        EXEC_TRY(x.each(B * H, [=] __host__ __device__(size_t i) {
            const size_t b = i / H, j = i % H;
            float acc = b1[j];
            for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
                acc += values[k] * W1[(size_t)indices[k] * H + j];
            h_pre[i] = acc;
            h[i] = acc > 0.0f ? acc : 0.0f;
        }));
    }
    const int64_t G = s->genres;
    EXEC_TRY(broadcast_rows(x, p->b2, B, (size_t)G, a->logits));
    return gemm_rm(x, false, false, (int64_t)B, G, (int64_t)H, 1.0f, h, (int64_t)H, p->W2, G,
                   1.0f, a->logits, G);
}

/* Adds the gradients of the batch into g from a->dlogits and the forward's activations
 * (tg_mlp_backward); a->dh is written. */
template <class X>
tg_code mlp_cuda_backward(X &x, const tg_mlp_tensors *p, const tg_mlp_tensors *g,
                          const tg_mlp_shape *s, const tg_csr_batch *xb, tg_mlp_acts *a)
{
    const size_t B = (size_t)xb->rows, H = (size_t)s->hidden;
    const int64_t G = s->genres, Hi = s->hidden;
    if (B == 0)
        return TG_OK;
    EXEC_TRY(gemm_rm(x, true, false, Hi, G, (int64_t)B, 1.0f, a->h, Hi, a->dlogits, G, 1.0f,
                    g->W2, G));
    EXEC_TRY(add_column_sums(x, a->dlogits, B, (size_t)G, g->b2));
    EXEC_TRY(gemm_rm(x, false, true, (int64_t)B, Hi, G, 1.0f, a->dlogits, G, p->W2, G, 0.0f,
                    a->dh, Hi));
    const float *h_pre = a->h_pre;
    float *dh = a->dh, *dW1 = g->W1;
    EXEC_TRY(x.each(B * H, [=] __host__ __device__(size_t i) {
        if (h_pre[i] <= 0.0f)
            dh[i] = 0.0f;
    }));
    EXEC_TRY(add_column_sums(x, dh, B, H, g->b1));
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values;
    return x.each(B * H, [=] __host__ __device__(size_t i) {
        const size_t b = i / H, j = i % H;
        const float d = dh[i];
        if (d == 0.0f)
            return;
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            add_to(&dW1[(size_t)indices[k] * H + j], values[k] * d);
    });
}

/* Zeroes what backward on xb touched: W1's rows of the batch's columns, and b1, W2, b2. */
template <class X>
tg_code mlp_cuda_zero_grad(X &x, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                           const tg_csr_batch *xb)
{
    const size_t B = (size_t)xb->rows, H = (size_t)s->hidden;
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    float *dW1 = g->W1;
    /* albums sharing a column write the same zero to it: no atomics needed */
    EXEC_TRY(x.each(B * H, [=] __host__ __device__(size_t i) {
        const size_t b = i / H, j = i % H;
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            dW1[(size_t)indices[k] * H + j] = 0.0f;
    }));
    return x.zero(g->b1, H + H * (size_t)s->genres + (size_t)s->genres);
}

/* torch.optim.Adam's step in tg_adam_step's order of float operations; with zero_grad the
 * gradient is zeroed in the same pass (optimizer.zero_grad() after step). On the GPU,
 * denormals are zero in and out by nvcc's --ftz=true, as tg_adam_step sets on x86. */
template <class X>
tg_code mlp_cuda_adam(X &x, const tg_adam *opt, int64_t t, float *param, float *grad, float *m,
                      float *v, size_t n, int zero_grad)
{
    const double bc1 = 1.0 - pow(opt->beta1, (double)t), bc2 = 1.0 - pow(opt->beta2, (double)t);
    const float w1 = (float)(1.0 - opt->beta1), b2 = (float)opt->beta2;
    const float w2 = (float)(1.0 - opt->beta2), eps = (float)opt->eps;
    const float step_size = (float)(opt->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    return x.each(n, [=] __host__ __device__(size_t i) {
        float gi = grad[i];
        if (zero_grad)
            grad[i] = 0.0f;
        float mi = m[i] + w1 * (gi - m[i]);
        float vi = v[i] * b2 + w2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        param[i] = param[i] - step_size * (mi / denom);
    });
}

#endif
