// PyTorch's CPU generator: MT19937 words and PyTorch's transforms (uniform_real, normal with a
// cached second value, normal_fill over blocks of 16, exponential, modulo randint).
#include "tensor/random.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "tensor/error.hpp"

namespace xgrad {

namespace {

constexpr double kTwo24 = 16777216.0;                 // 2^24
constexpr double kTwo53 = 9007199254740992.0;         // 2^53

// Box-Muller over one block of 16 uniforms (PyTorch's normal_fill_16): pairs (j, j + 8),
// u1 = 1 - d[j] in (0, 1] for the log, u2 = d[j + 8]; all in float.
void normal_fill_16(float* d, float mean, float std) {
    for (int j = 0; j < 8; ++j) {
        const float u1 = 1.0f - d[j];
        const float u2 = d[j + 8];
        const float radius = std::sqrt(-2.0f * std::log(u1));
        const auto theta = static_cast<float>(2.0f * std::numbers::pi * u2);
        d[j] = radius * std::cos(theta) * std + mean;
        d[j + 8] = radius * std::sin(theta) * std + mean;
    }
}

}  // namespace

void Generator::manual_seed(uint64_t seed) {
    seed_ = seed;
    engine_.seed_with(static_cast<uint32_t>(seed));  // at::mt19937 keeps the low 32 bits
    next_normal_.reset();
}

uint64_t Generator::random64() {
    const uint64_t hi = random();
    const uint64_t lo = random();
    return (hi << 32) | lo;
}

float Generator::uniform() { return static_cast<float>((random() & 0xFFFFFFu) / kTwo24); }

float Generator::uniform(float from, float to) {  // NOLINT
    const double x = (random() & 0xFFFFFFu) / kTwo24;
    return static_cast<float>(x * (to - from) + from);  // to - from in float, the rest in double, as PyTorch
}

double Generator::uniform_double() { return static_cast<double>(random64() & ((1ULL << 53) - 1)) / kTwo53; }

void Generator::set_mask_share(std::size_t index, std::size_t count) {
    if (index >= count)
        throw ValueError(fmt::format("Generator::set_mask_share: share {} of {} does not exist (index < count)", index, count));
    share_index_ = index;
    share_count_ = count;
}

void Generator::pass_over(std::size_t words) {
    uint32_t scratch[1024];
    for (std::size_t at = 0; at < words; at += 1024) engine_.fill(scratch, std::min<std::size_t>(1024, words - at));
}

void Generator::bernoulli_mask(std::span<float> out, double keep, float value) {
    pass_over(2 * out.size() * share_index_);  // two words an element, the shares in order
    constexpr std::size_t kChunk = 512;
    uint32_t words[2 * kChunk];
    for (std::size_t at = 0; at < out.size(); at += kChunk) {
        const std::size_t n = std::min(kChunk, out.size() - at);
        engine_.fill(words, 2 * n);
        for (std::size_t i = 0; i < n; ++i) {  // uniform_double() of the pair, high word first
            const uint64_t bits = ((uint64_t(words[2 * i]) << 32) | words[2 * i + 1]) & ((1ULL << 53) - 1);
            out[at + i] = static_cast<double>(bits) / kTwo53 < keep ? value : 0.0f;
        }
    }
    pass_over(2 * out.size() * (share_count_ - 1 - share_index_));
}

double Generator::normal() {
    if (next_normal_) {
        const double z = *next_normal_;
        next_normal_.reset();
        return z;
    }
    const double u1 = uniform_double();
    const double u2 = uniform_double();
    const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    next_normal_ = r * std::sin(theta);
    return r * std::cos(theta);
}

void Generator::normal(std::span<float> out, float mean, float std) {
    const std::size_t n = out.size();
    if (n < 16) {
        for (auto& v : out) v = static_cast<float>(normal() * std + mean);
        return;
    }
    float* d = out.data();
    for (std::size_t i = 0; i < n; ++i) d[i] = uniform();
    for (std::size_t i = 0; i + 16 <= n; i += 16) normal_fill_16(d + i, mean, std);
    if (n % 16 != 0) {  // the last 16 drawn again and transformed as one block
        float* tail = d + n - 16;
        for (int i = 0; i < 16; ++i) tail[i] = uniform();
        normal_fill_16(tail, mean, std);
    }
}

double Generator::exponential() { return -std::log(1.0 - uniform_double()); }

uint64_t Generator::randint(uint64_t n) {
    if (n == 0) throw ValueError("randint: the range [0, n) is empty (n = 0)");
    return n >= (1ULL << 32) ? random64() % n : random() % n;
}

void Generator::randint(uint64_t n, std::span<uint64_t> out) {
    for (auto& v : out) v = randint(n);
}

Generator::State Generator::state() const { return {engine_.to_text(), seed_, next_normal_}; }

void Generator::set_state(const State& st) {
    if (!engine_.from_text(st.engine))
        throw ValueError("Generator::set_state: the engine state is not 624 words and a position of std::mt19937");
    seed_ = st.seed;
    next_normal_ = st.next_normal;
}

Generator& default_generator() {
    static Generator g(0);
    return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace xgrad
