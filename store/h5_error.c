/* h5_error.c - turn HDF5's error stack into one line of our message (see h5_error.h). */
#include "h5_error.h"

#include <hdf5.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

tg_code tg_h5_quiet(tg_error *e)
{
    /* HDF5 1.10 keeps a file whose H5Fclose failed (a full disk) in its table and
     * crashes closing it again in its atexit handler (seen: SEGV in H5F__close_cb).
     * Our files are closed explicitly, so the handler has nothing else to do: turn it
     * off. Only effective before the library starts; later calls fail harmlessly. */
    H5dont_atexit();
    if (H5open() < 0 || H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0)
        return tg_fail(e, TG_ERR_LIBRARY, "HDF5: cannot initialise the library");
    return TG_OK;
}

/* H5Ewalk2 visits records innermost first with H5E_WALK_UPWARD: keep record 0. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *rec, void *data)
{
    if (n == 0 && rec->desc != NULL)
        snprintf(data, 512, "%s", rec->desc);
    return 0;
}

tg_code tg_h5_fail(tg_error *e, tg_code code, const char *fmt, ...)
{
    char inner[512] = "";
    /* Best effort: if HDF5 cannot even walk its stack, our own message still stands. */
    (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, inner);
    (void)H5Eclear2(H5E_DEFAULT);
    if (e == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    size_t used = strlen(e->msg);
    if (inner[0] != '\0' && used < sizeof e->msg - 1)
        snprintf(e->msg + used, sizeof e->msg - used, ": %s", inner);
    return code;
}
