/* test_surrogates.c - the raw-text scan for "\u" escapes that are no UTF-16 pair: which
 * strings hold one, whatever the pieces the text comes in are cut (records.c feeds lines
 * too long to hold in chunks, so a string and an escape may straddle pieces). */
#include "surrogates.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* A string's raw text between its quotes, and whether it is bad. */
typedef struct {
    const char *raw;
    int bad;
} str_case;

static const str_case cases[] = {
    {"", 0},
    {"abc", 0},
    {"\\u0041", 0},
    {"\\ud83c\\udfb5", 0},                  /* a pair: U+1F3B5 */
    {"\\uD83C\\uDFB5", 0},
    {"\\udbff\\udfff", 0},                  /* U+10FFFF */
    {"\\\\ud800", 0},                       /* an escaped backslash, then text */
    {"x\\\\\\\\ud800", 0},
    {"\\n\\ud83c\\udfb5\\t", 0},
    {"\\\\\\\\", 0},                        /* backslashes before the closing quote */
    {"\\\"", 0},
    {"\\\"\\ud83c\\udfb5\\\\", 0},
    {"\\ud800", 1},                         /* high, at the end */
    {"a\\ud800b", 1},                       /* high, then text: yajl's '?' */
    {"\\ud800\\u0041", 1},                  /* high, then another escape: yajl's U+10041 */
    {"\\ud800\\n", 1},
    {"\\ud800\\\\", 1},
    {"\\ud800\\ud800", 1},
    {"\\udc00", 1},                         /* low alone: yajl's invalid 3 bytes */
    {"\\udfff\\ud800", 1},                  /* a pair the wrong way round */
    {"\\\\\\ud800", 1},                     /* an escaped backslash, then a bad escape */
    {"\\\"\\udc00", 1},
    {"\\ud83c\\udfb5\\udc00", 1},
    {"\\uDBFF", 1},
    {"\\udc00\\udfff", 1},                  /* two lows */
    {"\\ud800x\\\\\\\"", 1},                 /* then an escaped backslash and quote */
};
enum { N_CASES = sizeof cases / sizeof *cases };

/* Feeds doc (the strings of s[0..3) as a JSON array) in the pieces cut at a and b, as
 * records.c does: scan a piece, ask about each kept string whose closing quote is in it,
 * end the piece. got[i] is the answer for s[i] (-1 when not kept). */
static void feed(const char *doc, size_t len, const size_t end[3], unsigned kept, size_t a,
                 size_t b, int got[3])
{
    tg_surrogates sg = {0};
    size_t cuts[4] = {0, a, b, len};
    for (int i = 0; i < 3; i++)
        got[i] = -1;
    for (int k = 0; k < 3; k++) {
        const unsigned char *piece = (const unsigned char *)doc + cuts[k];
        size_t n = cuts[k + 1] - cuts[k];
        cr_assert(tg_surrogates_scan(&sg, piece, n));
        for (int i = 0; i < 3; i++)
            if ((kept >> i & 1) && end[i] > cuts[k] && end[i] <= cuts[k + 1])
                got[i] = tg_surrogates_pending(&sg) && tg_surrogates_in(&sg, piece, end[i] - cuts[k]);
        tg_surrogates_end(&sg, piece, n);
    }
    tg_surrogates_free(&sg);
}

/* Every string case between others, good and bad, kept or not, at every two cuts. */
Test(surrogates, each_string_alone_at_every_cut)
{
    const str_case *around[] = {&cases[1], &cases[18], &cases[9], &cases[12]};
    for (int c = 0; c < N_CASES; c++)
        for (int u = 0; u < 4; u++) {
            const str_case *s[3] = {around[u], &cases[c], around[3 - u]};
            char doc[256];
            size_t end[3], len = 0;
            doc[len++] = '[';
            for (int i = 0; i < 3; i++) {
                len += (size_t)snprintf(doc + len, sizeof doc - len, "%s\"%s\"", i ? ", " : "",
                                        s[i]->raw);
                end[i] = len;
            }
            doc[len++] = ']';
            for (unsigned kept = 1; kept < 8; kept++)
                for (size_t a = 0; a <= len; a++)
                    for (size_t b = a; b <= len; b++) {
                        int got[3];
                        feed(doc, len, end, kept, a, b, got);
                        for (int i = 0; i < 3; i++)
                            if (kept >> i & 1)
                                cr_assert_eq(got[i], s[i]->bad, "%.*s cut at %zu and %zu, "
                                             "kept %u: string %d is %s", (int)len, doc, a, b,
                                             kept, i, s[i]->bad ? "bad" : "good");
                    }
        }
}

/* The bad escapes' offsets in one piece: a backslash each, an even run not one. */
Test(surrogates, offsets_of_bad_escapes)
{
    const char *doc = "[\"\\ud800\", \"\\\\ud800\", \"a\\udc00\\ud83c\\udfb5\\ud800\\u0041\"]";
    tg_surrogates sg = {0};
    cr_assert(tg_surrogates_scan(&sg, (const unsigned char *)doc, strlen(doc)));
    size_t want[] = {2, 24, 42};
    cr_assert_eq(sg.n, 3);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(sg.at[i], want[i], "bad escape %zu at %zu, want %zu", i, sg.at[i], want[i]);
    tg_surrogates_free(&sg);
}

/* A string over many pieces keeps its bad escape to its end, and the next piece's
 * strings start clean. */
Test(surrogates, a_long_string_carries_its_bad_escape)
{
    char doc[4096];
    size_t len = 0;
    len += (size_t)snprintf(doc, sizeof doc, "[\"a\\ud800");
    memset(doc + len, 'x', 3000);
    len += 3000;
    len += (size_t)snprintf(doc + len, sizeof doc - len, "\", \"ok\"]");
    size_t end0 = len - 7, end1 = len - 1;
    tg_surrogates sg = {0};
    int got0 = -1, got1 = -1;
    for (size_t at = 0; at < len; at += 100) {
        size_t n = len - at < 100 ? len - at : 100;
        const unsigned char *piece = (const unsigned char *)doc + at;
        cr_assert(tg_surrogates_scan(&sg, piece, n));
        if (end0 > at && end0 <= at + n)
            got0 = tg_surrogates_pending(&sg) && tg_surrogates_in(&sg, piece, end0 - at);
        if (end1 > at && end1 <= at + n)
            got1 = tg_surrogates_pending(&sg) && tg_surrogates_in(&sg, piece, end1 - at);
        tg_surrogates_end(&sg, piece, n);
    }
    cr_assert_eq(got0, 1);
    cr_assert_eq(got1, 0);
    tg_surrogates_free(&sg);
}
