/* test_aggregate.c - the aggregate stage over a hand-made ingest.h5: rows before the
 * release, on its day, on the window's last day and past it; an orphan; an album with
 * no rows; one that loses its only genre; a zero count; each album's entries, labels,
 * split and the stored counters, at daily and coarser steps and for nstreams. */
#include "aggregate.h"

#include "ingest_file.h"
#include "store.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char in_path[64], out_path[64];

static void setup(void)
{
    snprintf(in_path, sizeof in_path, "/tmp/tg-agg-in-%d.h5", (int)getpid());
    snprintf(out_path, sizeof out_path, "/tmp/tg-agg-out-%d.h5", (int)getpid());
}
static void teardown(void)
{
    unlink(in_path);
    unlink(out_path);
}

/* Albums in index order: a b c o e d ("o" has no album record). */
static const char ids_arena[] = "abcoed";
static const size_t ids_off[] = {0, 1, 2, 3, 4, 5, 6};
static const int32_t release[] = {1000, 1000, 1000, TG_INGEST_NO_RELEASE, 2000, 1000};
/* genres 0 Pop, 1 Rock, 2 Rare: a {Pop, Rock}, b {Pop}, c {Rare}, o e {}, d {Pop, Rock} */
static const int64_t gindptr[] = {0, 2, 3, 4, 4, 4, 6};
static const int32_t gindices[] = {0, 1, 0, 2, 0, 1};
static const char genre_arena[] = "PopRockRare";
static const size_t genre_off[] = {0, 3, 7, 11};
static const char city_arena[] = "ParisLyonNice";
static const size_t city_off[] = {0, 5, 9, 13};

typedef struct {
    uint32_t album;
    int32_t day;
    uint32_t city;
    uint64_t nusers, nstreams;
} row;
static const row rows[] = {
    {0, 999, 0, 4, 4},    /* a: the day before release */
    {0, 1000, 0, 2, 5},   /* a: step 0 */
    {0, 1000, 1, 1, 1},
    {0, 1009, 0, 3, 4},   /* a: step 9 = window - 1 */
    {0, 1010, 0, 6, 6},   /* a: step 10 = window: past */
    {1, 1005, 2, 7, 8},   /* b: step 5 */
    {2, 1000, 0, 1, 1},   /* c */
    {3, 1000, 0, 5, 5},   /* o: orphan */
    {5, 1004, 1, 0, 9},   /* d: no listener, 9 streams */
};

static void write_ingest(void)
{
    tg_ingest_writer *w;
    tg_error e = {0};
    cr_assert_eq(tg_ingest_writer_open(&w, in_path, &e), TG_OK, "%s", e.msg);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        cr_assert_eq(tg_ingest_writer_row(w, rows[i].album, rows[i].day, rows[i].city, rows[i].nusers,
                                          rows[i].nstreams, &e), TG_OK, "%s", e.msg);
    tg_ingest_meta m = {{ids_arena, ids_off, 6}, release, gindptr, gindices, {genre_arena, genre_off, 3},
                        {city_arena, city_off, 3}, NULL, NULL, 0, "tracegenre-provenance 1\n"};
    cr_assert_eq(tg_ingest_writer_finish(w, &m, &e), TG_OK, "%s", e.msg);
}

static tg_code run(int32_t steps, int nstreams, uint32_t min_albums, tg_aggregate_counts *c, tg_error *e)
{
    tg_aggregate_opts o = {.input = in_path, .output = out_path, .steps = steps, .window = 10,
                           .nstreams = nstreams, .min_albums = min_albums, .test_fraction = 0.5,
                           .seed = 1, .chunk_elems = 2};
    tg_prov p;
    tg_prov_init(&p, "aggregate", "test");
    tg_code rc = tg_prov_input(&p, in_path, e);
    if (rc == TG_OK)
        rc = tg_aggregate_run(&o, &p, c, e);
    tg_prov_free(&p);
    return rc;
}

/* Album a's entries as "index:value " text. */
static void entries(tg_store *s, size_t a, char *buf, size_t size)
{
    int32_t idx[16];
    uint32_t val[16];
    size_t n = (size_t)(s->indptr[a + 1] - s->indptr[a]);
    tg_error e = {0};
    cr_assert_leq(n, 16);
    cr_assert_eq(tg_store_read(s, (uint64_t)s->indptr[a], n, idx, val, &e), TG_OK, "%s", e.msg);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%d:%u ", (int)idx[i], (unsigned)val[i]);
}

static uint64_t counter(const tg_store *s, const char *name)
{
    uint64_t v = 0;
    cr_assert_eq(tg_store_counter(s, name, &v), 0, "counter %s stored", name);
    return v;
}

