// The one header that includes xsimd. Kernels use `Vec` (the widest float batch the build targets:
// 8 lanes on AVX2, 16 on AVX-512) and the helpers below. xsimd 9 renamed hadd to reduce_add;
// sum() below picks the right one.
#pragma once
#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace xgrad::simd {

using Vec = xsimd::batch<float>;
constexpr std::size_t kWidth = Vec::size;

inline Vec load(const float* p) { return Vec::load_unaligned(p); }
inline void store(float* p, Vec v) { v.store_unaligned(p); }
#if XSIMD_VERSION_MAJOR >= 9
inline float sum(Vec v) { return xsimd::reduce_add(v); }
#else
inline float sum(Vec v) { return xsimd::hadd(v); }
#endif
inline float max(Vec v) {
    alignas(64) float t[kWidth];
    v.store_unaligned(t);
    return *std::max_element(t, t + kWidth);
}

}  // namespace xgrad::simd
