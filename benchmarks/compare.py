#!/usr/bin/env python3
"""benchmarks/compare: the BENCHMARKS.md workloads in xgrad and PyTorch (Python), in one run,
interleaved, several repetitions; prints one table of medians and ratios.

    /usr/bin/python3 benchmarks/compare.py [--reps 3] [--threads 1] [--quick] [--install]

--install  apt-get installs the optional peers (python3-torch, libopenblas0-pthread for the sgemm floor).
The floor of a workload = its GEMM flops at the sgemm rate numpy measures on the same shapes in the same
run (OpenBLAS when installed) + its exponentials at numpy's float32 exp rate.
Every process is measured on its own: time per step from the training loop alone, peak memory (max RSS)
from the kernel's rusage of that process.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIGRAM = os.path.join(ROOT, "build", "examples", "bigram")
SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare", "train.txt")


def measured(cmd, env=None):
    """Runs cmd with its stdout captured; returns (stdout, max RSS MB) using wait4's rusage."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.close(r)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            os.execve(cmd[0], cmd, env or dict(os.environ))
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with status {status}")
    return b"".join(chunks).decode(), ru.ru_maxrss / 1024.0


def zipf_corpus(path, n=1_000_000, ranks=10_000, seed=0):
    """W-word's data: n word ids drawn i.i.d. from Zipf(s=1) over `ranks` ranks, written as words."""
    if os.path.exists(path):
        return
    import numpy as np
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, ranks + 1)
    ids = rng.choice(ranks, size=n, p=p / p.sum())
    with open(path, "w") as f:
        f.write(" ".join(f"w{i}" for i in ids))


WORKLOADS = {
    # name: (corpus, level, K, batch, steps, optimizer, lr)
    "W-seed": (None, "word", 2, 0, 10000, "sgd", 0.1),
    "W-char": (SHAKESPEARE, "char", 64, 4096, 2000, "adam", 0.01),
    "W-word": ("ZIPF", "word", 128, 1024, 200, "adam", 0.01),
}


def xgrad_run(name, threads, zipf):
    corpus, level, K, B, steps, opt, lr = WORKLOADS[name]
    cmd = [BIGRAM, "--quiet", "--json", "--generate", "0", "--level", level, "--dim", str(K), "--batch", str(B),
           "--steps", str(steps), "--optimizer", opt, "--lr", str(lr), "--threads", str(threads), "--min-count", "1"]
    if corpus:
        cmd += ["--corpus", zipf if corpus == "ZIPF" else corpus]
    out, rss = measured(cmd)
    j = json.loads(out.strip().splitlines()[-1])
    return {"step_ms": 1e3 * j["seconds"] / steps, "tokens_s": j["tokens_per_second"], "rss": rss, "N": j["vocab_size"],
            "B": B if B else 11, "K": K, "loss": j["train_loss"]}


TORCH_WORKER = r'''
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
corpus, level, K, B, steps, opt, lr, threads = sys.argv[1:9]
K, B, steps, lr, threads = int(K), int(B), int(steps), float(lr), int(threads)
torch.set_num_threads(threads)
if corpus == "-":
    text = "the cat ate the dog! the dog ran the zoo."
    toks = text.replace("!", " !").replace(".", " .").split()
else:
    text = open(corpus, "rb").read().decode("latin-1")
    toks = list(text) if level == "char" else text.split()
vocab = sorted(set(toks)); idx = {t: i for i, t in enumerate(vocab)}
ids = torch.tensor([idx[t] for t in toks])
prev, nxt = ids[:-1], ids[1:]
N = len(vocab)
torch.manual_seed(0)
V = nn.Embedding(N, K); U = nn.Linear(K, N, bias=False)
params = list(V.parameters()) + list(U.parameters())
o = torch.optim.SGD(params, lr=lr) if opt == "sgd" else torch.optim.Adam(params, lr=lr)
n = prev.numel()
t0 = time.perf_counter()
for s in range(steps):
    if B:
        k = torch.randint(0, n, (B,)); p, q = prev[k], nxt[k]
    else:
        p, q = prev, nxt
    loss = F.cross_entropy(U(V(p)), q)
    o.zero_grad(); loss.backward(); o.step()
sec = time.perf_counter() - t0
print(json.dumps({"seconds": sec, "loss": loss.item(), "N": N}))
'''


