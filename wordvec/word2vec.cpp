// word2vec's skip-gram and CBOW with negative sampling on xgrad (see word2vec.hpp).
#include "wordvec/word2vec.hpp"

#include "wordvec/barrier.hpp"
#include "wordvec/batches.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "tensor/kernels/optim.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::wordvec {

using detail::Batch;
using detail::BatchMaker;
using detail::Corpus;

namespace {

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
void merge_batches(const std::vector<Part*>& parts, bool cbow, Batch& m) {
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

}  // namespace

namespace detail {

Tensor batch_loss(const Batch& b, bool cbow, const Tensor& v, const Tensor& u, nn::Reduction reduction) {
    const long n = long(b.rows);
    auto values = [&](const Tensor& t) { return b.rows < t.shape()[0] ? slice(t, 0, 0, n) : t; };  // the first n rows
    const Tensor h = cbow ? unsqueeze(window_mean(v, values(b.mask), values(b.counts)), 1) : v;  // (n, 1, D)
    return nn::binary_cross_entropy_with_logits(scores(h, u), values(b.labels),
                                                {.weight = values(b.weights), .reduction = reduction});
}

Tensor scores(const Tensor& v, const Tensor& u) { return vecdot(u, v); }

Tensor window_mean(const Tensor& w, const Tensor& mask, const Tensor& n) {
    Tensor s = sum(w * unsqueeze(mask, -1), {1});  // (B, D): the window's sum
    // h has the value s / n, but passes its gradient to s whole (word2vec.c's update): s − s·(1 − 1/n),
    // the second term without a gradient.
    return s - s.detach() * (1.0f - 1.0f / n.detach());
}

}  // namespace detail

Word2VecResult train_word2vec(const std::string& corpus, const Word2VecOptions& o,
                              const std::function<void(const Word2VecProgress&)>& progress) {
    if (o.size == 0 || o.window == 0 || o.iter == 0 || o.batch == 0 || o.min_count == 0)
        throw ValueError(fmt::format("word2vec: size {}, window {}, iter {}, batch {} and min_count {} must all be at least 1",
                                     o.size, o.window, o.iter, o.batch, o.min_count));
    if (o.readers == 0 || o.readers > o.batch)
        throw ValueError(fmt::format("word2vec: readers {} must be at least 1 and at most batch ({}): a step takes batch/readers "
                                     "examples from each reader", o.readers, o.batch));
    if (o.merge_every == 0) throw ValueError("word2vec: merge_every 0 must be at least 1 (steps between the readers' merges)");
    if (!(o.alpha > 0) || !std::isfinite(o.alpha)) throw ValueError(fmt::format("word2vec: alpha {} must be a positive number", o.alpha));
    if (!(o.sample >= 0) || !std::isfinite(o.sample)) throw ValueError(fmt::format("word2vec: sample {} must be 0 or more", o.sample));
    const auto t0 = std::chrono::steady_clock::now();
    const Corpus c = detail::read_corpus(corpus, o.min_count);
    const std::size_t V = c.words.size(), K = 1 + o.negative, B = o.batch;
    Generator g(o.seed);
    SkipGram model(V, o.size, g);
    const NoiseTable noise(c.counts);
    // keep probability of each word under subsampling (word2vec.c's formula; ≥ 1 keeps it always)
    std::vector<double> keep(V, 1.0);
    if (o.sample > 0)
        for (std::size_t w = 0; w < V; ++w) {
            const double st = o.sample * double(c.train_words), f = double(c.counts[w]);
            if (f > 0) keep[w] = (std::sqrt(f / st) + 1) * st / f;
        }

    const std::size_t words_total = o.iter * c.train_words;
    std::size_t pairs = 0, next_report = 0;
    double lead = 0;  // the most a reader was ahead of the slowest at a merge, in chunks
    double loss_acc = 0, last_losses = 0;
    std::size_t loss_pairs = 0, last_pairs = 0;
    const BatchMaker maker{c, o, keep, noise, K};
    if (o.lock_free && num_threads() > 1) {  // every thread on its share, no locks (lock_free.cpp)
        const auto r = detail::train_lock_free(maker, g, num_threads(), model.in->weight.mutable_data().data(),
                                               model.out->weight.mutable_data().data(), progress, t0);
        pairs = r.pairs, last_losses = r.last_losses, last_pairs = r.last_pairs;
    } else {
        // o.readers readers, each with its own generator, read the corpus side by side: it is cut into
        // chunks of whole sentences (~1000 words) and reader r reads chunks r, r + R, r + 2R, …, so
        // together they go through it in order, as one word2vec.c thread does. A step takes
        // batch/readers examples from each reader, looks their rows up in its view (the tables as last
        // merged, plus its own updates since), runs the loss and its backward, and keeps its SGD update
        // aside. Every merge_every steps the readers' kept updates are added to the tables, reader by
        // reader. The threads share the readers (reader r on thread r mod T: a thread's readers' rows go
        // through the loss as one batch) and the merge (see SkipGram::merge), and meet twice a merge:
        // before it and after it. Nothing depends on T, so neither do the vectors.
        const std::size_t R = o.readers, S = o.merge_every;
        const auto chunks = detail::sentence_chunks(c, detail::kMaxSentence);
        std::vector<Part> parts;
        parts.reserve(R);
        for (std::size_t r = 0; r < R; ++r) {
            BatchMaker m = maker;
            std::size_t words = 0;
            for (std::size_t k = r; k < chunks.size(); k += R) m.spans.push_back(chunks[k]), words += chunks[k].second - chunks[k].first;
            if (m.spans.empty()) m.spans.emplace_back(0, 0);  // a corpus shorter than R chunks: nothing for this reader
            m.rows = B / R + (r < B % R ? 1 : 0);
            // skip-gram: a center word's pairs (up to 2·window, one after another) go to different steps
            if (!o.cbow) m.stripes = 2 * o.window;
            parts.emplace_back(m, Generator(g.random64()), V, words * o.iter);
        }
        auto report = [&](std::size_t rows, std::size_t words_done, double l, double alpha) {  // thread 0, at a merge
            loss_acc += l, loss_pairs += rows, pairs += rows;
            if (words_done * 100 >= words_total * 99) last_losses += l, last_pairs += rows;
            if (progress && words_done >= next_report) {  // every 100,000 words, and once when all are read
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                progress({parts[0].b.epoch + 1, words_done, words_total, alpha, loss_pairs ? loss_acc / double(loss_pairs) : 0.0, secs});
                loss_acc = 0, loss_pairs = 0;
                next_report = words_done < words_total ? std::min(words_done + 100000, words_total) : words_total + 1;
            }
        };
        // one step of a thread's parts (those with examples left): forward, backward, kept updates
        auto step = [&](std::vector<Part*>& mine, Lookup& lookup) {
            model.forward_backward(o, mine, lookup);
            for (Part* p : mine) {
                ++p->steps;
                if (!std::isfinite(p->loss))
                    throw ValueError(fmt::format("word2vec: the loss became {} at step {} of reader {} (after {} of its {} words); the "
                                                 "updates are too large: lower --alpha ({}) or --batch ({})", p->loss, p->steps,
                                                 p - parts.data(), p->b.words_done, p->words_total, o.alpha, B));
                // its lr falls with its own progress through its share
                p->alpha = std::max(o.alpha * (1.0 - double(p->b.words_done) / double(p->words_total + 1)), o.alpha * 1e-4);
                p->window_loss += p->loss, p->window_rows += p->b.rows;
                model.keep_update(*p, float(p->alpha));
            }
        };
        float* w_in = model.in->weight.mutable_data().data();
        float* w_out = model.out->weight.mutable_data().data();
        detail::StepBarrier barrier;
        std::atomic<bool> go{false};
        bool done = false;
        std::exception_ptr error;
        std::size_t T = 1;
        std::vector<Lookup> lookups(std::min(std::size_t(num_threads()), R));
        auto work = [&](std::size_t t) {
            std::vector<Part*> mine;  // this thread's parts with examples this step
            while (!go.load()) go.wait(false);
            for (;;) {
                for (std::size_t k = 0; k < S; ++k) {
                    mine.clear();
                    for (std::size_t r = t; r < R; r += T) {
                        Part& p = parts[r];
                        if (p.finished || p.error || p.waits) continue;
                        try {
                            if (p.maker.fill(p.g, p.b)) mine.push_back(&p);
                            else p.finished = true;
                        } catch (...) {
                            p.error = std::current_exception();
                        }
                    }
                    if (mine.empty()) break;
                    try {
                        step(mine, lookups[t]);
                    } catch (...) {
                        mine.front()->error = std::current_exception();
                        break;
                    }
                }
                barrier.arrive_and_wait();
                bool failed = false;  // every thread reads the parts alike, so all agree whether to merge
                for (const Part& p : parts) failed = failed || p.error;
                if (!failed) model.merge(parts, t, T, w_in, w_out);
                if (t == 0) {
                    std::size_t rows = 0, words_done = 0;
                    double l = 0;
                    bool finished = true;
                    for (const Part& p : parts) {
                        if (p.error && !error) error = p.error;
                        rows += p.window_rows, words_done += p.b.words_done, l += p.window_loss;
                        finished = finished && p.finished;
                    }
                    done = failed || finished;
                    // readers keep pace in the text, not in pairs (a chunk of short lines gives fewer pairs
                    // a word): one more than a chunk ahead of the slowest sits out until the next merge
                    double behind = 1e300;
                    for (const Part& p : parts)
                        if (!p.finished) behind = std::min(behind, p.maker.progress());
                    for (Part& p : parts) {
                        if (p.finished) continue;
                        lead = std::max(lead, p.maker.progress() - behind);
                        p.waits = p.maker.progress() > behind + 1.0;
                    }
                    if (!failed && rows > 0) report(rows, words_done, l, parts[0].alpha);
                }
                barrier.arrive_and_wait();
                for (std::size_t r = t; r < R; r += T) SkipGram::clear_kept(parts[r]);
                if (done) return;
            }
        };
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < std::min(std::size_t(num_threads()), R); ++t) {
            try {
                pool.emplace_back(work, t);
            } catch (const std::system_error&) {
                break;  // fewer threads than asked: the readers are shared among those there are
            }
        }
        T = 1 + pool.size();
        barrier.set_count(int(T));
        go = true;
        go.notify_all();
        work(0);
        for (auto& th : pool) th.join();
        if (error) std::rethrow_exception(error);
    }
    Word2VecResult res;
    res.vectors = KeyedVectors(c.words, std::vector<float>(model.in->weight.data().begin(), model.in->weight.data().end()), o.size);
    res.train_words = c.train_words;
    res.pairs = pairs;
    res.reader_lead = lead;
    res.final_loss = last_pairs ? last_losses / double(last_pairs) : 0.0;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace xgrad::wordvec
