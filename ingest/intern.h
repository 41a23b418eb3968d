/* intern.h - a deterministic dictionary: byte strings (album ids in canonical text,
 * city names in byte-exact UTF-8) to dense indices 0, 1, 2, ... in first-seen order.
 *
 * Open addressing with linear probing over a power-of-two table of 64-bit slots (a
 * key's hash and index: a probe that meets another key mostly stops at its hash, without
 * touching the arena); the keys live once, back to back, in one growing arena. Memory is proportional to the
 * number and total length of distinct keys, never to how often they are seen. The
 * index of a key depends only on the order keys were first put, not on the hash or the
 * table size, so two runs over the same input give the same indices, and dictionaries
 * built on parts of a data set merge deterministically by putting one's keys, in index
 * order, into the other (the old index maps to the returned one). */
#ifndef TG_INTERN_H
#define TG_INTERN_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TG_INTERN_MAX_KEYS 0xFFFFFFFEu   /* indices fit uint32; UINT32_MAX means none */

typedef struct {
    char *arena;          /* the keys, back to back */
    size_t arena_len, arena_cap;
    size_t *off;          /* [n + 1]: key i is arena[off[i] .. off[i+1]) */
    uint32_t n, cap;      /* keys, and room in off */
    uint64_t *slot;       /* [nslots]: hash << 32 | (key index + 1), 0 when empty */
    size_t nslots;        /* a power of two, kept at most 3/4 full */
    uint32_t last;        /* index + 1 of the key the last put returned, 0: none */
} tg_intern;

/* Whether a and b, both len bytes, are equal. Keys are mostly short (album ids, city
 * names): up to 16 bytes they are compared as two overlapping words, no call and no
 * loop (memcmp's call was a third of a put). */
static inline int tg_intern_same(const char *a, const char *b, size_t len)
{
    uint64_t x, y, u, v;
    if (len >= 8 && len <= 16) {
        memcpy(&x, a, 8), memcpy(&y, b, 8);
        memcpy(&u, a + len - 8, 8), memcpy(&v, b + len - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t p, q, r, t;
        memcpy(&p, a, 4), memcpy(&q, b, 4);
        memcpy(&r, a + len - 4, 4), memcpy(&t, b + len - 4, 4);
        return ((p ^ q) | (r ^ t)) == 0;
    }
    return len == 0 || memcmp(a, b, len) == 0;
}

/* 1 and *index set when key is the key the last put returned, else 0. Exports list a
 * cell's age and platform groups one after the other, so the same album id comes again
 * for nearly every trace and the same city about half the time: inline here, a repeat
 * costs one compare, not a call, a hash and a probe. */
static inline int tg_intern_is_last(const tg_intern *d, const char *key, size_t len,
                                    uint32_t *index)
{
    if (d->last == 0)
        return 0;
    uint32_t k = d->last - 1;
    if (d->off[k + 1] - d->off[k] != len || !tg_intern_same(d->arena + d->off[k], key, len))
        return 0;
    *index = k;
    return 1;
}

/* Empties d (no allocation yet). Never fails. */
void tg_intern_init(tg_intern *d);

/* Frees everything; d is then empty and reusable. */
void tg_intern_free(tg_intern *d);

/* tg_intern_put past its repeat test: hash, probe, add. */
tg_code tg_intern_put_probe(tg_intern *d, const char *key, size_t len, uint32_t *index,
                            int *added, tg_error *e);

/* The index of key (len bytes, any bytes, NUL included), adding it if new (*added set
 * to 1, else 0; added may be NULL). Returns TG_OK; TG_ERR_NOMEM or TG_ERR_LIMIT (more
 * than TG_INTERN_MAX_KEYS keys), with d unchanged. A growth moves the arena: pointers
 * from tg_intern_key are invalidated by any put that adds a key. */
static inline tg_code tg_intern_put(tg_intern *d, const char *key, size_t len, uint32_t *index,
                                    int *added, tg_error *e)
{
    if (added != NULL)
        *added = 0;
    if (tg_intern_is_last(d, key, len, index))
        return TG_OK;
    return tg_intern_put_probe(d, key, len, index, added, e);
}

/* The index of key, or UINT32_MAX if absent. */
uint32_t tg_intern_find(const tg_intern *d, const char *key, size_t len);

/* Number of distinct keys. */
static inline uint32_t tg_intern_count(const tg_intern *d) { return d->n; }

/* Key i (i < count): sets *len and returns a pointer into the arena (not
 * NUL-terminated), valid until the next put that adds a key. */
const char *tg_intern_key(const tg_intern *d, uint32_t i, size_t *len);

/* Bytes held (arena, index arrays and table), for memory accounting. */
size_t tg_intern_bytes(const tg_intern *d);

#endif
