#!/usr/bin/env python3
"""benchmarks/wordvec_queries: gensim's side of bench_wordvec — a million random words of 100 dims
(numpy's normals; words "w0" … "w999999"), most_similar("w17") and the analogy w1 − w2 + w3 (medians of
20), and load_word2vec_format of the binary file. Run it beside ./build/benchmarks/bench_wordvec:

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/wordvec_queries.py
"""
import os
import tempfile
import time

import numpy as np
from gensim.models import KeyedVectors

N, D = 1_000_000, 100


def median_ms(f, reps=20):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[reps // 2] * 1e3


def main():
    kv = KeyedVectors(D)
    kv.add_vectors([f"w{i}" for i in range(N)], np.random.default_rng(5).standard_normal((N, D), dtype=np.float32))
    kv.most_similar("w17", topn=10)  # the unit rows, made once
    print(f"most_similar: {median_ms(lambda: kv.most_similar('w17', topn=10)):.1f} ms")
    print(f"analogy: {median_ms(lambda: kv.most_similar(positive=['w1', 'w3'], negative=['w2'], topn=10)):.1f} ms")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v.bin")
        kv.save_word2vec_format(path, binary=True)
        t = time.perf_counter()
        KeyedVectors.load_word2vec_format(path, binary=True)
        print(f"load binary ({os.path.getsize(path) / 1e6:.0f} MB): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
