#!/usr/bin/env python3
"""Writes tests/reference/bf16.txt: PyTorch's rounding of float32 values to bfloat16 (x.to(torch.bfloat16)),
for xgrad's kernels::to_bf16 (tests/tensor/test_bf16.cpp). Each line is "float32-bits bfloat16-bits" in hex:
exact, NaN included. The values: ties (both ways of even), the carries into the exponent, the largest
finite floats (rounded to inf), subnormals, ±0, ±inf, NaNs of both signs and payloads, and random floats
over many exponents.

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_bf16_reference.py
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    special = [0x00000000, 0x80000000, 0x3F800000, 0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0x3F817FFF,
               0x3FFF8000, 0x3FFFFFFF, 0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000,
               0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0xFFFFFFFF, 0x00000001, 0x00008000, 0x00018000,
               0x007FFFFF, 0x00800000, 0x80008001, 0x3EAAAAAB, 0xBF000000, 0x40490FDB]
    rng = np.random.default_rng(7)
    bits = np.concatenate([np.array(special, dtype=np.uint32), rng.integers(0, 2**32, 200, dtype=np.uint64).astype(np.uint32),
                           (rng.standard_normal(100) * 0.02).astype(np.float32).view(np.uint32)])
    x = torch.from_numpy(bits.view(np.float32).copy())
    h = x.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    with open(os.path.join(HERE, "bf16.txt"), "w") as f:
        f.write("".join(f"{int(b):08x} {int(v):04x}\n" for b, v in zip(bits, h)))


if __name__ == "__main__":
    main()
