// A layer a user writes with xgrad's kit: RMSNorm(dim, eps = 1e-6).
//   x (*, dim) → x / √(mean(x², last dim) + eps) · weight,   weight (dim) = 1
// It composes differentiable ops, so it needs no backward of its own.
#pragma once
#include <xgrad.hpp>

struct RMSNorm : xgrad::nn::Module {
    const double eps;
    xgrad::Tensor& weight;
    explicit RMSNorm(std::size_t dim, double eps = 1e-6)
        : eps(eps), weight(register_parameter("weight", xgrad::ones({dim}))) {}
    xgrad::Tensor forward(const xgrad::Tensor& x) const {
        using namespace xgrad;
        return x * rsqrt(mean(x * x, {-1}, true) + static_cast<float>(eps)) * weight;
    }
};
