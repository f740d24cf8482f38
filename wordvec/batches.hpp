// The examples word2vec trains on, made as word2vec.c makes them (wordvec/word2vec.cpp's internals).
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/functional.hpp"
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

/// Reads the text file at path: words split on spaces, tabs and line breaks, a line break also the
/// token "</s>"; the vocabulary is "</s>" and the words seen min_count times or more, most frequent first
/// (ties in order of first appearance). FileError for a file that cannot be read; ValueError when fewer
/// than 2 words are kept (naming min_count and the most frequent word's count).
Corpus read_corpus(const std::string& path, std::size_t min_count);

/// The corpus cut into chunks of whole sentences: each ends at the first "</s>" at least `words` words
/// from its start (or after 2·words words when no line break comes). [begin, end) positions in c.ids.
inline std::vector<std::pair<std::size_t, std::size_t>> sentence_chunks(const Corpus& c, std::size_t words) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < c.ids.size(); ++i) {
        const std::size_t n = i + 1 - begin;
        if ((n >= words && c.ids[i] == 0) || n >= 2 * words || i + 1 == c.ids.size()) out.emplace_back(begin, i + 1), begin = i + 1;
    }
    return out;
}

/// One batch of examples, made ahead of the step that trains on it. Skip-gram: ctx (B, 1) and tgt (B, K);
/// CBOW: windows (B, C) with mask (B, C) and word counts (B, 1), and tgt. Rows past `rows` are unused.
struct Batch {
    std::size_t rows = 0, words_done = 0, epoch = 0;  ///< words_done: corpus words read when it filled (the lr)
    IdArray ctx, tgt, windows;
    /// the loss's constant inputs, kept as tensors so a step reads them in place (filled through
    /// mutable_data(); the step that read them has finished by then)
    Tensor labels, weights, mask, counts;
};

/// Reads the corpus as word2vec.c does — sentences, subsampling, a window per word, noise words — and
/// fills batches of examples from it, one call of fill() at a time, remembering where it stands. It
/// draws only from the generator it is given and never reads the tables.
struct BatchMaker {
    const Corpus& c;
    const Word2VecOptions& o;
    const std::vector<double>& keep;  ///< each word's probability of being kept under subsampling
    const NoiseTable& noise;
    std::size_t K;                    ///< targets a row: the center word, then o.negative noise words
    /// The share of the corpus read, in order: spans [begin, end) of positions in c.ids (empty: all).
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t rows = 0;             ///< rows a batch (0: o.batch)
    /// With L > 1, fill() reads L batches' examples ahead (a stash) and hands them out strided: the
    /// stash's step s gets examples s, s + L, s + 2L, … So examples up to L apart in the text — a
    /// skip-gram center word's ≤ 2·window pairs, L = 2·window — land in consecutive steps, each seeing
    /// the last one's update (as word2vec.c's pair-by-pair updates do), never in one step on the same
    /// stale rows. (1: in order.)
    std::size_t stripes = 1;

    BatchMaker(const Corpus& c_, const Word2VecOptions& o_, const std::vector<double>& keep_, const NoiseTable& noise_,
               std::size_t K_)
        : c(c_), o(o_), keep(keep_), noise(noise_), K(K_) {}

    std::size_t batch_rows() const { return rows ? rows : o.batch; }

    /// How far it has read, in spans: epoch · spans + the span it is in + the fraction of it read.
    double progress() const {
        if (!started_) return 0.0;
        const auto [begin, end] = spans[std::min(span_, spans.size() - 1)];
        return double(epoch_ * spans.size() + span_) + (end > begin ? double(pos_ - begin) / double(end - begin) : 0.0);
    }

    void allocate(Batch& b, std::size_t B) const {
        const std::size_t C = o.cbow ? 2 * o.window : 0;
        b.ctx = IdArray::from_shape({B, 1}), b.tgt = IdArray::from_shape({B, K}), b.windows = IdArray::from_shape({o.cbow ? B : 0, C});
        b.labels = Tensor(full_array({B, K}, 0.0f)), b.weights = Tensor(full_array({B, K}, 0.0f));
        b.mask = Tensor(full_array({o.cbow ? B : 0, C}, 0.0f)), b.counts = Tensor(full_array({o.cbow ? B : 0, 1}, 1.0f));
    }

    /// Fills b with the next batch_rows() examples (fewer at the end of the last epoch; strided, see
    /// stripes) and returns true, or returns false (b.rows 0) when all epochs are read. b.words_done:
    /// the share's words read so far over all epochs (the learning rate's clock).
    bool fill(Generator& g, Batch& b) {
        if (stripes <= 1) return fill_in_order(g, b, batch_rows());
        const std::size_t B = batch_rows();
        if (next_ == steps_) {  // the stash is handed out: read the next stripes·B examples
            if (!fill_in_order(g, stash_, B * stripes)) {
                b.rows = 0;
                return false;
            }
            steps_ = (stash_.rows + B - 1) / B, next_ = 0;
        }
        if (b.tgt.size() != B * K) allocate(b, B);
        take_rows(stash_, next_++, steps_, b);
        return b.rows > 0;
    }

private:
    /// b's rows: from's rows s, s + L, s + 2L, … (below from.rows; at most batch_rows() of them when
    /// L = ⌈from.rows / batch_rows()⌉, and the L steps s = 0 … L − 1 take every row once).
    void take_rows(const Batch& from, std::size_t s, std::size_t L, Batch& b) const {
        const std::size_t C = o.cbow ? 2 * o.window : 0;
        auto row = [](const auto& from_data, auto* to_data, std::size_t width, std::size_t r, std::size_t i) {
            std::copy_n(from_data + r * width, width, to_data + i * width);
        };
        b.rows = 0;
        for (std::size_t r = s; r < from.rows; r += L, ++b.rows) {
            const std::size_t i = b.rows;
            row(from.ctx.data(), b.ctx.data(), 1, r, i);
            row(from.tgt.data(), b.tgt.data(), K, r, i);
            row(from.labels.data().data(), b.labels.mutable_data().data(), K, r, i);
            row(from.weights.data().data(), b.weights.mutable_data().data(), K, r, i);
            if (C) {
                row(from.windows.data(), b.windows.data(), C, r, i);
                row(from.mask.data().data(), b.mask.mutable_data().data(), C, r, i);
                row(from.counts.data().data(), b.counts.mutable_data().data(), 1, r, i);
            }
        }
        b.words_done = from.words_done, b.epoch = from.epoch;
    }
    Batch stash_;
    std::size_t next_ = 0, steps_ = 0;

