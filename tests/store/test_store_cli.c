/* test_store_cli.c - the store command: `store dump` (all albums, one album, re-binned)
 * equals a slow reference computed here from the rows written, and `store info` and
 * the exit codes 0/1/2 with their messages. The command's path is in $STORE_EXE. */
#include "random_store.h"

#include "dates.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], path[128], out[128], err[128];
static rstore R;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-store-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/store.h5", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    rstore_make(&R, 11, 30, 5, 12, 4);
    tg_error e = {0};
    cr_assert_eq(rstore_write(&R, path, 32, &e), TG_OK, "%s", e.msg);
}

static void teardown(void)
{
    rstore_free(&R);
    unlink(path);
    unlink(out);
    unlink(err);
    rmdir(dir);
}

TestSuite(store_cli, .init = setup, .fini = teardown);

/* Runs the store command with args (a shell fragment); returns its exit status. */
static int run(const char *args)
{
    const char *exe = getenv("STORE_EXE");
    cr_assert_not_null(exe, "STORE_EXE is not set");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", exe, args, out, err);
    int st = system(cmd);
    cr_assert(WIFEXITED(st), "%s did not exit", cmd);
    return WEXITSTATUS(st);
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void quoted(FILE *f, const char *s)
{
    int q = 0;
    for (const char *p = s; *p; p++)
        q |= *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    if (!q) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* The slow way: each album's dense steps x cities sums, binned, printed in order. */
static char *reference(long only, int32_t steps)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("album_id,step,city,value\n", f);
    uint64_t *dense = malloc((size_t)steps * R.C * sizeof *dense);
    for (size_t a = 0; a < R.A; a++) {
        if (only >= 0 && (size_t)only != a)
            continue;
        memset(dense, 0, (size_t)steps * R.C * sizeof *dense);
        for (int64_t k = R.indptr[a]; k < R.indptr[a + 1]; k++) {
            size_t step = (size_t)R.indices[k] / R.C, city = (size_t)R.indices[k] % R.C;
            size_t bin = step * (size_t)steps / (size_t)R.steps;
            dense[bin * R.C + city] += R.data[k];
        }
        for (int32_t b = 0; b < steps; b++)
            for (size_t c = 0; c < R.C; c++)
                if (dense[(size_t)b * R.C + c] != 0) {
                    quoted(f, R.ids[a]);
                    fprintf(f, ",%d,", (int)b);
                    quoted(f, R.cities[c]);
                    fprintf(f, ",%llu\n", (unsigned long long)dense[(size_t)b * R.C + c]);
                }
    }
    free(dense);
    fclose(f);
    return buf;
}

static void check_dump(const char *args, long only, int32_t steps)
{
    cr_assert_eq(run(args), 0, "store %s: %s", args, slurp(err));
    char *got = slurp(out), *want = reference(only, steps);
    cr_assert(strlen(want) > 30, "reference of %s is empty", args);
    cr_assert_str_eq(got, want, "store %s", args);
    free(got);
    free(want);
}

Test(store_cli, dump_equals_reference)
{
    char args[256];
    snprintf(args, sizeof args, "dump '%s'", path);
    check_dump(args, -1, R.steps);
    for (int32_t n = 1; n <= R.steps; n += 3) {
        snprintf(args, sizeof args, "dump '%s' --steps %d", path, (int)n);
        check_dump(args, -1, n);
    }
    /* Album 1 (id b,1) spans several chunks; album 2's id holds quotes ("q"2). */
    snprintf(args, sizeof args, "dump '%s' --album b,1 --steps=5", path);
    check_dump(args, 1, 5);
    snprintf(args, sizeof args, "dump '%s' --album '\"q\"2'", path);
    check_dump(args, 2, R.steps);
}

Test(store_cli, info)
{
    char args[256];
    snprintf(args, sizeof args, "info '%s'", path);
    cr_assert_eq(run(args), 0, "%s", slurp(err));
    char *got = slurp(out);
    size_t counts[3] = {0};
    for (size_t a = 0; a < R.A; a++)
        counts[R.split[a]]++;
    char want[256];
    snprintf(want, sizeof want, "albums:    %zu (labeled %zu: train %zu, test %zu; unlabeled %zu)", R.A,
             counts[0] + counts[1], counts[0], counts[1], counts[2]);
    cr_assert(strstr(got, want) != NULL, "'%s' not in:\n%s", want, got);
    snprintf(want, sizeof want, "entries:   %lld nonzero", (long long)R.indptr[R.A]);
    cr_assert(strstr(got, want) != NULL, "'%s' not in:\n%s", want, got);
    snprintf(want, sizeof want, "  %8u  %s\n", R.genre_counts[1], R.genres[1]);
    cr_assert(strstr(got, want) != NULL, "'%s' not in:\n%s", want, got);
    cr_assert(strstr(got, "steps:     12 over a window of 24 days; value nusers") != NULL, "%s", got);
    cr_assert(strstr(got, "dropped:   3 genres") != NULL, "%s", got);
    int32_t lo = R.release[0], hi = R.release[0];
    for (size_t a = 1; a < R.A; a++) {
        lo = R.release[a] < lo ? R.release[a] : lo;
        hi = R.release[a] > hi ? R.release[a] : hi;
    }
    char from[11], to[11];
    tg_date_format(lo, from);
    tg_date_format(hi, to);
    snprintf(want, sizeof want, "released:  %s to %s\n", from, to);
    cr_assert(strstr(got, want) != NULL, "'%s' not in:\n%s", want, got);
    cr_assert(strstr(got, "ratio:     raw CSR ") != NULL, "%s", got);
    free(got);
}

static void expect(int code, const char *args, const char *says)
{
    int got = run(args);
    char *e = slurp(err), *o = slurp(out);
    cr_assert_eq(got, code, "store %s: exit %d, expected %d; stderr: %s", args, got, code, e);
    cr_assert(strstr(code == 0 ? o : e, says) != NULL, "store %s: '%s' not in: %s", args, says, code == 0 ? o : e);
    free(e);
    free(o);
}

Test(store_cli, exit_codes)
{
    char args[256];
    expect(0, "--help", "Usage: store info STORE.h5");
    expect(0, "--version", "store (tracegenre)");
    expect(2, "", "needs a command: info or dump");
    expect(2, "list x.h5", "store: unknown command 'list' (info or dump)");
    expect(2, "foo", "unknown command 'foo'");
    expect(2, "info", "needs a store");
    expect(2, "info --bogus x.h5", "unknown option '--bogus'");
    snprintf(args, sizeof args, "info '%s' --steps 3", path);
    expect(2, args, "--album and --steps go with dump");
    snprintf(args, sizeof args, "dump '%s' --steps 0", path);
    expect(2, args, "--steps");
    snprintf(args, sizeof args, "dump '%s' --steps 13", path);
    expect(2, args, "the store has 12 steps");
    snprintf(args, sizeof args, "dump '%s' --album nope", path);
    expect(2, args, "no album 'nope'");
    snprintf(args, sizeof args, "dump '%s' --album", path);
    expect(2, args, "--album");
    snprintf(args, sizeof args, "info '%s/missing.h5'", dir);
    expect(1, args, "missing.h5: cannot open");
    /* A damaged store: exit 1, the reason on stderr, nothing on stdout. */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(truncate(path, st.st_size - 100), 0);
    snprintf(args, sizeof args, "dump '%s'", path);
    expect(1, args, "store: ");
    char *o = slurp(out);
    cr_assert_str_empty(o);
    free(o);
}
