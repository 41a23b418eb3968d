/* main.c - the train command: parses options and runs train/run.c. */
#include "run.h"
#include "sweep.h"

#include "display.h"
#include "options.h"
#include "output_file.h"

#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
    fprintf(f,
"Usage: train store.h5 [options]\n"
"Trains a multi-label model (by default the report's MLP: steps x cities -> hidden,\n"
"ReLU -> genres; BCE with logits, Adam) on the store's train split and evaluates the\n"
"test split after every epoch.\n"
"\n"
"  -o FILE               model (default model.h5)\n"
"  --predictions FILE    test-split scores for eval (default predictions.h5)\n"
"  --model M             mlp (default: the report's), logreg, cnn or factorized\n"
"  --steps N             time steps, re-binned from the store's (default: the store's)\n"
"  --hidden H            mlp: hidden units (default steps x 100, the report's rule);\n"
"                        cnn: Linear-3's outputs (default 4096, the report's)\n"
"  --embed D             factorized: city embedding size (default 32)\n"
"  --channels C          factorized: temporal channels (default 64)\n"
"  --kernel K            factorized: temporal convolution width (default 31)\n"
"  --temporal T          factorized: conv (default) or gru\n"
"  --conv-version V      factorized conv: 2 (default) scales each album's input by\n"
"                        10 log1p(m) / m, m its mean step total; 1 does not (the conv\n"
"                        before 2026-12-03, better at nbSteps 1 and with log1p at 358)\n"
"  --epochs N            (default 50)        --batch B   (default 20)\n"
"  --lr X                Adam's learning rate (default 1e-3)\n"
"  --threshold T         for the per-epoch macro F1 and predictions.h5 (default 0.3)\n"
"  --transform T         raw (default: the report's counts) or log1p\n"
"  --balance B           none (default), pos-weight, sample-weight (loss weights by\n"
"                        inverse genre frequency), oversample or undersample\n"
"  --seed S              initialisation and batch order (default 1)\n"
"  --threads T           OpenBLAS threads and Adam's (default: OpenBLAS's choice, and\n"
"                        one thread for Adam)\n"
"  --mem SIZE            memory budget, K/M/G suffixes (default 80%% of RAM); the model\n"
"                        must fit; what is left caches decoded store chunks\n"
"  --backend B           cpu (default), cuda, or auto (cuda when this build has it and a\n"
"                        GPU answers, else cpu)\n"
"  --resume              continue model.h5's training up to --epochs\n"
"  --force               train even if the outputs are up to date\n"
"\n"
"The nbSteps sweep (any of these three makes the run a sweep; no model.h5 is written):\n"
"  --sweep-steps LIST    the nbSteps to train at, e.g. 1-30,358 (default: 1 to 30 and\n"
"                        the store's steps, the report's); every usual option applies\n"
"  --models LIST         models, e.g. mlp,logreg (default: --model's); one that is not\n"
"                        built or does not fit at some steps is a skipped row\n"
"  --sweep-out DIR       sweep.csv, sweep.json, sweep.html and each point's predictions\n"
"                        (default: sweep); the table is also printed on stdout\n"
"  -q, -v                say less, say more;  -h, --help;  --version\n"
"\n"
"An option of one model given with another is bad usage: --hidden is for mlp and cnn;\n"
"--embed, --channels and --temporal for factorized; --kernel and --conv-version for its\n"
"conv. A sweep applies each to the models of --models it fits.\n"
"Exit: 0 done or up to date, 1 failure, 2 bad usage.\n");
}

/* The options that shape one model only, and which: given with another model, one
 * would be ignored without a word, so it is bad usage. A sweep applies each to the
 * points whose model it shapes, and refuses it only when no model it trains is one. */
#define BIT(kind) (1u << (kind))
enum { OPT_HIDDEN, OPT_EMBED, OPT_CHANNELS, OPT_KERNEL, OPT_TEMPORAL, OPT_CONV_VERSION,
       N_MODEL_OPTS };
static const struct {
    const char *name;
    unsigned models;   /* BIT(kind) of each model it shapes */
    int conv_only;     /* the factorized model's conv's alone: not --temporal gru's */
    const char *fits;  /* the models, as messages say them */
} model_opts[N_MODEL_OPTS] = {
    [OPT_HIDDEN] = {"--hidden", BIT(TG_NET_MLP) | BIT(TG_NET_CNN), 0, "--model mlp or cnn"},
    [OPT_EMBED] = {"--embed", BIT(TG_NET_FACTORIZED), 0, "--model factorized"},
    [OPT_CHANNELS] = {"--channels", BIT(TG_NET_FACTORIZED), 0, "--model factorized"},
    [OPT_KERNEL] = {"--kernel", BIT(TG_NET_FACTORIZED), 1, "--model factorized (its conv)"},
    [OPT_TEMPORAL] = {"--temporal", BIT(TG_NET_FACTORIZED), 0, "--model factorized"},
    [OPT_CONV_VERSION] = {"--conv-version", BIT(TG_NET_FACTORIZED), 1,
                          "--model factorized (its conv)"},
};

