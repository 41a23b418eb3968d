/* test_records.c - the JSON record layer: layouts, nesting, validation, malformed
 * documents, accounting, and agreement across synth's layouts. */
#include "helpers.h"
#include "input.h"
#include "xxhash64.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALBUM1 "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\", \"Rap\"]}"
#define TRACE1(city) "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"" city "\", \"nusers\": 3, \"nstreams\": 5}"
#define NESTED(city) "{\"date\": \"2016-11-03\", \"loc_city\": \"" city "\", \"nusers\": 2}"

static void assert_balanced(const tg_rec_counts *n)
{
    cr_assert_eq(n->records, n->albums + n->traces + n->rejected, "records %llu != %llu+%llu+%llu",
                 (unsigned long long)n->records, (unsigned long long)n->albums,
                 (unsigned long long)n->traces, (unsigned long long)n->rejected);
    uint64_t sum = 0;
    for (int i = 0; i < TG_REJ_COUNT_; i++)
        sum += n->rejected_by[i];
    cr_assert_eq(sum, n->rejected);
}

/* Parses text that must be accepted as a document; checks the accounting. Messages
 * quote at most 300 bytes of it: Criterion hangs on a failure message of megabytes. */
static void ok_text(collector *c, tg_rec_counts *n, const char *text)
{
    tg_error e = {0};
    tg_code rc = parse_text(c, text, n, &e);
    cr_assert_eq(rc, TG_OK, "%s\n-- for: %.300s", e.msg, text);
    assert_balanced(n);
    cr_assert_eq(c->n_albums, n->albums);
    cr_assert_eq(c->n_traces, n->traces, "delivered %zu traces, counted %llu", c->n_traces,
                 (unsigned long long)n->traces);
}

/* before, n bytes c, then after: a malloc'd string (long names for the limits). */
static char *run_of(const char *before, char c, size_t n, const char *after)
{
    size_t b = strlen(before), a = strlen(after);
    char *s = malloc(b + n + a + 1);
    cr_assert_not_null(s);
    memcpy(s, before, b);
    memset(s + b, c, n);
    memcpy(s + b + n, after, a + 1);
    return s;
}

/* XXH64 of n bytes c: what a name of run_of's filler hashes to. */
static uint64_t filler_hash(char c, size_t n)
{
    char *s = run_of("", c, n, "");
    uint64_t h = tg_xxh64(s, n, 0);
    free(s);
    return h;
}

/* One record that must be rejected for reason. */
static void reject_one(const char *text, tg_reject_reason reason)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 1, "%.300s", text);
    cr_assert_eq(n.rejected, 1, "not rejected: %.300s", text);
    cr_assert_eq(c.n_rejects, 1);
    cr_assert_eq(c.rejects[0].reason, reason, "%.300s: got %s, want %s", text,
                 tg_reject_name(c.rejects[0].reason), tg_reject_name(reason));
    cr_assert_eq(n.rejected_by[reason], 1);
    cr_assert_eq(c.rejects[0].count, 1);
    col_free(&c);
}

/* A malformed document: TG_ERR_FORMAT naming the file, byte offset and line. */
static void malformed(const void *data, size_t len, uint64_t byte, uint64_t line)
{
    char *path = tmp_write(".json", data, len);
    collector c;
    col_init(&c);
    tg_rec_counts n;
    tg_error e = {0};
    tg_code rc = col_parse(&c, path, &n, &e);
    cr_assert_eq(rc, TG_ERR_FORMAT, "accepted: %.*s", (int)(len < 200 ? len : 200), (const char *)data);
    cr_assert(strstr(e.msg, path) != NULL, "no file name in: %s", e.msg);
    char want[64];
    snprintf(want, sizeof want, "byte %llu, line %llu:", (unsigned long long)byte,
             (unsigned long long)line);
    cr_assert(strstr(e.msg, want) != NULL, "want '%s' in: %s", want, e.msg);
    col_free(&c);
    unlink_free(path);
}

static void malformed_str(const char *text, uint64_t byte, uint64_t line)
{
    malformed(text, strlen(text), byte, line);
}

/* ---- layouts ---- */

Test(layouts, ndjson_with_blank_lines_and_crlf)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "\n" ALBUM1 "\r\n\r\n" TRACE1("Paris") "\r\n\n  \n" TRACE1("Lyon"));
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 2);
    cr_assert_eq(n.rejected, 0);
    cr_assert_str_eq(c.albums[0].album, "1");
    cr_assert_str_eq(c.albums[0].genres, "Pop|Rap");
    cr_assert_eq(c.traces[1].nusers, 3);
    cr_assert_eq(c.traces[1].nstreams, 5);
    cr_assert_str_eq(c.traces[1].city, "Lyon");
    col_free(&c);
}

Test(layouts, array_object_and_same_records)
{
    const char *texts[] = {
        ALBUM1 "\n" TRACE1("Paris") "\n" TRACE1("Lyon") "\n",
        "[" ALBUM1 ",\n" TRACE1("Paris") ", " TRACE1("Lyon") "]",
        "{\"albums\": [" ALBUM1 "], \"traces\": [" TRACE1("Paris") ", " TRACE1("Lyon") "]}",
        "{\"traces\": [" TRACE1("Paris") ", " TRACE1("Lyon") "], \"albums\": [" ALBUM1 "]}",
        "{\"x\": [" TRACE1("Paris") "], \"y\": [], \"z\": [" ALBUM1 ", " TRACE1("Lyon") "]}",
        "{\"albums\": [], \"a\": [" ALBUM1 "], \"traces\": [" TRACE1("Paris") ", " TRACE1("Lyon") "]}",
        "{\"traces\": [" TRACE1("Paris") ", " ALBUM1 ", " TRACE1("Lyon") "]}",
        "[" ALBUM1 "] {\"t\": [" TRACE1("Paris") "]}\n" TRACE1("Lyon") "\n[]",
        "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\", \"Rap\"], \"traces\": ["
            NESTED("Paris") ", " NESTED("Lyon") "]}",
    };
    uint64_t want = 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        collector c;
        tg_rec_counts n;
        ok_text(&c, &n, texts[i]);
        cr_assert_eq(n.albums, 1, "%s", texts[i]);
        cr_assert_eq(n.traces, 2, "%s", texts[i]);
        cr_assert_eq(n.rejected, 0, "%s", texts[i]);
        cr_assert_eq(n.unknown_keys, 0, "%s", texts[i]);
        uint64_t sum = col_checksum(&c);
        if (i == 0)
            want = sum;
        /* the nested form has no nstreams in its traces */
        if (i + 1 < sizeof texts / sizeof *texts)
            cr_assert_eq(sum, want, "layout %zu differs: %s", i, texts[i]);
        col_free(&c);
    }
}

