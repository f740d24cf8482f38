// Linear(in_features, out_features, bias = true): y = x·Wᵀ + b, W (out, in), b (out), x (*, in).
// Initialised as PyTorch does (the same numbers after the same manual_seed): W and b uniform on ±1/√in.
#pragma once
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Linear : public Module {
public:
    Linear(std::size_t in_features, std::size_t out_features, bool bias = true, Generator& gen = default_generator())
        : Module("Linear"), in_features(in_features), out_features(out_features),
          weight(register_parameter("weight", uniform({out_features, in_features}, -weight_bound(), weight_bound(), gen))),
          bias(register_parameter("bias", bias ? uniform({out_features}, -bias_bound(), bias_bound(), gen) : Tensor())) {}
    /// x (*, in) → (*, out); by W's bfloat16 copy when use_bf16() is on and no graph is being recorded.
    Tensor forward(const Tensor& x) const {
        if (bf16_ && !is_grad_enabled()) return linear(x, bf16_weight(), bias);
        return linear(x, weight, bias);
    }

    /// Multiplies by a bfloat16 copy of W (rounded to nearest, ties to even) in the passes that record no
    /// graph — generation, evaluation under NoGradGuard: half the bytes a product reads, which is what a
    /// one-token step of generation is bound by; x, b and the sums stay float32, and the copy is kept
    /// beside W (training, which records a graph, uses W). The copy follows W: it is rounded again at
    /// the first pass after W changed (an optimizer step, a load). use_bf16(false) drops it.
    Linear& use_bf16(bool on = true) {
        bf16_.reset();
        if (on) bf16_ = std::make_unique<Bf16Copy>(), bf16_weight();  // rounded now, not in the first pass
        return *this;
    }
    bool uses_bf16() const { return bf16_ != nullptr; }

    const std::size_t in_features, out_features;
    Tensor& weight;  ///< (out, in)
    Tensor& bias;    ///< (out), undefined without bias

protected:
    std::string extra_repr() const override {
        return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                           bias.defined() ? "True" : "False");
    }

private:
    struct Bf16Copy {
        Bf16Matrix matrix;
        Tensor source;  // the W it was rounded from, kept alive so its storage cannot be reused by another W
        uint64_t version = 0;
    };
    mutable std::unique_ptr<Bf16Copy> bf16_;

    const Bf16Matrix& bf16_weight() const {
        Bf16Copy& c = *bf16_;
        const bool current = c.source.defined() && c.source.data().data() == weight.data().data() &&
                             c.version == weight.version() && c.source.shape() == weight.shape();
        if (!current) c.matrix = Bf16Matrix(weight.data()), c.source = weight, c.version = weight.version();
        return c.matrix;
    }

    // PyTorch's reset_parameters, in double as its Python does: the weight by kaiming_uniform_(a = √5),
    // bound = √3 · √(2 / (1 + 5)) / √in (= 1/√in up to rounding); the bias U(±1/√in).
    float weight_bound() const {
        if (in_features == 0) return 0.0f;
        return static_cast<float>(std::sqrt(3.0) * (std::sqrt(2.0 / 6.0) / std::sqrt(static_cast<double>(in_features))));
    }
    float bias_bound() const {
        return in_features > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(in_features))) : 0.0f;
    }
};

/// Linear::use_bf16(on) on every Linear in `model` (itself included); returns how many there are.
inline std::size_t use_bf16(Module& model, bool on = true) {
    std::size_t n = 0;
    model.apply([&](Module& m) {
        if (auto* l = m.as<Linear>()) l->use_bf16(on), ++n;
    });
    return n;
}

}  // namespace xgrad::nn
