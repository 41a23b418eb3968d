/* zstd_chunk.c - one buffer <-> one checked zstd frame (see zstd_chunk.h). Every zstd
 * result goes through ZSTD_isError; sizes come from ZSTD_getFrameContentSize only. */
#include "zstd_chunk.h"

#include <zstd.h>
#include <zstd_errors.h> /* ZSTD_getErrorCode: tell "no room" from damage */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define WHERE(w) ((w) != NULL ? (w) : "zstd frame")

size_t tg_zstd_bound(size_t n)
{
    size_t b = ZSTD_compressBound(n);
    return ZSTD_isError(b) ? 0 : b;
}

/* A zstd context kept for the process, one for compressing and one for decompressing.
 * A fresh context clears its tables on first use (about 0.6 M instructions at level 3),
 * which is more than compressing a small chunk: ingest wrote 90 chunks and spilled
 * thousands of blocks, each with a new context; and a fresh decompression context per
 * chunk took a third of a random album's read, 0.093 ms -> 0.060 ms by direct chunk
 * reads (the train loader's way) and 0.112 -> 0.082 ms through HDF5's filter
 * (bench/store_bench.c, 2026-12-03). Whoever finds the kept one taken (another thread at
 * work) makes one of its own for its call (or, tg_zstd_encode_many, for all its
 * buffers). The kept contexts stay reachable from here until exit. */
typedef struct {
    pthread_mutex_t lock;
    void *ctx;
    void *(*create)(void);
    void (*destroy)(void *);
} kept_ctx;

static void *create_cctx(void) { return ZSTD_createCCtx(); }
static void destroy_cctx(void *c) { ZSTD_freeCCtx(c); }
static void *create_dctx(void) { return ZSTD_createDCtx(); }
static void destroy_dctx(void *c) { ZSTD_freeDCtx(c); }

static kept_ctx kept_cctx = {PTHREAD_MUTEX_INITIALIZER, NULL, create_cctx, destroy_cctx};
static kept_ctx kept_dctx = {PTHREAD_MUTEX_INITIALIZER, NULL, create_dctx, destroy_dctx};

/* The kept context when free (*kept set), else a new one; NULL when out of memory. */
static void *ctx_take(kept_ctx *k, int *kept)
{
    *kept = 0;
    if (pthread_mutex_trylock(&k->lock) == 0) {
        if (k->ctx == NULL)
            k->ctx = k->create();
        if (k->ctx != NULL) {
            *kept = 1;
            return k->ctx;
        }
        pthread_mutex_unlock(&k->lock);
    }
    return k->create();
}

static void ctx_give(kept_ctx *k, void *ctx, int kept)
{
    if (kept)
        pthread_mutex_unlock(&k->lock);
    else
        k->destroy(ctx);
}

/* One frame with the given context (see tg_zstd_encode). */
static tg_code encode_with(ZSTD_CCtx *cctx, const void *src, size_t n, int level, void *dst,
                           size_t cap, size_t *written, const char *where, tg_error *e)
{
    /* the previous frame's parameters go: this one sets its own */
    size_t r = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    /* The content size lets a reader allocate exactly and check what it got; the
     * checksum catches damage that still decodes. Both are explicit, not defaults. */
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r))
        return tg_fail(e, TG_ERR_LIBRARY, "%s: zstd refused a parameter: %s", WHERE(where),
                       ZSTD_getErrorName(r));
    /* ZSTD_compress2 sees the whole input at once, so it writes one frame whose header
     * holds the exact size (0 included). */
    r = ZSTD_compress2(cctx, dst, cap, src, n);
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
            return tg_fail(e, TG_ERR_LIMIT, "%s: %zu bytes do not compress into %zu bytes",
                           WHERE(where), n, cap);
        return tg_fail(e, TG_ERR_LIBRARY, "%s: zstd compression of %zu bytes failed: %s",
                       WHERE(where), n, ZSTD_getErrorName(r));
    }
    *written = r;
    return TG_OK;
}

tg_code tg_zstd_encode(const void *src, size_t n, int level, void *dst, size_t cap,
                       size_t *written, const char *where, tg_error *e)
{
    int kept;
    ZSTD_CCtx *cctx = ctx_take(&kept_cctx, &kept);
    if (cctx == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate a zstd compression context", WHERE(where));
    tg_code rc = encode_with(cctx, src, n, level, dst, cap, written, where, e);
    ctx_give(&kept_cctx, cctx, kept);
    return rc;
}

/* The buffers of one tg_zstd_encode_many call, taken by whichever thread is free next;
 * each thread compresses all it takes with one context. */
typedef struct {
    const void *const *src;
    const size_t *n;
    size_t count, cap;
    int level;
    unsigned char *dst;
    size_t *written;
    const char *where;
    tg_code *rc;           /* [count] */
    tg_error *err;         /* [count] */
    atomic_size_t next;
} encode_job;

static void *encode_items(void *arg)
{
    encode_job *j = arg;
    int kept;
    ZSTD_CCtx *cctx = ctx_take(&kept_cctx, &kept);
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->count;)
        j->rc[i] = cctx == NULL
                       ? tg_fail(&j->err[i], TG_ERR_NOMEM, "%s: cannot allocate a zstd "
                                 "compression context", WHERE(j->where))
                       : encode_with(cctx, j->src[i], j->n[i], j->level, j->dst + i * j->cap,
                                     j->cap, &j->written[i], j->where, &j->err[i]);
    if (cctx != NULL)
        ctx_give(&kept_cctx, cctx, kept);
    return NULL;
}

