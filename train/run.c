/* run.c - the train command's work (see run.h). */
#include "run.h"

#include "display.h"
#include "loader.h"
#include "model_file.h"
#include "output_file.h"
#include "predictions.h"
#include "provenance.h"
#include "store.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The options that shape the result, as "key=value" lines: the config recorded in
 * model.h5 and the parameters of the provenance. epochs comes last so that a resumed
 * run can compare everything before it. */
static int config_text(const tg_train_options *o, const tg_net_spec *spec, char *buf,
                       size_t size)
{
    int n = tg_net_spec_text(spec, buf, size);
    if (n < 0 || (size_t)n >= size)
        return -1;
    int m = snprintf(buf + n, size - (size_t)n,
                     "steps=%lld\nbatch=%d\nlr=%.17g\nthreshold=%.17g\n"
                     "transform=%s\nbalance=%s\nseed=%llu\nthreads=%d\nepochs=%d\n",
                     (long long)spec->steps, o->batch, o->lr, o->threshold,
                     tg_transform_names[o->transform], tg_balance_names[o->balance],
                     (unsigned long long)o->seed, o->threads, o->epochs);
    return m < 0 || (size_t)m >= size - (size_t)n ? -1 : n + m;
}

static uint64_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static void human_bytes(char *buf, size_t size, double b)
{
    if (b >= 1e9)
        snprintf(buf, size, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, size, "%.1f MB", b / 1e6);
    else
        snprintf(buf, size, "%.1f kB", b / 1e3);
}

/* Says what the model needs and refuses it when it does not fit: never an OOM kill. */
static tg_code check_memory(const tg_train_options *o, const tg_net_spec *s,
                            const tg_net_layout *l, uint64_t *budget, tg_error *e)
{
    uint64_t params = (uint64_t)l->n_params, need = tg_net_bytes(l);
    uint64_t limit = o->mem ? o->mem : physical_memory() / 10 * 8;
    char n[32], lim[32], p[32], shape[64] = "", hidden[48] = "";
    human_bytes(n, sizeof n, (double)need);
    human_bytes(lim, sizeof lim, (double)limit);
    human_bytes(p, sizeof p, 4.0 * (double)params);
    if (s->kind == TG_NET_MLP || s->kind == TG_NET_CNN)
        snprintf(hidden, sizeof hidden, " or --hidden (now %lld)", (long long)s->hidden);
    if (s->kind == TG_NET_MLP)
        snprintf(shape, sizeof shape, " %lld -> %lld (ReLU) -> %lld",
                 (long long)(s->steps * s->cities), (long long)s->hidden, (long long)s->genres);
    TG_DISPLAY(2, "train: %s%s: %llu parameters; needs %s (parameters, gradients, Adam m "
               "and v: 4 x %s; activations of a batch)\n", tg_net_kind_names[s->kind], shape,
               (unsigned long long)params, n, p);
    if (need > limit)
        return tg_fail(e, TG_ERR_LIMIT,
                       "train: the %s needs %s (%llu parameters x 16 bytes) but the memory "
                       "budget is %s: lower --steps (now %lld)%s, or raise --mem",
                       tg_net_kind_names[s->kind], n, (unsigned long long)params, lim,
                       (long long)s->steps, hidden);
    *budget = limit - need;
    return TG_OK;
}

