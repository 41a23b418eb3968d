/* predictions.c - predictions.h5 written atomically and read with every check of
 * predictions.h: the one place that knows that file's HDF5 layout. */
#include "predictions.h"
#include "file_kind.h"
#include "h5_error.h"
#include "h5_text.h"
#include "h5_props.h"
#include "output_file.h"
#include "utf8.h"
#include "zstd_filter.h"

#include <hdf5.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const split_names[TG_SPLIT_COUNT] = {"train", "test", "unlabeled"};

const char *tg_split_name(unsigned code)
{
    return code < TG_SPLIT_COUNT ? split_names[code] : NULL;
}

/* 1 if s is well-formed UTF-8: the HTML and JSON reports copy names verbatim and must
 * stay valid. */
static int utf8_valid(const char *s)
{
    return tg_utf8_valid(s, strlen(s));
}

/* FNV-1a: a simple, well-spread hash for the duplicate check below. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Finds two equal texts among s[0..n): an open-addressing hash set of row numbers,
 * 2 to 4 slots per text (uint32_t: n is at most 2^30), so memory stays proportional to
 * n and time linear on average. On a duplicate, *first and *second are its rows and
 * TG_ERR_FORMAT is returned (the caller words the message); TG_ERR_NOMEM when the set
 * cannot be allocated; TG_OK when all differ. Every s[i] must be non-NULL. */
static tg_code find_duplicate(char *const *s, size_t n, size_t *first, size_t *second,
                              const char *where, tg_error *e)
{
    size_t cap = 4;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    if (slot == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory to check %zu names for duplicates",
                       where, n);
    const uint32_t EMPTY = UINT32_MAX;
    for (size_t k = 0; k < cap; k++)
        slot[k] = EMPTY;
    tg_code rc = TG_OK;
    for (size_t i = 0; i < n && rc == TG_OK; i++) {
        size_t k = (size_t)hash_text(s[i]) & (cap - 1);
        for (; slot[k] != EMPTY; k = (k + 1) & (cap - 1))
            if (strcmp(s[slot[k]], s[i]) == 0) {
                *first = slot[k];
                *second = i;
                rc = TG_ERR_FORMAT;
                break;
            }
        slot[k] = (uint32_t)i;
    }
    free(slot);
    return rc;
}

