/* zstd_chunk.h - the chunk codec: one buffer <-> one zstd frame that records its content
 * size and carries a checksum. Shared by the HDF5 filter and the loader's direct reads. */
#ifndef TG_ZSTD_CHUNK_H
#define TG_ZSTD_CHUNK_H

#include "error.h"

#include <stddef.h>

/* Level used when none is given; zstd's own default, and the community plugin's. */
#define TG_ZSTD_DEFAULT_LEVEL 3

/* What a frame's header says, checked against the bytes that hold it. */
typedef struct {
    size_t frame_size;           /* bytes from magic number to checksum; equals the input size */
    unsigned long long content;  /* declared decoded size; meaningful only if content_known */
    int content_known;           /* 0 for frames written without a pledged size (streaming) */
    int has_checksum;            /* 1 if the frame ends with XXH64-based content checksum */
} tg_zstd_frame;

/* The largest frame tg_zstd_encode can produce from n bytes: the destination capacity
 * that never fails for lack of room. Returns 0 if n is too large for zstd. */
size_t tg_zstd_bound(size_t n);

/* Compresses src[0..n) into dst (capacity cap) as exactly one zstd frame with the
 * content size in its header and a checksum at its end. level is clamped by zstd to
 * its range; 0 means zstd's default. On success *written is the frame size.
 * Errors: TG_ERR_LIMIT (cap too small; use tg_zstd_bound), TG_ERR_NOMEM,
 * TG_ERR_LIBRARY (zstd refused). On error dst's contents are unspecified and
 * *written is unchanged. where names the chunk in messages (may be NULL). */
tg_code tg_zstd_encode(const void *src, size_t n, int level, void *dst, size_t cap,
                       size_t *written, const char *where, tg_error *e);

/* Compresses count buffers (src[i], n[i] bytes; count at most 64) as tg_zstd_encode
 * does, frame i into dst + i * cap (cap bytes each) and its size into written[i], on up
 * to threads threads (the calling one included), each using one context for every
 * buffer it takes. The frames are the same whatever threads. On error, the first
 * failing buffer's (in index order) code and message, and its index in *failed (when
 * failed is not NULL); TG_ERR_USAGE for more than 64 buffers. */
tg_code tg_zstd_encode_many(const void *const *src, const size_t *n, size_t count, int level,
                            unsigned char *dst, size_t cap, size_t *written, unsigned threads,
                            size_t *failed, const char *where, tg_error *e);

/* Reads src[0..n)'s frame header without decoding. Succeeds only if src holds exactly
 * one zstd frame (no trailing bytes, no skippable or legacy frame). Errors:
 * TG_ERR_FORMAT (not a frame, damaged header, truncated, trailing bytes). */
tg_code tg_zstd_inspect(const void *src, size_t n, tg_zstd_frame *f, const char *where,
                        tg_error *e);

/* Decompresses the single frame src[0..n) into dst, which holds cap bytes: cap is the
 * caller's limit, and nothing is allocated on the frame's say-so. On success *decoded is
 * the decoded size (<= cap). Errors: TG_ERR_LIMIT (the frame declares, or for frames
 * without a declared size produces, more than cap bytes), TG_ERR_FORMAT (not one frame,
 * corrupted data, wrong checksum, decoded size differs from the declared one),
 * TG_ERR_NOMEM. On error dst's contents are unspecified and *decoded is unchanged.
 * Frames without checksum (such as the community HDF5 plugin's) are accepted. */
tg_code tg_zstd_decode(const void *src, size_t n, void *dst, size_t cap, size_t *decoded,
                       const char *where, tg_error *e);

struct ZSTD_DCtx_s;   /* zstd.h's ZSTD_DCtx */

/* tg_zstd_decode with the caller's decompression context (ZSTD_createDCtx), kept across
 * calls: a loop over many small frames (ingest's merge reads 128 KiB blocks) then pays
 * for one context, not one allocation and setup of ~100 KiB per frame. */
tg_code tg_zstd_decode_with(struct ZSTD_DCtx_s *dctx, const void *src, size_t n, void *dst,
                            size_t cap, size_t *decoded, const char *where, tg_error *e);

#endif
