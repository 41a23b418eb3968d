/* test_trainer.c - the epoch loop over an in-memory batch source: the MLP and the CNN
 * learn a task with a planted answer and are bit-for-bit deterministic for a seed; it
 * balances as documented and reports a source's bad batch as an error. */
#include "trainer.h"

#include "dense_source.h"
#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 200 albums over 60 inputs, 4 genres: genre g's albums light up inputs 15g..15g+14
 * more than the others; noise everywhere. */
#define A 200
#define I 60
#define G 4
static uint8_t labels[A * G];
static float dense[A][I];
static uint32_t train_ids[160], test_ids[40];

static void make_data(void)
{
    tg_rng r;
    tg_rng_seed(&r, 42, 0, 0);
    for (int a = 0; a < A; a++) {
        for (int g = 0; g < G; g++)
            labels[a * G + g] = tg_rng_uniform(&r) < (g == 0 ? 0.5 : 0.25);
        for (int j = 0; j < I; j++) {
            double v = tg_rng_uniform(&r) < 0.15 ? tg_rng_uniform(&r) : 0;
            if (labels[a * G + j / 15] && tg_rng_uniform(&r) < 0.5)
                v += 1.0;
            dense[a][j] = (float)v;
        }
    }
    for (int a = 0; a < A; a++) {
        if (a < 160)
            train_ids[a] = (uint32_t)a;
        else
            test_ids[a - 160] = (uint32_t)a;
    }
}

static int bad_source = 0;
static size_t begun = 0; /* albums announced by begin */

static tg_code begin(void *ctx, const uint32_t *order, size_t n, int32_t batch, tg_error *e)
{
    (void)ctx, (void)order, (void)batch, (void)e;
    begun += n;
    return TG_OK;
}

static tg_code fill(void *ctx, const uint32_t *albums, int32_t n, tg_csr_buf *out, tg_error *e)
{
    (void)ctx;
    return dense_fill(&dense[0][0], I, bad_source ? I : 0, albums, n, out, e);
}

/* The MLP over one step of I "cities". */
static const tg_net_spec SPEC = {.kind = TG_NET_MLP, .steps = 1, .cities = I, .genres = G,
                                 .hidden = 16};

/* The report's CNN over the same 60 inputs seen as 4 steps x 15 cities: genre g's inputs
 * are step g's cities, so the CNN must tell the steps apart. Linear-3 is 16 wide (the
 * report's 4096 would be 44 M parameters for a unit test). */
static const tg_net_spec CNN_SPEC = {.kind = TG_NET_CNN, .steps = 4, .cities = 15, .genres = G,
                                     .hidden = 16};

static tg_code alloc(tg_model *m, const tg_net_spec *spec, const tg_train_config *c, int threads,
                     tg_error *e)
{
    return tg_model_alloc(m, spec, TG_BACKEND_CPU, c->batch, c->seed, threads, e);
}

static tg_train_config config(tg_balance balance)
{
    tg_train_config c = {.epochs = 30,
                         .batch = 20, .adam = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
                         .seed = 7, .threshold = 0.3, .balance = balance};
    return c;
}

static tg_train_data data(void)
{
    tg_train_data d = {.n_albums = A, .labels = labels, .train = train_ids, .n_train = 160,
                       .test = test_ids, .n_test = 40};
    return d;
}

static void train(tg_model *m, const tg_train_config *c, int epochs, tg_epoch_stats *last)
{
    tg_error e = {0};
    tg_train_data d = data();
    tg_batch_source src = {.begin = begin, .fill = fill};
    for (int ep = 0; ep < epochs; ep++)
        cr_assert_eq(tg_train_epoch(m, c, &d, &src, last, &e), TG_OK, "%s", e.msg);
}

TestSuite(trainer, .init = make_data);

Test(trainer, learns_a_planted_task)
{
    tg_train_config c = config(TG_BALANCE_NONE);
    tg_model m;
    tg_error e = {0};
    cr_assert_eq(alloc(&m, &SPEC, &c, 1, &e), TG_OK);
    tg_epoch_stats first, last;
    train(&m, &c, 1, &first);
    train(&m, &c, 29, &last);
    cr_assert_eq(last.epoch, 30);
    cr_assert_eq(m.net->step, 30 * 8, "160 albums in batches of 20: 8 steps an epoch");
    cr_assert_eq(begun, 30 * (160 + 40), "each pass is announced to the source");
    cr_assert(last.train_loss < 0.6 * first.train_loss, "%g -> %g", first.train_loss,
              last.train_loss);
    cr_assert(last.test_map > 0.85, "test MAP %g", last.test_map);
    cr_assert(last.test_macro_f1 > 0.6, "macro F1 %g", last.test_macro_f1);
    cr_assert(isfinite(last.test_loss) && last.loader_seconds >= 0 && last.seconds > 0);
    tg_model_free(&m);
}

