#!/usr/bin/env python3
"""The W-gpt2 step, xgrad against PyTorch in one run: the book's GPTModel (124M, dropout 0.1; PyTorch runs
the book's own class, tests/reference/book_gpt.py), AdamW(lr 4e-4, weight_decay 0.1), random ids of
(batch, context), one step = zero_grad, forward, cross-entropy, backward, update.

xgrad is build/benchmarks/gpt2_step; PyTorch runs with OPENBLAS_CORETYPE as the machine sets it and unset
(the faster is reported), OPENBLAS_NUM_THREADS and torch.set_num_threads at the same thread count.
Rounds are interleaved; a run's time is the median of its steps after the first (the first pays the
first touch of every buffer); peak memory is each process's max RSS.

--floor adds the step's floor, measured in the same run: every matrix product of the step (forward and
both backward ones, the attention's per head) at the best time any of xgrad's kernels (build/benchmarks/
step_floor) and OpenBLAS through numpy (OPENBLAS_CORETYPE as set and unset) takes on its shape, plus
AdamW's bytes (parameter, gradient and two moments read; parameter and moments written: 7 x 4 bytes a
parameter) at the better measured copy bandwidth. What it leaves out (LayerNorm, GELU, softmax,
cross-entropy, the residuals) is what the step spends beyond it.

    /usr/bin/python3 benchmarks/gpt2_step.py --build build [--threads 1] [--steps 4] [--rounds 2]
                                             [--batch 2] [--context 256] [--floor]
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


FLOOR_WORKER = r'''
import json, sys, time, numpy as np
products, reps = json.loads(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
def best(fn):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
seconds = []
for M, N, K, orient in products:  # the orientations of benchmarks/step_floor.cpp
    a = rng.standard_normal((K, M) if orient == 2 else (M, K), dtype=np.float32)
    b = rng.standard_normal((N, K) if orient == 0 else (K, N), dtype=np.float32)
    c = np.empty((M, N), dtype=np.float32)
    opa, opb = (a.T if orient == 2 else a), (b.T if orient == 0 else b)
    seconds.append(best(lambda: np.matmul(opa, opb, out=c)))
src = np.ones(1 << 27, dtype=np.float32); dst = np.empty_like(src)
print(json.dumps({"seconds": seconds, "copy_bytes_per_second": 2 * src.nbytes / best(lambda: np.copyto(dst, src))}))
'''


def step_products(B, T, C=768, H=12, V=50257, L=12):
    """[(count, M, N, K, orient)]: every matrix product of one training step of the book's GPTModel.
    A Linear y = x·Wᵀ (orient 0) has dx = dy·W (1) and dW = dyᵀ·x (2); attention per head S = Q·Kᵀ and
    O = P·V, then dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q (the whole T×T, as the book computes it)."""
    BT, hs = B * T, C // H
    out = []
    for n, M, N, K in ((3 * L, BT, C, C), (L, BT, C, C), (L, BT, 4 * C, C), (L, BT, C, 4 * C), (1, BT, V, C)):
        out += [(n, M, N, K, 0), (n, M, K, N, 1), (n, N, K, M, 2)]
    heads = B * H * L
    out += [(2 * heads, T, T, hs, 0), (2 * heads, T, hs, T, 1), (2 * heads, T, hs, T, 2)]
    return out


def floor(build, threads, batch, context, params=163_009_536):
    """The step's floor in seconds and its parts, measured now at `threads`."""
    products = step_products(batch, context)
    shapes = json.dumps([list(p[1:]) for p in products])
    xgrad = json.loads(subprocess.run([os.path.join(ROOT, build, "benchmarks", "step_floor"), "--threads", str(threads),
                                       "--products", shapes], capture_output=True, text=True, check=True).stdout)
    base = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    blas = [json.loads(subprocess.run(["/usr/bin/python3", "-c", FLOOR_WORKER, shapes, "3"], env=env, capture_output=True,
                                      text=True, check=True).stdout)
            for env in (base, {k: v for k, v in base.items() if k != "OPENBLAS_CORETYPE"})]
    runs = [xgrad] + blas
    best = [min(r["seconds"][i] for r in runs) for i in range(len(products))]
    gemm = sum(p[0] * t for p, t in zip(products, best))
    xgrad_gemm = sum(p[0] * t for p, t in zip(products, xgrad["seconds"]))
    flops = sum(2 * n * M * N * K for n, M, N, K, _ in products)
    copy = max(r["copy_bytes_per_second"] for r in runs)
    optimizer = 7 * 4 * params / copy
    return {"seconds": gemm + optimizer, "gemm": gemm, "xgrad_gemm": xgrad_gemm, "gflop": flops / 1e9,
            "optimizer": optimizer, "copy_gb_s": copy / 1e9,
            "xgrad_best_share": sum(x == b for x, b in zip(xgrad["seconds"], best)) / len(best)}


