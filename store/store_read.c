/* store_read.c - opening store.h5 (store.h): every dataset and attribute is checked
 * before use, arrays read whole must be backed by file bytes, and entries are streamed. */
#include "store.h"
#include "file_kind.h"
#include "h5_error.h"
#include "h5_text.h"
#include "schema.h"
#include "zstd_chunk.h"
#include "zstd_filter.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Elements per read of the validation pass: a chunk, but never more than 1 Mi elements
 * (8 MiB for both arrays), whatever chunk size a crafted file declares. */
#define SCAN_MAX ((hsize_t)1 << 20)

typedef struct {
    const char *file;   /* for messages */
    uint64_t file_size;
    tg_error *e;
} ctx;

/* ---- checks on one object ----------------------------------------------------------- */

/* H5Lexists fails, rather than saying no, when a group on the way is missing: walk. */
static int exists(hid_t file, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = strchr(buf + 1, '/');; p = strchr(p + 1, '/')) {
        if (p != NULL)
            *p = '\0';
        if (H5Lexists(file, buf, H5P_DEFAULT) <= 0)
            return 0;
        if (p == NULL)
            return 1;
        *p = '/';
    }
}

static tg_code open_dset(ctx *c, hid_t file, const char *path, hid_t *d)
{
    *d = H5I_INVALID_HID;
    if (!exists(file, path))
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: dataset %s is missing (not a store of schema %d?)",
                       c->file, path, TG_STORE_SCHEMA_VERSION);
    *d = H5Dopen2(file, path, H5P_DEFAULT);
    if (*d < 0)
        return tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot open dataset %s", c->file, path);
    return TG_OK;
}

/* The dataset's rank must be rank; its dimensions go to dims. */
static tg_code check_shape(ctx *c, hid_t d, const char *path, int rank, hsize_t *dims)
{
    hid_t space = H5Dget_space(d);
    int r = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (r == rank && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        r = -1;
    if (r < 0) /* before H5Sclose, which clears HDF5's reason */
        tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: %s: cannot read its shape", c->file, path);
    if (space >= 0)
        H5Sclose(space);
    if (r < 0)
        return TG_ERR_FORMAT;
    if (r != rank)
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has %d dimensions, expected %d", c->file, path, r, rank);
    return TG_OK;
}

/* An integer of size bytes and sign (H5T_SGN_2 or H5T_SGN_NONE); little-endian too when
 * le is set (the arrays the loader decodes from raw chunks). */
static tg_code check_int(ctx *c, hid_t d, const char *path, size_t size, H5T_sign_t sign, int le)
{
    hid_t t = H5Dget_type(d);
    if (t < 0)
        return tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: %s: cannot read its type", c->file, path);
    int ok = H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) == size && H5Tget_sign(t) == sign
             && (!le || H5Tget_order(t) == H5T_ORDER_LE);
    H5Tclose(t);
    if (!ok)
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has the wrong type, expected %sint%zu%s", c->file, path,
                       sign == H5T_SGN_NONE ? "u" : "", size * 8, le ? " little-endian" : "");
    return TG_OK;
}

/* An array read whole must occupy at least n elements of size bytes in the file: a
 * crafted shape then cannot make us allocate more than about the file's size. */
static tg_code check_backed(ctx *c, hid_t d, const char *path, hsize_t n, size_t size)
{
    hsize_t stored = H5Dget_storage_size(d);
    if (n > 0 && (stored / size < n || stored > c->file_size))
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s declares %llu elements but holds %llu bytes (file "
                       "truncated or crafted)", c->file, path, (unsigned long long)n,
                       (unsigned long long)stored);
    return TG_OK;
}

