// Token ids (IdArray, int64): the calls that build and edit them, so a lecture's batching, positions and
// generation loop translate line by line. Ids carry no gradient.
//   torch.arange(T)                          arange_ids(T)
//   torch.randint(n, (B,))                   randint(n, {B})
//   torch.stack([data[i:i+T] for i in ix])   stack(rows), with slice(data, 0, i, i + T)
//   X[ix]                                    index_select(X, 0, ix)
//   torch.cat((idx, idx_next), dim=1)        cat({idx, idx_next}, 1)
//   idx[:, -block_size:]                     index(idx, {Slice(), Slice(-block_size, None)})
//   torch.randperm(n)                        randperm(n)
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

Shape shape_of(const IdArray& ids) { return Shape(ids.shape().begin(), ids.shape().end()); }

}  // namespace

IdArray arange_ids(int64_t end) { return arange_ids(0, end, 1); }

IdArray arange_ids(int64_t start, int64_t end, int64_t step) {
    if (step == 0) throw ValueError("arange_ids: step must not be 0");
    const int64_t n = step > 0 ? (end > start ? (end - start + step - 1) / step : 0)
                               : (start > end ? (start - end - step - 1) / -step : 0);
    IdArray out = IdArray::from_shape({static_cast<std::size_t>(n)});
    for (int64_t i = 0; i < n; ++i) out(i) = start + i * step;
    return out;
}

IdArray full_ids(const Sizes& shape, int64_t value) {
    IdArray out = IdArray::from_shape(IdArray::shape_type(shape.shape().begin(), shape.shape().end()));
    out.fill(value);
    return out;
}

namespace {

// The size of bincount's output, after checking x is 1-D and non-negative.
std::size_t bincount_size(const IdArray& x, long minlength) {
    if (x.dimension() != 1) throw ShapeError(fmt::format("bincount: ids must be 1-D, got shape {}", shape_str(Shape(x.shape().begin(), x.shape().end()))));
    if (minlength < 0) throw ValueError(fmt::format("bincount: minlength = {} must be non-negative", minlength));
    int64_t top = -1;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x(i) < 0) throw ValueError(fmt::format("bincount: id {} at position {} is negative", x(i), i));
        top = std::max(top, x(i));
    }
    return std::max<std::size_t>(std::size_t(top + 1), std::size_t(minlength));
}

}  // namespace

IdArray bincount(const IdArray& x, long minlength) {
    IdArray out = IdArray::from_shape({bincount_size(x, minlength)});
    out.fill(0);
    for (int64_t v : x) ++out(std::size_t(v));
    return out;
}

Tensor bincount(const IdArray& x, const Tensor& weights, long minlength) {
    if (weights.dim() != 1 || weights.shape()[0] != x.size())
        throw ShapeError(fmt::format("bincount: weights {} must be 1-D with one weight per id ({})", shape_str(weights.shape()), x.size()));
    Array out = new_array({bincount_size(x, minlength)}, "bincount");
    out.fill(0.0f);
    for (std::size_t i = 0; i < x.size(); ++i) out(std::size_t(x(i))) += weights.data()(i);
    return Tensor(std::move(out));
}

IdArray randint(int64_t low, int64_t high, const Sizes& shape, Generator& gen) {
    if (high <= low) throw ValueError(fmt::format("randint: high ({}) must be greater than low ({})", high, low));
    IdArray out = IdArray::from_shape(IdArray::shape_type(shape.shape().begin(), shape.shape().end()));
    const auto range = static_cast<uint64_t>(high - low);
    for (auto& v : out) v = low + static_cast<int64_t>(gen.randint(range));
    return out;
}

IdArray randint(int64_t high, const Sizes& shape, Generator& gen) { return randint(0, high, shape, gen); }

// Fisher-Yates from the front, as PyTorch's CPU randperm: for i = 0 … n-2 swap p[i] with p[i + z],
// z = one word modulo (n - i)
IdArray randperm(int64_t n, Generator& gen) {
    if (n < 0) throw ValueError(fmt::format("randperm: n must be non-negative, got {}", n));
    IdArray p = arange_ids(n);
    for (int64_t i = 0; i + 1 < n; ++i) std::swap(p(i), p(i + static_cast<int64_t>(gen.random() % static_cast<uint64_t>(n - i))));
    return p;
}

