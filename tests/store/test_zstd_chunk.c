/* test_zstd_chunk.c - the chunk codec: round trips, frames from other writers (no
 * checksum, unknown size), damage, limits and refusals of what is not one frame. */
#include "shuffle.h"
#include "zstd_chunk.h"

#include <criterion/criterion.h>
#include <zstd.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sparse-matrix-like bytes: runs of small increasing int32, compressible but not trivial. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    uint32_t x = seed, v = 0;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        if (i % 4 == 0)
            v += (x >> 28);
        p[i] = (unsigned char)(i % 4 == 0 ? v : (i % 4 == 1 ? v >> 8 : 0));
    }
}

static unsigned char *encode(const unsigned char *src, size_t n, size_t *fn)
{
    size_t cap = tg_zstd_bound(n);
    cr_assert_gt(cap, 0);
    unsigned char *f = malloc(cap);
    cr_assert_not_null(f);
    tg_error e = {0};
    cr_assert_eq(tg_zstd_encode(src, n, 3, f, cap, fn, "test", &e), TG_OK, "%s", e.msg);
    return f;
}

Test(zstd_chunk, round_trip_sizes)
{
    const size_t sizes[] = {0, 1, 7, 4096, 65536 + 3, (size_t)3 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k], fn = 0, got = 12345;
        unsigned char *src = malloc(n + 1), *back = malloc(n + 1);
        cr_assert(src && back);
        fill(src, n, (uint32_t)k);
        unsigned char *f = encode(src, n, &fn);

        tg_zstd_frame info;
        tg_error e = {0};
        cr_assert_eq(tg_zstd_inspect(f, fn, &info, "test", &e), TG_OK, "%s", e.msg);
        cr_assert_eq(info.frame_size, fn);
        cr_assert(info.content_known, "size %zu: content size not recorded", n);
        cr_assert_eq(info.content, (unsigned long long)n);
        cr_assert(info.has_checksum, "size %zu: no checksum", n);

        cr_assert_eq(tg_zstd_decode(f, fn, back, n, &got, "test", &e), TG_OK, "size %zu: %s", n, e.msg);
        cr_assert_eq(got, n);
        cr_assert(n == 0 || memcmp(src, back, n) == 0, "size %zu: bytes differ", n);
        free(src);
        free(back);
        free(f);
    }
}

