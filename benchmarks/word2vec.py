#!/usr/bin/env python3
"""benchmarks/word2vec: xgrad's word2vec (wordvec --train) against the original word2vec.c and gensim 4
on the same corpus and settings: skip-gram, negative sampling, dim 100, window 5, negative 5,
min-count 5, sample 1e-3; 5 and 20 epochs; 1 and 2 threads; three seeds.

    /usr/bin/python3 benchmarks/word2vec.py [--corpus ../shared/data/wikitext2/valid.txt] [--iters 5,20]
                                            [--threads 1,2] [--seeds 1,2,3] [--cbow] [--install]

--cbow trains CBOW instead (word2vec.c -cbow 1, gensim sg=0, wordvec --cbow 1), at word2vec.c's CBOW rate
alpha 0.05 for all three.

"xgrad lock-free" is wordvec --lock-free (threads update the tables at once, not reproducible), run
with 2 threads or more. Reports per tool: words per second (per thread), analogy accuracy on questions-words with the questions
covered, WordSim-353 and SimLex-999 Spearman (all scored by gensim's evaluate_word_analogies /
evaluate_word_pairs on each tool's vectors, restrict_vocab 300000), and agreement: for the 1,000 most
frequent words, the mean overlap of their 10 nearest neighbours between two sets of vectors: each
run against each one-thread word2vec.c run of the same epochs (for word2vec.c: of another seed; a
table with more threads keeps the one-thread runs as the reference, since xgrad's vectors do not depend
on the thread count and word2vec.c's do), and against the same tool's runs of other seeds.

--cross adds a table of each pair of tools' agreement (a run of one seed against the other tool's runs of
the other seeds; a tool against itself: its own runs of different seeds).

--batches 2,8 adds rows "xgrad batch N": xgrad's reproducible mode with --batch N --readers 1 (one
thread; run with --threads 1): the closer a step is to word2vec.c's pair-by-pair updates, the closer the
vectors.

word2vec.c comes from the npm package word2vec 1.1.5 (its src/, Apache 2.0), unpacked into
out/word2vec-c/ and built with gcc -O3 -march=native. It has no seed flag (the initial vectors' generator
starts at 1, each thread's at its thread id: every run starts from the same vectors); the script
builds it with both starts shifted by the environment variable W2V_SEED, so its seeds vary as the
others' do (with the same start, its runs would agree with each other more than any two tools can). --install apt-installs python3-gensim and npm.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EVAL = os.path.join(ROOT, "..", "shared", "data", "wordvec-eval")
WORDVEC = os.path.join(ROOT, "build", "examples", "wordvec")
W2V_DIR = os.path.join(ROOT, "out", "word2vec-c")
W2V = os.path.join(W2V_DIR, "word2vec")
OUT = os.path.join(ROOT, "out", "w2v-bench")
SETTINGS = dict(size=100, window=5, negative=5, min_count=5, sample=1e-3, cbow=0)


def build_word2vec_c():
    if os.path.exists(W2V) and os.path.getmtime(W2V) > os.path.getmtime(__file__):
        return
    os.makedirs(W2V_DIR, exist_ok=True)
    subprocess.run(["npm", "pack", "word2vec@1.1.5"], cwd=W2V_DIR, check=True, capture_output=True)
    subprocess.run(["tar", "xzf", "word2vec-1.1.5.tgz"], cwd=W2V_DIR, check=True)
    src = open(os.path.join(W2V_DIR, "package", "src", "word2vec.c")).read()
    seed = '(getenv("W2V_SEED") ? strtoull(getenv("W2V_SEED"), 0, 10) * 1000003ULL : 0)'
    # both generators: the initial vectors' (InitNet starts it at 1) and each training thread's (at its id)
    seeded = src.replace("unsigned long long next_random = (long long)id;",
                         f"unsigned long long next_random = (long long)id + {seed};")
    seeded = seeded.replace("unsigned long long next_random = 1;", f"unsigned long long next_random = 1 + {seed};")
    assert seeded.count("W2V_SEED") == 4, "word2vec.c: the generators' starts were not found"
    open(os.path.join(W2V_DIR, "word2vec_seeded.c"), "w").write(seeded)
    subprocess.run(["gcc", "-O3", "-march=native", "-funroll-loops", "-Wno-unused-result", "word2vec_seeded.c", "-o",
                    "word2vec", "-lm", "-pthread"], cwd=W2V_DIR, check=True)


def run_word2vec_c(corpus, out, it, threads, seed):
    env = dict(os.environ, W2V_SEED=str(seed))
    t = time.perf_counter()
    subprocess.run([W2V, "-train", corpus, "-output", out, "-size", str(SETTINGS["size"]), "-window",
                    str(SETTINGS["window"]), "-negative", str(SETTINGS["negative"]), "-hs", "0", "-sample",
                    str(SETTINGS["sample"]), "-min-count", str(SETTINGS["min_count"]), "-iter", str(it), "-cbow", str(SETTINGS["cbow"]),
                    "-threads", str(threads), "-binary", "1"], env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def run_xgrad_lock_free(corpus, out, it, threads, seed):
    return run_xgrad(corpus, out, it, threads, seed, ["--lock-free"])


def run_xgrad(corpus, out, it, threads, seed, extra=()):
    t = time.perf_counter()
    subprocess.run([WORDVEC, "--train", corpus, "--output", out, "--binary", "1", "--size", str(SETTINGS["size"]),
                    "--window", str(SETTINGS["window"]), "--negative", str(SETTINGS["negative"]), "--sample",
                    str(SETTINGS["sample"]), "--min-count", str(SETTINGS["min_count"]), "--iter", str(it), "--threads",
                    str(threads), "--seed", str(seed), "--cbow", str(SETTINGS["cbow"]), *extra], check=True, capture_output=True)
    return time.perf_counter() - t


def run_gensim(corpus, out, it, threads, seed):
    code = f"""
