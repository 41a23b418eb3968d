/* cuda_common.cuh - what the CUDA sources of train/ share and nothing else sees: the
 * device context behind mlp_cuda.h's opaque tg_cuda, and the macros that turn every
 * CUDA and cuBLAS status into a tg_error naming the call and file:line (llm.c's
 * cudaCheck, except that we return the error instead of exiting: only main exits).
 * The macros need a `tg_error *e` in scope. */
#ifndef TG_TRAIN_CUDA_COMMON_CUH
#define TG_TRAIN_CUDA_COMMON_CUH

#include "mlp_cuda.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

struct tg_cuda {
    cublasHandle_t blas;
    cudaStream_t stream; /* the compute stream: every kernel and cuBLAS call */
    double *loss_dev;    /* one double: the BCE sum */
    tg_cuda_first_layer first; /* how the first layer's forward runs (mlp_cuda.h) */
    float *tile;         /* TG_CUDA_FIRST_DENSE: [tile_rows, tile_cols], else NULL */
    int32_t tile_rows;
    int64_t tile_cols;
};

#define CUDA_TRY(call)                                                                       \
    do {                                                                                     \
        cudaError_t err_ = (call);                                                           \
        if (err_ != cudaSuccess)                                                             \
            return tg_fail(e, TG_ERR_LIBRARY, "%s:%d: %s: %s", __FILE__, __LINE__, #call,    \
                           cudaGetErrorString(err_));                                        \
    } while (0)

#define CUBLAS_TRY(call)                                                                     \
    do {                                                                                     \
        cublasStatus_t st_ = (call);                                                         \
        if (st_ != CUBLAS_STATUS_SUCCESS)                                                    \
            return tg_fail(e, TG_ERR_LIBRARY, "%s:%d: %s: cuBLAS status %d", __FILE__,       \
                           __LINE__, #call, (int)st_);                                       \
    } while (0)

/* Kernels launched asynchronously report configuration errors only at the next check. */
#define LAUNCH_CHECK() CUDA_TRY(cudaGetLastError())

static const int THREADS = 256;

/* Blocks of THREADS for a grid-stride loop over n elements (at most 65535: the loops
 * stride over the rest). */
static inline unsigned blocks_for(size_t n)
{
    size_t b = (n + THREADS - 1) / THREADS;
    return (unsigned)(b > 65535 ? 65535 : (b ? b : 1));
}

#endif
