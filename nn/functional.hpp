// Functional forms of the layers (torch.nn.functional): linear, embedding, cross_entropy, one_hot,
// gelu, silu, layer_norm, dropout.
// Each is one fused op (forward and backward in one function, in nn/functional/<name>.cpp); the
// modules in nn/ hold parameters and call these.
#pragma once
#include <optional>
#include <string>

#include "autograd/ops.hpp"
#include "tensor/bf16.hpp"

namespace xgrad::nn {

/// y = x·Wᵀ + b      x (*, in), W (out, in), b (out) or undefined → y (*, out)
/// dx = dy·W, dW = Σ dyᵀ·x, db = Σ dy over all leading dims. Runs on the GEMM kernel directly.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
/// The same product with W in bfloat16 (x, b and the sums in float32), for inference: it records no
/// graph, so it throws ValueError when grad mode is on and x or b requires grad (train with W in float32).
/// Each element equals linear(x, W.to_float(), b) bit for bit.
Tensor linear(const Tensor& x, const Bf16Matrix& weight, const Tensor& bias = Tensor());

struct EmbeddingOptions {
    /// Row whose gradient is always exactly zero (negative counts from the end, as PyTorch).
    std::optional<long> padding_idx;
    /// Before the lookup, each looked-up row whose norm_type-norm exceeds max_norm is rescaled IN PLACE
    /// to norm max_norm (under no-grad; the rescale is not differentiated), exactly as torch.nn.Embedding
    /// does. NOTE: this edits the weight: a graph that saved the weight before the lookup sees its
    /// version change and backward() refuses with an error instead of giving a wrong gradient.
    std::optional<double> max_norm;
    double norm_type = 2.0;
    /// Scale each occurrence's gradient by 1 / (how often its id appears in this batch).
    bool scale_grad_by_freq = false;
    /// The weight gets a row-sparse gradient (touched rows only; see Tensor::sparse_grad()).
    bool sparse = false;
};

/// padding_idx made non-negative (p + V when p < 0); ValueError naming `who` unless -V ≤ p < V.
std::optional<int64_t> normalized_padding_idx(std::optional<long> padding_idx, std::size_t V, const char* who);

/// y[..., :] = weight[ids[...], :]      ids (*) int64, weight (V, D) → y (*, D)
/// dweight[v] = Σ_{i: ids[i] = v} dy[i] (times 1/count(v) with scale_grad_by_freq; row padding_idx
/// gets 0). Repeated ids add up, in order: bit-identical at any thread count. Ids outside [0, V) throw
/// IndexError naming the id, its position and the range.
Tensor embedding(const IdArray& ids, const Tensor& weight, const EmbeddingOptions& options = {});
/// int32 ids, for convenience.
Tensor embedding(const xt::xarray<int32_t>& ids, const Tensor& weight, const EmbeddingOptions& options = {});

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
    Tensor weight;               ///< per-class weights (C), or undefined
    long ignore_index = -100;    ///< class targets equal to this contribute nothing
    Reduction reduction = Reduction::Mean;
    double label_smoothing = 0.0;  ///< in [0, 1]: the target becomes (1-ε)·onehot + ε/C
};

/// Cross-entropy from logits, fused and stable (log-sum-exp with the max subtracted):
///   loss_i = -Σ_c w_c·t_ic·log softmax(x_i)_c, t = (1-ε)·onehot(y_i) + ε/C     (class targets)
/// input (N, C), (C) or (N, C, d1, ...); target class ids (N), () or (N, d1, ...).
/// Mean divides by Σ_i w_{y_i} over the non-ignored items (by their count without weights), as
/// PyTorch; when every item is ignored the mean is 0/0 = nan, as in PyTorch.
/// dx_i = scale_i·((1-ε)·w_y·(p_i - onehot(y_i)) + (ε/C)·(p_i·Σ_c w_c - w)), no one-hot is built.
Tensor cross_entropy(const Tensor& input, const IdArray& target, const CrossEntropyOptions& options = {});
/// Probability targets (same shape as input): loss_i = -Σ_c w_c·t'_ic·log p_ic, t' = (1-ε)·t + ε/C;
/// the mean divides by N. A target that requires grad gets dt = -(1-ε)·w·log p·scale, as in PyTorch.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

