#!/bin/sh
# aggregate_bench.sh [BUILD] [SCALES] - aggregate on synth's report-size data set and
# each --scale in SCALES (default "1 10"), through ingest: wall time and peak RSS
# (/usr/bin/time, best of 3 runs since the machine may be shared), rows per second,
# the store's size and entries, at daily steps (the default) and at 28 steps.
set -eu
build=${1:-build}
scales=${2:-"1 10"}
synth="$build/synth/synth" ingest="$build/ingest/ingest" agg="$build/aggregate/aggregate"
dir=$(mktemp -d "${TMPDIR:-/tmp}/tg-aggregate-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ)"
best() { # label, rows, command...: best wall of 3 and the peak RSS of that run
    label=$1 rows=$2; shift 2
    bw=999999 brss=0
    for i in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || {
            cat "$dir/err" >&2; exit 1; }
        read -r w rss <"$dir/time"
        if awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'; then bw=$w brss=$rss; fi
    done
    awk -v l="$label" -v w="$bw" -v r="$brss" -v n="$rows" 'BEGIN {
        printf "%-30s %7.2f s  %6.2f M rows/s  peak RSS %6.1f MB\n", l, w, n / 1e6 / (w > 0 ? w : 0.01), r / 1024 }'
}
for k in $scales; do
    "$synth" -q --force --scale "$k" -o "$dir/t.ndjson"
    "$ingest" -q --force "$dir/t.ndjson" -o "$dir/i.h5"
    rm -f "$dir/t.ndjson" "$dir/t.ndjson.prov"
    "$agg" -q --force "$dir/i.h5" -o "$dir/s.h5"
    rows=$("$build/store/store" info "$dir/s.h5" | sed -n 's/^  rows \([0-9]*\)$/\1/p')
    echo "scale $k: ingest.h5 $(stat -c %s "$dir/i.h5") bytes, $rows rows"
    best "  aggregate (358 steps)" "$rows" "$agg" -q --force "$dir/i.h5" -o "$dir/s.h5"
    "$build/store/store" info "$dir/s.h5" | grep -E '^(albums|entries|file|ratio):' | sed 's/^/    /'
    best "  aggregate --steps 28" "$rows" "$agg" -q --force --steps 28 "$dir/i.h5" -o "$dir/s28.h5"
    "$build/store/store" info "$dir/s28.h5" | grep -E '^(entries|file):' | sed 's/^/    /'
    rm -f "$dir/i.h5" "$dir/i.rejects.jsonl" "$dir/s.h5" "$dir/s28.h5"
done
