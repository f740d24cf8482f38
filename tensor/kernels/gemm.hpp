// Single-precision matrix multiply, row-major: C (M×N) = op(A) · op(B), or C += ... when accumulate.
// op(A) is M×K: A itself (M×K, row stride lda) or, with trans_a, the transpose of a K×M matrix.
// op(B) is K×N: B itself (K×N, row stride ldb) or, with trans_b, the transpose of an N×K matrix.
// The three orientations training needs: x·Wᵀ (trans_b), dyᵀ·x (trans_a), dy·W (neither).
#pragma once
#include <cstddef>

namespace xgrad::kernels {

/// xsimd kernel: packed op(B) panels, a register-blocked FMA micro-kernel, rows split over threads.
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
          std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate);

/// Scalar reference: the textbook triple loop, float accumulation in k order.
void gemm_ref(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
              std::size_t lda, const float* B, std::size_t ldb, float* C, std::size_t ldc, bool accumulate);

}  // namespace xgrad::kernels
