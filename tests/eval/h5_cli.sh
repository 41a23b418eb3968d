#!/bin/sh
# h5_cli.sh - the eval command on a predictions.h5: the same numbers as on the
# equivalent CSV pair, the file's threshold as default, and the exit codes and messages
# of --split, --html and --model, and model.h5's history (text table, JSON array;
# a missing --model is an error, a missing model named by the file a warning).
# Usage: h5_cli.sh path/to/eval path/to/write_predictions path/to/write_model
set -u
EVAL=$1
WRITE=$2
WRITE_MODEL=$3
dir=$(mktemp -d /tmp/tg-eval-h5-XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
failures=0

# expect CODE NAME -- ARGS...: runs eval, checks the exit code; output in $dir/out, err.
expect() {
    code=$1 name=$2
    shift 3
    "$EVAL" "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    if [ "$got" -ne "$code" ]; then
        echo "FAIL $name: exit $got, expected $code"; cat "$dir/err"
        failures=$((failures + 1))
    fi
}

# has FILE TEXT NAME: FILE contains TEXT.
has() {
    if ! grep -qF -- "$2" "$1"; then
        echo "FAIL $3: '$2' not in $1:"; cat "$1"
        failures=$((failures + 1))
    fi
}

# same A B NAME: the two files are byte for byte equal.
same() {
    if ! cmp -s "$1" "$2"; then
        echo "FAIL $3: $1 and $2 differ"; diff "$1" "$2" | head -20
        failures=$((failures + 1))
    fi
}

"$WRITE" "$dir" || { echo "FAIL: write_predictions"; exit 1; }
h5=$dir/predictions.h5

# The test split (default) and the file's threshold (0.35) against the CSV pair.
expect 0 h5 -- "$h5" --json "$dir/h5.json" --sweep 0.1:0.9:0.05
has "$dir/out" "24 albums, 8 genres, threshold 0.35" h5
has "$dir/out" "Label-Based Metric" h5
expect 0 csv -- "$dir/test_labels.csv" "$dir/test_scores.csv" --threshold 0.35 \
    --json "$dir/csv.json" --sweep 0.1:0.9:0.05
same "$dir/h5.json" "$dir/csv.json" test-split

# --split all and an explicit --threshold.
expect 0 h5-all -- "$h5" --split all --threshold 0.5 --json "$dir/h5all.json"
has "$dir/out" "48 albums, 8 genres, threshold 0.5 " h5-all
expect 0 csv-all -- "$dir/all_labels.csv" "$dir/all_scores.csv" --threshold 0.5 --json "$dir/csvall.json"
same "$dir/h5all.json" "$dir/csvall.json" all-splits
expect 0 h5-train -- "$h5" --split train
has "$dir/out" "24 albums, 8 genres" h5-train

# --html: written atomically, no temporary left; the file names model.h5, which does
# not exist yet: a warning (exit 0), and the page says so.
expect 0 html -- "$h5" --html "$dir/report.html"
[ -s "$dir/report.html" ] || { echo "FAIL html: no report"; failures=$((failures + 1)); }
has "$dir/err" "warning: $h5 names the model model.h5, which is not there (nor beside it)" html
has "$dir/report.html" "names the model model.h5, which is not there" html
if grep -q '"history"' "$dir/h5.json"; then echo "FAIL h5: history without a model"; failures=$((failures + 1)); fi
if ls -a "$dir" | grep -q '\.tmp-'; then echo "FAIL html: temporary left"; failures=$((failures + 1)); fi
expect 0 html-stdout -- "$h5" --html - -q
[ "$(head -c 15 "$dir/out")" = "<!DOCTYPE html>" ] || { echo "FAIL html-stdout: not HTML only"; failures=$((failures + 1)); }

# model.h5 beside predictions.h5, under the name the file gives: found and read; its
# history printed after the metrics (epoch 3 has no test values: "—").
"$WRITE_MODEL" "$dir/model.h5" 5 || { echo "FAIL: write_model"; exit 1; }
expect 0 model-beside -- "$h5" --json "$dir/beside.json"
has "$dir/out" "Training history of $dir/model.h5: 5 epoch(s)" model-beside
has "$dir/out" "Epoch Train loss  Test loss Test MAP F1 macro  Seconds" model-beside
has "$dir/out" "    3     0.5834          —        —        —      2.5" model-beside
has "$dir/beside.json" '"history": [' model-beside
has "$dir/beside.json" '"test_loss": null' model-beside
if grep -q warning "$dir/err"; then echo "FAIL model-beside: a warning"; cat "$dir/err"; failures=$((failures + 1)); fi
# --model with CSV input; -q leaves stderr empty.
expect 0 model -- "$dir/test_labels.csv" "$dir/test_scores.csv" --model "$dir/model.h5" -q
has "$dir/out" "Training history of $dir/model.h5: 5 epoch(s)" model
[ -s "$dir/err" ] && { echo "FAIL model-quiet: -q should leave stderr empty"; failures=$((failures + 1)); }
# An output that is an input (the predictions, a CSV, --model, the model the predictions
# name) or the other output: bad usage naming both; the input is left as it was.
cp "$h5" "$dir/keep.h5"
expect 2 json-is-input -- "$h5" --json "$h5"
has "$dir/err" "--json $h5 and the input $h5 are the same file" json-is-input
expect 2 html-is-input -- "$h5" --html "$dir/./predictions.h5"
has "$dir/err" "--html $dir/./predictions.h5 and the input $h5 are the same file" html-is-input
same "$h5" "$dir/keep.h5" input-intact
cp "$dir/test_labels.csv" "$dir/keep.csv"
expect 2 json-is-csv -- "$dir/test_labels.csv" "$dir/test_scores.csv" --json "$dir/test_labels.csv"
has "$dir/err" "and the input $dir/test_labels.csv are the same file" json-is-csv
same "$dir/test_labels.csv" "$dir/keep.csv" csv-intact
expect 2 html-is-model -- "$h5" --model "$dir/model.h5" --html "$dir/model.h5"
has "$dir/err" "--html $dir/model.h5 and --model $dir/model.h5 are the same file" html-is-model
cp "$dir/model.h5" "$dir/keep-model.h5"
expect 2 json-is-named-model -- "$h5" --json "$dir/model.h5"
has "$dir/err" "--json $dir/model.h5 and the predictions' model $dir/model.h5 are the same file" json-is-named-model
same "$dir/model.h5" "$dir/keep-model.h5" model-intact
expect 2 json-is-html -- "$h5" --json "$dir/r.out" --html "$dir/r.out"
has "$dir/err" "--json $dir/r.out and --html $dir/r.out are the same file" json-is-html
[ -e "$dir/r.out" ] && { echo "FAIL json-is-html: written"; failures=$((failures + 1)); }
# An output whose directory is missing fails before the report: nothing on stdout.
expect 1 json-no-dir -- "$h5" --json "$dir/missing/r.json"
has "$dir/err" "$dir/missing/r.json" json-no-dir
[ -s "$dir/out" ] && { echo "FAIL json-no-dir: printed a report"; failures=$((failures + 1)); }
expect 1 html-no-dir -- "$h5" --json "$dir/ok.json" --html "$dir/missing/r.html"
[ -e "$dir/ok.json" ] && { echo "FAIL html-no-dir: --json written"; failures=$((failures + 1)); }
# A model with more than 21 epochs: first and last 10 rows only.
"$WRITE_MODEL" "$dir/long.h5" 40 || { echo "FAIL: write_model 40"; exit 1; }
expect 0 model-long -- "$h5" --model "$dir/long.h5"
has "$dir/out" "... 20 epochs left out (--json or --html has them all)" model-long
has "$dir/out" "   40     0." model-long
# A model that records no epoch: said in the text and on the page, no chart.
"$WRITE_MODEL" "$dir/zero.h5" 0 || { echo "FAIL: write_model 0"; exit 1; }
expect 0 model-no-epoch -- "$h5" --model "$dir/zero.h5" --html "$dir/zero.html"
has "$dir/out" "Training history of $dir/zero.h5: 0 epoch(s)" model-no-epoch
has "$dir/zero.html" "$dir/zero.h5 records no epoch: nothing to chart." model-no-epoch
# The file names a model that cannot be read: a warning naming it, exit 0.
mkdir "$dir/named"
"$WRITE" "$dir/named" || { echo "FAIL: write_predictions named"; exit 1; }
: >"$dir/named/model.h5"
expect 0 named-unreadable -- "$dir/named/predictions.h5"
has "$dir/err" "warning: The model $dir/named/model.h5 named by $dir/named/predictions.h5 cannot be read" named-unreadable

# Bad usage: exit 2.
expect 2 split-choice -- "$h5" --split validation
has "$dir/err" "--split: 'validation' is not one of: test, train, all" split-choice
expect 2 split-csv -- "$dir/test_labels.csv" "$dir/test_scores.csv" --split all
has "$dir/err" "--split applies to a predictions file" split-csv
expect 2 html-missing -- "$h5" --html
expect 2 model-missing -- "$h5" --model
expect 2 two-stdout -- "$h5" --html - --json -
has "$dir/err" "only one can go to standard output" two-stdout
expect 2 none --
has "$dir/err" "needs PREDICTIONS.h5, or two files" none

# Failures: exit 1, naming the file.
expect 1 model-absent -- "$h5" --model "$dir/none.h5"
has "$dir/err" "eval: --model $dir/none.h5: cannot open: No such file or directory" model-absent
: >"$dir/empty.h5"
expect 1 model-not-h5 -- "$h5" --model "$dir/empty.h5"
has "$dir/err" "--model $dir/empty.h5: not an HDF5 file" model-not-h5
expect 1 h5-absent -- "$dir/none.h5"
has "$dir/err" "none.h5: cannot open" h5-absent
expect 1 not-h5 -- "$dir/test_labels.csv"
has "$dir/err" "test_labels.csv: not an HDF5 file" not-h5
# the other way round: an HDF5 file where a CSV is expected is named, not parsed
expect 1 h5-as-csv -- "$dir/test_labels.csv" "$h5"
has "$dir/err" "eval: $h5 is a predictions file (train's predictions.h5), not a CSV file (eval reads it alone: eval $h5)" h5-as-csv
expect 1 model-as-csv -- "$dir/model.h5" "$dir/test_scores.csv"
has "$dir/err" "eval: $dir/model.h5 is a model (train's model.h5), not a CSV file" model-as-csv
expect 1 model-as-predictions -- "$dir/model.h5"
has "$dir/err" "eval: $dir/model.h5 is a model (train's model.h5), not a predictions file (train's predictions.h5)" model-as-predictions
expect 1 html-unwritable -- "$h5" --html "$dir/no/such/dir/report.html"
mkdir "$dir/one"
"$WRITE" "$dir/one" 1 || { echo "FAIL: write_predictions 1"; exit 1; }
expect 1 no-test-album -- "$dir/one/predictions.h5"
has "$dir/err" "no album to evaluate with --split test (the file has 1 train, 0 test and 0 unlabeled albums)" no-test-album

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all eval predictions.h5 CLI checks passed"
