// word2vec's skip-gram and CBOW with negative sampling on xgrad (see word2vec.hpp).
#include "wordvec/word2vec.hpp"

#include "wordvec/barrier.hpp"
#include "wordvec/batches.hpp"
#include "wordvec/skipgram.hpp"

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
using detail::Lookup;
using detail::Part;
using detail::SkipGram;

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

namespace {

void check_options(const Word2VecOptions& o) {
    if (o.size == 0 || o.window == 0 || o.iter == 0 || o.batch == 0 || o.min_count == 0)
        throw ValueError(fmt::format("word2vec: size {}, window {}, iter {}, batch {} and min_count {} must all be at least 1",
                                     o.size, o.window, o.iter, o.batch, o.min_count));
    if (o.readers == 0 || o.readers > o.batch)
        throw ValueError(fmt::format("word2vec: readers {} must be at least 1 and at most batch ({}): a step takes batch/readers "
                                     "examples from each reader", o.readers, o.batch));
    if (o.merge_every == 0) throw ValueError("word2vec: merge_every 0 must be at least 1 (steps between the readers' merges)");
    if (!(o.alpha > 0) || !std::isfinite(o.alpha)) throw ValueError(fmt::format("word2vec: alpha {} must be a positive number", o.alpha));
    if (!(o.sample >= 0) || !std::isfinite(o.sample)) throw ValueError(fmt::format("word2vec: sample {} must be 0 or more", o.sample));
}

// The probability of keeping each word under subsampling (word2vec.c's formula; ≥ 1 keeps it always).
std::vector<double> keep_probabilities(const Corpus& c, double sample) {
    std::vector<double> keep(c.words.size(), 1.0);
    if (sample > 0)
        for (std::size_t w = 0; w < keep.size(); ++w) {
            const double st = sample * double(c.train_words), f = double(c.counts[w]);
            if (f > 0) keep[w] = (std::sqrt(f / st) + 1) * st / f;
        }
    return keep;
}

// o.readers readers, each with its own generator, read the corpus side by side: it is cut into chunks
// of whole sentences (~1000 words) and reader r reads chunks r, r + R, r + 2R, …, so together they go
// through it in order, as one word2vec.c thread does. A step takes batch/readers examples from each
// reader, looks their rows up in its view (the tables as last merged, plus its own updates since), runs
// the loss and its backward, and keeps its SGD update aside. Every merge_every steps the readers' kept
// updates are added to the tables, reader by reader. The threads share the readers (reader r on thread
// r mod T: a thread's readers' rows go through the loss as one batch) and the merge (see SkipGram::merge),
// and meet twice a merge: before it and after it. Nothing depends on T, so neither do the vectors.
class Readers {
public:
    Readers(const Corpus& c, const Word2VecOptions& o, const BatchMaker& maker, SkipGram& model, Generator& g)
        : o_(o), model_(model), words_total_(o.iter * c.train_words) {
        const std::size_t R = o.readers, B = o.batch;
        const auto chunks = detail::sentence_chunks(c, detail::kMaxSentence);
        parts_.reserve(R);
        for (std::size_t r = 0; r < R; ++r) {
            BatchMaker m = maker;
            std::size_t words = 0;
            for (std::size_t k = r; k < chunks.size(); k += R) m.spans.push_back(chunks[k]), words += chunks[k].second - chunks[k].first;
            if (m.spans.empty()) m.spans.emplace_back(0, 0);  // a corpus shorter than R chunks: nothing for this reader
            m.rows = B / R + (r < B % R ? 1 : 0);
            if (!o.cbow) m.stripes = 2 * o.window;  // skip-gram: a center word's pairs go to different steps
            parts_.emplace_back(m, Generator(g.random64()), c.words.size(), words * o.iter);
        }
    }

    /// Trains on up to num_threads() threads; the first error of any reader is rethrown.
    void run(const std::function<void(const Word2VecProgress&)>& progress, std::chrono::steady_clock::time_point t0);

