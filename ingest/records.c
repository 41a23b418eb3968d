/* records.c - yajl callbacks that turn a stream of JSON tokens into validated album and
 * trace records (see records.h for the layouts, the nested-trace design and the rules). */
#include "records.h"

#include "dates.h"
#include "grow.h"
#include "input.h"
#include "rawtext.h"
#include "surrogates.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

static const char *const reject_names[TG_REJ_COUNT_] = {
    "not_object",   "unclassifiable", "nested_album",   "duplicate_key", "wrong_type",
    "missing_album_id", "bad_album_id", "missing_field", "bad_date",  "not_integer",
    "negative_count", "count_overflow", "too_long", "bad_string",
};

const char *tg_reject_name(tg_reject_reason r)
{
    return (unsigned)r < TG_REJ_COUNT_ ? reject_names[r] : "unknown";
}

/* Known keys; a bit each in rec.seen. */
enum { K_ALBUM_ID, K_RELEASE_DATE, K_GENRES, K_TRACES, K_DATE, K_LOC_CITY, K_NUSERS,
       K_NSTREAMS, K_AGE, K_PLATFORM, K_COUNT_, K_UNKNOWN = K_COUNT_ };
static const char *const key_names[K_COUNT_] = {"album_id", "release_date", "genres", "traces",
    "date", "loc_city", "nusers", "nstreams", "age", "platform_name"};

/* The keys of each kind's table in the spec; on the other kind they are unknown keys. */
#define ALBUM_ONLY_KEYS (1u << K_RELEASE_DATE | 1u << K_GENRES | 1u << K_TRACES)
#define TRACE_ONLY_KEYS (1u << K_DATE | 1u << K_LOC_CITY | 1u << K_NUSERS | 1u << K_NSTREAMS | \
                         1u << K_AGE | 1u << K_PLATFORM)

/* What each open container is; the stack of them is the only structure we keep. */
enum {
    T_TOP_ARRAY,    /* top-level array: elements are records */
    T_TOP_OBJECT,   /* top-level object: record, container or undecided (p->mode) */
    T_CONT_ARRAY,   /* a container's array: elements are records */
    T_PEEK_ARRAY,   /* array under an unknown key of an undecided object whose end is
                       out of sight: its first object element makes the object a
                       container; an array with none leaves it a record */
    T_RECORD,       /* a record in slot 0 */
    T_TRACES_ARRAY, /* "traces" of the slot 0 record: elements are nested traces */
    T_NESTED,       /* a nested trace in slot 1 */
    T_GENRES,       /* "genres" of the record owning it */
    T_SKIP,         /* anything else: read and ignored */
    T_NONE,         /* below the top level: no container open */
};

/* MODE_MIXED: a container (decided without seeing its end, see skim_object) that met a
 * value other than an array: the object was neither, its other values are skipped and it
 * is rejected whole as unclassifiable when it ends. */
enum { MODE_UNDECIDED, MODE_RECORD, MODE_CONTAINER, MODE_MIXED };

#define NO_REASON TG_REJ_COUNT_

/* Where a genre sits in its slot's genre_buf (which may move as it grows). */
typedef struct {
    size_t off, len;
} span;

/* One record being read. Its string buffers grow to the longest strings seen and are
 * kept for the next records (tg_grow, from slots_alloc's rooms): no allocation per
 * record. Rooms are powers of two, as are the limits, which the doubling so never
 * passes. */
typedef struct {
    int active;
    unsigned seen;                    /* bit per known key */
    int key;                          /* key whose value comes next */
    int traces_key;                   /* slot 1: that key is "traces" (unknown there) */
    unsigned dup;                     /* bit per known key that came twice */
    unsigned errs;                    /* bit per key with a problem in ferr */
    unsigned char ferr[K_COUNT_];     /* per-key problem, meaningful where errs says */
    uint64_t unknown;
    uint64_t offset, line;
    char *id;
    size_t id_len, id_cap;
    int32_t release_day, day;
    char *city;
    size_t city_len, city_cap;
    uint32_t nusers, nstreams;
    char *genre_buf;
    size_t genre_used, genre_cap;
    span *genre_at;                   /* [n_genres] */
    size_t n_genres, genre_at_cap;
    tg_str *genre_view;               /* genre_at as strings, filled at delivery */
    size_t genre_view_cap;
    uint64_t group, pending;          /* slot 0: pending nested traces of its group */
    uint64_t pending_no_nstreams;     /* of which with no nstreams */
    /* raw text: bytes of the record seen so far, bounded */
    char text[TG_REC_MAX_TEXT];
    size_t text_len;
    int truncated;
    size_t cap_from;                  /* first uncaptured byte in the current chunk */
    /* the last date parsed in this slot and its day: exports come in day order, so most
     * records repeat the previous one's date (kept across records; 2 % of ingest's time) */
    char date_text[10];
    int32_t date_day;
    int date_cached;
} rec_t;

/* The problem recorded for key k, or NO_REASON. */
static inline int ferr_of(const rec_t *r, int k)
{
    return r->errs >> k & 1 ? r->ferr[k] : NO_REASON;
}

typedef struct {
    const char *file;
    const tg_rec_sink *sink;
    tg_rec_counts *c;
    tg_error *e;
    tg_code rc;                       /* set when a callback cancels the parse */
    yajl_handle h;
    /* current chunk */
    const unsigned char *chunk;
    size_t chunk_len;
    uint64_t chunk_base;              /* decoded offset of chunk[0] */
    size_t scan_pos;                  /* newlines counted up to here */
    uint64_t lines;                   /* newlines before scan_pos */
    tg_surrogates sur;                /* the piece's "\u" escapes that are no UTF-16 pair */
    unsigned char utf8_lead;          /* a lead byte that ended the last piece (rawtext.h) */
    /* structure */
    unsigned char stack[TG_REC_MAX_DEPTH + 1];  /* [0]: T_NONE; open containers 1..depth */
    int depth;
    int top;                          /* stack[depth], read by every callback */
    int mode;                         /* of the current top-level object */
    uint64_t top_offset, top_line;    /* where the current top-level object starts */
    /* elements of a T_PEEK_ARRAY before its first object: not_object rejects if the
     * array turns out a container's, nothing if a record's unknown key (the first one's
     * place and text stand for them all) */
    uint64_t peek_n, peek_offset, peek_line;
    char peek_text[64];
    size_t peek_len;
    int peek_cut;
    uint64_t next_group;
    rec_t slot[2];                    /* 0: record, 1: nested trace */
    /* a chunk's last partial line, held until the next chunks complete it (feed) */
    unsigned char *carry;
    size_t carry_len, carry_cap;
    uint64_t carry_base;
    int long_line;                    /* feeding the rest of a line too long to hold */
} parser;

/* ---- the container stack ---- */

/* The stack's top is kept in its own field and the stack has a T_NONE floor: every
 * callback reads the top, and one load with no branch for an empty stack cut 1 % of
 * ingest's instructions. */
static inline int top(const parser *p) { return p->top; }

static inline void pop(parser *p) { p->top = p->stack[--p->depth]; }

static inline void set_top(parser *p, int tag)
{
    p->stack[p->depth] = (unsigned char)tag;
    p->top = tag;
}

