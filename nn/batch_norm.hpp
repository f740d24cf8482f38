// BatchNorm1d(num_features, eps = 1e-5, momentum = 0.1, affine = true, track_running_stats = true).
//   x (N, C) or (N, C, L): each channel c normalised with statistics over N (and L).
//   train(): batch mean and biased variance normalise; the running statistics move by momentum:
//            running_mean = (1 - m)·running_mean + m·mean, running_var likewise with the unbiased var.
//   eval():  the running statistics normalise (batch statistics without track_running_stats).
// Composed of differentiable ops, so it has no backward of its own. Buffers: running_mean (C),
// running_var (C), num_batches_tracked (a float scalar here; an int64 in PyTorch).
#pragma once
#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

class BatchNorm1d : public Module {
public:
    explicit BatchNorm1d(std::size_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                         bool track_running_stats = true)
        : Module("BatchNorm1d"), num_features(num_features), eps(eps), momentum(momentum), affine(affine),
          track_running_stats(track_running_stats),
          weight(register_parameter("weight", affine ? ones({num_features}) : Tensor())),
          bias(register_parameter("bias", affine ? zeros({num_features}) : Tensor())),
          running_mean(register_buffer("running_mean", track_running_stats ? zeros({num_features}) : Tensor())),
          running_var(register_buffer("running_var", track_running_stats ? ones({num_features}) : Tensor())),
          num_batches_tracked(register_buffer("num_batches_tracked", track_running_stats ? tensor(0.0f) : Tensor())) {}

    Tensor forward(const Tensor& x) const {
        if ((x.dim() != 2 && x.dim() != 3) || x.shape()[1] != num_features)
            throw ShapeError(fmt::format("BatchNorm1d({}): expects input (N, {}) or (N, {}, L), got shape {}",
                                         num_features, num_features, num_features, shape_str(x.shape())));
        const std::vector<int> dims = x.dim() == 2 ? std::vector<int>{0} : std::vector<int>{0, 2};
        const std::vector<long> bshape = x.dim() == 2 ? std::vector<long>{1, -1} : std::vector<long>{1, -1, 1};
        const std::size_t n = x.numel() / std::max<std::size_t>(num_features, 1);
        Tensor mean, var;
        if (is_training() || !track_running_stats) {
            if (is_training() && n <= 1)
                throw ValueError(fmt::format("BatchNorm1d: expected more than 1 value per channel when training, got "
                                             "input shape {}", shape_str(x.shape())));
            mean = xgrad::mean(x, dims, true);
            var = xgrad::var(x, dims, false, true);
            if (is_training() && track_running_stats) update_running_stats(mean, x, dims);
        } else {
            mean = reshape(running_mean, bshape);
            var = reshape(running_var, bshape);
        }
        Tensor y = (x - mean) * rsqrt(var + static_cast<float>(eps));
        if (affine) y = y * reshape(weight, bshape) + reshape(bias, bshape);
        return y;
    }

    const std::size_t num_features;
    const double eps, momentum;
    const bool affine, track_running_stats;
    Tensor& weight;  ///< (C) = 1, undefined without affine
    Tensor& bias;    ///< (C) = 0
    Tensor& running_mean;
    Tensor& running_var;
    Tensor& num_batches_tracked;

protected:
    std::string extra_repr() const override {
        return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, eps, momentum,
                           affine ? "True" : "False", track_running_stats ? "True" : "False");
    }

private:
    void update_running_stats(const Tensor& mean, const Tensor& x, const std::vector<int>& dims) const {
        NoGradGuard no_grad;
        const auto m = static_cast<float>(momentum);
        const Array unbiased = xgrad::var(x.detach(), dims, true, false).data();
        Array& rm = running_mean.mutable_data();
        Array& rv = running_var.mutable_data();
        const Array batch_mean = reshape(mean.detach(), {-1}).data();
        for (std::size_t c = 0; c < num_features; ++c) {
            rm(c) = (1 - m) * rm(c) + m * batch_mean(c);
            rv(c) = (1 - m) * rv(c) + m * unbiased(c);
        }
        num_batches_tracked.mutable_data()() += 1.0f;
    }
};

}  // namespace xgrad::nn
