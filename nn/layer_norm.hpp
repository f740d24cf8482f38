// LayerNorm(normalized_shape, eps = 1e-5, elementwise_affine = true): normalises over the last dims.
//   x (*, normalized_shape) → same shape; weight (normalized_shape) = 1, bias (normalized_shape) = 0.
#pragma once
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class LayerNorm : public Module {
public:
    explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
        : Module("LayerNorm"), normalized_shape(std::move(normalized_shape)), eps(eps),
          elementwise_affine(elementwise_affine),
          weight(register_parameter("weight", elementwise_affine ? ones(this->normalized_shape) : Tensor())),
          bias(register_parameter("bias", elementwise_affine ? zeros(this->normalized_shape) : Tensor())) {}
    /// LayerNorm(C): over the last dim of size C.
    explicit LayerNorm(std::size_t normalized_size, double eps = 1e-5, bool elementwise_affine = true)
        : LayerNorm(Shape{normalized_size}, eps, elementwise_affine) {}

    Tensor forward(const Tensor& x) const { return layer_norm(x, normalized_shape, weight, bias, eps); }

    const Shape normalized_shape;
    const double eps;
    const bool elementwise_affine;
    Tensor& weight;  ///< normalized_shape, or undefined without elementwise_affine
    Tensor& bias;

protected:
    std::string extra_repr() const override {
        std::string s = shape_str(normalized_shape);
        if (normalized_shape.size() == 1) s = fmt::format("({},)", normalized_shape[0]);
        return fmt::format("{}, eps={}, elementwise_affine={}", s, eps, elementwise_affine ? "True" : "False");
    }
};

}  // namespace xgrad::nn
