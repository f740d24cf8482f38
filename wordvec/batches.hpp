// The examples word2vec trains on, made as word2vec.c makes them, and their hand-over from the thread
// that makes them to the one that trains (wordvec/word2vec.cpp's internals).
#pragma once
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "tensor/array.hpp"
#include "wordvec/word2vec.hpp"

namespace xgrad::wordvec::detail {

constexpr std::size_t kMaxSentence = 1000;  // word2vec.c's MAX_SENTENCE_LENGTH

struct Corpus {
    std::vector<std::string> words;       // the vocabulary: "</s>" first, then by count, most frequent first
    std::vector<std::size_t> counts;
    std::vector<int32_t> ids;             // the text's words in the vocabulary, in order
    std::size_t train_words = 0;          // Σ counts
};

/// One batch of examples, made ahead of the step that trains on it. Skip-gram: ctx (B) and tgt (B, K);
/// CBOW: windows (B, C) with mask (B, C) and word counts (B, 1), and tgt. Rows past `rows` are unused.
struct Batch {
    std::size_t rows = 0, words_done = 0, epoch = 0;  ///< words_done: corpus words read when it filled (the lr)
    IdArray ctx, tgt, windows;
    Array labels, weights, mask, counts;
};

/// Reads the corpus as word2vec.c does — sentences, subsampling, a window per word, noise words — and
/// hands the examples out in batches to `emit(Batch&)`, which returns false to stop and may leave
/// another batch's buffers in its argument (to be filled next). It draws only from the generator it is
/// given and never reads the tables, so it can run ahead of training on another thread.
struct BatchMaker {
    const Corpus& c;
    const Word2VecOptions& o;
    const std::vector<double>& keep;  ///< each word's probability of being kept under subsampling
    const NoiseTable& noise;
    std::size_t K;                    ///< targets a row: the center word, then o.negative noise words
    std::size_t begin = 0, end = SIZE_MAX;  ///< the share of the corpus read (positions in c.ids)

    void allocate(Batch& b) const {
        const std::size_t B = o.batch, C = o.cbow ? 2 * o.window : 0;
        b.ctx = IdArray::from_shape({B}), b.tgt = IdArray::from_shape({B, K}), b.windows = IdArray::from_shape({o.cbow ? B : 0, C});
        b.labels = full_array({B, K}, 0.0f), b.weights = full_array({B, K}, 0.0f);
        b.mask = full_array({o.cbow ? B : 0, C}, 0.0f), b.counts = full_array({o.cbow ? B : 0, 1}, 1.0f);
    }

