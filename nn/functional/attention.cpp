// scaled_dot_product_attention: PyTorch 2's F.scaled_dot_product_attention as one op:
//   y = dropout(softmax(q kᵀ · scale + causal mask)) v
// over leading batch dims (..., L, E) × (..., S, E) × (..., S, Ev) → (..., L, Ev). The causal mask is
// applied by loop bounds, never built. Without dropout the op runs in blocks (tensor/kernels/
// flash_attention.hpp, PyTorch's flash backend): it keeps each query's log-sum-exp, and backward
// recomputes the probabilities block by block — memory O(L) a head, not O(L·S). With dropout it keeps
// the probabilities P and torch's mask D (tensor/kernels/attention.hpp), so its draws match PyTorch's.
#include <fmt/format.h>

#include <optional>

#include "nn/functional.hpp"
#include "tensor/kernels/attention.hpp"
#include "tensor/kernels/flash_attention.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::nn {

namespace {

// The sizes of one op: nb stacked (batch…) problems of L queries and S keys.
kernels::AttentionDims attention_dims(const Shape& q, const Shape& k, const Shape& v, std::size_t& nb, bool causal,
                                      std::optional<double> scale) {
    auto fail = [&](const std::string& why) {
        return ShapeError(fmt::format("scaled_dot_product_attention: query {}, key {}, value {}: {}", shape_str(q),
                                      shape_str(k), shape_str(v), why));
    };
    if (q.size() < 2 || k.size() != q.size() || v.size() != q.size())
        throw fail("expected three tensors (..., L, E), (..., S, E), (..., S, Ev) of the same rank ≥ 2");
    const std::size_t r = q.size();
    if (!std::equal(q.begin(), q.end() - 2, k.begin()) || !std::equal(q.begin(), q.end() - 2, v.begin()))
        throw fail("their batch dims differ");
    if (k[r - 1] != q[r - 1]) throw fail(fmt::format("query width {} ≠ key width {}", q[r - 1], k[r - 1]));
    if (v[r - 2] != k[r - 2]) throw fail(fmt::format("{} keys but {} values", k[r - 2], v[r - 2]));
    nb = shape_numel(Shape(q.begin(), q.end() - 2));
    const std::size_t E = q[r - 1];
    const double s = scale ? *scale : (E > 0 ? 1.0 / std::sqrt(double(E)) : 1.0);
    return {q[r - 2], k[r - 2], E, v[r - 1], static_cast<float>(s), causal, 0};
}

// Without dropout: the blocked kernels, each (batch…) problem a task; saves lse (nb × L floats).
Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const kernels::AttentionDims& d,
                       std::size_t nb) {
    Shape ys = q.shape();
    ys.back() = d.Ev;
    Array y = new_array(ys, "scaled_dot_product_attention"), lse = new_array({nb, d.L}, "scaled_dot_product_attention");
    const float *Q = q.data().data(), *K = k.data().data(), *V = v.data().data();
    const double flops = 4.0 * double(nb) * double(d.L * d.S) * double(d.E + d.Ev);
    parallel_for(nb, 1, flops, 2e5, [&](std::size_t b0, std::size_t b1) {
        std::vector<float> scratch(kernels::kFlashScratch);
        for (std::size_t b = b0; b < b1; ++b)
            kernels::flash_attention_forward(d, Q + b * d.L * d.E, K + b * d.S * d.E, d.E, V + b * d.S * d.Ev, d.Ev,
                                             y.data() + b * d.L * d.Ev, lse.data() + b * d.L, scratch.data());
    });
    if (!is_grad_enabled()) return Tensor(std::move(y));
    return record("scaled_dot_product_attention", std::move(y), {q, k, v},
                  [d, nb, flops, lse = std::move(lse)](const Array& dy, const Array& y, Inputs in) {
        const char* op = "scaled_dot_product_attention backward";
        Array dq = new_array(in[0].shape(), op), dk = new_array(in[1].shape(), op), dv = new_array(in[2].shape(), op);
        parallel_for(nb, 1, 2 * flops, 2e5, [&](std::size_t b0, std::size_t b1) {
            std::vector<float> scratch(kernels::kFlashScratch);
            for (std::size_t b = b0; b < b1; ++b) {
                const std::size_t qo = b * d.L * d.E, ko = b * d.S * d.E, vo = b * d.S * d.Ev, oo = b * d.L * d.Ev;
                kernels::flash_attention_backward(d, in[0].data().data() + qo, in[1].data().data() + ko,
                                                  in[2].data().data() + vo, y.data() + oo, lse.data() + b * d.L,
                                                  dy.data() + oo, dq.data() + qo, dk.data() + ko, dv.data() + vo,
                                                  scratch.data());
            }
        });
        in[0].accumulate_grad(std::move(dq));
        in[1].accumulate_grad(std::move(dk));
        in[2].accumulate_grad(std::move(dv));
    }, BackwardReads::InputsAndOutput);
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p,
                                    bool is_causal, std::optional<double> scale, Generator& gen) {
    if (!(dropout_p >= 0.0 && dropout_p <= 1.0))
        throw ValueError(fmt::format("scaled_dot_product_attention: dropout_p = {} must be within [0, 1]", dropout_p));
    std::size_t nb = 0;
    const kernels::AttentionDims d = attention_dims(q.shape(), k.shape(), v.shape(), nb, is_causal, scale);
    if (dropout_p == 0.0) return flash_attention(q, k, v, d, nb);
    const std::size_t LS = d.L * d.S;
    // D: torch's dropout mask over the (…, L, S) weights, drawn in row-major order (masked entries too)
    Shape ds = q.shape();
    ds.back() = d.S;
    Array D = new_array(ds, "scaled_dot_product_attention");
    const double keep = 1.0 - dropout_p;
    const float drop_scale = dropout_p == 1.0 ? 0.0f : 1.0f / static_cast<float>(keep);
    gen.bernoulli_mask({D.data(), D.size()}, keep, drop_scale);
    Shape ps = q.shape(), ys = q.shape();
    ps.back() = d.S;
    ys.back() = d.Ev;
    Array P = new_array(ps, "scaled_dot_product_attention"), y = new_array(ys, "scaled_dot_product_attention");
    const float *Q = q.data().data(), *K = k.data().data(), *V = v.data().data();
    const double flops = 4.0 * double(nb) * double(LS) * double(d.E + d.Ev);
    parallel_for(nb, 1, flops, 2e5, [&](std::size_t b0, std::size_t b1) {
        std::vector<float> scratch(LS);
        for (std::size_t b = b0; b < b1; ++b)
            kernels::attention_forward(d, Q + b * d.L * d.E, K + b * d.S * d.E, d.E, V + b * d.S * d.Ev, d.Ev,
                                       D.data() + b * LS, P.data() + b * LS, y.data() + b * d.L * d.Ev, scratch.data());
    });
    if (!is_grad_enabled()) return Tensor(std::move(y));
    return record("scaled_dot_product_attention", std::move(y), {q, k, v},
                  [d, nb, flops, P = std::move(P), D = std::move(D)](const Array& dy, const Array&, Inputs in) {
        const char* op = "scaled_dot_product_attention backward";
        Array dq = new_array(in[0].shape(), op), dk = new_array(in[1].shape(), op), dv = new_array(in[2].shape(), op);
        const std::size_t LS = d.L * d.S;
        parallel_for(nb, 1, 2 * flops, 2e5, [&](std::size_t b0, std::size_t b1) {
            std::vector<float> scratch(2 * LS);
            for (std::size_t b = b0; b < b1; ++b)
                kernels::attention_backward(d, in[0].data().data() + b * d.L * d.E, in[1].data().data() + b * d.S * d.E,
                                            in[2].data().data() + b * d.S * d.Ev, D.data() + b * LS,
                                            P.data() + b * LS, dy.data() + b * d.L * d.Ev, dq.data() + b * d.L * d.E,
                                            dk.data() + b * d.S * d.E, dv.data() + b * d.S * d.Ev, scratch.data());
        });
        in[0].accumulate_grad(std::move(dq));
        in[1].accumulate_grad(std::move(dk));
        in[2].accumulate_grad(std::move(dv));
    });
}

}  // namespace xgrad::nn

