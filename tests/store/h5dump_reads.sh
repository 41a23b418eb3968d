#!/bin/sh
# h5dump_reads.sh - h5dump (hdf5-tools), a separate HDF5 program, reads a file written
# with filter 32015 through our plugin alone, and prints the right values.
#   h5dump_reads.sh WRITE_FIXTURE PLUGIN_DIR     exit 0 pass, 1 fail, 77 skipped
set -eu
writer=$1
plugin_dir=$2
if ! command -v h5dump >/dev/null 2>&1; then
    echo "h5dump not installed (Debian package hdf5-tools): skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$writer" "$tmp/f.h5"
mkdir "$tmp/no-plugins"

fail() { echo "FAIL: $*"; exit 1; }

# Without a plugin h5dump must not read the data: proves the plugin is what decodes.
if HDF5_PLUGIN_PATH="$tmp/no-plugins" h5dump -d /i32 "$tmp/f.h5" >/dev/null 2>&1; then
    fail "h5dump read /i32 without the plugin"
fi

HDF5_PLUGIN_PATH=$plugin_dir h5dump -p -H -d /i32 "$tmp/f.h5" >"$tmp/header" \
    || fail "h5dump -p -H failed"
grep -q 'FILTER_ID 32015' "$tmp/header" || fail "no filter 32015 in: $(cat "$tmp/header")"
grep -q 'COMMENT Zstandard' "$tmp/header" || fail "filter not named Zstandard"

for name in i32 u32 m; do
    # -y drops indices, -w 0 one row per line; keep the numbers inside DATA { }.
    HDF5_PLUGIN_PATH=$plugin_dir h5dump -d "/$name" -y -w 0 "$tmp/f.h5" >"$tmp/dump.$name" 2>"$tmp/err" \
        || fail "h5dump /$name: $(cat "$tmp/err")"
    awk '/DATA \{/ { on = 1; next } on && /^ *\}/ { on = 0 } on' "$tmp/dump.$name" \
        | tr ', ' '\n\n' | grep -v '^$' >"$tmp/got.$name"
    "$writer" --print "$name" >"$tmp/want.$name"
    [ -s "$tmp/want.$name" ] || fail "no expected values for /$name"
    cmp -s "$tmp/want.$name" "$tmp/got.$name" \
        || fail "/$name differs: $(diff "$tmp/want.$name" "$tmp/got.$name" | head -5)"
    echo "/$name: $(wc -l <"$tmp/got.$name") values read by h5dump"
done
