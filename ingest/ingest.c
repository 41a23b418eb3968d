/* ingest.c - the ingest stage (see ingest.h): a record sink that fills the album table,
 * the city dictionary and the row buffer, writes rejects, then the sorted rows and the
 * dictionaries into ingest.h5, committed last. */
#include "ingest.h"
#include "stage.h"

#include "albums.h"
#include "clock.h"
#include "display.h"
#include "ingest_file.h"
#include "input.h"
#include "output_file.h"
#include "progress.h"
#include "rejects.h"
#include "runs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


const char *tg_ingest_reason_name(int reason)
{
    return reason == TG_REJ_CONFLICT ? "conflicting_duplicate"
                                     : tg_reject_name((tg_reject_reason)reason);
}

static void tick(sink_ctx *s, uint64_t offset)
{
    /* the progress clock is read only every 64 Ki records: the parse loop is hot */
    if ((++s->seen & 0xFFFF) == 0)
        tg_progress_update(&s->prog, s->done_bytes + offset, s->seen);
}

static tg_code strict_fail(const tg_reject *r, const char *reason, tg_error *e)
{
    return tg_fail(e, TG_ERR_RECORD, "%s: byte %llu, line %llu: rejected record (%s: %s) "
                   "in --strict mode", r->file, (unsigned long long)r->offset,
                   (unsigned long long)r->line, reason, r->detail);
}

tg_code igs_on_reject(void *ctx, const tg_reject *r, tg_error *e)
{
    sink_ctx *s = ctx;
    tick(s, r->offset);
    tg_rejects_write(s->rej, r, tg_reject_name(r->reason));
    return s->o->strict ? strict_fail(r, tg_reject_name(r->reason), e) : TG_OK;
}

tg_code igs_on_album(void *ctx, const tg_album_rec *a, tg_error *e)
{
    sink_ctx *s = ctx;
    tick(s, a->offset);
    uint32_t idx;
    tg_album_outcome out;
    tg_code rc = tg_albums_record(&s->albums, a, &idx, &out, e);
    if (rc != TG_OK || out != TG_ALBUM_CONFLICTS) {
        s->c->album_duplicates += rc == TG_OK && out == TG_ALBUM_AGREES;
        return rc;
    }
    s->conflicts++;
    tg_reject r = {a->file, a->offset, a->line, TG_REJ_COUNT_,
                   "release date or genres differ from the album's first record", 1, a->text,
                   a->text_len, a->truncated};
    const char *why = tg_ingest_reason_name(TG_REJ_CONFLICT);
    tg_rejects_write(s->rej, &r, why);
    return s->o->strict ? strict_fail(&r, why, e) : TG_OK;
}

static tg_code add_row(sink_ctx *s, tg_row *row, tg_error *e)
{
    return tg_runs_add(&s->runs, row, e);
}

/* A trace record's row, its city interned, and its album when the record names one
 * (*pending 0); else (*pending 1) it waits for its group's album, and *group, the one
 * group whose traces may be pending at a time, becomes the record's. Shared by the
 * one-thread sink and the parser threads', which keep pending rows differently. */
static inline tg_code trace_row(tg_intern *cities, tg_albums *albums, uint64_t *group,
                                const tg_trace_rec *t, tg_row *row, int *pending, tg_error *e)
{
    *row = (tg_row){0, t->day, 0, 0, t->nusers, t->nstreams};
    /* a pending trace's city is interned now: its group may yet be dropped, which
     * leaves a city name that no row uses (harmless, and rare) */
    tg_code rc = tg_intern_put(cities, t->city.p, t->city.len, &row->city, NULL, e);
    if (rc != TG_OK)
        return rc;
    *pending = t->album_id.p == NULL;
    if (!*pending)
        return tg_albums_trace(albums, t->album_id.p, t->album_id.len, 1, &row->album, e);
    if (*group != 0 && *group != t->group)
        return tg_fail(e, TG_ERR_LIBRARY, "%s: byte %llu: pending traces of two album records",
                       t->file, (unsigned long long)t->offset);
    *group = t->group;
    return TG_OK;
}

static tg_code on_trace(void *ctx, const tg_trace_rec *t, tg_error *e)
{
    sink_ctx *s = ctx;
    tick(s, t->offset);
    tg_row row;
    int pending;
    tg_code rc = trace_row(&s->cities, &s->albums, &s->group, t, &row, &pending, e);
    if (rc != TG_OK || !pending)
        return rc == TG_OK ? add_row(s, &row, e) : rc;
    if (s->pend_n == PEND_ROWS) {
        if (s->pend_fp == NULL && (s->pend_fp = tmpfile()) == NULL)
            return tg_fail_errno(e, TG_ERR_IO, "cannot create a temporary file");
        if (fwrite(s->pend, sizeof *s->pend, s->pend_n, s->pend_fp) != s->pend_n)
            return tg_fail_errno(e, TG_ERR_IO, "cannot write a temporary file");
        s->pend_spilled += s->pend_n;
        s->pend_n = 0;
    }
    s->pend[s->pend_n++] = row;
    return TG_OK;
}

