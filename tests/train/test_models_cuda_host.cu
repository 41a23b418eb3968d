/* test_models_cuda_host.cu - the CUDA backend's model passes (mlp_cuda.cuh,
 * logreg_cuda.cuh, cnn_cuda.cuh, factorized_cuda.cuh), run on the CPU through host_exec,
 * against the CPU models that define them (mlp.h, net_logreg.c, net_cnn.c,
 * net_factorized.c): logits and every gradient on random batches, for both of the MLP's
 * first layers, each temporal model, the conv's edge cases and small CNN geometries; the
 * MLP's zero_grad and the fused Adam step. Also gemm_rm's row-major translation against
 * cblas's own row-major SGEMM.
 *
 * It needs no GPU: it checks the index arithmetic and GEMM arguments that the GPU runs,
 * where those models' bugs would be. Launches, copies and cuBLAS are test_net_cuda.c's
 * part, on a machine with a device. Tolerance: the two sum in other orders (one GEMM over
 * a batch's rows against one per album and tap), so values agree to float rounding:
 * |host - cpu| <= 1e-4 (|cpu| + the tensor's largest |cpu|) per element. */
#include "cnn_cuda.cuh"
#include "factorized_cuda.cuh"
#include "logreg_cuda.cuh"
#include "mlp_cuda.cuh"

extern "C" {
#include "net.h"
#include "rng.h"
}

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

static int failures = 0;

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if ((x) != TG_OK) {                                                                  \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, e.msg);                      \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

/* Compares got with want element by element; names the worst element when they differ.
 * An all-zero want fails unless zero_ok (a gradient that is zero by the model's maths):
 * the comparison would hold whatever the passes did. */
static void expect_close(const char *what, const char *tensor, const float *got,
                         const float *want, size_t n, bool zero_ok = false)
{
    double top = 0, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, fabs((double)want[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]) / (fabs((double)want[i]) + top + 1e-30);
        if (d > worst)
            worst = d, at = i;
    }
    if (n > 0 && top == 0 && !zero_ok) {
        fprintf(stderr, "FAILED %s, %s: the CPU model's values are all zero: the test's data "
                "must give every tensor a gradient\n", what, tensor);
        failures++;
    } else if (!(worst <= 1e-4)) {
        fprintf(stderr, "FAILED %s, %s: element %zu is %.9g, the CPU model's %.9g "
                "(relative %.3g; largest |value| %.3g)\n", what, tensor, at, got[at], want[at],
                worst, top);
        failures++;
    }
}

/* gemm_rm against cblas_sgemm(CblasRowMajor, ...) for each pair of flags, on shapes with
 * every dimension different and leading dimensions wider than the rows. */
static void test_gemm_rm(void)
{
    tg_error e = {};
    host_exec hx = {&e};
    tg_rng r;
    tg_rng_seed(&r, 3, 0, 0);
    const int M = 5, N = 3, K = 4, pad = 2;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
            std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? N : K) * ldb);
            std::vector<float> C((size_t)M * ldc), want((size_t)M * ldc);
            for (float &v : A)
                v = (float)tg_rng_uniform(&r) - 0.5f;
            for (float &v : B)
                v = (float)tg_rng_uniform(&r) - 0.5f;
            for (size_t i = 0; i < C.size(); i++)
                C[i] = want[i] = (float)tg_rng_uniform(&r);
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                        tb ? CblasTrans : CblasNoTrans, M, N, K, 0.5f, A.data(), lda, B.data(),
                        ldb, 2.0f, want.data(), ldc);
            CHECK(gemm_rm(hx, ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 2.0f,
                          C.data(), ldc));
            char what[32];
            snprintf(what, sizeof what, "gemm_rm ta=%d tb=%d", ta, tb);
            expect_close(what, "C", C.data(), want.data(), C.size());
        }
}

/* A batch of rows albums over spec's steps x cities: about a third of the entries set,
 * counts up to 50 (the scale a sees albums of different levels), row 1 empty. */
struct batch {
    std::vector<int64_t> indptr;
    std::vector<int32_t> indices;
    std::vector<float> values;
    tg_csr_batch view(int32_t rows) const
    {
        tg_csr_batch x = {rows, indptr.data(), indices.data(), values.data()};
        return x;
    }
};

