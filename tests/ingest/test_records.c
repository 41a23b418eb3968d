/* test_records.c - the JSON record layer: layouts, nesting, validation, malformed
 * documents, accounting, and agreement across synth's layouts. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(records, smoke)
{
    collector c;
    tg_rec_counts n;
    tg_error e = {0};
    cr_assert_eq(parse_text(&c, "{\"album_id\": 1, \"release_date\": \"2016-10-28\", \"genres\": [\"Pop\"]}\n"
                                "{\"album_id\": \"1\", \"date\": \"2016-11-03\", \"loc_city\": \"Paris\", \"nusers\": 3}\n",
                            &n, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(n.albums, 1);
    cr_assert_eq(n.traces, 1);
    col_free(&c);
}
