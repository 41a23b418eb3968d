/* write_store.c - writes the random store of random_store.h for tests in other
 * languages, and prints what it holds so that they can check what they read.
 *   write_store PATH           writes the store (seed 5, 300 albums, chunks of 256)
 *   write_store PATH --print   also prints, one line per album,
 *                              "split<TAB>labels<TAB>col:value col:value ..." */
#include "random_store.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2 || (argc == 3 && strcmp(argv[2], "--print") != 0) || argc > 3) {
        fprintf(stderr, "usage: write_store PATH [--print]\n");
        return 2;
    }
    rstore r;
    rstore_make(&r, 5, 300, 9, 20, 6);
    tg_error e = {0};
    int status = 0;
    if (rstore_write(&r, argv[1], 256, &e) != TG_OK) {
        fprintf(stderr, "write_store: %s\n", e.msg);
        status = 1;
    } else if (argc == 3) {
        for (size_t a = 0; a < r.A; a++) {
            printf("%u\t", r.split[a]);
            for (size_t g = 0; g < r.G; g++)
                putchar('0' + r.labels[a * r.G + g]);
            putchar('\t');
            for (int64_t k = r.indptr[a]; k < r.indptr[a + 1]; k++)
                printf("%s%d:%u", k > r.indptr[a] ? " " : "", (int)r.indices[k], r.data[k]);
            putchar('\n');
        }
    }
    rstore_free(&r);
    return status;
}
