// nn::init: in-place initialisation of a parameter, as torch.nn.init. Each changes the tensor's data
// without recording a graph and returns the tensor. Fans of a weight (out, in, k...) are
// fan_in = in·k..., fan_out = out·k..., as PyTorch computes them.
#pragma once
#include <string>

#include "autograd/tensor.hpp"

namespace xgrad::nn::init {

/// N(mean, std²).
Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0, Generator& gen = default_generator());
/// U[a, b).
Tensor uniform_(Tensor t, double a = 0.0, double b = 1.0, Generator& gen = default_generator());
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);
Tensor constant_(Tensor t, double value);
/// U(±gain·√(3/fan)), gain = √(2/(1 + a²)) for leaky_relu (PyTorch's defaults: a = 0, fan_in,
/// "leaky_relu"), 1 for "linear"/"sigmoid", 5/3 for "tanh", √2 for "relu". mode: "fan_in" | "fan_out".
Tensor kaiming_uniform_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator());
/// N(0, (gain/√fan)²), same gains and modes as kaiming_uniform_.
Tensor kaiming_normal_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator());
/// U(±gain·√(6/(fan_in + fan_out))).
Tensor xavier_uniform_(Tensor t, double gain = 1.0, Generator& gen = default_generator());
/// N(0, (gain·√(2/(fan_in + fan_out)))²).
Tensor xavier_normal_(Tensor t, double gain = 1.0, Generator& gen = default_generator());
/// The gain PyTorch recommends for a nonlinearity (param: leaky_relu's slope).
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

}  // namespace xgrad::nn::init
