/* ingest.c - the ingest stage (see ingest.h): a record sink that fills the album table,
 * the city dictionary and the row buffer, writes rejects, then the sorted rows and the
 * dictionaries into ingest.h5, committed last. */
#include "ingest.h"

#include "albums.h"
#include "clock.h"
#include "ingest_file.h"
#include "output_file.h"
#include "progress.h"
#include "rejects.h"
#include "runs.h"

#include <stdlib.h>
#include <string.h>

/* Pending nested traces (records.h: album_id after "traces") of the one album record
 * open at a time are held here, then in an anonymous temporary file, until on_group
 * says which album they belong to. */
#define PEND_ROWS 65536

typedef struct {
    const tg_ingest_opts *o;
    tg_ingest_counts *c;
    tg_albums albums;
    tg_intern cities;
    tg_runs runs;
    FILE *rej;
    uint64_t conflicts;
    uint64_t group;             /* group of the pending rows, 0 if none */
    tg_row *pend;               /* [PEND_ROWS] */
    size_t pend_n;
    FILE *pend_fp;              /* overflow, created when needed */
    uint64_t pend_spilled;      /* rows in pend_fp */
    tg_progress prog;
    uint64_t done_bytes;        /* bytes of the inputs already parsed */
    uint64_t seen;              /* records delivered, for the progress line */
} sink_ctx;

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

static tg_code on_reject(void *ctx, const tg_reject *r, tg_error *e)
{
    sink_ctx *s = ctx;
    tick(s, r->offset);
    tg_rejects_write(s->rej, r, tg_reject_name(r->reason));
    return s->o->strict ? strict_fail(r, tg_reject_name(r->reason), e) : TG_OK;
}

static tg_code on_album(void *ctx, const tg_album_rec *a, tg_error *e)
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

static tg_code on_trace(void *ctx, const tg_trace_rec *t, tg_error *e)
{
    sink_ctx *s = ctx;
    tick(s, t->offset);
    tg_row row = {0, t->day, 0, 0, t->nusers, t->nstreams};
    /* a pending trace's city is interned now: its group may yet be dropped, which
     * leaves a city name that no row uses (harmless, and rare) */
    tg_code rc = tg_intern_put(&s->cities, t->city.p, t->city.len, &row.city, NULL, e);
    if (rc != TG_OK)
        return rc;
    if (t->album_id.p != NULL) {
        rc = tg_albums_trace(&s->albums, t->album_id.p, t->album_id.len, 1, &row.album, e);
        return rc == TG_OK ? add_row(s, &row, e) : rc;
    }
    if (s->group != 0 && s->group != t->group)
        return tg_fail(e, TG_ERR_LIBRARY, "%s: byte %llu: pending traces of two album records",
                       t->file, (unsigned long long)t->offset);
    s->group = t->group;
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

static tg_code write_output(sink_ctx *s, const char *tmp, const char *prov_text, tg_error *e)
{
    tg_ingest_writer *w = NULL;
    tg_code rc = tg_ingest_writer_open(&w, tmp, e);
    if (rc != TG_OK)
        return rc;
    tg_row row;
    int done = 0;
    while (rc == TG_OK) {
        rc = tg_runs_next(&s->runs, &row, &done, e);
        if (rc != TG_OK || done)
            break;
        rc = tg_ingest_writer_row(w, row.album, row.day, row.city, row.nusers, row.nstreams, e);
        s->c->rows++;
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

/* Parses every input into s, filling the record counters. */
static tg_code parse_all(sink_ctx *s, tg_prov *prov, tg_error *e)
{
    const tg_ingest_opts *o = s->o;
    tg_ingest_counts *c = s->c;
    tg_rec_sink sink = {on_album, on_trace, on_group, on_reject, s};
    for (size_t i = 0; i < o->n_inputs; i++) {
        tg_rec_counts n;
        tg_code rc = tg_records_parse(o->inputs[i], &sink, &n, e);
        c->files++;
        c->raw_bytes += n.raw_bytes;
        c->bytes += n.bytes;
        c->records += n.records;
        c->trace_records += n.traces;
        c->nested_traces += n.nested_traces;
        c->album_records += n.albums;   /* duplicates taken out below */
        c->rejected += n.rejected;
        for (int r = 0; r < TG_REJ_COUNT_; r++)
            c->rejected_by[r] += n.rejected_by[r];
        c->unknown_keys += n.unknown_keys;
        if (rc != TG_OK)
            return rc;
        tg_prov_set_hash(prov, i, n.content_hash);
        s->done_bytes += n.raw_bytes;
    }
    /* records.h counted every well-formed album record as an album */
    c->album_records -= c->album_duplicates + s->conflicts;
    c->rejected += s->conflicts;
    c->rejected_by[TG_REJ_CONFLICT] = s->conflicts;
    tg_albums_orphans(&s->albums, &c->orphan_albums, &c->orphan_traces);
    c->albums = tg_albums_count(&s->albums);
    c->cities = tg_intern_count(&s->cities);
    c->genres = tg_intern_count(&s->albums.genres);
    return TG_OK;
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
    tg_code rc = tg_runs_open(&s.runs, TG_INGEST_ROW_MEM(o->mem), o->output, e);
    if (rc != TG_OK)
        return rc;
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
    if (rc == TG_OK)
        rc = parse_all(&s, prov, e);
    if (o->progress)
        tg_progress_end(&s.prog);
    if (rc == TG_OK)
        rc = tg_runs_finish(&s.runs, e);
    c->spills = s.runs.spills;
    c->merge_passes = s.runs.passes;
    c->spill_bytes = s.runs.spill_bytes;
    if (rc == TG_OK)
        rc = tg_prov_text(prov, &prov_text, e);
    if (rc == TG_OK)
        rc = tg_tmp_create(o->output, &tmp, e);
    if (rc == TG_OK)
        rc = write_output(&s, tmp, prov_text, e);
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
