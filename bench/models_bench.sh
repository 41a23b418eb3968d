#!/bin/sh
# models_bench.sh [BUILD] - issue 10's table: each model at each nbSteps on synth's default
# data (synth -> ingest -> aggregate, made here if missing): test MAP and macro F1 after
# EPOCHS epochs, parameters, seconds per epoch and peak RSS, as mean +- spread (half the
# range) over SEEDS. A model that does not fit (train's memory check) or is not built
# gets a row saying so. Environment (defaults):
#   MODELS "mlp logreg cnn factorized"  STEPS "1 28 358"  SEEDS "1 2 3"  EPOCHS 10
#   MLP_HIDDEN 256 (the report's rule, steps x 100, is "rule": 58 s an epoch at 28 steps
#   here)  EXTRA (more train options, e.g. "--transform log1p")
set -eu
build=${1:-build}
models=${MODELS:-"mlp logreg cnn factorized"}
steps_list=${STEPS:-"1 28 358"}
seeds=${SEEDS:-"1 2 3"}
epochs=${EPOCHS:-10}
mlp_hidden=${MLP_HIDDEN:-256}
extra=${EXTRA:-}
dir=${TMPDIR:-/tmp}/tg-models-bench
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings: $epochs epochs, seeds $seeds, mlp hidden $mlp_hidden, --threads 2 $extra"
"$build/synth/synth" -q -o "$dir/traces.ndjson"
"$build/ingest/ingest" -q "$dir/traces.ndjson" -o "$dir/ingest.h5"
"$build/aggregate/aggregate" -q "$dir/ingest.h5" -o "$dir/store.h5"

# mean +- half range of the numbers on stdin, with a printf format
stat() { awk -v f="$1" '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
    END { if (NR) printf f " +- " f, s / NR, (hi - lo) / 2; else printf "-" }'; }

printf '%-11s %5s %15s %15s %12s %14s %10s  %s\n' model steps "test MAP" "macro F1" parameters "s/epoch" "RSS MB" "MAP per seed"
for model in $models; do
    for steps in $steps_list; do
        opts="--model $model --steps $steps"
        [ "$model" = mlp ] && [ "$mlp_hidden" != rule ] && opts="$opts --hidden $mlp_hidden"
        : >"$dir/rows"
        why=""
        for seed in $seeds; do
            if /usr/bin/time -f '%M' -o "$dir/rss" "$build/train/train" "$dir/store.h5" \
                -o "$dir/m.h5" --predictions "$dir/p.h5" $opts --epochs "$epochs" --seed "$seed" \
                --threads 2 --force $extra 2>"$dir/log"; then
                params=$(sed -n 's/.*: \([0-9]*\) parameters;.*/\1/p' "$dir/log")
                # the last epoch's row: epoch, train loss, test loss, MAP, F1, seconds, stall
                last=$(awk '$1 ~ /^[0-9]+$/ && NF == 7' "$dir/log" | tail -1)
                secs=$(awk '$1 ~ /^[0-9]+$/ && NF == 7 { s += $6; n++ } END { print s / n }' "$dir/log")
                echo "$last $params $secs $(cat "$dir/rss")" >>"$dir/rows"
            else
                why=$(grep -v -e '^Command exited' -e '^Try ' "$dir/log" | tail -1 | cut -c1-110)
                break
            fi
        done
        if [ -n "$why" ]; then
            printf '%-11s %5s  %s\n' "$model" "$steps" "$why"
            continue
        fi
        map=$(awk '{ print $4 }' "$dir/rows" | stat %.3f)
        f1=$(awk '{ print $5 }' "$dir/rows" | stat %.3f)
        params=$(awk 'NR == 1 { print $8 }' "$dir/rows")
        secs=$(awk '{ print $9 }' "$dir/rows" | stat %.2f)
        rss=$(awk '{ print $10 / 1024 }' "$dir/rows" | stat %.0f)
        each=$(awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $4 }' "$dir/rows")
        printf '%-11s %5s %15s %15s %12s %14s %10s  %s\n' "$model" "$steps" "$map" "$f1" "$params" "$secs" "$rss" "$each"
    done
done
