#!/usr/bin/env python3
"""Reference files for tests/test_wordvec.cpp, made with gensim 4.2 (Debian's python3-gensim).

A small vocabulary of 120 words with 16-dimensional vectors (numpy seed 0), built so that analogies
work: pairs (x_i, y_i) with y_i = x_i + one shared offset + noise, as "man : king :: woman : queen".
gensim writes them in its three formats and answers queries on them:
  wordvec_gensim.txt          word2vec text (save_word2vec_format)
  wordvec_gensim.bin          word2vec binary (binary=True)
  wordvec_gensim_glove.txt    no header (write_header=False): the GloVe layout
  wordvec_questions.txt       analogy questions in sections, some out of the vocabulary, some in capitals
  wordvec_pairs.tsv           word pairs with made-up scores ('#' comments, one pair out of the vocabulary)
  wordvec_gensim.json         most_similar, most_similar_cosmul, similarity, doesnt_match,
                              evaluate_word_analogies and evaluate_word_pairs, as gensim computes them
With --check DIR it loads the files test_wordvec.cpp wrote there (xgrad's text, binary and GloVe
output) with gensim and checks they hold the same words and vectors.
Run:  /usr/bin/python3 tests/reference/make_wordvec_reference.py
"""
import argparse
import json
import os

import numpy as np
from gensim.models import KeyedVectors

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--check", default="", help="directory with xgrad's exports to load with gensim")
args = ap.parse_args()

rng = np.random.default_rng(0)
D = 16
offset = rng.standard_normal(D).astype(np.float32)
words, vecs = [], []
for w in ["the", "of", "and", "to", "in"]:  # frequent words first, as word2vec orders them
    words.append(w), vecs.append(rng.standard_normal(D))
for i, (x, y) in enumerate([("man", "king"), ("woman", "queen"), ("boy", "prince"), ("girl", "princess"),
                            ("cat", "kitten"), ("dog", "puppy")]):
    v = rng.standard_normal(D)
    words += [x, y]
    vecs += [v, v + 2 * offset + 0.1 * rng.standard_normal(D)]
for i in range(40):
    v = rng.standard_normal(D)
    words += [f"x{i}", f"y{i}"]
    vecs += [v, v + 2 * offset + 0.3 * rng.standard_normal(D)]
words += ["King", "car", "Car"]  # case variants after their lower-case twins (less frequent)
vecs += [rng.standard_normal(D) for _ in range(3)]
while len(words) < 120:
    words.append(f"w{len(words)}"), vecs.append(rng.standard_normal(D))
vecs = np.array(vecs, dtype=np.float32)

kv = KeyedVectors(D)
kv.add_vectors(words, vecs)
kv.save_word2vec_format(os.path.join(HERE, "wordvec_gensim.txt"))
kv.save_word2vec_format(os.path.join(HERE, "wordvec_gensim.bin"), binary=True)
kv.save_word2vec_format(os.path.join(HERE, "wordvec_gensim_glove.txt"), write_header=False)

questions = os.path.join(HERE, "wordvec_questions.txt")
with open(questions, "w") as f:
    f.write(": family\nman king woman queen\nboy prince girl princess\nMAN KING GIRL PRINCESS\n"
            "woman queen man king\nman king woman unknownword\n")
    f.write(": pairs\n" + "".join(f"x{i} y{i} x{i + 1} y{i + 1}\n" for i in range(0, 38, 2)))
    f.write("cat kitten dog puppy\nnot a question\n")
pairs = os.path.join(HERE, "wordvec_pairs.tsv")
with open(pairs, "w") as f:
    f.write("# word 1\tword 2\tscore\n")
    f.write("".join(f"{a}\t{b}\t{s}\n" for a, b, s in [
        ("man", "king", 7.5), ("cat", "kitten", 8.25), ("dog", "puppy", 8.25), ("man", "woman", 6.0),
        ("the", "of", 1.0), ("car", "KING", 0.5), ("x0", "y0", 9.0), ("x1", "x2", 2.0), ("zzz", "man", 3.0),
        ("queen", "princess", 7.0), ("girl", "boy", 6.5)]))

queries = [(["king"], []), (["king", "woman"], ["man"]), (["cat"], []), (["x3"], ["y3"]), (["the", "of"], [])]
out = {
    "most_similar": [{"positive": p, "negative": n, "topn": 10,
                      "result": [[w, float(s)] for w, s in kv.most_similar(positive=p, negative=n, topn=10)]}
                     for p, n in queries],
    "most_similar_restrict": [{"positive": ["king"], "negative": [], "topn": 5, "restrict_vocab": 30,
                               "result": [[w, float(s)] for w, s in
                                          kv.most_similar(positive=["king"], topn=5, restrict_vocab=30)]}],
    "most_similar_cosmul": [{"positive": p, "negative": n, "topn": 10,
                             "result": [[w, float(s)] for w, s in kv.most_similar_cosmul(positive=p, negative=n, topn=10)]}
                            for p, n in queries],
    "similarity": [[a, b, float(kv.similarity(a, b))] for a, b in
                   [("cat", "dog"), ("king", "queen"), ("man", "man"), ("x0", "y0"), ("King", "king")]],
    "doesnt_match": [[ws, kv.doesnt_match(ws)] for ws in
                     [["man", "woman", "boy", "car"], ["cat", "kitten", "puppy", "the"], ["x1", "y1", "x2", "y2", "w115"]]],
}
score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=100)
out["analogies"] = {"restrict_vocab": 100, "accuracy": score,
                    "sections": [[s["section"], len(s["correct"]), len(s["incorrect"])] for s in sections]}
pearson, spearman, oov = kv.evaluate_word_pairs(pairs, restrict_vocab=100)
out["pairs"] = {"restrict_vocab": 100, "pearson": float(pearson[0]), "spearman": float(spearman[0]), "oov_ratio": oov}
with open(os.path.join(HERE, "wordvec_gensim.json"), "w") as f:
    json.dump(out, f, indent=1)
print("wrote the wordvec references:", out["analogies"], out["pairs"])

if args.check:  # gensim reads what xgrad wrote
    for name, kw in [("xgrad.txt", {}), ("xgrad.bin", {"binary": True}), ("xgrad_glove.txt", {"no_header": True})]:
        other = KeyedVectors.load_word2vec_format(os.path.join(args.check, name), **kw)
        assert other.index_to_key == kv.index_to_key, name
        assert np.array_equal(other.vectors, kv.vectors), name
        print(f"gensim reads {name}: the same {len(other)} words and vectors")
