// Activations shaped as torch.nn.functional: gelu (exact and tanh) and silu.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/unary.hpp"

namespace xgrad::nn {

namespace {

// y = f(x) and dx = df(dy, x), elementwise on the xsimd maps of tensor/kernels/unary.hpp.
template <class F, class DF>
Tensor unary(const Tensor& x, const char* op, F f, DF df) {
    Array y = new_array(x.shape(), op);
    kernels::map(x.data().data(), y.data(), y.size(), f);
    return record(op, std::move(y), {x}, [df, op](const Array& dy, const Array&, Inputs in) {
        Array g = new_array(dy.shape(), op);
        kernels::map2(dy.data(), in[0].data().data(), g.data(), g.size(), df);
        in[0].accumulate_grad(std::move(g));
    });
}

}  // namespace

// gelu, exact:  y = x·Φ(x) = x/2·(1 + erf(x/√2))          dy/dx = Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π)
// gelu, tanh:   y = x/2·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³)
//               dy/dx = (1 + t)/2 + x/2·(1 - t²)·√(2/π)(1 + 3·0.044715x²), t = tanh(u)
Tensor gelu(const Tensor& x, const std::string& approximate) {
    if (approximate == "none") return unary(x, "gelu", kernels::GeluErf{}, kernels::GeluErfGrad{});
    if (approximate == "tanh") return unary(x, "gelu", kernels::GeluTanh{}, kernels::GeluTanhGrad{});
    throw ValueError(fmt::format("gelu: approximate must be \"none\" or \"tanh\", got \"{}\"", approximate));
}

// silu: y = x·σ(x)          dy/dx = σ(x)·(1 + x·(1 - σ(x)))
Tensor silu(const Tensor& x) { return unary(x, "silu", kernels::Silu{}, kernels::SiluGrad{}); }

}  // namespace xgrad::nn
