/* net_factorized.c - the factorized model as a CPU model of net.h: a city embedding
 * shared by every step, a temporal model over the steps (convolution or GRU), pooling
 * over time, and a linear layer to the genres. Its size does not depend on steps.
 *
 * For an album x [steps, cities] (a CSR row, column = step * cities + city), with
 * T = steps, D = embed, C = channels, K = kernel, G = genres:
 *   e_s   = sum_c x[s, c] E[c, :]                         [T, D]  straight from the row
 *   a     = c log1p(m) / m                                [1]     m = sum_s,c x[s, c] / T;
 *                                                                 conv: c = 10
 *                                                                 (TG_CONV_INPUT_GAIN), a = 1
 *                                                                 if conv_version 1; gru: c = 1
 *   conv: y_t = relu(b_conv + sum_j W_conv[j] a e_{t+j-p}) [T, C] p = (K-1)/2, zero outside
 *         f   = [mean_t y_t, max_t y_t]                   [2C]
 *   gru:  u_t = a e_{T-1-t}                               [T, D]
 *         y_t = h_t of nn.GRU(D, C) over u_0 .. u_{T-1}   [T, C]  h_{-1} = 0
 *         f   = g [mean_t y_t, max_t y_t]                 [2C]    g = TG_GRU_HEAD_GAIN (10)
 *   logits = f W_out + b_out                              [G]
 * Parameters, one float32 block in this order:
 *   E [cities, D]; conv: W_conv [K, D, C], b_conv [C]; gru: W_ih [3C, D], W_hh [3C, C],
 *   b_ih [3C], b_hh [3C] (nn.GRU's weight_ih_l0 ... bias_hh_l0, gates r, z, n);
 *   W_out [2C, G], b_out [G].
 * W_conv is PyTorch's Conv1d weight [C, D, K] transposed to [K, D, C] (W_conv[j, i, o] =
 * weight[o, i, j]) so that each tap j is one GEMM over an album's shifted rows. p is
 * PyTorch's padding='same' (left (K-1)/2, right the rest, also for even K).
 *
 * Why the GRU's input and head are scaled (issue 10; measured on the demo store, nbSteps 28,
 * 10 epochs, seeds 1-3, README's train section has the table): the GRU's outputs lie in
 * (-1, 1), and Adam moves each W_out weight by about lr a step, so the logits could only
 * grow slowly; training instead drove the GRU's units into saturation (58 % of |n| > 0.95
 * after 3 epochs, none at the start: the inputs were small, not too large) and the temporal
 * model stopped learning (test MAP 0.19). g = 10 removes the saturation (2 %); the conv
 * with tanh in place of ReLU shows the same, 0.35 at g = 1 and 0.54 at 10. Then dividing an
 * album by its mean step total m makes its input the shape of its listening over steps and
 * cities, comparable across albums whose popularity spans a factor 10 (log1p(m) keeps that
 * level, compressed): with raw counts 0.34 -> 0.51. Reading the album from its last step
 * back to its release adds 0.07 (0.58): the release's steps, the loudest, are then read
 * with the rest of the album already in the state, as the conv's wide window sees it. None
 * of it changes nn.GRU itself: W_ih, W_hh, b_ih, b_hh mean what they mean in PyTorch.
 *
 * Why the conv's input is scaled too, by 10 log1p(m) / m (conv_version 2, 2026-12-03;
 * demo store, 30 epochs, seeds 1-3, README's train section has the table): at nbSteps
 * 28 with raw counts test MAP goes from 0.606, 0.702, 0.668 to 0.719, 0.725, 0.726, above
 * the unscaled conv's best (log1p: 0.654, 0.697, 0.629); with log1p the scale is level
 * (0.660 -> 0.668 on average, seed 2 lower). c = 1 and 3 gave 0.720 and 0.722 with raw
 * counts; 10 was best with both transforms. It costs at nbSteps 1, where an album has no
 * shape over time and the scale leaves it its cities' shares and a compressed level:
 * 0.272 -> 0.168 (raw), 0.237 -> 0.207 (log1p); and at 358 with log1p, 0.526 -> 0.489
 * (with raw counts 0.459 -> 0.492); there train --conv-version 1 trains it unscaled. A
 * model trained before (no conv_version in model.h5) is read unscaled, as it was trained:
 * its weights are right for that.
 *
 * Why mean and max: the mean is the album's average level in each channel (what a
 * linear model over the steps sums), but at 358 steps it divides a two-week burst by
 * 358; the max keeps the burst at full height wherever it falls. Both together cost
 * C more weights in W_out. Measured on the demo store (kernel 31, 10 epochs): test MAP
 * 0.18 with the mean alone at nbSteps 358, 0.41 with both; 0.41 and 0.48 at 28. */
