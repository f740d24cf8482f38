// embedding: a row gather whose backward is a duplicate-safe scatter-add (dense) or a coalesced
// row-sparse gradient (sparse=true), with PyTorch's padding_idx, max_norm and scale_grad_by_freq.
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/functional.hpp"
#include "tensor/kernels/gather.hpp"

namespace xgrad::nn {

namespace {

// max_norm: rows looked up whose norm exceeds max_norm are scaled to max_norm, in place, as
// torch.embedding_renorm_: scale = max_norm / (norm + 1e-7).
void renorm_rows(const Tensor& weight, const IdArray& ids, double max_norm, double p, std::size_t D) {
    std::vector<int64_t> uniq(ids.begin(), ids.end());
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    bool changed = false;
    float* w = weight.impl().data.data();
    for (int64_t r : uniq) {
        float* row = w + r * static_cast<int64_t>(D);
        double norm = 0;
        if (std::isinf(p)) {
            for (std::size_t j = 0; j < D; ++j) norm = std::max(norm, double(std::abs(row[j])));
        } else {
            for (std::size_t j = 0; j < D; ++j) norm += std::pow(std::abs(double(row[j])), p);
            norm = std::pow(norm, 1.0 / p);
        }
        if (norm > max_norm) {
            const float scale = static_cast<float>(max_norm / (norm + 1e-7));
            for (std::size_t j = 0; j < D; ++j) row[j] *= scale;
            changed = true;
        }
    }
    if (changed) weight.mutable_data();  // bump the version: saved copies of the old weight are stale
}

// scale_grad_by_freq: 1 / count(ids[i]) for each position i.
std::vector<float> frequency_scales(const std::vector<int64_t>& ids) {
    std::unordered_map<int64_t, int> count;
    for (int64_t id : ids) ++count[id];
    std::vector<float> scales(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) scales[i] = 1.0f / static_cast<float>(count[ids[i]]);
    return scales;
}

// dweight (V, D) = scatter_add(ids, dy · scales), row pad set to exactly 0.
Array dense_grad(const std::vector<int64_t>& ids, const Array& dy, const std::vector<float>& scales, std::size_t V,
                 std::size_t D, std::optional<int64_t> pad) {
    const std::size_t n = ids.size();
    Array g = full_array({V, D}, 0.0f);
    if (scales.empty()) {
        kernels::scatter_add_rows(g.data(), V, D, ids.data(), n, dy.data());
    } else {  // scale first (one rounding, as the sparse path), then add
        Array scaled = new_array({n, D}, "embedding");
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < D; ++j) scaled.data()[i * D + j] = dy.data()[i * D + j] * scales[i];
        kernels::scatter_add_rows(g.data(), V, D, ids.data(), n, scaled.data());
    }
    if (pad) std::fill_n(g.data() + *pad * static_cast<int64_t>(D), D, 0.0f);
    return g;
}

// The row-sparse gradient: the rows looked up (but pad) with their dy · scales, one per position
// (accumulate_sparse_grad sums repeated rows).
void accumulate_sparse(const Tensor& weight, const std::vector<int64_t>& ids, const Array& dy, const std::vector<float>& scales,
                       std::size_t D, std::optional<int64_t> pad) {
    std::vector<int64_t> rows;
    std::vector<std::size_t> from;  // the position in ids of each row kept
    rows.reserve(ids.size());
    from.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (pad && ids[i] == *pad) continue;
        rows.push_back(ids[i]);
        from.push_back(i);
    }
    Array values = new_array({rows.size(), D}, "embedding");
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const float* src = dy.data() + from[k] * D;
        float* dst = values.data() + k * D;
        if (scales.empty()) std::copy(src, src + D, dst);
        else for (std::size_t j = 0; j < D; ++j) dst[j] = src[j] * scales[from[k]];
    }
    weight.accumulate_sparse_grad(rows, values);
}

}  // namespace

std::optional<int64_t> normalized_padding_idx(std::optional<long> padding_idx, std::size_t V, const char* who) {
    if (!padding_idx) return std::nullopt;
    const long p = *padding_idx, v = static_cast<long>(V);
    if (p < -v || p >= v) throw ValueError(fmt::format("{}: padding_idx {} must be within [-{}, {})", who, p, v, v));
    return p < 0 ? p + v : p;
}

// ids (*) → y (*, D), y[i] = weight[ids[i]]
//   dense:  dweight = scatter_add(ids, dy · scale)      (row padding_idx set to exactly 0)
//   sparse: dweight = rows(unique ids ≠ padding) with their summed dy · scale
//   scale_i = 1 / count(ids[i]) with scale_grad_by_freq, else 1
Tensor embedding(const IdArray& ids, const Tensor& weight, const EmbeddingOptions& o) {
    if (weight.dim() != 2)
        throw ShapeError(fmt::format("embedding: weight must be 2-D (num_embeddings, embedding_dim), got {}",
                                     shape_str(weight.shape())));
    const std::size_t V = weight.shape()[0], D = weight.shape()[1];
    check_ids(ids, V, "embedding");
    const std::optional<int64_t> pad = normalized_padding_idx(o.padding_idx, V, "embedding");
    if (o.max_norm) {
        NoGradGuard no_grad;
        renorm_rows(weight, ids, *o.max_norm, o.norm_type, D);
    }
    Shape ys(ids.shape().begin(), ids.shape().end());
    ys.push_back(D);
    Array y = new_array(ys, "embedding");
    kernels::gather_rows(weight.data().data(), D, ids.data(), ids.size(), y.data());
    if (!is_grad_enabled() || !weight.requires_grad()) return Tensor(std::move(y));  // no graph: no backward to build

    // The backward keeps its own copy of the ids (the caller may reuse its array), as a plain vector:
    // IdArray's aligned allocation is the slow path of malloc, on every step.
    return record("embedding", std::move(y), {weight}, [ids = std::vector<int64_t>(ids.begin(), ids.end()), V, D, pad,
                                                        o](const Array& dy, const Array&, Inputs in) {
        const std::vector<float> scales = o.scale_grad_by_freq ? frequency_scales(ids) : std::vector<float>{};
        if (o.sparse) accumulate_sparse(in[0], ids, dy, scales, D, pad);
        else in[0].accumulate_grad(dense_grad(ids, dy, scales, V, D, pad));
    });
}

Tensor embedding(const xt::xarray<int32_t>& ids, const Tensor& weight, const EmbeddingOptions& o) {
    return embedding(to_ids(ids), weight, o);
}

}  // namespace xgrad::nn
