#!/usr/bin/python3
# store_py.py - Python reads store.h5 as documented: h5py + scipy.sparse (mode "scipy")
# or AnnData's element reader (mode "anndata"), through our plugin, with the snippet of
# store/README.md run as written; every value is checked against the writer's own list.
#   store_py.py MODE WRITE_STORE PLUGIN_DIR README     exit 0 pass, 1 fail, 77 skipped
import os
import re
import subprocess
import sys
import tempfile

mode, writer, plugin_dir, readme = sys.argv[1:5]
# Read by HDF5 when it starts, so before h5py is imported.
os.environ["HDF5_PLUGIN_PATH"] = plugin_dir
try:
    import h5py
    import numpy as np
    import scipy.sparse
    if mode == "anndata":
        import anndata  # noqa: F401
except ImportError as exc:
    print(f"{exc}: skipped")
    sys.exit(77)

# The README's snippet: the ```python block under "Loading it from Python".
text = open(readme, encoding="utf-8").read()
snippet = re.search(r"## Loading it from Python.*?```python\n(.*?)```", text, re.S).group(1)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "store.h5")
    listing = subprocess.run([writer, path, "--print"], check=True, capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in listing.rstrip("\n").split("\n")]

    # Run the snippet as a user would, from the store's folder.
    cwd = os.getcwd()
    os.chdir(tmp)
    scope = {}
    if mode == "anndata":
        exec(snippet, scope)
    else:
        # Only the h5py + scipy half (everything before the anndata import).
        exec(snippet.split("from anndata")[0], scope)
    os.chdir(cwd)

    with h5py.File(path, "r") as f:
        cols = int(f.attrs["steps"]) * len(f["cities/name"])
        want = np.zeros((len(rows), cols), dtype=np.uint32)
        for a, (_split, _labels, entries) in enumerate(rows):
            for e in entries.split():
                c, v = e.split(":")
                want[a, int(c)] = int(v)
        assert f.attrs["schema_version"] == 1
        assert f["x"].attrs["encoding-type"] == "csr_matrix"
        split = f["albums/split"][:]
        labels = f["albums/labels"][:]
        assert [int(s) for s in split] == [int(r[0]) for r in rows], "split differs"
        assert ["".join(str(v) for v in row) for row in labels] == [r[1] for r in rows], "labels differ"
        ids = f["albums/id"].asstr()[:]
        assert ids[1] == "b,1" and ids[3] == "café-3", ids[:4]

    for name in (["x", "x2"] if mode == "anndata" else ["x"]):
        x = scope[name]
        assert isinstance(x, scipy.sparse.csr_matrix), f"{name} is {type(x)}"
        assert x.shape == want.shape, f"{name} shape {x.shape}, expected {want.shape}"
        assert x.dtype == np.uint32, f"{name} dtype {x.dtype}"
        assert x.has_sorted_indices
        assert np.array_equal(x.toarray(), want), f"{name} values differ"
        # The matrix works: a product and a row slice, as a trainer would use it.
        ones = np.ones(x.shape[1])
        assert np.array_equal(x @ ones, want.sum(axis=1)), f"{name} product differs"
        assert np.array_equal(x[1].toarray()[0], want[1])
        print(f"{name}: {x.shape[0]} x {x.shape[1]} CSR, {x.nnz} entries, read by {mode}")