static tg_code read_all(ctx *c, hid_t d, const char *path, hid_t mtype, void *buf, hsize_t n)
{
    if (n > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot read %s", c->file, path);
    return TG_OK;
}

/* Opens path, checks it is an integer vector of n elements (n == 0: any length, which
 * goes to *n_out) of the given type, and reads it into a malloc'd *out. */
static tg_code read_ints(ctx *c, hid_t file, const char *path, size_t size, H5T_sign_t sign, hid_t mtype,
                         hsize_t want, size_t limit, void **out, hsize_t *n_out)
{
    hid_t d;
    hsize_t n = 0;
    *out = NULL;
    tg_code rc = open_dset(c, file, path, &d);
    if (rc == TG_OK)
        rc = check_shape(c, d, path, 1, &n);
    if (rc == TG_OK)
        rc = check_int(c, d, path, size, sign, 0);
    if (rc == TG_OK && want != (hsize_t)-1 && n != want)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has %llu elements, expected %llu", c->file, path,
                     (unsigned long long)n, (unsigned long long)want);
    if (rc == TG_OK && n > limit)
        rc = tg_fail(c->e, TG_ERR_LIMIT, "%s: %s has %llu elements, more than %zu", c->file, path,
                     (unsigned long long)n, limit);
    if (rc == TG_OK)
        rc = check_backed(c, d, path, n, size);
    if (rc == TG_OK && (*out = malloc(n > 0 ? n * H5Tget_size(mtype) : 1)) == NULL)
        rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: %s: cannot allocate %llu elements", c->file, path,
                     (unsigned long long)n);
    if (rc == TG_OK)
        rc = read_all(c, d, path, mtype, *out, n);
    if (d >= 0)
        H5Dclose(d);
    if (n_out != NULL)
        *n_out = n;
    return rc;
}

/* A vector of variable-length strings, of exactly want elements (or any number up to
 * limit when want is -1), copied into malloc'd strings. */
static tg_code read_strings(ctx *c, hid_t file, const char *path, hsize_t want, size_t limit, char ***out,
                            size_t *n_out)
{
    hid_t d, t = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hsize_t n = 0;
    char **raw = NULL;
    *out = NULL;
    tg_code rc = open_dset(c, file, path, &d);
    if (rc == TG_OK)
        rc = check_shape(c, d, path, 1, &n);
    if (rc == TG_OK) {
        t = H5Dget_type(d);
        if (t < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) <= 0)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has the wrong type, expected variable-length strings",
                         c->file, path);
    }
    if (rc == TG_OK && want != (hsize_t)-1 && n != want)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has %llu names, expected %llu", c->file, path,
                     (unsigned long long)n, (unsigned long long)want);
    if (rc == TG_OK && n > limit)
        rc = tg_fail(c->e, TG_ERR_LIMIT, "%s: %s has %llu names, more than %zu", c->file, path,
                     (unsigned long long)n, limit);
    /* Each stored string is at least a length and a heap reference: 16 bytes. */
    if (rc == TG_OK)
        rc = check_backed(c, d, path, n, 16);
    if (rc == TG_OK && ((raw = calloc(n + 1, sizeof *raw)) == NULL || (*out = calloc(n + 1, sizeof **out)) == NULL))
        rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: %s: cannot allocate %llu names", c->file, path,
                     (unsigned long long)n);
    if (rc == TG_OK && n > 0) {
        mt = H5Tcopy(H5T_C_S1);
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5T_CSET_UTF8) < 0)
            rc = tg_h5_fail(c->e, TG_ERR_LIBRARY, "%s: cannot make a string type", c->file);
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
            rc = tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot read %s", c->file, path);
        for (hsize_t i = 0; rc == TG_OK && i < n; i++) {
            if (raw[i] == NULL)
                rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s[%llu] is not set", c->file, path, (unsigned long long)i);
            else if (((*out)[i] = strdup(raw[i])) == NULL)
                rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: %s: cannot copy a name", c->file, path);
        }
        hid_t space = H5Dget_space(d);
        if (mt >= 0 && space >= 0)
            (void)H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw); /* frees what HDF5 allocated */
        if (space >= 0)
            H5Sclose(space);
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    free(raw);
    if (rc != TG_OK) {
        tg_h5_free_strings(*out, n);
        *out = NULL;
    }
    *n_out = n;
    return rc;
}

/* ---- attributes --------------------------------------------------------------------- */

static tg_code open_attr(ctx *c, hid_t obj, const char *where, const char *name, hid_t *a)
{
    *a = H5I_INVALID_HID;
    if (H5Aexists(obj, name) <= 0)
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: attribute %s of %s is missing", c->file, name, where);
    if ((*a = H5Aopen(obj, name, H5P_DEFAULT)) < 0)
        return tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot open attribute %s of %s", c->file, name, where);
    return TG_OK;
}

