/* ref_file.h - reading the reference files that PyTorch wrote (the scripts in
 * tests/train/ref/) in the tests that compare with them (test_mlp_ref.c, test_models_ref.c). */
#ifndef TG_TESTS_REF_FILE_H
#define TG_TESTS_REF_FILE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* n items of size bytes from f, in a new allocation; a short file fails the test naming
 * the file and the block. */
static inline void *ref_read(FILE *f, size_t size, size_t n, const char *file, const char *what)
{
    void *p = malloc(size * (n ? n : 1));
    cr_assert_not_null(p);
    size_t got = fread(p, size, n, f);
    cr_assert_eq(got, n, "%s: %s: read %zu of %zu items of %zu bytes", file, what, got, n, size);
    return p;
}

#endif
