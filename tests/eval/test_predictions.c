/* test_predictions.c - predictions.h5 (store/predictions.h): a round trip through the
 * API, and each check of the reader on files damaged afterwards with plain HDF5 calls. */
#include "predictions.h"

#include <hdf5.h>

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];

static void make_dir(void)
{
    strcpy(dir, "/tmp/tg-eval-pred-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/predictions.h5", dir);
}

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(predictions, .init = make_dir, .fini = remove_dir);

/* 4 albums (train, test, test, unlabeled) x 3 genres, names with non-ASCII text. */
static char *ids[] = {"a1", "Ça va", "b,2", "u9"};
static char *genres[] = {"Rock", "Variété Internationale", "Jazz"};
static uint8_t split[] = {TG_SPLIT_TRAIN, TG_SPLIT_TEST, TG_SPLIT_TEST, TG_SPLIT_UNLABELED};
static float scores[] = {0.9f, 0.1f, 0.0f, 0.25f, 1.0f, 0.3f, 0.5f, 0.5f, 0.125f, 0.7f, 0.2f, 0.6f};
static uint8_t labels[] = {1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0};

static tg_predictions sample(void)
{
    return (tg_predictions){
        .n_albums = 4, .n_genres = 3, .album_ids = ids, .split = split, .scores = scores,
        .labels = labels, .genre_names = genres, .has_threshold = 1, .threshold = 0.25,
        .model = "runs/model.h5", .model_records = 1,
    };
}

static void write_sample(void)
{
    tg_predictions p = sample();
    tg_error e = {0};
    cr_assert_eq(tg_predictions_write(path, &p, &e), TG_OK, "%s", e.msg);
}

/* Reading must fail with code and a message holding frag. */
static void read_fails(tg_code code, const char *frag)
{
    tg_predictions p;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_read(path, &p, &e), code, "message: %s", e.msg);
    cr_assert(strstr(e.msg, frag) != NULL, "'%s' not in: %s", frag, e.msg);
    cr_assert(strstr(e.msg, path) != NULL, "the file is not named: %s", e.msg);
    cr_assert(p.scores == NULL && p.album_ids == NULL && p.model == NULL, "nothing handed over");
    cr_assert_eq(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0, "HDF5 objects left open");
}

static hid_t open_rw(void)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    return f;
}

