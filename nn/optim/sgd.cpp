// SGD: see nn/optim/sgd.hpp for the rule. Each element is updated by the same float operations as
// PyTorch's single-tensor implementation, in the same order.
#include "nn/optim/sgd.hpp"

#include <fmt/format.h>

#include "tensor/kernels/optim.hpp"

namespace xgrad::nn {

namespace {
void check(const SGDOptions& o) {
    Optimizer::checked_lr(o.lr, "SGD");
    if (!(o.momentum >= 0)) throw ValueError(fmt::format("SGD: invalid momentum {}", o.momentum));
    if (!(o.weight_decay >= 0)) throw ValueError(fmt::format("SGD: invalid weight_decay {}", o.weight_decay));
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
        throw ValueError("SGD: nesterov needs momentum > 0 and dampening = 0");
}

kernels::SgdCoefs coefs(const SGDOptions& o, bool first) {
    return {static_cast<float>(o.weight_decay), static_cast<float>(o.momentum), static_cast<float>(1.0 - o.dampening),
            static_cast<float>(-o.lr), o.nesterov, first};
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options) : SGD(std::vector<Group>{{std::move(params), options}}) {}

SGD::SGD(std::vector<Group> groups) {
    for (auto& g : groups) {
        check(g.options);
        add_group(std::move(g.params), "SGD");
        options_.push_back(g.options);
    }
}

void SGD::step() {
    NoGradGuard no_grad;
    for_each_param([&](const Tensor& p, ParamState& st, std::size_t group) {
        const SGDOptions& o = options_[group];
        const kernels::SgdCoefs c = coefs(o, st.step == 0);
        ++st.step;
        float* buf = o.momentum != 0 ? buffer(st, "momentum_buffer", p).data() : nullptr;
        float* pd = p.mutable_data().data();
        if (p.has_sparse_grad()) {
            const RowSparseGrad& sg = p.sparse_grad();
            const std::size_t D = sg.rows.empty() ? 0 : sg.values.size() / sg.rows.size();
            for (std::size_t i = 0; i < sg.rows.size(); ++i) {
                if (is_frozen(p, sg.rows[i])) continue;
                const std::size_t off = static_cast<std::size_t>(sg.rows[i]) * D;
                kernels::sgd_update(pd + off, sg.values.data() + i * D, buf ? buf + off : nullptr, D, c);
            }
            return;
        }
        const float* g = p.grad_data().data();
        for_each_free_span(p, [&](std::size_t b, std::size_t e) {
            kernels::sgd_update(pd + b, g + b, buf ? buf + b : nullptr, e - b, c);
        });
    });
}

}  // namespace xgrad::nn
