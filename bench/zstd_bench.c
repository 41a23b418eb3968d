/* zstd_bench.c - ratio and speed of the chunk codec on a report-sized sparse CSR index
 * array (/x/indices: step * 2683 + city) and its values, at zstd levels 1 and 3, plain
 * and after HDF5's byte shuffle.
 *   zstd_bench [CHUNK_ELEMENTS]      (default 16384 int32 = 64 KiB per chunk) */
#include "clock.h"
#include "rng.h"
#include "zstd_chunk.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CITIES 2683
#define ALBUMS 1557

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* One album per row, as aggregate will write them: 60 to 358 days of data, activity
 * fading after release, a few cities a day, Paris in about half of the entries and
 * the others roughly Zipf (log-uniform rank), as in the report's figures. */
static size_t make_csr(int32_t **indices, uint32_t **data)
{
    size_t cap = 1 << 20, n = 0;
    int32_t *idx = malloc(cap * sizeof *idx);
    uint32_t *val = malloc(cap * sizeof *val);
    if (idx == NULL || val == NULL)
        return 0;
    tg_rng r;
    uint32_t day_cities[64];
    for (uint32_t a = 0; a < ALBUMS; a++) {
        tg_rng_seed(&r, 2019, a, 0);
        uint32_t days = 60 + tg_rng_below(&r, 299);
        for (uint32_t d = 0; d < days; d++) {
            if (tg_rng_uniform(&r) > 0.3 + 0.7 * exp(-(double)d / 120))
                continue;
            uint32_t k = 1 + (uint32_t)(-log(1 - tg_rng_uniform(&r)) * 10);
            if (k > 64)
                k = 64;
            for (uint32_t j = 0; j < k; j++)
                day_cities[j] = tg_rng_uniform(&r) < 0.48
                    ? 0
                    : (uint32_t)(exp(tg_rng_uniform(&r) * log((double)CITIES))) - 1;
            qsort(day_cities, k, sizeof day_cities[0], cmp_u32);
            for (uint32_t j = 0; j < k; j++) {
                if (j > 0 && day_cities[j] == day_cities[j - 1]) {
                    val[n - 1] += 1;
                    continue;
                }
                if (n == cap) {
                    cap *= 2;
                    int32_t *i2 = realloc(idx, cap * sizeof *idx);
                    uint32_t *v2 = realloc(val, cap * sizeof *val);
                    if (i2 == NULL || v2 == NULL)
                        return free(i2 ? i2 : idx), free(v2 ? v2 : val), 0;
                    idx = i2;
                    val = v2;
                }
                idx[n] = (int32_t)(d * CITIES + day_cities[j]);
                val[n] = 1 + (uint32_t)(-log(1 - tg_rng_uniform(&r)) * (day_cities[j] == 0 ? 20 : 2));
                n++;
            }
        }
    }
    *indices = idx;
    *data = val;
    return n;
}

/* HDF5's shuffle filter (H5Pset_shuffle): within each chunk, byte j of every 4-byte
 * element goes to plane j, so the slowly changing high bytes sit together. */
static void *shuffled(const void *buf, size_t bytes, size_t chunk_bytes)
{
    unsigned char *out = malloc(bytes);
    const unsigned char *in = buf;
    if (out == NULL)
        return NULL;
    for (size_t c = 0; c < bytes; c += chunk_bytes) {
        size_t n = (bytes - c < chunk_bytes ? bytes - c : chunk_bytes) / 4;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < 4; j++)
                out[c + j * n + i] = in[c + 4 * i + j];
    }
    return out;
}

/* Compresses buf in chunks of chunk_bytes, then decodes them, repeating until each
 * side has run for at least half a second; prints ratio and MB/s (10^6 bytes of
 * uncompressed data per second). Returns 0 or 1 on a codec error. */
