// xoshiro256** (Blackman & Vigna) with splitmix64 seeding; Box-Muller normals in double precision.
#include "tensor/random.hpp"

#include <cmath>

#include "tensor/error.hpp"

namespace xgrad {

namespace {
uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Generator::manual_seed(uint64_t seed) {
    seed_ = seed;
    uint64_t x = seed;
    for (auto& w : s_) w = splitmix64(x);
    has_spare_ = false;
    spare_ = 0.0;
}

uint64_t Generator::next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

float Generator::uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

float Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return static_cast<float>(spare_);
    }
    // u1 in (0, 1] so log(u1) is finite; 53-bit doubles.
    const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return static_cast<float>(r * std::cos(theta));
}

uint64_t Generator::randint(uint64_t n) {
    if (n == 0) throw ValueError("randint: the range [0, n) is empty (n = 0)");
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the biased tail
    uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return x % n;
}

void Generator::randint(uint64_t n, std::span<uint64_t> out) {
    if (n == 0) throw ValueError("randint: the range [0, n) is empty (n = 0)");
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (auto& v : out) {
        uint64_t x;
        do x = next_u64();
        while (x >= limit);
        v = x % n;
    }
}

void Generator::set_state(const State& st) {
    s_ = st.s;
    seed_ = st.seed;
    has_spare_ = st.has_spare;
    spare_ = st.spare;
}

Generator& default_generator() {
    static Generator g(0);
    return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace xgrad