#include "factorized_ops.h"
#include "net.h"

#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Pointers into a block (parameters or gradients); the temporal model's unused ones
 * are NULL. */
typedef struct {
    float *E, *W_conv, *b_conv, *W_ih, *W_hh, *b_ih, *b_hh, *W_out, *b_out;
} fact_tensors;

static void fact_point(const tg_net_spec *s, float *block, fact_tensors *t)
{
    const size_t D = (size_t)s->embed, C = (size_t)s->channels, G = (size_t)s->genres;
    memset(t, 0, sizeof *t);
    float *p = block;
    t->E = p, p += (size_t)s->cities * D;
    if (s->temporal == TG_TEMPORAL_GRU) {
        t->W_ih = p, p += 3 * C * D;
        t->W_hh = p, p += 3 * C * C;
        t->b_ih = p, p += 3 * C;
        t->b_hh = p, p += 3 * C;
    } else {
        t->W_conv = p, p += (size_t)s->kernel * D * C;
        t->b_conv = p, p += C;
    }
    t->W_out = p, p += 2 * C * G;
    t->b_out = p;
}

static tg_code fact_layout(const tg_net_spec *s, int32_t batch, tg_net_layout *l, tg_error *e)
{
    if (s->embed < 1 || s->channels < 1 || s->kernel < 1)
        return tg_fail(e, TG_ERR_USAGE, "the factorized model needs --embed, "
                       "--channels and --kernel >= 1");
    const int64_t D = s->embed, C = s->channels, G = s->genres;
    int64_t dE[2] = {s->cities, D}, dout[2] = {2 * C, G}, c3 = 3 * C;
    tg_code rc = tg_net_layout_add(l, "E", 2, dE, e);
    if (s->temporal == TG_TEMPORAL_GRU) {
        int64_t dih[2] = {3 * C, D}, dhh[2] = {3 * C, C};
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "W_ih", 2, dih, e);
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "W_hh", 2, dhh, e);
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "b_ih", 1, &c3, e);
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "b_hh", 1, &c3, e);
    } else {
        int64_t dW[3] = {s->kernel, D, C};
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "W_conv", 3, dW, e);
        if (rc == TG_OK)
            rc = tg_net_layout_add(l, "b_conv", 1, &C, e);
    }
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "W_out", 2, dout, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b_out", 1, &G, e);
    /* what fact_acts_alloc takes, in floats per album (argmax counted as a float) */
    uint64_t T = (uint64_t)s->steps;
    uint64_t per = 2 * T * (uint64_t)D + 2 * T * (uint64_t)C + 5 * (uint64_t)C + 1;
    if (s->temporal == TG_TEMPORAL_GRU)
        per += 10 * T * (uint64_t)C + 4 * (uint64_t)C;
    l->act_bytes = (uint64_t)batch * per * sizeof(float);
    return rc;
}

static void uniform_fill(tg_rng *r, float *x, size_t n, double fan_in)
{
    const double bound = 1.0 / sqrt(fan_in);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2.0 * tg_rng_uniform(r) - 1.0) * bound);
}

