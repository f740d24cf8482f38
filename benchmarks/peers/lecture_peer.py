#!/usr/bin/env python3
"""The PyTorch (Python) peer of benchmarks/compare.py's W-mlp and W-gpt: the training steps of
examples/mlp and examples/gpt, as the lectures write them, on the same bundled data.

    lecture_peer.py mlp STEPS THREADS
        makemore's MLP: Embedding(27, 10), Linear(30, 200), tanh, Linear(200, 27); batches of 32 drawn
        with torch.randint from the names' 3-character contexts; SGD lr 0.1 by hand, as the lecture.
    lecture_peer.py gpt STEPS THREADS N_LAYER ACTIVATION
        ng-video-lecture's gpt.py at examples/gpt's defaults (batch 16, block 32, n_embd 64, 4 heads,
        dropout 0, AdamW 1e-3) with N_LAYER blocks and a relu or gelu (tanh form) feed-forward.
Prints one JSON object: the seconds of the STEPS training steps (data, forward, backward, update), the
last loss. No evaluation, no sampling.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def mlp(steps):
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
    from make_mlp_reference import build_dataset  # the lecture's dataset, as the reference script builds it
    Xtr, Ytr = build_dataset([l.strip() for l in open(os.path.join(ROOT, "data", "names", "train.txt")) if l.strip()])
    torch.manual_seed(2147483647)
    C, l1, l2 = nn.Embedding(27, 10), nn.Linear(30, 200), nn.Linear(200, 27)
    params = list(C.parameters()) + list(l1.parameters()) + list(l2.parameters())
    t0 = time.perf_counter()
    for _ in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        x = Xtr[ix]
        loss = F.cross_entropy(l2(torch.tanh(l1(C(x).view(x.shape[0], -1)))), Ytr[ix])
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data += -0.1 * p.grad
    return time.perf_counter() - t0, loss.item()


def gpt(steps, n_layer, activation):
    batch_size, block_size, n_embd, n_head = 16, 32, 64, 4
    text = open(os.path.join(ROOT, "data", "tinyshakespeare", "input.txt"), "rb").read().decode("latin-1")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    train_data = data[:int(0.9 * len(data))]

    class Head(nn.Module):
        def __init__(self, hs):
            super().__init__()
            self.key, self.query, self.value = (nn.Linear(n_embd, hs, bias=False) for _ in range(3))
            self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

        def forward(self, x):
            T = x.shape[1]
            k, q = self.key(x), self.query(x)
            wei = (q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5).masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            return F.softmax(wei, dim=-1) @ self.value(x)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleList([Head(n_embd // n_head) for _ in range(n_head)])
            self.proj = nn.Linear(n_embd, n_embd)
            act = nn.GELU(approximate="tanh") if activation == "gelu" else nn.ReLU()
            self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), act, nn.Linear(4 * n_embd, n_embd))
            self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

        def forward(self, x):
            h = self.ln1(x)
            x = x + self.proj(torch.cat([head(h) for head in self.heads], dim=-1))
            return x + self.ffwd(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, n_embd), nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
            self.ln_f, self.lm_head = nn.LayerNorm(n_embd), nn.Linear(n_embd, vocab)

        def forward(self, idx, targets):
            x = self.blocks(self.tok(idx) + self.pos(torch.arange(idx.shape[1])))
            logits = self.lm_head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    torch.manual_seed(1337)
    model = GPT(len(chars))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(steps):
        ix = torch.randint(len(train_data) - block_size, (batch_size,))
        xb = torch.stack([train_data[i:i + block_size] for i in ix])
        yb = torch.stack([train_data[i + 1:i + block_size + 1] for i in ix])
        loss = model(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, loss.item()


if __name__ == "__main__":
    what, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    secs, loss = mlp(steps) if what == "mlp" else gpt(steps, int(sys.argv[4]), sys.argv[5])
    print(json.dumps({"seconds": secs, "loss": loss}))
