// The 32-bit Mersenne Twister (MT19937), word for word std::mt19937 (its reference; the C++ standard
// fixes its output), with a bulk draw that regenerates and tempers the state with vector instructions:
//   twist:  y = (x_k & 0x80000000) | (x_k+1 & 0x7fffffff);  x_k = x_k+397 ⊕ (y >> 1) ⊕ (y odd ? 0x9908b0df : 0)
//   temper: y ^= y >> 11;  y ^= (y << 7) & 0x9d2c5680;  y ^= (y << 15) & 0xefc60000;  y ^= y >> 18
// The state is laid out as libstdc++'s (624 words and a position), so its text form is std::mt19937's.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace xgrad::kernels {

class Mt19937 {
public:
    static constexpr std::size_t kN = 624;
    explicit Mt19937(uint32_t seed = 5489u) { seed_with(seed); }
    /// std::mt19937::seed(seed).
    void seed_with(uint32_t seed);
    /// The next word.
    uint32_t operator()() {
        if (pos_ >= kN) twist();
        return temper(x_[pos_++]);
    }
    /// out[0:n] = the next n words (as n calls of operator()).
    void fill(uint32_t* out, std::size_t n);
    /// std::mt19937's text form ("x_0 … x_623 position", as `os << engine` writes it) and back; from_text
    /// returns false (and changes nothing) when the text is not 624 words and a position ≤ 624.
    std::string to_text() const;
    bool from_text(const std::string& text);

private:
    static uint32_t temper(uint32_t y) {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }
    void twist();
    uint32_t x_[kN];
    std::size_t pos_ = kN;
};

}  // namespace xgrad::kernels
