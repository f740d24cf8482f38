// matmul: 2-D, batched with broadcast batch dims, and 1-D operands as in torch.matmul; vecdot.
// The products run on the xsimd GEMM kernel (tensor/kernels/gemm.hpp).
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/kernels/broadcast.hpp"
#include "tensor/kernels/gather.hpp"
#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/index_walk.hpp"
#include "tensor/kernels/threads.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {

[[noreturn]] void cannot_multiply(const Shape& a, const Shape& b, const std::string& why) {
    throw ShapeError(fmt::format("matmul: shapes {} and {} cannot be multiplied ({})", shape_str(a), shape_str(b), why));
}

// The batch dims of a (..., r, c) shape.
Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

// x (batch..., r, c) seen as (batch_to..., r, c): x itself when its batch dims are those already,
// else a broadcast copy kept in `copy`.
const Array& expand_batch(const Array& x, const Shape& batch_to, Array& copy) {
    Shape target = batch_to;
    target.push_back(x.shape()[x.dimension() - 2]);
    target.push_back(x.shape()[x.dimension() - 1]);
    if (target == x.shape()) return x;
    copy = kernels::broadcast_to(x, x.shape(), target);
    return copy;
}

// For each batch b: C_b (M×N) = op(A_b) · op(B_b), with A, B, C contiguous stacks of matrices. The
// products are split over threads (attention's B·H small products would each run on one thread); a
// product's GEMM then runs inline on its thread, computing every element as it would alone, so the
// bits do not depend on the thread count. One product (batch 1) keeps the GEMM's own row split.
void batched_gemm(std::size_t batch, bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, const float* A,
                  std::size_t lda, const float* B, std::size_t ldb, float* C) {
    const double flops = 2.0 * double(batch) * double(M) * double(N) * double(K);
    parallel_for(batch, 1, flops, 2e5, [&](std::size_t b0, std::size_t b1) {
        for (std::size_t b = b0; b < b1; ++b)
            kernels::gemm(ta, tb, M, N, K, A + b * M * K, lda, B + b * K * N, ldb, C + b * M * N, N, false);
    });
}

// The n-D case: a (..., n, k), b (..., k, m) → y (broadcast(...), n, m).
//   dA = dY · Bᵀ    dB = Aᵀ · dY    (each summed back over the batch dims it was broadcast along)
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
    const Shape& as = a.shape();
    const Shape& bs = b.shape();
    const std::size_t n = as[as.size() - 2], k = as[as.size() - 1], m = bs[bs.size() - 1];
    if (bs[bs.size() - 2] != k)
        cannot_multiply(as, bs, fmt::format("{} columns on the left, {} rows on the right", k, bs[bs.size() - 2]));
    Shape batch;
    try {
        batch = broadcast_shapes(batch_of(as), batch_of(bs), "matmul");
    } catch (const ShapeError&) {
        cannot_multiply(as, bs, fmt::format("batch dims {} and {} do not broadcast", shape_str(batch_of(as)),
                                            shape_str(batch_of(bs))));
    }
    const std::size_t nb = shape_numel(batch);
    Array a_copy = empty_array(), b_copy = empty_array();
    const Array& A = expand_batch(a.data(), batch, a_copy);
    const Array& B = expand_batch(b.data(), batch, b_copy);
    Shape ys = batch;
    ys.push_back(n);
    ys.push_back(m);
    Array y = new_array(ys, "matmul");
    if (k == 0) y.fill(0.0f);
    else batched_gemm(nb, false, false, n, m, k, A.data(), k, B.data(), m, y.data());

    return record("matmul", std::move(y), {a, b}, [batch, nb, n, k, m](const Array& dy, const Array&, Inputs in) {
        if (in[0].requires_grad()) {
            // dA_b (n×k) = dY_b (n×m) · B_bᵀ; B_b is k×m, so op(B) = Bᵀ reads it as a transposed (k×m)
            Array copy = empty_array();
            const Array& B = expand_batch(in[1].data(), batch, copy);
            Shape s = batch;
            s.push_back(n);
            s.push_back(k);
            Array da = new_array(s, "matmul backward");
            if (m == 0) da.fill(0.0f);
            else batched_gemm(nb, false, true, n, k, m, dy.data(), m, B.data(), m, da.data());
            in[0].accumulate_grad(sum_to(std::move(da), in[0].shape()));
        }
        if (in[1].requires_grad()) {
            // dB_b (k×m) = A_bᵀ · dY_b; A_b is n×k, read transposed
            Array copy = empty_array();
            const Array& A = expand_batch(in[0].data(), batch, copy);
            Shape s = batch;
            s.push_back(k);
            s.push_back(m);
            Array db = new_array(s, "matmul backward");
            if (n == 0) db.fill(0.0f);
            else batched_gemm(nb, true, false, k, m, n, A.data(), k, dy.data(), m, db.data());
            in[1].accumulate_grad(sum_to(std::move(db), in[1].shape()));
        }
    });
}

}  // namespace

