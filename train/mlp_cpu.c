/* mlp_cpu.c - the CPU reference of the MLP's operations (see mlp.h): a sparse first
 * layer over CSR rows, cblas_sgemm for the second, PyTorch's loss and Adam. */
#include "mlp.h"

#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define TG_HAVE_MXCSR 1
#define TG_MXCSR_FTZ_DAZ 0x8040u   /* flush-to-zero (bit 15), denormals-are-zero (bit 6) */
#else
#define TG_HAVE_MXCSR 0
#endif

size_t tg_mlp_param_count(const tg_mlp_shape *s)
{
    return (size_t)(s->inputs * s->hidden + s->hidden + s->hidden * s->genres + s->genres);
}

void tg_mlp_point(tg_mlp_tensors *t, float *block, const tg_mlp_shape *s)
{
    t->W1 = block;
    t->b1 = t->W1 + s->inputs * s->hidden;
    t->W2 = t->b1 + s->hidden;
    t->b2 = t->W2 + s->hidden * s->genres;
}

tg_code tg_mlp_acts_alloc(tg_mlp_acts *a, const tg_mlp_shape *s, int32_t max_batch, tg_error *e)
{
    memset(a, 0, sizeof *a);
    size_t bh = (size_t)max_batch * (size_t)s->hidden, bg = (size_t)max_batch * (size_t)s->genres;
    a->h_pre = malloc(bh * sizeof(float));
    a->h = malloc(bh * sizeof(float));
    a->dh = malloc(bh * sizeof(float));
    a->logits = malloc(bg * sizeof(float));
    a->dlogits = malloc(bg * sizeof(float));
    if (!a->h_pre || !a->h || !a->dh || !a->logits || !a->dlogits) {
        tg_mlp_acts_free(a);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for activations of %d x %lld",
                       max_batch, (long long)s->hidden);
    }
    a->max_batch = max_batch;
    return TG_OK;
}

void tg_mlp_acts_free(tg_mlp_acts *a)
{
    free(a->h_pre), free(a->h), free(a->dh), free(a->logits), free(a->dlogits);
    memset(a, 0, sizeof *a);
}

static void uniform_fill(tg_rng *r, float *x, size_t n, double bound)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2.0 * tg_rng_uniform(r) - 1.0) * bound);
}

void tg_mlp_init(const tg_mlp_tensors *p, const tg_mlp_shape *s, uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed, 0x4d4c50, 0); /* "MLP" */
    double b1 = 1.0 / sqrt((double)s->inputs), b2 = 1.0 / sqrt((double)s->hidden);
    uniform_fill(&r, p->W1, (size_t)(s->inputs * s->hidden), b1);
    uniform_fill(&r, p->b1, (size_t)s->hidden, b1);
    uniform_fill(&r, p->W2, (size_t)(s->hidden * s->genres), b2);
    uniform_fill(&r, p->b2, (size_t)s->genres, b2);
}

void tg_mlp_forward(const tg_mlp_tensors *p, const tg_mlp_shape *s, const tg_csr_batch *x,
                    tg_mlp_acts *a)
{
    const int64_t H = s->hidden, G = s->genres;
    const int32_t B = x->rows;
    /* First layer: a row of X has a few hundred non-zeros out of up to a million
     * inputs, so each is one axpy of a W1 row: no dense X is ever built. */
    for (int32_t b = 0; b < B; b++) {
        float *hp = a->h_pre + (size_t)b * H;
        memcpy(hp, p->b1, (size_t)H * sizeof(float));
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            cblas_saxpy((int)H, x->values[k], p->W1 + (size_t)x->indices[k] * H, 1, hp, 1);
        float *h = a->h + (size_t)b * H;
        for (int64_t j = 0; j < H; j++)
            h[j] = hp[j] > 0 ? hp[j] : 0;
    }
    for (int32_t b = 0; b < B; b++)
        memcpy(a->logits + (size_t)b * G, p->b2, (size_t)G * sizeof(float));
    /* logits[B, G] += h[B, H] W2[H, G] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)G, (int)H, 1.0f, a->h, (int)H,
                p->W2, (int)G, 1.0f, a->logits, (int)G);
}

double tg_mlp_bce(const float *logits, const uint8_t *y, int32_t B, int64_t G,
                  const float *pos_weight, const float *sample_weight, float *dlogits)
{
    double total = 0;
    const double scale = 1.0 / ((double)B * (double)G);
    for (int32_t b = 0; b < B; b++) {
        double wb = sample_weight ? sample_weight[b] : 1.0;
        for (int64_t g = 0; g < G; g++) {
            size_t i = (size_t)b * G + g;
            double x = logits[i], t = y[i] ? 1.0 : 0.0;
            double lw = 1.0 + ((pos_weight ? pos_weight[g] : 1.0) - 1.0) * t;
            /* softplus(-x) = log(1 + exp(-x)), written so that exp never overflows */
            double sp = log1p(exp(-fabs(x))) + (x < 0 ? -x : 0.0);
            total += wb * ((1.0 - t) * x + lw * sp);
            if (dlogits) {
                double sig_neg = x >= 0 ? exp(-x) / (1.0 + exp(-x)) : 1.0 / (1.0 + exp(x));
                dlogits[i] = (float)(wb * scale * ((1.0 - t) - lw * sig_neg));
            }
        }
    }
    return total * scale;
}

