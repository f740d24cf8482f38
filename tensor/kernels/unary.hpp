// Elementwise maps on xsimd batches: y = op(x) and y = op(a, b) over contiguous arrays of the same
// length, for the activations (tanh, gelu, silu) and their gradients. Every element, the tail's too,
// goes through the batch form of op (the tail is padded to a full batch), so an element's bits never
// depend on where it sits in the array, on the array's length or on the threads it is split over.
// The references (*_ref) apply the float form (std::tanh, std::exp, std::erf): equal within a few
// ulp, not bit for bit.
#pragma once
#include <cmath>
#include <cstddef>

#include "tensor/kernels/simd.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::kernels {

// Elements [i0, i1) of y = op(x); i0 is a multiple of the batch width.
template <class Op>
void map_span(const float* x, float* y, std::size_t i0, std::size_t i1, Op op) {
    std::size_t i = i0;
    for (; i + simd::kWidth <= i1; i += simd::kWidth) simd::store(y + i, op(simd::load(x + i)));
    if (i == i1) return;
    alignas(64) float t[simd::kWidth] = {};
    for (std::size_t k = 0; k < i1 - i; ++k) t[k] = x[i + k];
    simd::store(t, op(simd::load(t)));
    for (std::size_t k = 0; k < i1 - i; ++k) y[i + k] = t[k];
}

// The same for y = op(a, b).
template <class Op>
void map2_span(const float* a, const float* b, float* y, std::size_t i0, std::size_t i1, Op op) {
    std::size_t i = i0;
    for (; i + simd::kWidth <= i1; i += simd::kWidth) simd::store(y + i, op(simd::load(a + i), simd::load(b + i)));
    if (i == i1) return;
    alignas(64) float ta[simd::kWidth] = {}, tb[simd::kWidth] = {};
    for (std::size_t k = 0; k < i1 - i; ++k) ta[k] = a[i + k], tb[k] = b[i + k];
    simd::store(ta, op(simd::load(ta), simd::load(tb)));
    for (std::size_t k = 0; k < i1 - i; ++k) y[i + k] = ta[k];
}

// Long arrays are split over threads in whole batches, so every element gets the same operations.
template <class Op>
void map(const float* x, float* y, std::size_t n, Op op) {
    parallel_for(n, simd::kWidth, double(n), kElementwiseGrain,
                 [&](std::size_t i0, std::size_t i1) { map_span(x, y, i0, i1, op); });
}

template <class Op>
void map2(const float* a, const float* b, float* y, std::size_t n, Op op) {
    parallel_for(n, simd::kWidth, double(n), kElementwiseGrain,
                 [&](std::size_t i0, std::size_t i1) { map2_span(a, b, y, i0, i1, op); });
}