Test(layouts, several_files_one_collector_any_order)
{
    char *a = tmp_str(".ndjson", TRACE1("Paris") "\n" TRACE1("Lyon") "\n");
    char *b = tmp_str(".json", "[" ALBUM1 "]");
    char *z = tmp_zst("{\"t\": [" TRACE1("Nice") "]}", strlen("{\"t\": [" TRACE1("Nice") "]}"));
    collector c;
    col_init(&c);
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(col_parse(&c, a, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n.traces, 2);
    cr_assert_eq(col_parse(&c, b, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(col_parse(&c, z, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(c.n_traces, 3);
    cr_assert_eq(c.n_albums, 1);
    col_free(&c);
    unlink_free(a);
    unlink_free(b);
    unlink_free(z);
}

Test(layouts, standard_input)
{
    const char *text = "[" ALBUM1 ", " TRACE1("Paris") "]";
    char *path = tmp_str(".json", text);
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    collector c;
    col_init(&c);
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(col_parse(&c, "-", &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.bytes, strlen(text));
    cr_assert_str_eq(c.traces[0].album, "1");
    col_free(&c);
    unlink_free(path);
}

/* ---- nested traces ---- */

Test(nested, album_id_before_traces_is_inherited_directly)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "[{\"album_id\": \"77\", \"release_date\": \"2016-10-28\", \"traces\": ["
                    NESTED("Paris") "," NESTED("Lyon") "]}]");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 2);
    cr_assert_eq(n.nested_traces, 2);
    cr_assert_eq(n.traces_without_nstreams, 2);
    cr_assert_eq(c.groups_resolved + c.groups_dropped, 0, "no pending group needed");
    cr_assert_str_eq(c.traces[0].album, "77");
    cr_assert_str_eq(c.traces[1].album, "77");
    col_free(&c);
}

Test(nested, album_id_after_traces_resolves_the_pending_group)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"traces\": [" NESTED("Paris") "," NESTED("Lyon") "], \"genres\": [], "
                    "\"release_date\": \"2016-10-28\", \"album_id\": 77}\n"
                    "{\"release_date\": \"2016-10-28\", \"traces\": [" NESTED("Nice") "], \"album_id\": \"78\"}");
    cr_assert_eq(n.albums, 2);
    cr_assert_eq(n.traces, 3);
    cr_assert_eq(n.nested_traces, 3);
    cr_assert_eq(n.traces_without_nstreams, 3, "pending traces counted when they resolve");
    cr_assert_eq(c.groups_resolved, 2);
    cr_assert_str_eq(c.traces[0].album, "77");
    cr_assert_str_eq(c.traces[1].album, "77");
    cr_assert_str_eq(c.traces[2].album, "78");
    cr_assert_eq(c.albums[0].n_genres, 0, "[] means unlabeled");
    col_free(&c);
}

Test(nested, own_album_id_wins_and_bad_nested_records_are_rejected)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"album_id\": 5, \"release_date\": \"2016-10-28\", \"traces\": ["
                    "{\"album_id\": 6, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1},"
                    "{\"date\": \"2016-11-03\", \"loc_city\": \"B\", \"nusers\": -1},"
                    "{\"album_id\": 9, \"release_date\": \"2016-10-28\"}, 3, {\"foo\": 1}]}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_str_eq(c.traces[0].album, "6");
    cr_assert_eq(n.rejected_by[TG_REJ_NEGATIVE_COUNT], 1);
    cr_assert_eq(n.rejected_by[TG_REJ_NESTED_ALBUM], 1);
    cr_assert_eq(n.rejected_by[TG_REJ_NOT_OBJECT], 1);
    cr_assert_eq(n.rejected_by[TG_REJ_UNCLASSIFIABLE], 1);
    cr_assert_eq(n.records, 6);
    col_free(&c);
}

Test(nested, traces_of_an_album_without_usable_id_are_rejected_as_a_block)
{
    const char *texts[] = {
        "{\"release_date\": \"2016-10-28\", \"traces\": [" NESTED("A") "," NESTED("B") "]}",
        "{\"traces\": [" NESTED("A") "," NESTED("B") "], \"release_date\": \"2016-10-28\", \"album_id\": 4.5}",
        "{\"traces\": [" NESTED("A") "," NESTED("B") "], \"album_id\": 4, \"album_id\": 5, \"release_date\": \"2016-10-28\"}",
    };
    for (size_t i = 0; i < 3; i++) {
        collector c;
        tg_rec_counts n;
        ok_text(&c, &n, texts[i]);
        cr_assert_eq(n.records, 3, "%s", texts[i]);
        cr_assert_eq(n.traces, 0, "%s", texts[i]);
        cr_assert_eq(n.rejected, 3, "%s", texts[i]);
        cr_assert_eq(n.rejected_by[TG_REJ_MISSING_ALBUM_ID], i == 0 ? 3 : 2, "%s", texts[i]);
        cr_assert_eq(c.groups_dropped, 1);
        cr_assert_eq(c.n_traces, 0, "dropped pending traces");
        cr_assert_eq(n.traces_without_nstreams, 0, "rejected traces are not counted there");
        col_free(&c);
    }
}

Test(nested, rejected_album_with_valid_id_still_gives_its_traces)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"traces\": [" NESTED("A") "], \"album_id\": 4, \"release_date\": \"2016-02-30\"}");
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_BAD_DATE], 1);
    cr_assert_str_eq(c.traces[0].album, "4");
    col_free(&c);
}

/* The text with `pad` newlines where "@" is: records.c reads an undecided top-level
 * object ahead only within what yajl was handed, whole lines of one 256 KiB chunk (a line
 * is held whole up to 4 MiB), so a pad of more lines than that leaves the decision to the
 * streaming rules (records.h). spaced() pads with spaces: one long line. */
static char *padded_with(const char *text, size_t pad, char fill)
{
    const char *at = strchr(text, '@');
    cr_assert_not_null(at);
    size_t head = (size_t)(at - text), tail = strlen(at + 1);
    char *s = malloc(head + pad + tail + 1);
    cr_assert_not_null(s);
    memcpy(s, text, head);
    memset(s + head, fill, pad);
    memcpy(s + head + pad, at + 1, tail + 1);
    return s;
}

static char *padded(const char *text, size_t pad)
{
    return padded_with(text, pad, '\n');
}

static char *spaced(const char *text, size_t pad)
{
    return padded_with(text, pad, ' ');
}

#define PAST_A_CHUNK (300u * 1024u)

Test(nested, undecided_traces_key_in_a_large_container)
{
    /* "traces" first and the object's end out of sight: its elements are read as
     * pending traces; the later array of objects makes the object a container, so
     * id-less elements are rejected as one group. */
    char *text = padded("{\"traces\": [" TRACE1("A") "," NESTED("B") "], @\"albums\": [" ALBUM1 "]}",
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_MISSING_ALBUM_ID], 1);
    cr_assert_str_eq(c.traces[0].city, "A");
    cr_assert_eq(c.n_rejects, 1);
    cr_assert_eq(c.rejects[0].count, 1);
    cr_assert_eq(c.rejects[0].offset, 0);
    cr_assert(strncmp(c.rejects[0].text, "{\"traces\": [", 12) == 0, "text: %s", c.rejects[0].text);
    col_free(&c);
    free(text);
}

/* ---- top-level objects: record or container ---- */

Test(containers, every_value_an_array_makes_a_container)
{
    collector c;
    tg_rec_counts n;
    /* keys carry no meaning: "traces" and "genres" can name a container's arrays */
    ok_text(&c, &n, "{\"traces\": [" TRACE1("A") "," NESTED("B") "], \"albums\": [" ALBUM1 "]}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_MISSING_ALBUM_ID], 1, "an id-less element of a container");
    cr_assert_eq(c.rejects[0].count, 1);
    cr_assert_gt(c.rejects[0].offset, 0, "the element itself, not the container");
    col_free(&c);
    ok_text(&c, &n, "{\"genres\": [" ALBUM1 "], \"date\": [" TRACE1("A") "]}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected, 0);
    col_free(&c);
    /* album records with their nested traces in an array named "traces" */
    ok_text(&c, &n, "{\"traces\": [{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"traces\": ["
                    NESTED("A") "]}, {\"album_id\": 2, \"release_date\": \"2016-10-28\", \"traces\": ["
                    NESTED("B") "]}]}");
    cr_assert_eq(n.records, 4);
    cr_assert_eq(n.albums, 2);
    cr_assert_eq(n.nested_traces, 2);
    cr_assert_str_eq(c.traces[0].album, "1");
    cr_assert_str_eq(c.traces[1].album, "2");
    col_free(&c);
    /* a first element that is not an object is a rejected element, not a record */
    ok_text(&c, &n, "{\"albums\": [null, " ALBUM1 "], \"traces\": [" TRACE1("A") "]}");
    cr_assert_eq(n.records, 3);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_NOT_OBJECT], 1);
    col_free(&c);
}

