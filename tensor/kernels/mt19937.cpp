// MT19937 (see mt19937.hpp): the twist and the tempering over 16 (AVX-512) or 8 (AVX2) words at a time.
#include "tensor/kernels/mt19937.hpp"

#include <algorithm>
#include <sstream>

#include <xsimd/xsimd.hpp>

namespace xgrad::kernels {

namespace {

using U = xsimd::batch<uint32_t>;
constexpr std::size_t W = U::size, kM = 397;
constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kA = 0x9908b0dfu;

uint32_t twist_one(uint32_t xk, uint32_t xk1, uint32_t xkm) {
    const uint32_t y = (xk & kUpper) | (xk1 & kLower);
    return xkm ^ (y >> 1) ^ ((y & 1u) ? kA : 0u);
}

U twist_vec(U xk, U xk1, U xkm) {
    const U y = (xk & U(kUpper)) | (xk1 & U(kLower));
    return xkm ^ (y >> 1) ^ ((U(0u) - (y & U(1u))) & U(kA));  // the constant where y is odd
}

}  // namespace

void Mt19937::seed_with(uint32_t seed) {
    x_[0] = seed;
    for (std::size_t i = 1; i < kN; ++i) x_[i] = 1812433253u * (x_[i - 1] ^ (x_[i - 1] >> 30)) + uint32_t(i);
    pos_ = kN;
}

// In order k = 0 … 623, as the scalar loop: x_k reads x_k+1 before it changes, and x_k+397 (old for
// k < 227) or x_k−227 (already new). A block of W words loads all it reads before it stores.
void Mt19937::twist() {
    std::size_t k = 0;
    for (; k + W <= kN - kM; k += W)
        U(twist_vec(U::load_unaligned(x_ + k), U::load_unaligned(x_ + k + 1), U::load_unaligned(x_ + k + kM)))
            .store_unaligned(x_ + k);
    for (; k < kN - kM; ++k) x_[k] = twist_one(x_[k], x_[k + 1], x_[k + kM]);
    for (; k + W <= kN - 1; k += W)
        U(twist_vec(U::load_unaligned(x_ + k), U::load_unaligned(x_ + k + 1), U::load_unaligned(x_ + k + kM - kN)))
            .store_unaligned(x_ + k);
    for (; k < kN - 1; ++k) x_[k] = twist_one(x_[k], x_[k + 1], x_[k + kM - kN]);
    x_[kN - 1] = twist_one(x_[kN - 1], x_[0], x_[kM - 1]);
    pos_ = 0;
}

void Mt19937::fill(uint32_t* out, std::size_t n) {
    while (n > 0) {
        if (pos_ >= kN) twist();
        const std::size_t c = std::min(n, kN - pos_);
        std::size_t j = 0;
        for (; j + W <= c; j += W) {
            U y = U::load_unaligned(x_ + pos_ + j);
            y ^= y >> 11;
            y ^= (y << 7) & U(0x9d2c5680u);
            y ^= (y << 15) & U(0xefc60000u);
            (y ^ (y >> 18)).store_unaligned(out + j);
        }
        for (; j < c; ++j) out[j] = temper(x_[pos_ + j]);
        pos_ += c, out += c, n -= c;
    }
}

std::string Mt19937::to_text() const {
    std::ostringstream s;
    for (std::size_t i = 0; i < kN; ++i) s << x_[i] << ' ';
    s << pos_;
    return s.str();
}

bool Mt19937::from_text(const std::string& text) {
    std::istringstream s(text);
    uint32_t x[kN];
    std::size_t pos = 0;
    for (auto& v : x) s >> v;
    s >> pos;
    std::string rest;
    if (s.fail() || pos > kN || (s >> rest, !rest.empty())) return false;
    std::copy(x, x + kN, x_);
    pos_ = pos;
    return true;
}

}  // namespace xgrad::kernels
