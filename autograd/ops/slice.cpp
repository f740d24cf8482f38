// Slicing: slice, narrow, select, split, chunk and index (x[:, -1, :], mask[:T, :T], idx[:, -8:]).
// NOTE: PyTorch returns views that share x's memory; xgrad's arrays own their data, so each of these
// returns a copy: writing into the result never changes x. Gradients flow back as if it were a view.
// The same functions slice IdArrays (token ids), with no gradient.
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

// A slice of one dim, resolved: `count` elements from `start`, `step` apart.
struct Range {
    std::size_t start = 0, count = 0, step = 1;
};

// Python's rules for start:stop:step (step > 0): negatives count from the end, out of range clamps.
Range resolve(const Slice& s, std::size_t size, const char* op) {
    if (s.step <= 0) throw ValueError(fmt::format("{}: slice step must be positive, got {}", op, s.step));
    const long n = static_cast<long>(size);
    auto fix = [n](long v) { return std::clamp(v < 0 ? v + n : v, 0L, n); };
    const long b = s.start ? fix(*s.start) : 0, e = s.stop ? fix(*s.stop) : n;
    const long count = e > b ? (e - b + s.step - 1) / s.step : 0;
    return {static_cast<std::size_t>(b), static_cast<std::size_t>(count), static_cast<std::size_t>(s.step)};
}

// x (row-major, `shape`) viewed as (outer, shape[d], inner). Copies the rows of dim d that `r`
// selects into y (outer, r.count, inner), or with `add_back`, adds y into those rows of x.
template <class T>
void strided_rows(const Shape& shape, std::size_t d, const Range& r, T* x, T* y, bool add_back) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < d; ++i) outer *= shape[i];
    for (std::size_t i = d + 1; i < shape.size(); ++i) inner *= shape[i];
    const std::size_t n = shape[d];
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < r.count; ++j) {
            T* xr = x + (o * n + r.start + j * r.step) * inner;
            T* yr = y + (o * r.count + j) * inner;
            if (add_back)
                for (std::size_t i = 0; i < inner; ++i) xr[i] += yr[i];
            else
                std::copy(xr, xr + inner, yr);
        }
}

template <class A>
A slice_array(const A& x, std::size_t d, const Range& r) {
    Shape s(x.shape().begin(), x.shape().end());
    s[d] = r.count;
    A y = A::from_shape(s);
    strided_rows(Shape(x.shape().begin(), x.shape().end()), d, r, const_cast<typename A::value_type*>(x.data()),
                 y.data(), false);
    return y;
}

// The recorded op behind slice, narrow and select: y = x's rows r of dim d, reshaped to `out`.
Tensor slice_op(const Tensor& x, std::size_t d, const Range& r, const Shape& out, const char* op) {
    Array y = slice_array(x.data(), d, r);
    y.reshape(out);
    return record(op, std::move(y), {x}, [d, r](const Array& dy, const Array&, Inputs in) {
        Array g = full_array(in[0].shape(), 0.0f);
        strided_rows(in[0].shape(), d, r, g.data(), const_cast<float*>(dy.data()), true);
        in[0].accumulate_grad(std::move(g));
    });
}

Shape with_dim(Shape s, std::size_t d, std::size_t n) {
    s[d] = n;
    return s;
}

Shape without_dim(Shape s, std::size_t d) {
    s.erase(s.begin() + static_cast<long>(d));
    return s;
}

std::size_t select_index(long index, std::size_t size, int dim, const char* op) {
    const long n = static_cast<long>(size);
    if (index < -n || index >= n)
        throw IndexError(fmt::format("{}: index {} is out of range for dim {} of size {}", op, index, dim, size));
    return static_cast<std::size_t>(index < 0 ? index + n : index);
}

Shape shape_of(const IdArray& ids) { return Shape(ids.shape().begin(), ids.shape().end()); }

// index(): applies the entries one dim at a time. Ellipsis stands for the dims no entry names.
template <class X, class Select, class Sl, class Unsq>
X apply_index(const X& x, std::size_t rank, std::span<const TensorIndex> idx, Select select_fn, Sl slice_fn, Unsq unsq) {
    std::size_t consuming = 0, ellipses = 0;
    for (const auto& e : idx) {
        if (e.kind == TensorIndex::Kind::integer || e.kind == TensorIndex::Kind::slice) ++consuming;
        if (e.kind == TensorIndex::Kind::ellipsis) ++ellipses;
    }
    if (ellipses > 1) throw IndexError("index: an index can only have a single ellipsis");
    if (consuming > rank)
        throw IndexError(fmt::format("index: too many indices for a tensor of rank {} ({} given)", rank, consuming));
    X y = x;
    int dim = 0;
    for (const auto& e : idx) switch (e.kind) {
            case TensorIndex::Kind::integer: y = select_fn(y, dim, e.integer); break;
            case TensorIndex::Kind::slice: y = slice_fn(y, dim, e.slice), ++dim; break;
            case TensorIndex::Kind::none: y = unsq(y, dim), ++dim; break;
            case TensorIndex::Kind::ellipsis: dim += static_cast<int>(rank - consuming); break;
        }
    return y;
}

}  // namespace

