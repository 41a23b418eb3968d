#!/usr/bin/python3
"""make_mlp_ref.py - PyTorch's answer for a tiny MLP, written for tests/train/test_mlp_ref.c.

llm.c's habit (STYLE.md section 1): the reference framework computes a small problem once
and writes every intermediate it checks to a file; the C test reads the file and compares,
so the test (and CI) needs no PyTorch. Regenerate with Debian's PyTorch (python3-torch,
1.13) and commit the output:

    /usr/bin/python3 tests/train/ref/make_mlp_ref.py tests/train/ref/mlp_ref.bin

The problem: a CSR batch of B rows over I inputs (about 10 non-zeros a row, values like
log1p of counts), random 0/1 labels over G genres, the report's network
    logits = relu(X W1 + b1) W2 + b2          (nn.Linear, ReLU, nn.Linear)
with initial weights drawn here in numpy (nn.Linear's bounds) and loaded into the
nn.Linear modules (our W1 [I, H] is fc1.weight.T, our W2 [H, G] is fc2.weight.T), and two
losses, nn.BCEWithLogitsLoss with reduction='mean':
    case 0 'plain':    no weights
    case 1 'weighted': pos_weight [G] and weight = sample_weight[:, None] ([B, 1],
                       broadcast over the genres: one weight per row)
For each case: the loss and the four gradients at the initial weights, then K steps of
torch.optim.Adam(lr=LR) on the same batch from the initial weights (fresh optimiser),
recording the loss before each step, and the parameters after the last step.

File layout, little-endian, no padding, read in this order:
  header   int32[8]   magic 0x4652474d ("MGRF"), version 1, I, H, G, B, NNZ, K
           float64[4] Adam lr, beta1, beta2, eps
  indptr   int64[B + 1]
  indices  int32[NNZ]           column of each non-zero, unique and sorted within a row
  values   float32[NNZ]
  labels   uint8[B * G]         row-major
  pos_weight     float32[G]     (case 1)
  sample_weight  float32[B]     (case 1)
  params   float32[P]           initial parameters in tg_mlp's block layout:
                                W1 [I, H], b1 [H], W2 [H, G], b2 [G];  P = I*H + H + H*G + G
  logits   float32[B * G]       at the initial parameters (both cases)
  then for case 0, then case 1:
    loss     float32[1]         at the initial parameters
    grads    float32[P]         d loss / d params, block layout
    losses   float32[K]         loss before Adam step 1 .. K
    final    float32[P]         parameters after K steps, block layout
"""
import struct
import sys

import numpy as np
import torch

MAGIC = 0x4652474D
VERSION = 1
I, H, G, B = 50, 16, 5, 6
NNZ_PER_ROW = 10
K = 5
LR, BETA1, BETA2, EPS = 1e-2, 0.9, 0.999, 1e-8


def make_problem(rng):
    indptr = [0]
    indices, values = [], []
    for _ in range(B):
        n = int(rng.integers(NNZ_PER_ROW - 3, NNZ_PER_ROW + 4))
        cols = np.sort(rng.choice(I, size=n, replace=False))
        counts = rng.integers(1, 40, size=n)
        indices.extend(cols.tolist())
        values.extend(np.log1p(counts).astype(np.float32).tolist())
        indptr.append(len(indices))
    indptr = np.array(indptr, dtype=np.int64)
    indices = np.array(indices, dtype=np.int32)
    values = np.array(values, dtype=np.float32)
    labels = (rng.random((B, G)) < 0.4).astype(np.uint8)
    pos_weight = rng.uniform(0.5, 4.0, size=G).astype(np.float32)
    sample_weight = rng.uniform(0.2, 2.0, size=B).astype(np.float32)
    # nn.Linear's default bounds, 1/sqrt(fan_in), drawn in our [in, out] layout
    b1, b2 = 1 / np.sqrt(I), 1 / np.sqrt(H)
    W1 = rng.uniform(-b1, b1, size=(I, H)).astype(np.float32)
    bias1 = rng.uniform(-b1, b1, size=H).astype(np.float32)
    W2 = rng.uniform(-b2, b2, size=(H, G)).astype(np.float32)
    bias2 = rng.uniform(-b2, b2, size=G).astype(np.float32)
    return indptr, indices, values, labels, pos_weight, sample_weight, (W1, bias1, W2, bias2)


