// Row gather and duplicate-safe, deterministic scatter-add (the embedding forward and backward), and
// dot products and scaled adds of rows picked by index (vecdot's forward and backward).
#include "tensor/kernels/gather.hpp"

#include <algorithm>

#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

namespace {
using simd::Vec;
constexpr std::size_t W = simd::kWidth;

// y += s · x over D floats.
void axpy(float* y, const float* x, float s, std::size_t D) {
    std::size_t j = 0;
    const Vec vs(s);
    for (; j + W <= D; j += W) simd::store(y + j, simd::fma(vs, simd::load(x + j), simd::load(y + j)));
    for (; j < D; ++j) y[j] += s * x[j];
}
}  // namespace

void gather_rows(const float* table, std::size_t D, const int64_t* ids, std::size_t n, float* out) {
    parallel_for(n, 1, double(n) * double(D), 1e6, [&](std::size_t i0, std::size_t i1) {
        for (std::size_t i = i0; i < i1; ++i) {
            const float* src = table + ids[i] * D;
            float* dst = out + i * D;
            std::size_t j = 0;  // vector copies inline (thousands of short rows a step: a library call each would dominate)
            for (; j + W <= D; j += W) simd::store(dst + j, simd::load(src + j));
            for (; j < D; ++j) dst[j] = src[j];
        }
    });
}

void gather_rows_ref(const float* table, std::size_t D, const int64_t* ids, std::size_t n, float* out) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) out[i * D + j] = table[ids[i] * D + j];
}

void scatter_add_rows(float* dtable, std::size_t V, std::size_t D, const int64_t* ids, std::size_t n,
                      const float* dout, const float* scales) {
    // Each thread owns a contiguous range of destination rows [v0, v1) and walks all ids in order.
    parallel_for(V, 1, double(n) * double(D), 1e6, [&](std::size_t v0, std::size_t v1) {
        for (std::size_t i = 0; i < n; ++i) {
            const auto v = static_cast<std::size_t>(ids[i]);
            if (v < v0 || v >= v1) continue;
            // fma(s, x, y) with s = 1 equals y + x exactly, so both paths round the same way.
            axpy(dtable + v * D, dout + i * D, scales ? scales[i] : 1.0f, D);
        }
    });
}

void scatter_add_rows_ref(float* dtable, std::size_t, std::size_t D, const int64_t* ids, std::size_t n,
                          const float* dout, const float* scales) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) dtable[ids[i] * D + j] += (scales ? scales[i] : 1.0f) * dout[i * D + j];
}

void row_dots(const float* x, const int64_t* xi, const float* y, const int64_t* yi, std::size_t n, std::size_t D,
              float* out) {
    parallel_for(n, 1, double(n) * double(D), 1e6, [&](std::size_t i0, std::size_t i1) {
        for (std::size_t i = i0; i < i1; ++i) out[i] = simd::dot(x + xi[i] * D, y + yi[i] * D, D);
    });
}

void row_dots_ref(const float* x, const int64_t* xi, const float* y, const int64_t* yi, std::size_t n, std::size_t D,
                  float* out) {
    for (std::size_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < D; ++j) s += double(x[xi[i] * D + j]) * double(y[yi[i] * D + j]);
        out[i] = float(s);
    }
}

void scaled_rows(float* dst, const float* src, const int64_t* si, const float* s, std::size_t n, std::size_t D) {
    for (std::size_t i = 0; i < n; ++i) {
        const float* x = src + si[i] * D;
        float* y = dst + i * D;
        const Vec vs(s[i]);
        std::size_t j = 0;
        for (; j + W <= D; j += W) simd::store(y + j, vs * simd::load(x + j));
        for (; j < D; ++j) y[j] = s[i] * x[j];
    }
}

void scaled_rows_ref(float* dst, const float* src, const int64_t* si, const float* s, std::size_t n, std::size_t D) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) dst[i * D + j] = s[i] * src[si[i] * D + j];
}

void scaled_row_adds(float* dst, const int64_t* di, const float* src, const int64_t* si, const float* s, std::size_t n,
                     std::size_t D) {
    for (std::size_t i = 0; i < n; ++i) axpy(dst + di[i] * D, src + si[i] * D, s[i], D);
}

void scaled_row_adds_ref(float* dst, const int64_t* di, const float* src, const int64_t* si, const float* s,
                         std::size_t n, std::size_t D) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) dst[di[i] * D + j] += s[i] * src[si[i] * D + j];
}

}  // namespace xgrad::kernels
