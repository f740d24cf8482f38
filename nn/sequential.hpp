// Sequential: modules applied in order; children are named "0", "1", ... as in PyTorch.
// The first module may take ids (an Embedding); the rest take the previous module's Tensor.
#pragma once
#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

class Sequential : public Module {
public:
    Sequential() : Module("Sequential") {}
    explicit Sequential(std::vector<std::shared_ptr<Module>> modules) : Module("Sequential") {
        for (auto& m : modules) push_back(std::move(m));
    }
    void push_back(std::shared_ptr<Module> m) { register_module(std::to_string(children().size()), std::move(m)); }
    std::size_t size() const { return children().size(); }
    Module& operator[](std::size_t i) const { return *children().at(i).second; }

    Tensor forward(const Tensor& x) override {
        Tensor y = x;
        for (const auto& [n, m] : children()) y = m->forward(y);
        return y;
    }
    Tensor forward(const IdArray& ids) override {
        if (children().empty()) throw ValueError("Sequential: cannot apply an empty Sequential to ids");
        Tensor y = children()[0].second->forward(ids);
        for (std::size_t i = 1; i < children().size(); ++i) y = children()[i].second->forward(y);
        return y;
    }
    Tensor operator()(const Tensor& x) { return forward(x); }
    Tensor operator()(const IdArray& ids) { return forward(ids); }
};

}  // namespace xgrad::nn
