/* parse_bench.c - the baselines ingest is measured against, over one plain JSON file:
 *   parse_bench yajl FILE      yajl's bare parse: every callback empty (returns 1),
 *                              multiple values allowed, 256 KiB reads (tg_input)
 *   parse_bench records FILE   the record layer (records.c) with no sink: validation,
 *                              classification, ids, but no dictionaries or rows
 * Neither hashes the bytes (the file is opened as one range, which tg_input does not
 * hash): the content hash is ingest's work, so it counts on ingest's side of the ratio.
 * Prints "MODE seconds MB/s" on stdout. Exit 0, 1 on failure, 2 on bad usage. */
#include "clock.h"
#include "input.h"
#include "records.h"

#include <yajl/yajl_parse.h>

#include <stdio.h>
#include <string.h>

static int cb_null(void *c) { (void)c; return 1; }
static int cb_bool(void *c, int b) { (void)c; (void)b; return 1; }
static int cb_num(void *c, const char *s, size_t n) { (void)c; (void)s; (void)n; return 1; }
static int cb_str(void *c, const unsigned char *s, size_t n) { (void)c; (void)s; (void)n; return 1; }

static const yajl_callbacks empty = {cb_null, cb_bool, NULL, NULL, cb_num, cb_str,
                                     cb_null, cb_str, cb_null, cb_null, cb_null};

static int bare_yajl(const char *path, uint64_t *bytes)
{
    tg_error e = {0};
    tg_input *in = NULL;
    if (tg_input_open_range(&in, path, 0, UINT64_MAX, &e) != TG_OK) {
        fprintf(stderr, "parse_bench: %s\n", e.msg);
        return 1;
    }
    yajl_handle h = yajl_alloc(&empty, NULL, NULL);
    int bad = h == NULL || !yajl_config(h, yajl_allow_multiple_values, 1);
    for (;;) {
        const unsigned char *d;
        size_t n;
        if (bad || tg_input_read(in, &d, &n, &e) != TG_OK) {
            bad = 1;
            break;
        }
        if (n == 0)
            break;
        if (yajl_parse(h, d, n) != yajl_status_ok) {
            bad = 1;
            break;
        }
    }
    if (!bad && yajl_complete_parse(h) != yajl_status_ok)
        bad = 1;
    *bytes = tg_input_bytes(in);
    if (h != NULL)
        yajl_free(h);
    tg_input_close(in);
    if (bad)
        fprintf(stderr, "parse_bench: %s: parse failed %s\n", path, e.msg);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "yajl") != 0 && strcmp(argv[1], "records") != 0)) {
        fprintf(stderr, "usage: parse_bench yajl|records FILE\n");
        return 2;
    }
    uint64_t t0 = tg_clock_ns(), bytes = 0;
    int rc;
    if (argv[1][0] == 'y') {
        rc = bare_yajl(argv[2], &bytes);
    } else {
        tg_rec_sink none = {0};
        tg_rec_counts n;
        tg_error e = {0};
        rc = tg_records_parse_range(argv[2], 0, UINT64_MAX, 0, &none, &n, &e) != TG_OK;
        if (rc)
            fprintf(stderr, "parse_bench: %s\n", e.msg);
        bytes = n.bytes;
    }
    double s = (double)(tg_clock_ns() - t0) / 1e9;
    if (rc == 0)
        printf("%s %.3f %.1f\n", argv[1], s, bytes / 1e6 / s);
    return rc;
}
