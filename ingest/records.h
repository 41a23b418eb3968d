/* records.h - the streaming JSON record layer of ingest: one input in, validated album
 * and trace records out through callbacks, in bounded memory whatever the input size.
 *
 * LAYOUTS (spec/trace-format.md). A file is a sequence of top-level JSON values
 * (yajl_allow_multiple_values), so NDJSON (blank lines and CRLF included), a top-level
 * array of records and a top-level object of arrays of records are all read by the
 * same code, and several layouts may even follow each other in one file.
 *   - top-level object: a record, or a container whose values are arrays of records.
 *     Keys carry no meaning, so the role is decided from what the values are: a
 *     container is an object whose every value is an array, anything else is a record.
 *     When an undecided object meets an array, records.c reads ahead to the object's
 *     end within the bytes yajl was handed, which end at a line's end (lines up to
 *     TG_REC_LINE_MAX, 4 MiB, are never split), and decides exactly: every NDJSON
 *     record up to 4 MiB, and every file up to 256 KiB, is classified by that rule,
 *     whatever the chunking or --threads. When the end is out of sight (a large
 *     container, a longer line, or a record spread over lines across a chunk's end), it
 *     decides as it goes:
 *       * a scalar or object value, or an array under a known key other than "traces"
 *         => a record;
 *       * an array (not under key "traces") with an object among its elements
 *         => a container, at that object (the elements before it are rejected:
 *         not_object, one reject with their count); an array with no object => a
 *         record (an unknown key's array);
 *       * "traces": [ {..}, .. ] is ambiguous (album record with its traces first, or
 *         a container with an array named "traces"): its elements are read as nested
 *         traces of a provisional group (below) while the role is undecided. An element
 *         that is an album record (it has genres or release_date, or traces of its
 *         own) makes the object a container (album records cannot nest); a later
 *         scalar key makes it an album record.
 *       * an object that ends undecided is a container, except "{}" which is an empty
 *         record (rejected: unclassifiable).
 *     A container decided so that later meets a value other than an array was neither:
 *     the records of its arrays read so far stand, the rest of the object is skipped,
 *     and the object counts as one rejected record (unclassifiable, at its offset, with
 *     no text). Before 2026-12-03 that was a malformed document.
 *   - top-level array: every element is a record.
 *   - top-level scalar: TG_ERR_FORMAT.
 *   - an element of a record array that is not an object: rejected (not_object).
 *
 * NESTED TRACES AND THE ALBUM_ID THAT COMES LATER. Traces nested in an album record are
 * delivered one by one as they end; nothing holds the album. A nested trace takes
 * its album id from, in order: its own "album_id" (which wins if present, documented
 * choice: it is the more specific statement), else the enclosing album's album_id if
 * that was already read (valid, so far seen once), else it is delivered *pending*:
 * tg_trace_rec.album_id == NULL and .group != 0. When the enclosing object ends the
 * layer calls on_group(group, id) once: id is the album's canonical id (the consumer
 * gives all its pending traces of that group this album), or NULL when the album has
 * no usable album_id (missing, invalid, duplicated) or the object was a container
 * (on_group comes only for groups that had pending traces):
 * the consumer drops that group's pending traces, which this layer counts as rejected
 * (missing_album_id) and reports through one on_reject whose .count is their number
 * and whose text is the enclosing object's (first 4 KiB). The consumer needs only a
 * small remap from group to album (e.g. give each group a provisional album index and
 * patch it at on_group), so memory stays bounded by the number of album records.
 * Order of callbacks for an album with nested traces: on_trace for each nested trace,
 * then on_album (or on_reject) for the album record, then on_group.
 *
 * VALIDATION (first failing check, in the order below, gives the reason):
 *   - duplicated known key in a record: duplicate_key (unknown keys are counted,
 *     their duplicates are not checked).
 *   - a known key with a value of the wrong JSON type (null included): wrong_type.
 *   - classification: loc_city => trace; else genres or release_date => album;
 *     else unclassifiable. An album record nested in "traces": nested_album. The keys
 *     of the other kind's table in the spec (release_date, genres, traces on a trace;
 *     date, nusers, nstreams, age, platform_name on an album) are unknown keys there:
 *     counted, never checked (so "release_date": null on a trace is no fault).
 *   - album_id: JSON integer (canonical text = its decimal text, a '-' included) or a
 *     non-empty string, kept byte-exactly. So 42 and "42" are one album ("42"), -5 and
 *     "-5" another; the integer -0 is 0, the album "0" (the string "-0" stays "-0");
 *     "042", " 42" are other albums, as they are (the rule: other strings as
 *     they are). Non-integer numbers (42.0, 4e1, -5e0) and "": bad_album_id.
 *     Missing: missing_album_id.
 *   - release_date / date: strict YYYY-MM-DD real dates (tg_date_parse): bad_date;
 *     missing: missing_field.
 *   - nusers (required), nstreams (optional): JSON integers 0..2^32-1 taken from their
 *     raw text: 3.0, 1e2 => not_integer; -1 => negative_count ("-0" is 0);
 *     4294967296 or 400 digits => count_overflow.
 *   - a kept string (album id, city) longer than TG_REC_MAX_STR, an album's genres
 *     longer than TG_REC_MAX_STR together, or more than TG_REC_MAX_GENRES of them:
 *     too_long. The spec sets no length; these limits are a thousand times any real
 *     name and only bound what hostile input makes a record slot hold (age and
 *     platform_name are not kept, so any length is fine).
 *   - an album id, city or genre holding U+0000 ("\u0000", the only way a JSON string
 *     holds a NUL): bad_string. The store's names are HDF5 C strings, which end at a
 *     NUL: "Pa\u0000ris" would be written "Pa", one name for two cities.
 *   - an album id, city or genre written with a "\u" escape that is no UTF-16 pair
 *     ("\ud800" alone or before anything but a low surrogate's escape, "\udc00" alone):
 *     bad_string. RFC 8259 (section 8.2) lets JSON hold them, but the spec's names are
 *     UTF-8, which has no form for them, and yajl decodes them lossily: "Jazz\ud800" was
 *     "Jazz?", "Paris\ud800\u0041" was "Paris" U+10041, "Rock\udc00" an invalid UTF-8
 *     name in the store (until 2026-12-03; surrogates.h). Strings not kept (age,
 *     platform_name, unknown keys, keys) are not checked.
 *
 * MALFORMED DOCUMENTS are TG_ERR_FORMAT with "FILE: byte N, line L: what" in the
 * message, N being where parsing stopped: just past the offending byte or token (the
 * end of the input for a truncated one), L the line holding byte N. They are:
 *   - yajl's errors: truncation, invalid UTF-8 in strings, stray comma, unterminated
 *     string, NUL byte, ...;
 *   - the UTF-8 that yajl lets through though RFC 3629 forbids it: overlong forms,
 *     surrogates, code points past U+10FFFF (rawtext.h; N just past the byte that makes
 *     it malformed, as for yajl's own);
 *   - a vertical tab or a form feed (N at that byte);
 *   - a top-level scalar;
 *   - nesting deeper than TG_REC_MAX_DEPTH: an error, not a reject, since memory stays
 *     bounded and such input is no data export. RFC 8259 section 9 lets a parser limit
 *     the depth; the spec's layouts need 6 levels, and 1024 leaves any real unknown
 *     value room, as Python's json does.
 * A UTF-8 BOM at the very start of a file is skipped. An empty or whitespace-only file is
 * an empty data set (0 records, no error): NDJSON with no lines is valid NDJSON. CRLF
 * line ends are whitespace to JSON.
 *
 * ACCOUNTING: after a successful tg_records_parse,
 *   records == albums + traces + rejected, rejected == sum(rejected_by).
 * A reject with count n counts n records. Memory: two record slots, a 4 KiB raw-text
 * copy each and buffers for their strings, which grow to the longest strings seen (at
 * most 5 MiB a slot) and are kept: no allocation per record; yajl's handle, one
 * input chunk and an offset per bad "\u" escape of the piece yajl is reading. (yajl itself buffers a token that spans input chunks: a single huge string
 * costs its size while it is read.) */