#define ENCODE_MANY_MAX 64
#define ENCODE_THREADS_MAX 8

tg_code tg_zstd_encode_many(const void *const *src, const size_t *n, size_t count, int level,
                            unsigned char *dst, size_t cap, size_t *written, unsigned threads,
                            size_t *failed, const char *where, tg_error *e)
{
    if (count > ENCODE_MANY_MAX)
        return tg_fail(e, TG_ERR_USAGE, "%s: %zu buffers at once, at most %d", WHERE(where),
                       count, ENCODE_MANY_MAX);
    tg_code rc[ENCODE_MANY_MAX];
    tg_error err[ENCODE_MANY_MAX];
    encode_job j = {src, n, count, cap, level, dst, written, where, rc, err, 0};
    atomic_init(&j.next, 0);
    if (threads > ENCODE_THREADS_MAX)
        threads = ENCODE_THREADS_MAX;
    if (threads > count)
        threads = (unsigned)count;
    pthread_t tid[ENCODE_THREADS_MAX];
    unsigned started = 0;
    while (started + 1 < threads && pthread_create(&tid[started], NULL, encode_items, &j) == 0)
        started++;
    encode_items(&j);   /* with no other thread, this one compresses them all */
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    for (size_t i = 0; i < count; i++)
        if (rc[i] != TG_OK) {
            if (failed != NULL)
                *failed = i;
            return tg_fail(e, rc[i], "%s", err[i].msg);
        }
    return TG_OK;
}

tg_code tg_zstd_inspect(const void *src, size_t n, tg_zstd_frame *f, const char *where,
                        tg_error *e)
{
    const unsigned char *p = src;
    /* The magic number is checked by hand so that skippable and legacy frames, which
     * ZSTD_getFrameContentSize accepts, are refused: a chunk is one modern frame. */
    if (n < 5)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %zu bytes are too few for a zstd frame", WHERE(where), n);
    uint32_t magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (magic != ZSTD_MAGICNUMBER)
        return tg_fail(e, TG_ERR_FORMAT, "%s: not a zstd frame (magic 0x%08x, expected 0x%08x)",
                       WHERE(where), (unsigned)magic, (unsigned)ZSTD_MAGICNUMBER);
    unsigned long long content = ZSTD_getFrameContentSize(src, n);
    if (content == ZSTD_CONTENTSIZE_ERROR)
        return tg_fail(e, TG_ERR_FORMAT, "%s: damaged zstd frame header", WHERE(where));
    size_t fsize = ZSTD_findFrameCompressedSize(src, n);
    if (ZSTD_isError(fsize))
        return tg_fail(e, TG_ERR_FORMAT, "%s: truncated or damaged zstd frame (%zu bytes): %s",
                       WHERE(where), n, ZSTD_getErrorName(fsize));
    /* ZSTD_decompress would go on to decode a second frame; a chunk has exactly one. */
    if (fsize != n)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %zu bytes follow the zstd frame of %zu bytes",
                       WHERE(where), n - fsize, fsize);
    f->frame_size = fsize;
    f->content_known = content != ZSTD_CONTENTSIZE_UNKNOWN;
    f->content = f->content_known ? content : 0;
    /* Frame header descriptor (RFC 8878, 3.1.1.1.1): bit 2 is Content_Checksum_flag. */
    f->has_checksum = (p[4] >> 2) & 1;
    return TG_OK;
}

tg_code tg_zstd_decode(const void *src, size_t n, void *dst, size_t cap, size_t *decoded,
                       const char *where, tg_error *e)
{
    int kept;
    ZSTD_DCtx *dctx = ctx_take(&kept_dctx, &kept);
    if (dctx == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate a zstd decompression context", WHERE(where));
    tg_code rc = tg_zstd_decode_with(dctx, src, n, dst, cap, decoded, where, e);
    ctx_give(&kept_dctx, dctx, kept);
    return rc;
}

tg_code tg_zstd_decode_with(ZSTD_DCtx *dctx, const void *src, size_t n, void *dst, size_t cap,
                            size_t *decoded, const char *where, tg_error *e)
{
    tg_zstd_frame f;
    tg_code c = tg_zstd_inspect(src, n, &f, where, e);
    if (c != TG_OK)
        return c;
    if (f.content_known && f.content > cap)
        return tg_fail(e, TG_ERR_LIMIT, "%s: zstd frame declares %llu bytes, more than the limit of %zu",
                       WHERE(where), f.content, cap);
    /* With a declared size, give zstd exactly that much room: a frame whose blocks hold
     * more than declared then fails here instead of writing past what was promised.
     * ZSTD_decompressDCtx starts each frame afresh, whatever the context did before. */
    size_t room = f.content_known ? (size_t)f.content : cap;
    size_t r = ZSTD_decompressDCtx(dctx, dst, room, src, n);
    if (ZSTD_isError(r)) {
        if (!f.content_known && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
            return tg_fail(e, TG_ERR_LIMIT, "%s: zstd frame of unknown size decodes to more than the limit of %zu bytes",
                           WHERE(where), cap);
        return tg_fail(e, TG_ERR_FORMAT, "%s: corrupted zstd frame (%zu bytes): %s", WHERE(where), n,
                       ZSTD_getErrorName(r));
    }
    if (f.content_known && r != f.content)
        return tg_fail(e, TG_ERR_FORMAT, "%s: zstd frame declares %llu bytes but decodes to %zu",
                       WHERE(where), f.content, r);
    *decoded = r;
    return TG_OK;
}
