/* main.c - the ingest command: options, the Make-style up-to-date check, the run and the
 * summary. The work is in ingest.c (records.c, albums.c, runs.c, store/ingest_file.c). */
#include "ingest.h"

#include "display.h"
#include "ingest_file.h"
#include "options.h"
#include "output_file.h"
#include "provenance.h"
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: ingest FILE... [options]\n"
"Reads album and trace records (spec/trace-format.md: NDJSON, array, object of\n"
"arrays, nested traces; plain, .zst, or '-' for stdin) in bounded memory into one\n"
"HDF5 file: album, city and genre dictionaries, the trace rows summed per (album,\n"
"day, city) and sorted, the counters and the provenance (schema: store/README.md).\n"
"\n"
"  -o FILE         output (default ingest.h5)\n"
"  --rejects FILE  rejected records, one JSON object a line (default: the output's\n"
"                  name with .rejects.jsonl for .h5, e.g. ingest.rejects.jsonl)\n"
"  --strict        the first rejected record is an error (exit 1, nothing written)\n"
"  --mem SIZE      memory budget of the whole stage (default 256M; K, M, G\n"
"                  suffixes; at least 2M): half is the row buffer (a full buffer\n"
"                  is sorted and spilled next to the output), half is left for the\n"
"                  dictionaries and HDF5; with --threads N the buffer gives up\n"
"                  2 x N x --split more for the pieces the threads hold\n"
"  --threads N     parser threads (default 1): a plain file is cut at line ends\n"
"                  and the pieces parsed at once (NDJSON; other layouts, .zst\n"
"                  and stdin are parsed by one thread); same output whatever N\n"
"  --split SIZE    bytes per thread's piece (default 8M; tests use small ones)\n"
"  --force         redo even if the output is up to date\n"
"  -q, -v          say less, say more\n"
"  -h, --help      this help;  --version  the version\n"
"\n"
"The output is up to date when it records the same inputs (path, size, mtime or\n"
"content hash) and parameters, and the rejects file is as written (size and\n"
"content hash); ingest then says so and does nothing. Exit: 0 done or\n"
"up to date, 1 failure (malformed input: file, byte offset and line named; no output\n"
"written, a previous one left as it was), 2 bad usage.\n");
}

/* The default rejects path: "x.h5" -> "x.rejects.jsonl", anything else + ".rejects.jsonl". */
static char *default_rejects(const char *output)
{
    size_t n = strlen(output);
    if (n > 3 && strcmp(output + n - 3, ".h5") == 0)
        n -= 3;
    char *p = malloc(n + sizeof ".rejects.jsonl");
    if (p != NULL) {
        memcpy(p, output, n);
        memcpy(p + n, ".rejects.jsonl", sizeof ".rejects.jsonl");
    }
    return p;
}

