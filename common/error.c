/* error.c - formatting of error messages and the one table from code to name. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vformat(tg_error *e, tg_code code, const char *suffix, const char *fmt, va_list ap)
{
    if (e == NULL)
        return;
    e->code = code;
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (n < 0) {
        e->msg[0] = '\0';
        n = 0;
    }
    size_t used = (size_t)n < sizeof e->msg ? (size_t)n : sizeof e->msg - 1;
    if (suffix != NULL)
        snprintf(e->msg + used, sizeof e->msg - used, ": %s", suffix);
}

tg_code tg_fail(tg_error *e, tg_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(e, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

tg_code tg_fail_errno(tg_error *e, tg_code code, const char *fmt, ...)
{
    const char *why = strerror(errno); /* read before vsnprintf can touch errno */
    va_list ap;
    va_start(ap, fmt);
    vformat(e, code, why, fmt, ap);
    va_end(ap);
    return code;
}

const char *tg_code_name(tg_code code)
{
    switch (code) {
    case TG_OK: return "ok";
    case TG_ERR_USAGE: return "usage";
    case TG_ERR_IO: return "io";
    case TG_ERR_NOMEM: return "nomem";
    case TG_ERR_FORMAT: return "format";
    case TG_ERR_RECORD: return "record";
    case TG_ERR_LIMIT: return "limit";
    case TG_ERR_LIBRARY: return "library";
    case TG_ERR_INTERRUPTED: return "interrupted";
    case TG_ERR_MAX_: break;
    }
    return "unknown";
}

int tg_exit_status(tg_code code)
{
    if (code == TG_OK)
        return 0;
    return code == TG_ERR_USAGE ? 2 : 1;
}