Test(trainer, cnn_learns_a_planted_task)
{
    tg_train_config c = config(TG_BALANCE_NONE);
    c.adam.lr = 1e-3;
    tg_model m;
    tg_error e = {0};
    cr_assert_eq(alloc(&m, &CNN_SPEC, &c, 1, &e), TG_OK, "%s", e.msg);
    tg_epoch_stats first, last;
    train(&m, &c, 1, &first);
    train(&m, &c, 29, &last);
    cr_assert(last.train_loss < 0.6 * first.train_loss, "%g -> %g", first.train_loss,
              last.train_loss);
    cr_assert(last.test_map > 0.9, "test MAP %g", last.test_map);
    cr_assert(last.test_macro_f1 > 0.6, "macro F1 %g", last.test_macro_f1);
    tg_model_free(&m);
}

/* Whether two models hold the same parameters and Adam moments, bit for bit. */
static int same_state(tg_model *a, tg_model *b)
{
    size_t n = a->net->layout.n_params;
    cr_assert_eq(n, b->net->layout.n_params);
    float *pa = malloc(n * 4), *pb = malloc(n * 4), *va = malloc(n * 4), *vb = malloc(n * 4);
    tg_error e = {0};
    cr_assert_eq(a->net->ops->get_state(a->net, pa, NULL, va, &e), TG_OK);
    cr_assert_eq(b->net->ops->get_state(b->net, pb, NULL, vb, &e), TG_OK);
    int same = memcmp(pa, pb, n * 4) == 0 && memcmp(va, vb, n * 4) == 0;
    free(pa), free(pb), free(va), free(vb);
    return same;
}

static void check_same_seed_same_bits(const tg_net_spec *spec)
{
    tg_train_config c = config(TG_BALANCE_NONE);
    tg_model a, b;
    tg_error e = {0};
    tg_epoch_stats st;
    cr_assert_eq(alloc(&a, spec, &c, 1, &e), TG_OK);
    cr_assert_eq(alloc(&b, spec, &c, 1, &e), TG_OK);
    train(&a, &c, 3, &st);
    train(&b, &c, 3, &st);
    cr_assert(same_state(&a, &b));
    tg_model_free(&b);
    c.seed = 8;
    cr_assert_eq(alloc(&b, spec, &c, 1, &e), TG_OK);
    train(&b, &c, 3, &st);
    cr_assert(!same_state(&a, &b));
    tg_model_free(&a);
    tg_model_free(&b);
}

Test(trainer, same_seed_same_bits) { check_same_seed_same_bits(&SPEC); }
Test(trainer, cnn_same_seed_same_bits) { check_same_seed_same_bits(&CNN_SPEC); }

Test(trainer, balance_modes_change_the_loss)
{
    double loss[3];
    for (int k = 0; k < 3; k++) {
        tg_train_config c = config((tg_balance)k);
        tg_model m;
        tg_error e = {0};
        tg_epoch_stats st;
        cr_assert_eq(alloc(&m, &SPEC, &c, 1, &e), TG_OK);
        train(&m, &c, 1, &st);
        loss[k] = st.train_loss;
        cr_assert(isfinite(st.train_loss));
        tg_model_free(&m);
    }
    /* pos_weight sums to 1 over 4 genres: positives weigh about 1/4, the loss drops;
     * sample weights sum to 1 over 160 albums: the loss is ~1/160 of the plain one */
    cr_assert(loss[1] < loss[0], "%g vs %g", loss[1], loss[0]);
    cr_assert(loss[2] < loss[0] / 50, "%g vs %g", loss[2], loss[0]);
}

