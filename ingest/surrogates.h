/* surrogates.h - finds the JSON "\u" escapes that are no UTF-16 pair in the raw text the
 * record layer hands yajl, so that a kept name holding one is rejected, not mangled.
 *
 * Why: RFC 8259 (section 8.2) lets a string hold "\ud800" alone, but UTF-8 has no form
 * for it (RFC 3629), and yajl 2.1 decodes such escapes without saying so: a high
 * surrogate with no "\u" after it becomes '?', one followed by any other escape takes
 * that escape's low 10 bits ("\ud800\u0041" is U+10041), a lone low one becomes an
 * invalid 3-byte sequence. yajl's callbacks only see the decoded string, so each piece
 * is scanned first (a memchr for '\\': input without escapes pays nothing more), and a
 * kept string asks whether one of the escapes found lies inside it.
 *
 * A piece ends at a line's end, where no string can be open, except for lines too long
 * to hold (records.c's feed): there an escape cut by the piece's end is completed from
 * the next piece, and a bad escape in a string still open at the end counts as sitting
 * at offset 0 of the next one. Memory: one offset per bad escape of the current piece. */
#ifndef TG_SURROGATES_H
#define TG_SURROGATES_H

#include <stddef.h>

#define TG_ESC_MAX 12   /* the longest escape to look at: "\ud83c\udfb5", a pair */

typedef struct {
    size_t *at;             /* offsets in the piece of its bad escapes' backslashes, in order */
    size_t n, cap;
    size_t next;            /* at[next..n) not yet passed by a kept string */
    size_t resume;          /* where this piece's own escapes start (past a cut one's rest) */
    unsigned char cut[TG_ESC_MAX];   /* the start of an escape cut by the last piece's end */
    size_t cut_len;
    int open;               /* the last piece ended inside a string holding a bad escape */
} tg_surrogates;

/* Scans the next piece s[0..n) of the document for bad escapes (after those of the
 * previous piece are done with). 1, or 0 when out of memory. */
int tg_surrogates_scan(tg_surrogates *sg, const unsigned char *s, size_t n);

/* Whether the string token of the piece s that ends just before end (past its closing
 * quote) holds a bad escape. Tokens must be asked about in order; escapes before this one
 * are passed (they were in strings not kept). Call only when tg_surrogates_pending. */
int tg_surrogates_in(tg_surrogates *sg, const unsigned char *s, size_t end);

/* Whether escapes of this piece may still be in a kept string: the hot path's one test. */
static inline int tg_surrogates_pending(const tg_surrogates *sg)
{
    return sg->next < sg->n;
}

/* After yajl has parsed the piece s[0..n): remembers whether it ended inside a string
 * with a bad escape, whose token will end in a later piece. */
void tg_surrogates_end(tg_surrogates *sg, const unsigned char *s, size_t n);

void tg_surrogates_free(tg_surrogates *sg);

#endif
