/* net_cnn.c - the report's CNN as a CPU model of net.h (cnn.h): a sparse first
 * convolution read straight from the CSR row, im2col + cblas_sgemm for the second, max
 * pooling with argmax, three Linear layers with sgemm.
 *
 * What the report gives (section 4.c.ii, a torchsummary table whose shape column was
 * lost but for "[-1" and "1332]") and how each gap was filled:
 * - Parameter counts decode as Conv2d-1 1 -> 6 channels 15 x 15 (1,356 = 6 x 225 + 6),
 *   Conv2d-2 6 -> 16 channels 3 x 3 (880), Linear-3 10,656 -> 4096, Linear-4 4096 -> 128,
 *   Linear-5 128 -> 27. The table's input, 1.02 MB, is 268,300 floats: one plane of
 *   100 x 2683. Of the other decodings of 1,356, 9 -> 6 at 5 x 5 cannot split that into
 *   whole 2683-city planes (268,300 / 9 is no integer); 25 -> 6 at 3 x 3 could (25 planes
 *   of 4 x 2683), but it needs a channel axis the report never describes, and its widths
 *   (2681 -> 1340 -> 1338) miss the table's 1332, which 15 x 15 gives (below).
 * - Pooling: the table lists none (torchsummary shows a functional F.max_pool2d as
 *   nothing), yet 16 channels must shrink to 10,656 = 16 x 666 features. PyTorch's
 *   tutorial network, which this one follows layer for layer (conv, pool, conv, pool,
 *   three Linear), pools 2 x 2 after each convolution; along the 2683 cities that gives
 *   2683 - 14 = 2669 -> 1334 -> 1332 (the surviving "1332]") -> 666, exactly the table's
 *   width. So: ReLU then MaxPool2d(2) after conv1, ReLU then a pool to 1 x 666 after conv2.
 * - Following --steps and the store's cities: the second pool is PyTorch's
 *   AdaptiveMaxPool2d((1, 666)), which at 2683 cities is the 2 x 2 pool's windows along
 *   cities and takes the maximum over all time rows (the table's height of 1), whatever
 *   the plane; Linear-3 keeps its 10,656 inputs at every nbSteps. A fixed grid was
 *   preferred to strides derived from the plane because it keeps the table's parameter
 *   counts at any nbSteps and needs no rule that could round to zero rows.
 * - Time axis: a 15-row kernel cannot slide over a plane of 1 to 14 steps, so conv1
 *   pads 7 zero rows above and below (and conv2 one): every step yields a row, at
 *   nbSteps 1 as at 358. The first pool rounds up along time (PyTorch's ceil_mode: an odd
 *   last step is kept, nbSteps 1 gives one row, not zero) and down along cities
 *   (PyTorch's default, which gives the table's 1334).
 * - Cities axis: no padding (the table's widths need valid convolutions); a store with
 *   fewer than 20 cities (k1 - 1 + 2 k2, the narrowest plane both convolutions fit) is
 *   zero-padded on the right to 20 columns: a test store's case, never the report's.
 * - Linear-3's width is --hidden (default 4096, the report's; the parameters are 44 M,
 *   700 MB with gradients and Adam's moments); Linear-4 keeps 128. ReLU after Linear-3
 *   and Linear-4, none on the logits (BCEWithLogits, as the MLP).
 * - No dropout or batch norm: the table shows none, and they would have parameters
 *   (batch norm) or layers torchsummary lists.
 * Computation: the input plane is sparse (hundreds of entries among 75,124 at nbSteps
 * 28), so conv1 adds each entry times the kernel into the outputs it reaches, 1,350
 * multiply-adds an entry, instead of an im2col of 225 x steps x 2669 floats (67 MB and
 * 200 MFLOP an album at nbSteps 28); its input needs no gradient. conv2's input is
 * dense, so it is im2col + sgemm forward; backward, its output's gradient is non-zero
 * only at the 10,656 maxima the adaptive pool took, so it goes from those alone. Albums
 * go through the convolutions one at a time, so only the pooled maps (values and argmax)
 * are kept per batch: memory grows with the batch by the pooled first map, not by the
 * convolutions' outputs. */
#include "cnn.h"

