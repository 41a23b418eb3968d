/* test_models_ref.c - the CPU models of issue 10 against PyTorch: the factorized model
 * (conv at an odd and an even kernel, both conv versions, and the GRU) and the report's
 * CNN (two small geometries, one zero-padded), logits and every gradient from the same
 * parameters, read from tests/train/ref/models_ref.bin, which make_models_ref.py wrote
 * with PyTorch's own modules (its header gives the layout and what each case computes).
 * The path comes in $MODELS_REF. Tolerance: |ours - torch| <= 1e-4 (|torch| + the
 * tensor's largest |torch|): the two sum in other orders, and the GRU's and the scaled
 * conv's inputs reach 10 x log1p(60). */
#include "cnn.h"
#include "net.h"

#include "ref_file.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_MAGIC 0x4652474e
#define REF_VERSION 1

/* Compares a tensor of ours with PyTorch's; prints its largest difference. */
static void expect_close(const char *what, const char *tensor, const float *ours,
                         const float *torch, size_t n)
{
    double top = 0, worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, fabs((double)torch[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ours[i] - torch[i]);
        if (d / (fabs((double)torch[i]) + top + 1e-30) > worst / (fabs((double)torch[at]) + top + 1e-30))
            worst = d, at = i;
    }
    printf("%-44s %-8s %6zu values, max |ours - torch| %.3g\n", what, tensor, n, worst);
    cr_expect(top > 0, "%s %s: PyTorch's values are all zero: the case checks nothing", what,
              tensor);
    cr_expect(worst <= 1e-4 * (fabs((double)torch[at]) + top),
              "%s %s: element %zu is %.9g, PyTorch's %.9g", what, tensor, at, ours[at],
              torch[at]);
}

Test(models_ref, the_cpu_models_compute_pytorchs_modules)
{
    const char *path = getenv("MODELS_REF");
    cr_assert_not_null(path, "MODELS_REF not set (run through meson test)");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s\n---> HINT: /usr/bin/python3 "
                          "tests/train/ref/make_models_ref.py %s", path, path);
    int32_t top[3];
    cr_assert_eq(fread(top, sizeof top, 1, f), 1, "%s: short header", path);
    cr_assert_eq(top[0], REF_MAGIC, "%s: bad magic %#x", path, (unsigned)top[0]);
    cr_assert_eq(top[1], REF_VERSION, "%s: version %d, this test reads %d", path, top[1],
                 REF_VERSION);
    cr_assert_eq(top[2], 5, "%s: %d cases", path, top[2]);
    for (int k = 0; k < top[2]; k++) {
        int32_t h[16];
        cr_assert_eq(fread(h, sizeof h, 1, f), 1, "%s: case %d: short header", path, k);
        const int kind = h[0], B = h[1], nnz = h[2], P = h[3], G = h[4];
        int64_t *indptr = ref_read(f, 8, (size_t)B + 1, "models_ref.bin", "indptr");
        int32_t *indices = ref_read(f, 4, (size_t)nnz, "models_ref.bin", "indices");
        float *values = ref_read(f, 4, (size_t)nnz, "models_ref.bin", "values");
        float *params = ref_read(f, 4, (size_t)P, "models_ref.bin", "params");
        float *dlogits = ref_read(f, 4, (size_t)(B * G), "models_ref.bin", "dlogits");
        float *want_logits = ref_read(f, 4, (size_t)(B * G), "models_ref.bin", "logits");
        float *want_grads = ref_read(f, 4, (size_t)P, "models_ref.bin", "grads");
        float *logits = calloc((size_t)(B * G), sizeof(float));
        cr_assert_not_null(logits);
        tg_csr_batch x = {B, indptr, indices, values};
        tg_net_layout l;
        const float *grads;
        tg_net *n = NULL;
        tg_cnn_acts *ca = NULL;
        float *cnn_grads = NULL;
        tg_error e = {0};
        char what[64];
        if (kind == 0 || kind == 1) {
            tg_net_spec s = {.kind = TG_NET_FACTORIZED, .steps = h[5], .cities = h[6],
                             .genres = G, .embed = h[7], .channels = h[8], .kernel = h[9],
                             .conv_version = h[10],
                             .temporal = kind == 1 ? TG_TEMPORAL_GRU : TG_TEMPORAL_CONV};
            snprintf(what, sizeof what, kind == 1 ? "factorized gru" :
                     "factorized conv, kernel %d, conv_version %d", h[9], h[10]);
            cr_assert_eq(tg_net_create(&n, &s, TG_BACKEND_CPU, B, 1, 1, &e), TG_OK, "%s", e.msg);
            l = n->layout;
            cr_assert_eq(l.n_params, (size_t)P, "%s: %zu parameters, PyTorch's %d", what,
                         l.n_params, P);
            memcpy(tg_net_cpu_params(n), params, (size_t)P * sizeof(float));
            cr_assert_eq(tg_net_forward(n, &x, logits, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(tg_net_backward(n, &x, dlogits, &e), TG_OK, "%s", e.msg);
            grads = tg_net_cpu_grads(n);
        } else {
            tg_cnn_geom g = {.steps = h[5], .cities = h[6], .c1 = h[7], .k1 = h[8],
                             .c2 = h[9], .k2 = h[10], .grid_h = h[11], .grid_w = h[12],
                             .hidden = h[13], .mid = h[14], .genres = G};
            snprintf(what, sizeof what, "cnn %d x %d", h[5], h[6]);
            cr_assert_eq(tg_cnn_geom_init(&g, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(tg_cnn_layout(&g, B, &l, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(l.n_params, (size_t)P, "%s: %zu parameters, PyTorch's %d", what,
                         l.n_params, P);
            cr_assert_eq(tg_cnn_acts_alloc(&g, B, &ca, &e), TG_OK, "%s", e.msg);
            cnn_grads = calloc((size_t)P, sizeof(float));
            cr_assert_not_null(cnn_grads);
            tg_cnn_forward(ca, params, &x, logits);
            tg_cnn_backward(ca, params, cnn_grads, &x, dlogits);
            grads = cnn_grads;
        }
        expect_close(what, "logits", logits, want_logits, (size_t)(B * G));
        for (int t = 0; t < l.n_tensors; t++)
            expect_close(what, l.tensors[t].name, grads + l.tensors[t].offset,
                         want_grads + l.tensors[t].offset, l.tensors[t].count);
        tg_net_destroy(n);
        tg_cnn_acts_free(ca);
        free(cnn_grads), free(logits), free(indptr), free(indices), free(values), free(params);
        free(dlogits), free(want_logits), free(want_grads);
    }
    char extra;
    cr_assert_eq(fread(&extra, 1, 1, f), 0, "%s: bytes after the last case", path);
    fclose(f);
}
