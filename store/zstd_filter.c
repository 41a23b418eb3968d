/* zstd_filter.c - HDF5 filter 32015 over the chunk codec (see zstd_filter.h). Failures
 * return 0 to HDF5 and push our message on its error stack, where tg_h5_fail finds it. */
#include "zstd_filter.h"
#include "h5_error.h"
#include "zstd_chunk.h"

#include <zstd.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

/* Pushes e's message onto HDF5's error stack, so that the failure HDF5 reports for the
 * chunk carries the reason (h5dump prints it, tg_h5_fail appends it). */
static size_t filter_fail(const tg_error *e)
{
    H5Epush2(H5E_DEFAULT, __FILE__, "zstd filter", __LINE__, H5E_ERR_CLS, H5E_PLINE, H5E_CANTFILTER,
             "%s", e->msg);
    return 0;
}

static int level_of(size_t cd_nelmts, const unsigned cd_values[])
{
    if (cd_nelmts < 1)
        return TG_ZSTD_DEFAULT_LEVEL;
    /* Stored as unsigned; negative (fast) levels come back as their two's complement. */
    int level = cd_values[0] > (unsigned)INT_MAX ? (int)(cd_values[0] - (unsigned)INT_MAX - 1u) + INT_MIN
                                                 : (int)cd_values[0];
    if (level < ZSTD_minCLevel())
        return ZSTD_minCLevel();
    if (level > ZSTD_maxCLevel())
        return ZSTD_maxCLevel();
    return level;
}

/* The largest chunk, in bytes, that this dataset may hold before or after our stage.
 * cd_values come from the file, so a crafted store could record any size: the cap is
 * a ceiling for every store, and the recorded chunk size only tightens it. */
static size_t bound_of(size_t cd_nelmts, const unsigned cd_values[])
{
    if (cd_nelmts >= 3 && cd_values[1] == TG_ZSTD_CD_TAG
        && (size_t)cd_values[2] + TG_ZSTD_FILTER_SLACK < TG_ZSTD_FILTER_CAP)
        return (size_t)cd_values[2] + TG_ZSTD_FILTER_SLACK;
    return TG_ZSTD_FILTER_CAP;
}

static size_t zstd_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
                          size_t nbytes, size_t *buf_size, void **buf)
{
    tg_error e = {TG_OK, ""};
    char where[96];
    size_t bound = bound_of(cd_nelmts, cd_values);
    void *out = NULL;
    size_t out_cap, out_n = 0;

    if (flags & H5Z_FLAG_REVERSE) {
        snprintf(where, sizeof where, "HDF5 zstd filter: chunk of %zu compressed bytes", nbytes);
        tg_zstd_frame f;
        if (tg_zstd_inspect(*buf, nbytes, &f, where, &e) != TG_OK)
            return filter_fail(&e);
        if (f.content_known && f.content > bound) {
            tg_fail(&e, TG_ERR_LIMIT, "%s: zstd frame declares %llu bytes, more than a chunk holds (%zu)",
                    where, f.content, bound);
            return filter_fail(&e);
        }
        /* A declared size is allocated exactly; a frame without one (never written by
         * us nor by the community plugin) gets the whole bound, checked while decoding. */
        out_cap = f.content_known ? (size_t)f.content : bound;
        if (out_cap == 0) {
            tg_fail(&e, TG_ERR_FORMAT, "%s: zstd frame decodes to 0 bytes, no chunk is empty", where);
            return filter_fail(&e);
        }
        out = malloc(out_cap);
        if (out == NULL) {
            tg_fail(&e, TG_ERR_NOMEM, "%s: cannot allocate %zu bytes", where, out_cap);
            return filter_fail(&e);
        }
        if (tg_zstd_decode(*buf, nbytes, out, out_cap, &out_n, where, &e) != TG_OK) {
            free(out);
            return filter_fail(&e);
        }
    } else {
        snprintf(where, sizeof where, "HDF5 zstd filter: chunk of %zu bytes", nbytes);
        /* Refuse to write what a reader would refuse to read back. */
        if (nbytes > bound) {
            tg_fail(&e, TG_ERR_LIMIT, "%s: more than the %zu bytes the dataset's chunks hold", where, bound);
            return filter_fail(&e);
        }
        out_cap = tg_zstd_bound(nbytes);
        if (out_cap == 0) {
            tg_fail(&e, TG_ERR_LIMIT, "%s: too large for zstd", where);
            return filter_fail(&e);
        }
        out = malloc(out_cap);
        if (out == NULL) {
            tg_fail(&e, TG_ERR_NOMEM, "%s: cannot allocate %zu bytes", where, out_cap);
            return filter_fail(&e);
        }
        if (tg_zstd_encode(*buf, nbytes, level_of(cd_nelmts, cd_values), out, out_cap, &out_n, where,
                           &e) != TG_OK) {
            free(out);
            return filter_fail(&e);
        }
    }
    /* HDF5's contract: the filter owns *buf, replaces it, and reports the new buffer's
     * size in *buf_size and its valid bytes as the return value. */
    free(*buf);
    *buf = out;
    *buf_size = out_cap;
    return out_n;
}

