// Embedding(num_embeddings, embedding_dim, options): a lookup table of V rows of D floats.
// ids (*) of int64 or int32 → (*, D). Initialised N(0, 1) as PyTorch, the padding row set to zero.
// Options (see nn/functional.hpp for the exact semantics): padding_idx (the row starts at zero and
// the lookup gives it exactly zero gradient, so an optimizer leaves it at zero, as PyTorch), max_norm /
// norm_type, scale_grad_by_freq, sparse (row-sparse gradient: a step costs O(batch·D), not O(V·D)).
#pragma once
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Embedding : public Module {
public:
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options = {},
              Generator& gen = default_generator())
        : Embedding(randn({num_embeddings, embedding_dim}, gen), options, true) {}

    /// A table initialised from `weights` (V, D), copied. `freeze` is explicit: true makes the weight
    /// a constant (requires_grad false), false trains it.
    static Ptr<Embedding> from_pretrained(const Array& weights, bool freeze, EmbeddingOptions options = {}) {
        if (weights.dimension() != 2)
            throw ShapeError(fmt::format("Embedding::from_pretrained: weights must be 2-D (V, D), got {}",
                                         shape_str(weights.shape())));
        auto e = std::shared_ptr<Embedding>(new Embedding(Tensor(weights), options, false));
        e->weight.requires_grad_(!freeze);
        return e;
    }

    /// ids (*) → (*, D)
    Tensor forward(const IdArray& ids) const { return embedding(ids, weight, options); }
    Tensor forward(const xt::xarray<int32_t>& ids) const { return embedding(ids, weight, options); }

    const std::size_t num_embeddings, embedding_dim;
    const EmbeddingOptions options;  ///< padding_idx here is already made non-negative
    Tensor& weight;                  ///< (V, D)

protected:
    std::string extra_repr() const override {
        std::string s = fmt::format("{}, {}", num_embeddings, embedding_dim);
        if (options.padding_idx) s += fmt::format(", padding_idx={}", *options.padding_idx);
        if (options.max_norm) s += fmt::format(", max_norm={}", *options.max_norm);
        if (options.max_norm && options.norm_type != 2.0) s += fmt::format(", norm_type={}", options.norm_type);
        if (options.scale_grad_by_freq) s += ", scale_grad_by_freq=True";
        if (options.sparse) s += ", sparse=True";
        return s;
    }

private:
    Embedding(Tensor table, EmbeddingOptions options, bool zero_padding_row)
        : Module("Embedding"), num_embeddings(table.shape()[0]), embedding_dim(table.shape()[1]),
          options(normalized(options, table.shape()[0])), weight(register_parameter("weight", std::move(table))) {
        if (this->options.padding_idx && zero_padding_row)
            std::fill_n(weight.impl().data.data() + *this->options.padding_idx * static_cast<long>(embedding_dim),
                        embedding_dim, 0.0f);
    }
    static EmbeddingOptions normalized(EmbeddingOptions o, std::size_t V) {
        if (o.padding_idx) o.padding_idx = *normalized_padding_idx(o.padding_idx, V, "Embedding");
        return o;
    }
};

}  // namespace xgrad::nn
