/* ingest_file.c - writing and reading ingest.h5 (schema in ingest_file.h): rows as five
 * extendible zstd-chunked columns appended a chunk at a time, dictionaries as text. */
#include "ingest_file.h"

#include "file_kind.h"
#include "h5_error.h"
#include "h5_text.h"
#include "h5_props.h"
#include "shuffle.h"
#include "zstd_chunk.h"
#include "zstd_filter.h"

#include <stdlib.h>
#include <string.h>

/* /rows' filters: HDF5's shuffle, then zstd at this level. Row chunks are shuffled and
 * compressed here and written with H5Dwrite_chunk, so the frames must be the ones the
 * pipeline would make: the file is the same bytes as a write through the filters, and
 * any reader (HDF5's shuffle, our filter, the community plugin) decodes it. Why shuffle
 * and level 1 (2026-12-03, synth's report-size rows): the counts are small numbers in
 * 8 bytes and the cities under 2^16 in 4, so shuffled, their zero bytes make runs. At
 * level 3 unshuffled the five columns took 0.06 s of zstd (a sixth of ingest's time
 * beyond the bare parse) for 3.3 MB; shuffled they compress 2-3 times faster, and level
 * 1 is faster again for the same size (2.6 MB at level 1, 2.7 MB at level 3). */
#define ROWS_ZSTD_LEVEL 1

static const char *const col_name[5] = {"album", "day", "city", "nusers", "nstreams"};

/* File and memory types of the five columns, in col_name's order. */
static hid_t col_type(int c)
{
    switch (c) {
    case 0: case 2: return H5T_NATIVE_UINT32;
    case 1: return H5T_NATIVE_INT32;
    default: return H5T_NATIVE_UINT64;
    }
}
static hid_t col_file_type(int c)
{
    switch (c) {
    case 0: case 2: return H5T_STD_U32LE;
    case 1: return H5T_STD_I32LE;
    default: return H5T_STD_U64LE;
    }
}

/* ---- the writer ---- */

struct tg_ingest_writer {
    char *path;
    hid_t file, rows;
    hid_t col[5];
    uint32_t *album, *city;      /* [TG_INGEST_CHUNK_ROWS] pending rows, by column */
    int32_t *day;
    uint64_t *nusers, *nstreams;
    unsigned char *shuffled;     /* [5 * 8 * TG_INGEST_CHUNK_ROWS] the columns, shuffled */
    unsigned char *frames;       /* [5 * frame_cap] a compressed chunk per column */
    size_t frame_cap;
    unsigned threads;            /* compressing a chunk's columns at once */
    size_t nbuf;
    uint64_t n_rows;             /* rows written to the file */
    uint64_t total;              /* rows given */
    uint32_t max_album, max_city;
    uint32_t last_album, last_city;
    int32_t last_day;
};

static void writer_free(tg_ingest_writer *w)
{
    for (int c = 0; c < 5; c++)
        if (w->col[c] >= 0)
            H5Dclose(w->col[c]);
    if (w->rows >= 0)
        H5Gclose(w->rows);
    if (w->file >= 0)
        H5Fclose(w->file);
    free(w->album);
    free(w->city);
    free(w->day);
    free(w->nusers);
    free(w->nstreams);
    free(w->shuffled);
    free(w->frames);
    free(w->path);
    free(w);
}

void tg_ingest_writer_abort(tg_ingest_writer *w)
{
    if (w != NULL)
        writer_free(w);
}

