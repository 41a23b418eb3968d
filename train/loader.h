/* loader.h - the prefetching batch source over a store (DESIGN.md, "The loader"): a
 * thread reads each batch's rows from the store file, memory-mapped, straight from the
 * chunks' file offsets (outside HDF5 and its global lock), decodes them, re-bins and
 * transforms them (rebin.h), and fills a ring of CSR slots that the trainer consumes.
 * Decoded chunks are cached up to a memory budget; beyond it chunks are decoded again
 * each time they are needed, so memory stays bounded whatever the store's size. */
#ifndef TG_TRAIN_LOADER_H
#define TG_TRAIN_LOADER_H

#include "error.h"
#include "rebin.h"
#include "store.h"
#include "trainer.h"

#include <stdint.h>

typedef struct {
    tg_store *store;        /* open and validated; must outlive the loader */
    int32_t steps;          /* output steps, 1..store->steps */
    tg_transform transform;
    uint64_t cache_bytes;   /* budget for decoded chunks */
    int32_t batch;          /* largest batch asked for */
    int depth;              /* ring slots (>= 2) */
} tg_loader_config;

typedef struct {
    uint64_t stall_ns;      /* time fill waited for the prefetch thread */
    uint64_t batches;
    uint64_t chunks_decoded;
    uint64_t cache_hits;
    uint64_t cached_bytes;  /* decoded chunks held */
} tg_loader_stats;

typedef struct tg_loader tg_loader;

/* Maps the store file, reads its chunk layout and starts the prefetch thread. On
 * failure *l is NULL. Errors: TG_ERR_USAGE (steps out of range), TG_ERR_IO (mmap),
 * TG_ERR_FORMAT (layout), TG_ERR_NOMEM, TG_ERR_LIBRARY (thread). */
tg_code tg_loader_open(tg_loader **l, const tg_loader_config *cfg, tg_error *e);

/* The batch source the trainer consumes. */
tg_batch_source tg_loader_source(tg_loader *l);

/* Reads one album's re-binned, transformed row synchronously (tests, predict). cols and
 * vals need room for the album's stored entries; *n receives the count. */
tg_code tg_loader_row(tg_loader *l, uint32_t album, int32_t *cols, float *vals, size_t *n,
                      tg_error *e);

tg_loader_stats tg_loader_get_stats(tg_loader *l);

/* Stops the thread, unmaps, frees (NULL is fine). */
void tg_loader_close(tg_loader *l);

#endif
