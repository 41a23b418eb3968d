/* test_trainer.c - the epoch loop over an in-memory batch source: it learns a task with
 * a planted answer, is bit-for-bit deterministic for a seed, balances as documented,
 * and reports a source's bad batch as an error. */
#include "trainer.h"

#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
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
    tg_code rc = tg_csr_buf_reserve(out, n, (int64_t)n * I, e);
    if (rc != TG_OK)
        return rc;
    int64_t k = 0;
    out->indptr[0] = 0;
    for (int32_t b = 0; b < n; b++) {
        for (int j = 0; j < I; j++)
            if (dense[albums[b]][j] != 0) {
                out->indices[k] = bad_source ? I + j : j;
                out->values[k++] = dense[albums[b]][j];
            }
        out->indptr[b + 1] = k;
    }
    out->rows = n;
    out->nnz = k;
    return TG_OK;
}

static tg_train_config config(tg_balance balance)
{
    tg_train_config c = {.shape = {.inputs = I, .hidden = 16, .genres = G}, .epochs = 30,
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
    cr_assert_eq(tg_model_alloc(&m, &c.shape, c.seed, &e), TG_OK);
    tg_epoch_stats first, last;
    train(&m, &c, 1, &first);
    train(&m, &c, 29, &last);
    cr_assert_eq(last.epoch, 30);
    cr_assert_eq(m.step, 30 * 8, "160 albums in batches of 20: 8 steps an epoch");
    cr_assert_eq(begun, 30 * (160 + 40), "each pass is announced to the source");
    cr_assert(last.train_loss < 0.6 * first.train_loss, "%g -> %g", first.train_loss,
              last.train_loss);
    cr_assert(last.test_map > 0.85, "test MAP %g", last.test_map);
    cr_assert(last.test_macro_f1 > 0.6, "macro F1 %g", last.test_macro_f1);
    cr_assert(isfinite(last.test_loss) && last.loader_seconds >= 0 && last.seconds > 0);
    tg_model_free(&m);
}

Test(trainer, same_seed_same_bits)
{
    tg_train_config c = config(TG_BALANCE_NONE);
    tg_model a, b;
    tg_error e = {0};
    tg_epoch_stats st;
    cr_assert_eq(tg_model_alloc(&a, &c.shape, c.seed, &e), TG_OK);
    cr_assert_eq(tg_model_alloc(&b, &c.shape, c.seed, &e), TG_OK);
    train(&a, &c, 3, &st);
    train(&b, &c, 3, &st);
    cr_assert(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0);
    cr_assert(memcmp(a.v, b.v, a.n_params * sizeof(float)) == 0);
    tg_model_free(&b);
    c.seed = 8;
    cr_assert_eq(tg_model_alloc(&b, &c.shape, c.seed, &e), TG_OK);
    train(&b, &c, 3, &st);
    cr_assert(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0);
    tg_model_free(&a);
    tg_model_free(&b);
}

Test(trainer, balance_modes_change_the_loss)
{
    double loss[3];
    for (int k = 0; k < 3; k++) {
        tg_train_config c = config((tg_balance)k);
        tg_model m;
        tg_error e = {0};
        tg_epoch_stats st;
        cr_assert_eq(tg_model_alloc(&m, &c.shape, c.seed, &e), TG_OK);
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
        cr_assert_eq(tg_model_alloc(&m, &c.shape, c.seed, &e), TG_OK);
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
    cr_assert_eq(tg_model_alloc(&m, &c.shape, c.seed, &e), TG_OK);
    tg_train_data d = data();
    tg_batch_source src = {.fill = fill};
    tg_epoch_stats st;
    bad_source = 1;
    cr_assert_eq(tg_train_epoch(&m, &c, &d, &src, &st, &e), TG_ERR_FORMAT);
    bad_source = 0;
    cr_assert(strstr(e.msg, "outside [0, 60)") != NULL, "%s", e.msg);
    tg_model_free(&m);
}

Test(trainer, memory_estimate_of_the_report_architecture)
{
    /* nbSteps 28: inputs 28 x 2683 = 75,124, hidden 2800, 27 genres */
    tg_mlp_shape s = {.inputs = 75124, .hidden = 2800, .genres = 27};
    uint64_t b = tg_model_bytes(&s, 20);
    uint64_t params = 75124ull * 2800 + 2800 + 2800 * 27 + 27;
    cr_assert_eq(b, 16 * params + 4ull * 20 * (3 * 2800 + 2 * 27));
    cr_assert(b > 3.3e9 && b < 3.5e9, "%llu", (unsigned long long)b);
}
