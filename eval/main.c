/* main.c - the eval command: its options and their usage checks, then eval_run
 * (eval.c), which reads the input, computes the metrics and writes the reports. */
#include "eval.h"

#include "display.h"
#include "options.h"
#include "output_file.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: eval PREDICTIONS.h5 [options]\n"
"       eval LABELS.csv SCORES.csv [options]\n"
"Prints the report's metrics (spec/metrics.md; scikit-learn 1.2's definitions) of\n"
"the scores against the true labels: the label-based and example-based summaries,\n"
"per-genre precision, recall, F1, AP and support, and one-vs-all confusion matrices.\n"
"\n"
"PREDICTIONS.h5 is what train writes (layout in eval/README.md): only its labeled\n"
"albums are evaluated, those of the test split unless --split says otherwise.\n"
"LABELS.csv holds 0/1 values, SCORES.csv numbers in [0, 1]; both start with a header\n"
"row of genre names (same names, same order), optionally after a first column named\n"
"album_id (ids must then match row by row); one row per album, RFC 4180 quoting.\n"
"\n"
"  --split WHICH       test (default), train, or all (train and test); .h5 only\n"
"  --threshold T       a genre is predicted when its score exceeds T (default: the\n"
"                      predictions file's threshold, else 0.3)\n"
"  --sweep FROM:TO:STEP  also the threshold-dependent metrics at each threshold\n"
"                      FROM, FROM+STEP, ... TO, and the one maximising macro F1\n"
"  --json FILE         everything at full precision as JSON\n"
"  --html FILE         a self-contained HTML report with charts (open it in a browser;\n"
"                      without --sweep its threshold chart uses 0:1:0.02)\n"
"  --model FILE        the model.h5 the scores came from (default: the one the\n"
"                      predictions file names, as written or beside that file):\n"
"                      its per-epoch history is printed, charted by --html and\n"
"                      written by --json, unless the model records other\n"
"                      predictions than PREDICTIONS.h5 (then a warning)\n"
"  --decimals N        decimals in the tables and the HTML (default 2, at most 17)\n"
"  -q, -v              say less, say more\n"
"  -h, --help          this help;  --version  the version\n"
"\n"
"FILE '-' is standard output, which then carries only that file (one of --json and\n"
"--html at most). Exit: 0 done, 1 failure (bad input included), 2 bad usage.\n");
}

/* "FROM:TO:STEP" into three numbers in [0, 1] (STEP > 0). */
static tg_code parse_sweep(const char *s, double *from, double *to, double *step, tg_error *e)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s", s);
    char *b = n > 0 && (size_t)n < sizeof buf ? strchr(buf, ':') : NULL;
    char *c = b != NULL ? strchr(b + 1, ':') : NULL;
    if (c == NULL || strchr(c + 1, ':') != NULL)
        return tg_fail(e, TG_ERR_USAGE, "--sweep '%s' is not FROM:TO:STEP (e.g. 0.1:0.9:0.05)",
                       s);
    *b++ = '\0';
    *c++ = '\0';
    tg_code rc = tg_parse_double(buf, "--sweep FROM", 0, 1, from, e);
    if (rc == TG_OK)
        rc = tg_parse_double(b, "--sweep TO", 0, 1, to, e);
    if (rc == TG_OK)
        rc = tg_parse_double(c, "--sweep STEP", 1e-6, 1, step, e);
    if (rc == TG_OK && *from > *to)
        rc = tg_fail(e, TG_ERR_USAGE, "--sweep '%s': FROM is above TO", s);
    return rc;
}

int main(int argc, char **argv)
{
    eval_options o = {.split = EVAL_SPLIT_TEST, .threshold = 0.3};
    int status = 1, split_given = 0, split = EVAL_SPLIT_TEST;
    uint64_t decimals = 2;
    tg_error err = {0};
    tg_code rc = TG_OK;

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "eval", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--threshold", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_double(val, "--threshold", 0, 1, &o.threshold, &err);
            o.threshold_given = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--sweep", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : parse_sweep(val, &o.from, &o.to, &o.step, &err);
            o.sweeping = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--split", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_choice(val, "--split", eval_split_choices, &split, &err);
            split_given = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--json", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.json_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--html", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.html_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--model", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.model_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--decimals", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--decimals", 0, 17, &decimals, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (o.n_files < 2) {
            o.files[o.n_files++] = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE,
                         "unexpected argument '%s' (PREDICTIONS.h5, or LABELS.csv SCORES.csv)",
                         argv[i]);
        }
    }
    o.split = (eval_split)split;
    o.decimals = (int)decimals;
    if (rc == TG_OK && o.n_files == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "needs PREDICTIONS.h5, or two files: LABELS.csv SCORES.csv");
    if (rc == TG_OK && o.n_files == 2 && split_given)
        rc = tg_fail(&err, TG_ERR_USAGE, "--split applies to a predictions file, not to CSV files");
    int json_stdout = o.json_path != NULL && strcmp(o.json_path, "-") == 0;
    int html_stdout = o.html_path != NULL && strcmp(o.html_path, "-") == 0;
    if (rc == TG_OK && json_stdout && html_stdout)
        rc = tg_fail(&err, TG_ERR_USAGE, "--json - and --html -: only one can go to standard output");
    /* no output may replace an input or the other output */
    const char *out_opts[2] = {"--json", "--html"}, *outs[2] = {o.json_path, o.html_path};
    for (int k = 0; k < 2 && rc == TG_OK; k++) {
        for (int f = 0; outs[k] != NULL && f < o.n_files && rc == TG_OK; f++)
            rc = tg_output_distinct(out_opts[k], outs[k], "the input", o.files[f], &err);
        if (rc == TG_OK && outs[k] != NULL && o.model_path != NULL)
            rc = tg_output_distinct(out_opts[k], outs[k], "--model", o.model_path, &err);
    }
    if (rc == TG_OK && o.json_path != NULL && o.html_path != NULL)
        rc = tg_output_distinct("--json", o.json_path, "--html", o.html_path, &err);
    /* a missing or read-only output directory is found before the report is printed, as
     * every stage does, not after */
    for (int k = 0; k < 2 && rc == TG_OK; k++)
        if (outs[k] != NULL && strcmp(outs[k], "-") != 0)
            rc = tg_output_probe(outs[k], &err);
    if (rc != TG_OK)
        goto end;
    if ((json_stdout || html_stdout) && tg_display_level > 1)
        tg_display_level = 1; /* stdout carries data: keep stderr to errors */
    if ((rc = eval_run(&o, &err)) == TG_OK)
        status = 0;

end:
    if (rc != TG_OK) {
        fprintf(stderr, "eval: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'eval --help'.\n");
        status = tg_exit_status(rc);
    }
    return status;
}
