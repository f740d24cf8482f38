// The general elementwise core: y = op(a, b) with numpy broadcasting, sums over any set of dims (and
// so sum_to, the reverse of a broadcast), and permuted copies (transposes).
//
// Shapes are first collapsed: adjacent dims merge when every operand walks them as one (both
// contiguous, or both broadcast), so (B, T, D) + (D) runs as (B·T, D) + (1, D) and a contiguous
// (B, T, D) + (B, T, D) as one run of B·T·D. The innermost run is then a plain loop on xsimd batches
// (both operands contiguous, or one of them a scalar); the outer dims are walked with an index.
// Each kernel has a plain scalar reference (*_ref) that gives the same bits; tests compare them.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "tensor/array.hpp"
#include "tensor/kernels/index_walk.hpp"
#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

/// How y = op(a, b) walks memory: y's shape collapsed to `shape`, with a's and b's element strides
/// per dim (0 where that operand is broadcast). y itself is contiguous.
/// Dims, strides and indices of up to 8 dims, inline (no allocation for an op's plan).
using Dims = xt::svector<std::size_t, 8>;

struct BroadcastPlan {
    Dims shape, sa, sb;
    std::size_t numel = 0;
};

/// The plan of a (shape a) op b (shape b) into y (their broadcast shape; the caller has checked it).
BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& y);

/// Calls run(a_offset, b_offset, y_offset) for the plan's inner runs r0..r1-1 (run r is y's elements
/// [r·n, (r + 1)·n), n the inner dim), in row-major order.
template <class Run>
void for_each_run(const BroadcastPlan& p, std::size_t r0, std::size_t r1, Run run) {
    const std::size_t rank = p.shape.size(), n = p.shape[rank - 1];
    if (rank == 1) {
        if (r0 < r1) run(std::size_t(0), std::size_t(0), std::size_t(0));
        return;
    }
    if (rank == 2) {  // the common case, (rows, n): no index to carry
        for (std::size_t r = r0; r < r1; ++r) run(r * p.sa[0], r * p.sb[0], r * n);
        return;
    }
    IndexWalk outer(p.shape.data(), rank - 1, p.sa.data(), p.sb.data());  // the dims outside the run
    outer.seek(r0);
    for (std::size_t r = r0; r < r1; ++r, outer.next()) run(outer.a, outer.b, r * n);
}

/// y[i] = op(a[·], b[·]) over the plan. Op has `float operator()(float, float)` and
/// `simd::Vec operator()(simd::Vec, simd::Vec)` giving the same bits lane by lane, so the result does
/// not depend on how the elements are split among threads.
template <class Op>
void broadcast_apply(const BroadcastPlan& p, const float* a, const float* b, float* y, Op op) {
    if (p.numel == 0) return;
    const std::size_t rank = p.shape.size(), n = p.shape[rank - 1], W = simd::kWidth;
    const std::size_t ia = p.sa[rank - 1], ib = p.sb[rank - 1];  // inner strides: 0 or 1
    // elements [i0, i1) of one run: y[oy + i] = op(a[oa + i·ia], b[ob + i·ib])
    auto span = [&](std::size_t oa, std::size_t ob, std::size_t oy, std::size_t i0, std::size_t i1) {
        const float *pa = a + oa, *pb = b + ob;
        float* py = y + oy;
        std::size_t i = i0;
        if (ia == 1 && ib == 1) {
            for (; i + W <= i1; i += W) simd::store(py + i, op(simd::load(pa + i), simd::load(pb + i)));
            for (; i < i1; ++i) py[i] = op(pa[i], pb[i]);
        } else if (ia == 1) {  // b is one value along the run
            for (; i + W <= i1; i += W) simd::store(py + i, op(simd::load(pa + i), simd::Vec(*pb)));
            for (; i < i1; ++i) py[i] = op(pa[i], *pb);
        } else if (ib == 1) {  // a is one value along the run
            for (; i + W <= i1; i += W) simd::store(py + i, op(simd::Vec(*pa), simd::load(pb + i)));
            for (; i < i1; ++i) py[i] = op(*pa, pb[i]);
        } else {
            std::fill(py + i0, py + i1, op(*pa, *pb));
        }
    };
    if (rank == 1) {  // one run: split along it
        parallel_for(n, W, double(n), kElementwiseGrain, [&](std::size_t i0, std::size_t i1) { span(0, 0, 0, i0, i1); });
        return;
    }
    parallel_for(p.numel / n, 1, double(p.numel), kElementwiseGrain, [&](std::size_t r0, std::size_t r1) {
        for_each_run(p, r0, r1, [&](std::size_t oa, std::size_t ob, std::size_t oy) { span(oa, ob, oy, 0, n); });
    });
}

