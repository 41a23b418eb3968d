/* runs.c - the row buffer, its sorted spills and their k-way merge (see runs.h).
 * Spill file format: per block, a 4-byte little-endian frame size then one zstd frame
 * (tg_zstd_encode: content size and checksum) of up to TG_RUN_BLOCK_ROWS tg_rows. */
#include "runs.h"

#include "output_file.h"
#include "zstd_chunk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#define BLOCK_BYTES (TG_RUN_BLOCK_ROWS * sizeof(tg_row))
#define SPILL_LEVEL 1   /* spills are read once and removed: speed over ratio */

/* (day, city) as one unsigned number in the same order: the sign bit of day flipped. */
static inline uint64_t day_city(const tg_row *r)
{
    return (uint64_t)((uint32_t)r->day ^ 0x80000000u) << 32 | r->city;
}

static inline int key_cmp(const tg_row *a, const tg_row *b)
{
    if (a->album != b->album)
        return a->album < b->album ? -1 : 1;
    uint64_t x = day_city(a), y = day_city(b);
    return (x > y) - (x < y);
}

static inline void swap_rows(tg_row *a, tg_row *b)
{
    tg_row t = *a;
    *a = *b;
    *b = t;
}

static void heap_down(tg_row *a, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && key_cmp(&a[l], &a[m]) > 0)
            m = l;
        if (l + 1 < n && key_cmp(&a[l + 1], &a[m]) > 0)
            m = l + 1;
        if (m == i)
            return;
        swap_rows(&a[i], &a[m]);
        i = m;
    }
}

/* Introsort in place: quicksort (median of three), insertion sort below 16 rows,
 * heapsort past a depth limit. Not qsort: glibc's is a merge sort that allocates a
 * copy of the array (doubling the buffer's memory), and its compare calls cost a
 * fifth of ingest's time. */