struct BCEWithLogitsOptions {
    Tensor weight;  ///< broadcast to the input: each element's loss times it (no gradient), or undefined
    Reduction reduction = Reduction::Mean;
};

/// The two-class loss on logits x with targets t in [0, 1] (same shape), stable for any x:
///   ℓ = w·[max(x, 0) - x·t + log(1 + e^(-|x|))] = -w·[t·log σ(x) + (1 - t)·log(1 - σ(x))]
///   dx = w·(σ(x) - t), dt = -w·x; reduced by mean (default), sum or none, as PyTorch's.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& options = {});
/// Mean squared error (F.mse_loss): ℓ = (x - t)², reduced by mean (default), sum or none; x and t of one
/// shape (a different shape is a ShapeError, where PyTorch warns and broadcasts). dx = 2(x - t)·dy, dt = -dx.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// log σ(x), stable for any x (torch.nn.functional.logsigmoid); dx = dy·σ(-x).
Tensor logsigmoid(const Tensor& x);

using xgrad::one_hot;

// --- activations (nn/functional/activation.cpp) ---------------------------------------------------
/// GELU: approximate "none" is x·Φ(x) (erf), "tanh" is x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// SiLU (swish): x·σ(x).
Tensor silu(const Tensor& x);
using xgrad::relu;
using xgrad::sigmoid;
using xgrad::softmax;
using xgrad::log_softmax;

// --- normalisation and regularisation -------------------------------------------------------------
/// Layer normalisation over the last dims (their shape is normalized_shape), eps inside the root:
/// y = (x - mean) / √(var + eps) · weight + bias, var biased; weight and bias (normalized_shape) or
/// undefined. Fused: one op with its own backward. A shape that does not match throws ShapeError.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);
/// Dropout: while training, each element is zeroed with probability p (mask drawn from `gen` as torch's) and the
/// rest scaled by 1/(1-p); the identity when not training. p outside [0, 1] throws ValueError.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator& gen = default_generator());

// --- attention (functional/attention.cpp) --------------------------------------------------------------
/// PyTorch 2's F.scaled_dot_product_attention without attn_mask: q (..., L, E), k (..., S, E), v (..., S, Ev)
/// → (..., L, Ev) = dropout(softmax(q kᵀ · scale + M)) v, scale = 1/√E unless given, M = -∞ above the
/// diagonal when is_causal (query i sees keys 0…i, the top-left alignment PyTorch uses). One fused op:
/// no mask tensor is built; dropout (p > 0) draws torch's mask over the (..., L, S) weights from `gen`.
/// Differing batch dims or widths throw ShapeError naming the three shapes.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p = 0.0,
                                    bool is_causal = false, std::optional<double> scale = std::nullopt,
                                    Generator& gen = default_generator());

/// Keys and values of the positions an attention layer has seen, kept for generation (the KV cache):
/// k, v (B, H, capacity, hd), positions 0 … length-1 filled. reset() forgets them.
struct KVCache {
    std::size_t capacity = 0;  ///< positions it can hold (the model's context length)
    std::size_t length = 0;    ///< positions held
    Array k = empty_array(), v = empty_array();
    explicit KVCache(std::size_t capacity = 0) : capacity(capacity) {}
    void reset() { length = 0; }
};
/// Attention of T new positions over the cache: appends k, v (B, H, T, hd) to `cache`, then
/// y = softmax(q kᵀ/√hd + causal mask) v with query t at position cache.length + t. Records no graph
/// (generation); more positions than the capacity throw ValueError.
Tensor cached_attention(const Tensor& q, const Tensor& k, const Tensor& v, KVCache& cache);

}  // namespace xgrad::nn
