/* test_albums_runs.c - the album table (first record wins, agreeing and conflicting
 * duplicates, genre sets, orphans) and the row buffer's external sort (spills and
 * merge passes give exactly what sorting everything in memory gives). */
#include "albums.h"
#include "runs.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An album record; its genres are in one static array: one record at a time. */
static tg_album_rec album(const char *id, int32_t day, int n, const char *const *genres)
{
    static tg_str view[8];
    cr_assert_leq(n, 8);
    tg_album_rec a;
    memset(&a, 0, sizeof a);
    a.album_id = (tg_str){id, strlen(id)};
    a.release_day = day;
    a.n_genres = (size_t)n;
    for (int i = 0; i < n; i++)
        view[i] = (tg_str){genres[i], strlen(genres[i])};
    a.genres = view;
    return a;
}

Test(albums, first_record_wins_duplicates_compare_as_sets)
{
    tg_albums t;
    tg_albums_init(&t);
    tg_error e = {0};
    uint32_t i, j;
    tg_album_outcome out;
    cr_assert_eq(tg_albums_trace(&t, "7", 1, 1, &i, &e), TG_OK);   /* trace first */
    cr_assert_eq(i, 0);
    const char *g1[] = {"Pop", "Rock"}, *g2[] = {"Rock", "Pop", "Rock"}, *g3[] = {"Pop"},
               *g4[] = {"Pop", "Jazz"};
    tg_album_rec a = album("7", 100, 2, g1);
    cr_assert_eq(tg_albums_record(&t, &a, &j, &out, &e), TG_OK);
    cr_assert(j == 0 && out == TG_ALBUM_NEW);
    a = album("7", 100, 3, g2);   /* same set, other order, a repeat */
    cr_assert_eq(tg_albums_record(&t, &a, &j, &out, &e), TG_OK);
    cr_assert_eq(out, TG_ALBUM_AGREES);
    a = album("7", 101, 2, g1);   /* other date */
    cr_assert_eq(tg_albums_record(&t, &a, &j, &out, &e), TG_OK);
    cr_assert_eq(out, TG_ALBUM_CONFLICTS);
    a = album("7", 100, 1, g3);   /* fewer genres */
    cr_assert_eq(tg_albums_record(&t, &a, &j, &out, &e), TG_OK);
    cr_assert_eq(out, TG_ALBUM_CONFLICTS);
    a = album("7", 100, 2, g4);   /* a genre never seen: conflicts, not interned */
    cr_assert_eq(tg_albums_record(&t, &a, &j, &out, &e), TG_OK);
    cr_assert_eq(out, TG_ALBUM_CONFLICTS);
    cr_assert_eq(tg_intern_count(&t.genres), 2);
    cr_assert_eq(t.release_day[0], 100);
    cr_assert_eq(t.gcount[0], 2);
    /* an orphan: traces, never a record */
    cr_assert_eq(tg_albums_trace(&t, "x", 1, 3, &i, &e), TG_OK);
    cr_assert_eq(tg_albums_trace(&t, "x", 1, 1, &i, &e), TG_OK);
    uint64_t oa, ot;
    tg_albums_orphans(&t, &oa, &ot);
    cr_assert(oa == 1 && ot == 4, "orphans %llu albums, %llu traces", (unsigned long long)oa,
              (unsigned long long)ot);
    cr_assert_eq(tg_albums_count(&t), 2);
    tg_albums_free(&t);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const tg_row *a = pa, *b = pb;
    if (a->album != b->album)
        return a->album < b->album ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return (a->city > b->city) - (a->city < b->city);
}

/* The order rows arrive in: random, by day as exports list them (the sort's fast path
 * for each album), or by day but for one row in 1000 (its album falls back). */
enum { RANDOM_DAYS, DAY_ORDER, DAY_ORDER_BUT_A_FEW };

/* Feeds n pseudo-random rows (album indices below albums, days in the given order)
 * through a tg_runs of mem bytes whose sorts may use threads threads, and compares its
 * output with sorting and summing everything in memory with qsort. */
