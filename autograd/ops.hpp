// The differentiable ops. Each is one function in autograd/ops/<family>.cpp that computes its result
// and records its backward. Broadcasting follows numpy; a broadcast input's gradient is summed back to
// its shape. Dims may be negative (counted from the end). Errors name the op and the shapes or values.
#pragma once
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

// --- elementwise (ops/elementwise.cpp) ----------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);  ///< a + b       da = dy, db = dy (summed to shape)
Tensor sub(const Tensor& a, const Tensor& b);  ///< a - b       da = dy, db = -dy
Tensor mul(const Tensor& a, const Tensor& b);  ///< a * b       da = dy*b, db = dy*a
Tensor div(const Tensor& a, const Tensor& b);  ///< a / b       da = dy/b, db = -dy*a/b²
Tensor neg(const Tensor& x);                   ///< -x
Tensor add(const Tensor& x, float s);          ///< x + s
Tensor mul(const Tensor& x, float s);          ///< x * s
Tensor div(const Tensor& x, float s);          ///< x / s
Tensor rdiv(float s, const Tensor& x);         ///< s / x       dx = -dy*s/x²
Tensor pow(const Tensor& x, float p);          ///< x^p         dx = dy*p*x^(p-1)
Tensor exp(const Tensor& x);                   ///< e^x         dx = dy*y
Tensor log(const Tensor& x);                   ///< ln x        dx = dy/x   (x <= 0 gives nan/-inf, as PyTorch)
Tensor tanh(const Tensor& x);                  ///< tanh x      dx = dy*(1-y²)
Tensor sigmoid(const Tensor& x);               ///< 1/(1+e^-x)  dx = dy*y*(1-y)
Tensor relu(const Tensor& x);                  ///< max(x, 0)   dx = dy*[x>0]
Tensor clone(const Tensor& x);                 ///< a copy that stays in the graph: dx = dy

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, float s) { return add(x, s); }
inline Tensor operator+(float s, const Tensor& x) { return add(x, s); }
inline Tensor operator-(const Tensor& x, float s) { return add(x, -s); }
inline Tensor operator-(float s, const Tensor& x) { return add(neg(x), s); }
inline Tensor operator*(const Tensor& x, float s) { return mul(x, s); }
inline Tensor operator*(float s, const Tensor& x) { return mul(x, s); }
inline Tensor operator/(const Tensor& x, float s) { return div(x, s); }
inline Tensor operator/(float s, const Tensor& x) { return rdiv(s, x); }

// --- reductions (ops/reduce.cpp) ------------------------------------------------------------------
Tensor sum(const Tensor& x);                                                  ///< Σ all → shape ()
Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);                                                 ///< Σ all / n → shape ()
Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
struct ValuesIndices {
    Tensor values;    ///< the maxima; differentiable (the gradient goes to the index returned)
    IdArray indices;  ///< where they are (the first one on ties)
};
/// Max over one dim: (values, indices), like torch.max(x, dim, keepdim).
ValuesIndices max(const Tensor& x, int dim, bool keepdim = false);

// --- matmul (ops/matmul.cpp) ---------------------------------------------------------------------
/// (n,k)·(k,m) → (n,m); batched (...,n,k)·(...,k,m) with broadcast batch dims; 1-D operands as in
/// torch.matmul (a vector is a row on the left, a column on the right, and its dim is dropped).
/// dA = dY·Bᵀ, dB = Aᵀ·dY (summed over broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b);

// --- shapes (ops/shape.cpp) ----------------------------------------------------------------------
/// Same data, new shape; one entry may be -1 (inferred). Gradient reshaped back.
Tensor reshape(const Tensor& x, const std::vector<long>& shape);
/// As reshape. NOTE: xgrad arrays own their data, so a view is a copy: writing to it does not change x.
Tensor view(const Tensor& x, const std::vector<long>& shape);
/// Swaps dims d0 and d1.
Tensor transpose(const Tensor& x, int d0, int d1);
/// Transpose of a matrix (a 0-D or 1-D tensor is returned as is, like torch.t).
Tensor t(const Tensor& x);
/// Inserts a dim of size 1 at `dim`; removes one.
Tensor unsqueeze(const Tensor& x, int dim);
Tensor squeeze(const Tensor& x, int dim);
/// Joins tensors along an existing dim (other dims must match); the gradient is split back.
Tensor cat(const std::vector<Tensor>& xs, int dim = 0);
/// Joins tensors of one shape along a new dim.
Tensor stack(const std::vector<Tensor>& xs, int dim = 0);

// --- indexing (ops/index.cpp) ---------------------------------------------------------------------
/// y[i, ...] = x[ids[i], ...] along dim 0 (x: (V, ...), ids: (n) → y: (n, ...)). The backward is a
/// scatter-add in which repeated ids add up. Ids outside [0, V) throw IndexError naming the id,
/// its position and the range.
Tensor index_select(const Tensor& x, int dim, const IdArray& ids);
/// one_hot(ids, C): ids of any shape → float (..., C), 1 at each id. No gradient. C = -1 means
/// max(ids) + 1. Ids outside [0, C) throw IndexError.
Tensor one_hot(const IdArray& ids, long num_classes = -1);
/// Checks that every id lies in [0, n); throws IndexError "<op>: id 9 at position (1, 2) is out of
/// range [0, 8)". Shared by every path that takes ids, so the message is the same everywhere.
void check_ids(const IdArray& ids, std::size_t n, const char* op);

// --- softmax (ops/softmax.cpp) --------------------------------------------------------------------
/// y = exp(x - max) / Σ exp(x - max) over `dim`.       dx = y * (dy - Σ dy*y)
Tensor softmax(const Tensor& x, int dim);
/// y = x - max - log Σ exp(x - max) over `dim`.         dx = dy - softmax(x) * Σ dy
Tensor log_softmax(const Tensor& x, int dim);

/// Normalises a possibly negative dim against `rank`; throws IndexError naming the op.
std::size_t normalize_dim(int dim, std::size_t rank, const char* op);

}  // namespace xgrad
