/* write.c - writes the world as JSON: cuts the output into blocks (a day of traces for
 * the flat layouts, a few albums for the nested one), lets worker threads generate
 * blocks in parallel and write them in block order, through zstd when asked. Each
 * block's text depends only on the seed, so the bytes are the same for any number of
 * threads. */
#include "synth.h"

#include "clock.h"
#include "display.h"
#include "output_file.h"
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

const char *const synth_layout_names[] = {"ndjson", "array", "object", "nested", NULL};

#define NESTED_ALBUMS_PER_BLOCK 8

/* Where the text goes: a stdio stream, through a zstd stream when compressing. */
typedef struct {
    FILE *fp;
    const char *name;
    ZSTD_CCtx *z;
    char *zbuf;
    size_t zcap;
    uint64_t bytes;
} sink;

static tg_code sink_put(sink *s, const void *data, size_t len, tg_error *e)
{
    s->bytes += len;
    if (s->fp == NULL) /* discarding */
        return TG_OK;
    if (s->z == NULL) {
        if (len && fwrite(data, 1, len, s->fp) != len)
            return tg_fail_errno(e, TG_ERR_IO, "%s: write failed", s->name);
        return TG_OK;
    }
    ZSTD_inBuffer in = {data, len, 0};
    while (in.pos < in.size) {
        ZSTD_outBuffer out = {s->zbuf, s->zcap, 0};
        size_t r = ZSTD_compressStream2(s->z, &out, &in, ZSTD_e_continue);
        if (ZSTD_isError(r))
            return tg_fail(e, TG_ERR_LIBRARY, "%s: zstd: %s", s->name, ZSTD_getErrorName(r));
        if (out.pos && fwrite(s->zbuf, 1, out.pos, s->fp) != out.pos)
            return tg_fail_errno(e, TG_ERR_IO, "%s: write failed", s->name);
    }
    return TG_OK;
}

static tg_code sink_finish(sink *s, tg_error *e)
{
    if (s->z == NULL)
        return TG_OK;
    ZSTD_inBuffer in = {NULL, 0, 0};
    size_t left;
    do {
        ZSTD_outBuffer out = {s->zbuf, s->zcap, 0};
        left = ZSTD_compressStream2(s->z, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(left))
            return tg_fail(e, TG_ERR_LIBRARY, "%s: zstd: %s", s->name, ZSTD_getErrorName(left));
        if (out.pos && fwrite(s->zbuf, 1, out.pos, s->fp) != out.pos)
            return tg_fail_errno(e, TG_ERR_IO, "%s: write failed", s->name);
    } while (left != 0);
    return TG_OK;
}

/* Shared by the workers: the next block to claim and whose turn it is to write. */
typedef struct {
    const synth_world *w;
    const synth_config *cfg;
    const synth_text *text;
    sink *out;
    uint64_t n_blocks;
    uint64_t next;          /* next block to generate (under lock) */
    uint64_t turn;          /* next block to write */
    int array_started;      /* a record of the current array was written: keep commas */
    int failed;
    tg_error err;
    tg_progress progress;
    uint64_t expected_bytes;
    pthread_mutex_t lock;
    pthread_cond_t turn_cv;
} shared_state;

typedef struct {
    shared_state *sh;
    synth_gen gen;
    synth_buf buf;
    tg_error err;
    tg_code rc;
} worker;

static int is_flat_array(synth_layout l) { return l == SYNTH_ARRAY || l == SYNTH_OBJECT; }

