#!/usr/bin/env python3
"""Writes tests/reference/extras.txt: PyTorch's dot, mse_loss (mean, sum, none), linspace, bincount and
integer-tensor indexing x[ids], for the calls a course user missed (tests/autograd/test_extras.cpp).

Run:  /usr/bin/python3 tests/reference/make_extras_reference.py
"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import case, randn  # noqa: E402

torch.manual_seed(41)


def main():
    out = []
    case(out, "dot", lambda a, b: torch.dot(a, b), {"a": randn(7), "b": randn(7)})
    for r in ("mean", "sum", "none"):
        case(out, f"mse_{r}", lambda x, t, r=r: F.mse_loss(x, t, reduction=r), {"x": randn(3, 4), "t": randn(3, 4)})
    for name, (a, b, n) in {"linspace_0_1_5": (0, 1, 5), "linspace_m3_7_11": (-3, 7, 11), "linspace_odd": (0.1, 2.3, 7),
                            "linspace_down": (1, -1, 6), "linspace_one": (2.5, 9, 1), "linspace_many": (-1.7, 3.3, 1000), "linspace_37": (0, 1, 37), "linspace_333": (-5.3, 2.9, 333)}.items():
        case(out, name, lambda: torch.linspace(a, b, n), {})
    ids = torch.tensor([1, 3, 3, 0, 7, 3])
    case(out, "bincount", lambda x: torch.bincount(x).float(), {}, {"x": ids})
    case(out, "bincount_min", lambda x: torch.bincount(x, minlength=10).float(), {}, {"x": ids})
    case(out, "bincount_weights", lambda w, x: torch.bincount(x, weights=w.detach()).float(), {"w": randn(6)}, {"x": ids})
    case(out, "index_ids_2d", lambda x, i: x[i], {"x": randn(5, 3)}, {"i": torch.tensor([[0, 4], [4, 2], [1, 1]])})
    case(out, "index_ids_3d_table", lambda x, i: x[i], {"x": randn(4, 2, 3)}, {"i": torch.tensor([3, 0, 3])})
    with open(os.path.join(HERE, "extras.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
