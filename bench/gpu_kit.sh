#!/bin/sh
# gpu_kit.sh - issue 7's GPU checks as one call of the device tool: the two CPU/GPU parity
# tests and bench/train_gpu_bench.sh, with programs built here.
#
# Why a kit: the lent GPU machine has CUDA (the driver, cuBLAS) but none of our Debian
# libraries (HDF5, yajl, zstd, OpenBLAS, Criterion, Open MPI), no package archive, and a
# C library of unknown age. So the programs travel built, with every library they load
# except CUDA's, glibc and its loader included, and each program is patched (patchelf)
# to use that loader and look in the kit first. The kit unpacks at a fixed path,
# /tmp/tgkit, because a program's loader is named by an absolute path; it does not use
# LD_LIBRARY_PATH, which would hand our glibc to the machine's own shell and tools.
#
#   bench/gpu_kit.sh pack [BUILD]   here: writes .gpukit/kit.tar.gz from BUILD (default
#                                   build, configured with the CUDA backend); needs
#                                   patchelf (apt-get install patchelf)
#   bench/gpu_kit.sh run [OUTDIR]   there: unpacks the kit in /tmp/tgkit, links in the
#                                   machine's CUDA libraries, runs the checks; the whole
#                                   log goes to OUTDIR/gpu.log (default $OUT, else .)
#
# The device call, after `pack` here:
#   run(command: 'sh bench/gpu_kit.sh run "$OUT"', carry: [".gpukit"], timeout_s: 540)
# `run` works without a GPU too (as here): the parity tests then report themselves
# skipped and the bench says it measured nothing, which checks the kit itself.
set -eu

kit=/tmp/tgkit
# what runs there, relative to the build folder
progs="train/train train/predict synth/synth ingest/ingest aggregate/aggregate store/store
bench/train_gpu_bench tests/train/test_train_mlp_cuda tests/train/test_train_net_cuda"
# CUDA's libraries and the driver come from the machine: theirs match its driver
cuda_libs="libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcuda.so.1"

die() { echo "gpu_kit.sh: $*" >&2; exit 1; }