/* An integer attribute of n values, converted by HDF5 to mtype (a native 64-bit type). */
static tg_code attr_num(ctx *c, hid_t obj, const char *where, const char *name, hssize_t n, hid_t mtype, void *v)
{
    hid_t a, t = H5I_INVALID_HID, space = H5I_INVALID_HID;
    tg_code rc = open_attr(c, obj, where, name, &a);
    if (rc == TG_OK) {
        t = H5Aget_type(a);
        space = H5Aget_space(a);
        if (t < 0 || space < 0 || H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(space) != n)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: attribute %s of %s is not %s integer%s", c->file, name,
                         where, n == 1 ? "an" : "2", n == 1 ? "" : "s");
        else if (H5Aread(a, mtype, v) < 0)
            rc = tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot read attribute %s of %s", c->file, name, where);
    }
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

/* A scalar variable-length string attribute, into a malloc'd *out. */
static tg_code attr_ints(ctx *c, hid_t obj, const char *where, const char *name, hssize_t n, int64_t *v)
{
    return attr_num(c, obj, where, name, n, H5T_NATIVE_INT64, v);
}

static tg_code attr_text(ctx *c, hid_t obj, const char *where, const char *name, char **out)
{
    hid_t a, t = H5I_INVALID_HID, space = H5I_INVALID_HID;
    char *raw = NULL;
    *out = NULL;
    tg_code rc = open_attr(c, obj, where, name, &a);
    if (rc == TG_OK) {
        t = H5Aget_type(a);
        space = H5Aget_space(a);
        if (t < 0 || space < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) <= 0
            || H5Sget_simple_extent_npoints(space) != 1)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: attribute %s of %s is not a variable-length string",
                         c->file, name, where);
        else if (H5Aread(a, t, &raw) < 0 || raw == NULL)
            rc = tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: cannot read attribute %s of %s", c->file, name, where);
        else if ((*out = strdup(raw)) == NULL)
            rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: attribute %s: out of memory", c->file, name);
        if (raw != NULL)
            (void)H5Dvlen_reclaim(t, space, H5P_DEFAULT, &raw);
    }
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

/* ---- the store ---------------------------------------------------------------------- */

void tg_store_close(tg_store *s)
{
    if (s == NULL)
        return;
    if (s->h5 != NULL) {
        if (s->h5->indices >= 0)
            H5Dclose(s->h5->indices);
        if (s->h5->data >= 0)
            H5Dclose(s->h5->data);
        if (s->h5->file >= 0)
            H5Fclose(s->h5->file);
        free(s->h5);
    }
    tg_h5_free_strings(s->album_ids, s->n_albums);
    tg_h5_free_strings(s->genre_names, s->n_genres);
    tg_h5_free_strings(s->dropped_names, s->n_dropped);
    tg_h5_free_strings(s->city_names, s->n_cities);
    tg_h5_free_strings(s->counter_names, s->n_counters);
    free(s->counter_values);
    free(s->release_day);
    free(s->split);
    free(s->labels);
    free(s->indptr);
    free(s->genre_counts);
    free(s->dropped_counts);
    free(s->value_field);
    free(s->provenance);
    free(s->path);
    free(s);
}

static tg_code read_root(ctx *c, tg_store *s)
{
    hid_t f = s->h5->file;
    int64_t v;
    tg_code rc = attr_ints(c, f, "/", "schema_version", 1, &v);
    if (rc == TG_OK && v != TG_STORE_SCHEMA_VERSION)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: schema version %lld, this program reads version %d (rebuild "
                     "the store with this version's aggregate)", c->file, (long long)v, TG_STORE_SCHEMA_VERSION);
    if (rc == TG_OK && (rc = attr_ints(c, f, "/", "steps", 1, &v)) == TG_OK) {
        if (v < 1 || v > TG_STORE_MAX_STEPS)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: steps %lld not in 1..%d", c->file, (long long)v,
                         TG_STORE_MAX_STEPS);
        s->steps = (int32_t)v;
    }
    if (rc == TG_OK && (rc = attr_ints(c, f, "/", "window_days", 1, &v)) == TG_OK) {
        if (v < 1 || v > INT32_MAX)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: window_days %lld is not positive", c->file, (long long)v);
        s->window_days = (int32_t)v;
    }
    if (rc == TG_OK)
        rc = attr_num(c, f, "/", "split_seed", 1, H5T_NATIVE_UINT64, &s->split_seed);
    if (rc == TG_OK && (rc = attr_text(c, f, "/", "value_field", &s->value_field)) == TG_OK
        && strcmp(s->value_field, "nusers") != 0 && strcmp(s->value_field, "nstreams") != 0)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: value_field '%s' is not nusers or nstreams", c->file,
                     s->value_field);
    if (rc == TG_OK)
        rc = attr_text(c, f, "/", "provenance", &s->provenance);
    return rc;
}