static void check_sort_order(size_t n, size_t mem, int expect_spills, int expect_passes,
                             uint64_t albums, unsigned threads, int order)
{
    char dir[] = "/tmp/tg-runs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char near[64];
    snprintf(near, sizeof near, "%s/out.h5", dir);
    tg_runs r;
    tg_error e = {0};
    cr_assert_eq(tg_runs_open(&r, mem, near, &e), TG_OK, "%s", e.msg);
    r.sort_threads = threads;
    tg_row *all = malloc(n * sizeof *all);
    cr_assert_not_null(all);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int32_t day = (int32_t)((x >> 8) % 300) - 100;
        if (order != RANDOM_DAYS && !(order == DAY_ORDER_BUT_A_FEW && i % 1000 == 999))
            day = (int32_t)(i * 300 / n) - 100;
        tg_row row = {(uint32_t)(x % albums), day, (uint32_t)((x >> 20) % 53), 0, (x >> 32) % 9,
                      (x >> 40) % 17};
        all[i] = row;
        cr_assert_eq(tg_runs_add(&r, &row, &e), TG_OK, "%s", e.msg);
    }
    cr_assert_eq(tg_runs_finish(&r, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_runs_spills(&r) > 0, expect_spills);
    cr_assert_eq(r.passes > 0, expect_passes, "passes %u", r.passes);
    qsort(all, n, sizeof *all, cmp_rows);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && cmp_rows(&all[m - 1], &all[i]) == 0) {
            all[m - 1].nusers += all[i].nusers;
            all[m - 1].nstreams += all[i].nstreams;
        } else {
            all[m++] = all[i];
        }
    }
    size_t got = 0;
    for (;;) {
        const tg_row *rows = NULL;
        size_t k = 0;
        cr_assert_eq(tg_runs_next_block(&r, &rows, &k, &e), TG_OK, "%s", e.msg);
        if (k == 0)
            break;
        cr_assert_leq(k, TG_RUN_BLOCK_ROWS);
        cr_assert_leq(k, m - got);
        cr_assert(memcmp(rows, &all[got], k * sizeof *rows) == 0, "rows %zu.. differ", got);
        got += k;
    }
    cr_assert_eq(got, m);
    tg_runs_close(&r);
    free(all);
    cr_assert_eq(rmdir(dir), 0, "the spill file is removed");
}

static void check_sort_with(size_t n, size_t mem, int expect_spills, int expect_passes,
                            uint64_t albums, unsigned threads)
{
    check_sort_order(n, mem, expect_spills, expect_passes, albums, threads, RANDOM_DAYS);
}

static void check_sort(size_t n, size_t mem, int expect_spills, int expect_passes)
{
    check_sort_with(n, mem, expect_spills, expect_passes, 37, 1);
}

Test(runs, in_memory) { check_sort(50000, (size_t)8 << 20, 0, 0); }
/* The buffer is readied 4 MiB (131072 rows) at a time: rows across several steps, and
 * a buffer of 5 MiB whose second step is short and then full (spills). */
Test(runs, buffer_readied_in_steps)
{
    check_sort(400000, (size_t)32 << 20, 0, 0);
    check_sort(400000, (size_t)5 << 20, 1, 0);
}
/* The sort buckets rows by album: one bucket each up to 64 Ki albums, album ranges
 * beyond (the high bits of the index) above; two threads split the buckets. */
Test(runs, album_buckets)
{
    check_sort_with(100000, (size_t)8 << 20, 0, 0, 1, 1);            /* one album */
    check_sort_with(100000, (size_t)8 << 20, 0, 0, 70000, 1);        /* 2 albums a bucket */
    check_sort_with(100000, (size_t)8 << 20, 0, 0, UINT32_MAX, 1);   /* 64 Ki buckets */
    check_sort_with(100000, (size_t)8 << 20, 0, 0, 1557, 2);
    check_sort_with(100000, (size_t)8 << 20, 0, 0, UINT32_MAX, 2);
    check_sort_with(200000, TG_RUNS_MIN_MEM, 1, 0, 1557, 2);
    /* one album is one bucket: the rows go to the partition sort, whose sides are
     * sorted by threads of their own (2, and 4 for a second level) */
    check_sort_with(300000, (size_t)16 << 20, 0, 0, 1, 2);
    check_sort_with(300000, (size_t)16 << 20, 0, 0, 1, 4);
    check_sort_with(200000, TG_RUNS_MIN_MEM, 1, 0, 1, 2);
}
/* Rows in day order: a buffer with room for a copy buckets them stably and sorts each
 * album's days by city only; a full one (spills) buckets in place; two albums sharing a
 * bucket (70000 albums) must not pass for one album in day order. */
Test(runs, rows_in_day_order)
{
    for (int order = DAY_ORDER; order <= DAY_ORDER_BUT_A_FEW; order++) {
        check_sort_order(100000, (size_t)8 << 20, 0, 0, 1557, 1, order);
        check_sort_order(100000, (size_t)8 << 20, 0, 0, 70000, 1, order);
        check_sort_order(100000, (size_t)8 << 20, 0, 0, UINT32_MAX, 1, order);
        check_sort_order(100000, (size_t)8 << 20, 0, 0, 1557, 2, order);
        check_sort_order(100000, (size_t)8 << 20, 0, 0, 3, 1, order);   /* long runs of a day */
        check_sort_order(200000, TG_RUNS_MIN_MEM, 1, 0, 1557, 2, order);
        check_sort_order(700000, TG_RUNS_MIN_MEM, 1, 1, 1557, 1, order);
    }
}
Test(runs, spills_then_one_merge) { check_sort(200000, TG_RUNS_MIN_MEM, 1, 0); }
Test(runs, spills_and_merge_passes) { check_sort(700000, TG_RUNS_MIN_MEM, 1, 1); }
Test(runs, empty) { check_sort(0, TG_RUNS_MIN_MEM, 0, 0); }
Test(runs, budget_too_small)
{
    tg_runs r;
    tg_error e = {0};
    cr_assert_eq(tg_runs_open(&r, 1000, "/tmp/x.h5", &e), TG_ERR_USAGE);
}