pack() {
    build=${1:-build}
    [ -f "$build/train/libtgcuda.so" ] ||
        die "$build has no CUDA backend (train/libtgcuda.so): configure where nvcc and cuBLAS are"
    command -v patchelf >/dev/null || die "needs patchelf (apt-get install patchelf)"
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage/tgkit/lib" "$stage/tgkit/bin" "$stage/tgkit/bench"
    for p in $progs train/libtgcuda.so; do
        [ -f "$build/$p" ] || die "$build/$p is not built"
        mkdir -p "$stage/tgkit/build/$(dirname "$p")"
        cp "$build/$p" "$stage/tgkit/build/$p"
    done
    cp /usr/bin/time "$stage/tgkit/bin/time"   # GNU time, for the bench's peak RSS
    cp bench/train_gpu_bench.sh "$stage/tgkit/bench/"

    # Every library the programs load, and those CUDA's libraries and the driver load
    # (libdl, librt, libpthread: glibc 2.34 folded them into libc, but CUDA still names
    # them), found by ldd here; CUDA's own stay behind.
    cudadir=$(dirname "$(ldd "$build/train/libtgcuda.so" | awk '/libcublas.so/ { print $3 }')")
    for p in $progs train/libtgcuda.so; do echo "$build/$p"; done >"$stage/objs"
    echo /usr/bin/time >>"$stage/objs"
    for l in $cuda_libs; do [ -f "$cudadir/$l" ] && echo "$cudadir/$l"; done >>"$stage/objs"
    missing=$(xargs -n1 ldd <"$stage/objs" | awk '/not found/ && !/libcuda.so.1/')
    [ -z "$missing" ] || die "libraries not found here: $missing"
    xargs -n1 ldd <"$stage/objs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
        sort -u | while read -r lib; do
        case "$(basename "$lib")" in libcuda*|libcublas*|libcudart*) continue ;; esac
        cp -L "$lib" "$stage/tgkit/lib/$(basename "$lib")"
    done
    [ -f "$stage/tgkit/lib/ld-linux-x86-64.so.2" ] || die "no ld-linux-x86-64.so.2 among the libraries"

    # DT_RPATH, not RUNPATH: the programs' path then also serves their libraries' own
    # needs and dlopen (libtgcuda.so and what it loads)
    rpath=$kit/lib:$kit/cuda
    for p in $progs; do
        patchelf --set-interpreter "$kit/lib/ld-linux-x86-64.so.2" --force-rpath \
            --set-rpath "$rpath" "$stage/tgkit/build/$p"
    done
    patchelf --set-interpreter "$kit/lib/ld-linux-x86-64.so.2" --force-rpath \
        --set-rpath "$rpath" "$stage/tgkit/bin/time"
    patchelf --force-rpath --set-rpath "$rpath" "$stage/tgkit/build/train/libtgcuda.so"
    for lib in "$stage"/tgkit/lib/*; do
        case "$(basename "$lib")" in ld-linux*|libc.so.6) continue ;; esac
        patchelf --force-rpath --set-rpath "$kit/lib" "$lib"
    done

    mkdir -p .gpukit
    tar -C "$stage" -czf .gpukit/kit.tar.gz tgkit
    echo "gpu_kit.sh: .gpukit/kit.tar.gz, $(du -k .gpukit/kit.tar.gz | cut -f1) KB, from $build at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
}

# The path of a CUDA library on this machine: the loader's cache, then where CUDA,
# the driver and pip's nvidia packages put them.
find_lib() {
    f=$(ldconfig -p 2>/dev/null | awk -v n="$1" '$1 == n && /x86-64/ { print $NF; exit }')
    [ -n "$f" ] && [ -e "$f" ] && { echo "$f"; return 0; }
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 \
        /usr/lib/x86_64-linux-gnu /usr/lib64; do
        [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    f=$(find /usr /opt -name "$1" 2>/dev/null | head -1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    return 1
}

checks() {
    echo "== machine: $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    else
        echo "no nvidia-smi"
    fi
    for l in $cuda_libs; do
        if f=$(find_lib "$l"); then
            ln -sf "$f" "$kit/cuda/$l"
            echo "$l: $f"
        else
            echo "$l: not found on this machine"
        fi
    done
    echo "== a CPU run through the kit (synth, ingest, aggregate, train 1 epoch)"
    d=$kit/smoke
    mkdir -p "$d"
    "$kit/build/synth/synth" -q --albums 60 --traces 60000 -o "$d/t.ndjson"
    "$kit/build/ingest/ingest" -q "$d/t.ndjson" -o "$d/i.h5"
    "$kit/build/aggregate/aggregate" -q "$d/i.h5" -o "$d/s.h5"
    "$kit/build/train/train" "$d/s.h5" -o "$d/m.h5" --predictions "$d/p.h5" --steps 4 \
        --epochs 1 --backend cpu --force 2>&1 | tail -3
    echo "== parity tests (exit 0: passed, 77: skipped, no device)"
    for t in test_train_mlp_cuda test_train_net_cuda; do
        rc=0
        timeout 300 "$kit/build/tests/train/$t" --verbose || rc=$?
        echo "$t: exit $rc"
    done
    echo "== bench/train_gpu_bench.sh"
    rc=0
    TMPDIR=/tmp TG_TIME=$kit/bin/time sh "$kit/bench/train_gpu_bench.sh" "$kit/build" 2 || rc=$?
    echo "train_gpu_bench.sh: exit $rc"
}

run() {
    out=${1:-${OUT:-.}}
    [ -f .gpukit/kit.tar.gz ] || die "no .gpukit/kit.tar.gz: run 'bench/gpu_kit.sh pack' first"
    mkdir -p "$out"
    rm -rf "$kit"
    tar -C /tmp -xzf .gpukit/kit.tar.gz
    mkdir -p "$kit/cuda"
    checks 2>&1 | tee "$out/gpu.log"
}

case "${1:-}" in
pack) shift; pack "$@" ;;
run) shift; run "$@" ;;
*) echo "usage: bench/gpu_kit.sh pack [BUILD] | run [OUTDIR]" >&2; exit 2 ;;
esac