static tg_code on_group(void *ctx, uint64_t group, tg_str id, tg_error *e)
{
    sink_ctx *s = ctx;
    tg_code rc = TG_OK;
    if (group != s->group)
        return TG_OK;   /* nothing pending of that group */
    uint64_t n = s->pend_spilled + s->pend_n;
    uint32_t album = 0;
    /* id NULL: records.h counted the group's traces as rejected; the rows go */
    if (id.p != NULL)
        rc = tg_albums_trace(&s->albums, id.p, id.len, n, &album, e);
    if (id.p != NULL && rc == TG_OK && s->pend_fp != NULL) {
        rewind(s->pend_fp);
        tg_row row;
        for (uint64_t i = 0; i < s->pend_spilled && rc == TG_OK; i++) {
            if (fread(&row, sizeof row, 1, s->pend_fp) != 1)
                rc = tg_fail_errno(e, TG_ERR_IO, "cannot read a temporary file");
            row.album = album;
            if (rc == TG_OK)
                rc = add_row(s, &row, e);
        }
    }
    for (size_t i = 0; id.p != NULL && i < s->pend_n && rc == TG_OK; i++) {
        s->pend[i].album = album;
        rc = add_row(s, &s->pend[i], e);
    }
    if (s->pend_fp != NULL) {
        fclose(s->pend_fp);
        s->pend_fp = NULL;
    }
    s->pend_n = 0;
    s->pend_spilled = 0;
    s->group = 0;
    return rc;
}

/* ---- writing ingest.h5 ---- */

static tg_text_list text_of(const tg_intern *d)
{
    return (tg_text_list){d->arena, d->off, d->n};
}

/* Counter names and values, in a stable order (the file and the printout share it). */
#define MAX_COUNTERS (24 + TG_INGEST_REASONS)

static size_t counter_table(const tg_ingest_counts *c, const char **name, uint64_t *value,
                            char names[][48])
{
    size_t k = 0;
#define PUT(n, v) (name[k] = (n), value[k++] = (v))
    PUT("files", c->files);
    PUT("raw_bytes", c->raw_bytes);
    PUT("bytes", c->bytes);
    PUT("records", c->records);
    PUT("album_records", c->album_records);
    PUT("album_duplicates", c->album_duplicates);
    PUT("trace_records", c->trace_records);
    PUT("nested_traces", c->nested_traces);
    PUT("traces_without_nstreams", c->traces_without_nstreams);
    PUT("orphan_traces", c->orphan_traces);
    PUT("rejected", c->rejected);
    for (int r = 0; r < TG_INGEST_REASONS; r++) {
        snprintf(names[r], 48, "rejected.%s", tg_ingest_reason_name(r));
        PUT(names[r], c->rejected_by[r]);
    }
    PUT("unknown_keys", c->unknown_keys);
    PUT("albums", c->albums);
    PUT("orphan_albums", c->orphan_albums);
    PUT("cities", c->cities);
    PUT("genres", c->genres);
    PUT("rows", c->rows);
#undef PUT
    return k;
}

static tg_code runs_source(void *ctx, const tg_row **rows, size_t *n, tg_error *e)
{
    return tg_runs_next_block(ctx, rows, n, e);
}

tg_code igs_write_output(sink_ctx *s, igs_row_source next, void *next_ctx, const char *tmp,
                         const char *prov_text, tg_error *e)
{
    tg_ingest_writer *w = NULL;
    tg_code rc = tg_ingest_writer_open(&w, tmp, e);
    if (rc != TG_OK)
        return rc;
    tg_ingest_writer_threads(w, s->runs.sort_threads);
    /* rows go in blocks: two calls a row were 2 % of a report-size ingest */
    while (rc == TG_OK) {
        const tg_row *rows = NULL;
        size_t n = 0;
        rc = next(next_ctx, &rows, &n, e);
        if (rc != TG_OK || n == 0)
            break;
        rc = tg_ingest_writer_rows(w, rows, n, e);
        s->c->rows += n;
    }
    /* the album genres as CSR in album order (the table keeps them in record order) */
    const tg_albums *t = &s->albums;
    size_t A = tg_albums_count(t);
    int64_t *indptr = malloc((A + 1) * sizeof *indptr);
    int32_t *indices = malloc((t->gpool_len + 1) * sizeof *indices);
    if (rc == TG_OK && (indptr == NULL || indices == NULL))
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (album genres)");
    if (rc == TG_OK) {
        indptr[0] = 0;
        for (size_t a = 0; a < A; a++) {
            for (uint32_t g = 0; g < t->gcount[a]; g++)
                indices[indptr[a] + g] = (int32_t)t->gpool[t->gstart[a] + g];
            indptr[a + 1] = indptr[a] + t->gcount[a];
        }
    }
    const char *names[MAX_COUNTERS];
    uint64_t values[MAX_COUNTERS];
    char reason_names[TG_INGEST_REASONS][48];
    size_t k = counter_table(s->c, names, values, reason_names);
    tg_ingest_meta m = {text_of(&t->ids), t->release_day, indptr, indices,
                        text_of(&t->genres), text_of(&s->cities), names, values, k, prov_text};
    if (rc == TG_OK) {
        rc = tg_ingest_writer_finish(w, &m, e);
        w = NULL;
    }
    tg_ingest_writer_abort(w);
    free(indptr);
    free(indices);
    return rc;
}