static void sort_rows(tg_row *a, size_t n, unsigned depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            for (size_t i = n / 2; i-- > 0;)
                heap_down(a, n, i);
            for (size_t i = n - 1; i > 0; i--) {
                swap_rows(&a[0], &a[i]);
                heap_down(a, i, 0);
            }
            return;
        }
        size_t mid = n / 2;
        if (key_cmp(&a[mid], &a[0]) < 0)
            swap_rows(&a[mid], &a[0]);
        if (key_cmp(&a[n - 1], &a[0]) < 0)
            swap_rows(&a[n - 1], &a[0]);
        if (key_cmp(&a[n - 1], &a[mid]) < 0)
            swap_rows(&a[n - 1], &a[mid]);
        tg_row pivot = a[mid];
        size_t i = 0, j = n - 1;
        for (;;) {   /* Hoare partition: a[0..j] <= pivot <= a[j+1..n) */
            while (key_cmp(&a[i], &pivot) < 0)
                i++;
            while (key_cmp(&a[j], &pivot) > 0)
                j--;
            if (i >= j)
                break;
            swap_rows(&a[i++], &a[j--]);
        }
        /* recurse into the smaller side, loop on the larger: stack depth O(log n) */
        size_t left = j + 1;
        if (left < n - left) {
            sort_rows(a, left, depth);
            a += left;
            n -= left;
        } else {
            sort_rows(a + left, n - left, depth);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        tg_row x = a[i];
        size_t j = i;
        while (j > 0 && key_cmp(&a[j - 1], &x) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

/* One side of a partition, sorted by a thread of its own. */
typedef struct {
    tg_row *a;
    size_t n;
    unsigned depth, threads;
} sort_job;

static void sort_par(tg_row *a, size_t n, unsigned depth, unsigned threads);

static void *sort_main(void *arg)
{
    sort_job *j = arg;
    sort_par(j->a, j->n, j->depth, j->threads);
    return NULL;
}

/* sort_rows with up to threads threads: one Hoare partition (as sort_rows does), then
 * each side sorted at once. Equal keys are summed afterwards, so the order among them,
 * the only thing a different split could change, does not reach the output. The
 * final sort of a buffer that never spilled (synth's default data) is otherwise one
 * thread's time after all the parser threads are done. */
static void sort_par(tg_row *a, size_t n, unsigned depth, unsigned threads)
{
    if (threads < 2 || n < ((size_t)1 << 16) || depth == 0) {
        sort_rows(a, n, depth);
        return;
    }
    size_t mid = n / 2;
    if (key_cmp(&a[mid], &a[0]) < 0)
        swap_rows(&a[mid], &a[0]);
    if (key_cmp(&a[n - 1], &a[0]) < 0)
        swap_rows(&a[n - 1], &a[0]);
    if (key_cmp(&a[n - 1], &a[mid]) < 0)
        swap_rows(&a[n - 1], &a[mid]);
    tg_row pivot = a[mid];
    size_t i = 0, j = n - 1;
    for (;;) {
        while (key_cmp(&a[i], &pivot) < 0)
            i++;
        while (key_cmp(&a[j], &pivot) > 0)
            j--;
        if (i >= j)
            break;
        swap_rows(&a[i++], &a[j--]);
    }
    size_t left = j + 1;
    unsigned tl = threads / 2;
    sort_job job = {a, left, depth - 1, tl};
    pthread_t tid;
    if (pthread_create(&tid, NULL, sort_main, &job) != 0) {
        sort_rows(a, left, depth - 1);   /* no thread: the same sort, in this one */
        sort_rows(a + left, n - left, depth - 1);
        return;
    }
    sort_par(a + left, n - left, depth - 1, threads - tl);
    pthread_join(tid, NULL);
}

static unsigned depth_for(size_t n)
{
    unsigned depth = 0;
    for (size_t k = n; k > 0; k >>= 1)
        depth += 2;
    return depth;
}

/* Sorts the buckets [b0, b1) of a bucketed array, each on its own (bucket b is
 * a[start[b] .. start[b + 1])). */
typedef struct {
    tg_row *a;
    const size_t *start;
    size_t b0, b1;
    tg_row *dst;        /* where the buckets' summed rows go, back to back */
    size_t m;           /* rows written there */
} bucket_job;

/* Copies src[0..n), sorted, to dst summing identical keys; returns the rows written.
 * dst may be src or before it (each row is read before its place is written). */
static size_t sum_rows(tg_row *dst, const tg_row *src, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && key_cmp(&dst[m - 1], &src[i]) == 0) {
            dst[m - 1].nusers += src[i].nusers;
            dst[m - 1].nstreams += src[i].nstreams;
        } else {
            dst[m++] = src[i];
        }
    }
    return m;
}

/* Sorts one bucket. When its rows are already in (album, day) order, as the stable
 * bucket pass leaves an export's rows (exports list days in order), only each day's few
 * rows need sorting by city: the introsort's compares on scrambled rows are
 * unpredictable branches, and this way most of them are gone. Else the introsort. */