/* ---- positions, lines and raw text ---- */

/* Offset in the current chunk just past the token yajl is reporting. */
static size_t tok_end(parser *p)
{
    /* yajl_complete_parse feeds yajl one byte of its own: clamp to our chunk */
    size_t pos = yajl_get_bytes_consumed(p->h);
    return pos < p->chunk_len ? pos : p->chunk_len;
}

static uint64_t line_at(parser *p, size_t pos)
{
    const unsigned char *q = p->chunk + p->scan_pos, *end = p->chunk + pos;
    while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        p->lines++;
        q++;
    }
    if (pos > p->scan_pos)
        p->scan_pos = pos;
    return p->lines + 1;
}

static void cap_take(parser *p, rec_t *r, size_t upto)
{
    if (upto > r->cap_from) {
        size_t n = upto - r->cap_from, room = TG_REC_MAX_TEXT - r->text_len;
        if (n > room) {
            n = room;
            r->truncated = 1;
        }
        memcpy(r->text + r->text_len, p->chunk + r->cap_from, n);
        r->text_len += n;
        r->cap_from = upto;
    }
}

/* Starts a record at the '{' just reported. Out of line: inlined in cb_start_map, it
 * made that callback save four registers on every '{' (+0.13 % of instructions). */
static __attribute__((noinline)) void rec_begin(parser *p, rec_t *r)
{
    size_t pos = tok_end(p) - 1;
    r->active = 1;
    r->seen = 0;
    r->key = K_UNKNOWN;
    r->traces_key = 0;
    r->dup = 0;
    r->errs = 0;
    r->unknown = 0;
    r->offset = p->chunk_base + pos;
    r->line = line_at(p, pos);
    r->id_len = r->city_len = 0;
    r->genre_used = r->n_genres = 0;
    r->group = r->pending = r->pending_no_nstreams = 0;
    r->text_len = 0;
    r->truncated = 0;
    r->cap_from = pos;
}

/* ---- errors ---- */