Test(containers, any_other_value_makes_a_record)
{
    collector c;
    tg_rec_counts n;
    /* an unknown key holding objects, first: ignored and counted, in album and trace */
    ok_text(&c, &n, "{\"tracks\": [{\"id\": 7}], \"album_id\": 1, \"release_date\": \"2016-10-28\", "
                    "\"genres\": [\"Pop\"]}\n"
                    "{\"x\": [{\"a\": [{}]}], \"album_id\": 1, \"date\": \"2016-11-03\", "
                    "\"loc_city\": \"A\", \"nusers\": 3}\n");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.unknown_keys, 2);
    col_free(&c);
    /* nested traces first, with an album record among them, then the album's keys */
    ok_text(&c, &n, "{\"traces\": [" NESTED("A") ", {\"album_id\": 9, \"release_date\": \"2016-10-28\"}], "
                    "\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"]}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.nested_traces, 1);
    cr_assert_str_eq(c.traces[0].album, "1");
    cr_assert_eq(n.rejected_by[TG_REJ_NESTED_ALBUM], 1);
    col_free(&c);
    /* before 2026-12-03 this was a malformed document */
    reject_one("{\"a\": [{}], \"b\": 3}", TG_REJ_UNCLASSIFIABLE);
}

Test(containers, a_large_container_that_meets_a_scalar_is_rejected_whole)
{
    /* decided a container before its end was in sight, then a scalar: the records of its
     * arrays stand, the object itself is one unclassifiable reject (no format error) */
    char *text = padded("{\"a\": [" TRACE1("A") "], @\"b\": 3, \"c\": [" TRACE1("C") "]}\n" ALBUM1,
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 3);
    cr_assert_eq(n.traces, 1, "only the array before the scalar");
    cr_assert_eq(n.albums, 1, "the next record is read as usual");
    cr_assert_eq(n.rejected_by[TG_REJ_UNCLASSIFIABLE], 1);
    cr_assert_eq(c.rejects[0].offset, 0);
    cr_assert_eq(c.rejects[0].line, 1);
    col_free(&c);
    free(text);
}

Test(containers, a_large_container_that_meets_an_object_is_rejected_whole)
{
    /* the same with an object for the scalar: the object is skipped whole, and so is the
     * array after it */
    char *text = padded("{\"a\": [" TRACE1("A") "], @\"b\": {\"x\": [" TRACE1("B") "]}, \"c\": ["
                        TRACE1("C") "]}\n" ALBUM1,
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 3);
    cr_assert_eq(n.traces, 1, "only the array before the object");
    cr_assert_str_eq(c.traces[0].city, "A");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_UNCLASSIFIABLE], 1);
    col_free(&c);
    free(text);
}

Test(containers, a_large_container_named_traces_may_hold_album_records)
{
    /* the object's end out of sight, "traces" first: an album record among its elements
     * (no traces of its own) can only be a container's element, as album records do not
     * nest: the object is a container, the id-less element before it is rejected, and
     * the album and the trace after it are records */
    char *text = padded("{\"traces\": [" NESTED("Z") ", {\"album_id\": 1, \"release_date\": "
                        "\"2016-10-28\", \"genres\": [\"Pop\"]}, " TRACE1("A") " @]}",
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 3);
    cr_assert_eq(n.albums, 1);
    cr_assert_str_eq(c.albums[0].genres, "Pop");
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.nested_traces, 0);
    cr_assert_str_eq(c.traces[0].city, "A");
    cr_assert_eq(n.rejected_by[TG_REJ_MISSING_ALBUM_ID], 1, "Z: an id-less container element");
    col_free(&c);
    free(text);
}

Test(containers, a_large_containers_first_elements_need_not_be_objects)
{
    /* the object's end out of sight: the array decides on its first object, and the
     * elements before it are rejected (one reject, their count); with no object in the
     * array, it was a record's unknown key */
    char *text = padded("{\"albums\": [null, [2], " ALBUM1 " @], \"traces\": [" TRACE1("A") "]}\n"
                        "{\"x\": [1, 2], \"album_id\": 2, \"release_date\": \"2016-10-28\"}\n",
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 5);
    cr_assert_eq(n.albums, 2);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_NOT_OBJECT], 2);
    cr_assert_eq(c.n_rejects, 1);
    cr_assert_eq(c.rejects[0].count, 2);
    cr_assert_eq(c.rejects[0].offset, 16, "the first one's place: %llu",
                 (unsigned long long)c.rejects[0].offset);
    cr_assert_eq(n.unknown_keys, 1, "x, on the second line's record");
    col_free(&c);
    free(text);
    /* the same record with its unknown array out of sight too */
    text = padded("{\"x\": [1, 2 @], \"album_id\": 2, \"release_date\": \"2016-10-28\"}", PAST_A_CHUNK);
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 1);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.unknown_keys, 1);
    col_free(&c);
    free(text);
}

Test(containers, a_large_container_named_traces_keeps_its_albums_traces)
{
    /* the object's end out of sight, "traces" first: its elements are read as nested
     * traces until one has traces of its own, which only an album record has */
    char *text = padded("{\"traces\": [" NESTED("Z") ", {\"traces\": [" NESTED("A") "], \"album_id\": 1, "
                        "\"release_date\": \"2016-10-28\"}, {\"album_id\": 2, \"release_date\": "
                        "\"2016-10-28\", \"traces\": [" NESTED("B") "]} @]}",
                        PAST_A_CHUNK);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 5);
    cr_assert_eq(n.albums, 2);
    cr_assert_eq(n.nested_traces, 2);
    cr_assert_eq(n.rejected_by[TG_REJ_MISSING_ALBUM_ID], 1, "Z: an id-less container element");
    cr_assert_eq(n.unknown_keys, 0);
    cr_assert_eq(c.n_traces, 2);
    cr_assert_str_eq(c.traces[0].album, "1");
    cr_assert_str_eq(c.traces[0].city, "A");
    cr_assert_str_eq(c.traces[1].album, "2");
    col_free(&c);
    free(text);
}

Test(containers, a_long_record_line_is_classified_whole)
{
    /* a record on one line of over 1 MiB whose unknown key holds objects: the line
     * reaches yajl whole, so the read-ahead sees its end and its scalars make it a
     * record (up to 2026-12-03 lines over 64 KiB were not held: a container, rejected) */
    char *text = spaced("{\"x\": [{\"a\": 1} @], \"album_id\": 2, \"release_date\": "
                        "\"2016-10-28\", \"genres\": [\"Pop\"]}\n" TRACE1("A") "\n",
                        (size_t)1 << 20);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 2);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.unknown_keys, 1);
    cr_assert_eq(n.rejected, 0);
    col_free(&c);
    free(text);
}

