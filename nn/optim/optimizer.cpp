// Optimizer bookkeeping (groups, state save/load, the deprecated frozen rows) and clip_grad_norm.
#include "nn/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

namespace xgrad::nn {

std::size_t Optimizer::add_group(std::vector<Tensor> params, const char* optimizer) {
    std::set<const TensorImpl*> seen;
    for (const auto& g : group_params_)
        for (const auto& p : g) seen.insert(p.impl_ptr().get());
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!params[i].defined()) throw ValueError(fmt::format("{}: parameter {} of a group is undefined", optimizer, i));
        if (!seen.insert(params[i].impl_ptr().get()).second)
            throw ValueError(fmt::format("{}: a parameter of shape {} appears twice (in one or two groups)", optimizer,
                                         shape_str(params[i].shape())));
    }
    states_.resize(states_.size() + params.size());
    group_params_.push_back(std::move(params));
    return group_params_.size() - 1;
}

std::vector<Tensor> Optimizer::params() const {
    std::vector<Tensor> out;
    for (const auto& g : group_params_) out.insert(out.end(), g.begin(), g.end());
    return out;
}

void Optimizer::zero_grad() {
    for (const auto& g : group_params_)
        for (const auto& p : g) p.zero_grad();
}

void Optimizer::for_each_param(const std::function<void(const Tensor&, ParamState&, std::size_t)>& fn) {
    std::size_t i = 0;
    for (std::size_t g = 0; g < group_params_.size(); ++g)
        for (const auto& p : group_params_[g]) {
            ParamState& st = states_[i++];
            if (p.has_grad()) fn(p, st, g);
        }
}

bool Optimizer::is_frozen(const Tensor& p, int64_t r) {
    const auto& f = p.impl().frozen_rows;
    return std::find(f.begin(), f.end(), r) != f.end();
}

void Optimizer::for_each_free_span(const Tensor& p, RangeFn fn) {
    const auto& frozen = p.impl().frozen_rows;
    if (frozen.empty() || p.dim() == 0) return fn(0, p.numel());
    const std::size_t rows = p.shape()[0], D = rows ? p.numel() / rows : 0;
    std::vector<int64_t> f = frozen;
    std::sort(f.begin(), f.end());
    std::size_t r = 0;
    for (int64_t fr : f) {
        if (static_cast<std::size_t>(fr) > r) fn(r * D, static_cast<std::size_t>(fr) * D);
        r = static_cast<std::size_t>(fr) + 1;
    }
    if (r < rows) fn(r * D, rows * D);
}

Array& Optimizer::buffer(ParamState& state, const std::string& name, const Tensor& p) {
    auto it = state.buffers.find(name);
    if (it == state.buffers.end()) it = state.buffers.emplace(name, Tensor(full_array(p.shape(), 0.0f))).first;
    if (it->second.shape() != p.shape())
        throw ShapeError(fmt::format("optimizer: the state '{}' of a parameter has shape {}, but the parameter now has "
                                     "shape {} (it changed after the optimizer's first step; make a new optimizer for it)",
                                     name, shape_str(it->second.shape()), shape_str(p.shape())));
    if (p.has_grad() && !p.has_sparse_grad() && p.grad_data().shape() != p.shape())
        throw ShapeError(fmt::format("optimizer: a parameter of shape {} has a gradient of shape {}",
                                     shape_str(p.shape()), shape_str(p.grad_data().shape())));
    return it->second.impl().data;  // the optimizer's own state, in no graph: no version to bump
}

OptimizerState Optimizer::state_dict() const {
    OptimizerState s;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        for (const auto& [name, a] : states_[i].buffers) s.tensors[fmt::format("{}.{}", i, name)] = a;
        s.scalars[fmt::format("{}.step", i)] = std::to_string(states_[i].step);
    }
    for (std::size_t g = 0; g < num_groups(); ++g) s.scalars[fmt::format("group.{}.lr", g)] = fmt::format("{:.17g}", lr(g));
    return s;
}

namespace {
// A saved scalar as a number; anything else (text, overflow, a trailing "x") is a ValueError naming the key.
template <class T>
T parse_scalar(const std::string& key, const std::string& text) {
    std::size_t used = 0;
    T v{};
    try {
        if constexpr (std::is_integral_v<T>) v = static_cast<T>(std::stoll(text, &used));
        else v = static_cast<T>(std::stod(text, &used));
    } catch (const std::logic_error&) {
        used = 0;
    }
    if (used == 0 || used != text.size())
        throw ValueError(fmt::format("optimizer load_state_dict: \"{}\" is \"{}\", not a number", key, text));
    return v;
}
}  // namespace

