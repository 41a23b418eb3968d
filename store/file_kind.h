/* file_kind.h - which of the project's HDF5 files a file is, told by the marks each
 * writer leaves, and the one way store/'s readers open their input: a reader given
 * another stage's file (arguments swapped, the wrong stage's output) says what it was
 * given and what it expected, instead of failing on an attribute that kind lacks. */
#ifndef TG_FILE_KIND_H
#define TG_FILE_KIND_H

#include "error.h"

#include <hdf5.h>

typedef enum {
    TG_FILE_OTHER = 0,   /* HDF5, but none of the kinds below (or too damaged to tell) */
    TG_FILE_INGEST,      /* ingest.h5: root attribute tracegenre_file */
    TG_FILE_STORE,       /* store.h5: the CSR group /x */
    TG_FILE_MODEL,       /* model.h5: root attribute tensors */
    TG_FILE_PREDICTIONS, /* predictions.h5: the dataset /scores */
} tg_file_kind;

/* "a store (aggregate's store.h5)" and so on: what a message calls each kind. */
const char *tg_file_kind_name(tg_file_kind kind);

/* The kind of an open file. Marks are looked for, not validated: a damaged file of a
 * kind is still that kind, and its reader names the damage. */
tg_file_kind tg_h5_file_kind(hid_t file);

/* Opens path read-only (HDF5's error printing off) into *file, checking first what
 * HDF5 would only report as a stack: TG_ERR_IO "PATH: cannot open: <strerror>" (missing,
 * unreadable, a directory) or "PATH: cannot open: not a regular file" (a FIFO);
 * TG_ERR_FORMAT "PATH: not an HDF5 file"; TG_ERR_IO "PATH: cannot open as HDF5" with
 * HDF5's reason (truncated, damaged); and, when want is not TG_FILE_OTHER and the file
 * is positively another kind, TG_ERR_FORMAT "PATH is a store (aggregate's store.h5),
 * not a model (train's model.h5)". A file of no known kind is opened: its reader's own
 * checks say what is missing. */
tg_code tg_h5_open_input(const char *path, tg_file_kind want, hid_t *file, tg_error *e);

/* The kind of the file at path (opened and closed again), with tg_h5_open_input's
 * errors when it cannot be opened as HDF5. */
tg_code tg_h5_kind_of(const char *path, tg_file_kind *kind, tg_error *e);

#endif
