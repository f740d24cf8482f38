// Activations shaped as torch.nn.functional: gelu (exact and tanh) and silu.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "nn/functional.hpp"

namespace xgrad::nn {

namespace {

// y = f(x) and dy/dx = f'(x), elementwise, for a unary activation.
template <class F, class DF>
Tensor unary(const Tensor& x, const char* op, F f, DF df) {
    Array y = Array::from_shape(x.shape());
    const float* xp = x.data().data();
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = f(xp[i]);
    return record(op, std::move(y), {x}, [df](const Array& dy, const Array&, Inputs in) {
        Array g = Array::from_shape(dy.shape());
        const float* xp = in[0].data().data();
        for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = dy.data()[i] * df(xp[i]);
        in[0].accumulate_grad(std::move(g));
    });
}

constexpr float kSqrt1_2 = 0.70710678118654752f;        // 1/√2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;     // 1/√(2π)
constexpr float kSqrt2OverPi = 0.79788456080286536f;    // √(2/π)
constexpr float kGeluCubic = 0.044715f;

}  // namespace

// gelu, exact:  y = x·Φ(x) = x/2·(1 + erf(x/√2))          dy/dx = Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π)
// gelu, tanh:   y = x/2·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³)
//               dy/dx = (1 + t)/2 + x/2·(1 - t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(u)
Tensor gelu(const Tensor& x, const std::string& approximate) {
    if (approximate == "none")
        return unary(
            x, "gelu", [](float v) { return 0.5f * v * (1.0f + std::erf(v * kSqrt1_2)); },
            [](float v) { return 0.5f * (1.0f + std::erf(v * kSqrt1_2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v); });
    if (approximate == "tanh")
        return unary(
            x, "gelu",
            [](float v) { return 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v))); },
            [](float v) {
                const float t = std::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v));
                return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
            });
    throw ValueError(fmt::format("gelu: approximate must be \"none\" or \"tanh\", got \"{}\"", approximate));
}

// silu: y = x·σ(x)          dy/dx = σ(x)·(1 + x·(1 - σ(x)))
Tensor silu(const Tensor& x) {
    auto sig = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
    return unary(
        x, "silu", [sig](float v) { return v * sig(v); },
        [sig](float v) {
            const float s = sig(v);
            return s * (1.0f + v * (1.0f - s));
        });
}

}  // namespace xgrad::nn
