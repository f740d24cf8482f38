#!/usr/bin/env python3
"""The W-gpt2 step, xgrad against PyTorch in one run: the book's GPTModel (124M, dropout 0.1; PyTorch runs
the book's own class, tests/reference/book_gpt.py), AdamW(lr 4e-4, weight_decay 0.1), random ids of
(batch, context), one step = zero_grad, forward, cross-entropy, backward, update.

xgrad is build/benchmarks/gpt2_step; PyTorch runs with OPENBLAS_CORETYPE as the machine sets it and unset
(the faster is reported), OPENBLAS_NUM_THREADS and torch.set_num_threads at the same thread count.
Rounds are interleaved; a run's time is the median of its steps after the first (the first pays the
first touch of every buffer); peak memory is each process's max RSS.

    /usr/bin/python3 benchmarks/gpt2_step.py --build build [--threads 1] [--steps 4] [--rounds 2]
                                             [--batch 2] [--context 256]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TORCH_STEP = r'''
import json, sys, time, torch
sys.path.insert(0, sys.argv[1])
from book_gpt import GPTModel
steps, threads, batch, context = map(int, sys.argv[2:6])
torch.set_num_threads(threads)
torch.manual_seed(123)
cfg = {"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12, "n_layers": 12,
       "drop_rate": 0.1, "qkv_bias": False}
model = GPTModel(cfg)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
x = torch.randint(0, 50257, (batch, context)); y = torch.randint(0, 50257, (batch, context))
for s in range(steps):
    t0 = time.perf_counter()
    opt.zero_grad()
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    opt.step()
    print(json.dumps({"step": s, "seconds": time.perf_counter() - t0, "loss": loss.item()}), flush=True)
'''


def run(cmd, env):
    """(per-step seconds, max RSS MB) of one process."""
    out = subprocess.run(["/usr/bin/time", "-f", "maxrss %M"] + cmd, env=env, capture_output=True, text=True, check=True)
    steps = [json.loads(line)["seconds"] for line in out.stdout.splitlines() if line.startswith("{")]
    rss = [int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("maxrss")]
    return steps, rss[-1] / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--context", type=int, default=256)
    a = ap.parse_args()
    shape = [str(a.steps), str(a.threads), str(a.batch), str(a.context)]
    xgrad = [os.path.join(ROOT, a.build, "benchmarks", "gpt2_step"), "--steps", str(a.steps), "--threads",
             str(a.threads), "--batch", str(a.batch), "--context", str(a.context)]
    torch = [sys.executable, "-c", TORCH_STEP, os.path.join(ROOT, "tests", "reference")] + shape
    base = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    unset = {k: v for k, v in base.items() if k != "OPENBLAS_CORETYPE"}
    runs = {"xgrad": [], "torch (as set)": [], "torch (unset)": []}
    rss = {k: 0.0 for k in runs}
    for _ in range(a.rounds):
        for name, cmd, env in (("xgrad", xgrad, base), ("torch (as set)", torch, base), ("torch (unset)", torch, unset)):
            steps, mb = run(cmd, env)
            runs[name].append(statistics.median(steps[1:]) if len(steps) > 1 else steps[0])
            rss[name] = max(rss[name], mb)
    med = {k: statistics.median(v) for k, v in runs.items()}
    peer = min(("torch (as set)", "torch (unset)"), key=lambda k: med[k])
    print(f"W-gpt2 step, 124M, batch {a.batch} x context {a.context}, {a.threads} thread(s), {a.rounds} rounds "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')!r}):")
    for k in runs:
        print(f"  {k:15s} {med[k]:.3f} s a step (runs {', '.join(f'{t:.3f}' for t in runs[k])}), max RSS {rss[k]:.0f} MB")
    print(f"  xgrad / PyTorch ({peer}): time {med['xgrad'] / med[peer]:.2f}x, memory {rss['xgrad'] / rss[peer]:.2f}x")


if __name__ == "__main__":
    main()
