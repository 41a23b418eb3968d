/* test_mlp.c - the CPU reference MLP: gradients against central differences of an
 * independent double-precision forward written here, BCE at extreme logits, Adam
 * against hand-computed steps, nn.Linear's init bounds, and learning on a toy task. */
#include "mlp.h"

#include "rng.h"

#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

/* A tiny problem: 4 rows over 9 inputs, 5 hidden units, 3 genres. */
static const tg_mlp_shape S = {.inputs = 9, .hidden = 5, .genres = 3};
static const int64_t indptr[] = {0, 3, 4, 4, 7};
static const int32_t indices[] = {0, 4, 8, 2, 1, 4, 7};
static const float values[] = {1.5f, -0.5f, 2.0f, 0.7f, 1.0f, 3.0f, -1.2f};
static const uint8_t Y[] = {1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0};
static const float POS_W[] = {2.0f, 0.5f, 1.0f};
static const float SAMPLE_W[] = {0.1f, 0.4f, 0.2f, 0.3f};

/* Loss of the network at parameters theta (double), written from the definitions. */
static double ref_loss(const double *theta, int weighted)
{
    const double *W1 = theta, *b1 = W1 + 45, *W2 = b1 + 5, *b2 = W2 + 15;
    double total = 0;
    for (int b = 0; b < 4; b++) {
        double h[5];
        for (int j = 0; j < 5; j++) {
            double z = b1[j];
            for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
                z += values[k] * W1[indices[k] * 5 + j];
            h[j] = z > 0 ? z : 0;
        }
        for (int g = 0; g < 3; g++) {
            double x = b2[g];
            for (int j = 0; j < 5; j++)
                x += h[j] * W2[j * 3 + g];
            double y = Y[b * 3 + g], pw = weighted ? POS_W[g] : 1, sw = weighted ? SAMPLE_W[b] : 1;
            double p = 1 / (1 + exp(-x));
            total += sw * -(pw * y * log(p) + (1 - y) * log(1 - p));
        }
    }
    return total / 12;
}

static void check_gradients(int weighted)
{
    size_t n = tg_mlp_param_count(&S);
    cr_assert_eq(n, 45 + 5 + 15 + 3);
    float *block = malloc(n * sizeof(float)), *gblock = calloc(n, sizeof(float));
    tg_mlp_tensors p, g;
    tg_mlp_point(&p, block, &S);
    tg_mlp_point(&g, gblock, &S);
    tg_mlp_init(&p, &S, 11);
    for (size_t i = 0; i < n; i++) /* larger weights: more active ReLUs, larger logits */
        block[i] *= 3.0f;
    tg_mlp_acts a;
    tg_error e = {0};
    cr_assert_eq(tg_mlp_acts_alloc(&a, &S, 4, &e), TG_OK);
    tg_csr_batch x = {.rows = 4, .indptr = indptr, .indices = indices, .values = values};
    tg_mlp_forward(&p, &S, &x, &a);
    double loss = tg_mlp_bce(a.logits, Y, 4, 3, weighted ? POS_W : NULL,
                             weighted ? SAMPLE_W : NULL, a.dlogits);
    tg_mlp_backward(&p, &g, &S, &x, &a);

    double *theta = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++)
        theta[i] = block[i];
    cr_assert_float_eq(loss, ref_loss(theta, weighted), 1e-5);
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double keep = theta[i];
        theta[i] = keep + h;
        double up = ref_loss(theta, weighted);
        theta[i] = keep - h;
        double down = ref_loss(theta, weighted);
        theta[i] = keep;
        double num = (up - down) / (2 * h);
        cr_assert(fabs(gblock[i] - num) <= 1e-4 + 1e-3 * fabs(num),
                  "param %zu: analytic %.8g numeric %.8g", i, gblock[i], num);
    }
    /* W1 rows of inputs no row uses (3, 5, 6) stay exactly zero */
    for (int r = 3; r <= 6; r++)
        for (int j = 0; r != 4 && j < 5; j++)
            cr_assert_eq(g.W1[r * 5 + j], 0.0f);
    tg_mlp_zero_grad(&g, &S, &x);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(gblock[i], 0.0f, "zero_grad left %zu", i);
    tg_mlp_acts_free(&a);
    free(block), free(gblock), free(theta);
}

