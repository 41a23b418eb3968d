/* albums.h - ingest's album table: canonical album id -> dense index in first-seen
 * order (a trace or an album record, whichever comes first), release day and genre set.
 *
 * An album first named by a trace has no record yet (release_day == TG_NO_RELEASE);
 * its record may come later, in the same file or another. When the whole data set has
 * been read, albums still without a record are orphans: ingest counts them and the
 * trace records that named them, keeps their rows, and aggregate leaves them out of
 * the tensor (ingest is the first stage that can tell, aggregate the one that
 * decides what the tensor holds). Genre sets are kept as sorted, de-duplicated genre
 * indices, so two records agree when their release days and genre sets are equal
 * whatever the order or repetition of names. Memory grows with distinct albums and
 * genres only. */
#ifndef TG_ALBUMS_H
#define TG_ALBUMS_H

#include "intern.h"
#include "records.h"

#include <stdint.h>

#define TG_NO_RELEASE INT32_MIN   /* release_day of an album without a record (yet) */

/* What an album record did to the table. */
typedef enum {
    TG_ALBUM_NEW = 0,       /* first record of this album: accepted */
    TG_ALBUM_AGREES,        /* same release day and genre set as the first: a duplicate */
    TG_ALBUM_CONFLICTS      /* differs: the record is rejected, the first one stays */
} tg_album_outcome;

typedef struct {
    tg_intern ids;          /* canonical id -> album index */
    tg_intern genres;       /* genre name -> genre index, first-seen order */
    int32_t *release_day;   /* [n] TG_NO_RELEASE until a record comes */
    uint64_t *gstart;       /* [n] first genre of the album in gpool */
    uint32_t *gcount;       /* [n] number of genres */
    uint64_t *traces;       /* [n] trace records that named the album */
    uint32_t cap;           /* room in the per-album arrays */
    uint32_t *gpool;        /* genre indices of all albums, sorted within an album */
    uint64_t gpool_len, gpool_cap;
} tg_albums;

/* Empties t (no allocation yet). Never fails. */
void tg_albums_init(tg_albums *t);

/* Frees everything; t is then empty and reusable. */
void tg_albums_free(tg_albums *t);

/* tg_albums_trace past its repeat test. */
tg_code tg_albums_trace_probe(tg_albums *t, const char *id, size_t len, uint64_t n,
                              uint32_t *index, tg_error *e);

/* The index of the album with canonical id (adding it, without a record, if new), for
 * n trace records; counts them for the orphan figures. Returns TG_OK, TG_ERR_NOMEM or
 * TG_ERR_LIMIT with t unchanged. Inline for its common case, the album of the previous
 * trace again (a function call and a table check per trace were 1.6 % of ingest's
 * instructions). */
static inline tg_code tg_albums_trace(tg_albums *t, const char *id, size_t len, uint64_t n,
                                      uint32_t *index, tg_error *e)
{
    if (tg_intern_is_last(&t->ids, id, len, index)) {
        t->traces[*index] += n;
        return TG_OK;
    }
    return tg_albums_trace_probe(t, id, len, n, index, e);
}

/* Enters an album record: sets *outcome (see above) and *index. Only TG_ALBUM_NEW
 * changes the album's metadata. Returns TG_OK, TG_ERR_NOMEM or TG_ERR_LIMIT (the table
 * may then hold the album id without its record). */
tg_code tg_albums_record(tg_albums *t, const tg_album_rec *a, uint32_t *index,
                         tg_album_outcome *outcome, tg_error *e);

/* Number of albums (with or without a record). */
static inline uint32_t tg_albums_count(const tg_albums *t) { return tg_intern_count(&t->ids); }

/* Albums without a record and the trace records that named them. */
void tg_albums_orphans(const tg_albums *t, uint64_t *albums, uint64_t *traces);

/* Bytes held, for memory accounting. */
size_t tg_albums_bytes(const tg_albums *t);

#endif