/* ---- parser threads (--threads N): see ingest.h ---- */

static int arena_put(par_worker *w, const char *s, size_t n, size_t *at)
{
    if (!tg_grow((void **)&w->arena, &w->arena_cap, w->arena_len + n + 1, 1))
        return 0;
    *at = w->arena_len;
    if (n > 0)
        memcpy(w->arena + w->arena_len, s, n);
    w->arena_len += n;
    return 1;
}

static par_event *new_event(par_worker *w, tg_error *e)
{
    if (!tg_grow((void **)&w->ev, &w->cap_ev, w->n_ev + 1, sizeof *w->ev)) {
        tg_fail(e, TG_ERR_NOMEM, "out of memory (thread events)");
        return NULL;
    }
    par_event *v = &w->ev[w->n_ev++];
    memset(v, 0, sizeof *v);
    return v;
}

static tg_code w_add_row(par_worker *w, const tg_row *row, tg_error *e)
{
    /* the key of the previous row: summed at once, as tg_runs_add does */
    if (w->n_rows > 0) {
        tg_row *last = &w->rows[w->n_rows - 1];
        if (last->album == row->album && last->day == row->day && last->city == row->city) {
            last->nusers += row->nusers;
            last->nstreams += row->nstreams;
            return TG_OK;
        }
    }
    if (w->rows_fp != NULL && w->n_rows >= IGS_FLUSH_ROWS) {
        tg_code rc = igs_w_flush_rows(w, e);
        if (rc != TG_OK)
            return rc;
    }
    if (!tg_grow((void **)&w->rows, &w->cap_rows, w->n_rows + 1, sizeof *w->rows))
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (thread rows)");
    w->rows[w->n_rows++] = *row;
    return TG_OK;
}

static tg_code w_on_reject(void *ctx, const tg_reject *r, tg_error *e)
{
    par_worker *w = ctx;
    par_event *v = new_event(w, e);
    if (v == NULL)
        return TG_ERR_NOMEM;
    v->offset = r->offset;
    v->line = r->line;
    v->reason = r->reason;
    v->count = r->count;
    v->truncated = r->truncated;
    v->text_len = r->text_len;
    v->detail_len = strlen(r->detail);
    if (!arena_put(w, r->text, r->text_len, &v->text) ||
        !arena_put(w, r->detail, v->detail_len + 1, &v->detail))   /* with its NUL */
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (thread events)");
    return TG_OK;
}

static tg_code w_on_album(void *ctx, const tg_album_rec *a, tg_error *e)
{
    par_worker *w = ctx;
    uint32_t idx;
    /* the id takes its place in the range's first-seen order now, as on_album's
     * tg_albums_record does; whether the record is new, agrees or conflicts is decided
     * at the merge, which alone knows the records before this range */
    tg_code rc = tg_albums_trace(&w->albums, a->album_id.p, a->album_id.len, 0, &idx, e);
    if (rc != TG_OK)
        return rc;
    par_event *v = new_event(w, e);
    if (v == NULL)
        return TG_ERR_NOMEM;
    v->is_album = 1;
    v->offset = a->offset;
    v->line = a->line;
    v->release_day = a->release_day;
    v->truncated = a->truncated;
    v->text_len = a->text_len;
    v->id_len = a->album_id.len;
    v->n_genres = a->n_genres;
    /* genres back to back as (size_t length, bytes), from v->genres */
    int ok = arena_put(w, a->text, a->text_len, &v->text) &&
             arena_put(w, a->album_id.p, a->album_id.len, &v->id) &&
             arena_put(w, NULL, 0, &v->genres);
    for (size_t g = 0; ok && g < a->n_genres; g++) {
        size_t at;
        ok = arena_put(w, (const char *)&a->genres[g].len, sizeof a->genres[g].len, &at) &&
             arena_put(w, a->genres[g].p, a->genres[g].len, &at);
    }
    return ok ? TG_OK : tg_fail(e, TG_ERR_NOMEM, "out of memory (thread events)");
}

