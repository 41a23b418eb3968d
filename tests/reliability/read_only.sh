#!/bin/bash
# read_only.sh BUILD - every stage writing into a read-only directory (issue 8): a clear
# error and exit 1, the previous output untouched (same bytes), no partial or temporary
# file left. Tests run as root here and in CI, and root writes anywhere, so the stages
# run as nobody (setpriv, else runuser); where neither can drop privileges, or nobody
# cannot reach the build, the test says so and is skipped (77).
set -u
build=$(realpath "$1")
dir=$(mktemp -d /tmp/tg-read-only-XXXXXX)
trap 'chmod -R u+w "$dir" 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
cd "$dir" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
export OPENBLAS_NUM_THREADS=1

# How to run a command as an unprivileged user.
if [ "$(id -u)" != 0 ]; then
    as_user() { "$@"; }
elif setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
elif runuser -u nobody -- true 2>/dev/null; then
    as_user() { runuser -u nobody -- "$@"; }
else
    skip "running as root and neither setpriv nor runuser can drop to nobody (root ignores permissions)"
fi
as_user "$build/synth/synth" --help >/dev/null 2>&1 ||
    skip "nobody cannot run $build/synth/synth (a folder on the way is not readable by others)"

# good outputs first, then the folder made read-only
mkdir out
"$build/synth/synth" -q --albums 40 --traces 20000 --cities 60 -o out/traces.ndjson || fail synth
"$build/ingest/ingest" -q out/traces.ndjson -o out/ingest.h5 || fail ingest
"$build/aggregate/aggregate" -q out/ingest.h5 -o out/store.h5 --steps 20 --min-albums 1 || fail aggregate
"$build/train/train" -q out/store.h5 -o out/model.h5 --predictions out/predictions.h5 --epochs 1 --hidden 16 ||
    fail train
"$build/train/predict" -q out/model.h5 out/store.h5 --top 2 -o out/pred.jsonl || fail predict
"$build/eval/eval" -q out/predictions.h5 --json out/report.json >/dev/null || fail eval
mkdir good
cp -p out/* good/
chmod 555 out
as_user touch out/probe 2>/dev/null && skip "nobody can write into a 555 folder here"

# each stage again with --force where it has it, as nobody
check() { # command...
    as_user "$@" >/dev/null 2>log
    rc=$?
    [ $rc -eq 1 ] || fail "$* into a read-only folder exits $rc, not 1: $(cat log)"
    grep -qiE "permission denied|read-only|cannot" log || fail "$*: no clear message: $(cat log)"
    grep -q "out/" log || fail "$*: the message does not name the file: $(cat log)"
    for f in good/*; do
        cmp -s "$f" "out/${f#good/}" || fail "$*: the previous out/${f#good/} was changed"
    done
    ls -a out | grep -E '\.tmp-' && fail "$*: temporary left behind"
    [ "$(ls -a out | wc -l)" -eq "$(ls -a good | wc -l)" ] || fail "$*: a file appeared: $(ls -a out)"
    echo "ok: ${1##*/} -> $(head -c 150 log | tr '\n' ' ')"
}
check "$build/synth/synth" -q --albums 40 --traces 20000 --cities 60 -o out/traces.ndjson --force
check "$build/ingest/ingest" -q out/traces.ndjson -o out/ingest.h5 --force
check "$build/aggregate/aggregate" -q out/ingest.h5 -o out/store.h5 --steps 20 --min-albums 1 --force
check "$build/train/train" -q out/store.h5 -o out/model.h5 --predictions out/predictions.h5 --epochs 1 \
    --hidden 16 --force
check "$build/train/predict" -q out/model.h5 out/store.h5 --top 2 -o out/pred.jsonl
check "$build/eval/eval" -q out/predictions.h5 --json out/report.json
echo ok
