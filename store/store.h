/* store.h - store.h5, the per-album sparse step x city matrices (schema version 1, see
 * README.md): a streaming writer, and a reader that validates a store before use. */
#ifndef TG_STORE_H
#define TG_STORE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* /albums/split codes. */
#include "split.h"

/* Elements per chunk of /x/indices and /x/data: 16384, i.e. 64 KiB decoded per chunk.
 * Why: a reader of one album decompresses every chunk its row overlaps, so an album of
 * a few hundred entries (most of them) costs 1 or 2 chunks and one of tens of thousands
 * 2-4; smaller chunks would waste less on small rows but decode slower per byte and
 * grow the chunk index, larger ones make every small read pay for up to 256 KiB+. Size
 * hardly depends on it: on the report-size model of bench/zstd_bench (shuffle, level 3)
 * indices + data take 2.64 MB in chunks of 4096, 2.58 MB at 16384, 2.51 MB at 65536.
 * The writer buffers exactly one chunk of each, 128 KiB whatever the NNZ. */
#define TG_STORE_CHUNK_ELEMS 16384

/* Bounds a reader accepts, so that a crafted shape cannot make it allocate without
 * limit (arrays read whole must also be backed by that many bytes in the file). */
#define TG_STORE_MAX_ALBUMS ((size_t)1 << 26)
#define TG_STORE_MAX_GENRES ((size_t)1 << 12)
#define TG_STORE_MAX_CITIES ((size_t)1 << 24)
#define TG_STORE_MAX_STEPS 100000

/* ---- writer ------------------------------------------------------------------------ */

/* What a store holds besides its albums. Arrays are borrowed for tg_store_writer_open
 * only (the writer copies what it keeps). */
typedef struct {
    int32_t steps;                   /* >= 1: columns are step * n_cities + city */
    int32_t window_days;             /* >= 1: days since release that the steps cover */
    const char *value_field;         /* "nusers" or "nstreams" */
    uint64_t split_seed;
    const char *provenance;          /* text from tg_prov_text; "" if none */
    size_t n_cities;                 /* C >= 1 */
    const char *const *city_names;   /* [C] */
    size_t n_genres;                 /* G >= 1: kept genres, label columns */
    const char *const *genre_names;  /* [G] */
    const uint32_t *genre_counts;    /* [G] labeled albums with the genre */
    size_t n_dropped;                /* genres dropped by the filter, may be 0 */
    const char *const *dropped_names;   /* [n_dropped] */
    const uint32_t *dropped_counts;     /* [n_dropped] */
    size_t chunk_elems;              /* 0: TG_STORE_CHUNK_ELEMS (tests use small ones) */
    int level;                       /* zstd level; 0: TG_ZSTD_DEFAULT_LEVEL */
} tg_store_meta;

typedef struct tg_store_writer tg_store_writer;

/* Starts writing a store that will appear at path: the data go to a temporary file
 * beside it (common/output_file.h), renamed into place by tg_store_writer_finish.
 * Registers the zstd filter and silences HDF5's own error printing. On success *w owns
 * the temporary (removed on SIGINT/SIGTERM once the program called tg_signals_install);
 * on error nothing is left behind and *w is NULL. Errors: TG_ERR_USAGE
 * (meta out of range), TG_ERR_IO, TG_ERR_NOMEM, TG_ERR_LIBRARY. */
tg_code tg_store_writer_open(const char *path, const tg_store_meta *meta, tg_store_writer **w,
                             tg_error *e);

/* Appends the next album's row: n entries, indices strictly increasing in
 * [0, steps * n_cities), values any uint32 (both borrowed for the call). labels[G] are
 * 0/1; a train or test album has at least one, an unlabeled one none. Memory stays one
 * chunk of entries plus the albums' ids, days, splits and labels.
 * Errors: TG_ERR_RECORD (the row or its labels break the rules above; the message
 * names the album and entry), TG_ERR_USAGE (id, labels or entries NULL),
 * TG_ERR_LIMIT (more than TG_STORE_MAX_ALBUMS), TG_ERR_NOMEM, TG_ERR_LIBRARY. Errors are
 * sticky: after one, every call returns it again, and finish discards the file. */
tg_code tg_store_writer_add(tg_store_writer *w, const char *id, int32_t release_day, int split,
                            const uint8_t *labels, size_t n, const int32_t *indices,
                            const uint32_t *values, tg_error *e);

/* Writes what is buffered and the album datasets, closes the file and renames it into
 * place. w is freed whatever happens; on error the temporary is removed and an
 * existing file at path is left as it was. */
tg_code tg_store_writer_finish(tg_store_writer *w, tg_error *e);

/* Records the producing stage's counters (what was read, kept and left out) as
 * /counters/name (text[K]) and /counters/value (uint64[K]); optional, at most once,
 * before finish (names and values borrowed for the call). K may be 0. Errors:
 * TG_ERR_USAGE (called twice, NULL arrays), TG_ERR_LIBRARY; sticky like add. */
tg_code tg_store_writer_counters(tg_store_writer *w, size_t n, const char *const *names,
                                 const uint64_t *values, tg_error *e);

/* Gives up: removes the temporary and frees w (NULL is fine). Never fails. */
void tg_store_writer_abort(tg_store_writer *w);

/* ---- reader ------------------------------------------------------------------------ */

/* An open, validated store. Every field is read-only for the caller and lives until
 * tg_store_close. Memory: O(A * G + C + names), never O(NNZ). */