int main(int argc, char **argv)
{
    tg_ingest_opts o = {.output = "ingest.h5", .mem = (size_t)256 << 20,
                        .split = TG_INGEST_SPLIT};
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    char *rejects = NULL, *recorded = NULL;
    int force = 0, status = 1;
    uint64_t v, threads = 1;
    tg_error err = {0};
    tg_code rc = inputs == NULL ? tg_fail(&err, TG_ERR_NOMEM, "out of memory") : TG_OK;
    tg_prov prov;
    tg_prov_init(&prov, "ingest", TG_VERSION);
    uint64_t *xfer = NULL;
    /* under mpirun (only then) MPI starts here; it may take its own arguments out */
    tg_mpi m;
    if (rc == TG_OK)
        rc = tg_mpi_start(&m, &argc, &argv, &err);
    else
        tg_mpi_start(&m, NULL, NULL, &err);   /* not launched: no MPI */

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "ingest", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_flag(argv[i], "--strict", NULL)) {
            o.strict = 1;
        } else if (tg_opt_flag(argv[i], "--force", NULL)) {
            force = 1;
        } else if (tg_opt_flag(argv[i], "-q", "--quiet")) {
            tg_display_level--;
        } else if (tg_opt_flag(argv[i], "-v", "--verbose")) {
            tg_display_level++;
        } else if (tg_opt_flag(argv[i], "--fake-stderr-is-console", NULL)) {
            tg_fake_console = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.output = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--rejects", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.rejects = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--mem", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_size(val, "--mem", TG_INGEST_MIN_MEM, &v, &err);
            o.mem = (size_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--threads", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--threads", 1, 256, &threads, &err);
            o.threads = (unsigned)threads;
        } else if ((m = tg_opt_value(argc, argv, &i, "--split", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_size(val, "--split", 1, &v, &err);
            o.split = (size_t)v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else {
            inputs[o.n_inputs++] = argv[i];
        }
    }
    if (rc == TG_OK && o.n_inputs == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "no input file");
    if (rc == TG_OK && strcmp(o.output, "-") == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "-o: HDF5 needs a file, not standard output");
    if (rc != TG_OK)
        goto end;
    o.inputs = inputs;
    if (m.rank > 0)
        tg_display_level = 0;   /* rank 0 speaks for the job, errors included */
    if (o.rejects == NULL) {
        if ((rejects = default_rejects(o.output)) == NULL) {
            rc = tg_fail(&err, TG_ERR_NOMEM, "out of memory");
            goto end;
        }
        o.rejects = rejects;
    }
    /* neither output may replace an input, nor the other output */
    rc = tg_output_distinct("-o", o.output, "--rejects", o.rejects, &err);
    for (size_t i = 0; i < o.n_inputs && rc == TG_OK; i++) {
        rc = tg_output_distinct("-o", o.output, "the input", o.inputs[i], &err);
        if (rc == TG_OK)
            rc = tg_output_distinct("--rejects", o.rejects, "the input", o.inputs[i], &err);
    }
    if (rc != TG_OK)
        goto end;

    /* Make-style: what changes the output (not --mem, --threads, -q: same rows), and
     * --strict, which changes whether there is one: a run without it kept the rejects,
     * and a rerun with it must refuse them rather than say "up to date" */
    int bad = tg_prov_param(&prov, "schema", "%d", TG_INGEST_SCHEMA);
    bad |= tg_prov_param(&prov, "rejects", "%s", o.rejects);
    bad |= tg_prov_param(&prov, "strict", "%d", o.strict != 0);
    if (bad) {
        rc = tg_fail(&err, TG_ERR_NOMEM, "out of memory");
        goto end;
    }
    for (size_t i = 0; i < o.n_inputs && rc == TG_OK; i++)
        rc = tg_prov_input(&prov, o.inputs[i], &err);
    if (rc == TG_OK) /* side output 0: an edited rejects file makes ingest.h5 out of date */
        rc = tg_prov_output(&prov, o.rejects, &err);
    if ((rc = tg_mpi_agree(&m, rc, &err)) != TG_OK)
        goto end;
    /* under MPI rank 0 alone decides (it writes the outputs) and tells the others */
    int current = 0;
    tg_error ignored;
    if (m.rank == 0)
        current = !force && access(o.rejects, F_OK) == 0 &&
                  tg_ingest_file_provenance(o.output, &recorded, &ignored) == TG_OK &&
                  tg_prov_matches(&prov, recorded);
    if ((rc = tg_mpi_bcast(&m, &current, sizeof current, 0, &err)) != TG_OK)
        goto end;
    if (current) {
        TG_DISPLAY(2, "ingest: %s is up to date\n", o.output);
        status = 0;
        goto end;
    }
    /* An output that cannot be written (a missing or read-only directory) is found now,
     * not once the whole input is parsed: ingest.h5 is created last. */
    if (m.rank == 0)
        rc = tg_output_probe(o.output, &err);
    if ((rc = tg_mpi_agree(&m, rc, &err)) != TG_OK)
        goto end;
    tg_signals_install();
    o.progress = tg_display_level >= 2 && !m.active;
    tg_ingest_counts c;
    if (m.active) {
        if ((xfer = calloc(2 * (size_t)m.size, sizeof *xfer)) == NULL)
            rc = tg_fail(&err, TG_ERR_NOMEM, "out of memory");
        rc = tg_mpi_agree(&m, rc, &err);
        if (rc == TG_OK)
            rc = tg_ingest_run_mpi(&o, &prov, &m, &c, xfer, &err);
    } else {
        rc = tg_ingest_run(&o, &prov, &c, &err);
    }
    if (rc != TG_OK)
        goto end;
    /* the volume each rank exchanged (the figure that says how the job will scale) */
    for (int r = 0; m.active && m.rank == 0 && r < m.size; r++)
        TG_DISPLAY(2, "ingest: rank %d of %d: sent %.3f MB, received %.3f MB\n", r, m.size,
                   (double)xfer[2 * r] / 1e6, (double)xfer[2 * r + 1] / 1e6);
    TG_DISPLAY(2, "ingest: wrote %s and %s in %.2f s (%llu rows; %llu spilled runs, %llu merge "
               "passes)\n", o.output, o.rejects, c.seconds, (unsigned long long)c.rows,
               (unsigned long long)c.spills, (unsigned long long)c.merge_passes);
    if (tg_display_level >= 2)
        tg_ingest_print_counts(stderr, &c);
    status = 0;

end:
    if (rc != TG_OK) {
        if (m.rank == 0) {
            fprintf(stderr, "ingest: %s\n", err.msg);
            if (rc == TG_ERR_USAGE)
                fprintf(stderr, "Try 'ingest --help'.\n");
        }
        status = tg_exit_status(rc);
    }
    tg_mpi_finish(&m);
    free(xfer);
    tg_prov_free(&prov);
    free(recorded);
    free(rejects);
    free(inputs);
    return status;
}
