/* test_model_file.c - model.h5: a round trip of every field, optional Adam state and
 * city names, and each damage (missing dataset, wrong type, bad tensor names, other
 * schema version, sizes a crafted file declares but does not hold) as a clear error;
 * atomic writes; whether a store has a model's columns. */
#include "model_file.h"

#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[128];
static char *names[3] = {"Rap/Hip Hop", "Rap français", "Pop"};
static char *cities[3] = {"Paris", "Saint-Étienne", "Lyon"};

static tg_model_meta meta(void)
{
    tg_model_meta m = {.genres = 3, .steps = 2, .cities = 3, .model = "mlp",
                       .config = "epochs=2\nlr=0.001\n", .provenance = "tracegenre-provenance 1\n",
                       .genre_names = names, .city_names = cities, .n_tensors = 4,
                       .tensors = {{"W1", 2, {6, 4}}, {"b1", 1, {4}}, {"W2", 2, {4, 3}},
                                   {"b2", 1, {3}}}};
    return m;
}

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/tg-model-%d.h5", (int)getpid());
}

static void teardown(void) { unlink(path); }

TestSuite(model_file, .init = setup, .fini = teardown);

static void write_sample(int with_adam)
{
    tg_model_meta m = meta();
    size_t n = tg_model_file_params(&m);
    cr_assert_eq(n, 6 * 4 + 4 + 4 * 3 + 3);
    float *p = malloc(n * 4), *am = malloc(n * 4), *av = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)i * 0.5f, am[i] = -(float)i, av[i] = (float)i * i;
    int32_t epoch[2] = {1, 2};
    double tl[2] = {0.7, 0.5}, te[2] = {0.75, NAN}, map[2] = {0.3, 0.4}, f1[2] = {0.1, 0.2},
           sec[2] = {1.5, 1.4}, ld[2] = {0.1, 0.0};
    tg_model_history h = {.n = 2, .epoch = epoch, .train_loss = tl, .test_loss = te,
                          .test_map = map, .test_macro_f1 = f1, .seconds = sec,
                          .loader_seconds = ld};
    tg_error e = {0};
    cr_assert_eq(tg_model_file_write(path, &m, p, with_adam ? am : NULL, with_adam ? av : NULL,
                                     16, &h, &e), TG_OK, "%s", e.msg);
    free(p), free(am), free(av);
}

