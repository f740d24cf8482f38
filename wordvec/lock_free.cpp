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

}  // namespace

LockFreeStats train_lock_free(const BatchMaker& maker, Generator& g, int threads, float* in, float* out,
                              const std::function<void(const Word2VecProgress&)>& progress,
                              std::chrono::steady_clock::time_point t0) {
    const Word2VecOptions& o = maker.o;
    const std::size_t D = o.size, K = maker.K, words_total = o.iter * maker.c.train_words;
    std::atomic<std::size_t> words_done{0};  // over all threads: the learning rate's schedule
    std::atomic<bool> stop{false};
    const auto T = static_cast<std::size_t>(threads);
    std::vector<LockFreeStats> stats(T);
    std::vector<std::exception_ptr> errors(T);
    std::vector<uint64_t> seeds;
    for (int t = 0; t < threads; ++t) seeds.push_back(g.random64());

    auto work = [&](int t) {
        try {
            BatchMaker mine = maker;  // thread t's share of the corpus
            const std::size_t n_ids = maker.c.ids.size();
            mine.spans = {{n_ids * std::size_t(t) / std::size_t(threads), n_ids * std::size_t(t + 1) / std::size_t(threads)}};
            Generator gen(seeds[std::size_t(t)]);
            LockFreeStats& st = stats[std::size_t(t)];
            std::size_t seen = 0, next_report = 0;  // this thread's words, counted into words_done
            double loss_acc = 0;
            std::size_t loss_pairs = 0;
            auto step = [&](Batch& b) {
                const std::size_t all = words_done.fetch_add(b.words_done - seen) + (b.words_done - seen);
                seen = b.words_done;
                const float lr = float(std::max(o.alpha * (1.0 - double(all) / double(words_total + 1)), o.alpha * 1e-4));
                const std::size_t n = b.rows;
                const std::size_t C = o.cbow ? b.windows.shape()[1] : 0;
                Tensor u(gather(out, D, b.tgt.data(), n * K, {n, K, D}), true);  // (n, K, D)
                Tensor v = o.cbow ? Tensor(gather(in, D, b.windows.data(), n * C, {n, C, D}), true)  // (n, C, D)
                                  : Tensor(gather(in, D, b.ctx.data(), n, {n, 1, D}), true);          // (n, 1, D)
                Tensor loss = batch_loss(b, o.cbow, v, u);
                loss.backward();
                const double l = loss.item();
                if (!std::isfinite(l))
                    throw ValueError(fmt::format("word2vec: the loss became {} (after {} of {} words); the updates are too "
                                                 "large: lower --alpha ({}) or --batch ({})", l, all, words_total, o.alpha, o.batch));
                subtract(out, D, b.tgt.data(), n * K, u.grad_data().data(), lr);
                if (o.cbow) subtract(in, D, b.windows.data(), n * C, v.grad_data().data(), lr, b.mask.data().data());
                else subtract(in, D, b.ctx.data(), n, v.grad_data().data(), lr);
                st.pairs += n, loss_acc += l, loss_pairs += n;
                if (all * 100 >= words_total * 99) st.last_losses += l, st.last_pairs += n;
                if (t == 0 && progress && all >= next_report) {
                    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    progress({b.epoch + 1, all, words_total, lr, loss_pairs ? loss_acc / double(loss_pairs) : 0.0, secs});
                    loss_acc = 0, loss_pairs = 0, next_report = all + 100000;
                }
                return !stop.load(std::memory_order_relaxed);
            };
            for (Batch b; mine.fill(gen, b) && step(b);) {
            }
        } catch (...) {
            errors[std::size_t(t)] = std::current_exception();
            stop = true;
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
    for (const auto& s : stats) all.pairs += s.pairs, all.last_pairs += s.last_pairs, all.last_losses += s.last_losses;
    return all;
}

}  // namespace xgrad::wordvec::detail
