#!/usr/bin/env python3
"""Writes tests/reference/random.txt: what PyTorch's CPU generator gives after torch.manual_seed, for the
calls xgrad's Generator reproduces (rand, uniform_, randn on both sides of 16 elements and across calls,
normal_, randint, randperm, exponential_, multinomial, the modules' initialisation).

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_random_reference.py
Format: "case NAME", then "seed S", then "out d0 d1 ... | values" (floats) or "outids ... | ids", "end".
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def vals(t):
    return " ".join(repr(float(v)) for v in t.reshape(-1).tolist())


def ids(t):
    return " ".join(str(int(v)) for v in t.reshape(-1).tolist())


def shape(t):
    return " ".join(str(d) for d in t.shape)


def case(out, name, seed, fn):
    torch.manual_seed(seed)
    r = fn()
    out.append(f"case {name}")
    out.append(f"scalar seed {seed}")
    if r.dtype == torch.int64:
        out.append(f"outids {shape(r)} | {ids(r)}")
    else:
        out.append(f"out {shape(r)} | {vals(r)}")
    out.append("end")


def main():
    out = []
    case(out, "rand_5", 123, lambda: torch.rand(5))
    case(out, "rand_2x20", 7, lambda: torch.rand(2, 20))
    case(out, "uniform_20", 5, lambda: torch.empty(20).uniform_(-0.3, 0.3))
    case(out, "randn_3", 123, lambda: torch.randn(3))
    case(out, "randn_15", 1, lambda: torch.randn(15))
    # the cached second normal carries over from one call to the next
    case(out, "randn_3_3_1", 1, lambda: torch.cat([torch.randn(3), torch.randn(3), torch.randn(1)]))
    case(out, "randn_16", 2, lambda: torch.randn(16))
    case(out, "randn_18", 123, lambda: torch.randn(18))
    case(out, "randn_40", 123, lambda: torch.randn(40))
    case(out, "randn_5000", 9, lambda: torch.randn(50, 100))
    case(out, "randn_7_then_20", 4, lambda: torch.cat([torch.randn(7), torch.randn(20)]))
    case(out, "normal_8", 3, lambda: torch.empty(8).normal_(0.5, 0.02))
    case(out, "normal_64", 3, lambda: torch.empty(64).normal_(0.5, 0.02))
    case(out, "randint_50", 5, lambda: torch.randint(10, (50,)))
    case(out, "randint_big", 5, lambda: torch.randint(1 << 40, (6,)))
    case(out, "randint_low_high", 8, lambda: torch.randint(3, 17, (4, 5)))
    case(out, "randperm_30", 5, lambda: torch.randperm(30))
    case(out, "exponential_10", 5, lambda: torch.empty(10, dtype=torch.float64).exponential_())
    case(out, "embedding_6_3", 123, lambda: torch.nn.Embedding(6, 3).weight.detach())
    case(out, "linear_4_3", 0, lambda: torch.cat([p.detach().reshape(-1) for p in torch.nn.Linear(4, 3).parameters()]))
    case(out, "linear_30_200_then_bias", 42,
         lambda: torch.cat([p.detach().reshape(-1) for p in torch.nn.Linear(30, 200).parameters()]))
    p = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25], [1.0, 2.0, 3.0, 4.0]])
    case(out, "multinomial_replacement", 11, lambda: torch.multinomial(p, 12, replacement=True))
    case(out, "multinomial_one", 11, lambda: torch.multinomial(p, 1))
    case(out, "multinomial_no_replacement", 11, lambda: torch.multinomial(torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.0]] * 2), 3))
    case(out, "multinomial_1d", 12, lambda: torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 6, replacement=True))
    case(out, "dropout_0.3", 0, lambda: torch.nn.functional.dropout(torch.rand(100), 0.3))
    case(out, "dropout_0.123", 1, lambda: torch.nn.functional.dropout(torch.rand(4, 25), 0.123))
    path = os.path.join(HERE, "random.txt")
    with open(path, "w") as f:
        f.write(f"# made by tests/reference/make_random_reference.py with torch {torch.__version__}\n")
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
