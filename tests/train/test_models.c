/* test_models.c - the logreg and factorized CPU models of net.h: every gradient against
 * central differences of an independent double-precision forward written here, the
 * GRU's forward against hand-computed steps, learning a planted task, determinism, and
 * the factorized model's size not growing with steps. */
#include "trainer.h"

#include "dense_source.h"
#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- an independent reference: the models' definitions (net_logreg.c,
 * net_factorized.c, PyTorch's nn.Linear, nn.Conv1d(padding='same'), nn.GRU) in double,
 * one album at a time, on a dense plane built from the CSR row. */

static const double *tensor(const tg_net_layout *l, const double *theta, const char *name)
{
    for (int k = 0; k < l->n_tensors; k++)
        if (strcmp(l->tensors[k].name, name) == 0)
            return theta + l->tensors[k].offset;
    cr_assert_fail("no tensor %s", name);
    return NULL;
}

static double sigmoid(double a)
{
    return 1 / (1 + exp(-a));
}

/* logits [G] of album b */
static void ref_logits(const tg_net_spec *s, const tg_net_layout *l, const double *th,
                       const tg_csr_batch *x, int b, double *out)
{
    const int T = (int)s->steps, Cn = (int)s->cities, G = (int)s->genres;
    double *plane = calloc((size_t)(T * Cn), sizeof *plane);
    for (int64_t k = x->indptr[b]; k < x->indptr[b + 1]; k++)
        plane[x->indices[k]] = x->values[k];
    if (s->kind == TG_NET_LOGREG) {
        const double *W = tensor(l, th, "W"), *bias = tensor(l, th, "b");
        for (int g = 0; g < G; g++) {
            out[g] = bias[g];
            for (int j = 0; j < T * Cn; j++)
                out[g] += plane[j] * W[j * G + g];
        }
        free(plane);
        return;
    }
    const int D = (int)s->embed, C = (int)s->channels, K = (int)s->kernel;
    double *e = calloc((size_t)(T * D), sizeof *e), *y = calloc((size_t)(T * C), sizeof *y);
    const double *E = tensor(l, th, "E");
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++)
            for (int c = 0; c < Cn; c++)
                e[t * D + i] += plane[t * Cn + c] * E[c * D + i];
    /* what surrounds the temporal model (net_factorized.c): the album's steps scaled by
     * c log1p(m) / m, m its mean step total; c is 1 for the GRU, TG_CONV_INPUT_GAIN for
     * a conv of conv_version 2, and a conv of version 1 is not scaled */
    const double gain = s->temporal == TG_TEMPORAL_GRU ? 1 : s->conv_version >= 2 ? 10 : 0;
    /* (10: TG_CONV_INPUT_GAIN) */
    double m = 0;
    for (int j = 0; j < T * Cn; j++)
        m += plane[j] / T;
    const double scale = gain > 0 && m > 0 ? gain * log1p(m) / m : 1;
    for (int j = 0; j < T * D; j++)
        e[j] *= scale;
    if (s->temporal == TG_TEMPORAL_CONV) {
        /* torch: weight [C, D, K], ours [K, D, C]; padding 'same' pads (K-1)//2 left */
        const double *W = tensor(l, th, "W_conv"), *bc = tensor(l, th, "b_conv");
        for (int t = 0; t < T; t++)
            for (int o = 0; o < C; o++) {
                double z = bc[o];
                for (int j = 0; j < K; j++) {
                    int u = t + j - (K - 1) / 2;
                    for (int i = 0; u >= 0 && u < T && i < D; i++)
                        z += W[(j * D + i) * C + o] * e[u * D + i];
                }
                y[t * C + o] = z > 0 ? z : 0;
            }
    } else {
        const double *Wih = tensor(l, th, "W_ih"), *Whh = tensor(l, th, "W_hh");
        const double *bih = tensor(l, th, "b_ih"), *bhh = tensor(l, th, "b_hh");
        /* and nn.GRU reads the album from its last step back */
        double *u = calloc((size_t)(T * D), sizeof *u);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < D; i++)
                u[t * D + i] = e[(T - 1 - t) * D + i];
        memcpy(e, u, (size_t)(T * D) * sizeof *e);
        free(u);
        double *h = calloc((size_t)C, sizeof *h);
        for (int t = 0; t < T; t++) {
            double a[3][64], u[3][64]; /* gates r, z, n: input side a, hidden side u */
            cr_assert(C <= 64);
            for (int g = 0; g < 3; g++)
                for (int j = 0; j < C; j++) {
                    a[g][j] = bih[g * C + j];
                    u[g][j] = bhh[g * C + j];
                    for (int i = 0; i < D; i++)
                        a[g][j] += Wih[(g * C + j) * D + i] * e[t * D + i];
                    for (int i = 0; i < C; i++)
                        u[g][j] += Whh[(g * C + j) * C + i] * h[i];
                }
            for (int j = 0; j < C; j++) {
                double r = sigmoid(a[0][j] + u[0][j]), z = sigmoid(a[1][j] + u[1][j]);
                double n = tanh(a[2][j] + r * u[2][j]);
                y[t * C + j] = (1 - z) * n + z * h[j];
            }
            memcpy(h, y + t * C, (size_t)C * sizeof *h);
        }
        free(h);
    }
    const double *Wo = tensor(l, th, "W_out"), *bo = tensor(l, th, "b_out");
    const double head = s->temporal == TG_TEMPORAL_GRU ? 10 : 1; /* TG_GRU_HEAD_GAIN */
    for (int g = 0; g < G; g++)
        out[g] = bo[g];
    for (int o = 0; o < C; o++) {
        double mean = 0, max = y[o];
        for (int t = 0; t < T; t++)
            mean += y[t * C + o] / T, max = fmax(max, y[t * C + o]);
        for (int g = 0; g < G; g++)
            out[g] += head * (mean * Wo[o * G + g] + max * Wo[(C + o) * G + g]);
    }
    free(plane), free(e), free(y);
}

