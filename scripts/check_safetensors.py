#!/usr/bin/env python3
"""Reads a safetensors file written by xgrad with plain numpy (following the format's spec), and with
the `safetensors` package and PyTorch when they are installed, and prints what it found.

    /usr/bin/python3 scripts/check_safetensors.py model.safetensors
"""
import json
import struct
import sys

import numpy as np


def read_with_numpy(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    return out, header.get("__metadata__", {})


def main(path):
    tensors, meta = read_with_numpy(path)
    for name, a in sorted(tensors.items()):
        print(f"numpy: {name} {a.shape} sum={a.sum():.6f}")
    if meta:
        print(f"metadata keys: {sorted(meta)}")
    try:
        from safetensors.numpy import load_file
        other = load_file(path)
        assert all(np.array_equal(other[k], tensors[k]) for k in tensors)
        print("safetensors package: same tensors")
    except ImportError:
        print("safetensors package: not installed (numpy reader only)")
    try:
        import torch
        sd = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
        print(f"torch: state_dict with {len(sd)} tensors, e.g. {next(iter(sd))} {tuple(next(iter(sd.values())).shape)}")
    except ImportError:
        pass


if __name__ == "__main__":
    main(sys.argv[1])
