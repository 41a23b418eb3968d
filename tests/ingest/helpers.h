/* helpers.h - test helpers for ingest: temporary input files and a sink that collects
 * what the record layer delivers (resolving pending nested traces like a consumer). */
#ifndef TG_TEST_INGEST_HELPERS_H
#define TG_TEST_INGEST_HELPERS_H

#include "records.h"

#include <stddef.h>
#include <stdint.h>

/* Writes n bytes to a new temporary file whose name ends in suffix; returns its
 * malloc'd path (the test removes it with unlink_free). Aborts the test on failure. */
char *tmp_write(const char *suffix, const void *data, size_t n);
char *tmp_str(const char *suffix, const char *text);
/* zstd-compresses data into a temporary ".zst" file. */
char *tmp_zst(const void *data, size_t n);
void unlink_free(char *path);
/* The whole content of a file (malloc'd, NUL-terminated); *n its length. */
char *slurp(const char *path, size_t *n);

typedef struct {
    char album[64];            /* canonical id, "" if pending (first 63 bytes) */
    size_t album_len;          /* the whole id and city: lengths and XXH64 (seed 0) */
    uint64_t album_hash;
    uint64_t group;
    int32_t day;
    char city[64];
    size_t city_len;
    uint64_t city_hash;
    uint32_t nusers, nstreams;
    int has_nstreams;
    uint64_t offset;
} col_trace;

typedef struct {
    char album[64];
    size_t album_len;
    uint64_t album_hash;
    int32_t day;
    size_t n_genres;
    char genres[256];          /* joined with '|' (first 255 bytes) */
    uint64_t genres_hash;      /* col_genres_hash of all of them */
    uint64_t offset;
} col_album;

typedef struct {
    tg_reject_reason reason;
    uint64_t count, offset, line;
    char text[TG_REC_MAX_TEXT + 1];
    size_t text_len;
    int truncated;
    char file[256];
} col_reject;

typedef struct {
    col_trace *traces;
    size_t n_traces, cap_traces;
    col_album *albums;
    size_t n_albums, cap_albums;
    col_reject *rejects;
    size_t n_rejects, cap_rejects;
    uint64_t groups_resolved, groups_dropped;
    uint64_t sum;              /* order-independent checksum of accepted fields */
    int strict;                /* on_reject returns TG_ERR_RECORD */
} collector;

/* XXH64 (seed 0) of n strings as (size_t length, bytes) back to back: col_album's
 * genres_hash. */
uint64_t col_genres_hash(const tg_str *g, size_t n);

void col_init(collector *c);
void col_free(collector *c);
tg_rec_sink col_sink(collector *c);

/* Parses path into c (which may already hold records of other files). */
tg_code col_parse(collector *c, const char *path, tg_rec_counts *n, tg_error *e);

/* Parses one text (written to a temporary file) into a fresh collector. */
tg_code parse_text(collector *c, const char *text, tg_rec_counts *n, tg_error *e);

/* Checksums (order-independent) over the accepted records. */
uint64_t col_checksum(const collector *c);

#endif
