/* run.c - the train command's work (see run.h). */
#include "run.h"

#include "display.h"
#include "loader.h"
#include "model_file.h"
#include "output_file.h"
#include "parallel.h"
#include "predictions.h"
#include "provenance.h"
#include "store.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* epochs comes last in the config text so that a resumed run can compare everything
 * before it. */
int tg_train_config_text(const tg_train_options *o, const tg_net_spec *spec, char *buf,
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


uint64_t tg_train_mem_limit(const tg_train_options *o)
{
    return o->mem ? o->mem : physical_memory() / 10 * 8;
}

/* Never an OOM kill: a model that does not fit is refused before anything is allocated. */
tg_code tg_train_check_memory(const tg_train_options *o, const tg_net_spec *s,
                              const tg_net_layout *l, uint64_t *budget, tg_error *e)
{
    uint64_t params = (uint64_t)l->n_params, need = tg_net_bytes(l);
    uint64_t limit = tg_train_mem_limit(o);
    char n[32], lim[32], p[32], shape[64] = "", hidden[48] = "";
    tg_format_bytes(n, sizeof n, (double)need);
    tg_format_bytes(lim, sizeof lim, (double)limit);
    tg_format_bytes(p, sizeof p, 4.0 * (double)params);
    if (s->kind == TG_NET_MLP || s->kind == TG_NET_CNN)
        snprintf(hidden, sizeof hidden, " or --hidden (now %lld)", (long long)s->hidden);
    if (s->kind == TG_NET_MLP)
        snprintf(shape, sizeof shape, " %lld -> %lld (ReLU) -> %lld",
                 (long long)(s->steps * s->cities), (long long)s->hidden, (long long)s->genres);
    TG_DISPLAY(2, "train: %s%s: %llu parameters; needs %s (parameters, gradients, Adam m "
               "and v: 4 x %s; activations of a batch)\n", tg_net_kind_names[s->kind], shape,
               (unsigned long long)params, n, p);
    uint64_t device = o->backend == TG_BACKEND_CUDA ? tg_net_cuda_bytes(s, l, o->batch) : 0;
    if (device > 0) { /* 0: a build without CUDA, which refuses the backend next */
        char d[32];
        tg_format_bytes(d, sizeof d, (double)device);
        TG_DISPLAY(2, "train: on the GPU it needs %s (the same four blocks, activations and "
                   "two batch slots), checked against the device's free memory\n", d);
    }
    if (need > limit)
        return tg_fail(e, TG_ERR_LIMIT,
                       "the %s needs %s (%llu parameters x 16 bytes) but the memory "
                       "budget is %s: lower --steps (now %lld)%s, or raise --mem",
                       tg_net_kind_names[s->kind], n, (unsigned long long)params, lim,
                       (long long)s->steps, hidden);
    *budget = limit - need;
    return TG_OK;
}

tg_code tg_train_split_ids(const tg_store *s, int code, uint32_t **ids, size_t *n, tg_error *e)
{
    *n = 0;
    *ids = malloc((s->n_albums ? s->n_albums : 1) * sizeof **ids);
    if (*ids == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
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
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    h->epoch = ep;
    double **cols[] = {&h->train_loss, &h->test_loss, &h->test_map, &h->test_macro_f1,
                       &h->seconds, &h->loader_seconds};
    double vals[] = {st->train_loss, st->test_loss, st->test_map, st->test_macro_f1,
                     st->seconds, st->loader_seconds};
    for (int k = 0; k < 6; k++) {
        double *c = realloc(*cols[k], n * sizeof *c);
        if (c == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory");
        *cols[k] = c;
        c[n - 1] = vals[k];
    }
    ep[n - 1] = st->epoch;
    h->n = n;
    return TG_OK;
}

/* Up to date: model.h5 records the same provenance (predictions.h5 as written among
 * it, prov's side output 0) and, when the store has test albums (with_predictions),
 * predictions.h5 exists (all a model.h5 written before side outputs were recorded can
 * tell). Without test albums no predictions.h5 is written, so none is expected: else
 * every rerun would retrain. */
static int up_to_date(const tg_train_options *o, tg_prov *prov, int with_predictions)
{
    char *text = NULL;
    if (tg_model_file_provenance(o->model_path, &text, NULL) != TG_OK)
        return 0;
    int ok = tg_prov_matches(prov, text) &&
             (!with_predictions || access(o->predictions_path, R_OK) == 0);
    free(text);
    return ok;
}

/* model.h5 as --resume found it, read once for both steps below (it holds the whole
 * model: reading it twice cost a second read of every parameter and Adam's state). A
 * failed read is kept, not reported, until resume_from, where it was always reported:
 * the run says the same things in the same order as when each step read the file. */
typedef struct {
    tg_code rc;        /* of tg_model_file_read */
    tg_error err;      /* its message when rc is not TG_OK */
    tg_model_file f;   /* what was read when rc is TG_OK; zeroed otherwise */
} resume_file;

/* Reads o->model_path into r (for --resume). Never fails itself: r->rc says how the read
 * went. Whoever calls it frees r with resume_file_free. */
static void resume_file_read(const tg_train_options *o, resume_file *r)
{
    memset(&r->err, 0, sizeof r->err);
    r->rc = tg_model_file_read(o->model_path, &r->f, &r->err);
    if (r->rc != TG_OK && r->rc != TG_ERR_NOMEM) {
        /* said with the option that asked for it, as eval's --model: "none.h5: cannot
         * open" alone reads as if -o were an input */
        char why[sizeof r->err.msg];
        memcpy(why, r->err.msg, sizeof why);
        tg_fail(&r->err, r->rc, "--resume: %s", why);
    }
}

static void resume_file_free(resume_file *r)
{
    tg_model_file_free(&r->f);   /* zeroed by a failed read or a previous free: a no-op */
}

/* --resume of a conv model continues it at its own conv_version: one trained before the
 * input scale, or with --conv-version 1 (version 1), is continued as it was trained,
 * unscaled, rather than refused for a config the default cannot match. An explicit
 * --conv-version (o->spec.conv_version) that contradicts the file's is TG_ERR_USAGE,
 * naming both; spec is then unchanged. Leaves spec alone when r's model is not a conv or
 * could not be read (resume_from then says why). */
static tg_code resume_conv_version(const tg_train_options *o, const resume_file *r,
                                   tg_net_spec *spec, tg_error *e)
{
    if (spec->kind != TG_NET_FACTORIZED || spec->temporal != TG_TEMPORAL_CONV ||
        r->rc != TG_OK)
        return TG_OK;
    tg_error ignored = {0};
    tg_net_spec old = *spec;
    if (tg_net_spec_parse(r->f.meta.config, &old, &ignored) != TG_OK ||
        old.kind != TG_NET_FACTORIZED || old.temporal != TG_TEMPORAL_CONV)
        return TG_OK;
    if (o->spec.conv_version != 0 && o->spec.conv_version != old.conv_version)
        return tg_fail(e, TG_ERR_USAGE, "--resume: %s is a conv of conv_version %d; "
                       "--conv-version %d contradicts it (leave it out to continue the "
                       "model at its version)", o->model_path, old.conv_version,
                       o->spec.conv_version);
    spec->conv_version = old.conv_version;
    return TG_OK;
}

/* --resume of a model trained further than --epochs would keep its epochs under a
 * config saying fewer (and a rerun would then call it up to date): TG_ERR_USAGE, as
 * the other options a resumed model contradicts. Leaves r alone; says nothing when r
 * could not be read (resume_from says why). */
static tg_code resume_epochs(const tg_train_options *o, const resume_file *r, tg_error *e)
{
    if (r->rc != TG_OK || r->f.history.n <= (size_t)o->epochs)
        return TG_OK;
    return tg_fail(e, TG_ERR_USAGE, "--resume: %s has trained %zu epochs; --epochs %d is "
                   "fewer (give %zu to keep it, more to continue it, or leave out --resume to "
                   "train anew)", o->model_path, r->f.history.n, o->epochs, r->f.history.n);
}

/* A config value as the user would type it: a number in its shortest form that reads
 * back the same (lr=0.0030000000000000001 is --lr 0.003), anything else as stored. */
static const char *config_shown(const char *v, char *buf, size_t size)
{
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || strchr(v, '.') == NULL)
        return v;
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return buf;
    }
    return v;
}

/* Appends to buf one difference between the model's config and this run's for key:
 * "--lr 0.01 in the model, 0.001 now" (its option's spelling; "-" where a side has no
 * such key). Returns 1 if the values differ. */
static int config_differs(const char *model, const char *now, const char *key, char *buf,
                          size_t size)
{
    char a[64], b[64], sa[32], sb[32], opt[32];
    const char *va = tg_net_config_value(model, key, a, sizeof a);
    const char *vb = tg_net_config_value(now, key, b, sizeof b);
    if ((va == NULL && vb == NULL) || (va && vb && strcmp(va, vb) == 0))
        return 0;
    /* gru_version is the build's, not an option: it keeps its name */
    snprintf(opt, sizeof opt, "%s%s", strcmp(key, "gru_version") == 0 ? "" : "--", key);
    for (char *p = opt; *p; p++)
        if (*p == '_' && opt[0] == '-')
            *p = '-';
    size_t used = strlen(buf);
    if (used < size)
        snprintf(buf + used, size - used, "%s%s %s in the model, %s now", used ? "; " : "", opt,
                 va ? config_shown(va, sa, sizeof sa) : "-",
                 vb ? config_shown(vb, sb, sizeof sb) : "-");
    return 1;
}

/* Every key whose value differs between the model's config and this run's, but epochs
 * (--resume may raise it; resume_epochs refuses fewer). A model of another kind differs
 * in its sizes too: only the kind is named then. Leaves buf empty when none differs. */
static void config_diff(const char *model, const char *now, char *buf, size_t size)
{
    buf[0] = '\0';
    if (config_differs(model, now, "model", buf, size))
        return;
    const char *texts[2] = {now, model};
    for (int t = 0; t < 2; t++) {
        for (const char *p = texts[t]; p && *p;) {
            const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
            char key[32];
            if (eq && (!nl || eq < nl) && (size_t)(eq - p) < sizeof key) {
                snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
                char ignored[64];
                /* a key of both texts is compared once, from this run's */
                int seen = t == 1 && tg_net_config_value(now, key, ignored, sizeof ignored);
                if (!seen && strcmp(key, "epochs") != 0)
                    config_differs(model, now, key, buf, size);
            }
            p = nl ? nl + 1 : NULL;
        }
    }
}

/* Restores parameters, Adam's state and history from r, model.h5 as read for --resume,
 * or returns the error of its read. The store s must have the model's columns
 * (tg_model_file_fits_store: TG_ERR_FORMAT), the options its config (TG_ERR_USAGE).
 * r's history is handed over to *h (r keeps the rest, which its owner frees). */
static tg_code resume_from(const tg_train_options *o, const tg_store *s, const char *config,
                           resume_file *r, tg_model *m, tg_model_history *h, tg_error *e)
{
    if (r->rc != TG_OK) {
        *e = r->err;
        return r->rc;
    }
    tg_model_file *f = &r->f;
    /* the same columns first: another store's cities would otherwise pass as long as
     * their count is the model's, and continue training on shuffled inputs */
    tg_code rc = tg_model_file_fits_store(&f->meta, o->model_path, s, e);
    if (rc != TG_OK)
        return rc;
    const tg_net_layout *l = &m->net->layout;
    const char *a = strstr(config, "epochs="), *b = strstr(f->meta.config, "epochs=");
    int same = f->meta.n_tensors == l->n_tensors && b && a - config == b - f->meta.config &&
               memcmp(config, f->meta.config, (size_t)(a - config)) == 0;
    for (int k = 0; same && k < l->n_tensors; k++)
        same = strcmp(f->meta.tensors[k].name, l->tensors[k].name) == 0 &&
               f->meta.tensors[k].rank == l->tensors[k].rank &&
               memcmp(f->meta.tensors[k].dims, l->tensors[k].dims,
                      (size_t)l->tensors[k].rank * sizeof(int64_t)) == 0;
    char diff[768];
    if (!same)
        config_diff(f->meta.config, config, diff, sizeof diff);
    if (!same && diff[0] != '\0')
        rc = tg_fail(e, TG_ERR_USAGE, "--resume: %s was trained with other options: %s (give "
                     "the model's, or leave out --resume to train a new model)", o->model_path,
                     diff);
    else if (!same) /* the same options, other tensors: a net whose sizes changed */
        rc = tg_fail(e, TG_ERR_USAGE, "--resume: %s holds other tensors (names, order or "
                     "shapes) than its options make here", o->model_path);
    else if (f->adam_m == NULL)
        rc = tg_fail(e, TG_ERR_USAGE, "--resume: %s holds no optimiser state", o->model_path);
    if (rc == TG_OK)
        rc = m->net->ops->set_state(m->net, f->params, f->adam_m, f->adam_v, e);
    if (rc == TG_OK) {
        m->net->step = f->adam_step;
        m->epoch = (int32_t)f->history.n;
        *h = f->history;
        memset(&f->history, 0, sizeof f->history); /* handed over */
    }
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
static tg_code write_model(const char *path, tg_model_meta *meta, const tg_model *m,
                           const tg_model_history *h, tg_error *e)
{
    const size_t N = m->net->layout.n_params;
    meta_tensors(&m->net->layout, meta);
    /* The CPU backend's blocks are on the host already: written from where they are,
     * since copies would add three blocks (2.5 GB at the report's nbSteps 28) to the
     * peak memory. Another backend's state comes over to the host first. */
    const float *p, *am, *av;
    if (tg_net_cpu_state(m->net, &p, &am, &av))
        return tg_model_file_write(path, meta, p, am, av, m->net->step, h, e);
    float *hp = malloc(N * sizeof *hp), *hm = malloc(N * sizeof *hm), *hv = malloc(N * sizeof *hv);
    tg_code rc = TG_OK;
    if (!hp || !hm || !hv)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory to write %s", path);
    if (rc == TG_OK)
        rc = m->net->ops->get_state(m->net, hp, hm, hv, e);
    if (rc == TG_OK)
        rc = tg_model_file_write(path, meta, hp, hm, hv, m->net->step, h, e);
    free(hp), free(hm), free(hv);
    return rc;
}

tg_code tg_train_predict_test(const tg_train_options *o, const tg_store *s, tg_net *net,
                              const uint32_t *test, size_t n_test, tg_batch_source *src,
                              tg_predictions *p, tg_error *e)
{
    const size_t G = s->n_genres;
    *p = (tg_predictions){.n_albums = n_test, .n_genres = G, .genre_names = s->genre_names,
                          .has_threshold = 1, .threshold = o->threshold,
                          .model = (char *)o->model_path};
    p->album_ids = malloc((n_test ? n_test : 1) * sizeof *p->album_ids);
    p->split = malloc(n_test ? n_test : 1);
    p->scores = malloc((n_test ? n_test : 1) * G * sizeof *p->scores);
    p->labels = malloc((n_test ? n_test : 1) * G);
    tg_code rc = TG_OK;
    if (!p->album_ids || !p->split || !p->scores || !p->labels)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory for predictions");
    if (rc == TG_OK && n_test > 0)
        rc = tg_predict(net, test, n_test, NULL, src, o->batch, p->scores, NULL, e);
    for (size_t i = 0; rc == TG_OK && i < n_test; i++) {
        p->album_ids[i] = s->album_ids[test[i]];
        p->split[i] = s->split[test[i]];
        memcpy(p->labels + i * G, s->labels + (size_t)test[i] * G, G);
    }
    if (rc != TG_OK)
        tg_train_predictions_release(p);
    return rc;
}

void tg_train_predictions_release(tg_predictions *p)
{
    free(p->album_ids), free(p->split), free(p->scores), free(p->labels);
    memset(p, 0, sizeof *p);
}

/* Writes the predictions to path (a temporary of the caller's, see tg_train_run). */
static tg_code write_predictions(const tg_train_options *o, const char *path, const tg_store *s,
                                 tg_net *net, const uint32_t *test, size_t n_test,
                                 tg_batch_source *src, tg_error *e)
{
    tg_predictions p;
    tg_code rc = tg_train_predict_test(o, s, net, test, n_test, src, &p, e);
    /* model.h5 records these predictions among its side outputs (tg_train_run): said
     * here so that eval can tell "another model" from "a pair too old to tell" */
    p.model_records = 1;
    if (rc == TG_OK)
        rc = tg_predictions_write(path, &p, e);
    tg_train_predictions_release(&p);
    return rc;
}

tg_code tg_train_prov_params(tg_prov *prov, const char *config, tg_error *e)
{
    for (const char *line = config; *line;) {
        const char *eq = strchr(line, '='), *nl = strchr(line, '\n');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
        if (tg_prov_param(prov, key, "%.*s", (int)(nl - eq - 1), eq + 1) != TG_OK)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory");
        line = nl + 1;
    }
    return TG_OK;
}

tg_code tg_train_spec_for(const tg_train_options *o, const tg_store *s, int32_t steps,
                          tg_net_spec *spec, tg_net_layout *layout, tg_error *e)
{
    if (steps < 1 || steps > s->steps)
        return tg_fail(e, TG_ERR_USAGE, "--steps %d: %s has %d steps (choose 1 to %d)", steps,
                       o->store_path, s->steps, s->steps);
    *spec = o->spec;
    spec->steps = steps;
    spec->cities = (int64_t)s->n_cities;
    spec->genres = (int64_t)s->n_genres;
    tg_code rc = tg_net_spec_resolve(spec, e);
    if (rc == TG_OK)
        rc = tg_net_layout_of(spec, o->batch, layout, e);
    return rc;
}

tg_code tg_train_epochs(tg_model *m, const tg_train_options *o, const tg_train_data *d,
                        tg_batch_source *src, const tg_data_parallel *dp, tg_model_history *h,
                        int level, tg_error *e)
{
    tg_train_config tc = {.epochs = o->epochs, .batch = o->batch,
                          .adam = {.lr = o->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
                          .seed = o->seed, .threshold = o->threshold, .balance = o->balance,
                          .dp = dp};
    int parallel = dp && dp->parts > 1;
    TG_DISPLAY(level, "%6s %11s %11s %9s %9s %8s %8s%s\n", "epoch", "train loss", "test loss",
               "test MAP", "macro F1", "seconds", "stall", parallel ? "     comm" : "");
    tg_code rc = TG_OK;
    while (rc == TG_OK && m->epoch < o->epochs) {
        tg_epoch_stats st;
        rc = tg_train_epoch(m, &tc, d, src, &st, e);
        if (rc == TG_OK)
            rc = history_add(h, &st, e);
        if (rc != TG_OK)
            break;
        char comm[32] = "";
        if (parallel)
            snprintf(comm, sizeof comm, " %7.1f%%",
                     st.seconds > 0 ? 100.0 * st.comm_seconds / st.seconds : 0.0);
        TG_DISPLAY(level, "%6d %11.5f %11.5f %9.4f %9.4f %8.2f %7.1f%%%s\n", st.epoch,
                   st.train_loss, st.test_loss, st.test_map, st.test_macro_f1, st.seconds,
                   st.seconds > 0 ? 100.0 * st.loader_seconds / st.seconds : 0.0, comm);
    }
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
    tg_mpi one = {.rank = 0, .size = 1};   /* stands for "no MPI" in the collective calls */
    const int rank = o->mpi ? o->mpi->rank : 0;
    tg_parallel par = {0};
    tg_data_parallel dp;
    resume_file old = {0};  /* model.h5 for --resume, read once, held until restored */

    tg_code rc = tg_store_open(o->store_path, &s, e);
    if (rc != TG_OK)
        goto end;
    int32_t steps = o->steps ? o->steps : s->steps;
    tg_net_spec spec;
    tg_net_layout layout;
    rc = tg_train_spec_for(o, s, steps, &spec, &layout, e);
    if (rc == TG_OK && o->resume) {
        resume_file_read(o, &old);
        rc = resume_conv_version(o, &old, &spec, e);
        if (rc == TG_OK)
            rc = resume_epochs(o, &old, e);
    }
    if (rc == TG_OK && tg_train_config_text(o, &spec, config, sizeof config) < 0)
        rc = tg_fail(e, TG_ERR_USAGE, "the options do not fit the config record");
    if (rc != TG_OK)
        goto end;
    rc = tg_prov_input(&prov, o->store_path, e);
    if (rc == TG_OK)
        rc = tg_train_prov_params(&prov, config, e);
    /* the backend (--backend auto resolved) as a sweep's points record it: the two agree
     * within the parity tolerance, not to the bit, and a rerun asked of the other one
     * must run on it */
    if (rc == TG_OK && tg_prov_param(&prov, "backend", "%d", (int)o->backend) != TG_OK)
        rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    /* the splits say which outputs this run writes: no test album, no predictions.h5 */
    if (rc == TG_OK)
        rc = tg_train_split_ids(s, TG_SPLIT_TRAIN, &train, &n_train, e);
    if (rc == TG_OK)
        rc = tg_train_split_ids(s, TG_SPLIT_TEST, &test, &n_test, e);
    if (rc == TG_OK && n_test > 0)
        rc = tg_prov_output(&prov, o->predictions_path, e);
    if (rc != TG_OK)
        goto end;
    /* under MPI rank 0 alone decides (it writes the outputs) and tells the others. A
     * --resume with its epochs all trained has nothing to add: it is up to date as a
     * plain rerun is (its provenance records the same config, epochs included). */
    int finished = o->resume && old.rc == TG_OK && old.f.history.n == (size_t)o->epochs;
    rc = tg_mpi_agree(o->mpi ? o->mpi : &one, rc, e);
    int current = rc == TG_OK && rank == 0 && !o->force && (!o->resume || finished) &&
                  up_to_date(o, &prov, n_test > 0);
    if (rc == TG_OK)
        rc = tg_mpi_bcast(o->mpi ? o->mpi : &one, &current, sizeof current, 0, e);
    if (rc != TG_OK)
        goto end;
    if (current) {
        if (n_test > 0)
            TG_DISPLAY(2, "train: %s and %s are up to date\n", o->model_path,
                       o->predictions_path);
        else
            TG_DISPLAY(2, "train: %s is up to date (no test album: no %s)\n", o->model_path,
                       o->predictions_path);
        goto end;
    }
    /* An output that cannot be written (a missing or read-only directory) is found now,
     * as synth finds it on opening its output (exit 1), not after every epoch ran. */
    if (rank == 0) {
        rc = tg_output_probe(o->model_path, e);
        if (rc == TG_OK && n_test > 0)
            rc = tg_output_probe(o->predictions_path, e);
    }
    rc = tg_mpi_agree(o->mpi ? o->mpi : &one, rc, e);
    if (rc != TG_OK)
        goto end;
    uint64_t cache_budget = 0;
    rc = tg_train_check_memory(o, &spec, &layout, &cache_budget, e);
    if (rc == TG_OK)
        rc = tg_model_alloc(&m, &spec, o->backend, o->batch, o->seed, o->threads, e);
    if (rc == TG_OK)
        rc = tg_parallel_init(&par, &dp, o->mpi, e);
    if (rc == TG_OK && o->resume)
        rc = resume_from(o, s, config, &old, &m, &h, e);
    resume_file_free(&old); /* restored: not held through the training */
    if (rc == TG_OK && n_train == 0)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s: no album in the train split", o->store_path);
    if (rc != TG_OK)
        goto end;
    if (o->threads > 0)
        openblas_set_num_threads(o->threads);
    tg_loader_config lc = {.store = s, .steps = steps, .transform = o->transform,
                           .cache_bytes = cache_budget, .batch = o->batch, .depth = 4};
    {
        /* decoded, a stored entry is its column and its value: 8 bytes */
        char dec[32], left[32];
        tg_format_bytes(dec, sizeof dec, 8.0 * (double)s->nnz);
        tg_format_bytes(left, sizeof left, (double)cache_budget);
        TG_DISPLAY(2, "train: loader: the store decodes to about %s; %s left for its cache: %s; "
                   "a ring of %d batches\n", dec, left,
                   8 * s->nnz <= cache_budget ? "cached after the first epoch"
                                              : "streamed from the file every epoch",
                   lc.depth);
    }
    rc = tg_loader_open(&loader, &lc, e);
    if (rc != TG_OK)
        goto end;
    tg_batch_source src = tg_loader_source(loader);
    tg_train_data d = {.n_albums = s->n_albums, .labels = s->labels, .train = train,
                       .n_train = n_train, .test = test, .n_test = n_test};
    TG_DISPLAY(2, "train: %zu train and %zu test albums, %d steps, batch %d, %d epochs\n",
               n_train, n_test, steps, o->batch, o->epochs);
    if (dp.parts > 1)
        TG_DISPLAY(2, "train: data parallel over %d ranks: each computes up to %d rows of a "
                   "batch; %.1f MB of gradients summed per step\n", dp.parts,
                   (o->batch + dp.parts - 1) / dp.parts, 4.0 * (double)layout.n_params / 1e6);
    if (m.epoch < o->epochs)
        rc = tg_train_epochs(&m, o, &d, &src, &dp, &h, 2, e);
    else /* --resume of a finished model whose store or predictions changed */
        TG_DISPLAY(2, "train: %s has its %d epochs already: nothing to train; its "
                   "predictions are written again\n", o->model_path, o->epochs);
    if (rc != TG_OK && dp.parts > 1)
        tg_mpi_abort(o->mpi, "train", e); /* the other ranks wait in an all-reduce */
    tg_mpi_test_kill(o->mpi ? o->mpi : &one, "train", "trained");
    /* every rank has finished before rank 0 writes: a rank lost now fails the job with
     * nothing written, rather than racing rank 0's renames */
    rc = tg_mpi_agree(o->mpi ? o->mpi : &one, rc, e);
    if (rc != TG_OK || rank > 0) /* rank 0 writes the outputs for the job */
        goto end;
    if (rc == TG_OK)
        rc = tg_prov_hash_inputs(&prov, e);
    if (rc == TG_OK) {
        tg_model_meta meta = {.genres = spec.genres, .steps = steps, .cities = spec.cities,
                              .model = (char *)tg_net_kind_names[spec.kind], .config = config,
                              .genre_names = s->genre_names, .city_names = s->city_names};
        /* Both outputs or neither: each is written to a temporary beside its final
         * name, then the predictions are renamed into place, and model.h5 last. model.h5
         * is what says "up to date" (its provenance), so it must not appear before its
         * predictions: a kill between the two renames (the second one's fsync takes a
         * while) then leaves new predictions beside the old model, whose provenance no
         * longer matches, and the rerun redoes both. A failure before the renames leaves
         * the previous pair as it was. */
        char *pred_tmp = NULL, *model_tmp = NULL;
        if (n_test > 0) {
            rc = tg_tmp_create(o->predictions_path, &pred_tmp, e);
            if (rc == TG_OK)
                rc = write_predictions(o, pred_tmp, s, m.net, test, n_test, &src, e);
            /* model.h5 records the predictions as written, so that an edited one is
             * seen (the rename below keeps what is recorded) */
            if (rc == TG_OK)
                rc = tg_prov_output_written(&prov, 0, pred_tmp, e);
        } else if (access(o->predictions_path, F_OK) == 0) {
            /* not removed: it is not this run's, and may be the user's */
            TG_DISPLAY(2, "train: no test album: %s not written (the file there is left as "
                       "it was)\n", o->predictions_path);
        } else {
            TG_DISPLAY(2, "train: no test album: %s not written\n", o->predictions_path);
        }
        if (rc == TG_OK)
            rc = tg_prov_text(&prov, &prov_text, e);
        meta.provenance = prov_text;
        if (rc == TG_OK)
            rc = tg_tmp_create(o->model_path, &model_tmp, e);
        /* the writer writes beside model_tmp and renames onto it: a finished file there */
        if (rc == TG_OK)
            rc = write_model(model_tmp, &meta, &m, &h, e);
        if (rc == TG_OK && pred_tmp) {
            rc = tg_tmp_commit(pred_tmp, o->predictions_path, e);
            free(pred_tmp); /* renamed or removed by the commit either way */
            pred_tmp = NULL;
        }
        if (rc == TG_OK) {
            rc = tg_tmp_commit(model_tmp, o->model_path, e);
        } else {
            if (pred_tmp)
                tg_tmp_discard(pred_tmp);
            if (model_tmp)
                tg_tmp_discard(model_tmp);
        }
        free(pred_tmp);
        free(model_tmp);
    }
    if (rc == TG_OK && n_test > 0)
        TG_DISPLAY(2, "train: wrote %s and %s\n", o->model_path, o->predictions_path);
    else if (rc == TG_OK)
        TG_DISPLAY(2, "train: wrote %s\n", o->model_path);
end:
    rc = tg_mpi_agree(o->mpi ? o->mpi : &one, rc, e);
    tg_parallel_free(&par);
    tg_loader_close(loader);
    tg_store_close(s);
    tg_model_free(&m);
    tg_model_history_free(&h);
    resume_file_free(&old);
    tg_prov_free(&prov);
    free(prov_text), free(train), free(test);
    return rc;
}