#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The report's numbers (see above). */
enum { CNN_C1 = 6, CNN_K1 = 15, CNN_C2 = 16, CNN_K2 = 3, CNN_GRID_H = 1, CNN_GRID_W = 666,
       CNN_HIDDEN = 4096, CNN_MID = 128 };

void tg_cnn_geom_report(tg_cnn_geom *g, const tg_net_spec *s)
{
    memset(g, 0, sizeof *g);
    g->steps = s->steps;
    g->cities = s->cities;
    g->genres = s->genres;
    g->c1 = CNN_C1, g->k1 = CNN_K1, g->c2 = CNN_C2, g->k2 = CNN_K2;
    g->grid_h = CNN_GRID_H, g->grid_w = CNN_GRID_W;
    g->hidden = s->hidden > 0 ? s->hidden : CNN_HIDDEN;
    g->mid = CNN_MID;
}

tg_code tg_cnn_geom_init(tg_cnn_geom *g, tg_error *e)
{
    if (g->steps < 1 || g->cities < 1 || g->genres < 1 || g->c1 < 1 || g->c2 < 1 ||
        g->grid_h < 1 || g->grid_w < 1 || g->hidden < 1 || g->mid < 1)
        return tg_fail(e, TG_ERR_USAGE, "cnn: every size must be >= 1");
    if (g->k1 < 1 || g->k2 < 1 || g->k1 % 2 == 0 || g->k2 % 2 == 0)
        return tg_fail(e, TG_ERR_USAGE, "cnn: kernels must be odd (%lld, %lld)",
                       (long long)g->k1, (long long)g->k2);
    /* argmax indices are int32 within one channel's plane, and no dimension may make a
     * product overflow: 2^30 per axis and 2^31 per plane are beyond any store */
    const int64_t lim = (int64_t)1 << 30;
    if (g->steps > lim || g->cities > lim || g->c1 > 4096 || g->c2 > 4096 || g->k1 > 255 ||
        g->k2 > 255 || g->grid_h > 65536 || g->grid_w > 65536)
        return tg_fail(e, TG_ERR_LIMIT, "cnn: plane or layer too large");
    int64_t min_w = g->k1 - 1 + 2 * g->k2;
    g->width = g->cities > min_w ? g->cities : min_w;
    g->h1 = g->steps;
    g->w1 = g->width - g->k1 + 1;
    g->h1p = (g->h1 + 1) / 2;
    g->w1p = g->w1 / 2;
    g->h2 = g->h1p;
    g->w2 = g->w1p - g->k2 + 1;
    if (g->h1 * g->w1 >= INT32_MAX)
        return tg_fail(e, TG_ERR_LIMIT, "cnn: a plane of %lld x %lld is too large",
                       (long long)g->steps, (long long)g->cities);
    g->features = g->c2 * g->grid_h * g->grid_w;
    return TG_OK;
}

/* ---- layers ---- */

void tg_cnn_conv1_forward(const tg_cnn_geom *g, const float *K, const float *bias,
                          const int32_t *cols, const float *vals, int64_t nnz, float *out)
{
    const int64_t H = g->h1, W = g->w1, k = g->k1, pad = (k - 1) / 2, HW = H * W;
    for (int64_t c = 0; c < g->c1; c++)
        for (int64_t i = 0; i < HW; i++)
            out[c * HW + i] = bias[c];
    /* input row t reaches output row oh = t + pad - kh through kernel row kh, and city x
     * output column ow = x - kw through kernel column kw (cross-correlation, as PyTorch) */
    for (int64_t n = 0; n < nnz; n++) {
        const int64_t t = cols[n] / g->cities, x = cols[n] % g->cities;
        const float v = vals[n];
        for (int64_t c = 0; c < g->c1; c++)
            for (int64_t kh = 0; kh < k; kh++) {
                const int64_t oh = t + pad - kh;
                if (oh < 0 || oh >= H)
                    continue;
                float *row = out + c * HW + oh * W;
                const float *kr = K + (c * k + kh) * k;
                for (int64_t kw = 0; kw < k && kw <= x; kw++)
                    if (x - kw < W)
                        row[x - kw] += v * kr[kw];
            }
    }
}

