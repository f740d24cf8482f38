// Comparisons (0/1 results, no gradient), where, masked_fill, tril and triu: the ops that build and
// apply masks (a causal attention mask is masked_fill(scores, eq(tril(ones({T, T})), 0), -INFINITY)).
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

// NOTE: cmp must return an evaluated Array: an xtensor expression built inside it would keep a
// reference to its by-value scalar argument after it returns.
template <class Cmp>
Tensor compare(const Tensor& a, const Tensor& b, const char* op, Cmp cmp) {
    broadcast_shapes(a.shape(), b.shape(), op);
    return Tensor(cmp(a.data(), b.data()));
}

template <class Cmp>
Tensor compare(const Tensor& a, float b, Cmp cmp) {
    return Tensor(cmp(a.data(), b));
}

bool is_true(float v) { return v != 0.0f; }

// y[..., i, j] = x[..., i, j] where keep(j - i), else 0: over the last two dims of a row-major array.
template <class Keep>
Array triangle(const Array& x, Keep keep) {
    Array y = x;
    const std::size_t rank = x.dimension(), R = x.shape()[rank - 2], C = x.shape()[rank - 1];
    const std::size_t mats = R * C == 0 ? 0 : x.size() / (R * C);
    for (std::size_t m = 0; m < mats; ++m)
        for (std::size_t i = 0; i < R; ++i)
            for (std::size_t j = 0; j < C; ++j)
                if (!keep(static_cast<long>(j) - static_cast<long>(i))) y.data()[(m * R + i) * C + j] = 0.0f;
    return y;
}

template <class Keep>
Tensor triangle_op(const Tensor& x, const char* op, Keep keep) {
    if (x.dim() < 2)
        throw ShapeError(fmt::format("{}: expects a tensor of at least 2 dims, got shape {}", op, shape_str(x.shape())));
    return record(op, triangle(x.data(), keep), {x}, [keep](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(triangle(dy, keep));
    });
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, "eq", [](auto& x, auto& y) { return Array(xt::cast<float>(xt::equal(x, y))); }); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(a, b, "ne", [](auto& x, auto& y) { return Array(xt::cast<float>(xt::not_equal(x, y))); }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, "lt", [](auto& x, auto& y) { return Array(xt::cast<float>(x < y)); }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(a, b, "le", [](auto& x, auto& y) { return Array(xt::cast<float>(x <= y)); }); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, "gt", [](auto& x, auto& y) { return Array(xt::cast<float>(x > y)); }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(a, b, "ge", [](auto& x, auto& y) { return Array(xt::cast<float>(x >= y)); }); }
Tensor eq(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(xt::equal(x, y))); }); }
Tensor ne(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(xt::not_equal(x, y))); }); }
Tensor lt(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(x < y)); }); }
Tensor le(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(x <= y)); }); }
Tensor gt(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(x > y)); }); }
Tensor ge(const Tensor& a, float b) { return compare(a, b, [](auto& x, float y) { return Array(xt::cast<float>(x >= y)); }); }

// where: y = c ? a : b (broadcast)        da = sum_to(dy where c), db = sum_to(dy where !c)
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    const Shape s = broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
    const Array c = xt::broadcast(condition.data(), s);
    const Array av = xt::broadcast(a.data(), s), bv = xt::broadcast(b.data(), s);
    Array y = new_array(s, "where");
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = is_true(c.data()[i]) ? av.data()[i] : bv.data()[i];
    return record("where", std::move(y), {condition, a, b}, [c](const Array& dy, const Array&, Inputs in) {
        if (in[1].requires_grad()) in[1].accumulate_grad(sum_to(Array(xt::where(xt::not_equal(c, 0.0f), dy, 0.0f)), in[1].shape()));
        if (in[2].requires_grad()) in[2].accumulate_grad(sum_to(Array(xt::where(xt::equal(c, 0.0f), dy, 0.0f)), in[2].shape()));
    });
}

// masked_fill: y = mask ? value : x (mask broadcast to x)          dx = dy where the mask is 0
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
    const Shape s = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
    if (s != x.shape())
        throw ShapeError(fmt::format("masked_fill: a mask of shape {} does not broadcast to the input's shape {}",
                                     shape_str(mask.shape()), shape_str(x.shape())));
    Array y = kernels::broadcast_binary(x.data(), mask.data(), s, kernels::FillWhere{value});
    return record("masked_fill", std::move(y), {x, mask}, [](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(kernels::broadcast_binary(dy, in[1].data(), dy.shape(), kernels::KeepWhereZero{}));
    });
}

Tensor tril(const Tensor& x, long diagonal) {
    return triangle_op(x, "tril", [diagonal](long j_minus_i) { return j_minus_i <= diagonal; });
}
Tensor triu(const Tensor& x, long diagonal) {
    return triangle_op(x, "triu", [diagonal](long j_minus_i) { return j_minus_i >= diagonal; });
}

}  // namespace xgrad