static batch random_batch(int64_t steps, int64_t cities, int32_t rows, tg_rng *r)
{
    batch b;
    b.indptr.push_back(0);
    const int64_t cols = steps * cities;
    for (int32_t row = 0; row < rows; row++) {
        for (int64_t j = 0; row != 1 && j < cols; j++)
            if (tg_rng_uniform(r) < 0.35) {
                b.indices.push_back((int32_t)j);
                b.values.push_back((float)(1 + (int)(tg_rng_uniform(r) * 50 * (row + 1) / rows)));
            }
        b.indptr.push_back((int64_t)b.indices.size());
    }
    return b;
}

/* One spec: the CPU net's forward and backward against the CUDA passes on host_exec,
 * from the same parameters, batch and dlogits. */
static void check_model(const char *what, tg_net_spec spec, const char *zero_grad = "")
{
    tg_error e = {};
    host_exec hx = {&e};
    const int32_t B = 6;
    tg_net *n = NULL;
    CHECK(tg_net_create(&n, &spec, TG_BACKEND_CPU, B, 11, 1, &e));
    const tg_net_spec *s = &n->spec; /* resolved */
    const tg_net_layout *l = &n->layout;
    const size_t P = l->n_params, G = (size_t)s->genres;
    tg_rng r;
    tg_rng_seed(&r, 5, 0, 0);
    batch b = random_batch(s->steps, s->cities, B, &r);
    tg_csr_batch x = b.view(B);

    std::vector<float> want_logits((size_t)B * G), logits((size_t)B * G), dlogits((size_t)B * G);
    CHECK(tg_net_forward(n, &x, want_logits.data(), &e));
    for (float &v : dlogits)
        v = (float)tg_rng_uniform(&r) - 0.5f;
    CHECK(tg_net_backward(n, &x, dlogits.data(), &e));
    const float *params = tg_net_cpu_params(n), *want_grads = tg_net_cpu_grads(n);
    std::vector<float> grads(P, 0.0f);

    if (s->kind == TG_NET_LOGREG) {
        CHECK(logreg_cuda_forward(hx, s, l, params, &x, logits.data()));
        CHECK(logreg_cuda_backward(hx, s, l, grads.data(), &x, dlogits.data()));
    } else {
        fact_cuda_acts a;
        std::vector<float> acts(fact_cuda_point(s, (size_t)B, NULL, &a));
        fact_cuda_point(s, (size_t)B, acts.data(), &a);
        CHECK(fact_cuda_forward(hx, s, l, params, &x, &a, logits.data()));
        CHECK(fact_cuda_backward(hx, s, l, params, grads.data(), &x, &a, dlogits.data()));
    }
    expect_close(what, "logits", logits.data(), want_logits.data(), logits.size());
    for (int k = 0; k < l->n_tensors; k++) {
        const tg_net_tensor *t = &l->tensors[k];
        expect_close(what, t->name, grads.data() + t->offset, want_grads + t->offset, t->count,
                     strcmp(t->name, zero_grad) == 0);
    }
    tg_net_destroy(n);
}

/* The CNN over geometry g (any, as cnn.h's layers take): tg_cnn_forward and
 * tg_cnn_backward against cnn_cuda.cuh's passes on host_exec. */
