/* aggregate.c - the aggregate stage: reads ingest.h5's rows in (album, day, city)
 * order chunk by chunk, bins them (bin.c), and writes each album's row to the store
 * with its labels (labels.c) and split (stratify.c). */
#include "aggregate.h"

#include "bin.h"
#include "clock.h"
#include "display.h"
#include "ingest_file.h"
#include "labels.h"
#include "progress.h"
#include "store.h"
#include "stratify.h"

#include <stdlib.h>
#include <string.h>

/* The counters as (name, value) pairs, in the order they are printed and stored. */
#define N_COUNTERS 16
static void counter_list(const tg_aggregate_counts *c, const char *names[N_COUNTERS],
                         uint64_t values[N_COUNTERS])
{
    const char *n[N_COUNTERS] = {"rows", "rows_in_window", "rows_before_release", "rows_past_window",
                                 "orphan_rows", "orphan_albums", "albums", "albums_labeled",
                                 "albums_unlabeled", "albums_train", "albums_test", "albums_emptied",
                                 "genres", "genres_kept", "genres_dropped", "entries"};
    uint64_t v[N_COUNTERS] = {c->rows, c->rows_in_window, c->rows_before_release, c->rows_past_window,
                              c->orphan_rows, c->orphan_albums, c->albums, c->albums_labeled,
                              c->albums_unlabeled, c->albums_train, c->albums_test, c->albums_emptied,
                              c->genres, c->genres_kept, c->genres_dropped, c->entries};
    memcpy(names, n, sizeof n);
    memcpy(values, v, sizeof v);
}

int tg_aggregate_print_counts(FILE *fp, const tg_aggregate_counts *c)
{
    const char *names[N_COUNTERS];
    uint64_t values[N_COUNTERS];
    counter_list(c, names, values);
    for (int i = 0; i < N_COUNTERS; i++)
        fprintf(fp, "  %-20s %llu\n", names[i], (unsigned long long)values[i]);
    int ok = c->rows == c->rows_in_window + c->rows_before_release + c->rows_past_window + c->orphan_rows
             && c->albums == c->albums_train + c->albums_test + c->albums_unlabeled;
    fprintf(fp, "  %s\n", ok ? "every row and album accounted for" : "COUNTS DO NOT ADD UP");
    return ok;
}

/* Everything one run holds, freed in one place. */
typedef struct {
    tg_ingest_file in;
    tg_labels labels;
    tg_binner binner;
    uint8_t *split;               /* [A] */
    const char **names;           /* kept, then dropped genre names */
    uint32_t *counts;             /* kept, then dropped counts */
    uint32_t *row_album, *row_city;   /* [TG_INGEST_CHUNK_ROWS] */
    int32_t *row_day;
    uint64_t *row_value;
    tg_store_writer *w;
    char *prov_text;
    FILE *pack;                   /* MPI ranks > 0: their binned albums, for rank 0 */
    uint64_t row_lo, row_hi;      /* this rank's rows */
    size_t alb_lo, alb_hi;        /* and albums */
} run;

static void run_free(run *r)
{
    tg_store_writer_abort(r->w);
    tg_binner_free(&r->binner);
    tg_labels_free(&r->labels);
    tg_ingest_file_close(&r->in);
    free(r->split);
    free(r->names);
    free(r->counts);
    free(r->row_album);
    free(r->row_city);
    free(r->row_day);
    free(r->row_value);
    free(r->prov_text);
    if (r->pack != NULL)
        fclose(r->pack);
}

/* One binned album as a rank > 0 packs it for rank 0: album index, entry count, then
 * the indices and the values. */
typedef struct {
    uint64_t album, n;
} pack_head;

/* Writes album a's row (empty if it had no rows in the window). */
static tg_code emit(run *r, size_t a, tg_aggregate_counts *c, tg_error *e)
{
    const int32_t *idx;
    const uint32_t *val;
    size_t n;
    tg_code rc = tg_binner_album(&r->binner, &idx, &val, &n, r->in.album_id[a], e);
    if (rc == TG_OK && r->pack != NULL) {
        pack_head h = {a, n};
        if (fwrite(&h, sizeof h, 1, r->pack) != 1 || fwrite(idx, sizeof *idx, n, r->pack) != n ||
            fwrite(val, sizeof *val, n, r->pack) != n)
            rc = tg_fail_errno(e, TG_ERR_IO, "cannot write a temporary file (binned albums)");
        c->entries += n;
        return rc;
    }
    if (rc == TG_OK)
        rc = tg_store_writer_add(r->w, r->in.album_id[a], r->in.release_day[a], r->split[a],
                                 r->labels.labels + a * r->labels.n_kept, n, idx, val, e);
    c->entries += n;
    return rc;
}

