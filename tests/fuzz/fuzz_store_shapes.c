/* fuzz_store_shapes.c - structure-aware libFuzzer target for the store reader: the input
 * bytes are decoded into a store's contents (sizes, attributes, indptr, indices,
 * values, labels, names, dtypes, chunk sizes, filters, missing datasets, and raw or
 * bomb-like chunks written directly), written by HDF5 itself as a syntactically valid
 * file, then opened, validated and read album by album through HDF5 and the loader
 * (store_check.h). So every input reaches OUR validation, not HDF5's metadata parser
 * (which fuzz_store mutates, and which has crashes of its own we cannot fix). */
#include "fuzz.h"
#include "schema.h"
#include "store_check.h"
#include "zstd_filter.h"
#include "h5_error.h"

#include <hdf5.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

/* The input, read front to back; past its end every byte reads as 0, which decodes to
 * a small valid store, so short inputs are meaningful. */
typedef struct {
    const uint8_t *p;
    size_t n, at;
} cursor;

static unsigned u8(cursor *c) { return c->at < c->n ? c->p[c->at++] : 0; }
static uint64_t u64(cursor *c, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)u8(c) << (8 * i);
    return v;
}
/* Mostly the sane value; sometimes (when the next byte says so) a hostile one. */
static int hostile(cursor *c) { return u8(c) >= 0xF0; }

enum { MAX_A = 8, MAX_NNZ = 512 };

static hid_t int_type(unsigned pick, hid_t sane)
{
    if (pick < 0xF0)
        return sane;
    /* HDF5's type ids are variables set at library start, not constants */
    hid_t alts[] = {H5T_STD_I32LE, H5T_STD_U32LE, H5T_STD_I64LE, H5T_STD_U64LE,
                    H5T_STD_I32BE, H5T_STD_U8LE, H5T_IEEE_F32LE, H5T_STD_I16LE};
    return alts[pick % 8];
}

