#!/bin/sh
# h5repack_store.sh - a store whose /x datasets another tool rewrote with gzip is refused
# with a message that names the filter and gives an h5repack command; that command, run
# as printed, gives back a store the tools read, with the same contents.
#   h5repack_store.sh WRITE_STORE STORE PLUGIN_DIR     exit 0 pass, 1 fail, 77 skipped
set -u
writer=$1 store=$2 plugin_dir=$3
if ! command -v h5repack >/dev/null 2>&1; then
    echo "h5repack not installed (Debian package hdf5-tools): skipped"
    exit 77
fi
case ${LD_PRELOAD-} in
*libasan*)   # the sanitizer suite: h5repack then hangs at exit in libp11-kit's finalizer
    echo "h5repack under a preloaded ASan hangs at exit (libp11-kit): skipped here, run by the plain suite"
    exit 77 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HDF5_PLUGIN_PATH=$plugin_dir

"$writer" "$tmp/store.h5" >/dev/null || fail "write_store"
"$store" dump "$tmp/store.h5" >"$tmp/want" || fail "store dump of the original"
h5repack -f /x/indices,/x/data:GZIP=4 "$tmp/store.h5" "$tmp/gz.h5" || fail "h5repack to gzip"
"$store" info "$tmp/gz.h5" >/dev/null 2>"$tmp/err" && fail "a gzip store was read"
grep -q "is 'deflate' (id 1)" "$tmp/err" || fail "the filter is not named: $(cat "$tmp/err")"
# the remedy, as the message prints it
cmd=$(sed -n 's/.*with \(h5repack [^(]*\) (its plugin.*/\1/p' "$tmp/err")
[ -n "$cmd" ] || fail "no h5repack command in: $(cat "$tmp/err")"
echo "running: $cmd"
# shellcheck disable=SC2086 # the command's words, as printed
$cmd "$tmp/gz.h5" "$tmp/back.h5" || fail "the printed command failed"
"$store" dump "$tmp/back.h5" >"$tmp/got" 2>"$tmp/err" || fail "store dump after the remedy: $(cat "$tmp/err")"
cmp -s "$tmp/want" "$tmp/got" || fail "contents differ after the round trip"
echo "gzip store refused with its remedy; after it, $(wc -l <"$tmp/got") dump lines as written"
