#!/bin/bash
# kill_stages.sh BUILD PLUGIN_DIR - crash safety of every stage (issue 8): each one is killed with
# SIGKILL at several points of its run (delays spread over its undisturbed time, so no
# hook in the programs), starting from no output and from a stale one. After each kill
# every output must be either what was there before or the complete new file, never a
# partial one under the final name; a model.h5 (ingest.h5) that is new implies new
# predictions.h5 (rejects); and a plain rerun (no --force: the provenance decides) gives
# byte-identical files to an undisturbed run. model.h5 is compared by h5diff without its
# /history/seconds and /history/loader_seconds, the wall times of its epochs: the only
# bytes that two undisturbed runs do not share. A few seconds with small inputs.
set -u
build=$(realpath "$1")
export HDF5_PLUGIN_PATH=$(realpath "$2")
command -v h5diff >/dev/null || { echo "h5diff (hdf5-tools) is missing: skipped"; exit 77; }
points=${KILL_POINTS:-5}
dir=$(mktemp -d /tmp/tg-kill-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

# Each stage: its command with the reference options, its outputs, and other options
# that make a stale output.
declare -A cmd outs alt
cmd[synth]="$build/synth/synth -q --albums 60 --traces 150000 --cities 80 --threads 2 -o traces.ndjson"
outs[synth]="traces.ndjson"
alt[synth]="--seed 7"
cmd[ingest]="$build/ingest/ingest -q traces.ndjson -o ingest.h5"
outs[ingest]="ingest.h5 ingest.rejects.jsonl"
alt[ingest]="--rejects stale.rejects.jsonl"
cmd[aggregate]="$build/aggregate/aggregate -q ingest.h5 -o store.h5 --steps 20 --min-albums 1"
outs[aggregate]="store.h5"
alt[aggregate]="--steps 10"
cmd[train]="$build/train/train -q store.h5 -o model.h5 --predictions predictions.h5 --epochs 3 --hidden 32 --threads 1"
outs[train]="model.h5 predictions.h5"
alt[train]="--seed 7"
cmd[predict]="$build/train/predict -q model.h5 store.h5 -o predicted.jsonl --top 2"
outs[predict]="predicted.jsonl"
alt[predict]="--top 1"
cmd[eval]="$build/eval/eval -q predictions.h5 --json report.json --html report.html"
outs[eval]="report.json report.html"
alt[eval]="--threshold 0.5"
stages="synth ingest aggregate train predict eval"
# where the first output's provenance says both are up to date (eval and predict have
# no up-to-date check: they always rewrite everything)
declare -A paired=([ingest]=1 [train]=1)

now() { date +%s.%N; }

same() {
    [ -e "$1" ] && [ -e "$2" ] || return 1
    if [ "${1##*/}" = model.h5 ]; then
        h5diff -q --exclude-path /history/seconds --exclude-path /history/loader_seconds "$1" "$2" >/dev/null 2>&1
    else
        cmp -s "$1" "$2"
    fi
}
# was the same as before: both absent, or equal
as_before() { if [ -e "before/$1" ]; then same "$1" "before/$1"; else [ ! -e "$1" ]; fi; }

# The undisturbed run: reference bytes and each stage's time. Outputs are copied with
# their times (cp -p) and put back after each stage's trials, since the next stage's
# provenance records its inputs' times. Each stage is also run twice: the same inputs
# must give the same bytes, or the comparisons below would mean nothing.
mkdir ref stale before
declare -A secs
for s in $stages; do
    t0=$(now)
    ${cmd[$s]} >/dev/null 2>log || fail "$s (reference run): $(cat log)"
    secs[$s]=$(echo "$(now) $t0" | awk '{printf "%.4f", $1 - $2}')
    for o in ${outs[$s]}; do cp -p "$o" ref/; rm "$o"; done
    rm -f traces.ndjson.prov
    ${cmd[$s]} >/dev/null 2>log || fail "$s (second run): $(cat log)"
    for o in ${outs[$s]}; do
        same "$o" "ref/$o" || fail "$s is not deterministic: $o differs between two runs"
        cp -p "ref/$o" .
    done
done

hit=0 total=0
for s in $stages; do
    # stale outputs: the stage's outputs made with other options (inputs unchanged)
    for o in ${outs[$s]}; do rm -f "$o"; done
    ${cmd[$s]} ${alt[$s]} >/dev/null 2>log || fail "$s ${alt[$s]}: $(cat log)"
    rm -f stale/*
    for o in ${outs[$s]}; do [ -e "$o" ] && cp -p "$o" stale/; done
    [ -e traces.ndjson.prov ] && [ "$s" = synth ] && cp -p traces.ndjson.prov stale/
    for start in none stale; do
        for k in $(seq 1 "$points"); do
            # the state before: nothing, or the stale outputs (stamps included)
            for o in ${outs[$s]}; do rm -f "$o"; done
            rm -f traces.ndjson.prov before/* .*.tmp-*
            [ $start = stale ] && cp -p stale/* . 2>/dev/null
            for o in ${outs[$s]}; do [ -e "$o" ] && cp -p "$o" before/; done
            delay=$(echo "${secs[$s]} $k $points" | awk '{printf "%.4f", $1 * $2 / ($3 + 1)}')
            ${cmd[$s]} >/dev/null 2>&1 &
            pid=$!
            sleep "$delay"
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            [ $? -eq 137 ] && hit=$((hit + 1)) # killed, rather than finished first
            total=$((total + 1))
            for o in ${outs[$s]}; do
                as_before "$o" || same "$o" "ref/$o" ||
                    fail "$s killed after ${delay}s (from $start): $o is neither the previous file nor the finished one"
            done
            set -- ${outs[$s]}
            if [ -n "${paired[$s]:-}" ] && same "$1" "ref/$1" && ! as_before "$1"; then
                same "$2" "ref/$2" || fail "$s killed after ${delay}s (from $start): a new $1 beside an old $2"
            fi
            ${cmd[$s]} >/dev/null 2>log || fail "$s rerun after a kill at ${delay}s (from $start): $(cat log)"
            for o in ${outs[$s]}; do
                same "$o" "ref/$o" || fail "$s rerun after a kill at ${delay}s (from $start): $o differs from an undisturbed run"
            done
        done
    done
    for o in ${outs[$s]}; do cp -p "ref/$o" .; done
    echo "ok: $s (${secs[$s]} s undisturbed) killed at $((2 * points)) points, reruns identical"
done
echo "ok: $hit of $total kills landed while the stage ran"
