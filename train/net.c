/* net.c - the model registry (see net.h): spec defaults and checks, layouts, the spec as
 * config text and back, and the choice of backend. */
#include "net.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const tg_net_kind_names[] = {"mlp", "logreg", "cnn", "factorized", NULL};
const char *const tg_temporal_names[] = {"conv", "gru", NULL};

/* The CPU models built so far; a kind without one is refused with a clear error. */
const tg_cpu_model *tg_cpu_model_of(tg_net_kind kind)
{
    switch (kind) {
    case TG_NET_MLP:
        return &tg_cpu_mlp;
    case TG_NET_CNN:
        return &tg_cpu_cnn;
    case TG_NET_LOGREG:
        return &tg_cpu_logreg;
    case TG_NET_FACTORIZED:
        return &tg_cpu_factorized;
    default:
        return NULL;
    }
}

tg_code tg_net_spec_resolve(tg_net_spec *s, tg_error *e)
{
    if ((unsigned)s->kind > TG_NET_FACTORIZED)
        return tg_fail(e, TG_ERR_USAGE, "unknown model kind %d", (int)s->kind);
    if (s->steps < 1 || s->cities < 1 || s->genres < 1)
        return tg_fail(e, TG_ERR_USAGE, "a model needs steps, cities and genres >= 1 "
                       "(got %lld, %lld, %lld)", (long long)s->steps, (long long)s->cities,
                       (long long)s->genres);
    if (s->kind == TG_NET_MLP && s->hidden == 0)
        s->hidden = s->steps * 100; /* the report's rule */
    if (s->kind == TG_NET_CNN && s->hidden == 0)
        s->hidden = 4096; /* the report's Linear-3 */
    if (s->kind == TG_NET_FACTORIZED) {
        if (s->embed == 0)
            s->embed = 32;
        if (s->channels == 0)
            s->channels = 64;
        /* 31 taps: a month at the demo store's daily steps, where 3 saw only a day's
         * neighbours and the pooling then lost when the album was heard (test MAP
         * after 10 epochs 0.18 at kernel 3, 0.41 at 31); at nbSteps 28 it spans most
         * of the album from every step (0.38 -> 0.48), and the size still does not
         * depend on steps */
        if (s->kernel == 0)
            s->kernel = 31;
        if (s->temporal == TG_TEMPORAL_CONV && s->conv_version == 0)
            s->conv_version = TG_CONV_VERSION;
        if (s->temporal == TG_TEMPORAL_CONV &&
            (s->conv_version < 1 || s->conv_version > TG_CONV_VERSION))
            return tg_fail(e, TG_ERR_USAGE, "conv_version %d: this build knows 1 to %d",
                           s->conv_version, TG_CONV_VERSION);
    }
    if (s->hidden < 0 || s->embed < 0 || s->channels < 0 || s->kernel < 0)
        return tg_fail(e, TG_ERR_USAGE, "negative model size");
    return TG_OK;
}

tg_code tg_net_layout_add(tg_net_layout *l, const char *name, int rank, const int64_t *dims,
                          tg_error *e)
{
    if (l->n_tensors == TG_NET_MAX_TENSORS || rank < 1 || rank > TG_NET_MAX_RANK)
        return tg_fail(e, TG_ERR_LIMIT, "tensor %s: too many tensors or dimensions", name);
    tg_net_tensor *t = &l->tensors[l->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        /* 2^40 floats (4 TB) is beyond any machine: refusing it keeps the products exact */
        if (dims[i] < 1 || dims[i] > ((int64_t)1 << 40) ||
            count > (((size_t)1 << 40) / (size_t)dims[i]))
            return tg_fail(e, TG_ERR_LIMIT, "tensor %s has %lld elements along "
                           "dimension %d: too large", name, (long long)dims[i], i);
        t->dims[i] = dims[i];
        count *= (size_t)dims[i];
    }
    if (l->n_params > ((size_t)1 << 42) - count)
        return tg_fail(e, TG_ERR_LIMIT, "the model has too many parameters");
    t->offset = l->n_params;
    t->count = count;
    l->n_params += count;
    l->n_tensors++;
    return TG_OK;
}

tg_code tg_net_layout_of(const tg_net_spec *spec, int32_t batch, tg_net_layout *l, tg_error *e)
{
    memset(l, 0, sizeof *l);
    const tg_cpu_model *m = tg_cpu_model_of(spec->kind);
    if (m == NULL)
        return tg_fail(e, TG_ERR_USAGE, "model '%s' is not built yet",
                       tg_net_kind_names[spec->kind]);
    return m->layout(spec, batch, l, e);
}

uint64_t tg_net_bytes(const tg_net_layout *l)
{
    return 4 * (uint64_t)l->n_params * sizeof(float) + l->act_bytes;
}

