#!/bin/sh
# mpi_bench.sh [BUILD] [SCALE] - ingest then aggregate of synth --scale SCALE (default
# 10, 3.3 GB of NDJSON) with P = 1 and 2 ranks under mpirun: wall seconds, peak RSS of
# every rank (/usr/bin/time -v around each rank) and bytes each rank exchanged (the
# stages print them under MPI), beside the single-process run without mpirun. Prints
# the load first: other people's work on a shared machine makes the walls noisy.
set -eu
build=${1:-build} scale=${2:-10}
here=$(pwd)
out=${MPI_BENCH_DIR:-$here/out/mpi-bench}
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
"$here/$build/synth/synth" --scale "$scale" -q -o "$out/traces.ndjson"
ls -l "$out/traces.ndjson" | awk '{printf "input: %.2f GB\n", $5 / 1e9}'
# one rank's peak RSS from its time -v report
rss() { awk '/Maximum resident set size/ {printf "%.0f MB ", $6 / 1024}' "$@"; }
now() { date +%s.%N; }
stage() {   # stage NAME P CMD... (P = 0: plain, no mpirun)
    name=$1 p=$2
    shift 2
    rm -f "$out"/time.*
    t0=$(now)
    if [ "$p" = 0 ]; then
        /usr/bin/time -v -o "$out/time.0" "$@" -q --force
    else
        mpirun --oversubscribe -n "$p" sh -c '/usr/bin/time -v -o "$0/time.$OMPI_COMM_WORLD_RANK" "$@"' \
            "$out" "$@" --force 2>"$out/$name.$p.err" >/dev/null
    fi
    t1=$(now)
    printf '%-9s P=%s  wall %6.1f s  peak RSS per rank: %s\n' "$name" "${p#0}" \
        "$(echo "$t1 - $t0" | bc)" "$(for f in "$out"/time.*; do rss "$f"; done)"
    [ "$p" = 0 ] || grep 'rank [0-9]* of' "$out/$name.$p.err" | sed 's/^/    /'
}
for p in 0 1 2; do
    stage ingest "$p" "$here/$build/ingest/ingest" "$out/traces.ndjson" -o "$out/ingest.$p.h5"
    stage aggregate "$p" "$here/$build/aggregate/aggregate" "$out/ingest.$p.h5" -o "$out/store.$p.h5"
done
"$here/$build/store/store" dump "$out/store.0.h5" | md5sum
"$here/$build/store/store" dump "$out/store.2.h5" | md5sum
echo "load after: $(uptime | sed 's/.*load average: //')"
