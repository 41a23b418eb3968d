/* test_progress.c - the progress line's text, and its silence off a terminal. */
#include "display.h"
#include "progress.h"

#include <criterion/criterion.h>
#include <string.h>

Test(progress, format_with_total)
{
    char buf[160];
    tg_progress_format(buf, sizeof buf, "ingest", "records", 50000000, 200000000, 1000000,
                       2000000000ULL);
    cr_assert(strstr(buf, "ingest  25%") != NULL, "%s", buf);
    cr_assert(strstr(buf, "50.0/200.0 MB") != NULL, "%s", buf);
    cr_assert(strstr(buf, "500.0 krecords/s") != NULL, "%s", buf);
    cr_assert(strstr(buf, "ETA 0:06") != NULL, "%s", buf);
}

Test(progress, format_without_total)
{
    char buf[160];
    tg_progress_format(buf, sizeof buf, "ingest", "records", 3000000, 0, 10, 1000000000ULL);
    cr_assert(strstr(buf, "3.0 MB") != NULL, "%s", buf);
    cr_assert(strstr(buf, "ETA") == NULL, "%s", buf);
}

Test(progress, disabled_when_quiet_or_not_a_terminal)
{
    tg_progress p;
    tg_fake_console = 1;
    tg_display_level = 1;
    tg_progress_start(&p, "x", "rows", 10);
    cr_assert_eq(p.enabled, 0, "-q silences it");
    tg_display_level = 2;
    tg_progress_start(&p, "x", "rows", 10);
    cr_assert_eq(p.enabled, 1, "a (faked) terminal at the default level shows it");
    tg_fake_console = 0;
}

Test(progress, format_items)
{
    char buf[160];
    /* 720 of 1600 albums in 2 s: 360 albums/s, 45 %, 880 left at that rate: 2.4 s */
    tg_progress_format_items(buf, sizeof buf, "epoch 3", "albums", 720, 1600, 2000000000ULL);
    cr_assert_str_eq(buf, "epoch 3  45% 720/1600 albums 360 albums/s ETA 0:02");
    tg_progress_format_items(buf, sizeof buf, "epoch 1", "albums", 0, 1600, 0);
    cr_assert_str_eq(buf, "epoch 1   0% 0/1600 albums 0 albums/s ETA --:--");
}
