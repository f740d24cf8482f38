// gradcheck: compares backward()'s gradients with central finite differences.
//
// The output y = fn(inputs) is reduced to L = Σ w·y with fixed random weights w (so every output
// element matters), then for every element x_i of every input that requires grad:
//   numeric_i = (L(x_i + eps) - L(x_i - eps)) / (2·eps)     (L summed in double, the op itself in float32)
// and the check passes when |analytic_i - numeric_i| <= atol + rtol·|numeric_i| everywhere.
// float32 rounding limits how small eps and the tolerances can be: the defaults suit values of order 1.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

struct GradcheckOptions {
    double eps = 1e-2;   ///< finite-difference step
    double atol = 1e-3;  ///< absolute tolerance
    double rtol = 1e-2;  ///< relative tolerance
    uint64_t seed = 0;   ///< seed of the projection weights w
};

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0.0;  ///< the largest |analytic - numeric| seen
    std::string message;         ///< on failure: which input, which element, both values
};

/// Checks the gradients of fn with respect to every input that requires grad. The inputs' gradients
/// are cleared before and after. Never throws for a mismatch: read result.ok and result.message.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace xgrad
