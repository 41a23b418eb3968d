/* schema.h - private to store/: the names, types and limits of store.h5's HDF5 layout
 * (schema version 1), shared by the writer and the reader so that they cannot disagree. */
#ifndef TG_STORE_SCHEMA_H
#define TG_STORE_SCHEMA_H

#include "error.h"

#include <hdf5.h>

#define TG_STORE_SCHEMA_VERSION 1

/* The handles an open tg_store keeps (store.h leaves them opaque). */
struct tg_store_h5 {
    hid_t file, indices, data;
};

#define TG_X "/x"
#define TG_X_INDPTR "/x/indptr"
#define TG_X_INDICES "/x/indices"
#define TG_X_DATA "/x/data"
#define TG_ALBUMS "/albums"
#define TG_ALBUMS_ID "/albums/id"
#define TG_ALBUMS_RELEASE "/albums/release_day"
#define TG_ALBUMS_SPLIT "/albums/split"
#define TG_ALBUMS_LABELS "/albums/labels"
#define TG_GENRES "/genres"
#define TG_GENRES_NAME "/genres/name"
#define TG_GENRES_COUNT "/genres/count"
#define TG_GENRES_DROPPED_NAME "/genres/dropped_name"
#define TG_GENRES_DROPPED_COUNT "/genres/dropped_count"
#define TG_CITIES "/cities"
#define TG_CITIES_NAME "/cities/name"
/* Optional (stores written before aggregate recorded counters lack it). */
#define TG_COUNTERS "/counters"
#define TG_COUNTERS_NAME "/counters/name"
#define TG_COUNTERS_VALUE "/counters/value"

/* AnnData's sparse-matrix element, as its reader checks it. */
#define TG_CSR_ENCODING "csr_matrix"
#define TG_CSR_VERSION "0.1.0"

/* What /albums/split's codes mean, also stored as its "codes" attribute. */
#define TG_SPLIT_CODES "0 train, 1 test, 2 unlabeled"

/* Reads the filter pipeline of /x/indices or /x/data (dset, named path in messages):
 * only HDF5's shuffle, then filter 32015, each optional, in that order, are accepted,
 * because the loader undoes exactly those. Sets the index of each in the pipeline or
 * -1. Errors: TG_ERR_FORMAT naming the filter, TG_ERR_LIBRARY. (store_chunks.c) */
tg_code tg_store_pipeline(hid_t dset, const char *file, const char *path, int *shuffle_at,
                          int *zstd_at, tg_error *e);

#endif
