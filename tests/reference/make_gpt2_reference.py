#!/usr/bin/env python3
"""Writes tests/reference/gpt2/book_small.json: the book's GPTModel (book_gpt.py) at the size of the
book's own ch. 5 test (context 12, emb 32, 4 heads, 2 layers, GPT-2's vocabulary) from manual_seed(123):
logits of a batch, greedy and sampled generations (the book's temperature 1.4, top-k 25, and the eos
stop), the loss, and the loss after AdamW steps with dropout 0.1 (the ch. 5 recipe) — for tests/gpt2.

Run:  /usr/bin/python3 tests/reference/make_gpt2_reference.py
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from book_gpt import GPTModel, generate  # noqa: E402

CFG = {"vocab_size": 50257, "context_length": 12, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.1,
       "qkv_bias": False}


def main():
    torch.manual_seed(123)
    model = GPTModel(CFG)
    model.eval()
    idx = torch.tensor([[6109, 3626, 6100, 345], [6109, 1110, 6622, 257]])  # the book's "Every effort moves you", "Every day holds a"
    targets = torch.tensor([[3626, 6100, 345, 1107], [1110, 6622, 257, 588]])
    with torch.no_grad():
        logits = model(idx)
        loss0 = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()).item()
    greedy = generate(model, idx[:1], 15, CFG["context_length"])  # 4 + 15 > 12: the window slides
    torch.manual_seed(123)
    sampled = generate(model, idx[:1], 15, CFG["context_length"], temperature=1.4, top_k=25)
    torch.manual_seed(123)
    eos = generate(model, idx[:1], 15, CFG["context_length"], temperature=1.4, top_k=25, eos_id=int(sampled[0, 7]))

    model.train()  # AdamW as ch. 5 (lr 4e-4, weight_decay 0.1), dropout on
    opt = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(idx).flatten(0, 1), targets.flatten())
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out = {"config": CFG, "idx": idx.tolist(), "targets": targets.tolist(),
           "logits_first8": logits[:, :, :8].flatten().tolist(), "logits_sum": logits.double().sum().item(),
           "loss": loss0, "greedy": greedy[0].tolist(), "sampled": sampled[0].tolist(), "eos": eos[0].tolist(),
           "eos_id": int(sampled[0, 7]), "train_losses": losses}
    with open(os.path.join(HERE, "gpt2", "book_small.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(out["greedy"], out["sampled"], out["eos"], losses)


if __name__ == "__main__":
    main()
