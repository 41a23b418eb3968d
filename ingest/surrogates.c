/* surrogates.c - the raw-text scan for "\u" escapes that are no UTF-16 pair, and the
 * question a kept string asks of it (see surrogates.h for why yajl's output cannot tell). */
#include "surrogates.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

enum { ESC_OK, ESC_BAD, ESC_CUT };

/* The 4 hex digits at h as a number, or -1 (yajl then fails the document anyway). */
static long hex4(const unsigned char *h)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = h[i];
        int d = c >= '0' && c <= '9' ? (int)(c - '0')
              : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (int)((c | 0x20) - 'a' + 10) : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* The escape whose backslash is e[0], avail bytes of it in sight: ESC_OK or ESC_BAD with
 * *len the bytes it takes (a bad high surrogate takes 6: what follows is an escape of its
 * own), or ESC_CUT when the bytes in sight cannot decide (at most TG_ESC_MAX - 1). */
static int esc_kind(const unsigned char *e, size_t avail, size_t *len)
{
    if (avail < 2)
        return ESC_CUT;
    *len = 2;
    if (e[1] != 'u')
        return ESC_OK;
    if (avail < 6)
        return ESC_CUT;
    long u = hex4(e + 2);
    if (u < 0)
        return ESC_OK;
    *len = 6;
    if (u < 0xD800 || u > 0xDFFF)
        return ESC_OK;
    if (u >= 0xDC00)
        return ESC_BAD;              /* a low surrogate with no high one before it */
    if (avail < 7)
        return ESC_CUT;
    if (e[6] != '\\')
        return ESC_BAD;
    if (avail < 8)
        return ESC_CUT;
    if (e[7] != 'u')
        return ESC_BAD;
    if (avail < TG_ESC_MAX)
        return ESC_CUT;
    long v = hex4(e + 8);
    if (v < 0xDC00 || v > 0xDFFF)
        return ESC_BAD;
    *len = TG_ESC_MAX;
    return ESC_OK;
}

static int add(tg_surrogates *sg, size_t at)
{
    if (!tg_grow((void **)&sg->at, &sg->cap, sg->n + 1, sizeof *sg->at))
        return 0;
    sg->at[sg->n++] = at;
    return 1;
}

/* Keeps the n bytes at e, an escape cut by the piece's end, for the next piece. */
static void keep_cut(tg_surrogates *sg, const unsigned char *e, size_t n)
{
    memcpy(sg->cut, e, n);
    sg->cut_len = n;
}

int tg_surrogates_scan(tg_surrogates *sg, const unsigned char *s, size_t n)
{
    sg->n = sg->next = sg->resume = 0;
    if (sg->open && !add(sg, 0))
        return 0;
    sg->open = 0;
    size_t i = 0;
    if (sg->cut_len > 0) {
        /* finish the escapes that begin in the cut bytes; their bad ones sit at 0 */
        unsigned char buf[2 * TG_ESC_MAX];
        size_t c = sg->cut_len, m = n < TG_ESC_MAX ? n : TG_ESC_MAX, j = 0, len;
        memcpy(buf, sg->cut, c);
        memcpy(buf + c, s, m);
        sg->cut_len = 0;
        while (j < c) {
            if (buf[j] != '\\') {
                j++;
                continue;
            }
            int k = esc_kind(buf + j, c + m - j, &len);
            if (k == ESC_CUT) {      /* still undecided: then the whole piece is in buf */
                keep_cut(sg, buf + j, c + m - j);
                sg->resume = n;
                return 1;
            }
            if (k == ESC_BAD && !add(sg, 0))
                return 0;
            j += len;
        }
        i = sg->resume = j - c;
    }
    for (;;) {
        const unsigned char *b = i < n ? memchr(s + i, '\\', n - i) : NULL;
        if (b == NULL)
            return 1;
        size_t at = (size_t)(b - s), len;
        int k = esc_kind(b, n - at, &len);
        if (k == ESC_CUT) {
            keep_cut(sg, b, n - at);
            return 1;
        }
        if (k == ESC_BAD && !add(sg, at))
            return 0;
        i = at + len;
    }
}

int tg_surrogates_in(tg_surrogates *sg, const unsigned char *s, size_t end)
{
    /* The opening quote: the last '"' before the closing one (at end - 1) that an even
     * run of backslashes precedes. A run reaching the piece's start has an unknown
     * parity, and a string with no opening quote in sight began in an earlier piece:
     * either way the token is taken from offset 0. */
    size_t start = 0;
    for (size_t q = end > 0 ? end - 1 : 0; q-- > 0;) {
        if (s[q] != '"')
            continue;
        size_t b = q;
        while (b > 0 && s[b - 1] == '\\')
            b--;
        if (b == 0)
            break;
        if ((q - b) % 2 == 0) {
            start = q;
            break;
        }
        q = b;
    }
    while (sg->next < sg->n && sg->at[sg->next] < start)
        sg->next++;
    int bad = 0;
    while (sg->next < sg->n && sg->at[sg->next] < end) {
        bad = 1;
        sg->next++;
    }
    return bad;
}

void tg_surrogates_end(tg_surrogates *sg, const unsigned char *s, size_t n)
{
    if (!tg_surrogates_pending(sg))
        return;
    /* The last bad escape's string: inside it from that escape (or from where this
     * piece's own bytes resume, for one carried in at 0), its first quote that is no
     * escape's closes it. */
    size_t i = sg->at[sg->n - 1];
    if (i < sg->resume)
        i = sg->resume;
    while (i < n) {
        if (s[i] == '\\')
            i += 2;
        else if (s[i] == '"')
            return;
        else
            i++;
    }
    sg->open = 1;
}

void tg_surrogates_free(tg_surrogates *sg)
{
    free(sg->at);
    sg->at = NULL;
    sg->n = sg->cap = sg->next = 0;
}
