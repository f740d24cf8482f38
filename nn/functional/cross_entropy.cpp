// cross_entropy: one fused, stable op from logits (log-sum-exp with the max subtracted). Its backward
// writes (softmax - target)·scale straight into dx; no one-hot matrix and no log_softmax tensor is made.
#include <cmath>
#include <optional>

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

// The class weights w_c (1 without a weight tensor), checked against C.
std::vector<float> class_weights(const CrossEntropyOptions& o, std::size_t C) {
    std::vector<float> w(C, 1.0f);
    if (o.weight.defined()) {
        if (o.weight.dim() != 1 || o.weight.shape()[0] != C)
            throw ShapeError(fmt::format("cross_entropy: weight of shape {} for {} classes (expected ({}))",
                                         shape_str(o.weight.shape()), C, C));
        std::copy(o.weight.data().begin(), o.weight.data().end(), w.begin());
    }
    return w;
}

// What the rows' forward and backward share. The targets are class ids (`ids`, M; ignore_index rows
// count for nothing and get a zero gradient) or, when `ids` is empty, probabilities (M, C) passed to
// each call; with label smoothing ε the target of row i, class c is t_ic = (1-ε)·target_ic + ε/C.
struct CeRows {
    std::size_t M, C;
    double eps;
    std::vector<float> w;      // class weights
    double wsum = 0;           // Σ_c w_c
    std::vector<int64_t> ids;  // class targets, or empty
    int64_t ignore;
    bool plain;                // class targets, no weights, no smoothing: the gradient's fast path
    std::vector<double> tw;    // Σ_k w_k t_ik per row
    std::vector<float> lses;   // log Σ_c exp(x_ic) per row

    bool ignored(std::size_t i) const { return !ids.empty() && ids[i] == ignore; }
    double target(std::size_t i, std::size_t c, const float* probs) const {
        if (ids.empty()) return (1 - eps) * probs[i * C + c] + eps / C;
        return (c == static_cast<std::size_t>(ids[i]) ? 1 - eps : 0) + eps / C;
    }
};

// loss_i = -Σ_c w_c t_ic (x_ic - lse_i) for every row, with tw and lses filled and p = softmax(x)
// (rows split over threads; each row's numbers do not depend on the split). For class targets
// Σ_k w_k t_ik = (1-ε)·w_y + (ε/C)·Σ_k w_k, without building t.
std::vector<double> row_losses(CeRows& st, const float* x, const float* probs, Array& p) {
    const std::size_t M = st.M, C = st.C;
    const double eps = st.eps;
    std::vector<double> loss(M, 0.0);
    parallel_for(M, 1, 20.0 * double(M) * double(C), 2e6, [&](std::size_t r0, std::size_t r1) {
        // softmax and log-sum-exp of the whole range at once (ignored rows too: their gradient is set to 0)
        kernels::logsumexp_softmax_rows(x + r0 * C, p.data() + r0 * C, r1 - r0, C, st.lses.data() + r0);
        for (std::size_t i = r0; i < r1; ++i) {
            if (st.ignored(i)) continue;
            const float* xi = x + i * C;
            const double lse = st.lses[i];
            double l = 0;
            if (!st.ids.empty()) {
                const auto y = static_cast<std::size_t>(st.ids[i]);
                l = (1 - eps) * st.w[y] * (lse - xi[y]);
                if (eps > 0) {  // the smoothing term; skipped at ε = 0 so a -inf logit elsewhere gives no 0·inf
                    double swx = 0;  // Σ_c w_c x_c
                    for (std::size_t c = 0; c < C; ++c) swx += double(st.w[c]) * xi[c];
                    l += (eps / C) * (lse * st.wsum - swx);
                }
                st.tw[i] = (1 - eps) * st.w[y] + (eps / C) * st.wsum;
            } else {
                double s = 0;
                for (std::size_t c = 0; c < C; ++c) {
                    const double t = st.target(i, c, probs);
                    l += st.w[c] * t * (lse - xi[c]);
                    s += st.w[c] * t;
                }
                st.tw[i] = s;
            }
            loss[i] = l;
        }
    });
    return loss;
}

// dx_ic = g_i·(p_ic·Σ_k w_k t_ik - w_c t_ic), written over the softmax p (rows split over threads).
// scale(i) is g_i = dL/dloss_i.
template <class Scale>
Array logits_grad(const CeRows& st, Array p, const float* probs, Scale scale) {
    const std::size_t C = st.C;
    parallel_for(st.M, 1, 4.0 * double(st.M) * double(C), 2e6, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t i = r0; i < r1; ++i) {
            float* d = p.data() + i * C;
            if (st.ignored(i)) {
                std::fill_n(d, C, 0.0f);
                continue;
            }
            const double g = scale(i);
            if (st.plain) {  // dx_i = g·p_i, dx_iy -= g
                const float gf = static_cast<float>(g);
                kernels::scale_row(d, gf, C);
                d[st.ids[i]] -= gf;
                continue;
            }
            for (std::size_t c = 0; c < C; ++c)  // d[c] is p_ic until this overwrites it
                d[c] = static_cast<float>(g * (d[c] * st.tw[i] - st.w[c] * st.target(i, c, probs)));
        }
    });
    return p;
}

