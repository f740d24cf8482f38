// Sequential: modules applied in order; children are named "0", "1", ... as in PyTorch.
// The first module may take ids (an Embedding); the rest take the previous module's Tensor.
//   auto mlp = nn::make<nn::Sequential>({nn::make<nn::Linear>(30, 200), nn::make<nn::Tanh>(), nn::make<nn::Linear>(200, 27)});
//   mlp->ptr<nn::Linear>(0)->weight      // a child, typed (throws when child 0 is not a Linear)
// The braces matter when the modules draw random weights: the elements of a braced list are built left to
// right, as PyTorch builds them, while a function's arguments — Sequential(a, b, c) — are built in an
// order the compiler picks (g++: right to left), so the seeded weights would differ.
#pragma once
#include <concepts>
#include <functional>
#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

class Sequential : public Module {
public:
    /// One module of a braced list (any module type; its forward is checked as push_back checks it).
    class Item {
    public:
        template <class M>
        Item(std::shared_ptr<M> m) : add_([m](Sequential& s) { s.push_back(m); }) {}  // NOLINT: implicit

    private:
        friend class Sequential;
        std::function<void(Sequential&)> add_;
    };

    Sequential() : Module("Sequential") {}
    /// Sequential({a, b, c}): the modules built left to right (the form to use with seeded weights).
    explicit Sequential(std::initializer_list<Item> items) : Module("Sequential") {
        for (const Item& item : items) item.add_(*this);
    }
    /// Sequential(a, b, c): modules already built (the compiler picks the order of building arguments).
    template <class... Ms>
    explicit Sequential(std::shared_ptr<Ms>... modules) : Module("Sequential") {
        (push_back(std::move(modules)), ...);
    }

    /// Appends a module. It must have forward(const Tensor&) or forward(const IdArray&) returning a
    /// Tensor (checked when it is added).
    template <class M>
    void push_back(std::shared_ptr<M> m) {
        const std::string name = std::to_string(size());
        Step step;
        M* p = m.get();
        if constexpr (requires(M& x, const Tensor& t) { { x.forward(t) } -> std::convertible_to<Tensor>; })
            step.on_tensor = [p](const Tensor& x) { return p->forward(x); };
        if constexpr (requires(M& x, const IdArray& i) { { x.forward(i) } -> std::convertible_to<Tensor>; })
            step.on_ids = [p](const IdArray& ids) { return p->forward(ids); };
        static_assert(requires(M& x, const Tensor& t) { x.forward(t); } || requires(M& x, const IdArray& i) { x.forward(i); },
                      "Sequential: a module needs forward(const Tensor&) or forward(const IdArray&)");
        register_module(name, std::move(m));
        steps_.push_back(std::move(step));
    }
    std::size_t size() const { return children().size(); }
    /// Child i as its own type: seq.ptr<Linear>(0). Throws ValueError naming its real type otherwise.
    template <class M>
    Ptr<M> ptr(std::size_t i) const {
        return module_cast<M>(at(i), fmt::format("Sequential: child {}", i));
    }
    /// Child i as a Module.
    const std::shared_ptr<Module>& at(std::size_t i) const {
        if (i >= size()) throw IndexError(fmt::format("Sequential: index {} is out of range for {} modules", i, size()));
        return children()[i].second;
    }
    const std::shared_ptr<Module>& operator[](std::size_t i) const { return at(i); }

    Tensor forward(const Tensor& x) const {
        Tensor y = x;
        for (std::size_t i = 0; i < steps_.size(); ++i) y = tensor_step(i)(y);
        return y;
    }
    Tensor forward(const IdArray& ids) const {
        if (steps_.empty()) throw ValueError("Sequential: cannot apply an empty Sequential to ids");
        check_steps();
        if (!steps_[0].on_ids)
            throw ValueError(fmt::format("Sequential: child 0 ({}) takes no ids", children()[0].second->type_name()));
        Tensor y = steps_[0].on_ids(ids);
        for (std::size_t i = 1; i < steps_.size(); ++i) y = tensor_step(i)(y);
        return y;
    }

private:
    struct Step {
        std::function<Tensor(const Tensor&)> on_tensor;
        std::function<Tensor(const IdArray&)> on_ids;
    };
    void check_steps() const {
        if (steps_.size() != size())
            throw ValueError("Sequential: a module was added with register_module; add modules with push_back");
    }
    const std::function<Tensor(const Tensor&)>& tensor_step(std::size_t i) const {
        check_steps();
        if (!steps_[i].on_tensor)
            throw ValueError(fmt::format("Sequential: child {} ({}) takes ids, not a float Tensor", i,
                                         children()[i].second->type_name()));
        return steps_[i].on_tensor;
    }
    std::vector<Step> steps_;
};

}  // namespace xgrad::nn
