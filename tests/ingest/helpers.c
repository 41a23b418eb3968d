/* helpers.c - temporary files and the collecting sink of the ingest tests. */
#include "helpers.h"

#include "xxhash64.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

char *tmp_write(const char *suffix, const void *data, size_t n)
{
    char *path = malloc(256);
    cr_assert_not_null(path);
    snprintf(path, 256, "/tmp/tg_ingest_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    cr_assert(fd >= 0, "mkstemps");
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        cr_assert(w > 0, "write");
        p += w;
        n -= (size_t)w;
    }
    close(fd);
    return path;
}

char *tmp_str(const char *suffix, const char *text) { return tmp_write(suffix, text, strlen(text)); }

char *tmp_zst(const void *data, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    void *z = malloc(cap);
    cr_assert_not_null(z);
    size_t zn = ZSTD_compress(z, cap, data, n, 3);
    cr_assert(!ZSTD_isError(zn));
    char *path = tmp_write(".zst", z, zn);
    free(z);
    return path;
}

void unlink_free(char *path)
{
    unlink(path);
    free(path);
}

char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = '\0';
    *n = (size_t)len;
    return buf;
}

#define GROW(arr, n, cap)                                                     \
    do {                                                                      \
        if ((n) == (cap)) {                                                   \
            (cap) = (cap) ? 2 * (cap) : 64;                                   \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                    \
            cr_assert_not_null((arr));                                        \
        }                                                                     \
    } while (0)

static void copy_str(char *dst, size_t cap, tg_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

uint64_t col_genres_hash(const tg_str *g, size_t n)
{
    tg_xxh64_state h;
    tg_xxh64_init(&h, 0);
    for (size_t i = 0; i < n; i++) {
        tg_xxh64_update(&h, &g[i].len, sizeof g[i].len);
        tg_xxh64_update(&h, g[i].p, g[i].len);
    }
    return tg_xxh64_digest(&h);
}

static tg_code on_album(void *ctx, const tg_album_rec *a, tg_error *e)
{
    (void)e;
    collector *c = ctx;
    GROW(c->albums, c->n_albums, c->cap_albums);
    col_album *x = &c->albums[c->n_albums++];
    memset(x, 0, sizeof *x);
    copy_str(x->album, sizeof x->album, a->album_id);
    x->album_len = a->album_id.len;
    x->album_hash = tg_xxh64(a->album_id.p, a->album_id.len, 0);
    x->genres_hash = col_genres_hash(a->genres, a->n_genres);
    x->day = a->release_day;
    x->n_genres = a->n_genres;
    x->offset = a->offset;
    size_t used = 0;
    for (size_t i = 0; i < a->n_genres; i++) {
        int w = snprintf(x->genres + used, sizeof x->genres - used, "%s%.*s", i ? "|" : "",
                         (int)a->genres[i].len, a->genres[i].p);
        if (w > 0 && (size_t)w < sizeof x->genres - used)
            used += (size_t)w;
    }
    return TG_OK;
}

static tg_code on_trace(void *ctx, const tg_trace_rec *t, tg_error *e)
{
    (void)e;
    collector *c = ctx;
    GROW(c->traces, c->n_traces, c->cap_traces);
    col_trace *x = &c->traces[c->n_traces++];
    memset(x, 0, sizeof *x);
    if (t->album_id.p != NULL) {
        copy_str(x->album, sizeof x->album, t->album_id);
        x->album_len = t->album_id.len;
        x->album_hash = tg_xxh64(t->album_id.p, t->album_id.len, 0);
    } else {
        cr_assert_neq(t->group, 0, "pending trace without a group");
    }
    x->group = t->album_id.p != NULL ? 0 : t->group;
    x->day = t->day;
    copy_str(x->city, sizeof x->city, t->city);
    x->city_len = t->city.len;
    x->city_hash = tg_xxh64(t->city.p, t->city.len, 0);
    x->nusers = t->nusers;
    x->nstreams = t->nstreams;
    x->has_nstreams = t->has_nstreams;
    x->offset = t->offset;
    return TG_OK;
}

/* Like a real consumer: patch the group's pending traces, or drop them. */
static tg_code on_group(void *ctx, uint64_t group, tg_str id, tg_error *e)
{
    (void)e;
    collector *c = ctx;
    size_t keep = 0;
    for (size_t i = 0; i < c->n_traces; i++) {
        col_trace *x = &c->traces[i];
        if (x->group == group) {
            if (id.p == NULL)
                continue;
            copy_str(x->album, sizeof x->album, id);
            x->album_len = id.len;
            x->album_hash = tg_xxh64(id.p, id.len, 0);
            x->group = 0;
        }
        c->traces[keep++] = *x;
    }
    c->n_traces = keep;
    if (id.p != NULL)
        c->groups_resolved++;
    else
        c->groups_dropped++;
    return TG_OK;
}

static tg_code on_reject(void *ctx, const tg_reject *r, tg_error *e)
{
    collector *c = ctx;
    GROW(c->rejects, c->n_rejects, c->cap_rejects);
    col_reject *x = &c->rejects[c->n_rejects++];
    x->reason = r->reason;
    x->count = r->count;
    x->offset = r->offset;
    x->line = r->line;
    cr_assert(r->text_len <= TG_REC_MAX_TEXT);
    memcpy(x->text, r->text, r->text_len);
    x->text[r->text_len] = '\0';
    x->text_len = r->text_len;
    x->truncated = r->truncated;
    snprintf(x->file, sizeof x->file, "%s", r->file);
    if (c->strict)
        return tg_fail(e, TG_ERR_RECORD, "%s: byte %llu: rejected record (%s)", r->file,
                       (unsigned long long)r->offset, tg_reject_name(r->reason));
    return TG_OK;
}

void col_init(collector *c) { memset(c, 0, sizeof *c); }

void col_free(collector *c)
{
    free(c->traces);
    free(c->albums);
    free(c->rejects);
    memset(c, 0, sizeof *c);
}

tg_rec_sink col_sink(collector *c)
{
    tg_rec_sink s = {on_album, on_trace, on_group, on_reject, c};
    return s;
}

tg_code col_parse(collector *c, const char *path, tg_rec_counts *n, tg_error *e)
{
    tg_rec_sink s = col_sink(c);
    return tg_records_parse(path, &s, n, e);
}

tg_code parse_text(collector *c, const char *text, tg_rec_counts *n, tg_error *e)
{
    col_init(c);
    char *path = tmp_str(".json", text);
    tg_code rc = col_parse(c, path, n, e);
    unlink_free(path);
    return rc;
}

uint64_t col_checksum(const collector *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n_traces; i++) {
        const col_trace *x = &c->traces[i];
        char buf[256];
        int n = snprintf(buf, sizeof buf, "T%s|%d|%s|%u|%u|%d", x->album, x->day, x->city,
                         x->nusers, x->nstreams, x->has_nstreams);
        sum += tg_xxh64(buf, (size_t)n, 0);
    }
    for (size_t i = 0; i < c->n_albums; i++) {
        const col_album *x = &c->albums[i];
        char buf[512];
        int n = snprintf(buf, sizeof buf, "A%s|%d|%s", x->album, x->day, x->genres);
        sum += tg_xxh64(buf, (size_t)n, 0);
    }
    return sum;
}