static tg_code read_names(ctx *c, tg_store *s)
{
    hid_t f = s->h5->file;
    hsize_t n;
    void *p;
    tg_code rc = read_strings(c, f, TG_CITIES_NAME, (hsize_t)-1, TG_STORE_MAX_CITIES, &s->city_names,
                              &s->n_cities);
    if (rc == TG_OK && s->n_cities == 0)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s is empty", c->file, TG_CITIES_NAME);
    if (rc == TG_OK)
        rc = read_strings(c, f, TG_GENRES_NAME, (hsize_t)-1, TG_STORE_MAX_GENRES, &s->genre_names, &s->n_genres);
    if (rc == TG_OK && s->n_genres == 0)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s is empty", c->file, TG_GENRES_NAME);
    if (rc == TG_OK) {
        rc = read_ints(c, f, TG_GENRES_COUNT, 4, H5T_SGN_NONE, H5T_NATIVE_UINT32, s->n_genres,
                       TG_STORE_MAX_GENRES, &p, &n);
        s->genre_counts = p;
    }
    if (rc == TG_OK)
        rc = read_strings(c, f, TG_GENRES_DROPPED_NAME, (hsize_t)-1, TG_STORE_MAX_GENRES, &s->dropped_names,
                          &s->n_dropped);
    if (rc == TG_OK) {
        rc = read_ints(c, f, TG_GENRES_DROPPED_COUNT, 4, H5T_SGN_NONE, H5T_NATIVE_UINT32, s->n_dropped,
                       TG_STORE_MAX_GENRES, &p, &n);
        s->dropped_counts = p;
    }
    return rc;
}

/* /counters, when present: names and values of the same length. */
static tg_code read_counters(ctx *c, tg_store *s)
{
    if (!exists(s->h5->file, TG_COUNTERS))
        return TG_OK;
    void *p;
    hsize_t n;
    tg_code rc = read_strings(c, s->h5->file, TG_COUNTERS_NAME, (hsize_t)-1, TG_STORE_MAX_GENRES,
                              &s->counter_names, &s->n_counters);
    if (rc == TG_OK) {
        rc = read_ints(c, s->h5->file, TG_COUNTERS_VALUE, 8, H5T_SGN_NONE, H5T_NATIVE_UINT64, s->n_counters,
                       TG_STORE_MAX_GENRES, &p, &n);
        s->counter_values = p;
    }
    return rc;
}

int tg_store_counter(const tg_store *s, const char *name, uint64_t *value)
{
    for (size_t i = 0; i < s->n_counters; i++)
        if (strcmp(s->counter_names[i], name) == 0) {
            *value = s->counter_values[i];
            return 0;
        }
    return -1;
}

tg_code tg_store_provenance(const char *path, char **text, tg_error *e)
{
    return tg_h5_file_provenance(path, text, e);
}

