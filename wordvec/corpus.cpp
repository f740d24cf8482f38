// Reading a corpus as word2vec.c does (wordvec/batches.hpp's read_corpus), and its noise words
// (word2vec.hpp's NoiseTable).
#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/serialize.hpp"
#include "wordvec/batches.hpp"

namespace xgrad::wordvec::detail {

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

}  // namespace

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

}  // namespace xgrad::wordvec::detail

namespace xgrad::wordvec {

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

}  // namespace xgrad::wordvec
