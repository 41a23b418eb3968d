/* store_check.h - what both store fuzz targets do with a store file: open and validate
 * it, then read every album through HDF5 (tg_store_read) and through train's loader,
 * which decodes the chunks itself from an mmap, asserting only allowed outcomes. */
#ifndef TG_FUZZ_STORE_CHECK_H
#define TG_FUZZ_STORE_CHECK_H

#include "error.h"

#include <stddef.h>

/* Runs the check on the store at path (a file the caller made and removes). Aborts
 * through FUZZ_ASSERT on a code other than the reader's documented ones or on an error
 * message that does not name the file; returns what tg_store_open returned. */
tg_code fuzz_store_check(const char *path);

/* A new file holding data[size], its name in path[64]: in /dev/shm when there is one
 * (memory, fast), else /tmp. The caller unlinks it. (Not a memfd: HDF5 resolves the
 * /proc/self/fd link to its real path, which a memfd lacks.) Aborts when the system
 * refuses (not the input's fault). */
void fuzz_tmpfile(const unsigned char *data, size_t size, char path[64]);

#endif
