// The GPT of the lecture (karpathy's ng-video-lecture gpt.py), module for module, with its state_dict names:
//   token_embedding_table, position_embedding_table, blocks.N.{sa.heads.H.{key,query,value,tril}, sa.proj,
//   ffwd.net.{0,2}, ln1, ln2}, ln_f, lm_head.
// Shapes: B batch, T time (≤ block_size), C n_embd, H heads of hs = C / H, V vocabulary.
#pragma once
#include <cmath>
#include <string>

#include "xgrad.hpp"

namespace gpt {

namespace nn = xgrad::nn;
using xgrad::IdArray;
using xgrad::Tensor;

struct Config {
    long vocab_size = 65, block_size = 32, n_embd = 64, n_head = 4, n_layer = 4;
    double dropout = 0.0;
    std::string activation = "relu";  // of the feed-forward: gpt.py's relu, or gelu (tanh form, as GPT-2)
};

/// One head of causal self-attention: x (B, T, C) → (B, T, hs).
struct Head : nn::Module {
    nn::Ptr<nn::Linear> key, query, value;
    Tensor& tril;  // (block, block) lower-triangular ones: position t sees 0…t
    nn::Ptr<nn::Dropout> dropout;
    Head(const Config& c, long head_size)
        : key(register_module("key", nn::make<nn::Linear>(c.n_embd, head_size, false))),
          query(register_module("query", nn::make<nn::Linear>(c.n_embd, head_size, false))),
          value(register_module("value", nn::make<nn::Linear>(c.n_embd, head_size, false))),
          tril(register_buffer("tril", xgrad::tril(xgrad::ones({std::size_t(c.block_size), std::size_t(c.block_size)})))),
          dropout(register_module("dropout", nn::make<nn::Dropout>(c.dropout))) {}
    Tensor forward(const Tensor& x) const {
        const long T = x.size(1);
        Tensor k = key(x), q = query(x);                                                       // (B, T, hs)
        const float scale = static_cast<float>(std::pow(double(k.shape()[2]), -0.5));
        Tensor wei = matmul(q, transpose(k, -2, -1)) * scale;                                   // (B, T, T)
        wei = masked_fill(wei, eq(index(tril, {xgrad::Slice(xgrad::None, T), xgrad::Slice(xgrad::None, T)}), 0.0f),
                          -INFINITY);
        wei = dropout(softmax(wei, -1));
        return matmul(wei, value(x));                                                           // (B, T, hs)
    }
};

/// n_head heads side by side, then a projection: (B, T, C) → (B, T, C).
struct MultiHeadAttention : nn::Module {
    nn::Ptr<nn::ModuleList> heads;
    nn::Ptr<nn::Linear> proj;
    nn::Ptr<nn::Dropout> dropout;
    MultiHeadAttention(const Config& c, long head_size) {
        heads = register_module("heads", nn::make<nn::ModuleList>());
        for (long h = 0; h < c.n_head; ++h) heads->push_back(nn::make<Head>(c, head_size));
        proj = register_module("proj", nn::make<nn::Linear>(head_size * c.n_head, c.n_embd));
        dropout = register_module("dropout", nn::make<nn::Dropout>(c.dropout));
    }
    Tensor forward(const Tensor& x) const {
        std::vector<Tensor> outs;
        for (auto& h : heads->items<Head>()) outs.push_back(h(x));
        return dropout(proj(cat(outs, -1)));
    }
};

/// Linear(C, 4C), ReLU (or GELU), Linear(4C, C), Dropout ("FeedFoward" in gpt.py).
struct FeedForward : nn::Module {
    nn::Ptr<nn::Sequential> net;
    explicit FeedForward(const Config& c) {
        net = register_module("net", nn::make<nn::Sequential>());
        net->push_back(nn::make<nn::Linear>(c.n_embd, 4 * c.n_embd));
        if (c.activation == "gelu") net->push_back(nn::make<nn::GELU>("tanh"));
        else net->push_back(nn::make<nn::ReLU>());
        net->push_back(nn::make<nn::Linear>(4 * c.n_embd, c.n_embd));
        net->push_back(nn::make<nn::Dropout>(c.dropout));
    }
    Tensor forward(const Tensor& x) const { return net(x); }
};

/// Communication then computation, each pre-LayerNorm with a residual: x + sa(ln1(x)), then + ffwd(ln2(x)).
struct Block : nn::Module {
    nn::Ptr<MultiHeadAttention> sa;
    nn::Ptr<FeedForward> ffwd;
    nn::Ptr<nn::LayerNorm> ln1, ln2;
    explicit Block(const Config& c)
        : sa(register_module("sa", nn::make<MultiHeadAttention>(c, c.n_embd / c.n_head))),
          ffwd(register_module("ffwd", nn::make<FeedForward>(c))),
          ln1(register_module("ln1", nn::make<nn::LayerNorm>(c.n_embd))),
          ln2(register_module("ln2", nn::make<nn::LayerNorm>(c.n_embd))) {}
    Tensor forward(const Tensor& x) const {
        Tensor y = x + sa(ln1(x));
        return y + ffwd(ln2(y));
    }
};

struct GPTLanguageModel : nn::Module {
    Config config;
    nn::Ptr<nn::Embedding> token_embedding_table, position_embedding_table;
    nn::Ptr<nn::Sequential> blocks;
    nn::Ptr<nn::LayerNorm> ln_f;
    nn::Ptr<nn::Linear> lm_head;
    explicit GPTLanguageModel(const Config& c) : config(c) {
        token_embedding_table = register_module("token_embedding_table", nn::make<nn::Embedding>(c.vocab_size, c.n_embd));
        position_embedding_table = register_module("position_embedding_table", nn::make<nn::Embedding>(c.block_size, c.n_embd));
        blocks = register_module("blocks", nn::make<nn::Sequential>());
        for (long i = 0; i < c.n_layer; ++i) blocks->push_back(nn::make<Block>(c));
        ln_f = register_module("ln_f", nn::make<nn::LayerNorm>(c.n_embd));
        lm_head = register_module("lm_head", nn::make<nn::Linear>(c.n_embd, c.vocab_size));
        apply([](nn::Module& m) {  // gpt.py's _init_weights: N(0, 0.02) weights, zero biases
            if (auto* l = m.as<nn::Linear>()) {
                nn::init::normal_(l->weight, 0.0, 0.02);
                if (l->bias.defined()) nn::init::zeros_(l->bias);
            } else if (auto* e = m.as<nn::Embedding>()) {
                nn::init::normal_(e->weight, 0.0, 0.02);
            }
        });
    }
    /// idx (B, T) → logits (B, T, V)
    Tensor forward(const IdArray& idx) const {
        const long T = long(idx.shape()[1]);
        Tensor tok_emb = token_embedding_table(idx);                         // (B, T, C)
        Tensor pos_emb = position_embedding_table(xgrad::arange_ids(T));    // (T, C)
        Tensor x = blocks(tok_emb + pos_emb);                                // (B, T, C)
        return lm_head(ln_f(x));                                             // (B, T, V)
    }
    /// loss = cross_entropy(logits.view(B·T, V), targets.view(B·T))
    Tensor loss(const Tensor& logits, const IdArray& targets) const {
        return nn::cross_entropy(logits.reshape({-1, config.vocab_size}), xgrad::reshape(targets, {-1}));
    }
};

}  // namespace gpt
