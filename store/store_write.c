/* store_write.c - the streaming writer of store.h5 (store.h): rows arrive album by
 * album, entries leave one whole chunk at a time, and the file is renamed into place last. */
#include "store.h"
#include "h5_error.h"
#include "h5_text.h"
#include "h5_props.h"
#include "output_file.h"
#include "schema.h"
#include "zstd_chunk.h"
#include "zstd_filter.h"

#include <stdlib.h>
#include <string.h>

struct tg_store_writer {
    char *path, *tmp;
    hid_t file, indices, data;
    int32_t steps;
    size_t n_cities, n_genres;
    uint64_t n_cols;
    size_t chunk_elems;
    int32_t *ibuf;        /* [chunk_elems] entries not yet written */
    uint32_t *vbuf;
    size_t fill;          /* entries in ibuf/vbuf */
    uint64_t written;     /* entries already in the file */
    /* per album, O(A): written as whole datasets by finish */
    size_t n_albums, cap;
    char **ids;
    int32_t *release;
    uint8_t *split;
    uint8_t *labels;      /* [cap][n_genres] */
    int64_t *indptr;      /* [cap + 1] */
    int counters_done;    /* tg_store_writer_counters was called */
    tg_error sticky;      /* first failure, returned again by later calls */
};

/* ---- small HDF5 helpers: each returns TG_OK or fills e naming the object ------------ */

static tg_code attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                          const void *value, const char *where, tg_error *e)
{
    /* n == 0 means a scalar attribute. */
    hid_t space = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = space < 0 ? H5I_INVALID_HID : H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, value);
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    if (rc < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write attribute %s", where, name);
    return TG_OK;
}

