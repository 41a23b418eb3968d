/* factorized_cuda.cuh - the factorized model's passes for the CUDA backend, written once
 * against an executor (cuda_exec.cuh): dev_exec runs them on the GPU, host_exec on the CPU
 * for the test that holds them to net_factorized.c, which defines the model (read its
 * header first: the embedding, the input scale a, the conv or GRU, pooling, the head).
 *
 * The CPU model loops over albums and taps with one small GEMM each; here every GEMM runs
 * over all B T rows of the batch at once, so that the GPU sees a few large calls:
 *   - a conv tap j is shift_rows (each album's rows moved by j - p, zeros where the input
 *     lies outside the album) then one GEMM; its backward shifts dseq the other way;
 *   - the GRU's dW_hh takes h_{t-1} as seq shifted by one step (a zero row at t = 0, whose
 *     product adds nothing, as the CPU's sum from t = 1 does).
 * Element kernels own one output each (an album's channel, a (row, unit) pair), summing
 * in the CPU model's order, so they agree with it to rounding; only dE's adds are atomic
 * (albums share cities).
 * Activations: one float block, fact_cuda_point's layout; argmax's int32s sit in float
 * slots of the same size. */
#ifndef TG_TRAIN_FACTORIZED_CUDA_CUH
#define TG_TRAIN_FACTORIZED_CUDA_CUH

#include "cuda_exec.cuh"
#include "factorized_ops.h"

#include <math.h>

typedef struct {
    float *emb, *demb;       /* [B, T, D] */
    float *seq, *dseq;       /* [B, T, C] */
    int32_t *argmax;         /* [B, C] */
    float *pooled, *dpooled; /* [B, 2C] */
    float *scale;            /* [B] */
    float *scratch;          /* [B, T, max(D, C)]: a shifted copy */
    /* gru only (NULL otherwise) */
    float *gi;               /* [B, T, 3C]; backward: d loss / d gi */
    float *gates;            /* [B, T, 4C] r, z, n, W_hn h_{t-1} + b_hn */
    float *dgh;              /* [B, T, 3C] */
    float *gh;               /* [B, 3C] */
    float *dh;               /* [B, C] */
} fact_cuda_acts;

/* Points a into block (NULL: only counts) for batches of up to B albums; returns the
 * floats the block needs. */
static inline size_t fact_cuda_point(const tg_net_spec *s, size_t B, float *block, fact_cuda_acts *a)
{
    const size_t T = (size_t)s->steps, D = (size_t)s->embed, C = (size_t)s->channels;
    const size_t W = D > C ? D : C;
    size_t at = 0;
#define FACT_PART(count) take_floats(block, &at, (count))
    memset(a, 0, sizeof *a);
    a->emb = FACT_PART(B * T * D);
    a->demb = FACT_PART(B * T * D);
    a->seq = FACT_PART(B * T * C);
    a->dseq = FACT_PART(B * T * C);
    a->argmax = (int32_t *)FACT_PART(B * C); /* sizeof(int32_t) == sizeof(float) */
    a->pooled = FACT_PART(B * 2 * C);
    a->dpooled = FACT_PART(B * 2 * C);
    a->scale = FACT_PART(B);
    a->scratch = FACT_PART(B * T * W);
    if (s->temporal == TG_TEMPORAL_GRU) {
        a->gi = FACT_PART(B * T * 3 * C);
        a->gates = FACT_PART(B * T * 4 * C);
        a->dgh = FACT_PART(B * T * 3 * C);
        a->gh = FACT_PART(B * 3 * C);
        a->dh = FACT_PART(B * C);
    }
#undef FACT_PART
    return at;
}

/* The parameters (or gradients) of a block, by layout l's names. */
typedef struct {
    float *E, *W_conv, *b_conv, *W_ih, *W_hh, *b_ih, *b_hh, *W_out, *b_out;
} fact_cuda_tensors;

static inline fact_cuda_tensors fact_cuda_tensors_of(const tg_net_layout *l, const float *block)
{
    float *b = (float *)block;
    const char *names[9] = {"E", "W_conv", "b_conv", "W_ih", "W_hh", "b_ih", "b_hh", "W_out",
                            "b_out"};
    float **slot[9];
    fact_cuda_tensors t;
    slot[0] = &t.E, slot[1] = &t.W_conv, slot[2] = &t.b_conv, slot[3] = &t.W_ih;
    slot[4] = &t.W_hh, slot[5] = &t.b_ih, slot[6] = &t.b_hh, slot[7] = &t.W_out;
    slot[8] = &t.b_out;
    for (int k = 0; k < 9; k++) {
        size_t off = tensor_offset(l, names[k]);
        *slot[k] = off == (size_t)-1 ? NULL : b + off;
    }
    return t;
}

