/* ingest_file.h - ingest.h5, the ingest stage's output and aggregate's input: album,
 * city and genre dictionaries, the trace rows sorted by (album, day, city) with
 * identical keys summed, the counters and the provenance. store/ alone knows its layout.
 *
 * SCHEMA (version TG_INGEST_SCHEMA; every text is a variable-length UTF-8 string):
 *   /                       attrs: tracegenre_file = "ingest", schema_version (int32),
 *                           day_epoch = "1970-01-01", provenance (text, provenance.h)
 *   /albums/id              text[A]     canonical album id, album index order (first seen)
 *   /albums/release_day     int32[A]    days since 1970-01-01; INT32_MIN: no album record
 *                                        came (an orphan: its rows are kept, aggregate
 *                                        leaves them out)
 *   /albums/genre_indptr    int64[A+1]  album a's genres are genre_indices[indptr[a] ..
 *   /albums/genre_indices   int32[NG]   indptr[a+1]), sorted genre indices (CSR, as AnnData)
 *   /genres/name            text[G]     first-seen order
 *   /cities/name            text[C]     first-seen order
 *   /rows/album             uint32[N]   \
 *   /rows/day               int32[N]     | one row per distinct (album, day, city),
 *   /rows/city              uint32[N]    | sorted by that key; chunks of
 *   /rows/nusers            uint64[N]    | TG_INGEST_CHUNK_ROWS rows, shuffle + zstd (32015)
 *   /rows/nstreams          uint64[N]   /  sums of the records' counts
 *   /counters/name          text[K]     "records", "albums", "rejected.bad_date", ...
 *   /counters/value         uint64[K]
 * Columns rather than a compound type: h5py and h5dump read each as a plain array, and
 * a reader wanting only (album, day, city, nusers) skips nstreams' chunks.
 * Album ids, genre and city names holding a NUL byte (\u0000 in JSON) are cut at it in
 * this file (HDF5 C strings); their indices stay distinct. */
#ifndef TG_INGEST_FILE_H
#define TG_INGEST_FILE_H

#include "error.h"
#include "ingest_row.h"

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#define TG_INGEST_SCHEMA 1
#define TG_INGEST_CHUNK_ROWS 65536   /* 256-512 KiB a column chunk: a read touches few */
#define TG_INGEST_NO_RELEASE INT32_MIN

/* Strings back to back: string i is arena[off[i] .. off[i+1]) (intern.h's layout). */
typedef struct {
    const char *arena;
    const size_t *off;    /* [n + 1] */
    size_t n;
} tg_text_list;

/* Everything but the rows, handed over once at the end. */
typedef struct {
    tg_text_list album_ids;
    const int32_t *release_day;      /* [album_ids.n] */
    const int64_t *genre_indptr;     /* [album_ids.n + 1] */
    const int32_t *genre_indices;    /* [genre_indptr[album_ids.n]] */
    tg_text_list genres, cities;
    const char *const *counter_names;
    const uint64_t *counter_values;
    size_t n_counters;
    const char *provenance;
} tg_ingest_meta;

typedef struct tg_ingest_writer tg_ingest_writer;

/* Creates (truncates) the HDF5 file at path (a temporary: output_file.h renames it)
 * with empty row columns. Returns TG_OK with *w set, or TG_ERR_LIBRARY/TG_ERR_NOMEM
 * with nothing to close (path may exist, empty or partial: the caller discards it). */
tg_code tg_ingest_writer_open(tg_ingest_writer **w, const char *path, tg_error *e);

/* Lets a chunk's five columns be compressed by up to threads threads at once (1, the
 * default: by the calling thread alone). The file is the same whatever the number. */
void tg_ingest_writer_threads(tg_ingest_writer *w, unsigned threads);

/* Appends n rows; rows must come in key order (checked: TG_ERR_FORMAT otherwise, a
 * programmer error upstream). Buffered: a chunk is written every TG_INGEST_CHUNK_ROWS.
 * pad_ is ignored. */
tg_code tg_ingest_writer_rows(tg_ingest_writer *w, const tg_ingest_row *rows, size_t n,
                              tg_error *e);

/* tg_ingest_writer_rows for one row. */
tg_code tg_ingest_writer_row(tg_ingest_writer *w, uint32_t album, int32_t day, uint32_t city,
                             uint64_t nusers, uint64_t nstreams, tg_error *e);

/* Writes the rest, the metadata and the attributes, and closes the file. Checks that
 * rows reference existing albums and cities. w is freed whatever the result. */
tg_code tg_ingest_writer_finish(tg_ingest_writer *w, const tg_ingest_meta *m, tg_error *e);

/* Closes and frees w without finishing (the file is then garbage). Accepts NULL. */
void tg_ingest_writer_abort(tg_ingest_writer *w);

/* An open ingest.h5, validated, its dictionaries in memory (rows are read on demand). */
typedef struct {
    hid_t file;
    hid_t col[5];                 /* album, day, city, nusers, nstreams */
    uint64_t n_rows;
    size_t n_albums, n_genres, n_cities, n_counters;
    char **album_id;              /* [n_albums] NUL-terminated */
    int32_t *release_day;         /* [n_albums] */
    int64_t *genre_indptr;        /* [n_albums + 1] */
    int32_t *genre_indices;       /* [genre_indptr[n_albums]] */
    char **genre, **city, **counter_name;
    uint64_t *counter_value;
    char *provenance;
    uint64_t next_row;            /* rows read in order so far (sort check) */
    uint32_t last_key[3];         /* key of row next_row - 1 (day biased) */
} tg_ingest_file;

/* Opens and validates path: schema name and version (an older or newer one names the
 * stage to rerun), every dataset's presence, type class and length, the genre CSR
 * (monotone, indices < G). Returns TG_OK, TG_ERR_IO (cannot open), TG_ERR_FORMAT (not
 * an ingest file, other version, damaged), TG_ERR_NOMEM. On error f needs no close. */
tg_code tg_ingest_file_open(tg_ingest_file *f, const char *path, tg_error *e);

/* Reads rows [start, start + n) into the arrays (any may be NULL to skip a column),
 * checking album and city indices, and, when the reads go in order from row 0, that
 * the keys strictly increase. TG_ERR_FORMAT names the row. */
tg_code tg_ingest_file_rows(tg_ingest_file *f, uint64_t start, size_t n, uint32_t *album,
                            int32_t *day, uint32_t *city, uint64_t *nusers, uint64_t *nstreams,
                            tg_error *e);

/* The counter named name, or -1 if absent (then *value is unchanged). */
int tg_ingest_file_counter(const tg_ingest_file *f, const char *name, uint64_t *value);

/* Frees and closes. Accepts a zeroed f. Never fails. */
void tg_ingest_file_close(tg_ingest_file *f);

/* Only the provenance text of path, for Make-style checks (malloc'd; caller frees).
 * TG_ERR_IO when path is absent or unreadable, TG_ERR_FORMAT when it is not an ingest
 * file of this schema. */
tg_code tg_ingest_file_provenance(const char *path, char **text, tg_error *e);

#endif