static int format_error(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int format_error(parser *p, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t pos = tok_end(p);
    uint64_t line = line_at(p, pos);
    p->rc = tg_fail(p->e, TG_ERR_FORMAT, "%s: byte %llu, line %llu: %s", p->file,
                    (unsigned long long)(p->chunk_base + pos), (unsigned long long)line, what);
    return 0;
}

static __attribute__((noinline, cold)) int out_of_memory(parser *p)
{
    size_t pos = tok_end(p);
    p->rc = tg_fail(p->e, TG_ERR_NOMEM, "%s: byte %llu, line %llu: out of memory for a record's strings",
                    p->file, (unsigned long long)(p->chunk_base + pos),
                    (unsigned long long)line_at(p, pos));
    return 0;
}

static int sink_failed(parser *p, tg_code rc)
{
    p->rc = rc;
    if (p->e != NULL && p->e->code != rc)
        tg_fail(p->e, rc, "%s: stopped by the consumer", p->file);
    return 0;
}

/* ---- delivery ---- */

static int emit_reject(parser *p, uint64_t offset, uint64_t line, tg_reject_reason why,
                       const char *detail, uint64_t count, const char *text, size_t len,
                       int truncated)
{
    p->c->records += count;
    p->c->rejected += count;
    p->c->rejected_by[why] += count;
    if (p->sink->on_reject == NULL)
        return 1;
    tg_reject rj = {p->file, offset, line, why, detail, count, text, len, truncated};
    tg_code rc = p->sink->on_reject(p->sink->ctx, &rj, p->e);
    return rc == TG_OK ? 1 : sink_failed(p, rc);
}

static int reject_rec(parser *p, rec_t *r, tg_reject_reason why, const char *detail)
{
    cap_take(p, r, tok_end(p));   /* rec_end's caller is still at the record's '}' */
    return emit_reject(p, r->offset, r->line, why, detail, 1, r->text, r->text_len, r->truncated);
}

/* Announces how slot 0's group resolves; pending traces are accepted or rejected. */
static int resolve_group(parser *p, int usable)
{
    rec_t *r = &p->slot[0];
    if (r->group == 0)
        return 1;
    if (r->active)  /* a container decided mid-object: its text up to here */
        cap_take(p, r, tok_end(p));
    uint64_t g = r->group, n = r->pending, no_nstreams = r->pending_no_nstreams;
    r->group = r->pending = r->pending_no_nstreams = 0;
    usable = usable && (r->seen & (1u << K_ALBUM_ID)) &&
             ferr_of(r, K_ALBUM_ID) == NO_REASON && !r->dup;
    tg_str id = {usable ? r->id : NULL, usable ? r->id_len : 0};
    if (p->sink->on_group != NULL) {
        tg_code rc = p->sink->on_group(p->sink->ctx, g, id, p->e);
        if (rc != TG_OK)
            return sink_failed(p, rc);
    }
    if (usable) {
        p->c->records += n;
        p->c->traces += n;
        p->c->nested_traces += n;
        p->c->traces_without_nstreams += no_nstreams;
        return 1;
    }
    return emit_reject(p, r->offset, r->line, TG_REJ_MISSING_ALBUM_ID,
                       "nested traces of an object without a usable album_id", n, r->text,
                       r->text_len, r->truncated);
}

/* The first problem of r in the documented order, or NO_REASON. *detail names it. */
static tg_reject_reason check(const rec_t *r, int is_trace, const char **detail)
{
    static const int album_keys[] = {K_ALBUM_ID, K_RELEASE_DATE, K_GENRES};
    static const int trace_keys[] = {K_ALBUM_ID, K_DATE, K_LOC_CITY, K_NUSERS, K_NSTREAMS,
                                     K_AGE, K_PLATFORM};
    /* the common case, a record with no problem and its required keys, in two tests */
    unsigned required = is_trace ? 1u << K_DATE | 1u << K_NUSERS : 1u << K_RELEASE_DATE;
    if (r->errs == 0 && (r->seen & required) == required)
        return NO_REASON;
    for (int k = 0; k < K_COUNT_; k++)
        if (ferr_of(r, k) == TG_REJ_WRONG_TYPE) {
            *detail = key_names[k];
            return TG_REJ_WRONG_TYPE;
        }
    const int *keys = is_trace ? trace_keys : album_keys;
    size_t n = is_trace ? sizeof trace_keys / sizeof *trace_keys
                        : sizeof album_keys / sizeof *album_keys;
    for (size_t i = 0; i < n; i++) {
        int k = keys[i];
        *detail = key_names[k];
        if (ferr_of(r, k) != NO_REASON)
            return (tg_reject_reason)ferr_of(r, k);
        if (!(r->seen & (1u << k)) &&
            (k == K_RELEASE_DATE || k == K_DATE || k == K_NUSERS))
            return TG_REJ_MISSING_FIELD;
    }
    return NO_REASON;
}

/* Ends the record in slot s: nested says it sits in an album's "traces". */
static int rec_end(parser *p, int s, int nested)
{
    rec_t *r = &p->slot[s];
    r->active = 0;
    const char *detail = "";
    int has_city = (r->seen & (1u << K_LOC_CITY)) != 0;
    /* The raw text is copied only for a record that may show it: an album record, one
     * owning a group (resolve_group), or a reject (reject_rec). An accepted trace, nearly
     * every record, never does; copying its ~140 bytes cost 2 % of ingest. */
    if (!has_city || r->group != 0)
        cap_take(p, r, tok_end(p));
    int albumish = !has_city && (r->seen & (1u << K_RELEASE_DATE | 1u << K_GENRES));
    /* The other kind's keys are unknown keys here (the spec: ignored and counted), so a
     * trace's "release_date": null or an album's "nusers": "x" is no fault of the record. */
    unsigned foreign = r->seen & (has_city ? ALBUM_ONLY_KEYS : albumish ? TRACE_ONLY_KEYS : 0);
    if (foreign != 0) {
        p->c->unknown_keys +=
            (uint64_t)(__builtin_popcount(foreign) + __builtin_popcount(r->dup & foreign));
        r->seen &= ~foreign;
        r->errs &= ~foreign;
        r->dup &= ~foreign;
    }
    /* a nested trace's album is slot 0 when that is a record; the top-level object
     * owning "traces" may still be undecided (record or container) */
    int undecided = nested && p->stack[p->depth - 1] == T_TOP_OBJECT && p->mode == MODE_UNDECIDED;
    if (undecided && albumish) {
        /* an album record among the "traces" of an undecided object: a container */
        if (!resolve_group(p, 0))
            return 0;
        p->mode = MODE_CONTAINER;
        p->slot[0].active = 0;
        set_top(p, T_CONT_ARRAY);
        nested = 0;
    }
    if (r->dup)
        return reject_rec(p, r, TG_REJ_DUPLICATE_KEY, "a key appears twice");
    if (!has_city && !albumish) {
        /* a wrong type in a classifying key is a clearer reason than "unclassifiable" */
        for (int k = 0; k < K_COUNT_; k++)
            if (ferr_of(r, k) == TG_REJ_WRONG_TYPE)
                return reject_rec(p, r, TG_REJ_WRONG_TYPE, key_names[k]);
        return reject_rec(p, r, TG_REJ_UNCLASSIFIABLE, "neither loc_city nor genres/release_date");
    }
    if (nested && albumish)
        return reject_rec(p, r, TG_REJ_NESTED_ALBUM, "album record inside traces");
    tg_str id = {r->id, r->id_len};
    int own_id = (r->seen & (1u << K_ALBUM_ID)) != 0;
    if (has_city && nested && !own_id && ferr_of(r, K_ALBUM_ID) == NO_REASON) {
        rec_t *al = &p->slot[0];
        if (!undecided && (al->seen & (1u << K_ALBUM_ID)) &&
            ferr_of(al, K_ALBUM_ID) == NO_REASON && !al->dup)
            id = (tg_str){al->id, al->id_len};   /* inherited: known already */
        else
            id.p = NULL;                         /* pending until the album ends */
        own_id = 1;                              /* so that the check below passes */
    }
    tg_reject_reason why = check(r, has_city, &detail);
    if (why == NO_REASON && !own_id) {
        why = TG_REJ_MISSING_ALBUM_ID;
        detail = "album_id";
    }
    if (why != NO_REASON)
        return reject_rec(p, r, why, detail);
    tg_code rc = TG_OK;
    if (has_city) {
        tg_trace_rec t = {p->file, r->offset, r->line, id, 0, r->day, {r->city, r->city_len},
                          r->nusers, 0, 0};
        if (r->seen & (1u << K_NSTREAMS)) {
            t.nstreams = r->nstreams;
            t.has_nstreams = 1;
        }
        if (id.p == NULL) {
            rec_t *al = &p->slot[0];
            if (al->group == 0)
                al->group = ++p->next_group;
            al->pending++;
            al->pending_no_nstreams += !t.has_nstreams;
            t.group = al->group;
        } else {
            p->c->records++;
            p->c->traces++;
            p->c->nested_traces += nested != 0;
            p->c->traces_without_nstreams += !t.has_nstreams;
        }
        if (p->sink->on_trace != NULL)
            rc = p->sink->on_trace(p->sink->ctx, &t, p->e);
    } else {
        tg_album_rec a;
        a.file = p->file;
        a.offset = r->offset;
        a.line = r->line;
        a.album_id = id;
        a.release_day = r->release_day;
        a.text = r->text;
        a.text_len = r->text_len;
        a.truncated = r->truncated;
        a.n_genres = r->n_genres;
        if (!tg_grow((void **)&r->genre_view, &r->genre_view_cap, r->n_genres, sizeof *r->genre_view))
            return out_of_memory(p);
        for (size_t i = 0; i < r->n_genres; i++)
            r->genre_view[i] = (tg_str){r->genre_buf + r->genre_at[i].off, r->genre_at[i].len};
        a.genres = r->genre_view;
        p->c->records++;
        p->c->albums++;
        if (p->sink->on_album != NULL)
            rc = p->sink->on_album(p->sink->ctx, &a, p->e);
    }
    return rc == TG_OK ? 1 : sink_failed(p, rc);
}

/* ---- values of known keys ---- */

static void set_err(rec_t *r, int k, tg_reject_reason why)
{
    if (!(r->errs >> k & 1)) {
        r->ferr[k] = (unsigned char)why;
        r->errs |= 1u << k;
    }
}

/* Copies the n bytes of a JSON number's text s to dst while they are digits: 1 if all
 * were. yajl has checked the grammar, so a byte that is not a digit is a '-', '.', 'e',
 * 'E' or an exponent's sign: one compare a byte. On 0, dst holds a partial copy; the
 * caller marks the value bad, so no one reads it. */
static inline int copy_digits(char *dst, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)(unsigned char)s[i] - '0' > 9)
            return 0;
        dst[i] = s[i];
    }
    return 1;
}

/* Raw JSON number text to a count in 0..2^32-1, or the reason it is not one, in one
 * pass. A fraction or an exponent wins over the sign (-1.5 is not_integer). */
static tg_reject_reason parse_count(const char *s, size_t n, uint32_t *out)
{
    size_t i = n > 0 && s[0] == '-';
    if (i == n)
        return TG_REJ_NOT_INTEGER;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)   /* see copy_digits */
            return TG_REJ_NOT_INTEGER;
        if (v <= UINT32_MAX)  /* stops growing once too large: 400 digits never wrap */
            v = v * 10 + d;
    }
    if (s[0] == '-') {
        if (v != 0)
            return TG_REJ_NEGATIVE_COUNT;
        *out = 0;  /* "-0" */
        return NO_REASON;
    }
    if (v > UINT32_MAX)
        return TG_REJ_COUNT_OVERFLOW;
    *out = (uint32_t)v;
    return NO_REASON;
}

/* Whether a string to be kept holds a NUL: the store's HDF5 strings would cut it there
 * (records.h, bad_string). */