void Optimizer::load_state_dict(const OptimizerState& s) { load_state(s, true); }
void Optimizer::load_state_dict(OptimizerState&& s) { load_state(s, false); }

void Optimizer::load_state(const OptimizerState& s, bool copy) {
    const std::vector<Tensor> ps = params();
    std::vector<ParamState> loaded(ps.size());
    for (const auto& [key, a] : s.tensors) {
        const auto dot = key.find('.');
        std::size_t i = 0;
        try {
            i = std::stoul(key.substr(0, dot));
        } catch (const std::exception&) {
            throw ValueError(fmt::format("optimizer load_state_dict: bad key \"{}\" (expected <index>.<name>)", key));
        }
        if (dot == std::string::npos || i >= ps.size())
            throw ValueError(fmt::format("optimizer load_state_dict: key \"{}\" names parameter {}, but the optimizer "
                                         "has {}", key, i, ps.size()));
        if (a.shape() != ps[i].shape())
            throw ShapeError(fmt::format("optimizer load_state_dict: \"{}\" has shape {} but parameter {} has shape {}",
                                         key, shape_str(a.shape()), i, shape_str(ps[i].shape())));
        loaded[i].buffers[key.substr(dot + 1)] = copy ? Tensor(a.data()) : a;
    }
    for (std::size_t i = 0; i < ps.size(); ++i)
        if (auto it = s.scalars.find(fmt::format("{}.step", i)); it != s.scalars.end()) {
            loaded[i].step = parse_scalar<long long>(it->first, it->second);
            if (loaded[i].step < 0)
                throw ValueError(fmt::format("optimizer load_state_dict: \"{}\" is {}, a negative step", it->first, it->second));
        }
    for (std::size_t g = 0, i = 0; g < num_groups(); ++g)  // a parameter that has stepped has all its buffers
        for (std::size_t k = 0; k < group_params_[g].size(); ++k, ++i)
            if (loaded[i].step > 0)
                for (const auto& name : state_names(g))
                    if (!loaded[i].buffers.count(name))
                        throw ValueError(fmt::format("optimizer load_state_dict: \"{}.{}\" is missing (parameter {} is at "
                                                     "step {}; its update needs it)", i, name, i, loaded[i].step));
    for (std::size_t g = 0; g < num_groups(); ++g)
        if (auto it = s.scalars.find(fmt::format("group.{}.lr", g)); it != s.scalars.end()) {
            const double lr = parse_scalar<double>(it->first, it->second);
            if (!(lr >= 0) || !std::isfinite(lr))
                throw ValueError(fmt::format("optimizer load_state_dict: \"{}\" is {}, not a learning rate", it->first, it->second));
            set_lr(lr, g);
        }
    states_ = std::move(loaded);
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
    if (std::isnan(norm_type) || norm_type < 0)
        throw ValueError(fmt::format("clip_grad_norm: norm_type {} (0, a positive number, or inf)", norm_type));
    auto values = [](const Tensor& p) -> const Array& { return p.has_sparse_grad() ? p.sparse_grad().values : p.grad_data(); };
    double total = 0;
    if (norm_type == 0) {  // as PyTorch: the 0-norm of the parameters' 0-norms, i.e. how many have a non-zero
        for (const auto& p : params)
            if (p.has_grad() && std::any_of(values(p).begin(), values(p).end(), [](float v) { return v != 0.0f; })) total += 1;
    } else {
        const bool inf = std::isinf(norm_type);
        for (const auto& p : params) {
            if (!p.has_grad()) continue;
            for (const float v : values(p)) {
                const double a = std::abs(double(v));
                total = inf ? std::max(total, a) : total + std::pow(a, norm_type);
            }
        }
        if (!inf) total = std::pow(total, 1.0 / norm_type);
    }
    const double coef = std::min(1.0, max_norm / (total + 1e-6));
    if (coef < 1.0)
        for (const auto& p : params) {
            if (!p.has_grad()) continue;
            Array& g = p.has_sparse_grad() ? p.impl().sparse_grad->values : p.grad().mutable_data();
            g *= static_cast<float>(coef);
        }
    return total;
}

}  // namespace xgrad::nn