static void put_attr_int(hid_t obj, const char *name, hid_t type, const int64_t *v, hsize_t n)
{
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        (void)H5Awrite(a, H5T_NATIVE_INT64, v);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

static void put_attr_text(hid_t obj, const char *name, const char *text)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        (void)H5Awrite(a, t, &text);
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

/* A short name from the input: 0..3 bytes, so names can be empty or odd. */
static void name_from(cursor *c, char out[8], const char *prefix, size_t i)
{
    unsigned len = u8(c) % 4;
    if (len == 0) {
        snprintf(out, 8, "%s%zu", prefix, i);
        return;
    }
    for (unsigned k = 0; k < len; k++)
        out[k] = (char)('a' + u8(c) % 26);
    out[len] = '\0';
}

static void put_strings(hid_t f, const char *path, size_t n, cursor *c, const char *prefix)
{
    char names[MAX_A + 8][8];
    const char *ptrs[MAX_A + 8];
    if (n > MAX_A + 8)
        n = MAX_A + 8;
    for (size_t i = 0; i < n; i++) {
        name_from(c, names[i], prefix, i);
        ptrs[i] = names[i];
    }
    hsize_t dim = n;
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate_simple(1, &dim, NULL);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t d = H5Dcreate2(f, path, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0) {
        if (n > 0)
            (void)H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

/* A 1-D dataset of n elements stored as ftype, written from native int64 values. */
static hid_t put_ints(hid_t f, const char *path, hid_t ftype, const int64_t *v, hsize_t n, hid_t dcpl)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, path, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d >= 0 && n > 0) {
        /* HDF5 converts; out-of-range values are clipped by it, which is fine here */
        (void)H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    }
    H5Sclose(sp);
    return d;
}

/* The chunked, filtered /x/indices or /x/data, and sometimes one chunk replaced by raw
 * bytes or by a zstd frame that decodes to far more than a chunk holds. */
static void put_entries(hid_t f, const char *path, hid_t ftype, const int64_t *v, hsize_t n, hsize_t chunk,
                        cursor *c)
{
    hsize_t maxdim = H5S_UNLIMITED;
    unsigned filters = hostile(c) ? u8(c) : 0;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (filters & 1)
        H5Pset_fletcher32(dcpl); /* a pipeline the loader cannot undo: refused */
    if (!(filters & 2))
        H5Pset_shuffle(dcpl);
    tg_error e = {0};
    if (!(filters & 4))
        (void)tg_store_set_zstd(dcpl, 1, &e);
    if (filters & 8)
        H5Pset_deflate(dcpl, 1);
    hid_t sp = H5Screate_simple(1, &n, &maxdim);
    hid_t d = H5Dcreate2(f, path, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Sclose(sp);
    H5Pclose(dcpl);
    if (d < 0)
        return;
    if (n > 0)
        (void)H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    unsigned mode = hostile(c) ? 1 + u8(c) % 2 : 0;
    if (n > 0 && (mode == 1 || mode == 2)) {
        hsize_t at = u8(c) % ((n + chunk - 1) / chunk) * chunk;
        uint8_t raw[512];
        size_t len;
        if (mode == 1) { /* raw bytes from the input, any filter mask */
            len = u8(c) % sizeof raw;
            for (size_t i = 0; i < len; i++)
                raw[i] = (uint8_t)u8(c);
        } else { /* a bomb: a frame of up to 4 MiB of one byte, content size declared */
            size_t big = ((size_t)u8(c) + 1) << 14;
            uint8_t *plain = calloc(big, 1);
            FUZZ_ASSERT(plain != NULL);
            len = ZSTD_compress(raw, sizeof raw, plain, big, 1);
            free(plain);
            FUZZ_ASSERT(!ZSTD_isError(len));
        }
        (void)H5Dwrite_chunk(d, H5P_DEFAULT, mode == 1 ? u8(c) % 4 : 0, &at, len, raw);
    }
    H5Dclose(d);
}

static void write_store(hid_t f, cursor *c)
{
    size_t A = u8(c) % (MAX_A + 1), C = 1 + u8(c) % 4, G = 1 + u8(c) % 3, D = u8(c) % 3;
    int64_t steps = 1 + u8(c) % 4;
    unsigned skip = hostile(c) ? u8(c) % 16 : 99; /* which dataset to leave out, if < 12 */
    int64_t v;

    v = hostile(c) ? (int64_t)u64(c, 8) : TG_STORE_SCHEMA_VERSION;
    put_attr_int(f, "schema_version", int_type(u8(c), H5T_STD_I32LE), &v, 1);
    v = hostile(c) ? (int64_t)u64(c, 8) : steps;
    put_attr_int(f, "steps", int_type(u8(c), H5T_STD_I32LE), &v, 1);
    v = hostile(c) ? (int64_t)u64(c, 8) : 358;
    put_attr_int(f, "window_days", H5T_STD_I32LE, &v, 1);
    v = (int64_t)u64(c, 1);
    put_attr_int(f, "split_seed", hostile(c) ? H5T_STD_I8LE : H5T_STD_U64LE, &v, 1);
    put_attr_text(f, "value_field", hostile(c) ? "nothing" : "nusers");
    if (!hostile(c))
        put_attr_text(f, "provenance", "fuzz");

    hid_t g;
    const char *groups[] = {TG_X, TG_ALBUMS, TG_GENRES, TG_CITIES};
    for (int i = 0; i < 4; i++)
        if ((g = H5Gcreate2(f, groups[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
            H5Gclose(g);

    /* /x attributes: shape [A, steps * C], sometimes anything */
    if ((g = H5Gopen2(f, TG_X, H5P_DEFAULT)) >= 0) {
        put_attr_text(g, "encoding-type", hostile(c) ? "csc_matrix" : TG_CSR_ENCODING);
        put_attr_text(g, "encoding-version", TG_CSR_VERSION);
        int64_t shape[3] = {(int64_t)A, steps * (int64_t)C, 0}; /* a third value when hostile */
        if (hostile(c))
            shape[0] = (int64_t)u64(c, 8);
        if (hostile(c))
            shape[1] = (int64_t)u64(c, 8);
        put_attr_int(g, "shape", H5T_STD_I64LE, shape, hostile(c) ? 3 : 2);
        H5Gclose(g);
    }

    /* indptr from per-album lengths of at most a row's columns, then perhaps one value
     * replaced or the length changed */
    int64_t cols = steps * (int64_t)C;
    int64_t indptr[MAX_A + 2] = {0};
    for (size_t a = 0; a < A; a++)
        indptr[a + 1] = indptr[a] + u8(c) % (cols + 1);
    size_t n_ptr = A + 1;
    if (hostile(c))
        indptr[u8(c) % (A + 1)] = (int64_t)u64(c, 8);
    if (hostile(c))
        n_ptr = u8(c) % (MAX_A + 2);
    uint64_t nnz = indptr[A] >= 0 && indptr[A] <= MAX_NNZ ? (uint64_t)indptr[A] : u8(c);
    if (hostile(c))
        nnz = u8(c);

    /* indices: strictly increasing columns within each row, skipping some while there is
     * room; sometimes any int32 */
    static int64_t idx[MAX_NNZ], val[MAX_NNZ];
    for (size_t a = 0, k = 0; k < nnz; a++) {
        uint64_t end = nnz;
        if (a < A && indptr[a + 1] >= 0 && (uint64_t)indptr[a + 1] <= nnz)
            end = (uint64_t)indptr[a + 1];
        int64_t col = 0;
        for (; k < end || (a >= A && k < nnz); k++) {
            int64_t left = (int64_t)(end - k);
            if (col + left < cols && u8(c) % 2)
                col++; /* skip a column */
            idx[k] = hostile(c) ? (int32_t)u64(c, 4) : col;
            col++;
            val[k] = (int64_t)u64(c, 1);
        }
    }
    unsigned skipped = skip;
    hid_t d;
    if (skipped != 0 && (d = put_ints(f, TG_X_INDPTR, int_type(u8(c), H5T_STD_I64LE), indptr, n_ptr, H5P_DEFAULT)) >= 0)
        H5Dclose(d);
    static const hsize_t chunks[] = {1, 2, 3, 5, 8, 16, 64, 256};
    hsize_t chunk = chunks[u8(c) % 8];
    if (skipped != 1)
        put_entries(f, TG_X_INDICES, int_type(u8(c), H5T_STD_I32LE), idx, nnz, chunk, c);
    if (skipped != 2)
        put_entries(f, TG_X_DATA, int_type(u8(c), H5T_STD_U32LE), val, nnz,
                    hostile(c) ? chunks[u8(c) % 8] : chunk, c);

    /* albums: split 0..2 and labels consistent with it, unless hostile */
    static int64_t split[MAX_A], release[MAX_A], labels[MAX_A * 3];
    for (size_t a = 0; a < A; a++) {
        split[a] = hostile(c) ? u8(c) : u8(c) % 3;
        release[a] = (int64_t)(int16_t)u64(c, 2);
        for (size_t k = 0; k < G; k++)
            labels[a * G + k] = split[a] == 2 ? 0 : (k == 0 || u8(c) % 2);
        if (hostile(c))
            labels[a * G + u8(c) % G] = u8(c);
    }
    if (skipped != 3)
        put_strings(f, TG_ALBUMS_ID, hostile(c) ? u8(c) % (MAX_A + 2) : A, c, "a");
    if (skipped != 4 && (d = put_ints(f, TG_ALBUMS_RELEASE, int_type(u8(c), H5T_STD_I32LE), release, A, H5P_DEFAULT)) >= 0)
        H5Dclose(d);
    if (skipped != 5 && (d = put_ints(f, TG_ALBUMS_SPLIT, int_type(u8(c), H5T_STD_U8LE), split, A, H5P_DEFAULT)) >= 0)
        H5Dclose(d);
    if (skipped != 6) {
        hsize_t dims[2] = {A, hostile(c) ? u8(c) % 5 : G};
        hid_t sp = H5Screate_simple(2, dims, NULL);
        d = H5Dcreate2(f, TG_ALBUMS_LABELS, int_type(u8(c), H5T_STD_U8LE), sp, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
        if (d >= 0) {
            if (dims[0] * dims[1] > 0 && dims[1] <= G)
                (void)H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels);
            H5Dclose(d);
        }
        H5Sclose(sp);
    }

    static int64_t counts[8];
    for (size_t k = 0; k < 8; k++)
        counts[k] = u8(c);
    if (skipped != 7)
        put_strings(f, TG_GENRES_NAME, hostile(c) ? u8(c) % 4 : G, c, "g");
    if (skipped != 8 && (d = put_ints(f, TG_GENRES_COUNT, int_type(u8(c), H5T_STD_U32LE), counts, G, H5P_DEFAULT)) >= 0)
        H5Dclose(d);
    if (skipped != 9)
        put_strings(f, TG_GENRES_DROPPED_NAME, D, c, "d");
    if (skipped != 10 && (d = put_ints(f, TG_GENRES_DROPPED_COUNT, H5T_STD_U32LE, counts, D, H5P_DEFAULT)) >= 0)
        H5Dclose(d);
    if (skipped != 11)
        put_strings(f, TG_CITIES_NAME, hostile(c) ? u8(c) % 6 : C, c, "c");
    if (u8(c) % 2) { /* optional /counters */
        if ((g = H5Gcreate2(f, TG_COUNTERS, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
            H5Gclose(g);
        size_t K = u8(c) % 4;
        put_strings(f, TG_COUNTERS_NAME, K, c, "k");
        if ((d = put_ints(f, TG_COUNTERS_VALUE, int_type(u8(c), H5T_STD_U64LE), counts, hostile(c) ? K + 1 : K,
                          H5P_DEFAULT)) >= 0)
            H5Dclose(d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    tg_error e = {0};
    if (!ready) {
        FUZZ_ASSERT(tg_h5_quiet(&e) == TG_OK && tg_store_register_zstd(&e) == TG_OK);
        ready = 1;
    }
    char path[64];
    fuzz_tmpfile(NULL, 0, path);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    FUZZ_ASSERT(f >= 0);
    cursor c = {data, size, 0};
    write_store(f, &c);
    FUZZ_ASSERT(H5Fclose(f) >= 0);
    (void)fuzz_store_check(path);
    unlink(path);
    return 0;
}
