/* random_store.c - the seeded random store of random_store.h and its writing through
 * the store writer. */
#include "random_store.h"

#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *need(void *p)
{
    if (p == NULL) {
        fprintf(stderr, "random_store: out of memory\n");
        abort();
    }
    return p;
}

static char *name(const char *fmt, size_t i)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, i);
    return need(strdup(buf));
}

static char **names(size_t n, const char *const *fmts, size_t n_fmts)
{
    char **v = need(calloc(n, sizeof *v));
    for (size_t i = 0; i < n; i++)
        v[i] = name(fmts[i % n_fmts], i);
    return v;
}

void rstore_make(rstore *r, uint64_t seed, size_t A, size_t C, int32_t steps, size_t G)
{
    tg_rng rng;
    tg_rng_seed(&rng, seed, 0, 0);
    memset(r, 0, sizeof *r);
    r->A = A, r->C = C, r->G = G, r->D = 3, r->steps = steps;
    static const char *const id_fmts[] = {"album-%zu", "b,%zu", "\"q\"%zu", "caf\xc3\xa9-%zu"};
    static const char *const city_fmts[] = {"City %zu", "Paris, %zu", "O\"%zu", "S\xc3\xa3o %zu"};
    static const char *const genre_fmts[] = {"Genre %zu", "Rap/Hip Hop %zu"};
    r->ids = names(A, id_fmts, 4);
    r->cities = names(C, city_fmts, 4);
    r->genres = names(G, genre_fmts, 2);
    r->dropped = names(r->D, genre_fmts, 1);
    r->dropped_counts = need(calloc(r->D, sizeof *r->dropped_counts));
    for (size_t d = 0; d < r->D; d++)
        r->dropped_counts[d] = (uint32_t)(d + 1);
    r->release = need(malloc(A * sizeof *r->release + 1));
    r->split = need(malloc(A + 1));
    r->labels = need(calloc(A * G + 1, 1));
    r->genre_counts = need(calloc(G, sizeof *r->genre_counts));
    r->indptr = need(malloc((A + 1) * sizeof *r->indptr));
    uint64_t cols = (uint64_t)steps * C;
    size_t cap = 1024, nnz = 0;
    r->indices = need(malloc(cap * sizeof *r->indices));
    r->data = need(malloc(cap * sizeof *r->data));
    r->indptr[0] = 0;
    for (size_t a = 0; a < A; a++) {
        r->release[a] = 17000 + (int32_t)tg_rng_below(&rng, 400);
        r->split[a] = (uint8_t)(a % 7 == 3 ? TG_SPLIT_UNLABELED : tg_rng_below(&rng, 5) == 0 ? TG_SPLIT_TEST
                                                                                         : TG_SPLIT_TRAIN);
        if (r->split[a] != TG_SPLIT_UNLABELED) {
            r->labels[a * G + tg_rng_below(&rng, (uint32_t)G)] = 1;
            for (size_t g = 0; g < G; g++)
                if (tg_rng_below(&rng, 6) == 0)
                    r->labels[a * G + g] = 1;
            for (size_t g = 0; g < G; g++)
                r->genre_counts[g] += r->labels[a * G + g];
        }
        /* Each column is kept with a probability that gives the row's expected length. */
        size_t want = a % 4 == 0 ? 0 : a == 1 ? (size_t)(cols * 3 / 4) : tg_rng_below(&rng, 60);
        for (uint64_t col = 0; col < cols && want > 0; col++) {
            if (tg_rng_below(&rng, (uint32_t)cols) >= want)
                continue;
            if (nnz == cap) {
                cap *= 2;
                r->indices = need(realloc(r->indices, cap * sizeof *r->indices));
                r->data = need(realloc(r->data, cap * sizeof *r->data));
            }
            r->indices[nnz] = (int32_t)col;
            /* mostly small counts, sometimes the whole uint32 range */
            r->data[nnz] = tg_rng_below(&rng, 10) == 0 ? (uint32_t)tg_rng_next(&rng) : 1 + tg_rng_below(&rng, 9);
            nnz++;
        }
        r->indptr[a + 1] = (int64_t)nnz;
    }
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

void rstore_free(rstore *r)
{
    free_names(r->ids, r->A);
    free_names(r->cities, r->C);
    free_names(r->genres, r->G);
    free_names(r->dropped, r->D);
    free(r->dropped_counts);
    free(r->release);
    free(r->split);
    free(r->labels);
    free(r->genre_counts);
    free(r->indptr);
    free(r->indices);
    free(r->data);
    memset(r, 0, sizeof *r);
}

tg_code rstore_write(const rstore *r, const char *path, size_t chunk_elems, tg_error *e)
{
    tg_store_meta m = {
        .steps = r->steps,
        .window_days = r->steps * 2,
        .value_field = "nusers",
        .split_seed = 0xfedcba9876543210u, /* above INT64_MAX: read back as uint64 */
        .provenance = "tracegenre-provenance 1\nprogram test 0\n",
        .n_cities = r->C,
        .city_names = (const char *const *)r->cities,
        .n_genres = r->G,
        .genre_names = (const char *const *)r->genres,
        .genre_counts = r->genre_counts,
        .n_dropped = r->D,
        .dropped_names = (const char *const *)r->dropped,
        .dropped_counts = r->dropped_counts,
        .chunk_elems = chunk_elems,
    };
    tg_store_writer *w;
    tg_code rc = tg_store_writer_open(path, &m, &w, e);
    for (size_t a = 0; rc == TG_OK && a < r->A; a++) {
        size_t n = (size_t)(r->indptr[a + 1] - r->indptr[a]);
        rc = tg_store_writer_add(w, r->ids[a], r->release[a], r->split[a], r->labels + a * r->G, n,
                                 r->indices + r->indptr[a], r->data + r->indptr[a], e);
    }
    if (rc != TG_OK) {
        tg_store_writer_abort(w);
        return rc;
    }
    return tg_store_writer_finish(w, e);
}
