// Module's bookkeeping: registration, dotted names, tied tensors stored once, state_dict load/save.
#include "nn/module.hpp"

#include <algorithm>
#include <ostream>
#include <cstdlib>
#include <cxxabi.h>
#include <memory>
#include <set>

#include <fmt/format.h>

namespace xgrad::nn {

std::string class_name(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
    std::string name = status == 0 && d ? d.get() : type.name();
    // "ns::Outer<ns::T>" -> "Outer<ns::T>": drop the namespaces before the first template argument
    const auto angle = name.find('<');
    const auto colon = name.rfind("::", angle);
    if (colon != std::string::npos) name = name.substr(colon + 2);
    return name;
}

std::string Module::type_name() const { return type_name_.empty() ? class_name(typeid(*this)) : type_name_; }

void Module::check_name(const std::string& name) const {
    if (name.empty() || name.find('.') != std::string::npos)
        throw ValueError(fmt::format("{}: invalid name \"{}\" (names are non-empty and contain no '.')", type_name(), name));
    auto taken = [&](const auto& list) {
        for (const auto& [n, _] : list)
            if (n == name) return true;
        return false;
    };
    if (taken(params_) || taken(buffers_) || taken(children_))
        throw ValueError(fmt::format("{}: the name \"{}\" is already registered", type_name(), name));
}

Tensor& Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
    check_name(name);
    if (value.defined()) value.requires_grad_(requires_grad);
    params_.emplace_back(name, std::move(value));
    return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor value) {
    check_name(name);
    buffers_.emplace_back(name, std::move(value));
    return buffers_.back().second;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
    std::vector<std::pair<std::string, Module*>> out{{"", this}};
    for (auto& [n, m] : children_)
        for (auto& [sub, p] : m->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, p);
    return out;
}

void Module::apply(const std::function<void(Module&)>& fn) {
    for (auto& [n, m] : children_) m->apply(fn);
    fn(*this);
}

void Module::collect(const std::string& prefix, bool params, std::vector<std::pair<std::string, Tensor>>& out) const {
    for (const auto& [n, t] : params ? params_ : buffers_)
        if (t.defined()) out.emplace_back(prefix + n, t);
    for (const auto& [n, m] : children_) m->collect(prefix + n + ".", params, out);
}

void Module::collect(bool params, std::vector<Tensor>& out) const {
    for (const auto& [n, t] : params ? params_ : buffers_)
        if (t.defined()) out.push_back(t);
    for (const auto& [n, m] : children_) m->collect(params, out);
}

namespace {
// The first occurrence of each tensor, in order (a shared parameter is listed once).
std::vector<Tensor> unique(const std::vector<Tensor>& all) {
    std::vector<Tensor> out;
    out.reserve(all.size());
    if (all.size() <= 64) {  // a model's few parameters: a scan, no set
        for (const auto& t : all)
            if (std::none_of(out.begin(), out.end(), [&](const Tensor& u) { return u.impl_ptr() == t.impl_ptr(); }))
                out.push_back(t);
        return out;
    }
    std::set<const TensorImpl*> seen;
    for (const auto& t : all)
        if (seen.insert(t.impl_ptr().get()).second) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> unique(std::vector<std::pair<std::string, Tensor>> all) {
    std::set<const TensorImpl*> seen;
    std::vector<std::pair<std::string, Tensor>> out;
    for (auto& [n, t] : all)
        if (seen.insert(t.impl_ptr().get()).second) out.emplace_back(std::move(n), std::move(t));
    return out;
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> all;
    collect("", true, all);
    return unique(std::move(all));
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
    std::vector<std::pair<std::string, Tensor>> all;
    collect("", false, all);
    return unique(std::move(all));
}

std::vector<Tensor> Module::buffers() const {
    std::vector<Tensor> all;
    collect(false, all);
    return unique(all);
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> all;
    collect(true, all);
    return unique(all);
}

void Module::zero_grad() {
    for (auto& p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [n, m] : children_) m->train(on);
}

StateDict Module::state_dict() const {
    StateDict d;
    for (auto& [n, t] : named_parameters()) d[n] = t;
    for (auto& [n, t] : named_buffers()) d[n] = t;
    return d;
}

void Module::load_state_dict(const StateDict& dict, bool strict) {
    std::vector<std::pair<std::string, Tensor>> all;
    collect("", true, all);
    collect("", false, all);
    // A tied tensor is loaded from whichever of its names the dict has; only if none is there is it missing.
    std::map<const TensorImpl*, std::vector<std::string>> names;
    for (auto& [n, t] : all) names[t.impl_ptr().get()].push_back(n);
    std::vector<std::string> missing, unexpected, mismatched;
    std::vector<std::pair<Tensor, const Array*>> to_copy;
    std::set<std::string> known;
    for (auto& [n, t] : all) known.insert(n);
    for (auto& [impl, ns] : names) {
        const Tensor* t = nullptr;
        for (auto& [n, tt] : all)
            if (tt.impl_ptr().get() == impl) t = &tt;
        const Array* src = nullptr;
        std::string from;
        for (const auto& n : ns)
            if (auto it = dict.find(n); it != dict.end() && !src) src = &it->second.data(), from = n;
        if (!src) {
            missing.push_back(ns.front());
            continue;
        }
        if (src->shape() != t->shape()) {
            mismatched.push_back(fmt::format("{}: the dict has shape {}, the model {}", from, shape_str(src->shape()),
                                             shape_str(t->shape())));
            continue;
        }
        to_copy.emplace_back(*t, src);
    }
    for (auto& [n, _] : dict)
        if (!known.count(n)) unexpected.push_back(n);
    std::string err;
    if (!mismatched.empty()) err += fmt::format("\n  size mismatch: {}", fmt::join(mismatched, "; "));
    if (strict && !missing.empty()) err += fmt::format("\n  missing keys: {}", fmt::join(missing, ", "));
    if (strict && !unexpected.empty()) err += fmt::format("\n  unexpected keys: {}", fmt::join(unexpected, ", "));
    if (!err.empty()) throw ValueError(fmt::format("load_state_dict: cannot load into {}:{}", type_name(), err));
    NoGradGuard no_grad;
    for (auto& [t, src] : to_copy) t.mutable_data() = *src;  // in place: every alias sees the new values
}

std::string Module::to_string() const {
    std::string s = type_name() + "(" + extra_repr();
    if (children_.empty()) return s + ")";
    for (const auto& [n, m] : children_) {
        std::string sub = m->to_string();
        std::string indented;
        for (char c : sub) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
        s += "\n  (" + n + "): " + indented;
    }
    return s + "\n)";
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.to_string(); }

}  // namespace xgrad::nn
