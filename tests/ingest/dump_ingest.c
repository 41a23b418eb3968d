/* dump_ingest.c - prints an ingest.h5 through store/'s reader (which validates it) in a
 * form that does not depend on dictionary order, so tests can compare outputs of
 * different layouts or --mem with sort and cmp:
 *   dump_ingest FILE rows       "album_id day city nusers nstreams" per row
 *   dump_ingest FILE albums     "album_id release_day genre|genre..." (sorted names)
 *   dump_ingest FILE counters   "name value" per counter
 *   dump_ingest FILE raw        rows as stored: "album day city nusers nstreams" indices
 *   dump_ingest FILE dicts      the dictionaries as stored, numbering included: "album I
 *                               ID DAY g,g,..", "genre I NAME", "city I NAME" (--threads
 *                               must not change a byte of them)
 * Exit 0, or 1 with the reader's message. */
#include "ingest_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dump_ingest FILE rows|albums|counters|raw\n");
        return 2;
    }
    tg_error e = {0};
    tg_ingest_file f;
    tg_code rc = tg_ingest_file_open(&f, argv[1], &e);
    if (rc != TG_OK) {
        fprintf(stderr, "dump_ingest: %s\n", e.msg);
        return 1;
    }
    const char *what = argv[2];
    if (strcmp(what, "rows") == 0 || strcmp(what, "raw") == 0) {
        enum { N = 1000 };
        uint32_t al[N], ci[N];
        int32_t day[N];
        uint64_t nu[N], ns[N];
        for (uint64_t s = 0; s < f.n_rows && rc == TG_OK; s += N) {
            size_t n = f.n_rows - s < N ? (size_t)(f.n_rows - s) : N;
            rc = tg_ingest_file_rows(&f, s, n, al, day, ci, nu, ns, &e);
            for (size_t i = 0; i < n && rc == TG_OK; i++)
                if (what[1] == 'o')
                    printf("%s %" PRId32 " %s %" PRIu64 " %" PRIu64 "\n", f.album_id[al[i]],
                           day[i], f.city[ci[i]], nu[i], ns[i]);
                else
                    printf("%" PRIu32 " %" PRId32 " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n",
                           al[i], day[i], ci[i], nu[i], ns[i]);
        }
    } else if (strcmp(what, "dicts") == 0) {
        for (size_t a = 0; a < f.n_albums; a++) {
            printf("album %zu %s %" PRId32 " ", a, f.album_id[a], f.release_day[a]);
            for (int64_t i = f.genre_indptr[a]; i < f.genre_indptr[a + 1]; i++)
                printf("%" PRId32 ",", f.genre_indices[i]);
            printf("\n");
        }
        for (size_t g = 0; g < f.n_genres; g++)
            printf("genre %zu %s\n", g, f.genre[g]);
        for (size_t c = 0; c < f.n_cities; c++)
            printf("city %zu %s\n", c, f.city[c]);
    } else if (strcmp(what, "albums") == 0) {
        for (size_t a = 0; a < f.n_albums; a++) {
            int64_t lo = f.genre_indptr[a], hi = f.genre_indptr[a + 1];
            const char *g[512];
            size_t k = 0;
            for (int64_t i = lo; i < hi && k < 512; i++)
                g[k++] = f.genre[f.genre_indices[i]];
            qsort(g, k, sizeof g[0], cmp_str);
            printf("%s %" PRId32 " ", f.album_id[a], f.release_day[a]);
            for (size_t i = 0; i < k; i++)
                printf("%s%s", i ? "|" : "", g[i]);
            printf("\n");
        }
    } else if (strcmp(what, "counters") == 0) {
        for (size_t i = 0; i < f.n_counters; i++)
            printf("%s %" PRIu64 "\n", f.counter_name[i], f.counter_value[i]);
    } else {
        fprintf(stderr, "dump_ingest: unknown view %s\n", what);
        tg_ingest_file_close(&f);
        return 2;
    }
    if (rc != TG_OK)
        fprintf(stderr, "dump_ingest: %s\n", e.msg);
    tg_ingest_file_close(&f);
    return rc == TG_OK && fflush(stdout) == 0 ? 0 : 1;
}