/* BCE with logits, mean over the batch's B x G elements */
static double ref_loss(const tg_net_spec *s, const tg_net_layout *l, const double *th,
                       const tg_csr_batch *x, const uint8_t *y)
{
    const int G = (int)s->genres;
    double total = 0, z[16];
    cr_assert(G <= 16);
    for (int b = 0; b < x->rows; b++) {
        ref_logits(s, l, th, x, b, z);
        for (int g = 0; g < G; g++)
            total += y[b * G + g] ? log1p(exp(-z[g])) : log1p(exp(z[g]));
    }
    return total / (x->rows * G);
}

/* A tiny batch over 5 steps x 4 cities, 3 genres: album 0 spread over every step,
 * album 1 a single burst at the last step, album 2 silent; city 3 is never heard, so
 * its rows of W or E must get no gradient. Columns are step * 4 + city. */
static const int64_t INDPTR[] = {0, 7, 9, 9};
static const int32_t INDICES[] = {0, 5, 6, 9, 12, 14, 17, 16, 18};
static const float VALUES[] = {2.0f, 1.0f, 3.0f, 0.5f, 1.5f, 2.0f, 1.0f, 4.0f, 1.0f};
static const uint8_t Y[] = {1, 0, 1, 0, 1, 0, 0, 0, 1};

/* Builds the net of spec, runs forward, BCE and backward on batch x (labels Y), and
 * checks logits, loss and every gradient against the double reference. The parameters
 * are scaled by 3 from their initialisation so that ReLUs and gates work away from zero
 * and from saturation both. */
