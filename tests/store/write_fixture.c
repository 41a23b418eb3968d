/* write_fixture.c - fixture.h's file and values for the h5dump and h5py tests:
 *   write_fixture FILE.h5 [LEVEL]   writes the file (exit 0 done, 1 failure, 2 usage)
 *   write_fixture --print NAME      prints dataset NAME's (i32, u32, m) values, one a line */
#include "fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_values(const char *name)
{
    if (strcmp(name, "i32") == 0)
        for (size_t i = 0; i < FIXTURE_N; i++)
            printf("%" PRId32 "\n", fixture_i32(i));
    else if (strcmp(name, "u32") == 0)
        for (size_t i = 0; i < FIXTURE_N; i++)
            printf("%" PRIu32 "\n", fixture_u32(i));
    else if (strcmp(name, "m") == 0)
        for (size_t r = 0; r < FIXTURE_ROWS; r++)
            for (size_t c = 0; c < FIXTURE_COLS; c++)
                printf("%" PRId32 "\n", fixture_m(r, c));
    else {
        fprintf(stderr, "write_fixture: no dataset %s (i32, u32, m)\n", name);
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--print") == 0)
        return print_values(argv[2]);
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: write_fixture FILE.h5 [LEVEL] | write_fixture --print NAME\n");
        return 2;
    }
    tg_error e = {0};
    tg_code c = fixture_write(argv[1], argc == 3 ? atoi(argv[2]) : 3, &e);
    if (c != TG_OK) {
        fprintf(stderr, "write_fixture: %s\n", e.msg);
        return tg_exit_status(c);
    }
    return 0;
}