static inline int has_nul(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

/* bad_escape's slow path: the piece has escapes that are no UTF-16 pair not yet passed. */
static __attribute__((noinline, cold)) int bad_escape_here(parser *p)
{
    return tg_surrogates_in(&p->sur, p->chunk, tok_end(p));
}

/* Whether the string value yajl is reporting was written with a "\u" escape that is no
 * UTF-16 pair, which yajl decodes lossily (surrogates.h; records.h, bad_string). */
static inline int bad_escape(parser *p)
{
    return tg_surrogates_pending(&p->sur) && bad_escape_here(p);
}

static int put_str(parser *p, rec_t *r, int k, char **dst, size_t *dst_len, size_t *dst_cap,
                   const char *s, size_t n);

/* put_str's slow path, a string longer than its buffer: the buffer grows, or the record
 * is marked too_long. Out of line, cold and reached by tail calls, so that the hot
 * callbacks keep no state across a call and stay as small as with fixed buffers (one
 * inlined growth path cost 1.4 % of ingest's instructions in register saves). */
static __attribute__((noinline, cold)) int put_str_room(parser *p, rec_t *r, int k, char **dst,
                                                        size_t *dst_len, size_t *dst_cap,
                                                        const char *s, size_t n)
{
    if (n > TG_REC_MAX_STR) {
        set_err(r, k, TG_REJ_TOO_LONG);
        return 1;
    }
    if (!tg_grow((void **)dst, dst_cap, n, 1))
        return out_of_memory(p);
    return put_str(p, r, k, dst, dst_len, dst_cap, s, n);
}

/* Keeps the string s as key k's value in *dst. A string over the limit or holding a NUL
 * marks the record instead (records.h). Like every value's handler, it returns the
 * yajl callback's answer: 1 go on, 0 stop (out of memory, p->rc set). */
static inline int put_str(parser *p, rec_t *r, int k, char **dst, size_t *dst_len,
                          size_t *dst_cap, const char *s, size_t n)
{
    if (n > *dst_cap)
        return put_str_room(p, r, k, dst, dst_len, dst_cap, s, n);
    if (has_nul(s, n) || bad_escape(p)) {
        set_err(r, k, TG_REJ_BAD_STRING);
        return 1;
    }
    memcpy(*dst, s, n);
    *dst_len = n;
    return 1;
}

/* A string value of a record's key. */
static int value_string(parser *p, rec_t *r, const char *s, size_t n)
{
    int k = r->key;
    switch (k) {
    case K_ALBUM_ID:
        if (n == 0) {
            set_err(r, k, TG_REJ_BAD_ALBUM_ID);
            break;
        }
        return put_str(p, r, k, &r->id, &r->id_len, &r->id_cap, s, n);
    case K_RELEASE_DATE:
    case K_DATE: {
        int32_t *day = k == K_DATE ? &r->day : &r->release_day;
        if (n == sizeof r->date_text && r->date_cached && memcmp(s, r->date_text, n) == 0) {
            *day = r->date_day;
        } else if (tg_date_parse(s, n, day) != 0) {
            set_err(r, k, TG_REJ_BAD_DATE);
        } else {   /* parsed: n is 10, the only length tg_date_parse accepts */
            memcpy(r->date_text, s, n);
            r->date_day = *day;
            r->date_cached = 1;
        }
        break;
    }
    case K_LOC_CITY: return put_str(p, r, k, &r->city, &r->city_len, &r->city_cap, s, n);
    case K_AGE:
    case K_PLATFORM: break;   /* a string: checked, not kept (records.h) */
    case K_UNKNOWN: break;
    default: set_err(r, k, TG_REJ_WRONG_TYPE); break;
    }
    return 1;
}

static int value_number(parser *p, rec_t *r, const char *s, size_t n);

/* value_number's slow path, an id longer than its buffer (see put_str_room). */
static __attribute__((noinline, cold)) int id_number_room(parser *p, rec_t *r, const char *s,
                                                          size_t n)
{
    if (n > TG_REC_MAX_STR) {
        set_err(r, K_ALBUM_ID, TG_REJ_TOO_LONG);
        return 1;
    }
    if (!tg_grow((void **)&r->id, &r->id_cap, n, 1))
        return out_of_memory(p);
    return value_number(p, r, s, n);
}

/* A number value of a record's key (the answer as put_str's). */
static int value_number(parser *p, rec_t *r, const char *s, size_t n)
{
    int k = r->key;
    tg_reject_reason why;
    switch (k) {
    case K_ALBUM_ID: {
        /* JSON integers are already canonical decimal (no '+', no leading zero): the
         * text is the id, checked as it is copied, so -5 is the album "-5". But -0 is
         * the integer 0 (as for counts, and in Python's or JavaScript's JSON): "0". */
        size_t neg = n > 1 && s[0] == '-';
        if (n > r->id_cap)
            return id_number_room(p, r, s, n);
        if (!copy_digits(r->id + neg, s + neg, n - neg)) {
            set_err(r, k, TG_REJ_BAD_ALBUM_ID);
        } else if (neg && n == 2 && s[1] == '0') {
            r->id[0] = '0';
            r->id_len = 1;
        } else {
            r->id[0] = neg ? '-' : r->id[0];
            r->id_len = n;
        }
        break;
    }
    case K_NUSERS:
    case K_NSTREAMS:
        why = parse_count(s, n, k == K_NUSERS ? &r->nusers : &r->nstreams);
        if (why != NO_REASON)
            set_err(r, k, why);
        break;
    case K_UNKNOWN: break;
    default: set_err(r, k, TG_REJ_WRONG_TYPE); break;
    }
    return 1;
}

/* One name of an album's "genres" (the answer as put_str's). */
static int genre_add(parser *p, rec_t *r, const char *s, size_t n)
{
    if (r->n_genres == TG_REC_MAX_GENRES || n > TG_REC_MAX_STR - r->genre_used) {
        set_err(r, K_GENRES, TG_REJ_TOO_LONG);
        return 1;
    }
    if (has_nul(s, n) || bad_escape(p)) {
        set_err(r, K_GENRES, TG_REJ_BAD_STRING);
        return 1;
    }
    if (!tg_grow((void **)&r->genre_buf, &r->genre_cap, r->genre_used + n, 1) ||
        !tg_grow((void **)&r->genre_at, &r->genre_at_cap, r->n_genres + 1, sizeof *r->genre_at))
        return out_of_memory(p);
    memcpy(r->genre_buf + r->genre_used, s, n);
    r->genre_at[r->n_genres++] = (span){r->genre_used, n};
    r->genre_used += n;
    return 1;
}

/* ---- the token dispatch ---- */

/* A top-level object is a container when every one of its values is an array (the
 * spec: the key names carry no meaning), else a record. When an undecided object meets
 * an array, this reads ahead in the piece yajl is parsing (whole lines, see feed), from
 * just past that array's '[', to the object's end: SKIM_CONTAINER if every value up to
 * its '}' is an array, SKIM_RECORD at the first value that is not, SKIM_UNKNOWN if the
 * piece ends first (a large container: records.h's rules then decide as they go). yajl has not checked these bytes: broken JSON gives some answer, and yajl then
 * fails the document anyway. */
enum { SKIM_UNKNOWN, SKIM_RECORD, SKIM_CONTAINER };
static int skim_object(const unsigned char *s, size_t n)
{
    int depth = 2;          /* in the object, in the array */
    int in_string = 0, want_value = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (want_value) {   /* just past a ':' of the object itself */
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                continue;
            if (c != '[')
                return SKIM_RECORD;
            want_value = 0;
        }
        switch (c) {
        case '"': in_string = 1; break;
        case '[':
        case '{': depth++; break;
        case ']':
        case '}':
            if (--depth == 0)
                return SKIM_CONTAINER;
            break;
        case ':': want_value = depth == 1; break;
        default: break;
        }
    }
    return SKIM_UNKNOWN;
}

