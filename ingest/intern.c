/* intern.c - open-addressing string dictionary with first-seen dense indices (see
 * intern.h for why indices do not depend on the hash). */
#include "intern.h"


#include <stdlib.h>
#include <string.h>

void tg_intern_init(tg_intern *d) { memset(d, 0, sizeof *d); }

void tg_intern_free(tg_intern *d)
{
    free(d->arena);
    free(d->off);
    free(d->slot);
    tg_intern_init(d);
}

/* Keys are short (ids, city names): a word-at-a-time multiply-xorshift hash, inlined,
 * costs a fraction of xxh64's streaming init/update/digest per key (which took 4 % of
 * ingest). Indices never depend on it (see intern.h). */
static inline uint32_t hash_of(const char *key, size_t len)
{
    const char *start = key;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xff51afd7ed558ccdull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        key += 8;
        len -= 8;
    }
    /* the last 0 to 7 bytes without a byte loop: the tail's last word, overlapping
     * bytes already hashed, when the key has 8 or more; two overlapping halves from 4 */
    uint64_t w = 0;
    if (len > 0 && key - start >= 8) {
        memcpy(&w, key + len - 8, 8);
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, key, 4), memcpy(&b, key + len - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else {
        for (size_t i = 0; i < len; i++)
            w = w << 8 | (unsigned char)key[i];
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdull;
    return (uint32_t)(h ^ h >> 32);
}

/* Slot holding key, or the empty slot where it would go. */
static inline size_t probe(const tg_intern *d, const char *key, size_t len, uint32_t h)
{
    size_t mask = d->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = d->slot[i];
        if (s == 0)
            return i;
        uint32_t k = (uint32_t)s - 1;
        if ((uint32_t)(s >> 32) == h && d->off[k + 1] - d->off[k] == len &&
            tg_intern_same(d->arena + d->off[k], key, len))
            return i;
    }
}

uint32_t tg_intern_find(const tg_intern *d, const char *key, size_t len)
{
    if (d->nslots == 0)
        return UINT32_MAX;
    uint64_t s = d->slot[probe(d, key, len, hash_of(key, len))];
    return s == 0 ? UINT32_MAX : (uint32_t)s - 1;
}

/* Doubles the table (or makes the first one) and reinserts every key by its hash. */
static int grow_table(tg_intern *d)
{
    size_t nslots = d->nslots ? 2 * d->nslots : 64;
    uint64_t *slot = calloc(nslots, sizeof *slot);
    if (slot == NULL)
        return 0;
    for (size_t j = 0; j < d->nslots; j++) {
        if (d->slot[j] == 0)
            continue;
        size_t i = (d->slot[j] >> 32) & (nslots - 1);
        while (slot[i] != 0)
            i = (i + 1) & (nslots - 1);
        slot[i] = d->slot[j];
    }
    free(d->slot);
    d->slot = slot;
    d->nslots = nslots;
    return 1;
}

/* Makes room for one more key of len bytes in the arena and the index arrays. */
static int reserve(tg_intern *d, size_t len)
{
    if (d->n + 1 >= d->cap) {
        uint32_t cap = d->cap ? (d->cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * d->cap) : 64;
        size_t *off = realloc(d->off, ((size_t)cap + 1) * sizeof *off);
        if (off == NULL)
            return 0;
        d->off = off;
        d->cap = cap;
    }
    if (len > d->arena_cap - d->arena_len) {
        size_t cap = d->arena_cap ? d->arena_cap : 4096;
        while (len > cap - d->arena_len) {
            if (cap > SIZE_MAX / 2)
                return 0;
            cap *= 2;
        }
        char *a = realloc(d->arena, cap);
        if (a == NULL)
            return 0;
        d->arena = a;
        d->arena_cap = cap;
    }
    return 1;
}

tg_code tg_intern_put_probe(tg_intern *d, const char *key, size_t len, uint32_t *index,
                            int *added, tg_error *e)
{
    if (added != NULL)
        *added = 0;
    uint32_t h = hash_of(key, len);
    if (d->nslots != 0) {
        uint64_t s = d->slot[probe(d, key, len, h)];
        if (s != 0) {
            *index = (uint32_t)s - 1;
            d->last = (uint32_t)s;
            return TG_OK;
        }
    }
    if (d->n >= TG_INTERN_MAX_KEYS)
        return tg_fail(e, TG_ERR_LIMIT, "dictionary full: more than %u distinct keys",
                       TG_INTERN_MAX_KEYS);
    /* keep the table at most 3/4 full so probes stay short */
    if ((d->nslots == 0 || (size_t)(d->n + 1) * 4 > d->nslots * 3) && !grow_table(d))
        return tg_fail(e, TG_ERR_NOMEM, "dictionary: out of memory (%u keys)", d->n);
    if (!reserve(d, len))
        return tg_fail(e, TG_ERR_NOMEM, "dictionary: out of memory (%u keys)", d->n);
    if (d->n == 0)
        d->off[0] = 0;
    if (len > 0)  /* memcpy from a NULL key of length 0 is undefined */
        memcpy(d->arena + d->arena_len, key, len);
    d->arena_len += len;
    uint32_t k = d->n++;
    d->off[k + 1] = d->arena_len;
    /* probe again: the table may have grown since the lookup; the key is not in any
     * slot yet, so this finds the empty slot it goes to */
    d->slot[probe(d, key, len, h)] = (uint64_t)h << 32 | (k + 1);
    d->last = k + 1;
    *index = k;
    if (added != NULL)
        *added = 1;
    return TG_OK;
}

const char *tg_intern_key(const tg_intern *d, uint32_t i, size_t *len)
{
    *len = d->off[i + 1] - d->off[i];
    return d->arena + d->off[i];
}

size_t tg_intern_bytes(const tg_intern *d)
{
    return d->arena_cap + ((size_t)d->cap + 1) * sizeof *d->off + d->nslots * sizeof *d->slot;
}
