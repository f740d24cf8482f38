// One row times a transposed matrix, y (1 × N) = x (1 × K) · Bᵀ with B (N × K) row-major in float32 or
// bfloat16: a Linear layer on one position, as in generation. Internal to gemm.cpp and bf16.cpp, which
// share it so that a bfloat16 B gives the bits a float32 B of the same values gives.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/kernels/bf16.hpp"
#include "tensor/kernels/simd.hpp"

namespace xgrad::kernels::matvec_detail {

// kWidth values of a row as floats, and one value (the row's tail).
inline simd::Vec load_row(const float* p) { return simd::load(p); }
inline simd::Vec load_row(const uint16_t* p) { return simd::load_bf16(p); }
inline float value(const float* p) { return *p; }
inline float value(const uint16_t* p) { return from_bf16(*p); }

// y[j] = (y[j] +) Σ_k x[k]·B[j, k] for j in [j0, j1), B's rows ldb elements apart: each a dot product down
// a contiguous row of B, four rows at a time so that a load of x serves four. No packing: every element
// of B is read once, straight from memory, which is all the product can be (it is bound by the bandwidth
// that reads B); the next four rows are asked for, a cache line at a time, while these four are read.
// Each y[j] is simd::dot's sum (one vector of lanes in k order, summed across, then the tail), whatever
// the thread split.
template <class T>
void row_times_transposed(const float* x, const T* B, std::size_t ldb, std::size_t K, float* y, bool accumulate,
                          std::size_t j0, std::size_t j1) {
    using simd::Vec;
    constexpr std::size_t W = simd::kWidth, kLine = 64 / sizeof(T), kLines = 4 * W / kLine;  // lines per step of 4 rows
    const std::size_t body = K / W * W;
    auto finish = [&](std::size_t j, Vec acc) {
        float s = simd::sum(acc);
        for (std::size_t k = body; k < K; ++k) s = simd::fma(x[k], value(B + j * ldb + k), s);
        y[j] = accumulate ? y[j] + s : s;
    };
    std::size_t j = j0;
    for (; j + 4 <= j1; j += 4) {
        const T *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        const T* next = b0 + 4 * ldb;  // read as one run of 4 rows: 4 values ahead for each value of a row read
        Vec c0(0.0f), c1(0.0f), c2(0.0f), c3(0.0f);
        for (std::size_t k = 0; k < body; k += W) {
            for (std::size_t l = 0; l < kLines; ++l) __builtin_prefetch(next + 4 * k + l * kLine);
            const Vec a = simd::load(x + k);
            c0 = simd::fma(a, load_row(b0 + k), c0);
            c1 = simd::fma(a, load_row(b1 + k), c1);
            c2 = simd::fma(a, load_row(b2 + k), c2);
            c3 = simd::fma(a, load_row(b3 + k), c3);
        }
        finish(j, c0), finish(j + 1, c1), finish(j + 2, c2), finish(j + 3, c3);
    }
    for (; j < j1; ++j) {
        const T* b = B + j * ldb;
        Vec c(0.0f);
        for (std::size_t k = 0; k < body; k += W) c = simd::fma(simd::load(x + k), load_row(b + k), c);
        finish(j, c);
    }
}

}  // namespace xgrad::kernels::matvec_detail
