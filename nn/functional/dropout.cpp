// dropout: zeroes each element with probability p while training and scales the rest by 1/(1-p), so
// the expected value is unchanged; the identity when not training. The mask comes from the generator.
#include <cmath>

#include <fmt/format.h>

#include "nn/functional.hpp"

namespace xgrad::nn {

// y = x·m, m_i = [u_i < 1 - p]·s, s = 1 / (1 - p) in float, u_i a double uniform drawn in row-major
// order: torch's bernoulli_(1 - p) mask, so a seed gives F.dropout's mask and values.   dx = dy·m
// p = 1 zeroes everything (as PyTorch).
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0))
        throw ValueError(fmt::format("dropout: probability p = {} must be within [0, 1]", p));
    if (!training || p == 0.0) return x;
    const double keep = 1.0 - p;
    const float scale = p == 1.0 ? 0.0f : 1.0f / static_cast<float>(keep);
    Array mask = new_array(x.shape(), "dropout");  // the scale where kept, 0 where dropped
    gen.bernoulli_mask({mask.data(), mask.size()}, keep, scale);
    Array y = x.data() * mask;
    return record("dropout", std::move(y), {x}, [mask = std::move(mask)](const Array& dy, const Array&, Inputs in) {
        in[0].accumulate_grad(Array(dy * mask));
    });
}

}  // namespace xgrad::nn
