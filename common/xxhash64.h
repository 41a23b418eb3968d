/* xxhash64.h - XXH64, the 64-bit hash of the xxHash family (the one zstd frames use for
 * their checksums), one-shot and streaming. Used for content identity in provenance. */
#ifndef TG_XXHASH64_H
#define TG_XXHASH64_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t total;
    uint64_t v[4];
    unsigned char buf[32];
    size_t buffered;
    uint64_t seed;
} tg_xxh64_state;

void tg_xxh64_init(tg_xxh64_state *s, uint64_t seed);
void tg_xxh64_update(tg_xxh64_state *s, const void *data, size_t len);
uint64_t tg_xxh64_digest(const tg_xxh64_state *s);
uint64_t tg_xxh64(const void *data, size_t len, uint64_t seed);

#endif