/* PyTorch's defaults, uniform in +-1/sqrt(fan_in): nn.Conv1d (fan_in D x K) for W_conv
 * and b_conv, nn.GRU (+-1/sqrt(hidden) for all four) and nn.Linear (fan_in 2C) for the
 * head. E follows nn.Linear(cities, D, bias=False), which it is applied to each step,
 * rather than nn.Embedding's N(0, 1): a step sums many counts of raw listeners, and unit
 * weights would start the temporal model far in its saturated range. */
static void fact_init(const tg_net_spec *s, const tg_net_layout *l, float *params,
                      uint64_t seed)
{
    (void)l;
    tg_rng r;
    tg_rng_seed(&r, seed, 0x46414354, 0); /* "FACT" */
    fact_tensors p;
    fact_point(s, params, &p);
    const size_t D = (size_t)s->embed, C = (size_t)s->channels, G = (size_t)s->genres;
    uniform_fill(&r, p.E, (size_t)s->cities * D, (double)s->cities);
    if (s->temporal == TG_TEMPORAL_GRU) {
        uniform_fill(&r, p.W_ih, 3 * C * D, (double)C);
        uniform_fill(&r, p.W_hh, 3 * C * C, (double)C);
        uniform_fill(&r, p.b_ih, 3 * C, (double)C);
        uniform_fill(&r, p.b_hh, 3 * C, (double)C);
    } else {
        uniform_fill(&r, p.W_conv, (size_t)s->kernel * D * C, (double)(D * (size_t)s->kernel));
        uniform_fill(&r, p.b_conv, C, (double)(D * (size_t)s->kernel));
    }
    uniform_fill(&r, p.W_out, 2 * C * G, (double)(2 * C));
    uniform_fill(&r, p.b_out, G, (double)(2 * C));
}

/* Activations of a batch of B albums (T steps each), album-major. */
typedef struct {
    float *emb, *demb;    /* [B, T, D] the steps' embeddings e_s and d loss / d e_s */
    float *seq, *dseq;    /* [B, T, C] temporal outputs y_t (conv: after ReLU) and grads */
    int32_t *argmax;      /* [B, C] the first step of each channel's maximum */
    float *pooled, *dpooled; /* [B, 2C] f = [mean, max] and d loss / d f */
    /* gru only */
    float *gi;            /* [B, T, 3C] W_ih e_t + b_ih; backward reuses it for the
                             gradients of those pre-activations */
    float *gates;         /* [B, T, 4C] r, z, n and W_hn h_{t-1} + b_hn of each step */
    float *dgh;           /* [B, T, 3C] gradients of W_hh h_{t-1} + b_hh */
    float *gh;            /* [B, 3C] W_hh h_{t-1} + b_hh of the current step */
    float *dh;            /* [B, C] d loss / d h_{t-1} carried back through time */
    float *scale;         /* [B] each album's input scale a (1 where it is not scaled) */
} fact_acts;

static void fact_acts_free(void *acts)
{
    fact_acts *a = acts;
    if (a == NULL)
        return;
    free(a->emb), free(a->demb), free(a->seq), free(a->dseq), free(a->argmax);
    free(a->pooled), free(a->dpooled), free(a->gi), free(a->gates), free(a->dgh);
    free(a->gh), free(a->dh), free(a->scale);
    free(a);
}

static tg_code fact_acts_alloc(const tg_net_spec *s, int32_t max_batch, void **acts,
                               tg_error *e)
{
    *acts = NULL;
    fact_acts *a = calloc(1, sizeof *a);
    if (a == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    const size_t B = (size_t)max_batch, T = (size_t)s->steps, D = (size_t)s->embed;
    const size_t C = (size_t)s->channels;
    int ok = (a->emb = malloc(B * T * D * sizeof(float))) != NULL &&
             (a->demb = malloc(B * T * D * sizeof(float))) != NULL &&
             (a->seq = malloc(B * T * C * sizeof(float))) != NULL &&
             (a->dseq = malloc(B * T * C * sizeof(float))) != NULL &&
             (a->argmax = malloc(B * C * sizeof(int32_t))) != NULL &&
             (a->pooled = malloc(B * 2 * C * sizeof(float))) != NULL &&
             (a->dpooled = malloc(B * 2 * C * sizeof(float))) != NULL &&
             (a->scale = malloc(B * sizeof(float))) != NULL;
    if (ok && s->temporal == TG_TEMPORAL_GRU)
        ok = (a->gi = malloc(B * T * 3 * C * sizeof(float))) != NULL &&
             (a->gates = malloc(B * T * 4 * C * sizeof(float))) != NULL &&
             (a->dgh = malloc(B * T * 3 * C * sizeof(float))) != NULL &&
             (a->gh = malloc(B * 3 * C * sizeof(float))) != NULL &&
             (a->dh = malloc(B * C * sizeof(float))) != NULL;
    if (!ok) {
        fact_acts_free(a);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the factorized model's "
                       "activations (%d albums x %lld steps)", max_batch, (long long)s->steps);
    }
    *acts = a;
    return TG_OK;
}