void tg_cnn_conv1_backward(const tg_cnn_geom *g, const float *dout, const int32_t *cols,
                           const float *vals, int64_t nnz, float *dK)
{
    const int64_t H = g->h1, W = g->w1, k = g->k1, pad = (k - 1) / 2, HW = H * W;
    for (int64_t n = 0; n < nnz; n++) {
        const int64_t t = cols[n] / g->cities, x = cols[n] % g->cities;
        const float v = vals[n];
        for (int64_t c = 0; c < g->c1; c++)
            for (int64_t kh = 0; kh < k; kh++) {
                const int64_t oh = t + pad - kh;
                if (oh < 0 || oh >= H)
                    continue;
                const float *row = dout + c * HW + oh * W;
                float *kr = dK + (c * k + kh) * k;
                for (int64_t kw = 0; kw < k && kw <= x; kw++)
                    if (x - kw < W)
                        kr[kw] += v * row[x - kw];
            }
    }
}

void tg_cnn_im2col(const float *in, int64_t C, int64_t H, int64_t W, int64_t k, int64_t pad,
                   float *col)
{
    const int64_t Ho = H + 2 * pad - k + 1, Wo = W - k + 1, L = Ho * Wo;
    for (int64_t c = 0; c < C; c++)
        for (int64_t kh = 0; kh < k; kh++)
            for (int64_t kw = 0; kw < k; kw++) {
                float *dst = col + ((c * k + kh) * k + kw) * L;
                for (int64_t oh = 0; oh < Ho; oh++) {
                    const int64_t ih = oh + kh - pad;
                    if (ih < 0 || ih >= H)
                        memset(dst + oh * Wo, 0, (size_t)Wo * sizeof(float));
                    else
                        memcpy(dst + oh * Wo, in + (c * H + ih) * W + kw,
                               (size_t)Wo * sizeof(float));
                }
            }
}

void tg_cnn_conv_forward(const float *in, int64_t C, int64_t H, int64_t W, const float *K,
                         const float *bias, int64_t Cout, int64_t k, int64_t pad, float *col,
                         float *out)
{
    const int64_t L = (H + 2 * pad - k + 1) * (W - k + 1), CK = C * k * k;
    tg_cnn_im2col(in, C, H, W, k, pad, col);
    for (int64_t c = 0; c < Cout; c++)
        for (int64_t i = 0; i < L; i++)
            out[c * L + i] = bias[c];
    /* out [Cout, L] += K [Cout, CK] col [CK, L] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Cout, (int)L, (int)CK, 1.0f, K,
                (int)CK, col, (int)L, 1.0f, out, (int)L);
}

void tg_cnn_conv_backward_at(const float *in, int64_t C, int64_t H, int64_t W, const float *K,
                             int64_t Cout, int64_t k, int64_t pad, const float *dout,
                             const int32_t *pos, int64_t n, float *dK, float *db, float *din)
{
    const int64_t Wo = W - k + 1;
    for (int64_t c = 0; c < Cout; c++)
        for (int64_t i = 0; i < n; i++) {
            const float d = dout[c * n + i];
            if (d == 0)
                continue; /* a ReLU that was off, or a zero gradient: nothing flows */
            const int64_t oh = pos[c * n + i] / Wo, ow = pos[c * n + i] % Wo;
            db[c] += d;
            for (int64_t ci = 0; ci < C; ci++)
                for (int64_t kh = 0; kh < k; kh++) {
                    const int64_t r = oh + kh - pad;
                    if (r < 0 || r >= H)
                        continue;
                    const float *x = in + (ci * H + r) * W + ow;
                    float *dx = din + (ci * H + r) * W + ow;
                    const float *kr = K + ((c * C + ci) * k + kh) * k;
                    float *dkr = dK + ((c * C + ci) * k + kh) * k;
                    for (int64_t kw = 0; kw < k; kw++) {
                        dkr[kw] += d * x[kw];
                        dx[kw] += d * kr[kw];
                    }
                }
        }
}