    bool fill_in_order(Generator& g, Batch& b, std::size_t B) {
        const std::size_t C = 2 * o.window;
        if (b.tgt.size() != B * K) allocate(b, B);
        b.rows = 0;
        Array& mask = b.mask.mutable_data();
        Array& counts = b.counts.mutable_data();
        while (b.rows < B) {
            if (!o.cbow && in_word_ && j_ <= hi_) {  // skip-gram: the next context word around word i_
                if (j_ != i_) {
                    b.ctx(b.rows, 0) = sen_[j_];  // the context word's vector predicts the center word
                    set_targets(g, b, sen_[i_]);
                    ++b.rows;
                }
                ++j_;
                continue;
            }
            if (in_word_) ++i_;  // the next word of the sentence
            in_word_ = false;
            if (i_ >= sen_.size()) {
                if (!next_sentence(g)) break;
                continue;
            }
            const std::size_t d = g.random() % o.window;  // this word's window: window − d on each side
            const std::size_t lo = i_ + d >= o.window ? i_ + d - o.window : 0;
            hi_ = std::min(sen_.size() - 1, i_ + o.window - d), j_ = lo, in_word_ = true;
            if (o.cbow) {  // one example: the window's words predict the center word
                std::size_t n = 0;
                for (std::size_t j = lo; j <= hi_; ++j)
                    if (j != i_) b.windows(b.rows, n) = sen_[j], mask(b.rows, n++) = 1.0f;
                if (n == 0) continue;
                for (std::size_t m = n; m < C; ++m) b.windows(b.rows, m) = 0, mask(b.rows, m) = 0.0f;
                counts(b.rows, 0) = float(n);
                set_targets(g, b, sen_[i_]);
                ++b.rows;
            }
        }
        b.words_done = words_done_, b.epoch = epoch_;
        return b.rows > 0;
    }

    std::size_t epoch_ = 0, span_ = 0, pos_ = 0, words_done_ = 0;
    bool started_ = false, done_ = false, in_word_ = false;
    std::vector<int32_t> sen_;     // the sentence being read
    std::size_t i_ = 0, j_ = 0, hi_ = 0;  // its center word, the next context word, the window's end

    /// Reads the next sentence (the next epoch's first when the share is read): words up to "</s>"
    /// (which ends it and is not part of it) or 1000 words, the frequent ones dropped at random. False
    /// when the last epoch is read.
    bool next_sentence(Generator& g) {
        if (!started_) {
            started_ = true;
            if (spans.empty()) spans.emplace_back(0, c.ids.size());
            span_ = 0, pos_ = spans[0].first;
        }
        if (done_) return false;
        while (pos_ >= spans[span_].second) {  // the span is read: the next, or the next epoch's first
            if (span_ + 1 < spans.size()) {
                ++span_;
            } else if (epoch_ + 1 < o.iter) {
                ++epoch_, span_ = 0;
            } else {
                done_ = true;
                return false;
            }
            pos_ = spans[span_].first;
        }
        const std::size_t stop = spans[span_].second;
        sen_.clear(), i_ = 0, in_word_ = false;
        while (pos_ < stop) {
            const int32_t w = c.ids[pos_++];
            ++words_done_;
            if (w == 0) break;
            if (keep[std::size_t(w)] < 1.0 && keep[std::size_t(w)] < g.uniform_double()) continue;
            sen_.push_back(w);
            if (sen_.size() >= kMaxSentence) break;
        }
        return true;
    }

    /// Row b.rows's targets: the center word (label 1), then noise words (label 0).
    void set_targets(Generator& g, Batch& b, int32_t center) const {
        const std::size_t r = b.rows;
        Array& labels = b.labels.mutable_data();
        Array& weights = b.weights.mutable_data();
        b.tgt(r, 0) = center, labels(r, 0) = 1.0f, weights(r, 0) = 1.0f;
        for (std::size_t k = 1; k < K; ++k) {
            const int32_t n = noise.sample(g);
            b.tgt(r, k) = n, labels(r, k) = 0.0f;
            weights(r, k) = n == center ? 0.0f : 1.0f;  // the center is no noise
        }
    }
};

/// The score of each row of v (B, 1, D) against its K rows of u (B, K, D): (B, K).
Tensor scores(const Tensor& v, const Tensor& u);
/// The loss of b's rows from the rows looked up for them, u = out[targets] (n, K, D) and
/// v = in[context] (n, 1, D) (CBOW: in[window] (n, C, D)), n = b.rows:
///   logits (n, K) = h·u, h = v (CBOW: the window's mean), loss = BCE(logits, labels)·weights,
/// summed (or, with Reduction::None, each (row, target)'s: (n, K)).
Tensor batch_loss(const Batch& b, bool cbow, const Tensor& v, const Tensor& u,
                  nn::Reduction reduction = nn::Reduction::Sum);
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