static tg_code w_on_trace(void *ctx, const tg_trace_rec *t, tg_error *e)
{
    par_worker *w = ctx;
    tg_row row;
    int pending;
    tg_code rc = trace_row(&w->cities, &w->albums, &w->group, t, &row, &pending, e);
    if (rc != TG_OK || !pending)
        return rc == TG_OK ? w_add_row(w, &row, e) : rc;
    /* no overflow file here: a range is at most --split bytes, so its rows are few */
    if (!tg_grow((void **)&w->pend, &w->cap_pend, w->n_pend + 1, sizeof *w->pend))
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (thread rows)");
    w->pend[w->n_pend++] = row;
    return TG_OK;
}

static tg_code w_on_group(void *ctx, uint64_t group, tg_str id, tg_error *e)
{
    par_worker *w = ctx;
    tg_code rc = TG_OK;
    if (group != w->group)
        return TG_OK;
    uint32_t album = 0;
    if (id.p != NULL)
        rc = tg_albums_trace(&w->albums, id.p, id.len, w->n_pend, &album, e);
    for (size_t i = 0; id.p != NULL && i < w->n_pend && rc == TG_OK; i++) {
        w->pend[i].album = album;
        rc = w_add_row(w, &w->pend[i], e);
    }
    w->n_pend = 0;
    w->group = 0;
    return rc;
}

tg_code igs_w_flush_rows(par_worker *w, tg_error *e)
{
    if (w->n_rows > 0 && fwrite(w->rows, sizeof *w->rows, w->n_rows, w->rows_fp) != w->n_rows)
        return tg_fail_errno(e, TG_ERR_IO, "cannot write a temporary file (rows of %s)", w->path);
    w->rows_out += w->n_rows;
    w->n_rows = 0;
    return TG_OK;
}

void *igs_w_parse(void *arg)
{
    par_worker *w = arg;
    tg_rec_sink sink = {w_on_album, w_on_trace, w_on_group, w_on_reject, w};
    if (w->whole)   /* an MPI piece that is a whole file: any layout, .zst or stdin */
        w->rc = tg_records_parse(w->path, &sink, &w->counts, &w->err);
    else
        w->rc = tg_records_parse_range(w->path, w->start, w->len, 0, &sink, &w->counts,
                                       &w->err);
    return NULL;
}

/* Empties w's results for its next range (rows, events and arena keep their room). */
void igs_w_reset(par_worker *w)
{
    tg_albums_free(&w->albums);
    tg_intern_free(&w->cities);
    w->n_rows = w->n_pend = w->n_ev = w->arena_len = 0;
    w->group = 0;
    w->rc = TG_OK;
}

void igs_w_free(par_worker *w)
{
    tg_albums_free(&w->albums);
    tg_intern_free(&w->cities);
    free(w->rows);
    free(w->pend);
    free(w->ev);
    free(w->arena);
    memset(w, 0, sizeof *w);
}

/* Adds a parse's counters to the stage's. */
void igs_add_counts(tg_ingest_counts *c, const tg_rec_counts *n)
{
    c->raw_bytes += n->raw_bytes;
    c->bytes += n->bytes;
    c->records += n->records;
    c->trace_records += n->traces;
    c->nested_traces += n->nested_traces;
    c->traces_without_nstreams += n->traces_without_nstreams;
    c->album_records += n->albums;   /* duplicates taken out at the end */
    c->rejected += n->rejected;
    for (int r = 0; r < TG_REJ_COUNT_; r++)
        c->rejected_by[r] += n->rejected_by[r];
    c->unknown_keys += n->unknown_keys;
}

/* Merges a finished range into the stage, as if its records had come to the sink one by
 * one: its keys are put into the dictionaries in the range's first-seen order (so the
 * numbering is the single-threaded one), its album records and rejects are replayed in
 * input order, its rows are renumbered and added. line0: newlines before the range. */
