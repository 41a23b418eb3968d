#!/bin/sh
# model_check.sh - eval shows a model's history only when that model.h5 wrote the
# predictions: train retrained into the same model.h5 (the audit's reproduction: 1 epoch
# to hp1.h5, then 3 epochs to hp3.h5) gives hp1.h5 one warning naming both files, no
# history in the text, JSON or HTML, and its metrics (exit 0); hp3.h5 keeps its history,
# wherever it moved; --model is checked the same way; a model that records no
# predictions is refused for predictions that say their model records them, and shown
# unchecked for a file without that record (an older pair).
# Usage: model_check.sh path/to/eval path/to/train path/to/toy_store path/to/write_predictions
set -u
EVAL=$(realpath "$1")
TRAIN=$(realpath "$2")
TOY=$(realpath "$3")
WRITE=$(realpath "$4")
dir=$(mktemp -d /tmp/tg-eval-model-XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
failures=0
export OPENBLAS_NUM_THREADS=1

# expect CODE NAME -- ARGS...: runs eval, checks the exit code; output in out, err.
expect() {
    code=$1 name=$2
    shift 3
    "$EVAL" "$@" >out 2>err
    got=$?
    if [ "$got" -ne "$code" ]; then
        echo "FAIL $name: exit $got, expected $code"; cat err
        failures=$((failures + 1))
    fi
}
# has FILE TEXT NAME / lacks FILE TEXT NAME
has() {
    if ! grep -qF -- "$2" "$1"; then
        echo "FAIL $3: '$2' not in $1:"; cat "$1"
        failures=$((failures + 1))
    fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then
        echo "FAIL $3: '$2' in $1:"; cat "$1"
        failures=$((failures + 1))
    fi
}
# warned_once NAME MODEL PREDICTIONS: exactly one warning line, naming both files
warned_once() {
    n=$(grep -c "warning" err)
    [ "$n" -eq 1 ] || { echo "FAIL $1: $n warning lines"; cat err; failures=$((failures + 1)); }
    has err "eval: warning: $2 is not the model that wrote $3: " "$1"
}

"$TOY" store.h5 200 || { echo "FAIL: toy store"; exit 1; }
"$TOY" notest.h5 200 notest || { echo "FAIL: toy store notest"; exit 1; }
train="$TRAIN -q store.h5 -o hm.h5 --hidden 16 --threads 1"
$train --predictions hp1.h5 --epochs 1 || { echo "FAIL: train 1 epoch"; exit 1; }
$train --predictions hp3.h5 --epochs 3 || { echo "FAIL: train 3 epochs"; exit 1; }

# The reproduction: hm.h5 now holds the 3-epoch model, which did not write hp1.h5.
expect 0 retrained -- hp1.h5 --json hp1.json --html hp1.html
warned_once retrained hm.h5 hp1.h5
has err "the predictions it records (hp3.h5) have other contents" retrained
has out "Label-Based Metric" retrained
lacks out "Training history" retrained
has hp1.json '"map": ' retrained
lacks hp1.json '"history"' retrained
has hp1.html "hm.h5 is not the model that wrote hp1.h5" retrained
lacks hp1.html "epochs recorded in" retrained
# -q silences the warning, not the check
expect 0 retrained-quiet -- hp1.h5 -q
[ -s err ] && { echo "FAIL retrained-quiet: stderr"; cat err; failures=$((failures + 1)); }
lacks out "Training history" retrained-quiet

# The pair train wrote last: its history, no warning.
expect 0 matching -- hp3.h5 --json hp3.json --html hp3.html
lacks err warning matching
has out "Training history of hm.h5: 3 epoch(s)" matching
has hp3.json '"history": [' matching
has hp3.html "3 epochs recorded in hm.h5" matching
# moved elsewhere: found by its contents, not its path (the model named as written)
mkdir moved && cp hp3.h5 moved/renamed.h5
expect 0 moved -- moved/renamed.h5
lacks err warning moved
has out "Training history of hm.h5: 3 epoch(s)" moved
# edited after train wrote it (a copy of the other file under its name): not this model's
cp hp1.h5 moved/hp3.h5
expect 0 edited -- moved/hp3.h5
warned_once edited hm.h5 moved/hp3.h5

# --model is checked the same way
expect 0 model-other -- hp1.h5 --model hm.h5 --json m1.json
warned_once model-other hm.h5 hp1.h5
lacks out "Training history" model-other
lacks m1.json '"history"' model-other
expect 0 model-same -- hp3.h5 --model hm.h5
lacks err warning model-same
has out "Training history of hm.h5: 3 epoch(s)" model-same
cp hm.h5 copy.h5
expect 0 model-copy -- hp3.h5 --model copy.h5
has out "Training history of copy.h5: 3 epoch(s)" model-copy

# A store without test albums: hm.h5 retrained on it records no predictions (and train
# leaves hp3.h5 alone); hp3.h5 says its model records it, so that is another model.
"$TRAIN" -q notest.h5 -o hm.h5 --predictions hp3.h5 --hidden 16 --threads 1 --epochs 2 ||
    { echo "FAIL: train notest"; exit 1; }
expect 0 records-none -- hp3.h5 --html none.html
warned_once records-none hm.h5 hp3.h5
has err "it records no predictions, though the model that wrote them does" records-none
lacks out "Training history" records-none
has none.html "hm.h5 is not the model that wrote hp3.h5" records-none

# A predictions file without that record (as written before train kept it; here by
# the test writer) beside a model that records no predictions: nothing to compare,
# the history is shown as before (-v says it was not checked) ...
mkdir old
"$WRITE" old || { echo "FAIL: write_predictions"; exit 1; }
cp hm.h5 old/model.h5
expect 0 old-pair -- old/predictions.h5 -v
lacks err warning old-pair
has err "old/model.h5 records no predictions file (written before train recorded them): not checked that it wrote old/predictions.h5" old-pair
has out "Training history of old/model.h5: 2 epoch(s)" old-pair
# ... but a model that records other predictions is still not its model.
"$TRAIN" -q store.h5 -o old/model.h5 --predictions old/other.h5 --hidden 16 --threads 1 \
    --epochs 1 || { echo "FAIL: train old"; exit 1; }
expect 0 old-other -- old/predictions.h5
warned_once old-other old/model.h5 old/predictions.h5
lacks out "Training history" old-other

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all eval model checks passed"
