/* test_loader.c - the loader returns exactly the store's rows, re-binned and transformed,
 * for every album, across chunk boundaries, whether chunks are cached or streamed; a
 * pass through the batch source gives the same rows in the announced order; and a model
 * trained on a streamed store is bit for bit the model trained on a cached one. */
#include "loader.h"
#include "trainer.h"

#include "rng.h"
#include "store.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { A = 60, C = 11, S = 40, G = 3 };
static char path[128];
static int32_t *row_cols[A];
static uint32_t *row_vals[A];
static size_t row_len[A];

static void write_store(void)
{
    snprintf(path, sizeof path, "/tmp/tg-loader-%d.h5", (int)getpid());
    const char *cities[C] = {"Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes",
                             "Montpellier", "Strasbourg", "Bordeaux", "Lille", "Rennes"};
    const char *genres[G] = {"Pop", "Rock", "Rap/Hip Hop"};
    uint32_t counts[G] = {0};
    tg_store_meta meta = {.steps = S, .window_days = S, .value_field = "nusers", .split_seed = 1,
                          .provenance = "", .n_cities = C, .city_names = cities, .n_genres = G,
                          .genre_names = genres, .genre_counts = counts, .chunk_elems = 64};
    tg_store_writer *w;
    tg_error e = {0};
    cr_assert_eq(tg_store_writer_open(path, &meta, &w, &e), TG_OK, "%s", e.msg);
    tg_rng r;
    tg_rng_seed(&r, 11, 0, 0);
    for (int a = 0; a < A; a++) {
        row_cols[a] = malloc(S * C * sizeof(int32_t));
        row_vals[a] = malloc(S * C * sizeof(uint32_t));
        double density = a % 7 == 0 ? 0.0 : a % 5 == 0 ? 0.5 : 0.05; /* empty, big, small rows */
        size_t n = 0;
        for (int32_t col = 0; col < S * C; col++)
            if (tg_rng_uniform(&r) < density) {
                row_cols[a][n] = col;
                row_vals[a][n++] = 1 + tg_rng_below(&r, 500);
            }
        row_len[a] = n;
        uint8_t labels[G] = {(uint8_t)(a % 2), (uint8_t)(a % 3 == 0), 1};
        char id[16];
        snprintf(id, sizeof id, "%d", 1000 + a);
        cr_assert_eq(tg_store_writer_add(w, id, 17000 + a, a < 40 ? TG_SPLIT_TRAIN : TG_SPLIT_TEST,
                                         labels, n, row_cols[a], row_vals[a], &e), TG_OK, "%s", e.msg);
    }
    cr_assert_eq(tg_store_writer_finish(w, &e), TG_OK, "%s", e.msg);
}

static void cleanup(void)
{
    unlink(path);
    for (int a = 0; a < A; a++)
        free(row_cols[a]), free(row_vals[a]);
}

TestSuite(loader, .init = write_store, .fini = cleanup);

/* The expected row at N steps, from the rows written (a dense reference). */
static size_t expected(int a, int32_t N, tg_transform t, int32_t *cols, float *vals)
{
    static double dense[S * C];
    memset(dense, 0, sizeof dense);
    for (size_t k = 0; k < row_len[a]; k++)
        dense[(int64_t)(row_cols[a][k] / C) * N / S * C + row_cols[a][k] % C] += row_vals[a][k];
    size_t n = 0;
    for (int32_t col = 0; col < N * C; col++)
        if (dense[col] != 0) {
            cols[n] = col;
            vals[n++] = (float)(t == TG_TRANSFORM_LOG1P ? log1p(dense[col]) : dense[col]);
        }
    return n;
}