/* The album indices of one split. */
static tg_code split_ids(const tg_store *s, int code, uint32_t **ids, size_t *n, tg_error *e)
{
    *n = 0;
    *ids = malloc((s->n_albums ? s->n_albums : 1) * sizeof **ids);
    if (*ids == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
    for (size_t a = 0; a < s->n_albums; a++)
        if (s->split[a] == code)
            (*ids)[(*n)++] = (uint32_t)a;
    return TG_OK;
}

/* Appends one epoch to a history it owns. */
static tg_code history_add(tg_model_history *h, const tg_epoch_stats *st, tg_error *e)
{
    size_t n = h->n + 1;
    int32_t *ep = realloc(h->epoch, n * sizeof *ep);
    if (ep == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
    h->epoch = ep;
    double **cols[] = {&h->train_loss, &h->test_loss, &h->test_map, &h->test_macro_f1,
                       &h->seconds, &h->loader_seconds};
    double vals[] = {st->train_loss, st->test_loss, st->test_map, st->test_macro_f1,
                     st->seconds, st->loader_seconds};
    for (int k = 0; k < 6; k++) {
        double *c = realloc(*cols[k], n * sizeof *c);
        if (c == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
        *cols[k] = c;
        c[n - 1] = vals[k];
    }
    ep[n - 1] = st->epoch;
    h->n = n;
    return TG_OK;
}

/* Up to date: model.h5 records the same provenance and predictions.h5 exists. */
static int up_to_date(const tg_train_options *o, tg_prov *prov)
{
    char *text = NULL;
    if (tg_model_file_provenance(o->model_path, &text, NULL) != TG_OK)
        return 0;
    int ok = tg_prov_matches(prov, text) && access(o->predictions_path, R_OK) == 0;
    free(text);
    return ok;
}

/* Restores parameters, Adam's state and history from model.h5 for --resume. */
static tg_code resume_from(const tg_train_options *o, const char *config, tg_model *m,
                           tg_model_history *h, tg_error *e)
{
    tg_model_file f;
    tg_code rc = tg_model_file_read(o->model_path, &f, e);
    if (rc != TG_OK)
        return rc;
    const tg_net_layout *l = &m->net->layout;
    const char *a = strstr(config, "epochs="), *b = strstr(f.meta.config, "epochs=");
    int same = f.meta.n_tensors == l->n_tensors && b && a - config == b - f.meta.config &&
               memcmp(config, f.meta.config, (size_t)(a - config)) == 0;
    for (int k = 0; same && k < l->n_tensors; k++)
        same = strcmp(f.meta.tensors[k].name, l->tensors[k].name) == 0 &&
               f.meta.tensors[k].rank == l->tensors[k].rank &&
               memcmp(f.meta.tensors[k].dims, l->tensors[k].dims,
                      (size_t)l->tensors[k].rank * sizeof(int64_t)) == 0;
    if (!same)
        rc = tg_fail(e, TG_ERR_USAGE, "--resume: %s was trained with other options:\n%s",
                     o->model_path, f.meta.config);
    else if (f.adam_m == NULL)
        rc = tg_fail(e, TG_ERR_USAGE, "--resume: %s holds no optimiser state", o->model_path);
    if (rc == TG_OK)
        rc = m->net->ops->set_state(m->net, f.params, f.adam_m, f.adam_v, e);
    if (rc == TG_OK) {
        m->net->step = f.adam_step;
        m->epoch = (int32_t)f.history.n;
        *h = f.history;
        memset(&f.history, 0, sizeof f.history); /* handed over */
    }
    tg_model_file_free(&f);
    return rc;
}

/* model.h5's description of a net's tensors. */
static void meta_tensors(const tg_net_layout *l, tg_model_meta *meta)
{
    meta->n_tensors = l->n_tensors;
    for (int k = 0; k < l->n_tensors; k++) {
        tg_model_tensor *t = &meta->tensors[k];
        snprintf(t->name, sizeof t->name, "%s", l->tensors[k].name);
        t->rank = l->tensors[k].rank;
        memcpy(t->dims, l->tensors[k].dims, sizeof t->dims);
    }
}

/* Writes model.h5 from the net's state, copied to the host. */
static tg_code write_model(const tg_train_options *o, tg_model_meta *meta, const tg_model *m,
                           const tg_model_history *h, tg_error *e)
{
    const size_t N = m->net->layout.n_params;
    float *p = malloc(N * sizeof *p), *am = malloc(N * sizeof *am), *av = malloc(N * sizeof *av);
    tg_code rc = TG_OK;
    if (!p || !am || !av)
        rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory to write %s", o->model_path);
    if (rc == TG_OK)
        rc = m->net->ops->get_state(m->net, p, am, av, e);
    meta_tensors(&m->net->layout, meta);
    if (rc == TG_OK)
        rc = tg_model_file_write(o->model_path, meta, p, am, av, m->net->step, h, e);
    free(p), free(am), free(av);
    return rc;
}

/* Writes the predictions to path (a temporary of the caller's, see tg_train_run). */
static tg_code write_predictions(const tg_train_options *o, const char *path, const tg_store *s,
                                 tg_net *net, const uint32_t *test, size_t n_test,
                                 tg_batch_source *src, tg_error *e)
{
    const size_t G = s->n_genres;
    tg_predictions p = {.n_albums = n_test, .n_genres = G, .genre_names = s->genre_names,
                        .has_threshold = 1, .threshold = o->threshold,
                        .model = (char *)o->model_path};
    p.album_ids = malloc(n_test * sizeof *p.album_ids);
    p.split = malloc(n_test);
    p.scores = malloc(n_test * G * sizeof *p.scores);
    p.labels = malloc(n_test * G);
    tg_code rc = TG_OK;
    if (!p.album_ids || !p.split || !p.scores || !p.labels)
        rc = tg_fail(e, TG_ERR_NOMEM, "train: out of memory for predictions");
    if (rc == TG_OK)
        rc = tg_predict(net, test, n_test, NULL, src, o->batch, p.scores, NULL, e);
    for (size_t i = 0; rc == TG_OK && i < n_test; i++) {
        p.album_ids[i] = s->album_ids[test[i]];
        p.split[i] = s->split[test[i]];
        memcpy(p.labels + i * G, s->labels + (size_t)test[i] * G, G);
    }
    if (rc == TG_OK)
        rc = tg_predictions_write(path, &p, e);
    free(p.album_ids), free(p.split), free(p.scores), free(p.labels);
    return rc;
}

tg_code tg_train_run(const tg_train_options *o, tg_error *e)
{
    tg_store *s = NULL;
    tg_loader *loader = NULL;
    tg_model m = {0};
    tg_model_history h = {0};
    uint32_t *train = NULL, *test = NULL;
    size_t n_train = 0, n_test = 0;
    tg_prov prov;
    tg_prov_init(&prov, "train", TG_VERSION);
    char config[1024];
    char *prov_text = NULL;

    tg_code rc = tg_store_open(o->store_path, &s, e);
    if (rc != TG_OK)
        goto end;
    int32_t steps = o->steps ? o->steps : s->steps;
    if (steps < 1 || steps > s->steps) {
        rc = tg_fail(e, TG_ERR_USAGE, "--steps %d: %s has %d steps (choose 1 to %d)", steps,
                     o->store_path, s->steps, s->steps);
        goto end;
    }
    tg_net_spec spec = o->spec;
    spec.steps = steps;
    spec.cities = (int64_t)s->n_cities;
    spec.genres = (int64_t)s->n_genres;
    tg_net_layout layout;
    rc = tg_net_spec_resolve(&spec, e);
    if (rc == TG_OK)
        rc = tg_net_layout_of(&spec, o->batch, &layout, e);
    if (rc == TG_OK && config_text(o, &spec, config, sizeof config) < 0)
        rc = tg_fail(e, TG_ERR_USAGE, "train: the options do not fit the config record");
    if (rc != TG_OK)
        goto end;
    rc = tg_prov_input(&prov, o->store_path, e);
    for (const char *line = config; rc == TG_OK && *line;) {
        const char *eq = strchr(line, '='), *nl = strchr(line, '\n');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
        rc = tg_prov_param(&prov, key, "%.*s", (int)(nl - eq - 1), eq + 1) == TG_OK
                 ? TG_OK : tg_fail(e, TG_ERR_NOMEM, "train: out of memory");
        line = nl + 1;
    }
    if (rc != TG_OK)
        goto end;
    if (!o->force && !o->resume && up_to_date(o, &prov)) {
        TG_DISPLAY(2, "train: %s and %s are up to date\n", o->model_path, o->predictions_path);
        goto end;
    }
    uint64_t cache_budget = 0;
    rc = check_memory(o, &spec, &layout, &cache_budget, e);
    if (rc == TG_OK)
        rc = tg_model_alloc(&m, &spec, o->backend, o->batch, o->seed, o->threads, e);
    if (rc == TG_OK && o->resume)
        rc = resume_from(o, config, &m, &h, e);
    if (rc == TG_OK)
        rc = split_ids(s, TG_SPLIT_TRAIN, &train, &n_train, e);
    if (rc == TG_OK)
        rc = split_ids(s, TG_SPLIT_TEST, &test, &n_test, e);
    if (rc == TG_OK && n_train == 0)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: no album in the train split", o->store_path);
    if (rc != TG_OK)
        goto end;
    if (o->threads > 0)
        openblas_set_num_threads(o->threads);
    tg_loader_config lc = {.store = s, .steps = steps, .transform = o->transform,
                           .cache_bytes = cache_budget, .batch = o->batch, .depth = 4};
    rc = tg_loader_open(&loader, &lc, e);
    if (rc != TG_OK)
        goto end;
    tg_batch_source src = tg_loader_source(loader);
    tg_train_config tc = {.epochs = o->epochs, .batch = o->batch,
                          .adam = {.lr = o->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
                          .seed = o->seed, .threshold = o->threshold, .balance = o->balance};
    tg_train_data d = {.n_albums = s->n_albums, .labels = s->labels, .train = train,
                       .n_train = n_train, .test = test, .n_test = n_test};
    TG_DISPLAY(2, "train: %zu train and %zu test albums, %d steps, batch %d, %d epochs\n",
               n_train, n_test, steps, o->batch, o->epochs);
    TG_DISPLAY(2, "%6s %11s %11s %9s %9s %8s %8s\n", "epoch", "train loss", "test loss",
               "test MAP", "macro F1", "seconds", "stall");
    while (rc == TG_OK && m.epoch < o->epochs) {
        tg_epoch_stats st;
        rc = tg_train_epoch(&m, &tc, &d, &src, &st, e);
        if (rc == TG_OK)
            rc = history_add(&h, &st, e);
        if (rc == TG_OK)
            TG_DISPLAY(2, "%6d %11.5f %11.5f %9.4f %9.4f %8.2f %7.1f%%\n", st.epoch,
                       st.train_loss, st.test_loss, st.test_map, st.test_macro_f1, st.seconds,
                       st.seconds > 0 ? 100.0 * st.loader_seconds / st.seconds : 0.0);
    }
    if (rc == TG_OK)
        rc = tg_prov_hash_inputs(&prov, e);
    if (rc == TG_OK)
        rc = tg_prov_text(&prov, &prov_text, e);
    if (rc == TG_OK) {
        tg_model_meta meta = {.genres = spec.genres, .steps = steps, .cities = spec.cities,
                              .model = (char *)tg_net_kind_names[spec.kind], .config = config,
                              .provenance = prov_text, .genre_names = s->genre_names};
        /* Both outputs or neither: the predictions go to a temporary beside their final
         * name, model.h5 is written (atomically), and only then are the predictions
         * renamed into place. A failure leaves the previous pair as it was; a model.h5
         * whose provenance matches means both are complete. */
        char *pred_tmp = NULL;
        if (n_test > 0) {
            rc = tg_tmp_create(o->predictions_path, &pred_tmp, e);
            if (rc == TG_OK)
                rc = write_predictions(o, pred_tmp, s, m.net, test, n_test, &src, e);
        } else {
            TG_DISPLAY(2, "train: no test album: %s not written\n", o->predictions_path);
        }
        if (rc == TG_OK)
            rc = write_model(o, &meta, &m, &h, e);
        if (rc == TG_OK && pred_tmp)
            rc = tg_tmp_commit(pred_tmp, o->predictions_path, e);
        else if (pred_tmp)
            tg_tmp_discard(pred_tmp);
        free(pred_tmp);
    }
    if (rc == TG_OK)
        TG_DISPLAY(2, "train: wrote %s and %s\n", o->model_path, o->predictions_path);
end:
    tg_loader_close(loader);
    tg_store_close(s);
    tg_model_free(&m);
    tg_model_history_free(&h);
    tg_prov_free(&prov);
    free(prov_text), free(train), free(test);
    return rc;
}
