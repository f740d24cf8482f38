#!/usr/bin/env python3
"""Writes tests/reference/attention.txt: PyTorch's forward and backward of scaled dot-product attention
and of the book's causal MultiHeadAttention (Raschka, ch. 3), for nn::scaled_dot_product_attention and
nn::MultiHeadAttention.

PyTorch 1.13 (Debian's python3-torch) has no F.scaled_dot_product_attention, so `sdpa` below writes
PyTorch 2's math backend out: softmax(q kᵀ · scale, masked above the diagonal when causal), dropout,
times v. BookMHA is the book's class as its chapter 3 builds it (divide by √hd after masking).

Run:  /usr/bin/python3 tests/reference/make_attention_reference.py
"""
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import case, randn  # noqa: E402

torch.manual_seed(33)


def sdpa(q, k, v, dropout_p=0.0, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    w = (q @ k.transpose(-2, -1)) * s
    if is_causal:
        w = w.masked_fill(torch.ones(L, S).tril().logical_not(), float("-inf"))
    w = torch.softmax(w, dim=-1)
    if dropout_p > 0:
        w = torch.nn.functional.dropout(w, dropout_p, training=True)
    return w @ v


class BookMHA(torch.nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
        self.W_query = torch.nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = torch.nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = torch.nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = torch.nn.Linear(d_out, d_out)
        self.dropout = torch.nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x):
        b, T, _ = x.shape
        split = lambda y: y.view(b, T, self.num_heads, self.head_dim).transpose(1, 2)  # noqa: E731
        keys, queries, values = split(self.W_key(x)), split(self.W_query(x)), split(self.W_value(x))
        scores = queries @ keys.transpose(2, 3)
        scores.masked_fill_(self.mask.bool()[:T, :T], -torch.inf)
        weights = self.dropout(torch.softmax(scores / keys.shape[-1] ** 0.5, dim=-1))
        context = (weights @ values).transpose(1, 2).contiguous().view(b, T, self.d_out)
        return self.out_proj(context)


def mha_case(out, name, x, dropout, qkv_bias, train):
    def fn(x):
        torch.manual_seed(123)
        m = BookMHA(x.shape[-1], 4 if x.shape[-1] != 3 else 2, x.shape[1], dropout, 2, qkv_bias)
        m.train(train)
        return m(x)
    case(out, name, fn, {"x": x})


def main():
    out = []
    case(out, "sdpa_causal", lambda q, k, v: sdpa(q, k, v, is_causal=True),
         {"q": randn(2, 3, 5, 4), "k": randn(2, 3, 5, 4), "v": randn(2, 3, 5, 4)})
    case(out, "sdpa_full_scaled", lambda q, k, v: sdpa(q, k, v, scale=0.3),
         {"q": randn(2, 3, 4), "k": randn(2, 6, 4), "v": randn(2, 6, 5)})
    case(out, "sdpa_causal_rect", lambda q, k, v: sdpa(q, k, v, is_causal=True),
         {"q": randn(1, 3, 8), "k": randn(1, 5, 8), "v": randn(1, 5, 2)})

    def with_dropout(q, k, v):
        torch.manual_seed(7)
        return sdpa(q, k, v, dropout_p=0.3, is_causal=True)
    case(out, "sdpa_dropout", with_dropout, {"q": randn(2, 2, 6, 4), "k": randn(2, 2, 6, 4), "v": randn(2, 2, 6, 4)})

    # the book's 6 × 3 "Your journey starts with one step" inputs, stacked twice (ch. 3)
    inputs = torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                           [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
    mha_case(out, "mha_book", torch.stack((inputs, inputs), dim=0), 0.0, False, False)
    mha_case(out, "mha_dropout_bias", randn(2, 5, 8), 0.2, True, True)
    with open(os.path.join(HERE, "attention.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
