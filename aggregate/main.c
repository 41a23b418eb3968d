/* main.c - the aggregate command: options, the Make-style up-to-date check, the run
 * and the summary. The work is in aggregate.c (bin.c, labels.c, stratify.c, store/). */
#include "aggregate.h"

#include "display.h"
#include "ingest_file.h"
#include "options.h"
#include "output_file.h"
#include "provenance.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: aggregate [INGEST.h5] [options]\n"
"Reads ingest's rows (album, day, city) in order and in bounded memory, bins the\n"
"days since each album's release into steps, drops rare genres, splits the labeled\n"
"albums into train and test, and writes store.h5 (schema: store/README.md).\n"
"\n"
"  INGEST.h5            input (default ingest.h5)\n"
"  -o FILE              output (default store.h5)\n"
"  --steps N            steps (default 358); bin = floor((day - release) * N / window)\n"
"  --window D           days since release kept (default 358); N <= D\n"
"  --value F            nusers (default) or nstreams\n"
"  --min-albums K       drop genres on fewer than K labeled albums (default 5)\n"
"  --test-fraction P    share of labeled albums in test (default 0.2), stratified\n"
"                       per genre (iterative stratification)\n"
"  --seed S             split seed (default 2019)\n"
"  --force              redo even if the output is up to date\n"
"  -q, -v               say less, say more\n"
"  -h, --help           this help;  --version  the version\n"
"\n"
"Rows before the release, past the window, and of albums with no album record\n"
"(orphans) are counted and left out. The output is up to date when it records the\n"
"same input (path, size, mtime or content hash) and parameters; aggregate then says\n"
"so and does nothing. Exit: 0 done or up to date, 1 failure (no output written, a\n"
"previous one left as it was), 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    tg_aggregate_opts o = {.input = NULL, .output = "store.h5", .steps = 358, .window = 358,
                           .min_albums = 5, .test_fraction = 0.2, .seed = 2019};
    static const char *const values[] = {"nusers", "nstreams", NULL};
    char *recorded = NULL;
    int force = 0, status = 1;
    uint64_t v;
    tg_error err = {0};
    tg_code rc = TG_OK;
    tg_prov prov;
    tg_prov_init(&prov, "aggregate", TG_VERSION);
    /* under mpirun (only then) MPI starts here; it may take its own arguments out */
    tg_mpi mpi;
    rc = tg_mpi_start(&mpi, &argc, &argv, &err);
    if (rc != TG_OK)
        goto end;
    o.mpi = &mpi;

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "aggregate", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_flag(argv[i], "--force", NULL)) {
            force = 1;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.output = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--steps", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--steps", 1, TG_STORE_MAX_STEPS, &v, &err);
            o.steps = (int32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--window", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--window", 1, 1000000, &v, &err);
            o.window = (int32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--value", NULL, &val, &err)) != 0) {
            int choice = 0;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--value", values, &choice, &err);
            o.nstreams = choice == 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--min-albums", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--min-albums", 1, UINT32_MAX, &v, &err);
            o.min_albums = (uint32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--test-fraction", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--test-fraction", 0, 1, &o.test_fraction, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--seed", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--seed", 0, UINT64_MAX, &o.seed, &err);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (o.input != NULL) {
            rc = tg_fail(&err, TG_ERR_USAGE, "one input only ('%s' and '%s')", o.input, argv[i]);
        } else {
            o.input = argv[i];
        }
    }
    if (rc == TG_OK && o.steps > o.window)
        rc = tg_fail(&err, TG_ERR_USAGE, "--steps %d > --window %d: a step cannot be shorter than a day",
                     (int)o.steps, (int)o.window);
    if (rc == TG_OK && strcmp(o.output, "-") == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "-o: HDF5 needs a file, not standard output");
    if (o.input == NULL)
        o.input = "ingest.h5";
    if (rc == TG_OK && strcmp(o.input, "-") == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "the input must be an ingest.h5 file, not standard input");
    if (rc == TG_OK)
        rc = tg_output_distinct("-o", o.output, "the input", o.input, &err);
    if (rc != TG_OK)
        goto end;

    /* Make-style: every parameter that changes the output (not -q) and the input */
    int bad = tg_prov_param(&prov, "schema", "%d", 1);
    bad |= tg_prov_param(&prov, "steps", "%d", (int)o.steps);
    bad |= tg_prov_param(&prov, "window", "%d", (int)o.window);
    bad |= tg_prov_param(&prov, "value", "%s", values[o.nstreams]);
    bad |= tg_prov_param(&prov, "min_albums", "%u", (unsigned)o.min_albums);
    bad |= tg_prov_param(&prov, "test_fraction", "%.17g", o.test_fraction);
    bad |= tg_prov_param(&prov, "seed", "%llu", (unsigned long long)o.seed);
    if (bad) {
        rc = tg_fail(&err, TG_ERR_NOMEM, "out of memory");
        goto end;
    }
    if (mpi.rank > 0)
        tg_display_level = 0;   /* rank 0 speaks for the job, errors included */
    rc = tg_prov_input(&prov, o.input, &err);
    if ((rc = tg_mpi_agree(&mpi, rc, &err)) != TG_OK)
        goto end;
    /* under MPI rank 0 alone decides (it writes the store) and tells the others */
    int current = 0;
    tg_error ignored;
    if (mpi.rank == 0)
        current = !force && tg_store_provenance(o.output, &recorded, &ignored) == TG_OK &&
                  tg_prov_matches(&prov, recorded);
    if ((rc = tg_mpi_bcast(&mpi, &current, sizeof current, 0, &err)) != TG_OK)
        goto end;
    if (current) {
        TG_DISPLAY(2, "aggregate: %s is up to date\n", o.output);
        status = 0;
        goto end;
    }
    /* An output that cannot be written is found before the input is read. */
    if (mpi.rank == 0)
        rc = tg_output_probe(o.output, &err);
    if ((rc = tg_mpi_agree(&mpi, rc, &err)) != TG_OK)
        goto end;
    tg_signals_install();
    o.progress = tg_display_level >= 2 && !mpi.active;
    o.print_dropped = 1;
    tg_aggregate_counts c;
    if ((rc = tg_aggregate_run(&o, &prov, &c, &err)) != TG_OK)
        goto end;
    TG_DISPLAY(2, "aggregate: wrote %s in %.2f s (%llu albums: %llu train, %llu test, %llu unlabeled; "
               "%llu genres; %llu entries)\n", o.output, c.seconds, (unsigned long long)c.albums,
               (unsigned long long)c.albums_train, (unsigned long long)c.albums_test,
               (unsigned long long)c.albums_unlabeled, (unsigned long long)c.genres_kept,
               (unsigned long long)c.entries);
    if (tg_display_level >= 2)
        tg_aggregate_print_counts(stderr, &c);
    if (c.traces_without_nstreams > 0)
        TG_DISPLAY(2, "aggregate: warning: %llu of the %llu trace records had no nstreams: each "
                   "counted 0 streams (--value nusers counts them all)\n",
                   (unsigned long long)c.traces_without_nstreams,
                   (unsigned long long)c.trace_records);
