// word2vec's lock-free mode (Word2VecOptions::lock_free; see batches.hpp): as word2vec.c trains with
// several threads. Each thread reads its share of the corpus, makes its own batches, and runs each
// batch's forward and backward on the rows it gathered from the shared tables, then subtracts
// lr · gradient from those rows in place. No locks: two threads may read a row while another writes
// it, or add to the same row at once and lose one of the updates; word2vec.c and gensim accept the
// same. The rows are read and written with relaxed atomic loads and stores, so the races are defined
// behaviour (on x86 they are plain moves). The vectors differ from run to run.
#include <atomic>
#include <exception>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "autograd/ops.hpp"
#include "wordvec/batches.hpp"

namespace xgrad::wordvec::detail {

namespace {

float load(const float* p) { return std::atomic_ref<float>(*const_cast<float*>(p)).load(std::memory_order_relaxed); }
void store(float* p, float v) { std::atomic_ref<float>(*p).store(v, std::memory_order_relaxed); }

/// The table's rows `ids` (n ids) as an array of shape `shape` (…, D).
Array gather(const float* table, std::size_t D, const int64_t* ids, std::size_t n, Shape shape) {
    Array out = Array::from_shape(shape);
    float* o = out.data();
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < D; ++j) o[i * D + j] = load(table + std::size_t(ids[i]) * D + j);
    return out;
}

/// table[ids[i]] −= lr · grad[i] for each of the n rows, skipping those whose keep[i] is 0.
void subtract(float* table, std::size_t D, const int64_t* ids, std::size_t n, const float* grad, float lr,
              const float* keep = nullptr) {
    for (std::size_t i = 0; i < n; ++i) {
        if (keep && keep[i] == 0.0f) continue;
        float* row = table + std::size_t(ids[i]) * D;
        for (std::size_t j = 0; j < D; ++j) store(row + j, load(row + j) - lr * grad[i * D + j]);
    }
}

// What the threads share: the options, the tables, the words read so far by all (the learning rate's
// clock) and the flag that stops them all after an error.
struct Shared {
    const Word2VecOptions& o;
    std::size_t K, words_total;
    float *in, *out;
    const std::function<void(const Word2VecProgress&)>& progress;
    std::chrono::steady_clock::time_point t0;
    std::atomic<std::size_t> words_done{0};
    std::atomic<bool> stop{false};
};

// One thread's counts: its words already added to words_done, its losses since the last report.
struct Worker {
    int t = 0;
    std::size_t seen = 0, next_report = 0, loss_pairs = 0;
    double loss_acc = 0;
    LockFreeStats stats;
};

// One batch: its rows gathered from the tables, the loss and its backward, lr · gradient subtracted from
// the rows in place; thread 0 reports the progress. False when another thread asked all to stop.
bool step(Shared& sh, Worker& w, const Batch& b) {
    const Word2VecOptions& o = sh.o;
    const std::size_t D = o.size, K = sh.K, n = b.rows, C = o.cbow ? b.windows.shape()[1] : 0;
    const std::size_t all = sh.words_done.fetch_add(b.words_done - w.seen) + (b.words_done - w.seen);
    w.seen = b.words_done;
    const float lr = float(std::max(o.alpha * (1.0 - double(all) / double(sh.words_total + 1)), o.alpha * 1e-4));
    Tensor u(gather(sh.out, D, b.tgt.data(), n * K, {n, K, D}), true);  // (n, K, D)
    Tensor v = o.cbow ? Tensor(gather(sh.in, D, b.windows.data(), n * C, {n, C, D}), true)  // (n, C, D)
                      : Tensor(gather(sh.in, D, b.ctx.data(), n, {n, 1, D}), true);          // (n, 1, D)
    Tensor loss = batch_loss(b, o.cbow, v, u);
    loss.backward();
    const double l = loss.item();
    if (!std::isfinite(l))
        throw ValueError(fmt::format("word2vec: the loss became {} (after {} of {} words); the updates are too "
                                     "large: lower --alpha ({}) or --batch ({})", l, all, sh.words_total, o.alpha, o.batch));
    subtract(sh.out, D, b.tgt.data(), n * K, u.grad_data().data(), lr);
    if (o.cbow) subtract(sh.in, D, b.windows.data(), n * C, v.grad_data().data(), lr, b.mask.data().data());
    else subtract(sh.in, D, b.ctx.data(), n, v.grad_data().data(), lr);
    w.stats.pairs += n, w.loss_acc += l, w.loss_pairs += n;
    if (all * 100 >= sh.words_total * 99) w.stats.last_losses += l, w.stats.last_pairs += n;
    if (w.t == 0 && sh.progress && all >= w.next_report) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - sh.t0).count();
        sh.progress({b.epoch + 1, all, sh.words_total, lr, w.loss_pairs ? w.loss_acc / double(w.loss_pairs) : 0.0, secs});
        w.loss_acc = 0, w.loss_pairs = 0, w.next_report = all + 100000;
    }
    return !sh.stop.load(std::memory_order_relaxed);
}

}  // namespace

LockFreeStats train_lock_free(const BatchMaker& maker, Generator& g, int threads, float* in, float* out,
                              const std::function<void(const Word2VecProgress&)>& progress,
                              std::chrono::steady_clock::time_point t0) {
    Shared sh{maker.o, maker.K, maker.o.iter * maker.c.train_words, in, out, progress, t0};
    const auto T = static_cast<std::size_t>(threads);
    std::vector<Worker> workers(T);
    std::vector<std::exception_ptr> errors(T);
    std::vector<uint64_t> seeds;
    for (int t = 0; t < threads; ++t) seeds.push_back(g.random64());
    auto work = [&](int t) {  // thread t: its share of the corpus, its own generator
        try {
            BatchMaker mine = maker;
            const std::size_t n_ids = maker.c.ids.size();
            mine.spans = {{n_ids * std::size_t(t) / T, n_ids * std::size_t(t + 1) / T}};
            Generator gen(seeds[std::size_t(t)]);
            Worker& w = workers[std::size_t(t)];
            w.t = t;
            for (Batch b; mine.fill(gen, b) && step(sh, w, b);) {
            }
        } catch (...) {
            errors[std::size_t(t)] = std::current_exception();
            sh.stop = true;
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(work, t);
        } catch (const std::system_error&) {  // fewer threads than asked: thread 0 takes the missing shares
            for (int r = t; r < threads; ++r) pool.emplace_back();
            break;
        }
    }
    work(0);
    for (int t = 1; t < threads; ++t)
        if (!pool[std::size_t(t - 1)].joinable()) work(t);  // a share no thread could take
    for (auto& th : pool)
        if (th.joinable()) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    LockFreeStats all;
    for (const auto& w : workers) all.pairs += w.stats.pairs, all.last_pairs += w.stats.last_pairs, all.last_losses += w.stats.last_losses;
    return all;
}

}  // namespace xgrad::wordvec::detail
