// MultiHeadAttention(d_in, d_out, context_length, dropout, num_heads, qkv_bias = false): causal
// self-attention as the book builds it in ch. 3, with its state_dict names (W_query, W_key, W_value,
// out_proj) and its initialisation order, on the fused scaled_dot_product_attention.
//   x (B, T, d_in) → q, k, v (B, H, T, hd), hd = d_out / H → softmax(q kᵀ/√hd + causal) v → (B, T, d_out) → out_proj
// Dropout (p while training) falls on the attention weights, as the book's self.dropout(attn_weights).
#pragma once
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class MultiHeadAttention : public Module {
public:
    MultiHeadAttention(long d_in, long d_out, long context_length, double dropout, long num_heads, bool qkv_bias = false,
                       Generator& gen = default_generator())
        : Module("MultiHeadAttention"), d_out(d_out), num_heads(num_heads), head_dim(checked_head_dim(d_out, num_heads)),
          context_length(context_length), dropout(checked_p(dropout)), gen_(&gen),
          W_query(register_module("W_query", make<Linear>(d_in, d_out, qkv_bias, gen))),
          W_key(register_module("W_key", make<Linear>(d_in, d_out, qkv_bias, gen))),
          W_value(register_module("W_value", make<Linear>(d_in, d_out, qkv_bias, gen))),
          out_proj(register_module("out_proj", make<Linear>(d_out, d_out, true, gen))) {}

    /// x (B, T, d_in) → (B, T, d_out); T beyond context_length throws ShapeError.
    Tensor forward(const Tensor& x) const {
        check_input(x, 0);
        const double p = is_training() ? dropout : 0.0;
        return merge_heads(scaled_dot_product_attention(heads(W_query(x)), heads(W_key(x)), heads(W_value(x)), p,
                                                        /*is_causal=*/true, std::nullopt, *gen_));
    }
    /// Generation: x (B, T, d_in) are the next T positions after those in `cache`; their keys and values
    /// join it. No dropout, no graph (inference only).
    Tensor forward(const Tensor& x, KVCache& cache) const {
        check_input(x, cache.length);
        return merge_heads(cached_attention(heads(W_query(x)), heads(W_key(x)), heads(W_value(x)), cache));
    }

    const long d_out, num_heads, head_dim, context_length;
    const double dropout;

private:
    Generator* gen_;

public:
    Ptr<Linear> W_query, W_key, W_value, out_proj;

protected:
    std::string extra_repr() const override {
        return fmt::format("num_heads={}, head_dim={}, context_length={}, dropout={}", num_heads, head_dim,
                           context_length, dropout);
    }

private:
    // (B, T, d_out) → (B, H, T, hd)
    Tensor heads(const Tensor& y) const {
        return transpose(y.reshape({y.size(0), y.size(1), num_heads, head_dim}), 1, 2);
    }
    // (B, H, T, hd) → (B, T, d_out), then the output projection
    Tensor merge_heads(const Tensor& ctx) const {
        return out_proj(transpose(ctx, 1, 2).reshape({ctx.size(0), ctx.size(2), d_out}));
    }
    void check_input(const Tensor& x, std::size_t cached) const {
        if (x.dim() != 3 || x.size(2) != long(W_query->in_features))
            throw ShapeError(fmt::format("MultiHeadAttention: input {} is not (batch, tokens, d_in = {})",
                                         shape_str(x.shape()), long(W_query->in_features)));
        if (long(cached + x.shape()[1]) > context_length)
            throw ShapeError(fmt::format("MultiHeadAttention: {} tokens{} exceed the context length {}", x.shape()[1],
                                         cached ? fmt::format(" after {} cached", cached) : "", context_length));
    }
    static long checked_head_dim(long d_out, long h) {
        if (h <= 0 || d_out <= 0 || d_out % h != 0)
            throw ValueError(fmt::format("MultiHeadAttention: d_out = {} must be a positive multiple of num_heads = {}", d_out, h));
        return d_out / h;
    }
    static double checked_p(double p) {
        if (!(p >= 0.0 && p <= 1.0))
            throw ValueError(fmt::format("MultiHeadAttention: dropout = {} must be within [0, 1]", p));
        return p;
    }
};

}  // namespace xgrad::nn
