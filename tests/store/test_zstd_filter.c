/* test_zstd_filter.c - filter 32015 in-process: round trips of chunked datasets, the
 * recorded chunk bound, raw chunks as single checked frames, damaged and crafted
 * chunks refused cleanly, and stores in the community plugin's format read back. */
#include "fixture.h"
#include "h5_error.h"
#include "zstd_chunk.h"
#include "zstd_filter.h"

#include <criterion/criterion.h>
#include <hdf5.h>
#include <zstd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-store-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f.h5", dir);
    tg_error e = {0};
    cr_assert_eq(tg_h5_quiet(&e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(zstd_filter, .init = setup, .fini = teardown);

static void write_fixture(int level)
{
    tg_error e = {0};
    cr_assert_eq(fixture_write(path, level, &e), TG_OK, "%s", e.msg);
}

static void check_values(hid_t file)
{
    int32_t i32[FIXTURE_N];
    uint32_t u32[FIXTURE_N];
    static int32_t m[FIXTURE_ROWS][FIXTURE_COLS];
    hid_t d = H5Dopen2(file, "/i32", H5P_DEFAULT);
    cr_assert_geq(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, i32), 0);
    H5Dclose(d);
    d = H5Dopen2(file, "/u32", H5P_DEFAULT);
    cr_assert_geq(H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, u32), 0);
    H5Dclose(d);
    d = H5Dopen2(file, "/m", H5P_DEFAULT);
    cr_assert_geq(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, m), 0);
    H5Dclose(d);
    for (size_t i = 0; i < FIXTURE_N; i++) {
        cr_assert_eq(i32[i], fixture_i32(i), "i32[%zu]", i);
        cr_assert_eq(u32[i], fixture_u32(i), "u32[%zu]", i);
    }
    for (size_t r = 0; r < FIXTURE_ROWS; r++)
        for (size_t c = 0; c < FIXTURE_COLS; c++)
            cr_assert_eq(m[r][c], fixture_m(r, c), "m[%zu][%zu]", r, c);
}

/* The filter's cd_values as stored in the dataset. */
static size_t stored_cd(hid_t dset, unsigned cd[8])
{
    hid_t dcpl = H5Dget_create_plist(dset);
    unsigned flags, config;
    size_t n = 8;
    cr_assert_geq(H5Pget_filter_by_id2(dcpl, TG_ZSTD_FILTER_ID, &flags, &n, cd, 0, NULL, &config), 0);
    H5Pclose(dcpl);
    return n;
}

Test(zstd_filter, round_trip_and_recorded_bound)
{
    write_fixture(3);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    check_values(f);
    unsigned cd[8];
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    cr_assert_eq(stored_cd(d, cd), 3);
    cr_assert_eq(cd[0], 3);
    cr_assert_eq(cd[1], TG_ZSTD_CD_TAG);
    cr_assert_eq(cd[2], FIXTURE_CHUNK * 4);
    H5Dclose(d);
    d = H5Dopen2(f, "/m", H5P_DEFAULT);
    cr_assert_eq(stored_cd(d, cd), 3);
    cr_assert_eq(cd[2], 16 * 10 * 4);
    H5Dclose(d);
    H5Fclose(f);
}

Test(zstd_filter, levels_are_clamped)
{
    const int levels[] = {1, 22, 99, -1, -1000000};
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
        write_fixture(levels[k]);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        cr_assert_geq(f, 0, "level %d", levels[k]);
        check_values(f);
        H5Fclose(f);
    }
}

Test(zstd_filter, default_level_when_absent)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 100, chunk = 64;
    hid_t s = H5Screate_simple(1, &n, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
    cr_assert_geq(H5Pset_chunk(p, 1, &chunk), 0);
    cr_assert_geq(H5Pset_filter(p, TG_ZSTD_FILTER_ID, H5Z_FLAG_MANDATORY, 0, NULL), 0);
    hid_t d = H5Dcreate2(f, "/d", H5T_NATIVE_UINT16, s, H5P_DEFAULT, p, H5P_DEFAULT);
    cr_assert_geq(d, 0);
    unsigned cd[8];
    cr_assert_eq(stored_cd(d, cd), 3);
    cr_assert_eq(cd[0], TG_ZSTD_DEFAULT_LEVEL);
    cr_assert_eq(cd[2], 64 * 2);
    H5Dclose(d);
    H5Pclose(p);
    H5Sclose(s);
    H5Fclose(f);
}

Test(zstd_filter, register_is_idempotent)
{
    tg_error e = {0};
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
    cr_assert_gt(H5Zfilter_avail(TG_ZSTD_FILTER_ID), 0);
    unsigned config = 0;
    cr_assert_geq(H5Zget_filter_info(TG_ZSTD_FILTER_ID, &config), 0);
    cr_assert(config & H5Z_FILTER_CONFIG_ENCODE_ENABLED);
    cr_assert(config & H5Z_FILTER_CONFIG_DECODE_ENABLED);
    write_fixture(3);
}