static void check_gradients(tg_net_spec s, const tg_csr_batch *x)
{
    tg_net *n = NULL;
    tg_error e = {0};
    cr_assert_eq(tg_net_create(&n, &s, TG_BACKEND_CPU, 3, 5, 1, &e), TG_OK, "%s", e.msg);
    const tg_net_layout *l = &n->layout;
    const size_t N = l->n_params;
    float *p = tg_net_cpu_params(n), *g = tg_net_cpu_grads(n);
    for (size_t i = 0; i < N; i++)
        p[i] *= 3.0f;
    const int G = (int)s.genres, rows = x->rows;
    float logits[3 * 16], dlogits[3 * 16];
    cr_assert_eq(tg_net_forward(n, x, logits, &e), TG_OK);
    double loss = tg_mlp_bce(logits, Y, rows, G, NULL, NULL, dlogits);
    cr_assert_eq(tg_net_backward(n, x, dlogits, &e), TG_OK);

    double *th = malloc(N * sizeof *th);
    for (size_t i = 0; i < N; i++)
        th[i] = p[i];
    for (int b = 0; b < rows; b++) {
        double z[16];
        ref_logits(&n->spec, l, th, x, b, z);
        for (int k = 0; k < G; k++)
            cr_assert(fabs(logits[b * G + k] - z[k]) <= 1e-5 + 1e-5 * fabs(z[k]),
                      "album %d genre %d: %.8g vs reference %.8g", b, k, logits[b * G + k], z[k]);
    }
    cr_assert_float_eq(loss, ref_loss(&n->spec, l, th, x, Y), 1e-6);
    /* central differences in double: truncation error O(h^2) ~ 1e-10, rounding
     * ~ 1e-16 / h ~ 1e-11, far below what float32 gradients (~1e-7 relative) show */
    const double h = 1e-5;
    for (size_t i = 0; i < N; i++) {
        double keep = th[i];
        th[i] = keep + h;
        double up = ref_loss(&n->spec, l, th, x, Y);
        th[i] = keep - h;
        double down = ref_loss(&n->spec, l, th, x, Y);
        th[i] = keep;
        double num = (up - down) / (2 * h);
        cr_assert(fabs(g[i] - num) <= 1e-5 + 1e-3 * fabs(num),
                  "param %zu: analytic %.8g numeric %.8g", i, g[i], num);
    }
    /* city 3 is never heard: the first tensor's rows of it (logreg's W rows of columns
     * 4 s + 3, the factorized model's E row 3) got exactly nothing, so zero_grad may
     * skip them */
    const tg_net_tensor *first = &l->tensors[0];
    for (int64_t r = 0; r < first->dims[0]; r++)
        for (int64_t j = 0; r % s.cities == 3 && j < first->dims[1]; j++)
            cr_assert_eq(g[first->offset + (size_t)(r * first->dims[1] + j)], 0.0f);
    /* an update clears what backward touched: the whole gradient block is zero */
    tg_adam opt = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    cr_assert_eq(tg_net_update(n, &opt, x, &e), TG_OK);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(g[i], 0.0f, "zero_grad left parameter %zu", i);
    free(th);
    tg_net_destroy(n);
}

static const tg_csr_batch TINY = {.rows = 3, .indptr = INDPTR, .indices = INDICES,
                                  .values = VALUES};

static tg_net_spec factorized(tg_temporal temporal, int64_t steps, int64_t kernel)
{
    tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = steps, .cities = 4, .genres = 3,
                     .embed = 3, .channels = 4, .kernel = kernel, .temporal = temporal};
    return s;
}

Test(models, logreg_gradients_match_central_differences)
{
    tg_net_spec s = {.kind = TG_NET_LOGREG, .steps = 5, .cities = 4, .genres = 3};
    check_gradients(s, &TINY);
}

Test(models, conv_gradients_match_central_differences)
{
    /* a new conv (conv_version 2): each album's input scaled by c log1p(m) / m */
    check_gradients(factorized(TG_TEMPORAL_CONV, 5, 3), &TINY);
    /* an even kernel pads one more on the right, as padding='same' does */
    check_gradients(factorized(TG_TEMPORAL_CONV, 5, 2), &TINY);
    /* a kernel wider than the album */
    check_gradients(factorized(TG_TEMPORAL_CONV, 5, 7), &TINY);
    /* a conv trained before the scale (conv_version 1) is still read without it */
    tg_net_spec old = factorized(TG_TEMPORAL_CONV, 5, 3);
    old.conv_version = 1;
    check_gradients(old, &TINY);
}

/* The conv's input scale by hand: an album of one step and one city heard x times gives
 * e = a x E with a = c log1p(x) / x, i.e. c log1p(x) E whatever x; a version 1 conv
 * gives x E. Kernel 1, one channel, W_conv 1, no bias: the logit is max = mean = relu(e). */