import logging
from gensim.models import Word2Vec
m = Word2Vec(corpus_file={corpus!r}, vector_size={SETTINGS['size']}, window={SETTINGS['window']},
             negative={SETTINGS['negative']}, hs=0, sample={SETTINGS['sample']}, min_count={SETTINGS['min_count']},
             epochs={it}, sg={1 - SETTINGS['cbow']}, alpha={0.05 if SETTINGS['cbow'] else 0.025}, workers={threads},
             seed={seed})
m.wv.save_word2vec_format({out!r}, binary=True)
"""
    t = time.perf_counter()
    subprocess.run(["/usr/bin/python3", "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t


def train_words(corpus):
    """Words in the vocabulary (count ≥ min_count) plus line breaks: what each tool trains on an epoch."""
    counts = {}
    lines = 0
    for line in open(corpus, encoding="utf-8", errors="replace"):
        lines += 1
        for w in line.split():
            counts[w] = counts.get(w, 0) + 1
    return lines + sum(c for c in counts.values() if c >= SETTINGS["min_count"])


SCORE = r'''
import json, sys
import numpy as np
from gensim.models import KeyedVectors
paths, ev = sys.argv[1].split(","), sys.argv[2]
out = {}
for p in paths:
    kv = KeyedVectors.load_word2vec_format(p, binary=True)
    acc, sections = kv.evaluate_word_analogies(ev + "/questions-words.txt", restrict_vocab=300000)
    total = sections[-1]
    covered = len(total["correct"]) + len(total["incorrect"])
    ws = kv.evaluate_word_pairs(ev + "/wordsim353.tsv", restrict_vocab=300000)
    sl = kv.evaluate_word_pairs(ev + "/simlex999.txt", restrict_vocab=300000)
    words = [w for w in kv.index_to_key if w != "</s>"][:1000]
    near = {w: [x for x, _ in kv.most_similar(w, topn=10)] for w in words}
    out[p] = {"analogy": acc, "covered": covered, "wordsim": float(ws[1][0]), "simlex": float(sl[1][0]), "near": near}
print(json.dumps(out))
'''


def overlap(a, b):
    common = [w for w in a if w in b]
    return statistics.mean(len(set(a[w]) & set(b[w])) / 10 for w in common)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data", "wikitext2", "valid.txt"))
    ap.add_argument("--iters", default="5,20")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--cbow", action="store_true")
    ap.add_argument("--batches", default="",
                    help="also run xgrad with these --batch values (one reader), e.g. 2,8: rows 'xgrad batch N'")
    ap.add_argument("--cross", action="store_true",
                    help="also print each pair of tools' agreement: runs of different seeds, one tool against the other")
    ap.add_argument("--install", action="store_true")
    args = ap.parse_args()
    SETTINGS["cbow"] = int(args.cbow)
    if args.install:
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-gensim", "npm", "gcc"], check=True)
    build_word2vec_c()
    os.makedirs(OUT, exist_ok=True)
    import json
    words = train_words(args.corpus)
    tools = {"word2vec.c": run_word2vec_c, "gensim": run_gensim, "xgrad": run_xgrad, "xgrad lock-free": run_xgrad_lock_free}
    for b in filter(None, args.batches.split(",")):
        tools[f"xgrad batch {b}"] = lambda *a, b=b: run_xgrad(*a, extra=["--batch", b, "--readers", "1"])
    print(f"corpus {args.corpus}: {words} training words an epoch; settings {SETTINGS}", flush=True)
    ref_one = {}  # epochs → word2vec.c's one-thread runs' neighbours: every table's agreement reference
    for it in map(int, args.iters.split(",")):
        for threads in sorted(map(int, args.threads.split(","))):
            files, rates = {}, {}
            for seed in map(int, args.seeds.split(",")):  # interleaved: one run of each tool a seed
                for name, fn in tools.items():
                    if name == "xgrad lock-free" and threads == 1:
                        continue  # the same as xgrad's reproducible mode on one thread
                    if name.startswith("xgrad batch") and threads > 1:
                        continue  # one reader trains on one thread
                    out = os.path.join(OUT, f"{name.replace(' ', '-')}-{'cbow' if args.cbow else 'sg'}-i{it}-t{threads}-s{seed}.bin")
                    secs = fn(args.corpus, out, it, threads, seed)
                    files.setdefault(name, []).append(out)
                    rates.setdefault(name, []).append(words * it / secs / threads)
            every = [p for ps in files.values() for p in ps]
            scores = json.loads(subprocess.run(["/usr/bin/python3", "-c", SCORE, ",".join(every), EVAL], check=True,
                                               capture_output=True, text=True).stdout)
            if threads == 1:
                ref_one[it] = [scores[p]["near"] for p in files["word2vec.c"]]
            ref = ref_one.get(it, [scores[p]["near"] for p in files["word2vec.c"]])
            ref_name = "word2vec.c 1t" if it in ref_one else "word2vec.c"
            print(f"\n{it} epochs, {threads} thread(s), seeds {args.seeds}: medians (min–max)")
            print(f"{'tool':15} {'k words/thread/s':>17} {'analogy %':>16} {'covered':>8} {'WordSim-353':>18} "
                  f"{'SimLex-999':>18} {'agree w/ ' + ref_name:>20} {'agree w/ itself':>20}")
            for name, ps in files.items():
                s = [scores[p] for p in ps]
                def col(vals, scale=1.0, fmt="{:.2f}"):
                    vals = [v * scale for v in vals]
                    return f"{fmt.format(statistics.median(vals))} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"
                # agreement: each run against each one-thread word2vec.c run (xgrad's vectors are the same at
                # any thread count); for word2vec.c, against those of the other seeds
                agree = [overlap(x["near"], r) for i, x in enumerate(s) for j, r in enumerate(ref)
                         if name != "word2vec.c" or i != j]
                # the same tool's runs of other seeds against each other
                itself = [overlap(s[i]["near"], s[j]["near"]) for i in range(len(s)) for j in range(i + 1, len(s))]
                print(f"{name:15} {col(rates[name], 1e-3, '{:.0f}'):>17} {col([x['analogy'] for x in s], 100):>16} "
                      f"{s[0]['covered']:>8} {col([x['wordsim'] for x in s], 1, '{:.3f}'):>18} "
                      f"{col([x['simlex'] for x in s], 1, '{:.3f}'):>18} {col(agree, 1, '{:.3f}'):>20} "
                      f"{col(itself, 1, '{:.3f}') if itself else '-':>20}", flush=True)
            if args.cross:  # tool A's run of seed i against tool B's of seed j ≠ i: means (min–max)
                names = list(files)
                print(f"\nagreement between tools, {it} epochs, {threads} thread(s): runs of different seeds")
                for a in range(len(names)):
                    for b in range(a, len(names)):
                        sa, sb = files[names[a]], files[names[b]]
                        vals = [overlap(scores[x]["near"], scores[y]["near"]) for i, x in enumerate(sa)
                                for j, y in enumerate(sb) if i != j and (a != b or i < j)]
                        if vals:
                            print(f"  {names[a]:>15} / {names[b]:<15} {statistics.mean(vals):.3f} "
                                  f"({min(vals):.3f}–{max(vals):.3f})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