Test(trainer, oversampling_and_undersampling_change_the_epoch)
{
    /* Genre 0 is on about half the albums, the others on about a quarter: the median
     * count is a rare genre's, so undersampling drops some genre-0-only albums each
     * epoch and oversampling repeats those whose rarest genre is below the median. */
    size_t albums[3];
    tg_balance modes[3] = {TG_BALANCE_NONE, TG_BALANCE_OVERSAMPLE, TG_BALANCE_UNDERSAMPLE};
    for (int k = 0; k < 3; k++) {
        tg_train_config c = config(modes[k]);
        tg_model m;
        tg_error e = {0};
        tg_epoch_stats st;
        cr_assert_eq(alloc(&m, &SPEC, &c, 1, &e), TG_OK);
        size_t before = begun;
        train(&m, &c, 2, &st);
        albums[k] = begun - before - 2 * 40; /* the test passes announce 40 each */
        cr_assert(isfinite(st.train_loss) && st.test_map > 0);
        tg_model_free(&m);
    }
    cr_assert_eq(albums[0], 2 * 160);
    cr_assert_gt(albums[1], 2 * 160, "oversampling adds albums (%zu)", albums[1]);
    cr_assert_lt(albums[2], 2 * 160, "undersampling removes albums (%zu)", albums[2]);
}

Test(trainer, a_bad_batch_is_an_error)
{
    tg_train_config c = config(TG_BALANCE_NONE);
    tg_model m;
    tg_error e = {0};
    cr_assert_eq(alloc(&m, &SPEC, &c, 1, &e), TG_OK);
    tg_train_data d = data();
    tg_batch_source src = {.fill = fill};
    tg_epoch_stats st;
    bad_source = 1;
    cr_assert_eq(tg_train_epoch(&m, &c, &d, &src, &st, &e), TG_ERR_FORMAT);
    bad_source = 0;
    cr_assert(strstr(e.msg, "outside [0, 60)") != NULL, "%s", e.msg);
    tg_model_free(&m);
}

