#!/bin/sh
# test_cli.sh INGEST SYNTH DUMP - the ingest command end to end over small synth data:
# every layout and a mix give the same rows; album records after their traces;
# duplicates; counters; spills vs one run; Make-style reruns; malformed input, --strict
# and a SIGKILL leave no finished-looking output; the rejects file.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
ingest=$(abs "$1") synth=$(abs "$2") dump=$(abs "$3")
dir=$(mktemp -d /tmp/tg-ingest-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small="--albums 30 --traces 3000 --cities 40 -q"
cd "$dir" || fail "cd"

# usage
"$ingest" --help >help 2>&1 || fail "--help exits $?"
grep -q -- '--threads' help || fail "--help lists --threads"
"$ingest" --bogus x 2>err; [ $? -eq 2 ] || fail "unknown option exits 2"
"$ingest" 2>err; [ $? -eq 2 ] || fail "no input exits 2"
"$ingest" --mem 10 x 2>err; [ $? -eq 2 ] || fail "--mem too small exits 2"
"$ingest" missing.json -o m.h5 2>err; [ $? -eq 1 ] || fail "missing input exits 1"
grep -q "missing.json" err || fail "error names the missing input"

# every layout: same rows, albums and counters (but bytes)
for l in ndjson array object nested; do
    "$synth" $small --layout $l -o $l.json || fail "synth $l"
    "$ingest" $l.json -o $l.h5 -q || fail "ingest $l exits $?"
    [ -f $l.h5 ] && [ -f $l.rejects.jsonl ] || fail "$l: outputs missing"
    "$dump" $l.h5 rows | sort >$l.rows || fail "dump $l"
    "$dump" $l.h5 albums | sort >$l.albums || fail "dump albums $l"
    "$dump" $l.h5 counters | grep -v -e bytes -e nested >$l.counters || fail "counters $l"
done
[ "$(wc -l <ndjson.rows)" -gt 1000 ] || fail "rows written: $(wc -l <ndjson.rows)"

# an output that is an input (or the other output) is bad usage naming both, and the
# input is left as it was
cp ndjson.json keep.json
"$ingest" keep.json -o keep.json 2>err; [ $? -eq 2 ] || fail "-o the input exits 2"
grep -q -- "-o keep.json and the input keep.json are the same file" err || fail "names both: $(cat err)"
"$ingest" ndjson.json keep.json -o x.h5 --rejects ./keep.json 2>err; [ $? -eq 2 ] || fail "--rejects an input exits 2"
grep -q -- "--rejects ./keep.json and the input keep.json are the same file" err || fail "$(cat err)"
"$ingest" keep.json -o x.h5 --rejects x.h5 2>err; [ $? -eq 2 ] || fail "-o and --rejects one file exits 2"
grep -q -- "-o x.h5 and --rejects x.h5 are the same file" err || fail "$(cat err)"
cmp -s keep.json ndjson.json || fail "the input was changed"
[ -e x.h5 ] && fail "nothing written"
# an output directory that does not exist is found before the input is parsed: the
# error names it, not the malformed input
printf '{"album_id": 1, "release' >broken.json
"$ingest" broken.json -o nodir/x.h5 --rejects r.jsonl 2>err; [ $? -eq 1 ] || fail "a missing output directory exits 1"
grep -q "nodir/x.h5: cannot create a temporary file beside it" err || fail "names the output first: $(cat err)"
[ -e r.jsonl ] && fail "no rejects file"
[ "$(wc -l <ndjson.albums)" -eq 30 ] || fail "30 albums"
for l in array object nested; do
    cmp -s ndjson.rows $l.rows || fail "$l rows differ from ndjson's"
    cmp -s ndjson.albums $l.albums || fail "$l albums differ"
    cmp -s ndjson.counters $l.counters || fail "$l counters differ"
done
grep -q "^nested_traces 3000$" <<EOF2 || fail "nested traces counted"
$("$dump" nested.h5 counters)
EOF2

# a mix: half NDJSON, half an array, zstd-compressed, and both in one file; then
# album records after all their traces
half=$(( $(wc -l <ndjson.json) / 2 ))
head -n $half ndjson.json >a.ndjson
tail -n +$((half + 1)) ndjson.json | { echo '['; sed '$!s/$/,/'; echo ']'; } >b.json
zstd -q b.json -o b.json.zst || fail "zstd"
"$ingest" a.ndjson b.json.zst -o mix.h5 -q || fail "ingest mix exits $?"
"$dump" mix.h5 rows | sort >mix.rows
cmp -s ndjson.rows mix.rows || fail "mix of files gives other rows"
cat a.ndjson b.json >onefile.json
"$ingest" onefile.json -o one.h5 -q || fail "ingest one mixed file exits $?"
"$dump" one.h5 rows | sort | cmp -s ndjson.rows - || fail "layouts in one file give other rows"
{ grep -v release_date ndjson.json; grep release_date ndjson.json; } >late.json
"$ingest" late.json -o late.h5 -q || fail "ingest late exits $?"
"$dump" late.h5 rows | sort | cmp -s ndjson.rows - || fail "albums after traces: rows"
"$dump" late.h5 albums | sort | cmp -s ndjson.albums - || fail "albums after traces: albums"
"$dump" late.h5 counters | grep -q "^orphan_traces 0$" || fail "no orphans once records come"
# stdin
"$ingest" - -o stdin.h5 -q <ndjson.json || fail "stdin"
"$dump" stdin.h5 rows | sort | cmp -s ndjson.rows - || fail "stdin rows"

# duplicates that agree and conflict, an orphan, a reject, unknown keys
first=$(grep -m1 release_date ndjson.json)
id=$(echo "$first" | sed 's/.*"album_id": \([0-9]*\).*/\1/')
{
    cat ndjson.json
    echo "$first"
    echo "{\"genres\": [\"Zouk\"], \"album_id\": \"$id\", \"release_date\": \"2016-10-07\"}"
    echo '{"album_id": "orphan-1", "date": "2017-01-02", "loc_city": "Paris", "nusers": 4, "x": 1}'
    echo '{"album_id": 7, "date": "2017-02-30", "loc_city": "Paris", "nusers": 4}'
} >dups.json
"$ingest" dups.json -o dups.h5 2>summary || fail "ingest dups exits $?"
"$dump" dups.h5 counters >dups.counters
for c in "album_duplicates 1" "rejected.conflicting_duplicate 1" "rejected.bad_date 1" \
         "rejected 2" "orphan_traces 1" "orphan_albums 1" "unknown_keys 1" "albums 31"; do
    grep -q "^$c\$" dups.counters || fail "counter $c: $(cat dups.counters)"
done
grep -q "exactly one of .*: yes" summary || fail "summary says the counters add up"
get() { grep "^$1 " dups.counters | cut -d' ' -f2; }
[ $(get records) -eq $(( $(get album_records) + $(get album_duplicates) + \
    $(get trace_records) + $(get rejected) )) ] || fail "records add up"
# the rejects file: one JSON line each, file, offset, line, reason, text as read
[ "$(wc -l <dups.rejects.jsonl)" -eq 2 ] || fail "two rejects: $(cat dups.rejects.jsonl)"
n=$(wc -l <dups.json)
grep -q "\"file\":\"dups.json\",\"offset\":[0-9]*,\"line\":$((n - 2)),\"reason\":\"conflicting_duplicate\"" \
    dups.rejects.jsonl || fail "conflict reject line: $(cat dups.rejects.jsonl)"
grep -q '"reason":"bad_date".*"cut":false,"text":"{\\"album_id\\": 7, \\"date\\": \\"2017-02-30\\"' \
    dups.rejects.jsonl || fail "bad date reject line: $(cat dups.rejects.jsonl)"
off=$(sed -n 's/.*"reason":"bad_date".*//;s/.*"offset":\([0-9]*\).*"reason":"bad_date".*/\1/p' dups.rejects.jsonl)
[ "$(tail -c +$((off + 1)) dups.json | head -c 13)" = '{"album_id": ' ] || \
    fail "reject offset $off points at the record"
"$dump" dups.h5 rows | grep -q "^orphan-1 17168 Paris 4 0$" || fail "orphan rows are kept"

# an empty file is an empty data set; a long rejected record is cut and flagged
: >empty.json
"$ingest" empty.json -o empty.h5 -q || fail "empty file exits $?"
"$dump" empty.h5 counters | grep -q "^records 0$" || fail "empty: no records"
[ "$("$dump" empty.h5 rows | wc -l)" -eq 0 ] || fail "empty: no rows"
awk 'BEGIN { printf "{\"album_id\": 1, \"date\": \"2017-01-01\", \"loc_city\": \"P\", \"note\": \"";
    for (i = 0; i < 6000; i++) printf "x"; printf "\"}\n" }' >long.json