/* emb [B, T, D] and scale [B] from the CSR batch (device pointers on dev_exec). */
template <class X>
tg_code fact_embed_forward(X &x, const tg_net_spec *s, const float *E, const tg_csr_batch *xb,
                           fact_cuda_acts *a)
{
    const size_t B = (size_t)xb->rows, T = (size_t)s->steps, D = (size_t)s->embed;
    const size_t cities = (size_t)s->cities;
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values;
    const double c = tg_fact_input_gain(s);
    const bool reversed = s->temporal == TG_TEMPORAL_GRU; /* the GRU reads from the end */
    float *scale = a->scale, *emb = a->emb;
    EXEC_TRY(x.each(B, [=] __host__ __device__(size_t b) {
        scale[b] = tg_fact_input_scale(values, indptr[b], indptr[b + 1], (int64_t)T, c);
    }));
    EXEC_TRY(x.zero(emb, B * T * D));
    return x.each(B * D, [=] __host__ __device__(size_t i) {
        const size_t b = i / D, j = i % D;
        const float sc = scale[b];
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++) {
            const size_t col = (size_t)indices[k], step = col / cities, city = col % cities;
            const size_t row = reversed ? T - 1 - step : step;
            emb[(b * T + row) * D + j] += (sc * values[k]) * E[city * D + j];
        }
    });
}

/* dE[city, :] += a x demb[b, row of the step, :] for the batch's entries. */
template <class X>
tg_code fact_embed_backward(X &x, const tg_net_spec *s, float *dE, const tg_csr_batch *xb,
                            const fact_cuda_acts *a)
{
    const size_t B = (size_t)xb->rows, T = (size_t)s->steps, D = (size_t)s->embed;
    const size_t cities = (size_t)s->cities;
    const int64_t *indptr = xb->indptr;
    const int32_t *indices = xb->indices;
    const float *values = xb->values, *scale = a->scale, *demb = a->demb;
    const bool reversed = s->temporal == TG_TEMPORAL_GRU;
    return x.each(B * D, [=] __host__ __device__(size_t i) {
        const size_t b = i / D, j = i % D;
        const float sc = scale[b];
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++) {
            const size_t col = (size_t)indices[k], step = col / cities, city = col % cities;
            const size_t row = reversed ? T - 1 - step : step;
            add_to(&dE[city * D + j], (sc * values[k]) * demb[(b * T + row) * D + j]);
        }
    });
}

/* seq = relu(b_conv + sum_j shift(emb, j - p) W_conv[j]) */
template <class X>
tg_code fact_conv_forward(X &x, const tg_net_spec *s, const fact_cuda_tensors *p, size_t B,
                          fact_cuda_acts *a)
{
    const int64_t T = s->steps, D = s->embed, C = s->channels, K = s->kernel;
    const size_t BT = B * (size_t)T;
    float *seq = a->seq;
    EXEC_TRY(broadcast_rows(x, p->b_conv, BT, (size_t)C, seq));
    for (int64_t j = 0; j < K; j++) {
        const int64_t shift = j - (K - 1) / 2;
        if (shift >= T || -shift >= T)
            continue; /* the tap sees only padding */
        EXEC_TRY(shift_rows(x, a->emb, B, T, (size_t)D, shift, a->scratch));
        EXEC_TRY(gemm_rm(x, false, false, (int64_t)BT, C, D, 1.0f, a->scratch, D,
                         p->W_conv + j * D * C, C, 1.0f, seq, C));
    }
    return x.each(BT * (size_t)C, [=] __host__ __device__(size_t i) {
        seq[i] = seq[i] > 0 ? seq[i] : 0;
    });
}

/* From dseq (d loss / d relu output, turned into d loss / d pre-activation in place): adds
 * into dW_conv and db_conv, writes demb. */
template <class X>
tg_code fact_conv_backward(X &x, const tg_net_spec *s, const fact_cuda_tensors *p,
                           const fact_cuda_tensors *g, size_t B, fact_cuda_acts *a)
{
    const int64_t T = s->steps, D = s->embed, C = s->channels, K = s->kernel;
    const size_t BT = B * (size_t)T;
    const float *seq = a->seq;
    float *dseq = a->dseq;
    EXEC_TRY(x.each(BT * (size_t)C, [=] __host__ __device__(size_t i) {
        if (seq[i] <= 0)
            dseq[i] = 0;
    }));
    EXEC_TRY(add_column_sums(x, dseq, BT, (size_t)C, g->b_conv));
    EXEC_TRY(x.zero(a->demb, BT * (size_t)D));
    for (int64_t j = 0; j < K; j++) {
        const int64_t shift = j - (K - 1) / 2;
        if (shift >= T || -shift >= T)
            continue;
        /* dW_conv[j] [D, C] += shift(emb)^T dseq */
        EXEC_TRY(shift_rows(x, a->emb, B, T, (size_t)D, shift, a->scratch));
        EXEC_TRY(gemm_rm(x, true, false, D, C, (int64_t)BT, 1.0f, a->scratch, D, dseq, C, 1.0f,
                         g->W_conv + j * D * C, C));
        /* demb[t + shift] += dseq[t] W_conv[j]^T, i.e. demb += shift(dseq, -shift) W^T */
        EXEC_TRY(shift_rows(x, dseq, B, T, (size_t)C, -shift, a->scratch));
        EXEC_TRY(gemm_rm(x, false, true, (int64_t)BT, D, C, 1.0f, a->scratch, C,
                         p->W_conv + j * D * C, C, 1.0f, a->demb, D));
    }
    return TG_OK;
}

