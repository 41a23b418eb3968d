/* test_html_chart.c - eval_html_line_chart, the chart train's sweep draws: a log axis
 * for x spanning decades (nbSteps 1..30 and 358) with both ends labelled, lines broken
 * at missing values, a line without values said so in the legend. */
#include "html.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *chart(const double *x, size_t n, const eval_html_line *l, size_t nl,
                   const eval_html_chart *c)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    cr_assert_not_null(f);
    eval_html_line_chart(f, x, n, l, nl, c);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what))
        n++;
    return n;
}

Test(html_chart, log_axis_for_the_reports_list)
{
    double x[31], y[31], none[31];
    for (int i = 0; i < 30; i++)
        x[i] = i + 1;
    x[30] = 358;
    for (int i = 0; i < 31; i++) {
        y[i] = i == 10 ? NAN : 0.3 + 0.01 * i; /* a skipped point at nbSteps 11 */
        none[i] = NAN;
    }
    eval_html_line lines[] = {{"mlp", y}, {"logreg", none}};
    eval_html_chart c = {.x_label = "nbSteps", .y_label = "test MAP", .unit = 1, .log_x = 1,
                         .mark_best = 1, .missing = " (skipped)", .decimals = 4};
    char *svg = chart(x, 31, lines, 2, &c);
    cr_assert(strstr(svg, "nbSteps (logarithmic scale)") != NULL, "%s", svg);
    cr_assert(strstr(svg, ">358</text>") != NULL, "the last x is labelled");
    cr_assert(strstr(svg, ">100</text>") != NULL, "a tick at 100");
    cr_assert_eq(count(svg, "<polyline"), 2, "mlp's line broken at the gap, none for logreg");
    cr_assert(strstr(svg, "logreg (skipped)") != NULL);
    cr_assert(strstr(svg, "at nbSteps 358") != NULL, "the best value is the last");
    free(svg);

    c.log_x = 0; /* linear: ticks every 50 or 100, no log label */
    svg = chart(x, 31, lines, 2, &c);
    cr_assert(strstr(svg, "logarithmic") == NULL);
    free(svg);
}
