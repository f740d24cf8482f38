// ModuleList and ModuleDict: containers that register what they hold, so its parameters appear as
// "h.0.attn.weight" (list) or "heads.key.weight" (dict), as in PyTorch. They have no forward: the
// owner decides how to call what they hold.
//   blocks = register_module("h", nn::make<nn::ModuleList>());
//   for (int i = 0; i < n_layer; ++i) blocks->push_back(nn::make<Block>(C, H));
//   for (auto& block : blocks->items<Block>()) x = block(x);
#pragma once
#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

class ModuleList : public Module {
public:
    ModuleList() : Module("ModuleList") {}
    template <class... Ms>
    explicit ModuleList(std::shared_ptr<Ms>... modules) : Module("ModuleList") {
        (push_back(std::move(modules)), ...);
    }
    /// Appends a module, named by its index.
    void push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }
    std::size_t size() const { return children().size(); }
    const std::shared_ptr<Module>& at(std::size_t i) const {
        if (i >= size()) throw IndexError(fmt::format("ModuleList: index {} is out of range for {} modules", i, size()));
        return children()[i].second;
    }
    const std::shared_ptr<Module>& operator[](std::size_t i) const { return at(i); }
    /// Module i as its own type (callable); throws ValueError naming its real type otherwise.
    template <class M>
    Ptr<M> ptr(std::size_t i) const {
        return module_cast<M>(at(i), fmt::format("ModuleList: module {}", i));
    }
    /// Every module as an M, in order (for a list of one kind: `for (auto& b : h->items<Block>())`).
    template <class M>
    std::vector<Ptr<M>> items() const {
        std::vector<Ptr<M>> out;
        for (std::size_t i = 0; i < size(); ++i) out.push_back(ptr<M>(i));
        return out;
    }
};

class ModuleDict : public Module {
public:
    ModuleDict() : Module("ModuleDict") {}
    /// Adds a module under `key` (keys keep their insertion order; a key is taken once).
    template <class M>
    Ptr<M> insert(const std::string& key, std::shared_ptr<M> m) {
        return register_module(key, std::move(m));
    }
    std::size_t size() const { return children().size(); }
    bool contains(const std::string& key) const {
        for (const auto& [k, m] : children())
            if (k == key) return true;
        return false;
    }
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto& [k, m] : children()) out.push_back(k);
        return out;
    }
    const std::shared_ptr<Module>& at(const std::string& key) const {
        for (const auto& [k, m] : children())
            if (k == key) return m;
        throw IndexError(fmt::format("ModuleDict: no module \"{}\" (keys: {})", key, fmt::join(keys(), ", ")));
    }
    const std::shared_ptr<Module>& operator[](const std::string& key) const { return at(key); }
    /// The module under `key` as its own type (callable).
    template <class M>
    Ptr<M> ptr(const std::string& key) const {
        return module_cast<M>(at(key), fmt::format("ModuleDict: module \"{}\"", key));
    }
};

}  // namespace xgrad::nn