Test(mlp, gradients_match_central_differences) { check_gradients(0); }
Test(mlp, weighted_gradients_match_central_differences) { check_gradients(1); }

Test(mlp, bce_is_stable_at_extreme_logits)
{
    float logits[] = {100, -100, 100, -100, 0};
    uint8_t y[] = {0, 1, 1, 0, 1};
    float d[5];
    /* mean of 100, 100, ~0, ~0, log 2 over 5 elements */
    double l = tg_mlp_bce(logits, y, 1, 5, NULL, NULL, d);
    cr_assert(isfinite(l));
    cr_assert_float_eq(l, (200 + log(2.0)) / 5, 1e-9);
    cr_assert_float_eq(d[0], 1.0 / 5, 1e-7);  /* sigmoid(100) - 0 */
    cr_assert_float_eq(d[1], -1.0 / 5, 1e-7); /* sigmoid(-100) - 1 */
    cr_assert_float_eq(d[2], 0.0, 1e-7);
    cr_assert_float_eq(d[4], -0.5 / 5, 1e-7);
    float big[] = {1e30f, -1e30f};
    uint8_t y2[] = {0, 1};
    cr_assert(isfinite(tg_mlp_bce(big, y2, 1, 2, NULL, NULL, d)));
    cr_assert(isfinite(d[0]) && isfinite(d[1]));
}

Test(mlp, adam_matches_hand_computed_steps)
{
    tg_adam opt = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    float p = 1.0f, g = 0.5f, m = 0, v = 0;
    /* t=1: m = 0.05, v = 0.00025; bc1 = 0.1, bc2 = 0.001;
     * p = 1 - (0.1/0.1) * 0.05 / (sqrt(0.00025)/sqrt(0.001) + 1e-8) = 1 - 0.05/0.5 = 0.9 */
    tg_adam_step(&opt, 1, &p, &g, &m, &v, 1);
    cr_assert_float_eq(m, 0.05f, 1e-8);
    cr_assert_float_eq(v, 0.00025f, 1e-10);
    cr_assert_float_eq(p, 0.9f, 1e-6);
    /* t=2 with g = -0.25: m = 0.045 - 0.025 = 0.02; v = 0.00024975 + 0.0000625 = 0.00031225;
     * bc1 = 0.19, bc2 = 0.001999; p = 0.9 - (0.1/0.19) * 0.02 / (sqrt(0.00031225/0.001999))
     *   = 0.9 - 0.5263158 * 0.02 / 0.3952232 = 0.9 - 0.0266337 = 0.8733663 */
    g = -0.25f;
    tg_adam_step(&opt, 2, &p, &g, &m, &v, 1);
    cr_assert_float_eq(m, 0.02f, 1e-7);
    cr_assert_float_eq(v, 0.00031225f, 1e-9);
    cr_assert_float_eq(p, 0.8733663f, 1e-6, "p = %.9g", p);
    /* a zero gradient still moves the parameter by the momentum, as in PyTorch */
    float before = p;
    g = 0;
    tg_adam_step(&opt, 3, &p, &g, &m, &v, 1);
    cr_assert(p < before);
}

/* A moment decayed into the denormal range leaves the step as zero (on x86, where
 * such values cost a microcode assist on every later step), and the caller's floating
 * point mode is as it was; a normal moment still decays by beta. */
Test(mlp, adam_flushes_denormal_moments)
{
#if defined(__SSE__) || defined(__x86_64__)
    tg_adam opt = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    float p[2] = {0.5f, 0.5f}, g[2] = {0, 0};
    float m[2] = {FLT_MIN / 4, 1e-3f}, v[2] = {FLT_MIN / 8, 1e-6f};
    cr_assert(fpclassify(m[0]) == FP_SUBNORMAL && fpclassify(v[0]) == FP_SUBNORMAL);
    unsigned before = _mm_getcsr();
    tg_adam_step(&opt, 100, p, g, m, v, 2);
    cr_assert_eq(_mm_getcsr(), before, "the step leaves the caller's MXCSR as it was");
    cr_assert(m[0] == 0.0f && v[0] == 0.0f, "m %g v %g", m[0], v[0]);
    cr_assert_float_eq(m[1], 0.9e-3f, 1e-10);
    cr_assert_float_eq(v[1], 0.999e-6f, 1e-12);
    cr_assert_eq(p[0], 0.5f);          /* m read as 0: no move */
    volatile float tiny = FLT_MIN;     /* outside the step, denormals are as they were */
    cr_assert(fpclassify(tiny / 4) == FP_SUBNORMAL);
#else
    cr_skip_test("denormals are flushed on x86 only");
#endif
}

