// linear: y = x·Wᵀ + b as one op on the GEMM kernel (no transposed copy of W is made).
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/gemm.hpp"

namespace xgrad::nn {

// x (*, in) seen as (M, in); W (out, in); b (out)      y (M, out) = x·Wᵀ + b
//   dx (M, in) = dy·W      dW (out, in) = dyᵀ·x      db (out) = Σ_rows dy
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (weight.dim() != 2)
        throw ShapeError(fmt::format("linear: weight must be 2-D (out_features, in_features), got {}",
                                     shape_str(weight.shape())));
    const std::size_t out = weight.shape()[0], in = weight.shape()[1];
    if (x.dim() == 0 || x.shape().back() != in)
        throw ShapeError(fmt::format("linear: input of shape {} cannot go through weight of shape {} (the input's "
                                     "last dim must be in_features = {})", shape_str(x.shape()),
                                     shape_str(weight.shape()), in));
    const bool has_bias = bias.defined();
    if (has_bias && (bias.dim() != 1 || bias.shape()[0] != out))
        throw ShapeError(fmt::format("linear: bias of shape {} does not match out_features = {}",
                                     shape_str(bias.shape()), out));
    const std::size_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));  // M
    Shape ys = x.shape();
    ys.back() = out;
    Array y = new_array(ys, "linear");
    if (in == 0 || rows == 0) y.fill(0.0f);
    else kernels::gemm(false, true, rows, out, in, x.data().data(), in, weight.data().data(), in, y.data(), out, false);
    if (has_bias) {
        const float* b = bias.data().data();
        float* yr = y.data();
        for (std::size_t r = 0; r < rows; ++r, yr += out)
            for (std::size_t j = 0; j < out; ++j) yr[j] += b[j];
    }

    std::vector<Tensor> inputs = {x, weight};
    if (has_bias) inputs.push_back(bias);
    // The backward captures nothing (its sizes come from the inputs), so std::function keeps it inline.
    return record("linear", std::move(y), std::move(inputs), [](const Array& dy, const Array&, Inputs v) {
        const std::size_t out = v[1].shape()[0], in = v[1].shape()[1];
        const std::size_t rows = out == 0 ? 0 : dy.size() / out;  // dy: (M, out)
        if (v[0].requires_grad()) {
            Array dx = new_array(v[0].shape(), "linear backward");
            if (out == 0 || rows == 0) dx.fill(0.0f);
            else kernels::gemm(false, false, rows, in, out, dy.data(), out, v[1].data().data(), in, dx.data(), in, false);
            v[0].accumulate_grad(std::move(dx));
        }
        if (v[1].requires_grad()) {
            Array dw = new_array({out, in}, "linear backward");
            if (rows == 0) dw.fill(0.0f);
            else kernels::gemm(true, false, out, in, rows, dy.data(), out, v[0].data().data(), in, dw.data(), in, false);
            v[1].accumulate_grad(std::move(dw));
        }
        if (v.size() > 2 && v[2].requires_grad()) {
            Array db = new_array({out}, "linear backward");  // Σ over the rows, in double
            kernels::sum_dims(dy.data(), {rows, out}, {true, false}, db.data());
            v[2].accumulate_grad(std::move(db));
        }
    });
}

}  // namespace xgrad::nn
