// Shape ops: reshape/view, transpose/t, unsqueeze/squeeze, cat/stack. They move data; their backward
// moves the gradient back the opposite way.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

// The target shape of a reshape, with one -1 inferred.
Shape infer_shape(const Shape& from, const std::vector<long>& to, const char* op) {
    const std::size_t n = shape_numel(from);
    Shape out(to.size());
    long infer = -1;
    std::size_t known = 1;
    for (std::size_t i = 0; i < to.size(); ++i) {
        if (to[i] == -1) {
            if (infer >= 0) throw ValueError(fmt::format("{}: only one dim can be -1 (got two in the new shape)", op));
            infer = static_cast<long>(i);
        } else if (to[i] < 0) {
            throw ValueError(fmt::format("{}: invalid size {} at dim {} of the new shape", op, to[i], i));
        } else {
            out[i] = static_cast<std::size_t>(to[i]);
            if (__builtin_mul_overflow(known, out[i], &known))
                throw ShapeError(fmt::format("{}: the new shape ({}) has more elements than a size can count", op,
                                             fmt::join(to, ", ")));
        }
    }
    std::string target = "(";
    for (std::size_t i = 0; i < to.size(); ++i) target += (i ? ", " : "") + std::to_string(to[i]);
    target += ")";
    if (infer >= 0) {
        if (known == 0 || n % known != 0)
            throw ShapeError(fmt::format("{}: shape {} is invalid for a tensor of shape {} ({} elements)", op, target,
                                         shape_str(from), n));
        out[static_cast<std::size_t>(infer)] = n / known;
    } else if (known != n) {
        throw ShapeError(fmt::format("{}: shape {} is invalid for a tensor of shape {} ({} elements)", op, target,
                                     shape_str(from), n));
    }
    return out;
}

// x with its dims permuted (y's dim i = x's dim perm[i]), contiguous.
Array permuted(const Array& x, const std::vector<std::size_t>& perm) {
    Shape ys(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) ys[i] = x.shape()[perm[i]];
    Array y = new_array(ys, "permute");
    kernels::permute_copy(x.data(), x.shape(), perm, y.data());
    return y;
}

// x with dims a and b swapped, made contiguous (row-major).
Array swap_dims(const Array& x, std::size_t a, std::size_t b) {
    std::vector<std::size_t> perm(x.dimension());
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::swap(perm[a], perm[b]);
    return permuted(x, perm);
}

Tensor reshape_impl(const Tensor& x, const std::vector<long>& shape, const char* op) {
    const Shape s = infer_shape(x.shape(), shape, op);
    Array y = x.data();
    y.reshape(s);
    return record(op, std::move(y), {x}, [](const Array& dy, const Array&, Inputs in) {
        Array g = dy;
        g.reshape(in[0].shape());
        in[0].accumulate_grad(std::move(g));
    });
}

}  // namespace

// reshape: same elements in row-major order, new shape (one dim may be -1)     dx = dy reshaped back
Tensor reshape(const Tensor& x, const std::vector<long>& shape) { return reshape_impl(x, shape, "reshape"); }
Tensor view(const Tensor& x, const std::vector<long>& shape) { return reshape_impl(x, shape, "view"); }

// transpose: y = x with dims d0 and d1 swapped                                   dx = dy with them swapped back
Tensor transpose(const Tensor& x, int d0, int d1) {
    const std::size_t a = normalize_dim(d0, x.dim(), "transpose");
    const std::size_t b = normalize_dim(d1, x.dim(), "transpose");
    Array y = swap_dims(x.data(), a, b);
    return record("transpose", std::move(y), {x}, [a, b](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(swap_dims(dy, a, b));
    });
}

// permute: y's dim i is x's dim dims[i] (a copy)                               dx = dy permuted back
Tensor permute(const Tensor& x, const std::vector<int>& dims) {
    if (long(dims.size()) != x.dim())
        throw ShapeError(fmt::format("permute: {} dims given for a tensor of rank {} (shape {}); give each dim once",
                                     dims.size(), x.dim(), shape_str(x.shape())));
    std::vector<std::size_t> perm(dims.size()), inverse(dims.size(), dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) {
        perm[i] = normalize_dim(dims[i], x.dim(), "permute");
        if (inverse[perm[i]] != dims.size())
            throw IndexError(fmt::format("permute: dim {} appears more than once", perm[i]));
        inverse[perm[i]] = i;
    }
    return record("permute", permuted(x.data(), perm), {x}, [inverse](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(permuted(dy, inverse));
    });
}

