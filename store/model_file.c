/* model_file.c - writing and reading model.h5 (see model_file.h) with HDF5's plain API;
 * every call checked, every size validated before an allocation follows from it. */
#include "model_file.h"

#include "file_kind.h"
#include "h5_error.h"
#include "h5_text.h"
#include "h5_props.h"
#include "output_file.h"

#include <ctype.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_COLUMNS 6
static const char *const history_names[HISTORY_COLUMNS] = {
    "train_loss", "test_loss", "test_map", "test_macro_f1", "seconds", "loader_seconds"};

static double **history_column(tg_model_history *h, int k)
{
    double **cols[HISTORY_COLUMNS] = {&h->train_loss, &h->test_loss, &h->test_map,
                                      &h->test_macro_f1, &h->seconds, &h->loader_seconds};
    return cols[k];
}

static size_t tensor_count(const tg_model_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= (size_t)t->dims[i];
    return n;
}

size_t tg_model_file_params(const tg_model_meta *m)
{
    size_t n = 0;
    for (int k = 0; k < m->n_tensors; k++)
        n += tensor_count(&m->tensors[k]);
    return n;
}

/* ---- writing ---- */

static herr_t put_data(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                       const hsize_t *dims, const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0)
        return -1;
    hid_t d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, tg_h5_dcpl(), H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    if (rc == 0 && n > 0)
        rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    H5Sclose(space);
    return rc;
}

