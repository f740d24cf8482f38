"""benchmarks/lectures: compare.py's W-mlp, W-gpt and W-gpt-gelu: examples/mlp's and examples/gpt's steps in
xgrad and in their peers benchmarks/peers/lecture_peer.{py,cpp}; W-gpt-ops: the char GPT written from ops
(benchmarks/gpt_from_ops.cpp against benchmarks/peers/gpt_from_ops.py, no libtorch peer); and the floor of
each step. Used by compare.py (see its docstring); not a program of its own.
"""
import json
import os
import subprocess

from compare import HERE, ROOT, measured

MLP = os.path.join(ROOT, "build", "examples", "mlp")
GPT = os.path.join(ROOT, "build", "examples", "gpt")
GPT_FROM_OPS = os.path.join(ROOT, "build", "benchmarks", "gpt_from_ops")
LECTURE_PEER_SRC = os.path.join(HERE, "peers", "lecture_peer.cpp")
LECTURE_PEER_BIN = os.path.join(ROOT, "out", "lecture_peer")
LECTURES = {
    # name: (program, steps, n_layer, activation)
    "W-mlp": ("mlp", 5000, 0, ""),
    "W-gpt": ("gpt", 300, 4, "relu"),
    "W-gpt-gelu": ("gpt", 300, 2, "gelu"),
    "W-gpt-ops": ("gpt_from_ops", 300, 2, "gelu"),  # LayerNorm and GELU written from ops, the book's attention
}


def lecture_peer():
    """out/lecture_peer from benchmarks/peers/lecture_peer.cpp (None without libtorch-dev)."""
    if not os.path.exists("/usr/include/torch/csrc/api/include/torch/torch.h"):
        return None
    if not os.path.exists(LECTURE_PEER_BIN) or os.path.getmtime(LECTURE_PEER_BIN) < os.path.getmtime(LECTURE_PEER_SRC):
        print("building", LECTURE_PEER_BIN, "(libtorch C++ peer)", flush=True)
        subprocess.run(["g++", "-O2", "-std=c++17", "-march=native", "-I/usr/include/torch/csrc/api/include",
                        LECTURE_PEER_SRC, "-o", LECTURE_PEER_BIN, "-ltorch", "-ltorch_cpu", "-lc10", "-w"], check=True)
    return LECTURE_PEER_BIN


def lecture_args(name):
    prog, steps, layers, act = LECTURES[name]
    return prog, steps, ([str(layers), act] if prog == "gpt" else [str(layers)] if prog == "gpt_from_ops" else [])


def lecture_xgrad(name, threads):
    prog, steps, _ = lecture_args(name)
    _, _, layers, act = LECTURES[name]
    if prog == "mlp":
        cmd = [MLP, "--steps", str(steps), "--samples", "0", "--json", "--threads", str(threads)]
    elif prog == "gpt_from_ops":
        cmd = [GPT_FROM_OPS, "--steps", str(steps), "--threads", str(threads), "--layers", str(layers)]
    else:
        cmd = [GPT, "--max-iters", str(steps), "--eval-iters", "1", "--eval-interval", str(steps + 1), "--max-new-tokens",
               "0", "--json", "--threads", str(threads), "--n-layer", str(layers), "--activation", act]
    out, rss = measured(cmd)
    j = json.loads(out.strip().splitlines()[-1])
    return {"step_ms": j["ms_per_step"], "rss": rss}


def lecture_torch(name, threads):
    prog, steps, extra = lecture_args(name)
    if prog == "gpt_from_ops":
        out, rss = measured(["/usr/bin/python3", os.path.join(HERE, "peers", "gpt_from_ops.py"), str(steps), str(threads),
                             extra[0]])
        return {"step_ms": json.loads(out.strip().splitlines()[-1])["ms_per_step"], "rss": rss}
    out, rss = measured(["/usr/bin/python3", os.path.join(HERE, "peers", "lecture_peer.py"), prog, str(steps),
                         str(threads)] + extra)
    return {"step_ms": 1e3 * json.loads(out.strip().splitlines()[-1])["seconds"] / steps, "rss": rss}


def lecture_libtorch(name, threads, peer):
    """None for W-gpt-ops (its only peer is Python's)."""
    prog, steps, extra = lecture_args(name)
    if prog == "gpt_from_ops":
        return None
    out, rss = measured([peer, prog, ROOT, str(steps), str(threads)] + extra)
    return {"step_ms": 1e3 * json.loads(out.strip().splitlines()[-1])["seconds"] / steps, "rss": rss}


def lecture_gemms(name):
    """[(count, M, N, K)]: every product of one training step, forward and both backward ones."""
    fwd = []
    if LECTURES[name][0] == "mlp":
        fwd = [(1, 32, 200, 30), (1, 32, 27, 200)]
        params = 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27
    else:
        B, T, C, H, V, L = 16, 32, 64, 4, 65, LECTURES[name][2]
        hs = C // H
        qkv = (3, B * T, C, C) if LECTURES[name][0] == "gpt_from_ops" else (3 * H, B * T, hs, C)  # all heads, or each
        per_layer = [qkv, (H * B, T, T, hs), (H * B, T, hs, T), (1, B * T, C, C), (1, B * T, 4 * C, C),
                     (1, B * T, C, 4 * C)]
        fwd = per_layer * L + [(1, B * T, V, C)]
        params = V * C + T * C + L * (3 * C * C + C * C + C + C * 4 * C + 4 * C + 4 * C * C + C + 4 * C) + 2 * C + C * V
        params += 0 if LECTURES[name][0] == "gpt_from_ops" else V  # lm_head's bias (out_head has none)
    out = []
    for n, M, N, K in fwd:
        out += [(n, M, N, K), (n, M, K, N), (n, K, N, M)]  # Y = A·B; dA = dY·Bᵀ; dB = Aᵀ·dY
    return out, params


LECTURE_FLOOR_WORKER = r'''
import json, sys, time, numpy as np
shapes, params, opt_arrays = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
def best(fn, reps=9):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
total = 0.0
for n, M, N, K in shapes:
    a = rng.standard_normal((M, K), dtype=np.float32); b = rng.standard_normal((K, N), dtype=np.float32)
    c = np.empty((M, N), dtype=np.float32)
    total += n * best(lambda: np.matmul(a, b, out=c))
src = rng.standard_normal(4 << 20, dtype=np.float32); dst = np.empty_like(src)
copy_bw = 2 * src.nbytes / best(lambda: np.copyto(dst, src))  # bytes read + written a second
print(1e3 * (total + opt_arrays * 4 * params / copy_bw))
'''


def lecture_floor_ms(name, threads):
    """The step's GEMMs at numpy's (OpenBLAS's) rate on its shapes, plus the optimizer's traffic: SGD
    reads the parameter and its gradient and writes the parameter (3 arrays), AdamW 7 (p, g, m, v read;
    p, m, v written). With several threads: the lower of that count's floor and one thread's."""
    shapes, params = lecture_gemms(name)
    arrays = 3 if LECTURES[name][0] == "mlp" else 7
    def at(t):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        out = subprocess.run(["/usr/bin/python3", "-c", LECTURE_FLOOR_WORKER, json.dumps(shapes), str(params), str(arrays)],
                             env=env, capture_output=True, text=True, check=True).stdout
        return float(out)
    return at(1) if threads == 1 else min(at(1), at(threads))
