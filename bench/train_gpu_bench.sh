#!/bin/sh
# train_gpu_bench.sh [BUILD] [EPOCHS] - the CUDA backend at the report's architecture
# (nbSteps 28: W1 75,124 x 2,800), for README's GPU figures:
#   1. build/bench/train_gpu_bench: ms per training step at batch 20, 100 and 400 with
#      each first-layer forward (TG_CUDA_FIRST_LAYER=csr, dense; mlp_cuda.h), on
#      synthetic batches with the store's mean non-zeros per album; then Adam's bytes
#      moved per second against the device's nominal memory bandwidth;
#   2. train --backend cuda on the report-size synthetic store (synth -> ingest ->
#      aggregate, made here if missing) for EPOCHS epochs (default 2: the first reads
#      the store, later ones its decoded cache) at batch 20 and 200, both first layers:
#      seconds per epoch (test pass included) and the loader's stall share ("stall":
#      time the trainer waited for batches / epoch time);
#   3. the other models on the same store, batch 20, EPOCHS epochs at nbSteps 28 and
#      358: logreg, the cnn, the factorized conv (README's recommended model) and GRU:
#      seconds per epoch and test MAP, to set beside README's CPU table.
# Without a GPU it says so and exits 77 before making anything. Run it on a GPU session
# (the device tool), then copy the figures into README with the device's name.
# TG_TIME names GNU time where it is not /usr/bin/time (bench/gpu_kit.sh brings its own).
set -eu
build=${1:-build}
time_prog=${TG_TIME:-/usr/bin/time}
epochs=${2:-2}
dir=${TMPDIR:-/tmp}/tg-train-gpu-bench
if [ ! -x "$build/bench/train_gpu_bench" ]; then
    echo "train_gpu_bench.sh: $build/bench/train_gpu_bench is not built (this build has" \
         "no CUDA backend: nvcc and cuBLAS not found): nothing measured"
    exit 77
fi
rc=0
"$build/bench/train_gpu_bench" --probe >"$dir.probe" 2>&1 || rc=$?
if [ "$rc" -eq 77 ]; then
    cat "$dir.probe"
    echo "train_gpu_bench.sh: no GPU on this machine: GPU figures not measured"
    rm -f "$dir.probe"
    exit 77
fi
[ "$rc" -eq 0 ] || { cat "$dir.probe"; rm -f "$dir.probe"; exit 1; }
cat "$dir.probe"
rm -f "$dir.probe"
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
    --format=csv,noheader
[ -f "$dir/store.h5" ] || {
    "$build/synth/synth" -q -o "$dir/traces.ndjson"
    "$build/ingest/ingest" -q "$dir/traces.ndjson" -o "$dir/ingest.h5"
    "$build/aggregate/aggregate" -q "$dir/ingest.h5" -o "$dir/store.h5"
}
# mean non-zeros per album at the store's daily resolution: an upper bound at 28 steps,
# where re-binning merges days
nnz=$("$build/store/store" info "$dir/store.h5" | awk '
    /^albums:/ { a = $2 } /^entries:/ { e = $2 } END { n = a ? int(e / a) : 1000; print n < 1 ? 1 : n }')

echo "== steps at the report's architecture, synthetic batches of $nnz non-zeros a row"
"$build/bench/train_gpu_bench" "$nnz" 20 100 400

run() { # batch first-layer
    TG_CUDA_FIRST_LAYER=$2 "$time_prog" -f "peak RSS %M KB, wall %e s" -o "$dir/time" \
        "$build/train/train" "$dir/store.h5" -o "$dir/m.h5" --predictions "$dir/p.h5" \
        --steps 28 --hidden 2800 --epochs "$epochs" --batch "$1" --backend cuda --force \
        2>"$dir/log" || { cat "$dir/log"; exit 1; }
    echo "== train --backend cuda, nbSteps 28, hidden 2800, batch $1, first layer $2: $(cat "$dir/time")"
    grep -E 'needs|^ +[0-9]+ |albums' "$dir/log"
}
for first in csr dense; do
    run 20 "$first"
    run 200 "$first"
done

run_model() { # steps model [options]
    steps=$1
    shift
    "$time_prog" -f "peak RSS %M KB, wall %e s" -o "$dir/time" \
        "$build/train/train" "$dir/store.h5" -o "$dir/m.h5" --predictions "$dir/p.h5" \
        --steps "$steps" --epochs "$epochs" --batch 20 --backend cuda --force "$@" \
        2>"$dir/log" || { cat "$dir/log"; exit 1; }
    echo "== train --backend cuda, nbSteps $steps, --model $*: $(cat "$dir/time")"
    grep -E 'needs|^ +[0-9]+ |albums' "$dir/log"
}
for steps in 28 358; do
    run_model "$steps" logreg
    run_model "$steps" cnn
    run_model "$steps" factorized
    run_model "$steps" factorized --temporal gru --transform raw
done
