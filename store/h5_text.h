/* h5_text.h - text in the project's HDF5 files: the variable-length UTF-8 string type
 * every file uses (h5py reads it as str), string attributes, and the provenance
 * attribute that each stage's up-to-date check reads without touching the data. */
#ifndef TG_H5_TEXT_H
#define TG_H5_TEXT_H

#include "error.h"

#include <hdf5.h>
#include <stddef.h>

/* A variable-length UTF-8 string type (the caller closes it), or H5I_INVALID_HID. */
hid_t tg_h5_utf8_type(void);

/* Reads the scalar variable-length string attribute name of loc into a malloc'd *out.
 * TG_ERR_FORMAT (naming path and the attribute) if it is missing or not a string. */
tg_code tg_h5_attr_text(hid_t loc, const char *path, const char *name, char **out, tg_error *e);

/* Reads only the root attribute "provenance" of the file at path into a malloc'd
 * *text: an up-to-date check must not read (or validate) a store or a first layer of
 * hundreds of MB. TG_ERR_IO if path cannot be opened as HDF5, TG_ERR_FORMAT if the
 * attribute is missing. */
tg_code tg_h5_file_provenance(const char *path, char **text, tg_error *e);

/* Frees n malloc'd strings and the array (s may be NULL). */
void tg_h5_free_strings(char **s, size_t n);

#endif
