/* store_seed.c - writes the small valid stores of the store fuzz targets' seed corpus
 * (corpus/store/): the random store of tests/store/random_store.h at a given size.
 *   store_seed PATH SEED ALBUMS CITIES STEPS GENRES CHUNK_ELEMS */
#include "random_store.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: store_seed PATH SEED ALBUMS CITIES STEPS GENRES CHUNK_ELEMS\n");
        return 2;
    }
    rstore r;
    rstore_make(&r, strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
                (int32_t)atoi(argv[5]), strtoull(argv[6], NULL, 10));
    tg_error e = {0};
    tg_code rc = rstore_write(&r, argv[1], strtoull(argv[7], NULL, 10), &e);
    if (rc != TG_OK)
        fprintf(stderr, "store_seed: %s\n", e.msg);
    rstore_free(&r);
    return rc == TG_OK ? 0 : 1;
}