void tg_cnn_maxpool_forward(const float *in, int64_t C, int64_t H, int64_t W,
                            const int64_t *rs, const int64_t *re, int64_t Ho,
                            const int64_t *cs, const int64_t *ce, int64_t Wo,
                            float *out, int32_t *arg)
{
    for (int64_t c = 0; c < C; c++) {
        const float *p = in + c * H * W;
        for (int64_t i = 0; i < Ho; i++)
            for (int64_t j = 0; j < Wo; j++) {
                int64_t best = rs[i] * W + cs[j];
                for (int64_t r = rs[i]; r < re[i]; r++)
                    for (int64_t q = cs[j]; q < ce[j]; q++)
                        if (p[r * W + q] > p[best]) /* strict: the first maximum wins */
                            best = r * W + q;
                out[(c * Ho + i) * Wo + j] = p[best];
                arg[(c * Ho + i) * Wo + j] = (int32_t)best;
            }
    }
}

void tg_cnn_maxpool_backward(const float *dout, const int32_t *arg, int64_t C, int64_t HW,
                             int64_t HoWo, float *din)
{
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < HoWo; i++)
            din[c * HW + arg[c * HoWo + i]] += dout[c * HoWo + i];
}

void tg_cnn_windows_pairs(int64_t n_out, int64_t n_in, int64_t *s, int64_t *e)
{
    for (int64_t i = 0; i < n_out; i++) {
        s[i] = 2 * i;
        e[i] = 2 * i + 2 < n_in ? 2 * i + 2 : n_in;
    }
}

void tg_cnn_windows_adaptive(int64_t n_out, int64_t n_in, int64_t *s, int64_t *e)
{
    for (int64_t i = 0; i < n_out; i++) {
        s[i] = i * n_in / n_out;
        e[i] = ((i + 1) * n_in + n_out - 1) / n_out;
    }
}

/* ---- the model ---- */

typedef struct {
    float *K1, *b1; /* [c1, 1, k1, k1], [c1] */
    float *K2, *b2; /* [c2, c1, k2, k2], [c2] */
    float *W3, *b3; /* [features, hidden], [hidden] */
    float *W4, *b4; /* [hidden, mid], [mid] */
    float *W5, *b5; /* [mid, genres], [genres] */
} cnn_tensors;

/* Points t into a block in the layout's order; returns the block's float count. */
static size_t cnn_point(const tg_cnn_geom *g, float *block, cnn_tensors *t)
{
    size_t sizes[10] = {
        (size_t)(g->c1 * g->k1 * g->k1), (size_t)g->c1,
        (size_t)(g->c2 * g->c1 * g->k2 * g->k2), (size_t)g->c2,
        (size_t)(g->features * g->hidden), (size_t)g->hidden,
        (size_t)(g->hidden * g->mid), (size_t)g->mid,
        (size_t)(g->mid * g->genres), (size_t)g->genres};
    float **p[10] = {&t->K1, &t->b1, &t->K2, &t->b2, &t->W3, &t->b3, &t->W4, &t->b4,
                     &t->W5, &t->b5};
    size_t off = 0;
    for (int i = 0; i < 10; i++) {
        *p[i] = block ? block + off : NULL;
        off += sizes[i];
    }
    return off;
}

tg_code tg_cnn_layout(const tg_cnn_geom *g, int32_t batch, tg_net_layout *l, tg_error *e)
{
    memset(l, 0, sizeof *l);
    const int64_t k1[4] = {g->c1, 1, g->k1, g->k1}, k2[4] = {g->c2, g->c1, g->k2, g->k2};
    const int64_t w3[2] = {g->features, g->hidden}, w4[2] = {g->hidden, g->mid};
    const int64_t w5[2] = {g->mid, g->genres};
    tg_code rc = tg_net_layout_add(l, "conv1_w", 4, k1, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "conv1_b", 1, &g->c1, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "conv2_w", 4, k2, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "conv2_b", 1, &g->c2, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "W3", 2, w3, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b3", 1, &g->hidden, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "W4", 2, w4, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b4", 1, &g->mid, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "W5", 2, w5, e);
    if (rc == TG_OK)
        rc = tg_net_layout_add(l, "b5", 1, &g->genres, e);
    if (rc != TG_OK)
        return rc;
    /* what tg_cnn_acts_alloc takes (see struct tg_cnn_acts) */
    const uint64_t B = (uint64_t)batch, P1 = (uint64_t)(g->c1 * g->h1p * g->w1p);
    const uint64_t L2 = (uint64_t)(g->h2 * g->w2);
    uint64_t per_row = 8 * P1 + 8 * (uint64_t)g->features +
                       4 * (uint64_t)(g->features + 2 * g->hidden + 2 * g->mid);
    uint64_t album = 4 * ((uint64_t)(g->c1 * g->h1 * g->w1) + (uint64_t)g->c2 * L2 +
                          (uint64_t)(g->c1 * g->k2 * g->k2) * L2 + P1);
    uint64_t windows = 16 * (uint64_t)(g->h1p + g->w1p + g->grid_h + g->grid_w);
    l->act_bytes = B * per_row + album + windows;
    return TG_OK;
}

