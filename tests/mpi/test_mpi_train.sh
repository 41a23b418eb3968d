#!/bin/sh
# test_mpi_train.sh HAVE_MPI MPIRUN TRAIN TOY_STORE - data-parallel train under mpirun
# -n 1, 2, 3, 4 against the single-process run on a small store: the same loss curve and
# test metrics (within the tolerance below: only the order of float sums differs), the
# same weights within 1e-4, a sample-weighted run alike; a rank killed mid-run fails the
# job and leaves no output, and the rerun gives the undisturbed result.
# Skipped (77) when the build has no MPI.
set -u
[ "$1" = true ] || { echo "MPI not built: skipped"; exit 77; }
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
mpirun=$2 train=$(abs "$3") toy=$(abs "$4") here=$(dirname "$(abs "$0")")
dir=$(mktemp -d /tmp/tg-mpi-train-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$dir" || fail "cd"
# as root, more ranks than cores, sanitizer settings for every rank: mpi N CMD...
. "$here/mpi_env.sh"

"$toy" store.h5 200 || fail "toy store"
common="store.h5 --epochs 3 --hidden 32 --lr 0.01 --threads 1 --force"
rows() { awk '$1 ~ /^[0-9]+$/ && NF >= 7 { print $1, $2, $3, $4, $5 }' "$1"; }
# Tolerance: the same options and seed on P ranks differ from one process only in the
# order in which the batch's gradient rows are summed (per rank, then across ranks):
# float32 rounding, 1e-6 after 3 epochs here. Losses must agree within 1e-4 (relative),
# test MAP and macro F1 within 0.01, every weight within 1e-4.
same_curve() { # single.log parallel.log
    rows "$1" >a.rows; rows "$2" >b.rows
    [ "$(wc -l <a.rows)" -eq 3 ] && [ "$(wc -l <b.rows)" -eq 3 ] || return 1
    paste a.rows b.rows | awk '{
        for (k = 2; k <= 3; k++) { d = $k - $(k + 5); if (d < 0) d = -d
            m = $k < 0 ? -$k : $k; if (d > 1e-4 * (m > 1 ? m : 1)) exit 1 }
        for (k = 4; k <= 5; k++) { d = $k - $(k + 5); if (d < 0) d = -d; if (d > 0.01) exit 1 }
    }'
}
weights_close() { # a.h5 b.h5
    /usr/bin/python3 -c 'import h5py' 2>/dev/null || return 0
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
d = max(float(np.abs(a[k][()] - b[k][()]).max()) for k in ("W1", "b1", "W2", "b2"))
sys.exit(0 if d <= 1e-4 else 1)
PY
}

"$train" $common -o m1.h5 --predictions p1.h5 2>single.log || fail "single: $(cat single.log)"
for n in 1 2 3 4; do
    mpi "$n" "$train" $common -o "m$n-mpi.h5" --predictions "p$n-mpi.h5" 2>"mpi$n.log" ||
        fail "mpirun -n $n: $(cat "mpi$n.log")"
    same_curve single.log "mpi$n.log" || fail "P=$n: another curve: $(cat "mpi$n.log")"
    weights_close m1.h5 "m$n-mpi.h5" || fail "P=$n: other weights"
    [ -e "p$n-mpi.h5" ] || fail "P=$n: no predictions"
done
grep -q "data parallel over 4 ranks" mpi4.log || fail "says it runs data parallel"
grep -q "comm" mpi2.log || fail "prints the communication share"
[ "$(grep -c 'wrote' mpi4.log)" -eq 1 ] || fail "rank 0 alone speaks: $(cat mpi4.log)"

# a loss weighted per album (sample-weight) splits over ranks alike
"$train" $common --balance sample-weight -o w1.h5 --predictions q1.h5 2>w1.log || fail "weighted"
mpi 3 "$train" $common --balance sample-weight -o w3.h5 --predictions q3.h5 2>w3.log ||
    fail "weighted, 3 ranks: $(cat w3.log)"
same_curve w1.log w3.log || fail "weighted curve differs on 3 ranks"

# a sweep is one process's work: refused under mpirun as bad usage
mpi 2 "$train" store.h5 --sweep-steps 1,2 --sweep-out sw 2>sweep.err
[ $? -eq 2 ] || fail "a sweep under mpirun must be a usage error: $(cat sweep.err)"
grep -q "not under mpirun" sweep.err || fail "says why: $(cat sweep.err)"
[ -e sw ] && fail "the refused sweep wrote something"

# up to date: rank 0 decides for all
mpi 2 "$train" store.h5 --epochs 3 --hidden 32 --lr 0.01 --threads 1 -o m2-mpi.h5 \
    --predictions p2-mpi.h5 2>up.log || fail "rerun"
grep -q "up to date" up.log || fail "up to date under mpirun: $(cat up.log)"

# rank 1 dies after training, before rank 0 writes: the job fails, nothing is written
TG_MPI_TEST_KILL=train:1:trained mpi 2 "$train" $common -o k.h5 --predictions kp.h5 \
    2>kill.log && fail "a killed rank must fail the job"
[ -e k.h5 ] || [ -e kp.h5 ] && fail "a failed job left an output"
ls -a | grep -q 'tmp-' && fail "a temporary was left behind"
mpi 2 "$train" $common -o k.h5 --predictions kp.h5 2>/dev/null || fail "rerun after the kill"
# the undisturbed run, under the same names (predictions.h5 records the model's path)
mkdir u && (cd u && mpi 2 "$train" ../store.h5 --epochs 3 --hidden 32 --lr 0.01 --threads 1 \
    --force -o k.h5 --predictions kp.h5 2>/dev/null) || fail "undisturbed run"
weights_close u/k.h5 k.h5 || fail "the rerun is not the undisturbed run"
cmp -s u/kp.h5 kp.h5 || fail "the rerun's predictions differ from the undisturbed run's"
echo ok
