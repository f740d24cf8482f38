#!/usr/bin/env python3
"""Writes tests/reference/nn.txt: PyTorch's outputs and gradients of Linear, Embedding (every option),
cross_entropy (every option), a few steps of every optimizer, the lr schedules and clip_grad_norm.

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_nn_reference.py
Same line format as ops.txt (see make_reference.py), plus:
  after NAME d0 ... | v v v     a parameter's value after the case ran (max_norm, optimizer steps)
  scalar NAME v                 one number (a total norm, an lr)
"""
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(1)
HERE = os.path.dirname(os.path.abspath(__file__))
out = []


def vals(t):
    return " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def shp(t):
    return " ".join(str(d) for d in t.shape)


def put(kind, name, t):
    if kind in ("out", "dout"):
        out.append(f"{kind} {shp(t)} | {vals(t)}")
    elif t.dtype == torch.int64:
        out.append(f"{kind} {name} {shp(t)} | {' '.join(str(int(i)) for i in t.reshape(-1).tolist())}")
    else:
        out.append(f"{kind} {name} {shp(t)} | {vals(t)}")


def forward_backward(name, fn, inputs, ids=None, after=()):
    """fn(**leaves, **ids) -> output; backward with a random upstream gradient."""
    ids = ids or {}
    out.append(f"case {name}")
    for k, v in inputs.items():
        put("in", k, v)
    for k, v in ids.items():
        put("ids", k, v)
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves, **ids)
    put("out", None, y)
    dout = torch.randn(y.shape) if y.dim() > 0 else torch.tensor(1.0)
    y.backward(dout)
    put("dout", None, dout)
    for k, v in leaves.items():
        g = v.grad if v.grad is not None else torch.zeros_like(v)
        put("grad", k, g.to_dense() if g.is_sparse else g)
    for k in after:
        put("after", k, leaves[k])
    out.append("end")


def optimizer_case(name, make, sparse_rows=None):
    """Three steps on p (6, 3) with fixed gradients g0, g1, g2 (row-sparse when sparse_rows is given)."""
    p0 = torch.randn(6, 3)
    grads = [torch.randn(6, 3) for _ in range(3)]
    out.append(f"case {name}")
    put("in", "p", p0)
    for i, g in enumerate(grads):
        put("in", f"g{i}", g)
    if sparse_rows is not None:
        put("ids", "rows", torch.tensor(sparse_rows))
    p = p0.clone().requires_grad_(True)
    opt = make([p])
    for g in grads:
        if sparse_rows is None:
            p.grad = g.clone()
        else:
            idx = torch.tensor(sparse_rows)
            p.grad = torch.sparse_coo_tensor(idx.unsqueeze(0), g[idx], (6, 3))
        opt.step()
    put("after", "p", p)
    out.append("end")


