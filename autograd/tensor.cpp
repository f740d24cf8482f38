// Tensor, record() and backward(): the graph is built by record() and walked once by backward().
#include "autograd/tensor.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "tensor/print.hpp"
#include "tensor/xt.hpp"

namespace xgrad {

namespace {
thread_local bool g_grad_enabled = true;
std::atomic<uint64_t> g_visit_stamp{0};

// backward()'s lists: the post-order of the walk, the walk's stack, and the nodes gone through.
struct Scratch {
    std::vector<TensorImpl*> post;
    std::vector<std::pair<TensorImpl*, std::size_t>> stack;
    std::vector<std::shared_ptr<Node>> walked;
};

// Where a gradient's values are: in the tensor grad() handed out, else in the engine's slot.
Array& grad_values(TensorImpl& im) { return im.grad_tensor ? im.grad_tensor->data : *im.grad; }
void store_grad(TensorImpl& im, Array&& g) {
    im.grad_tensor.reset();
    im.grad = std::move(g);
    im.has_grad = true;
}
}  // namespace

bool is_grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Tensor::Tensor(Array data, bool requires_grad) : impl_(std::make_shared<TensorImpl>(std::move(data))) {
    impl_->requires_grad = requires_grad;
}

TensorImpl& Tensor::impl() const {
    if (!impl_) throw ValueError("Tensor: this tensor is undefined (default-constructed)");
    return *impl_;
}

long Tensor::size(long d) const {
    const long n = dim();
    if (d < -n || d >= n)
        throw IndexError(fmt::format("size: dim {} is out of range for a tensor of shape {} (dims -{}..{})", d,
                                     shape_str(shape()), n, n - 1));
    return static_cast<long>(shape()[static_cast<std::size_t>(d < 0 ? d + n : d)]);
}

float Tensor::item() const {
    if (numel() != 1)
        throw ValueError(fmt::format("item: only a one-element tensor has an item; this one has shape {}",
                                     shape_str(shape())));
    return *impl().data.data();
}

Array& Tensor::mutable_data() const {
    ++impl().version;
    return impl().data;
}

Tensor& Tensor::requires_grad_(bool on) {
    if (!is_leaf())
        throw ValueError(fmt::format("requires_grad_: only a leaf can change requires_grad; this tensor was made "
                                     "by '{}' (use detach() first)", grad_fn_name()));
    impl().requires_grad = on;
    return *this;
}

const char* Tensor::grad_fn_name() const { return impl().grad_fn ? impl().grad_fn->name : ""; }

const Array& Tensor::grad_data() const {
    auto& im = impl();
    if (im.sparse_grad) {  // densify once: grad (V×D) = scatter of the rows
        RowSparseGrad sg = std::move(*im.sparse_grad);
        im.sparse_grad.reset();
        if (!im.has_grad) store_grad(im, full_array(im.data.shape(), 0.0f));
        float* dense = grad_values(im).data();
        const std::size_t D = sg.rows.empty() ? 0 : sg.values.size() / sg.rows.size();
        for (std::size_t i = 0; i < sg.rows.size(); ++i)
            for (std::size_t j = 0; j < D; ++j) dense[sg.rows[i] * D + j] += sg.values.data()[i * D + j];
    }
    if (!impl().has_grad)
        throw ValueError(fmt::format("grad: this tensor of shape {} has no gradient ({})", shape_str(shape()),
                                     !requires_grad() ? "it does not require grad"
                                     : is_leaf()      ? "no backward() has reached it since the last zero_grad()"
                                                      : "it is not a leaf: call retain_grad() before backward()"));
    return grad_values(im);
}

Tensor Tensor::grad() const {
    grad_data();  // checks, densifies
    auto& im = impl();
    if (!im.grad_tensor) {  // the first grad() since backward: move the values into a tensor of their own
        im.grad_tensor = std::make_shared<TensorImpl>(std::move(*im.grad));
        im.grad.reset();
    }
    return Tensor(im.grad_tensor);
}

void Tensor::zero_grad() const {
    impl().grad.reset();
    impl().grad_tensor.reset();
    impl().has_grad = false;
    impl().sparse_grad.reset();
}

const RowSparseGrad& Tensor::sparse_grad() const {
    if (!impl().sparse_grad)
        throw ValueError(fmt::format("sparse_grad: this tensor of shape {} has no row-sparse gradient",
                                     shape_str(shape())));
    return *impl().sparse_grad;
}

void Tensor::accumulate_sparse_grad(const std::vector<int64_t>& rows, const Array& values) const {
    if (!requires_grad()) return;
    auto& im = impl();
    const std::size_t D = im.data.dimension() == 0 || im.data.shape()[0] == 0 ? 0 : im.data.size() / im.data.shape()[0];
    if (values.size() != rows.size() * D)
        throw ShapeError(fmt::format("accumulate_sparse_grad: {} rows and {} values for a tensor of shape {}",
                                     rows.size(), values.size(), shape_str(im.data.shape())));
    const auto n_rows = static_cast<int64_t>(im.data.dimension() == 0 ? 0 : im.data.shape()[0]);
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (rows[i] < 0 || rows[i] >= n_rows)
            throw IndexError(fmt::format("accumulate_sparse_grad: row {} at position ({}) is out of range [0, {})", rows[i],
                                         i, n_rows));
    if (im.has_grad) {  // already dense: add the rows in
        for (std::size_t i = 0; i < rows.size(); ++i)
            for (std::size_t j = 0; j < D; ++j) grad_values(im).data()[rows[i] * D + j] += values.data()[i * D + j];
        return;
    }
    // Merge with what is there (rows sorted, unique), then coalesce: sort by row, sum in order.
    std::vector<int64_t> all;
    std::vector<const float*> src;
    if (im.sparse_grad)
        for (std::size_t i = 0; i < im.sparse_grad->rows.size(); ++i)
            all.push_back(im.sparse_grad->rows[i]), src.push_back(im.sparse_grad->values.data() + i * D);
    for (std::size_t i = 0; i < rows.size(); ++i) all.push_back(rows[i]), src.push_back(values.data() + i * D);
    // (row, position) pairs sorted: by row, and a row's copies in the order they came (a stable sort
    // by row, without its buffer)
    std::vector<std::pair<int64_t, std::size_t>> order(all.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = {all[i], i};
    std::sort(order.begin(), order.end());
    RowSparseGrad out;
    for (const auto& [row, k] : order)
        if (out.rows.empty() || out.rows.back() != row) out.rows.push_back(row);
    Shape vs = im.data.shape();
    vs[0] = out.rows.size();
    out.values = new_array(vs, "accumulate_sparse_grad");
    std::size_t r = 0;  // the output row of order[i]: the first copy is stored, the rest added in order
    for (std::size_t i = 0; i < order.size(); ++i) {
        const float* s = src[order[i].second];
        if (i > 0 && order[i].first == order[i - 1].first) {
            float* dst = out.values.data() + (r - 1) * D;
            for (std::size_t j = 0; j < D; ++j) dst[j] += s[j];
        } else {
            std::copy(s, s + D, out.values.data() + r * D);
            ++r;
        }
    }
    im.sparse_grad = std::make_unique<RowSparseGrad>(std::move(out));
}

void Tensor::set_grad(Array g) const {
    if (g.shape() != shape())
        throw ShapeError(fmt::format("set_grad: gradient of shape {} for a tensor of shape {}", shape_str(g.shape()),
                                     shape_str(shape())));
    store_grad(impl(), std::move(g));
}

void Tensor::accumulate_grad(const Array& g) const {
    if (!requires_grad()) return;
    auto& im = impl();
    if (g.shape() != im.data.shape())
        throw ShapeError(fmt::format("internal: gradient of shape {} for a tensor of shape {} (op '{}')",
                                     shape_str(g.shape()), shape_str(im.data.shape()), grad_fn_name()));
    if (im.sparse_grad) grad();  // dense + row-sparse: make it dense first
    if (im.has_grad) {
        float* acc = grad_values(im).data();
        const float* add = g.data();
        for (std::size_t i = 0, n = g.size(); i < n; ++i) acc[i] += add[i];
    } else {
        store_grad(im, Array(g));
    }
}

void Tensor::accumulate_grad(Array&& g) const {
    if (!requires_grad()) return;
    auto& im = impl();
    if (!im.has_grad && !im.sparse_grad && g.shape() == im.data.shape()) {
        store_grad(im, std::move(g));
        return;
    }
    accumulate_grad(static_cast<const Array&>(g));
}

void Tensor::retain_grad() const { impl().retains_grad = true; }

std::size_t Tensor::register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const {
    if (!is_leaf() || !requires_grad())
        throw ValueError(fmt::format("register_post_accumulate_grad_hook: only a leaf that requires grad has a "
                                     "gradient accumulated; this tensor of shape {} {}", shape_str(shape()),
                                     is_leaf() ? "does not require grad" : fmt::format("was made by '{}'", grad_fn_name())));
    static std::atomic<std::size_t> next_handle{1};
    const std::size_t handle = next_handle++;
    impl().hooks.emplace_back(handle, std::move(hook));
    return handle;
}

void Tensor::remove_hook(std::size_t handle) const {
    std::erase_if(impl().hooks, [&](const auto& h) { return h.first == handle; });
}

Tensor Tensor::detach() const { return Tensor(impl().data, false); }
Tensor Tensor::clone() const { return xgrad::clone(*this); }
Tensor Tensor::t() const { return xgrad::t(*this); }
Tensor Tensor::transpose(int d0, int d1) const { return xgrad::transpose(*this, d0, d1); }
Tensor Tensor::permute(const std::vector<int>& dims) const { return xgrad::permute(*this, dims); }
Tensor Tensor::reshape(const std::vector<long>& s) const { return xgrad::reshape(*this, s); }
Tensor Tensor::operator[](const IdArray& ids) const {
    if (dim() == 0) throw IndexError("x[ids]: a 0-dim tensor has no rows to index");
    std::vector<long> s(ids.shape().begin(), ids.shape().end());  // ids.shape + shape[1:]
    for (long d = 1; d < dim(); ++d) s.push_back(size(d));
    return xgrad::reshape(index_select(*this, 0, xgrad::reshape(ids, {-1})), s);
}
Tensor Tensor::sum() const { return xgrad::sum(*this); }
Tensor Tensor::mean() const { return xgrad::mean(*this); }

std::string Tensor::to_string() const {
    if (!impl_) return "tensor(undefined)";
    std::string suffix;
    if (impl_->grad_fn) suffix = fmt::format(", grad_fn=<{}>", impl_->grad_fn->name);
    else if (impl_->requires_grad) suffix = ", requires_grad=true";
    return format_array(impl_->data, suffix);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

Node::~Node() {
    // Take over the inputs; a tensor we hold the last reference to hands us its own node's inputs
    // before it dies, so each destructor below runs on an already-emptied node.
    std::vector<Tensor> pending = std::move(inputs);
    while (!pending.empty()) {
        Tensor t = std::move(pending.back());
        pending.pop_back();
        const auto& impl = t.impl_ptr();
        if (impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1) {
            auto& up = impl->grad_fn->inputs;
            for (auto& in : up) pending.push_back(std::move(in));
            up.clear();
        }
    }
}

// --- record and backward --------------------------------------------------------------------------

Tensor record(const char* name, Array result, std::vector<Tensor> inputs, BackwardFn backward, BackwardReads reads) {
    Tensor out(std::move(result));
    if (!g_grad_enabled) return out;
    bool any = false;
    for (const auto& in : inputs) any = any || in.requires_grad();
    if (!any) return out;
    auto node = std::make_shared<Node>();
    node->name = name;
    node->input_versions.reserve(inputs.size());
    for (const auto& in : inputs) node->input_versions.push_back(in.version());
    node->inputs = std::move(inputs);
    node->backward = std::move(backward);
    node->uses_output = reads == BackwardReads::InputsAndOutput;
    out.impl().requires_grad = true;
    out.impl().grad_fn = std::move(node);
    return out;
}

Tensor record(const char* name, Array result, std::initializer_list<Tensor> inputs, BackwardFn backward,
              BackwardReads reads) {
    return record(name, std::move(result), std::vector<Tensor>(inputs), std::move(backward), reads);
}

Tensor record(const char* name, Array result, std::vector<Tensor> inputs, BackwardFn backward, bool uses_output) {
    return record(name, std::move(result), std::move(inputs), std::move(backward),
                  uses_output ? BackwardReads::InputsAndOutput : BackwardReads::Inputs);
}

Tensor record(const char* name, Array result, std::initializer_list<Tensor> inputs, BackwardFn backward, bool uses_output) {
    return record(name, std::move(result), std::vector<Tensor>(inputs), std::move(backward),
                  uses_output ? BackwardReads::InputsAndOutput : BackwardReads::Inputs);
}

namespace {

// The gradient backward() starts from: options.grad (shaped like the root), or 1 for a one-element root.
Array seed_gradient(const TensorImpl& root, const BackwardOptions& options) {
    if (!root.requires_grad)
        throw ValueError("backward: this tensor does not require grad and has no grad_fn (no input of the ops that "
                         "made it requires grad, or it was made under NoGradGuard)");
    if (options.grad) {
        if (options.grad->shape() != root.data.shape())
            throw ShapeError(fmt::format("backward: grad has shape {} but the tensor has shape {}",
                                         shape_str(options.grad->shape()), shape_str(root.data.shape())));
        return *options.grad;
    }
    if (root.data.size() != 1)
        throw ValueError(fmt::format("backward: a gradient can be implied only for a one-element output; this one "
                                     "has shape {}: pass {{.grad = ...}}", shape_str(root.data.shape())));
    return full_array(root.data.shape(), 1.0f);
}

// Post-order DFS over the tensors that require grad, into `post`; reversed, it is a topological order
// (outputs first). Raw pointers are safe here: every tensor in the graph is held by its consumer's
// node, and nothing is released until the walk is over.
void post_order(TensorImpl& root, Scratch& scratch) {
    const uint64_t stamp = ++g_visit_stamp;
    auto& [post, stack, walked] = scratch;
    post.clear();
    stack.clear();
    walked.clear();
    root.visit = stamp;
    stack.emplace_back(&root, 0);
    while (!stack.empty()) {
        auto& [t, next] = stack.back();
        Node* node = t->grad_fn.get();
        if (node && next < node->inputs.size()) {
            TensorImpl* child = node->inputs[next++].impl_ptr().get();
            if (child->requires_grad && child->visit != stamp) {
                child->visit = stamp;
                stack.emplace_back(child, 0);  // invalidates t/next: we loop right away
            }
            continue;
        }
        post.push_back(t);
        stack.pop_back();
    }
}

// What a node's backward reads must be as the forward left it: not freed, and not edited in place.
void check_saved(const Node& node, const TensorImpl& out) {
    if (node.released)
        throw ValueError(fmt::format("backward: trying to go through the graph of '{}' a second time, but its saved "
                                     "values were freed by the first backward(); pass {{.retain_graph = true}} to "
                                     "the first call to go through it twice", node.name));
    for (std::size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i].version() != node.input_versions[i])
            throw ValueError(fmt::format("backward: input {} of '{}' was modified in place after '{}' used it; its "
                                         "gradient would be wrong", i, node.name, node.name));
    if (node.uses_output && out.version != node.output_version)
        throw ValueError(fmt::format("backward: the output of '{}' was modified in place after it was computed",
                                     node.name));
}

}  // namespace

void Tensor::backward(const BackwardOptions& options) const {
    auto& root = impl();
    Array seed = seed_gradient(root, options);
    // The walk's lists reuse this thread's buffers from the last backward (no allocation per step); a
    // backward run from inside a backward function takes fresh ones.
    thread_local Scratch scratch;
    Scratch mine = std::move(scratch);
    post_order(root, mine);
    accumulate_grad(std::move(seed));
    for (auto it = mine.post.rbegin(); it != mine.post.rend(); ++it) {
        TensorImpl* t = *it;
        Node* node = t->grad_fn.get();
        if (!node) {  // a leaf comes after every op that used it: its gradient is final here
            if (t->hooks.empty() || !(t->has_grad || t->sparse_grad)) continue;
            const Tensor leaf(t->shared_from_this());
            const auto hooks = t->hooks;  // a copy: a hook may remove itself
            for (const auto& hook : hooks) hook.second(leaf);
            continue;
        }
        if (!t->has_grad) continue;
        check_saved(*node, *t);
        node->backward(grad_values(*t), t->data, Inputs(node->inputs));
        if (!t->retains_grad) {
            t->grad.reset();
            t->grad_tensor.reset();
            t->has_grad = false;
        }
        mine.walked.push_back(t->grad_fn);
    }
    // Release the graph: `walked` keeps every node alive while their inputs are dropped.
    if (!options.retain_graph)
        for (auto& node : mine.walked) {
            node->backward = nullptr;
            node->released = true;
            node->inputs.clear();
        }
    mine.walked.clear();  // drops the nodes now, not at the next backward
    scratch = std::move(mine);
}

std::size_t Tensor::element_offset(std::initializer_list<long> index) const {
    const Shape& shape = this->shape();
    auto where = [&] { return fmt::format("({})", fmt::join(index, ", ")); };
    if (index.size() != shape.size())
        throw IndexError(fmt::format("Tensor{}: {} indices for a tensor of shape {} ({} dims)", where(), index.size(),
                                     shape_str(shape), shape.size()));
    std::size_t offset = 0, d = 0;
    for (long i : index) {
        const auto n = static_cast<long>(shape[d]);
        const long k = i < 0 ? i + n : i;
        if (k < 0 || k >= n)
            throw IndexError(fmt::format("Tensor{}: index {} is out of range for dim {} of shape {}", where(), i, d,
                                         shape_str(shape)));
        offset += static_cast<std::size_t>(k) * impl().data.strides()[d];
        ++d;
    }
    return offset;
}

}  // namespace xgrad