namespace xgrad::nn {

// Appends k, v (B, H, T, hd) at positions length … length+T-1 of the cache, then attends causally:
// query t (at position length + t) sees cached keys 0 … length + t. Inference only: records no graph.
Tensor cached_attention(const Tensor& q, const Tensor& k, const Tensor& v, KVCache& cache) {
    std::size_t nb = 0;
    kernels::AttentionDims d = attention_dims(q.shape(), k.shape(), v.shape(), nb, true, std::nullopt);
    if (q.dim() != 4 || d.Ev != d.E || d.L != d.S)
        throw ShapeError(fmt::format("cached_attention: expected q, k, v of one shape (B, H, T, hd), got {}, {}, {}",
                                     shape_str(q.shape()), shape_str(k.shape()), shape_str(v.shape())));
    const Shape want{q.shape()[0], q.shape()[1], cache.capacity, d.E};
    if (cache.k.size() == 0 || cache.k.shape() != want) {
        if (cache.length > 0)
            throw ShapeError(fmt::format("cached_attention: the cache holds {} positions of shape {}, the new keys are {}",
                                         cache.length, shape_str(cache.k.shape()), shape_str(k.shape())));
        cache.k = new_array(want, "cached_attention");
        cache.v = new_array(want, "cached_attention");
    }
    const std::size_t T = d.L, cap = cache.capacity, hd = d.E;
    if (cache.length + T > cap)
        throw ValueError(fmt::format("cached_attention: {} cached + {} new positions exceed the cache's {} (the context length)",
                                     cache.length, T, cap));
    for (std::size_t b = 0; b < nb; ++b)  // copy the new rows in place
        for (std::size_t t = 0; t < T; ++t)
            for (std::size_t e = 0; e < hd; ++e) {
                const std::size_t to = (b * cap + cache.length + t) * hd + e, from = (b * T + t) * hd + e;
                cache.k.data()[to] = k.data().data()[from];
                cache.v.data()[to] = v.data().data()[from];
            }
    d.S = cache.length + T;
    d.offset = cache.length;
    Array y = new_array(q.shape(), "cached_attention");
    parallel_for(nb, 1, 4.0 * double(nb) * double(T * d.S * hd), 2e5, [&](std::size_t b0, std::size_t b1) {
        std::vector<float> scratch(kernels::kFlashScratch), lse(T);
        for (std::size_t b = b0; b < b1; ++b)
            kernels::flash_attention_forward(d, q.data().data() + b * T * hd, cache.k.data() + b * cap * hd, hd,
                                             cache.v.data() + b * cap * hd, hd, y.data() + b * T * hd, lse.data(),
                                             scratch.data());
    });
    cache.length += T;
    return Tensor(std::move(y));
}

}  // namespace xgrad::nn
