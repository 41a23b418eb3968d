#!/bin/sh
# sweep_cli.sh TRAIN TOY_STORE - train's nbSteps sweep end to end on the toy store: its
# numbers are those of single `train --steps N` runs with the same seed (the test
# scores bit for bit, MAP and macro F1 as printed), bad lists and contradicting options
# are usage errors (exit 2), a model that is not built or does not fit is a skipped row
# (exit 0), the HTML page is well-formed and self-contained, a rerun says up to date,
# and a sweep killed after some points resumes: it trains only the missing ones, takes
# the others (with the timings measured then) from their records, and writes the table
# of an uninterrupted sweep; a changed option, store or --force trains them again, and
# a damaged or foreign record is trained again with a warning.
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
# Resume. A sweep killed right after its second point (TG_SWEEP_TEST_KILL raises
# SIGKILL there) left two records; the rerun trains the four others only and writes the
# table an uninterrupted sweep writes (the timing columns aside: they are the ones
# measured when each point was trained). Non-trivial numbers: one epoch, a small lr.
cp store.h5 st.h5
rs="st.h5 --epochs 1 --hidden 8 --lr 0.001 --threads 1 --models mlp,logreg --sweep-steps 2,5,20"
trained() { grep -c 's/epoch, peak RSS' "$1"; }
taken() { grep -c 'trained before (its record in' "$1"; }
# the table without the timing columns (s/epoch, peak RSS, seconds)
metrics() { cut -d, -f1-11,15- "$1"; }
same_as_full() { # DIR: the metric columns, JSON rows and every point's predictions
    [ "$(metrics "$1/sweep.csv")" = "$(metrics full/sweep.csv)" ] \
        || fail "$1: sweep.csv differs from an uninterrupted sweep's: $(diff "$1/sweep.csv" full/sweep.csv)"
    $py - "$1/sweep.json" full/sweep.json <<'PY' || fail "$1: sweep.json differs from an uninterrupted sweep's"
import json, re, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# the store's mtime as it is now: a touched store (same bytes) has another
for d in (a, b):
    d["provenance"] = re.sub(r"mtime_ns=[0-9]+ ", "", d["provenance"])
timing = ("seconds_per_epoch", "peak_rss_bytes", "seconds")
strip = lambda d: [{k: v for k, v in r.items() if k not in timing} for r in d.pop("rows")]
ra, rb = strip(a), strip(b)
assert ra == rb, (ra, rb)
assert a == b, (a, b)
PY
    for m in mlp logreg; do for n in 2 5 20; do
        cmp -s "$1/predictions-$m-$n.h5" full/predictions-$m-$n.h5 \
            || fail "$1: predictions-$m-$n.h5 differs from an uninterrupted sweep's"
    done; done
}
"$train" $rs --sweep-out full >/dev/null 2>log || fail "uninterrupted sweep: $(cat log)"
[ "$(trained log)" -eq 6 ] || fail "six points trained: $(cat log)"
TG_SWEEP_TEST_KILL=2 "$train" $rs --sweep-out res >/dev/null 2>log; rc=$?
[ $rc -eq 137 ] || fail "the killed sweep exits $rc, not 137: $(cat log)"
ls res | sort | tr '\n' ' ' >listing
[ "$(cat listing)" = "point-mlp-2.txt point-mlp-5.txt predictions-mlp-2.h5 predictions-mlp-5.h5 " ] \
    || fail "killed after two points: two records and their predictions, no table: $(cat listing)"
grep -q '^param seed=1$' res/point-mlp-5.txt && grep -q '^param steps=5$' res/point-mlp-5.txt \
    && grep -q '^input .* path=st.h5$' res/point-mlp-5.txt || fail "the record's provenance"
stamp() { stat -c %y res/point-mlp-2.txt res/point-mlp-5.txt res/predictions-mlp-2.h5 res/predictions-mlp-5.h5; }
stamp >before
"$train" $rs --sweep-out res >/dev/null 2>log || fail "resumed sweep: $(cat log)"
[ "$(taken log)" -eq 2 ] && [ "$(trained log)" -eq 4 ] \
    || fail "resume takes two points and trains four: $(cat log)"
grep -q 'sweep 1/6: mlp at 2 steps: trained before' log && grep -q 'sweep 2/6: mlp at 5 steps: trained before' log \
    || fail "the two recorded points are taken: $(cat log)"
