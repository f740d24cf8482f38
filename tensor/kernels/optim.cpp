// Optimizer update kernels (see optim.hpp): xsimd over full vectors, the reference for the tail.
#include "tensor/kernels/optim.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/kernels/simd.hpp"

namespace xgrad::kernels {

using simd::kWidth;
using simd::load;
using simd::store;
using simd::Vec;

void adam_update_ref(float* p, const float* g, float* m, float* v, float* vmax, std::size_t n, const AdamCoefs& c) {
    for (std::size_t i = 0; i < n; ++i) {
        if (c.decay != 1.0f) p[i] = p[i] * c.decay;
        float gi = g[i];
        if (c.wd != 0.0f) gi = gi + c.wd * p[i];
        m[i] = m[i] + c.one_minus_b1 * (gi - m[i]);     // lerp(m, g, 1-β1)
        v[i] = v[i] * c.b2 + c.one_minus_b2 * gi * gi;  // mul_(β2).addcmul_(g, g, 1-β2)
        float vv = v[i];
        if (vmax) vv = vmax[i] = std::max(vmax[i], v[i]);
        const float denom = std::sqrt(vv) / c.bc2_sqrt + c.eps;
        p[i] = p[i] + c.neg_step * m[i] / denom;        // addcdiv_(m, denom, -step_size)
    }
}

void adam_update(float* p, const float* g, float* m, float* v, float* vmax, std::size_t n, const AdamCoefs& c) {
    const Vec decay(c.decay), wd(c.wd), omb1(c.one_minus_b1), b2(c.b2), omb2(c.one_minus_b2), bc2(c.bc2_sqrt),
        eps(c.eps), neg_step(c.neg_step);
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) {
        Vec pi = load(p + i);
        if (c.decay != 1.0f) pi = pi * decay;
        Vec gi = load(g + i);
        if (c.wd != 0.0f) gi = gi + wd * pi;
        Vec mi = load(m + i);
        mi = mi + omb1 * (gi - mi);
        const Vec vi = load(v + i) * b2 + omb2 * gi * gi;
        Vec vv = vi;
        if (vmax) {
            vv = xsimd::max(load(vmax + i), vi);
            store(vmax + i, vv);
        }
        const Vec denom = xsimd::sqrt(vv) / bc2 + eps;
        store(m + i, mi);
        store(v + i, vi);
        store(p + i, pi + neg_step * mi / denom);
    }
    adam_update_ref(p + i, g + i, m + i, v + i, vmax ? vmax + i : nullptr, n - i, c);
}

void sgd_update_ref(float* p, const float* g, float* buf, std::size_t n, const SgdCoefs& c) {
    for (std::size_t i = 0; i < n; ++i) {
        float d = g[i];
        if (c.wd != 0) d = d + c.wd * p[i];
        if (buf) {
            buf[i] = c.first ? d : buf[i] * c.momentum + c.damp * d;
            d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
        }
        p[i] = p[i] + c.neg_lr * d;
    }
}

void sgd_update(float* p, const float* g, float* buf, std::size_t n, const SgdCoefs& c) {
    const Vec wd(c.wd), mom(c.momentum), damp(c.damp), neg_lr(c.neg_lr);
    std::size_t i = 0;
    for (; i + kWidth <= n; i += kWidth) {
        const Vec pi = load(p + i);
        Vec d = load(g + i);
        if (c.wd != 0) d = d + wd * pi;
        if (buf) {
            const Vec b = c.first ? d : load(buf + i) * mom + damp * d;
            store(buf + i, b);
            d = c.nesterov ? d + mom * b : b;
        }
        store(p + i, pi + neg_lr * d);
    }
    sgd_update_ref(p + i, g + i, buf ? buf + i : nullptr, n - i, c);
}

}  // namespace xgrad::kernels
