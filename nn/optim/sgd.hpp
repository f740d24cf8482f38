// SGD with PyTorch's update rule (torch.optim.SGD):
//   g = grad + weight_decay·p
//   buf = g on the first step, else momentum·buf + (1 - dampening)·g
//   g = g + momentum·buf (nesterov) or buf (momentum > 0)
//   p = p - lr·g
// Row-sparse gradients update only the touched rows (their momentum and weight decay too: "lazy").
#pragma once
#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

struct SGDOptions {
    double lr = 0.01;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
};

class SGD : public Optimizer {
public:
    struct Group {
        std::vector<Tensor> params;
        SGDOptions options;
    };
    SGD(std::vector<Tensor> params, SGDOptions options);
    explicit SGD(std::vector<Group> groups);
    void step() override;
    double lr(std::size_t g = 0) const override { return options_.at(g).lr; }
    void set_lr(double lr, std::size_t g) override { options_.at(g).lr = checked_lr(lr, "SGD"); }
    std::vector<std::string> state_names(std::size_t g) const override {
        return options_.at(g).momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
    }
    using Optimizer::set_lr;
    SGDOptions& options(std::size_t g = 0) { return options_.at(g); }

private:
    std::vector<SGDOptions> options_;
};

}  // namespace xgrad::nn
