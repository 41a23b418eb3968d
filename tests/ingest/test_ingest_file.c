/* test_ingest_file.c - store/ingest_file: what the writer writes the reader gives back;
 * the writer refuses rows out of order or naming unknown albums; the reader refuses a
 * missing file, an HDF5 file that is not an ingest file, another schema version and
 * rows out of range. */
#include "ingest_file.h"
#include "zstd_filter.h"

#include <criterion/criterion.h>

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/tg-ingest-file-%d.h5", (int)getpid());
}
static void teardown(void) { unlink(path); }

static const char ids_arena[] = "42abc";
static const size_t ids_off[] = {0, 2, 5};
static const char genre_arena[] = "PopRock";
static const size_t genre_off[] = {0, 3, 7};
static const char city_arena[] = "ParisLyonNice";
static const size_t city_off[] = {0, 5, 9, 13};
static const int32_t release[] = {17000, TG_INGEST_NO_RELEASE};
static const int64_t indptr[] = {0, 2, 2};
static const int32_t indices[] = {0, 1};
static const char *const cnames[] = {"records", "rows"};
static const uint64_t cvalues[] = {7, 3};

static tg_ingest_meta meta(void)
{
    return (tg_ingest_meta){{ids_arena, ids_off, 2}, release, indptr, indices,
                            {genre_arena, genre_off, 2}, {city_arena, city_off, 3},
                            cnames, cvalues, 2, "tracegenre-provenance 1\n"};
}

/* n_rows rows, one call each with one thread; with more, in blocks of uneven sizes
 * (tg_ingest_writer_rows), so that same_bytes_whatever_the_threads also checks that
 * blocks write what single rows do. */
static void write_file_threads(int n_rows, unsigned threads)
{
    tg_ingest_writer *w;
    tg_error e = {0};
    cr_assert_eq(tg_ingest_writer_open(&w, path, &e), TG_OK, "%s", e.msg);
    tg_ingest_writer_threads(w, threads);
    static const size_t sizes[] = {1, 4095, 17, 10000, 65536};
    tg_ingest_row *b = malloc(65536 * sizeof *b);
    cr_assert_not_null(b);
    for (int i = 0, k = 0; i < n_rows; k++) {
        size_t n = threads == 1 ? 1 : sizes[k % 5];
        if (n > (size_t)(n_rows - i))
            n = (size_t)(n_rows - i);
        for (size_t j = 0; j < n; j++, i++)
            b[j] = (tg_ingest_row){(uint32_t)(i / 50000), i % 50000, (uint32_t)(i % 3), 0,
                                   (uint64_t)i, 5000000000ull + (uint64_t)i};
        if (n == 1)
            cr_assert_eq(tg_ingest_writer_row(w, b[0].album, b[0].day, b[0].city, b[0].nusers,
                                              b[0].nstreams, &e), TG_OK, "%s", e.msg);
        else
            cr_assert_eq(tg_ingest_writer_rows(w, b, n, &e), TG_OK, "%s", e.msg);
    }
    free(b);
    tg_ingest_meta m = meta();
    cr_assert_eq(tg_ingest_writer_finish(w, &m, &e), TG_OK, "%s", e.msg);
}

static void write_file(int n_rows) { write_file_threads(n_rows, 1); }

static unsigned char *file_bytes(size_t *n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
    long len = ftell(fp);
    cr_assert_gt(len, 0);
    rewind(fp);
    unsigned char *b = malloc((size_t)len);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return b;
}

/* Row chunks are compressed by the writer's threads and written directly: the file is
 * the same bytes whatever their number, the short last chunk included. */
Test(ingest_file, same_bytes_whatever_the_threads, .init = setup, .fini = teardown)
{
    size_t n1, n;
    write_file_threads(99999, 1);   /* a full chunk and a short one */
    unsigned char *one = file_bytes(&n1);
    for (unsigned t = 2; t <= 8; t += 3) {
        write_file_threads(99999, t);
        unsigned char *b = file_bytes(&n);
        cr_assert(n == n1 && memcmp(b, one, n) == 0, "threads %u", t);
        free(b);
    }
    free(one);
}

