// Tensor: float32 data (an xtensor Array), an optional gradient, and the node of the op that made it.
// Reverse-mode, define-by-run: each op computes its result and, through record(), remembers a backward
// function and its inputs. backward() walks that graph once in reverse topological order; gradients
// ACCUMULATE (+=) into leaves until zero_grad(). A node holds its inputs, never its output, so a graph
// has no reference cycles and is freed as soon as its last tensor goes away.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "tensor/array.hpp"
#include "tensor/random.hpp"

namespace xgrad {

class Tensor;
using Inputs = std::span<const Tensor>;
/// An op's backward: gets dL/dy (shaped like y), the op's output y and its inputs, and adds each
/// input's gradient with Tensor::accumulate_grad (a no-op for inputs that do not require grad).
using BackwardFn = std::function<void(const Array& dy, const Array& y, Inputs in)>;

/// One recorded op: its name, its inputs (kept alive until backward releases them), their versions at
/// record time (to catch in-place edits of saved values), and its backward function.
struct Node {
    const char* name = "";
    std::vector<Tensor> inputs;
    xt::svector<uint64_t, 4> input_versions;  // inline up to 4 inputs: no allocation per op
    uint64_t output_version = 0;
    bool uses_output = false;  // the backward reads y: an in-place change of y must be caught
    BackwardFn backward;
    bool released = false;
    /// Frees the graph above this node iteratively, so dropping a very deep graph cannot overflow the stack.
    ~Node();
};

/// A row-sparse gradient (from Embedding(sparse=true)): only the rows listed have non-zero
/// gradient. rows: sorted, unique; values: (rows.size(), rest of the tensor's dims).
struct RowSparseGrad {
    std::vector<int64_t> rows;
    Array values;
};

/// A function backward() calls with a leaf once the leaf's gradient is final (see
/// Tensor::register_post_accumulate_grad_hook).
using PostAccumulateGradHook = std::function<void(const Tensor&)>;

struct TensorImpl : std::enable_shared_from_this<TensorImpl> {
    Array data;
    std::optional<Array> grad;    // the gradient backward accumulates (has_grad), until grad() hands it out:
    std::shared_ptr<TensorImpl> grad_tensor;  // then it lives here, a tensor of its own, and grad is empty
    bool has_grad = false;
    std::unique_ptr<RowSparseGrad> sparse_grad;  // set instead of grad for row-sparse gradients (a pointer: rare, and 264 bytes inline)
    std::vector<int64_t> frozen_rows;          // rows (of dim 0) no optimizer moves (deprecated: set_frozen_rows)
    bool requires_grad = false;
    bool retains_grad = false;
    uint64_t version = 0;           // bumped by every in-place change of data
    std::shared_ptr<Node> grad_fn;  // null for leaves
    uint64_t visit = 0;             // backward()'s traversal mark
    std::vector<std::pair<std::size_t, PostAccumulateGradHook>> hooks;  // (handle, hook), in registration order

    explicit TensorImpl(Array d) : data(std::move(d)) { ++live_; }
    ~TensorImpl() { --live_; }
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    /// How many tensors exist right now (tests use it to show a training loop does not leak).
    static long live() { return live_.load(); }

private:
    static inline std::atomic<long> live_{0};
};

/// Options of Tensor::backward. `grad` is dL/d(this) (default: 1 for a one-element tensor);
/// `retain_graph` keeps the graph so backward can go through it again.
struct BackwardOptions {
    std::optional<Array> grad;
    bool retain_graph = false;
};

class RowRef;

class Tensor {
public:
    /// An undefined tensor (like a default torch::Tensor); defined() is false.
    Tensor() = default;
    explicit Tensor(Array data, bool requires_grad = false);

    bool defined() const { return impl_ != nullptr; }
    /// The shape as xtensor's (unsigned) sizes; size(d) and sizes() give them signed, as PyTorch.
    const Shape& shape() const { return impl().data.shape(); }
    /// Size of dim d (negative counts from the end), as torch's x.size(d); IndexError out of range.
    long size(long d) const;
    /// The sizes as signed integers, as torch's x.sizes(): what reshape, view and the factories take.
    std::vector<long> sizes() const { return {shape().begin(), shape().end()}; }
    long dim() const { return static_cast<long>(impl().data.dimension()); }
    long numel() const { return static_cast<long>(impl().data.size()); }
    /// The value of a one-element tensor; throws ValueError otherwise.
    float item() const;
    /// Element access (read-only): t(i, j), one index a dim; a negative index counts from the end, as
    /// t[i, j] in PyTorch. A wrong count or an index out of range throws IndexError naming it.
    template <class... I>
        requires(std::is_integral_v<I> && ...)
    float operator()(I... i) const {
        return impl().data.data()[element_offset({static_cast<long>(i)...})];
    }
    /// The offset in data() of the element at `index` (checked as operator() says).
    std::size_t element_offset(std::initializer_list<long> index) const;

    /// The data (read-only). For in-place changes use mutable_data(), which marks the change.
    const Array& data() const { return impl().data; }
    /// The data for an in-place change: bumps the version, so a graph that saved the old values
    /// refuses to run backward instead of giving a wrong gradient.
    Array& mutable_data() const;

