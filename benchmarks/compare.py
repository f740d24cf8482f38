#!/usr/bin/env python3
"""benchmarks/compare: the BENCHMARKS.md workloads (W-seed, W-char, W-word, W-emb; W-mlp, W-gpt,
W-gpt-gelu, W-gpt-ops; W-gpt2) in xgrad, PyTorch (Python) and libtorch (C++, benchmarks/peers/torch_peer.cpp and
lecture_peer.cpp, built here with g++), in one run, interleaved, several repetitions; prints one table
of medians and ratios.

    /usr/bin/python3 benchmarks/compare.py [--reps 3] [--threads 1] [--only W-seed,W-char] [--install]

W-mlp is examples/mlp's step (makemore's MLP, batch 32, SGD); W-gpt examples/gpt's default step (4
blocks, ReLU); W-gpt-gelu the same with 2 blocks and a tanh-GELU. Their peers are
benchmarks/peers/lecture_peer.{py,cpp}, the same programs on the same bundled data. W-gpt-ops is the char
GPT a user writes from ops (benchmarks/gpt_from_ops.cpp: the book's chapter-4 LayerNorm, GELU and attention
at W-gpt-gelu's size) against the same classes in PyTorch (benchmarks/peers/gpt_from_ops.py). Their floor is the
step's GEMMs (every forward product and its two backward ones) timed one by one with numpy at these
shapes, plus the optimizer's unavoidable traffic (parameter, gradient and state read and written) at
numpy's copy bandwidth.

W-gpt2 is the book's GPT-2 124M step at the book's shape (batch 2 x context 256) and llm.c's (4 x 64),
against the book's GPTModel in PyTorch, with its floor: benchmarks/gpt2_step.py --floor, whose output
it prints (it needs build/benchmarks/gpt2_step and step_floor; --reps is its --rounds). Not in the
default --only: it takes ~5 minutes a shape and thread count.

--install  apt-get installs the optional peers (python3-torch, libtorch-dev, python3-numpy and
           libopenblas0-pthread for the sgemm floor). A peer that is not installed is left out.
All three train on the same token ids (written once to out/bench/<workload>.ids).
The floor of a workload = its GEMM flops at the sgemm rate numpy measures on the same shapes in the same
run (OpenBLAS when installed) + its exponentials at numpy's float32 exp rate; with several threads, the
lower of that and the one-thread floor (OpenBLAS's threads can lose on these small shapes).
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


def tokens(name, zipf):
    """The workload's tokens as the three implementations read them."""
    corpus, level = WORKLOADS[name][0], WORKLOADS[name][1]
    if corpus is None:
        return "the cat ate the dog ! the dog ran the zoo .".split()
    text = open(zipf if corpus == "ZIPF" else corpus, "rb").read().decode("latin-1")
    return list(text) if level == "char" else text.split()


def ids_file(name, zipf):
    """out/bench/<name>.ids: int64 little-endian, the vocabulary size N, then the ids (vocabulary sorted)."""
    import array
    path = os.path.join(ROOT, "out", "bench", name + ".ids")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        toks = tokens(name, zipf)
        vocab = {t: i for i, t in enumerate(sorted(set(toks)))}
        array.array("q", [len(vocab)] + [vocab[t] for t in toks]).tofile(open(path, "wb"))
    return path


WORKLOADS = {
    # name: (corpus, level, K, batch, steps, optimizer, lr)
    "W-seed": (None, "word", 2, 0, 10000, "sgd", 0.1),
    "W-char": (SHAKESPEARE, "char", 64, 4096, 2000, "adam", 0.01),
    "W-word": ("ZIPF", "word", 128, 1024, 200, "adam", 0.01),
}


def xgrad_run(name, threads, zipf):
    corpus, level, K, B, steps, opt, lr = WORKLOADS[name]
    cmd = [BIGRAM, "--quiet", "--json", "--no-eval", "--generate", "0", "--level", level, "--dim", str(K), "--batch", str(B),
           "--steps", str(steps), "--optimizer", opt, "--lr", str(lr), "--threads", str(threads), "--min-count", "1"]
    if corpus:
        cmd += ["--corpus", zipf if corpus == "ZIPF" else corpus]
    out, rss = measured(cmd)
    j = json.loads(out.strip().splitlines()[-1])
    return {"step_ms": 1e3 * j["seconds"] / steps, "tokens_s": j["tokens_per_second"], "rss": rss, "N": j["vocab_size"],
            "B": B if B else 11, "K": K}


