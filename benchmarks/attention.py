#!/usr/bin/env python3
"""Fused attention against the book's: the book's MultiHeadAttention (ch. 3: causal, no qkv bias, dropout
0) forward + backward on x of (batch, context, emb), xgrad (build/benchmarks/mha_step, whose attention is
one blocked op that keeps each query's log-sum-exp) against PyTorch 1.13 running the book's class
(tests/reference/make_attention_reference.py's BookMHA: the scores, the mask and the weights as (B, H, T,
T) tensors). Rounds interleaved; PyTorch with OPENBLAS_CORETYPE as set and unset (the faster reported),
OPENBLAS_NUM_THREADS and torch.set_num_threads at the thread count; a run's time is the median of its
steps after the first; memory is each process's max RSS, and what its inputs, weights and outputs take.

    /usr/bin/python3 benchmarks/attention.py --build build [--threads 1] [--steps 4] [--rounds 2]
                                             [--batch 8] [--context 1024] [--emb 768] [--heads 12]
"""
import argparse
import os
import sys

from gpt2_step import ROOT, interleaved

TORCH_MHA = r'''
import json, sys, time, torch
sys.path.insert(0, sys.argv[1])
from make_attention_reference import BookMHA
steps, threads, B, T, C, H = map(int, sys.argv[2:8])
torch.set_num_threads(threads)
torch.manual_seed(123)
mha = BookMHA(C, C, T, 0.0, H)
x = torch.randn(B, T, C, requires_grad=True); dy = torch.randn(B, T, C)
for s in range(steps):
    t0 = time.perf_counter()
    x.grad = None; mha.zero_grad(set_to_none=True)
    (mha(x) * dy).sum().backward()
    print(json.dumps({"step": s, "seconds": time.perf_counter() - t0}), flush=True)
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    for name, default in (("threads", 1), ("steps", 4), ("rounds", 2), ("batch", 8), ("context", 1024), ("emb", 768),
                          ("heads", 12)):
        ap.add_argument("--" + name, type=int, default=default)
    a = ap.parse_args()
    dims = [str(a.batch), str(a.context), str(a.emb), str(a.heads)]
    xgrad = [os.path.join(ROOT, a.build, "benchmarks", "mha_step"), "--steps", str(a.steps), "--threads", str(a.threads),
             "--batch", dims[0], "--context", dims[1], "--emb", dims[2], "--heads", dims[3]]
    torch = [sys.executable, "-c", TORCH_MHA, os.path.join(ROOT, "tests", "reference"), str(a.steps), str(a.threads)] + dims
    interleaved(xgrad, torch, a.threads, a.rounds,
                f"book's MultiHeadAttention forward + backward, B {a.batch} T {a.context} C {a.emb} H {a.heads}")
    io_mb = 4 * (3 * a.batch * a.context * a.emb + 4 * a.emb * a.emb) / 1e6  # x, dy, y (and grads alike); weights
    probs_mb = 4 * a.batch * a.heads * a.context * a.context / 1e6
    print(f"  x, dy, y and the weights: {io_mb:.0f} MB; one (B, H, T, T) tensor: {probs_mb:.0f} MB")


if __name__ == "__main__":
    main()
