#!/usr/bin/env python3
"""Writes two small GPT-2 checkpoints in Hugging Face's layout (config.json + model.safetensors) to
tests/reference/gpt2/, and the greedy ids a PyTorch forward of those weights chooses, for the weight
loader's tests (gpt2/hf.hpp):
  tiny/           float32, names as the `gpt2` repository's (h.0.attn.c_attn.weight, …), the attn.bias
                  mask buffers included, no lm_head (tied to wte);
  tiny_prefixed/  float16, names under `transformer.`, its own lm_head.weight.
Conv1D weights are stored [in, out] and c_attn holds Q, K, V side by side, as in the published files.
The forward below is written from that layout (Conv1D: x @ W + b), not from the book's classes, so it
checks the loader's mapping rather than repeating it.

Run:  /usr/bin/python3 tests/reference/make_hf_gpt2_reference.py
"""
import json
import math
import os
import struct

import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt2")
CONFIG = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 300, "n_positions": 16,
          "n_ctx": 16, "n_embd": 16, "n_head": 2, "n_layer": 2, "layer_norm_epsilon": 1e-5,
          "activation_function": "gelu_new", "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1}
PROMPT = [[17, 250, 3, 99, 42], [5, 6, 7, 8, 9]]


def weights(cfg, prefix, head):
    g = torch.Generator().manual_seed(7)
    r = lambda *s, std=0.3: torch.randn(*s, generator=g) * std  # noqa: E731
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    w = {"wte.weight": r(V, C), "wpe.weight": r(P, C, std=0.1)}
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        w[h + "ln_1.weight"], w[h + "ln_1.bias"] = 1 + r(C, std=0.1), r(C, std=0.1)
        w[h + "attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
        w[h + "attn.c_attn.weight"], w[h + "attn.c_attn.bias"] = r(C, 3 * C), r(3 * C, std=0.1)
        w[h + "attn.c_proj.weight"], w[h + "attn.c_proj.bias"] = r(C, C), r(C, std=0.1)
        w[h + "ln_2.weight"], w[h + "ln_2.bias"] = 1 + r(C, std=0.1), r(C, std=0.1)
        w[h + "mlp.c_fc.weight"], w[h + "mlp.c_fc.bias"] = r(C, 4 * C), r(4 * C, std=0.1)
        w[h + "mlp.c_proj.weight"], w[h + "mlp.c_proj.bias"] = r(4 * C, C), r(C, std=0.1)
    w["ln_f.weight"], w["ln_f.bias"] = 1 + r(C, std=0.1), r(C, std=0.1)
    out = {prefix + k: v for k, v in w.items()}
    if head:
        out["lm_head.weight"] = r(V, C)
    return out


def save_safetensors(path, tensors, dtype):
    """The safetensors layout: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        b = t.to(torch.float16 if dtype == "F16" else torch.float32).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def forward(w, cfg, idx, prefix):
    """GPT-2 on the Hugging Face names: ln → c_attn (Conv1D) → causal heads → c_proj, ln → c_fc → gelu_new → c_proj."""
    g = lambda k: w[prefix + k]  # noqa: E731
    C, H = cfg["n_embd"], cfg["n_head"]
    ln = lambda x, k: torch.nn.functional.layer_norm(x, (C,), g(k + ".weight"), g(k + ".bias"), 1e-5)  # noqa: E731
    conv1d = lambda x, k: x @ g(k + ".weight") + g(k + ".bias")  # noqa: E731
    B, T = idx.shape
    x = g("wte.weight")[idx] + g("wpe.weight")[:T]
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        q, k, v = conv1d(ln(x, h + "ln_1"), h + "attn.c_attn").split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        a = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        a = torch.softmax(a.masked_fill(torch.ones(T, T).tril() == 0, float("-inf")), dim=-1)
        x = x + conv1d((a @ v).transpose(1, 2).reshape(B, T, C), h + "attn.c_proj")
        m = conv1d(ln(x, h + "ln_2"), h + "mlp.c_fc")
        m = 0.5 * m * (1 + torch.tanh(math.sqrt(2 / math.pi) * (m + 0.044715 * m ** 3)))
        x = x + conv1d(m, h + "mlp.c_proj")
    head = w.get("lm_head.weight", g("wte.weight"))
    return ln(x, "ln_f") @ head.T


def greedy(w, cfg, prefix, n):
    idx = torch.tensor(PROMPT)
    for _ in range(n):
        logits = forward(w, cfg, idx[:, -cfg["n_positions"]:], prefix)[:, -1, :]
        idx = torch.cat((idx, logits.argmax(-1, keepdim=True)), dim=1)
    return idx.tolist()


def main():
    expected = {"prompt": PROMPT}
    for folder, prefix, head, dtype in (("tiny", "", False, "F32"), ("tiny_prefixed", "transformer.", True, "F16")):
        os.makedirs(os.path.join(HERE, folder), exist_ok=True)
        w = weights(CONFIG, prefix, head)
        if dtype == "F16":
            w = {k: v.half().float() for k, v in w.items()}  # the values the file holds
        save_safetensors(os.path.join(HERE, folder, "model.safetensors"), w, dtype)
        with open(os.path.join(HERE, folder, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2)
        with torch.no_grad():
            expected[folder] = {"greedy": greedy(w, CONFIG, prefix, 14),
                                "logits_last": forward(w, CONFIG, torch.tensor(PROMPT), prefix)[:, -1, :8].flatten().tolist()}
    with open(os.path.join(HERE, "hf_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(expected["tiny"]["greedy"][0], expected["tiny_prefixed"]["greedy"][0])


if __name__ == "__main__":
    main()