/* What the loader will do: read each chunk's bytes as stored and decode them alone. */
Test(zstd_filter, raw_chunks_are_single_checked_frames)
{
    write_fixture(3);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    hsize_t nchunks = 0;
    /* HDF5 1.10 wants the dataset's own space here, not H5S_ALL. */
    hid_t space = H5Dget_space(d);
    cr_assert_geq(H5Dget_num_chunks(d, space, &nchunks), 0);
    cr_assert_eq(nchunks, 4);
    for (hsize_t k = 0; k < nchunks; k++) {
        hsize_t off[1], size = 0;
        unsigned mask = 99;
        haddr_t addr;
        cr_assert_geq(H5Dget_chunk_info(d, space, k, off, &mask, &addr, &size), 0);
        cr_assert_eq(off[0], k * FIXTURE_CHUNK);
        cr_assert_eq(mask, 0, "filter skipped on chunk %llu", (unsigned long long)k);
        unsigned char *raw = malloc(size);
        uint32_t filters = 99;
        cr_assert_geq(H5Dread_chunk(d, H5P_DEFAULT, off, &filters, raw), 0);
        cr_assert_eq(filters, 0);

        tg_zstd_frame fr;
        tg_error e = {0};
        cr_assert_eq(tg_zstd_inspect(raw, size, &fr, "raw chunk", &e), TG_OK, "%s", e.msg);
        cr_assert(fr.content_known);
        cr_assert(fr.has_checksum);
        /* HDF5 stores the partial last chunk whole: 300 elements, 100 of them fill. */
        cr_assert_eq(fr.content, FIXTURE_CHUNK * 4);
        int32_t vals[FIXTURE_CHUNK];
        size_t got;
        cr_assert_eq(tg_zstd_decode(raw, size, vals, sizeof vals, &got, "raw chunk", &e), TG_OK, "%s", e.msg);
        for (size_t i = 0; i < FIXTURE_CHUNK && off[0] + i < FIXTURE_N; i++)
            cr_assert_eq(vals[i], fixture_i32(off[0] + i));
        free(raw);
    }
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
}

static void chunk_location(const char *dset, hsize_t k, haddr_t *addr, hsize_t *size)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, dset, H5P_DEFAULT);
    hsize_t off[2];
    unsigned mask;
    hid_t space = H5Dget_space(d);
    cr_assert_geq(H5Dget_chunk_info(d, space, k, off, &mask, addr, size), 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
}

static void flip_byte(long at)
{
    FILE *fp = fopen(path, "r+b");
    cr_assert_not_null(fp);
    cr_assert_eq(fseek(fp, at, SEEK_SET), 0);
    int b = fgetc(fp);
    cr_assert_neq(b, EOF);
    cr_assert_eq(fseek(fp, at, SEEK_SET), 0);
    cr_assert_neq(fputc(b ^ 0x5a, fp), EOF);
    cr_assert_eq(fclose(fp), 0);
}

static int32_t buf_i32[FIXTURE_N];

/* Reads /i32[start, start+count): the HDF5 status, and our message on failure. */
static herr_t read_range(hid_t d, hsize_t start, hsize_t count, tg_error *e)
{
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    herr_t r = H5Dread(d, H5T_NATIVE_INT32, ms, fs, H5P_DEFAULT, buf_i32);
    if (r < 0)
        tg_h5_fail(e, TG_ERR_FORMAT, "%s: /i32[%llu..]", path, (unsigned long long)start);
    H5Sclose(ms);
    H5Sclose(fs);
    return r;
}

Test(zstd_filter, flipped_byte_on_disk_fails_cleanly)
{
    write_fixture(3);
    haddr_t addr;
    hsize_t size;
    chunk_location("/i32", 1, &addr, &size);
    flip_byte((long)(addr + size / 2));

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    tg_error e = {0};
    cr_assert_lt(read_range(d, 0, FIXTURE_N, &e), 0, "damaged chunk read without error");
    cr_assert_eq(e.code, TG_ERR_FORMAT);
    cr_assert_not_null(strstr(e.msg, "zstd"), "no reason given: %s", e.msg);
    cr_log_info("damaged chunk: %s", e.msg);
    /* The other chunks are intact and still read. */
    cr_assert_geq(read_range(d, 0, FIXTURE_CHUNK, &e), 0);
    cr_assert_eq(buf_i32[FIXTURE_CHUNK - 1], fixture_i32(FIXTURE_CHUNK - 1));
    cr_assert_geq(read_range(d, 2 * FIXTURE_CHUNK, FIXTURE_N - 2 * FIXTURE_CHUNK, &e), 0);
    H5Dclose(d);
    H5Fclose(f);
}