/// The reference: one element at a time over the uncollapsed shapes.
template <class Op>
void broadcast_apply_ref(const Shape& as, const float* a, const Shape& bs, const float* b, const Shape& ys, float* y,
                         Op op) {
    const std::size_t rank = ys.size();
    IndexWalk idx(ys.data(), rank);
    for (std::size_t i = 0, n = shape_numel(ys); i < n; ++i) {
        std::size_t oa = 0, ob = 0;
        for (std::size_t d = 0, ra = rank - as.size(), rb = rank - bs.size(); d < rank; ++d) {
            if (d >= ra) oa = oa * as[d - ra] + (as[d - ra] == 1 ? 0 : idx[d]);
            if (d >= rb) ob = ob * bs[d - rb] + (bs[d - rb] == 1 ? 0 : idx[d]);
        }
        y[i] = op(a[oa], b[ob]);
        idx.next();
    }
}

/// The ops the autograd layer uses; each gives the same bits on floats and on batches.
struct Add {
    template <class T> T operator()(T a, T b) const { return a + b; }
};
struct Sub {
    template <class T> T operator()(T a, T b) const { return a - b; }
};
struct Mul {
    template <class T> T operator()(T a, T b) const { return a * b; }
};
struct Div {
    template <class T> T operator()(T a, T b) const { return a / b; }
};
/// The left operand itself: with b = a, broadcast_apply copies a out to y's shape.
struct Left {
    template <class T> T operator()(T a, T) const { return a; }
};
/// masked_fill's forward: m ≠ 0 ? value : x
struct FillWhere {
    float value;
    float operator()(float x, float m) const { return m != 0.0f ? value : x; }
    simd::Vec operator()(simd::Vec x, simd::Vec m) const { return xsimd::select(m != simd::Vec(0.0f), simd::Vec(value), x); }
};
/// masked_fill's backward: m ≠ 0 ? 0 : dy
struct KeepWhereZero {
    float operator()(float dy, float m) const { return m != 0.0f ? 0.0f : dy; }
    simd::Vec operator()(simd::Vec dy, simd::Vec m) const { return xsimd::select(m != simd::Vec(0.0f), simd::Vec(0.0f), dy); }
};

/// y = op(a, b) broadcast: the Array-level entry (y gets the broadcast shape `ys`).
template <class Op>
Array broadcast_binary(const Array& a, const Array& b, const Shape& ys, Op op) {
    Array y = Array::from_shape(ys);
    broadcast_apply(plan_broadcast(a.shape(), b.shape(), ys), a.data(), b.data(), y.data(), op);
    return y;
}

/// The same with a read as if of shape `as` (a reshape of it: same elements, same order).
template <class Op>
Array broadcast_binary_as(const Array& a, const Shape& as, const Array& b, const Shape& ys, Op op) {
    Array y = Array::from_shape(ys);
    broadcast_apply(plan_broadcast(as, b.shape(), ys), a.data(), b.data(), y.data(), op);
    return y;
}

/// a (read as shape `as`, a reshape of a) copied out to the broadcast shape ys.
inline Array broadcast_to(const Array& a, const Shape& as, const Shape& ys) {
    Array y = Array::from_shape(ys);
    broadcast_apply(plan_broadcast(as, as, ys), a.data(), a.data(), y.data(), Left{});
    return y;
}

/// out (x's shape with the `reduced` dims set to 1) = Σ x over those dims, accumulated in double in a
/// fixed order (16 lanes along a summed inner run, then the lanes added pairwise): the same bits on every run.
void sum_dims(const float* x, const Shape& xs, const std::vector<bool>& reduced, float* out);
/// The reference: one double accumulator per output, elements in row-major order (differs from
/// sum_dims only by double rounding, far below float's).
void sum_dims_ref(const float* x, const Shape& xs, const std::vector<bool>& reduced, float* out);

/// y = x with its dims permuted (y's dim i is x's dim perm[i]), both contiguous. The inner runs are
/// copied as runs when x's last dim stays last, else transposed in tiles.
void permute_copy(const float* x, const Shape& xs, const std::vector<std::size_t>& perm, float* y);
void permute_copy_ref(const float* x, const Shape& xs, const std::vector<std::size_t>& perm, float* y);

}  // namespace xgrad::kernels