class MLP(torch.nn.Module):
    def __init__(self, W1, bias1, W2, bias2):
        super().__init__()
        self.fc1 = torch.nn.Linear(I, H)
        self.fc2 = torch.nn.Linear(H, G)
        with torch.no_grad():
            self.fc1.weight.copy_(torch.from_numpy(W1.T.copy()))  # [H, I]
            self.fc1.bias.copy_(torch.from_numpy(bias1))
            self.fc2.weight.copy_(torch.from_numpy(W2.T.copy()))  # [G, H]
            self.fc2.bias.copy_(torch.from_numpy(bias2))

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))

    def block(self, grad=False):
        """The parameters (or their gradients) in tg_mlp's block layout."""
        get = (lambda t: t.grad) if grad else (lambda t: t)
        parts = [get(self.fc1.weight).T, get(self.fc1.bias), get(self.fc2.weight).T,
                 get(self.fc2.bias)]
        return np.concatenate([p.detach().contiguous().numpy().ravel() for p in parts])


def run_case(init, X, Y, criterion):
    model = MLP(*init)
    logits = model(X)
    loss = criterion(logits, Y)
    loss.backward()
    out = dict(logits=logits.detach().numpy().ravel(), loss=np.float32(loss.item()),
               grads=model.block(grad=True))
    # K Adam steps from the same initial weights with a fresh optimiser
    model = MLP(*init)
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPS)
    losses = []
    for _ in range(K):
        opt.zero_grad()
        loss = criterion(model(X), Y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    out['losses'] = np.array(losses, dtype=np.float32)
    out['final'] = model.block()
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'mlp_ref.bin'
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20261125)
    indptr, indices, values, labels, pos_weight, sample_weight, init = make_problem(rng)
    # the dense input a PyTorch user builds from the CSR batch
    dense = np.zeros((B, I), dtype=np.float32)
    for b in range(B):
        dense[b, indices[indptr[b]:indptr[b + 1]]] = values[indptr[b]:indptr[b + 1]]
    X = torch.from_numpy(dense)
    Y = torch.from_numpy(labels.astype(np.float32))
    plain = run_case(init, X, Y, torch.nn.BCEWithLogitsLoss())
    weighted = run_case(init, X, Y, torch.nn.BCEWithLogitsLoss(
        weight=torch.from_numpy(sample_weight).view(B, 1), pos_weight=torch.from_numpy(pos_weight)))
    assert np.array_equal(plain['logits'], weighted['logits'])
    params = np.concatenate([a.ravel() for a in init]).astype(np.float32)
    with open(path, 'wb') as f:
        f.write(struct.pack('<8i', MAGIC, VERSION, I, H, G, B, len(indices), K))
        f.write(struct.pack('<4d', LR, BETA1, BETA2, EPS))
        for a, dt in ((indptr, '<i8'), (indices, '<i4'), (values, '<f4'), (labels, 'u1'),
                      (pos_weight, '<f4'), (sample_weight, '<f4'), (params, '<f4'),
                      (plain['logits'], '<f4')):
            f.write(np.ascontiguousarray(a, dtype=dt).tobytes())
        for c in (plain, weighted):
            for key in ('loss', 'grads', 'losses', 'final'):
                f.write(np.ascontiguousarray(c[key], dtype='<f4').tobytes())
    print(f'{path}: torch {torch.__version__}, I={I} H={H} G={G} B={B} nnz={len(indices)} K={K}; '
          f'loss plain {plain["loss"]:.7f} weighted {weighted["loss"]:.7f}; '
          f'after {K} steps {plain["losses"][-1]:.7f} {weighted["losses"][-1]:.7f}')


if __name__ == '__main__':
    main()
