/* ingest_mpi.c - the ingest stage over the P ranks of an MPI job (ingest.h: MPI): pieces
 * of the input parsed in parallel, dictionaries merged in input order on rank 0, rows
 * exchanged by album, and rank 0 writing the same ingest.h5 a single process writes. */
#include "ingest.h"
#include "stage.h"

#include "clock.h"
#include "display.h"
#include "ingest_file.h"
#include "output_file.h"
#include "rejects.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef TG_HAVE_MPI

enum { TAG_PIECE = 1, TAG_MAP = 2, TAG_ROWS = 3 };

/* One part of the input: a line-aligned range of a plain NDJSON file, or a whole file. */
typedef struct {
    uint32_t file;
    int whole;
    uint64_t start, len;
    int owner;
    uint64_t rows;          /* rows the owner wrote to its row file for this piece */
    uint64_t nc, na;        /* its cities and albums (the map's length) */
} piece;

/* A byte buffer that grows. */
typedef struct {
    unsigned char *p;
    size_t len, cap;
} buf;

static int put(buf *b, const void *d, size_t n)
{
    if (!tg_grow((void **)&b->p, &b->cap, b->len + n + 1, 1))
        return 0;
    if (n > 0)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    return 1;
}

static int put_u64(buf *b, uint64_t v) { return put(b, &v, sizeof v); }

/* A reader over a received buffer; a short buffer is a programmer error upstream. */
typedef struct {
    const unsigned char *p;
    size_t len, at;
    int bad;
} reader;

static const void *take(reader *r, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        return NULL;
    }
    const void *q = r->p + r->at;
    r->at += n;
    return q;
}

static uint64_t take_u64(reader *r)
{
    uint64_t v = 0;
    const void *q = take(r, sizeof v);
    if (q != NULL)
        memcpy(&v, q, sizeof v);
    return v;
}

/* ---- planning: every rank computes the same pieces from the same inputs ---- */

/* Whether path looks like NDJSON: its first line (BOM and blank lines skipped) is one
 * object, '{' to '}'. Why a guess is enough: a cut of another layout falls inside a
 * value, so the piece after it fails to parse, and rank 0 then says so (merge()). */
static int ndjson_like(const char *path)
{
    char b[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n <= 0)
        return 0;
    size_t i = 0, len = (size_t)n;
    if (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i >= len || b[i] != '{')
        return 0;
    const char *nl = memchr(b + i, '\n', len - i);
    if (nl == NULL)
        return 0;
    size_t end = (size_t)(nl - b);
    while (end > i && (b[end - 1] == '\r' || b[end - 1] == ' ' || b[end - 1] == '\t'))
        end--;
    return end > i && b[end - 1] == '}';
}

static int cuttable(const char *path, uint64_t size)
{
    size_t n = strlen(path);
    return strcmp(path, "-") != 0 && !(n >= 4 && strcmp(path + n - 4, ".zst") == 0) &&
           size > 0 && ndjson_like(path);
}

/* The pieces: a cuttable file in up to P line-aligned ranges of about size / P bytes,
 * range j to rank j; any other file whole, to the ranks in turn (stdin to rank 0,
 * which alone has it). Deterministic: every rank gets the same list. */
static tg_code plan(const tg_ingest_opts *o, const tg_prov *prov, int P, piece **out,
                    size_t *n_out, tg_error *e)
{
    piece *pc = NULL;
    size_t n = 0, cap = 0;
    int turn = 0;
    tg_code rc = TG_OK;
    for (size_t i = 0; i < o->n_inputs && rc == TG_OK; i++) {
        const char *path = o->inputs[i];
        uint64_t size = prov->inputs[i].size;
        if (!cuttable(path, size) || P == 1) {
            if (!tg_grow((void **)&pc, &cap, n + 1, sizeof *pc)) {
                rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (pieces)");
                break;
            }
            int owner = strcmp(path, "-") == 0 ? 0 : turn++ % P;
            pc[n++] = (piece){.file = (uint32_t)i, .whole = 1, .owner = owner};
            continue;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
            break;
        }
        uint64_t want = (size + (uint64_t)P - 1) / (uint64_t)P, start = 0;
        for (int j = 0; j < P && start < size && rc == TG_OK; j++) {
            uint64_t end = size;
            if (j < P - 1) {
                rc = igs_range_end(fd, path, start, want, size, &end, e);
                if (end == UINT64_MAX)   /* no line end near: the rest in one piece */
                    end = size;
            }
            if (rc == TG_OK && !tg_grow((void **)&pc, &cap, n + 1, sizeof *pc))
                rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (pieces)");
            if (rc == TG_OK)
                pc[n++] = (piece){.file = (uint32_t)i, .start = start, .len = end - start,
                                  .owner = j};
            start = end;
        }
        close(fd);
    }
    if (rc != TG_OK) {
        free(pc);
        return rc;
    }
    *out = pc;
    *n_out = n;
    return TG_OK;
}