static void check_all_rows(uint64_t cache_bytes)
{
    tg_store *s;
    tg_error e = {0};
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    const int32_t steps[] = {S, 7, 1};
    for (int k = 0; k < 3; k++) {
        tg_loader_config cfg = {.store = s, .steps = steps[k], .transform = k % 2,
                                .cache_bytes = cache_bytes, .batch = 8, .depth = 3};
        tg_loader *l;
        cr_assert_eq(tg_loader_open(&l, &cfg, &e), TG_OK, "%s", e.msg);
        static int32_t cols[S * C], want_c[S * C];
        static float vals[S * C], want_v[S * C];
        for (int a = A - 1; a >= 0; a--) { /* backwards: chunks revisited out of order */
            size_t n;
            cr_assert_eq(tg_loader_row(l, (uint32_t)a, cols, vals, &n, &e), TG_OK, "%s", e.msg);
            size_t m = expected(a, steps[k], cfg.transform, want_c, want_v);
            cr_assert_eq(n, m, "album %d at %d steps: %zu entries, want %zu", a, steps[k], n, m);
            for (size_t i = 0; i < n; i++) {
                cr_assert_eq(cols[i], want_c[i]);
                cr_assert_float_eq(vals[i], want_v[i], 1e-5 * (1 + want_v[i]));
            }
        }
        tg_loader_stats st = tg_loader_get_stats(l);
        if (cache_bytes == 0)
            cr_assert_eq(st.cached_bytes, 0, "nothing cached without a budget");
        else
            cr_assert_gt(st.cache_hits, 0);
        tg_loader_close(l);
    }
    tg_store_close(s);
}

Test(loader, every_row_cached) { check_all_rows(1 << 20); }
Test(loader, every_row_streamed) { check_all_rows(0); }

