/* main.c - the train command: parses options and runs train/run.c. */
#include "run.h"

#include "display.h"
#include "options.h"
#include "output_file.h"

#include <stdio.h>
#include <string.h>

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
"  --hidden H            mlp: hidden units (default steps x 100, the report's rule)\n"
"  --embed D             factorized: city embedding size (default 32)\n"
"  --channels C          factorized: temporal channels (default 64)\n"
"  --kernel K            factorized: temporal convolution width (default 31)\n"
"  --temporal T          factorized: conv (default) or gru\n"
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
"  -q, -v                say less, say more;  -h, --help;  --version\n"
"\n"
"Exit: 0 done or up to date, 1 failure, 2 bad usage.\n");
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
    for (int i = 1; i < argc && rc == TG_OK; i++) {
        const char *val = NULL;
        int m;
        if (tg_opt_info(argv[i], "train", usage)) {
            return 0;
        } else if (tg_opt_display(argv[i])) {
            continue;
        } else if (tg_opt_flag(argv[i], "--resume", NULL)) {
            o.resume = 1;
        } else if (tg_opt_flag(argv[i], "--force", NULL)) {
            o.force = 1;
        } else if ((m = tg_opt_value(argc, argv, &i, "--output", "-o", &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.model_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--predictions", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : TG_OK;
            o.predictions_path = val;
        } else if ((m = tg_opt_value(argc, argv, &i, "--steps", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--steps", 1, 100000, &v, &err);
            o.steps = (int32_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--model", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--model", tg_net_kind_names, &k, &err);
            o.spec.kind = (tg_net_kind)k;
        } else if ((m = tg_opt_value(argc, argv, &i, "--hidden", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--hidden", 1, 1u << 30, &v, &err);
            o.spec.hidden = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--embed", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--embed", 1, 1u << 16, &v, &err);
            o.spec.embed = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--channels", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--channels", 1, 1u << 16, &v, &err);
            o.spec.channels = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--kernel", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_u64(val, "--kernel", 1, 1000, &v, &err);
            o.spec.kernel = (int64_t)v;
        } else if ((m = tg_opt_value(argc, argv, &i, "--temporal", NULL, &val, &err)) != 0) {
            rc = m < 0 ? TG_ERR_USAGE : tg_parse_choice(val, "--temporal", tg_temporal_names, &k, &err);
            o.spec.temporal = (tg_temporal)k;
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
    if (rc == TG_OK && strcmp(o.model_path, o.predictions_path) == 0)
        rc = tg_fail(&err, TG_ERR_USAGE, "-o and --predictions name the same file");
    if (rc == TG_OK) {
        o.backend = backend == 2 ? TG_BACKEND_CUDA
                  : backend == 0 && tg_net_cuda_available() ? TG_BACKEND_CUDA : TG_BACKEND_CPU;
        tg_signals_install();
        rc = tg_train_run(&o, &err);
    }
    if (rc != TG_OK) {
        fprintf(stderr, "train: %s\n", err.msg);
        if (rc == TG_ERR_USAGE)
            fprintf(stderr, "Try 'train --help'.\n");
    }
    status = tg_exit_status(rc);
    return status;
}
