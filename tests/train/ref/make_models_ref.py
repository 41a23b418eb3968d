#!/usr/bin/python3
"""make_models_ref.py - PyTorch's answer for the factorized model (conv and GRU) and the
report's CNN on tiny problems, written for tests/train/test_models_ref.c.

As make_mlp_ref.py for the MLP (llm.c's habit): PyTorch computes each case once, with its
own modules (nn.Conv1d(padding='same'), nn.GRU, nn.Conv2d, MaxPool2d, AdaptiveMaxPool2d,
nn.Linear), from parameters drawn here in numpy; the C test loads the same parameters
into the CPU model and compares logits and every gradient. So the claims of
train/net_factorized.c and train/net_cnn.c that they compute these modules are checked
against PyTorch itself, not against our reading of it. Regenerate with Debian's PyTorch
(python3-torch, 1.13) and commit the output:

    /usr/bin/python3 tests/train/ref/make_models_ref.py tests/train/ref/models_ref.bin

What each case computes (net_factorized.c's and net_cnn.c's opening comments define it):
  factorized, for an album x [T, cities] (dense here, from the CSR row):
    m = sum(x) / T; a = c log1p(m) / m (m > 0, else 1): conv_version 2 c = 10, version
    1 a = 1, GRU c = 1
    e = (a x) E                                   [T, D]
    conv: y = relu(Conv1d(D, C, K, padding='same')(e))        [T, C]
    gru:  y = nn.GRU(D, C, batch_first=True)(e read from its last step back)
    f = g [mean_t y, max_t y] (g = 10 for the GRU, 1 for the conv); logits = Linear(2C, G)
  cnn, for the plane x [T, cities] zero-padded on the right to width columns:
    Conv2d(1, c1, k1, padding=((k1-1)/2, 0)), ReLU, 2 x 2 max pool (rows rounded up:
    ceil_mode; columns down: the last odd column dropped first), Conv2d(c1, c2, k2,
    padding=((k2-1)/2, 0)), ReLU, AdaptiveMaxPool2d((gh, gw)), flatten, Linear, ReLU,
    Linear, ReLU, Linear
The gradients are those of sum(logits * dlogits), dlogits drawn here (any loss's
gradient reaches the parameters through dlogits alone).

File layout, little-endian, no padding: int32 magic 0x4652474e ("NGRF"), int32 version 1,
int32 cases; then per case:
  header   int32[16]  kind (0 conv, 1 gru, 2 cnn), B, NNZ, P, genres, steps, cities, then
                      factorized: embed, channels, kernel, conv_version
                      cnn: c1, k1, c2, k2, grid_h, grid_w, hidden, mid
                      (unused slots 0)
  indptr   int64[B + 1]
  indices  int32[NNZ]   column = step * cities + city, sorted within a row
  values   float32[NNZ]
  params   float32[P]   the CPU model's block layout (net_factorized.c, cnn.h)
  dlogits  float32[B * G]
  logits   float32[B * G]
  grads    float32[P]   block layout
"""
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

MAGIC = 0x4652474E
VERSION = 1