Test(containers, a_line_longer_than_held_streams_and_the_next_is_held_again)
{
    /* a container on one line past TG_REC_LINE_MAX goes to yajl as it comes (the
     * streaming rules decide it); the short line after it is held whole again, so its
     * record with an array of objects first is read ahead and found a record */
    char *text = spaced("{\"albums\": [" ALBUM1 " @], \"traces\": [" TRACE1("A") "]}\n"
                        "{\"tracks\": [{\"id\": 7}], \"album_id\": 2, \"release_date\": "
                        "\"2016-10-28\"}\n",
                        TG_REC_LINE_MAX + 300u * 1024u);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(n.records, 3);
    cr_assert_eq(n.albums, 2);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.unknown_keys, 1, "tracks");
    cr_assert_eq(n.rejected, 0);
    col_free(&c);
    free(text);
}

Test(containers, a_record_across_two_chunks_is_classified_whole)
{
    /* traces up to just before the first 256 KiB chunk's end, then a record whose first
     * key holds objects, straddling it: it reaches yajl whole (records.c's carry), so it
     * is read ahead to its end and found a record; then a reject whose place must
     * survive the carry */
    const char *odd = "{\"tracks\": [{\"id\": 7}], \"album_id\": 1, \"release_date\": \"2016-10-28\", "
                      "\"genres\": [\"Pop\"]}\n";
    const char *bad = "{\"album_id\": 1, \"date\": \"2016-13-03\", \"loc_city\": \"A\", \"nusers\": 3}\n";
    const char *line = TRACE1("A") "\n";
    size_t chunk = TG_INPUT_CHUNK, n = 0, lines = 0;
    char *text = malloc(chunk + 4096);
    cr_assert_not_null(text);
    while (n + strlen(line) < chunk - 20) {
        memcpy(text + n, line, strlen(line));
        n += strlen(line);
        lines++;
    }
    size_t odd_at = n;
    memcpy(text + n, odd, strlen(odd));
    n += strlen(odd);
    cr_assert(odd_at < chunk && n > chunk, "the record must straddle the chunk's end");
    size_t bad_at = n;
    memcpy(text + n, bad, strlen(bad) + 1);
    collector c;
    tg_rec_counts nc;
    ok_text(&c, &nc, text);
    cr_assert_eq(nc.albums, 1);
    cr_assert_eq(nc.traces, lines);
    cr_assert_eq(nc.unknown_keys, 1);
    cr_assert_eq(nc.rejected, 1);
    cr_assert_eq(c.rejects[0].reason, TG_REJ_BAD_DATE);
    cr_assert_eq(c.rejects[0].offset, bad_at);
    cr_assert_eq(c.rejects[0].line, lines + 2);
    col_free(&c);
    free(text);
}

/* ---- keys of the other kind of record ---- */

Test(keys, the_other_kinds_keys_are_unknown_keys)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n,
            "{\"album_id\": 1, \"date\": \"2016-11-05\", \"loc_city\": \"A\", \"nusers\": 3, \"release_date\": null}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-06\", \"loc_city\": \"A\", \"nusers\": 3, \"genres\": 5, \"genres\": 6}\n"
            "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"nusers\": \"x\", \"nstreams\": -1, \"date\": 7, \"age\": [1]}\n");
    cr_assert_eq(n.traces, 2);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.rejected, 0);
    cr_assert_eq(n.unknown_keys, 7, "got %llu", (unsigned long long)n.unknown_keys);
    col_free(&c);
    /* the record's own keys are still checked */
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-05\", \"loc_city\": \"A\", \"nusers\": 3, "
               "\"release_date\": null, \"nstreams\": null}", TG_REJ_WRONG_TYPE);
}

/* ---- album ids ---- */

Test(ids, normalisation)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n,
            "{\"album_id\": 42, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": \"42\", \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": \"042\", \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": \" 42\", \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": \"-5\", \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": 0, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": 123456789012345678901234567890, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            /* an integer, so the spec's "integer or string": the same album as "-5" */
            "{\"album_id\": -5, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            /* the integer -0 is 0; the string "-0" is as it is */
            "{\"album_id\": -0, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": \"-0\", \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n");
    cr_assert_eq(n.traces, 10);
    cr_assert_str_eq(c.traces[0].album, "42");
    cr_assert_str_eq(c.traces[1].album, "42");
    cr_assert_str_eq(c.traces[2].album, "042");
    cr_assert_str_eq(c.traces[3].album, " 42");
    cr_assert_str_eq(c.traces[4].album, "-5");
    cr_assert_str_eq(c.traces[5].album, "0");
    cr_assert_str_eq(c.traces[6].album, "123456789012345678901234567890");
    cr_assert_str_eq(c.traces[7].album, "-5");
    cr_assert_str_eq(c.traces[8].album, "0");
    cr_assert_str_eq(c.traces[9].album, "-0");
    col_free(&c);
}

Test(ids, bad_ids_are_rejected)
{
    const char *ids[] = {"42.0", "4e1", "-5e0", "\"\"", "4E+1", "-4.5", "true", "null", "[1]",
                         "{\"a\": 1}"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"album_id\": %s, \"release_date\": \"2016-10-28\"}", ids[i]);
        reject_one(text, i < 6 ? TG_REJ_BAD_ALBUM_ID : TG_REJ_WRONG_TYPE);
    }
}

/* The spec sets no length to an id: any length is an id up to TG_REC_MAX_STR, which
 * only bounds what hostile input makes a slot hold; past it, too_long. */
Test(ids, long_ids_are_ids_up_to_the_limit)
{
    static const size_t lens[] = {300, 70000, TG_REC_MAX_STR, TG_REC_MAX_STR + 1};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (int number = 0; number <= 1; number++) {
            char *text = run_of(number ? "{\"album_id\": " : "{\"album_id\": \"", '7', lens[i],
                                number ? ", \"release_date\": \"2016-10-28\"}"
                                       : "\", \"release_date\": \"2016-10-28\"}");
            if (lens[i] > TG_REC_MAX_STR) {
                reject_one(text, TG_REJ_TOO_LONG);
            } else {
                collector c;
                tg_rec_counts n;
                ok_text(&c, &n, text);
                cr_assert_eq(c.n_albums, 1, "an id of %zu bytes", lens[i]);
                cr_assert_eq(c.albums[0].album_len, lens[i]);
                cr_assert_eq(c.albums[0].album_hash, filler_hash('7', lens[i]));
                col_free(&c);
            }
            free(text);
        }
}

/* ---- rejections ---- */

Test(rejects, a_string_element_keeps_its_json_text)
{
    /* yajl hands over a string decoded: the reject's text quotes and escapes it again,
     * so that "7" and 7 stay apart */
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "[\"abc\", \"a\\\"b\\n\\u0001\", 7, \"7\"]");
    cr_assert_eq(c.n_rejects, 4);
    cr_assert_str_eq(c.rejects[0].text, "\"abc\"");
    cr_assert_str_eq(c.rejects[1].text, "\"a\\\"b\\n\\u0001\"");
    cr_assert_str_eq(c.rejects[2].text, "7");
    cr_assert_str_eq(c.rejects[3].text, "\"7\"");
    for (size_t k = 0; k < c.n_rejects; k++)
        cr_assert_eq(c.rejects[k].reason, TG_REJ_NOT_OBJECT);
    col_free(&c);
    /* a string longer than the text limit is cut, and says so */
    size_t big = TG_REC_MAX_TEXT + 100;
    char *text = malloc(big + 8);
    cr_assert_not_null(text);
    text[0] = '[', text[1] = '"';
    memset(text + 2, 'x', big);
    memcpy(text + 2 + big, "\"]", 3);
    ok_text(&c, &n, text);
    cr_assert_eq(c.n_rejects, 1);
    cr_assert(c.rejects[0].truncated);
    cr_assert_eq(c.rejects[0].text[0], '"');
    cr_assert_leq(c.rejects[0].text_len, TG_REC_MAX_TEXT);
    col_free(&c);
    free(text);
}

