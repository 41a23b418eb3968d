#!/bin/sh
# test_mpi.sh HAVE_MPI MPIRUN INGEST AGGREGATE SYNTH DUMP STORE - ingest and aggregate
# under mpirun -n 1, 2, 4 give the single-process outputs: ingest.h5's rows, numbered
# dictionaries and counters, the rejects file (dirty records of every kind included),
# the same error (file, byte, line) for malformed input and --strict, and a store whose
# `store dump` is the single-process one. A rank killed mid-run fails the job, leaves
# no finished-looking output, and the rerun gives the undisturbed result.
# Skipped (77) when the build has no MPI.
set -u
[ "$1" = true ] || { echo "MPI not built: skipped"; exit 77; }
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
mpirun=$2 ingest=$(abs "$3") aggregate=$(abs "$4") synth=$(abs "$5") dump=$(abs "$6")
store=$(abs "$7") here=$(dirname "$(abs "$0")")
dir=$(mktemp -d /tmp/tg-mpi-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$dir" || fail "cd"
# as root Open MPI wants a confirmation; 2 cores: --oversubscribe for 4 ranks
. "$here/mpi_env.sh"

# the data: NDJSON (cut between ranks), nested albums and an array (whole files), and a
# messy NDJSON with every kind of reject, agreeing and conflicting duplicates, CRLF and
# blank lines, album records after their traces, a record over 4 KiB
"$synth" --albums 40 --traces 6000 --cities 40 -q -o a.json || fail "synth a"
"$synth" --albums 30 --traces 2000 --cities 30 --seed 7 --layout nested -q -o b.json || fail "synth b"
"$synth" --albums 20 --traces 1000 --cities 20 --seed 8 --layout array -q -o c.json || fail "synth c"
{
    head -n 300 a.json
    sh "$here/../ingest/messy_records.sh"
    sed -n '301,5000p' a.json | sed 's/$/\r/'
    printf '{"album_id": 8, "release_date": "2016-05-05", "genres": ["Folk", "Jazz"]}\n'
    tail -n +5001 a.json
} >messy.json

# run NAME RANKS ARGS...: ingest in NAME/ (0 ranks: no mpirun), leaving status, err,
# rows, dicts, counters, rejects
run() {
    name=$1 n=$2
    shift 2
    rm -rf "$name" && mkdir -p "$name" && (cd "$name" && {
        if [ "$n" = 0 ]; then "$ingest" "$@" -o i.h5 -q 2>err; else mpi "$n" "$ingest" "$@" -o i.h5 -q 2>err; fi
        echo $? >status
        # our lines only: mpirun adds its own report of a rank's non-zero exit
        mv err err.all && grep '^ingest' err.all >err
        if [ -f i.h5 ]; then
            "$dump" i.h5 raw >rows && "$dump" i.h5 dicts >dicts &&
                "$dump" i.h5 counters >counters || echo "dump failed" >>err
            cp i.rejects.jsonl rejects
        fi
    })
}
same() {   # same REF OTHER LABEL
    for f in status err rows dicts counters rejects; do
        if [ -f "$1/$f" ] || [ -f "$2/$f" ]; then
            cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs
$(diff "$1/$f" "$2/$f" | head -8)"
        fi
    done
}
inputs="$dir/messy.json $dir/b.json $dir/c.json $dir/a.json"
run ref 0 $inputs
grep -q '^0$' ref/status || fail "single-process ingest: $(cat ref/err)"
for r in conflicting_duplicate bad_date bad_album_id not_integer count_overflow bad_string missing_field \
         missing_album_id duplicate_key unclassifiable; do
    grep -q "^rejected.$r [1-9]" ref/counters || fail "no $r reject in the data: $(cat ref/counters)"
done
grep -q '^album_duplicates [1-9]' ref/counters || fail "no agreeing duplicate in the data"
for n in 1 2 4; do
    run "p$n" "$n" $inputs
    same ref "p$n" "ingest -n $n"
done
echo "ingest: same rows, dictionaries, counters and rejects at P = 1, 2, 4"

# the summary printed under MPI: the single-process counters, plus bytes per rank
(cd p2 && mpi 2 "$ingest" $inputs -o j.h5 --force 2>summary) || fail "ingest -n 2 summary"
grep -q 'rank 1 of 2: sent [0-9.]* MB, received' p2/summary || fail "bytes per rank: $(cat p2/summary)"
grep -q 'exactly one of .*: yes' p2/summary || fail "counters in the summary"
# Make-style: rank 0 decides, all ranks stop
(cd p2 && mpi 2 "$ingest" $inputs -o i.h5 2>uptodate) || fail "rerun"
grep -q 'i.h5 is up to date' p2/uptodate || fail "up to date: $(cat p2/uptodate)"

# --strict and malformed input: the same exit status and message (file, byte, line)
run sref 0 $inputs --strict
grep -q '^1$' sref/status || fail "strict single-process"
{ head -n 2500 a.json; printf '{"album_id": 5, "date": \n'; tail -n +2501 a.json; } >bad.json
run bref 0 "$dir/b.json" "$dir/bad.json"
grep -q 'bad.json: byte [0-9]*, line 250[1-3]' bref/err || fail "malformed: $(cat bref/err)"
for n in 2 4; do
    run "s$n" "$n" $inputs --strict
    same sref "s$n" "--strict -n $n"
    run "b$n" "$n" "$dir/b.json" "$dir/bad.json"
    same bref "b$n" "malformed -n $n"
done
echo "ingest: same errors at P = 2, 4"

# aggregate: the store of every P dumps as the single-process store
"$aggregate" ref/i.h5 -o ref/store.h5 -q || fail "single-process aggregate"
"$store" dump ref/store.h5 >ref/dump || fail "dump"
[ "$(wc -l <ref/dump)" -gt 1000 ] || fail "store too small to test"
for n in 1 2 4; do
    (cd "p$n" && mpi "$n" "$aggregate" i.h5 -o store.h5 -q) || fail "aggregate -n $n"
    "$store" dump "p$n/store.h5" >"p$n/dump" || fail "dump -n $n"
    cmp -s ref/dump "p$n/dump" || fail "aggregate -n $n: store dump differs"
done
echo "aggregate: same store at P = 1, 2, 4"

# a rank killed (SIGKILL, as a lost node) mid-run: the job fails, says so, and leaves
# no output that looks finished; the rerun gives the undisturbed result
mkdir k && cd k || fail "cd k"
TG_MPI_TEST_KILL=ingest:1:parsed mpi 2 "$ingest" $inputs -o i.h5 -q 2>err && fail "killed ingest succeeded"
grep -qi 'signal 9\|killed' err || fail "killed ingest: no clear error: $(cat err)"
[ ! -e i.h5 ] && [ ! -e i.rejects.jsonl ] || fail "killed ingest left an output: $(ls -a)"
mpi 2 "$ingest" $inputs -o i.h5 -q || fail "ingest rerun"
"$dump" i.h5 raw | cmp -s - ../ref/rows || fail "ingest rerun: rows differ"
cmp -s i.rejects.jsonl ../ref/rejects || fail "ingest rerun: rejects differ"
TG_MPI_TEST_KILL=aggregate:1:binned mpi 2 "$aggregate" i.h5 -o store.h5 -q 2>err &&
    fail "killed aggregate succeeded"
grep -qi 'signal 9\|killed' err || fail "killed aggregate: no clear error: $(cat err)"
[ ! -e store.h5 ] || fail "killed aggregate left store.h5"
mpi 2 "$aggregate" i.h5 -o store.h5 -q || fail "aggregate rerun"
"$store" dump store.h5 | cmp -s - ../ref/dump || fail "aggregate rerun: store differs"
echo "killed rank: job failed, no output, rerun identical"
echo "mpi: ok"