def main():
    # Linear
    forward_backward("linear", lambda x, w, b: F.linear(x, w, b), {"x": torch.randn(4, 3), "w": torch.randn(2, 3), "b": torch.randn(2)})
    forward_backward("linear_3d_nobias", lambda x, w: F.linear(x, w), {"x": torch.randn(2, 4, 3), "w": torch.randn(5, 3)})

    # Embedding
    ids = torch.tensor([[1, 3, 3], [0, 1, 3]])
    forward_backward("embedding", lambda w, ids: F.embedding(ids, w), {"w": torch.randn(5, 4)}, {"ids": ids})
    forward_backward("embedding_padding", lambda w, ids: F.embedding(ids, w, padding_idx=1), {"w": torch.randn(5, 4)}, {"ids": ids})
    forward_backward("embedding_scale_freq", lambda w, ids: F.embedding(ids, w, scale_grad_by_freq=True), {"w": torch.randn(5, 4)}, {"ids": ids})
    forward_backward("embedding_max_norm", lambda w, ids: F.embedding(ids, w, max_norm=1.0), {"w": torch.randn(5, 4) * 2}, {"ids": ids}, after=("w",))
    forward_backward("embedding_max_norm_p1", lambda w, ids: F.embedding(ids, w, max_norm=1.5, norm_type=1.0), {"w": torch.randn(5, 4)}, {"ids": ids}, after=("w",))

    # cross_entropy
    x = torch.randn(6, 5) * 2
    t = torch.tensor([0, 4, 2, 2, 1, 3])
    w = torch.rand(5) + 0.5
    t_ign = torch.tensor([0, 4, -100, 2, 1, -100])
    ce = lambda **kw: (lambda x, t: F.cross_entropy(x, t, **kw))
    forward_backward("ce_mean", ce(), {"x": x}, {"t": t})
    forward_backward("ce_sum", ce(reduction="sum"), {"x": x}, {"t": t})
    forward_backward("ce_none", ce(reduction="none"), {"x": x}, {"t": t})
    forward_backward("ce_weight", ce(weight=w), {"x": x}, {"t": t})
    forward_backward("ce_ignore", ce(), {"x": x}, {"t": t_ign})
    forward_backward("ce_smoothing", ce(label_smoothing=0.1), {"x": x}, {"t": t})
    forward_backward("ce_all_options", ce(weight=w, label_smoothing=0.2), {"x": x}, {"t": t_ign})
    forward_backward("ce_all_options_none", ce(weight=w, label_smoothing=0.2, reduction="none"), {"x": x}, {"t": t_ign})
    forward_backward("ce_1d", ce(), {"x": torch.randn(5)}, {"t": torch.tensor(3)})
    forward_backward("ce_nd", ce(), {"x": torch.randn(2, 4, 3)}, {"t": torch.tensor([[0, 3, 1], [2, 2, 0]])})
    forward_backward("ce_nd_none", ce(reduction="none"), {"x": torch.randn(2, 4, 3)}, {"t": torch.tensor([[0, 3, 1], [2, 2, 0]])})
    probs = torch.softmax(torch.randn(6, 5), dim=1)
    forward_backward("ce_probs", lambda x, p: F.cross_entropy(x, p), {"x": x, "p": probs})
    forward_backward("ce_probs_weight_smooth", lambda x, p: F.cross_entropy(x, p, weight=w, label_smoothing=0.1), {"x": x, "p": probs})
    forward_backward("ce_probs_sum", lambda x, p: F.cross_entropy(x, p, reduction="sum"), {"x": x, "p": probs})
    out.append("case ce_all_ignored")
    put("in", "x", x[:2])
    y = F.cross_entropy(x[:2], torch.tensor([-100, -100]))
    out.append(f"scalar loss {float(y)!r}")
    out.append("end")

    # ce weights are an input the tests need
    out.append("case ce_class_weight")
    put("in", "w", w)
    out.append("end")

    # Optimizers: three steps each
    optimizer_case("sgd", lambda p: torch.optim.SGD(p, lr=0.1))
    optimizer_case("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))
    optimizer_case("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1))
    optimizer_case("adam", lambda p: torch.optim.Adam(p, lr=0.01))
    optimizer_case("adam_wd_amsgrad", lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True))
    optimizer_case("adamw", lambda p: torch.optim.AdamW(p, lr=0.01))
    optimizer_case("adamw_amsgrad", lambda p: torch.optim.AdamW(p, lr=0.03, weight_decay=0.5, amsgrad=True))
    optimizer_case("sparse_adam", lambda p: torch.optim.SparseAdam(p, lr=0.01), sparse_rows=[0, 2, 5])
    optimizer_case("sgd_sparse", lambda p: torch.optim.SGD(p, lr=0.1), sparse_rows=[1, 2, 4])

    # Schedules: lr after each of 12 scheduler steps
    for name, make in [("step_lr", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
                       ("cosine_lr", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01))]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        s = make(opt)
        lrs = []
        for _ in range(12):
            opt.step()
            s.step()
            lrs.append(opt.param_groups[0]["lr"])
        out.append(f"case {name}")
        out.append("lrs " + " ".join(repr(v) for v in lrs))
        out.append("end")

    # clip_grad_norm
    for name, max_norm, norm_type in [("clip_l2", 1.0, 2.0), ("clip_inf", 0.5, math.inf), ("clip_noop", 100.0, 2.0),
                                     ("clip_zero", 1.0, 0.0)]:
        a, b = torch.randn(3, 4), torch.randn(5)
        pa, pb = torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)
        pa.grad, pb.grad = a.clone(), b.clone()
        total = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm, norm_type)
        out.append(f"case {name}")
        put("in", "a", a)
        put("in", "b", b)
        out.append(f"scalar total {float(total)!r}")
        put("after", "a", pa.grad)
        put("after", "b", pb.grad)
        out.append("end")

    path = os.path.join(HERE, "nn.txt")
    with open(path, "w") as f:
        f.write(f"# made by tests/reference/make_nn_reference.py with torch {torch.__version__}\n")
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: {sum(1 for l in out if l.startswith('case '))} cases")


if __name__ == "__main__":
    main()