/* Replaces dataset name by one of type t and the given shape, filled from data. */
static void replace(const char *name, hid_t t, int rank, const hsize_t *dims, const void *data)
{
    hid_t f = open_rw();
    cr_assert(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(d >= 0);
    cr_assert(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
}

/* Overwrites the whole of dataset name (same type and shape) with data. */
static void overwrite(const char *name, hid_t t, const void *data)
{
    hid_t f = open_rw();
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    cr_assert(d >= 0);
    cr_assert(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Fclose(f);
}

Test(predictions, round_trip)
{
    write_sample();
    tg_predictions p;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_read(path, &p, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(p.n_albums, 4);
    cr_assert_eq(p.n_genres, 3);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(p.album_ids[i], ids[i]);
        cr_assert_eq(p.split[i], split[i]);
    }
    for (size_t j = 0; j < 3; j++)
        cr_assert_str_eq(p.genre_names[j], genres[j]);
    cr_assert_arr_eq(p.scores, scores, sizeof scores);
    cr_assert_arr_eq(p.labels, labels, sizeof labels);
    cr_assert(p.has_threshold);
    cr_assert_eq(p.threshold, 0.25);
    cr_assert_str_eq(p.model, "runs/model.h5");
    cr_assert_eq(p.model_records, 1);
    cr_assert_eq(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0, "HDF5 objects left open");
    tg_predictions_free(&p);
    cr_assert_null(p.scores);
    tg_predictions_free(&p); /* twice is fine */
}

Test(predictions, without_threshold_or_model)
{
    tg_predictions w = sample();
    w.has_threshold = 0;
    w.model = NULL;
    w.model_records = 0;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_write(path, &w, &e), TG_OK, "%s", e.msg);
    tg_predictions p;
    cr_assert_eq(tg_predictions_read(path, &p, &e), TG_OK, "%s", e.msg);
    cr_assert_not(p.has_threshold);
    cr_assert(isnan(p.threshold));
    cr_assert_str_eq(p.model, "");
    cr_assert_eq(p.model_records, 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert_eq(H5Aexists(f, "model_records"), 0, "not written when not set");
    H5Fclose(f);
    tg_predictions_free(&p);
}

/* model_records: a uint8 scalar, 0 or 1; anything else is a damaged file. */
Test(predictions, model_records_checked)
{
    write_sample();
    hid_t f = open_rw();
    hid_t a = H5Aopen(f, "model_records", H5P_DEFAULT);
    uint8_t v = 2;
    cr_assert(H5Awrite(a, H5T_NATIVE_UINT8, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "model_records 2 is not 0 or 1");
    f = open_rw();
    cr_assert(H5Adelete(f, "model_records") >= 0);
    hid_t s = H5Screate(H5S_SCALAR);
    a = H5Acreate2(f, "model_records", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    double one = 1;
    cr_assert(H5Awrite(a, H5T_NATIVE_DOUBLE, &one) >= 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "attribute model_records must hold uint8");
    tg_predictions w = sample();
    w.model_records = 3;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_write(path, &w, &e), TG_ERR_FORMAT, "the writer checks it");
    cr_assert(strstr(e.msg, "model_records 3 is not 0 or 1") != NULL, "%s", e.msg);
}

Test(predictions, write_refuses_bad_input_and_leaves_nothing)
{
    tg_predictions w = sample();
    float bad[12];
    memcpy(bad, scores, sizeof bad);
    bad[4] = NAN;
    w.scores = bad;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_write(path, &w, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "album 'Ça va' (row 1), genre 'Variété Internationale': score nan") !=
              NULL, "%s", e.msg);
    cr_assert_neq(access(path, F_OK), 0, "no file written");
    w = sample();
    uint8_t s[] = {0, 1, 7, 2};
    w.split = s;
    cr_assert_eq(tg_predictions_write(path, &w, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "album 'b,2' (row 2): split code 7") != NULL, "%s", e.msg);
}

Test(predictions, missing_file)
{
    read_fails(TG_ERR_IO, "cannot open");
}

Test(predictions, not_hdf5)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("album_id,Rock\n", f);
    fclose(f);
    read_fails(TG_ERR_FORMAT, "not an HDF5 file");
}

Test(predictions, missing_dataset)
{
    write_sample();
    hid_t f = open_rw();
    cr_assert(H5Ldelete(f, "labels", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "no dataset /labels");
}

Test(predictions, wrong_dtype_scores)
{
    write_sample();
    double d[12];
    for (int i = 0; i < 12; i++)
        d[i] = scores[i];
    hsize_t dims[2] = {4, 3};
    replace("scores", H5T_NATIVE_DOUBLE, 2, dims, d);
    read_fails(TG_ERR_FORMAT, "dataset scores must hold float32 (it holds floats of 8 bytes)");
}

Test(predictions, wrong_dtype_labels)
{
    write_sample();
    int32_t l[12];
    for (int i = 0; i < 12; i++)
        l[i] = labels[i];
    hsize_t dims[2] = {4, 3};
    replace("labels", H5T_NATIVE_INT32, 2, dims, l);
    read_fails(TG_ERR_FORMAT, "dataset labels must hold uint8");
}

Test(predictions, wrong_rank)
{
    write_sample();
    hsize_t dims[1] = {12};
    replace("labels", H5T_NATIVE_UINT8, 1, dims, labels);
    read_fails(TG_ERR_FORMAT, "dataset /labels has 1 dimensions, expected 2");
}

Test(predictions, mismatched_shapes)
{
    write_sample();
    hsize_t dims[2] = {3, 4}; /* same cells, transposed */
    replace("labels", H5T_NATIVE_UINT8, 2, dims, labels);
    read_fails(TG_ERR_FORMAT, "shapes disagree: /scores [4, 3], /labels [3, 4]");
}

Test(predictions, mismatched_ids)
{
    write_sample();
    hsize_t n = 3;
    replace("split", H5T_NATIVE_UINT8, 1, &n, split);
    read_fails(TG_ERR_FORMAT, "/split [3]");
}

Test(predictions, bad_split_code)
{
    write_sample();
    uint8_t s[] = {0, 3, 1, 2};
    overwrite("split", H5T_NATIVE_UINT8, s);
    read_fails(TG_ERR_FORMAT, "album 'Ça va' (row 1): split code 3 is not 0 (train)");
}

Test(predictions, split_names_checked)
{
    write_sample();
    hid_t f = open_rw();
    hid_t d = H5Dopen2(f, "split", H5P_DEFAULT);
    cr_assert(H5Adelete(d, "names") >= 0);
    H5Dclose(d);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "no attribute names of /split");
}

Test(predictions, nan_score_names_album)
{
    write_sample();
    float s[12];
    memcpy(s, scores, sizeof s);
    s[8] = NAN; /* album 2, genre 2 */
    overwrite("scores", H5T_NATIVE_FLOAT, s);
    read_fails(TG_ERR_FORMAT, "album 'b,2' (row 2), genre 'Jazz': score nan is not in [0, 1]");
}

Test(predictions, label_not_binary)
{
    write_sample();
    uint8_t l[12];
    memcpy(l, labels, sizeof l);
    l[3] = 2;
    overwrite("labels", H5T_NATIVE_UINT8, l);
    read_fails(TG_ERR_FORMAT, "album 'Ça va' (row 1), genre 'Rock': label 2 is not 0 or 1");
}

Test(predictions, schema_version)
{
    write_sample();
    hid_t f = open_rw();
    hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
    unsigned v = 2;
    cr_assert(H5Awrite(a, H5T_NATIVE_UINT, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "schema version 2, this program reads version 1");
    f = open_rw();
    cr_assert(H5Adelete(f, "schema_version") >= 0);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "no schema_version attribute");
}

Test(predictions, unwritten_dataset)
{
    /* Declared [4, 3] but never written: no storage behind the declared size. */
    write_sample();
    hid_t f = open_rw();
    cr_assert(H5Ldelete(f, "scores", H5P_DEFAULT) >= 0);
    hsize_t dims[2] = {4, 3};
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(f, "scores", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(d >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "dataset /scores was never completely written");
}

/* Replaces dataset name by a chunked one of type t and shape dims, never written:
 * HDF5 stores nothing for it, so any size costs nothing to declare. */
static void declare(hid_t f, const char *name, hid_t t, int rank, const hsize_t *dims)
{
    hsize_t chunk[2] = {1, 1024};
    cr_assert(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert(H5Pset_chunk(dcpl, rank, rank == 2 ? chunk : chunk + 1) >= 0);
    hid_t d = H5Dcreate2(f, name, t, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    cr_assert(d >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
}

Test(predictions, huge_declared_size_refused_before_allocation)
{
    /* 70,000 genres declared consistently everywhere, backed by nothing. */
    write_sample();
    hid_t f = open_rw();
    hsize_t g = 70000, ng[2] = {4, 70000};
    hid_t str = H5Tcopy(H5T_C_S1);
    cr_assert(H5Tset_size(str, H5T_VARIABLE) >= 0);
    declare(f, "scores", H5T_IEEE_F32LE, 2, ng);
    declare(f, "labels", H5T_STD_U8LE, 2, ng);
    declare(f, "genre", str, 1, &g);
    H5Tclose(str);
    H5Fclose(f);
    read_fails(TG_ERR_LIMIT, "declares 4 albums x 70000 genres, above this version's limits");
}

/* The file's variable-length UTF-8 string type, to rewrite ids and names in place. */
static void overwrite_texts(const char *name, const char *const *texts)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    cr_assert(t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0);
    overwrite(name, t, texts);
    H5Tclose(t);
}

Test(predictions, duplicate_album_id_named)
{
    write_sample();
    const char *dup[] = {"a1", "Ça va", "b,2", "Ça va"};
    overwrite_texts("album_id", dup);
    read_fails(TG_ERR_FORMAT, "album id 'Ça va' appears twice (rows 1 and 3)");
}

Test(predictions, duplicate_genre_name_named)
{
    write_sample();
    const char *dup[] = {"Jazz", "Variété Internationale", "Jazz"};
    overwrite_texts("genre", dup);
    read_fails(TG_ERR_FORMAT, "genre name 'Jazz' appears twice (columns 0 and 2)");
}

/* Names that differ only in the last byte, or by a prefix, are not duplicates. */
Test(predictions, near_duplicates_accepted)
{
    write_sample();
    const char *ids2[] = {"a1", "a10", "a", "a2"};
    overwrite_texts("album_id", ids2);
    tg_predictions p;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_read(path, &p, &e), TG_OK, "%s", e.msg);
    tg_predictions_free(&p);
}

/* The writer refuses duplicates too (the same check), and leaves no file. */
Test(predictions, write_refuses_duplicates)
{
    tg_predictions w = sample();
    char *dup[] = {"u9", "Ça va", "b,2", "u9"};
    w.album_ids = dup;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_write(path, &w, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "album id 'u9' appears twice (rows 0 and 3)") != NULL, "%s", e.msg);
    cr_assert_neq(access(path, F_OK), 0, "no file written");
}

/* Many albums: the hash set's collisions and wrap-around, with the duplicate far
 * from its first occurrence, and none found when all differ. */
Test(predictions, duplicate_among_many)
{
    enum { N = 5000, G3 = 3 };
    char **many = malloc(N * sizeof *many);
    uint8_t *sp = calloc(N, 1), *lb = calloc((size_t)N * G3, 1);
    float *sc = calloc((size_t)N * G3, sizeof *sc);
    cr_assert(many != NULL && sp != NULL && lb != NULL && sc != NULL);
    for (size_t i = 0; i < N; i++) {
        many[i] = malloc(16);
        cr_assert_not_null(many[i]);
        snprintf(many[i], 16, "id-%zu", i);
    }
    tg_predictions p = {.n_albums = N, .n_genres = G3, .album_ids = many, .split = sp,
                        .scores = sc, .labels = lb, .genre_names = genres};
    tg_error e = {0};
    cr_assert_eq(tg_predictions_check(&p, "many", &e), TG_OK, "%s", e.msg);
    snprintf(many[4321], 16, "id-17");
    cr_assert_eq(tg_predictions_check(&p, "many", &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "many: album id 'id-17' appears twice (rows 17 and 4321)") != NULL,
              "%s", e.msg);
    for (size_t i = 0; i < N; i++)
        free(many[i]);
    free(many);
    free(sp);
    free(lb);
    free(sc);
}

/* Names must be well-formed UTF-8 (the reports copy them verbatim): 2-, 3- and 4-byte
 * characters are read back; a surrogate, an overlong form, a code point past U+10FFFF,
 * a bare continuation byte or a cut character is refused, naming the column. */
Test(predictions, names_must_be_utf8)
{
    write_sample();
    const char *good[] = {"Caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8E\xB5"};
    overwrite_texts("genre", good);
    tg_predictions p;
    tg_error e = {0};
    cr_assert_eq(tg_predictions_read(path, &p, &e), TG_OK, "%s", e.msg);
    for (int j = 0; j < 3; j++)
        cr_assert_str_eq(p.genre_names[j], good[j]);
    tg_predictions_free(&p);
    const char *bad[] = {"\xED\xA0\x80", "\xC0\x80", "\xE0\x80\x80", "\xF4\x90\x80\x80", "a\x80",
                         "\xE2\x82"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        const char *names[] = {"Rock", bad[k], "Jazz"};
        overwrite_texts("genre", names);
        read_fails(TG_ERR_FORMAT, "genre 1: name is not valid UTF-8");
    }
}

/* Writes attribute name of object obj (the root for ".") as texts[n]. */
static void rewrite_text_attr(const char *obj, const char *name, const char *const *texts, hsize_t n)
{
    hid_t f = open_rw(), o = H5Oopen(f, obj, H5P_DEFAULT);
    cr_assert_geq(o, 0);
    if (H5Aexists(o, name) > 0)
        cr_assert_geq(H5Adelete(o, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    cr_assert(t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0);
    hid_t s = H5Screate_simple(1, &n, NULL), a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(a, 0);
    cr_assert_geq(H5Awrite(a, t, texts), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    H5Oclose(o);
    H5Fclose(f);
}

/* /split's names must be the codes' own, in order and all three. */
Test(predictions, split_names_must_be_the_codes)
{
    write_sample();
    const char *other[] = {"train", "test", "other"};
    rewrite_text_attr("split", "names", other, 3);
    read_fails(TG_ERR_FORMAT, "code 2 is named 'other', expected 'unlabeled'");
    const char *two[] = {"train", "test"};
    rewrite_text_attr("split", "names", two, 2);
    read_fails(TG_ERR_FORMAT, "must hold 3 names");
}

/* A root attribute of more than one value (a threshold per genre, say) is refused. */
Test(predictions, attribute_must_be_one_value)
{
    write_sample();
    hid_t f = open_rw();
    cr_assert_geq(H5Adelete(f, "threshold"), 0);
    hsize_t two = 2;
    double v[2] = {0.3, 0.4};
    hid_t s = H5Screate_simple(1, &two, NULL);
    hid_t a = H5Acreate2(f, "threshold", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(a, 0);
    cr_assert_geq(H5Awrite(a, H5T_NATIVE_DOUBLE, v), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
    read_fails(TG_ERR_FORMAT, "attribute threshold must be a single value");
}