/* ---- embedding: e[b, s, :] = sum over the row's non-zeros at step s of a x E[city, :]
 * (a the album's input scale; for the GRU at row T-1-s; see the top of the file) */

/* The row of emb that step goes to: the GRU reads the album from its last step. */
static size_t emb_row(const tg_net_spec *s, size_t step)
{
    return s->temporal == TG_TEMPORAL_GRU ? (size_t)s->steps - 1 - step : step;
}

/* Fills emb and scale [x->rows]. */
static void embed_forward(const tg_net_spec *s, const float *E, const tg_csr_batch *x,
                          float *emb, float *scale)
{
    const size_t T = (size_t)s->steps, D = (size_t)s->embed, cities = (size_t)s->cities;
    const double c = tg_fact_input_gain(s);
    memset(emb, 0, (size_t)x->rows * T * D * sizeof(float));
    for (int32_t b = 0; b < x->rows; b++) {
        const float a = tg_fact_input_scale(x->values, x->indptr[b], x->indptr[b + 1],
                                            (int64_t)T, c);
        scale[b] = a;
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++) {
            size_t col = (size_t)x->indices[k], step = col / cities, city = col % cities;
            cblas_saxpy((int)D, a * x->values[k], E + city * D, 1,
                        emb + ((size_t)b * T + emb_row(s, step)) * D, 1);
        }
    }
}

/* dE[city, :] += a x demb[b, row of step, :]: only the batch's cities' rows */
static void embed_backward(const tg_net_spec *s, float *dE, const tg_csr_batch *x,
                           const float *demb, const float *scale)
{
    const size_t T = (size_t)s->steps, D = (size_t)s->embed, cities = (size_t)s->cities;
    for (int32_t b = 0; b < x->rows; b++) {
        const float a = scale[b];
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++) {
            size_t col = (size_t)x->indices[k], step = col / cities, city = col % cities;
            cblas_saxpy((int)D, a * x->values[k], demb + ((size_t)b * T + emb_row(s, step)) * D,
                        1, dE + city * D, 1);
        }
    }
}

/* ---- convolution over steps, same padding, then ReLU */

/* The steps t of tap j whose input t + j - p lies inside [0, T): [*lo, *hi). */
static void tap_range(int64_t T, int64_t K, int64_t j, int64_t *shift, int64_t *lo, int64_t *hi)
{
    *shift = j - (K - 1) / 2;
    *lo = *shift < 0 ? -*shift : 0;
    *hi = *shift > 0 ? T - *shift : T;
    if (*hi < *lo)
        *hi = *lo;
}

static void conv_forward(const tg_net_spec *s, const fact_tensors *p, int32_t B,
                         const float *emb, float *seq)
{
    const int64_t T = s->steps, D = s->embed, C = s->channels, K = s->kernel;
    for (size_t r = 0; r < (size_t)B * (size_t)T; r++)
        memcpy(seq + r * (size_t)C, p->b_conv, (size_t)C * sizeof(float));
    /* per album and tap: seq[t] += e[t + shift] W_conv[j], one GEMM over the valid t */
    for (int32_t b = 0; b < B; b++)
        for (int64_t j = 0; j < K; j++) {
            int64_t sh, lo, hi;
            tap_range(T, K, j, &sh, &lo, &hi);
            if (hi > lo)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(hi - lo), (int)C,
                            (int)D, 1.0f, emb + ((size_t)b * T + lo + sh) * D, (int)D,
                            p->W_conv + (size_t)(j * D * C), (int)C, 1.0f,
                            seq + ((size_t)b * T + lo) * C, (int)C);
        }
    for (size_t i = 0; i < (size_t)B * (size_t)(T * C); i++)
        seq[i] = seq[i] > 0 ? seq[i] : 0;
}

