// The book's GPT-2 (Raschka, "Build a Large Language Model (From Scratch)", ch. 4), module for module,
// with its state_dict names and its initialisation order (so manual_seed(123) gives the book's model):
//   tok_emb, pos_emb, drop_emb, trf_blocks.N.{att.{W_query, W_key, W_value, out_proj}, ff.layers.{0, 2},
//   norm1.{scale, shift}, norm2, drop_shortcut}, final_norm, out_head.
// Shapes: B batch, T tokens (≤ context_length), C emb_dim, V vocab_size.
#pragma once
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace xgrad::gpt2 {

struct Config {
    long vocab_size = 50257, context_length = 1024, emb_dim = 768, n_heads = 12, n_layers = 12;
    double drop_rate = 0.1;
    bool qkv_bias = false;
    double layer_norm_eps = 1e-5;
    /// GPT_CONFIG_124M and the larger published sizes: "gpt2-small (124M)", "gpt2-medium (355M)",
    /// "gpt2-large (774M)", "gpt2-xl (1558M)" (or "124M" … "1558M"); another name throws ValueError.
    static Config named(const std::string& name);
    /// A ValueError naming the first field out of range (heads not dividing emb_dim, sizes ≤ 0, …).
    void check() const;
};

/// The book's LayerNorm: (x - mean) / √(var + eps) · scale + shift over the last dim, var biased.
struct LayerNorm : nn::Module {
    double eps;
    Tensor& scale;
    Tensor& shift;
    LayerNorm(long emb_dim, double eps = 1e-5)
        : eps(eps), scale(register_parameter("scale", ones({emb_dim}))),
          shift(register_parameter("shift", zeros({emb_dim}))) {}
    Tensor forward(const Tensor& x) const { return nn::layer_norm(x, {scale.shape()[0]}, scale, shift, eps); }
};

/// Linear(C, 4C), GELU (tanh form), Linear(4C, C).
struct FeedForward : nn::Module {
    nn::Ptr<nn::Sequential> layers;
    explicit FeedForward(const Config& c)
        : layers(register_module("layers", nn::make<nn::Sequential>({nn::make<nn::Linear>(c.emb_dim, 4 * c.emb_dim),
                                                                     nn::make<nn::GELU>("tanh"),
                                                                     nn::make<nn::Linear>(4 * c.emb_dim, c.emb_dim)}))) {}
    Tensor forward(const Tensor& x) const { return layers(x); }
};

/// x + drop(att(norm1(x))), then + drop(ff(norm2(x))): pre-LayerNorm with residuals.
struct TransformerBlock : nn::Module {
    nn::Ptr<nn::MultiHeadAttention> att;
    nn::Ptr<FeedForward> ff;
    nn::Ptr<LayerNorm> norm1, norm2;
    nn::Ptr<nn::Dropout> drop_shortcut;
    explicit TransformerBlock(const Config& c)
        : att(register_module("att", nn::make<nn::MultiHeadAttention>(c.emb_dim, c.emb_dim, c.context_length, c.drop_rate,
                                                                     c.n_heads, c.qkv_bias))),
          ff(register_module("ff", nn::make<FeedForward>(c))),
          norm1(register_module("norm1", nn::make<LayerNorm>(c.emb_dim, c.layer_norm_eps))),
          norm2(register_module("norm2", nn::make<LayerNorm>(c.emb_dim, c.layer_norm_eps))),
          drop_shortcut(register_module("drop_shortcut", nn::make<nn::Dropout>(c.drop_rate))) {}
    Tensor forward(const Tensor& x) const {
        Tensor h = x + drop_shortcut(att(norm1(x)));
        return h + drop_shortcut(ff(norm2(h)));
    }
    /// The same with the attention's keys and values kept in `cache` (generation, no dropout).
    Tensor forward(const Tensor& x, nn::KVCache& cache) const {
        Tensor h = x + att->forward(norm1(x), cache);
        return h + ff(norm2(h));
    }
};

/// One KVCache per block: the positions a model has already seen while generating.
struct Cache {
    std::vector<nn::KVCache> layers;
    std::size_t length() const { return layers.empty() ? 0 : layers[0].length; }
    void reset() {
        for (auto& l : layers) l.reset();
    }
};

struct GPTModel : nn::Module {
    Config cfg;
    nn::Ptr<nn::Embedding> tok_emb, pos_emb;
    nn::Ptr<nn::Dropout> drop_emb;
    nn::Ptr<nn::ModuleList> trf_blocks;
    nn::Ptr<LayerNorm> final_norm;
    nn::Ptr<nn::Linear> out_head;
    explicit GPTModel(const Config& c);

    /// in_idx (B, T) → logits (B, T, V). Ids outside the vocabulary and T > context_length are named errors.
    Tensor forward(const IdArray& in_idx) const;
    /// The next T positions after those in `cache` (at positions cache.length() …); records no graph.
    Tensor forward(const IdArray& in_idx, Cache& cache) const;
    /// An empty cache for this model.
    Cache make_cache() const;
    /// Parameters, counting the output head (the book's 163M for 124M, 124M with the head tied).
    std::size_t num_parameters() const;
};

/// Mean cross-entropy of logits (B, T, V) against targets (B, T): the book's calc_loss_batch.
Tensor loss(const Tensor& logits, const IdArray& targets);

}  // namespace xgrad::gpt2