/* The community plugin calls plain ZSTD_compress: content size, no checksum. */
Test(zstd_chunk, community_frame_without_checksum)
{
    size_t n = 10000, got = 0;
    unsigned char src[10000], back[10000];
    fill(src, n, 7);
    size_t cap = ZSTD_compressBound(n);
    unsigned char *f = malloc(cap);
    size_t fn = ZSTD_compress(f, cap, src, n, 3);
    cr_assert(!ZSTD_isError(fn));

    tg_zstd_frame info;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_inspect(f, fn, &info, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert(info.content_known);
    cr_assert_not(info.has_checksum);
    cr_assert_eq(tg_zstd_decode(f, fn, back, sizeof back, &got, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(got, n);
    cr_assert_arr_eq(src, back, n);
    free(f);
}

/* A streaming writer that pledged no size: decoded within the caller's capacity. */
static unsigned char *unknown_size_frame(const unsigned char *src, size_t n, size_t *fn)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    cr_assert_not_null(c);
    cr_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
    size_t cap = ZSTD_compressBound(n);
    unsigned char *f = malloc(cap);
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer out = {f, cap, 0};
    size_t left = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
    cr_assert_eq(left, 0);
    ZSTD_freeCCtx(c);
    *fn = out.pos;
    return f;
}

Test(zstd_chunk, unknown_content_size)
{
    size_t n = 5000, fn, got = 0;
    unsigned char src[5000], back[8000];
    fill(src, n, 11);
    unsigned char *f = unknown_size_frame(src, n, &fn);
    cr_assert_eq(ZSTD_getFrameContentSize(f, fn), ZSTD_CONTENTSIZE_UNKNOWN);

    tg_zstd_frame info;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_inspect(f, fn, &info, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_not(info.content_known);
    cr_assert_eq(tg_zstd_decode(f, fn, back, sizeof back, &got, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(got, n);
    cr_assert_arr_eq(src, back, n);

    /* Produces more than the caller allows: a limit, not an overflow. */
    cr_assert_eq(tg_zstd_decode(f, fn, back, n - 1, &got, "tiny", &e), TG_ERR_LIMIT);
    cr_assert_eq(e.code, TG_ERR_LIMIT);
    cr_assert_not_null(strstr(e.msg, "tiny"), "%s", e.msg);
    free(f);
}

Test(zstd_chunk, declared_size_over_limit)
{
    size_t n = 100000, fn, got = 7;
    unsigned char *src = calloc(n, 1); /* zeros: a tiny frame that declares 100000 bytes */
    unsigned char *f = encode(src, n, &fn);
    cr_assert_lt(fn, 100);
    unsigned char small[4096];
    tg_error e = {0};
    cr_assert_eq(tg_zstd_decode(f, fn, small, sizeof small, &got, "chunk 3", &e), TG_ERR_LIMIT);
    cr_assert_eq(got, 7, "output size touched on error");
    cr_assert_not_null(strstr(e.msg, "100000"), "%s", e.msg);
    cr_assert_not_null(strstr(e.msg, "chunk 3"), "%s", e.msg);
    free(src);
    free(f);
}

Test(zstd_chunk, flipped_bytes_are_format_errors)
{
    size_t n = 20000, fn;
    unsigned char src[20000], back[20000];
    fill(src, n, 3);
    unsigned char *f = encode(src, n, &fn);
    unsigned char *g = malloc(fn);
    /* Every single-byte flip, anywhere in the frame: refused, never a crash and never
     * wrong bytes (the checksum covers what the block structure misses). The one
     * harmless flip is the header's unused bit (RFC 8878: decoders ignore it). */
    for (size_t i = 0; i < fn; i++) {
        memcpy(g, f, fn);
        g[i] ^= 0x10;
        size_t got = 0;
        tg_error e = {0};
        tg_code c = tg_zstd_decode(g, fn, back, sizeof back, &got, "flip", &e);
        if (c == TG_OK) {
            cr_assert_eq(i, 4, "flip at %zu accepted", i);
            cr_assert(got == n && memcmp(src, back, n) == 0, "flip at %zu: wrong bytes", i);
            continue;
        }
        cr_assert(c == TG_ERR_FORMAT || c == TG_ERR_LIMIT, "flip at %zu: code %d (%s)", i, c, e.msg);
        cr_assert_gt(strlen(e.msg), 0);
    }
    free(g);
    free(f);
}

/* One context kept across frames (ingest's merge) decodes each as a fresh one does,
 * also right after a frame it refused half-way. */
Test(zstd_chunk, one_context_for_many_frames)
{
    enum { N = 30000 };
    static unsigned char src[4][N], back[N];
    unsigned char *f[4];
    size_t fn[4];
    for (int k = 0; k < 4; k++) {
        fill(src[k], N - 1000 * (size_t)k, (uint32_t)(11 + k));
        f[k] = encode(src[k], N - 1000 * (size_t)k, &fn[k]);
    }
    ZSTD_DCtx *d = ZSTD_createDCtx();
    cr_assert_not_null(d);
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 4; k++) {
            size_t n = N - 1000 * (size_t)k, got = 0;
            tg_error e = {0};
            memset(back, 0xAB, sizeof back);
            cr_assert_eq(tg_zstd_decode_with(d, f[k], fn[k], back, sizeof back, &got, "many", &e),
                         TG_OK, "frame %d: %s", k, e.msg);
            cr_assert(got == n && memcmp(back, src[k], n) == 0, "frame %d: wrong bytes", k);
            /* a damaged copy of the next frame: refused, and the context still serves */
            unsigned char *g = malloc(fn[k]);
            cr_assert_not_null(g);
            memcpy(g, f[k], fn[k]);
            g[fn[k] / 2] ^= 0x55;
            cr_assert_neq(tg_zstd_decode_with(d, g, fn[k], back, sizeof back, &got, "bad", &e),
                          TG_OK);
            free(g);
        }
    }
    ZSTD_freeDCtx(d);
    for (int k = 0; k < 4; k++)
        free(f[k]);
}

Test(zstd_chunk, not_one_frame)
{
    size_t n = 3000, fn, got;
    unsigned char src[3000], back[6000];
    fill(src, n, 5);
    unsigned char *f = encode(src, n, &fn);
    tg_error e = {0};
    tg_zstd_frame info;

    cr_assert_eq(tg_zstd_decode(f, 0, back, sizeof back, &got, NULL, &e), TG_ERR_FORMAT);
    cr_assert_eq(tg_zstd_decode(f, 3, back, sizeof back, &got, NULL, &e), TG_ERR_FORMAT);
    cr_assert_eq(tg_zstd_decode(f, fn - 1, back, sizeof back, &got, NULL, &e), TG_ERR_FORMAT, "truncated");

    /* Two frames back to back: ZSTD_decompress would take both; a chunk is one. */
    unsigned char *two = malloc(2 * fn);
    memcpy(two, f, fn);
    memcpy(two + fn, f, fn);
    cr_assert_eq(tg_zstd_inspect(two, 2 * fn, &info, NULL, &e), TG_ERR_FORMAT);
    cr_assert_eq(tg_zstd_decode(two, 2 * fn, back, sizeof back, &got, NULL, &e), TG_ERR_FORMAT);

    /* A skippable frame (magic 0x184D2A50) is valid zstd but holds no chunk. */
    unsigned char skip[16] = {0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0};
    cr_assert_eq(tg_zstd_inspect(skip, sizeof skip, &info, NULL, &e), TG_ERR_FORMAT);
    free(two);
    free(f);
}

Test(zstd_chunk, small_destination_is_a_limit)
{
    size_t n = 4096, fn = 99;
    unsigned char src[4096], dst[8];
    fill(src, n, 9);
    tg_error e = {0};
    cr_assert_eq(tg_zstd_encode(src, n, 3, dst, sizeof dst, &fn, NULL, &e), TG_ERR_LIMIT);
    cr_assert_eq(fn, 99);
}

/* A well-formed frame whose header declares 100 bytes but whose one raw block holds
 * none: the sizes must agree, whatever zstd itself lets through. */
Test(zstd_chunk, declared_size_must_match)
{
    const unsigned char frame[] = {0x28, 0xb5, 0x2f, 0xfd, /* magic */
                                   0x20, 100,              /* single segment, 1-byte size 100 */
                                   0x01, 0x00, 0x00};      /* last block, raw, 0 bytes */
    unsigned char back[200];
    size_t got = 5;
    tg_zstd_frame info;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_inspect(frame, sizeof frame, &info, NULL, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(info.content, 100);
    cr_assert_eq(tg_zstd_decode(frame, sizeof frame, back, sizeof back, &got, "short", &e), TG_ERR_FORMAT);
    cr_assert_eq(got, 5);
    cr_log_info("%s", e.msg);
}

/* Many buffers on several threads: frame i is the one tg_zstd_encode makes of buffer i,
 * whatever the thread count; the first failing buffer is named; more than 64 are a
 * usage error. */
Test(zstd_chunk, encode_many_equals_one_at_a_time)
{
    enum { COUNT = 9 };
    size_t lens[COUNT] = {0, 1, 100, 4096, 70000, 131072, 3, 50000, 8191};
    const void *src[COUNT];
    unsigned char *data[COUNT];
    size_t cap = tg_zstd_bound(131072);
    for (int i = 0; i < COUNT; i++) {
        data[i] = malloc(lens[i] + 1);
        cr_assert_not_null(data[i]);
        fill(data[i], lens[i], (uint32_t)i + 7);
        src[i] = data[i];
    }
    unsigned char *frames = malloc(COUNT * cap);
    cr_assert_not_null(frames);
    for (unsigned threads = 1; threads <= 12; threads += 4) {
        size_t written[COUNT];
        tg_error e = {0};
        cr_assert_eq(tg_zstd_encode_many(src, lens, COUNT, 3, frames, cap, written, threads, NULL,
                                         "test", &e), TG_OK, "%s", e.msg);
        for (int i = 0; i < COUNT; i++) {
            size_t n;
            unsigned char *one = encode(data[i], lens[i], &n);
            cr_assert(n == written[i] && memcmp(one, frames + i * cap, n) == 0,
                      "buffer %d, %u threads", i, threads);
            free(one);
        }
    }
    /* room for a tiny frame only: buffer 1 (1 byte) fits, buffer 2 does not */
    size_t written[COUNT], failed = 99;
    tg_error e = {0};
    cr_assert_eq(tg_zstd_encode_many(src, lens, COUNT, 3, frames, 24, written, 3, &failed,
                                     "test", &e), TG_ERR_LIMIT);
    cr_assert_eq(failed, 2, "the first failing buffer: %zu (%s)", failed, e.msg);
    cr_assert(strstr(e.msg, "do not compress into 24 bytes"), "%s", e.msg);
    const void *many[65];
    size_t many_n[65], many_w[65];
    for (int i = 0; i < 65; i++)
        many[i] = data[0], many_n[i] = 0;
    cr_assert_eq(tg_zstd_encode_many(many, many_n, 65, 3, frames, cap, many_w, 2, NULL, "test", &e),
                 TG_ERR_USAGE);
    for (int i = 0; i < COUNT; i++)
        free(data[i]);
    free(frames);
}

/* HDF5's shuffle by its definition (byte b of element i at b * n + i), and back, for the
 * sizes with a loop of their own and others. */
Test(shuffle, definition_and_round_trip)
{
    static const size_t sizes[] = {1, 2, 3, 4, 8, 12};
    enum { N = 1001 };
    static uint8_t src[N * 12], mid[N * 12 + 1], back[N * 12];
    fill(src, sizeof src, 7);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t size = sizes[s];
        memset(mid, 0xaa, sizeof mid);
        tg_shuffle(src, mid, N, size);
        for (size_t i = 0; i < N; i++)
            for (size_t b = 0; b < size; b++)
                cr_assert_eq(mid[b * N + i], src[i * size + b], "size %zu element %zu byte %zu",
                             size, i, b);
        cr_assert_eq(mid[N * size], 0xaa, "size %zu: wrote past n * size", size);
        tg_unshuffle(mid, back, N, size);
        cr_assert_eq(memcmp(back, src, N * size), 0, "size %zu", size);
    }
}
