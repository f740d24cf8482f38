#!/usr/bin/env python3
"""Writes tests/reference/bce.txt: PyTorch's logsigmoid and binary_cross_entropy_with_logits (forward,
and the gradients of input and target) on logits from -40 to 40, with and without weights, for each
reduction. The format is make_reference.py's.
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_bce_reference.py
"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import case, randn  # noqa: E402

torch.manual_seed(18)
out = []
span = torch.tensor([[-40.0, -8.0, -1.5, -0.1, 0.0], [0.1, 0.7, 3.0, 9.0, 40.0]])
case(out, "logsigmoid", lambda x: F.logsigmoid(x), {"x": span.clone()})
t = torch.rand(2, 5)
for red in ["mean", "sum", "none"]:
    case(out, f"bce_{red}", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=red),
         {"x": span.clone(), "t": t.clone()})
w = torch.rand(5) + 0.5
case(out, "bce_weight", lambda x, t, w: F.binary_cross_entropy_with_logits(x, t, weight=w.detach()),
     {"x": randn(3, 5), "t": (torch.rand(3, 5) > 0.5).float(), "w": w})  # the weight gets no gradient (zeros)
case(out, "bce_empty", lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="sum"),
     {"x": torch.zeros(0, 3), "t": torch.zeros(0, 3)})
path = os.path.join(HERE, "bce.txt")
with open(path, "w") as f:
    f.write(f"# made by tests/reference/make_bce_reference.py with torch {torch.__version__}\n")
    f.write("\n".join(out) + "\n")
print("wrote", path)
