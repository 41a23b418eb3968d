/* mlp_cuda.cu - mlp.h's operations on the GPU (see mlp_cuda.h): the sparse first layer
 * from the CSR batch (a CSR kernel, or a scatter into a dense tile and cublasSgemm,
 * selectable until measured: mlp_cuda.h), cublasSgemm for the second layer, kernels for
 * bias + ReLU, BCE with logits and one fused Adam update.
 * Row-major arrays are handed to column-major cuBLAS as their transposes. */
#include "cuda_common.cuh"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" const char *const tg_cuda_first_layer_names[] = {"csr", "dense", NULL};

extern "C" tg_code tg_cuda_open(tg_cuda **out, tg_error *e)
{
    int n = 0;
    CUDA_TRY(cudaGetDeviceCount(&n));
    if (n < 1)
        return tg_fail(e, TG_ERR_LIBRARY, "no CUDA device");
    CUDA_TRY(cudaSetDevice(0));
    tg_cuda *c = (tg_cuda *)calloc(1, sizeof *c);
    if (c == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    *out = c;
    CUDA_TRY(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    CUBLAS_TRY(cublasCreate(&c->blas));
    CUBLAS_TRY(cublasSetStream(c->blas, c->stream));
    /* no TF32: the GPU must agree with the CPU reference within float rounding */
    CUBLAS_TRY(cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH));
    CUDA_TRY(cudaMalloc((void **)&c->loss_dev, sizeof(double)));
    return TG_OK;
}

extern "C" void tg_cuda_close(tg_cuda *c)
{
    if (c == NULL)
        return;
    if (c->loss_dev)
        cudaFree(c->loss_dev);
    if (c->tile)
        cudaFree(c->tile);
    if (c->blas)
        cublasDestroy(c->blas);
    if (c->stream)
        cudaStreamDestroy(c->stream);
    free(c);
}

extern "C" tg_code tg_cuda_mem_info(tg_cuda *c, size_t *free_bytes, size_t *total_bytes,
                                    tg_error *e)
{
    (void)c;
    CUDA_TRY(cudaMemGetInfo(free_bytes, total_bytes));
    return TG_OK;
}

extern "C" tg_code tg_cuda_device_info(tg_cuda *c, char *name, size_t size,
                                       double *peak_bytes_per_s, tg_error *e)
{
    (void)c;
    int dev = 0, clock_khz = 0, bus_bits = 0;
    cudaDeviceProp prop;
    CUDA_TRY(cudaGetDevice(&dev));
    CUDA_TRY(cudaGetDeviceProperties(&prop, dev));
    /* CUDA 13 dropped memoryClockRate from cudaDeviceProp; the attribute remains */
    CUDA_TRY(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, dev));
    CUDA_TRY(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev));
    snprintf(name, size, "%s", prop.name);
    *peak_bytes_per_s = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0);
    return TG_OK;
}

extern "C" tg_code tg_cuda_set_first_layer(tg_cuda *c, tg_cuda_first_layer how,
                                           int32_t max_batch, int64_t inputs, tg_error *e)
{
    float *tile = NULL;
    if (how == TG_CUDA_FIRST_DENSE)
        CUDA_TRY(cudaMalloc((void **)&tile, (size_t)max_batch * (size_t)inputs * sizeof(float)));
    if (c->tile) {
        CUDA_TRY(cudaStreamSynchronize(c->stream)); /* a queued forward may still read it */
        cudaFree(c->tile);
    }
    c->tile = tile;
    c->tile_rows = how == TG_CUDA_FIRST_DENSE ? max_batch : 0;
    c->tile_cols = how == TG_CUDA_FIRST_DENSE ? inputs : 0;
    c->first = how;
    return TG_OK;
}

extern "C" tg_code tg_cuda_sync(tg_cuda *c, tg_error *e)
{
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return TG_OK;
}

extern "C" tg_code tg_cuda_malloc(tg_cuda *c, void **p, size_t bytes, tg_error *e)
{
    (void)c;
    CUDA_TRY(cudaMalloc(p, bytes ? bytes : 1));
    return TG_OK;
}

