/* zstd_filter.h - HDF5 filter 32015 "Zstandard": each chunk one zstd frame with content
 * size and checksum, in the format of the community plugin (aparamon/HDF5Plugin-Zstandard).
 *
 * cd_values, as stored in a dataset's filter pipeline:
 *   [0]  compression level, a signed int stored as unsigned; clamped to zstd's range
 *        (0 is zstd's default, 3). Absent: 3. The community plugin reads only this one.
 *   [1]  TG_ZSTD_CD_TAG, set by our set_local callback when the dataset is created;
 *   [2]  the dataset's chunk size in bytes (chunk dims x type size).
 * [1] and [2] bound decompression: a chunk may not decode to more than the chunk holds
 * (plus TG_ZSTD_FILTER_SLACK). Stores written by the community plugin lack them; their
 * chunks are bounded by TG_ZSTD_FILTER_CAP instead, which is also the ceiling for all:
 * chunks larger than that are neither written nor read. */
#ifndef TG_ZSTD_FILTER_H
#define TG_ZSTD_FILTER_H

#include "error.h"

#include <hdf5.h>

#define TG_ZSTD_FILTER_ID 32015  /* registered with The HDF Group for Zstandard */
#define TG_ZSTD_FILTER_NAME "Zstandard"
#define TG_ZSTD_CD_TAG 0x54475a31u  /* "TGZ1": says that cd_values[2] is the chunk size */

/* Room for filters that run before ours in the pipeline and grow a chunk slightly
 * (Fletcher32 appends 4 bytes). Stacking compressors is not supported. */
#define TG_ZSTD_FILTER_SLACK 1024u

/* Bound for chunks of stores that do not record their chunk size (the community
 * plugin's), and ceiling for every chunk. HDF5 allows chunks up to 4 GiB, but the
 * writers that use this filter keep them to a few MiB (h5py's automatic chunks stay
 * under 1 MiB; ours far less), so 256 MiB reads every real store while a crafted
 * 20-byte frame, or a crafted recorded size, never makes a reader allocate gigabytes. */
#define TG_ZSTD_FILTER_CAP ((size_t)256 << 20)

/* The filter class (H5Z_CLASS_T_VERS, id 32015, encoder and decoder, set_local), as
 * registered by tg_store_register_zstd and returned by the plugin's H5PLget_plugin_info. */
extern const H5Z_class2_t tg_zstd_filter_class;

/* Registers the filter with HDF5 in this process, replacing any class HDF5 may have
 * loaded for id 32015 from a plugin. Idempotent: every program calls it once at start,
 * calling it again (or after H5close) is harmless. Returns TG_ERR_LIBRARY if HDF5
 * refuses; nothing else changes. */
tg_code tg_store_register_zstd(tg_error *e);

/* Adds the filter to a dataset creation property list at the given level (clamped
 * when chunks are written). The chunk-size bound is filled in by set_local when the
 * dataset is created. Returns TG_ERR_LIBRARY if HDF5 refuses. */
tg_code tg_store_set_zstd(hid_t dcpl, int level, tg_error *e);

#endif