    std::size_t pairs = 0, last_pairs = 0;  ///< rows trained; rows of the last 1% of the words
    double last_losses = 0;                 ///< their summed loss
    double lead = 0;  ///< the most a reader was ahead of the slowest at a merge, in chunks

private:
    void step(std::vector<Part*>& mine, Lookup& lookup);
    void take_steps(std::size_t t, std::vector<Part*>& mine);
    void after_merge(bool failed);
    void work(std::size_t t);

    const Word2VecOptions& o_;
    SkipGram& model_;
    const std::size_t words_total_;
    std::vector<Part> parts_;
    std::vector<Lookup> lookups_;
    detail::StepBarrier barrier_;
    std::atomic<bool> go_{false};
    bool done_ = false;
    std::exception_ptr error_;
    std::size_t threads_ = 1;
    float *w_in_ = nullptr, *w_out_ = nullptr;
    std::function<void(const Word2VecProgress&)> progress_;
    std::chrono::steady_clock::time_point t0_;
    std::size_t next_report_ = 0, loss_pairs_ = 0;
    double loss_acc_ = 0;
};

// One step of a thread's parts (those with examples left): forward, backward, kept updates.
void Readers::step(std::vector<Part*>& mine, Lookup& lookup) {
    model_.forward_backward(o_, mine, lookup);
    for (Part* p : mine) {
        ++p->steps;
        if (!std::isfinite(p->loss))
            throw ValueError(fmt::format("word2vec: the loss became {} at step {} of reader {} (after {} of its {} words); the "
                                         "updates are too large: lower --alpha ({}) or --batch ({})", p->loss, p->steps,
                                         p - parts_.data(), p->b.words_done, p->words_total, o_.alpha, o_.batch));
        // its lr falls with its own progress through its share
        p->alpha = std::max(o_.alpha * (1.0 - double(p->b.words_done) / double(p->words_total + 1)), o_.alpha * 1e-4);
        p->window_loss += p->loss, p->window_rows += p->b.rows;
        model_.keep_update(*p, float(p->alpha));
    }
}

// Up to merge_every steps of thread t's readers, until they have no examples left or one fails (its
// error is kept in its part).
void Readers::take_steps(std::size_t t, std::vector<Part*>& mine) {
    for (std::size_t k = 0; k < o_.merge_every; ++k) {
        mine.clear();
        for (std::size_t r = t; r < parts_.size(); r += threads_) {
            Part& p = parts_[r];
            if (p.finished || p.error || p.waits) continue;
            try {
                if (p.maker.fill(p.g, p.b)) mine.push_back(&p);
                else p.finished = true;
            } catch (...) {
                p.error = std::current_exception();
            }
        }
        if (mine.empty()) return;
        try {
            step(mine, lookups_[t]);
        } catch (...) {
            mine.front()->error = std::current_exception();
            return;
        }
    }
}

// Thread 0 between the merge and the next steps: the first error, whether all is read, the progress
// report (every 100,000 words, and once when all are read), and the pace: readers keep pace in the
// text, not in pairs (a chunk of short lines gives fewer pairs a word), so one more than a chunk ahead
// of the slowest sits out until the next merge.
void Readers::after_merge(bool failed) {
    std::size_t rows = 0, words_done = 0;
    double l = 0;
    bool finished = true;
    for (const Part& p : parts_) {
        if (p.error && !error_) error_ = p.error;
        rows += p.window_rows, words_done += p.b.words_done, l += p.window_loss;
        finished = finished && p.finished;
    }
    done_ = failed || finished;
    double behind = 1e300;
    for (const Part& p : parts_)
        if (!p.finished) behind = std::min(behind, p.maker.progress());
    for (Part& p : parts_) {
        if (p.finished) continue;
        lead = std::max(lead, p.maker.progress() - behind);
        p.waits = p.maker.progress() > behind + 1.0;
    }
    if (failed || rows == 0) return;
    loss_acc_ += l, loss_pairs_ += rows, pairs += rows;
    if (words_done * 100 >= words_total_ * 99) last_losses += l, last_pairs += rows;
    if (progress_ && words_done >= next_report_) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        progress_({parts_[0].b.epoch + 1, words_done, words_total_, parts_[0].alpha,
                   loss_pairs_ ? loss_acc_ / double(loss_pairs_) : 0.0, secs});
        loss_acc_ = 0, loss_pairs_ = 0;
        next_report_ = words_done < words_total_ ? std::min(words_done + 100000, words_total_) : words_total_ + 1;
    }
}