/* torch.nn.GRU over the steps (net_factorized.c's gru_forward, gates r, z, n). */
template <class X>
tg_code fact_gru_forward(X &x, const tg_net_spec *s, const fact_cuda_tensors *p, size_t B,
                         fact_cuda_acts *a)
{
    const int64_t T = s->steps, D = s->embed, H = s->channels;
    const size_t BT = B * (size_t)T;
    EXEC_TRY(broadcast_rows(x, p->b_ih, BT, 3 * (size_t)H, a->gi));
    EXEC_TRY(gemm_rm(x, false, true, (int64_t)BT, 3 * H, D, 1.0f, a->emb, D, p->W_ih, D, 1.0f,
                     a->gi, 3 * H));
    const float *gi = a->gi, *gh = a->gh;
    float *gates = a->gates, *seq = a->seq;
    for (int64_t t = 0; t < T; t++) {
        EXEC_TRY(broadcast_rows(x, p->b_hh, B, 3 * (size_t)H, a->gh));
        /* gh [B, 3H] += h_{t-1} W_hh^T; album b's h_{t-1} is seq[b, t-1], rows T H apart */
        if (t > 0)
            EXEC_TRY(gemm_rm(x, false, true, (int64_t)B, 3 * H, H, 1.0f, seq + (t - 1) * H, T * H,
                             p->W_hh, H, 1.0f, a->gh, 3 * H));
        EXEC_TRY(x.each(B * (size_t)H, [=] __host__ __device__(size_t i) {
            const size_t b = i / (size_t)H, j = i % (size_t)H, bt = b * (size_t)T + (size_t)t;
            const float prev = t > 0 ? seq[(bt - 1) * H + j] : 0.0f;
            seq[bt * H + j] = tg_gru_unit_forward(gi + bt * 3 * H, gh + b * 3 * H, H, (int64_t)j,
                                                  prev, gates + bt * 4 * H);
        }));
    }
    return TG_OK;
}

/* Back-propagation through time from dseq (net_factorized.c's gru_backward). */
template <class X>
tg_code fact_gru_backward(X &x, const tg_net_spec *s, const fact_cuda_tensors *p,
                          const fact_cuda_tensors *g, size_t B, fact_cuda_acts *a)
{
    const int64_t T = s->steps, D = s->embed, H = s->channels;
    const size_t BT = B * (size_t)T;
    float *dgi = a->gi; /* the forward's gi is not needed any more */
    float *dgh = a->dgh, *dh = a->dh;
    const float *gates = a->gates, *seq = a->seq, *dseq = a->dseq;
    EXEC_TRY(x.zero(dh, B * (size_t)H));
    for (int64_t t = T - 1; t >= 0; t--) {
        EXEC_TRY(x.each(B * (size_t)H, [=] __host__ __device__(size_t i) {
            const size_t b = i / (size_t)H, j = i % (size_t)H, bt = b * (size_t)T + (size_t)t;
            const float prev = t > 0 ? seq[(bt - 1) * H + j] : 0.0f;
            dh[b * H + j] = tg_gru_unit_backward(gates + bt * 4 * H, H, (int64_t)j, prev,
                                                 dseq[bt * H + j] + dh[b * H + j],
                                                 dgi + bt * 3 * H, dgh + bt * 3 * H);
        }));
        /* dh_{t-1} [B, H] += dgh_t W_hh */
        if (t > 0)
            EXEC_TRY(gemm_rm(x, false, false, (int64_t)B, H, 3 * H, 1.0f, dgh + t * 3 * H,
                             T * 3 * H, p->W_hh, H, 1.0f, dh, H));
    }
    /* dW_hh [3H, H] += dgh^T h_prev, h_prev = seq one step later (zeros at t = 0) */
    EXEC_TRY(shift_rows(x, seq, B, T, (size_t)H, -1, a->scratch));
    EXEC_TRY(gemm_rm(x, true, false, 3 * H, H, (int64_t)BT, 1.0f, dgh, 3 * H, a->scratch, H, 1.0f,
                     g->W_hh, H));
    EXEC_TRY(add_column_sums(x, dgh, BT, 3 * (size_t)H, g->b_hh));
    EXEC_TRY(add_column_sums(x, dgi, BT, 3 * (size_t)H, g->b_ih));
    EXEC_TRY(gemm_rm(x, true, false, 3 * H, D, (int64_t)BT, 1.0f, dgi, 3 * H, a->emb, D, 1.0f,
                     g->W_ih, D));
    return gemm_rm(x, false, false, (int64_t)BT, D, 3 * H, 1.0f, dgi, 3 * H, p->W_ih, D, 0.0f,
                   a->demb, D);
}