TORCH_WORKER = r'''
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
ids_path, K, B, steps, opt, lr, threads = sys.argv[1:8]
K, B, steps, lr, threads = int(K), int(B), int(steps), float(lr), int(threads)
torch.set_num_threads(threads)
import array
a = array.array("q"); a.frombytes(open(ids_path, "rb").read())
N = a[0]; ids = torch.tensor(a[1:], dtype=torch.int64)
prev, nxt = ids[:-1], ids[1:]
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
    _, _, K, B, steps, opt, lr = WORKLOADS[name]
    out, rss = measured(["/usr/bin/python3", "-c", TORCH_WORKER, ids_file(name, zipf), str(K), str(B), str(steps), opt,
                         str(lr), str(threads)])
    j = json.loads(out.strip().splitlines()[-1])
    b = B if B else 11
    return {"step_ms": 1e3 * j["seconds"] / steps, "tokens_s": b * steps / j["seconds"], "rss": rss, "N": j["N"], "B": b, "K": K}


PEER_SRC = os.path.join(HERE, "peers", "torch_peer.cpp")
PEER_BIN = os.path.join(ROOT, "out", "torch_peer")


def libtorch_peer():
    """Builds out/torch_peer from benchmarks/peers/torch_peer.cpp when it is missing or older; None
    when libtorch-dev is not installed."""
    if not os.path.exists("/usr/include/torch/csrc/api/include/torch/torch.h"):
        return None
    if not os.path.exists(PEER_BIN) or os.path.getmtime(PEER_BIN) < os.path.getmtime(PEER_SRC):
        print("building", PEER_BIN, "(libtorch C++ peer)", flush=True)
        subprocess.run(["g++", "-O2", "-std=c++17", "-march=native", "-I/usr/include/torch/csrc/api/include", PEER_SRC,
                        "-o", PEER_BIN, "-ltorch", "-ltorch_cpu", "-lc10", "-w"], check=True)
    return PEER_BIN


def libtorch_run(name, threads, zipf):
    _, _, K, B, steps, opt, lr = WORKLOADS[name]
    out, rss = measured([PEER_BIN, "bigram", ids_file(name, zipf), str(K), str(B), str(steps), opt, str(lr), str(threads)])
    j = json.loads(out.strip().splitlines()[-1])
    b = B if B else 11
    return {"step_ms": 1e3 * j["seconds"] / steps, "tokens_s": b * steps / j["seconds"], "rss": rss, "N": j["N"], "B": b, "K": K}


# W-emb: forward+backward of Embedding(V, 128) vs one_hot(ids, V)·Wᵀ, batch 1024 (dense gradients).
EMB_VOCABS = [1000, 10000, 50257]
EMB_WORKER = r'''
import json, sys, time, torch, torch.nn.functional as F
V, K, B, reps, threads = map(int, sys.argv[1:6])
torch.set_num_threads(threads); torch.manual_seed(0)
ids = torch.randint(0, V, (B,)); table = torch.randn(V, K, requires_grad=True)
weight = torch.randn(K, V, requires_grad=True); dout = torch.randn(B, K)
def median_ms(fn):
    fn(); ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(1e3 * (time.perf_counter() - t))
    return sorted(ts)[len(ts) // 2]
def e():
    table.grad = None; F.embedding(ids, table).backward(dout)
def l():
    weight.grad = None; F.linear(F.one_hot(ids, V).float(), weight).backward(dout)
print(json.dumps({"embedding_ms": median_ms(e), "onehot_ms": median_ms(l)}))
'''


def emb_runs(threads, reps, have_torch, peer):
    """{impl: {V: (embedding ms, one-hot ms)}} for xgrad (dense and sparse gradient), torch and libtorch."""
    out, _ = measured([os.path.join(ROOT, "build", "examples", "embedding_vs_linear"), "--json", "--reps", str(reps),
                       "--threads", str(threads), "--vocabs", ",".join(map(str, EMB_VOCABS))])
    j = json.loads(out.strip().splitlines()[-1])["ms_sparse_dense_onehot"]
    res = {"xgrad": {V: (j[str(V)][1], j[str(V)][2]) for V in EMB_VOCABS},
           "xgrad sparse": {V: (j[str(V)][0], j[str(V)][2]) for V in EMB_VOCABS}}
    for V in EMB_VOCABS:
        if have_torch:
            o, _ = measured(["/usr/bin/python3", "-c", EMB_WORKER, str(V), "128", "1024", str(reps), str(threads)])
            t = json.loads(o.strip().splitlines()[-1])
            res.setdefault("torch", {})[V] = (t["embedding_ms"], t["onehot_ms"])
        if peer:
            o, _ = measured([peer, "emb", str(V), "128", "1024", str(reps), str(threads)])
            t = json.loads(o.strip().splitlines()[-1])
            res.setdefault("libtorch", {})[V] = (t["embedding_ms"], t["onehot_ms"])
    return res


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
    """The three GEMMs of a step at numpy's sgemm rate (OpenBLAS when installed) plus B·N exps at numpy's
    float32 exp rate, in a fresh process so the thread count takes effect. With several threads it is
    the lower of the floors at that count and at one thread: on these small shapes OpenBLAS's threads
    can make it slower than one thread, and what one thread does the machine can do."""
    def at(t):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        out = subprocess.run(["/usr/bin/python3", "-c", FLOOR_WORKER, str(B), str(K), str(N)], env=env,
                             capture_output=True, text=True, check=True).stdout
        return float(out)
    return at(1) if threads == 1 else min(at(1), at(threads))


def gpt2_step_report(threads, rounds, batch, context):
    """W-gpt2 at one shape: benchmarks/gpt2_step.py --floor's output (xgrad, PyTorch both ways, the floor)."""
    return subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gpt2_step.py"), "--build", "build", "--threads",
                           str(threads), "--rounds", str(rounds), "--batch", str(batch), "--context", str(context),
                           "--floor"], capture_output=True, text=True, check=True).stdout


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown cpu"


def main():
    import lectures  # W-mlp, W-gpt, W-gpt-gelu, W-gpt-ops (imported here: it imports this module's helpers)
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--only", default="W-seed,W-char,W-word,W-emb,W-mlp,W-gpt,W-gpt-gelu,W-gpt-ops")
    args = ap.parse_args()
    if args.install:
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-torch", "libtorch-dev",
                        "python3-numpy", "libopenblas0-pthread", "g++"], check=True)
    have_torch = subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0
    peer = libtorch_peer()
    zipf = os.path.join(ROOT, "out", "zipf_words.txt")
    os.makedirs(os.path.dirname(zipf), exist_ok=True)
    zipf_corpus(zipf)
    med = lambda rs, k: statistics.median(r[k] for r in rs) if rs else float("nan")
    rows, emb, gpt2 = [], None, []
    for name in args.only.split(","):
        if name == "W-gpt2":
            gpt2 += [gpt2_step_report(args.threads, args.reps, batch, context) for batch, context in ((2, 256), (4, 64))]
            continue
        if name == "W-emb":
            emb = emb_runs(args.threads, max(args.reps, 5), have_torch, peer)
            continue
        if name in lectures.LECTURES:
            lpeer = lectures.lecture_peer()
            xs, ts, ls = [], [], []
            for _ in range(args.reps):  # interleaved
                xs.append(lectures.lecture_xgrad(name, args.threads))
                if have_torch:
                    ts.append(lectures.lecture_torch(name, args.threads))
                if lpeer and (r := lectures.lecture_libtorch(name, args.threads, lpeer)):
                    ls.append(r)
            fl = lectures.lecture_floor_ms(name, args.threads)
            rows.append((name, med(xs, "step_ms"), med(ts, "step_ms"), med(ls, "step_ms"), float("nan"), fl,
                         max(r["rss"] for r in xs), max((r["rss"] for r in ts), default=float("nan")),
                         max((r["rss"] for r in ls), default=float("nan"))))
            continue
        xs, ts, ls = [], [], []
        for _ in range(args.reps):  # interleaved
            xs.append(xgrad_run(name, args.threads, zipf))
            if have_torch:
                ts.append(torch_run(name, args.threads, zipf))
            if peer:
                ls.append(libtorch_run(name, args.threads, zipf))
        x = xs[0]
        fl = floor_ms(x["B"], x["K"], x["N"], args.threads) if name != "W-seed" else float("nan")
        rows.append((name, med(xs, "step_ms"), med(ts, "step_ms"), med(ls, "step_ms"), med(xs, "tokens_s"), fl,
                     max(r["rss"] for r in xs), max((r["rss"] for r in ts), default=float("nan")),
                     max((r["rss"] for r in ls), default=float("nan"))))
    torch_v = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"], capture_output=True,
                             text=True).stdout.strip() or "not installed"
    print(f"\n{args.threads} thread(s), medians of {args.reps} interleaved runs; {cpu_model()}, {os.cpu_count()} cpus; "
          f"torch {torch_v}; libtorch peer {'built' if peer else 'not installed'}")
    if rows:
        print(f"{'workload':8} {'xgrad ms':>10} {'torch ms':>10} {'libtorch ms':>12} {'torch/x':>8} {'libtorch/x':>11} "
              f"{'xgrad tok/s':>12} {'floor ms':>9} {'x/floor':>8} {'MB x':>6} {'MB torch':>9} {'MB libt':>8}")
        for name, xm, tm, lm, xt, fl, xr, tr, lr_ in rows:
            print(f"{name:8} {xm:10.4f} {tm:10.4f} {lm:12.4f} {tm / xm:7.1f}x {lm / xm:10.1f}x {xt:12.3g} {fl:9.3f} "
                  f"{xm / fl:7.2f}x {xr:6.0f} {tr:9.0f} {lr_:8.0f}")
    for report in gpt2:
        print("\n" + report, end="")
    if emb:
        print(f"\nW-emb: forward+backward ms, batch 1024, dim 128 (embedding | one-hot·Wᵀ | one-hot/embedding)")
        print(f"{'impl':14}" + "".join(f"{'V=' + str(V):>28}" for V in EMB_VOCABS))
        for impl, by_v in emb.items():
            print(f"{impl:14}" + "".join(f"{e:9.3f} |{l:9.2f} |{l / e:6.0f}x" for e, l in (by_v[V] for V in EMB_VOCABS)))
        for peer_name in ("torch", "libtorch"):
            if peer_name in emb:
                print(f"{peer_name}/xgrad embedding: " + ", ".join(
                    f"V={V} {emb[peer_name][V][0] / emb['xgrad'][V][0]:.1f}x" for V in EMB_VOCABS))


if __name__ == "__main__":
    main()
