"""Writes tests/reference/text/minbpe_verdict_512.model: the merges minbpe's RegexTokenizer algorithm
learns from the-verdict with GPT-2's pattern to 512 ids, in minbpe's model format. A plain rendering
of the algorithm (count every adjacent pair in every piece, merge the most frequent, the first seen
on a tie), independent of xgrad's incremental trainer, which the tests hold to it. Needs Python's
`regex` module (for \\p{L}); not needed to build or test.

    python3 scripts/make_bpe_reference.py
"""
import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def pair_counts(pieces):
    counts = {}  # insertion order = the order pairs are first seen
    for ids in pieces:
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, new_id):
    out, k = [], 0
    while k < len(ids):
        if k + 1 < len(ids) and (ids[k], ids[k + 1]) == pair:
            out.append(new_id)
            k += 2
        else:
            out.append(ids[k])
            k += 1
    return out


def train(text, vocab_size):
    pieces = [list(p.encode("utf-8")) for p in regex.findall(GPT2_PATTERN, text)]
    merges = []
    for i in range(vocab_size - 256):
        counts = pair_counts(pieces)
        if not counts:
            break
        best = max(counts, key=counts.get)  # the first of the most frequent
        pieces = [merge(ids, best, 256 + i) for ids in pieces]
        merges.append(best)
    return merges


if __name__ == "__main__":
    with open("data/gpt2/the-verdict.txt", encoding="utf-8") as f:
        merges = train(f.read(), 512)
    with open("tests/reference/text/minbpe_verdict_512.model", "w") as f:
        f.write("minbpe v1\n" + GPT2_PATTERN + "\n0\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    print(f"tests/reference/text/minbpe_verdict_512.model: {len(merges)} merges")
