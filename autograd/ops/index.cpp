// Indexing: index_select (the embedding primitive: a row gather whose backward is a duplicate-safe
// scatter-add), one_hot, and x[i] as a value and as the left side of an assignment (RowRef). Every id
// is checked by check_ids, so the message is the same on every path.
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/gather.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

// "(1, 2)": the multi-index of flat position i in shape s ("(i)" for 1-D).
std::string position_str(std::size_t i, const IdArray::shape_type& s) {
    std::vector<std::size_t> idx(s.size());
    for (std::size_t d = s.size(); d-- > 0;) {
        idx[d] = i % s[d];
        i /= s[d];
    }
    std::string out = "(";
    for (std::size_t d = 0; d < idx.size(); ++d) out += (d ? ", " : "") + std::to_string(idx[d]);
    return out + ")";
}

}  // namespace

void check_ids(const IdArray& ids, std::size_t n, const char* op) {
    const int64_t* p = ids.data();
    const auto hi = static_cast<int64_t>(n);
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (p[i] < 0 || p[i] >= hi)
            throw IndexError(fmt::format("{}: id {} at position {} is out of range [0, {})", op, p[i],
                                         position_str(i, ids.shape()), n));
}

// index_select along dim 0: x (V, d...), ids (n) → y (n, d...), y[i] = x[ids[i]]
//   dx[v] = Σ_{i: ids[i] = v} dy[i]   (repeated ids add up; deterministic at any thread count)
// Other dims are moved to the front with transpose, selected, and moved back.
Tensor index_select(const Tensor& x, int dim, const IdArray& ids) {
    if (ids.dimension() != 1)
        throw ShapeError(fmt::format("index_select: ids must be 1-D, got shape {} (flatten them first)",
                                     shape_str(Shape(ids.shape().begin(), ids.shape().end()))));
    const std::size_t d = normalize_dim(dim, x.dim(), "index_select");
    if (d != 0) return transpose(index_select(transpose(x, 0, static_cast<int>(d)), 0, ids), 0, static_cast<int>(d));
    const std::size_t V = x.shape()[0];
    check_ids(ids, V, "index_select");
    const std::size_t D = V == 0 ? 0 : x.numel() / V;
    Shape ys = x.shape();
    ys[0] = ids.size();
    Array y = new_array(ys, "index_select");
    kernels::gather_rows(x.data().data(), D, ids.data(), ids.size(), y.data());
    return record("index_select", std::move(y), {x}, [ids, V, D](const Array& dy, const Array&, Inputs in) {
        Array g = full_array(in[0].shape(), 0.0f);
        kernels::scatter_add_rows(g.data(), V, D, ids.data(), ids.size(), dy.data());
        in[0].accumulate_grad(std::move(g));
    });
}

// one_hot: ids (...) → (..., C) with y[..., ids[...]] = 1, else 0. No gradient (ids are integers).
Tensor one_hot(const IdArray& ids, long num_classes) {
    std::size_t C;
    if (num_classes == -1) {
        if (ids.size() == 0)
            throw ValueError("one_hot: cannot infer the number of classes from empty ids; pass num_classes");
        check_ids(ids, static_cast<std::size_t>(INT64_MAX), "one_hot");  // negative ids
        C = static_cast<std::size_t>(*std::max_element(ids.begin(), ids.end())) + 1;
    } else if (num_classes < 0) {
        throw ValueError(fmt::format("one_hot: num_classes must be -1 (infer) or >= 0, got {}", num_classes));
    } else {
        C = static_cast<std::size_t>(num_classes);
    }
    check_ids(ids, C, "one_hot");
    Shape s(ids.shape().begin(), ids.shape().end());
    s.push_back(C);
    Array y = full_array(s, 0.0f);
    for (std::size_t i = 0; i < ids.size(); ++i) y.data()[i * C + static_cast<std::size_t>(ids.data()[i])] = 1.0f;
    return Tensor(std::move(y));
}

