/* test_net_cuda.c - the CUDA backend against the CPU backend through the real trainer
 * (tg_train_epoch, with an in-memory batch source like test_trainer.c's), for each model
 * (the MLP, logreg, the cnn at a narrow Linear-3, the factorized conv and GRU): one seed, the
 * same initial bits, the same loss curve over 2 epochs within a tolerance, and test MAP
 * within 0.01; state and gradient copies that round-trip bit for bit.
 *
 * Tolerance on the per-epoch train and test losses: |gpu - cpu| <= 1e-3 |cpu| + 1e-6.
 * Why not equality: cuBLAS and our kernels sum in other orders than OpenBLAS, and dW1 is
 * accumulated with atomics (order varies run to run), so each step's gradients differ in
 * the last bits; Adam divides by sqrt(v), which carries those bits into the parameters
 * at the scale of lr, and 2 epochs compound them. The op-level test (test_mlp_cuda.c)
 * holds single steps to 1e-4 relative; 1e-3 over 14 steps is a first bound, not yet
 * calibrated on a GPU (none was lent when this was written): the test prints the worst
 * relative difference it saw so that it can be tightened.
 *
 * Exits 77 (skipped) when this build has no CUDA backend or no device answers, so a
 * machine without a GPU reports it skipped, not passed. */
#include "trainer.h"

#include "dense_source.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 200 albums over 3 steps x 40 cities, 5 genres: genre g's albums light up a band of
 * inputs more than the others; noise everywhere. */
#define A 200
#define STEPS 3
#define CITIES 40
#define I (STEPS * CITIES)
#define G 5
#define N_TRAIN 160
static uint8_t labels[A * G];
static float dense[A][I];
static uint32_t train_ids[N_TRAIN], test_ids[A - N_TRAIN];

static void make_data(void)
{
    tg_rng r;
    tg_rng_seed(&r, 42, 0, 0);
    for (int a = 0; a < A; a++) {
        for (int g = 0; g < G; g++)
            labels[a * G + g] = tg_rng_uniform(&r) < (g == 0 ? 0.5 : 0.25);
        for (int j = 0; j < I; j++) {
            double v = tg_rng_uniform(&r) < 0.15 ? tg_rng_uniform(&r) : 0;
            if (labels[a * G + (j % CITIES) * G / CITIES] && tg_rng_uniform(&r) < 0.5)
                v += 1.0;
            dense[a][j] = (float)v;
        }
    }
    for (int a = 0; a < A; a++) {
        if (a < N_TRAIN)
            train_ids[a] = (uint32_t)a;
        else
            test_ids[a - N_TRAIN] = (uint32_t)a;
    }
}

static tg_code fill(void *ctx, const uint32_t *albums, int32_t n, tg_csr_buf *out, tg_error *e)
{
    (void)ctx;
    return dense_fill(&dense[0][0], I, 0, albums, n, out, e);
}

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if ((x) != TG_OK) {                                                                  \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, e.msg);                      \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static int failures = 0;
#define EXPECT(cond, ...)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

static double rel(double gpu, double cpu)
{
    return fabs(gpu - cpu) / (fabs(cpu) > 1e-12 ? fabs(cpu) : 1e-12);
}

/* One forward and backward on the first 24 albums from the same state: logits and each
 * gradient tensor within |gpu - cpu| <= 1e-5 + 1e-4 |cpu| (test_mlp_cuda.c's rule), so
 * that a disagreement names its tensor; then both gradient blocks back to zero. grads_cpu
 * and grads_gpu hold n_params floats. */
