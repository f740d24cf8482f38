#!/usr/bin/env python3
"""The positional example (examples/positional.cpp) in PyTorch, as the lecture writes it, for
tests/test_positional.cpp: the lecture's GPTDatasetV1 and DataLoader (batch 8, max_length 4, stride 4,
no shuffle), then token and positional embeddings, over two tokenizations:
  - positional_gpt2.json: the book's ch. 2 — the-verdict in GPT-2's ids (tiktoken's, read from
    tests/reference/text/gpt2_cases.json, which scripts/make_tokenizer_reference.js made), V = 50257;
  - positional.json: tinyshakespeare in the bigram's word tokenizer, re-stated in Python.
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_positional_reference.py
"""
import json
import os
from collections import Counter

import torch
from torch.utils.data import DataLoader

from make_dataloader_reference import GPTDatasetV1  # the book's dataset, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = os.path.join(HERE, "..", "..", "data", "tinyshakespeare", "input.txt")


def tokenize(text: bytes):
    """examples/bigram/corpus.cpp's word level: lower-cased runs of letters, digits, ' and bytes >= 0x80;
    a line break is <eos> (one more before the first line when the text has line breaks); other
    whitespace separates; any other byte is a token of its own."""
    out = []
    if b"\n" in text and not text.startswith(b"\n"):
        out.append("<eos>")
    word = []
    for c in text:
        if chr(c).isascii() and (chr(c).isalnum() or c == ord("'")) or c >= 0x80:
            word.append(chr(c).lower() if c < 0x80 else chr(c))
            continue
        if word:
            out.append("".join(word))
            word = []
        if c == ord("\n"):
            out.append("<eos>")
        elif chr(c).isspace() or c == 0:
            continue
        else:
            out.append(chr(c))
    if word:
        out.append("".join(word))
    return out


def word_ids():
    tokens = tokenize(open(TEXT, "rb").read())
    counts = Counter(tokens)
    vocab = sorted([t for t, c in counts.items() if c >= 2] + (["<unk>"] if min(counts.values()) < 2 else []))
    stoi = {t: i for i, t in enumerate(vocab)}
    return [stoi.get(t, stoi.get("<unk>")) for t in tokens], len(vocab)


def gpt2_ids():
    """The-verdict's first ids (enough for the first batch) and its length in ids, as tiktoken gave them."""
    with open(os.path.join(HERE, "text", "gpt2_cases.json")) as f:
        cases = {c["name"]: c for c in json.load(f)}
    first = cases["verdict start"]["ids"][:40]
    n = cases["data/gpt2/the-verdict.txt"]["n_ids"]
    return first + [0] * (n - len(first)), 50257  # the windows past the first batch are never read


def main(token_ids, vocab_size, name):
    torch.manual_seed(123)
    output_dim, max_length = 256, 4
    token_embedding_layer = torch.nn.Embedding(vocab_size, output_dim)
    dataloader = DataLoader(GPTDatasetV1(token_ids, max_length, max_length), batch_size=8, shuffle=False,
                            drop_last=True)
    inputs, targets = next(iter(dataloader))
    token_embeddings = token_embedding_layer(inputs)
    context_length = max_length
    pos_embedding_layer = torch.nn.Embedding(context_length, output_dim)
    pos_embeddings = pos_embedding_layer(torch.arange(max_length))
    input_embeddings = token_embeddings + pos_embeddings

    rows = lambda t: [float(v) for v in t.reshape(-1, t.shape[-1])[:2, :8].reshape(-1).tolist()]
    out = {"vocab_size": vocab_size, "tokens": len(token_ids), "inputs": inputs.reshape(-1).tolist(),
           "targets": targets.reshape(-1).tolist(), "token_embeddings": rows(token_embeddings),
           "pos_embeddings": rows(pos_embeddings), "input_embeddings": rows(input_embeddings),
           "shapes": [list(token_embeddings.shape), list(pos_embeddings.shape), list(input_embeddings.shape)],
           "torch": torch.__version__}
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {name}:", vocab_size, "tokens", len(token_ids), inputs.tolist()[0])


if __name__ == "__main__":
    main(*gpt2_ids(), "positional_gpt2.json")
    main(*word_ids(), "positional.json")