static void uniform_fill(tg_rng *r, float *x, size_t n, double bound)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((2.0 * tg_rng_uniform(r) - 1.0) * bound);
}

void tg_cnn_init(const tg_cnn_geom *g, float *params, uint64_t seed)
{
    cnn_tensors t;
    cnn_point(g, params, &t);
    tg_rng r;
    tg_rng_seed(&r, seed, 0x434e4e, 0); /* "CNN" */
    /* nn.Conv2d and nn.Linear: kaiming_uniform(a = sqrt(5)) for weights, which is
     * +-1/sqrt(fan_in), and the same bound for biases */
    const double f1 = 1.0 / sqrt((double)(g->k1 * g->k1));
    const double f2 = 1.0 / sqrt((double)(g->c1 * g->k2 * g->k2));
    const double f3 = 1.0 / sqrt((double)g->features), f4 = 1.0 / sqrt((double)g->hidden);
    const double f5 = 1.0 / sqrt((double)g->mid);
    uniform_fill(&r, t.K1, (size_t)(g->c1 * g->k1 * g->k1), f1);
    uniform_fill(&r, t.b1, (size_t)g->c1, f1);
    uniform_fill(&r, t.K2, (size_t)(g->c2 * g->c1 * g->k2 * g->k2), f2);
    uniform_fill(&r, t.b2, (size_t)g->c2, f2);
    uniform_fill(&r, t.W3, (size_t)(g->features * g->hidden), f3);
    uniform_fill(&r, t.b3, (size_t)g->hidden, f3);
    uniform_fill(&r, t.W4, (size_t)(g->hidden * g->mid), f4);
    uniform_fill(&r, t.b4, (size_t)g->mid, f4);
    uniform_fill(&r, t.W5, (size_t)(g->mid * g->genres), f5);
    uniform_fill(&r, t.b5, (size_t)g->genres, f5);
}

struct tg_cnn_acts {
    tg_cnn_geom g;
    int32_t max_batch;
    /* pooling windows: pool1 rows and columns, the adaptive grid's rows and columns */
    int64_t *r1s, *r1e, *q1s, *q1e, *r2s, *r2e, *q2s, *q2e;
    /* kept per batch row for backward */
    float *p1;          /* [B, c1, h1p, w1p] pool1 output (after ReLU) */
    int32_t *p1_arg;    /* [B, c1, h1p, w1p] its argmax in conv1's h1 x w1 plane */
    float *flat;        /* [B, features] the adaptive pool's output: Linear-3's input */
    int32_t *flat_arg;  /* [B, features] its argmax in conv2's h2 x w2 plane */
    float *h3, *h4;     /* [B, hidden], [B, mid] after ReLU */
    float *dflat;       /* [B, features] */
    float *dh3, *dh4;   /* [B, hidden], [B, mid] */
    /* one album's scratch */
    float *a1;          /* [c1, h1, w1] conv1's output, then its gradient */
    float *a2;          /* [c2, h2, w2] conv2's output */
    float *col;         /* [c1 k2 k2, h2 w2] im2col of pool1's output */
    float *dp1;         /* [c1, h1p, w1p] */
};

void tg_cnn_acts_free(tg_cnn_acts *a)
{
    if (a == NULL)
        return;
    free(a->r1s);
    free(a->p1), free(a->p1_arg), free(a->flat), free(a->flat_arg), free(a->h3), free(a->h4);
    free(a->dflat), free(a->dh3), free(a->dh4);
    free(a->a1), free(a->a2), free(a->col), free(a->dp1);
    free(a);
}

