// Seedable random numbers that are the same on every compiler and standard library: xoshiro256**
// seeded through splitmix64, uniform floats from the top 24 bits, normals by Box-Muller in double.
// (std::normal_distribution is avoided on purpose: libstdc++ and libc++ give different numbers.)
#pragma once
#include <array>
#include <cstdint>
#include <span>

namespace xgrad {

class Generator {
public:
    explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
    /// Resets the stream: the same seed gives the same numbers.
    void manual_seed(uint64_t seed);
    uint64_t seed() const { return seed_; }

    uint64_t next_u64();
    /// Uniform on [0, 1), 24 random bits.
    float uniform();
    /// Uniform on [lo, hi).
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    /// Standard normal N(0, 1).
    float normal();
    /// Uniform integer on [0, n); n > 0. Unbiased (rejection sampling).
    uint64_t randint(uint64_t n);
    /// Fills `out` with out.size() draws of randint(n): the same numbers, with the rejection bound
    /// computed once (a training batch draws thousands).
    void randint(uint64_t n, std::span<uint64_t> out);

    /// The whole state, for checkpoints: 4 words of xoshiro, the seed, and a cached normal.
    struct State {
        std::array<uint64_t, 4> s;
        uint64_t seed;
        bool has_spare;
        double spare;
    };
    State state() const { return {s_, seed_, has_spare_, spare_}; }
    void set_state(const State& st);

private:
    std::array<uint64_t, 4> s_{};
    uint64_t seed_ = 0;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

/// The process-wide generator used when no generator is passed (like torch's default generator).
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace xgrad