tg_code igs_merge_meta(sink_ctx *s, par_worker *w, uint64_t line0, uint32_t **map,
                       size_t *map_cap, tg_error *e)
{
    uint32_t nc = tg_intern_count(&w->cities), na = tg_albums_count(&w->albums);
    size_t need = (size_t)nc + na;
    if (!tg_grow((void **)map, map_cap, need + 1, sizeof **map))
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (thread merge)");
    uint32_t *cmap = *map, *amap = *map + nc;
    tg_code rc = TG_OK;
    for (uint32_t i = 0; i < nc && rc == TG_OK; i++) {
        size_t len;
        const char *k = tg_intern_key(&w->cities, i, &len);
        rc = tg_intern_put(&s->cities, k, len, &cmap[i], NULL, e);
    }
    for (uint32_t i = 0; i < na && rc == TG_OK; i++) {
        size_t len;
        const char *k = tg_intern_key(&w->albums.ids, i, &len);
        rc = tg_albums_trace(&s->albums, k, len, w->albums.traces[i], &amap[i], e);
    }
    const char *file = w->path;
    for (size_t i = 0; i < w->n_ev && rc == TG_OK; i++) {
        const par_event *v = &w->ev[i];
        const char *A = w->arena;
        if (v->is_album) {
            tg_album_rec a;
            memset(&a, 0, sizeof a);
            a.file = file;
            a.offset = v->offset;
            a.line = line0 + v->line;
            a.album_id = (tg_str){A + v->id, v->id_len};
            a.release_day = v->release_day;
            a.n_genres = v->n_genres;
            if (!tg_grow((void **)&s->genre_view, &s->genre_view_cap, v->n_genres + 1,
                          sizeof *s->genre_view)) {
                rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (thread merge)");
                break;
            }
            size_t at = v->genres;
            for (size_t g = 0; g < v->n_genres; g++) {
                size_t len;
                memcpy(&len, A + at, sizeof len);
                s->genre_view[g] = (tg_str){A + at + sizeof len, len};
                at += sizeof len + len;
            }
            a.genres = s->genre_view;
            a.text = A + v->text;
            a.text_len = v->text_len;
            a.truncated = v->truncated;
            rc = igs_on_album(s, &a, e);
        } else {
            tg_reject r = {file, v->offset, line0 + v->line, v->reason, A + v->detail, v->count,
                           A + v->text, v->text_len, v->truncated};
            rc = igs_on_reject(s, &r, e);
        }
    }
    igs_add_counts(s->c, &w->counts);
    /* the trace rows' ticks were the thread's: the progress line moves per range */
    s->seen += w->counts.traces;
    if (s->o->progress)
        tg_progress_update(&s->prog, s->done_bytes + w->start + w->len, s->seen);
    return rc;
}

/* igs_merge_meta, then the range's rows renumbered into the row buffer. */
static tg_code w_merge(sink_ctx *s, par_worker *w, uint64_t line0, uint32_t **map,
                       size_t *map_cap, tg_error *e)
{
    uint32_t nc = tg_intern_count(&w->cities);
    tg_code rc = igs_merge_meta(s, w, line0, map, map_cap, e);
    uint32_t *cmap = *map, *amap = *map + nc;
    for (size_t i = 0; i < w->n_rows && rc == TG_OK; i++) {
        tg_row row = w->rows[i];
        row.album = amap[row.album];
        row.city = cmap[row.city];
        rc = tg_runs_add(&s->runs, &row, e);
    }
    return rc;
}

/* Where a line longer than this past a range's wanted end stops the cutting: the range
 * would hold an unbounded part of the file (a minified array on one line). */
#define RANGE_SLACK(want) ((want) > ((uint64_t)1 << 20) ? (want) : ((uint64_t)1 << 20))

/* The end of a range that starts at start and should hold about want bytes: just past
 * the first '\n' at or after start + want, or the file's end; UINT64_MAX when no '\n'
 * comes within RANGE_SLACK(want) bytes more (then the file is read on by one parser, so
 * that a range, and what a thread holds of it, stays bounded). */
tg_code igs_range_end(int fd, const char *path, uint64_t start, uint64_t want, uint64_t size,
                         uint64_t *end, tg_error *e)
{
    char buf[4096];
    uint64_t at = start + want, stop = at + RANGE_SLACK(want);
    while (at < size) {
        if (at >= stop) {
            *end = UINT64_MAX;
            return TG_OK;
        }
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return tg_fail_errno(e, TG_ERR_IO, "%s: cannot read at byte %llu", path,
                                 (unsigned long long)at);
        const char *nl = memchr(buf, '\n', (size_t)n);
        if (nl != NULL) {
            *end = at + (uint64_t)(nl - buf) + 1;
            return TG_OK;
        }
        at += (uint64_t)n;
    }
    *end = size;
    return TG_OK;
}

/* The parser threads and the calling thread share a window of 2 x threads slots:
 * range i is parsed into slot i % nslots by whichever thread is free, and merged in
 * order by the calling thread, which frees the slot. So a thread that the machine
 * delays holds up only the merge of its own range, not a whole round of them.
 * The results of pthread_mutex_lock/unlock, pthread_cond_wait/broadcast and
 * pthread_join are not checked: on a default mutex and condition that were
 * initialised, and threads that were created and are joined once, POSIX leaves them
 * no error to return. Creation and initialisation are checked. */
typedef struct {
    par_worker *w;                     /* [nslots] */
    unsigned threads, nslots;
    uint32_t *map;                     /* the merge's renumbering, reused */
    size_t map_cap;
    /* one file's run; under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *path;
    int fd;
    uint64_t size, next;               /* the file's size; where the next range starts */
    size_t split;
    uint64_t taken, merged;            /* ranges handed out, ranges merged */
    int stop;                          /* no more ranges (end, no cut, failure, error) */
    tg_code cut_rc;                    /* a failed read while cutting */
    tg_error cut_err;
} par_state;