// cat of id arrays along an existing dim (other dims equal)
IdArray cat(const std::vector<IdArray>& xs, int dim) {
    if (xs.empty()) throw ValueError("cat: expects at least one id array, got none");
    const Shape s0 = shape_of(xs[0]);
    const std::size_t d = normalize_dim(dim, s0.size(), "cat");
    Shape ys = s0;
    ys[d] = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const Shape s = shape_of(xs[i]);
        bool same = s.size() == s0.size();
        for (std::size_t j = 0; same && j < s.size(); ++j) same = j == d || s[j] == s0[j];
        if (!same)
            throw ShapeError(fmt::format("cat: id array {} has shape {} but id array 0 has shape {}; all dims but dim {} "
                                         "must match", i, shape_str(s), shape_str(s0), dim));
        ys[d] += s[d];
    }
    std::size_t outer = 1, inner = 1;
    for (std::size_t j = 0; j < d; ++j) outer *= s0[j];
    for (std::size_t j = d + 1; j < s0.size(); ++j) inner *= s0[j];
    IdArray y = IdArray::from_shape(IdArray::shape_type(ys.begin(), ys.end()));
    const std::size_t row = ys[d] * inner;
    std::size_t off = 0;
    for (const auto& x : xs) {
        const std::size_t len = x.shape()[d] * inner;
        for (std::size_t o = 0; o < outer; ++o)
            std::copy(x.data() + o * len, x.data() + (o + 1) * len, y.data() + o * row + off);
        off += len;
    }
    return y;
}

// stack of id arrays of one shape along a new dim
IdArray stack(const std::vector<IdArray>& xs, int dim) {
    if (xs.empty()) throw ValueError("stack: expects at least one id array, got none");
    const long r = static_cast<long>(xs[0].dimension());
    if (dim < -r - 1 || dim > r)
        throw IndexError(fmt::format("stack: dim {} is out of range for id arrays of rank {} (expected {}..{})", dim, r,
                                     -r - 1, r));
    const auto d = static_cast<std::size_t>(dim < 0 ? dim + r + 1 : dim);
    std::vector<IdArray> u;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (xs[i].shape() != xs[0].shape())
            throw ShapeError(fmt::format("stack: id array {} has shape {} but id array 0 has shape {}; all must match",
                                         i, shape_str(shape_of(xs[i])), shape_str(shape_of(xs[0]))));
        Shape s;
        for (std::size_t j = 0; j <= xs[i].dimension(); ++j) s.push_back(j == d ? 1 : xs[i].shape()[j < d ? j : j - 1]);
        IdArray v = xs[i];
        v.reshape(IdArray::shape_type(s.begin(), s.end()));
        u.push_back(std::move(v));
    }
    return cat(u, static_cast<int>(d));
}

// index_select of id arrays: y = x[ids] along dim (X[ix] picks rows of a dataset)
IdArray index_select(const IdArray& x, int dim, const IdArray& ids) {
    if (ids.dimension() != 1)
        throw ShapeError(fmt::format("index_select: ids must be 1-D, got shape {}", shape_str(shape_of(ids))));
    const std::size_t d = normalize_dim(dim, x.dimension(), "index_select");
    check_ids(ids, x.shape()[d], "index_select");
    // x viewed as (outer, n, inner): y[o, i, :] = x[o, ids[i], :]
    std::size_t outer = 1, inner = 1;
    for (std::size_t j = 0; j < d; ++j) outer *= x.shape()[j];
    for (std::size_t j = d + 1; j < x.dimension(); ++j) inner *= x.shape()[j];
    const std::size_t n = x.shape()[d], k = ids.size();
    auto ys = x.shape();
    ys[d] = k;
    IdArray y = IdArray::from_shape(ys);
    // The rows are asked for first, so their cache misses (a minibatch's random rows of a dataset of
    // megabytes) overlap instead of coming one copy at a time.
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < k; ++i) __builtin_prefetch(x.data() + (o * n + static_cast<std::size_t>(ids(i))) * inner);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < k; ++i) {
            const int64_t* src = x.data() + (o * n + static_cast<std::size_t>(ids(i))) * inner;
            int64_t* dst = y.data() + (o * k + i) * inner;
            if (inner <= 8) {  // short rows (a minibatch's contexts): element by element, no library call a row
#pragma GCC unroll 8
                for (std::size_t j = 0; j < 8; ++j)
                    if (j < inner) dst[j] = src[j];
            } else {
                std::copy(src, src + inner, dst);
            }
        }
    return y;
}

IdArray reshape(const IdArray& ids, const std::vector<long>& shape) {
    // the float reshape's checks and messages, on a float array of the same shape
    const Shape target = xgrad::reshape(Tensor(Array::from_shape(shape_of(ids))), shape).shape();
    IdArray out = ids;
    out.reshape(IdArray::shape_type(target.begin(), target.end()));
    return out;
}

Tensor to_float(const IdArray& ids) { return Tensor(Array(xt::cast<float>(ids))); }

}  // namespace xgrad