static int push(parser *p, int tag)
{
    if (p->depth == TG_REC_MAX_DEPTH)
        return format_error(p, "nesting deeper than %d levels", TG_REC_MAX_DEPTH);
    p->stack[++p->depth] = (unsigned char)tag;
    p->top = tag;
    return 1;
}

/* The record owning a value at the current position, or NULL when the value belongs to
 * no record (container, skipped part, record array element). Decides an undecided
 * top-level object: a scalar value makes it a record. */
static rec_t *value_owner(parser *p)
{
    switch (top(p)) {
    case T_TOP_OBJECT:
        if (p->mode == MODE_UNDECIDED)
            p->mode = MODE_RECORD;
        return p->mode == MODE_RECORD ? &p->slot[0] : NULL;
    case T_RECORD: return &p->slot[0];
    case T_NESTED: return &p->slot[1];
    default: return NULL;
    }
}

/* Slot owning the genres array on top of the stack. */
static rec_t *genres_owner(parser *p)
{
    return p->stack[p->depth - 1] == T_NESTED ? &p->slot[1] : &p->slot[0];
}

/* A scalar or an array where a record was expected: rejected as not_object. The text
 * is the scalar's value (an array's is cut to its "[": it is skipped, not kept). */
static int scalar_element(parser *p, const char *text, size_t n, int cut)
{
    size_t pos = tok_end(p);
    uint64_t line = line_at(p, pos);
    size_t len = n < TG_REC_MAX_TEXT ? n : TG_REC_MAX_TEXT;
    return emit_reject(p, p->chunk_base + pos, line, TG_REJ_NOT_OBJECT,
                       "array element is not an object", 1, text, len, cut || len < n);
}

/* An element of a T_PEEK_ARRAY that is not an object, held as a count until the array
 * decides what it is (peek_settle). */
static void peek_hold(parser *p, const char *text, size_t n, int cut)
{
    if (p->peek_n++ == 0) {
        size_t pos = tok_end(p);
        p->peek_offset = p->chunk_base + pos;
        p->peek_line = line_at(p, pos);
        p->peek_len = n < sizeof p->peek_text ? n : sizeof p->peek_text;
        memcpy(p->peek_text, text, p->peek_len);
        p->peek_cut = cut || p->peek_len < n;
    }
}

/* The held elements: rejected (not_object, as one reject of their count) when their
 * array is a container's, forgotten when it is a record's unknown key. */
static int peek_settle(parser *p, int container)
{
    uint64_t n = p->peek_n;
    p->peek_n = 0;
    if (!container || n == 0)
        return 1;
    return emit_reject(p, p->peek_offset, p->peek_line, TG_REJ_NOT_OBJECT,
                       "array element is not an object", n, p->peek_text, p->peek_len,
                       p->peek_cut);
}

/* A string where a record was expected, rejected with its text as JSON: yajl hands over
 * the decoded value, so it is quoted and escaped again (cut at TG_REC_MAX_TEXT bytes),
 * and "7" stays told apart from 7 in the rejects file. Out of on_scalar so that its
 * buffer does not grow the frame of every scalar's callback. */
static __attribute__((noinline)) int string_element(parser *p, int t, const char *s, size_t n)
{
    char q[TG_REC_MAX_TEXT];
    size_t k = 0;
    int cut = 0;
    q[k++] = '"';
    for (size_t i = 0; i < n && !cut; i++) {
        const unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t m = 1;
        const char *short_esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                              : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (short_esc != NULL)
            m = 2, memcpy(esc, short_esc, 2);
        else if (c < 0x20)
            m = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
        else
            esc[0] = (char)c;
        if (k + m + 1 > sizeof q)
            cut = 1;      /* no room for it and the closing quote */
        else
            memcpy(q + k, esc, m), k += m;
    }
    if (!cut)
        q[k++] = '"';
    if (t == T_PEEK_ARRAY) {
        peek_hold(p, q, k, cut);
        return 1;
    }
    return scalar_element(p, q, k, cut);
}

/* Common path of every scalar token; kind: 's' string, 'n' number, 'o' other. */
static int on_scalar(parser *p, const char *s, size_t n, int kind)
{
    int t = top(p);
    if (t == T_SKIP)
        return 1;
    if (t == T_NONE)
        return format_error(p, "top-level value is not an object or an array");
    if (t == T_TOP_OBJECT && p->mode >= MODE_CONTAINER) {
        p->mode = MODE_MIXED;   /* a container after all is not one: see MODE_MIXED */
        return 1;
    }
    if (kind == 's' && (t == T_PEEK_ARRAY || t == T_TOP_ARRAY || t == T_CONT_ARRAY ||
                        t == T_TRACES_ARRAY))
        return string_element(p, t, s, n);
    if (t == T_PEEK_ARRAY) {
        peek_hold(p, s, n, 0);
        return 1;
    }
    if (t == T_TOP_ARRAY || t == T_CONT_ARRAY || t == T_TRACES_ARRAY)
        return scalar_element(p, s, n, 0);
    if (t == T_GENRES) {
        rec_t *r = genres_owner(p);
        if (kind == 's')
            return genre_add(p, r, s, n);
        set_err(r, K_GENRES, TG_REJ_WRONG_TYPE);
        return 1;
    }
    rec_t *r = value_owner(p);
    if (r == NULL)
        return 1;
    if (kind == 's')
        return value_string(p, r, s, n);
    if (kind == 'n')
        return value_number(p, r, s, n);
    if (r->key != K_UNKNOWN)
        set_err(r, r->key, TG_REJ_WRONG_TYPE);
    return 1;
}

static int cb_null(void *ctx) { return on_scalar(ctx, "null", 4, 'o'); }
static int cb_boolean(void *ctx, int b)
{
    return on_scalar(ctx, b ? "true" : "false", b ? 4 : 5, 'o');
}
/* The record a value belongs to when it sits directly in a decided record, or NULL
 * for everything else (on_scalar sorts that out). */
static inline rec_t *record_value_owner(parser *p)
{
    int t = top(p);
    if (t == T_RECORD || (t == T_TOP_OBJECT && p->mode == MODE_RECORD))
        return &p->slot[0];
    return t == T_NESTED ? &p->slot[1] : NULL;
}

/* Strings and numbers of a record's keys are nearly every scalar: they skip on_scalar's
 * dispatch, whose register saves alone cost more than the test above. */
static int cb_number(void *ctx, const char *s, size_t n)
{
    rec_t *r = record_value_owner(ctx);
    if (r == NULL)
        return on_scalar(ctx, s, n, 'n');
    return value_number(ctx, r, s, n);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    rec_t *r = record_value_owner(ctx);
    if (r == NULL)
        return on_scalar(ctx, (const char *)s, n, 's');
    return value_string(ctx, r, (const char *)s, n);
}