Test(mlp, init_follows_nn_linear_bounds)
{
    tg_mlp_shape s = {.inputs = 400, .hidden = 30, .genres = 7};
    size_t n = tg_mlp_param_count(&s);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    tg_mlp_tensors p, q;
    tg_mlp_point(&p, a, &s);
    tg_mlp_point(&q, b, &s);
    tg_mlp_init(&p, &s, 5);
    tg_mlp_init(&q, &s, 5);
    cr_assert(memcmp(a, b, n * sizeof(float)) == 0, "deterministic for a seed");
    double lim1 = 1 / sqrt(400.0), lim2 = 1 / sqrt(30.0), max1 = 0;
    for (int64_t i = 0; i < 400 * 30; i++) {
        cr_assert(fabs(p.W1[i]) <= lim1);
        max1 = fmax(max1, fabs(p.W1[i]));
    }
    cr_assert(max1 > 0.9 * lim1, "spread over the whole interval");
    for (int64_t i = 0; i < 30; i++)
        cr_assert(fabs(p.b1[i]) <= lim1);
    for (int64_t i = 0; i < 30 * 7 + 7; i++)
        cr_assert(fabs(p.W2[i]) <= lim2);
    tg_mlp_init(&q, &s, 6);
    cr_assert(memcmp(a, b, n * sizeof(float)) != 0, "another seed, other weights");
    free(a), free(b);
}

Test(mlp, loss_decreases_on_a_learnable_toy_task)
{
    /* genre g is present iff input g (of 6) is active: 3 genres, 32 rows */
    tg_mlp_shape s = {.inputs = 6, .hidden = 16, .genres = 3};
    int64_t ptr[33];
    int32_t idx[32 * 6];
    float val[32 * 6];
    uint8_t y[32 * 3];
    tg_rng r;
    tg_rng_seed(&r, 1, 2, 3);
    int64_t nnz = 0;
    for (int b = 0; b < 32; b++) {
        ptr[b] = nnz;
        for (int j = 0; j < 6; j++)
            if (tg_rng_uniform(&r) < 0.5) {
                idx[nnz] = j;
                val[nnz++] = 1.0f;
            }
        for (int g = 0; g < 3; g++) {
            y[b * 3 + g] = 0;
            for (int64_t k = ptr[b]; k < nnz; k++)
                y[b * 3 + g] |= idx[k] == g;
        }
    }
    ptr[32] = nnz;
    tg_csr_batch x = {.rows = 32, .indptr = ptr, .indices = idx, .values = val};
    size_t n = tg_mlp_param_count(&s);
    float *pb = malloc(n * 4), *gb = calloc(n, 4), *m = calloc(n, 4), *v = calloc(n, 4);
    tg_mlp_tensors p, g;
    tg_mlp_point(&p, pb, &s);
    tg_mlp_point(&g, gb, &s);
    tg_mlp_init(&p, &s, 1);
    tg_mlp_acts a;
    tg_error e = {0};
    cr_assert_eq(tg_mlp_acts_alloc(&a, &s, 32, &e), TG_OK);
    tg_adam opt = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    double first = 0, last = 0;
    for (int t = 1; t <= 300; t++) {
        tg_mlp_forward(&p, &s, &x, &a);
        last = tg_mlp_bce(a.logits, y, 32, 3, NULL, NULL, a.dlogits);
        if (t == 1)
            first = last;
        tg_mlp_backward(&p, &g, &s, &x, &a);
        tg_adam_step(&opt, t, pb, gb, m, v, n);
        tg_mlp_zero_grad(&g, &s, &x);
    }
    cr_assert(last < 0.1 * first, "loss %g -> %g", first, last);
    tg_mlp_acts_free(&a);
    free(pb), free(gb), free(m), free(v);
}
