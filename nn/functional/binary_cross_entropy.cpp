// logsigmoid and binary_cross_entropy_with_logits: the two-class losses on logits (word2vec's
// negative sampling is one of them: log σ(u·v) for the true pair, log σ(-u·v) for each noise word).
#include <cmath>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/broadcast.hpp"

namespace xgrad::nn {

namespace {

// log(1 + e^(-|x|)): the stable tail both formulas share
inline double log1p_exp_neg_abs(double x) { return std::log1p(std::exp(-std::abs(x))); }
inline double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }

}  // namespace

// logsigmoid: y = log σ(x) = min(x, 0) - log(1 + e^(-|x|))          dx = dy·(1 - σ(x)) = dy·σ(-x)
Tensor logsigmoid(const Tensor& x) {
    Array y = new_array(x.shape(), "logsigmoid");
    const float* xp = x.data().data();
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = float(std::min(double(xp[i]), 0.0) - log1p_exp_neg_abs(xp[i]));
    return record("logsigmoid", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        Array g = new_array(dy.shape(), "logsigmoid");
        const float* xp = in[0].data().data();
        for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = float(dy.data()[i] * sigmoid(-double(xp[i])));
        in[0].accumulate_grad(std::move(g));
    });
}

// binary_cross_entropy_with_logits, elementwise with weight w (broadcast to x) and target t:
//   ℓ = w·[max(x, 0) - x·t + log(1 + e^(-|x|))]   (= -w·[t·log σ(x) + (1-t)·log(1 - σ(x))], stable)
//   dℓ/dx = w·(σ(x) - t)      dℓ/dt = -w·x
// then reduced: none (x's shape), sum, or mean (÷ numel).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& options) {
    if (target.shape() != input.shape())
        throw ShapeError(fmt::format("binary_cross_entropy_with_logits: target of shape {} for input of shape {} (they "
                                     "must be the same)", shape_str(target.shape()), shape_str(input.shape())));
    const bool has_w = options.weight.defined();
    bool fits = true;
    try {
        fits = !has_w || broadcast_shapes(options.weight.shape(), input.shape(), "bce") == input.shape();
    } catch (const ShapeError&) {
        fits = false;
    }
    if (!fits)
        throw ShapeError(fmt::format("binary_cross_entropy_with_logits: weight of shape {} does not broadcast to the "
                                     "input's shape {}", shape_str(options.weight.shape()), shape_str(input.shape())));
    const std::size_t n = input.numel();
    // the weight spread over the input's shape (ones when there is none)
    Array w = has_w ? kernels::broadcast_to(options.weight.data(), options.weight.shape(), input.shape())
                    : full_array(input.shape(), 1.0f);
    Array l = new_array(input.shape(), "binary_cross_entropy_with_logits");
    const float* x = input.data().data();
    const float* t = target.data().data();
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = w.data()[i] * (std::max(double(x[i]), 0.0) - double(x[i]) * t[i] + log1p_exp_neg_abs(x[i]));
        l.data()[i] = float(v);
        total += v;
    }
    const Reduction red = options.reduction;
    Array y = red == Reduction::None ? std::move(l) : full_array({}, float(red == Reduction::Sum ? total : total / double(n)));
    return record("binary_cross_entropy_with_logits", std::move(y), {input, target},
                  [w = std::move(w), red, n](const Array& dy, const Array&, Inputs in) {
        const float* x = in[0].data().data();
        const float* t = in[1].data().data();
        const double scale = red == Reduction::Mean ? 1.0 / double(n) : 1.0;
        auto d = [&](std::size_t i) { return red == Reduction::None ? double(dy.data()[i]) : dy.data()[0] * scale; };
        if (in[0].requires_grad()) {
            Array g = new_array(in[0].shape(), "binary_cross_entropy_with_logits");
            for (std::size_t i = 0; i < n; ++i) g.data()[i] = float(d(i) * w.data()[i] * (sigmoid(x[i]) - t[i]));
            in[0].accumulate_grad(std::move(g));
        }
        if (in[1].requires_grad()) {
            Array g = new_array(in[1].shape(), "binary_cross_entropy_with_logits");
            for (std::size_t i = 0; i < n; ++i) g.data()[i] = float(-d(i) * w.data()[i] * x[i]);
            in[1].accumulate_grad(std::move(g));
        }
    });
}

}  // namespace xgrad::nn
