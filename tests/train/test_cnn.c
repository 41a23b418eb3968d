/* test_cnn.c - the report's CNN (cnn.h): each layer against a hand-computed example, the
 * report's parameter table reproduced, and every gradient of small CNNs against central
 * differences of an independent double-precision forward written here. */
#include "cnn.h"

#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A geometry with the base fields given and the rest derived. */
static tg_cnn_geom geom(int64_t steps, int64_t cities, int64_t c1, int64_t k1, int64_t c2,
                        int64_t k2, int64_t gh, int64_t gw, int64_t hidden, int64_t mid,
                        int64_t genres)
{
    tg_cnn_geom g = {.steps = steps, .cities = cities, .c1 = c1, .k1 = k1, .c2 = c2, .k2 = k2,
                     .grid_h = gh, .grid_w = gw, .hidden = hidden, .mid = mid,
                     .genres = genres};
    tg_error e = {0};
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
    return g;
}

Test(cnn, the_report_table)
{
    /* the report's input, one plane of 100 steps x 2683 cities, and its 27 genres */
    tg_net_spec s = {.kind = TG_NET_CNN, .steps = 100, .cities = 2683, .genres = 27};
    tg_cnn_geom g;
    tg_cnn_geom_report(&g, &s);
    tg_error e = {0};
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(g.w1, 2669);
    cr_assert_eq(g.w1p, 1334);
    cr_assert_eq(g.w2, 1332, "the table's surviving output width");
    cr_assert_eq(g.features, 10656);
    tg_net_layout l;
    cr_assert_eq(tg_cnn_layout(&g, 20, &l, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(l.n_tensors, 10);
    size_t per_layer[5] = {0};
    for (int i = 0; i < l.n_tensors; i++)
        per_layer[i / 2] += l.tensors[i].count;
    cr_assert_eq(per_layer[0], 1356);
    cr_assert_eq(per_layer[1], 880);
    cr_assert_eq(per_layer[2], 43651072);
    cr_assert_eq(per_layer[3], 524416);
    cr_assert_eq(per_layer[4], 3483);
    cr_assert_eq(l.n_params, 44181207, "Total params: 44,181,207");
    /* at 2683 cities the adaptive pool's windows are the 2 x 2 pool's */
    int64_t as[666], ae[666], ps[666], pe[666];
    tg_cnn_windows_adaptive(666, 1332, as, ae);
    tg_cnn_windows_pairs(666, 1332, ps, pe);
    cr_assert(memcmp(as, ps, sizeof as) == 0 && memcmp(ae, pe, sizeof ae) == 0);
    /* the shapes follow --steps; Linear-3 keeps its inputs */
    s.steps = 1;
    tg_cnn_geom_report(&g, &s);
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
    cr_assert(g.h1 == 1 && g.h1p == 1 && g.h2 == 1 && g.features == 10656);
    s.steps = 358;
    tg_cnn_geom_report(&g, &s);
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
    cr_assert(g.h1 == 358 && g.h1p == 179 && g.h2 == 179 && g.features == 10656);
    /* a store of 12 cities is padded to the narrowest plane both convolutions fit */
    s.cities = 12;
    tg_cnn_geom_report(&g, &s);
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
    cr_assert(g.width == 20 && g.w1 == 6 && g.w1p == 3 && g.w2 == 1);
    g.k1 = 4;
    cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_ERR_USAGE, "even kernels are refused");
}

Test(cnn, conv1_from_a_sparse_row)
{
    /* plane 2 steps x 4 cities: (step 0, city 1) = 2, (step 1, city 3) = -1; one 3 x 3
     * kernel 1..9, bias 0.5, one zero row of padding above and below:
     *   out[0][0] = 0.5 + 2 K[1][1]            = 10.5
     *   out[0][1] = 0.5 + 2 K[1][0] - K[2][2]  = -0.5
     *   out[1][0] = 0.5 + 2 K[0][1]            = 4.5
     *   out[1][1] = 0.5 + 2 K[0][0] - K[1][2]  = -3.5 */
    tg_cnn_geom g = geom(2, 4, 1, 3, 1, 1, 1, 1, 1, 1, 1);
    cr_assert(g.h1 == 2 && g.w1 == 2 && g.width == 4);
    const int32_t cols[] = {1, 7};
    const float vals[] = {2, -1}, K[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, bias[1] = {0.5f};
    float out[4];
    tg_cnn_conv1_forward(&g, K, bias, cols, vals, 2, out);
    const float want[4] = {10.5f, -0.5f, 4.5f, -3.5f};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(out[i], want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
    /* dK[kh][kw] = sum over outputs of dout[oh][ow] x plane[oh + kh - 1][ow + kw]: the
     * entry 2 meets (oh, ow) = (1, 1), (1, 0), (0, 1), (0, 0) through K[0][0], K[0][1],
     * K[1][0], K[1][1]; the entry -1 meets (1, 1) and (0, 1) through K[1][2], K[2][2] */
    const float dout[4] = {1, 10, 100, 1000};
    float dK[9] = {0};
    tg_cnn_conv1_backward(&g, dout, cols, vals, 2, dK);
    const float wantK[9] = {2000, 200, 0, 20, 2, -1000, 0, 0, -10};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(dK[i], wantK[i], "dK[%d] = %g, want %g", i, dK[i], wantK[i]);
}

Test(cnn, conv2_by_im2col)
{
    /* in [1, 2, 3] = {1 2 3; 4 5 6}, 3 x 3 kernels, one zero row above and below, no
     * padding along W: two output rows of one column.
     * kernel 1..9: row 0 sees {0; 1 2 3; 4 5 6} -> 4+10+18 + 28+40+54 = 154,
     *              row 1 sees {1 2 3; 4 5 6; 0} -> 1+4+9 + 16+25+36 = 91; bias 0.5
     * kernel of ones: 21 both rows; bias -1 */
    const float in[6] = {1, 2, 3, 4, 5, 6};
    float K[18], col[18], out[4];
    for (int i = 0; i < 9; i++)
        K[i] = (float)(i + 1), K[9 + i] = 1;
    const float bias[2] = {0.5f, -1};
    tg_cnn_conv_forward(in, 1, 2, 3, K, bias, 2, 3, 1, col, out);
    const float want[4] = {154.5f, 91.5f, 20, 20};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(out[i], want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
    /* backward from d out = 1 at output row 0 of kernel 0 (and a zero at kernel 1's row
     * 1): dK of kernel 0 is row 0's window, and din is kernel 0 laid on that window:
     * din[r][c] = K0[r + 1][c] */
    const float dout[2] = {1, 0};
    const int32_t pos[2] = {0, 1};
    float dK[18] = {0}, db[2] = {0}, din[6] = {0};
    tg_cnn_conv_backward_at(in, 1, 2, 3, K, 2, 3, 1, dout, pos, 1, dK, db, din);
    const float wantK[9] = {0, 0, 0, 1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(dK[i], wantK[i], "dK[%d] = %g", i, dK[i]);
    for (int i = 9; i < 18; i++)
        cr_assert_eq(dK[i], 0.0f);
    cr_assert(db[0] == 1 && db[1] == 0);
    const float wantin[6] = {4, 5, 6, 7, 8, 9};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(din[i], wantin[i], "din[%d] = %g", i, din[i]);
}

Test(cnn, pools_and_their_windows)
{
    /* pool1 on 3 x 5: rows in pairs rounding up ([0,2), [2,3)), columns in pairs rounding
     * down ([0,2), [2,4); column 4 is dropped) */
    const float in[15] = {1, 5, 2, 2, 9,
                          3, 0, 7, 1, 8,
                          6, 6, 4, 4, 0};
    int64_t rs[2], re[2], cs[2], ce[2];
    tg_cnn_windows_pairs(2, 3, rs, re);
    tg_cnn_windows_pairs(2, 5, cs, ce);
    cr_assert(rs[1] == 2 && re[1] == 3 && cs[1] == 2 && ce[1] == 4);
    float out[4];
    int32_t arg[4];
    tg_cnn_maxpool_forward(in, 1, 3, 5, rs, re, 2, cs, ce, 2, out, arg);
    const float want[4] = {5, 7, 6, 4};
    const int32_t wantarg[4] = {1, 7, 10, 12}; /* ties: the first (6 at 10, 4 at 12) */
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(out[i], want[i], "out[%d] = %g", i, out[i]);
        cr_assert_eq(arg[i], wantarg[i], "arg[%d] = %d", i, arg[i]);
    }
    /* the adaptive pool to 1 x 3 over 2 x 4: columns [0,2), [1,3), [2,4) overlap */
    const float in2[8] = {1, 9, 2, 3,
                          4, 0, 8, 5};
    int64_t r2s[1], r2e[1], c2s[3], c2e[3];
    tg_cnn_windows_adaptive(1, 2, r2s, r2e);
    tg_cnn_windows_adaptive(3, 4, c2s, c2e);
    cr_assert(r2s[0] == 0 && r2e[0] == 2);
    cr_assert(c2s[0] == 0 && c2e[0] == 2 && c2s[1] == 1 && c2e[1] == 3 && c2s[2] == 2 &&
              c2e[2] == 4);
    float out2[3];
    int32_t arg2[3];
    tg_cnn_maxpool_forward(in2, 1, 2, 4, r2s, r2e, 1, c2s, c2e, 3, out2, arg2);
    cr_assert(out2[0] == 9 && out2[1] == 9 && out2[2] == 8);
    cr_assert(arg2[0] == 1 && arg2[1] == 1 && arg2[2] == 6);
    /* backward adds where windows share their maximum */
    const float dout[3] = {1, 10, 100};
    float din[8] = {0};
    tg_cnn_maxpool_backward(dout, arg2, 1, 8, 3, din);
    const float wantdin[8] = {0, 11, 0, 0, 0, 0, 100, 0};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(din[i], wantdin[i], "din[%d] = %g", i, din[i]);
    /* a grid wider than its input repeats cells, as AdaptiveMaxPool2d does */
    tg_cnn_windows_adaptive(3, 1, c2s, c2e);
    for (int i = 0; i < 3; i++)
        cr_assert(c2s[i] == 0 && c2e[i] == 1);
}

/* ---- gradients against an independent double-precision forward ---- */

#define B 3
static tg_csr_batch batch;
static int64_t indptr[B + 1];
static int32_t *cols;
static float *vals;
static uint8_t Y[B * 8];

/* B rows over the plane of g, about 40 % of the cells set, values in (0.1, 2). */
static void make_batch(const tg_cnn_geom *g, uint64_t seed)
{
    tg_rng r;
    tg_rng_seed(&r, seed, 1, 0);
    const int64_t n = g->steps * g->cities;
    cols = malloc((size_t)(B * n) * sizeof *cols);
    vals = malloc((size_t)(B * n) * sizeof *vals);
    cr_assert(cols && vals);
    int64_t k = 0;
    for (int b = 0; b < B; b++) {
        indptr[b] = k;
        for (int64_t j = 0; j < n; j++)
            if (tg_rng_uniform(&r) < 0.4) {
                cols[k] = (int32_t)j;
                vals[k++] = (float)(0.1 + 1.9 * tg_rng_uniform(&r));
            }
        for (int64_t c = 0; c < g->genres; c++)
            Y[b * g->genres + c] = tg_rng_uniform(&r) < 0.5;
    }
    indptr[B] = k;
    batch = (tg_csr_batch){.rows = B, .indptr = indptr, .indices = cols, .values = vals};
}

/* PyTorch's pooling windows, written again from its definitions. */
static void window(int kind, int64_t i, int64_t n_in, int64_t n_out, int64_t *s, int64_t *e)
{
    if (kind == 0) { /* MaxPool2d(2): [2i, 2i + 2) clipped */
        *s = 2 * i;
        *e = 2 * i + 2 > n_in ? n_in : 2 * i + 2;
    } else { /* AdaptiveMaxPool2d */
        *s = (int64_t)floor((double)(i * n_in) / (double)n_out);
        *e = (int64_t)ceil((double)((i + 1) * n_in) / (double)n_out);
    }
}

/* Max pooling of in [C][H][W] into out [C][Ho][Wo]. */
static void ref_pool(const double *in, int64_t C, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                     int kind, double *out)
{
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < Ho; i++)
            for (int64_t j = 0; j < Wo; j++) {
                int64_t r0, r1, q0, q1;
                window(kind, i, H, Ho, &r0, &r1);
                window(kind, j, W, Wo, &q0, &q1);
                double m = -INFINITY;
                for (int64_t r = r0; r < r1; r++)
                    for (int64_t q = q0; q < q1; q++)
                        m = fmax(m, in[(c * H + r) * W + q]);
                out[(c * Ho + i) * Wo + j] = m;
            }
}

/* Mean BCE of the CNN at parameters theta (double, the layout's order), from the
 * definitions: a dense zero-padded plane, Conv2d as cross-correlation, ReLU, pools,
 * Linear layers. */
static double ref_loss(const tg_cnn_geom *g, const tg_net_layout *l, const double *theta)
{
    const double *K1 = theta + l->tensors[0].offset, *b1 = theta + l->tensors[1].offset;
    const double *K2 = theta + l->tensors[2].offset, *b2 = theta + l->tensors[3].offset;
    const double *W3 = theta + l->tensors[4].offset, *b3 = theta + l->tensors[5].offset;
    const double *W4 = theta + l->tensors[6].offset, *b4 = theta + l->tensors[7].offset;
    const double *W5 = theta + l->tensors[8].offset, *b5 = theta + l->tensors[9].offset;
    const int64_t S = g->steps, Wd = g->width, k1 = g->k1, k2 = g->k2;
    const int64_t H1 = S, W1 = Wd - k1 + 1, H1p = (H1 + 1) / 2, W1p = W1 / 2;
    const int64_t H2 = H1p, W2 = W1p - k2 + 1, F = g->c2 * g->grid_h * g->grid_w;
    double *plane = calloc((size_t)(S * Wd), sizeof(double));
    double *a1 = malloc((size_t)(g->c1 * H1 * W1) * sizeof(double));
    double *p1 = malloc((size_t)(g->c1 * H1p * W1p) * sizeof(double));
    double *a2 = malloc((size_t)(g->c2 * H2 * W2) * sizeof(double));
    double *flat = malloc((size_t)F * sizeof(double));
    double *h3 = malloc((size_t)g->hidden * sizeof(double));
    double *h4 = malloc((size_t)g->mid * sizeof(double));
    cr_assert(plane && a1 && p1 && a2 && flat && h3 && h4);
    double total = 0;
    for (int b = 0; b < B; b++) {
        memset(plane, 0, (size_t)(S * Wd) * sizeof(double));
        for (int64_t k = indptr[b]; k < indptr[b + 1]; k++)
            plane[(cols[k] / g->cities) * Wd + cols[k] % g->cities] = vals[k];
        for (int64_t c = 0; c < g->c1; c++)
            for (int64_t oh = 0; oh < H1; oh++)
                for (int64_t ow = 0; ow < W1; ow++) {
                    double z = b1[c];
                    for (int64_t kh = 0; kh < k1; kh++)
                        for (int64_t kw = 0; kw < k1; kw++) {
                            int64_t r = oh + kh - (k1 - 1) / 2;
                            if (r >= 0 && r < S)
                                z += plane[r * Wd + ow + kw] * K1[(c * k1 + kh) * k1 + kw];
                        }
                    a1[(c * H1 + oh) * W1 + ow] = z > 0 ? z : 0;
                }
        ref_pool(a1, g->c1, H1, W1, H1p, W1p, 0, p1);
        for (int64_t c = 0; c < g->c2; c++)
            for (int64_t oh = 0; oh < H2; oh++)
                for (int64_t ow = 0; ow < W2; ow++) {
                    double z = b2[c];
                    for (int64_t ci = 0; ci < g->c1; ci++)
                        for (int64_t kh = 0; kh < k2; kh++)
                            for (int64_t kw = 0; kw < k2; kw++) {
                                int64_t r = oh + kh - (k2 - 1) / 2;
                                if (r >= 0 && r < H1p)
                                    z += p1[(ci * H1p + r) * W1p + ow + kw] *
                                         K2[((c * g->c1 + ci) * k2 + kh) * k2 + kw];
                            }
                    a2[(c * H2 + oh) * W2 + ow] = z > 0 ? z : 0;
                }
        ref_pool(a2, g->c2, H2, W2, g->grid_h, g->grid_w, 1, flat);
        for (int64_t j = 0; j < g->hidden; j++) {
            double z = b3[j];
            for (int64_t i = 0; i < F; i++)
                z += flat[i] * W3[i * g->hidden + j];
            h3[j] = z > 0 ? z : 0;
        }
        for (int64_t j = 0; j < g->mid; j++) {
            double z = b4[j];
            for (int64_t i = 0; i < g->hidden; i++)
                z += h3[i] * W4[i * g->mid + j];
            h4[j] = z > 0 ? z : 0;
        }
        for (int64_t j = 0; j < g->genres; j++) {
            double z = b5[j];
            for (int64_t i = 0; i < g->mid; i++)
                z += h4[i] * W5[i * g->genres + j];
            double y = Y[b * g->genres + j], p = 1 / (1 + exp(-z));
            total += -(y * log(p) + (1 - y) * log(1 - p));
        }
    }
    free(plane), free(a1), free(p1), free(a2), free(flat), free(h3), free(h4);
    return total / (double)(B * g->genres);
}

static void check_gradients(const tg_cnn_geom *g, uint64_t seed)
{
    tg_net_layout l;
    tg_error e = {0};
    cr_assert_eq(tg_cnn_layout(g, B, &l, &e), TG_OK, "%s", e.msg);
    const size_t n = l.n_params;
    float *params = malloc(n * sizeof(float)), *grads = calloc(n, sizeof(float));
    double *theta = malloc(n * sizeof(double));
    float *logits = malloc((size_t)(B * g->genres) * sizeof(float));
    float *dlogits = malloc((size_t)(B * g->genres) * sizeof(float));
    cr_assert(params && grads && theta && logits && dlogits);
    tg_cnn_init(g, params, seed);
    for (size_t i = 0; i < n; i++) /* larger weights: larger logits, more active units */
        params[i] *= 2.0f;
    make_batch(g, seed);
    tg_cnn_acts *a;
    cr_assert_eq(tg_cnn_acts_alloc(g, B, &a, &e), TG_OK, "%s", e.msg);
    tg_cnn_forward(a, params, &batch, logits);
    double loss = tg_mlp_bce(logits, Y, B, g->genres, NULL, NULL, dlogits);
    tg_cnn_backward(a, params, grads, &batch, dlogits);
    for (size_t i = 0; i < n; i++)
        theta[i] = params[i];
    cr_assert_float_eq(loss, ref_loss(g, &l, theta), 1e-5, "the forwards agree");
    /* h = 1e-5 on double sums: truncation ~h^2 and rounding ~1e-16/h, both far under the
     * tolerance, which covers the float32 analytic pass (~1e-7 relative per op) */
    const double h = 1e-5;
    for (int t = 0; t < l.n_tensors; t++) {
        int nonzero = 0;
        for (size_t i = l.tensors[t].offset; i < l.tensors[t].offset + l.tensors[t].count; i++) {
            double keep = theta[i];
            theta[i] = keep + h;
            double up = ref_loss(g, &l, theta);
            theta[i] = keep - h;
            double down = ref_loss(g, &l, theta);
            theta[i] = keep;
            double num = (up - down) / (2 * h);
            cr_assert(fabs(grads[i] - num) <= 1e-5 + 1e-3 * fabs(num),
                      "%s[%zu]: analytic %.8g numeric %.8g", l.tensors[t].name,
                      i - l.tensors[t].offset, grads[i], num);
            nonzero += fabs(num) > 1e-6;
        }
        /* a tensor whose every gradient is zero would check nothing */
        cr_assert_gt(nonzero, 0, "%s has no gradient to check", l.tensors[t].name);
    }
    tg_cnn_acts_free(a);
    free(params), free(grads), free(theta), free(logits), free(dlogits), free(cols), free(vals);
}

/* 5 steps x 9 cities: odd steps (pool1 keeps the last row), a grid taller and wider
 * than conv2's 3 x 1 output (overlapping and repeated windows) */
Test(cnn, gradients_match_central_differences)
{
    tg_cnn_geom g = geom(5, 9, 2, 3, 3, 3, 2, 3, 4, 3, 3);
    cr_assert(g.h1p == 3 && g.w1p == 3 && g.w2 == 1);
    check_gradients(&g, 11);
}

/* nbSteps 1 and a grid narrower than conv2's output (windows that merge columns) */
Test(cnn, gradients_at_one_step)
{
    tg_cnn_geom g = geom(1, 14, 2, 3, 2, 3, 1, 3, 3, 4, 2);
    cr_assert(g.h1 == 1 && g.h1p == 1 && g.w2 == 4);
    check_gradients(&g, 12);
}

/* Fewer cities than the kernels need: the plane is padded to k1 - 1 + 2 k2 columns */
Test(cnn, gradients_on_a_padded_plane)
{
    tg_cnn_geom g = geom(4, 5, 3, 5, 2, 3, 1, 2, 3, 3, 3);
    cr_assert(g.width == 10 && g.w1 == 6 && g.w2 == 1);
    check_gradients(&g, 13);
}