Test(rejects, each_reason)
{
    /* a NUL would cut the name in the store's HDF5 strings: city, album id, genre */
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Pa\\u0000ris\", \"nusers\": 1}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": \"1\\u0000\", \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"]}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Po\\u0000p\"]}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": 1, \"nusers\": 3}", TG_REJ_UNCLASSIFIABLE);
    /* no kind, but a known key of the wrong type: that is the clearer reason */
    reject_one("{\"album_id\": null, \"nusers\": 3}", TG_REJ_WRONG_TYPE);
    reject_one("{}", TG_REJ_UNCLASSIFIABLE);
    reject_one("[3]", TG_REJ_NOT_OBJECT);
    reject_one("[[{\"album_id\": 1}]]", TG_REJ_NOT_OBJECT);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"album_id\": 1}", TG_REJ_DUPLICATE_KEY);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"nusers\": 2}", TG_REJ_DUPLICATE_KEY);
    reject_one("{\"release_date\": \"2016-10-28\"}", TG_REJ_MISSING_ALBUM_ID);
    reject_one("{\"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}", TG_REJ_MISSING_ALBUM_ID);
    reject_one("{\"album_id\": 1, \"genres\": [\"Pop\"]}", TG_REJ_MISSING_FIELD);
    reject_one("{\"album_id\": 1, \"loc_city\": \"A\", \"nusers\": 1}", TG_REJ_MISSING_FIELD);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\"}", TG_REJ_MISSING_FIELD);
    reject_one("{\"album_id\": 1, \"release_date\": \"2017-02-29\"}", TG_REJ_BAD_DATE);
    reject_one("{\"album_id\": 1, \"release_date\": \"2017-2-01\"}", TG_REJ_BAD_DATE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03T00:00\", \"loc_city\": \"A\", \"nusers\": 1}", TG_REJ_BAD_DATE);
    reject_one("{\"album_id\": 1, \"release_date\": 20161028}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": \"Pop\"}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\", 3]}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [[\"Pop\"]]}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": 5, \"nusers\": 1}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": \"3\"}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": null}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"age\": 25}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"platform_name\": {}}", TG_REJ_WRONG_TYPE);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 3.0}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1e2}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"nstreams\": 0.5}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": -1}", TG_REJ_NEGATIVE_COUNT);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"nstreams\": -7}", TG_REJ_NEGATIVE_COUNT);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 4294967296}", TG_REJ_COUNT_OVERFLOW);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 99999999999}", TG_REJ_COUNT_OVERFLOW);
    /* the order between reasons of one count: a fraction or exponent, then the sign,
     * then the size */
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": -1.5}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": -0e0}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1E+2}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 5e-1}", TG_REJ_NOT_INTEGER);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": -99999999999}", TG_REJ_NEGATIVE_COUNT);
    /* a city: any length up to the limit (records.h), then too_long */
    char *text = run_of("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"", 'c',
                        TG_REC_MAX_STR + 1, "\", \"nusers\": 1}");
    reject_one(text, TG_REJ_TOO_LONG);
    free(text);
    text = run_of("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"", 'c',
                  TG_REC_MAX_STR, "\", \"nusers\": 1}");
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(c.n_traces, 1);
    cr_assert_eq(c.traces[0].city_len, TG_REC_MAX_STR);
    cr_assert_eq(c.traces[0].city_hash, filler_hash('c', TG_REC_MAX_STR));
    col_free(&c);
    free(text);
    /* age and platform_name are checked for their type but not kept: any length */
    const char *keys[] = {"age", "platform_name"};
    for (int k = 0; k < 2; k++) {
        char before[128];
        snprintf(before, sizeof before,
                 "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"%s\": \"",
                 keys[k]);
        text = run_of(before, 'a', 2 * TG_REC_MAX_STR, "\"}");
        ok_text(&c, &n, text);
        cr_assert_eq(n.traces, 1, "a long %s", keys[k]);
        col_free(&c);
        free(text);
    }
}

/* text, one album record: too_long when over, else an album of n_genres genres (those
 * of want, when given). */
static void genres_case(const char *text, int over, size_t n_genres, const tg_str *want)
{
    if (over) {
        reject_one(text, TG_REJ_TOO_LONG);
        return;
    }
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(c.n_albums, 1);
    cr_assert_eq(c.albums[0].n_genres, n_genres);
    if (want != NULL)
        cr_assert_eq(c.albums[0].genres_hash, col_genres_hash(want, n_genres));
    col_free(&c);
}

/* An album's genres: up to TG_REC_MAX_GENRES names and TG_REC_MAX_STR bytes together. */
/* "\u" escapes that are no UTF-16 pair: yajl decodes them lossily ('?', a wrong
 * character, invalid UTF-8), so a kept name holding one is bad_string (records.h). */
Test(rejects, escapes_that_are_no_utf16_pair)
{
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Paris\\ud800\", \"nusers\": 1}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Paris\\ud800\\u0041\", \"nusers\": 1}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": \"1\\udc00\", \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"]}",
               TG_REJ_BAD_STRING);
    reject_one("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\", \"R\\udfff\\ud800\"]}",
               TG_REJ_BAD_STRING);
    /* a nested trace's city: its own reject, the album stays */
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"], \"traces\": ["
                    NESTED("A\\udc00") ", " NESTED("B") "]}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.rejected_by[TG_REJ_BAD_STRING], 1);
    cr_assert_str_eq(c.traces[0].city, "B");
    col_free(&c);
    /* accepted: a pair is its character; an escaped backslash before "ud800" is text;
     * a bad escape in a value or a key that is not kept changes nothing, and does not
     * spill over to the names after it */
    ok_text(&c, &n, "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"\\ud83c\\udfb5\", \"nusers\": 1}\n"
                    "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"\\\\ud800\", \"nusers\": 1}\n"
                    "{\"album_id\": 1, \"date\": \"2016-11-03\", \"age\": \"\\ud800\", \"platform_name\": \"\\udc00\", "
                    "\"x\\ud800\": \"\\udc00\", \"loc_city\": \"C\", \"nusers\": 1}\n"
                    "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"], \"note\": \"\\ud800\"}");
    cr_assert_eq(n.rejected, 0);
    cr_assert_eq(n.traces, 3);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.unknown_keys, 2);
    cr_assert_str_eq(c.traces[0].city, "\xF0\x9F\x8E\xB5");
    cr_assert_str_eq(c.traces[1].city, "\\ud800");
    cr_assert_str_eq(c.traces[2].city, "C");
    cr_assert_str_eq(c.albums[0].genres, "Pop");
    col_free(&c);
}

/* On a line too long to hold, pieces end where the input's chunks do: a city whose
 * escape straddles a chunk's end is judged as on a short line, at every cut. */
