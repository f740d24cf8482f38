// Attention for one (batch, head) on the GEMM kernel: two products forward, four backward, the softmax
// over each query's visible keys in between (see attention.hpp for the formulas).
#include "tensor/kernels/attention.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/softmax.hpp"

namespace xgrad::kernels {

void attention_forward(const AttentionDims& d, const float* Q, const float* K, std::size_t ldk, const float* V,
                       std::size_t ldv, const float* D, float* P, float* O, float* scratch) {
    const std::size_t L = d.L, S = d.S;
    gemm(false, true, L, S, d.E, Q, d.E, K, ldk, P, S, false);  // P = Q Kᵀ
    for (std::size_t i = 0; i < L; ++i) {
        float* row = P + i * S;
        const std::size_t n = d.visible(i);
        scale_row(row, d.scale, n);
        if (n > 0) softmax_rows(row, row, 1, n);
        std::fill(row + n, row + S, 0.0f);
    }
    const float* PD = P;
    if (D) {
        for (std::size_t j = 0; j < L * S; ++j) scratch[j] = P[j] * D[j];
        PD = scratch;
    }
    gemm(false, false, L, d.Ev, S, PD, S, V, ldv, O, d.Ev, false);  // O = (P ⊙ D) V
}

void attention_backward(const AttentionDims& d, const float* Q, const float* K, const float* V, const float* D,
                        const float* P, const float* dO, float* dQ, float* dK, float* dV, float* scratch) {
    const std::size_t L = d.L, S = d.S, E = d.E, Ev = d.Ev;
    float* PD = scratch;      // P ⊙ D
    float* dP = scratch + L * S;
    const float* pd = P;
    if (D) {
        for (std::size_t j = 0; j < L * S; ++j) PD[j] = P[j] * D[j];
        pd = PD;
    }
    gemm(true, false, S, Ev, L, pd, S, dO, Ev, dV, Ev, false);  // dV = (P⊙D)ᵀ dO
    gemm(false, true, L, S, Ev, dO, Ev, V, Ev, dP, S, false);   // dP = dO Vᵀ
    if (D)
        for (std::size_t j = 0; j < L * S; ++j) dP[j] *= D[j];
    for (std::size_t i = 0; i < L; ++i) {  // dS, in place of dP
        const float* p = P + i * S;
        float* g = dP + i * S;
        const std::size_t n = d.visible(i);
        double dot = 0.0;
        for (std::size_t j = 0; j < n; ++j) dot += double(g[j]) * p[j];
        const float fdot = static_cast<float>(dot);
        for (std::size_t j = 0; j < n; ++j) g[j] = d.scale * (p[j] * (g[j] - fdot));
        std::fill(g + n, g + S, 0.0f);
    }
    gemm(false, false, L, E, S, dP, S, K, E, dQ, E, false);  // dQ = dS K
    gemm(true, false, S, E, L, dP, S, Q, E, dK, E, false);   // dK = dSᵀ Q
}

void attention_forward_ref(const AttentionDims& d, const float* Q, const float* K, const float* V, float* P, float* O) {
    const std::size_t L = d.L, S = d.S, E = d.E, Ev = d.Ev;
    for (std::size_t i = 0; i < L; ++i) {
        float* row = P + i * S;
        const std::size_t n = d.visible(i);
        float m = -INFINITY;
        for (std::size_t j = 0; j < n; ++j) {
            float s = 0.0f;
            for (std::size_t e = 0; e < E; ++e) s += Q[i * E + e] * K[j * E + e];
            row[j] = s * d.scale;
            m = std::max(m, row[j]);
        }
        float z = 0.0f;
        for (std::size_t j = 0; j < n; ++j) z += (row[j] = std::exp(row[j] - m));
        for (std::size_t j = 0; j < S; ++j) row[j] = j < n ? row[j] / z : 0.0f;
        for (std::size_t c = 0; c < Ev; ++c) {
            float o = 0.0f;
            for (std::size_t j = 0; j < S; ++j) o += row[j] * V[j * Ev + c];
            O[i * Ev + c] = o;
        }
    }
}

}  // namespace xgrad::kernels
