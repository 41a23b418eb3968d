/* rawtext.h - checks of the raw JSON text that yajl's lexer does not make: JSON's
 * whitespace, and the UTF-8 forms RFC 3629 forbids. (surrogates.h is the third, for "\u"
 * escapes.) records.c runs them on each piece before yajl parses it.
 *
 * yajl 2.1 takes a vertical tab or a form feed for whitespace, and checks a string's
 * UTF-8 only for its shape: a lead byte from 0xC0 to 0xF7 and as many continuation bytes
 * as it announces. So it lets through overlong forms ("\xC0\x80" for NUL, "\xC1\xA7"),
 * UTF-16 surrogates ("\xED\xA0\x80") and code points past U+10FFFF ("\xF4\x90\x80\x80",
 * leads 0xF5 to 0xF7), which the spec's "invalid UTF-8" makes a malformed document. */
#ifndef TG_RAWTEXT_H
#define TG_RAWTEXT_H

#include <stddef.h>

/* The first vertical tab or form feed of the n bytes at s, or NULL. */
const unsigned char *tg_raw_first_vt_ff(const unsigned char *s, size_t n);

/* The offset in s[0..n) of the first byte that makes UTF-8 malformed in a way yajl lets
 * through, or n. *lead carries a lead byte that ended the previous piece (0 for none):
 * s[0] is then its second byte. *why: what is wrong (for a message), or NULL. */
size_t tg_raw_bad_utf8(const unsigned char *s, size_t n, unsigned char *lead,
                       const char **why);

#endif