/* ---- a parsed piece as bytes: what rank 0 needs of it (no rows) ---- */

typedef struct {
    uint64_t rc, rows, nc, na, n_ev, arena_len;
    tg_rec_counts counts;
    tg_error err;
} blob_head;

static tg_code serialize(const par_worker *w, uint64_t rows, buf *b, tg_error *e)
{
    blob_head h;
    memset(&h, 0, sizeof h);
    h.rc = (uint64_t)w->rc;
    h.rows = rows;
    h.nc = tg_intern_count(&w->cities);
    h.na = tg_albums_count(&w->albums);
    h.n_ev = w->n_ev;
    h.arena_len = w->arena_len;
    h.counts = w->counts;
    h.err = w->err;
    b->len = 0;
    int ok = put(b, &h, sizeof h);
    for (uint32_t i = 0; ok && i < h.nc; i++) {
        size_t len;
        const char *k = tg_intern_key(&w->cities, i, &len);
        ok = put_u64(b, len) && put(b, k, len);
    }
    for (uint32_t i = 0; ok && i < h.na; i++) {
        size_t len;
        const char *k = tg_intern_key(&w->albums.ids, i, &len);
        ok = put_u64(b, len) && put(b, k, len) && put_u64(b, w->albums.traces[i]);
    }
    ok = ok && put(b, w->ev, w->n_ev * sizeof *w->ev) && put(b, w->arena, w->arena_len);
    return ok ? TG_OK : tg_fail(e, TG_ERR_NOMEM, "out of memory (a piece's dictionaries)");
}

