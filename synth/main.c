/* main.c - the synth command: parses options, builds the world, writes the traces
 * (unless the output is up to date) and prints --stats. The work is in world.c,
 * traces.c, write.c and stats.c. */
#include "synth.h"

#include "display.h"
#include "options.h"
#include "output_file.h"
#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: synth [options]\n"
"Writes report-calibrated synthetic album and trace records (spec/trace-format.md).\n"
"\n"
"  -o FILE             output (default traces.ndjson; '-' for stdout; '.zst' compresses)\n"
"  --albums N          albums (default 1557, 14 of them unlabeled)\n"
"  --traces M          trace rows in all (default 2348509)\n"
"  --cities C          cities (default 2683; real French names first)\n"
"  --seed S            seed of the whole world (default 2019); same seed, same bytes\n"
"  --layout L          ndjson (default), array, object or nested\n"
"  --scale K           multiply albums and traces by K (K = 10: about 3.3 GB)\n"
"  --city-signal F     strength of the genres' city affinity (default 1; 0 = none)\n"
"  --time-signal F     strength of the genres' temporal shapes (default 1; 0 = none)\n"
"  --threads T         generating threads (default: online cores); output is the same\n"
"  --stats             print the figures of what was written beside the report's\n"
"  --force             write even if the output is up to date\n"
"  -q, -v              say less, say more\n"
"  -h, --help          this help;  --version  the version\n"
"\n"
"The output is up to date when FILE.prov records the same options and FILE is\n"
"unchanged since; synth then writes nothing. Exit: 0 done or up to date, 1 failure,\n"
"2 bad usage.\n");
}

int main(int argc, char **argv)
{
    synth_config cfg = {
        .world = {.albums = 1557, .traces = 2348509, .cities = 2683, .seed = 2019,
                  .city_signal = 1.0, .time_signal = 1.0},
        .output = "traces.ndjson",
        .layout = SYNTH_NDJSON,
        .zstd_level = 3,
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.threads = cores < 1 ? 1 : cores > 64 ? 64 : (unsigned)cores;
    uint64_t scale = 1, v;
    int stats = 0, force = 0, status = 1;
    tg_error err = {0};
    tg_code rc = TG_OK;
    synth_world world;
    int have_world = 0;
    tg_prov prov;
    tg_prov_init(&prov, "synth", TG_VERSION);

    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "synth", usage)) {
            status = 0;
            goto end;
        } else if (tg_opt_flag(argv[i], "--stats", NULL)) {
            stats = 1;
        } else if (tg_opt_flag(argv[i], "--force", NULL)) {
            force = 1;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            cfg.output = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--albums", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--albums", 1, 1u << 24, &v, &err);
            cfg.world.albums = (uint32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--traces", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--traces", 0, 1ULL << 40, &v, &err);
            cfg.world.traces = v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--cities", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--cities", 1, 65535, &v, &err);
            cfg.world.cities = (uint32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--seed", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--seed", 0, UINT64_MAX, &v, &err);
            cfg.world.seed = v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--scale", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--scale", 1, 1000, &scale, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--threads", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--threads", 1, 256, &v, &err);
            cfg.threads = (unsigned)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--city-signal", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_double(val, "--city-signal", 0, 10, &cfg.world.city_signal, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--time-signal", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_double(val, "--time-signal", 0, 10, &cfg.world.time_signal, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--layout", NULL, &val, &err)) != 0) {
            int k = 0;
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_choice(val, "--layout", synth_layout_names, &k, &err);
            cfg.layout = (synth_layout)k;
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        }
    }
    if (rc != TG_OK)
        goto end;
    if ((uint64_t)cfg.world.albums * scale > (1u << 24))
        rc = tg_fail(&err, TG_ERR_USAGE, "--albums x --scale is over %u", 1u << 24);
    if (rc != TG_OK)
        goto end;
    cfg.world.albums = (uint32_t)(cfg.world.albums * scale);
    cfg.world.traces *= scale;
    if (strcmp(cfg.output, "-") == 0 && tg_display_level > 1)
        tg_display_level = 1; /* stdout carries data: keep stderr to errors */

    /* Make-style: the options that change the bytes (not --threads, which does not). */
    int bad = 0;
    bad |= tg_prov_param(&prov, "albums", "%u", cfg.world.albums);
    bad |= tg_prov_param(&prov, "traces", "%llu", (unsigned long long)cfg.world.traces);
    bad |= tg_prov_param(&prov, "cities", "%u", cfg.world.cities);
    bad |= tg_prov_param(&prov, "seed", "%llu", (unsigned long long)cfg.world.seed);
    bad |= tg_prov_param(&prov, "layout", "%s", synth_layout_names[cfg.layout]);
    bad |= tg_prov_param(&prov, "city_signal", "%.17g", cfg.world.city_signal);
    bad |= tg_prov_param(&prov, "time_signal", "%.17g", cfg.world.time_signal);
    bad |= tg_prov_param(&prov, "zstd_level", "%d", cfg.zstd_level);
    if (bad) {
        rc = tg_fail(&err, TG_ERR_NOMEM, "synth: out of memory");
        goto end;
    }
    int to_stdout = strcmp(cfg.output, "-") == 0;
    int up_to_date = !force && !to_stdout && tg_stamp_is_current(cfg.output, &prov);
    if (up_to_date && !stats) {
        TG_DISPLAY(2, "synth: %s is up to date\n", cfg.output);
        status = 0;
        goto end;
    }
    rc = synth_world_build(&world, &cfg.world, &err);
    if (rc != TG_OK)
        goto end;
    have_world = 1;
    tg_signals_install();
    synth_result res;
    if (up_to_date) {
        TG_DISPLAY(2, "synth: %s is up to date; counting its records for --stats\n", cfg.output);
        cfg.discard = 1;
    }
    /* A stamp that outlives a rewritten output would lie: remove it first. */
    if (!to_stdout && !up_to_date) {
        char stamp[4096];
        snprintf(stamp, sizeof stamp, "%s.prov", cfg.output);
        unlink(stamp);
    }
    rc = synth_write(&world, &cfg, &res, &err);
    if (rc != TG_OK)
        goto end;
    if (!to_stdout && !up_to_date) {
        rc = tg_stamp_write(cfg.output, &prov, &err);
        if (rc != TG_OK)
            goto end;
        TG_DISPLAY(2, "synth: wrote %s: %llu albums, %llu trace rows, %.1f MB in %.2f s\n",
                   cfg.output, (unsigned long long)world.n_albums,
                   (unsigned long long)res.counts.rows, res.file_bytes / 1e6, res.seconds);
    }
    if (stats)
        synth_stats_print(to_stdout ? stderr : stdout, &world, &cfg, &res);
    status = 0;

end:
    if (rc != TG_OK) {
        fprintf(stderr, "synth: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'synth --help'.\n");
        status = tg_exit_status(rc);
    }
    if (have_world)
        synth_world_free(&world);
    tg_prov_free(&prov);
    return status;
}
