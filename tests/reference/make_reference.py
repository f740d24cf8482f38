#!/usr/bin/env python3
"""Writes tests/reference/ops.txt: PyTorch's forward and backward of every xgrad op on small fixed inputs.

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_reference.py
The tests read the file; they never run Python.

Format, one record per line ("|" separates the shape from the values):
  case NAME
  in NAME d0 d1 ... | v v v        a float input (requires grad)
  ids NAME d0 ... | i i i          an int64 input (no grad)
  out d0 ... | v v v               the op's output
  outids d0 ... | i i i            an int64 output (max's indices)
  dout d0 ... | v v v              the upstream gradient dL/dout used for backward
  grad NAME d0 ... | v v v         dL/dNAME
  end
"""
import math
import os

import torch

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))


def fmt_vals(t):
    return " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def shape_str(t):
    return " ".join(str(d) for d in t.shape)


def randn(*shape):
    return torch.randn(tuple(shape), dtype=torch.float32)


def case(out, name, fn, inputs, ids=None):
    """inputs: dict name -> float tensor; ids: dict name -> int64 tensor."""
    ids = ids or {}
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves, **ids)
    indices = None
    if isinstance(y, tuple):
        y, indices = y
    out.append(f"case {name}")
    for k, v in inputs.items():
        out.append(f"in {k} {shape_str(v)} | {fmt_vals(v)}")
    for k, v in ids.items():
        out.append(f"ids {k} {shape_str(v)} | {' '.join(str(int(i)) for i in v.reshape(-1).tolist())}")
    out.append(f"out {shape_str(y)} | {fmt_vals(y)}")
    if indices is not None:
        out.append(f"outids {shape_str(indices)} | {' '.join(str(int(i)) for i in indices.reshape(-1).tolist())}")
    if y.requires_grad:
        dout = randn(*y.shape)
        y.backward(dout)
        out.append(f"dout {shape_str(dout)} | {fmt_vals(dout)}")
        for k, v in leaves.items():
            g = v.grad if v.grad is not None else torch.zeros_like(v)
            out.append(f"grad {k} {shape_str(g)} | {fmt_vals(g)}")
    out.append("end")


def summarized_with_tiny_middle():
    t = randn(60, 50)
    t[30, 25] = 1e-9  # not printed: PyTorch's formatter never sees it
    return t