Test(models, conv_input_scale_by_hand)
{
    for (int version = 1; version <= 2; version++) {
        tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = 1, .cities = 1, .genres = 1,
                         .embed = 1, .channels = 1, .kernel = 1, .conv_version = version};
        tg_net *n = NULL;
        tg_error e = {0};
        cr_assert_eq(tg_net_create(&n, &s, TG_BACKEND_CPU, 1, 1, 1, &e), TG_OK, "%s", e.msg);
        /* E, W_conv, b_conv, W_out [2, 1] (mean, max), b_out */
        const float params[] = {0.5f, 1.0f, 0.0f, 0.0f, 1.0f, 0.0f};
        cr_assert_eq(n->layout.n_params, sizeof params / sizeof *params);
        cr_assert_eq(n->ops->set_state(n, params, NULL, NULL, &e), TG_OK);
        static const int64_t ptr[] = {0, 1};
        static const int32_t idx[] = {0};
        static const float val[] = {6.0f};
        tg_csr_batch x = {.rows = 1, .indptr = ptr, .indices = idx, .values = val};
        float out;
        cr_assert_eq(tg_net_forward(n, &x, &out, &e), TG_OK);
        const double want = version == 1 ? 6 * 0.5 : TG_CONV_INPUT_GAIN * log1p(6.0) * 0.5;
        cr_assert_float_eq(out, (float)want, 1e-5, "version %d: %.8g, want %.8g", version, out,
                           want);
        tg_net_destroy(n);
    }
}

Test(models, gru_gradients_match_central_differences)
{
    check_gradients(factorized(TG_TEMPORAL_GRU, 5, 3), &TINY);
}

Test(models, one_step_gradients_match_central_differences)
{
    /* nbSteps 1: columns are cities; the third album is silent */
    static const int64_t ptr[] = {0, 3, 4, 4};
    static const int32_t idx[] = {0, 1, 2, 2};
    static const float val[] = {2.0f, 1.0f, 3.0f, 0.5f};
    tg_csr_batch x = {.rows = 3, .indptr = ptr, .indices = idx, .values = val};
    check_gradients(factorized(TG_TEMPORAL_CONV, 1, 3), &x);
    check_gradients(factorized(TG_TEMPORAL_GRU, 1, 3), &x);
}

/* The demo's nbSteps 28: back-propagation through 28 steps, each album's state carried
 * through silent steps (album 1 stops after step 3, as an album released late does), at
 * more channels than embed, so that a stride or a step's offset wrong only past a few
 * steps or for non-square W_hh blocks shows. */
Test(models, gru_gradients_over_28_steps_match_central_differences)
{
    enum { T = 28, CITIES = 4, NNZ_MAX = 3 * T * CITIES };
    static int64_t ptr[4];
    static int32_t idx[NNZ_MAX];
    static float val[NNZ_MAX];
    int64_t k = 0;
    for (int b = 0; b < 3; b++) {
        ptr[b] = k;
        for (int t = 0; t < T; t++)
            for (int c = 0; c < CITIES - 1; c++) {
                /* album 0 every few cells, album 1 a decaying launch, album 2 a late wave */
                int on = b == 0 ? (t * 7 + c * 3) % 4 == 0 : b == 1 ? t < 4 : t > 20 && c != 1;
                if (!on)
                    continue;
                idx[k] = t * CITIES + c;
                val[k++] = 0.5f + (float)((t * 5 + c * 11 + b * 3) % 7) / 4.0f;
            }
    }
    ptr[3] = k;
    tg_csr_batch x = {.rows = 3, .indptr = ptr, .indices = idx, .values = val};
    tg_net_spec s = factorized(TG_TEMPORAL_GRU, T, 1);
    s.channels = 6;
    check_gradients(s, &x);
}

/* ---- nn.GRU's forward, by hand: steps 2, cities 2, embed 1, channels (hidden) 1,
 * genres 2; W_out makes logit 0 = g 2 mean_t h_t = g (h_0 + h_1) and logit 1 = g max_t h_t
 * (g = TG_GRU_HEAD_GAIN). The GRU reads the album from its last step, so the step it
 * reads first (t = 0 below) is the album's step 1; E is divided by the album's input
 * scale a = log1p(m) / m (m = 4 / 2, its mean step total) so that the GRU's inputs are
 * the round numbers below. */