static tg_code attr_str(hid_t obj, const char *name, const char *value, const char *where, tg_error *e)
{
    hid_t t = tg_h5_utf8_type();
    if (t < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot make a string type", where);
    tg_code c = attr_write(obj, name, t, t, 0, &value, where, e);
    H5Tclose(t);
    return c;
}

/* A whole small dataset, contiguous and uncompressed: read whole by every reader, so
 * chunking would only add an index. dims[rank] may hold zeros. */
static tg_code dset_write(hid_t file, const char *path, hid_t ftype, hid_t mtype, int rank,
                          const hsize_t *dims, const void *buf, const char *file_name, tg_error *e)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = space < 0 ? H5I_INVALID_HID
                        : H5Dcreate2(file, path, ftype, space, H5P_DEFAULT, tg_h5_dcpl(), H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    if (rc == 0 && total > 0)
        rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    if (space >= 0)
        H5Sclose(space);
    if (rc < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write %s", file_name, path);
    return TG_OK;
}

static tg_code strings_write(hid_t file, const char *path, size_t n, const char *const *s,
                             const char *file_name, tg_error *e)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == NULL)
            return tg_fail(e, TG_ERR_USAGE, "%s: %s[%zu] is NULL", file_name, path, i);
    hid_t t = tg_h5_utf8_type();
    if (t < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot make a string type", file_name);
    hsize_t dims = n;
    tg_code c = dset_write(file, path, t, t, 1, &dims, s, file_name, e);
    H5Tclose(t);
    return c;
}

static tg_code group_make(hid_t file, const char *path, hid_t *g, const char *file_name, tg_error *e)
{
    *g = H5Gcreate2(file, path, H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT);
    if (*g < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create group %s", file_name, path);
    return TG_OK;
}

static tg_code group_new(hid_t file, const char *path, const char *file_name, tg_error *e)
{
    hid_t g;
    tg_code c = group_make(file, path, &g, file_name, e);
    if (c == TG_OK && H5Gclose(g) < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close group %s", file_name, path);
    return c;
}

/* /x/indices or /x/data: 1-D, extensible, chunked; shuffle then zstd. Shuffle groups
 * the bytes of equal rank: indices of a row share their high bytes and counts are
 * small, so those planes are runs of equal bytes that zstd squeezes. bench/zstd_bench
 * (report-size model, chunks of 16384, level 3): indices 3.06 -> 2.01 MB, data 0.94 ->
 * 0.57 MB with shuffle, i.e. 1.5x and 1.65x smaller, and faster to decode; the cost is
 * one byte transpose per chunk for readers of raw chunks (tg_store_chunk_decode). */
static tg_code entries_create(tg_store_writer *w, const char *path, hid_t ftype, int level, hid_t *d,
                              tg_error *e)
{
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = w->chunk_elems;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0)
        H5Pset_obj_track_times(dcpl, 0); /* same inputs, same bytes */
    tg_code c = TG_OK;
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 || H5Pset_shuffle(dcpl) < 0) {
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot set up %s", w->path, path);
        goto done;
    }
    if ((c = tg_store_set_zstd(dcpl, level, e)) != TG_OK)
        goto done;
    *d = H5Dcreate2(w->file, path, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (*d < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create %s", w->path, path);
done:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return c;
}

/* Appends n buffered elements at offset w->written. */
static tg_code entries_append(tg_store_writer *w, hid_t d, const char *path, hid_t mtype,
                              const void *buf, size_t n, tg_error *e)
{
    hsize_t start = w->written, count = n, size = w->written + n;
    herr_t rc = H5Dset_extent(d, &size);
    hid_t fspace = rc < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t mspace = H5Screate_simple(1, &count, NULL);
    if (fspace < 0 || mspace < 0
        || H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0
        || H5Dwrite(d, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
        rc = -1;
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (rc < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write %s elements %llu..%llu", w->path, path,
                          (unsigned long long)start, (unsigned long long)(size - 1));
    return TG_OK;
}

/* Writes the buffered entries: a whole chunk, except at the end. Chunks are only ever
 * written whole and once, so HDF5 never reads one back to merge a partial write. */
static tg_code flush(tg_store_writer *w, tg_error *e)
{
    if (w->fill == 0)
        return TG_OK;
    tg_code c = entries_append(w, w->indices, TG_X_INDICES, H5T_NATIVE_INT32, w->ibuf, w->fill, e);
    if (c == TG_OK)
        c = entries_append(w, w->data, TG_X_DATA, H5T_NATIVE_UINT32, w->vbuf, w->fill, e);
    if (c == TG_OK) {
        w->written += w->fill;
        w->fill = 0;
    }
    return c;
}

/* ---- the writer --------------------------------------------------------------------- */

static void writer_free(tg_store_writer *w)
{
    if (w->indices >= 0)
        H5Dclose(w->indices);
    if (w->data >= 0)
        H5Dclose(w->data);
    if (w->file >= 0)
        H5Fclose(w->file);
    for (size_t i = 0; i < w->n_albums; i++)
        free(w->ids[i]);
    free(w->ids);
    free(w->release);
    free(w->split);
    free(w->labels);
    free(w->indptr);
    free(w->ibuf);
    free(w->vbuf);
    free(w->path);
    free(w->tmp);
    free(w);
}

void tg_store_writer_abort(tg_store_writer *w)
{
    if (w == NULL)
        return;
    char *tmp = w->tmp;
    w->tmp = NULL;
    writer_free(w); /* closes the file before it is removed */
    if (tmp != NULL) {
        tg_tmp_discard(tmp);
        free(tmp);
    }
}

static tg_code check_meta(const char *path, const tg_store_meta *m, tg_error *e)
{
    if (m->steps < 1 || m->steps > TG_STORE_MAX_STEPS || m->window_days < 1)
        return tg_fail(e, TG_ERR_USAGE, "%s: steps %d and window %d days must be in 1..%d and >= 1",
                       path, (int)m->steps, (int)m->window_days, TG_STORE_MAX_STEPS);
    if (m->n_cities < 1 || m->n_cities > TG_STORE_MAX_CITIES || m->n_genres < 1
        || m->n_genres > TG_STORE_MAX_GENRES || m->n_dropped > TG_STORE_MAX_GENRES)
        return tg_fail(e, TG_ERR_USAGE, "%s: %zu cities, %zu genres, %zu dropped genres: out of range",
                       path, m->n_cities, m->n_genres, m->n_dropped);
    /* indices are int32 (what scipy and AnnData expect), so every column must fit one. */
    if ((uint64_t)m->steps * m->n_cities > INT32_MAX)
        return tg_fail(e, TG_ERR_LIMIT, "%s: %d steps x %zu cities exceed int32 column indices", path,
                       (int)m->steps, m->n_cities);
    if (m->value_field == NULL
        || (strcmp(m->value_field, "nusers") != 0 && strcmp(m->value_field, "nstreams") != 0))
        return tg_fail(e, TG_ERR_USAGE, "%s: value field must be nusers or nstreams", path);
    if (m->city_names == NULL || m->genre_names == NULL || m->genre_counts == NULL
        || (m->n_dropped > 0 && (m->dropped_names == NULL || m->dropped_counts == NULL)))
        return tg_fail(e, TG_ERR_USAGE, "%s: city or genre names missing", path);
    if (m->chunk_elems > TG_ZSTD_FILTER_CAP / 4)
        return tg_fail(e, TG_ERR_LIMIT, "%s: chunks of %zu elements are too large", path, m->chunk_elems);
    return TG_OK;
}

/* Root attributes, /x's encoding, /cities and /genres: all known before any album. */
static tg_code write_meta(tg_store_writer *w, const tg_store_meta *m, tg_error *e)
{
    const char *f = w->path;
    int32_t version = TG_STORE_SCHEMA_VERSION;
    hsize_t n;
    tg_code c = attr_write(w->file, "schema_version", H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &version, f, e);
    if (c == TG_OK)
        c = attr_write(w->file, "steps", H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &m->steps, f, e);
    if (c == TG_OK)
        c = attr_write(w->file, "window_days", H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &m->window_days, f, e);
    if (c == TG_OK)
        c = attr_write(w->file, "split_seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &m->split_seed, f, e);
    if (c == TG_OK)
        c = attr_str(w->file, "value_field", m->value_field, f, e);
    if (c == TG_OK)
        c = attr_str(w->file, "provenance", m->provenance != NULL ? m->provenance : "", f, e);
    if (c == TG_OK)
        c = group_new(w->file, TG_CITIES, f, e);
    if (c == TG_OK)
        c = strings_write(w->file, TG_CITIES_NAME, m->n_cities, m->city_names, f, e);
    if (c == TG_OK)
        c = group_new(w->file, TG_GENRES, f, e);
    if (c == TG_OK)
        c = strings_write(w->file, TG_GENRES_NAME, m->n_genres, m->genre_names, f, e);
    n = m->n_genres;
    if (c == TG_OK)
        c = dset_write(w->file, TG_GENRES_COUNT, H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &n, m->genre_counts, f, e);
    if (c == TG_OK) /* with no dropped genre, the arrays may be NULL: nothing is read */
        c = strings_write(w->file, TG_GENRES_DROPPED_NAME, m->n_dropped, m->dropped_names, f, e);
    n = m->n_dropped;
    if (c == TG_OK)
        c = dset_write(w->file, TG_GENRES_DROPPED_COUNT, H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &n,
                       m->dropped_counts, f, e);
    hid_t x = H5I_INVALID_HID;
    if (c == TG_OK)
        c = group_make(w->file, TG_X, &x, f, e);
    if (c == TG_OK)
        c = attr_str(x, "encoding-type", TG_CSR_ENCODING, f, e);
    if (c == TG_OK)
        c = attr_str(x, "encoding-version", TG_CSR_VERSION, f, e);
    if (x >= 0 && H5Gclose(x) < 0 && c == TG_OK)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close %s", f, TG_X);
    int level = m->level != 0 ? m->level : TG_ZSTD_DEFAULT_LEVEL;
    if (c == TG_OK)
        c = entries_create(w, TG_X_INDICES, H5T_STD_I32LE, level, &w->indices, e);
    if (c == TG_OK)
        c = entries_create(w, TG_X_DATA, H5T_STD_U32LE, level, &w->data, e);
    return c;
}

tg_code tg_store_writer_open(const char *path, const tg_store_meta *meta, tg_store_writer **out,
                             tg_error *e)
{
    *out = NULL;
    tg_code c = check_meta(path, meta, e);
    if (c != TG_OK || (c = tg_h5_quiet(e)) != TG_OK || (c = tg_store_register_zstd(e)) != TG_OK)
        return c;
    tg_store_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate the writer", path);
    w->file = w->indices = w->data = H5I_INVALID_HID;
    w->steps = meta->steps;
    w->n_cities = meta->n_cities;
    w->n_genres = meta->n_genres;
    w->n_cols = (uint64_t)meta->steps * meta->n_cities;
    w->chunk_elems = meta->chunk_elems != 0 ? meta->chunk_elems : TG_STORE_CHUNK_ELEMS;
    w->path = strdup(path);
    w->ibuf = malloc(w->chunk_elems * sizeof *w->ibuf);
    w->vbuf = malloc(w->chunk_elems * sizeof *w->vbuf);
    w->indptr = malloc(sizeof *w->indptr);
    if (w->path == NULL || w->ibuf == NULL || w->vbuf == NULL || w->indptr == NULL) {
        c = tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate the writer", path);
        goto fail;
    }
    w->indptr[0] = 0;
    if ((c = tg_tmp_create(path, &w->tmp, e)) != TG_OK)
        goto fail;
    /* The temporary exists (empty) so that the name is ours; HDF5 recreates it. */
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, tg_h5_fcpl(), H5P_DEFAULT);
    if (w->file < 0) {
        c = tg_h5_fail(e, TG_ERR_IO, "%s: cannot create", w->tmp);
        goto fail;
    }
    if ((c = write_meta(w, meta, e)) != TG_OK)
        goto fail;
    *out = w;
    return TG_OK;
fail:
    tg_store_writer_abort(w);
    return c;
}

static tg_code grow_albums(tg_store_writer *w, tg_error *e)
{
    size_t cap = w->cap == 0 ? 256 : w->cap * 2;
    if (cap > TG_STORE_MAX_ALBUMS)
        cap = TG_STORE_MAX_ALBUMS;
    if (w->n_albums >= cap)
        return tg_fail(e, TG_ERR_LIMIT, "%s: more than %zu albums", w->path, TG_STORE_MAX_ALBUMS);
    /* Each realloc keeps the old block on failure, so w stays consistent for abort. */
    char **ids = realloc(w->ids, cap * sizeof *ids);
    if (ids != NULL)
        w->ids = ids;
    int32_t *release = realloc(w->release, cap * sizeof *release);
    if (release != NULL)
        w->release = release;
    uint8_t *split = realloc(w->split, cap);
    if (split != NULL)
        w->split = split;
    uint8_t *labels = realloc(w->labels, cap * w->n_genres);
    if (labels != NULL)
        w->labels = labels;
    int64_t *indptr = realloc(w->indptr, (cap + 1) * sizeof *indptr);
    if (indptr != NULL)
        w->indptr = indptr;
    if (ids == NULL || release == NULL || split == NULL || labels == NULL || indptr == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot grow the album tables to %zu", w->path, cap);
    w->cap = cap;
    return TG_OK;
}

/* Checks one album's row and labels before anything of it is kept. */
static tg_code check_album(const tg_store_writer *w, const char *id, int split, const uint8_t *labels,
                           size_t n, const int32_t *indices, const uint32_t *values, tg_error *e)
{
    size_t a = w->n_albums;
    if (id == NULL || (labels == NULL && w->n_genres > 0) || (n > 0 && (indices == NULL || values == NULL)))
        return tg_fail(e, TG_ERR_USAGE, "%s: album %zu: id, labels or entries missing", w->path, a);
    if (split != TG_SPLIT_TRAIN && split != TG_SPLIT_TEST && split != TG_SPLIT_UNLABELED)
        return tg_fail(e, TG_ERR_RECORD, "%s: album %zu (%s): split %d is not 0, 1 or 2", w->path, a, id,
                       split);
    size_t ones = 0;
    for (size_t g = 0; g < w->n_genres; g++) {
        if (labels[g] > 1)
            return tg_fail(e, TG_ERR_RECORD, "%s: album %zu (%s): label %zu is %u, not 0 or 1", w->path, a,
                           id, g, labels[g]);
        ones += labels[g];
    }
    if ((split == TG_SPLIT_UNLABELED) != (ones == 0))
        return tg_fail(e, TG_ERR_RECORD, "%s: album %zu (%s): split %d with %zu labels (unlabeled "
                       "albums have none, train and test ones at least one)", w->path, a, id, split, ones);
    for (size_t i = 0; i < n; i++) {
        if (indices[i] < 0 || (uint64_t)indices[i] >= w->n_cols)
            return tg_fail(e, TG_ERR_RECORD, "%s: album %zu (%s): entry %zu: column %ld not in 0..%llu",
                           w->path, a, id, i, (long)indices[i], (unsigned long long)w->n_cols - 1);
        if (i > 0 && indices[i] <= indices[i - 1])
            return tg_fail(e, TG_ERR_RECORD, "%s: album %zu (%s): entry %zu: column %ld after %ld (columns "
                           "must increase)", w->path, a, id, i, (long)indices[i], (long)indices[i - 1]);
    }
    return TG_OK;
}

static tg_code add(tg_store_writer *w, const char *id, int32_t release_day, int split,
                   const uint8_t *labels, size_t n, const int32_t *indices, const uint32_t *values,
                   tg_error *e)
{
    tg_code c = check_album(w, id, split, labels, n, indices, values, e);
    if (c != TG_OK)
        return c;
    if (w->n_albums == w->cap && (c = grow_albums(w, e)) != TG_OK)
        return c;
    size_t a = w->n_albums;
    if ((w->ids[a] = strdup(id)) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: album %zu: cannot copy its id", w->path, a);
    w->release[a] = release_day;
    w->split[a] = (uint8_t)split;
    if (w->n_genres > 0)
        memcpy(w->labels + a * w->n_genres, labels, w->n_genres);
    w->indptr[a + 1] = w->indptr[a] + (int64_t)n;
    w->n_albums++;
    /* The row may span chunks: fill, flush whenever a chunk is full. */
    for (size_t i = 0; i < n;) {
        size_t take = w->chunk_elems - w->fill;
        if (take > n - i)
            take = n - i;
        memcpy(w->ibuf + w->fill, indices + i, take * sizeof *indices);
        memcpy(w->vbuf + w->fill, values + i, take * sizeof *values);
        w->fill += take;
        i += take;
        if (w->fill == w->chunk_elems && (c = flush(w, e)) != TG_OK)
            return c;
    }
    return TG_OK;
}

tg_code tg_store_writer_add(tg_store_writer *w, const char *id, int32_t release_day, int split,
                            const uint8_t *labels, size_t n, const int32_t *indices,
                            const uint32_t *values, tg_error *e)
{
    if (w->sticky.code != TG_OK) {
        if (e != NULL)
            *e = w->sticky;
        return w->sticky.code;
    }
    tg_error mine = {TG_OK, ""};
    tg_code c = add(w, id, release_day, split, labels, n, indices, values, &mine);
    if (c != TG_OK) {
        w->sticky = mine;
        if (e != NULL)
            *e = mine;
    }
    return c;
}

static tg_code counters(tg_store_writer *w, size_t n, const char *const *names, const uint64_t *values,
                        tg_error *e)
{
    if (w->counters_done || (n > 0 && (names == NULL || values == NULL)))
        return tg_fail(e, TG_ERR_USAGE, "%s: counters given twice or without arrays", w->path);
    w->counters_done = 1;
    hsize_t k = n;
    tg_code c = group_new(w->file, TG_COUNTERS, w->path, e);
    if (c == TG_OK)
        c = strings_write(w->file, TG_COUNTERS_NAME, n, names, w->path, e);
    if (c == TG_OK)
        c = dset_write(w->file, TG_COUNTERS_VALUE, H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &k, values, w->path, e);
    return c;
}

tg_code tg_store_writer_counters(tg_store_writer *w, size_t n, const char *const *names,
                                 const uint64_t *values, tg_error *e)
{
    if (w->sticky.code != TG_OK) {
        if (e != NULL)
            *e = w->sticky;
        return w->sticky.code;
    }
    tg_error mine = {TG_OK, ""};
    tg_code c = counters(w, n, names, values, &mine);
    if (c != TG_OK) {
        w->sticky = mine;
        if (e != NULL)
            *e = mine;
    }
    return c;
}

/* /albums and /x's shape and indptr: known once every album is in. */
static tg_code write_albums(tg_store_writer *w, tg_error *e)
{
    const char *f = w->path;
    hsize_t a = w->n_albums, a1 = w->n_albums + 1, ag[2] = {w->n_albums, w->n_genres};
    tg_code c = group_new(w->file, TG_ALBUMS, f, e);
    if (c == TG_OK)
        c = strings_write(w->file, TG_ALBUMS_ID, w->n_albums, (const char *const *)w->ids, f, e);
    if (c == TG_OK)
        c = dset_write(w->file, TG_ALBUMS_RELEASE, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &a, w->release, f, e);
    if (c == TG_OK)
        c = dset_write(w->file, TG_ALBUMS_SPLIT, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &a, w->split, f, e);
    if (c == TG_OK)
        c = dset_write(w->file, TG_ALBUMS_LABELS, H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, ag, w->labels, f, e);
    if (c == TG_OK)
        c = dset_write(w->file, TG_X_INDPTR, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &a1, w->indptr, f, e);
    hid_t d = c == TG_OK ? H5Dopen2(w->file, TG_ALBUMS_RELEASE, H5P_DEFAULT) : H5I_INVALID_HID;
    if (c == TG_OK && d < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot reopen %s", f, TG_ALBUMS_RELEASE);
    if (c == TG_OK)
        c = attr_str(d, "units", "days since 1970-01-01", f, e);
    if (d >= 0 && H5Dclose(d) < 0 && c == TG_OK)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close %s", f, TG_ALBUMS_RELEASE);
    d = c == TG_OK ? H5Dopen2(w->file, TG_ALBUMS_SPLIT, H5P_DEFAULT) : H5I_INVALID_HID;
    if (c == TG_OK && d < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot reopen %s", f, TG_ALBUMS_SPLIT);
    if (c == TG_OK)
        c = attr_str(d, "codes", TG_SPLIT_CODES, f, e);
    if (d >= 0 && H5Dclose(d) < 0 && c == TG_OK)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close %s", f, TG_ALBUMS_SPLIT);
    hid_t x = c == TG_OK ? H5Gopen2(w->file, TG_X, H5P_DEFAULT) : H5I_INVALID_HID;
    if (c == TG_OK && x < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot reopen %s", f, TG_X);
    int64_t shape[2] = {(int64_t)w->n_albums, (int64_t)w->n_cols};
    if (c == TG_OK)
        c = attr_write(x, "shape", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, shape, f, e);
    if (x >= 0 && H5Gclose(x) < 0 && c == TG_OK)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close %s", f, TG_X);
    return c;
}

tg_code tg_store_writer_finish(tg_store_writer *w, tg_error *e)
{
    tg_code c = w->sticky.code;
    if (c != TG_OK) {
        if (e != NULL)
            *e = w->sticky;
    } else if ((c = flush(w, e)) == TG_OK && (c = write_albums(w, e)) == TG_OK) {
        herr_t rc = H5Dclose(w->indices);
        w->indices = H5I_INVALID_HID;
        if (H5Dclose(w->data) < 0)
            rc = -1;
        w->data = H5I_INVALID_HID;
        /* Closing the file is where HDF5 writes what it cached: it can fail too. */
        if (H5Fclose(w->file) < 0)
            rc = -1;
        w->file = H5I_INVALID_HID;
        if (rc < 0)
            c = tg_h5_fail(e, TG_ERR_IO, "%s: cannot close the file", w->tmp);
    }
    if (c == TG_OK) {
        c = tg_tmp_commit(w->tmp, w->path, e); /* removes the temporary on failure */
        free(w->tmp);
        w->tmp = NULL;
        writer_free(w);
        return c;
    }
    tg_store_writer_abort(w);
    return c;
}
