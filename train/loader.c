/* loader.c - the prefetching loader (see loader.h). One producer thread, one consumer:
 * the producer walks the announced order batch by batch into ring slots; fill hands the
 * next slot's arrays to the trainer by swapping them with the trainer's buffer, so no
 * batch is copied. Chunk bytes come from an mmap of the store, decoded by store/'s
 * codec: HDF5 is not entered after open, so its global lock never serialises us. */
#include "loader.h"

#include "clock.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    tg_csr_buf buf;
    uint64_t seq;       /* batch number within the pass */
    int full;
} slot;

/* Decoded chunks of one dataset: cached ones, and one streaming buffer for when the
 * budget is spent (consecutive rows mostly share their chunk, so one is enough). */
typedef struct {
    tg_store_layout layout;
    void **cache;       /* [n_chunks] decoded, or NULL */
    void *stream;       /* chunk_elems elements */
    size_t stream_chunk;
    void *scratch;      /* for unshuffling */
} chunk_set;

struct tg_loader {
    tg_loader_config cfg;
    const unsigned char *map;
    size_t map_len;
    chunk_set sets[2];  /* TG_STORE_INDICES, TG_STORE_DATA */
    uint64_t chunk_bytes;
    tg_rebin_scratch rebin;
    int32_t *row_cols;  /* one stored row */
    uint32_t *row_vals;
    size_t row_cap;
    tg_loader_stats stats;

    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cv;  /* any change of the state below */
    slot *slots;
    uint32_t *order;    /* the current pass */
    size_t n_order;
    int32_t batch;
    uint64_t produce_seq, consume_seq, n_batches;
    uint64_t generation; /* bumped by begin: a producer of an older pass stops */
    int busy;            /* the producer is reading order outside the lock */
    int stop;
    tg_code error;
    tg_error err;
};