// t: (n,m) → (m,n); 0-D and 1-D tensors come back unchanged (as torch.t)
Tensor t(const Tensor& x) {
    if (x.dim() > 2)
        throw ShapeError(fmt::format("t: expects a tensor of at most 2 dims, got shape {} (use transpose(x, d0, d1))",
                                     shape_str(x.shape())));
    if (x.dim() < 2) return reshape(x, std::vector<long>(x.shape().begin(), x.shape().end()));
    return transpose(x, 0, 1);
}

// unsqueeze: inserts a dim of size 1 at `dim` (in [-rank-1, rank])
Tensor unsqueeze(const Tensor& x, int dim) {
    const long r = static_cast<long>(x.dim());
    if (dim < -r - 1 || dim > r)
        throw IndexError(fmt::format("unsqueeze: dim {} is out of range for a tensor of rank {} (expected {}..{})", dim,
                                     r, -r - 1, r));
    const std::size_t d = static_cast<std::size_t>(dim < 0 ? dim + r + 1 : dim);
    std::vector<long> s(x.shape().begin(), x.shape().end());
    s.insert(s.begin() + static_cast<long>(d), 1);
    return reshape_impl(x, s, "unsqueeze");
}

// squeeze: removes `dim` if its size is 1 (otherwise returns x unchanged, as PyTorch)
Tensor squeeze(const Tensor& x, int dim) {
    const std::size_t d = normalize_dim(dim, x.dim(), "squeeze");
    std::vector<long> s(x.shape().begin(), x.shape().end());
    if (s[d] == 1) s.erase(s.begin() + static_cast<long>(d));
    return reshape_impl(x, s, "squeeze");
}

// cat: y = [x0; x1; ...] along `dim`; every other dim must match      dx_i = the slice of dy x_i filled
Tensor cat(const std::vector<Tensor>& xs, int dim) {
    if (xs.empty()) throw ValueError("cat: expects at least one tensor, got none");
    const Shape& s0 = xs[0].shape();
    const std::size_t d = normalize_dim(dim, s0.size(), "cat");
    std::vector<std::size_t> sizes;
    Shape ys = s0;
    ys[d] = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const Shape& s = xs[i].shape();
        bool same = s.size() == s0.size();
        for (std::size_t j = 0; same && j < s.size(); ++j) same = j == d || s[j] == s0[j];
        if (!same)
            throw ShapeError(fmt::format("cat: tensor {} has shape {} but tensor 0 has shape {}; all dims but dim {} "
                                         "must match", i, shape_str(s), shape_str(s0), dim));
        sizes.push_back(s[d]);
        ys[d] += s[d];
    }
    // Row-major: each tensor is `outer` blocks of sizes[i]·inner contiguous floats.
    std::size_t outer = 1, inner = 1;
    for (std::size_t j = 0; j < d; ++j) outer *= s0[j];
    for (std::size_t j = d + 1; j < s0.size(); ++j) inner *= s0[j];
    Array y = new_array(ys, "cat");
    const std::size_t row = ys[d] * inner;
    std::size_t off = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const float* src = xs[i].data().data();
        const std::size_t len = sizes[i] * inner;
        for (std::size_t o = 0; o < outer; ++o) std::copy(src + o * len, src + (o + 1) * len, y.data() + o * row + off);
        off += len;
    }
    return record("cat", std::move(y), xs, [sizes, outer, inner, row](const Array& dy, const Array&, Inputs in) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            const std::size_t len = sizes[i] * inner;
            if (in[i].requires_grad()) {
                Array g = new_array(in[i].shape(), "cat backward");
                for (std::size_t o = 0; o < outer; ++o)
                    std::copy(dy.data() + o * row + off, dy.data() + o * row + off + len, g.data() + o * len);
                in[i].accumulate_grad(std::move(g));
            }
            off += len;
        }
    });
}

// stack: tensors of one shape s joined along a new dim → (..., len(xs), ...); = cat of unsqueezed
Tensor stack(const std::vector<Tensor>& xs, int dim) {
    if (xs.empty()) throw ValueError("stack: expects at least one tensor, got none");
    for (std::size_t i = 1; i < xs.size(); ++i)
        if (xs[i].shape() != xs[0].shape())
            throw ShapeError(fmt::format("stack: tensor {} has shape {} but tensor 0 has shape {}; all must match", i,
                                         shape_str(xs[i].shape()), shape_str(xs[0].shape())));
    std::vector<Tensor> u;
    u.reserve(xs.size());
    for (const auto& x : xs) u.push_back(unsqueeze(x, dim));
    return cat(u, dim);
}

}  // namespace xgrad
