#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/ (committed; run again only to
# refresh them). Needs a built bigram program (build/examples/bigram) and python3 (no packages).
set -euo pipefail
cd "$(dirname "$0")/.."
bigram=${BIGRAM:-build/examples/bigram}
out=fuzz/corpus
rm -rf "$out" && mkdir -p "$out"/{safetensors,npy,corpus,checkpoint,wordvec}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

# checkpoints of the lecture model: SGD, tied, Adam with a cosine schedule
$bigram --steps 3 --quiet --generate 0 --save "$tmp/sgd.safetensors" >/dev/null
$bigram --steps 3 --quiet --generate 0 --tie --save "$tmp/tied.safetensors" >/dev/null
$bigram --steps 3 --quiet --generate 0 --optimizer adam --schedule cosine --save "$tmp/adam.safetensors" >/dev/null
for f in sgd tied adam; do
  cp "$tmp/$f.safetensors" "$out/checkpoint/$f"
  cp "$tmp/$f.safetensors" "$out/safetensors/$f"
done

python3 - "$out" <<'PY'
import json, struct, sys
out = sys.argv[1]

def safetensors(tensors, meta=None):
    header, data = {}, b""
    for name, (shape, values) in tensors.items():
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data

open(f"{out}/safetensors/empty", "wb").write(safetensors({}))
open(f"{out}/safetensors/weights", "wb").write(
    safetensors({"V.weight": ([2, 3], [1, 2, 3, 4, 5, 6]), "U.weight": ([3], [0.5, -1, 2]), "s": ([], [7])}, {"format": "pt"}))

def npy(descr, shape, values, version=1):
    d = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join(f"{s}, " for s in shape) if len(shape) == 1 else ", ".join(map(str, shape)))
    pre = 10 if version == 1 else 12
    d += " " * ((64 - (pre + len(d) + 1) % 64) % 64) + "\n"
    head = b"\x93NUMPY" + bytes([version, 0]) + (struct.pack("<H", len(d)) if version == 1 else struct.pack("<I", len(d)))
    fmt = "<%d%s" % (len(values), "f" if descr == "<f4" else "d")
    return head + d.encode() + struct.pack(fmt, *values)

open(f"{out}/npy/f4_2d", "wb").write(npy("<f4", [2, 3], [1, 2, 3, 4, 5, 6]))
open(f"{out}/npy/f8_1d", "wb").write(npy("<f8", [4], [0.5, -1, 2, 3]))
open(f"{out}/npy/f4_scalar", "wb").write(npy("<f4", [], [3.5]))
open(f"{out}/npy/f4_v2", "wb").write(npy("<f4", [1, 2], [1, 2], version=2))

# corpus target: the first byte picks the level (bit 0: char) and min_count; the rest is text
texts = {
    "lecture_word": b"\x00the cat ate the dog! the dog ran the zoo.",
    "names_char": b"\x01emma\nolivia\nava\nisabella\nsophia\n",
    "shakespeare_word": b"\x02First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    "odd_bytes": b"\x03ab\xff\xfe cd\x00ef\x80 ab\r\n\x00\x00ab caf\xc3\xa9",
}
for name, t in texts.items():
    open(f"{out}/corpus/{name}", "wb").write(t)

# wordvec target: word2vec text, word2vec binary (gensim's layout), GloVe
open(f"{out}/wordvec/text", "wb").write(b"3 2\nthe 1 2\ncat 0.5 -1e-3\n. 3 4\n")
open(f"{out}/wordvec/glove", "wb").write(b"the 1 2 3\ncat 4 5 6\n")
open(f"{out}/wordvec/binary", "wb").write(b"2 3\nthe " + struct.pack("<3f", 1, 2, 3) + b"\ncat " + struct.pack("<3f", -1, 0.5, 2))
PY
ls -l "$out"/*
