/* test_rawtext.c - the raw-text checks yajl's lexer does not make: every UTF-8 shape
 * yajl lets through is judged as common/utf8.h's reference validator judges it, whatever
 * the cut between two pieces; and JSON's whitespace. */
#include "rawtext.h"
#include "utf8.h"

#include <criterion/criterion.h>
#include <string.h>

/* Runs the check over s[0..n) cut into s[0..cut) and s[cut..n), as records.c feeds
 * pieces: the offset of the first bad byte in s, or n. */
static size_t bad_at(const unsigned char *s, size_t n, size_t cut)
{
    unsigned char lead = 0;
    const char *why = NULL;
    size_t at = tg_raw_bad_utf8(s, cut, &lead, &why);
    if (at < cut) {
        cr_assert_not_null(why);
        return at;
    }
    at = tg_raw_bad_utf8(s + cut, n - cut, &lead, &why);
    if (at < n - cut)
        cr_assert_not_null(why);
    return cut + at;
}

/* Every sequence of yajl's shape (a lead from 0xC0 to 0xF7, then as many continuation
 * bytes as it announces), with every second byte, between ASCII and in a run long enough
 * for the 32-byte blocks: bad exactly where the reference finds it malformed, at the
 * lead for a lead that starts nothing valid, else at the second byte. */
Test(rawtext, every_lead_and_second_byte_as_the_reference_says)
{
    for (unsigned lead = 0xC0; lead <= 0xF7; lead++)
        for (unsigned second = 0x80; second <= 0xBF; second++) {
            size_t len = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            unsigned char s[80];
            memset(s, 'a', sizeof s);
            size_t at = 40;
            s[at] = (unsigned char)lead;
            s[at + 1] = (unsigned char)second;
            for (size_t k = 2; k < len; k++)
                s[at + k] = 0x80 | (unsigned char)k;
            int valid = tg_utf8_len(s + at, len) == len;
            /* where the bad byte is: C0, C1 and F5 up are bad as leads */
            size_t want = valid ? sizeof s
                        : (lead <= 0xC1 || lead >= 0xF5) ? at : at + 1;
            for (size_t cut = 0; cut <= sizeof s; cut++)
                cr_assert_eq(bad_at(s, sizeof s, cut), want,
                             "0x%02X 0x%02X cut at %zu: %zu, want %zu", lead, second, cut,
                             bad_at(s, sizeof s, cut), want);
        }
}

/* Valid text of every length is clean, and the first bad sequence of several is told. */
Test(rawtext, valid_text_and_the_first_of_several)
{
    const char *ok = "Besan\xC3\xA7on \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80 "
                     "\xF4\x8F\xBF\xBF \xE4\xB8\x8A\xE6\xB5\xB7 \xF0\x9F\x8E\xB5";
    size_t n = strlen(ok);
    for (size_t cut = 0; cut <= n; cut++)
        cr_assert_eq(bad_at((const unsigned char *)ok, n, cut), n, "cut at %zu", cut);
    const char *two = "\"abc\xED\xA0\x80\", \"\xC0\x80\"";
    cr_assert_eq(bad_at((const unsigned char *)two, strlen(two), strlen(two)), 5);
    /* a lead at the very end of the input: its missing bytes are yajl's to report */
    unsigned char lead = 0;
    const char *why = NULL;
    cr_assert_eq(tg_raw_bad_utf8((const unsigned char *)"ab\xED", 3, &lead, &why), 3);
    cr_assert_eq(lead, 0xED);
    cr_assert_eq(tg_raw_bad_utf8((const unsigned char *)"", 0, &lead, &why), 0);
    cr_assert_eq(lead, 0xED, "an empty piece keeps the lead for the next");
}

Test(rawtext, vertical_tab_and_form_feed)
{
    const unsigned char *s = (const unsigned char *)"ab\fc\vd";
    cr_assert_eq(tg_raw_first_vt_ff(s, 6), s + 2);
    cr_assert_eq(tg_raw_first_vt_ff(s + 3, 3), s + 4);
    cr_assert_null(tg_raw_first_vt_ff(s, 2));
}