static tg_code chunk_get(tg_loader *l, int which, size_t k, const void **out, tg_error *e)
{
    chunk_set *cs = &l->sets[which];
    if (cs->cache[k]) {
        l->stats.cache_hits++;
        *out = cs->cache[k];
        return TG_OK;
    }
    if (cs->stream && cs->stream_chunk == k) {
        *out = cs->stream;
        return TG_OK;
    }
    const tg_store_chunk *c = &cs->layout.chunks[k];
    if (c->offset > l->map_len || c->size > l->map_len - c->offset)
        return tg_fail(e, TG_ERR_FORMAT, "%s: chunk %zu lies past the end of the file",
                       l->cfg.store->path, k);
    void *dst = NULL;
    if (l->stats.cached_bytes + l->chunk_bytes <= l->cfg.cache_bytes) {
        dst = malloc(l->chunk_bytes);
        if (dst == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for a decoded chunk");
    } else {
        if (cs->stream == NULL && (cs->stream = malloc(l->chunk_bytes)) == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for a decoded chunk");
        dst = cs->stream;
        cs->stream_chunk = (size_t)-1; /* invalid until decoded */
    }
    tg_code rc = tg_store_chunk_decode(&cs->layout, c, l->map + c->offset, dst, cs->scratch, e);
    if (rc != TG_OK) {
        if (dst != cs->stream)
            free(dst);
        return rc;
    }
    l->stats.chunks_decoded++;
    if (dst == cs->stream) {
        cs->stream_chunk = k;
    } else {
        cs->cache[k] = dst;
        l->stats.cached_bytes += l->chunk_bytes;
    }
    *out = dst;
    return TG_OK;
}

/* Copies album a's stored entries into row_cols/row_vals. */
static tg_code read_stored_row(tg_loader *l, uint32_t a, size_t *n, tg_error *e)
{
    const tg_store *s = l->cfg.store;
    uint64_t lo = (uint64_t)s->indptr[a], hi = (uint64_t)s->indptr[a + 1];
    size_t len = (size_t)(hi - lo);
    if (len > l->row_cap) {
        int32_t *c = realloc(l->row_cols, len * sizeof *c);
        if (c == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for a row of %zu", len);
        l->row_cols = c;
        uint32_t *v = realloc(l->row_vals, len * sizeof *v);
        if (v == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory for a row of %zu", len);
        l->row_vals = v;
        l->row_cap = len;
    }
    const uint64_t E = l->sets[0].layout.chunk_elems;
    for (uint64_t at = lo; at < hi;) {
        size_t k = (size_t)(at / E);
        uint64_t off = at - (uint64_t)k * E, take = E - off < hi - at ? E - off : hi - at;
        const void *ci = NULL, *cd = NULL;
        tg_code rc = chunk_get(l, TG_STORE_INDICES, k, &ci, e);
        if (rc == TG_OK)
            rc = chunk_get(l, TG_STORE_DATA, k, &cd, e);
        if (rc != TG_OK)
            return rc;
        memcpy(l->row_cols + (at - lo), (const int32_t *)ci + off, take * sizeof(int32_t));
        memcpy(l->row_vals + (at - lo), (const uint32_t *)cd + off, take * sizeof(uint32_t));
        at += take;
    }
    *n = len;
    return TG_OK;
}

tg_code tg_loader_row(tg_loader *l, uint32_t album, int32_t *cols, float *vals, size_t *n,
                      tg_error *e)
{
    size_t len;
    tg_code rc = read_stored_row(l, album, &len, e);
    if (rc == TG_OK)
        *n = tg_rebin_row(&l->rebin, l->cfg.store->steps, l->cfg.steps, l->row_cols,
                          l->row_vals, len, l->cfg.transform, cols, vals);
    return rc;
}

/* Fills out with the rows of albums[0..n). */
static tg_code make_batch(tg_loader *l, const uint32_t *albums, int32_t n, tg_csr_buf *out,
                          tg_error *e)
{
    tg_code rc = tg_csr_buf_reserve(out, n, 0, e);
    if (rc != TG_OK)
        return rc;
    out->indptr[0] = 0;
    int64_t nnz = 0;
    for (int32_t b = 0; b < n; b++) {
        size_t len;
        rc = read_stored_row(l, albums[b], &len, e);
        if (rc == TG_OK)
            rc = tg_csr_buf_reserve(out, n, nnz + (int64_t)len, e);
        if (rc != TG_OK)
            return rc;
        nnz += (int64_t)tg_rebin_row(&l->rebin, l->cfg.store->steps, l->cfg.steps, l->row_cols,
                                     l->row_vals, len, l->cfg.transform, out->indices + nnz,
                                     out->values + nnz);
        out->indptr[b + 1] = nnz;
    }
    out->rows = n;
    out->nnz = nnz;
    return TG_OK;
}

static void *producer(void *arg)
{
    tg_loader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->stop && l->error == TG_OK &&
               (l->produce_seq >= l->n_batches ||
                l->produce_seq - l->consume_seq >= (uint64_t)l->cfg.depth))
            pthread_cond_wait(&l->cv, &l->lock);
        if (l->stop || l->error != TG_OK)
            break;
        uint64_t seq = l->produce_seq, gen = l->generation;
        slot *sl = &l->slots[seq % (uint64_t)l->cfg.depth];
        size_t first = (size_t)seq * (size_t)l->batch;
        int32_t n = (int32_t)(l->n_order - first < (size_t)l->batch ? l->n_order - first
                                                                     : (size_t)l->batch);
        const uint32_t *albums = l->order + first;
        l->busy = 1;
        pthread_mutex_unlock(&l->lock);
        tg_error err = {0};
        tg_code rc = make_batch(l, albums, n, &sl->buf, &err); /* the slot is ours */
        pthread_mutex_lock(&l->lock);
        l->busy = 0;
        pthread_cond_broadcast(&l->cv);
        if (gen != l->generation)
            continue; /* a new pass began meanwhile: this batch is stale */
        if (rc != TG_OK) {
            l->error = rc;
            l->err = err;
        } else {
            sl->seq = seq;
            sl->full = 1;
            l->produce_seq++;
        }
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

static tg_code loader_begin(void *ctx, const uint32_t *order, size_t n, int32_t batch,
                            tg_error *e)
{
    tg_loader *l = ctx;
    if (batch < 1 || batch > l->cfg.batch)
        return tg_fail(e, TG_ERR_USAGE, "batch of %d, the loader was set up for %d",
                       batch, l->cfg.batch);
    uint32_t *copy = malloc((n ? n : 1) * sizeof *copy);
    if (copy == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory for a pass of %zu albums", n);
    memcpy(copy, order, n * sizeof *copy);
    pthread_mutex_lock(&l->lock);
    /* the producer may be inside a batch of the old pass, reading order: let it finish */
    while (l->busy)
        pthread_cond_wait(&l->cv, &l->lock);
    l->generation++;
    free(l->order);
    l->order = copy;
    l->n_order = n;
    l->batch = batch;
    l->n_batches = (n + (size_t)batch - 1) / (size_t)batch;
    l->produce_seq = l->consume_seq = 0;
    for (int i = 0; i < l->cfg.depth; i++)
        l->slots[i].full = 0;
    tg_code rc = l->error;
    if (rc != TG_OK)
        *e = l->err;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static tg_code loader_fill(void *ctx, const uint32_t *albums, int32_t n, tg_csr_buf *out,
                           tg_error *e)
{
    tg_loader *l = ctx;
    uint64_t t0 = tg_clock_ns();
    pthread_mutex_lock(&l->lock);
    uint64_t seq = l->consume_seq;
    size_t first = (size_t)seq * (size_t)(l->batch ? l->batch : 1);
    int announced = l->order && seq < l->n_batches && first + (size_t)n <= l->n_order &&
                    memcmp(l->order + first, albums, (size_t)n * sizeof *albums) == 0;
    if (!announced) { /* not the announced pass: read it here, synchronously */
        pthread_mutex_unlock(&l->lock);
        return tg_fail(e, TG_ERR_USAGE, "loader asked for a batch it was not told of");
    }
    slot *sl = &l->slots[seq % (uint64_t)l->cfg.depth];
    while (!sl->full && l->error == TG_OK)
        pthread_cond_wait(&l->cv, &l->lock);
    tg_code rc = l->error;
    if (rc != TG_OK) {
        *e = l->err;
    } else {
        tg_csr_buf t = *out; /* hand the slot's arrays over, take the caller's back */
        *out = sl->buf;
        sl->buf = t;
        sl->full = 0;
        l->consume_seq++;
        l->stats.batches++;
        pthread_cond_broadcast(&l->cv);
    }
    l->stats.stall_ns += tg_clock_ns() - t0;
    pthread_mutex_unlock(&l->lock);
    return rc;
}

tg_batch_source tg_loader_source(tg_loader *l)
{
    tg_batch_source s = {.begin = loader_begin, .fill = loader_fill, .ctx = l};
    return s;
}

tg_loader_stats tg_loader_get_stats(tg_loader *l)
{
    pthread_mutex_lock(&l->lock);
    tg_loader_stats s = l->stats;
    pthread_mutex_unlock(&l->lock);
    return s;
}

void tg_loader_close(tg_loader *l)
{
    if (l == NULL)
        return;
    if (l->started) {
        pthread_mutex_lock(&l->lock);
        l->stop = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cv);
    for (int w = 0; w < 2; w++) {
        chunk_set *cs = &l->sets[w];
        if (cs->cache)
            for (size_t k = 0; k < cs->layout.n_chunks; k++)
                free(cs->cache[k]);
        free(cs->cache), free(cs->stream), free(cs->scratch);
        tg_store_layout_free(&cs->layout);
    }
    if (l->slots)
        for (int i = 0; i < l->cfg.depth; i++)
            tg_csr_buf_free(&l->slots[i].buf);
    free(l->slots);
    if (l->map)
        munmap((void *)l->map, l->map_len);
    tg_rebin_scratch_free(&l->rebin);
    free(l->row_cols), free(l->row_vals), free(l->order);
    free(l);
}

tg_code tg_loader_open(tg_loader **out, const tg_loader_config *cfg, tg_error *e)
{
    *out = NULL;
    const tg_store *s = cfg->store;
    if (cfg->steps < 1 || cfg->steps > s->steps)
        return tg_fail(e, TG_ERR_USAGE, "--steps %d: the store has %d steps (choose 1 to %d)",
                       cfg->steps, s->steps, s->steps);
    tg_loader *l = calloc(1, sizeof *l);
    if (l == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    l->cfg = *cfg;
    if (l->cfg.depth < 2)
        l->cfg.depth = 2;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cv, NULL);
    tg_code rc = tg_rebin_scratch_init(&l->rebin, s->n_cities, e);
    for (int w = 0; w < 2 && rc == TG_OK; w++) {
        chunk_set *cs = &l->sets[w];
        rc = tg_store_layout_get(cfg->store, w, &cs->layout, e);
        if (rc != TG_OK)
            break;
        size_t bytes = (size_t)(cs->layout.chunk_elems * cs->layout.elem_size);
        l->chunk_bytes = bytes;
        cs->cache = calloc(cs->layout.n_chunks ? cs->layout.n_chunks : 1, sizeof *cs->cache);
        cs->scratch = malloc(bytes ? bytes : 1);
        cs->stream_chunk = (size_t)-1;
        if (!cs->cache || !cs->scratch)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory for the chunk index");
    }
    /* read_stored_row takes chunk k of both arrays for the same elements: tg_store_open
     * refuses stores chunked otherwise, and this keeps a store that changed since from
     * making us decode past a buffer. */
    if (rc == TG_OK && (l->sets[0].layout.chunk_elems != l->sets[1].layout.chunk_elems
                        || l->sets[0].layout.n_chunks != l->sets[1].layout.n_chunks))
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: /x/indices and /x/data are chunked differently (%llu and %llu "
                     "elements)", s->path, (unsigned long long)l->sets[0].layout.chunk_elems,
                     (unsigned long long)l->sets[1].layout.chunk_elems);
    if (rc == TG_OK) {
        int fd = open(s->path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            rc = tg_fail_errno(e, TG_ERR_IO, "%s: cannot open for reading", s->path);
        } else if (st.st_size > 0) {
            l->map_len = (size_t)st.st_size;
            void *m = mmap(NULL, l->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED)
                rc = tg_fail_errno(e, TG_ERR_IO, "%s: cannot map", s->path);
            else
                l->map = m;
        }
        if (fd >= 0)
            close(fd);
    }
    if (rc == TG_OK) {
        l->slots = calloc((size_t)l->cfg.depth, sizeof *l->slots);
        if (l->slots == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    }
    if (rc == TG_OK) {
        if (pthread_create(&l->thread, NULL, producer, l) != 0)
            rc = tg_fail(e, TG_ERR_LIBRARY, "cannot start the loader thread");
        else
            l->started = 1;
    }
    if (rc != TG_OK) {
        tg_loader_close(l);
        return rc;
    }
    *out = l;
    return TG_OK;
}
