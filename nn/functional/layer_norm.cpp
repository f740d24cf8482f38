// layer_norm: one fused op, normalising over the last dims with the mean and (biased) variance of
// each row, then scaling and shifting. Statistics are summed in double.
#include <cmath>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::nn {

namespace {

// Σ_j term(j) for j < n, in double: 8 lane accumulators, then the lanes and the tail added in a fixed
// order. Independent lanes let the compiler vectorise what one accumulator would serialise.
template <class Term>
double lane_sum(std::size_t n, Term term) {
    double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (std::size_t k = 0; k < 8; ++k) l[k] += term(j + k);
    double rest = 0;
    for (; j < n; ++j) rest += term(j);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])) + rest;
}

void check_shapes(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias) {
    const std::size_t k = normalized_shape.size();
    bool ok = k >= 1 && long(k) <= x.dim();
    for (std::size_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
    if (!ok)
        throw ShapeError(fmt::format("layer_norm: normalized_shape {} does not match the last dims of the input's "
                                     "shape {}", shape_str(normalized_shape), shape_str(x.shape())));
    for (const Tensor* p : {&weight, &bias})
        if (p->defined() && p->shape() != normalized_shape)
            throw ShapeError(fmt::format("layer_norm: {} has shape {}, expected normalized_shape {}",
                                         p == &weight ? "weight" : "bias", shape_str(p->shape()),
                                         shape_str(normalized_shape)));
}

// dx = r·(g - mean(g) - x̂·mean(g·x̂)), g = dy·w, row by row (rows split over threads).
Array input_grad(const Array& dy, const std::vector<float>& xhat, const std::vector<float>& rstd, const float* w,
                 std::size_t rows, std::size_t N, const Shape& shape) {
    Array dx = new_array(shape, "layer_norm");
    parallel_for(rows, 1, 4.0 * double(rows * N), kElementwiseGrain, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            const float* d = dy.data() + r * N;
            const float* h = xhat.data() + r * N;
            const double mg = lane_sum(N, [&](std::size_t j) { return double(d[j] * w[j]); }) / double(N);
            const double mgx = lane_sum(N, [&](std::size_t j) { return double(d[j] * w[j]) * h[j]; }) / double(N);
            float* __restrict dxr = dx.data() + r * N;
            const double rs = rstd[r];
            for (std::size_t j = 0; j < N; ++j) dxr[j] = static_cast<float>(rs * (double(d[j] * w[j]) - mg - h[j] * mgx));
        }
    });
    return dx;
}

// dw = Σ_rows dy·x̂. Columns split over threads: each column still sums its rows in order, in its
// thread's own accumulators (a shared array would put both threads' writes on one cache line every row).
Array weight_grad(const Array& dy, const std::vector<float>& xhat, std::size_t rows, std::size_t N, const Shape& shape) {
    Array g = new_array(shape, "layer_norm");
    parallel_for(N, 8, 2.0 * double(rows * N), kElementwiseGrain, [&](std::size_t j0, std::size_t j1) {
        std::vector<double> dw(j1 - j0, 0.0);
        double* __restrict acc = dw.data();
        for (std::size_t r = 0; r < rows; ++r) {
            const float* d = dy.data() + r * N + j0;
            const float* h = xhat.data() + r * N + j0;
            for (std::size_t j = 0; j < j1 - j0; ++j) acc[j] += double(d[j]) * h[j];
        }
        for (std::size_t j = j0; j < j1; ++j) g.data()[j] = static_cast<float>(dw[j - j0]);
    });
    return g;
}

}  // namespace

// x (*, N) viewed as rows of N = Π normalized_shape:
//   μ = mean(x_row), σ² = mean((x_row - μ)²), r = 1/√(σ² + eps), x̂ = (x - μ)·r, y = x̂·w + b
//   with g = dy·w:  dx = r·(g - mean(g) - x̂·mean(g·x̂)),  dw = Σ_rows dy·x̂,  db = Σ_rows dy
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
    check_shapes(x, normalized_shape, weight, bias);
    const std::size_t N = shape_numel(normalized_shape), rows = N == 0 ? 0 : x.numel() / N;
    Array y = new_array(x.shape(), "layer_norm");
    std::vector<float> xhat(x.numel()), rstd(rows);
    const std::vector<float> ones(weight.defined() ? 0 : N, 1.0f), zeros(bias.defined() ? 0 : N, 0.0f);
    const float* w = weight.defined() ? weight.data().data() : ones.data();
    const float* b = bias.defined() ? bias.data().data() : zeros.data();
    // rows split over threads (each row's arithmetic is the same wherever it runs); the work counts
    // the row's three passes
    parallel_for(rows, 1, 4.0 * double(x.numel()), kElementwiseGrain, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            const float* xr = x.data().data() + r * N;
            const double mean = lane_sum(N, [&](std::size_t j) { return double(xr[j]); }) / double(N);
            const double var = lane_sum(N, [&](std::size_t j) { return (xr[j] - mean) * (xr[j] - mean); }) / double(N);
            rstd[r] = static_cast<float>(1.0 / std::sqrt(var + eps));
            const double rs = rstd[r];  // locals and restrict: the loop vectorises (no store can change them)
            float* __restrict h = xhat.data() + r * N;
            float* __restrict yr = y.data() + r * N;
            for (std::size_t j = 0; j < N; ++j) {
                const float hj = static_cast<float>((xr[j] - mean) * rs);
                h[j] = hj;
                yr[j] = hj * w[j] + b[j];
            }
        }
    });
    std::vector<Tensor> inputs{x};
    if (weight.defined()) inputs.push_back(weight);
    if (bias.defined()) inputs.push_back(bias);
    const bool has_w = weight.defined(), has_b = bias.defined();
    return record("layer_norm", std::move(y), std::move(inputs),
                  [xhat = std::move(xhat), rstd = std::move(rstd), rows, N, has_w, has_b](const Array& dy, const Array&, Inputs in) {
        const std::vector<float> ones(has_w ? 0 : N, 1.0f);
        const float* w = has_w ? in[1].data().data() : ones.data();
        if (in[0].requires_grad()) in[0].accumulate_grad(input_grad(dy, xhat, rstd, w, rows, N, in[0].shape()));
        if (has_w && in[1].requires_grad()) in[1].accumulate_grad(weight_grad(dy, xhat, rows, N, in[1].shape()));
        const std::size_t bi = has_w ? 2 : 1;
        if (has_b && in[bi].requires_grad()) {  // db = Σ_rows dy
            Array g = new_array(in[bi].shape(), "layer_norm");
            kernels::sum_dims(dy.data(), {rows, N}, {true, false}, g.data());
            in[bi].accumulate_grad(std::move(g));
        }
    });
}

}  // namespace xgrad::nn