typedef struct {
    char *path;
    size_t n_albums;              /* A */
    size_t n_genres;              /* G */
    size_t n_dropped;
    size_t n_cities;              /* C */
    int32_t steps, window_days;
    uint64_t n_cols;              /* steps * C, /x's shape[1] */
    uint64_t nnz;                 /* = indptr[A] */
    uint64_t split_seed;
    char *value_field;
    char *provenance;
    char **album_ids;             /* [A] UTF-8 */
    int32_t *release_day;         /* [A] days since 1970-01-01 */
    uint8_t *split;               /* [A] TG_SPLIT_* */
    uint8_t *labels;              /* [A][G] 0/1 */
    int64_t *indptr;              /* [A+1]: album a owns entries indptr[a]..indptr[a+1] */
    char **genre_names;           /* [G] */
    uint32_t *genre_counts;       /* [G] */
    char **dropped_names;         /* [n_dropped] */
    uint32_t *dropped_counts;     /* [n_dropped] */
    char **city_names;            /* [C] */
    size_t n_counters;            /* 0 when the store has no /counters (older writers) */
    char **counter_names;         /* [n_counters] */
    uint64_t *counter_values;     /* [n_counters] */
    struct tg_store_h5 *h5;       /* private: open HDF5 handles (schema.h) */
} tg_store;

/* Opens and validates path: schema version, presence, type and shape of every dataset
 * and attribute, indptr from 0 non-decreasing to NNZ = len(indices) = len(data), every
 * index below shape[1] and strictly increasing within its row, labels 0/1 and
 * consistent with the split, and every chunk of /x/indices and /x/data decodes with its
 * checksum (one streaming pass in bounded memory). On error *s is NULL and the message
 * names the file and the place (dataset, album, element). Errors: TG_ERR_IO (cannot
 * open: missing, truncated, not HDF5), TG_ERR_FORMAT (damaged or not a store of this
 * schema), TG_ERR_LIMIT (beyond the bounds above), TG_ERR_NOMEM, TG_ERR_LIBRARY. */
tg_code tg_store_open(const char *path, tg_store **s, tg_error *e);

/* Only the provenance attribute of path, without validating the rest (the Make-style
 * check of the stage that writes path; a store it cannot read gets rebuilt anyway).
 * *text is malloc'd; caller frees. Errors: TG_ERR_IO (absent, not HDF5), TG_ERR_FORMAT
 * (no provenance text), TG_ERR_NOMEM. */
tg_code tg_store_provenance(const char *path, char **text, tg_error *e);

/* The counter named name, or -1 if absent (then *value is unchanged). */
int tg_store_counter(const tg_store *s, const char *name, uint64_t *value);

/* Closes s and frees everything it holds (NULL is fine). */
void tg_store_close(tg_store *s);

/* The index of the album whose id is id, or -1. Linear in A. */
long tg_store_find_album(const tg_store *s, const char *id);

/* Reads entries [first, first + n) of /x/indices into indices[n] and of /x/data into
 * values[n] (either may be NULL to skip it); album a is first = indptr[a],
 * n = indptr[a+1] - indptr[a]. Errors: TG_ERR_USAGE (range beyond NNZ), TG_ERR_FORMAT
 * (damaged chunk: the message names the dataset, range and chunk's byte offset); the
 * buffers are then unspecified. */
tg_code tg_store_read(tg_store *s, uint64_t first, size_t n, int32_t *indices, uint32_t *values,
                      tg_error *e);

/* ---- chunks, for readers that fetch them by file offset (the loader) ---------------
 * Each chunk of /x/indices (int32 little-endian) and /x/data (uint32 little-endian) is
 * stored as: the chunk's chunk_elems elements (the last chunk too, padded with zeros
 * past NNZ), byte-shuffled by HDF5's shuffle filter (all first bytes, then all second
 * bytes, ...), then compressed as one zstd frame (filter 32015). To undo: zstd-decode,
 * then unshuffle; a filter whose bit is set in the chunk's filter mask was skipped. */

enum { TG_STORE_INDICES = 0, TG_STORE_DATA = 1 };

typedef struct {
    uint64_t first;        /* index of the chunk's first element */
    uint64_t offset;       /* byte offset of the stored chunk in the file */
    uint64_t size;         /* stored bytes at that offset, <= tg_zstd_bound(chunk bytes) */
    unsigned filter_mask;  /* bit i set: filter i of the pipeline was not applied */
} tg_store_chunk;

typedef struct {
    uint64_t chunk_elems;  /* elements per chunk */
    size_t elem_size;      /* 4 */
    int shuffle_filter;    /* index of the shuffle filter in the pipeline, or -1 */
    int zstd_filter;       /* index of filter 32015 in the pipeline, or -1 */
    size_t n_chunks;       /* ceil(NNZ / chunk_elems) */
    tg_store_chunk *chunks;  /* [n_chunks] in element order */
} tg_store_layout;

/* Fills l with the chunks of /x/indices (which = TG_STORE_INDICES) or /x/data. On
 * success the caller frees l with tg_store_layout_free; on error l needs nothing.
 * Errors: TG_ERR_FORMAT (a chunk is missing), TG_ERR_NOMEM, TG_ERR_LIBRARY. */
tg_code tg_store_layout_get(tg_store *s, int which, tg_store_layout *l, tg_error *e);
void tg_store_layout_free(tg_store_layout *l);

/* Decodes one stored chunk raw[c->size] read at c->offset into dst, which holds
 * chunk_elems * elem_size bytes; scratch holds as many (used when the chunk was
 * shuffled). Nothing is allocated on the chunk's say-so. Errors: TG_ERR_FORMAT
 * (damaged frame, wrong checksum, wrong decoded size), TG_ERR_LIMIT, TG_ERR_NOMEM. */
tg_code tg_store_chunk_decode(const tg_store_layout *l, const tg_store_chunk *c, const void *raw,
                              void *dst, void *scratch, tg_error *e);

#endif