int tg_net_spec_text(const tg_net_spec *s, char *buf, size_t size)
{
    switch (s->kind) {
    case TG_NET_MLP:
        return snprintf(buf, size, "model=mlp\nhidden=%lld\n", (long long)s->hidden);
    case TG_NET_CNN:
        return snprintf(buf, size, "model=cnn\nhidden=%lld\n", (long long)s->hidden);
    case TG_NET_FACTORIZED: {
        int n = snprintf(buf, size, "model=factorized\nembed=%lld\nchannels=%lld\nkernel=%lld\n"
                         "temporal=%s\n", (long long)s->embed, (long long)s->channels,
                         (long long)s->kernel, tg_temporal_names[s->temporal]);
        if (n < 0)
            return n;
        char *rest = (size_t)n < size ? buf + n : NULL;
        size_t left = (size_t)n < size ? size - (size_t)n : 0;
        int m = 0;
        /* a GRU's input and head were scaled otherwise before version 2 (see the parse) */
        if (s->temporal == TG_TEMPORAL_GRU)
            m = snprintf(rest, left, "gru_version=%d\n", TG_GRU_VERSION);
        /* version 1 is written as it was then, without the key, so that --resume of such
         * a model finds its config unchanged; 0 is a spec not resolved yet (a sweep's) */
        else if (s->conv_version != 1)
            m = snprintf(rest, left, "conv_version=%d\n",
                         s->conv_version ? s->conv_version : TG_CONV_VERSION);
        return m < 0 ? m : n + m;
    }
    default:
        return snprintf(buf, size, "model=%s\n", tg_net_kind_names[s->kind]);
    }
}

