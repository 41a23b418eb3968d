#!/bin/bash
# valgrind.sh BUILD - a small end-to-end run (synth -> ingest -> aggregate -> train ->
# predict -> eval) under valgrind's memcheck: any invalid access, use of uninitialised
# memory or definite leak fails it (about 15 s; meson runs it in plain builds only).
set -u
build=$(realpath "$1")
dir=$(mktemp -d /tmp/tg-valgrind-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
supp=$(dirname "$(realpath "$0")")/valgrind.supp
vg() {
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --suppressions="$supp" "$@"
    rc=$?
    [ $rc -eq 0 ] || { echo "FAIL ($rc): $*" >&2; exit 1; }
}
export OPENBLAS_NUM_THREADS=1 # OpenBLAS's thread pool confuses memcheck's leak report
vg "$build/synth/synth" -q --albums 30 --traces 5000 --cities 40 --threads 2 -o traces.ndjson
vg "$build/ingest/ingest" -q traces.ndjson -o ingest.h5
vg "$build/aggregate/aggregate" -q ingest.h5 -o store.h5 --steps 10 --min-albums 1
vg "$build/train/train" -q store.h5 --epochs 2 --hidden 16 --threads 1
vg "$build/train/predict" -q model.h5 store.h5 --top 2 -o pred.jsonl
vg "$build/eval/eval" -q predictions.h5 --html report.html --json report.json >/dev/null
vg "$build/store/store" info store.h5 >/dev/null
echo "ok: memcheck clean"