def torch_run(name, threads, zipf):
    corpus, level, K, B, steps, opt, lr = WORKLOADS[name]
    c = "-" if corpus is None else (zipf if corpus == "ZIPF" else corpus)
    out, rss = measured(["/usr/bin/python3", "-c", TORCH_WORKER, c, level, str(K), str(B), str(steps), opt, str(lr), str(threads)])
    j = json.loads(out.strip().splitlines()[-1])
    b = B if B else 11
    return {"step_ms": 1e3 * j["seconds"] / steps, "tokens_s": b * steps / j["seconds"], "rss": rss, "N": j["N"], "B": b, "K": K}


FLOOR_WORKER = r'''
import sys, time, numpy as np
B, K, N = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
v = rng.standard_normal((B, K), dtype=np.float32)
U = rng.standard_normal((N, K), dtype=np.float32)
g = rng.standard_normal((B, N), dtype=np.float32)
def best(fn, reps=7):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
gemm = best(lambda: v @ U.T) + best(lambda: g @ U) + best(lambda: g.T @ v)
print(1e3 * (gemm + best(lambda: np.exp(g))))
'''


def floor_ms(B, K, N, threads):
    """The three GEMMs of a step at numpy's sgemm rate (OpenBLAS when installed, with `threads` threads)
    plus B·N exps at numpy's float32 exp rate, in a fresh process so the thread count takes effect."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run(["/usr/bin/python3", "-c", FLOOR_WORKER, str(B), str(K), str(N)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--only", default="W-seed,W-char,W-word")
    args = ap.parse_args()
    if args.install:
        subprocess.run(["apt-get", "install", "-y", "-q", "python3-torch", "python3-numpy", "libopenblas0-pthread"], check=True)
    zipf = os.path.join(ROOT, "out", "zipf_words.txt")
    os.makedirs(os.path.dirname(zipf), exist_ok=True)
    zipf_corpus(zipf)
    rows = []
    for name in args.only.split(","):
        xs, ts = [], []
        for _ in range(args.reps):  # interleaved
            xs.append(xgrad_run(name, args.threads, zipf))
            ts.append(torch_run(name, args.threads, zipf))
        med = lambda rs, k: statistics.median(r[k] for r in rs)
        x, t = xs[0], ts[0]
        fl = floor_ms(x["B"], x["K"], x["N"], args.threads) if name != "W-seed" else float("nan")
        rows.append((name, med(xs, "step_ms"), med(ts, "step_ms"), med(xs, "tokens_s"), med(ts, "tokens_s"),
                     max(r["rss"] for r in xs), max(r["rss"] for r in ts), fl))
    print(f"\nthreads {args.threads}, medians of {args.reps} interleaved runs; machine: {os.uname().nodename} "
          f"{os.cpu_count()} cpus; torch {subprocess.run(['/usr/bin/python3', '-c', 'import torch; print(torch.__version__)'], capture_output=True, text=True).stdout.strip()}")
    print(f"{'workload':8} {'xgrad ms/step':>14} {'torch ms/step':>14} {'torch/xgrad':>12} {'xgrad tok/s':>12} "
          f"{'floor ms':>9} {'xgrad/floor':>12} {'xgrad MB':>9} {'torch MB':>9}")
    for name, xm, tm, xt, tt, xr, tr, fl in rows:
        print(f"{name:8} {xm:14.4f} {tm:14.4f} {tm / xm:11.1f}x {xt:12.3g} {fl:9.3f} {xm / fl:11.2f}x {xr:9.0f} {tr:9.0f}")


if __name__ == "__main__":
    main()