static herr_t put_attr_i64(hid_t loc, const char *name, int64_t v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(loc, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static herr_t put_attr_str(hid_t loc, const char *name, const char *text)
{
    hid_t t = tg_h5_utf8_type(), space = H5Screate(H5S_SCALAR);
    hid_t a = t < 0 || space < 0 ? -1 : H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *s = text ? text : "";
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, &s);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

/* group/name: n UTF-8 strings. */
static herr_t put_names(hid_t f, const char *group, hsize_t n, char *const *names)
{
    hid_t g = H5Gcreate2(f, group, H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT);
    hid_t t = tg_h5_utf8_type();
    herr_t rc = g < 0 || t < 0 ? -1 : put_data(g, "name", t, t, 1, &n, names);
    if (t >= 0)
        H5Tclose(t);
    if (g >= 0)
        H5Gclose(g);
    return rc;
}

static herr_t write_all(hid_t f, const tg_model_meta *m, const float *params, const float *am,
                        const float *av, int64_t step, const tg_model_history *h)
{
    herr_t rc = 0;
    char names[TG_MODEL_MAX_TENSORS * 25] = "";
    for (int k = 0; k < m->n_tensors; k++) {
        if (k)
            strcat(names, " ");
        strcat(names, m->tensors[k].name);
    }
    rc |= put_attr_i64(f, "schema_version", TG_MODEL_SCHEMA_VERSION);
    rc |= put_attr_i64(f, "genres", m->genres);
    rc |= put_attr_i64(f, "steps", m->steps);
    rc |= put_attr_i64(f, "cities", m->cities);
    rc |= put_attr_str(f, "model", m->model);
    rc |= put_attr_str(f, "tensors", names);
    rc |= put_attr_str(f, "config", m->config);
    rc |= put_attr_str(f, "provenance", m->provenance);
    if (rc < 0)
        return -1;
    const float *at = params;
    for (int k = 0; k < m->n_tensors && rc >= 0; k++) {
        const tg_model_tensor *t = &m->tensors[k];
        hsize_t dims[TG_MODEL_MAX_RANK];
        for (int i = 0; i < t->rank; i++)
            dims[i] = (hsize_t)t->dims[i];
        rc = put_data(f, t->name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t->rank, dims, at);
        at += tensor_count(t);
    }
    if (rc < 0)
        return -1;
    hsize_t h2 = (hsize_t)m->genres;
    if (am && av) {
        hid_t g = H5Gcreate2(f, "adam", H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT);
        hsize_t n = (hsize_t)tg_model_file_params(m);
        rc = g < 0 ? -1 : 0;
        if (rc == 0)
            rc |= put_data(g, "m", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, am);
        if (rc == 0)
            rc |= put_data(g, "v", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, av);
        if (rc == 0)
            rc |= put_attr_i64(g, "step", step);
        if (g >= 0)
            H5Gclose(g);
        if (rc < 0)
            return -1;
    }
    if (put_names(f, "genres", h2, m->genre_names) < 0)
        return -1;
    if (m->city_names && put_names(f, "cities", (hsize_t)m->cities, m->city_names) < 0)
        return -1;
    hid_t g = H5Gcreate2(f, "history", H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT);
    if (g < 0)
        return -1;
    tg_model_history none = {0};
    tg_model_history hh = h ? *h : none;
    hsize_t n = (hsize_t)hh.n;
    rc = put_data(g, "epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, hh.epoch);
    for (int k = 0; k < HISTORY_COLUMNS && rc >= 0; k++)
        rc = put_data(g, history_names[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n,
                      *history_column(&hh, k));
    H5Gclose(g);
    return rc;
}

/* A tensor name: letters, digits and '_', as an HDF5 link name and a word of the tensors
 * attribute both need, and not one of the file's groups. */
static int valid_name(const char *s)
{
    if (*s == '\0' || strlen(s) >= sizeof ((tg_model_tensor *)0)->name ||
        strcmp(s, "adam") == 0 || strcmp(s, "genres") == 0 || strcmp(s, "history") == 0 ||
        strcmp(s, "cities") == 0)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static tg_code check_tensors(const tg_model_meta *m, const char *path, tg_error *e)
{
    if (m->n_tensors < 1 || m->n_tensors > TG_MODEL_MAX_TENSORS)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %d tensors (1 to %d)", path, m->n_tensors,
                       TG_MODEL_MAX_TENSORS);
    size_t total = 0;
    for (int k = 0; k < m->n_tensors; k++) {
        const tg_model_tensor *t = &m->tensors[k];
        if (!valid_name(t->name))
            return tg_fail(e, TG_ERR_FORMAT, "%s: tensor %d has an invalid name", path, k);
        for (int j = 0; j < k; j++)
            if (strcmp(t->name, m->tensors[j].name) == 0)
                return tg_fail(e, TG_ERR_FORMAT, "%s: tensor '%s' twice", path, t->name);
        if (t->rank < 1 || t->rank > TG_MODEL_MAX_RANK)
            return tg_fail(e, TG_ERR_FORMAT, "%s: tensor '%s' has rank %d (1 to %d)", path,
                           t->name, t->rank, TG_MODEL_MAX_RANK);
        size_t n = 1;
        for (int i = 0; i < t->rank; i++) {
            /* 2^40 floats (4 TB) bounds every product below 2^64 */
            if (t->dims[i] < 1 || t->dims[i] > ((int64_t)1 << 40) ||
                n > ((size_t)1 << 40) / (size_t)t->dims[i])
                return tg_fail(e, TG_ERR_FORMAT, "%s: tensor '%s' dimension %d is %lld: out of "
                               "range", path, t->name, i, (long long)t->dims[i]);
            n *= (size_t)t->dims[i];
        }
        if (total + n > ((size_t)1 << 40))
            return tg_fail(e, TG_ERR_FORMAT, "%s: more than 2^40 parameters", path);
        total += n;
    }
    return TG_OK;
}

tg_code tg_model_file_write(const char *path, const tg_model_meta *meta, const float *params,
                            const float *adam_m, const float *adam_v, int64_t adam_step,
                            const tg_model_history *history, tg_error *e)
{
    tg_code rc = check_tensors(meta, path, e);
    if (rc != TG_OK)
        return rc;
    rc = tg_h5_quiet(e);
    if (rc != TG_OK)
        return rc;
    char *tmp = NULL;
    rc = tg_tmp_create(path, &tmp, e);
    if (rc != TG_OK)
        return rc;
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, tg_h5_fcpl(), H5P_DEFAULT);
    if (f < 0) {
        rc = tg_h5_fail(e, TG_ERR_IO, "%s: cannot create", path);
    } else {
        if (write_all(f, meta, params, adam_m, adam_v, adam_step, history) < 0)
            rc = tg_h5_fail(e, TG_ERR_IO, "%s: cannot write the model", path);
        if (H5Fclose(f) < 0 && rc == TG_OK)
            rc = tg_h5_fail(e, TG_ERR_IO, "%s: cannot close", path);
    }
    if (rc == TG_OK)
        rc = tg_tmp_commit(tmp, path, e);
    else
        tg_tmp_discard(tmp);
    free(tmp);
    return rc;
}

/* ---- reading ---- */

static tg_code get_attr_i64(hid_t loc, const char *path, const char *name, int64_t *v, tg_error *e)
{
    hid_t a = H5Aexists(loc, name) > 0 ? H5Aopen(loc, name, H5P_DEFAULT) : -1;
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    tg_code rc = TG_OK;
    if (a < 0 || t < 0 || H5Tget_class(t) != H5T_INTEGER ||
        H5Aget_storage_size(a) != sizeof(int64_t) || H5Aread(a, H5T_NATIVE_INT64, v) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: attribute '%s' missing or not an int64", path, name);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

/* Opens a dataset of the expected class, element size and shape, and checks that the
 * file really holds its bytes (contiguous: exactly; chunked: at least 1/1024, the most
 * a compressor could shrink them) before the caller allocates for it. */
static tg_code open_checked(hid_t loc, const char *path, const char *name, H5T_class_t cls,
                            size_t elem, int rank, const hsize_t *dims, hid_t *out, tg_error *e)
{
    hid_t d = H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    if (d < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' is missing", path, name);
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    tg_code rc = TG_OK;
    hsize_t got[4] = {0};
    if (t < 0 || s < 0 || H5Tget_class(t) != cls || H5Tget_size(t) != elem) {
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' has the wrong type", path, name);
    } else if (H5Sget_simple_extent_ndims(s) != rank ||
               H5Sget_simple_extent_dims(s, got, NULL) != rank) {
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' should have %d dimension(s)", path,
                     name, rank);
    } else {
        hsize_t n = 1;
        for (int i = 0; i < rank && rc == TG_OK; i++) {
            if (got[i] != dims[i])
                rc = tg_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' dimension %d is %llu, not %llu",
                             path, name, i, (unsigned long long)got[i], (unsigned long long)dims[i]);
            n *= dims[i];
        }
        hid_t plist = rc == TG_OK ? H5Dget_create_plist(d) : -1;
        hsize_t stored = H5Dget_storage_size(d), want = n * elem;
        int contiguous = plist >= 0 && H5Pget_layout(plist) == H5D_CONTIGUOUS;
        /* variable-length strings live in the global heap: their dataset holds references */
        if (rc == TG_OK && cls != H5T_STRING && want > 0 &&
            (contiguous ? stored != want : stored < want / 1024))
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' stores %llu bytes for %llu declared",
                         path, name, (unsigned long long)stored, (unsigned long long)want);
        if (plist >= 0)
            H5Pclose(plist);
    }
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (rc != TG_OK)
        H5Dclose(d);
    else
        *out = d;
    return rc;
}

static tg_code read_data(hid_t loc, const char *path, const char *name, H5T_class_t cls,
                         size_t elem, hid_t mtype, int rank, const hsize_t *dims, void *buf,
                         tg_error *e)
{
    hid_t d;
    tg_code rc = open_checked(loc, path, name, cls, elem, rank, dims, &d, e);
    if (rc != TG_OK)
        return rc;
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    if (n > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read dataset '%s'", path, name);
    H5Dclose(d);
    return rc;
}

void tg_model_history_free(tg_model_history *h)
{
    free(h->epoch);
    for (int k = 0; k < HISTORY_COLUMNS; k++)
        free(*history_column(h, k));
    memset(h, 0, sizeof *h);
}

void tg_model_file_free(tg_model_file *m)
{
    if (m->meta.genre_names)
        for (int64_t g = 0; g < m->meta.genres; g++)
            free(m->meta.genre_names[g]);
    free(m->meta.genre_names);
    if (m->meta.city_names)
        for (int64_t c = 0; c < m->meta.cities; c++)
            free(m->meta.city_names[c]);
    free(m->meta.city_names);
    free(m->meta.config), free(m->meta.provenance), free(m->meta.model);
    free(m->params), free(m->adam_m), free(m->adam_v);
    tg_model_history_free(&m->history);
    memset(m, 0, sizeof *m);
}

/* Reads the n strings of dataset name (e.g. "genres/name") into a malloc'd *out of n
 * malloc'd strings; on failure *out is NULL and nothing is left to free. */
static tg_code read_names(hid_t f, const char *path, const char *name, hsize_t n, char ***out,
                          tg_error *e)
{
    *out = NULL;
    hid_t d;
    tg_code rc = open_checked(f, path, name, H5T_STRING, sizeof(char *), 1, &n, &d, e);
    if (rc != TG_OK)
        return rc;
    hid_t t = tg_h5_utf8_type(), space = H5Dget_space(d);
    char **raw = calloc(n, sizeof *raw);
    char **names = calloc(n, sizeof *names);
    if (!raw || !names || t < 0 || space < 0)
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for %s", path, name);
    else if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read %s", path, name);
    for (hsize_t i = 0; rc == TG_OK && i < n; i++) {
        names[i] = strdup(raw[i] ? raw[i] : "");
        if (names[i] == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    if (raw && t >= 0 && space >= 0)
        H5Dvlen_reclaim(t, space, H5P_DEFAULT, raw);
    free(raw);
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
    if (rc != TG_OK)
        tg_h5_free_strings(names, names ? n : 0);
    else
        *out = names;
    return rc;
}

static tg_code read_all(hid_t f, const char *path, tg_model_file *m, tg_error *e)
{
    tg_model_meta *mt = &m->meta;
    int64_t version = 0;
    tg_code rc = get_attr_i64(f, path, "schema_version", &version, e);
    if (rc == TG_OK && version != TG_MODEL_SCHEMA_VERSION)
        return tg_fail(e, TG_ERR_FORMAT, "%s: model schema version %lld, this program reads %d "
                       "(retrain with this version's train)", path, (long long)version,
                       TG_MODEL_SCHEMA_VERSION);
    const char *ints[] = {"genres", "steps", "cities"};
    int64_t *dst[] = {&mt->genres, &mt->steps, &mt->cities};
    for (int i = 0; i < 3 && rc == TG_OK; i++) {
        rc = get_attr_i64(f, path, ints[i], dst[i], e);
        if (rc == TG_OK && (*dst[i] < 1 || *dst[i] > ((int64_t)1 << 31)))
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: attribute %s = %lld is out of range", path,
                         ints[i], (long long)*dst[i]);
    }
    char *names = NULL;
    if (rc == TG_OK)
        rc = tg_h5_attr_text(f, path, "model", &mt->model, e);
    if (rc == TG_OK)
        rc = tg_h5_attr_text(f, path, "config", &mt->config, e);
    if (rc == TG_OK)
        rc = tg_h5_attr_text(f, path, "provenance", &mt->provenance, e);
    if (rc == TG_OK)
        rc = tg_h5_attr_text(f, path, "tensors", &names, e);
    /* the tensors: their names from the attribute, their shapes from the datasets */
    for (char *tok = names ? strtok(names, " ") : NULL; rc == TG_OK && tok;
         tok = strtok(NULL, " ")) {
        if (mt->n_tensors == TG_MODEL_MAX_TENSORS || !valid_name(tok)) {
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: attribute tensors names more than %d tensors "
                         "or an invalid name", path, TG_MODEL_MAX_TENSORS);
            break;
        }
        tg_model_tensor *t = &mt->tensors[mt->n_tensors++];
        snprintf(t->name, sizeof t->name, "%s", tok);
        hid_t d = H5Lexists(f, tok, H5P_DEFAULT) > 0 ? H5Dopen2(f, tok, H5P_DEFAULT) : -1;
        hid_t sp = d < 0 ? -1 : H5Dget_space(d);
        int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
        hsize_t dims[TG_MODEL_MAX_RANK] = {0};
        if (d < 0)
            rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' is missing", path, tok);
        else if (rank < 1 || rank > TG_MODEL_MAX_RANK ||
                 H5Sget_simple_extent_dims(sp, dims, NULL) != rank)
            rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: dataset '%s' should have 1 to %d dimensions",
                            path, tok, TG_MODEL_MAX_RANK);
        t->rank = rank;
        for (int i = 0; rc == TG_OK && i < rank; i++)
            t->dims[i] = dims[i] > ((hsize_t)1 << 40) ? -1 : (int64_t)dims[i];
        if (sp >= 0)
            H5Sclose(sp);
        if (d >= 0)
            H5Dclose(d);
    }
    free(names);
    if (rc == TG_OK)
        rc = check_tensors(mt, path, e);
    if (rc != TG_OK)
        return rc;
    /* check that the file holds every tensor's bytes before allocating the block */
    for (int k = 0; k < mt->n_tensors && rc == TG_OK; k++) {
        hsize_t dims[TG_MODEL_MAX_RANK];
        for (int i = 0; i < mt->tensors[k].rank; i++)
            dims[i] = (hsize_t)mt->tensors[k].dims[i];
        hid_t probe;
        rc = open_checked(f, path, mt->tensors[k].name, H5T_FLOAT, 4, mt->tensors[k].rank, dims,
                          &probe, e);
        if (rc == TG_OK)
            H5Dclose(probe);
    }
    if (rc != TG_OK)
        return rc;
    size_t n = tg_model_file_params(mt);
    m->params = malloc(n * sizeof(float));
    if (m->params == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for %zu parameters", path, n);
    float *at = m->params;
    for (int k = 0; k < mt->n_tensors && rc == TG_OK; k++) {
        const tg_model_tensor *t = &mt->tensors[k];
        hsize_t dims[TG_MODEL_MAX_RANK];
        for (int i = 0; i < t->rank; i++)
            dims[i] = (hsize_t)t->dims[i];
        rc = read_data(f, path, t->name, H5T_FLOAT, 4, H5T_NATIVE_FLOAT, t->rank, dims, at, e);
        at += tensor_count(t);
    }
    if (rc == TG_OK)
        rc = read_names(f, path, "genres/name", (hsize_t)mt->genres, &mt->genre_names, e);
    /* optional: files written before the cities were recorded have no group cities */
    if (rc == TG_OK && H5Lexists(f, "cities", H5P_DEFAULT) > 0)
        rc = read_names(f, path, "cities/name", (hsize_t)mt->cities, &mt->city_names, e);
    if (rc == TG_OK && H5Lexists(f, "adam", H5P_DEFAULT) > 0) {
        hsize_t np = (hsize_t)n;
        hid_t g = H5Gopen2(f, "adam", H5P_DEFAULT);
        m->adam_m = malloc(n * sizeof(float));
        m->adam_v = malloc(n * sizeof(float));
        if (g < 0)
            rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot open group adam", path);
        else if (!m->adam_m || !m->adam_v)
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for Adam's state", path);
        if (rc == TG_OK)
            rc = read_data(g, path, "m", H5T_FLOAT, 4, H5T_NATIVE_FLOAT, 1, &np, m->adam_m, e);
        if (rc == TG_OK)
            rc = read_data(g, path, "v", H5T_FLOAT, 4, H5T_NATIVE_FLOAT, 1, &np, m->adam_v, e);
        if (rc == TG_OK)
            rc = get_attr_i64(g, path, "step", &m->adam_step, e);
        if (g >= 0)
            H5Gclose(g);
    }
    if (rc != TG_OK)
        return rc;
    /* history: its length is the epoch dataset's, bounded by the stored bytes */
    hid_t g = H5Lexists(f, "history", H5P_DEFAULT) > 0 ? H5Gopen2(f, "history", H5P_DEFAULT) : -1;
    if (g < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: group history is missing", path);
    hid_t d = H5Lexists(g, "epoch", H5P_DEFAULT) > 0 ? H5Dopen2(g, "epoch", H5P_DEFAULT) : -1;
    hid_t s = d < 0 ? -1 : H5Dget_space(d);
    hsize_t len = 0;
    if (s < 0 || H5Sget_simple_extent_ndims(s) != 1 || H5Sget_simple_extent_dims(s, &len, NULL) != 1
        || len > 1000000)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: history/epoch is missing or malformed", path);
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    tg_model_history *h = &m->history;
    if (rc == TG_OK) {
        h->n = (size_t)len;
        h->epoch = malloc((len ? len : 1) * sizeof *h->epoch);
        rc = h->epoch ? read_data(g, path, "epoch", H5T_INTEGER, 4, H5T_NATIVE_INT32, 1, &len,
                                  h->epoch, e)
                      : tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int k = 0; k < HISTORY_COLUMNS && rc == TG_OK; k++) {
        double **col = history_column(h, k);
        *col = malloc((len ? len : 1) * sizeof **col);
        rc = *col ? read_data(g, path, history_names[k], H5T_FLOAT, 8, H5T_NATIVE_DOUBLE, 1, &len,
                              *col, e)
                  : tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    H5Gclose(g);
    return rc;
}

tg_code tg_model_file_read(const char *path, tg_model_file *out, tg_error *e)
{
    memset(out, 0, sizeof *out);
    hid_t f;
    tg_code rc = tg_h5_open_input(path, TG_FILE_MODEL, &f, e);
    if (rc != TG_OK)
        return rc;
    rc = read_all(f, path, out, e);
    H5Fclose(f);
    if (rc != TG_OK)
        tg_model_file_free(out);
    return rc;
}

tg_code tg_model_file_provenance(const char *path, char **text, tg_error *e)
{
    return tg_h5_file_provenance(path, text, e);
}

tg_code tg_model_file_fits_store(const tg_model_meta *m, const char *model_path,
                                 const tg_store *s, tg_error *e)
{
    if ((int64_t)s->n_cities != m->cities)
        return tg_fail(e, TG_ERR_FORMAT, "%s has %zu cities, %s was trained on %lld", s->path,
                       s->n_cities, model_path, (long long)m->cities);
    /* a count alone passes a store whose cities sit in other columns (another ingest of
     * the same traces numbers them in another order): the names are the identity */
    for (size_t c = 0; m->city_names && c < s->n_cities; c++)
        if (strcmp(s->city_names[c], m->city_names[c]) != 0)
            return tg_fail(e, TG_ERR_FORMAT, "%s and %s: the cities differ: city column %zu is "
                           "'%s' in the store, '%s' in the model (it needs a store with its "
                           "cities in its order)", s->path, model_path, c, s->city_names[c],
                           m->city_names[c]);
    if ((int64_t)s->n_genres != m->genres)
        return tg_fail(e, TG_ERR_FORMAT, "%s has %zu genres, %s predicts %lld", s->path,
                       s->n_genres, model_path, (long long)m->genres);
    for (size_t g = 0; g < s->n_genres; g++)
        if (strcmp(s->genre_names[g], m->genre_names[g]) != 0)
            return tg_fail(e, TG_ERR_FORMAT, "%s: genre column %zu is '%s', the model's is '%s'",
                           s->path, g, s->genre_names[g], m->genre_names[g]);
    return TG_OK;
}
