#!/bin/sh
# h5py_reads.sh INGEST SYNTH PLUGIN_DIR - ingest.h5 is readable by anyone: h5py, with
# the project's zstd plugin on HDF5_PLUGIN_PATH, finds the schema of
# store/ingest_file.h: texts as str, sorted rows, the CSR of genres, counters that add
# up. Skipped (77) where python3 or h5py is missing.
set -u
ingest=$1 synth=$2 plugins=$3
py=/usr/bin/python3
[ -x $py ] && $py -c 'import h5py, numpy' 2>/dev/null || { echo "no h5py: skipped"; exit 77; }
dir=$(mktemp -d /tmp/tg-ingest-h5py-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$synth" --albums 40 --traces 20000 --cities 60 --layout nested -q -o "$dir/t.json" || exit 1
"$ingest" "$dir/t.json" -o "$dir/i.h5" -q || exit 1
HDF5_PLUGIN_PATH=$plugins $py - "$dir/i.h5" <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["tracegenre_file"] in ("ingest", b"ingest")
assert f.attrs["schema_version"] == 1
r = {k: f["rows/" + k][:] for k in ("album", "day", "city", "nusers", "nstreams")}
n = len(r["album"])
assert n > 1000 and all(len(v) == n for v in r.values())
a, d, ci = r["album"], r["day"], r["city"]
assert (np.lexsort((ci, d, a)) == np.arange(n)).all(), "rows sorted by (album, day, city)"
assert not ((a[1:] == a[:-1]) & (d[1:] == d[:-1]) & (ci[1:] == ci[:-1])).any(), "no repeats"
ids = f["albums/id"].asstr()[:]
assert len(ids) == 40 and len(set(ids)) == 40
ip, ix = f["albums/genre_indptr"][:], f["albums/genre_indices"][:]
assert ip[0] == 0 and ip[-1] == len(ix) and (np.diff(ip) >= 0).all()
assert (ix < len(f["genres/name"])).all()
assert r["city"].max() < len(f["cities/name"])
c = dict(zip(f["counters/name"].asstr()[:], f["counters/value"][:]))
assert c["records"] == c["album_records"] + c["album_duplicates"] + c["trace_records"] + c["rejected"]
assert c["trace_records"] == 20000 and c["rows"] == n
assert int(r["nusers"].sum()) > 0
assert "input size=" in f.attrs["provenance"]
print("ok")
EOF2
