// The lecture's training step, shared by the program and its test:
//   ix = torch.randint(0, Xtr.shape[0], (32,))
//   loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
//   for p in parameters: p.grad = None
//   loss.backward()
//   for p in parameters: p.data += -lr * p.grad
#pragma once
#include <cmath>

#include <xtensor/xnoalias.hpp>

#include "data.hpp"

namespace mlp {

/// One SGD step on a minibatch drawn from the default generator; returns the minibatch loss. A loss that
/// is not finite updates nothing (the caller stops: the weights stay the last finite ones).
inline float sgd_step(Mlp& model, const Dataset& train, long batch, float lr) {
    using namespace xgrad;
    const IdArray ix = randint(0, static_cast<int64_t>(train.Y.size()), {static_cast<std::size_t>(batch)});
    Tensor loss = nn::cross_entropy(model.forward(index_select(train.X, 0, ix)), index_select(train.Y, 0, ix));
    if (!std::isfinite(loss.item())) return loss.item();
    model.zero_grad();
    loss.backward();
    // p.data += -lr * p.grad, in place (xt::noalias: without it xtensor computes into a temporary first)
    for (auto& p : model.parameters()) xt::noalias(p.mutable_data()) += -lr * p.grad().data();
    return loss.item();
}

}  // namespace mlp
