/* h5_props.h - the HDF5 creation properties every file of the project uses: object
 * modification times off, so that the same inputs and options give the same bytes
 * (HDF5 stamps each object header with the second it was written, by default). */
#ifndef TG_H5_PROPS_H
#define TG_H5_PROPS_H

#include <hdf5.h>

/* Property lists shared for the process's life (never closed by callers): for
 * H5Fcreate, H5Gcreate2 and H5Dcreate2 respectively. Negative if HDF5 refused. */
hid_t tg_h5_fcpl(void);
hid_t tg_h5_gcpl(void);
hid_t tg_h5_dcpl(void);

#endif