Test(models, gru_forward_matches_hand_computed_steps)
{
    tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = 2, .cities = 2, .genres = 2,
                     .embed = 1, .channels = 1, .kernel = 1, .temporal = TG_TEMPORAL_GRU};
    tg_net *n = NULL;
    tg_error e = {0};
    cr_assert_eq(tg_net_create(&n, &s, TG_BACKEND_CPU, 1, 1, 1, &e), TG_OK, "%s", e.msg);
    const double a = log1p(2.0) / 2.0;
    /* E [2, 1], W_ih [3, 1], W_hh [3, 1], b_ih [3], b_hh [3], W_out [2, 2], b_out [2];
     * gates in PyTorch's order r, z, n */
    const float params[] = {(float)(0.5 / a), (float)(-1.0 / a), /* E: city 0, city 1 */
                            0.5f, -0.5f, 1.0f,    /* W_ir, W_iz, W_in */
                            -1.0f, 0.5f, 2.0f,    /* W_hr, W_hz, W_hn */
                            0.1f, 0.2f, -0.3f,    /* b_ir, b_iz, b_in */
                            0.0f, -0.1f, 0.4f,    /* b_hr, b_hz, b_hn */
                            2.0f, 0.0f, 0.0f, 1.0f, /* W_out: mean -> (2, 0), max -> (0, 1) */
                            0.0f, 0.0f};
    cr_assert_eq(n->layout.n_params, sizeof params / sizeof *params);
    cr_assert_eq(n->ops->set_state(n, params, NULL, NULL, &e), TG_OK);
    /* step 0: cities 0 and 1 x 1 (columns 0 and 1); step 1: city 0 x 2 (column 2) */
    static const int64_t ptr[] = {0, 3};
    static const int32_t idx[] = {0, 1, 2};
    static const float val[] = {1.0f, 1.0f, 2.0f};
    tg_csr_batch x = {.rows = 1, .indptr = ptr, .indices = idx, .values = val};
    float out[2];
    cr_assert_eq(tg_net_forward(n, &x, out, &e), TG_OK);
    const float logits[2] = {out[0] / TG_GRU_HEAD_GAIN, out[1] / TG_GRU_HEAD_GAIN};
    /* the GRU's inputs: e_0 = a 2 (0.5 / a) = 1 (step 1);  e_1 = a (0.5 - 1) / a = -0.5
     * t = 0, h = 0:
     *   r = sigmoid(0.5 x 1 + 0.1 + 0 + 0)      = sigmoid(0.6)  = 0.6456563062
     *   z = sigmoid(-0.5 x 1 + 0.2 + 0 - 0.1)   = sigmoid(-0.4) = 0.4013123399
     *   n = tanh(1 x 1 - 0.3 + r (2 x 0 + 0.4)) = tanh(0.9582625225) = 0.7435008594
     *   h_0 = (1 - z) n + z 0                   = 0.4451247898
     * t = 1, h = h_0:
     *   r = sigmoid(0.5 x -0.5 + 0.1 - 1 x h_0 + 0)   = sigmoid(-0.5951247898) = 0.3554598554
     *   z = sigmoid(-0.5 x -0.5 + 0.2 + 0.5 h_0 - 0.1) = sigmoid(0.5725623949) = 0.6393542239
     *   n = tanh(-0.5 - 0.3 + r (2 h_0 + 0.4))  = tanh(-0.8 + r x 1.2902495796)
     *     = tanh(-0.3413680710)                 = -0.3286982042
     *   h_1 = (1 - z) n + z h_0                 = 0.1660487956
     * (computed in double with Python's math module, one line per quantity) */
    cr_assert_float_eq(logits[1], 0.4451247898f, 1e-6, "h_0 = max: %.10g", logits[1]);
    cr_assert_float_eq(logits[0] - logits[1], 0.1660487956f, 1e-6, "h_1: %.10g",
                       logits[0] - logits[1]);
    tg_net_destroy(n);
}

/* ---- learning a planted task through the trainer, and determinism */

/* 240 albums over 6 steps x 6 cities, 3 genres: genre g's albums are heard in cities
 * 2g and 2g+1 at three random steps; every album has faint noise in random cells. */
#define PA 240
#define PT 6
#define PC 6
#define PG 3
static uint8_t plabels[PA * PG];
static float pdense[PA][PT * PC];
static uint32_t ptrain[200], ptest[40];

