// The one header that includes xsimd. Kernels use `Vec` (the widest float batch the build targets:
// 8 lanes on AVX2, 16 on AVX-512) and the helpers below. xsimd 9 renamed hadd to reduce_add;
// sum() below picks the right one.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>
#if defined(__AVX512F__) || defined(__FMA__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace xgrad::simd {

using Vec = xsimd::batch<float>;
constexpr std::size_t kWidth = Vec::size;

/// a·b + c rounded once wherever the CPU has fused multiply-add. xsimd 8's fma for AVX-512 is the generic
/// a*b + c, which g++ fuses on its own but clang does not: results would depend on the compiler.
inline Vec fma(Vec a, Vec b, Vec c) {
#if defined(__AVX512F__)
    static_assert(kWidth == 16, "AVX-512 builds use 16-lane batches");
    return Vec(_mm512_fmadd_ps(a, b, c));
#elif defined(__FMA__) && defined(__AVX2__)
    static_assert(kWidth == 8, "AVX2 builds use 8-lane batches");
    return Vec(_mm256_fmadd_ps(a, b, c));
#else
    return xsimd::fma(a, b, c);
#endif
}
/// The scalar twin of fma(): fused where the vector one is, so a scalar path can give the same bits.
inline float fma(float a, float b, float c) {
#if defined(__FMA__) || defined(__AVX512F__)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}

inline Vec load(const float* p) { return Vec::load_unaligned(p); }
inline void store(float* p, Vec v) { v.store_unaligned(p); }
/// kWidth bfloat16 values at p (uint16: a float's top 16 bits), widened to floats (exact: a shift left by 16).
inline Vec load_bf16(const uint16_t* p) {
#if defined(__AVX512F__)
    const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return Vec(_mm512_castsi512_ps(_mm512_slli_epi32(h, 16)));
#elif defined(__AVX2__)
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return Vec(_mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
#else
    alignas(64) float t[kWidth];
    for (std::size_t i = 0; i < kWidth; ++i) {
        const uint32_t u = static_cast<uint32_t>(p[i]) << 16;
        std::memcpy(&t[i], &u, sizeof u);
    }
    return Vec::load_aligned(t);
#endif
}
/// Writes the first n lanes of v to p[0:n] (n ≤ kWidth); writes nothing past p[n-1].
inline void store_first(float* p, Vec v, std::size_t n) {
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
#else
    alignas(64) float t[kWidth];
    v.store_aligned(t);
    for (std::size_t i = 0; i < n; ++i) p[i] = t[i];
#endif
}
/// p[0:n] in the first n lanes (n < kWidth), zeros after; reads nothing past p[n-1].
inline Vec load_first(const float* p, std::size_t n) {
#if defined(__AVX512F__)
    return Vec(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p));
#else
    alignas(64) float t[kWidth] = {};
    for (std::size_t i = 0; i < n; ++i) t[i] = p[i];
    return Vec::load_aligned(t);
#endif
}
#if XSIMD_VERSION_MAJOR >= 9
inline float sum(Vec v) { return xsimd::reduce_add(v); }
#else
inline float sum(Vec v) { return xsimd::hadd(v); }
#endif
/// Σ a[k]·b[k] over n floats: fma into one Vec of lanes, summed across them, then the tail (the same
/// bits wherever it is called).
inline float dot(const float* a, const float* b, std::size_t n) {
    Vec acc(0.0f);
    std::size_t k = 0;
    for (; k + kWidth <= n; k += kWidth) acc = fma(load(a + k), load(b + k), acc);
    float s = sum(acc);
    for (; k < n; ++k) s = fma(a[k], b[k], s);
    return s;
}
inline float max(Vec v) {
    alignas(64) float t[kWidth];
    v.store_unaligned(t);
    return *std::max_element(t, t + kWidth);
}

}  // namespace xgrad::simd
