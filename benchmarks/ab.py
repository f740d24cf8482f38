#!/usr/bin/env python3
"""benchmarks/ab: xgrad against an earlier xgrad on compare.py's workloads — the bigram's (W-seed, W-char,
W-word) and the lectures' (W-mlp, W-gpt, W-gpt-gelu) — in one run, interleaved (the order swapped every
repetition), to show that a change costs nothing where it was not aimed. Prints medians, the spread and
new / old per workload.

    git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build -DCMAKE_BUILD_TYPE=Release \\
        -DXGRAD_MPI=OFF && cmake --build /tmp/old/build -j2 --target bigram mlp gpt
    /usr/bin/python3 benchmarks/ab.py --old /tmp/old/build [--reps 5] [--threads 1] [--only W-char,W-gpt]

The new side is this checkout's build/. Both run the same command lines (compare.py's), so the earlier
revision must take the same flags.
"""
import argparse
import os
import statistics

import compare
import lectures


def run(name, build, threads, zipf):
    """One run of `name` with the programs of `build`: {"step_ms", "rss"}."""
    compare.BIGRAM = os.path.join(build, "examples", "bigram")
    lectures.MLP = os.path.join(build, "examples", "mlp")
    lectures.GPT = os.path.join(build, "examples", "gpt")
    if name in lectures.LECTURES:
        return lectures.lecture_xgrad(name, threads)
    return compare.xgrad_run(name, threads, zipf)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="the earlier revision's build directory")
    ap.add_argument("--new", default=os.path.join(compare.ROOT, "build"), help="this revision's build directory")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="W-seed,W-char,W-word,W-mlp,W-gpt,W-gpt-gelu")
    args = ap.parse_args()
    zipf = os.path.join(compare.ROOT, "out", "zipf_words.txt")
    os.makedirs(os.path.dirname(zipf), exist_ok=True)
    compare.zipf_corpus(zipf)
    names = args.only.split(",")
    times = {(n, side): [] for n in names for side in ("new", "old")}
    rss = dict.fromkeys(times, 0)
    for rep in range(args.reps):
        for name in names:
            for side in (("new", "old") if rep % 2 == 0 else ("old", "new")):
                r = run(name, args.new if side == "new" else args.old, args.threads, zipf)
                times[(name, side)].append(r["step_ms"])
                rss[(name, side)] = max(rss[(name, side)], r["rss"])
    print(f"\n{args.threads} thread(s), {args.reps} interleaved runs; {compare.cpu_model()}; new {args.new}, old {args.old}")
    print(f"{'workload':10} {'new ms':>9} {'(min-max)':>17} {'old ms':>9} {'(min-max)':>17} {'new/old':>8} {'MB new':>7} {'MB old':>7}")
    for name in names:
        new, old = times[(name, "new")], times[(name, "old")]
        spread = lambda ts: f"({min(ts):.4f}-{max(ts):.4f})"
        print(f"{name:10} {statistics.median(new):9.4f} {spread(new):>17} {statistics.median(old):9.4f} {spread(old):>17} "
              f"{statistics.median(new) / statistics.median(old):7.3f}x {rss[(name, 'new')]:7.0f} {rss[(name, 'old')]:7.0f}")


if __name__ == "__main__":
    main()