grep -q "resumed: 2 points taken from res's records, 4 trained" log || fail "says it resumed: $(cat log)"
stamp | cmp -s - before || fail "the recorded points were written again"
same_as_full res
# a taken row's timings are those of its record, not new ones
for k in seconds_per_epoch:12 peak_rss:13 seconds:14; do
    rec=$(sed -n "s/^output result .* ${k%:*}=\([^ ]*\).*/\1/p" res/point-mlp-5.txt)
    csv=$(awk -F, -v c=${k#*:} '$1 == "mlp" && $2 == 5 { print $c }' res/sweep.csv)
    [ -n "$rec" ] && [ "$rec" = "$csv" ] || fail "${k%:*}: CSV '$csv', record '$rec'"
done
"$train" $rs --sweep-out res >/dev/null 2>log && grep -q "up to date" log || fail "resumed, then up to date"
ls -a res | grep -q 'tmp-' && fail "a temporary left by the kill"

# The table lost, the store touched (same bytes): every point from its record.
rm res/sweep.csv
touch st.h5
"$train" $rs --sweep-out res >/dev/null 2>log || fail "from records: $(cat log)"
[ "$(taken log)" -eq 6 ] && [ "$(trained log)" -eq 0 ] || fail "six points from records: $(cat log)"
same_as_full res

# Damaged and foreign records: trained again, with a warning where the file is not a
# good record; a record of another point (its steps differ) and a point whose
# predictions file is gone: trained again, no warning.
echo junk >res/point-mlp-2.txt
: >res/point-mlp-20.txt
head -c 300 res/point-mlp-5.txt >cut && mv cut res/point-mlp-5.txt
sed 's/ map_genres=/ map_genres=x/' res/point-logreg-2.txt >bad && mv bad res/point-logreg-2.txt
cp res/point-logreg-20.txt res/point-logreg-5.txt
rm res/predictions-logreg-20.h5 res/sweep.csv
"$train" $rs --sweep-out res >/dev/null 2>log || fail "damaged records are no failure: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 6 ] || fail "every damaged point trained: $(cat log)"
[ "$(grep -c 'warning: res/point-.* the point is trained again' log)" -eq 4 ] \
    || fail "four warnings: $(cat log)"
grep -q 'warning: res/point-mlp-2.txt is not a sweep point record' log || fail "junk: $(cat log)"
grep -q 'warning: res/point-mlp-20.txt is not a sweep point record' log || fail "empty: $(cat log)"
grep -q 'warning: res/point-mlp-5.txt is damaged' log || fail "truncated: $(cat log)"
grep -q 'warning: res/point-logreg-2.txt is damaged' log || fail "bad number: $(cat log)"
grep -q 'point-logreg-5.txt\|point-logreg-20.txt' log && fail "no warning for another point's record: $(cat log)"
same_as_full res
grep -q '^param steps=5$' res/point-logreg-5.txt || fail "the foreign record replaced"
# a record whose parameter count is not the model's; one that cannot be opened (not
# as root, who opens it anyway)
sed 's/ params=[0-9]*/ params=7/' res/point-mlp-20.txt >bad && mv bad res/point-mlp-20.txt
want=1
if [ "$(id -u)" -ne 0 ]; then chmod 000 res/point-logreg-2.txt; want=2; fi
rm res/sweep.csv
"$train" $rs --sweep-out res >/dev/null 2>log || fail "damaged records: $(cat log)"
[ "$(trained log)" -eq $want ] && [ "$(taken log)" -eq $((6 - want)) ] \
    || fail "$want points trained again: $(cat log)"
grep -q 'warning: res/point-mlp-20.txt is damaged (7 parameters, the model has' log \
    || fail "a wrong parameter count: $(cat log)"
[ $want -eq 1 ] || grep -q 'warning: res/point-logreg-2.txt cannot be opened' log \
    || fail "an unreadable record: $(cat log)"
same_as_full res

# A changed option, --force and a changed store train every point again.
"$train" $rs --sweep-out res --seed 2 >/dev/null 2>log || fail "seed 2: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 6 ] || fail "another seed retrains: $(cat log)"
grep -q '^param seed=2$' res/point-mlp-5.txt || fail "the record of seed 2"
rm res/sweep.csv
"$train" $rs --sweep-out res --seed 2 --force >/dev/null 2>log || fail "force: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 6 ] || fail "--force retrains: $(cat log)"
"$toy" st.h5 201 || fail "toy store"
"$train" $rs --sweep-out res --seed 2 >/dev/null 2>log || fail "another store: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 6 ] || fail "another store retrains: $(cat log)"

# --conv-version: the sweep's factorized points carry it (a version 1 point's record has
# no conv_version, as its model.h5 would not), a point recorded at one version is trained
# again at the other, --conv-version 2 is the default's point, and a version 1 point is
# the single run's; a sweep with no factorized model refuses the option
cv="store.h5 --epochs 1 --lr 0.01 --threads 1 --models factorized --sweep-steps 2 --sweep-out cv"
"$train" $cv >/dev/null 2>log || fail "conv sweep: $(cat log)"
grep -q '^param conv_version=2$' cv/point-factorized-2.txt || fail "version 2's record"
"$train" $cv --conv-version 1 >/dev/null 2>log || fail "--conv-version 1 sweep: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 1 ] || fail "version 1 takes version 2's point: $(cat log)"
grep -q 'conv_version' cv/point-factorized-2.txt && fail "version 1's record names a version"
rm cv/sweep.csv
"$train" $cv --conv-version 1 >/dev/null 2>log || fail "--conv-version 1 again: $(cat log)"
[ "$(taken log)" -eq 1 ] && [ "$(trained log)" -eq 0 ] || fail "version 1's point taken: $(cat log)"
"$train" $cv --conv-version 2 >/dev/null 2>log || fail "--conv-version 2 sweep: $(cat log)"
[ "$(taken log)" -eq 0 ] && [ "$(trained log)" -eq 1 ] || fail "version 2 takes version 1's point: $(cat log)"
rm cv/sweep.csv
"$train" $cv >/dev/null 2>log || fail "default sweep: $(cat log)"
[ "$(taken log)" -eq 1 ] && [ "$(trained log)" -eq 0 ] || fail "--conv-version 2 is the default: $(cat log)"
"$train" $cv --conv-version 1 --sweep-out cv1 >/dev/null 2>log || fail "version 1 sweep: $(cat log)"
"$train" store.h5 --epochs 1 --lr 0.01 --threads 1 --model factorized --steps 2 --conv-version 1 \
    -o cv1.h5 --predictions cv1p.h5 2>log || fail "train --conv-version 1: $(cat log)"
if [ $have_h5py -eq 1 ]; then
    $py - cv1/predictions-factorized-2.h5 cv1p.h5 <<'PY' || fail "a version 1 point's scores differ from train's"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for k in ("scores", "labels", "album_id"):
    assert np.array_equal(a[k][()], b[k][()]), k
PY
fi
"$train" $common --models mlp,logreg --sweep-steps 2 --conv-version 1 2>err; [ $? -eq 2 ] \
    || fail "--conv-version with no factorized model"
grep -q -- "--conv-version is for --model factorized (its conv), which --models does not list" err \
    || fail "says why: $(cat err)"
"$train" $common --epochs 1 --models mlp,factorized --sweep-steps 2 --conv-version 1 --sweep-out mix \
    >/dev/null 2>log || fail "--conv-version applies to a sweep's factorized points: $(cat log)"
grep -q 'conv_version' mix/point-factorized-2.txt && fail "the mixed sweep's conv is version 1"
# so are the other options of one model: each applies to the points it fits (--hidden
# to the MLP's, --embed to the factorized model's), and is bad usage (exit 2) only when
# no model of the sweep is one it fits
"$train" $common --models logreg,factorized --sweep-steps 2 2>err; [ $? -eq 2 ] \
    || fail "--hidden with neither mlp nor cnn"
grep -qxF -- "train: --hidden is for --model mlp or cnn, which --models does not list" err \
    || fail "says why: $(cat err)"
"$train" $common --sweep-steps 2 --embed 4 2>err; [ $? -eq 2 ] || fail "--embed in an mlp sweep"
grep -qxF -- "train: --embed is for --model factorized, not --model mlp" err || fail "says why: $(cat err)"
"$train" $common --epochs 1 --models mlp,factorized --sweep-steps 2 --embed 4 --sweep-out mix2 \
    >/dev/null 2>log || fail "--hidden and --embed in a mixed sweep: $(cat log)"
grep -qx 'param embed=4' mix2/point-factorized-2.txt || fail "--embed applied to the factorized point"
grep -qx 'param hidden=32' mix2/point-mlp-2.txt || fail "--hidden applied to the MLP point"
grep -q 'param embed' mix2/point-mlp-2.txt && fail "--embed is not the MLP's"

ls -a . sw all res cv cv1 mix mix2 | grep -q 'tmp-' && fail "temporary left behind"
echo ok
