// Module: the base of every layer, ours or a user's. Parameters, buffers and sub-modules are
// registered by name in the constructor and stored by the module itself; parameters(),
// named_parameters() ("h.0.attn.weight"), zero_grad(), train()/eval(), apply(), state_dict() and
// load_state_dict() are written once, here. A layer writes only its forward, with any signature.
//
// Modules live behind nn::Ptr<M>, a shared pointer that is also callable: m(x) calls m->forward(x),
// m(x, mask) calls m->forward(x, mask), m(ids) the forward that takes ids — whatever the layer
// declares (a call no forward accepts is a compile error).
//
//   struct Head : nn::Module {
//       nn::Ptr<nn::Linear> key, query, value;
//       Head(int C, int hs) {
//           key = register_module("key", nn::make<nn::Linear>(C, hs, false));  ...
//       }
//       Tensor forward(const Tensor& x) { ... key(x) ... }
//   };
//   auto head = nn::make<Head>(64, 16);
//   Tensor y = head(x);
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "autograd/tensor.hpp"

namespace xgrad::nn {

/// Name → tensor, sorted by name. What save_safetensors writes and load_state_dict reads. A module's
/// state_dict() holds the module's own tensors (handles, not copies), as PyTorch's shares their storage.
using StateDict = std::map<std::string, Tensor>;

/// A shared pointer to a module, callable as the module: p(args...) is p->forward(args...).
/// Converts to and from std::shared_ptr<M> (and to a pointer to any base, e.g. Module).
template <class M>
class Ptr : public std::shared_ptr<M> {
public:
    Ptr() = default;
    Ptr(std::nullptr_t) {}
    Ptr(std::shared_ptr<M> p) : std::shared_ptr<M>(std::move(p)) {}  // NOLINT: implicit on purpose
    template <class D>
        requires std::is_convertible_v<D*, M*>
    Ptr(std::shared_ptr<D> p) : std::shared_ptr<M>(std::move(p)) {}  // NOLINT

    template <class... A>
    decltype(auto) operator()(A&&... args) const {
        if (!*this) throw ValueError("nn::Ptr: called an empty module pointer (assign it a module first)");
        return this->get()->forward(std::forward<A>(args)...);
    }
};

/// Makes a module: nn::make<nn::Linear>(30, 200), as std::make_shared, returning a callable Ptr.
template <class M, class... A>
Ptr<M> make(A&&... args) {
    return Ptr<M>(std::make_shared<M>(std::forward<A>(args)...));
}
/// make<Sequential>({a, b, c}): a container from a braced list, its elements built left to right.
template <class M>
Ptr<M> make(std::initializer_list<typename M::Item> items) {
    return Ptr<M>(std::make_shared<M>(items));
}

class Module {
public:
    /// The type name shown by to_string() is the class's own name ("Block" for struct Block).
    Module() = default;
    /// ... or the one given here.
    explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// Registers a parameter: the module keeps the tensor (a handle: the caller's copy shares its
    /// data) and returns a reference to its own slot, valid as long as the module. requires_grad is set
    /// on it. An undefined tensor registers an absent parameter (Linear's bias=false), listed nowhere.
    /// Keep the reference (`Tensor& weight;`) to make `other->weight = weight` a tie the module sees.
    Tensor& register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
    /// Registers a buffer: saved in the state_dict, never trained (BatchNorm's running statistics).
    Tensor& register_buffer(const std::string& name, Tensor value);
    /// Registers a sub-module; its parameters appear as "<name>.<param>". Returns it, callable.
    template <class M>
    Ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
        check_name(name);
        if (!m) throw ValueError(fmt::format("{}: sub-module \"{}\" is empty", type_name(), name));
        children_.emplace_back(name, m);
        return Ptr<M>(std::move(m));
    }

    /// Every distinct parameter once (a tensor registered twice, e.g. tied weights, appears once).
    std::vector<Tensor> parameters() const;
    /// (dotted name, tensor) for every distinct parameter, under the first name it was found by.
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    std::vector<std::pair<std::string, Tensor>> named_buffers() const;
    std::vector<Tensor> buffers() const;
    /// The direct sub-modules, in registration order.
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
    /// This module ("") and every module below it, depth first, with dotted names.
    std::vector<std::pair<std::string, Module*>> named_modules();

    /// Calls fn on every sub-module (depth first, children before their parent) and then on this one,
    /// as PyTorch's apply: custom initialisation, `if (auto* l = m.as<nn::Linear>()) ...`.
    void apply(const std::function<void(Module&)>& fn);
    /// This module as an M, or nullptr when it is not one.
    template <class M>
    M* as() {
        return dynamic_cast<M*>(this);
    }

    /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
    void zero_grad();
    /// Training mode (the default) or evaluation mode, for this module and all below it.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    /// Parameters and buffers by dotted name; a tied tensor appears once, under its first name.
    StateDict state_dict() const;
    /// Copies values into the registered tensors (in place, so tied tensors stay tied). With strict,
    /// missing and unexpected keys are errors; a shape mismatch always is. One error lists them all.
    void load_state_dict(const StateDict& dict, bool strict = true);

    /// Like PyTorch's repr: "Embedding(8, 2, padding_idx=0)", nested modules indented.
    std::string to_string() const;
    /// The name given to the constructor, or the class's own (without namespaces).
    std::string type_name() const;

protected:
    /// The arguments shown between the parentheses by to_string().
    virtual std::string extra_repr() const { return ""; }

private:
    void check_name(const std::string& name) const;
    // (name, tensor) of every parameter or buffer below, all aliases included.
    void collect(const std::string& prefix, bool params, std::vector<std::pair<std::string, Tensor>>& out) const;
    // The same tensors without their names (parameters() runs every training step: no strings built).
    void collect(bool params, std::vector<Tensor>& out) const;

    std::string type_name_;
    bool training_ = true;
    // The registered tensors, owned here. Deques: an element never moves, so the references
    // register_parameter returns stay valid however many are added.
    std::deque<std::pair<std::string, Tensor>> params_;
    std::deque<std::pair<std::string, Tensor>> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

/// A class's name without its namespaces ("Linear" for xgrad::nn::Linear).
std::string class_name(const std::type_info& type);

/// `m` as a Ptr<M>; throws ValueError naming `where`, m's real type and M when it is not an M.
template <class M>
Ptr<M> module_cast(const std::shared_ptr<Module>& m, const std::string& where) {
    auto p = std::dynamic_pointer_cast<M>(m);
    if (!p)
        throw ValueError(fmt::format("{} is {}, not a {}", where, m ? "a " + m->type_name() : "empty",
                                     class_name(typeid(M))));
    return Ptr<M>(std::move(p));
}

}  // namespace xgrad::nn

/// fmt::print("{}", model) and fmt::print("{}", *model) print a module as PyTorch's print(model) does.
template <class M>
struct fmt::formatter<M, char, std::enable_if_t<std::is_base_of_v<xgrad::nn::Module, M>>> : fmt::formatter<std::string_view> {
    auto format(const M& m, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(m.to_string(), ctx);
    }
};
template <class M>
struct fmt::formatter<xgrad::nn::Ptr<M>, char> : fmt::formatter<std::string_view> {
    auto format(const xgrad::nn::Ptr<M>& m, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(m ? m->to_string() : std::string("None"), ctx);
    }
};
