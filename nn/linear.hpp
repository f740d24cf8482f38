// Linear(in_features, out_features, bias = true): y = x·Wᵀ + b, W (out, in), b (out), x (*, in).
// Initialised as PyTorch does: W and b uniform on ±1/√in_features.
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
          weight(register_parameter("weight", uniform({out_features, in_features}, -bound(), bound(), gen))),
          bias(register_parameter("bias", bias ? uniform({out_features}, -bound(), bound(), gen) : Tensor())) {}
    /// x (*, in) → (*, out)
    Tensor forward(const Tensor& x) const { return linear(x, weight, bias); }

    const std::size_t in_features, out_features;
    Tensor& weight;  ///< (out, in)
    Tensor& bias;    ///< (out), undefined without bias

protected:
    std::string extra_repr() const override {
        return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features, bias.defined());
    }

private:
    float bound() const { return in_features > 0 ? 1.0f / std::sqrt(static_cast<float>(in_features)) : 0.0f; }
};

}  // namespace xgrad::nn
