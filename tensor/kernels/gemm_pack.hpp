// The GEMM's blocking (kernels/gemm.cpp): the micro-tile MR×NR, the k block KC, the packed blocks
// MC×KC of A and KC×NC of B, and the packing of operands into k-major panels that the micro-kernel
// reads (gemm_pack.cpp). Internal to the GEMM.
#pragma once
#include <cstddef>

#include "tensor/kernels/simd.hpp"

namespace xgrad::kernels::gemm_detail {

constexpr std::size_t W = simd::kWidth;
constexpr std::size_t NR = 2 * W;            // columns of C per micro-tile
constexpr std::size_t MR = W >= 16 ? 12 : 6; // rows of C per micro-tile (fills 24 of 32 zmm / 12 of 16 ymm)
constexpr std::size_t KC = 256;              // k block: an A panel (MR×KC) stays in L1
constexpr std::size_t MC = MR * 10;          // rows of A per packed block (L2)
constexpr std::size_t NC = NR * 32;          // columns of B per packed block (KC×NC floats in L2)

/// A product small enough to skip packing (the lecture's 11×8×2): gemm's tiny_product path.
constexpr bool is_tiny(std::size_t M, std::size_t N, std::size_t K) { return K <= KC && M * N * K <= 4096; }

/// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels (panel q holds columns j0+q·NR.., k-major,
/// zero-padded); with partial_only, only a last panel narrower than NR.
void pack_b(bool tb, const float* B, std::size_t ldb, std::size_t p0, std::size_t kc, std::size_t j0,
            std::size_t nc, float* out, bool partial_only);

/// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels (panel q holds rows i0+q·MR.., k-major,
/// zero-padded); with partial_only (transposed A), only a last panel of fewer than MR rows.
void pack_a(bool ta, const float* A, std::size_t lda, std::size_t i0, std::size_t mc, std::size_t p0,
            std::size_t kc, float* out, bool partial_only);

}  // namespace xgrad::kernels::gemm_detail