/* logits [B, G] (device) of batch xb; keeps what backward needs in a. */
template <class X>
tg_code fact_cuda_forward(X &x, const tg_net_spec *s, const tg_net_layout *l, const float *params,
                          const tg_csr_batch *xb, fact_cuda_acts *a, float *logits)
{
    const fact_cuda_tensors p = fact_cuda_tensors_of(l, params);
    const size_t B = (size_t)xb->rows, T = (size_t)s->steps, C = (size_t)s->channels;
    const size_t G = (size_t)s->genres;
    if (B == 0)
        return TG_OK;
    EXEC_TRY(fact_embed_forward(x, s, p.E, xb, a));
    if (s->temporal == TG_TEMPORAL_GRU)
        EXEC_TRY(fact_gru_forward(x, s, &p, B, a));
    else
        EXEC_TRY(fact_conv_forward(x, s, &p, B, a));
    const float gain = s->temporal == TG_TEMPORAL_GRU ? TG_GRU_HEAD_GAIN : 1.0f;
    const float *seq = a->seq;
    float *pooled = a->pooled;
    int32_t *argmax = a->argmax;
    EXEC_TRY(x.each(B * C, [=] __host__ __device__(size_t i) {
        const size_t b = i / C, o = i % C;
        argmax[i] = tg_fact_pool_channel(seq + b * T * C, (int64_t)T, (int64_t)C, (int64_t)o,
                                         gain, pooled + b * 2 * C);
    }));
    EXEC_TRY(broadcast_rows(x, p.b_out, B, G, logits));
    return gemm_rm(x, false, false, (int64_t)B, (int64_t)G, 2 * (int64_t)C, 1.0f, pooled,
                   2 * (int64_t)C, p.W_out, (int64_t)G, 1.0f, logits, (int64_t)G);
}

/* Adds d loss / d parameters into grads from dlogits [B, G] (device), after a forward
 * on the same xb. */
template <class X>
tg_code fact_cuda_backward(X &x, const tg_net_spec *s, const tg_net_layout *l,
                           const float *params, float *grads, const tg_csr_batch *xb,
                           fact_cuda_acts *a, const float *dlogits)
{
    const fact_cuda_tensors p = fact_cuda_tensors_of(l, params), g = fact_cuda_tensors_of(l, grads);
    const size_t B = (size_t)xb->rows, T = (size_t)s->steps, C = (size_t)s->channels;
    const int64_t G = s->genres, C2 = 2 * s->channels;
    if (B == 0)
        return TG_OK;
    EXEC_TRY(gemm_rm(x, true, false, C2, G, (int64_t)B, 1.0f, a->pooled, C2, dlogits, G, 1.0f,
                     g.W_out, G));
    EXEC_TRY(add_column_sums(x, dlogits, B, (size_t)G, g.b_out));
    EXEC_TRY(gemm_rm(x, false, true, (int64_t)B, C2, G, 1.0f, dlogits, G, p.W_out, G, 0.0f,
                     a->dpooled, C2));
    /* the mean spreads its gradient over every step; the max sends its own to its step */
    const float gain = s->temporal == TG_TEMPORAL_GRU ? TG_GRU_HEAD_GAIN : 1.0f;
    const float *dpooled = a->dpooled;
    const int32_t *argmax = a->argmax;
    float *dseq = a->dseq;
    EXEC_TRY(x.each(B * T * C, [=] __host__ __device__(size_t i) {
        const size_t b = i / (T * C), t = (i / C) % T, o = i % C;
        const float *df = dpooled + b * 2 * C;
        float d = gain * df[o] / (float)T;
        if ((size_t)argmax[b * C + o] == t)
            d += gain * df[C + o];
        dseq[i] = d;
    }));
    if (s->temporal == TG_TEMPORAL_GRU)
        EXEC_TRY(fact_gru_backward(x, s, &p, &g, B, a));
    else
        EXEC_TRY(fact_conv_backward(x, s, &p, &g, B, a));
    return fact_embed_backward(x, s, g.E, xb, a);
}

#endif
