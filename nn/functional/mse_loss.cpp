// mse_loss: the squared error (x - t)², reduced as PyTorch's F.mse_loss; composed of the elementwise
// ops, whose backwards give dx = 2(x - t)·dy and dt = -2(x - t)·dy.
#include <fmt/format.h>

#include "nn/functional.hpp"

namespace xgrad::nn {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    if (input.shape() != target.shape())
        throw ShapeError(fmt::format("mse_loss: input {} and target {} must have one shape", shape_str(input.shape()),
                                     shape_str(target.shape())));
    Tensor d = input - target;
    Tensor sq = d * d;
    if (reduction == Reduction::None) return sq;
    return reduction == Reduction::Sum ? sum(sq) : mean(sq);
}

}  // namespace xgrad::nn
