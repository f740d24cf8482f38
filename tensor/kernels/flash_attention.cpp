// Blocked attention (see flash_attention.hpp for the formulas): two products a block pair forward,
// four backward, on the GEMM kernel; the rows' exponentials with xsimd's exp.
#include "tensor/kernels/flash_attention.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/kernels/gemm.hpp"
#include "tensor/kernels/simd.hpp"

namespace xgrad::kernels {

namespace {

using simd::Vec;
constexpr std::size_t W = simd::kWidth;

// The keys query block [i0, i0 + br) needs: those its last query sees (visible() grows with i).
std::size_t keys_seen(const AttentionDims& d, std::size_t i0, std::size_t br) { return d.visible(i0 + br - 1); }

// Queries i0 + r sees n = visible − j0 keys of the block starting at j0 (clamped to [0, bc]).
std::size_t seen_in_block(const AttentionDims& d, std::size_t i, std::size_t j0, std::size_t bc) {
    const std::size_t v = d.visible(i);
    return v <= j0 ? 0 : std::min(bc, v - j0);
}

// row[j] = e^(a·row[j] + b) for j < n and 0 for n ≤ j < bc; returns Σ_j<n row[j].
float exp_affine(float* row, std::size_t n, std::size_t bc, float a, float b) {
    const Vec va(a), vb(b);
    Vec acc(0.0f);
    std::size_t j = 0;
    for (; j + W <= n; j += W) {
        const Vec e = xsimd::exp(simd::fma(simd::load(row + j), va, vb));
        simd::store(row + j, e);
        acc += e;
    }
    float s = simd::sum(acc);
    for (; j < n; ++j) s += (row[j] = std::exp(simd::fma(row[j], a, b)));
    std::fill(row + n, row + bc, 0.0f);
    return s;
}

float scaled_max(const float* row, std::size_t n, float scale) {
    float m = -INFINITY;
    for (std::size_t j = 0; j < n; ++j) m = std::max(m, row[j] * scale);
    return m;
}

// One query block's online-softmax update from S (br×bc, raw scores): S becomes e^(scale·S − m'), the
// running max m and sum l of each row are updated, and the block's output rows O (br×Ev) are rescaled
// by e^(m − m'), ready for O += S V_j.
void online_softmax(const AttentionDims& d, std::size_t i0, std::size_t br, std::size_t j0, std::size_t bc, float* S,
                    float* m, float* l, float* O) {
    for (std::size_t r = 0; r < br; ++r) {
        float* row = S + r * bc;
        const std::size_t n = seen_in_block(d, i0 + r, j0, bc);
        if (n == 0) {  // a causal row that sees none of these keys
            std::fill(row, row + bc, 0.0f);
            continue;
        }
        const float m_new = std::max(m[r], scaled_max(row, n, d.scale));
        const float keep = std::exp(m[r] - m_new);  // 0 on the row's first block (m = −∞)
        l[r] = l[r] * keep + exp_affine(row, n, bc, d.scale, -m_new);
        if (keep != 1.0f)
            for (std::size_t c = 0; c < d.Ev; ++c) O[r * d.Ev + c] *= keep;
        m[r] = m_new;
    }
}

}  // namespace

void flash_attention_forward(const AttentionDims& d, const float* Q, const float* K, std::size_t ldk, const float* V,
                             std::size_t ldv, float* O, float* lse, float* scratch) {
    float* S = scratch;                          // br × bc
    float* m = scratch + kQueryBlock * kKeyBlock;  // br running maxima, then br running sums
    float* l = m + kQueryBlock;
    std::fill(O, O + d.L * d.Ev, 0.0f);
    for (std::size_t i0 = 0; i0 < d.L; i0 += kQueryBlock) {
        const std::size_t br = std::min(kQueryBlock, d.L - i0), keys = keys_seen(d, i0, br);
        float* Oi = O + i0 * d.Ev;
        std::fill(m, m + br, -INFINITY);
        std::fill(l, l + br, 0.0f);
        for (std::size_t j0 = 0; j0 < keys; j0 += kKeyBlock) {
            const std::size_t bc = std::min(kKeyBlock, keys - j0);
            gemm(false, true, br, bc, d.E, Q + i0 * d.E, d.E, K + j0 * ldk, ldk, S, bc, false);  // S = Q_i K_jᵀ
            online_softmax(d, i0, br, j0, bc, S, m, l, Oi);
            gemm(false, false, br, d.Ev, bc, S, bc, V + j0 * ldv, ldv, Oi, d.Ev, true);  // O_i += e^(S−m) V_j
        }
        for (std::size_t r = 0; r < br; ++r) {
            const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
            for (std::size_t c = 0; c < d.Ev; ++c) Oi[r * d.Ev + c] *= inv;
            lse[i0 + r] = l[r] > 0.0f ? m[r] + std::log(l[r]) : -INFINITY;
        }
    }
}

void flash_attention_backward(const AttentionDims& d, const float* Q, const float* K, const float* V, const float* O,
                              const float* lse, const float* dO, float* dQ, float* dK, float* dV, float* scratch) {
    const std::size_t E = d.E, Ev = d.Ev;
    float* P = scratch;                             // br × bc
    float* dS = scratch + kQueryBlock * kKeyBlock;  // br × bc
    float* delta = dS + kQueryBlock * kKeyBlock;    // br
    std::fill(dQ, dQ + d.L * E, 0.0f);
    std::fill(dK, dK + d.S * E, 0.0f);
    std::fill(dV, dV + d.S * Ev, 0.0f);
    for (std::size_t i0 = 0; i0 < d.L; i0 += kQueryBlock) {
        const std::size_t br = std::min(kQueryBlock, d.L - i0), keys = keys_seen(d, i0, br);
        const float *Qi = Q + i0 * E, *dOi = dO + i0 * Ev;
        for (std::size_t r = 0; r < br; ++r) delta[r] = simd::dot(dOi + r * Ev, O + (i0 + r) * Ev, Ev);
        for (std::size_t j0 = 0; j0 < keys; j0 += kKeyBlock) {
            const std::size_t bc = std::min(kKeyBlock, keys - j0);
            gemm(false, true, br, bc, E, Qi, E, K + j0 * E, E, P, bc, false);       // S = Q_i K_jᵀ
            for (std::size_t r = 0; r < br; ++r)                                     // P = e^(scale·S − lse)
                exp_affine(P + r * bc, seen_in_block(d, i0 + r, j0, bc), bc, d.scale, -lse[i0 + r]);
            gemm(true, false, bc, Ev, br, P, bc, dOi, Ev, dV + j0 * Ev, Ev, true);  // dV_j += Pᵀ dO_i
            gemm(false, true, br, bc, Ev, dOi, Ev, V + j0 * Ev, Ev, dS, bc, false);  // dP = dO_i V_jᵀ
            for (std::size_t r = 0; r < br; ++r) {                                   // dS = scale·P ⊙ (dP − δ)
                const Vec vd(delta[r]), vs(d.scale);
                float *p = P + r * bc, *g = dS + r * bc;
                std::size_t j = 0;
                for (; j + W <= bc; j += W) simd::store(g + j, vs * simd::load(p + j) * (simd::load(g + j) - vd));
                for (; j < bc; ++j) g[j] = d.scale * p[j] * (g[j] - delta[r]);
            }
            gemm(false, false, br, E, bc, dS, bc, K + j0 * E, E, dQ + i0 * E, E, true);  // dQ_i += dS K_j
            gemm(true, false, bc, E, br, dS, bc, Qi, E, dK + j0 * E, E, true);          // dK_j += dSᵀ Q_i
        }
    }
}

}  // namespace xgrad::kernels
