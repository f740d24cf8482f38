"""The book's GPT-2 generating with a KV cache, as its ch. 4 bonus (gpt_with_kv_cache.py) does: each
attention layer keeps the keys and values of the positions seen (grown with torch.cat), a new token
runs the model on its one position, and the causal mask is taken at the cache's offset. Written over
book_gpt.GPTModel's own modules (the same weights and names), greedy, under torch.no_grad()."""
import torch


def _attention(att, x, cache):
    b, T, _ = x.shape
    split = lambda y: y.view(b, T, att.num_heads, att.head_dim).transpose(1, 2)  # noqa: E731
    k, q, v = split(att.W_key(x)), split(att.W_query(x)), split(att.W_value(x))
    cache["k"] = k if cache["k"] is None else torch.cat([cache["k"], k], dim=2)
    cache["v"] = v if cache["v"] is None else torch.cat([cache["v"], v], dim=2)
    keys, values = cache["k"], cache["v"]
    S = keys.shape[2]
    scores = q @ keys.transpose(2, 3)
    scores.masked_fill_(att.mask.bool()[S - T:S, :S], -torch.inf)
    weights = torch.softmax(scores / keys.shape[-1] ** 0.5, dim=-1)
    return att.out_proj((weights @ values).transpose(1, 2).contiguous().view(b, T, att.d_out))


def _forward(model, idx, caches, start):
    T = idx.shape[1]
    x = model.tok_emb(idx) + model.pos_emb(torch.arange(start, start + T))
    for block, cache in zip(model.trf_blocks, caches):
        x = x + _attention(block.att, block.norm1(x), cache)
        x = x + block.ff(block.norm2(x))
    return model.out_head(model.final_norm(x))


def generate_cached(model, idx, max_new_tokens, context_size):
    """The prompt's positions in one pass, then one position a token; greedy (argmax)."""
    with torch.no_grad():
        caches = [{"k": None, "v": None} for _ in model.trf_blocks]
        logits = _forward(model, idx[:, -context_size:], caches, 0)
        pos = min(idx.shape[1], context_size)
        for _ in range(max_new_tokens):
            nxt = torch.argmax(logits[:, -1], dim=-1, keepdim=True)
            idx = torch.cat([idx, nxt], dim=1)
            if pos >= context_size:  # the window is full: start again over the last context_size positions
                caches = [{"k": None, "v": None} for _ in model.trf_blocks]
                logits, pos = _forward(model, idx[:, -context_size:], caches, 0), context_size
            else:
                logits, pos = _forward(model, nxt, caches, pos), pos + 1
    return idx
