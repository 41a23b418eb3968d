/* file_kind.c - the project's HDF5 file kinds and opening an input (see file_kind.h). */
#include "file_kind.h"

#include "h5_error.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

const char *tg_file_kind_name(tg_file_kind kind)
{
    switch (kind) {
    case TG_FILE_INGEST:
        return "an ingest file (ingest's ingest.h5)";
    case TG_FILE_STORE:
        return "a store (aggregate's store.h5)";
    case TG_FILE_MODEL:
        return "a model (train's model.h5)";
    case TG_FILE_PREDICTIONS:
        return "a predictions file (train's predictions.h5)";
    case TG_FILE_OTHER:
        break;
    }
    return "an HDF5 file of no kind this project writes";
}

static int has_attr(hid_t file, const char *name)
{
    return H5Aexists(file, name) > 0;
}

static int has_link(hid_t file, const char *name)
{
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

tg_file_kind tg_h5_file_kind(hid_t file)
{
    /* Each mark is one only its writer leaves: predictions.h5 has a root attribute
     * "model" too (the model's path), so a model is told by "tensors". */
    tg_file_kind k = TG_FILE_OTHER;
    if (has_attr(file, "tracegenre_file"))
        k = TG_FILE_INGEST;
    else if (has_attr(file, "tensors"))
        k = TG_FILE_MODEL;
    else if (has_link(file, "x"))
        k = TG_FILE_STORE;
    else if (has_link(file, "scores"))
        k = TG_FILE_PREDICTIONS;
    (void)H5Eclear2(H5E_DEFAULT); /* a failed probe is only "not this kind" */
    return k;
}

tg_code tg_h5_open_input(const char *path, tg_file_kind want, hid_t *file, tg_error *e)
{
    *file = H5I_INVALID_HID;
    tg_code rc = tg_h5_quiet(e);
    if (rc != TG_OK)
        return rc;
    /* stat and fopen first, for errno's reason: HDF5 reports a missing file or a
     * directory as a stack of records that ends in "unable to open file". */
    struct stat st;
    if (stat(path, &st) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR; /* as fopen would say it, beside "No such file or directory" */
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    }
    if (!S_ISREG(st.st_mode))
        return tg_fail(e, TG_ERR_IO, "%s: cannot open: not a regular file", path);
    FILE *probe = fopen(path, "rb");
    if (probe == NULL)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: not an HDF5 file", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return tg_h5_fail(e, TG_ERR_IO, "%s: cannot open as HDF5 (truncated or damaged)", path);
    tg_file_kind got = want == TG_FILE_OTHER ? TG_FILE_OTHER : tg_h5_file_kind(*file);
    if (got != TG_FILE_OTHER && got != want) {
        H5Fclose(*file);
        *file = H5I_INVALID_HID;
        return tg_fail(e, TG_ERR_FORMAT, "%s is %s, not %s", path, tg_file_kind_name(got),
                       tg_file_kind_name(want));
    }
    return TG_OK;
}

tg_code tg_h5_kind_of(const char *path, tg_file_kind *kind, tg_error *e)
{
    *kind = TG_FILE_OTHER;
    hid_t f;
    tg_code rc = tg_h5_open_input(path, TG_FILE_OTHER, &f, e);
    if (rc != TG_OK)
        return rc;
    *kind = tg_h5_file_kind(f);
    H5Fclose(f);
    return TG_OK;
}
