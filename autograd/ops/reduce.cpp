// Reductions: sum and mean (all elements, or over dims with keepdim) and max over one dim.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

std::size_t normalize_dim(int dim, std::size_t rank, const char* op) {
    const long r = static_cast<long>(rank);
    if (dim < -r || dim >= r || (r == 0))
        throw IndexError(fmt::format("{}: dim {} is out of range for a tensor of rank {}{}", op, dim, rank,
                                     r == 0 ? "" : fmt::format(" (expected {}..{})", -r, r - 1)));
    return static_cast<std::size_t>(dim < 0 ? dim + r : dim);
}

namespace {

// Sorted, unique, non-negative dims.
std::vector<std::size_t> normalize_dims(const std::vector<int>& dims, std::size_t rank, const char* op) {
    std::vector<std::size_t> out;
    for (int d : dims) out.push_back(normalize_dim(d, rank, op));
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        throw IndexError(fmt::format("{}: dim {} appears more than once", op, *std::adjacent_find(out.begin(), out.end())));
    return out;
}

// x's shape with the reduced dims set to 1.
Shape kept_shape(const Shape& x, const std::vector<std::size_t>& dims) {
    Shape s = x;
    for (auto d : dims) s[d] = 1;
    return s;
}

// Reduced shape: with dims set to 1 (keepdim) or removed.
Shape reduced_shape(const Shape& x, const std::vector<std::size_t>& dims, bool keepdim) {
    if (keepdim) return kept_shape(x, dims);
    Shape s;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (std::find(dims.begin(), dims.end(), i) == dims.end()) s.push_back(x[i]);
    return s;
}

// Spreads dy (reduced shape) back over x's shape, times `scale`.
Array spread(const Array& dy, const Shape& x_shape, const std::vector<std::size_t>& dims, float scale) {
    if (scale == 1.0f) return kernels::broadcast_to(dy, kept_shape(x_shape, dims), x_shape);
    Array f = Array::from_shape({1});
    f(0) = scale;
    return kernels::broadcast_binary_as(dy, kept_shape(x_shape, dims), f, x_shape, kernels::Mul{});
}

enum class Reduce { Sum, Mean };

Tensor reduce_sum(const Tensor& x, const std::vector<std::size_t>& dims, bool keepdim, Reduce how) {
    const bool average = how == Reduce::Mean;
    const char* op = average ? "mean" : "sum";
    std::size_t count = 1;
    for (auto d : dims) count *= x.shape()[d];
    Array y = sum_dims(x.data(), dims);
    if (average) y /= static_cast<float>(count);  // count 0 gives nan, as PyTorch's mean of nothing
    y.reshape(reduced_shape(x.shape(), dims, keepdim));
    const float scale = average ? 1.0f / static_cast<float>(count) : 1.0f;
    return record(op, std::move(y), {x}, [dims, scale](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(spread(dy, in[0].shape(), dims, scale));
    });
}

std::vector<std::size_t> all_dims(std::size_t rank) {
    std::vector<std::size_t> d(rank);
    for (std::size_t i = 0; i < rank; ++i) d[i] = i;
    return d;
}

}  // namespace

// sum: y = Σ x over dims (all dims: shape ())          dx = dy broadcast back over the summed dims
Tensor sum(const Tensor& x) { return reduce_sum(x, all_dims(x.dim()), /*keepdim=*/false, Reduce::Sum); }
Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
    return reduce_sum(x, normalize_dims(dims, x.dim(), "sum"), keepdim, Reduce::Sum);
}

// mean: y = Σ x / n over dims                          dx = dy / n broadcast back
Tensor mean(const Tensor& x) { return reduce_sum(x, all_dims(x.dim()), /*keepdim=*/false, Reduce::Mean); }
Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
    return reduce_sum(x, normalize_dims(dims, x.dim(), "mean"), keepdim, Reduce::Mean);
}

// var: y = Σ (x - mean)² / (n - correction) over dims, correction 1 (unbiased) or 0
//   dx = dy * 2 (x - mean) / (n - correction)          (n - correction <= 0 gives inf/nan, as PyTorch)
Tensor var(const Tensor& x, const std::vector<int>& dims, bool unbiased, bool keepdim) {
    const auto ds = dims.empty() ? all_dims(x.dim()) : normalize_dims(dims, x.dim(), "var");
    double n = 1;
    for (auto d : ds) n *= static_cast<double>(x.shape()[d]);
    const float denom = static_cast<float>(n - (unbiased ? 1.0 : 0.0));
    Array mean = sum_dims(x.data(), ds);  // kept as (…, 1, …)
    mean /= static_cast<float>(n);
    Array centered = kernels::broadcast_binary(x.data(), mean, x.shape(), kernels::Sub{});
    Array y = sum_dims(kernels::broadcast_binary(centered, centered, x.shape(), kernels::Mul{}), ds) / denom;
    y.reshape(reduced_shape(x.shape(), ds, keepdim));
    return record("var", std::move(y), {x}, [ds, denom, c = std::move(centered)](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(kernels::broadcast_binary(spread(dy, in[0].shape(), ds, 2.0f / denom), c, c.shape(), kernels::Mul{}));
    });
}
// std: y = √var                                        dx through sqrt and var
Tensor std(const Tensor& x, const std::vector<int>& dims, bool unbiased, bool keepdim) {
    return sqrt(var(x, dims, unbiased, keepdim));
}

