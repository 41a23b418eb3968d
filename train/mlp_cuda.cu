/* mlp_cuda.cu - mlp.h's operations on the GPU (see mlp_cuda.h): the device context, and
 * mlp_cuda.cuh's passes on dev_exec (the sparse first layer from the CSR batch or a dense
 * tile, cublasSgemm for the rest, bias + ReLU, one fused Adam update), plus BCE with
 * logits as its own kernel (the trainer computes the loss on the host; this one is for
 * the op-level test). */
#include "mlp_cuda.cuh"

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

/* ---- forward, backward, optimiser: mlp_cuda.cuh's passes on the GPU ---- */

extern "C" tg_code tg_cuda_mlp_forward(tg_cuda *c, const tg_mlp_tensors *p, const tg_mlp_shape *s,
                                       const tg_csr_batch *x, tg_mlp_acts *a, tg_error *e)
{
    float *tile = NULL;
    if (c->first == TG_CUDA_FIRST_DENSE) {
        if (x->rows > c->tile_rows || s->inputs != c->tile_cols)
            return tg_fail(e, TG_ERR_USAGE, "%s:%d: a batch of %d x %lld for a dense tile of "
                           "%d x %lld", __FILE__, __LINE__, x->rows, (long long)s->inputs,
                           c->tile_rows, (long long)c->tile_cols);
        tile = c->tile;
    }
    dev_exec dx = {c, e};
    return mlp_cuda_forward(dx, p, s, x, a, tile);
}

extern "C" tg_code tg_cuda_mlp_backward(tg_cuda *c, const tg_mlp_tensors *p,
                                        const tg_mlp_tensors *g, const tg_mlp_shape *s,
                                        const tg_csr_batch *x, tg_mlp_acts *a, tg_error *e)
{
    dev_exec dx = {c, e};
    return mlp_cuda_backward(dx, p, g, s, x, a);
}

extern "C" tg_code tg_cuda_mlp_zero_grad(tg_cuda *c, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                                         const tg_csr_batch *x, tg_error *e)
{
    dev_exec dx = {c, e};
    return mlp_cuda_zero_grad(dx, g, s, x);
}

extern "C" tg_code tg_cuda_adam_step(tg_cuda *c, const tg_adam *opt, int64_t t, float *param,
                                     float *grad, float *m, float *v, size_t n, int zero_grad,
                                     tg_error *e)
{
    dev_exec dx = {c, e};
    return mlp_cuda_adam(dx, opt, t, param, grad, m, v, n, zero_grad);
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

