/* csv.c - reads eval's labels and scores CSV files (RFC 4180 records, one record in
 * memory at a time) and checks that the two describe the same albums and genres. */
#include "csv.h"

#include "file_kind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The record being read: its fields, each NUL-terminated, one after the other in buf.
 * Offsets rather than pointers, because buf moves when it grows. */
typedef struct {
    FILE *fp;
    const char *path;
    unsigned long long line;     /* physical line of the next byte (1-based) */
    unsigned long long rec_line; /* line where the current record began */
    char *buf;
    size_t len, cap;
    size_t *off; /* [n] start of each field in buf */
    size_t n, off_cap;
    /* The first bytes, read ahead to look for HDF5's signature and a BOM, served before
     * fp's (no seek back: a pipe cannot), and one byte given back by crlf, or EOF. */
    unsigned char head[8];
    size_t head_n, head_at;
    int back;
} reader;

static int next_byte(reader *r)
{
    if (r->back != EOF) {
        int c = r->back;
        r->back = EOF;
        return c;
    }
    if (r->head_at < r->head_n)
        return r->head[r->head_at++];
    return getc(r->fp);
}

static tg_code push(reader *r, char c, tg_error *e)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        char *b = realloc(r->buf, cap);
        if (b == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "%s: line %llu: out of memory", r->path, r->line);
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return TG_OK;
}

/* Starts a new field at the current end of buf. */
static tg_code new_field(reader *r, tg_error *e)
{
    if (r->n == r->off_cap) {
        size_t cap = r->off_cap ? 2 * r->off_cap : 32;
        size_t *o = realloc(r->off, cap * sizeof *o);
        if (o == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "%s: line %llu: out of memory", r->path, r->line);
        r->off = o;
        r->off_cap = cap;
    }
    r->off[r->n++] = r->len;
    return TG_OK;
}

static const char *field(const reader *r, size_t i)
{
    return r->buf + r->off[i];
}

/* After a CR: consumes a following LF and returns 1 (a CRLF line end), or leaves the
 * next byte unread and returns 0 (a lone CR, which is data). */
static int crlf(reader *r)
{
    int d = next_byte(r);
    if (d == '\n') {
        r->line++;
        return 1;
    }
    r->back = d;
    return 0;
}

/* Reads the next record that is not an empty line. *got is 0 at the end of the file.
 * A quote opens a quoted field only as the field's first byte; inside, "" is a quote
 * and commas and line breaks are data; after the closing quote only a comma or the end
 * of the record may follow. CRLF and LF end a record; a lone CR is data. */
static tg_code read_record(reader *r, int *got, tg_error *e)
{
    *got = 0;
    r->len = 0;
    r->n = 0;
    int c;
    for (;;) { /* skip empty lines */
        c = next_byte(r);
        if (c == '\r' && crlf(r))
            continue;
        if (c != '\n')
            break;
        r->line++;
    }
    if (c == EOF) {
        if (ferror(r->fp))
            return tg_fail_errno(e, TG_ERR_IO, "%s: line %llu: read failed", r->path, r->line);
        return TG_OK;
    }
    r->rec_line = r->line;
    tg_code rc = new_field(r, e);
    int in_quotes = 0, was_quoted = 0;
    while (rc == TG_OK) {
        size_t column = r->n;
        if (in_quotes) {
            if (c == EOF)
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: line %llu, column %zu: quoted field not closed before the "
                               "end of the file", r->path, r->rec_line, column);
            if (c == '"') {
                c = next_byte(r);
                if (c != '"') {
                    in_quotes = 0; /* c is looked at again, outside the quotes */
                    continue;
                }
            } else if (c == '\n') {
                r->line++;
            }
            rc = push(r, (char)c, e);
        } else if (c == ',') {
            rc = push(r, '\0', e);
            if (rc == TG_OK)
                rc = new_field(r, e);
            was_quoted = 0;
        } else if (c == '\n' || c == EOF) {
            if (c == '\n')
                r->line++;
            break;
        } else if (c == '\r') {
            if (crlf(r))
                break;
            if (was_quoted)
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: line %llu, column %zu: text after a closing quote", r->path,
                               r->line, column);
            rc = push(r, '\r', e);
        } else if (was_quoted) {
            return tg_fail(e, TG_ERR_FORMAT, "%s: line %llu, column %zu: text after a closing quote",
                           r->path, r->line, column);
        } else if (c == '"') {
            if (r->len != r->off[r->n - 1])
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: line %llu, column %zu: a quote inside an unquoted field "
                               "(quote the whole field and double the quote)",
                               r->path, r->line, column);
            in_quotes = was_quoted = 1;
        } else {
            rc = push(r, (char)c, e);
        }
        c = next_byte(r);
    }
    if (rc == TG_OK)
        rc = push(r, '\0', e);
    if (rc == TG_OK && ferror(r->fp))
        rc = tg_fail_errno(e, TG_ERR_IO, "%s: line %llu: read failed", r->path, r->line);
    if (rc == TG_OK)
        *got = 1;
    return rc;
}

