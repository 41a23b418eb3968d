/* fixture.c - writes the test file of fixture.h through the in-process zstd filter. */
#include "fixture.h"
#include "h5_error.h"
#include "zstd_filter.h"

#include <hdf5.h>

#include <stdlib.h>

int32_t fixture_i32(size_t i)
{
    /* rows of 40 entries, columns step * 2683 + city, shifted to have negatives too */
    return (int32_t)((i / 40) * 2683 + (i % 40) * 61 + (i / 40) % 13) - 5000;
}

uint32_t fixture_u32(size_t i)
{
    return (uint32_t)(i * 2654435761u);
}

int32_t fixture_m(size_t r, size_t c)
{
    return (r + c) % 5 == 0 ? (int32_t)(r * 100 + c) : 0;
}

static tg_code write_one(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *chunk, int level, const void *data, tg_error *e)
{
    tg_code c = TG_OK;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset = H5I_INVALID_HID;
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0) {
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "fixture %s: cannot set up", name);
        goto done;
    }
    if ((c = tg_store_set_zstd(dcpl, level, e)) != TG_OK)
        goto done;
    dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0 || H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        c = tg_h5_fail(e, TG_ERR_LIBRARY, "fixture %s: cannot write", name);
done:
    if (dset >= 0)
        H5Dclose(dset);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return c;
}

tg_code fixture_write(const char *path, int level, tg_error *e)
{
    tg_code c;
    if ((c = tg_h5_quiet(e)) != TG_OK || (c = tg_store_register_zstd(e)) != TG_OK)
        return c;
    int32_t *i32 = malloc(FIXTURE_N * sizeof *i32);
    uint32_t *u32 = malloc(FIXTURE_N * sizeof *u32);
    int32_t *m = malloc(FIXTURE_ROWS * FIXTURE_COLS * sizeof *m);
    if (i32 == NULL || u32 == NULL || m == NULL) {
        c = tg_fail(e, TG_ERR_NOMEM, "fixture: out of memory");
        goto done;
    }
    for (size_t i = 0; i < FIXTURE_N; i++) {
        i32[i] = fixture_i32(i);
        u32[i] = fixture_u32(i);
    }
    for (size_t r = 0; r < FIXTURE_ROWS; r++)
        for (size_t k = 0; k < FIXTURE_COLS; k++)
            m[r * FIXTURE_COLS + k] = fixture_m(r, k);

    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        c = tg_h5_fail(e, TG_ERR_IO, "%s: cannot create", path);
        goto done;
    }
    hsize_t n = FIXTURE_N, chunk = FIXTURE_CHUNK;
    hsize_t mdims[2] = {FIXTURE_ROWS, FIXTURE_COLS}, mchunk[2] = {16, 10};
    c = write_one(file, "/i32", H5T_NATIVE_INT32, 1, &n, &chunk, level, i32, e);
    if (c == TG_OK)
        c = write_one(file, "/u32", H5T_NATIVE_UINT32, 1, &n, &chunk, level, u32, e);
    if (c == TG_OK)
        c = write_one(file, "/m", H5T_NATIVE_INT32, 2, mdims, mchunk, level, m, e);
    if (H5Fclose(file) < 0 && c == TG_OK)
        c = tg_h5_fail(e, TG_ERR_IO, "%s: cannot close", path);
done:
    free(i32);
    free(u32);
    free(m);
    return c;
}