static void *w_loop(void *arg)
{
    par_state *ps = arg;
    pthread_mutex_lock(&ps->mu);
    for (;;) {
        while (!ps->stop && ps->next < ps->size && ps->taken - ps->merged >= ps->nslots)
            pthread_cond_wait(&ps->cv, &ps->mu);
        if (ps->stop || ps->next >= ps->size)
            break;
        uint64_t end;
        /* cut under the lock: ranges are handed out in file order */
        tg_code rc = igs_range_end(ps->fd, ps->path, ps->next, ps->split, ps->size, &end,
                               &ps->cut_err);
        if (rc != TG_OK || end == UINT64_MAX) {
            ps->cut_rc = rc;
            ps->stop = 1;   /* the calling thread reads on from ps->next by itself */
            pthread_cond_broadcast(&ps->cv);
            break;
        }
        par_worker *w = &ps->w[ps->taken % ps->nslots];
        igs_w_reset(w);
        w->path = ps->path;
        w->start = ps->next;
        w->len = end - ps->next;
        w->running = 1;
        ps->next = end;
        ps->taken++;
        pthread_mutex_unlock(&ps->mu);
        igs_w_parse(w);
        pthread_mutex_lock(&ps->mu);
        w->running = 0;
        pthread_cond_broadcast(&ps->cv);
    }
    pthread_mutex_unlock(&ps->mu);
    return NULL;
}

/* Parses the plain file path with ps->threads threads (ingest.h: THREADS), its content
 * hash read meanwhile into *hash. */
static tg_code parse_par(sink_ctx *s, par_state *ps, const char *path, uint64_t *hash,
                         tg_error *e)
{
    tg_input *hin = NULL;   /* the whole file once more, for its content hash */
    tg_code rc = tg_input_open(&hin, path, e);
    if (rc != TG_OK)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
        if (fd >= 0)
            close(fd);
        tg_input_close(hin);
        return rc;
    }
    ps->path = path;
    ps->fd = fd;
    ps->size = (uint64_t)st.st_size;
    ps->next = ps->taken = ps->merged = 0;
    ps->split = s->o->split;
    ps->stop = 0;
    ps->cut_rc = TG_OK;
    pthread_t tid[256];
    unsigned started = 0;
    for (; started < ps->threads && started < 256; started++)
        if (pthread_create(&tid[started], NULL, w_loop, ps) != 0)
            break;
    if (started == 0)
        rc = tg_fail(e, TG_ERR_LIBRARY, "cannot start a parser thread");
    uint64_t line0 = 0, hashed = 0, pos = 0;
    for (uint64_t i = 0; rc == TG_OK; i++) {
        pthread_mutex_lock(&ps->mu);
        uint64_t target = ps->next;
        pthread_mutex_unlock(&ps->mu);
        /* hash what has been handed out, while it parses */
        while (rc == TG_OK && hashed < target) {
            const unsigned char *d;
            size_t len;
            rc = tg_input_read(hin, &d, &len, e);
            hashed += len;
            if (rc == TG_OK && len == 0)
                break;
        }
        pthread_mutex_lock(&ps->mu);
        par_worker *w = &ps->w[i % ps->nslots];
        while (!(i < ps->taken && !w->running) &&
               !((ps->stop || ps->next >= ps->size) && i == ps->taken))
            pthread_cond_wait(&ps->cv, &ps->mu);
        int more = i < ps->taken;
        pos = more ? w->start : ps->next;
        if (!more && ps->cut_rc != TG_OK) {
            *e = ps->cut_err;
            rc = ps->cut_rc;
        }
        pthread_mutex_unlock(&ps->mu);
        if (!more || rc != TG_OK)
            break;
        if (w->rc != TG_OK) {
            /* A range failed: malformed input, or a cut inside a value (not NDJSON, so
             * the range after it began mid-value). Its parse said nothing to the stage,
             * so the file is read on by one parser from that range's start, which is a
             * value boundary (the range before it parsed whole): the records, and the
             * error if there is one, are exactly the one-thread ones. */
            TG_DISPLAY(3, "ingest: %s: range from byte %llu failed (%s)\n", path,
                       (unsigned long long)w->start, w->err.msg);
            break;
        }
        rc = w_merge(s, w, line0, &ps->map, &ps->map_cap, e);
        line0 += w->counts.newlines;
        pos = w->start + w->len;
        pthread_mutex_lock(&ps->mu);
        ps->merged++;
        pthread_cond_broadcast(&ps->cv);
        pthread_mutex_unlock(&ps->mu);
    }
    pthread_mutex_lock(&ps->mu);
    ps->stop = 1;
    pthread_cond_broadcast(&ps->cv);
    pthread_mutex_unlock(&ps->mu);
    for (unsigned k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    if (rc == TG_OK && pos < ps->size) {
        /* the rest, from a value boundary (every range before pos parsed whole), by one
         * parser: after a failed range, or where no line end came near a cut */
        tg_rec_sink sink = {igs_on_album, on_trace, on_group, igs_on_reject, s};
        tg_rec_counts n;
        TG_DISPLAY(3, "ingest: %s: one thread from byte %llu\n", path, (unsigned long long)pos);
        rc = tg_records_parse_range(path, pos, UINT64_MAX, line0, &sink, &n, e);
        igs_add_counts(s->c, &n);
    }
    while (rc == TG_OK) {
        const unsigned char *d;
        size_t len;
        rc = tg_input_read(hin, &d, &len, e);
        hashed += len;
        if (len == 0)
            break;
    }
    *hash = tg_input_hash(hin);
    tg_input_close(hin);
    close(fd);
    return rc;
}