def run(cmd, env):
    """(per-step seconds, max RSS MB) of one process."""
    out = subprocess.run(["/usr/bin/time", "-f", "maxrss %M"] + cmd, env=env, capture_output=True, text=True, check=True)
    steps = [json.loads(line)["seconds"] for line in out.stdout.splitlines() if line.startswith("{")]
    rss = [int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("maxrss")]
    return steps, rss[-1] / 1024


def interleaved(xgrad, torch, threads, rounds, title):
    """Runs xgrad's and PyTorch's commands (PyTorch with OPENBLAS_CORETYPE as set and unset) in interleaved
    rounds at `threads`, prints each one's median step and max RSS and the ratios to the faster PyTorch;
    returns (medians by name, that PyTorch's name)."""
    base = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    unset = {k: v for k, v in base.items() if k != "OPENBLAS_CORETYPE"}
    runs = {"xgrad": [], "torch (as set)": [], "torch (unset)": []}
    rss = {k: 0.0 for k in runs}
    for _ in range(rounds):
        for name, cmd, env in (("xgrad", xgrad, base), ("torch (as set)", torch, base), ("torch (unset)", torch, unset)):
            steps, mb = run(cmd, env)
            runs[name].append(statistics.median(steps[1:]) if len(steps) > 1 else steps[0])
            rss[name] = max(rss[name], mb)
    med = {k: statistics.median(v) for k, v in runs.items()}
    peer = min(("torch (as set)", "torch (unset)"), key=lambda k: med[k])
    print(f"{title}, {threads} thread(s), {rounds} rounds (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')!r}):")
    for k in runs:
        print(f"  {k:15s} {med[k]:.3f} s a step (runs {', '.join(f'{t:.3f}' for t in runs[k])}), max RSS {rss[k]:.0f} MB")
    print(f"  xgrad / PyTorch ({peer}): time {med['xgrad'] / med[peer]:.2f}x, memory {rss['xgrad'] / rss[peer]:.2f}x")
    return med, peer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--floor", action="store_true", help="measure the step's floor too")
    a = ap.parse_args()
    shape = [str(a.steps), str(a.threads), str(a.batch), str(a.context)]
    xgrad = [os.path.join(ROOT, a.build, "benchmarks", "gpt2_step"), "--steps", str(a.steps), "--threads",
             str(a.threads), "--batch", str(a.batch), "--context", str(a.context)]
    torch = [sys.executable, "-c", TORCH_STEP, os.path.join(ROOT, "tests", "reference")] + shape
    med, peer = interleaved(xgrad, torch, a.threads, a.rounds,
                            f"W-gpt2 step, 124M, batch {a.batch} x context {a.context}")
    if a.floor:
        f = floor(a.build, a.threads, a.batch, a.context)
        print(f"  floor {f['seconds']:.3f} s: {f['gflop']:.0f} GFLOP of products at the best measured time of each "
              f"{f['gemm']:.3f} s ({f['gflop'] / f['gemm']:.0f} GFLOP/s; xgrad's kernel {f['xgrad_gemm']:.3f} s, the best on "
              f"{100 * f['xgrad_best_share']:.0f}% of the shapes) + AdamW's bytes at {f['copy_gb_s']:.1f} GB/s "
              f"{f['optimizer']:.3f} s; xgrad / floor {med['xgrad'] / f['seconds']:.2f}x")


if __name__ == "__main__":
    main()