tg_code tg_ingest_writer_open(tg_ingest_writer **out, const char *path, tg_error *e)
{
    *out = NULL;
    tg_ingest_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    w->file = w->rows = H5I_INVALID_HID;
    for (int c = 0; c < 5; c++)
        w->col[c] = H5I_INVALID_HID;
    size_t k = TG_INGEST_CHUNK_ROWS;
    w->path = strdup(path);
    w->album = malloc(k * sizeof *w->album);
    w->city = malloc(k * sizeof *w->city);
    w->day = malloc(k * sizeof *w->day);
    w->nusers = malloc(k * sizeof *w->nusers);
    w->nstreams = malloc(k * sizeof *w->nstreams);
    w->frame_cap = tg_zstd_bound(k * sizeof(uint64_t));
    w->frames = malloc(5 * w->frame_cap);
    w->shuffled = malloc(5 * k * sizeof(uint64_t));
    w->threads = 1;
    if (!w->path || !w->album || !w->city || !w->day || !w->nusers || !w->nstreams ||
        !w->frames || !w->shuffled) {
        writer_free(w);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    tg_code rc = tg_store_register_zstd(e);
    if (rc == TG_OK)
        rc = tg_h5_quiet(e);
    if (rc != TG_OK) {
        writer_free(w);
        return rc;
    }
    w->file = H5Fcreate(path, H5F_ACC_TRUNC, tg_h5_fcpl(), H5P_DEFAULT);
    if (w->file < 0) {
        writer_free(w);
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create the HDF5 file", path);
    }
    w->rows = H5Gcreate2(w->file, "rows", H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT);
    hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = TG_INGEST_CHUNK_ROWS;
    hid_t space = H5Screate_simple(1, &zero, &unlimited);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0)
        H5Pset_obj_track_times(dcpl, 0); /* same inputs, same bytes */
    rc = w->rows < 0 || space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 ||
                 H5Pset_shuffle(dcpl) < 0
             ? tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot set up /rows", path)
             : tg_store_set_zstd(dcpl, ROWS_ZSTD_LEVEL, e);
    for (int c = 0; c < 5 && rc == TG_OK; c++) {
        w->col[c] = H5Dcreate2(w->rows, col_name[c], col_file_type(c), space, H5P_DEFAULT, dcpl,
                               H5P_DEFAULT);
        if (w->col[c] < 0)
            rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create /rows/%s", path, col_name[c]);
    }
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (rc != TG_OK) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return TG_OK;
}

void tg_ingest_writer_threads(tg_ingest_writer *w, unsigned threads)
{
    w->threads = threads < 1 ? 1 : threads > 5 ? 5 : threads;
}

/* Writes the pending rows at the end of each column: one chunk, shuffled and compressed here (by up
 * to w->threads threads, the costliest columns first on synth's data: city, nstreams,
 * nusers, day, album) and written as it is. A short last chunk is padded with zeros,
 * HDF5's fill value, as HDF5 pads an edge chunk before its filter sees it. */
static tg_code flush_rows(tg_ingest_writer *w, tg_error *e)
{
    static const int col_order[5] = {2, 4, 3, 1, 0};
    if (w->nbuf == 0)
        return TG_OK;
    void *col[5] = {w->album, w->day, w->city, w->nusers, w->nstreams};
    const void *src[5];
    size_t bytes[5], size[5], k = TG_INGEST_CHUNK_ROWS;
    for (int i = 0; i < 5; i++) {
        int c = col_order[i];
        size_t elem = c == 0 || c == 2 ? sizeof(uint32_t) : c == 1 ? sizeof(int32_t)
                                                                   : sizeof(uint64_t);
        memset((char *)col[c] + w->nbuf * elem, 0, (k - w->nbuf) * elem);
        unsigned char *dst = w->shuffled + (size_t)i * k * sizeof(uint64_t);
        tg_shuffle(col[c], dst, k, elem);
        src[i] = dst;
        bytes[i] = k * elem;
    }
    size_t bad = 0;
    tg_error ze = {0};
    tg_code rc = tg_zstd_encode_many(src, bytes, 5, ROWS_ZSTD_LEVEL, w->frames, w->frame_cap,
                                     size, w->threads, &bad, "chunk", &ze);
    if (rc != TG_OK)
        return tg_fail(e, rc, "%s: /rows/%s: %s", w->path, col_name[col_order[bad]], ze.msg);
    hsize_t start = w->n_rows, end = w->n_rows + w->nbuf;
    for (int i = 0; i < 5; i++) {
        int c = col_order[i];
        if (H5Dset_extent(w->col[c], &end) < 0 ||
            H5Dwrite_chunk(w->col[c], H5P_DEFAULT, 0, &start, size[i],
                           w->frames + (size_t)i * w->frame_cap) < 0)
            return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write /rows/%s", w->path,
                              col_name[c]);
    }
    w->n_rows += w->nbuf;
    w->nbuf = 0;
    return TG_OK;
}