Test(aggregate, daily_steps, .init = setup, .fini = teardown)
{
    write_ingest();
    tg_aggregate_counts c;
    tg_error e = {0};
    cr_assert_eq(run(10, 0, 2, &c, &e), TG_OK, "%s", e.msg);
    tg_store *s;
    cr_assert_eq(tg_store_open(out_path, &s, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(s->n_albums, 5, "the orphan is left out");
    const char *ids[] = {"a", "b", "c", "e", "d"};
    for (size_t a = 0; a < 5; a++)
        cr_assert_str_eq(s->album_ids[a], ids[a]);
    char buf[256];
    entries(s, 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "0:2 1:1 27:3 ", "a: step 0 (Paris, Lyon), step 9 (Paris); not -1, not 10");
    entries(s, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "17:7 ");
    entries(s, 2, buf, sizeof buf);
    cr_assert_str_eq(buf, "0:1 ");
    entries(s, 3, buf, sizeof buf);
    cr_assert_str_eq(buf, "", "e: no rows, still in the store");
    entries(s, 4, buf, sizeof buf);
    cr_assert_str_eq(buf, "", "d: a zero count is no entry");
    /* labels: Pop and Rock kept (3 and 2 albums), Rare dropped (1) */
    cr_assert_eq(s->n_genres, 2);
    cr_assert_str_eq(s->genre_names[0], "Pop");
    cr_assert_str_eq(s->genre_names[1], "Rock");
    cr_assert_eq(s->genre_counts[0], 3);
    cr_assert_eq(s->genre_counts[1], 2);
    cr_assert_eq(s->n_dropped, 1);
    cr_assert_str_eq(s->dropped_names[0], "Rare");
    cr_assert_eq(s->dropped_counts[0], 1);
    const uint8_t want[5][2] = {{1, 1}, {1, 0}, {0, 0}, {0, 0}, {1, 1}};
    for (size_t a = 0; a < 5; a++) {
        cr_assert_eq(s->labels[a * 2], want[a][0], "album %zu", a);
        cr_assert_eq(s->labels[a * 2 + 1], want[a][1], "album %zu", a);
        cr_assert_eq(s->split[a] == TG_SPLIT_UNLABELED, a == 2 || a == 3, "album %zu split %d", a, s->split[a]);
    }
    cr_assert_eq(s->steps, 10);
    cr_assert_eq(s->window_days, 10);
    cr_assert_str_eq(s->value_field, "nusers");
    /* counters, returned and stored */
    cr_assert_eq(c.rows, 9);
    cr_assert_eq(c.rows_before_release, 1);
    cr_assert_eq(c.rows_past_window, 1);
    cr_assert_eq(c.orphan_rows, 1);
    cr_assert_eq(c.rows_in_window, 6);
    cr_assert_eq(c.orphan_albums, 1);
    cr_assert_eq(c.albums, 5);
    cr_assert_eq(c.albums_labeled, 3);
    cr_assert_eq(c.albums_unlabeled, 2);
    cr_assert_eq(c.albums_emptied, 1);
    cr_assert_eq(c.albums_train + c.albums_test, 3);
    cr_assert_eq(c.genres_kept, 2);
    cr_assert_eq(c.genres_dropped, 1);
    cr_assert_eq(c.entries, 5);
    cr_assert_eq(counter(s, "rows_before_release"), 1);
    cr_assert_eq(counter(s, "rows_past_window"), 1);
    cr_assert_eq(counter(s, "orphan_rows"), 1);
    cr_assert_eq(counter(s, "albums"), 5);
    cr_assert_eq(counter(s, "entries"), 5);
    cr_assert_eq(counter(s, "albums_emptied"), 1);
    tg_store_close(s);
}

Test(aggregate, two_steps_and_nstreams, .init = setup, .fini = teardown)
{
    write_ingest();
    tg_aggregate_counts c;
    tg_error e = {0};
    cr_assert_eq(run(2, 1, 2, &c, &e), TG_OK, "%s", e.msg);
    tg_store *s;
    cr_assert_eq(tg_store_open(out_path, &s, &e), TG_OK, "%s", e.msg);
    char buf[256];
    entries(s, 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "0:5 1:1 3:4 ", "a: days 0-4 in bin 0, 5-9 in bin 1");
    entries(s, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "5:8 ", "b: step 5 is bin 1");
    entries(s, 4, buf, sizeof buf);
    cr_assert_str_eq(buf, "1:9 ", "d: 9 streams");
    cr_assert_str_eq(s->value_field, "nstreams");
    cr_assert_eq(c.entries, 6);
    tg_store_close(s);
}

Test(aggregate, no_genre_kept_writes_nothing, .init = setup, .fini = teardown)
{
    write_ingest();
    tg_aggregate_counts c;
    tg_error e = {0};
    cr_assert_eq(run(10, 0, 4, &c, &e), TG_ERR_LIMIT);
    cr_assert(strstr(e.msg, "--min-albums") != NULL, "%s", e.msg);
    cr_assert_neq(access(out_path, F_OK), 0, "no output");
    cr_assert_eq(run(11, 0, 2, &c, &e), TG_ERR_USAGE, "steps > window");
}

Test(aggregate, input_not_an_ingest_file, .init = setup, .fini = teardown)
{
    FILE *f = fopen(in_path, "w");
    cr_assert_not_null(f);
    fputs("not hdf5\n", f);
    fclose(f);
    tg_aggregate_counts c;
    tg_error e = {0};
    tg_code rc = run(10, 0, 2, &c, &e);
    cr_assert(rc == TG_ERR_IO || rc == TG_ERR_FORMAT, "%d %s", rc, e.msg);
    cr_assert(strstr(e.msg, in_path) != NULL, "names the file: %s", e.msg);
    cr_assert_neq(access(out_path, F_OK), 0, "no output");
}
