/* test_mlp_cuda.c - the CUDA operations against the CPU reference (mlp.h) on one seed:
 * logits, loss, every gradient, and the parameters after three Adam steps, with the
 * tolerance rule of llm.c's dev/cuda (|gpu - cpu| <= 1e-5 + 1e-4 |cpu|; GPU sums run in
 * another order, and dW1 is accumulated with atomics), once for each way of running the
 * first layer (mlp_cuda.h: CSR kernel, dense tile + cublasSgemm). Exits 77 (skipped) where no
 * CUDA device is present, so a machine without a GPU reports it skipped, not passed. */
#include "mlp.h"
#include "mlp_cuda.h"

#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                             \
    do {                                                                                     \
        tg_error e_ = {0};                                                                   \
        tg_error *e = &e_;                                                                   \
        if ((x) != TG_OK) {                                                                  \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, e->msg);                     \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static int compare(const char *what, const float *gpu, const float *cpu, size_t n)
{
    int bad = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)gpu[i] - cpu[i]), tol = 1e-5 + 1e-4 * fabs(cpu[i]);
        worst = d > worst ? d : worst;
        if (d > tol && bad++ < 10)
            fprintf(stderr, "%s[%zu]: gpu %.8g cpu %.8g\n", what, i, gpu[i], cpu[i]);
    }
    printf("%-8s %8zu values, max |diff| %.3g%s\n", what, n, worst, bad ? "  MISMATCH" : "");
    return bad;
}

/* One run of the comparison with the first layer's forward done as how; returns the
 * number of mismatches. */
