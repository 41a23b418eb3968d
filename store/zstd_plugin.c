/* zstd_plugin.c - the zstd filter as a loadable HDF5 plugin (libH5Zzstd.so), so that
 * h5dump, h5py and other HDF5 programs read our stores via HDF5_PLUGIN_PATH. */
#include "zstd_filter.h"

#include <H5PLextern.h>

H5PL_type_t H5PLget_plugin_type(void)
{
    return H5PL_TYPE_FILTER;
}

const void *H5PLget_plugin_info(void)
{
    return &tg_zstd_filter_class;
}
