/* albums.c - ingest's album table (see albums.h): ids and genres interned, per-album
 * arrays grown together, genre sets stored sorted in one pool. */
#include "albums.h"

#include <stdlib.h>
#include <string.h>

void tg_albums_init(tg_albums *t)
{
    memset(t, 0, sizeof *t);
    tg_intern_init(&t->ids);
    tg_intern_init(&t->genres);
}

void tg_albums_free(tg_albums *t)
{
    tg_intern_free(&t->ids);
    tg_intern_free(&t->genres);
    free(t->release_day);
    free(t->gstart);
    free(t->gcount);
    free(t->traces);
    free(t->gpool);
    tg_albums_init(t);
}

/* Makes room for album index n in every per-album array. */
static tg_code grow(tg_albums *t, uint32_t n, tg_error *e)
{
    if (n < t->cap)
        return TG_OK;
    uint32_t cap = t->cap ? t->cap : 1024;
    while (cap <= n)
        cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    int32_t *rd = realloc(t->release_day, (size_t)cap * sizeof *rd);
    if (rd != NULL)
        t->release_day = rd;
    uint64_t *gs = realloc(t->gstart, (size_t)cap * sizeof *gs);
    if (gs != NULL)
        t->gstart = gs;
    uint32_t *gc = realloc(t->gcount, (size_t)cap * sizeof *gc);
    if (gc != NULL)
        t->gcount = gc;
    uint64_t *tr = realloc(t->traces, (size_t)cap * sizeof *tr);
    if (tr != NULL)
        t->traces = tr;
    /* each array that moved is kept; cap grows only once all four did */
    if (rd == NULL || gs == NULL || gc == NULL || tr == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "album table: out of memory (%u albums)", n);
    t->cap = cap;
    return TG_OK;
}

/* The index of id, with a fresh entry (no record, no traces) when new. */
static tg_code put_id(tg_albums *t, const char *id, size_t len, uint32_t *index, tg_error *e)
{
    uint32_t n = tg_intern_count(&t->ids);
    tg_code rc = grow(t, n, e);   /* before the put, so that a failure leaves t as it was */
    if (rc != TG_OK)
        return rc;
    int added = 0;
    rc = tg_intern_put(&t->ids, id, len, index, &added, e);
    if (rc != TG_OK)
        return rc;
    if (added) {
        t->release_day[*index] = TG_NO_RELEASE;
        t->gstart[*index] = 0;
        t->gcount[*index] = 0;
        t->traces[*index] = 0;
    }
    return TG_OK;
}

tg_code tg_albums_trace_probe(tg_albums *t, const char *id, size_t len, uint64_t n,
                              uint32_t *index, tg_error *e)
{
    tg_code rc = put_id(t, id, len, index, e);
    if (rc == TG_OK)
        t->traces[*index] += n;
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

tg_code tg_albums_record(tg_albums *t, const tg_album_rec *a, uint32_t *index,
                         tg_album_outcome *outcome, tg_error *e)
{
    tg_code rc = put_id(t, a->album_id.p, a->album_id.len, index, e);
    if (rc != TG_OK)
        return rc;
    /* the record's genre set, built at gpool's end (interned, sorted, repeated names
     * once): there it stays for a new album, and is scratch for a duplicate */
    size_t n = a->n_genres;
    if (n > 0 && t->gpool_len + n > t->gpool_cap) {
        uint64_t cap = t->gpool_cap ? t->gpool_cap * 2 : 4096;
        while (cap < t->gpool_len + n)
            cap *= 2;
        uint32_t *p = realloc(t->gpool, (size_t)cap * sizeof *p);
        if (p == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "album table: out of memory (genres)");
        t->gpool = p;
        t->gpool_cap = cap;
    }
    /* an unlabeled album first leaves gpool NULL: no pointer into it then */
    uint32_t *set = n > 0 ? t->gpool + t->gpool_len : NULL;
    int known = t->release_day[*index] != TG_NO_RELEASE;
    for (size_t i = 0; i < n; i++) {
        if (known) {
            /* a duplicate only compares: a rejected record adds no genre name */
            set[i] = tg_intern_find(&t->genres, a->genres[i].p, a->genres[i].len);
            if (set[i] == UINT32_MAX) {
                *outcome = TG_ALBUM_CONFLICTS;
                return TG_OK;
            }
            continue;
        }
        rc = tg_intern_put(&t->genres, a->genres[i].p, a->genres[i].len, &set[i], NULL, e);
        if (rc != TG_OK)
            return rc;
    }
    if (n > 1)
        qsort(set, n, sizeof set[0], cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || set[m - 1] != set[i])
            set[m++] = set[i];
    uint32_t i = *index;
    if (known) {
        int same = t->release_day[i] == a->release_day && t->gcount[i] == m &&
                   (m == 0 || memcmp(t->gpool + t->gstart[i], set, m * sizeof set[0]) == 0);
        *outcome = same ? TG_ALBUM_AGREES : TG_ALBUM_CONFLICTS;
        return TG_OK;
    }
    t->gstart[i] = t->gpool_len;
    t->gcount[i] = (uint32_t)m;
    t->gpool_len += m;
    t->release_day[i] = a->release_day;
    *outcome = TG_ALBUM_NEW;
    return TG_OK;
}

void tg_albums_orphans(const tg_albums *t, uint64_t *albums, uint64_t *traces)
{
    *albums = 0;
    *traces = 0;
    for (uint32_t i = 0; i < tg_albums_count(t); i++)
        if (t->release_day[i] == TG_NO_RELEASE) {
            (*albums)++;
            *traces += t->traces[i];
        }
}

size_t tg_albums_bytes(const tg_albums *t)
{
    return tg_intern_bytes(&t->ids) + tg_intern_bytes(&t->genres) +
           (size_t)t->cap * (sizeof(int32_t) + 2 * sizeof(uint64_t) + sizeof(uint32_t)) +
           (size_t)t->gpool_cap * sizeof(uint32_t);
}