#ifndef TG_RECORDS_H
#define TG_RECORDS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define TG_REC_MAX_DEPTH 1024        /* deeper nesting is a malformed document */
#define TG_REC_MAX_STR (1u << 20)    /* bytes of an album id, a city, an album's genres */
#define TG_REC_MAX_GENRES 65536      /* genres of an album record */
#define TG_REC_MAX_TEXT 4096         /* raw text kept for a reject */
#define TG_REC_LINE_MAX (4u << 20)   /* lines up to this long reach yajl whole (feed) */

/* Stable reject reasons: values are written to files; append only. */
typedef enum {
    TG_REJ_NOT_OBJECT = 0,    /* element of a record array that is not an object */
    TG_REJ_UNCLASSIFIABLE,    /* neither loc_city nor genres/release_date */
    TG_REJ_NESTED_ALBUM,      /* album record inside an album's "traces" */
    TG_REJ_DUPLICATE_KEY,     /* a known key twice in one record */
    TG_REJ_WRONG_TYPE,        /* known key with a value of the wrong type */
    TG_REJ_MISSING_ALBUM_ID,  /* no album_id (nor an inherited one) */
    TG_REJ_BAD_ALBUM_ID,      /* non-integer number, "" */
    TG_REJ_MISSING_FIELD,     /* release_date, date or nusers missing */
    TG_REJ_BAD_DATE,          /* not a real YYYY-MM-DD date */
    TG_REJ_NOT_INTEGER,       /* count with a fraction or exponent */
    TG_REJ_NEGATIVE_COUNT,    /* count < 0 */
    TG_REJ_COUNT_OVERFLOW,    /* count > 2^32-1 */
    TG_REJ_TOO_LONG,          /* id, city or genre list over the limits above */
    TG_REJ_BAD_STRING,        /* a kept string holding U+0000 or a lone surrogate escape */
    TG_REJ_COUNT_             /* not a reason: the number of reasons */
} tg_reject_reason;

