// bfloat16 rounding and the products with bfloat16 weights (see bf16.hpp).
#include "tensor/kernels/bf16.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/gemm_pack.hpp"
#include "tensor/kernels/matvec.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

// Adding 0x7FFF plus the lowest kept bit, then dropping the low 16 bits, rounds to nearest with ties to
// even; a carry out of the mantissa moves to the next exponent (the largest finite values become inf).
uint16_t to_bf16(float x) {
    if (std::isnan(x)) return 0xFFFF;  // what PyTorch writes for any NaN in a tensor (all bits set: a quiet NaN)
    const uint32_t u = std::bit_cast<uint32_t>(x);
    return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

void to_bf16(const float* x, uint16_t* h, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h[i] = to_bf16(x[i]);
}

void from_bf16(const uint16_t* h, float* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) x[i] = from_bf16(h[i]);
}

void gemm_bf16(std::size_t M, std::size_t N, std::size_t K, const float* x, const uint16_t* B, float* y) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        std::fill_n(y, M * N, 0.0f);
        return;
    }
    const bool tiny = gemm_detail::is_tiny(M, N, K);  // gemm's own small-product path: widen B and call it
    if (M == 1 && !tiny)
        return parallel_for(N, 16, 2.0 * double(N) * double(K), 1e6,
                            [&](std::size_t j0, std::size_t j1) {
                                // gemm's own one-pass kernel (matvec.hpp), reading bfloat16 rows
                                matvec_detail::row_times_transposed(x, B, K, K, y, false, j0, j1);
                            });
    // Blocks of 512 rows of B (1.5 MB of floats at K = 768): few enough blocks that packing x again for
    // each costs little; gemm's columns are independent of each other, so the split changes no bits.
    const std::size_t rows = tiny ? N : 512;
    thread_local std::vector<float> wide;
    if (wide.size() < rows * K) wide.resize(rows * K);
    for (std::size_t j0 = 0; j0 < N; j0 += rows) {
        const std::size_t n = std::min(rows, N - j0);
        from_bf16(B + j0 * K, wide.data(), n * K);
        gemm(false, true, M, n, K, x, K, wide.data(), K, y + j0, N, false);
    }
}

void gemm_bf16_ref(std::size_t M, std::size_t N, std::size_t K, const float* x, const uint16_t* B, float* y) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            float s = 0.0f;
            for (std::size_t k = 0; k < K; ++k) s += x[i * K + k] * from_bf16(B[j * K + k]);
            y[i * N + j] = s;
        }
}

}  // namespace xgrad::kernels
