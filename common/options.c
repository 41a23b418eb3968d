/* options.c - checked option matching and number parsing (see options.h). */
#include "options.h"

#include "display.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_opt_flag(const char *arg, const char *name, const char *short_name)
{
    return strcmp(arg, name) == 0 || (short_name != NULL && strcmp(arg, short_name) == 0);
}

int tg_opt_info(const char *arg, const char *prog, void (*usage)(FILE *))
{
    if (tg_opt_flag(arg, "--help", "-h")) {
        usage(stdout);
        return 1;
    }
    if (tg_opt_flag(arg, "--version", NULL)) {
        printf("%s (tracegenre) %s\n", prog, TG_VERSION);
        return 1;
    }
    return 0;
}

int tg_opt_display(const char *arg)
{
    if (tg_opt_flag(arg, "-q", "--quiet"))
        tg_display_level--;
    else if (tg_opt_flag(arg, "-v", "--verbose"))
        tg_display_level++;
    else if (tg_opt_flag(arg, "--fake-stderr-is-console", NULL))
        tg_fake_console = 1;
    else
        return 0;
    return 1;
}

/* "-" then a digit, or "-." then a digit: a negative number, never an option. */
static int looks_negative(const char *s)
{
    const char *p = s + 1 + (s[1] == '.');
    return *p >= '0' && *p <= '9';
}

int tg_opt_value(int argc, char **argv, int *i, const char *name, const char *short_name,
                 const char **value, tg_error *e)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (!tg_opt_flag(arg, name, short_name))
        return 0;
    /* A value may not look like an option: "-o --force" is a mistake, not a file name.
     * "-" alone (standard input/output) is allowed, and so is a negative number ("-5",
     * "-.5": no option looks like one), so that the option's parser says why the value
     * is wrong rather than that it is missing. */
    const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (next == NULL || (next[0] == '-' && next[1] != '\0' && !looks_negative(next))) {
        tg_fail(e, TG_ERR_USAGE, "option %s needs a value", arg);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

/* Reads decimal digits into *v; returns the first byte not consumed, NULL on overflow
 * or when there are no digits. */
static const char *read_u64(const char *s, uint64_t *v)
{
    uint64_t r = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (r > (UINT64_MAX - d) / 10)
            return NULL;
        r = r * 10 + d;
    }
    if (p == s)
        return NULL;
    *v = r;
    return p;
}

tg_code tg_parse_u64(const char *s, const char *opt, uint64_t min, uint64_t max, uint64_t *out,
                     tg_error *e)
{
    uint64_t v;
    /* a negative number is a number, out of range like any other ("-0" is 0) */
    int negative = s[0] == '-';
    const char *end = read_u64(s + negative, &v);
    if (end == NULL || *end != '\0')
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is not a whole number (or is too large)", opt, s);
    if ((negative && v != 0) || v < min || v > max)
        return tg_fail(e, TG_ERR_USAGE, "%s: %s is out of range [%llu, %llu]", opt, s,
                       (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return TG_OK;
}

tg_code tg_parse_size(const char *s, const char *opt, uint64_t min, uint64_t *out, tg_error *e)
{
    uint64_t v;
    const char *p = read_u64(s, &v);
    if (p == NULL)
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is not a size (digits, then K, M or G)", opt, s);
    unsigned shift = 0;
    if (*p == 'K' || *p == 'k')
        shift = 10;
    else if (*p == 'M')
        shift = 20;
    else if (*p == 'G')
        shift = 30;
    if (shift) {
        p++;
        if (p[0] == 'i' && p[1] == 'B')
            p += 2;
        else if (p[0] == 'B')
            p += 1;
    }
    if (*p != '\0')
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is not a size (digits, then K, M or G)", opt, s);
    if (shift && v > (UINT64_MAX >> shift))
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is too large", opt, s);
    v <<= shift;
    if (v < min)
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is below the minimum of %llu bytes", opt, s,
                       (unsigned long long)min);
    *out = v;
    return TG_OK;
}

tg_code tg_parse_double(const char *s, const char *opt, double min, double max, double *out,
                        tg_error *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
        return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is not a number", opt, s);
    if (v < min || v > max)
        return tg_fail(e, TG_ERR_USAGE, "%s: %s is out of range [%g, %g]", opt, s, min, max);
    *out = v;
    return TG_OK;
}

tg_code tg_parse_choice(const char *s, const char *opt, const char *const *choices, int *out,
                        tg_error *e)
{
    char list[256] = "";
    size_t used = 0;
    for (int k = 0; choices[k] != NULL; k++) {
        if (strcmp(s, choices[k]) == 0) {
            *out = k;
            return TG_OK;
        }
        int n = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", choices[k]);
        if (n > 0 && (size_t)n < sizeof list - used)
            used += (size_t)n;
    }
    return tg_fail(e, TG_ERR_USAGE, "%s: '%s' is not one of: %s", opt, s, list);
}