static void one_step(tg_net *cpu, tg_net *gpu, float *grads_cpu, float *grads_gpu)
{
    tg_error e = {0};
    enum { B = 24 };
    uint32_t albums[B];
    for (int i = 0; i < B; i++)
        albums[i] = train_ids[i];
    tg_csr_buf buf = {0};
    CHECK(fill(NULL, albums, B, &buf, &e));
    tg_csr_batch x = tg_csr_view(&buf);
    float lc[B * G], lg[B * G], dl[B * G];
    CHECK(tg_net_forward(cpu, &x, lc, &e));
    CHECK(tg_net_forward(gpu, &x, lg, &e));
    for (int i = 0; i < B * G; i++)
        dl[i] = (float)((i % 7) - 3) / (B * G); /* any fixed dlogits will do */
    CHECK(tg_net_backward(cpu, &x, dl, &e));
    CHECK(tg_net_backward(gpu, &x, dl, &e));
    CHECK(cpu->ops->get_grads(cpu, grads_cpu, &e));
    CHECK(gpu->ops->get_grads(gpu, grads_gpu, &e));
    int bad = 0;
    for (int i = 0; i < B * G; i++)
        bad += fabs((double)lg[i] - lc[i]) > 1e-5 + 1e-4 * fabs(lc[i]);
    EXPECT(bad == 0, "%d of %d logits differ after one forward", bad, B * G);
    for (int k = 0; k < cpu->layout.n_tensors; k++) {
        const tg_net_tensor *t = &cpu->layout.tensors[k];
        double worst = 0;
        bad = 0;
        for (size_t i = t->offset; i < t->offset + t->count; i++) {
            double d = fabs((double)grads_gpu[i] - grads_cpu[i]);
            bad += d > 1e-5 + 1e-4 * fabs(grads_cpu[i]);
            worst = fmax(worst, d);
        }
        printf("  one step: d %-8s %9zu values, max |gpu - cpu| %.3g\n", t->name, t->count, worst);
        EXPECT(bad == 0, "%d of %zu gradients of %s differ after one backward", bad, t->count,
               t->name);
    }
    memset(grads_cpu, 0, cpu->layout.n_params * sizeof(float));
    CHECK(cpu->ops->set_grads(cpu, grads_cpu, &e));
    CHECK(gpu->ops->set_grads(gpu, grads_cpu, &e));
    tg_csr_buf_free(&buf);
}

