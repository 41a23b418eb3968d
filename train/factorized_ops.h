/* factorized_ops.h - the factorized model's per-element arithmetic, written once for its
 * CPU passes (net_factorized.c) and its CUDA passes (factorized_cuda.cuh, where nvcc
 * compiles it for host and device): an album's input scale, the GRU's unit step forward
 * and backward, and the pooling of one channel. net_factorized.c's opening comment
 * defines the model. */
#ifndef TG_TRAIN_FACTORIZED_OPS_H
#define TG_TRAIN_FACTORIZED_OPS_H

#ifdef __cplusplus
extern "C" {
#endif
#include "net.h"
#ifdef __cplusplus
}
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define TG_HD __host__ __device__
#else
#define TG_HD
#endif

/* c of the input scale a = c log1p(m) / m, or 0 where the input is not scaled (a conv
 * model of conv_version 1, trained before the scale). */
static inline double tg_fact_input_gain(const tg_net_spec *s)
{
    if (s->temporal == TG_TEMPORAL_GRU)
        return 1.0;
    return s->conv_version >= 2 ? TG_CONV_INPUT_GAIN : 0.0;
}

/* a = c log1p(m) / m of an album whose entries are values[lo .. hi), m its total over
 * steps; 1 where c is 0 (the input is not scaled) or the album is empty. m is summed in
 * double, in entry order. */
static inline TG_HD float tg_fact_input_scale(const float *values, int64_t lo, int64_t hi,
                                              int64_t steps, double c)
{
    if (c <= 0)
        return 1.0f;
    double m = 0;
    for (int64_t k = lo; k < hi; k++)
        m += values[k];
    m /= (double)steps;
    return m > 0 ? (float)(c * log1p(m) / m) : 1.0f;
}

static inline TG_HD float tg_fact_sigmoid(float a)
{
    return 1.0f / (1.0f + expf(-a));
}

/* Unit j of torch.nn.GRU's step (gates r, z, n): gi and gh the step's 3H pre-activations
 * of the input side (W_ih e + b_ih) and the hidden side (W_hh h_{t-1} + b_hh), prev
 * h_{t-1}[j]. Keeps r, z, n and W_hn h + b_hn in gates[j], [H + j], [2H + j], [3H + j]
 * for the backward; returns h_t[j]. */
static inline TG_HD float tg_gru_unit_forward(const float *gi, const float *gh, int64_t H,
                                              int64_t j, float prev, float *gates)
{
    float r = tg_fact_sigmoid(gi[j] + gh[j]);
    float z = tg_fact_sigmoid(gi[H + j] + gh[H + j]);
    float hn = gh[2 * H + j];
    float n = tanhf(gi[2 * H + j] + r * hn);
    gates[j] = r, gates[H + j] = z, gates[2 * H + j] = n, gates[3 * H + j] = hn;
    return (1.0f - z) * n + z * prev;
}

/* Its backward for unit j from d = d loss / d h_t[j] (the pooling's and the next step's):
 * writes the gradients of the three input-side and hidden-side pre-activations into
 * di[j, H + j, 2H + j] and dg[...]; returns the direct part of d loss / d h_{t-1}[j]
 * (W_hh's part is a GEMM over the batch). */
static inline TG_HD float tg_gru_unit_backward(const float *gates, int64_t H, int64_t j,
                                               float prev, float d, float *di, float *dg)
{
    float r = gates[j], z = gates[H + j], n = gates[2 * H + j], hn = gates[3 * H + j];
    float dn = d * (1.0f - z) * (1.0f - n * n); /* through tanh */
    float dz = d * (prev - n) * z * (1.0f - z);
    float dr = dn * hn * r * (1.0f - r);
    di[j] = dr, di[H + j] = dz, di[2 * H + j] = dn;
    dg[j] = dr, dg[H + j] = dz, dg[2 * H + j] = dn * r;
    return d * z;
}

/* Channel o of an album's temporal outputs y [T, C]: f[o] = gain x mean over t, f[C + o] =
 * gain x max; returns the first step of the maximum (its gradient's way back). */
static inline TG_HD int32_t tg_fact_pool_channel(const float *y, int64_t T, int64_t C,
                                                 int64_t o, float gain, float *f)
{
    float sum = 0, best = y[o];
    int32_t at = 0;
    for (int64_t t = 0; t < T; t++) {
        float v = y[t * C + o];
        sum += v;
        if (v > best)
            best = v, at = (int32_t)t;
    }
    f[o] = gain * (sum / (float)T);
    f[C + o] = gain * best;
    return at;
}

#endif
