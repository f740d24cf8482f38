// word2vec's skip-gram and CBOW with negative sampling on xgrad (see word2vec.hpp).
#include "wordvec/word2vec.hpp"

#include "wordvec/batches.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/serialize.hpp"
#include "tensor/kernels/threads.hpp"

namespace xgrad::wordvec {

using detail::Batch;
using detail::BatchMaker;
using detail::BatchQueue;
using detail::Corpus;

namespace {

constexpr const char* kEos = "</s>";  // a line break, as word2vec.c reads it

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
    Tensor forward(const IdArray& context, const IdArray& targets) const { return detail::scores(in(context), out(targets)); }
    /// CBOW: windows (B, C) of ids with mask (B, C) (1 for a word, 0 for padding) and their word counts
    /// n (B, 1) → logits (B, K) = h·out[targets], h = Σ_c mask·in[window_c] / n.
    Tensor forward_cbow(const IdArray& windows, const Tensor& mask, const Tensor& n, const IdArray& targets) const {
        return detail::scores(detail::window_mean(in(windows), mask, n), out(targets));
    }

};

}  // namespace

namespace detail {

Tensor scores(const Tensor& v, const Tensor& u) { return sum(u * unsqueeze(v, 1), {-1}); }

Tensor window_mean(const Tensor& w, const Tensor& mask, const Tensor& n) {
    Tensor s = sum(w * unsqueeze(mask, -1), {1});  // (B, D): the window's sum
    // h has the value s / n, but passes its gradient to s whole (word2vec.c's update): s − s·(1 − 1/n),
    // the second term without a gradient.
    return s - s.detach() * (1.0f - 1.0f / n.detach());
}

}  // namespace detail

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
    // (With lock_free, every thread trains on its share of the corpus instead; see lock_free.cpp.)
    const BatchMaker maker{c, o, keep, noise, K};
    const bool lock_free = o.lock_free && num_threads() > 1;
    bool inline_run = num_threads() < 2;
    if (lock_free) {
        const auto r = detail::train_lock_free(maker, g, num_threads(), model.in->weight.mutable_data().data(),
                                               model.out->weight.mutable_data().data(), progress, t0);
        pairs = r.pairs, last_losses = r.last_losses, last_pairs = r.last_pairs;
    } else if (!inline_run) {
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
