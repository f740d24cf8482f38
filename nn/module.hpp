// Module: the base of every layer. Parameters, buffers and sub-modules are registered by name in the
// constructor; parameters(), named_parameters() ("emb.weight"), zero_grad(), train()/eval(),
// state_dict() and load_state_dict() are written once, here.
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad::nn {

/// Name → values, sorted by name. What save_safetensors writes and load_state_dict reads.
using StateDict = std::map<std::string, Array>;

class Module {
public:
    explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// Registers a member tensor as a parameter (requires_grad is set on it). The module reads the
    /// member itself, so assigning another tensor to it later (`U->weight = V->weight`, a tie) is seen.
    Tensor& register_parameter(const std::string& name, Tensor& member, bool requires_grad = true);
    /// Registers a parameter the module keeps itself (no member). Returns it.
    Tensor& register_parameter(const std::string& name, Tensor&& value, bool requires_grad = true);
    /// Registers a buffer: saved in the state_dict, never trained.
    Tensor& register_buffer(const std::string& name, Tensor& member);
    Tensor& register_buffer(const std::string& name, Tensor&& value);
    /// Registers a sub-module; its parameters appear as "<name>.<param>".
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
        check_name(name);
        children_.emplace_back(name, m);
        return m;
    }

    /// Every distinct parameter once (a tensor registered twice, e.g. tied weights, appears once).
    std::vector<Tensor> parameters() const;
    /// (dotted name, tensor) for every distinct parameter, under the first name it was found by.
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    std::vector<std::pair<std::string, Tensor>> named_buffers() const;
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

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
    const std::string& type_name() const { return type_name_; }

    /// The forward of modules that take a float tensor (Linear, Sequential, ...).
    virtual Tensor forward(const Tensor& x);
    /// The forward of modules that take ids (Embedding, and a Sequential that starts with one).
    virtual Tensor forward(const IdArray& ids);

protected:
    /// The arguments shown between the parentheses by to_string().
    virtual std::string extra_repr() const { return ""; }

private:
    void check_name(const std::string& name) const;
    // (name, tensor) of every parameter or buffer below, all aliases included.
    void collect(const std::string& prefix, bool params, std::vector<std::pair<std::string, Tensor>>& out) const;

    std::string type_name_;
    bool training_ = true;
    // Pointers to the registered tensors: members of the derived class, or entries of owned_.
    std::vector<std::pair<std::string, Tensor*>> params_;
    std::vector<std::pair<std::string, Tensor*>> buffers_;
    std::deque<Tensor> owned_;  // a deque: its elements never move
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace xgrad::nn
