// Runs a case of tests/reference/nn.txt: builds leaves from its inputs, applies fn, backpropagates the
// stored upstream gradient and compares output and gradients with PyTorch's.
#pragma once
#include <functional>

#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad::testing {

inline const std::map<std::string, RefCase>& nn_cases() {
    static const auto c = load_reference("nn.txt");
    return c;
}

inline const RefCase& nn_case(const std::string& name) {
    EXPECT_TRUE(nn_cases().count(name)) << "case " << name << " is missing from nn.txt";
    return nn_cases().at(name);
}

using Leaves = std::map<std::string, Tensor>;

/// Returns the leaves, so a test can look at them afterwards (e.g. a weight changed by max_norm).
inline Leaves check_nn_case(const std::string& name, const std::function<Tensor(Leaves&, const RefCase&)>& fn,
                            double atol = 1e-5, double rtol = 1e-4) {
    SCOPED_TRACE(name);
    const RefCase& c = nn_case(name);
    Leaves in;
    for (const auto& [k, v] : c.in) in[k] = Tensor(v, true);
    Tensor y = fn(in, c);
    EXPECT_TRUE(all_close(y, c.out, atol, rtol)) << "forward of " << name;
    if (c.has_dout) {
        y.backward({.grad = c.dout});
        for (const auto& [k, g] : c.grad) {
            Array mine = in[k].has_grad() ? in[k].grad().data() : full_array(in[k].shape(), 0.0f);
            EXPECT_TRUE(all_close(mine, g, atol, rtol)) << "gradient of " << k << " in " << name;
        }
    }
    return in;
}

}  // namespace xgrad::testing
