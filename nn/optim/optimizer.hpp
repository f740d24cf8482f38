// Optimizer: the base of SGD, Adam, AdamW and SparseAdam. It owns parameter groups (each with its own
// options), per-parameter state (momentum, moments, step count) that can be saved and loaded to
// resume training. Rows set with the deprecated Tensor::set_frozen_rows are still never moved (this
// release); an Embedding's padding row needs no such rule: its gradient is zero, as PyTorch's.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nn/module.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::nn {

/// What an optimizer saves: tensors by name ("<i>.<buffer>", i = the parameter's index in params())
/// and scalars as strings ("<i>.step", "group.<g>.lr").
struct OptimizerState {
    StateDict tensors;
    std::map<std::string, std::string> scalars;
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    /// One update of every parameter that has a gradient (those without are skipped, as PyTorch).
    virtual void step() = 0;
    /// Drops the gradients of every parameter.
    void zero_grad();
    /// All parameters, group by group.
    std::vector<Tensor> params() const;
    std::size_t num_groups() const { return group_params_.size(); }
    /// Learning rate of a group; set_lr sets every group's (as a scheduler does).
    virtual double lr(std::size_t group = 0) const = 0;
    /// A learning rate must be a finite number ≥ 0: NaN, ±inf and negatives throw ValueError naming `who`.
    static double checked_lr(double lr, const char* who) {
        if (!(lr >= 0) || !std::isfinite(lr)) throw ValueError(fmt::format("{}: invalid lr {} (a finite number >= 0)", who, lr));
        return lr;
    }
    virtual void set_lr(double lr, std::size_t group) = 0;
    void set_lr(double lr) {
        for (std::size_t g = 0; g < num_groups(); ++g) set_lr(lr, g);
    }

    /// The state: its tensors are handles to the optimizer's own buffers (as PyTorch's state_dict(), no
    /// copy), so saving a run needs no second copy of the moments; the scalars are copies.
    OptimizerState state_dict() const;
    /// Restores what state_dict() gave (same parameters in the same order); errors name the key. A
    /// parameter whose step is above 0 must come with every buffer its group's update keeps
    /// (state_names): a missing one is an error naming it, not a silent fresh start. The tensors are
    /// copied (as PyTorch's deep copy), so later steps leave `state` as it was.
    void load_state_dict(const OptimizerState& state);
    /// The same, taking the tensors themselves (no copy): for a state the caller gives up, as a loaded file's.
    void load_state_dict(OptimizerState&& state);
    /// The buffers group g's update keeps for each parameter ("exp_avg", "exp_avg_sq", …).
    virtual std::vector<std::string> state_names(std::size_t) const { return {}; }

protected:
    /// Registers a group's parameters; returns the group index.
    std::size_t add_group(std::vector<Tensor> params, const char* optimizer);
    /// The per-parameter state: named buffers (shaped like the parameter) and the step count.
    struct ParamState {
        std::map<std::string, Tensor> buffers;  // handles: state_dict() shares them
        int64_t step = 0;
    };
    /// Calls fn(p, state, g) for every parameter of every group that has a gradient.
    void for_each_param(const std::function<void(const Tensor&, ParamState&, std::size_t)>& fn);
    /// Calls fn(begin, end) over the flat element ranges of p that are not in frozen rows.
    static void for_each_free_span(const Tensor& p, RangeFn fn);
    /// True when row r of p is frozen.
    static bool is_frozen(const Tensor& p, int64_t r);
    /// A buffer of `state`, created as zeros shaped like p on first use.
    static Array& buffer(ParamState& state, const std::string& name, const Tensor& p);

private:
    void load_state(const OptimizerState& state, bool copy);
    std::vector<std::vector<Tensor>> group_params_;
    std::vector<ParamState> states_;  // by index in params()
};

/// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), total_norm being the norm_type-norm
/// of all gradients together (inf for the max-abs norm), and returns total_norm, as
/// torch.nn.utils.clip_grad_norm_. Row-sparse gradients count their stored rows.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

}  // namespace xgrad::nn
