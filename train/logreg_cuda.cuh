/* logreg_cuda.cuh - the logistic regression's passes for the CUDA backend, written once
 * against an executor (cuda_exec.cuh) as net_logreg.c defines them: logits = X W + b over
 * the CSR batch, no activations kept.
 *
 * One element per (album, genre): it sums its album's entries in the CPU model's order,
 * reading W[column, genre] (G floats apart: the 27 genres of a W row are read by
 * neighbouring elements, so a warp reads a row together). dW's adds are atomic: albums
 * of a batch share columns. */
#ifndef TG_TRAIN_LOGREG_CUDA_CUH
#define TG_TRAIN_LOGREG_CUDA_CUH

#include "cuda_exec.cuh"

template <class X>
tg_code logreg_cuda_forward(X &x, const tg_net_spec *s, const tg_net_layout *l,
                            const float *params, const tg_csr_batch *xb, float *logits)
{
    const size_t B = (size_t)xb->rows, G = (size_t)s->genres;
    const float *W = params + tensor_offset(l, "W"), *bias = params + tensor_offset(l, "b");
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values;
    return x.each(B * G, [=] __host__ __device__(size_t i) {
        const size_t b = i / G, g = i % G;
        float acc = bias[g];
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            acc += values[k] * W[(size_t)indices[k] * G + g];
        logits[i] = acc;
    });
}

/* dW[j, :] += x[b, j] dlogits[b, :] for the batch's entries; db += column sums. */
template <class X>
tg_code logreg_cuda_backward(X &x, const tg_net_spec *s, const tg_net_layout *l, float *grads,
                             const tg_csr_batch *xb, const float *dlogits)
{
    const size_t B = (size_t)xb->rows, G = (size_t)s->genres;
    float *dW = grads + tensor_offset(l, "W"), *db = grads + tensor_offset(l, "b");
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values;
    tg_code rc = add_column_sums(x, dlogits, B, G, db);
    if (rc != TG_OK)
        return rc;
    return x.each(B * G, [=] __host__ __device__(size_t i) {
        const size_t b = i / G, g = i % G;
        const float d = dlogits[i];
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            add_to(&dW[(size_t)indices[k] * G + g], values[k] * d);
    });
}

#endif
