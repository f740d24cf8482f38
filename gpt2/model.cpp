// The book's GPTModel: configuration presets, checks, and the forward passes (see model.hpp).
#include "gpt2/model.hpp"

#include <fmt/format.h>

namespace xgrad::gpt2 {

Config Config::named(const std::string& name) {
    Config c;  // GPT_CONFIG_124M
    auto is = [&](const char* a, const char* b) { return name == a || name == b; };
    if (is("gpt2-small (124M)", "124M")) return c;
    c.qkv_bias = false;
    if (is("gpt2-medium (355M)", "355M")) c.emb_dim = 1024, c.n_layers = 24, c.n_heads = 16;
    else if (is("gpt2-large (774M)", "774M")) c.emb_dim = 1280, c.n_layers = 36, c.n_heads = 20;
    else if (is("gpt2-xl (1558M)", "1558M")) c.emb_dim = 1600, c.n_layers = 48, c.n_heads = 25;
    else
        throw ValueError(fmt::format("gpt2::Config: unknown model \"{}\" (known: gpt2-small (124M), gpt2-medium (355M), "
                                     "gpt2-large (774M), gpt2-xl (1558M))", name));
    return c;
}

void Config::check() const {
    auto positive = [](const char* field, long v) {
        if (v <= 0) throw ValueError(fmt::format("gpt2::Config: {} = {} must be positive", field, v));
    };
    positive("vocab_size", vocab_size);
    positive("context_length", context_length);
    positive("emb_dim", emb_dim);
    positive("n_heads", n_heads);
    positive("n_layers", n_layers);
    if (emb_dim % n_heads != 0)
        throw ValueError(fmt::format("gpt2::Config: emb_dim = {} is not a multiple of n_heads = {}", emb_dim, n_heads));
    if (!(drop_rate >= 0.0 && drop_rate <= 1.0))
        throw ValueError(fmt::format("gpt2::Config: drop_rate = {} must be within [0, 1]", drop_rate));
}

GPTModel::GPTModel(const Config& c) : cfg((c.check(), c)) {
    tok_emb = register_module("tok_emb", nn::make<nn::Embedding>(c.vocab_size, c.emb_dim));
    pos_emb = register_module("pos_emb", nn::make<nn::Embedding>(c.context_length, c.emb_dim));
    drop_emb = register_module("drop_emb", nn::make<nn::Dropout>(c.drop_rate));
    trf_blocks = register_module("trf_blocks", nn::make<nn::ModuleList>());
    for (long i = 0; i < c.n_layers; ++i) trf_blocks->push_back(nn::make<TransformerBlock>(c));
    final_norm = register_module("final_norm", nn::make<LayerNorm>(c.emb_dim, c.layer_norm_eps));
    out_head = register_module("out_head", nn::make<nn::Linear>(c.emb_dim, c.vocab_size, false));
}

namespace {

// (B, T) ids, T ≥ 1 positions from `start` within the context and ids within the vocabulary.
void check_ids(const IdArray& idx, const Config& c, std::size_t start) {
    if (idx.dimension() != 2 || idx.shape()[1] == 0)
        throw ShapeError(fmt::format("GPTModel: in_idx {} is not (batch, tokens) with tokens ≥ 1", shape_str(idx.shape())));
    if (long(start + idx.shape()[1]) > c.context_length)
        throw ShapeError(fmt::format("GPTModel: {} tokens{} exceed the context length {}", idx.shape()[1],
                                     start ? fmt::format(" after {} cached", start) : "", c.context_length));
    for (std::size_t i = 0; i < idx.size(); ++i)
        if (idx.data()[i] < 0 || idx.data()[i] >= c.vocab_size)
            throw IndexError(fmt::format("GPTModel: token id {} at position {} is outside the vocabulary [0, {})",
                                         idx.data()[i], i, c.vocab_size));
}

}  // namespace

Tensor GPTModel::forward(const IdArray& in_idx) const {
    check_ids(in_idx, cfg, 0);
    const long T = long(in_idx.shape()[1]);
    Tensor x = drop_emb(tok_emb(in_idx) + pos_emb(arange_ids(T)));  // (B, T, C) + (T, C)
    for (auto& block : trf_blocks->items<TransformerBlock>()) x = block(x);
    return out_head(final_norm(x));  // (B, T, V)
}

Tensor GPTModel::forward(const IdArray& in_idx, Cache& cache) const {
    NoGradGuard no_grad;
    if (cache.layers.empty()) cache = make_cache();
    if (cache.layers.size() != std::size_t(cfg.n_layers))
        throw ValueError(fmt::format("GPTModel: a cache of {} layers for a model of {}", cache.layers.size(), cfg.n_layers));
    const std::size_t start = cache.length();
    check_ids(in_idx, cfg, start);
    const long T = long(in_idx.shape()[1]);
    Tensor x = tok_emb(in_idx) + pos_emb(arange_ids(long(start), long(start) + T));
    auto blocks = trf_blocks->items<TransformerBlock>();
    for (std::size_t i = 0; i < blocks.size(); ++i) x = blocks[i]->forward(x, cache.layers[i]);
    return out_head(final_norm(x));
}

Cache GPTModel::make_cache() const {
    Cache c;
    c.layers.assign(std::size_t(cfg.n_layers), nn::KVCache(std::size_t(cfg.context_length)));
    return c;
}

std::size_t GPTModel::num_parameters() const {
    std::size_t n = 0;
    for (auto& [name, p] : named_parameters()) n += p.numel();
    return n;
}

Tensor loss(const Tensor& logits, const IdArray& targets) {
    return nn::cross_entropy(logits.reshape({-1, long(logits.shape().back())}), reshape(targets, {-1}));
}

}  // namespace xgrad::gpt2