/* A crafted chunk: 60 bytes on disk that declare far more than the chunk's 1200. */
Test(zstd_filter, frame_larger_than_chunk_is_refused)
{
    write_fixture(3);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    size_t n = 64 << 10;
    unsigned char *zeros = calloc(n, 1), frame[256];
    size_t fn;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_encode(zeros, n, 3, frame, sizeof frame, &fn, NULL, &e), TG_OK, "%s", e.msg);
    hsize_t off = FIXTURE_CHUNK;
    cr_assert_geq(H5Dwrite_chunk(d, H5P_DEFAULT, 0, &off, fn, frame), 0);
    cr_assert_lt(read_range(d, FIXTURE_CHUNK, FIXTURE_CHUNK, &e), 0);
    cr_assert_not_null(strstr(e.msg, "more than a chunk holds"), "%s", e.msg);
    cr_log_info("crafted chunk: %s", e.msg);
    cr_assert_geq(read_range(d, 0, FIXTURE_CHUNK, &e), 0);
    free(zeros);
    H5Dclose(d);
    H5Fclose(f);
}

/* The community plugin's filter, reduced to what decides its format: plain
 * ZSTD_compress (content size, no checksum), cd_values = {level}, no set_local. */
static size_t community_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
                               size_t nbytes, size_t *buf_size, void **buf)
{
    cr_assert_eq(flags & H5Z_FLAG_REVERSE, 0, "only used for writing");
    size_t cap = ZSTD_compressBound(nbytes);
    void *out = malloc(cap);
    size_t r = ZSTD_compress(out, cap, *buf, nbytes, cd_nelmts > 0 ? (int)cd_values[0] : 3);
    cr_assert(!ZSTD_isError(r));
    free(*buf);
    *buf = out;
    *buf_size = cap;
    return r;
}

static void write_community_store(void)
{
    H5Z_class2_t community = {H5Z_CLASS_T_VERS, TG_ZSTD_FILTER_ID, 1, 1, "community", NULL, NULL,
                              community_filter};
    cr_assert_geq(H5Zregister(&community), 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = FIXTURE_N, chunk = FIXTURE_CHUNK;
    unsigned level = 5;
    hid_t s = H5Screate_simple(1, &n, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(p, 1, &chunk);
    cr_assert_geq(H5Pset_filter(p, TG_ZSTD_FILTER_ID, H5Z_FLAG_MANDATORY, 1, &level), 0);
    hid_t d = H5Dcreate2(f, "/i32", H5T_NATIVE_INT32, s, H5P_DEFAULT, p, H5P_DEFAULT);
    for (size_t i = 0; i < FIXTURE_N; i++)
        buf_i32[i] = fixture_i32(i);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf_i32), 0);
    H5Dclose(d);
    H5Pclose(p);
    H5Sclose(s);
    H5Fclose(f);
    tg_error e = {0};
    cr_assert_eq(tg_store_register_zstd(&e), TG_OK, "%s", e.msg);
}

Test(zstd_filter, community_store_reads)
{
    write_community_store();
    tg_error e = {0};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    unsigned cd[8];
    cr_assert_eq(stored_cd(d, cd), 1, "no chunk size recorded: the fallback cap applies");
    memset(buf_i32, 0, sizeof buf_i32);
    cr_assert_geq(read_range(d, 0, FIXTURE_N, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < FIXTURE_N; i++)
        cr_assert_eq(buf_i32[i], fixture_i32(i));
    hsize_t off = 0;
    uint32_t filters;
    unsigned char raw[4096];
    hsize_t raw_size = 0;
    cr_assert_geq(H5Dget_chunk_storage_size(d, &off, &raw_size), 0);
    cr_assert_leq(raw_size, sizeof raw);
    cr_assert_geq(H5Dread_chunk(d, H5P_DEFAULT, &off, &filters, raw), 0);
    tg_zstd_frame fr;
    cr_assert_eq(tg_zstd_inspect(raw, raw_size, &fr, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert(fr.content_known);
    cr_assert_not(fr.has_checksum, "not the community format");
    H5Dclose(d);
    H5Fclose(f);
}

/* Without a recorded chunk size the cap bounds what a chunk may declare: a hand-made
 * 17-byte frame that claims 256 MiB + 1 is refused before anything is allocated. */
Test(zstd_filter, community_store_capped)
{
    write_community_store();
    unsigned long long claim = (unsigned long long)TG_ZSTD_FILTER_CAP + 1;
    unsigned char frame[17] = {0x28, 0xb5, 0x2f, 0xfd, /* magic */
                               0xc0,                   /* 8-byte content size, windowed */
                               0x50};                  /* window descriptor: 1 MiB */
    for (int i = 0; i < 8; i++)
        frame[6 + i] = (unsigned char)(claim >> (8 * i));
    frame[14] = 0x01; /* block header (3 bytes, little endian): last, raw, 0 bytes */
    size_t fn = sizeof frame;
    tg_zstd_frame fr;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_inspect(frame, fn, &fr, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(fr.content, claim);

    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/i32", H5P_DEFAULT);
    hsize_t off = 0;
    cr_assert_geq(H5Dwrite_chunk(d, H5P_DEFAULT, 0, &off, fn, frame), 0);
    cr_assert_lt(read_range(d, 0, 10, &e), 0);
    cr_assert_not_null(strstr(e.msg, "more than a chunk holds (268435456)"), "%s", e.msg);
    cr_assert_geq(read_range(d, FIXTURE_CHUNK, 10, &e), 0, "%s", e.msg);
    H5Dclose(d);
    H5Fclose(f);
}