    bool requires_grad() const { return impl().requires_grad; }
    /// Sets requires_grad on a leaf (throws on a non-leaf). Returns *this for chaining.
    Tensor& requires_grad_(bool on = true);
    bool is_leaf() const { return !impl().grad_fn; }
    /// Name of the op that made this tensor ("" for a leaf).
    const char* grad_fn_name() const;
    uint64_t version() const { return impl().version; }

    /// True when a gradient (dense or row-sparse) has been accumulated since the last zero_grad().
    bool has_grad() const { return impl().has_grad || (impl().sparse_grad != nullptr); }
    /// The accumulated gradient, a tensor of the same shape (as torch's x.grad: a handle, not a copy;
    /// grad().mutable_data() changes it in place). Throws ValueError when there is none. A row-sparse
    /// gradient is made dense (V×D) here, once: optimizers read sparse_grad() instead to stay O(touched rows).
    Tensor grad() const;
    /// The gradient's values, read-only, without making a tensor of them (what optimizers read each
    /// step); the same checks and densifying as grad().
    const Array& grad_data() const;
    /// True when the gradient is row-sparse (Embedding with sparse=true).
    bool has_sparse_grad() const { return (impl().sparse_grad != nullptr); }
    const RowSparseGrad& sparse_grad() const;
    /// Adds a row-sparse gradient: rows (any order, repeats allowed) and values (rows.size(), ...).
    /// Repeated rows are summed in order, so the result does not depend on the thread count.
    void accumulate_sparse_grad(const std::vector<int64_t>& rows, const Array& values) const;
    /// Rows of dim 0 that optimizers never move. Deprecated, kept one release (Embedding no longer uses it).
    [[deprecated("an optimizer-level freeze PyTorch does not have: Embedding's padding_idx no longer needs it (its "
                 "row gets zero gradient, as PyTorch's); to freeze rows, zero their gradient before the step")]]
    const std::vector<int64_t>& frozen_rows() const { return impl().frozen_rows; }
    [[deprecated("an optimizer-level freeze PyTorch does not have: Embedding's padding_idx no longer needs it (its "
                 "row gets zero gradient, as PyTorch's); to freeze rows, zero their gradient before the step")]]
    void set_frozen_rows(std::vector<int64_t> rows) const { impl().frozen_rows = std::move(rows); }
    /// Drops the gradient (as PyTorch's zero_grad(set_to_none=True)): the next backward starts at 0.
    void zero_grad() const;
    /// Replaces the gradient (shape must match).
    void set_grad(Array g) const;
    /// grad += g (or grad = g when there is none); no-op when this tensor does not require grad.
    void accumulate_grad(const Array& g) const;
    void accumulate_grad(Array&& g) const;
    /// Keep the gradient of this non-leaf after backward (leaves always keep theirs).
    void retain_grad() const;
    /// Calls hook(*this) during backward() as soon as this leaf's gradient is final — every op that used
    /// it gone through — as PyTorch's register_post_accumulate_grad_hook: data parallelism starts sending
    /// a gradient while backward goes on. Hooks run in registration order; a leaf no backward reaches is
    /// not called. Returns a handle for remove_hook. ValueError on a non-leaf or a tensor without grad.
    std::size_t register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const;
    /// Removes a hook by its handle (a handle not registered here: nothing happens).
    void remove_hook(std::size_t handle) const;

    /// Backpropagates from this tensor. Throws when nothing here requires grad, when the graph was
    /// already released by an earlier backward, or when a saved value was modified in place.
    void backward(const BackwardOptions& options = {}) const;

    /// A new leaf sharing nothing with this graph (the data is copied; gradients stop here).
    Tensor detach() const;

    // Method forms of common ops (see autograd/ops.hpp).
    /// A copy that stays in the graph (gradients flow back to this tensor), as torch's clone().
    Tensor clone() const;
    Tensor t() const;
    Tensor transpose(int d0, int d1) const;
    Tensor permute(const std::vector<int>& dims) const;
    Tensor reshape(const std::vector<long>& shape) const;
    /// x[i]: row i of dim 0 (negative from the end), as select(x, 0, i); x[i][j] goes on down. Assigned
    /// to, it writes into x in place: x[i] = y, x[i][j] = 2.5f (see RowRef).
    RowRef operator[](long i) const;
    /// x[ids]: rows of dim 0 by id, shape ids.shape + x.shape[1:] (torch's integer-tensor indexing).
    Tensor operator[](const IdArray& ids) const;
    Tensor sum() const;
    Tensor mean() const;

