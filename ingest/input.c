/* input.c - plain, zstd and stdin byte sources with fixed buffers, counting and hashing
 * the raw bytes as they go by. */
#include "input.h"

#include "xxhash64.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

struct tg_input {
    char *name;
    int fd;
    int eof;                    /* read() returned 0 */
    ZSTD_DCtx *z;               /* NULL for plain input */
    size_t frame_left;          /* last ZSTD_decompressStream hint: 0 at a frame end */
    unsigned char *raw;         /* compressed bytes (zstd only) */
    ZSTD_inBuffer zin;
    unsigned char *out;         /* decoded bytes handed to the caller */
    uint64_t raw_bytes, bytes;
    uint64_t left;              /* bytes the range may still read (UINT64_MAX: no range) */
    int nohash;                 /* a range: its bytes are not the file's content hash */
    tg_xxh64_state hash;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

tg_code tg_input_open(tg_input **out, const char *path, tg_error *e)
{
    *out = NULL;
    tg_input *in = calloc(1, sizeof *in);
    if (in == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    in->fd = -1;
    in->left = UINT64_MAX;
    in->name = strdup(path);
    in->out = malloc(TG_INPUT_CHUNK);
    if (in->name == NULL || in->out == NULL) {
        tg_input_close(in);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    tg_xxh64_init(&in->hash, 0);
    if (strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            tg_input_close(in);
            return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
        }
    }
    if (ends_with(path, ".zst")) {
        in->z = ZSTD_createDCtx();
        in->raw = malloc(TG_INPUT_CHUNK);
        if (in->z == NULL || in->raw == NULL) {
            tg_input_close(in);
            return tg_fail(e, TG_ERR_NOMEM, "%s: cannot set up zstd", path);
        }
        in->zin.src = in->raw;
    }
    *out = in;
    return TG_OK;
}

tg_code tg_input_open_range(tg_input **out, const char *path, uint64_t start, uint64_t len,
                            tg_error *e)
{
    size_t n = strlen(path);
    if (strcmp(path, "-") == 0 || (n >= 4 && strcmp(path + n - 4, ".zst") == 0))
        return tg_fail(e, TG_ERR_USAGE, "%s: a byte range needs a plain file", path);
    tg_code rc = tg_input_open(out, path, e);
    if (rc != TG_OK)
        return rc;
    tg_input *in = *out;
    in->left = len;
    in->nohash = 1;
    if (lseek(in->fd, (off_t)start, SEEK_SET) == (off_t)-1) {
        tg_input_close(in);
        *out = NULL;
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot seek to byte %llu", path,
                             (unsigned long long)start);
    }
    return TG_OK;
}

/* Reads up to cap raw bytes, looping over short reads (pipes) so that chunks are full;
 * counts and hashes them. *got < cap only at end of file. */
static tg_code read_raw(tg_input *in, unsigned char *buf, size_t cap, size_t *got, tg_error *e)
{
    size_t n = 0;
    if (cap > in->left)
        cap = (size_t)in->left;
    while (n < cap && !in->eof) {
        ssize_t r = read(in->fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return tg_fail_errno(e, TG_ERR_IO, "%s: read failed at byte %llu", in->name,
                                 (unsigned long long)(in->raw_bytes + n));
        }
        if (r == 0)
            in->eof = 1;
        n += (size_t)r;
    }
    if (!in->nohash)
        tg_xxh64_update(&in->hash, buf, n);
    if (in->left != UINT64_MAX)
        in->left -= n;
    in->eof |= in->left == 0;
    in->raw_bytes += n;
    *got = n;
    return TG_OK;
}

/* Fills in->out with decoded bytes until it is full or the compressed input ends. */
static tg_code read_zstd(tg_input *in, size_t *len, tg_error *e)
{
    ZSTD_outBuffer zout = {in->out, TG_INPUT_CHUNK, 0};
    while (zout.pos < zout.size) {
        if (in->zin.pos == in->zin.size) {
            if (in->eof)
                break;
            size_t got;
            tg_code rc = read_raw(in, in->raw, TG_INPUT_CHUNK, &got, e);
            if (rc != TG_OK)
                return rc;
            in->zin.size = got;
            in->zin.pos = 0;
            if (got == 0)
                break;
        }
        size_t r = ZSTD_decompressStream(in->z, &zout, &in->zin);
        if (ZSTD_isError(r))
            return tg_fail(e, TG_ERR_FORMAT, "%s: zstd: %s (compressed byte %llu)", in->name,
                           ZSTD_getErrorName(r),
                           (unsigned long long)(in->raw_bytes - (in->zin.size - in->zin.pos)));
        in->frame_left = r;
    }
    /* At the end of the compressed bytes, a frame still open means the file was cut:
     * zstd's hint is 0 only when the last frame is complete and flushed. */
    if (zout.pos < zout.size && in->frame_left != 0)
        return tg_fail(e, TG_ERR_FORMAT,
                       "%s: truncated zstd stream (ends inside a frame after %llu compressed "
                       "bytes, %llu decoded)",
                       in->name, (unsigned long long)in->raw_bytes,
                       (unsigned long long)(in->bytes + zout.pos));
    *len = zout.pos;
    return TG_OK;
}

tg_code tg_input_read(tg_input *in, const unsigned char **data, size_t *len, tg_error *e)
{
    *data = in->out;
    *len = 0;
    tg_code rc = in->z != NULL ? read_zstd(in, len, e) : read_raw(in, in->out, TG_INPUT_CHUNK, len, e);
    if (rc == TG_OK)
        in->bytes += *len;
    return rc;
}

const char *tg_input_name(const tg_input *in) { return in->name; }
uint64_t tg_input_raw_bytes(const tg_input *in) { return in->raw_bytes; }
uint64_t tg_input_bytes(const tg_input *in) { return in->bytes; }
uint64_t tg_input_hash(const tg_input *in) { return tg_xxh64_digest(&in->hash); }

void tg_input_close(tg_input *in)
{
    if (in == NULL)
        return;
    if (in->fd >= 0 && in->fd != STDIN_FILENO)
        close(in->fd);
    ZSTD_freeDCtx(in->z);
    free(in->raw);
    free(in->out);
    free(in->name);
    free(in);
}
