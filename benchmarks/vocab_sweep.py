#!/usr/bin/env python3
"""benchmarks/vocab_sweep: how a W-word step's time grows with the vocabulary N (K = 128, batch 1024,
Adam), in xgrad and libtorch (the C++ peer compare.py builds), interleaved; writes a table and an SVG.

    /usr/bin/python3 benchmarks/vocab_sweep.py [--threads 1] [--steps 30] [--out docs/plots/vocab_sweep.svg]

Each N uses 1,000,000 ids drawn from Zipf(s = 1) over N ranks (fixed seed); the step is sampled batch,
forward, backward and the optimizer step, as in BENCHMARKS.md. The cost is linear in N: the three
GEMMs (6·B·K·N flops) and the B·N exponentials.
"""
import argparse
import array
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (measured, libtorch_peer, ROOT, BIGRAM)


def zipf_ids(path, ranks, n=1_000_000, seed=0):
    """int64 file: N, then n ids from Zipf(1) over `ranks` (the ids file format of compare.py)."""
    if os.path.exists(path):
        return
    rng = random.Random(seed)
    ids = rng.choices(range(ranks), weights=[1.0 / (r + 1) for r in range(ranks)], k=n)
    array.array("q", [ranks] + ids).tofile(open(path, "wb"))


def svg(rows, path, threads):
    W, H, L, B = 640, 400, 70, 50
    xmax = max(r[0] for r in rows)
    ymax = max(max(r[1], r[2] or 0) for r in rows) * 1.1
    X = lambda x: L + (W - L - 20) * x / xmax
    Y = lambda y: H - B - (H - B - 30) * y / ymax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<text x="{W / 2}" y="18" text-anchor="middle">W-word step time vs vocabulary (K = 128, batch 1024, Adam, '
           f'{threads} thread{"s" if threads > 1 else ""})</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - 20}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{H - B}" x2="{L}" y2="30" stroke="black"/>',
           f'<text x="{W / 2}" y="{H - 10}" text-anchor="middle">vocabulary size N</text>',
           f'<text x="15" y="{H / 2}" transform="rotate(-90 15 {H / 2})" text-anchor="middle">ms per step</text>']
    for r in rows:
        out.append(f'<text x="{X(r[0])}" y="{H - B + 16}" text-anchor="middle">{r[0]}</text>')
    for k in range(5):
        y = ymax * k / 4
        out.append(f'<text x="{L - 6}" y="{Y(y) + 4}" text-anchor="end">{y:.0f}</text>')
    for col, name, color in ((1, "xgrad", "#1f77b4"), (2, "libtorch", "#d62728")):
        pts = [(X(r[0]), Y(r[col])) for r in rows if r[col] is not None]
        if not pts:
            continue
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="' +
                   " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        out.append(f'<text x="{pts[-1][0] - 5}" y="{pts[-1][1] - 8}" text-anchor="end" fill="{color}">{name}</text>')
    out.append("</svg>")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--vocabs", default="1000,5000,10000,20000,50257")
    ap.add_argument("--out", default=os.path.join(compare.ROOT, "docs", "plots", "vocab_sweep.svg"))
    args = ap.parse_args()
    peer = compare.libtorch_peer()
    rows = []
    for N in map(int, args.vocabs.split(",")):
        ids = os.path.join(compare.ROOT, "out", "bench", f"zipf_{N}.ids")
        os.makedirs(os.path.dirname(ids), exist_ok=True)
        zipf_ids(ids, N)
        words = os.path.join(compare.ROOT, "out", "bench", f"zipf_{N}.txt")
        if not os.path.exists(words):
            a = array.array("q"); a.frombytes(open(ids, "rb").read())
            open(words, "w").write(" ".join(f"w{i}" for i in a[1:]))
        out, _ = compare.measured([compare.BIGRAM, "--quiet", "--json", "--no-eval", "--generate", "0", "--dim", "128",
                                   "--batch", "1024", "--steps", str(args.steps), "--optimizer", "adam", "--lr", "0.01",
                                   "--min-count", "1", "--threads", str(args.threads), "--corpus", words])
        j = json.loads(out.strip().splitlines()[-1])
        x = 1e3 * j["seconds"] / args.steps
        t = None
        if peer:
            o, _ = compare.measured([peer, "bigram", ids, "128", "1024", str(args.steps), "adam", "0.01", str(args.threads)])
            t = 1e3 * json.loads(o.strip().splitlines()[-1])["seconds"] / args.steps
        rows.append((N, x, t))
        # xgrad's vocabulary holds the ranks that were drawn (a few of the rarest may not be); libtorch's all N
        print(f"N={N:6d}  xgrad {x:8.2f} ms/step (vocabulary {j['vocab_size']})  libtorch "
              f"{'-' if t is None else f'{t:.2f}'} ms/step", flush=True)
    svg(rows, args.out, args.threads)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
