// cross_entropy: one fused, stable op from logits (log-sum-exp with the max subtracted). Its backward
// writes (softmax - target)·scale straight into dx; no one-hot matrix and no log_softmax tensor is made.
#include <cmath>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/softmax.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::nn {

namespace {

// Moves the class dim (1) of an (N, C, d1, ...) input last and flattens to (M, C), M = N·d1·...
Tensor to_rows(const Tensor& input) {
    if (input.dim() == 2) return input;  // already (M, C): no copy
    if (input.dim() == 1) return reshape(input, {1, static_cast<long>(input.shape()[0])});
    Tensor x = input;
    for (int d = 1; d + 1 < static_cast<int>(input.dim()); ++d) x = transpose(x, d, d + 1);
    return reshape(x, {-1, static_cast<long>(input.shape()[1])});
}

// The target's expected shape: the input's without the class dim.
Shape target_shape(const Shape& in) {
    Shape s;
    for (std::size_t i = 0; i < in.size(); ++i)
        if (i != (in.size() == 1 ? 0 : 1)) s.push_back(in[i]);
    return s;
}

// The core on rows: x (M, C); exactly one of ids (M) / probs (M, C) is given.
//   t_i = (1-ε)·target_i + ε/C;  loss_i = -Σ_c w_c t_ic (x_ic - lse_i);  lse_i = log Σ_c exp(x_ic)
//   dx_ic = g_i·(p_ic·Σ_k w_k t_ik - w_c t_ic),   p = softmax(x_i)
// (for class targets Σ_k w_k t_ik = (1-ε)·w_y + (ε/C)·Σ_k w_k, without building t).
Tensor ce_rows(const Tensor& x, const int64_t* ids, const Tensor* probs, const CrossEntropyOptions& o,
               const Shape& none_shape) {
    const std::size_t M = x.shape()[0], C = x.shape()[1];
    const double eps = o.label_smoothing;
    if (!(eps >= 0.0 && eps <= 1.0))
        throw ValueError(fmt::format("cross_entropy: label_smoothing must be in [0, 1], got {}", eps));
    std::vector<float> w(C, 1.0f);
    if (o.weight.defined()) {
        if (o.weight.dim() != 1 || o.weight.shape()[0] != C)
            throw ShapeError(fmt::format("cross_entropy: weight of shape {} for {} classes (expected ({}))",
                                         shape_str(o.weight.shape()), C, C));
        std::copy(o.weight.data().begin(), o.weight.data().end(), w.begin());
    }
    double wsum = 0;
    for (float v : w) wsum += v;
    const bool plain = ids && eps == 0.0 && !o.weight.defined();
    if (ids)
        for (std::size_t i = 0; i < M; ++i)
            if (ids[i] != o.ignore_index && (ids[i] < 0 || ids[i] >= static_cast<int64_t>(C)))
                throw IndexError(fmt::format("cross_entropy: target {} at position ({}) is out of range [0, {})",
                                             ids[i], i, C));

    Array p = Array::from_shape({M, C});
    // Per row: the loss and Σ_k w_k t_ik (doubles, one buffer), the log-sum-exp (float, as the kernel
    // gives it). A row whose target is ignore_index counts for nothing and gets a zero gradient.
    std::vector<double> per_row(2 * M, 0.0);
    double* loss = per_row.data();
    double* tw = per_row.data() + M;
    std::vector<float> lses(M);
    std::vector<int64_t> targets = ids ? std::vector<int64_t>(ids, ids + M) : std::vector<int64_t>();
    const int64_t ignore = o.ignore_index;
    // Rows are independent: split over threads (each row's numbers do not depend on the split).
    parallel_for(M, 1, 20.0 * double(M) * double(C), 2e6, [&](std::size_t r0, std::size_t r1) {
        // softmax and log-sum-exp of the whole range at once (ignored rows too: their gradient is set to 0)
        kernels::logsumexp_softmax_rows(x.data().data() + r0 * C, p.data() + r0 * C, r1 - r0, C, lses.data() + r0);
        for (std::size_t i = r0; i < r1; ++i) {
            const float* xi = x.data().data() + i * C;
            if (ids && ids[i] == ignore) continue;
            const double lse = lses[i];
            double l = 0;
            if (ids) {
                const auto y = static_cast<std::size_t>(ids[i]);
                l = (1 - eps) * w[y] * (lse - xi[y]);
                if (eps > 0) {  // the smoothing term; skipped at ε = 0 so a -inf logit elsewhere gives no 0·inf
                    double swx = 0;  // Σ_c w_c x_c
                    for (std::size_t c = 0; c < C; ++c) swx += double(w[c]) * xi[c];
                    l += (eps / C) * (lse * wsum - swx);
                }
                tw[i] = (1 - eps) * w[y] + (eps / C) * wsum;
            } else {
                const float* ti = probs->data().data() + i * C;
                double s = 0;
                for (std::size_t c = 0; c < C; ++c) {
                    const double t = (1 - eps) * ti[c] + eps / C;
                    l += w[c] * t * (lse - xi[c]);
                    s += w[c] * t;
                }
                tw[i] = s;
            }
            loss[i] = l;
        }
    });
    double denom = 0;  // Σ of the weights of the counted targets (in order: the same at any thread count)
    if (ids)
        for (std::size_t i = 0; i < M; ++i) denom += ids[i] == ignore ? 0.0 : w[static_cast<std::size_t>(ids[i])];
    else
        denom = static_cast<double>(M);

    Array out = empty_array();
    double total = 0;
    for (std::size_t i = 0; i < M; ++i) total += loss[i];
    if (o.reduction == Reduction::None) {
        out = Array::from_shape(none_shape);
        std::copy(loss, loss + M, out.begin());
    } else {
        out = Array::from_shape({});
        out() = static_cast<float>(o.reduction == Reduction::Mean ? total / denom : total);  // 0/0 = nan, as PyTorch
    }
    std::vector<Tensor> inputs = {x};
    if (probs) inputs.push_back(*probs);  // soft targets get a gradient too, as in PyTorch
    return record("cross_entropy", std::move(out), std::move(inputs),
                  [p = std::move(p), p_taken = false, plain, w = std::move(w), per_row = std::move(per_row),
                   lses = std::move(lses), targets = std::move(targets), ignore, eps, denom, M, C,
                   red = o.reduction](const Array& dy, const Array&, Inputs in) mutable {
                      const double* tw = per_row.data() + M;
                      auto ignored = [&](std::size_t i) { return !targets.empty() && targets[i] == ignore; };
                      // dL/dloss_i: dy_i (None), or the one dy shared by every row (Mean: / denom, once)
                      const double shared = red == Reduction::None ? 0.0 : red == Reduction::Mean ? dy() / denom : dy();
                      auto scale = [&](std::size_t i) -> double {
                          return red == Reduction::None ? dy.data()[i] : shared;
                      };
                      if (in.size() > 1 && in[1].requires_grad()) {  // dt_ic = -g_i·(1-ε)·w_c·(x_ic - lse_i)
                          Array dt = Array::from_shape({M, C});
                          for (std::size_t i = 0; i < M; ++i)
                              for (std::size_t c = 0; c < C; ++c)
                                  dt.data()[i * C + c] = static_cast<float>(
                                      -scale(i) * (1 - eps) * w[c] * (in[0].data().data()[i * C + c] - lses[i]));
                          in[1].accumulate_grad(std::move(dt));
                      }
                      if (!in[0].requires_grad()) return;
                      const Array* probs = in.size() > 1 ? &in[1].data() : nullptr;
                      // The saved softmax is read once, so its buffer becomes the gradient (one M×C buffer
                      // less at the peak); a second backward (retain_graph) computes the softmax again.
                      if (p_taken) {
                          p = Array::from_shape({M, C});
                          for (std::size_t i = 0; i < M; ++i)
                              if (!ignored(i))
                                  kernels::logsumexp_softmax_row(in[0].data().data() + i * C, p.data() + i * C, C);
                      }
                      Array dx = std::move(p);
                      p_taken = true;
                      parallel_for(M, 1, 4.0 * double(M) * double(C), 2e6, [&](std::size_t r0, std::size_t r1) {
                          for (std::size_t i = r0; i < r1; ++i) {
                              float* d = dx.data() + i * C;
                              if (ignored(i)) {
                                  std::fill_n(d, C, 0.0f);
                                  continue;
                              }
                              const double g = scale(i);
                              if (plain) {  // class targets, no weights, no smoothing: dx_i = g·p_i, dx_iy -= g
                                  const float gf = static_cast<float>(g);
                                  kernels::scale_row(d, gf, C);
                                  d[targets[i]] -= gf;
                                  continue;
                              }
                              const float* pi = d;  // the softmax row, overwritten element by element
                              for (std::size_t c = 0; c < C; ++c) {
                                  const bool y = !targets.empty() && c == static_cast<std::size_t>(targets[i]);
                                  const double t = targets.empty() ? (1 - eps) * probs->data()[i * C + c] + eps / C
                                                                   : (y ? 1 - eps : 0) + eps / C;
                                  d[c] = static_cast<float>(g * (pi[c] * tw[i] - w[c] * t));
                              }
                          }
                      });
                      in[0].accumulate_grad(std::move(dx));
                  });
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const IdArray& target, const CrossEntropyOptions& o) {
    if (input.dim() == 0)
        throw ShapeError("cross_entropy: input must be (C), (N, C) or (N, C, d1, ...), got a 0-dim tensor");
    const Shape want = target_shape(input.shape());
    const Shape got(target.shape().begin(), target.shape().end());
    if (got != want)
        throw ShapeError(fmt::format("cross_entropy: input of shape {} needs class-id targets of shape {}, got {}",
                                     shape_str(input.shape()), shape_str(want), shape_str(got)));
    return ce_rows(to_rows(input), target.data(), nullptr, o, want);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
    if (input.dim() == 0)
        throw ShapeError("cross_entropy: input must be (C), (N, C) or (N, C, d1, ...), got a 0-dim tensor");
    if (target.shape() != input.shape())
        throw ShapeError(fmt::format("cross_entropy: probability targets must have the input's shape {}, got {}",
                                     shape_str(input.shape()), shape_str(target.shape())));
    const Tensor t = to_rows(target);
    return ce_rows(to_rows(input), nullptr, &t, o, target_shape(input.shape()));
}

}  // namespace xgrad::nn