/* From dseq (d loss / d relu output), turned in place into d loss / d pre-activation;
 * adds into dW_conv and db_conv, and writes demb. */
static void conv_backward(const tg_net_spec *s, const fact_tensors *p, const fact_tensors *g,
                          int32_t B, const float *emb, const float *seq, float *dseq,
                          float *demb)
{
    const int64_t T = s->steps, D = s->embed, C = s->channels, K = s->kernel;
    const size_t n = (size_t)B * (size_t)(T * C);
    for (size_t i = 0; i < n; i++)
        if (seq[i] <= 0)
            dseq[i] = 0;
    for (size_t r = 0; r < (size_t)B * (size_t)T; r++)
        cblas_saxpy((int)C, 1.0f, dseq + r * (size_t)C, 1, g->b_conv, 1);
    memset(demb, 0, (size_t)B * (size_t)(T * D) * sizeof(float));
    for (int32_t b = 0; b < B; b++)
        for (int64_t j = 0; j < K; j++) {
            int64_t sh, lo, hi;
            tap_range(T, K, j, &sh, &lo, &hi);
            if (hi <= lo)
                continue;
            const float *e_rows = emb + ((size_t)b * T + lo + sh) * D;
            const float *dy_rows = dseq + ((size_t)b * T + lo) * C;
            /* dW_conv[j] [D, C] += e_rows^T dy_rows */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)D, (int)C, (int)(hi - lo),
                        1.0f, e_rows, (int)D, dy_rows, (int)C, 1.0f,
                        g->W_conv + (size_t)(j * D * C), (int)C);
            /* demb rows += dy_rows W_conv[j]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(hi - lo), (int)D, (int)C,
                        1.0f, dy_rows, (int)C, p->W_conv + (size_t)(j * D * C), (int)C, 1.0f,
                        demb + ((size_t)b * T + lo + sh) * D, (int)D);
        }
}

/* ---- GRU over steps (torch.nn.GRU, one layer, batch_first, h_0 = 0):
 *   r = sigmoid(W_ir e + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz e + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in e + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * with W_ih = [W_ir; W_iz; W_in] and W_hh, b_ih, b_hh likewise, as PyTorch stores them. */

static void gru_forward(const tg_net_spec *s, const fact_tensors *p, int32_t B,
                        const float *emb, fact_acts *a)
{
    const int64_t T = s->steps, D = s->embed, H = s->channels;
    const size_t BT = (size_t)B * (size_t)T;
    /* the input side of every step at once: gi [B T, 3H] = emb W_ih^T + b_ih */
    for (size_t r = 0; r < BT; r++)
        memcpy(a->gi + r * 3 * (size_t)H, p->b_ih, 3 * (size_t)H * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)BT, (int)(3 * H), (int)D, 1.0f,
                emb, (int)D, p->W_ih, (int)D, 1.0f, a->gi, (int)(3 * H));
    for (int64_t t = 0; t < T; t++) {
        for (int32_t b = 0; b < B; b++)
            memcpy(a->gh + (size_t)b * 3 * H, p->b_hh, 3 * (size_t)H * sizeof(float));
        /* gh [B, 3H] += h_{t-1} W_hh^T; h_{t-1} of album b is seq[b, t-1], a stride of T H */
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, (int)(3 * H), (int)H, 1.0f,
                        a->seq + (size_t)(t - 1) * H, (int)(T * H), p->W_hh, (int)H, 1.0f,
                        a->gh, (int)(3 * H));
        for (int32_t b = 0; b < B; b++) {
            const size_t bt = (size_t)b * T + (size_t)t;
            const float *gi = a->gi + bt * 3 * H, *gh = a->gh + (size_t)b * 3 * H;
            const float *hp = t > 0 ? a->seq + (bt - 1) * H : NULL;
            float *gates = a->gates + bt * 4 * H, *h = a->seq + bt * H;
            for (int64_t j = 0; j < H; j++)
                h[j] = tg_gru_unit_forward(gi, gh, H, j, hp ? hp[j] : 0.0f, gates);
        }
    }
}