/* Whether input path is parsed by threads: a plain file larger than one range. */
static int threaded(const tg_ingest_opts *o, const char *path, uint64_t size)
{
    size_t n = strlen(path);
    return o->threads > 1 && strcmp(path, "-") != 0 &&
           !(n >= 4 && strcmp(path + n - 4, ".zst") == 0) && size > o->split;
}

void igs_finish_counts(sink_ctx *s)
{
    tg_ingest_counts *c = s->c;
    /* records.h counted every well-formed album record as an album */
    c->album_records -= c->album_duplicates + s->conflicts;
    c->rejected += s->conflicts;
    c->rejected_by[TG_REJ_CONFLICT] = s->conflicts;
    tg_albums_orphans(&s->albums, &c->orphan_albums, &c->orphan_traces);
    c->albums = tg_albums_count(&s->albums);
    c->cities = tg_intern_count(&s->cities);
    c->genres = tg_intern_count(&s->albums.genres);
}

/* Parses every input into s, filling the record counters. */
static tg_code parse_all(sink_ctx *s, par_state *ps, tg_prov *prov, tg_error *e)
{
    const tg_ingest_opts *o = s->o;
    tg_ingest_counts *c = s->c;
    tg_rec_sink sink = {igs_on_album, on_trace, on_group, igs_on_reject, s};
    for (size_t i = 0; i < o->n_inputs; i++) {
        tg_rec_counts n;
        uint64_t hash = 0, before = c->raw_bytes;
        tg_code rc;
        c->files++;
        if (threaded(o, o->inputs[i], prov->inputs[i].size)) {
            rc = parse_par(s, ps, o->inputs[i], &hash, e);
        } else {
            rc = tg_records_parse(o->inputs[i], &sink, &n, e);
            igs_add_counts(c, &n);
            hash = n.content_hash;
        }
        if (rc != TG_OK)
            return rc;
        tg_prov_set_hash(prov, i, hash);
        s->done_bytes += c->raw_bytes - before;
    }
    igs_finish_counts(s);
    return TG_OK;
}

