#!/bin/bash
# full_disk.sh BUILD - every stage against a full disk (RLIMIT_FSIZE, SIGXFSZ ignored so
# writes fail with EFBIG as on a full file system): a clear error and exit 1, the
# previous output untouched (same bytes), no partial or temporary file left behind.
set -u
build=$(realpath "$1")
dir=$(mktemp -d /tmp/tg-full-disk-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }

# good outputs first
"$build/synth/synth" -q --albums 40 --traces 20000 --cities 60 -o traces.ndjson || fail synth
"$build/ingest/ingest" -q traces.ndjson -o ingest.h5 || fail ingest
"$build/aggregate/aggregate" -q ingest.h5 -o store.h5 --steps 20 --window 358 --min-albums 1 || fail aggregate
"$build/train/train" -q store.h5 --epochs 1 --hidden 64 || fail train
for f in traces.ndjson ingest.h5 store.h5 model.h5 predictions.h5; do cp "$f" "$f.good"; done

# then each stage again with --force, allowed 8 KiB of file size
full() { # expected-output command...
    out=$1; shift
    ( trap '' XFSZ; ulimit -f 16; "$@" ) >log 2>&1
    rc=$?
    [ $rc -eq 1 ] || fail "$* under a full disk exits $rc, not 1: $(cat log)"
    grep -qiE "write|File too large|cannot|failed" log || fail "$*: no clear message: $(cat log)"
    cmp -s "$out" "$out.good" || fail "$*: the previous $out was changed"
    ls -a | grep -E '\.tmp-' && fail "$*: temporary left behind"
    echo "ok: $1 -> $(head -c 150 log | tr '\n' ' ')"
}
full traces.ndjson "$build/synth/synth" -q --albums 40 --traces 20000 --cities 60 -o traces.ndjson --force
full ingest.h5 "$build/ingest/ingest" -q traces.ndjson -o ingest.h5 --force
full store.h5 "$build/aggregate/aggregate" -q ingest.h5 -o store.h5 --steps 20 --window 358 --min-albums 1 --force
full model.h5 "$build/train/train" -q store.h5 --epochs 1 --hidden 64 --force
cmp -s predictions.h5 predictions.h5.good || fail "train changed the previous predictions.h5"
echo ok