Test(rejects, a_bad_escape_across_chunks_of_a_long_line)
{
    const char *head = "{\"traces\": [" TRACE1("A") ", ";
    const char *pre = "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Paris";
    const char *tail = "\", \"nusers\": 3}]}\n";
    const char *esc[2] = {"\\ud83c\\udfb5", "\\ud800\\u0041"};
    const size_t cut_at = TG_REC_LINE_MAX + TG_INPUT_CHUNK;   /* a piece's start */
    for (int bad = 0; bad < 2; bad++)
        for (size_t k = 0; k <= strlen(esc[bad]); k += bad ? 1 : 3) {
            /* the escape starts k bytes before the cut */
            size_t hl = strlen(head), pl = strlen(pre), el = strlen(esc[bad]), tl = strlen(tail);
            size_t pad = cut_at - k - hl - pl, len = hl + pad + pl + el + tl;
            char *text = malloc(len + 1);
            cr_assert_not_null(text);
            memcpy(text, head, hl);
            memset(text + hl, ' ', pad);
            memcpy(text + hl + pad, pre, pl);
            memcpy(text + hl + pad + pl, esc[bad], el);
            memcpy(text + hl + pad + pl + el, tail, tl + 1);
            collector c;
            tg_rec_counts n;
            ok_text(&c, &n, text);
            cr_assert_eq(n.records, 2);
            cr_assert_eq(n.rejected_by[TG_REJ_BAD_STRING], bad, "escape %s cut %zu bytes in",
                         esc[bad], k);
            cr_assert_eq(n.traces, 2 - (size_t)bad);
            if (!bad)
                cr_assert_str_eq(c.traces[1].city, "Paris\xF0\x9F\x8E\xB5", "cut %zu bytes in", k);
            col_free(&c);
            free(text);
        }
}

Test(rejects, genre_limits)
{
    for (int extra = 0; extra <= 1; extra++) {
        size_t n_genres = TG_REC_MAX_GENRES + (size_t)extra;
        char *text = malloc(64 + 6 * n_genres);
        cr_assert_not_null(text);
        size_t at = (size_t)sprintf(text, "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [");
        for (size_t g = 0; g < n_genres; g++)
            at += (size_t)sprintf(text + at, "%s\"%c\"", g ? ", " : "", 'a' + (int)(g % 26));
        strcpy(text + at, "]}");
        genres_case(text, extra, n_genres, NULL);
        free(text);
        /* two names of half the limit, then one byte more */
        size_t half = TG_REC_MAX_STR / 2;
        char *second = run_of("\", \"", 'h', half + (size_t)extra, "\"]}");
        char *first = run_of("{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"", 'g',
                             half, second);
        char *g = run_of("", 'g', half, ""), *h = run_of("", 'h', half, "");
        tg_str want[2] = {{g, half}, {h, half}};
        genres_case(first, extra, 2, want);
        free(g);
        free(h);
        free(first);
        free(second);
    }
}

/* A slot's string buffers grow in the middle of a record (a genre list moves its bytes
 * while it is read) and are kept for the next records: every name must come out whole,
 * long after short and short after long, in both slots (a nested trace is slot 1). */
Test(records, string_buffers_grow_and_are_kept)
{
    enum { LONG = 5000, GENRES = 300 };
    char *genre[GENRES];
    tg_str want[GENRES];
    size_t cap = 1 << 20, at = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    char *city = run_of("", 'c', LONG, ""), *id = run_of("", '9', 3000, "");
    at += (size_t)snprintf(text + at, cap - at,
                           "{\"album_id\": %s, \"date\": \"2016-11-03\", \"loc_city\": \"%s\", \"nusers\": 1}\n"
                           "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Lyon\", \"nusers\": 1}\n"
                           "{\"album_id\": \"%s\", \"date\": \"2016-11-03\", \"loc_city\": \"%s\", \"nusers\": 1}\n"
                           "{\"album_id\": 2, \"release_date\": \"2016-10-28\", \"genres\": [",
                           id, city, id, city);
    for (int g = 0; g < GENRES; g++) {
        genre[g] = run_of("", (char)('a' + g % 26), (size_t)(g % 50 + 1), "");
        want[g] = (tg_str){genre[g], strlen(genre[g])};
        at += (size_t)snprintf(text + at, cap - at, "%s\"%s\"", g ? ", " : "", genre[g]);
    }
    at += (size_t)snprintf(text + at, cap - at,
                           "]}\n{\"album_id\": 3, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\", \"Rap\"],"
                           " \"traces\": [" NESTED("Nice") ", {\"date\": \"2016-11-03\", \"loc_city\": \"%s\", \"nusers\": 2}, "
                           NESTED("Pau") "]}\n",
                           city);
    cr_assert_lt(at, cap);
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, text);
    cr_assert_eq(c.n_traces, 6);
    cr_assert_eq(c.n_albums, 2);
    uint64_t long_city = filler_hash('c', LONG), long_id = filler_hash('9', 3000);
    const size_t city_len[6] = {LONG, 4, LONG, 4, LONG, 3};
    for (int t = 0; t < 6; t++) {
        cr_assert_eq(c.traces[t].city_len, city_len[t], "trace %d", t);
        if (city_len[t] == LONG)
            cr_assert_eq(c.traces[t].city_hash, long_city, "trace %d", t);
    }
    cr_assert_str_eq(c.traces[1].city, "Lyon");
    cr_assert_str_eq(c.traces[3].city, "Nice");
    cr_assert_str_eq(c.traces[5].city, "Pau");
    cr_assert(c.traces[0].album_len == 3000 && c.traces[0].album_hash == long_id);
    cr_assert(c.traces[2].album_len == 3000 && c.traces[2].album_hash == long_id);
    cr_assert_str_eq(c.traces[1].album, "1");
    cr_assert_str_eq(c.traces[4].album, "3");
    cr_assert_eq(c.albums[0].n_genres, GENRES);
    cr_assert_eq(c.albums[0].genres_hash, col_genres_hash(want, GENRES));
    cr_assert_str_eq(c.albums[1].genres, "Pop|Rap");
    col_free(&c);
    for (int g = 0; g < GENRES; g++)
        free(genre[g]);
    free(city);
    free(id);
    free(text);
}

/* The record layer remembers the last date it parsed (records arrive in day order): a
 * repeat, a change, an invalid date between two equal ones, and a release date equal to
 * the trace date must each give their own day. */
Test(rejects, repeated_dates_give_their_own_days)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n,
            "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"B\", \"nusers\": 1}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-04\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-34\", \"loc_city\": \"A\", \"nusers\": 1}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-04\", \"loc_city\": \"C\", \"nusers\": 1}\n"
            "{\"album_id\": 1, \"release_date\": \"2016-11-04\", \"genres\": [\"Pop\"]}\n"
            "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"D\", \"nusers\": 1}\n");
    cr_assert_eq(n.rejected_by[TG_REJ_BAD_DATE], 1);
    cr_assert_eq(c.n_traces, 5);
    static const int32_t want[] = {17108, 17108, 17109, 17109, 17108};
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(c.traces[i].day, want[i], "trace %zu: day %d", i, (int)c.traces[i].day);
    cr_assert_eq(c.n_albums, 1);
    cr_assert_eq(c.albums[0].day, 17109);
    col_free(&c);
}

Test(rejects, limits_of_counts_and_400_digits)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 4294967295, \"nstreams\": 0}\n"
                    "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": -0}");
    cr_assert_eq(n.traces, 2);
    cr_assert_eq(c.traces[0].nusers, 4294967295u);
    cr_assert_eq(c.traces[0].has_nstreams, 1);
    cr_assert_eq(c.traces[1].nusers, 0);
    cr_assert_eq(c.traces[1].has_nstreams, 0);
    col_free(&c);
    char text[1024];
    int k = snprintf(text, sizeof text, "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": ");
    memset(text + k, '9', 400);
    snprintf(text + k + 400, sizeof text - (size_t)k - 400, "}");
    reject_one(text, TG_REJ_COUNT_OVERFLOW);
    text[k + 3] = '.';
    reject_one(text, TG_REJ_NOT_INTEGER);
}

