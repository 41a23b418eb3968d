/* ingest_row.h - one row of ingest.h5's /rows table, as ingest's sort produces it and
 * the ingest.h5 writer takes it in blocks: the key (album, day, city) and the sums. */
#ifndef TG_INGEST_ROW_H
#define TG_INGEST_ROW_H

#include <stdint.h>

typedef struct {
    uint32_t album;     /* album index (first seen) */
    int32_t day;        /* days since 1970-01-01 */
    uint32_t city;      /* city index (first seen) */
    uint32_t pad_;      /* zero: no stray bytes in spills, and rows compare as bytes */
    uint64_t nusers;    /* sums: 64 bits, as many records may add up */
    uint64_t nstreams;
} tg_ingest_row;

#endif
