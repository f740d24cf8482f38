// Adam, AdamW and SparseAdam: see nn/optim/adam.hpp for the rules. Element updates use the same float
// operations as PyTorch's single-tensor code, in the same order, so a few steps match it to ~1e-7.
#include "nn/optim/adam.hpp"

#include <cmath>

#include <fmt/format.h>

#include "tensor/kernels/optim.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::nn {

namespace {

void check(const AdamOptions& o, const char* name) {
    Optimizer::checked_lr(o.lr, name);
    if (!(o.eps >= 0)) throw ValueError(fmt::format("{}: invalid eps {}", name, o.eps));
    if (!(o.betas.first >= 0 && o.betas.first < 1) || !(o.betas.second >= 0 && o.betas.second < 1))
        throw ValueError(fmt::format("{}: betas must be in [0, 1), got ({}, {})", name, o.betas.first, o.betas.second));
    if (!(o.weight_decay.value_or(0) >= 0)) throw ValueError(fmt::format("{}: invalid weight_decay {}", name, *o.weight_decay));
}

kernels::AdamCoefs coefs(const AdamOptions& o, int64_t t, bool decoupled) {
    const double wd = o.weight_decay.value_or(decoupled ? 1e-2 : 0.0);
    const double bc1 = 1.0 - std::pow(o.betas.first, double(t));
    const double bc2 = 1.0 - std::pow(o.betas.second, double(t));
    return {static_cast<float>(o.betas.first), static_cast<float>(o.betas.second),
            static_cast<float>(1.0 - o.betas.first), static_cast<float>(1.0 - o.betas.second),
            decoupled ? 0.0f : static_cast<float>(wd),
            decoupled ? static_cast<float>(1.0 - o.lr * wd) : 1.0f,
            static_cast<float>(std::sqrt(bc2)), static_cast<float>(-(o.lr / bc1)), static_cast<float>(o.eps)};
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam(std::vector<Group>{{std::move(params), options}}) {}
Adam::Adam(std::vector<Group> groups) : Adam(std::move(groups), false, "Adam") {}
Adam::Adam(std::vector<Group> groups, bool decoupled, const char* name) : decoupled_(decoupled), name_(name) {
    for (auto& g : groups) {
        check(g.options, name);
        add_group(std::move(g.params), name);
        options_.push_back(g.options);
    }
}

void Adam::step() {
    NoGradGuard no_grad;
    for_each_param([&](const Tensor& p, ParamState& st, std::size_t group) {
        if (p.has_sparse_grad())
            throw ValueError(fmt::format("{}: a parameter of shape {} has a row-sparse gradient (Embedding with "
                                         "sparse=true); use SparseAdam for it", name_, shape_str(p.shape())));
        const AdamOptions& o = options_[group];
        const kernels::AdamCoefs c = coefs(o, ++st.step, decoupled_);
        float* m = buffer(st, "exp_avg", p).data();
        float* v = buffer(st, "exp_avg_sq", p).data();
        float* vmax = o.amsgrad ? buffer(st, "max_exp_avg_sq", p).data() : nullptr;
        float* pd = p.mutable_data().data();
        const float* g = p.grad_data().data();
        for_each_free_span(p, [&](std::size_t b, std::size_t e) {  // elementwise: any split gives the same bits
            parallel_for(e - b, 16, double(e - b), kElementwiseGrain, [&](std::size_t i0, std::size_t i1) {
                const std::size_t at = b + i0;
                kernels::adam_update(pd + at, g + at, m + at, v + at, vmax ? vmax + at : nullptr, i1 - i0, c);
            });
        });
    });
}

SparseAdam::SparseAdam(std::vector<Tensor> params, AdamOptions options) : options_(options) {
    check(options, "SparseAdam");
    if (options.weight_decay.value_or(0) != 0 || options.amsgrad)
        throw ValueError("SparseAdam: weight_decay and amsgrad are not supported (as in PyTorch)");
    add_group(std::move(params), "SparseAdam");
}

void SparseAdam::step() {
    NoGradGuard no_grad;
    for_each_param([&](const Tensor& p, ParamState& st, std::size_t) {
        if (!p.has_sparse_grad())
            throw ValueError(fmt::format("SparseAdam: a parameter of shape {} has a dense gradient; SparseAdam takes "
                                         "row-sparse ones (Embedding with sparse=true); use Adam for it",
                                         shape_str(p.shape())));
        const int64_t t = ++st.step;
        const AdamOptions& o = options_;
        const float b1 = static_cast<float>(1 - o.betas.first), b2 = static_cast<float>(1 - o.betas.second);
        const double bc1 = 1 - std::pow(o.betas.first, double(t)), bc2 = 1 - std::pow(o.betas.second, double(t));
        const float neg_step = static_cast<float>(-(o.lr * std::sqrt(bc2) / bc1)), eps = static_cast<float>(o.eps);
        float* m = buffer(st, "exp_avg", p).data();
        float* v = buffer(st, "exp_avg_sq", p).data();
        float* pd = p.mutable_data().data();
        const RowSparseGrad& sg = p.sparse_grad();
        const std::size_t D = sg.rows.empty() ? 0 : sg.values.size() / sg.rows.size();
        for (std::size_t r = 0; r < sg.rows.size(); ++r) {
            if (is_frozen(p, sg.rows[r])) continue;
            const std::size_t off = static_cast<std::size_t>(sg.rows[r]) * D;
            for (std::size_t j = 0; j < D; ++j) {
                const std::size_t k = off + j;
                const float g = sg.values.data()[r * D + j];
                const float old_m = m[k], old_v = v[k];
                const float dm = (g - old_m) * b1, dv = (g * g - old_v) * b2;
                m[k] = old_m + dm;
                v[k] = old_v + dv;
                const float denom = std::sqrt(v[k]) + eps;
                pd[k] = pd[k] + neg_step * (m[k] / denom);
            }
        }
    });
}

}  // namespace xgrad::nn