def csr_batch(rng, B, T, cities, density, empty_row=None):
    """A batch of B albums: counts 1..60 at random cells, row empty_row left empty."""
    indptr, indices, values = [0], [], []
    dense = np.zeros((B, T, cities), dtype=np.float32)
    for b in range(B):
        if b != empty_row:
            for col in range(T * cities):
                if rng.random() < density:
                    v = float(rng.integers(1, 61))
                    indices.append(col)
                    values.append(v)
                    dense[b, col // cities, col % cities] = v
        indptr.append(len(indices))
    return (np.array(indptr, np.int64), np.array(indices, np.int32),
            np.array(values, np.float32), dense)


def uniform(rng, shape, fan_in):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def factorized_case(rng, temporal, T, cities, G, D, C, K, conv_version, B=4):
    indptr, indices, values, dense = csr_batch(rng, B, T, cities, 0.3, empty_row=1)
    E = uniform(rng, (cities, D), cities)
    if temporal == "gru":
        W_ih, W_hh = uniform(rng, (3 * C, D), C), uniform(rng, (3 * C, C), C)
        b_ih, b_hh = uniform(rng, 3 * C, C), uniform(rng, 3 * C, C)
        mid = [W_ih, W_hh, b_ih, b_hh]
    else:
        W_conv = uniform(rng, (K, D, C), D * K)   # ours: [K, D, C] = weight[o, i, j]
        b_conv = uniform(rng, C, D * K)
        mid = [W_conv, b_conv]
    W_out, b_out = uniform(rng, (2 * C, G), 2 * C), uniform(rng, G, 2 * C)
    blocks = [E] + mid + [W_out, b_out]
    params = np.concatenate([x.ravel() for x in blocks]).astype(np.float32)

    x = torch.from_numpy(dense)
    m = x.double().sum(dim=(1, 2)) / T
    c = 1.0 if temporal == "gru" else (10.0 if conv_version >= 2 else 0.0)
    if c > 0:
        a = torch.where(m > 0, c * torch.log1p(m) / torch.where(m > 0, m, torch.ones_like(m)),
                        torch.ones_like(m)).float()
    else:
        a = torch.ones(B)
    tE = torch.tensor(E, requires_grad=True)
    e = (a[:, None, None] * x) @ tE                          # [B, T, D]
    if temporal == "gru":
        gru = torch.nn.GRU(D, C, batch_first=True)
        with torch.no_grad():
            gru.weight_ih_l0.copy_(torch.from_numpy(W_ih))
            gru.weight_hh_l0.copy_(torch.from_numpy(W_hh))
            gru.bias_ih_l0.copy_(torch.from_numpy(b_ih))
            gru.bias_hh_l0.copy_(torch.from_numpy(b_hh))
        y, _ = gru(e.flip(1))                                # [B, T, C]
        gain = 10.0
        mods = [gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0]
    else:
        conv = torch.nn.Conv1d(D, C, K, padding="same")
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(W_conv.transpose(2, 1, 0).copy()))
            conv.bias.copy_(torch.from_numpy(b_conv))
        y = F.relu(conv(e.transpose(1, 2))).transpose(1, 2)  # [B, T, C]
        gain = 1.0
        mods = [conv.weight, conv.bias]
    f = gain * torch.cat([y.mean(dim=1), y.max(dim=1).values], dim=1)
    head = torch.nn.Linear(2 * C, G)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(W_out.T.copy()))
        head.bias.copy_(torch.from_numpy(b_out))
    logits = head(f)
    dlogits = rng.uniform(-0.5, 0.5, size=(B, G)).astype(np.float32)
    logits.backward(torch.from_numpy(dlogits))
    if temporal == "gru":
        mid_grads = [p.grad.numpy() for p in mods]
    else:
        mid_grads = [mods[0].grad.numpy().transpose(2, 1, 0), mods[1].grad.numpy()]
    grads = [tE.grad.numpy()] + mid_grads + [head.weight.grad.numpy().T, head.bias.grad.numpy()]
    grads = np.concatenate([g.ravel() for g in grads]).astype(np.float32)
    kind = 1 if temporal == "gru" else 0
    header = [kind, B, len(indices), len(params), G, T, cities, D, C, K, conv_version]
    return header, indptr, indices, values, params, dlogits, logits.detach().numpy(), grads


