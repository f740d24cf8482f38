// Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW, single-tensor form):
//   Adam:  g = grad + weight_decay·p          AdamW: p = p·(1 - lr·weight_decay)
//   m = m + (1-β1)(g - m);   v = β2·v + (1-β2)·g²;   v̂ = max(v̂, v) with amsgrad
//   p = p - (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + eps)
// SparseAdam (lazy Adam for row-sparse gradients): only the touched rows' m, v and p change:
//   m_r += (1-β1)(g_r - m_r);  v_r += (1-β2)(g_r² - v_r);  p_r -= lr·√(1-β2^t)/(1-β1^t) · m_r / (√v_r + eps)
// Rows set with the deprecated Tensor::set_frozen_rows never move and their moments stay at zero.
#pragma once
#include <optional>
#include <utility>

#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

struct AdamOptions {
    double lr = 1e-3;
    std::pair<double, double> betas = {0.9, 0.999};
    double eps = 1e-8;
    /// Unset: the optimizer's default, 0 for Adam and 1e-2 for AdamW (as PyTorch), so that
    /// AdamW(params, {.lr = 0.01}) decays like torch.optim.AdamW(params, lr=0.01).
    std::optional<double> weight_decay;
    bool amsgrad = false;
};

class Adam : public Optimizer {
public:
    struct Group {
        std::vector<Tensor> params;
        AdamOptions options;
    };
    Adam(std::vector<Tensor> params, AdamOptions options = {});
    explicit Adam(std::vector<Group> groups);
    void step() override;
    double lr(std::size_t g = 0) const override { return options_.at(g).lr; }
    void set_lr(double lr, std::size_t g) override { options_.at(g).lr = checked_lr(lr, "Adam"); }
    std::vector<std::string> state_names(std::size_t g) const override {
        std::vector<std::string> n{"exp_avg", "exp_avg_sq"};
        if (options_.at(g).amsgrad) n.emplace_back("max_exp_avg_sq");
        return n;
    }
    using Optimizer::set_lr;
    AdamOptions& options(std::size_t g = 0) { return options_.at(g); }

protected:
    Adam(std::vector<Group> groups, bool decoupled, const char* name);

private:
    std::vector<AdamOptions> options_;
    bool decoupled_ = false;  // AdamW
    const char* name_ = "Adam";
};

/// AdamW: Adam with decoupled weight decay; weight_decay defaults to 1e-2 as in PyTorch.
class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> params, AdamOptions options = {})
        : Adam(std::vector<Group>{{std::move(params), options}}, true, "AdamW") {}
    explicit AdamW(std::vector<Group> groups) : Adam(std::move(groups), true, "AdamW") {}
};

/// SparseAdam for row-sparse gradients (Embedding with sparse=true); dense gradients are refused.
class SparseAdam : public Optimizer {
public:
    SparseAdam(std::vector<Tensor> params, AdamOptions options = {});
    void step() override;
    double lr(std::size_t = 0) const override { return options_.lr; }
    void set_lr(double lr, std::size_t) override { options_.lr = checked_lr(lr, "SparseAdam"); }
    std::vector<std::string> state_names(std::size_t) const override { return {"exp_avg", "exp_avg_sq"}; }
    using Optimizer::set_lr;

private:
    AdamOptions options_;
};

}  // namespace xgrad::nn
