#!/usr/bin/python3
"""signal_check.py - is synth's planted signal learnable, and does time help?

A stand-in until the C trainer exists: one-vs-rest logistic regression (numpy, full
batch, Adam) on log1p(nusers) per (step bin, city) of the C_TOP most active cities, for
several nbSteps, on an 80/20 split of the labeled albums (genres with >= 5 albums).
Prints test MAP (mean over genres with a positive in the test set) per nbSteps.

usage: /usr/bin/python3 bench/signal_check.py traces.ndjson [steps ...]
(Debian's python3-numpy; the `python3` first on PATH may lack numpy.)
"""
import datetime
import json
import sys

import numpy as np

import os
C_TOP = int(os.environ.get("C_TOP", "200"))
WINDOW = 358


def day(s):
    return datetime.date.fromisoformat(s).toordinal()


def load(path):
    albums, rows = {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if "loc_city" in r:
                rows.append((str(r["album_id"]), day(r["date"]), r["loc_city"], r["nusers"]))
            else:
                albums[str(r["album_id"])] = (day(r["release_date"]), r.get("genres", []))
    return albums, rows


def average_precision(y, s):
    # scikit-learn's definition: ties form one step
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, len(s) - 1]
    tps = np.cumsum(y)[idx]
    fps = idx + 1 - tps
    prec = tps / (tps + fps)
    rec = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0, rec]) * prec))


def main():
    path = sys.argv[1]
    steps_list = [int(x) for x in sys.argv[2:]] or [1, 4, 28]
    albums, rows = load(path)
    counts = {}
    for _, genres in albums.values():
        for g in genres:
            counts[g] = counts.get(g, 0) + 1
    kept = sorted(g for g, n in counts.items() if n >= 5)
    ids = sorted(a for a, (_, gs) in albums.items() if any(g in kept for g in gs))
    index = {a: i for i, a in enumerate(ids)}
    Y = np.zeros((len(ids), len(kept)), dtype=np.float32)
    for a in ids:
        for g in albums[a][1]:
            if g in kept:
                Y[index[a], kept.index(g)] = 1
    city_rows = {}
    for _, _, c, _ in rows:
        city_rows[c] = city_rows.get(c, 0) + 1
    top = sorted(city_rows, key=lambda c: -city_rows[c])[:C_TOP]
    cidx = {c: i for i, c in enumerate(top)}
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(ids))
    test = perm[: len(ids) // 5]
    train = perm[len(ids) // 5:]
    for steps in steps_list:
        X = np.zeros((len(ids), steps * C_TOP), dtype=np.float32)
        for a, d, c, n in rows:
            i = index.get(a)
            if i is None or c not in cidx:
                continue
            s = d - albums[a][0]
            if 0 <= s < WINDOW:
                X[i, (s * steps // WINDOW) * C_TOP + cidx[c]] += n
        X = np.log1p(X)
        X /= X[train].std() + 1e-9
        W = np.zeros((X.shape[1], len(kept)), dtype=np.float32)
        b = np.zeros(len(kept), dtype=np.float32)
        m = [np.zeros_like(W), np.zeros_like(b)]
        v = [np.zeros_like(W), np.zeros_like(b)]
        lr, l2 = 1e-2, 1e-3
        for t in range(1, 301):
            p = 1 / (1 + np.exp(-(X[train] @ W + b)))
            g = (p - Y[train]) / len(train)
            grads = [X[train].T @ g + l2 * W, g.sum(0)]
            for k, (param, grad) in enumerate(zip((W, b), grads)):
                m[k] = 0.9 * m[k] + 0.1 * grad
                v[k] = 0.999 * v[k] + 0.001 * grad * grad
                param -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
        S = X[test] @ W + b
        aps = [average_precision(Y[test, j], S[:, j]) for j in range(len(kept)) if Y[test, j].sum() > 0]
        print(f"nbSteps {steps:3d}: test MAP {np.mean(aps):.3f} over {len(aps)} genres "
              f"({len(train)} train, {len(test)} test albums, {C_TOP} cities)", flush=True)


if __name__ == "__main__":
    main()
