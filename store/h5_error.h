/* h5_error.h - HDF5 failures as our errors: HDF5's automatic stack printing is turned
 * off, and the innermost message of its error stack is appended to ours instead. */
#ifndef TG_H5_ERROR_H
#define TG_H5_ERROR_H

#include "error.h"

/* Stops HDF5 from printing its error stack on stderr for this thread's default stack
 * (library messages go through tg_error instead). Safe to call repeatedly. Returns
 * TG_ERR_LIBRARY if HDF5 cannot be initialised. */
tg_code tg_h5_quiet(tg_error *e);

/* Like tg_fail, then appends ": " and the innermost record of HDF5's current error
 * stack (the deepest place that knew, e.g. our filter's own message), if there is one,
 * and clears that stack. Returns code. */
tg_code tg_h5_fail(tg_error *e, tg_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
