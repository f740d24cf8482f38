// layer_norm: one fused op, normalising over the last dims with the mean and (biased) variance of
// each row, then scaling and shifting. Statistics are summed in double.
#include <cmath>

#include <fmt/format.h>

#include "nn/functional.hpp"

namespace xgrad::nn {

// x (*, N) viewed as rows of N = Π normalized_shape:
//   μ = mean(x_row), σ² = mean((x_row - μ)²), r = 1/√(σ² + eps), x̂ = (x - μ)·r, y = x̂·w + b
//   with g = dy·w:  dx = r·(g - mean(g) - x̂·mean(g·x̂)),  dw = Σ_rows dy·x̂,  db = Σ_rows dy
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
    const std::size_t k = normalized_shape.size();
    bool ok = k >= 1 && k <= x.dim();
    for (std::size_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
    if (!ok)
        throw ShapeError(fmt::format("layer_norm: normalized_shape {} does not match the last dims of the input's "
                                     "shape {}", shape_str(normalized_shape), shape_str(x.shape())));
    for (const Tensor* p : {&weight, &bias})
        if (p->defined() && p->shape() != normalized_shape)
            throw ShapeError(fmt::format("layer_norm: {} has shape {}, expected normalized_shape {}",
                                         p == &weight ? "weight" : "bias", shape_str(p->shape()),
                                         shape_str(normalized_shape)));
    const std::size_t N = shape_numel(normalized_shape), rows = N == 0 ? 0 : x.numel() / N;
    Array y = Array::from_shape(x.shape());
    std::vector<float> xhat(x.numel()), rstd(rows);
    const float* xp = x.data().data();
    const float* w = weight.defined() ? weight.data().data() : nullptr;
    const float* b = bias.defined() ? bias.data().data() : nullptr;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* xr = xp + r * N;
        double mean = 0, var = 0;
        for (std::size_t j = 0; j < N; ++j) mean += xr[j];
        mean /= static_cast<double>(N);
        for (std::size_t j = 0; j < N; ++j) var += (xr[j] - mean) * (xr[j] - mean);
        var /= static_cast<double>(N);
        rstd[r] = static_cast<float>(1.0 / std::sqrt(var + eps));
        for (std::size_t j = 0; j < N; ++j) {
            const float h = static_cast<float>((xr[j] - mean) * rstd[r]);
            xhat[r * N + j] = h;
            y.data()[r * N + j] = (w ? h * w[j] : h) + (b ? b[j] : 0.0f);
        }
    }
    std::vector<Tensor> inputs{x};
    if (weight.defined()) inputs.push_back(weight);
    if (bias.defined()) inputs.push_back(bias);
    const bool has_w = weight.defined(), has_b = bias.defined();
    return record("layer_norm", std::move(y), std::move(inputs),
                  [xhat = std::move(xhat), rstd = std::move(rstd), rows, N, has_w, has_b](const Array& dy, const Array&, Inputs in) {
        const float* w = has_w ? in[1].data().data() : nullptr;
        const float* d = dy.data();
        if (in[0].requires_grad()) {
            Array dx = Array::from_shape(in[0].shape());
            for (std::size_t r = 0; r < rows; ++r) {
                double mg = 0, mgx = 0;  // mean(g), mean(g·x̂)
                for (std::size_t j = 0; j < N; ++j) {
                    const double g = d[r * N + j] * (w ? w[j] : 1.0f);
                    mg += g;
                    mgx += g * xhat[r * N + j];
                }
                mg /= static_cast<double>(N);
                mgx /= static_cast<double>(N);
                for (std::size_t j = 0; j < N; ++j) {
                    const double g = d[r * N + j] * (w ? w[j] : 1.0f);
                    dx.data()[r * N + j] = static_cast<float>(rstd[r] * (g - mg - xhat[r * N + j] * mgx));
                }
            }
            in[0].accumulate_grad(std::move(dx));
        }
        if (has_w && in[1].requires_grad()) {
            std::vector<double> dw(N, 0.0);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < N; ++j) dw[j] += static_cast<double>(d[r * N + j]) * xhat[r * N + j];
            Array g = Array::from_shape(in[1].shape());
            for (std::size_t j = 0; j < N; ++j) g.data()[j] = static_cast<float>(dw[j]);
            in[1].accumulate_grad(std::move(g));
        }
        const std::size_t bi = has_w ? 2 : 1;
        if (has_b && in[bi].requires_grad()) {
            std::vector<double> db(N, 0.0);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < N; ++j) db[j] += d[r * N + j];
            Array g = Array::from_shape(in[bi].shape());
            for (std::size_t j = 0; j < N; ++j) g.data()[j] = static_cast<float>(db[j]);
            in[bi].accumulate_grad(std::move(g));
        }
    });
}

}  // namespace xgrad::nn
