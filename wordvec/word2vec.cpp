// word2vec's skip-gram and CBOW with negative sampling on xgrad (see word2vec.hpp).
#include "wordvec/word2vec.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/serialize.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::wordvec {

namespace {

constexpr const char* kEos = "</s>";  // a line break, as word2vec.c reads it
constexpr std::size_t kMaxSentence = 1000;

struct Corpus {
    std::vector<std::string> words;       // the vocabulary: "</s>" first, then by count, most frequent first
    std::vector<std::size_t> counts;
    std::vector<int32_t> ids;             // the text's words in the vocabulary, in order
    std::size_t train_words = 0;          // Σ counts
};

/// Words split on spaces, tabs and line breaks; a line break is also the token "</s>".
template <class Fn>
void for_each_token(const std::string& text, Fn fn) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            fn(std::string_view(kEos));
            ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else {
            const std::size_t j = i;
            while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') ++i;
            fn(std::string_view(text).substr(j, i - j));
        }
    }
}

Corpus read_corpus(const std::string& path, std::size_t min_count) {
    const std::string text = nn::read_file(path);
    std::unordered_map<std::string_view, std::size_t> count, first;
    for_each_token(text, [&](std::string_view w) {
        if (++count[w] == 1) first[w] = first.size();
    });
    Corpus c;
    std::vector<std::string_view> kept;
    for (const auto& [w, n] : count)
        if (w != kEos && n >= min_count) kept.push_back(w);
    // most frequent first; ties in order of first appearance (word2vec.c's qsort leaves them unordered)
    std::sort(kept.begin(), kept.end(), [&](auto a, auto b) { return count[a] != count[b] ? count[a] > count[b] : first[a] < first[b]; });
    c.words.emplace_back(kEos);
    c.counts.push_back(count.count(kEos) ? count[kEos] : 0);
    for (auto w : kept) c.words.emplace_back(w), c.counts.push_back(count[w]);
    if (c.words.size() < 3) {
        std::size_t top = 0;
        for (const auto& [w, n] : count) top = std::max(top, w == kEos ? 0 : n);
        throw ValueError(fmt::format("word2vec: {}: only {} words occur at least --min-count {} times (the most frequent "
                                     "occurs {} times): lower --min-count or give a longer corpus", path,
                                     c.words.size() - 1, min_count, top));
    }
    std::unordered_map<std::string_view, int32_t> index;
    for (std::size_t i = 0; i < c.words.size(); ++i) index[c.words[i]] = int32_t(i);
    c.ids.reserve(text.size() / 5);
    for_each_token(text, [&](std::string_view w) {
        auto it = index.find(w);
        if (it != index.end()) c.ids.push_back(it->second);  // words out of the vocabulary are skipped
    });
    for (auto n : c.counts) c.train_words += n;
    return c;
}

