// Linear(in_features, out_features, bias = true): y = x·Wᵀ + b, W (out, in), b (out), x (*, in).
// Initialised as PyTorch does (the same numbers after the same manual_seed): W and b uniform on ±1/√in.
#pragma once
#include <cmath>

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
    /// x (*, in) → (*, out)
    Tensor forward(const Tensor& x) const { return linear(x, weight, bias); }

    const std::size_t in_features, out_features;
    Tensor& weight;  ///< (out, in)
    Tensor& bias;    ///< (out), undefined without bias

protected:
    std::string extra_repr() const override {
        return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                           bias.defined() ? "True" : "False");
    }

private:
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

}  // namespace xgrad::nn
