#!/bin/sh
# models_bench.sh [BUILD] [EPOCHS] [STORE] - test MAP, macro F1, seconds per epoch and
# peak RSS of the logreg and factorized (conv, gru) models at nbSteps 1, 28 and 358 on
# the report-size synthetic store (synth -> ingest -> aggregate, made here unless STORE
# names one), EPOCHS epochs each, raw counts, batch 20, Adam lr 1e-3, --threads 2.
set -eu
build=${1:-build}
epochs=${2:-10}
dir=${TMPDIR:-/tmp}/tg-models-bench
mkdir -p "$dir"
store=${3:-}
if [ -z "$store" ]; then
    "$build/synth/synth" -q -o "$dir/traces.ndjson"
    "$build/ingest/ingest" -q "$dir/traces.ndjson" -o "$dir/ingest.h5"
    "$build/aggregate/aggregate" -q "$dir/ingest.h5" -o "$dir/store.h5"
    store=$dir/store.h5
fi
echo "machine: $(nproc) cores, $(uname -m), $(date -u '+%Y-%m-%d %H:%M'), load $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # steps model-options...
    steps=$1
    shift
    /usr/bin/time -f "peak RSS %M KB, wall %e s" -o "$dir/time" "$build/train/train" "$store" \
        -o "$dir/m.h5" --predictions "$dir/p.h5" --steps "$steps" --epochs "$epochs" \
        --threads 2 --force "$@" 2>"$dir/log"
    echo "== nbSteps $steps, $*, $epochs epochs: $(cat "$dir/time")"
    grep -E 'needs|^ +[0-9]+ ' "$dir/log"
}
for steps in 1 28 358; do
    run "$steps" --model logreg
    run "$steps" --model factorized
    run "$steps" --model factorized --temporal gru
done