/* Back-propagation through time from dseq (d loss / d h_t from the pooling); adds into
 * the GRU's gradients and writes demb. */
static void gru_backward(const tg_net_spec *s, const fact_tensors *p, const fact_tensors *g,
                         int32_t B, const float *emb, fact_acts *a)
{
    const int64_t T = s->steps, D = s->embed, H = s->channels;
    const size_t BT = (size_t)B * (size_t)T;
    float *dgi = a->gi; /* the forward's gi is not needed any more */
    memset(a->dh, 0, (size_t)B * H * sizeof(float));
    for (int64_t t = T - 1; t >= 0; t--) {
        for (int32_t b = 0; b < B; b++) {
            const size_t bt = (size_t)b * T + (size_t)t;
            const float *gates = a->gates + bt * 4 * H;
            const float *hp = t > 0 ? a->seq + (bt - 1) * H : NULL;
            const float *dy = a->dseq + bt * H;
            float *dh = a->dh + (size_t)b * H;
            float *di = dgi + bt * 3 * H, *dg = a->dgh + bt * 3 * H;
            /* dh becomes the direct path's d loss / d h_{t-1}; W_hh's is added below */
            for (int64_t j = 0; j < H; j++)
                dh[j] = tg_gru_unit_backward(gates, H, j, hp ? hp[j] : 0.0f, dy[j] + dh[j], di,
                                             dg);
        }
        /* dh_{t-1} [B, H] += dgh_t W_hh (no need at t = 0: h_{-1} is a constant) */
        if (t > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)H, (int)(3 * H), 1.0f,
                        a->dgh + (size_t)t * 3 * H, (int)(T * 3 * H), p->W_hh, (int)H, 1.0f,
                        a->dh, (int)H);
    }
    /* dW_hh [3H, H] += sum over albums and t >= 1 of dgh_t^T h_{t-1} */
    for (int32_t b = 0; T > 1 && b < B; b++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(3 * H), (int)H, (int)(T - 1),
                    1.0f, a->dgh + ((size_t)b * T + 1) * 3 * H, (int)(3 * H),
                    a->seq + (size_t)b * T * H, (int)H, 1.0f, g->W_hh, (int)H);
    for (size_t r = 0; r < BT; r++) {
        cblas_saxpy((int)(3 * H), 1.0f, a->dgh + r * 3 * H, 1, g->b_hh, 1);
        cblas_saxpy((int)(3 * H), 1.0f, dgi + r * 3 * H, 1, g->b_ih, 1);
    }
    /* dW_ih [3H, D] += dgi^T emb;  demb [B T, D] = dgi W_ih */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(3 * H), (int)D, (int)BT, 1.0f,
                dgi, (int)(3 * H), emb, (int)D, 1.0f, g->W_ih, (int)D);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)BT, (int)D, (int)(3 * H), 1.0f,
                dgi, (int)(3 * H), p->W_ih, (int)D, 0.0f, a->demb, (int)D);
}

/* ---- pooling over time and the head */