static void sort_bucket(tg_row *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (a[i].album < a[i - 1].album ||
            (a[i].album == a[i - 1].album && a[i].day < a[i - 1].day)) {
            sort_rows(a, n, depth_for(n));
            return;
        }
    for (size_t s = 0, t; s < n; s = t) {
        for (t = s + 1; t < n && a[t].day == a[s].day && a[t].album == a[s].album; t++)
            ;
        if (t - s > 16) {
            sort_rows(a + s, t - s, depth_for(t - s));
            continue;
        }
        for (size_t i = s + 1; i < t; i++) {   /* a few rows of one day: by city alone */
            tg_row x = a[i];
            size_t j = i;
            for (; j > s && a[j - 1].city > x.city; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
    }
}

/* Sorts each bucket and sums it into j->dst while it is still in cache (no bucket
 * shares a key with another: they hold different albums). */
static void *sort_buckets(void *arg)
{
    bucket_job *j = arg;
    for (size_t b = j->b0; b < j->b1; b++) {
        tg_row *a = j->a + j->start[b];
        size_t n = j->start[b + 1] - j->start[b];
        sort_bucket(a, n);
        j->m += sum_rows(j->dst + j->m, a, n);
    }
    return NULL;
}

#define MAX_BUCKET_BITS 16   /* at most 64 Ki buckets: 1 MiB of cursors */

/* Maps pages [p, p + len) writable now, in one call (MADV_POPULATE_WRITE, Linux 5.14),
 * instead of one page fault each as the rows first touch them: the row buffer and the
 * sort's copy are ~20 k fresh pages on a report-size file, and their faults cost 2 %
 * of ingest. Only a speed-up: where the kernel lacks it the pages fault as before. */
static void prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
    long ps = sysconf(_SC_PAGESIZE);   /* a call each: a few dozen a run */
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t b = ((uintptr_t)p + len) & ~(page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
    (void)p, (void)len;
#endif
}

/* Sorts rows[0..n) (album indices at most max) by key with up to threads threads and
 * sums identical keys into rows[0..m); returns m. Albums first: a bucket pass by album
 * index, then each album's few hundred rows sorted in cache (sort_bucket). When the buffer (cap rows) has room for
 * a second copy, the pass is a stable counting sort into rows[n..2n), which keeps each
 * album's rows in arrival order (report-size data, 1.14 M rows: all of it). Else it is
 * in place, with no scratch copy (American flag sort: count, then cycle each row to its
 * bucket, every row moved about once, their order lost): a full buffer is half of
 * --mem, and a second one would have halved it. The in-place pass took the sort from
 * 0.10 s to 0.077 s. A tiny cursor table that cannot be allocated falls back to the
 * plain introsort. */
static size_t sort_sum(tg_row *a, size_t n, size_t cap, uint32_t max, unsigned threads)
{
    unsigned bits = 0;
    while (bits < 32 && (max >> bits) != 0)
        bits++;
    unsigned shift = bits > MAX_BUCKET_BITS ? bits - MAX_BUCKET_BITS : 0;
    size_t nb = ((size_t)max >> shift) + 1;
    size_t *start = n >= 64 && nb > 1 ? calloc(nb + 1, sizeof *start) : NULL;
    size_t *next = start != NULL ? malloc(nb * sizeof *next) : NULL;
    if (next == NULL) {
        free(start);
        sort_par(a, n, depth_for(n), threads);
        return sum_rows(a, a, n);
    }
    for (size_t i = 0; i < n; i++)
        start[(a[i].album >> shift) + 1]++;
    for (size_t b = 0; b < nb; b++) {
        start[b + 1] += start[b];
        next[b] = start[b];
    }
    tg_row *out = a;
    if (n <= cap - n) {   /* room for a copy: stable */
        out = a + n;
        prefault(out, n * sizeof *out);
        for (size_t i = 0; i < n; i++)
            out[next[a[i].album >> shift]++] = a[i];
    }
    for (size_t b = 0; b < nb && out == a; b++) {
        while (next[b] < start[b + 1]) {
            tg_row x = a[next[b]];
            size_t bx = x.album >> shift;
            while (bx != b) {   /* x goes to its bucket; take the row it displaces */
                tg_row y = a[next[bx]];
                a[next[bx]++] = x;
                x = y;
                bx = x.album >> shift;
            }
            a[next[b]++] = x;
        }
    }
    free(next);
    /* two threads: the buckets split where half the rows are */
    size_t split = nb;
    if (threads >= 2 && n >= ((size_t)1 << 16))
        for (split = 0; split < nb && start[split] < n / 2; split++)
            ;
    /* each side sums into the rows' place from its first bucket's start: never past what
     * it has still to read, whether the buckets lie in place or in the copy; the high
     * side then moves down behind the low one */
    bucket_job lo = {out, start, 0, split, a, 0}, hi = {out, start, split, nb, a + start[split], 0};
    pthread_t tid;
    int threaded = split < nb && pthread_create(&tid, NULL, sort_buckets, &hi) == 0;
    sort_buckets(&lo);
    if (threaded)
        pthread_join(tid, NULL);
    else
        sort_buckets(&hi);
    if (hi.m > 0 && hi.dst != a + lo.m)
        memmove(a + lo.m, hi.dst, hi.m * sizeof *a);
    free(start);
    return lo.m + hi.m;
}

tg_code tg_runs_open(tg_runs *r, size_t mem, const char *near, tg_error *e)
{
    memset(r, 0, sizeof *r);
    if (mem < TG_RUNS_MIN_MEM)
        return tg_fail(e, TG_ERR_USAGE, "--mem must be at least %zu bytes",
                       (size_t)TG_RUNS_MIN_MEM);
    r->mem = mem;
    r->near = near;
    r->cap = mem / sizeof(tg_row);
    r->buf = malloc(r->cap * sizeof(tg_row));
    r->zcap = tg_zstd_bound(BLOCK_BYTES);
    r->zbuf = malloc(r->zcap);
    if (r->buf == NULL || r->zbuf == NULL) {
        free(r->buf);
        free(r->zbuf);
        memset(r, 0, sizeof *r);
        return tg_fail(e, TG_ERR_NOMEM, "cannot allocate the row buffer (%zu bytes)", mem);
    }
    return TG_OK;
}

/* ---- writing runs ---- */

static tg_code open_spill(tg_runs *r, tg_error *e)
{
    if (r->fp != NULL)
        return TG_OK;
    size_t n = strlen(r->near) + 8;
    char *base = malloc(n);
    if (base == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory");
    snprintf(base, n, "%s.runs", r->near);
    tg_code rc = tg_tmp_create(base, &r->tmp_path, e);
    free(base);
    if (rc != TG_OK)
        return rc;
    r->fp = fopen(r->tmp_path, "w+b");
    if (r->fp == NULL)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open the spill file", r->tmp_path);
    return TG_OK;
}

/* Appends one frame of z bytes (its 4-byte size first) at the end of the spill file. */
static tg_code append_frame(tg_runs *r, const unsigned char *frame, size_t z, tg_error *e)
{
    unsigned char hdr[4] = {(unsigned char)z, (unsigned char)(z >> 8),
                            (unsigned char)(z >> 16), (unsigned char)(z >> 24)};
    /* merges read runs through the same stream: a run always grows at the end */
    if (fseeko(r->fp, 0, SEEK_END) != 0 || fwrite(hdr, 1, 4, r->fp) != 4 || fwrite(frame, 1, z, r->fp) != z)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot write a run", r->tmp_path);
    r->spill_bytes += 4 + z;
    return TG_OK;
}

static tg_code write_block(tg_runs *r, const tg_row *rows, size_t n, tg_error *e)
{
    size_t z = 0;
    tg_code rc = tg_zstd_encode(rows, n * sizeof *rows, SPILL_LEVEL, r->zbuf, r->zcap, &z,
                                r->tmp_path, e);
    return rc == TG_OK ? append_frame(r, r->zbuf, z, e) : rc;
}

/* A spill's blocks compressed SPILL_BATCH at a time by up to sort_threads threads
 * (tg_zstd_encode_many), then written in order: the same frames and file as one thread
 * makes. With two threads at --scale 10, a spill's compression was one thread's work
 * while the parser threads waited for the merge to go on. */
#define SPILL_BATCH 16

static tg_code write_blocks_threaded(tg_runs *r, const tg_row *rows, size_t n, tg_error *e)
{
    for (size_t i = 0; i < n; i += SPILL_BATCH * TG_RUN_BLOCK_ROWS) {
        const void *src[SPILL_BATCH];
        size_t bytes[SPILL_BATCH], size[SPILL_BATCH], blocks = 0;
        for (size_t at = i; at < n && blocks < SPILL_BATCH; at += TG_RUN_BLOCK_ROWS, blocks++) {
            src[blocks] = rows + at;
            bytes[blocks] = (n - at < TG_RUN_BLOCK_ROWS ? n - at : TG_RUN_BLOCK_ROWS) * sizeof *rows;
        }
        tg_code rc = tg_zstd_encode_many(src, bytes, blocks, SPILL_LEVEL, r->zbatch, r->zcap,
                                         size, r->sort_threads, NULL, r->tmp_path, e);
        for (size_t j = 0; j < blocks && rc == TG_OK; j++)
            rc = append_frame(r, r->zbatch + j * r->zcap, size[j], e);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

/* Starts a run at the end of the spill file. */
static tg_code run_begin(tg_runs *r, tg_error *e)
{
    tg_code rc = open_spill(r, e);
    if (rc != TG_OK)
        return rc;
    if (r->n_runs == r->cap_runs) {
        size_t cap = r->cap_runs ? r->cap_runs * 2 : 16;
        tg_run *p = realloc(r->runs, cap * sizeof *p);
        if (p == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory (runs)");
        r->runs = p;
        r->cap_runs = cap;
    }
    if (fseeko(r->fp, 0, SEEK_END) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: seek", r->tmp_path);
    off_t at = ftello(r->fp);
    if (at < 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: tell", r->tmp_path);
    r->runs[r->n_runs++] = (tg_run){(uint64_t)at, 0};
    return TG_OK;
}

/* Sorts the full buffer, sums it and writes it as a run. */
static tg_code spill(tg_runs *r, tg_error *e)
{
    size_t n = sort_sum(r->buf, r->n, r->cap, r->max_album, r->sort_threads);
    tg_code rc = run_begin(r, e);
    if (rc == TG_OK && r->sort_threads > 1 && r->zbatch == NULL)
        r->zbatch = malloc(SPILL_BATCH * r->zcap);   /* none: one thread compresses */
    if (rc == TG_OK && r->zbatch != NULL)
        rc = write_blocks_threaded(r, r->buf, n, e);
    for (size_t i = 0; i < n && rc == TG_OK && r->zbatch == NULL; i += TG_RUN_BLOCK_ROWS) {
        size_t k = n - i < TG_RUN_BLOCK_ROWS ? n - i : TG_RUN_BLOCK_ROWS;
        rc = write_block(r, r->buf + i, k, e);
    }
    if (rc != TG_OK)
        return rc;
    r->runs[r->n_runs - 1].rows = n;
    r->spilled_rows += n;
    r->spills++;
    r->n = 0;
    r->max_album = 0;
    return TG_OK;
}

/* The buffer is readied (prefault) this many rows at a time as it fills: 4 MiB. */
#define READY_ROWS (((size_t)4 << 20) / sizeof(tg_row))

tg_code tg_runs_make_room(tg_runs *r, tg_error *e)
{
    if (r->room < r->cap) {
        size_t k = r->cap - r->room < READY_ROWS ? r->cap - r->room : READY_ROWS;
        prefault(r->buf + r->room, k * sizeof *r->buf);
        r->room += k;
        return TG_OK;
    }
    return spill(r, e);
}

/* ---- merging runs ---- */

typedef struct {
    uint64_t pos;        /* file offset of the next block */
    uint64_t left;       /* rows of the run not yet decoded */
    tg_row *blk;         /* [TG_RUN_BLOCK_ROWS] the decoded block */
    size_t n, i;         /* rows in blk, next one */
} reader;

struct tg_merge {
    reader *rd;          /* [k] */
    size_t *heap;        /* [k] reader indices, a min-heap on their current row */
    size_t k, h;         /* readers, heap size */
    tg_row *out;         /* [TG_RUN_BLOCK_ROWS] the block tg_runs_next_block hands out */
};

static tg_code load_block(tg_runs *r, reader *d, tg_error *e)
{
    unsigned char hdr[4];
    if (fseeko(r->fp, (off_t)d->pos, SEEK_SET) != 0 || fread(hdr, 1, 4, r->fp) != 4)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot read a run", r->tmp_path);
    size_t z = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
               (size_t)hdr[3] << 24;
    if (z > r->zcap || fread(r->zbuf, 1, z, r->fp) != z)
        return tg_fail(e, TG_ERR_FORMAT, "%s: damaged run at byte %llu", r->tmp_path,
                       (unsigned long long)d->pos);
    if (r->dctx == NULL && (r->dctx = ZSTD_createDCtx()) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (zstd decompression context)");
    size_t got = 0;
    tg_code rc = tg_zstd_decode_with(r->dctx, r->zbuf, z, d->blk, BLOCK_BYTES, &got,
                                     r->tmp_path, e);
    if (rc != TG_OK)
        return rc;
    if (got == 0 || got % sizeof(tg_row) != 0 || got / sizeof(tg_row) > d->left)
        return tg_fail(e, TG_ERR_FORMAT, "%s: damaged run block at byte %llu", r->tmp_path,
                       (unsigned long long)d->pos);
    d->pos += 4 + z;
    d->n = got / sizeof(tg_row);
    d->left -= d->n;
    d->i = 0;
    return TG_OK;
}

static inline int less(const tg_merge *m, size_t a, size_t b)
{
    const reader *x = &m->rd[a], *y = &m->rd[b];
    int c = key_cmp(&x->blk[x->i], &y->blk[y->i]);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(tg_merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, s = i;
        if (l < m->h && less(m, m->heap[l], m->heap[s]))
            s = l;
        if (l + 1 < m->h && less(m, m->heap[l + 1], m->heap[s]))
            s = l + 1;
        if (s == i)
            return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[s];
        m->heap[s] = t;
        i = s;
    }
}

static void merge_free(tg_merge *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->k; i++)
        free(m->rd[i].blk);
    free(m->rd);
    free(m->heap);
    free(m->out);
    free(m);
}

/* A merge over runs[first .. first+k). */
static tg_code merge_open(tg_runs *r, size_t first, size_t k, tg_merge **out, tg_error *e)
{
    tg_merge *m = calloc(1, sizeof *m);
    if (m == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (merge)");
    m->rd = calloc(k, sizeof *m->rd);
    m->heap = calloc(k, sizeof *m->heap);
    if (m->rd == NULL || m->heap == NULL) {
        merge_free(m);
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (merge)");
    }
    m->k = k;
    tg_code rc = TG_OK;
    for (size_t i = 0; i < k && rc == TG_OK; i++) {
        reader *d = &m->rd[i];
        d->pos = r->runs[first + i].offset;
        d->left = r->runs[first + i].rows;
        if (d->left == 0)
            continue;
        d->blk = malloc(BLOCK_BYTES);
        if (d->blk == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "out of memory (merge blocks)");
        else
            rc = load_block(r, d, e);
        if (rc == TG_OK)
            m->heap[m->h++] = i;
    }
    if (rc != TG_OK) {
        merge_free(m);
        return rc;
    }
    for (size_t i = m->h / 2; i-- > 0;)
        sift_down(m, i);
    *out = m;
    return TG_OK;
}

/* Moves the heap's top reader to its next row, reloading or dropping it. */
static tg_code advance_top(tg_runs *r, tg_merge *m, tg_error *e)
{
    reader *d = &m->rd[m->heap[0]];
    if (++d->i == d->n) {
        if (d->left == 0) {
            m->heap[0] = m->heap[--m->h];
        } else {
            tg_code rc = load_block(r, d, e);
            if (rc != TG_OK)
                return rc;
        }
    }
    if (m->h > 0)
        sift_down(m, 0);
    return TG_OK;
}

/* The next summed row of m; *done when m is exhausted. */
static tg_code merge_next(tg_runs *r, tg_merge *m, tg_row *row, int *done, tg_error *e)
{
    if (m->h == 0) {
        *done = 1;
        return TG_OK;
    }
    *done = 0;
    reader *d = &m->rd[m->heap[0]];
    *row = d->blk[d->i];
    tg_code rc = advance_top(r, m, e);
    while (rc == TG_OK && m->h > 0) {
        d = &m->rd[m->heap[0]];
        if (key_cmp(&d->blk[d->i], row) != 0)
            break;
        row->nusers += d->blk[d->i].nusers;
        row->nstreams += d->blk[d->i].nstreams;
        rc = advance_top(r, m, e);
    }
    return rc;
}

/* Merges runs[first .. first+k) into one new run at the end of the list. */
static tg_code merge_pass(tg_runs *r, size_t first, size_t k, tg_row *out, tg_error *e)
{
    tg_merge *m = NULL;
    tg_code rc = merge_open(r, first, k, &m, e);
    if (rc != TG_OK)
        return rc;
    rc = run_begin(r, e);
    size_t n = 0;
    uint64_t rows = 0;
    int done = 0;
    while (rc == TG_OK) {
        rc = merge_next(r, m, &out[n], &done, e);
        if (rc != TG_OK || done)
            break;
        if (++n == TG_RUN_BLOCK_ROWS) {
            rc = write_block(r, out, n, e);
            rows += n;
            n = 0;
        }
    }
    if (rc == TG_OK && n > 0) {
        rc = write_block(r, out, n, e);
        rows += n;
    }
    merge_free(m);
    if (rc == TG_OK) {
        r->runs[r->n_runs - 1].rows = rows;
        r->spilled_rows += rows;
    }
    return rc;
}

tg_code tg_runs_finish(tg_runs *r, tg_error *e)
{
    tg_code rc;
    if (r->fp == NULL) {
        r->n = sort_sum(r->buf, r->n, r->cap, r->max_album, r->sort_threads);   /* everything fit: read the buffer itself */
        r->mem_i = 0;
        return TG_OK;
    }
    if (r->n > 0 && (rc = spill(r, e)) != TG_OK)
        return rc;
    free(r->buf);      /* the merge's blocks take the buffer's place in the budget */
    r->buf = NULL;
    r->n = r->cap = 0;
    /* blocks the budget holds: one per input run plus one for the output */
    size_t fan = r->mem / BLOCK_BYTES - 1;
    if (fan < 2)
        fan = 2;
    size_t done = 0;   /* runs before this index are merged into later ones */
    while (r->n_runs - done > fan) {
        tg_row *out = malloc(BLOCK_BYTES);
        if (out == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "out of memory (merge)");
        size_t end = r->n_runs;
        rc = TG_OK;
        for (size_t i = done; i < end && rc == TG_OK; i += fan) {
            size_t k = end - i < fan ? end - i : fan;
            rc = merge_pass(r, i, k, out, e);
        }
        free(out);
        if (rc != TG_OK)
            return rc;
        done = end;
        r->passes++;
    }
    /* the merge reads only runs[done..] */
    return merge_open(r, done, r->n_runs - done, &r->merge, e);
}

tg_code tg_runs_next_block(tg_runs *r, const tg_row **rows, size_t *n, tg_error *e)
{
    *n = 0;
    if (r->merge == NULL) {   /* everything fit: the sorted buffer itself, a block a call */
        size_t k = r->n - r->mem_i < TG_RUN_BLOCK_ROWS ? r->n - r->mem_i : TG_RUN_BLOCK_ROWS;
        *rows = r->buf + r->mem_i;
        r->mem_i += k;
        *n = k;
        return TG_OK;
    }
    /* the final merge's output block (counted in the budget: see tg_runs_finish) */
    tg_merge *m = r->merge;
    if (m->out == NULL && (m->out = malloc(BLOCK_BYTES)) == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "out of memory (merge)");
    int done = 0;
    while (*n < TG_RUN_BLOCK_ROWS) {
        tg_code rc = merge_next(r, m, &m->out[*n], &done, e);
        if (rc != TG_OK)
            return rc;
        if (done)
            break;
        (*n)++;
    }
    *rows = m->out;
    return TG_OK;
}

uint64_t tg_runs_spills(const tg_runs *r) { return r->spills; }

void tg_runs_close(tg_runs *r)
{
    merge_free(r->merge);
    if (r->fp != NULL)
        fclose(r->fp);
    if (r->tmp_path != NULL) {
        tg_tmp_discard(r->tmp_path);
        free(r->tmp_path);
    }
    free(r->buf);
    free(r->runs);
    free(r->zbuf);
    free(r->zbatch);
    ZSTD_freeDCtx(r->dctx);
    memset(r, 0, sizeof *r);
}
