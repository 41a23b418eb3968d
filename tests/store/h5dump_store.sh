#!/bin/sh
# h5dump_store.sh - h5dump reads a store's /x/indices and /x/data (shuffle + zstd)
# through our plugin alone and prints the values the writer wrote.
#   h5dump_store.sh WRITE_STORE PLUGIN_DIR     exit 0 pass, 1 fail, 77 skipped
set -eu
writer=$1
plugin_dir=$2
if ! command -v h5dump >/dev/null 2>&1; then
    echo "h5dump not installed (Debian package hdf5-tools): skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$writer" "$tmp/store.h5" --print >"$tmp/listing"
# The listing's third field holds "col:value" pairs in row order.
cut -f3 "$tmp/listing" | tr ' ' '\n' | grep -v '^$' >"$tmp/pairs"
cut -d: -f1 "$tmp/pairs" >"$tmp/want.indices"
cut -d: -f2 "$tmp/pairs" >"$tmp/want.data"
for name in indices data; do
    HDF5_PLUGIN_PATH=$plugin_dir h5dump -d "/x/$name" -y -w 0 "$tmp/store.h5" >"$tmp/dump" 2>"$tmp/err" \
        || fail "h5dump /x/$name: $(cat "$tmp/err")"
    awk '/DATA \{/ { on = 1; next } on && /^ *\}/ { on = 0 } on' "$tmp/dump" \
        | tr ', ' '\n\n' | grep -v '^$' >"$tmp/got"
    [ -s "$tmp/want.$name" ] || fail "no expected values for /x/$name"
    cmp -s "$tmp/want.$name" "$tmp/got" \
        || fail "/x/$name differs: $(diff "$tmp/want.$name" "$tmp/got" | head -5)"
    echo "/x/$name: $(wc -l <"$tmp/got") values read by h5dump"
done
