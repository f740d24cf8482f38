// The readers' skip-gram / CBOW model of train_word2vec (word2vec.cpp): the two tables, the readers'
// parts with their kept updates, the step's lookups, and the merge. Internal to the library.
#pragma once
#include <algorithm>
#include <array>
#include <exception>
#include <utility>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "tensor/kernels/optim.hpp"
#include "wordvec/batches.hpp"
#include "wordvec/word2vec.hpp"

namespace xgrad::wordvec::detail {

/// One reader of the corpus: its share, its generator, its batch of this step, what the step computed
/// on it, and its own updates since the readers' last merge. Each on its own cache lines: a thread
/// writes its parts' fields every step.
struct alignas(64) Part {
    Part(BatchMaker m, Generator gen, std::size_t V, std::size_t words)
        : maker(std::move(m)), g(gen), words_total(std::max<std::size_t>(1, words)),
          slot{std::vector<int32_t>(V, -1), std::vector<int32_t>(V, -1)} {}
    BatchMaker maker;
    Generator g;
    Batch b;
    std::exception_ptr error;
    std::size_t words_total;                       ///< its share's words over all epochs (its lr's clock)
    std::size_t steps = 0;
    bool finished = false;                         ///< all its epochs read
    bool waits = false;                            ///< ahead of the others: takes no steps until the next merge
    double loss = 0;                               ///< its rows' summed loss this step
    const float* g_in = nullptr;                   ///< its rows' gradients this step: in[context] (CBOW: in[window]) …
    const float* g_out = nullptr;                  ///< … and out[targets], in its thread's Lookup
    double alpha = 0, window_loss = 0;             ///< its last lr; its loss and rows since the last merge
    std::size_t window_rows = 0;
    /// Its updates since the last merge, kept aside: row id of table t (0 in, 1 out) that it moved has
    /// slot[t][id] ≥ 0, the D floats at delta[slot · D] holding Σ −lr · gradient; moved[slot] = (t, id).
    /// Its lookups see table + delta: its own view.
    std::array<std::vector<int32_t>, 2> slot;
    std::vector<float> delta;
    std::vector<std::pair<int, int32_t>> moved;
};

/// What one thread looks up in a step: the batches of its parts as one (their rows one after another),
/// u = out[targets] and v = in[context] (CBOW: in[window]), and their gradients after the backward.
struct alignas(64) Lookup {
    Batch merged;
    Tensor u, v;
};

/// The rows of the parts' batches one after another in m (sized to fit; its arrays are reused while the
/// step's row count stays the same, i.e. until the corpus's last batches).
inline void merge_batches(const std::vector<Part*>& parts, bool cbow, Batch& m) {
    std::size_t n = 0;
    for (const Part* p : parts) n += p->b.rows;
    const Batch& first = parts.front()->b;
    const std::size_t K = first.tgt.shape()[1], C = cbow ? first.windows.shape()[1] : 0;
    m.rows = n;
    if (m.tgt.dimension() != 2 || m.tgt.shape()[0] != n) {
        m.tgt = IdArray::from_shape({n, K}), m.labels = Tensor(Array::from_shape({n, K})), m.weights = Tensor(Array::from_shape({n, K}));
        m.ctx = IdArray::from_shape({cbow ? 0 : n, 1}), m.windows = IdArray::from_shape({cbow ? n : 0, C});
        m.mask = Tensor(Array::from_shape({cbow ? n : 0, C})), m.counts = Tensor(Array::from_shape({cbow ? n : 0, 1}));
    }
    std::size_t at = 0;
    for (const Part* p : parts) {
        const Batch& b = p->b;
        auto copy = [&](const IdArray& from, IdArray& to, std::size_t width) {
            std::copy_n(from.data(), b.rows * width, to.data() + at * width);
        };
        auto copy_t = [&](const Tensor& from, Tensor& to, std::size_t width) {
            std::copy_n(from.data().data(), b.rows * width, to.mutable_data().data() + at * width);
        };
        copy(b.tgt, m.tgt, K), copy_t(b.labels, m.labels, K), copy_t(b.weights, m.weights, K);
        if (cbow) copy(b.windows, m.windows, C), copy_t(b.mask, m.mask, C), copy_t(b.counts, m.counts, 1);
        else copy(b.ctx, m.ctx, 1);
        at += b.rows;
    }
}

/// The two tables as a module: in (the word vectors) and out (the context side).
struct SkipGram : nn::Module {
    nn::Ptr<nn::Embedding> in, out;
    SkipGram(std::size_t V, std::size_t D, Generator& g) : nn::Module("SkipGram") {
        in = register_module("in", nn::make<nn::Embedding>(V, D, nn::EmbeddingOptions{}, g));
        out = register_module("out", nn::make<nn::Embedding>(V, D, nn::EmbeddingOptions{}, g));
        const double r = 0.5 / double(D);  // word2vec.c: in uniform in ±0.5/D, out zero
        nn::init::uniform_(in->weight, -r, r, g);
        nn::init::zeros_(out->weight);
    }
    /// The parts' share of a step (see train_word2vec), as one batch: looks up the rows of their
    /// batches in the tables, as leaves — u = out[targets], v = in[context] (CBOW: in[window]) — and runs
    /// the loss and its backward on them. Each row's loss and gradient depend on that row alone, so they
    /// are the same whichever parts share the batch. Leaves each part its rows' summed loss and where its
    /// rows' gradients are in s.
    void forward_backward(const Word2VecOptions& o, const std::vector<Part*>& parts, Lookup& s) const {
        if (parts.size() > 1) merge_batches(parts, o.cbow, s.merged);
        const Batch& b = parts.size() > 1 ? s.merged : parts.front()->b;
        const long n = long(b.rows);
        const bool part = b.rows < b.tgt.shape()[0];  // a share's last batch: its first rows only
        const IdArray& context = o.cbow ? b.windows : b.ctx;
        IdArray first_t, first_c;
        if (part) first_t = slice(b.tgt, 0, 0, n), first_c = slice(context, 0, 0, n);
        {
            NoGradGuard lookup;  // the looked-up rows are the leaves; their gradients go to the tables after
            s.u = out(part ? first_t : b.tgt);
            s.v = in(part ? first_c : context);
            // each part sees its own kept updates
            const std::size_t K = b.tgt.shape()[1], D = in->weight.shape()[1], W = o.cbow ? b.windows.shape()[1] : 1;
            std::size_t at = 0;
            for (const Part* p : parts) {
                add_own(*p, 1, p->b.tgt, p->b.rows * K, s.u.mutable_data().data() + at * K * D, D);
                add_own(*p, 0, o.cbow ? p->b.windows : p->b.ctx, p->b.rows * W, s.v.mutable_data().data() + at * W * D, D);
                at += p->b.rows;
            }
        }
        s.u.requires_grad_(), s.v.requires_grad_();
        const Tensor losses = detail::batch_loss(b, o.cbow, s.v, s.u, nn::Reduction::None);  // (n, K)
        losses.backward({.grad = full_array(losses.shape(), 1.0f)});  // d(Σ losses): the rows' gradients
        const std::size_t K = b.tgt.shape()[1], D = in->weight.shape()[1], in_rows = o.cbow ? b.windows.shape()[1] : 1;
        std::size_t at = 0;
        for (Part* p : parts) {
            p->loss = 0;
            for (std::size_t i = at * K; i < (at + p->b.rows) * K; ++i) p->loss += losses.data().data()[i];
            p->g_in = s.v.grad_data().data() + at * in_rows * D;
            p->g_out = s.u.grad_data().data() + at * K * D;
            at += p->b.rows;
        }
    }
    /// Calls fn(table, id, i) for each row i of part p's batch that the step moves: in[context] (CBOW:
    /// the window's words, not the padding), then out[targets].
    template <class Fn>
    static void for_each_row(const Part& p, Fn fn) {
        const std::size_t n = p.b.rows;
        if (p.maker.o.cbow) {
            const std::size_t C = p.b.windows.shape()[1];
            for (std::size_t i = 0; i < n * C; ++i)
                if (p.b.mask.data().data()[i] != 0.0f) fn(0, std::size_t(p.b.windows.data()[i]), i);
        } else {
            for (std::size_t i = 0; i < n; ++i) fn(0, std::size_t(p.b.ctx.data()[i]), i);
        }
        for (std::size_t i = 0; i < n * p.maker.K; ++i) fn(1, std::size_t(p.b.tgt.data()[i]), i);
    }
    /// Adds part p's kept updates to the rows it looked up (its view: table + delta). rows: the looked-up
    /// rows of table t for p's ids, D floats each.
    static void add_own(const Part& p, int t, const IdArray& ids, std::size_t count, float* rows, std::size_t D) {
        if (p.moved.empty()) return;
        for (std::size_t i = 0; i < count; ++i) {
            const int32_t s = p.slot[t][std::size_t(ids.data()[i])];
            if (s < 0) continue;
            const float* d = p.delta.data() + std::size_t(s) * D;
            for (std::size_t j = 0; j < D; ++j) rows[i * D + j] += d[j];
        }
    }
    /// Part p's SGD step, kept aside: delta[id] −= lr · grad for each row it used, in its order, with
    /// SGD's row kernel.
    void keep_update(Part& p, float lr) const {
        const kernels::SgdCoefs c{.wd = 0.0f, .momentum = 0.0f, .damp = 1.0f, .neg_lr = -lr, .nesterov = false, .first = true};
        const std::size_t D = in->weight.shape()[1];
        for_each_row(p, [&](int t, std::size_t id, std::size_t i) {
            const float* g = (t == 0 ? p.g_in : p.g_out) + i * D;
            int32_t& s = p.slot[t][id];
            if (s >= 0) return kernels::sgd_update(p.delta.data() + std::size_t(s) * D, g, nullptr, D, c);
            // a new slot: its delta is −lr · grad (SGD's step from 0), written without reading the old
            // contents (the buffer is reused from merge to merge)
            s = int32_t(p.moved.size());
            p.moved.emplace_back(t, int32_t(id));
            if (p.delta.size() < p.moved.size() * D) p.delta.resize(2 * p.moved.size() * D);
            float* d = p.delta.data() + std::size_t(s) * D;
            for (std::size_t j = 0; j < D; ++j) d[j] = -lr * g[j];
        });
    }
    /// The merge, thread t of T's share: each row's kept updates are added to the table in part order,
    /// so its sum is the same whatever T is. A row only one part moved is added by that part's thread
    /// (r mod T: its delta is in that core's cache); a row several parts moved, by its owner (id mod T).
    /// (w_in, w_out: the tables' data, taken once before the threads start.)
    void merge(const std::vector<Part>& parts, std::size_t t, std::size_t T, float* w_in, float* w_out) const {
        const std::size_t D = in->weight.shape()[1];
        for (std::size_t r = 0; r < parts.size(); ++r) {
            const Part& p = parts[r];
            for (std::size_t s = 0; s < p.moved.size(); ++s) {
                const auto [table, id] = p.moved[s];
                bool shared = false;
                for (std::size_t q = 0; q < parts.size() && !shared; ++q) shared = q != r && parts[q].slot[table][std::size_t(id)] >= 0;
                if ((shared ? std::size_t(id) : r) % T != t) continue;
                float* w = (table == 0 ? w_in : w_out) + std::size_t(id) * D;
                const float* d = p.delta.data() + s * D;
                for (std::size_t j = 0; j < D; ++j) w[j] += d[j];
            }
        }
    }
    /// After a merge: part p's view is the tables again.
    static void clear_kept(Part& p) {
        for (const auto& [t, id] : p.moved) p.slot[t][std::size_t(id)] = -1;
        p.moved.clear();
        p.window_loss = 0, p.window_rows = 0;
    }
};

}  // namespace xgrad::wordvec::detail
