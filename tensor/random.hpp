// PyTorch's CPU random numbers: a 32-bit Mersenne Twister (std::mt19937's words, which the C++ standard
// fixes, from tensor/kernels/mt19937.hpp; seeded with the seed's low 32 bits as at::mt19937 is) and
// PyTorch's transforms of its words.
// After manual_seed(s), the same sequence of calls gives the numbers torch gives after
// torch.manual_seed(s): rand, randint, randperm, normals, exponentials (see each function for the
// exceptions).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tensor/kernels/mt19937.hpp"

namespace xgrad {

class Generator {
public:
    explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
    /// Resets the stream (and the cached normal): the same seed gives the same numbers.
    void manual_seed(uint64_t seed);
    uint64_t seed() const { return seed_; }

    /// The next 32-bit word (at::mt19937's random()).
    uint32_t random() { return static_cast<uint32_t>(engine_()); }
    /// Two words, the first as the high half (random64()).
    uint64_t random64();
    /// Uniform on [0, 1) from 24 bits of one word, as torch.rand for float32.
    float uniform();
    /// Uniform on [from, to): (24-bit u)·(to - from) + from in double, rounded to float (uniform_).
    float uniform(float from, float to);
    /// Uniform on [0, 1) from 53 bits of two words (PyTorch's double uniform).
    double uniform_double();
    /// out[i] = uniform_double() < keep ? value : 0 in order: torch's bernoulli_(keep) mask as dropout
    /// draws it (the words drawn in bulk). With a mask share set (below), `out` is this process's share of
    /// the whole batch's mask: the words of the shares before and after it are drawn and passed over.
    void bernoulli_mask(std::span<float> out, double keep, float value);
    /// Data parallelism: this process holds share `index` of `count` equal shares of every batch (rows
    /// [index·b, (index+1)·b) of count·b, the batch's first dim), so bernoulli_mask keeps share `index`
    /// of the mask one process would draw for the whole batch. N ranks of batch b then drop what one
    /// process of batch N·b drops, each rank other elements, and every rank's generator stays where that
    /// process's would be. (0, 1), the default: the whole mask. Throws ValueError unless index < count.
    void set_mask_share(std::size_t index, std::size_t count);
    /// N(0, 1) as PyTorch's normal_distribution<double>: Box-Muller on two double uniforms,
    /// r = √(-2 ln(1 - u2)), θ = 2π·u1, returns r·cos θ and keeps r·sin θ for the next call.
    double normal();
    /// Fills `out` with N(mean, std²) as torch.normal_ / torch.randn fill a contiguous float tensor:
    /// below 16 elements one normal() each (mean + std·z in double); from 16 on, float uniforms for every
    /// element, then Box-Muller in float over blocks of 16 (pairs j, j + 8), the last partial block
    /// redrawn as a whole block ending at the end.
    /// NOTE: from 16 elements on PyTorch's AVX2 kernel uses its own vector log/sin/cos; these use the C
    /// library's, so those normals agree with torch's to about 2e-6, not bit for bit.
    void normal(std::span<float> out, float mean = 0.0f, float std = 1.0f);
    /// Exp(1): -ln(1 - u) on a double uniform (torch's exponential_).
    double exponential();
    /// Uniform integer on [0, n), n > 0, as torch.randint: one word modulo n (two words for n >= 2³²).
    uint64_t randint(uint64_t n);
    /// Fills `out` with out.size() draws of randint(n).
    void randint(uint64_t n, std::span<uint64_t> out);

    /// The whole state, for checkpoints: the engine in the standard's text form, the seed and the
    /// cached normal.
    struct State {
        std::string engine;
        uint64_t seed = 0;
        std::optional<double> next_normal;
    };
    State state() const;
    /// Restores a state; throws ValueError when `engine` is not a valid mt19937 text state.
    void set_state(const State& st);

private:
    void pass_over(std::size_t words);  // draws `words` words and drops them
    kernels::Mt19937 engine_;
    uint64_t seed_ = 0;
    std::size_t share_index_ = 0, share_count_ = 1;
    std::optional<double> next_normal_;
};

/// The process-wide generator used when no generator is passed (like torch's default generator;
/// seeded with 0 at start, where torch's is seeded at random).
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace xgrad
