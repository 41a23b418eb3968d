/* test_mlp_ref.c - the CPU backend against PyTorch: logits, BCEWithLogitsLoss (plain, and
 * with pos_weight and a per-row weight), the four gradients, the losses of five Adam steps
 * and the parameters after them, all read from tests/train/ref/mlp_ref.bin, which
 * tests/train/ref/make_mlp_ref.py wrote with PyTorch (llm.c's test_gpt2.c habit; the
 * file's layout is documented at the top of that script). The path comes in $MLP_REF.
 * The file was written by torch 1.13, whose Adam updates m as m*b1 + (1-b1)*g where
 * tg_adam_step follows 2.x's lerp, m + (1-b1)*(g - m): the two differ in the last bit
 * only, well inside the tolerance (max diff of the final parameters ~5e-8). */
#include "mlp.h"

#include "ref_file.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_MAGIC 0x4652474d
#define REF_VERSION 1
#define REF_STEPS_MAX 64

typedef struct {
    float loss;
    float *grads;  /* [P] */
    float losses[REF_STEPS_MAX];
    float *final;  /* [P] */
} ref_case;

typedef struct {
    tg_mlp_shape s;
    int32_t B, nnz, K;
    tg_adam opt;
    int64_t *indptr;
    int32_t *indices;
    float *values;
    uint8_t *labels;
    float *pos_weight, *sample_weight;
    float *params, *logits;
    size_t P;
    ref_case c[2];
} ref;

static void ref_load(ref *r)
{
    const char *path = getenv("MLP_REF");
    cr_assert_not_null(path, "MLP_REF not set (run through meson test)");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s\n---> HINT: /usr/bin/python3 "
                          "tests/train/ref/make_mlp_ref.py %s", path, path);
    int32_t h[8];
    cr_assert_eq(fread(h, sizeof h, 1, f), 1, "%s: short header", path);
    cr_assert_eq(h[0], REF_MAGIC, "%s: bad magic %#x", path, (unsigned)h[0]);
    cr_assert_eq(h[1], REF_VERSION, "%s: version %d, this test reads %d\n---> HINT: rerun "
                 "tests/train/ref/make_mlp_ref.py", path, h[1], REF_VERSION);
    r->s = (tg_mlp_shape){.inputs = h[2], .hidden = h[3], .genres = h[4]};
    r->B = h[5], r->nnz = h[6], r->K = h[7];
    cr_assert(r->B > 0 && r->nnz > 0 && r->K > 0 && r->K <= REF_STEPS_MAX, "%s: sizes", path);
    double hp[4];
    cr_assert_eq(fread(hp, sizeof hp, 1, f), 1, "%s: short header", path);
    r->opt = (tg_adam){.lr = hp[0], .beta1 = hp[1], .beta2 = hp[2], .eps = hp[3]};
    const int64_t G = r->s.genres;
    r->P = tg_mlp_param_count(&r->s);
    r->indptr = ref_read(f, 8, (size_t)r->B + 1, "mlp_ref.bin", "indptr");
    r->indices = ref_read(f, 4, (size_t)r->nnz, "mlp_ref.bin", "indices");
    r->values = ref_read(f, 4, (size_t)r->nnz, "mlp_ref.bin", "values");
    r->labels = ref_read(f, 1, (size_t)(r->B * G), "mlp_ref.bin", "labels");
    r->pos_weight = ref_read(f, 4, (size_t)G, "mlp_ref.bin", "pos_weight");
    r->sample_weight = ref_read(f, 4, (size_t)r->B, "mlp_ref.bin", "sample_weight");
    r->params = ref_read(f, 4, r->P, "mlp_ref.bin", "params");
    r->logits = ref_read(f, 4, (size_t)(r->B * G), "mlp_ref.bin", "logits");
    for (int c = 0; c < 2; c++) {
        cr_assert_eq(fread(&r->c[c].loss, 4, 1, f), 1, "%s: case %d loss", path, c);
        r->c[c].grads = ref_read(f, 4, r->P, "mlp_ref.bin", "grads");
        cr_assert_eq(fread(r->c[c].losses, 4, (size_t)r->K, f), (size_t)r->K, "%s: losses", path);
        r->c[c].final = ref_read(f, 4, r->P, "mlp_ref.bin", "final");
    }
    cr_assert_eq(fgetc(f), EOF, "%s: bytes after the last array", path);
    fclose(f);
    /* the batch must be one the CPU backend accepts */
    cr_assert_eq(r->indptr[0], 0);
    cr_assert_eq(r->indptr[r->B], r->nnz);
    for (int32_t k = 0; k < r->nnz; k++)
        cr_assert(r->indices[k] >= 0 && r->indices[k] < r->s.inputs);
}

static void ref_free(ref *r)
{
    free(r->indptr), free(r->indices), free(r->values), free(r->labels);
    free(r->pos_weight), free(r->sample_weight), free(r->params), free(r->logits);
    for (int c = 0; c < 2; c++)
        free(r->c[c].grads), free(r->c[c].final);
}