/* /x's attributes and indptr: shape [A, steps * C], 0 = indptr[0] <= ... <= indptr[A]. */
static tg_code read_x(ctx *c, tg_store *s)
{
    hid_t x = H5I_INVALID_HID;
    char *text = NULL;
    int64_t shape[2];
    tg_code rc = TG_OK;
    if (!exists(s->h5->file, TG_X) || (x = H5Gopen2(s->h5->file, TG_X, H5P_DEFAULT)) < 0)
        return tg_h5_fail(c->e, TG_ERR_FORMAT, "%s: group %s is missing", c->file, TG_X);
    if ((rc = attr_text(c, x, TG_X, "encoding-type", &text)) == TG_OK && strcmp(text, TG_CSR_ENCODING) != 0)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s encoding-type '%s', expected %s", c->file, TG_X, text,
                     TG_CSR_ENCODING);
    free(text);
    text = NULL;
    if (rc == TG_OK && (rc = attr_text(c, x, TG_X, "encoding-version", &text)) == TG_OK
        && strcmp(text, TG_CSR_VERSION) != 0)
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s encoding-version '%s', expected %s", c->file, TG_X, text,
                     TG_CSR_VERSION);
    free(text);
    if (rc == TG_OK)
        rc = attr_ints(c, x, TG_X, "shape", 2, shape);
    H5Gclose(x);
    if (rc != TG_OK)
        return rc;
    s->n_cols = (uint64_t)s->steps * s->n_cities;
    if (shape[0] < 0 || (uint64_t)shape[0] > TG_STORE_MAX_ALBUMS)
        return tg_fail(c->e, TG_ERR_LIMIT, "%s: %s shape[0] = %lld albums, not in 0..%zu", c->file, TG_X,
                       (long long)shape[0], TG_STORE_MAX_ALBUMS);
    if (s->n_cols > INT32_MAX || shape[1] < 0 || (uint64_t)shape[1] != s->n_cols)
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s shape[1] = %lld, expected steps x cities = %d x %zu",
                       c->file, TG_X, (long long)shape[1], (int)s->steps, s->n_cities);
    s->n_albums = (size_t)shape[0];
    void *p;
    rc = read_ints(c, s->h5->file, TG_X_INDPTR, 8, H5T_SGN_2, H5T_NATIVE_INT64, (hsize_t)shape[0] + 1,
                   TG_STORE_MAX_ALBUMS + 1, &p, NULL);
    s->indptr = p;
    if (rc != TG_OK)
        return rc;
    if (s->indptr[0] != 0)
        return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s[0] = %lld, must be 0", c->file, TG_X_INDPTR,
                       (long long)s->indptr[0]);
    for (size_t a = 0; a < s->n_albums; a++)
        if (s->indptr[a + 1] < s->indptr[a])
            return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s decreases at album %zu: %lld then %lld", c->file,
                           TG_X_INDPTR, a, (long long)s->indptr[a], (long long)s->indptr[a + 1]);
    s->nnz = (uint64_t)s->indptr[s->n_albums];
    return TG_OK;
}

static tg_code read_albums(ctx *c, tg_store *s)
{
    hid_t f = s->h5->file;
    size_t A = s->n_albums, G = s->n_genres, n;
    void *p;
    tg_code rc = read_strings(c, f, TG_ALBUMS_ID, A, TG_STORE_MAX_ALBUMS, &s->album_ids, &n);
    if (rc == TG_OK) {
        rc = read_ints(c, f, TG_ALBUMS_RELEASE, 4, H5T_SGN_2, H5T_NATIVE_INT32, A, TG_STORE_MAX_ALBUMS, &p, NULL);
        s->release_day = p;
    }
    if (rc == TG_OK) {
        rc = read_ints(c, f, TG_ALBUMS_SPLIT, 1, H5T_SGN_NONE, H5T_NATIVE_UINT8, A, TG_STORE_MAX_ALBUMS, &p, NULL);
        s->split = p;
    }
    for (size_t a = 0; rc == TG_OK && a < A; a++)
        if (s->split[a] > TG_SPLIT_UNLABELED)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s of album %zu (%s) is %u, not one of %s", c->file,
                         TG_ALBUMS_SPLIT, a, s->album_ids[a], s->split[a], TG_SPLIT_CODES);
    if (rc != TG_OK)
        return rc;

    hid_t d;
    hsize_t dims[2];
    if ((rc = open_dset(c, f, TG_ALBUMS_LABELS, &d)) != TG_OK)
        return rc;
    rc = check_shape(c, d, TG_ALBUMS_LABELS, 2, dims);
    if (rc == TG_OK)
        rc = check_int(c, d, TG_ALBUMS_LABELS, 1, H5T_SGN_NONE, 0);
    if (rc == TG_OK && (dims[0] != A || dims[1] != G))
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s is %llu x %llu, expected albums x genres = %zu x %zu", c->file,
                     TG_ALBUMS_LABELS, (unsigned long long)dims[0], (unsigned long long)dims[1], A, G);
    if (rc == TG_OK)
        rc = check_backed(c, d, TG_ALBUMS_LABELS, (hsize_t)A * G, 1);
    if (rc == TG_OK && (s->labels = malloc(A * G > 0 ? A * G : 1)) == NULL)
        rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: %s: cannot allocate %zu bytes", c->file, TG_ALBUMS_LABELS, A * G);
    if (rc == TG_OK)
        rc = read_all(c, d, TG_ALBUMS_LABELS, H5T_NATIVE_UINT8, s->labels, (hsize_t)A * G);
    H5Dclose(d);
    for (size_t a = 0; rc == TG_OK && a < A; a++) {
        size_t ones = 0;
        for (size_t g = 0; g < G; g++) {
            uint8_t v = s->labels[a * G + g];
            if (v > 1)
                return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s[%zu][%zu] (album %s, genre %s) is %u, not 0 or 1",
                               c->file, TG_ALBUMS_LABELS, a, g, s->album_ids[a], s->genre_names[g], v);
            ones += v;
        }
        if ((s->split[a] == TG_SPLIT_UNLABELED) != (ones == 0))
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: album %zu (%s) has split %u and %zu labels (unlabeled albums "
                         "have none, train and test ones at least one)", c->file, a, s->album_ids[a],
                         s->split[a], ones);
    }
    return rc;
}

