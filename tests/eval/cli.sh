#!/bin/sh
# cli.sh - the eval command end to end: exit codes 0 (done), 1 (failure, bad input
# included) and 2 (bad usage), and the messages. Usage: cli.sh path/to/eval
set -u
EVAL=$1
dir=$(mktemp -d /tmp/tg-eval-cli-XXXXXX) || exit 1
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

cat >"$dir/labels.csv" <<'EOF'
album_id,Rock,"Pop, indie",Jazz
a,1,0,0
b,0,1,1
c,1,1,0
EOF
cat >"$dir/scores.csv" <<'EOF'
album_id,Rock,"Pop, indie",Jazz
a,0.9,0.2,0.3
b,0.4,0.35,0.8
c,0.3,0.6,0.1
EOF
sed 's/0.35/nan/' "$dir/scores.csv" >"$dir/nan.csv"
sed 's/Jazz/Blues/' "$dir/scores.csv" >"$dir/names.csv"

expect 0 help -- --help
has "$dir/out" "Usage: eval PREDICTIONS.h5 [options]" help
has "$dir/out" "eval LABELS.csv SCORES.csv [options]" help

expect 0 run -- "$dir/labels.csv" "$dir/scores.csv" --threshold 0.3 --decimals 3 --sweep 0.1:0.9:0.1
has "$dir/out" "Label-Based Metric" run
has "$dir/out" "|| Example-Based Metric" run
has "$dir/out" "Threshold sweep" run

expect 0 json -- "$dir/labels.csv" "$dir/scores.csv" --json "$dir/m.json" -q
has "$dir/m.json" '"map_genres": 3' json
has "$dir/out" "Label-Based Metric" json
[ -s "$dir/err" ] && { echo "FAIL json: -q should leave stderr empty"; failures=$((failures + 1)); }

expect 0 json-stdout -- "$dir/labels.csv" "$dir/scores.csv" --json -
[ "$(head -c 1 "$dir/out")" = "{" ] || { echo "FAIL json-stdout: not JSON only"; failures=$((failures + 1)); }

expect 2 no-files --
has "$dir/err" "eval: needs PREDICTIONS.h5, or two files: LABELS.csv SCORES.csv" no-files
has "$dir/err" "Try 'eval --help'" no-files
expect 2 unknown -- "$dir/labels.csv" "$dir/scores.csv" --frobnicate
has "$dir/err" "unknown option '--frobnicate'" unknown
expect 2 threshold -- "$dir/labels.csv" "$dir/scores.csv" --threshold 1.5
expect 2 threshold-missing -- "$dir/labels.csv" "$dir/scores.csv" --threshold
expect 2 sweep -- "$dir/labels.csv" "$dir/scores.csv" --sweep 0.1:0.9
has "$dir/err" "is not FROM:TO:STEP" sweep
expect 2 sweep-order -- "$dir/labels.csv" "$dir/scores.csv" --sweep 0.9:0.1:0.1
expect 2 decimals -- "$dir/labels.csv" "$dir/scores.csv" --decimals 18
expect 2 three-files -- "$dir/labels.csv" "$dir/scores.csv" "$dir/scores.csv"

expect 1 nan -- "$dir/labels.csv" "$dir/nan.csv"
has "$dir/err" "eval: $dir/nan.csv: line 3, column 3: score 'nan' is not in [0, 1]" nan
expect 1 names -- "$dir/labels.csv" "$dir/names.csv"
has "$dir/err" "names.csv: line 1, column 4: genre 'Blues' where" names
expect 1 missing -- "$dir/labels.csv" "$dir/none.csv"
has "$dir/err" "none.csv: cannot open" missing
expect 1 json-unwritable -- "$dir/labels.csv" "$dir/scores.csv" --json "$dir/no/such/dir/m.json"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all eval CLI checks passed"