/* "not_object", "bad_date", ...: stable name of a reason; "unknown" if out of range. */
const char *tg_reject_name(tg_reject_reason r);

/* A string that is not NUL-terminated (JSON strings may hold \u0000). */
typedef struct {
    const char *p;
    size_t len;
} tg_str;

typedef struct {
    const char *file;
    uint64_t offset;          /* byte offset of the record's '{' in the decoded input */
    uint64_t line;            /* 1-based line of that byte */
    tg_str album_id;          /* canonical id */
    int32_t release_day;      /* tg_date_parse day number */
    size_t n_genres;
    const tg_str *genres;     /* [n_genres] in record order, byte-exact */
    const char *text;         /* the record's raw bytes as read so far (its first
                                 TG_REC_MAX_TEXT), for a consumer that rejects it */
    size_t text_len;
    int truncated;            /* the record is longer than text_len */
} tg_album_rec;

typedef struct {
    const char *file;
    uint64_t offset, line;
    tg_str album_id;          /* canonical id; .p == NULL when pending (see group) */
    uint64_t group;           /* != 0: nested in the album record of that group */
    int32_t day;
    tg_str city;
    uint32_t nusers;
    uint32_t nstreams;
    int has_nstreams;
    /* age and platform_name are checked (a string) but not kept: nothing downstream
     * uses them, and copying them cost 1 % of ingest */
} tg_trace_rec;

typedef struct {
    const char *file;
    uint64_t offset, line;    /* where the rejected record starts ('{'); for a
                                 non-object element, the byte just past its token */
    tg_reject_reason reason;
    const char *detail;       /* field or a short explanation; never NULL */
    uint64_t count;           /* records this reject stands for (1, or a group's
                                 pending traces) */
    const char *text;         /* the record's raw bytes as read, not NUL-terminated */
    size_t text_len;          /* at most TG_REC_MAX_TEXT */
    int truncated;            /* the record was longer than text_len */
} tg_reject;

/* The consumer. Any callback may be NULL. Pointers in the records are valid only
 * during the call. A callback returns TG_OK to go on, or a code (with e filled, e.g.
 * TG_ERR_RECORD for --strict) that stops the parse and is returned by
 * tg_records_parse. */
typedef struct {
    tg_code (*on_album)(void *ctx, const tg_album_rec *a, tg_error *e);
    tg_code (*on_trace)(void *ctx, const tg_trace_rec *t, tg_error *e);
    /* album_id.p == NULL: the group's pending traces are rejected (see above). */
    tg_code (*on_group)(void *ctx, uint64_t group, tg_str album_id, tg_error *e);
    tg_code (*on_reject)(void *ctx, const tg_reject *r, tg_error *e);
    void *ctx;
} tg_rec_sink;

typedef struct {
    uint64_t raw_bytes;       /* bytes read from the file (compressed for .zst) */
    uint64_t bytes;           /* decoded JSON bytes */
    uint64_t content_hash;    /* XXH64 of the raw bytes (valid after a full parse) */
    uint64_t records;         /* = albums + traces + rejected */
    uint64_t albums;          /* accepted album records */
    uint64_t traces;          /* accepted trace records, nested ones included */
    uint64_t nested_traces;   /* of which nested in an album record */
    uint64_t traces_without_nstreams;  /* of which with no nstreams: 0 streams, which
                                          aggregate --value nstreams says */
    uint64_t rejected;
    uint64_t rejected_by[TG_REJ_COUNT_];
    uint64_t unknown_keys;
    uint64_t newlines;        /* '\n' bytes in the decoded bytes parsed */
} tg_rec_counts;

/* Parses the whole input at path ("-" = stdin, ".zst" decompressed) and delivers its
 * records to sink. counts is zeroed then filled (also on error: what was read until
 * then). Returns TG_OK; TG_ERR_FORMAT for a malformed document ("PATH: byte N, line
 * L: ..."); TG_ERR_IO, TG_ERR_NOMEM, TG_ERR_LIBRARY; or a sink's code. */
tg_code tg_records_parse(const char *path, const tg_rec_sink *sink, tg_rec_counts *counts,
                         tg_error *e);

/* The same over len bytes of a plain file from byte start (len UINT64_MAX: to its end),
 * for the parser threads of ingest.h: offsets in records, rejects and errors are the
 * file's, lines count from line0 + 1 (line0: the newlines before start), and a BOM is
 * skipped only at byte 0. content_hash means nothing here. Start must be where a
 * top-level value may begin (byte 0 or just past a '\n'); whether it really was a
 * value boundary is the caller's to check: the parse of the range before it must have
 * succeeded (yajl_complete_parse included, so it ended between top-level values).
 * Then the records delivered are exactly those a whole-file parse delivers for these
 * bytes. TG_ERR_USAGE for stdin or a .zst input. */
tg_code tg_records_parse_range(const char *path, uint64_t start, uint64_t len, uint64_t line0,
                               const tg_rec_sink *sink, tg_rec_counts *counts, tg_error *e);

#endif
