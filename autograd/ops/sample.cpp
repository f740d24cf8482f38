// multinomial: category ids drawn from rows of weights (the sampling step of generate()), drawn as
// PyTorch's CPU kernel draws them, so a seed gives torch.multinomial's ids.
#include <cmath>

#include <fmt/format.h>

#include "autograd/ops.hpp"

namespace xgrad {

namespace {

// Without replacement, or one sample: q ~ Exp(1) for every weight (row-major, as float), and the ids
// of the num_samples largest w / q of each row (the exponential race: P(first = j) = w_j / Σw).
void race(const float* w, std::size_t B, std::size_t C, std::size_t n, Generator& gen, int64_t* out) {
    std::vector<float> key(B * C);
    for (auto& k : key) k = static_cast<float>(gen.exponential());
    for (std::size_t i = 0; i < B * C; ++i) key[i] = w[i] / key[i];
    std::vector<std::size_t> order(C);
    for (std::size_t b = 0; b < B; ++b) {
        const float* kb = key.data() + b * C;
        for (std::size_t j = 0; j < C; ++j) order[j] = j;
        std::stable_sort(order.begin(), order.end(), [kb](std::size_t x, std::size_t y) { return kb[x] > kb[y]; });
        for (std::size_t s = 0; s < n; ++s) out[b * n + s] = static_cast<int64_t>(order[s]);
    }
}

// With replacement: per row, the cumulative weights over their sum (in float, the last set to 1), then per
// sample u ~ U[0, 1) (double) and the first category whose cumulative weight is >= u (binary search).
void inverse_cdf(const float* w, std::size_t B, std::size_t C, std::size_t n, Generator& gen, int64_t* out) {
    std::vector<float> cum(C);
    for (std::size_t b = 0; b < B; ++b) {
        float sum = 0;
        for (std::size_t j = 0; j < C; ++j) cum[j] = sum += w[b * C + j];
        for (auto& c : cum) c /= sum;
        cum[C - 1] = 1;
        for (std::size_t s = 0; s < n; ++s) {
            const double u = gen.uniform_double();
            std::size_t lo = 0, hi = C;
            while (hi > lo) {
                const std::size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < u) lo = mid + 1;
                else hi = mid;
            }
            out[b * n + s] = static_cast<int64_t>(lo);
        }
    }
}

}  // namespace

IdArray multinomial(const Tensor& probs, long num_samples, bool replacement, Generator& gen) {
    if (probs.dim() != 1 && probs.dim() != 2)
        throw ShapeError(fmt::format("multinomial: probs must be 1-D (C) or 2-D (B, C), got shape {}",
                                     shape_str(probs.shape())));
    if (num_samples <= 0) throw ValueError(fmt::format("multinomial: num_samples must be positive, got {}", num_samples));
    const std::size_t C = probs.shape().back(), B = probs.dim() == 2 ? probs.shape()[0] : 1;
    const auto n = static_cast<std::size_t>(num_samples);
    const float* w = probs.data().data();
    for (std::size_t b = 0; b < B; ++b) {
        std::size_t nonzero = 0;
        double total = 0;
        for (std::size_t j = 0; j < C; ++j) {
            const float p = w[b * C + j];
            if (!(p >= 0) || std::isinf(p))
                throw ValueError(fmt::format("multinomial: row {} has weight {} at column {}; weights must be finite "
                                             "and non-negative", b, p, j));
            total += p;
            nonzero += p > 0;
        }
        if (total <= 0) throw ValueError(fmt::format("multinomial: row {} sums to 0; it has nothing to draw", b));
        if (!replacement && n > nonzero)
            throw ValueError(fmt::format("multinomial: cannot draw {} samples without replacement from row {}, which "
                                         "has {} non-zero categories", n, b, nonzero));
    }
    IdArray out = IdArray::from_shape(probs.dim() == 2 ? IdArray::shape_type{B, n} : IdArray::shape_type{n});
    if (!replacement || n == 1) race(w, B, C, n, gen, out.data());
    else inverse_cdf(w, B, C, n, gen, out.data());
    return out;
}

}  // namespace xgrad
