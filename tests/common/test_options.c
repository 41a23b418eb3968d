/* test_options.c - option matching and checked number parsing. */
#include "options.h"

#include <criterion/criterion.h>
#include <stdint.h>

Test(options, value_forms)
{
    char *argv[] = {"prog", "--seed=7", "--albums", "12", "-o", "-", "--mem", "--force", NULL};
    int argc = 8, i = 1;
    const char *v = NULL;
    tg_error e = {0};
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--seed", NULL, &v, &e), 1);
    cr_assert_str_eq(v, "7");
    i = 2;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--seed", NULL, &v, &e), 0);
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--albums", NULL, &v, &e), 1);
    cr_assert_str_eq(v, "12");
    cr_assert_eq(i, 3);
    i = 4;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--output", "-o", &v, &e), 1);
    cr_assert_str_eq(v, "-", "a lone dash is a value (stdout)");
    i = 6;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--mem", NULL, &v, &e), -1);
    cr_assert_eq(e.code, TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "--mem") != NULL);
    i = 7;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--force", NULL, &v, &e), -1, "missing last value");
}

/* A negative number is a value, so that its option's parser says what is wrong with it
 * (the audit: "synth --albums -5" said "needs a value"); an option is still not one. */
Test(options, negative_numbers_are_values)
{
    char *argv[] = {"prog", "--albums", "-5", "--lr", "-.5", "--seed", "-x", "-o", "-1", NULL};
    int argc = 9, i = 1;
    const char *v = NULL;
    tg_error e = {0};
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--albums", NULL, &v, &e), 1);
    cr_assert_str_eq(v, "-5");
    i = 3;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--lr", NULL, &v, &e), 1);
    cr_assert_str_eq(v, "-.5");
    i = 5;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--seed", NULL, &v, &e), -1, "-x is an option");
    cr_assert(strstr(e.msg, "needs a value") != NULL, "%s", e.msg);
    i = 7;
    cr_assert_eq(tg_opt_value(argc, argv, &i, "--output", "-o", &v, &e), 1);
    cr_assert_str_eq(v, "-1");

    uint64_t u = 7;
    cr_assert_eq(tg_parse_u64("-5", "--albums", 1, 100, &u, &e), TG_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--albums: -5 is out of range [1, 100]");
    cr_assert_eq(tg_parse_u64("-1", "--seed", 0, UINT64_MAX, &u, &e), TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "--seed: -1 is out of range [0, ") == e.msg, "%s", e.msg);
    cr_assert_eq(u, 7, "nothing stored on failure");
    cr_assert_eq(tg_parse_u64("-0", "--seed", 0, 10, &u, &e), TG_OK, "-0 is 0");
    cr_assert_eq(u, 0);
    cr_assert_eq(tg_parse_u64("-", "--seed", 0, 10, &u, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_parse_u64("--5", "--seed", 0, 10, &u, &e), TG_ERR_USAGE);
    double d;
    cr_assert_eq(tg_parse_double("-1", "--lr", 1e-12, 10, &d, &e), TG_ERR_USAGE);
    cr_assert_str_eq(e.msg, "--lr: -1 is out of range [1e-12, 10]");
}

Test(options, integers)
{
    uint64_t v;
    tg_error e = {0};
    cr_assert_eq(tg_parse_u64("42", "--n", 0, 100, &v, &e), TG_OK);
    cr_assert_eq(v, 42);
    cr_assert_eq(tg_parse_u64("18446744073709551615", "--n", 0, UINT64_MAX, &v, &e), TG_OK);
    cr_assert_eq(v, UINT64_MAX);
    const char *bad[] = {"18446744073709551616", "-1", "", "4x", "0x10", " 4", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(tg_parse_u64(bad[i], "--n", 0, UINT64_MAX, &v, &e), TG_ERR_USAGE, "%s", bad[i]);
    cr_assert_eq(tg_parse_u64("101", "--n", 0, 100, &v, &e), TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "out of range") != NULL);
}

Test(options, sizes)
{
    uint64_t v;
    tg_error e = {0};
    struct { const char *s; uint64_t v; } ok[] = {
        {"0", 0}, {"512", 512}, {"4K", 4096}, {"4KB", 4096}, {"4KiB", 4096}, {"3M", 3 << 20},
        {"3MiB", 3 << 20}, {"256MB", 256ULL << 20}, {"2G", 2ULL << 30}, {"1GiB", 1ULL << 30}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        cr_assert_eq(tg_parse_size(ok[i].s, "--mem", 0, &v, &e), TG_OK, "%s", ok[i].s);
        cr_assert_eq(v, ok[i].v, "%s", ok[i].s);
    }
    const char *bad[] = {"", "M", "4T", "4MiBs", "4 M", "-4M", "99999999999999999999G",
                         "17179869184G"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(tg_parse_size(bad[i], "--mem", 0, &v, &e), TG_ERR_USAGE, "%s", bad[i]);
    cr_assert_eq(tg_parse_size("1K", "--mem", 2048, &v, &e), TG_ERR_USAGE, "below minimum");
}

Test(options, doubles_and_choices)
{
    double d;
    tg_error e = {0};
    cr_assert_eq(tg_parse_double("0.25", "--t", 0, 1, &d, &e), TG_OK);
    cr_assert_float_eq(d, 0.25, 1e-15);
    cr_assert_eq(tg_parse_double("nan", "--t", 0, 1, &d, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_parse_double("inf", "--t", 0, 1e300, &d, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_parse_double("1.5", "--t", 0, 1, &d, &e), TG_ERR_USAGE);
    cr_assert_eq(tg_parse_double("0.5x", "--t", 0, 1, &d, &e), TG_ERR_USAGE);
    const char *const choices[] = {"ndjson", "array", NULL};
    int k = -1;
    cr_assert_eq(tg_parse_choice("array", "--layout", choices, &k, &e), TG_OK);
    cr_assert_eq(k, 1);
    cr_assert_eq(tg_parse_choice("xml", "--layout", choices, &k, &e), TG_ERR_USAGE);
    cr_assert(strstr(e.msg, "ndjson, array") != NULL, "%s", e.msg);
}

Test(options, display_flags)
{
    extern int tg_display_level;
    int before = tg_display_level;
    cr_assert_eq(tg_opt_display("-q"), 1);
    cr_assert_eq(tg_display_level, before - 1);
    cr_assert_eq(tg_opt_display("--verbose"), 1);
    cr_assert_eq(tg_display_level, before);
    cr_assert_eq(tg_opt_display("--quick"), 0);
    cr_assert_eq(tg_display_level, before);
}

static int usage_calls;
static void fake_usage(FILE *f)
{
    (void)f;
    usage_calls++;
}

Test(options, help_and_version)
{
    usage_calls = 0;
    cr_assert_eq(tg_opt_info("-h", "prog", fake_usage), 1);
    cr_assert_eq(tg_opt_info("--help", "prog", fake_usage), 1);
    cr_assert_eq(usage_calls, 2);
    cr_assert_eq(tg_opt_info("--version", "prog", fake_usage), 1);
    cr_assert_eq(usage_calls, 2, "--version does not print the usage");
    cr_assert_eq(tg_opt_info("--helpx", "prog", fake_usage), 0);
}

Test(options, exit_status)
{
    cr_assert_eq(tg_exit_status(TG_OK), 0);
    cr_assert_eq(tg_exit_status(TG_ERR_USAGE), 2);
    cr_assert_eq(tg_exit_status(TG_ERR_IO), 1);
    cr_assert_eq(tg_exit_status(TG_ERR_INTERRUPTED), 1);
    for (int c = 0; c < TG_ERR_MAX_; c++)
        cr_assert_str_neq(tg_code_name((tg_code)c), "unknown");
}