extern "C" void tg_cuda_free(tg_cuda *c, void *p)
{
    (void)c;
    if (p)
        cudaFree(p);
}

extern "C" tg_code tg_cuda_to_device(tg_cuda *c, void *dst, const void *src, size_t bytes,
                                     tg_error *e)
{
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return TG_OK;
}

extern "C" tg_code tg_cuda_to_host(tg_cuda *c, void *dst, const void *src, size_t bytes,
                                   tg_error *e)
{
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return TG_OK;
}

extern "C" tg_code tg_cuda_memset0(tg_cuda *c, void *p, size_t bytes, tg_error *e)
{
    CUDA_TRY(cudaMemsetAsync(p, 0, bytes, c->stream));
    return TG_OK;
}

/* ---- forward ---- */

/* One block per batch row: h_pre[b, :] = b1 + sum_k values[k] * W1[indices[k], :]; the
 * threads walk the hidden units, so each W1 row is read coalesced. */
__global__ void first_layer_forward(const float *W1, const float *b1, const int64_t *indptr,
                                    const int32_t *indices, const float *values, int64_t H,
                                    float *h_pre, float *h)
{
    int b = blockIdx.x;
    int64_t lo = indptr[b], hi = indptr[b + 1];
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
        float acc = b1[j];
        for (int64_t k = lo; k < hi; k++)
            acc += values[k] * W1[(int64_t)indices[k] * H + j];
        h_pre[(int64_t)b * H + j] = acc;
        h[(int64_t)b * H + j] = acc > 0.0f ? acc : 0.0f;
    }
}

/* tile[b, indices[k]] = values[k] for the batch's entries (the tile is zero elsewhere). */
__global__ void scatter_rows(const int64_t *indptr, const int32_t *indices, const float *values,
                             int64_t cols, float *tile)
{
    int b = blockIdx.x;
    for (int64_t k = indptr[b] + threadIdx.x; k < indptr[b + 1]; k += blockDim.x)
        tile[(int64_t)b * cols + indices[k]] = values[k];
}

__global__ void relu_copy(const float *h_pre, int64_t n, float *h)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        h[i] = h_pre[i] > 0.0f ? h_pre[i] : 0.0f;
}

__global__ void broadcast_rows(const float *bias, int64_t G, int64_t n, float *out)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        out[i] = bias[i % G];
}

extern "C" tg_code tg_cuda_mlp_forward(tg_cuda *c, const tg_mlp_tensors *p, const tg_mlp_shape *s,
                                       const tg_csr_batch *x, tg_mlp_acts *a, tg_error *e)
{
    const int64_t H = s->hidden, G = s->genres;
    const int B = x->rows;
    if (B == 0)
        return TG_OK;
    const float one = 1.0f;
    if (c->first == TG_CUDA_FIRST_DENSE) {
        if (B > c->tile_rows || s->inputs != c->tile_cols)
            return tg_fail(e, TG_ERR_USAGE, "%s:%d: a batch of %d x %lld for a dense tile of "
                           "%d x %lld", __FILE__, __LINE__, B, (long long)s->inputs,
                           c->tile_rows, (long long)c->tile_cols);
        const int64_t I = s->inputs, nh = (int64_t)B * H;
        CUDA_TRY(cudaMemsetAsync(c->tile, 0, (size_t)B * (size_t)I * sizeof(float), c->stream));
        scatter_rows<<<B, THREADS, 0, c->stream>>>(x->indptr, x->indices, x->values, I, c->tile);
        LAUNCH_CHECK();
        broadcast_rows<<<blocks_for((size_t)nh), THREADS, 0, c->stream>>>(p->b1, H, nh, a->h_pre);
        LAUNCH_CHECK();
        /* h_pre^T [H, B] += W1^T [H, I] X^T [I, B] (W1 row-major [I, H] is column-major
         * [H, I] with leading dimension H; the tile row-major [B, I] is [I, B]) */
        CUBLAS_TRY(cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)H, B, (int)I, &one, p->W1,
                               (int)H, c->tile, (int)I, &one, a->h_pre, (int)H));
        relu_copy<<<blocks_for((size_t)nh), THREADS, 0, c->stream>>>(a->h_pre, nh, a->h);
        LAUNCH_CHECK();
    } else {
        first_layer_forward<<<B, THREADS, 0, c->stream>>>(p->W1, p->b1, x->indptr, x->indices,
                                                          x->values, H, a->h_pre, a->h);
        LAUNCH_CHECK();
    }
    int64_t n = (int64_t)B * G;
    broadcast_rows<<<blocks_for((size_t)n), THREADS, 0, c->stream>>>(p->b2, G, n, a->logits);
    LAUNCH_CHECK();
    /* logits^T [G, B] += W2^T [G, H] h^T [H, B] (column-major views of row-major arrays) */
    CUBLAS_TRY(cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)G, B, (int)H, &one, p->W2,
                           (int)G, a->h, (int)H, &one, a->logits, (int)G));
    return TG_OK;
}

