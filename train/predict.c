/* predict.c - the predict command's work (see predict.h). */
#include "predict.h"

#include "display.h"
#include "loader.h"
#include "model_file.h"
#include "output_file.h"
#include "store.h"
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* The store must describe the world the model was trained on: the same cities in the
 * same columns and the same genres in the same label columns (model_file.h), and at
 * least the model's steps. */
static tg_code check_compatible(const tg_model_file *m, const tg_store *s, const char *mp,
                                tg_error *e)
{
    tg_code rc = tg_model_file_fits_store(&m->meta, mp, s, e);
    if (rc == TG_OK && m->meta.steps > s->steps)
        rc = tg_fail(e, TG_ERR_FORMAT, "%s has %d steps, %s needs %lld", s->path, s->steps,
                     mp, (long long)m->meta.steps);
    return rc;
}

/* The model's net, on the CPU, with model.h5's parameters: its config names the kind
 * and sizes, and the net's tensors must be the file's, name by name and shape by shape. */
static tg_code net_of(const tg_model_file *mf, int32_t batch, tg_net **out, tg_error *e)
{
    tg_net_spec spec = {.steps = mf->meta.steps, .cities = mf->meta.cities,
                        .genres = mf->meta.genres};
    tg_code rc = tg_net_spec_parse(mf->meta.config, &spec, e);
    if (rc != TG_OK)
        return rc;
    tg_net *net = NULL;
    rc = tg_net_create(&net, &spec, TG_BACKEND_CPU, batch, 0, 1, e);
    if (rc != TG_OK)
        return rc;
    const tg_net_layout *l = &net->layout;
    int same = l->n_tensors == mf->meta.n_tensors;
    for (int k = 0; same && k < l->n_tensors; k++)
        same = strcmp(l->tensors[k].name, mf->meta.tensors[k].name) == 0 &&
               l->tensors[k].rank == mf->meta.tensors[k].rank &&
               memcmp(l->tensors[k].dims, mf->meta.tensors[k].dims,
                      (size_t)l->tensors[k].rank * sizeof(int64_t)) == 0;
    if (!same)
        rc = tg_fail(e, TG_ERR_FORMAT, "model: its tensors do not match its config (a %s)",
                     tg_net_kind_names[spec.kind]);
    if (rc == TG_OK)
        rc = net->ops->set_state(net, mf->params, NULL, NULL, e);
    if (rc != TG_OK) {
        tg_net_destroy(net);
        return rc;
    }
    *out = net;
    return TG_OK;
}

typedef struct {
    float score;
    size_t genre;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->genre > y->genre) - (x->genre < y->genre); /* ties: column order */
}

static void write_fn(void *ctx, const char *str, size_t len) { fwrite(str, 1, len, ctx); }

static tg_code write_lines(FILE *f, const tg_store *s, const uint32_t *albums, size_t n,
                           const float *scores, int top, double threshold, tg_error *e)
{
    const size_t G = s->n_genres;
    ranked *r = malloc(G * sizeof *r);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (r == NULL || g == NULL) {
        free(r);
        if (g)
            yajl_gen_free(g);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    }
    yajl_gen_config(g, yajl_gen_print_callback, write_fn, (void *)f);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < G; k++)
            r[k] = (ranked){scores[i * G + k], k};
        qsort(r, G, sizeof *r, by_score);
        const char *id = s->album_ids[albums[i]];
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"album_id", 8);
        yajl_gen_string(g, (const unsigned char *)id, strlen(id));
        yajl_gen_string(g, (const unsigned char *)"genres", 6);
        yajl_gen_array_open(g);
        for (size_t k = 0; k < G; k++) {
            if (top > 0 ? k >= (size_t)top : !(r[k].score > threshold))
                break;
            const char *name = s->genre_names[r[k].genre];
            char num[32];
            int len = snprintf(num, sizeof num, "%.4f", r[k].score);
            yajl_gen_array_open(g);
            yajl_gen_string(g, (const unsigned char *)name, strlen(name));
            yajl_gen_number(g, num, (size_t)len);
            yajl_gen_array_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        yajl_gen_reset(g, NULL);
        fputc('\n', f);
    }
    yajl_gen_free(g);
    free(r);
    return TG_OK;
}

tg_code tg_predict_run(const tg_predict_options *o, tg_error *e)
{
    tg_model_file mf;
    tg_store *s = NULL;
    tg_loader *l = NULL;
    uint32_t *albums = NULL;
    float *scores = NULL;
    size_t n = 0;
    tg_code rc = tg_model_file_read(o->model_path, &mf, e);
    if (rc != TG_OK)
        return rc;
    rc = tg_store_open(o->store_path, &s, e);
    if (rc == TG_OK)
        rc = check_compatible(&mf, s, o->model_path, e);
    if (rc == TG_OK) {
        albums = malloc((s->n_albums ? s->n_albums : 1) * sizeof *albums);
        if (albums == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    }
    if (rc == TG_OK && o->albums) {
        for (size_t i = 0; rc == TG_OK && i < o->n_albums; i++) {
            long a = tg_store_find_album(s, o->albums[i]);
            if (a < 0)
                rc = tg_fail(e, TG_ERR_USAGE, "--album %s: no such album in %s", o->albums[i],
                             o->store_path);
            else
                albums[n++] = (uint32_t)a;
        }
    } else if (rc == TG_OK) {
        for (size_t a = 0; a < s->n_albums; a++)
            if (s->split[a] == TG_SPLIT_UNLABELED)
                albums[n++] = (uint32_t)a;
    }
    char buf[64];
    const char *transform = tg_net_config_value(mf.meta.config, "transform", buf, sizeof buf);
    tg_transform tr = transform && strcmp(transform, "log1p") == 0 ? TG_TRANSFORM_LOG1P
                                                                    : TG_TRANSFORM_RAW;
    double threshold = o->threshold;
    if (threshold < 0) {
        const char *t = tg_net_config_value(mf.meta.config, "threshold", buf, sizeof buf);
        threshold = t ? strtod(t, NULL) : 0.3;
    }
    const int32_t batch = 64;
    if (rc == TG_OK) {
        scores = malloc((n ? n : 1) * s->n_genres * sizeof *scores);
        if (scores == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory");
    }
    if (rc == TG_OK) {
        tg_loader_config lc = {.store = s, .steps = (int32_t)mf.meta.steps, .transform = tr,
                               .cache_bytes = 0, .batch = batch, .depth = 2};
        rc = tg_loader_open(&l, &lc, e);
    }
    if (rc == TG_OK && n > 0) {
        tg_net *net = NULL;
        rc = net_of(&mf, batch, &net, e);
        tg_batch_source src = tg_loader_source(l);
        if (rc == TG_OK)
            rc = tg_predict(net, albums, n, NULL, &src, batch, scores, NULL, e);
        tg_net_destroy(net);
    }
    if (rc == TG_OK) {
        tg_outfile out;
        rc = tg_outfile_open(&out, o->output, e);
        if (rc == TG_OK) {
            rc = write_lines(out.fp, s, albums, n, scores, o->top, threshold, e);
            if (rc == TG_OK)
                rc = tg_outfile_commit(&out, e);
            else
                tg_outfile_abort(&out);
        }
    }
    if (rc == TG_OK)
        TG_DISPLAY(2, "predict: %zu albums scored%s%s\n", n, strcmp(o->output, "-") ? " into " : "",
                   strcmp(o->output, "-") ? o->output : "");
    tg_loader_close(l);
    tg_store_close(s);
    tg_model_file_free(&mf);
    free(albums), free(scores);
    return rc;
}
