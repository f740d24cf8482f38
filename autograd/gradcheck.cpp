// gradcheck: analytic gradients (backward) against central differences of L = Σ w·fn(inputs).
#include "autograd/gradcheck.hpp"

#include <cmath>

#include <fmt/format.h>

#include "autograd/ops.hpp"

namespace xgrad {

namespace {

// L = Σ w·y in double.
double project(const Tensor& y, const Array& w) {
    double s = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) s += double(w.data()[i]) * double(y.data().data()[i]);
    return s;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& o) {
    GradcheckResult result;
    for (const auto& x : inputs) x.zero_grad();

    // Analytic: backward of Σ w·y.
    const Tensor y = fn(inputs);
    Generator gen(o.seed);
    Array w = Array::from_shape(y.shape());
    for (auto& v : w) v = gen.uniform(0.5f, 1.5f) * (gen.uniform() < 0.5f ? -1.0f : 1.0f);
    if (y.requires_grad()) y.backward({.grad = w});

    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const Tensor& x = inputs[k];
        if (!x.requires_grad()) continue;
        const Array analytic = x.has_grad() ? x.grad_data() : full_array(x.shape(), 0.0f);
        Array& data = x.impl().data;  // perturbed in place (no graph is recorded here)
        for (std::size_t i = 0; i < data.size(); ++i) {
            const float orig = data.data()[i];
            double up, down;
            {
                NoGradGuard guard;
                data.data()[i] = static_cast<float>(orig + o.eps);
                const double h_up = double(data.data()[i]) - orig;  // the step float32 really took
                up = project(fn(inputs), w);
                data.data()[i] = static_cast<float>(orig - o.eps);
                const double h_down = orig - double(data.data()[i]);
                down = project(fn(inputs), w);
                data.data()[i] = orig;
                up = (up - down) / (h_up + h_down);
            }
            const double numeric = up;
            const double a = analytic.data()[i];
            const double err = std::abs(a - numeric);
            if (!(err <= result.max_abs_error)) result.max_abs_error = err;  // NaN propagates
            if (result.ok && !(err <= o.atol + o.rtol * std::abs(numeric))) {
                result.ok = false;
                result.message = fmt::format(
                    "gradcheck: input {} (shape {}), element {}: analytic gradient {:.6g} but numeric {:.6g} "
                    "(|diff| {:.3g} > atol {} + rtol {}·|numeric|)",
                    k, shape_str(x.shape()), i, a, numeric, err, o.atol, o.rtol);
            }
        }
    }
    for (const auto& x : inputs) x.zero_grad();
    return result;
}

}  // namespace xgrad