"$ingest" long.json -o long.h5 -q || fail "long exits $?"
grep -q '"reason":"missing_field","detail":"nusers".*"cut":true' long.rejects.jsonl || \
    fail "long reject: $(cut -c1-200 long.rejects.jsonl)"
[ "$(wc -c <long.rejects.jsonl)" -lt 4400 ] || fail "the reject's text is cut at 4 KiB"

# 42 and "42" are one album; "042" another (an orphan here)
cat >ids.json <<'EOF2'
{"album_id": 42, "release_date": "2017-01-01", "genres": ["Pop"]}
{"album_id": "42", "date": "2017-01-02", "loc_city": "Paris", "nusers": 1}
{"album_id": "042", "date": "2017-01-02", "loc_city": "Paris", "nusers": 2}
EOF2
"$ingest" ids.json -o ids.h5 -q || fail "ids exits $?"
"$dump" ids.h5 counters | grep -q "^albums 2$" || fail "42 and \"42\" are one album"
"$dump" ids.h5 counters | grep -q "^orphan_traces 1$" || fail "042 is another album"
"$dump" ids.h5 rows | grep -q "^42 17168 Paris 1 0$" || fail "42's row"

# pending nested traces (album_id after "traces"), more than the pending buffer holds,
# with a tiny --mem so that resolved rows spill meanwhile
awk 'BEGIN { printf "{\"traces\": [";
    for (i = 0; i < 70000; i++) { if (i) printf ",";
        printf "{\"date\": \"2017-01-%02d\", \"loc_city\": \"C%d\", \"nusers\": 1}", i % 28 + 1, i % 50 }
    printf "], \"release_date\": \"2016-12-01\", \"genres\": [\"Pop\"], \"album_id\": 5}\n" }' >pend.json