/// The references: the same op on floats, one element at a time.
template <class Op>
void map_ref(const float* x, float* y, std::size_t n, Op op) {
    for (std::size_t i = 0; i < n; ++i) y[i] = op(x[i]);
}
template <class Op>
void map2_ref(const float* a, const float* b, float* y, std::size_t n, Op op) {
    for (std::size_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
}

// The math functions on both forms, so one op body serves the kernel and its reference.
inline simd::Vec tanh_(simd::Vec v) { return xsimd::tanh(v); }
inline float tanh_(float v) { return std::tanh(v); }
inline simd::Vec exp_(simd::Vec v) { return xsimd::exp(v); }
inline float exp_(float v) { return std::exp(v); }
inline simd::Vec erf_(simd::Vec v) { return xsimd::erf(v); }
inline float erf_(float v) { return std::erf(v); }

constexpr float kSqrt1_2 = 0.70710678118654752f;      // 1/√2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;   // 1/√(2π)
constexpr float kSqrt2OverPi = 0.79788456080286536f;  // √(2/π)
constexpr float kGeluCubic = 0.044715f;

/// y = max(x, 0), NaN kept (as PyTorch's relu)
struct Relu {
    float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
    simd::Vec operator()(simd::Vec x) const { return xsimd::select(x < simd::Vec(0.0f), simd::Vec(0.0f), x); }
};
/// relu's gradient: dy where x > 0, else 0
struct ReluGrad {
    float operator()(float dy, float x) const { return x > 0.0f ? dy : 0.0f; }
    simd::Vec operator()(simd::Vec dy, simd::Vec x) const { return xsimd::select(x > simd::Vec(0.0f), dy, simd::Vec(0.0f)); }
};
/// y = x · s
struct Scale {
    float s;
    template <class T> T operator()(T x) const { return x * T(s); }
};
/// y = x^p, with PyTorch's forms for its special exponents: 2 x·x, 3 x·x·x, 0.5 √x, -0.5 1/√x, -1 1/x,
/// -2 1/(x·x), 1 x, 0 one; any other p xsimd::pow (std::pow in the reference).
struct Pow {
    float p;
    static simd::Vec pow_(simd::Vec x, float p) { return xsimd::pow(x, simd::Vec(p)); }
    static float pow_(float x, float p) { return std::pow(x, p); }
    static simd::Vec sqrt_(simd::Vec x) { return xsimd::sqrt(x); }
    static float sqrt_(float x) { return std::sqrt(x); }
    template <class T> T operator()(T x) const {
        if (p == 2.0f) return x * x;
        if (p == 3.0f) return x * x * x;
        if (p == 0.5f) return sqrt_(x);
        if (p == -0.5f) return T(1.0f) / sqrt_(x);
        if (p == -1.0f) return T(1.0f) / x;
        if (p == -2.0f) return T(1.0f) / (x * x);
        if (p == 1.0f) return x;
        if (p == 0.0f) return T(1.0f);
        return pow_(x, p);
    }
};
/// pow's gradient as PyTorch's pow_backward forms it: dy·(p·x^(p-1)) (zero for p = 0)
struct PowGrad {
    float p;
    template <class T> T operator()(T dy, T x) const {
        return p == 0.0f ? T(0.0f) : dy * (T(p) * Pow{p - 1.0f}(x));
    }
};
/// tanh's gradient from its output: dy·(1 - y²)
struct TanhGrad {
    template <class T> T operator()(T dy, T y) const { return dy * (T(1.0f) - y * y); }
};
/// y = x/2·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³)
struct GeluTanh {
    template <class T> T operator()(T x) const {
        return T(0.5f) * x * (T(1.0f) + tanh_(T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x)));
    }
};
/// dy·[(1 + t)/2 + x/2·(1 - t²)·√(2/π)(1 + 3·0.044715x²)], t = tanh(u)
struct GeluTanhGrad {
    template <class T> T operator()(T dy, T x) const {
        const T t = tanh_(T(kSqrt2OverPi) * (x + T(kGeluCubic) * x * x * x));
        return dy * (T(0.5f) * (T(1.0f) + t) +
                     T(0.5f) * x * (T(1.0f) - t * t) * T(kSqrt2OverPi) * (T(1.0f) + T(3.0f * kGeluCubic) * x * x));
    }
};
/// y = x·Φ(x) = x/2·(1 + erf(x/√2))
struct GeluErf {
    template <class T> T operator()(T x) const { return T(0.5f) * x * (T(1.0f) + erf_(x * T(kSqrt1_2))); }
};
/// dy·[Φ(x) + x·φ(x)], φ(x) = e^(-x²/2)/√(2π)
struct GeluErfGrad {
    template <class T> T operator()(T dy, T x) const {
        return dy * (T(0.5f) * (T(1.0f) + erf_(x * T(kSqrt1_2))) + x * T(kInvSqrt2Pi) * exp_(T(-0.5f) * x * x));
    }
};
/// y = x·σ(x), σ(x) = 1/(1 + e^(-x))
struct Silu {
    template <class T> T operator()(T x) const { return x / (T(1.0f) + exp_(-x)); }
};
/// dy·σ(x)·(1 + x·(1 - σ(x)))
struct SiluGrad {
    template <class T> T operator()(T dy, T x) const {
        const T s = T(1.0f) / (T(1.0f) + exp_(-x));
        return dy * (s * (T(1.0f) + x * (T(1.0f) - s)));
    }
};

}  // namespace xgrad::kernels
