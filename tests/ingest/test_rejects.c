/* test_rejects.c - the rejects file's lines: valid JSON whatever the record's bytes
 * (escapes, control characters, multi-byte UTF-8 kept, bytes that are not UTF-8 turned
 * into U+FFFD one by one), every field as given. */
#include "rejects.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define FFFD "\xEF\xBF\xBD"

/* The line tg_rejects_write gives for a reject of text (n bytes) from file. */
static char *line_of(const char *file, const char *text, size_t n, int cut)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    cr_assert_not_null(f);
    tg_reject r = {file, 12, 3, TG_REJ_BAD_DATE, "date", 1, text, n, cut};
    tg_rejects_write(f, &r, "bad_date");
    cr_assert_eq(fclose(f), 0);
    cr_assert(size > 0 && out[size - 1] == '\n' && memchr(out, '\n', size - 1) == NULL,
              "one line: %s", out);
    return out;
}

/* The line parsed as JSON (it must be an object); the caller frees it. */
static yajl_val parsed(const char *line)
{
    char err[256];
    yajl_val v = yajl_tree_parse(line, err, sizeof err);
    cr_assert_not_null(v, "not JSON (%s): %s", err, line);
    cr_assert(YAJL_IS_OBJECT(v), "%s", line);
    return v;
}

static const char *string_at(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    cr_assert_not_null(s, "no string %s", key);
    return YAJL_GET_STRING(s);
}

/* text as written, decoded back by a JSON parser, must be want. */
static void round_trip(const char *text, size_t n, const char *want)
{
    char *line = line_of("in.json", text, n, 0);
    yajl_val v = parsed(line);
    cr_assert_str_eq(string_at(v, "text"), want, "line: %s", line);
    yajl_tree_free(v);
    free(line);
}

Test(rejects_file, fields)
{
    char *line = line_of("dir/a \"b\".json", "{\"date\": 1}", 11, 1);
    yajl_val v = parsed(line);
    cr_assert_str_eq(string_at(v, "file"), "dir/a \"b\".json");
    cr_assert_str_eq(string_at(v, "reason"), "bad_date");
    cr_assert_str_eq(string_at(v, "detail"), "date");
    cr_assert_str_eq(string_at(v, "text"), "{\"date\": 1}");
    const char *offset[] = {"offset", NULL}, *ln[] = {"line", NULL}, *count[] = {"count", NULL},
               *cut[] = {"cut", NULL};
    cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(v, offset, yajl_t_number)), 12);
    cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(v, ln, yajl_t_number)), 3);
    cr_assert_eq(YAJL_GET_INTEGER(yajl_tree_get(v, count, yajl_t_number)), 1);
    cr_assert(YAJL_IS_TRUE(yajl_tree_get(v, cut, yajl_t_true)));
    yajl_tree_free(v);
    free(line);
}

Test(rejects_file, escapes_and_control_characters)
{
    const char text[] = "a\"b\\c\nd\re\tf\x01g\x1fh";
    round_trip(text, sizeof text - 1, text);
    char *line = line_of("in.json", "\x01", 1, 0);
    cr_assert(strstr(line, "\\u0001") != NULL, "%s", line);
    free(line);
    /* a NUL inside the text (a reject's raw bytes may hold one) is escaped too */
    line = line_of("in.json", "a\0b", 3, 0);
    cr_assert(strstr(line, "a\\u0000b") != NULL, "%s", line);
    free(line);
}

Test(rejects_file, utf8_is_kept)
{
    const char *texts[] = {"Besan\xC3\xA7on", "\xE2\x82\xAC 5", "\xF0\x9F\x8E\xB5 music",
                           "\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        round_trip(texts[i], strlen(texts[i]), texts[i]);
}

/* Bytes that are not UTF-8 become U+FFFD one by one, and what follows is read again
 * from the next byte: lone continuation bytes, overlong forms, surrogates, code points
 * past U+10FFFF, bytes never valid, and a sequence cut by the end of the text (the
 * rejects text is cut at TG_REC_MAX_TEXT bytes, wherever that falls). */
Test(rejects_file, bytes_that_are_not_utf8_become_fffd)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\x80z", "a" FFFD "z"},                                    /* lone continuation */
        {"a\xC0\x80z", "a" FFFD FFFD "z"},                           /* overlong NUL */
        {"a\xC1\xBFz", "a" FFFD FFFD "z"},                           /* overlong */
        {"a\xE0\x80\x80z", "a" FFFD FFFD FFFD "z"},                  /* overlong 3 bytes */
        {"a\xF0\x80\x80\x80z", "a" FFFD FFFD FFFD FFFD "z"},         /* overlong 4 bytes */
        {"a\xED\xA0\x80z", "a" FFFD FFFD FFFD "z"},                  /* surrogate D800 */
        {"a\xF4\x90\x80\x80z", "a" FFFD FFFD FFFD FFFD "z"},         /* past U+10FFFF */
        {"a\xF5\x80z", "a" FFFD FFFD "z"},                           /* never valid */
        {"a\xFFz", "a" FFFD "z"},
        {"a\xC3z", "a" FFFD "z"},                                    /* cut, then ASCII */
        {"a\xE2\x82", "a" FFFD FFFD},                                /* cut by the end */
        {"\xF0\x9F\x8E", FFFD FFFD FFFD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        round_trip(cases[i].in, strlen(cases[i].in), cases[i].out);
    /* the cut as ingest makes it: the bytes go on past the text's end, which must not
     * be read (here they would complete the character) */
    round_trip("a\xE2\x82\xAC", 3, "a" FFFD FFFD);
}
