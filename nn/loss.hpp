// CrossEntropyLoss(weight, ignore_index = -100, reduction = mean, label_smoothing = 0): the module
// form of nn::cross_entropy (nn/functional.hpp), for logits (N, C), (C) or (N, C, d...).
#pragma once
#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class CrossEntropyLoss : public Module {
public:
    explicit CrossEntropyLoss(CrossEntropyOptions options = {}) : Module("CrossEntropyLoss"), options(std::move(options)) {
        if (this->options.weight.defined()) register_buffer("weight", this->options.weight);  // the member: a reassigned weight is seen
    }
    /// logits, class ids → loss
    Tensor forward(const Tensor& input, const IdArray& target) const { return cross_entropy(input, target, options); }
    /// logits, class probabilities (same shape) → loss
    Tensor forward(const Tensor& input, const Tensor& target) const { return cross_entropy(input, target, options); }
    Tensor operator()(const Tensor& input, const IdArray& target) const { return forward(input, target); }
    Tensor operator()(const Tensor& input, const Tensor& target) const { return forward(input, target); }

    CrossEntropyOptions options;

protected:
    std::string extra_repr() const override {
        std::string s;
        if (options.ignore_index != -100) s += fmt::format("ignore_index={}", options.ignore_index);
        if (options.reduction != Reduction::Mean)
            s += fmt::format("{}reduction={}", s.empty() ? "" : ", ", options.reduction == Reduction::Sum ? "sum" : "none");
        if (options.label_smoothing != 0)
            s += fmt::format("{}label_smoothing={}", s.empty() ? "" : ", ", options.label_smoothing);
        return s;
    }
};

/// MSELoss(reduction = mean): the module form of nn::mse_loss, input and target of one shape.
class MSELoss : public Module {
public:
    explicit MSELoss(Reduction reduction = Reduction::Mean) : Module("MSELoss"), reduction(reduction) {}
    Tensor forward(const Tensor& input, const Tensor& target) const { return mse_loss(input, target, reduction); }
    Tensor operator()(const Tensor& input, const Tensor& target) const { return forward(input, target); }
    const Reduction reduction;

protected:
    std::string extra_repr() const override {
        return reduction == Reduction::Mean ? "" : fmt::format("reduction={}", reduction == Reduction::Sum ? "sum" : "none");
    }
};

}  // namespace xgrad::nn
