#!/bin/sh
# test_cli.sh SYNTH INGEST - the synth command: exit codes (0 done or up to date, 1
# failure, 2 bad usage), messages on stderr, Make-style reruns, the sidecar stamp, and
# --stats' genres counted as ingest counts them.
set -u
synth=$1
ingest=$2
dir=$(mktemp -d /tmp/tg-synth-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small="--albums 20 --traces 2000 --cities 40"

"$synth" --help >"$dir/help" 2>&1 || fail "--help exits $?"
grep -q -- '--layout' "$dir/help" || fail "--help lists --layout"

"$synth" --bogus 2>"$dir/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown option exits $rc, not 2"
grep -q "unknown option '--bogus'" "$dir/err" || fail "message names the option"

"$synth" --albums 2>"$dir/err"; rc=$?
[ $rc -eq 2 ] || fail "missing value exits $rc"
"$synth" --albums 0 2>/dev/null; [ $? -eq 2 ] || fail "--albums 0 is bad usage"
# a negative number is a bad value, not a missing one
"$synth" --albums -5 2>"$dir/err"; [ $? -eq 2 ] || fail "--albums -5 is bad usage"
grep -q -- "--albums: -5 is out of range \[1, " "$dir/err" || fail "says -5 is not valid: $(cat "$dir/err")"
grep -q "needs a value" "$dir/err" && fail "-5 is a value: $(cat "$dir/err")"
"$synth" --layout xml 2>"$dir/err"; [ $? -eq 2 ] || fail "bad layout exits 2"
grep -q "ndjson, array, object, nested" "$dir/err" || fail "bad layout lists the choices"
"$synth" --traces 12x 2>/dev/null; [ $? -eq 2 ] || fail "bad number exits 2"

"$synth" $small -o /nonexistent-dir/out.ndjson 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] || fail "unwritable output exits $rc, not 1"
grep -q "/nonexistent-dir/out.ndjson" "$dir/err" || fail "error names the output"

out="$dir/t.ndjson"
"$synth" $small -o "$out" 2>"$dir/err" || fail "first run exits $?"
grep -q "wrote" "$dir/err" || fail "first run says what it wrote"
[ -f "$out.prov" ] || fail "stamp written"
ls -a "$dir" | grep -q 'tmp-' && fail "temporary left behind"
cp "$out" "$dir/first"
"$synth" $small -o "$out" 2>"$dir/err" || fail "second run exits $?"
grep -q "up to date" "$dir/err" || fail "second run is up to date: $(cat "$dir/err")"
"$synth" $small -o "$out" -q 2>"$dir/err" || fail "quiet run"
[ -s "$dir/err" ] && fail "-q prints nothing: $(cat "$dir/err")"
"$synth" $small --seed 5 -o "$out" 2>"$dir/err" || fail "changed option"
grep -q "wrote" "$dir/err" || fail "a changed option rewrites"
cmp -s "$out" "$dir/first" && fail "another seed, same bytes"
"$synth" $small -o "$out" --force 2>"$dir/err" || fail "--force"
cmp -s "$out" "$dir/first" || fail "same options, same bytes"
echo x >>"$out"
"$synth" $small -o "$out" 2>"$dir/err" || fail "edited output"
grep -q "wrote" "$dir/err" || fail "an edited output is rewritten"

"$synth" $small -o - >"$dir/stdout" 2>"$dir/err" || fail "stdout output"
cmp -s "$dir/stdout" "$dir/first" || fail "stdout holds the same bytes"
[ -s "$dir/err" ] && fail "nothing on stderr when writing to stdout"

"$synth" $small -o "$out" --stats >"$dir/stats" 2>/dev/null || fail "--stats"
grep -q "trace rows *2000 " "$dir/stats" || fail "--stats counts rows: $(cat "$dir/stats")"
# at 20 albums some of the world's genres are on no album: --stats counts the genres
# the output holds, as ingest does, and the filter's dropped ones among those
genres=$(awk '$1 == "genres" && NF == 3 { print $2 }' "$dir/stats")
"$ingest" "$out" -o "$dir/i.h5" 2>"$dir/ingest" || fail "ingest: $(cat "$dir/ingest")"
in_ingest=$(awk '$1 == "genres" { print $2 }' "$dir/ingest")
[ -n "$genres" ] && [ "$genres" = "$in_ingest" ] \
    || fail "--stats counts $genres genres, ingest $in_ingest: $(cat "$dir/stats")"
kept=$(sed -n 's/^genres with >= 5 albums *\([0-9]*\) (\([0-9]*\) dropped).*/\1 \2/p' "$dir/stats")
[ "$(echo "$kept" | awk '{ print $1 + $2 }')" = "$genres" ] || fail "kept + dropped = $genres: $kept"
grep -q "more genres of the world on no album: not in the output" "$dir/stats" \
    || fail "the genres on no album are said apart: $(cat "$dir/stats")"
grep -q " 0  (dropped" "$dir/stats" && fail "a genre on no album listed: $(cat "$dir/stats")"
echo "ok"