/* Generates block b into wk->buf. */
static tg_code gen_block(worker *wk, uint64_t b)
{
    shared_state *sh = wk->sh;
    const synth_world *w = sh->w;
    synth_layout layout = sh->cfg->layout;
    wk->buf.len = 0;
    tg_code rc = TG_OK;
    if (layout == SYNTH_NESTED) {
        uint32_t a0 = (uint32_t)(b * NESTED_ALBUMS_PER_BLOCK);
        for (uint32_t a = a0; a < a0 + NESTED_ALBUMS_PER_BLOCK && a < w->n_albums && !rc; a++) {
            rc = synth_album_record(w, &wk->buf, a, SYNTH_REC_NESTED, &wk->err);
            int first = 1;
            for (int32_t d = w->albums[a].first_day; d <= w->albums[a].last_day && !rc; d++)
                rc = synth_gen_rows(&wk->gen, &wk->buf, a, d, SYNTH_REC_NESTED, &first, &wk->err);
            if (!rc)
                rc = synth_close_album(&wk->buf, &wk->err);
            wk->gen.counts.album_records++;
        }
        return rc;
    }
    /* Flat layouts: block b is day first_day + b. An album's record comes with its
     * release day, before that day's traces: pre-release traces precede it, so the
     * data holds metadata that arrives after its traces, as the spec allows. */
    int32_t d = w->first_day + (int32_t)b;
    synth_rec_style st = layout == SYNTH_NDJSON ? SYNTH_REC_NDJSON : SYNTH_REC_ARRAY;
    for (uint32_t a = 0; a < w->n_albums && !rc; a++) {
        const synth_album *al = &w->albums[a];
        if (layout != SYNTH_OBJECT && al->release == d) {
            rc = synth_album_record(w, &wk->buf, a, st, &wk->err);
            wk->gen.counts.album_records++;
        }
        if (!rc)
            rc = synth_gen_rows(&wk->gen, &wk->buf, a, d, st, NULL, &wk->err);
    }
    return rc;
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    shared_state *sh = wk->sh;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        uint64_t b = sh->next++;
        int stop = sh->failed || b >= sh->n_blocks;
        pthread_mutex_unlock(&sh->lock);
        if (stop)
            break;
        tg_code rc = gen_block(wk, b);

        pthread_mutex_lock(&sh->lock);
        while (sh->turn != b && !sh->failed)
            pthread_cond_wait(&sh->turn_cv, &sh->lock);
        if (!sh->failed && rc != TG_OK) {
            sh->failed = 1;
            sh->err = wk->err;
        }
        if (!sh->failed) {
            const char *p = wk->buf.p;
            size_t len = wk->buf.len;
            /* Records in arrays start with ",\n": the array's first one drops its comma. */
            if (is_flat_array(sh->cfg->layout) || sh->cfg->layout == SYNTH_NESTED) {
                if (!sh->array_started && len >= 2) {
                    p += 2, len -= 2;
                }
                if (len)
                    sh->array_started = 1;
            }
            if (sink_put(sh->out, p, len, &sh->err) != TG_OK)
                sh->failed = 1;
            tg_progress_update(&sh->progress, sh->out->bytes, 0);
        }
        sh->turn++;
        pthread_cond_broadcast(&sh->turn_cv);
        pthread_mutex_unlock(&sh->lock);
    }
    return NULL;
}

/* Writes the album records of the object layout (one thread: they are small). */
static tg_code write_albums_array(shared_state *sh, tg_error *e)
{
    synth_buf buf = {0};
    tg_code rc = TG_OK;
    for (uint32_t a = 0; a < sh->w->n_albums && !rc; a++)
        rc = synth_album_record(sh->w, &buf, a, SYNTH_REC_ARRAY, e);
    if (!rc)
        rc = sink_put(sh->out, buf.len >= 2 ? buf.p + 2 : "", buf.len >= 2 ? buf.len - 2 : 0, e);
    free(buf.p);
    return rc;
}

