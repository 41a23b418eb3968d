#!/bin/sh
# test_cli.sh AGGREGATE STORE SYNTH INGEST REFERENCE SHARES - the aggregate command end to end
# on synth's default data set: the genre filter's counts (the report's hypothesis 1);
# `store dump` equals the slow reference at several steps, windows and values;
# re-binning a daily store equals aggregating at N; counters printed and stored;
# split determinism through the CLI; Make-style reruns; exit codes and bad input.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
agg=$(abs "$1") store=$(abs "$2") synth=$(abs "$3") ingest=$(abs "$4") ref=$(abs "$5") shares=$(abs "$6")
dir=$(mktemp -d /tmp/tg-agg-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$dir" || fail "cd"

# usage and bad input
"$agg" --help >help 2>&1 || fail "--help exits $?"
grep -q -- '--test-fraction' help || fail "--help lists --test-fraction"
"$agg" --bogus 2>err; [ $? -eq 2 ] || fail "unknown option exits 2"
"$agg" x.h5 --steps 0 2>err; [ $? -eq 2 ] || fail "--steps 0 exits 2"
"$agg" x.h5 --steps 359 2>err; [ $? -eq 2 ] || fail "--steps 359 > --window 358 exits 2"
grep -q "window" err || fail "steps > window says why: $(cat err)"
"$agg" x.h5 --window 0 2>err; [ $? -eq 2 ] || fail "--window 0 exits 2"
"$agg" x.h5 --value nplays 2>err; [ $? -eq 2 ] || fail "--value nplays exits 2"
"$agg" x.h5 --test-fraction 1.5 2>err; [ $? -eq 2 ] || fail "--test-fraction 1.5 exits 2"
"$agg" x.h5 --min-albums 0 2>err; [ $? -eq 2 ] || fail "--min-albums 0 exits 2"
"$agg" x.h5 --seed -1 2>err; [ $? -eq 2 ] || fail "--seed -1 exits 2"
grep -q -- "--seed: -1 is out of range \[0, " err || fail "says -1 is not a seed: $(cat err)"
"$agg" a.h5 b.h5 2>err; [ $? -eq 2 ] || fail "two inputs exit 2"
"$agg" 2>err; [ $? -eq 1 ] || fail "missing default ingest.h5 exits 1"
grep -q "ingest.h5" err || fail "error names ingest.h5: $(cat err)"
"$agg" missing.h5 -o s.h5 2>err; [ $? -eq 1 ] || fail "missing input exits 1"
grep -q "missing.h5" err || fail "error names the missing input"
echo "not hdf5" >text.h5
"$agg" text.h5 -o s.h5 2>err; [ $? -eq 1 ] || fail "a text file exits 1"
[ "$(cat err)" = "aggregate: text.h5: not an HDF5 file" ] || fail "a text file: $(cat err)"
# a directory: one line, errno's words, not HDF5's error stack
mkdir adir
"$agg" adir -o s.h5 2>err; [ $? -eq 1 ] || fail "a directory exits 1"
[ "$(cat err)" = "aggregate: adir: cannot open: Is a directory" ] || fail "a directory: $(cat err)"
[ ! -e s.h5 ] || fail "no output after a failure"
# an output directory that does not exist is found before the input is read
"$agg" text.h5 -o nodir/s.h5 2>err; [ $? -eq 1 ] || fail "a missing output directory exits 1"
grep -q "nodir/s.h5: cannot create a temporary file beside it" err || fail "names the output first: $(cat err)"
# an output that is the input is bad usage naming both; the input is left as it was
cp text.h5 keep.h5
"$agg" text.h5 -o ./text.h5 2>err; [ $? -eq 2 ] || fail "-o the input exits 2"
grep -q -- "-o ./text.h5 and the input text.h5 are the same file" err || fail "names both: $(cat err)"
cmp -s text.h5 keep.h5 || fail "the input was changed"

# synth's default data set (the report's calibration), through ingest
"$synth" -q -o t.ndjson || fail "synth"
"$ingest" -q t.ndjson -o ingest.h5 || fail "ingest"
"$agg" 2>summary || fail "aggregate exits $?: $(cat summary)"
[ -f store.h5 ] || fail "default output store.h5"
# a store where ingest.h5 is expected is named as such (exit 1)
"$agg" store.h5 -o s2.h5 2>err; [ $? -eq 1 ] || fail "a store as input exits 1"
[ "$(cat err)" = "aggregate: store.h5 is a store (aggregate's store.h5), not an ingest file (ingest's ingest.h5)" ] \
    || fail "a store as input: $(cat err)"
for c in "albums_labeled 1537" "genres_kept 27" "genres_dropped 24" "albums_emptied 6" \
         "orphan_rows 0" "genres 51"; do
    grep -Eq "^ +$(echo "$c" | sed 's/ / +/')\$" summary || fail "printed counter $c: $(cat summary)"
done
grep -q "every row and album accounted for" summary || fail "rows add up"
grep -q "dropped 24: .*Comedy (1)" summary || fail "dropped genres printed"
"$store" info store.h5 >info || fail "store info"
for c in "albums_labeled 1537" "genres_kept 27" "genres_dropped 24" "albums_emptied 6"; do
    grep -q "^  $c\$" info || fail "stored counter $c: $(cat info)"
done
grep -q "^dropped:   24 genres" info || fail "24 dropped genres stored"
grep -q "^genres:    27 kept" info || fail "27 kept genres stored"
grep -q "labeled 1537" info || fail "1537 labeled albums"

# the stored counters add up
get() { sed -n "s/^  $1 \([0-9]*\)\$/\1/p" info; }
[ $(get rows) -eq $(( $(get rows_in_window) + $(get rows_before_release) + $(get rows_past_window) + $(get orphan_rows) )) ] \
    || fail "rows add up"
[ $(get entries) -gt 100000 ] || fail "entries $(get entries)"
[ $(get rows_before_release) -gt 0 ] || fail "synth has rows before release"

# store dump equals the slow reference
"$store" dump store.h5 >dump || fail "dump"
"$ref" ingest.h5 358 358 nusers >ref || fail "reference"
cmp -s dump ref || fail "dump differs from the reference (358 steps): $(diff dump ref | head -5)"
"$agg" -q --steps 28 -o s28.h5 || fail "28 steps"
"$store" dump s28.h5 >dump28 || fail "dump 28"
"$ref" ingest.h5 28 358 nusers | cmp -s dump28 - || fail "28 steps differ from the reference"
"$agg" -q --steps 7 --window 100 --value nstreams -o s7.h5 || fail "7 steps of 100 days, nstreams"
"$ref" ingest.h5 7 100 nstreams >ref7 || fail "reference 7/100"
"$store" dump s7.h5 | cmp -s - ref7 || fail "7 steps of 100 days, nstreams, differ from the reference"
grep -q "rows_past_window [1-9]" <<EOF2 || fail "a 100-day window leaves rows out"
$("$store" info s7.h5)
EOF2

# a trace without nstreams counts 0 streams: with --value nstreams aggregate says how
# many traces had none (ingest counts them, nested and pending ones included); with
# nusers, or when all have it (synth's data above), it says nothing
mkdir -p ns && (
    cd ns || exit 1
    printf '%s\n' \
        '{"album_id": 1, "release_date": "2016-10-28", "genres": ["Rock"], "traces": [{"date": "2016-10-29", "loc_city": "Paris", "nusers": 2}]}' \
        '{"album_id": 1, "date": "2016-10-29", "loc_city": "Paris", "nusers": 2, "nstreams": 5}' \
        '{"traces": [{"date": "2016-10-29", "loc_city": "Lyon", "nusers": 2}], "album_id": 2, "release_date": "2016-10-28", "genres": ["Pop"]}' \
        '{"album_id": 3, "date": "2016-10-29", "loc_city": "Paris", "nusers": 2}' >t.json
    "$ingest" t.json -o i.h5 2>log || fail "ingest of traces without nstreams: $(cat log)"
    grep -Eq '^ +traces_without_nstreams +3$' log || fail "ingest counts 3 without nstreams: $(cat log)"
    "$agg" i.h5 -o s.h5 --value nstreams --min-albums 1 2>log || fail "aggregate nstreams: $(cat log)"
    grep -q "warning: 3 of the 4 trace records had no nstreams" log || fail "says how many: $(cat log)"
    "$agg" i.h5 -o u.h5 --min-albums 1 2>log || fail "aggregate nusers: $(cat log)"
    if grep -q "nstreams" log; then fail "nusers: no word of nstreams: $(cat log)"; fi
) || exit 1
"$agg" --steps 7 --window 100 --value nstreams -o s7w.h5 2>log || fail "nstreams again"
grep -q "had no nstreams" log && fail "synth's traces all have nstreams: $(cat log)"

# re-binning a daily store equals aggregating at N directly
for n in 1 28 100 357; do
    "$agg" -q --steps $n -o n$n.h5 || fail "aggregate --steps $n"
    "$store" dump store.h5 --steps $n >rebinned || fail "dump --steps $n"
    "$store" dump n$n.h5 >direct || fail "dump n$n"
    cmp -s rebinned direct || fail "re-binned to $n differs from aggregating at $n"
done
"$agg" -q --window 100 --steps 100 -o d100.h5 || fail "daily 100"
"$agg" -q --window 100 --steps 9 -o w9.h5 || fail "9 of 100"
"$store" dump w9.h5 >w9.dump || fail "dump w9"
"$store" dump d100.h5 --steps 9 | cmp -s - w9.dump || fail "re-binning a 100-day store to 9 differs"

# the split of synth's albums: every genre's test share within 2 albums of 20 % (and
# of 50 % at --test-fraction 0.5)
"$shares" store.h5 0.2 2 >shares || fail "split shares at 0.2: $(grep FAIL shares)"
"$agg" -q --test-fraction 0.5 -o half.h5 || fail "--test-fraction 0.5"
"$shares" half.h5 0.5 2 >shares || fail "split shares at 0.5: $(grep FAIL shares)"

# split through the CLI: same seed, same split; another seed, another
split_of() { h5dump -d /albums/split -y -w 0 "$1" | sed -n '/DATA {/,/}/p'; }
if command -v h5dump >/dev/null; then
    "$agg" -q --seed 7 -o seed7a.h5 && "$agg" -q --seed 7 -o seed7b.h5 && "$agg" -q --seed 8 -o seed8.h5 \
        || fail "seeded runs"
    [ "$(split_of seed7a.h5)" = "$(split_of seed7b.h5)" ] || fail "same seed, other split"
    [ "$(split_of seed7a.h5)" != "$(split_of seed8.h5)" ] || fail "another seed, same split"
    [ "$(split_of seed7a.h5 | grep -c .)" -gt 2 ] || fail "split read back"
fi

# Make-style: a rerun is a no-op; a parameter or the input changed redoes it
before=$(stat -c %Y.%s store.h5; ls -i store.h5)
sleep 1
"$agg" 2>again || fail "rerun exits $?"
grep -q "up to date" again || fail "rerun says up to date: $(cat again)"
[ "$(stat -c %Y.%s store.h5; ls -i store.h5)" = "$before" ] || fail "rerun rewrote store.h5"
"$agg" --force -q || fail "--force"
[ "$(stat -c %Y.%s store.h5; ls -i store.h5)" != "$before" ] || fail "--force did not rewrite"
"$agg" --seed 3 2>redo || fail "new seed"
grep -q "up to date" redo && fail "a new seed is not up to date"
touch ingest.h5
"$agg" --seed 3 2>touched || fail "touched input"
grep -q "up to date" touched || fail "a touched but unchanged input is still up to date"
"$ingest" -q --force t.ndjson -o ingest.h5 || fail "reingest"
"$agg" -q --seed 3 --force || fail "after reingest"

# progress on a faked terminal, none off one
# (the first redraw comes after 1/6 s: a faster run draws nothing, so a drawn line is
# checked only when there is one)
"$agg" --force --fake-stderr-is-console 2>prog || fail "progress run"
if tr '\r' '\n' <prog | grep -q "rows/s"; then
    tr '\r' '\n' <prog | grep -q "^aggregate .*MB" || fail "progress line: $(od -c prog | head -3)"
fi
"$agg" --force 2>noprog || fail "run"
tr '\r' '\n' <noprog | grep -q "rows/s" && fail "no progress off a terminal"

# interrupted runs leave nothing: a store from an ingest file that is damaged
head -c 20000 ingest.h5 >cut.h5
"$agg" cut.h5 -o cut_store.h5 2>err; [ $? -eq 1 ] || fail "a truncated ingest.h5 exits 1"
[ ! -e cut_store.h5 ] || fail "no output from a truncated input"
ls -a | grep -q "tmp-" && fail "a temporary was left: $(ls -a)"
"$agg" store.h5 -o x.h5 2>err; [ $? -eq 1 ] || fail "a store as input exits 1"
grep -q "store.h5" err || fail "names the file"
exit 0