// gather along dim d: y[…, j, …] = x[…, index[…, j, …], …], y shaped as index
//   dx[…, index[…, j, …], …] += dy[…, j, …]   (repeats add up, in order)
Tensor gather(const Tensor& x, int dim, const IdArray& index) {
    const std::size_t d = normalize_dim(dim, x.dim(), "gather");
    const Shape is(index.shape().begin(), index.shape().end());
    bool fits = long(is.size()) == x.dim();
    for (std::size_t i = 0; fits && i < is.size(); ++i) fits = i == d || is[i] <= x.shape()[i];
    if (!fits)
        throw ShapeError(fmt::format("gather: index of shape {} does not fit input of shape {} along dim {} (same "
                                     "rank, no larger on the other dims)", shape_str(is), shape_str(x.shape()), dim));
    check_ids(index, x.shape()[d], "gather");
    // flat offset in x of each index element, computed once for forward and backward
    std::vector<std::size_t> src(index.size());
    std::vector<std::size_t> pos(is.size(), 0);
    for (std::size_t f = 0; f < index.size(); ++f) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < is.size(); ++i)
            off = off * x.shape()[i] + (i == d ? static_cast<std::size_t>(index.data()[f]) : pos[i]);
        src[f] = off;
        for (std::size_t i = is.size(); i-- > 0;) {  // next multi-index of index
            if (++pos[i] < is[i]) break;
            pos[i] = 0;
        }
    }
    Array y = new_array(is, "gather");
    for (std::size_t f = 0; f < src.size(); ++f) y.data()[f] = x.data().data()[src[f]];
    return record("gather", std::move(y), {x}, [src = std::move(src)](const Array& dy, const Array&, Inputs in) {
        Array g = full_array(in[0].shape(), 0.0f);
        for (std::size_t f = 0; f < src.size(); ++f) g.data()[src[f]] += dy.data()[f];
        in[0].accumulate_grad(std::move(g));
    });
}

// --- x[i], x[i] = … -----------------------------------------------------------------------------------

RowRef Tensor::operator[](long i) const { return RowRef(*this, {i}); }

// The value is select(base, 0, index[0]) then select(…, 0, index[1]) …: in the graph when base is.
RowRef::RowRef(Tensor base, std::vector<long> index) : base_(std::move(base)), index_(std::move(index)) {
    Tensor row = base_;
    for (std::size_t k = 0; k < index_.size(); ++k) {
        if (row.dim() == 0)
            throw IndexError(fmt::format("x[{}]: too many indices for a tensor of shape {}", fmt::join(index_, "]["),
                                         shape_str(base_.shape())));
        const long n = row.size(0);
        row = select(row, 0, index_[k]);  // checks the range, naming the index as given
        if (index_[k] < 0) index_[k] += n;
    }
    static_cast<Tensor&>(*this) = row;
}

RowRef RowRef::operator[](long i) const {
    std::vector<long> index = index_;
    index.push_back(i);
    return RowRef(base_, std::move(index));
}

namespace {
// The span of x.data() that x[index...] covers: its first offset and its numel (row-major).
std::pair<std::size_t, std::size_t> row_span(const Shape& shape, const std::vector<long>& index) {
    std::size_t offset = 0;
    for (std::size_t k = 0; k < index.size(); ++k) offset = offset * shape[k] + static_cast<std::size_t>(index[k]);
    std::size_t n = 1;
    for (std::size_t k = index.size(); k < shape.size(); ++k) n *= shape[k];
    return {offset * n, n};
}

void check_writable(const Tensor& base, const Tensor* value, const std::vector<long>& index) {
    if (!is_grad_enabled()) return;
    const std::string where = fmt::format("x[{}] = …", fmt::join(index, "]["));
    if (base.requires_grad())
        throw ValueError(fmt::format("{}: x (shape {}) requires grad and an in-place write is not recorded; write "
                                     "under NoGradGuard (as torch.no_grad()), or build the tensor with cat/stack",
                                     where, shape_str(base.shape())));
    if (value && value->requires_grad())
        throw ValueError(fmt::format("{}: the value (shape {}) requires grad, which the write would drop; write "
                                     "under NoGradGuard, or build the tensor with cat/stack", where,
                                     shape_str(value->shape())));
}
}  // namespace

RowRef& RowRef::operator=(const Tensor& value) && {
    check_writable(base_, &value, index_);
    const Shape& row = shape();
    const Shape& from = value.shape();  // broadcasts when, aligned at the right, each size is the row's or 1
    bool fits = from.size() <= row.size();
    for (std::size_t k = 1; fits && k <= from.size(); ++k)
        fits = from[from.size() - k] == 1 || from[from.size() - k] == row[row.size() - k];
    if (!fits)
        throw ShapeError(fmt::format("x[{}] = y: y of shape {} does not broadcast to the row's shape {}",
                                     fmt::join(index_, "]["), shape_str(value.shape()), shape_str(row)));
    const Array filled = xt::broadcast(value.data(), row);  // copied first: value may be base itself
    std::copy(filled.begin(), filled.end(), base_.mutable_data().data() + row_span(base_.shape(), index_).first);
    static_cast<Tensor&>(*this) = Tensor(filled);
    return *this;
}

RowRef& RowRef::operator=(float value) && {
    check_writable(base_, nullptr, index_);
    const auto [offset, n] = row_span(base_.shape(), index_);
    float* p = base_.mutable_data().data() + offset;
    std::fill(p, p + n, value);
    static_cast<Tensor&>(*this) = Tensor(full_array(shape(), value));
    return *this;
}

}  // namespace xgrad
