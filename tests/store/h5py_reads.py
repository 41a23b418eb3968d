#!/usr/bin/python3
# h5py_reads.py - h5py (python3-h5py), with HDF5_PLUGIN_PATH on our plugin, reads a
# file written with filter 32015 and gets the right values.
#   h5py_reads.py WRITE_FIXTURE PLUGIN_DIR     exit 0 pass, 1 fail, 77 skipped
import os
import subprocess
import sys
import tempfile

writer, plugin_dir = sys.argv[1], sys.argv[2]
# Read by HDF5 when it starts, so before h5py is imported.
os.environ["HDF5_PLUGIN_PATH"] = plugin_dir
try:
    import h5py
    import numpy as np
except ImportError as exc:
    print(f"h5py not available ({exc}): skipped")
    sys.exit(77)


def expected(name, dtype):
    out = subprocess.run([writer, "--print", name], check=True, capture_output=True, text=True).stdout
    return np.array([int(v) for v in out.split()], dtype=dtype)


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "f.h5")
    subprocess.run([writer, path], check=True)
    with h5py.File(path, "r") as f:
        for name, dtype in (("i32", np.int32), ("u32", np.uint32), ("m", np.int32)):
            d = f[name]
            code, _flags, values, _name = d.id.get_create_plist().get_filter(0)
            assert code == 32015 and values[0] == 3, f"/{name} filter {code} {values}"
            got = d[...]
            want = expected(name, dtype).reshape(got.shape)
            assert got.dtype == np.dtype(dtype).newbyteorder("<"), f"/{name} dtype {got.dtype}"
            assert np.array_equal(got, want), f"/{name} differs"
            print(f"/{name}: {got.size} values read by h5py {h5py.version.version}")
        # One hyperslab inside the partial last chunk.
        assert np.array_equal(f["i32"][950:1000], expected("i32", np.int32)[950:1000])
