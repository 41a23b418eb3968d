#!/bin/sh
# train_bench.sh [BUILD] [EPOCHS] - seconds per epoch, loader stall and peak RSS of
# train on the report-size synthetic store (synth -> ingest -> aggregate, made here if
# missing), at nbSteps 1, 4 and 28 with small hidden layers for EPOCHS epochs (test MAP
# per epoch shows what time resolution adds), and one epoch of the report's
# architecture at nbSteps 28 (W1 75,124 x 2,800).
set -eu
build=${1:-build}
epochs=${2:-20}
dir=${TMPDIR:-/tmp}/tg-train-bench
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
"$build/synth/synth" -q -o "$dir/traces.ndjson"
"$build/ingest/ingest" -q "$dir/traces.ndjson" -o "$dir/ingest.h5"
"$build/aggregate/aggregate" -q "$dir/ingest.h5" -o "$dir/store.h5"
run() { # steps hidden epochs
    /usr/bin/time -f "peak RSS %M KB, wall %e s" -o "$dir/time" "$build/train/train" "$dir/store.h5" \
        -o "$dir/m.h5" --predictions "$dir/p.h5" --steps "$1" --hidden "$2" --epochs "$3" \
        --threads 2 --force 2>"$dir/log"
    echo "== nbSteps $1, hidden $2, $3 epochs: $(cat "$dir/time")"
    grep -E 'needs|^ +[0-9]+ ' "$dir/log"
}
run 1 100 "$epochs"
run 4 256 "$epochs"
run 28 256 "$epochs"
run 28 2800 1