static void check_cnn(const char *what, tg_cnn_geom g)
{
    tg_error e = {};
    host_exec hx = {&e};
    const int32_t B = 4;
    CHECK(tg_cnn_geom_init(&g, &e));
    tg_net_layout l;
    CHECK(tg_cnn_layout(&g, B, &l, &e));
    std::vector<float> params(l.n_params), want_grads(l.n_params, 0.0f), grads(l.n_params, 0.0f);
    tg_cnn_init(&g, params.data(), 13);
    /* positive conv biases keep most ReLU outputs alive: with PyTorch's init most of a
     * small plane's maxima are zeros, at the window's first cell, whichever the window */
    for (const char *name : {"conv1_b", "conv2_b"})
        for (int64_t c = 0; c < (name[4] == '1' ? g.c1 : g.c2); c++)
            params[tensor_offset(&l, name) + (size_t)c] += 0.5f;
    tg_rng r;
    tg_rng_seed(&r, 9, 0, 0);
    batch b = random_batch(g.steps, g.cities, B, &r);
    tg_csr_batch x = b.view(B);
    const size_t G = (size_t)g.genres;
    std::vector<float> want_logits((size_t)B * G), logits((size_t)B * G), dlogits((size_t)B * G);
    for (float &v : dlogits)
        v = (float)tg_rng_uniform(&r) - 0.5f;
    tg_cnn_acts *ca = NULL;
    CHECK(tg_cnn_acts_alloc(&g, B, &ca, &e));
    tg_cnn_forward(ca, params.data(), &x, want_logits.data());
    tg_cnn_backward(ca, params.data(), want_grads.data(), &x, dlogits.data());
    tg_cnn_acts_free(ca);

    cnn_cuda_acts a;
    std::vector<float> acts(cnn_cuda_point(&g, (size_t)B, NULL, &a));
    cnn_cuda_point(&g, (size_t)B, acts.data(), &a);
    CHECK(cnn_cuda_forward(hx, &g, &l, params.data(), &x, &x, &a, logits.data()));
    CHECK(cnn_cuda_backward(hx, &g, &l, params.data(), grads.data(), &x, &x, &a, dlogits.data()));
    expect_close(what, "logits", logits.data(), want_logits.data(), logits.size());
    for (int k = 0; k < l.n_tensors; k++) {
        const tg_net_tensor *t = &l.tensors[k];
        expect_close(what, t->name, grads.data() + t->offset, want_grads.data() + t->offset,
                     t->count);
    }
}

/* The MLP's operations (mlp.h's reference) against mlp_cuda.cuh's, with the first layer
 * from the CSR batch and from a dense tile; then zero_grad, and three fused Adam steps
 * against tg_adam_step. */
static void check_mlp(void)
{
    tg_error e = {};
    host_exec hx = {&e};
    const int32_t B = 5;
    const tg_mlp_shape s = {4 * 9, 7, 4};
    const size_t P = tg_mlp_param_count(&s);
    std::vector<float> params(P), want_grads(P, 0.0f);
    tg_mlp_tensors p, gw;
    tg_mlp_point(&p, params.data(), &s);
    tg_mlp_point(&gw, want_grads.data(), &s);
    tg_mlp_init(&p, &s, 17);
    tg_rng r;
    tg_rng_seed(&r, 21, 0, 0);
    batch b = random_batch(4, 9, B, &r);
    tg_csr_batch x = b.view(B);
    tg_mlp_acts want, got;
    CHECK(tg_mlp_acts_alloc(&want, &s, B, &e));
    CHECK(tg_mlp_acts_alloc(&got, &s, B, &e));
    tg_mlp_forward(&p, &s, &x, &want);
    for (size_t i = 0; i < (size_t)B * (size_t)s.genres; i++)
        want.dlogits[i] = got.dlogits[i] = (float)tg_rng_uniform(&r) - 0.5f;
    tg_mlp_backward(&p, &gw, &s, &x, &want);
    std::vector<float> tile((size_t)B * (size_t)s.inputs);
    for (int dense = 0; dense < 2; dense++) {
        const char *what = dense ? "mlp, dense first layer" : "mlp, CSR first layer";
        std::vector<float> grads(P, 0.0f);
        tg_mlp_tensors gg;
        tg_mlp_point(&gg, grads.data(), &s);
        CHECK(mlp_cuda_forward(hx, &p, &s, &x, &got, dense ? tile.data() : NULL));
        CHECK(mlp_cuda_backward(hx, &p, &gg, &s, &x, &got));
        const size_t BG = (size_t)B * (size_t)s.genres;
        expect_close(what, "logits", got.logits, want.logits, BG);
        expect_close(what, "W1", gg.W1, gw.W1, (size_t)(s.inputs * s.hidden));
        expect_close(what, "b1", gg.b1, gw.b1, (size_t)s.hidden);
        expect_close(what, "W2", gg.W2, gw.W2, (size_t)(s.hidden * s.genres));
        expect_close(what, "b2", gg.b2, gw.b2, (size_t)s.genres);
        CHECK(mlp_cuda_zero_grad(hx, &gg, &s, &x));
        int zero = 1;
        for (float v : grads)
            zero &= v == 0.0f;
        if (!zero) {
            fprintf(stderr, "FAILED %s: zero_grad left a gradient\n", what);
            failures++;
        }
    }
    /* Adam: three steps from the same state, gradients from the reference */
    const tg_adam opt = {1e-2, 0.9, 0.999, 1e-8};
    std::vector<float> p1 = params, p2 = params, m1(P, 0.0f), m2(P, 0.0f), v1(P, 0.0f),
                       v2(P, 0.0f), g2(P);
    for (int64_t t = 1; t <= 3; t++) {
        tg_adam_step(&opt, t, p1.data(), want_grads.data(), m1.data(), v1.data(), P);
        g2 = want_grads;
        CHECK(mlp_cuda_adam(hx, &opt, t, p2.data(), g2.data(), m2.data(), v2.data(), P, 1));
        if (g2 != std::vector<float>(P, 0.0f)) {
            fprintf(stderr, "FAILED mlp_cuda_adam: zero_grad=1 left a gradient\n");
            failures++;
        }
    }
    expect_close("adam", "parameters", p2.data(), p1.data(), P);
    expect_close("adam", "m", m2.data(), m1.data(), P);
    expect_close("adam", "v", v2.data(), v1.data(), P);
    tg_mlp_acts_free(&want);
    tg_mlp_acts_free(&got);
}

