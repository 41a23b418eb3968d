/* test_sweep.c - the sweep's lists: --sweep-steps LIST and --models LIST, good and bad. */
#include "sweep.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void steps_are(const char *list, const int32_t *want, size_t n_want)
{
    int32_t *steps = NULL;
    size_t n = 0;
    tg_error e = {0};
    cr_assert_eq(tg_sweep_parse_steps(list, &steps, &n, &e), TG_OK, "%s: %s", list, e.msg);
    cr_assert_eq(n, n_want, "%s: %zu steps", list, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(steps[i], want[i], "%s: [%zu] = %d, not %d", list, i, steps[i], want[i]);
    free(steps);
}

static void steps_refused(const char *list, const char *says)
{
    int32_t *steps = NULL;
    size_t n = 0;
    tg_error e = {0};
    cr_assert_eq(tg_sweep_parse_steps(list, &steps, &n, &e), TG_ERR_USAGE, "'%s' accepted", list);
    cr_assert_null(steps);
    cr_assert(strstr(e.msg, says) != NULL, "'%s': message '%s' lacks '%s'", list, e.msg, says);
}

Test(sweep_list, single_numbers_and_ranges)
{
    steps_are("7", (int32_t[]){7}, 1);
    steps_are("1,2,4,7,14,28", (int32_t[]){1, 2, 4, 7, 14, 28}, 6);
    steps_are("3-5", (int32_t[]){3, 4, 5}, 3);
    steps_are("5-5", (int32_t[]){5}, 1);
    steps_are("100000", (int32_t[]){100000}, 1);
}

Test(sweep_list, the_reports_list)
{
    int32_t want[31];
    for (int i = 0; i < 30; i++)
        want[i] = i + 1;
    want[30] = 358;
    steps_are("1-30,358", want, 31);
}

Test(sweep_list, sorted_and_without_duplicates)
{
    steps_are("358,28,1-3", (int32_t[]){1, 2, 3, 28, 358}, 5);
    steps_are("1-5,3,4-6,2", (int32_t[]){1, 2, 3, 4, 5, 6}, 6);
}

Test(sweep_list, bad_lists_name_the_item)
{
    steps_refused("", "'' is not a number");
    steps_refused("1,,2", "'' is not a number");
    steps_refused("1,", "'' is not a number");
    steps_refused("0", "'0' is not a number");
    steps_refused("100001", "'100001' is not a number");
    steps_refused("99999999999", "not a number");
    steps_refused("x", "'x' is not a number");
    steps_refused("1.5", "'1.5'");
    steps_refused("+3", "'+3'");
    steps_refused(" 3", "' 3'");
    steps_refused("3-", "'3-'");
    steps_refused("-3", "'-3'");
    steps_refused("1-2-3", "'1-2-3'");
    steps_refused("5-3", "'5-3' runs backwards");
    steps_refused("1-30,358,abc", "'abc'");
}

Test(sweep_models, names_in_order_once)
{
    tg_net_kind k[TG_SWEEP_MAX_MODELS];
    size_t n = 0;
    tg_error e = {0};
    cr_assert_eq(tg_sweep_parse_models("logreg,mlp,logreg", k, &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(k[0], TG_NET_LOGREG);
    cr_assert_eq(k[1], TG_NET_MLP);
    cr_assert_eq(tg_sweep_parse_models("mlp,logreg,cnn,factorized", k, &n, &e), TG_OK);
    cr_assert_eq(n, 4);
}

Test(sweep_models, unknown_or_empty_names)
{
    tg_net_kind k[TG_SWEEP_MAX_MODELS];
    size_t n = 0;
    tg_error e = {0};
    cr_assert_eq(tg_sweep_parse_models("mlp,rnn", k, &n, &e), TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "'rnn' is not a model (mlp, logreg, cnn, factorized") != NULL, "%s",
              e.msg);
    cr_assert_eq(tg_sweep_parse_models("mlp,", k, &n, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_sweep_parse_models("", k, &n, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_sweep_parse_models("MLP", k, &n, &e), TG_ERR_USAGE);
}
