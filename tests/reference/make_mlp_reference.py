#!/usr/bin/env python3
"""makemore's MLP (examples/mlp) in PyTorch, the same program step for step, for tests/test_mlp.cpp.

Writes tests/reference/mlp_trajectory.txt: the minibatch loss of each of the first 1,000 steps and the
final train and valid loss after the full run (200,000 steps: a few minutes on 2 cores).
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_mlp_reference.py [--steps N]
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "names")


def build_dataset(words, block_size=3):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = 0 if ch == "." else ord(ch) - ord("a") + 1
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    words = lambda f: [l.strip() for l in open(os.path.join(DATA, f)) if l.strip()]
    Xtr, Ytr = build_dataset(words("train.txt"))
    Xdev, Ydev = build_dataset(words("valid.txt"))

    torch.manual_seed(2147483647)
    C = nn.Embedding(27, 10)
    l1 = nn.Linear(30, 200)
    l2 = nn.Linear(200, 27)
    parameters = list(C.parameters()) + list(l1.parameters()) + list(l2.parameters())
    model = lambda x: l2(torch.tanh(l1(C(x).view(x.shape[0], -1))))

    losses = []
    t0 = time.time()
    for i in range(args.steps):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < args.steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        if i < 1000:
            losses.append(loss.item())
    secs = time.time() - t0
    with torch.no_grad():
        train_loss = F.cross_entropy(model(Xtr), Ytr).item()
        valid_loss = F.cross_entropy(model(Xdev), Ydev).item()
    path = os.path.join(HERE, "mlp_trajectory.txt")
    with open(path, "w") as f:
        f.write(f"# made by tests/reference/make_mlp_reference.py with torch {torch.__version__}, "
                f"{args.steps} steps in {secs:.0f} s\n")
        f.write(f"steps {args.steps}\ntrain_loss {train_loss!r}\nvalid_loss {valid_loss!r}\n")
        f.write("first_losses " + " ".join(repr(v) for v in losses) + "\n")
    print(f"wrote {path}: train {train_loss:.4f} valid {valid_loss:.4f}, {secs:.0f} s")


if __name__ == "__main__":
    main()
