/* write_fixture.c - writes fixture.h's file for the h5dump and h5py tests:
 *   write_fixture FILE.h5 [LEVEL]      (exit 0 done, 1 failure) */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: write_fixture FILE.h5 [LEVEL]\n");
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