/* given[k]: model_opts[k] was on the command line. models: the kinds this run trains
 * (a sweep's --models, or --model), listed: whether --models gave them. */
static tg_code check_model_opts(const int *given, const tg_net_spec *spec, unsigned models,
                                 int listed, tg_error *e)
{
    for (int k = 0; k < N_MODEL_OPTS; k++) {
        if (!given[k])
            continue;
        if (!(models & model_opts[k].models) && listed)
            return tg_fail(e, TG_ERR_USAGE, "%s is for %s, which --models does not list",
                           model_opts[k].name, model_opts[k].fits);
        if (!(models & model_opts[k].models))
            return tg_fail(e, TG_ERR_USAGE, "%s is for %s, not --model %s", model_opts[k].name,
                           model_opts[k].fits, tg_net_kind_names[spec->kind]);
        if (model_opts[k].conv_only && spec->temporal != TG_TEMPORAL_CONV)
            return tg_fail(e, TG_ERR_USAGE, "%s is for the factorized model's conv (--temporal "
                           "conv), not --temporal %s", model_opts[k].name,
                           tg_temporal_names[spec->temporal]);
    }
    return TG_OK;
}

int main(int argc, char **argv)
{
    tg_train_options o = {.model_path = "model.h5", .predictions_path = "predictions.h5",
                          .epochs = 50, .batch = 20, .lr = 1e-3, .threshold = 0.3,
                          .transform = TG_TRANSFORM_RAW, .balance = TG_BALANCE_NONE, .seed = 1};
    static const char *const backends[] = {"auto", "cpu", "cuda", NULL};
    tg_error err = {0};
    tg_code rc = TG_OK;
    uint64_t v;
    int k, status = 1, backend = 1;
    /* the sweep's options, and the single run's that a sweep contradicts */
    const char *sweep_steps = NULL, *sweep_models = NULL, *sweep_out = NULL, *single = NULL;
    int32_t *steps_list = NULL;
    size_t n_steps = 0, n_models = 0;
    tg_net_kind models[TG_SWEEP_MAX_MODELS];
    int given[N_MODEL_OPTS] = {0};
    /* under mpirun (only then) MPI starts here; it may take its own arguments out */
    tg_mpi mpi;
    rc = tg_mpi_start(&mpi, &argc, &argv, &err);
    if (rc != TG_OK) {
        fprintf(stderr, "train: %s\n", err.msg);
        tg_mpi_finish(&mpi);
        return tg_exit_status(rc);
    }
    o.mpi = &mpi;
    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "train", usage)) {
            tg_mpi_finish(&mpi);
            return 0;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if (tg_opt_flag(argv[i], "--resume", NULL)) {
            o.resume = 1;
            single = "--resume";
        } else if ((m = tg_opt_value(argc, argv, &i, "--sweep-steps", NULL, &val, &err)) != 0) {
            free(steps_list);
            steps_list = NULL;
            rc = m < 0 ? TG_ERR_USAGE : tg_sweep_parse_steps(val, &steps_list, &n_steps, &err);
            sweep_steps = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--models", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_sweep_parse_models(val, models, &n_models, &err);
            sweep_models = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--sweep-out", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            sweep_out = val;
        } else if (tg_opt_flag(argv[i], "--force", NULL)) {
            o.force = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.model_path = val;
            single = "-o";
        } else if ((m = tg_opt_value(argc, argv, &i, "--predictions", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.predictions_path = val;
            single = "--predictions";
        } else if ((m = tg_opt_value(argc, argv, &i, "--steps", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--steps", 1, 100000, &v, &err);
            o.steps = (int32_t)v;
            single = "--steps";
        } else if ((m = tg_opt_value(argc, argv, &i, "--model", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--model", tg_net_kind_names, &k, &err);
            o.spec.kind = (tg_net_kind)k;
        } else if ((m = tg_opt_value(argc, argv, &i, "--hidden", NULL, &val, &err)) != 0) {
            given[OPT_HIDDEN] = 1;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--hidden", 1, 1u << 30, &v, &err);
            o.spec.hidden = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--embed", NULL, &val, &err)) != 0) {
            given[OPT_EMBED] = 1;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--embed", 1, 1u << 16, &v, &err);
            o.spec.embed = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--channels", NULL, &val, &err)) != 0) {
            given[OPT_CHANNELS] = 1;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--channels", 1, 1u << 16, &v, &err);
            o.spec.channels = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--kernel", NULL, &val, &err)) != 0) {
            given[OPT_KERNEL] = 1;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--kernel", 1, 1000, &v, &err);
            o.spec.kernel = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--temporal", NULL, &val, &err)) != 0) {
            given[OPT_TEMPORAL] = 1;
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--temporal", tg_temporal_names, &k, &err);
            o.spec.temporal = (tg_temporal)k;
        } else if ((m = tg_opt_value(argc, argv, &i, "--conv-version", NULL, &val, &err)) != 0) {
            given[OPT_CONV_VERSION] = 1;
            rc = m < 0 ? TG_ERR_USAGE
                       : tg_parse_u64(val, "--conv-version", 1, TG_CONV_VERSION, &v, &err);
            o.spec.conv_version = (int)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--epochs", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--epochs", 1, 1000000, &v, &err);
            o.epochs = (int32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--batch", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--batch", 1, 1u << 20, &v, &err);
            o.batch = (int32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--lr", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--lr", 1e-12, 10, &o.lr, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--threshold", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_double(val, "--threshold", 0, 1, &o.threshold, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--transform", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--transform", tg_transform_names, &k, &err);
            o.transform = (tg_transform)k;
        } else if ((m = tg_opt_value(argc, argv, &i, "--balance", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--balance", tg_balance_names, &k, &err);
            o.balance = (tg_balance)k;
        } else if ((m = tg_opt_value(argc, argv, &i, "--seed", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--seed", 0, UINT64_MAX, &o.seed, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--threads", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--threads", 1, 256, &v, &err);
            o.threads = (int)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--mem", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_size(val, "--mem", 1 << 20, &o.mem, &err);
        } else if ((m = tg_opt_value(argc, argv, &i, "--backend", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--backend", backends, &k, &err);
            backend = k;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = tg_fail(&err, TG_ERR_USAGE, "unknown option '%s'", argv[i]);
        } else if (o.store_path == NULL) {
            o.store_path = argv[i];
        } else {
            rc = tg_fail(&err, TG_ERR_USAGE, "one store only ('%s' is extra)", argv[i]);
        }
    }
    if (rc == TG_OK && o.store_path == NULL)
        rc = tg_fail(&err, TG_ERR_USAGE, "no store given");
    int sweep = sweep_steps || sweep_models || sweep_out;
    /* a single run's outputs may not replace the store or each other (a sweep writes
     * neither: its files are in --sweep-out) */
    if (rc == TG_OK && !sweep)
        rc = tg_output_distinct("-o", o.model_path, "--predictions", o.predictions_path, &err);
    if (rc == TG_OK && !sweep)
        rc = tg_output_distinct("-o", o.model_path, "the store", o.store_path, &err);
    if (rc == TG_OK && !sweep)
        rc = tg_output_distinct("--predictions", o.predictions_path, "the store", o.store_path,
                                &err);
    if (rc == TG_OK && sweep && single)
        rc = tg_fail(&err, TG_ERR_USAGE, "%s is for a single run: a sweep writes its outputs in "
                     "--sweep-out and takes its steps from --sweep-steps", single);
    if (rc == TG_OK) {
        /* a sweep's --models replace --model */
        int listed = sweep && n_models > 0;
        unsigned kinds = listed ? 0 : BIT(o.spec.kind);
        for (size_t j = 0; listed && j < n_models; j++)
            kinds |= BIT(models[j]);
        rc = check_model_opts(given, &o.spec, kinds, listed, &err);
    }
    if (rc == TG_OK && sweep && mpi.active && mpi.size > 1)
        rc = tg_fail(&err, TG_ERR_USAGE, "a sweep runs in one process, not under mpirun");
    if (mpi.rank > 0)
        tg_display_level = 0;   /* rank 0 speaks for the job, errors included */
    if (rc == TG_OK) {
        o.backend = backend == 2 ? TG_BACKEND_CUDA
                  : backend == 0 && tg_net_cuda_available() ? TG_BACKEND_CUDA : TG_BACKEND_CPU;
        tg_signals_install();
        if (sweep) {
            if (n_models == 0)
                models[n_models++] = o.spec.kind;
            tg_sweep_options so = {.train = o, .steps = steps_list, .n_steps = n_steps,
                                   .models = models, .n_models = n_models,
                                   .out_dir = sweep_out ? sweep_out : "sweep"};
            rc = tg_sweep_run(&so, &err);
        } else {
            rc = tg_train_run(&o, &err);
        }
    }
    if (rc != TG_OK && mpi.rank == 0) {
        fprintf(stderr, "train: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'train --help'.\n");
    }
    status = tg_exit_status(rc);
    free(steps_list);
    tg_mpi_finish(&mpi);
    return status;
}