def cnn_case(rng, T, cities, c1, k1, c2, k2, gh, gw, hidden, mid, G, B=3):
    indptr, indices, values, dense = csr_batch(rng, B, T, cities, 0.35)
    width = max(cities, k1 - 1 + 2 * k2)
    plane = np.zeros((B, 1, T, width), dtype=np.float32)
    plane[:, 0, :, :cities] = dense
    w1 = width - k1 + 1
    w1p, h1p = w1 // 2, (T + 1) // 2
    w2 = w1p - k2 + 1
    features = c2 * gh * gw
    K1, bb1 = uniform(rng, (c1, 1, k1, k1), k1 * k1), uniform(rng, c1, k1 * k1)
    K2, bb2 = uniform(rng, (c2, c1, k2, k2), c1 * k2 * k2), uniform(rng, c2, c1 * k2 * k2)
    W3, b3 = uniform(rng, (features, hidden), features), uniform(rng, hidden, features)
    W4, b4 = uniform(rng, (hidden, mid), hidden), uniform(rng, mid, hidden)
    W5, b5 = uniform(rng, (mid, G), mid), uniform(rng, G, mid)
    # positive biases keep most ReLU outputs alive (test_models_cuda_host.cu's reason):
    # a tiny net at PyTorch's init can be dead everywhere, and its gradients all zero
    bb1 += 0.5
    bb2 += 0.5
    b3 += 0.3
    b4 += 0.3
    blocks = [K1, bb1, K2, bb2, W3, b3, W4, b4, W5, b5]
    params = np.concatenate([x.ravel() for x in blocks]).astype(np.float32)

    conv1 = torch.nn.Conv2d(1, c1, k1, padding=((k1 - 1) // 2, 0))
    conv2 = torch.nn.Conv2d(c1, c2, k2, padding=((k2 - 1) // 2, 0))
    l3, l4, l5 = (torch.nn.Linear(features, hidden), torch.nn.Linear(hidden, mid),
                  torch.nn.Linear(mid, G))
    with torch.no_grad():
        for mod, w, b in ((conv1, K1, bb1), (conv2, K2, bb2)):
            mod.weight.copy_(torch.from_numpy(w))
            mod.bias.copy_(torch.from_numpy(b))
        for mod, w, b in ((l3, W3, b3), (l4, W4, b4), (l5, W5, b5)):
            mod.weight.copy_(torch.from_numpy(w.T.copy()))
            mod.bias.copy_(torch.from_numpy(b))
    a1 = F.relu(conv1(torch.from_numpy(plane)))              # [B, c1, T, w1]
    p1 = F.max_pool2d(a1[:, :, :, :2 * w1p], 2, ceil_mode=True)  # [B, c1, h1p, w1p]
    assert p1.shape[2:] == (h1p, w1p)
    a2 = F.relu(conv2(p1))                                   # [B, c2, h1p, w2]
    assert a2.shape[3] == w2
    flat = F.adaptive_max_pool2d(a2, (gh, gw)).flatten(1)
    logits = l5(F.relu(l4(F.relu(l3(flat)))))
    dlogits = rng.uniform(-0.5, 0.5, size=(B, G)).astype(np.float32)
    logits.backward(torch.from_numpy(dlogits))
    grads = [conv1.weight.grad, conv1.bias.grad, conv2.weight.grad, conv2.bias.grad,
             l3.weight.grad.T, l3.bias.grad, l4.weight.grad.T, l4.bias.grad,
             l5.weight.grad.T, l5.bias.grad]
    grads = np.concatenate([g.numpy().ravel() for g in grads]).astype(np.float32)
    header = [2, B, len(indices), len(params), G, T, cities, c1, k1, c2, k2, gh, gw, hidden, mid]
    return header, indptr, indices, values, params, dlogits, logits.detach().numpy(), grads


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_models_ref.py OUT.bin")
    torch.manual_seed(0)
    rng = np.random.default_rng(20261203)
    cases = [
        factorized_case(rng, "conv", T=7, cities=5, G=3, D=3, C=4, K=3, conv_version=2),
        factorized_case(rng, "conv", T=6, cities=4, G=3, D=2, C=3, K=4, conv_version=1),
        factorized_case(rng, "gru", T=6, cities=5, G=3, D=3, C=4, K=1, conv_version=0),
        cnn_case(rng, T=5, cities=14, c1=2, k1=3, c2=3, k2=3, gh=2, gw=2, hidden=6, mid=5, G=3),
        cnn_case(rng, T=4, cities=5, c1=2, k1=3, c2=2, k2=3, gh=1, gw=3, hidden=4, mid=3, G=2),
    ]
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<3i", MAGIC, VERSION, len(cases)))
        for header, indptr, indices, values, params, dlogits, logits, grads in cases:
            out.write(struct.pack("<16i", *(header + [0] * (16 - len(header)))))
            for arr, dt in ((indptr, "<i8"), (indices, "<i4"), (values, "<f4"), (params, "<f4"),
                            (dlogits, "<f4"), (logits, "<f4"), (grads, "<f4")):
                out.write(np.ascontiguousarray(arr, dtype=dt).tobytes())
    print(f"{sys.argv[1]}: torch {torch.__version__}, {len(cases)} cases")


if __name__ == "__main__":
    main()
