#!/usr/bin/env python3
"""The lecture's GPT (karpathy/ng-video-lecture gpt.py), with examples/gpt's defaults, in PyTorch:
the same program as examples/gpt/main.cpp, for tests/test_gpt.cpp.

Writes tests/reference/gpt_trajectory.txt: every step's training loss (dropout 0) and the loss
estimates, for --max-iters steps (default 200) with eval_iters 2 and no estimate between the first and
last step, as the test runs xgrad's program; and tests/reference/gpt_init.safetensors, the initial
weights (the whole state_dict), which the test loads so both start from the same numbers.
--save FILE also writes the trained weights (safetensors, laid out by hand). --greedy-from FILE loads
weights that xgrad saved and writes the 200 characters greedy decoding gives (gpt_greedy.txt). With --perturb 1e-7
--out OTHER --init-out '' it measures how far PyTorch's own run moves when its weights change by 1e-7.
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_gpt_reference.py
"""
import argparse
import json
import os
import struct
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = os.path.join(HERE, "..", "..", "data", "tinyshakespeare", "input.txt")

ap = argparse.ArgumentParser()
ap.add_argument("--max-iters", type=int, default=200)
ap.add_argument("--eval-interval", type=int, default=1000)
ap.add_argument("--eval-iters", type=int, default=2)
ap.add_argument("--dropout", type=float, default=0.0)
ap.add_argument("--out", default=os.path.join(HERE, "gpt_trajectory.txt"))
ap.add_argument("--save", default="")
ap.add_argument("--init-out", default=os.path.join(HERE, "gpt_init.safetensors"))
ap.add_argument("--greedy-from", default="",
                help="load these weights (xgrad's --save), write the greedy text they give to --greedy-out, and stop")
ap.add_argument("--greedy-out", default=os.path.join(HERE, "gpt_greedy.txt"))
ap.add_argument("--perturb", type=float, default=0.0,
                help="scale every initial weight by (1 + this): how far PyTorch itself moves from a tiny change")
args = ap.parse_args()

batch_size, block_size, max_iters = 16, 32, args.max_iters
eval_interval, learning_rate, eval_iters = args.eval_interval, 1e-3, args.eval_iters
n_embd, n_head, n_layer, dropout = 64, 4, 4, args.dropout
torch.set_num_threads(1)
torch.manual_seed(1337)

text = open(TEXT, "rb").read().decode("latin-1")
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
data = torch.tensor(encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]


def get_batch(split):
    data = train_data if split == "train" else val_data
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss():
    out = {}
    model.eval()
    for split in ["train", "val"]:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split)
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


class Head(nn.Module):
    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)
        return wei @ v


class MultiHeadAttention(nn.Module):
    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class FeedFoward(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(), nn.Linear(4 * n_embd, n_embd),
                                 nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        head_size = n_embd // n_head
        self.sa = MultiHeadAttention(n_head, head_size)
        self.ffwd = FeedFoward(n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPTLanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)
        pos_emb = self.position_embedding_table(torch.arange(T))
        x = self.blocks(tok_emb + pos_emb)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))


def save_safetensors(path, state):
    header, blob = {}, b""
    for name, t in state.items():
        raw = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + blob)


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=torch.float32).reshape(info["shape"])
    return out


model = GPTLanguageModel()
if args.greedy_from:  # PyTorch runs xgrad's weights: 200 characters, each the likeliest next one
    model.load_state_dict(load_safetensors(args.greedy_from))
    model.eval()
    idx = torch.zeros((1, 1), dtype=torch.long)
    with torch.no_grad():
        for _ in range(200):
            logits, _ = model(idx[:, -block_size:])
            idx = torch.cat((idx, logits[:, -1, :].argmax(-1, keepdim=True)), dim=1)
    text = "".join(chars[i] for i in idx[0].tolist())
    open(args.greedy_out, "w", encoding="latin-1").write(text)
    print(f"wrote {args.greedy_out}:\n{text}")
    raise SystemExit(0)
if args.perturb:
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1 + args.perturb)
if args.init_out:  # the initial weights, so xgrad can start from exactly these
    save_safetensors(args.init_out, model.state_dict())
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
estimates, step_losses = [], []
t0 = time.time()
for iter in range(max_iters):
    if iter % eval_interval == 0 or iter == max_iters - 1:
        losses = estimate_loss()
        estimates.append((iter, losses["train"].item(), losses["val"].item()))
        print(f"step {iter}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}", flush=True)
    xb, yb = get_batch("train")
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    step_losses.append(loss.item())
secs = time.time() - t0

with open(args.out, "w") as f:
    f.write(f"# made by tests/reference/make_gpt_reference.py with torch {torch.__version__}: {max_iters} steps, "
            f"eval_interval {eval_interval}, eval_iters {eval_iters}, dropout {dropout}, {secs:.0f} s\n")
    for it, tr, va in estimates:
        f.write(f"estimate {it} {tr!r} {va!r}\n")
    f.write("losses " + " ".join(repr(v) for v in step_losses) + "\n")
print(f"wrote {args.out} ({secs:.0f} s)")

if args.save:
    save_safetensors(args.save, model.state_dict())
    print(f"wrote {args.save}")
