/* options.h - command-line parsing shared by every program, in the manner of zstd's
 * CLI: long options as "--name value" or "--name=value", checked numbers with
 * overflow detection, sizes with K/KB/KiB/M/MB/MiB/G/GB/GiB suffixes. Errors are
 * TG_ERR_USAGE with a message naming the option. */
#ifndef TG_OPTIONS_H
#define TG_OPTIONS_H

#include "error.h"

#include <stdint.h>
#include <stdio.h>

/* Matches argv[*i] against a flag that takes a value: long form "--name" (also
 * "--name=value") or short form (e.g. "-o", may be NULL).
 * Returns 0 when argv[*i] is not this option; 1 when it is, with *value set (the
 * value after '=' or the next argument, in which case *i is advanced); -1 when it is
 * but the value is missing or starts with '-' (e filled). "-" alone and a negative
 * number ("-5", "-0.5") are values: the option's parser then refuses or takes them. */
int tg_opt_value(int argc, char **argv, int *i, const char *name, const char *short_name,
                 const char **value, tg_error *e);

/* Matches a flag without a value ("--force", "-q"). Returns 1 if argv[i] is it. */
int tg_opt_flag(const char *arg, const char *name, const char *short_name);

/* The informational flags every program takes: --help/-h (usage on stdout) and
 * --version ("PROG (tracegenre) VERSION" on stdout). Returns 1 if arg was one of them
 * and it was answered (the program then exits 0), else 0. */
int tg_opt_info(const char *arg, const char *prog, void (*usage)(FILE *));

/* The display flags every program takes: -q/--quiet (one level less), -v/--verbose
 * (one more) and the hidden --fake-stderr-is-console (progress tests). Applies arg and
 * returns 1 if it is one of them, else returns 0. */
int tg_opt_display(const char *arg);

/* Parses a whole decimal integer in [min, max]. A negative one is out of range ("-0"
 * is 0). */
tg_code tg_parse_u64(const char *s, const char *opt, uint64_t min, uint64_t max, uint64_t *out,
                     tg_error *e);

/* Parses a size: an integer with an optional suffix K, KB, KiB, M, MB, MiB, G, GB, GiB
 * (all binary multiples, as zstd reads them), at least min bytes. */
tg_code tg_parse_size(const char *s, const char *opt, uint64_t min, uint64_t *out, tg_error *e);

/* Parses a finite number in [min, max]. */
tg_code tg_parse_double(const char *s, const char *opt, double min, double max, double *out,
                        tg_error *e);

/* Returns the index of s in the NULL-terminated list choices, or fails naming them. */
tg_code tg_parse_choice(const char *s, const char *opt, const char *const *choices, int *out,
                        tg_error *e);

#endif
