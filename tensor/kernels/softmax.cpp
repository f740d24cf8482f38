// Softmax family with xsimd's vectorised exp; each row is one independent task, so a split over
// threads never changes a result. Scalar *_ref versions beside them are what the tests check against.
#include "tensor/kernels/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

namespace {

using simd::Vec;
constexpr std::size_t W = simd::kWidth;

float row_max(const float* x, std::size_t n) {
    std::size_t j = 0;
    float m = -INFINITY;
    if (n >= W) {
        Vec vm = simd::load(x);
        for (j = W; j + W <= n; j += W) vm = xsimd::max(vm, simd::load(x + j));
        m = simd::max(vm);
    }
    for (; j < n; ++j) m = std::max(m, x[j]);
    return m;
}

// Writes e_j = exp(x_j - m) into e (may be null: sum only); returns Σ e_j.
float exp_sum(const float* x, float m, float* e, std::size_t n) {
    Vec acc(0.0f);
    const Vec vm(m);
    std::size_t j = 0;
    for (; j + W <= n; j += W) {
        Vec v = xsimd::exp(simd::load(x + j) - vm);
        if (e) simd::store(e + j, v);
        acc += v;
    }
#if defined(__AVX512F__)
    // A tail of 4 or more (a whole short row: the lecture's 8 classes) as one masked vector; a shorter
    // one (65 = 4·16 + 1) is cheaper with scalar exp.
    if constexpr (W == 16) {
        if (n - j >= 4) {
            const __mmask16 k = static_cast<__mmask16>((1u << (n - j)) - 1);
            const Vec v = xsimd::exp(Vec(_mm512_maskz_loadu_ps(k, x + j)) - vm);
            if (e) _mm512_mask_storeu_ps(e + j, k, v);
            acc += Vec(_mm512_maskz_mov_ps(k, v));
            return simd::sum(acc);
        }
    }
#endif
    float s = simd::sum(acc);
    for (; j < n; ++j) {
        float v = std::exp(x[j] - m);
        if (e) e[j] = v;
        s += v;
    }
    return s;
}

void for_row_ranges(std::size_t rows, std::size_t n, RangeFn fn) {
    parallel_for(rows, 1, double(rows) * double(n) * 20.0, 2e5, fn);
}

}  // namespace

void scale_row(float* y, float f, std::size_t n) {
    std::size_t j = 0;
    for (; j + W <= n; j += W) simd::store(y + j, simd::load(y + j) * Vec(f));
    for (; j < n; ++j) y[j] *= f;
}

float logsumexp_softmax_row(const float* x, float* p, std::size_t n) {
    const float m = row_max(x, n);
    const float s = exp_sum(x, m, p, n);
    if (p) scale_row(p, 1.0f / s, n);
    return m + std::log(s);
}

void logsumexp_softmax_rows(const float* x, float* p, std::size_t rows, std::size_t n, float* lse) {
    // Each row is a chain of dependent steps (max, then exp and sum, then log and scale); a short row
    // (65 classes) is mostly waiting on that chain. Running each step over a block of rows gives the
    // CPU independent rows to overlap. Every row gets the same operations as logsumexp_softmax_row.
    constexpr std::size_t kBlock = 16;
    float m[kBlock], s[kBlock];
    for (std::size_t r0 = 0; r0 < rows; r0 += kBlock) {
        const std::size_t nb = std::min(kBlock, rows - r0);
        const float* xb = x + r0 * n;
        float* pb = p ? p + r0 * n : nullptr;
        for (std::size_t r = 0; r < nb; ++r) m[r] = row_max(xb + r * n, n);
        for (std::size_t r = 0; r < nb; ++r) s[r] = exp_sum(xb + r * n, m[r], pb ? pb + r * n : nullptr, n);
        for (std::size_t r = 0; r < nb; ++r) {
            if (pb) scale_row(pb + r * n, 1.0f / s[r], n);
            lse[r0 + r] = m[r] + std::log(s[r]);
        }
    }
}

float logsumexp_softmax_row_ref(const float* x, float* p, std::size_t n) {
    float m = -INFINITY;
    for (std::size_t j = 0; j < n; ++j) m = std::max(m, x[j]);
    float s = 0.0f;
    for (std::size_t j = 0; j < n; ++j) s += std::exp(x[j] - m);
    if (p)
        for (std::size_t j = 0; j < n; ++j) p[j] = std::exp(x[j] - m) / s;
    return m + std::log(s);
}

void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t n) {
    for_row_ranges(rows, n, [&](std::size_t r0, std::size_t r1) {
        std::vector<float> lse(r1 - r0);
        logsumexp_softmax_rows(x + r0 * n, y + r0 * n, r1 - r0, n, lse.data());
    });
}

void softmax_rows_ref(const float* x, float* y, std::size_t rows, std::size_t n) {
    for (std::size_t r = 0; r < rows; ++r) logsumexp_softmax_row_ref(x + r * n, y + r * n, n);
}

void log_softmax_rows(const float* x, float* y, std::size_t rows, std::size_t n) {
    for_row_ranges(rows, n, [&](std::size_t r0, std::size_t r1) {
        std::vector<float> lse(r1 - r0);
        logsumexp_softmax_rows(x + r0 * n, nullptr, r1 - r0, n, lse.data());
        for (std::size_t r = r0; r < r1; ++r) {
            const float* xr = x + r * n;
            float* yr = y + r * n;
            std::size_t j = 0;
            for (; j + W <= n; j += W) simd::store(yr + j, simd::load(xr + j) - Vec(lse[r - r0]));
            for (; j < n; ++j) yr[j] = xr[j] - lse[r - r0];
        }
    });
}

void log_softmax_rows_ref(const float* x, float* y, std::size_t rows, std::size_t n) {
    for (std::size_t r = 0; r < rows; ++r) {
        const float lse = logsumexp_softmax_row_ref(x + r * n, nullptr, n);
        for (std::size_t j = 0; j < n; ++j) y[r * n + j] = x[r * n + j] - lse;
    }
}

}  // namespace xgrad::kernels