"$ingest" pend.json ndjson.json -o pend.h5 --mem 2M -q || fail "pending exits $?"
"$dump" pend.h5 rows | awk '$1 == "5" { n++; s += $4 } END { exit !(n == 700 && s == 70000) }' \
    || fail "pending traces resolved to album 5"

# --mem small enough for many spills and merge passes: the same table as one run
# (lines shuffled, deterministically: no two neighbours share a key to sum at once)
"$synth" --albums 60 --traces 400000 --cities 300 -q -o sorted.json || fail "synth big"
shuf --random-source=sorted.json sorted.json >big.json || fail "shuf"
"$ingest" big.json -o one-run.h5 -q || fail "one run"
"$ingest" big.json -o spilled.h5 --mem 2M 2>spill.err || fail "spilled run exits $?"
grep -q "[1-9][0-9]* spilled runs, [1-9][0-9]* merge passes" spill.err || \
    fail "spills and merge passes happen: $(head -1 spill.err)"
"$dump" one-run.h5 raw >one-run.raw && "$dump" spilled.h5 raw >spilled.raw || fail "dump"
cmp -s one-run.raw spilled.raw || fail "spilled output differs from one run's"
ls -a | grep -q 'tmp-' && fail "temporary left behind: $(ls -a)"

# progress: on a (faked) terminal only: bytes of total, records/s, time left. The first
# line is drawn 1/6 s after the start: the file four times (1.6 M records, its album
# records repeated and agreeing) parses for longer than that on any machine we know
"$ingest" big.json big.json big.json big.json -o progress.h5 --fake-stderr-is-console 2>err || fail "progress run"
grep -q "ingest *[0-9]*% [0-9.]*/[0-9.]* MB .*records/s ETA" err || fail "progress line: $(cat err)"
"$ingest" big.json -o one-run.h5 --force 2>err || fail "no progress run"
grep -q "records/s" err && fail "progress drawn off a terminal"

# Make-style reruns
"$ingest" ndjson.json -o ndjson.h5 2>err || fail "rerun exits $?"
grep -q "up to date" err || fail "second run is up to date: $(cat err)"
touch ndjson.json
"$ingest" ndjson.json -o ndjson.h5 2>err || fail "touched rerun exits $?"
grep -q "up to date" err || fail "a touched input is still up to date: $(cat err)"
"$ingest" ndjson.json -o ndjson.h5 --force 2>err || fail "--force exits $?"
grep -q "wrote" err || fail "--force redoes"
"$ingest" ndjson.json array.json -o ndjson.h5 2>err || fail "more inputs exits $?"
grep -q "wrote" err || fail "another input list redoes"
rm ndjson.rejects.jsonl
"$ingest" ndjson.json array.json -o ndjson.h5 2>err || fail "rerun exits $?"
grep -q "wrote" err || fail "a missing rejects file redoes"
# ingest.h5 records the rejects file as written: touched, it is up to date; edited, redone
touch ndjson.rejects.jsonl
"$ingest" ndjson.json array.json -o ndjson.h5 2>err || fail "rerun exits $?"
grep -q "up to date" err || fail "a touched rejects file is up to date: $(cat err)"
cp ndjson.rejects.jsonl keep.rejects
echo garbage >ndjson.rejects.jsonl
"$ingest" ndjson.json array.json -o ndjson.h5 2>err || fail "rerun exits $?"
grep -q "wrote" err || fail "an edited rejects file redoes: $(cat err)"
cmp -s ndjson.rejects.jsonl keep.rejects || fail "the same rejects again"

