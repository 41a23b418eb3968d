#!/usr/bin/python3
"""torch_peer.py - the peer the C trainer is measured against: the report's MLP trained
with PyTorch on the CPU, timed per step over one epoch-equivalent of batches.

    /usr/bin/python3 bench/torch_peer.py [--hidden 256 2800] [--steps 62] [--input both]

Debian's python3-torch (1.13). The shape is the report's at nbSteps 28: 75124 inputs
(steps x cities), hidden 256 or 2800, 27 genres, batches of 20 rows, 62 steps (one
epoch), each row ~700 non-zeros (log1p of counts at random columns), random 0/1 labels.
One step is what a PyTorch user writes: zero_grad, forward, BCEWithLogitsLoss (mean),
backward, torch.optim.Adam(lr=1e-3) step over all parameters (dense Adam).

Two ways to feed the sparse rows, both timed unless --input says otherwise:
  dense:  each batch densified to a [20, 75124] float32 tensor, nn.Linear layers (the
          common way: DataLoader rows from scipy .toarray() or torch.zeros + index)
  sparse: each batch a torch.sparse_coo_tensor, first layer torch.sparse.mm(X, W1) with
          W1 [inputs, hidden] a Parameter (W1's gradient is still dense)
Batches are built before the clock starts; the time is the training steps only. The first
--warmup steps (not counted) let the allocator and thread pool settle.

Measured 2026-11-25 12:43 UTC, 2-core AMD EPYC VM (x86_64, AVX-512), 23 GiB, Debian 12,
torch 1.13.1 (Debian, OpenBLAS pthread), 2 threads, 62 steps, peak RSS 5.3 GiB:
    input   hidden  s/step   s/epoch
    dense      256  0.341     21.1
    sparse     256  0.382     23.7
    dense     2800  3.01     186.8
    sparse    2800  3.39     210.1
Measured again 2026-12-03 17:56 UTC, same VM, nothing beside it (peak RSS 5.3 GiB; the
VM was faster that day: train's own epochs too):
    input   hidden  s/step   s/epoch
    dense      256  0.156      9.68
    sparse     256  0.126      7.78
    dense     2800  1.70     105.1
    sparse    2800  1.71     106.0
At hidden 2800 a separate breakdown (dense, 4 steps, 2026-11-25) put Adam at ~2.5 s of a step
(1.13's single-tensor Adam makes several passes over 210 M floats), forward 0.6 s,
backward 1.1 s; that run's steps were slower than the table's (a shared VM is noisy).
"""
import argparse
import platform
import time

import numpy as np
import torch

INPUTS, GENRES, BATCH = 75124, 27, 20


def make_batches(rng, steps, nnz):
    batches = []
    for _ in range(steps):
        rows, cols, vals = [], [], []
        for b in range(BATCH):
            n = max(1, int(rng.normal(nnz, nnz / 10)))
            c = np.sort(rng.choice(INPUTS, size=n, replace=False))
            rows.append(np.full(n, b))
            cols.append(c)
            vals.append(np.log1p(rng.integers(1, 50, size=n)).astype(np.float32))
        idx = torch.from_numpy(np.stack([np.concatenate(rows), np.concatenate(cols)]))
        val = torch.from_numpy(np.concatenate(vals))
        y = torch.from_numpy((rng.random((BATCH, GENRES)) < 0.15).astype(np.float32))
        batches.append((idx, val, y))
    return batches


class DenseMLP(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc1 = torch.nn.Linear(INPUTS, hidden)
        self.fc2 = torch.nn.Linear(hidden, GENRES)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SparseMLP(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        bound = 1 / INPUTS ** 0.5
        self.W1 = torch.nn.Parameter(torch.empty(INPUTS, hidden).uniform_(-bound, bound))
        self.b1 = torch.nn.Parameter(torch.empty(hidden).uniform_(-bound, bound))
        self.fc2 = torch.nn.Linear(hidden, GENRES)

    def forward(self, x):
        return self.fc2(torch.relu(torch.sparse.mm(x, self.W1) + self.b1))


def run(mode, hidden, batches, warmup):
    if mode == 'dense':
        model = DenseMLP(hidden)
        xs = [torch.sparse_coo_tensor(i, v, (BATCH, INPUTS)).to_dense() for i, v, _ in batches]
    else:
        model = SparseMLP(hidden)
        xs = [torch.sparse_coo_tensor(i, v, (BATCH, INPUTS)).coalesce() for i, v, _ in batches]
    ys = [y for _, _, y in batches]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step(k):
        opt.zero_grad()
        loss = loss_fn(model(xs[k % len(xs)]), ys[k % len(ys)])
        loss.backward()
        opt.step()
        return loss.item()

    for k in range(warmup):
        step(k)
    t0 = time.perf_counter()
    for k in range(len(xs)):
        last = step(k)
    dt = time.perf_counter() - t0
    return dt / len(xs), dt, last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--hidden', type=int, nargs='+', default=[256, 2800])
    ap.add_argument('--steps', type=int, default=62, help='timed steps (one epoch: 62)')
    ap.add_argument('--nnz', type=int, default=700, help='mean non-zeros a row')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--input', choices=['dense', 'sparse', 'both'], default='both')
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    batches = make_batches(np.random.default_rng(a.seed), a.steps, a.nnz)
    modes = ['dense', 'sparse'] if a.input == 'both' else [a.input]
    print(f'# torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'{platform.processor() or platform.machine()}, {time.strftime("%Y-%m-%d %H:%M %Z")}')
    print(f'# inputs {INPUTS}, genres {GENRES}, batch {BATCH}, steps {a.steps}, '
          f'~{a.nnz} non-zeros a row, Adam lr 1e-3')
    print('input   hidden  s/step   s/epoch  last_loss')
    for hidden in a.hidden:
        for mode in modes:
            per, total, last = run(mode, hidden, batches, a.warmup)
            print(f'{mode:7s} {hidden:6d}  {per:7.4f}  {total:7.2f}  {last:.4f}', flush=True)


if __name__ == '__main__':
    main()
