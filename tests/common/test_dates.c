/* test_dates.c - day numbers of civil dates: known values, round trips, and every way
 * a date string can be malformed or impossible. */
#include "dates.h"

#include <criterion/criterion.h>
#include <string.h>

static int parse(const char *s, int32_t *d) { return tg_date_parse(s, strlen(s), d); }

Test(dates, known_days)
{
    int32_t d;
    cr_assert_eq(parse("1970-01-01", &d), 0);
    cr_assert_eq(d, 0);
    cr_assert_eq(parse("2016-10-07", &d), 0);
    cr_assert_eq(d, 17081);
    cr_assert_eq(parse("2017-09-29", &d), 0);
    cr_assert_eq(d, 17438); /* 357 days after 2016-10-07: the report's 358-day span */
    cr_assert_eq(parse("2000-02-29", &d), 0);
    cr_assert_eq(parse("1969-12-31", &d), 0);
    cr_assert_eq(d, -1);
}

Test(dates, round_trip_every_day_of_four_centuries)
{
    char buf[11];
    int32_t start = tg_days_from_civil(1900, 1, 1), end = tg_days_from_civil(2300, 12, 31);
    for (int32_t d = start; d <= end; d++) {
        tg_date_format(d, buf);
        int32_t back;
        cr_assert_eq(tg_date_parse(buf, 10, &back), 0, "%s", buf);
        cr_assert_eq(back, d, "%s", buf);
    }
}

Test(dates, rejects_malformed_and_impossible)
{
    const char *bad[] = {"2017-02-29", "1900-02-29", "2017-13-01", "2017-00-10", "2017-04-31",
                         "2017-01-00", "0000-01-01", "2017-1-01",  "2017/01/01", "17-01-01",
                         "2017-01-01T", "2017-01-0a", " 2017-01-01", "", "2017-01-1 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int32_t d = 12345;
        cr_assert_eq(parse(bad[i], &d), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(d, 12345, "'%s' changed the output", bad[i]);
    }
}

Test(dates, weekday)
{
    cr_assert_eq(tg_weekday(tg_days_from_civil(2016, 10, 7)), 4); /* a Friday */
    cr_assert_eq(tg_weekday(tg_days_from_civil(1970, 1, 1)), 3); /* a Thursday */
    cr_assert_eq(tg_weekday(tg_days_from_civil(1969, 12, 29)), 0); /* a Monday */
}