    std::string to_string() const;
    TensorImpl& impl() const;
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

private:
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<TensorImpl> impl_;
};

/// What x[i] (x[i][j], …) gives: the row as a tensor — a copy, as select(), so reading it works as any
/// tensor — that remembers where it came from, so an assignment writes into x in place, as PyTorch's
///   x[i] = y      y broadcast to the row's shape (x.shape[k:] after k indices)
///   x[i][j] = v   one number everywhere in the row
/// The write bumps x's version (a graph that saved x refuses backward). It is not recorded: x and y must
/// not require grad while grad mode is on (ValueError; write under NoGradGuard, as torch.no_grad()).
class RowRef : public Tensor {
public:
    RowRef(Tensor base, std::vector<long> index);
    RowRef operator[](long i) const;
    Tensor operator[](const IdArray& ids) const { return Tensor::operator[](ids); }
    RowRef& operator=(const Tensor& value) &&;
    RowRef& operator=(const RowRef& value) && { return std::move(*this) = static_cast<const Tensor&>(value); }
    RowRef& operator=(float value) &&;
    RowRef(const RowRef&) = default;

private:
    Tensor base_;              // the tensor written into
    std::vector<long> index_;  // the leading indices, each in range
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// --- grad mode ------------------------------------------------------------------------------------

/// False inside a NoGradGuard: ops record nothing.
bool is_grad_enabled();
/// RAII: no op records a graph while one is alive (torch::NoGradGuard).
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

/// RAII: while one is alive on this thread, randn, rand and uniform leave their tensors uninitialised
/// (torch.empty's values: whatever the memory held) and draw nothing, so a model whose every weight is
/// then loaded is built without the cost of its random init, nor of writing memory twice
/// (torch.nn.utils.skip_init). The generator is left where it was.
class SkipInitGuard {
public:
    SkipInitGuard();
    ~SkipInitGuard();
    SkipInitGuard(const SkipInitGuard&) = delete;
    SkipInitGuard& operator=(const SkipInitGuard&) = delete;

private:
    bool previous_;
};

/// What an op's backward reads besides its inputs: its output y too (exp, tanh, softmax...), in which
/// case editing y in place before backward() is an error, as editing an input always is.
enum class BackwardReads { Inputs, InputsAndOutput };

/// Makes an op's result. When grad mode is on and an input requires grad, the result is a non-leaf
/// that remembers `backward` and the inputs; otherwise it is a plain leaf and nothing is kept.
Tensor record(const char* name, Array result, std::initializer_list<Tensor> inputs, BackwardFn backward,
              BackwardReads reads = BackwardReads::Inputs);
Tensor record(const char* name, Array result, std::vector<Tensor> inputs, BackwardFn backward,
              BackwardReads reads = BackwardReads::Inputs);
/// The earlier spelling: `uses_output` true is BackwardReads::InputsAndOutput.
[[deprecated("pass BackwardReads::InputsAndOutput (or nothing) instead of a bool")]]
Tensor record(const char* name, Array result, std::initializer_list<Tensor> inputs, BackwardFn backward, bool uses_output);
[[deprecated("pass BackwardReads::InputsAndOutput (or nothing) instead of a bool")]]
Tensor record(const char* name, Array result, std::vector<Tensor> inputs, BackwardFn backward, bool uses_output);

// --- factories ----------------------------------------------------------------------------------

Tensor zeros(const Sizes& shape);
Tensor ones(const Sizes& shape);
Tensor full(const Sizes& shape, float value);
/// [0, 1, ..., n-1] and [start, start+step, ...) below end.
Tensor arange(float end);
Tensor arange(float start, float end, float step = 1.0f);
/// `steps` values from start to end inclusive, step = (end - start) / (steps - 1): start + i·step for the
/// first half, end - (steps-1-i)·step for the rest, rounded as torch.linspace's CPU kernel rounds them.
Tensor linspace(float start, float end, long steps);
/// The values of tensor(): a number, or a braced list of them nested to any depth, as torch.tensor's
/// nested lists: 3.0f is shape (), {1, 2} is (2), {{0}} is (1, 1), {{1}, {2}} is (2, 1), {} is (0).
class TensorData {
public:
    TensorData(float value) : value_(value), scalar_(true) {}  // NOLINT: implicit, so a number is a leaf
    TensorData(std::initializer_list<TensorData> items) : items_(items) {}
    /// The shape of the nesting; ragged lists ({{1, 2}, {3}}) throw ShapeError naming where.
    Shape shape() const;
    /// The numbers in row-major order.
    void flatten(std::vector<float>& out) const;

private:
    std::vector<TensorData> items_;
    float value_ = 0.0f;
    bool scalar_ = false;
};
/// From nested braces: tensor({{1, 2}, {3, 4}}), tensor({{0.f}}), tensor(3.0f) (rank 0).
Tensor tensor(const TensorData& values);
/// From flat values and a shape (sizes must agree).
Tensor from_vector(const std::vector<float>& values, const Sizes& shape);
/// N(0, 1), U[0, 1) and U[lo, hi) from `gen` (default: the process-wide generator).
Tensor randn(const Sizes& shape, Generator& gen = default_generator());
Tensor rand(const Sizes& shape, Generator& gen = default_generator());
Tensor uniform(const Sizes& shape, float lo, float hi, Generator& gen = default_generator());

}  // namespace xgrad

template <>
struct fmt::formatter<xgrad::Tensor> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const xgrad::Tensor& t, Ctx& ctx) const {
        return fmt::formatter<std::string_view>::format(t.to_string(), ctx);
    }
};