tg_code tg_ingest_writer_rows(tg_ingest_writer *w, const tg_ingest_row *rows, size_t n,
                              tg_error *e)
{
    for (size_t j = 0; j < n; j++) {
        const tg_ingest_row *r = &rows[j];
        if (w->total > 0) {
            int order = r->album != w->last_album ? (r->album > w->last_album ? 1 : -1)
                        : r->day != w->last_day   ? (r->day > w->last_day ? 1 : -1)
                        : r->city != w->last_city ? (r->city > w->last_city ? 1 : -1)
                                                  : 0;
            if (order <= 0)
                return tg_fail(e, TG_ERR_FORMAT, "%s: row %llu out of order or repeated",
                               w->path, (unsigned long long)w->total);
        }
        w->last_album = r->album;
        w->last_day = r->day;
        w->last_city = r->city;
        if (w->total == 0 || r->album > w->max_album)
            w->max_album = r->album;
        if (w->total == 0 || r->city > w->max_city)
            w->max_city = r->city;
        w->total++;
        size_t i = w->nbuf++;
        w->album[i] = r->album;
        w->day[i] = r->day;
        w->city[i] = r->city;
        w->nusers[i] = r->nusers;
        w->nstreams[i] = r->nstreams;
        if (w->nbuf == TG_INGEST_CHUNK_ROWS) {
            tg_code rc = flush_rows(w, e);
            if (rc != TG_OK)
                return rc;
        }
    }
    return TG_OK;
}

tg_code tg_ingest_writer_row(tg_ingest_writer *w, uint32_t album, int32_t day, uint32_t city,
                             uint64_t nusers, uint64_t nstreams, tg_error *e)
{
    tg_ingest_row r = {album, day, city, 0, nusers, nstreams};
    return tg_ingest_writer_rows(w, &r, 1, e);
}