/* ---- loss ---- */

__global__ void bce_kernel(const float *logits, const uint8_t *y, int32_t B, int64_t G,
                           const float *pos_weight, const float *sample_weight, float *dlogits,
                           double *sum)
{
    const double scale = 1.0 / ((double)B * (double)G);
    double local = 0;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (int64_t)B * G;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = i / G, g = i % G;
        double x = logits[i], t = y[i] ? 1.0 : 0.0;
        double wb = sample_weight ? sample_weight[b] : 1.0;
        double lw = 1.0 + ((pos_weight ? pos_weight[g] : 1.0) - 1.0) * t;
        double sp = log1p(exp(-fabs(x))) + (x < 0 ? -x : 0.0);
        local += wb * ((1.0 - t) * x + lw * sp);
        if (dlogits) {
            double sig_neg = x >= 0 ? exp(-x) / (1.0 + exp(-x)) : 1.0 / (1.0 + exp(x));
            dlogits[i] = (float)(wb * scale * ((1.0 - t) - lw * sig_neg));
        }
    }
    atomicAdd(sum, local); /* order varies: the loss agrees with the CPU to rounding */
}

extern "C" tg_code tg_cuda_mlp_bce(tg_cuda *c, const float *logits, const uint8_t *y, int32_t B,
                                   int64_t G, const float *pos_weight, const float *sample_weight,
                                   float *dlogits, double *loss, tg_error *e)
{
    CUDA_TRY(cudaMemsetAsync(c->loss_dev, 0, sizeof(double), c->stream));
    bce_kernel<<<blocks_for((size_t)B * (size_t)G), THREADS, 0, c->stream>>>(
        logits, y, B, G, pos_weight, sample_weight, dlogits, c->loss_dev);
    LAUNCH_CHECK();
    double sum = 0;
    CUDA_TRY(cudaMemcpyAsync(&sum, c->loss_dev, sizeof sum, cudaMemcpyDeviceToHost, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    *loss = B && G ? sum / ((double)B * (double)G) : 0.0;
    return TG_OK;
}

/* ---- backward ---- */

/* Adds the column sums of m [rows, cols] into out [cols]. */
__global__ void add_column_sums(const float *m, int rows, int64_t cols, float *out)
{
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < cols;
         j += (int64_t)gridDim.x * blockDim.x) {
        float acc = 0;
        for (int r = 0; r < rows; r++)
            acc += m[(int64_t)r * cols + j];
        out[j] += acc;
    }
}

__global__ void relu_backward(const float *h_pre, int64_t n, float *dh)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        if (h_pre[i] <= 0.0f)
            dh[i] = 0.0f;
}

/* dW1[indices[k], :] += values[k] * dh[b, :]: rows of a batch may share a column, so
 * the adds are atomic (their order, hence the last bits, may vary between runs). */
__global__ void first_layer_backward(const int64_t *indptr, const int32_t *indices,
                                     const float *values, const float *dh, int64_t H, float *dW1)
{
    int b = blockIdx.x;
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
        float d = dh[(int64_t)b * H + j];
        if (d == 0.0f)
            continue;
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            atomicAdd(&dW1[(int64_t)indices[k] * H + j], values[k] * d);
    }
}

