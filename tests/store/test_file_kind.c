/* test_file_kind.c - every reader of store/ given the wrong input: a missing file, a
 * directory, a file that is not HDF5, and each other kind of the project's files, named
 * as what it is and what was expected (file_kind.h), never as a missing attribute or an
 * HDF5 error stack. Files are made with plain HDF5 calls and hold only each kind's mark. */
#include "file_kind.h"
#include "h5_error.h"
#include "ingest_file.h"
#include "model_file.h"
#include "predictions.h"
#include "store.h"

#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], path[200];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-kind-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f.h5", dir);
    tg_error e = {0};
    cr_assert_eq(tg_h5_quiet(&e), TG_OK, "%s", e.msg);
}

static void teardown(void)
{
    unlink(path);
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    rmdir(sub);
    rmdir(dir);
}

TestSuite(file_kind, .init = setup, .fini = teardown);

/* An HDF5 file at path holding only kind's mark. */
static void make(tg_file_kind kind)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    hid_t sp = H5Screate(H5S_SCALAR);
    int32_t one = 1;
    const char *attr = kind == TG_FILE_INGEST ? "tracegenre_file"
                       : kind == TG_FILE_MODEL ? "tensors" : "schema_version";
    hid_t a = H5Acreate2(f, attr, H5T_NATIVE_INT32, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(a, 0);
    cr_assert_geq(H5Awrite(a, H5T_NATIVE_INT32, &one), 0);
    H5Aclose(a);
    if (kind == TG_FILE_STORE)
        H5Gclose(H5Gcreate2(f, "x", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (kind == TG_FILE_PREDICTIONS) {
        hid_t d = H5Dcreate2(f, "scores", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        cr_assert_geq(d, 0);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Fclose(f);
}

/* Each reader on path: its code, and e's message. */
static tg_code read_as(tg_file_kind kind, tg_error *e)
{
    memset(e, 0, sizeof *e);
    tg_code rc;
    if (kind == TG_FILE_INGEST) {
        tg_ingest_file f;
        rc = tg_ingest_file_open(&f, path, e);
        if (rc == TG_OK)
            tg_ingest_file_close(&f);
    } else if (kind == TG_FILE_STORE) {
        tg_store *s = NULL;
        rc = tg_store_open(path, &s, e);
        tg_store_close(s);
    } else if (kind == TG_FILE_MODEL) {
        tg_model_file m;
        rc = tg_model_file_read(path, &m, e);
        if (rc == TG_OK)
            tg_model_file_free(&m);
    } else {
        tg_predictions p;
        rc = tg_predictions_read(path, &p, e);
        if (rc == TG_OK)
            tg_predictions_free(&p);
    }
    return rc;
}

static const tg_file_kind kinds[] = {TG_FILE_INGEST, TG_FILE_STORE, TG_FILE_MODEL,
                                     TG_FILE_PREDICTIONS};

Test(file_kind, each_kind_is_told_by_its_mark)
{
    for (int k = 0; k < 4; k++) {
        make(kinds[k]);
        tg_file_kind got;
        tg_error e = {0};
        cr_assert_eq(tg_h5_kind_of(path, &got, &e), TG_OK, "%s", e.msg);
        cr_assert_eq(got, kinds[k], "kind %d read as %d", kinds[k], got);
    }
    /* a file of none of ours is OTHER, and its readers' own checks then speak */
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    tg_file_kind got;
    tg_error e = {0};
    cr_assert_eq(tg_h5_kind_of(path, &got, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(got, TG_FILE_OTHER);
    cr_assert_eq(read_as(TG_FILE_MODEL, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, " is ") == NULL, "no kind claimed: %s", e.msg);
}

/* e.g. "f.h5 is a store (aggregate's store.h5), not a model (train's model.h5)" */
Test(file_kind, every_reader_names_what_it_was_given)
{
    for (int k = 0; k < 4; k++) {
        make(kinds[k]);
        for (int r = 0; r < 4; r++) {
            if (r == k)
                continue;
            tg_error e;
            cr_assert_eq(read_as(kinds[r], &e), TG_ERR_FORMAT, "%s", e.msg);
            char want[512];
            snprintf(want, sizeof want, "%s is %s, not %s", path, tg_file_kind_name(kinds[k]),
                     tg_file_kind_name(kinds[r]));
            cr_assert_str_eq(e.msg, want);
        }
    }
    tg_error e;
    make(TG_FILE_STORE);
    read_as(TG_FILE_MODEL, &e);
    cr_assert(strstr(e.msg, "is a store (aggregate's store.h5), not a model (train's model.h5)"),
              "%s", e.msg);
}

/* Every reader, given path, fails with code and exactly "PATH: <what>". */
static void every_reader_says(tg_code code, const char *what)
{
    for (int r = 0; r < 4; r++) {
        tg_error e;
        cr_assert_eq(read_as(kinds[r], &e), code, "%s", e.msg);
        char want[256];
        snprintf(want, sizeof want, "%s: %s", path, what);
        cr_assert_str_eq(e.msg, want);
    }
}

/* one line of ours, with errno's words, where HDF5 would print its stack (a FIFO is
 * not opened: HDF5 could not seek it, and opening it would wait for a writer) */
Test(file_kind, missing_directory_fifo_and_not_hdf5)
{
    every_reader_says(TG_ERR_IO, "cannot open: No such file or directory");
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s", sub);
    every_reader_says(TG_ERR_IO, "cannot open: Is a directory");
    snprintf(path, sizeof path, "%s/f.h5", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    every_reader_says(TG_ERR_IO, "cannot open: not a regular file");
    unlink(path);
    FILE *fp = fopen(path, "w");
    fputs("album_id,Rock\n", fp);
    fclose(fp);
    every_reader_says(TG_ERR_FORMAT, "not an HDF5 file");
}

/* an HDF5 file cut short: HDF5's one reason, after ours, on one line */
Test(file_kind, truncated)
{
    make(TG_FILE_MODEL);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(truncate(path, st.st_size / 2), 0);
    tg_error e;
    cr_assert_eq(read_as(TG_FILE_MODEL, &e), TG_ERR_IO);
    cr_assert(strstr(e.msg, "cannot open as HDF5 (truncated or damaged)"), "%s", e.msg);
    cr_assert_null(strchr(e.msg, '\n'), "%s", e.msg);
}
