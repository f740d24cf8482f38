// Activation layers: ReLU, GELU (approximate "none" | "tanh"), Tanh, Sigmoid, SiLU. No parameters;
// each calls its function (autograd/ops.hpp, nn/functional.hpp), so they can sit in a Sequential.
#pragma once
#include <string>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class ReLU : public Module {
public:
    ReLU() : Module("ReLU") {}
    Tensor forward(const Tensor& x) const { return relu(x); }
};

class GELU : public Module {
public:
    explicit GELU(std::string approximate = "none") : Module("GELU"), approximate(std::move(approximate)) {
        if (this->approximate != "none" && this->approximate != "tanh")
            throw ValueError(fmt::format("GELU: approximate must be \"none\" or \"tanh\", got \"{}\"", this->approximate));
    }
    Tensor forward(const Tensor& x) const { return gelu(x, approximate); }
    const std::string approximate;

protected:
    std::string extra_repr() const override {
        return approximate == "none" ? "" : fmt::format("approximate='{}'", approximate);
    }
};

class Tanh : public Module {
public:
    Tanh() : Module("Tanh") {}
    Tensor forward(const Tensor& x) const { return tanh(x); }
};

class Sigmoid : public Module {
public:
    Sigmoid() : Module("Sigmoid") {}
    Tensor forward(const Tensor& x) const { return sigmoid(x); }
};

class SiLU : public Module {
public:
    SiLU() : Module("SiLU") {}
    Tensor forward(const Tensor& x) const { return silu(x); }
};

}  // namespace xgrad::nn
