#!/usr/bin/env python3
"""GPT-2 124M in xgrad's `gpt2` program against PyTorch (the book's code, book_gpt.py), in one run:

  load      a GPT-2 folder in Hugging Face's layout (config.json + model.safetensors, 124M, random weights
            written here with numpy, since the published ones cannot be downloaded on this machine):
            `gpt2 --from-pretrained` (its model_seconds, best of 3; peak RSS) against reading the file into
            fresh memory (best of 3, page cache warm) and against the model's own size in memory;
  generate  tokens/s and peak RSS of the untrained 124M (seed 123, context 1024) from "Hello, I am": xgrad
            with its KV cache and without; PyTorch's generate_text_simple (the book's, uncached) and the
            book's KV-cache generation (peers/book_gpt_kv_cache.py), each with OPENBLAS_CORETYPE as set
            and unset (the faster is reported) and OPENBLAS_NUM_THREADS pinned; and the bound of cached
            generation: the bytes a token must read (every weight once, and the cached keys and values)
            over the machine's read bandwidth measured in the same run (bench_kernels' BM_read_bandwidth);
            and xgrad's cached generation with bfloat16 weights (--bf16): tokens/s beside float32's and its
            own bound, and how many of its greedy ids are float32's.

    /usr/bin/python3 benchmarks/gpt2.py --build build [--new-tokens 100] [--threads 1] [--folder /tmp/gpt2-124M]
                                        [--checkpoint FILE]  (a trained 124M: its greedy ids with --bf16)
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
from make_hf_gpt2_reference import save_safetensors  # noqa: E402

CONFIG = {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_ctx": 1024, "n_embd": 768, "n_head": 12,
          "n_layer": 12, "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1}


def make_folder(path):
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return
    import torch  # the writer takes torch tensors
    os.makedirs(path, exist_ok=True)
    rng = np.random.default_rng(0)
    r = lambda *s: torch.from_numpy(rng.standard_normal(s, dtype=np.float32) * 0.02)  # noqa: E731
    C, V, P = 768, 50257, 1024
    w = {"wte.weight": r(V, C), "wpe.weight": r(P, C)}
    for i in range(12):
        h = f"h.{i}."
        w.update({h + "ln_1.weight": r(C) + 1, h + "ln_1.bias": r(C), h + "attn.c_attn.weight": r(C, 3 * C),
                  h + "attn.c_attn.bias": r(3 * C), h + "attn.c_proj.weight": r(C, C), h + "attn.c_proj.bias": r(C),
                  h + "ln_2.weight": r(C) + 1, h + "ln_2.bias": r(C), h + "mlp.c_fc.weight": r(C, 4 * C),
                  h + "mlp.c_fc.bias": r(4 * C), h + "mlp.c_proj.weight": r(4 * C, C), h + "mlp.c_proj.bias": r(C)})
    w["ln_f.weight"], w["ln_f.bias"] = r(C) + 1, r(C)
    save_safetensors(os.path.join(path, "model.safetensors"), w, "F32")
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(CONFIG, f)


def read_seconds(path):
    """Reading the file into fresh memory, as any loader must (best of 3, the page cache warm)."""
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            data = f.read()
        best = min(best, time.perf_counter() - t)
        del data
    return best


def run(cmd, env=None):
    """(the program's --json object, its peak RSS in MB, from /usr/bin/time)"""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(r.stdout.strip().splitlines()[-1]), int(r.stderr.strip().splitlines()[-1]) / 1024


def torch_generate(n, threads, env, cached, bf16=False):
    """The book's model in PyTorch generating n tokens greedily: (its --json-like result, peak RSS in MB).
    bf16: the model cast with .to(torch.bfloat16) (weights and activations in bfloat16)."""
    code = f"""
import sys, time, json, torch
sys.path.insert(0, {os.path.join(ROOT, 'tests', 'reference')!r})
sys.path.insert(0, {os.path.join(ROOT, 'benchmarks', 'peers')!r})
from book_gpt import GPTModel, generate
from book_gpt_kv_cache import generate_cached
torch.set_num_threads({threads})
torch.manual_seed(123)
cfg = {{"vocab_size": 50257, "context_length": 1024, "emb_dim": 768, "n_heads": 12, "n_layers": 12, "drop_rate": 0.1, "qkv_bias": False}}
m = GPTModel(cfg); m.eval()
if {bf16}: m = m.to(torch.bfloat16)
idx = torch.tensor([[15496, 11, 314, 716]])
t = time.perf_counter()
out = generate_cached(m, idx, {n}, 1024) if {cached} else generate(m, idx, {n}, 1024)
s = time.perf_counter() - t
print(json.dumps({{"ids": out[0].tolist(), "tokens_per_second": {n} / s}}))
"""
    env = dict(env, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return run([sys.executable, "-c", code], env)


def read_bandwidth(build, threads):
    """Bytes a second `threads` threads read from memory: bench_kernels' BM_read_bandwidth (a 1 GiB array
    summed with vector loads, best of its repetitions)."""
    out = subprocess.run([os.path.join(build, "benchmarks", "bench_kernels"), f"--benchmark_filter=BM_read_bandwidth/threads:{threads}/",
                          "--benchmark_repetitions=5", "--benchmark_format=json"], check=True, capture_output=True, text=True).stdout
    return max(b["bytes_per_second"] for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration")


def bytes_per_token(new_tokens, prompt=4, C=768, V=50257, layers=12, matrix_bytes=4):
    """What one cached token must read: every block's weights, the final norm and the (untied) head once,
    and the keys and values cached so far (at the mean position of the run). matrix_bytes: 2 when the
    Linear layers' weight matrices are bfloat16 (--bf16); vectors and the cache stay float32."""
    matrices = layers * (3 * C * C + C * C + 4 * C * C + 4 * C * C) + V * C
    vectors = layers * (C + 4 * C + C + 4 * C) + 2 * C
    cache = layers * 2 * (prompt + new_tokens / 2) * C
    return matrix_bytes * matrices + 4 * (vectors + cache)


def same_prefix(a, b):
    """How many leading ids two generations share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--folder", default="/tmp/gpt2-124M-random")
    p.add_argument("--new-tokens", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--checkpoint", help="a trained 124M: the file of `gpt2 --context-length 256 --epochs 10 --save FILE` "
                   "(the book's ch. 5 pretraining), to compare its greedy ids with --bf16 against float32's")
    a = p.parse_args()
    gpt2 = os.path.join(a.build, "examples", "gpt2")
    make_folder(a.folder)
    st = os.path.join(a.folder, "model.safetensors")
    read_s = read_seconds(st)
    loads = [run([gpt2, "--from-pretrained", a.folder, "--max-new-tokens", "0", "--json", "--threads", str(a.threads)])
             for _ in range(3)]
    load, load_rss = min(loads, key=lambda r: r[0]["model_seconds"])
    params = 50257 * 768 * 2 + 1024 * 768 + 12 * (4 * 768 + 768 * 3 * 768 + 3 * 768 + 768 * 768 + 768 + 2 * 4 * 768 * 768 + 4 * 768 + 768) + 2 * 768
    model_mb = params * 4 / 2**20
    print(f"load: file {os.path.getsize(st) / 2**20:.0f} MB read in {read_s:.3f} s; xgrad from_pretrained {load['model_seconds']:.3f} s "
          f"({load['model_seconds'] / read_s:.2f}x reading); peak RSS {load_rss:.0f} MB = {load_rss / model_mb:.2f}x the model's "
          f"{model_mb:.0f} MB ({params / 1e6:.1f} M parameters, head untied)")

    common = ["--seed", "123", "--context-length", "1024", "--prompt", "Hello, I am", "--max-new-tokens", str(a.new_tokens),
              "--json", "--threads", str(a.threads)]
    cached, cached_rss = run([gpt2] + common)
    bf16, bf16_rss = run([gpt2] + common + ["--bf16"])
    uncached, uncached_rss = run([gpt2] + common + ["--no-cache"])
    env_unset = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    as_set = "OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    bandwidth = read_bandwidth(a.build, a.threads)
    bound = bandwidth / bytes_per_token(a.new_tokens)
    for kind, ours, ours_rss in (("uncached", uncached, uncached_rss), ("cached", cached, cached_rss)):
        peers = {name: torch_generate(a.new_tokens, a.threads, env, kind == "cached")
                 for name, env in ((as_set, dict(os.environ)), ("OPENBLAS_CORETYPE unset", env_unset))}
        best_name, (best, best_rss) = max(peers.items(), key=lambda kv: kv[1][0]["tokens_per_second"])
        peer_list = ", ".join(f"{k}: {v[0]['tokens_per_second']:.1f}" for k, v in peers.items())
        print(f"generate {a.new_tokens} tokens {kind}, untrained 124M, {a.threads} thread(s): xgrad {ours['tokens_per_second']:.1f} tok/s "
              f"(peak RSS {ours_rss:.0f} MB), PyTorch (the book's {'KV-cache generation' if kind == 'cached' else 'generate'}; "
              f"{best_name}) {best['tokens_per_second']:.1f} tok/s (peak RSS {best_rss:.0f} MB) [{peer_list}]; "
              f"xgrad / PyTorch {ours['tokens_per_second'] / best['tokens_per_second']:.2f}x; ids equal: {ours['ids'] == best['ids']}")
    print(f"bound of cached generation: {bytes_per_token(a.new_tokens) / 2**20:.0f} MB a token at {bandwidth / 1e9:.1f} GB/s "
          f"= {bound:.1f} tok/s; xgrad's KV cache {cached['tokens_per_second'] / bound:.2f}x the bound")
    bound16 = bandwidth / bytes_per_token(a.new_tokens, matrix_bytes=2)
    agree = same_prefix(bf16["ids"], cached["ids"]) - (len(cached["ids"]) - a.new_tokens)  # not the prompt's
    print(f"bf16 weights (--bf16), cached: {bf16['tokens_per_second']:.1f} tok/s = {bf16['tokens_per_second'] / cached['tokens_per_second']:.2f}x "
          f"float32's (peak RSS {bf16_rss:.0f} MB); bound {bytes_per_token(a.new_tokens, matrix_bytes=2) / 2**20:.0f} MB a token = "
          f"{bound16:.1f} tok/s, {bf16['tokens_per_second'] / bound16:.2f}x it; greedy ids as float32's for the first {agree} of {a.new_tokens}")
    peers = {name: torch_generate(a.new_tokens, a.threads, env, True, bf16=True)[0]["tokens_per_second"]
             for name, env in ((as_set, dict(os.environ)), ("OPENBLAS_CORETYPE unset", env_unset))}
    print(f"PyTorch's KV-cache generation with the model in bfloat16 (.to(torch.bfloat16)): {max(peers.values()):.1f} tok/s "
          f"[{', '.join(f'{k}: {v:.1f}' for k, v in peers.items())}]; xgrad --bf16 / PyTorch bf16 "
          f"{bf16['tokens_per_second'] / max(peers.values()):.2f}x")

    if a.checkpoint:
        trained = [gpt2, "--resume", a.checkpoint, "--epochs", "0", "--context-length", "256", "--prompt", "Every effort moves you",
                   "--max-new-tokens", str(a.new_tokens), "--json", "--threads", str(a.threads)]
        f32, b16 = run(trained)[0], run(trained + ["--bf16"])[0]
        agree = same_prefix(b16["ids"], f32["ids"]) - (len(f32["ids"]) - a.new_tokens)
        print(f"trained {a.checkpoint}, greedy from \"Every effort moves you\": bf16 weights give float32's ids for the first "
              f"{agree} of {a.new_tokens} ({b16['tokens_per_second']:.1f} against {f32['tokens_per_second']:.1f} tok/s)\n"
              f"  float32: {f32['text']!r}\n  bf16:    {b16['text']!r}")


if __name__ == "__main__":
    main()
