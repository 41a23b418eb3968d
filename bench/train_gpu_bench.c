/* train_gpu_bench.c - the CUDA backend's step time and Adam's bandwidth at the report's
 * architecture (nbSteps 28: W1 75,124 x 2,800, 27 genres), on synthetic CSR batches:
 *
 *   train_gpu_bench [NNZ_PER_ROW [BATCH...]]     (defaults: 1000; 20 100 400)
 *   train_gpu_bench --probe                      (names the device, measures nothing)
 *
 * For each batch size and each first-layer forward (mlp_cuda.h: csr, dense), the mean
 * time of a training step as the trainer runs it: forward (batch to the device, logits
 * back), the loss on the host, backward, update (fused Adam + zeroing). Then Adam alone
 * over the 210 M parameters: bytes moved per second (32 a parameter: p, g, m, v read;
 * p, m, v written and g zeroed) against the device's nominal bandwidth (2 x memory clock
 * x bus width, from the device's attributes).
 * Needs about 3.4 GB of device memory per net (one at a time). Exits 77 when no CUDA
 * device answers, saying so; bench/train_gpu_bench.sh runs it with the loader's figures. */
#include "mlp_cuda.h"
#include "net.h"

#include "clock.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS 28
#define CITIES 2683
#define GENRES 27
#define WARMUP 3
#define TIMED 20

static int fail(const tg_error *e)
{
    fprintf(stderr, "train_gpu_bench: %s\n", e->msg);
    return 1;
}

/* Batches of rows rows with nnz non-zeros each (sorted unique columns) and labels. */
typedef struct {
    int64_t *indptr;
    int32_t *indices;
    float *values;
    uint8_t *y;
} batch;

static int make_batch(batch *b, int32_t rows, int64_t nnz, uint64_t seed)
{
    const int64_t inputs = (int64_t)STEPS * CITIES;
    b->indptr = malloc(((size_t)rows + 1) * sizeof *b->indptr);
    b->indices = malloc((size_t)rows * (size_t)nnz * sizeof *b->indices);
    b->values = malloc((size_t)rows * (size_t)nnz * sizeof *b->values);
    b->y = malloc((size_t)rows * GENRES);
    if (!b->indptr || !b->indices || !b->values || !b->y)
        return -1;
    tg_rng r;
    tg_rng_seed(&r, seed, 0, 0);
    int64_t k = 0, stride = inputs / nnz;
    for (int32_t i = 0; i < rows; i++) {
        b->indptr[i] = k;
        for (int64_t j = 0; j < nnz; j++) { /* one column in each stride: sorted, unique */
            b->indices[k] = (int32_t)(j * stride + tg_rng_below(&r, (uint32_t)stride));
            b->values[k++] = (float)(1 + tg_rng_below(&r, 20));
        }
        for (int g = 0; g < GENRES; g++)
            b->y[(size_t)i * GENRES + g] = tg_rng_uniform(&r) < 0.1;
    }
    b->indptr[rows] = k;
    return 0;
}

static void free_batch(batch *b)
{
    free(b->indptr), free(b->indices), free(b->values), free(b->y);
}

/* Mean seconds of one training step, or a negative number on failure (e says why). */
static double step_time(int32_t rows, int64_t nnz, const char *first, tg_error *e)
{
    tg_net_spec spec = {.kind = TG_NET_MLP, .steps = STEPS, .cities = CITIES, .genres = GENRES};
    tg_adam opt = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    setenv("TG_CUDA_FIRST_LAYER", first, 1);
    tg_net *net = NULL;
    batch b[2] = {{0}};
    float *logits = malloc((size_t)rows * GENRES * sizeof *logits);
    float *dlogits = malloc((size_t)rows * GENRES * sizeof *dlogits);
    double seconds = -1;
    if (!logits || !dlogits || make_batch(&b[0], rows, nnz, 1) || make_batch(&b[1], rows, nnz, 2)) {
        tg_fail(e, TG_ERR_NOMEM, "out of memory for batches of %d x %lld", rows, (long long)nnz);
        goto end;
    }
    if (tg_net_create(&net, &spec, TG_BACKEND_CUDA, rows, 1, 1, e) != TG_OK)
        goto end;
    uint64_t t0 = 0;
    for (int s = 0; s < WARMUP + TIMED; s++) {
        if (s == WARMUP)
            t0 = tg_clock_ns();
        const batch *x = &b[s % 2];
        tg_csr_batch view = {rows, x->indptr, x->indices, x->values};
        if (tg_net_forward(net, &view, logits, e) != TG_OK)
            goto end;
        tg_mlp_bce(logits, x->y, rows, GENRES, NULL, NULL, dlogits);
        if (tg_net_backward(net, &view, dlogits, e) != TG_OK ||
            tg_net_update(net, &opt, &view, e) != TG_OK)
            goto end;
    }
    /* the last step's backward and update are queued: one more forward waits for them
     * (and is counted: one forward more than TIMED steps, a slight overestimate) */
    tg_csr_batch view = {rows, b[0].indptr, b[0].indices, b[0].values};
    if (tg_net_forward(net, &view, logits, e) != TG_OK)
        goto end;
    seconds = (tg_clock_ns() - t0) / 1e9 / TIMED;
end:
    tg_net_destroy(net);
    free_batch(&b[0]), free_batch(&b[1]);
    free(logits), free(dlogits);
    return seconds;
}