tg_code tg_cnn_acts_alloc(const tg_cnn_geom *g, int32_t max_batch, tg_cnn_acts **out,
                          tg_error *e)
{
    *out = NULL;
    tg_cnn_acts *a = calloc(1, sizeof *a);
    if (a == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    a->g = *g;
    a->max_batch = max_batch;
    const size_t B = (size_t)max_batch, P1 = (size_t)(g->c1 * g->h1p * g->w1p);
    const size_t F = (size_t)g->features, L2 = (size_t)(g->h2 * g->w2);
    const size_t nwin = (size_t)(g->h1p + g->w1p + g->grid_h + g->grid_w);
    a->r1s = malloc(2 * nwin * sizeof(int64_t));
    a->p1 = malloc(B * P1 * sizeof(float));
    a->p1_arg = malloc(B * P1 * sizeof(int32_t));
    a->flat = malloc(B * F * sizeof(float));
    a->flat_arg = malloc(B * F * sizeof(int32_t));
    a->dflat = malloc(B * F * sizeof(float));
    a->h3 = malloc(B * (size_t)g->hidden * sizeof(float));
    a->dh3 = malloc(B * (size_t)g->hidden * sizeof(float));
    a->h4 = malloc(B * (size_t)g->mid * sizeof(float));
    a->dh4 = malloc(B * (size_t)g->mid * sizeof(float));
    a->a1 = malloc((size_t)(g->c1 * g->h1 * g->w1) * sizeof(float));
    a->a2 = malloc((size_t)g->c2 * L2 * sizeof(float));
    a->col = malloc((size_t)(g->c1 * g->k2 * g->k2) * L2 * sizeof(float));
    a->dp1 = malloc(P1 * sizeof(float));
    if (!a->r1s || !a->p1 || !a->p1_arg || !a->flat || !a->flat_arg || !a->dflat || !a->h3 ||
        !a->dh3 || !a->h4 || !a->dh4 || !a->a1 || !a->a2 || !a->col || !a->dp1) {
        tg_cnn_acts_free(a);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for the CNN's activations "
                       "(batch %d, plane %lld x %lld)", max_batch, (long long)g->steps,
                       (long long)g->cities);
    }
    /* the eight window arrays share one allocation, in this order */
    a->r1e = a->r1s + g->h1p;
    a->q1s = a->r1e + g->h1p;
    a->q1e = a->q1s + g->w1p;
    a->r2s = a->q1e + g->w1p;
    a->r2e = a->r2s + g->grid_h;
    a->q2s = a->r2e + g->grid_h;
    a->q2e = a->q2s + g->grid_w;
    tg_cnn_windows_pairs(g->h1p, g->h1, a->r1s, a->r1e);
    tg_cnn_windows_pairs(g->w1p, g->w1, a->q1s, a->q1e);
    tg_cnn_windows_adaptive(g->grid_h, g->h2, a->r2s, a->r2e);
    tg_cnn_windows_adaptive(g->grid_w, g->w2, a->q2s, a->q2e);
    *out = a;
    return TG_OK;
}

static void relu(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 0 ? x[i] : 0;
}

/* out [B, NO] = in [B, NI] W [NI, NO] + bias, then ReLU when asked. */
static void linear_forward(int32_t B, int64_t NI, int64_t NO, const float *in, const float *W,
                           const float *bias, float *out, int with_relu)
{
    for (int32_t b = 0; b < B; b++)
        memcpy(out + (size_t)b * NO, bias, (size_t)NO * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)NO, (int)NI, 1.0f, in, (int)NI,
                W, (int)NO, 1.0f, out, (int)NO);
    if (with_relu)
        relu(out, (size_t)B * (size_t)NO);
}

/* dW [NI, NO] += in^T dout, db += column sums of dout; and when din is not NULL,
 * din [B, NI] = dout W^T through the ReLU that made in (PyTorch's: zero where in is 0). */
