// linear: y = x·Wᵀ + b as one op on the GEMM kernel (no transposed copy of W is made), and its no-graph
// twin for a weight kept in bfloat16.
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/bf16.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/gemm.hpp"

namespace xgrad::nn {

namespace {

// y (*, out) for x (*, in) through a weight (out, in) and a bias (out) or none; ShapeError otherwise.
Shape output_shape(const Tensor& x, std::size_t out, std::size_t in, const Shape& weight_shape, const Tensor& bias) {
    if (x.dim() == 0 || x.shape().back() != in)
        throw ShapeError(fmt::format("linear: input of shape {} cannot go through weight of shape {} (the input's "
                                     "last dim must be in_features = {})", shape_str(x.shape()),
                                     shape_str(weight_shape), in));
    if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out))
        throw ShapeError(fmt::format("linear: bias of shape {} does not match out_features = {}",
                                     shape_str(bias.shape()), out));
    Shape ys = x.shape();
    ys.back() = out;
    return ys;
}

// y (rows, out) += b (out) on every row.
void add_bias(Array& y, const Tensor& bias, std::size_t rows, std::size_t out) {
    if (!bias.defined()) return;
    const float* b = bias.data().data();
    float* yr = y.data();
    for (std::size_t r = 0; r < rows; ++r, yr += out)
        for (std::size_t j = 0; j < out; ++j) yr[j] += b[j];
}

}  // namespace

// x (*, in) seen as (M, in); W (out, in); b (out)      y (M, out) = x·Wᵀ + b
//   dx (M, in) = dy·W      dW (out, in) = dyᵀ·x      db (out) = Σ_rows dy
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (weight.dim() != 2)
        throw ShapeError(fmt::format("linear: weight must be 2-D (out_features, in_features), got {}",
                                     shape_str(weight.shape())));
    const std::size_t out = weight.shape()[0], in = weight.shape()[1];
    Array y = new_array(output_shape(x, out, in, weight.shape(), bias), "linear");
    const std::size_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));  // M
    if (in == 0 || rows == 0) y.fill(0.0f);
    else kernels::gemm(false, true, rows, out, in, x.data().data(), in, weight.data().data(), in, y.data(), out, false);
    add_bias(y, bias, rows, out);

    std::vector<Tensor> inputs = {x, weight};
    if (bias.defined()) inputs.push_back(bias);
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

// The same with W in bfloat16: no graph, so nothing to save for a backward.
Tensor linear(const Tensor& x, const Bf16Matrix& weight, const Tensor& bias) {
    if (is_grad_enabled() && (x.requires_grad() || (bias.defined() && bias.requires_grad())))
        throw ValueError("linear: a bfloat16 weight records no graph, but grad mode is on and the input or the bias "
                         "requires grad (run it under NoGradGuard, or train with the float32 weight)");
    const std::size_t out = weight.rows, in = weight.cols;
    Array y = new_array(output_shape(x, out, in, {out, in}, bias), "linear");
    const std::size_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
    kernels::gemm_bf16(rows, out, in, x.data().data(), weight.values.data(), y.data());
    add_bias(y, bias, rows, out);
    return Tensor(std::move(y));
}

}  // namespace xgrad::nn