// matmul: y = a · b
//   (n,k)·(k,m) → (n,m); (...,n,k)·(...,k,m) → (broadcast(...),n,m)
//   1-D a (k): treated as (1,k) and the 1 dropped; 1-D b (k): treated as (k,1) and the 1 dropped;
//   (k)·(k) → () (the dot product).
Tensor matmul(const Tensor& a, const Tensor& b) {
    const Shape& as = a.shape();
    const Shape& bs = b.shape();
    if (a.dim() == 0 || b.dim() == 0) cannot_multiply(as, bs, "both operands need at least one dim");
    const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
    const std::size_t ka = as.back(), kb = b_vec ? bs[0] : bs[bs.size() - 2];
    if (ka != kb) cannot_multiply(as, bs, fmt::format("{} columns on the left, {} rows on the right", ka, kb));
    if (!a_vec && !b_vec) return matmul_nd(a, b);
    const Tensor a2 = a_vec ? reshape(a, {1, static_cast<long>(ka)}) : a;
    const Tensor b2 = b_vec ? reshape(b, {static_cast<long>(kb), 1}) : b;
    Tensor y = matmul_nd(a2, b2);
    std::vector<long> out;
    const Shape& ys = y.shape();
    for (std::size_t i = 0; i < ys.size(); ++i) {
        if (a_vec && i == ys.size() - 2) continue;
        if (b_vec && i == ys.size() - 1) continue;
        out.push_back(static_cast<long>(ys[i]));
    }
    return reshape(y, out);
}

// vecdot: y[i] = Σ_d x[i, d]·y[i, d] over `dim`, x and y broadcast (torch.linalg.vecdot, real).
//   dx[i, :] = dy[i]·y[i, :]    dy[i, :] = dy[i]·x[i, :]    (summed over the rows each was broadcast to)
// Over the last dim when both have it whole: one pass over the row pairs (leading dims broadcast by
// row index), no (…, D) product in memory. Otherwise sum(x * y, {dim}).
Tensor vecdot(const Tensor& x, const Tensor& y, int dim) {
    if (x.dim() == 0 || y.dim() == 0)
        throw ShapeError(fmt::format("vecdot: shapes {} and {}: both need at least one dim", shape_str(x.shape()),
                                     shape_str(y.shape())));
    const Shape s = broadcast_shapes(x.shape(), y.shape(), "vecdot");
    const std::size_t d = normalize_dim(dim, s.size(), "vecdot");
    const std::size_t D = s.back();
    if (d + 1 != s.size() || x.shape().back() != D || y.shape().back() != D) return sum(x * y, {int(d)});
    // Row index of x and of y for each output element (row-major over the leading dims L = s[:-1]).
    const Shape lead(s.begin(), s.end() - 1);
    const std::size_t r = lead.size(), n = shape_numel(lead);
    using Steps = xt::svector<std::size_t, 4>;  // one per leading dim (no allocation up to 4 of them)
    auto strides = [&](const Shape& in) {  // rows to step per unit of each leading dim (0: broadcast)
        Steps st(r, 0);
        std::size_t rows = 1;
        for (std::size_t k = in.size() - 1; k-- > 0;) {  // the input's leading dims, last first
            const std::size_t at = r - (in.size() - 1 - k);  // where dim k sits among L's
            st[at] = in[k] == 1 ? 0 : rows;
            rows *= in[k];
        }
        return st;
    };
    const Steps sx = strides(x.shape()), sy = strides(y.shape());
    kernels::IndexWalk rows(s.data(), r, sx.data(), sy.data());  // over L: x's row in .a, y's in .b
    std::vector<int64_t> xi(n), yi(n);
    for (std::size_t i = 0; i < n; ++i, rows.next()) xi[i] = int64_t(rows.a), yi[i] = int64_t(rows.b);
    Array out = new_array(lead, "vecdot");
    kernels::row_dots(x.data().data(), xi.data(), y.data().data(), yi.data(), n, D, out.data());
    return record("vecdot", std::move(out), {x, y},
                  [xi = std::move(xi), yi = std::move(yi), n, D](const Array& dy, const Array&, Inputs in) {
        // d(input) from the other side's rows: written row by row when the input was not broadcast (its
        // row i is output i's alone), else summed into zeros
        auto grad = [&](const Tensor& input, const std::vector<int64_t>& mine, const Tensor& other,
                        const std::vector<int64_t>& theirs) {
            if (input.numel() == long(n * D)) {
                Array g = new_array(input.shape(), "vecdot backward");
                kernels::scaled_rows(g.data(), other.data().data(), theirs.data(), dy.data(), n, D);
                return g;
            }
            Array g = full_array(input.shape(), 0.0f);
            kernels::scaled_row_adds(g.data(), mine.data(), other.data().data(), theirs.data(), dy.data(), n, D);
            return g;
        };
        if (in[0].requires_grad()) in[0].accumulate_grad(grad(in[0], xi, in[1], yi));
        if (in[1].requires_grad()) in[1].accumulate_grad(grad(in[1], yi, in[0], xi));
    });
}

Tensor dot(const Tensor& a, const Tensor& b) {
    if (a.dim() != 1 || b.dim() != 1 || a.shape()[0] != b.shape()[0])
        throw ShapeError(fmt::format("dot: expected two 1-D tensors of one length, got {} and {}", shape_str(a.shape()),
                                     shape_str(b.shape())));
    return vecdot(a, b, 0);
}

}  // namespace xgrad
