#!/usr/bin/env python3
"""xgrad's GPT-2 tokenizer against tiktoken on a ~10 MB text, in one run, rounds interleaved.

    (cd /tmp/tk && npm install tiktoken js-tiktoken)       # the peers, outside the repository
    python3 benchmarks/tokenizer.py --node-modules /tmp/tk/node_modules [--rounds 3] [--text FILE]

The default text is ../shared/data's WikiText-2 valid, tinyshakespeare and the-verdict, repeated
to 10 MB. Prints each tool's encode speed (MB/s: bytes of UTF-8 text a second, median over rounds),
the ids' count, and xgrad's speed over each peer's; first it checks that xgrad's ids (`tokenize --out`)
are tiktoken's, by hash, on the text and on each of its three sources whole.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")


def make_text(path, size=10_000_000):
    parts = [os.path.join(SHARED, "wikitext2", "valid.txt"), os.path.join(SHARED, "tinyshakespeare", "input.txt"),
             os.path.join(SHARED, "gpt2", "the-verdict.txt")]
    chunks = [open(p, encoding="utf-8").read() for p in parts]
    out, n = [], 0
    while n < size:
        for c in chunks:
            out.append(c)
            n += len(c.encode("utf-8"))
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(out))


def run_xgrad(bench, text, reps):
    env = dict(os.environ, XGRAD_BENCH_TEXT=text)
    out = subprocess.run([bench, "--benchmark_filter=BM_encode", f"--benchmark_repetitions={reps}",
                          "--benchmark_format=json"], env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        threads = int(b["name"].split("/")[1])
        res.setdefault(threads, []).append((b["real_time"] / 1e3, int(b["tokens"])))  # ms → s
    return res


def xgrad_ids_hash(tokenize, text):
    """FNV-1a 64 of the ids `tokenize TEXT --out` writes (each id's 4 little-endian bytes)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "ids.bin")
        subprocess.run([tokenize, text, "--allowed-special", "all", "--out", out], check=True, capture_output=True)
        data = open(out, "rb").read()
    h = 0xcbf29ce484222325
    for k in range(1024, len(data), 2):
        for byte in (data[k], data[k + 1], 0, 0):
            h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def check_ids(a, text, label):
    """xgrad's ids of `text` against tiktoken's, by hash; prints and returns whether they are equal."""
    mine = xgrad_ids_hash(a.tokenize, text)
    theirs = run_peer(a.node_modules, text, "wasm", 1)
    same = mine == theirs["fnv1a64"]
    print(f"ids of {label}: {theirs['ids']:,} from tiktoken; xgrad's {'identical' if same else 'DIFFERENT'}")
    return same


def run_peer(node_modules, text, kind, reps):
    env = dict(os.environ, NODE_PATH=node_modules)
    out = subprocess.run(["node", os.path.join(ROOT, "benchmarks", "peers", "tiktoken_peer.js"), text, kind, str(reps)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node-modules", required=True, help="a node_modules folder with tiktoken and js-tiktoken")
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "benchmarks", "bench_text"))
    ap.add_argument("--tokenize", default=os.path.join(ROOT, "build", "examples", "tokenize"))
    ap.add_argument("--text", help="the text to encode (default: 10 MB made from ../shared/data)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3, help="encodes per tool per round")
    ap.add_argument("--no-js", action="store_true", help="leave out js-tiktoken (slow)")
    a = ap.parse_args()
    text = a.text
    if not text:
        text = os.path.join(tempfile.gettempdir(), "xgrad_tokenizer_bench.txt")
        make_text(text)
    size = os.path.getsize(text)
    same = all([check_ids(a, text, os.path.basename(text))] +
               [check_ids(a, os.path.join(SHARED, *p), "/".join(p)) for p in
                (("wikitext2", "valid.txt"), ("tinyshakespeare", "input.txt"), ("gpt2", "the-verdict.txt"))])
    times = {"xgrad 1 thread": [], "xgrad 2 threads": [], "tiktoken (wasm)": [], "js-tiktoken": []}
    ids = {}
    for r in range(a.rounds):
        x = run_xgrad(a.bench, text, a.reps)
        for t, name in ((1, "xgrad 1 thread"), (2, "xgrad 2 threads")):
            times[name] += [s for s, _ in x[t]]
            ids[name] = x[t][0][1]
        for kind in ["wasm"] + ([] if a.no_js else ["js"]):
            p = run_peer(a.node_modules, text, kind, a.reps)
            times[p["peer"]].append(p["median"])
            ids[p["peer"]] = p["ids"]
        print(f"round {r + 1} of {a.rounds} done", file=sys.stderr)
    print(f"text: {text}, {size:,} bytes; {a.rounds} rounds × {a.reps} encodes; medians")
    print(f"| tool | ids | seconds | MB/s | xgrad 1 thread's speed over it |")
    print(f"|---|---|---|---|---|")
    x1 = statistics.median(times["xgrad 1 thread"])
    for name, ts in times.items():
        if not ts:
            continue
        m = statistics.median(ts)
        print(f"| {name} | {ids[name]:,} | {m:.3f} | {size / m / 1e6:.1f} | {m / x1:.2f}× |")
    if len(set(ids.values())) != 1 or not same:
        print("the tools' ids differ!", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
