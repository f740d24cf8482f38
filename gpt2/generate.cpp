// generate(): the book's sampling loop over the last position's logits, with or without a KV cache.
#include "gpt2/generate.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace xgrad::gpt2 {

namespace {

void check_options(const GenerateOptions& o, const Config& c) {
    if (o.max_new_tokens < 0) throw ValueError(fmt::format("generate: max_new_tokens = {} must be ≥ 0", o.max_new_tokens));
    if (!(o.temperature >= 0.0) || std::isinf(o.temperature))
        throw ValueError(fmt::format("generate: temperature = {} must be ≥ 0 and finite (0 is greedy)", o.temperature));
    if (o.top_k && *o.top_k < 1)
        throw ValueError(fmt::format("generate: top_k = {} must be ≥ 1 (leave it unset to keep every token)", *o.top_k));
    if (o.top_p && !(*o.top_p > 0.0 && *o.top_p <= 1.0))
        throw ValueError(fmt::format("generate: top_p = {} must be within (0, 1]", *o.top_p));
    if (o.eos_id && (*o.eos_id < 0 || *o.eos_id >= c.vocab_size))
        throw ValueError(fmt::format("generate: eos_id = {} is outside the vocabulary [0, {})", *o.eos_id, c.vocab_size));
}

// logits (B, V): values below each row's k-th largest become -inf (the book's torch.where(logits < min_val, -inf, ...)).
void keep_top_k(Array& logits, long k) {
    const std::size_t V = logits.shape()[1];
    if (std::size_t(k) >= V) return;
    std::vector<float> row(V);
    for (std::size_t b = 0; b < logits.shape()[0]; ++b) {
        float* r = logits.data() + b * V;
        std::copy(r, r + V, row.begin());
        std::nth_element(row.begin(), row.begin() + (k - 1), row.end(), std::greater<float>());
        const float min_val = row[std::size_t(k - 1)];
        for (std::size_t j = 0; j < V; ++j)
            if (r[j] < min_val) r[j] = -INFINITY;
    }
}

// probs (B, V): zero all but the most probable tokens whose cumulative probability first reaches p.
void keep_top_p(Array& probs, double p) {
    const std::size_t V = probs.shape()[1];
    std::vector<std::size_t> order(V);
    for (std::size_t b = 0; b < probs.shape()[0]; ++b) {
        float* r = probs.data() + b * V;
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return r[i] > r[j]; });
        double cum = 0.0;
        std::size_t keep = 0;
        while (keep < V && cum < p) cum += r[order[keep++]];
        for (std::size_t i = keep; i < V; ++i) r[order[i]] = 0.0f;
    }
}

// The next id of each row from the last position's logits (B, V).
IdArray choose(Array logits, const GenerateOptions& o, Generator& gen) {
    if (o.top_k) keep_top_k(logits, *o.top_k);
    if (o.temperature == 0.0) return argmax(Tensor(std::move(logits)), -1);
    Tensor probs = softmax(Tensor(std::move(logits)) / static_cast<float>(o.temperature), -1);
    if (o.top_p && *o.top_p < 1.0) {
        Array p = probs.data();
        keep_top_p(p, *o.top_p);
        probs = Tensor(std::move(p));
    }
    return reshape(multinomial(probs, 1, false, gen), {-1});
}

}  // namespace

IdArray generate(const GPTModel& model, const IdArray& idx, const GenerateOptions& o, Generator& gen) {
    check_options(o, model.cfg);
    if (idx.dimension() != 2 || idx.shape()[1] == 0)
        throw ShapeError(fmt::format("generate: idx {} is not (batch, tokens) with tokens ≥ 1", shape_str(idx.shape())));
    NoGradGuard no_grad;
    const long ctx = model.cfg.context_length;
    IdArray out = idx;
    Cache cache;
    for (long step = 0; step < o.max_new_tokens; ++step) {
        const long T = long(out.shape()[1]);
        IdArray window = slice(out, 1, std::max(0L, T - ctx));  // idx[:, -context_size:]
        Tensor logits;
        if (!o.use_cache) logits = model.forward(window);
        else if (step == 0 || long(cache.length()) >= ctx) cache = model.make_cache(), logits = model.forward(window, cache);
        else logits = model.forward(slice(out, 1, T - 1), cache);  // the one new position
        IdArray next = choose(select(logits, 1, -1).data(), o, gen);  // (B)
        if (o.eos_id && std::all_of(next.begin(), next.end(), [&](int64_t i) { return i == *o.eos_id; })) break;
        out = cat({out, reshape(next, {-1, 1})}, 1);
        if (o.on_token) o.on_token(next);
    }
    return out;
}

}  // namespace xgrad::gpt2
