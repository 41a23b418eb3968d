/* test_rebin.c - re-binning a stored row equals summing a dense step x city matrix by
 * bin = floor(step * N / S) (a slow reference written here), at the window's edges and
 * for random rows; transforms; zero counts. */
#include "rebin.h"

#include "rng.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

Test(rebin, bin_edges_of_the_report_resolutions)
{
    /* S = 358 days; N = 28: step 12 is bin 0, step 13 bin 1, step 357 bin 27 */
    tg_rebin_scratch s;
    tg_error e = {0};
    cr_assert_eq(tg_rebin_scratch_init(&s, 4, &e), TG_OK);
    int32_t cols[] = {12 * 4 + 1, 13 * 4 + 1, 357 * 4 + 3};
    uint32_t vals[] = {2, 5, 7};
    int32_t oc[3];
    float ov[3];
    size_t n = tg_rebin_row(&s, 358, 28, cols, vals, 3, TG_TRANSFORM_RAW, oc, ov);
    cr_assert_eq(n, 3);
    cr_assert_eq(oc[0], 0 * 4 + 1);
    cr_assert_eq(oc[1], 1 * 4 + 1);
    cr_assert_eq(oc[2], 27 * 4 + 3);
    /* N = 1: everything in one bin, per city; log1p after the sum */
    n = tg_rebin_row(&s, 358, 1, cols, vals, 3, TG_TRANSFORM_LOG1P, oc, ov);
    cr_assert_eq(n, 2);
    cr_assert_eq(oc[0], 1);
    cr_assert_float_eq(ov[0], log1p(7.0), 1e-6);
    cr_assert_eq(oc[1], 3);
    cr_assert_float_eq(ov[1], log1p(7.0), 1e-6);
    tg_rebin_scratch_free(&s);
}

Test(rebin, random_rows_equal_a_dense_reference)
{
    enum { C = 37, S = 358 };
    tg_rebin_scratch s;
    tg_error e = {0};
    cr_assert_eq(tg_rebin_scratch_init(&s, C, &e), TG_OK);
    tg_rng r;
    tg_rng_seed(&r, 5, 0, 0);
    static int32_t cols[S * C], oc[S * C];
    static uint32_t vals[S * C];
    static float ov[S * C];
    static double dense[S * C];
    const int32_t steps[] = {1, 2, 4, 7, 28, 100, 357, 358};
    for (int round = 0; round < 40; round++) {
        size_t n = 0;
        for (int32_t col = 0; col < S * C; col++)
            if (tg_rng_uniform(&r) < 0.03) {
                cols[n] = col;
                vals[n++] = tg_rng_uniform(&r) < 0.05 ? 0 : 1 + tg_rng_below(&r, 1000);
            }
        int32_t N = steps[round % 8];
        for (int i = 0; i < N * C; i++)
            dense[i] = 0;
        for (size_t k = 0; k < n; k++)
            dense[(int64_t)(cols[k] / C) * N / S * C + cols[k] % C] += vals[k];
        tg_transform t = round % 2 ? TG_TRANSFORM_LOG1P : TG_TRANSFORM_RAW;
        size_t m = tg_rebin_row(&s, S, N, cols, vals, n, t, oc, ov);
        size_t k = 0;
        for (int32_t col = 0; col < N * C; col++) {
            if (dense[col] == 0)
                continue;
            cr_assert(k < m, "missing column %d (N %d)", col, N);
            cr_assert_eq(oc[k], col, "N %d: entry %zu", N, k);
            double want = t == TG_TRANSFORM_LOG1P ? log1p(dense[col]) : dense[col];
            cr_assert_float_eq(ov[k], want, 1e-5 * (1 + want));
            k++;
        }
        cr_assert_eq(k, m, "N %d: %zu extra entries", N, m - k);
        for (int c = 0; c < C; c++)
            cr_assert_eq(s.acc[c], 0.0, "scratch left dirty");
    }
    tg_rebin_scratch_free(&s);
}
