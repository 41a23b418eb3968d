/* xxhash64.c - XXH64 after the reference specification (xxhash_spec.md, Yann Collet):
 * four 8-byte lanes over 32-byte stripes, then the tail and the avalanche. */
#include "xxhash64.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Little-endian reads whatever the host. One unaligned load (memcpy) and a swap only on
 * big-endian hosts: gcc does not fuse the byte-by-byte form into a load, and that form
 * made the content hash 2.6 times slower (0.19 s against 0.07 s over 330 MiB). */
static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t read32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t round64(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge_round(uint64_t acc, uint64_t val)
{
    acc ^= round64(0, val);
    return acc * P1 + P4;
}

void tg_xxh64_init(tg_xxh64_state *s, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->v[0] = seed + P1 + P2;
    s->v[1] = seed + P2;
    s->v[2] = seed;
    s->v[3] = seed - P1;
}

static inline void stripe(uint64_t v[4], const unsigned char *p)
{
    v[0] = round64(v[0], read64(p));
    v[1] = round64(v[1], read64(p + 8));
    v[2] = round64(v[2], read64(p + 16));
    v[3] = round64(v[3], read64(p + 24));
}

void tg_xxh64_update(tg_xxh64_state *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->total += len;
    if (s->buffered + len < 32) {
        if (len)
            memcpy(s->buf + s->buffered, p, len);
        s->buffered += len;
        return;
    }
    if (s->buffered) {
        size_t fill = 32 - s->buffered;
        memcpy(s->buf + s->buffered, p, fill);
        stripe(s->v, s->buf);
        p += fill;
        len -= fill;
        s->buffered = 0;
    }
    if (len >= 32) {
        /* the lanes in registers for the whole run of stripes, not in s between them */
        uint64_t v[4] = {s->v[0], s->v[1], s->v[2], s->v[3]};
        for (; len >= 32; p += 32, len -= 32)
            stripe(v, p);
        memcpy(s->v, v, sizeof v);
    }
    if (len)
        memcpy(s->buf, p, len);
    s->buffered = len;
}

uint64_t tg_xxh64_digest(const tg_xxh64_state *s)
{
    uint64_t h;
    if (s->total >= 32) {
        h = rotl(s->v[0], 1) + rotl(s->v[1], 7) + rotl(s->v[2], 12) + rotl(s->v[3], 18);
        for (int i = 0; i < 4; i++)
            h = merge_round(h, s->v[i]);
    } else {
        h = s->seed + P5;
    }
    h += s->total;
    const unsigned char *p = s->buf;
    size_t len = s->buffered;
    for (; len >= 8; p += 8, len -= 8)
        h = rotl(h ^ round64(0, read64(p)), 27) * P1 + P4;
    if (len >= 4) {
        h = rotl(h ^ ((uint64_t)read32(p) * P1), 23) * P2 + P3;
        p += 4;
        len -= 4;
    }
    for (; len > 0; p++, len--)
        h = rotl(h ^ (*p * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

uint64_t tg_xxh64(const void *data, size_t len, uint64_t seed)
{
    tg_xxh64_state s;
    tg_xxh64_init(&s, seed);
    tg_xxh64_update(&s, data, len);
    return tg_xxh64_digest(&s);
}