tg_code tg_predictions_check(const tg_predictions *p, const char *where, tg_error *e)
{
    size_t n = p->n_albums, g = p->n_genres;
    if (n == 0 || g == 0)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %zu albums and %zu genres: needs at least one of each",
                       where, n, g);
    if (n > TG_PREDICTIONS_MAX_ALBUMS || g > TG_PREDICTIONS_MAX_GENRES ||
        n > TG_PREDICTIONS_MAX_CELLS / g)
        return tg_fail(e, TG_ERR_LIMIT,
                       "%s: %zu albums x %zu genres is above this version's limits "
                       "(%zu albums, %zu genres, %zu cells)",
                       where, n, g, TG_PREDICTIONS_MAX_ALBUMS, TG_PREDICTIONS_MAX_GENRES,
                       TG_PREDICTIONS_MAX_CELLS);
    if (p->album_ids == NULL || p->split == NULL || p->scores == NULL || p->labels == NULL ||
        p->genre_names == NULL)
        return tg_fail(e, TG_ERR_FORMAT, "%s: an array is missing", where);
    for (size_t j = 0; j < g; j++) {
        const char *name = p->genre_names[j];
        if (name == NULL || name[0] == '\0' || !utf8_valid(name))
            return tg_fail(e, TG_ERR_FORMAT, "%s: genre %zu: name is %s", where, j,
                           name == NULL || name[0] == '\0' ? "empty" : "not valid UTF-8");
    }
    /* Names and ids are how reports and joins find a column or an album: two equal
     * ones would make one of them unreachable and double-count the other. */
    size_t a, b;
    tg_code dup = find_duplicate(p->genre_names, g, &a, &b, where, e);
    if (dup == TG_ERR_FORMAT)
        return tg_fail(e, dup, "%s: genre name '%s' appears twice (columns %zu and %zu)", where,
                       p->genre_names[b], a, b);
    if (dup != TG_OK)
        return dup;
    for (size_t i = 0; i < n; i++) {
        const char *id = p->album_ids[i];
        if (id == NULL || id[0] == '\0' || !utf8_valid(id))
            return tg_fail(e, TG_ERR_FORMAT, "%s: album %zu: id is %s", where, i,
                           id == NULL || id[0] == '\0' ? "empty" : "not valid UTF-8");
        if (p->split[i] >= TG_SPLIT_COUNT)
            return tg_fail(e, TG_ERR_FORMAT,
                           "%s: album '%s' (row %zu): split code %u is not 0 (train), 1 (test) "
                           "or 2 (unlabeled)", where, id, i, p->split[i]);
        for (size_t j = 0; j < g; j++) {
            float s = p->scores[i * g + j];
            uint8_t y = p->labels[i * g + j];
            if (!(s >= 0.0f && s <= 1.0f)) /* NaN fails too */
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: album '%s' (row %zu), genre '%s': score %g is not in [0, 1]",
                               where, id, i, p->genre_names[j], (double)s);
            if (y > 1)
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: album '%s' (row %zu), genre '%s': label %u is not 0 or 1",
                               where, id, i, p->genre_names[j], y);
        }
    }
    dup = find_duplicate(p->album_ids, n, &a, &b, where, e);
    if (dup == TG_ERR_FORMAT)
        return tg_fail(e, dup, "%s: album id '%s' appears twice (rows %zu and %zu)", where,
                       p->album_ids[b], a, b);
    if (dup != TG_OK)
        return dup;
    if (p->has_threshold && !(p->threshold >= 0 && p->threshold <= 1))
        return tg_fail(e, TG_ERR_FORMAT, "%s: threshold %g is not in [0, 1]", where, p->threshold);
    if (p->model_records != 0 && p->model_records != 1)
        return tg_fail(e, TG_ERR_FORMAT, "%s: model_records %d is not 0 or 1", where,
                       p->model_records);
    if (p->model != NULL && !utf8_valid(p->model))
        return tg_fail(e, TG_ERR_FORMAT, "%s: model path is not valid UTF-8", where);
    return TG_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

