#!/usr/bin/env python3
"""The lecture's bigram model in PyTorch, as the lecture code writes it, for tests/test_bigram.cpp.

Writes tests/reference/bigram_init.safetensors (the initial V.weight and U.weight, laid out by hand
in the safetensors format: 8-byte header length, JSON header, raw little-endian float32) and
tests/reference/bigram_trajectory.txt (the full-batch loss at chosen epochs of SGD, lr 0.1).
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_bigram_reference.py
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
text = "the cat ate the dog! the dog ran the zoo."
tokens = []
for w in text.split():
    if w[-1] in "!.":
        tokens += [w[:-1], w[-1]]
    else:
        tokens.append(w)
vocab = sorted(set(tokens))
assert vocab == ["!", ".", "ate", "cat", "dog", "ran", "the", "zoo"], vocab
ids = torch.tensor([vocab.index(t) for t in tokens])
prev, nxt = ids[:-1], ids[1:]

torch.manual_seed(0)
V = nn.Embedding(len(vocab), 2)
U = nn.Linear(2, len(vocab), bias=False)

tensors = {"U.weight": U.weight.detach().numpy(), "V.weight": V.weight.detach().numpy()}
header, data, off = {}, b"", 0
for name, a in tensors.items():
    raw = a.astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
    data += raw
    off += len(raw)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(HERE, "bigram_init.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)

opt = torch.optim.SGD(list(V.parameters()) + list(U.parameters()), lr=0.1)
marks = {0, 1, 2, 5, 10, 50, 100, 500, 1000, 2000, 5000, 9999}
lines = []
for epoch in range(10000):
    loss = F.cross_entropy(U(V(prev)), nxt)
    if epoch in marks:
        lines.append(f"{epoch} {loss.item()!r}")
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    lines.append(f"final {F.cross_entropy(U(V(prev)), nxt).item()!r}")
with open(os.path.join(HERE, "bigram_trajectory.txt"), "w") as f:
    f.write(f"# epoch loss: torch {torch.__version__}, seed 0, nn.Embedding(8, 2), nn.Linear(2, 8, bias=False), SGD lr 0.1, full batch\n")
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