static void fact_forward(const tg_net_spec *s, const float *params, const tg_csr_batch *x,
                         void *acts, float *logits)
{
    fact_acts *a = acts;
    fact_tensors p;
    fact_point(s, (float *)params, &p);
    const int32_t B = x->rows;
    const int64_t T = s->steps, C = s->channels, G = s->genres;
    const float gain = s->temporal == TG_TEMPORAL_GRU ? TG_GRU_HEAD_GAIN : 1.0f;
    embed_forward(s, p.E, x, a->emb, a->scale);
    if (s->temporal == TG_TEMPORAL_GRU)
        gru_forward(s, &p, B, a->emb, a);
    else
        conv_forward(s, &p, B, a->emb, a->seq);
    for (int32_t b = 0; b < B; b++) {
        float *f = a->pooled + (size_t)b * 2 * C;
        int32_t *am = a->argmax + (size_t)b * C;
        const float *y = a->seq + (size_t)b * T * C;
        for (int64_t o = 0; o < C; o++)
            am[o] = tg_fact_pool_channel(y, T, C, o, gain, f);
    }
    for (int32_t b = 0; b < B; b++)
        memcpy(logits + (size_t)b * G, p.b_out, (size_t)G * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)G, (int)(2 * C), 1.0f,
                a->pooled, (int)(2 * C), p.W_out, (int)G, 1.0f, logits, (int)G);
}

static void fact_backward(const tg_net_spec *s, const float *params, float *grads,
                          const tg_csr_batch *x, void *acts, const float *dlogits)
{
    fact_acts *a = acts;
    fact_tensors p, g;
    fact_point(s, (float *)params, &p);
    fact_point(s, grads, &g);
    const int32_t B = x->rows;
    const int64_t T = s->steps, C = s->channels, G = s->genres;
    /* dW_out += f^T dlogits; db_out += column sums; df = dlogits W_out^T */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(2 * C), (int)G, B, 1.0f,
                a->pooled, (int)(2 * C), dlogits, (int)G, 1.0f, g.W_out, (int)G);
    for (int32_t b = 0; b < B; b++)
        cblas_saxpy((int)G, 1.0f, dlogits + (size_t)b * G, 1, g.b_out, 1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, (int)(2 * C), (int)G, 1.0f, dlogits,
                (int)G, p.W_out, (int)G, 0.0f, a->dpooled, (int)(2 * C));
    /* the mean spreads its gradient over every step; the max sends its own to its step */
    const float gain = s->temporal == TG_TEMPORAL_GRU ? TG_GRU_HEAD_GAIN : 1.0f;
    for (int32_t b = 0; b < B; b++) {
        const float *df = a->dpooled + (size_t)b * 2 * C;
        const int32_t *am = a->argmax + (size_t)b * C;
        float *dy = a->dseq + (size_t)b * T * C;
        for (int64_t t = 0; t < T; t++)
            for (int64_t o = 0; o < C; o++)
                dy[t * C + o] = gain * df[o] / (float)T;
        for (int64_t o = 0; o < C; o++)
            dy[(int64_t)am[o] * C + o] += gain * df[C + o];
    }
    if (s->temporal == TG_TEMPORAL_GRU)
        gru_backward(s, &p, &g, B, a->emb, a);
    else
        conv_backward(s, &p, &g, B, a->emb, a->seq, a->dseq, a->demb);
    embed_backward(s, g.E, x, a->demb, a->scale);
}

/* E's rows of the batch's cities, and everything after E (the temporal model and the
 * head: small next to E's cities x D). */
static void fact_zero_grad(const tg_net_spec *s, float *grads, const tg_csr_batch *x)
{
    const size_t D = (size_t)s->embed, cities = (size_t)s->cities;
    fact_tensors g;
    fact_point(s, grads, &g);
    const size_t after = (size_t)(g.b_out + s->genres - grads) - cities * D;
    memset(grads + cities * D, 0, after * sizeof(float));
    if (x == NULL) {
        memset(grads, 0, cities * D * sizeof(float));
        return;
    }
    for (int32_t b = 0; b < x->rows; b++)
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            memset(g.E + ((size_t)x->indices[k] % cities) * D, 0, D * sizeof(float));
}

const tg_cpu_model tg_cpu_factorized = {
    .layout = fact_layout, .init = fact_init, .acts_alloc = fact_acts_alloc,
    .acts_free = fact_acts_free, .forward = fact_forward, .backward = fact_backward,
    .zero_grad = fact_zero_grad,
};