Test(loader, a_pass_gives_the_announced_batches)
{
    tg_store *s;
    tg_error e = {0};
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    tg_loader_config cfg = {.store = s, .steps = 7, .transform = TG_TRANSFORM_LOG1P,
                            .cache_bytes = 4096, .batch = 8, .depth = 2};
    tg_loader *l;
    cr_assert_eq(tg_loader_open(&l, &cfg, &e), TG_OK, "%s", e.msg);
    tg_batch_source src = tg_loader_source(l);
    uint32_t order[A];
    for (int i = 0; i < A; i++)
        order[i] = (uint32_t)((i * 37) % A);
    tg_csr_buf out = {0};
    static int32_t want_c[S * C];
    static float want_v[S * C];
    for (int pass = 0; pass < 2; pass++) {
        cr_assert_eq(src.begin(src.ctx, order, A, 8, &e), TG_OK, "%s", e.msg);
        for (int i = 0; i < A; i += 8) {
            int32_t n = A - i < 8 ? A - i : 8;
            cr_assert_eq(src.fill(src.ctx, order + i, n, &out, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(out.rows, n);
            for (int b = 0; b < n; b++) {
                size_t m = expected((int)order[i + b], 7, TG_TRANSFORM_LOG1P, want_c, want_v);
                cr_assert_eq((size_t)(out.indptr[b + 1] - out.indptr[b]), m);
                for (size_t k = 0; k < m; k++)
                    cr_assert_eq(out.indices[out.indptr[b] + (int64_t)k], want_c[k]);
            }
        }
    }
    /* a batch that was not announced is refused rather than silently wrong */
    cr_assert_eq(src.fill(src.ctx, order, 8, &out, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_loader_get_stats(l).batches, 2 * 8);
    tg_csr_buf_free(&out);
    tg_loader_close(l);
    tg_store_close(s);
}

/* Trains 3 epochs of an MLP through the loader with the given cache budget and returns
 * its parameters (malloc'd). */
static float *train_through_loader(uint64_t cache_bytes, size_t *n_params)
{
    tg_store *s;
    tg_error e = {0};
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    tg_loader_config cfg = {.store = s, .steps = 7, .transform = TG_TRANSFORM_LOG1P,
                            .cache_bytes = cache_bytes, .batch = 8, .depth = 3};
    tg_loader *l;
    cr_assert_eq(tg_loader_open(&l, &cfg, &e), TG_OK, "%s", e.msg);
    tg_batch_source src = tg_loader_source(l);
    tg_net_spec spec = {.kind = TG_NET_MLP, .steps = 7, .cities = C, .genres = G, .hidden = 12};
    tg_train_config tc = {.epochs = 3, .batch = 8, .adam = {1e-2, 0.9, 0.999, 1e-8}, .seed = 3,
                          .threshold = 0.3};
    uint32_t train[40], test[A - 40];
    for (int a = 0; a < A; a++) {
        if (a < 40)
            train[a] = (uint32_t)a;
        else
            test[a - 40] = (uint32_t)a;
    }
    tg_train_data d = {.n_albums = A, .labels = s->labels, .train = train, .n_train = 40,
                       .test = test, .n_test = A - 40};
    tg_model m;
    cr_assert_eq(tg_model_alloc(&m, &spec, TG_BACKEND_CPU, tc.batch, tc.seed, 1, &e), TG_OK,
                 "%s", e.msg);
    for (int ep = 0; ep < tc.epochs; ep++) {
        tg_epoch_stats st;
        cr_assert_eq(tg_train_epoch(&m, &tc, &d, &src, &st, &e), TG_OK, "%s", e.msg);
    }
    tg_loader_stats ls = tg_loader_get_stats(l);
    if (cache_bytes == 0)
        cr_assert_eq(ls.cached_bytes, 0, "streamed: nothing cached");
    else
        cr_assert_gt(ls.cache_hits, 0, "cached: later epochs hit the cache");
    *n_params = m.net->layout.n_params;
    float *p = malloc(*n_params * sizeof *p);
    cr_assert_eq(m.net->ops->get_state(m.net, p, NULL, NULL, &e), TG_OK);
    tg_model_free(&m);
    tg_loader_close(l);
    tg_store_close(s);
    return p;
}

Test(loader, streaming_trains_the_same_model_as_caching)
{
    size_t n1, n2;
    float *cached = train_through_loader(1 << 20, &n1);
    float *streamed = train_through_loader(0, &n2);
    cr_assert_eq(n1, n2);
    cr_assert(memcmp(cached, streamed, n1 * sizeof(float)) == 0,
              "a store streamed each epoch trains bit for bit the model of a cached one");
    free(cached), free(streamed);
}

/* ---- a store that changes under the loader (issue 8) --------------------------------
 * The loader decodes chunks from an mmap of a store that tg_store_open validated; if
 * the file is damaged or cut afterwards (another process rewrote it in place), every
 * read must fail with a named error, never crash or read past the mapping. */

static void damage_after_open(int truncate_it)
{
    tg_error e = {0};
    tg_store *s;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    tg_store_layout l;
    cr_assert_eq(tg_store_layout_get(s, TG_STORE_DATA, &l, &e), TG_OK, "%s", e.msg);
    tg_store_chunk last = l.chunks[l.n_chunks - 1];
    tg_store_layout_free(&l);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    if (truncate_it) {
        cr_assert_eq(ftruncate(fileno(f), (off_t)last.offset), 0);
    } else { /* garbage over every data chunk's middle byte */
        cr_assert_eq(tg_store_layout_get(s, TG_STORE_DATA, &l, &e), TG_OK, "%s", e.msg);
        for (size_t k = 0; k < l.n_chunks; k++) {
            cr_assert_eq(fseek(f, (long)(l.chunks[k].offset + l.chunks[k].size / 2), SEEK_SET), 0);
            fputc(0x5a, f);
        }
        tg_store_layout_free(&l);
    }
    fclose(f);
    tg_loader_config cfg = {.store = s, .steps = S, .transform = TG_TRANSFORM_RAW, .cache_bytes = 0,
                            .batch = 4, .depth = 2};
    tg_loader *ld;
    cr_assert_eq(tg_loader_open(&ld, &cfg, &e), TG_OK, "%s", e.msg);
    int32_t cols[S * C];
    float vals[S * C];
    size_t failures = 0;
    for (uint32_t a = 0; a < A; a++) {
        size_t n;
        tg_code rc = tg_loader_row(ld, a, cols, vals, &n, &e);
        if (rc != TG_OK) {
            cr_assert_eq(rc, TG_ERR_FORMAT, "album %u: %s: %s", a, tg_code_name(rc), e.msg);
            cr_assert(strstr(e.msg, truncate_it ? "past the end of the file" : "chunk") != NULL, "%s", e.msg);
            failures++;
        }
    }
    cr_assert_gt(failures, 0, "damage after open went unnoticed");
    tg_loader_close(ld);
    tg_store_close(s);
}

Test(loader, chunks_damaged_after_open_are_errors) { damage_after_open(0); }
Test(loader, store_cut_after_open_is_an_error) { damage_after_open(1); }