/* llm.c dev/cuda validate_result's rule: |ours - torch| <= 1e-5 + 1e-4 |torch|. Prints the
 * largest difference and fails naming the first element out of tolerance. */
static void check_tensor(const char *name, const float *ours, const float *torch, size_t n)
{
    const double atol = 1e-5, rtol = 1e-4;
    double maxdiff = 0;
    size_t at = 0, bad = n;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ours[i] - (double)torch[i]);
        if (!(d <= maxdiff))
            maxdiff = d, at = i;
        if (bad == n && !(d <= atol + rtol * fabs((double)torch[i])))
            bad = i;
    }
    fprintf(stderr, "%-22s %6zu values, max |diff| %.3g at %zu (torch %.8g, ours %.8g)\n", name,
            n, maxdiff, at, torch[at], ours[at]);
    cr_expect_eq(bad, n, "%s[%zu]: ours %.9g, torch %.9g", name, bad < n ? bad : 0,
                 bad < n ? ours[bad] : 0.0f, bad < n ? torch[bad] : 0.0f);
}

/* Gradient block in W1, b1, W2, b2 pieces, so that a failure names the tensor. */
static void check_block(const char *what, const ref *r, const float *ours, const float *torch)
{
    const int64_t I = r->s.inputs, H = r->s.hidden, G = r->s.genres;
    const size_t len[4] = {(size_t)(I * H), (size_t)H, (size_t)(H * G), (size_t)G};
    const char *names[4] = {"W1", "b1", "W2", "b2"};
    size_t off = 0;
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s %s", what, names[k]);
        check_tensor(name, ours + off, torch + off, len[k]);
        off += len[k];
    }
    cr_assert_eq(off, r->P);
}

static void check_case(int c)
{
    ref r;
    ref_load(&r);
    const char *cname = c ? "weighted" : "plain";
    const float *pw = c ? r.pos_weight : NULL, *sw = c ? r.sample_weight : NULL;
    const int64_t G = r.s.genres;
    float *pb = malloc(r.P * sizeof(float)), *gb = calloc(r.P, sizeof(float));
    float *m = calloc(r.P, sizeof(float)), *v = calloc(r.P, sizeof(float));
    cr_assert(pb && gb && m && v);
    memcpy(pb, r.params, r.P * sizeof(float));
    tg_mlp_tensors p, g;
    tg_mlp_point(&p, pb, &r.s);
    tg_mlp_point(&g, gb, &r.s);
    tg_mlp_acts a;
    tg_error e = {0};
    cr_assert_eq(tg_mlp_acts_alloc(&a, &r.s, r.B, &e), TG_OK);
    tg_csr_batch x = {.rows = r.B, .indptr = r.indptr, .indices = r.indices, .values = r.values};
    char name[64];

    /* one forward and backward at the initial parameters */
    tg_mlp_forward(&p, &r.s, &x, &a);
    snprintf(name, sizeof name, "%s logits", cname);
    check_tensor(name, a.logits, r.logits, (size_t)(r.B * G));
    float loss = (float)tg_mlp_bce(a.logits, r.labels, r.B, G, pw, sw, a.dlogits);
    snprintf(name, sizeof name, "%s loss", cname);
    check_tensor(name, &loss, &r.c[c].loss, 1);
    tg_mlp_backward(&p, &g, &r.s, &x, &a);
    snprintf(name, sizeof name, "%s grad", cname);
    check_block(name, &r, gb, r.c[c].grads);

    /* K Adam steps on the same batch from the same start, as the script does */
    float losses[REF_STEPS_MAX];
    tg_mlp_zero_grad(&g, &r.s, &x);
    for (int32_t t = 1; t <= r.K; t++) {
        tg_mlp_forward(&p, &r.s, &x, &a);
        losses[t - 1] = (float)tg_mlp_bce(a.logits, r.labels, r.B, G, pw, sw, a.dlogits);
        tg_mlp_backward(&p, &g, &r.s, &x, &a);
        tg_adam_step(&r.opt, t, pb, gb, m, v, r.P);
        tg_mlp_zero_grad(&g, &r.s, &x);
    }
    snprintf(name, sizeof name, "%s step losses", cname);
    check_tensor(name, losses, r.c[c].losses, (size_t)r.K);
    cr_expect(losses[r.K - 1] < losses[0], "Adam lowered the loss: %g -> %g", losses[0],
              losses[r.K - 1]);
    snprintf(name, sizeof name, "%s final", cname);
    check_block(name, &r, pb, r.c[c].final);

    tg_mlp_acts_free(&a);
    free(pb), free(gb), free(m), free(v);
    ref_free(&r);
}

Test(mlp_ref, plain_bce_matches_pytorch) { check_case(0); }
Test(mlp_ref, weighted_bce_matches_pytorch) { check_case(1); }