void tg_mlp_backward(const tg_mlp_tensors *p, const tg_mlp_tensors *g, const tg_mlp_shape *s,
                     const tg_csr_batch *x, tg_mlp_acts *a)
{
    const int64_t H = s->hidden, G = s->genres;
    const int32_t B = x->rows;
    /* dW2[H, G] += h^T dlogits; db2 += column sums of dlogits */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)H, (int)G, B, 1.0f, a->h, (int)H,
                a->dlogits, (int)G, 1.0f, g->W2, (int)G);
    for (int32_t b = 0; b < B; b++)
        for (int64_t k = 0; k < G; k++)
            g->b2[k] += a->dlogits[(size_t)b * G + k];
    /* dh[B, H] = dlogits W2^T, then through the ReLU */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, (int)H, (int)G, 1.0f, a->dlogits,
                (int)G, p->W2, (int)G, 0.0f, a->dh, (int)H);
    for (size_t i = 0; i < (size_t)B * H; i++)
        if (a->h_pre[i] <= 0)
            a->dh[i] = 0;
    /* db1 += column sums of dh; dW1 rows of the batch's columns += value * dh row */
    for (int32_t b = 0; b < B; b++) {
        const float *dh = a->dh + (size_t)b * H;
        cblas_saxpy((int)H, 1.0f, dh, 1, g->b1, 1);
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            cblas_saxpy((int)H, x->values[k], dh, 1, g->W1 + (size_t)x->indices[k] * H, 1);
    }
}

void tg_mlp_zero_grad(const tg_mlp_tensors *g, const tg_mlp_shape *s, const tg_csr_batch *x)
{
    const int64_t H = s->hidden;
    for (int32_t b = 0; b < x->rows; b++)
        for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
            memset(g->W1 + (size_t)x->indices[k] * H, 0, (size_t)H * sizeof(float));
    memset(g->b1, 0, (size_t)(H + H * s->genres + s->genres) * sizeof(float));
}

void tg_adam_step(const tg_adam *opt, int64_t t, float *param, const float *grad, float *m,
                  float *v, size_t n)
{
#if TG_HAVE_MXCSR
    /* Denormals as zero, in and out, for this step only (the caller's mode is restored).
     * A moment whose parameter sees no gradient decays by b1 or b2 each step into the
     * denormal range and, rounding, stays there: after 30 epochs of the report's MLP,
     * 15 % of m (32 M values) were denormal, each costing the x86 a microcode assist
     * on every step; epochs went from 29 s to 195 s. Only values under FLT_MIN
     * (1.2e-38) change, to 0: torch.set_flush_denormal(True) does the same. */
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | TG_MXCSR_FTZ_DAZ);
#endif
    /* torch.optim.Adam (single-tensor path): bias corrections in double, then floats */
    const double bc1 = 1.0 - pow(opt->beta1, (double)t), bc2 = 1.0 - pow(opt->beta2, (double)t);
    const float step_size = (float)(opt->lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float w1 = (float)(1.0 - opt->beta1), b2 = (float)opt->beta2;
    const float w2 = (float)(1.0 - opt->beta2), eps = (float)opt->eps;
    for (size_t i = 0; i < n; i++) {
        float gi = grad[i];
        m[i] = m[i] + w1 * (gi - m[i]);
        v[i] = v[i] * b2 + w2 * gi * gi;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        param[i] = param[i] - step_size * (m[i] / denom);
    }
#if TG_HAVE_MXCSR
    _mm_setcsr(csr);
#endif
}
