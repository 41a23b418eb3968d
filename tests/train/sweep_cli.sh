#!/bin/sh
# sweep_cli.sh TRAIN TOY_STORE - train's nbSteps sweep end to end on the toy store: its
# numbers are those of single `train --steps N` runs with the same seed (the test
# scores bit for bit, MAP and macro F1 as printed), bad lists and contradicting options
# are usage errors (exit 2), a model that is not built or does not fit is a skipped row
# (exit 0), the HTML page is well-formed and self-contained, and a rerun says up to date.
set -u
train=$(realpath "$1")
toy=$(realpath "$2")
dir=$(mktemp -d /tmp/tg-sweep-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$toy" "$dir/store.h5" 200 || fail "toy store"
cd "$dir" || exit 1
common="store.h5 --epochs 4 --hidden 32 --lr 0.01 --threads 1"
py=/usr/bin/python3
have_h5py=0
$py -c 'import h5py' 2>/dev/null && have_h5py=1

# usage errors: each a clear message and exit 2, nothing written
for bad in "" "0" "5-3" "a" "1,,2" "3-" "1.5" "100001" "2,x"; do
    "$train" $common --sweep-steps "$bad" 2>err; rc=$?
    [ $rc -eq 2 ] || fail "--sweep-steps '$bad' exits $rc, not 2"
    grep -q -- "--sweep-steps '$bad'" err || fail "--sweep-steps '$bad': message names it: $(cat err)"
done
"$train" $common --sweep-steps 4,21 2>err; [ $? -eq 2 ] || fail "a step beyond the store's"
grep -q "has 20 steps" err || fail "names the store's steps: $(cat err)"
"$train" $common --models mlp,rnn 2>err; [ $? -eq 2 ] || fail "unknown model"
grep -q "'rnn' is not a model" err || fail "names the model: $(cat err)"
"$train" $common --sweep-steps 4 --steps 4 2>err; [ $? -eq 2 ] || fail "--steps in a sweep"
"$train" $common --sweep-steps 4 -o m.h5 2>err; [ $? -eq 2 ] || fail "-o in a sweep"
grep -q -- "-o is for a single run" err || fail "says why: $(cat err)"
"$train" $common --sweep-out s --resume 2>/dev/null; [ $? -eq 2 ] || fail "--resume in a sweep"
[ -e sweep ] || [ -e s ] && fail "nothing written on bad usage"

# a 2-point sweep and the two single runs it stands for
"$train" $common --sweep-steps 10,4 --sweep-out sw >table 2>log || fail "sweep: $(cat log)"
[ "$(grep -c '^mlp ' table)" -eq 2 ] || fail "two rows: $(cat table)"
for n in 4 10; do
    "$train" $common --steps $n -o m$n.h5 --predictions p$n.h5 2>log$n || fail "train --steps $n"
    # the last epoch's line: epoch, train loss, test loss, test MAP, macro F1
    want=$(awk '$1 == 4 { print $4, $5 }' log$n)
    got=$(awk -v n=$n '$1 == "mlp" && $2 == n { print $3, $4 }' table)
    [ -n "$want" ] && [ "$want" = "$got" ] || fail "steps $n: sweep MAP, F1 '$got', train '$want'"
    csv=$(awk -F, -v n=$n '$1 == "mlp" && $2 == n { printf "%.4f %.4f", $4, $6 }' sw/sweep.csv)
    [ "$csv" = "$want" ] || fail "steps $n: CSV '$csv', train '$want'"
    [ -f sw/predictions-mlp-$n.h5 ] || fail "the point's predictions"
    if [ $have_h5py -eq 1 ]; then
        $py - sw/predictions-mlp-$n.h5 p$n.h5 <<'PY' || fail "steps $n: scores differ from train's"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for k in ("scores", "labels", "album_id"):
    assert np.array_equal(a[k][()], b[k][()]), k
PY
    fi
done

# Make-style: the same inputs are up to date; a changed option, --force or a deleted
# output redo it
"$train" $common --sweep-steps 4,10 --sweep-out sw >/dev/null 2>log || fail "rerun"
grep -q "up to date" log || fail "rerun is up to date: $(cat log)"
for f in sweep.csv sweep.json sweep.html; do [ -f sw/$f.prov ] || fail "$f.prov"; done
grep -q "^param sweep_steps=4,10$" sw/sweep.json.prov || fail "the list in the provenance"
grep -q '"provenance": "tracegenre-provenance 1' sw/sweep.json || fail "provenance in the JSON"
"$train" $common --sweep-steps 4,10 --sweep-out sw --seed 2 >/dev/null 2>log || fail "seed 2"
grep -q "up to date" log && fail "a changed option redoes the sweep"
"$train" $common --sweep-steps 4,10 --sweep-out sw --seed 2 --force >/dev/null 2>log || fail "force"
grep -q "up to date" log && fail "--force redoes the sweep"
rm sw/sweep.html
"$train" $common --sweep-steps 4,10 --sweep-out sw --seed 2 >/dev/null 2>log || fail "deleted"
[ -f sw/sweep.html ] || fail "a deleted output is written again"

# skipped rows: a model that does not fit at some steps (1 MB: hidden 1024 fits at 1
# step, 24k inputs, not at 20), and every other kind, built or not
"$train" $common --hidden 1024 --mem 1M --sweep-steps 1,20 --sweep-out mem >table 2>log \
    || fail "a point that does not fit is no failure: $(cat log)"
grep -q "^mlp  *1  *[0-9]" table || fail "fits at 1 step: $(cat table)"
grep -q "^mlp  *20  *skipped .*lower --steps (now 20) or --hidden (now 1024)" table \
    || fail "skipped at 20 with the reason: $(cat table)"
grep -q '^mlp,20,skipped,.*raise --mem' mem/sweep.csv || fail "the reason in the CSV"
"$train" $common --models mlp,logreg,cnn,factorized --sweep-steps 2,20 --sweep-out all \
    >table 2>log || fail "every model: $(cat log)"
[ "$(grep -c '^mlp  *[0-9]*  *[0-9]' table)" -eq 2 ] || fail "mlp trained: $(cat table)"
for m in logreg cnn factorized; do
    [ "$(grep -c "^$m " table)" -eq 2 ] || fail "$m has its two rows: $(cat table)"
    grep "^$m " table | grep -v -q -E "^$m +[0-9]+ +([0-9]|skipped \(.*\): .)" \
        && fail "$m: a row neither trained nor skipped with a reason: $(cat table)"
done
if grep -q "is not built" table; then echo "unbuilt models appear as skipped rows"; fi

# the default list: 1 to 30 capped at the store's 20 steps
"$train" store.h5 --epochs 1 --hidden 8 --threads 1 --sweep-out def >table 2>log \
    || fail "default list: $(cat log)"
[ "$(grep -c '^mlp ' table)" -eq 20 ] || fail "1 to 20: $(cat table)"

# the page: well-formed, self-contained, the table and one chart per metric, a line
# (or lone markers) per model; the JSON parses and has every row
$py - all/sweep.html all/sweep.json <<'PY' || fail "sweep.html / sweep.json"
import json, re, sys
import xml.etree.ElementTree as ET
X, S = "{http://www.w3.org/1999/xhtml}", "{http://www.w3.org/2000/svg}"
html = open(sys.argv[1], encoding="utf-8").read()
root = ET.fromstring(html)
assert not re.search(r"<script|<link|<img|\bsrc=|url\(|@import", html), "external resource"
assert not re.search(r'href="(?!#)', html), "a link out"
ids = [s.get("id") for s in root.iter(X + "section")]
want = ["table", "map", "macro-f1", "soft-accuracy", "hamming-score", "exact-match",
        "hamming-loss", "seconds"]
assert ids == want, ids
for s in root.iter(X + "section"):
    svgs = s.findall(S + "svg")
    assert len(svgs) == (0 if s.get("id") == "table" else 1), (s.get("id"), len(svgs))
    for svg in svgs:
        texts = ["".join(t.itertext()) for t in svg.iter(S + "text")]
        assert "nbSteps" in texts, texts
        for m in ("mlp", "logreg", "cnn", "factorized"):
            assert any(t.startswith(m) for t in texts), (m, texts)
        assert svg.findall(S + "polyline"), "mlp's line"
doc = json.load(open(sys.argv[2]))
rows = doc["rows"]
assert len(rows) == 8, len(rows)
assert [(r["model"], r["steps"]) for r in rows][:2] == [("mlp", 2), ("mlp", 20)]
for r in rows:
    assert r["status"] in ("ok", "skipped"), r
    assert (r["test_map"] is None) == (r["status"] == "skipped"), r
    assert r["status"] == "ok" or r["reason"], r
PY
ls -a . sw all | grep -q 'tmp-' && fail "temporary left behind"
echo ok
