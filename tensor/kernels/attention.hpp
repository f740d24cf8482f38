// Attention for one (batch, head) pair, on the GEMM and softmax kernels:
//   P (L×S) = softmax(scale · Q Kᵀ) over keys a query may see,   O (L×Ev) = (P ⊙ D) · V
// Q (L×E), K (S×E), V (S×Ev); D (L×S) is the dropout mask (0 or 1/(1-p)) or null for none.
// Causal: query i sits at position offset + i and sees keys 0 … offset + i (offset 0 is PyTorch's
// is_causal, offset S - L lets L new queries see a cache of S - L earlier keys). Masked entries of P are 0;
// no mask matrix is built.
#pragma once
#include <cstddef>

namespace xgrad::kernels {

struct AttentionDims {
    std::size_t L, S, E, Ev;  // queries, keys, query/key width, value width
    float scale;              // usually 1/√E
    bool causal = false;
    std::size_t offset = 0;   // position of query 0 when causal
    /// Keys query i sees: S, or min(S, offset + i + 1) when causal.
    std::size_t visible(std::size_t i) const {
        return causal ? (offset + i + 1 < S ? offset + i + 1 : S) : S;
    }
};

/// Forward: writes P (L×S) and O (L×Ev). K and V rows are ldk and ldv floats apart (a cache may be
/// wider than S rows). `scratch` (L×S) holds P ⊙ D when D is given.
void attention_forward(const AttentionDims& d, const float* Q, const float* K, std::size_t ldk, const float* V,
                       std::size_t ldv, const float* D, float* P, float* O, float* scratch);

/// Backward from dO (L×Ev), given forward's P and D:
///   dV = (P⊙D)ᵀ dO,  dP = (dO Vᵀ) ⊙ D,  dS_ij = scale · P_ij (dP_ij - Σ_k dP_ik P_ik),  dQ = dS K,  dK = dSᵀ Q
/// dQ (L×E), dK (S×E), dV (S×Ev) are overwritten; scratch is 2·L·S floats.
void attention_backward(const AttentionDims& d, const float* Q, const float* K, const float* V, const float* D,
                        const float* P, const float* dO, float* dQ, float* dK, float* dV, float* scratch);

/// Scalar reference of attention_forward (contiguous K and V, no dropout): the textbook loops.
void attention_forward_ref(const AttentionDims& d, const float* Q, const float* K, const float* V, float* P, float* O);

}  // namespace xgrad::kernels