# malformed input: exit 1, file, byte and line named, previous output untouched
cp ndjson.h5 keep.h5
cp ndjson.rejects.jsonl keep.rejects
{ head -n 5 ndjson.json; echo '{"album_id": 1,, "date": "2017-01-01"}'; } >bad.json
"$ingest" bad.json -o ndjson.h5 2>err; [ $? -eq 1 ] || fail "malformed exits 1"
grep -q "bad.json: byte [0-9]*, line 6:" err || fail "message names file, byte, line: $(cat err)"
cmp -s ndjson.h5 keep.h5 || fail "previous output changed"
cmp -s ndjson.rejects.jsonl keep.rejects || fail "previous rejects changed"
"$ingest" bad.json -o new.h5 2>/dev/null; [ $? -eq 1 ] || fail "malformed exits 1"
[ -e new.h5 ] || [ -e new.rejects.jsonl ] && fail "malformed input leaves an output"
printf '{"album_id": 1, "date": "2017-01-01", "loc_city": "P", "nusers": 1}\n{"album_id"' >trunc.json
"$ingest" trunc.json -o new.h5 2>err; [ $? -eq 1 ] || fail "truncated exits 1"
grep -q "trunc.json: byte" err || fail "truncated: $(cat err)"

# --strict: the first reject is an error, nothing written
"$ingest" dups.json -o ndjson.h5 --strict 2>err; [ $? -eq 1 ] || fail "--strict exits 1"
grep -q "dups.json: byte [0-9]*, line [0-9]*: rejected record (conflicting_duplicate" err || \
    fail "--strict message: $(cat err)"
cmp -s ndjson.h5 keep.h5 || fail "--strict changed the previous output"
"$ingest" ndjson.json -o strict-ok.h5 --strict -q || fail "--strict on clean input"
# --strict is part of what an output was made from: kept rejects are refused on a rerun
"$ingest" dups.json -o kept.h5 -q || fail "dups without --strict"
"$ingest" dups.json -o kept.h5 --strict 2>err; [ $? -eq 1 ] || fail "--strict rerun exits 1: $(cat err)"
grep -q "rejected record" err || fail "--strict rerun refuses the rejects: $(cat err)"
ls -a | grep -q 'tmp-' && fail "temporary left behind: $(ls -a)"

# a run killed with SIGKILL mid-way (its input, a FIFO, held open) leaves nothing that
# looks finished
mkfifo fifo || fail "mkfifo"
"$ingest" fifo -o killed.h5 -q &
pid=$!
exec 3>fifo
cat ndjson.json >&3
sleep 1
kill -9 $pid 2>/dev/null || fail "ingest ended before the kill"
wait $pid 2>/dev/null
exec 3>&-
[ -e killed.h5 ] || [ -e killed.rejects.jsonl ] && fail "a killed run left an output"
for t in .killed*tmp-*; do
    [ -e "$t" ] || continue
    "$dump" "$t" rows >/dev/null 2>&1 && fail "a killed run's temporary $t reads as finished"
done
# SIGINT mid-way: exit 1, and every temporary (rejects, spill file) removed
"$ingest" fifo -o int.h5 --mem 2M -q &
pid=$!
exec 3>fifo
cat big.json >&3
sleep 1
kill -INT $pid 2>/dev/null || fail "ingest ended before SIGINT"
wait $pid; rc=$?
exec 3>&-
[ $rc -eq 1 ] || fail "SIGINT exits $rc, not 1"
[ -e int.h5 ] || [ -e int.rejects.jsonl ] && fail "an interrupted run left an output"
ls -a | grep -q '^\.int.*tmp-' && fail "an interrupted run left a temporary: $(ls -a)"
echo "ok"