/* Called by HDF5 when a dataset is created with this filter: records the level (or the
 * default) and the chunk's byte size, which bounds every later decompression. */
static herr_t zstd_set_local(hid_t dcpl, hid_t type, hid_t space)
{
    (void)space;
    unsigned flags, config;
    unsigned values[8];
    size_t n = sizeof values / sizeof values[0];
    if (H5Pget_filter_by_id2(dcpl, TG_ZSTD_FILTER_ID, &flags, &n, values, 0, NULL, &config) < 0)
        return -1;
    unsigned out[3] = {n >= 1 ? values[0] : (unsigned)TG_ZSTD_DEFAULT_LEVEL, TG_ZSTD_CD_TAG, 0};

    /* Variable-length elements are stored as heap references whose on-disk size
     * H5Tget_size does not give: keep the community format and its cap for them. */
    htri_t vlen = H5Tdetect_class(type, H5T_VLEN), vstr = H5Tis_variable_str(type);
    if (vlen < 0 || vstr < 0)
        return -1;
    if (vlen > 0 || vstr > 0)
        return H5Pmodify_filter(dcpl, TG_ZSTD_FILTER_ID, flags, 1, out);

    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, dims);
    size_t tsize = H5Tget_size(type);
    if (rank <= 0 || tsize == 0)
        return -1;
    uint64_t bytes = tsize;
    for (int i = 0; i < rank; i++) {
        /* HDF5 itself refuses chunks of 4 GiB or more, so this fits an unsigned. */
        if (dims[i] == 0 || bytes > UINT32_MAX / dims[i])
            return -1;
        bytes *= dims[i];
    }
    out[2] = (unsigned)bytes;
    return H5Pmodify_filter(dcpl, TG_ZSTD_FILTER_ID, flags, 3, out);
}

const H5Z_class2_t tg_zstd_filter_class = {
    H5Z_CLASS_T_VERS,
    (H5Z_filter_t)TG_ZSTD_FILTER_ID,
    1, /* encoder present */
    1, /* decoder present */
    TG_ZSTD_FILTER_NAME,
    NULL, /* can_apply: any type and shape can be compressed */
    zstd_set_local,
    zstd_filter,
};

tg_code tg_store_register_zstd(tg_error *e)
{
    H5dont_atexit(); /* see tg_h5_quiet: must precede HDF5's start */
    /* No "already registered?" test: H5Zfilter_avail would load a plugin from
     * HDF5_PLUGIN_PATH, and registering again simply replaces the class with ours. */
    herr_t r;
    H5E_BEGIN_TRY {
        r = H5Zregister(&tg_zstd_filter_class);
    } H5E_END_TRY;
    if (r < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "HDF5: cannot register the zstd filter (id %d)", TG_ZSTD_FILTER_ID);
    return TG_OK;
}

tg_code tg_store_set_zstd(hid_t dcpl, int level, tg_error *e)
{
    unsigned cd = (unsigned)level; /* two's complement for negative levels, see level_of */
    herr_t r;
    H5E_BEGIN_TRY {
        r = H5Pset_filter(dcpl, TG_ZSTD_FILTER_ID, H5Z_FLAG_MANDATORY, 1, &cd);
    } H5E_END_TRY;
    if (r < 0)
        return tg_h5_fail(e, TG_ERR_LIBRARY, "HDF5: cannot add the zstd filter (id %d, level %d)",
                          TG_ZSTD_FILTER_ID, level);
    return TG_OK;
}
