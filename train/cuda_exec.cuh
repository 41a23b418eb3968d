/* cuda_exec.cuh - the two executors that the CUDA models' passes (mlp_cuda.cuh,
 * logreg_cuda.cuh, cnn_cuda.cuh, factorized_cuda.cuh) are written against, and the
 * helpers they share (gemm_rm, broadcast_rows, add_column_sums, shift_rows, add_to,
 * EXEC_TRY): dev_exec runs them on the GPU (kernels and
 * cuBLAS on the compute stream), host_exec runs the very same code on the CPU (a loop in
 * place of each launch, OpenBLAS's column-major SGEMM in place of cuBLAS's).
 *
 * Why two: a GPU is lent to some sessions only, and the passes' index arithmetic and the
 * row-major to column-major translation of every GEMM are where their bugs would be.
 * With host_exec a test on any machine runs each model's GPU code path against its CPU
 * model (tests/train/test_models_cuda_host.cu); what only a GPU checks (launches, copies,
 * cuBLAS itself) is test_net_cuda.c's part. An executor offers:
 *   each(n, f)       f(i) for every i in [0, n), in any order and concurrently on the
 *                    GPU: f must write only what element i owns, or use add_to
 *   gemm_cm(...)     cublasSgemm's contract (column-major)
 *   zero(p, floats)  p[0 .. floats) = 0, in stream order
 * Every entry returns a tg_code and fills the executor's tg_error. */
#ifndef TG_TRAIN_CUDA_EXEC_CUH
#define TG_TRAIN_CUDA_EXEC_CUH

#include "cuda_common.cuh"

extern "C" {
#include "net.h"
#include <cblas.h>
}

#include <stddef.h>
#include <string.h>

/* Returns the enclosing pass's tg_code when call fails (the executor filled its error). */
#define EXEC_TRY(call)                                                                       \
    do {                                                                                     \
        tg_code rc_ = (call);                                                                \
        if (rc_ != TG_OK)                                                                    \
            return rc_;                                                                      \
    } while (0)

/* *p += v, atomically on the GPU (albums of a batch may share a city or a column: the
 * order of the adds, hence the last bits, may vary between runs), plainly on the host. */
__host__ __device__ inline void add_to(float *p, float v)
{
#ifdef __CUDA_ARCH__
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

template <class F> __global__ void each_kernel(size_t n, F f)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        f(i);
}

struct dev_exec {
    tg_cuda *cu;
    tg_error *e;

    template <class F> tg_code each(size_t n, F f)
    {
        if (n == 0)
            return TG_OK;
        each_kernel<<<blocks_for(n), THREADS, 0, cu->stream>>>(n, f);
        LAUNCH_CHECK();
        return TG_OK;
    }
    tg_code gemm_cm(bool ta, bool tb, int m, int n, int k, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
    {
        CUBLAS_TRY(cublasSgemm(cu->blas, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                               tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A, lda, B, ldb,
                               &beta, C, ldc));
        return TG_OK;
    }
    tg_code zero(float *p, size_t floats)
    {
        CUDA_TRY(cudaMemsetAsync(p, 0, floats * sizeof(float), cu->stream));
        return TG_OK;
    }
};

struct host_exec {
    tg_error *e;

    template <class F> tg_code each(size_t n, F f)
    {
        for (size_t i = 0; i < n; i++)
            f(i);
        return TG_OK;
    }
    tg_code gemm_cm(bool ta, bool tb, int m, int n, int k, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
    {
        cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return TG_OK;
    }
    tg_code zero(float *p, size_t floats)
    {
        memset(p, 0, floats * sizeof(float));
        return TG_OK;
    }
};

/* C [M, N] = alpha op(A) op(B) + beta C on row-major arrays (leading dimensions lda, ldb,
 * ldc, as cblas_sgemm(CblasRowMajor, ...) takes them), so that a pass reads like its CPU
 * model's. A row-major matrix is the column-major view of its transpose, so this is
 * C^T = op(B)^T op(A)^T in column-major terms: the operands swap, the flags stay. */
template <class X>
tg_code gemm_rm(X &x, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                int64_t ldc)
{
    if (M == 0 || N == 0)
        return TG_OK;
    return x.gemm_cm(tb, ta, (int)N, (int)M, (int)K, alpha, B, (int)ldb, A, (int)lda, beta, C,
                     (int)ldc);
}

/* out [rows, width] = each row a copy of v [width] (a bias before a GEMM adds into it). */
template <class X> tg_code broadcast_rows(X &x, const float *v, size_t rows, size_t width, float *out)
{
    return x.each(rows * width, [=] __host__ __device__(size_t i) { out[i] = v[i % width]; });
}

/* out [width] += the column sums of m [rows, width], each column summed in row order. */
template <class X> tg_code add_column_sums(X &x, const float *m, size_t rows, size_t width, float *out)
{
    return x.each(width, [=] __host__ __device__(size_t j) {
        float acc = 0;
        for (size_t r = 0; r < rows; r++)
            acc += m[r * width + j];
        out[j] += acc;
    });
}

/* dst [B, T, W] = src shifted along the T axis of each of the B sequences:
 * dst[b, t] = src[b, t + shift] where 0 <= t + shift < T, else zeros. A convolution tap,
 * or the previous step of a recurrence, as one GEMM over all B T rows. */
template <class X>
tg_code shift_rows(X &x, const float *src, size_t B, int64_t T, size_t W, int64_t shift, float *dst)
{
    return x.each(B * (size_t)T * W, [=] __host__ __device__(size_t i) {
        const int64_t t = (int64_t)((i / W) % (size_t)T), u = t + shift;
        dst[i] = u >= 0 && u < T ? src[i + (size_t)(shift * (int64_t)W)] : 0.0f;
    });
}

/* The next n floats of an activation block being laid out (block NULL: only counts). */
static inline float *take_floats(float *block, size_t *at, size_t n)
{
    float *p = block ? block + *at : NULL;
    *at += n;
    return p;
}

/* The float offset of layout l's tensor of that name, or (size_t)-1. */
static inline size_t tensor_offset(const tg_net_layout *l, const char *name)
{
    for (int k = 0; k < l->n_tensors; k++)
        if (strcmp(l->tensors[k].name, name) == 0)
            return l->tensors[k].offset;
    return (size_t)-1;
}

#endif
