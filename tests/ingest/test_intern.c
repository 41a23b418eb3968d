/* test_intern.c - the dictionary: first-seen dense indices, byte-exact keys, growth,
 * determinism and memory proportional to distinct keys. */
#include "intern.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static uint32_t put(tg_intern *d, const char *k, size_t n, int *added)
{
    uint32_t i = 12345;
    tg_error e = {0};
    cr_assert_eq(tg_intern_put(d, k, n, &i, added, &e), TG_OK, "%s", e.msg);
    return i;
}

Test(intern, first_seen_indices_and_byte_exact_keys)
{
    tg_intern d;
    tg_intern_init(&d);
    cr_assert_eq(tg_intern_find(&d, "x", 1), UINT32_MAX);
    int added;
    cr_assert_eq(put(&d, "Paris", 5, &added), 0);
    cr_assert(added);
    cr_assert_eq(put(&d, "Lyon", 4, &added), 1);
    cr_assert_eq(put(&d, "Paris", 5, &added), 0);
    cr_assert(!added);
    cr_assert_eq(put(&d, "paris", 5, NULL), 2, "case matters");
    cr_assert_eq(put(&d, "Pari", 4, NULL), 3, "a prefix is another key");
    cr_assert_eq(put(&d, "Saint-\xc3\x89tienne", 14, NULL), 4);
    cr_assert_eq(put(&d, "Saint-E\xcc\x81tienne", 15, NULL), 5, "no Unicode normalisation");
    cr_assert_eq(put(&d, "a\0b", 3, NULL), 6);
    cr_assert_eq(put(&d, "a\0c", 3, NULL), 7, "bytes after a NUL count");
    cr_assert_eq(put(&d, "", 0, NULL), 8);
    cr_assert_eq(put(&d, "", 0, NULL), 8);
    cr_assert_eq(tg_intern_count(&d), 9);
    size_t len;
    const char *k = tg_intern_key(&d, 6, &len);
    cr_assert_eq(len, 3);
    cr_assert(memcmp(k, "a\0b", 3) == 0);
    cr_assert_eq(tg_intern_find(&d, "Lyon", 4), 1);
    tg_intern_free(&d);
    cr_assert_eq(tg_intern_count(&d), 0);
}

/* The previous key is answered without a probe: the answer must be the probe's, with
 * keys that share a length or a prefix with it, the empty key, and across a growth. */
Test(intern, repeated_key_shortcut)
{
    tg_intern d;
    tg_intern_init(&d);
    int added;
    cr_assert_eq(put(&d, "Paris", 5, &added), 0);
    cr_assert_eq(put(&d, "Paris", 5, &added), 0);
    cr_assert(!added, "a repeat is not added");
    cr_assert_eq(put(&d, "Parix", 5, &added), 1, "same length, other bytes");
    cr_assert(added);
    cr_assert_eq(put(&d, "Pari", 4, NULL), 2, "a prefix of the previous key");
    cr_assert_eq(put(&d, "Paris", 5, NULL), 0, "an older key after another");
    cr_assert_eq(put(&d, "", 0, NULL), 3);
    cr_assert_eq(put(&d, "", 0, NULL), 3);
    cr_assert_eq(put(&d, "Paris", 5, NULL), 0);
    char key[16];
    for (int i = 0; i < 1000; i++) {   /* several growths between repeats */
        int n = snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(put(&d, key, (size_t)n, NULL), 4u + (uint32_t)i);
        cr_assert_eq(put(&d, key, (size_t)n, &added), 4u + (uint32_t)i);
        cr_assert(!added);
    }
    cr_assert_eq(put(&d, "Parix", 5, NULL), 1);
    cr_assert_eq(tg_intern_count(&d), 1004);
    tg_intern_free(&d);
    cr_assert_eq(put(&d, "Paris", 5, NULL), 0, "a freed dictionary forgets its last key");
    tg_intern_free(&d);
}

Test(intern, growth_determinism_and_memory)
{
    tg_intern a, b;
    tg_intern_init(&a);
    tg_intern_init(&b);
    char key[32];
    const uint32_t n = 300000;
    for (uint32_t i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "city-%u", i * 2654435761u);
        cr_assert_eq(put(&a, key, (size_t)len, NULL), i);
    }
    /* every key again (no growth) and in another order into b */
    size_t before = tg_intern_bytes(&a);
    for (uint32_t i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "city-%u", i * 2654435761u);
        cr_assert_eq(put(&a, key, (size_t)len, NULL), i);
    }
    cr_assert_eq(tg_intern_bytes(&a), before, "seeing keys again costs nothing");
    cr_assert_lt(before, (size_t)n * 64, "memory ~ distinct keys: %zu bytes", before);
    /* merge a into b in index order: same indices, deterministic */
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *k = tg_intern_key(&a, i, &len);
        memcpy(key, k, len);
        cr_assert_eq(put(&b, key, len, NULL), i);
    }
    for (uint32_t i = 0; i < n; i += 997) {
        size_t la, lb;
        const char *ka = tg_intern_key(&a, i, &la), *kb = tg_intern_key(&b, i, &lb);
        cr_assert_eq(la, lb);
        cr_assert(memcmp(ka, kb, la) == 0);
    }
    tg_intern_free(&a);
    tg_intern_free(&b);
}

/* Keys are compared word by word up to 16 bytes (overlapping words): keys of every
 * length from 0 to 40 that differ from a base key in one byte only, at each position,
 * are all distinct, and each finds itself again, through the table and through the
 * repeated-key shortcut. */
Test(intern, keys_differing_in_one_byte_at_every_position)
{
    tg_intern d;
    tg_intern_init(&d);
    tg_error e = {0};
    char key[40];
    uint32_t n = 0, idx;
    int added;
    for (size_t len = 0; len <= sizeof key; len++) {
        memset(key, 'a', sizeof key);
        cr_assert_eq(tg_intern_put(&d, key, len, &idx, &added, &e), TG_OK, "%s", e.msg);
        cr_assert_eq(added, 1, "base key of %zu bytes", len);
        n++;
        for (size_t at = 0; at < len; at++) {
            key[at] = 'b';
            cr_assert_eq(tg_intern_put(&d, key, len, &idx, &added, &e), TG_OK, "%s", e.msg);
            cr_assert_eq(added, 1, "length %zu, byte %zu: taken for another key", len, at);
            cr_assert_eq(idx, n, "length %zu, byte %zu", len, at);
            cr_assert_eq(tg_intern_put(&d, key, len, &idx, &added, &e), TG_OK, "%s", e.msg);
            cr_assert(added == 0 && idx == n, "length %zu, byte %zu: repeat", len, at);
            cr_assert_eq(tg_intern_find(&d, key, len), n);
            key[at] = 'a';
            n++;
        }
    }
    cr_assert_eq(tg_intern_count(&d), n);
    /* every key again, after the table grew: found, nothing added */
    for (size_t len = 0, k = 0; len <= sizeof key; len++)
        for (size_t at = 0; at <= len; at++, k++) {
            memset(key, 'a', sizeof key);
            if (at > 0)
                key[at - 1] = 'b';
            cr_assert_eq(tg_intern_find(&d, key, len), (uint32_t)k, "length %zu, byte %zu", len,
                         at);
        }
    tg_intern_free(&d);
}
