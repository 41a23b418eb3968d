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

/* One compression context kept for the process. A fresh context clears its tables on
 * first use (about 0.6 M instructions at level 3), which is more than compressing a
 * small chunk: ingest wrote 90 chunks and spilled thousands of blocks, each with a new
 * context. Whoever finds the cached one taken (another thread compressing) makes one of
 * its own for that call (tg_zstd_encode) or for all the buffers it takes
 * (tg_zstd_encode_many). The cached context stays reachable from here until exit. */
static pthread_mutex_t cached_lock = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_CCtx *cached_cctx;

static ZSTD_CCtx *cctx_take(int *cached)
{
    *cached = 0;
    if (pthread_mutex_trylock(&cached_lock) == 0) {
        if (cached_cctx == NULL)
            cached_cctx = ZSTD_createCCtx();
        if (cached_cctx != NULL) {
            *cached = 1;
            return cached_cctx;
        }
        pthread_mutex_unlock(&cached_lock);
    }
    return ZSTD_createCCtx();
}

static void cctx_give(ZSTD_CCtx *cctx, int cached)
{
    if (cached)
        pthread_mutex_unlock(&cached_lock);
    else
        ZSTD_freeCCtx(cctx);
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
    int cached;
    ZSTD_CCtx *cctx = cctx_take(&cached);
    if (cctx == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate a zstd compression context", WHERE(where));
    tg_code rc = encode_with(cctx, src, n, level, dst, cap, written, where, e);
    cctx_give(cctx, cached);
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
    int cached;
    ZSTD_CCtx *cctx = cctx_take(&cached);
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->count;)
        j->rc[i] = cctx == NULL
                       ? tg_fail(&j->err[i], TG_ERR_NOMEM, "%s: cannot allocate a zstd "
                                 "compression context", WHERE(j->where))
                       : encode_with(cctx, j->src[i], j->n[i], j->level, j->dst + i * j->cap,
                                     j->cap, &j->written[i], j->where, &j->err[i]);
    if (cctx != NULL)
        cctx_give(cctx, cached);
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

/* One decompression context kept for the process, as the compression one above: a
 * fresh context per chunk took a third of a random album's read, 0.093 ms -> 0.060 ms by
 * direct chunk reads (the train loader's way) and 0.112 -> 0.082 ms through HDF5's
 * filter (bench/store_bench.c, 2026-12-03). Whoever finds it taken (another thread
 * decoding) makes one of its own for that call. It stays reachable until exit. */
static pthread_mutex_t cached_dlock = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_DCtx *cached_dctx;

tg_code tg_zstd_decode(const void *src, size_t n, void *dst, size_t cap, size_t *decoded,
                       const char *where, tg_error *e)
{
    ZSTD_DCtx *dctx = NULL;
    int cached = 0;
    if (pthread_mutex_trylock(&cached_dlock) == 0) {
        if (cached_dctx == NULL)
            cached_dctx = ZSTD_createDCtx();
        if (cached_dctx != NULL) {
            dctx = cached_dctx;
            cached = 1;
        } else {
            pthread_mutex_unlock(&cached_dlock);
        }
    }
    if (dctx == NULL && (dctx = ZSTD_createDCtx()) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate a zstd decompression context", WHERE(where));
    tg_code rc = tg_zstd_decode_with(dctx, src, n, dst, cap, decoded, where, e);
    if (cached)
        pthread_mutex_unlock(&cached_dlock);
    else
        ZSTD_freeDCtx(dctx);
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
