#!/usr/bin/env python3
"""Writes tests/downstream/rmsnorm_reference.txt: a small RMSNorm in PyTorch, its output and the
gradients of its input and weight, in nn/testkit.hpp's reference format.
Run with Debian's python3-torch:  /usr/bin/python3 tests/downstream/make_rmsnorm_reference.py
"""
import os

import torch

torch.manual_seed(7)
x = torch.randn(3, 5, requires_grad=True)
w = (torch.randn(5) * 0.5 + 1).requires_grad_(True)
y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
dout = torch.randn(3, 5)
y.backward(dout)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rmsnorm_reference.txt")
with open(path, "w") as f:
    print(f"# made by tests/downstream/make_rmsnorm_reference.py with torch {torch.__version__}", file=f)
    for name, t in [("x", x), ("weight", w), ("out", y), ("dout", dout), ("grad_x", x.grad), ("grad_weight", w.grad)]:
        print(name, *t.shape, "|", *[repr(float(v)) for v in t.detach().reshape(-1)], file=f)
