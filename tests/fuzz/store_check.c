/* store_check.c - the checks both store fuzz targets run on a store file (store_check.h):
 * every album read by HDF5 and by the loader must agree, or fail with a named error. */
#include "store_check.h"

#include "fuzz.h"
#include "loader.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_tmpfile(const unsigned char *data, size_t size, char path[64])
{
    snprintf(path, 64, "%s/tg-fuzz-store-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    int fd = mkstemp(path);
    FUZZ_ASSERT(fd >= 0);
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    FUZZ_ASSERT(close(fd) == 0);
}

static int allowed(tg_code rc)
{
    return rc == TG_OK || rc == TG_ERR_IO || rc == TG_ERR_FORMAT || rc == TG_ERR_LIMIT
           || rc == TG_ERR_NOMEM;
}

/* Every album through the loader: what it decodes from the raw chunks must be what
 * HDF5 read (at the store's own steps and raw values re-binning only drops zeros). */
static void check_loader(tg_store *s, const int32_t *cols_h5, const uint32_t *vals_h5)
{
    tg_loader_config cfg = {.store = s, .steps = s->steps, .transform = TG_TRANSFORM_RAW,
                            .cache_bytes = 1 << 20, .batch = 4, .depth = 2};
    tg_loader *l;
    tg_error e = {0};
    tg_code rc = tg_loader_open(&l, &cfg, &e);
    FUZZ_ASSERT(allowed(rc));
    if (rc != TG_OK)
        return;
    int32_t *cols = malloc((s->nnz ? s->nnz : 1) * sizeof *cols);
    float *vals = malloc((s->nnz ? s->nnz : 1) * sizeof *vals);
    FUZZ_ASSERT(cols != NULL && vals != NULL);
    for (size_t a = 0; a < s->n_albums; a++) {
        size_t n = 0, at = (size_t)s->indptr[a];
        rc = tg_loader_row(l, (uint32_t)a, cols, vals, &n, &e);
        FUZZ_ASSERT(allowed(rc));
        if (rc != TG_OK)
            break;
        /* the loader drops zero counts (rebin.h); everything else must match */
        size_t j = 0;
        for (size_t k = at; k < (size_t)s->indptr[a + 1]; k++) {
            if (vals_h5[k] == 0)
                continue;
            FUZZ_ASSERT(j < n && cols[j] == cols_h5[k] && vals[j] == (float)vals_h5[k]);
            j++;
        }
        FUZZ_ASSERT(j == n);
    }
    free(cols);
    free(vals);
    tg_loader_close(l);
}

tg_code fuzz_store_check(const char *path)
{
    tg_store *s = NULL;
    tg_error e = {0};
    tg_code rc = tg_store_open(path, &s, &e);
    if (getenv("FUZZ_VERBOSE") != NULL) /* to see what a corpus reaches */
        fprintf(stderr, "%s: %s\n", tg_code_name(rc), rc == TG_OK ? "opened" : e.msg);
    FUZZ_ASSERT(allowed(rc));
    if (rc != TG_OK) {
        FUZZ_ASSERT(s == NULL && strstr(e.msg, path) != NULL);
        return rc;
    }
    /* validated: NNZ entries are backed by the file's chunks, so this is bounded */
    int32_t *cols = malloc((s->nnz ? s->nnz : 1) * sizeof *cols);
    uint32_t *vals = malloc((s->nnz ? s->nnz : 1) * sizeof *vals);
    FUZZ_ASSERT(cols != NULL && vals != NULL);
    int all = 1;
    for (size_t a = 0; a < s->n_albums; a++) {
        uint64_t first = (uint64_t)s->indptr[a];
        size_t n = (size_t)(s->indptr[a + 1] - s->indptr[a]);
        tg_code r = tg_store_read(s, first, n, cols + first, vals + first, &e);
        FUZZ_ASSERT(r == TG_OK || r == TG_ERR_FORMAT);
        if (r != TG_OK) {
            all = 0;
            break;
        }
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT(cols[first + i] >= 0 && (uint64_t)cols[first + i] < s->n_cols);
    }
    if (all)
        check_loader(s, cols, vals);
    free(cols);
    free(vals);
    tg_store_close(s);
    return TG_OK;
}
