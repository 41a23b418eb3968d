/* main.c - the store command: `store info` summarises a store, `store dump` prints its
 * entries as CSV. The work is in store_read.c, info.c and dump.c. */
#include "store.h"
#include "tool.h"

#include "display.h"
#include "options.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: store info STORE.h5\n"
"       store dump STORE.h5 [--album ID] [--steps N]\n"
"Reads a store written by aggregate (validating it first) and prints:\n"
"  info   albums (labeled, unlabeled, train, test), release dates, genres with\n"
"         their album counts and the dropped ones, cities, steps, nonzero entries,\n"
"         the file's size and its ratio to the raw CSR arrays and to the dense int16\n"
"         tensor\n"
"  dump   CSV album_id,step,city,value, one line per nonzero (album, step, city),\n"
"         city by name; fields with a comma, quote or line break are quoted\n"
"\n"
"  --album ID   only that album\n"
"  --steps N    re-bin to N steps: bin = floor(step * N / steps of the store)\n"
"  -q, -v       say less, say more\n"
"  -h, --help   this help;  --version  the version\n"
"\n"
"Exit: 0 done, 1 failure (a damaged store included), 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    const char *cmd = NULL, *path = NULL, *album_id = NULL;
    uint64_t steps = 0;
    int status = 1;
    tg_error err = {0};
    tg_code rc = TG_OK;
    tg_store *s = NULL;

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "store", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_flag(argv[i], "-q", "--quiet")) {
            tg_display_level--;
        } else if (tg_opt_flag(argv[i], "-v", "--verbose")) {
            tg_display_level++;
        } else if ((m = tg_opt_value(argc, argv, &i, "--album", NULL, &album_id, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
        } else if ((m = tg_opt_value(argc, argv, &i, "--steps", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--steps", 1, TG_STORE_MAX_STEPS, &steps, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (cmd == NULL) {
            cmd = argv[i];
        } else if (path == NULL) {
            path = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE, "unexpected argument '%s'", argv[i]);
        }
    }
    int dump = cmd != NULL && strcmp(cmd, "dump") == 0;
    if (rc == TG_OK && cmd == NULL)
        rc = tg_fail(&err, TG_ERR_USAGE, "needs a command: info or dump");
    else if (rc == TG_OK && !dump && strcmp(cmd, "info") != 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "unknown command '%s' (info or dump)", cmd);
    else if (rc == TG_OK && path == NULL)
        rc = tg_fail(&err, TG_ERR_USAGE, "needs a store: store %s STORE.h5", cmd);
    else if (rc == TG_OK && !dump && (album_id != NULL || steps != 0))
        rc = tg_fail(&err, TG_ERR_USAGE, "--album and --steps go with dump");
    if (rc != TG_OK)
        goto end;

    if ((rc = tg_store_open(path, &s, &err)) != TG_OK)
        goto end;
    if (dump) {
        long album = -1;
        if (album_id != NULL && (album = tg_store_find_album(s, album_id)) < 0) {
            rc = tg_fail(&err, TG_ERR_USAGE, "%s: no album '%s'", path, album_id);
            goto end;
        }
        rc = tg_store_dump(s, album, steps != 0 ? (int32_t)steps : s->steps, stdout, &err);
    } else {
        struct stat st;
        if (stat(path, &st) != 0)
            rc = tg_fail_errno(&err, TG_ERR_IO, "%s: cannot stat", path);
        else
            rc = tg_store_info_print(s, (unsigned long long)st.st_size, stdout, &err);
    }
    if (rc == TG_OK)
        status = 0;

end:
    if (rc != TG_OK) {
        TG_DISPLAY(1, "store: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            TG_DISPLAY(1, "Try 'store --help'.\n");
        status = tg_exit_status(rc);
    }
    tg_store_close(s);
    return status;
}
