/* models_cuda.cuh - what the CUDA backend (net_cuda.cu) needs of a model: the device
 * activations it keeps and its two passes on device memory. models_cuda.cu has one for
 * each kind (the MLP over mlp_cuda.h, the others over their executor-generic passes). */
#ifndef TG_TRAIN_MODELS_CUDA_CUH
#define TG_TRAIN_MODELS_CUDA_CUH

#include "cuda_common.cuh"

extern "C" {
#include "net.h"
}

typedef struct {
    /* floats of device activations for batches of up to max_batch rows (0: none) */
    size_t (*act_floats)(const tg_net_spec *s, int32_t max_batch);
    /* logits [x->rows, genres] on the device, from device parameters and a device batch
     * x (hx: the same batch on the host, whose row offsets a model may need to size its
     * launches); acts holds act_floats floats and keeps what backward needs */
    tg_code (*forward)(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                       const float *params, const tg_csr_batch *x, const tg_csr_batch *hx,
                       float *acts, int32_t max_batch, float *logits, tg_error *e);
    /* adds d loss / d parameters into grads, from dlogits (device) and the forward's acts */
    tg_code (*backward)(tg_cuda *cu, const tg_net_spec *s, const tg_net_layout *l,
                        const float *params, float *grads, const tg_csr_batch *x,
                        const tg_csr_batch *hx, float *acts, int32_t max_batch,
                        const float *dlogits, tg_error *e);
} tg_cuda_model;

/* The CUDA version of a kind, or NULL where there is none. */
const tg_cuda_model *tg_cuda_model_of(tg_net_kind kind);

#endif
