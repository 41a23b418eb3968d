/* csv.h - eval's input for users of other tools: a labels CSV (0/1) and a scores CSV
 * (numbers), each with a header row of genre names and an optional album_id column. */
#ifndef TG_EVAL_CSV_H
#define TG_EVAL_CSV_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* Both files read and matched: the arrays eval_input wants, with names. */
typedef struct {
    size_t n_albums, n_genres;
    char **genre_names; /* [L] */
    char **album_ids;   /* [N], or NULL when neither file has an album_id column */
    uint8_t *labels;    /* [N, L] row-major, 0 or 1 */
    float *scores;      /* [N, L] row-major, as written, each in [0, 1] */
} eval_table;

/* Reads labels_path and scores_path. Format (RFC 4180): comma-separated fields, a
 * field may be quoted with "..." (then it may hold commas, line breaks and "" for a
 * quote); lines end in LF or CRLF; a UTF-8 byte order mark is skipped; empty lines are
 * skipped. Row 1 is the header: genre names, after an optional first column named
 * exactly album_id. Every other row: one album, a field per header column.
 * Labels are numbers equal to 0 or 1 ("1", "1.0"); scores are numbers (strtof) in
 * [0, 1], NaN refused. An HDF5 file is refused as such, naming its kind.
 * Both files must have the same genres in the same order and the same number of
 * albums; when both have album_id, the ids must match row by row; when one has it,
 * its ids are used.
 * Fails with TG_ERR_IO (open/read), TG_ERR_FORMAT (a message naming the file, line
 * and column), TG_ERR_NOMEM. On success *out owns everything (eval_table_free); on
 * failure *out holds nothing to free. */
tg_code eval_csv_read(const char *labels_path, const char *scores_path, eval_table *out,
                      tg_error *e);

/* Frees what eval_csv_read allocated; *t is zeroed. NULL or zeroed is fine. */
void eval_table_free(eval_table *t);

#endif