static int cb_start_map(void *ctx)
{
    parser *p = ctx;
    int t = top(p);
    switch (t) {
    case T_NONE:
        p->mode = MODE_UNDECIDED;
        rec_begin(p, &p->slot[0]);
        p->top_offset = p->slot[0].offset;
        p->top_line = p->slot[0].line;
        return push(p, T_TOP_OBJECT);
    case T_PEEK_ARRAY:  /* an unknown key holding objects: a container after all */
        p->mode = MODE_CONTAINER;
        set_top(p, T_CONT_ARRAY);
        if (!resolve_group(p, 0) || !peek_settle(p, 1))
            return 0;
        /* fall through */
    case T_TOP_ARRAY:
    case T_CONT_ARRAY:
        rec_begin(p, &p->slot[0]);
        return push(p, T_RECORD);
    case T_TRACES_ARRAY:
        rec_begin(p, &p->slot[1]);
        return push(p, T_NESTED);
    case T_TOP_OBJECT:
        if (p->mode >= MODE_CONTAINER) {
            p->mode = MODE_MIXED;
            return push(p, T_SKIP);
        }
        break;
    case T_GENRES:
        set_err(genres_owner(p), K_GENRES, TG_REJ_WRONG_TYPE);
        return push(p, T_SKIP);
    default:
        break;
    }
    rec_t *r = value_owner(p);
    if (r != NULL && r->key != K_UNKNOWN)
        set_err(r, r->key, TG_REJ_WRONG_TYPE);
    return push(p, T_SKIP);
}

/* An element of an undecided object's "traces" array that has "traces" of its own
 * can only be an album record, which cannot nest: the object is a container (of a
 * large size: a small one was decided by skim_object), and the element, read so far as
 * a nested trace in slot 1, is that container's record in slot 0. The traces pending in
 * the object's provisional group were id-less container elements: rejected. */
static __attribute__((noinline, cold)) int nested_to_container(parser *p)
{
    if (!resolve_group(p, 0))
        return 0;
    rec_t old = p->slot[0];   /* swapped, not copied: each slot owns its buffers */
    p->slot[0] = p->slot[1];
    p->slot[1] = old;
    rec_t *r = &p->slot[0];
    r->unknown--;             /* "traces" was counted as unknown in slot 1 */
    r->seen |= 1u << K_TRACES;
    r->key = K_TRACES;
    r->traces_key = 0;
    p->slot[1].active = 0;
    p->mode = MODE_CONTAINER;
    p->stack[p->depth - 1] = T_CONT_ARRAY;
    set_top(p, T_RECORD);
    return 1;
}

static int cb_start_array(void *ctx)
{
    parser *p = ctx;
    int t = top(p);
    switch (t) {
    case T_NONE:
        p->mode = MODE_RECORD;  /* (only top-level objects are ever undecided) */
        return push(p, T_TOP_ARRAY);
    case T_TOP_ARRAY:
    case T_CONT_ARRAY:
    case T_TRACES_ARRAY:
        if (!scalar_element(p, "[", 1, 1))
            return 0;
        return push(p, T_SKIP);
    case T_PEEK_ARRAY:  /* an array element: held, and its contents skipped */
        peek_hold(p, "[", 1, 1);
        return push(p, T_SKIP);
    case T_GENRES:
        set_err(genres_owner(p), K_GENRES, TG_REJ_WRONG_TYPE);
        return push(p, T_SKIP);
    case T_TOP_OBJECT:
        if (p->mode == MODE_CONTAINER)
            return push(p, T_CONT_ARRAY);
        if (p->mode == MODE_MIXED)
            return push(p, T_SKIP);
        if (p->mode == MODE_UNDECIDED) {
            size_t at = tok_end(p);
            int ahead = skim_object(p->chunk + at, p->chunk_len - at);
            if (ahead == SKIM_CONTAINER) {
                p->mode = MODE_CONTAINER;
                return resolve_group(p, 0) && push(p, T_CONT_ARRAY);
            }
            int k = p->slot[0].key;
            if (ahead == SKIM_UNKNOWN && k == K_TRACES)
                return push(p, T_TRACES_ARRAY);  /* still undecided */
            if (ahead == SKIM_UNKNOWN && k == K_UNKNOWN)
                return push(p, T_PEEK_ARRAY);
            p->mode = MODE_RECORD;
        }
        break;
    default:
        break;
    }
    if (t == T_NESTED && p->slot[1].traces_key && p->depth >= 3 &&
        p->stack[p->depth - 2] == T_TOP_OBJECT && p->mode == MODE_UNDECIDED)
        return nested_to_container(p) && push(p, T_TRACES_ARRAY);
    rec_t *r = value_owner(p);
    if (r == NULL)
        return push(p, T_SKIP);
    if (r->key == K_GENRES)
        return push(p, T_GENRES);
    if (r->key == K_TRACES && r == &p->slot[0])
        return push(p, T_TRACES_ARRAY);
    if (r->key != K_UNKNOWN && r->key != K_TRACES)
        set_err(r, r->key, TG_REJ_WRONG_TYPE);
    return push(p, T_SKIP);
}

/* Key lookup on the hot path: the length and the first byte pick one candidate, and
 * each comparison has a constant length, which gcc turns into a load or two and a
 * compare. A memcmp of variable length here was a library call for each of the 16 M
 * keys of the report-size file (5 % of ingest). */
#define KEY_IS(s, lit) (memcmp((s), (lit), sizeof(lit) - 1) == 0)
static int key_id(const unsigned char *s, size_t n)
{
    switch (n) {
    case 3: return KEY_IS(s, "age") ? K_AGE : K_UNKNOWN;
    case 4: return KEY_IS(s, "date") ? K_DATE : K_UNKNOWN;
    case 6:
        if (s[0] == 'g')
            return KEY_IS(s, "genres") ? K_GENRES : K_UNKNOWN;
        if (s[0] == 'n')
            return KEY_IS(s, "nusers") ? K_NUSERS : K_UNKNOWN;
        return KEY_IS(s, "traces") ? K_TRACES : K_UNKNOWN;
    case 8:
        if (s[0] == 'a')
            return KEY_IS(s, "album_id") ? K_ALBUM_ID : K_UNKNOWN;
        if (s[0] == 'l')
            return KEY_IS(s, "loc_city") ? K_LOC_CITY : K_UNKNOWN;
        return KEY_IS(s, "nstreams") ? K_NSTREAMS : K_UNKNOWN;
    case 12: return KEY_IS(s, "release_date") ? K_RELEASE_DATE : K_UNKNOWN;
    case 13: return KEY_IS(s, "platform_name") ? K_PLATFORM : K_UNKNOWN;
    default: return K_UNKNOWN;
    }
}
#undef KEY_IS

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    parser *p = ctx;
    int t = top(p);
    rec_t *r;
    if (t == T_RECORD || (t == T_TOP_OBJECT && p->mode < MODE_CONTAINER))
        r = &p->slot[0];
    else if (t == T_NESTED)
        r = &p->slot[1];
    else
        return 1;
    int k = key_id(s, n);
    /* "traces" means nothing in a nested trace: an unknown key there (but see
     * nested_to_container) */
    r->traces_key = k == K_TRACES && r == &p->slot[1];
    if (r->traces_key)
        k = K_UNKNOWN;
    r->key = k;
    if (k == K_UNKNOWN) {
        r->unknown++;
        return 1;
    }
    if (r->seen & (1u << k))
        r->dup |= 1u << k;
    r->seen |= 1u << k;
    return 1;
}

