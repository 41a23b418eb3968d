/* rawtext.c - the raw-text checks yajl's lexer does not make: JSON's whitespace and the
 * UTF-8 forms RFC 3629 forbids (see rawtext.h for what yajl lets through). */
#include "rawtext.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

const unsigned char *tg_raw_first_vt_ff(const unsigned char *s, size_t n)
{
    const unsigned char *vt = memchr(s, '\v', n);
    const unsigned char *ff = memchr(s, '\f', vt != NULL ? (size_t)(vt - s) : n);
    return ff != NULL ? ff : vt;
}

/* What is wrong with b after the lead byte c (RFC 3629's table), or NULL. Only the four
 * leads whose second byte has a narrower range than 0x80..0xBF are asked: yajl checks the
 * rest. */
static const char *second_bad(unsigned c, unsigned b)
{
    switch (c) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF ? NULL : "after 0xE0 makes an overlong form";
    case 0xED: return b >= 0x80 && b <= 0x9F ? NULL : "after 0xED makes a UTF-16 surrogate";
    case 0xF0: return b >= 0x90 && b <= 0xBF ? NULL : "after 0xF0 makes an overlong form";
    default:   /* 0xF4 */
        return b >= 0x80 && b <= 0x8F ? NULL : "after 0xF4 makes a code point past U+10FFFF";
    }
}

/* Whether the 64 bytes at s are all ASCII (nearly every block of an export, whose names
 * are short), and the mask of those from 0xC0 up: the leads, continuation bytes being
 * 0x80..0xBF. SSE2 is in every x86-64; elsewhere plain loops. (On x86-64 with words
 * and a byte loop this check was 1.8 % of ingest's instructions.) */
static inline int ascii64(const unsigned char *s)
{
#if defined(__SSE2__)
    __m128i a = _mm_loadu_si128((const __m128i *)s), b = _mm_loadu_si128((const __m128i *)(s + 16)),
            c = _mm_loadu_si128((const __m128i *)(s + 32)), d = _mm_loadu_si128((const __m128i *)(s + 48));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) == 0;
#else
    uint64_t w[8];
    memcpy(w, s, sizeof w);
    return ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) & 0x8080808080808080u) == 0;
#endif
}

static inline uint64_t leads64(const unsigned char *s)
{
    uint64_t m = 0;
#if defined(__SSE2__)
    const __m128i c0 = _mm_set1_epi8((char)0xC0);
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + 16 * k));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, c0), x))
             << (16 * k);
    }
#else
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)(s[k] >= 0xC0) << k;
#endif
    return m;
}

/* The lead byte at s[i] of s[0..n): SIZE_MAX when it may start a character (its second
 * byte is then checked, or kept in *lead when in the next piece), else the offset of the
 * byte that makes it malformed, *why saying how. */
static size_t check_lead(const unsigned char *s, size_t n, size_t i, unsigned char *lead,
                         const char **why)
{
    const unsigned c = s[i];
    if (c == 0xC0 || c == 0xC1) {
        *why = "starts only overlong forms";
        return i;
    }
    if (c >= 0xF5) {
        *why = "starts no character";
        return i;
    }
    if (c == 0xE0 || c == 0xED || c == 0xF0 || c == 0xF4) {
        if (i + 1 == n)
            *lead = (unsigned char)c;   /* its second byte is in the next piece */
        else if ((*why = second_bad(c, s[i + 1])) != NULL)
            return i + 1;
    }
    return SIZE_MAX;
}

size_t tg_raw_bad_utf8(const unsigned char *s, size_t n, unsigned char *lead,
                       const char **why)
{
    size_t i = 0, at;
    *why = NULL;
    if (n == 0)
        return 0;          /* a lead waits for the next piece */
    if (*lead != 0) {
        if ((*why = second_bad(*lead, s[0])) != NULL)
            return 0;
        i = 1;
    }
    *lead = 0;
    for (; n - i >= 64; i += 64) {
        if (ascii64(s + i))
            continue;
        for (uint64_t m = leads64(s + i); m != 0; m &= m - 1)
            if ((at = check_lead(s, n, i + (size_t)__builtin_ctzll(m), lead, why)) != SIZE_MAX)
                return at;
    }
    for (; i < n; i++)
        if (s[i] >= 0xC0 && (at = check_lead(s, n, i, lead, why)) != SIZE_MAX)
            return at;
    return n;
}
