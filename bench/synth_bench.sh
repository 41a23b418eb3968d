#!/bin/sh
# synth_bench.sh [BUILD] - wall time, throughput and peak RSS of synth at report size
# in every layout, compressed, and at --scale 10. Prints one line per run.
set -eu
build=${1:-build}
synth="$build/synth/synth"
dir=$(mktemp -d "${TMPDIR:-/tmp}/tg-synth-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
text_mb=0
run() { # label, output, options...  (MB/s counts JSON text; for .zst, the plain run's)
    label=$1; out=$2; shift 2
    /usr/bin/time -f '%e %M' -o "$dir/time" "$synth" -q --force -o "$dir/$out" "$@"
    set -- $(cat "$dir/time")
    size=$(stat -c %s "$dir/$out")
    case "$out" in *.zst) text=$text_mb ;; *) text=$size ;; esac
    [ "$text_mb" = 0 ] && text_mb=$size
    awk -v l="$label" -v w="$1" -v r="$2" -v s="$size" -v t="$text" \
        'BEGIN { printf "%-24s %6.2f s  file %8.1f MB  %7.1f MB/s of JSON  peak RSS %5.1f MB\n", l, w, s/1e6, t/1e6/w, r/1024 }'
    rm -f "$dir/$out" "$dir/$out.prov"
}
run "ndjson (report size)" t.ndjson
run "ndjson, 1 thread" t.ndjson --threads 1
run "array" t.json --layout array
run "object" t.json --layout object
run "nested" t.json --layout nested
run "ndjson.zst (level 3)" t.ndjson.zst
run "ndjson --scale 10" t.ndjson --scale 10