// argmax over dim: the index of the first maximum (NaN counts as the maximum, as PyTorch)
IdArray argmax(const Tensor& x, int dim, bool keepdim) {
    NoGradGuard no_grad;
    return max(x, dim, keepdim).indices;
}
// argmax of the flattened tensor: shape ()
IdArray argmax(const Tensor& x) {
    if (x.numel() == 0) throw ShapeError(fmt::format("argmax: the input of shape {} is empty", shape_str(x.shape())));
    NoGradGuard no_grad;
    IdArray i = max(reshape(x, {-1}), 0, false).indices;
    return i;
}

// topk over dim: the k largest (or smallest) values, largest first, ties broken by the lower index;
//   (…, n, …) → values and indices (…, k, …)         dx[…, idx, …] += dy
ValuesIndices topk(const Tensor& x, long k, int dim, bool largest, bool sorted) {
    (void)sorted;  // always sorted: the order is the same either way
    const std::size_t d = normalize_dim(dim, std::max<std::size_t>(x.dim(), 1), "topk");
    const Shape s = x.dim() == 0 ? Shape{1} : x.shape();
    const std::size_t n = s[d];
    if (k < 0 || static_cast<std::size_t>(k) > n)
        throw IndexError(fmt::format("topk: k = {} is out of range for dim {} of size {} (shape {})", k, dim, n,
                                     shape_str(x.shape())));
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < d; ++i) outer *= s[i];
    for (std::size_t i = d + 1; i < s.size(); ++i) inner *= s[i];
    const auto K = static_cast<std::size_t>(k);
    Shape out_shape = x.shape();
    if (x.dim() > 0) out_shape[d] = K;
    Array values = new_array(out_shape, "topk");
    IdArray indices = IdArray::from_shape(out_shape);
    const float* xp = x.data().data();
    std::vector<std::size_t> order(n);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
            auto at = [&](std::size_t j) { return xp[(o * n + j) * inner + i]; };
            for (std::size_t j = 0; j < n; ++j) order[j] = j;
            // NaN ranks above every number, as in PyTorch
            auto before = [&](std::size_t a, std::size_t b) {
                const float va = at(a), vb = at(b);
                if (std::isnan(va) || std::isnan(vb)) return std::isnan(va) && !std::isnan(vb) ? largest : !largest && std::isnan(vb) && !std::isnan(va);
                return largest ? va > vb : va < vb;
            };
            std::stable_sort(order.begin(), order.end(), before);
            for (std::size_t j = 0; j < K; ++j) {
                values.data()[(o * K + j) * inner + i] = at(order[j]);
                indices.data()[(o * K + j) * inner + i] = static_cast<int64_t>(order[j]);
            }
        }
    Tensor v = record("topk", std::move(values), {x}, [idx = indices, outer, inner, n, K](const Array& dy, const Array&, Inputs in) {
        Array g = full_array(in[0].shape(), 0.0f);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t j = 0; j < K; ++j)
                for (std::size_t i = 0; i < inner; ++i) {
                    const auto src = static_cast<std::size_t>(idx.data()[(o * K + j) * inner + i]);
                    g.data()[(o * n + src) * inner + i] += dy.data()[(o * K + j) * inner + i];
                }
        in[0].accumulate_grad(std::move(g));
    });
    return {std::move(v), std::move(indices)};
}

// max over dim: values[o, i] = max_j x[o, j, i], indices = argmax (first on ties; NaN wins, as PyTorch)
//   x (..., n, ...) → (..., ...) or (..., 1, ...) with keepdim      dx[o, idx, i] += dy[o, i]
ValuesIndices max(const Tensor& x, int dim, bool keepdim) {
    const std::size_t d = normalize_dim(dim, x.dim(), "max");
    const Shape& s = x.shape();
    const std::size_t n = s[d];
    if (n == 0)
        throw ShapeError(fmt::format("max: dim {} of shape {} is empty; a maximum needs at least one element", dim,
                                     shape_str(s)));
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < d; ++i) outer *= s[i];
    for (std::size_t i = d + 1; i < s.size(); ++i) inner *= s[i];
    const Shape out_shape = reduced_shape(s, {d}, keepdim);
    Array values = new_array(out_shape, "max");
    IdArray indices = IdArray::from_shape(out_shape);
    const float* xp = x.data().data();
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
            std::size_t best = 0;
            float bv = xp[o * n * inner + i];
            for (std::size_t j = 1; j < n && !std::isnan(bv); ++j) {
                const float v = xp[(o * n + j) * inner + i];
                if (v > bv || std::isnan(v)) bv = v, best = j;
            }
            values.data()[o * inner + i] = bv;
            indices.data()[o * inner + i] = static_cast<int64_t>(best);
        }
    IdArray idx = indices;
    Tensor v = record("max", std::move(values), {x}, [idx, outer, inner, n](const Array& dy, const Array&, Inputs in) {
        Array g = full_array(in[0].shape(), 0.0f);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t i = 0; i < inner; ++i)
                g.data()[(o * n + static_cast<std::size_t>(idx.data()[o * inner + i])) * inner + i] += dy.data()[o * inner + i];
        in[0].accumulate_grad(std::move(g));
    });
    return {std::move(v), std::move(indices)};
}

}  // namespace xgrad
