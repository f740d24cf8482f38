// Row-wise softmax kernels over contiguous rows of length n (the last dim):
//   softmax(x)_j = exp(x_j - m) / Σ_k exp(x_k - m),  log_softmax(x)_j = x_j - m - log Σ_k exp(x_k - m),
// with m = max_k x_k (subtracting the max keeps exp from overflowing).
#pragma once
#include <cstddef>

namespace xgrad::kernels {

/// y (rows×n) = softmax of each row of x (rows×n). y may alias x.
void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t n);
void softmax_rows_ref(const float* x, float* y, std::size_t rows, std::size_t n);

/// y (rows×n) = log_softmax of each row of x. y may alias x.
void log_softmax_rows(const float* x, float* y, std::size_t rows, std::size_t n);
void log_softmax_rows_ref(const float* x, float* y, std::size_t rows, std::size_t n);

/// Fused cross-entropy pass for one row: returns m + log Σ exp(x - m) (the log-sum-exp) and, when
/// p is not null, writes p = softmax(x) (p may alias x).
float logsumexp_softmax_row(const float* x, float* p, std::size_t n);
float logsumexp_softmax_row_ref(const float* x, float* p, std::size_t n);

/// logsumexp_softmax_row over `rows` rows of x (rows×n), the log-sum-exps into lse (rows); the same
/// numbers, faster for short rows (blocks of rows overlap their dependency chains).
void logsumexp_softmax_rows(const float* x, float* p, std::size_t rows, std::size_t n, float* lse);

/// y[0:n] *= f (vectorised).
void scale_row(float* y, float f, std::size_t n);

}  // namespace xgrad::kernels