/* Where a failed read happened, for messages: the byte offset of the chunk holding
 * element first, when HDF5 can say. */
static void chunk_place(hid_t d, uint64_t first, char *buf, size_t cap)
{
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk = 0, coord;
    unsigned mask;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    buf[0] = '\0';
    if (dcpl >= 0 && H5Pget_chunk(dcpl, 1, &chunk) == 1 && chunk > 0) {
        coord = first / chunk * chunk;
        if (H5Dget_chunk_info_by_coord(d, &coord, &mask, &addr, &size) >= 0 && addr != HADDR_UNDEF)
            snprintf(buf, cap, " (chunk of %llu bytes at byte %llu)", (unsigned long long)size,
                     (unsigned long long)addr);
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
}

static tg_code read_range(const char *file, hid_t d, const char *path, hid_t mtype, uint64_t first, size_t n,
                          void *buf, tg_error *e)
{
    if (n == 0)
        return TG_OK;
    hsize_t start = first, count = n;
    hid_t fspace = H5Dget_space(d), mspace = H5Screate_simple(1, &count, NULL);
    herr_t rc = fspace < 0 || mspace < 0 ? -1 : 0;
    if (rc == 0 && (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0
                    || H5Dread(d, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0))
        rc = -1;
    /* HDF5's reason (our filter's message) now: every later HDF5 call clears its stack. */
    tg_error why = {TG_OK, ""};
    if (rc < 0)
        tg_h5_fail(&why, TG_ERR_FORMAT, "%s", "");
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (rc < 0) {
        char place[96];
        chunk_place(d, first, place, sizeof place);
        return tg_fail(e, TG_ERR_FORMAT, "%s: %s elements %llu..%llu%s%s", file, path,
                       (unsigned long long)first, (unsigned long long)(first + n - 1), place, why.msg);
    }
    return TG_OK;
}

/* Every chunk of an entries array holding elements below nnz must be stored, inside the
 * file, and of a size its filters can produce: exactly chunk * 4 bytes when zstd was
 * skipped (shuffle keeps the size), at most zstd's bound otherwise. Checked before
 * HDF5 reads any: HDF5 1.10.8 copies a whole chunk out of a stored one that is shorter
 * when no filter was applied (a heap overflow inside HDF5, found by fuzz_store_shapes),
 * and the loader needs every chunk by its offset anyway. */
static tg_code check_chunk_index(ctx *c, hid_t d, const char *path, uint64_t nnz, hsize_t chunk, int zstd_at)
{
    uint64_t n_chunks = (nnz + chunk - 1) / chunk, full = (uint64_t)chunk * 4;
    for (uint64_t i = 0; i < n_chunks; i++) {
        hsize_t coord = (hsize_t)(i * chunk), size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned mask = 0;
        if (H5Dget_chunk_info_by_coord(d, &coord, &mask, &addr, &size) < 0 || addr == HADDR_UNDEF) {
            H5Eclear2(H5E_DEFAULT);
            return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s: chunk %llu (elements from %llu) is missing", c->file,
                           path, (unsigned long long)i, (unsigned long long)coord);
        }
        int zstd = zstd_at >= 0 && !(mask & (1u << zstd_at));
        uint64_t most = zstd ? tg_zstd_bound((size_t)full) : full;
        if ((zstd ? size == 0 || size > most : size != full) || addr > c->file_size || size > c->file_size - addr)
            return tg_fail(c->e, TG_ERR_FORMAT, "%s: %s: chunk %llu at byte %llu records %llu stored bytes (%s "
                           "%llu, within the file's %llu)", c->file, path, (unsigned long long)i,
                           (unsigned long long)addr, (unsigned long long)size,
                           zstd ? "compressed: at most" : "uncompressed: exactly", (unsigned long long)most,
                           (unsigned long long)c->file_size);
    }
    return TG_OK;
}

/* /x/indices and /x/data: types, pipeline, lengths = NNZ; then one pass over both, one
 * chunk at a time, checking every index against its row. */
static tg_code check_entries(ctx *c, tg_store *s)
{
    hid_t ds[2];
    const char *paths[2] = {TG_X_INDICES, TG_X_DATA};
    hsize_t chunk[2] = {0, 0};
    tg_code rc = TG_OK;
    for (int k = 0; k < 2 && rc == TG_OK; k++) {
        hsize_t n;
        int shuffle_at, zstd_at;
        if ((rc = open_dset(c, s->h5->file, paths[k], &ds[k])) != TG_OK)
            break;
        if (k == 0)
            s->h5->indices = ds[0];
        else
            s->h5->data = ds[1];
        rc = check_shape(c, ds[k], paths[k], 1, &n);
        if (rc == TG_OK)
            rc = check_int(c, ds[k], paths[k], 4, k == 0 ? H5T_SGN_2 : H5T_SGN_NONE, 1);
        if (rc == TG_OK && n != s->nnz)
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s has %llu elements but %s[%zu] says %llu", c->file, paths[k],
                         (unsigned long long)n, TG_X_INDPTR, s->n_albums, (unsigned long long)s->nnz);
        hid_t dcpl = rc == TG_OK ? H5Dget_create_plist(ds[k]) : H5I_INVALID_HID;
        if (rc == TG_OK && (dcpl < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 1, &chunk[k]) != 1
                            || chunk[k] == 0 || chunk[k] > TG_ZSTD_FILTER_CAP / 4))
            rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s is not stored in chunks of at most %zu elements",
                         c->file, paths[k], TG_ZSTD_FILTER_CAP / 4);
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (rc == TG_OK)
            rc = tg_store_pipeline(ds[k], c->file, paths[k], &shuffle_at, &zstd_at, c->e);
        if (rc == TG_OK)
            rc = check_chunk_index(c, ds[k], paths[k], s->nnz, chunk[k], zstd_at);
    }
    /* Element k of a row lives in chunk k / chunk of both arrays for a reader by file
     * offset (the loader): differing chunkings would make it index one array's chunks
     * with the other's numbers, and decode into buffers of the wrong size. */
    if (rc == TG_OK && chunk[0] != chunk[1])
        rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s is in chunks of %llu elements but %s of %llu: both must "
                     "be chunked alike", c->file, TG_X_INDICES, (unsigned long long)chunk[0], TG_X_DATA,
                     (unsigned long long)chunk[1]);
    if (rc != TG_OK)
        return rc;

    hsize_t block = chunk[0] < SCAN_MAX ? chunk[0] : SCAN_MAX;
    int32_t *idx = malloc(block * sizeof *idx);
    uint32_t *val = malloc(block * sizeof *val);
    if (idx == NULL || val == NULL)
        rc = tg_fail(c->e, TG_ERR_NOMEM, "%s: cannot allocate the validation buffers", c->file);
    size_t a = 0;
    int32_t prev = -1; /* the index before the current one, carried across blocks */
    for (uint64_t first = 0; rc == TG_OK && first < s->nnz; first += block) {
        size_t n = s->nnz - first < block ? (size_t)(s->nnz - first) : (size_t)block;
        rc = read_range(c->file, ds[0], TG_X_INDICES, H5T_NATIVE_INT32, first, n, idx, c->e);
        /* data is read for its checksums: a damaged chunk is found now, not mid-training. */
        if (rc == TG_OK)
            rc = read_range(c->file, ds[1], TG_X_DATA, H5T_NATIVE_UINT32, first, n, val, c->e);
        for (size_t i = 0; rc == TG_OK && i < n; i++) {
            uint64_t k = first + i;
            while ((uint64_t)s->indptr[a + 1] <= k)
                a++;
            if (idx[i] < 0 || (uint64_t)idx[i] >= s->n_cols)
                rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s[%llu] (album %zu, %s) = %ld, not in 0..%llu (shape[1])",
                             c->file, TG_X_INDICES, (unsigned long long)k, a, s->album_ids[a], (long)idx[i],
                             (unsigned long long)s->n_cols - 1);
            else if (k > (uint64_t)s->indptr[a] && idx[i] <= prev)
                rc = tg_fail(c->e, TG_ERR_FORMAT, "%s: %s[%llu] (album %zu, %s) = %ld after %ld: columns must "
                             "increase within a row", c->file, TG_X_INDICES, (unsigned long long)k, a,
                             s->album_ids[a], (long)idx[i], (long)prev);
            prev = idx[i];
        }
    }
    free(idx);
    free(val);
    return rc;
}

