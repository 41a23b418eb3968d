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

/* Opens device 0 with a cuBLAS handle and a compute stream. TG_ERR_LIBRARY with the
 * CUDA runtime's reason when no usable device is present. */
tg_code tg_cuda_open(tg_cuda **c, tg_error *e);
void tg_cuda_close(tg_cuda *c);

/* Free and total device memory, for the trainer's "does it fit" check. */
tg_code tg_cuda_mem_info(tg_cuda *c, size_t *free_bytes, size_t *total_bytes, tg_error *e);

tg_code tg_cuda_malloc(tg_cuda *c, void **p, size_t bytes, tg_error *e);
void tg_cuda_free(tg_cuda *c, void *p);
/* Synchronous copies (the loader's asynchronous path comes with it). */
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
tg_code tg_cuda_adam_step(tg_cuda *c, const tg_adam *opt, int64_t t, float *param,
                          const float *grad, float *m, float *v, size_t n, tg_error *e);

#ifdef __cplusplus
}
#endif

#endif
