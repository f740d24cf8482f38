// bfloat16: the top 16 bits of a float32 (its sign, its 8 exponent bits and 7 of its 23 mantissa bits).
// Widening one to a float is a 16-bit shift, exact; rounding a float to one keeps half the bytes. Weights
// stored this way halve what a matrix-vector product reads — the bound of generation with a KV cache,
// which reads every weight once a token. The products here keep x and the sums in float32: only the
// weights are rounded.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace xgrad::kernels {

/// x rounded to the nearest bfloat16, ties to even, as PyTorch's x.to(torch.bfloat16) on a tensor: finite
/// values beyond the largest bfloat16 (≈ 3.39e38) round to ±inf, and every NaN becomes the NaN 0xFFFF.
uint16_t to_bf16(float x);
/// The float a bfloat16 stands for (exact).
inline float from_bf16(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }
/// h[i] = to_bf16(x[i]), x[i] = from_bf16(h[i]) for i < n.
void to_bf16(const float* x, uint16_t* h, std::size_t n);
void from_bf16(const uint16_t* h, float* x, std::size_t n);

/// y (M×N) = x (M×K) · Bᵀ with B (N×K) row-major in bfloat16, summed in float32. Every element has the
/// bits gemm(false, true, …) gives with B widened to floats, at any thread count: M = 1 reads B straight
/// from memory, once (generation's matrix-vector product, bound by the bandwidth that reads B); more rows
/// widen B a block of rows at a time and multiply each block with gemm.
void gemm_bf16(std::size_t M, std::size_t N, std::size_t K, const float* x, const uint16_t* B, float* y);

/// Scalar reference: the textbook loop, float accumulation in k order.
void gemm_bf16_ref(std::size_t M, std::size_t N, std::size_t K, const float* x, const uint16_t* B, float* y);

}  // namespace xgrad::kernels