extern "C" tg_code tg_cuda_mlp_backward(tg_cuda *c, const tg_mlp_tensors *p,
                                        const tg_mlp_tensors *g, const tg_mlp_shape *s,
                                        const tg_csr_batch *x, tg_mlp_acts *a, tg_error *e)
{
    const int64_t H = s->hidden, G = s->genres;
    const int B = x->rows;
    if (B == 0)
        return TG_OK;
    const float one = 1.0f, zero = 0.0f;
    /* dW2^T [G, H] += dlogits^T [G, B] h [B, H] */
    CUBLAS_TRY(cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_T, (int)G, (int)H, B, &one, a->dlogits,
                           (int)G, a->h, (int)H, &one, g->W2, (int)G));
    add_column_sums<<<blocks_for((size_t)G), THREADS, 0, c->stream>>>(a->dlogits, B, G, g->b2);
    LAUNCH_CHECK();
    /* dh^T [H, B] = W2 [H, G] dlogits^T [G, B] */
    CUBLAS_TRY(cublasSgemm(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)H, B, (int)G, &one, p->W2,
                           (int)G, a->dlogits, (int)G, &zero, a->dh, (int)H));
    relu_backward<<<blocks_for((size_t)B * (size_t)H), THREADS, 0, c->stream>>>(
        a->h_pre, (int64_t)B * H, a->dh);
    LAUNCH_CHECK();
    add_column_sums<<<blocks_for((size_t)H), THREADS, 0, c->stream>>>(a->dh, B, H, g->b1);
    LAUNCH_CHECK();
    first_layer_backward<<<B, THREADS, 0, c->stream>>>(x->indptr, x->indices, x->values, a->dh,
                                                       H, g->W1);
    LAUNCH_CHECK();
    return TG_OK;
}

__global__ void zero_rows(const int64_t *indptr, const int32_t *indices, int64_t H, float *W1)
{
    int b = blockIdx.x;
    for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
        for (int64_t j = threadIdx.x; j < H; j += blockDim.x)
            W1[(int64_t)indices[k] * H + j] = 0.0f;
}

extern "C" tg_code tg_cuda_mlp_zero_grad(tg_cuda *c, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                                         const tg_csr_batch *x, tg_error *e)
{
    const int64_t H = s->hidden;
    if (x->rows > 0) {
        zero_rows<<<x->rows, THREADS, 0, c->stream>>>(x->indptr, x->indices, H, g->W1);
        LAUNCH_CHECK();
    }
    CUDA_TRY(cudaMemsetAsync(g->b1, 0, (size_t)(H + H * s->genres + s->genres) * sizeof(float),
                             c->stream));
    return TG_OK;
}

/* ---- optimiser ---- */

/* torch.optim.Adam's update in the CPU reference's order of float operations; with
 * zero_grad the gradient is zeroed in the same pass (optimizer.zero_grad() after step).
 * Denormals are zero in and out, as in tg_adam_step, by nvcc's --ftz=true (meson.build). */
__global__ void adam_kernel(float *param, float *grad, float *m, float *v, size_t n,
                            float w1, float b2, float w2, float eps, float step_size,
                            float bc2_sqrt, int zero_grad)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float gi = grad[i];
        if (zero_grad)
            grad[i] = 0.0f;
        float mi = m[i] + w1 * (gi - m[i]);
        float vi = v[i] * b2 + w2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2_sqrt + eps;
        param[i] = param[i] - step_size * (mi / denom);
    }
}

extern "C" tg_code tg_cuda_adam_step(tg_cuda *c, const tg_adam *opt, int64_t t, float *param,
                                     float *grad, float *m, float *v, size_t n, int zero_grad,
                                     tg_error *e)
{
    const double bc1 = 1.0 - pow(opt->beta1, (double)t), bc2 = 1.0 - pow(opt->beta2, (double)t);
    adam_kernel<<<blocks_for(n), THREADS, 0, c->stream>>>(
        param, grad, m, v, n, (float)(1.0 - opt->beta1), (float)opt->beta2,
        (float)(1.0 - opt->beta2), (float)opt->eps, (float)(opt->lr / bc1), (float)sqrt(bc2),
        zero_grad);
    LAUNCH_CHECK();
    return TG_OK;
}