/* The writer shuffles and compresses its chunks itself: they must be the bytes HDF5's own
 * pipeline (shuffle, then filter 32015 at the level the file records) makes of the same
 * column, or a file written through the filters would differ from ours. */
static unsigned char *raw_chunk(const char *file, const char *dset, hsize_t at, hsize_t *size)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    hid_t d = H5Dopen2(f, dset, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    hsize_t off = at;
    cr_assert_geq(H5Dget_chunk_storage_size(d, &off, size), 0);
    unsigned char *raw = malloc(*size);
    cr_assert_not_null(raw);
    uint32_t mask = 99;
    cr_assert_geq(H5Dread_chunk(d, H5P_DEFAULT, &off, &mask, raw), 0);
    cr_assert_eq(mask, 0);
    H5Dclose(d);
    H5Fclose(f);
    return raw;
}

Test(ingest_file, chunks_are_what_the_filters_make, .init = setup, .fini = teardown)
{
    enum { N = 99999 };   /* a full chunk and a short, zero-padded one */
    write_file(N);
    char ref[80];
    snprintf(ref, sizeof ref, "%s.ref", path);
    static uint64_t ns[N];
    for (int i = 0; i < N; i++)
        ns[i] = 5000000000ull + (uint64_t)i;
    tg_error e = {0};
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
    hid_t f = H5Fcreate(ref, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = N, chunk = TG_INGEST_CHUNK_ROWS;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert(f >= 0 && space >= 0 && dcpl >= 0);
    cr_assert_geq(H5Pset_chunk(dcpl, 1, &chunk), 0);
    cr_assert_geq(H5Pset_shuffle(dcpl), 0);
    cr_assert_eq(tg_store_set_zstd(dcpl, 1, &e), TG_OK, "%s", e.msg);
    hid_t d = H5Dcreate2(f, "nstreams", H5T_STD_U64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ns), 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
    for (hsize_t at = 0; at < N; at += TG_INGEST_CHUNK_ROWS) {
        hsize_t n_ours, n_ref;
        unsigned char *ours = raw_chunk(path, "/rows/nstreams", at, &n_ours);
        unsigned char *theirs = raw_chunk(ref, "/nstreams", at, &n_ref);
        cr_assert(n_ours == n_ref && memcmp(ours, theirs, n_ours) == 0,
                  "chunk at row %llu: %llu bytes against HDF5's %llu", (unsigned long long)at,
                  (unsigned long long)n_ours, (unsigned long long)n_ref);
        free(ours);
        free(theirs);
    }
    unlink(ref);
}

Test(ingest_file, round_trip, .init = setup, .fini = teardown)
{
    write_file(100000);   /* two albums, more than one chunk */
    tg_ingest_file f;
    tg_error e = {0};
    cr_assert_eq(tg_ingest_file_open(&f, path, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(f.n_rows, 100000);
    cr_assert(f.n_albums == 2 && f.n_cities == 3 && f.n_genres == 2);
    cr_assert_str_eq(f.album_id[0], "42");
    cr_assert_str_eq(f.album_id[1], "abc");
    cr_assert_str_eq(f.city[2], "Nice");
    cr_assert_str_eq(f.genre[1], "Rock");
    cr_assert(f.release_day[0] == 17000 && f.release_day[1] == TG_INGEST_NO_RELEASE);
    cr_assert(f.genre_indptr[1] == 2 && f.genre_indices[1] == 1);
    uint64_t v = 0;
    cr_assert(tg_ingest_file_counter(&f, "rows", &v) == 0 && v == 3);
    cr_assert_eq(tg_ingest_file_counter(&f, "nope", &v), -1);
    cr_assert_str_eq(f.provenance, "tracegenre-provenance 1\n");
    static uint32_t al[100000], ci[100000];
    static int32_t day[100000];
    static uint64_t nu[100000], ns[100000];
    cr_assert_eq(tg_ingest_file_rows(&f, 0, 100000, al, day, ci, nu, ns, &e), TG_OK, "%s",
                 e.msg);
    for (int i = 0; i < 100000; i++)
        cr_assert(al[i] == (uint32_t)(i / 50000) && day[i] == i % 50000 &&
                      ci[i] == (uint32_t)(i % 3) && nu[i] == (uint64_t)i &&
                      ns[i] == 5000000000ull + (uint64_t)i,
                  "row %d", i);
    cr_assert_eq(tg_ingest_file_rows(&f, 99999, 2, al, NULL, NULL, NULL, NULL, &e), TG_ERR_LIMIT);
    tg_ingest_file_close(&f);
    char *text = NULL;
    cr_assert_eq(tg_ingest_file_provenance(path, &text, &e), TG_OK, "%s", e.msg);
    cr_assert_str_eq(text, "tracegenre-provenance 1\n");
    free(text);
}

Test(ingest_file, writer_refuses_disorder_and_unknown_indices, .init = setup, .fini = teardown)
{
    tg_ingest_writer *w;
    tg_error e = {0};
    cr_assert_eq(tg_ingest_writer_open(&w, path, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_ingest_writer_row(w, 1, 5, 0, 1, 1, &e), TG_OK);
    cr_assert_eq(tg_ingest_writer_row(w, 1, 5, 0, 1, 1, &e), TG_ERR_FORMAT);  /* repeated */
    cr_assert_eq(tg_ingest_writer_row(w, 0, 9, 0, 1, 1, &e), TG_ERR_FORMAT);  /* backwards */
    cr_assert_eq(tg_ingest_writer_row(w, 1, 6, 7, 1, 1, &e), TG_OK);
    /* in a block: a repeated key after a good row */
    tg_ingest_row b[] = {{1, 7, 7, 0, 1, 1}, {1, 7, 7, 0, 2, 2}};
    cr_assert_eq(tg_ingest_writer_rows(w, b, 2, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "out of order or repeated") != NULL, "%s", e.msg);
    tg_ingest_meta m = meta();
    cr_assert_eq(tg_ingest_writer_finish(w, &m, &e), TG_ERR_FORMAT);  /* city 7 of 3 */
    cr_assert(strstr(e.msg, "city 7") != NULL, "%s", e.msg);
}

Test(ingest_file, reader_refuses_what_is_not_an_ingest_file, .init = setup, .fini = teardown)
{
    tg_ingest_file f;
    tg_error e = {0};
    cr_assert_eq(tg_ingest_file_open(&f, "/nonexistent/x.h5", &e), TG_ERR_IO);
    cr_assert(strstr(e.msg, "/nonexistent/x.h5") != NULL);
    FILE *fp = fopen(path, "w");
    fputs("not hdf5\n", fp);
    fclose(fp);
    cr_assert_eq(tg_ingest_file_open(&f, path, &e), TG_ERR_FORMAT);
    hid_t h = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(h, 0);
    H5Fclose(h);
    cr_assert_eq(tg_ingest_file_open(&f, path, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "not an ingest file") != NULL, "%s", e.msg);
    /* another schema version names the stage to rerun */
    write_file(10);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(h, "schema_version", H5P_DEFAULT);
    int32_t v = 99;
    cr_assert_geq(H5Awrite(a, H5T_NATIVE_INT32, &v), 0);
    H5Aclose(a);
    H5Fclose(h);
    cr_assert_eq(tg_ingest_file_open(&f, path, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "rerun ingest") != NULL, "%s", e.msg);
    /* a row naming an album that does not exist */
    write_file(10);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(h, "rows/album", H5P_DEFAULT);
    uint32_t bad[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, bad), 0);
    H5Dclose(d);
    H5Fclose(h);
    cr_assert_eq(tg_ingest_file_open(&f, path, &e), TG_OK, "%s", e.msg);
    uint32_t al[10];
    cr_assert_eq(tg_ingest_file_rows(&f, 0, 10, al, NULL, NULL, NULL, NULL, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, "row 9") != NULL, "%s", e.msg);
    tg_ingest_file_close(&f);
}