#ifdef TG_HAVE_MPI
    /* the volume each rank exchanged (the figure that says how the job will scale) */
    if (mpi.active) {
        uint64_t mine[2] = {mpi.sent, mpi.received};
        uint64_t *all = mpi.rank == 0 ? calloc(2 * (size_t)mpi.size, sizeof *all) : NULL;
        int bad_gather = mpi.rank == 0 && all == NULL;
        if (!bad_gather && tg_mpi_check(MPI_Gather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T,
                                                   0, MPI_COMM_WORLD), "MPI_Gather", &err) == TG_OK)
            for (int r = 0; mpi.rank == 0 && r < mpi.size; r++)
                TG_DISPLAY(2, "aggregate: rank %d of %d: sent %.3f MB, received %.3f MB\n", r,
                           mpi.size, (double)all[2 * r] / 1e6, (double)all[2 * r + 1] / 1e6);
        free(all);
    }
#endif
    status = 0;

end:
    if (rc != TG_OK) {
        if (mpi.rank == 0) {
            fprintf(stderr, "aggregate: %s\n", err.msg);
            if (rc == TG_ERR_USAGE)
                fprintf(stderr, "Try 'aggregate --help'.\n");
        }
        status = tg_exit_status(rc);
    }
    tg_mpi_finish(&mpi);
    tg_prov_free(&prov);
    free(recorded);
    return status;
}
