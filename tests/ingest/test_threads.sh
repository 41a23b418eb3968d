#!/bin/sh
# test_threads.sh INGEST SYNTH DUMP - --threads N gives the one-thread output byte for
# byte: rows as stored, dictionaries with their numbering, counters, the rejects file
# (content and order), and for malformed input or --strict the same exit status and
# the same message (file, byte, line). Ranges are made tiny with --split so that cuts
# fall everywhere: inside album records with nested traces, beside CRLF and blank
# lines, on rejected and malformed records; a top-level array or object (cuts inside
# a value) and a .zst input must give the same output too.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
here=$(dirname "$(abs "$0")")
ingest=$(abs "$1") synth=$(abs "$2") dump=$(abs "$3")
dir=$(mktemp -d /tmp/tg-ingest-threads-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$dir" || fail "cd"

# run NAME INPUT THREADS SPLIT [OPTIONS]: ingest in its own folder under the same
# output names (the provenance records the rejects path), leaving there: status, err
# (the message, if any), rows, dicts, counters and rejects
run() {
    name=$1 input=$2 t=$3 split=$4
    shift 4
    mkdir -p "$name" && (cd "$name" && {
        "$ingest" "$input" -o i.h5 --threads "$t" --split "$split" -q "$@" 2>err
        echo $? >status
        if [ -f i.h5 ]; then
            "$dump" i.h5 raw >rows && "$dump" i.h5 dicts >dicts &&
                "$dump" i.h5 counters >counters || echo "dump failed" >>err
            cp i.rejects.jsonl rejects
        fi
    })
}
# same INPUT LABEL [OPTIONS]: threads 2 and 3 at several range sizes == threads 1
same() {
    input=$(abs "$1") label=$2
    shift 2
    rm -rf ref && run ref "$input" 1 8M "$@"
    for t in 2 3; do
        for split in 1 37 300 4K; do
            d="t$t-s$split"
            rm -rf "$d" && run "$d" "$input" "$t" "$split" "$@"
            for f in status err rows dicts counters rejects; do
                if [ -f ref/$f ] || [ -f $d/$f ]; then
                    cmp -s ref/$f $d/$f || fail "$label: --threads $t --split $split: $f differs
$(diff ref/$f $d/$f | head -5)"
                fi
            done
        done
    done
}

# synth's layouts, small: NDJSON (the split case) and the others (cuts inside values)
for l in ndjson nested array object; do
    "$synth" --albums 25 --traces 2000 --cities 30 -q --layout $l -o $l.json || fail "synth $l"
    same $l.json "synth $l"
done
grep -q '^rows [1-9]' ref/counters || fail "rows written"
# one line of 2 MB (a minified array): no line end near any cut, one parser reads on
"$synth" --albums 25 --traces 12000 --cities 30 -q --layout array -o - | tr -d '\n' \
    >oneline.json || fail "synth oneline"
[ "$(wc -c <oneline.json)" -gt 1100000 ] || fail "oneline.json is too short to test"
same oneline.json "a minified array on one line"
zstd -q ndjson.json -o nd.json.zst || fail "zstd"
same nd.json.zst "zst (one thread)"
cmp -s t2-s1/rows ref/rows || fail "zst rows"

# a messy NDJSON: messy_records.sh's dirty lines (CRLF and blank lines, every kind of
# reject, agreeing and conflicting duplicates, long names), then a non-object value,
# a record over two lines, nested traces with album_id after them, album records after
# their traces
long=$(head -c 6000 /dev/zero | tr '\0' x)   # messy_records.sh's kept city, looked for below
{
    head -n 40 ndjson.json
    sh "$here/messy_records.sh"
    printf '[1, 2, {"album_id": 9, "release_date": "2016-01-01", "genres": ["Rock"], "mood": "x"}]\n'
    printf '{"traces": [{"date": "2017-04-01", "loc_city": "Caen", "nusers": 5}, {"date": "2017-04-02", "loc_city": "Pau", "nusers": 6}],\n'
    printf '  "album_id": 11, "release_date": "2017-03-01", "genres": ["Blues"]}\n'
    printf '{"traces": [{"date": "2017-04-01", "loc_city": "Laval", "nusers": 5}], "release_date": "2017-03-01", "genres": ["Blues"]}\n'
    tail -n +41 ndjson.json | sed 's/$/\r/'
    printf '{"album_id": 8, "release_date": "2016-05-05", "genres": ["Folk", "Jazz"]}'
} >messy.json
same messy.json "messy NDJSON"
for r in conflicting_duplicate bad_date bad_album_id not_integer count_overflow bad_string too_long \
         missing_field missing_album_id duplicate_key unclassifiable not_object; do
    grep -q "^rejected.$r [1-9]" ref/counters || fail "messy: no $r reject: $(cat ref/counters)"
done
grep -q '^album_duplicates [1-9]' ref/counters || fail "messy: an agreeing duplicate"
grep -q '"cut":true' ref/rejects || fail "messy: the long record is cut and flagged"
grep -q "$long" ref/dicts || fail "messy: the 6000-byte city is a city"
grep -q '^rejected.bad_string 2$' ref/counters || fail "messy: a NUL and a lone surrogate: $(cat ref/counters)"
grep -q "$(printf 'Metz\360\237\216\265')" ref/dicts || fail "messy: a surrogate pair is its character"

# --strict: the first reject is the error, wherever the ranges are cut
same messy.json "messy --strict" --strict
grep -q '^1$' ref/status && grep -q 'messy.json: byte [0-9]*, line 4[0-9]' ref/err ||
    fail "strict: exit 1 naming the line: $(cat ref/status ref/err)"

# malformed input: a record cut mid-way in the middle of the file, and the error names
# the same file, byte and line whatever the threads
{ head -n 700 ndjson.json; printf '{"album_id": 5, "date": \n'; tail -n +701 ndjson.json; } >bad.json
same bad.json "malformed mid-file"
grep -q '^1$' ref/status && grep -q 'bad.json: byte [0-9]*, line 70[1-3]' ref/err ||
    fail "malformed: exit 1 naming the line: $(cat ref/status ref/err)"
[ ! -f ref/rows ] || fail "malformed: no output"
# ... and at the very end (the last range), and an invalid UTF-8 byte
{ cat ndjson.json; printf '{"album_id": 5, "date": "2017'; } >trunc.json
same trunc.json "truncated at the end"
{ head -n 1500 ndjson.json; printf '{"album_id": 5, "loc_city": "\377"}\n'; tail -n +1501 ndjson.json; } >utf.json
same utf.json "invalid UTF-8"
grep -q '^1$' ref/status || fail "invalid UTF-8 is an error"
# ... and UTF-8 of the right shape that RFC 3629 forbids (yajl lets it through): a surrogate
{ head -n 1500 ndjson.json; printf '{"album_id": 5, "loc_city": "\355\240\200"}\n'; tail -n +1501 ndjson.json; } >sur.json
same sur.json "a UTF-8 surrogate"
grep -q '^1$' ref/status && grep -q 'sur.json: byte [0-9]*, line 1501: invalid UTF-8' ref/err ||
    fail "a UTF-8 surrogate is an error naming its line: $(cat ref/status ref/err)"
# enough rows for the two-thread final sort (from 64 Ki rows), shuffled so that no
# neighbours sum at once; and with a --mem that spills, so runs are sorted that way too
"$synth" --albums 60 --traces 200000 --cities 300 -q -o sorted.json || fail "synth big"
shuf --random-source=sorted.json sorted.json >big.json || fail "shuf"
rm -rf b1 b2 b3 && run b1 "$dir/big.json" 1 8M && run b2 "$dir/big.json" 2 1M &&
    run b3 "$dir/big.json" 3 1M --mem 2M || fail "big runs"
[ "$(wc -l <b1/rows)" -gt 65536 ] || fail "big: rows for a threaded sort: $(wc -l <b1/rows)"
for d in b2 b3; do
    for f in status rows dicts counters rejects; do
        cmp -s b1/$f $d/$f || fail "big: $d: $f differs"
    done
done
echo "threads: ok"