static void make_planted(void)
{
    tg_rng r;
    tg_rng_seed(&r, 17, 0, 0);
    memset(pdense, 0, sizeof pdense);
    for (int a = 0; a < PA; a++) {
        int any = 0;
        for (int g = 0; g < PG; g++)
            any |= plabels[a * PG + g] = tg_rng_uniform(&r) < 0.4;
        if (!any)
            plabels[a * PG + tg_rng_below(&r, PG)] = 1;
        for (int g = 0; g < PG; g++)
            for (int k = 0; plabels[a * PG + g] && k < 3; k++)
                pdense[a][tg_rng_below(&r, PT) * PC + 2 * g + tg_rng_below(&r, 2)] +=
                    (float)(1 + tg_rng_uniform(&r));
        for (int k = 0; k < 4; k++)
            pdense[a][tg_rng_below(&r, PT * PC)] += (float)(0.3 * tg_rng_uniform(&r));
    }
    for (int a = 0; a < PA; a++) {
        if (a < 200)
            ptrain[a] = (uint32_t)a;
        else
            ptest[a - 200] = (uint32_t)a;
    }
}

static tg_code pfill(void *ctx, const uint32_t *albums, int32_t n, tg_csr_buf *out, tg_error *e)
{
    (void)ctx;
    return dense_fill(&pdense[0][0], PT * PC, 0, albums, n, out, e);
}

static tg_net_spec planted_spec(tg_net_kind kind, tg_temporal temporal)
{
    tg_net_spec s = {.kind = kind, .steps = PT, .cities = PC, .genres = PG, .embed = 8,
                     .channels = 8, .temporal = temporal};
    return s;
}

static void train(tg_model *m, const tg_train_config *c, int epochs, tg_epoch_stats *last)
{
    tg_error e = {0};
    tg_train_data d = {.n_albums = PA, .labels = plabels, .train = ptrain, .n_train = 200,
                       .test = ptest, .n_test = 40};
    tg_batch_source src = {.fill = pfill};
    for (int ep = 0; ep < epochs; ep++)
        cr_assert_eq(tg_train_epoch(m, c, &d, &src, last, &e), TG_OK, "%s", e.msg);
}

static const tg_train_config CONFIG = {
    .epochs = 30, .batch = 20, .adam = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
    .seed = 3, .threshold = 0.3, .balance = TG_BALANCE_NONE};

static void learns(tg_net_kind kind, tg_temporal temporal)
{
    tg_net_spec s = planted_spec(kind, temporal);
    tg_model m;
    tg_error e = {0};
    cr_assert_eq(tg_model_alloc(&m, &s, TG_BACKEND_CPU, CONFIG.batch, CONFIG.seed, 1, &e), TG_OK,
                 "%s", e.msg);
    tg_epoch_stats first, last;
    train(&m, &CONFIG, 1, &first);
    train(&m, &CONFIG, 29, &last);
    cr_assert(last.train_loss < 0.5 * first.train_loss, "%g -> %g", first.train_loss,
              last.train_loss);
    cr_assert(last.test_map > 0.95, "%s: test MAP %g", tg_net_kind_names[kind], last.test_map);
    cr_assert(last.test_macro_f1 > 0.85, "macro F1 %g", last.test_macro_f1);
    tg_model_free(&m);
}

TestSuite(models, .init = make_planted);

Test(models, logreg_learns_a_planted_task) { learns(TG_NET_LOGREG, TG_TEMPORAL_CONV); }
Test(models, conv_learns_a_planted_task) { learns(TG_NET_FACTORIZED, TG_TEMPORAL_CONV); }
Test(models, gru_learns_a_planted_task) { learns(TG_NET_FACTORIZED, TG_TEMPORAL_GRU); }

/* Parameters and Adam's v of two models, bit for bit. */
static int same_state(tg_model *a, tg_model *b)
{
    size_t n = a->net->layout.n_params;
    float *pa = malloc(n * 4), *pb = malloc(n * 4), *va = malloc(n * 4), *vb = malloc(n * 4);
    tg_error e = {0};
    cr_assert_eq(a->net->ops->get_state(a->net, pa, NULL, va, &e), TG_OK);
    cr_assert_eq(b->net->ops->get_state(b->net, pb, NULL, vb, &e), TG_OK);
    int same = memcmp(pa, pb, n * 4) == 0 && memcmp(va, vb, n * 4) == 0;
    free(pa), free(pb), free(va), free(vb);
    return same;
}

