/* rng.h - a small, fast, seeded random generator (xoshiro256**, seeded by splitmix64,
 * after Blackman and Vigna's public-domain reference code). Independent streams come
 * from distinct seeds passed through splitmix64, so results do not depend on how work
 * is split over threads. Not for cryptography. */
#ifndef TG_RNG_H
#define TG_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} tg_rng;

static inline uint64_t tg_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Seeds from a seed and up to two stream numbers (e.g. album, day). */
static inline void tg_rng_seed(tg_rng *r, uint64_t seed, uint64_t stream_a, uint64_t stream_b)
{
    uint64_t x = seed;
    x = tg_splitmix64(&x) ^ (stream_a * 0xD1B54A32D192ED03ULL);
    x = tg_splitmix64(&x) ^ (stream_b * 0xABC98388FB8FAC03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = tg_splitmix64(&x);
}

static inline uint64_t tg_rng_next(tg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t t = s[1] << 17;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double tg_rng_uniform(tg_rng *r)
{
    return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n) for n > 0 (Lemire's multiply-shift; the tiny bias for
 * n near 2^32 is irrelevant to our uses, which are all far below that). */
static inline uint32_t tg_rng_below(tg_rng *r, uint32_t n)
{
    return (uint32_t)(((tg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Standard normal (Box-Muller; one value per call keeps the state simple). */
static inline double tg_rng_normal(tg_rng *r)
{
    double u1 = 1.0 - tg_rng_uniform(r); /* (0, 1]: log is finite */
    double u2 = tg_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
