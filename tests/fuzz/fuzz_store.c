/* fuzz_store.c - libFuzzer target for the store reader on raw file bytes: a mutated
 * store.h5 is opened and validated, and every album is read through HDF5 and through
 * train's loader (store_check.h). Mutations of HDF5's own metadata exercise HDF5
 * 1.10.8's parser more than our checks, and can crash or hang inside it (README,
 * "Fuzzing"): fuzz_store_shapes is the structure-aware target CI runs for long. */
#include "fuzz.h"
#include "store_check.h"

#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    fuzz_tmpfile(data, size, path);
    (void)fuzz_store_check(path);
    unlink(path);
    return 0;
}