/* A dataset (rank 1 or 2) or, when attr is set, an attribute of loc (rank 0: scalar). */
static tg_code put(hid_t loc, const char *name, int attr, hid_t ftype, hid_t mtype, int rank,
                   const hsize_t *dims, const void *data, const char *path, tg_error *e)
{
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t obj = H5I_INVALID_HID;
    herr_t w = -1;
    if (space >= 0) {
        obj = attr ? H5Acreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)
                   : H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, tg_h5_dcpl(), H5P_DEFAULT);
        if (obj >= 0)
            w = attr ? H5Awrite(obj, mtype, data)
                     : H5Dwrite(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    }
    tg_code rc = TG_OK;
    if (w < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write %s %s", path,
                        attr ? "attribute" : "dataset", name);
    if (obj >= 0 && (attr ? H5Aclose(obj) : H5Dclose(obj)) < 0 && rc == TG_OK)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close %s", path, name);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static tg_code write_all(hid_t file, hid_t str, const tg_predictions *p, const char *path,
                         tg_error *e)
{
    hsize_t n = p->n_albums, g = p->n_genres;
    hsize_t ng[2] = {n, g}, three = TG_SPLIT_COUNT;
    unsigned version = TG_PREDICTIONS_SCHEMA_VERSION;
    const char *model = p->model != NULL ? p->model : "";
    tg_code rc;
    if ((rc = put(file, "album_id", 0, str, str, 1, &n, p->album_ids, path, e)) != TG_OK ||
        (rc = put(file, "split", 0, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &n, p->split, path, e)) != TG_OK ||
        (rc = put(file, "scores", 0, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, ng, p->scores, path, e)) != TG_OK ||
        (rc = put(file, "labels", 0, H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, ng, p->labels, path, e)) != TG_OK ||
        (rc = put(file, "genre", 0, str, str, 1, &g, p->genre_names, path, e)) != TG_OK ||
        (rc = put(file, "schema_version", 1, H5T_STD_U32LE, H5T_NATIVE_UINT, 0, NULL, &version,
                  path, e)) != TG_OK ||
        (rc = put(file, "model", 1, str, str, 0, NULL, &model, path, e)) != TG_OK)
        return rc;
    if (p->has_threshold &&
        (rc = put(file, "threshold", 1, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &p->threshold,
                  path, e)) != TG_OK)
        return rc;
    /* written only when set: files without the promise stay as they were */
    uint8_t records = 1;
    if (p->model_records &&
        (rc = put(file, "model_records", 1, H5T_STD_U8LE, H5T_NATIVE_UINT8, 0, NULL, &records,
                  path, e)) != TG_OK)
        return rc;
    hid_t split = H5Dopen2(file, "split", H5P_DEFAULT);
    if (split < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot reopen dataset split", path);
    rc = put(split, "names", 1, str, str, 1, &three, split_names, path, e);
    H5Dclose(split);
    return rc;
}

tg_code tg_predictions_write(const char *path, const tg_predictions *p, tg_error *e)
{
    tg_code rc = tg_predictions_check(p, path, e);
    if (rc == TG_OK)
        rc = tg_h5_quiet(e);
    if (rc != TG_OK)
        return rc;
    tg_signals_install();
    char *tmp = NULL;
    if ((rc = tg_tmp_create(path, &tmp, e)) != TG_OK)
        return rc;
    hid_t str = tg_h5_utf8_type();
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, tg_h5_fcpl(), H5P_DEFAULT);
    if (str < 0 || file < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create HDF5 file %s", path, tmp);
    else
        rc = write_all(file, str, p, path, e);
    /* H5Fclose flushes: only a successful close means the file is complete. */
    if (file >= 0 && H5Fclose(file) < 0 && rc == TG_OK)
        rc = tg_h5_fail(e, TG_ERR_IO, "%s: cannot flush and close %s", path, tmp);
    if (str >= 0)
        H5Tclose(str);
    if (rc == TG_OK)
        rc = tg_tmp_commit(tmp, path, e);
    else
        tg_tmp_discard(tmp);
    free(tmp);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

/* Frees the strings HDF5 allocated for a variable-length read. */
static void reclaim(hid_t mtype, hid_t space, void *buf)
{
#if H5_VERSION_GE(1, 12, 0)
    (void)H5Treclaim(mtype, space, H5P_DEFAULT, buf);
#else
    (void)H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
#endif
}

typedef struct {
    const char *path;
    hid_t file;
    hsize_t file_size;
    hid_t str; /* variable-length UTF-8, the memory type of every text */
} reader;

/* What a dataset or attribute must hold. */
typedef enum { KIND_TEXT, KIND_U8, KIND_F32, KIND_U32, KIND_F64 } kind;

static const char *kind_name(kind k)
{
    switch (k) {
    case KIND_TEXT: return "variable-length strings";
    case KIND_U8: return "uint8";
    case KIND_F32: return "float32";
    case KIND_U32: return "an unsigned integer";
    case KIND_F64: return "a float";
    }
    return "?";
}

/* Checks the stored type of obj (a dataset, or an attribute when attr is set). */
static tg_code check_type(const reader *r, hid_t obj, int attr, const char *name, kind k,
                          tg_error *e)
{
    hid_t t = attr ? H5Aget_type(obj) : H5Dget_type(obj);
    if (t < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot get the type of %s", r->path, name);
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    int ok;
    switch (k) {
    case KIND_TEXT:
        ok = cls == H5T_STRING && H5Tis_variable_str(t) > 0;
        break;
    case KIND_U8:
    case KIND_U32:
        ok = cls == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_NONE &&
             (k == KIND_U8 ? size == 1 : size <= 8);
        break;
    case KIND_F32:
        ok = cls == H5T_FLOAT && size == 4;
        break;
    case KIND_F64:
        ok = cls == H5T_FLOAT;
        break;
    default:
        ok = 0;
    }
    H5Tclose(t);
    if (!ok)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %s %s must hold %s (it holds %s of %zu bytes)",
                       r->path, attr ? "attribute" : "dataset", name, kind_name(k),
                       cls == H5T_STRING ? "strings" : cls == H5T_FLOAT ? "floats"
                       : cls == H5T_INTEGER ? "integers" : "another type", size);
    return TG_OK;
}

/* Opens dataset name, checks its type and rank, and returns its dimensions. */
static tg_code open_dataset(const reader *r, const char *name, kind k, int rank, hsize_t *dims,
                            hid_t *out, tg_error *e)
{
    htri_t there = H5Lexists(r->file, name, H5P_DEFAULT);
    if (there <= 0)
        return tg_fail(e, TG_ERR_FORMAT,
                       "%s: no dataset /%s (not a predictions file, or a damaged one)", r->path,
                       name);
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    if (d < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: /%s is not a readable dataset", r->path, name);
    tg_code rc = check_type(r, d, 0, name, k, e);
    hid_t space = rc == TG_OK ? H5Dget_space(d) : H5I_INVALID_HID;
    if (rc == TG_OK && space < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot get the shape of /%s", r->path, name);
    if (rc == TG_OK) {
        int got = H5Sget_simple_extent_ndims(space);
        if (got != rank)
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: dataset /%s has %d dimensions, expected %d",
                         r->path, name, got, rank);
        else if (H5Sget_simple_extent_dims(space, dims, NULL) < 0)
            rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot get the shape of /%s", r->path, name);
    }
    if (space >= 0)
        H5Sclose(space);
    if (rc != TG_OK) {
        H5Dclose(d);
        return rc;
    }
    *out = d;
    return TG_OK;
}

/* Storage must back the declared size before we allocate for it: every chunk written,
 * no more bytes than the file has, and an uncompressed dataset at least elems x the
 * stored element size (for text, the size of its references). A compressed one is
 * bounded by the sizes checked before and by the zstd filter's per-chunk bound. */
static tg_code check_storage(const reader *r, hid_t d, const char *name, hsize_t elems,
                             tg_error *e)
{
    H5D_space_status_t status;
    hid_t dcpl = H5Dget_create_plist(d);
    hid_t t = H5Dget_type(d);
    int nfilters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
    size_t esize = t >= 0 ? H5Tget_size(t) : 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (t >= 0)
        H5Tclose(t);
    if (nfilters < 0 || esize == 0 || H5Dget_space_status(d, &status) < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot inspect the storage of /%s", r->path, name);
    hsize_t storage = H5Dget_storage_size(d);
    if (elems > 0 && status != H5D_SPACE_STATUS_ALLOCATED)
        return tg_fail(e, TG_ERR_FORMAT, "%s: dataset /%s was never completely written", r->path,
                       name);
    if (storage > r->file_size || (nfilters == 0 && storage / esize < elems))
        return tg_fail(e, TG_ERR_FORMAT,
                       "%s: dataset /%s declares %llu elements but its storage holds %llu bytes "
                       "(file of %llu bytes): damaged file",
                       r->path, name, (unsigned long long)elems, (unsigned long long)storage,
                       (unsigned long long)r->file_size);
    return TG_OK;
}

/* Reads n texts from a dataset or attribute (n already checked) into *out, each a
 * copy of our own (a NULL element becomes ""; check() refuses it where it matters). */
static tg_code read_texts(const reader *r, hid_t obj, int attr, const char *name, size_t n,
                          char ***out, tg_error *e)
{
    char **raw = calloc(n, sizeof *raw);
    char **copy = calloc(n, sizeof *copy);
    hid_t space = attr ? H5Aget_space(obj) : H5Dget_space(obj);
    tg_code rc = TG_OK;
    if (raw == NULL || copy == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for %zu texts of %s", r->path, n, name);
    else if (space < 0 || (attr ? H5Aread(obj, r->str, raw)
                                : H5Dread(obj, r->str, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw)) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read the texts of %s", r->path, name);
    else {
        for (size_t i = 0; i < n && rc == TG_OK; i++) {
            copy[i] = strdup(raw[i] != NULL ? raw[i] : "");
            if (copy[i] == NULL)
                rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for the texts of %s", r->path,
                             name);
        }
        reclaim(r->str, space, raw);
    }
    if (space >= 0)
        H5Sclose(space);
    free(raw);
    if (rc != TG_OK) {
        tg_h5_free_strings(copy, n);
        return rc;
    }
    *out = copy;
    return TG_OK;
}

/* Opens attribute name of obj if it exists (*a < 0 and TG_OK when it does not), checks
 * its type and that it is a scalar. */
static tg_code open_scalar_attr(const reader *r, hid_t obj, const char *name, kind k, hid_t *a,
                                tg_error *e)
{
    *a = H5I_INVALID_HID;
    htri_t there = H5Aexists(obj, name);
    if (there < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot look for attribute %s", r->path, name);
    if (there == 0)
        return TG_OK;
    hid_t at = H5Aopen(obj, name, H5P_DEFAULT);
    if (at < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot open attribute %s", r->path, name);
    tg_code rc = check_type(r, at, 1, name, k, e);
    hid_t space = rc == TG_OK ? H5Aget_space(at) : H5I_INVALID_HID;
    if (rc == TG_OK && (space < 0 || H5Sget_simple_extent_npoints(space) != 1))
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: attribute %s must be a single value", r->path, name);
    if (space >= 0)
        H5Sclose(space);
    if (rc != TG_OK) {
        H5Aclose(at);
        return rc;
    }
    *a = at;
    return TG_OK;
}

/* schema_version (required), threshold, model and model_records (optional). */
static tg_code read_root_attrs(const reader *r, tg_predictions *p, tg_error *e)
{
    hid_t a;
    tg_code rc = open_scalar_attr(r, r->file, "schema_version", KIND_U32, &a, e);
    if (rc != TG_OK)
        return rc;
    if (a < 0)
        return tg_fail(e, TG_ERR_FORMAT,
                       "%s: no schema_version attribute: not a predictions file (train writes "
                       "them)", r->path);
    unsigned long long version = 0;
    herr_t got = H5Aread(a, H5T_NATIVE_ULLONG, &version);
    H5Aclose(a);
    if (got < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read attribute schema_version", r->path);
    if (version != TG_PREDICTIONS_SCHEMA_VERSION)
        return tg_fail(e, TG_ERR_FORMAT,
                       "%s: schema version %llu, this program reads version %u: rerun train "
                       "of this version", r->path, version, TG_PREDICTIONS_SCHEMA_VERSION);

    if ((rc = open_scalar_attr(r, r->file, "threshold", KIND_F64, &a, e)) != TG_OK)
        return rc;
    p->threshold = NAN;
    if (a >= 0) {
        got = H5Aread(a, H5T_NATIVE_DOUBLE, &p->threshold);
        H5Aclose(a);
        if (got < 0)
            return tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read attribute threshold", r->path);
        p->has_threshold = 1;
    }

    if ((rc = open_scalar_attr(r, r->file, "model_records", KIND_U8, &a, e)) != TG_OK)
        return rc;
    if (a >= 0) {
        uint8_t records = 0;
        got = H5Aread(a, H5T_NATIVE_UINT8, &records);
        H5Aclose(a);
        if (got < 0)
            return tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read attribute model_records",
                              r->path);
        p->model_records = records; /* tg_predictions_check refuses anything but 0 or 1 */
    }

    if ((rc = open_scalar_attr(r, r->file, "model", KIND_TEXT, &a, e)) != TG_OK)
        return rc;
    if (a < 0) {
        p->model = strdup("");
        return p->model != NULL ? TG_OK : tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", r->path);
    }
    char **model = NULL;
    rc = read_texts(r, a, 1, "attribute model", 1, &model, e);
    H5Aclose(a);
    if (rc != TG_OK)
        return rc;
    p->model = model[0];
    free(model);
    return TG_OK;
}

/* /split's "names" must say what the codes mean, exactly as we do. */
static tg_code check_split_names(const reader *r, hid_t split, tg_error *e)
{
    const char *what = "attribute names of /split";
    htri_t there = H5Aexists(split, "names");
    if (there <= 0)
        return tg_fail(e, TG_ERR_FORMAT, "%s: no %s (what its codes mean)", r->path, what);
    hid_t a = H5Aopen(split, "names", H5P_DEFAULT);
    if (a < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot open %s", r->path, what);
    tg_code rc = check_type(r, a, 1, "names of /split", KIND_TEXT, e);
    hid_t space = rc == TG_OK ? H5Aget_space(a) : H5I_INVALID_HID;
    if (rc == TG_OK && (space < 0 || H5Sget_simple_extent_npoints(space) != TG_SPLIT_COUNT))
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: %s must hold %d names", r->path, what, TG_SPLIT_COUNT);
    if (space >= 0)
        H5Sclose(space);
    char **names = NULL;
    if (rc == TG_OK)
        rc = read_texts(r, a, 1, what, TG_SPLIT_COUNT, &names, e);
    H5Aclose(a);
    for (int i = 0; rc == TG_OK && i < TG_SPLIT_COUNT; i++)
        if (strcmp(names[i], split_names[i]) != 0)
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: %s: code %d is named '%s', expected '%s'", r->path,
                         what, i, names[i], split_names[i]);
    tg_h5_free_strings(names, TG_SPLIT_COUNT);
    return rc;
}

enum { D_ID, D_SPLIT, D_SCORES, D_LABELS, D_GENRE, D_COUNT };

static tg_code read_all(reader *r, tg_predictions *p, tg_error *e)
{
    static const struct {
        const char *name;
        kind k;
        int rank;
    } spec[D_COUNT] = {
        [D_ID] = {"album_id", KIND_TEXT, 1},   [D_SPLIT] = {"split", KIND_U8, 1},
        [D_SCORES] = {"scores", KIND_F32, 2},  [D_LABELS] = {"labels", KIND_U8, 2},
        [D_GENRE] = {"genre", KIND_TEXT, 1},
    };
    hid_t d[D_COUNT];
    hsize_t dims[D_COUNT][2] = {{0}};
    tg_code rc = read_root_attrs(r, p, e);
    int opened = 0;
    for (; rc == TG_OK && opened < D_COUNT; opened++)
        rc = open_dataset(r, spec[opened].name, spec[opened].k, spec[opened].rank, dims[opened],
                          &d[opened], e);
    if (rc != TG_OK)
        opened--; /* the failed one is not open */

    hsize_t n = dims[D_SCORES][0], g = dims[D_SCORES][1];
    if (rc == TG_OK && (dims[D_ID][0] != n || dims[D_SPLIT][0] != n || dims[D_LABELS][0] != n ||
                        dims[D_LABELS][1] != g || dims[D_GENRE][0] != g))
        rc = tg_fail(e, TG_ERR_FORMAT,
                     "%s: shapes disagree: /scores [%llu, %llu], /labels [%llu, %llu], "
                     "/album_id [%llu], /split [%llu], /genre [%llu]",
                     r->path, n, g, dims[D_LABELS][0], dims[D_LABELS][1], dims[D_ID][0],
                     dims[D_SPLIT][0], dims[D_GENRE][0]);
    if (rc == TG_OK && (n == 0 || g == 0))
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: %llu albums and %llu genres: needs at least one of each",
                     r->path, n, g);
    if (rc == TG_OK && (n > TG_PREDICTIONS_MAX_ALBUMS || g > TG_PREDICTIONS_MAX_GENRES ||
                        n > TG_PREDICTIONS_MAX_CELLS / g))
        rc = tg_fail(e, TG_ERR_LIMIT,
                     "%s: declares %llu albums x %llu genres, above this version's limits "
                     "(%zu albums, %zu genres, %zu cells)", r->path, n, g,
                     TG_PREDICTIONS_MAX_ALBUMS, TG_PREDICTIONS_MAX_GENRES, TG_PREDICTIONS_MAX_CELLS);
    for (int i = 0; rc == TG_OK && i < D_COUNT; i++)
        rc = check_storage(r, d[i], spec[i].name, dims[i][0] * (spec[i].rank == 2 ? dims[i][1] : 1),
                           e);
    if (rc == TG_OK)
        rc = check_split_names(r, d[D_SPLIT], e);

    if (rc == TG_OK) {
        p->n_albums = (size_t)n;
        p->n_genres = (size_t)g;
        p->split = malloc(p->n_albums);
        p->scores = malloc(p->n_albums * p->n_genres * sizeof *p->scores);
        p->labels = malloc(p->n_albums * p->n_genres);
        if (p->split == NULL || p->scores == NULL || p->labels == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for %llu albums x %llu genres",
                         r->path, n, g);
    }
    if (rc == TG_OK && (H5Dread(d[D_SPLIT], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, p->split) < 0 ||
                        H5Dread(d[D_SCORES], H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, p->scores) < 0 ||
                        H5Dread(d[D_LABELS], H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, p->labels) < 0))
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read /split, /scores or /labels", r->path);
    if (rc == TG_OK)
        rc = read_texts(r, d[D_ID], 0, "/album_id", p->n_albums, &p->album_ids, e);
    if (rc == TG_OK)
        rc = read_texts(r, d[D_GENRE], 0, "/genre", p->n_genres, &p->genre_names, e);
    for (int i = 0; i < opened; i++)
        H5Dclose(d[i]);
    return rc;
}

tg_code tg_predictions_read(const char *path, tg_predictions *out, tg_error *e)
{
    memset(out, 0, sizeof *out);
    tg_code rc = tg_store_register_zstd(e);
    if (rc != TG_OK)
        return rc;
    reader r = {.path = path, .file = H5I_INVALID_HID, .str = tg_h5_utf8_type()};
    if (r.str < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot make a string type", path);
    rc = tg_h5_open_input(path, TG_FILE_PREDICTIONS, &r.file, e);
    if (rc == TG_OK && H5Fget_filesize(r.file, &r.file_size) < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot get the file's size", path);
    tg_predictions p = {0};
    if (rc == TG_OK)
        rc = read_all(&r, &p, e);
    if (rc == TG_OK)
        rc = tg_predictions_check(&p, path, e);
    if (r.file >= 0)
        H5Fclose(r.file);
    H5Tclose(r.str);
    if (rc != TG_OK) {
        tg_predictions_free(&p);
        return rc;
    }
    *out = p;
    return TG_OK;
}

void tg_predictions_free(tg_predictions *p)
{
    if (p == NULL)
        return;
    tg_h5_free_strings(p->album_ids, p->n_albums);
    tg_h5_free_strings(p->genre_names, p->n_genres);
    free(p->split);
    free(p->scores);
    free(p->labels);
    free(p->model);
    memset(p, 0, sizeof *p);
}
