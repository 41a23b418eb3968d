/* mlp_cuda.h - the CUDA implementation of mlp.h's operations, entry by entry and with
 * the same semantics (mlp.h is the definition), on device memory: tensors, batches and
 * activations passed here hold device pointers. Built only when meson finds nvcc and
 * cuBLAS (feature option `cuda`); every CUDA and cuBLAS status becomes a tg_error that
 * names the call and file:line. */
#ifndef TG_TRAIN_MLP_CUDA_H
#define TG_TRAIN_MLP_CUDA_H

#ifdef __cplusplus
extern "C" { /* the project's headers are C; this one is included from C and CUDA C++ */
#endif

#include "error.h"
#include "mlp.h"

typedef struct tg_cuda tg_cuda;

/* How the first layer's forward (h_pre = X W1 + b1, X a CSR batch) runs. Which is faster
 * is an open question until it is measured on a GPU (bench/train_gpu_bench.sh):
 *   CSR   one element per (batch row, hidden unit) sums values[k] * W1[indices[k], unit]
 *         (a warp reads a W1 row together), reading only the W1 rows the batch
 *         touches (nnz x hidden floats): no work on zeros;
 *   DENSE scatters the batch into a zeroed tile [B, inputs] and runs cublasSgemm over
 *         all of W1 (inputs x hidden floats read, however sparse the batch), which
 *         tensor-core-free SGEMM still does near peak bandwidth.
 * The backward pass is the CSR kernel in both cases: a dense dW1 = X^T dh would write
 * every one of W1's inputs x hidden gradients each step. Both give the same values up to
 * summation order. */
typedef enum { TG_CUDA_FIRST_CSR = 0, TG_CUDA_FIRST_DENSE } tg_cuda_first_layer;
extern const char *const tg_cuda_first_layer_names[]; /* "csr", "dense", NULL */

/* Opens device 0 with a cuBLAS handle and a compute stream. TG_ERR_LIBRARY with the
 * CUDA runtime's reason when no usable device is present. */
tg_code tg_cuda_open(tg_cuda **c, tg_error *e);
void tg_cuda_close(tg_cuda *c);

/* Free and total device memory, for the trainer's "does it fit" check. */
tg_code tg_cuda_mem_info(tg_cuda *c, size_t *free_bytes, size_t *total_bytes, tg_error *e);

/* The device's name (cut to size) and its nominal memory bandwidth in bytes/s (2 x
 * memory clock x bus width: double data rate), for the bench's "fraction of peak". */
tg_code tg_cuda_device_info(tg_cuda *c, char *name, size_t size, double *peak_bytes_per_s,
                            tg_error *e);

/* Chooses the first layer's forward (default CSR). DENSE allocates the tile for batches
 * of up to max_batch rows of inputs columns (max_batch x inputs floats); on failure the
 * choice is left as it was. */
tg_code tg_cuda_set_first_layer(tg_cuda *c, tg_cuda_first_layer how, int32_t max_batch,
                                int64_t inputs, tg_error *e);

/* Waits for everything queued on the compute stream; reports the first asynchronous
 * error of the kernels queued before it. */
tg_code tg_cuda_sync(tg_cuda *c, tg_error *e);

tg_code tg_cuda_malloc(tg_cuda *c, void **p, size_t bytes, tg_error *e);
void tg_cuda_free(tg_cuda *c, void *p);
/* Synchronous copies (the batches' asynchronous path is net_cuda.cu's). */
tg_code tg_cuda_to_device(tg_cuda *c, void *dst, const void *src, size_t bytes, tg_error *e);
tg_code tg_cuda_to_host(tg_cuda *c, void *dst, const void *src, size_t bytes, tg_error *e);
tg_code tg_cuda_memset0(tg_cuda *c, void *p, size_t bytes, tg_error *e);

/* The operations of mlp.h, in its order. tg_cuda_mlp_bce writes the loss to *loss
 * (it waits for the stream); the others are queued on the compute stream. */
tg_code tg_cuda_mlp_forward(tg_cuda *c, const tg_mlp_tensors *p, const tg_mlp_shape *s,
                            const tg_csr_batch *x, tg_mlp_acts *a, tg_error *e);
tg_code tg_cuda_mlp_bce(tg_cuda *c, const float *logits, const uint8_t *y, int32_t B, int64_t G,
                        const float *pos_weight, const float *sample_weight, float *dlogits,
                        double *loss, tg_error *e);
tg_code tg_cuda_mlp_backward(tg_cuda *c, const tg_mlp_tensors *p, const tg_mlp_tensors *g,
                             const tg_mlp_shape *s, const tg_csr_batch *x, tg_mlp_acts *a,
                             tg_error *e);
tg_code tg_cuda_mlp_zero_grad(tg_cuda *c, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                              const tg_csr_batch *x, tg_error *e);
/* One fused kernel; with zero_grad it also zeroes grad as it goes (one pass over the
 * blocks instead of two: 32 bytes moved a parameter, 28 without). */
tg_code tg_cuda_adam_step(tg_cuda *c, const tg_adam *opt, int64_t t, float *param,
                          float *grad, float *m, float *v, size_t n, int zero_grad,
                          tg_error *e);

#ifdef __cplusplus
}
#endif

#endif