static void linear_backward(int32_t B, int64_t NI, int64_t NO, const float *in, const float *W,
                            const float *dout, float *dW, float *db, float *din)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)NI, (int)NO, B, 1.0f, in, (int)NI,
                dout, (int)NO, 1.0f, dW, (int)NO);
    for (int32_t b = 0; b < B; b++)
        for (int64_t o = 0; o < NO; o++)
            db[o] += dout[(size_t)b * NO + o];
    if (din == NULL)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, (int)NI, (int)NO, 1.0f, dout, (int)NO,
                W, (int)NO, 0.0f, din, (int)NI);
    for (size_t i = 0; i < (size_t)B * (size_t)NI; i++)
        if (!(in[i] > 0))
            din[i] = 0;
}

/* A row's entries; an empty batch may come with no arrays at all (NULL + 0 is undefined). */
static const int32_t *row_cols(const tg_csr_batch *x, int64_t k0)
{
    return x->indices ? x->indices + k0 : NULL;
}
static const float *row_vals(const tg_csr_batch *x, int64_t k0)
{
    return x->values ? x->values + k0 : NULL;
}

void tg_cnn_forward(tg_cnn_acts *a, const float *params, const tg_csr_batch *x, float *logits)
{
    const tg_cnn_geom *g = &a->g;
    cnn_tensors p;
    cnn_point(g, (float *)params, &p);
    const size_t P1 = (size_t)(g->c1 * g->h1p * g->w1p), F = (size_t)g->features;
    const int64_t L2 = g->h2 * g->w2;
    for (int32_t b = 0; b < x->rows; b++) {
        const int64_t k0 = x->indptr[b], nnz = x->indptr[b + 1] - k0;
        float *p1 = a->p1 + (size_t)b * P1;
        tg_cnn_conv1_forward(g, p.K1, p.b1, row_cols(x, k0), row_vals(x, k0), nnz, a->a1);
        relu(a->a1, (size_t)(g->c1 * g->h1 * g->w1));
        tg_cnn_maxpool_forward(a->a1, g->c1, g->h1, g->w1, a->r1s, a->r1e, g->h1p, a->q1s,
                               a->q1e, g->w1p, p1, a->p1_arg + (size_t)b * P1);
        tg_cnn_conv_forward(p1, g->c1, g->h1p, g->w1p, p.K2, p.b2, g->c2, g->k2,
                            (g->k2 - 1) / 2, a->col, a->a2);
        relu(a->a2, (size_t)(g->c2 * L2));
        tg_cnn_maxpool_forward(a->a2, g->c2, g->h2, g->w2, a->r2s, a->r2e, g->grid_h, a->q2s,
                               a->q2e, g->grid_w, a->flat + (size_t)b * F,
                               a->flat_arg + (size_t)b * F);
    }
    linear_forward(x->rows, g->features, g->hidden, a->flat, p.W3, p.b3, a->h3, 1);
    linear_forward(x->rows, g->hidden, g->mid, a->h3, p.W4, p.b4, a->h4, 1);
    linear_forward(x->rows, g->mid, g->genres, a->h4, p.W5, p.b5, logits, 0);
}

