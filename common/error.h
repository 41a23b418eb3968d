/* error.h - the project's error codes and the caller-owned context that says what
 * failed and where. Library code returns a tg_code and fills a tg_error; only a
 * program's main() prints the message and exits (0 done, 1 failure, 2 bad usage). */
#ifndef TG_ERROR_H
#define TG_ERROR_H

typedef enum {
    TG_OK = 0,
    TG_ERR_USAGE = 1,       /* bad option or argument: the program exits 2 */
    TG_ERR_IO = 2,          /* open, read, write, stat or rename failed */
    TG_ERR_NOMEM = 3,       /* an allocation failed */
    TG_ERR_FORMAT = 4,      /* malformed input document (broken JSON, damaged store) */
    TG_ERR_RECORD = 5,      /* a well-formed record broke the rules (fatal only in --strict) */
    TG_ERR_LIMIT = 6,       /* a size, shape or memory limit would be exceeded */
    TG_ERR_LIBRARY = 7,     /* HDF5, zstd, yajl, BLAS or CUDA reported a failure */
    TG_ERR_INTERRUPTED = 8, /* a signal asked us to stop */
    TG_ERR_MAX_             /* not a code: one past the last */
} tg_code;

/* Filled by whoever failed first; callers add nothing, so the message names the
 * deepest place that knew what went wrong (file, record, byte offset). */
typedef struct {
    tg_code code;
    char msg[1024];
} tg_error;

/* Sets e->code and formats e->msg (e may be NULL). Returns code, so that
 *   return tg_fail(e, TG_ERR_IO, "%s: cannot open", path);
 * reads as one statement. */
tg_code tg_fail(tg_error *e, tg_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, with ": " and strerror(errno) appended (errno read on entry). */
tg_code tg_fail_errno(tg_error *e, tg_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "io", "nomem", ...: a stable short name for a code. Never NULL. */
const char *tg_code_name(tg_code code);

/* The process exit status for a code: 0 for TG_OK, 2 for usage errors, 1 otherwise. */
int tg_exit_status(tg_code code);

#endif