def main():
    out = []
    a, b = randn(2, 3, 4), randn(3, 1)
    case(out, "add_broadcast", lambda a, b: a + b, {"a": a, "b": b})
    case(out, "sub_broadcast", lambda a, b: a - b, {"a": randn(4), "b": randn(3, 1)})
    case(out, "mul_broadcast", lambda a, b: a * b, {"a": randn(2, 1, 4), "b": randn(3, 1)})
    pos = randn(3, 4).abs() + 0.5
    case(out, "div_broadcast", lambda a, b: a / b, {"a": randn(2, 3, 4), "b": pos})
    case(out, "neg", lambda x: -x, {"x": randn(3, 4)})
    case(out, "add_scalar", lambda x: x + 2.5, {"x": randn(3, 4)})
    case(out, "mul_scalar", lambda x: x * -1.5, {"x": randn(3, 4)})
    case(out, "div_scalar", lambda x: x / 4.0, {"x": randn(3, 4)})
    case(out, "rdiv_scalar", lambda x: 2.0 / x, {"x": pos})
    case(out, "pow", lambda x: x ** 3.0, {"x": randn(3, 4)})
    case(out, "pow_frac", lambda x: x ** 0.5, {"x": pos})
    case(out, "exp", lambda x: x.exp(), {"x": randn(3, 4)})
    case(out, "log", lambda x: x.log(), {"x": pos})
    case(out, "tanh", lambda x: x.tanh(), {"x": randn(3, 4)})
    case(out, "sigmoid", lambda x: x.sigmoid(), {"x": randn(3, 4)})
    case(out, "relu", lambda x: x.relu(), {"x": randn(3, 4)})
    case(out, "matmul_2d", lambda a, b: a @ b, {"a": randn(5, 7), "b": randn(7, 3)})
    case(out, "matmul_batched", lambda a, b: a @ b, {"a": randn(2, 1, 3, 4), "b": randn(5, 4, 2)})
    case(out, "matmul_vec_mat", lambda a, b: a @ b, {"a": randn(4), "b": randn(4, 3)})
    case(out, "matmul_mat_vec", lambda a, b: a @ b, {"a": randn(3, 4), "b": randn(4)})
    case(out, "matmul_dot", lambda a, b: a @ b, {"a": randn(6), "b": randn(6)})
    case(out, "transpose", lambda x: x.transpose(0, 2), {"x": randn(2, 3, 4)})
    case(out, "t", lambda x: x.t(), {"x": randn(3, 5)})
    case(out, "reshape", lambda x: x.reshape(4, -1), {"x": randn(2, 3, 4)})
    case(out, "sum_all", lambda x: x.sum(), {"x": randn(3, 4)})
    case(out, "sum_dims_keepdim", lambda x: x.sum(dim=(0, 2), keepdim=True), {"x": randn(2, 3, 4)})
    case(out, "sum_dim_neg", lambda x: x.sum(dim=-1), {"x": randn(2, 3, 4)})
    case(out, "mean_all", lambda x: x.mean(), {"x": randn(3, 4)})
    case(out, "mean_dim", lambda x: x.mean(dim=1), {"x": randn(2, 3, 4)})
    case(out, "max_dim", lambda x: tuple(torch.max(x, dim=1)), {"x": randn(3, 5)})
    case(out, "max_dim_keepdim", lambda x: tuple(torch.max(x, dim=0, keepdim=True)), {"x": randn(4, 3)})
    case(out, "softmax_last", lambda x: torch.softmax(x, dim=-1), {"x": randn(3, 5) * 3})
    case(out, "softmax_dim0", lambda x: torch.softmax(x, dim=0), {"x": randn(4, 3, 2)})
    case(out, "log_softmax_last", lambda x: torch.log_softmax(x, dim=1), {"x": randn(3, 5) * 3})
    case(out, "log_softmax_dim0", lambda x: torch.log_softmax(x, dim=0), {"x": randn(4, 3)})
    case(out, "softmax_large", lambda x: torch.softmax(x, dim=1), {"x": torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])})
    ids = torch.tensor([2, 0, 2, 2, 4], dtype=torch.int64)
    case(out, "index_select_repeated", lambda x, ids: torch.index_select(x, 0, ids), {"x": randn(5, 3)}, {"ids": ids})
    case(out, "index_select_dim1", lambda x, ids: torch.index_select(x, 1, ids), {"x": randn(2, 5)}, {"ids": ids})
    case(out, "cat_dim1", lambda a, b: torch.cat([a, b], dim=1), {"a": randn(2, 3), "b": randn(2, 2)})
    case(out, "stack_dim1", lambda a, b: torch.stack([a, b], dim=1), {"a": randn(2, 3), "b": randn(2, 3)})
    case(out, "unsqueeze", lambda x: x.unsqueeze(1), {"x": randn(2, 3)})
    case(out, "squeeze", lambda x: x.squeeze(1), {"x": randn(2, 1, 3)})
    case(out, "chain_softmax_ce",
         lambda v, u, ids: -(torch.log_softmax(torch.index_select(v, 0, ids) @ u.t(), dim=1)).mean(),
         {"v": randn(5, 2), "u": randn(5, 2)}, {"ids": ids})

    # vecdot (torch.linalg.vecdot): word2vec's scores (B, K, D)·(B, 1, D), broadcasting both ways, a middle dim
    case(out, "vecdot_scores", lambda u, v: torch.linalg.vecdot(u, v), {"u": randn(3, 4, 5), "v": randn(3, 1, 5)})
    case(out, "vecdot_broadcast", lambda a, b: torch.linalg.vecdot(a, b), {"a": randn(2, 1, 3), "b": randn(4, 3)})
    case(out, "vecdot_dim1", lambda a, b: torch.linalg.vecdot(a, b, dim=1), {"a": randn(2, 3, 4), "b": randn(2, 3, 1)})
    case(out, "vecdot_1d", lambda a, b: torch.linalg.vecdot(a, b), {"a": randn(7), "b": randn(7)})
    # pow's special exponents (PyTorch computes them as products, roots and reciprocals) and one general;
    # drawn from a generator of their own, so the values after them stay as they were before they came
    with torch.random.fork_rng():
        torch.manual_seed(1)
        case(out, "pow_square", lambda x: x ** 2.0, {"x": randn(3, 4)})
        case(out, "pow_inverse", lambda x: x ** -1.0, {"x": pos})
        case(out, "pow_inverse_square", lambda x: x ** -2.0, {"x": pos})
        case(out, "pow_rsqrt", lambda x: x ** -0.5, {"x": pos})
        case(out, "pow_general", lambda x: x ** 1.7, {"x": pos})
        case(out, "pow_zero", lambda x: x ** 0.0, {"x": randn(3, 4)})

    # How PyTorch prints tensors: each record is the values (flat), the shape, then the repr lines.
    prints = []
    samples = [
        torch.tensor([[1.5, -2.25], [3.0, 4.0]]),
        torch.tensor([1.0, 2.0, 3.0]),
        torch.tensor([0.001, 1234.5]),
        torch.tensor(3.25),
        torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]),
        torch.tensor([-0.5, 0.25, 1e-5]),
        torch.tensor([1e9, 1.0]),
        torch.arange(2000, dtype=torch.float32).reshape(40, 50) / 7,
        torch.tensor([1.0, 5000.0]),                   # integers 1000× apart: scientific, as floats
        torch.tensor([0.3613, -0.0011, 0.25]),         # within 1000×: fixed, 4 decimals
        summarized_with_tiny_middle(),                 # the format comes from the printed corners only
    ]
    for t in samples:
        prints.append("values " + shape_str(t) + " | " + fmt_vals(t))
        prints.append(repr(t))
        prints.append("----")
    with open(os.path.join(HERE, "print.txt"), "w") as f:
        f.write("\n".join(prints) + "\n")

    path = os.path.join(HERE, "ops.txt")
    with open(path, "w") as f:
        f.write(f"# made by tests/reference/make_reference.py with torch {torch.__version__}\n")
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: {sum(1 for l in out if l.startswith('case '))} cases")


if __name__ == "__main__":
    main()
