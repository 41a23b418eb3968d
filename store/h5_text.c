/* h5_text.c - UTF-8 strings, string attributes and the provenance attribute in HDF5
 * (see h5_text.h): one copy of what every file module of store/ needs. */
#include "h5_text.h"

#include "file_kind.h"
#include "h5_error.h"

#include <stdlib.h>
#include <string.h>

hid_t tg_h5_utf8_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return H5I_INVALID_HID;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

tg_code tg_h5_attr_text(hid_t loc, const char *path, const char *name, char **out, tg_error *e)
{
    *out = NULL;
    hid_t a = H5Aexists(loc, name) > 0 ? H5Aopen(loc, name, H5P_DEFAULT) : H5I_INVALID_HID;
    hid_t ft = a < 0 ? H5I_INVALID_HID : H5Aget_type(a), t = tg_h5_utf8_type();
    char *s = NULL;
    tg_code rc = TG_OK;
    if (a < 0 || ft < 0 || t < 0 || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0 ||
        H5Aread(a, t, &s) < 0)
        rc = tg_h5_fail(e, TG_ERR_FORMAT, "%s: attribute '%s' missing or not a string", path, name);
    if (rc == TG_OK) {
        *out = strdup(s ? s : "");
        H5free_memory(s);
        if (*out == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    if (t >= 0)
        H5Tclose(t);
    if (ft >= 0)
        H5Tclose(ft);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

tg_code tg_h5_file_provenance(const char *path, char **text, tg_error *e)
{
    *text = NULL;
    hid_t f;
    tg_code rc = tg_h5_open_input(path, TG_FILE_OTHER, &f, e);
    if (rc != TG_OK)
        return rc;
    rc = tg_h5_attr_text(f, path, "provenance", text, e);
    H5Fclose(f);
    return rc;
}

void tg_h5_free_strings(char **s, size_t n)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}