static void deterministic(tg_net_kind kind, tg_temporal temporal)
{
    tg_net_spec s = planted_spec(kind, temporal);
    tg_model a, b;
    tg_error e = {0};
    tg_epoch_stats st;
    cr_assert_eq(tg_model_alloc(&a, &s, TG_BACKEND_CPU, 20, 3, 1, &e), TG_OK);
    cr_assert_eq(tg_model_alloc(&b, &s, TG_BACKEND_CPU, 20, 3, 1, &e), TG_OK);
    train(&a, &CONFIG, 2, &st);
    train(&b, &CONFIG, 2, &st);
    cr_assert(same_state(&a, &b), "same seed, other bits");
    tg_model_free(&b);
    cr_assert_eq(tg_model_alloc(&b, &s, TG_BACKEND_CPU, 20, 4, 1, &e), TG_OK);
    tg_train_config c = CONFIG;
    c.seed = 4;
    train(&b, &c, 2, &st);
    cr_assert(!same_state(&a, &b), "another seed, the same model");
    tg_model_free(&a);
    tg_model_free(&b);
}

Test(models, logreg_same_seed_same_bits) { deterministic(TG_NET_LOGREG, TG_TEMPORAL_CONV); }
Test(models, conv_same_seed_same_bits) { deterministic(TG_NET_FACTORIZED, TG_TEMPORAL_CONV); }
Test(models, gru_same_seed_same_bits) { deterministic(TG_NET_FACTORIZED, TG_TEMPORAL_GRU); }

/* ---- sizes and initialisation */

Test(models, factorized_size_does_not_grow_with_steps)
{
    /* the demo store's 2683 cities and 27 genres, default sizes */
    tg_error e = {0};
    for (int t = 0; t < 2; t++) {
        tg_net_layout l1, l358;
        tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = 1, .cities = 2683, .genres = 27,
                         .temporal = (tg_temporal)t};
        cr_assert_eq(tg_net_spec_resolve(&s, &e), TG_OK);
        cr_assert_eq(tg_net_layout_of(&s, 20, &l1, &e), TG_OK, "%s", e.msg);
        s.steps = 358;
        cr_assert_eq(tg_net_layout_of(&s, 20, &l358, &e), TG_OK, "%s", e.msg);
        cr_assert_eq(l1.n_params, l358.n_params);
        /* E is 2683 x D; the rest is a few tens of thousands */
        cr_assert_lt(l358.n_params, 2683 * (size_t)s.embed + 100000);
        /* activations of a batch of 20 at 358 steps: tens of MB at most */
        cr_assert_lt(l358.act_bytes, 64u << 20, "%llu", (unsigned long long)l358.act_bytes);
    }
    /* logreg's W is inputs x genres: it grows with steps, linearly */
    tg_net_spec s = {.kind = TG_NET_LOGREG, .steps = 358, .cities = 2683, .genres = 27};
    tg_net_layout l;
    cr_assert_eq(tg_net_layout_of(&s, 20, &l, &e), TG_OK);
    cr_assert_eq(l.n_params, 358u * 2683 * 27 + 27);
}

Test(models, init_follows_pytorch_bounds)
{
    tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = 4, .cities = 300, .genres = 5,
                     .embed = 16, .channels = 20, .kernel = 3, .temporal = TG_TEMPORAL_GRU};
    for (int t = 0; t < 2; t++) {
        s.temporal = (tg_temporal)t;
        tg_net *n = NULL;
        tg_error e = {0};
        cr_assert_eq(tg_net_create(&n, &s, TG_BACKEND_CPU, 2, 9, 1, &e), TG_OK, "%s", e.msg);
        const float *p = tg_net_cpu_params(n);
        for (int k = 0; k < n->layout.n_tensors; k++) {
            const tg_net_tensor *tn = &n->layout.tensors[k];
            /* E: Linear(cities, D); conv: D x K; GRU: hidden; head: 2C */
            double fan = tn->name[0] == 'E' ? 300 : strstr(tn->name, "conv") ? 16 * 3
                       : strstr(tn->name, "out") ? 40 : 20;
            double bound = 1 / sqrt(fan), max = 0;
            for (size_t i = 0; i < tn->count; i++) {
                cr_assert(fabs(p[tn->offset + i]) <= bound, "%s[%zu]", tn->name, i);
                max = fmax(max, fabs(p[tn->offset + i]));
            }
            cr_assert(max > (tn->count > 50 ? 0.9 : 0.3) * bound, "%s spread", tn->name);
        }
        tg_net_destroy(n);
    }
}