static tg_cnn_geom cnn_geom(int64_t steps, int64_t cities, int64_t c1, int64_t k1, int64_t c2,
                            int64_t k2, int64_t gh, int64_t gw)
{
    tg_cnn_geom g = {};
    g.steps = steps, g.cities = cities, g.c1 = c1, g.k1 = k1, g.c2 = c2, g.k2 = k2;
    g.grid_h = gh, g.grid_w = gw, g.hidden = 6, g.mid = 5, g.genres = 4;
    return g;
}

int main(void)
{
    test_gemm_rm();
    check_mlp();
    tg_net_spec base = {};
    base.steps = 5, base.cities = 7, base.genres = 4;
    tg_net_spec logreg = base, conv = base, gru = base;
    logreg.kind = TG_NET_LOGREG;
    check_model("logreg", logreg);
    conv.kind = TG_NET_FACTORIZED, conv.embed = 3, conv.channels = 4, conv.kernel = 3;
    check_model("factorized conv, kernel 3", conv);
    conv.kernel = 4; /* even: padding 1 left, 2 right */
    check_model("factorized conv, kernel 4", conv);
    conv.kernel = 13, conv.conv_version = 1; /* taps that see only padding; unscaled input */
    check_model("factorized conv, kernel 13, conv_version 1", conv);
    conv.kernel = 3, conv.embed = 6, conv.channels = 2; /* D > C: the scratch's width */
    check_model("factorized conv, embed 6, channels 2", conv);
    gru.kind = TG_NET_FACTORIZED, gru.temporal = TG_TEMPORAL_GRU, gru.embed = 3,
    gru.channels = 4;
    check_model("factorized gru", gru);
    gru.steps = 1;
    check_model("factorized gru, one step", gru, "W_hh"); /* h_{-1} = 0 multiplies W_hh */
    check_cnn("cnn 5 x 14, 3 x 3 then 3 x 3, grid 2 x 2", cnn_geom(5, 14, 2, 3, 3, 3, 2, 2));
    /* odd steps (pool1 keeps a last single row), a 5 x 5 first kernel, a grid finer than
     * conv2's output (overlapping adaptive windows) */
    check_cnn("cnn 7 x 16, 5 x 5 then 3 x 3, grid 5 x 3", cnn_geom(7, 16, 3, 5, 2, 3, 5, 3));
    /* fewer cities than both kernels need: zero-padded on the right; one step */
    check_cnn("cnn 1 x 5, padded width", cnn_geom(1, 5, 2, 3, 2, 3, 1, 2));
    printf(failures ? "FAILED\n" : "the CUDA passes on the host agree with the CPU models\n");
    return failures ? 1 : 0;
}