tg_code igs_record_rejects(tg_outfile *rej, tg_prov *prov, tg_error *e)
{
    if (rej->tmp == NULL) /* standard output: nothing to record */
        return TG_OK;
    if (fflush(rej->fp) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: write failed", rej->path);
    return tg_prov_output_written(prov, 0, rej->tmp, e);
}

tg_code tg_ingest_run(const tg_ingest_opts *o, tg_prov *prov, tg_ingest_counts *c,
                      tg_error *e)
{
    uint64_t t0 = tg_clock_ns();
    memset(c, 0, sizeof *c);
    sink_ctx s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.c = c;
    tg_albums_init(&s.albums);
    tg_intern_init(&s.cities);
    char *tmp = NULL, *prov_text = NULL;
    tg_outfile rej = {0};
    int rej_open = 0;
    size_t row_mem = TG_INGEST_ROW_MEM(o->mem);
    if (o->threads > 1) {   /* ingest.h: the threads' ranges come out of the buffer's half */
        size_t reserve = 2 * (size_t)o->threads * o->split;
        row_mem = row_mem > reserve + TG_RUNS_MIN_MEM ? row_mem - reserve : TG_RUNS_MIN_MEM;
    }
    tg_code rc = tg_runs_open(&s.runs, row_mem, o->output, e);
    if (rc != TG_OK)
        return rc;
    s.runs.sort_threads = o->threads;
    if ((s.pend = malloc(PEND_ROWS * sizeof *s.pend)) == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc == TG_OK)
        rc = tg_outfile_open(&rej, o->rejects, e);
    rej_open = rc == TG_OK;
    s.rej = rej.fp;
    /* progress counts decoded bytes: a .zst input or stdin has no known total */
    uint64_t total = 0;
    int known = 1;
    for (size_t i = 0; i < o->n_inputs; i++) {
        size_t n = strlen(o->inputs[i]);
        known &= strcmp(o->inputs[i], "-") != 0 &&
                 !(n >= 4 && strcmp(o->inputs[i] + n - 4, ".zst") == 0);
        total += prov->inputs[i].size;
    }
    total = known ? total : 0;
    if (o->progress)
        tg_progress_start(&s.prog, "ingest", "records", total);
    /* a window of 2 x threads ranges: some parse while the calling thread merges */
    par_state ps;
    memset(&ps, 0, sizeof ps);
    ps.threads = o->threads > 1 ? (o->threads < 256 ? o->threads : 256) : 1;
    ps.nslots = 2 * ps.threads;
    int sync = 0;
    if (rc == TG_OK && o->threads > 1) {
        sync = pthread_mutex_init(&ps.mu, NULL) == 0;
        if (sync && pthread_cond_init(&ps.cv, NULL) != 0) {
            pthread_mutex_destroy(&ps.mu);
            sync = 0;
        }
        if (!sync || (ps.w = calloc(ps.nslots, sizeof *ps.w)) == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (parser threads)");
    }
    if (rc == TG_OK)
        rc = parse_all(&s, &ps, prov, e);
    for (size_t k = 0; ps.w != NULL && k < ps.nslots; k++)
        igs_w_free(&ps.w[k]);
    free(ps.w);
    free(ps.map);
    if (sync) {
        pthread_cond_destroy(&ps.cv);
        pthread_mutex_destroy(&ps.mu);
    }
    if (o->progress)
        tg_progress_end(&s.prog);
    uint64_t t1 = tg_clock_ns();
    if (rc == TG_OK)
        rc = tg_runs_finish(&s.runs, e);
    uint64_t t2 = tg_clock_ns();
    c->spills = s.runs.spills;
    c->merge_passes = s.runs.passes;
    c->spill_bytes = s.runs.spill_bytes;
    if (rc == TG_OK)
        rc = igs_record_rejects(&rej, prov, e);
    if (rc == TG_OK)
        rc = tg_prov_text(prov, &prov_text, e);
    if (rc == TG_OK)
        rc = tg_tmp_create(o->output, &tmp, e);
    if (rc == TG_OK)
        rc = igs_write_output(&s, runs_source, &s.runs, tmp, prov_text, e);
    /* -vv: where the time went (the parse, the final sort or merge, the writing) */
    TG_DISPLAY(4, "ingest: parse %.3f s, sort/merge %.3f s, write %.3f s\n",
               (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9,
               (double)(tg_clock_ns() - t2) / 1e9);
    /* the rejects first: ingest.h5, which carries the provenance, is the last to land */
    if (rc == TG_OK) {
        rc = tg_outfile_commit(&rej, e);
        rej_open = 0;
    }
    if (rc == TG_OK)
        rc = tg_tmp_commit(tmp, o->output, e);
    else if (tmp != NULL)
        tg_tmp_discard(tmp);
    if (rej_open)
        tg_outfile_abort(&rej);
    free(tmp);
    free(prov_text);
    if (s.pend_fp != NULL)
        fclose(s.pend_fp);
    free(s.pend);
    tg_runs_close(&s.runs);
    tg_albums_free(&s.albums);
    free(s.genre_view);
    tg_intern_free(&s.cities);
    c->seconds = (double)(tg_clock_ns() - t0) / 1e9;
    return rc;
}

int tg_ingest_print_counts(FILE *fp, const tg_ingest_counts *c)
{
    const char *names[MAX_COUNTERS];
    uint64_t values[MAX_COUNTERS];
    char reason_names[TG_INGEST_REASONS][48];
    size_t k = counter_table(c, names, values, reason_names);
    for (size_t i = 0; i < k; i++)
        if (values[i] != 0 || strncmp(names[i], "rejected.", 9) != 0)
            fprintf(fp, "  %-34s %llu\n", names[i], (unsigned long long)values[i]);
    uint64_t by = 0;
    for (int r = 0; r < TG_INGEST_REASONS; r++)
        by += c->rejected_by[r];
    int ok = c->records == c->album_records + c->album_duplicates + c->trace_records +
                               c->rejected &&
             by == c->rejected;
    fprintf(fp, "  every record read is in exactly one of album_records, album_duplicates, "
                "trace_records, rejected: %s (%llu = %llu + %llu + %llu + %llu)\n",
            ok ? "yes" : "NO", (unsigned long long)c->records,
            (unsigned long long)c->album_records, (unsigned long long)c->album_duplicates,
            (unsigned long long)c->trace_records, (unsigned long long)c->rejected);
    return ok;
}
