// multinomial: category ids drawn from rows of weights (the sampling step of generate()).
#include <cmath>

#include <fmt/format.h>

#include "autograd/ops.hpp"

namespace xgrad {

// Each draw: u uniform on [0, 1) from gen, t = u·Σw; the id is the first j with w_0 + … + w_j > t
// (a zero weight is never drawn). Without replacement the drawn weight is set to 0 for the next draw.
IdArray multinomial(const Tensor& probs, long num_samples, bool replacement, Generator& gen) {
    if (probs.dim() != 1 && probs.dim() != 2)
        throw ShapeError(fmt::format("multinomial: probs must be 1-D (C) or 2-D (B, C), got shape {}",
                                     shape_str(probs.shape())));
    if (num_samples <= 0) throw ValueError(fmt::format("multinomial: num_samples must be positive, got {}", num_samples));
    const std::size_t C = probs.shape().back(), B = probs.dim() == 2 ? probs.shape()[0] : 1;
    const auto n = static_cast<std::size_t>(num_samples);
    IdArray out = IdArray::from_shape(probs.dim() == 2 ? IdArray::shape_type{B, n} : IdArray::shape_type{n});
    std::vector<double> w(C);
    for (std::size_t b = 0; b < B; ++b) {
        std::size_t nonzero = 0;
        double total = 0;
        for (std::size_t j = 0; j < C; ++j) {
            const float p = probs.data().data()[b * C + j];
            if (!(p >= 0) || std::isinf(p))
                throw ValueError(fmt::format("multinomial: row {} has weight {} at column {}; weights must be finite "
                                             "and non-negative", b, p, j));
            w[j] = p;
            total += p;
            nonzero += p > 0;
        }
        if (total <= 0) throw ValueError(fmt::format("multinomial: row {} sums to 0; it has nothing to draw", b));
        if (!replacement && n > nonzero)
            throw ValueError(fmt::format("multinomial: cannot draw {} samples without replacement from row {}, which "
                                         "has {} non-zero categories", n, b, nonzero));
        for (std::size_t s = 0; s < n; ++s) {
            const double t = static_cast<double>(gen.uniform()) * total;
            double acc = 0;
            std::size_t pick = C;
            for (std::size_t j = 0; j < C && pick == C; ++j)
                if (w[j] > 0 && (acc += w[j]) > t) pick = j;
            if (pick == C)  // t rounded up to the total: the last non-zero category
                for (std::size_t j = C; j-- > 0 && pick == C;)
                    if (w[j] > 0) pick = j;
            out.data()[b * n + s] = static_cast<int64_t>(pick);
            if (!replacement) {
                total -= w[pick];
                w[pick] = 0;
            }
        }
    }
    return out;
}

}  // namespace xgrad