static int cb_end_map(void *ctx)
{
    parser *p = ctx;
    int t = p->top;
    pop(p);
    if (t == T_SKIP)
        return 1;
    if (t == T_NESTED) {
        p->c->unknown_keys += p->slot[1].unknown;
        return rec_end(p, 1, 1);
    }
    if (t == T_RECORD) {
        p->c->unknown_keys += p->slot[0].unknown;
        return rec_end(p, 0, 0) && resolve_group(p, 1);
    }
    /* T_TOP_OBJECT */
    if (p->mode == MODE_UNDECIDED && p->slot[0].seen == 0 && p->slot[0].unknown == 0)
        p->mode = MODE_RECORD;  /* "{}": an empty record */
    if (p->mode != MODE_RECORD) {
        cap_take(p, &p->slot[0], tok_end(p));
        int ok = resolve_group(p, 0);
        p->slot[0].active = 0;
        /* its text is gone (slot 0 held its arrays' records): the place says which */
        if (ok && p->mode == MODE_MIXED)
            ok = emit_reject(p, p->top_offset, p->top_line, TG_REJ_UNCLASSIFIABLE,
                             "a top-level object holding arrays of records and other values",
                             1, "", 0, 1);
        return ok;
    }
    p->c->unknown_keys += p->slot[0].unknown;
    return rec_end(p, 0, 0) && resolve_group(p, 1);
}