int main(int argc, char **argv)
{
    int probe = argc > 1 && strcmp(argv[1], "--probe") == 0;
    int64_t nnz = argc > 1 && !probe ? atoll(argv[1]) : 1000;
    int32_t default_batches[] = {20, 100, 400};
    int n_batches = argc > 2 ? argc - 2 : 3;
    if (nnz < 1 || nnz > (int64_t)STEPS * CITIES) {
        fprintf(stderr, "usage: train_gpu_bench [NNZ_PER_ROW (1..%d) [BATCH...]]\n",
                STEPS * CITIES);
        return 2;
    }
    if (!tg_net_cuda_available()) {
        printf("train_gpu_bench: no CUDA device answers (or this build has no CUDA backend): "
               "nothing measured\n");
        return 77;
    }
    tg_error e = {0};
    tg_cuda *cu = NULL;
    char name[128];
    double peak = 0;
    size_t free_b = 0, total_b = 0;
    if (tg_cuda_open(&cu, &e) != TG_OK || tg_cuda_device_info(cu, name, sizeof name, &peak, &e) ||
        tg_cuda_mem_info(cu, &free_b, &total_b, &e))
        return fail(&e);
    printf("device: %s, %.1f GB (%.1f GB free), nominal memory bandwidth %.0f GB/s\n", name,
           total_b / 1e9, free_b / 1e9, peak / 1e9);
    tg_cuda_close(cu);
    cu = NULL;
    if (probe)
        return 0;
    const size_t N = (size_t)STEPS * CITIES * (STEPS * 100) + STEPS * 100 +
                     (size_t)STEPS * 100 * GENRES + GENRES;
    printf("model: %d x %d inputs -> %d (ReLU) -> %d: %zu parameters; %lld non-zeros a row\n",
           STEPS, CITIES, STEPS * 100, GENRES, N, (long long)nnz);

    printf("%8s %8s %14s\n", "batch", "layer 1", "ms per step");
    for (int i = 0; i < n_batches; i++) {
        int32_t rows = argc > 2 ? (int32_t)atoi(argv[2 + i]) : default_batches[i];
        if (rows < 1) {
            fprintf(stderr, "train_gpu_bench: a batch size must be >= 1\n");
            return 2;
        }
        for (int k = 0; tg_cuda_first_layer_names[k]; k++) {
            double s = step_time(rows, nnz, tg_cuda_first_layer_names[k], &e);
            if (s < 0)
                return fail(&e);
            printf("%8d %8s %14.3f\n", rows, tg_cuda_first_layer_names[k], s * 1e3);
        }
    }

    /* Adam alone over the same parameter count */
    float *p = NULL, *g = NULL, *m = NULL, *v = NULL;
    tg_adam opt = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    if (tg_cuda_open(&cu, &e) || tg_cuda_malloc(cu, (void **)&p, N * 4, &e) ||
        tg_cuda_malloc(cu, (void **)&g, N * 4, &e) || tg_cuda_malloc(cu, (void **)&m, N * 4, &e) ||
        tg_cuda_malloc(cu, (void **)&v, N * 4, &e) || tg_cuda_memset0(cu, p, N * 4, &e) ||
        tg_cuda_memset0(cu, g, N * 4, &e) || tg_cuda_memset0(cu, m, N * 4, &e) ||
        tg_cuda_memset0(cu, v, N * 4, &e))
        return fail(&e);
    for (int zero = 0; zero < 2; zero++) {
        uint64_t t0 = 0;
        for (int t = 1; t <= WARMUP + TIMED; t++) {
            if (t == WARMUP + 1) {
                if (tg_cuda_sync(cu, &e) != TG_OK)
                    return fail(&e);
                t0 = tg_clock_ns();
            }
            if (tg_cuda_adam_step(cu, &opt, t, p, g, m, v, N, zero, &e))
                return fail(&e);
        }
        if (tg_cuda_sync(cu, &e))
            return fail(&e);
        double s = (tg_clock_ns() - t0) / 1e9 / TIMED, bytes = (zero ? 32.0 : 28.0) * (double)N;
        printf("Adam%s: %.3f ms a step, %.1f GB moved, %.0f GB/s = %.0f%% of nominal\n",
               zero ? " + zeroing the gradients (the trainer's)" : " alone", s * 1e3, bytes / 1e9,
               bytes / s / 1e9, 100.0 * bytes / s / peak);
    }
    tg_cuda_free(cu, p), tg_cuda_free(cu, g), tg_cuda_free(cu, m), tg_cuda_free(cu, v);
    tg_cuda_close(cu);
    return 0;
}