    /// Returns false when `emit` asked to stop.
    template <class Emit>
    bool run(Generator& g, Emit emit) const {
        const std::size_t C = 2 * o.window;
        std::size_t words_done = 0;
        Batch b;
        allocate(b);
        bool more = true;
        auto row_done = [&] {  // the row is written: hand the batch out when it is full
            if (++b.rows < o.batch) return;
            b.words_done = words_done;
            const std::size_t epoch = b.epoch;
            more = emit(b);
            if (b.tgt.size() != o.batch * K) allocate(b);  // not a used batch handed back: new buffers
            b.rows = 0, b.epoch = epoch;
        };
        auto set_targets = [&](int32_t center) {  // row b.rows: the center word (label 1), then noise (label 0)
            const std::size_t r = b.rows;
            b.tgt(r, 0) = center, b.labels(r, 0) = 1.0f, b.weights(r, 0) = 1.0f;
            for (std::size_t k = 1; k < K; ++k) {
                const int32_t n = noise.sample(g);
                b.tgt(r, k) = n, b.labels(r, k) = 0.0f;
                b.weights(r, k) = n == center ? 0.0f : 1.0f;  // the center is no noise
            }
        };
        std::vector<int32_t> sen;
        for (std::size_t epoch = 0; epoch < o.iter && more; ++epoch) {
            b.epoch = epoch;
            const std::size_t stop = std::min(end, c.ids.size());
            std::size_t pos = begin;
            while (pos < stop && more) {
                // a sentence: words up to "</s>" (which ends it and is not part of it) or 1000 words, the
                // frequent ones dropped at random
                sen.clear();
                while (pos < stop) {
                    const int32_t w = c.ids[pos++];
                    ++words_done;
                    if (w == 0) break;
                    if (keep[std::size_t(w)] < 1.0 && keep[std::size_t(w)] < g.uniform_double()) continue;
                    sen.push_back(w);
                    if (sen.size() >= kMaxSentence) break;
                }
                for (std::size_t i = 0; i < sen.size() && more; ++i) {
                    const std::size_t d = g.random() % o.window;  // this word's window: window − d on each side
                    const std::size_t lo = i + d >= o.window ? i + d - o.window : 0, hi = std::min(sen.size() - 1, i + o.window - d);
                    if (o.cbow) {  // one example: the window's words predict the center word
                        std::size_t n = 0;
                        for (std::size_t j = lo; j <= hi; ++j)
                            if (j != i) b.windows(b.rows, n) = sen[j], b.mask(b.rows, n++) = 1.0f;
                        if (n == 0) continue;
                        for (std::size_t m = n; m < C; ++m) b.windows(b.rows, m) = 0, b.mask(b.rows, m) = 0.0f;
                        b.counts(b.rows, 0) = float(n);
                        set_targets(sen[i]);
                        row_done();
                        continue;
                    }
                    for (std::size_t j = lo; j <= hi && more; ++j) {
                        if (j == i) continue;
                        b.ctx(b.rows) = sen[j];  // the context word's vector predicts the center word
                        set_targets(sen[i]);
                        row_done();
                    }
                }
            }
        }
        if (more && b.rows > 0) {  // the last, partial batch
            b.words_done = words_done;
            more = emit(b);
        }
        return more;
    }
};

/// Batches from the maker's thread to the training thread, in chunks of kChunk (one hand-over, one
/// wake-up, per chunk), at most kAhead chunks waiting; trained chunks go back to the maker for reuse.
class BatchQueue {
public:
    static constexpr std::size_t kChunk = 16, kAhead = 4;
    bool push(std::vector<Batch>& chunk) {  // hands `chunk` over, leaves a used one (or none) in it
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return full_.size() < kAhead || stop_; });
        if (stop_) return false;
        full_.push_back(std::move(chunk));
        chunk.clear();
        if (!used_.empty()) chunk = std::move(used_.back()), used_.pop_back();
        cv_.notify_all();
        return true;
    }
    void finish(std::exception_ptr error) {  // the maker is done (or failed)
        std::lock_guard lk(mu_);
        done_ = true, error_ = error;
        cv_.notify_all();
    }
    bool pop(std::vector<Batch>& chunk) {  // gives back the trained `chunk`, takes the next; false: no more
        std::unique_lock lk(mu_);
        if (!chunk.empty()) used_.push_back(std::move(chunk));
        chunk.clear();
        cv_.wait(lk, [&] { return !full_.empty() || done_; });
        if (full_.empty()) {
            if (error_) std::rethrow_exception(error_);
            return false;
        }
        chunk = std::move(full_.front());
        full_.pop_front();
        cv_.notify_all();
        return true;
    }
    void cancel() {
        std::lock_guard lk(mu_);
        stop_ = true;
        cv_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::vector<Batch>> full_, used_;
    bool done_ = false, stop_ = false;
    std::exception_ptr error_;
};

/// The score of each row of v (B, D) against its K rows of u (B, K, D): (B, K).
Tensor scores(const Tensor& v, const Tensor& u);
/// CBOW's hidden vector: a window's vectors w (B, C, D), mask (B, C), counts n (B, 1) → (B, D), their
/// mean, passing its gradient to each window word whole (word2vec.c's update).
Tensor window_mean(const Tensor& w, const Tensor& mask, const Tensor& n);

/// What a lock-free run reports: examples trained, and the loss of the last 1% of the words.
struct LockFreeStats {
    std::size_t pairs = 0, last_pairs = 0;
    double last_losses = 0;
};
/// Word2VecOptions::lock_free: `threads` threads each read an equal share of the corpus (with
/// generators seeded from g) and update the tables `in` and `out` (V × D, row-major) at once, without
/// locks. Runs thread 0's share on the calling thread; reports progress from it.
LockFreeStats train_lock_free(const BatchMaker& maker, Generator& g, int threads, float* in, float* out,
                              const std::function<void(const Word2VecProgress&)>& progress,
                              std::chrono::steady_clock::time_point t0);

}  // namespace xgrad::wordvec::detail