Test(trainer, adam_over_threads_gives_the_same_bits)
{
    /* 60 x 20000 first layer: 1.2 M parameters, above the size where Adam is split */
    tg_net_spec big = SPEC;
    big.hidden = 20000;
    tg_train_config c = config(TG_BALANCE_NONE);
    tg_model a, b;
    tg_error e = {0};
    tg_epoch_stats st;
    cr_assert_eq(alloc(&a, &big, &c, 1, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(alloc(&b, &big, &c, 3, &e), TG_OK, "%s", e.msg);
    train(&a, &c, 1, &st);
    train(&b, &c, 1, &st);
    cr_assert(same_state(&a, &b), "1 and 3 threads differ");
    tg_model_free(&a);
    tg_model_free(&b);
}

Test(trainer, memory_estimate_of_the_report_architecture)
{
    /* nbSteps 28: inputs 28 x 2683 = 75,124, hidden 2800 (the report's rule), 27 genres */
    tg_net_spec s = {.kind = TG_NET_MLP, .steps = 28, .cities = 2683, .genres = 27};
    tg_net_layout l;
    tg_error e = {0};
    cr_assert_eq(tg_net_spec_resolve(&s, &e), TG_OK);
    cr_assert_eq(s.hidden, 2800);
    cr_assert_eq(tg_net_layout_of(&s, 20, &l, &e), TG_OK, "%s", e.msg);
    uint64_t b = tg_net_bytes(&l);
    uint64_t params = 75124ull * 2800 + 2800 + 2800 * 27 + 27;
    cr_assert_eq(l.n_params, params);
    cr_assert_eq(b, 16 * params + 4ull * 20 * (3 * 2800 + 2 * 27));
    cr_assert(b > 3.3e9 && b < 3.5e9, "%llu", (unsigned long long)b);
    /* nbSteps 358: the report's rule asks for 137 GB */
    s = (tg_net_spec){.kind = TG_NET_MLP, .steps = 358, .cities = 2683, .genres = 27};
    cr_assert_eq(tg_net_spec_resolve(&s, &e), TG_OK);
    cr_assert_eq(tg_net_layout_of(&s, 20, &l, &e), TG_OK, "%s", e.msg);
    cr_assert(l.n_params > 34e9, "%zu", l.n_params);
}

Test(trainer, impossible_layout_and_unbuilt_backend_are_clear_errors)
{
    tg_net *n = NULL;
    tg_error e = {0};
    /* a CNN whose Linear-3 would have 10,656 x 2^41 weights: refused before any
     * allocation, with the tensor named */
    tg_net_spec s = CNN_SPEC;
    s.hidden = (int64_t)1 << 41;
    tg_code rc = tg_net_create(&n, &s, TG_BACKEND_CPU, 20, 1, 1, &e);
    cr_assert_eq(rc, TG_ERR_LIMIT, "%s", e.msg);
    cr_assert(strstr(e.msg, "W3") != NULL && strstr(e.msg, "too large") != NULL, "%s", e.msg);
    cr_assert_null(n);
    if (!tg_net_cuda_available()) {
        rc = tg_net_create(&n, &SPEC, TG_BACKEND_CUDA, 20, 1, 1, &e);
        cr_assert_neq(rc, TG_OK);
        cr_assert(strstr(e.msg, "cuda") != NULL || strstr(e.msg, "CUDA") != NULL, "%s", e.msg);
        cr_assert_null(n);
    }
}

Test(trainer, spec_survives_its_config_text)
{
    tg_net_spec a = {.kind = TG_NET_FACTORIZED, .steps = 3, .cities = 5, .genres = 2,
                     .embed = 7, .channels = 9, .kernel = 5, .temporal = TG_TEMPORAL_GRU};
    char buf[256];
    cr_assert(tg_net_spec_text(&a, buf, sizeof buf) > 0);
    tg_net_spec b = {0};
    tg_error e = {0};
    cr_assert_eq(tg_net_spec_parse(buf, &b, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(b.kind, a.kind);
    cr_assert_eq(b.embed, 7);
    cr_assert_eq(b.channels, 9);
    cr_assert_eq(b.kernel, 5);
    cr_assert_eq(b.temporal, TG_TEMPORAL_GRU);
    /* a GRU trained before its input and head scaling (no gru_version) would score
     * wrongly: refused, naming what to do */
    cr_assert_eq(tg_net_spec_parse("model=factorized\ntemporal=gru\n", &b, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "gru_version 1") && strstr(e.msg, "train it again"), "%s", e.msg);
    /* a conv trained before its input scale (no conv_version) is read as it was trained,
     * unscaled, and its config text stays what it was (so that --resume matches it) */
    cr_assert_eq(tg_net_spec_parse("model=factorized\ntemporal=conv\n", &b, &e), TG_OK);
    cr_assert_eq(b.conv_version, 1);
    b.steps = 3, b.cities = 5, b.genres = 2; /* what model.h5's other fields give */
    cr_assert_eq(tg_net_spec_resolve(&b, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(b.conv_version, 1, "resolving keeps an old conv's version");
    cr_assert(tg_net_spec_text(&b, buf, sizeof buf) > 0);
    cr_assert_null(strstr(buf, "conv_version"), "%s", buf);
    /* a new conv records its version, and reads back as it */
    tg_net_spec c = a;
    c.temporal = TG_TEMPORAL_CONV;
    cr_assert_eq(tg_net_spec_resolve(&c, &e), TG_OK);
    cr_assert_eq(c.conv_version, TG_CONV_VERSION);
    cr_assert(tg_net_spec_text(&c, buf, sizeof buf) > 0);
    cr_assert_not_null(strstr(buf, "conv_version=2\n"), "%s", buf);
    cr_assert_eq(tg_net_spec_parse(buf, &b, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(b.conv_version, TG_CONV_VERSION);
    /* a new conv asked for without the scale (train --conv-version 1) is written as an
     * old one, without the key, and reads back as version 1 */
    c.conv_version = 1;
    cr_assert_eq(tg_net_spec_resolve(&c, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(c.conv_version, 1, "resolving keeps an asked-for version 1");
    cr_assert(tg_net_spec_text(&c, buf, sizeof buf) > 0);
    cr_assert_null(strstr(buf, "conv_version"), "%s", buf);
    cr_assert_eq(tg_net_spec_parse(buf, &b, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(b.conv_version, 1);
    c.conv_version = TG_CONV_VERSION + 1;
    cr_assert_eq(tg_net_spec_resolve(&c, &e), TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "conv_version 3: this build knows 1 to 2"), "%s", e.msg);
    /* a version this build does not know is refused rather than read another way */
    cr_assert_eq(tg_net_spec_parse("model=factorized\ntemporal=conv\nconv_version=3\n", &b, &e),
                 TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "conv_version 3"), "%s", e.msg);
    cr_assert_eq(tg_net_spec_parse("model=factorized\nconv_version=x\n", &b, &e),
                 TG_ERR_FORMAT);
    cr_assert_eq(tg_net_spec_parse("model=transformer\n", &b, &e), TG_ERR_FORMAT);
    cr_assert_eq(tg_net_spec_parse("model=mlp\nhidden=-3\n", &b, &e), TG_ERR_FORMAT);
    cr_assert_eq(tg_net_spec_parse("steps=2\nhidden=12\n", &b, &e), TG_OK);
    cr_assert_eq(b.kind, TG_NET_MLP, "no model= is the MLP");
    cr_assert_eq(b.hidden, 12);
}