/// The two tables as a module: in (the word vectors) and out (the context side), both row-sparse.
struct SkipGram : nn::Module {
    nn::Ptr<nn::Embedding> in, out;
    SkipGram(std::size_t V, std::size_t D, Generator& g) : nn::Module("SkipGram") {
        nn::EmbeddingOptions sparse;
        sparse.sparse = true;
        in = register_module("in", nn::make<nn::Embedding>(V, D, sparse, g));
        out = register_module("out", nn::make<nn::Embedding>(V, D, sparse, g));
        const double r = 0.5 / double(D);  // word2vec.c: in uniform in ±0.5/D, out zero
        nn::init::uniform_(in->weight, -r, r, g);
        nn::init::zeros_(out->weight);
    }
    /// context (B), targets (B, K) → logits (B, K) = in[context]·out[targets]
    Tensor forward(const IdArray& context, const IdArray& targets) const {
        Tensor v = unsqueeze(in(context), 1);      // (B, 1, D)
        Tensor u = out(targets);                   // (B, K, D)
        return sum(u * v, {-1});                   // (B, K)
    }
    /// CBOW: windows (B, C) of ids with mask (B, C) (1 for a word, 0 for padding) and their word counts
    /// n (B, 1) → logits (B, K) = h·out[targets], h = Σ_c mask·in[window_c] / n.
    Tensor forward_cbow(const IdArray& windows, const Tensor& mask, const Tensor& n, const IdArray& targets) const {
        Tensor s = sum(in(windows) * unsqueeze(mask, -1), {1});  // (B, D): the window's sum
        // h has the value s / n, but passes its gradient to s whole (word2vec.c's update): s − s·(1 − 1/n),
        // the second term without a gradient.
        Tensor h = s - s.detach() * (1.0f - 1.0f / n.detach());
        return sum(out(targets) * unsqueeze(h, 1), {-1});  // (B, K)
    }
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
            std::size_t pos = 0;
            while (pos < c.ids.size() && more) {
                // a sentence: words up to "</s>" (which ends it and is not part of it) or 1000 words, the
                // frequent ones dropped at random
                sen.clear();
                while (pos < c.ids.size()) {
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

}  // namespace

NoiseTable::NoiseTable(const std::vector<std::size_t>& counts) : prob_(counts.size()), alias_(counts.size()) {
    const std::size_t V = counts.size();
    if (V < 2) throw ValueError(fmt::format("word2vec: a noise distribution needs 2 words or more, got {}", V));
    double total = 0;
    for (auto n : counts) total += std::pow(double(n), 0.75);
    std::vector<double> p(V);  // each word's probability × V: slots under 1 are topped up by one over 1
    std::vector<int32_t> small, large;
    for (std::size_t w = 0; w < V; ++w) {
        p[w] = std::pow(double(counts[w]), 0.75) / total * double(V);
        (p[w] < 1.0 ? small : large).push_back(int32_t(w));
    }
    while (!small.empty() && !large.empty()) {
        const int32_t s = small.back(), l = large.back();
        small.pop_back();
        prob_[s] = p[s], alias_[s] = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) large.pop_back(), small.push_back(l);
    }
    for (int32_t w : large) prob_[w] = 1.0, alias_[w] = w;
    for (int32_t w : small) prob_[w] = 1.0, alias_[w] = w;  // rounding leftovers: full slots
}

int32_t NoiseTable::sample(Generator& g) const {
    const std::size_t V = prob_.size();
    const double u = g.uniform_double() * double(V);
    const std::size_t slot = std::min(std::size_t(u), V - 1);
    const int32_t w = u - double(slot) < prob_[slot] ? int32_t(slot) : alias_[slot];
    return w != 0 ? w : int32_t(1 + g.random() % (V - 1));
}

Word2VecResult train_word2vec(const std::string& corpus, const Word2VecOptions& o,
                              const std::function<void(const Word2VecProgress&)>& progress) {
    if (o.size == 0 || o.window == 0 || o.iter == 0 || o.batch == 0 || o.min_count == 0)
        throw ValueError(fmt::format("word2vec: size {}, window {}, iter {}, batch {} and min_count {} must all be at least 1",
                                     o.size, o.window, o.iter, o.batch, o.min_count));
    if (!(o.alpha > 0) || !std::isfinite(o.alpha)) throw ValueError(fmt::format("word2vec: alpha {} must be a positive number", o.alpha));
    if (!(o.sample >= 0) || !std::isfinite(o.sample)) throw ValueError(fmt::format("word2vec: sample {} must be 0 or more", o.sample));
    const auto t0 = std::chrono::steady_clock::now();
    const Corpus c = read_corpus(corpus, o.min_count);
    const std::size_t V = c.words.size(), K = 1 + o.negative, B = o.batch;
    Generator g(o.seed);
    SkipGram model(V, o.size, g);
    nn::SGD opt(model.parameters(), {.lr = o.alpha});
    const NoiseTable noise(c.counts);
    // keep probability of each word under subsampling (word2vec.c's formula; ≥ 1 keeps it always)
    std::vector<double> keep(V, 1.0);
    if (o.sample > 0)
        for (std::size_t w = 0; w < V; ++w) {
            const double st = o.sample * double(c.train_words), f = double(c.counts[w]);
            if (f > 0) keep[w] = (std::sqrt(f / st) + 1) * st / f;
        }

    const std::size_t words_total = o.iter * c.train_words;
    std::size_t pairs = 0, steps = 0, next_report = 0;
    double loss_acc = 0, last_losses = 0;
    std::size_t loss_pairs = 0, last_pairs = 0;
    auto train = [&](Batch& b) {  // one SGD step on a batch
        const double alpha = std::max(o.alpha * (1.0 - double(b.words_done) / double(words_total + 1)), o.alpha * 1e-4);
        opt.set_lr(alpha, 0);
        const long n = long(b.rows);
        const bool part = b.rows < B;  // the last batch: its first rows only
        auto ids = [&](const IdArray& a) { return part ? slice(a, 0, 0, n) : a; };
        auto values = [&](const Array& a) {
            Tensor t{Array(a)};  // a copy: the batch's buffers are filled again
            return part ? slice(t, 0, 0, n) : t;
        };
        const IdArray tgt = ids(b.tgt);
        const Tensor labels = values(b.labels), weights = values(b.weights);
        const Tensor logits = o.cbow ? model.forward_cbow(ids(b.windows), values(b.mask), values(b.counts), tgt)
                                     : model.forward(ids(b.ctx), tgt);
        Tensor loss = nn::binary_cross_entropy_with_logits(logits, labels, {.weight = weights, .reduction = nn::Reduction::Sum});
        opt.zero_grad();
        loss.backward();
        opt.step();
        const double l = loss.item();
        if (!std::isfinite(l))
            throw ValueError(fmt::format("word2vec: the loss became {} at step {} (after {} of {} words); the updates are too "
                                         "large: lower --alpha ({}) or --batch ({})", l, steps, b.words_done, words_total, o.alpha, B));
        loss_acc += l, loss_pairs += b.rows, pairs += b.rows, ++steps;
        if (b.words_done * 100 >= words_total * 99) last_losses += l, last_pairs += b.rows;
        if (progress && (b.words_done >= next_report || b.words_done == words_total)) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            progress({b.epoch + 1, b.words_done, words_total, alpha, loss_pairs ? loss_acc / double(loss_pairs) : 0.0, secs});
            loss_acc = 0, loss_pairs = 0;
            next_report = b.words_done + 100000;
        }
    };
    // With two threads or more, the batches are made on a second thread while this one trains: the
    // maker uses its own generator and never the tables, so the vectors are the same at any count.
    const BatchMaker maker{c, o, keep, noise, K};
    bool inline_run = num_threads() < 2;
    if (!inline_run) {
        BatchQueue queue;
        std::thread thread;
        try {
            thread = std::thread([&] {
                std::exception_ptr error;
                try {
                    std::vector<Batch> chunk;  // filled batch by batch; a used chunk's batches are refilled
                    std::size_t n = 0;
                    bool more = maker.run(g, [&](Batch& b) {
                        if (n == chunk.size()) chunk.emplace_back();
                        std::swap(b, chunk[n++]);  // b takes the used batch's buffers (or none)
                        if (n < BatchQueue::kChunk) return true;
                        n = 0;
                        return queue.push(chunk);
                    });
                    chunk.resize(n);  // the last chunk's batches
                    if (more && n > 0) queue.push(chunk);
                } catch (...) {
                    error = std::current_exception();
                }
                queue.finish(error);
            });
        } catch (const std::system_error&) {
            inline_run = true;  // no second thread to be had: make the batches here
        }
        if (!inline_run) {
            struct Join {  // the maker stops and is joined however training ends
                BatchQueue& q;
                std::thread& t;
                ~Join() { q.cancel(), t.join(); }
            } join{queue, thread};
            for (std::vector<Batch> chunk; queue.pop(chunk);)
                for (Batch& b : chunk) train(b);
        }
    }
    if (inline_run) maker.run(g, [&](Batch& b) { return train(b), true; });
    Word2VecResult res;
    res.vectors = KeyedVectors(c.words, std::vector<float>(model.in->weight.data().begin(), model.in->weight.data().end()), o.size);
    res.train_words = c.train_words;
    res.pairs = pairs;
    res.final_loss = last_pairs ? last_losses / double(last_pairs) : 0.0;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace xgrad::wordvec
