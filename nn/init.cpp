// nn::init: the formulas of torch.nn.init, drawing from xgrad's generator.
#include "nn/init.hpp"

#include <cmath>

#include <fmt/format.h>

namespace xgrad::nn::init {

namespace {

// Fills t's data from draw() (no graph, the version bumped as for any in-place change).
template <class Draw>
Tensor fill(Tensor t, Draw draw) {
    if (!t.defined()) throw ValueError("nn::init: the tensor is undefined");
    NoGradGuard no_grad;
    Array& a = t.mutable_data();
    for (auto& v : a) v = draw();
    return t;
}

std::pair<double, double> fans(const Tensor& t, const char* op) {
    if (t.dim() < 2)
        throw ShapeError(fmt::format("nn::init::{}: fan in and fan out need a tensor of at least 2 dims, got shape {}",
                                     op, shape_str(t.shape())));
    double receptive = 1;
    for (std::size_t i = 2; i < t.shape().size(); ++i) receptive *= static_cast<double>(t.shape()[i]);
    return {static_cast<double>(t.shape()[1]) * receptive, static_cast<double>(t.shape()[0]) * receptive};
}

double kaiming_std(const Tensor& t, double a, const std::string& mode, const std::string& nonlinearity, const char* op) {
    const auto [fan_in, fan_out] = fans(t, op);
    if (mode != "fan_in" && mode != "fan_out")
        throw ValueError(fmt::format("nn::init::{}: mode must be \"fan_in\" or \"fan_out\", got \"{}\"", op, mode));
    const double fan = mode == "fan_in" ? fan_in : fan_out;
    return fan == 0 ? 0.0 : calculate_gain(nonlinearity, a) / std::sqrt(fan);
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, double param) {
    if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity.rfind("conv", 0) == 0) return 1.0;
    if (nonlinearity == "tanh") return 5.0 / 3.0;
    if (nonlinearity == "relu") return std::sqrt(2.0);
    if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
    if (nonlinearity == "selu") return 3.0 / 4.0;
    throw ValueError(fmt::format("nn::init::calculate_gain: unknown nonlinearity \"{}\"", nonlinearity));
}

Tensor normal_(Tensor t, double mean, double std, Generator& gen) {
    if (!t.defined()) throw ValueError("nn::init: the tensor is undefined");
    NoGradGuard no_grad;
    Array& a = t.mutable_data();
    gen.normal(std::span<float>(a.data(), a.size()), static_cast<float>(mean), static_cast<float>(std));  // torch's normal_
    return t;
}

Tensor uniform_(Tensor t, double a, double b, Generator& gen) {
    const auto lo = static_cast<float>(a), hi = static_cast<float>(b);
    return fill(std::move(t), [&] { return gen.uniform(lo, hi); });
}

Tensor zeros_(Tensor t) { return constant_(std::move(t), 0.0); }
Tensor ones_(Tensor t) { return constant_(std::move(t), 1.0); }
Tensor constant_(Tensor t, double value) {
    return fill(std::move(t), [v = static_cast<float>(value)] { return v; });
}

Tensor kaiming_uniform_(Tensor t, double a, const std::string& mode, const std::string& nonlinearity, Generator& gen) {
    const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_");
    return uniform_(std::move(t), -bound, bound, gen);
}

Tensor kaiming_normal_(Tensor t, double a, const std::string& mode, const std::string& nonlinearity, Generator& gen) {
    const double std = kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_");
    return normal_(std::move(t), 0.0, std, gen);
}

Tensor xavier_uniform_(Tensor t, double gain, Generator& gen) {
    const auto [fan_in, fan_out] = fans(t, "xavier_uniform_");
    const double bound = fan_in + fan_out == 0 ? 0.0 : gain * std::sqrt(6.0 / (fan_in + fan_out));
    return uniform_(std::move(t), -bound, bound, gen);
}

Tensor xavier_normal_(Tensor t, double gain, Generator& gen) {
    const auto [fan_in, fan_out] = fans(t, "xavier_normal_");
    const double std = fan_in + fan_out == 0 ? 0.0 : gain * std::sqrt(2.0 / (fan_in + fan_out));
    return normal_(std::move(t), 0.0, std, gen);
}

}  // namespace xgrad::nn::init