const char *tg_net_config_value(const char *config, const char *key, char *buf, size_t size)
{
    size_t k = strlen(key);
    for (const char *p = config; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > k && strncmp(p, key, k) == 0 && p[k] == '=') {
            snprintf(buf, size, "%.*s", (int)(len - k - 1), p + k + 1);
            return buf;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static tg_code int_of(const char *config, const char *key, int64_t *v, tg_error *e)
{
    char buf[64], *end;
    const char *s = tg_net_config_value(config, key, buf, sizeof buf);
    if (s == NULL)
        return TG_OK;
    long long x = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || x < 0)
        return tg_fail(e, TG_ERR_FORMAT, "model config: %s=%s is not a size", key, s);
    *v = x;
    return TG_OK;
}

tg_code tg_net_spec_parse(const char *config, tg_net_spec *s, tg_error *e)
{
    char buf[64];
    const char *model = tg_net_config_value(config, "model", buf, sizeof buf);
    s->kind = TG_NET_MLP;
    if (model) {
        int k = 0;
        while (tg_net_kind_names[k] && strcmp(tg_net_kind_names[k], model) != 0)
            k++;
        if (tg_net_kind_names[k] == NULL)
            return tg_fail(e, TG_ERR_FORMAT, "model config: unknown model '%s'", model);
        s->kind = (tg_net_kind)k;
    }
    const char *temporal = tg_net_config_value(config, "temporal", buf, sizeof buf);
    s->temporal = temporal && strcmp(temporal, "gru") == 0 ? TG_TEMPORAL_GRU : TG_TEMPORAL_CONV;
    if (s->kind == TG_NET_FACTORIZED && s->temporal == TG_TEMPORAL_GRU) {
        /* an older GRU's weights would be read through another input and head scaling
         * and score wrongly without any error: refuse them */
        const char *v = tg_net_config_value(config, "gru_version", buf, sizeof buf);
        if (v == NULL || atoi(v) != TG_GRU_VERSION)
            return tg_fail(e, TG_ERR_FORMAT, "model config: a GRU model of gru_version %s, "
                           "this build reads version %d (its input and head scaling changed "
                           "on 2026-12-03); train it again", v ? v : "1", TG_GRU_VERSION);
    }
    s->conv_version = 0;
    if (s->kind == TG_NET_FACTORIZED && s->temporal == TG_TEMPORAL_CONV) {
        /* a conv trained before its input was scaled has no key: read it as it was
         * trained, unscaled (its weights stay right, unlike an old GRU's) */
        const char *v = tg_net_config_value(config, "conv_version", buf, sizeof buf);
        char *end = NULL;
        long version = v ? strtol(v, &end, 10) : 1;
        if (v && (*v == '\0' || *end != '\0' || version < 1 || version > TG_CONV_VERSION))
            return tg_fail(e, TG_ERR_FORMAT, "model config: a conv model of conv_version %s, "
                           "this build reads versions 1 to %d; use a newer build", v,
                           TG_CONV_VERSION);
        s->conv_version = (int)version;
    }
    tg_code rc = int_of(config, "hidden", &s->hidden, e);
    if (rc == TG_OK)
        rc = int_of(config, "embed", &s->embed, e);
    if (rc == TG_OK)
        rc = int_of(config, "channels", &s->channels, e);
    if (rc == TG_OK)
        rc = int_of(config, "kernel", &s->kernel, e);
    return rc;
}

#ifdef TG_HAVE_CUDA
/* The CUDA backend lives in a module loaded on first use (train/meson.build says why). */
typedef struct {
    int tried;
    void *handle;
    tg_code (*create)(tg_net *n, uint64_t seed, tg_error *e);
    int (*probe)(void);
    uint64_t (*bytes)(const tg_net_spec *s, const tg_net_layout *l, int32_t max_batch);
    char why[256];  /* why it could not be loaded */
} cuda_module;

static cuda_module cuda;

static cuda_module *cuda_load(void)
{
    if (cuda.tried)
        return cuda.handle ? &cuda : NULL;
    cuda.tried = 1;
    /* A module named by TG_CUDA_MODULE is the only one tried: falling back to another
     * copy would run code the user did not ask for and hide why theirs failed. */
    const char *env = getenv("TG_CUDA_MODULE");
    const char *paths[] = {TG_CUDA_MODULE_BUILD, TG_CUDA_MODULE_INSTALLED};
    const char *const *try = env && *env ? &env : paths;
    int n_try = env && *env ? 1 : 2;
    for (int i = 0; i < n_try && cuda.handle == NULL; i++) {
        if (try != &env && access(try[i], R_OK) != 0)
            continue;
        cuda.handle = dlopen(try[i], RTLD_NOW | RTLD_LOCAL);
        if (cuda.handle == NULL) {
            const char *d = dlerror();
            snprintf(cuda.why, sizeof cuda.why, "%s", d ? d : try[i]);
        }
    }
    if (cuda.handle == NULL) {
        if (cuda.why[0] == '\0')
            snprintf(cuda.why, sizeof cuda.why, "%s not found (set TG_CUDA_MODULE)",
                     TG_CUDA_MODULE_INSTALLED);
        return NULL;
    }
    /* POSIX's way from a data pointer to a function pointer */
    *(void **)&cuda.create = dlsym(cuda.handle, "tg_cuda_module_create");
    *(void **)&cuda.probe = dlsym(cuda.handle, "tg_cuda_module_probe");
    *(void **)&cuda.bytes = dlsym(cuda.handle, "tg_cuda_module_bytes");
    if (!cuda.create || !cuda.probe || !cuda.bytes) {
        snprintf(cuda.why, sizeof cuda.why, "the CUDA module lacks its entry points");
        dlclose(cuda.handle);
        cuda.handle = NULL;
        return NULL;
    }
    return &cuda;
}

uint64_t tg_net_cuda_bytes(const tg_net_spec *spec, const tg_net_layout *l, int32_t max_batch)
{
    cuda_module *m = cuda_load();
    return m ? m->bytes(spec, l, max_batch) : 0;
}
#else
uint64_t tg_net_cuda_bytes(const tg_net_spec *spec, const tg_net_layout *l, int32_t max_batch)
{
    (void)spec, (void)l, (void)max_batch;
    return 0;
}
#endif

int tg_net_cuda_available(void)
{
#ifdef TG_HAVE_CUDA
    /* No NVIDIA device node (Linux's driver, or WSL's): no GPU, and no reason to load
     * cuBLAS just to hear it say so. */
    if (access("/dev/nvidiactl", F_OK) != 0 && access("/dev/dxg", F_OK) != 0)
        return 0;
    cuda_module *m = cuda_load();
    return m ? m->probe() : 0;
#else
    return 0;
#endif
}

tg_code tg_net_create(tg_net **out, const tg_net_spec *spec, tg_backend backend,
                      int32_t max_batch, uint64_t seed, int threads, tg_error *e)
{
    *out = NULL;
    tg_net *n = calloc(1, sizeof *n);
    if (n == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    n->spec = *spec;
    n->backend = backend;
    n->max_batch = max_batch;
    n->threads = threads > 0 ? threads : 1;
    tg_code rc = tg_net_spec_resolve(&n->spec, e);
    if (rc == TG_OK)
        rc = tg_net_layout_of(&n->spec, max_batch, &n->layout, e);
    if (rc == TG_OK && backend == TG_BACKEND_CPU) {
        rc = tg_net_cpu_create(n, tg_cpu_model_of(n->spec.kind), seed, e);
    } else if (rc == TG_OK) {
#ifdef TG_HAVE_CUDA
        cuda_module *m = cuda_load();
        rc = m ? m->create(n, seed, e)
               : tg_fail(e, TG_ERR_USAGE, "--backend cuda: cannot load the CUDA backend: %s",
                         cuda.why);
#else
        rc = tg_fail(e, TG_ERR_USAGE, "--backend cuda: this build has no CUDA backend "
                     "(nvcc and cuBLAS were not found when it was configured)");
#endif
    }
    if (rc != TG_OK) {
        free(n);
        return rc;
    }
    *out = n;
    return TG_OK;
}

void tg_net_destroy(tg_net *n)
{
    if (n == NULL)
        return;
    if (n->ops)
        n->ops->destroy(n);
    free(n);
}
