"""benchmarks/peers/gpt_from_ops: PyTorch's side of W-gpt-ops — the book's chapter-4 classes (LayerNorm from
mean and var, the tanh GELU from its formula, MultiHeadAttention from matmul, masked_fill and softmax) at the
char GPT's size, the same as benchmarks/gpt_from_ops.cpp: vocabulary 65, context 32, emb 64, 4 heads,
LAYERS blocks, batch 16, dropout 0, AdamW 1e-3, on the bundled tinyshakespeare.
    /usr/bin/python3 benchmarks/peers/gpt_from_ops.py STEPS THREADS [LAYERS]
Prints one JSON line: ms_per_step (the training loop alone) and the last loss.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB, CONTEXT, EMB, HEADS, BATCH = 65, 32, 64, 4, 16


class LayerNorm(nn.Module):
    def __init__(self, emb):
        super().__init__()
        self.scale, self.shift = nn.Parameter(torch.ones(emb)), nn.Parameter(torch.zeros(emb))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * ((x - mean) / torch.sqrt(var + 1e-5)) + self.shift


class GELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / math.pi)) * (x + 0.044715 * torch.pow(x, 3))))


class MultiHeadAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.head_dim = EMB // HEADS
        self.W_query, self.W_key, self.W_value = (nn.Linear(EMB, EMB, bias=False) for _ in range(3))
        self.out_proj = nn.Linear(EMB, EMB)
        self.register_buffer("mask", torch.triu(torch.ones(CONTEXT, CONTEXT), diagonal=1))

    def forward(self, x):
        b, T, _ = x.shape
        q, k, v = (w(x).view(b, T, HEADS, self.head_dim).transpose(1, 2) for w in (self.W_query, self.W_key, self.W_value))
        att = (q @ k.transpose(2, 3)).masked_fill(self.mask.bool()[:T, :T], -torch.inf)
        att = torch.softmax(att / self.head_dim ** 0.5, dim=-1)
        return self.out_proj((att @ v).transpose(1, 2).contiguous().view(b, T, EMB))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.att = MultiHeadAttention()
        self.ff = nn.Sequential(nn.Linear(EMB, 4 * EMB), GELU(), nn.Linear(4 * EMB, EMB))
        self.norm1, self.norm2 = LayerNorm(EMB), LayerNorm(EMB)

    def forward(self, x):
        x = x + self.att(self.norm1(x))
        return x + self.ff(self.norm2(x))


class GPTModel(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.tok_emb, self.pos_emb = nn.Embedding(VOCAB, EMB), nn.Embedding(CONTEXT, EMB)
        self.trf_blocks = nn.Sequential(*[Block() for _ in range(layers)])
        self.final_norm, self.out_head = LayerNorm(EMB), nn.Linear(EMB, VOCAB, bias=False)

    def forward(self, idx):
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(idx.shape[1]))
        return self.out_head(self.final_norm(self.trf_blocks(x)))


def main():
    steps, threads = int(sys.argv[1]), int(sys.argv[2])
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    text = open(os.path.join(ROOT, "data", "tinyshakespeare", "input.txt"), "rb").read().decode("latin-1")
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    torch.manual_seed(1337)
    model = GPTModel(layers)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(steps):
        ix = torch.randint(len(data) - CONTEXT, (BATCH,))
        xb = torch.stack([data[i:i + CONTEXT] for i in ix])
        yb = torch.stack([data[i + 1:i + CONTEXT + 1] for i in ix])
        loss = F.cross_entropy(model(xb).view(-1, VOCAB), yb.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    print(json.dumps({"ms_per_step": 1e3 * (time.perf_counter() - t0) / steps, "loss": loss.item()}))


if __name__ == "__main__":
    main()