Test(model_file, round_trip)
{
    write_sample(1);
    tg_model_file f;
    tg_error e = {0};
    cr_assert_eq(tg_model_file_read(path, &f, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(f.meta.n_tensors, 4);
    cr_assert_str_eq(f.meta.tensors[2].name, "W2");
    cr_assert_eq(f.meta.tensors[0].rank, 2);
    cr_assert_eq(f.meta.tensors[0].dims[0], 6);
    cr_assert_eq(f.meta.tensors[0].dims[1], 4);
    cr_assert_eq(f.meta.tensors[3].dims[0], 3);
    cr_assert_str_eq(f.meta.model, "mlp");
    cr_assert_eq(f.meta.genres, 3);
    cr_assert_eq(f.meta.steps, 2);
    cr_assert_str_eq(f.meta.config, "epochs=2\nlr=0.001\n");
    cr_assert_str_eq(f.meta.genre_names[1], "Rap français");
    cr_assert_not_null(f.meta.city_names);
    for (int c = 0; c < 3; c++)
        cr_assert_str_eq(f.meta.city_names[c], cities[c]);
    size_t n = tg_model_file_params(&f.meta);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(f.params[i], (float)i * 0.5f);
        cr_assert_eq(f.adam_m[i], -(float)i);
    }
    cr_assert_eq(f.adam_step, 16);
    cr_assert_eq(f.history.n, 2);
    cr_assert_eq(f.history.epoch[1], 2);
    cr_assert_float_eq(f.history.train_loss[1], 0.5, 0);
    cr_assert(isnan(f.history.test_loss[1]), "NaN survives");
    tg_model_file_free(&f);
}

Test(model_file, without_adam_state)
{
    write_sample(0);
    tg_model_file f;
    tg_error e = {0};
    cr_assert_eq(tg_model_file_read(path, &f, &e), TG_OK, "%s", e.msg);
    cr_assert_null(f.adam_m);
    cr_assert_null(f.adam_v);
    tg_model_file_free(&f);
}

/* Opens the sample for editing with the raw HDF5 API. */
static hid_t edit(void)
{
    write_sample(1);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    return f;
}

static void expect_error(const char *needle)
{
    tg_model_file m;
    tg_error e = {0};
    cr_assert_eq(tg_model_file_read(path, &m, &e), TG_ERR_FORMAT, "accepted: %s", e.msg);
    cr_assert(strstr(e.msg, path) != NULL, "names the file: %s", e.msg);
    cr_assert(strstr(e.msg, needle) != NULL, "'%s' not in: %s", needle, e.msg);
}

static void set_i64(hid_t f, const char *name, int64_t v)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    cr_assert(a >= 0);
    cr_assert(H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
}

Test(model_file, missing_dataset)
{
    hid_t f = edit();
    cr_assert(H5Ldelete(f, "W2", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_error("'W2' is missing");
}

Test(model_file, wrong_type)
{
    hid_t f = edit();
    cr_assert(H5Ldelete(f, "b1", H5P_DEFAULT) >= 0);
    hsize_t n = 4;
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "b1", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int32_t v[4] = {0};
    H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d), H5Sclose(s), H5Fclose(f);
    expect_error("'b1' has the wrong type");
}

static void set_text(hid_t f, const char *name, const char *text)
{
    cr_assert(H5Adelete(f, name) >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0);
    cr_assert(H5Awrite(a, t, &text) >= 0);
    H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

Test(model_file, tensor_list_against_datasets)
{
    static const char *const cases[][2] = {
        {"W1 b1 W2 b2 W3", "'W3' is missing"}, {"W1 ../b1", "invalid name"},
        {"W1 W1", "'W1' twice"}, {"genres", "invalid name"}, {"", "0 tensors"}};
    write_sample(1);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        cr_assert(f >= 0);
        set_text(f, "tensors", cases[k][0]);
        H5Fclose(f);
        expect_error(cases[k][1]);
    }
}

Test(model_file, writer_refuses_bad_tensors)
{
    tg_model_meta m = meta();
    tg_error e = {0};
    float p[64] = {0};
    m.tensors[1].dims[0] = 0;
    cr_assert_eq(tg_model_file_write(path, &m, p, NULL, NULL, 0, NULL, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "'b1' dimension 0") != NULL, "%s", e.msg);
    m = meta();
    snprintf(m.tensors[2].name, sizeof m.tensors[2].name, "a b");
    cr_assert_eq(tg_model_file_write(path, &m, p, NULL, NULL, 0, NULL, &e), TG_ERR_FORMAT);
    m = meta();
    m.tensors[0].rank = 5;
    cr_assert_eq(tg_model_file_write(path, &m, p, NULL, NULL, 0, NULL, &e), TG_ERR_FORMAT);
    cr_assert_eq(access(path, F_OK), -1, "nothing written");
}

Test(model_file, other_schema_version)
{
    hid_t f = edit();
    set_i64(f, "schema_version", 1);
    H5Fclose(f);
    expect_error("schema version 1");
}

Test(model_file, declared_sizes_the_file_does_not_hold)
{
    /* a crafted dataset declaring a 2^19 x 2^19 tensor with no stored bytes must not make
     * us allocate 1 TB */
    hid_t f = edit();
    cr_assert(H5Ldelete(f, "W1", H5P_DEFAULT) >= 0);
    hsize_t dims[2] = {(hsize_t)1 << 19, (hsize_t)1 << 19}, chunk[2] = {64, 64};
    hid_t sp = H5Screate_simple(2, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 2, chunk);
    hid_t d = H5Dcreate2(f, "W1", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    cr_assert(d >= 0);
    H5Dclose(d), H5Pclose(pl), H5Sclose(sp), H5Fclose(f);
    expect_error("'W1' stores 0 bytes");
}

Test(model_file, failed_write_leaves_the_previous_file)
{
    write_sample(1);
    tg_model_meta m = meta();
    tg_error e = {0};
    float p[43] = {0};
    cr_assert_neq(tg_model_file_write("/nonexistent-dir/model.h5", &m, p, NULL, NULL, 0, NULL, &e),
                  TG_OK);
    cr_assert(strstr(e.msg, "/nonexistent-dir/model.h5") != NULL, "%s", e.msg);
    tg_model_file f;
    cr_assert_eq(tg_model_file_read(path, &f, &e), TG_OK, "%s", e.msg);
    tg_model_file_free(&f);
}

Test(model_file, not_hdf5)
{
    FILE *fp = fopen(path, "wb");
    fputs("not an HDF5 file", fp);
    fclose(fp);
    tg_model_file f;
    tg_error e = {0};
    cr_assert_eq(tg_model_file_read(path, &f, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "not an HDF5 file") != NULL, "%s", e.msg);
}

/* A writer without the city names (as before they were recorded) writes no group
 * cities, and a reader reports them as not recorded rather than failing. */
Test(model_file, without_city_names)
{
    tg_model_meta m = meta();
    m.city_names = NULL;
    float p[43] = {0};
    tg_error e = {0};
    cr_assert_eq(tg_model_file_write(path, &m, p, NULL, NULL, 0, NULL, &e), TG_OK, "%s", e.msg);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert_eq(H5Lexists(f, "cities", H5P_DEFAULT), 0, "no group cities");
    H5Fclose(f);
    tg_model_file got;
    cr_assert_eq(tg_model_file_read(path, &got, &e), TG_OK, "%s", e.msg);
    cr_assert_null(got.meta.city_names);
    tg_model_file_free(&got);
}

Test(model_file, city_names_of_another_count)
{
    hid_t f = edit();
    cr_assert(H5Ldelete(f, "cities/name", H5P_DEFAULT) >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t n = 2;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "cities/name", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *two[2] = {"Paris", "Lyon"};
    cr_assert(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, two) >= 0);
    H5Dclose(d), H5Sclose(sp), H5Tclose(t), H5Fclose(f);
    expect_error("'cities/name' dimension 0 is 2, not 3");
}

Test(model_file, tensor_named_cities)
{
    tg_model_meta m = meta();
    snprintf(m.tensors[3].name, sizeof m.tensors[3].name, "cities");
    float p[43] = {0};
    tg_error e = {0};
    cr_assert_eq(tg_model_file_write(path, &m, p, NULL, NULL, 0, NULL, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "invalid name") != NULL, "%s", e.msg);
}

/* A store whose columns are the model's fits; one with its cities in another order, or
 * another count of cities or genres, or other genres, does not, the message naming both
 * files; a model without city names is checked by the count alone. */
Test(model_file, fits_store)
{
    tg_model_meta m = meta();
    char *same[3] = {"Paris", "Saint-Étienne", "Lyon"}, *moved[3] = {"Lyon", "Saint-Étienne", "Paris"};
    char *genres[3] = {"Rap/Hip Hop", "Rap français", "Pop"}, *other[3] = {"Rap/Hip Hop", "Pop", "Rock"};
    tg_store s = {.path = "store.h5", .n_cities = 3, .city_names = same, .n_genres = 3,
                  .genre_names = genres};
    tg_error e = {0};
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_OK, "%s", e.msg);

    s.city_names = moved;
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_ERR_FORMAT);
    cr_assert_str_eq(e.msg, "store.h5 and model.h5: the cities differ: city column 0 is 'Lyon' "
                     "in the store, 'Paris' in the model (it needs a store with its cities in "
                     "its order)");
    m.city_names = NULL; /* written before the names were: the count alone */
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_OK, "%s", e.msg);

    s.n_cities = 2;
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_ERR_FORMAT);
    cr_assert_str_eq(e.msg, "store.h5 has 2 cities, model.h5 was trained on 3");
    s.n_cities = 3;
    s.n_genres = 2;
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_ERR_FORMAT);
    cr_assert_str_eq(e.msg, "store.h5 has 2 genres, model.h5 predicts 3");
    s.n_genres = 3;
    s.genre_names = other;
    cr_assert_eq(tg_model_file_fits_store(&m, "model.h5", &s, &e), TG_ERR_FORMAT);
    cr_assert_str_eq(e.msg, "store.h5: genre column 1 is 'Pop', the model's is 'Rap français'");
}
