/* h5_props.c - shared creation property lists with object times off (see h5_props.h).
 * Made once on first use; HDF5 calls in this project happen on one thread. */
#include "h5_props.h"

static hid_t make(hid_t cls)
{
    hid_t p = H5Pcreate(cls);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

hid_t tg_h5_fcpl(void)
{
    static hid_t p = -1;
    if (p < 0)
        p = make(H5P_FILE_CREATE);
    return p;
}

hid_t tg_h5_gcpl(void)
{
    static hid_t p = -1;
    if (p < 0)
        p = make(H5P_GROUP_CREATE);
    return p;
}

hid_t tg_h5_dcpl(void)
{
    static hid_t p = -1;
    if (p < 0)
        p = make(H5P_DATASET_CREATE);
    return p;
}