/* Albums [*next, upto) that have a record and no more rows get their row now. */
static tg_code emit_until(run *r, size_t *next, size_t upto, tg_aggregate_counts *c, tg_error *e)
{
    tg_code rc = TG_OK;
    for (; *next < upto && rc == TG_OK; ++*next)
        if (r->in.release_day[*next] != TG_INGEST_NO_RELEASE)
            rc = emit(r, *next, c, e);
    return rc;
}

/* Store metadata: kept genres in column order with counts, then the dropped ones. */
static tg_code open_store(const tg_aggregate_opts *o, run *r, tg_error *e)
{
    const tg_labels *l = &r->labels;
    r->names = malloc((l->n_kept + l->n_dropped + 1) * sizeof *r->names);
    r->counts = malloc((l->n_kept + l->n_dropped + 1) * sizeof *r->counts);
    if (r->names == NULL || r->counts == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < l->n_kept; g++) {
        r->names[g] = r->in.genre[l->kept[g]];
        r->counts[g] = l->count[l->kept[g]];
    }
    for (size_t g = 0; g < l->n_dropped; g++) {
        r->names[l->n_kept + g] = r->in.genre[l->dropped[g]];
        r->counts[l->n_kept + g] = l->count[l->dropped[g]];
    }
    tg_store_meta m = {
        .steps = o->steps, .window_days = o->window, .value_field = o->nstreams ? "nstreams" : "nusers",
        .split_seed = o->seed, .provenance = r->prov_text, .n_cities = r->in.n_cities,
        .city_names = (const char *const *)r->in.city, .n_genres = l->n_kept, .genre_names = r->names,
        .genre_counts = r->counts, .n_dropped = l->n_dropped, .dropped_names = r->names + l->n_kept,
        .dropped_counts = r->counts + l->n_kept, .chunk_elems = o->chunk_elems,
    };
    return tg_store_writer_open(o->output, &m, &r->w, e);
}

