#!/usr/bin/env python3
"""The book's ch. 5 pretraining run in PyTorch (book_gpt.py's GPTModel, the book's loaders and
train_model_simple), for comparison with `gpt2 --epochs 10 --context-length 256`: from
torch.manual_seed(123), GPT_CONFIG_124M at context 256, AdamW(lr 4e-4, weight_decay 0.1), batch 2,
eval_freq 5, eval_iter 5, the-verdict split 90/10 by characters, each half tokenized with GPT-2's BPE.

The ids come from xgrad's `tokenize` program (tested equal to tiktoken's), since python3-torch has no
tiktoken. Writes a JSON object with train_losses, val_losses, tokens_seen, samples (the greedy text
after each epoch) and seconds.

  /usr/bin/python3 benchmarks/gpt2_ch5_reference.py --tokenize build/examples/tokenize \
      --out /tmp/ch5_torch.json [--epochs 10] [--context-length 256] [--emb-dim 768 ...]
  ./build/examples/gpt2 --context-length 256 --epochs 10 --json > /tmp/ch5_xgrad.json
  /usr/bin/python3 benchmarks/gpt2_ch5_reference.py --compare /tmp/ch5_torch.json /tmp/ch5_xgrad.json

--compare prints the largest difference of the evaluated losses and whether the samples agree.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import torch
from torch.utils.data import DataLoader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from book_gpt import GPTModel, generate  # noqa: E402
from make_dataloader_reference import GPTDatasetV1  # noqa: E402


def encode(tokenize, text):
    """GPT-2 ids of text, through `tokenize FILE --out F.bin` (llm.c's file: 256 int32 header, uint16 ids)."""
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in.txt"), os.path.join(d, "out.bin")
        with open(src, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run([tokenize, src, "--out", out], check=True, stdout=subprocess.DEVNULL)
        data = open(out, "rb").read()
        n = struct.unpack_from("<i", data, 8)[0]
        return list(struct.unpack_from(f"<{n}H", data, 1024))


def loss_loader(model, loader, num_batches):
    total, n = 0.0, min(num_batches, len(loader))
    for i, (x, y) in enumerate(loader):
        if i >= n:
            break
        total += torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
    return total / n


def compare(torch_json, xgrad_json):
    t, x = json.load(open(torch_json)), json.load(open(xgrad_json))
    diffs = [abs(a - b) for k in ("train_losses", "val_losses") for a, b in zip(t[k], x[k])]
    n = len(t["train_losses"])
    print(f"{n} evaluations each ({len(x['train_losses'])} in xgrad's run): largest |xgrad - PyTorch| {max(diffs):.2e}; "
          f"final sample equal: {t['samples'][-1] == x['ids']}; tokens seen equal: {t['tokens_seen'] == x['tokens_seen']}; "
          f"PyTorch {t['seconds']:.0f} s ({t['threads']} threads), xgrad {x['seconds']:.0f} s")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        return compare(sys.argv[2], sys.argv[3])
    p = argparse.ArgumentParser()
    p.add_argument("--tokenize", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--text", default=os.path.join(ROOT, "data", "gpt2", "the-verdict.txt"))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--context-length", type=int, default=256)
    p.add_argument("--emb-dim", type=int, default=768)
    p.add_argument("--n-heads", type=int, default=12)
    p.add_argument("--n-layers", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = {"vocab_size": 50257, "context_length": a.context_length, "emb_dim": a.emb_dim, "n_heads": a.n_heads,
           "n_layers": a.n_layers, "drop_rate": 0.1, "qkv_bias": False}
    text = open(a.text, encoding="utf-8").read()
    split = int(0.90 * len(text))
    train_ids, val_ids = encode(a.tokenize, text[:split]), encode(a.tokenize, text[split:])
    L = a.context_length
    train_loader = DataLoader(GPTDatasetV1(train_ids, L, L), batch_size=2, shuffle=True, drop_last=True, num_workers=0)
    val_loader = DataLoader(GPTDatasetV1(val_ids, L, L), batch_size=2, shuffle=False, drop_last=False, num_workers=0)

    torch.manual_seed(123)
    model = GPTModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
    out = {"train_losses": [], "val_losses": [], "tokens_seen": [], "samples": [], "torch": torch.__version__,
           "threads": a.threads}
    tokens_seen, step, start = 0, -1, time.time()
    prompt = torch.tensor([encode(a.tokenize, "Every effort moves you")])
    for epoch in range(a.epochs):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
            loss.backward()
            opt.step()
            tokens_seen += x.numel()
            step += 1
            if step % 5 == 0:
                model.eval()
                with torch.no_grad():
                    tl, vl = loss_loader(model, train_loader, 5), loss_loader(model, val_loader, 5)
                model.train()
                out["train_losses"].append(tl)
                out["val_losses"].append(vl)
                out["tokens_seen"].append(tokens_seen)
                print(f"Ep {epoch + 1} (Step {step:06d}): Train loss {tl:.3f}, Val loss {vl:.3f}", flush=True)
        model.eval()
        ids = generate(model, prompt, 50, L)[0].tolist()
        out["samples"].append(ids)
        print(ids, flush=True)
        model.train()
    out["seconds"] = time.time() - start
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