tg_code tg_store_open(const char *path, tg_store **out, tg_error *e)
{
    *out = NULL;
    tg_code rc = tg_h5_quiet(e);
    if (rc != TG_OK || (rc = tg_store_register_zstd(e)) != TG_OK)
        return rc;
    hid_t file;
    if ((rc = tg_h5_open_input(path, TG_FILE_STORE, &file, e)) != TG_OK)
        return rc;
    /* the bytes on disk, which bound what a dataset can hold (HDF5's own file size is
     * the larger of that and its end of allocation: a truncated file would pass) */
    struct stat st;
    if (stat(path, &st) != 0) {
        H5Fclose(file);
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat", path);
    }
    tg_store *s = calloc(1, sizeof *s);
    if (s != NULL && (s->h5 = malloc(sizeof *s->h5)) != NULL) {
        s->h5->file = file; /* tg_store_close closes it from here on */
        s->h5->indices = s->h5->data = H5I_INVALID_HID;
    }
    if (s == NULL || s->h5 == NULL || (s->path = strdup(path)) == NULL) {
        if (s == NULL || s->h5 == NULL)
            H5Fclose(file);
        tg_store_close(s);
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate the store", path);
    }
    ctx c = {s->path, (uint64_t)st.st_size, e};
    if (rc == TG_OK)
        rc = read_root(&c, s);
    if (rc == TG_OK)
        rc = read_names(&c, s);
    if (rc == TG_OK)
        rc = read_counters(&c, s);
    if (rc == TG_OK)
        rc = read_x(&c, s);
    if (rc == TG_OK)
        rc = read_albums(&c, s);
    if (rc == TG_OK)
        rc = check_entries(&c, s);
    if (rc != TG_OK) {
        tg_store_close(s);
        return rc;
    }
    *out = s;
    return TG_OK;
}

long tg_store_find_album(const tg_store *s, const char *id)
{
    for (size_t a = 0; a < s->n_albums; a++)
        if (strcmp(s->album_ids[a], id) == 0)
            return (long)a;
    return -1;
}

tg_code tg_store_read(tg_store *s, uint64_t first, size_t n, int32_t *indices, uint32_t *values, tg_error *e)
{
    if (first > s->nnz || n > s->nnz - first)
        return tg_fail(e, TG_ERR_USAGE, "%s: elements %llu..+%zu beyond the %llu stored", s->path,
                       (unsigned long long)first, n, (unsigned long long)s->nnz);
    tg_code rc = TG_OK;
    if (indices != NULL)
        rc = read_range(s->path, s->h5->indices, TG_X_INDICES, H5T_NATIVE_INT32, first, n, indices, e);
    if (rc == TG_OK && values != NULL)
        rc = read_range(s->path, s->h5->data, TG_X_DATA, H5T_NATIVE_UINT32, first, n, values, e);
    return rc;
}
