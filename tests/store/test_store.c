/* test_store.c - store.h5 written and read back: every field, ranges, the chunk layout
 * decoded by hand against what HDF5 reads, the writer's atomic output and its refusals,
 * and each kind of damage refused at open with its own clear message. */
#include "random_store.h"

#include "h5_error.h"
#include "store.h"
#include "zstd_filter.h"

#include <criterion/criterion.h>
#include <hdf5.h>
#include <zstd.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], path[128];
static rstore R;

#define CHUNK 64

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-store2-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/store.h5", dir);
    tg_error e = {0};
    cr_assert_eq(tg_h5_quiet(&e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
    /* 40 albums, 7 cities, 11 steps, 5 genres: album 1 alone fills several chunks. */
    rstore_make(&R, 7, 40, 7, 11, 5);
    cr_assert_eq(rstore_write(&R, path, CHUNK, &e), TG_OK, "%s", e.msg);
}

static void teardown(void)
{
    rstore_free(&R);
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[sizeof dir + sizeof de->d_name + 1];
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

static size_t files_in_dir(void)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

Test(store, round_trip_every_field)
{
    tg_error e = {0};
    tg_store *s;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    size_t nnz = (size_t)R.indptr[R.A];
    cr_assert_gt(nnz, 3 * CHUNK, "the store should span several chunks");
    cr_assert_neq(nnz % CHUNK, 0, "the last chunk should be partial");
    cr_assert_eq(s->n_albums, R.A);
    cr_assert_eq(s->n_genres, R.G);
    cr_assert_eq(s->n_cities, R.C);
    cr_assert_eq(s->n_dropped, R.D);
    cr_assert_eq(s->steps, R.steps);
    cr_assert_eq(s->window_days, R.steps * 2);
    cr_assert_eq(s->n_cols, (uint64_t)R.steps * R.C);
    cr_assert_eq(s->nnz, nnz);
    cr_assert_eq(s->split_seed, 0xfedcba9876543210u);
    cr_assert_str_eq(s->value_field, "nusers");
    cr_assert_str_eq(s->provenance, "tracegenre-provenance 1\nprogram test 0\n");
    for (size_t a = 0; a < R.A; a++) {
        cr_assert_str_eq(s->album_ids[a], R.ids[a]);
        cr_assert_eq(s->release_day[a], R.release[a]);
        cr_assert_eq(s->split[a], R.split[a]);
        cr_assert_eq(memcmp(s->labels + a * R.G, R.labels + a * R.G, R.G), 0, "labels of %zu", a);
        cr_assert_eq(tg_store_find_album(s, R.ids[a]), (long)a);
    }
    cr_assert_eq(tg_store_find_album(s, "no such album"), -1);
    cr_assert_eq(memcmp(s->indptr, R.indptr, (R.A + 1) * sizeof *R.indptr), 0);
    for (size_t g = 0; g < R.G; g++) {
        cr_assert_str_eq(s->genre_names[g], R.genres[g]);
        cr_assert_eq(s->genre_counts[g], R.genre_counts[g]);
    }
    for (size_t g = 0; g < R.D; g++) {
        cr_assert_str_eq(s->dropped_names[g], R.dropped[g]);
        cr_assert_eq(s->dropped_counts[g], R.dropped_counts[g]);
    }
    for (size_t c = 0; c < R.C; c++)
        cr_assert_str_eq(s->city_names[c], R.cities[c]);

    int32_t *idx = malloc(nnz * sizeof *idx);
    uint32_t *val = malloc(nnz * sizeof *val);
    cr_assert_eq(tg_store_read(s, 0, nnz, idx, val, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(memcmp(idx, R.indices, nnz * sizeof *idx), 0);
    cr_assert_eq(memcmp(val, R.data, nnz * sizeof *val), 0);
    /* Album by album, as the loader reads them; empty rows read nothing. */
    for (size_t a = 0; a < R.A; a++) {
        size_t first = (size_t)s->indptr[a], n = (size_t)(s->indptr[a + 1] - s->indptr[a]);
        cr_assert_eq(tg_store_read(s, first, n, idx, NULL, &e), TG_OK, "%s", e.msg);
        cr_assert_eq(memcmp(idx, R.indices + first, n * sizeof *idx), 0, "album %zu", a);
    }
    cr_assert_neq(tg_store_read(s, nnz - 1, 2, idx, val, &e), TG_OK);
    cr_assert(strstr(e.msg, "beyond") != NULL, "%s", e.msg);
    free(idx);
    free(val);
    tg_store_close(s);
    cr_assert_eq(files_in_dir(), 1, "no temporary left");
}

Test(store, empty_store)
{
    tg_error e = {0};
    rstore_free(&R);
    rstore_make(&R, 1, 0, 3, 2, 2);
    cr_assert_eq(rstore_write(&R, path, 0, &e), TG_OK, "%s", e.msg);
    tg_store *s;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(s->n_albums, 0);
    cr_assert_eq(s->nnz, 0);
    tg_store_layout l;
    cr_assert_eq(tg_store_layout_get(s, TG_STORE_DATA, &l, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(l.n_chunks, 0);
    cr_assert_eq(l.chunk_elems, TG_STORE_CHUNK_ELEMS);
    tg_store_layout_free(&l);
    tg_store_close(s);
}

/* Every chunk read at its offset and decoded here equals what HDF5 returns. */
Test(store, chunk_layout_decodes_like_hdf5)
{
    tg_error e = {0};
    tg_store *s;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0);
    for (int which = 0; which < 2; which++) {
        tg_store_layout l;
        cr_assert_eq(tg_store_layout_get(s, which, &l, &e), TG_OK, "%s", e.msg);
        cr_assert_eq(l.chunk_elems, CHUNK);
        cr_assert_eq(l.elem_size, 4);
        cr_assert_eq(l.shuffle_filter, 0);
        cr_assert_eq(l.zstd_filter, 1);
        cr_assert_eq(l.n_chunks, (s->nnz + CHUNK - 1) / CHUNK);
        uint32_t got[CHUNK], scratch[CHUNK], want[CHUNK];
        for (size_t i = 0; i < l.n_chunks; i++) {
            const tg_store_chunk *c = &l.chunks[i];
            cr_assert_eq(c->first, i * CHUNK);
            cr_assert_eq(c->filter_mask, 0);
            cr_assert(c->size > 0 && c->size < 4 * CHUNK + 64, "chunk %zu: %llu bytes", i,
                      (unsigned long long)c->size);
            unsigned char *raw = malloc(c->size);
            cr_assert_eq(pread(fd, raw, c->size, (off_t)c->offset), (ssize_t)c->size);
            cr_assert_eq(tg_store_chunk_decode(&l, c, raw, got, scratch, &e), TG_OK, "%s", e.msg);
            size_t n = s->nnz - c->first < CHUNK ? (size_t)(s->nnz - c->first) : CHUNK;
            cr_assert_eq(tg_store_read(s, c->first, n, which == 0 ? (int32_t *)want : NULL,
                                       which == 1 ? want : NULL, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(memcmp(got, want, n * 4), 0, "chunk %zu of %d", i, which);
            /* The last chunk is stored whole: zeros past NNZ. */
            for (size_t k = n; k < CHUNK; k++)
                cr_assert_eq(got[k], 0);
            /* A damaged frame is refused, not decoded into garbage. */
            raw[c->size / 2] ^= 0x40;
            cr_assert_neq(tg_store_chunk_decode(&l, c, raw, got, scratch, &e), TG_OK);
            free(raw);
        }
        tg_store_layout_free(&l);
    }
    close(fd);
    tg_store_close(s);
}

Test(store, writer_refuses_bad_rows_and_leaves_nothing)
{
    tg_error e = {0};
    /* An existing store stays as it was when a new one fails. */
    struct stat before, after;
    cr_assert_eq(stat(path, &before), 0);
    const char *city[1] = {"c"}, *genre[1] = {"g"};
    uint32_t count[1] = {1};
    tg_store_meta m = {.steps = 2, .window_days = 2, .value_field = "nstreams", .n_cities = 1,
                       .city_names = city, .n_genres = 1, .genre_names = genre, .genre_counts = count};
    tg_store_writer *w;
    cr_assert_eq(tg_store_writer_open(path, &m, &w, &e), TG_OK, "%s", e.msg);
    uint8_t one = 1, zero = 0, two = 2;
    int32_t idx[2] = {1, 0};
    uint32_t val[2] = {5, 6};
    cr_assert_eq(tg_store_writer_add(w, "ok", 0, TG_SPLIT_TRAIN, &one, 1, idx, val, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_writer_add(w, "unsorted", 0, TG_SPLIT_TRAIN, &one, 2, idx, val, &e), TG_ERR_RECORD);
    cr_assert(strstr(e.msg, "unsorted") && strstr(e.msg, "entry 1"), "%s", e.msg);
    /* sticky */
    cr_assert_eq(tg_store_writer_add(w, "fine", 0, TG_SPLIT_TRAIN, &one, 1, idx, val, &e), TG_ERR_RECORD);
    cr_assert_eq(tg_store_writer_finish(w, &e), TG_ERR_RECORD);
    cr_assert_eq(stat(path, &after), 0);
    cr_assert_eq(after.st_ino, before.st_ino);
    cr_assert_eq(files_in_dir(), 1, "the temporary is removed");

    struct { int split; const uint8_t *label; int32_t col; const char *says; } bad[] = {
        {TG_SPLIT_TRAIN, &one, 2, "column 2 not in 0..1"},
        {TG_SPLIT_TRAIN, &two, 0, "is 2, not 0 or 1"},
        {TG_SPLIT_TRAIN, &zero, 0, "split 0 with 0 labels"},
        {TG_SPLIT_UNLABELED, &one, 0, "split 2 with 1 labels"},
        {3, &one, 0, "split 3 is not"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(tg_store_writer_open(path, &m, &w, &e), TG_OK, "%s", e.msg);
        cr_assert_neq(tg_store_writer_add(w, "x", 0, bad[i].split, bad[i].label, 1, &bad[i].col, val, &e), TG_OK);
        cr_assert(strstr(e.msg, bad[i].says) != NULL, "case %zu: %s", i, e.msg);
        tg_store_writer_abort(w);
        cr_assert_eq(files_in_dir(), 1);
    }
    m.value_field = "plays";
    cr_assert_eq(tg_store_writer_open(path, &m, &w, &e), TG_ERR_USAGE);
    cr_assert_null(w);
}

/* ---- damage: each built by writing raw HDF5 (or bytes) into a good store ----------- */

static void expect_refused(tg_code code, const char *says)
{
    tg_error e = {0};
    tg_store *s = (tg_store *)1;
    tg_code rc = tg_store_open(path, &s, &e);
    cr_assert_null(s);
    cr_assert_eq(rc, code, "code %s, expected %s: %s", tg_code_name(rc), tg_code_name(code), e.msg);
    cr_assert(strstr(e.msg, path) != NULL, "message does not name the file: %s", e.msg);
    cr_assert(strstr(e.msg, says) != NULL, "'%s' not in: %s", says, e.msg);
}

static hid_t reopen(void)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    return f;
}

/* Overwrites element at of a 1-D dataset (through HDF5, filters included). */
static void poke(const char *dset, hid_t mtype, hsize_t at, const void *value)
{
    hid_t f = reopen(), d = H5Dopen2(f, dset, H5P_DEFAULT);
    hid_t fs = H5Dget_space(d);
    hsize_t one = 1;
    hid_t ms = H5Screate_simple(1, &one, NULL);
    cr_assert_geq(H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &one, NULL), 0);
    cr_assert_geq(H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, value), 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
    H5Fclose(f);
}

Test(store, damage_truncated)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(truncate(path, st.st_size / 2), 0);
    expect_refused(TG_ERR_IO, "truncated");
}

Test(store, damage_flipped_byte_in_a_chunk)
{
    tg_error e = {0};
    tg_store *s;
    tg_store_layout l;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_layout_get(s, TG_STORE_DATA, &l, &e), TG_OK, "%s", e.msg);
    const tg_store_chunk c = l.chunks[2];
    tg_store_layout_free(&l);
    tg_store_close(s);
    int fd = open(path, O_RDWR);
    unsigned char b;
    off_t at = (off_t)(c.offset + c.size / 2);
    cr_assert_eq(pread(fd, &b, 1, at), 1);
    b ^= 0x10;
    cr_assert_eq(pwrite(fd, &b, 1, at), 1);
    close(fd);
    char says[128];
    snprintf(says, sizeof says, "/x/data elements %llu..%llu (chunk of %llu bytes at byte %llu): HDF5 zstd filter",
             (unsigned long long)c.first, (unsigned long long)c.first + CHUNK - 1,
             (unsigned long long)c.size, (unsigned long long)c.offset);
    expect_refused(TG_ERR_FORMAT, says);
}

Test(store, damage_non_monotone_indptr)
{
    size_t a = 2; /* album 2 has entries: make indptr[2] pass indptr[3] */
    cr_assert_lt(R.indptr[a], R.indptr[a + 1]);
    int64_t v = R.indptr[a + 1] + 1;
    poke("/x/indptr", H5T_NATIVE_INT64, a, &v);
    expect_refused(TG_ERR_FORMAT, "/x/indptr decreases at album 2");
}

Test(store, damage_indptr_beyond_entries)
{
    int64_t v = R.indptr[R.A] + 1000000;
    poke("/x/indptr", H5T_NATIVE_INT64, R.A, &v);
    expect_refused(TG_ERR_FORMAT, "/x/indices has");
}

Test(store, damage_index_out_of_range)
{
    int32_t v = R.steps * (int32_t)R.C; /* == shape[1] */
    size_t k = (size_t)R.indptr[R.A] - 1;
    poke("/x/indices", H5T_NATIVE_INT32, k, &v);
    char says[96];
    snprintf(says, sizeof says, "/x/indices[%zu] (album %zu, %s) = %d, not in 0..%d", k, R.A - 1, R.ids[R.A - 1],
             (int)v, (int)v - 1);
    expect_refused(TG_ERR_FORMAT, says);
}

Test(store, damage_unsorted_row)
{
    size_t k = (size_t)R.indptr[1] + 5; /* inside album 1's long row */
    int32_t v = R.indices[k - 1];
    poke("/x/indices", H5T_NATIVE_INT32, k, &v);
    expect_refused(TG_ERR_FORMAT, "columns must increase");
}

Test(store, damage_wrong_dtype)
{
    hid_t f = reopen();
    cr_assert_geq(H5Ldelete(f, "/x/data", H5P_DEFAULT), 0);
    hsize_t n = (hsize_t)R.indptr[R.A];
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "/x/data", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    H5Dclose(d);
    H5Sclose(sp);
    H5Fclose(f);
    expect_refused(TG_ERR_FORMAT, "/x/data has the wrong type, expected uint32");
}

Test(store, damage_missing_dataset)
{
    hid_t f = reopen();
    cr_assert_geq(H5Ldelete(f, "/albums/split", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_refused(TG_ERR_FORMAT, "dataset /albums/split is missing");
}

Test(store, damage_missing_group)
{
    hid_t f = reopen();
    cr_assert_geq(H5Ldelete(f, "/genres", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_refused(TG_ERR_FORMAT, "dataset /genres/name is missing");
}

Test(store, damage_label_not_0_1)
{
    hid_t f = reopen(), d = H5Dopen2(f, "/albums/labels", H5P_DEFAULT);
    uint8_t *labels = malloc(R.A * R.G);
    memcpy(labels, R.labels, R.A * R.G);
    labels[5 * R.G + 1] = 2;
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels), 0);
    free(labels);
    H5Dclose(d);
    H5Fclose(f);
    char says[96];
    snprintf(says, sizeof says, "/albums/labels[5][1] (album %s, genre %s) is 2, not 0 or 1", R.ids[5], R.genres[1]);
    expect_refused(TG_ERR_FORMAT, says);
}

Test(store, damage_split_code)
{
    uint8_t v = 7;
    poke("/albums/split", H5T_NATIVE_UINT8, 4, &v);
    expect_refused(TG_ERR_FORMAT, "/albums/split of album 4");
}

static void set_attr_i64(const char *obj, const char *name, const int64_t *v, hsize_t n)
{
    hid_t f = reopen(), o = H5Oopen(f, obj, H5P_DEFAULT);
    cr_assert_geq(H5Adelete(o, name), 0);
    hid_t sp = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(o, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(H5Awrite(a, H5T_NATIVE_INT64, v), 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Oclose(o);
    H5Fclose(f);
}

Test(store, damage_schema_version)
{
    int64_t v = 2;
    set_attr_i64("/", "schema_version", &v, 0);
    expect_refused(TG_ERR_FORMAT, "schema version 2, this program reads version 1");
}

Test(store, crafted_huge_shape)
{
    int64_t shape[2] = {(int64_t)1 << 40, R.steps * (int64_t)R.C};
    set_attr_i64("/x", "shape", shape, 2);
    expect_refused(TG_ERR_LIMIT, "shape[0] = 1099511627776 albums");
    shape[0] = (int64_t)R.A;
    shape[1] = (int64_t)1 << 40;
    set_attr_i64("/x", "shape", shape, 2);
    expect_refused(TG_ERR_FORMAT, "shape[1] = 1099511627776, expected steps x cities = 11 x 7");
}

/* A shape that agrees with a huge indptr that the file does not hold: refused before
 * anything of that size is allocated. */
Test(store, crafted_indptr_not_backed)
{
    hid_t f = reopen();
    cr_assert_geq(H5Ldelete(f, "/x/indptr", H5P_DEFAULT), 0);
    hsize_t n = ((hsize_t)1 << 25) + 1, chunk = 1024;
    hid_t sp = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert_geq(H5Pset_chunk(dcpl, 1, &chunk), 0);
    hid_t d = H5Dcreate2(f, "/x/indptr", H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    int64_t shape[2] = {(int64_t)1 << 25, R.steps * (int64_t)R.C};
    set_attr_i64("/x", "shape", shape, 2);
    expect_refused(TG_ERR_FORMAT, "/x/indptr declares 33554433 elements but holds 0 bytes");
}

Test(store, not_a_store)
{
    FILE *f = fopen(path, "w");
    fputs("album_id,step\n", f);
    fclose(f);
    expect_refused(TG_ERR_FORMAT, "not an HDF5 file");
    unlink(path);
    expect_refused(TG_ERR_IO, "No such file");
}

Test(store, no_dropped_genres_and_one_album)
{
    tg_error e = {0};
    const char *city[2] = {"Paris", "Lyon"}, *genre[1] = {"Jazz"};
    uint32_t count[1] = {1};
    tg_store_meta m = {.steps = 3, .window_days = 3, .value_field = "nstreams", .n_cities = 2,
                       .city_names = city, .n_genres = 1, .genre_names = genre, .genre_counts = count};
    tg_store_writer *w;
    cr_assert_eq(tg_store_writer_open(path, &m, &w, &e), TG_OK, "%s", e.msg);
    uint8_t one = 1;
    int32_t idx[3] = {0, 3, 5};
    uint32_t val[3] = {7, 8, 4000000000u};
    cr_assert_eq(tg_store_writer_add(w, "a", -3, TG_SPLIT_TEST, &one, 3, idx, val, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_writer_finish(w, &e), TG_OK, "%s", e.msg);
    tg_store *s;
    cr_assert_eq(tg_store_open(path, &s, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(s->n_dropped, 0);
    cr_assert_str_eq(s->value_field, "nstreams");
    cr_assert_eq(s->release_day[0], -3);
    cr_assert_eq(s->split[0], TG_SPLIT_TEST);
    int32_t gi[3];
    uint32_t gv[3];
    cr_assert_eq(tg_store_read(s, 0, 3, gi, gv, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(memcmp(gi, idx, sizeof gi), 0);
    cr_assert_eq(memcmp(gv, val, sizeof gv), 0);
    tg_store_close(s);
}

/* ---- crafted chunks (issue 8): each refused at open, in bounded memory ------------- */

/* Replaces the stored chunk of dset that starts at element first with raw[len] and the
 * given filter mask (bit 0 shuffle skipped, bit 1 zstd skipped), as a crafted file would. */
static void put_raw_chunk(const char *dset, hsize_t first, unsigned mask, const void *raw, size_t len)
{
    hid_t f = reopen(), d = H5Dopen2(f, dset, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    cr_assert_geq(H5Dwrite_chunk(d, H5P_DEFAULT, mask, &first, len, raw), 0);
    H5Dclose(d);
    H5Fclose(f);
}

/* A zstd frame of a few hundred bytes (within what a chunk's index entry may record)
 * that declares and holds 4 MiB, where a chunk holds 256 bytes: the filter refuses it
 * from the frame header, allocating nothing of that size. (A larger bomb needs a
 * larger frame, which the chunk index check refuses first.) */
Test(store, crafted_chunk_bomb)
{
    size_t big = (size_t)4 << 20;
    void *zeros = calloc(big, 1);
    unsigned char frame[4096];
    size_t len = ZSTD_compress(frame, sizeof frame, zeros, big, 19);
    free(zeros);
    cr_assert(!ZSTD_isError(len) && len <= 320, "frame of %zu bytes", len);
    put_raw_chunk("/x/data", CHUNK, 0, frame, len);
    char says[96];
    snprintf(says, sizeof says, "/x/data elements %d..%d", CHUNK, 2 * CHUNK - 1);
    expect_refused(TG_ERR_FORMAT, says);
}

/* A chunk stored unfiltered but shorter than a chunk: HDF5 1.10.8 would copy a whole
 * chunk out of it (a heap overflow inside HDF5), so the chunk index is checked first. */
Test(store, crafted_short_raw_chunk)
{
    unsigned char raw[10] = {0};
    put_raw_chunk("/x/indices", 0, 3, raw, sizeof raw);
    char says[96];
    snprintf(says, sizeof says, "records 10 stored bytes (uncompressed: exactly %d", CHUNK * 4);
    expect_refused(TG_ERR_FORMAT, says);
}

/* Writes /x/data again, R's values, with the dataset creation properties dcpl (which
 * this closes): another chunking or another filter pipeline than the writer's. */
static void rewrite_data(hid_t dcpl)
{
    hid_t f = reopen();
    cr_assert_geq(H5Ldelete(f, "/x/data", H5P_DEFAULT), 0);
    hsize_t n = (hsize_t)R.indptr[R.A];
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "/x/data", H5T_STD_U32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, R.data), 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
}

/* /x/data chunked unlike /x/indices: the loader takes chunk k of both for the same
 * elements, so this is refused (it overflowed the loader's buffers before). */
Test(store, crafted_chunking_differs)
{
    hsize_t chunk = CHUNK / 4;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    tg_error e = {0};
    cr_assert_geq(H5Pset_chunk(dcpl, 1, &chunk), 0);
    cr_assert_geq(H5Pset_shuffle(dcpl), 0);
    cr_assert_eq(tg_store_set_zstd(dcpl, 3, &e), TG_OK, "%s", e.msg);
    rewrite_data(dcpl);
    char says[128];
    snprintf(says, sizeof says, "/x/indices is in chunks of %d elements but /x/data of %d", CHUNK, CHUNK / 4);
    expect_refused(TG_ERR_FORMAT, says);
}

/* /x/data rewritten by another tool with gzip (h5repack -f GZIP): refused, naming the
 * filter and how to get the store's own pipeline back. */
Test(store, other_pipeline_names_its_filter_and_the_remedy)
{
    hsize_t chunk = CHUNK;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert_geq(H5Pset_chunk(dcpl, 1, &chunk), 0);
    cr_assert_geq(H5Pset_deflate(dcpl, 4), 0);
    rewrite_data(dcpl);
    expect_refused(TG_ERR_FORMAT, "/x/data: filter 0 of its pipeline is 'deflate' (id 1)");
    expect_refused(TG_ERR_FORMAT, "h5repack -f /x/indices,/x/data:SHUF -f /x/indices,/x/data:UD=32015,0,1,1");
}

/* indptr values at the ends of int64: a row "ending" at INT64_MAX, and one going negative. */
Test(store, crafted_indptr_overflow)
{
    int64_t v = INT64_MAX;
    poke("/x/indptr", H5T_NATIVE_INT64, R.A, &v);
    expect_refused(TG_ERR_FORMAT, "/x/indices has");
    v = INT64_MIN;
    poke("/x/indptr", H5T_NATIVE_INT64, R.A, &v);
    expect_refused(TG_ERR_FORMAT, "/x/indptr decreases at album");
}