/* The rows, chunk by chunk: memory is one chunk of rows plus one album's entries. */
static tg_code bin_rows(const tg_aggregate_opts *o, run *r, tg_aggregate_counts *c, tg_error *e)
{
    const size_t N = TG_INGEST_CHUNK_ROWS;
    r->row_album = malloc(N * sizeof *r->row_album);
    r->row_city = malloc(N * sizeof *r->row_city);
    r->row_day = malloc(N * sizeof *r->row_day);
    r->row_value = malloc(N * sizeof *r->row_value);
    if (r->row_album == NULL || r->row_city == NULL || r->row_day == NULL || r->row_value == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for a chunk of rows");
    tg_code rc = tg_binner_init(&r->binner, o->steps, r->in.n_cities, e);
    tg_progress prog;
    /* progress.h counts bytes: those of the row columns read (album, day, city: 4 each;
     * the value: 8), so that its MB figures mean something. */
    const uint64_t row_bytes = 20;
    if (o->progress)
        tg_progress_start(&prog, "aggregate", "rows", r->in.n_rows * row_bytes);
    size_t next = r->alb_lo;   /* first album not yet emitted */
    for (uint64_t start = r->row_lo; start < r->row_hi && rc == TG_OK; start += N) {
        size_t n = r->row_hi - start < N ? (size_t)(r->row_hi - start) : N;
        rc = tg_ingest_file_rows(&r->in, start, n, r->row_album, r->row_day, r->row_city,
                                 o->nstreams ? NULL : r->row_value, o->nstreams ? r->row_value : NULL, e);
        for (size_t i = 0; i < n && rc == TG_OK; i++) {
            size_t a = r->row_album[i];
            if (a >= next) /* a new album: the ones before it are complete */
                rc = emit_until(r, &next, a, c, e);
            if (rc != TG_OK)
                break;
            int32_t rel = r->in.release_day[a], bin = 0;
            if (rel == TG_INGEST_NO_RELEASE) {
                c->orphan_rows++;
                continue;
            }
            int where = tg_bin_of(r->row_day[i], rel, o->steps, o->window, &bin);
            if (where == TG_BIN_BEFORE) {
                c->rows_before_release++;
            } else if (where == TG_BIN_PAST) {
                c->rows_past_window++;
            } else {
                c->rows_in_window++;
                rc = tg_binner_add(&r->binner, bin, r->row_city[i], r->row_value[i], r->in.album_id[a], e);
            }
        }
        c->rows += n;
        if (o->progress)
            tg_progress_update(&prog, (start + n) * row_bytes, start + n);
    }
    if (rc == TG_OK) /* the album of the last row, then the albums with no rows after it */
        rc = emit_until(r, &next, r->alb_hi, c, e);
    if (o->progress)
        tg_progress_end(&prog);
    return rc;
}

/* Rank 0's part before the rows: provenance, labels, split, album counters, the store
 * writer. */
static tg_code setup(const tg_aggregate_opts *o, run *r, tg_prov *prov, tg_aggregate_counts *c,
                     tg_error *e)
{
    tg_code rc;
    if ((rc = tg_prov_hash_inputs(prov, e)) != TG_OK || (rc = tg_prov_text(prov, &r->prov_text, e)) != TG_OK)
        return rc;
    if ((rc = tg_labels_build(&r->in, o->min_albums, &r->labels, e)) != TG_OK)
        return rc;
    const tg_labels *l = &r->labels;
    if ((r->split = malloc(r->in.n_albums + 1)) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    rc = tg_split_stratify(l->labels, r->in.n_albums, l->n_kept, o->test_fraction, o->seed, r->split, e);
    if (rc != TG_OK)
        return rc;
    if (o->nstreams) {   /* a trace without nstreams sums 0 streams: say how many */
        (void)tg_ingest_file_counter(&r->in, "traces_without_nstreams", &c->traces_without_nstreams);
        (void)tg_ingest_file_counter(&r->in, "trace_records", &c->trace_records);
    }
    c->genres = r->in.n_genres;
    c->genres_kept = l->n_kept;
    c->genres_dropped = l->n_dropped;
    c->albums_emptied = l->emptied;
    for (size_t a = 0; a < r->in.n_albums; a++) {
        if (r->in.release_day[a] == TG_INGEST_NO_RELEASE) {
            c->orphan_albums++;
            continue;
        }
        c->albums++;
        c->albums_train += r->split[a] == TG_SPLIT_TRAIN;
        c->albums_test += r->split[a] == TG_SPLIT_TEST;
        c->albums_unlabeled += r->split[a] == TG_SPLIT_UNLABELED;
    }
    c->albums_labeled = c->albums_train + c->albums_test;
    return open_store(o, r, e);
}

static tg_code finish(run *r, tg_aggregate_counts *c, tg_error *e)
{
    const char *names[N_COUNTERS];
    uint64_t values[N_COUNTERS];
    counter_list(c, names, values);
    tg_code rc = tg_store_writer_counters(r->w, N_COUNTERS, names, values, e);
    if (rc != TG_OK)
        return rc;
    tg_store_writer *w = r->w;
    r->w = NULL; /* finish frees it whatever happens */
    return tg_store_writer_finish(w, e);
}

#ifdef TG_HAVE_MPI

enum { TAG_ALBUMS = 5 };

/* Where block k of P starts: the first row of the album holding row k N / P (and that
 * album); every rank computes the same, so blocks meet exactly. */
static tg_code block_start(run *r, int k, int P, uint64_t *row, size_t *alb, tg_error *e)
{
    uint64_t N = r->in.n_rows, t = (uint64_t)((unsigned __int128)N * (unsigned)k / (unsigned)P);
    if (k == 0 || k >= P || t >= N) {
        *row = k == 0 ? 0 : N;
        *alb = k == 0 ? 0 : r->in.n_albums;
        return TG_OK;
    }
    uint32_t a = 0, x = 0;
    tg_code rc = tg_ingest_file_rows(&r->in, t, 1, &a, NULL, NULL, NULL, NULL, e);
    uint64_t lo = 0, hi = t;   /* the first row whose album is >= a */
    while (rc == TG_OK && lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        rc = tg_ingest_file_rows(&r->in, mid, 1, &x, NULL, NULL, NULL, NULL, e);
        if (x < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    *row = lo;
    *alb = a;
    return rc;
}

/* Ranks > 0: their packed albums to rank 0 in messages of about 1 MiB, whole albums,
 * then an empty one (sent even after a failure: rank 0 waits for it). */
static tg_code send_pack(tg_mpi *m, run *r, tg_code rc, tg_error *e)
{
    unsigned char *b = NULL;
    size_t len = 0, cap = 0;
    if (rc == TG_OK && fseek(r->pack, 0, SEEK_SET) != 0)
        rc = tg_fail_errno(e, TG_ERR_IO, "cannot rewind a temporary file (binned albums)");
    pack_head h;
    tg_error se;
    while (rc == TG_OK && fread(&h, sizeof h, 1, r->pack) == 1) {
        size_t body = (size_t)h.n * 8, need = len + sizeof h + body;
        if (need > cap) {
            unsigned char *q = realloc(b, need);
            if (q == NULL) {
                rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (binned albums)");
                break;
            }
            b = q;
            cap = need;
        }
        memcpy(b + len, &h, sizeof h);
        if (fread(b + len + sizeof h, 1, body, r->pack) != body)
            rc = tg_fail_errno(e, TG_ERR_IO, "cannot read a temporary file (binned albums)");
        len = need;
        if (rc == TG_OK && len >= ((size_t)1 << 20)) {
            if (tg_mpi_send(m, b, len, 0, TAG_ALBUMS, &se) != TG_OK)
                tg_mpi_abort(m, "aggregate", &se);
            len = 0;
        }
    }
    if (rc == TG_OK && ferror(r->pack))
        rc = tg_fail_errno(e, TG_ERR_IO, "cannot read a temporary file (binned albums)");
    if (rc == TG_OK && len > 0 && tg_mpi_send(m, b, len, 0, TAG_ALBUMS, &se) != TG_OK)
        tg_mpi_abort(m, "aggregate", &se);
    if (tg_mpi_send(m, NULL, 0, 0, TAG_ALBUMS, &se) != TG_OK)
        tg_mpi_abort(m, "aggregate", &se);
    free(b);
    return rc;
}

/* Rank 0: every other rank's albums, in rank order, into the writer. Takes every
 * message even after a failure, so that no rank is left blocked sending. */
static tg_code receive_all(tg_mpi *m, run *r, tg_error *e)
{
    void *msg = NULL;
    size_t cap = 0, len = 0;
    tg_code rc = TG_OK;
    for (int src = 1; src < m->size; src++) {
        for (;;) {
            if (tg_mpi_recv(m, &msg, &cap, &len, src, TAG_ALBUMS, e) != TG_OK)
                tg_mpi_abort(m, "aggregate", e);
            if (len == 0)
                break;
            const unsigned char *p = msg;
            for (size_t at = 0; at < len && rc == TG_OK;) {
                pack_head h;
                if (len - at < sizeof h) {
                    rc = tg_fail(e, TG_ERR_LIBRARY, "rank %d: a short message of albums", src);
                    break;
                }
                memcpy(&h, p + at, sizeof h);
                size_t body = (size_t)h.n * 8;
                if (h.album >= r->in.n_albums || len - at - sizeof h < body) {
                    rc = tg_fail(e, TG_ERR_LIBRARY, "rank %d: a damaged message of albums", src);
                    break;
                }
                /* at, sizeof h and n * 4 are multiples of 4: the arrays are aligned */
                const int32_t *idx = (const int32_t *)(const void *)(p + at + sizeof h);
                const uint32_t *val = (const uint32_t *)(const void *)(p + at + sizeof h + h.n * 4);
                size_t a = (size_t)h.album;
                rc = tg_store_writer_add(r->w, r->in.album_id[a], r->in.release_day[a], r->split[a],
                                         r->labels.labels + a * r->labels.n_kept, (size_t)h.n, idx,
                                         val, e);
                at += sizeof h + body;
            }
        }
    }
    free(msg);
    return rc;
}

/* The row counters, summed over the ranks onto rank 0. */
static tg_code sum_counts(tg_mpi *m, tg_aggregate_counts *c, tg_error *e)
{
    uint64_t mine[6] = {c->rows, c->rows_in_window, c->rows_before_release, c->rows_past_window,
                        c->orphan_rows, c->entries};
    uint64_t all[6] = {0};
    tg_code rc = tg_mpi_check(MPI_Reduce(mine, all, 6, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD),
                              "MPI_Reduce (counters)", e);
    if (rc == TG_OK && m->rank == 0) {
        c->rows = all[0];
        c->rows_in_window = all[1];
        c->rows_before_release = all[2];
        c->rows_past_window = all[3];
        c->orphan_rows = all[4];
        c->entries = all[5];
    }
    return rc;
}

static tg_code run_mpi(const tg_aggregate_opts *o, run *r, tg_prov *prov, tg_aggregate_counts *c,
                       tg_error *e)
{
    tg_mpi *m = o->mpi;
    tg_code rc = tg_ingest_file_open(&r->in, o->input, e);
    if (rc == TG_OK && m->rank == 0)
        rc = setup(o, r, prov, c, e);
    if (rc == TG_OK)
        rc = block_start(r, m->rank, m->size, &r->row_lo, &r->alb_lo, e);
    if (rc == TG_OK)
        rc = block_start(r, m->rank + 1, m->size, &r->row_hi, &r->alb_hi, e);
    if (rc == TG_OK && m->rank > 0 && (r->pack = tmpfile()) == NULL)
        rc = tg_fail_errno(e, TG_ERR_IO, "cannot create a temporary file (binned albums)");
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;
    TG_DISPLAY(3, "aggregate: rank %d: rows [%llu, %llu), albums [%zu, %zu)\n", m->rank,
               (unsigned long long)r->row_lo, (unsigned long long)r->row_hi, r->alb_lo, r->alb_hi);
    rc = bin_rows(o, r, c, e);
    tg_mpi_test_kill(m, "aggregate", "binned");
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;
    rc = m->rank == 0 ? receive_all(m, r, e) : send_pack(m, r, rc, e);
    if (rc == TG_OK)
        rc = sum_counts(m, c, e);
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;
    if (m->rank == 0)
        rc = finish(r, c, e);
    return tg_mpi_agree(m, rc, e);
}

#endif

static tg_code run_stage(const tg_aggregate_opts *o, run *r, tg_prov *prov, tg_aggregate_counts *c,
                         tg_error *e)
{
#ifdef TG_HAVE_MPI
    if (o->mpi != NULL && o->mpi->active)
        return run_mpi(o, r, prov, c, e);
#endif
    tg_code rc = tg_ingest_file_open(&r->in, o->input, e);
    if (rc != TG_OK)
        return rc;
    r->row_hi = r->in.n_rows;
    r->alb_hi = r->in.n_albums;
    if ((rc = setup(o, r, prov, c, e)) != TG_OK || (rc = bin_rows(o, r, c, e)) != TG_OK)
        return rc;
    return finish(r, c, e);
}

tg_code tg_aggregate_run(const tg_aggregate_opts *o, tg_prov *prov, tg_aggregate_counts *c, tg_error *e)
{
    memset(c, 0, sizeof *c);
    if (o->steps < 1 || o->window < o->steps)
        return tg_fail(e, TG_ERR_USAGE, "--steps %d, --window %d: need 1 <= steps <= window", (int)o->steps,
                       (int)o->window);
    uint64_t t0 = tg_clock_ns();
    run r;
    memset(&r, 0, sizeof r);
    tg_code rc = run_stage(o, &r, prov, c, e);
    if (rc == TG_OK && o->print_dropped && tg_display_level >= 2) {
        TG_DISPLAY(2, "aggregate: kept %zu genres on %u albums or more; dropped %zu:", r.labels.n_kept,
                   (unsigned)o->min_albums, r.labels.n_dropped);
        for (size_t g = 0; g < r.labels.n_dropped; g++)
            TG_DISPLAY(2, "%s %s (%u)", g ? "," : "", r.in.genre[r.labels.dropped[g]],
                       (unsigned)r.labels.count[r.labels.dropped[g]]);
        TG_DISPLAY(2, "\n");
    }
    run_free(&r);
    c->seconds = (double)(tg_clock_ns() - t0) / 1e9;
    return rc;
}