/* One file read whole: header and values. */
typedef struct {
    const char *path;
    int is_labels; /* labels (0/1) or scores */
    int has_id;
    unsigned long long header_line;
    size_t n_genres;
    char **names; /* [n_genres] */
    size_t n_rows, row_cap;
    char **ids;                    /* [n_rows] when has_id */
    unsigned long long *row_lines; /* [n_rows] line where each album's row began */
    uint8_t *labels;               /* [n_rows, n_genres], for a labels file */
    float *scores;                 /* [n_rows, n_genres], for a scores file */
} csv_file;

static void free_strings(char **s, size_t n)
{
    if (s != NULL)
        for (size_t i = 0; i < n; i++)
            free(s[i]);
    free(s);
}

static void csv_file_free(csv_file *f)
{
    free_strings(f->names, f->n_genres);
    free_strings(f->ids, f->has_id ? f->n_rows : 0);
    free(f->row_lines);
    free(f->labels);
    free(f->scores);
    memset(f, 0, sizeof *f);
}

/* Parses a whole number field; spaces around it are allowed. Returns 0 if not one. */
static int parse_number(const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end); /* strtof, not (float)strtod: one rounding, not two */
    if (end == s)
        return 0;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0')
        return 0;
    *out = v; /* ERANGE is fine: overflow gives inf, which the range check names */
    return 1;
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static tg_code read_header(reader *r, csv_file *f, tg_error *e)
{
    int got;
    tg_code rc = read_record(r, &got, e);
    if (rc != TG_OK)
        return rc;
    if (!got)
        return tg_fail(e, TG_ERR_FORMAT, "%s: empty file: expected a header row of genre names",
                       f->path);
    f->header_line = r->rec_line;
    f->has_id = strcmp(field(r, 0), "album_id") == 0;
    size_t first = f->has_id ? 1 : 0;
    if (r->n == first)
        return tg_fail(e, TG_ERR_FORMAT, "%s: line %llu: the header names no genre", f->path,
                       r->rec_line);
    f->names = calloc(r->n - first, sizeof *f->names);
    if (f->names == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for the header", f->path);
    for (size_t i = first; i < r->n; i++) {
        if (field(r, i)[0] == '\0')
            return tg_fail(e, TG_ERR_FORMAT, "%s: line %llu, column %zu: empty genre name",
                           f->path, r->rec_line, i + 1);
        for (size_t k = first; k < i; k++)
            if (strcmp(field(r, k), field(r, i)) == 0)
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: line %llu, column %zu: genre '%s' already in column %zu",
                               f->path, r->rec_line, i + 1, field(r, i), k + 1);
        f->names[f->n_genres] = dup(field(r, i));
        if (f->names[f->n_genres] == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory for the header", f->path);
        f->n_genres++;
    }
    return TG_OK;
}

/* Makes room for one more row in every per-row array of f. */
static tg_code grow_rows(csv_file *f, tg_error *e)
{
    if (f->n_rows < f->row_cap)
        return TG_OK;
    size_t cap = f->row_cap ? 2 * f->row_cap : 64;
    if (cap > SIZE_MAX / sizeof(float) / f->n_genres)
        return tg_fail(e, TG_ERR_LIMIT, "%s: too many rows", f->path);
    unsigned long long *lines = realloc(f->row_lines, cap * sizeof *lines);
    if (lines != NULL)
        f->row_lines = lines;
    void *values = f->is_labels ? realloc(f->labels, cap * f->n_genres * sizeof *f->labels)
                                : realloc(f->scores, cap * f->n_genres * sizeof *f->scores);
    if (values != NULL && f->is_labels)
        f->labels = values;
    else if (values != NULL)
        f->scores = values;
    char **ids = f->has_id ? realloc(f->ids, cap * sizeof *ids) : NULL;
    if (ids != NULL)
        f->ids = ids;
    if (lines == NULL || values == NULL || (f->has_id && ids == NULL))
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory at %zu rows", f->path, f->n_rows);
    f->row_cap = cap;
    return TG_OK;
}

/* An HDF5 file where a CSV file is expected (eval L.csv predictions.h5) would read as
 * one garbled header and fail on its first binary field: say what it is instead. */
static tg_code not_csv(const char *path, tg_error *e)
{
    tg_file_kind kind = TG_FILE_OTHER;
    tg_error ignored = {0};
    if (tg_h5_kind_of(path, &kind, &ignored) != TG_OK || kind == TG_FILE_OTHER)
        return tg_fail(e, TG_ERR_FORMAT, "%s is an HDF5 file, not a CSV file", path);
    return tg_fail(e, TG_ERR_FORMAT, "%s is %s, not a CSV file%s%s%s", path,
                   tg_file_kind_name(kind),
                   kind == TG_FILE_PREDICTIONS ? " (eval reads it alone: eval " : "",
                   kind == TG_FILE_PREDICTIONS ? path : "",
                   kind == TG_FILE_PREDICTIONS ? ")" : "");
}

/* Reads one file: labels (is_labels) or scores. On failure f may hold allocations;
 * the caller frees it either way. */
static tg_code read_file(const char *path, int is_labels, csv_file *f, tg_error *e)
{
    reader r = {.path = path, .line = 1, .back = EOF};
    f->path = path;
    f->is_labels = is_labels;
    r.fp = fopen(path, "rb");
    if (r.fp == NULL)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    /* A UTF-8 byte order mark (as spreadsheets write) is not part of the first name;
     * HDF5's signature (at 0 in every file the project writes) is not CSV at all. */
    r.head_n = fread(r.head, 1, sizeof r.head, r.fp);
    if (r.head_n == 8 && memcmp(r.head, "\x89HDF\r\n\x1a\n", 8) == 0) {
        fclose(r.fp);
        return not_csv(path, e);
    }
    if (r.head_n >= 3 && r.head[0] == 0xEF && r.head[1] == 0xBB && r.head[2] == 0xBF)
        r.head_at = 3;
    tg_code rc = read_header(&r, f, e);
    size_t first = f->has_id ? 1 : 0;
    while (rc == TG_OK) {
        int got;
        rc = read_record(&r, &got, e);
        if (rc != TG_OK || !got)
            break;
        if (r.n != first + f->n_genres) {
            rc = tg_fail(e, TG_ERR_FORMAT, "%s: line %llu: %zu fields where the header has %zu",
                         path, r.rec_line, r.n, first + f->n_genres);
            break;
        }
        rc = grow_rows(f, e);
        if (rc != TG_OK)
            break;
        size_t row = f->n_rows;
        f->row_lines[row] = r.rec_line;
        for (size_t l = 0; l < f->n_genres && rc == TG_OK; l++) {
            const char *s = field(&r, first + l);
            float v;
            if (!parse_number(s, &v))
                rc = tg_fail(e, TG_ERR_FORMAT, "%s: line %llu, column %zu: %s '%s' is not a number",
                             path, r.rec_line, first + l + 1, is_labels ? "label" : "score", s);
            else if (is_labels && v != 0.0f && v != 1.0f)
                rc = tg_fail(e, TG_ERR_FORMAT, "%s: line %llu, column %zu: label '%s' is not 0 or 1",
                             path, r.rec_line, first + l + 1, s);
            /* here, not in eval_input_check, whose cells are 0-based array indices: a
             * CSV error names the line and column, as every other one does. Written so
             * that NaN fails too. */
            else if (!is_labels && !(v >= 0.0f && v <= 1.0f))
                rc = tg_fail(e, TG_ERR_FORMAT, "%s: line %llu, column %zu: score '%s' is not in "
                             "[0, 1]", path, r.rec_line, first + l + 1, s);
            else if (is_labels)
                f->labels[row * f->n_genres + l] = (uint8_t)v;
            else
                f->scores[row * f->n_genres + l] = v;
        }
        if (rc == TG_OK && f->has_id) {
            f->ids[row] = dup(field(&r, 0));
            if (f->ids[row] == NULL)
                rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
        }
        if (rc == TG_OK)
            f->n_rows++;
    }
    if (rc == TG_OK && f->n_rows == 0)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: no album rows after the header", path);
    free(r.buf);
    free(r.off);
    fclose(r.fp); /* read-only: nothing to lose on close */
    return rc;
}

/* The two files describe the same genres, in order, and the same albums. */
static tg_code match(const csv_file *a, const csv_file *b, tg_error *e)
{
    if (a->n_genres != b->n_genres)
        return tg_fail(e, TG_ERR_FORMAT, "%s has %zu genres but %s has %zu (line %llu)",
                       a->path, a->n_genres, b->path, b->n_genres, b->header_line);
    for (size_t l = 0; l < a->n_genres; l++)
        if (strcmp(a->names[l], b->names[l]) != 0)
            return tg_fail(e, TG_ERR_FORMAT,
                           "%s: line %llu, column %zu: genre '%s' where %s has '%s' (the "
                           "genres and their order must be the same)",
                           b->path, b->header_line, l + 1 + (b->has_id ? 1 : 0), b->names[l], a->path,
                           a->names[l]);
    if (a->n_rows != b->n_rows)
        return tg_fail(e, TG_ERR_FORMAT, "%s has %zu albums but %s has %zu", a->path, a->n_rows,
                       b->path, b->n_rows);
    if (a->has_id && b->has_id)
        for (size_t n = 0; n < a->n_rows; n++)
            if (strcmp(a->ids[n], b->ids[n]) != 0)
                return tg_fail(e, TG_ERR_FORMAT,
                               "%s: line %llu, column 1: album_id '%s' where %s line %llu has "
                               "'%s' (albums must be in the same order)",
                               b->path, b->row_lines[n], b->ids[n], a->path, a->row_lines[n],
                               a->ids[n]);
    return TG_OK;
}

tg_code eval_csv_read(const char *labels_path, const char *scores_path, eval_table *out,
                      tg_error *e)
{
    memset(out, 0, sizeof *out);
    csv_file lab = {0}, sco = {0};
    tg_code rc = read_file(labels_path, 1, &lab, e);
    if (rc == TG_OK)
        rc = read_file(scores_path, 0, &sco, e);
    if (rc == TG_OK)
        rc = match(&lab, &sco, e);
    if (rc == TG_OK) {
        /* Hand the arrays over; what is left in lab and sco is freed below. */
        out->n_albums = lab.n_rows;
        out->n_genres = lab.n_genres;
        out->genre_names = lab.names;
        lab.names = NULL;
        out->labels = lab.labels;
        lab.labels = NULL;
        out->scores = sco.scores;
        sco.scores = NULL;
        csv_file *with_ids = lab.has_id ? &lab : sco.has_id ? &sco : NULL;
        if (with_ids != NULL) {
            out->album_ids = with_ids->ids;
            with_ids->ids = NULL;
        }
    }
    csv_file_free(&lab);
    csv_file_free(&sco);
    return rc;
}

void eval_table_free(eval_table *t)
{
    if (t == NULL)
        return;
    free_strings(t->genre_names, t->n_genres);
    free_strings(t->album_ids, t->album_ids != NULL ? t->n_albums : 0);
    free(t->labels);
    free(t->scores);
    memset(t, 0, sizeof *t);
}
