// Attention for one (batch, head) in blocks, FlashAttention-2's order on the GEMM kernel, so no L×S
// matrix is ever kept (see attention.hpp for the dimensions and the causal rule). For each block of
// kQueryBlock queries, the keys it may see, kKeyBlock at a time:
//   S = scale · Q_i K_jᵀ;  m' = max(m, rowmax S);  l = l·e^(m−m') + Σ e^(S−m');  O_i = O_i·e^(m−m') + e^(S−m') V_j
// then O_i /= l and lse_i = m + log l (the log-sum-exp of each query's scores). Causal keys past a
// block's last visible one are not computed (about half the work when L = S).
// Backward recomputes each block's probabilities from lse, with δ_i = Σ_c dO_ic O_ic (= Σ_j P_ij dP_ij):
//   P = e^(S − lse_i),  dV_j += Pᵀ dO_i,  dP = dO_i V_jᵀ,  dS = scale · P ⊙ (dP − δ_i),
//   dQ_i += dS K_j,  dK_j += dSᵀ Q_i
// Memory beyond the inputs and outputs: lse (L floats) and a scratch of kFlashScratch floats.
#pragma once
#include <cstddef>

#include "tensor/kernels/attention.hpp"

namespace xgrad::kernels {

constexpr std::size_t kQueryBlock = 64, kKeyBlock = 256;
/// Floats of scratch either pass needs.
constexpr std::size_t kFlashScratch = 2 * kQueryBlock * kKeyBlock + 2 * kQueryBlock;

/// O (L×Ev) and lse (L). K and V rows are ldk and ldv floats apart (a cache may be wider than S rows).
/// A query that sees no key gets O = 0 and lse = −∞.
void flash_attention_forward(const AttentionDims& d, const float* Q, const float* K, std::size_t ldk, const float* V,
                             std::size_t ldv, float* O, float* lse, float* scratch);

/// dQ (L×E), dK (S×E), dV (S×Ev), overwritten, from dO (L×Ev) and forward's O and lse (K, V contiguous).
void flash_attention_backward(const AttentionDims& d, const float* Q, const float* K, const float* V, const float* O,
                              const float* lse, const float* dO, float* dQ, float* dK, float* dV, float* scratch);

}  // namespace xgrad::kernels