Test(rejects, unknown_keys_are_counted_and_accepted)
{
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"label\": \"x\", \"extra\": {\"a\": [1, {\"b\": 2}]}}\n"
                    "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"A\", \"nusers\": 1, \"country\": \"FR\", "
                    "\"age\": \"18-24\", \"platform_name\": \"ios\"}");
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    cr_assert_eq(n.unknown_keys, 3, "keys inside unknown values are not counted");
    col_free(&c);
}

Test(rejects, offset_line_file_and_text_cut_at_4k)
{
    char *big = malloc(20000);
    cr_assert_not_null(big);
    int k = sprintf(big, "%s\n\n  {\"album_id\": 1, \"x\": \"", ALBUM1);
    memset(big + k, 'y', 10000);
    sprintf(big + k + 10000, "\"}\n");
    char *path = tmp_str(".ndjson", big);
    collector c;
    col_init(&c);
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(col_parse(&c, path, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(c.n_rejects, 1);
    col_reject *r = &c.rejects[0];
    cr_assert_eq(r->reason, TG_REJ_UNCLASSIFIABLE);
    cr_assert_eq(r->offset, strlen(ALBUM1) + 4);
    cr_assert_eq(r->line, 3);
    cr_assert_str_eq(r->file, path);
    cr_assert_eq(r->text_len, TG_REC_MAX_TEXT);
    cr_assert(r->truncated);
    cr_assert(memcmp(r->text, big + r->offset, TG_REC_MAX_TEXT) == 0);
    col_free(&c);
    unlink_free(path);
    free(big);

    /* a short record's text is exactly its bytes, also across input chunks */
    collector c2;
    tg_rec_counts n2;
    ok_text(&c2, &n2, "[ {\"album_id\": 1,\n \"nusers\": 2} ]");
    cr_assert_eq(c2.n_rejects, 1);
    cr_assert_str_eq(c2.rejects[0].text, "{\"album_id\": 1,\n \"nusers\": 2}");
    cr_assert_eq(c2.rejects[0].truncated, 0);
    cr_assert_eq(c2.rejects[0].offset, 2);
    col_free(&c2);
}

Test(rejects, strict_consumer_stops_the_parse)
{
    char *path = tmp_str(".ndjson", ALBUM1 "\n{\"album_id\": 1}\n" TRACE1("A") "\n");
    collector c;
    col_init(&c);
    c.strict = 1;
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(col_parse(&c, path, &n, &e), TG_ERR_RECORD);
    cr_assert(strstr(e.msg, "unclassifiable") != NULL, "%s", e.msg);
    cr_assert_eq(c.n_traces, 0);
    col_free(&c);
    unlink_free(path);
}

Test(rejects, raw_text_is_exact_across_input_chunks)
{
    /* a few thousand rejected records of varying size span several 256 KiB chunks */
    size_t cap = 4u << 20, used = 0;
    char *d = malloc(cap);
    cr_assert_not_null(d);
    for (int i = 0; used + 2048 < cap; i++) {
        used += (size_t)sprintf(d + used, "{\"album_id\": %d, \"pad\": \"%0*d\"}\r\n", i, 1 + (i * 37) % 1500, i);
        if (i % 3 == 0)
            used += (size_t)sprintf(d + used, "\n");
    }
    char *path = tmp_write(".ndjson", d, used);
    collector c;
    col_init(&c);
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(col_parse(&c, path, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_gt(c.n_rejects, 3000);
    cr_assert_eq(n.rejected_by[TG_REJ_UNCLASSIFIABLE], c.n_rejects);
    cr_assert_eq(n.unknown_keys, c.n_rejects);
    uint64_t line = 1, at = 0;
    for (size_t i = 0; i < c.n_rejects; i++) {
        col_reject *r = &c.rejects[i];
        cr_assert_lt(r->offset + r->text_len, used + 1);
        cr_assert_eq(r->truncated, 0);
        cr_assert(memcmp(r->text, d + r->offset, r->text_len) == 0, "record %zu at %llu", i,
                  (unsigned long long)r->offset);
        cr_assert_eq(r->text[r->text_len - 1], '}');
        for (; at < r->offset; at++)
            line += d[at] == '\n';
        cr_assert_eq(r->line, line, "record %zu", i);
    }
    col_free(&c);
    unlink_free(path);
    free(d);
}

/* ---- malformed documents ---- */

Test(malformed, each_kind_names_file_byte_and_line)
{
    malformed_str(ALBUM1 "\n{\"album_id\": 1, \"da", strlen(ALBUM1) + 20, 2);       /* truncated */
    malformed_str("[" ALBUM1 ",", strlen(ALBUM1) + 2, 1);                           /* truncated */
    malformed_str("{\"a\": 1,}", 9, 1);                                               /* stray comma */
    malformed_str("[" ALBUM1 ",]", strlen(ALBUM1) + 3, 1);                          /* stray comma */
    malformed_str("\n\n{\"album_id\": \"abc}\n", 20, 3);                               /* newline in string */
    malformed_str("{\"album_id\": \"abc", 17, 1);                                   /* unterminated */
    malformed_str("42", 2, 1);                                                         /* top-level scalar */
    malformed_str("\"x\"\n", 3, 1);
    malformed_str("\r\n" ALBUM1 "\r\nnull", strlen(ALBUM1) + 8, 3);
    malformed_str(ALBUM1 "\n{\"loc_city\": \"Par\xff\xfeis\"}", strlen(ALBUM1) + 19, 2); /* bad UTF-8 */
    malformed("{\"a\"\0: 1}", 9, 5, 1);                                               /* NUL byte */
    malformed("\xEF\xBB\xBF\xEF\xBB\xBF{}", 8, 4, 1);                                 /* two BOMs */
    /* \v and \f, which yajl's lexer takes for whitespace: JSON's is only space, tab,
     * newline and carriage return; the error is at the byte itself */
    malformed_str(ALBUM1 "\n{\"album_id\":\f 1}", strlen(ALBUM1) + 13, 2);
    malformed_str("\v" ALBUM1, 0, 1);
    malformed_str("[\"P\vop\"]", 3, 1);                                              /* in a string */
    /* UTF-8 of the right shape that RFC 3629 forbids, which yajl lets through: the error
     * is just past the byte that makes it malformed (as yajl's), in a kept name or not */
    malformed_str("[\"Pa\xC0\x80\"]", 5, 1);                                         /* overlong NUL */
    malformed_str(ALBUM1 "\n{\"loc_city\": \"Pa\xE0\x9F\xBFris\"}", strlen(ALBUM1) + 19, 2);
    malformed_str("{\"age\": \"\xED\xA0\x80\"}", 11, 1);                              /* surrogate */
    malformed_str("{\"x\xF0\x8F\xBF\xBF\": 1}", 5, 1);                                /* in a key */
    malformed_str("[\"\xF4\x90\x80\x80\"]", 4, 1);                                   /* past U+10FFFF */
    malformed_str("[\"\xF5\x80\x80\x80\"]", 3, 1);
}

/* On a line too long to hold, pieces end where the input's chunks do: a character cut
 * by a chunk's end is judged whole, valid or not. */
Test(malformed, utf8_across_chunks_of_a_long_line)
{
    const char *forms[] = {"\xF4\x8F\xBF\xBF", "\xED\x9F\xBF", "\xF4\x90\x80\x80", "\xED\xA0\x80"};
    const size_t cut_at = TG_REC_LINE_MAX + TG_INPUT_CHUNK;   /* a piece's start */
    const char *head = "{\"traces\": [" TRACE1("A") ", ";
    const char *pre = "{\"album_id\": 1, \"date\": \"2016-11-03\", \"loc_city\": \"Paris";
    const char *tail = "\", \"nusers\": 3}]}\n";
    for (int f = 0; f < 4; f++)
        for (size_t k = 1; k < strlen(forms[f]); k++) {
            size_t hl = strlen(head), pl = strlen(pre), fl = strlen(forms[f]), tl = strlen(tail);
            size_t pad = cut_at - k - hl - pl, len = hl + pad + pl + fl + tl;
            char *text = malloc(len + 1);
            cr_assert_not_null(text);
            memcpy(text, head, hl);
            memset(text + hl, ' ', pad);
            memcpy(text + hl + pad, pre, pl);
            memcpy(text + hl + pad + pl, forms[f], fl);
            memcpy(text + hl + pad + pl + fl, tail, tl + 1);
            if (f < 2) {
                collector c;
                tg_rec_counts n;
                ok_text(&c, &n, text);
                cr_assert_eq(n.traces, 2, "%s cut %zu bytes in", forms[f], k);
                cr_assert(strcmp(c.traces[1].city + 5, forms[f]) == 0, "cut %zu bytes in", k);
                col_free(&c);
            } else {
                malformed(text, len, cut_at - k + 2, 1);   /* past its second byte */
            }
            free(text);
        }
}

Test(malformed, deep_nesting_is_bounded_and_an_error)
{
    size_t depth = 100000;
    char *d = malloc(2 * depth);
    cr_assert_not_null(d);
    memset(d, '[', depth);
    memset(d + depth, ']', depth);
    malformed(d, 2 * depth, TG_REC_MAX_DEPTH + 1, 1);
    /* objects: {"a":{"a":... */
    size_t used = 0;
    for (size_t i = 0; i < depth / 10; i++) {
        memcpy(d + used, "{\"a\":", 5);
        used += 5;
    }
    malformed(d, used, 5 * TG_REC_MAX_DEPTH + 1, 1);
    free(d);
    /* deep but within the limit, inside an unknown key: accepted (the record and the
     * key's array are two of the levels) */
    enum { LEVELS = TG_REC_MAX_DEPTH - 1 };
    char ok[2 * LEVELS + 128];
    int k = sprintf(ok, "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"deep\": ");
    memset(ok + k, '[', LEVELS);
    memset(ok + k + LEVELS, ']', LEVELS);
    sprintf(ok + k + 2 * LEVELS, "}");
    collector c;
    tg_rec_counts n;
    ok_text(&c, &n, ok);
    cr_assert_eq(n.albums, 1);
    col_free(&c);
}

Test(malformed, accepted_oddities)
{
    const char *texts[] = {"", "   \n\r\n\t ", "\xEF\xBB\xBF" ALBUM1 "\r\n", "[]", "{\"a\": [], \"b\": []}",
                           "\xEF\xBB\xBF"};
    uint64_t albums[] = {0, 0, 1, 0, 0, 0};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        collector c;
        tg_rec_counts n;
        ok_text(&c, &n, texts[i]);
        cr_assert_eq(n.records, albums[i], "text %zu", i);
        cr_assert_eq(n.albums, albums[i], "text %zu", i);
        col_free(&c);
    }
}

/* ---- synth: every layout, plain and .zst, gives the same records ---- */

static char *run_synth(const char *layout, const char *ext)
{
    const char *synth = getenv("SYNTH");
    cr_assert_not_null(synth, "SYNTH not set (run through meson test)");
    char *path = malloc(256);
    cr_assert_not_null(path);
    snprintf(path, 256, "/tmp/tg_ingest_synth_%d_%s%s", (int)getpid(), layout, ext);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --albums 40 --traces 4000 --seed 7 --layout %s -q --force -o '%s'",
             synth, layout, path);
    int st = system(cmd);
    cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", cmd);
    return path;
}

Test(synth, every_layout_gives_the_same_records, .timeout = 100)
{
    const char *layouts[] = {"ndjson", "array", "object", "nested"};
    uint64_t want_sum = 0, want_traces = 0, want_albums = 0;
    for (size_t i = 0; i < 4; i++) {
        for (int zst = 0; zst < 2; zst++) {
            char *path = run_synth(layouts[i], zst ? ".json.zst" : ".json");
            collector c;
            col_init(&c);
            tg_rec_counts n;
            tg_error e = {0};
            cr_assert_eq(col_parse(&c, path, &n, &e), TG_OK, "%s", e.msg);
            assert_balanced(&n);
            cr_assert_eq(n.rejected, 0, "%s: %llu rejected", layouts[i], (unsigned long long)n.rejected);
            cr_assert_eq(c.n_traces, n.traces);
            cr_assert_gt(n.traces, 1000);
            if (i == 3)
                cr_assert_eq(n.nested_traces, n.traces);
            uint64_t sum = col_checksum(&c);
            if (i == 0 && zst == 0) {
                want_sum = sum;
                want_traces = n.traces;
                want_albums = n.albums;
            }
            cr_assert_eq(n.traces, want_traces, "%s", layouts[i]);
            cr_assert_eq(n.albums, want_albums, "%s", layouts[i]);
            cr_assert_eq(sum, want_sum, "%s%s: checksum differs", layouts[i], zst ? ".zst" : "");
            if (zst)
                cr_assert_lt(n.raw_bytes, n.bytes);
            else
                cr_assert_eq(n.raw_bytes, n.bytes);
            col_free(&c);
            unlink_free(path);
        }
    }
}

/* ---- hostile input: random mutations never crash and always balance ---- */

Test(hostile, mutations_give_an_error_or_balanced_counts, .timeout = 100)
{
    const char *seed_doc =
        "{\"traces\": [" NESTED("A") ", {\"album_id\": 3, \"date\": \"2016-11-04\", \"loc_city\": \"B\", \"nusers\": 1}], "
        "\"album_id\": 2, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"]}\n"
        "[" ALBUM1 ", " TRACE1("Paris") ", 7, [1], {}]\n"
        "{\"albums\": [" ALBUM1 "], \"t\": [" TRACE1("Lyon") "], \"u\": []}\n"
        "{\"x\": [], \"traces\": [" NESTED("C") "], \"y\": [" ALBUM1 "]}\n";
    size_t len = strlen(seed_doc);
    char *buf = malloc(len + 64);
    cr_assert_not_null(buf);
    const char alphabet[] = "{}[],:\"0123456789-.eE \n\\tnulfsa\xff\x00";
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int errors = 0, oks = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, seed_doc, len);
        size_t n = len;
        int edits = 1 + iter % 4;
        for (int k = 0; k < edits; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t at = (size_t)(x % n);
            char ch = alphabet[(x >> 32) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0: buf[at] = ch; break;                           /* replace */
            case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break; /* delete */
            default: memmove(buf + at + 1, buf + at, n - at); buf[at] = ch; n++; break;
            }
        }
        char *path = tmp_write(".json", buf, n);
        collector c;
        col_init(&c);
        tg_rec_counts cnt;
        tg_error e = {0};
        tg_code rc = col_parse(&c, path, &cnt, &e);
        if (rc == TG_OK) {
            assert_balanced(&cnt);
            cr_assert_eq(c.n_albums, cnt.albums);
            cr_assert_eq(c.n_traces, cnt.traces);
            oks++;
        } else {
            cr_assert_eq(rc, TG_ERR_FORMAT, "%s", e.msg);
            cr_assert(strstr(e.msg, path) != NULL && strstr(e.msg, ", line ") != NULL, "%s", e.msg);
            errors++;
        }
        col_free(&c);
        unlink_free(path);
    }
    cr_assert_gt(oks, 100);
    cr_assert_gt(errors, 100);
    free(buf);
}