// The core on rows: x (M, C), st's targets (probs (M, C) when they are probabilities).
Tensor ce_rows(const Tensor& x, CeRows st, const Tensor* probs, Reduction reduction, const Shape& none_shape) {
    const std::size_t M = st.M, C = st.C;
    Array p = new_array({M, C}, "cross_entropy");
    const std::vector<double> loss = row_losses(st, x.data().data(), probs ? probs->data().data() : nullptr, p);
    double denom = 0;  // Σ of the weights of the counted targets (in order: the same at any thread count)
    if (!st.ids.empty())
        for (std::size_t i = 0; i < M; ++i) denom += st.ignored(i) ? 0.0 : st.w[static_cast<std::size_t>(st.ids[i])];
    else
        denom = static_cast<double>(M);
    double total = 0;
    for (std::size_t i = 0; i < M; ++i) total += loss[i];
    Array out = empty_array();
    if (reduction == Reduction::None) {
        out = new_array(none_shape, "cross_entropy");
        std::copy(loss.begin(), loss.end(), out.begin());
    } else {
        out = new_array({}, "cross_entropy");
        out() = static_cast<float>(reduction == Reduction::Mean ? total / denom : total);  // 0/0 = nan, as PyTorch
    }
    std::vector<Tensor> inputs = {x};
    if (probs) inputs.push_back(*probs);  // soft targets get a gradient too, as in PyTorch
    // The saved softmax is read once, so its buffer becomes the gradient (one M×C buffer less at the
    // peak); a second backward (retain_graph) computes the softmax again.
    return record("cross_entropy", std::move(out), std::move(inputs),
                  [st = std::move(st), saved = std::optional<Array>(std::move(p)), denom,
                   reduction](const Array& dy, const Array&, Inputs in) mutable {
        const std::size_t M = st.M, C = st.C;
        // dL/dloss_i: dy_i (None), or the one dy shared by every row (Mean: / denom, once)
        const double shared = reduction == Reduction::None ? 0.0 : reduction == Reduction::Mean ? dy() / denom : dy();
        auto scale = [&](std::size_t i) -> double { return reduction == Reduction::None ? dy.data()[i] : shared; };
        const float* x = in[0].data().data();
        if (in.size() > 1 && in[1].requires_grad()) {  // dt_ic = -g_i·(1-ε)·w_c·(x_ic - lse_i)
            Array dt = new_array({M, C}, "cross_entropy");
            for (std::size_t i = 0; i < M; ++i)
                for (std::size_t c = 0; c < C; ++c)
                    dt.data()[i * C + c] = static_cast<float>(-scale(i) * (1 - st.eps) * st.w[c] * (x[i * C + c] - st.lses[i]));
            in[1].accumulate_grad(std::move(dt));
        }
        if (!in[0].requires_grad()) return;
        if (!saved) {
            saved = new_array({M, C}, "cross_entropy");
            for (std::size_t i = 0; i < M; ++i)
                if (!st.ignored(i)) kernels::logsumexp_softmax_row(x + i * C, saved->data() + i * C, C);
        }
        Array p = std::move(*saved);
        saved.reset();
        in[0].accumulate_grad(logits_grad(st, std::move(p), in.size() > 1 ? in[1].data().data() : nullptr, scale));
    });
}

// The shared state for M rows of C classes, with the options checked.
CeRows make_rows(std::size_t M, std::size_t C, const int64_t* ids, const CrossEntropyOptions& o) {
    if (!(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0))
        throw ValueError(fmt::format("cross_entropy: label_smoothing must be in [0, 1], got {}", o.label_smoothing));
    CeRows st{M, C, o.label_smoothing, class_weights(o, C), 0.0, {}, o.ignore_index, false, std::vector<double>(M, 0.0),
              std::vector<float>(M)};
    for (float v : st.w) st.wsum += v;
    if (ids) {
        for (std::size_t i = 0; i < M; ++i)
            if (ids[i] != o.ignore_index && (ids[i] < 0 || ids[i] >= static_cast<int64_t>(C)))
                throw IndexError(fmt::format("cross_entropy: target {} at position ({}) is out of range [0, {})",
                                             ids[i], i, C));
        st.ids.assign(ids, ids + M);
        st.plain = st.eps == 0.0 && !o.weight.defined();
    }
    return st;
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
    const Tensor x = to_rows(input);
    return ce_rows(x, make_rows(x.shape()[0], x.shape()[1], target.data(), o), nullptr, o.reduction, want);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
    if (input.dim() == 0)
        throw ShapeError("cross_entropy: input must be (C), (N, C) or (N, C, d1, ...), got a 0-dim tensor");
    if (target.shape() != input.shape())
        throw ShapeError(fmt::format("cross_entropy: probability targets must have the input's shape {}, got {}",
                                     shape_str(input.shape()), shape_str(target.shape())));
    const Tensor x = to_rows(input), t = to_rows(target);
    return ce_rows(x, make_rows(x.shape()[0], x.shape()[1], nullptr, o), &t, o.reduction, target_shape(input.shape()));
}

}  // namespace xgrad::nn
