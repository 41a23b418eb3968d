/* store_chunks.c - the stored chunks of /x/indices and /x/data for direct reads by file
 * offset (store.h): their layout, and decoding one chunk as HDF5 would (zstd, unshuffle). */
#include "store.h"
#include "h5_error.h"
#include "schema.h"
#include "shuffle.h"
#include "zstd_chunk.h"
#include "zstd_filter.h"

#include <stdlib.h>
#include <string.h>

tg_code tg_store_pipeline(hid_t dset, const char *file, const char *path, int *shuffle_at, int *zstd_at,
                          tg_error *e)
{
    *shuffle_at = *zstd_at = -1;
    hid_t dcpl = H5Dget_create_plist(dset);
    int n = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl);
    tg_code rc = TG_OK;
    if (n < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: %s: cannot read its filters", file, path);
    for (int i = 0; rc == TG_OK && i < n; i++) {
        unsigned flags, config, cd[8];
        size_t n_cd = 8;
        char name[64] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &n_cd, cd, sizeof name, name, &config);
        if (id == H5Z_FILTER_SHUFFLE && i == 0)
            *shuffle_at = i;
        else if (id == TG_ZSTD_FILTER_ID && *zstd_at < 0)
            *zstd_at = i;
        else   /* a store rewritten by another tool: say how to get ours back */
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: %s: filter %d of its pipeline is '%s' (id %d): the "
                         "pipeline must be shuffle then zstd (32015), as aggregate writes it; "
                         "rewrite the store with aggregate, or with h5repack -f "
                         "/x/indices,/x/data:SHUF -f /x/indices,/x/data:UD=32015,0,1,1 (its "
                         "plugin: build/store/plugin)", file, path, i, name, (int)id);
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return rc;
}

void tg_store_layout_free(tg_store_layout *l)
{
    free(l->chunks);
    memset(l, 0, sizeof *l);
}

/* One lookup per chunk by its coordinate: H5Dget_chunk_info(index) walks the chunk
 * index from the start on every call in HDF5 1.10, which makes a whole listing
 * quadratic; by coordinate it is one B-tree descent. */
tg_code tg_store_layout_get(tg_store *s, int which, tg_store_layout *l, tg_error *e)
{
    memset(l, 0, sizeof *l);
    hid_t d = which == TG_STORE_INDICES ? s->h5->indices : s->h5->data;
    const char *path = which == TG_STORE_INDICES ? TG_X_INDICES : TG_X_DATA;
    hid_t dcpl = H5Dget_create_plist(d), space = H5Dget_space(d);
    hsize_t chunk = 0, stored = 0;
    tg_code rc = TG_OK;
    if (dcpl < 0 || space < 0 || H5Pget_chunk(dcpl, 1, &chunk) != 1 || chunk == 0
        || H5Dget_num_chunks(d, space, &stored) < 0)
        rc = tg_h5_fail(e, TG_ERR_LIBRARY, "%s: %s: cannot read its chunking", s->path, path);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    if (rc == TG_OK)
        rc = tg_store_pipeline(d, s->path, path, &l->shuffle_filter, &l->zstd_filter, e);
    if (rc != TG_OK)
        return rc;
    l->chunk_elems = chunk;
    l->elem_size = 4;
    l->n_chunks = (size_t)((s->nnz + chunk - 1) / chunk);
    if (stored != l->n_chunks)
        return tg_fail(e, TG_ERR_FORMAT, "%s: %s holds %llu chunks, %zu expected for %llu elements", s->path,
                       path, (unsigned long long)stored, l->n_chunks, (unsigned long long)s->nnz);
    if (l->n_chunks > 0 && (l->chunks = calloc(l->n_chunks, sizeof *l->chunks)) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: %s: cannot list %zu chunks", s->path, path, l->n_chunks);
    for (size_t i = 0; i < l->n_chunks; i++) {
        tg_store_chunk *c = &l->chunks[i];
        hsize_t coord = (hsize_t)i * chunk, size = 0;
        haddr_t addr = HADDR_UNDEF;
        c->first = coord;
        if (H5Dget_chunk_info_by_coord(d, &coord, &c->filter_mask, &addr, &size) < 0 || addr == HADDR_UNDEF) {
            tg_h5_fail(e, TG_ERR_FORMAT, "%s: %s: chunk %zu (elements from %llu) is missing", s->path, path, i,
                       (unsigned long long)coord);
            tg_store_layout_free(l);
            return TG_ERR_FORMAT;
        }
        c->offset = addr;
        c->size = size;
        /* A reader allocates size bytes to fetch the chunk: more than zstd can make of
         * a chunk means damage, and must not become a huge allocation. */
        if (size == 0 || size > tg_zstd_bound((size_t)chunk * 4)) {
            tg_fail(e, TG_ERR_FORMAT, "%s: %s: chunk %zu at byte %llu records %llu stored bytes, more than a "
                    "chunk of %llu elements can take", s->path, path, i, (unsigned long long)addr,
                    (unsigned long long)size, (unsigned long long)chunk);
            tg_store_layout_free(l);
            return TG_ERR_FORMAT;
        }
    }
    return TG_OK;
}

tg_code tg_store_chunk_decode(const tg_store_layout *l, const tg_store_chunk *c, const void *raw, void *dst,
                              void *scratch, tg_error *e)
{
    size_t bytes = (size_t)l->chunk_elems * l->elem_size;
    char where[96];
    snprintf(where, sizeof where, "chunk at byte %llu (elements from %llu)", (unsigned long long)c->offset,
             (unsigned long long)c->first);
    int zstd = l->zstd_filter >= 0 && !(c->filter_mask & (1u << l->zstd_filter));
    int shuffled = l->shuffle_filter >= 0 && !(c->filter_mask & (1u << l->shuffle_filter));
    void *plain = shuffled ? scratch : dst; /* where the zstd stage leaves its bytes */
    if (zstd) {
        size_t got = 0;
        tg_code rc = tg_zstd_decode(raw, (size_t)c->size, plain, bytes, &got, where, e);
        if (rc != TG_OK)
            return rc;
        if (got != bytes)
            return tg_fail(e, TG_ERR_FORMAT, "%s: decodes to %zu bytes, a chunk holds %zu", where, got, bytes);
    } else {
        if (c->size != bytes)
            return tg_fail(e, TG_ERR_FORMAT, "%s: %llu bytes stored uncompressed, a chunk holds %zu", where,
                           (unsigned long long)c->size, bytes);
        memcpy(plain, raw, bytes);
    }
    if (shuffled)
        tg_unshuffle(scratch, dst, (size_t)l->chunk_elems, l->elem_size);
    return TG_OK;
}