void tg_cnn_backward(tg_cnn_acts *a, const float *params, float *grads, const tg_csr_batch *x,
                     const float *dlogits)
{
    const tg_cnn_geom *g = &a->g;
    cnn_tensors p, d;
    cnn_point(g, (float *)params, &p);
    cnn_point(g, grads, &d);
    const int32_t B = x->rows;
    linear_backward(B, g->mid, g->genres, a->h4, p.W5, dlogits, d.W5, d.b5, a->dh4);
    linear_backward(B, g->hidden, g->mid, a->h3, p.W4, a->dh4, d.W4, d.b4, a->dh3);
    /* flat is the max of ReLU outputs: zero where conv2's winning output was not > 0 */
    linear_backward(B, g->features, g->hidden, a->flat, p.W3, a->dh3, d.W3, d.b3, a->dflat);
    const size_t P1 = (size_t)(g->c1 * g->h1p * g->w1p), F = (size_t)g->features;
    const int64_t HW1 = g->h1 * g->w1, HW1p = g->h1p * g->w1p;
    for (int32_t b = 0; b < B; b++) {
        const int64_t k0 = x->indptr[b], nnz = x->indptr[b + 1] - k0;
        const float *p1 = a->p1 + (size_t)b * P1;
        /* conv2's output gets a gradient only where the adaptive pool took a maximum:
         * features cells of c2 x h2 x w2 (0.3 % at nbSteps 358), so its backward goes
         * from those cells alone rather than two sgemms over a mostly zero plane */
        memset(a->dp1, 0, P1 * sizeof(float));
        tg_cnn_conv_backward_at(p1, g->c1, g->h1p, g->w1p, p.K2, g->c2, g->k2, (g->k2 - 1) / 2,
                                a->dflat + (size_t)b * F, a->flat_arg + (size_t)b * F,
                                g->grid_h * g->grid_w, d.K2, d.b2, a->dp1);
        /* through ReLU and pool1 into conv1's output; conv1's bias gets the sum */
        for (size_t i = 0; i < P1; i++)
            if (!(p1[i] > 0))
                a->dp1[i] = 0;
        for (int64_t c = 0; c < g->c1; c++) {
            float s = 0;
            for (int64_t i = 0; i < HW1p; i++)
                s += a->dp1[c * HW1p + i];
            d.b1[c] += s;
        }
        memset(a->a1, 0, (size_t)(g->c1 * HW1) * sizeof(float));
        tg_cnn_maxpool_backward(a->dp1, a->p1_arg + (size_t)b * P1, g->c1, HW1, HW1p, a->a1);
        tg_cnn_conv1_backward(g, a->a1, row_cols(x, k0), row_vals(x, k0), nnz, d.K1);
    }
}

/* ---- the CPU model of net.h: the report's geometry for the spec's plane ---- */

static tg_code geom_of(const tg_net_spec *s, tg_cnn_geom *g, tg_error *e)
{
    tg_cnn_geom_report(g, s);
    return tg_cnn_geom_init(g, e);
}

static tg_code cnn_layout(const tg_net_spec *s, int32_t batch, tg_net_layout *l, tg_error *e)
{
    tg_cnn_geom g;
    memset(l, 0, sizeof *l);
    tg_code rc = geom_of(s, &g, e);
    return rc == TG_OK ? tg_cnn_layout(&g, batch, l, e) : rc;
}

static void cnn_init(const tg_net_spec *s, const tg_net_layout *l, float *params, uint64_t seed)
{
    (void)l;
    tg_cnn_geom g;
    tg_error e;
    if (geom_of(s, &g, &e) == TG_OK) /* it was checked by the layout */
        tg_cnn_init(&g, params, seed);
}

static tg_code cnn_acts_alloc(const tg_net_spec *s, int32_t max_batch, void **acts, tg_error *e)
{
    tg_cnn_geom g;
    tg_cnn_acts *a = NULL;
    tg_code rc = geom_of(s, &g, e);
    if (rc == TG_OK)
        rc = tg_cnn_acts_alloc(&g, max_batch, &a, e);
    *acts = a;
    return rc;
}

static void cnn_acts_free(void *acts)
{
    tg_cnn_acts_free(acts);
}

static void cnn_forward(const tg_net_spec *s, const float *params, const tg_csr_batch *x,
                        void *acts, float *logits)
{
    (void)s;
    tg_cnn_forward(acts, params, x, logits);
}

static void cnn_backward(const tg_net_spec *s, const float *params, float *grads,
                         const tg_csr_batch *x, void *acts, const float *dlogits)
{
    (void)s;
    tg_cnn_backward(acts, params, grads, x, dlogits);
}

/* Every gradient is dense here (conv and Linear-3 weights see every batch), so the
 * whole block is zeroed. */
static void cnn_zero_grad(const tg_net_spec *s, float *grads, const tg_csr_batch *x)
{
    (void)x;
    tg_cnn_geom g;
    tg_error e;
    if (geom_of(s, &g, &e) == TG_OK)
        memset(grads, 0, cnn_point(&g, NULL, &(cnn_tensors){0}) * sizeof(float));
}

const tg_cpu_model tg_cpu_cnn = {
    .layout = cnn_layout, .init = cnn_init, .acts_alloc = cnn_acts_alloc,
    .acts_free = cnn_acts_free, .forward = cnn_forward, .backward = cnn_backward,
    .zero_grad = cnn_zero_grad,
};
