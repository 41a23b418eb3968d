/* test_bin.c - aggregate/bin: days at the window's edges (step -1, 0, window - 1,
 * window), the binning rule against the loader's re-binning of a daily store, and the
 * per-album accumulator (city order within a step, sums, zeros, uint32 overflow). */
#include "bin.h"

#include <criterion/criterion.h>

#include <stdint.h>

Test(bin, window_edges)
{
    const int32_t rel = 17000, W = 358;
    int32_t bin = -7;
    cr_assert_eq(tg_bin_of(rel - 1, rel, W, W, &bin), TG_BIN_BEFORE);
    cr_assert_eq(bin, -7, "bin untouched outside the window");
    cr_assert_eq(tg_bin_of(rel, rel, W, W, &bin), TG_BIN_IN);
    cr_assert_eq(bin, 0);
    cr_assert_eq(tg_bin_of(rel + W - 1, rel, W, W, &bin), TG_BIN_IN);
    cr_assert_eq(bin, W - 1);
    cr_assert_eq(tg_bin_of(rel + W, rel, W, W, &bin), TG_BIN_PAST);
    /* at 28 steps: the first and last days of the window, and the bin boundaries */
    cr_assert_eq(tg_bin_of(rel, rel, 28, W, &bin), TG_BIN_IN);
    cr_assert_eq(bin, 0);
    cr_assert_eq(tg_bin_of(rel + W - 1, rel, 28, W, &bin), TG_BIN_IN);
    cr_assert_eq(bin, 27);
    cr_assert_eq(tg_bin_of(rel + W, rel, 28, W, &bin), TG_BIN_PAST);
    /* 1 step: the whole window is one bin */
    cr_assert_eq(tg_bin_of(rel + W - 1, rel, 1, W, &bin), TG_BIN_IN);
    cr_assert_eq(bin, 0);
    /* days far apart do not overflow */
    cr_assert_eq(tg_bin_of(INT32_MAX, INT32_MIN + 1, W, W, &bin), TG_BIN_PAST);
    cr_assert_eq(tg_bin_of(INT32_MIN + 1, INT32_MAX, W, W, &bin), TG_BIN_BEFORE);
}

/* The loader and `store dump --steps N` re-bin a store of S steps with
 * floor(step * N / S); on a daily store (S = window) that must be the direct bin. */
Test(bin, rebinning_a_daily_store_is_binning_directly)
{
    const int32_t windows[] = {1, 7, 100, 358, 365};
    for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
        int32_t W = windows[w];
        for (int32_t n = 1; n <= W; n++)
            for (int32_t d = 0; d < W; d++) {
                int32_t daily, direct;
                cr_assert_eq(tg_bin_of(100 + d, 100, W, W, &daily), TG_BIN_IN);
                cr_assert_eq(daily, d);
                cr_assert_eq(tg_bin_of(100 + d, 100, n, W, &direct), TG_BIN_IN);
                cr_assert_eq((int64_t)daily * n / W, direct, "W %d N %d day %d", W, n, d);
                cr_assert(direct >= 0 && direct < n);
            }
    }
}

Test(bin, album_sums_and_orders)
{
    tg_binner b;
    tg_error e = {0};
    cr_assert_eq(tg_binner_init(&b, 4, 10, &e), TG_OK);
    /* bin 1 spans two days: cities come 7, 2 then 2, 5 */
    cr_assert_eq(tg_binner_add(&b, 1, 7, 3, "x", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 1, 2, 1, "x", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 1, 2, 4, "x", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 1, 5, 0, "x", &e), TG_OK); /* zero: no entry */
    cr_assert_eq(tg_binner_add(&b, 3, 0, 9, "x", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 2, 0, 9, "x", &e), TG_ERR_USAGE, "bins must not decrease");
    const int32_t *idx;
    const uint32_t *val;
    size_t n;
    cr_assert_eq(tg_binner_album(&b, &idx, &val, &n, "x", &e), TG_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(idx[0], 12);
    cr_assert_eq(val[0], 5);
    cr_assert_eq(idx[1], 17);
    cr_assert_eq(val[1], 3);
    cr_assert_eq(idx[2], 30);
    cr_assert_eq(val[2], 9);
    /* the next album starts empty, may start at bin 0, and may be empty */
    cr_assert_eq(tg_binner_album(&b, &idx, &val, &n, "y", &e), TG_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(tg_binner_add(&b, 0, 9, 1, "z", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 0, 10, 1, "z", &e), TG_ERR_USAGE, "city out of range");
    cr_assert_eq(tg_binner_add(&b, 4, 0, 1, "z", &e), TG_ERR_USAGE, "bin out of range");
    tg_binner_free(&b);
}

Test(bin, sum_over_uint32_is_an_error)
{
    tg_binner b;
    tg_error e = {0};
    cr_assert_eq(tg_binner_init(&b, 2, 3, &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 0, 1, UINT32_MAX, "big", &e), TG_OK);
    cr_assert_eq(tg_binner_add(&b, 0, 1, 1, "big", &e), TG_OK);
    const int32_t *idx;
    const uint32_t *val;
    size_t n;
    cr_assert_eq(tg_binner_album(&b, &idx, &val, &n, "big", &e), TG_ERR_LIMIT);
    cr_assert(strstr(e.msg, "big") != NULL, "names the album: %s", e.msg);
    tg_binner_free(&b);
}
