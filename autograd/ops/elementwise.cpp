// Elementwise ops: binary ones broadcast (numpy rules) and sum their gradients back with sum_to.
// Each op: forward formula, gradient and shapes in one place.
#include <cmath>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/unary.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

using kernels::broadcast_binary;

// add: y = a + b      a, b broadcast to y      da = sum_to(dy), db = sum_to(dy)
Tensor add(const Tensor& a, const Tensor& b) {
    const Shape ys = broadcast_shapes(a.shape(), b.shape(), "add");
    Array y = broadcast_binary(a.data(), b.data(), ys, kernels::Add{});
    return record("add", std::move(y), {a, b}, [](const Array& dy, const Array&, Inputs in) {
        if (in[0].requires_grad()) in[0].accumulate_grad(sum_to(dy, in[0].shape()));
        if (in[1].requires_grad()) in[1].accumulate_grad(sum_to(dy, in[1].shape()));
    });
}

// sub: y = a - b      da = sum_to(dy), db = -sum_to(dy)
Tensor sub(const Tensor& a, const Tensor& b) {
    const Shape ys = broadcast_shapes(a.shape(), b.shape(), "sub");
    Array y = broadcast_binary(a.data(), b.data(), ys, kernels::Sub{});
    return record("sub", std::move(y), {a, b}, [](const Array& dy, const Array&, Inputs in) {
        if (in[0].requires_grad()) in[0].accumulate_grad(sum_to(dy, in[0].shape()));
        if (in[1].requires_grad()) {
            Array g = sum_to(dy, in[1].shape());
            for (auto& v : g) v = -v;
            in[1].accumulate_grad(std::move(g));
        }
    });
}

// mul: y = a * b      da = sum_to(dy * b), db = sum_to(dy * a)
Tensor mul(const Tensor& a, const Tensor& b) {
    const Shape ys = broadcast_shapes(a.shape(), b.shape(), "mul");
    Array y = broadcast_binary(a.data(), b.data(), ys, kernels::Mul{});
    return record("mul", std::move(y), {a, b}, [](const Array& dy, const Array&, Inputs in) {
        if (in[0].requires_grad())
            in[0].accumulate_grad(sum_to(broadcast_binary(dy, in[1].data(), dy.shape(), kernels::Mul{}), in[0].shape()));
        if (in[1].requires_grad())
            in[1].accumulate_grad(sum_to(broadcast_binary(dy, in[0].data(), dy.shape(), kernels::Mul{}), in[1].shape()));
    });
}

// div: y = a / b      da = sum_to(dy / b), db = sum_to(-dy · a / b²), computed as -((dy / b) · a) / b
Tensor div(const Tensor& a, const Tensor& b) {
    const Shape ys = broadcast_shapes(a.shape(), b.shape(), "div");
    Array y = broadcast_binary(a.data(), b.data(), ys, kernels::Div{});
    return record("div", std::move(y), {a, b}, [](const Array& dy, const Array&, Inputs in) {
        const Array& av = in[0].data();
        const Array& bv = in[1].data();
        const Array dy_b = broadcast_binary(dy, bv, dy.shape(), kernels::Div{});  // dy / b
        if (in[0].requires_grad()) in[0].accumulate_grad(sum_to(dy_b, in[0].shape()));
        if (in[1].requires_grad()) {
            const Array t = broadcast_binary(dy_b, av, dy.shape(), kernels::Mul{});
            Array g = broadcast_binary(t, bv, dy.shape(), kernels::Div{});
            for (auto& v : g) v = -v;
            in[1].accumulate_grad(sum_to(std::move(g), in[1].shape()));
        }
    });
}

// neg: y = -x         dx = -dy
Tensor neg(const Tensor& x) {
    Array y = -x.data();
    return record("neg", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(-dy));
    });
}

// add (scalar): y = x + s     dx = dy
Tensor add(const Tensor& x, float s) {
    Array y = x.data() + s;
    return record("add", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) { in[0].accumulate_grad(dy); });
}

// mul (scalar): y = x * s     dx = dy * s
Tensor mul(const Tensor& x, float s) {
    Array y = new_array(x.shape(), "mul");
    kernels::map(x.data().data(), y.data(), y.size(), kernels::Scale{s});
    return record("mul", std::move(y), {x}, [s](const Array& dy, const Array&, Inputs in) {
        Array g = new_array(dy.shape(), "mul backward");
        kernels::map(dy.data(), g.data(), g.size(), kernels::Scale{s});
        in[0].accumulate_grad(std::move(g));
    });
}

// div (scalar): y = x / s     dx = dy / s
Tensor div(const Tensor& x, float s) {
    Array y = x.data() / s;
    return record("div", std::move(y), {x}, [s](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(dy / s));
    });
}

// rdiv: y = s / x             dx = -dy * s / x²  (= -dy * y / x)
Tensor rdiv(float s, const Tensor& x) {
    Array y = s / x.data();
    return record("rdiv", std::move(y), {x}, [s](const Array& dy, const Array&, Inputs in) {
        const Array& xv = in[0].data();
        in[0].accumulate_grad(Array(-dy * s / (xv * xv)));
    });
}