/* One model: CPU and CUDA nets of spec trained side by side. */
static void check_backends(const char *what, const tg_net_spec spec)
{
    printf("%s:\n", what);
    /* batch 24: 160 albums make 6 full batches and one of 16, so the last batch of an
     * epoch is smaller than the net's max_batch, as in a real run */
    tg_train_config cfg = {.epochs = 2, .batch = 24,
                           .adam = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
                           .seed = 7, .threshold = 0.3, .balance = TG_BALANCE_NONE};
    tg_train_data d = {.n_albums = A, .labels = labels, .train = train_ids, .n_train = N_TRAIN,
                       .test = test_ids, .n_test = A - N_TRAIN};
    tg_batch_source src = {.begin = NULL, .fill = fill, .ctx = NULL};
    tg_error e = {0};
    tg_model cpu, gpu;
    CHECK(tg_model_alloc(&cpu, &spec, TG_BACKEND_CPU, cfg.batch, cfg.seed, 1, &e));
    CHECK(tg_model_alloc(&gpu, &spec, TG_BACKEND_CUDA, cfg.batch, cfg.seed, 1, &e));
    const size_t n = cpu.net->layout.n_params;
    EXPECT(gpu.net->layout.n_params == n, "%zu vs %zu", gpu.net->layout.n_params, n);
    float *a = malloc(n * 4), *b = malloc(n * 4), *m = malloc(n * 4), *v = malloc(n * 4);
    if (!a || !b || !m || !v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }

    /* the same seed gives the same initial bits, and zero moments */
    CHECK(cpu.net->ops->get_state(cpu.net, a, NULL, NULL, &e));
    CHECK(gpu.net->ops->get_state(gpu.net, b, m, v, &e));
    EXPECT(memcmp(a, b, n * 4) == 0, "initial parameters differ");
    int zero = 1;
    for (size_t i = 0; i < n; i++)
        zero &= m[i] == 0.0f && v[i] == 0.0f;
    EXPECT(zero, "Adam's moments start at zero");

    one_step(cpu.net, gpu.net, a, b);

    /* the loss curve: the same albums in the same order on both */
    double worst = 0;
    for (int ep = 0; ep < cfg.epochs; ep++) {
        tg_epoch_stats sc, sg;
        CHECK(tg_train_epoch(&cpu, &cfg, &d, &src, &sc, &e));
        CHECK(tg_train_epoch(&gpu, &cfg, &d, &src, &sg, &e));
        printf("epoch %d: train loss cpu %.9f gpu %.9f | test loss cpu %.9f gpu %.9f | "
               "test MAP cpu %.5f gpu %.5f\n", sc.epoch, sc.train_loss, sg.train_loss,
               sc.test_loss, sg.test_loss, sc.test_map, sg.test_map);
        EXPECT(fabs(sg.train_loss - sc.train_loss) <= 1e-3 * fabs(sc.train_loss) + 1e-6,
               "epoch %d train loss", sc.epoch);
        EXPECT(fabs(sg.test_loss - sc.test_loss) <= 1e-3 * fabs(sc.test_loss) + 1e-6,
               "epoch %d test loss", sc.epoch);
        EXPECT(fabs(sg.test_map - sc.test_map) <= 0.01, "epoch %d test MAP", sc.epoch);
        worst = fmax(worst, fmax(rel(sg.train_loss, sc.train_loss), rel(sg.test_loss, sc.test_loss)));
    }
    EXPECT(gpu.net->step == cpu.net->step, "%lld vs %lld Adam steps", (long long)gpu.net->step,
           (long long)cpu.net->step);
    CHECK(cpu.net->ops->get_state(cpu.net, a, NULL, NULL, &e));
    CHECK(gpu.net->ops->get_state(gpu.net, b, NULL, NULL, &e));
    double pdiff = 0;
    for (size_t i = 0; i < n; i++)
        pdiff = fmax(pdiff, fabs((double)a[i] - b[i]));
    printf("worst relative loss difference %.3g; parameters differ by at most %.3g after %lld "
           "steps\n", worst, pdiff, (long long)cpu.net->step);

    /* the fused Adam pass left every gradient zero */
    CHECK(gpu.net->ops->get_grads(gpu.net, b, &e));
    zero = 1;
    for (size_t i = 0; i < n; i++)
        zero &= b[i] == 0.0f;
    EXPECT(zero, "gradients are zero after update");

    /* copies round-trip bit for bit: the CPU's state onto the GPU and back */
    CHECK(cpu.net->ops->get_state(cpu.net, a, m, v, &e));
    CHECK(gpu.net->ops->set_state(gpu.net, a, m, v, &e));
    float *a2 = malloc(n * 4), *m2 = malloc(n * 4), *v2 = malloc(n * 4);
    if (!a2 || !m2 || !v2) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    CHECK(gpu.net->ops->get_state(gpu.net, a2, m2, v2, &e));
    EXPECT(memcmp(a, a2, n * 4) == 0 && memcmp(m, m2, n * 4) == 0 && memcmp(v, v2, n * 4) == 0,
           "set_state then get_state");
    for (size_t i = 0; i < n; i++)
        a[i] = (float)i * 1e-3f;
    CHECK(gpu.net->ops->set_grads(gpu.net, a, &e));
    CHECK(gpu.net->ops->get_grads(gpu.net, a2, &e));
    EXPECT(memcmp(a, a2, n * 4) == 0, "set_grads then get_grads");

    /* with the same state, one more epoch agrees as closely as the first */
    tg_epoch_stats sc, sg;
    CHECK(gpu.net->ops->set_grads(gpu.net, memset(a, 0, n * 4), &e));
    gpu.net->step = cpu.net->step;
    CHECK(tg_train_epoch(&cpu, &cfg, &d, &src, &sc, &e));
    CHECK(tg_train_epoch(&gpu, &cfg, &d, &src, &sg, &e));
    printf("from the CPU's state, epoch %d: train loss cpu %.9f gpu %.9f\n", sc.epoch,
           sc.train_loss, sg.train_loss);
    EXPECT(fabs(sg.train_loss - sc.train_loss) <= 1e-3 * fabs(sc.train_loss) + 1e-6,
           "train loss after set_state");

    tg_model_free(&cpu);
    tg_model_free(&gpu);
    free(a), free(b), free(m), free(v), free(a2), free(m2), free(v2);
}

int main(void)
{
    if (!tg_net_cuda_available()) {
        printf("skipped: %s\n", "this build has no CUDA backend or no CUDA device answers");
        return 77;
    }
    make_data();
    const tg_net_spec base = {.steps = STEPS, .cities = CITIES, .genres = G};
    tg_net_spec mlp = base, logreg = base, cnn = base, conv = base, gru = base;
    mlp.kind = TG_NET_MLP, mlp.hidden = 48;
    logreg.kind = TG_NET_LOGREG;
    cnn.kind = TG_NET_CNN, cnn.hidden = 64; /* Linear-3 10,656 -> 64, not 4096 */
    conv.kind = TG_NET_FACTORIZED, conv.embed = 8, conv.channels = 8, conv.kernel = 3;
    gru = conv, gru.temporal = TG_TEMPORAL_GRU;
    check_backends("mlp", mlp);
    check_backends("logreg", logreg);
    check_backends("cnn", cnn);
    check_backends("factorized conv", conv);
    check_backends("factorized gru", gru);
    printf(failures ? "FAILED\n" : "CPU and GPU agree\n");
    return failures ? 1 : 0;
}