/* Runs the workers over all blocks. Their counts are added to res. */
static tg_code run_blocks(shared_state *sh, synth_result *res, uint8_t *seen, tg_error *e)
{
    unsigned T = sh->cfg->threads ? sh->cfg->threads : 1;
    worker *wk = calloc(T, sizeof *wk);
    pthread_t *tid = calloc(T, sizeof *tid);
    if (!wk || !tid) {
        free(wk), free(tid);
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for %u threads", T);
    }
    sh->next = sh->turn = 0;
    sh->array_started = 0;
    tg_code rc = TG_OK;
    unsigned started = 0;
    for (unsigned i = 0; i < T && rc == TG_OK; i++) {
        wk[i].sh = sh;
        rc = synth_gen_init(&wk[i].gen, sh->w, sh->text, e);
        if (rc == TG_OK && pthread_create(&tid[i], NULL, worker_main, &wk[i]) != 0) {
            synth_gen_free(&wk[i].gen);
            rc = tg_fail(e, TG_ERR_LIBRARY, "synth: cannot start thread %u", i);
        }
        if (rc == TG_OK)
            started++;
    }
    if (rc != TG_OK) { /* let the running ones finish quickly */
        pthread_mutex_lock(&sh->lock);
        sh->failed = 1;
        pthread_cond_broadcast(&sh->turn_cv);
        pthread_mutex_unlock(&sh->lock);
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        synth_counts *c = &wk[i].gen.counts, *s = &res->counts;
        s->rows += c->rows, s->rows_paris += c->rows_paris;
        s->rows_unknown_age += c->rows_unknown_age, s->rows_pre_release += c->rows_pre_release;
        s->users += c->users, s->users_paris += c->users_paris;
        s->streams += c->streams, s->streams_paris += c->streams_paris;
        s->album_records += c->album_records;
        for (uint32_t k = 0; k < sh->w->n_cities; k++)
            seen[k] |= wk[i].gen.city_seen[k];
        synth_gen_free(&wk[i].gen);
        free(wk[i].buf.p);
    }
    free(wk);
    free(tid);
    if (rc == TG_OK && sh->failed) {
        *e = sh->err;
        rc = sh->err.code ? sh->err.code : TG_ERR_IO;
    }
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

tg_code synth_write(const synth_world *w, const synth_config *cfg, synth_result *res, tg_error *e)
{
    memset(res, 0, sizeof *res);
    uint64_t t0 = tg_clock_ns();
    synth_text text;
    tg_code rc = synth_text_build(&text, w, e);
    if (rc != TG_OK)
        return rc;
    uint8_t *seen = calloc(w->n_cities, 1);
    if (seen == NULL) {
        synth_text_free(&text);
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory");
    }
    tg_outfile of = {0};
    rc = cfg->discard ? TG_OK : tg_outfile_open(&of, cfg->output, e);
    if (rc != TG_OK) {
        free(seen);
        synth_text_free(&text);
        return rc;
    }
    sink out = {.fp = of.fp, .name = cfg->output};
    if (ends_with(cfg->output, ".zst") && !cfg->discard) {
        out.z = ZSTD_createCCtx();
        out.zcap = ZSTD_CStreamOutSize();
        out.zbuf = malloc(out.zcap);
        if (out.z == NULL || out.zbuf == NULL) {
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: cannot set up zstd", cfg->output);
        } else {
            ZSTD_CCtx_setParameter(out.z, ZSTD_c_compressionLevel, cfg->zstd_level);
            ZSTD_CCtx_setParameter(out.z, ZSTD_c_checksumFlag, 1);
            /* Worker threads inside zstd compress while ours generate; a libzstd built
             * without them refuses, and compression stays in the writing thread. */
            if (cfg->threads > 1)
                ZSTD_CCtx_setParameter(out.z, ZSTD_c_nbWorkers, (int)cfg->threads);
        }
    }
    shared_state sh = {.w = w, .cfg = cfg, .text = &text, .out = &out};
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.turn_cv, NULL);
    tg_progress_start(&sh.progress, "synth", "rows", w->cfg.traces * 140);

    if (rc == TG_OK) {
        switch (cfg->layout) {
        case SYNTH_NDJSON:
            sh.n_blocks = (uint64_t)(w->last_day - w->first_day + 1);
            rc = run_blocks(&sh, res, seen, e);
            break;
        case SYNTH_ARRAY:
            sh.n_blocks = (uint64_t)(w->last_day - w->first_day + 1);
            rc = sink_put(&out, "[\n", 2, e);
            if (!rc)
                rc = run_blocks(&sh, res, seen, e);
            if (!rc)
                rc = sink_put(&out, "\n]\n", 3, e);
            break;
        case SYNTH_OBJECT:
            sh.n_blocks = (uint64_t)(w->last_day - w->first_day + 1);
            rc = sink_put(&out, "{\"albums\": [\n", 13, e);
            if (!rc)
                rc = write_albums_array(&sh, e);
            res->counts.album_records += w->n_albums;
            if (!rc)
                rc = sink_put(&out, "\n],\n\"traces\": [\n", 16, e);
            if (!rc)
                rc = run_blocks(&sh, res, seen, e);
            if (!rc)
                rc = sink_put(&out, "\n]}\n", 4, e);
            break;
        case SYNTH_NESTED:
            sh.n_blocks = (w->n_albums + NESTED_ALBUMS_PER_BLOCK - 1) / NESTED_ALBUMS_PER_BLOCK;
            rc = sink_put(&out, "[\n", 2, e);
            if (!rc)
                rc = run_blocks(&sh, res, seen, e);
            if (!rc)
                rc = sink_put(&out, "\n]\n", 3, e);
            break;
        }
    }
    if (rc == TG_OK)
        rc = sink_finish(&out, e);
    tg_progress_end(&sh.progress);
    pthread_cond_destroy(&sh.turn_cv);
    pthread_mutex_destroy(&sh.lock);
    ZSTD_freeCCtx(out.z);
    free(out.zbuf);
    res->bytes = out.bytes;
    if (cfg->discard)
        ;
    else if (rc == TG_OK)
        rc = tg_outfile_commit(&of, e);
    else
        tg_outfile_abort(&of);
    for (uint32_t c = 0; c < w->n_cities; c++)
        res->cities_with_traces += seen[c];
    free(seen);
    synth_text_free(&text);
    struct stat st;
    if (rc == TG_OK && !cfg->discard && strcmp(cfg->output, "-") != 0 && stat(cfg->output, &st) == 0)
        res->file_bytes = (uint64_t)st.st_size;
    res->seconds = (tg_clock_ns() - t0) / 1e9;
    return rc;
}