static int cb_end_array(void *ctx)
{
    parser *p = ctx;
    int t = p->top;
    pop(p);
    /* an unknown key's array with no object in it: the object is a record */
    if (t == T_PEEK_ARRAY && p->peek_n > 0) {
        p->mode = MODE_RECORD;
        return peek_settle(p, 0);
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

/* ---- the feed loop ---- */

static int all_space(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* A yajl error (not one of ours) at pos in the current chunk, as a TG_ERR_FORMAT. */
static tg_code yajl_failure(parser *p, size_t pos, const char *where)
{
    unsigned char *msg = yajl_get_error(p->h, 0, NULL, 0);
    char what[256] = "parse error";
    if (msg != NULL) {
        snprintf(what, sizeof what, "%s", (const char *)msg);
        yajl_free_error(p->h, msg);
        size_t n = strlen(what);
        while (n > 0 && (what[n - 1] == '\n' || what[n - 1] == ' '))
            what[--n] = '\0';
    }
    uint64_t line = line_at(p, pos);
    return tg_fail(p->e, TG_ERR_FORMAT, "%s: byte %llu, line %llu: %s%s", p->file,
                   (unsigned long long)(p->chunk_base + pos), (unsigned long long)line, what,
                   where);
}

/* Hands yajl the n bytes at s, which sit at decoded offset base. */
static tg_code feed_piece(parser *p, const unsigned char *s, size_t n, uint64_t base)
{
    p->chunk = s;
    p->chunk_len = n;
    p->chunk_base = base;
    p->scan_pos = 0;
    /* yajl's lexer takes \v and \f for whitespace, but JSON's (RFC 8259) is only space,
     * tab, newline and carriage return, and a string may hold no control character (yajl
     * refuses those): either byte anywhere makes the document malformed. So does UTF-8
     * that yajl lets through (rawtext.h). What comes before the first is parsed first, as
     * it would have been, so that an earlier error of yajl's is the one told. The error
     * is at the whitespace byte, or just past the UTF-8 byte as yajl's own UTF-8 errors
     * are (up to it, yajl sees a character not yet complete, so no string is reported). */
    const unsigned char *bad = tg_raw_first_vt_ff(s, n);
    size_t upto = bad != NULL ? (size_t)(bad - s) : n;
    const char *why = NULL;
    const size_t bad8 = tg_raw_bad_utf8(s, upto, &p->utf8_lead, &why);
    if (bad8 < upto) {
        upto = bad8 + 1;
        bad = NULL;
    }
    if (!tg_surrogates_scan(&p->sur, s, upto))
        return tg_fail(p->e, TG_ERR_NOMEM, "%s: out of memory for the escapes of %zu bytes",
                       p->file, upto);
    yajl_status st = yajl_parse(p->h, s, upto);
    if (st == yajl_status_client_canceled)
        return p->rc;
    if (st != yajl_status_ok)
        return yajl_failure(p, tok_end(p), "");
    tg_surrogates_end(&p->sur, s, upto);
    if (bad != NULL)
        return tg_fail(p->e, TG_ERR_FORMAT, "%s: byte %llu, line %llu: %s (0x%02x): JSON's "
                       "whitespace is space, tab, newline and carriage return, and a string "
                       "holds no control character", p->file,
                       (unsigned long long)(base + upto), (unsigned long long)line_at(p, upto),
                       *bad == '\v' ? "vertical tab" : "form feed", *bad);
    if (why != NULL)
        return tg_fail(p->e, TG_ERR_FORMAT, "%s: byte %llu, line %llu: invalid UTF-8: 0x%02X "
                       "%s (RFC 3629)", p->file, (unsigned long long)(base + upto),
                       (unsigned long long)line_at(p, upto), s[bad8], why);
    for (int k = 0; k < 2; k++)
        if (p->slot[k].active) {
            cap_take(p, &p->slot[k], n);
            p->slot[k].cap_from = 0;
        }
    line_at(p, n);
    return TG_OK;
}

/* The last '\n' of the n bytes at s, or NULL. */
static const unsigned char *last_newline(const unsigned char *s, size_t n)
{
    while (n > 0)
        if (s[--n] == '\n')
            return s + n;
    return NULL;
}

/* Room for need bytes in p->carry (need <= TG_REC_LINE_MAX): it grows from 64 KiB as
 * long lines come, so a file of short lines holds no more than that. */
static tg_code carry_reserve(parser *p, size_t need)
{
    if (need <= p->carry_cap)
        return TG_OK;
    size_t cap = p->carry_cap ? p->carry_cap : 64 * 1024;
    while (cap < need)
        cap *= 2;
    if (cap > TG_REC_LINE_MAX)
        cap = TG_REC_LINE_MAX;
    unsigned char *c = realloc(p->carry, cap);
    if (c == NULL)
        return tg_fail(p->e, TG_ERR_NOMEM, "%s: out of memory for a line of %zu bytes", p->file,
                       need);
    p->carry = c;
    p->carry_cap = cap;
    return TG_OK;
}

/* yajl gets the input in pieces that end at a line's end: a chunk's last partial line
 * waits in p->carry for the next chunks to complete it. So a line of up to
 * TG_REC_LINE_MAX bytes (4 MiB: every NDJSON record in practice) is in one piece, where
 * skim_object sees all of it: its classification depends neither on where the 256 KiB
 * chunks fall nor on --threads' ranges. A longer line goes to yajl as it comes (what was
 * held, then the rest), and the streaming rules decide (records.h). */
static tg_code feed(parser *p, tg_input *in, uint64_t start)
{
    int first = start == 0, seen_data = 0;   /* a BOM only at the file's very start */
    uint64_t base = start;
    tg_code rc;
    for (;;) {
        const unsigned char *data;
        size_t len;
        rc = tg_input_read(in, &data, &len, p->e);
        if (rc != TG_OK)
            return rc;
        if (len == 0)
            break;
        size_t skip = 0;
        if (first && len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
            skip = 3;  /* a UTF-8 BOM: some Windows tools write one; JSON does not want it */
        first = 0;
        const unsigned char *d = data + skip;
        size_t n = len - skip;
        uint64_t at = base + skip;
        base += len;
        if (!seen_data)
            seen_data = !all_space(d, n);
        if (p->long_line) {       /* the rest of a line too long to hold */
            const unsigned char *nl = memchr(d, '\n', n);
            size_t take = nl != NULL ? (size_t)(nl - d) + 1 : n;
            if (take > 0 && (rc = feed_piece(p, d, take, at)) != TG_OK)
                return rc;
            d += take;
            n -= take;
            at += take;
            if (nl == NULL)
                continue;
            p->long_line = 0;
        }
        if (p->carry_len > 0) {   /* complete the carried line with this chunk's first */
            const unsigned char *nl = memchr(d, '\n', n);
            size_t take = nl != NULL ? (size_t)(nl - d) + 1 : n;
            int fits = take <= TG_REC_LINE_MAX - p->carry_len;
            if (fits) {
                if ((rc = carry_reserve(p, p->carry_len + take)) != TG_OK)
                    return rc;
                memcpy(p->carry + p->carry_len, d, take);
                p->carry_len += take;
                d += take;
                n -= take;
                at += take;
                if (nl == NULL)
                    continue;     /* the line goes on in the next chunk */
            }
            rc = feed_piece(p, p->carry, p->carry_len, p->carry_base);
            p->carry_len = 0;
            if (rc != TG_OK)
                return rc;
            if (!fits) {          /* too long to hold: its rest as it comes */
                if ((rc = feed_piece(p, d, take, at)) != TG_OK)
                    return rc;
                d += take;
                n -= take;
                at += take;
                if (nl == NULL) {
                    p->long_line = 1;
                    continue;
                }
            }
        }
        const unsigned char *nl = last_newline(d, n);
        size_t whole = nl != NULL ? (size_t)(nl - d) + 1 : 0;
        if (whole > 0 && (rc = feed_piece(p, d, whole, at)) != TG_OK)
            return rc;
        if (n - whole > TG_REC_LINE_MAX) {   /* a line too long to hold */
            if ((rc = feed_piece(p, d + whole, n - whole, at + whole)) != TG_OK)
                return rc;
            p->long_line = 1;
        } else if (n > whole) {
            if ((rc = carry_reserve(p, n - whole)) != TG_OK)
                return rc;
            memcpy(p->carry, d + whole, n - whole);
            p->carry_len = n - whole;
            p->carry_base = at + whole;
        }
    }
    if (p->carry_len > 0) {
        rc = feed_piece(p, p->carry, p->carry_len, p->carry_base);
        p->carry_len = 0;
        if (rc != TG_OK)
            return rc;
    }
    /* An empty or whitespace-only input is an empty data set (see records.h). */
    if (!seen_data)
        return TG_OK;
    p->chunk = (const unsigned char *)"";
    p->chunk_len = 0;
    p->chunk_base = base;
    p->scan_pos = 0;
    yajl_status st = yajl_complete_parse(p->h);
    if (st == yajl_status_client_canceled)
        return p->rc;
    if (st != yajl_status_ok)
        return yajl_failure(p, 0, " (truncated input?)");
    return TG_OK;
}

/* The slots' first string buffers (tg_grow doubles them): enough for most real names,
 * and never empty, so that the hot path has no NULL to test. 0 when out of memory. */
static int slots_alloc(parser *p)
{
    for (int i = 0; i < 2; i++) {
        rec_t *r = &p->slot[i];
        r->id_cap = r->city_cap = 64;
        r->genre_cap = 256;
        r->genre_at_cap = r->genre_view_cap = 16;
        r->id = malloc(r->id_cap);
        r->city = malloc(r->city_cap);
        r->genre_buf = malloc(r->genre_cap);
        r->genre_at = malloc(r->genre_at_cap * sizeof *r->genre_at);
        r->genre_view = malloc(r->genre_view_cap * sizeof *r->genre_view);
        if (!r->id || !r->city || !r->genre_buf || !r->genre_at || !r->genre_view)
            return 0;
    }
    return 1;
}

static void slots_free(parser *p)
{
    for (int i = 0; i < 2; i++) {
        rec_t *r = &p->slot[i];
        free(r->id);
        free(r->city);
        free(r->genre_buf);
        free(r->genre_at);
        free(r->genre_view);
    }
}

/* The parse of one opened input from decoded offset start, line0 newlines before it. */
static tg_code parse_input(tg_input *in, uint64_t start, uint64_t line0, const tg_rec_sink *sink,
                           tg_rec_counts *counts, tg_error *e)
{
    const char *path = tg_input_name(in);
    tg_code rc;
    parser *p = calloc(1, sizeof *p);
    if (p == NULL) {
        tg_input_close(in);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    p->file = path;
    p->sink = sink;
    p->c = counts;
    p->e = e;
    p->lines = line0;
    p->stack[0] = T_NONE;
    p->top = T_NONE;
    p->h = yajl_alloc(&callbacks, NULL, p);
    if (!slots_alloc(p)) {
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for record slots", path);
    } else if (p->h == NULL) {
        rc = tg_fail(e, TG_ERR_NOMEM, "%s: cannot allocate a yajl parser", path);
    } else if (!yajl_config(p->h, yajl_allow_multiple_values, 1)) {
        rc = tg_fail(e, TG_ERR_LIBRARY, "%s: yajl_config failed", path);
    } else {
        rc = feed(p, in, start);
    }
    counts->raw_bytes = tg_input_raw_bytes(in);
    counts->bytes = tg_input_bytes(in);
    counts->content_hash = tg_input_hash(in);
    counts->newlines = p->lines - line0;
    if (p->h != NULL)
        yajl_free(p->h);
    free(p->carry);
    tg_surrogates_free(&p->sur);
    slots_free(p);
    free(p);
    tg_input_close(in);
    return rc;
}

tg_code tg_records_parse(const char *path, const tg_rec_sink *sink, tg_rec_counts *counts,
                         tg_error *e)
{
    memset(counts, 0, sizeof *counts);
    tg_input *in = NULL;
    tg_code rc = tg_input_open(&in, path, e);
    return rc != TG_OK ? rc : parse_input(in, 0, 0, sink, counts, e);
}

tg_code tg_records_parse_range(const char *path, uint64_t start, uint64_t len, uint64_t line0,
                               const tg_rec_sink *sink, tg_rec_counts *counts, tg_error *e)
{
    memset(counts, 0, sizeof *counts);
    tg_input *in = NULL;
    tg_code rc = tg_input_open_range(&in, path, start, len, e);
    return rc != TG_OK ? rc : parse_input(in, start, line0, sink, counts, e);
}