static int measure(const char *what, const void *buf, size_t bytes, size_t chunk_bytes, int level)
{
    size_t nchunks = (bytes + chunk_bytes - 1) / chunk_bytes;
    size_t fcap = tg_zstd_bound(chunk_bytes);
    unsigned char *frames = malloc(nchunks * fcap), *back = malloc(chunk_bytes);
    size_t *fsize = malloc(nchunks * sizeof *fsize);
    tg_error e = {0};
    int rc = 1;
    if (frames == NULL || back == NULL || fsize == NULL) {
        fprintf(stderr, "zstd_bench: out of memory\n");
        goto done;
    }
    uint64_t enc_ns = 0, dec_ns = 0;
    unsigned enc_reps = 0, dec_reps = 0;
    size_t total = 0;
    while (enc_ns < 500000000u) {
        uint64_t t0 = tg_clock_ns();
        total = 0;
        for (size_t c = 0; c < nchunks; c++) {
            size_t n = c + 1 < nchunks ? chunk_bytes : bytes - c * chunk_bytes;
            if (tg_zstd_encode((const char *)buf + c * chunk_bytes, n, level, frames + c * fcap, fcap,
                               &fsize[c], what, &e) != TG_OK)
                goto fail;
            total += fsize[c];
        }
        enc_ns += tg_clock_ns() - t0;
        enc_reps++;
    }
    while (dec_ns < 500000000u) {
        uint64_t t0 = tg_clock_ns();
        for (size_t c = 0; c < nchunks; c++) {
            size_t got;
            if (tg_zstd_decode(frames + c * fcap, fsize[c], back, chunk_bytes, &got, what, &e) != TG_OK)
                goto fail;
            if (dec_reps == 0 && memcmp(back, (const char *)buf + c * chunk_bytes, got) != 0) {
                fprintf(stderr, "zstd_bench: %s: chunk %zu decodes wrong\n", what, c);
                goto done;
            }
        }
        dec_ns += tg_clock_ns() - t0;
        dec_reps++;
    }
    printf("%-16s level %2d: %9zu -> %8zu bytes, ratio %5.2f, encode %7.1f MB/s, decode %7.1f MB/s\n",
           what, level, bytes, total, (double)bytes / (double)total,
           (double)bytes * enc_reps / ((double)enc_ns / 1e9) / 1e6,
           (double)bytes * dec_reps / ((double)dec_ns / 1e9) / 1e6);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "zstd_bench: %s\n", e.msg);
done:
    free(frames);
    free(back);
    free(fsize);
    return rc;
}

int main(int argc, char **argv)
{
    size_t chunk_elems = 16384;
    if (argc > 2 || (argc == 2 && (chunk_elems = strtoul(argv[1], NULL, 10)) == 0)) {
        fprintf(stderr, "usage: zstd_bench [CHUNK_ELEMENTS]\n");
        return 2;
    }
    int32_t *indices;
    uint32_t *data;
    size_t nnz = make_csr(&indices, &data);
    if (nnz == 0) {
        fprintf(stderr, "zstd_bench: out of memory\n");
        return 1;
    }
    printf("%d albums, %zu entries, chunks of %zu elements (%zu bytes)\n", ALBUMS, nnz, chunk_elems,
           chunk_elems * 4);
    int rc = 0;
    const int levels[] = {1, 3};
    for (size_t k = 0; k < 2 && rc == 0; k++)
        rc = measure("indices", indices, nnz * 4, chunk_elems * 4, levels[k]);
    for (size_t k = 0; k < 2 && rc == 0; k++)
        rc = measure("data", data, nnz * 4, chunk_elems * 4, levels[k]);
    void *si = shuffled(indices, nnz * 4, chunk_elems * 4), *sd = shuffled(data, nnz * 4, chunk_elems * 4);
    if (si == NULL || sd == NULL)
        rc = 1;
    for (size_t k = 0; k < 2 && rc == 0; k++)
        rc = measure("indices+shuffle", si, nnz * 4, chunk_elems * 4, levels[k]);
    for (size_t k = 0; k < 2 && rc == 0; k++)
        rc = measure("data+shuffle", sd, nnz * 4, chunk_elems * 4, levels[k]);
    free(si);
    free(sd);
    free(indices);
    free(data);
    return rc;
}
