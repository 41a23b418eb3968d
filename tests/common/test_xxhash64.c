/* test_xxhash64.c - XXH64 against values printed by the reference tool (xxhsum -H1),
 * and streaming in any split equal to one shot. */
#include "xxhash64.h"

#include <criterion/criterion.h>
#include <string.h>

Test(xxhash64, reference_vectors)
{
    cr_assert_eq(tg_xxh64("", 0, 0), 0xef46db3751d8e999ULL);
    cr_assert_eq(tg_xxh64("a", 1, 0), 0xd24ec4f1a98c6e5bULL);
    cr_assert_eq(tg_xxh64("abc", 3, 0), 0x44bc2cf5ad770999ULL);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    cr_assert_eq(tg_xxh64(fox, strlen(fox), 0), 0x0b242d361fda71bcULL);
    char xs[100];
    memset(xs, 'x', sizeof xs);
    cr_assert_eq(tg_xxh64(xs, sizeof xs, 0), 0x92f0de5a88a3c094ULL);
}

Test(xxhash64, streaming_equals_one_shot)
{
    unsigned char data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof data; len += 37) {
        uint64_t want = tg_xxh64(data, len, 99);
        for (size_t step = 1; step <= 70; step += 23) {
            tg_xxh64_state s;
            tg_xxh64_init(&s, 99);
            for (size_t off = 0; off < len; off += step)
                tg_xxh64_update(&s, data + off, off + step <= len ? step : len - off);
            cr_assert_eq(tg_xxh64_digest(&s), want, "len %zu step %zu", len, step);
        }
    }
}
