#!/usr/bin/env python3
"""benchmarks/sweep: how a W-word step's time grows with the vocabulary N, the dimension K or the batch B
(the other two at W-word's N = 10,000, K = 128, B = 1024; Adam), in xgrad and libtorch (the C++ peer
compare.py builds), interleaved, with the machine's floor at each point; writes a table and an SVG.

    /usr/bin/python3 benchmarks/sweep.py --over vocab|dim|batch [--values 1000,5000] [--threads 1]
                                         [--steps 20] [--out docs/plots/<over>_sweep.svg]

Each N uses 1,000,000 ids drawn from Zipf(s = 1) over N ranks (fixed seed); the step is sampled batch,
forward, backward and the optimizer step, as in BENCHMARKS.md. The floor is compare.py's: the three
GEMMs (6·B·K·N flops) at numpy/OpenBLAS's sgemm rate on the same shapes plus the B·N exponentials at
numpy's exp rate. Both grow linearly in each of N, K and B.
"""
import argparse
import array
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (measured, libtorch_peer, floor_ms, ROOT, BIGRAM)

DEFAULTS = {"N": 10_000, "K": 128, "B": 1024}
OVER = {  # --over: (the parameter it varies, its default values, the axis label)
    "vocab": ("N", "1000,5000,10000,20000,50257", "vocabulary size N"),
    "dim": ("K", "32,64,128,256,512", "dimension K"),
    "batch": ("B", "256,512,1024,2048,4096", "batch B"),
}


def zipf_ids(path, ranks, n=1_000_000, seed=0):
    """int64 file: N, then n ids from Zipf(1) over `ranks` (the ids file format of compare.py)."""
    if os.path.exists(path):
        return
    rng = random.Random(seed)
    ids = rng.choices(range(ranks), weights=[1.0 / (r + 1) for r in range(ranks)], k=n)
    array.array("q", [ranks] + ids).tofile(open(path, "wb"))


def corpus(N):
    """The ids file (for libtorch) and the same ids as words w<id> (for the bigram program)."""
    ids = os.path.join(compare.ROOT, "out", "bench", f"zipf_{N}.ids")
    os.makedirs(os.path.dirname(ids), exist_ok=True)
    zipf_ids(ids, N)
    words = os.path.join(compare.ROOT, "out", "bench", f"zipf_{N}.txt")
    if not os.path.exists(words):
        a = array.array("q")
        a.frombytes(open(ids, "rb").read())
        open(words, "w").write(" ".join(f"w{i}" for i in a[1:]))
    return ids, words


def svg(rows, path, title, xlabel):
    """rows: (x, xgrad ms, libtorch ms or None, floor ms)."""
    W, H, L, B = 640, 400, 70, 50
    xmax = max(r[0] for r in rows)
    ymax = max(max(r[1], r[2] or 0, r[3]) for r in rows) * 1.1
    X = lambda x: L + (W - L - 20) * x / xmax
    Y = lambda y: H - B - (H - B - 30) * y / ymax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<text x="{W / 2}" y="18" text-anchor="middle">{title}</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - 20}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{H - B}" x2="{L}" y2="30" stroke="black"/>',
           f'<text x="{W / 2}" y="{H - 10}" text-anchor="middle">{xlabel}</text>',
           f'<text x="15" y="{H / 2}" transform="rotate(-90 15 {H / 2})" text-anchor="middle">ms per step</text>']
    for r in rows:
        out.append(f'<text x="{X(r[0])}" y="{H - B + 16}" text-anchor="middle">{r[0]}</text>')
    for k in range(5):
        y = ymax * k / 4
        out.append(f'<text x="{L - 6}" y="{Y(y) + 4}" text-anchor="end">{y:.0f}</text>')
    for col, name, color, dash in ((1, "xgrad", "#1f77b4", ""), (2, "libtorch", "#d62728", ""),
                                   (3, "floor", "#555555", ' stroke-dasharray="5,4"')):
        pts = [(X(r[0]), Y(r[col])) for r in rows if r[col] is not None]
        if not pts:
            continue
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="' +
                   " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        out.append(f'<text x="{pts[-1][0] - 5}" y="{pts[-1][1] - 8}" text-anchor="end" fill="{color}">{name}</text>')
    out.append("</svg>")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("\n".join(out) + "\n")


def positive_ints(text):
    """'1000,5000' -> [1000, 5000]; anything else is an argparse error that quotes it."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", choices=sorted(OVER), default="vocab")
    ap.add_argument("--values", type=positive_ints, help="comma-separated values of the swept parameter")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out")
    args = ap.parse_args()
    param, default_values, xlabel = OVER[args.over]
    out_path = args.out or os.path.join(compare.ROOT, "docs", "plots", f"{args.over}_sweep.svg")
    peer = compare.libtorch_peer()
    rows = []
    for v in args.values or positive_ints(default_values):
        p = dict(DEFAULTS, **{param: v})
        N, K, B = p["N"], p["K"], p["B"]
        ids, words = corpus(N)
        out, _ = compare.measured([compare.BIGRAM, "--quiet", "--json", "--no-eval", "--generate", "0", "--dim", str(K),
                                   "--batch", str(B), "--steps", str(args.steps), "--optimizer", "adam", "--lr", "0.01",
                                   "--min-count", "1", "--threads", str(args.threads), "--corpus", words])
        j = json.loads(out.strip().splitlines()[-1])
        x = 1e3 * j["seconds"] / args.steps
        t = None
        if peer:
            o, _ = compare.measured([peer, "bigram", ids, str(K), str(B), str(args.steps), "adam", "0.01",
                                     str(args.threads)])
            t = 1e3 * json.loads(o.strip().splitlines()[-1])["seconds"] / args.steps
        fl = compare.floor_ms(B, K, j["vocab_size"], args.threads)
        rows.append((v, x, t, fl))
        # xgrad's vocabulary holds the ranks that were drawn (a few of the rarest may not be); libtorch's all N
        print(f"{param}={v:6d}  xgrad {x:8.2f} ms/step (vocabulary {j['vocab_size']})  libtorch "
              f"{'-' if t is None else f'{t:.2f}'} ms/step  floor {fl:.2f} ms  xgrad/floor {x / fl:.2f}  "
              f"libtorch/xgrad {'-' if t is None else f'{t / x:.2f}'}", flush=True)
    fixed = ", ".join(f"{k} = {DEFAULTS[k]}" for k in "NKB" if k != param)
    svg(rows, out_path, f"W-word step time vs {xlabel} ({fixed}, Adam, {args.threads} thread"
                        f"{'s' if args.threads > 1 else ''})", xlabel)
    print("wrote", out_path)


if __name__ == "__main__":
    main()
