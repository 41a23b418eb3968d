/* fixture.h - a small HDF5 file compressed with filter 32015, written the same way for
 * the in-process tests and for the h5dump and h5py tests, with known values. */
#ifndef TG_TEST_STORE_FIXTURE_H
#define TG_TEST_STORE_FIXTURE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* /i32 int32[FIXTURE_N] and /u32 uint32[FIXTURE_N] in chunks of FIXTURE_CHUNK
 * elements (the last one partial), /m int32[FIXTURE_ROWS][FIXTURE_COLS] in chunks of
 * 16 x 10 (partial on both axes). Values from the functions below. */
#define FIXTURE_N 1000
#define FIXTURE_CHUNK 300
#define FIXTURE_ROWS 50
#define FIXTURE_COLS 37

int32_t fixture_i32(size_t i);     /* sparse-CSR-like: increasing column indices */
uint32_t fixture_u32(size_t i);    /* spans the whole uint32 range */
int32_t fixture_m(size_t r, size_t c);

/* Registers the filter and writes the file at path (replacing it) at the given level.
 * Returns TG_OK or fills e. */
tg_code fixture_write(const char *path, int level, tg_error *e);

#endif