void Readers::work(std::size_t t) {
    std::vector<Part*> mine;  // this thread's parts with examples this step
    while (!go_.load()) go_.wait(false);
    for (;;) {
        take_steps(t, mine);
        barrier_.arrive_and_wait();
        bool failed = false;  // every thread reads the parts alike, so all agree whether to merge
        for (const Part& p : parts_) failed = failed || p.error;
        if (!failed) model_.merge(parts_, t, threads_, w_in_, w_out_);
        if (t == 0) after_merge(failed);
        barrier_.arrive_and_wait();
        for (std::size_t r = t; r < parts_.size(); r += threads_) SkipGram::clear_kept(parts_[r]);
        if (done_) return;
    }
}

void Readers::run(const std::function<void(const Word2VecProgress&)>& progress, std::chrono::steady_clock::time_point t0) {
    progress_ = progress, t0_ = t0;
    w_in_ = model_.in->weight.mutable_data().data();
    w_out_ = model_.out->weight.mutable_data().data();
    lookups_.resize(std::min(std::size_t(num_threads()), parts_.size()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < lookups_.size(); ++t) {
        try {
            pool.emplace_back([this, t] { work(t); });
        } catch (const std::system_error&) {
            break;  // fewer threads than asked: the readers are shared among those there are
        }
    }
    threads_ = 1 + pool.size();
    barrier_.set_count(int(threads_));
    go_ = true;
    go_.notify_all();
    work(0);
    for (auto& th : pool) th.join();
    if (error_) std::rethrow_exception(error_);
}

}  // namespace

Word2VecResult train_word2vec(const std::string& corpus, const Word2VecOptions& o,
                              const std::function<void(const Word2VecProgress&)>& progress) {
    check_options(o);
    const auto t0 = std::chrono::steady_clock::now();
    const Corpus c = detail::read_corpus(corpus, o.min_count);
    Generator g(o.seed);
    SkipGram model(c.words.size(), o.size, g);
    const NoiseTable noise(c.counts);
    const std::vector<double> keep = keep_probabilities(c, o.sample);
    const BatchMaker maker{c, o, keep, noise, 1 + o.negative};
    Word2VecResult res;
    std::size_t last_pairs = 0;
    double last_losses = 0;
    if (o.lock_free && num_threads() > 1) {  // every thread on its share, no locks (lock_free.cpp)
        const auto r = detail::train_lock_free(maker, g, num_threads(), model.in->weight.mutable_data().data(),
                                               model.out->weight.mutable_data().data(), progress, t0);
        res.pairs = r.pairs, last_losses = r.last_losses, last_pairs = r.last_pairs;
    } else {
        Readers readers(c, o, maker, model, g);
        readers.run(progress, t0);
        res.pairs = readers.pairs, res.reader_lead = readers.lead, last_losses = readers.last_losses, last_pairs = readers.last_pairs;
    }
    res.vectors = KeyedVectors(c.words, std::vector<float>(model.in->weight.data().begin(), model.in->weight.data().end()), o.size);
    res.train_words = c.train_words;
    res.final_loss = last_pairs ? last_losses / double(last_pairs) : 0.0;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace xgrad::wordvec
