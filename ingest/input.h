/* input.h - a byte source over one input of the ingest stage: a plain file, a
 * zstd-compressed file (name ends in ".zst", decoded as a stream) or "-" (stdin).
 *
 * Reads go through fixed-size buffers allocated once at open, so memory does not depend
 * on the input's size. The raw bytes (as stored on disk, compressed ones for .zst) are
 * hashed with XXH64 (seed 0) as they are read, which is the content hash provenance.h
 * records: after EOF, tg_input_hash() equals what tg_prov_hash_inputs() would compute,
 * without a second pass over the file. */
#ifndef TG_INPUT_H
#define TG_INPUT_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* Size of the decoded chunks tg_input_read hands out (and of the raw read buffer). */
#define TG_INPUT_CHUNK (256u * 1024u)

typedef struct tg_input tg_input;

/* Opens path ("-" is standard input; a name ending in ".zst" is decompressed).
 * Returns TG_OK and sets *out, or TG_ERR_IO (cannot open), TG_ERR_NOMEM or
 * TG_ERR_LIBRARY (zstd setup), with e naming the path; *out is then NULL. */
tg_code tg_input_open(tg_input **out, const char *path, tg_error *e);

/* Opens len bytes of a plain file from byte start (len UINT64_MAX: to its end), for
 * the parser threads (ingest.h): chunks and counts cover the range only, and
 * tg_input_hash() means nothing (ranges are not hashed: the caller hashes the whole
 * file once). Errors as tg_input_open; TG_ERR_USAGE for "-" or a .zst name (a stream
 * cannot be split). */
tg_code tg_input_open_range(tg_input **out, const char *path, uint64_t start, uint64_t len,
                            tg_error *e);

/* Hands out the next chunk of decoded bytes: *data points into the input's own buffer
 * and stays valid until the next call or tg_input_close. Chunks are full
 * (TG_INPUT_CHUNK bytes) except the last; *len == 0 means end of input.
 * Returns TG_ERR_IO on a read error, TG_ERR_FORMAT on a damaged or truncated .zst
 * stream, with e naming the file and the offset; the input is then unusable. */
tg_code tg_input_read(tg_input *in, const unsigned char **data, size_t *len, tg_error *e);

/* The path as given ("-" for stdin). */
const char *tg_input_name(const tg_input *in);

/* Raw bytes read from the file so far (the compressed size for .zst). */
uint64_t tg_input_raw_bytes(const tg_input *in);

/* Decoded bytes handed out so far (equals raw bytes for a plain file). */
uint64_t tg_input_bytes(const tg_input *in);

/* XXH64 (seed 0) of the raw bytes read so far: the file's content hash once
 * tg_input_read has returned end of input. */
uint64_t tg_input_hash(const tg_input *in);

/* Closes the file (not stdin) and frees everything. Accepts NULL. Never fails. */
void tg_input_close(tg_input *in);

#endif
