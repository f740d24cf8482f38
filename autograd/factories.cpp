// The factories: zeros, ones, full, arange, linspace, tensor() from nested braces, from_vector, and the
// random ones (randn, rand, uniform), with SkipInitGuard that leaves the random ones uninitialised.
#include <cmath>

#include <fmt/format.h>

#include "autograd/tensor.hpp"
#include "tensor/array.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {
thread_local bool g_skip_init = false;
}  // namespace

SkipInitGuard::SkipInitGuard() : previous_(g_skip_init) { g_skip_init = true; }
SkipInitGuard::~SkipInitGuard() { g_skip_init = previous_; }

Tensor zeros(const Sizes& shape) { return Tensor(full_array(shape, 0.0f, "zeros")); }
Tensor ones(const Sizes& shape) { return Tensor(full_array(shape, 1.0f, "ones")); }
Tensor full(const Sizes& shape, float value) { return Tensor(full_array(shape, value, "full")); }
Tensor arange(float end) { return arange(0.0f, end, 1.0f); }
Tensor arange(float start, float end, float step) {
    if (!std::isfinite(start) || !std::isfinite(end))
        throw ValueError(fmt::format("arange: unsupported range: {} -> {}", start, end));
    if (step == 0.0f || !std::isfinite(step)) throw ValueError(fmt::format("arange: step must be finite and non-zero, got {}", step));
    const double n = std::max(0.0, std::ceil((double(end) - start) / step));
    if (n > double(std::size_t(1) << 40))  // more than new_array's 1 TiB; and the cast below stays defined
        throw ValueError(fmt::format("arange: {} -> {} by {} is {} elements, too many to allocate", start, end, step, n));
    Array a = new_array({static_cast<std::size_t>(n)}, "arange");
    for (std::size_t i = 0; i < a.size(); ++i) a(i) = static_cast<float>(start + double(step) * i);
    return Tensor(std::move(a));
}
// torch.linspace's CPU kernel (AVX2 build): value i = fma(step, i, start) below steps / 2, else
// fma(-step, steps-1-i, end); in its vectorised part, blocks of 16 are two runs of 8 that each take the
// formula's value at their first index and add j·step (j = 1…7) to it. Bit for bit PyTorch's numbers.
Tensor linspace(float start, float end, long steps) {
    if (steps < 0) throw ValueError(fmt::format("linspace: number of steps must be non-negative, got {}", steps));
    if (!std::isfinite(start) || !std::isfinite(end))
        throw ValueError(fmt::format("linspace: unsupported range: {} -> {}", start, end));
    Array a = new_array({static_cast<std::size_t>(steps)}, "linspace");
    if (steps == 1) a(0) = start;
    if (steps <= 1) return Tensor(std::move(a));
    const float step = (end - start) / static_cast<float>(steps - 1);
    auto value = [&](long i) {
        return i < steps / 2 ? std::fma(step, float(i), start) : std::fma(-step, float(steps - 1 - i), end);
    };
    const long vectorised = steps / 16 * 16;
    for (long i = 0; i < vectorised; i += 8) {
        const float base = value(i);
        a(i) = base;
        for (long j = 1; j < 8; ++j) {
            const float inc = float(j) * step;  // rounded on its own: not fused into an fma with the add
            a(i + j) = base + inc;
        }
    }
    for (long i = vectorised; i < steps; ++i) a(i) = value(i);
    return Tensor(std::move(a));
}

Shape TensorData::shape() const {
    if (scalar_) return {};
    Shape s{items_.size()};
    if (items_.empty()) return s;
    const Shape inner = items_[0].shape();
    for (std::size_t i = 1; i < items_.size(); ++i)
        if (items_[i].shape() != inner)
            throw ShapeError(fmt::format("tensor: ragged nested list: item 0 has shape {}, item {} has shape {}",
                                         shape_str(inner), i, shape_str(items_[i].shape())));
    s.insert(s.end(), inner.begin(), inner.end());
    return s;
}

void TensorData::flatten(std::vector<float>& out) const {
    if (scalar_) return out.push_back(value_);
    for (const TensorData& item : items_) item.flatten(out);
}

Tensor tensor(const TensorData& values) {
    std::vector<float> flat;
    values.flatten(flat);
    return from_vector(flat, values.shape());
}

Tensor from_vector(const std::vector<float>& values, const Sizes& shape) {
    if (values.size() != shape_numel(shape))
        throw ShapeError(fmt::format("from_vector: {} values cannot fill shape {} ({} elements)", values.size(),
                                     shape_str(shape), shape_numel(shape)));
    Array a = Array::from_shape(shape.shape());
    std::copy(values.begin(), values.end(), a.begin());
    return Tensor(std::move(a));
}

Tensor randn(const Sizes& shape, Generator& gen) {
    Array a = new_array(shape, "randn");
    if (!g_skip_init) gen.normal(std::span<float>(a.data(), a.size()));  // torch.randn's two paths: below 16 elements and from 16
    return Tensor(std::move(a));
}
Tensor rand(const Sizes& shape, Generator& gen) {
    Array a = new_array(shape, "rand");
    if (!g_skip_init)
        for (auto& v : a) v = gen.uniform();
    return Tensor(std::move(a));
}
Tensor uniform(const Sizes& shape, float lo, float hi, Generator& gen) {
    Array a = new_array(shape, "uniform");
    if (!g_skip_init)
        for (auto& v : a) v = gen.uniform(lo, hi);
    return Tensor(std::move(a));
}

}  // namespace xgrad