/* Rebuilds a worker from its bytes: dictionaries in the same first-seen order. */
static tg_code deserialize(const unsigned char *p, size_t len, par_worker *w, blob_head *h,
                           tg_error *e)
{
    reader r = {p, len, 0, 0};
    const void *q = take(&r, sizeof *h);
    if (q == NULL)
        return tg_fail(e, TG_ERR_LIBRARY, "a piece's message is too short");
    memcpy(h, q, sizeof *h);
    tg_code rc = TG_OK;
    for (uint64_t i = 0; i < h->nc && rc == TG_OK && !r.bad; i++) {
        uint64_t n = take_u64(&r);
        const char *k = take(&r, n);
        uint32_t idx;
        if (k != NULL)
            rc = tg_intern_put(&w->cities, k, n, &idx, NULL, e);
    }
    for (uint64_t i = 0; i < h->na && rc == TG_OK && !r.bad; i++) {
        uint64_t n = take_u64(&r);
        const char *k = take(&r, n);
        uint64_t traces = take_u64(&r);
        uint32_t idx;
        if (k != NULL && !r.bad)
            rc = tg_albums_trace(&w->albums, k, n, traces, &idx, e);
    }
    if (rc != TG_OK)
        return rc;
    const void *ev = take(&r, h->n_ev * sizeof *w->ev);
    const void *arena = take(&r, h->arena_len);
    if (r.bad)
        return tg_fail(e, TG_ERR_LIBRARY, "a piece's message is too short");
    if (!tg_grow((void **)&w->ev, &w->cap_ev, h->n_ev + 1, sizeof *w->ev) ||
        !tg_grow((void **)&w->arena, &w->arena_cap, h->arena_len + 1, 1))
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (a piece's events)");
    memcpy(w->ev, ev, h->n_ev * sizeof *w->ev);
    memcpy(w->arena, arena, h->arena_len);
    w->n_ev = h->n_ev;
    w->arena_len = h->arena_len;
    w->counts = h->counts;
    w->rc = (tg_code)h->rc;
    w->err = h->err;
    return TG_OK;
}

/* ---- the run ---- */

/* Everything one rank holds, freed in one place. */
typedef struct {
    tg_mpi *m;
    const tg_ingest_opts *o;
    piece *pc;
    size_t n_pc;
    buf *blobs;              /* [n_pc] this rank's pieces, serialized */
    FILE *rows_fp;           /* this rank's parsed rows, local indices, piece after piece */
    uint32_t **maps;         /* rank 0: [n_pc] each piece's map, until sent */
    uint32_t *bnd;           /* [P + 1] album partition: rank r owns [bnd[r], bnd[r+1]) */
    tg_runs runs;            /* this rank's albums' rows, sorted */
    int runs_open;
    sink_ctx s;              /* rank 0: the stage's dictionaries and counters */
    tg_outfile rej;
    int rej_open;
} mpi_run;

/* Parses this rank's pieces, each into a worker whose rows go on to the row file. */
static tg_code parse_mine(mpi_run *R, tg_error *e)
{
    par_worker w;
    memset(&w, 0, sizeof w);
    tg_code rc = TG_OK;
    if ((R->rows_fp = tmpfile()) == NULL)
        return tg_fail_errno(e, TG_ERR_IO, "cannot create a temporary file (rows)");
    for (size_t k = 0; k < R->n_pc && rc == TG_OK; k++) {
        piece *p = &R->pc[k];
        if (p->owner != R->m->rank)
            continue;
        igs_w_reset(&w);
        w.path = R->o->inputs[p->file];
        w.whole = p->whole;
        w.start = p->start;
        w.len = p->len;
        w.rows_fp = R->rows_fp;
        w.rows_out = 0;
        igs_w_parse(&w);
        /* a failed piece is rank 0's to judge (merge): its bytes say how it failed */
        if (w.rc == TG_OK)
            rc = igs_w_flush_rows(&w, e);
        p->rows = w.rc == TG_OK ? w.rows_out : 0;
        p->nc = tg_intern_count(&w.cities);
        p->na = tg_albums_count(&w.albums);
        if (rc == TG_OK)
            rc = serialize(&w, p->rows, &R->blobs[k], e);
    }
    igs_w_free(&w);
    return rc;
}

/* Rank 0: the pieces in input order, as ingest.c's w_merge merges thread ranges, rows
 * aside; maps[k] keeps piece k's renumbering for its owner. */
static tg_code merge(mpi_run *R, tg_prov *prov, tg_error *e)
{
    tg_mpi *m = R->m;
    const tg_ingest_opts *o = R->o;
    tg_code rc = TG_OK;
    void *msg = NULL;
    size_t msg_cap = 0, msg_len = 0;
    uint32_t *map = NULL;
    size_t map_cap = 0;
    uint64_t line0 = 0;
    int failed = 0;
    for (size_t k = 0; k < R->n_pc; k++) {
        piece *p = &R->pc[k];
        const unsigned char *bytes;
        size_t len;
        /* every blob is received, even after a failure: its sender waits on it */
        if (p->owner == 0) {
            bytes = R->blobs[k].p;
            len = R->blobs[k].len;
        } else {
            tg_code rrc = tg_mpi_recv(m, &msg, &msg_cap, &msg_len, p->owner, TAG_PIECE, e);
            if (rrc != TG_OK)
                tg_mpi_abort(m, "ingest", e);   /* the job lost its messages: no way on */
            bytes = msg;
            len = msg_len;
        }
        if (rc != TG_OK || failed)
            continue;
        if (k > 0 && R->pc[k - 1].file != p->file)
            line0 = 0;
        par_worker w;
        memset(&w, 0, sizeof w);
        blob_head h;
        memset(&h, 0, sizeof h);
        rc = deserialize(bytes, len, &w, &h, e);
        w.path = o->inputs[p->file];
        w.whole = p->whole;
        w.start = p->start;
        w.len = p->len;
        if (rc == TG_OK && w.rc != TG_OK) {
            failed = 1;
            if (w.rc != TG_ERR_FORMAT || p->whole) {
                *e = w.err;
                rc = w.rc;
            } else {
                /* As with threads: the records before this piece all parsed, so
                 * parsing on from its start finds the single-process error, with its
                 * line. If it finds none, the cut fell inside a value. */
                tg_rec_sink none = {NULL, NULL, NULL, NULL, NULL};
                tg_rec_counts n;
                rc = tg_records_parse_range(w.path, p->start, UINT64_MAX, line0, &none, &n, e);
                if (rc == TG_OK)
                    rc = tg_fail(e, TG_ERR_FORMAT, "%s: byte %llu: a cut between ranks fell "
                                 "inside a JSON value (the file looked like NDJSON but is "
                                 "not): run ingest without mpirun", w.path,
                                 (unsigned long long)p->start);
            }
        }
        if (rc == TG_OK) {
            p->rows = h.rows;
            p->nc = h.nc;
            p->na = h.na;
            rc = igs_merge_meta(&R->s, &w, line0, &map, &map_cap, e);
        }
        if (rc == TG_OK && p->whole)
            tg_prov_set_hash(prov, p->file, h.counts.content_hash);
        line0 += h.counts.newlines;
        size_t nm = (size_t)(p->nc + p->na);
        if (rc == TG_OK && (R->maps[k] = malloc((nm + 1) * sizeof *map)) == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (a piece's map)");
        if (rc == TG_OK && nm > 0)
            memcpy(R->maps[k], map, nm * sizeof *map);
        igs_w_free(&w);
    }
    free(msg);
    free(map);
    if (rc != TG_OK)
        return rc;
    R->s.c->files = o->n_inputs;
    igs_finish_counts(&R->s);
    /* a cut file's content hash: XXH64 does not combine over ranges, so rank 0 reads
     * it once more, as the threads' calling thread does */
    for (size_t i = 0; i < o->n_inputs && rc == TG_OK; i++)
        if (!prov->inputs[i].hashed) {
            uint64_t hash;
            rc = tg_hash_file(o->inputs[i], &hash, e);
            if (rc == TG_OK)
                tg_prov_set_hash(prov, i, hash);
        }
    return rc;
}

/* Album partition by trace records: rank r gets albums [bnd[r], bnd[r+1]), about a
 * P-th of the rows each (albums differ a hundredfold in rows). Contiguous in album
 * order, so rank 0 writes ranks' sorted rows one after the other. */
static void partition(const tg_albums *t, int P, uint32_t *bnd)
{
    uint32_t A = tg_albums_count(t);
    uint64_t total = 0, acc = 0;
    for (uint32_t a = 0; a < A; a++)
        total += t->traces[a] + 1;
    int r = 1;
    bnd[0] = 0;
    for (uint32_t a = 0; a < A && r < P; a++) {
        acc += t->traces[a] + 1;
        while (r < P && acc * (uint64_t)P >= total * (uint64_t)r)
            bnd[r++] = a + 1;
    }
    while (r <= P)
        bnd[r++] = A;
}

static int owner_of(const uint32_t *bnd, int P, uint32_t album)
{
    int lo = 0, hi = P - 1;   /* the last r with bnd[r] <= album */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (bnd[mid] <= album)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Sends every piece's map to its owner; the owners keep theirs. */
static tg_code share_maps(mpi_run *R, tg_error *e)
{
    tg_mpi *m = R->m;
    tg_code rc = TG_OK;
    for (size_t k = 0; k < R->n_pc && rc == TG_OK; k++) {
        piece *p = &R->pc[k];
        if (p->owner == 0)
            continue;
        if (m->rank == 0) {
            size_t head[3] = {(size_t)p->nc, (size_t)p->na, (size_t)p->rows};
            buf b = {0};
            int ok = put(&b, head, sizeof head) &&
                     put(&b, R->maps[k], (size_t)(p->nc + p->na) * sizeof **R->maps);
            rc = ok ? tg_mpi_send(m, b.p, b.len, p->owner, TAG_MAP, e)
                    : tg_fail(e, TG_ERR_NOMEM, "out of memory (maps)");
            free(b.p);
        } else if (p->owner == m->rank) {
            void *msg = NULL;
            size_t cap = 0, len = 0, head[3];
            rc = tg_mpi_recv(m, &msg, &cap, &len, 0, TAG_MAP, e);
            if (rc == TG_OK && len < sizeof head)
                rc = tg_fail(e, TG_ERR_LIBRARY, "a map message is too short");
            if (rc == TG_OK) {
                memcpy(head, msg, sizeof head);
                p->nc = head[0];
                p->na = head[1];
                p->rows = head[2];
                size_t nm = head[0] + head[1];
                if (len != sizeof head + nm * sizeof **R->maps)
                    rc = tg_fail(e, TG_ERR_LIBRARY, "a map message has the wrong length");
                else if ((R->maps[k] = malloc((nm + 1) * sizeof **R->maps)) == NULL)
                    rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (maps)");
                else
                    memcpy(R->maps[k], (unsigned char *)msg + sizeof head,
                           nm * sizeof **R->maps);
            }
            free(msg);
        }
    }
    return rc;
}

/* Collective calls inside the exchange rounds: a failure there leaves the ranks out of
 * step, so it ends the job (ranks.h's abort path) rather than being agreed on. */
static void must(mpi_run *R, int mpi_rc, const char *what)
{
    tg_error e;
    if (tg_mpi_check(mpi_rc, what, &e) != TG_OK)
        tg_mpi_abort(R->m, "ingest", &e);
}

/* The rows, renumbered to the global dictionaries, to the ranks that own their albums,
 * in rounds of MPI_Alltoallv of at most B rows per destination (memory: 2 P B rows),
 * each rank adding what it gets to its row buffer (runs.h sorts and spills). A rank
 * that failed goes on taking part in the rounds with nothing to send, so that the
 * others are not left waiting; the failure is agreed on afterwards. */
static tg_code exchange(mpi_run *R, tg_error *e)
{
    tg_mpi *m = R->m;
    int P = m->size;
    size_t B = R->o->mem / 8 / ((size_t)P * sizeof(tg_row));
    B = B < 1024 ? 1024 : B > 65536 ? 65536 : B;
    tg_row *out = malloc((size_t)P * B * sizeof *out);
    tg_row *in = malloc((size_t)P * B * sizeof *in);
    int *scount = calloc((size_t)P, sizeof *scount), *rcount = calloc((size_t)P, sizeof *rcount);
    int *sdisp = calloc((size_t)P, sizeof *sdisp), *rdisp = calloc((size_t)P, sizeof *rdisp);
    size_t *fill = calloc((size_t)P, sizeof *fill);
    tg_code rc = TG_OK;
    if (out == NULL || in == NULL || scount == NULL || rcount == NULL || sdisp == NULL ||
        rdisp == NULL || fill == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (exchange buffers)");
    if (rc == TG_OK && fseek(R->rows_fp, 0, SEEK_SET) != 0)
        rc = tg_fail_errno(e, TG_ERR_IO, "cannot rewind a temporary file (rows)");
    size_t k = 0;            /* current piece of this rank */
    uint64_t left = 0;       /* its rows not yet read */
    int started = 0, done_local = 0;
    for (;;) {
        /* fill until a destination is full or this rank's rows are all out */
        while (rc == TG_OK && !done_local) {
            if (!started || left == 0) {
                if (started)
                    k++;
                started = 1;
                while (k < R->n_pc && R->pc[k].owner != m->rank)
                    k++;
                if (k >= R->n_pc) {
                    done_local = 1;
                    break;
                }
                left = R->pc[k].rows;
                continue;
            }
            int full = 0;
            for (int d = 0; d < P; d++)
                full |= fill[d] == B;
            if (full)
                break;
            tg_row row;
            if (fread(&row, sizeof row, 1, R->rows_fp) != 1) {
                rc = tg_fail_errno(e, TG_ERR_IO, "cannot read a temporary file (rows)");
                break;
            }
            left--;
            const uint32_t *map = R->maps[k];
            if (row.city >= R->pc[k].nc || row.album >= R->pc[k].na) {
                rc = tg_fail(e, TG_ERR_LIBRARY, "a row's index is outside its piece's map");
                break;
            }
            row.city = map[row.city];
            row.album = map[R->pc[k].nc + row.album];
            int d = owner_of(R->bnd, P, row.album);
            if (d == m->rank)
                rc = tg_runs_add(&R->runs, &row, e);
            else
                out[(size_t)d * B + fill[d]++] = row;
        }
        int finished = rc != TG_OK || done_local, all = 0;
        must(R, MPI_Allreduce(&finished, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD),
             "MPI_Allreduce (rows exchanged)");
        for (int d = 0; d < P; d++) {
            scount[d] = rc == TG_OK ? (int)(fill[d] * sizeof *out) : 0;
            sdisp[d] = (int)((size_t)d * B * sizeof *out);
        }
        must(R, MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, MPI_COMM_WORLD),
             "MPI_Alltoall (row counts)");
        size_t rtotal = 0;
        for (int d = 0; d < P; d++) {
            rdisp[d] = (int)rtotal;
            rtotal += (size_t)rcount[d];
        }
        must(R, MPI_Alltoallv(out, scount, sdisp, MPI_BYTE, in, rcount, rdisp, MPI_BYTE,
                              MPI_COMM_WORLD), "MPI_Alltoallv (rows)");
        for (int d = 0; d < P; d++) {
            if (d != m->rank) {
                m->sent += (uint64_t)scount[d];
                m->received += (uint64_t)rcount[d];
            }
            fill[d] = 0;
        }
        for (size_t i = 0; i < rtotal / sizeof *in && rc == TG_OK; i++)
            rc = tg_runs_add(&R->runs, &in[i], e);
        /* all ranks had finished before this round: it carried their last rows */
        if (all)
            break;
    }
    free(out);
    free(in);
    free(scount);
    free(rcount);
    free(sdisp);
    free(rdisp);
    free(fill);
    return rc;
}

/* Rank 0's row source for igs_write_output: its own sorted rows, then rank 1's as they
 * come, and so on (their albums follow in that order). */
typedef struct {
    mpi_run *R;
    int from;                /* rank being read */
    tg_row *batch;
    size_t n, i, cap;
    int ended;               /* the current rank's end-of-rows came */
} row_stream;

static tg_code stream_next(void *ctx, const tg_row **rows, size_t *n, tg_error *e)
{
    row_stream *st = ctx;
    mpi_run *R = st->R;
    *n = 0;
    for (;;) {
        if (st->from == 0) {
            tg_code rc = tg_runs_next_block(&R->runs, rows, n, e);
            if (rc != TG_OK || *n > 0)
                return rc;
            st->from = 1;
            st->ended = 0;
            st->n = st->i = 0;
        }
        if (st->from >= R->m->size)
            return TG_OK;
        if (st->i < st->n) {   /* the rest of the batch received, in one block */
            *rows = st->batch + st->i;
            *n = st->n - st->i;
            st->i = st->n;
            return TG_OK;
        }
        if (st->ended) {
            st->from++;
            st->ended = 0;
            continue;
        }
        size_t len = 0, cap = st->cap * sizeof *st->batch;
        tg_code rc = tg_mpi_recv(R->m, (void **)&st->batch, &cap, &len, st->from, TAG_ROWS, e);
        if (rc != TG_OK)
            tg_mpi_abort(R->m, "ingest", e);
        st->cap = cap / sizeof *st->batch;
        st->n = len / sizeof *st->batch;
        st->i = 0;
        st->ended = st->n == 0;
    }
}

/* Rank 0 after a failed write: takes the rest of every rank's rows, which they are
 * blocked sending, so that all reach the agreement. */
static void stream_drain(row_stream *st)
{
    tg_error e;
    const tg_row *rows;
    size_t n;
    if (st->from == 0)
        st->from = 1, st->ended = 0, st->n = st->i = 0;
    do {
        if (stream_next(st, &rows, &n, &e) != TG_OK)
            break;
    } while (n > 0);
}

/* Ranks > 0: their sorted rows to rank 0, in batches, then an empty batch. The empty
 * batch is sent even after a failure (rank 0 waits on it). */
static tg_code send_rows(mpi_run *R, tg_code rc, tg_error *e)
{
    enum { N = 65536 };
    tg_row *b = malloc(N * sizeof *b);
    if (rc == TG_OK && b == NULL)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (row batch)");
    int done = rc != TG_OK;
    while (!done) {
        size_t n = 0;   /* blocks gathered into one batch of at most N rows */
        while (n + TG_RUN_BLOCK_ROWS <= N && rc == TG_OK) {
            const tg_row *rows;
            size_t k = 0;
            rc = tg_runs_next_block(&R->runs, &rows, &k, e);
            if (rc != TG_OK || k == 0) {
                done = 1;
                break;
            }
            memcpy(b + n, rows, k * sizeof *rows);
            n += k;
        }
        if (n > 0) {
            tg_error se;
            if (tg_mpi_send(R->m, b, n * sizeof *b, 0, TAG_ROWS, &se) != TG_OK)
                tg_mpi_abort(R->m, "ingest", &se);
        }
    }
    tg_error se;
    if (tg_mpi_send(R->m, NULL, 0, 0, TAG_ROWS, &se) != TG_OK)
        tg_mpi_abort(R->m, "ingest", &se);
    free(b);
    return rc;
}

static tg_code stage(mpi_run *R, tg_prov *prov, tg_ingest_counts *c, tg_error *e)
{
    tg_mpi *m = R->m;
    const tg_ingest_opts *o = R->o;
    int P = m->size;
    tg_code rc = plan(o, prov, P, &R->pc, &R->n_pc, e);
    if (rc == TG_OK && ((R->blobs = calloc(R->n_pc + 1, sizeof *R->blobs)) == NULL ||
                        (R->maps = calloc(R->n_pc + 1, sizeof *R->maps)) == NULL ||
                        (R->bnd = calloc((size_t)P + 1, sizeof *R->bnd)) == NULL))
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    if (rc == TG_OK)
        rc = tg_runs_open(&R->runs, TG_INGEST_ROW_MEM(o->mem), o->output, e);
    R->runs_open = rc == TG_OK;
    if (rc == TG_OK && m->rank == 0) {
        rc = tg_outfile_open(&R->rej, o->rejects, e);
        R->rej_open = rc == TG_OK;
        R->s.rej = R->rej.fp;
    }
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;
    TG_DISPLAY(3, "ingest: %d ranks, %zu pieces\n", P, R->n_pc);

    /* 1. each rank parses its pieces; 2. rank 0 merges their keys and events in input
     * order (blobs sent in ascending piece order, received in that order) */
    rc = parse_mine(R, e);
    tg_mpi_test_kill(m, "ingest", "parsed");
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;
    if (m->rank == 0) {
        rc = merge(R, prov, e);
    } else {
        for (size_t k = 0; k < R->n_pc; k++)
            if (R->pc[k].owner == m->rank) {
                tg_error se;
                if (tg_mpi_send(m, R->blobs[k].p, R->blobs[k].len, 0, TAG_PIECE, &se) != TG_OK)
                    tg_mpi_abort(m, "ingest", &se);
            }
    }
    for (size_t k = 0; k < R->n_pc; k++) {   /* the blobs have served */
        free(R->blobs[k].p);
        R->blobs[k] = (buf){0};
    }
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;

    /* 3. the album partition and each piece's renumbering to its owner */
    if (m->rank == 0) {
        partition(&R->s.albums, P, R->bnd);
    }
    rc = tg_mpi_bcast(m, R->bnd, ((size_t)P + 1) * sizeof *R->bnd, 0, e);
    if (rc == TG_OK)
        rc = share_maps(R, e);
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;

    /* 4. rows to their album's rank, sorted there */
    rc = exchange(R, e);
    fclose(R->rows_fp);
    R->rows_fp = NULL;
    if (rc == TG_OK)
        rc = tg_runs_finish(&R->runs, e);
    tg_mpi_test_kill(m, "ingest", "exchanged");
    if ((rc = tg_mpi_agree(m, rc, e)) != TG_OK)
        return rc;

    /* 5. rank 0 writes ingest.h5 from every rank's sorted rows, in rank order */
    char *tmp = NULL, *prov_text = NULL;
    if (m->rank == 0) {
        row_stream st = {R, 0, NULL, 0, 0, 0, 0};
        rc = igs_record_rejects(&R->rej, prov, e);
        if (rc == TG_OK)
            rc = tg_prov_text(prov, &prov_text, e);
        if (rc == TG_OK)
            rc = tg_tmp_create(o->output, &tmp, e);
        if (rc == TG_OK)
            rc = igs_write_output(&R->s, stream_next, &st, tmp, prov_text, e);
        if (rc != TG_OK)
            stream_drain(&st);
        free(st.batch);
    } else {
        rc = send_rows(R, rc, e);
    }
    rc = tg_mpi_agree(m, rc, e);
    /* as single-process: the rejects first, ingest.h5 (with the provenance) last */
    if (m->rank == 0 && rc == TG_OK) {
        rc = tg_outfile_commit(&R->rej, e);
        R->rej_open = 0;
        if (rc == TG_OK)
            rc = tg_tmp_commit(tmp, o->output, e);
        tmp = rc == TG_OK ? tmp : NULL;
    }
    if (tmp != NULL && rc != TG_OK)
        tg_tmp_discard(tmp);
    free(tmp);
    free(prov_text);
    c->spills = R->runs.spills;
    c->merge_passes = R->runs.passes;
    c->spill_bytes = R->runs.spill_bytes;
    return tg_mpi_agree(m, rc, e);
}

tg_code tg_ingest_run_mpi(const tg_ingest_opts *o, tg_prov *prov, tg_mpi *m,
                          tg_ingest_counts *c, uint64_t *xfer, tg_error *e)
{
    uint64_t t0 = tg_clock_ns();
    memset(c, 0, sizeof *c);
    mpi_run R;
    memset(&R, 0, sizeof R);
    R.m = m;
    R.o = o;
    R.s.o = o;
    R.s.c = c;
    tg_albums_init(&R.s.albums);
    tg_intern_init(&R.s.cities);
    tg_code rc = stage(&R, prov, c, e);
    if (R.rej_open)
        tg_outfile_abort(&R.rej);
    if (R.rows_fp != NULL)
        fclose(R.rows_fp);
    if (R.runs_open)
        tg_runs_close(&R.runs);
    for (size_t k = 0; k < R.n_pc; k++) {
        if (R.blobs != NULL)
            free(R.blobs[k].p);
        if (R.maps != NULL)
            free(R.maps[k]);
    }
    free(R.blobs);
    free(R.maps);
    free(R.bnd);
    free(R.pc);
    tg_albums_free(&R.s.albums);
    free(R.s.genre_view);
    tg_intern_free(&R.s.cities);
    /* bytes each rank sent and received, gathered on rank 0 (xfer: [2 P]) */
    uint64_t mine[2] = {m->sent, m->received};
    tg_error ge;
    if (tg_mpi_check(MPI_Gather(mine, 2, MPI_UINT64_T, xfer, 2, MPI_UINT64_T, 0,
                                MPI_COMM_WORLD), "MPI_Gather (bytes exchanged)", &ge) != TG_OK &&
        rc == TG_OK) {
        *e = ge;
        rc = ge.code;
    }
    c->seconds = (double)(tg_clock_ns() - t0) / 1e9;
    return rc;
}

#else

tg_code tg_ingest_run_mpi(const tg_ingest_opts *o, tg_prov *prov, tg_mpi *m,
                          tg_ingest_counts *c, uint64_t *xfer, tg_error *e)
{
    (void)o;
    (void)prov;
    (void)m;
    (void)xfer;
    memset(c, 0, sizeof *c);
    return tg_fail(e, TG_ERR_USAGE, "built without MPI");
}

#endif
