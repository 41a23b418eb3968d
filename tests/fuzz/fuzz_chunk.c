/* fuzz_chunk.c - libFuzzer target for the store's chunk decoder, the code the loader
 * runs on bytes it takes straight from the file: the first input byte is the chunk's
 * filter mask (bit 0 shuffle, bit 1 zstd skipped), the rest its stored bytes. Whatever
 * they are, decoding succeeds or fails with TG_ERR_FORMAT or TG_ERR_LIMIT, never
 * writing past a chunk's 64 KiB. (Fuzzing HDF5's own metadata parsing is HDF5's
 * business: a store's chunks are where our code meets untrusted bytes.) */
#include "fuzz.h"
#include "store.h"

#include <string.h>

enum { ELEMS = TG_STORE_CHUNK_ELEMS, BYTES = ELEMS * 4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static unsigned char dst[BYTES], scratch[BYTES];
    tg_store_chunk c = {.first = 0, .offset = 0, .size = size - 1, .filter_mask = data[0] & 3u};
    tg_store_layout l = {.chunk_elems = ELEMS, .elem_size = 4, .shuffle_filter = 0,
                         .zstd_filter = 1, .n_chunks = 1, .chunks = &c};
    tg_error e = {0};
    tg_code rc = tg_store_chunk_decode(&l, &c, data + 1, dst, scratch, &e);
    FUZZ_ASSERT(rc == TG_OK || rc == TG_ERR_FORMAT || rc == TG_ERR_LIMIT);
    FUZZ_ASSERT(rc == TG_OK || strstr(e.msg, "chunk at byte") != NULL);
    return 0;
}