/* A 1-D dataset of n elements, contiguous (small: dictionaries and counters). */
static tg_code write_array(hid_t loc, const char *path, const char *name, hid_t file_type,
                           hid_t mem_type, size_t n, const void *data, tg_error *e)
{
    hsize_t dim = n;
    hid_t space = H5Screate_simple(1, &dim, NULL);
    hid_t d = space < 0 ? H5I_INVALID_HID
                        : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, tg_h5_dcpl(),
                                     H5P_DEFAULT);
    tg_code rc = TG_OK;
    if (d < 0 || (n > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write %s", path, name);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* strs[i] are NUL-terminated copies of l's strings in one block (caller frees both). */
static tg_code c_strings(const tg_text_list *l, char ***strs, char **block, tg_error *e)
{
    size_t bytes = (l->n > 0 ? l->off[l->n] : 0) + l->n + 1;
    *strs = malloc((l->n + 1) * sizeof **strs);
    *block = malloc(bytes);
    if (*strs == NULL || *block == NULL) {
        free(*strs);
        free(*block);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (text of %zu strings)", l->n);
    }
    char *p = *block;
    for (size_t i = 0; i < l->n; i++) {
        size_t len = l->off[i + 1] - l->off[i];
        memcpy(p, l->arena + l->off[i], len);
        p[len] = '\0';
        (*strs)[i] = p;
        p += len + 1;
    }
    return TG_OK;
}

static tg_code write_text(hid_t loc, const char *path, const char *name, const tg_text_list *l,
                          tg_error *e)
{
    char **strs, *block;
    tg_code rc = c_strings(l, &strs, &block, e);
    if (rc != TG_OK)
        return rc;
    hid_t t = tg_h5_utf8_type();
    rc = t < 0 ? tg_h5_fail(e, TG_ERR_LIBRARY, "%s: string type", path)
               : write_array(loc, path, name, t, t, l->n, strs, e);
    if (t >= 0)
        H5Tclose(t);
    free(strs);
    free(block);
    return rc;
}

static tg_code write_attr(hid_t loc, const char *path, const char *name, hid_t type,
                          const void *value, tg_error *e)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? H5I_INVALID_HID
                        : H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    tg_code rc = TG_OK;
    if (a < 0 || H5Awrite(a, type, value) < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot write attribute %s", path, name);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static tg_code write_attr_text(hid_t loc, const char *path, const char *name, const char *s,
                               tg_error *e)
{
    hid_t t = tg_h5_utf8_type();
    if (t < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: string type", path);
    tg_code rc = write_attr(loc, path, name, t, &s, e);
    H5Tclose(t);
    return rc;
}

static tg_code write_meta(tg_ingest_writer *w, const tg_ingest_meta *m, tg_error *e)
{
    const char *p = w->path;
    size_t A = m->album_ids.n;
    if (w->total > 0 && (w->max_album >= A || w->max_city >= m->cities.n))
        return tg_fail(e, TG_ERR_FORMAT, "%s: rows name album %u or city %u, out of %zu, %zu",
                       p, w->max_album, w->max_city, A, m->cities.n);
    hid_t g[4] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID};
    const char *gname[4] = {"albums", "genres", "cities", "counters"};
    tg_code rc = TG_OK;
    for (int i = 0; i < 4 && rc == TG_OK; i++)
        if ((g[i] = H5Gcreate2(w->file, gname[i], H5P_DEFAULT, tg_h5_gcpl(), H5P_DEFAULT)) < 0)
            rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot create /%s", p, gname[i]);
    if (rc == TG_OK)
        rc = write_text(g[0], p, "id", &m->album_ids, e);
    if (rc == TG_OK)
        rc = write_array(g[0], p, "release_day", H5T_STD_I32LE, H5T_NATIVE_INT32, A,
                         m->release_day, e);
    if (rc == TG_OK)
        rc = write_array(g[0], p, "genre_indptr", H5T_STD_I64LE, H5T_NATIVE_INT64, A + 1,
                         m->genre_indptr, e);
    if (rc == TG_OK)
        rc = write_array(g[0], p, "genre_indices", H5T_STD_I32LE, H5T_NATIVE_INT32,
                         (size_t)m->genre_indptr[A], m->genre_indices, e);
    if (rc == TG_OK)
        rc = write_text(g[1], p, "name", &m->genres, e);
    if (rc == TG_OK)
        rc = write_text(g[2], p, "name", &m->cities, e);
    if (rc == TG_OK) {
        hid_t t = tg_h5_utf8_type();
        rc = t < 0 ? tg_h5_fail(e, TG_ERR_LIBRARY, "%s: string type", p)
                   : write_array(g[3], p, "name", t, t, m->n_counters, m->counter_names, e);
        if (t >= 0)
            H5Tclose(t);
    }
    if (rc == TG_OK)
        rc = write_array(g[3], p, "value", H5T_STD_U64LE, H5T_NATIVE_UINT64, m->n_counters,
                         m->counter_values, e);
    for (int i = 0; i < 4; i++)
        if (g[i] >= 0)
            H5Gclose(g[i]);
    int32_t version = TG_INGEST_SCHEMA;
    if (rc == TG_OK)
        rc = write_attr_text(w->file, p, "tracegenre_file", "ingest", e);
    if (rc == TG_OK)
        rc = write_attr(w->file, p, "schema_version", H5T_NATIVE_INT32, &version, e);
    if (rc == TG_OK)
        rc = write_attr_text(w->file, p, "day_epoch", "1970-01-01", e);
    if (rc == TG_OK)
        rc = write_attr_text(w->file, p, "provenance", m->provenance, e);
    return rc;
}

tg_code tg_ingest_writer_finish(tg_ingest_writer *w, const tg_ingest_meta *m, tg_error *e)
{
    tg_code rc = flush_rows(w, e);
    if (rc == TG_OK)
        rc = write_meta(w, m, e);
    for (int c = 0; c < 5; c++) {
        if (H5Dclose(w->col[c]) < 0 && rc == TG_OK)
            rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: closing /rows/%s", w->path, col_name[c]);
        w->col[c] = H5I_INVALID_HID;
    }
    if (H5Gclose(w->rows) < 0 && rc == TG_OK)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: closing /rows", w->path);
    w->rows = H5I_INVALID_HID;
    /* the close flushes the last chunks: its failure is a failed write */
    if (H5Fclose(w->file) < 0 && rc == TG_OK)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: cannot close (flush) the file", w->path);
    w->file = H5I_INVALID_HID;
    writer_free(w);
    return rc;
}

/* ---- the reader ---- */

/* Opens dataset name of loc, checks it is 1-D of type class cls; sets *n. */
static tg_code open_1d(hid_t loc, const char *path, const char *name, H5T_class_t cls,
                       hid_t *d, uint64_t *n, tg_error *e)
{
    *d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (*d < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: no dataset %s (not an ingest file?)", path,
                          name);
    hid_t s = H5Dget_space(*d), t = H5Dget_type(*d);
    hsize_t dim = 0;
    int ok = s >= 0 && t >= 0 && H5Sget_simple_extent_ndims(s) == 1 &&
             H5Sget_simple_extent_dims(s, &dim, NULL) == 1 && H5Tget_class(t) == cls;
    if (ok && cls == H5T_STRING)
        ok = H5Tis_variable_str(t) > 0;
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (!ok) {
        H5Dclose(*d);
        *d = H5I_INVALID_HID;
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: %s is not a 1-D array of the expected type",
                          path, name);
    }
    *n = dim;
    return TG_OK;
}

/* Reads a whole 1-D numeric dataset of expected length (SIZE_MAX: any) into *out. */
static tg_code read_array(hid_t loc, const char *path, const char *name, hid_t mem_type,
                          H5T_class_t cls, size_t elsize, size_t expect, void **out, size_t *n,
                          tg_error *e)
{
    hid_t d;
    uint64_t len = 0;
    tg_code rc = open_1d(loc, path, name, cls, &d, &len, e);
    if (rc != TG_OK)
        return rc;
    if (expect != SIZE_MAX && len != expect) {
        H5Dclose(d);
        return tg_fail(e, TG_ERR_FORMAT, "%s: %s has %llu elements, not %zu", path, name,
                       (unsigned long long)len, expect);
    }
    *out = malloc(len > 0 ? len * elsize : 1);
    if (*out == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory reading %s", path, name);
    else if (len > 0 && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: cannot read %s", path, name);
    H5Dclose(d);
    if (n != NULL)
        *n = len;
    return rc;
}

/* Reads a text dataset into n malloc'd NUL-terminated strings. */
static tg_code read_text(hid_t loc, const char *path, const char *name, size_t expect,
                         char ***out, size_t *n, tg_error *e)
{
    hid_t t = tg_h5_utf8_type();
    if (t < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "%s: string type", path);
    char **raw = NULL;
    size_t len = 0;
    tg_code rc = read_array(loc, path, name, t, H5T_STRING, sizeof(char *), expect,
                            (void **)&raw, &len, e);
    if (rc == TG_OK) {
        *out = calloc(len + 1, sizeof **out);
        if (*out == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory reading %s", path, name);
        for (size_t i = 0; i < len && rc == TG_OK; i++)
            if (((*out)[i] = strdup(raw[i] != NULL ? raw[i] : "")) == NULL)
                rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory reading %s", path, name);
        /* HDF5 allocated each string: give them back */
        for (size_t i = 0; i < len; i++)
            H5free_memory(raw[i]);
        *n = len;
    }
    free(raw);
    H5Tclose(t);
    return rc;
}

void tg_ingest_file_close(tg_ingest_file *f)
{
    for (int c = 0; c < 5; c++)
        if (f->col[c] > 0)
            H5Dclose(f->col[c]);
    if (f->file > 0)
        H5Fclose(f->file);
    tg_h5_free_strings(f->album_id, f->n_albums);
    tg_h5_free_strings(f->genre, f->n_genres);
    tg_h5_free_strings(f->city, f->n_cities);
    tg_h5_free_strings(f->counter_name, f->n_counters);
    free(f->release_day);
    free(f->genre_indptr);
    free(f->genre_indices);
    free(f->counter_value);
    free(f->provenance);
    memset(f, 0, sizeof *f);
}

/* Reads a text attribute of loc into a malloc'd string. */
static tg_code read_attr_text(hid_t loc, const char *path, const char *name, char **out,
                              tg_error *e)
{
    *out = NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return tg_h5_fail(e, TG_ERR_FORMAT, "%s: no attribute %s (not an ingest file?)", path,
                          name);
    hid_t ft = H5Aget_type(a), t = tg_h5_utf8_type();
    char *s = NULL;
    tg_code rc = TG_OK;
    if (ft < 0 || t < 0 || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0 ||
        H5Aread(a, t, &s) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: attribute %s is not a text", path, name);
    else if ((*out = strdup(s != NULL ? s : "")) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    if (s != NULL)
        H5free_memory(s);
    if (t >= 0)
        H5Tclose(t);
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

/* Checks the root's file name and schema version. */
static tg_code check_schema(hid_t file, const char *path, tg_error *e)
{
    char *kind = NULL;
    tg_code rc = read_attr_text(file, path, "tracegenre_file", &kind, e);
    if (rc == TG_OK && strcmp(kind, "ingest") != 0)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: a tracegenre '%s' file, not an ingest file", path,
                     kind);
    free(kind);
    if (rc != TG_OK)
        return rc;
    int32_t v = -1;
    hid_t a = H5Aopen(file, "schema_version", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_INT32, &v) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: no schema_version", path);
    else if (v != TG_INGEST_SCHEMA)
        rc = tg_fail(e, TG_ERR_FORMAT,
                     "%s: schema version %d, this program reads %d: rerun ingest (--force)",
                     path, (int)v, TG_INGEST_SCHEMA);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

static tg_code open_file(const char *path, hid_t *file, tg_error *e)
{
    tg_code rc = tg_store_register_zstd(e);
    if (rc == TG_OK)
        rc = tg_h5_open_input(path, TG_FILE_INGEST, file, e);
    if (rc != TG_OK)
        return rc;
    rc = check_schema(*file, path, e);
    if (rc != TG_OK) {
        H5Fclose(*file);
        *file = H5I_INVALID_HID;
    }
    return rc;
}

tg_code tg_ingest_file_provenance(const char *path, char **text, tg_error *e)
{
    hid_t file;
    tg_code rc = open_file(path, &file, e);
    if (rc != TG_OK)
        return rc;
    rc = read_attr_text(file, path, "provenance", text, e);
    H5Fclose(file);
    return rc;
}

tg_code tg_ingest_file_open(tg_ingest_file *f, const char *path, tg_error *e)
{
    memset(f, 0, sizeof *f);
    tg_code rc = open_file(path, &f->file, e);
    if (rc != TG_OK) {
        memset(f, 0, sizeof *f);
        return rc;
    }
    rc = read_attr_text(f->file, path, "provenance", &f->provenance, e);
    size_t n_ind = 0;
    if (rc == TG_OK)
        rc = read_text(f->file, path, "albums/id", SIZE_MAX, &f->album_id, &f->n_albums, e);
    if (rc == TG_OK)
        rc = read_array(f->file, path, "albums/release_day", H5T_NATIVE_INT32, H5T_INTEGER,
                        sizeof(int32_t), f->n_albums, (void **)&f->release_day, NULL, e);
    if (rc == TG_OK)
        rc = read_array(f->file, path, "albums/genre_indptr", H5T_NATIVE_INT64, H5T_INTEGER,
                        sizeof(int64_t), f->n_albums + 1, (void **)&f->genre_indptr, NULL, e);
    if (rc == TG_OK)
        rc = read_array(f->file, path, "albums/genre_indices", H5T_NATIVE_INT32, H5T_INTEGER,
                        sizeof(int32_t), SIZE_MAX, (void **)&f->genre_indices, &n_ind, e);
    if (rc == TG_OK)
        rc = read_text(f->file, path, "genres/name", SIZE_MAX, &f->genre, &f->n_genres, e);
    if (rc == TG_OK)
        rc = read_text(f->file, path, "cities/name", SIZE_MAX, &f->city, &f->n_cities, e);
    if (rc == TG_OK)
        rc = read_text(f->file, path, "counters/name", SIZE_MAX, &f->counter_name,
                       &f->n_counters, e);
    if (rc == TG_OK)
        rc = read_array(f->file, path, "counters/value", H5T_NATIVE_UINT64, H5T_INTEGER,
                        sizeof(uint64_t), f->n_counters, (void **)&f->counter_value, NULL, e);
    /* the genre CSR: starts at 0, never decreases, ends at its length, indices < G */
    if (rc == TG_OK) {
        int ok = f->genre_indptr[0] == 0 && f->genre_indptr[f->n_albums] == (int64_t)n_ind;
        for (size_t a = 0; ok && a < f->n_albums; a++)
            ok = f->genre_indptr[a] <= f->genre_indptr[a + 1];
        for (size_t i = 0; ok && i < n_ind; i++)
            ok = f->genre_indices[i] >= 0 && (size_t)f->genre_indices[i] < f->n_genres;
        if (!ok)
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: damaged album genres (genre_indptr/indices)",
                         path);
    }
    for (int c = 0; c < 5 && rc == TG_OK; c++) {
        char name[32];
        uint64_t len = 0;
        snprintf(name, sizeof name, "rows/%s", col_name[c]);
        rc = open_1d(f->file, path, name, H5T_INTEGER, &f->col[c], &len, e);
        if (rc == TG_OK && c > 0 && len != f->n_rows)
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: /rows columns differ in length", path);
        f->n_rows = len;
    }
    if (rc != TG_OK)
        tg_ingest_file_close(f);
    return rc;
}

tg_code tg_ingest_file_rows(tg_ingest_file *f, uint64_t start, size_t n, uint32_t *album,
                            int32_t *day, uint32_t *city, uint64_t *nusers, uint64_t *nstreams,
                            tg_error *e)
{
    if (start > f->n_rows || n > f->n_rows - start)
        return tg_fail(e, TG_ERR_LIMIT, "rows %llu..%llu past the end (%llu)",
                       (unsigned long long)start, (unsigned long long)(start + n),
                       (unsigned long long)f->n_rows);
    if (n == 0)
        return TG_OK;
    /* the key columns are needed for the checks even when the caller skips them */
    uint32_t *ka = album, *kc = city;
    int32_t *kd = day;
    uint32_t *own = NULL;
    if (ka == NULL || kc == NULL || kd == NULL) {
        own = malloc(3 * n * sizeof *own);
        if (own == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory reading rows");
        if (ka == NULL)
            ka = own;
        if (kc == NULL)
            kc = own + n;
        if (kd == NULL)
            kd = (int32_t *)(own + 2 * n);
    }
    void *dst[5] = {ka, kd, kc, nusers, nstreams};
    hsize_t s = start, cnt = n;
    hid_t mem = H5Screate_simple(1, &cnt, NULL);
    tg_code rc = mem < 0 ? tg_h5_fail(e, TG_ERR_LIBRARY, "dataspace") : TG_OK;
    for (int c = 0; c < 5 && rc == TG_OK; c++) {
        if (dst[c] == NULL)
            continue;
        hid_t fs = H5Dget_space(f->col[c]);
        if (fs < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &s, NULL, &cnt, NULL) < 0 ||
            H5Dread(f->col[c], col_type(c), mem, fs, H5P_DEFAULT, dst[c]) < 0)
            rc = tg_h5_fail(e, TG_ERR_FORMAT, "cannot read /rows/%s %llu..%llu", col_name[c],
                            (unsigned long long)start, (unsigned long long)(start + n));
        if (fs >= 0)
            H5Sclose(fs);
    }
    if (mem >= 0)
        H5Sclose(mem);
    int in_order = start == f->next_row;
    for (size_t i = 0; i < n && rc == TG_OK; i++) {
        /* day biased so that one unsigned comparison orders it */
        uint32_t key[3] = {ka[i], (uint32_t)kd[i] ^ 0x80000000u, kc[i]};
        if (ka[i] >= f->n_albums || kc[i] >= f->n_cities)
            rc = tg_fail(e, TG_ERR_FORMAT, "row %llu: album %u or city %u out of range",
                         (unsigned long long)(start + i), ka[i], kc[i]);
        else if (in_order && start + i > 0 &&
                 !(key[0] > f->last_key[0] ||
                   (key[0] == f->last_key[0] &&
                    (key[1] > f->last_key[1] ||
                     (key[1] == f->last_key[1] && key[2] > f->last_key[2])))))
            rc = tg_fail(e, TG_ERR_FORMAT, "row %llu: not sorted by (album, day, city)",
                         (unsigned long long)(start + i));
        memcpy(f->last_key, key, sizeof key);
    }
    if (rc == TG_OK && in_order)
        f->next_row = start + n;
    free(own);
    return rc;
}

int tg_ingest_file_counter(const tg_ingest_file *f, const char *name, uint64_t *value)
{
    for (size_t i = 0; i < f->n_counters; i++)
        if (strcmp(f->counter_name[i], name) == 0) {
            *value = f->counter_value[i];
            return 0;
        }
    return -1;
}