// pow: y = x^p                dx = dy * (p * x^(p-1))
// (x·x·x for p = 3 and PyTorch's other special exponents: kernels::Pow)
Tensor pow(const Tensor& x, float p) {
    Array y = new_array(x.shape(), "pow");
    kernels::map(x.data().data(), y.data(), y.size(), kernels::Pow{p});
    return record("pow", std::move(y), {x}, [p](const Array& dy, const Array&, Inputs in) {
        Array g = new_array(dy.shape(), "pow backward");
        kernels::map2(dy.data(), in[0].data().data(), g.data(), g.size(), kernels::PowGrad{p});
        in[0].accumulate_grad(std::move(g));
    });
}

// exp: y = e^x                dx = dy * y
Tensor exp(const Tensor& x) {
    Array y = xt::exp(x.data());
    return record("exp", std::move(y), {x}, [](const Array& dy, const Array& y, Inputs in) {
        in[0].accumulate_grad(Array(dy * y));
    }, BackwardReads::InputsAndOutput);
}

// log: y = ln x               dx = dy / x
Tensor log(const Tensor& x) {
    Array y = xt::log(x.data());
    return record("log", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(dy / in[0].data()));
    });
}

// tanh: y = tanh x            dx = dy * (1 - y²)
Tensor tanh(const Tensor& x) {
    Array y = new_array(x.shape(), "tanh");
    kernels::map(x.data().data(), y.data(), y.size(), [](auto v) { return kernels::tanh_(v); });
    return record("tanh", std::move(y), {x}, [](const Array& dy, const Array& y, Inputs in) {
        Array g = new_array(dy.shape(), "tanh backward");
        kernels::map2(dy.data(), y.data(), g.data(), g.size(), kernels::TanhGrad{});
        in[0].accumulate_grad(std::move(g));
    }, BackwardReads::InputsAndOutput);
}

// sigmoid: y = 1 / (1 + e^-x) dx = dy * y * (1 - y)
Tensor sigmoid(const Tensor& x) {
    Array y = 1.0f / (1.0f + xt::exp(-x.data()));
    return record("sigmoid", std::move(y), {x}, [](const Array& dy, const Array& y, Inputs in) {
        in[0].accumulate_grad(Array(dy * y * (1.0f - y)));
    }, BackwardReads::InputsAndOutput);
}

// relu: y = max(x, 0) (NaN stays NaN)   dx = dy where x > 0, else 0 (0 at x = 0, as PyTorch)
Tensor relu(const Tensor& x) {
    Array y = new_array(x.shape(), "relu");
    kernels::map(x.data().data(), y.data(), y.size(), kernels::Relu{});
    return record("relu", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        Array g = new_array(dy.shape(), "relu backward");
        kernels::map2(dy.data(), in[0].data().data(), g.data(), g.size(), kernels::ReluGrad{});
        in[0].accumulate_grad(std::move(g));
    });
}

// sqrt: y = √x               dx = dy / (2y)   (x < 0 gives nan, as PyTorch)
Tensor sqrt(const Tensor& x) {
    Array y = xt::sqrt(x.data());
    return record("sqrt", std::move(y), {x}, [](const Array& dy, const Array& y, Inputs in) {
        in[0].accumulate_grad(Array(dy * 0.5f / y));
    }, BackwardReads::InputsAndOutput);
}

// rsqrt: y = 1/√x            dx = -dy * y³ / 2
Tensor rsqrt(const Tensor& x) {
    Array y = 1.0f / xt::sqrt(x.data());
    return record("rsqrt", std::move(y), {x}, [](const Array& dy, const Array& y, Inputs in) {
        in[0].accumulate_grad(Array(dy * -0.5f * y * y * y));
    }, BackwardReads::InputsAndOutput);
}

// abs: y = |x|               dx = dy * sign(x)   (0 at x = 0, as PyTorch)
Tensor abs(const Tensor& x) {
    Array y = xt::abs(x.data());
    return record("abs", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(dy * xt::sign(in[0].data())));
    });
}

// clamp: y = min(max(x, lo), hi)     dx = dy where lo <= x <= hi, else 0 (as PyTorch)
Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max) {
    if (!min && !max) throw ValueError("clamp: at least one of min and max must be given");
    const float lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    Array y = new_array(x.shape(), "clamp");
    const float* xp = x.data().data();
    // NOTE: PyTorch gives hi wherever lo > hi; std::clamp would be undefined there.
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = std::isnan(xp[i]) ? xp[i] : std::min(std::max(xp[i], lo), hi);
    return record("clamp", std::move(y), {x}, [lo, hi](const Array& dy, const Array&, Inputs in) {
        const Array& xv = in[0].data();
        in[0].accumulate_grad(Array(xt::where(xv >= lo && xv <= hi, dy, 0.0f)));
    });
}

// erf: y = 2/√π ∫₀ˣ e^(-t²) dt     dx = dy * 2/√π * e^(-x²)
Tensor erf(const Tensor& x) {
    Array y = xt::erf(x.data());
    return record("erf", std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        const Array& xv = in[0].data();
        in[0].accumulate_grad(Array(dy * (2.0f / std::sqrt(static_cast<float>(M_PI))) * xt::exp(-xv * xv)));
    });
}

// clone: y = x (a copy)       dx = dy
Tensor clone(const Tensor& x) {
    return record("clone", x.data(), {x}, [](const Array& dy, const Array&, Inputs in) { in[0].accumulate_grad(dy); });
}

}  // namespace xgrad
