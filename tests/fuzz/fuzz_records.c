/* fuzz_records.c - libFuzzer target for ingest's record layer: bytes -> yajl -> records
 * -> validation -> rejects. Whatever the bytes, the parse ends with TG_OK or
 * TG_ERR_FORMAT (never a crash, a hang or a leak), and the counters add up. */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"
#include "records.h"
#include "utf8.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
    uint64_t albums, traces, rejected, pending;
} tally;

static tg_code on_album(void *ctx, const tg_album_rec *a, tg_error *e)
{
    (void)e;
    FUZZ_ASSERT(a->album_id.p != NULL && a->album_id.len > 0 && a->album_id.len <= TG_REC_MAX_STR);
    FUZZ_ASSERT(a->n_genres <= TG_REC_MAX_GENRES);
    FUZZ_ASSERT(memchr(a->album_id.p, 0, a->album_id.len) == NULL);   /* bad_string */
    /* yajl checks raw UTF-8, bad_string the "\u" escapes it would decode to none */
    FUZZ_ASSERT(tg_utf8_valid(a->album_id.p, a->album_id.len));
    size_t bytes = 0;
    for (size_t i = 0; i < a->n_genres; i++) {
        bytes += a->genres[i].len;
        FUZZ_ASSERT(a->genres[i].len == 0 || memchr(a->genres[i].p, 0, a->genres[i].len) == NULL);
        FUZZ_ASSERT(a->genres[i].len == 0 || tg_utf8_valid(a->genres[i].p, a->genres[i].len));
    }
    FUZZ_ASSERT(bytes <= TG_REC_MAX_STR);
    ((tally *)ctx)->albums++;
    return TG_OK;
}

static tg_code on_trace(void *ctx, const tg_trace_rec *t, tg_error *e)
{
    (void)e;
    tally *k = ctx;
    FUZZ_ASSERT(t->album_id.p != NULL || t->group != 0);
    FUZZ_ASSERT(t->city.len <= TG_REC_MAX_STR);
    FUZZ_ASSERT(t->city.len == 0 || memchr(t->city.p, 0, t->city.len) == NULL);
    FUZZ_ASSERT(t->city.len == 0 || tg_utf8_valid(t->city.p, t->city.len));
    FUZZ_ASSERT(t->album_id.p == NULL || tg_utf8_valid(t->album_id.p, t->album_id.len));
    FUZZ_ASSERT(t->album_id.p == NULL || (t->album_id.len > 0 && t->album_id.len <= TG_REC_MAX_STR));
    k->traces++;
    k->pending += t->album_id.p == NULL;
    return TG_OK;
}

static tg_code on_reject(void *ctx, const tg_reject *r, tg_error *e)
{
    (void)e;
    FUZZ_ASSERT(r->reason < TG_REJ_COUNT_);
    FUZZ_ASSERT(r->text_len <= TG_REC_MAX_TEXT);
    FUZZ_ASSERT(r->detail != NULL);
    ((tally *)ctx)->rejected += r->count;
    return TG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The layer reads paths; an anonymous memory file gives it one without touching disk. */
    int fd = memfd_create("fuzz-input", 0);
    FUZZ_ASSERT(fd >= 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    tally k = {0};
    tg_rec_sink sink = {.on_album = on_album, .on_trace = on_trace, .on_reject = on_reject,
                        .ctx = &k};
    tg_rec_counts c;
    tg_error e = {0};
    tg_code rc = tg_records_parse(path, &sink, &c, &e);
    close(fd);
    FUZZ_ASSERT(rc == TG_OK || rc == TG_ERR_FORMAT);
    if (rc == TG_ERR_FORMAT)
        FUZZ_ASSERT(strstr(e.msg, "byte ") != NULL && strstr(e.msg, "line ") != NULL);
    if (rc == TG_OK) {
        FUZZ_ASSERT(c.records == c.albums + c.traces + c.rejected);
        uint64_t by = 0;
        for (int r = 0; r < TG_REJ_COUNT_; r++)
            by += c.rejected_by[r];
        FUZZ_ASSERT(by == c.rejected);
        FUZZ_ASSERT(c.albums == k.albums);
        /* pending traces whose group got no album are delivered, then counted rejected */
        FUZZ_ASSERT(k.traces >= c.traces && k.traces - c.traces <= k.pending);
        FUZZ_ASSERT(c.bytes == size || (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0));
    }
    return 0;
}