// slice: y = x[..., start:stop:step, ...] along dim          dx = dy added back into those rows
Tensor slice(const Tensor& x, int dim, std::optional<long> start, std::optional<long> stop, long step) {
    const std::size_t d = normalize_dim(dim, x.dim(), "slice");
    const Range r = resolve({start, stop, step}, x.shape()[d], "slice");
    return slice_op(x, d, r, with_dim(x.shape(), d, r.count), "slice");
}

// narrow: y = x[..., start:start+length, ...]; the range must lie inside the dim (start may be negative)
Tensor narrow(const Tensor& x, int dim, long start, long length) {
    const std::size_t d = normalize_dim(dim, x.dim(), "narrow");
    const long n = static_cast<long>(x.shape()[d]);
    const long b = start < 0 ? start + n : start;
    if (b < 0 || b > n || length < 0 || b + length > n)
        throw IndexError(fmt::format("narrow: start {} and length {} do not fit in dim {} of size {} (shape {})", start,
                                     length, dim, n, shape_str(x.shape())));
    const Range r{static_cast<std::size_t>(b), static_cast<std::size_t>(length), 1};
    return slice_op(x, d, r, with_dim(x.shape(), d, r.count), "narrow");
}

// select: y = x[..., index, ...], dim removed (negative index counts from the end)
Tensor select(const Tensor& x, int dim, long index) {
    const std::size_t d = normalize_dim(dim, x.dim(), "select");
    const Range r{select_index(index, x.shape()[d], dim, "select"), 1, 1};
    return slice_op(x, d, r, without_dim(x.shape(), d), "select");
}

// split: pieces of split_size along dim (the last one smaller), or of the given sizes
std::vector<Tensor> split(const Tensor& x, long split_size, int dim) {
    const std::size_t d = normalize_dim(dim, x.dim(), "split");
    if (split_size <= 0 && !(split_size == 0 && x.shape()[d] == 0))
        throw ValueError(fmt::format("split: split_size must be positive, got {}", split_size));
    std::vector<long> sizes;
    for (long left = static_cast<long>(x.shape()[d]); left > 0; left -= split_size)
        sizes.push_back(std::min(left, split_size));
    if (sizes.empty()) sizes.push_back(0);
    return split(x, sizes, dim);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<long>& sizes, int dim) {
    const std::size_t d = normalize_dim(dim, x.dim(), "split");
    long total = 0;
    for (long s : sizes) {
        if (s < 0) throw ValueError(fmt::format("split: sizes ({}) include a negative size", fmt::join(sizes, ", ")));
        total += s;
    }
    if (total != static_cast<long>(x.shape()[d]))
        throw ValueError(fmt::format("split: sizes ({}) add up to {} but dim {} of shape {} has size {}",
                                     fmt::join(sizes, ", "), total, dim, shape_str(x.shape()), x.shape()[d]));
    std::vector<Tensor> out;
    long at = 0;
    for (long s : sizes) out.push_back(narrow(x, dim, at, s)), at += s;
    return out;
}

// chunk: `chunks` pieces of ceil(n / chunks) along dim (fewer when n is small), as torch.chunk
std::vector<Tensor> chunk(const Tensor& x, long chunks, int dim) {
    const std::size_t d = normalize_dim(dim, x.dim(), "chunk");
    if (chunks <= 0) throw ValueError(fmt::format("chunk: chunks must be positive, got {}", chunks));
    const long n = static_cast<long>(x.shape()[d]);
    return split(x, std::max(1L, (n + chunks - 1) / chunks), dim);
}

Tensor index(const Tensor& x, std::initializer_list<TensorIndex> indices) {
    return apply_index(
        x, x.dim(), std::span<const TensorIndex>(indices.begin(), indices.size()),
        [](const Tensor& t, int d, long i) { return select(t, d, i); },
        [](const Tensor& t, int d, const Slice& s) { return slice(t, d, s.start, s.stop, s.step); },
        [](const Tensor& t, int d) { return unsqueeze(t, d); });
}

IdArray slice(const IdArray& ids, int dim, std::optional<long> start, std::optional<long> stop, long step) {
    const std::size_t d = normalize_dim(dim, ids.dimension(), "slice");
    return slice_array(ids, d, resolve({start, stop, step}, ids.shape()[d], "slice"));
}

IdArray select(const IdArray& ids, int dim, long index) {
    const std::size_t d = normalize_dim(dim, ids.dimension(), "select");
    IdArray y = slice_array(ids, d, Range{select_index(index, ids.shape()[d], dim, "select"), 1, 1});
    y.reshape(without_dim(shape_of(ids), d));
    return y;
}

IdArray index(const IdArray& ids, std::initializer_list<TensorIndex> indices) {
    return apply_index(
        ids, ids.dimension(), std::span<const TensorIndex>(indices.begin(), indices.size()),
        [](const IdArray& t, int d, long i) { return select(t, d, i); },
        [](const IdArray& t, int d, const Slice& s) { return slice(t, d, s.start, s.stop, s.step); },
        [](const IdArray& t, int d) {
            Shape s;  // t's shape with a 1 at d (built, not inserted: g++ 12 warns falsely on svector::insert)
            for (std::size_t i = 0; i <= t.dimension(); ++i)
                s.push_back(i == static_cast<std::size_t>(d) ? 1 : t.shape()[i < static_cast<std::size_t>(d) ? i : i - 1]);
            IdArray u = t;
            u.reshape(s);
            return u;
        });
}

}  // namespace xgrad
