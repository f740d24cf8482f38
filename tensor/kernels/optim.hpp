// Optimizer updates as one pass over a run of elements (a whole parameter, a span between frozen rows,
// or one touched row of a row-sparse gradient). Each has a scalar reference beside it; both do the
// same float operations in the same order as PyTorch's single-tensor code (no fused multiply-add),
// so the vectorised and the reference results are bit-identical.
#pragma once
#include <cstddef>

namespace xgrad::kernels {

/// Adam/AdamW with the step's constants folded (see nn/optim/adam.cpp):
///   p ← p·decay                     (AdamW's decoupled weight decay; decay = 1 − lr·wd, else 1)
///   g ← g + wd·p                    (Adam's L2 weight decay; wd = 0 for AdamW)
///   m ← m + (1−β1)·(g − m)          v ← v·β2 + (1−β2)·g·g          v̂ ← max(v̂, v) if amsgrad
///   p ← p + neg_step·m / (sqrt(v or v̂)/sqrt(1−β2ᵗ) + eps),   neg_step = −lr/(1−β1ᵗ)
struct AdamCoefs {
    float b1, b2, one_minus_b1, one_minus_b2, wd, decay, bc2_sqrt, neg_step, eps;
};
/// p, g, m, v: n elements; vmax: n elements, or null without amsgrad.
void adam_update(float* p, const float* g, float* m, float* v, float* vmax, std::size_t n, const AdamCoefs& c);
void adam_update_ref(float* p, const float* g, float* m, float* v, float* vmax, std::size_t n, const AdamCoefs& c);

/// SGD:  d ← g + wd·p;  with momentum: buf ← d (first step) or buf·μ + (1−dampening)·d,
///       d ← d + μ·buf (nesterov) or buf;   p ← p + neg_lr·d.
struct SgdCoefs {
    float wd, momentum, damp, neg_lr;
    bool nesterov, first;
};
/// p, g: n elements; buf: n elements, or null without momentum.
void sgd_update(float* p, const float* g, float* buf, std::size_t n, const SgdCoefs& c);
void sgd_update_ref(float* p, const float* g, float* buf, std::size_t n, const SgdCoefs& c);

}  // namespace xgrad::kernels
