/* test_input.c - byte sources: plain and .zst give the same bytes, counts and the
 * content hash that provenance computes; a truncated or damaged .zst is an error. */
#include "helpers.h"
#include "input.h"

#include "xxhash64.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole input; returns its decoded bytes (malloc'd) and the final rc. */
static tg_code read_all(const char *path, char **out, size_t *n, uint64_t *raw, uint64_t *hash,
                        tg_error *e)
{
    tg_input *in;
    tg_code rc = tg_input_open(&in, path, e);
    if (rc != TG_OK)
        return rc;
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    for (;;) {
        const unsigned char *d;
        size_t len;
        rc = tg_input_read(in, &d, &len, e);
        if (rc != TG_OK || len == 0)
            break;
        cr_assert(len <= TG_INPUT_CHUNK);
        while (used + len > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        memcpy(buf + used, d, len);
        used += len;
    }
    if (rc == TG_OK)
        cr_assert_eq(tg_input_bytes(in), used);
    *raw = tg_input_raw_bytes(in);
    *hash = tg_input_hash(in);
    tg_input_close(in);
    *out = buf;
    *n = used;
    return rc;
}

static char *make_data(size_t n)
{
    char *d = malloc(n);
    cr_assert_not_null(d);
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        d[i] = "{}[],:\"abc 0123\n"[(x >> 33) % 16];
    }
    return d;
}

Test(input, plain_counts_and_hashes)
{
    size_t n = 3 * TG_INPUT_CHUNK + 17;
    char *d = make_data(n);
    char *path = tmp_write(".ndjson", d, n);
    char *got;
    size_t len;
    uint64_t raw, hash;
    tg_error e = {0};
    cr_assert_eq(read_all(path, &got, &len, &raw, &hash, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(len, n);
    cr_assert_eq(raw, n);
    cr_assert(memcmp(got, d, n) == 0);
    cr_assert_eq(hash, tg_xxh64(d, n, 0));
    free(got);
    free(d);
    unlink_free(path);
}

Test(input, zst_equals_plain_and_hashes_compressed_bytes)
{
    size_t n = 2 * TG_INPUT_CHUNK + 1000;
    char *d = make_data(n);
    char *path = tmp_zst(d, n);
    size_t zn;
    char *z = slurp(path, &zn);
    char *got;
    size_t len;
    uint64_t raw, hash;
    tg_error e = {0};
    cr_assert_eq(read_all(path, &got, &len, &raw, &hash, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(len, n);
    cr_assert(memcmp(got, d, n) == 0);
    cr_assert_eq(raw, zn);
    cr_assert_eq(hash, tg_xxh64(z, zn, 0), "the hash is of the file's bytes");
    free(got);
    free(z);
    free(d);
    unlink_free(path);
}

/* What `cat a.zst b.zst` and pzstd write: several frames one after another, and (pzstd)
 * skippable frames between them. The spec's .zst files are streams of any of these. */
Test(input, zst_of_several_frames_and_skippable_ones)
{
    size_t n = 3 * TG_INPUT_CHUNK + 333, cut = TG_INPUT_CHUNK + 77;
    char *d = make_data(n);
    char *p1 = tmp_zst(d, cut), *p2 = tmp_zst(d + cut, n - cut);
    size_t z1n, z2n;
    char *z1 = slurp(p1, &z1n), *z2 = slurp(p2, &z2n);
    /* a skippable frame: magic 0x184D2A5?, little-endian size, then that many bytes */
    static const unsigned char skip[] = {0x50, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    size_t zn = sizeof skip + z1n + sizeof skip + z2n;
    char *z = malloc(zn);
    cr_assert_not_null(z);
    memcpy(z, skip, sizeof skip);
    memcpy(z + sizeof skip, z1, z1n);
    memcpy(z + sizeof skip + z1n, skip, sizeof skip);
    memcpy(z + 2 * sizeof skip + z1n, z2, z2n);
    char *path = tmp_write(".zst", z, zn);
    char *got;
    size_t len;
    uint64_t raw, hash;
    tg_error e = {0};
    cr_assert_eq(read_all(path, &got, &len, &raw, &hash, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(len, n);
    cr_assert(memcmp(got, d, n) == 0);
    cr_assert_eq(raw, zn);
    free(got);
    free(z);
    free(z1);
    free(z2);
    free(d);
    unlink_free(p1);
    unlink_free(p2);
    unlink_free(path);
}

Test(input, truncated_zst_is_an_error_naming_the_file)
{
    size_t n = 100000;
    char *d = make_data(n);
    char *full = tmp_zst(d, n);
    size_t zn;
    char *z = slurp(full, &zn);
    char *cut = tmp_write(".zst", z, zn - 7);
    char *got;
    size_t len;
    uint64_t raw, hash;
    tg_error e = {0};
    cr_assert_eq(read_all(cut, &got, &len, &raw, &hash, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, cut) != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "truncated") != NULL, "%s", e.msg);
    free(got);
    /* garbage that is no zstd frame */
    memset(z, 'x', 64);
    char *bad = tmp_write(".zst", z, zn);
    cr_assert_eq(read_all(bad, &got, &len, &raw, &hash, &e), TG_ERR_FORMAT);
    cr_assert(strstr(e.msg, bad) != NULL, "%s", e.msg);
    free(got);
    free(z);
    free(d);
    unlink_free(full);
    unlink_free(cut);
    unlink_free(bad);
}

Test(input, missing_file_is_io_error)
{
    tg_input *in;
    tg_error e = {0};
    cr_assert_eq(tg_input_open(&in, "/nonexistent/x.ndjson", &e), TG_ERR_IO);
    cr_assert_null(in);
    cr_assert(strstr(e.msg, "/nonexistent/x.ndjson") != NULL);
}
