#!/usr/bin/env python3
"""Writes tests/reference/layers.txt: PyTorch's forward and backward of the ops and layers that come
after the embedding lecture (slicing, masks, var/std, topk, gather, gelu, silu, layer_norm,
BatchNorm1d), on small fixed inputs at awkward sizes (empty dims, size-1 dims, broadcasting,
negative dims).

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_layers_reference.py
The format is make_reference.py's (the `case` writer is shared); "after NAME" lines hold a module's
buffers after the forward (BatchNorm1d's running statistics).
"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import case, fmt_vals, randn, shape_str  # noqa: E402

torch.manual_seed(14)


def pos(*shape):
    return randn(*shape).abs() + 0.1


def batch_norm_case(out, name, x, train):
    """BatchNorm1d with PyTorch's default init: output, dL/dx and the running statistics after."""
    m = torch.nn.BatchNorm1d(x.shape[1])
    m.running_mean.copy_(torch.linspace(-0.5, 0.5, x.shape[1]))
    m.running_var.copy_(torch.linspace(0.5, 2.0, x.shape[1]))
    m.train(train)
    xl = x.clone().requires_grad_(True)
    y = m(xl)
    dout = randn(*y.shape)
    y.backward(dout)
    out.append(f"case {name}")
    out.append(f"in x {shape_str(x)} | {fmt_vals(x)}")
    out.append(f"out {shape_str(y)} | {fmt_vals(y)}")
    out.append(f"dout {shape_str(dout)} | {fmt_vals(dout)}")
    out.append(f"grad x {shape_str(x)} | {fmt_vals(xl.grad)}")
    for k in ("running_mean", "running_var"):
        v = getattr(m, k)
        out.append(f"after {k} {shape_str(v)} | {fmt_vals(v)}")
    out.append("end")


def main():
    out = []
    # elementwise
    case(out, "sqrt", lambda x: torch.sqrt(x), {"x": pos(3, 4)})
    case(out, "rsqrt", lambda x: torch.rsqrt(x), {"x": pos(2, 1, 3)})
    case(out, "abs", lambda x: torch.abs(x), {"x": randn(5)})
    case(out, "clamp", lambda x: torch.clamp(x, -0.5, 0.5), {"x": randn(3, 5)})
    case(out, "clamp_min", lambda x: torch.clamp(x, min=0.2), {"x": randn(7)})
    case(out, "erf", lambda x: torch.erf(x), {"x": randn(2, 3)})
    case(out, "empty_sqrt", lambda x: torch.sqrt(x), {"x": pos(0, 3)})
    # masks
    case(out, "where_broadcast", lambda c, a, b: torch.where(c > 0, a, b), {"c": randn(3, 1), "a": randn(3, 4), "b": randn(4)})
    case(out, "masked_fill_broadcast", lambda x, m: x.masked_fill(m > 0, 2.5), {"x": randn(3, 4), "m": randn(1, 4)})
    case(out, "causal_softmax",
         lambda x: torch.softmax(x.masked_fill(torch.tril(torch.ones(4, 4)) == 0, float("-inf")), dim=-1),
         {"x": randn(2, 4, 4)})
    case(out, "tril", lambda x: torch.tril(x, 1), {"x": randn(2, 3, 4)})
    case(out, "triu", lambda x: torch.triu(x, -1), {"x": randn(3, 3)})
    # slicing
    case(out, "select_last", lambda x: x[:, -1, :], {"x": randn(4, 5, 3)})
    case(out, "slice_steps", lambda x: x[1:4:2, :, ::2], {"x": randn(4, 5, 3)})
    case(out, "slice_mask", lambda x: x[:3, :3], {"x": randn(5, 5)})
    case(out, "slice_tail", lambda x: x[:, -8:], {"x": randn(2, 5)})
    case(out, "index_none_ellipsis", lambda x: x[None, ..., 1:], {"x": randn(2, 3)})
    case(out, "narrow", lambda x: x.narrow(-1, 1, 2), {"x": randn(3, 4)})
    case(out, "split_sizes", lambda x: torch.cat([p * (i + 1) for i, p in enumerate(x.split([2, 3], 1))], 1),
         {"x": randn(2, 5)})
    case(out, "chunk", lambda x: torch.cat([p * (i + 1) for i, p in enumerate(x.chunk(3, 0))], 0), {"x": randn(7, 2)})
    case(out, "slice_empty", lambda x: x[:, 2:2], {"x": randn(3, 4)})
    # reductions
    case(out, "var_last", lambda x: x.var(-1), {"x": randn(3, 5)})
    case(out, "var_biased_keepdim", lambda x: x.var((0, 2), unbiased=False, keepdim=True), {"x": randn(2, 3, 4)})
    case(out, "std_middle", lambda x: x.std(1), {"x": randn(2, 6, 3)})
    case(out, "var_all", lambda x: x.var(), {"x": randn(4, 3)})
    case(out, "topk_last", lambda x: torch.topk(x, 2, -1), {"x": randn(3, 6)})
    case(out, "topk_smallest_dim0", lambda x: torch.topk(x, 3, 0, largest=False), {"x": randn(5, 2)})
    case(out, "max_dim1", lambda x: torch.max(x, 1), {"x": randn(3, 4)})
    idx = torch.tensor([[0, 0], [3, 1], [2, 2]])
    case(out, "gather_dim1", lambda x, i: torch.gather(x, 1, i), {"x": randn(3, 4)}, {"i": idx})
    case(out, "gather_dim0", lambda x, i: torch.gather(x, 0, i), {"x": randn(4, 2)}, {"i": torch.tensor([[3, 0], [3, 3]])})
    # activations
    span = torch.linspace(-4, 4, 17).reshape(17)
    case(out, "gelu", lambda x: F.gelu(x), {"x": span.clone()})
    case(out, "gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), {"x": span.clone()})
    case(out, "silu", lambda x: F.silu(x), {"x": span.clone()})
    # layer norm
    case(out, "layer_norm_affine", lambda x, w, b: F.layer_norm(x, (8,), w, b), {"x": randn(2, 3, 8), "w": randn(8), "b": randn(8)})
    case(out, "layer_norm_2d_plain", lambda x: F.layer_norm(x, (3, 4)), {"x": randn(2, 3, 4)})
    case(out, "layer_norm_size1", lambda x, w, b: F.layer_norm(x, (1,), w, b), {"x": randn(4, 1), "w": randn(1), "b": randn(1)})
    case(out, "layer_norm_empty", lambda x: F.layer_norm(x, (5,)), {"x": randn(0, 5)})
    # BatchNorm1d
    batch_norm_case(out, "batch_norm_train_2d", randn(6, 3), True)
    batch_norm_case(out, "batch_norm_train_3d", randn(4, 2, 5), True)
    batch_norm_case(out, "batch_norm_eval", randn(3, 4), False)
    path = os.path.join(HERE, "layers.txt")
    with open(path, "w") as f:
        f.write(f"# made by tests/reference/make_layers_reference.py with torch {torch.__version__}\n")
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: {sum(1 for l in out if l.startswith('case '))} cases")


if __name__ == "__main__":
    main()