static int run(tg_cuda *cu, tg_cuda_first_layer how)
{
    printf("first layer: %s\n", tg_cuda_first_layer_names[how]);
    CHECK(tg_cuda_set_first_layer(cu, how, 20, 300, e));
    const tg_mlp_shape s = {.inputs = 300, .hidden = 64, .genres = 27};
    const int32_t B = 20;
    size_t n = tg_mlp_param_count(&s);
    /* a batch: 40 to 80 non-zeros a row, log1p-like values */
    tg_rng r;
    tg_rng_seed(&r, 3, 0, 0);
    int64_t indptr[21];
    int32_t *indices = malloc(20 * 80 * sizeof *indices);
    float *values = malloc(20 * 80 * sizeof *values);
    uint8_t y[20 * 27];
    int64_t nnz = 0;
    for (int b = 0; b < B; b++) {
        indptr[b] = nnz;
        int k = 40 + (int)tg_rng_below(&r, 41);
        int32_t col = (int32_t)tg_rng_below(&r, 10);
        for (int i = 0; i < k && col < 300; i++, col += 1 + (int32_t)tg_rng_below(&r, 6)) {
            indices[nnz] = col;
            values[nnz++] = (float)log1p(1 + tg_rng_below(&r, 50));
        }
        for (int g = 0; g < 27; g++)
            y[b * 27 + g] = tg_rng_uniform(&r) < 0.15;
    }
    indptr[B] = nnz;
    tg_csr_batch xh = {.rows = B, .indptr = indptr, .indices = indices, .values = values};

    /* CPU reference */
    float *pc = malloc(n * 4), *gc = calloc(n, 4), *mc = calloc(n, 4), *vc = calloc(n, 4);
    tg_mlp_tensors P, Gr;
    tg_mlp_point(&P, pc, &s);
    tg_mlp_point(&Gr, gc, &s);
    tg_mlp_init(&P, &s, 9);
    tg_mlp_acts ac;
    CHECK(tg_mlp_acts_alloc(&ac, &s, B, e));

    /* GPU copies */
    float *pd, *gd, *md, *vd, *hpre, *h, *lg, *dlg, *dh, *vals;
    int64_t *ptr;
    int32_t *idx;
    uint8_t *yd;
    CHECK(tg_cuda_malloc(cu, (void **)&pd, n * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&gd, n * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&md, n * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&vd, n * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&hpre, (size_t)B * 64 * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&h, (size_t)B * 64 * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&dh, (size_t)B * 64 * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&lg, (size_t)B * 27 * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&dlg, (size_t)B * 27 * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&ptr, sizeof indptr, e));
    CHECK(tg_cuda_malloc(cu, (void **)&idx, (size_t)nnz * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&vals, (size_t)nnz * 4, e));
    CHECK(tg_cuda_malloc(cu, (void **)&yd, sizeof y, e));
    CHECK(tg_cuda_to_device(cu, pd, pc, n * 4, e));
    CHECK(tg_cuda_memset0(cu, gd, n * 4, e));
    CHECK(tg_cuda_memset0(cu, md, n * 4, e));
    CHECK(tg_cuda_memset0(cu, vd, n * 4, e));
    CHECK(tg_cuda_to_device(cu, ptr, indptr, sizeof indptr, e));
    CHECK(tg_cuda_to_device(cu, idx, indices, (size_t)nnz * 4, e));
    CHECK(tg_cuda_to_device(cu, vals, values, (size_t)nnz * 4, e));
    CHECK(tg_cuda_to_device(cu, yd, y, sizeof y, e));
    tg_mlp_tensors Pd, Gd;
    tg_mlp_point(&Pd, pd, &s);
    tg_mlp_point(&Gd, gd, &s);
    tg_csr_batch xd = {.rows = B, .indptr = ptr, .indices = idx, .values = vals};
    tg_mlp_acts ad = {.max_batch = B, .h_pre = hpre, .h = h, .logits = lg, .dlogits = dlg, .dh = dh};

    tg_adam opt = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    float *back = malloc(n * 4), lgh[20 * 27];
    int bad = 0;
    for (int t = 1; t <= 3; t++) {
        tg_mlp_forward(&P, &s, &xh, &ac);
        double lc = tg_mlp_bce(ac.logits, y, B, 27, NULL, NULL, ac.dlogits);
        tg_mlp_backward(&P, &Gr, &s, &xh, &ac);
        double lgpu = 0;
        CHECK(tg_cuda_mlp_forward(cu, &Pd, &s, &xd, &ad, e));
        CHECK(tg_cuda_mlp_bce(cu, lg, yd, B, 27, NULL, NULL, dlg, &lgpu, e));
        CHECK(tg_cuda_mlp_backward(cu, &Pd, &Gd, &s, &xd, &ad, e));
        printf("step %d: loss cpu %.9f gpu %.9f\n", t, lc, lgpu);
        bad += fabs(lc - lgpu) > 1e-5 * fabs(lc) + 1e-7;
        if (t == 1) {
            CHECK(tg_cuda_to_host(cu, lgh, lg, sizeof lgh, e));
            bad += compare("logits", lgh, ac.logits, (size_t)B * 27);
            CHECK(tg_cuda_to_host(cu, back, gd, n * 4, e));
            bad += compare("grads", back, gc, n);
        }
        tg_adam_step(&opt, t, pc, gc, mc, vc, n);
        tg_mlp_zero_grad(&Gr, &s, &xh);
        /* the CSR run zeroes the batch's gradient rows, the dense run in Adam's pass
         * (net_cuda.cu's way): both must leave every gradient zero */
        CHECK(tg_cuda_adam_step(cu, &opt, t, pd, gd, md, vd, n, how == TG_CUDA_FIRST_DENSE, e));
        if (how == TG_CUDA_FIRST_CSR)
            CHECK(tg_cuda_mlp_zero_grad(cu, &Gd, &s, &xd, e));
    }
    CHECK(tg_cuda_to_host(cu, back, pd, n * 4, e));
    bad += compare("params", back, pc, n);
    CHECK(tg_cuda_to_host(cu, back, gd, n * 4, e));
    for (size_t i = 0; i < n; i++)
        bad += back[i] != 0.0f;
    tg_cuda_free(cu, pd), tg_cuda_free(cu, gd), tg_cuda_free(cu, md), tg_cuda_free(cu, vd);
    tg_cuda_free(cu, hpre), tg_cuda_free(cu, h), tg_cuda_free(cu, dh), tg_cuda_free(cu, lg);
    tg_cuda_free(cu, dlg), tg_cuda_free(cu, ptr), tg_cuda_free(cu, idx), tg_cuda_free(cu, vals);
    tg_cuda_free(cu, yd);
    tg_mlp_acts_free(&ac);
    free(pc), free(gc), free(mc), free(vc), free(back), free(indices), free(values);
    return bad;
}

int main(void)
{
    tg_cuda *cu = NULL;
    tg_error err = {0};
    if (tg_cuda_open(&cu, &err) != TG_OK) {
        printf("skipped: %s\n", err.msg);
        return 77;
    }
    int bad = run(cu, TG_CUDA_FIRST_CSR) + run(cu, TG_CUDA_FIRST_DENSE);
    tg_cuda_close(cu);
    printf(bad ? "FAILED\n" : "CPU and GPU agree\n");
    return bad ? 1 : 0;
}
