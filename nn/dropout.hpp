// Dropout(p = 0.5): zeroes elements with probability p and scales the rest by 1/(1-p) in train(),
// the identity in eval(). The mask is drawn from the generator given (default: the global one), so a
// seed gives the same masks.
#pragma once
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class Dropout : public Module {
public:
    explicit Dropout(double p = 0.5, Generator& gen = default_generator()) : Module("Dropout"), p(p), gen_(&gen) {
        if (!(p >= 0.0 && p <= 1.0))
            throw ValueError(fmt::format("Dropout: probability p = {} must be within [0, 1]", p));
    }
    Tensor forward(const Tensor& x) const { return dropout(x, p, is_training(), *gen_); }
    const double p;

protected:
    std::string extra_repr() const override { return fmt::format("p={}, inplace=False", p); }

private:
    Generator* gen_;
};

}  // namespace xgrad::nn
